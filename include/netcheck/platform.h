/* netcheck: the platform interface: routes, interfaces, namespaces,
 * socket tables, process lookup, capabilities, randomness, the OS name and
 * the firewall ruleset.
 * Every Linux-only call netcheck makes sits behind it; the Linux
 * implementation is platform-linux.c (+ platform-posix.c for what any POSIX
 * system shares, platform-common.c for what only formats).  There is no
 * macOS or Windows implementation yet: meson stops with an error there
 * (docs/design.md says what a port needs).
 * Depends on nothing of netcheck but endpoint.h and the model's facts.h
 * (the route kind and a firewall drop are facts the policy reads as they
 * are): callers convert its other plain structs into the result model.  Owns nothing beyond each call.
 * Never prints. */
#ifndef NETCHECK_PLATFORM_H
#define NETCHECK_PLATFORM_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "netcheck/endpoint.h"
#include "netcheck/facts.h"

#define NC_IFNAME_MAX 32

/* A process on this host, as /proc shows it. */
typedef struct nc_platform_process {
	char name[64]; /* comm, e.g. "docker-proxy"; "pid N" when unreadable */
	int pid;       /* 0 = unknown */
	bool listening; /* nc_platform_socket_owners: a socket is there, even when
			 * its process is not one this user may see (pid 0) */
} nc_platform_process_t;

/* One socket of a network namespace's table: a TCP socket in LISTEN or a
 * UDP socket bound to a port.  local.family tells v4 from v6; the address
 * tells a wildcard (0.0.0.0, ::) from loopback (127.0.0.1, ::1) from one
 * specific address. */
typedef struct nc_platform_socket {
	uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	nc_endpoint_t local;    /* address and port it is bound to */
	bool v6only;            /* an AF_INET6 socket that takes no IPv4; false when unknown */
	unsigned long inode;    /* the socket's inode (0 if unknown): ties it to a process */
} nc_platform_socket_t;

#define NC_PLATFORM_MAX_SOCKETS 4096 /* entries read from one table at most */

/* nc_route_kind_t: netcheck/facts.h */
typedef struct nc_route {
	nc_route_kind_t kind;
	char ifname[NC_IFNAME_MAX];
	int ifindex;
	nc_endpoint_t gateway;   /* set for NC_ROUTE_GATEWAY */
	nc_endpoint_t source;    /* preferred source address, if the kernel gave one */
	bool via_default;        /* matched the default route (prefix length 0) */
} nc_route_t;

/* Ask the kernel which route it would use for dst; sends no packet. */
int nc_platform_route_get(const nc_endpoint_t *dst, nc_route_t *ret);
/* "172.17.0.2 dev docker0 src 172.17.0.1" / "via 192.0.2.1 dev eth0" */
int nc_platform_route_format(const nc_endpoint_t *dst, const nc_route_t *rt, char *buf, size_t len);
/* The host's primary address: the preferred source of its default route
 * for family, and the interface it leaves through.  -ENETUNREACH if none. */
int nc_platform_primary_address(int family, nc_endpoint_t *ret_addr, char *ret_ifname, size_t ifname_len);
/* The process listening on TCP port (any local address, v4 or v6).
 * -ENOENT if none is found or it is not visible to us. */
int nc_platform_tcp_listener(uint16_t port, nc_platform_process_t *ret);
/* The same, on one family only: AF_INET reads /proc/net/tcp (where a
 * dual-stack socket does not appear), AF_INET6 /proc/net/tcp6. */
int nc_platform_tcp_listener_family(uint16_t port, int family, nc_platform_process_t *ret);
/* The process holding the UDP socket of family bound to port (what `ss
 * -ulpn` shows: docker-proxy for a published UDP port), from
 * /proc/net/udp or udp6.  -ENOENT if none is found or it is not visible. */
int nc_platform_udp_listener_family(uint16_t port, int family, nc_platform_process_t *ret);
/* Several of the above at once: who holds each socket of q (n of them, at
 * most NC_PLATFORM_MAX_QUERIES; proto IPPROTO_TCP listening or IPPROTO_UDP
 * bound, port, family), with one scan of every process's fds for all of
 * them (a scan costs ~2 ms per socket here).  ret: caller's, n entries;
 * ret[i].pid 0 where none was found.  Returns how many were found, or a
 * negative errno (-EINVAL: n too large). */
