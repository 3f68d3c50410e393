/* Unit tests for engine-attach.c: the engine's stdout/stderr framing taken
 * apart however the bytes are cut, a bad header refused; and an attach
 * against a unix socket served by a child process: the upgrade request it
 * sends, the stream after the head left unread, a refusal classified; a
 * TLS engine's streams (a child plays the engine with OpenSSL) reaped once
 * they ended. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/types.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cmocka.h>

#include "netcheck/engine.h"
#include "engine-internal.h"

struct collected {
	char out[256], err[256];
	size_t out_len, err_len;
};

static int collect(int stream, const uint8_t *bytes, size_t n, void *data)
{
	struct collected *c = data;
	char *buf = stream == 1 ? c->out : c->err;
	size_t *len = stream == 1 ? &c->out_len : &c->err_len;

	assert_true(*len + n < sizeof(c->out));
	memcpy(buf + *len, bytes, n);
	*len += n;
	return 0;
}

static const uint8_t frames[] = {
	1, 0, 0, 0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o',
	2, 0, 0, 0, 0, 0, 0, 3, 'e', 'r', 'r',
	1, 0, 0, 0, 0, 0, 0, 0,
	1, 0, 0, 0, 0, 0, 0, 6, ' ', 'w', 'o', 'r', 'l', 'd',
};

static void test_demux(void **state)
{
	(void)state;
	/* every split of the stream into two reads gives the same payloads */
	for (size_t cut = 0; cut <= sizeof(frames); cut++) {
		nc_engine_demux_t d = { .header_len = 0 };
		struct collected c = { .out_len = 0 };

		assert_int_equal(nc_engine_demux_feed(&d, frames, cut, collect, &c), 0);
		assert_int_equal(nc_engine_demux_feed(&d, frames + cut, sizeof(frames) - cut, collect, &c), 0);
		assert_int_equal(c.out_len, 11);
		assert_memory_equal(c.out, "hello world", 11);
		assert_int_equal(c.err_len, 3);
		assert_memory_equal(c.err, "err", 3);
		assert_int_equal(d.left, 0);
	}
	{
		const uint8_t bad[] = { 7, 0, 0, 0, 0, 0, 0, 1, 'x' };
		nc_engine_demux_t d = { .header_len = 0 };
		struct collected c = { .out_len = 0 };

		assert_int_equal(nc_engine_demux_feed(&d, bad, sizeof(bad), collect, &c), -EPROTO);
	}
}

/* A one-shot engine on the listening lfd (closed here): reads the request
 * head, answers with answer, a byte every byte_us (0: at once). */
static pid_t serve_on(int lfd, const char *answer, unsigned byte_us, int *ret_req_pipe)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char req[2048];
		size_t len = 0;
		int c = accept(lfd, NULL, NULL);

		while (c >= 0 && len + 1 < sizeof(req)) {
			ssize_t n = read(c, req + len, 1);

			if (n <= 0)
				break;
			len += (size_t)n;
			if (len >= 4 && memcmp(req + len - 4, "\r\n\r\n", 4) == 0)
				break;
		}
		if (write(p[1], req, len) < 0)
			_exit(1);
		for (size_t i = 0; i < strlen(answer); i += byte_us ? 1 : strlen(answer)) {
			if (write(c, answer + i, byte_us ? 1 : strlen(answer)) < 0)
				_exit(1);
			if (byte_us)
				usleep(byte_us);
		}
		_exit(0);
	}
	close(lfd);
	close(p[1]);
	*ret_req_pipe = p[0];
	return pid;
}

static pid_t serve(const char *path, const char *answer, int *ret_req_pipe)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(lfd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	return serve_on(lfd, answer, 0, ret_req_pipe);
}

