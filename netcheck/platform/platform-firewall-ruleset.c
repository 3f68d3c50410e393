/* Linux: the firewall ruleset of the platform interface, read.
 *
 * Owns a parsed copy of nftables' ruleset: the JSON document libnftables
 * prints for "list ruleset" (its text is never parsed), its chains and
 * rules indexed so the walk (platform-firewall-walk.c) finds a chain by
 * name and its rules in order.  Also whether legacy iptables tables exist,
 * whose rules are not in it.  May call: libnftables (when built with it),
 * jansson, libc.  Never prints. */
#include "netcheck/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#ifdef NC_HAVE_NFTABLES
#include <nftables/libnftables.h>
#endif

#include "netcheck/common.h"
#include "netcheck/testing.h"
#include "platform-firewall-internal.h"

void nc_platform_firewall_free(nc_platform_firewall_t *fw)
{
	if (fw == NULL)
		return;
	json_decref(fw->doc);
	free(fw->chains);
	free(fw->rules);
	free(fw);
}

bool nc_platform_firewall_legacy_tables(const nc_platform_firewall_t *fw)
{
	return fw != NULL && fw->legacy_tables;
}
long nc_platform_fw_find_chain(const nc_platform_firewall_t *fw, const char *family, const char *table,
			       const char *name)
{
	for (size_t i = 0; i < fw->n_chains; i++) {
		const fw_chain_t *c = &fw->chains[i];

		if (strcmp(c->name, name) == 0 && strcmp(c->table, table) == 0 && strcmp(c->family, family) == 0)
			return (long)i;
	}
	return -1;
}

/* Rules of one chain are listed together in nft's output, but nothing
 * promises it: count per chain first, then place each in its slot. */
static int index_rules(nc_platform_firewall_t *fw, json_t *list, nc_error_t *err)
{
	size_t *fill = NULL, i;
	json_t *item;

	fw->rules = calloc(fw->n_rules ? fw->n_rules : 1, sizeof(*fw->rules));
	fill = calloc(fw->n_chains ? fw->n_chains : 1, sizeof(*fill));
	if (fw->rules == NULL || fill == NULL) {
		free(fill);
		return nc_error_set(err, -ENOMEM, "out of memory reading the ruleset");
	}
	json_array_foreach(list, i, item) {
		json_t *rule = json_object_get(item, "rule"), *expr;
		const char *family = str_of(rule, "family"), *table = str_of(rule, "table"), *chain = str_of(rule, "chain");
		long c;
		fw_rule_t *r;

		if (rule == NULL)
			continue;
		expr = json_object_get(rule, "expr");
		if (family == NULL || table == NULL || chain == NULL || !json_is_array(expr) ||
		    (c = nc_platform_fw_find_chain(fw, family, table, chain)) < 0)
			continue; /* counted below as not placed */
		r = &fw->rules[fw->chains[c].first + fill[c]++];
		r->chain = (size_t)c;
		r->expr = expr;
		r->handle = (uint64_t)json_integer_value(json_object_get(rule, "handle"));
	}
	/* rules whose chain was missing leave empty slots: shrink the counts */
	for (i = 0; i < fw->n_chains; i++)
		fw->chains[i].n_rules = fill[i];
	free(fill);
	return 0;
}

