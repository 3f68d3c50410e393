/* Unit tests for the engine client (engine.c, engine-parse.c,
 * engine-discover.c).
 *
 * Discovery runs against a fake environment (nc_engine_discover takes a
 * getenv-like function) and the docker CLI config in tests/fixtures.  The
 * parsers read recorded and hand-written Engine API answers from
 * tests/fixtures (see its README.md).  The transport talks to a fake engine:
 * a thread serving a fixed list of canned answers on a unix socket in a
 * temporary directory, then exiting.  No real engine is needed.
 *
 * jansson allocates through cmocka here, so a leaked json_t fails the test;
 * libcurl keeps its own allocator. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "helpers.h"
#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"
#include "engine-internal.h"

/* --- fixtures ---------------------------------------------------------- */

static const char *fixtures_dir(void)
{
	const char *d = getenv("NC_FIXTURES");

	return d != NULL && *d ? d : "tests/fixtures";
}

static void fixture_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", fixtures_dir(), name);

	assert_true(n > 0 && (size_t)n < len);
}

/* returns: new */
static json_t *load_fixture(const char *name)
{
	char path[1024];
	json_error_t jerr;
	json_t *j;

	fixture_path(name, path, sizeof(path));
	j = json_load_file(path, 0, &jerr);
	if (j == NULL)
		fail_msg("fixture %s: %s (line %d)", path, jerr.text, jerr.line);
	return j;
}

/* reads a fixture's bytes into buf (NUL-terminated); returns the length */
static size_t read_fixture(const char *name, char *buf, size_t len)
{
	char path[1024];
	size_t n;
	FILE *f;

	fixture_path(name, path, sizeof(path));
	f = fopen(path, "re");
	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	assert_true(feof(f)); /* the whole file fitted */
	fclose(f);
	buf[n] = '\0';
	return n;
}

/* --- discovery --------------------------------------------------------- */

/* The fake environment: name/value pairs, NULL-terminated. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	for (size_t i = 0; fake_env != NULL && fake_env[i] != NULL; i += 2)
		if (strcmp(fake_env[i], name) == 0)
			return fake_env[i + 1];
	return NULL;
}

static char config_dir[1024], missing_config_dir[1024];

static int discover(const char *flag, const char *const *env, char *url, size_t len, nc_engine_source_t *src,
		    nc_error_t *err)
{
	fake_env = env;
	return nc_engine_discover(flag, fake_getenv, url, len, src, err);
}

/* as discover(), with a --context NAME */
static int discover_ctx(const char *flag, const char *context, const char *const *env, char *url, size_t len,
			nc_engine_source_t *src, nc_error_t *err)
{
	fake_env = env;
	*src = (nc_engine_source_t)-1;
	url[0] = '\0';
	return nc_engine_discover_context(flag, context, fake_getenv, url, len, src, err);
}

