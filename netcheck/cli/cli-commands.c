/* netcheck's commands: each opens the outputs it was asked for, calls
 * the run room to do the work, prints what the report room renders and
 * asks nc_exit_code() (policy) for the exit code; nothing here picks one.
 * All of netcheck's output to stdout/stderr is printed here (and help in
 * cli-help.c).  May call: run, report, model, platform (the invoking
 * user, the terminal's width). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli-internal.h"
#include "netcheck/common.h"
#include "netcheck/platform.h"
#include "netcheck/report.h"
#include "netcheck/result.h"
#include "netcheck/run.h"
#include "netcheck/testing.h"

static const char *ellipsis(const cli_t *cli)
{
	return cli->ascii ? "..." : "…";
}

static void on_progress(void *data, const char *msg)
{
	fprintf(stderr, "netcheck: %s%s\n", msg, ellipsis(data));
}

/* --- outputs ------------------------------------------------------------- */

/* Output files are created before the run: a bad path fails before any
 * container exists, and the file is ours (and the sudo user's) before the
 * run drops its privileges.  exclusive: refuse an existing file.  Returns
 * the fd or a negative errno; callers make a failure NC_ECANTCREAT (exit
 * 73: ENOENT here is a missing folder, not a missing engine socket). */
static int create_output(const char *path, int mode, bool exclusive)
{
	int fd = open(path, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC) | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return -errno;
	(void)nc_platform_give_to_invoking_user(fd);
	return fd;
}

/* *ret: NULL when path is NULL, stdout for "-", else a new FILE. */
static int open_report(const char *path, const char *what, FILE **ret, nc_error_t *err)
{
	int fd;

	*ret = NULL;
	if (path == NULL)
		return 0;
	if (cli_is_stdout(path)) {
		*ret = stdout;
		return 0;
	}
	fd = create_output(path, 0644, false);
	if (fd >= 0 && (*ret = fdopen(fd, "w")) == NULL) {
		int r = -errno;

		close(fd);
		fd = r;
	}
	if (fd < 0)
		return nc_error_set(err, NC_ECANTCREAT, "cannot write %s to %s: %s", what, path, strerror(-fd));
	return 0;
}

/* Closes f (stdout is only flushed).  0 or -EIO. */
static int close_report(FILE *f)
{
	if (f == NULL)
		return 0;
	if (f == stdout)
		return fflush(stdout) != 0 ? -EIO : 0;
	return fclose(f) != 0 ? -EIO : 0;
}

