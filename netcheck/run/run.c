/* One run, as a sequence of stages over one target:
 *
 *   discover (survey) → prepare target → open capture (the target's
 *   points) → probe (the target's paths) → attribute → classify (the
 *   target's facts) → (the cli renders the report) → teardown
 *
 * The target is any nc_target_ops_t (run-internal.h): a container netcheck
 * launches, one the user names, a swarm service; only nc_run_target_for() picks one
 * by name.  Owns the engine
 * handle and the loop.  Calls the stage files and the helpers below them
 * (run-common.c); nothing calls back up here.  May call: engine, platform,
 * probe, capture, classify, result.  Never prints: progress goes to opt->progress. */
#include "run-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

/* ---- the stages --------------------------------------------------------- */

static void make_run_id(char *buf, size_t len)
{
	char nonce[NC_NONCE_MAX];

	if (nc_probe_make_nonce(nonce, sizeof(nonce)) < 0)
		snprintf(nonce, sizeof(nonce), "%08x", (unsigned)uv_os_getpid());
	snprintf(buf, len, "%.12s", nonce);
}

/* What the engine says of itself and what the target needs of it (its
 * image, a network, the leftovers of killed runs): one round of calls with
 * /version, none depending on another, so the slowest sets the pace. */
static int stage_discover(run_state_t *s, nc_error_t *err)
{
	nc_engine_survey_t sv = { .want_info = true };
	int r;

	nc_run_progress(s, "connecting to the engine");
	if (s->target->survey != NULL) {
		r = s->target->survey(s, s->target_state, &sv, err);
		if (r < 0)
			return r;
	}
	r = s->eng->connect(s->opt, &sv, &s->engine, &s->version, err);
	if (r < 0)
		return r;
	if (sv.info_result < 0) {
		if (err != NULL)
			*err = sv.info_err;
		return sv.info_result;
	}
	s->engine_info = sv.info;
	if (s->target->take_survey != NULL) {
		r = s->target->take_survey(s, s->target_state, &sv, err);
		if (r < 0)
			return r;
	}
	nc_run_fill_environment(s);
	/* the loop exists before the target: the host end of container-to-host
	 * listens on it before the container is made */
	r = uv_loop_init(&s->loop);
	if (r < 0)
		return nc_error_set(err, r, "libuv: %s", uv_strerror(r));
	s->loop_ready = true;
	/* the drop-reason program loads on the pool while the target is prepared */
	nc_run_witness_load(s);
	return 0;
}

static int stage_prepare(run_state_t *s, nc_error_t *err)
{
	/* the rings of the points in this netns are set up meanwhile */
	nc_run_capture_spares_begin(s);
	return s->target->prepare(s, s->target_state, err);
}

static int stage_open_capture(run_state_t *s, nc_error_t *err)
{
	nc_run_progress(s, "opening the capture points");
	/* capture opens before any probe, so the first SYN is seen: the probe
	 * stage waits for it (nc_run_capture_open_end) once it has done its
	 * own privileged work meanwhile */
	return nc_run_capture_open_begin(s, err);
}

/* The probes record what happened; the policy says what each error
 * means (refused, timeout, unreachable) before anything reads a verdict. */
static int stage_probe(run_state_t *s, nc_error_t *err)
{
	int r = nc_run_probe(s, err);

	for (size_t i = 0; i < nc_result_path_count(s->result); i++)
		nc_classify_verdict(nc_result_path(s->result, i));
	return r;
}

static int stage_attribute(run_state_t *s, nc_error_t *err)
{
	int r;

	nc_run_witness_collect(s);
	/* the lookups run off the loop while the packets are attributed,
	 * ahead of the trace table's removal on the same thread */
	nc_run_conntrack_lookup(s);
	nc_run_witness_release(s);
	nc_run_witness_name_rules(s);
	r = nc_run_capture_evidence(s, err);
	nc_run_conntrack_record(s);
	return r;
}

/* Mechanisms from what the probes and packets say, then a diagnosis for
 * every path that failed or surprised, with the facts the target gathers
 * (read once, at the first path that failed). */
