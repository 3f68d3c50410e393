/* Attribution: which probe, and which leg of its path, each captured
 * packet belongs to; then a path's hops and packet summaries.
 *
 * Owns nothing past a call.  Pure: no I/O.  May call: endpoint.c and
 * result.c's nc_path_add_hop()/nc_path_add_packet(). */
#include "netcheck/attribute.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/testing.h"


/* src→dst is a→b or b→a */
static bool between(const nc_packet_t *p, const nc_endpoint_t *a, const nc_endpoint_t *b)
{
	return (nc_endpoint_equal(&p->src, a) && nc_endpoint_equal(&p->dst, b)) ||
	       (nc_endpoint_equal(&p->src, b) && nc_endpoint_equal(&p->dst, a));
}

static bool is_tcp_probe(const nc_attr_probe_t *pr)
{
	return pr->proto == IPPROTO_TCP;
}

/* TCP or UDP: probes with 5-tuples and a nonce in the payload */
static bool is_transport_probe(const nc_attr_probe_t *pr)
{
	return pr->proto == IPPROTO_TCP || pr->proto == IPPROTO_UDP;
}

static bool is_icmp_probe(const nc_attr_probe_t *pr)
{
	return pr->proto == IPPROTO_ICMP || pr->proto == IPPROTO_ICMPV6;
}

static bool is_echo(const nc_packet_t *p)
{
	if (p->proto == IPPROTO_ICMP)
		return p->icmp_type == 8 || p->icmp_type == 0;
	if (p->proto == IPPROTO_ICMPV6)
		return p->icmp_type == 128 || p->icmp_type == 129;
	return false;
}

static bool matches_icmp(const nc_packet_t *p, const nc_attr_probe_t *pr)
{
	bool local_addr = nc_endpoint_is_set(&pr->local);

	if (!is_echo(p) || p->src.port != pr->local.port)
		return false;
	if (nc_endpoint_addr_equal(&p->dst, &pr->dialled))
		return !local_addr || nc_endpoint_addr_equal(&p->src, &pr->local);
	if (nc_endpoint_addr_equal(&p->src, &pr->dialled))
		return !local_addr || nc_endpoint_addr_equal(&p->dst, &pr->local);
	return false;
}

/* The exact legs: the probe's own 5-tuple, or the same source with the
 * destination rewritten to the container. */
static nc_leg_t exact_leg(const nc_packet_t *p, const nc_attr_probe_t *pr)
{
	if (is_icmp_probe(pr))
		return matches_icmp(p, pr) ? NC_LEG_ICMP : NC_LEG_NONE;
	if (!is_transport_probe(pr) || p->proto != pr->proto)
		return NC_LEG_NONE;
	if (between(p, &pr->local, &pr->dialled))
		return NC_LEG_CLIENT;
	if (nc_endpoint_is_set(&pr->container) && between(p, &pr->local, &pr->container))
		return NC_LEG_TRANSLATED;
	return NC_LEG_NONE;
}

/* Sequence numbers of a probe's client flow, per direction: NAT keeps
 * them, a proxy's own connection does not. */
struct seqs {
	uint32_t *v; /* owned */
	size_t n;
};

static bool has_seq(const struct seqs *s, uint32_t seq)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == seq)
			return true;
	return false;
}

/* Masqueraded NAT (e.g. hairpin from 127.0.0.1): the source address is
 * rewritten, the port and the sequence numbers are not.  When the client
 * leg was seen, its sequence numbers must match (a proxy's connection that
 * happens to use the same port has its own); when it was not (DNAT in
 * OUTPUT rewrites before any interface sees the packet), the port alone
 * decides. */
