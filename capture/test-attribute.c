/* Unit tests for attribution, on synthetic packet lists: direct, kernel NAT
 * (plain and masqueraded hairpin), docker-proxy, a missing leg,
 * retransmissions, RST, ICMP, unrelated traffic; and the hops and packet
 * summaries nc_attribute_fill_path() makes of it. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "netcheck/attribute.h"
#include "netcheck/common.h"
#include "netcheck/result.h"
#include "netcheck/testing.h"

enum { P_DOCKER0, P_VETH, P_CTR_ETH0, P_LO, P_ETH0, N_POINTS };
static const char *const point_names[N_POINTS] = { "docker0", "veth1a2b", "eth0@ctr", "lo", "eth0" };

#define SYN NC_TCP_SYN
#define SA (NC_TCP_SYN | NC_TCP_ACK)
#define ACK NC_TCP_ACK
#define PA (NC_TCP_PSH | NC_TCP_ACK)
#define FA (NC_TCP_FIN | NC_TCP_ACK)
#define RST NC_TCP_RST

/* a growing synthetic capture */
typedef struct list {
	nc_packet_t *p; /* owned */
	size_t n;
	uint64_t now;
} list_t;

/* one TCP packet from "a:p" to "b:q", seen at point; returns its index */
static size_t tcp(list_t *l, uint32_t point, const char *src, const char *dst, uint8_t flags, uint32_t seq,
		  const char *payload)
{
	nc_packet_t *p;

	l->p = realloc(l->p, (l->n + 1) * sizeof(*l->p));
	assert_non_null(l->p);
	p = &l->p[l->n];
	memset(p, 0, sizeof(*p));
	p->point = point;
	p->ts_ns = l->now += 1000;
	p->direction = NC_DIR_OUT;
	p->proto = IPPROTO_TCP;
	p->src = ep_str(src);
	p->dst = ep_str(dst);
	p->tcp_flags = flags;
	p->tcp_seq = seq;
	p->payload_off = 54;
	if (payload != NULL) {
		p->payload_len = (uint32_t)strlen(payload);
		memcpy(p->data + p->payload_off, payload, p->payload_len);
	}
	p->caplen = p->payload_off + p->payload_len;
	p->origlen = p->caplen;
	return l->n++;
}

static size_t icmp(list_t *l, uint32_t point, const char *src, const char *dst, uint8_t type, uint16_t id)
{
	char s[64], d[64];
	size_t i;

	snprintf(s, sizeof(s), "%s:%u", src, id);
	snprintf(d, sizeof(d), "%s:%u", dst, id);
	i = tcp(l, point, s, d, 0, 0, NULL);
	l->p[i].proto = IPPROTO_ICMP;
	l->p[i].icmp_type = type;
	return i;
}

/* the full life of one TCP connection at the given points, each packet
 * seen at every point in turn; client first, then server */
static void conversation(list_t *l, const uint32_t *points, size_t n_points, const char *c, const char *s,
			 const char *request, uint32_t cseq, uint32_t sseq)
{
	struct {
		int from_client;
		uint8_t flags;
		uint32_t seq;
		const char *payload;
	} steps[] = {
		{ 1, SYN, cseq, NULL },
		{ 0, SA, sseq, NULL },
		{ 1, ACK, cseq + 1, NULL },
		{ 1, PA, cseq + 1, request },
		{ 0, PA, sseq + 1, "HTTP/1.0 200 OK\r\n\r\n" },
		{ 1, FA, cseq + 100, NULL },
		{ 0, FA, sseq + 100, NULL },
		{ 1, ACK, cseq + 101, NULL },
	};

	for (size_t k = 0; k < NC_ARRAY_SIZE(steps); k++)
		for (size_t j = 0; j < n_points; j++)
			tcp(l, points[j], steps[k].from_client ? c : s, steps[k].from_client ? s : c, steps[k].flags,
			    steps[k].seq, steps[k].payload);
}

static nc_attr_probe_t tcp_probe(const char *local, const char *dialled, const char *container, const char *nonce)
{
	nc_attr_probe_t pr;

	memset(&pr, 0, sizeof(pr));
	pr.proto = IPPROTO_TCP;
	pr.local = ep_str(local);
	pr.dialled = ep_str(dialled);
	pr.container = ep_str(container);
	pr.nonce = nonce;
	return pr;
}

typedef struct run {
	int *probe; /* owned */
	nc_leg_t *leg; /* owned */
	int count;
} run_t;

static run_t attribute(const list_t *l, const nc_attr_probe_t *probes, size_t n_probes)
{
	run_t r;

	r.probe = calloc(l->n, sizeof(*r.probe));
	r.leg = calloc(l->n, sizeof(*r.leg));
	assert_non_null(r.probe);
	assert_non_null(r.leg);
	r.count = nc_attribute(l->p, l->n, probes, n_probes, r.probe, r.leg);
	return r;
}

static void run_free(run_t *r)
{
	free(r->probe);
	free(r->leg);
}

/* every packet is probe 0's: leg before below split, leg after from it on */
static void assert_all_first_probe(const run_t *r, size_t n, size_t split, nc_leg_t before, nc_leg_t after)
{
	assert_int_equal(r->count, (int)n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r->probe[i], 0);
		assert_int_equal(r->leg[i], i < split ? before : after);
	}
}

/* a result with one path to fill */
typedef struct fixture {
	nc_result_t *result; /* owned */
	nc_path_t *path;     /* borrowed from result */
} fixture_t;

