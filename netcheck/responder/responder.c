/* netcheck responder: the only program in the test container.
 *
 * Answers `GET /<nonce>` with what it saw of the connection (peer and local
 * address, hostname, eth0's ifindex/iflink), so netcheck can prove which
 * path a probe took and which container answered.  Built fully static
 * (`gcc -static`), so it may use no NSS (getaddrinfo, getpwnam...).
 *
 * Owns one listening socket and at most CONN_MAX connections, served from
 * one ppoll() loop; each connection has a hard deadline so a slow client
 * cannot hold a slot.  SIGTERM/SIGINT end the loop and exit 0 (docker stop
 * must be fast; as PID 1 a default SIGTERM would be ignored).  May call
 * http-parse.c and libc only.  Prints only fatal startup errors. */
#include "http-parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/testing.h"

#define DEFAULT_PORT 80
#define LISTEN_BACKLOG 128
#define CONN_MAX 64
#define CONN_DEADLINE_MS 5000 /* from accept to the last byte of the answer */
#define LINGER_MS 1000        /* after the answer: wait for the client's FIN */
#define ACCEPT_PAUSE_MS 100   /* after EMFILE and friends */
#define IFACE_DIR "/sys/class/net/eth0/"
#define IFACE_VALUE_MAX 32    /* bytes read from a sysfs attribute */

typedef enum conn_state {
	CONN_FREE = 0,
	CONN_READING,
	CONN_WRITING,
	CONN_DRAINING,
} conn_state_t;

typedef struct conn {
	int fd; /* owned; -1 when free */
	conn_state_t state;
	int64_t deadline_ms;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	size_t in_len;
	char in[NC_RESPONDER_REQUEST_MAX];
	size_t out_len;
	size_t out_sent;
	char out[NC_RESPONDER_ANSWER_MAX];
} conn_t;

typedef struct server {
	int listen_fd; /* owned */
	int family;    /* of listen_fd */
	int64_t accept_paused_until_ms;
	size_t n_conns;
	conn_t conns[CONN_MAX];
} server_t;

/* The one global: written by the signal handler, read by the loop. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* s: borrowed.  Decimal 1..65535, nothing else. */
static int parse_port(const char *s, uint16_t *ret_port)
{
	unsigned long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
		return -EINVAL;
	*ret_port = (uint16_t)v;
	return 0;
}

/* -1 if the attribute cannot be read or is not a small integer. */
static int read_iface_int(const char *path)
{
	char buf[IFACE_VALUE_MAX];
	ssize_t n;
	long v;
	char *end;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

static int open_socket(int family, uint16_t port, int *ret_fd)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t ss_len;
	int one = 1, zero = 0;
	int fd, r;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		/* one socket for both families; the sysctl default may be 1 */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
			goto fail;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons(port);
		ss_len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons(port);
		ss_len = sizeof(*sin);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, ss_len) < 0)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	*ret_fd = fd;
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

/* AF_INET6 dual-stack first; AF_INET when the container has no IPv6. */
static int server_listen(server_t *s, uint16_t port)
{
	int r;

	r = open_socket(AF_INET6, port, &s->listen_fd);
	if (r == 0) {
		s->family = AF_INET6;
		return 0;
	}
	r = open_socket(AF_INET, port, &s->listen_fd);
	if (r == 0)
		s->family = AF_INET;
	return r;
}

static void conn_close(server_t *s, conn_t *c)
{
	if (c->state == CONN_FREE)
		return;
	close(c->fd);
	c->fd = -1;
	c->state = CONN_FREE;
	s->n_conns--;
}

/* Answer for a complete (or hopeless) request in c->in. */
static void conn_prepare_answer(conn_t *c, int parsed, const char *nonce)
{
	char hostname[HOST_NAME_MAX + 1] = "";
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	nc_responder_facts_t facts;
	int n = -EINVAL;

	if (parsed == 0) {
		if (getsockname(c->fd, (struct sockaddr *)&local, &local_len) < 0)
			local_len = 0;
		if (gethostname(hostname, sizeof(hostname)) < 0)
			hostname[0] = '\0';
		hostname[sizeof(hostname) - 1] = '\0';
		facts = (nc_responder_facts_t){
			.peer = (const struct sockaddr *)&c->peer,
			.peer_len = c->peer_len,
			.local = (const struct sockaddr *)&local,
			.local_len = local_len,
			.hostname = hostname,
			.nonce = nonce,
			.iflink = read_iface_int(IFACE_DIR "iflink"),
			.ifindex = read_iface_int(IFACE_DIR "ifindex"),
		};
		n = nc_responder_format_answer(&facts, c->out, sizeof(c->out));
		if (n < 0)
			n = nc_responder_format_error(500, c->out, sizeof(c->out));
	} else {
		n = nc_responder_format_error(nc_responder_status_for(parsed), c->out, sizeof(c->out));
	}
	/* both formats fit NC_RESPONDER_ANSWER_MAX by construction */
	c->out_len = n > 0 ? (size_t)n : 0;
	c->out_sent = 0;
	c->state = CONN_WRITING;
}

static void conn_on_readable(server_t *s, conn_t *c)
{
	char nonce[NC_RESPONDER_NONCE_MAX + 1];
	ssize_t n;
	int r;

	do
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		/* reset, or EOF before a whole request: nobody to answer */
		conn_close(s, c);
		return;
	}
	c->in_len += (size_t)n;
	r = nc_responder_parse_request(c->in, c->in_len, nonce, sizeof(nonce));
	if (r == -EAGAIN && c->in_len < sizeof(c->in))
		return;
	if (r == -EAGAIN)
		r = -EMSGSIZE; /* the parser's bound and ours agree; be sure */
	conn_prepare_answer(c, r, nonce);
}

