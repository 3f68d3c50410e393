/* netcheck watch: the cycles (run-watch.c does them), what each prints
 * (an NDJSON line, a line per state change), the metrics file, and the
 * /metrics server on the watch's own loop.
 *
 * The server is uv_tcp on the loop the probes run on: the metrics live in
 * this thread, so a scrape reads them between two loop iterations with no
 * lock, and the whole server is a request reader (cli-http.c, 8 KiB) and
 * one write; an HTTP library (libmicrohttpd, h2o) would bring its own
 * threads or loop for one fixed GET.  Every handle of it is unreferenced:
 * it never keeps a cycle's loop running, and is served whenever the loop
 * runs (during the probes and between cycles).  Bounds: 16 connections
 * (more are closed at once), 8 KiB of request, 5 s to send it, one request
 * per connection.  May call: run (watch.h), report (metrics.h), policy. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "cli-http.h"
#include "cli-internal.h"
#include "netcheck/endpoint.h"
#include "netcheck/common.h"
#include "netcheck/metrics.h"
#include "netcheck/watch.h"

#define MAX_CONNECTIONS 16
#define READ_TIMEOUT_MS 5000
#define MAX_RECREATE 5

int cli_parse_duration(const char *text, uint64_t *ret_ms)
{
	char *end;
	unsigned long long v;
	uint64_t unit;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || v > 86400000ULL)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		unit = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		unit = 1000;
	else if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else
		return -EINVAL;
	*ret_ms = v * unit;
	return 0;
}

/* ---- the /metrics server ------------------------------------------------ */

struct server;

struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t write;
	struct server *srv;
	char buf[NC_HTTP_MAX_HEADER];
	size_t len;
	char *response;               /* owned */
	int pending;                  /* handles not yet closed */
	bool closing;
};

struct server {
	uv_tcp_t listener;
	bool open;
	struct conn *conns[MAX_CONNECTIONS]; /* owned, freed in their last close callback */
	const nc_metrics_t *metrics;  /* borrowed */
	char url[CLI_WATCH_URL_MAX];  /* http://ADDR:PORT/metrics as bound (a port 0 is the kernel's pick) */
};

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->pending > 0)
		return;
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		if (c->srv->conns[i] == c)
			c->srv->conns[i] = NULL;
	free(c->response);
	free(c);
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->timer, conn_closed);
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	conn_close(req->data);
}

static void respond(struct conn *c, const char *status, const char *type, const char *body)
{
	size_t n = strlen(body) + 256;
	uv_buf_t b;

	uv_read_stop((uv_stream_t *)&c->tcp);
	c->response = malloc(n);
	if (c->response == NULL) {
		conn_close(c);
		return;
	}
	n = (size_t)snprintf(c->response, n,
			     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", status,
			     type, strlen(body), body);
	b = uv_buf_init(c->response, (unsigned)n);
	c->write.data = c;
	if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, on_written) < 0)
		conn_close(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	nc_http_request_t req;
	int r;

	(void)buf;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	r = nc_http_request_parse(c->buf, c->len, &req);
	if (r == 0 && c->len < sizeof(c->buf))
		return;
	if (r == -EMSGSIZE || r == 0)
		respond(c, "431 Request Header Fields Too Large", "text/plain", "request headers over 8 KiB\n");
	else if (r < 0)
		respond(c, "400 Bad Request", "text/plain", "not an HTTP/1.x request\n");
	else if (!req.metrics)
		respond(c, "404 Not Found", "text/plain", "only /metrics here\n");
	else if (!req.get)
		respond(c, "405 Method Not Allowed", "text/plain", "GET only\n");
	else {
		char *text = nc_metrics_render(c->srv->metrics, req.openmetrics);

		if (text == NULL)
			respond(c, "500 Internal Server Error", "text/plain", "out of memory\n");
		else
			respond(c, "200 OK", req.openmetrics ? NC_METRICS_OPENMETRICS_TYPE : NC_METRICS_TEXT_TYPE, text);
		free(text);
	}
}

static void on_read_timeout(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct server *srv = listener->data;
	struct conn *c;
	size_t slot = 0;

	if (status < 0)
		return;
	while (slot < MAX_CONNECTIONS && srv->conns[slot] != NULL)
		slot++;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->srv = srv;
	c->tcp.data = c->timer.data = c;
	uv_tcp_init(listener->loop, &c->tcp);
	uv_timer_init(listener->loop, &c->timer);
	c->pending = 2;
	uv_unref((uv_handle_t *)&c->tcp);
	uv_unref((uv_handle_t *)&c->timer);
	if (slot == MAX_CONNECTIONS) { /* full: accepted and closed, so it is not left in the backlog */
		(void)uv_accept(listener, (uv_stream_t *)&c->tcp);
		conn_close(c); /* not in the table: conn_closed finds nothing to clear */
		return;
	}
	srv->conns[slot] = c;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_read_timeout, READ_TIMEOUT_MS, 0);
}

