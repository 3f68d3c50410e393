/* Unit tests for ssh:// engines (engine-ssh.c): the URL as the docker CLI
 * reads it, the ssh command line, and the transport with a fake `ssh` first
 * on PATH — a shell script in a temporary directory that records its argv
 * and then plays a part: an engine answering every request on one
 * connection, a refused login, a far side without docker, a host that never
 * answers.  No sshd and no engine are needed (tests/integration/engine-ssh.sh
 * has the real ones).  The children must all be reaped and the engine's
 * private directory removed by nc_engine_free(). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <ftw.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "helpers.h"
#include "netcheck/common.h"
#include "engine-internal.h"

/* --- the URL ------------------------------------------------------------- */

static void test_parse_good(void **state)
{
	static const struct {
		const char *url, *user, *host, *port;
	} cases[] = {
		{ "ssh://build-host", "", "build-host", "" },
		{ "ssh://me@build-host", "me", "build-host", "" },
		{ "ssh://me@build-host:2222", "me", "build-host", "2222" },
		{ "ssh://root@127.0.0.1:22/", "root", "127.0.0.1", "22" },
		{ "ssh://ci_user.1@[fd00::1]:2222", "ci_user.1", "fd00::1", "2222" },
		{ "ssh://[::1]", "", "::1", "" },
	};
	nc_error_t err = { "" };
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(cases); i++) {
		nc_ssh_target_t t;

		if (nc_engine_ssh_parse(cases[i].url, &t, &err) != 0)
			fail_msg("%s: %s", cases[i].url, err.text);
		assert_string_equal(t.user, cases[i].user);
		assert_string_equal(t.host, cases[i].host);
		assert_string_equal(t.port, cases[i].port);
	}
}

static void test_parse_bad(void **state)
{
	/* each refused, with the reason's words in the message */
	static const struct {
		const char *url, *why;
	} cases[] = {
		{ "ssh://-oProxyCommand=reboot", "may not start with '-'" },
		{ "ssh://-oProxyCommand=x@host", "may not start with '-'" },
		{ "ssh://me@-host", "may not start with '-'" },
		{ "ssh://me:secret@host", "password" },
		{ "ssh://a@b@host", "'@' in the user name" },
		{ "ssh://host:0", "out of range" },
		{ "ssh://host:65536", "out of range" },
		{ "ssh://host:22x", "not a number" },
		{ "ssh://host:", "not a number" },
		{ "ssh://host:123456", "not a number" },
		{ "ssh://host/var/run/docker.sock", "path" },
		{ "ssh://host?x=1", "query" },
		{ "ssh://host#f", "fragment" },
		{ "ssh://", "no host" },
		{ "ssh://me@", "no host" },
		{ "ssh://me@:22", "no host" },
		{ "ssh://host;reboot", "';' in the host" },
		{ "ssh://ho st", "' ' in the host" },
		{ "ssh://me$(id)@host", "'$' in the user" },
		{ "ssh://[::1", "'[' without ']'" },
		{ "ssh://[::1]x", "after ']'" },
		{ "ssh://[::1;x]", "not an IPv6 address" },
		{ "tcp://host", "not an ssh:// URL" },
	};
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(cases); i++) {
		nc_error_t err = { "" };
		nc_ssh_target_t t;

		if (nc_engine_ssh_parse(cases[i].url, &t, &err) != -EINVAL)
			fail_msg("%s was accepted", cases[i].url);
		if (strstr(err.text, cases[i].why) == NULL)
			fail_msg("%s: \"%s\" does not say \"%s\"", cases[i].url, err.text, cases[i].why);
	}
}

/* --- the command line -------------------------------------------------------- */

