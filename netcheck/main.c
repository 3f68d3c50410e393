/* netcheck's command line.  Owns the process: argument parsing, signal
 * handling, the only output to stdout/stderr, and the exit code (taken
 * from the result model).  May call everything. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/platform.h"
#include "netcheck/report.h"
#include "netcheck/result.h"
#include "netcheck/run.h"
#include "netcheck/testing.h"

static volatile sig_atomic_t arg_interrupted;
static volatile sig_atomic_t arg_signal;

static const char usage_text[] =
	"Usage: netcheck [run] [OPTIONS]\n"
	"       netcheck gc [--engine URL]\n"
	"       netcheck engines\n"
	"       netcheck capture CONTAINER [-w FILE] [--duration S] [--engine URL]\n"
	"       netcheck --help | --version\n"
	"\n"
	"Proves how this host reaches a container: directly by its IP, or only\n"
	"through a published port that something forwards.\n"
	"\n"
	"run options:\n"
	"  --engine URL          engine to use: unix:///path or tcp://host:port\n"
	"                        (default: DOCKER_HOST, the docker context, /var/run/docker.sock)\n"
	"  --image IMG           run IMG instead of netcheck's responder (needs --port)\n"
	"  --port N              container port the image listens on (default 80)\n"
	"  --host-port N         publish on host port N (default: the engine picks)\n"
	"  --keep                keep the test container\n"
	"  --json FILE|-         write the JSON report (schema docs/report.schema.json)\n"
	"  --pcap FILE           write captured packets (pcapng) to FILE\n"
	"  --pcap-format F       pcapng (default) or pcap\n"
	"  --no-capture          do not capture packets\n"
	"  --require-capture     exit 77 when packets cannot be captured\n"
	"  --expect PATH=V,...   override expectations (PATH: a path name, direct or\n"
	"                        published; V: a verdict or a mechanism)\n"
	"  --timeout MS          per-probe timeout (default 2000)\n"
	"  --engine-timeout MS   per engine call timeout (default 10000)\n"
	"  --start-timeout MS    container start timeout (default 10000)\n"
	"  --allow-offhost       probe a container IP even when its route leaves this host\n"
	"  -v, --verbose         list each path's packets\n"
	"  --no-color            no colours (also: NO_COLOR set, or not a terminal)\n"
	"\n"
	"capture options:\n"
	"  -w FILE               pcapng file to write (default netcheck-CONTAINER.pcapng)\n"
	"  --duration S          stop after S seconds (default: at SIGINT; at most 86400)\n"
	"  --port N              the container port whose published port to watch\n"
	"                        (default: the first TCP port it publishes)\n"
	"\n"
	"Exit codes:\n"
	"  0   every path behaved as expected for the detected environment\n"
	"  1   at least one path did not\n"
	"  64  usage error\n"
	"  69  engine unreachable or unusable\n"
	"  70  internal error\n"
	"  77  a privilege that a requested step needs is missing\n"
	"  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM (after cleanup)\n"
	"  (netcheck capture: Ctrl-C is its normal end, exit 0)\n";

static void on_signal(int sig)
{
	arg_interrupted = 1;
	if (arg_signal == 0)
		arg_signal = sig;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void on_progress(void *data, const char *msg)
{
	(void)data;
	fprintf(stderr, "netcheck: %s…\n", msg);
}

static int usage_error(const char *fmt, const char *what)
{
	fprintf(stderr, "netcheck: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, " (see netcheck --help)\n");
	return NC_EXIT_USAGE;
}

static int parse_uint(const char *s, unsigned long max, unsigned long min, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max || v < min)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void on_gc_removed(void *data, const char *id, const char *run_id)
{
	(void)data;
	printf("removed container %.12s (run %s)\n", id, run_id[0] ? run_id : "?");
}

enum {
	OPT_ENGINE = 256, OPT_IMAGE, OPT_PORT, OPT_HOST_PORT, OPT_KEEP, OPT_JSON, OPT_PCAP, OPT_PCAP_FORMAT,
	OPT_NO_CAPTURE, OPT_REQUIRE_CAPTURE, OPT_EXPECT, OPT_TIMEOUT, OPT_ENGINE_TIMEOUT, OPT_START_TIMEOUT,
	OPT_ALLOW_OFFHOST, OPT_NO_COLOR, OPT_VERSION, OPT_DURATION,
};

static const struct option long_options[] = {
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "host-port", required_argument, NULL, OPT_HOST_PORT },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "pcap-format", required_argument, NULL, OPT_PCAP_FORMAT },
	{ "no-capture", no_argument, NULL, OPT_NO_CAPTURE },
	{ "require-capture", no_argument, NULL, OPT_REQUIRE_CAPTURE },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "engine-timeout", required_argument, NULL, OPT_ENGINE_TIMEOUT },
	{ "start-timeout", required_argument, NULL, OPT_START_TIMEOUT },
	{ "allow-offhost", no_argument, NULL, OPT_ALLOW_OFFHOST },
	{ "verbose", no_argument, NULL, 'v' },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "help", no_argument, NULL, 'h' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "write", required_argument, NULL, 'w' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

typedef struct cli {
	const char *command;
	nc_run_options_t run;
	const char *json_path;
	const char *container;     /* capture */
	uint64_t duration_ms;      /* capture; 0 = until a signal */
	bool verbose, no_color;
} cli_t;