static void test_discover_precedence(void **state)
{
	char url[NC_ENGINE_URL_MAX];
	nc_engine_source_t src;
	nc_error_t err = { "" };
	(void)state;

	fixture_path("docker-config", config_dir, sizeof(config_dir));

	/* the flag beats everything */
	const char *const all[] = { "DOCKER_HOST", "tcp://10.0.0.1:2375", "DOCKER_CONTEXT", "env-test",
				    "DOCKER_CONFIG", config_dir, NULL };
	assert_int_equal(discover("unix:///run/flag.sock", all, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_FLAG);
	assert_string_equal(url, "unix:///run/flag.sock");
	assert_string_equal(nc_engine_source_name(src), "--engine");

	/* then DOCKER_HOST (an empty flag is no flag) */
	assert_int_equal(discover("", all, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_ENV);
	assert_string_equal(url, "tcp://10.0.0.1:2375");
	assert_string_equal(nc_engine_source_name(src), "DOCKER_HOST");

	/* then DOCKER_CONTEXT (an empty DOCKER_HOST is no DOCKER_HOST), over config's currentContext */
	const char *const ctx_env[] = { "DOCKER_HOST", "", "DOCKER_CONTEXT", "env-test", "DOCKER_CONFIG", config_dir,
					NULL };
	assert_int_equal(discover(NULL, ctx_env, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_CONTEXT);
	assert_string_equal(url, "tcp://127.0.0.1:2377");
	assert_string_equal(nc_engine_source_name(src), "docker context");

	/* then config.json's currentContext */
	const char *const cfg_env[] = { "DOCKER_CONFIG", config_dir, "HOME", "/nonexistent", NULL };
	assert_int_equal(discover(NULL, cfg_env, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_CONTEXT);
	assert_string_equal(url, "tcp://127.0.0.1:2376");

	/* DOCKER_CONTEXT=default overrides config's currentContext: the default socket */
	const char *const dflt_ctx[] = { "DOCKER_CONTEXT", "default", "DOCKER_CONFIG", config_dir, NULL };
	assert_int_equal(discover(NULL, dflt_ctx, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_DEFAULT);
	assert_string_equal(url, "unix:///var/run/docker.sock");
	assert_string_equal(nc_engine_source_name(src), "default socket");

	/* nothing set at all, a config dir without config.json, a HOME without .docker: the default socket */
	const char *const none[] = { NULL };
	assert_int_equal(discover(NULL, none, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_DEFAULT);
	assert_string_equal(url, "unix:///var/run/docker.sock");
	const char *const empty_cfg[] = { "DOCKER_CONFIG", "/nonexistent/netcheck-test", NULL };
	assert_int_equal(discover(NULL, empty_cfg, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_DEFAULT);
	const char *const home[] = { "HOME", fixtures_dir(), NULL };
	assert_int_equal(discover(NULL, home, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_DEFAULT);
	assert_string_equal(url, "unix:///var/run/docker.sock");
}

static void test_discover_missing_context(void **state)
{
	char url[NC_ENGINE_URL_MAX];
	nc_engine_source_t src;
	nc_error_t err = { "" };
	(void)state;

	fixture_path("docker-config", config_dir, sizeof(config_dir));
	fixture_path("docker-config-missing-context", missing_config_dir, sizeof(missing_config_dir));

	/* named by config.json */
	const char *const cfg[] = { "DOCKER_CONFIG", missing_config_dir, NULL };
	assert_int_equal(discover(NULL, cfg, url, sizeof(url), &src, &err), -EINVAL);
	assert_non_null(strstr(err.text, "'gone-away'"));
	assert_non_null(strstr(err.text, "meta.json"));

	/* named by DOCKER_CONTEXT */
	memset(&err, 0, sizeof(err));
	const char *const env[] = { "DOCKER_CONTEXT", "no-such-context", "DOCKER_CONFIG", config_dir, NULL };
	assert_int_equal(discover(NULL, env, url, sizeof(url), &src, &err), -EINVAL);
	assert_non_null(strstr(err.text, "'no-such-context'"));

	/* a URL that does not fit the caller's buffer */
	char small[8];
	const char *const host[] = { "DOCKER_HOST", "tcp://127.0.0.1:2375", NULL };
	assert_int_equal(discover(NULL, host, small, sizeof(small), &src, &err), -ENAMETOOLONG);
}

/* --- nc_engine_new ----------------------------------------------------- */

static void test_engine_new(void **state)
{
	static const char *const good[] = { "unix:///p", "unix:///var/run/docker.sock", "tcp://h:2375",
					    "tcp://127.0.0.1:2376", "http://h:2375", "https://h:2376/" };
	static const char *const bad[] = { "ftp://x", "unix://relative", "tcp://", "https://", "http:///x",
					   "docker.sock", "" };
	nc_engine_options_t opt = { .timeout_ms = 1000 };
	nc_engine_t *e;
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(good); i++) {
		nc_error_t err = { "" };

		e = NULL;
		assert_int_equal(nc_engine_new(good[i], &opt, &e, &err), 0);
		assert_non_null(e);
		assert_string_equal(nc_engine_url(e), good[i]);
		nc_engine_free(e);
	}
	/* NULL options mean the defaults */
	assert_int_equal(nc_engine_new("tcp://h:1", NULL, &e, NULL), 0);
	nc_engine_free(e);
	nc_engine_free(NULL);

	for (size_t i = 0; i < NC_ARRAY_SIZE(bad); i++) {
		nc_error_t err = { "" };

		e = NULL;
		assert_int_equal(nc_engine_new(bad[i], &opt, &e, &err), -EINVAL);
		assert_null(e);
		assert_true(strlen(err.text) > 0);
		if (*bad[i])
			assert_non_null(strstr(err.text, bad[i]));
	}
	{
		nc_error_t err = { "" };
		assert_int_equal(nc_engine_new("ftp://x", &opt, &e, &err), -EINVAL);
		assert_non_null(strstr(err.text, "scheme"));
		assert_int_equal(nc_engine_new("unix://relative", &opt, &e, &err), -EINVAL);
		assert_non_null(strstr(err.text, "absolute path"));
		assert_int_equal(nc_engine_new("tcp://", &opt, &e, &err), -EINVAL);
		assert_non_null(strstr(err.text, "no host"));
	}
	{
		/* too long for NC_ENGINE_URL_MAX */
		char long_url[NC_ENGINE_URL_MAX + 16];
		nc_error_t err = { "" };

		memset(long_url, 'a', sizeof(long_url) - 1);
		memcpy(long_url, "tcp://", 6);
		long_url[sizeof(long_url) - 1] = '\0';
		assert_int_equal(nc_engine_new(long_url, &opt, &e, &err), -EINVAL);
		assert_non_null(strstr(err.text, "too long"));
	}
}

/* --- parsers ----------------------------------------------------------- */

static void test_parse_version(void **state)
{
	nc_engine_version_t v;
	nc_error_t err = { "" };
	json_t *j;
	(void)state;

	j = load_fixture("docker-20.10-version.json");
	assert_int_equal(nc_engine_parse_version(j, &v, &err), 0);
	assert_string_equal(v.version, "20.10.24+dfsg1");
	assert_string_equal(v.api_version, "1.41");
	assert_string_equal(v.min_api_version, "1.12");
	assert_string_equal(v.os, "linux");
	assert_string_equal(v.arch, "amd64");
	assert_string_equal(v.platform_name, "");
	assert_false(v.podman);
	json_decref(j);

	j = load_fixture("desktop-mac-version.json");
	assert_int_equal(nc_engine_parse_version(j, &v, &err), 0);
	assert_string_equal(v.api_version, "1.43");
	assert_string_equal(v.version, "24.0.6");
	assert_string_equal(v.platform_name, "Docker Desktop 4.25.0 (126437)");
	assert_string_equal(v.kernel, "6.4.16-linuxkit");
	assert_string_equal(v.os, "linux");
	assert_string_equal(v.arch, "arm64");
	assert_false(v.podman);
	json_decref(j);

	j = load_fixture("desktop-windows-version.json");
	assert_int_equal(nc_engine_parse_version(j, &v, &err), 0);
	assert_string_equal(v.api_version, "1.43");
	assert_string_equal(v.platform_name, "Docker Desktop 4.25.0 (126437)");
	assert_string_equal(v.kernel, "5.15.133.1-microsoft-standard-WSL2");
	assert_string_equal(v.os, "linux");
	assert_false(v.podman);
	json_decref(j);

	j = load_fixture("podman-4.3-version.json");
	assert_int_equal(nc_engine_parse_version(j, &v, &err), 0);
	assert_string_equal(v.api_version, "1.41");
	assert_string_equal(v.version, "4.3.1");
	assert_true(v.podman);
	json_decref(j);
}

static void test_parse_info(void **state)
{
	nc_engine_info_t info;
	nc_error_t err = { "" };
	json_t *j;
	(void)state;

	j = load_fixture("docker-20.10-info.json");
	assert_int_equal(nc_engine_parse_info(j, &info, &err), 0);
	assert_string_equal(info.operating_system, "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(info.name, "vm");
	assert_false(info.rootless);
	assert_string_equal(info.default_bridge, "");
	json_decref(j);

	j = load_fixture("desktop-mac-info.json");
	assert_int_equal(nc_engine_parse_info(j, &info, &err), 0);
	assert_string_equal(info.operating_system, "Docker Desktop");
	assert_string_equal(info.kernel, "6.4.16-linuxkit");
	assert_string_equal(info.name, "docker-desktop");
	assert_false(info.rootless);
	json_decref(j);

	j = load_fixture("desktop-windows-info.json");
	assert_int_equal(nc_engine_parse_info(j, &info, &err), 0);
	assert_string_equal(info.operating_system, "Docker Desktop");
	assert_string_equal(info.kernel, "5.15.133.1-microsoft-standard-WSL2");
	assert_false(info.rootless);
	json_decref(j);

	j = load_fixture("rootless-docker-info.json");
	assert_int_equal(nc_engine_parse_info(j, &info, &err), 0);
	assert_true(info.rootless);
	assert_string_equal(info.operating_system, "Debian GNU/Linux 12 (bookworm)");
	json_decref(j);

	/* Podman's compat /info says it in host.security.rootless */
	j = json_pack("{s:{s:{s:b}}}", "host", "security", "rootless", 1);
	assert_non_null(j);
	assert_int_equal(nc_engine_parse_info(j, &info, &err), 0);
	assert_true(info.rootless);
	json_decref(j);

	/* non-strings among SecurityOptions are skipped */
	j = json_pack("{s:[i,n,s]}", "SecurityOptions", 1, "name=seccomp");
	assert_non_null(j);
	assert_int_equal(nc_engine_parse_info(j, &info, &err), 0);
	assert_false(info.rootless);
	json_decref(j);
}

/* The states and network modes the policy decides on, recorded from real
 * containers (tests/fixtures/record-container-states.sh). */
static void test_parse_inspect_states(void **state)
{
	nc_container_info_t c;
	nc_error_t err = { "" };
	json_t *j;
	(void)state;

	j = load_fixture("inspect-state-paused.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_true(c.running); /* Docker keeps Running true while paused */
	assert_true(c.paused);
	assert_false(c.restarting);
	assert_string_equal(c.status, "paused");
	assert_string_equal(c.network_mode, "default");
	assert_true(strncmp(c.started_at, "2026-12-06T14:05:", 17) == 0);
	json_decref(j);

	j = load_fixture("inspect-state-restarting.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_true(c.restarting);
	assert_false(c.paused);
	assert_int_equal(c.restart_count, 5);
	assert_int_equal(c.exit_code, 2);
	assert_int_equal(c.pid, 0);
	assert_false(c.oom_killed);
	json_decref(j);

	j = load_fixture("inspect-state-host.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_string_equal(c.network_mode, "host");
	assert_false(nc_endpoint_is_set(&c.ip)); /* no address of its own */
	assert_int_equal(c.n_ports, 0);
	json_decref(j);

	j = load_fixture("inspect-state-none.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_string_equal(c.network_mode, "none");
	assert_false(nc_endpoint_is_set(&c.ip));
	json_decref(j);

	j = load_fixture("inspect-state-internal.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_true(strncmp(c.network_mode, "ncfix-", 6) == 0);
	assert_int_equal(c.n_ports, 0); /* -p 80 was given: Docker dropped it on an internal network */
	json_decref(j);

	j = load_fixture("inspect-state-loopback.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_int_equal(c.n_ports, 1);
	assert_string_equal(c.ports[0].host_ip, "127.0.0.1");
	json_decref(j);

	j = load_fixture("inspect-state-address.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_int_equal(c.n_ports, 1);
	assert_string_equal(c.ports[0].host_ip, "192.0.2.2");
	json_decref(j);

	j = load_fixture("inspect-state-udp.json");
	assert_int_equal(nc_engine_parse_inspect(j, 0, &c, &err), 0);
	assert_int_equal(c.n_ports, 2);
	assert_int_equal(c.ports[0].proto, NC_ENGINE_UDP);
	assert_int_equal(c.ports[0].container_port, 53);
	json_decref(j);
}

static void test_parse_inspect(void **state)
{
	nc_container_info_t c;
	nc_endpoint_t want;
	nc_error_t err = { "" };
	json_t *j;
	(void)state;

	j = load_fixture("docker-20.10-inspect.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_string_equal(c.id, "3556fbea447a17261d9a174c11644cf9eeeb1267712837fb7d71a1fe1a026c76");
	assert_string_equal(c.hostname, "3556fbea447a");
	assert_string_equal(c.image, "netcheck-responder:0.1.0");
	assert_true(c.running);
	assert_int_equal(c.pid, 13589);
	assert_string_equal(c.network, "bridge");
	assert_int_equal(nc_endpoint_parse("172.17.0.2", 80, &want), 0);
	assert_true(nc_endpoint_equal(&c.ip, &want));
	assert_int_equal(nc_endpoint_parse("172.17.0.1", 0, &want), 0);
	assert_true(nc_endpoint_equal(&c.gateway, &want));
	assert_int_equal(c.published_port, 32770);
	assert_string_equal(c.published_ip, "0.0.0.0");
	assert_true(c.published_port6 != 0); /* dockerd 20.10 binds :: as well */

	/* another container port: the IP carries it, nothing is published for it */
	assert_int_equal(nc_engine_parse_inspect(j, 8080, &c, &err), 0);
	assert_int_equal(c.ip.port, 8080);
	assert_int_equal(c.published_port, 0);
	assert_false(c.published_port6 != 0);
	json_decref(j);

	j = load_fixture("inspect-no-ip.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_false(nc_endpoint_is_set(&c.ip));
	assert_string_equal(c.network, "");
	assert_false(c.running);
	assert_int_equal(c.pid, 0);
	assert_int_equal(c.published_port, 0);
	assert_false(c.published_port6 != 0);
	json_decref(j);

	j = load_fixture("inspect-split-ports.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_int_equal(c.published_port, 32864);
	assert_int_equal(c.published_port6, 32863);
	assert_true(c.published_port6 != 0);
	json_decref(j);

	j = load_fixture("inspect-dual-stack.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_int_equal(c.published_port, 49153);
	assert_string_equal(c.published_ip, "0.0.0.0"); /* the IPv4 binding, listed second */
	assert_true(c.published_port6 != 0);
	assert_int_equal(c.published_port6, 49153);
	assert_int_equal(nc_engine_parse_inspect(j, 443, &c, &err), 0);
	assert_int_equal(c.published_port, 40443);
	assert_false(c.published_port6 != 0);
	json_decref(j);

	memset(&err, 0, sizeof(err));
	j = load_fixture("inspect-bad-hostport.json");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), NC_EPROTO);
	assert_non_null(strstr(err.text, "99999"));
	json_decref(j);
}

static void test_parse_malformed(void **state)
{
	char path[1024];
	nc_engine_version_t v;
	nc_engine_info_t info;
	nc_container_info_t c;
	nc_error_t err = { "" };
	json_error_t jerr;
	json_t *j;
	(void)state;

	/* the truncated fixture is not JSON at all */
	fixture_path("malformed.json", path, sizeof(path));
	assert_null(json_load_file(path, 0, &jerr));

	/* not objects */
	assert_int_equal(nc_engine_parse_version(NULL, &v, &err), NC_EPROTO);
	assert_int_equal(nc_engine_parse_info(NULL, &info, &err), NC_EPROTO);
	assert_int_equal(nc_engine_parse_inspect(NULL, 80, &c, &err), NC_EPROTO);
	j = load_fixture("docker-20.10-containers-list.json"); /* an array */
	assert_true(json_is_array(j));
	assert_int_equal(nc_engine_parse_version(j, &v, &err), NC_EPROTO);
	assert_int_equal(nc_engine_parse_info(j, &info, &err), NC_EPROTO);
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), NC_EPROTO);
	json_decref(j);

	/* /version without ApiVersion, or with the wrong type */
	j = json_pack("{s:s}", "Version", "1.0");
	assert_int_equal(nc_engine_parse_version(j, &v, &err), NC_EPROTO);
	assert_non_null(strstr(err.text, "ApiVersion"));
	json_decref(j);
	j = json_pack("{s:i, s:s}", "ApiVersion", 141, "Components", "not-an-array");
	assert_int_equal(nc_engine_parse_version(j, &v, &err), NC_EPROTO);
	json_decref(j);

	/* inspect without Id; with a malformed IP; with a non-numeric or zero HostPort */
	j = json_pack("{s:{}}", "State");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), NC_EPROTO);
	assert_non_null(strstr(err.text, "Id"));
	json_decref(j);
	j = json_pack("{s:s, s:{s:{s:{s:s}}}}", "Id", "abc", "NetworkSettings", "Networks", "bridge", "IPAddress",
		      "172.17.0.300");
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), NC_EPROTO);
	assert_non_null(strstr(err.text, "172.17.0.300"));
	json_decref(j);
	static const char *const bad_ports[] = { "80x", "0", "-1", "", "65536" };
	for (size_t i = 0; i < NC_ARRAY_SIZE(bad_ports); i++) {
		j = json_pack("{s:s, s:{s:{s:[{s:s, s:s}]}}}", "Id", "abc", "NetworkSettings", "Ports", "80/tcp",
			      "HostIp", "0.0.0.0", "HostPort", bad_ports[i]);
		assert_non_null(j);
		assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), NC_EPROTO);
		json_decref(j);
	}
	/* a Pid out of range is not believed */
	j = json_pack("{s:s, s:{s:I}}", "Id", "abc", "State", "Pid", (json_int_t)1 << 40);
	assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
	assert_int_equal(c.pid, 0);
	json_decref(j);
}

static void test_api_number(void **state)
{
	static const struct {
		const char *v;
		int want;
	} cases[] = {
		{ "1.41", 141 }, { "1.24", 124 }, { "1.43", 143 }, { "1.12", 112 }, { "0.0", 0 }, { "2.0", 200 },
		{ "99.99", 9999 }, { "01.41", 141 },
		{ "100.1", -EINVAL }, { "1.100", -EINVAL }, { "1", -EINVAL }, { "1.", -EINVAL }, { ".41", -EINVAL },
		{ "1.41.0", -EINVAL }, { "v1.41", -EINVAL }, { " 1.41", -EINVAL }, { "1.41 ", -EINVAL },
		{ "", -EINVAL }, { "-1.41", -EINVAL }, { "1.-4", -EINVAL }, { "1.+4", -EINVAL }, { "1.4x", -EINVAL },
		{ "1,41", -EINVAL }, { "99999999999999999999.1", -EINVAL }, { "1.99999999999999999999", -EINVAL },
	};
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(cases); i++) {
		int got = nc_engine_api_number(cases[i].v);
		if (got != cases[i].want)
			fail_msg("nc_engine_api_number(\"%s\") = %d, want %d", cases[i].v, got, cases[i].want);
	}
	assert_int_equal(nc_engine_api_number(NULL), -EINVAL);
	assert_true(nc_engine_api_number(NC_ENGINE_MIN_API) < nc_engine_api_number(NC_ENGINE_MAX_API));
}

/* --- the fake engine ----------------------------------------------------- */

enum answer_mode {
	ANSWER_SEND,   /* send the bytes, close */
	ANSWER_SILENT, /* read the request, never answer; close once the client gives up */
	ANSWER_HUGE,   /* a 200 whose body is bigger than NC_ENGINE_MAX_RESPONSE */
};

typedef struct canned {
	enum answer_mode mode;
	const char *bytes; /* borrowed; for ANSWER_SEND */
	size_t len;
	const char *when;  /* the answer to the first request line containing this; NULL: in turn */
} canned_t;

#define FAKE_MAX_ANSWERS 8
#define FAKE_WAIT_MS 5000 /* every wait of the server is bounded */

typedef struct fake_engine {
	char dir[64];
	char path[96]; /* fits sun_path */
	int listen_fd;
	int stop_pipe[2];
	pthread_t thread;
	bool running;
	canned_t answers[FAKE_MAX_ANSWERS];
	size_t n_answers;
	char requests[FAKE_MAX_ANSWERS][512]; /* request lines received */
	char heads[FAKE_MAX_ANSWERS][2048];   /* whole request heads (headers), truncated */
	size_t served;
	bool used[FAKE_MAX_ANSWERS]; /* answers given, when chosen by request */
} fake_engine_t;

static fake_engine_t fake = { .listen_fd = -1, .stop_pipe = { -1, -1 } };

/* Waits for fd to be readable; false on stop, timeout or error. */
static bool wait_readable(const fake_engine_t *f, int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = f->stop_pipe[0], .events = POLLIN } };
	int n;

	do
		n = poll(p, 2, FAKE_WAIT_MS);
	while (n < 0 && errno == EINTR);
	return n > 0 && p[1].revents == 0 && p[0].revents != 0;
}

static bool send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* The answer to request line req: the first unused one whose when it
 * contains, else answer i (calls sent at once arrive in any order). */
static const canned_t *pick_answer(fake_engine_t *f, size_t i, const char *req)
{
	for (size_t k = 0; k < f->n_answers; k++)
		if (f->answers[k].when != NULL && !f->used[k] && strstr(req, f->answers[k].when) != NULL) {
			f->used[k] = true;
			return &f->answers[k];
		}
	return &f->answers[i];
}

/* The server thread: no cmocka calls and no allocation here. */
static void *fake_serve(void *arg)
{
	fake_engine_t *f = arg;
	static char chunk[64 * 1024];

	for (size_t i = 0; i < f->n_answers; i++) {
		const canned_t *a;
		char req[4096];
		size_t len = 0;
		int fd;

		if (!wait_readable(f, f->listen_fd))
			break;
		fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			break;
		{
			struct timeval tv = { .tv_sec = FAKE_WAIT_MS / 1000 };
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		}
		/* the request head, bounded */
		while (len < sizeof(req) - 1 && wait_readable(f, fd)) {
			ssize_t n = recv(fd, req + len, sizeof(req) - 1 - len, 0);
			if (n <= 0)
				break;
			len += (size_t)n;
			req[len] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		req[len] = '\0';
		snprintf(f->requests[i], sizeof(f->requests[i]), "%.*s", (int)strcspn(req, "\r\n"), req);
		snprintf(f->heads[i], sizeof(f->heads[i]), "%.2047s", req);
		a = pick_answer(f, i, f->requests[i]);
		switch (a->mode) {
		case ANSWER_SEND:
			(void)send_all(fd, a->bytes, a->len);
			break;
		case ANSWER_SILENT:
			/* until the client closes (its timeout) or the bound */
			while (wait_readable(f, fd) && recv(fd, req, sizeof(req), 0) > 0)
				;
			break;
		case ANSWER_HUGE: {
			char head[256];
			size_t total = NC_ENGINE_MAX_RESPONSE + sizeof(chunk), sent = 0;
			int n = snprintf(head, sizeof(head),
					 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
					 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
					 total);

			memset(chunk, ' ', sizeof(chunk));
			if (!send_all(fd, head, (size_t)n))
				break;
			while (sent < total && send_all(fd, chunk, sizeof(chunk)))
				sent += sizeof(chunk);
			break;
		}
		}
		close(fd);
		f->served = i + 1;
	}
	return NULL;
}

static void fake_start(const canned_t *answers, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	assert_false(fake.running);
	assert_true(n <= FAKE_MAX_ANSWERS);
	memset(fake.requests, 0, sizeof(fake.requests));
	memset(fake.heads, 0, sizeof(fake.heads));
	memset(fake.used, 0, sizeof(fake.used));
	memcpy(fake.answers, answers, n * sizeof(*answers));
	fake.n_answers = n;
	fake.served = 0;
	snprintf(fake.dir, sizeof(fake.dir), "/tmp/netcheck-test-engine-XXXXXX");
	assert_non_null(mkdtemp(fake.dir));
	snprintf(fake.path, sizeof(fake.path), "%s/docker.sock", fake.dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fake.path);
	fake.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fake.listen_fd >= 0);
	assert_int_equal(bind(fake.listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fake.listen_fd, 4), 0);
	assert_int_equal(pipe2(fake.stop_pipe, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&fake.thread, NULL, fake_serve, &fake), 0);
	fake.running = true;
}

/* Stops the server (it may still be waiting), joins it, removes its files. */
static void fake_stop(void)
{
	if (fake.running) {
		(void)!write(fake.stop_pipe[1], "x", 1);
		pthread_join(fake.thread, NULL);
		fake.running = false;
	}
	for (int i = 0; i < 2; i++)
		if (fake.stop_pipe[i] >= 0) {
			close(fake.stop_pipe[i]);
			fake.stop_pipe[i] = -1;
		}
	if (fake.listen_fd >= 0) {
		close(fake.listen_fd);
		fake.listen_fd = -1;
	}
	if (fake.path[0] != '\0') {
		unlink(fake.path);
		fake.path[0] = '\0';
	}
	if (fake.dir[0] != '\0') {
		rmdir(fake.dir);
		fake.dir[0] = '\0';
	}
}

/* Waits for the server to finish its list (it exits by itself), then cleans up. */
static void fake_finish(size_t want_served)
{
	assert_true(fake.running);
	assert_int_equal(pthread_join(fake.thread, NULL), 0);
	fake.running = false;
	assert_int_equal(fake.served, want_served);
	fake_stop();
}

static int teardown_fake(void **state)
{
	(void)state;
	fake_stop(); /* after a failed assertion: the thread may still wait */
	return 0;
}

static nc_engine_t *fake_engine_new(long timeout_ms)
{
	char url[256];
	nc_engine_options_t opt = { .timeout_ms = timeout_ms, .connect_timeout_ms = 1000 };
	nc_error_t err = { "" };
	nc_engine_t *e = NULL;

	snprintf(url, sizeof(url), "unix://%s", fake.path);
	assert_int_equal(nc_engine_new(url, &opt, &e, &err), 0);
	return e;
}

static char response_pool[FAKE_MAX_ANSWERS][16384];

/* An HTTP answer with body into response_pool[slot]. */
static canned_t http_answer(size_t slot, const char *status, const char *body)
{
	int n = snprintf(response_pool[slot], sizeof(response_pool[slot]),
			 "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s",
			 status, strlen(body), body);

	assert_true(n > 0 && (size_t)n < sizeof(response_pool[slot]));
	return (canned_t){ .mode = ANSWER_SEND, .bytes = response_pool[slot], .len = (size_t)n };
}

static canned_t fixture_answer(size_t slot, const char *name)
{
	static char body[12288];

	read_fixture(name, body, sizeof(body));
	return http_answer(slot, "200 OK", body);
}

static void test_fake_http_errors(void **state)
{
	canned_t answers[] = {
		http_answer(0, "500 Internal Server Error", "{\"message\":\"boom\"}\n"),
		http_answer(1, "404 Not Found", "{\"message\":\"No such container: nope\"}\n"),
		http_answer(2, "409 Conflict", "{\"message\":\"removal already in progress\"}\n"),
		http_answer(3, "503 Service Unavailable", "not json at all"),
	};
	nc_error_t err = { "" };
	json_t *j = (json_t *)1;
	nc_engine_t *e;
	(void)state;

	fake_start(answers, NC_ARRAY_SIZE(answers));
	e = fake_engine_new(2000);
	assert_int_equal(nc_engine_call(e, "GET", "/boom", NULL, NULL, 0, 0, &j, &err), NC_EENGINE);
	assert_null(j);
	assert_non_null(strstr(err.text, "boom"));
	assert_non_null(strstr(err.text, "500"));

	memset(&err, 0, sizeof(err));
	assert_int_equal(nc_engine_call(e, "GET", "/containers/nope/json", NULL, NULL, 0, 0, &j, &err), NC_EGONE);
	assert_non_null(strstr(err.text, "No such container"));

	/* container_remove treats 409 "in progress" as done */
	assert_int_equal(nc_engine_container_remove(e, "abc", true, true, &err), 0);

	memset(&err, 0, sizeof(err));
	assert_int_equal(nc_engine_call(e, "GET", "/x", NULL, NULL, 0, 0, &j, &err), NC_EENGINE);
	assert_non_null(strstr(err.text, "not json at all")); /* no "message": the body itself */
	nc_engine_free(e);

	fake_finish(NC_ARRAY_SIZE(answers));
	assert_string_equal(fake.requests[0], "GET /boom HTTP/1.1");
	assert_string_equal(fake.requests[1], "GET /containers/nope/json HTTP/1.1");
	assert_string_equal(fake.requests[2], "DELETE /containers/abc?force=1&v=1 HTTP/1.1");
}

static void test_fake_truncated(void **state)
{
	static char truncated[4096];
	canned_t answers[2];
	nc_error_t err = { "" };
	json_t *j = NULL;
	nc_engine_t *e;
	int n;
	(void)state;

	/* (1) a complete HTTP answer whose JSON body is cut off */
	answers[0] = fixture_answer(0, "malformed.json");
	/* (2) the connection closes before the announced Content-Length */
	n = snprintf(truncated, sizeof(truncated),
		     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
		     "{\"ApiVersion\":\"1.4");
	answers[1] = (canned_t){ .mode = ANSWER_SEND, .bytes = truncated, .len = (size_t)n };

	fake_start(answers, NC_ARRAY_SIZE(answers));
	e = fake_engine_new(2000);
	assert_int_equal(nc_engine_call(e, "GET", "/version", NULL, NULL, 0, 0, &j, &err), NC_EPROTO);
	assert_null(j);
	assert_non_null(strstr(err.text, "malformed JSON"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(nc_engine_call(e, "GET", "/version", NULL, NULL, 0, 0, &j, &err), NC_EPROTO);
	assert_null(j);
	assert_true(strlen(err.text) > 0);
	nc_engine_free(e);
	fake_finish(NC_ARRAY_SIZE(answers));
}

/* A clone talks to the same engine at the version negotiated by the
 * original, without asking /version again, and lives on after it. */
static void test_fake_clone(void **state)
{
	canned_t answers[] = {
		fixture_answer(0, "docker-20.10-version.json"),
		http_answer(1, "204 No Content", ""),
	};
	nc_engine_version_t v;
	nc_error_t err = { "" };
	nc_engine_t *e, *c = NULL;
	(void)state;

	fake_start(answers, NC_ARRAY_SIZE(answers));
	e = fake_engine_new(2000);
	assert_int_equal(nc_engine_negotiate(e, &v, &err), 0);
	assert_int_equal(nc_engine_clone(e, &c, &err), 0);
	assert_non_null(c);
	assert_ptr_not_equal(c, e);
	assert_string_equal(nc_engine_url(c), nc_engine_url(e));
	assert_int_equal(nc_engine_container_remove(c, "abc", true, false, &err), 0);
	nc_engine_free(c);
	nc_engine_free(e);
	fake_finish(NC_ARRAY_SIZE(answers));
	assert_string_equal(fake.requests[0], "GET /version HTTP/1.1");
	assert_string_equal(fake.requests[1], "DELETE /v1.41/containers/abc?force=1&v=0 HTTP/1.1");
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_fake_timeout(void **state)
{
	canned_t answers[] = { { .mode = ANSWER_SILENT } };
	nc_error_t err = { "" };
	json_t *j = NULL;
	nc_engine_t *e;
	double t0, took;
	(void)state;

	fake_start(answers, 1);
	e = fake_engine_new(10000);
	t0 = now_ms();
	/* the per-call timeout beats the engine's default */
	assert_int_equal(nc_engine_call(e, "GET", "/version", NULL, NULL, 0, 300, &j, &err), -ETIMEDOUT);
	took = now_ms() - t0;
	assert_null(j);
	assert_true(took >= 250);
	assert_true(took < 2000);
	assert_non_null(strstr(err.text, "did not answer in time"));
	nc_engine_free(e); /* closes the connection: the server sees EOF */
	fake_finish(1);
}

static void test_fake_too_big(void **state)
{
	canned_t answers[] = { { .mode = ANSWER_HUGE } };
	nc_error_t err = { "" };
	json_t *j = NULL;
	nc_engine_t *e;
	(void)state;

	fake_start(answers, 1);
	e = fake_engine_new(10000);
	assert_int_equal(nc_engine_call(e, "GET", "/containers/json", NULL, NULL, 0, 0, &j, &err), NC_ETOOBIG);
	assert_null(j);
	assert_non_null(strstr(err.text, "more than"));
	nc_engine_free(e);
	fake_finish(1);
}

static void test_fake_no_socket(void **state)
{
	char dir[] = "/tmp/netcheck-test-engine-XXXXXX", url[128];
	nc_engine_options_t opt = { .timeout_ms = 1000, .connect_timeout_ms = 1000 };
	nc_error_t err = { "" };
	json_t *j = NULL;
	nc_engine_t *e = NULL;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "unix://%s/docker.sock", dir);
	assert_int_equal(nc_engine_new(url, &opt, &e, &err), 0);
	assert_int_equal(nc_engine_call(e, "GET", "/version", NULL, NULL, 0, 0, &j, &err), -ENOENT);
	assert_null(j);
	assert_non_null(strstr(err.text, "dockerd"));
	assert_non_null(strstr(err.text, dir));
	nc_engine_free(e);
	assert_int_equal(rmdir(dir), 0);
}

/* negotiate, then versioned calls through the parsers, over the recorded answers */
static void test_fake_negotiate(void **state)
{
	canned_t answers[] = {
		fixture_answer(0, "docker-20.10-version.json"),
		fixture_answer(1, "docker-20.10-info.json"),
		fixture_answer(2, "docker-20.10-inspect.json"),
		fixture_answer(3, "docker-20.10-containers-list.json"),
		http_answer(4, "200 OK", "{\"ApiVersion\":\"1.44\"}"),
		http_answer(5, "200 OK", "{}"),
		http_answer(6, "200 OK", "{\"ApiVersion\":\"1.20\"}"),
	};
	nc_engine_version_t v;
	nc_engine_info_t info;
	nc_container_info_t c;
	nc_error_t err = { "" };
	nc_container_summary_t list[4];
	size_t n_list = 0;
	nc_engine_t *e;
	(void)state;

	fake_start(answers, NC_ARRAY_SIZE(answers));
	e = fake_engine_new(2000);
	assert_int_equal(nc_engine_negotiate(e, &v, &err), 0);
	assert_string_equal(v.api_version, "1.41");
	assert_int_equal(nc_engine_info(e, &info, &err), 0);
	assert_string_equal(info.operating_system, "Debian GNU/Linux 12 (bookworm)");
	assert_int_equal(nc_engine_container_inspect(e, "3556fbea447a", 80, &c, &err), 0);
	assert_int_equal(c.published_port, 32770);
	assert_int_equal(nc_engine_containers_list(e, "netcheck.run", list, NC_ARRAY_SIZE(list), &n_list, &err), 1);
	assert_int_equal(n_list, 1);
	assert_string_equal(list[0].id, "3556fbea447a17261d9a174c11644cf9eeeb1267712837fb7d71a1fe1a026c76");

	/* a newer engine is spoken to at the highest API netcheck knows */
	assert_int_equal(nc_engine_negotiate(e, &v, &err), 0);
	assert_int_equal(nc_engine_call(e, "GET", "/info", NULL, NULL, 0, 0, NULL, &err), 0);
	/* an older one is refused */
	assert_int_equal(nc_engine_negotiate(e, &v, &err), -ENOTSUP);
	assert_non_null(strstr(err.text, "1.20"));
	nc_engine_free(e);

	fake_finish(NC_ARRAY_SIZE(answers));
	assert_string_equal(fake.requests[0], "GET /version HTTP/1.1");
	assert_string_equal(fake.requests[1], "GET /v1.41/info HTTP/1.1");
	assert_string_equal(fake.requests[2], "GET /v1.41/containers/3556fbea447a/json HTTP/1.1");
	assert_non_null(strstr(fake.requests[3], "GET /v1.41/containers/json?all=1&filters="));
	assert_non_null(strstr(fake.requests[3], "netcheck.run"));
	assert_string_equal(fake.requests[4], "GET /version HTTP/1.1");
	assert_string_equal(fake.requests[5], "GET /v" NC_ENGINE_MAX_API "/info HTTP/1.1");
}

/* --- engine URL rules and an explicit context ----------------------------- */

static void test_discover_url_rules(void **state)
{
	char url[NC_ENGINE_URL_MAX];
	nc_engine_source_t src;
	nc_error_t err = { "" };
	(void)state;

	/* tcp:// without a port: docker's 2375, or 2376 when TLS is asked for */
	const char *const plain[] = { "DOCKER_HOST", "tcp://10.0.0.1", NULL };
	assert_int_equal(discover(NULL, plain, url, sizeof(url), &src, &err), 0);
	assert_string_equal(url, "tcp://10.0.0.1:2375");
	const char *const verify[] = { "DOCKER_HOST", "tcp://10.0.0.1/", "DOCKER_TLS_VERIFY", "1", NULL };
	assert_int_equal(discover(NULL, verify, url, sizeof(url), &src, &err), 0);
	assert_string_equal(url, "tcp://10.0.0.1:2376/");
	const char *const certs[] = { "DOCKER_CERT_PATH", "/certs", NULL };
	assert_int_equal(discover("tcp://[fd00::1]", certs, url, sizeof(url), &src, &err), 0);
	assert_string_equal(url, "tcp://[fd00::1]:2376");
	assert_int_equal(discover("tcp://[fd00::1]:9999", certs, url, sizeof(url), &src, &err), 0);
	assert_string_equal(url, "tcp://[fd00::1]:9999");
	assert_int_equal(discover("tcp://h:12", plain, url, sizeof(url), &src, &err), 0);
	assert_string_equal(url, "tcp://h:12");

	/* ssh:// as given (engine-ssh.c reads it, test-engine-ssh.c tests it);
	 * npipe://: refused, saying what to do instead */
	const char *const ssh[] = { "DOCKER_HOST", "ssh://me@build-host", NULL };
	assert_int_equal(discover(NULL, ssh, url, sizeof(url), &src, &err), 0);
	assert_string_equal(url, "ssh://me@build-host");
	memset(&err, 0, sizeof(err));
	assert_int_equal(discover("npipe:////./pipe/docker_engine", NULL, url, sizeof(url), &src, &err), -ENOTSUP);
	assert_non_null(strstr(err.text, "npipe:// engines are not supported"));
	assert_non_null(strstr(err.text, "tcp://127.0.0.1:2375"));
}

static void test_discover_explicit_context(void **state)
{
	char url[NC_ENGINE_URL_MAX];
	nc_engine_source_t src;
	nc_error_t err = { "" };
	(void)state;

	fixture_path("docker-config", config_dir, sizeof(config_dir));
	/* --context beats DOCKER_HOST, DOCKER_CONTEXT and currentContext, as with the docker CLI */
	const char *const all[] = { "DOCKER_HOST", "tcp://10.0.0.1:2375", "DOCKER_CONTEXT", "remote-test",
				    "DOCKER_CONFIG", config_dir, NULL };
	assert_int_equal(discover_ctx(NULL, "env-test", all, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_CONTEXT);
	assert_string_equal(url, "tcp://127.0.0.1:2377");
	/* NULL or "": no context named, the usual order (DOCKER_HOST first) */
	assert_int_equal(discover_ctx(NULL, NULL, all, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_ENV);
	assert_int_equal(discover_ctx(NULL, "", all, url, sizeof(url), &src, &err), 0);
	assert_string_equal(url, "tcp://10.0.0.1:2375");
	/* --context default: DOCKER_HOST's rules */
	assert_int_equal(discover_ctx(NULL, "default", all, url, sizeof(url), &src, &err), 0);
	assert_int_equal(src, NC_ENGINE_FROM_ENV);
	assert_string_equal(url, "tcp://10.0.0.1:2375");
	/* a context whose endpoint is ssh:// (written by the docker CLI): as it is */
	assert_int_equal(discover_ctx(NULL, "ssh-test", all, url, sizeof(url), &src, &err), 0);
	assert_string_equal(url, "ssh://deploy@build-host:2222");
	/* a context that does not exist is an error, not a fallback */
	assert_int_equal(discover_ctx(NULL, "no-such-context", all, url, sizeof(url), &src, &err), -EINVAL);
	assert_non_null(strstr(err.text, "'no-such-context'"));
	/* --engine and --context together */
	memset(&err, 0, sizeof(err));
	assert_int_equal(discover_ctx("unix:///x", "env-test", all, url, sizeof(url), &src, &err), -EINVAL);
	assert_non_null(strstr(err.text, "--context"));
}

static void test_engine_new_default_ports(void **state)
{
	nc_engine_options_t opt = { .timeout_ms = 1000 };
	nc_error_t err = { "" };
	nc_engine_t *e = NULL;
	(void)state;

	assert_int_equal(nc_engine_new("tcp://h", &opt, &e, &err), 0);
	assert_string_equal(nc_engine_base(e), "http://h:2375");
	nc_engine_free(e);
	opt.tls_verify = true;
	assert_int_equal(nc_engine_new("tcp://h", &opt, &e, &err), 0);
	assert_string_equal(nc_engine_base(e), "https://h:2376");
	nc_engine_free(e);
}

/* --- classification ------------------------------------------------------ */

static void test_classify_recorded(void **state)
{
	static const struct {
		const char *name;
		int code;
	} codes[] = {
		{ "NC_EPORTTAKEN", NC_EPORTTAKEN }, { "NC_ENOIMAGE", NC_ENOIMAGE }, { "NC_ECONFLICT", NC_ECONFLICT },
		{ "NC_EGONE", NC_EGONE },           { "NC_EENGINE", NC_EENGINE },
	};
	json_t *cases = load_fixture("docker-20.10-errors.json"), *c;
	size_t i;
	(void)state;

	assert_true(json_array_size(cases) >= 10);
	json_array_foreach(cases, i, c) {
		const char *call = json_string_value(json_object_get(c, "call"));
		const char *want = json_string_value(json_object_get(c, "want"));
		const char *path = strchr(call, ' ') + 1;
		char method[8];
		int want_code = 0, got;

		snprintf(method, sizeof(method), "%.*s", (int)(path - 1 - call), call);
		for (size_t k = 0; k < NC_ARRAY_SIZE(codes); k++)
			if (strcmp(codes[k].name, want) == 0)
				want_code = codes[k].code;
		got = nc_engine_classify((long)json_integer_value(json_object_get(c, "status")), method, path,
					 json_string_value(json_object_get(c, "message")));
		if (got != want_code)
			fail_msg("%s: %s, want %s", call, nc_strerror(got), want);
	}
	json_decref(cases);
	/* the listings are not objects: a 404 there is no object gone */
	assert_int_equal(nc_engine_classify(404, "GET", "/containers/json?all=1", "page not found"), NC_ENOTFOUND);
	assert_int_equal(nc_engine_classify(404, "GET", "/services/abc", NULL), NC_EGONE);
	assert_int_equal(nc_engine_classify(500, "GET", "/x", NULL), NC_EENGINE);
	for (size_t k = 0; k < NC_ARRAY_SIZE(codes); k++)
		assert_string_not_equal(nc_strerror(codes[k].code), "unknown error");
}

/* --- parsers of the typed answers --------------------------------------- */

static void endpoint_is(const nc_endpoint_t *ep, const char *addr)
{
	nc_endpoint_t want;

	assert_int_equal(nc_endpoint_parse(addr, 0, &want), 0);
	assert_true(nc_endpoint_addr_equal(ep, &want));
}

static void test_parse_inspect_networks(void **state)
{
	static char text[16384];
	nc_container_info_t c;
	nc_error_t err = { "" };
	size_t len = read_fixture("docker-20.10-inspect-two-networks.json", text, sizeof(text));
	(void)state;

	assert_int_equal(nc_engine_parse_inspect_text(text, len, 80, &c, &err), 0);
	assert_string_equal(c.status, "running");
	assert_string_equal(c.name, "/netcheck-dev-engine-c3");
	assert_string_equal(c.image, "netcheck-responder:0.1.0");
	assert_false(c.tty);
	assert_int_equal(c.pid, 19939);
	assert_int_equal(c.n_networks, 2);
	assert_string_equal(c.networks[0].name, "bridge");
	assert_string_equal(c.networks[0].network_id,
			    "e38bab8b430e740ec678e9f68c0db30db90965d02e8b1ca1a38609f97d247c25");
	endpoint_is(&c.networks[0].ip, "172.17.0.2");
	assert_int_equal(c.networks[0].ip.port, 80);
	endpoint_is(&c.networks[0].gateway, "172.17.0.1");
	assert_int_equal(c.networks[0].ip6.family, 0); /* GlobalIPv6Address "" */
	assert_string_equal(c.networks[1].name, "netcheck-dev-engine");
	endpoint_is(&c.networks[1].ip, "172.18.0.2");
	endpoint_is(&c.networks[1].gateway, "172.18.0.1");
	/* every binding: 53/udp on 127.0.0.1, 80/tcp on 0.0.0.0 and :: */
	assert_int_equal(c.n_ports, 3);
	assert_int_equal(c.ports[0].container_port, 53);
	assert_int_equal(c.ports[0].proto, NC_ENGINE_UDP);
	assert_string_equal(c.ports[0].host_ip, "127.0.0.1");
	assert_int_equal(c.ports[0].host_port, 32768);
	assert_int_equal(c.ports[1].container_port, 80);
	assert_int_equal(c.ports[1].proto, NC_ENGINE_TCP);
	assert_string_equal(c.ports[1].host_ip, "0.0.0.0");
	assert_int_equal(c.ports[1].host_port, 32771);
	assert_string_equal(c.ports[2].host_ip, "::");
	/* the old summary fields still describe the asked port */
	assert_int_equal(c.published_port, 32771);
	assert_int_equal(c.published_port6, 32771);
	assert_string_equal(c.network, "bridge");
	/* the io.netcheck.* labels */
	assert_string_equal(nc_container_info_label(&c, "io.netcheck.run"), "dev-engine");
	assert_string_equal(nc_container_info_label(&c, "io.netcheck.keep"), "1");
	assert_null(nc_container_info_label(&c, "io.netcheck.pid"));

	/* GlobalIPv6Address, edited in; and a malformed one */
	{
		json_t *j = load_fixture("docker-20.10-inspect-two-networks.json");
		json_t *net = json_object_get(json_object_get(json_object_get(j, "NetworkSettings"), "Networks"),
					      "netcheck-dev-engine");

		json_object_set_new(net, "GlobalIPv6Address", json_string("fd00:1::2"));
		assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), 0);
		endpoint_is(&c.networks[1].ip6, "fd00:1::2");
		json_object_set_new(net, "GlobalIPv6Address", json_string("fd00:::zz"));
		assert_int_equal(nc_engine_parse_inspect(j, 80, &c, &err), NC_EPROTO);
		json_decref(j);
	}
	assert_int_equal(nc_engine_parse_inspect_text("{", 1, 80, &c, &err), NC_EPROTO);
}

static void test_parse_network(void **state)
{
	static char text[8192];
	nc_network_info_t n;
	nc_error_t err = { "" };
	size_t len;
	(void)state;

	len = read_fixture("docker-20.10-network-bridge.json", text, sizeof(text));
	assert_int_equal(nc_engine_parse_network_text(text, len, &n, &err), 0);
	assert_string_equal(n.name, "bridge");
	assert_string_equal(n.driver, "bridge");
	assert_string_equal(n.scope, "local");
	assert_string_equal(n.bridge, "docker0");
	assert_string_equal(n.subnet4, "172.17.0.0/16");
	assert_string_equal(n.gateway4, "172.17.0.1");
	assert_string_equal(n.subnet6, "");
	assert_false(n.ipv6);
	assert_false(n.attachable);
	assert_false(n.internal);

	/* a freshly started dockerd names no gateway: the interface is still named */
	len = read_fixture("docker-20.10-network-bridge-fresh.json", text, sizeof(text));
	assert_int_equal(nc_engine_parse_network_text(text, len, &n, &err), 0);
	assert_string_equal(n.subnet4, "172.17.0.0/16");
	assert_string_equal(n.gateway4, "");
	assert_string_equal(n.bridge, "docker0");

	len = read_fixture("docker-20.10-network-user.json", text, sizeof(text));
	assert_int_equal(nc_engine_parse_network_text(text, len, &n, &err), 0);
	assert_string_equal(n.name, "netcheck-dev-engine");
	assert_string_equal(n.id, "dfde752b94e6fc9a91224006973dd80d1f8122dd18a50a3e27a7046865f4c17e");
	assert_string_equal(n.bridge, "br-dfde752b94e6");
	assert_string_equal(n.subnet4, "172.18.0.0/16");
	assert_true(n.attachable);

	/* not a bridge: no host interface; dual-stack IPAM */
	static const char overlay[] = "{\"Id\":\"ww0hsx3tyu5pigiz6g6w6t1n6\",\"Name\":\"o\",\"Driver\":\"overlay\","
				      "\"Scope\":\"swarm\",\"EnableIPv6\":true,\"IPAM\":{\"Config\":[{\"Subnet\":"
				      "\"fd00:2::/64\",\"Gateway\":\"fd00:2::1\"},{\"Subnet\":\"10.0.1.0/24\"}]}}";
	assert_int_equal(nc_engine_parse_network_text(overlay, strlen(overlay), &n, &err), 0);
	assert_string_equal(n.bridge, "");
	assert_string_equal(n.subnet6, "fd00:2::/64");
	assert_string_equal(n.gateway6, "fd00:2::1");
	assert_string_equal(n.subnet4, "10.0.1.0/24");
	assert_true(n.ipv6);
	assert_int_equal(nc_engine_parse_network_text("[]", 2, &n, &err), NC_EPROTO);
	assert_int_equal(nc_engine_parse_network_text("{}", 2, &n, &err), NC_EPROTO); /* no Id */
}

static void test_parse_containers(void **state)
{
	nc_container_summary_t list[4];
	nc_error_t err = { "" };
	json_t *j = load_fixture("docker-20.10-containers-list-labels.json");
	size_t n;
	(void)state;

	assert_int_equal(nc_engine_parse_containers(j, list, NC_ARRAY_SIZE(list), &n, &err), 3);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].name, "netcheck-dev-engine-c3");
	assert_string_equal(list[0].state, "running");
	assert_string_equal(list[0].run, "dev-engine");
	assert_true(list[0].keep);
	assert_int_equal(list[0].created, 1796108119);
	assert_false(list[1].keep);
	assert_string_equal(list[1].state, "exited");
	assert_string_equal(list[2].pid, "1234");
	assert_string_equal(list[2].scope, "");
	/* bounded: the engine's count comes back, only max are filled */
	assert_int_equal(nc_engine_parse_containers(j, list, 1, &n, &err), 3);
	assert_int_equal(n, 1);
	json_decref(j);
	j = json_object();
	assert_int_equal(nc_engine_parse_containers(j, list, 1, &n, &err), NC_EPROTO);
	json_decref(j);
}

/* GET /containers/json as Docker 20.10 lists a running container: its
 * host bindings and its address, what a connection to its port reaches */
static void test_parse_listed(void **state)
{
	nc_container_listed_t list[2];
	nc_error_t err = { "" };
	json_t *j = load_fixture("docker-20.10-containers-list.json");
	char ip[NC_ENDPOINT_STRLEN];
	size_t n;
	(void)state;

	assert_int_equal(nc_engine_parse_listed(j, list, NC_ARRAY_SIZE(list), &n, &err), 1);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "compassionate_varahamihira");
	assert_int_equal(list[0].n_ports, 2);
	assert_string_equal(list[0].ports[0].host_ip, "0.0.0.0");
	assert_int_equal(list[0].ports[0].host_port, 32770);
	assert_int_equal(list[0].ports[0].container_port, 80);
	assert_int_equal(list[0].ports[0].proto, NC_ENGINE_TCP);
	assert_string_equal(list[0].ports[1].host_ip, "::");
	assert_int_equal(list[0].n_networks, 1);
	assert_string_equal(list[0].networks[0].name, "bridge");
	assert_int_equal(nc_endpoint_format(&list[0].networks[0].ip, false, ip, sizeof(ip)), 0);
	assert_string_equal(ip, "172.17.0.2");
	assert_int_equal(list[0].networks[0].ip6.family, 0);
	json_decref(j);
}

/* GET /images/json as Docker 20.10 answers it (its fields; the tags made
 * up): every tag of an image, none cut */
static void test_parse_images(void **state)
{
	static const char text[] =
		"[{\"Containers\":-1,\"Created\":1796592198,\"Id\":\"sha256:006cd0a3be8e\",\"Labels\":null,"
		"\"ParentId\":\"\",\"RepoDigests\":null,\"RepoTags\":[\"netcheck-responder:0.1.0-58247f34aa4a\","
		"\"netcheck-responder:0.0.9\"],\"SharedSize\":-1,\"Size\":781337,\"VirtualSize\":781337},"
		"{\"Id\":\"sha256:47225b5295f3\",\"RepoTags\":null},{\"RepoTags\":[\"x:1\"]}]";
	nc_image_summary_t list[4];
	nc_error_t err = { "" };
	json_t *j = json_loads(text, 0, NULL);
	size_t n;
	(void)state;

	assert_int_equal(nc_engine_parse_images(j, list, NC_ARRAY_SIZE(list), &n, &err), 3);
	assert_int_equal(n, 2); /* the one without an Id is left out */
	assert_string_equal(list[0].id, "sha256:006cd0a3be8e");
	assert_int_equal(list[0].n_tags, 2);
	assert_string_equal(list[0].tags[0], "netcheck-responder:0.1.0-58247f34aa4a");
	assert_string_equal(list[0].tags[1], "netcheck-responder:0.0.9");
	assert_int_equal(list[1].n_tags, 0); /* dangling: no tag */
	json_decref(j);
	j = json_object();
	assert_int_equal(nc_engine_parse_images(j, list, 1, &n, &err), NC_EPROTO);
	json_decref(j);
}

static void test_logs_decode(void **state)
{
	static char raw[4096];
	char out[256], small[8];
	size_t len;
	(void)state;

	len = read_fixture("docker-20.10-logs-multiplexed.bin", raw, sizeof(raw));
	assert_int_equal(nc_engine_parse_logs_text(raw, len, false, out, sizeof(out)), 48);
	assert_string_equal(out, "responder: bad port '--no-such-flag' (1..65535)\n");
	len = read_fixture("docker-20.10-logs-tty.bin", raw, sizeof(raw));
	assert_int_equal(nc_engine_parse_logs_text(raw, len, true, out, sizeof(out)), 49);
	assert_string_equal(out, "responder: bad port '--no-such-flag' (1..65535)\r\n");

	/* stdout and stderr frames interleave; an empty frame is fine */
	static const char mixed[] = "\1\0\0\0\0\0\0\3out" "\2\0\0\0\0\0\0\0" "\2\0\0\0\0\0\0\4err\n";
	assert_int_equal(nc_engine_parse_logs_text(mixed, sizeof(mixed) - 1, false, out, sizeof(out)), 7);
	assert_string_equal(out, "outerr\n");
	/* the newest bytes win when the buffer is small */
	assert_int_equal(nc_engine_parse_logs_text(mixed, sizeof(mixed) - 1, false, small, sizeof(small)), 7);
	assert_string_equal(small, "outerr\n");
	assert_int_equal(nc_engine_parse_logs_text(mixed, sizeof(mixed) - 1, false, small, 4), 3);
	assert_string_equal(small, "rr\n");
	/* a frame longer than what is left, a bad header, a short header */
	assert_int_equal(nc_engine_parse_logs_text(mixed, 10, false, out, sizeof(out)), NC_EPROTO);
	assert_int_equal(nc_engine_parse_logs_text("hello, world", 12, false, out, sizeof(out)), NC_EPROTO);
	assert_int_equal(nc_engine_parse_logs_text(mixed, 5, false, out, sizeof(out)), NC_EPROTO);
	assert_int_equal(nc_engine_parse_logs_text("", 0, false, out, sizeof(out)), 0);
	assert_int_equal(nc_engine_parse_logs_text("x", 1, true, out, 0), -EINVAL);
}

/* What --swarm reads of a task (as dockerd 20.10 answered in the lab: the
 * host-mode port in PortStatus, listed twice), and gc's service and network
 * lists (only netcheck's labels matter). */
static void test_parse_swarm_run(void **state)
{
	const char *tasks_text =
		"[{\"ID\":\"t1\",\"NodeID\":\"n1\",\"DesiredState\":\"running\","
		"\"Status\":{\"State\":\"running\",\"ContainerStatus\":{\"ContainerID\":\"c1\"},"
		"\"PortStatus\":{\"Ports\":[{\"Protocol\":\"udp\",\"TargetPort\":80,\"PublishedPort\":30001,\"PublishMode\":\"host\"},"
		"{\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishedPort\":32768,\"PublishMode\":\"host\"},"
		"{\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishedPort\":32768,\"PublishMode\":\"host\"}]}},"
		"\"NetworksAttachments\":[{\"Network\":{\"ID\":\"ov1\"},\"Addresses\":[\"198.19.1.2/24\"]}]},"
		"{\"ID\":\"t2\",\"NodeID\":\"n2\",\"Status\":{\"State\":\"rejected\",\"Err\":\"No such image: sha256:ab\","
		"\"PortStatus\":{\"Ports\":[{\"Protocol\":\"tcp\",\"PublishedPort\":30002,\"PublishMode\":\"ingress\"}]}}}]";
	const char *services_text =
		"[{\"ID\":\"s1\",\"Spec\":{\"Name\":\"netcheck-ab\",\"Labels\":{\"io.netcheck.run\":\"ab\","
		"\"io.netcheck.pid\":\"42\",\"io.netcheck.scope\":\"boot/1\",\"io.netcheck.keep\":\"1\"}}},"
		"{\"Spec\":{\"Name\":\"no-id\"}}]";
	const char *networks_text = "[{\"Id\":\"ov1\",\"Name\":\"netcheck-ab\",\"Labels\":{\"io.netcheck.run\":\"ab\"}}]";
	nc_swarm_task_t t[2];
	nc_container_summary_t o[2];
	nc_error_t err = { "" };
	json_t *j;
	size_t n = 0;

	(void)state;
	j = json_loads(tasks_text, 0, NULL);
	assert_non_null(j);
	assert_int_equal(nc_engine_parse_tasks(j, t, 2, &n, &err), 2);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].host_port, 32768); /* the TCP one, not the UDP one before it */
	assert_string_equal(t[0].addresses[0], "198.19.1.2/24");
	assert_string_equal(t[0].address_networks[0], "ov1");
	assert_string_equal(t[1].state, "rejected");
	assert_string_equal(t[1].error, "No such image: sha256:ab");
	assert_int_equal(t[1].host_port, 0); /* an ingress port is not the node's own */
	json_decref(j);

	j = json_loads(services_text, 0, NULL);
	assert_non_null(j);
	assert_int_equal(nc_engine_parse_labelled(j, o, 2, &n, &err), 2);
	assert_int_equal(n, 1); /* no id: not listed */
	assert_string_equal(o[0].id, "s1");
	assert_string_equal(o[0].name, "netcheck-ab");
	assert_string_equal(o[0].run, "ab");
	assert_string_equal(o[0].pid, "42");
	assert_string_equal(o[0].scope, "boot/1");
	assert_true(o[0].keep);
	json_decref(j);

	j = json_loads(networks_text, 0, NULL);
	assert_non_null(j);
	assert_int_equal(nc_engine_parse_labelled(j, o, 2, &n, &err), 1);
	assert_string_equal(o[0].id, "ov1");
	assert_string_equal(o[0].run, "ab");
	assert_false(o[0].keep);
	json_decref(j);
	j = json_loads("{}", 0, NULL);
	assert_int_equal(nc_engine_parse_labelled(j, o, 2, &n, &err), NC_EPROTO);
	json_decref(j);
}

/* A node list as a --swarm run keeps it (the nodes' names made by the
 * model): a node is its id; two nodes with one hostname both get it with
 * their short ids, so their paths' names stay apart. */
static size_t swarm_from_fixture(const char *name, nc_swarm_t *sw)
{
	json_t *j = load_fixture(name);
	nc_swarm_node_t n[NC_MAX_NODES];
	nc_error_t err = { "" };
	size_t count = 0;

	assert_true(nc_engine_parse_nodes(j, n, NC_MAX_NODES, &count, &err) >= 0);
	json_decref(j);
	memset(sw, 0, sizeof(*sw));
	for (size_t i = 0; i < count; i++) {
		snprintf(sw->nodes[i].id, sizeof(sw->nodes[i].id), "%.79s", n[i].id);
		snprintf(sw->nodes[i].hostname, sizeof(sw->nodes[i].hostname), "%.255s", n[i].hostname);
	}
	sw->n_nodes = count;
	nc_swarm_name_nodes(sw);
	return count;
}

static void test_swarm_node_names(void **state)
{
	nc_swarm_t *sw = test_calloc(1, sizeof(*sw));
	nc_result_t *r;
	char want[NC_NAME_MAX];
	(void)state;

	/* hostnames that differ: the names are the hostnames */
	assert_int_equal(swarm_from_fixture("swarm-nodes.json", sw), 2);
	assert_string_equal(sw->nodes[0].name, "node-1");
	assert_string_equal(sw->nodes[1].name, sw->nodes[1].hostname);

	/* recorded: three lab nodes, the last two with one hostname */
	assert_int_equal(swarm_from_fixture("swarm-nodes-twin.json", sw), 3);
	r = nc_result_new();
	assert_non_null(r);
	for (size_t i = 0; i < sw->n_nodes; i++) {
		const nc_node_t *n = &sw->nodes[i];
		size_t twins = 0;
		nc_path_t *p = NULL;

		for (size_t k = 0; k < sw->n_nodes; k++)
			twins += strcmp(sw->nodes[k].hostname, n->hostname) == 0;
		if (twins > 1)
			snprintf(want, sizeof(want), "%s/%.12s", n->hostname, n->id);
		else
			snprintf(want, sizeof(want), "%s", n->hostname);
		assert_string_equal(n->name, want);
		/* the path a node's name qualifies is one of its own: none vanishes */
		assert_int_equal(nc_result_add_path_named(r, NC_PATH_PUBLISHED_NODE, n->name, NULL, &p), 0);
	}
	assert_int_equal(nc_result_path_count(r), 3);
	/* the recorded twins are there (in the engine's order) and apart */
	{
		size_t named = 0;

		for (size_t i = 0; i < sw->n_nodes; i++)
			named += strcmp(sw->nodes[i].hostname, "nclab-node2") == 0 && strchr(sw->nodes[i].name, '/') != NULL;
		assert_int_equal(named, 2);
	}
	nc_result_free(r);

	/* a node without a hostname is its short id */
	sw->nodes[0].hostname[0] = '\0';
	nc_swarm_name_nodes(sw);
	snprintf(want, sizeof(want), "%.12s", sw->nodes[0].id);
	assert_string_equal(sw->nodes[0].name, want);
	test_free(sw);
}

static void test_parse_swarm(void **state)
{
	json_t *info = load_fixture("swarm-manager-info.json"), *swarm = load_fixture("swarm-inspect.json");
	json_t *nodes = load_fixture("swarm-nodes.json"), *tasks = load_fixture("swarm-tasks.json");
	json_t *worker = load_fixture("swarm-worker-info.json"), *none = load_fixture("docker-20.10-info.json");
	nc_swarm_info_t s;
	nc_swarm_node_t n[2];
	nc_swarm_task_t t[2];
	nc_error_t err = { "" };
	size_t count;
	(void)state;

	assert_int_equal(nc_engine_parse_swarm(info, swarm, &s, &err), 0);
	assert_true(s.active);
	assert_true(s.manager);
	assert_string_equal(s.node_id, "k67qz4598weg5unwwffg6z1m1");
	assert_string_equal(s.node_addr, "192.168.121.10");
	assert_string_equal(s.cluster_id, "abajmipo7b4xz5ip2nrla6b11");
	assert_int_equal(nc_engine_parse_swarm(worker, NULL, &s, &err), 0);
	assert_true(s.active);
	assert_false(s.manager);
	assert_string_equal(s.cluster_id, "");
	assert_int_equal(nc_engine_parse_swarm(none, NULL, &s, &err), 0); /* recorded: not in a swarm */
	assert_false(s.active);
	assert_false(s.manager);
	assert_string_equal(s.local_state, "inactive");

	assert_int_equal(nc_engine_parse_nodes(nodes, n, 2, &count, &err), 2);
	assert_int_equal(count, 2);
	assert_string_equal(n[0].hostname, "node-1");
	assert_string_equal(n[0].address, "192.168.121.10");
	assert_string_equal(n[0].role, "manager");
	assert_string_equal(n[0].state, "ready");
	assert_string_equal(n[1].availability, "drain");
	assert_string_equal(n[1].state, "down");

	assert_int_equal(nc_engine_parse_tasks(tasks, t, 2, &count, &err), 2);
	assert_string_equal(t[0].state, "running");
	assert_string_equal(t[0].desired_state, "running");
	assert_string_equal(t[0].node_id, "k67qz4598weg5unwwffg6z1m1");
	assert_string_equal(t[0].container_id, "e5d62702a1b48d01c3e02ca1e0212a250801fa8d67caca0b6f35919ebc12f035");
	assert_int_equal(t[0].pid, 677);
	assert_int_equal(t[1].pid, 0);
	assert_int_equal(t[0].n_addresses, 2);
	assert_string_equal(t[0].addresses[0], "10.255.0.10/16");
	assert_string_equal(t[0].addresses[1], "10.0.1.3/24");
	assert_string_equal(t[1].state, "rejected");
	assert_string_equal(t[1].error, "No such image: netcheck-responder:0.1.0");
	assert_int_equal(t[1].n_addresses, 0);
	assert_int_equal(nc_engine_parse_tasks(info, t, 2, &count, &err), NC_EPROTO);

	json_decref(info), json_decref(swarm), json_decref(nodes), json_decref(tasks);
	json_decref(worker), json_decref(none);
}

/* --- request bodies ------------------------------------------------------ */

static const char *jstr(const json_t *j, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		j = json_object_get(j, key);
		path = dot + 1;
	}
	return json_string_value(json_object_get(j, path));
}

static void test_container_spec_json(void **state)
{
	nc_container_spec_t spec = {
		.name = "nc-x",
		.image = "netcheck-responder:0.1.0",
		.cmd = { "/responder", "--port", "8080" },
		.n_cmd = 3,
		.user = "65534",
		.labels = { { "io.netcheck.run", "r1" }, { "io.netcheck.pid", "42" } },
		.n_labels = 2,
		.ports = { { .container_port = 8080, .publish = true },
			   { .container_port = 8080, .publish = true, .host_ip = "::", .host_port = 18080 },
			   { .container_port = 53, .proto = NC_ENGINE_UDP, .publish = true, .host_ip = "127.0.0.1" },
			   { .container_port = 9, .proto = NC_ENGINE_UDP } },
		.n_ports = 4,
		.network_mode = "netcheck-net",
		.extra_hosts = { "host.docker.internal:host-gateway" },
		.n_extra_hosts = 1,
		.sysctls = { { "net.ipv4.ping_group_range", "0 2147483647" } },
		.n_sysctls = 1,
		.env = { "A=1" },
		.n_env = 1,
		.readonly_rootfs = true,
		.cap_drop_all = true,
		.no_new_privileges = true,
	};
	nc_error_t err = { "" };
	json_t *j = NULL, *b;
	(void)state;

	assert_int_equal(nc_engine_container_spec_json(&spec, &j, &err), 0);
	assert_string_equal(jstr(j, "Image"), "netcheck-responder:0.1.0");
	assert_string_equal(jstr(j, "User"), "65534");
	assert_int_equal(json_array_size(json_object_get(j, "Cmd")), 3);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "Labels"), "io.netcheck.pid")), "42");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "Labels"), "io.netcheck.run")), "r1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "Env"), 0)), "A=1");
	assert_non_null(json_object_get(json_object_get(j, "ExposedPorts"), "8080/tcp"));
	assert_non_null(json_object_get(json_object_get(j, "ExposedPorts"), "53/udp"));
	assert_non_null(json_object_get(json_object_get(j, "ExposedPorts"), "9/udp"));
	b = json_object_get(json_object_get(json_object_get(j, "HostConfig"), "PortBindings"), "8080/tcp");
	assert_int_equal(json_array_size(b), 2);
	assert_string_equal(jstr(json_array_get(b, 0), "HostIp"), "");
	assert_string_equal(jstr(json_array_get(b, 0), "HostPort"), ""); /* the engine picks */
	assert_string_equal(jstr(json_array_get(b, 1), "HostIp"), "::");
	assert_string_equal(jstr(json_array_get(b, 1), "HostPort"), "18080");
	b = json_object_get(json_object_get(json_object_get(j, "HostConfig"), "PortBindings"), "53/udp");
	assert_string_equal(jstr(json_array_get(b, 0), "HostIp"), "127.0.0.1");
	assert_null(json_object_get(json_object_get(json_object_get(j, "HostConfig"), "PortBindings"), "9/udp"));
	assert_string_equal(jstr(j, "HostConfig.NetworkMode"), "netcheck-net");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(j, "HostConfig"), "ExtraHosts"), 0)),
			    "host.docker.internal:host-gateway");
	assert_true(json_is_true(json_object_get(json_object_get(j, "HostConfig"), "ReadonlyRootfs")));
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(j, "HostConfig"), "CapDrop"), 0)),
			    "ALL");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(j, "HostConfig"), "SecurityOpt"), 0)),
			    "no-new-privileges");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(j, "HostConfig"), "Sysctls"),
				    "net.ipv4.ping_group_range")),
			    "0 2147483647");
	assert_null(json_object_get(j, "Tty"));
	assert_null(json_object_get(j, "OpenStdin"));
	assert_null(json_object_get(json_object_get(j, "HostConfig"), "PidMode"));
	assert_null(json_object_get(json_object_get(j, "HostConfig"), "CapAdd"));
	json_decref(j);

	/* the capture agent's: host network and pids, four capabilities, a stdin to attach */
	nc_container_spec_t agent = { .image = "i", .network_mode = "host", .pid_mode = "host",
				      .cap_add = { "NET_RAW", "NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE" },
				      .n_cap_add = 4, .open_stdin = true };
	assert_int_equal(nc_engine_container_spec_json(&agent, &j, &err), 0);
	assert_string_equal(jstr(j, "HostConfig.PidMode"), "host");
	assert_string_equal(jstr(j, "HostConfig.NetworkMode"), "host");
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "HostConfig"), "CapAdd")), 4);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(j, "HostConfig"), "CapAdd"), 3)),
			    "SYS_PTRACE");
	assert_true(json_is_true(json_object_get(j, "OpenStdin")));
	assert_true(json_is_true(json_object_get(j, "AttachStdout")));
	json_decref(j);
	agent.n_cap_add = NC_ENGINE_MAX_CAP_ADD + 1;
	assert_int_equal(nc_engine_container_spec_json(&agent, &j, &err), -EINVAL);

	/* refused: no image, a port 0, more entries than the arrays hold */
	nc_container_spec_t bad = { .image = "" };
	assert_int_equal(nc_engine_container_spec_json(&bad, &j, &err), -EINVAL);
	assert_null(j);
	bad.image = "i";
	bad.n_ports = 1;
	assert_int_equal(nc_engine_container_spec_json(&bad, &j, &err), -EINVAL);
	assert_non_null(strstr(err.text, "port 0"));
	bad.n_ports = 0;
	bad.n_cmd = NC_ENGINE_MAX_ARGS + 1;
	assert_int_equal(nc_engine_container_spec_json(&bad, &j, &err), -EINVAL);
	bad.n_cmd = 1; /* cmd[0] NULL */
	assert_int_equal(nc_engine_container_spec_json(&bad, &j, &err), -ENOMEM);
	assert_null(j);
}