#define NC_PLATFORM_MAX_QUERIES 40 /* every UDP port of an inspect both ways, and TCP */
typedef struct nc_platform_socket_query {
	uint8_t proto;
	uint16_t port;
	int family;
} nc_platform_socket_query_t;
int nc_platform_socket_owners(const nc_platform_socket_query_t *q, size_t n, nc_platform_process_t *ret);
/* Is pid (as the engine reported it) a process of container id in our
 * PID namespace?  Its /proc/<pid>/cgroup must name the id. */
bool nc_platform_pid_is_container(int pid, const char *container_id);
int nc_platform_ifname(int ifindex, char *buf, size_t len);
/* The inode of the calling thread's network namespace (what the kernel's
 * ns.inum says of a device there): whether an ifindex the kernel reported
 * names an interface here.  0 or negative errno. */
int nc_platform_netns_inode(uint64_t *ret);
/* The first family address of interface ifname (borrowed), as the kernel
 * lists them: for a bridge, the host's own address on it.  -ENODEV if no
 * such interface, -EADDRNOTAVAIL if it has no address of that family. */
int nc_platform_interface_address(const char *ifname, int family, nc_endpoint_t *ret);
/* iflink (peer ifindex) of ifname inside the network namespace of pid. */
int nc_platform_netns_iflink(int pid, const char *ifname, int *ret_iflink);

/* Clears every capability of the calling thread (effective, permitted,
 * inheritable, ambient, and the bounding set) but those of keep (a mask of
 * the NC_PLATFORM_KEEP_* below, each kept only when the thread holds it)
 * and sets no_new_privs, once the capture handles and the ICMP socket are
 * open.  NC_PLATFORM_KEEP_DAC_OVERRIDE: for an engine socket that root
 * reaches only through it (another user's rootless engine), without which
 * the clean-up could not reconnect; NC_PLATFORM_KEEP_NET_ADMIN: the one
 * thread that does the witness's netlink work after the drop.  0 or
 * negative errno. */
#define NC_PLATFORM_KEEP_DAC_OVERRIDE (1ull << 1) /* CAP_DAC_OVERRIDE */
#define NC_PLATFORM_KEEP_NET_ADMIN (1ull << 12)   /* CAP_NET_ADMIN */
int nc_platform_drop_privileges(uint64_t keep);
/* Does root reach this unix socket only through CAP_DAC_OVERRIDE? */
bool nc_platform_socket_needs_override(const char *path);
/* When run through sudo, give a file we created (fd: open on it) to the
 * invoking user (SUDO_UID/SUDO_GID); a no-op otherwise.  By fd, so a path
 * swapped for a symlink meanwhile changes nothing.  0 or negative errno. */
int nc_platform_give_to_invoking_user(int fd);
/* The width in columns of the terminal fd is, or a negative errno
 * (-ENOTTY when fd is not a terminal, -ENOTSUP where there is no way to ask). */
int nc_platform_terminal_width(int fd);

/* ---- randomness, names ------------------------------------------------ */

/* len bytes from the kernel's CSPRNG (getrandom; never blocks once the
 * pool is initialised).  0 or negative errno. */
int nc_platform_random(void *buf, size_t len);
/* "Linux 6.1.0 x86_64" (uname's sysname, release, machine), for the
 * pcapng Section Header Block.  0, -ENOSPC (truncated) or negative errno. */
int nc_platform_os_description(char *buf, size_t len);
/* Does this host's kernel have IPVS, which the Swarm routing mesh (ingress
 * ports) and virtual IPs need?  1: /proc/net/ip_vs exists, or a module the
 * engine can load is there; 0: neither, with the reason in why (borrowed,
 * len bytes).  Says nothing of other machines' kernels. */
int nc_platform_ipvs(char *why, size_t len);
/* Which host and PID namespace a pid means something in:
 * "<boot id>/<pid namespace inode>" ("?/0" parts when unreadable).  A run
 * on another machine sharing a tcp:// engine, or in another PID
 * namespace, has another one.  0 or -ENOSPC. */
