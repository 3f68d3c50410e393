/* Engine API transport: one libcurl easy handle per engine, driven by
 * libcurl's multi-socket interface on a libuv loop private to the engine
 * (never the run's loop); bounded responses, per-call timeouts,
 * cancellation from a signal flag.  The calls stay synchronous: each one
 * runs the private loop until its transfer is done.  nc_engine_get_all()
 * runs several GETs at once, each on an easy handle (and a connection) of
 * its own, and returns when the last is done (for ssh:// engines, one
 * after another on the one connection: engine-ssh.c).  What a failed
 * transfer means is said here (map_curl_error); an HTTP status, by
 * nc_engine_classify() in engine.c.
 * May call: libcurl, libuv, jansson, engine-parse.c, engine-ssh.c.  Never
 * prints. */
#include "engine-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <uv.h>

#include "netcheck/testing.h"

/* one per curl socket, assigned to it with curl_multi_assign(); the
 * uv_poll_t comes first so the close callback frees the whole struct */
struct sock_poll {
	uv_poll_t poll;
	curl_socket_t fd;
	nc_engine_t *engine;
};

struct buf {
	char *data;
	size_t len, cap;
	bool too_big;
};

/* One transfer: its easy handle, what it sends, what came back. */
struct xfer {
	CURL *h;                          /* the engine's (borrowed) or a batch's own */
	char url[NC_ENGINE_URL_MAX * 2];
	char errbuf[CURL_ERROR_SIZE];
	char ctype[128];
	struct curl_slist *headers;       /* owned */
	struct buf b;                     /* the answer's body: owned */
	bool added;                       /* in the multi handle */
	bool done;
	CURLcode result;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *b = userdata;
	size_t n = size * nmemb;

	if (b->len + n + 1 > NC_ENGINE_MAX_RESPONSE) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *d;

		while (cap < b->len + n + 1)
			cap *= 2;
		d = realloc(b->data, cap);
		if (d == NULL)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	nc_engine_t *e = clientp;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return e->opt.cancel != NULL && *e->opt.cancel ? 1 : 0;
}

/* ---- libcurl multi-socket on the engine's libuv loop ------------------------ */

/* every handle here is the first member of its own allocation */
static void free_handle(uv_handle_t *h)
{
	free(h);
}

static void close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, free_handle);
}

static void close_walked(uv_handle_t *h, void *arg)
{
	(void)arg;
	close_handle(h);
}

static void check_done(nc_engine_t *e)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(e->multi, &left)) != NULL) {
		char *priv = NULL;
		struct xfer *x;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		x = (struct xfer *)(void *)priv;
		if (x == NULL || x->done)
			continue;
		x->result = msg->data.result;
		x->done = true;
		/* the last transfer may end inside a timer callback, which would
		 * otherwise leave uv_run(UV_RUN_ONCE) to poll until the next
		 * timer (up to the 50 ms cancel tick) */
		if (--e->pending == 0)
			uv_stop(&e->loop);
	}
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct sock_poll *sp = (struct sock_poll *)p;
	nc_engine_t *e = sp->engine;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	/* may call on_socket(REMOVE), which closes p: sp is not used after this */
	curl_multi_socket_action(e->multi, sp->fd, flags, &running);
	check_done(e);
}

static void on_curl_timer(uv_timer_t *t)
{
	nc_engine_t *e = t->data;
	int running;

	curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(e);
}

static void on_cancel_timer(uv_timer_t *t)
{
	nc_engine_t *e = t->data;

	if (e->opt.cancel != NULL && *e->opt.cancel)
		e->canceled = true;
}

