/* One run: engine → container → (capture) → probes on one libuv loop →
 * classification → cleanup.  Owns the engine handle, the container's life
 * and the loop.  May call: engine, image, platform, probe, classify,
 * capture, result.  Never prints: progress goes to opt->progress. */
#include "netcheck/run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "netcheck/classify.h"
#include "netcheck/engine.h"
#include "netcheck/image.h"
#include "netcheck/platform.h"
#include "netcheck/probe.h"
#include "netcheck/testing.h"
#include "run-internal.h"

#define POLL_INTERVAL_MS 5

static int gc_engine(nc_engine_t *e, bool include_kept,
		     void (*removed_cb)(void *data, const char *id, const char *run_id), void *data, nc_error_t *err);
static void owner_scope(char *buf, size_t len);


static void progress(const run_state_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const run_state_t *s, const char *fmt, ...)
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

static bool interrupted(const run_state_t *s)
{
	return s->opt->interrupted != NULL && *s->opt->interrupted;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

/* ---- engine + environment ------------------------------------------------ */

static int connect_engine(const nc_run_options_t *opt, uint64_t timeout_ms, volatile sig_atomic_t *intr,
			  nc_engine_t **ret, nc_engine_version_t *ret_version, char *ret_url, size_t url_len,
			  nc_error_t *err)
{
	nc_engine_options_t eo = { 0 };
	nc_engine_source_t src;
	const char *cert = getenv("DOCKER_CERT_PATH"), *verify = getenv("DOCKER_TLS_VERIFY");
	int r;

	r = nc_engine_discover(opt != NULL ? opt->engine_url : NULL, NULL, ret_url, url_len, &src, err);
	if (r < 0)
		return r;
	eo.timeout_ms = (long)(timeout_ms > 0 ? timeout_ms : 10000);
	eo.connect_timeout_ms = eo.timeout_ms < 3000 ? eo.timeout_ms : 3000;
	eo.cert_path = cert;
	eo.tls_verify = verify != NULL && *verify != '\0' && strcmp(verify, "0") != 0;
	eo.cancel = intr;
	r = nc_engine_new(ret_url, &eo, ret, err);
	if (r < 0)
		return r;
	r = nc_engine_negotiate(*ret, ret_version, err);
	if (r < 0) {
		nc_engine_free(*ret);
		*ret = NULL;
	}
	return r;
}

static void fill_environment(run_state_t *s, const nc_engine_version_t *v, const nc_engine_info_t *info)
{
	nc_environment_t *env = nc_result_environment(s->result);

	snprintf(env->engine_url, sizeof(env->engine_url), "%s", nc_engine_url(s->engine));
	snprintf(env->engine_name, sizeof(env->engine_name), "%s",
		 v->podman ? "Podman Engine" : v->platform_name[0] ? v->platform_name : "Docker Engine");
	snprintf(env->engine_version, sizeof(env->engine_version), "%s", v->version);
	snprintf(env->api_version, sizeof(env->api_version), "%s", v->api_version);
	snprintf(env->os, sizeof(env->os), "%s", info->operating_system);
	env->rootless = info->rootless;
	(void)nc_platform_primary_address(AF_INET, &env->host_address, env->host_interface,
					  sizeof(env->host_interface));
}

/* Connects, negotiates, asks /info and fills the environment from both. */
static int open_engine(run_state_t *s, nc_engine_version_t *ret_version, nc_error_t *err)
{
	char url[NC_ENGINE_URL_MAX];
	int r;

	r = connect_engine(s->opt, s->opt->engine_timeout_ms, s->opt->interrupted, &s->engine, ret_version, url,
			   sizeof(url), err);
	if (r < 0)
		return r;
	r = nc_engine_info(s->engine, &s->engine_info, err);
	if (r < 0)
		return r;
	fill_environment(s, ret_version, &s->engine_info);
	return 0;
}

/* Decides the environment once the container's IP and route are known. */
static void detect_environment(run_state_t *s, const nc_engine_version_t *v, const nc_route_t *rt)
{
	nc_environment_t *env = nc_result_environment(s->result);

	env->kind = nc_classify_environment(v, &s->engine_info, rt->kind, rt->via_default, &env->bridge_attached);
	if (env->bridge_attached)
		snprintf(env->bridge, sizeof(env->bridge), "%s", rt->ifname);
	nc_result_apply_expectations(s->result);
}

/* ---- image + container ---------------------------------------------------- */

static int ensure_image(run_state_t *s, char *ret_ref, size_t len, nc_error_t *err)
{
	char query[1024];
	uint8_t *tar = NULL;
	size_t tar_len = 0;
	int r;

	if (s->opt->image != NULL) {
		snprintf(ret_ref, len, "%s", s->opt->image);
		r = nc_engine_image_exists(s->engine, s->opt->image, err);
		if (r < 0)
			return r;
		if (r == 0)
			return nc_error_set(err, -ENOENT,
					    "image %s is not in the engine and cannot be pulled here: load it first",
					    s->opt->image);
		return 0;
	}
	snprintf(ret_ref, len, "%s:%s", nc_image_name(), NC_VERSION);
	r = nc_engine_image_exists(s->engine, ret_ref, err);
	if (r != 0)
		return r < 0 ? r : 0;
	progress(s, "importing image %s (%zu KiB)", ret_ref, nc_responder_bin_len / 1024);
	r = nc_image_build_tar(nc_responder_bin, nc_responder_bin_len, &tar, &tar_len);
	if (r < 0)
		return nc_error_set(err, r, "building the responder image failed: %s", nc_strerror(r));
	r = nc_image_import_query(NC_VERSION, query, sizeof(query));
	if (r >= 0)
		r = nc_engine_image_import(s->engine, query, tar, tar_len, err);
	free(tar);
	if (r < 0) {
		/* a half-imported image must not be mistaken for a good one next time */
		char path[256];
		snprintf(path, sizeof(path), "/images/%s%%3A%s?force=1", nc_image_name(), NC_VERSION);
		/* also (above all) after a signal cancelled the import */
		nc_engine_set_cancel(s->engine, NULL);
		(void)nc_engine_call(s->engine, "DELETE", path, NULL, NULL, 0, 0, NULL, NULL);
		nc_engine_set_cancel(s->engine, s->opt->interrupted);
		if (err != NULL && strstr(err->text, "import") == NULL) {
			char prev[NC_ERROR_MAX];
			snprintf(prev, sizeof(prev), "%s", err->text);
			nc_error_set(err, r, "importing the responder image failed: %.400s", prev);
		}
		return r;
	}
	return 0;
}

static json_t *container_spec(const run_state_t *s, const char *image, const char *run_id)
{
	char port_key[16], host_port[8], pid[16], scope[128];
	json_t *spec, *labels, *exposed, *hc, *bindings, *binding, *arr;

	snprintf(port_key, sizeof(port_key), "%u/tcp", s->port);
	snprintf(host_port, sizeof(host_port), "%u", s->opt->host_port);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	owner_scope(scope, sizeof(scope));
	labels = json_pack("{s:s, s:s, s:s}", NC_RUN_LABEL, run_id, NC_RUN_PID_LABEL, pid, NC_RUN_SCOPE_LABEL, scope);
	if (labels != NULL && s->opt->keep) /* kept on purpose: only an explicit `netcheck gc` removes it */
		json_object_set_new(labels, NC_RUN_KEEP_LABEL, json_string("1"));
	exposed = json_pack("{s:{}}", port_key);
	binding = json_pack("{s:s, s:s}", "HostIp", "", "HostPort", s->opt->host_port ? host_port : "");
	arr = json_array();
	if (labels == NULL || exposed == NULL || binding == NULL || arr == NULL || json_array_append_new(arr, binding) < 0) {
		json_decref(labels), json_decref(exposed), json_decref(arr);
		return NULL;
	}
	bindings = json_pack("{s:o}", port_key, arr);
	hc = json_pack("{s:o, s:b, s:s}", "PortBindings", bindings, "AutoRemove", 0, "NetworkMode", "bridge");
	spec = json_pack("{s:s, s:o, s:o, s:o}", "Image", image, "Labels", labels, "ExposedPorts", exposed,
			 "HostConfig", hc);
	if (spec != NULL && s->opt->image == NULL) {
		/* our responder needs nothing: no root, no writes */
		json_object_set_new(spec, "User", json_string("65534:65534"));
		json_object_set_new(hc, "ReadonlyRootfs", json_true());
		json_object_set_new(hc, "CapDrop", json_pack("[s]", "ALL"));
		json_object_set_new(hc, "SecurityOpt", json_pack("[s]", "no-new-privileges"));
		/* Docker lowers it for every container; Podman does not, and uid
		 * 65534 may then not listen on port 80 */
		json_object_set_new(hc, "Sysctls", json_pack("{s:s}", "net.ipv4.ip_unprivileged_port_start", "0"));
		json_object_set_new(spec, "Cmd", json_pack("[s, s]", "/responder", port_key));
		/* "80/tcp" → "80" */
		json_array_set_new(json_object_get(spec, "Cmd"), 1, json_sprintf("%u", s->port));
	}
	return spec;
}

/* Is the container's process listening on port inside its namespace?  We
 * read its own /proc/<pid>/net/tcp{,6}; -ENOENT when we cannot see it. */
static int container_listening(int pid, uint16_t port)
{
	static const char *const files[] = { "tcp", "tcp6" };

	for (size_t i = 0; i < NC_ARRAY_SIZE(files); i++) {
		char path[64], line[256];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, files[i]);
		f = fopen(path, "re");
		if (f == NULL)
			return -ENOENT;
		for (unsigned n = 0; n < 100000 && fgets(line, sizeof(line), f) != NULL; n++) {
			char local[80];
			unsigned st, lport;
			char *colon;

			if (sscanf(line, " %*s %79s %*s %x", local, &st) != 2 || st != 0x0A)
				continue;
			colon = strrchr(local, ':');
			if (colon != NULL && sscanf(colon + 1, "%x", &lport) == 1 && lport == port) {
				fclose(f);
				return 1;
			}
		}
		fclose(f);
	}
	return 0;
}

