/* Address + port helpers.  Owns no state. */
#include "netcheck/endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int nc_endpoint_format(const nc_endpoint_t *e, bool with_port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	if (e == NULL || e->family == 0) {
		n = snprintf(buf, len, "-");
	} else {
		if (inet_ntop(e->family, &e->addr, a, sizeof(a)) == NULL)
			return -errno;
		if (!with_port)
			n = snprintf(buf, len, "%s", a);
		else if (e->family == AF_INET6)
			n = snprintf(buf, len, "[%s]:%u", a, e->port);
		else
			n = snprintf(buf, len, "%s:%u", a, e->port);
	}
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

int nc_endpoint_parse(const char *addr, uint16_t port, nc_endpoint_t *ret)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n;

	memset(ret, 0, sizeof(*ret));
	if (addr == NULL)
		return -EINVAL;
	n = strlen(addr);
	if (n >= sizeof(tmp))
		return -EINVAL;
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		memcpy(tmp, addr + 1, n - 2);
		tmp[n - 2] = '\0';
	} else {
		memcpy(tmp, addr, n + 1);
	}
	if (inet_pton(AF_INET, tmp, &ret->addr.v4) == 1)
		ret->family = AF_INET;
	else if (inet_pton(AF_INET6, tmp, &ret->addr.v6) == 1)
		ret->family = AF_INET6;
	else
		return -EINVAL;
	ret->port = port;
	return 0;
}

bool nc_endpoint_addr_equal(const nc_endpoint_t *a, const nc_endpoint_t *b)
{
	if (a->family != b->family || a->family == 0)
		return false;
	if (a->family == AF_INET)
		return a->addr.v4.s_addr == b->addr.v4.s_addr;
	return memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) == 0;
}

bool nc_endpoint_equal(const nc_endpoint_t *a, const nc_endpoint_t *b)
{
	return nc_endpoint_addr_equal(a, b) && a->port == b->port;
}

bool nc_endpoint_is_loopback(const nc_endpoint_t *e)
{
	if (e->family == AF_INET)
		return (ntohl(e->addr.v4.s_addr) >> 24) == 127;
	return e->family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&e->addr.v6);
}

bool nc_endpoint_is_set(const nc_endpoint_t *e)
{
	return e != NULL && e->family != 0;
}

int nc_endpoint_to_sockaddr(const nc_endpoint_t *e, struct sockaddr_storage *ret, socklen_t *ret_len)
{
	memset(ret, 0, sizeof(*ret));
	if (e->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ret;
		in->sin_family = AF_INET;
		in->sin_addr = e->addr.v4;
		in->sin_port = htons(e->port);
		*ret_len = sizeof(*in);
	} else if (e->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = e->addr.v6;
		in6->sin6_port = htons(e->port);
		*ret_len = sizeof(*in6);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

int nc_endpoint_from_sockaddr(const struct sockaddr *sa, nc_endpoint_t *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		ret->family = AF_INET;
		ret->addr.v4 = in->sin_addr;
		ret->port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		/* a v4-mapped peer is reported as the v4 address it is */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			ret->family = AF_INET;
			memcpy(&ret->addr.v4, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			ret->family = AF_INET6;
			ret->addr.v6 = in6->sin6_addr;
		}
		ret->port = ntohs(in6->sin6_port);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}
