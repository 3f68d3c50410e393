/* Records the raw answer of one NETLINK_SOCK_DIAG inet_diag dump, as the
 * kernel sends it, for tests/fixtures/ (netcheck/test-platform.c feeds it
 * to nc_platform_parse_sock_diag).  Not built by meson:
 *   cc -o record-sock-diag tests/record-sock-diag.c
 *   ./record-sock-diag tcp4|tcp6|udp4|udp6 > fixture.bin
 * Run it inside the namespace to record (unshare -n, ip netns exec). */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} msg;
	static char buf[1 << 16];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (argc != 2 || fd < 0)
		return 2;
	memset(&msg, 0, sizeof(msg));
	msg.nh.nlmsg_len = sizeof(msg);
	msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nh.nlmsg_seq = 3;
	msg.req.sdiag_family = strchr(argv[1], '6') ? AF_INET6 : AF_INET;
	msg.req.sdiag_protocol = strncmp(argv[1], "tcp", 3) == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	msg.req.idiag_states = msg.req.sdiag_protocol == IPPROTO_TCP ? 1u << 10 : ~0u;
	if (send(fd, &msg, sizeof(msg), 0) < 0)
		return 1;
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;

		if (n <= 0)
			return 1;
		fwrite(buf, 1, (size_t)n, stdout);
		for (; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n))
			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR)
				return 0;
	}
	return 1;
}
