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
 * Owns one listening socket, one UDP socket, at most CONN_MAX connections
 * and JOB_MAX connect-outs, served from one ppoll() loop; each connection
 * and connect-out has a hard deadline so a slow peer cannot hold a slot.  SIGTERM/SIGINT end the loop and exit 0 (docker stop
 * must be fast; as PID 1 a default SIGTERM would be ignored).  May call
 * http-parse.c, connect-parse.c, dns-parse.c and libc only.  Prints only fatal startup errors. */
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

#define DEFAULT_PORT 80
#define LISTEN_BACKLOG 128
#define CONN_MAX 64
#define CONN_DEADLINE_MS 5000 /* from accept to the last byte of the answer */
#define LINGER_MS 1000        /* after the answer: wait for the client's FIN */
#define ACCEPT_PAUSE_MS 100   /* after EMFILE and friends */
#define IFACE_DIR "/sys/class/net/eth0/"
#define IFACE_VALUE_MAX 32    /* bytes read from a sysfs attribute */
#define UDP_BURST_MAX 64      /* datagrams read per wakeup: TCP gets its turn */
#define JOB_MAX 4             /* connect-outs at once; more get EBUSY */
#define JOB_ANSWER_MAX 4096   /* bytes read from a target (headers + body) */
#define FILE_MAX 32768        /* bytes of /etc/hosts or /etc/resolv.conf read */
#define NAMESERVERS_MAX 4
#define DNS_PORT 53
#define HOSTS_PATH "/etc/hosts"
#define RESOLV_PATH "/etc/resolv.conf"

typedef enum conn_state {
	CONN_FREE = 0,
	CONN_READING,
	CONN_WAITING, /* for its connect-out */
	CONN_WRITING,
	CONN_DRAINING,
} conn_state_t;

typedef struct job job_t;