static fixture_t fixture(void)
{
	fixture_t f;

	f.result = nc_result_new();
	assert_non_null(f.result);
	assert_int_equal(nc_result_add_path(f.result, NC_PATH_PUBLISHED_LOOPBACK, NULL, &f.path), 0);
	return f;
}

static void assert_hop(const nc_hop_t *h, const char *point, const char *leg, const char *src, const char *dst,
		       uint32_t packets)
{
	nc_endpoint_t s = ep_str(src), d = ep_str(dst);

	assert_string_equal(h->capture_point, point);
	assert_string_equal(nc_leg_name(h->leg), leg);
	assert_true(nc_endpoint_equal(&h->src, &s));
	assert_true(nc_endpoint_equal(&h->dst, &d));
	assert_int_equal(h->packets, packets);
	assert_true(h->first_ns <= h->last_ns);
}

static void test_direct(void **state)
{
	list_t l = { 0 };
	static const uint32_t pts[] = { P_DOCKER0, P_VETH, P_CTR_ETH0 };
	nc_attr_probe_t pr = tcp_probe("172.17.0.1:44000", "172.17.0.2:80", "172.17.0.2:80", "nonce-direct");
	fixture_t f = fixture();
	run_t r;

	(void)state;
	conversation(&l, pts, 3, "172.17.0.1:44000", "172.17.0.2:80", "GET /nonce-direct HTTP/1.0\r\n\r\n", 100, 900);
	r = attribute(&l, &pr, 1);
	assert_int_equal(r.count, (int)l.n);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(r.probe[i], 0);
		assert_int_equal(r.leg[i], NC_LEG_CLIENT);
	}
	assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, point_names, N_POINTS), 0);
	assert_int_equal(f.path->evidence_state, NC_EVIDENCE_CAPTURED);
	assert_int_equal(f.path->n_hops, 3);
	assert_hop(&f.path->hops[0], "docker0", "client", "172.17.0.1:44000", "172.17.0.2:80", 8);
	assert_hop(&f.path->hops[1], "veth1a2b", "client", "172.17.0.1:44000", "172.17.0.2:80", 8);
	assert_hop(&f.path->hops[2], "eth0@ctr", "client", "172.17.0.1:44000", "172.17.0.2:80", 8);
	assert_int_equal(f.path->hops[0].direction, NC_DIR_OUT);
	assert_int_equal(f.path->n_packets, l.n);
	for (size_t i = 1; i < f.path->n_packets; i++)
		assert_true(f.path->packets[i - 1].ts_ns <= f.path->packets[i].ts_ns);
	assert_string_equal(f.path->packets[0].capture_point, "docker0");
	assert_int_equal(f.path->packets[0].tcp_flags, SYN);
	assert_true(nc_attribute_path_has_leg(f.path, NC_LEG_CLIENT));
	assert_false(nc_attribute_path_has_leg(f.path, NC_LEG_TRANSLATED));
	assert_true(nc_attribute_path_has_leg_at(f.path, NC_LEG_CLIENT, "eth0@ctr"));
	assert_false(nc_attribute_path_has_leg_at(f.path, NC_LEG_CLIENT, "lo"));

	/* filling again replaces, not appends */
	assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, point_names, N_POINTS), 0);
	assert_int_equal(f.path->n_hops, 3);
	assert_int_equal(f.path->n_packets, l.n);

	run_free(&r);
	free(l.p);
	nc_result_free(f.result);
}

static void test_nat(void **state)
{
	list_t l = { 0 };
	static const uint32_t client_pts[] = { P_LO };
	static const uint32_t bridge_pts[] = { P_DOCKER0, P_VETH, P_CTR_ETH0 };
	nc_attr_probe_t pr = tcp_probe("192.168.1.10:45000", "192.168.1.10:32768", "172.17.0.2:80", "nonce-nat");
	fixture_t f = fixture();
	run_t r;
	size_t n_client;

	(void)state;
	conversation(&l, client_pts, 1, "192.168.1.10:45000", "192.168.1.10:32768", "GET /nonce-nat", 5, 7);
	n_client = l.n;
	conversation(&l, bridge_pts, 3, "192.168.1.10:45000", "172.17.0.2:80", "GET /nonce-nat", 5, 7);
	r = attribute(&l, &pr, 1);
	assert_all_first_probe(&r, l.n, n_client, NC_LEG_CLIENT, NC_LEG_TRANSLATED);
	assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, point_names, N_POINTS), 0);
	assert_int_equal(f.path->n_hops, 4);
	assert_hop(&f.path->hops[0], "lo", "client", "192.168.1.10:45000", "192.168.1.10:32768", 8);
	assert_hop(&f.path->hops[1], "docker0", "translated", "192.168.1.10:45000", "172.17.0.2:80", 8);
	assert_hop(&f.path->hops[2], "veth1a2b", "translated", "192.168.1.10:45000", "172.17.0.2:80", 8);
	assert_hop(&f.path->hops[3], "eth0@ctr", "translated", "192.168.1.10:45000", "172.17.0.2:80", 8);
	assert_true(nc_attribute_path_has_leg(f.path, NC_LEG_TRANSLATED));
	assert_false(nc_attribute_path_has_leg(f.path, NC_LEG_PROXY_TO_CONTAINER));
	run_free(&r);
	free(l.p);
	nc_result_free(f.result);
}

