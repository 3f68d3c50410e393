/* A container's attach stream: POST /containers/ID/attach upgraded to a
 * raw two-way stream on a connection of its own (the capture agent's
 * channel: its stdout to netcheck, netcheck's requests to its stdin), and
 * the engine's multiplexed framing of stdout/stderr taken apart.
 * libcurl cannot hand an upgraded connection over, so the request is
 * written here on a plain socket: unix:// and tcp:// engines, ssh:// ones
 * on a child of their own (engine-ssh.c, whose words say why one failed),
 * TLS ones on a socketpair whose other end a thread carries over libcurl's
 * TLS (engine-tls.c).  A tcp:// engine is
 * dialled at the host and port nc_engine_new() parsed, every address of it,
 * bounded by the connect timeout.
 * May call: libc, engine.c (the URL, the API version, classification). */
#include "engine-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ATTACH_HEAD_MAX 4096

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One non-blocking connect to a, bounded by timeout_ms; the socket is left
 * blocking again.  0 with *ret_fd, or a negative errno. */
static int connect_one(const struct addrinfo *a, long timeout_ms, int *ret_fd)
{
	long deadline = now_ms() + timeout_ms;
	int fd, r = 0, soerr = 0;
	socklen_t len = sizeof(soerr);

	fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			r = -errno;
			goto fail;
		}
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			long left = deadline - now_ms();
			int ready = left > 0 ? poll(&p, 1, (int)left) : 0;

			if (ready < 0 && errno == EINTR)
				continue;
			if (ready < 0) {
				r = -errno;
				goto fail;
			}
			if (ready == 0) {
				r = -ETIMEDOUT;
				goto fail;
			}
			break;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0) {
			r = soerr != 0 ? -soerr : -errno;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return r;
}

int nc_engine_connect_addrs(const struct addrinfo *list, long timeout_ms, int *ret_fd)
{
	long deadline = now_ms() + timeout_ms;
	size_t n = 0;
	int r = -EHOSTUNREACH;

	for (const struct addrinfo *a = list; a != NULL; a = a->ai_next)
		n++;
	/* each address its share of what is left, the last all of it: one
	 * that never answers does not leave the others no time */
	for (const struct addrinfo *a = list; a != NULL; a = a->ai_next, n--) {
		long left = deadline - now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		r = connect_one(a, left / (long)n > 0 ? left / (long)n : left, ret_fd);
		if (r == 0)
			return 0;
	}
	return r;
}

static int connect_engine(nc_engine_t *e, int *ret_fd, nc_error_t *err)
{
	int fd, r;

	if (e->ssh != NULL) /* a child ssh … dial-stdio of its own */
		return nc_engine_ssh_connect(e->ssh, ret_fd, err);
	if (strncmp(e->base, "https:", 6) == 0) /* TLS through libcurl, on a thread of its own */
		return nc_engine_tls_connect(e, ret_fd, err);
	if (e->socket_path[0] != '\0') {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (strlen(e->socket_path) >= sizeof(sun.sun_path))
			return nc_error_set(err, -ENAMETOOLONG, "engine socket path too long");
		memcpy(sun.sun_path, e->socket_path, strlen(e->socket_path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return nc_error_set(err, -errno, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			r = -errno;
			close(fd);
			return nc_error_set(err, r, "connect %s: %s", e->socket_path, strerror(-r));
		}
	} else {
		/* the host and port nc_engine_new() parsed, every address of it */
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;

		if (e->tcp_host[0] == '\0')
			return nc_error_set(err, -EINVAL, "engine URL %s", e->base);
		if ((r = getaddrinfo(e->tcp_host, e->tcp_port, &hints, &ai)) != 0)
			return nc_error_set(err, -EHOSTUNREACH, "%s: %s", e->tcp_host, gai_strerror(r));
		r = nc_engine_connect_addrs(ai, e->opt.connect_timeout_ms, &fd);
		freeaddrinfo(ai);
		if (r < 0)
			return nc_error_set(err, r, "connect %s: %s", e->base, strerror(-r));
	}
	*ret_fd = fd;
	return 0;
}

/* The answer's head, one byte at a time so nothing of the stream after it
 * is read here; bounded in size and by one deadline for the whole head
 * (an engine that trickles bytes does not restart the clock). */
static int read_head(int fd, char *head, size_t size, long timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = deadline - now_ms();
		ssize_t n;
		int ready = left > 0 ? poll(&p, 1, (int)left) : 0;

		if (ready == 0)
			return -ETIMEDOUT;
		if (ready < 0 && errno != EINTR)
			return -errno;
		if (ready < 0)
			continue;
		n = read(fd, head + len, 1);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n < 0)
			continue;
		len++;
		head[len] = '\0';
		if (len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0)
			return 0;
	}
	return -EMSGSIZE;
}

