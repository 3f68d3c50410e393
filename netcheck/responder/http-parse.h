/* netcheck responder: HTTP request parsing and answer formatting.
 *
 * Private to the responder (the static program that runs alone inside the
 * test container).  Pure functions: no allocation, no I/O, no globals, so
 * they are unit-tested and fuzzed on their own.  They may call libc string
 * and inet_ntop() only. */
#ifndef NETCHECK_RESPONDER_HTTP_PARSE_H
#define NETCHECK_RESPONDER_HTTP_PARSE_H

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
} nc_responder_facts_t;

/* The JSON body, one line, no trailing newline, e.g.
 * {"peer_addr":"172.17.0.1","peer_port":38582,"hostname":"1a2b3c4d5e6f",
 *  "nonce":"abc123","iflink":7,"ifindex":6,"local_addr":"172.17.0.2","local_port":80}
 * v4-mapped IPv6 addresses print as dotted quads.
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

#endif