static void test_network_service_spec_json(void **state)
{
	nc_network_spec_t net = { .name = "nc-net", .attachable = true, .ipv6 = true,
				  .labels = { { "io.netcheck.run", "r1" } }, .n_labels = 1 };
	nc_service_spec_t svc = {
		.name = "nc-svc",
		.image = "netcheck-responder:0.1.0",
		.cmd = { "/responder" },
		.n_cmd = 1,
		.labels = { { "io.netcheck.run", "r1" } },
		.n_labels = 1,
		.ports = { { .target_port = 80, .published_port = 8080, .mode = NC_PUBLISH_HOST },
			   { .target_port = 53, .proto = NC_ENGINE_UDP } },
		.n_ports = 2,
		.networks = { "nc-overlay" },
		.n_networks = 1,
	};
	nc_error_t err = { "" };
	json_t *j = NULL, *p;
	(void)state;

	assert_int_equal(nc_engine_network_spec_json(&net, &j, &err), 0);
	assert_string_equal(jstr(j, "Name"), "nc-net");
	assert_string_equal(jstr(j, "Driver"), "bridge");
	assert_true(json_is_true(json_object_get(j, "Attachable")));
	assert_true(json_is_true(json_object_get(j, "EnableIPv6")));
	assert_true(json_is_true(json_object_get(j, "CheckDuplicate")));
	assert_false(json_is_true(json_object_get(j, "Internal")));
	json_decref(j);
	net.name = NULL;
	assert_int_equal(nc_engine_network_spec_json(&net, &j, &err), -EINVAL);

	assert_int_equal(nc_engine_service_spec_json(&svc, &j, &err), 0);
	assert_string_equal(jstr(j, "Name"), "nc-svc");
	/* the image exactly as given: no digest pinned */
	assert_string_equal(jstr(j, "TaskTemplate.ContainerSpec.Image"), "netcheck-responder:0.1.0");
	assert_non_null(json_object_get(json_object_get(j, "Mode"), "Global"));
	assert_string_equal(jstr(json_array_get(json_object_get(json_object_get(j, "TaskTemplate"), "Networks"), 0),
				 "Target"),
			    "nc-overlay");
	p = json_object_get(json_object_get(j, "EndpointSpec"), "Ports");
	assert_int_equal(json_array_size(p), 2);
	assert_string_equal(jstr(json_array_get(p, 0), "PublishMode"), "host");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(p, 0), "PublishedPort")), 8080);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(p, 0), "TargetPort")), 80);
	assert_string_equal(jstr(json_array_get(p, 1), "PublishMode"), "ingress");
	assert_string_equal(jstr(json_array_get(p, 1), "Protocol"), "udp");
	assert_null(json_object_get(json_array_get(p, 1), "PublishedPort"));
	json_decref(j);
	svc.ports[1].target_port = 0;
	assert_int_equal(nc_engine_service_spec_json(&svc, &j, &err), -EINVAL);
	assert_null(j);
}