/* A TCP listener on 127.0.0.1, an ephemeral port, with backlog. */
static int tcp_listener(int backlog, struct sockaddr_in *ret)
{
	socklen_t len = sizeof(*ret);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(ret, 0, sizeof(*ret));
	ret->sin_family = AF_INET;
	ret->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)ret, sizeof(*ret)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)ret, &len), 0);
	return fd;
}

static long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every address is tried, each bounded: one that refuses, one that never
 * answers (a listener whose accept queue is full drops the SYN), then one
 * that takes it; and alone, the silent one ends at the timeout. */
static void test_connect_addrs(void **state)
{
	struct sockaddr_in refused, silent, good;
	struct addrinfo a[3];
	int closed_fd, silent_fd, good_fd, queued, fd = -1;
	long t0;

	(void)state;
	closed_fd = tcp_listener(1, &refused);
	close(closed_fd); /* its port now refuses */
	silent_fd = tcp_listener(0, &silent);
	queued = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(queued, (struct sockaddr *)&silent, sizeof(silent)), 0); /* fills its queue */
	good_fd = tcp_listener(4, &good);
	memset(a, 0, sizeof(a));
	for (int i = 0; i < 3; i++) {
		a[i].ai_family = AF_INET;
		a[i].ai_socktype = SOCK_STREAM;
		a[i].ai_addrlen = sizeof(struct sockaddr_in);
		a[i].ai_next = i < 2 ? &a[i + 1] : NULL;
	}
	a[0].ai_addr = (struct sockaddr *)&refused;
	a[1].ai_addr = (struct sockaddr *)&silent;
	a[2].ai_addr = (struct sockaddr *)&good;

	t0 = ms_now();
	assert_int_equal(nc_engine_connect_addrs(a, 900, &fd), 0);
	assert_true(fd >= 0);
	/* the silent one had its share (about half of what was left), not all */
	assert_in_range(ms_now() - t0, 300, 800);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	a[1].ai_next = NULL;
	t0 = ms_now();
	assert_int_equal(nc_engine_connect_addrs(&a[1], 200, &fd), -ETIMEDOUT);
	assert_in_range(ms_now() - t0, 190, 600);
	assert_int_equal(nc_engine_connect_addrs(&a[0], 200, &fd), -ETIMEDOUT); /* refused, then silent */
	a[0].ai_next = NULL;
	assert_int_equal(nc_engine_connect_addrs(&a[0], 200, &fd), -ECONNREFUSED);
	close(queued);
	close(silent_fd);
	close(good_fd);
}

/* A tcp:// engine is dialled where nc_engine_new() parsed it; an engine
 * that trickles its answer's head is bounded by one deadline for the whole
 * head, not one per byte. */
static void test_attach_tcp(void **state)
{
	nc_engine_options_t opt = { .timeout_ms = 300, .connect_timeout_ms = 1000 };
	const char *ok = "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
	struct sockaddr_in sin;
	char url[64], req[2048] = "";
	nc_engine_t *e = NULL;
	nc_error_t err = { "" };
	int lfd, fd = -1, req_pipe, status;
	pid_t pid;
	long t0;

	(void)state;
	lfd = tcp_listener(1, &sin);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", ntohs(sin.sin_port));
	assert_int_equal(nc_engine_new(url, &opt, &e, &err), 0);
	pid = serve_on(lfd, ok, 0, &req_pipe);
	if (nc_engine_container_attach(e, "abc", &fd, &err) != 0)
		fail_msg("attach over %s: %s", url, err.text);
	assert_true(read(req_pipe, req, sizeof(req) - 1) > 0);
	assert_non_null(strstr(req, "/containers/abc/attach?"));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fd);
	close(req_pipe);

	/* 60 bytes of head, one per 20 ms: 1.2 s, each byte well within 300 ms */
	lfd = tcp_listener(1, &sin);
	nc_engine_free(e);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", ntohs(sin.sin_port));
	assert_int_equal(nc_engine_new(url, &opt, &e, &err), 0);
	pid = serve_on(lfd, ok, 20000, &req_pipe);
	fd = -1;
	t0 = ms_now();
	assert_int_equal(nc_engine_container_attach(e, "abc", &fd, &err), -ETIMEDOUT);
	assert_in_range(ms_now() - t0, 250, 900);
	assert_int_equal(fd, -1);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(req_pipe);
	nc_engine_free(e);

	/* an IPv6 literal keeps its colons out of the port; a bad port is refused at once */
	assert_int_equal(nc_engine_new("tcp://[::1]:2375", &opt, &e, &err), 0);
	nc_engine_free(e);
	e = NULL;
	assert_int_equal(nc_engine_new("tcp://127.0.0.1:99999", &opt, &e, &err), -EINVAL);
	assert_null(e);
}

