/* The expectation table, --expect and whether each path behaved as
 * expected: what a path should do in each environment, and why it counts
 * as unexpected when it does not.  Reads and writes the model only. */
#include "netcheck/policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/common.h"
#include "expect-internal.h"

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

static bool path_in_group(nc_path_kind_t k, const char *group)
{
	if (strcmp(group, "direct") == 0)
		return nc_path_kind_is_direct(k);
	if (strcmp(group, "published") == 0)
		return nc_path_kind_is_published(k);
	return false;
}

static bool is_group(const char *name)
{
	return strcmp(name, "direct") == 0 || strcmp(name, "published") == 0;
}

bool expect_pattern_valid(const char *pattern)
{
	return is_group(pattern) || nc_path_glob_names_a_kind(pattern);
}

void expect_vocabulary(char *buf, size_t len)
{
	size_t o = 0;

	for (int i = 0; i < NC_VERDICT_COUNT + NC_MECH_COUNT && o < len; i++) {
		bool verdict = i < NC_VERDICT_COUNT;
		const char *name = verdict ? nc_verdict_name((nc_verdict_t)i) : nc_mechanism_name((nc_mechanism_t)(i - NC_VERDICT_COUNT));
		const char *sep = i == 0 ? "verdicts: " : i == NC_VERDICT_COUNT ? "; mechanisms: " : ", ";
		int n = snprintf(buf + o, len - o, "%s%s", sep, name);

		if (n < 0)
			break;
		o += (size_t)n;
	}
}

int expect_add_word(const char *word, unsigned *verdicts, unsigned *mechanisms)
{
	nc_verdict_t v;
	nc_mechanism_t m;

	if (nc_verdict_from_name(word, &v) == 0)
		*verdicts |= M(v);
	else if (nc_mechanism_from_name(word, &m) == 0)
		*mechanisms |= M(m);
	else
		return -EINVAL;
	return 0;
}

nc_expectation_t expect_from_words(unsigned verdicts, unsigned mechanisms)
{
	nc_expectation_t e = { .overridden = true };

	if ((mechanisms & ~M(NC_MECH_NONE)) != 0) {
		/* reachable through one of them; other verdicts besides */
		e.verdict = NC_VERDICT_REACHABLE;
		e.verdict_set = verdicts != 0;
		e.other_verdicts = verdicts & ~M(NC_VERDICT_REACHABLE);
	} else if (verdicts != 0) {
		int first = 0;

		while ((verdicts & M(first)) == 0) /* reachable first, else the first in the model's order */
			first++;

		e.verdict = (nc_verdict_t)first;
		e.verdict_set = true;
		e.other_verdicts = verdicts & ~M(first);
	}
	e.mechanisms = mechanisms;
	e.mechanisms_set = mechanisms != 0;
	return e;
}

/* o over e: a rule names only the fields it sets; the rest stay. */
static void override(nc_expectation_t *e, const nc_expectation_t *o)
{
	if (o->verdict_set) {
		/* the environment's mechanisms go with its verdict, not with another one */
		if (!o->mechanisms_set && o->verdict != e->verdict)
			e->mechanisms = 0;
		e->verdict = o->verdict;
		e->other_verdicts = o->other_verdicts;
	}
	if (o->mechanisms_set) {
		e->mechanisms = o->mechanisms;
		/* only a reachable path has a mechanism other than none */
		if (!o->verdict_set && (o->mechanisms & ~M(NC_MECH_NONE)) != 0) {
			e->verdict = NC_VERDICT_REACHABLE;
			e->other_verdicts = 0;
		}
	}
	e->overridden = true;
}

static bool rule_matches(const nc_expect_rule_t *rule, const nc_path_t *p, nc_env_kind_t env)
{
	if (rule->source == NC_EXPECT_FROM_FILE_ENV && rule->env != env)
		return false;
	if (is_group(rule->pattern))
		return path_in_group(p->kind, rule->pattern);
	return nc_path_glob_matches(rule->pattern, p->kind, p->name);
}

/* The user's rules over the table's expectation, weakest first: the
 * file's expect:, its environments:, --expect; within each, globs and
 * groups, then a path's own name; within those, in the order given. */
static void apply_rules(const nc_result_t *r, nc_path_t *p, nc_env_kind_t env)
{
	for (int source = 0; source < NC_EXPECT_SOURCE_COUNT; source++)
		for (int exact = 0; exact <= 1; exact++)
			for (size_t i = 0; i < nc_result_expect_rule_count(r); i++) {
				const nc_expect_rule_t *rule = nc_result_expect_rule(r, i);

				bool own_name = nc_path_glob_is_exact(rule->pattern) && !is_group(rule->pattern);

				if ((int)rule->source == source && own_name == (exact == 1) && rule_matches(rule, p, env))
					override(&p->expectation, &rule->expectation);
			}
}

