/* witness: the kernel's drop reasons for a run's flows — the kernel side.
 *
 * Owns the eBPF program (drop.bpf.c, embedded as a bpftool light
 * skeleton), its flow map, its ring buffer and the uv_poll that reads it
 * on the run's loop.  Loading has the kernel relocate the program against
 * its own BTF (CO-RE) and attaches it to the skb:kfree_skb tracepoint
 * (tp_btf); the
 * program goes with its link: on nc_dropreason_stop(), _free(), or the
 * process's end, whatever ends it (the kernel drops a link whose last fd
 * closes), so a killed run leaves nothing attached.
 *
 * libbpf (the ring buffer) says what went wrong through a process-wide print hook that has
 * no user pointer: the one place this module keeps state outside its
 * object is a thread-local pointer to the error being filled, set only
 * while nc_dropreason_new() runs.
 * May call: libbpf, libuv, model.  Never prints. */
#ifdef NC_HAVE_DROPREASON
#include "witness-drop-internal.h"
#else
#include "netcheck/dropreason.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef NC_HAVE_DROPREASON
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* bpftool's light skeleton (gen skeleton -L): a loader program that the
 * kernel runs to create the maps, relocate the program against its own
 * BTF (CO-RE in the kernel) and load it.  libbpf's skeleton did the same
 * in user space, parsing the kernel's 6 MB of BTF first: 16-24 ms of CPU
 * per run on a 2-CPU VM, against 3-4 ms for this.  Its bytes are string
 * literals longer than ISO C's minimum and it does arithmetic on void *
 * (-Wpedantic); it allocates with calloc and frees with free, so it comes
 * before testing.h swaps the allocator. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wpointer-arith"
#include "drop.skel.h"
#pragma GCC diagnostic pop
#endif

#include "netcheck/testing.h"

#ifdef NC_HAVE_DROPREASON

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- libbpf's messages ---------------------------------------------------------- */

static _Thread_local char *libbpf_message; /* the caller's buffer while new() runs, else NULL */
static _Thread_local size_t libbpf_message_len;

/* Keeps libbpf's first warning of the call (later lines are the
 * verifier's log, which the first one summarises); prints nothing. */
static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *end;

	if (level != LIBBPF_WARN || libbpf_message == NULL || libbpf_message[0] != '\0')
		return 0;
	vsnprintf(libbpf_message, libbpf_message_len, fmt, ap);
	if ((end = strchr(libbpf_message, '\n')) != NULL)
		*end = '\0';
	return 0;
}

/* err with what and why, the errno's name and libbpf's line if it said one */
static int fail(nc_error_t *err, int code, const char *what, const char *said)
{
	if (code == -EPERM)
		return nc_error_set(err, -EPERM,
				    "drop reasons: %s: no privilege (eBPF needs CAP_BPF and CAP_PERFMON, "
				    "or CAP_SYS_ADMIN)", what);
	if (said[0] != '\0')
		return nc_error_set(err, code, "drop reasons: %s: %s (%s)", what, nc_strerror(code), said);
	return nc_error_set(err, code, "drop reasons: %s: %s", what, nc_strerror(code));
}

/* ---- events ---------------------------------------------------------------------- */

static int on_event(void *ctx, void *data, size_t size)
{
	nc_dropreason_t *d = ctx;
	struct drop_event e;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e)); /* the ring's records are 8-byte aligned; copy anyway */
	(void)drop_collect_event(d, &e);
	return 0;
}

static void read_counters(nc_dropreason_t *d)
{
	struct nc_drop_bpf *skel = d->skel;

	if (skel == NULL || skel->bss == NULL)
		return;
	d->stats.seen = __atomic_load_n(&skel->bss->counters.seen, __ATOMIC_RELAXED);
	d->stats.matched = __atomic_load_n(&skel->bss->counters.matched, __ATOMIC_RELAXED);
	d->stats.lost = __atomic_load_n(&skel->bss->counters.lost, __ATOMIC_RELAXED);
}