static void test_import_query(void **state)
{
	static const char *const changes[] = { "CMD [\"/responder\"]", "EXPOSE 80/tcp" };
	char q[256], tiny[20];
	(void)state;

	assert_true(nc_engine_import_query("netcheck-responder", "0.1.0", changes, 2, q, sizeof(q)) > 0);
	assert_string_equal(q, "fromSrc=-&repo=netcheck-responder%3A0.1.0&changes=CMD%20%5B%22%2Fresponder%22%5D"
			       "&changes=EXPOSE%2080%2Ftcp");
	assert_true(nc_engine_import_query("r", NULL, NULL, 0, q, sizeof(q)) > 0);
	assert_string_equal(q, "fromSrc=-&repo=r");
	assert_int_equal(nc_engine_import_query("netcheck-responder", "0.1.0", changes, 2, tiny, sizeof(tiny)),
			 -ENOSPC);
}

/* --- typed calls over the wire ------------------------------------------- */

static void test_fake_typed_containers(void **state)
{
	static char logs_answer[1024];
	static const char frames[] = "\2\0\0\0\0\0\0\5oops\n";
	canned_t answers[] = {
		fixture_answer(0, "docker-20.10-version.json"),
		http_answer(1, "201 Created", "{\"Id\":\"abc123\",\"Warnings\":[]}"),
		http_answer(2, "500 Internal Server Error",
			    "{\"message\":\"driver failed programming external connectivity on endpoint x (y): "
			    "Bind for 0.0.0.0:8080 failed: port is already allocated\"}"),
		http_answer(3, "404 Not Found", "{\"message\":\"No such container: abc123\"}"),
		fixture_answer(4, "docker-20.10-inspect.json"),
		{ .mode = ANSWER_SEND },
		fixture_answer(6, "docker-20.10-containers-list-labels.json"),
		http_answer(7, "409 Conflict", "{\"message\":\"You cannot remove a running container abc123.\"}"),
	};
	nc_container_spec_t spec = { .name = "nc x", .image = "img", .ports = { { .container_port = 80, .publish = true } },
				     .n_ports = 1 };
	nc_container_summary_t list[2];
	nc_container_info_t info;
	nc_engine_version_t v;
	nc_error_t err = { "" };
	char id[NC_ENGINE_ID_MAX], out[64];
	size_t n;
	int len;
	nc_engine_t *e;
	(void)state;

	len = snprintf(logs_answer, sizeof(logs_answer),
		       "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nContent-Length: %zu\r\n"
		       "Connection: close\r\n\r\n",
		       sizeof(frames) - 1);
	memcpy(logs_answer + len, frames, sizeof(frames) - 1);
	answers[5] = (canned_t){ .mode = ANSWER_SEND, .bytes = logs_answer, .len = (size_t)len + sizeof(frames) - 1 };

	fake_start(answers, NC_ARRAY_SIZE(answers));
	e = fake_engine_new(2000);
	assert_int_equal(nc_engine_negotiate(e, &v, &err), 0);
	assert_int_equal(nc_engine_container_create(e, &spec, id, sizeof(id), &err), 0);
	assert_string_equal(id, "abc123");
	assert_int_equal(nc_engine_container_start(e, id, &err), NC_EPORTTAKEN);
	assert_non_null(strstr(err.text, "port is already allocated")); /* the engine's words, for the user */
	assert_int_equal(nc_engine_container_inspect(e, id, 80, &info, &err), NC_EGONE);
	/* logs: inspect (not a TTY), then the multiplexed stream */
	assert_int_equal(nc_engine_container_logs(e, "3556fbea447a", 50, out, sizeof(out), &err), 5);
	assert_string_equal(out, "oops\n");
	assert_int_equal(nc_engine_containers_list(e, "io.netcheck.run", list, NC_ARRAY_SIZE(list), &n, &err), 3);
	assert_int_equal(n, 2);
	/* a 409 that is not "removal in progress" is a real conflict */
	assert_int_equal(nc_engine_container_remove(e, id, false, false, &err), NC_ECONFLICT);
	nc_engine_free(e);

	fake_finish(NC_ARRAY_SIZE(answers));
	assert_string_equal(fake.requests[1], "POST /v1.41/containers/create?name=nc%20x HTTP/1.1");
	assert_non_null(strstr(fake.heads[1], "Content-Type: application/json"));
	assert_string_equal(fake.requests[2], "POST /v1.41/containers/abc123/start HTTP/1.1");
	assert_string_equal(fake.requests[3], "GET /v1.41/containers/abc123/json HTTP/1.1");
	assert_string_equal(fake.requests[4], "GET /v1.41/containers/3556fbea447a/json HTTP/1.1");
	assert_string_equal(fake.requests[5],
			    "GET /v1.41/containers/3556fbea447a/logs?stdout=1&stderr=1&tail=50 HTTP/1.1");
	assert_string_equal(fake.requests[6], "GET /v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io."
					      "netcheck.run%22%5D%7D HTTP/1.1");
	assert_string_equal(fake.requests[7], "DELETE /v1.41/containers/abc123?force=0&v=0 HTTP/1.1");
}