static void expect_argv(const char *const *argv, const char *const *want)
{
	size_t i = 0;

	for (; want[i] != NULL; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
}

static void test_argv(void **state)
{
	nc_ssh_target_t t = { .user = "me", .host = "build-host", .port = "2222" };
	const char *argv[NC_SSH_ARGV_MAX];
	char opt[32];
	(void)state;

	/* the docker CLI's, with BatchMode: everything before "--" is ssh's */
	assert_int_equal(nc_engine_ssh_argv(&t, 3000, opt, sizeof(opt), argv, NC_SSH_ARGV_MAX), 15);
	expect_argv(argv, (const char *const[]){ "ssh", "-l", "me", "-p", "2222", "-o", "BatchMode=yes", "-o",
						 "ConnectTimeout=3", "-T", "--", "build-host", "docker", "system",
						 "dial-stdio", NULL });
	/* neither user nor port: ssh's own config decides; the timeout rounds up, 1 s at least */
	t = (nc_ssh_target_t){ .host = "fd00::1" };
	assert_int_equal(nc_engine_ssh_argv(&t, 2500, opt, sizeof(opt), argv, NC_SSH_ARGV_MAX), 11);
	expect_argv(argv, (const char *const[]){ "ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=3", "-T", "--",
						 "fd00::1", "docker", "system", "dial-stdio", NULL });
	assert_int_equal(nc_engine_ssh_argv(&t, 0, opt, sizeof(opt), argv, NC_SSH_ARGV_MAX), 11);
	assert_string_equal(argv[4], "ConnectTimeout=1");
	/* what the parser refuses is refused here too; no room: said */
	t = (nc_ssh_target_t){ .host = "-oProxyCommand=x" };
	assert_int_equal(nc_engine_ssh_argv(&t, 0, opt, sizeof(opt), argv, NC_SSH_ARGV_MAX), -EINVAL);
	t = (nc_ssh_target_t){ .user = "-x", .host = "h" };
	assert_int_equal(nc_engine_ssh_argv(&t, 0, opt, sizeof(opt), argv, NC_SSH_ARGV_MAX), -EINVAL);
	t = (nc_ssh_target_t){ .host = "h" };
	assert_int_equal(nc_engine_ssh_argv(&t, 0, opt, sizeof(opt), argv, 5), -ENOSPC);
}

/* --- the transport, with a fake ssh ------------------------------------------- */

/* Records its argv (one line per child), then plays NC_FAKE_SSH, or the
 * part written in its directory's file "mode" (for the next children). */
static const char fake_ssh[] =
	"#!/bin/sh\n"
	"d=$(dirname \"$0\")\n"
	"printf '%s\\n' \"$*\" >>\"$d/argv\"\n"
	"[ -f \"$d/mode\" ] && NC_FAKE_SSH=$(cat \"$d/mode\")\n"
	"case \"$NC_FAKE_SSH\" in\n"
	"denied)\n"
	"  echo \"Warning: Permanently added 'build-host' (ED25519) to the list of known hosts.\" >&2\n"
	"  echo 'me@build-host: Permission denied (publickey).' >&2\n"
	"  exit 255 ;;\n"
	"nodocker) echo 'bash: line 1: docker: command not found' >&2; exit 127 ;;\n"
	"noengine) echo 'failed to open the raw stream connection: dial unix /var/run/docker.sock: connect: "
	"no such file or directory' >&2; exit 1 ;;\n"
	"hang) exec sleep 30 ;;\n"
	"esac\n"
	/* an engine: every request on this one connection, until EOF */
	"cr=$(printf '\\r')\n"
	"while read -r method path proto; do\n"
	"  while read -r h; do [ \"$h\" = \"$cr\" ] || [ -z \"$h\" ] && break; done\n"
	"  body=\"{\\\"ApiVersion\\\":\\\"1.41\\\",\\\"Version\\\":\\\"20.10.24\\\",\\\"path\\\":\\\"$path\\\"}\"\n"
	"  printf 'HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n%s' "
	"${#body} \"$body\"\n"
	/* once: the connection drops after one answer, as an idle one can */
	"  [ \"$NC_FAKE_SSH\" = once ] && { echo 'Connection to build-host closed by remote host.' >&2; : >\"$d/gone\"; exit 255; }\n"
	"done\n";

struct fake {
	char dir[64];
	char old_path[4096];
	char old_xdg[4096];
	bool had_xdg;
};

static struct fake fake;

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake.dir, name);
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* The fake ssh first on PATH; the engine's private directory inside ours. */
static int setup_fake(void **state)
{
	const char *path = getenv("PATH"), *xdg = getenv("XDG_RUNTIME_DIR");
	char newpath[4200];
	(void)state;

	snprintf(fake.dir, sizeof(fake.dir), "/tmp/netcheck-test-ssh-XXXXXX");
	if (mkdtemp(fake.dir) == NULL)
		return -1;
	write_file("ssh", fake_ssh, 0755);
	snprintf(fake.old_path, sizeof(fake.old_path), "%s", path != NULL ? path : "/usr/bin:/bin");
	fake.had_xdg = xdg != NULL;
	snprintf(fake.old_xdg, sizeof(fake.old_xdg), "%s", xdg != NULL ? xdg : "");
	snprintf(newpath, sizeof(newpath), "%s:%s", fake.dir, fake.old_path);
	setenv("PATH", newpath, 1);
	setenv("XDG_RUNTIME_DIR", fake.dir, 1);
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path) == 0 ? 0 : -1;
}

