/* Fuzz target: the witness room's readers of what the kernel and nft say
 * (netcheck/witness): the trace events (nc_witness_trace_feed, through
 * libnftnl's parser, into passages), a conntrack dump
 * (nc_witness_conntrack_parse) and nft's listing (nc_witness_rules_parse,
 * then a lookup of every handle up to 64).
 *
 * Input: the first byte picks the reader, the rest is its input, copied
 * into a buffer of exactly its size (ASan catches a read past the end).
 * Passages must stay within their bounds: abort() otherwise. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/witness.h"
#include "../../netcheck/witness/witness-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static nc_endpoint_t addr(const char *a, uint16_t port)
{
	nc_endpoint_t e;

	if (nc_endpoint_parse(a, port, &e) < 0)
		abort();
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const nc_trace_flow_t flows[] = {
		{ 6, addr("127.0.0.1", 0), addr("127.0.0.1", 7001) },
		{ 17, { 0 }, addr("127.0.0.1", 7003) },
		{ 6, addr("::1", 0), addr("::1", 7001) },
		{ 6, { 0 }, addr("198.18.0.1", 8080) },
	};
	uint8_t *copy;

	if (size < 1)
		return 0;
	copy = malloc(size - 1 > 0 ? size - 1 : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0: {
		nc_trace_t *t;

		if (nc_witness_trace_offline("netcheck_trace_1_rec", flows, NC_ARRAY_SIZE(flows), &t) < 0)
			abort();
		nc_witness_trace_feed(t, copy, size - 1);
		nc_witness_trace_flush(t);
		for (size_t f = 0; f < nc_witness_trace_flow_count(t); f++) {
			if (nc_witness_trace_passage_count(t, f) > NC_TRACE_MAX_PASSAGES)
				abort();
			for (size_t i = 0; i < nc_witness_trace_passage_count(t, f); i++) {
				const nc_trace_passage_t *p = nc_witness_trace_passage(t, f, i);

				if (p->n_steps > NC_TRACE_MAX_STEPS || p->packets == 0)
					abort();
				for (size_t k = 0; k < p->n_steps; k++)
					if (p->steps[k].table == NULL || p->steps[k].chain == NULL)
						abort();
			}
		}
		nc_witness_trace_free(t);
		break;
	}
	case 1: {
		nc_witness_ct_entry_t *e;
		size_t n;

		if (nc_witness_conntrack_parse(copy, size - 1, flows, NC_ARRAY_SIZE(flows), &e, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				if (e[i].flow >= NC_ARRAY_SIZE(flows))
					abort();
			free(e);
		}
		break;
	}
	default: {
		nc_witness_rules_t *r;
		nc_error_t err;

		if (nc_witness_rules_parse((const char *)copy, size - 1, &r, &err) == 0) {
			for (uint64_t h = 0; h < 64; h++) {
				const char *comment;
				const char *text = nc_witness_rules_text(r, 1, "rec", "input", h, &comment);

				if (text != NULL && strlen(text) >= size)
					abort();
			}
			nc_witness_rules_free(r);
		}
		break;
	}
	}
	free(copy);
	return 0;
}