static void test_fake_typed_networks_images(void **state)
{
	static char tar[1024];
	static const char *const changes[] = { "USER 65534" };
	canned_t answers[] = {
		fixture_answer(0, "docker-20.10-network-user.json"),
		http_answer(1, "201 Created", "{\"Id\":\"dfde752b94e6\",\"Warning\":\"\"}"),
		http_answer(2, "404 Not Found", "{\"message\":\"network nc-net not found\"}"),
		http_answer(3, "404 Not Found", "{\"message\":\"no such image: x:1: No such image: x:1\"}"),
		http_answer(4, "200 OK", "{\"status\":\"Importing\"}\r\n{\"errorDetail\":{\"message\":\"bad tar\"},"
					 "\"error\":\"bad tar\"}\r\n"),
		http_answer(5, "404 Not Found", "{\"message\":\"No such image: x:1\"}"),
		http_answer(6, "200 OK", "[{\"Id\":\"sha256:06107725dcac\",\"RepoTags\":[\"x:1\"]}]"),
		http_answer(7, "200 OK", "[{\"Id\":\"c1\"},{\"Id\":\"c2\"}]"),
	};
	nc_image_summary_t images[2];
	size_t n_images;
	nc_network_spec_t spec = { .name = "nc-net" };
	nc_network_info_t net;
	nc_error_t err = { "" };
	char id[NC_ENGINE_ID_MAX];
	nc_engine_t *e;
	(void)state;

	fake_start(answers, NC_ARRAY_SIZE(answers));
	e = fake_engine_new(2000);
	assert_int_equal(nc_engine_network_inspect(e, "netcheck-dev-engine", &net, &err), 0);
	assert_string_equal(net.bridge, "br-dfde752b94e6");
	assert_int_equal(nc_engine_network_create(e, &spec, id, sizeof(id), &err), 0);
	assert_string_equal(id, "dfde752b94e6");
	assert_int_equal(nc_engine_network_remove(e, "nc-net", &err), 0); /* already gone */
	assert_int_equal(nc_engine_image_exists(e, "x:1", &err), 0);
	assert_int_equal(nc_engine_image_import(e, tar, sizeof(tar), "x", "1", changes, 1, &err), NC_EENGINE);
	assert_non_null(strstr(err.text, "bad tar"));
	assert_int_equal(nc_engine_image_remove(e, "x:1", true, &err), NC_ENOIMAGE);
	assert_int_equal(nc_engine_images_list(e, "x", images, NC_ARRAY_SIZE(images), &n_images, &err), 1);
	assert_string_equal(images[0].tags[0], "x:1");
	assert_int_equal(nc_engine_containers_using(e, "x:1", &err), 2);
	nc_engine_free(e);

	fake_finish(NC_ARRAY_SIZE(answers));
	assert_string_equal(fake.requests[0], "GET /networks/netcheck-dev-engine HTTP/1.1");
	assert_string_equal(fake.requests[1], "POST /networks/create HTTP/1.1");
	assert_string_equal(fake.requests[2], "DELETE /networks/nc-net HTTP/1.1");
	assert_string_equal(fake.requests[3], "GET /images/x%3A1/json HTTP/1.1");
	assert_string_equal(fake.requests[4],
			    "POST /images/create?fromSrc=-&repo=x%3A1&changes=USER%2065534 HTTP/1.1");
	assert_non_null(strstr(fake.heads[4], "Content-Type: application/x-tar"));
	assert_string_equal(fake.requests[5], "DELETE /images/x%3A1?force=1 HTTP/1.1");
	assert_string_equal(fake.requests[6], "GET /images/json?filters=%7B%22reference%22%3A%5B%22x%22%5D%7D HTTP/1.1");
	assert_string_equal(fake.requests[7], "GET /containers/json?all=1&filters=%7B%22ancestor%22%3A%5B%22x%3A1%22%5D%7D "
					      "HTTP/1.1");
}