static void test_attach(void **state)
{
	char path[64], url[80], req[2048] = "", got[16] = "";
	nc_engine_t *e = NULL;
	nc_error_t err = { "" };
	int fd = -1, req_pipe, status;
	pid_t pid;
	ssize_t n;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/nc-attach-test-%d.sock", (int)getpid());
	snprintf(url, sizeof(url), "unix://%s", path);
	assert_int_equal(nc_engine_new(url, NULL, &e, &err), 0);

	pid = serve(path, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n"
			  "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nSTREAM",
		    &req_pipe);
	assert_int_equal(nc_engine_container_attach(e, "abc", &fd, &err), 0);
	assert_true(fd >= 0);
	n = read(req_pipe, req, sizeof(req) - 1);
	assert_true(n > 0);
	assert_non_null(strstr(req, "POST "));
	assert_non_null(strstr(req, "/containers/abc/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "Upgrade: tcp\r\n"));
	/* what follows the head is the stream's, left for the caller */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	n = read(fd, got, sizeof(got) - 1);
	assert_int_equal(n, 6);
	assert_string_equal(got, "STREAM");
	close(fd);
	close(req_pipe);

	/* a container the engine does not know */
	pid = serve(path, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", &req_pipe);
	assert_true(nc_engine_container_attach(e, "nosuch", &fd, &err) < 0);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err.text, "404"));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(req_pipe);
	unlink(path);
	nc_engine_free(e);

	/* a TLS engine is dialled through libcurl (engine-tls.c): nothing
	 * listens here, so the connection is refused, said with its URL, and
	 * no fd or thread is left (integration/engine-tls.sh: a real one) */
	fd = -1;
	assert_int_equal(nc_engine_new("https://127.0.0.1:1", NULL, &e, &err), 0);
	assert_int_equal(nc_engine_container_attach(e, "abc", &fd, &err), -ECONNREFUSED);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err.text, "https://127.0.0.1:1"));
	nc_engine_free(e);
}

/* ---- a TLS engine's streams (engine-tls.c) ------------------------------ */

/* A self-signed certificate for 127.0.0.1, written to dir as ca.pem,
 * cert.pem and key.pem (DOCKER_CERT_PATH's names): the CA, the server's
 * and the client's at once. */
static void make_certs(const char *dir)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char path[256];
	FILE *f;

	assert_non_null(key);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, i == 0 ? "ca.pem" : "cert.pem");
		assert_non_null(f = fopen(path, "we"));
		assert_int_equal(PEM_write_X509(f, x), 1);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	assert_non_null(f = fopen(path, "we"));
	assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* A child that plays a TLS engine once on lfd (closed here): the
 * attach's head answered, "STREAM", then the connection closed -- at once,
 * or (hold) once the client closed its side. */
