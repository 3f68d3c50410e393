/* netcheck: what the kernel was seen to do with a run's own packets.
 *
 * The nftables trace (witness-trace.c): for the flows of a run, a
 * trace-only table of netcheck's own (`inet netcheck_trace_<pid>_<runid>`,
 * base chains at priority -350 on prerouting and output, where every
 * packet starts; rules that match only the run's flows and do `meta
 * nftrace set 1`, nothing else: no verdict is ever changed) and a netlink
 * socket on NFNLGRP_NFTRACE read on the caller's libuv loop.  Each flow
 * gets the passages its packets took: the ordered table / chain / rule
 * handle / verdict steps they met in every table of every family, packets
 * that took the same steps counted once.
 *
 * The table is owned by the netlink socket that made it (NFT_TABLE_F_OWNER):
 * the kernel removes it when that socket closes, so a run killed with
 * SIGKILL leaves nothing behind, and closing nc_witness_trace_owner_fd()
 * in a signal handler that exits removes it too.
 * nc_witness_trace_gc() removes what a kernel without owner tables kept.
 *
 * The rule text by handle (witness-rules.c): the ruleset as nft prints it
 * with handles (libnftables), so iptables-nft's xt rules read as nft shows
 * them and comments are part of the text.
 *
 * May call: model (endpoint, errors), platform, libnftnl, libmnl,
 * libnftables, libuv.  Called by: run.  Never prints. */
#ifndef NETCHECK_WITNESS_H
#define NETCHECK_WITNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"

/* ---- the flows a run traces ------------------------------------------------ */

/* One flow: proto and the addresses and ports known before the packets
 * are sent.  An unset endpoint (family 0) or port 0 matches any; at least
 * one address must be set, and both of one family.  A flow is traced both
 * ways: the reply direction is the same flow with src and dst swapped.
 * A path through NAT is two flows: before (the published address) and
 * after (the container's); a packet already traced stays traced through
 * the NAT, so one flow per path is enough to see its packets' way in.
 * For ICMP and ICMPv6 a port is the echo identifier. */
typedef struct nc_trace_flow {
	uint8_t proto;     /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	nc_endpoint_t src; /* borrowed from nobody: plain data */
	nc_endpoint_t dst;
} nc_trace_flow_t;

#define NC_TRACE_MAX_FLOWS 64
#define NC_TRACE_MAX_STEPS 64      /* steps kept per passage; more: passage->truncated */
#define NC_TRACE_MAX_PASSAGES 16   /* distinct passages kept per flow; more: counted in stats */
#define NC_TRACE_TABLE_PREFIX "netcheck_trace_"
#define NC_TRACE_TABLE_MAX 64      /* "netcheck_trace_<pid>_<runid>" fits */

/* ---- what was seen ----------------------------------------------------------- */

typedef enum nc_trace_step_type {
	NC_TRACE_RULE = 3,   /* a rule matched (verdict is its verdict; continue for a counter) */
	NC_TRACE_RETURN = 2, /* the end of a regular chain: back to the caller */
	NC_TRACE_POLICY = 1, /* a base chain's policy decided (verdict is the policy) */
} nc_trace_step_type_t;

/* The verdict codes are the kernel's: NF_DROP 0, NF_ACCEPT 1, NF_STOLEN 2,
 * NF_QUEUE 3, NFT_CONTINUE -1, NFT_BREAK -2, NFT_JUMP -3, NFT_GOTO -4,
 * NFT_RETURN -5; nc_witness_verdict_name() says them. */
typedef struct nc_trace_step {
	uint8_t family;             /* NFPROTO_*: 2 ip, 10 ip6, 1 inet, 7 bridge, 5 netdev, 3 arp */
	nc_trace_step_type_t type;
	const char *table;          /* borrowed, valid until nc_witness_trace_free() */
	const char *chain;          /* borrowed, same */
	const char *jump_target;    /* borrowed, same; NULL unless verdict is jump or goto */
	uint64_t handle;            /* the rule's handle; 0 for a policy or return */
	int verdict;
} nc_trace_step_t;

