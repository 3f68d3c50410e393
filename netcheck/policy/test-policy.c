/* Unit tests for the policy's expectations (expect.c), exit codes
 * (exit.c) and the mechanism and route rules (classify.c), on results
 * built by hand.  Pure: no I/O. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "netcheck/policy.h"
#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"

#define M(x) (1u << (x))

/* the paths of a run from this host into one container over IPv4/TCP */
#define N_HOST_KINDS (NC_PATH_PUBLISHED_HOST + 1)

static nc_result_t *result_with_all_paths(nc_env_kind_t env)
{
	nc_result_t *r = nc_result_new();

	assert_non_null(r);
	nc_result_environment(r)->kind = env;
	for (int k = 0; k < N_HOST_KINDS; k++)
		assert_int_equal(nc_result_add_path(r, (nc_path_kind_t)k, NULL, NULL), 0);
	return r;
}

/* --- the expectation table --------------------------------------------- */

static bool is_direct(nc_path_kind_t k)
{
	return k == NC_PATH_DIRECT_ICMP || k == NC_PATH_DIRECT_TCP;
}

static void test_expectation_table(void **state)
{
	static const nc_env_kind_t attached[] = { NC_ENV_NATIVE_LINUX, NC_ENV_PODMAN };
	static const nc_env_kind_t forwarding[] = { NC_ENV_DOCKER_DESKTOP, NC_ENV_ROOTLESS_DOCKER,
						    NC_ENV_ROOTLESS_PODMAN, NC_ENV_NOT_ATTACHED };
	(void)state;

	for (int k = 0; k < N_HOST_KINDS; k++) {
		for (size_t i = 0; i < NC_ARRAY_SIZE(attached); i++) {
			nc_expectation_t e = nc_expect_for(attached[i], (nc_path_kind_t)k);

			assert_int_equal(e.verdict, NC_VERDICT_REACHABLE);
			if (is_direct((nc_path_kind_t)k))
				assert_int_equal(e.mechanisms, M(NC_MECH_DIRECT));
			else
				assert_int_equal(e.mechanisms, M(NC_MECH_PROXY) | M(NC_MECH_NAT));
			assert_false(e.overridden);
		}
		for (size_t i = 0; i < NC_ARRAY_SIZE(forwarding); i++) {
			nc_expectation_t e = nc_expect_for(forwarding[i], (nc_path_kind_t)k);

			if (is_direct((nc_path_kind_t)k)) {
				assert_int_equal(e.verdict, NC_VERDICT_UNROUTABLE);
				assert_int_equal(e.mechanisms, M(NC_MECH_NONE));
			} else {
				assert_int_equal(e.verdict, NC_VERDICT_REACHABLE);
				assert_int_equal(e.mechanisms, M(NC_MECH_PROXY) | M(NC_MECH_OUT_OF_SIGHT));
			}
		}
		/* unknown: reachable by any mechanism */
		nc_expectation_t u = nc_expect_for(NC_ENV_UNKNOWN, (nc_path_kind_t)k);
		assert_int_equal(u.verdict, NC_VERDICT_REACHABLE);
		assert_int_equal(u.mechanisms, 0);
	}
}

static void set_path(nc_result_t *r, nc_path_kind_t k, nc_verdict_t v, nc_mechanism_t m)
{
	nc_path_t *p = nc_result_path_by_kind(r, k);

	assert_non_null(p);
	p->verdict = v;
	p->mechanism = m;
}

static void test_evaluate(void **state)
{
	nc_result_t *r = result_with_all_paths(NC_ENV_NATIVE_LINUX);
	(void)state;

	set_path(r, NC_PATH_DIRECT_ICMP, NC_VERDICT_REACHABLE, NC_MECH_DIRECT);
	set_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_REACHABLE, NC_MECH_DIRECT);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REACHABLE, NC_MECH_PROXY);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK6, NC_VERDICT_REACHABLE, NC_MECH_PROXY);
	set_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REACHABLE, NC_MECH_NAT);
	assert_int_equal(nc_expect_evaluate(r), 0);
	assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_OK);

	/* skipped (no privilege) proves nothing: not counted */
	set_path(r, NC_PATH_DIRECT_ICMP, NC_VERDICT_SKIPPED, NC_MECH_NONE);
	assert_int_equal(nc_expect_evaluate(r), 0);
	assert_true(nc_result_path_by_kind(r, NC_PATH_DIRECT_ICMP)->expected);
	/* but a probe that could not be made is an error, and counts */
	set_path(r, NC_PATH_DIRECT_ICMP, NC_VERDICT_ERROR, NC_MECH_NONE);
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_false(nc_result_path_by_kind(r, NC_PATH_DIRECT_ICMP)->expected);
	set_path(r, NC_PATH_DIRECT_ICMP, NC_VERDICT_SKIPPED, NC_MECH_NONE);

	/* a foreign responder is unexpected even with the right verdict and mechanism */
	nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP)->foreign_responder = true;
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_false(nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP)->expected);
	assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_UNEXPECTED);
	nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP)->foreign_responder = false;

	/* wrong mechanism, wrong verdict */
	set_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REACHABLE, NC_MECH_DIRECT);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK6, NC_VERDICT_REFUSED, NC_MECH_NONE);
	assert_int_equal(nc_expect_evaluate(r), 2);
	nc_result_free(r);

	/* forwarding-only: direct paths unroutable, published through a forwarder */
	r = result_with_all_paths(NC_ENV_DOCKER_DESKTOP);
	set_path(r, NC_PATH_DIRECT_ICMP, NC_VERDICT_UNROUTABLE, NC_MECH_NONE);
	set_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_UNROUTABLE, NC_MECH_NONE);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REACHABLE, NC_MECH_PROXY);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK6, NC_VERDICT_REACHABLE, NC_MECH_OUT_OF_SIGHT);
	set_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REACHABLE, NC_MECH_OUT_OF_SIGHT);
	assert_int_equal(nc_expect_evaluate(r), 0);
	set_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REACHABLE, NC_MECH_NAT);
	assert_int_equal(nc_expect_evaluate(r), 1);
	nc_result_free(r);
}