int nc_platform_owner_scope(char *buf, size_t len);
/* This host's kernel: uname's release and the boot id
 * (/proc/sys/kernel/random/boot_id); "" for what cannot be read.
 * ret_release, ret_boot_id: borrowed, the given sizes. */
void nc_platform_kernel(char *ret_release, size_t release_len, char *ret_boot_id, size_t boot_id_len);
/* Is pid a live process (not us) whose command line names netcheck
 * (under valgrind too)? */
bool nc_platform_process_is_netcheck(long pid);

/* ---- network namespaces --------------------------------------------------- */

/* Moves the calling thread into the network namespace of pid
 * (/proc/<pid>/ns/net, setns CLONE_NEWNET).  *ret_saved_fd: new, an
 * O_CLOEXEC fd on the namespace we came from; give it to
 * nc_platform_netns_leave() on every path.  Sockets created meanwhile
 * belong to pid's namespace for good.  0 or negative errno (nothing to
 * leave then). */
int nc_platform_netns_enter(int pid, int *ret_saved_fd);
/* May this process open pid's network namespace at all?  Not when pid is
 * another user's and we lack CAP_SYS_PTRACE (the kernel's ptrace access
 * check), whatever other capabilities we hold. */
bool nc_platform_netns_reachable(int pid);
/* The same for the namespace ns_fd (borrowed) names: one held open, or a
 * named one under /run/netns.  Every namespace netcheck enters, it enters
 * through these two. */
int nc_platform_netns_enter_fd(int ns_fd, int *ret_saved_fd);
/* Returns to the namespace saved_fd names and closes it (takes
 * ownership).  Aborts if it cannot: nothing after that would be safe. */
int nc_platform_netns_leave(int saved_fd);

/* Every listening TCP socket and every bound UDP socket in the network
 * namespace of pid (pid 0: our own), v4 and v6, read with NETLINK_SOCK_DIAG
 * (inet_diag) from a socket opened inside that namespace, or, when
 * sock_diag is not available, from /proc/<pid>/net/{tcp,tcp6,udp,udp6}.
 * Fills up to max entries of ret; *ret_n: how many.  Returns 0, -E2BIG
 * when there were more than max (ret holds the first max), or negative
 * errno (-ENOENT: pid gone or not visible). */
int nc_platform_netns_listeners(int pid, nc_platform_socket_t *ret, size_t max, size_t *ret_n);

/* Readiness: is something in pid's network namespace listening on TCP
 * (proto IPPROTO_TCP) or bound on UDP (IPPROTO_UDP) port?  1 yes, 0 not
 * yet, negative errno when the table cannot be read (-ENOENT: not
 * visible).  One socket-table read; no packet is sent. */
int nc_platform_is_listening(int pid, uint16_t port, int proto);
/* Waits for nc_platform_is_listening() to say yes, checking at 2 ms, then
 * doubling each time to a 100 ms cap (2, 4, 8, ... 64, 100, 100, ...):
 * quick for a port that opens at once, ~10 wake-ups a second for one that
 * never does.  Stops at deadline_ms (uv_hrtime()/1e6 clock: a CLOCK_MONOTONIC
 * value in ms) with -ETIMEDOUT, or, when *cancel becomes non-zero (may be
 * NULL), within one step with -ECANCELED.  1 when listening, or the
 * negative errno of the table read. */
int nc_platform_wait_listening(int pid, uint16_t port, int proto, uint64_t deadline_ms, const volatile sig_atomic_t *cancel);
/* The wait before check number n (0-based) of nc_platform_wait_listening, in ms. */
unsigned nc_platform_wait_step_ms(unsigned n);

/* ---- addresses and their state ------------------------------------------ */

/* One address of an interface, as RTM_GETADDR lists it. */
typedef struct nc_platform_addr {
	nc_endpoint_t address;       /* port 0 */
	int ifindex;                 /* in the namespace it was read in: nc_platform_addrs_ifname() names it */
	uint32_t flags;              /* IFA_F_*, as the kernel gave them (for the report) */
	bool tentative;              /* duplicate address detection runs: the kernel does not use it yet */
	bool dad_failed;             /* it found a duplicate: never used */
	bool global;                 /* scope global (universe): what routes lead to; not link or host (::1) */
} nc_platform_addr_t;