/* CURLMOPT_SOCKETFUNCTION: one uv_poll per curl socket */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	nc_engine_t *e = userp;
	struct sock_poll *sp = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sp != NULL) {
			uv_poll_stop(&sp->poll);
			close_handle((uv_handle_t *)&sp->poll);
			curl_multi_assign(e->multi, fd, NULL);
		}
		return 0;
	}
	if (sp == NULL) {
		sp = calloc(1, sizeof(*sp));
		if (sp == NULL)
			return -1;
		if (uv_poll_init_socket(&e->loop, &sp->poll, fd) < 0) {
			free(sp); /* never initialised: no close callback */
			return -1;
		}
		sp->fd = fd;
		sp->engine = e;
		curl_multi_assign(e->multi, fd, sp);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= UV_WRITABLE;
	if (uv_poll_start(&sp->poll, events, on_poll) < 0)
		return -1;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one uv_timer; -1 stops it */
static int on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
	nc_engine_t *e = userp;

	(void)multi;
	if (timeout_ms < 0)
		uv_timer_stop(e->curl_timer);
	else
		uv_timer_start(e->curl_timer, on_curl_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

static int new_timer(uv_loop_t *loop, nc_engine_t *e, uv_timer_t **ret)
{
	uv_timer_t *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	uv_timer_init(loop, t); /* cannot fail on unix */
	t->data = e;
	*ret = t;
	return 0;
}

int nc_engine_transport_open(nc_engine_t *e, nc_error_t *err)
{
	int r;

	e->curl = curl_easy_init();
	if (e->curl == NULL)
		return -ENOMEM;
	r = uv_loop_init(&e->loop);
	if (r < 0)
		return nc_error_set(err, r, "cannot create the engine's event loop: %s", uv_strerror(r));
	e->loop_ready = true;
	if (new_timer(&e->loop, e, &e->curl_timer) < 0 || new_timer(&e->loop, e, &e->cancel_timer) < 0)
		return -ENOMEM;
	e->multi = curl_multi_init();
	if (e->multi == NULL)
		return -ENOMEM;
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	if (e->ssh != NULL)
		nc_engine_ssh_multi(e->multi);
	return 0;
}

bool nc_engine_transport_close(nc_engine_t *e)
{
	if (e->curl != NULL)
		curl_easy_cleanup(e->curl); /* never in the multi handle between calls */
	if (e->multi != NULL)
		curl_multi_cleanup(e->multi); /* closes the cached connection */
	if (e->loop_ready) {
		int r;

		/* sockets curl did not report removed, and the two timers: their
		 * close callbacks free them, the loop runs until they have */
		uv_walk(&e->loop, close_walked, NULL);
		uv_run(&e->loop, UV_RUN_DEFAULT);
		r = uv_loop_close(&e->loop);
		assert(r == 0 && "a handle on the engine's loop was leaked");
		if (r != 0)
			return false;
	} else {
		free(e->curl_timer);
		free(e->cancel_timer);
	}
	return true;
}

static int map_curl_error(nc_engine_t *e, CURLcode c, const char *errbuf, const struct buf *b, nc_error_t *err)
{
	const char *what = errbuf[0] ? errbuf : curl_easy_strerror(c);
	int r;

	/* an ssh child that failed says why better than libcurl can */
	if (e->ssh != NULL && c != CURLE_ABORTED_BY_CALLBACK && c != CURLE_WRITE_ERROR &&
	    (r = nc_engine_ssh_explain(e->ssh, c == CURLE_OPERATION_TIMEDOUT, err)) < 0)
		return r;
	switch (c) {
	case CURLE_ABORTED_BY_CALLBACK:
		return nc_error_set(err, NC_ECANCELED, "engine call to %s interrupted", e->url);
	case CURLE_WRITE_ERROR:
		if (b->too_big)
			return nc_error_set(err, NC_ETOOBIG, "engine at %s sent more than %u bytes", e->url,
					    NC_ENGINE_MAX_RESPONSE);
		return nc_error_set(err, -ENOMEM, "out of memory reading the engine's answer");
	case CURLE_OPERATION_TIMEDOUT:
		return nc_error_set(err, -ETIMEDOUT, "engine at %s did not answer in time (%s)", e->url, what);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST: {
		/* say why a unix socket failed: missing, or not ours to open */
		if (e->socket_path[0] != '\0') {
			if (access(e->socket_path, F_OK) != 0)
				return nc_error_set(err, -ENOENT,
						    "no engine socket at %s: is dockerd running? (set --engine or DOCKER_HOST)",
						    e->socket_path);
			if (access(e->socket_path, R_OK | W_OK) != 0)
				return nc_error_set(err, -EACCES,
						    "permission denied on %s: run as root or join the docker group",
						    e->socket_path);
		}
		return nc_error_set(err, -ECONNREFUSED, "cannot connect to the engine at %s: %s", e->url, what);
	}
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
		return nc_error_set(err, NC_EPROTO, "engine at %s broke off its answer: %s", e->url, what);
	default:
		return nc_error_set(err, NC_EENGINE, "engine at %s: %s", e->url, what);
	}
}

/* Runs the transfers on the engine's loop until libcurl says they are
 * done or the cancel flag is seen (the progress callback, or the 50 ms
 * timer when curl has nothing to report); each gets its result.  The easy
 * handles leave the multi handle before returning; the connections stay
 * in the multi handle's cache. */
static void perform(nc_engine_t *e, struct xfer *x, size_t n, long timeout_ms)
{
	/* a guard only: curl's own timeout ends the transfers well before */
	uint64_t deadline;

	e->canceled = false;
	e->pending = 0;
	for (size_t i = 0; i < n; i++) {
		CURLMcode mc;

		if (x[i].done) /* never set up */
			continue;
		curl_easy_setopt(x[i].h, CURLOPT_PRIVATE, (char *)(void *)&x[i]);
		mc = curl_multi_add_handle(e->multi, x[i].h);
		if (mc != CURLM_OK) {
			x[i].done = true;
			x[i].result = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
			continue;
		}
		x[i].added = true;
		e->pending++;
	}
	uv_timer_start(e->cancel_timer, on_cancel_timer, 50, 50);
	uv_update_time(&e->loop);
	deadline = uv_now(&e->loop) + (uint64_t)timeout_ms + (uint64_t)e->opt.connect_timeout_ms + 5000;
	/* bounded: curl ends every transfer by CURLOPT_TIMEOUT_MS, and the
	 * cancel timer wakes the loop at least every 50 ms */
	while (e->pending > 0 && !e->canceled && uv_now(&e->loop) < deadline)
		uv_run(&e->loop, UV_RUN_ONCE);
	uv_timer_stop(e->cancel_timer);
	for (size_t i = 0; i < n; i++) {
		if (x[i].added)
			curl_multi_remove_handle(e->multi, x[i].h);
		x[i].added = false;
		if (!x[i].done) {
			x[i].done = true;
			x[i].result = e->canceled ? CURLE_ABORTED_BY_CALLBACK : CURLE_OPERATION_TIMEDOUT;
		}
	}
	e->pending = 0;
}

/* Sets x up for method path on easy handle h; 0 or a negative errno. */
static int xfer_setup(nc_engine_t *e, struct xfer *x, CURL *h, const char *method, const char *path,
		      const char *content_type, const void *body, size_t body_len, long timeout_ms, nc_error_t *err)
{
	int n;

	x->h = h;
	if (e->api_version[0] != '\0')
		n = snprintf(x->url, sizeof(x->url), "%s/v%s%s", e->base, e->api_version, path);
	else
		n = snprintf(x->url, sizeof(x->url), "%s%s", e->base, path);
	if (n < 0 || (size_t)n >= sizeof(x->url))
		return nc_error_set(err, -ENAMETOOLONG, "engine request path too long");

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, x->url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, e->opt.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x->b);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, e);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "netcheck/" NC_VERSION);
	if (e->socket_path[0] != '\0')
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, e->socket_path);
	if (e->ssh != NULL)
		nc_engine_ssh_setopt(e->ssh, h);
	nc_engine_tls_setopt(e, h);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body != NULL ? body_len : 0));
		snprintf(x->ctype, sizeof(x->ctype), "Content-Type: %s", content_type ? content_type : "application/json");
		x->headers = curl_slist_append(x->headers, x->ctype);
		x->headers = curl_slist_append(x->headers, "Expect:");
		if (x->headers == NULL)
			return -ENOMEM;
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	}
	return 0;
}