static int start_container(run_state_t *s, nc_error_t *err)
{
	nc_container_t *c = nc_result_container(s->result);
	char image[NC_NAME_MAX], name[96];
	json_t *spec;
	uint64_t deadline;
	int r;

	r = ensure_image(s, image, sizeof(image), err);
	if (r < 0)
		return r;
	snprintf(c->image, sizeof(c->image), "%s", image);
	spec = container_spec(s, image, c->run_id);
	if (spec == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "netcheck-%s", c->run_id);
	snprintf(c->name, sizeof(c->name), "%s", name);
	progress(s, "creating container %s from %s", name, image);
	/* Not cancellable: a create aborted on our side may still complete on
	 * the engine's, leaving a container whose id we never learnt.  The
	 * call is short and bounded by the engine timeout; the signal is
	 * acted on right after. */
	nc_engine_set_cancel(s->engine, NULL);
	r = nc_engine_container_create(s->engine, name, spec, s->container_id, sizeof(s->container_id), err);
	nc_engine_set_cancel(s->engine, s->opt->interrupted);
	json_decref(spec);
	if (r < 0)
		return r;
	snprintf(c->id, sizeof(c->id), "%s", s->container_id);
	if (interrupted(s))
		return NC_ECANCELED;
	progress(s, "starting container %.12s", c->id);
	r = nc_engine_container_start(s->engine, s->container_id, err);
	if (r < 0) {
		if (err != NULL && (strstr(err->text, "already allocated") || strstr(err->text, "address already in use")))
			return nc_error_set(err, NC_ECONFLICT,
					    "host port %u is already taken: choose another --host-port or leave it to the engine",
					    s->opt->host_port);
		return r;
	}
	deadline = now_ms() + (s->opt->start_timeout_ms ? s->opt->start_timeout_ms : 10000);
	for (unsigned tries = 0;; tries++) {
		if (interrupted(s))
			return NC_ECANCELED;
		r = nc_engine_container_inspect(s->engine, s->container_id, s->port, &s->info, err);
		if (r < 0)
			return r;
		if (!s->info.running && tries > 0)
			return nc_error_set(err, NC_EENGINE, "container %.12s exited right after start", c->id);
		if (s->info.running && s->info.ip.family != 0 && s->info.published_port != 0)
			break;
		if (now_ms() > deadline)
			return nc_error_set(err, -ETIMEDOUT, "container %.12s got no IP address or published port in time",
					    c->id);
		sleep_ms(POLL_INTERVAL_MS * 2);
	}
	c->ip = s->info.ip;
	c->published_port = s->info.published_port;
	c->published_port6 = s->info.published_port6;
	/* An engine in another PID namespace (a VM, a containerized dockerd)
	 * reports a pid that means nothing here, or another process: use it
	 * only when that process's cgroup names the container. */
	c->pid = nc_platform_pid_is_container(s->info.pid, c->id) ? s->info.pid : 0;
	s->info.pid = c->pid;
	/* Wait for the responder to listen; seen from its own namespace, so no
	 * probe traffic is spent on it.  Engines whose processes we cannot see
	 * (a VM, another user namespace) get a short grace period instead. */
	for (;;) {
		r = container_listening(s->info.pid, s->port);
		if (r != 0 || interrupted(s))
			break;
		if (now_ms() > deadline)
			return nc_error_set(err, -ETIMEDOUT, "the responder in container %.12s did not listen on port %u",
					    c->id, s->port);
		sleep_ms(POLL_INTERVAL_MS);
	}
	if (r < 0)
		sleep_ms(200);
	if (interrupted(s))
		return NC_ECANCELED;
	/* still alive?  A responder that could not listen exits at once */
	r = nc_engine_container_inspect(s->engine, s->container_id, s->port, &s->info, err);
	if (r < 0)
		return r;
	if (!s->info.running)
		return nc_error_set(err, NC_EENGINE,
				    "container %.12s stopped (exit code %d) before it answered: the engine at %s stopped "
				    "it, or it crashed (run with --keep and see `docker logs %.12s`)",
				    c->id, s->info.exit_code, nc_engine_url(s->engine), c->id);
	/* Who listens on the published port: read from /proc once, now,
	 * while we may still look at other users' processes (rootlesskit,
	 * rootlessport).  Some engines (Podman) list one binding for every
	 * address ("HostIp": ""): [::] is served too when the process
	 * listening on the port over IPv6 is that one. */
	s->have_forwarder = nc_platform_tcp_listener(c->published_port, &s->forwarder) == 0;
	if (c->published_port6 == 0 && s->have_forwarder) {
		nc_forwarder_t v6;

		if (nc_platform_tcp_listener_family(c->published_port, AF_INET6, &v6) == 0 && v6.pid == s->forwarder.pid) {
			c->published_port6 = c->published_port;
		}
	}
	return 0;
}

