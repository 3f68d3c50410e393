/* netcheck: the kernel's drop reasons for a run's own packets.
 *
 * Packets that vanish outside netfilter (forwarding disabled, no route,
 * rp_filter, a neighbour that never answered, no socket, a full backlog)
 * are freed through kfree_skb with a reason (enum skb_drop_reason) and the
 * kernel address that freed them.  For the flows of a run, an eBPF program
 * on the skb:kfree_skb tracepoint (tp_btf, CO-RE from the kernel's BTF,
 * loaded by bpftool's light skeleton: the kernel relocates it, no 6 MB BTF
 * parse in user space; libbpf reads the ring buffer) reads each dropped packet's IPv4/IPv6 and TCP/UDP/ICMP
 * headers, keeps only the run's flows (compared in the kernel) and puts
 * reason, location, device, network namespace and time on a ring buffer
 * read on the caller's libuv loop.  Each flow gets the distinct drops its
 * packets met, repeats counted.  The program sees every network namespace:
 * the event says which (its inode, as `ls -l /proc/PID/ns/net` shows it).
 *
 * The location's symbol is named by the kernel itself as the event is
 * made (bpf_snprintf "%pS"); /proc/kallsyms is read only when it did not.
 * The reason's name is read when asked for, after the run, from the
 * running kernel's BTF (enum skb_drop_reason, never a table of our own
 * that drifts).
 *
 * Built only with libbpf, clang and bpftool (meson feature `dropreason`,
 * NC_HAVE_DROPREASON); without them nc_dropreason_new() returns -EOPNOTSUPP
 * (-ENOTSUP: the same value on Linux) and says so in one line.
 *
 * May call: model (endpoint, errors), libbpf, libuv.  Called by: run.
 * Never prints. */
#ifndef NETCHECK_DROPREASON_H
#define NETCHECK_DROPREASON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "netcheck/common.h"
#include "netcheck/result.h"
#include "netcheck/witness.h"

/* The same flows as the nftables trace's (witness.h): proto, src, dst;
 * unset endpoint or port 0 matches any, both directions, for ICMP a port
 * is the echo identifier.  A run hands one list to both.  A packet is
 * compared as the kernel holds it when it drops it: after a DNAT, by the
 * translated address (the container's), so a path through NAT needs both
 * its flows, before and after, as for the trace. */
typedef nc_trace_flow_t nc_drop_flow_t;

#define NC_DROP_MAX_FLOWS 64
#define NC_DROP_MAX_KINDS 16       /* distinct drops kept per flow; more: stats.kinds_dropped */

/* Drops of one flow that had the same reason, location, device, namespace
 * and direction. */
typedef struct nc_drop {
	uint32_t reason;           /* enum skb_drop_reason, as the running kernel numbers it */
	uint64_t location;         /* the kernel address that freed the packet */
	char symbol[64];           /* "function+0xoff" as the kernel named it ("%pS"); "" if it did not */
	uint32_t ifindex;          /* the packet's device (or the one it came in on); 0 unknown */
	uint32_t netns;            /* that device's network namespace inode; 0 unknown */
	bool reply;                /* the packets matched the flow reversed */
	uint8_t tcp_flags;         /* of the first packet; TCP only */
	uint8_t icmp_type;         /* of the first packet; ICMP/ICMPv6 only */
	uint8_t proto;             /* the first packet's protocol, addresses and ports as dropped */
	nc_endpoint_t src;
	nc_endpoint_t dst;
	unsigned packets;
	uint64_t first_ns;         /* CLOCK_MONOTONIC, uv_hrtime()'s clock */
	uint64_t last_ns;
} nc_drop_t;

typedef struct nc_drop_stats {
	uint64_t seen;             /* kfree_skb calls with an IP header, every flow of the host */
	uint64_t matched;          /* of them, of a run's flow */
	uint64_t lost;             /* matched but the ring buffer was full */
	unsigned events;           /* events read from the ring buffer */
	unsigned kinds_dropped;    /* events past NC_DROP_MAX_KINDS distinct drops of a flow */
	bool symbols_hidden;       /* /proc/kallsyms, when read, showed zeroes: locations stay unnamed */
	uint64_t attach_ns;        /* open + load + attach, CLOCK_MONOTONIC */
	uint64_t detach_ns;        /* detach (in nc_dropreason_stop() or _free()) */
} nc_drop_stats_t;

typedef struct nc_dropreason nc_dropreason_t;

/* Loads and attaches the program for flows (n of them, 0..NC_DROP_MAX_FLOWS;
 * copied; flow i is index i).  ret: new, free with nc_dropreason_free().
 * 0; -EPERM without CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN); -EOPNOTSUPP
 * built without it, or a kernel without BTF or kfree_skb's reason;
 * -EINVAL; -ENOMEM; another errno from libbpf.  err gets one line that says
 * what is missing (the run goes on without it). */
