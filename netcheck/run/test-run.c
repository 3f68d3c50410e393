/* Unit tests for the run stages: a fake target (an ops table of this
 * file's own) and a fake engine (the generic stages' engine table) drive
 * nc_run_stages() through whole runs, with real probes on the run's loop
 * against sockets this test opens on 127.0.0.1.  No engine, no container,
 * no capture privilege needed. */
#include "run-internal.h"
#include "target-container.h"

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "netcheck/testing.h"

/* ---- the fake engine ----------------------------------------------------- */

struct fake_engine {
	int connect_result;           /* what connect returns */
	unsigned connects, surveys, frees;
	char asked_image[64];         /* what the target put in the survey */
};

static struct fake_engine engine;  /* the engine ops take no data pointer */
static char engine_token;          /* what stands for the connected engine */

static int fake_survey(nc_engine_t *e, nc_engine_survey_t *sv)
{
	assert_ptr_equal(e, &engine_token);
	engine.surveys++;
	memset(&sv->info, 0, sizeof(sv->info));
	snprintf(sv->info.operating_system, sizeof(sv->info.operating_system), "Fake OS");
	sv->info_result = sv->want_info ? 0 : -EINVAL;
	if (sv->image != NULL) {
		snprintf(engine.asked_image, sizeof(engine.asked_image), "%s", sv->image);
		sv->image_result = 1;
	}
	return 0;
}

static int fake_connect(const nc_run_options_t *opt, nc_engine_survey_t *sv, nc_engine_t **ret,
			nc_engine_version_t *ret_version, nc_error_t *err)
{
	(void)opt;
	engine.connects++;
	if (engine.connect_result < 0)
		return nc_error_set(err, engine.connect_result, "fake engine: connect refused");
	memset(ret_version, 0, sizeof(*ret_version));
	snprintf(ret_version->version, sizeof(ret_version->version), "99.0");
	snprintf(ret_version->api_version, sizeof(ret_version->api_version), "1.45");
	*ret = (nc_engine_t *)(void *)&engine_token;
	return sv != NULL ? fake_survey(*ret, sv) : 0;
}

static const char *fake_url(const nc_engine_t *e)
{
	assert_ptr_equal(e, &engine_token);
	return "fake://engine";
}

static void fake_free(nc_engine_t *e)
{
	assert_ptr_equal(e, &engine_token);
	engine.frees++;
}

static const nc_run_engine_ops_t fake_engine_ops = {
	.connect = fake_connect,
	.url = fake_url,
	.free_engine = fake_free,
};

/* ---- the fake target ----------------------------------------------------- */

enum probe_kind { NO_PROBE, TCP_PROBE, UDP_PROBE };

struct fake_target {
	/* what the test asks of it */
	int prepare_result;           /* < 0: prepare fails with it */
	bool interrupt_in_prepare;    /* sets the run's interrupt flag while preparing */
	bool interrupt_in_plan;       /* ... while planning its paths: the probes are then cancelled */
	enum probe_kind probe;        /* the probe of its first path */
	bool two_containers;          /* also a failed path of container "db" and one of "web" (a project) */
	uint16_t port;                /* on 127.0.0.1, a socket of this test's */
	/* what happened */
	char calls[256];              /* "survey take_survey prepare ..." */
	unsigned teardowns;
	bool survey_answered;         /* take_survey saw the engine's answer to its question */
	bool loop_in_prepare;         /* the loop exists before the target is made */
	size_t probes_at_teardown;
};

static void called(struct fake_target *t, const char *op)
{
	size_t o = strlen(t->calls);

	snprintf(t->calls + o, sizeof(t->calls) - o, "%s%s", o ? " " : "", op);
}

static int target_survey(run_state_t *s, void *state, nc_engine_survey_t *sv, nc_error_t *err)
{
	(void)s;
	(void)err;
	called(state, "survey");
	sv->image = "fake/image:1";
	return 0;
}

