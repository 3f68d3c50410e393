/* The privilege drop of the whole process, and the one thread that keeps
 * its capabilities after it.
 *
 * Linux capabilities (and the bounding set, and no_new_privs) belong to a
 * thread, not to the process: capset() in the loop's thread leaves every
 * thread made before it as privileged as it was, libuv's pool included.
 * So the drop is done by every thread itself: nc_run_drop_privileges()
 * queues one work item per pool thread (UV_THREADPOOL_SIZE, default 4),
 * held at a rendezvous until each sits on its own thread, then each drops
 * its own capabilities; the calling thread drops its own at once, without
 * waiting for them (their outcome comes back to the loop).
 *
 * The witness's netlink work after the probes (the ruleset read, the trace
 * table's removal, conntrack lookups) needs CAP_NET_ADMIN: it runs on one
 * dedicated thread made for exactly that before the drop
 * (nc_run_privileged_start), which keeps that capability and no other and
 * never parses anything a container sent.  Its jobs look like libuv's
 * uv_queue_work: work on the thread, then after on the loop.
 *
 * May call: platform, libuv, pthreads.  Called by: run-probe.c, run-witness.c, run.c. */
#include "run-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 8
#define POOL_MAX 1024 /* libuv's own bound on UV_THREADPOOL_SIZE */

typedef struct {
	uv_work_t *req;
	uv_work_cb work;
	uv_after_work_cb after;
} job_t;

struct run_privileged {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	uv_async_t *done_async;       /* owned: freed in its close callback */
	job_t queue[MAX_JOBS], done[MAX_JOBS];
	size_t n_queue, n_done, pending; /* pending: queued or running, after not yet called */
	bool stop;
	pid_t tid;                    /* the thread's id, for the test */
	int drop_result;              /* its own drop to CAP_NET_ADMIN: 0 or negative errno */
};

static void *privileged_main(void *data)
{
	struct run_privileged *p = data;

	/* it keeps what its jobs need and nothing more: CAP_NET_ADMIN for the
	 * ruleset read, the trace table's removal and the conntrack lookups
	 * (the drop-reason program loads on the pool before the drop) */
	p->drop_result = nc_platform_drop_privileges(NC_PLATFORM_KEEP_NET_ADMIN);
	pthread_mutex_lock(&p->lock);
	p->tid = (pid_t)syscall(SYS_gettid);
	pthread_cond_broadcast(&p->wake);
	for (;;) {
		job_t j;

		while (p->n_queue == 0 && !p->stop)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->n_queue == 0)
			break;
		j = p->queue[0];
		memmove(&p->queue[0], &p->queue[1], --p->n_queue * sizeof(job_t));
		pthread_mutex_unlock(&p->lock);
		j.work(j.req);
		pthread_mutex_lock(&p->lock);
		p->done[p->n_done++] = j;
		uv_async_send(p->done_async);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void on_done(uv_async_t *a)
{
	struct run_privileged *p = a->data;
	job_t done[MAX_JOBS];
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->n_done;
	memcpy(done, p->done, n * sizeof(job_t));
	p->n_done = 0;
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < n; i++) {
		p->pending--;
		done[i].after(done[i].req, 0);
	}
	/* the handle keeps the loop alive only while a job is out */
	if (p->pending == 0)
		uv_unref((uv_handle_t *)a);
}

int nc_run_privileged_start(run_state_t *s)
{
	struct run_privileged *p;
	int r;

	if (s->privileged != NULL)
		return 0;
	if (!s->loop_ready)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->done_async = calloc(1, sizeof(*p->done_async));
	if (p->done_async == NULL) {
		free(p);
		return -ENOMEM;
	}
	r = uv_async_init(&s->loop, p->done_async, on_done);
	if (r < 0) {
		free(p->done_async);
		free(p);
		return r;
	}
	p->done_async->data = p;
	uv_unref((uv_handle_t *)p->done_async);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	r = -pthread_create(&p->thread, NULL, privileged_main, p);
	if (r < 0) {
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
		uv_close((uv_handle_t *)p->done_async, (uv_close_cb)free);
		free(p);
		return r;
	}
	pthread_mutex_lock(&p->lock);
	while (p->tid == 0)
		pthread_cond_wait(&p->wake, &p->lock);
	pthread_mutex_unlock(&p->lock);
	s->privileged = p;
	return 0;
}

int nc_run_privileged_queue(run_state_t *s, uv_work_t *req, uv_work_cb work, uv_after_work_cb after)
{
	struct run_privileged *p = s->privileged;

	if (s->keep_privileges) /* watch: every thread keeps them, the pool will do */
		return uv_queue_work(&s->loop, req, work, after);
	if (p == NULL)
		return -ENOTCONN;
	pthread_mutex_lock(&p->lock);
	if (p->n_queue + p->pending >= MAX_JOBS) {
		pthread_mutex_unlock(&p->lock);
		return -EAGAIN;
	}
	p->queue[p->n_queue++] = (job_t){ req, work, after };
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	if (p->pending++ == 0)
		uv_ref((uv_handle_t *)p->done_async);
	return 0;
}

