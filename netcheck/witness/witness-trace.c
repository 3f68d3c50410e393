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

#define TRACE_RCVBUF (4 << 20) /* a burst of retransmissions through a long ruleset */
#define RUN_ID_MAX 32
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
	t->events = nc_witness_trace_socket_open(&e);
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
	t->owner = nc_witness_trace_socket_open(&e);
	if (t->owner == NULL) {
		r = why(err, -e, "the netfilter netlink socket");
		goto fail;
	}
	t->seq = (uint32_t)time(NULL);
	r = nc_witness_trace_install(t, 0);
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
	r = nc_witness_trace_install(t, first);
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
	w->status = nc_witness_trace_delete_table(w->owner, &w->seq, w->table);
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

int nc_witness_trace_remove_queued(nc_trace_t *t, nc_witness_queue_fn queue, void *queue_data,
				   void (*cb)(nc_trace_t *t, int status, void *data), void *data)
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
	r = queue(queue_data, &w->req, remove_on_pool, after_remove);
	if (r < 0) {
		free(w);
		return r;
	}
	t->removing = w;
	t->owner = NULL;
	t->table_present = false;
	return 0;
}

static int on_pool(void *loop, uv_work_t *req, uv_work_cb work, uv_after_work_cb after)
{
	return uv_queue_work(loop, req, work, after);
}

int nc_witness_trace_remove_async(nc_trace_t *t, void (*cb)(nc_trace_t *t, int status, void *data), void *data)
{
	return nc_witness_trace_remove_queued(t, on_pool, t->poll != NULL ? t->poll->loop : NULL, cb, data);
}

int nc_witness_trace_remove(nc_trace_t *t, nc_error_t *err)
{
	int r;

	if (t == NULL || !t->table_present)
		return 0;
	r = nc_witness_trace_delete_table(t->owner, &t->seq, t->table);
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

	nl = nc_witness_trace_socket_open(&e);
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
		if (nc_witness_trace_delete_table(nl, &seq, l.names[i]) == 0)
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
	return nc_witness_trace_remove_queued(t, NULL, NULL, cb, data);
}

int nc_witness_trace_remove_queued(nc_trace_t *t, nc_witness_queue_fn queue, void *queue_data,
				   void (*cb)(nc_trace_t *t, int status, void *data), void *data)
{
	(void)t;
	(void)queue;
	(void)queue_data;
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