static void remove_container(run_state_t *s)
{
	nc_container_t *c = nc_result_container(s->result);
	nc_error_t err;
	uint64_t deadline;

	if (s->container_id[0] == '\0' || s->engine == NULL)
		return;
	if (s->opt->keep) {
		c->kept = true;
		return;
	}
	/* cleanup must run even after a signal cancelled the engine calls */
	nc_engine_set_cancel(s->engine, NULL);
	/* An engine that is restarting refuses connections for a few seconds:
	 * keep trying for a bounded while (15 s), then leave the container to
	 * the next run's clean-up (it carries our labels). */
	deadline = now_ms() + 15000;
	for (unsigned attempt = 0; attempt < 60; attempt++) {
		int r = nc_engine_container_remove(s->engine, s->container_id, &err);

		if (r == 0) {
			c->removed = true;
			return;
		}
		if (now_ms() > deadline || (r != -ECONNREFUSED && r != -ENOENT && r != NC_EPROTO && attempt >= 2))
			return;
		sleep_ms(250);
	}
}

static void on_probe_done(nc_probe_t *p, void *data)
{
	run_state_t *s = data;

	(void)p;
	if (++s->probes_done == s->n_probes) {
		uv_timer_stop(&s->watchdog);
		uv_close((uv_handle_t *)&s->watchdog, NULL);
		nc_run_capture_finish(s);
	}
}

