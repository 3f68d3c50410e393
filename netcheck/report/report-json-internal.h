/* Private to the JSON view (report-json.c, report-json-path.c): the
 * value helpers both build with.  May call: jansson, endpoint, result,
 * report-internal.h.  Never print. */
#ifndef NETCHECK_REPORT_JSON_INTERNAL_H
#define NETCHECK_REPORT_JSON_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include <jansson.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"
#include "report-internal.h"

/* Every json_object_set_new()/json_array_append_new() takes the new value
 * even when it fails, and fails on a NULL value, so one check per field
 * covers both an allocation failure of the value and of the slot. */
#define SET(obj, key, value)                                          \
	do {                                                          \
		if (json_object_set_new((obj), (key), (value)) < 0)   \
			goto fail;                                    \
	} while (0)
/* For a value the function still holds in var: var is given away either way. */
#define SET_TAKE(obj, key, var)                                       \
	do {                                                          \
		int set_rc_ = json_object_set_new((obj), (key), (var)); \
		(var) = NULL;                                         \
		if (set_rc_ < 0)                                      \
			goto fail;                                    \
	} while (0)
#define APPEND(arr, value)                                            \
	do {                                                          \
		if (json_array_append_new((arr), (value)) < 0)        \
			goto fail;                                    \
	} while (0)

/* Model text fields are fixed-size arrays: pass the field, not a pointer. */
#define JSTR(field) jstr((field), sizeof(field))
#define JSTR_OR_NULL(field) jstr_or_null((field), sizeof(field))

/* returns: new */
static inline json_t *jstr(const char *field, size_t max)
{
	char buf[2 * NC_DETAIL_MAX];

	/* json_string() rejects invalid UTF-8; the model may hold a string
	 * cut mid-character, so repair it rather than fail the whole report. */
	nc_report_clean(field, max < sizeof(buf) ? max : sizeof(buf) - 1, false, buf, sizeof(buf));
	return json_string(buf);
}

static inline json_t *jstr_or_null(const char *field, size_t max)
{
	if (field == NULL || max == 0 || field[0] == '\0')
		return json_null();
	return jstr(field, max);
}

static inline json_t *jname(const char *name)
{
	return json_string(name != NULL ? name : "unknown");
}

static inline json_t *jendpoint(const nc_endpoint_t *e, bool with_port)
{
	char buf[NC_ENDPOINT_STRLEN];

	if (!nc_endpoint_is_set(e) || nc_endpoint_format(e, with_port, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

static inline json_t *jtime(uint64_t ts_ns)
{
	char buf[64];

	if (nc_report_time_rfc3339(ts_ns, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

static inline json_t *jinteger_u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Milliseconds to the microsecond; null when not measured (< 0).
 * json_real() refuses NaN and infinities, so those are null too. */
static inline json_t *jms(double ms)
{
	if (!isfinite(ms) || ms < 0)
		return json_null();
	if (ms < 1e12)
		ms = (double)(int64_t)(ms * 1000.0 + 0.5) / 1000.0;
	return json_real(ms);
}

#endif
