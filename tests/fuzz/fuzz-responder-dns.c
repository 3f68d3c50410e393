/* Fuzz target: the responder's name resolution parsers
 * (netcheck/responder/dns-parse.c).
 *
 * Input: a DNS message as it arrives on the responder's query socket; the
 * same bytes are also read as /etc/hosts and /etc/resolv.conf text.  The
 * parsers see a buffer of exactly the input's size.  The message is judged
 * as the answer to the query its own header and question claim (id, the
 * question name when it decodes, A and AAAA), and as an answer to
 * "netcheck-peer".  Checked: no read past the end, results within max and
 * of the asked family, return codes from the documented set, and a query
 * we write for a decoded name parses as not-an-answer (-EAGAIN: QR unset).
 * abort() on any broken rule. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size, uint16_t id, const char *name, uint16_t qtype)
{
	nc_responder_addr_t out[3];
	int r;

	r = nc_responder_dns_answer(data, size, id, name, qtype, out, 3);
	if (r > 3 || (r < 0 && r != -EAGAIN && r != -ENOENT && r != -EIO && r != -EBADMSG))
		abort();
	for (int i = 0; i < r; i++)
		if (out[i].family != (qtype == NC_DNS_TYPE_A ? AF_INET : AF_INET6))
			abort();
	/* max 0 stores nothing, and counts nothing */
	r = nc_responder_dns_answer(data, size, id, name, qtype, NULL, 0);
	if (r > 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nc_responder_addr_t addr, servers[2];
	uint8_t query[NC_DNS_MESSAGE_MAX];
	char name[NC_DNS_NAME_MAX + 1] = "";
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	int n;

	/* the question's name, when it is plain labels */
	for (size_t pos = 12, out = 0; pos < size && size > 12;) {
		uint8_t l = data[pos++];

		if (l == 0 || l > 63 || pos + l > size || out + l + 1 > NC_DNS_NAME_MAX)
			break;
		if (out > 0)
			name[out++] = '.';
		memcpy(name + out, data + pos, l);
		out += l;
		name[out] = '\0';
		pos += l;
	}
	if (name[0] != '\0') {
		check(data, size, id, name, NC_DNS_TYPE_A);
		check(data, size, id, name, NC_DNS_TYPE_AAAA);
		n = nc_responder_dns_query(name, id, NC_DNS_TYPE_A, query, sizeof(query));
		if (n > 0 && nc_responder_dns_answer(query, (size_t)n, id, name, NC_DNS_TYPE_A, &addr, 1) != -EAGAIN)
			abort();
	}
	check(data, size, id, "netcheck-peer", NC_DNS_TYPE_A);

	if (nc_responder_hosts_lookup((const char *)data, size, "netcheck-peer", &addr, NULL) == 0 &&
	    addr.family != AF_INET && addr.family != AF_INET6)
		abort();
	n = nc_responder_resolv_nameservers((const char *)data, size, servers, 2);
	if (n < 0)
		abort();
	for (int i = 0; i < n && i < 2; i++)
		if (servers[i].family != AF_INET && servers[i].family != AF_INET6)
			abort();
	return 0;
}