/* A network namespace's addresses, asked about again and again (the
 * readiness wait polls them).  Opened in the namespace of pid (0: the
 * calling thread's; another one needs CAP_SYS_ADMIN, so open it before
 * privileges drop); read without any privilege afterwards.  *ret: new,
 * nc_platform_addrs_close().  0 or negative errno. */
typedef struct nc_platform_addrs nc_platform_addrs_t;
int nc_platform_addrs_open(int pid, nc_platform_addrs_t **ret);
void nc_platform_addrs_close(nc_platform_addrs_t *a); /* NULL is a no-op */
/* The family addresses of the interfaces ifindexes (borrowed, n_ifindexes;
 * NULL: of every interface), one dump and nothing else (the readiness wait
 * reads every 20 ms; naming the interfaces would be a request each): up to
 * max rows of ret, *ret_n how many.  0, -E2BIG when there were more (ret
 * holds the first max), or negative errno. */
int nc_platform_addrs_read(nc_platform_addrs_t *a, int family, const int *ifindexes, size_t n_ifindexes,
			   nc_platform_addr_t *ret, size_t max, size_t *ret_n);
/* The name of interface ifindex in a's namespace (if_indextoname() knows
 * only the calling thread's), for the addresses a caller keeps: ret,
 * NC_IFNAME_MAX bytes, "ifN" when it cannot be named.  One request.  0 or
 * the kernel's negative errno. */
int nc_platform_addrs_ifname(nc_platform_addrs_t *a, int ifindex, char *ret);

/* ---- socket timestamps ---------------------------------------------------- */

/* Asks the kernel to stamp every datagram fd receives with its arrival
 * time on the CLOCK_REALTIME clock (SO_TIMESTAMPNS on Linux).  0 or
 * negative errno; without it, the caller falls back to its own clock. */
int nc_platform_enable_rx_timestamps(int fd);
/* The arrival stamp in a message received by recvmsg() on such a socket.
 * Pure: reads the control messages only.  0, or -ENOENT if none. */
int nc_platform_rx_timestamp(const struct msghdr *msg, struct timespec *ret);
/* Control buffer size recvmsg() needs for that stamp. */
#define NC_PLATFORM_RX_TIMESTAMP_CMSG_SPACE 64

/* Asks the kernel to queue the ICMP errors a (UDP) socket of family
 * receives with the address of their sender (IP_RECVERR, IPV6_RECVERR on
 * Linux).  0 or negative errno. */
int nc_platform_enable_icmp_errors(int fd, int family);
/* Reads fd's queued ICMP errors (MSG_ERRQUEUE, without blocking, a few at
 * most) and gives the sender of the last port unreachable: the host whose
 * kernel refused the datagram.  0, -ENOENT if none was queued, or a
 * negative errno. */
int nc_platform_icmp_refused_by(int fd, nc_endpoint_t *ret);
/* The same from one message read with MSG_ERRQUEUE.  Pure: reads its
 * control messages only.  0, or -ENOENT if it holds no ICMP port
 * unreachable with its sender. */
int nc_platform_icmp_refusal_parse(const struct msghdr *msg, nc_endpoint_t *ret);

/* ==== remote client namespace (Linux: platform-netns.c) ====================
 * A network namespace "netcheck-<run id>" (bind-mounted under /run/netns, as
 * `ip netns add` does) joined to the host by a veth pair: "ncr<run id, 12
 * chars at most>" here, eth0 inside, 198.18.<a>.1/30 and .2/30 (RFC 2544's
 * benchmarking range, never routed; <a> from the run id, never 10).  Inside,
 * one host route to the host's primary address via .1 and no default route,
 * so a socket made there reaches this host as a remote client would: through
 * PREROUTING and FORWARD, not OUTPUT.  Nothing here sends a packet or touches
 * iptables or a global sysctl: the host side's net.ipv4.conf.<veth>.forwarding
 * is the uplink's (platform-netns.c says why), so a host that does not
 * forward a real remote client's packets does not forward the namespace's. */
