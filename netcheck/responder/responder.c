/* netcheck responder: the only program in the test container.
 *
 * Answers `GET /<nonce>` (TCP) and a datagram `<nonce>` (UDP, same port)
 * with what it saw (peer and local address, hostname, eth0's
 * ifindex/iflink), so netcheck can prove which path a probe took and which
 * container answered.  `GET /connect?...` makes it connect out, from inside
 * the container, to a target on its --allow list (see docs/design.md).
 * Built fully static (`gcc -static`), so it may use no NSS (getaddrinfo,
 * getpwnam...): names come from /etc/hosts and the loopback (embedded)
 * name server only, through dns-parse.c.
 *
 * This file: the loop.  Owns one listening socket, one UDP socket, at most
 * CONN_MAX connections and JOB_MAX connect-outs (responder-internal.h),
 * served from one ppoll() loop; each connection and connect-out has a hard
 * deadline so a slow peer cannot hold a slot.  SIGTERM/SIGINT end the loop
 * and exit 0 (docker stop must be fast; as PID 1 a default SIGTERM would be
 * ignored).  The answers are responder-answer.c's, the connect-outs
 * responder-connect.c's.  May call http-parse.c, connect-parse.c,
 * dns-parse.c and libc only.  Prints only fatal startup errors. */
#include "connect-parse.h"
#include "dns-parse.h"
#include "http-parse.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/testing.h"
#include "responder-internal.h"

#define DEFAULT_PORT 80
#define LISTEN_BACKLOG 128
#define ACCEPT_PAUSE_MS 100   /* after EMFILE and friends */