/* Everything goes, also after a failed assertion left an engine unfreed
 * (a test that passes has checked with expect_clean() that nothing was
 * left). */
static int teardown_fake(void **state)
{
	(void)state;

	setenv("PATH", fake.old_path, 1);
	if (fake.had_xdg)
		setenv("XDG_RUNTIME_DIR", fake.old_xdg, 1);
	else
		unsetenv("XDG_RUNTIME_DIR");
	unsetenv("NC_FAKE_SSH");
	return nftw(fake.dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* How many children the fake ssh was started as */
static size_t children_started(char *first, size_t len)
{
	char path[128], line[512];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/argv", fake.dir);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (n++ == 0 && first != NULL)
			snprintf(first, len, "%.*s", (int)strcspn(line, "\n"), line);
	fclose(f);
	return n;
}

/* Nothing left of the engine: no child of ours (all reaped), and only the
 * fake's own files in its directory. */
static void expect_clean(void)
{
	struct dirent *d;
	DIR *dir;

	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	dir = opendir(fake.dir);
	assert_non_null(dir);
	while ((d = readdir(dir)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0 && strcmp(d->d_name, "ssh") != 0 &&
		    strcmp(d->d_name, "argv") != 0 && strcmp(d->d_name, "mode") != 0 &&
		    strcmp(d->d_name, "gone") != 0)
			fail_msg("left behind in %s: %s", fake.dir, d->d_name);
	closedir(dir);
}

static nc_engine_t *ssh_engine(const char *mode, long timeout_ms)
{
	nc_engine_options_t opt = { .timeout_ms = timeout_ms, .connect_timeout_ms = timeout_ms };
	nc_error_t err = { "" };
	nc_engine_t *e = NULL;

	setenv("NC_FAKE_SSH", mode, 1);
	if (nc_engine_new("ssh://me@build-host:2222", &opt, &e, &err) != 0)
		fail_msg("nc_engine_new: %s", err.text);
	return e;
}

/* A negotiation, then a batch of four: all on the one child, one after
 * another, each GET with its own answer. */
static void test_fake_engine(void **state)
{
	nc_engine_get_t gets[4] = { { .path = "/info" }, { .path = "/images/x/json" }, { .path = "/networks/bridge" },
				    { .path = "/containers/json?all=1" } };
	nc_engine_version_t v;
	nc_error_t err = { "" };
	char first[512];
	nc_engine_t *e;
	(void)state;

	json_set_alloc_funcs(json_test_malloc, json_test_free);
	e = ssh_engine("engine", 5000);
	assert_int_equal(children_started(NULL, 0), 0); /* nothing started before the first call */
	if (nc_engine_negotiate(e, &v, &err) != 0)
		fail_msg("negotiate: %s", err.text);
	assert_string_equal(v.api_version, "1.41");
	assert_int_equal(nc_engine_get_all(e, gets, NC_ARRAY_SIZE(gets)), 0);
	for (size_t i = 0; i < NC_ARRAY_SIZE(gets); i++) {
		char want[128];

		if (gets[i].result != 0)
			fail_msg("%s: %s", gets[i].path, gets[i].err.text);
		snprintf(want, sizeof(want), "/v1.41%s", gets[i].path);
		assert_string_equal(json_string_value(json_object_get(gets[i].json, "path")), want);
		json_decref(gets[i].json);
	}
	assert_int_equal(children_started(first, sizeof(first)), 1);
	assert_string_equal(first, "-l me -p 2222 -o BatchMode=yes -o ConnectTimeout=5 -T -- build-host docker "
				   "system dial-stdio");
	nc_engine_free(e);
	expect_clean();
}

/* Each failure of the child is one line with its own words and code. */
static void test_fake_failures(void **state)
{
	static const struct {
		const char *mode;
		int code;
		const char *says[2];
	} cases[] = {
		{ "denied", NC_EENGINE, { "ssh login failed", "me@build-host: Permission denied (publickey)." } },
		{ "nodocker", NC_EENGINE, { "no docker on build-host's PATH", "docker: command not found" } },
		{ "noengine", NC_EENGINE, { "`docker system dial-stdio` failed on build-host (exit 1)", "dial unix" } },
	};
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(cases); i++) {
		nc_engine_version_t v;
		nc_error_t err = { "" };
		nc_engine_t *e = ssh_engine(cases[i].mode, 5000);

		assert_int_equal(nc_engine_negotiate(e, &v, &err), cases[i].code);
		for (size_t k = 0; k < NC_ARRAY_SIZE(cases[i].says); k++)
			if (strstr(err.text, cases[i].says[k]) == NULL)
				fail_msg("%s: \"%s\" does not say \"%s\"", cases[i].mode, err.text, cases[i].says[k]);
		assert_non_null(strstr(err.text, "ssh://me@build-host:2222"));
		assert_null(strchr(err.text, '\n'));
		nc_engine_free(e);
		expect_clean();
	}
}

/* A host that never answers: the call ends at its timeout, and the child,
 * still waiting, is killed and reaped by nc_engine_free(). */
static void test_fake_hang(void **state)
{
	nc_engine_version_t v;
	nc_error_t err = { "" };
	nc_engine_t *e = ssh_engine("hang", 300);
	uint64_t t0, t1, t2;
	struct timespec ts;
	(void)state;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	assert_int_equal(nc_engine_negotiate(e, &v, &err), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	nc_engine_free(e);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t2 = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (t1 - t0 > 2000 || t2 - t1 > 1000)
		fail_msg("the call took %llu ms, the free %llu ms", (unsigned long long)(t1 - t0),
			 (unsigned long long)(t2 - t1));
	expect_clean();
}

/* An attach stream: a child of its own outside libcurl, carrying the
 * upgrade request and what follows; ended by nc_engine_free() when the
 * caller has not closed it. */
static void test_fake_attach(void **state)
{
	nc_engine_version_t v;
	nc_error_t err = { "" };
	nc_engine_t *e = ssh_engine("engine", 5000);
	char buf[512] = "";
	size_t len = 0;
	int fd = -1;
	(void)state;

	if (nc_engine_negotiate(e, &v, &err) != 0)
		fail_msg("negotiate: %s", err.text);
	if (nc_engine_container_attach(e, "c1", &fd, &err) != 0)
		fail_msg("attach: %s", err.text);
	assert_true(fd >= 0);
	assert_int_equal(children_started(NULL, 0), 2); /* the calls' connection and the stream's */
	/* the fake answered 200 with the request's path as the body: the stream */
	for (int i = 0; i < 500 && strstr(buf, "}") == NULL && len + 1 < sizeof(buf); i++) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n > 0)
			len += (size_t)n;
		else
			usleep(10000);
		buf[len] = '\0';
	}
	assert_non_null(strstr(buf, "\"path\":\"/v1.41/containers/c1/attach?stream=1"));
	nc_engine_free(e); /* the stream's child still there: killed and reaped */
	close(fd);
	expect_clean();
}

/* An attach stream whose ssh fails says why in ssh's words, as the calls
 * do: a refused login, no docker on the far side. */
static void test_fake_attach_fails(void **state)
{
	static const struct {
		const char *mode, *says;
	} cases[] = {
		{ "denied", "ssh login failed: me@build-host: Permission denied (publickey)." },
		{ "nodocker", "no docker on build-host's PATH" },
	};
	(void)state;

	for (size_t i = 0; i < NC_ARRAY_SIZE(cases); i++) {
		nc_error_t err = { "" };
		nc_engine_t *e = ssh_engine(cases[i].mode, 5000);
		int fd = -1;

		assert_int_equal(nc_engine_container_attach(e, "c1", &fd, &err), NC_EENGINE);
		assert_int_equal(fd, -1);
		if (strstr(err.text, cases[i].says) == NULL)
			fail_msg("%s: \"%s\" does not say \"%s\"", cases[i].mode, err.text, cases[i].says);
		assert_null(strstr(err.text, "no answer from the engine"));
		nc_engine_free(e);
		expect_clean();
	}
}

/* An idle connection's ssh that died is not the story of a later call:
 * the next call goes on a new child (here one that never answers) and
 * fails for its own reason. */
static void test_fake_stale_failure(void **state)
{
	nc_engine_info_t info;
	nc_engine_version_t v;
	nc_error_t err = { "" };
	nc_engine_t *e = ssh_engine("once", 400);
	char gone[128];
	(void)state;

	if (nc_engine_negotiate(e, &v, &err) != 0)
		fail_msg("negotiate: %s", err.text);
	write_file("mode", "hang\n", 0644);
	/* the first child is gone (it says so just before it exits) before
	 * the next call: else that call may go out on the dying connection,
	 * whose end is then its story */
	snprintf(gone, sizeof(gone), "%s/gone", fake.dir);
	for (int i = 0; i < 500 && access(gone, F_OK) != 0; i++)
		usleep(10000);
	assert_int_equal(access(gone, F_OK), 0);
	usleep(100000);
	assert_int_equal(nc_engine_info(e, &info, &err), -ETIMEDOUT);
	if (strstr(err.text, "closed by remote host") != NULL)
		fail_msg("the first child's end told as the second call's: %s", err.text);
	assert_int_equal(children_started(NULL, 0), 2);
	nc_engine_free(e);
	expect_clean();
}

/* No ssh on PATH: posix_spawnp() says so (ENOENT) at the first call and
 * at an attach, each one line saying what to install. */
static void test_no_ssh(void **state)
{
	nc_engine_options_t opt = { .timeout_ms = 1000 };
	nc_engine_version_t v;
	nc_error_t err = { "" };
	nc_engine_t *e = NULL;
	int fd = -1;
	(void)state;

	setenv("PATH", "/nonexistent", 1);
	/* a bad URL is said at once */
	assert_int_equal(nc_engine_new("ssh://-oProxyCommand=x", &opt, &e, &err), -EINVAL);
	assert_null(e);
	if (nc_engine_new("ssh://me@build-host", &opt, &e, &err) != 0)
		fail_msg("nc_engine_new: %s", err.text);
	assert_int_equal(nc_engine_negotiate(e, &v, &err), -ENOENT);
	assert_non_null(strstr(err.text, "no ssh on PATH"));
	assert_non_null(strstr(err.text, "openssh-client"));
	assert_non_null(strstr(err.text, "ssh://me@build-host"));
	err.text[0] = '\0';
	assert_int_equal(nc_engine_container_attach(e, "c1", &fd, &err), -ENOENT);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err.text, "no ssh on PATH"));
	nc_engine_free(e);
	expect_clean();
}