static int stage_classify(run_state_t *s, nc_error_t *err)
{
	const nc_target_ops_t *target = s->target;
	nc_container_t *c = nc_result_container(s->result);
	const nc_environment_t *env = nc_result_environment(s->result);
	nc_diag_facts_t facts;
	bool gathered = false, have_facts;
	const char *facts_of = ""; /* the container (probe --project) the facts are of */

	(void)err;
	nc_run_kernel_facts(s);
	for (size_t i = 0; i < nc_result_path_count(s->result); i++) {
		nc_path_t *p = nc_result_path(s->result, i);
		const nc_forwarder_t *fwd =
			target->forwarder_for != NULL ? target->forwarder_for(s->target_state, p) : NULL;

		if (p->verdict == NC_VERDICT_UNROUTABLE || p->verdict == NC_VERDICT_SKIPPED)
			continue;
		nc_classify_path(p, c, fwd);
		nc_classify_evidence(p, env, fwd);
	}
	have_facts = target->gather_facts(s, s->target_state, false, &facts);
	for (size_t i = 0; i < nc_result_path_count(s->result); i++) {
		nc_path_t *p = nc_result_path(s->result, i);

		if (p->verdict != NC_VERDICT_REACHABLE && (!gathered || strcmp(p->container, facts_of) != 0)) {
			/* a project's paths are diagnosed from their own container's facts */
			s->failed_path = p;
			have_facts = target->gather_facts(s, s->target_state, true, &facts);
			s->failed_path = NULL;
			gathered = true;
			facts_of = p->container;
		}
		if (!have_facts)
			memset(&facts, 0, sizeof(facts));
		nc_run_witness_facts(s, i, &facts);
		/* what the IPv6 readiness wait saw, for address-not-ready */
		facts.ipv6_ready = env->ipv6_ready.checked ? &env->ipv6_ready : NULL;
		nc_classify_diagnose(p, env,
				     have_facts || facts.traced != NULL || facts.ipv6_ready != NULL ? &facts : NULL);
	}
	/* the expectations of now (a path's network, the environment), and a
	 * warning diagnosis (a bypassed firewall rule) counts too */
	nc_expect_evaluate(s->result);
	return nc_run_interrupted(s) ? NC_ECANCELED : 0;
}

struct stage {
	const char *name;
	int (*run)(run_state_t *s, nc_error_t *err);
};

/* once a run (or a watch): the engine, the loop and the target */
static const struct stage setup_stages[] = {
	{ "discover", stage_discover },
	{ "prepare target", stage_prepare },
};

/* once a run, every cycle of a watch: what a path's answer costs */
static const struct stage cycle_stages[] = {
	{ "open capture", stage_open_capture },
	{ "probe", stage_probe },
	{ "attribute", stage_attribute },
	{ "classify", stage_classify },
};

/* Always runs, whatever stage stopped the run: the target (removed when
 * ours), probes, capture, the loop, the engine. */
int nc_run_teardown(run_state_t *s, int r, nc_error_t *err)
{
	nc_run_agent_remove_begin(s); /* first when it shares the target's namespaces */
	if (s->engine != NULL)
		s->target->teardown(s, s->target_state);
	nc_run_agent_remove(s);
	for (size_t i = 0; i < s->n_probes; i++)
		nc_probe_free(s->probes[i]);
	if (s->capture_running)
		nc_run_capture_finish(s);
	nc_probe_listener_close(s->host_listener);
	s->host_listener = NULL;
	nc_run_ready_free(s);
	nc_run_privileged_free(s); /* its jobs' afters write into the witness */
	nc_run_conntrack_free(s);
	nc_run_witness_free(s);
	if (s->loop_ready) {
		uv_run(&s->loop, UV_RUN_DEFAULT); /* let close callbacks run */
		nc_run_capture_free(s);
		uv_run(&s->loop, UV_RUN_DEFAULT);
		s->loop_closed = uv_loop_close(&s->loop);
		s->loop_ready = false;
		if (s->loop_closed != 0 && r == 0)
			r = nc_error_set(err, -EBUSY, "internal error: a libuv handle was left open");
	}
	if (s->engine != NULL)
		s->eng->free_engine(s->engine);
	s->engine = NULL;
	return r;
}

