/* Finding the engine: flag, DOCKER_HOST, docker context, default socket.
 * Context metadata lives under a directory named by the SHA-256 of the
 * context name (docker/cli's store): digest.c's. */
#include "engine-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcheck/digest.h"
#include "netcheck/testing.h"

#define CONFIG_MAX (1u << 20) /* a docker config.json or meta.json over 1 MiB is not one */

/* reads a whole small file; *ret: new, NUL-terminated */
static int read_small_file(const char *path, char **ret)
{
	char *buf;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	buf = malloc(CONFIG_MAX + 1);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, CONFIG_MAX + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			free(buf);
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_MAX) {
			free(buf);
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

static int load_json(const char *path, json_t **ret, nc_error_t *err)
{
	char *text = NULL;
	json_error_t jerr;
	int r = read_small_file(path, &text);

	if (r == -ENOENT)
		return r;
	if (r < 0)
		return nc_error_set(err, r, "cannot read %s: %s", path, r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
	*ret = json_loads(text, 0, &jerr);
	free(text);
	if (*ret == NULL)
		return nc_error_set(err, -EINVAL, "%s is not valid JSON: %s (line %d)", path, jerr.text, jerr.line);
	return 0;
}

static const char *getenv_default(const char *name)
{
	return getenv(name);
}

/* The current context's endpoint, or -ENOENT when the default context is in use. */
static int context_url(const char *(*env)(const char *), const char *ctx, char *ret_url, size_t len,
		       nc_error_t *err)
{
	char dir[512], path[700], digest[7 + NC_SHA256_HEX_LEN + 1], name[256];
	const char *cfgdir = env("DOCKER_CONFIG"), *home = env("HOME");
	json_t *j = NULL;
	const char *host;
	int r;

	if (cfgdir != NULL && *cfgdir)
		r = snprintf(dir, sizeof(dir), "%s", cfgdir);
	else if (home != NULL && *home)
		r = snprintf(dir, sizeof(dir), "%s/.docker", home);
	else
		return -ENOENT;
	if (r < 0 || (size_t)r >= sizeof(dir))
		return nc_error_set(err, -ENAMETOOLONG, "docker config directory path too long");

	if (ctx == NULL || *ctx == '\0') {
		snprintf(path, sizeof(path), "%s/config.json", dir);
		r = load_json(path, &j, err);
		if (r < 0)
			return r;
		ctx = json_string_value(json_object_get(j, "currentContext"));
		if (ctx == NULL || *ctx == '\0' || strcmp(ctx, "default") == 0) {
			json_decref(j);
			return -ENOENT;
		}
		snprintf(name, sizeof(name), "%s", ctx);
		json_decref(j);
		j = NULL;
	} else {
		if (strcmp(ctx, "default") == 0)
			return -ENOENT;
		snprintf(name, sizeof(name), "%s", ctx);
	}
	if (nc_sha256_text(name, strlen(name), digest, sizeof(digest))[0] == '\0')
		return nc_error_set(err, -EIO, "docker context '%s': cannot compute its SHA-256 (libcrypto)", name);
	snprintf(path, sizeof(path), "%s/contexts/meta/%s/meta.json", dir, digest + 7); /* without "sha256:" */
	r = load_json(path, &j, err);
	if (r == -ENOENT)
		return nc_error_set(err, -EINVAL, "docker context '%s' is selected but %s does not exist", name, path);
	if (r < 0)
		return r;
	host = json_string_value(json_object_get(json_object_get(json_object_get(j, "Endpoints"), "docker"), "Host"));
	if (host == NULL || *host == '\0') {
		json_decref(j);
		return nc_error_set(err, -EINVAL, "docker context '%s' has no Endpoints.docker.Host in %s", name, path);
	}
	if ((size_t)snprintf(ret_url, len, "%s", host) >= len) {
		json_decref(j);
		return nc_error_set(err, -ENAMETOOLONG, "docker context '%s' host URL too long", name);
	}
	json_decref(j);
	return 0;
}

int nc_engine_url_normalize(const char *url, bool tls, char *ret, size_t len, nc_error_t *err)
{
	const char *host;
	int n;

	if (strncmp(url, "ssh://", 6) == 0) {
		nc_ssh_target_t t;

		n = nc_engine_ssh_parse(url, &t, err);
		if (n == 0 && (size_t)snprintf(ret, len, "%s", url) >= len)
			n = nc_error_set(err, -ENAMETOOLONG, "engine URL too long");
		return n;
	}
	if (strncmp(url, "npipe://", 8) == 0)
		return nc_error_set(err, -ENOTSUP,
				    "npipe:// engines are not supported: netcheck runs where the containers' network "
				    "is; expose the engine on tcp://127.0.0.1:2375 (Docker Desktop: Settings, General) "
				    "or run netcheck inside WSL with unix:///var/run/docker.sock");
	if (strncmp(url, "tcp://", 6) != 0) {
		n = snprintf(ret, len, "%s", url);
		return n < 0 || (size_t)n >= len ? nc_error_set(err, -ENAMETOOLONG, "engine URL too long") : 0;
	}
	host = url + 6;
	/* a port is there when the host part (up to any path) has a ':' after
	 * its last ']' (an IPv6 literal's colons do not count) */
	{
		size_t hostlen = strcspn(host, "/");
		const char *bracket = memchr(host, ']', hostlen);
		const char *from = bracket != NULL ? bracket : host;

		if (hostlen == 0 || memchr(from, ':', hostlen - (size_t)(from - host)) != NULL)
			n = snprintf(ret, len, "%s", url);
		else
			n = snprintf(ret, len, "tcp://%.*s:%d%s", (int)hostlen, host, tls ? 2376 : 2375,
				     host + hostlen);
	}
	return n < 0 || (size_t)n >= len ? nc_error_set(err, -ENAMETOOLONG, "engine URL too long") : 0;
}

int nc_engine_discover(const char *flag_url, const char *(*env)(const char *name), char *ret_url, size_t url_len,
		       nc_engine_source_t *ret_source, nc_error_t *err)
{
	return nc_engine_discover_context(flag_url, NULL, env, ret_url, url_len, ret_source, err);
}

static int discover(const char *flag_url, const char *context, const char *(*env)(const char *name),
		    char *ret_url, size_t url_len, nc_engine_source_t *ret_source, nc_error_t *err)
{
	const char *v;
	int r;

	if (flag_url != NULL && *flag_url && context != NULL && *context)
		return nc_error_set(err, -EINVAL, "--engine and --context both name an engine: give one");
	if (flag_url != NULL && *flag_url) {
		*ret_source = NC_ENGINE_FROM_FLAG;
		v = flag_url;
	} else if (context != NULL && *context) {
		/* as `docker --context`: it beats DOCKER_HOST; "default" means DOCKER_HOST's rules */
		r = context_url(env, context, ret_url, url_len, err);
		*ret_source = NC_ENGINE_FROM_CONTEXT;
		if (r != -ENOENT)
			return r;
		return discover(NULL, NULL, env, ret_url, url_len, ret_source, err);
	} else if ((v = env("DOCKER_HOST")) != NULL && *v) {
		*ret_source = NC_ENGINE_FROM_ENV;
	} else {
		r = context_url(env, env("DOCKER_CONTEXT"), ret_url, url_len, err);
		if (r == 0) {
			*ret_source = NC_ENGINE_FROM_CONTEXT;
			return 0;
		}
		if (r != -ENOENT)
			return r;
		*ret_source = NC_ENGINE_FROM_DEFAULT;
		{
			char first[1][NC_ENGINE_URL_MAX];

			if (nc_engine_well_known(env, first, 1, 1) == 1) {
				if ((size_t)snprintf(ret_url, url_len, "%s", first[0]) >= url_len)
					return nc_error_set(err, -ENAMETOOLONG, "engine URL too long");
				return 0;
			}
		}
		v = "unix:///var/run/docker.sock"; /* none exists: name the usual one in the error */
	}
	if ((size_t)snprintf(ret_url, url_len, "%s", v) >= url_len)
		return nc_error_set(err, -ENAMETOOLONG, "engine URL too long");
	return 0;
}

int nc_engine_discover_context(const char *flag_url, const char *context, const char *(*env)(const char *name),
			       char *ret_url, size_t url_len, nc_engine_source_t *ret_source, nc_error_t *err)
{
	char found[NC_ENGINE_URL_MAX];
	const char *cert, *verify;
	int r;

	if (env == NULL)
		env = getenv_default;
	r = discover(flag_url, context, env, found, sizeof(found), ret_source, err);
	if (r < 0)
		return r;
	cert = env("DOCKER_CERT_PATH");
	verify = env("DOCKER_TLS_VERIFY");
	/* the docker CLI's rule: any non-empty DOCKER_TLS_VERIFY turns TLS on */
	return nc_engine_url_normalize(found, (cert != NULL && *cert) || (verify != NULL && *verify), ret_url,
				       url_len, err);
}

/* The sockets engines listen on by default, in the order netcheck tries
 * them: rootful Docker, rootless Docker, rootful Podman, rootless Podman. */
int nc_engine_well_known(const char *(*env)(const char *name), char (*ret_urls)[NC_ENGINE_URL_MAX], size_t max,
			 size_t only_first)
{
	const char *xdg;
	char paths[4][NC_ENGINE_URL_MAX];
	size_t n = 0, found = 0;

	if (env == NULL)
		env = getenv_default;
	xdg = env("XDG_RUNTIME_DIR");
	snprintf(paths[n++], sizeof(paths[0]), "/var/run/docker.sock");
	if (xdg != NULL && *xdg == '/' && strlen(xdg) < 256)
		snprintf(paths[n++], sizeof(paths[0]), "%s/docker.sock", xdg);
	snprintf(paths[n++], sizeof(paths[0]), "/run/podman/podman.sock");
	if (xdg != NULL && *xdg == '/' && strlen(xdg) < 256)
		snprintf(paths[n++], sizeof(paths[0]), "%s/podman/podman.sock", xdg);
	for (size_t i = 0; i < n && found < max; i++) {
		struct stat st;

		if (stat(paths[i], &st) != 0 || !S_ISSOCK(st.st_mode))
			continue;
		snprintf(ret_urls[found++], NC_ENGINE_URL_MAX, "unix://%s", paths[i]);
		if (only_first)
			break;
	}
	return (int)found;
}

const char *nc_engine_source_name(nc_engine_source_t s)
{
	switch (s) {
	case NC_ENGINE_FROM_FLAG: return "--engine";
	case NC_ENGINE_FROM_ENV: return "DOCKER_HOST";
	case NC_ENGINE_FROM_CONTEXT: return "docker context";
	default: return "default socket";
	}
}