/* Every child slot taken by a stream: the next is refused at once with
 * EAGAIN and says so (not "Too many open files"); one closed frees one. */
static void test_fake_all_in_use(void **state)
{
	nc_engine_version_t v;
	nc_error_t err = { "" };
	nc_engine_t *e = ssh_engine("engine", 5000);
	int fds[16], fd = -1;
	(void)state;

	if (nc_engine_negotiate(e, &v, &err) != 0)
		fail_msg("negotiate: %s", err.text);
	/* the calls' connection holds one slot while libcurl keeps it */
	for (size_t i = 0; i < NC_ARRAY_SIZE(fds); i++)
		fds[i] = -1;
	for (size_t i = 0; i < NC_ARRAY_SIZE(fds); i++) {
		if (nc_engine_container_attach(e, "c1", &fds[i], &err) != 0) {
			assert_int_equal(i, NC_ARRAY_SIZE(fds) - 1);
			break;
		}
	}
	assert_int_equal(nc_engine_container_attach(e, "c1", &fd, &err), -EAGAIN);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err.text, "all 16 ssh connections are in use"));
	assert_null(strstr(err.text, "open files"));
	nc_engine_free(e); /* the streams' children killed and reaped */
	for (size_t i = 0; i < NC_ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	expect_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_argv),
		cmocka_unit_test_setup_teardown(test_fake_engine, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_fake_failures, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_fake_hang, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_fake_stale_failure, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_fake_attach, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_fake_attach_fails, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_no_ssh, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_fake_all_in_use, setup_fake, teardown_fake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
