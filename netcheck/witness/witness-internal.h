/* witness: what the files of the room share (not part of the API). */
#ifndef NETCHECK_WITNESS_INTERNAL_H
#define NETCHECK_WITNESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcheck/witness.h"

#define TRACE_SLOTS 32        /* packets followed at once (trace ids); the oldest is closed first */
#define TRACE_MAX_NAMES 4096  /* distinct table/chain names kept; more read as "?" */
#define TRACE_RECV_MAX 65536  /* one netlink datagram */

/* A packet being followed: its trace id and the steps met so far. */
typedef struct trace_slot {
	bool used;
	bool own_done;            /* its pass through the trace table's chain ended (policy seen) */
	uint32_t id;
	uint64_t last_use;
	size_t flow;
	nc_trace_passage_t passage;
	nc_trace_step_t steps[NC_TRACE_MAX_STEPS];
} trace_slot_t;

typedef struct trace_flow_state {
	nc_trace_flow_t flow;
	size_t n_passages;
	nc_trace_passage_t passages[NC_TRACE_MAX_PASSAGES]; /* .steps: owned (cast away const to free) */
} trace_flow_state_t;

struct nc_trace {
	char table[NC_TRACE_TABLE_MAX];
	trace_flow_state_t *flows;  /* owned */
	size_t n_flows;
	trace_slot_t *slots;        /* owned, TRACE_SLOTS */
	uint64_t clock;
	char **names;               /* owned, each owned: interned table and chain names */
	size_t n_names;
	nc_trace_stats_t stats;
	int record_fd;              /* borrowed; -1: every datagram read is also written here */

	/* witness-trace.c: the kernel side */
	void *owner;                /* owned struct mnl_socket *: owns the table */
	void *events;               /* owned struct mnl_socket *: NFNLGRP_NFTRACE */
	uint32_t seq;
	uv_poll_t *poll;            /* owned until its close callback */
	bool table_present;
	void *removing;             /* the remove_work_t in libuv's pool, or NULL; it owns the owner socket */
	unsigned char *buf;         /* owned, TRACE_RECV_MAX */
};

/* What a packet's headers (or a conntrack tuple) say of it. */
typedef struct packet_key {
	int family;
	uint8_t proto;
	unsigned char src[16], dst[16];
	uint16_t sport, dport;     /* host order; the echo identifier for an echo */
	bool has_ports;
	uint8_t tcp_flags;
} packet_key_t;

/* mnl_nlmsg_ok() that also refuses an nlmsg_len past INT_MAX (libmnl
 * 1.0.4 compares it as an int: a negative length passes, and the next
 * message is then gigabytes away).  nlh: a struct nlmsghdr. */
bool witness_nlmsg_ok(const void *nlh, int left);

/* Is k a packet of flow f, and *ret_reply, the flow's reply direction? */
bool witness_flow_matches(const nc_trace_flow_t *f, const packet_key_t *k, bool *ret_reply);

/* witness-trace-collect.c.  A trace object that follows flows with no
 * kernel behind it: the trace table is named table (a recording's).
 * ret: new, free with nc_witness_trace_free(). */
int nc_witness_trace_offline(const char *table, const nc_trace_flow_t *flows, size_t n, nc_trace_t **ret);
/* Appends flows (n, copied) to t's: 0, -EINVAL past NC_TRACE_MAX_FLOWS, -ENOMEM. */
int witness_trace_grow(nc_trace_t *t, const nc_trace_flow_t *flows, size_t n);
/* Feeds one datagram as read from the trace socket (one or more netlink
 * messages); others than NFT_MSG_TRACE are skipped.  0 or -EINVAL (bad framing). */
int nc_witness_trace_feed(nc_trace_t *t, const void *buf, size_t len);
/* Ends every packet still followed: the passages are final after it. */
void nc_witness_trace_flush(nc_trace_t *t);
/* Frees what collect allocated (called by nc_witness_trace_free()). */
void nc_witness_trace_collect_free(nc_trace_t *t);
/* For the fixture recorder: every datagram read is written to fd too. */
void nc_witness_trace_record_to(nc_trace_t *t, int fd);

/* witness-conntrack.c: the raw dump of the conntrack table (datagrams as
 * read, concatenated), for nc_witness_conntrack_parse() and the recorder.
 * *ret_buf: new (malloc). */
int nc_witness_conntrack_dump(void **ret_buf, size_t *ret_len, nc_error_t *err);

#ifdef NC_HAVE_NFTRACE
/* witness-trace-table.c: the kernel's side of the table, for witness-trace.c. */
struct mnl_socket;
/* returns: new (mnl_socket_close() it), bound, CLOEXEC; NULL with *ret_errno set */
struct mnl_socket *nc_witness_trace_socket_open(int *ret_errno);
/* The table, its chains and the rules of every flow (first == 0), or the
 * rules of flows[first..] alone in the chains there already; through t->owner. */
int nc_witness_trace_install(nc_trace_t *t, size_t first);
/* Deletes table name (inet) through nl (borrowed): 0, also when it is gone. */
int nc_witness_trace_delete_table(struct mnl_socket *nl, uint32_t *seq, const char *name);
#endif

#endif