/* hairpin from 127.0.0.1 with userland-proxy off: DNAT in OUTPUT and
 * MASQUERADE, so docker0 sees 172.17.0.1:<our port> and the client leg may
 * or may not be seen */
static void test_nat_masquerade(void **state)
{
	list_t l = { 0 };
	static const uint32_t lo[] = { P_LO };
	static const uint32_t bridge_pts[] = { P_DOCKER0, P_VETH };
	nc_attr_probe_t pr = tcp_probe("127.0.0.1:46000", "127.0.0.1:32768", "172.17.0.2:80", "nonce-masq");
	run_t r;

	(void)state;
	/* client leg not seen anywhere: the port decides */
	conversation(&l, bridge_pts, 2, "172.17.0.1:46000", "172.17.0.2:80", "GET /nonce-masq", 11, 22);
	r = attribute(&l, &pr, 1);
	assert_int_equal(r.count, (int)l.n);
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(r.leg[i], NC_LEG_TRANSLATED);
	run_free(&r);

	/* client leg seen with the same sequence numbers: still translated */
	free(l.p);
	memset(&l, 0, sizeof(l));
	conversation(&l, lo, 1, "127.0.0.1:46000", "127.0.0.1:32768", "GET /nonce-masq", 11, 22);
	conversation(&l, bridge_pts, 2, "172.17.0.1:46000", "172.17.0.2:80", "GET /nonce-masq", 11, 22);
	r = attribute(&l, &pr, 1);
	assert_int_equal(r.count, (int)l.n);
	for (size_t i = 8; i < l.n; i++)
		assert_int_equal(r.leg[i], NC_LEG_TRANSLATED);
	run_free(&r);

	/* a proxy whose own connection happens to use our port number: its
	 * sequence numbers differ, so it is the proxy leg */
	free(l.p);
	memset(&l, 0, sizeof(l));
	conversation(&l, lo, 1, "127.0.0.1:46000", "127.0.0.1:32768", "GET /nonce-masq", 11, 22);
	conversation(&l, bridge_pts, 2, "172.17.0.1:46000", "172.17.0.2:80", "GET /nonce-masq", 5000, 6000);
	r = attribute(&l, &pr, 1);
	assert_int_equal(r.count, (int)l.n);
	for (size_t i = 8; i < l.n; i++)
		assert_int_equal(r.leg[i], NC_LEG_PROXY_TO_CONTAINER);
	run_free(&r);
	free(l.p);
}

static void test_proxy(void **state)
{
	list_t l = { 0 };
	static const uint32_t lo[] = { P_LO };
	static const uint32_t bridge_pts[] = { P_DOCKER0, P_VETH, P_CTR_ETH0 };
	nc_attr_probe_t probes[2] = {
		tcp_probe("172.17.0.1:44000", "172.17.0.2:80", "172.17.0.2:80", "nonce-direct-0001"),
		tcp_probe("127.0.0.1:44482", "127.0.0.1:32768", "172.17.0.2:80", "nonce-proxy-0002"),
	};
	fixture_t f = fixture();
	size_t first_proxy, unrelated;
	run_t r;

	(void)state;
	conversation(&l, bridge_pts, 3, "172.17.0.1:44000", "172.17.0.2:80", "GET /nonce-direct-0001", 1, 2);
	/* the probe to the published port on lo */
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", SYN, 10, NULL);
	tcp(&l, P_LO, "127.0.0.1:32768", "127.0.0.1:44482", SA, 20, NULL);
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", ACK, 11, NULL);
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", PA, 11, "GET /?n=nonce-proxy-0002 HTTP/1.0\r\n\r\n");
	/* docker-proxy's own connection: SYN before the nonce, FIN after */
	first_proxy = l.n;
	conversation(&l, bridge_pts, 3, "172.17.0.1:38582", "172.17.0.2:80", "GET /?n=nonce-proxy-0002 HTTP/1.0", 300,
		     400);
	tcp(&l, P_DOCKER0, "172.17.0.2:80", "172.17.0.1:38582", RST, 500, NULL);
	tcp(&l, P_LO, "127.0.0.1:32768", "127.0.0.1:44482", PA, 21, "HTTP/1.0 200 OK\r\n\r\n");
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", FA, 60, NULL);
	/* unrelated: another client of the container, with no nonce */
	unrelated = l.n;
	conversation(&l, lo, 1, "172.17.0.3:5000", "172.17.0.2:80", "GET / HTTP/1.0", 1, 2);

	r = attribute(&l, probes, 2);
	assert_int_equal(r.count, (int)unrelated);
	for (size_t i = 0; i < l.n; i++) {
		if (i < 24) {
			assert_int_equal(r.probe[i], 0);
			assert_int_equal(r.leg[i], NC_LEG_CLIENT);
		} else if (i >= unrelated) {
			assert_int_equal(r.probe[i], -1);
			assert_int_equal(r.leg[i], NC_LEG_NONE);
		} else {
			assert_int_equal(r.probe[i], 1);
			if (i >= first_proxy && i < first_proxy + 25)
				assert_int_equal(r.leg[i], NC_LEG_PROXY_TO_CONTAINER);
			else
				assert_int_equal(r.leg[i], NC_LEG_CLIENT);
		}
	}
	assert_int_equal(r.leg[first_proxy], NC_LEG_PROXY_TO_CONTAINER); /* the SYN */
	assert_int_equal(l.p[first_proxy].tcp_flags, SYN);

	assert_int_equal(nc_attribute_fill_path(f.path, 1, l.p, l.n, r.probe, r.leg, point_names, N_POINTS), 0);
	assert_int_equal(f.path->n_hops, 4);
	assert_hop(&f.path->hops[0], "lo", "client", "127.0.0.1:44482", "127.0.0.1:32768", 6);
	assert_hop(&f.path->hops[1], "docker0", "proxy-to-container", "172.17.0.1:38582", "172.17.0.2:80", 9);
	assert_hop(&f.path->hops[2], "veth1a2b", "proxy-to-container", "172.17.0.1:38582", "172.17.0.2:80", 8);
	assert_hop(&f.path->hops[3], "eth0@ctr", "proxy-to-container", "172.17.0.1:38582", "172.17.0.2:80", 8);
	assert_int_equal(f.path->n_packets, 6 + 25);
	assert_true(nc_attribute_path_has_leg(f.path, NC_LEG_PROXY_TO_CONTAINER));
	run_free(&r);
	free(l.p);
	nc_result_free(f.result);
}

