/* netcheck watch's metrics: what each path did over the cycles, rendered
 * as OpenMetrics or Prometheus text, a cycle as an NDJSON line, and the
 * line a state change prints.  Reads the model only.  May call: model,
 * jansson.  Called by: cli (cli-watch.c). */
#include "netcheck/metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "netcheck/common.h"
#include "netcheck/report.h"

/* seconds: from a loopback SYN (~50 µs) to a probe's whole timeout */
static const double buckets[NC_METRICS_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
						    0.01,   0.025,   0.05,   0.1,   0.5,    2.5 };

struct code_count {
	char code[32];
	uint64_t count;
};

enum { STATE_MAX = 48 };

struct path_metrics {
	char name[NC_PATH_NAME_MAX];
	char target[NC_NAME_MAX];
	char mechanism[32];
	char state[STATE_MAX];          /* the verdict, or the diagnosis code of a failure */
	bool up;
	uint64_t bucket[NC_METRICS_BUCKETS]; /* cumulative at render time, not here */
	uint64_t count;
	double sum;
	struct code_count codes[NC_METRICS_MAX_CODES + 1]; /* the last: "other" */
	size_t n_codes;
};

struct nc_metrics {
	struct path_metrics paths[NC_MAX_PATHS];
	size_t n_paths;
	uint64_t cycles;
	double cycle_seconds;
};

nc_metrics_t *nc_metrics_new(void)
{
	return calloc(1, sizeof(nc_metrics_t));
}

void nc_metrics_free(nc_metrics_t *m)
{
	free(m);
}

static struct path_metrics *path_slot(nc_metrics_t *m, const char *name)
{
	for (size_t i = 0; i < m->n_paths; i++)
		if (strcmp(m->paths[i].name, name) == 0)
			return &m->paths[i];
	if (m->n_paths >= NC_MAX_PATHS)
		return NULL;
	struct path_metrics *pm = &m->paths[m->n_paths++];
	snprintf(pm->name, sizeof(pm->name), "%s", name);
	return pm;
}

static void count_failure(struct path_metrics *pm, const char *code)
{
	size_t i;

	for (i = 0; i < pm->n_codes; i++)
		if (strcmp(pm->codes[i].code, code) == 0)
			break;
	if (i == pm->n_codes) {
		if (pm->n_codes == NC_METRICS_MAX_CODES) {
			i = NC_METRICS_MAX_CODES;
			snprintf(pm->codes[i].code, sizeof(pm->codes[i].code), "other");
		} else {
			snprintf(pm->codes[i].code, sizeof(pm->codes[i].code), "%s", code);
			pm->n_codes++;
		}
	}
	pm->codes[i].count++;
}

/* seconds from connect to the answer; < 0: none measured */
static double path_latency(const nc_path_t *p)
{
	double ms = p->timings.total_ms >= 0 ? p->timings.total_ms : p->timings.connect_ms;

	return ms >= 0 ? ms / 1000.0 : -1;
}

static const char *path_state(const nc_path_t *p)
{
	if (p->verdict != NC_VERDICT_REACHABLE && p->diagnosis.code != NC_DIAG_NONE)
		return nc_diag_code_name(p->diagnosis.code);
	return nc_verdict_name(p->verdict);
}

/* the line watch prints for a path: "NAME: [FROM -> ]STATE[ (why)]", FROM
 * NULL on the first cycle (there is no earlier state to name) */
static void say_state(const nc_path_t *p, const char *from, const char *state, bool ascii,
		      nc_metrics_change_fn cb, void *data)
{
	char line[NC_PATH_NAME_MAX + 2 * STATE_MAX + 200];
	bool why = p->verdict != NC_VERDICT_REACHABLE && p->diagnosis.detail[0] != '\0';

	if (cb == NULL)
		return;
	snprintf(line, sizeof(line), "%s: %s%s%s%s%.160s%s", p->name, from != NULL ? from : "",
		 from == NULL ? "" : ascii ? " -> " : " \u2192 ", state, why ? " (" : "",
		 why ? p->diagnosis.detail : "", why ? ")" : "");
	cb(data, line);
}

int nc_metrics_observe(nc_metrics_t *m, const nc_result_t *r, double cycle_seconds, bool ascii,
		       nc_metrics_change_fn cb, void *data)
{
	const nc_container_t *c = nc_result_container_const(r);
	int changed = 0;

	m->cycles++;
	m->cycle_seconds = cycle_seconds;
	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);
		struct path_metrics *pm;
		const char *state = path_state(p);
		double lat = path_latency(p);

		if (p->verdict == NC_VERDICT_SKIPPED || (pm = path_slot(m, p->name)) == NULL)
			continue;
		/* the first cycle: a line for each path not as expected, so a
		 * path that fails from the start is said too (it never changes) */
		if (pm->state[0] == '\0' && !p->expected)
			say_state(p, NULL, state, ascii, cb, data);
		if (pm->state[0] != '\0' && strcmp(pm->state, state) != 0) {
			changed++;
			say_state(p, pm->state, state, ascii, cb, data);
		}
		snprintf(pm->state, sizeof(pm->state), "%s", state);
		/* a project's paths each reach their own container */
		snprintf(pm->target, sizeof(pm->target), "%s", p->container[0] != '\0' ? p->container : c->name);
		snprintf(pm->mechanism, sizeof(pm->mechanism), "%s", nc_mechanism_name(p->mechanism));
		pm->up = p->verdict == NC_VERDICT_REACHABLE;
		if (!pm->up)
			count_failure(pm, state);
		if (pm->up && lat >= 0) {
			for (size_t b = 0; b < NC_METRICS_BUCKETS; b++)
				if (lat <= buckets[b]) {
					pm->bucket[b]++;
					break;
				}
			pm->count++;
			pm->sum += lat;
		}
	}
	return changed;
}