/* 0 to go on, or an exit code (help/version → 0 with done set). */
static int parse_args(int argc, char **argv, cli_t *cli, bool *done)
{
	unsigned long v;
	int c;

	*done = false;
	cli->command = "run";
	cli->run.capture = true;
	if (argc > 1 && argv[1][0] != '-') {
		cli->command = argv[1];
		if (strcmp(cli->command, "run") != 0 && strcmp(cli->command, "gc") != 0 &&
		    strcmp(cli->command, "engines") != 0 && strcmp(cli->command, "capture") != 0)
			return usage_error("unknown command '%s'", cli->command);
		argv++;
		argc--;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vhw:", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_ENGINE: cli->run.engine_url = optarg; break;
		case OPT_IMAGE: cli->run.image = optarg; break;
		case OPT_PORT:
			if (parse_uint(optarg, 65535, 1, &v) < 0)
				return usage_error("--port needs a port number 1-65535, not '%s'", optarg);
			cli->run.port = (uint16_t)v;
			break;
		case OPT_HOST_PORT:
			if (parse_uint(optarg, 65535, 1, &v) < 0)
				return usage_error("--host-port needs a port number 1-65535, not '%s'", optarg);
			cli->run.host_port = (uint16_t)v;
			break;
		case OPT_KEEP: cli->run.keep = true; break;
		case OPT_JSON: cli->json_path = optarg; break;
		case OPT_PCAP: cli->run.pcap_path = optarg; break;
		case OPT_PCAP_FORMAT:
			if (strcmp(optarg, "pcap") == 0)
				cli->run.pcap_classic = true;
			else if (strcmp(optarg, "pcapng") != 0)
				return usage_error("--pcap-format is pcapng or pcap, not '%s'", optarg);
			break;
		case OPT_NO_CAPTURE: cli->run.capture = false; break;
		case OPT_REQUIRE_CAPTURE: cli->run.require_capture = true; break;
		case OPT_EXPECT: cli->run.expect = optarg; break;
		case OPT_TIMEOUT:
			if (parse_uint(optarg, 600000, 1, &v) < 0)
				return usage_error("--timeout needs milliseconds 1-600000, not '%s'", optarg);
			cli->run.probe_timeout_ms = v;
			break;
		case OPT_ENGINE_TIMEOUT:
			if (parse_uint(optarg, 600000, 1, &v) < 0)
				return usage_error("--engine-timeout needs milliseconds 1-600000, not '%s'", optarg);
			cli->run.engine_timeout_ms = v;
			break;
		case OPT_START_TIMEOUT:
			if (parse_uint(optarg, 600000, 1, &v) < 0)
				return usage_error("--start-timeout needs milliseconds 1-600000, not '%s'", optarg);
			cli->run.start_timeout_ms = v;
			break;
		case OPT_ALLOW_OFFHOST: cli->run.allow_offhost = true; break;
		case 'w': cli->run.pcap_path = optarg; break;
		case OPT_DURATION:
			if (parse_uint(optarg, 86400, 1, &v) < 0)
				return usage_error("--duration needs seconds 1-86400, not '%s'", optarg);
			cli->duration_ms = v * 1000;
			break;
		case 'v': cli->verbose = true; break;
		case OPT_NO_COLOR: cli->no_color = true; break;
		case 'h':
			fputs(usage_text, stdout);
			*done = true;
			return 0;
		case OPT_VERSION:
			printf("netcheck %s\n", NC_VERSION);
			*done = true;
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (strcmp(cli->command, "capture") == 0) {
		if (optind >= argc)
			return usage_error("%s needs a container name or id", "capture");
		cli->container = argv[optind++];
		if (strlen(cli->container) > 128 || strchr(cli->container, '/') != NULL)
			return usage_error("'%.128s' is not a container name or id", cli->container);
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (cli->run.image != NULL && strlen(cli->run.image) >= NC_NAME_MAX)
		return usage_error("--image: a name of at most %s characters", "255");
	if (cli->run.image != NULL && cli->run.port == 0)
		return usage_error("%s needs --port: the port the image listens on", "--image");
	if (cli->run.require_capture && !cli->run.capture)
		return usage_error("%s contradicts --no-capture", "--require-capture");
	return 0;
}

/* Output files are created before the run: a bad path fails before any
 * container exists, and the file is ours (and the sudo user's) before the
 * run drops its privileges.  Returns the fd or a negative errno. */
static int create_output(const char *path, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return -errno;
	(void)nc_platform_give_to_invoking_user(fd);
	return fd;
}

/* *ret: new FILE, or stdout for "-". */
static int open_json(const char *path, FILE **ret)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		*ret = stdout;
		return 0;
	}
	fd = create_output(path, 0644);
	if (fd < 0)
		return fd;
	*ret = fdopen(fd, "w");
	if (*ret == NULL) {
		int r = -errno;
		close(fd);
		return r;
	}
	return 0;
}