/* docker-proxy relays a request that carries no nonce (--http: GET /):
 * its connection is the probe's whose request bytes it copies, whatever
 * the order the forwarder's connections were opened in. */
static void test_proxy_relayed_bytes(void **state)
{
	list_t l = { 0 };
	static const uint32_t bridge_pts[] = { P_DOCKER0, P_VETH, P_CTR_ETH0 };
	nc_attr_probe_t probes[2] = {
		tcp_probe("127.0.0.1:44482", "127.0.0.1:32768", "172.17.0.2:80", "nonce-lo"),
		tcp_probe("[::1]:44490", "[::1]:32768", "172.17.0.2:80", "nonce-lo6"),
	};
	static const char req4[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1:32768\r\n\r\n";
	static const char req6[] = "GET / HTTP/1.1\r\nHost: [::1]:32768\r\n\r\n";
	size_t fwd6, fwd4;
	run_t r;

	(void)state;
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", SYN, 10, NULL);
	tcp(&l, P_LO, "[::1]:44490", "[::1]:32768", SYN, 30, NULL);
	tcp(&l, P_LO, "127.0.0.1:32768", "127.0.0.1:44482", SA, 20, NULL);
	tcp(&l, P_LO, "[::1]:32768", "[::1]:44490", SA, 40, NULL);
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", PA, 11, req4);
	tcp(&l, P_LO, "[::1]:44490", "[::1]:32768", PA, 31, req6);
	/* the [::] forwarder's connection first, then the 0.0.0.0 one's */
	fwd6 = l.n;
	conversation(&l, bridge_pts, 3, "172.17.0.1:38001", "172.17.0.2:80", req6, 300, 400);
	fwd4 = l.n;
	conversation(&l, bridge_pts, 3, "172.17.0.1:38002", "172.17.0.2:80", req4, 500, 600);

	r = attribute(&l, probes, 2);
	assert_int_equal(r.count, (int)l.n);
	for (size_t i = fwd6; i < l.n; i++) {
		assert_int_equal(r.probe[i], i < fwd4 ? 1 : 0);
		assert_int_equal(r.leg[i], NC_LEG_PROXY_TO_CONTAINER);
	}
	run_free(&r);

	/* bytes relayed later than the window are no match; nor are other bytes */
	for (size_t i = fwd4; i < l.n; i++)
		l.p[i].ts_ns += NC_ATTR_FORWARDER_WINDOW_NS;
	memcpy(l.p[fwd6 + 9].data + l.p[fwd6 + 9].payload_off, "PUT", 3); /* the request at docker0 */
	memcpy(l.p[fwd6 + 10].data + l.p[fwd6 + 10].payload_off, "PUT", 3);
	memcpy(l.p[fwd6 + 11].data + l.p[fwd6 + 11].payload_off, "PUT", 3);
	r = attribute(&l, probes, 2);
	/* the [::] forwarder's connection is still the loopback6 probe's: its
	 * SYN came right after that probe's SYN-ACK -- but so did it for the
	 * loopback probe, so time alone cannot tell, and it stays unclaimed */
	for (size_t i = fwd6; i < l.n; i++)
		assert_int_equal(r.probe[i], -1);
	run_free(&r);
	free(l.p);
}

/* An app that accepts and never answers, and a client that sends nothing
 * the forwarder relays: docker-proxy's connection is found by the time of
 * its SYN, from the host's address on the route to the container. */
static void test_proxy_by_time(void **state)
{
	list_t l = { 0 };
	static const uint32_t bridge_pts[] = { P_DOCKER0, P_VETH, P_CTR_ETH0 };
	nc_attr_probe_t pr = tcp_probe("127.0.0.1:44482", "127.0.0.1:32768", "172.17.0.2:80", "nonce-silent");
	fixture_t f = fixture();
	size_t fwd, other, late;
	run_t r;

	(void)state;
	pr.forwarder_from = ep_str("172.17.0.1:0");
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", SYN, 10, NULL);
	tcp(&l, P_LO, "127.0.0.1:32768", "127.0.0.1:44482", SA, 20, NULL);
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", ACK, 11, NULL);
	/* another container's connection to the app, in the window: not from forwarder_from */
	other = l.n;
	for (size_t j = 0; j < 3; j++)
		tcp(&l, bridge_pts[j], "172.17.0.3:5000", "172.17.0.2:80", SYN, 1, NULL);
	fwd = l.n;
	for (size_t j = 0; j < 3; j++)
		tcp(&l, bridge_pts[j], "172.17.0.1:38582", "172.17.0.2:80", SYN, 300, NULL);
	for (size_t j = 0; j < 3; j++)
		tcp(&l, bridge_pts[2 - j], "172.17.0.2:80", "172.17.0.1:38582", SA, 400, NULL);
	for (size_t j = 0; j < 3; j++)
		tcp(&l, bridge_pts[j], "172.17.0.1:38582", "172.17.0.2:80", ACK, 301, NULL);
	/* a second connection from the host's address: the probe has its forwarder leg already */
	late = l.n;
	tcp(&l, P_DOCKER0, "172.17.0.1:38590", "172.17.0.2:80", SYN, 700, NULL);
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", FA, 11, NULL);

	r = attribute(&l, &pr, 1);
	assert_int_equal(r.count, 4 + 9);
	for (size_t j = 0; j < 3; j++)
		assert_int_equal(r.probe[other + j], -1);
	for (size_t i = fwd; i < late; i++) {
		assert_int_equal(r.probe[i], 0);
		assert_int_equal(r.leg[i], NC_LEG_PROXY_TO_CONTAINER);
	}
	assert_int_equal(r.probe[late], -1);
	assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, point_names, N_POINTS), 0);
	assert_int_equal(f.path->n_hops, 4);
	assert_hop(&f.path->hops[3], "eth0@ctr", "proxy-to-container", "172.17.0.1:38582", "172.17.0.2:80", 3);
	run_free(&r);

	/* beyond the window after the accept: no forwarder of ours */
	for (size_t i = other; i < l.n; i++)
		l.p[i].ts_ns += NC_ATTR_FORWARDER_WINDOW_NS;
	l.p[l.n - 1].ts_ns += NC_ATTR_FORWARDER_WINDOW_NS; /* the FIN stays last */
	r = attribute(&l, &pr, 1);
	assert_int_equal(r.count, 4);
	assert_int_equal(r.probe[fwd], -1);
	run_free(&r);
	free(l.p);
	nc_result_free(f.result);
}