static bool masqueraded(const nc_packet_t *p, const nc_attr_probe_t *pr, const struct seqs *out, const struct seqs *in)
{
	bool client_seen = out->n > 0 || in->n > 0;

	if (p->proto != IPPROTO_TCP || !is_tcp_probe(pr) || !nc_endpoint_is_set(&pr->container))
		return false;
	if (nc_endpoint_equal(&p->dst, &pr->container) && p->src.port == pr->local.port &&
	    p->src.family == pr->container.family)
		return !client_seen || has_seq(out, p->tcp_seq);
	if (nc_endpoint_equal(&p->src, &pr->container) && p->dst.port == pr->local.port &&
	    p->dst.family == pr->container.family)
		return !client_seen || has_seq(in, p->tcp_seq);
	return false;
}

static bool payload_has(const nc_packet_t *p, const char *nonce, size_t nonce_len)
{
	uint32_t caplen = p->caplen < NC_SNAPLEN ? p->caplen : NC_SNAPLEN;

	if (p->payload_len == 0 || p->payload_off > caplen || p->payload_len > caplen - p->payload_off)
		return false;
	return memmem(p->data + p->payload_off, p->payload_len, nonce, nonce_len) != NULL;
}

/* ---- flows claimed as a whole: control requests and forwarders' legs ---- */

/* What the rules below read: the packets, what earlier steps found, and
 * per probe its first request and when its connection was accepted. */
struct claim {
	const nc_packet_t *pkts; /* borrowed */
	size_t n;
	const nc_attr_probe_t *probes; /* borrowed */
	size_t n_probes;
	int *probe_of;     /* borrowed: nc_attribute()'s ret_probe */
	nc_leg_t *leg_of;  /* borrowed: ret_leg */
	size_t *request;   /* owned: [k] the probe's first client packet with a payload, or n */
	uint64_t *accepted; /* owned: [k] its first SYN-ACK's time, UINT64_MAX if none */
	uint64_t *ended;   /* owned: [k] its first FIN or RST's time, UINT64_MAX if none */
	bool *forwarded;   /* owned: [k] a forwarder leg is already the probe's */
	bool *translated;  /* owned: [k] its own connection reached the container by kernel NAT: no forwarder's */
};

/* A rule: whether unclaimed packet i ties its flow to probe k. */
typedef bool (*flow_rule_t)(const struct claim *c, size_t i, size_t k);

static size_t nonce_len(const nc_attr_probe_t *pr)
{
	return pr->nonce != NULL ? strnlen(pr->nonce, NC_SNAPLEN) : 0;
}

/* one end of p is the probe's container ip:port, which it did not dial itself */
static bool to_container(const nc_packet_t *p, const nc_attr_probe_t *pr)
{
	if (!is_transport_probe(pr) || pr->proto != p->proto || !nc_endpoint_is_set(&pr->container))
		return false;
	return nc_endpoint_equal(&p->dst, &pr->container) || nc_endpoint_equal(&p->src, &pr->container);
}

#define CONTROL_REQUEST "GET /connect?"

static bool match_control(const struct claim *c, size_t i, size_t k)
{
	const nc_packet_t *p = &c->pkts[i];
	const nc_attr_probe_t *pr = &c->probes[k];
	size_t len = nonce_len(pr);

	if (!pr->relayed || p->proto != IPPROTO_TCP || len == 0 || p->payload_len < sizeof(CONTROL_REQUEST) - 1 ||
	    !payload_has(p, pr->nonce, len))
		return false;
	return memcmp(p->data + p->payload_off, CONTROL_REQUEST, sizeof(CONTROL_REQUEST) - 1) == 0;
}

static bool match_nonce(const struct claim *c, size_t i, size_t k)
{
	const nc_attr_probe_t *pr = &c->probes[k];
	size_t len = nonce_len(pr);

	return !pr->relayed && len > 0 && to_container(&c->pkts[i], pr) && payload_has(&c->pkts[i], pr->nonce, len);
}

static bool payload_in_bounds(const nc_packet_t *p)
{
	return p->payload_off <= NC_SNAPLEN && p->payload_len <= NC_SNAPLEN - p->payload_off &&
	       p->payload_off + p->payload_len <= p->caplen;
}

