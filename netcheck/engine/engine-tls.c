/* A raw two-way stream to a TLS engine (tcp:// with DOCKER_CERT_PATH and
 * DOCKER_TLS_VERIFY, https://), for an attach stream: libcurl cannot hand
 * an upgraded connection over, and its TLS is the engine's (the same
 * certificates as every call).  libcurl makes the connection and nothing
 * more (CURLOPT_CONNECT_ONLY); a thread of its own then pumps bytes
 * between it (curl_easy_send/recv) and one end of a socketpair, and the
 * caller gets the other end: a plain socket, as from a unix:// engine, on
 * which engine-attach.c writes its request and reads its answer.
 * The pump ends when the caller closes its end, when the engine closes
 * the connection, or when the engine handle is freed (nc_engine_tls_free).
 * Ownership: a pump is its engine's (e->tls_pumps) from the connect until
 * it is reaped; its thread borrows it until it ends, and says it is done
 * just before it shuts the caller's end.  The thread that uses the engine
 * reaps (joins, closes, frees): at the next nc_engine_tls_connect every
 * pump whose thread is done, so a long-lived engine (watch) keeps no
 * ended thread, connection or fd; in nc_engine_tls_free all of them.
 * May call: libcurl, libuv (the thread), libc. */
#include "engine-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netcheck/testing.h"

#define PUMP_CHUNK 16384
#define PUMP_POLL_MS 1000 /* a bound on each wait: the loop re-checks both ends */

struct nc_engine_tls_pump {
	CURL *h;                          /* owned: the connection, used by the thread only */
	curl_socket_t tls_fd;             /* the connection's socket (libcurl's) */
	int fd;                           /* owned: the pump's end of the socketpair */
	uv_thread_t thread;
	atomic_bool done;                 /* set by the thread once its loop is over: a join waits for its last shutdown() alone */
	struct nc_engine_tls_pump *next;  /* the engine's list */
};

/* All of buf to the TLS connection; false when it is gone. */
static bool send_tls(struct nc_engine_tls_pump *p, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		size_t sent = 0;
		CURLcode c = curl_easy_send(p->h, buf, n, &sent);

		if (c == CURLE_AGAIN) {
			/* the caller's end hung up meanwhile (the handle freed): give up */
			struct pollfd w[2] = { { .fd = p->tls_fd, .events = POLLOUT }, { .fd = p->fd, .events = 0 } };

			if ((poll(w, 2, PUMP_POLL_MS) < 0 && errno != EINTR) || (w[1].revents & (POLLHUP | POLLERR)) != 0)
				return false;
			continue;
		}
		if (c != CURLE_OK)
			return false;
		buf += sent;
		n -= sent;
	}
	return true;
}

static bool write_all(int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
	}
	return true;
}

/* Everything TLS has for us now (what it decrypted may exceed what the
 * socket showed): false when the engine closed or the caller is gone. */
static bool drain_tls(struct nc_engine_tls_pump *p, uint8_t *buf)
{
	for (;;) {
		size_t got = 0;
		CURLcode c = curl_easy_recv(p->h, buf, PUMP_CHUNK, &got);

		if (c == CURLE_AGAIN)
			return true;
		if (c != CURLE_OK || got == 0)
			return false;
		if (!write_all(p->fd, buf, got))
			return false;
	}
}

static void pump(void *arg)
{
	struct nc_engine_tls_pump *p = arg;
	uint8_t buf[PUMP_CHUNK];

	/* an answer may have come with the handshake already */
	if (!drain_tls(p, buf))
		goto out;
	for (;;) {
		struct pollfd w[2] = { { .fd = p->fd, .events = POLLIN }, { .fd = p->tls_fd, .events = POLLIN } };
		int n = poll(w, 2, PUMP_POLL_MS);

		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (w[0].revents != 0) {
			ssize_t r = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				break; /* the caller closed its end, or the engine handle was freed */
			if (r > 0 && !send_tls(p, buf, (size_t)r))
				break;
		}
		if (w[1].revents != 0 && !drain_tls(p, buf))
			break;
	}
out:
	/* before the caller can read EOF: whoever saw it reaps this pump at
	 * the next connect, and the join then waits for the shutdown alone */
	atomic_store(&p->done, true);
	/* the caller reads EOF from here on */
	shutdown(p->fd, SHUT_RDWR);
}

