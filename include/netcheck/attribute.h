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
	bool relayed;          /* made by netcheck's responder on request: the nonce
				* rides that request (leg control), not a proxy leg */
	nc_endpoint_t forwarder_from; /* address (port ignored) a forwarder connects
				       * to the container from: the host's address on
				       * the route there; unset = any */
} nc_attr_probe_t;

/* How long after accepting the client's connection a forwarder
 * (docker-proxy) may open its own to the container and still be matched by
 * time alone. */
#define NC_ATTR_FORWARDER_WINDOW_NS (1000ULL * 1000 * 1000)

/* For each packet i: ret_probe[i] = probe index or -1, ret_leg[i] = leg
 * (NC_LEG_NONE when unattributed).  Both directions of a flow count.  A
 * probe's own legs win over another probe's proxy match.  In order:
 *  1. the probe's own 5-tuple (client), the container in place of the
 *     dialled address (translated), masqueraded NAT by sequence numbers;
 *  2. netcheck's control connection of a relayed probe: a TCP flow whose
 *     request starts "GET /connect?" and carries its nonce (control; such
 *     packets belong to the probe but are no hop of its path);
 *  3. a forwarder's connection to the container ip:port (proxy-to-container),
 *     the whole 5-tuple, when one of its packets
 *     a. carries the probe's nonce, or
 *     b. carries exactly the bytes of the probe's first request (a relay
 *        copies them; the Host header names the dialled address), no
 *        earlier than the probe sent them and within the window, or
 *     c. opens it (a SYN) within NC_ATTR_FORWARDER_WINDOW_NS after the
 *        probe's connection was accepted (its SYN-ACK), from forwarder_from
 *        when set, and exactly one probe without a forwarder leg of its
 *        own qualifies (the matches of a and b are made first; a probe
 *        whose own connection reached the container translated, by kernel
 *        NAT, has no forwarder and does not qualify).  Two probes that send
 *        nothing through forwarders to one container port must not be open
 *        at once (run-probe.c starts the second after the first).
 * Returns the number of attributed packets (control ones included).
 * pkts, probes: borrowed for the call; ret_*: caller-owned, n entries.
 * -EINVAL / -ENOMEM. */
int nc_attribute(const nc_packet_t *pkts, size_t n, const nc_attr_probe_t *probes, size_t n_probes,
		 int *ret_probe, nc_leg_t *ret_leg);


/* Replaces p's evidence with what the attribution gave probe_index:
 * one hop per (capture point, leg, connection), src→dst and direction of
 * the connection's first packet at that point, first/last ts and packet
 * count (both directions), in trail order (time of each hop's first
 * packet); and one packet summary per packet in time order.  Control
 * packets (NC_LEG_CONTROL) are neither: they are netcheck's, not the path's.
 * Hops beyond
 * NC_MAX_HOPS and packets beyond NC_MAX_PACKETS_PER_PATH are left out (the
 * earliest are kept).  probe_of/leg_of: nc_attribute()'s output for pkts.
 * point_names[i] names capture point i (a missing name becomes "point<i>").
 * A path whose local address is unset or the wildcard (an ICMP socket's)
 * gets its first echo request's source address (its port, the echo id,
 * stays).  Sets p->evidence_state = NC_EVIDENCE_CAPTURED.  0, -EINVAL or -ENOMEM. */
int nc_attribute_fill_path(nc_path_t *p, int probe_index, const nc_packet_t *pkts, size_t n,
			   const int *probe_of, const nc_leg_t *leg_of,
			   const char *const *point_names, size_t n_points);

/* Whether a capture point of that kind can be on a path of that kind's
 * way: the peer's points only for paths that start in a container (a
 * host path's packet seen there was flooded by the bridge).  Pure. */
bool nc_attribute_point_on_way(nc_point_kind_t point, nc_path_kind_t path);

/* Whether a filled path has a hop of that leg (at that capture point, for
 * the _at form; point borrowed). */
bool nc_attribute_path_has_leg(const nc_path_t *p, nc_leg_t leg);
bool nc_attribute_path_has_leg_at(const nc_path_t *p, nc_leg_t leg, const char *point);

#endif