static int target_take_survey(run_state_t *s, void *state, const nc_engine_survey_t *sv, nc_error_t *err)
{
	struct fake_target *t = state;

	(void)s;
	(void)err;
	called(t, "take_survey");
	t->survey_answered = sv->image_result == 1 && strcmp(sv->info.operating_system, "Fake OS") == 0;
	return 0;
}

static int target_prepare(run_state_t *s, void *state, nc_error_t *err)
{
	struct fake_target *t = state;

	called(t, "prepare");
	t->loop_in_prepare = s->loop_ready;
	if (t->interrupt_in_prepare)
		*s->opt->interrupted = 1;
	if (t->prepare_result < 0)
		return nc_error_set(err, t->prepare_result, "fake target: cannot prepare");
	nc_run_decide_environment(s, NULL);
	return 0;
}

static int target_plan_capture(run_state_t *s, void *state, nc_run_capture_plan_t *plan, nc_error_t *err)
{
	(void)s;
	(void)err;
	called(state, "plan_capture");
	plan->none = "the fake target captures nothing";
	return 0;
}

static void target_plan_paths(run_state_t *s, void *state, uint64_t timeout)
{
	struct fake_target *t = state;
	nc_endpoint_t target;
	nc_path_t *p = NULL;

	called(t, "plan_paths");
	assert_int_equal(nc_endpoint_parse("127.0.0.1", t->port, &target), 0);
	if (t->probe != NO_PROBE) {
		assert_int_equal(nc_result_add_path_named(s->result,
							  t->probe == UDP_PROBE ? NC_PATH_DIRECT_UDP : NC_PATH_DIRECT_TCP,
							  "fake", &target, &p),
				 0);
		if (t->probe == UDP_PROBE)
			nc_run_add_udp(s, p, timeout);
		else
			nc_run_add_tcp(s, p, timeout);
	}
	/* a path the target does not send, with its reason */
	assert_int_equal(nc_result_add_path_named(s->result, NC_PATH_PUBLISHED_REMOTE, "fake", &target, &p), 0);
	p->verdict = NC_VERDICT_SKIPPED;
	nc_path_set_detail(p, "not sent: the fake target has no remote client");
	for (int k = 0; k < 2 && t->two_containers; k++) {
		assert_int_equal(nc_result_add_path_named(s->result, NC_PATH_PUBLISHED_HOST, k ? "web" : "db", &target, &p),
				 0);
		snprintf(p->container, sizeof(p->container), "%s", k ? "web" : "db");
		p->verdict = NC_VERDICT_SKIPPED;
	}
	if (t->interrupt_in_plan)
		*s->opt->interrupted = 1;
}

static bool target_gather_facts(run_state_t *s, void *state, bool path_failed, nc_diag_facts_t *ret)
{
	char what[NC_NAME_MAX + 16];

	/* which container's facts are asked for: the failed path's */
	snprintf(what, sizeof(what), "facts(failed%s%s)",
		 s->failed_path != NULL && s->failed_path->container[0] ? ":" : "",
		 s->failed_path != NULL ? s->failed_path->container : "");
	called(state, path_failed ? what : "facts");
	memset(ret, 0, sizeof(*ret));
	return false;
}

static void target_teardown(run_state_t *s, void *state)
{
	struct fake_target *t = state;

	called(t, "teardown");
	t->teardowns++;
	t->probes_at_teardown = s->n_probes;
}

static const nc_target_ops_t fake_target_ops = {
	.what = "the fake target",
	.size = sizeof(struct fake_target),
	.survey = target_survey,
	.take_survey = target_take_survey,
	.prepare = target_prepare,
	.plan_capture = target_plan_capture,
	.plan_paths = target_plan_paths,
	.gather_facts = target_gather_facts,
	.teardown = target_teardown,
};

/* ---- a run ---------------------------------------------------------------- */