/* A probe that reached the container by kernel NAT (its own connection,
 * translated) has no forwarder leg to take: a forwarder's SYN in the
 * window belongs to the one probe that went through the forwarder, even
 * while the NAT'd one is still open (seen: published-loopback's proxy leg
 * lost whenever published-remote ran beside it). */
static void test_proxy_by_time_beside_nat(void **state)
{
	list_t l = { 0 };
	nc_attr_probe_t pr[2] = {
		tcp_probe("127.0.0.1:44482", "127.0.0.1:32768", "172.17.0.2:80", ""),
		tcp_probe("198.18.5.2:50000", "192.0.2.2:32768", "172.17.0.2:80", ""),
	};
	size_t fwd;
	run_t r;

	(void)state;
	pr[0].forwarder_from = pr[1].forwarder_from = ep_str("172.17.0.1:0");
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", SYN, 10, NULL);
	tcp(&l, P_LO, "127.0.0.1:32768", "127.0.0.1:44482", SA, 20, NULL);
	/* the remote client's probe: its own connection, then DNAT'd in
	 * PREROUTING and seen translated on the bridge, accepted meanwhile */
	tcp(&l, P_LO, "198.18.5.2:50000", "192.0.2.2:32768", SYN, 500, NULL);
	tcp(&l, P_DOCKER0, "198.18.5.2:50000", "172.17.0.2:80", SYN, 500, NULL);
	tcp(&l, P_DOCKER0, "172.17.0.2:80", "198.18.5.2:50000", SA, 600, NULL);
	tcp(&l, P_LO, "192.0.2.2:32768", "198.18.5.2:50000", SA, 600, NULL);
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", ACK, 11, NULL);
	fwd = l.n;
	tcp(&l, P_DOCKER0, "172.17.0.1:38582", "172.17.0.2:80", SYN, 300, NULL);
	tcp(&l, P_DOCKER0, "172.17.0.2:80", "172.17.0.1:38582", SA, 400, NULL);
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", FA, 11, NULL);
	tcp(&l, P_LO, "198.18.5.2:50000", "192.0.2.2:32768", FA, 501, NULL);

	r = attribute(&l, pr, 2);
	assert_int_equal(r.leg[3], NC_LEG_TRANSLATED);
	assert_int_equal(r.probe[3], 1);
	for (size_t i = fwd; i < fwd + 2; i++) {
		assert_int_equal(r.probe[i], 0);
		assert_int_equal(r.leg[i], NC_LEG_PROXY_TO_CONTAINER);
	}
	run_free(&r);
	free(l.p);
}

/* A relayed probe: netcheck's GET /connect to its responder carries the
 * nonce; that connection is the probe's control leg, no hop of its path,
 * and the responder's own connection to the target is the client leg. */
