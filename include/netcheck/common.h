/* netcheck: shared error type and netcheck's own error codes.
 *
 * Owns nothing.  Functions across netcheck return 0 (or a count) on
 * success and a negative errno on failure; libuv's UV_E* pass through
 * unchanged.  Text from the engine, libpcap or jansson is copied into an
 * nc_error_t that the caller owns, and printed once, by main.c. */
#ifndef NETCHECK_COMMON_H
#define NETCHECK_COMMON_H

#include <stddef.h>

/* netcheck's own codes, in a band below every errno and UV_E* value. */
enum {
	NC_EBASE = -10000,
	NC_EENGINE = NC_EBASE - 1,   /* the engine answered with an HTTP error */
	NC_EPROTO = NC_EBASE - 2,    /* malformed or truncated engine/responder data */
	NC_ETOOBIG = NC_EBASE - 3,   /* a peer sent more than the bound allows */
	NC_ENOTFOUND = NC_EBASE - 4, /* object not found (404) */
	NC_ECONFLICT = NC_EBASE - 5, /* object conflict (409): name in use, removal in progress */
	NC_ECANCELED = NC_EBASE - 6, /* interrupted by a signal */
	NC_EFORWARD = NC_EBASE - 7,  /* route leaves through a gateway */
	NC_EPORTTAKEN = NC_EBASE - 8, /* the engine could not bind a host port: allocated or in use */
	NC_ENOIMAGE = NC_EBASE - 9,   /* the engine has no such image */
	NC_EGONE = NC_EBASE - 10,     /* a container, service or network named in the call is gone (404) */
	NC_ECANTCREAT = NC_EBASE - 11, /* an output file the user named cannot be created */
};

#define NC_ERROR_MAX 512

/* Caller-owned error detail, filled by the function that failed. */
typedef struct nc_error {
	char text[NC_ERROR_MAX];
} nc_error_t;

/* printf-style: set err->text (err may be NULL).  Returns code unchanged so
 * callers can write `return nc_error_set(err, -EINVAL, "...")`. */
int nc_error_set(nc_error_t *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A static string for any netcheck, errno or UV_E* code. */
const char *nc_strerror(int code);
/* The code's stable name, for reports a program reads: an errno's or
 * UV_E*'s own ("ENOENT", "ECONNREFUSED", "EOF"), netcheck's enum name
 * ("NC_EPORTTAKEN"), or "UNKNOWN" (0, a positive value, an errno libuv
 * does not name, an unused code of netcheck's band).  returns: static */
const char *nc_error_name(int code);

/* Appends s percent-encoded (RFC 3986: all but A-Z a-z 0-9 - . _ ~) to
 * buf at *used, NUL-terminated; buf: borrowed, len bytes.  0, or -ENOSPC
 * (buf then holds what fitted). */
int nc_percent_encode(char *buf, size_t len, size_t *used, const char *s);

#define NC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))


#endif