static pid_t serve_tls(int lfd, const char *dir, bool hold)
{
	pid_t pid = fork();
	char path[256], buf[2048];
	size_t len = 0;
	SSL_CTX *ctx;
	SSL *ssl;
	int c;

	assert_true(pid >= 0);
	if (pid > 0) {
		close(lfd);
		return pid;
	}
	alarm(10); /* a test that failed before it connected or closed leaves no child behind */
	ctx = SSL_CTX_new(TLS_server_method());
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	if (ctx == NULL || SSL_CTX_use_certificate_file(ctx, path, SSL_FILETYPE_PEM) != 1)
		_exit(2);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	if (SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM) != 1 || (c = accept(lfd, NULL, NULL)) < 0 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, c) != 1 || SSL_accept(ssl) != 1)
		_exit(3);
	while (len < 4 || memcmp(buf + len - 4, "\r\n\r\n", 4) != 0) {
		if (len == sizeof(buf) || SSL_read(ssl, buf + len, 1) != 1)
			_exit(4);
		len++;
	}
	len = (size_t)snprintf(buf, sizeof(buf), "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nSTREAM");
	if (SSL_write(ssl, buf, (int)len) != (int)len)
		_exit(5);
	while (hold && SSL_read(ssl, buf, sizeof(buf)) > 0)
		;
	SSL_shutdown(ssl);
	close(c);
	_exit(0);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* The certificates' folder: made before the test, removed after it
 * whether it passed or failed. */
static char tls_dir[] = "/tmp/nc-tls-test-XXXXXX";

static int setup_tls(void **state)
{
	if (mkdtemp(tls_dir) == NULL)
		return -1;
	make_certs(tls_dir);
	*state = tls_dir;
	return 0;
}

static int teardown_tls(void **state)
{
	static const char *const files[] = { "ca.pem", "cert.pem", "key.pem" };
	char path[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", (const char *)*state, files[i]);
		unlink(path);
	}
	return rmdir(*state);
}

/* A stream the engine closed is reaped at the next attach: its thread
 * joined, its connection and its end of the socketpair closed (a watch
 * attaches again and again); nc_engine_free() ends the one still open. */
static void test_attach_tls_reaped(void **state)
{
	const char *dir = *state;
	char url[64], got[16];
	nc_engine_options_t opt = { .timeout_ms = 5000, .connect_timeout_ms = 5000, .tls_verify = true };
	struct sockaddr_in sin;
	nc_engine_t *e = NULL;
	nc_error_t err = { "" };
	int lfd, fd = -1, status, ended;
	size_t len = 0;
	pid_t pid;
	ssize_t n;

	opt.cert_path = dir;
	lfd = tcp_listener(2, &sin);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u", ntohs(sin.sin_port));
	assert_int_equal(nc_engine_new(url, &opt, &e, &err), 0);

	/* the first: the engine closes it after its answer */
	pid = serve_tls(dup(lfd), dir, false);
	if (nc_engine_container_attach(e, "abc", &fd, &err) != 0)
		fail_msg("attach over %s: %s", url, err.text);
	while (len < sizeof(got) - 1 && (n = read(fd, got + len, sizeof(got) - 1 - len)) > 0)
		len += (size_t)n;
	got[len] = '\0';
	assert_string_equal(got, "STREAM");
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* ended, not reaped yet: its thread, its connection, its end */
	assert_int_equal(nc_engine_tls_streams(e), 1);
	ended = count_fds();

	/* the second reaps it: one stream held, as many fds as the first's,
	 * and the caller's end */
	pid = serve_tls(dup(lfd), dir, true);
	if (nc_engine_container_attach(e, "abc", &fd, &err) != 0)
		fail_msg("attach over %s: %s", url, err.text);
	assert_int_equal(nc_engine_tls_streams(e), 1);
	assert_int_equal(count_fds(), ended + 1);
	assert_int_equal(read(fd, got, 6), 6);
	/* freed while open: the caller's end reads EOF, the engine sees the close */
	nc_engine_free(e);
	assert_int_equal(read(fd, got, sizeof(got)), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demux),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_connect_addrs),
		cmocka_unit_test(test_attach_tcp),
		cmocka_unit_test_setup_teardown(test_attach_tls_reaped, setup_tls, teardown_tls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