/* --- --expect ---------------------------------------------------------- */

static void test_expect_parse(void **state)
{
	nc_result_t *r = result_with_all_paths(NC_ENV_NATIVE_LINUX);
	nc_error_t err = { "" };
	const nc_path_t *p;
	(void)state;

	/* a group, then a single path; verdicts and mechanisms */
	assert_int_equal(nc_expect_parse(r, "direct=unroutable,published-host=proxy", &err), 0);
	nc_expect_apply(r);
	for (int k = 0; k < N_HOST_KINDS; k++) {
		p = nc_result_path_by_kind(r, (nc_path_kind_t)k);
		if (is_direct((nc_path_kind_t)k)) {
			assert_true(p->expectation.overridden);
			assert_int_equal(p->expectation.verdict, NC_VERDICT_UNROUTABLE);
		} else if (k == NC_PATH_PUBLISHED_HOST) {
			/* a mechanism override keeps the environment's verdict */
			assert_true(p->expectation.overridden);
			assert_int_equal(p->expectation.verdict, NC_VERDICT_REACHABLE);
			assert_int_equal(p->expectation.mechanisms, M(NC_MECH_PROXY));
		} else {
			assert_false(p->expectation.overridden);
			assert_int_equal(p->expectation.mechanisms, M(NC_MECH_PROXY) | M(NC_MECH_NAT));
		}
	}
	/* an unroutable direct path now meets the expectation; nat on published-host does not */
	set_path(r, NC_PATH_DIRECT_ICMP, NC_VERDICT_UNROUTABLE, NC_MECH_NONE);
	set_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_UNROUTABLE, NC_MECH_NONE);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REACHABLE, NC_MECH_NAT);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK6, NC_VERDICT_REACHABLE, NC_MECH_PROXY);
	set_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REACHABLE, NC_MECH_NAT);
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_false(nc_result_path_by_kind(r, NC_PATH_PUBLISHED_HOST)->expected);

	/* an overridden path that was skipped counts */
	set_path(r, NC_PATH_DIRECT_ICMP, NC_VERDICT_SKIPPED, NC_MECH_NONE);
	assert_int_equal(nc_expect_evaluate(r), 2);

	/* the published group; the value names a mechanism */
	/* published-host's own name (above) beats the group, whatever the order */
	assert_int_equal(nc_expect_parse(r, "published=out-of-sight", &err), 0);
	nc_expect_apply(r);
	for (int k = NC_PATH_PUBLISHED_LOOPBACK; k <= NC_PATH_PUBLISHED_HOST; k++)
		assert_int_equal(nc_result_path_by_kind(r, (nc_path_kind_t)k)->expectation.mechanisms,
				 k == NC_PATH_PUBLISHED_HOST ? M(NC_MECH_PROXY) : M(NC_MECH_OUT_OF_SIGHT));
	nc_result_free(r);
}

static void test_expect_errors(void **state)
{
	static const struct {
		const char *spec, *says;
	} bad[] = {
		{ "direct", "PATH=VALUE" },
		{ "=reachable", "PATH=VALUE" },
		{ "direct=", "PATH=VALUE" },
		{ "direct=reachable,published", "PATH=VALUE" },
		{ "", "PATH=VALUE" },
		{ "sideways=reachable", "unknown path 'sideways'" },
		{ "direct-sctp=reachable", "unknown path" },
		{ "direct=sometimes", "'sometimes' is neither a verdict nor a mechanism" },
		{ "published=Proxy", "neither" },
	};
	nc_result_t *r = nc_result_new();
	char longspec[600];
	(void)state;

	assert_non_null(r);
	for (size_t i = 0; i < NC_ARRAY_SIZE(bad); i++) {
		nc_error_t err = { "" };

		assert_int_equal(nc_expect_parse(r, bad[i].spec, &err), -EINVAL);
		if (strstr(err.text, bad[i].says) == NULL)
			fail_msg("--expect '%s': error '%s' does not say '%s'", bad[i].spec, err.text, bad[i].says);
	}
	{
		nc_error_t err = { "" };

		assert_int_equal(nc_expect_parse(r, NULL, &err), -EINVAL);
		/* overlong: refused whole, not cut */
		memset(longspec, 'x', sizeof(longspec) - 1);
		longspec[sizeof(longspec) - 1] = '\0';
		memcpy(longspec, "direct=reachable,", 17);
		assert_int_equal(nc_expect_parse(r, longspec, &err), -EINVAL);
		assert_non_null(strstr(err.text, "too long"));
		/* err may be NULL */
		assert_int_equal(nc_expect_parse(r, "nope", NULL), -EINVAL);
	}
	nc_result_free(r);
}

static void test_expect_before_paths_and_env_change(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_error_t err = { "" };
	nc_path_t *p;
	(void)state;

	assert_non_null(r);
	/* parsed before any path exists (run.c does so) */
	assert_int_equal(nc_expect_parse(r, "direct-tcp=refused,published-loopback=nat", &err), 0);
	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_TCP, NULL, NULL), 0);
	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_LOOPBACK, NULL, NULL), 0);
	assert_int_equal(nc_result_add_path(r, NC_PATH_PUBLISHED_HOST, NULL, &p), 0);
	assert_false(p->expectation.overridden); /* the model holds them; the policy applies them */
	nc_expect_apply(r);
	p = nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP);
	assert_true(p->expectation.overridden);
	assert_int_equal(p->expectation.verdict, NC_VERDICT_REFUSED);
	assert_int_equal(nc_result_path_by_kind(r, NC_PATH_PUBLISHED_LOOPBACK)->expectation.mechanisms, M(NC_MECH_NAT));
	assert_false(nc_result_path_by_kind(r, NC_PATH_PUBLISHED_HOST)->expectation.overridden);

	/* the environment becomes known: the table changes, the overrides stay */
	nc_result_environment(r)->kind = NC_ENV_DOCKER_DESKTOP;
	nc_expect_apply(r);
	p = nc_result_path_by_kind(r, NC_PATH_DIRECT_TCP);
	assert_true(p->expectation.overridden);
	assert_int_equal(p->expectation.verdict, NC_VERDICT_REFUSED);
	p = nc_result_path_by_kind(r, NC_PATH_PUBLISHED_LOOPBACK);
	assert_true(p->expectation.overridden);
	assert_int_equal(p->expectation.verdict, NC_VERDICT_REACHABLE);
	assert_int_equal(p->expectation.mechanisms, M(NC_MECH_NAT));
	p = nc_result_path_by_kind(r, NC_PATH_PUBLISHED_HOST);
	assert_false(p->expectation.overridden);
	assert_int_equal(p->expectation.mechanisms, M(NC_MECH_PROXY) | M(NC_MECH_OUT_OF_SIGHT));
	/* and a path added after that gets both */
	assert_int_equal(nc_result_add_path(r, NC_PATH_DIRECT_ICMP, NULL, &p), 0);
	nc_expect_apply(r);
	assert_int_equal(p->expectation.verdict, NC_VERDICT_UNROUTABLE);
	assert_false(p->expectation.overridden);
	nc_result_free(r);
}