/* the probe's first request, byte for byte, towards the container */
static bool match_relayed_bytes(const struct claim *c, size_t i, size_t k)
{
	const nc_packet_t *p = &c->pkts[i], *q;
	const nc_attr_probe_t *pr = &c->probes[k];

	if (pr->relayed || c->request[k] == c->n || p->payload_len == 0 || !to_container(p, pr) ||
	    !nc_endpoint_equal(&p->dst, &pr->container))
		return false;
	q = &c->pkts[c->request[k]];
	if (q->payload_len != p->payload_len || p->ts_ns < q->ts_ns || p->ts_ns - q->ts_ns > NC_ATTR_FORWARDER_WINDOW_NS ||
	    !payload_in_bounds(p) || !payload_in_bounds(q))
		return false;
	return memcmp(p->data + p->payload_off, q->data + q->payload_off, p->payload_len) == 0;
}

/* Every unclaimed packet of packet i's 5-tuple becomes probe k's, leg leg. */
static void claim_flow(struct claim *c, size_t i, size_t k, nc_leg_t leg)
{
	const nc_packet_t *p = &c->pkts[i];

	for (size_t j = 0; j < c->n; j++)
		if (c->probe_of[j] < 0 && c->pkts[j].proto == p->proto && between(&c->pkts[j], &p->src, &p->dst)) {
			c->probe_of[j] = (int)k;
			c->leg_of[j] = leg;
		}
	if (leg == NC_LEG_PROXY_TO_CONTAINER)
		c->forwarded[k] = true;
}

/* For each unclaimed TCP/UDP packet, the first probe whose rule ties it:
 * its whole flow is that probe's (claimed at once, so a flow is settled by
 * its first packet that matches). */