static void test_control(void **state)
{
	list_t l = { 0 };
	static const uint32_t bridge_pts[] = { P_DOCKER0, P_VETH };
	nc_attr_probe_t pr = tcp_probe("172.17.0.3:41000", "172.17.0.2:80", "172.17.0.2:80", "nonce-relay-7");
	fixture_t f = fixture();
	size_t target;
	run_t r;

	(void)state;
	pr.relayed = true;
	conversation(&l, bridge_pts, 2, "172.17.0.1:39882", "172.17.0.3:80",
		     "GET /connect?proto=tcp&target=172.17.0.2:80&nonce=nonce-relay-7&timeout_ms=2000 HTTP/1.0", 1, 2);
	target = l.n;
	conversation(&l, bridge_pts, 2, "172.17.0.3:41000", "172.17.0.2:80", "GET /nonce-relay-7", 5, 6);
	r = attribute(&l, &pr, 1);
	assert_all_first_probe(&r, l.n, target, NC_LEG_CONTROL, NC_LEG_CLIENT);
	assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, point_names, N_POINTS), 0);
	assert_int_equal(f.path->n_hops, 2);
	assert_int_equal(f.path->n_packets, l.n - target);
	assert_false(nc_attribute_path_has_leg(f.path, NC_LEG_CONTROL));
	assert_string_equal(nc_leg_name(NC_LEG_CONTROL), "control");
	run_free(&r);

	/* not relayed: the same request is nobody's control connection */
	pr.relayed = false;
	r = attribute(&l, &pr, 1);
	assert_int_equal(r.leg[0], NC_LEG_NONE);
	run_free(&r);
	free(l.p);
	nc_result_free(f.result);
}

static void test_missing_leg_retransmit_rst(void **state)
{
	list_t l = { 0 };
	nc_attr_probe_t pr = tcp_probe("127.0.0.1:44482", "127.0.0.1:32768", "172.17.0.2:80", "nonce-missing");
	fixture_t f = fixture();
	run_t r;

	(void)state;
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", SYN, 10, NULL);
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", SYN, 10, NULL); /* retransmitted */
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", SYN, 10, NULL);
	tcp(&l, P_LO, "127.0.0.1:32768", "127.0.0.1:44482", SA, 20, NULL);
	tcp(&l, P_LO, "127.0.0.1:44482", "127.0.0.1:32768", PA, 11, "GET /nonce-missing");
	tcp(&l, P_LO, "127.0.0.1:32768", "127.0.0.1:44482", RST | ACK, 21, NULL);
	/* the container answers someone else on docker0 */
	tcp(&l, P_DOCKER0, "172.17.0.1:40000", "172.17.0.2:80", SYN, 1, NULL);

	r = attribute(&l, &pr, 1);
	assert_int_equal(r.count, 6);
	assert_int_equal(r.leg[5], NC_LEG_CLIENT); /* the RST */
	assert_int_equal(r.probe[6], -1);
	assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, point_names, N_POINTS), 0);
	assert_int_equal(f.path->n_hops, 1);
	assert_hop(&f.path->hops[0], "lo", "client", "127.0.0.1:44482", "127.0.0.1:32768", 6);
	assert_int_equal(f.path->hops[0].first_ns, l.p[0].ts_ns);
	assert_int_equal(f.path->hops[0].last_ns, l.p[5].ts_ns);
	assert_false(nc_attribute_path_has_leg(f.path, NC_LEG_PROXY_TO_CONTAINER));
	assert_false(nc_attribute_path_has_leg(f.path, NC_LEG_TRANSLATED));
	assert_int_equal(f.path->packets[5].tcp_flags, RST | ACK);
	run_free(&r);
	free(l.p);
	nc_result_free(f.result);
}

static void test_icmp_and_unrelated(void **state)
{
	list_t l = { 0 };
	nc_attr_probe_t probes[2];
	fixture_t f = fixture();
	size_t arp;
	run_t r;

	(void)state;
	memset(probes, 0, sizeof(probes));
	probes[0].proto = IPPROTO_ICMP;
	probes[0].local.port = 0x1234; /* no address: any source */
	probes[0].dialled = ep_str("172.17.0.2:0");
	probes[1] = tcp_probe("172.17.0.1:44000", "172.17.0.2:80", "172.17.0.2:80", NULL);

	icmp(&l, P_DOCKER0, "172.17.0.1", "172.17.0.2", 8, 0x1234);
	icmp(&l, P_CTR_ETH0, "172.17.0.1", "172.17.0.2", 8, 0x1234);
	icmp(&l, P_CTR_ETH0, "172.17.0.2", "172.17.0.1", 0, 0x1234);
	icmp(&l, P_DOCKER0, "172.17.0.2", "172.17.0.1", 0, 0x1234);
	icmp(&l, P_DOCKER0, "172.17.0.1", "172.17.0.2", 8, 0x4321);     /* someone else's ping */
	icmp(&l, P_DOCKER0, "172.17.0.1", "172.17.0.3", 8, 0x1234);     /* same id, other host */
	icmp(&l, P_DOCKER0, "172.17.0.1", "172.17.0.2", 3, 0x1234);     /* not an echo */
	tcp(&l, P_DOCKER0, "172.17.0.1:44001", "172.17.0.2:80", SYN, 1, NULL); /* next port over */
	tcp(&l, P_DOCKER0, "172.17.0.2:80", "172.17.0.1:44000", RST, 1, NULL); /* the TCP probe refused */
	arp = tcp(&l, P_DOCKER0, "172.17.0.1:0", "172.17.0.2:0", 0, 0, NULL);
	l.p[arp].proto = 0;

	r = attribute(&l, probes, 2);
	assert_int_equal(r.count, 5);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(r.probe[i], 0);
		assert_int_equal(r.leg[i], NC_LEG_ICMP);
	}
	for (size_t i = 4; i < 8; i++)
		assert_int_equal(r.probe[i], -1);
	assert_int_equal(r.probe[8], 1);
	assert_int_equal(r.leg[8], NC_LEG_CLIENT);
	assert_int_equal(r.probe[9], -1);

	/* a named source must match too */
	probes[0].local = ep_str("172.17.0.9:4660");
	run_free(&r);
	r = attribute(&l, probes, 2);
	assert_int_equal(r.count, 1);

	probes[0].local = ep_str("172.17.0.1:4660");
	run_free(&r);
	r = attribute(&l, probes, 2);
	assert_int_equal(r.count, 5);
	assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, point_names, 2), 0);
	/* point 2 has no name in a list of 2 */
	assert_int_equal(f.path->n_hops, 2);
	assert_hop(&f.path->hops[0], "docker0", "icmp", "172.17.0.1:4660", "172.17.0.2:4660", 2);
	assert_hop(&f.path->hops[1], "point2", "icmp", "172.17.0.1:4660", "172.17.0.2:4660", 2);
	assert_int_equal(f.path->packets[2].icmp_type, 0);
	/* the probe's socket named no source (0.0.0.0 or unset): the first echo
	 * request to the target names it, and the echo id stays */
	for (int family = 0; family <= AF_INET; family += AF_INET) {
		memset(&f.path->local, 0, sizeof(f.path->local));
		f.path->local.family = family;
		f.path->local.port = 0x1234;
		f.path->target = ep_str("172.17.0.2:0");
		assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, point_names, 2), 0);
		assert_true(nc_endpoint_addr_equal(&f.path->local, &probes[0].local));
		assert_int_equal(f.path->local.port, 0x1234);
	}
	/* a source it had is kept */
	f.path->local = ep_str("172.17.0.9:7");
	assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, point_names, 2), 0);
	assert_true(nc_endpoint_equal(&f.path->local, &probes[1].local) == false);
	assert_true(f.path->local.addr.v4.s_addr == ep_str("172.17.0.9:7").addr.v4.s_addr && f.path->local.port == 7);
	run_free(&r);
	free(l.p);
	nc_result_free(f.result);
}