static int cmd_gc(const cli_t *cli)
{
	nc_error_t err = { "" };
	int r = nc_run_gc(cli->run.engine_url, false, cli->run.engine_timeout_ms, &arg_interrupted, on_gc_removed, NULL, &err);

	if (r < 0) {
		fprintf(stderr, "netcheck: %s\n", err.text[0] ? err.text : nc_strerror(r));
		return nc_exit_code_for(NULL, r, arg_signal);
	}
	printf("gc: removed %d container%s left by earlier runs\n", r, r == 1 ? "" : "s");
	return arg_signal ? nc_exit_code_for(NULL, 0, arg_signal) : NC_EXIT_OK;
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

static int cmd_engines(const cli_t *cli)
{
	int n = nc_run_engines(cli->run.engine_timeout_ms ? cli->run.engine_timeout_ms : 3000, &arg_interrupted,
			       on_engine, NULL);

	if (arg_signal)
		return nc_exit_code_for(NULL, 0, arg_signal);
	if (n == 0) {
		fprintf(stderr, "netcheck: no engine answers here (tried DOCKER_HOST, the docker context and the "
				"well-known sockets)\n");
		return NC_EXIT_ENGINE;
	}
	return NC_EXIT_OK;
}

static int cmd_capture(cli_t *cli)
{
	char default_path[200];
	nc_error_t err = { "" };
	nc_result_t *result = nc_result_new();
	const nc_environment_t *env;
	int r, code;

	if (result == NULL)
		return NC_EXIT_INTERNAL;
	if (cli->run.pcap_path == NULL) {
		snprintf(default_path, sizeof(default_path), "netcheck-%s.pcapng", cli->container);
		cli->run.pcap_path = default_path;
	}
	cli->run.capture = true;
	cli->run.require_capture = true;
	cli->run.interrupted = &arg_interrupted;
	cli->run.pcap_fd = create_output(cli->run.pcap_path, 0600);
	if (cli->run.pcap_fd < 0) {
		fprintf(stderr, "netcheck: cannot write the capture to %s: %s\n", cli->run.pcap_path,
			strerror(-cli->run.pcap_fd));
		nc_result_free(result);
		return NC_EXIT_USAGE;
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "netcheck: capturing %s until %s…\n", cli->container,
			cli->duration_ms ? "the duration ends or Ctrl-C" : "Ctrl-C");
	r = nc_run_capture_only(&cli->run, cli->container, cli->duration_ms ? cli->duration_ms : UINT64_MAX / 4,
				result, &err);
	close(cli->run.pcap_fd);
	if (r < 0) {
		fprintf(stderr, "netcheck: %s\n", err.text[0] ? err.text : nc_strerror(r));
		unlink(cli->run.pcap_path);
		nc_result_free(result);
		return nc_exit_code_for(NULL, r, arg_signal);
	}
	env = nc_result_environment(result);
	printf("wrote %s\n", cli->run.pcap_path);
	for (size_t i = 0; i < env->n_capture_points; i++)
		printf("  %-18s %6llu packets, %llu dropped, %llu over the storage cap  (%s)\n",
		       env->capture_points[i].name, (unsigned long long)env->capture_points[i].packets,
		       (unsigned long long)env->capture_points[i].dropped,
		       (unsigned long long)env->capture_points[i].not_stored, env->capture_points[i].description);
	/* Ctrl-C is how a capture without --duration ends: success; SIGTERM
	 * or SIGHUP still stop it cleanly (the file is whole) but say so */
	code = arg_signal == 0 || arg_signal == SIGINT ? NC_EXIT_OK : nc_exit_code_for(NULL, 0, arg_signal);
	nc_result_free(result);
	return code;
}

static int cmd_run(cli_t *cli)
{
	nc_error_t err = { "" };
	nc_result_t *result;
	FILE *json = NULL;
	nc_report_options_t ro;
	int r, code;

	if (cli->json_path != NULL) {
		r = open_json(cli->json_path, &json);
		if (r < 0) {
			fprintf(stderr, "netcheck: cannot write the JSON report to %s: %s\n", cli->json_path, strerror(-r));
			return NC_EXIT_USAGE;
		}
	}
	result = nc_result_new();
	if (result == NULL) {
		fprintf(stderr, "netcheck: out of memory\n");
		return NC_EXIT_INTERNAL;
	}
	if (cli->run.pcap_path != NULL) {
		cli->run.pcap_fd = create_output(cli->run.pcap_path, 0600);
		if (cli->run.pcap_fd < 0) {
			fprintf(stderr, "netcheck: cannot write the capture to %s: %s\n", cli->run.pcap_path,
				strerror(-cli->run.pcap_fd));
			if (json != NULL && json != stdout) {
				fclose(json);
				unlink(cli->json_path);
			}
			nc_result_free(result);
			return NC_EXIT_USAGE;
		}
	}
	cli->run.interrupted = &arg_interrupted;
	if (isatty(STDERR_FILENO) || cli->verbose)
		cli->run.progress = on_progress;
	r = nc_run(&cli->run, result, &err);
	code = nc_exit_code_for(result, r, arg_signal);
	nc_result_set_exit_code(result, code);
	if (r < 0 && r != NC_ECANCELED)
		fprintf(stderr, "netcheck: %s\n", err.text[0] ? err.text : nc_strerror(r));
	else if (r == NC_ECANCELED || arg_signal)
		fprintf(stderr, "netcheck: interrupted; the test container was %s\n",
			nc_result_container(result)->removed ? "removed" : "not created or kept");

	if (nc_result_container(result)->id[0] != '\0' && !nc_result_container(result)->removed &&
	    !nc_result_container(result)->kept) {
		fprintf(stderr, "netcheck: could not remove container %.12s: the engine did not answer; "
				"`netcheck gc` removes it later\n", nc_result_container(result)->id);
		if (code == NC_EXIT_OK || code == NC_EXIT_UNEXPECTED)
			code = NC_EXIT_ENGINE;
		nc_result_set_exit_code(result, code);
	}
	if (nc_result_container(result)->stale_removed > 0)
		fprintf(stderr, "netcheck: removed %u container(s) left by earlier runs that were killed\n",
			nc_result_container(result)->stale_removed);
	if (r == 0 && cli->run.capture && nc_result_environment(result)->capture_note[0] != '\0')
		fprintf(stderr, "netcheck: packets not captured: %s\n", nc_result_environment(result)->capture_note);
	ro.color = !cli->no_color && getenv("NO_COLOR") == NULL && isatty(STDOUT_FILENO);
	ro.verbose = cli->verbose;
	if (r == 0 && !(json == stdout))
		nc_report_text(result, &ro, stdout);
	if (json != NULL) {
		if (r == 0 || nc_result_path_count(result) > 0 || nc_result_container(result)->id[0])
			nc_report_json_write(result, json);
		if (json != stdout)
			fclose(json);
		else
			fflush(stdout);
		if (!(r == 0 || nc_result_path_count(result) > 0 || nc_result_container(result)->id[0]) &&
		    cli->json_path && strcmp(cli->json_path, "-") != 0)
			unlink(cli->json_path); /* nothing left behind for a run that never ran */
	}
	if (cli->run.pcap_fd >= 0) {
		close(cli->run.pcap_fd);
		if (nc_result_environment(result)->n_capture_points == 0)
			unlink(cli->run.pcap_path); /* nothing captured: no file */
	}
	nc_result_free(result);
	return code;
}

int main(int argc, char **argv)
{
	cli_t cli;
	bool done;
	int r;

	memset(&cli, 0, sizeof(cli));
	cli.run.pcap_fd = -1;
	r = parse_args(argc, argv, &cli, &done);
	if (r != 0 || done)
		return r;
#ifdef NC_FUZZING
	return 0; /* tests/fuzz/fuzz-cli.c: argument parsing only, never an engine */
#endif
	install_signals();
	if (strcmp(cli.command, "gc") == 0)
		return cmd_gc(&cli);
	if (strcmp(cli.command, "engines") == 0)
		return cmd_engines(&cli);
	if (strcmp(cli.command, "capture") == 0)
		return cmd_capture(&cli);
	return cmd_run(&cli);
}
