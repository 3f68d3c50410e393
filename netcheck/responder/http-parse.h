/* netcheck responder: HTTP request parsing and answer formatting.
 *
 * Private to the responder (the static program that runs alone inside the
 * test container).  Pure functions: no allocation, no I/O, no globals, so
 * they are unit-tested and fuzzed on their own.  They may call libc string
 * and inet_ntop() only. */
#ifndef NETCHECK_RESPONDER_HTTP_PARSE_H
#define NETCHECK_RESPONDER_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Bytes of request (request line + headers + blank line) accepted. */
#define NC_RESPONDER_REQUEST_MAX 4096
/* Longest nonce; a nonce buffer needs one more byte for the NUL. */
#define NC_RESPONDER_NONCE_MAX 64
/* Longest hostname the answer carries (Linux HOST_NAME_MAX). */
#define NC_RESPONDER_HOSTNAME_MAX 64
/* Any answer, headers and body, fits in this many bytes. */
#define NC_RESPONDER_ANSWER_MAX 2048

/* Look at the first len bytes received on a connection.
 * buf: borrowed, need not be NUL-terminated.
 * ret_nonce: borrowed, nonce_len bytes; gets the NUL-terminated nonce on 0.
 * Returns
 *   0            complete `GET /<nonce>` request (bytes after the blank
 *                line, e.g. a body or a pipelined request, are ignored)
 *   -EAGAIN      incomplete, read more
 *   -EINVAL      malformed request line or header
 *   -ENOENT      well-formed GET for a path that is not /<nonce>
 *   -EOPNOTSUPP  well-formed request with a method other than GET
 *   -EMSGSIZE    no end of headers within NC_RESPONDER_REQUEST_MAX bytes
 *   -ENOBUFS     nonce_len too small for the nonce (caller bug)
 * A malformed request line is reported as soon as the line is complete;
 * every other verdict waits for the blank line. */
int nc_responder_parse_request(const char *buf, size_t len, char *ret_nonce, size_t nonce_len);

/* Like nc_responder_parse_request(), for any GET target: on 0, ret_target
 * (borrowed, target_size bytes) gets the origin-form target ("/connect?..."),
 * NUL-terminated; -ENOBUFS if it does not fit.  Other returns as above. */
int nc_responder_parse_target(const char *buf, size_t len, char *ret_target, size_t target_size);

/* 1..NC_RESPONDER_NONCE_MAX bytes of [A-Za-z0-9_-]: the nonce rule of the
 * TCP path, shared by UDP and connect-out.  s: borrowed, need not be
 * NUL-terminated. */
bool nc_responder_nonce_is_valid(const char *s, size_t len);

/* What the responder tells the client.  Plain data; all pointers borrowed
 * for the duration of the call. */
typedef struct nc_responder_facts {
	const struct sockaddr *peer;  /* AF_INET or AF_INET6 */
	socklen_t peer_len;
	const struct sockaddr *local; /* AF_INET or AF_INET6 */
	socklen_t local_len;
	const char *hostname;         /* NUL-terminated; cut at NC_RESPONDER_HOSTNAME_MAX */
	const char *nonce;            /* NUL-terminated; as parsed */
	int iflink;                   /* -1 when unknown */
	int ifindex;                  /* -1 when unknown */
	const char *proto;            /* NULL: left out (the TCP answer); "udp" */
	const char *kernel;           /* uname's release; NULL: left out; cut at NC_RESPONDER_KERNEL_MAX */
	const char *boot_id;          /* /proc/sys/kernel/random/boot_id; NULL: left out */
} nc_responder_facts_t;

/* Longest kernel release the answer carries (utsname's field is 65 bytes). */
#define NC_RESPONDER_KERNEL_MAX 64
/* A boot id: a UUID's text. */
#define NC_RESPONDER_BOOT_ID_MAX 36

