/* netcheck: attributing captured packets to probes.
 *
 * Pure functions over a packet list: no I/O, no state.  nc_attribute()
 * says which probe (and which leg of its path) each packet belongs to;
 * nc_attribute_fill_path() turns that into a path's hops and packet
 * summaries in the result model.
 * May call: endpoint.c, result.c (nc_path_add_hop/_packet). */
#ifndef NETCHECK_ATTRIBUTE_H
#define NETCHECK_ATTRIBUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/endpoint.h"
#include "netcheck/packet.h"
#include "netcheck/result.h"

/* nc_leg_t, nc_leg_name() and nc_leg_from_name() are the model's (result.h). */

typedef struct nc_attr_probe {
	int proto;             /* IPPROTO_TCP, or IPPROTO_ICMP / IPPROTO_ICMPV6 */
	nc_endpoint_t local;   /* our socket's address:port; ICMP: echo id in port,
				* address may be unset (then any source matches) */
	nc_endpoint_t dialled; /* what the probe connected/pinged */
	nc_endpoint_t container; /* the container ip:port (TCP); may equal dialled */
	const char *nonce;     /* borrowed; NULL or "" = no proxy leg is looked for */
} nc_attr_probe_t;

/* For each packet i: ret_probe[i] = probe index or -1, ret_leg[i] = leg
 * (NC_LEG_NONE when unattributed).  Both directions of a flow count.  A
 * probe's own legs win over another probe's proxy match.
 * pkts, probes: borrowed for the call; ret_*: caller-owned, n entries.
 * Returns the number of attributed packets, or -EINVAL / -ENOMEM. */
int nc_attribute(const nc_packet_t *pkts, size_t n, const nc_attr_probe_t *probes, size_t n_probes,
		 int *ret_probe, nc_leg_t *ret_leg);


/* Replaces p's evidence with what the attribution gave probe_index:
 * one hop per (capture point, leg, connection), src→dst and direction of
 * the connection's first packet at that point, first/last ts and packet
 * count (both directions), in trail order (time of each hop's first
 * packet); and one packet summary per packet in time order.  Hops beyond
 * NC_MAX_HOPS and packets beyond NC_MAX_PACKETS_PER_PATH are left out (the
 * earliest are kept).  probe_of/leg_of: nc_attribute()'s output for pkts.
 * point_names[i] names capture point i (a missing name becomes "point<i>").
 * Sets p->evidence_state = NC_EVIDENCE_CAPTURED.  0, -EINVAL or -ENOMEM. */
int nc_attribute_fill_path(nc_path_t *p, int probe_index, const nc_packet_t *pkts, size_t n,
			   const int *probe_of, const nc_leg_t *leg_of,
			   const char *const *point_names, size_t n_points);

/* Whether a filled path has a hop of that leg (at that capture point, for
 * the _at form; point borrowed). */
bool nc_attribute_path_has_leg(const nc_path_t *p, nc_leg_t leg);
bool nc_attribute_path_has_leg_at(const nc_path_t *p, nc_leg_t leg, const char *point);

#endif
