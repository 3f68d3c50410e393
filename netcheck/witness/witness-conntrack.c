/* witness: the conntrack entries of a run's flows.
 *
 * Owns nothing past a call: one ctnetlink dump (IPCTNL_MSG_CT_GET with
 * NLM_F_DUMP, every family) read through libmnl, parsed attribute by
 * attribute, and the entries of the run's flows copied out: the tuples
 * both ways (so DNAT and SNAT are seen, not inferred), the status bits,
 * the TCP state, the timeout, mark and zone.
 * May call: libmnl, model.  Never prints. */
#include "witness-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "netcheck/testing.h"

#define DUMP_MAX (64u << 20) /* a conntrack table larger than this is cut (NC_WITNESS_CT_MAX first) */

const char *nc_witness_tcp_state_name(uint8_t state)
{
	static const char *const names[] = {
		"", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
		"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	};

	return state < NC_ARRAY_SIZE(names) ? names[state] : "unknown";
}

/* ---- parsing -------------------------------------------------------------------- */

typedef struct tuple {
	int family;
	uint8_t proto;
	unsigned char src[16], dst[16];
	uint16_t sport, dport;
	bool has_ports;
} tuple_t;

/* Fills tb[0..max] with the attributes of nest (later ones of a type win). */
static void nest_attrs(const struct nlattr *nest, const struct nlattr **tb, unsigned max)
{
	const struct nlattr *a;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) <= max)
			tb[mnl_attr_get_type(a)] = a;
}

static bool copy_addr(const struct nlattr *a, unsigned char *to, size_t len)
{
	if (a == NULL || mnl_attr_get_payload_len(a) != len)
		return false;
	memcpy(to, mnl_attr_get_payload(a), len);
	return true;
}

static uint16_t be16_of(const struct nlattr *a)
{
	return a != NULL && mnl_attr_get_payload_len(a) >= 2 ? ntohs(mnl_attr_get_u16(a)) : 0;
}

static uint32_t be32_of(const struct nlattr *a)
{
	return a != NULL && mnl_attr_get_payload_len(a) >= 4 ? ntohl(mnl_attr_get_u32(a)) : 0;
}

static bool parse_tuple(const struct nlattr *nest, tuple_t *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1], *pr[CTA_PROTO_MAX + 1];

	memset(t, 0, sizeof(*t));
	if (nest == NULL)
		return false;
	nest_attrs(nest, tb, CTA_TUPLE_MAX);
	if (tb[CTA_TUPLE_IP] == NULL || tb[CTA_TUPLE_PROTO] == NULL)
		return false;
	nest_attrs(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX);
	if (copy_addr(ip[CTA_IP_V4_SRC], t->src, 4) && copy_addr(ip[CTA_IP_V4_DST], t->dst, 4))
		t->family = AF_INET;
	else if (copy_addr(ip[CTA_IP_V6_SRC], t->src, 16) && copy_addr(ip[CTA_IP_V6_DST], t->dst, 16))
		t->family = AF_INET6;
	else
		return false;
	nest_attrs(tb[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX);
	if (pr[CTA_PROTO_NUM] == NULL || mnl_attr_get_payload_len(pr[CTA_PROTO_NUM]) < 1)
		return false;
	t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	if (pr[CTA_PROTO_SRC_PORT] != NULL && pr[CTA_PROTO_DST_PORT] != NULL) {
		t->sport = be16_of(pr[CTA_PROTO_SRC_PORT]);
		t->dport = be16_of(pr[CTA_PROTO_DST_PORT]);
		t->has_ports = true;
	} else if (pr[CTA_PROTO_ICMP_ID] != NULL || pr[CTA_PROTO_ICMPV6_ID] != NULL) {
		t->sport = t->dport = be16_of(pr[CTA_PROTO_ICMP_ID] != NULL ? pr[CTA_PROTO_ICMP_ID] : pr[CTA_PROTO_ICMPV6_ID]);
		t->has_ports = true;
	}
	return true;
}

static packet_key_t key_of(const tuple_t *t, bool turned)
{
	packet_key_t k = { .family = t->family, .proto = t->proto, .has_ports = t->has_ports };

	memcpy(k.src, turned ? t->dst : t->src, 16);
	memcpy(k.dst, turned ? t->src : t->dst, 16);
	k.sport = turned ? t->dport : t->sport;
	k.dport = turned ? t->sport : t->dport;
	return k;
}

static nc_endpoint_t endpoint_of(const tuple_t *t, bool src)
{
	nc_endpoint_t e = { .family = t->family, .port = src ? t->sport : t->dport };

	if (t->family == AF_INET)
		memcpy(&e.addr.v4, src ? t->src : t->dst, 4);
	else
		memcpy(&e.addr.v6, src ? t->src : t->dst, 16);
	return e;
}

/* The flow an entry belongs to, forward only: a connection is the initiator's. */
static long entry_flow(const tuple_t *orig, const tuple_t *reply, const nc_trace_flow_t *flows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		packet_key_t k = key_of(orig, false), after_nat = key_of(reply, true);
		bool turned;

		if ((witness_flow_matches(&flows[i], &k, &turned) && !turned) ||
		    (witness_flow_matches(&flows[i], &after_nat, &turned) && !turned))
			return (long)i;
	}
	return -1;
}