static void on_watchdog(uv_timer_t *t)
{
	run_state_t *s = t->data;

	if (!interrupted(s))
		return;
	for (size_t i = 0; i < s->n_probes; i++)
		nc_probe_cancel(s->probes[i]);
}

static void add_path(run_state_t *s, nc_path_kind_t kind, const nc_endpoint_t *target, nc_path_t **ret)
{
	*ret = NULL;
	(void)nc_result_add_path(s->result, kind, target, ret);
}

/* Direct probes go only where the route says the container's network is
 * on a link of this host; through a gateway the packet would leave it. */
static bool direct_allowed(run_state_t *s, nc_path_t *p, const nc_route_t *rt)
{
	nc_platform_route_format(&p->target, rt, p->route, sizeof(p->route));
	return nc_classify_route(p, rt->kind, rt->via_default, rt->ifname, nc_result_environment(s->result),
				 s->opt->allow_offhost);
}

static int run_probes(run_state_t *s, const nc_route_t *rt, nc_error_t *err)
{
	nc_environment_t *env = nc_result_environment(s->result);
	nc_container_t *c = nc_result_container(s->result);
	uint64_t timeout = s->opt->probe_timeout_ms ? s->opt->probe_timeout_ms : 2000;
	nc_endpoint_t target;
	nc_path_t *p;
	int r;

	/* paths, in report order */
	target = c->ip;
	target.port = 0;
	add_path(s, NC_PATH_DIRECT_ICMP, &target, &p);
	if (direct_allowed(s, p, rt)) {
		r = nc_probe_icmp_new(&s->loop, p, timeout, &s->probes[s->n_probes]);
		if (r == 0)
			s->n_probes++;
	}
	add_path(s, NC_PATH_DIRECT_TCP, &c->ip, &p);
	if (direct_allowed(s, p, rt) && nc_probe_tcp_new(&s->loop, p, timeout, &s->probes[s->n_probes]) == 0)
		s->n_probes++;
	nc_endpoint_parse("127.0.0.1", c->published_port, &target);
	add_path(s, NC_PATH_PUBLISHED_LOOPBACK, &target, &p);
	if (nc_probe_tcp_new(&s->loop, p, timeout, &s->probes[s->n_probes]) == 0)
		s->n_probes++;
	if (c->published_port6 != 0) {
		nc_endpoint_parse("::1", c->published_port6, &target);
		add_path(s, NC_PATH_PUBLISHED_LOOPBACK6, &target, &p);
		if (nc_probe_tcp_new(&s->loop, p, timeout, &s->probes[s->n_probes]) == 0)
			s->n_probes++;
	}
	if (env->host_address.family != 0) {
		target = env->host_address;
		target.port = c->published_port;
		add_path(s, NC_PATH_PUBLISHED_HOST, &target, &p);
		if (nc_probe_tcp_new(&s->loop, p, timeout, &s->probes[s->n_probes]) == 0)
			s->n_probes++;
	}

	r = uv_timer_init(&s->loop, &s->watchdog);
	if (r < 0)
		return nc_error_set(err, r, "libuv timer: %s", uv_strerror(r));
	s->watchdog.data = s;
	uv_timer_start(&s->watchdog, on_watchdog, 20, 20);
	/* Everything that needs privilege is open now (capture handles, the
	 * ICMP socket, the forwarder looked up): the probes and the rest of the
	 * run go without any capability. */
	if (nc_platform_drop_privileges(strncmp(nc_engine_url(s->engine), "unix://", 7) == 0 &&
					nc_platform_socket_needs_override(nc_engine_url(s->engine) + 7)) == 0)
		nc_result_environment(s->result)->privileges_dropped = true;
	progress(s, "probing %zu of %zu paths", s->n_probes, nc_result_path_count(s->result));
	for (size_t i = 0; i < s->n_probes; i++) {
		r = nc_probe_start(s->probes[i], on_probe_done, s);
		if (r < 0)
			s->probes_done++; /* not started: no callback will come */
	}
	if (s->probes_done == s->n_probes) {
		uv_timer_stop(&s->watchdog);
		uv_close((uv_handle_t *)&s->watchdog, NULL);
		nc_run_capture_finish(s);
	}
	uv_run(&s->loop, UV_RUN_DEFAULT);
	return 0;
}