struct fixture {
	volatile sig_atomic_t interrupted;
	nc_run_options_t opt;
	nc_result_t *result;
	struct fake_target target;
	run_state_t *s;
	int tcp_fd, udp_fd;           /* the far ends on 127.0.0.1 */
};

static uint16_t bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

static int local_socket(int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 8), 0); /* the kernel completes the handshake: no accept needed */
	return fd;
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	assert_non_null(f);
	memset(&engine, 0, sizeof(engine));
	f->opt.interrupted = &f->interrupted;
	f->opt.image = "fake/image:1";  /* not netcheck's responder: TCP is a handshake, no HTTP */
	f->opt.capture = true;          /* the target is asked, and says it captures nothing */
	f->opt.probe_timeout_ms = 5000; /* longer than any test: only an answer or a cancel ends a probe */
	f->opt.pcap_fd = -1;
	f->opt.no_witness = true;       /* a fake run reads nothing of the host's kernel */
	f->result = nc_result_new();
	assert_non_null(f->result);
	f->s = test_calloc(1, sizeof(*f->s));
	assert_non_null(f->s);
	f->s->opt = &f->opt;
	f->s->result = f->result;
	f->s->target = &fake_target_ops;
	f->s->target_state = &f->target;
	f->s->eng = &fake_engine_ops;
	f->tcp_fd = local_socket(SOCK_STREAM);
	f->udp_fd = local_socket(SOCK_DGRAM); /* bound, never answers: no port unreachable either */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->tcp_fd);
	close(f->udp_fd);
	nc_result_free(f->result);
	test_free(f->s);
	test_free(f);
	return 0;
}

/* The run's loop was made, and closed with no handle left open. */
static void assert_loop_closed(const struct fixture *f)
{
	assert_true(f->target.loop_in_prepare);
	assert_false(f->s->loop_ready);
	assert_int_equal(f->s->loop_closed, 0);
}

static void test_whole_run(void **state)
{
	struct fixture *f = *state;
	nc_error_t err = { "" };
	const nc_path_t *p;
	int r;

	f->target.probe = TCP_PROBE;
	f->target.port = bound_port(f->tcp_fd);
	r = nc_run_stages(f->s, &err);
	assert_int_equal(r, 0);
	/* the stages, in order: facts once known, once more at the skipped path */
	assert_string_equal(f->target.calls,
			    "survey take_survey prepare plan_capture plan_paths facts facts(failed) teardown");
	assert_int_equal(f->target.teardowns, 1);
	assert_true(f->target.survey_answered);
	assert_string_equal(engine.asked_image, "fake/image:1");
	assert_int_equal(engine.connects, 1);
	assert_int_equal(engine.surveys, 1);
	assert_int_equal(engine.frees, 1);
	assert_null(f->s->engine);
	assert_loop_closed(f);
	/* the target's paths reached the result, its probe ran on the loop */
	assert_int_equal(f->target.probes_at_teardown, 1);
	assert_int_equal(nc_result_path_count(f->result), 2);
	p = nc_result_path_const(f->result, 0);
	assert_int_equal(p->kind, NC_PATH_DIRECT_TCP);
	assert_int_equal(p->target.port, f->target.port);
	assert_int_equal(p->verdict, NC_VERDICT_REACHABLE);
	p = nc_result_path_const(f->result, 1);
	assert_int_equal(p->verdict, NC_VERDICT_SKIPPED);
	assert_string_equal(p->detail, "not sent: the fake target has no remote client");
	/* the environment from the engine's answers; capture said why not */
	assert_string_equal(nc_result_environment(f->result)->engine_url, "fake://engine");
	assert_string_equal(nc_result_environment(f->result)->os, "Fake OS");
	assert_string_equal(nc_result_environment(f->result)->capture_note, "the fake target captures nothing");
	assert_true(nc_result_container(f->result)->run_id[0] != '\0');
}