/* ---- rendering: a growing buffer -------------------------------------- */

struct out {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = true;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = o->cap * 2 + (size_t)n;
		char *b = realloc(o->buf, cap);
		if (b == NULL) {
			o->failed = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
}

/* a label value: backslash, quote and newline escaped (both formats) */
static void put_label(struct out *o, const char *name, const char *value, bool first)
{
	put(o, "%s%s=\"", first ? "" : ",", name);
	for (const char *v = value; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			put(o, "\\%c", *v);
		else if (*v == '\n')
			put(o, "\\n");
		else
			put(o, "%c", *v);
	}
	put(o, "\"");
}

/* HELP and TYPE; OpenMetrics names a counter's family without _total */
static void put_family(struct out *o, bool om, const char *name, const char *type, const char *help)
{
	size_t n = strlen(name);

	if (om && strcmp(type, "counter") == 0 && n > 6 && strcmp(name + n - 6, "_total") == 0)
		n -= 6;
	put(o, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help, (int)n, name, type);
}

char *nc_metrics_render(const nc_metrics_t *m, bool om)
{
	struct out o = { .cap = 4096 };

	o.buf = malloc(o.cap);
	if (o.buf == NULL)
		return NULL;
	o.buf[0] = '\0';
	put_family(&o, om, "netcheck_path_up", "gauge", "Whether the path was reachable in the last cycle.");
	for (size_t i = 0; i < m->n_paths; i++) {
		const struct path_metrics *pm = &m->paths[i];

		put(&o, "netcheck_path_up{");
		put_label(&o, "path", pm->name, true);
		put_label(&o, "target", pm->target, false);
		put_label(&o, "mechanism", pm->mechanism, false);
		put(&o, "} %d\n", pm->up ? 1 : 0);
	}
	put_family(&o, om, "netcheck_path_latency_seconds", "histogram",
		   "Time from connecting to the answer, of the cycles the path was reachable.");
	for (size_t i = 0; i < m->n_paths; i++) {
		const struct path_metrics *pm = &m->paths[i];
		uint64_t cumulative = 0;

		for (size_t b = 0; b < NC_METRICS_BUCKETS; b++) {
			cumulative += pm->bucket[b];
			put(&o, "netcheck_path_latency_seconds_bucket{");
			put_label(&o, "path", pm->name, true);
			put(&o, ",le=\"%g\"} %llu\n", buckets[b], (unsigned long long)cumulative);
		}
		put(&o, "netcheck_path_latency_seconds_bucket{");
		put_label(&o, "path", pm->name, true);
		put(&o, ",le=\"+Inf\"} %llu\nnetcheck_path_latency_seconds_sum{", (unsigned long long)pm->count);
		put_label(&o, "path", pm->name, true);
		put(&o, "} %.6f\nnetcheck_path_latency_seconds_count{", pm->sum);
		put_label(&o, "path", pm->name, true);
		put(&o, "} %llu\n", (unsigned long long)pm->count);
	}
	put_family(&o, om, "netcheck_path_failures_total", "counter",
		   "Cycles in which the path failed, by diagnosis code (or verdict when none).");
	for (size_t i = 0; i < m->n_paths; i++) {
		const struct path_metrics *pm = &m->paths[i];

		for (size_t c = 0; c <= NC_METRICS_MAX_CODES; c++) {
			if (c == pm->n_codes && c < NC_METRICS_MAX_CODES)
				break;
			if (pm->codes[c].count == 0)
				continue;
			put(&o, "netcheck_path_failures_total{");
			put_label(&o, "path", pm->name, true);
			put_label(&o, "code", pm->codes[c].code, false);
			put(&o, "} %llu\n", (unsigned long long)pm->codes[c].count);
		}
	}
	put_family(&o, om, "netcheck_cycles_total", "counter", "Cycles completed.");
	put(&o, "netcheck_cycles_total %llu\n", (unsigned long long)m->cycles);
	put_family(&o, om, "netcheck_cycle_duration_seconds", "gauge",
		   "How long the last cycle took: probes, capture, attribution, facts.");
	put(&o, "netcheck_cycle_duration_seconds %.6f\n", m->cycle_seconds);
	if (om)
		put(&o, "# EOF\n");
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	return o.buf;
}

char *nc_metrics_cycle_json(const nc_result_t *r, uint64_t cycle, double unix_time, double cycle_seconds)
{
	json_t *line = json_object(), *paths = json_array();
	char *text = NULL;

	if (line == NULL || paths == NULL)
		goto out;
	json_object_set_new(line, "cycle", json_integer((json_int_t)cycle));
	json_object_set_new(line, "time", json_real(unix_time));
	json_object_set_new(line, "duration_seconds", json_real(cycle_seconds));
	json_object_set_new(line, "target", json_string(nc_result_container_const(r)->name));
	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);
		double lat = path_latency(p);
		/* the JSON report's own path object, so one schema reads both; its
		 * packet list (up to 512 a path, -v's) is not built for a line a cycle */
		json_t *o = nc_report_json_path(p, false);

		if (o == NULL)
			goto out;
		json_object_set_new(o, "latency_seconds",
				    p->verdict == NC_VERDICT_REACHABLE && lat >= 0 ? json_real(lat) : json_null());
		json_array_append_new(paths, o);
	}
	json_object_set(line, "paths", paths);
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)); /* as the report's */
out:
	json_decref(paths);
	json_decref(line);
	return text;
}