static void classify_all(run_state_t *s)
{
	nc_container_t *c = nc_result_container(s->result);
	const nc_forwarder_t *fwd = &s->forwarder;
	bool have_fwd = s->have_forwarder;

	for (size_t i = 0; i < nc_result_path_count(s->result); i++) {
		nc_path_t *p = nc_result_path(s->result, i);
		bool published = p->kind == NC_PATH_PUBLISHED_LOOPBACK || p->kind == NC_PATH_PUBLISHED_LOOPBACK6 ||
				 p->kind == NC_PATH_PUBLISHED_HOST;

		if (p->verdict == NC_VERDICT_UNROUTABLE || p->verdict == NC_VERDICT_SKIPPED)
			continue;
		nc_classify_path(p, c, published && have_fwd ? fwd : NULL);
	}
}

static void make_run_id(char *buf, size_t len)
{
	char nonce[NC_NONCE_MAX];

	if (nc_probe_make_nonce(nonce, sizeof(nonce)) < 0)
		snprintf(nonce, sizeof(nonce), "%08x", (unsigned)getpid());
	snprintf(buf, len, "%.12s", nonce);
}

int nc_run(const nc_run_options_t *opt, nc_result_t *result, nc_error_t *err)
{
	run_state_t s = { .opt = opt, .result = result };
	nc_container_t *c = nc_result_container(result);
	nc_engine_version_t version;
	nc_route_t rt;
	int r;

	s.port = opt->port ? opt->port : NC_DEFAULT_PORT;
	make_run_id(c->run_id, sizeof(c->run_id));
	if (opt->expect != NULL) {
		r = nc_result_parse_expect(result, opt->expect, err);
		if (r < 0)
			return r;
	}
	progress(&s, "connecting to the engine");
	r = open_engine(&s, &version, err);
	if (r < 0)
		goto out;
	/* containers of runs killed with SIGKILL: theirs to clean, ours to do */
	r = gc_engine(s.engine, false, NULL, NULL, NULL);
	if (r > 0)
		c->stale_removed = (unsigned)r;

	r = start_container(&s, err);
	if (r < 0)
		goto out;
	r = nc_platform_route_get(&c->ip, &rt);
	if (r < 0) {
		nc_error_set(err, r, "route lookup for %s failed: %s", "the container IP", nc_strerror(r));
		goto out;
	}
	detect_environment(&s, &version, &rt);
	snprintf(c->bridge, sizeof(c->bridge), "%s", nc_result_environment(result)->bridge);

	r = uv_loop_init(&s.loop);
	if (r < 0) {
		nc_error_set(err, r, "libuv: %s", uv_strerror(r));
		goto out;
	}
	s.loop_ready = true;
	/* capture opens before any probe, so the first SYN is seen */
	r = nc_run_capture_open(&s, err);
	if (r < 0)
		goto out;
	r = run_probes(&s, &rt, err);
	if (r < 0)
		goto out;
	classify_all(&s);
	r = nc_run_capture_evidence(&s, err);
	if (r < 0)
		goto out;
	nc_result_evaluate(result);
	if (interrupted(&s))
		r = NC_ECANCELED;
out:
	remove_container(&s);
	for (size_t i = 0; i < s.n_probes; i++)
		nc_probe_free(s.probes[i]);
	if (s.capture_running)
		nc_run_capture_finish(&s);
	if (s.loop_ready) {
		uv_run(&s.loop, UV_RUN_DEFAULT); /* let close callbacks run */
		nc_run_capture_free(&s);
		uv_run(&s.loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&s.loop) != 0 && r == 0)
			r = nc_error_set(err, -EBUSY, "internal error: a libuv handle was left open");
	}
	nc_engine_free(s.engine);
	return r;
}