/* An override names one field; the environment's other field must not
 * make the expectation impossible to meet. */
static void test_expect_override_consistent(void **state)
{
	nc_result_t *r = result_with_all_paths(NC_ENV_DOCKER_DESKTOP);
	nc_error_t err = { "" };
	(void)state;

	/* the user has routed the Desktop VM's network: direct paths answer */
	assert_int_equal(nc_expect_parse(r, "direct=reachable", &err), 0);
	nc_expect_apply(r);
	set_path(r, NC_PATH_DIRECT_ICMP, NC_VERDICT_REACHABLE, NC_MECH_DIRECT);
	set_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_REACHABLE, NC_MECH_DIRECT);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REACHABLE, NC_MECH_PROXY);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK6, NC_VERDICT_REACHABLE, NC_MECH_PROXY);
	set_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REACHABLE, NC_MECH_PROXY);
	assert_int_equal(nc_expect_evaluate(r), 0);
	nc_result_free(r);

	/* the same said with a mechanism */
	r = result_with_all_paths(NC_ENV_DOCKER_DESKTOP);
	assert_int_equal(nc_expect_parse(r, "direct-tcp=direct", &err), 0);
	nc_expect_apply(r);
	set_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_REACHABLE, NC_MECH_DIRECT);
	assert_int_equal(nc_expect_evaluate(r), 0);
	set_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_UNROUTABLE, NC_MECH_NONE);
	assert_int_equal(nc_expect_evaluate(r), 1);
	nc_result_free(r);

	/* native Linux, the published port expected refused: no mechanism asked for */
	r = result_with_all_paths(NC_ENV_NATIVE_LINUX);
	assert_int_equal(nc_expect_parse(r, "published-host=refused", &err), 0);
	nc_expect_apply(r);
	set_path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REFUSED, NC_MECH_NONE);
	assert_int_equal(nc_expect_evaluate(r), 0);
	/* both fields named: both hold */
	assert_int_equal(nc_expect_parse(r, "published-loopback=reachable,published-loopback=nat", &err), 0);
	nc_expect_apply(r);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REACHABLE, NC_MECH_PROXY);
	assert_int_equal(nc_expect_evaluate(r), 1);
	set_path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REACHABLE, NC_MECH_NAT);
	assert_int_equal(nc_expect_evaluate(r), 0);
	nc_result_free(r);
}

/* --- exit codes and names ---------------------------------------------- */

static void test_exit_codes(void **state)
{
	static const int engine[] = { NC_EENGINE, -ECONNREFUSED, -ENOENT, -ETIMEDOUT, NC_EPROTO, NC_ENOIMAGE,
				      NC_EGONE, NC_ETOOBIG, -EHOSTUNREACH, -ECONNRESET, -ENOTSUP };
	nc_result_t *r = result_with_all_paths(NC_ENV_UNKNOWN);
	(void)state;

	/* every path skipped → expected → 0 */
	assert_int_equal(nc_expect_evaluate(r), 0);
	assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_OK);
	assert_int_equal(NC_EXIT_OK, 0);
	set_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_TIMEOUT, NC_MECH_NONE);
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_int_equal(nc_exit_code_for(r, 0, 0), 1);

	for (size_t i = 0; i < NC_ARRAY_SIZE(engine); i++)
		assert_int_equal(nc_exit_code_for(r, engine[i], 0), 69);
	assert_int_equal(nc_exit_code_for(NULL, NC_EENGINE, 0), 69);
	/* what the user named does not exist, or a port they chose is taken:
	 * usage, for every command (policy.h once said 69 for run; README and
	 * netcheck(1) say 64, and so does the code) */
	assert_int_equal(nc_exit_code_for(r, NC_ENOTFOUND, 0), 64);
	for (int cmd = 0; cmd < NC_CMD_COUNT; cmd++)
		assert_int_equal(nc_exit_code((nc_command_t)cmd, NC_ENOTFOUND, r, 0), NC_EXIT_USAGE);
	assert_int_equal(nc_exit_code_for(r, NC_EPORTTAKEN, 0), 64);
	assert_int_equal(nc_exit_code_for(r, NC_ECANTCREAT, 0), 73);
	assert_int_equal(nc_exit_code_for(r, -EPERM, 0), 77);
	assert_int_equal(nc_exit_code_for(r, -EACCES, 0), 77);
	assert_int_equal(nc_exit_code_for(r, NC_ECANCELED, SIGINT), 130);
	assert_int_equal(nc_exit_code_for(r, NC_ECANCELED, SIGTERM), 143);
	assert_int_equal(nc_exit_code_for(r, 0, SIGTERM), 143); /* a signal wins over a finished run */
	assert_int_equal(nc_exit_code_for(r, 0, SIGHUP), 128 + SIGHUP);
	assert_int_equal(nc_exit_code_for(r, -ENOMEM, 0), 70);
	assert_int_equal(nc_exit_code_for(r, -ENOSPC, 0), 70);
	assert_int_equal(nc_exit_code_for(r, NC_EFORWARD, 0), 70);
	assert_int_equal(nc_exit_code_for(r, -EINVAL, 0), NC_EXIT_USAGE);
	assert_int_equal(nc_exit_code_for(r, NC_ECONFLICT, 0), NC_EXIT_USAGE); /* host port taken */
	assert_int_equal(nc_exit_code_for(r, NC_ECANCELED, 0), 130); /* interrupted, signal unknown */
	assert_int_equal(nc_exit_code_for(NULL, 0, 0), 70);
	/* a test container of ours still there at the end is the engine's
	 * failure; a user's container (watch --container, which exits as
	 * run does) is never ours to remove */
	set_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_SKIPPED, NC_MECH_NONE);
	assert_int_equal(nc_expect_evaluate(r), 0);
	snprintf(nc_result_container(r)->id, sizeof(nc_result_container(r)->id), "%s", "0123456789ab");
	assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_ENGINE);
	nc_result_container(r)->user_container = true;
	assert_int_equal(nc_exit_code_for(r, 0, 0), NC_EXIT_OK);
	nc_result_free(r);
}