/* The outcome of a performed x: the body to *ret (when not NULL), or the
 * error.  Frees what x holds either way. */
static int xfer_finish(nc_engine_t *e, struct xfer *x, const char *method, const char *path, nc_engine_body_t *ret,
		       nc_error_t *err)
{
	long status = 0;
	int r = 0;

	curl_slist_free_all(x->headers);
	x->headers = NULL;
	if (x->result != CURLE_OK) {
		r = map_curl_error(e, x->result, x->errbuf, &x->b, err);
		goto out;
	}
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 400) {
		const char *msg = NULL;
		json_t *j = x->b.data != NULL ? json_loadb(x->b.data, x->b.len, 0, NULL) : NULL;

		if (j != NULL)
			msg = json_string_value(json_object_get(j, "message"));
		r = nc_engine_classify(status, method, path, msg);
		nc_error_set(err, r, "engine answered %ld to %s %s: %.300s", status, method, path,
			     msg ? msg : (x->b.data ? x->b.data : "(no body)"));
		json_decref(j);
		goto out;
	}
	if (ret != NULL) {
		/* not strdup: the unit tests count every allocation */
		ret->data = x->b.data != NULL ? x->b.data : calloc(1, 1);
		ret->len = x->b.len;
		x->b.data = NULL;
		if (ret->data == NULL)
			return -ENOMEM;
		return 0;
	}
out:
	free(x->b.data);
	x->b.data = NULL;
	return r;
}