/* Opens cli->run.pcap_path into cli->run.pcap_fd; "-" is fd 1. */
static int open_pcap(cli_t *cli, bool exclusive, nc_error_t *err)
{
	const char *path = cli->run.pcap_path;
	struct stat st;
	int fd;

	if (cli_is_stdout(path)) {
		cli->run.pcap_fd = STDOUT_FILENO;
		cli->run.pcap_path = "standard output"; /* the library names it in messages */
		return 0;
	}
	fd = create_output(path, 0600, exclusive);
	if (fd == -EEXIST && exclusive && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		fd = -EISDIR; /* --overwrite would not help */
	if (fd == -EEXIST && exclusive)
		return nc_error_set(err, -EINVAL, "%s exists; --overwrite replaces it", path); /* the user's choice: 64 */
	if (fd < 0)
		return nc_error_set(err, NC_ECANTCREAT, "cannot write the capture to %s: %s", path, strerror(-fd));
	cli->run.pcap_fd = fd;
	return 0;
}

static bool pcap_is_file(const cli_t *cli)
{
	return cli->run.pcap_fd >= 0 && cli->run.pcap_fd != STDOUT_FILENO;
}

static nc_report_options_t report_options(const cli_t *cli, FILE *out)
{
	int fd = fileno(out);

	return (nc_report_options_t){
		.color = cli_color_wanted(cli->color, isatty(fd), getenv("NO_COLOR")),
		.verbose = cli->verbose,
		.ascii = cli->ascii,
		.width = cli_report_width(nc_platform_terminal_width(fd), getenv("COLUMNS")),
	};
}

/* --- commands ------------------------------------------------------------ */

/* gc and engines discover the engine inside the library, from the
 * environment: --context and -H reach them that way. */
static void engine_choice_to_environment(const cli_t *cli)
{
	if (cli->run.context != NULL) {
		setenv("DOCKER_CONTEXT", cli->run.context, 1);
		unsetenv("DOCKER_HOST"); /* docker: --context wins over DOCKER_HOST */
	}
	if (cli->command->kind == NC_CMD_ENGINES && cli->run.engine_url != NULL)
		setenv("DOCKER_HOST", cli->run.engine_url, 1);
}

/* what gc removed, counted by kind for its summary lines */
typedef struct gc_counts {
	int containers, swarm, images;
} gc_counts_t;

static void on_gc_removed(void *data, const char *what, const char *id, const char *run_id)
{
	gc_counts_t *n = data;

	if (strcmp(what, "image") == 0) {
		n->images++;
		printf("removed image %.200s (another netcheck build's)\n", id);
		return;
	}
	n->containers += strcmp(what, "container") == 0;
	n->swarm += strcmp(what, "service") == 0 || strcmp(what, "network") == 0;
	printf("removed %s %.12s (run %s)\n", what, id, run_id[0] ? run_id : "?");
}

int cli_cmd_gc(const cli_t *cli)
{
	nc_error_t err = { "" };
	gc_counts_t n = { 0 };
	int r;

	engine_choice_to_environment(cli);
	r = nc_run_gc(cli->run.engine_url, cli->include_kept, cli->run.engine_timeout_ms, cli->interrupted,
		      on_gc_removed, &n, &err);
	if (r < 0) {
		fprintf(stderr, "netcheck: %s\n", err.text[0] ? err.text : nc_strerror(r));
	} else {
		if (n.swarm > 0) /* --swarm runs' services and networks too */
			printf("gc: removed %d container%s and %d service%s or network%s left by earlier runs\n",
			       n.containers, n.containers == 1 ? "" : "s", n.swarm, n.swarm == 1 ? "" : "s",
			       n.swarm == 1 ? "" : "s");
		else
			printf("gc: removed %d container%s left by earlier runs\n", n.containers,
			       n.containers == 1 ? "" : "s");
		printf("gc: removed %d responder image%s of other netcheck builds\n", n.images,
		       n.images == 1 ? "" : "s");
	}
	return nc_exit_code(NC_CMD_GC, r, NULL, *cli->signal_received);
}

static void on_engine(void *data, const nc_engine_summary_t *e)
{
	(void)data;
	if (e->status < 0)
		printf("%-45s %-18s unusable: %s\n", e->url, e->source, e->error);
	else
		printf("%-45s %-18s %-16s %s %s (API %s)\n", e->url, e->source, nc_env_kind_name(e->kind), e->name,
		       e->version, e->api_version);
}

int cli_cmd_engines(const cli_t *cli)
{
	int n;

	engine_choice_to_environment(cli);
	n = nc_run_engines(cli->run.engine_timeout_ms ? cli->run.engine_timeout_ms : 3000, cli->interrupted, on_engine,
			   NULL);
	if (n == 0 && !*cli->signal_received)
		fprintf(stderr, "netcheck: no engine answers here (tried DOCKER_HOST, the docker context and the "
				"well-known sockets)\n");
	return nc_exit_code(NC_CMD_ENGINES, n, NULL, *cli->signal_received);
}

int cli_cmd_capture(cli_t *cli)
{
	nc_error_t err = { "" };
	nc_result_t *result = nc_result_new();
	/* with -w - standard output carries the packets; the rest goes to stderr */
	FILE *out = cli_is_stdout(cli->run.pcap_path) ? stderr : stdout;
	const nc_environment_t *env;
	struct tm tm;
	time_t now = time(NULL);
	int r, code;

	if (result == NULL) {
		fprintf(stderr, "netcheck: out of memory\n");
		return nc_exit_code(NC_CMD_CAPTURE, -ENOMEM, NULL, 0);
	}
	if (cli->run.pcap_path == NULL) {
		gmtime_r(&now, &tm);
		snprintf(cli->default_pcap_path, sizeof(cli->default_pcap_path),
			 "netcheck-%s-%04d%02d%02dT%02d%02d%02dZ.pcapng", cli->container, tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		cli->run.pcap_path = cli->default_pcap_path;
	}
	/* never replace a file silently (tcpdump -w does): --overwrite says so */
	r = open_pcap(cli, !cli->overwrite, &err);
	if (r < 0) {
		fprintf(stderr, "netcheck: %s\n", err.text);
		nc_result_free(result);
		return nc_exit_code(NC_CMD_CAPTURE, r, NULL, 0);
	}
	cli->run.capture = true;
	cli->run.require_capture = true;
	cli->run.interrupted = cli->interrupted;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "netcheck: capturing %s until %s%s\n", cli->container,
			cli->duration_ms ? "the duration ends or Ctrl-C" : "Ctrl-C", ellipsis(cli));
	r = nc_run_capture_only(&cli->run, cli->container, cli->duration_ms ? cli->duration_ms : UINT64_MAX / 4,
				result, &err);
	if (pcap_is_file(cli))
		close(cli->run.pcap_fd);
	code = nc_exit_code(NC_CMD_CAPTURE, r, result, *cli->signal_received);
	if (r < 0) {
		fprintf(stderr, "netcheck: %s\n", err.text[0] ? err.text : nc_strerror(r));
		if (pcap_is_file(cli))
			unlink(cli->run.pcap_path);
	} else {
		env = nc_result_environment(result);
		fprintf(out, "wrote %s\n", cli->run.pcap_path);
		for (size_t i = 0; i < env->n_capture_points; i++)
			fprintf(out, "  %-18s %6llu packets, %llu dropped, %llu over the storage cap  (%s)\n",
				env->capture_points[i].name, (unsigned long long)env->capture_points[i].packets,
				(unsigned long long)env->capture_points[i].dropped,
				(unsigned long long)env->capture_points[i].not_stored,
				env->capture_points[i].description);
	}
	nc_result_free(result);
	return code;
}

static void say_why_it_stopped(const cli_t *cli, int r, const nc_error_t *err, nc_result_t *result)
{
	const nc_container_t *c = nc_result_container(result);
	const char *text = err->text[0] ? err->text : nc_strerror(r);

	if (r < 0 && r != NC_ECANCELED) {
		fprintf(stderr, "netcheck: %s\n", text);
		nc_result_set_error(result, r, text);
		return;
	}
	if (r == 0 && !*cli->signal_received)
		return;
	if (r < 0)
		nc_result_set_error(result, r, "interrupted");
	if (cli->command->kind == NC_CMD_RUN)
		fprintf(stderr, "netcheck: interrupted; the test container was %s\n",
			c->removed ? "removed" : "not created or kept");
	else
		fprintf(stderr, "netcheck: interrupted\n");
}

void cli_say_left_out(const nc_result_t *result)
{
	const nc_container_t *c = nc_result_container_const(result);

	if (c->project_left_out > 0)
		fprintf(stderr, "netcheck: Compose project %s has %u more running containers than the %d probed; they were left out\n",
			c->project, c->project_left_out, NC_PROJECT_MAX);
}

/* run and probe: one run, then every report asked for; the JSON one
 * also when the run failed, with the reason in it. */
int cli_cmd_run(cli_t *cli)
{
	nc_command_t kind = cli->command->kind;
	nc_error_t err = { "" };
	nc_result_t *result = nc_result_new();
	FILE *json = NULL, *junit = NULL, *html = NULL;
	/* with --pcap - standard output carries the packets */
	FILE *text_out = cli_is_stdout(cli->run.pcap_path) ? stderr : stdout;
	bool stdout_taken = cli_is_stdout(cli->json_path) || cli_is_stdout(cli->junit_path) || cli_is_stdout(cli->html_path);
	nc_report_options_t ro = report_options(cli, text_out);
	int r, w = 0, code;

	if (result == NULL) {
		fprintf(stderr, "netcheck: out of memory\n");
		return nc_exit_code(kind, -ENOMEM, NULL, 0);
	}
	*nc_result_selection(result) = cli->selection;
	cli_add_expect_rules(cli, result); /* read with the command line */
	r = open_report(cli->json_path, "the JSON report", &json, &err);
	if (r == 0)
		r = open_report(cli->junit_path, "the JUnit report", &junit, &err);
	if (r == 0)
		r = open_report(cli->html_path, "the HTML report", &html, &err);
	if (r == 0 && cli->run.pcap_path != NULL)
		r = open_pcap(cli, false, &err);
	if (r == 0) {
		cli->run.target = kind == NC_CMD_PROBE ? cli->container : NULL;
		cli->run.interrupted = cli->interrupted;
		if (isatty(STDERR_FILENO) || cli->verbose) {
			cli->run.progress = on_progress;
			cli->run.progress_data = cli;
		}
		r = nc_run(&cli->run, result, &err);
	}
	if (r == 0 && nc_result_path_count(result) == 0 &&
	    (cli->selection.n_paths > 0 || cli->selection.n_skip > 0)) /* nothing proven is no success */
		r = nc_error_set(&err, -EINVAL, "--paths and --skip left no path of this %s to probe",
				 kind == NC_CMD_PROBE ? "container" : "run");
	code = nc_exit_code(kind, r, result, *cli->signal_received);
	nc_result_set_exit_code(result, code);
	say_why_it_stopped(cli, r, &err, result);
	cli_say_left_out(result);
	if (cli->run.pcap_classic && cli->run.pcap_path != NULL && nc_result_environment(result)->n_capture_points > 0)
		fprintf(stderr, "netcheck: %s is classic pcap: it keeps no capture point names, no path/leg comments, "
				"no kernel drop counts and no directions (--pcap-format pcapng keeps them)\n",
			cli->run.pcap_path);
	if (kind == NC_CMD_RUN && nc_result_container(result)->id[0] != '\0' && !nc_result_container(result)->removed &&
	    !nc_result_container(result)->kept)
		fprintf(stderr, "netcheck: could not remove container %.12s: the engine did not answer; "
				"`netcheck gc` removes it later\n", nc_result_container(result)->id);
	if (kind == NC_CMD_RUN && nc_result_swarm(result)->active && nc_result_container(result)->kept)
		fprintf(stderr, "netcheck: kept service %s and network %s as asked: `netcheck gc --kept -H %s` "
				"removes them\n",
			nc_result_swarm(result)->service_name, nc_result_swarm(result)->network_name,
			nc_result_environment(result)->engine_url);
	else if (kind == NC_CMD_RUN && nc_result_container(result)->kept && nc_result_container(result)->peer_kept)
		fprintf(stderr, "netcheck: kept container %.12s (%s) and the peer %.12s (%s) as asked: `docker rm -f "
				"%.12s %.12s` or `netcheck gc --kept` removes them\n",
			nc_result_container(result)->id, nc_result_container(result)->name, nc_result_container(result)->peer_id,
			nc_result_container(result)->peer_name, nc_result_container(result)->id,
			nc_result_container(result)->peer_id);
	else if (kind == NC_CMD_RUN && nc_result_container(result)->kept)
		fprintf(stderr, "netcheck: kept container %.12s (%s) as asked: `docker rm -f %.12s` or "
				"`netcheck gc --kept` removes it\n",
			nc_result_container(result)->id, nc_result_container(result)->name, nc_result_container(result)->id);
	if (nc_result_container(result)->stale_removed > 0)
		fprintf(stderr, "netcheck: removed %u container(s) left by earlier runs that were killed\n",
			nc_result_container(result)->stale_removed);
	if (r == 0 && cli->run.capture && !nc_result_swarm(result)->active &&
	    nc_result_environment(result)->capture_note[0] != '\0')
		fprintf(stderr, "netcheck: packets not captured: %s\n", nc_result_environment(result)->capture_note);

	if (r == 0 && !stdout_taken)
		nc_report_text(result, &ro, text_out);
	if (json != NULL && w == 0 && (w = nc_report_json_write(result, json)) < 0)
		fprintf(stderr, "netcheck: writing the JSON report to %s failed: %s\n", cli->json_path, nc_strerror(w));
	if (junit != NULL && w == 0 && (w = nc_report_junit_write(result, junit)) < 0)
		fprintf(stderr, "netcheck: writing the JUnit report to %s failed: %s\n", cli->junit_path, nc_strerror(w));
	if (html != NULL && w == 0 && (w = nc_report_html_write(result, &ro, html)) < 0)
		fprintf(stderr, "netcheck: writing the HTML report to %s failed: %s\n", cli->html_path, nc_strerror(w));
	if (close_report(json) < 0 || close_report(junit) < 0 || close_report(html) < 0)
		w = w < 0 ? w : -EIO;
	if (w < 0 && r == 0) /* a report lost is a failed run, whatever the paths did */
		code = nc_exit_code(kind, w, result, *cli->signal_received);
	if (pcap_is_file(cli)) {
		close(cli->run.pcap_fd);
		if (nc_result_environment(result)->n_capture_points == 0)
			unlink(cli->run.pcap_path); /* nothing captured: no file */
	}
	nc_result_free(result);
	return code;
}