/* nc_exit_code(): every command × every kind of status × every signal,
 * spelled out, so a change to one rule shows as a changed row. */
static const int statuses[] = { 0, 2, -EINVAL, NC_ECONFLICT, NC_ENOTFOUND, NC_EENGINE, -ECONNREFUSED,
				 -ETIMEDOUT, NC_EPROTO, -EPERM, -EACCES, NC_ECANCELED, -ENOMEM, NC_EFORWARD };
#define N_STATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* without a signal; run and probe with a result whose paths are all as
 * expected (status 2: a count, as gc and engines return).  NOTFOUND is a
 * container or network the user named (the engine's 404 on what netcheck
 * made is NC_EGONE, an engine failure). */
static const int want_no_signal[NC_CMD_COUNT][N_STATUSES] = {
	/*                  0   2  EINVAL CONFLICT NOTFOUND EENGINE REFUSED TIMEDOUT EPROTO EPERM EACCES CANCELED ENOMEM EFORWARD */
	[NC_CMD_RUN] =     { 0,  0, 64, 64, 64, 69, 69, 69, 69, 77, 77, 130, 70, 70 },
	[NC_CMD_PROBE] =   { 0,  0, 64, 64, 64, 69, 69, 69, 69, 77, 77, 130, 70, 70 },
	[NC_CMD_CAPTURE] = { 0,  0, 64, 64, 64, 69, 69, 69, 69, 77, 77, 130, 70, 70 },
	[NC_CMD_GC] =      { 0,  0, 64, 64, 64, 69, 69, 69, 69, 77, 77, 130, 70, 70 },
	[NC_CMD_ENGINES] = { 69, 0, 64, 64, 64, 69, 69, 69, 69, 77, 77, 130, 70, 70 },
	[NC_CMD_HELP] =    { 0,  0, 64, 64, 64, 69, 69, 69, 69, 77, 77, 130, 70, 70 },
};

static void test_exit_code_table(void **state)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
	static const int signal_codes[] = { 130, 143, 129 };
	nc_result_t *r = result_with_all_paths(NC_ENV_UNKNOWN);
	(void)state;

	assert_int_equal(nc_expect_evaluate(r), 0);
	for (int cmd = 0; cmd < NC_CMD_COUNT; cmd++)
		for (size_t s = 0; s < N_STATUSES; s++) {
			assert_int_equal(nc_exit_code((nc_command_t)cmd, statuses[s], r, 0), want_no_signal[cmd][s]);
			for (size_t k = 0; k < NC_ARRAY_SIZE(signals); k++) {
				/* a signal wins, except Ctrl-C ending a capture that went well */
				int want = cmd == NC_CMD_CAPTURE && signals[k] == SIGINT && statuses[s] >= 0
						   ? 0 : signal_codes[k];

				assert_int_equal(nc_exit_code((nc_command_t)cmd, statuses[s], r, signals[k]), want);
			}
		}

	/* facts from the result */
	assert_int_equal(nc_exit_code(NC_CMD_RUN, 0, NULL, 0), 70);
	assert_int_equal(nc_exit_code(NC_CMD_PROBE, 0, NULL, 0), 70);
	assert_int_equal(nc_exit_code(NC_CMD_CAPTURE, 0, NULL, 0), 0);
	assert_int_equal(nc_exit_code(NC_CMD_GC, 3, NULL, 0), 0);
	assert_int_equal(nc_exit_code(NC_CMD_ENGINES, 0, NULL, 0), 69);
	set_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_TIMEOUT, NC_MECH_NONE);
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_int_equal(nc_exit_code(NC_CMD_RUN, 0, r, 0), 1);
	assert_int_equal(nc_exit_code(NC_CMD_PROBE, 0, r, 0), 1);
	/* our container could not be removed: 69 over 1, not over an error or a signal */
	snprintf(nc_result_container(r)->id, sizeof(nc_result_container(r)->id), "0123456789ab");
	assert_int_equal(nc_exit_code(NC_CMD_RUN, 0, r, 0), 69);
	assert_int_equal(nc_exit_code(NC_CMD_RUN, -EPERM, r, 0), 77);
	assert_int_equal(nc_exit_code(NC_CMD_RUN, NC_ECANCELED, r, SIGTERM), 143);
	assert_int_equal(nc_exit_code(NC_CMD_PROBE, 0, r, 0), 1); /* the user's container is not ours to remove */
	nc_result_container(r)->kept = true;
	assert_int_equal(nc_exit_code(NC_CMD_RUN, 0, r, 0), 1);
	nc_result_container(r)->kept = false;
	nc_result_container(r)->removed = true;
	assert_int_equal(nc_exit_code(NC_CMD_RUN, 0, r, 0), 1);
	assert_int_equal(nc_exit_code_for(r, 0, 0), nc_exit_code(NC_CMD_RUN, 0, r, 0));
	nc_result_free(r);
}