/* ---- gc --------------------------------------------------------------------- */

/* Which host and PID namespace a run's pid label means something in:
 * "<boot id>/<pid namespace inode>".  A run on another machine sharing a
 * tcp:// engine, or in another PID namespace, carries another one. */
static void owner_scope(char *buf, size_t len)
{
	char boot[64] = "?";
	struct stat st;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (f != NULL) {
		if (fgets(boot, sizeof(boot), f) != NULL)
			boot[strcspn(boot, "\n")] = '\0';
		fclose(f);
	}
	snprintf(buf, len, "%s/%lu", boot, stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long)st.st_ino : 0ul);
}

/* Is the netcheck that made a container still running?  Its pid must be
 * a live process whose command line names netcheck (under valgrind too). */
static bool owner_alive(const char *pid_label)
{
	char path[64], cmd[512];
	size_t n;
	long pid;
	char *end;
	FILE *f;

	if (pid_label == NULL)
		return false;
	pid = strtol(pid_label, &end, 10);
	if (*end != '\0' || pid <= 0 || pid > 1 << 22 || pid == getpid())
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	cmd[n] = '\0';
	return strstr(cmd, "netcheck") != NULL;
}

#define FOREIGN_OWNER_AGE_S 3600 /* a run elsewhere is over after an hour */

/* Removes containers whose netcheck is gone; returns how many.  The list
 * itself carries each container's labels and creation time. */
