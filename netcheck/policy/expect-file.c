/* --expect-file: the user's expectations as YAML (libyaml), stored as the
 * result's rules beside --expect's (which beat them):
 *
 *     expect:
 *       direct-*: reachable
 *       published-remote: [reachable, unreachable]
 *       published-loopback: nat|proxy
 *     environments:
 *       docker-desktop:
 *         direct-*: unroutable
 *
 * A key is a path's name, a kind's, a glob or a group (direct,
 * published); a value a verdict or mechanism word, a |-set of them or a
 * list of those: --expect's vocabulary.  Errors name the file and the
 * line.  Parses text the caller read (no I/O here). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "expect-internal.h"
#include "netcheck/common.h"
#include "netcheck/policy.h"

typedef struct file_parse {
	nc_result_t *result;
	const char *file;   /* borrowed: the name errors start with */
	yaml_document_t *doc;
	nc_error_t *err;
} file_parse_t;

/* "FILE:LINE: ..." for node n (libyaml counts lines from 0) */
static int fail(const file_parse_t *fp, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(const file_parse_t *fp, const yaml_node_t *n, const char *fmt, ...)
{
	char what[NC_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return nc_error_set(fp->err, -EINVAL, "%s:%lu: %s", fp->file, (unsigned long)n->start_mark.line + 1, what);
}

static const char *scalar(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* One value word or "a|b|c" (node: a scalar) into the sets. */
static int add_words(const file_parse_t *fp, const yaml_node_t *n, unsigned *verdicts, unsigned *mechanisms)
{
	const char *text = scalar(n);
	char word[64], words[256];

	if (text == NULL || *text == '\0')
		return fail(fp, n, "a verdict or mechanism is needed (reachable, nat|proxy, [reachable, unreachable])");
	for (const char *w = text; *w != '\0';) {
		size_t len = strcspn(w, "|");

		snprintf(word, sizeof(word), "%.*s", (int)len, w);
		if (len == 0 || len >= sizeof(word) || expect_add_word(word, verdicts, mechanisms) < 0) {
			expect_vocabulary(words, sizeof(words));
			return fail(fp, n, "unknown verdict '%.64s' (%s)", word, words);
		}
		w += len + (w[len] == '|');
	}
	return 0;
}

/* One "KEY: VALUE" of an expect: mapping. */
static int add_rule(const file_parse_t *fp, const yaml_node_t *key, const yaml_node_t *value, nc_expect_source_t source,
		    nc_env_kind_t env)
{
	nc_expect_rule_t rule = { .source = source, .env = env, .line = (unsigned)key->start_mark.line + 1 };
	const char *pattern = scalar(key);
	unsigned verdicts = 0, mechanisms = 0;
	int r = 0;

	if (pattern == NULL || strlen(pattern) >= sizeof(rule.pattern) || !expect_pattern_valid(pattern))
		return fail(fp, key, "unknown path '%.64s' (a path name: netcheck paths lists them; a glob; or direct, "
				     "published)", pattern != NULL ? pattern : "?");
	for (size_t i = 0; i < nc_result_expect_rule_count(fp->result); i++) {
		const nc_expect_rule_t *o = nc_result_expect_rule(fp->result, i);

		if (o->source == source && o->env == env && strcmp(o->pattern, pattern) == 0)
			return fail(fp, key, "'%s' is given twice (first on line %u)", pattern, o->line);
	}
	if (value->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *item = value->data.sequence.items.start;

		if (item == value->data.sequence.items.top)
			return fail(fp, value, "an empty list: a verdict or mechanism is needed");
		for (; item < value->data.sequence.items.top && r == 0; item++)
			r = add_words(fp, yaml_document_get_node(fp->doc, *item), &verdicts, &mechanisms);
	} else {
		r = add_words(fp, value, &verdicts, &mechanisms);
	}
	if (r < 0)
		return r;
	snprintf(rule.pattern, sizeof(rule.pattern), "%s", pattern);
	rule.expectation = expect_from_words(verdicts, mechanisms);
	if (nc_result_add_expect_rule(fp->result, &rule) < 0)
		return fail(fp, key, "more than %d expectations", NC_MAX_EXPECT_RULES);
	return 0;
}

static int add_mapping(const file_parse_t *fp, const yaml_node_t *map, const char *what, nc_expect_source_t source,
		       nc_env_kind_t env)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(fp, map, "%s is a mapping of PATH: VALUE", what);
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		int r = add_rule(fp, yaml_document_get_node(fp->doc, pair->key), yaml_document_get_node(fp->doc, pair->value),
				 source, env);

		if (r < 0)
			return r;
	}
	return 0;
}

/* netcheck's kinds (nc_env_kind_name()), and "desktop" for docker-desktop */
static int env_from_name(const char *name, nc_env_kind_t *ret)
{
	if (name != NULL && strcmp(name, "desktop") == 0) {
		*ret = NC_ENV_DOCKER_DESKTOP;
		return 0;
	}
	for (int k = 1; k < NC_ENV_KIND_COUNT && name != NULL; k++)
		if (strcmp(name, nc_env_kind_name((nc_env_kind_t)k)) == 0) {
			*ret = (nc_env_kind_t)k;
			return 0;
		}
	return -EINVAL;
}

static int add_environments(const file_parse_t *fp, const yaml_node_t *map)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(fp, map, "environments: is a mapping of ENVIRONMENT: {PATH: VALUE}");
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = yaml_document_get_node(fp->doc, pair->key);
		nc_env_kind_t env;
		int r;

		if (env_from_name(scalar(key), &env) < 0)
			return fail(fp, key, "unknown environment '%.64s' (native-linux, docker-desktop or desktop, "
					     "rootless-docker, rootless-podman, podman, not-attached)",
				    scalar(key) != NULL ? scalar(key) : "?");
		r = add_mapping(fp, yaml_document_get_node(fp->doc, pair->value), "an environment", NC_EXPECT_FROM_FILE_ENV,
				env);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_document(const file_parse_t *fp, const yaml_node_t *root)
{
	bool have_expect = false;

	if (root == NULL)
		return nc_error_set(fp->err, -EINVAL, "%s:1: empty: an expect: mapping is needed", fp->file);
	if (root->type != YAML_MAPPING_NODE)
		return fail(fp, root, "the file is a mapping with expect: (and environments:)");
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = yaml_document_get_node(fp->doc, pair->key);
		const yaml_node_t *value = yaml_document_get_node(fp->doc, pair->value);
		const char *name = scalar(key);
		int r;

		if (name != NULL && strcmp(name, "expect") == 0) {
			have_expect = true;
			r = add_mapping(fp, value, "expect:", NC_EXPECT_FROM_FILE, NC_ENV_UNKNOWN);
		} else if (name != NULL && strcmp(name, "environments") == 0) {
			r = add_environments(fp, value);
		} else {
			r = fail(fp, key, "unknown key '%.64s' (expect, environments)", name != NULL ? name : "?");
		}
		if (r < 0)
			return r;
	}
	if (!have_expect)
		return fail(fp, root, "no expect: mapping");
	return 0;
}

int nc_expect_file_parse(nc_result_t *r, const char *text, size_t len, const char *file, nc_error_t *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	file_parse_t fp = { .result = r, .file = file, .doc = &doc, .err = err };
	int rc;

	if (!yaml_parser_initialize(&parser))
		return nc_error_set(err, -ENOMEM, "%s: out of memory", file);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = nc_error_set(err, -EINVAL, "%s:%lu: not YAML: %s%s%s", file, (unsigned long)parser.problem_mark.line + 1,
				  parser.problem != NULL ? parser.problem : "unreadable",
				  parser.context != NULL ? " " : "", parser.context != NULL ? parser.context : "");
		yaml_parser_delete(&parser);
		return rc;
	}
	rc = add_document(&fp, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}