typedef struct nc_trace_passage {
	bool reply;                 /* the packets matched the flow reversed */
	uint8_t tcp_flags;          /* of the first packet (SYN 0x02, RST 0x04, ACK 0x10...); 0 if not TCP */
	unsigned packets;           /* how many packets took exactly these steps */
	bool truncated;             /* more than NC_TRACE_MAX_STEPS steps: the first ones are kept */
	size_t n_steps;
	const nc_trace_step_t *steps; /* borrowed, valid until nc_witness_trace_free() */
} nc_trace_passage_t;

typedef struct nc_trace_stats {
	unsigned events;            /* trace messages read */
	unsigned matched;           /* of them, of a run's flow */
	unsigned passages_dropped;  /* distinct passages past NC_TRACE_MAX_PASSAGES */
	unsigned lost;              /* times the kernel said the socket's buffer overflowed */
	unsigned malformed;         /* messages libnftnl could not parse */
	uint64_t read_ns;           /* CPU time spent reading and following the events (the loop thread's) */
} nc_trace_stats_t;

typedef struct nc_trace nc_trace_t;

/* Installs the trace table for flows (n of them, 1..NC_TRACE_MAX_FLOWS;
 * copied) of the run run_id ([a-z0-9-], at most 32) in the calling
 * thread's network namespace, after subscribing to the trace events.
 * ret: new, free with nc_witness_trace_free().  0, or -EPERM without
 * CAP_NET_ADMIN, -EOPNOTSUPP built without libnftnl/libmnl or a kernel
 * without nf_tables, -EINVAL, -ENOMEM, another errno from netlink; err
 * gets one line saying what is missing (the run goes on without it). */
int nc_witness_trace_new(const char *run_id, const nc_trace_flow_t *flows, size_t n,
			 nc_trace_t **ret, nc_error_t *err);
/* Adds flows (n, copied) to a trace already installed, for addresses
 * learned later (a container's, once it runs; docker-proxy's leg): their
 * rules go into the table in one batch, indexed after the flows before.
 * 0, -EINVAL (past NC_TRACE_MAX_FLOWS in all, or a bad flow), -ENOENT
 * (the table is gone), or what the kernel said.  Passages read before
 * are invalid after it. */
int nc_witness_trace_add_flows(nc_trace_t *t, const nc_trace_flow_t *flows, size_t n, nc_error_t *err);
/* Reads the trace events on loop (a uv_poll on the trace socket) until
 * nc_witness_trace_stop().  0, -EALREADY, or a UV_E* code. */
int nc_witness_trace_start(nc_trace_t *t, uv_loop_t *loop);
/* Reads what the kernel still buffered and stops reading; the passages are
 * final after it.  Callable without start (then it only drains).  0. */
int nc_witness_trace_stop(nc_trace_t *t);
/* Deletes the trace table now (the socket stays for reading what was
 * buffered).  Idempotent: 0 when already gone. */
int nc_witness_trace_remove(nc_trace_t *t, nc_error_t *err);
/* The same on libuv's thread pool, on the loop given to start: the
 * kernel's deletion waits for an RCU grace period (10 to 20 ms measured
 * on a 2-CPU VM) that the run's other teardown need not wait for.  cb (may
 * be NULL) is called on the loop with 0 or a negative errno; freeing t
 * meanwhile is allowed (then cb is not called, the table still goes).
 * 0, -EALREADY, -EINVAL (never started), or a UV_E* code: then cb is never
 * called. */
int nc_witness_trace_remove_async(nc_trace_t *t, void (*cb)(nc_trace_t *t, int status, void *data), void *data);
/* The same with the work queued by queue (uv_queue_work's shape, with
 * queue_data first): a thread that keeps CAP_NET_ADMIN where the pool's
 * threads dropped it.  Returns as nc_witness_trace_remove_async(), and
 * what queue returned. */
typedef int (*nc_witness_queue_fn)(void *queue_data, uv_work_t *req, uv_work_cb work, uv_after_work_cb after);
int nc_witness_trace_remove_queued(nc_trace_t *t, nc_witness_queue_fn queue, void *queue_data,
				   void (*cb)(nc_trace_t *t, int status, void *data), void *data);
