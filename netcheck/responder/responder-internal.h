/* What the parts of the responder share: its connections, its connect-outs
 * and the server holding them.  responder.c runs the loop (sockets, accept,
 * ppoll, signals, main); responder-answer.c answers a TCP request or a UDP
 * datagram; responder-connect.c makes a connect-out (resolve, connect,
 * read) for a connection.  Only netcheck/responder/responder*.c include
 * this. */
#ifndef NETCHECK_RESPONDER_INTERNAL_H
#define NETCHECK_RESPONDER_INTERNAL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "connect-parse.h"
#include "dns-parse.h"
#include "http-parse.h"

#define CONN_MAX 64
#define CONN_DEADLINE_MS 5000 /* from accept to the last byte of the answer */
#define LINGER_MS 1000        /* after the answer: wait for the client's FIN */
#define JOB_MAX 4             /* connect-outs at once; more get EBUSY */
#define JOB_ANSWER_MAX 4096   /* bytes read from a target (headers + body) */
#define FILE_MAX 32768        /* bytes of /etc/hosts or /etc/resolv.conf read */

typedef enum conn_state {
	CONN_FREE = 0,
	CONN_READING,
	CONN_WAITING, /* for its connect-out */
	CONN_WRITING,
	CONN_DRAINING,
} conn_state_t;

typedef struct job job_t;

typedef struct conn {
	int fd; /* owned; -1 when free */
	job_t *job; /* borrowed from server_t.jobs; NULL: none */
	const char *out_data; /* out or job->out */
	conn_state_t state;
	int64_t deadline_ms;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	size_t in_len;
	char in[NC_RESPONDER_REQUEST_MAX];
	size_t out_len;
	size_t out_sent;
	char out[NC_RESPONDER_ANSWER_MAX];
} conn_t;

typedef enum job_phase {
	JOB_FREE = 0,
	JOB_DNS,        /* fd: UDP to the name server, A and AAAA in flight */
	JOB_CONNECTING, /* fd: TCP connect in progress */
	JOB_READING,    /* fd: request sent, reading the target's answer */
	JOB_DONE,       /* fd closed; out holds the answer for conn */
} job_phase_t;

struct job {
	job_phase_t phase;
	int fd; /* owned; -1 when none */
	conn_t *conn; /* borrowed: who asked */
	nc_responder_connect_t req;
	int64_t started_ms, deadline_ms, connected_ms;
	/* resolution */
	nc_responder_addr_t nameserver;
	uint16_t dns_id[2]; /* A, AAAA */
	int dns_result[2];  /* 1 pending, else count or negative errno */
	nc_responder_addr_t dns_v6;
	char resolved_by[64];
	/* the target */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char resolved[INET6_ADDRSTRLEN];
	char local[INET6_ADDRSTRLEN + 8];
	int error;
	const char *detail; /* static text */
	size_t answer_len;
	bool answered;
	char answer[JOB_ANSWER_MAX];
	size_t out_len;
	char out[NC_RESPONDER_CONNECT_ANSWER_MAX];
};

typedef struct server {
	int listen_fd; /* owned */
	int family;    /* of listen_fd */
	int udp_fd;    /* owned */
	int udp_family;
	int64_t accept_paused_until_ms;
	size_t n_conns;
	conn_t conns[CONN_MAX];
	const nc_responder_target_t *allow; /* borrowed from main() */
	size_t n_allow;
	/* --nameserver-for: the one name that may be asked of the container's
	 * name server whatever its address (Docker Desktop's VM answers
	 * host.docker.internal there); NULL: only a loopback one is asked */
	const char *nameserver_for; /* borrowed from argv */
	job_t jobs[JOB_MAX];
	job_t refused; /* scratch for answers that take no slot */
	char file[FILE_MAX]; /* /etc/hosts or /etc/resolv.conf, read per lookup */
} server_t;

/* CLOCK_MONOTONIC in ms: every deadline's clock. */
int64_t nc_responder_now_ms(void);

/* ---- responder-answer.c: a TCP request, a UDP datagram ---------------- */

/* Closes c's socket (and releases its connect-out) and frees its slot. */
void nc_responder_conn_close(server_t *s, conn_t *c);
/* Sends data (borrowed until written: c's own out or its job's), n bytes. */
void nc_responder_conn_start_writing(conn_t *c, const char *data, int n);
/* What the loop calls when c's socket is ready, by c's state. */
void nc_responder_conn_on_readable(server_t *s, conn_t *c, int64_t now);
void nc_responder_conn_on_writable(server_t *s, conn_t *c, int64_t now);
void nc_responder_conn_on_drainable(server_t *s, conn_t *c);
/* Answers up to UDP_BURST_MAX datagrams waiting on the UDP socket. */
void nc_responder_udp_on_readable(server_t *s);

/* ---- responder-connect.c: a connect-out ------------------------------- */

/* Starts the connect-out c asked for (target: borrowed, the request's
 * query); its answer goes back through c when done. */
void nc_responder_job_start(server_t *s, conn_t *c, const char *target, int64_t now);
/* Frees j's slot and socket; its connection no longer waits for it. */
void nc_responder_job_release(job_t *j);
/* What the loop calls for a job: its socket is ready, or its deadline passed. */
void nc_responder_job_on_event(job_t *j, int64_t now);
void nc_responder_job_on_deadline(job_t *j, int64_t now);

/* agent.c: `responder --agent ...`, the capture agent; returns the exit code. */
int nc_agent_main(int argc, char **argv);

#endif