static void test_prepare_fails(void **state)
{
	struct fixture *f = *state;
	nc_error_t err = { "" };
	int r;

	f->target.prepare_result = -EIO;
	f->target.probe = TCP_PROBE;
	f->target.port = bound_port(f->tcp_fd);
	r = nc_run_stages(f->s, &err);
	assert_int_equal(r, -EIO);
	assert_string_equal(err.text, "fake target: cannot prepare");
	/* no stage after prepare; teardown once, then the engine freed */
	assert_string_equal(f->target.calls, "survey take_survey prepare teardown");
	assert_int_equal(f->target.teardowns, 1);
	assert_int_equal(engine.frees, 1);
	assert_int_equal(nc_result_path_count(f->result), 0);
	assert_loop_closed(f);
}

static void test_interrupted_while_preparing(void **state)
{
	struct fixture *f = *state;
	nc_error_t err = { "" };
	int r;

	f->target.interrupt_in_prepare = true;
	r = nc_run_stages(f->s, &err);
	assert_int_equal(r, NC_ECANCELED);
	assert_string_equal(f->target.calls, "survey take_survey prepare teardown");
	assert_int_equal(f->target.teardowns, 1);
	assert_int_equal(engine.frees, 1);
	assert_loop_closed(f);
}

/* The flag set while a probe waits for an answer that never comes: the
 * watchdog cancels it, the run ends cancelled long before the probe's
 * timeout, and teardown still runs once. */
static void test_interrupted_while_probing(void **state)
{
	struct fixture *f = *state;
	nc_error_t err = { "" };
	uint64_t start = uv_hrtime();
	int r;

	f->target.probe = UDP_PROBE;
	f->target.port = bound_port(f->udp_fd);
	f->target.interrupt_in_plan = true;
	r = nc_run_stages(f->s, &err);
	assert_int_equal(r, NC_ECANCELED);
	assert_true(uv_hrtime() - start < 2000000000ull);
	assert_int_equal(f->target.probes_at_teardown, 1);
	/* the run stops after the probe stage: nothing is classified */
	assert_string_equal(f->target.calls, "survey take_survey prepare plan_capture plan_paths teardown");
	assert_int_equal(f->target.teardowns, 1);
	assert_int_equal(engine.frees, 1);
	assert_loop_closed(f);
}

/* No engine: no target op runs (there is nothing to tear down), no loop. */
static void test_connect_fails(void **state)
{
	struct fixture *f = *state;
	nc_error_t err = { "" };
	int r;

	engine.connect_result = -ECONNREFUSED;
	r = nc_run_stages(f->s, &err);
	assert_int_equal(r, -ECONNREFUSED);
	assert_string_equal(err.text, "fake engine: connect refused");
	/* the target said what it needs of the engine (the survey goes with
	 * /version), and nothing more */
	assert_string_equal(f->target.calls, "survey");
	assert_int_equal(f->target.teardowns, 0);
	assert_int_equal(engine.frees, 0);
	assert_false(f->s->loop_ready);
}

/* A target of several containers (probe --project): each failed path is
 * diagnosed from its own container's facts, read once per container. */
static void test_facts_per_container(void **state)
{
	struct fixture *f = *state;
	nc_error_t err = { "" };

	f->target.probe = NO_PROBE;
	f->target.two_containers = true;
	assert_int_equal(nc_run_stages(f->s, &err), 0);
	assert_string_equal(f->target.calls, "survey take_survey prepare plan_capture plan_paths facts facts(failed) "
					      "facts(failed:db) facts(failed:web) teardown");
}

/* nc_run_with() makes the target's state itself: ops->size bytes, zeroed. */
static void test_run_with_makes_state(void **state)
{
	struct fixture *f = *state;
	nc_error_t err = { "" };

	/* the state is zeroed: prepare succeeds, no probe path, one skipped path */
	assert_int_equal(nc_run_with(&f->opt, &fake_target_ops, &fake_engine_ops, f->result, &err), 0);
	assert_int_equal(engine.frees, 1);
	assert_int_equal(nc_result_path_count(f->result), 1);
}