/* The bridge floods a frame to every port until it learns where its
 * destination is: the peer's points are on no host path's way. */
static void test_point_on_way(void **state)
{
	(void)state;
	assert_false(nc_attribute_point_on_way(NC_POINT_PEER_VETH, NC_PATH_DIRECT_ICMP));
	assert_false(nc_attribute_point_on_way(NC_POINT_PEER_CONTAINER, NC_PATH_PUBLISHED_LOOPBACK));
	assert_true(nc_attribute_point_on_way(NC_POINT_VETH, NC_PATH_DIRECT_ICMP));
	assert_true(nc_attribute_point_on_way(NC_POINT_CONTAINER, NC_PATH_DIRECT_ICMP));
	assert_true(nc_attribute_point_on_way(NC_POINT_PEER_VETH, NC_PATH_CONTAINER_TO_CONTAINER));
	assert_true(nc_attribute_point_on_way(NC_POINT_PEER_CONTAINER, NC_PATH_CONTAINER_TO_CONTAINER_DNS));
}

static void test_bounds_and_args(void **state)
{
	list_t l = { 0 };
	nc_attr_probe_t pr = tcp_probe("10.0.0.1:1000", "10.0.0.2:80", "10.0.0.2:80", "x");
	fixture_t f = fixture();
	int probe_of[1];
	nc_leg_t leg_of[1];
	char a[32];
	run_t r;

	(void)state;
	/* more packets and hops than a path keeps: the earliest are kept */
	for (uint32_t i = 0; i < NC_MAX_PACKETS_PER_PATH + 10; i++)
		tcp(&l, i % 100, "10.0.0.1:1000", "10.0.0.2:80", ACK, i, NULL);
	r = attribute(&l, &pr, 1);
	assert_int_equal(r.count, (int)l.n);
	assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, NULL, 0), 0);
	assert_int_equal(f.path->n_hops, NC_MAX_HOPS);
	assert_int_equal(f.path->n_packets, NC_MAX_PACKETS_PER_PATH);
	assert_string_equal(f.path->hops[0].capture_point, "point0");
	assert_string_equal(f.path->hops[NC_MAX_HOPS - 1].capture_point, "point63");
	snprintf(a, sizeof(a), "point%u", (NC_MAX_PACKETS_PER_PATH - 1) % 100);
	assert_string_equal(f.path->packets[NC_MAX_PACKETS_PER_PATH - 1].capture_point, a);
	assert_int_equal(f.path->hops[0].packets, (NC_MAX_PACKETS_PER_PATH + 10 + 99) / 100);
	run_free(&r);

	/* a probe with nothing captured: evidence captured, and empty */
	assert_int_equal(nc_attribute_fill_path(f.path, 0, NULL, 0, NULL, NULL, NULL, 0), 0);
	assert_int_equal(f.path->n_hops, 0);
	assert_int_equal(f.path->n_packets, 0);
	assert_int_equal(f.path->evidence_state, NC_EVIDENCE_CAPTURED);

	assert_int_equal(nc_attribute(l.p, 0, &pr, 1, NULL, NULL), 0);
	assert_int_equal(nc_attribute(l.p, 1, &pr, 1, NULL, leg_of), -EINVAL);
	assert_int_equal(nc_attribute(l.p, 1, NULL, 1, probe_of, leg_of), -EINVAL);
	assert_int_equal(nc_attribute(l.p, 1, NULL, 0, probe_of, leg_of), 0);
	assert_int_equal(probe_of[0], -1);
	assert_int_equal(nc_attribute_fill_path(NULL, 0, l.p, 1, probe_of, leg_of, NULL, 0), -EINVAL);
	assert_int_equal(nc_attribute_fill_path(f.path, -1, l.p, 1, probe_of, leg_of, NULL, 0), -EINVAL);

	for (int k = 0; k < NC_LEG_COUNT; k++) {
		nc_leg_t back;

		assert_non_null(nc_leg_name((nc_leg_t)k));
		assert_true(strlen(nc_leg_name((nc_leg_t)k)) < NC_LEG_MAX);
		assert_int_equal(nc_leg_from_name(nc_leg_name((nc_leg_t)k), &back), 0);
		assert_int_equal(back, k);
	}
	assert_null(nc_leg_name(NC_LEG_COUNT));
	assert_string_equal(nc_leg_name(NC_LEG_PROXY_TO_CONTAINER), "proxy-to-container");
	assert_int_equal(nc_leg_from_name("bogus", &(nc_leg_t){ 0 }), -EINVAL);
	free(l.p);
	nc_result_free(f.result);
}