int nc_engine_call_raw(nc_engine_t *e, const char *method, const char *path, const char *content_type,
		       const void *body, size_t body_len, long timeout_ms, nc_engine_body_t *ret, nc_error_t *err)
{
	struct xfer *x = calloc(1, sizeof(*x));
	int r;

	if (x == NULL)
		return -ENOMEM;
	if (timeout_ms <= 0)
		timeout_ms = e->opt.timeout_ms;
	r = xfer_setup(e, x, e->curl, method, path, content_type, body, body_len, timeout_ms, err);
	if (r == 0) {
		perform(e, x, 1, timeout_ms);
		r = xfer_finish(e, x, method, path, ret, err);
	}
	curl_slist_free_all(x->headers);
	free(x);
	return r;
}

/* The body of a successful answer as JSON: *ret_json new, NULL when empty. */
static int body_json(nc_engine_t *e, const char *method, const char *path, nc_engine_body_t *b, json_t **ret_json,
		     nc_error_t *err)
{
	json_error_t jerr;
	int r = 0;

	if (ret_json != NULL && b->len > 0) {
		*ret_json = json_loadb(b->data, b->len, 0, &jerr);
		if (*ret_json == NULL)
			r = nc_error_set(err, NC_EPROTO, "engine at %s sent malformed JSON for %s %s: %s (line %d)",
					 e->url, method, path, jerr.text, jerr.line);
	}
	free(b->data);
	b->data = NULL;
	return r;
}

/* The headers of a /_ping answer on h (its transfer done). */
static void read_ping(CURL *h, nc_engine_ping_t *p)
{
	struct curl_header *hh;

	memset(p, 0, sizeof(*p));
	if (curl_easy_header(h, "Api-Version", 0, CURLH_HEADER, -1, &hh) == CURLHE_OK)
		snprintf(p->api_version, sizeof(p->api_version), "%s", hh->value);
	if (curl_easy_header(h, "Server", 0, CURLH_HEADER, -1, &hh) == CURLHE_OK)
		snprintf(p->server, sizeof(p->server), "%s", hh->value);
	p->libpod = curl_easy_header(h, "Libpod-Api-Version", 0, CURLH_HEADER, -1, &hh) == CURLHE_OK;
}

int nc_engine_get_all(nc_engine_t *e, nc_engine_get_t *gets, size_t n)
{
	struct xfer *x;

	if (n == 0 || n > NC_ENGINE_MAX_BATCH)
		return -EINVAL;
	x = calloc(n, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		/* the first reuses the engine's handle, and so its connection */
		CURL *h = i == 0 ? e->curl : curl_easy_init();

		gets[i].json = NULL;
		gets[i].err.text[0] = '\0';
		gets[i].result = h == NULL ? -ENOMEM
					   : xfer_setup(e, &x[i], h, "GET", gets[i].path, NULL, NULL, 0, e->opt.timeout_ms,
							&gets[i].err);
		x[i].h = h;
		x[i].done = gets[i].result < 0; /* perform() leaves it out */
		/* HTTP/1.1 answers one request at a time: a connection each,
		 * or libcurl queues them on one */
		if (i > 0 && !x[i].done && e->ssh == NULL) /* ssh: one after another (nc_engine_ssh_multi) */
			curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	}
	perform(e, x, n, e->opt.timeout_ms);
	for (size_t i = 0; i < n; i++) {
		nc_engine_get_t *g = &gets[i];
		nc_engine_body_t b = { 0 };

		if (g->result == 0)
			g->result = xfer_finish(e, &x[i], "GET", g->path, &b, &g->err);
		if (g->result == 0 && g->ping != NULL) {
			read_ping(x[i].h, g->ping);
			free(b.data);
		} else if (g->result == 0) {
			g->result = body_json(e, "GET", g->path, &b, &g->json, &g->err);
		}
		if (g->result == 0 && g->json == NULL && g->ping == NULL)
			g->result = nc_error_set(&g->err, NC_EPROTO, "engine answered GET %s with nothing", g->path);
		curl_slist_free_all(x[i].headers);
		free(x[i].b.data);
		if (i > 0 && x[i].h != NULL)
			curl_easy_cleanup(x[i].h);
	}
	free(x);
	return 0;
}

int nc_engine_call(nc_engine_t *e, const char *method, const char *path, const char *content_type, const void *body,
		   size_t body_len, long timeout_ms, json_t **ret_json, nc_error_t *err)
{
	nc_engine_body_t b = { 0 };
	int r;

	if (ret_json != NULL)
		*ret_json = NULL;
	r = nc_engine_call_raw(e, method, path, content_type, body, body_len, timeout_ms, &b, err);
	if (r < 0)
		return r;
	return body_json(e, method, path, &b, ret_json, err);
}
