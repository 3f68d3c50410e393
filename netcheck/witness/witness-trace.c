/* witness: the nftables trace table and the trace socket (the kernel side).
 *
 * Owns two netfilter netlink sockets: one subscribed to NFNLGRP_NFTRACE,
 * read on the caller's libuv loop, and one that made the trace table and
 * owns it (NFT_TABLE_F_OWNER: the kernel deletes the table when this socket
 * closes, so a killed run leaves nothing).  The table is built with
 * libnftnl in one batch: `table inet netcheck_trace_<pid>_<runid>` with two
 * base chains at priority -350 (before raw at -300 and conntrack at -200)
 * on prerouting and output, the two hooks where a packet starts, and per
 * flow and direction a rule matching only it that does `meta nftrace set 1`.
 * The trace bit stays with the packet through every later hook and table.
 * May call: libnftnl, libmnl, libuv, platform, model.  Never prints. */
#include "witness-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

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

#include "netcheck/platform.h"
#include "netcheck/testing.h"

#define TRACE_PRIORITY (-350)
#define TRACE_RCVBUF (4 << 20) /* a burst of retransmissions through a long ruleset */
#define RUN_ID_MAX 32
#define BATCH_MAX (256 << 10)  /* 64 flows, both ways: about 50 KiB */
#define READS_PER_WAKE 64      /* datagrams read per poll callback: the loop has other work */

static bool run_id_valid(const char *run_id)
{
	size_t n = run_id == NULL ? 0 : strlen(run_id);

	if (n == 0 || n > RUN_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((run_id[i] >= 'a' && run_id[i] <= 'z') || (run_id[i] >= '0' && run_id[i] <= '9') || run_id[i] == '-'))
			return false;
	return true;
}

#ifdef NC_HAVE_NFTRACE

/* ---- netlink ----------------------------------------------------------------------- */

static struct mnl_socket *socket_open(int *ret_errno)
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
static int install(nc_trace_t *t, size_t first)
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
static int delete_table(struct mnl_socket *nl, uint32_t *seq, const char *name)
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

/* ---- the object -------------------------------------------------------------------------- */

static bool flows_valid(const nc_trace_flow_t *flows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const nc_trace_flow_t *f = &flows[i];

		if (f->src.family == 0 && f->dst.family == 0)
			return false;
		if (f->src.family != 0 && f->dst.family != 0 && f->src.family != f->dst.family)
			return false;
		if ((f->src.family != 0 && f->src.family != AF_INET && f->src.family != AF_INET6) ||
		    (f->dst.family != 0 && f->dst.family != AF_INET && f->dst.family != AF_INET6))
			return false;
	}
	return true;
}

static int why(nc_error_t *err, int code, const char *what)
{
	if (code == -EPERM || code == -EACCES)
		return nc_error_set(err, -EPERM, "nftables trace: %s needs CAP_NET_ADMIN", what);
	if (code == -EPROTONOSUPPORT || code == -EAFNOSUPPORT || code == -EOPNOTSUPP || code == -ENOENT)
		return nc_error_set(err, -EOPNOTSUPP, "nftables trace: %s: the kernel has no nf_tables (%s)", what,
				    nc_strerror(code));
	return nc_error_set(err, code, "nftables trace: %s: %s", what, nc_strerror(code));
}

