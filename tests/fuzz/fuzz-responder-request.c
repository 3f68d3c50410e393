/* Fuzz target: the responder's request parser and its answer formatting
 * (netcheck/responder/http-parse.c), checked against the probe's parser.
 *
 * Input: the bytes a client sends to the responder.  The parser sees them
 * in a buffer of exactly that size (so ASan catches any read past the
 * end).  Whatever it decides is formatted: an error response for a parse
 * error, else the 200 answer (hostname: the input's last bytes) for a v4
 * peer, a v6 peer and a v4-mapped v6 peer.  Each 200 answer must fit
 * NC_RESPONDER_ANSWER_MAX and be read back by nc_probe_parse_answer() with
 * the same peer and nonce (cut to the probe's NC_NONCE_MAX): abort()
 * otherwise. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http-parse.h"
#include "netcheck/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_answer(const char *answer, int n, const char *nonce, const struct sockaddr *peer)
{
	nc_answer_t a;
	nc_endpoint_t expect;
	char want[NC_NONCE_MAX];

	if (n < 0 || n >= NC_RESPONDER_ANSWER_MAX)
		abort();
	if (nc_probe_parse_answer(answer, (size_t)n, &a) != 0 || a.http_status != 200)
		abort();
	if (nc_endpoint_from_sockaddr(peer, &expect) < 0)
		abort();
	if (!nc_endpoint_equal(&a.peer, &expect))
		abort();
	snprintf(want, sizeof(want), "%s", nonce);
	if (strcmp(a.nonce, want) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char nonce[NC_RESPONDER_NONCE_MAX + 1];
	char answer[NC_RESPONDER_ANSWER_MAX];
	char hostname[NC_RESPONDER_HOSTNAME_MAX + 16];
	struct sockaddr_in peer4, local4;
	struct sockaddr_in6 peer6, mapped6;
	int r, n;

	r = nc_responder_parse_request((const char *)data, size, nonce, sizeof(nonce));
	if (r < 0) {
		n = nc_responder_format_error(nc_responder_status_for(r), answer, sizeof(answer));
		if (n <= 0 || (size_t)n >= sizeof(answer))
			abort();
		return 0;
	}
	if (r != 0 || strlen(nonce) == 0 || strlen(nonce) > NC_RESPONDER_NONCE_MAX)
		abort();
	/* a too-small buffer is refused, never overrun */
	{
		char small[4];
		int r2 = nc_responder_parse_request((const char *)data, size, small, sizeof(small));
		if (r2 != (strlen(nonce) < sizeof(small) ? 0 : -ENOBUFS))
			abort();
	}

	/* hostname: the input's last bytes (cut at a NUL by the formatter) */
	n = size < sizeof(hostname) - 1 ? (int)size : (int)sizeof(hostname) - 1;
	memcpy(hostname, data + size - (size_t)n, (size_t)n);
	hostname[n] = '\0';

	memset(&peer4, 0, sizeof(peer4));
	peer4.sin_family = AF_INET;
	peer4.sin_port = htons(38582);
	inet_pton(AF_INET, "172.17.0.1", &peer4.sin_addr);
	local4 = peer4;
	local4.sin_port = htons(80);
	inet_pton(AF_INET, "172.17.0.2", &local4.sin_addr);
	memset(&peer6, 0, sizeof(peer6));
	peer6.sin6_family = AF_INET6;
	peer6.sin6_port = htons(65535);
	inet_pton(AF_INET6, "fd00:dead:beef::1", &peer6.sin6_addr);
	mapped6 = peer6;
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &mapped6.sin6_addr);

	const struct sockaddr *peers[] = {
		(const struct sockaddr *)&peer4, (const struct sockaddr *)&peer6, (const struct sockaddr *)&mapped6,
	};
	const socklen_t lens[] = { sizeof(peer4), sizeof(peer6), sizeof(mapped6) };
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		nc_responder_facts_t facts = {
			.peer = peers[i],
			.peer_len = lens[i],
			.local = (const struct sockaddr *)&local4,
			.local_len = sizeof(local4),
			.hostname = hostname,
			.nonce = nonce,
			.iflink = (int)size - 1,
			.ifindex = -1,
		};

		n = nc_responder_format_answer(&facts, answer, sizeof(answer));
		check_answer(answer, n, nonce, peers[i]);
	}
	return 0;
}