/* A name does not resolve on the default bridge: that path is expected
 * unreachable there, reachable on a user-defined network. */
static void test_dns_expectation_by_network(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p, *q;
	(void)state;

	assert_non_null(r);
	nc_result_environment(r)->kind = NC_ENV_NATIVE_LINUX;
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_CONTAINER_TO_CONTAINER_DNS, "bridge", NULL, &p), 0);
	snprintf(p->network, sizeof(p->network), "bridge");
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_CONTAINER_TO_CONTAINER_DNS, "mynet", NULL, &q), 0);
	snprintf(q->network, sizeof(q->network), "mynet");
	nc_expect_apply(r);
	assert_int_equal(p->expectation.verdict, NC_VERDICT_UNREACHABLE);
	assert_int_equal(q->expectation.verdict, NC_VERDICT_REACHABLE);
	nc_result_free(r);
}

/* A remote client to a port published on 127.0.0.1 only is meant to fail:
 * refused or timed out is as expected, getting in is not; --expect still
 * has the last word; published elsewhere, the table's reachable stays. */
static void test_remote_loopback_published(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *tcp, *udp, *open;
	(void)state;

	assert_non_null(r);
	nc_result_environment(r)->kind = NC_ENV_NATIVE_LINUX;
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_REMOTE, "80", NULL, &tcp), 0);
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_REMOTE_UDP, "53", NULL, &udp), 0);
	assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_REMOTE, "8080", NULL, &open), 0);
	tcp->loopback_published = udp->loopback_published = true;
	tcp->sent = udp->sent = open->sent = true;
	tcp->verdict = NC_VERDICT_REFUSED;
	udp->verdict = NC_VERDICT_TIMEOUT;
	open->verdict = NC_VERDICT_REFUSED;
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_int_equal(tcp->expectation.verdict, NC_VERDICT_UNREACHABLE);
	assert_true(tcp->expected);
	assert_true(udp->expected);
	assert_false(open->expected);
	assert_int_equal(open->expectation.verdict, NC_VERDICT_REACHABLE);
	/* a remote client that got in although it is published on loopback only */
	tcp->verdict = NC_VERDICT_REACHABLE;
	tcp->mechanism = NC_MECH_NAT;
	assert_int_equal(nc_expect_evaluate(r), 2);
	assert_false(tcp->expected);
	assert_int_equal(nc_expect_parse(r, "published-remote:80=reachable", NULL), 0);
	assert_int_equal(nc_expect_evaluate(r), 1);
	assert_true(tcp->expected);
	nc_result_free(r);
}

#define OUR_ID "3556fbea447a17261d9a174c11644cf9eeeb1267712837fb7d71a1fe1a026c76"

static void our_container(nc_container_t *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", OUR_ID);
	c->ip = ep("172.17.0.2", 80);
	c->published_port = 32768;
}

static void reachable_path(nc_path_t *p, nc_path_kind_t kind, nc_endpoint_t target, nc_endpoint_t local,
			   nc_endpoint_t peer_seen)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->target = target;
	p->local = local;
	p->peer_seen = peer_seen;
	p->verdict = NC_VERDICT_REACHABLE;
	p->mechanism = NC_MECH_NONE;
	snprintf(p->answered_by, sizeof(p->answered_by), "3556fbea447a");
}

static void test_classify_path(void **state)
{
	nc_container_t c;
	nc_path_t p;
	nc_endpoint_t local = ep("192.0.2.2", 45678);
	nc_forwarder_t proxy = { .name = "docker-proxy", .pid = 3262 };
	(void)state;

	our_container(&c);

	/* direct: we dialled the container and it saw us */
	reachable_path(&p, NC_PATH_DIRECT_TCP, c.ip, ep("172.17.0.1", 51000), ep("172.17.0.1", 51000));
	nc_classify_path(&p, &c, &proxy);
	assert_int_equal(p.mechanism, NC_MECH_DIRECT);
	assert_false(p.has_forwarder);
	assert_false(p.foreign_responder);

	/* nat: it saw us though we dialled the published port */
	reachable_path(&p, NC_PATH_PUBLISHED_HOST, ep("192.0.2.2", 32768), local, local);
	nc_classify_path(&p, &c, NULL);
	assert_int_equal(p.mechanism, NC_MECH_NAT);
	assert_false(p.has_forwarder);

	/* proxy: it saw the bridge gateway, re-originated by docker-proxy */
	reachable_path(&p, NC_PATH_PUBLISHED_LOOPBACK, ep("127.0.0.1", 32768), ep("127.0.0.1", 40000),
		       ep("172.17.0.1", 38582));
	nc_classify_path(&p, &c, &proxy);
	assert_int_equal(p.mechanism, NC_MECH_PROXY);
	assert_true(p.has_forwarder);
	assert_string_equal(p.forwarder.name, "docker-proxy");
	assert_int_equal(p.forwarder.pid, 3262);
	assert_false(p.foreign_responder);
	/* a proxy whose process we could not see */
	reachable_path(&p, NC_PATH_PUBLISHED_LOOPBACK, ep("127.0.0.1", 32768), ep("127.0.0.1", 40000),
		       ep("172.17.0.1", 38582));
	nc_classify_path(&p, &c, &(nc_forwarder_t){ .pid = 0 });
	assert_int_equal(p.mechanism, NC_MECH_PROXY);
	assert_false(p.has_forwarder);
	/* a v6 loopback reached through a v4 proxy leg */
	reachable_path(&p, NC_PATH_PUBLISHED_LOOPBACK6, ep("::1", 32768), ep("::1", 40001), ep("172.17.0.1", 38600));
	nc_classify_path(&p, &c, &proxy);
	assert_int_equal(p.mechanism, NC_MECH_PROXY);

	/* another container answered: an IP collision */
	reachable_path(&p, NC_PATH_DIRECT_TCP, c.ip, ep("172.17.0.1", 51000), ep("172.17.0.1", 51000));
	snprintf(p.answered_by, sizeof(p.answered_by), "deadbeef0001");
	nc_classify_path(&p, &c, NULL);
	assert_true(p.foreign_responder);
	assert_non_null(strstr(p.detail, "collision"));
	assert_non_null(strstr(p.detail, "deadbeef0001"));
	assert_int_equal(p.mechanism, NC_MECH_DIRECT);
	/* a hostname that is a prefix of our id is ours; an empty one proves nothing */
	reachable_path(&p, NC_PATH_DIRECT_TCP, c.ip, local, local);
	snprintf(p.answered_by, sizeof(p.answered_by), "3556fbea");
	nc_classify_path(&p, &c, NULL);
	assert_false(p.foreign_responder);
	p.answered_by[0] = '\0';
	nc_classify_path(&p, &c, NULL);
	assert_false(p.foreign_responder);

	/* not reachable: no mechanism */
	static const nc_verdict_t not_reached[] = { NC_VERDICT_UNREACHABLE, NC_VERDICT_UNROUTABLE, NC_VERDICT_REFUSED,
						    NC_VERDICT_TIMEOUT, NC_VERDICT_SKIPPED };
	for (size_t i = 0; i < NC_ARRAY_SIZE(not_reached); i++) {
		reachable_path(&p, NC_PATH_PUBLISHED_HOST, ep("192.0.2.2", 32768), local, local);
		p.verdict = not_reached[i];
		p.mechanism = NC_MECH_PROXY;
		nc_classify_path(&p, &c, &proxy);
		assert_int_equal(p.mechanism, NC_MECH_NONE);
		assert_false(p.has_forwarder);
	}

	/* reachable but the responder's view is missing */
	reachable_path(&p, NC_PATH_DIRECT_TCP, c.ip, local, (nc_endpoint_t){ 0 });
	nc_classify_path(&p, &c, &proxy);
	assert_int_equal(p.mechanism, NC_MECH_NONE);

	/* ICMP: the echo reply came from the address pinged */
	reachable_path(&p, NC_PATH_DIRECT_ICMP, ep("172.17.0.2", 0), ep("172.17.0.1", 7), ep("172.17.0.2", 0));
	nc_classify_path(&p, &c, &proxy);
	assert_int_equal(p.mechanism, NC_MECH_DIRECT);
}