int nc_witness_trace_new(const char *run_id, const nc_trace_flow_t *flows, size_t n, nc_trace_t **ret,
			 nc_error_t *err)
{
	char table[NC_TRACE_TABLE_MAX];
	unsigned group = NFNLGRP_NFTRACE;
	int rcvbuf = TRACE_RCVBUF, e = 0, r;
	nc_trace_t *t = NULL;

	*ret = NULL;
	if (!run_id_valid(run_id) || flows == NULL || n == 0 || n > NC_TRACE_MAX_FLOWS || !flows_valid(flows, n))
		return nc_error_set(err, -EINVAL, "nftables trace: bad run id or flows");
	snprintf(table, sizeof(table), NC_TRACE_TABLE_PREFIX "%ld_%s", (long)getpid(), run_id);
	for (char *c = table; *c != '\0'; c++)
		if (*c == '-')
			*c = '_'; /* an identifier nft prints and reads without quotes */
	if ((r = nc_witness_trace_offline(table, flows, n, &t)) < 0)
		return nc_error_set(err, r, "nftables trace: %s", nc_strerror(r));
	t->buf = malloc(TRACE_RECV_MAX);
	if (t->buf == NULL) {
		r = nc_error_set(err, -ENOMEM, "nftables trace: out of memory");
		goto fail;
	}
	/* first the listener, so that no event of the table's first packet is missed */
	t->events = socket_open(&e);
	if (t->events == NULL) {
		r = why(err, -e, "the netfilter netlink socket");
		goto fail;
	}
	if (mnl_socket_setsockopt(t->events, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		r = why(err, -errno, "listening to trace events");
		goto fail;
	}
	if (setsockopt(mnl_socket_get_fd(t->events), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(t->events), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	t->owner = socket_open(&e);
	if (t->owner == NULL) {
		r = why(err, -e, "the netfilter netlink socket");
		goto fail;
	}
	t->seq = (uint32_t)time(NULL);
	r = install(t, 0);
	if (r < 0) {
		r = why(err, r, "installing the trace table");
		goto fail;
	}
	t->table_present = true;
	*ret = t;
	return 0;
fail:
	nc_witness_trace_free(t);
	return r;
}

int nc_witness_trace_add_flows(nc_trace_t *t, const nc_trace_flow_t *flows, size_t n, nc_error_t *err)
{
	size_t first = t->n_flows;
	int r;

	if (flows == NULL || n == 0 || n > NC_TRACE_MAX_FLOWS - t->n_flows || !flows_valid(flows, n))
		return nc_error_set(err, -EINVAL, "nftables trace: bad flows, or more than %d in all", NC_TRACE_MAX_FLOWS);
	if (!t->table_present || t->removing != NULL)
		return nc_error_set(err, -ENOENT, "nftables trace: the trace table is gone");
	if ((r = witness_trace_grow(t, flows, n)) < 0)
		return nc_error_set(err, r, "nftables trace: %s", nc_strerror(r));
	r = install(t, first);
	if (r < 0) {
		t->n_flows = first; /* their rules are not in the kernel: the kernel's batch is all or nothing */
		return why(err, r, "adding flows to the trace table");
	}
	return 0;
}

/* Reads every datagram waiting (at most max): 0, or -EAGAIN when more may wait. */
static int drain_some(nc_trace_t *t, unsigned max)
{
	for (unsigned i = 0; i < max; i++) {
		ssize_t got = recv(mnl_socket_get_fd(t->events), t->buf, TRACE_RECV_MAX, MSG_DONTWAIT);

		if (got < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == ENOBUFS) { /* the kernel dropped events: say so, go on */
				t->stats.lost++;
				continue;
			}
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (t->record_fd >= 0 && write(t->record_fd, t->buf, (size_t)got) != got)
			t->record_fd = -1;
		nc_witness_trace_feed(t, t->buf, (size_t)got);
	}
	return -EAGAIN;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* drain_some, timed in the loop thread's CPU time: what tracing costs the
 * run while it listens (wall time would count whoever else had the CPU) */
static int drain(nc_trace_t *t, unsigned max)
{
	uint64_t start = thread_cpu_ns();
	int r = drain_some(t, max);

	t->stats.read_ns += thread_cpu_ns() - start;
	return r;
}

static void on_readable(uv_poll_t *poll, int status, int events)
{
	nc_trace_t *t = poll->data;
	int r;

	(void)events;
	if (t == NULL)
		return;
	r = status < 0 ? status : drain(t, READS_PER_WAKE);
	if (r < 0 && r != -EAGAIN)
		uv_poll_stop(poll); /* the events read stay; a socket that broke has no more */
}

int nc_witness_trace_start(nc_trace_t *t, uv_loop_t *loop)
{
	int r;

	if (t->poll != NULL || t->events == NULL)
		return t->poll != NULL ? -EALREADY : -EINVAL;
	t->poll = malloc(sizeof(*t->poll));
	if (t->poll == NULL)
		return -ENOMEM;
	r = uv_poll_init(loop, t->poll, mnl_socket_get_fd(t->events));
	if (r < 0) {
		free(t->poll);
		t->poll = NULL;
		return r;
	}
	t->poll->data = t;
	r = uv_poll_start(t->poll, UV_READABLE, on_readable);
	return r;
}

int nc_witness_trace_stop(nc_trace_t *t)
{
	if (t->events != NULL)
		while (drain(t, READS_PER_WAKE) == -EAGAIN)
			;
	if (t->poll != NULL)
		uv_poll_stop(t->poll);
	nc_witness_trace_flush(t);
	return 0;
}

/* The deletion on libuv's pool: the kernel's commit of a deletion waits
 * for an RCU grace period (10 to 20 ms measured), time the run spends
 * better on its other teardown. */
typedef struct remove_work {
	uv_work_t req;
	nc_trace_t *t;               /* borrowed; NULL once freed meanwhile */
	struct mnl_socket *owner;    /* owned: closed on the pool, which removes the table too */
	uint32_t seq;
	char table[NC_TRACE_TABLE_MAX];
	int status;
	void (*cb)(nc_trace_t *t, int status, void *data);
	void *data;
} remove_work_t;

static void remove_on_pool(uv_work_t *req)
{
	remove_work_t *w = req->data;

	if (w->owner == NULL) /* gone already: the callback says so all the same */
		return;
	w->status = delete_table(w->owner, &w->seq, w->table);
	mnl_socket_close(w->owner);
	w->owner = NULL;
}

static void after_remove(uv_work_t *req, int status)
{
	remove_work_t *w = req->data;

	if (w->t != NULL) {
		w->t->removing = NULL;
		if (w->cb != NULL)
			w->cb(w->t, status < 0 ? status : w->status, w->data);
	}
	free(w);
}

int nc_witness_trace_remove_async(nc_trace_t *t, void (*cb)(nc_trace_t *t, int status, void *data), void *data)
{
	remove_work_t *w;
	int r;

	if (t->removing != NULL)
		return -EALREADY;
	if (t->poll == NULL)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	*w = (remove_work_t){ .t = t, .owner = t->owner, .seq = t->seq, .cb = cb, .data = data };
	snprintf(w->table, sizeof(w->table), "%s", t->table);
	w->req.data = w;
	r = uv_queue_work(t->poll->loop, &w->req, remove_on_pool, after_remove);
	if (r < 0) {
		free(w);
		return r;
	}
	t->removing = w;
	t->owner = NULL;
	t->table_present = false;
	return 0;
}

int nc_witness_trace_remove(nc_trace_t *t, nc_error_t *err)
{
	int r;

	if (t == NULL || !t->table_present)
		return 0;
	r = delete_table(t->owner, &t->seq, t->table);
	if (r < 0)
		return nc_error_set(err, r, "nftables trace: removing table inet %s: %s", t->table, nc_strerror(r));
	t->table_present = false;
	mnl_socket_close(t->owner);
	t->owner = NULL;
	return 0;
}

int nc_witness_trace_owner_fd(const nc_trace_t *t)
{
	return t == NULL || t->owner == NULL ? -1 : mnl_socket_get_fd(t->owner);
}

static void on_poll_closed(uv_handle_t *h)
{
	free(h);
}

void nc_witness_trace_free(nc_trace_t *t)
{
	if (t == NULL)
		return;
	if (t->removing != NULL) /* it finishes on its own */
		((remove_work_t *)t->removing)->t = NULL;
	nc_witness_trace_remove(t, NULL);
	if (t->owner != NULL) /* removal failed: closing the owner removes the table */
		mnl_socket_close(t->owner);
	if (t->poll != NULL) {
		if (!uv_is_closing((uv_handle_t *)t->poll)) {
			uv_poll_stop(t->poll);
			uv_close((uv_handle_t *)t->poll, on_poll_closed);
		}
		t->poll->data = NULL;
	}
	if (t->events != NULL)
		mnl_socket_close(t->events);
	free(t->buf);
	nc_witness_trace_collect_free(t);
	free(t);
}

/* ---- gc ------------------------------------------------------------------------------------------- */

typedef struct gc_list {
	char (*names)[NC_TRACE_TABLE_MAX];
	size_t n;
	int error;
} gc_list_t;

/* A trace table of a run that is gone?  Owned tables go with their run. */
static bool table_is_stale(const struct nftnl_table *tb)
{
	const char *name = nftnl_table_get_str(tb, NFTNL_TABLE_NAME);
	char *end;
	long pid;

	if (name == NULL || strncmp(name, NC_TRACE_TABLE_PREFIX, strlen(NC_TRACE_TABLE_PREFIX)) != 0 ||
	    nftnl_table_get_u32(tb, NFTNL_TABLE_FAMILY) != NFPROTO_INET || strlen(name) >= NC_TRACE_TABLE_MAX)
		return false;
	if (nftnl_table_is_set(tb, NFTNL_TABLE_FLAGS) && (nftnl_table_get_u32(tb, NFTNL_TABLE_FLAGS) & NFT_TABLE_F_OWNER))
		return false;
	pid = strtol(name + strlen(NC_TRACE_TABLE_PREFIX), &end, 10);
	if (*end != '_' || pid <= 0)
		return true; /* not a name a run makes: some run's, broken */
	return pid != (long)getpid() && !nc_platform_process_is_netcheck(pid);
}

static int on_table(const struct nlmsghdr *nlh, void *data)
{
	gc_list_t *l = data;
	struct nftnl_table *tb = nftnl_table_alloc();
	void *grown;

	if (tb == NULL)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, tb) == 0 && table_is_stale(tb) && l->n < 1024) {
		grown = realloc(l->names, (l->n + 1) * sizeof(*l->names));
		if (grown == NULL) {
			l->error = -ENOMEM;
		} else {
			l->names = grown;
			snprintf(l->names[l->n++], NC_TRACE_TABLE_MAX, "%s", nftnl_table_get_str(tb, NFTNL_TABLE_NAME));
		}
	}
	nftnl_table_free(tb);
	return MNL_CB_OK;
}

int nc_witness_trace_gc(nc_error_t *err)
{
	unsigned char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	gc_list_t l = { 0 };
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	int e = 0, r, removed = 0;
	ssize_t got;

	nl = socket_open(&e);
	if (nl == NULL)
		return why(err, -e, "the netfilter netlink socket");
	nlh = nftnl_nlmsg_build_hdr((char *)buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_DUMP, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = why(err, -errno, "listing tables");
		goto out;
	}
	r = 1;
	while (r > 0 && (got = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
		r = mnl_cb_run(buf, (size_t)got, seq, mnl_socket_get_portid(nl), on_table, &l);
	if (r < 0) {
		r = why(err, -errno, "listing tables");
		goto out;
	}
	if (l.error < 0) {
		r = why(err, l.error, "listing tables");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		/* EPERM: owned by a live socket after all; it goes with it */
		if (delete_table(nl, &seq, l.names[i]) == 0)
			removed++;
	r = removed;
out:
	free(l.names);
	mnl_socket_close(nl);
	return r;
}

#else /* !NC_HAVE_NFTRACE */

static int not_built(nc_error_t *err)
{
	return nc_error_set(err, -EOPNOTSUPP, "nftables trace: netcheck was built without libnftnl and libmnl");
}

int nc_witness_trace_new(const char *run_id, const nc_trace_flow_t *flows, size_t n, nc_trace_t **ret,
			 nc_error_t *err)
{
	(void)run_id_valid;
	(void)run_id;
	(void)flows;
	(void)n;
	*ret = NULL;
	return not_built(err);
}

int nc_witness_trace_start(nc_trace_t *t, uv_loop_t *loop)
{
	(void)t;
	(void)loop;
	return -EOPNOTSUPP;
}

int nc_witness_trace_stop(nc_trace_t *t)
{
	nc_witness_trace_flush(t);
	return 0;
}

int nc_witness_trace_remove(nc_trace_t *t, nc_error_t *err)
{
	(void)t;
	(void)err;
	return 0;
}

int nc_witness_trace_owner_fd(const nc_trace_t *t)
{
	(void)t;
	return -1;
}

int nc_witness_trace_remove_async(nc_trace_t *t, void (*cb)(nc_trace_t *t, int status, void *data), void *data)
{
	(void)t;
	(void)cb;
	(void)data;
	return -EINVAL;
}

int nc_witness_trace_add_flows(nc_trace_t *t, const nc_trace_flow_t *flows, size_t n, nc_error_t *err)
{
	(void)t;
	(void)flows;
	(void)n;
	return not_built(err);
}

void nc_witness_trace_free(nc_trace_t *t)
{
	if (t == NULL)
		return;
	nc_witness_trace_collect_free(t);
	free(t);
}

int nc_witness_trace_gc(nc_error_t *err)
{
	return not_built(err);
}

#endif