/* The fd that owns the table, for a signal handler that exits: close(2)
 * it (async-signal-safe) and the kernel removes the table; nothing may be
 * called on t after that.  -1 when the table is gone or going. */
int nc_witness_trace_owner_fd(const nc_trace_t *t);
/* Removes the table, closes both sockets, stops polling (the handle closes
 * on the loop: run it once before uv_loop_close()).  NULL: no-op. */
void nc_witness_trace_free(nc_trace_t *t);

/* borrowed, valid until nc_witness_trace_free(): "netcheck_trace_<pid>_<runid>" */
const char *nc_witness_trace_table(const nc_trace_t *t);
size_t nc_witness_trace_flow_count(const nc_trace_t *t);
size_t nc_witness_trace_passage_count(const nc_trace_t *t, size_t flow);
/* borrowed, valid until nc_witness_trace_free(), the next event read or
 * nc_witness_trace_add_flows(); NULL out of range.  Passages in the order their first packet came. */
const nc_trace_passage_t *nc_witness_trace_passage(const nc_trace_t *t, size_t flow, size_t i);
void nc_witness_trace_stats(const nc_trace_t *t, nc_trace_stats_t *ret);
/* Where netfilter dropped a packet of flow (a drop ends its passage: a
 * DROP, a REJECT, a policy drop): the step, and in *ret_passage (may be
 * NULL) its passage; the client's direction before the reply's, then in
 * arrival order.  NULL if no packet of the flow was dropped by a rule or
 * a policy.  Borrowed like nc_witness_trace_passage(). */
const nc_trace_step_t *nc_witness_trace_drop(const nc_trace_t *t, size_t flow, const nc_trace_passage_t **ret_passage);

/* Removes the trace tables of runs that are gone: every table named
 * NC_TRACE_TABLE_PREFIX<pid>_... whose pid is not a live netcheck (an owned
 * table of a live run cannot be removed by anyone else anyway).  Returns
 * how many were removed, or a negative errno (-EPERM, -EOPNOTSUPP). */
int nc_witness_trace_gc(nc_error_t *err);

/* "accept", "drop", "continue", "jump", "goto", "return", "queue",
 * "stolen", "break"; "unknown" otherwise.  Static. */
const char *nc_witness_verdict_name(int verdict);
/* "ip", "ip6", "inet", "bridge", "netdev", "arp"; "unknown". Static. */
const char *nc_witness_family_name(uint8_t family);

/* ---- rule text by handle ----------------------------------------------------- */

typedef struct nc_witness_rules nc_witness_rules_t;

/* Lists the ruleset of the calling thread's network namespace as nft
 * prints it with handles.  ret: new, free with nc_witness_rules_free().
 * 0, -EOPNOTSUPP without libnftables, or what listing said (in err). */
int nc_witness_rules_read(nc_witness_rules_t **ret, nc_error_t *err);
/* The same from text (`nft -a list ruleset`; len bytes, copied). */
int nc_witness_rules_parse(const char *text, size_t len, nc_witness_rules_t **ret, nc_error_t *err);
void nc_witness_rules_free(nc_witness_rules_t *r);
/* The rule's text as nft prints it, without the handle comment; its
 * comment, if any, is the text's `comment "..."` and *ret_comment (may be
 * NULL) borrowed unescaped.  family: NFPROTO_*.  Borrowed, valid until
 * nc_witness_rules_free(); NULL if no such rule. */
const char *nc_witness_rules_text(const nc_witness_rules_t *r, uint8_t family, const char *table,
				  const char *chain, uint64_t handle, const char **ret_comment);

/* ---- the host settings that decide paths (witness-sysctl.c) ------------------- */

#define NC_WITNESS_IFNAME_MAX 16 /* IFNAMSIZ */

/* One setting as /proc/sys has it in the calling thread's network namespace. */
typedef struct nc_witness_setting {
	const char *name;                    /* static: "net.ipv4.ip_forward", "net.ipv4.conf.IF.rp_filter"... */
	char ifname[NC_WITNESS_IFNAME_MAX];  /* IF of a per-interface name ("all" too); "" for a global one */
	int value;                           /* -1: not there (bridge-nf-*: br_netfilter not loaded) */
} nc_witness_setting_t;

