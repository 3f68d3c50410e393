/* The text view's notes under the table: each path's route, detail and
 * plain-words notes, and the diagnoses, each with its code (what `netcheck
 * explain` takes) and what it rests on.  A diagnosis that several paths
 * share word for word is printed once, naming them all.  Reads the model
 * only. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/endpoint.h"
#include "netcheck/result.h"
#include "report-internal.h"
#include "report-text-internal.h"

/* Whether a and b say the same: code, sentence, hint and observations. */
static bool same_diagnosis(const nc_diagnosis_t *a, const nc_diagnosis_t *b)
{
	if (a->code != b->code || a->n_observed != b->n_observed || a->observed_cut != b->observed_cut ||
	    strcmp(a->detail, b->detail) != 0 || strcmp(a->hint, b->hint) != 0)
		return false;
	for (size_t k = 0; k < a->n_observed && k < NC_DIAG_OBSERVED_MAX; k++)
		if (a->observed[k].source != b->observed[k].source || strcmp(a->observed[k].text, b->observed[k].text) != 0)
			return false;
	return true;
}

/* Whether path i is the first with its diagnosis (the one that prints it). */
static bool first_with(const nc_result_t *r, size_t i)
{
	const nc_diagnosis_t *d = &nc_result_path_const(r, i)->diagnosis;

	for (size_t j = 0; j < i; j++)
		if (same_diagnosis(&nc_result_path_const(r, j)->diagnosis, d))
			return false;
	return true;
}

/* Path i's diagnosis, naming every path from i on that has the same: one
 * sentence, what was found and what to do, then what it rests on, one
 * line each. */
static void print_diagnosis(out_t *o, const nc_result_t *r, size_t i)
{
	const nc_diagnosis_t *d = &nc_result_path_const(r, i)->diagnosis;
	char names[NC_MAX_PATHS * 24], text[NC_DIAG_DETAIL_MAX + 1], hint[NC_DIAG_HINT_MAX + 1];
	const char *code = nc_report_name_or(nc_diag_code_name(d->code), "?");
	size_t used = 0;

	names[0] = '\0';
	for (size_t j = i; j < nc_result_path_count(r); j++) {
		const nc_path_t *p = nc_result_path_const(r, j);
		int n;

		if (j != i && !same_diagnosis(&p->diagnosis, d))
			continue;
		n = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", nc_report_path_name(p));
		if (n < 0 || (size_t)n >= sizeof(names) - used) {
			snprintf(names + used, sizeof(names) - used, ", ...");
			break;
		}
		used += (size_t)n;
	}
	if (CLEAN(d->detail, text) == 0)
		text_line_printf(o, 2, 4, "%s: [%s]", names, code);
	else if (CLEAN(d->hint, hint) > 0)
		text_line_printf(o, 2, 4, "%s: [%s] %s; hint: %s", names, code, text, hint);
	else
		text_line_printf(o, 2, 4, "%s: [%s] %s", names, code, text);
	for (size_t k = 0; k < d->n_observed && k < NC_DIAG_OBSERVED_MAX; k++) {
		CLEAN(d->observed[k].text, text);
		text_line_printf(o, 6, 8, "observed (%s): %s",
				 nc_report_name_or(nc_obs_source_name(d->observed[k].source), "?"), text);
	}
	if (d->observed_cut)
		text_line_printf(o, 6, 8, "(more was observed than the report holds)");
}

/* Route, detail, diagnosis and the plain-words notes under the table, one
 * wrapped paragraph each. */
void text_print_notes(out_t *o, const nc_result_t *r)
{
	bool any = false;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		const nc_path_t *p = nc_result_path_const(r, i);
		char text[NC_DETAIL_MAX + 1];

#define NOTE(...)                                        \
	do {                                             \
		if (!any)                                \
			fputc('\n', o->f);               \
		any = true;                              \
		text_line_printf(o, 2, 4, __VA_ARGS__);       \
	} while (0)
		if (CLEAN(p->route, text) > 0)
			NOTE("%s: route %s", nc_report_path_name(p), text);
		if (CLEAN(p->detail, text) > 0)
			NOTE("%s: %s", nc_report_path_name(p), text);
		if (p->diagnosis.code != NC_DIAG_NONE && first_with(r, i)) {
			if (!any)
				fputc('\n', o->f);
			any = true;
			print_diagnosis(o, r, i);
		}
		if (p->arrival != NC_ARRIVAL_NONE) {
			char listener[NC_ENDPOINT_STRLEN], peer[NC_ENDPOINT_STRLEN];

			nc_endpoint_format(&p->target, true, listener, sizeof(listener));
			nc_endpoint_format(&p->peer_seen, true, peer, sizeof(peer));
			CLEAN(p->arrival_interface, text);
			NOTE("%s: arrived at %s (%s) from %s: %s", nc_report_path_name(p), listener, text, peer,
			     p->arrival == NC_ARRIVAL_FORWARDER
				     ? "through a forwarder on this host (a process here connected for the container)"
				     : "directly, from the container's side of the route");
		}
		if (p->mechanism == NC_MECH_OUT_OF_SIGHT)
			NOTE("%s: the forwarder's onward leg is not visible from this host "
			     "(a VM or a namespace netcheck cannot enter)", nc_report_path_name(p));
		if (p->foreign_responder) {
			CLEAN(p->answered_by, text);
			NOTE("%s: answered by container %s, not ours: IP collision", nc_report_path_name(p),
			     text[0] ? text : "(unknown)");
		}
#undef NOTE
	}
}