/* sa as address text (ret_text: INET6_ADDRSTRLEN bytes) and port; a
 * v4-mapped v6 address prints as v4.  Returns 0 or -EINVAL (not v4/v6, or
 * sa_len too short). */
int nc_responder_sockaddr_text(const struct sockaddr *sa, socklen_t sa_len, char *ret_text, unsigned *ret_port);

/* The JSON body, one line, no trailing newline, e.g.
 * {"peer_addr":"172.17.0.1","peer_port":38582,"hostname":"1a2b3c4d5e6f",
 *  "nonce":"abc123","iflink":7,"ifindex":6,"local_addr":"172.17.0.2","local_port":80,
 *  "kernel":"6.1.0-13-amd64","boot_id":"0f3c...-..."}
 * (kernel and boot_id only when known; answers of older responders lack them)
 * v4-mapped IPv6 addresses print as dotted quads; with facts->proto, a
 * last member "proto":"udp".
 * buf: borrowed.  Returns the length written (NUL not counted), -EINVAL for
 * an address that is neither v4 nor v6, or -ENOSPC. */
int nc_responder_format_json(const nc_responder_facts_t *facts, char *buf, size_t len);

/* The full 200 response: status line, headers, JSON body.
 * Returns the length written (NUL not counted) or a negative errno. */
int nc_responder_format_answer(const nc_responder_facts_t *facts, char *buf, size_t len);

/* HTTP status for a nc_responder_parse_request() error:
 * -EINVAL 400, -ENOENT 404, -EOPNOTSUPP 405, -EMSGSIZE 431, other 500. */
int nc_responder_status_for(int parse_error);

/* A short error response (text/plain body, Connection: close) for status.
 * Returns the length written (NUL not counted) or -ENOSPC. */
int nc_responder_format_error(int status, char *buf, size_t len);

/* Bytes of a target's answer a connect-out reports (the "answer" member). */
#define NC_RESPONDER_CONNECT_BODY_MAX 2048
/* The whole connect-out response: every answer byte may take 6 when escaped. */
#define NC_RESPONDER_CONNECT_ANSWER_MAX (6 * NC_RESPONDER_CONNECT_BODY_MAX + 2048)
/* Longest text member of the connect-out answer other than "answer". */
#define NC_RESPONDER_TARGET_TEXT_MAX 300

/* What a connect-out found.  Plain data; pointers borrowed for the call. */
typedef struct nc_responder_connect_result {
	const char *nonce;       /* as requested */
	const char *proto;       /* "tcp", "udp", "icmp" */
	const char *target;      /* canonical "host:port" */
	const char *resolved;    /* the address used; NULL: none */
	const char *resolved_by; /* "literal", "hosts", "dns 127.0.0.11"; NULL: none */
	const char *local;       /* our "addr:port" ("[v6]:port"); NULL: none */
	int error;               /* 0 (ok) or a negative errno */
	const char *detail;      /* a few words on the error; NULL: none */
	long connect_ms;         /* request to connected; -1: never */
	long total_ms;           /* request to result */
	int http_status;         /* the target's HTTP status; -1: not HTTP */
	const char *answer;      /* what the target sent (the body for HTTP); NULL: nothing */
	size_t answer_len;       /* cut at NC_RESPONDER_CONNECT_BODY_MAX */
} nc_responder_connect_result_t;

/* "ECONNREFUSED" for ECONNREFUSED or -ECONNREFUSED; "EIO" for unknown. */
const char *nc_responder_errno_name(int error);

/* The full 200 response whose JSON body is
 * {"nonce","proto","target","resolved","resolved_by","local","ok","error",
 *  "detail","connect_ms","total_ms","http_status","answer"}
 * ("ok" true iff error is 0; "error" the errno name or null).  Fits
 * NC_RESPONDER_CONNECT_ANSWER_MAX.  Returns the length or a negative errno. */
int nc_responder_format_connect(const nc_responder_connect_result_t *res, char *buf, size_t len);

#endif