/* How many settings nc_witness_settings_read() gives for n_if interfaces. */
size_t nc_witness_settings_count(size_t n_if);
/* Reads net.ipv4.ip_forward, net.ipv6.conf.all.forwarding,
 * net.bridge.bridge-nf-call-iptables and -ip6tables, and for "all" and each
 * of ifnames (borrowed, n_if; the interfaces of the run's paths)
 * net.ipv4.conf.IF.route_localnet, .rp_filter, .forwarding and
 * net.ipv6.conf.IF.forwarding.  root: "/proc/sys" when NULL (a copy of it
 * in tests).  ret: caller's, room for nc_witness_settings_count(n_if).
 * Returns how many were written, or -EINVAL (a name that is no interface
 * name) or -ENOSPC. */
int nc_witness_settings_read(const char *root, const char *const *ifnames, size_t n_if, nc_witness_setting_t *ret,
			     size_t max);
/* The setting named name (and ifname, "" for a global one) of list; NULL if none. Borrowed from list. */
const nc_witness_setting_t *nc_witness_setting_find(const nc_witness_setting_t *list, size_t n, const char *name,
						    const char *ifname);

/* ---- the conntrack entries of a run's flows (witness-conntrack.c) -------------- */

/* One connection the kernel tracks, of one of a run's flows: what the
 * client sent (orig) and what the server answers (reply): a DNAT shows as
 * reply_src != orig_dst, a SNAT (masquerade) as reply_dst != orig_src. */
typedef struct nc_witness_ct_entry {
	size_t flow;                          /* index into the flows given */
	uint8_t proto;                        /* IPPROTO_* */
	nc_endpoint_t orig_src, orig_dst;     /* ports host order; ICMP: the echo id */
	nc_endpoint_t reply_src, reply_dst;
	bool dnat, snat;                      /* the kernel's IPS_DST_NAT, IPS_SRC_NAT */
	bool assured, seen_reply;             /* IPS_ASSURED, IPS_SEEN_REPLY */
	uint32_t status;                      /* every IPS_* bit */
	uint8_t tcp_state;                    /* TCP_CONNTRACK_*; 0 if not TCP */
	uint32_t timeout;                     /* seconds left */
	uint32_t mark;
	uint16_t zone;
} nc_witness_ct_entry_t;

#define NC_WITNESS_CT_MAX 4096 /* entries kept of one dump */

/* Dumps the conntrack table of the calling thread's network namespace and
 * keeps the entries of flows (n, borrowed): an entry is a flow's when its
 * original tuple, or its reply tuple turned round (the flow as seen after
 * NAT), matches the flow one way.  *ret: new (free()), *ret_n entries.
 * 0, -EPERM (needs CAP_NET_ADMIN), -EOPNOTSUPP (no conntrack), another
 * errno; err says which in one line. */
int nc_witness_conntrack_read(const nc_trace_flow_t *flows, size_t n, nc_witness_ct_entry_t **ret, size_t *ret_n,
			      nc_error_t *err);
/* One connection by the tuple the client sent (exact: proto, both
 * addresses, both ports or the echo id as src.port): the kernel looks it
 * up in its hash (tens of microseconds) where a dump walks the whole table
 * (about 10 ms, even empty).  0 and *ret (ret->flow is 0), -ENOENT when
 * the kernel tracks no such connection, -EINVAL, -EPERM, -EOPNOTSUPP. */
int nc_witness_conntrack_lookup(const nc_trace_flow_t *exact, nc_witness_ct_entry_t *ret, nc_error_t *err);
/* The same from a recorded dump (ctnetlink messages, len bytes). -EINVAL if malformed. */
int nc_witness_conntrack_parse(const void *buf, size_t len, const nc_trace_flow_t *flows, size_t n,
			       nc_witness_ct_entry_t **ret, size_t *ret_n);
/* "SYN_SENT", "ESTABLISHED", "TIME_WAIT"...; "" for 0; "unknown". Static. */
const char *nc_witness_tcp_state_name(uint8_t state);

#endif
