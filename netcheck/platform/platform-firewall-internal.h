/* What the two halves of the firewall ruleset share: the parsed ruleset
 * (platform-firewall-ruleset.c reads and indexes it) and the lookups the
 * walk (platform-firewall-walk.c) makes in it.  Not part of the interface:
 * only platform-firewall-*.c include this. */
#ifndef NETCHECK_PLATFORM_FIREWALL_INTERNAL_H
#define NETCHECK_PLATFORM_FIREWALL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "netcheck/platform.h"

typedef struct fw_chain {
	const char *family, *table, *name; /* borrowed from the document */
	const char *hook;                  /* NULL: a regular chain */
	const char *policy;                /* "accept", "drop"; NULL for a regular chain */
	long long prio;
	size_t first, n_rules;             /* its rules: rules[first .. first + n_rules) */
} fw_chain_t;

typedef struct fw_rule {
	size_t chain;
	json_t *expr;                      /* borrowed from the document: the rule's expressions */
	uint64_t handle;
} fw_rule_t;

struct nc_platform_firewall {
	json_t *doc;                       /* owned: everything borrowed above lives in it */
	fw_chain_t *chains;                /* owned */
	size_t n_chains;
	fw_rule_t *rules;                  /* owned, grouped by chain, in each chain's order */
	size_t n_rules;
	bool legacy_tables;
};

/* o's member key as a string; NULL when absent or not a string.  returns: borrowed from o */
static inline const char *str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The index of chain family/table/name in fw->chains, or -1. */
long nc_platform_fw_find_chain(const nc_platform_firewall_t *fw, const char *family, const char *table,
			       const char *name);

#endif