int nc_run_privileged_tid(const run_state_t *s)
{
	return s->privileged != NULL ? (int)s->privileged->tid : 0;
}

void nc_run_privileged_free(run_state_t *s)
{
	struct run_privileged *p = s->privileged;

	if (p == NULL)
		return;
	/* every job's after runs first: they own what the work wrote into */
	while (p->pending > 0 && uv_run(&s->loop, UV_RUN_ONCE) >= 0)
		;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	uv_close((uv_handle_t *)p->done_async, (uv_close_cb)free);
	free(p);
	s->privileged = NULL;
}

/* ---- the pool's threads drop their own ------------------------------------- */

/* One drop item per pool thread, queued at once.  An item holds its thread
 * until every item sits on a thread of its own (the last to arrive lets
 * them go): no thread takes two, so every thread drops, and no job queued
 * after them runs on a thread that has not.  The caller does not wait for
 * them: they drop while the probes start (no pool job reads what a probe
 * receives: that is the loop's thread, which drops before it returns);
 * their outcome comes to the loop in their afters. */
typedef struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	run_state_t *s;               /* borrowed: the afters run on its loop */
	unsigned n, arrived, after_left;
	bool go, keep_dac_override;
	int error;
	uv_work_t req[];
} pool_drop_t;

/* Waits on d->cond until go, 5 s at most (a pool thread busy for longer is
 * a bug: its item then fails rather than hang the others). */
static int wait_go(pool_drop_t *d)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	while (!d->go)
		if (pthread_cond_timedwait(&d->cond, &d->lock, &until) == ETIMEDOUT)
			return -ETIMEDOUT;
	return 0;
}

static void pool_drop_work(uv_work_t *req)
{
	pool_drop_t *d = req->data;
	int r, q;

	pthread_mutex_lock(&d->lock);
	if (++d->arrived == d->n) {
		d->go = true;
		pthread_cond_broadcast(&d->cond);
	}
	r = wait_go(d);
	pthread_mutex_unlock(&d->lock);
	/* whatever the wait said, this thread drops its own */
	q = nc_platform_drop_privileges(d->keep_dac_override ? NC_PLATFORM_KEEP_DAC_OVERRIDE : 0);

	pthread_mutex_lock(&d->lock);
	if ((r < 0 || q < 0) && d->error == 0)
		d->error = r < 0 ? r : q;
	pthread_mutex_unlock(&d->lock);
}

static void pool_drop_after(uv_work_t *req, int status)
{
	pool_drop_t *d = req->data;

	if (status < 0 && d->error == 0) /* never started (cancelled): that thread kept them */
		d->error = status;
	if (--d->after_left > 0)
		return;
	if (d->error < 0 && d->s->result != NULL)
		nc_result_environment(d->s->result)->privileges_dropped = false;
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static unsigned pool_size(void)
{
	const char *v = getenv("UV_THREADPOOL_SIZE");
	/* exactly as libuv reads it (src/threadpool.c: atoi into an unsigned,
	 * 0 is 1, capped): "-1" is 1024 threads there, so it must be here */
	unsigned n = v != NULL ? (unsigned)atoi(v) : 4;

	if (n == 0)
		n = 1;
	if (n > POOL_MAX)
		n = POOL_MAX;
	return n;
}

/* Queues the drop items; 0, or why they could not all be queued (those
 * queued are let go at once: they drop, and the caller reports the failure). */
static int drop_pool(run_state_t *s, bool keep_dac_override)
{
	unsigned n = pool_size();
	pool_drop_t *d = calloc(1, sizeof(*d) + n * sizeof(uv_work_t));
	int r = 0;

	if (d == NULL)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->s = s;
	d->n = n;
	d->keep_dac_override = keep_dac_override;
	for (unsigned i = 0; i < n; i++) {
		d->req[i].data = d;
		pthread_mutex_lock(&d->lock);
		r = uv_queue_work(&s->loop, &d->req[i], pool_drop_work, pool_drop_after);
		if (r == 0)
			d->after_left++;
		pthread_mutex_unlock(&d->lock);
		if (r < 0)
			break;
	}
	if (r < 0) {
		pthread_mutex_lock(&d->lock);
		d->go = true; /* no item may stay blocked */
		d->error = r;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
		if (d->after_left == 0) {
			pthread_cond_destroy(&d->cond);
			pthread_mutex_destroy(&d->lock);
			free(d);
		}
	}
	return r;
}

int nc_run_drop_privileges(run_state_t *s, bool keep_dac_override)
{
	int r = 0;

	if (s->loop_ready)
		r = drop_pool(s, keep_dac_override);
	/* the calling thread too, whatever the pool said: the less the better */
	int q = nc_platform_drop_privileges(keep_dac_override ? NC_PLATFORM_KEEP_DAC_OVERRIDE : 0);

	return r < 0 ? r : q;
}
