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
#include "netcheck/engine.h"

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
	*src = (nc_engine_source_t)-1;
	url[0] = '\0';
	return nc_engine_discover(flag, fake_getenv, url, len, src, err);
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
	size_t served;
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

/* The server thread: no cmocka calls and no allocation here. */
static void *fake_serve(void *arg)
{
	fake_engine_t *f = arg;
	static char chunk[64 * 1024];

	for (size_t i = 0; i < f->n_answers; i++) {
		const canned_t *a = &f->answers[i];
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
	assert_int_equal(nc_engine_call(e, "GET", "/containers/nope/json", NULL, NULL, 0, 0, &j, &err),
			 NC_ENOTFOUND);
	assert_non_null(strstr(err.text, "No such container"));

	/* container_remove treats 409 "in progress" as done */
	assert_int_equal(nc_engine_container_remove(e, "abc", &err), 0);

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
	json_t *list = NULL;
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
	assert_int_equal(nc_engine_containers_with_label(e, "netcheck.run", &list, &err), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "Id")),
			    "3556fbea447a17261d9a174c11644cf9eeeb1267712837fb7d71a1fe1a026c76");
	json_decref(list);

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_precedence),
		cmocka_unit_test(test_discover_missing_context),
		cmocka_unit_test(test_engine_new),
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_parse_info),
		cmocka_unit_test(test_parse_inspect),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_api_number),
		cmocka_unit_test_teardown(test_fake_http_errors, teardown_fake),
		cmocka_unit_test_teardown(test_fake_truncated, teardown_fake),
		cmocka_unit_test_teardown(test_fake_timeout, teardown_fake),
		cmocka_unit_test_teardown(test_fake_too_big, teardown_fake),
		cmocka_unit_test(test_fake_no_socket),
		cmocka_unit_test_teardown(test_fake_negotiate, teardown_fake),
	};

	json_set_alloc_funcs(json_test_malloc, json_test_free);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
