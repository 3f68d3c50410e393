/* The helpers every part of a run shares, below the stages and the
 * targets: progress, the interrupt flag, the clock, the engine connection,
 * and the environment filled from the engine's answers.  run.c orders the
 * stages; the stage and target files call these and nothing above them.
 * May call: engine, platform, classify, result.  Never prints. */
#include "run-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netcheck/testing.h"

void nc_run_progress(const run_state_t *s, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (s->opt->progress == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->opt->progress(s->opt->progress_data, msg);
}

void nc_run_note_vappend(char *note, size_t len, const char *fmt, va_list ap)
{
	size_t o = strlen(note);

	/* every reason, in order, "; " between them; what does not fit is cut */
	if (o > 0 && o + 2 < len) {
		memcpy(note + o, "; ", 3);
		o += 2;
	}
	if (o + 1 >= len)
		return;
	vsnprintf(note + o, len - o, fmt, ap);
}

void nc_run_note_append(char *note, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nc_run_note_vappend(note, len, fmt, ap);
	va_end(ap);
}

bool nc_run_flag_clear(const void *flag)
{
	return !*(const bool *)flag;
}

static void on_loop_timer(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

bool nc_run_loop_until(run_state_t *s, bool (*done)(const void *data), const void *data, uint64_t ms,
		       bool stop_on_interrupt)
{
	uv_timer_t timer;
	bool expired = false;

	if (done(data) || !s->loop_ready || uv_timer_init(&s->loop, &timer) < 0)
		return done(data);
	/* the timer also keeps the loop from returning at once with nothing
	 * active: the loop waits for an event or the bound, never spins */
	timer.data = &expired;
	/* the loop's clock stands where it last ran, perhaps seconds ago
	 * (a swarm's tasks were waited for since): from now, not from then */
	uv_update_time(&s->loop);
	uv_timer_start(&timer, on_loop_timer, ms, 0);
	while (!expired && !done(data) && !(stop_on_interrupt && nc_run_interrupted(s)))
		uv_run(&s->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&s->loop, UV_RUN_NOWAIT); /* the timer's close callback: it lives on this stack */
	return done(data);
}

bool nc_run_interrupted(const run_state_t *s)
{
	return s->opt->interrupted != NULL && *s->opt->interrupted;
}

void nc_run_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

uint64_t nc_run_now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

int nc_run_not_found(const run_state_t *s, int r, const char *kind, const char *name, nc_error_t *err)
{
	/* the engine's 404 on an object path is NC_EGONE (gone from under
	 * netcheck), but this one the user named: a usage error (64) */
	if (r == NC_EGONE || r == NC_ENOTFOUND)
		return nc_error_set(err, NC_ENOTFOUND, "no %s '%.128s' in the engine at %s", kind, name,
				    nc_engine_url(s->engine));
	return r;
}

/* The one removal policy for the containers netcheck makes (its own, the
 * peer, probe --to's helper, the capture agents), at teardown or when one
 * is replaced.  Tried again only where a later try can succeed:
 * - the engine unreachable (-ECONNREFUSED, -ENOENT: its socket is gone
 *   while dockerd restarts; -ECONNRESET, NC_EPROTO: an answer cut short):
 *   every 200 ms for up to 15 s from the first try;
 * - the engine refusing for now (NC_EENGINE, a 500 such as rootless
 *   Podman's "could not be stopped ... state improper: stopped" while the
 *   container ends by itself; NC_ECONFLICT, a 409): 5 tries in all,
 *   200 ms apart (under 1 s);
 * - anything else (cancelled, denied, timed out, a bad id): not again.
 * Never a try begun past 15 s from the first: the whole is bounded by
 * that and the last call's own timeout (--engine-timeout). */
#define REMOVE_RETRY_MS 200
#define REMOVE_UNREACHABLE_MS 15000
#define REMOVE_REFUSED_TRIES 5

int nc_run_remove_retry_ms(int r, unsigned tries, uint64_t elapsed_ms)
{
	switch (r) {
	case -ECONNREFUSED:
	case -ENOENT:
	case -ECONNRESET:
	case NC_EPROTO:
		return elapsed_ms + REMOVE_RETRY_MS <= REMOVE_UNREACHABLE_MS ? REMOVE_RETRY_MS : -1;
	case NC_EENGINE:
	case NC_ECONFLICT:
		return tries < REMOVE_REFUSED_TRIES ? REMOVE_RETRY_MS : -1;
	default:
		return -1;
	}
}

int nc_run_remove_container(nc_engine_t *e, const char *id, bool volumes)
{
	uint64_t start = nc_run_now_ms();

	for (unsigned tries = 1;; tries++) {
		int r = nc_engine_container_remove(e, id, true, volumes, NULL), wait_ms;

		if (r == 0)
			return 0;
		wait_ms = nc_run_remove_retry_ms(r, tries, nc_run_now_ms() - start);
		if (wait_ms < 0)
			return r;
		nc_run_sleep_ms((unsigned)wait_ms);
	}
}

int nc_run_connect(const char *url, const char *context, uint64_t timeout_ms, volatile sig_atomic_t *intr,
		   nc_engine_survey_t *sv, nc_engine_t **ret, nc_engine_version_t *ret_version, nc_error_t *err)
{
	nc_engine_options_t eo = { 0 };
	nc_engine_source_t src;
	char found[NC_ENGINE_URL_MAX];
	const char *cert = getenv("DOCKER_CERT_PATH"), *verify = getenv("DOCKER_TLS_VERIFY");
	int r;

	r = nc_engine_discover_context(url, context, NULL, found, sizeof(found), &src, err);
	if (r < 0)
		return r;
	eo.timeout_ms = (long)(timeout_ms > 0 ? timeout_ms : 10000);
	eo.connect_timeout_ms = eo.timeout_ms < 3000 ? eo.timeout_ms : 3000;
	eo.cert_path = cert;
	eo.tls_verify = verify != NULL && *verify != '\0' && strcmp(verify, "0") != 0;
	eo.cancel = intr;
	r = nc_engine_new(found, &eo, ret, err);
	if (r < 0)
		return r;
	r = sv != NULL ? nc_engine_negotiate_survey(*ret, ret_version, sv, err) : nc_engine_negotiate(*ret, ret_version, err);
	if (r < 0) {
		nc_engine_free(*ret);
		*ret = NULL;
	}
	return r;
}

nc_env_kind_t nc_run_engine_kind(const nc_engine_version_t *v, const nc_engine_info_t *info)
{
	nc_engine_facts_t facts = { .rootless = info->rootless, .podman = v->podman };

	snprintf(facts.operating_system, sizeof(facts.operating_system), "%s", info->operating_system);
	snprintf(facts.platform_name, sizeof(facts.platform_name), "%s", v->platform_name);
	return nc_classify_engine(&facts);
}

void nc_run_fill_environment(run_state_t *s)
{
	nc_environment_t *env = nc_result_environment(s->result);
	const nc_engine_version_t *v = &s->version;

	snprintf(env->engine_url, sizeof(env->engine_url), "%s", s->eng->url(s->engine));
	snprintf(env->engine_name, sizeof(env->engine_name), "%s",
		 nc_engine_product(v));
	snprintf(env->engine_version, sizeof(env->engine_version), "%s", v->version);
	snprintf(env->api_version, sizeof(env->api_version), "%s", v->api_version);
	snprintf(env->os, sizeof(env->os), "%s", s->engine_info.operating_system);
	env->rootless = s->engine_info.rootless;
	(void)nc_platform_primary_address(AF_INET, &env->host_address, env->host_interface,
					  sizeof(env->host_interface));
}

/* Which kernel runs the container: this host's release and boot id, the
 * first answer of netcheck's own responder that said its own, and the
 * policy's reading of the two. */
void nc_run_kernel_facts(run_state_t *s)
{
	nc_environment_t *env = nc_result_environment(s->result);
	nc_kernel_t *k = &env->kernel;

	nc_platform_kernel(k->host, sizeof(k->host), k->host_boot_id, sizeof(k->host_boot_id));
	for (size_t i = 0; i < nc_result_path_count(s->result); i++) {
		const nc_path_t *p = nc_result_path(s->result, i);

		if (p->foreign_responder || p->answered_boot_id[0] == '\0')
			continue;
		snprintf(k->container, sizeof(k->container), "%s", p->answered_kernel);
		snprintf(k->container_boot_id, sizeof(k->container_boot_id), "%s", p->answered_boot_id);
		break;
	}
	/* no answer said (a user's app): a container whose process is one of
	 * this host's (its cgroup names it) runs on this very kernel */
	if (k->container_boot_id[0] == '\0' && nc_result_container(s->result)->pid > 0) {
		snprintf(k->container, sizeof(k->container), "%s", k->host);
		snprintf(k->container_boot_id, sizeof(k->container_boot_id), "%s", k->host_boot_id);
	}
	nc_classify_kernel(env);
}

void nc_run_decide_environment(run_state_t *s, const nc_route_t *route)
{
	nc_environment_t *env = nc_result_environment(s->result);

	if (route == NULL) {
		env->kind = nc_run_engine_kind(&s->version, &s->engine_info);
		nc_expect_apply(s->result);
		return;
	}
	env->kind = nc_classify_environment(nc_run_engine_kind(&s->version, &s->engine_info), route->kind,
					    route->via_default, &env->bridge_attached);
	if (env->bridge_attached)
		snprintf(env->bridge, sizeof(env->bridge), "%s", route->ifname);
	snprintf(nc_result_container(s->result)->bridge, sizeof(nc_result_container(s->result)->bridge), "%s",
		 env->bridge);
	nc_expect_apply(s->result);
}

uint16_t nc_run_default_port(const nc_run_options_t *opt)
{
	if (opt->port != 0)
		return opt->port;
	if (opt->n_ports > 0)
		return opt->ports[0];
	return opt->target != NULL ? 0 : NC_DEFAULT_PORT;
}

void nc_run_plan_point(nc_run_capture_plan_t *plan, nc_point_kind_t kind, const char *ifname,
		       const char *description, int netns_pid)
{
	nc_run_capture_point_t *p;

	if (plan->n_points >= NC_ARRAY_SIZE(plan->points))
		return;
	p = &plan->points[plan->n_points++];
	p->kind = kind;
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	snprintf(p->description, sizeof(p->description), "%s", description);
	p->netns_pid = netns_pid;
}

/* ---- the engine calls of the generic stages ------------------------------- */

static int real_connect(const nc_run_options_t *opt, nc_engine_survey_t *sv, nc_engine_t **ret,
			nc_engine_version_t *ret_version, nc_error_t *err)
{
	return nc_run_connect(opt->engine_url, opt->context, opt->engine_timeout_ms, opt->interrupted, sv, ret,
			      ret_version, err);
}

const nc_run_engine_ops_t nc_run_engine_real = {
	.connect = real_connect,
	.url = nc_engine_url,
	.free_engine = nc_engine_free,
};
