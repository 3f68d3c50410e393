/* netcheck: probes.  Each probe owns its libuv handles and fills exactly
 * one nc_path_t (borrowed from the result model) with what it observed:
 * verdict, timings, local address, and the responder's view.  It does not
 * classify the mechanism (classify.c does, from the evidence).
 *
 * Life cycle: nc_probe_*_new → nc_probe_start → done_cb (all handles are
 * closed by then) → nc_probe_free.  nc_probe_cancel ends a started probe
 * early; done_cb still comes, once. */
#ifndef NETCHECK_PROBE_H
#define NETCHECK_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"

#define NC_PROBE_MAX_ANSWER 16384 /* bytes read from a responder at most */

typedef struct nc_probe nc_probe_t;
typedef void (*nc_probe_done_cb)(nc_probe_t *p, void *data);

/* The one bound of a --http PATH, in bytes: the command line checks it
 * with nc_probe_http_path_valid() too, so a path it takes never fails
 * every TCP probe later. */
#define NC_PROBE_HTTP_PATH_MAX 256
/* An HTTP path for the request line: '/' first, printable ASCII without
 * spaces (nothing that could end the line or the target), at most
 * NC_PROBE_HTTP_PATH_MAX bytes.  Pure. */
bool nc_probe_http_path_valid(const char *path);
#define NC_PROBE_BANNER_WINDOW_MS 200

/* What a TCP probe asks once connected. */
typedef struct nc_probe_tcp_options {
	/* true: HTTP GET, the status goes to path->http_status; netcheck's
	 * responder (http_path NULL) also tells the peer it saw.  false: any
	 * TCP service: reachable once the handshake completed and the far side
	 * did not reset at once; a banner it sends unasked goes to path->banner. */
	bool http;
	/* borrowed, copied by _new: "/healthz" for a user's image (--http PATH);
	 * NULL: "/<path->nonce>", netcheck's responder */
	const char *http_path;
	/* without HTTP: how long to wait for a banner or a reset after the
	 * handshake; 0: NC_PROBE_BANNER_WINDOW_MS.  Never past the timeout. */
	uint64_t banner_window_ms;
	/* true: connect socket_fd (a TCP socket made elsewhere, e.g. inside
	 * netcheck's remote-client namespace) instead of a new one; the probe
	 * takes ownership of it, also when _new fails */
	bool use_socket_fd;
	int socket_fd;
} nc_probe_tcp_options_t;

/* TCP connect to path->target, then what opt asks (NULL: HTTP GET
 * /<path->nonce>, netcheck's responder).  Host header: target.  path and
 * loop: borrowed, must outlive the probe; opt: borrowed for the call.
 * *ret: new.  On failure the path says why (verdict error), except for
 * -EINVAL on a path without a target. */
int nc_probe_tcp_new(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, const nc_probe_tcp_options_t *opt,
		     nc_probe_t **ret);
/* ICMP echo to path->target: a raw socket, else a ping socket.  Returns
 * -EPERM (path marked skipped, with the reason) when neither is allowed;
 * any other failure marks it error, with the reason.  total_ms is the
 * kernel's receive stamp of the reply minus the send time, both
 * CLOCK_REALTIME, so the event loop's latency is not in it (the loop's
 * own clock when the socket gives no stamp). */
int nc_probe_icmp_new(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, nc_probe_t **ret);
/* UDP: one datagram carrying path->nonce to path->target (resent up to
 * three times over the timeout); netcheck's responder answers with its
 * JSON.  A port unreachable comes back as refused. */
int nc_probe_udp_new(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, nc_probe_t **ret);
/* The same from socket_fd (a UDP socket made elsewhere, e.g. inside
 * netcheck's remote-client namespace; < 0: a new one); the probe takes
 * ownership of it, also when this fails. */
int nc_probe_udp_new_from(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, int socket_fd, nc_probe_t **ret);
/* A path that starts inside a container: asks netcheck's responder at
 * responder (TCP, borrowed) to connect out to target ("host:port", a name
 * or an address; it must be on the responder's --allow list) over the
 * path's protocol, and fills the path from its answer: verdict, the
 * container-side local address and timings, and the peer the target saw
 * (when the target is netcheck's responder or host listener). */
int nc_probe_relay_new(uv_loop_t *loop, nc_path_t *path, const nc_endpoint_t *responder, const char *target,
		       uint64_t timeout_ms, nc_probe_t **ret);
/* The host end of container-to-host: a listener on address (port 0: one
 * the kernel picks) that answers GET /<nonce> with the peer it saw, on
 * loop, until nc_probe_listener_close() (freed on the loop).  *ret: new. */
typedef struct nc_probe_listener nc_probe_listener_t;
int nc_probe_listener_new(uv_loop_t *loop, const nc_endpoint_t *address, nc_probe_listener_t **ret);
/* borrowed, valid until close: the address and port it listens on */
const nc_endpoint_t *nc_probe_listener_address(const nc_probe_listener_t *l);
unsigned nc_probe_listener_answered(const nc_probe_listener_t *l);
void nc_probe_listener_close(nc_probe_listener_t *l); /* NULL: no-op */

/* A callback is called only when this returns 0. */
int nc_probe_start(nc_probe_t *p, nc_probe_done_cb cb, void *data);
void nc_probe_cancel(nc_probe_t *p);
void nc_probe_free(nc_probe_t *p); /* after done_cb, or never started; NULL no-op */

/* The round trip in ms: kernel_rx (the reply's receive stamp; NULL when
 * the socket gave none) minus sent, else now minus sent.  Pure. */
double nc_probe_rtt_ms(const struct timespec *sent, const struct timespec *kernel_rx, const struct timespec *now);

/* A fresh random nonce: 16 lowercase hex characters. */
int nc_probe_make_nonce(char *buf, size_t len);

/* What the responder said. */
typedef struct nc_answer {
	int http_status;
	nc_endpoint_t peer;      /* peer_addr:peer_port as the container saw it */
	char hostname[NC_NAME_MAX];
	char nonce[NC_NONCE_MAX];
	int iflink;
	nc_endpoint_t local;     /* the container's own address:port */
	char kernel[NC_KERNEL_RELEASE_MAX]; /* the release of the kernel it runs on; "" from older responders */
	char boot_id[NC_BOOT_ID_MAX];       /* that kernel's boot id; "" when not said */
} nc_answer_t;

/* What the responder said of a connect-out (GET /connect). */
typedef struct nc_relay_answer {
	bool ok;
	char error[32];           /* errno name: "ECONNREFUSED", "ENOENT", ... */
	char detail[128];
	char resolved[64];        /* the address used */
	char resolved_by[32];     /* "literal", "hosts", "dns 127.0.0.11" */
	nc_endpoint_t local;      /* the container's side of the connection */
	double connect_ms, total_ms; /* < 0: not measured */
	int http_status;
	bool have_target_answer;  /* the target was netcheck's: its view follows */
	nc_answer_t target_answer;
} nc_relay_answer_t;

/* Parses the JSON body of a connect-out answer.  Pure; untrusted input.
 * 0 or NC_EPROTO. */
int nc_probe_parse_relay(const char *body, size_t len, nc_relay_answer_t *ret);

/* Parses a complete HTTP/1.x response (status line, headers, JSON body).
 * Pure; buf is untrusted.  Returns 0, -EAGAIN (incomplete), or NC_EPROTO. */
int nc_probe_parse_answer(const char *buf, size_t len, nc_answer_t *ret);

#endif
