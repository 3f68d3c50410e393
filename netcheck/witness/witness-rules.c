/* witness: a rule's text by its handle.
 *
 * Owns a copy of the ruleset as nft prints it with handles and without
 * counters (`nft -a -s list ruleset`), cut into rules: (family, table,
 * chain, handle) -> the rule's line.  The text is only cut, at the braces
 * and the `# handle N` nft ends each rule with, never read for meaning:
 * what a rule does is what the trace says it did; the text is what a user
 * reads to know which rule that was.  iptables-nft's rules print as nft
 * prints them (xt matches and targets included).
 * May call: libnftables (when built with it), libc.  Never prints. */
#include "netcheck/witness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef NC_HAVE_NFTABLES
#include <nftables/libnftables.h>
#endif

#include "netcheck/testing.h"

#define RULES_TEXT_MAX (64u << 20) /* a ruleset larger than this is not read */
#define RULES_MAX (1u << 20)

typedef struct rule_line {
	uint8_t family;
	const char *table, *chain; /* borrowed from text */
	uint64_t handle;
	const char *text;          /* borrowed from text */
	char *comment;             /* owned, unescaped; NULL if none */
} rule_line_t;

struct nc_witness_rules {
	char *text;                /* owned: the copy everything points into */
	rule_line_t *rules;        /* owned */
	size_t n_rules;
};

void nc_witness_rules_free(nc_witness_rules_t *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_rules; i++)
		free(r->rules[i].comment);
	free(r->rules);
	free(r->text);
	free(r);
}

/* The NFPROTO_* value nft's word names, by nc_witness_family_name()'s
 * one table read backwards; -1 for none. */
static int family_of(const char *word)
{
	for (int family = 0; family <= UINT8_MAX; family++) {
		const char *name = nc_witness_family_name((uint8_t)family);

		if (strcmp(name, "unknown") != 0 && strcmp(word, name) == 0)
			return family;
	}
	return -1;
}

/* The next space-separated word of *p, NUL-terminated in place; quotes
 * (nft quotes names it could not read back otherwise) taken off. */
static char *next_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '"') {
		w = ++s;
		while (*s != '\0' && *s != '"')
			s++;
	} else {
		w = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
	}
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return w;
}

/* Braces opened minus closed on line, outside quoted strings. */
static int brace_balance(const char *line)
{
	bool quoted = false;
	int depth = 0;

	for (const char *c = line; *c != '\0'; c++) {
		if (*c == '\\' && quoted && c[1] != '\0')
			c++;
		else if (*c == '"')
			quoted = !quoted;
		else if (!quoted && *c == '{')
			depth++;
		else if (!quoted && *c == '}')
			depth--;
	}
	return depth;
}

/* Cuts " # handle N" off the end of line: N, or false if it has none. */
static bool cut_handle(char *line, uint64_t *ret)
{
	char *mark = strstr(line, " # handle "), *last = NULL, *end;
	unsigned long long h;

	for (; mark != NULL; mark = strstr(mark + 1, " # handle "))
		last = mark;
	if (last == NULL)
		return false;
	h = strtoull(last + strlen(" # handle "), &end, 10);
	if (*end != '\0' || end == last + strlen(" # handle "))
		return false;
	*last = '\0';
	*ret = h;
	return true;
}