static void claim_flows(struct claim *c, flow_rule_t rule, nc_leg_t leg)
{
	for (size_t i = 0; i < c->n; i++) {
		const nc_packet_t *p = &c->pkts[i];

		if (c->probe_of[i] >= 0 || (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
			continue;
		for (size_t k = 0; k < c->n_probes; k++)
			if (rule(c, i, k)) {
				claim_flow(c, i, k, leg);
				break;
			}
	}
}

/* The forwarder opens its connection right after accepting ours, and
 * while ours lasts: a SYN to the container ip:port within the window after
 * exactly one eligible probe's SYN-ACK and before its first FIN or RST (a
 * probe through a forwarder, without a forwarder leg yet). */
static void claim_by_time(struct claim *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const nc_packet_t *p = &c->pkts[i];
		size_t found = 0, eligible = 0;

		if (c->probe_of[i] >= 0 || p->proto != IPPROTO_TCP || (p->tcp_flags & (NC_TCP_SYN | NC_TCP_ACK)) != NC_TCP_SYN)
			continue;
		for (size_t k = 0; k < c->n_probes; k++) {
			const nc_attr_probe_t *pr = &c->probes[k];

			if (pr->relayed || !is_tcp_probe(pr) || c->forwarded[k] || c->translated[k] ||
			    c->accepted[k] == UINT64_MAX ||
			    !nc_endpoint_is_set(&pr->container) || !nc_endpoint_equal(&p->dst, &pr->container) ||
			    nc_endpoint_equal(&pr->dialled, &pr->container))
				continue;
			if (nc_endpoint_is_set(&pr->forwarder_from) && !nc_endpoint_addr_equal(&p->src, &pr->forwarder_from))
				continue;
			if (p->ts_ns < c->accepted[k] || p->ts_ns - c->accepted[k] > NC_ATTR_FORWARDER_WINDOW_NS ||
			    p->ts_ns > c->ended[k])
				continue;
			found = k;
			eligible++;
		}
		if (eligible == 1)
			claim_flow(c, i, found, NC_LEG_PROXY_TO_CONTAINER);
	}
}

/* Steps 2 and 3 of nc_attribute(). */
static int claim_whole_flows(const nc_packet_t *pkts, size_t n, const nc_attr_probe_t *probes, size_t n_probes,
			     int *ret_probe, nc_leg_t *ret_leg)
{
	struct claim c = { pkts, n, probes, n_probes, ret_probe, ret_leg, NULL, NULL, NULL, NULL, NULL };
	int r = -ENOMEM;

	c.request = malloc(n_probes * sizeof(*c.request));
	c.accepted = malloc(n_probes * sizeof(*c.accepted));
	c.ended = malloc(n_probes * sizeof(*c.ended));
	c.forwarded = calloc(n_probes, sizeof(*c.forwarded));
	c.translated = calloc(n_probes, sizeof(*c.translated));
	if (c.request == NULL || c.accepted == NULL || c.ended == NULL || c.forwarded == NULL || c.translated == NULL)
		goto out;
	for (size_t k = 0; k < n_probes; k++) {
		c.request[k] = n;
		c.accepted[k] = c.ended[k] = UINT64_MAX;
	}
	for (size_t j = 0; j < n; j++) {
		size_t k;

		if (ret_probe[j] >= 0 && ret_leg[j] == NC_LEG_TRANSLATED)
			c.translated[ret_probe[j]] = true;
		if (ret_probe[j] < 0 || ret_leg[j] != NC_LEG_CLIENT)
			continue;
		k = (size_t)ret_probe[j];
		if (c.request[k] == n && pkts[j].payload_len > 0 && nc_endpoint_equal(&pkts[j].src, &probes[k].local))
			c.request[k] = j;
		if (c.accepted[k] == UINT64_MAX && pkts[j].proto == IPPROTO_TCP &&
		    (pkts[j].tcp_flags & (NC_TCP_SYN | NC_TCP_ACK)) == (NC_TCP_SYN | NC_TCP_ACK) &&
		    nc_endpoint_equal(&pkts[j].dst, &probes[k].local))
			c.accepted[k] = pkts[j].ts_ns;
		if (c.ended[k] == UINT64_MAX && pkts[j].proto == IPPROTO_TCP && (pkts[j].tcp_flags & (NC_TCP_FIN | NC_TCP_RST)))
			c.ended[k] = pkts[j].ts_ns;
	}
	claim_flows(&c, match_control, NC_LEG_CONTROL);
	claim_flows(&c, match_nonce, NC_LEG_PROXY_TO_CONTAINER);
	claim_flows(&c, match_relayed_bytes, NC_LEG_PROXY_TO_CONTAINER);
	claim_by_time(&c);
	r = 0;
out:
	free(c.request);
	free(c.accepted);
	free(c.ended);
	free(c.forwarded);
	free(c.translated);
	return r;
}

int nc_attribute(const nc_packet_t *pkts, size_t n, const nc_attr_probe_t *probes, size_t n_probes,
		 int *ret_probe, nc_leg_t *ret_leg)
{
	struct seqs *seqs = NULL; /* owned: [2 * probe + 0] outbound, [+1] inbound */
	int count = 0, r = 0;

	if (n == 0)
		return 0;
	if (pkts == NULL || ret_probe == NULL || ret_leg == NULL || (n_probes > 0 && probes == NULL) || n_probes > INT32_MAX)
		return -EINVAL;

	/* 1: the probes' own 5-tuples, exactly */
	for (size_t i = 0; i < n; i++) {
		ret_probe[i] = -1;
		ret_leg[i] = NC_LEG_NONE;
		for (size_t k = 0; k < n_probes; k++) {
			nc_leg_t leg = exact_leg(&pkts[i], &probes[k]);

			if (leg != NC_LEG_NONE) {
				ret_probe[i] = (int)k;
				ret_leg[i] = leg;
				break;
			}
		}
	}
	if (n_probes == 0)
		goto count;

	/* 1b: masqueraded NAT, recognised by the client flow's sequence numbers */
	seqs = calloc(2 * n_probes, sizeof(*seqs));
	if (seqs == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct seqs *s;
		uint32_t *v;
		int k = ret_probe[i];

		if (k < 0 || ret_leg[i] != NC_LEG_CLIENT)
			continue;
		s = &seqs[2 * (size_t)k + (nc_endpoint_equal(&pkts[i].src, &probes[k].local) ? 0 : 1)];
		if (has_seq(s, pkts[i].tcp_seq))
			continue;
		v = realloc(s->v, (s->n + 1) * sizeof(*v));
		if (v == NULL) {
			r = -ENOMEM;
			goto out;
		}
		s->v = v;
		s->v[s->n++] = pkts[i].tcp_seq;
	}
	for (size_t i = 0; i < n; i++) {
		if (ret_probe[i] >= 0)
			continue;
		for (size_t k = 0; k < n_probes; k++) {
			if (masqueraded(&pkts[i], &probes[k], &seqs[2 * k], &seqs[2 * k + 1])) {
				ret_probe[i] = (int)k;
				ret_leg[i] = NC_LEG_TRANSLATED;
				break;
			}
		}
	}

	/* 2, 3: control requests, forwarders' connections */
	r = claim_whole_flows(pkts, n, probes, n_probes, ret_probe, ret_leg);
	if (r < 0)
		goto out;

count:
	for (size_t i = 0; i < n; i++)
		if (ret_probe[i] >= 0)
			count++;
	r = count;
out:
	if (seqs != NULL)
		for (size_t k = 0; k < 2 * n_probes; k++)
			free(seqs[k].v);
	free(seqs);
	if (r < 0) {
		for (size_t i = 0; i < n; i++) {
			ret_probe[i] = -1;
			ret_leg[i] = NC_LEG_NONE;
		}
	}
	return r;
}


/* A hop being built: a connection (unordered endpoints) at a point. */
struct hop_acc {
	uint32_t point;
	nc_leg_t leg;
	uint8_t proto;
	nc_hop_t hop;
};

static void point_name(char *buf, size_t len, uint32_t point, const char *const *names, size_t n_names)
{
	if (names != NULL && point < n_names && names[point] != NULL)
		snprintf(buf, len, "%s", names[point]);
	else
		snprintf(buf, len, "point%u", (unsigned)point);
}

static bool addr_is_any(const nc_endpoint_t *e)
{
	static const uint8_t zero[16];

	if (e->family == AF_INET)
		return e->addr.v4.s_addr == 0;
	return e->family != AF_INET6 || memcmp(&e->addr.v6, zero, sizeof(zero)) == 0;
}

/* An ICMP probe's socket names no source address (the kernel picks it per
 * route): its first echo request captured on its way to the target does. */
static void learn_icmp_source(nc_path_t *p, const nc_packet_t *pkts, const nc_packet_order_t *order, size_t n_order,
			      const nc_leg_t *leg_of)
{
	if (!addr_is_any(&p->local))
		return;
	for (size_t o = 0; o < n_order; o++) {
		const nc_packet_t *pk = &pkts[order[o].index];

		if (leg_of[order[o].index] == NC_LEG_ICMP && (pk->icmp_type == 8 || pk->icmp_type == 128) &&
		    nc_endpoint_addr_equal(&pk->dst, &p->target)) {
			uint16_t echo_id = p->local.port;

			p->local = pk->src;
			p->local.port = echo_id;
			return;
		}
	}
}

int nc_attribute_fill_path(nc_path_t *p, int probe_index, const nc_packet_t *pkts, size_t n,
			   const int *probe_of, const nc_leg_t *leg_of,
			   const char *const *point_names, size_t n_points)
{
	nc_packet_order_t *order = NULL; /* owned */
	struct hop_acc *hops = NULL; /* owned */
	size_t n_order = 0, n_hops = 0;
	int r = 0;

	if (p == NULL || probe_index < 0 || (n > 0 && (pkts == NULL || probe_of == NULL || leg_of == NULL)))
		return -EINVAL;
	free(p->hops);
	free(p->packets);
	p->hops = NULL;
	p->packets = NULL;
	p->n_hops = p->n_packets = 0;
	p->evidence_state = NC_EVIDENCE_CAPTURED;

	if (n > 0) {
		order = malloc(n * sizeof(*order));
		if (order == NULL)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (probe_of[i] != probe_index || leg_of[i] == NC_LEG_CONTROL)
			continue;
		order[n_order].ts_ns = pkts[i].ts_ns;
		order[n_order].index = i;
		n_order++;
	}
	if (n_order > 1)
		nc_packet_order_sort(order, n_order);

	/* in time order, so hops are made in trail order */
	for (size_t o = 0; o < n_order; o++) {
		const nc_packet_t *pk = &pkts[order[o].index];
		nc_leg_t leg = leg_of[order[o].index];
		struct hop_acc *h = NULL;

		for (size_t j = 0; j < n_hops; j++) {
			struct hop_acc *c = &hops[j];

			if (c->point == pk->point && c->leg == leg && c->proto == pk->proto &&
			    c->hop.encapsulated == pk->encapsulated && between(pk, &c->hop.src, &c->hop.dst)) {
				h = c;
				break;
			}
		}
		if (h == NULL) {
			struct hop_acc *nh = realloc(hops, (n_hops + 1) * sizeof(*nh));

			if (nh == NULL) {
				r = -ENOMEM;
				goto out;
			}
			hops = nh;
			h = &hops[n_hops++];
			memset(h, 0, sizeof(*h));
			h->point = pk->point;
			h->leg = leg;
			h->proto = pk->proto;
			point_name(h->hop.capture_point, sizeof(h->hop.capture_point), pk->point, point_names, n_points);
			h->hop.leg = leg;
			h->hop.direction = pk->direction;
			h->hop.src = pk->src;
			h->hop.dst = pk->dst;
			h->hop.first_ns = pk->ts_ns;
			/* an overlay's outer packets: the nodes they went between */
			h->hop.encapsulated = pk->encapsulated;
			h->hop.outer_src = pk->outer_src;
			h->hop.outer_dst = pk->outer_dst;
			h->hop.vni = pk->vni;
		}
		h->hop.last_ns = pk->ts_ns;
		h->hop.packets++;
	}

	learn_icmp_source(p, pkts, order, n_order, leg_of);
	for (size_t j = 0; j < n_hops; j++) {
		r = nc_path_add_hop(p, &hops[j].hop);
		if (r == -ENOSPC)
			break;
		if (r < 0)
			goto out;
	}
	for (size_t o = 0; o < n_order; o++) {
		const nc_packet_t *pk = &pkts[order[o].index];
		nc_packet_summary_t s;

		memset(&s, 0, sizeof(s));
		s.ts_ns = pk->ts_ns;
		point_name(s.capture_point, sizeof(s.capture_point), pk->point, point_names, n_points);
		s.leg = leg_of[order[o].index];
		s.direction = pk->direction;
		s.proto = pk->proto;
		s.src = pk->src;
		s.dst = pk->dst;
		s.tcp_flags = pk->tcp_flags;
		s.icmp_type = pk->icmp_type;
		s.length = pk->wire_len;
		r = nc_path_add_packet(p, &s);
		if (r == -ENOSPC)
			break;
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	free(order);
	free(hops);
	return r;
}

bool nc_attribute_path_has_leg_at(const nc_path_t *p, nc_leg_t leg, const char *point)
{
	if (p == NULL)
		return false;
	for (size_t i = 0; i < p->n_hops; i++) {
		if (p->hops[i].leg != leg)
			continue;
		if (point == NULL || strcmp(p->hops[i].capture_point, point) == 0)
			return true;
	}
	return false;
}

bool nc_attribute_path_has_leg(const nc_path_t *p, nc_leg_t leg)
{
	return nc_attribute_path_has_leg_at(p, leg, NULL);
}

bool nc_attribute_point_on_way(nc_point_kind_t point, nc_path_kind_t path)
{
	if (nc_path_kind_from_container(path))
		return true;
	return point != NC_POINT_PEER_VETH && point != NC_POINT_PEER_CONTAINER;
}