static int parse_listen(const char *text, struct sockaddr_storage *ret)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	char *end;
	unsigned long port;
	size_t n;

	if (colon == NULL || colon == text)
		return -EINVAL;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port > 65535)
		return -EINVAL;
	n = (size_t)(colon - text);
	if (text[0] == '[' && n >= 2 && text[n - 1] == ']') {
		text++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, n);
	host[n] = '\0';
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ret) == 0)
		return 0;
	return uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ret) == 0 ? 0 : -EINVAL;
}

static int server_open(struct server *srv, uv_loop_t *loop, const char *listen, nc_error_t *err)
{
	struct sockaddr_storage addr, bound;
	int len = (int)sizeof(bound), r;
	nc_endpoint_t at;
	char host[NC_ENDPOINT_STRLEN];

	if (parse_listen(listen, &addr) < 0)
		return nc_error_set(err, -EINVAL, "--listen needs ADDR:PORT (such as 127.0.0.1:9469 or [::1]:9469), not '%.64s'",
				    listen);
	r = uv_tcp_init(loop, &srv->listener);
	if (r < 0)
		return nc_error_set(err, r, "libuv: %s", uv_strerror(r));
	srv->open = true;
	srv->listener.data = srv;
	uv_unref((uv_handle_t *)&srv->listener);
	r = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&srv->listener, MAX_CONNECTIONS, on_connection);
	if (r < 0)
		return nc_error_set(err, NC_ECANTCREAT, "--listen %.64s: %s", listen, uv_strerror(r));
	/* as bound: a port 0 becomes the one the kernel picked, which only
	 * the start-up line tells the user */
	if (uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len) == 0 &&
	    nc_endpoint_from_sockaddr((struct sockaddr *)&bound, &at) == 0 &&
	    nc_endpoint_format(&at, true, host, sizeof(host)) == 0)
		snprintf(srv->url, sizeof(srv->url), "http://%s/metrics", host);
	return 0;
}

static void server_close(struct server *srv)
{
	for (size_t i = 0; i < MAX_CONNECTIONS; i++)
		if (srv->conns[i] != NULL)
			conn_close(srv->conns[i]);
	if (srv->open)
		uv_close((uv_handle_t *)&srv->listener, NULL);
	srv->open = false;
}

/* ---- the cycles ----------------------------------------------------------- */

struct watch_cli {
	cli_t *cli;
	nc_metrics_t *metrics;        /* owned */
	nc_result_t *result;          /* owned */
	nc_watch_t *watch;            /* owned */
	struct server srv;
	uv_timer_t pause;
	bool pause_open;
	uint64_t due_ms;
	FILE *json;                   /* owned unless stdout */
};

static void on_change(void *data, const char *line)
{
	(void)data;
	fprintf(stderr, "netcheck: %s\n", line);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_pause(uv_timer_t *t)
{
	struct watch_cli *wc = t->data;

	if (*wc->cli->interrupted || now_ms() >= wc->due_ms) {
		uv_timer_stop(t);
		uv_stop(t->loop); /* the witness's handles keep the loop alive */
	}
}

/* node_exporter's textfile collector reads whole files: a temporary file
 * in the same folder, renamed over the last one */
static int write_metrics_file(const char *path, const nc_metrics_t *m)
{
	char tmp[4096];
	char *text = nc_metrics_render(m, false); /* node_exporter reads Prometheus text */
	int fd, r = 0;
	size_t n;

	if (text == NULL)
		return -ENOMEM;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp)) {
		free(text);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		r = -errno;
	n = strlen(text);
	if (r == 0 && write(fd, text, n) != (ssize_t)n)
		r = -EIO;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	free(text);
	return r;
}

