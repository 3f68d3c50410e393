/* The expectation table, --expect and whether each path behaved as
 * expected: what a path should do in each environment, and why it counts
 * as unexpected when it does not.  Reads and writes the model only. */
#include "netcheck/policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/common.h"

#define M(x) (1u << (x))

/* The expectation table.  Attached engines (native Linux, rootful Podman)
 * put the container on a bridge of this host: the container IP answers
 * directly and a published port is reached through docker-proxy or kernel
 * NAT.  Forwarding-only engines (Desktop's VM, rootless engines, anything
 * whose bridge is not here) never route the container IP from the host;
 * only a published port works, through a forwarder. */
nc_expectation_t nc_expect_for(nc_env_kind_t env, nc_path_kind_t path)
{
	nc_expectation_t e = { .verdict = NC_VERDICT_REACHABLE, .mechanisms = 0 };
	bool direct = nc_path_kind_is_direct(path);

	if (nc_path_kind_from_container(path) || path >= NC_PATH_PUBLISHED_NODE)
		return e; /* reachable, by whatever the engine's network does */

	switch (env) {
	case NC_ENV_NATIVE_LINUX:
	case NC_ENV_PODMAN:
		if (direct)
			e.mechanisms = M(NC_MECH_DIRECT);
		else
			e.mechanisms = M(NC_MECH_PROXY) | M(NC_MECH_NAT);
		break;
	case NC_ENV_DOCKER_DESKTOP:
	case NC_ENV_ROOTLESS_DOCKER:
	case NC_ENV_ROOTLESS_PODMAN:
	case NC_ENV_NOT_ATTACHED:
		if (direct) {
			e.verdict = NC_VERDICT_UNROUTABLE;
			e.mechanisms = M(NC_MECH_NONE);
		} else {
			e.mechanisms = M(NC_MECH_PROXY) | M(NC_MECH_OUT_OF_SIGHT);
		}
		break;
	default:
		e.mechanisms = 0;
		break;
	}
	return e;
}

void nc_expect_apply(nc_result_t *r)
{
	const nc_expectation_t *overrides = nc_result_expect_overrides_const(r);
	nc_env_kind_t env = nc_result_environment_const(r)->kind;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		nc_path_t *p = nc_result_path(r, i);

		p->expectation = nc_expect_for(env, p->kind);
		/* the default bridge has no embedded DNS: a peer's name does not resolve there */
		if (p->kind == NC_PATH_CONTAINER_TO_CONTAINER_DNS && strcmp(p->network, "bridge") == 0) {
			p->expectation.verdict = NC_VERDICT_UNREACHABLE;
			p->expectation.mechanisms = M(NC_MECH_NONE);
		}
		if (overrides[p->kind].overridden) {
			/* an override names only the fields it sets; the rest follow the environment */
			const nc_expectation_t *o = &overrides[p->kind];
			if (o->verdict_set) {
				/* the environment's mechanisms go with its verdict, not with another one */
				if (!o->mechanisms_set && o->verdict != p->expectation.verdict)
					p->expectation.mechanisms = 0;
				p->expectation.verdict = o->verdict;
			}
			if (o->mechanisms_set) {
				p->expectation.mechanisms = o->mechanisms;
				/* only a reachable path has a mechanism other than none */
				if (!o->verdict_set && (o->mechanisms & ~M(NC_MECH_NONE)) != 0)
					p->expectation.verdict = NC_VERDICT_REACHABLE;
			}
			p->expectation.overridden = true;
		}
	}
}


static bool path_in_group(nc_path_kind_t k, const char *group)
{
	if (strcmp(group, "direct") == 0)
		return nc_path_kind_is_direct(k);
	if (strcmp(group, "published") == 0)
		return nc_path_kind_is_published(k);
	return strcmp(group, nc_path_kind_name(k)) == 0;
}

static bool is_path_or_group(const char *name)
{
	nc_path_kind_t k;

	return strcmp(name, "direct") == 0 || strcmp(name, "published") == 0 ||
	       nc_path_kind_from_name(name, &k) == 0;
}

/* Overrides are stored on the result and applied to paths as they are
 * added, so --expect can be parsed before any path exists. */
int nc_expect_parse(nc_result_t *r, const char *spec, struct nc_error *err)
{
	char buf[512];
	char *save = NULL, *item;

	if (spec == NULL || *spec == '\0')
		return nc_error_set(err, -EINVAL, "--expect needs PATH=VALUE[,...]");
	if (strlen(spec) >= sizeof(buf))
		return nc_error_set(err, -EINVAL, "--expect value too long (max %zu bytes)", sizeof(buf) - 1);
	strcpy(buf, spec);
	for (item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		nc_verdict_t v = NC_VERDICT_REACHABLE;
		nc_mechanism_t m = NC_MECH_NONE;
		bool is_verdict;

		if (eq == NULL || eq == item || eq[1] == '\0')
			return nc_error_set(err, -EINVAL, "--expect: '%s' is not PATH=VALUE", item);
		*eq = '\0';
		if (!is_path_or_group(item))
			return nc_error_set(err, -EINVAL,
					    "--expect: unknown path '%s' (a path name: netcheck paths lists them; or "
					    "direct, published)", item);
		if (nc_verdict_from_name(eq + 1, &v) == 0)
			is_verdict = true;
		else if (nc_mechanism_from_name(eq + 1, &m) == 0)
			is_verdict = false;
		else
			return nc_error_set(err, -EINVAL, "--expect: '%s' is neither a verdict nor a mechanism", eq + 1);
		for (int k = 0; k < NC_PATH_KIND_COUNT; k++) {
			nc_expectation_t *e;

			if (!path_in_group((nc_path_kind_t)k, item))
				continue;
			e = &nc_result_expect_overrides(r)[k];
			e->overridden = true;
			if (is_verdict) {
				e->verdict = v;
				e->verdict_set = true;
			} else {
				e->mechanisms = M(m);
				e->mechanisms_set = true;
			}
		}
	}
	return 0;
}

/* A diagnosis of a path that behaved as expected but should not have
 * (input-firewall-bypassed: a firewall rule meant to stop it did not):
 * the path counts as not as expected, unless --expect named it. */
static bool diag_is_warning(nc_diag_code_t c)
{
	return c == NC_DIAG_INPUT_FIREWALL_BYPASSED;
}

/* Why p is not as expected; NC_UNEXPECTED_NONE when it is. */
static nc_unexpected_t judge(const nc_path_t *p)
{
	const nc_expectation_t *e = &p->expectation;

	if (p->verdict == NC_VERDICT_SKIPPED && !e->overridden)
		return NC_UNEXPECTED_NONE; /* a probe we could not send (no privilege) proves nothing either way */
	if (p->verdict != e->verdict || (e->mechanisms != 0 && (e->mechanisms & M(p->mechanism)) == 0))
		return NC_UNEXPECTED_BEHAVIOUR;
	if (p->foreign_responder)
		return NC_UNEXPECTED_FOREIGN;
	if (diag_is_warning(p->diagnosis.code) && !e->overridden)
		return NC_UNEXPECTED_WARNING;
	return NC_UNEXPECTED_NONE;
}

size_t nc_expect_evaluate(nc_result_t *r)
{
	size_t bad = 0;

	/* paths know their network only once made, and the environment may
	 * have changed since: the expectation is the one of now */
	nc_expect_apply(r);
	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		nc_path_t *p = nc_result_path(r, i);

		p->unexpected = judge(p);
		p->expected = p->unexpected == NC_UNEXPECTED_NONE;
		if (!p->expected)
			bad++;
	}
	return bad;
}