int nc_dropreason_new(const nc_drop_flow_t *flows, size_t n, nc_dropreason_t **ret, nc_error_t *err);
/* The same on libuv's thread pool, so that the run's loop need not wait
 * for it (3-4 ms of CPU on a 2-CPU VM, most of it the kernel verifying and
 * relocating the program; on a machine with no idle CPU the loop may wait
 * as long anyway).  cb is called on loop exactly once, with d (new, the
 * callee's to free) and 0, or NULL, a negative errno and err (borrowed,
 * valid during cb); the loop must run until it is.  0, -EINVAL, -ENOMEM,
 * -EOPNOTSUPP (built without eBPF) or a UV_E* code, with its line in err
 * (may be NULL): then cb is never called. */
typedef void (*nc_dropreason_new_cb)(nc_dropreason_t *d, int status, const nc_error_t *err, void *data);
int nc_dropreason_new_async(uv_loop_t *loop, const nc_drop_flow_t *flows, size_t n, nc_dropreason_new_cb cb,
			    void *data, nc_error_t *err);
/* Adds flows (n, copied; all or none) after the ones given so far, whose
 * indices stay: a run can load the program early, before it knows its
 * addresses, and add them when it does (a map write: microseconds).
 * 0, -EINVAL (a flow, or after stop), -E2BIG (more than
 * NC_DROP_MAX_FLOWS in all), another errno from the kernel. */
int nc_dropreason_add_flows(nc_dropreason_t *d, const nc_drop_flow_t *flows, size_t n);
/* Forgets every flow and the drops recorded for them; the program stays
 * attached, so that a watch's next cycle adds its own flows (a map write)
 * instead of loading the program and reading the BTF again (3-4 ms of CPU
 * a cycle).  Reading on the loop stops (the poll keeps no loop alive)
 * until nc_dropreason_start() again.  An event of a forgotten flow still
 * on the ring buffer is dropped when read (no flow has its index until
 * flows are added; nc_dropreason_add_flows() reads the ring first).
 * 0, -EINVAL after stop. */
int nc_dropreason_clear_flows(nc_dropreason_t *d);
/* The ring buffer's fd (an epoll fd: readable when events wait), for a
 * caller that polls it itself and calls nc_dropreason_consume(). */
int nc_dropreason_fd(const nc_dropreason_t *d);
/* Reads what waits on the ring buffer, without blocking.  The number of
 * events read, or a negative errno. */
int nc_dropreason_consume(nc_dropreason_t *d);
/* Reads the events on loop (a uv_poll on nc_dropreason_fd()) until
 * nc_dropreason_stop() or nc_dropreason_clear_flows(); after the latter
 * again (on the same loop).  0, -EALREADY (reading, or stopped), or a UV_E*
 * code. */
int nc_dropreason_start(nc_dropreason_t *d, uv_loop_t *loop);
/* Detaches the program, reads what is left and stops reading: the drops
 * are final after it.  Callable without start.  Idempotent.  0. */
int nc_dropreason_stop(nc_dropreason_t *d);
/* Detaches, closes everything (the poll handle closes on the loop: run it
 * once before uv_loop_close()).  NULL: no-op. */
void nc_dropreason_free(nc_dropreason_t *d);

size_t nc_dropreason_flow_count(const nc_dropreason_t *d);
size_t nc_dropreason_drop_count(const nc_dropreason_t *d, size_t flow);
/* borrowed, valid until nc_dropreason_free() or the next event read; NULL
 * out of range.  In the order their first packet came. */
const nc_drop_t *nc_dropreason_drop(const nc_dropreason_t *d, size_t flow, size_t i);
void nc_dropreason_stats(const nc_dropreason_t *d, nc_drop_stats_t *ret);

/* The reason's name as the running kernel's BTF says it, without the
 * SKB_DROP_REASON_ prefix ("NO_SOCKET", "IP_INADDRERRORS"); a subsystem's
 * reason as "SUBSYS:N" ("OPENVSWITCH:3").  The BTF is read at the first
 * call.  Borrowed, valid until nc_dropreason_free(); NULL if the kernel
 * has no such reason or its BTF cannot be read. */
const char *nc_dropreason_reason_name(nc_dropreason_t *d, uint32_t reason);
/* The location as "function+0xoff": as the kernel named it in the event,
 * else from /proc/kallsyms (read at the first such call, once for every
 * location seen so far; 100+ ms).  Borrowed, valid until
 * nc_dropreason_free(); NULL when kallsyms hides addresses (a reader
 * without CAP_SYSLOG sees zeroes: stats.symbols_hidden) or has none below it. */
const char *nc_dropreason_symbol(nc_dropreason_t *d, uint64_t location);

/* drop as the model's observation (source "drop-reason"): reason (the
 * name, or its number when the kernel's BTF has none), location (the
 * symbol, or the address when unnamed) and a sentence saying how many
 * packets, which way, where.  Reads the names as the calls above do.
 * ret: filled whole.  0, or -EINVAL (drop NULL). */
int nc_dropreason_observe(nc_dropreason_t *d, const nc_drop_t *drop, nc_observation_t *ret);

#endif
