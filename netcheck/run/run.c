/* One run, as a sequence of stages over one target:
 *
 *   discover → prepare target → open capture → read firewall → probe →
 *   attribute → classify
 *   → (the cli renders the report) → teardown
 *
 * The target is a container netcheck launches (`netcheck run`) or one the
 * user names (`netcheck probe CONTAINER`): run-target.c.  Owns the engine
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

/* What the engine says of itself and, for a container netcheck launches,
 * what it will need: the leftovers of killed runs, whether the image is
 * there, the default bridge (container-to-host listens on its gateway).
 * Read at once: none depends on another, so the slowest sets the pace. */
static int survey(run_state_t *s, nc_container_summary_t *stale, nc_error_t *err)
{
	nc_engine_survey_t sv = { .want_info = true };
	int r;

	if (s->target == &nc_target_launched) {
		if (nc_run_image_ref(s, s->image, sizeof(s->image)) < 0)
			return nc_error_set(err, -ENOSPC, "internal error: image tag");
		sv.image = s->image;
		if (stale != NULL) {
			sv.label_filter = NC_RUN_LABEL;
			sv.containers = stale;
			sv.max_containers = NC_RUN_GC_MAX;
		}
		if (s->opt->image == NULL)
			sv.network = "bridge";
	}
	r = nc_engine_survey(s->engine, &sv);
	if (r < 0)
		return nc_error_set(err, r, "engine calls: %s", nc_strerror(r));
	if (sv.info_result < 0) {
		if (err != NULL)
			*err = sv.info_err;
		return sv.info_result;
	}
	s->engine_info = sv.info;
	s->image_present = sv.image != NULL ? sv.image_result : -1; /* an error: asked again, and said then */
	s->have_default_bridge = sv.network != NULL && sv.network_result == 0;
	if (s->have_default_bridge)
		s->default_bridge = sv.network_info;
	/* containers of runs killed with SIGKILL: theirs to clean, ours to do */
	if (sv.label_filter != NULL && sv.containers_result >= 0) {
		r = nc_run_gc_listed(s->engine, stale, sv.n_containers, false, NULL, NULL, NULL);
		if (r > 0)
			nc_result_container(s->result)->stale_removed = (unsigned)r;
	}
	return 0;
}

static int stage_discover(run_state_t *s, nc_error_t *err)
{
	nc_container_summary_t *stale = NULL;
	int r;

	nc_run_progress(s, "connecting to the engine");
	r = nc_run_connect(s->opt->engine_url, s->opt->context, s->opt->engine_timeout_ms, s->opt->interrupted,
			   &s->engine, &s->version, err);
	if (r < 0)
		return r;
	if (s->target == &nc_target_launched)
		stale = calloc(NC_RUN_GC_MAX, sizeof(*stale)); /* NULL: no clean-up this time */
	r = survey(s, stale, err);
	free(stale);
	if (r < 0)
		return r;
	nc_run_fill_environment(s);
	/* the loop exists before the target: the host end of container-to-host
	 * listens on it before the container is made */
	r = uv_loop_init(&s->loop);
	if (r < 0)
		return nc_error_set(err, r, "libuv: %s", uv_strerror(r));
	s->loop_ready = true;
	if (s->target == &nc_target_swarm) {
		/* services and networks of --swarm runs killed with SIGKILL */
		r = nc_run_gc_swarm(s->engine, false, NULL, NULL);
		if (r > 0)
			nc_result_container(s->result)->stale_removed = (unsigned)r;
	}
	return 0;
}

static int stage_prepare(run_state_t *s, nc_error_t *err)
{
	int r = s->target->prepare(s, err);

	if (r < 0)
		return r;
	nc_run_decide_environment(s);
	return 0;
}

static int stage_open_capture(run_state_t *s, nc_error_t *err)
{
	nc_run_progress(s, "opening the capture points");
	/* capture opens before any probe, so the first SYN is seen */
	return nc_run_capture_open(s, err);
}

/* The firewall ruleset, for published-remote's diagnosis: read only in runs
 * that probe it, before the probes (reading needs CAP_NET_ADMIN, which the
 * probe stage drops), and asked the two questions at once so that nothing
 * of the ruleset outlives the stage.  A ruleset that cannot be read is not
 * an error: the diagnosis says so. */
