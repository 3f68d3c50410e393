/* Private to the probe room: the probe object every kind shares and the
 * helpers the per-kind files call.
 *
 *   probe.c         the object's life: alloc, start, finish, timeout, cancel, free
 *   probe-tcp.c     TCP (+ HTTP, a banner, a reset)
 *   probe-udp.c     a nonce datagram and the responder's JSON back
 *   probe-icmp.c    ICMP / ICMPv6 echo on a raw or ping socket
 *   probe-relay.c   netcheck's responder connects out, for paths from a container
 *   probe-answer.c  the parsers of the responder's answers (pure, untrusted input)
 *   probe-host.c    the host end of container-to-host
 */
#ifndef NETCHECK_PROBE_INTERNAL_H
#define NETCHECK_PROBE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "netcheck/probe.h"

/* ICMP and ICMPv6 echo share one layout (RFC 792, RFC 4443): type, code,
 * checksum, identifier, sequence number, data.  Byte offsets, not the
 * systems' differing structs. */
enum {
	ICMP_OFF_TYPE = 0,
	ICMP_OFF_CODE = 1,
	ICMP_OFF_CHECKSUM = 2,
	ICMP_OFF_ID = 4,
	ICMP_OFF_SEQ = 6,
	ICMP_HDR_LEN = 8,
};
#define ICMP4_ECHO_REPLY 0
#define ICMP4_DEST_UNREACH 3
#define ICMP4_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST_TYPE 128
#define ICMP6_ECHO_REPLY_TYPE 129
#define ICMP_MAX_ECHOES 3

typedef enum {
	PROBE_TCP,   /* TCP + HTTP to path->target */
	PROBE_ICMP,  /* echo to path->target */
	PROBE_UDP,   /* a nonce datagram to path->target, the responder's JSON back */
	PROBE_RELAY, /* TCP + HTTP to netcheck's responder (dial), which connects out to path->target */
} probe_kind_t;

struct nc_probe {
	probe_kind_t kind;
	uv_loop_t *loop;       /* borrowed */
	nc_path_t *path;       /* borrowed */
	uint64_t timeout_ms;
	uint64_t t_start;      /* uv_hrtime() at start, ns */
	nc_probe_done_cb cb;
	void *cb_data;
	bool started, finished;
	int open_handles;

	uv_timer_t timer;
	/* TCP (and the relay: dial is the responder, path->target what it connects to) */
	nc_endpoint_t dial;
	int socket_fd;         /* owned until started: a TCP or UDP socket made elsewhere, or -1 */
	uv_tcp_t tcp;
	uv_connect_t connect_req;
	uv_write_t write_req;
	bool http;
	uint64_t banner_window_ms;
	char request[NC_PROBE_HTTP_PATH_MAX + 2 * NC_ENDPOINT_STRLEN + 128];
	char *answer;          /* owned; NC_PROBE_MAX_ANSWER + 1 bytes */
	size_t answer_len;
	bool got_first_byte;
	/* ICMP */
	uv_poll_t poll;
	int icmp_fd;
	bool icmp_raw;
	uint16_t echo_id, echo_seq;
	unsigned echo_sent;
	struct timespec echo_sent_at[ICMP_MAX_ECHOES + 1]; /* CLOCK_REALTIME, by sequence number */
	bool rx_timestamps;   /* the kernel stamps each reply */
	uv_timer_t resend;
	/* UDP */
	uv_udp_t udp;
	uv_udp_send_t send_req;
	unsigned udp_sent;
};

/* probe.c */
bool probe_uses_tcp(const nc_probe_t *p);
double probe_ms_since(const nc_probe_t *p);
/* The path could not be probed at all: says why, fails it; returns r. */
int probe_creation_failed(nc_path_t *path, int r, const char *what);
/* A probe of kind for path, with its answer buffer when with_answer, and
 * the path's nonce made if it has none.  *ret: new (nc_probe_free()). */
int probe_alloc(uv_loop_t *loop, nc_path_t *path, uint64_t timeout_ms, probe_kind_t kind, bool with_answer,
		nc_probe_t **ret);
void probe_close_handle(nc_probe_t *p, uv_handle_t *h);
/* Ends the probe with verdict v (unless already ended) and closes everything. */
void probe_finish(nc_probe_t *p, nc_verdict_t v, int status);
/* Ends it on a socket error, recorded in path->probe_error for the policy. */
void probe_finish_on_error(nc_probe_t *p, int status, bool with_detail);

/* probe-answer.c: the JSON body of a responder answer (TCP body or UDP datagram); 0 or NC_EPROTO */
int probe_parse_body(const char *body, size_t len, nc_answer_t *ret);

/* probe-tcp.c */
void probe_tcp_on_connect(uv_connect_t *req, int status);
/* netcheck's responder answered (over TCP or UDP): its view of the peer */
void probe_answered(nc_probe_t *p, const nc_answer_t *a);

/* probe-udp.c: the handle, the first datagram and its resend timer */
int probe_udp_start(nc_probe_t *p);

/* probe-icmp.c */
int probe_icmp_send(nc_probe_t *p);
void probe_icmp_on_readable(uv_poll_t *h, int status, int events);
void probe_icmp_on_resend(uv_timer_t *t);

/* probe-relay.c: the relay's HTTP answer is complete */
void probe_relay_done(nc_probe_t *p);

#endif
