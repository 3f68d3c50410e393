/* netcheck responder: the connect-outs.  `GET /connect?...` makes the
 * responder connect out from inside the container to a target on its
 * --allow list (connect-parse.c): the name resolved from /etc/hosts or
 * through the container's name server (dns-parse.c; a static binary has no
 * NSS), a TCP connection or a UDP probe, the target's answer read, and the
 * outcome written back on the asking connection.  Every phase has the
 * job's deadline.  May call connect-parse.c, dns-parse.c,
 * responder-answer.c and libc only.  Never prints. */
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

#define NAMESERVERS_MAX 4
#define DNS_PORT 53
#define HOSTS_PATH "/etc/hosts"
#define RESOLV_PATH "/etc/resolv.conf"

void nc_responder_job_release(job_t *j)
{
	if (j == NULL || j->phase == JOB_FREE)
		return;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->conn = NULL;
	j->phase = JOB_FREE;
}static ssize_t read_small_file(server_t *s, const char *path)
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
		nc_responder_conn_start_writing(c, j->out, (int)j->out_len);
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
			/* the source port is chosen now; a refused connect
			 * releases it, and the answer must still name it so that
			 * netcheck can tell this connection's SYN and RST apart */
			set_local_text(j);
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
	j->connected_ms = nc_responder_now_ms();
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
 * we send it nothing -- except for the --nameserver-for name, which
 * netcheck passes only where the engine's name server answers it. */
static void job_resolve(server_t *s, job_t *j, int64_t now)
{
	nc_responder_addr_t a, servers[NAMESERVERS_MAX];
	struct sockaddr_storage ss;
	socklen_t ss_len;
	uint8_t query[NC_DNS_MESSAGE_MAX];
	ssize_t len;
	int ns, n, r;

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
	/* a loopback one, or for the one name netcheck vouches for (the
	 * engine's own name server answers it: Desktop's VM) the first */
	ns = nc_responder_pick_nameserver(servers, n, j->req.target.host, s->nameserver_for);
	j->nameserver.family = 0;
	if (ns >= 0)
		j->nameserver = servers[ns];
	if (j->nameserver.family == 0) {
		job_finish(j, -ENOENT, n > 0 ? "no embedded DNS on this network" : "no name server", now);
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

void nc_responder_job_on_deadline(job_t *j, int64_t now)
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

void nc_responder_job_on_event(job_t *j, int64_t now)
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
void nc_responder_job_start(server_t *s, conn_t *c, const char *target, int64_t now)
{
	nc_responder_connect_t req;
	const char *refusal = NULL;
	job_t *j = NULL;
	int r, error = 0;

	r = nc_responder_parse_connect(target, &req);
	if (r < 0) {
		nc_responder_conn_start_writing(c, c->out, nc_responder_format_error(r == -ENOENT ? 404 : 400, c->out, sizeof(c->out)));
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
		nc_responder_conn_start_writing(c, c->out, (int)job_format(j, now, c->out, sizeof(c->out)));
		return;
	}
	j->phase = JOB_DNS; /* taken; job_resolve() moves it on */
	j->conn = c;
	c->job = j;
	c->state = CONN_WAITING;
	c->deadline_ms = j->deadline_ms + CONN_DEADLINE_MS;
	job_resolve(s, j, now);
}