void nc_expect_apply(nc_result_t *r)
{
	nc_env_kind_t env = nc_result_environment_const(r)->kind;

	for (size_t i = 0; i < nc_result_path_count(r); i++) {
		nc_path_t *p = nc_result_path(r, i);

		p->expectation = nc_expect_for(env, p->kind);
		/* the default bridge has no embedded DNS: a peer's name does not resolve there */
		if (p->kind == NC_PATH_CONTAINER_TO_CONTAINER_DNS && strcmp(p->network, "bridge") == 0) {
			p->expectation.verdict = NC_VERDICT_UNREACHABLE;
			p->expectation.mechanisms = M(NC_MECH_NONE);
		}
		/* -p 127.0.0.1:P:C keeps other machines out on purpose: a remote
		 * client that fails proves it, one that gets in does not */
		if (nc_path_kind_is_remote(p->kind) && p->loopback_published) {
			p->expectation.verdict = NC_VERDICT_UNREACHABLE;
			p->expectation.other_verdicts = M(NC_VERDICT_REFUSED) | M(NC_VERDICT_TIMEOUT) | M(NC_VERDICT_RESET);
			p->expectation.mechanisms = M(NC_MECH_NONE);
		}
		apply_rules(r, p, env);
	}
}

/* Rules are stored on the result and applied to paths as they are added,
 * so --expect can be parsed before any path exists. */
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
		char *eq = strchr(item, '='), *word_save = NULL;
		nc_expect_rule_t rule = { .source = NC_EXPECT_FROM_COMMAND_LINE };
		unsigned verdicts = 0, mechanisms = 0;

		if (eq == NULL || eq == item || eq[1] == '\0')
			return nc_error_set(err, -EINVAL, "--expect: '%s' is not PATH=VALUE", item);
		*eq = '\0';
		if (strlen(item) >= sizeof(rule.pattern) || !expect_pattern_valid(item))
			return nc_error_set(err, -EINVAL,
					    "--expect: unknown path '%s' (a path name: netcheck paths lists them; a glob; or "
					    "direct, published)", item);
		for (char *w = strtok_r(eq + 1, "|", &word_save); w != NULL; w = strtok_r(NULL, "|", &word_save))
			if (expect_add_word(w, &verdicts, &mechanisms) < 0)
				return nc_error_set(err, -EINVAL, "--expect: '%s' is neither a verdict nor a mechanism", w);
		if (verdicts == 0 && mechanisms == 0)
			return nc_error_set(err, -EINVAL, "--expect: '%s=' names no verdict or mechanism", item);
		strcpy(rule.pattern, item);
		rule.expectation = expect_from_words(verdicts, mechanisms);
		if (nc_result_add_expect_rule(r, &rule) < 0)
			return nc_error_set(err, -EINVAL, "--expect: more than %d expectations", NC_MAX_EXPECT_RULES);
	}
	return 0;
}

/* A diagnosis of a path that behaved as expected but should not have
 * (input-firewall-bypassed: a firewall rule meant to stop it did not;
 * container-paused: the kernel took the handshake, no process will answer;
 * other-container-answered, whatever the verdict: judge()):
 * the path counts as not as expected, unless --expect named it.  Returns
 * the reason in a few words, the report's "UNEXPECTED (...)"; NULL for a
 * diagnosis that is no warning. */
static const char *warning_reason(nc_diag_code_t c)
{
	switch (c) {
	case NC_DIAG_INPUT_FIREWALL_BYPASSED: return "a firewall rule meant to stop it";
	case NC_DIAG_CONTAINER_PAUSED: return "the container is paused";
	case NC_DIAG_OTHER_CONTAINER_ANSWERED: return "another container answered";
	default: return NULL;
	}
}

/* Why p is not as expected; NC_UNEXPECTED_NONE when it is. */
static nc_unexpected_t judge(const nc_path_t *p)
{
	const nc_expectation_t *e = &p->expectation;

	/* a probe we could not send (no privilege) proves nothing either way;
	 * one the target's own configuration kept from being sent (a port not
	 * published, no network) is a finding, said by its diagnosis */
	if (p->verdict == NC_VERDICT_SKIPPED && !e->overridden)
		return nc_classify_unsent_finding(p) ? NC_UNEXPECTED_UNSENT : NC_UNEXPECTED_NONE;
	/* another container answered: the verdict is that one's, and says
	 * nothing of this one's (as expected or not, the answer is the finding) */
	if (p->diagnosis.code == NC_DIAG_OTHER_CONTAINER_ANSWERED && !e->overridden)
		return NC_UNEXPECTED_WARNING;
	/* not sent for the container's own state (exited, restarting; a
	 * swarm task down once a diagnosis says so): the verdict stands, and
	 * the reason is what its diagnosis says, not a "wanted reachable" no
	 * probe could test */
	if ((e->other_verdicts & M(p->verdict)) == 0 &&
	    (p->verdict != e->verdict || (e->mechanisms != 0 && (e->mechanisms & M(p->mechanism)) == 0)))
		return nc_classify_unsent_state(p) ? NC_UNEXPECTED_UNSENT : NC_UNEXPECTED_BEHAVIOUR;
	if (p->foreign_responder)
		return NC_UNEXPECTED_FOREIGN;
	if (warning_reason(p->diagnosis.code) != NULL && !e->overridden)
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
		snprintf(p->unexpected_reason, sizeof(p->unexpected_reason), "%s",
			 p->unexpected == NC_UNEXPECTED_WARNING  ? warning_reason(p->diagnosis.code)
			 : p->unexpected == NC_UNEXPECTED_UNSENT ? nc_diag_code_name(p->diagnosis.code)
								 : "");
		if (!p->expected)
			bad++;
	}
	return bad;
}

