/* netcheck responder: the answers.  A TCP connection's request read,
 * parsed (http-parse.c) and answered with what the responder saw (peer and
 * local address, hostname, eth0's ifindex/iflink, the kernel's release
 * and boot id), or handed to a
 * connect-out (responder-connect.c); a UDP datagram answered the same way.
 * May call http-parse.c, responder-connect.c and libc only.  Never prints. */
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
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/testing.h"
#include "responder-internal.h"

#define IFACE_DIR "/sys/class/net/eth0/"
#define IFACE_VALUE_MAX 32    /* bytes read from a sysfs attribute */
#define UDP_BURST_MAX 64      /* datagrams read per wakeup: TCP gets its turn */
#define BOOT_ID_FILE "/proc/sys/kernel/random/boot_id"
#define BOOT_ID_LEN 36        /* a UUID's text */

/* The text an answer carries, read for it (the container may be paused
 * and resumed on another boot: nothing is cached). */
typedef struct facts_text {
	char hostname[HOST_NAME_MAX + 1];
	struct utsname uts;           /* release: the kernel that runs the container */
	char boot_id[BOOT_ID_LEN + 1];
} facts_text_t;

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

/* The kernel's boot id: which boot of which kernel this is (two
 * containers share it only on one kernel instance).  "" when unreadable
 * or not a UUID's text. */
static void read_boot_id(char ret[BOOT_ID_LEN + 1])
{
	ssize_t n;
	int fd;

	ret[0] = '\0';
	fd = open(BOOT_ID_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	do
		n = read(fd, ret, BOOT_ID_LEN);
	while (n < 0 && errno == EINTR);
	close(fd);
	ret[n == BOOT_ID_LEN ? BOOT_ID_LEN : 0] = '\0';
	for (size_t i = 0; i < BOOT_ID_LEN && ret[0] != '\0'; i++)
		if (!((ret[i] >= '0' && ret[i] <= '9') || (ret[i] >= 'a' && ret[i] <= 'f') || ret[i] == '-'))
			ret[0] = '\0';
}

void nc_responder_conn_close(server_t *s, conn_t *c)
{
	if (c->state == CONN_FREE)
		return;
	nc_responder_job_release(c->job);
	c->job = NULL;
	close(c->fd);
	c->fd = -1;
	c->state = CONN_FREE;
	s->n_conns--;
}

/* What we tell a TCP or UDP client; text: filled, and borrowed by the
 * facts returned. */
static nc_responder_facts_t gather_facts(const struct sockaddr *peer, socklen_t peer_len, const struct sockaddr *local,
					 socklen_t local_len, const char *nonce, facts_text_t *text)
{
	if (gethostname(text->hostname, sizeof(text->hostname)) < 0)
		text->hostname[0] = '\0';
	text->hostname[HOST_NAME_MAX] = '\0';
	if (uname(&text->uts) < 0)
		text->uts.release[0] = '\0';
	read_boot_id(text->boot_id);
	return (nc_responder_facts_t){
		.peer = peer,
		.peer_len = peer_len,
		.local = local,
		.local_len = local_len,
		.hostname = text->hostname,
		.kernel = text->uts.release[0] ? text->uts.release : NULL,
		.boot_id = text->boot_id[0] ? text->boot_id : NULL,
		.nonce = nonce,
		.iflink = read_iface_int(IFACE_DIR "iflink"),
		.ifindex = read_iface_int(IFACE_DIR "ifindex"),
	};
}

void nc_responder_conn_start_writing(conn_t *c, const char *data, int n)
{
	c->out_data = data;
	c->out_len = n > 0 ? (size_t)n : 0;
	c->out_sent = 0;
	c->state = CONN_WRITING;
}

/* Answer for a complete (or hopeless) request in c->in. */
static void conn_prepare_answer(conn_t *c, int parsed, const char *nonce)
{
	facts_text_t text;
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);
	nc_responder_facts_t facts;
	int n = -EINVAL;

	if (parsed == 0) {
		if (getsockname(c->fd, (struct sockaddr *)&local, &local_len) < 0)
			local_len = 0;
		facts = gather_facts((const struct sockaddr *)&c->peer, c->peer_len, (const struct sockaddr *)&local,
				     local_len, nonce, &text);
		n = nc_responder_format_answer(&facts, c->out, sizeof(c->out));
		if (n < 0)
			n = nc_responder_format_error(500, c->out, sizeof(c->out));
	} else {
		n = nc_responder_format_error(nc_responder_status_for(parsed), c->out, sizeof(c->out));
	}
	/* both formats fit NC_RESPONDER_ANSWER_MAX by construction */
	nc_responder_conn_start_writing(c, c->out, n);
}

void nc_responder_conn_on_readable(server_t *s, conn_t *c, int64_t now)
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
		nc_responder_conn_close(s, c);
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
		nc_responder_job_start(s, c, target, now);
		return;
	}
	conn_prepare_answer(c, r, nonce);
}

void nc_responder_conn_on_writable(server_t *s, conn_t *c, int64_t now)
{
	ssize_t n;

	while (c->out_sent < c->out_len) {
		n = send(c->fd, c->out_data + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			nc_responder_conn_close(s, c);
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

void nc_responder_conn_on_drainable(server_t *s, conn_t *c)
{
	ssize_t n;

	for (;;) {
		n = recv(c->fd, c->in, sizeof(c->in), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			nc_responder_conn_close(s, c);
			return;
		}
	}
}

/* One datagram `<nonce>` in, one JSON datagram out; anything else is
 * dropped without a word (an answer to junk would make us a reflector). */
void nc_responder_udp_on_readable(server_t *s)
{
	for (int burst = 0; burst < UDP_BURST_MAX; burst++) {
		char payload[NC_RESPONDER_NONCE_MAX + 1], nonce[NC_RESPONDER_NONCE_MAX + 1];
		char out[NC_RESPONDER_ANSWER_MAX];
		facts_text_t text;
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
				     local_len, nonce, &text);
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
