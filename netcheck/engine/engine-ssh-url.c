/* ssh:// engines: the URL read and the ssh command line made from it.
 *
 * Pure (no child, no socket): split from engine-ssh.c, which runs the
 * children.  Nothing in the URL may become an ssh option or a word of the
 * remote shell's command line: a user or host that could is refused.
 * May call: model (errors).  Never prints. */
#include "engine-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

/* ---- the URL and the command line --------------------------------------- */

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

/* A user or host name, [from, to): nothing ssh could read as an option
 * ('-' first) and nothing a shell could read as more than a word. */
static int check_name(const char *url, const char *what, const char *from, const char *to, nc_error_t *err)
{
	if (from < to && *from == '-')
		return nc_error_set(err, -EINVAL, "engine URL %s: a %s may not start with '-'", url, what);
	for (const char *q = from; q < to; q++)
		if (!name_char(*q))
			return nc_error_set(err, -EINVAL, "engine URL %s: '%c' in the %s (letters, digits, '.', '-', '_')",
					    url, isprint((unsigned char)*q) ? *q : '?', what);
	return 0;
}

int nc_engine_ssh_parse(const char *url, nc_ssh_target_t *ret, nc_error_t *err)
{
	const char *p, *at, *end, *host, *host_end, *port = NULL;
	size_t len;

	memset(ret, 0, sizeof(*ret));
	if (strncmp(url, "ssh://", 6) != 0)
		return nc_error_set(err, -EINVAL, "%s is not an ssh:// URL", url);
	p = url + 6;
	end = p + strcspn(p, "/?#");
	if (*end == '?' || *end == '#')
		return nc_error_set(err, -EINVAL, "engine URL %s: extra query or fragment after the host", url);
	if (*end == '/' && end[1] != '\0')
		return nc_error_set(err, -EINVAL,
				    "engine URL %s: a path after the host is not supported (the far side's docker "
				    "uses its own default engine)",
				    url);
	/* user: up to the last '@' before the path */
	at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		if (colon != NULL)
			return nc_error_set(err, -EINVAL, "engine URL %s: a password in the URL is not supported", url);
		len = (size_t)(at - p);
		if (len == 0 || len >= sizeof(ret->user))
			return nc_error_set(err, -EINVAL, "engine URL %s: the user name is empty or too long", url);
		if (check_name(url, "user name", p, at, err) < 0)
			return -EINVAL;
		memcpy(ret->user, p, len);
		p = at + 1;
	}
	/* host: [v6 literal] or a name or v4 address, then :port */
	if (*p == '[') {
		host = p + 1;
		host_end = memchr(host, ']', (size_t)(end - host));
		if (host_end == NULL)
			return nc_error_set(err, -EINVAL, "engine URL %s: '[' without ']'", url);
		for (const char *q = host; q < host_end; q++)
			if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
				return nc_error_set(err, -EINVAL, "engine URL %s: not an IPv6 address in [ ]", url);
		if (host_end + 1 < end && host_end[1] != ':')
			return nc_error_set(err, -EINVAL, "engine URL %s: text after ']'", url);
		if (host_end + 1 < end)
			port = host_end + 2;
	} else {
		host = p;
		host_end = memchr(p, ':', (size_t)(end - p));
		if (host_end != NULL)
			port = host_end + 1;
		else
			host_end = end;
		if (check_name(url, "host name", host, host_end, err) < 0)
			return -EINVAL;
	}
	len = (size_t)(host_end - host);
	if (len == 0)
		return nc_error_set(err, -EINVAL, "engine URL %s: no host", url);
	if (len >= sizeof(ret->host))
		return nc_error_set(err, -EINVAL, "engine URL %s: the host name is too long", url);
	memcpy(ret->host, host, len);
	if (port != NULL) {
		unsigned long v = 0;
		size_t n = (size_t)(end - port);

		if (n == 0 || n > 5 || strspn(port, "0123456789") < n)
			return nc_error_set(err, -EINVAL, "engine URL %s: the port is not a number", url);
		for (size_t i = 0; i < n; i++)
			v = v * 10 + (unsigned long)(port[i] - '0');
		if (v == 0 || v > 65535)
			return nc_error_set(err, -EINVAL, "engine URL %s: port %lu is out of range", url, v);
		snprintf(ret->port, sizeof(ret->port), "%lu", v);
	}
	return 0;
}

int nc_engine_ssh_argv(const nc_ssh_target_t *t, long connect_timeout_ms, char *timeout_opt, size_t len,
		       const char **ret_argv, size_t max)
{
	/* the docker CLI's words (cli/connhelper), with BatchMode: a prompt
	 * would wait for a terminal netcheck does not give ssh */
	const char *words[NC_SSH_ARGV_MAX];
	long seconds = (connect_timeout_ms + 999) / 1000;
	size_t n = 0;

	if (t->host[0] == '\0' || t->host[0] == '-' || t->user[0] == '-')
		return -EINVAL;
	if ((size_t)snprintf(timeout_opt, len, "ConnectTimeout=%ld", seconds < 1 ? 1 : seconds) >= len)
		return -ENOSPC;
	words[n++] = "ssh";
	if (t->user[0] != '\0') {
		words[n++] = "-l";
		words[n++] = t->user;
	}
	if (t->port[0] != '\0') {
		words[n++] = "-p";
		words[n++] = t->port;
	}
	words[n++] = "-o";
	words[n++] = "BatchMode=yes";
	words[n++] = "-o";
	words[n++] = timeout_opt;
	words[n++] = "-T";
	words[n++] = "--";
	words[n++] = t->host;
	words[n++] = "docker";
	words[n++] = "system";
	words[n++] = "dial-stdio";
	if (n + 1 > max)
		return -ENOSPC;
	memcpy(ret_argv, words, n * sizeof(*words));
	ret_argv[n] = NULL;
	return (int)n;
}