static int run_list(run_state_t *s, const struct stage *list, size_t n, nc_error_t *err)
{
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		r = list[i].run(s, err);
		if (r == 0 && nc_run_interrupted(s))
			r = NC_ECANCELED;
	}
	return r;
}

/* The target's survey again, on the engine already connected (a re-made
 * target may need its image and the killed runs' leftovers read anew). */
static int survey_again(run_state_t *s, nc_error_t *err)
{
	nc_engine_survey_t sv = { .want_info = false };
	int r;

	if (s->target->survey != NULL && (r = s->target->survey(s, s->target_state, &sv, err)) < 0)
		return r;
	r = nc_engine_survey(s->engine, &sv);
	if (r < 0)
		return nc_error_set(err, r, "engine calls: %s", nc_strerror(r));
	return s->target->take_survey != NULL ? s->target->take_survey(s, s->target_state, &sv, err) : 0;
}

/* The target made again (watch: its own container died): the target's
 * teardown, a zeroed state, a new run id, the target's survey and prepare;
 * the engine, the loop and what lives on it (the cli's server) stay.  The
 * last cycle's probes and capture are gone already (run-watch.c). */
int nc_run_prepare_again(run_state_t *s, nc_error_t *err)
{
	nc_container_t *c = nc_result_container(s->result);
	int r;

	s->target->teardown(s, s->target_state);
	nc_probe_listener_close(s->host_listener); /* prepare makes the host end again */
	s->host_listener = NULL;
	memset(s->target_state, 0, s->target->size);
	memset(c, 0, sizeof(*c));
	make_run_id(c->run_id, sizeof(c->run_id));
	r = survey_again(s, err);
	return r < 0 ? r : stage_prepare(s, err);
}

int nc_run_setup(run_state_t *s, nc_error_t *err)
{
	int r = 0;

	make_run_id(nc_result_container(s->result)->run_id, sizeof(nc_result_container(s->result)->run_id));
	if (s->opt->expect != NULL)
		r = nc_expect_parse(s->result, s->opt->expect, err);
	return r < 0 ? r : run_list(s, setup_stages, NC_ARRAY_SIZE(setup_stages), err);
}

int nc_run_cycle(run_state_t *s, nc_error_t *err)
{
	return run_list(s, cycle_stages, NC_ARRAY_SIZE(cycle_stages), err);
}

int nc_run_stages(run_state_t *s, nc_error_t *err)
{
	int r = nc_run_setup(s, err);

	if (r == 0)
		r = nc_run_cycle(s, err);
	return nc_run_teardown(s, r, err);
}

int nc_run_with(const nc_run_options_t *opt, const nc_target_ops_t *target, const nc_run_engine_ops_t *eng,
		nc_result_t *result, nc_error_t *err)
{
	run_state_t *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory");
	s->opt = opt;
	s->result = result;
	s->target = target;
	s->eng = eng;
	s->target_state = calloc(1, target->size > 0 ? target->size : 1);
	if (s->target_state == NULL) {
		free(s);
		return nc_error_set(err, -ENOMEM, "out of memory");
	}
	r = nc_run_stages(s, err);
	free(s->target_state);
	free(s);
	return r;
}

/* the one place a target is picked by name: from the command's options */
const nc_target_ops_t *nc_run_target_for(const nc_run_options_t *opt)
{
	return opt->swarm	      ? &nc_target_swarm
	       : opt->project != NULL ? &nc_target_project
	       : opt->to != NULL      ? &nc_target_to
	       : opt->target != NULL  ? &nc_target_named
				      : &nc_target_launched;
}

int nc_run(const nc_run_options_t *opt, nc_result_t *result, nc_error_t *err)
{
	return nc_run_with(opt, nc_run_target_for(opt), &nc_run_engine_real, result, err);
}
