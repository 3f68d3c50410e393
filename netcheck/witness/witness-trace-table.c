/* witness: the trace table as the kernel is asked for it (libnftnl, one batch).
 *
 * Split from witness-trace.c (which owns the object, its sockets and the
 * loop): the netfilter netlink socket, batches sent and acknowledged, and
 * the table `inet netcheck_trace_<pid>_<runid>` with its two base chains
 * and one `meta nftrace set 1` rule per flow and direction; its deletion.
 * May call: libnftnl, libmnl, model.  Never prints. */
#include "witness-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#ifdef NC_HAVE_NFTRACE
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#endif

#include "netcheck/testing.h"

#ifdef NC_HAVE_NFTRACE

#define TRACE_PRIORITY (-350)
#define BATCH_MAX (256 << 10)  /* 64 flows, both ways: about 50 KiB */

/* ---- netlink ----------------------------------------------------------------------- */

struct mnl_socket *nc_witness_trace_socket_open(int *ret_errno)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);

	if (nl == NULL) {
		*ret_errno = errno;
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		*ret_errno = errno;
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/* Sends a batch (begin .. end, every message asking for an ack) and reads
 * the answers: 0 or the first error the kernel gave.  A deletion of what
 * is gone is not an error when enoent_ok. */
static int batch_send(struct mnl_socket *nl, struct mnl_nlmsg_batch *b, unsigned n_msgs, bool enoent_ok)
{
	unsigned char buf[MNL_SOCKET_BUFFER_SIZE];
	struct timeval timeout = { .tv_sec = 2 };
	unsigned answered = 0;
	int first = 0;

	/* the kernel answers at once; a bound only against a broken one */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0)
		return -errno;
	while (answered < n_msgs) {
		ssize_t got = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left;

		if (got < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (int)got;
		for (; witness_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			answered++;
			if (e->error != 0 && first == 0 && !(enoent_ok && e->error == -ENOENT))
				first = e->error;
		}
	}
	return first;
}

typedef struct batch {
	struct mnl_nlmsg_batch *b;
	unsigned n_msgs;   /* messages that ask for an ack: all but begin and end */
	uint32_t *seq;
	size_t size;       /* of the caller's memory the batch is written in */
} batch_t;

/* mem: borrowed, size bytes, until batch_finish() or batch_abandon().
 * Allocates nothing: a deletion runs on libuv's pool, where the unit
 * tests' counting allocator must not be called. */
static void batch_begin(batch_t *bt, void *mem, size_t size, uint32_t *seq)
{
	bt->b = mnl_nlmsg_batch_start(mem, size);
	bt->size = size;
	bt->seq = seq;
	bt->n_msgs = 0;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), (*seq)++);
	mnl_nlmsg_batch_next(bt->b);
}

/* Room for one more message of at most need bytes, and the end? */
static bool batch_room(batch_t *bt, size_t need)
{
	return mnl_nlmsg_batch_size(bt->b) + need + 64 < bt->size;
}

static int batch_finish(batch_t *bt, struct mnl_socket *nl, bool enoent_ok)
{
	int r;

	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), (*bt->seq)++);
	mnl_nlmsg_batch_next(bt->b);
	r = batch_send(nl, bt->b, bt->n_msgs, enoent_ok);
	mnl_nlmsg_batch_stop(bt->b);
	return r;
}

static void batch_abandon(batch_t *bt)
{
	mnl_nlmsg_batch_stop(bt->b);
}

static struct nlmsghdr *batch_msg(batch_t *bt, uint16_t type, uint16_t family, uint16_t flags)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type, family,
						    flags | NLM_F_ACK, (*bt->seq)++);

	bt->n_msgs++;
	return nlh;
}

/* ---- the table ------------------------------------------------------------------------ */

static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e == NULL)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static int add_meta_load(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	return add_expr(r, e);
}

static int add_payload_load(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	}
	return add_expr(r, e);
}

static int add_cmp_eq(struct nftnl_rule *r, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return add_expr(r, e);
}

static int add_addr_match(struct nftnl_rule *r, const nc_endpoint_t *e, bool is_src)
{
	int r1;

	if (e->family == AF_INET) {
		r1 = add_payload_load(r, NFT_PAYLOAD_NETWORK_HEADER, is_src ? 12 : 16, 4);
		return r1 < 0 ? r1 : add_cmp_eq(r, &e->addr.v4, 4);
	}
	r1 = add_payload_load(r, NFT_PAYLOAD_NETWORK_HEADER, is_src ? 8 : 24, 16);
	return r1 < 0 ? r1 : add_cmp_eq(r, &e->addr.v6, 16);
}

/* For TCP and UDP the ports; for an echo the identifier, at offset 4 both ways. */
static int add_port_match(struct nftnl_rule *r, uint8_t proto, uint16_t port, bool is_src)
{
	uint16_t be = htons(port);
	bool echo = proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
	int r1 = add_payload_load(r, NFT_PAYLOAD_TRANSPORT_HEADER, echo ? 4 : is_src ? 0 : 2, 2);

	return r1 < 0 ? r1 : add_cmp_eq(r, &be, 2);
}