#include "netcheck/common.h" /* nc_error_t; here to keep this section in one block */

#define NC_REMOTE_NAME_MAX 64
#define NC_REMOTE_RUN_ID_MAX 40     /* [a-z0-9-] */
#define NC_REMOTE_NETNS_PREFIX "netcheck-"

typedef struct nc_platform_remote {
	char netns_name[NC_REMOTE_NAME_MAX];   /* "netcheck-<run id>"; "" = nothing to remove */
	char netns_path[NC_REMOTE_NAME_MAX + 16]; /* "/run/netns/netcheck-<run id>" */
	char host_ifname[NC_IFNAME_MAX];       /* "ncr<run id>", the host side of the veth */
	nc_endpoint_t client_address;          /* 198.18.<a>.2, eth0 inside */
	nc_endpoint_t host_side_address;       /* 198.18.<a>.1, on host_ifname */
	nc_endpoint_t host_address;            /* the host's primary address: what the client connects to */
	char uplink_ifname[NC_IFNAME_MAX];     /* the interface of the host's primary address: real clients' way in */
	bool forwarding;                       /* its conf/<if>/forwarding, copied to host_ifname's */
	int held_fd;                           /* > 0: held by this fd, its name gone (nc_platform_remote_hold) */
} nc_platform_remote_t;

/* Keeps the namespace by an fd of this process and removes its name: from
 * then on it (and its veth pair) lives exactly as long as this process,
 * and the kernel frees it when the process ends, by SIGKILL too, without
 * any privilege (netcheck drops CAP_SYS_ADMIN before probing, so it could
 * not unmount a named one at the end).  Needs the privilege itself, so
 * call it right after nc_platform_remote_create().  0 or negative errno
 * (the namespace is then still named and whole). */
int nc_platform_remote_hold(nc_platform_remote_t *r);

/* Is run_id usable in the names: 1 to NC_REMOTE_RUN_ID_MAX of [a-z0-9-]? */
bool nc_platform_remote_run_id_valid(const char *run_id);
/* The third octet <a> of 198.18.<a>.0/30 for run_id on the attempt-th try
 * (0 first; a taken subnet moves on): in 0..255, never 10 (the Swarm lab's
 * 198.18.10.0/24).  Pure.  -EINVAL for an invalid run id. */
int nc_platform_remote_subnet(const char *run_id, unsigned attempt);
/* Creates the namespace, the veth, the addresses and the route.  ret: filled
 * (zeroed first, so nc_platform_remote_destroy() on it is always safe); on
 * failure whatever was made is removed again.  Needs CAP_SYS_ADMIN and
 * CAP_NET_ADMIN; where /run/netns is not this process's to write (no
 * CAP_DAC_OVERRIDE: a member of the package's group), the namespace is held
 * by ret->held_fd from the start and named nowhere.  0 or negative errno,
 * with err->text saying what failed. */
int nc_platform_remote_create(const char *run_id, nc_platform_remote_t *ret, nc_error_t *err);
/* Removes the veth and the namespace; idempotent
 * (clears r->netns_name).  r may be NULL. */
void nc_platform_remote_destroy(nc_platform_remote_t *r);
/* A new socket (type SOCK_STREAM or SOCK_DGRAM, AF_INET, non-blocking,
 * close-on-exec) made inside r's namespace, for uv_tcp_open/uv_udp_open.
 * The calling thread enters the namespace only for socket() and is back in
 * its own before this returns.  *ret_fd: new, the caller's.  0 or -errno. */
int nc_platform_remote_connect_fd(const nc_platform_remote_t *r, int type, int *ret_fd);
/* The netcheck-* namespaces under /run/netns (leftovers, for `netcheck gc`).
 * names: borrowed, max rows; *ret_n: how many were filled.  0 or -errno. */
int nc_platform_remote_list(char names[][NC_REMOTE_NAME_MAX], size_t max, size_t *ret_n);
/* Removes the namespace name ("netcheck-<run id>") and its host-side veth.
 * 0 (also when already gone) or negative errno; -EINVAL for another name. */
int nc_platform_remote_destroy_name(const char *name);
/* ==== end of remote client namespace ======================================= */