static void test_classify_route(void **state)
{
	static const struct {
		nc_route_kind_t kind;
		bool via_default, allow_offhost, send;
		const char *says;
	} cases[] = {
		{ NC_ROUTE_ON_LINK, false, false, true, NULL },
		{ NC_ROUTE_ON_LINK, false, true, true, NULL },
		{ NC_ROUTE_ON_LINK, true, false, false, "only the default route (eth0)" },
		{ NC_ROUTE_ON_LINK, true, true, false, "only the default route" },
		{ NC_ROUTE_GATEWAY, false, false, false, "gateway on eth0" },
		{ NC_ROUTE_GATEWAY, true, false, false, "--allow-offhost" },
		{ NC_ROUTE_GATEWAY, false, true, true, NULL },
		{ NC_ROUTE_GATEWAY, true, true, true, NULL },
		{ NC_ROUTE_LOCAL, false, false, false, "address of this host" },
		{ NC_ROUTE_LOCAL, false, true, false, "address of this host" },
		{ NC_ROUTE_REJECT, false, false, false, "rejects" },
		{ NC_ROUTE_REJECT, false, true, false, "rejects" },
		{ NC_ROUTE_NONE, false, false, false, "no route" },
		{ NC_ROUTE_NONE, true, true, false, "no route" },
	};
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(cases); i++) {
		nc_path_t p;

		memset(&p, 0, sizeof(p));
		p.kind = NC_PATH_DIRECT_TCP;
		p.verdict = NC_VERDICT_SKIPPED;
		p.mechanism = NC_MECH_PROXY;
		bool send = nc_classify_route(&p, cases[i].kind, cases[i].via_default, "eth0", NULL,
					      cases[i].allow_offhost);
		if (send != cases[i].send)
			fail_msg("case %zu: route kind %d via_default %d allow_offhost %d: send %d", i, cases[i].kind,
				 cases[i].via_default, cases[i].allow_offhost, send);
		if (send) {
			assert_int_equal(p.verdict, NC_VERDICT_SKIPPED); /* untouched: the probe decides */
			assert_string_equal(p.detail, "");
		} else {
			assert_int_equal(p.verdict, NC_VERDICT_UNROUTABLE);
			assert_int_equal(p.mechanism, NC_MECH_NONE);
			assert_non_null(strstr(p.detail, "not sent"));
			if (strstr(p.detail, cases[i].says) == NULL)
				fail_msg("case %zu: detail '%s' does not say '%s'", i, p.detail, cases[i].says);
		}
	}
}

/* --- diagnoses from the kernel's witness --------------------------------- */

static nc_path_t *traced_path(nc_result_t *r, nc_path_kind_t kind, nc_verdict_t verdict)
{
	char q[16];
	nc_path_t *p;

	snprintf(q, sizeof(q), "%zu", nc_result_path_count(r));
	assert_int_equal(nc_result_add_path_named(r, kind, q, NULL, &p), 0);
	p->verdict = verdict;
	p->container_port = 80;
	p->sent = true;
	assert_int_equal(nc_endpoint_parse("192.0.2.2", 18991, &p->target), 0);
	return p;
}

/* The facts a run's witness records, as run-witness.c copies them from a
 * recorded trace (the remote client's SYN through Docker's DNAT, then a
 * DROP with the test's comment in ip filter DOCKER-USER) and recorded drop
 * reasons. */