/* ---- the object -------------------------------------------------------------------- */

/* Writes flows[from..n_flows) into the map, then the count the program
 * reads: a flow is whole in the map before the program looks at it. */
static int write_flows(nc_dropreason_t *d, size_t from)
{
	struct nc_drop_bpf *skel = d->skel;

	for (__u32 i = (__u32)from; i < d->n_flows; i++) {
		if (bpf_map_update_elem(skel->maps.flows.map_fd, &i, &d->flows[i], BPF_ANY) < 0)
			return -errno;
	}
	__atomic_store_n(&skel->bss->n_flows, (__u32)d->n_flows, __ATOMIC_RELEASE);
	return 0;
}

int nc_dropreason_add_flows(nc_dropreason_t *d, const nc_drop_flow_t *flows, size_t n)
{
	size_t from = d->n_flows;
	int r;

	if (d->stopped)
		return -EINVAL;
	/* what waits is of the flows so far (or of cleared ones: dropped) */
	(void)nc_dropreason_consume(d);
	if ((r = drop_append_flows(d, flows, n)) < 0)
		return r;
	if ((r = write_flows(d, from)) < 0)
		d->n_flows = from;
	return r;
}

int nc_dropreason_clear_flows(nc_dropreason_t *d)
{
	struct nc_drop_bpf *skel = d->skel;

	if (d->stopped)
		return -EINVAL;
	/* the program looks at no flow from now; the events it made for
	 * them before are read into them, then forgotten with them */
	if (skel != NULL && skel->bss != NULL)
		__atomic_store_n(&skel->bss->n_flows, 0, __ATOMIC_RELEASE);
	(void)nc_dropreason_consume(d);
	drop_clear_flows(d);
	/* nothing to read until flows come: the poll stops, so that it keeps
	 * no loop alive (a run without capture ends when its handles do) */
	if (d->poll != NULL)
		(void)uv_poll_stop(d->poll);
	return 0;
}

int nc_dropreason_new(const nc_drop_flow_t *flows, size_t n, nc_dropreason_t **ret, nc_error_t *err)
{
	char said[NC_ERROR_MAX] = "";
	nc_dropreason_t *d = NULL;
	struct nc_drop_bpf *skel;
	uint64_t start = now_ns();
	int r;

	*ret = NULL;
	if ((r = nc_dropreason_offline(flows, n, &d)) < 0)
		return nc_error_set(err, r, "drop reasons: %s", r == -EINVAL ? "invalid flows" : nc_strerror(r));
	if (access(DROP_BTF_PATH, R_OK) < 0) {
		r = nc_error_set(err, -EOPNOTSUPP, "drop reasons: the kernel has no BTF (%s: %s)", DROP_BTF_PATH,
				 strerror(errno));
		goto out;
	}
	libbpf_set_print(on_libbpf_print);
	libbpf_message = said;
	libbpf_message_len = sizeof(said);

	d->skel = skel = nc_drop_bpf__open();
	if (skel == NULL) {
		r = fail(err, -ENOMEM, "opening the program", said);
		goto out;
	}
	if ((r = nc_drop_bpf__load(skel)) < 0) {
		/* the verifier's no (EACCES, EINVAL): a kernel without what the
		 * program reads, such as kfree_skb's reason (before 5.17) */
		r = fail(err, r == -EACCES || r == -EINVAL ? -EOPNOTSUPP : r, "loading the program", said);
		goto out;
	}
	if ((r = write_flows(d, 0)) < 0) {
		r = fail(err, r, "writing the flows", said);
		goto out;
	}
	d->ring = ring_buffer__new(skel->maps.events.map_fd, on_event, d, NULL);
	if (d->ring == NULL) {
		r = fail(err, -errno, "opening the ring buffer", said);
		goto out;
	}
	if (nc_drop_bpf__attach(skel) < 0) {
		r = -errno;
		r = fail(err, r == -ENOENT || r == -ESRCH ? -EOPNOTSUPP : r, "attaching to skb:kfree_skb", said);
		goto out;
	}
	d->stats.attach_ns = now_ns() - start;
	*ret = d;
	d = NULL;
	r = 0;
out:
	libbpf_message = NULL;
	nc_dropreason_free(d);
	return r;
}

