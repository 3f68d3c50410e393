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

struct flow {
	int probe;
	uint8_t proto;      /* IPPROTO_TCP or IPPROTO_UDP */
	nc_endpoint_t a, b; /* unordered */
};

int nc_attribute(const nc_packet_t *pkts, size_t n, const nc_attr_probe_t *probes, size_t n_probes,
		 int *ret_probe, nc_leg_t *ret_leg)
{
	struct seqs *seqs = NULL; /* owned: [2 * probe + 0] outbound, [+1] inbound */
	struct flow *flows = NULL; /* owned: proxy connections found */
	size_t n_flows = 0;
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

	/* 2: masqueraded NAT, recognised by the client flow's sequence numbers */
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

	/* 3: proxy connections: an unclaimed TCP flow to the container ip:port
	 * whose payload carries a probe's nonce */
	for (size_t i = 0; i < n; i++) {
		const nc_packet_t *p = &pkts[i];
		bool known = false;

		if (ret_probe[i] >= 0 || (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP) || p->payload_len == 0)
			continue;
		for (size_t f = 0; f < n_flows && !known; f++)
			known = between(p, &flows[f].a, &flows[f].b);
		if (known)
			continue;
		for (size_t k = 0; k < n_probes; k++) {
			const nc_attr_probe_t *pr = &probes[k];
			size_t nonce_len = pr->nonce != NULL ? strnlen(pr->nonce, NC_SNAPLEN) : 0;
			struct flow *nf;

			if (!is_transport_probe(pr) || pr->proto != p->proto || nonce_len == 0 ||
			    !nc_endpoint_is_set(&pr->container))
				continue;
			if (!nc_endpoint_equal(&p->dst, &pr->container) && !nc_endpoint_equal(&p->src, &pr->container))
				continue;
			if (!payload_has(p, pr->nonce, nonce_len))
				continue;
			nf = realloc(flows, (n_flows + 1) * sizeof(*nf));
			if (nf == NULL) {
				r = -ENOMEM;
				goto out;
			}
			flows = nf;
			flows[n_flows].probe = (int)k;
			flows[n_flows].proto = p->proto;
			flows[n_flows].a = p->src;
			flows[n_flows].b = p->dst;
			n_flows++;
			break;
		}
	}
	for (size_t i = 0; i < n && n_flows > 0; i++) {
		if (ret_probe[i] >= 0)
			continue;
		for (size_t f = 0; f < n_flows; f++) {
			if (pkts[i].proto == flows[f].proto && between(&pkts[i], &flows[f].a, &flows[f].b)) {
				ret_probe[i] = flows[f].probe;
				ret_leg[i] = NC_LEG_PROXY_TO_CONTAINER;
				break;
			}
		}
	}

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
	free(flows);
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
		if (probe_of[i] != probe_index)
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
			    between(pk, &c->hop.src, &c->hop.dst)) {
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
		}
		h->hop.last_ns = pk->ts_ns;
		h->hop.packets++;
	}

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
		s.length = pk->origlen;
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