/* Ends p's thread (its end shut: the pump reads EOF, if it still runs),
 * joins it, and frees what it owned. */
static void pump_free(struct nc_engine_tls_pump *p)
{
	shutdown(p->fd, SHUT_RDWR);
	(void)uv_thread_join(&p->thread);
	close(p->fd);
	curl_easy_cleanup(p->h);
	free(p);
}

/* Frees e's pumps whose thread is done; with all, every pump. */
static void reap(nc_engine_t *e, bool all)
{
	struct nc_engine_tls_pump **link = &e->tls_pumps;

	while (*link != NULL) {
		struct nc_engine_tls_pump *p = *link;

		if (!all && !atomic_load(&p->done)) {
			link = &p->next;
			continue;
		}
		*link = p->next;
		pump_free(p);
	}
}

size_t nc_engine_tls_streams(const nc_engine_t *e)
{
	size_t n = 0;

	for (const struct nc_engine_tls_pump *p = e->tls_pumps; p != NULL; p = p->next)
		n++;
	return n;
}

int nc_engine_tls_connect(nc_engine_t *e, int *ret_fd, nc_error_t *err)
{
	struct nc_engine_tls_pump *p;
	char errbuf[CURL_ERROR_SIZE] = "";
	int sv[2];
	CURLcode c;

	reap(e, false); /* the streams that ended since the last one */
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	atomic_init(&p->done, false);
	p->fd = -1;
	p->h = curl_easy_init();
	if (p->h == NULL) {
		free(p);
		return -ENOMEM;
	}
	curl_easy_setopt(p->h, CURLOPT_URL, e->base);
	curl_easy_setopt(p->h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(p->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(p->h, CURLOPT_CONNECTTIMEOUT_MS, e->opt.connect_timeout_ms);
	curl_easy_setopt(p->h, CURLOPT_PROTOCOLS_STR, "https");
	nc_engine_tls_setopt(e, p->h);
	c = curl_easy_perform(p->h);
	/* errbuf is this frame's: the pump's later sends and receives must
	 * not write into it */
	curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, NULL);
	if (c == CURLE_OK)
		c = curl_easy_getinfo(p->h, CURLINFO_ACTIVESOCKET, &p->tls_fd);
	if (c == CURLE_OK && p->tls_fd != CURL_SOCKET_BAD)
		(void)fcntl(p->tls_fd, F_SETFD, FD_CLOEXEC); /* libcurl makes it without: no child inherits it */
	if (c != CURLE_OK || p->tls_fd == CURL_SOCKET_BAD) {
		curl_easy_cleanup(p->h);
		free(p);
		return nc_error_set(err, c == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED,
				    "cannot attach through the engine at %s: %s", e->url,
				    errbuf[0] ? errbuf : curl_easy_strerror(c));
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		int r = -errno;

		curl_easy_cleanup(p->h);
		free(p);
		return nc_error_set(err, r, "socketpair: %s", strerror(-r));
	}
	p->fd = sv[1];
	if (uv_thread_create(&p->thread, pump, p) != 0) {
		close(sv[0]);
		close(sv[1]);
		curl_easy_cleanup(p->h);
		free(p);
		return nc_error_set(err, -EAGAIN, "no thread for the attach stream");
	}
	p->next = e->tls_pumps;
	e->tls_pumps = p;
	*ret_fd = sv[0];
	return 0;
}

void nc_engine_tls_setopt(const nc_engine_t *e, CURL *h)
{
	if (e->cert[0] == '\0')
		return;
	curl_easy_setopt(h, CURLOPT_SSLCERT, e->cert);
	curl_easy_setopt(h, CURLOPT_SSLKEY, e->key);
	curl_easy_setopt(h, CURLOPT_CAINFO, e->ca);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, e->opt.tls_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, e->opt.tls_verify ? 2L : 0L);
}

void nc_engine_tls_free(nc_engine_t *e)
{
	reap(e, true);
}