static int gc_engine(nc_engine_t *e, bool include_kept,
		     void (*removed_cb)(void *data, const char *id, const char *run_id), void *data, nc_error_t *err)
{
	char here[128];
	json_t *list = NULL, *item;
	size_t i;
	int r, removed = 0;

	owner_scope(here, sizeof(here));
	r = nc_engine_containers_with_label(e, NC_RUN_LABEL, &list, err);
	if (r < 0)
		return r;
	json_array_foreach(list, i, item) {
		json_t *labels = json_object_get(item, "Labels");
		const char *id = json_string_value(json_object_get(item, "Id"));
		const char *run_id = json_string_value(json_object_get(labels, NC_RUN_LABEL));
		const char *scope = json_string_value(json_object_get(labels, NC_RUN_SCOPE_LABEL));
		json_int_t created = json_integer_value(json_object_get(item, "Created"));
		bool dead;

		if (id == NULL || strlen(id) > 128)
			continue;
		if (!include_kept && json_object_get(labels, NC_RUN_KEEP_LABEL) != NULL)
			continue;
		if (scope != NULL && strcmp(scope, here) != 0)
			/* its pid means nothing here: judge by age alone */
			dead = created > 0 && (json_int_t)time(NULL) - created > FOREIGN_OWNER_AGE_S;
		else
			dead = !owner_alive(json_string_value(json_object_get(labels, NC_RUN_PID_LABEL)));
		if (dead && nc_engine_container_remove(e, id, err) == 0) {
			removed++;
			if (removed_cb != NULL)
				removed_cb(data, id, run_id ? run_id : "");
		}
	}
	json_decref(list);
	return removed;
}

int nc_run_gc(const char *engine_url, uint64_t engine_timeout_ms, volatile sig_atomic_t *intr,
	      void (*removed_cb)(void *data, const char *id, const char *run_id), void *data, nc_error_t *err)
{
	nc_run_options_t opt = { .engine_url = engine_url };
	nc_engine_version_t version;
	nc_engine_t *e = NULL;
	char url[NC_ENGINE_URL_MAX];
	int r;

	r = connect_engine(&opt, engine_timeout_ms, intr, &e, &version, url, sizeof(url), err);
	if (r < 0)
		return r;
	r = gc_engine(e, true, removed_cb, data, err);
	nc_engine_free(e);
	return r;
}

/* ---- engines ------------------------------------------------------------------ */

static void summarise(const char *url, const char *source, uint64_t timeout_ms, volatile sig_atomic_t *intr,
		      nc_engine_summary_t *ret)
{
	nc_run_options_t opt = { .engine_url = url };
	nc_engine_version_t v;
	nc_engine_info_t info;
	nc_engine_t *e = NULL;
	nc_error_t err = { "" };
	char used[NC_ENGINE_URL_MAX];

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->url, sizeof(ret->url), "%s", url);
	ret->source = source;
	ret->status = connect_engine(&opt, timeout_ms, intr, &e, &v, used, sizeof(used), &err);
	if (ret->status == 0)
		ret->status = nc_engine_info(e, &info, &err);
	if (ret->status < 0) {
		snprintf(ret->error, sizeof(ret->error), "%s", err.text[0] ? err.text : nc_strerror(ret->status));
	} else {
		ret->kind = nc_classify_engine(&v, &info);
		snprintf(ret->name, sizeof(ret->name), "%s",
			 v.podman ? "Podman Engine" : v.platform_name[0] ? v.platform_name : "Docker Engine");
		snprintf(ret->version, sizeof(ret->version), "%s", v.version);
		snprintf(ret->api_version, sizeof(ret->api_version), "%s", v.api_version);
	}
	nc_engine_free(e);
}

int nc_run_engines(uint64_t engine_timeout_ms, volatile sig_atomic_t *intr,
		   void (*cb)(void *data, const nc_engine_summary_t *e), void *data)
{
	char urls[8][NC_ENGINE_URL_MAX];
	nc_engine_source_t sources[8];
	char known[4][NC_ENGINE_URL_MAX];
	size_t n = 0;
	int answered = 0, k;

	/* what `netcheck run` would use (DOCKER_HOST, else the context, else
	 * the first well-known socket), then every other well-known socket */
	if (nc_engine_discover(NULL, NULL, urls[0], sizeof(urls[0]), &sources[0], NULL) == 0)
		n = 1;
	k = nc_engine_well_known(NULL, known, NC_ARRAY_SIZE(known), 0);
	for (int i = 0; i < k && n < NC_ARRAY_SIZE(urls); i++) {
		bool dup = false;

		for (size_t j = 0; j < n; j++)
			dup = dup || strcmp(urls[j], known[i]) == 0;
		if (dup)
			continue;
		memcpy(urls[n], known[i], sizeof(urls[n]));
		sources[n++] = NC_ENGINE_FROM_DEFAULT;
	}
	for (size_t i = 0; i < n; i++) {
		nc_engine_summary_t sum;

		if (intr != NULL && *intr)
			break;
		summarise(urls[i], nc_engine_source_name(sources[i]), engine_timeout_ms, intr, &sum);
		if (sum.status == 0)
			answered++;
		if (cb != NULL)
			cb(data, &sum);
	}
	return answered;
}

