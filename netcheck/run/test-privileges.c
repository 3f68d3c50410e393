/* The privilege drop covers the whole process: after nc_run_drop_privileges
 * every thread (/proc/self/task/<tid>/status, CapEff) but the dedicated one
 * has no capability, libuv's pool threads (made before the drop) included
 * (they drop without the caller waiting, before any job queued after),
 * and the dedicated thread still runs its jobs with its own.  Needs root:
 * skipped without it.  Its own executable: the drop is the process's. */
#include "run-internal.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static unsigned long long cap_eff(const char *tid)
{
	char path[128], line[256];
	unsigned long long v = ~0ull;
	FILE *f;

	if (tid == NULL)
		snprintf(path, sizeof(path), "/proc/thread-self/status");
	else
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void nothing(uv_work_t *req)
{
	(void)req;
}

static void after_nothing(uv_work_t *req, int status)
{
	(void)status;
	(*(int *)req->data)++;
}

static unsigned long long job_caps, pool_job_caps[8];

static void read_own_caps(uv_work_t *req)
{
	(void)req;
	job_caps = cap_eff(NULL);
}

/* a pool job queued right after the drop: req->data's int is its slot */
static void read_pool_caps(uv_work_t *req)
{
	pool_job_caps[*(int *)req->data] = cap_eff(NULL);
}

static void test_every_thread_dropped(void **state)
{
	static run_state_t s; /* big: not on the stack */
	uv_work_t pool_req, job, pool_jobs[8];
	int afters = 0, threads = 0, slot[8];
	DIR *d;
	struct dirent *e;

	(void)state;
	if (geteuid() != 0 || cap_eff(NULL) == 0)
		skip();
	memset(&s, 0, sizeof(s));
	assert_int_equal(uv_loop_init(&s.loop), 0);
	s.loop_ready = true;
	/* the pool's threads exist before the drop, as in a run */
	pool_req.data = &afters;
	assert_int_equal(uv_queue_work(&s.loop, &pool_req, nothing, after_nothing), 0);
	assert_int_equal(uv_run(&s.loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(nc_run_privileged_start(&s), 0);
	assert_int_equal(nc_run_drop_privileges(&s, false), 0);
	/* the caller has dropped its own at once; the pool's drop without it
	 * waiting, and a job queued after the drop never runs on a thread that
	 * has not dropped yet, on whichever thread it lands */
	assert_int_equal(cap_eff(NULL), 0);
	for (int i = 0; i < 8; i++) {
		slot[i] = i;
		pool_jobs[i].data = &slot[i];
		pool_job_caps[i] = ~0ull;
		assert_int_equal(uv_queue_work(&s.loop, &pool_jobs[i], read_pool_caps, NULL), 0);
	}
	assert_int_equal(uv_run(&s.loop, UV_RUN_DEFAULT), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pool_job_caps[i], 0);

	d = opendir("/proc/self/task");
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		threads++;
		if (atoi(e->d_name) == nc_run_privileged_tid(&s))
			assert_int_equal(cap_eff(e->d_name), NC_PLATFORM_KEEP_NET_ADMIN); /* that one, no other */
		else
			assert_int_equal(cap_eff(e->d_name), 0);
	}
	closedir(d);
	/* main, the dedicated thread and libuv's pool (4 unless told) */
	assert_true(threads >= 2 + 4 || getenv("UV_THREADPOOL_SIZE") != NULL);

	/* the dedicated thread's job runs with its capabilities, its after on the loop */
	job.data = &afters;
	assert_int_equal(nc_run_privileged_queue(&s, &job, read_own_caps, after_nothing), 0);
	assert_int_equal(uv_run(&s.loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(afters, 2);
	assert_int_equal(job_caps, NC_PLATFORM_KEEP_NET_ADMIN);
	nc_run_privileged_free(&s);
	assert_int_equal(uv_run(&s.loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&s.loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_thread_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
