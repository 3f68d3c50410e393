/* Fuzz target: the probe's reading of the responder's answer
 * (nc_probe_parse_answer in netcheck/probe/probe.c).
 *
 * Input: the bytes read from the connection, at most NC_PROBE_MAX_ANSWER
 * of them as in the probe, in a buffer of exactly that size (no NUL after
 * it, so ASan catches any read past the end).  On success the answer must
 * be consistent: a status 100-599, NUL-terminated strings, and for a 200 a
 * peer address that is set: abort() otherwise. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nc_answer_t a;
	int r;

	if (size > NC_PROBE_MAX_ANSWER)
		size = NC_PROBE_MAX_ANSWER;
	r = nc_probe_parse_answer((const char *)data, size, &a);
	if (r != 0)
		return 0;
	if (a.http_status < 100 || a.http_status > 599)
		abort();
	if (memchr(a.hostname, '\0', sizeof(a.hostname)) == NULL || memchr(a.nonce, '\0', sizeof(a.nonce)) == NULL)
		abort();
	if (a.http_status == 200 && (!nc_endpoint_is_set(&a.peer) || a.peer.port == 0))
		abort();
	return 0;
}