/* ---- capture of a user's container ----------------------------------------------- */

static void on_capture_deadline(uv_timer_t *t)
{
	run_state_t *s = t->data;

	uv_close((uv_handle_t *)t, NULL);
	uv_timer_stop(&s->watchdog);
	uv_close((uv_handle_t *)&s->watchdog, NULL);
	nc_run_capture_finish(s);
}

static void on_capture_watchdog(uv_timer_t *t)
{
	run_state_t *s = t->data;

	/* capture_ended: -c COUNT reached, or the file could not be written */
	if (interrupted(s) || s->capture_ended) {
		uv_timer_stop(&s->deadline);
		on_capture_deadline(&s->deadline);
	}
}

int nc_run_capture_only(const nc_run_options_t *opt, const char *container, uint64_t duration_ms,
			nc_result_t *result, nc_error_t *err)
{
	run_state_t s = { .opt = opt, .result = result };
	nc_container_t *c = nc_result_container(result);
	nc_engine_version_t version;
	nc_route_t rt;
	uv_timer_t *deadline = &s.deadline;
	int r;

	s.bulk_capture = true;
	r = open_engine(&s, &version, err);
	if (r < 0)
		goto out;
	s.port = opt->port; /* 0: whichever port the container publishes */
	r = nc_engine_container_inspect(s.engine, container, s.port, &s.info, err);
	if (r == NC_ENOTFOUND) {
		r = nc_error_set(err, -EINVAL, "no container '%.64s' in the engine at %s", container,
				 nc_engine_url(s.engine));
		goto out;
	}
	if (r < 0)
		goto out;
	if (!s.info.running || s.info.ip.family == 0) {
		r = nc_error_set(err, -EINVAL, "container '%.64s' is not running with an IP address", container);
		goto out;
	}
	snprintf(c->id, sizeof(c->id), "%s", s.info.id);
	snprintf(c->name, sizeof(c->name), "%s", s.info.name);
	snprintf(c->image, sizeof(c->image), "%s", s.info.image);
	c->ip = s.info.ip;
	c->published_port = s.info.published_port;
	c->pid = nc_platform_pid_is_container(s.info.pid, c->id) ? s.info.pid : 0;
	r = nc_platform_route_get(&c->ip, &rt);
	if (r < 0) {
		nc_error_set(err, r, "route lookup for the container IP failed: %s", nc_strerror(r));
		goto out;
	}
	detect_environment(&s, &version, &rt);
	snprintf(c->bridge, sizeof(c->bridge), "%s", nc_result_environment(result)->bridge);
	r = uv_loop_init(&s.loop);
	if (r < 0)
		goto out;
	s.loop_ready = true;
	r = nc_run_capture_open(&s, err);
	if (r < 0)
		goto out;
	if (s.capture == NULL) {
		r = nc_error_set(err, -EPERM, "cannot capture: %s", nc_result_environment(result)->capture_note);
		goto out;
	}
	uv_timer_init(&s.loop, deadline);
	deadline->data = &s;
	uv_timer_start(deadline, on_capture_deadline, duration_ms, 0);
	uv_timer_init(&s.loop, &s.watchdog);
	s.watchdog.data = &s;
	uv_timer_start(&s.watchdog, on_capture_watchdog, 20, 20);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	r = nc_run_capture_evidence(&s, err);
out:
	if (s.capture_running)
		nc_run_capture_finish(&s);
	if (s.loop_ready) {
		uv_run(&s.loop, UV_RUN_DEFAULT);
		nc_run_capture_free(&s);
		uv_run(&s.loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&s.loop) != 0 && r == 0)
			r = nc_error_set(err, -EBUSY, "internal error: a libuv handle was left open");
	}
	nc_engine_free(s.engine);
	return r;
}