typedef struct new_work {
	uv_work_t req;
	nc_drop_flow_t flows[NC_DROP_MAX_FLOWS];
	size_t n;
	nc_dropreason_t *d;         /* owned until handed to cb */
	int status;
	nc_error_t err;
	nc_dropreason_new_cb cb;
	void *data;
} new_work_t;

static void on_new_work(uv_work_t *req)
{
	new_work_t *w = req->data;

	w->status = nc_dropreason_new(w->flows, w->n, &w->d, &w->err);
}

static void on_new_done(uv_work_t *req, int status)
{
	new_work_t *w = req->data;

	if (status < 0 && w->status == 0) { /* cancelled: never ran */
		w->status = status;
		nc_error_set(&w->err, status, "drop reasons: loading was cancelled");
	}
	w->cb(w->d, w->status, &w->err, w->data);
	free(w);
}

int nc_dropreason_new_async(uv_loop_t *loop, const nc_drop_flow_t *flows, size_t n, nc_dropreason_new_cb cb,
			    void *data, nc_error_t *err)
{
	new_work_t *w;
	int r;

	if (loop == NULL || cb == NULL || n > NC_DROP_MAX_FLOWS || (n > 0 && flows == NULL))
		return nc_error_set(err, -EINVAL, "drop reasons: bad flows");
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return nc_error_set(err, -ENOMEM, "drop reasons: out of memory");
	if (n > 0)
		memcpy(w->flows, flows, n * sizeof(*flows));
	w->n = n;
	w->cb = cb;
	w->data = data;
	w->req.data = w;
	if ((r = uv_queue_work(loop, &w->req, on_new_work, on_new_done)) < 0) {
		free(w);
		return nc_error_set(err, r, "drop reasons: libuv: %s", uv_strerror(r));
	}
	return 0;
}

int nc_dropreason_fd(const nc_dropreason_t *d)
{
	return d->ring != NULL ? ring_buffer__epoll_fd(d->ring) : -EBADF;
}

int nc_dropreason_consume(nc_dropreason_t *d)
{
	int r;

	if (d->ring == NULL)
		return 0;
	r = ring_buffer__consume(d->ring);
	read_counters(d);
	return r;
}

static void on_poll_closed(uv_handle_t *h)
{
	free(h);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	nc_dropreason_t *d = h->data;

	(void)events;
	if (d != NULL && status == 0)
		(void)nc_dropreason_consume(d);
}

int nc_dropreason_start(nc_dropreason_t *d, uv_loop_t *loop)
{
	int r;

	if (d->stopped || (d->poll != NULL && uv_is_active((uv_handle_t *)d->poll)))
		return -EALREADY;
	if (d->poll != NULL) /* cleared (nc_dropreason_clear_flows): reading again */
		return uv_poll_start(d->poll, UV_READABLE, on_readable);
	d->poll = malloc(sizeof(*d->poll));
	if (d->poll == NULL)
		return UV_ENOMEM;
	if ((r = uv_poll_init(loop, d->poll, nc_dropreason_fd(d))) < 0) {
		free(d->poll);
		d->poll = NULL;
		return r;
	}
	d->poll->data = d;
	if ((r = uv_poll_start(d->poll, UV_READABLE, on_readable)) < 0) {
		uv_close((uv_handle_t *)d->poll, on_poll_closed);
		d->poll = NULL;
		return r;
	}
	return 0;
}

static void close_poll(nc_dropreason_t *d)
{
	if (d->poll == NULL)
		return;
	d->poll->data = NULL;
	uv_close((uv_handle_t *)d->poll, on_poll_closed);
	d->poll = NULL;
}