typedef struct conn {
	int fd; /* owned; -1 when free */
	job_t *job; /* borrowed from server_t.jobs; NULL: none */
	const char *out_data; /* out or job->out */
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

typedef enum job_phase {
	JOB_FREE = 0,
	JOB_DNS,        /* fd: UDP to the name server, A and AAAA in flight */
	JOB_CONNECTING, /* fd: TCP connect in progress */
	JOB_READING,    /* fd: request sent, reading the target's answer */
	JOB_DONE,       /* fd closed; out holds the answer for conn */
} job_phase_t;

struct job {
	job_phase_t phase;
	int fd; /* owned; -1 when none */
	conn_t *conn; /* borrowed: who asked */
	nc_responder_connect_t req;
	int64_t started_ms, deadline_ms, connected_ms;
	/* resolution */
	nc_responder_addr_t nameserver;
	uint16_t dns_id[2]; /* A, AAAA */
	int dns_result[2];  /* 1 pending, else count or negative errno */
	nc_responder_addr_t dns_v6;
	char resolved_by[64];
	/* the target */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char resolved[INET6_ADDRSTRLEN];
	char local[INET6_ADDRSTRLEN + 8];
	int error;
	const char *detail; /* static text */
	size_t answer_len;
	bool answered;
	char answer[JOB_ANSWER_MAX];
	size_t out_len;
	char out[NC_RESPONDER_CONNECT_ANSWER_MAX];
};

typedef struct server {
	int listen_fd; /* owned */
	int family;    /* of listen_fd */
	int udp_fd;    /* owned */
	int udp_family;
	int64_t accept_paused_until_ms;
	size_t n_conns;
	conn_t conns[CONN_MAX];
	const nc_responder_target_t *allow; /* borrowed from main() */
	size_t n_allow;
	job_t jobs[JOB_MAX];
	job_t refused; /* scratch for answers that take no slot */
	char file[FILE_MAX]; /* /etc/hosts or /etc/resolv.conf, read per lookup */
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

static int open_socket(int family, int type, uint16_t port, int *ret_fd)
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

static void job_release(job_t *j)
{
	if (j == NULL || j->phase == JOB_FREE)
		return;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->conn = NULL;
	j->phase = JOB_FREE;
}

static void conn_close(server_t *s, conn_t *c)
{
	if (c->state == CONN_FREE)
		return;
	job_release(c->job);
	c->job = NULL;
	close(c->fd);
	c->fd = -1;
	c->state = CONN_FREE;
	s->n_conns--;
}

/* What we tell a TCP or UDP client; hostname: HOST_NAME_MAX + 1 bytes. */
static nc_responder_facts_t gather_facts(const struct sockaddr *peer, socklen_t peer_len, const struct sockaddr *local,
					 socklen_t local_len, const char *nonce, char *hostname)
{
	if (gethostname(hostname, HOST_NAME_MAX + 1) < 0)
		hostname[0] = '\0';
	hostname[HOST_NAME_MAX] = '\0';
	return (nc_responder_facts_t){
		.peer = peer,
		.peer_len = peer_len,
		.local = local,
		.local_len = local_len,
		.hostname = hostname,
		.nonce = nonce,
		.iflink = read_iface_int(IFACE_DIR "iflink"),
		.ifindex = read_iface_int(IFACE_DIR "ifindex"),
	};
}

static void conn_start_writing(conn_t *c, const char *data, int n)
{
	c->out_data = data;
	c->out_len = n > 0 ? (size_t)n : 0;
	c->out_sent = 0;
	c->state = CONN_WRITING;
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
		facts = gather_facts((const struct sockaddr *)&c->peer, c->peer_len, (const struct sockaddr *)&local,
				     local_len, nonce, hostname);
		n = nc_responder_format_answer(&facts, c->out, sizeof(c->out));
		if (n < 0)
			n = nc_responder_format_error(500, c->out, sizeof(c->out));
	} else {
		n = nc_responder_format_error(nc_responder_status_for(parsed), c->out, sizeof(c->out));
	}
	/* both formats fit NC_RESPONDER_ANSWER_MAX by construction */
	conn_start_writing(c, c->out, n);
}

static void job_start(server_t *s, conn_t *c, const char *target, int64_t now);

static void conn_on_readable(server_t *s, conn_t *c, int64_t now)
{
	char nonce[NC_RESPONDER_NONCE_MAX + 1];
	char target[NC_RESPONDER_REQUEST_MAX];
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
	if (r == -ENOENT && nc_responder_parse_target(c->in, c->in_len, target, sizeof(target)) == 0 &&
	    strncmp(target, "/connect", 8) == 0) {
		job_start(s, c, target, now);
		return;
	}
	conn_prepare_answer(c, r, nonce);
}

static void conn_on_writable(server_t *s, conn_t *c, int64_t now)
{
	ssize_t n;

	while (c->out_sent < c->out_len) {
		n = send(c->fd, c->out_data + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
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

/* One datagram `<nonce>` in, one JSON datagram out; anything else is
 * dropped without a word (an answer to junk would make us a reflector). */
static void udp_on_readable(server_t *s)
{
	for (int burst = 0; burst < UDP_BURST_MAX; burst++) {
		char payload[NC_RESPONDER_NONCE_MAX + 1], nonce[NC_RESPONDER_NONCE_MAX + 1];
		char hostname[HOST_NAME_MAX + 1], out[NC_RESPONDER_ANSWER_MAX];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
		} control;
		struct sockaddr_storage peer, local = { 0 };
		struct iovec iov = { .iov_base = payload, .iov_len = sizeof(payload) };
		struct msghdr msg = {
			.msg_name = &peer, .msg_namelen = sizeof(peer),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
		};
		nc_responder_facts_t facts;
		socklen_t local_len = 0;
		ssize_t n;
		int len;

		n = recvmsg(s->udp_fd, &msg, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; /* EAGAIN, or an ICMP error left by an earlier reply */
		if ((size_t)n > NC_RESPONDER_NONCE_MAX || (msg.msg_flags & MSG_TRUNC) ||
		    !nc_responder_nonce_is_valid(payload, (size_t)n))
			continue;
		memcpy(nonce, payload, (size_t)n);
		nonce[n] = '\0';
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&local;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				sin6->sin6_family = AF_INET6;
				sin6->sin6_addr = pi.ipi6_addr;
				local_len = sizeof(*sin6);
			} else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				struct sockaddr_in *sin = (struct sockaddr_in *)&local;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				sin->sin_family = AF_INET;
				sin->sin_addr = pi.ipi_addr;
				local_len = sizeof(*sin);
			}
		}
		if (local_len == 0) {
			local_len = sizeof(local);
			if (getsockname(s->udp_fd, (struct sockaddr *)&local, &local_len) < 0)
				continue;
		} else {
			struct sockaddr_storage bound;
			socklen_t bound_len = sizeof(bound);

			/* the port is the socket's; the address the datagram's */
			if (getsockname(s->udp_fd, (struct sockaddr *)&bound, &bound_len) == 0)
				((struct sockaddr_in *)&local)->sin_port = ((struct sockaddr_in *)&bound)->sin_port;
		}
		facts = gather_facts((const struct sockaddr *)&peer, msg.msg_namelen, (const struct sockaddr *)&local,
				     local_len, nonce, hostname);
		facts.proto = "udp";
		len = nc_responder_format_json(&facts, out, sizeof(out));
		if (len <= 0)
			continue;
		/* one try: a full socket buffer loses the answer, as UDP may */
		(void)sendto(s->udp_fd, out, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&peer,
			     msg.msg_namelen);
	}
}

/* Reads a small file whole into s->file (NUL-terminated).  Returns its
 * length or a negative errno; a longer file is cut at FILE_MAX - 1. */
static ssize_t read_small_file(server_t *s, const char *path)
{
	size_t used = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (used < sizeof(s->file) - 1) {
		ssize_t n = read(fd, s->file + used, sizeof(s->file) - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	s->file[used] = '\0';
	return (ssize_t)used;
}

static long elapsed_ms(int64_t from, int64_t to)
{
	return to > from ? (long)(to - from) : 0;
}

/* The JSON answer into buf; the target's bytes as the "answer": an HTTP
 * answer's body, else all.  Returns the length. */
static size_t job_format(job_t *j, int64_t now, char *buf, size_t len)
{
	char target[NC_RESPONDER_TARGET_TEXT_MAX];
	nc_responder_connect_result_t res;
	const char *answer = j->answered ? j->answer : NULL;
	size_t answer_len = j->answer_len;
	int http_status = -1;
	int n;

	if (j->req.target.port != 0)
		snprintf(target, sizeof(target), j->req.target.family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 j->req.target.host, j->req.target.port);
	else
		snprintf(target, sizeof(target), "%s", j->req.target.host);
	if (answer != NULL && j->req.proto == NC_RESPONDER_TCP && answer_len >= 12 &&
	    memcmp(answer, "HTTP/1.", 7) == 0 && answer[8] == ' ') {
		const char *end = memmem(answer, answer_len, "\r\n\r\n", 4);

		if (answer[9] >= '1' && answer[9] <= '5' && answer[10] >= '0' && answer[10] <= '9' &&
		    answer[11] >= '0' && answer[11] <= '9')
			http_status = (answer[9] - '0') * 100 + (answer[10] - '0') * 10 + (answer[11] - '0');
		if (end != NULL) {
			answer_len -= (size_t)(end + 4 - answer);
			answer = end + 4;
		}
	}
	res = (nc_responder_connect_result_t){
		.nonce = j->req.nonce,
		.proto = nc_responder_proto_name(j->req.proto),
		.target = target,
		.resolved = j->resolved[0] != '\0' ? j->resolved : NULL,
		.resolved_by = j->resolved_by[0] != '\0' ? j->resolved_by : NULL,
		.local = j->local[0] != '\0' ? j->local : NULL,
		.error = j->error,
		.detail = j->detail,
		.connect_ms = j->connected_ms >= 0 ? elapsed_ms(j->started_ms, j->connected_ms) : -1,
		.total_ms = elapsed_ms(j->started_ms, now),
		.http_status = http_status,
		.answer = answer,
		.answer_len = answer_len,
	};
	n = nc_responder_format_connect(&res, buf, len);
	if (n < 0)
		n = nc_responder_format_error(500, buf, len);
	return n > 0 ? (size_t)n : 0;
}

/* Ends the connect-out: the answer goes to the connection that asked. */
static void job_finish(job_t *j, int error, const char *detail, int64_t now)
{
	conn_t *c = j->conn;

	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	if (error != 0 && j->error == 0) {
		j->error = error < 0 ? error : -error;
		j->detail = detail;
	}
	j->phase = JOB_DONE;
	j->out_len = job_format(j, now, j->out, sizeof(j->out));
	if (c != NULL) {
		conn_start_writing(c, j->out, (int)j->out_len);
		c->deadline_ms = now + CONN_DEADLINE_MS;
	}
}

static void set_local_text(job_t *j)
{
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	char text[INET6_ADDRSTRLEN];
	unsigned port = 0;

	if (getsockname(j->fd, (struct sockaddr *)&local, &local_len) < 0 ||
	    nc_responder_sockaddr_text((struct sockaddr *)&local, local_len, text, &port) < 0)
		return;
	snprintf(j->local, sizeof(j->local), strchr(text, ':') != NULL ? "[%s]:%u" : "%s:%u", text, port);
}

/* The datagram or request line the target gets. */
static int job_send_probe(job_t *j)
{
	char buf[NC_RESPONDER_NONCE_MAX + 64];
	size_t len;
	ssize_t n;

	if (j->req.proto == NC_RESPONDER_TCP) {
		len = (size_t)snprintf(buf, sizeof(buf), "GET /%s HTTP/1.0\r\nHost: x\r\n\r\n", j->req.nonce);
	} else if (j->req.proto == NC_RESPONDER_UDP) {
		len = strlen(j->req.nonce);
		memcpy(buf, j->req.nonce, len);
	} else {
		/* echo request; the kernel sets the id and the checksum */
		buf[0] = (char)(j->addr.ss_family == AF_INET6 ? 128 : ICMP_ECHO);
		buf[1] = 0;
		memset(buf + 2, 0, 6);
		buf[7] = 1; /* sequence 1 */
		len = 8 + strlen(j->req.nonce);
		memcpy(buf + 8, j->req.nonce, len - 8);
	}
	do
		n = send(j->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* a fresh socket's buffer takes these few bytes whole */
	return (size_t)n == len ? 0 : -EIO;
}

/* The address is known: open the socket toward it. */
static void job_connect(job_t *j, int64_t now)
{
	int type = j->req.proto == NC_RESPONDER_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int proto = 0, r;

	if (j->req.proto == NC_RESPONDER_ICMP)
		proto = j->addr.ss_family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	j->fd = socket(j->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (j->fd < 0) {
		r = -errno;
		if (j->req.proto == NC_RESPONDER_ICMP && (r == -EACCES || r == -EPERM)) {
			job_finish(j, -EPERM, "ping sockets not allowed here (net.ipv4.ping_group_range)", now);
			return;
		}
		job_finish(j, r, "socket", now);
		return;
	}
	if (connect(j->fd, (struct sockaddr *)&j->addr, j->addr_len) < 0) {
		r = -errno;
		if (r == -EINPROGRESS && j->req.proto == NC_RESPONDER_TCP) {
			j->phase = JOB_CONNECTING;
			return;
		}
		job_finish(j, r, "connect", now);
		return;
	}
	/* UDP and ICMP "connect" at once: the clock runs until the send */
	set_local_text(j);
	r = job_send_probe(j);
	if (r < 0) {
		job_finish(j, r, "send", now);
		return;
	}
	j->connected_ms = now_ms();
	j->phase = JOB_READING;
}

static void addr_to_sockaddr(const nc_responder_addr_t *a, uint16_t port, struct sockaddr_storage *ret,
			     socklen_t *ret_len)
{
	memset(ret, 0, sizeof(*ret));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ret;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->bytes, 4);
		sin->sin_port = htons(port);
		*ret_len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->bytes, 16);
		sin6->sin6_port = htons(port);
		*ret_len = sizeof(*sin6);
	}
}

static void job_use_addr(job_t *j, const nc_responder_addr_t *a, int64_t now)
{
	/* ping sockets take port 0 */
	addr_to_sockaddr(a, j->req.proto == NC_RESPONDER_ICMP ? 0 : j->req.target.port, &j->addr, &j->addr_len);
	inet_ntop(a->family, a->bytes, j->resolved, sizeof(j->resolved));
	job_connect(j, now);
}

/* Names: /etc/hosts, then only a loopback name server (the engine's
 * embedded DNS).  A copied host resolv.conf may name a real resolver:
 * we send it nothing. */
static void job_resolve(server_t *s, job_t *j, int64_t now)
{
	nc_responder_addr_t a, servers[NAMESERVERS_MAX];
	struct sockaddr_storage ss;
	socklen_t ss_len;
	uint8_t query[NC_DNS_MESSAGE_MAX];
	ssize_t len;
	int n, r;

	if (j->req.target.is_literal) {
		a.family = j->req.target.family;
		inet_pton(a.family, j->req.target.host, a.bytes);
		snprintf(j->resolved_by, sizeof(j->resolved_by), "literal");
		job_use_addr(j, &a, now);
		return;
	}
	len = read_small_file(s, HOSTS_PATH);
	if (len > 0 && nc_responder_hosts_lookup(s->file, (size_t)len, j->req.target.host, &a, NULL) == 0) {
		snprintf(j->resolved_by, sizeof(j->resolved_by), "hosts");
		job_use_addr(j, &a, now);
		return;
	}
	len = read_small_file(s, RESOLV_PATH);
	n = len > 0 ? nc_responder_resolv_nameservers(s->file, (size_t)len, servers, NAMESERVERS_MAX) : 0;
	if (n > NAMESERVERS_MAX)
		n = NAMESERVERS_MAX;
	j->nameserver.family = 0;
	for (int i = 0; i < n; i++) {
		if (nc_responder_addr_is_loopback(&servers[i])) {
			j->nameserver = servers[i];
			break;
		}
	}
	if (j->nameserver.family == 0) {
		job_finish(j, -ENOENT, "no embedded DNS on this network", now);
		return;
	}
	inet_ntop(j->nameserver.family, j->nameserver.bytes, j->resolved_by + 4, sizeof(j->resolved_by) - 4);
	memcpy(j->resolved_by, "dns ", 4);

	addr_to_sockaddr(&j->nameserver, DNS_PORT, &ss, &ss_len);
	j->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (j->fd < 0 || connect(j->fd, (struct sockaddr *)&ss, ss_len) < 0) {
		job_finish(j, -errno, "dns socket", now);
		return;
	}
	if (getrandom(j->dns_id, sizeof(j->dns_id), GRND_NONBLOCK) != (ssize_t)sizeof(j->dns_id)) {
		j->dns_id[0] = (uint16_t)now;
		j->dns_id[1] = (uint16_t)(now >> 16);
	}
	if (j->dns_id[1] == j->dns_id[0])
		j->dns_id[1] ^= 1;
	for (int i = 0; i < 2; i++) {
		r = nc_responder_dns_query(j->req.target.host, j->dns_id[i], i == 0 ? NC_DNS_TYPE_A : NC_DNS_TYPE_AAAA,
					   query, sizeof(query));
		if (r > 0 && send(j->fd, query, (size_t)r, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			r = -errno;
		if (r < 0) {
			job_finish(j, r, "dns query", now);
			return;
		}
		j->dns_result[i] = 1;
	}
	j->phase = JOB_DNS;
}

static void job_on_dns(job_t *j, int64_t now)
{
	uint8_t msg[NC_DNS_MESSAGE_MAX];

	for (;;) {
		nc_responder_addr_t found[1];
		ssize_t n;
		int r;

		n = recv(j->fd, msg, sizeof(msg), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			job_finish(j, -errno, "dns", now);
			return;
		}
		for (int i = 0; i < 2; i++) {
			if (j->dns_result[i] != 1)
				continue;
			r = nc_responder_dns_answer(msg, (size_t)n, j->dns_id[i], j->req.target.host,
						    i == 0 ? NC_DNS_TYPE_A : NC_DNS_TYPE_AAAA, found, 1);
			if (r == -EAGAIN)
				continue;
			j->dns_result[i] = r;
			if (r > 0 && i == 0) {
				close(j->fd);
				j->fd = -1;
				job_use_addr(j, &found[0], now);
				return;
			}
			if (r > 0)
				j->dns_v6 = found[0];
		}
		if (j->dns_result[0] != 1 && j->dns_result[1] != 1)
			break;
	}
	/* both answered, no IPv4 address */
	if (j->dns_result[1] > 0) {
		close(j->fd);
		j->fd = -1;
		job_use_addr(j, &j->dns_v6, now);
		return;
	}
	if (j->dns_result[0] == -EIO || j->dns_result[1] == -EIO)
		job_finish(j, -EIO, "name server error", now);
	else if (j->dns_result[0] == -EBADMSG)
		job_finish(j, -EBADMSG, "malformed dns answer", now);
	else
		job_finish(j, -ENOENT, j->dns_result[0] == -ENOENT ? "NXDOMAIN" : "no address", now);
}

static void job_on_connected(job_t *j, int64_t now)
{
	int error = 0, r;
	socklen_t len = sizeof(error);

	if (getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	if (error != 0) {
		job_finish(j, -error, "connect", now);
		return;
	}
	j->connected_ms = now;
	set_local_text(j);
	r = job_send_probe(j);
	if (r < 0) {
		job_finish(j, r, "send", now);
		return;
	}
	j->phase = JOB_READING;
}

static void job_on_readable(job_t *j, int64_t now)
{
	for (;;) {
		char *into = j->answer + j->answer_len;
		size_t room = sizeof(j->answer) - j->answer_len;
		ssize_t n;

		if (j->req.proto != NC_RESPONDER_TCP) {
			into = j->answer;
			room = sizeof(j->answer);
		}
		n = recv(j->fd, into, room, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			job_finish(j, -errno, j->answered ? "after part of the answer" : "no answer", now);
			return;
		}
		if (j->req.proto == NC_RESPONDER_ICMP) {
			unsigned char type = n > 0 ? (unsigned char)j->answer[0] : 0;

			/* only our echo reply; the kernel filtered on the id */
			if (n < 8 || type != (j->addr.ss_family == AF_INET6 ? 129 : ICMP_ECHOREPLY))
				continue;
			memmove(j->answer, j->answer + 8, (size_t)n - 8);
			j->answer_len = (size_t)n - 8;
			j->answered = true;
			job_finish(j, 0, NULL, now);
			return;
		}
		if (j->req.proto == NC_RESPONDER_UDP) {
			j->answer_len = (size_t)n;
			j->answered = true;
			job_finish(j, 0, NULL, now);
			return;
		}
		if (n > 0) {
			j->answer_len += (size_t)n;
			j->answered = true;
		}
		if (n == 0 || j->answer_len == sizeof(j->answer)) {
			j->answered = true; /* an empty answer, yet a clean one */
			job_finish(j, 0, NULL, now);
			return;
		}
	}
}

static void job_on_deadline(job_t *j, int64_t now)
{
	switch (j->phase) {
	case JOB_DNS:
		job_finish(j, -ETIMEDOUT, "name server did not answer", now);
		break;
	case JOB_CONNECTING:
		job_finish(j, -ETIMEDOUT, "connect", now);
		break;
	case JOB_READING:
		if (j->req.proto == NC_RESPONDER_TCP && j->answered)
			job_finish(j, 0, NULL, now); /* what came, cut by the deadline */
		else
			job_finish(j, -ETIMEDOUT, "no answer", now);
		break;
	default:
		break;
	}
}

static void job_on_event(job_t *j, int64_t now)
{
	if (j->phase == JOB_DNS)
		job_on_dns(j, now);
	else if (j->phase == JOB_CONNECTING)
		job_on_connected(j, now);
	else if (j->phase == JOB_READING)
		job_on_readable(j, now);
}

/* A `GET /connect?...` request on c: answer at once (bad request, not
 * allowed, busy) or start a connect-out that answers later. */
static void job_start(server_t *s, conn_t *c, const char *target, int64_t now)
{
	nc_responder_connect_t req;
	const char *refusal = NULL;
	job_t *j = NULL;
	int r, error = 0;

	r = nc_responder_parse_connect(target, &req);
	if (r < 0) {
		conn_start_writing(c, c->out, nc_responder_format_error(r == -ENOENT ? 404 : 400, c->out, sizeof(c->out)));
		return;
	}
	for (size_t i = 0; i < JOB_MAX; i++) {
		if (s->jobs[i].phase == JOB_FREE) {
			j = &s->jobs[i];
			break;
		}
	}
	/* refused before any packet: the answer fits the connection's buffer */
	if (s->n_allow == 0)
		error = -EACCES, refusal = "connect-out disabled (no --allow)";
	else if (!nc_responder_allow_match(s->allow, s->n_allow, req.proto, &req.target))
		error = -EACCES, refusal = "target not on the allow-list";
	else if (j == NULL)
		error = -EBUSY, refusal = "too many connect-outs at once";
	if (error != 0)
		j = &s->refused;
	memset(j, 0, offsetof(job_t, answer));
	j->fd = -1;
	j->req = req;
	j->started_ms = now;
	j->connected_ms = -1;
	j->deadline_ms = now + req.timeout_ms;
	if (error != 0) {
		j->error = error;
		j->detail = refusal;
		conn_start_writing(c, c->out, (int)job_format(j, now, c->out, sizeof(c->out)));
		return;
	}
	j->phase = JOB_DNS; /* taken; job_resolve() moves it on */
	j->conn = c;
	c->job = j;
	c->state = CONN_WAITING;
	c->deadline_ms = j->deadline_ms + CONN_DEADLINE_MS;
	job_resolve(s, j, now);
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
		int64_t now = now_ms(), wake = INT64_MAX;
		struct timespec timeout;
		nfds_t n = 0;
		int r;

		for (size_t i = 0; i < JOB_MAX; i++) {
			job_t *j = &s->jobs[i];

			if (j->phase == JOB_FREE || j->phase == JOB_DONE)
				continue;
			if (j->deadline_ms <= now) {
				job_on_deadline(j, now);
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
				conn_close(s, c);
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

		now = now_ms();
		for (nfds_t i = 0; i < n; i++) {
			conn_t *c = owners[i].what;

			if (pfds[i].revents == 0)
				continue;
			switch (owners[i].kind) {
			case OWNER_LISTEN:
				server_accept(s, now);
				continue;
			case OWNER_UDP:
				udp_on_readable(s);
				continue;
			case OWNER_JOB:
				/* its conn may have been closed in this round: job released */
				job_on_event(owners[i].what, now);
				continue;
			case OWNER_CONN:
				break;
			}
			if (c->state == CONN_READING)
				conn_on_readable(s, c, now);
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
	/* ~500 KiB: static storage, not the stack */
	static server_t server;
	static nc_responder_target_t allow[NC_RESPONDER_ALLOW_MAX];
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigset_t stop_set, wait_mask;
	const char *port_text = NULL;
	uint16_t port = DEFAULT_PORT;
	size_t n_allow = 0;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--allow") == 0 && i + 1 < argc && n_allow < NC_RESPONDER_ALLOW_MAX &&
		    nc_responder_parse_allow(argv[i + 1], strlen(argv[i + 1]), &allow[n_allow]) == 0) {
			n_allow++;
			i++;
		} else if (port_text == NULL && argv[i][0] != '-') {
			port_text = argv[i];
		} else {
			fprintf(stderr,
				"usage: %s [PORT] [--allow HOST:PORT]...   (or NC_PORT=PORT; default %d;"
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
		conn_close(&server, &server.conns[i]);
	close(server.listen_fd);
	close(server.udp_fd);
	if (r < 0) {
		fprintf(stderr, "responder: %s\n", strerror(-r));
		return 70;
	}
	return 0;
}