typedef struct collect {
	const nc_trace_flow_t *flows;
	size_t n_flows;
	nc_witness_ct_entry_t *entries; /* owned until handed over */
	size_t n, cap;
	int error;
} collect_t;

static int on_entry(const struct nlmsghdr *nlh, void *data)
{
	collect_t *c = data;
	const struct nlattr *a, *tb[CTA_MAX + 1] = { 0 };
	nc_witness_ct_entry_t *e;
	tuple_t orig, reply;
	long flow;

	if ((nlh->nlmsg_type & 0xff) != IPCTNL_MSG_CT_NEW || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) <= CTA_MAX)
			tb[mnl_attr_get_type(a)] = a;
	if (!parse_tuple(tb[CTA_TUPLE_ORIG], &orig) || !parse_tuple(tb[CTA_TUPLE_REPLY], &reply))
		return MNL_CB_OK; /* an entry of a kind netcheck has no flows of */
	flow = entry_flow(&orig, &reply, c->flows, c->n_flows);
	if (flow < 0 || c->n == NC_WITNESS_CT_MAX)
		return MNL_CB_OK;
	if (c->n == c->cap) {
		size_t cap = c->cap == 0 ? 8 : c->cap * 2;
		nc_witness_ct_entry_t *grown = realloc(c->entries, cap * sizeof(*grown));

		if (grown == NULL) {
			c->error = -ENOMEM;
			return MNL_CB_ERROR;
		}
		c->entries = grown;
		c->cap = cap;
	}
	e = &c->entries[c->n++];
	*e = (nc_witness_ct_entry_t){
		.flow = (size_t)flow,
		.proto = orig.proto,
		.orig_src = endpoint_of(&orig, true),
		.orig_dst = endpoint_of(&orig, false),
		.reply_src = endpoint_of(&reply, true),
		.reply_dst = endpoint_of(&reply, false),
		.status = be32_of(tb[CTA_STATUS]),
		.timeout = be32_of(tb[CTA_TIMEOUT]),
		.mark = be32_of(tb[CTA_MARK]),
		.zone = be16_of(tb[CTA_ZONE]),
	};
	e->dnat = (e->status & IPS_DST_NAT) != 0;
	e->snat = (e->status & IPS_SRC_NAT) != 0;
	e->assured = (e->status & IPS_ASSURED) != 0;
	e->seen_reply = (e->status & IPS_SEEN_REPLY) != 0;
	if (tb[CTA_PROTOINFO] != NULL) {
		const struct nlattr *pi[CTA_PROTOINFO_MAX + 1], *tcp[CTA_PROTOINFO_TCP_MAX + 1];

		nest_attrs(tb[CTA_PROTOINFO], pi, CTA_PROTOINFO_MAX);
		if (pi[CTA_PROTOINFO_TCP] != NULL) {
			nest_attrs(pi[CTA_PROTOINFO_TCP], tcp, CTA_PROTOINFO_TCP_MAX);
			if (tcp[CTA_PROTOINFO_TCP_STATE] != NULL && mnl_attr_get_payload_len(tcp[CTA_PROTOINFO_TCP_STATE]) >= 1)
				e->tcp_state = mnl_attr_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]);
		}
	}
	return MNL_CB_OK;
}

int nc_witness_conntrack_parse(const void *buf, size_t len, const nc_trace_flow_t *flows, size_t n,
			       nc_witness_ct_entry_t **ret, size_t *ret_n)
{
	collect_t c = { .flows = flows, .n_flows = n };
	const struct nlmsghdr *nlh = buf;
	int left = len > (size_t)INT32_MAX ? INT32_MAX : (int)len;

	*ret = NULL;
	*ret_n = 0;
	/* the datagrams of a dump, one after the other: each message on its own
	 * (the dump's DONE ends mnl_cb_run, which is not the end here) */
	while (witness_nlmsg_ok(nlh, left)) {
		if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
			nlh = mnl_nlmsg_next(nlh, &left);
			continue;
		}
		if (on_entry(nlh, &c) == MNL_CB_ERROR)
			break;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	if (c.error == 0 && left != 0)
		c.error = -EINVAL;
	if (c.error < 0) {
		free(c.entries);
		return c.error;
	}
	*ret = c.entries;
	*ret_n = c.n;
	return 0;
}

/* ---- the dump ------------------------------------------------------------------------ */

static struct nlmsghdr *get_header(void *req, uint16_t flags, uint8_t family, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	return nlh;
}

static int why(nc_error_t *err, int r, const char *what)
{
	if (r == -EPERM || r == -EACCES)
		return nc_error_set(err, -EPERM, "conntrack: reading the table needs CAP_NET_ADMIN");
	if (r == -EOPNOTSUPP || r == -EPROTONOSUPPORT)
		return nc_error_set(err, -EOPNOTSUPP, "conntrack: the kernel has no ctnetlink (%s)", nc_strerror(r));
	return nc_error_set(err, r, "conntrack: %s: %s", what, nc_strerror(r));
}