static void detach(nc_dropreason_t *d)
{
	uint64_t start = now_ns();

	struct nc_drop_bpf *skel = d->skel;

	/* the skeleton's own detach closes the link's fd and keeps the number,
	 * which its destroy would close again */
	if (skel == NULL || skel->links.netcheck_kfree_skb_fd <= 0)
		return;
	close(skel->links.netcheck_kfree_skb_fd);
	skel->links.netcheck_kfree_skb_fd = 0;
	d->stats.detach_ns = now_ns() - start;
}

int nc_dropreason_stop(nc_dropreason_t *d)
{
	if (d->stopped)
		return 0;
	d->stopped = true;
	detach(d);
	(void)nc_dropreason_consume(d);
	close_poll(d);
	return 0;
}

void nc_dropreason_free(nc_dropreason_t *d)
{
	if (d == NULL)
		return;
	close_poll(d);
	detach(d);
	ring_buffer__free(d->ring);
	nc_drop_bpf__destroy(d->skel);
	drop_collect_free(d);
	free(d);
}

#else /* !NC_HAVE_DROPREASON */

#define WITHOUT_EBPF "drop reasons: netcheck was built without eBPF (libbpf, clang, bpftool)"

int nc_dropreason_new(const nc_drop_flow_t *flows, size_t n, nc_dropreason_t **ret, nc_error_t *err)
{
	(void)flows;
	(void)n;
	*ret = NULL;
	return nc_error_set(err, -EOPNOTSUPP, WITHOUT_EBPF);
}

int nc_dropreason_new_async(uv_loop_t *loop, const nc_drop_flow_t *flows, size_t n, nc_dropreason_new_cb cb,
			    void *data, nc_error_t *err)
{
	(void)loop;
	(void)flows;
	(void)n;
	(void)cb;
	(void)data;
	return nc_error_set(err, -EOPNOTSUPP, WITHOUT_EBPF);
}

int nc_dropreason_add_flows(nc_dropreason_t *d, const nc_drop_flow_t *flows, size_t n)
{
	(void)d;
	(void)flows;
	(void)n;
	return -EOPNOTSUPP;
}

int nc_dropreason_clear_flows(nc_dropreason_t *d)
{
	(void)d;
	return -EOPNOTSUPP;
}

int nc_dropreason_fd(const nc_dropreason_t *d)
{
	(void)d;
	return -EBADF;
}

int nc_dropreason_consume(nc_dropreason_t *d)
{
	(void)d;
	return -EOPNOTSUPP;
}

int nc_dropreason_start(nc_dropreason_t *d, uv_loop_t *loop)
{
	(void)d;
	(void)loop;
	return -EOPNOTSUPP;
}

int nc_dropreason_stop(nc_dropreason_t *d)
{
	(void)d;
	return 0;
}

void nc_dropreason_free(nc_dropreason_t *d)
{
	(void)d; /* nothing can have made one */
}

size_t nc_dropreason_flow_count(const nc_dropreason_t *d)
{
	(void)d;
	return 0;
}

size_t nc_dropreason_drop_count(const nc_dropreason_t *d, size_t flow)
{
	(void)d;
	(void)flow;
	return 0;
}

const nc_drop_t *nc_dropreason_drop(const nc_dropreason_t *d, size_t flow, size_t i)
{
	(void)d;
	(void)flow;
	(void)i;
	return NULL;
}

void nc_dropreason_stats(const nc_dropreason_t *d, nc_drop_stats_t *ret)
{
	(void)d;
	memset(ret, 0, sizeof(*ret));
}

const char *nc_dropreason_reason_name(nc_dropreason_t *d, uint32_t reason)
{
	(void)d;
	(void)reason;
	return NULL;
}

const char *nc_dropreason_symbol(nc_dropreason_t *d, uint64_t location)
{
	(void)d;
	(void)location;
	return NULL;
}

int nc_dropreason_observe(nc_dropreason_t *d, const nc_drop_t *drop, nc_observation_t *ret)
{
	(void)d;
	(void)drop;
	memset(ret, 0, sizeof(*ret));
	return -EOPNOTSUPP;
}

#endif