static nc_platform_socket_t sock_at(uint8_t proto, const char *addr, uint16_t port)
{
	nc_platform_socket_t so = { .proto = proto };

	assert_int_equal(nc_endpoint_parse(addr, port, &so.local), 0);
	return so;
}

/* probe A --to B with no :PORT: B's port from its socket table.  An app
 * on its loopback only is still tried (the report then says why nothing
 * reaches it); Docker's resolver on 127.0.0.11 never is. */
static void test_to_pick_port(void **state)
{
	const uint16_t exposed[] = { 8080 };
	nc_platform_socket_t socks[4];
	(void)state;

	socks[0] = sock_at(IPPROTO_TCP, "127.0.0.11", 41425);
	socks[1] = sock_at(IPPROTO_UDP, "127.0.0.11", 38523);
	assert_int_equal(nc_to_pick_port(socks, 2, NULL, 0), 0);
	socks[2] = sock_at(IPPROTO_TCP, "127.0.0.1", 80);
	assert_int_equal(nc_to_pick_port(socks, 3, NULL, 0), 80);
	/* an exposed port beats a loopback listener */
	assert_int_equal(nc_to_pick_port(socks, 3, exposed, 1), 8080);
	/* a listener every address reaches beats both */
	socks[3] = sock_at(IPPROTO_TCP, "::", 9090);
	assert_int_equal(nc_to_pick_port(socks, 4, exposed, 1), 9090);
	socks[3] = sock_at(IPPROTO_TCP, "0.0.0.0", 8080);
	assert_int_equal(nc_to_pick_port(socks, 4, exposed, 1), 8080);
}

/* The one removal policy: an unreachable engine (restarting) is waited
 * for up to 15 s, a refusal (Podman's 500 while the container ends by
 * itself, a 409) gets 5 tries in all, anything else one. */
static void test_remove_retry_policy(void **state)
{
	unsigned tries;
	uint64_t elapsed;
	(void)state;

	assert_int_equal(nc_run_remove_retry_ms(-ECONNREFUSED, 1, 0), 200);
	assert_int_equal(nc_run_remove_retry_ms(-ENOENT, 40, 14800), 200);
	assert_int_equal(nc_run_remove_retry_ms(NC_EPROTO, 3, 14801), -1);
	/* unreachable all along, tries that fail at once: one every 200 ms,
	 * the last at 15 s */
	for (tries = 1, elapsed = 0; nc_run_remove_retry_ms(-ECONNREFUSED, tries, elapsed) > 0; tries++)
		elapsed += 200;
	assert_int_equal(tries, 76);
	assert_int_equal(elapsed, 15000);
	/* refused: a second try is what Podman's race needs; five at most */
	assert_int_equal(nc_run_remove_retry_ms(NC_EENGINE, 1, 0), 200);
	assert_int_equal(nc_run_remove_retry_ms(NC_ECONFLICT, 4, 800), 200);
	assert_int_equal(nc_run_remove_retry_ms(NC_EENGINE, 5, 1000), -1);
	/* nothing a later try changes */
	assert_int_equal(nc_run_remove_retry_ms(NC_ECANCELED, 1, 0), -1);
	assert_int_equal(nc_run_remove_retry_ms(-EACCES, 1, 0), -1);
	assert_int_equal(nc_run_remove_retry_ms(-ETIMEDOUT, 1, 0), -1);
	assert_int_equal(nc_run_remove_retry_ms(NC_ENOTFOUND, 1, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_whole_run, setup, teardown),
		cmocka_unit_test(test_to_pick_port),
		cmocka_unit_test(test_remove_retry_policy),
		cmocka_unit_test_setup_teardown(test_facts_per_container, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_while_preparing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_while_probing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_with_makes_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
