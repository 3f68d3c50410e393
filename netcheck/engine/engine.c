/* The engine: what an engine URL means (unix socket, tcp, TLS files), the
 * engine object's life, the API version negotiated with it and the
 * questions asked at once (/version, /info).  Every HTTP error becomes a
 * netcheck code here, in nc_engine_classify().  The calls travel through
 * engine-transport.c; the typed calls live in engine-objects.c and
 * engine-swarm.c.
 * May call: libcurl, jansson, engine-parse.c.  Never prints. */
#include "engine-internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "netcheck/testing.h"

static int copy_str(char *dst, size_t len, const char *src)
{
	if ((size_t)snprintf(dst, len, "%s", src) >= len)
		return -ENAMETOOLONG;
	return 0;
}
/* host[:port] or [v6][:port] (len bytes) into e->tcp_host and e->tcp_port,
 * the scheme's port when none is given: what the attach stream dials, the
 * same host and port libcurl dials from e->base. */
static int split_hostport(const char *hp, size_t len, bool tls, nc_engine_t *e)
{
	const char *end = hp + len, *host = hp, *host_end, *port = NULL;
	unsigned long v = 0;

	if (len > 0 && hp[0] == '[') { /* [v6] or [v6]:port */
		host = hp + 1;
		host_end = memchr(host, ']', (size_t)(end - host));
		if (host_end == NULL || (host_end + 1 < end && host_end[1] != ':'))
			return -EINVAL;
		if (host_end + 1 < end)
			port = host_end + 2;
	} else {
		host_end = memchr(hp, ':', len);
		if (host_end != NULL)
			port = host_end + 1;
		else
			host_end = end;
	}
	if (host_end == host || (size_t)(host_end - host) >= sizeof(e->tcp_host))
		return -EINVAL;
	memcpy(e->tcp_host, host, (size_t)(host_end - host));
	e->tcp_host[host_end - host] = '\0';
	if (port == NULL) {
		snprintf(e->tcp_port, sizeof(e->tcp_port), "%s", tls ? "443" : "80");
		return 0;
	}
	if (port == end || (size_t)(end - port) >= sizeof(e->tcp_port))
		return -EINVAL;
	for (const char *c = port; c < end; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	memcpy(e->tcp_port, port, (size_t)(end - port));
	e->tcp_port[end - port] = '\0';
	return 0;
}

int nc_engine_new(const char *url, const nc_engine_options_t *opt, nc_engine_t **ret, nc_error_t *err)
{
	static int curl_ready;
	nc_engine_t *e;
	int r = 0;

	if (url == NULL || *url == '\0')
		return nc_error_set(err, -EINVAL, "empty engine URL");
	if (strlen(url) >= NC_ENGINE_URL_MAX)
		return nc_error_set(err, -EINVAL, "engine URL too long (max %d bytes)", NC_ENGINE_URL_MAX - 1);
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return nc_error_set(err, -ENOMEM, "libcurl failed to initialise");
		curl_ready = 1;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	copy_str(e->url, sizeof(e->url), url);
	if (opt != NULL)
		e->opt = *opt;
	if (e->opt.timeout_ms <= 0)
		e->opt.timeout_ms = 10000;
	if (e->opt.connect_timeout_ms <= 0)
		e->opt.connect_timeout_ms = 3000;

	if (strncmp(url, "unix://", 7) == 0) {
		if (url[7] != '/') {
			r = nc_error_set(err, -EINVAL, "engine URL %s: a unix socket needs an absolute path (unix:///path)", url);
			goto fail;
		}
		copy_str(e->socket_path, sizeof(e->socket_path), url + 7);
		copy_str(e->base, sizeof(e->base), "http://localhost");
	} else if (strncmp(url, "tcp://", 6) == 0 || strncmp(url, "http://", 7) == 0 ||
		   strncmp(url, "https://", 8) == 0) {
		bool tls = strncmp(url, "https://", 8) == 0 || (e->opt.cert_path != NULL && *e->opt.cert_path) ||
			   e->opt.tls_verify;
		char normal[NC_ENGINE_URL_MAX];
		const char *hostport;

		r = nc_engine_url_normalize(url, tls, normal, sizeof(normal), err);
		if (r < 0)
			goto fail;
		hostport = strstr(normal, "://") + 3;

		if (*hostport == '\0' || *hostport == '/') {
			r = nc_error_set(err, -EINVAL, "engine URL %s has no host", url);
			goto fail;
		}
		snprintf(e->base, sizeof(e->base), "%s://%.*s", tls ? "https" : "http",
			 (int)strcspn(hostport, "/"), hostport);
		r = split_hostport(hostport, strcspn(hostport, "/"), tls, e);
		if (r < 0) {
			nc_error_set(err, r, "engine URL %s: no host or a bad port", url);
			goto fail;
		}
		if (e->opt.cert_path != NULL && *e->opt.cert_path) {
			const char *files[] = { e->cert, e->key, e->ca };

			snprintf(e->cert, sizeof(e->cert), "%s/cert.pem", e->opt.cert_path);
			snprintf(e->key, sizeof(e->key), "%s/key.pem", e->opt.cert_path);
			snprintf(e->ca, sizeof(e->ca), "%s/ca.pem", e->opt.cert_path);
			/* the docker CLI's layout: say which file is missing, not OpenSSL's guess */
			for (size_t i = 0; i < NC_ARRAY_SIZE(files); i++)
				if (access(files[i], R_OK) != 0) {
					r = nc_error_set(err, NC_EENGINE,
							 "DOCKER_CERT_PATH=%s has no readable %s (it needs ca.pem, "
							 "cert.pem and key.pem)",
							 e->opt.cert_path, strrchr(files[i], '/') + 1);
					goto fail;
				}
		}
	} else if (strncmp(url, "ssh://", 6) == 0) {
		r = nc_engine_ssh_new(url, e->opt.connect_timeout_ms, &e->ssh, err);
		if (r < 0)
			goto fail;
		copy_str(e->base, sizeof(e->base), "http://localhost");
	} else if ((r = nc_engine_url_normalize(url, false, e->base, sizeof(e->base), err)) < 0) {
		goto fail; /* npipe://: said why */
	} else {
		r = nc_error_set(err, -EINVAL,
				 "unknown engine URL scheme in '%s': use unix:///path/to/docker.sock or tcp://host:port",
				 url);
		goto fail;
	}
	r = nc_engine_transport_open(e, err);
	if (r < 0)
		goto fail;
	*ret = e;
	return 0;
fail:
	nc_engine_free(e);
	return r;
}

void nc_engine_free(nc_engine_t *e)
{
	if (e == NULL)
		return;
	nc_engine_tls_free(e); /* its streams' threads first: they are the engine's */
	if (!nc_engine_transport_close(e))
		return; /* the loop still references e: leak it rather than dangle */
	nc_engine_ssh_free(e->ssh); /* after libcurl closed its connections */
	free(e);
}

void nc_engine_set_cancel(nc_engine_t *e, volatile sig_atomic_t *cancel)
{
	e->opt.cancel = cancel;
}

const char *nc_engine_url(const nc_engine_t *e)
{
	return e->url;
}

const char *nc_engine_base(const nc_engine_t *e)
{
	return e->base;
}

long nc_engine_timeout(const nc_engine_t *e)
{
	return e->opt.timeout_ms;
}

int nc_engine_api(const nc_engine_t *e)
{
	int v = nc_engine_api_number(e->api_version);

	return v < 0 ? 0 : v;
}

/* 404 on these paths names an object: a container, network, service, task
 * or node that netcheck created or the user named */
static bool names_object(const char *path)
{
	static const char *const prefixes[] = { "/containers/", "/networks/", "/services/", "/tasks/", "/nodes/" };

	for (size_t i = 0; i < NC_ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		/* "/containers/json" and "/containers/create" are listings and creations, not objects */
		if (strncmp(path, prefixes[i], n) == 0 && strncmp(path + n, "json", 4) != 0 &&
		    strncmp(path + n, "create", 6) != 0)
			return true;
	}
	return false;
}

static bool has(const char *message, const char *what)
{
	return message != NULL && strstr(message, what) != NULL;
}

int nc_engine_classify(long status, const char *method, const char *path, const char *message)
{
	(void)method;
	/* "Bind for 0.0.0.0:80 failed: port is already allocated" (docker's
	 * allocator), "listen tcp4 0.0.0.0:80: bind: address already in use"
	 * (docker-proxy), both with 500 at start; Podman says the same words */
	if (has(message, "port is already allocated") || has(message, "address already in use"))
		return NC_EPORTTAKEN;
	if (status == 404) {
		/* "No such image: x" (create), "no such image: x: No such image" (image inspect) */
		if (has(message, "No such image") || has(message, "no such image") ||
		    strncmp(path, "/images/", 8) == 0)
			return NC_ENOIMAGE;
		return names_object(path) ? NC_EGONE : NC_ENOTFOUND;
	}
	/* a network that still has containers: 403 from Docker 20.10, not 409 */
	if (status == 409 || (status == 403 && has(message, "active endpoints")))
		return NC_ECONFLICT;
	return NC_EENGINE;
}

const char *nc_engine_product(const nc_engine_version_t *v)
{
	return v->podman ? "Podman Engine" : v->platform_name[0] ? v->platform_name : "Docker Engine";
}

/* The API version every later call uses, from the engine's own (ret's). */
static int agree_api(nc_engine_t *e, const nc_engine_version_t *ret, nc_error_t *err)
{
	int have = nc_engine_api_number(ret->api_version);

	if (have < 0)
		return nc_error_set(err, NC_EPROTO, "engine at %s reports a malformed API version '%s'", e->url,
				    ret->api_version);
	if (have < nc_engine_api_number(NC_ENGINE_MIN_API))
		return nc_error_set(err, -ENOTSUP, "engine API %s is older than the %s netcheck needs",
				    ret->api_version, NC_ENGINE_MIN_API);
	if (have > nc_engine_api_number(NC_ENGINE_MAX_API))
		copy_str(e->api_version, sizeof(e->api_version), NC_ENGINE_MAX_API);
	else
		copy_str(e->api_version, sizeof(e->api_version), ret->api_version);
	return 0;
}

int nc_engine_take_version(nc_engine_t *e, const json_t *j, nc_engine_version_t *ret, nc_error_t *err)
{
	int r;

	if (j == NULL)
		return nc_error_set(err, NC_EPROTO, "engine at %s answered /version with nothing", e->url);
	r = nc_engine_parse_version(j, ret, err);
	return r < 0 ? r : agree_api(e, ret, err);
}

int nc_engine_take_ping(nc_engine_t *e, const nc_engine_ping_t *p, nc_engine_version_t *ret, nc_error_t *err)
{
	const char *slash = strchr(p->server, '/');

	memset(ret, 0, sizeof(*ret));
	if (p->api_version[0] == '\0')
		return nc_error_set(err, -ENODATA, "engine at %s named no API version in its /_ping answer", e->url);
	copy_str(ret->api_version, sizeof(ret->api_version), p->api_version);
	/* "Docker/20.10.24+dfsg1 (linux)": the version is what follows the name */
	if (slash != NULL)
		snprintf(ret->version, sizeof(ret->version), "%.*s", (int)strcspn(slash + 1, " "), slash + 1);
	ret->podman = p->libpod || strncmp(p->server, "Libpod/", 7) == 0;
	return agree_api(e, ret, err);
}

int nc_engine_clone(const nc_engine_t *e, nc_engine_t **ret, nc_error_t *err)
{
	int r = nc_engine_new(e->url, &e->opt, ret, err);

	if (r == 0)
		copy_str((*ret)->api_version, sizeof((*ret)->api_version), e->api_version);
	return r;
}

int nc_engine_negotiate(nc_engine_t *e, nc_engine_version_t *ret, nc_error_t *err)
{
	json_t *j = NULL;
	int r;

	e->api_version[0] = '\0';
	r = nc_engine_call(e, "GET", "/version", NULL, NULL, 0, 0, &j, err);
	if (r < 0)
		return r;
	r = nc_engine_take_version(e, j, ret, err);
	json_decref(j);
	return r;
}

int nc_engine_info(nc_engine_t *e, nc_engine_info_t *ret, nc_error_t *err)
{
	json_t *j = NULL;
	int r = nc_engine_call(e, "GET", "/info", NULL, NULL, 0, 0, &j, err);

	if (r < 0)
		return r;
	if (j == NULL)
		return nc_error_set(err, NC_EPROTO, "engine answered /info with nothing");
	r = nc_engine_parse_info(j, ret, err);
	json_decref(j);
	return r;
}

int nc_engine_escape(const char *s, char *buf, size_t len)
{
	size_t used = 0;

	return nc_percent_encode(buf, len, &used, s) < 0 ? -ENAMETOOLONG : 0;
}