/* A result for the watch, with what the command line said of paths. */
static int start(struct watch_cli *wc, nc_error_t *err)
{
	cli_t *cli = wc->cli;
	int r;

	wc->result = nc_result_new();
	if (wc->result == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory");
	*nc_result_selection(wc->result) = cli->selection;
	cli_add_expect_rules(cli, wc->result); /* read with the command line */
	r = nc_watch_new(&cli->run, wc->result, &wc->watch, err);
	if (r < 0)
		return r;
	r = uv_timer_init(nc_watch_loop(wc->watch), &wc->pause);
	if (r < 0)
		return nc_error_set(err, r, "libuv: %s", uv_strerror(r));
	wc->pause.data = wc;
	wc->pause_open = true;
	if (cli->watch.listen != NULL || cli->watch.metrics_file == NULL) {
		wc->srv.metrics = wc->metrics;
		r = server_open(&wc->srv, nc_watch_loop(wc->watch),
				cli->watch.listen != NULL ? cli->watch.listen : CLI_WATCH_LISTEN, err);
	}
	return r;
}

/* Everything start made, in reverse: the server and timer close on the
 * loop that teardown runs. */
static int stop(struct watch_cli *wc, int r, nc_error_t *err)
{
	if (wc->watch != NULL) {
		server_close(&wc->srv);
		if (wc->pause_open)
			uv_close((uv_handle_t *)&wc->pause, NULL);
		wc->pause_open = false;
	}
	r = nc_watch_free(wc->watch, r, err);
	wc->watch = NULL;
	return r;
}

/* One line on stderr once started: nothing else is said while all is well. */
static void say_watching(const struct watch_cli *wc)
{
	const cli_t *cli = wc->cli;
	const nc_container_t *c = nc_result_container_const(wc->result);
	char line[CLI_WATCH_URL_MAX + 768];
	cli_watch_start_t s = {
		.project = cli->run.project != NULL,
		.users = cli->container != NULL,
		.interval_ms = cli->watch.interval_ms,
		.count = cli->watch.count,
		.url = wc->srv.open ? wc->srv.url : NULL,
		.metrics_file = cli->watch.metrics_file,
	};

	s.name = s.project ? cli->run.project : s.users ? cli->container : c->name;
	cli_watch_start_line(&s, line, sizeof(line));
	fprintf(stderr, "%s\n", line);
}

static int one_cycle(struct watch_cli *wc, uint64_t cycle, nc_error_t *err)
{
	cli_t *cli = wc->cli;
	uint64_t started = now_ms();
	struct timespec wall;
	double took;
	int r = nc_watch_cycle(wc->watch, err);

	if (r < 0)
		return r;
	took = (double)(now_ms() - started) / 1000.0;
	clock_gettime(CLOCK_REALTIME, &wall);
	nc_metrics_observe(wc->metrics, wc->result, took, cli->ascii, on_change, wc);
	if (wc->json != NULL) {
		char *line = nc_metrics_cycle_json(wc->result, cycle, (double)wall.tv_sec + wall.tv_nsec / 1e9, took);

		if (line == NULL)
			return nc_error_set(err, -ENOMEM, "out of memory");
		r = fprintf(wc->json, "%s\n", line) < 0 || fflush(wc->json) != 0 ? -EIO : 0;
		free(line);
		if (r < 0)
			return nc_error_set(err, NC_ECANTCREAT, "writing --json %s failed", cli->json_path);
	}
	if (cli->watch.metrics_file != NULL && (r = write_metrics_file(cli->watch.metrics_file, wc->metrics)) < 0)
		return nc_error_set(err, NC_ECANTCREAT, "--metrics-file %s: %s", cli->watch.metrics_file, nc_strerror(r));
	wc->due_ms = started + cli->watch.interval_ms;
	return 0;
}

int cli_cmd_watch(cli_t *cli)
{
	struct watch_cli wc = { .cli = cli };
	nc_error_t err = { "" };
	unsigned recreated = 0;
	int r = 0, code;

	wc.metrics = nc_metrics_new();
	if (wc.metrics == NULL) {
		fprintf(stderr, "netcheck: out of memory\n");
		return nc_exit_code(NC_CMD_RUN, -ENOMEM, NULL, 0);
	}
	cli->run.target = cli->container;
	cli->run.interrupted = cli->interrupted;
	if (cli_is_stdout(cli->json_path))
		wc.json = stdout;
	else if (cli->json_path != NULL) {
		int fd = open(cli->json_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);

		wc.json = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (wc.json == NULL)
			r = nc_error_set(&err, NC_ECANTCREAT, "--json %s: %s", cli->json_path, strerror(errno));
	}
	if (r == 0)
		r = start(&wc, &err);
	if (r == 0) {
		say_watching(&wc);
		cli_say_left_out(wc.result);
	}
	for (uint64_t cycle = 1; r == 0; cycle++) {
		r = one_cycle(&wc, cycle, &err);
		if (r < 0 || (cli->watch.count > 0 && cycle >= cli->watch.count))
			break;
		if (nc_watch_owns_target(wc.watch) && !nc_watch_target_alive(wc.watch, &err) && !*cli->interrupted) {
			/* ours died: a new one on the same loop, so the /metrics
			 * server and its counts go on (a user's is only reported) */
			if (recreated++ == MAX_RECREATE) {
				r = nc_error_set(&err, NC_EENGINE, "the test container died %d times", MAX_RECREATE + 1);
				break;
			}
			fprintf(stderr, "netcheck: the test container is gone (%s); creating another (%u of %d)\n", err.text,
				recreated, MAX_RECREATE);
			err.text[0] = '\0';
			r = nc_watch_recreate(wc.watch, &err);
			continue;
		}
		uv_timer_start(&wc.pause, on_pause, 50, 50);
		uv_run(nc_watch_loop(wc.watch), UV_RUN_DEFAULT);
		if (*cli->interrupted)
			r = NC_ECANCELED;
	}
	if (r == 0 && *cli->interrupted)
		r = NC_ECANCELED;
	r = stop(&wc, r, &err);
	code = nc_exit_code(NC_CMD_RUN, r, wc.result, *cli->signal_received);
	if (r < 0 && r != NC_ECANCELED)
		fprintf(stderr, "netcheck: %s\n", err.text[0] ? err.text : nc_strerror(r));
	else if (*cli->signal_received)
		fprintf(stderr, "netcheck: interrupted; %s\n",
			cli->container != NULL	    ? "your container was left alone"
			: cli->run.project != NULL ? "your project's containers were left alone"
						    : "the test container was removed");
	if (wc.json != NULL && wc.json != stdout)
		fclose(wc.json);
	nc_result_free(wc.result);
	nc_metrics_free(wc.metrics);
	return code;
}