/* ==== the firewall ruleset (Linux: platform-firewall.c) ===================
 * nftables' ruleset, read with libnftables as JSON (what `nft -j list
 * ruleset` prints).  With iptables-nft (Debian 12's iptables) dockerd's
 * rules and the user's iptables rules are in it too; with iptables-legacy
 * they are not (nc_platform_firewall_legacy_tables() says when such tables
 * exist).  One question is answered, for one new TCP connection over IPv4:
 * does a base chain on the input or the forward hook drop or reject it, and
 * where?  The walk follows jump, goto and return; an accept ends one base
 * chain, a drop or reject anywhere is final, a base chain's policy applies
 * at its end.  A match it cannot read (an xt match such as multiport or
 * conntrack, fib, a named set) counts as not matching: "dropped" is never
 * guessed from a rule it cannot read.  Never prints. */
typedef struct nc_platform_firewall nc_platform_firewall_t; /* a parsed ruleset */

typedef enum nc_platform_hook {
	NC_PLATFORM_HOOK_INPUT = 0, /* to this host: filter INPUT and any base chain with hook input */
	NC_PLATFORM_HOOK_FORWARD,   /* routed through it: filter FORWARD (DOCKER-USER, DOCKER by jump) */
} nc_platform_hook_t;

/* The connection asked about (TCP, new, IPv4). */
typedef struct nc_platform_fw_packet {
	nc_endpoint_t src;             /* family 0: any client address but loopback, any port */
	nc_endpoint_t dst;             /* address and TCP port, AF_INET */
	char iifname[NC_IFNAME_MAX];   /* "": any interface but lo */
	char oifname[NC_IFNAME_MAX];   /* forward: the interface it leaves by; "" for input */
	bool dnat;                     /* its destination was rewritten (ct status dnat) */
} nc_platform_fw_packet_t;

#define NC_PLATFORM_FW_NAME_MAX NC_FW_NAME_MAX
#define NC_PLATFORM_FW_RULE_MAX NC_FW_RULE_MAX

/* Where the connection is dropped: the model's fact type (facts.h), so
 * that run hands it to the policy as it is. */
typedef nc_fw_drop_t nc_platform_fw_drop_t;

/* Reads the ruleset of this network namespace (needs CAP_NET_ADMIN).
 * *ret: new, nc_platform_firewall_free().  0, -ENOTSUP when netcheck was
 * built without libnftables, -EPERM, -E2BIG past NC_PLATFORM_FW_JSON_MAX,
 * or another negative errno; err->text says what failed. */
#define NC_PLATFORM_FW_JSON_MAX (32u << 20)
int nc_platform_firewall_read(nc_platform_firewall_t **ret, nc_error_t *err);
/* The same from a JSON document (json: borrowed, len bytes): what
 * nc_platform_firewall_read() uses, and the unit tests with recorded
 * rulesets.  -EBADMSG when it is not an nftables ruleset, -E2BIG past
 * NC_PLATFORM_FW_MAX_CHAINS chains or NC_PLATFORM_FW_MAX_RULES rules. */
#define NC_PLATFORM_FW_MAX_CHAINS 8192
#define NC_PLATFORM_FW_MAX_RULES 65536
int nc_platform_firewall_parse(const char *json, size_t len, nc_platform_firewall_t **ret, nc_error_t *err);
void nc_platform_firewall_free(nc_platform_firewall_t *fw); /* NULL is a no-op */
/* Were there legacy (x_tables) iptables tables on this host when the ruleset
 * was read?  Their rules are not in it.  Always false for a parsed one. */
bool nc_platform_firewall_legacy_tables(const nc_platform_firewall_t *fw);
/* Does a base chain on hook drop or reject pkt?  1 with *ret filled (the
 * first drop, base chains in priority order), 0 when none does, -EINVAL for
 * a packet it cannot ask about (not AF_INET), -ELOOP when jumps nest deeper
 * than 16 or the walk is too long.  Pure. */
int nc_platform_firewall_drops(const nc_platform_firewall_t *fw, nc_platform_hook_t hook,
			       const nc_platform_fw_packet_t *pkt, nc_platform_fw_drop_t *ret);
/* ==== end of the firewall ruleset ========================================= */

#endif
