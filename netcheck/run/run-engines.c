/* `netcheck engines`: every engine netcheck can find here, each asked
 * /version and /info.  May call: engine, classify.  Never prints. */
#include "run-internal.h"

#include <stdio.h>
#include <string.h>

#include "netcheck/testing.h"

static void summarise(const char *url, const char *source, uint64_t timeout_ms, volatile sig_atomic_t *intr,
		      nc_engine_summary_t *ret)
{
	nc_engine_version_t v;
	nc_engine_info_t info;
	nc_engine_t *e = NULL;
	nc_error_t err = { "" };

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->url, sizeof(ret->url), "%s", url);
	ret->source = source;
	ret->status = nc_run_connect(url, NULL, timeout_ms, intr, NULL, &e, &v, &err);
	if (ret->status == 0)
		ret->status = nc_engine_info(e, &info, &err);
	if (ret->status < 0) {
		snprintf(ret->error, sizeof(ret->error), "%s", err.text[0] ? err.text : nc_strerror(ret->status));
	} else {
		ret->kind = nc_run_engine_kind(&v, &info);
		snprintf(ret->name, sizeof(ret->name), "%s",
			 nc_engine_product(&v));
		snprintf(ret->version, sizeof(ret->version), "%s", v.version);
		snprintf(ret->api_version, sizeof(ret->api_version), "%s", v.api_version);
	}
	nc_engine_free(e);
}

int nc_run_engines(uint64_t engine_timeout_ms, volatile sig_atomic_t *intr,
		   void (*cb)(void *data, const nc_engine_summary_t *e), void *data)
{
	char urls[8][NC_ENGINE_URL_MAX];
	nc_engine_source_t sources[8];
	char known[4][NC_ENGINE_URL_MAX];
	size_t n = 0;
	int answered = 0, k;

	/* what `netcheck run` would use (DOCKER_HOST, else the context, else
	 * the first well-known socket), then every other well-known socket */
	if (nc_engine_discover(NULL, NULL, urls[0], sizeof(urls[0]), &sources[0], NULL) == 0)
		n = 1;
	k = nc_engine_well_known(NULL, known, NC_ARRAY_SIZE(known), 0);
	for (int i = 0; i < k && n < NC_ARRAY_SIZE(urls); i++) {
		bool dup = false;

		for (size_t j = 0; j < n; j++)
			dup = dup || strcmp(urls[j], known[i]) == 0;
		if (dup)
			continue;
		memcpy(urls[n], known[i], sizeof(urls[n]));
		sources[n++] = NC_ENGINE_FROM_DEFAULT;
	}
	for (size_t i = 0; i < n; i++) {
		nc_engine_summary_t sum;

		if (intr != NULL && *intr)
			break;
		summarise(urls[i], nc_engine_source_name(sources[i]), engine_timeout_ms, intr, &sum);
		if (sum.status == 0)
			answered++;
		if (cb != NULL)
			cb(data, &sum);
	}
	return answered;
}