static canned_t when(canned_t c, const char *request)
{
	c.when = request;
	return c;
}

/* The reads at the start of a run, sent at once: each its own answer and
 * outcome, whatever order the engine takes them in. */
static void test_fake_survey(void **state)
{
	canned_t answers[] = {
		when(fixture_answer(0, "docker-20.10-info.json"), "GET /info "),
		when(http_answer(1, "404 Not Found", "{\"message\":\"No such image: x:1\"}"), "GET /images/x%3A1/json "),
		when(fixture_answer(2, "docker-20.10-network-bridge-fresh.json"), "GET /networks/bridge "),
		when(fixture_answer(3, "docker-20.10-containers-list-labels.json"), "GET /containers/json?all=1&filters="),
		/* the second survey: the network read fails alone */
		when(http_answer(4, "500 Internal Server Error", "{\"message\":\"boom\"}"), "GET /networks/n "),
		when(http_answer(5, "200 OK", "{}"), "GET /images/y/json "),
	};
	nc_container_summary_t list[4];
	nc_engine_survey_t sv = { .want_info = true, .image = "x:1", .network = "bridge", .label_filter = "io.netcheck.run",
				  .containers = list, .max_containers = NC_ARRAY_SIZE(list) };
	nc_engine_get_t none[1] = { { .path = "/x" } };
	nc_engine_t *e;
	(void)state;

	fake_start(answers, NC_ARRAY_SIZE(answers));
	e = fake_engine_new(2000);
	assert_int_equal(nc_engine_get_all(e, none, 0), -EINVAL);
	assert_int_equal(nc_engine_survey(e, &sv), 0);
	assert_int_equal(sv.info_result, 0);
	assert_string_equal(sv.info.operating_system, "Debian GNU/Linux 12 (bookworm)");
	assert_int_equal(sv.image_result, 0); /* not there: not an error */
	assert_int_equal(sv.network_result, 0);
	assert_string_equal(sv.network_info.bridge, "docker0");
	assert_string_equal(sv.network_info.gateway4, "");
	assert_true(sv.containers_result > 0);
	assert_int_equal(sv.n_containers, (size_t)sv.containers_result);

	sv = (nc_engine_survey_t){ .image = "y", .network = "n" };
	assert_int_equal(nc_engine_survey(e, &sv), 0);
	assert_int_equal(sv.image_result, 1);
	assert_int_equal(sv.network_result, NC_EENGINE);
	assert_non_null(strstr(sv.network_err.text, "boom"));
	assert_int_equal(sv.info_result, 0); /* not asked */
	assert_string_equal(sv.info.operating_system, "");
	nc_engine_free(e);
	fake_finish(NC_ARRAY_SIZE(answers));
}