static int stage_read_firewall(run_state_t *s, nc_error_t *err)
{
	const nc_container_t *c = nc_result_container(s->result);
	nc_diag_firewall_t *f = &s->firewall;
	nc_platform_fw_packet_t input = { .dst = s->remote.host_address };
	nc_platform_fw_packet_t forward = { .src = s->remote.client_address, .dst = c->ip, .dnat = true };
	nc_platform_firewall_t *fw = NULL;
	nc_error_t ferr = { "" };
	uint64_t start = uv_hrtime();
	int r;

	(void)err;
	if (s->remote.netns_name[0] == '\0' || c->published_port == 0 || c->ip.family != AF_INET)
		return 0;
	nc_run_progress(s, "reading the firewall ruleset");
	s->firewall_read = true;
	f->published_port = c->published_port;
	input.dst.port = c->published_port;
	forward.dst.port = s->port;
	snprintf(forward.iifname, sizeof(forward.iifname), "%s", s->remote.host_ifname);
	snprintf(forward.oifname, sizeof(forward.oifname), "%s", s->route.ifname);
	f->status = nc_platform_firewall_read(&fw, &ferr);
	if (f->status == 0) {
		f->legacy_tables = nc_platform_firewall_legacy_tables(fw);
		r = nc_platform_firewall_drops(fw, NC_PLATFORM_HOOK_INPUT, &input, &f->input);
		f->input_drop = r == 1;
		if (r >= 0) {
			r = nc_platform_firewall_drops(fw, NC_PLATFORM_HOOK_FORWARD, &forward, &f->forward);
			f->forward_drop = r == 1;
		}
		if (r < 0) {
			f->status = r;
			snprintf(ferr.text, sizeof(ferr.text), "walking its chains: %s", nc_strerror(r));
		}
	}
	snprintf(f->error, sizeof(f->error), "%s", ferr.text);
	nc_platform_firewall_free(fw);
	f->read_ms = (double)(uv_hrtime() - start) / 1e6;
	return 0;
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
	return nc_run_capture_evidence(s, err);
}

/* Mechanisms from what the probes and packets say, then a diagnosis for
 * every path that failed or surprised. */
static int stage_classify(run_state_t *s, nc_error_t *err)
{
	nc_container_t *c = nc_result_container(s->result);
	const nc_environment_t *env = nc_result_environment(s->result);
	nc_listener_t listeners[NC_RUN_MAX_LISTENERS];
	uint16_t published[NC_ENGINE_MAX_PORTS];
	nc_diag_facts_t facts = { .firewall = s->firewall_read ? &s->firewall : NULL };
	bool gathered = false;

	(void)err;
	for (size_t i = 0; i < nc_result_path_count(s->result); i++) {
		nc_path_t *p = nc_result_path(s->result, i);
		const nc_forwarder_t *fwd = nc_run_forwarder_for(s, p);

		if (p->verdict == NC_VERDICT_UNROUTABLE || p->verdict == NC_VERDICT_SKIPPED)
			continue;
		nc_classify_path(p, c, fwd);
		nc_classify_evidence(p, env, fwd);
	}
	for (size_t i = 0; i < nc_result_path_count(s->result); i++) {
		nc_path_t *p = nc_result_path(s->result, i);

		if (p->verdict != NC_VERDICT_REACHABLE && !gathered && s->target != &nc_target_swarm) {
			nc_run_gather_facts(s, &facts, listeners, NC_ARRAY_SIZE(listeners), published,
					    NC_ARRAY_SIZE(published));
			gathered = true;
		}
		nc_classify_diagnose(p, env, gathered || facts.firewall != NULL ? &facts : NULL);
	}
	/* the expectations of now (a path's network, the environment), and a
	 * warning diagnosis (a bypassed firewall rule) counts too */
	nc_expect_evaluate(s->result);
	return nc_run_interrupted(s) ? NC_ECANCELED : 0;
}

static const struct stage {
	const char *name;
	int (*run)(run_state_t *s, nc_error_t *err);
} stages[] = {
	{ "discover", stage_discover },
	{ "prepare target", stage_prepare },
	{ "open capture", stage_open_capture },
	{ "read firewall", stage_read_firewall },
	{ "probe", stage_probe },
	{ "attribute", stage_attribute },
	{ "classify", stage_classify },
};

/* Always runs, whatever stage stopped the run: the target (removed when
 * ours), probes, capture, the loop, the engine. */
static int teardown(run_state_t *s, int r, nc_error_t *err)
{
	if (s->engine != NULL)
		s->target->teardown(s);
	for (size_t i = 0; i < s->n_probes; i++)
		nc_probe_free(s->probes[i]);
	if (s->capture_running)
		nc_run_capture_finish(s);
	nc_probe_listener_close(s->host_listener);
	s->host_listener = NULL;
	if (s->loop_ready) {
		uv_run(&s->loop, UV_RUN_DEFAULT); /* let close callbacks run */
		nc_run_capture_free(s);
		uv_run(&s->loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&s->loop) != 0 && r == 0)
			r = nc_error_set(err, -EBUSY, "internal error: a libuv handle was left open");
	}
	nc_engine_free(s->engine);
	s->engine = NULL;
	return r;
}

int nc_run(const nc_run_options_t *opt, nc_result_t *result, nc_error_t *err)
{
	run_state_t s = { .opt = opt, .result = result, .image_present = -1 };
	int r = 0;

	s.target = opt->swarm ? &nc_target_swarm : opt->target != NULL ? &nc_target_named : &nc_target_launched;
	s.port = opt->port ? opt->port : opt->n_ports > 0 ? opt->ports[0] : opt->target ? 0 : NC_DEFAULT_PORT;
	make_run_id(nc_result_container(result)->run_id, sizeof(nc_result_container(result)->run_id));
	if (opt->expect != NULL) {
		r = nc_expect_parse(result, opt->expect, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < NC_ARRAY_SIZE(stages) && r == 0; i++) {
		r = stages[i].run(&s, err);
		if (r == 0 && nc_run_interrupted(&s))
			r = NC_ECANCELED;
	}
	return teardown(&s, r, err);
}