static void conn_on_writable(server_t *s, conn_t *c, int64_t now)
{
	ssize_t n;

	while (c->out_sent < c->out_len) {
		n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(s, c);
			return;
		}
		c->out_sent += (size_t)n;
	}
	/* Closing with unread request bytes would send RST and could destroy
	 * the answer in flight; send FIN and read until the client's. */
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_DRAINING;
	c->deadline_ms = now + LINGER_MS;
}

static void conn_on_drainable(server_t *s, conn_t *c)
{
	ssize_t n;

	for (;;) {
		n = recv(c->fd, c->in, sizeof(c->in), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(s, c);
			return;
		}
	}
}

static void server_accept(server_t *s, int64_t now)
{
	while (s->n_conns < CONN_MAX) {
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof(peer);
		conn_t *c = NULL;
		int fd;

		fd = accept4(s->listen_fd, (struct sockaddr *)&peer, &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				s->accept_paused_until_ms = now + ACCEPT_PAUSE_MS;
			return;
		}
		for (size_t i = 0; i < CONN_MAX; i++) {
			if (s->conns[i].state == CONN_FREE) {
				c = &s->conns[i];
				break;
			}
		}
		/* n_conns < CONN_MAX guarantees a free slot */
		c->fd = fd;
		c->state = CONN_READING;
		c->deadline_ms = now + CONN_DEADLINE_MS;
		c->peer = peer;
		c->peer_len = peer_len;
		c->in_len = 0;
		c->out_len = 0;
		c->out_sent = 0;
		s->n_conns++;
	}
}

/* Runs until a stop signal.  Returns 0 or a negative errno. */
static int server_run(server_t *s, const sigset_t *wait_mask)
{
	struct pollfd pfds[CONN_MAX + 1];
	conn_t *owners[CONN_MAX + 1];

	while (stop_signal == 0) {
		int64_t now = now_ms(), wake = INT64_MAX;
		struct timespec timeout;
		nfds_t n = 0;
		int r;

		for (size_t i = 0; i < CONN_MAX; i++) {
			conn_t *c = &s->conns[i];

			if (c->state == CONN_FREE)
				continue;
			if (c->deadline_ms <= now) {
				conn_close(s, c);
				continue;
			}
			if (c->deadline_ms < wake)
				wake = c->deadline_ms;
			pfds[n] = (struct pollfd){
				.fd = c->fd,
				.events = c->state == CONN_WRITING ? POLLOUT : POLLIN,
			};
			owners[n++] = c;
		}
		if (s->n_conns < CONN_MAX) {
			if (s->accept_paused_until_ms > now) {
				if (s->accept_paused_until_ms < wake)
					wake = s->accept_paused_until_ms;
			} else {
				pfds[n] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
				owners[n++] = NULL;
			}
		}
		if (wake != INT64_MAX) {
			timeout.tv_sec = (wake - now) / 1000;
			timeout.tv_nsec = (long)((wake - now) % 1000) * 1000000;
		}

		/* stop signals are blocked except inside ppoll(): no lost wakeup */
		r = ppoll(pfds, n, wake == INT64_MAX ? NULL : &timeout, wait_mask);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}

		now = now_ms();
		for (nfds_t i = 0; i < n; i++) {
			conn_t *c = owners[i];

			if (pfds[i].revents == 0)
				continue;
			if (c == NULL) {
				server_accept(s, now);
				continue;
			}
			if (c->state == CONN_READING)
				conn_on_readable(s, c);
			if (c->state == CONN_WRITING)
				conn_on_writable(s, c, now);
			else if (c->state == CONN_DRAINING && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				conn_on_drainable(s, c);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* ~400 KiB: static storage, not the stack */
	static server_t server;
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigset_t stop_set, wait_mask;
	const char *port_text = NULL;
	uint16_t port = DEFAULT_PORT;
	int r;

	if (argc > 2) {
		fprintf(stderr, "usage: %s [PORT]   (or NC_PORT=PORT; default %d)\n", argv[0], DEFAULT_PORT);
		return 64;
	}
	if (argc == 2)
		port_text = argv[1];
	else if (getenv("NC_PORT") != NULL && getenv("NC_PORT")[0] != '\0')
		port_text = getenv("NC_PORT");
	if (port_text != NULL && parse_port(port_text, &port) < 0) {
		fprintf(stderr, "responder: bad port '%s' (1..65535)\n", port_text);
		return 64;
	}

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop_set, &wait_mask) < 0) {
		perror("responder: sigprocmask");
		return 71;
	}
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (size_t i = 0; i < CONN_MAX; i++)
		server.conns[i].fd = -1;
	r = server_listen(&server, port);
	if (r < 0) {
		fprintf(stderr, "responder: cannot listen on port %u: %s\n", port, strerror(-r));
		return 71;
	}
	fprintf(stderr, "responder: listening on %s port %u\n",
		server.family == AF_INET6 ? "[::] (v4+v6)" : "0.0.0.0 (v4 only)", port);

	r = server_run(&server, &wait_mask);
	for (size_t i = 0; i < CONN_MAX; i++)
		conn_close(&server, &server.conns[i]);
	close(server.listen_fd);
	if (r < 0) {
		fprintf(stderr, "responder: %s\n", strerror(-r));
		return 70;
	}
	return 0;
}