/* Over ssh://, a stream that failed is most often its ssh that ended (a
 * login refused, no docker there): the child's own words, as for every
 * other call (nc_engine_ssh_explain()), with fd closed first so that it
 * ends.  Its exit may trail the EOF by a moment: asked again once after
 * 50 ms.  r stays when ssh said nothing. */
static int ssh_explained(nc_engine_t *e, int *fd, int r, nc_error_t *err)
{
	int said;

	if (e->ssh == NULL)
		return r;
	close(*fd);
	*fd = -1;
	said = nc_engine_ssh_explain(e->ssh, r == -ETIMEDOUT, err);
	if (said == 0 && r != -ETIMEDOUT) {
		struct timespec pause = { .tv_nsec = 50 * 1000000L };

		while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
			;
		said = nc_engine_ssh_explain(e->ssh, false, err);
	}
	return said < 0 ? said : r;
}

int nc_engine_container_attach(nc_engine_t *e, const char *id, int *ret_fd, nc_error_t *err)
{
	char path[NC_ENGINE_URL_MAX], req[NC_ENGINE_URL_MAX + 256], head[ATTACH_HEAD_MAX];
	long status = 0;
	int fd = -1, n, r;

	*ret_fd = -1;
	r = nc_engine_object_path(path, sizeof(path), "/containers/%s/attach?stream=1&stdin=1&stdout=1&stderr=1", id,
				  err);
	if (r < 0)
		return r;
	r = connect_engine(e, &fd, err);
	if (r < 0)
		return r;
	n = snprintf(req, sizeof(req),
		     "POST %s%s%s HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n"
		     "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
		     e->api_version[0] != '\0' ? "/v" : "", e->api_version, path);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		r = nc_error_set(err, -ENAMETOOLONG, "attach request too long");
		goto fail;
	}
	for (size_t sent = 0; sent < (size_t)n;) { /* a short send is not a failure */
		ssize_t k = send(fd, req + sent, (size_t)n - sent, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = nc_error_set(err, k < 0 ? -errno : -EIO, "attach: cannot send the request");
			r = ssh_explained(e, &fd, r, err);
			goto fail;
		}
		sent += (size_t)k;
	}
	r = read_head(fd, head, sizeof(head), nc_engine_timeout(e));
	if (r < 0) {
		nc_error_set(err, r, "attach: no answer from the engine (%s)", strerror(-r));
		r = ssh_explained(e, &fd, r, err);
		goto fail;
	}
	if (sscanf(head, "HTTP/1.%*d %ld", &status) != 1) {
		r = nc_error_set(err, -EPROTO, "attach: not an HTTP answer");
		goto fail;
	}
	if (status != 101 && status != 200) {
		r = nc_engine_classify(status, "POST", path, NULL);
		nc_error_set(err, r, "attach to %.64s: the engine answered %ld", id, status);
		goto fail;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		r = nc_error_set(err, -errno, "fcntl: %s", strerror(errno));
		goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

/* The engine's frames (no TTY): u8 stream (0 stdin, 1 stdout, 2 stderr),
 * 3 zero bytes, u32 big-endian length, then that many bytes. */
int nc_engine_demux_feed(nc_engine_demux_t *d, const uint8_t *in, size_t n, nc_engine_demux_fn cb, void *data)
{
	while (n > 0) {
		if (d->left == 0) {
			size_t take = sizeof(d->header) - d->header_len;

			if (take > n)
				take = n;
			memcpy(d->header + d->header_len, in, take);
			d->header_len += take;
			in += take;
			n -= take;
			if (d->header_len < sizeof(d->header))
				break;
			d->header_len = 0;
			if (d->header[0] > 2 || d->header[1] != 0 || d->header[2] != 0 || d->header[3] != 0)
				return -EPROTO;
			d->stream = d->header[0];
			d->left = ((uint32_t)d->header[4] << 24) | ((uint32_t)d->header[5] << 16) |
				  ((uint32_t)d->header[6] << 8) | d->header[7];
			continue;
		}
		{
			size_t take = n < d->left ? n : d->left;
			int r = cb(d->stream, in, take, data);

			if (r < 0)
				return r;
			d->left -= (uint32_t)take;
			in += take;
			n -= take;
		}
	}
	return 0;
}