/* The one global: written by the signal handler, read by the loop. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

int64_t nc_responder_now_ms(void)
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

/* -1 if the attribute cannot be read or is not a small integer. */static int open_socket(int family, int type, uint16_t port, int *ret_fd)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t ss_len;
	int one = 1, zero = 0;
	int fd, r;

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
	if (type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	if (type == SOCK_DGRAM) {
		/* the address the datagram was sent to, for "local_addr" */
		if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto fail;
		if (family == AF_INET && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
			goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

/* AF_INET6 dual-stack first; AF_INET when the container has no IPv6. */
static int open_dual_stack(int type, uint16_t port, int *ret_fd, int *ret_family)
{
	int r;

	r = open_socket(AF_INET6, type, port, ret_fd);
	if (r == 0) {
		*ret_family = AF_INET6;
		return 0;
	}
	r = open_socket(AF_INET, type, port, ret_fd);
	if (r == 0)
		*ret_family = AF_INET;
	return r;
}

static int server_listen(server_t *s, uint16_t port)
{
	int r;

	r = open_dual_stack(SOCK_STREAM, port, &s->listen_fd, &s->family);
	if (r < 0)
		return r;
	return open_dual_stack(SOCK_DGRAM, port, &s->udp_fd, &s->udp_family);
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

typedef enum owner_kind { OWNER_CONN, OWNER_LISTEN, OWNER_UDP, OWNER_JOB } owner_kind_t;

typedef struct owner {
	owner_kind_t kind;
	void *what; /* conn_t or job_t; borrowed */
} owner_t;

/* Runs until a stop signal.  Returns 0 or a negative errno. */
static int server_run(server_t *s, const sigset_t *wait_mask)
{
	struct pollfd pfds[CONN_MAX + JOB_MAX + 2];
	owner_t owners[CONN_MAX + JOB_MAX + 2];

	while (stop_signal == 0) {
		int64_t now = nc_responder_now_ms(), wake = INT64_MAX;
		struct timespec timeout;
		nfds_t n = 0;
		int r;

		for (size_t i = 0; i < JOB_MAX; i++) {
			job_t *j = &s->jobs[i];

			if (j->phase == JOB_FREE || j->phase == JOB_DONE)
				continue;
			if (j->deadline_ms <= now) {
				nc_responder_job_on_deadline(j, now);
				continue;
			}
			if (j->deadline_ms < wake)
				wake = j->deadline_ms;
			pfds[n] = (struct pollfd){
				.fd = j->fd,
				.events = j->phase == JOB_CONNECTING ? POLLOUT : POLLIN,
			};
			owners[n++] = (owner_t){ OWNER_JOB, j };
		}
		for (size_t i = 0; i < CONN_MAX; i++) {
			conn_t *c = &s->conns[i];

			if (c->state == CONN_FREE)
				continue;
			if (c->deadline_ms <= now) {
				nc_responder_conn_close(s, c);
				continue;
			}
			if (c->deadline_ms < wake)
				wake = c->deadline_ms;
			if (c->state == CONN_WAITING)
				continue; /* its job is polled instead */
			pfds[n] = (struct pollfd){
				.fd = c->fd,
				.events = c->state == CONN_WRITING ? POLLOUT : POLLIN,
			};
			owners[n++] = (owner_t){ OWNER_CONN, c };
		}
		if (s->n_conns < CONN_MAX) {
			if (s->accept_paused_until_ms > now) {
				if (s->accept_paused_until_ms < wake)
					wake = s->accept_paused_until_ms;
			} else {
				pfds[n] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
				owners[n++] = (owner_t){ OWNER_LISTEN, NULL };
			}
		}
		pfds[n] = (struct pollfd){ .fd = s->udp_fd, .events = POLLIN };
		owners[n++] = (owner_t){ OWNER_UDP, NULL };
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

		now = nc_responder_now_ms();
		for (nfds_t i = 0; i < n; i++) {
			conn_t *c = owners[i].what;

			if (pfds[i].revents == 0)
				continue;
			switch (owners[i].kind) {
			case OWNER_LISTEN:
				server_accept(s, now);
				continue;
			case OWNER_UDP:
				nc_responder_udp_on_readable(s);
				continue;
			case OWNER_JOB:
				/* its conn may have been closed in this round: job released */
				nc_responder_job_on_event(owners[i].what, now);
				continue;
			case OWNER_CONN:
				break;
			}
			if (c->state == CONN_READING)
				nc_responder_conn_on_readable(s, c, now);
			if (c->state == CONN_WRITING)
				nc_responder_conn_on_writable(s, c, now);
			else if (c->state == CONN_DRAINING && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				nc_responder_conn_on_drainable(s, c);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* ~500 KiB: static storage, not the stack */
	static server_t server;
	static nc_responder_target_t allow[NC_RESPONDER_ALLOW_MAX];
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigset_t stop_set, wait_mask;
	const char *port_text = NULL;
	uint16_t port = DEFAULT_PORT;
	size_t n_allow = 0;
	int r;

	if (argc > 1 && strcmp(argv[1], "--agent") == 0)
		return nc_agent_main(argc, argv); /* the capture agent: agent.c */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--allow") == 0 && i + 1 < argc && n_allow < NC_RESPONDER_ALLOW_MAX &&
		    nc_responder_parse_allow(argv[i + 1], strlen(argv[i + 1]), &allow[n_allow]) == 0) {
			n_allow++;
			i++;
		} else if (strcmp(argv[i], "--nameserver-for") == 0 && i + 1 < argc && server.nameserver_for == NULL &&
			   argv[i + 1][0] != '\0' && strlen(argv[i + 1]) <= 253) {
			server.nameserver_for = argv[++i];
		} else if (port_text == NULL && argv[i][0] != '-') {
			port_text = argv[i];
		} else {
			fprintf(stderr,
				"usage: %s [PORT] [--allow HOST:PORT]... [--nameserver-for NAME]   (or NC_PORT=PORT; default %d;"
				" at most %d --allow)\n",
				argv[0], DEFAULT_PORT, NC_RESPONDER_ALLOW_MAX);
			return 64;
		}
	}
	server.allow = allow;
	server.n_allow = n_allow;
	if (port_text == NULL && getenv("NC_PORT") != NULL && getenv("NC_PORT")[0] != '\0')
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
	for (size_t i = 0; i < JOB_MAX; i++)
		server.jobs[i].fd = -1;
	server.udp_fd = -1;
	r = server_listen(&server, port);
	if (r < 0) {
		fprintf(stderr, "responder: cannot listen on port %u: %s\n", port, strerror(-r));
		return 71;
	}
	fprintf(stderr, "responder: listening on %s port %u (tcp, udp); connect-out to %zu allowed targets\n",
		server.family == AF_INET6 ? "[::] (v4+v6)" : "0.0.0.0 (v4 only)", port, n_allow);

	r = server_run(&server, &wait_mask);
	for (size_t i = 0; i < CONN_MAX; i++)
		nc_responder_conn_close(&server, &server.conns[i]);
	close(server.listen_fd);
	close(server.udp_fd);
	if (r < 0) {
		fprintf(stderr, "responder: %s\n", strerror(-r));
		return 70;
	}
	return 0;
}