static void recorded_drop(nc_diag_traced_t *t, bool reject)
{
	memset(t, 0, sizeof(*t));
	t->traced = true;
	t->passages = 2;
	t->nft_drop = true;
	t->nft_packets = 3;
	snprintf(t->rule.family, sizeof(t->rule.family), "ip");
	snprintf(t->rule.table, sizeof(t->rule.table), "filter");
	snprintf(t->rule.chain, sizeof(t->rule.chain), "DOCKER-USER");
	snprintf(t->rule.base_chain, sizeof(t->rule.base_chain), "DOCKER-USER");
	t->rule.handle = 1907;
	t->rule.reject = reject;
	snprintf(t->rule.rule, sizeof(t->rule.rule),
		 "ip saddr 198.18.0.2 tcp dport 80 counter packets 3 bytes 180 %s comment \"netcheck-test drop 18991\"",
		 reject ? "reject with tcp reset" : "drop");
	snprintf(t->comment, sizeof(t->comment), "netcheck-test drop 18991");
	snprintf(t->verdict, sizeof(t->verdict), "%s", reject ? "reject" : "drop");
}

static void recorded_kernel_drop(nc_diag_traced_t *t, const char *reason, const char *location)
{
	memset(t, 0, sizeof(*t));
	t->traced = true;
	t->passages = 1;
	t->n_drops = 2;
	/* the ordinary free of a TCP stack first: never the cause */
	snprintf(t->drops[0].reason, sizeof(t->drops[0].reason), "NOT_SPECIFIED");
	snprintf(t->drops[0].location, sizeof(t->drops[0].location), "skb_release_data+0x1a");
	snprintf(t->drops[0].text, sizeof(t->drops[0].text), "1 packet freed");
	snprintf(t->drops[1].reason, sizeof(t->drops[1].reason), "%s", reason);
	snprintf(t->drops[1].location, sizeof(t->drops[1].location), "%s", location);
	snprintf(t->drops[1].text, sizeof(t->drops[1].text), "3 packets dropped: %s at %s", reason, location);
	t->drops[1].packets = 3;
}

static void assert_observed_sysctl(const nc_diagnosis_t *d, size_t i, const char *name, const char *value)
{
	assert_true(i < d->n_observed);
	assert_int_equal(d->observed[i].source, NC_OBS_SYSCTL);
	assert_string_equal(d->observed[i].name, name);
	assert_string_equal(d->observed[i].value, value);
}