/* The comment "..." of a rule's text, unescaped: new, or NULL. */
static char *comment_of(const char *text)
{
	const char *c = strstr(text, " comment \""), *s;
	char *out, *o;

	if (c == NULL)
		return NULL;
	s = c + strlen(" comment \"");
	out = malloc(strlen(s) + 1);
	if (out == NULL)
		return NULL;
	for (o = out; *s != '\0' && *s != '"'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static int add_rule(nc_witness_rules_t *r, size_t *cap, const rule_line_t *rule)
{
	if (r->n_rules == *cap) {
		size_t grown_cap = *cap == 0 ? 64 : *cap * 2;
		rule_line_t *grown;

		if (grown_cap > RULES_MAX)
			return -E2BIG;
		grown = realloc(r->rules, grown_cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		r->rules = grown;
		*cap = grown_cap;
	}
	r->rules[r->n_rules] = *rule;
	r->rules[r->n_rules].comment = comment_of(rule->text);
	r->n_rules++;
	return 0;
}

/* Lines: "table FAMILY NAME {" at depth 0, "chain NAME {" at depth 1 (any
 * other block there, a set or a flowtable, holds no rules), and in a
 * chain, at depth 2, a rule: any line ending in "# handle N". */
static int cut(nc_witness_rules_t *r)
{
	const char *table = NULL, *chain = NULL;
	int depth = 0, family = -1, res;
	size_t cap = 0;
	char *line = r->text, *next;

	for (; line != NULL && *line != '\0'; line = next) {
		char *p, *word;
		uint64_t handle;
		int balance;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '#' || *line == '\0')
			continue;
		balance = brace_balance(line);
		if (depth == 2 && chain != NULL && balance == 0 && cut_handle(line, &handle)) {
			rule_line_t rule = { (uint8_t)family, table, chain, handle, line, NULL };

			if ((res = add_rule(r, &cap, &rule)) < 0)
				return res;
		} else if (depth == 0 && balance > 0 && strncmp(line, "table ", 6) == 0) {
			p = line + 6;
			family = family_of(next_word(&p));
			word = next_word(&p);
			table = family < 0 ? NULL : word;
		} else if (depth == 1 && balance > 0) {
			p = line;
			word = next_word(&p);
			chain = table != NULL && strcmp(word, "chain") == 0 ? next_word(&p) : NULL;
		}
		depth += balance;
		if (depth < 0)
			return -EINVAL;
		if (depth < 2)
			chain = NULL;
		if (depth < 1)
			table = NULL;
	}
	return depth == 0 ? 0 : -EINVAL;
}

int nc_witness_rules_parse(const char *text, size_t len, nc_witness_rules_t **ret, nc_error_t *err)
{
	nc_witness_rules_t *r;
	int res;

	*ret = NULL;
	if (len > RULES_TEXT_MAX)
		return nc_error_set(err, -E2BIG, "ruleset: %zu bytes, more than the %u read", len, RULES_TEXT_MAX);
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->text = malloc(len + 1)) == NULL) {
		free(r);
		return nc_error_set(err, -ENOMEM, "ruleset: out of memory");
	}
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	res = cut(r);
	if (res < 0) {
		nc_witness_rules_free(r);
		return nc_error_set(err, res, "ruleset: %s", res == -EINVAL ? "unbalanced braces in nft's listing"
										    : nc_strerror(res));
	}
	*ret = r;
	return 0;
}

const char *nc_witness_rules_text(const nc_witness_rules_t *r, uint8_t family, const char *table,
				  const char *chain, uint64_t handle, const char **ret_comment)
{
	for (size_t i = 0; r != NULL && table != NULL && chain != NULL && i < r->n_rules; i++) {
		const rule_line_t *l = &r->rules[i];

		if (l->handle == handle && l->family == family && strcmp(l->table, table) == 0 &&
		    strcmp(l->chain, chain) == 0) {
			if (ret_comment != NULL)
				*ret_comment = l->comment;
			return l->text;
		}
	}
	if (ret_comment != NULL)
		*ret_comment = NULL;
	return NULL;
}

int nc_witness_rules_read(nc_witness_rules_t **ret, nc_error_t *err)
{
#ifdef NC_HAVE_NFTABLES
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *listing;
	int res;

	*ret = NULL;
	if (ctx == NULL)
		return nc_error_set(err, -ENOMEM, "ruleset: libnftables has no context");
	/* handles to find rules by, no counters: they change while one reads */
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_HANDLE | NFT_CTX_OUTPUT_STATELESS);
	if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
		res = nc_error_set(err, -ENOMEM, "ruleset: libnftables has no output buffer");
	} else if (nft_run_cmd_from_buffer(ctx, "list ruleset") != 0) {
		const char *why = nft_ctx_get_error_buffer(ctx);

		res = nc_error_set(err, why != NULL && strstr(why, "Operation not permitted") != NULL ? -EPERM : -EIO,
				   "ruleset: listing failed: %.300s", why != NULL && *why != '\0' ? why : "no reason given");
	} else {
		listing = nft_ctx_get_output_buffer(ctx);
		if (listing == NULL)
			listing = "";
		res = nc_witness_rules_parse(listing, strnlen(listing, RULES_TEXT_MAX + 1), ret, err);
	}
	nft_ctx_free(ctx);
	return res;
#else
	*ret = NULL;
	return nc_error_set(err, -EOPNOTSUPP, "ruleset: netcheck was built without libnftables");
#endif
}