/* `meta nfproto ipvX meta l4proto P <addresses> <ports> meta nftrace set 1` */
static int build_rule(struct nftnl_rule *r, const nc_trace_flow_t *f, bool reply)
{
	const nc_endpoint_t *src = reply ? &f->dst : &f->src, *dst = reply ? &f->src : &f->dst;
	int family = f->src.family != 0 ? f->src.family : f->dst.family;
	uint8_t nfproto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6, one = 1;
	struct nftnl_expr *e;
	int r1;

	if ((r1 = add_meta_load(r, NFT_META_NFPROTO)) < 0 || (r1 = add_cmp_eq(r, &nfproto, 1)) < 0)
		return r1;
	if (f->proto != 0 && ((r1 = add_meta_load(r, NFT_META_L4PROTO)) < 0 || (r1 = add_cmp_eq(r, &f->proto, 1)) < 0))
		return r1;
	if (src->family != 0 && (r1 = add_addr_match(r, src, true)) < 0)
		return r1;
	if (dst->family != 0 && (r1 = add_addr_match(r, dst, false)) < 0)
		return r1;
	if (f->proto != 0 && src->port != 0 && (r1 = add_port_match(r, f->proto, src->port, true)) < 0)
		return r1;
	if (f->proto != 0 && dst->port != 0 && (r1 = add_port_match(r, f->proto, dst->port, false)) < 0)
		return r1;
	e = nftnl_expr_alloc("immediate");
	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &one, 1);
	}
	if ((r1 = add_expr(r, e)) < 0)
		return r1;
	e = nftnl_expr_alloc("meta");
	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_NFTRACE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	}
	return add_expr(r, e);
}

static int put_rule(batch_t *bt, const char *table, const char *chain, const nc_trace_flow_t *f, size_t i, bool reply)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(128);
	char comment[64];
	int res = -ENOMEM;

	if (r == NULL || ud == NULL)
		goto out;
	snprintf(comment, sizeof(comment), "netcheck trace: flow %zu%s", i, reply ? " reply" : "");
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (!nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment))
		goto out;
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud));
	if ((res = build_rule(r, f, reply)) < 0)
		goto out;
	res = -E2BIG;
	if (!batch_room(bt, 1024))
		goto out;
	nftnl_rule_nlmsg_build_payload(batch_msg(bt, NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND), r);
	mnl_nlmsg_batch_next(bt->b);
	res = 0;
out:
	nftnl_udata_buf_free(ud);
	nftnl_rule_free(r);
	return res;
}

static int put_chain(batch_t *bt, const char *table, const char *name, uint32_t hook)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (c == NULL)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, TRACE_PRIORITY);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nftnl_chain_nlmsg_build_payload(batch_msg(bt, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE), c);
	mnl_nlmsg_batch_next(bt->b);
	nftnl_chain_free(c);
	return 0;
}

static int put_table(batch_t *bt, const char *name, uint16_t type, uint32_t flags)
{
	struct nftnl_table *tb = nftnl_table_alloc();

	if (tb == NULL)
		return -ENOMEM;
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(tb, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (type == NFT_MSG_NEWTABLE)
		nftnl_table_set_u32(tb, NFTNL_TABLE_FLAGS, flags);
	nftnl_table_nlmsg_build_payload(
		batch_msg(bt, type, NFPROTO_INET, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE | NLM_F_EXCL : 0), tb);
	mnl_nlmsg_batch_next(bt->b);
	nftnl_table_free(tb);
	return 0;
}

/* The table, its chains and the rules of every flow (first == 0), or the
 * rules of flows[first..] alone in the chains there already. */
int nc_witness_trace_install(nc_trace_t *t, size_t first)
{
	static const struct { const char *name; uint32_t hook; } hooks[] = {
		{ "prerouting", NF_INET_PRE_ROUTING },
		{ "output", NF_INET_LOCAL_OUT },
	};
	batch_t bt = { 0 };
	void *mem = calloc(1, BATCH_MAX); /* zeroed: the padding between messages is sent too */
	int r;

	if (mem == NULL)
		return -ENOMEM;
	batch_begin(&bt, mem, BATCH_MAX, &t->seq);
	if (first == 0 && (r = put_table(&bt, t->table, NFT_MSG_NEWTABLE, NFT_TABLE_F_OWNER)) < 0)
		goto fail;
	for (size_t h = 0; h < NC_ARRAY_SIZE(hooks); h++) {
		if (first == 0 && (r = put_chain(&bt, t->table, hooks[h].name, hooks[h].hook)) < 0)
			goto fail;
		for (size_t i = first; i < t->n_flows; i++)
			if ((r = put_rule(&bt, t->table, hooks[h].name, &t->flows[i].flow, i, false)) < 0 ||
			    (r = put_rule(&bt, t->table, hooks[h].name, &t->flows[i].flow, i, true)) < 0)
				goto fail;
	}
	r = batch_finish(&bt, t->owner, false);
	free(mem);
	return r;
fail:
	batch_abandon(&bt);
	free(mem);
	return r;
}

/* Deletes table name (inet) through nl: 0, also when it is gone. */
int nc_witness_trace_delete_table(struct mnl_socket *nl, uint32_t *seq, const char *name)
{
	char mem[8192]; /* a deletion is a few hundred bytes */
	batch_t bt = { 0 };
	int r;

	memset(mem, 0, sizeof(mem)); /* the padding between messages is sent too */

	batch_begin(&bt, mem, sizeof(mem), seq);
	if ((r = put_table(&bt, name, NFT_MSG_DELTABLE, 0)) < 0) {
		batch_abandon(&bt);
		return r;
	}
	return batch_finish(&bt, nl, true);
}

#endif