/* A /_ping answer: "OK", and what the engine says of itself in headers
 * (api, server, libpod: NULL for none). */
static canned_t ping_answer(size_t slot, const char *api, const char *server, const char *libpod)
{
	char heads[256] = "";
	int n;

	if (api != NULL)
		snprintf(heads + strlen(heads), sizeof(heads) - strlen(heads), "Api-Version: %s\r\n", api);
	if (server != NULL)
		snprintf(heads + strlen(heads), sizeof(heads) - strlen(heads), "Server: %s\r\n", server);
	if (libpod != NULL)
		snprintf(heads + strlen(heads), sizeof(heads) - strlen(heads), "Libpod-Api-Version: %s\r\n", libpod);
	n = snprintf(response_pool[slot], sizeof(response_pool[slot]),
		     "HTTP/1.1 200 OK\r\n%sContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n"
		     "Connection: close\r\n\r\nOK",
		     heads);
	assert_true(n > 0 && (size_t)n < sizeof(response_pool[slot]));
	return (canned_t){ .mode = ANSWER_SEND, .bytes = response_pool[slot], .len = (size_t)n };
}

/* nc_engine_negotiate_survey() against answers (n): /info read, what the
 * engine said of itself (*v), and the API version then in use. */
static int negotiate_survey(canned_t *answers, size_t n, nc_engine_survey_t *sv, nc_engine_version_t *v)
{
	nc_error_t err = { "" };
	nc_engine_t *e;
	int api;

	fake_start(answers, n);
	e = fake_engine_new(2000);
	assert_int_equal(nc_engine_negotiate_survey(e, v, sv, &err), 0);
	assert_int_equal(sv->info_result, 0);
	api = nc_engine_api(e);
	nc_engine_free(e);
	fake_finish(n);
	return api;
}