int nc_witness_conntrack_dump(void **ret_buf, size_t *ret_len, nc_error_t *err)
{
	unsigned char req[256] = { 0 }; /* one header and its nfgenmsg */
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	struct nlmsghdr *nlh;
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	uint32_t seq = (uint32_t)time(NULL), portid;
	int r = 0;

	*ret_buf = NULL;
	*ret_len = 0;
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = get_header(req, NLM_F_DUMP, AF_UNSPEC, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	for (;;) {
		unsigned char chunk[32768]; /* libmnl's MNL_SOCKET_DUMP_SIZE */
		ssize_t got = mnl_socket_recvfrom(nl, chunk, sizeof(chunk));
		int cb;

		if (got < 0) {
			r = -errno;
			goto out;
		}
		if (len + (size_t)got > DUMP_MAX)
			break; /* bounded: what was read is kept */
		if (len + (size_t)got > cap) {
			size_t grown_cap = cap == 0 ? 65536 : cap * 2;
			unsigned char *grown;

			while (grown_cap < len + (size_t)got)
				grown_cap *= 2;
			grown = realloc(buf, grown_cap);
			if (grown == NULL) {
				r = -ENOMEM;
				goto out;
			}
			buf = grown;
			cap = grown_cap;
		}
		memcpy(buf + len, chunk, (size_t)got);
		len += (size_t)got;
		cb = mnl_cb_run(chunk, (size_t)got, seq, portid, NULL, NULL);
		if (cb < 0) {
			r = -errno;
			goto out;
		}
		if (cb == MNL_CB_STOP)
			break;
	}
out:
	if (nl != NULL)
		mnl_socket_close(nl);
	if (r < 0) {
		free(buf);
		return why(err, r, "dumping the table");
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int nc_witness_conntrack_read(const nc_trace_flow_t *flows, size_t n, nc_witness_ct_entry_t **ret, size_t *ret_n,
			      nc_error_t *err)
{
	void *buf;
	size_t len;
	int r;

	*ret = NULL;
	*ret_n = 0;
	r = nc_witness_conntrack_dump(&buf, &len, err);
	if (r < 0)
		return r;
	r = nc_witness_conntrack_parse(buf, len, flows, n, ret, ret_n);
	free(buf);
	if (r < 0)
		return nc_error_set(err, r, "conntrack: a malformed answer");
	return 0;
}

/* CTA_TUPLE_ORIG of the connection flow names exactly. */
static void put_tuple(struct nlmsghdr *nlh, const nc_trace_flow_t *f)
{
	bool v4 = f->src.family == AF_INET;
	struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG), *nest;

	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, v4 ? 4 : 16, &f->src.addr);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, v4 ? 4 : 16, &f->dst.addr);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, f->proto);
	if (f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6) {
		/* an echo request's connection: the kernel wants type and code too */
		bool icmp4 = f->proto == IPPROTO_ICMP;

		mnl_attr_put_u16(nlh, icmp4 ? CTA_PROTO_ICMP_ID : CTA_PROTO_ICMPV6_ID, htons(f->src.port));
		mnl_attr_put_u8(nlh, icmp4 ? CTA_PROTO_ICMP_TYPE : CTA_PROTO_ICMPV6_TYPE, icmp4 ? 8 : 128);
		mnl_attr_put_u8(nlh, icmp4 ? CTA_PROTO_ICMP_CODE : CTA_PROTO_ICMPV6_CODE, 0);
	} else {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(f->src.port));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(f->dst.port));
	}
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
}

int nc_witness_conntrack_lookup(const nc_trace_flow_t *exact, nc_witness_ct_entry_t *ret, nc_error_t *err)
{
	unsigned char req[512] = { 0 }, answer[8192];
	collect_t c = { .flows = exact, .n_flows = 1 };
	uint32_t seq = (uint32_t)time(NULL);
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	ssize_t got;
	int r = 0;

	if (exact->src.family == 0 || exact->src.family != exact->dst.family ||
	    (exact->proto != IPPROTO_TCP && exact->proto != IPPROTO_UDP && exact->proto != IPPROTO_ICMP &&
	     exact->proto != IPPROTO_ICMPV6))
		return nc_error_set(err, -EINVAL, "conntrack: a lookup needs both addresses and the protocol");
	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	nlh = get_header(req, 0, exact->src.family == AF_INET ? AF_INET : AF_INET6, seq);
	put_tuple(nlh, exact);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 || (got = mnl_socket_recvfrom(nl, answer, sizeof(answer))) < 0) {
		r = -errno;
		goto out;
	}
	if (mnl_cb_run(answer, (size_t)got, seq, mnl_socket_get_portid(nl), on_entry, &c) < 0)
		r = -errno;
	else if (c.error < 0)
		r = c.error;
	else if (c.n == 0)
		r = -ENOENT;
out:
	if (nl != NULL)
		mnl_socket_close(nl);
	if (r == 0)
		*ret = c.entries[0];
	free(c.entries);
	if (r == -ENOENT)
		return nc_error_set(err, r, "conntrack: no such connection");
	return r < 0 ? why(err, r, "looking the connection up") : 0;
}
