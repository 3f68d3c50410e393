/* Private to the capture agent (agent.c, agent-find.c): its state, and
 * the finding of its points on the engine host.  libc only. */
#ifndef NETCHECK_AGENT_INTERNAL_H
#define NETCHECK_AGENT_INTERNAL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netcheck/agent-wire.h"

#define AGENT_POINTS_MAX 16
#define AGENT_MATCH_MAX 32
#define AGENT_SNAPLEN_DEFAULT 512
#define AGENT_COUNTERS_EVERY_MS 1000
#define DLT_EN10MB_ 1
#define DLT_RAW_ 101
#define NC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum { FIND_BY_NAME, FIND_BY_ADDR, FIND_VXLAN }; /* how a point's interface is found, in its namespace */

typedef struct agent_point {
	int fd;
	char ifname[IF_NAMESIZE];
	int pid; /* 0: the engine host's namespace (or ns_path's) */
	char ns_path[192]; /* "": pid's namespace, or the host's; else an nsfs file (an overlay's) */
	uint8_t find;      /* FIND_*: ifname as given, or looked up once in the namespace */
	struct in6_addr addr; /* FIND_BY_ADDR: the address it holds (IPv4 v4-mapped) */
	uint8_t role; /* nc_agent_role_t */
	int ifindex;
	uint32_t linktype;
	bool loopback;
	uint64_t received, dropped, filtered_out;
} agent_point_t;

typedef struct agent {
	agent_point_t points[AGENT_POINTS_MAX];
	size_t n_points;
	struct in6_addr match[AGENT_MATCH_MAX]; /* IPv4 as v4-mapped */
	size_t n_match;
	uint16_t match_port[AGENT_MATCH_MAX];
	size_t n_match_port;
	uint32_t snaplen;
	int containers[AGENT_POINTS_MAX / 3]; /* --container PID: expanded once the points open */
	size_t n_containers;
	char overlays[2][80]; /* --overlay NETID: expanded then too */
	size_t n_overlays;
	size_t n_containers_expanded, n_overlays_expanded, n_points_open; /* done so far (TARGET adds more) */
	uint8_t in[4096]; /* stdin's partial record */
	size_t in_len;
	bool stopping;
} agent_t;

/* agent.c: an ERROR record for point (NC_AGENT_POINT_SELF: the agent) */
int nc_agent_send_error(uint16_t point, int error, const char *what);

/* agent-find.c */
/* A new point (NULL: the table is full, or the name too long). */
agent_point_t *nc_agent_new_point(agent_t *a, const char *ifname, int pid, uint8_t role);
/* --container PID: eth0 inside it, its veth here, the bridge of that veth. */
void nc_agent_expand_container(agent_t *a, int pid);
/* --overlay NETID: its VXLAN device in its namespace. */
void nc_agent_expand_overlay(agent_t *a, const char *netid);
/* Lookups in the network namespace the thread is in (ifname: len bytes, at
 * least IF_NAMESIZE).  0, -ENODEV (none), or -errno. */
int nc_agent_ifname_by_addr(const struct in6_addr *addr, char *ifname, size_t len); /* IPv4 v4-mapped */
int nc_agent_vxlan_ifname(char *ifname, size_t len);
/* The nsfs file of overlay network netid's namespace, through dockerd's
 * root: path (len bytes) "/proc/<dockerd>/root/.../netns/1-<netid[:10]>".
 * 0, -ESRCH (no dockerd among the pids), -ENOENT (no such namespace). */
int nc_agent_overlay_ns(const char *netid, char *path, size_t len);
/* The same over mountinfo (dockerd's, pid's; read to its end at most):
 * the first mount point that is overlay netid's sandbox key.  0, -ENOENT,
 * -ENAMETOOLONG.  Pure but for reading mountinfo. */
int nc_agent_overlay_in_mountinfo(FILE *mountinfo, int pid, const char *netid, char *path, size_t len);
/* Is mount_point ".../netns/<digits>-<the first 10 characters of netid>"? */
bool nc_agent_is_overlay_key(const char *mount_point, const char *netid);

#endif
