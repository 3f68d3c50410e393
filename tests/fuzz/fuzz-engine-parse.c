/* Fuzz target: Engine API answers (engine-parse.c).
 *
 * Input: the text of an answer, as the engine sends it.  The same bytes go
 * to every text parser (version, info, container inspect, network inspect),
 * since a hostile engine may answer any call with anything; the inspect
 * parser is asked for port 80 (the responder's) and for 443.  They also go
 * to the log-stream decoder, multiplexed and TTY, into a small buffer.  The
 * API version strings that come out, and the input's first bytes, go
 * through nc_engine_api_number() as a bounded, NUL-terminated copy. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define API_TEXT_MAX 32

static void api_number(const char *s, size_t n)
{
	char text[API_TEXT_MAX];
	int v;

	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, s, n);
	text[n] = '\0';
	v = nc_engine_api_number(text);
	if (v != -EINVAL && (v < 0 || v > 9999)) /* N.M with N, M <= 99 */
		abort();
}

/* Every fixed-size string the parsers fill must end inside its array. */
#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nc_engine_version_t ver;
	nc_engine_info_t info;
	nc_container_info_t c;
	nc_network_info_t net;
	nc_error_t err;
	const char *text = (const char *)data;
	char logs[64];
	int n;

	api_number(text, size);
	for (int tty = 0; tty < 2; tty++) {
		n = nc_engine_parse_logs_text(text, size, tty, logs, sizeof(logs));
		if (n >= (int)sizeof(logs) || (n >= 0 && logs[n] != '\0'))
			abort();
	}
	if (nc_engine_parse_version_text(text, size, &ver, &err) == 0) {
		if (!TERMINATED(ver.version) || !TERMINATED(ver.api_version) || !TERMINATED(ver.platform_name) ||
		    !TERMINATED(ver.kernel) || !TERMINATED(ver.os) || !TERMINATED(ver.arch))
			abort();
		api_number(ver.api_version, strlen(ver.api_version));
		api_number(ver.min_api_version, strlen(ver.min_api_version));
	}
	if (!TERMINATED(err.text))
		abort();
	if (nc_engine_parse_info_text(text, size, &info, &err) == 0) {
		if (!TERMINATED(info.name) || !TERMINATED(info.operating_system) || !TERMINATED(info.kernel))
			abort();
	}
	for (int i = 0; i < 2; i++) {
		uint16_t port = i == 0 ? 80 : 443;

		if (nc_engine_parse_inspect_text(text, size, port, &c, &err) == 0) {
			if (!TERMINATED(c.id) || !TERMINATED(c.network) || !TERMINATED(c.published_ip) ||
			    c.id[0] == '\0' || c.pid < 0 || c.n_networks > NC_ENGINE_MAX_NETWORKS ||
			    c.n_ports > NC_ENGINE_MAX_PORTS || c.n_labels > NC_ENGINE_MAX_LABELS || !TERMINATED(c.status))
				abort();
			for (size_t k = 0; k < c.n_ports; k++)
				if (c.ports[k].host_port == 0 || c.ports[k].container_port == 0)
					abort();
			if (c.ip.family != 0 && c.ip.port != port)
				abort();
		}
	}
	if (nc_engine_parse_network_text(text, size, &net, &err) == 0) {
		if (net.id[0] == '\0' || !TERMINATED(net.bridge) || !TERMINATED(net.subnet4) || !TERMINATED(net.subnet6))
			abort();
	}
	return 0;
}