int nc_platform_firewall_parse(const char *json, size_t len, nc_platform_firewall_t **ret, nc_error_t *err)
{
	nc_platform_firewall_t *fw;
	json_error_t jerr;
	json_t *list, *item;
	size_t i, next = 0;
	int r;

	*ret = NULL;
	if (len > NC_PLATFORM_FW_JSON_MAX)
		return nc_error_set(err, -E2BIG, "the ruleset is %zu bytes, more than netcheck reads", len);
	fw = calloc(1, sizeof(*fw));
	if (fw == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory reading the ruleset");
	fw->doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (fw->doc == NULL) {
		r = nc_error_set(err, -EBADMSG, "the ruleset is not JSON: %.200s (line %d)", jerr.text, jerr.line);
		goto fail;
	}
	list = json_object_get(fw->doc, "nftables");
	if (!json_is_array(list)) {
		r = nc_error_set(err, -EBADMSG, "the ruleset has no \"nftables\" list");
		goto fail;
	}
	/* chains first: rules refer to them by family, table and name */
	json_array_foreach(list, i, item) {
		json_t *chain = json_object_get(item, "chain");

		if (json_object_get(item, "rule") != NULL) {
			fw->n_rules++;
			continue;
		}
		if (chain != NULL && str_of(chain, "name") != NULL && str_of(chain, "table") != NULL &&
		    str_of(chain, "family") != NULL)
			fw->n_chains++;
	}
	if (fw->n_chains > NC_PLATFORM_FW_MAX_CHAINS || fw->n_rules > NC_PLATFORM_FW_MAX_RULES) {
		r = nc_error_set(err, -E2BIG, "the ruleset has %zu chains and %zu rules, more than netcheck reads",
				 fw->n_chains, fw->n_rules);
		goto fail;
	}
	fw->chains = calloc(fw->n_chains ? fw->n_chains : 1, sizeof(*fw->chains));
	if (fw->chains == NULL) {
		r = nc_error_set(err, -ENOMEM, "out of memory reading the ruleset");
		goto fail;
	}
	fw->n_chains = 0;
	json_array_foreach(list, i, item) {
		json_t *chain = json_object_get(item, "chain");
		fw_chain_t *c;

		if (chain == NULL || str_of(chain, "name") == NULL || str_of(chain, "table") == NULL ||
		    str_of(chain, "family") == NULL)
			continue;
		c = &fw->chains[fw->n_chains++];
		c->family = str_of(chain, "family");
		c->table = str_of(chain, "table");
		c->name = str_of(chain, "name");
		c->hook = str_of(chain, "hook");
		c->policy = str_of(chain, "policy");
		c->prio = json_integer_value(json_object_get(chain, "prio"));
	}
	/* each chain's slots: as many as rules name it */
	json_array_foreach(list, i, item) {
		json_t *rule = json_object_get(item, "rule");
		long c;

		if (rule == NULL || str_of(rule, "family") == NULL || str_of(rule, "table") == NULL ||
		    str_of(rule, "chain") == NULL)
			continue;
		c = nc_platform_fw_find_chain(fw, str_of(rule, "family"), str_of(rule, "table"), str_of(rule, "chain"));
		if (c >= 0)
			fw->chains[c].n_rules++;
	}
	for (i = 0; i < fw->n_chains; i++) {
		fw->chains[i].first = next;
		next += fw->chains[i].n_rules;
	}
	r = index_rules(fw, list, err);
	if (r < 0)
		goto fail;
	*ret = fw;
	return 0;
fail:
	nc_platform_firewall_free(fw);
	return r;
}

/* iptables-legacy keeps its tables in x_tables, which nft does not show:
 * /proc/net/ip_tables_names lists them (empty when none is loaded). */
static bool have_legacy_tables(void)
{
	char buf[64];
	ssize_t n;
	int fd = open("/proc/net/ip_tables_names", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0;
}

int nc_platform_firewall_read(nc_platform_firewall_t **ret, nc_error_t *err)
{
#ifdef NC_HAVE_NFTABLES
	struct nft_ctx *ctx;
	const char *out, *msg;
	int r;

	*ret = NULL;
	/* libnftables opens its netlink socket inside the call and closes it
	 * before returning, on this thread: no other thread of netcheck forks
	 * meanwhile, so the fd it does not mark close-on-exec cannot leak */
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (ctx == NULL)
		return nc_error_set(err, -ENOMEM, "libnftables: no context");
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_STATELESS);
	if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
		nft_ctx_free(ctx);
		return nc_error_set(err, -ENOMEM, "libnftables: no output buffer");
	}
	if (nft_run_cmd_from_buffer(ctx, "list ruleset") != 0) {
		msg = nft_ctx_get_error_buffer(ctx);
		r = msg != NULL && strstr(msg, "Operation not permitted") != NULL ? -EPERM : -EIO;
		nc_error_set(err, r, "libnftables: list ruleset failed: %.300s",
			     msg != NULL && msg[0] ? msg : "no reason given");
		nft_ctx_free(ctx);
		return r;
	}
	out = nft_ctx_get_output_buffer(ctx);
	r = nc_platform_firewall_parse(out != NULL ? out : "", out != NULL ? strnlen(out, NC_PLATFORM_FW_JSON_MAX + 1) : 0,
				       ret, err);
	nft_ctx_free(ctx);
	if (r == 0)
		(*ret)->legacy_tables = have_legacy_tables();
	return r;
#else
	*ret = NULL;
	(void)have_legacy_tables;
	return nc_error_set(err, -ENOTSUP, "netcheck was built without libnftables: the ruleset cannot be read");
#endif
}
