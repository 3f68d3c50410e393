/* Path names and globs: which paths a run makes (--paths, --skip) and
 * which paths an expectation names (--expect, --expect-file).  A glob is
 * fnmatch(3)'s, matched against a path's whole name ("published-host",
 * "published-loopback:8080", "published-node:worker-1") and against its
 * kind's name, so `published-loopback` means every published-loopback
 * path of a run and `published-loopback:8080` only that one.  Data and
 * matching only: the model calls nothing. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/result.h"

bool nc_path_glob_matches(const char *glob, nc_path_kind_t kind, const char *name)
{
	const char *kind_name = nc_path_kind_name(kind);

	return (name != NULL && fnmatch(glob, name, 0) == 0) || (kind_name != NULL && fnmatch(glob, kind_name, 0) == 0);
}

/* The length of the pattern element at g: one character matcher ("a",
 * "?", "\\*", "[a-z]", "[[:digit:]]") or a '*'.  An unclosed '[' is a
 * literal, as in fnmatch. */
static size_t element_length(const char *g)
{
	size_t i = 1;

	if (g[0] == '\\' && g[1] != '\0')
		return 2;
	if (g[0] != '[')
		return 1;
	if (g[i] == '!' || g[i] == '^')
		i++;
	if (g[i] == ']')
		i++;
	while (g[i] != '\0' && g[i] != ']') {
		if (g[i] == '[' && (g[i + 1] == ':' || g[i + 1] == '.' || g[i + 1] == '=')) {
			const char *end = strchr(g + i + 2, g[i + 1]);

			if (end == NULL || end[1] != ']')
				return 1;
			i = (size_t)(end - g) + 2;
			continue;
		}
		i++;
	}
	return g[i] == ']' ? i + 1 : 1;
}

/* Whether glob matches some string that starts with prefix: a breadth-
 * first walk over (pattern element, characters of prefix consumed), each
 * single-character element tested by fnmatch itself, so brackets mean
 * what they mean to fnmatch.  Once the prefix is consumed, whatever is
 * left of the pattern matches some continuation, if anything is left. */
static bool matches_something_starting(const char *glob, const char *prefix)
{
	size_t starts[NC_GLOB_MAX], lens[NC_GLOB_MAX], n = 0, plen = strlen(prefix);
	bool at[NC_GLOB_MAX + 1][NC_PATH_NAME_MAX + 1];

	if (plen > NC_PATH_NAME_MAX || strlen(glob) >= NC_GLOB_MAX)
		return false;
	for (size_t i = 0; glob[i] != '\0'; i += lens[n++]) {
		starts[n] = i;
		lens[n] = glob[i] == '*' ? 1 : element_length(glob + i);
	}
	memset(at, 0, sizeof(at));
	at[0][0] = true;
	for (size_t e = 0; e <= n; e++) {
		for (size_t j = 0; j <= plen; j++) {
			char element[NC_GLOB_MAX], one[2] = { prefix[j], '\0' };

			if (!at[e][j])
				continue;
			if (j == plen && e < n)
				return true; /* the rest matches a qualifier: not empty */
			if (j == plen || e == n)
				continue;
			if (glob[starts[e]] == '*') {
				at[e + 1][j] = true; /* the star matches nothing more */
				at[e][j + 1] = true; /* or one more character */
				continue;
			}
			snprintf(element, sizeof(element), "%.*s", (int)lens[e], glob + starts[e]);
			if (fnmatch(element, one, 0) == 0)
				at[e + 1][j + 1] = true;
		}
	}
	return false;
}

bool nc_path_glob_names_a_kind(const char *glob)
{
	for (int k = 0; k < NC_PATH_KIND_COUNT; k++) {
		char qualified[NC_PATH_NAME_MAX];

		/* the kind itself, or a qualified name of it: "<kind>:<qualifier>" */
		snprintf(qualified, sizeof(qualified), "%s:", nc_path_kind_name((nc_path_kind_t)k));
		if (fnmatch(glob, nc_path_kind_name((nc_path_kind_t)k), 0) == 0 || matches_something_starting(glob, qualified))
			return true;
	}
	return false;
}

bool nc_path_glob_is_exact(const char *glob)
{
	return strpbrk(glob, "*?[\\") == NULL;
}

int nc_selection_add(nc_selection_t *s, bool skip, const char *list, nc_error_t *err)
{
	const char *option = skip ? "--skip" : "--paths";
	char(*globs)[NC_GLOB_MAX] = skip ? s->skip : s->paths;
	size_t *n = skip ? &s->n_skip : &s->n_paths;
	const char *item = list;

	if (list == NULL || *list == '\0')
		return nc_error_set(err, -EINVAL, "%s needs GLOB[,GLOB...]", option);
	for (;;) {
		size_t len = strcspn(item, ",");

		if (len == 0)
			return nc_error_set(err, -EINVAL, "%s: an empty glob in '%.64s'", option, list);
		if (len >= NC_GLOB_MAX)
			return nc_error_set(err, -EINVAL, "%s: a glob of at most %d characters, not '%.64s...'", option,
					    NC_GLOB_MAX - 1, item);
		if (*n == NC_SELECT_MAX)
			return nc_error_set(err, -EINVAL, "%s: at most %d globs", option, NC_SELECT_MAX);
		memcpy(globs[*n], item, len);
		globs[*n][len] = '\0';
		if (!nc_path_glob_names_a_kind(globs[*n]))
			return nc_error_set(err, -EINVAL, "%s: '%s' matches no path (netcheck paths lists them)", option,
					    globs[*n]);
		(*n)++;
		if (item[len] == '\0')
			return 0;
		item += len + 1;
	}
}

bool nc_path_selected(const nc_selection_t *s, nc_path_kind_t kind, const char *name)
{
	bool chosen = s->n_paths == 0;

	for (size_t i = 0; i < s->n_paths && !chosen; i++)
		chosen = nc_path_glob_matches(s->paths[i], kind, name);
	for (size_t i = 0; i < s->n_skip && chosen; i++)
		chosen = !nc_path_glob_matches(s->skip[i], kind, name);
	return chosen;
}
