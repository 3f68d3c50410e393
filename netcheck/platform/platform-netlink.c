/* Linux: the one way the platform room speaks netlink, through libmnl.
 *
 * Route lookups, link queries, the remote namespace's links, addresses and
 * route (NETLINK_ROUTE) and the socket tables (NETLINK_SOCK_DIAG) all open
 * their socket, send their request and read the answers here: every answer
 * bounded (NL_ANSWER_MAX bytes, NL_READS_MAX reads, a 2 s receive timeout),
 * matched to its request by sequence number, and malformed
 * framing refused with -EPROTO.  What a message means is the caller's
 * callback.  May call libmnl, libc.  Never prints. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "netcheck/platform.h"
#include "netcheck/testing.h"
#include "platform-internal.h"

/* a dump's datagram fits (the kernel sizes it by the largest read it has
 * seen, at least a page); 4096 reads hold any table of
 * NC_PLATFORM_MAX_SOCKETS sockets many times over */
#define NL_ANSWER_MAX 16384
#define NL_READS_MAX 4096

struct nc_platform_nl {
	struct mnl_socket *sock;    /* owned */
	uint32_t seq;
	char answer[NL_ANSWER_MAX]; /* one allocation with the socket's, never zeroed */
};

int nc_platform_nl_open(int bus, int pid, nc_platform_nl_t **ret)
{
	struct timeval tv = { .tv_sec = 2 };
	nc_platform_nl_t *nl;
	int saved = -1, r = 0;

	nl = malloc(sizeof(*nl));
	if (nl == NULL)
		return -ENOMEM;
	nl->sock = NULL;
	nl->seq = 0;
	/* a netlink socket belongs to the namespace it was made in: enter,
	 * make it, come back at once; it is asked from here */
	if (pid > 0) {
		r = nc_platform_netns_enter(pid, &saved);
		if (r < 0)
			goto fail;
	}
	nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (nl->sock == NULL)
		r = -errno;
	if (saved >= 0)
		(void)nc_platform_netns_leave(saved);
	if (r < 0)
		goto fail;
	/* Not bound: the kernel binds it on the first send, and every answer
	 * is matched by sequence number.  Binding (and asking which port id
	 * it got, to check answers against) would be two system calls more
	 * per lookup. */
	/* the kernel answers at once; a bound keeps a broken netns from hanging us */
	(void)setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*ret = nl;
	return 0;
fail:
	nc_platform_nl_close(nl);
	return r;
}

void nc_platform_nl_close(nc_platform_nl_t *nl)
{
	if (nl == NULL)
		return;
	if (nl->sock != NULL)
		mnl_socket_close(nl->sock);
	free(nl);
}

struct nlmsghdr *nc_platform_nl_request(void *buf, uint16_t type, uint16_t flags, size_t header_len)
{
	struct nlmsghdr *nh;

	memset(buf, 0, NC_PLATFORM_NL_REQUEST_MAX);
	nh = mnl_nlmsg_put_header(buf);
	nh->nlmsg_type = type;
	nh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	(void)mnl_nlmsg_put_extra_header(nh, header_len); /* zeroed */
	return nh;
}

/* NLMSG_ERROR: the kernel's errno, 0 an acknowledgement (the end of a
 * request that asked for one), one too short to hold it malformed. */
static int on_error(const struct nlmsghdr *nh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nh);
	(void)data;

	if (nh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

static int on_done(const struct nlmsghdr *nh, void *data)
{
	(void)nh;
	(void)data;
	return MNL_CB_STOP;
}

/* The messages must tile the datagram: a cut one is malformed, not
 * something to skip.  *ret_stale: one of them answers another request
 * (seq 0 matches any). */
static int check_framing(const void *buf, size_t len, uint32_t seq, bool *ret_stale)
{
	const struct nlmsghdr *nh = buf;
	int left = (int)len;

	*ret_stale = false;
	if (len > NL_ANSWER_MAX)
		return -EMSGSIZE;
	for (; mnl_nlmsg_ok(nh, left); nh = mnl_nlmsg_next(nh, &left))
		if (seq != 0 && nh->nlmsg_seq != 0 && nh->nlmsg_seq != seq)
			*ret_stale = true;
	return left == 0 ? 0 : -EPROTO;
}

static int run_callbacks(const void *buf, size_t len, uint32_t seq, mnl_cb_t cb, void *data)
{
	/* libmnl takes the table as non-const; nothing writes to it */
	static mnl_cb_t control[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = on_error,
		[NLMSG_DONE] = on_done,
	};
	int r;

	errno = 0;
	r = mnl_cb_run2(buf, len, seq, 0, cb, data, control, NLMSG_MIN_TYPE);
	if (r == MNL_CB_ERROR)
		return errno > 0 ? -errno : -EPROTO;
	return r == MNL_CB_STOP ? 1 : 0;
}

int nc_platform_nl_parse(const void *buf, size_t len, uint32_t seq, mnl_cb_t cb, void *data)
{
	bool stale;
	int r = check_framing(buf, len, seq, &stale);

	if (r < 0)
		return r;
	return run_callbacks(buf, len, seq, cb, data);
}

int nc_platform_nl_call(nc_platform_nl_t *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	req->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (unsigned reads = 0; reads < NL_READS_MAX; reads++) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->answer, NL_ANSWER_MAX);
		bool stale;
		int r;

		if (n < 0)
			return -errno; /* ENOSPC: a datagram larger than the bound */
		r = check_framing(nl->answer, (size_t)n, req->nlmsg_seq, &stale);
		if (r < 0)
			return r;
		if (stale)
			continue; /* the answer to a request that timed out */
		r = run_callbacks(nl->answer, (size_t)n, req->nlmsg_seq, cb, data);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return -E2BIG;
}

uint32_t nc_platform_nl_requests(const nc_platform_nl_t *nl)
{
	return nl->seq;
}

const void *nc_platform_nl_header(const struct nlmsghdr *nh, uint16_t type, size_t header_len)
{
	if (nh->nlmsg_type != type)
		return NULL;
	if (mnl_nlmsg_get_payload_len(nh) < header_len) {
		errno = EPROTO;
		return NULL;
	}
	return mnl_nlmsg_get_payload(nh);
}