/* The survey with /_ping, unversioned: an engine no newer than netcheck
 * answers it at the version agreed, in one round, and no /version is
 * asked (dockerd runs runc and docker-init for it). */
static void test_fake_negotiate_survey(void **state)
{
	canned_t answers[] = {
		when(ping_answer(0, "1.41", "Docker/20.10.24+dfsg1 (linux)", NULL), "GET /_ping "),
		when(fixture_answer(1, "docker-20.10-info.json"), "GET /info "),
		when(http_answer(2, "404 Not Found", "{\"message\":\"No such image: x:1\"}"), "GET /images/x%3A1/json "),
	};
	nc_engine_survey_t sv = { .want_info = true, .image = "x:1" };
	nc_engine_version_t v;
	(void)state;

	assert_int_equal(negotiate_survey(answers, NC_ARRAY_SIZE(answers), &sv, &v), 141);
	assert_string_equal(sv.info.operating_system, "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(v.api_version, "1.41");
	assert_string_equal(v.version, "20.10.24+dfsg1");
	assert_false(v.podman);
	assert_string_equal(nc_engine_product(&v), "Docker Engine");
	assert_int_equal(sv.image_result, 0);
	for (size_t i = 0; i < NC_ARRAY_SIZE(answers); i++) {
		assert_null(strstr(fake.requests[i], "/v1."));
		assert_null(strstr(fake.requests[i], "/version"));
	}
}

/* Podman says so in /_ping's headers; Docker Desktop in /info's system name. */
static void test_fake_negotiate_survey_products(void **state)
{
	canned_t podman[] = {
		when(ping_answer(0, "1.41", "Libpod/4.3.1 (linux)", "4.3.1"), "GET /_ping "),
		when(fixture_answer(1, "podman-4.3-rootless-info.json"), "GET /info "),
	};
	canned_t desktop[] = {
		/* slots of their own: both lists are made before either is used */
		when(ping_answer(2, "1.43", "Docker/24.0.6 (linux)", NULL), "GET /_ping "),
		when(http_answer(3, "200 OK", "{\"OperatingSystem\":\"Docker Desktop\",\"SecurityOptions\":[]}"),
		     "GET /info "),
	};
	nc_engine_survey_t sv = { .want_info = true };
	nc_engine_version_t v;
	(void)state;

	assert_int_equal(negotiate_survey(podman, NC_ARRAY_SIZE(podman), &sv, &v), 141);
	assert_true(v.podman);
	assert_string_equal(v.version, "4.3.1");
	assert_string_equal(nc_engine_product(&v), "Podman Engine");
	assert_true(sv.info.rootless);
	sv = (nc_engine_survey_t){ .want_info = true };
	assert_int_equal(negotiate_survey(desktop, NC_ARRAY_SIZE(desktop), &sv, &v),
			 nc_engine_api_number(NC_ENGINE_MAX_API) < 143 ? nc_engine_api_number(NC_ENGINE_MAX_API) : 143);
	assert_false(v.podman);
	assert_string_equal(nc_engine_product(&v), "Docker Desktop");
}

/* An engine newer than netcheck: the unversioned answers are dropped, the
 * reads sent again at NC_ENGINE_MAX_API. */
static void test_fake_negotiate_survey_newer(void **state)
{
	canned_t answers[] = {
		when(ping_answer(0, "1.99", "Docker/99.0 (linux)", NULL), "GET /_ping "),
		when(http_answer(1, "200 OK", "{}"), "GET /info "),
		when(fixture_answer(2, "docker-20.10-info.json"), "GET /v" NC_ENGINE_MAX_API "/info "),
	};
	nc_engine_survey_t sv = { .want_info = true };
	nc_engine_version_t v;
	(void)state;

	assert_int_equal(negotiate_survey(answers, NC_ARRAY_SIZE(answers), &sv, &v),
			 nc_engine_api_number(NC_ENGINE_MAX_API));
	assert_string_equal(sv.info.operating_system, "Debian GNU/Linux 12 (bookworm)");
}

/* A /_ping that names no API version (an older engine, a proxy in
 * between): /version says it, and the reads' unversioned answers stand
 * (the engine gave them at that version): none is asked twice. */
static void test_fake_negotiate_survey_no_ping_version(void **state)
{
	canned_t answers[] = {
		when(ping_answer(0, NULL, NULL, NULL), "GET /_ping "),
		when(fixture_answer(1, "docker-20.10-info.json"), "GET /info "),
		when(fixture_answer(2, "docker-20.10-version.json"), "GET /version "),
	};
	nc_engine_survey_t sv = { .want_info = true };
	nc_engine_version_t v;
	(void)state;

	assert_int_equal(negotiate_survey(answers, NC_ARRAY_SIZE(answers), &sv, &v), 141);
	assert_string_equal(sv.info.operating_system, "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(v.version, "20.10.24+dfsg1");
	for (size_t i = 0; i < NC_ARRAY_SIZE(answers); i++)
		assert_null(strstr(fake.requests[i], "/v1."));
}

static void test_fake_swarm(void **state)
{
	canned_t answers[] = {
		fixture_answer(0, "docker-20.10-version.json"),
		fixture_answer(1, "swarm-manager-info.json"),
		fixture_answer(2, "swarm-inspect.json"),
		fixture_answer(3, "swarm-nodes.json"),
		http_answer(4, "201 Created", "{\"ID\":\"9mnpnzenvg8p8tdbtq4wvbkcz\",\"Warnings\":null}"),
		fixture_answer(5, "swarm-tasks.json"),
		http_answer(6, "404 Not Found", "{\"message\":\"service 9mnpnzenvg8p8tdbtq4wvbkcz not found\"}"),
		http_answer(7, "200 OK", "{\"ApiVersion\":\"1.29\"}"),
	};
	nc_service_spec_t spec = { .name = "nc-svc", .image = "netcheck-responder:0.1.0",
				   .ports = { { .target_port = 80, .mode = NC_PUBLISH_HOST } }, .n_ports = 1 };
	nc_engine_version_t v;
	nc_swarm_info_t s;
	nc_swarm_node_t nodes[4];
	nc_swarm_task_t tasks[1];
	nc_error_t err = { "" };
	char id[NC_ENGINE_ID_MAX];
	size_t n;
	nc_engine_t *e;
	(void)state;

	fake_start(answers, NC_ARRAY_SIZE(answers));
	e = fake_engine_new(2000);
	/* before negotiation nothing guarantees API >= 1.30: refused without a request */
	assert_int_equal(nc_engine_service_create(e, &spec, id, sizeof(id), &err), -ENOTSUP);
	assert_non_null(strstr(err.text, "1.30"));
	assert_int_equal(nc_engine_negotiate(e, &v, &err), 0);
	assert_int_equal(nc_engine_swarm_inspect(e, &s, &err), 0);
	assert_true(s.manager);
	assert_string_equal(s.cluster_id, "abajmipo7b4xz5ip2nrla6b11");
	assert_int_equal(nc_engine_nodes_list(e, nodes, NC_ARRAY_SIZE(nodes), &n, &err), 2);
	assert_int_equal(n, 2);
	assert_int_equal(nc_engine_service_create(e, &spec, id, sizeof(id), &err), 0);
	assert_string_equal(id, "9mnpnzenvg8p8tdbtq4wvbkcz");
	assert_int_equal(nc_engine_tasks_list(e, id, tasks, NC_ARRAY_SIZE(tasks), &n, &err), 2);
	assert_int_equal(n, 1);
	assert_int_equal(nc_engine_service_remove(e, id, &err), 0); /* gone already */
	/* an engine that only speaks API 1.29 would resolve digests: refused */
	assert_int_equal(nc_engine_negotiate(e, &v, &err), 0);
	assert_int_equal(nc_engine_service_create(e, &spec, id, sizeof(id), &err), -ENOTSUP);
	nc_engine_free(e);

	fake_finish(NC_ARRAY_SIZE(answers));
	assert_string_equal(fake.requests[1], "GET /v1.41/info HTTP/1.1");
	assert_string_equal(fake.requests[2], "GET /v1.41/swarm HTTP/1.1");
	assert_string_equal(fake.requests[3], "GET /v1.41/nodes HTTP/1.1");
	/* versioned at >= 1.30 and no registry credentials: dockerd asks no registry */
	assert_string_equal(fake.requests[4], "POST /v1.41/services/create HTTP/1.1");
	assert_null(strstr(fake.heads[4], "X-Registry-Auth"));
	assert_null(strstr(fake.heads[4], "x-registry-auth"));
	assert_string_equal(fake.requests[5], "GET /v1.41/tasks?filters=%7B%22service%22%3A%5B%229mnpnzenvg8p8tdbtq4wvbkcz"
					      "%22%5D%7D HTTP/1.1");
	assert_string_equal(fake.requests[6], "DELETE /v1.41/services/9mnpnzenvg8p8tdbtq4wvbkcz HTTP/1.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_precedence),
		cmocka_unit_test(test_discover_missing_context),
		cmocka_unit_test(test_engine_new),
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_parse_info),
		cmocka_unit_test(test_parse_inspect),
		cmocka_unit_test(test_parse_inspect_states),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_api_number),
		cmocka_unit_test_teardown(test_fake_http_errors, teardown_fake),
		cmocka_unit_test_teardown(test_fake_truncated, teardown_fake),
		cmocka_unit_test_teardown(test_fake_timeout, teardown_fake),
		cmocka_unit_test_teardown(test_fake_too_big, teardown_fake),
		cmocka_unit_test(test_fake_no_socket),
		cmocka_unit_test(test_fake_clone),
		cmocka_unit_test_teardown(test_fake_negotiate, teardown_fake),
		cmocka_unit_test(test_discover_url_rules),
		cmocka_unit_test(test_discover_explicit_context),
		cmocka_unit_test(test_engine_new_default_ports),
		cmocka_unit_test(test_classify_recorded),
		cmocka_unit_test(test_parse_inspect_networks),
		cmocka_unit_test(test_parse_network),
		cmocka_unit_test(test_parse_containers),
		cmocka_unit_test(test_parse_listed),
		cmocka_unit_test(test_parse_images),
		cmocka_unit_test(test_logs_decode),
		cmocka_unit_test(test_parse_swarm),
		cmocka_unit_test(test_swarm_node_names),
		cmocka_unit_test(test_parse_swarm_run),
		cmocka_unit_test(test_container_spec_json),
		cmocka_unit_test(test_network_service_spec_json),
		cmocka_unit_test(test_import_query),
		cmocka_unit_test_teardown(test_fake_typed_containers, teardown_fake),
		cmocka_unit_test_teardown(test_fake_typed_networks_images, teardown_fake),
		cmocka_unit_test_teardown(test_fake_swarm, teardown_fake),
		cmocka_unit_test_teardown(test_fake_survey, teardown_fake),
		cmocka_unit_test_teardown(test_fake_negotiate_survey, teardown_fake),
		cmocka_unit_test_teardown(test_fake_negotiate_survey_newer, teardown_fake),
		cmocka_unit_test_teardown(test_fake_negotiate_survey_products, teardown_fake),
		cmocka_unit_test_teardown(test_fake_negotiate_survey_no_ping_version, teardown_fake),
	};

	json_set_alloc_funcs(json_test_malloc, json_test_free);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