/* nonce bytes past caplen (a lying payload_len) are not looked at */
static void test_payload_bounds(void **state)
{
	list_t l = { 0 };
	nc_attr_probe_t pr = tcp_probe("127.0.0.1:44482", "127.0.0.1:32768", "172.17.0.2:80", "nonce-bound");
	size_t i;
	run_t r;

	(void)state;
	i = tcp(&l, P_DOCKER0, "172.17.0.1:38000", "172.17.0.2:80", PA, 1, "GET /nonce-bound");
	l.p[i].caplen = l.p[i].payload_off + 8; /* nonce cut off by the snaplen */
	i = tcp(&l, P_DOCKER0, "172.17.0.1:38001", "172.17.0.2:80", PA, 1, "GET /nonce-bound");
	l.p[i].payload_len = UINT32_MAX;
	i = tcp(&l, P_DOCKER0, "172.17.0.1:38002", "172.17.0.2:80", PA, 1, "GET /nonce-bound");
	l.p[i].payload_off = UINT32_MAX;
	r = attribute(&l, &pr, 1);
	assert_int_equal(r.count, 0);
	run_free(&r);
	free(l.p);
}

/* Task to task over an overlay, seen by two nodes' agents: the inner
 * connection on the task's eth0 (P_CTR_ETH0) and encapsulated on the
 * node's uplink (P_ETH0).  Both are the relayed probe's client leg; the
 * uplink's hop is its own (not merged with the inner one) and keeps the
 * nodes it went between. */
static void test_overlay(void **state)
{
	list_t l = { 0 };
	static const uint32_t pts[] = { P_CTR_ETH0, P_ETH0 };
	nc_attr_probe_t pr = tcp_probe("10.0.1.3:50000", "10.0.1.4:80", "10.0.1.4:80", "nonce-t2t");
	fixture_t f = fixture();
	nc_endpoint_t outer_src, outer_dst;
	run_t r;

	(void)state;
	pr.relayed = true;
	conversation(&l, pts, 2, "10.0.1.3:50000", "10.0.1.4:80", "GET /nonce-t2t HTTP/1.0\r\n\r\n", 1, 2);
	for (size_t i = 0; i < l.n; i++) {
		bool out = l.p[i].src.port == 50000; /* from the first node's task */

		if (l.p[i].point != P_ETH0)
			continue;
		l.p[i].encapsulated = true;
		l.p[i].outer_src = ep_str(out ? "198.18.10.11:41000" : "198.18.10.12:41000");
		l.p[i].outer_dst = ep_str(out ? "198.18.10.12:4789" : "198.18.10.11:4789");
		l.p[i].vni = 4097;
	}
	r = attribute(&l, &pr, 1);
	assert_all_first_probe(&r, l.n, l.n, NC_LEG_CLIENT, NC_LEG_CLIENT);
	assert_int_equal(nc_attribute_fill_path(f.path, 0, l.p, l.n, r.probe, r.leg, point_names, N_POINTS), 0);
	assert_int_equal(f.path->n_hops, 2);
	assert_hop(&f.path->hops[0], "eth0@ctr", "client", "10.0.1.3:50000", "10.0.1.4:80", 8);
	assert_false(f.path->hops[0].encapsulated);
	assert_hop(&f.path->hops[1], "eth0", "client", "10.0.1.3:50000", "10.0.1.4:80", 8);
	assert_true(f.path->hops[1].encapsulated);
	outer_src = ep_str("198.18.10.11:41000");
	outer_dst = ep_str("198.18.10.12:4789");
	assert_true(nc_endpoint_equal(&f.path->hops[1].outer_src, &outer_src));
	assert_true(nc_endpoint_equal(&f.path->hops[1].outer_dst, &outer_dst));
	assert_int_equal(f.path->hops[1].vni, 4097);
	run_free(&r);
	free(l.p);
	nc_result_free(f.result);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlay),
		cmocka_unit_test(test_direct),
		cmocka_unit_test(test_nat),
		cmocka_unit_test(test_nat_masquerade),
		cmocka_unit_test(test_proxy),
		cmocka_unit_test(test_proxy_relayed_bytes),
		cmocka_unit_test(test_proxy_by_time),
		cmocka_unit_test(test_proxy_by_time_beside_nat),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_missing_leg_retransmit_rst),
		cmocka_unit_test(test_icmp_and_unrelated),
		cmocka_unit_test(test_point_on_way),
		cmocka_unit_test(test_bounds_and_args),
		cmocka_unit_test(test_payload_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