static void test_diagnose_witness(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_diag_witness_t w = { .trace_status = 0, .trace_events = 29, .have_sysctls = true, .ip_forward = 1,
				.ip6_forward = 0, .bridge_nf_call_iptables = -1, .route_localnet = 0 };
	nc_diag_traced_t t;
	nc_diag_facts_t f = { .witness = &w, .traced = &t };
	const nc_observation_t *o;
	nc_path_t *p;

	(void)state;
	assert_non_null(r);
	/* a DROP in DOCKER-USER: dropped, the rule named by handle, chain and comment */
	recorded_drop(&t, false);
	p = traced_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_TIMEOUT);
	p->timings.connect_ms = -1;
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "rule handle 1907 in ip filter DOCKER-USER"));
	assert_non_null(strstr(p->diagnosis.detail, "netcheck-test drop 18991"));
	/* the hint's command names the chain the rule is in, ready to run */
	assert_string_equal(p->diagnosis.hint, "remove or narrow that rule (`nft -a list chain ip filter DOCKER-USER`)");
	o = &p->diagnosis.observed[0];
	assert_int_equal(o->source, NC_OBS_NFTRACE);
	assert_string_equal(nc_obs_source_name(o->source), "nftrace");
	assert_string_equal(o->family, "ip");
	assert_string_equal(o->table, "filter");
	assert_string_equal(o->chain, "DOCKER-USER");
	assert_int_equal(o->handle, 1907);
	assert_string_equal(o->verdict, "drop");
	assert_non_null(strstr(o->rule, "comment \"netcheck-test drop 18991\""));
	/* the trace only marks: the verdict stays the probe's */
	assert_int_equal(p->verdict, NC_VERDICT_TIMEOUT);

	/* a REJECT (with a reset: the client saw refused): rejected, not "reset" */
	recorded_drop(&t, true);
	p = traced_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_REFUSED);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_REJECTED);
	assert_string_equal(nc_diag_code_name(p->diagnosis.code), "rejected");
	assert_string_equal(p->diagnosis.observed[0].verdict, "reject");
	assert_non_null(strstr(p->diagnosis.detail, "not the container"));
	assert_non_null(strstr(p->diagnosis.hint, "`nft -a list chain ip filter DOCKER-USER`"));

	/* a policy drop: no handle, the chain's policy named */
	recorded_drop(&t, false);
	t.rule.policy = true;
	t.rule.handle = 0;
	snprintf(t.verdict, sizeof(t.verdict), "policy drop");
	p = traced_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_TIMEOUT);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "the policy of ip filter DOCKER-USER"));

	/* Docker's own isolation of two networks (probe A --to B, no network in
	 * common): no rule of the user's to remove; the hint says what joins them */
	recorded_drop(&t, false);
	snprintf(t.rule.chain, sizeof(t.rule.chain), "DOCKER-ISOLATION-STAGE-2");
	t.comment[0] = '\0';
	p = traced_path(r, NC_PATH_CONTAINER_TO_CONTAINER, NC_VERDICT_TIMEOUT);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_DROPPED);
	assert_non_null(strstr(p->diagnosis.detail, "DOCKER-ISOLATION-STAGE-2"));
	assert_null(strstr(p->diagnosis.hint, "remove or narrow"));
	assert_non_null(strstr(p->diagnosis.hint, "docker network connect"));

	/* forwarding disabled: the route lookup's drop and the setting, both cited */
	recorded_kernel_drop(&t, "IP_INADDRERRORS", "ip_error+0x5c");
	w.ip_forward = 0;
	p = traced_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_TIMEOUT);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_FORWARDING_DISABLED);
	assert_string_equal(nc_diag_code_name(p->diagnosis.code), "forwarding-disabled");
	assert_non_null(strstr(p->diagnosis.detail, "net.ipv4.ip_forward is 0"));
	assert_string_equal(p->diagnosis.hint, "sysctl -w net.ipv4.ip_forward=1 (and make it stick in /etc/sysctl.d)");
	assert_int_equal(p->diagnosis.n_observed, 2);
	assert_int_equal(p->diagnosis.observed[0].source, NC_OBS_DROP_REASON);
	assert_string_equal(p->diagnosis.observed[0].reason, "IP_INADDRERRORS");
	assert_string_equal(p->diagnosis.observed[0].location, "ip_error+0x5c");
	assert_observed_sysctl(&p->diagnosis, 1, "net.ipv4.ip_forward", "0");
	/* the same drop with forwarding on: the kernel's drop, not forwarding */
	w.ip_forward = 1;
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_KERNEL_DROP);
	assert_non_null(strstr(p->diagnosis.detail, "IP_INADDRERRORS"));

	/* conf/all on, but the interface the answers came in on has its own
	 * forwarding off (set after ip_forward was written): the kernel
	 * decides by the ingress interface's value, and the diagnosis names it */
	recorded_kernel_drop(&t, "IP_INADDRERRORS", "ip_error+0x5c");
	t.drops[1].reply = true;
	snprintf(t.drops[1].ifname, sizeof(t.drops[1].ifname), "br-0123456789a");
	t.drops[1].forwarding = 0;
	p = traced_path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_TIMEOUT);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_FORWARDING_DISABLED);
	assert_non_null(strstr(p->diagnosis.detail, "net.ipv4.conf.br-0123456789a.forwarding is 0 (net.ipv4.ip_forward is 1)"));
	assert_non_null(strstr(p->diagnosis.detail, "dropped the path's answers at ip_error+0x5c (IP_INADDRERRORS) "
						"as they came in on br-0123456789a"));
	assert_string_equal(p->diagnosis.hint, "sysctl -w net.ipv4.conf.br-0123456789a.forwarding=1 (and make it stick "
					       "in /etc/sysctl.d): setting net.ipv4.ip_forward once does not keep every "
					       "interface's on");
	assert_int_equal(p->diagnosis.n_observed, 3);
	assert_observed_sysctl(&p->diagnosis, 1, "net.ipv4.ip_forward", "1");
	assert_observed_sysctl(&p->diagnosis, 2, "net.ipv4.conf.br-0123456789a.forwarding", "0");
	/* conf/all off, the ingress named too: the global hint, the interface said */
	w.ip_forward = 0;
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_FORWARDING_DISABLED);
	assert_non_null(strstr(p->diagnosis.detail, "net.ipv4.ip_forward is 0 and the kernel dropped the path's answers"));
	assert_non_null(strstr(p->diagnosis.detail, "as they came in on br-0123456789a "
						"(net.ipv4.conf.br-0123456789a.forwarding = 0)"));
	assert_string_equal(p->diagnosis.hint, "sysctl -w net.ipv4.ip_forward=1 (and make it stick in /etc/sysctl.d)");
	/* conf/all off but that interface on (set by hand): it forwards; not this diagnosis */
	t.drops[1].forwarding = 1;
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_KERNEL_DROP);
	w.ip_forward = 1;

	/* no socket: nothing listens, from the kernel's own word */
	recorded_kernel_drop(&t, "NO_SOCKET", "tcp_v4_rcv+0x1a0");
	p = traced_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_REFUSED);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_LISTENING);
	assert_int_equal(p->diagnosis.observed[0].source, NC_OBS_DROP_REASON);
	assert_string_equal(p->diagnosis.observed[0].reason, "NO_SOCKET");

	/* a neighbour that never answered */
	recorded_kernel_drop(&t, "NEIGH_FAILED", "neigh_invalidate+0x8e");
	p = traced_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_UNREACHABLE);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NEIGHBOUR_FAILED);
	assert_string_equal(p->diagnosis.observed[0].location, "neigh_invalidate+0x8e");

	/* traced, nothing dropped, only ordinary frees: unexplained, with what was looked at */
	recorded_kernel_drop(&t, "TCP_OLD_DATA", "tcp_rcv_established+0x3");
	p = traced_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_TIMEOUT);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_UNEXPLAINED);
	assert_non_null(strstr(p->diagnosis.detail, "the nftables trace (29 events, no drop)"));
	assert_non_null(strstr(p->diagnosis.detail, "the kernel's drop reasons (none that explains it)"));
	{
		size_t nftrace = 0, drops = 0;

		for (size_t i = 0; i < p->diagnosis.n_observed; i++) {
			nftrace += p->diagnosis.observed[i].source == NC_OBS_NFTRACE;
			drops += p->diagnosis.observed[i].source == NC_OBS_DROP_REASON;
		}
		assert_int_equal(nftrace, 1);
		assert_int_equal(drops, 2); /* what was seen, though it explains nothing */
	}

	/* the trace off: said so, and the ruleset as read still speaks */
	w.trace_status = -EPERM;
	snprintf(w.trace_error, sizeof(w.trace_error), "tracing needs CAP_NET_ADMIN");
	w.drop_status = -EOPNOTSUPP;
	snprintf(w.drop_error, sizeof(w.drop_error), "built without eBPF");
	f.traced = NULL;
	p = traced_path(r, NC_PATH_DIRECT_TCP, NC_VERDICT_TIMEOUT);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_UNEXPLAINED);
	assert_non_null(strstr(p->diagnosis.detail, "the nftables trace (off: tracing needs CAP_NET_ADMIN)"));
	assert_non_null(strstr(p->diagnosis.detail, "the kernel's drop reasons (off: built without eBPF)"));
	nc_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expectation_table),
		cmocka_unit_test(test_remote_loopback_published),
		cmocka_unit_test(test_evaluate),
		cmocka_unit_test(test_expect_parse),
		cmocka_unit_test(test_expect_errors),
		cmocka_unit_test(test_expect_before_paths_and_env_change),
		cmocka_unit_test(test_expect_override_consistent),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_exit_code_table),
		cmocka_unit_test(test_dns_expectation_by_network),
		cmocka_unit_test(test_classify_path),
		cmocka_unit_test(test_classify_route),
		cmocka_unit_test(test_diagnose_witness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
