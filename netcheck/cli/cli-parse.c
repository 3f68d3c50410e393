/* netcheck's command line read into a cli_t: getopt_long over the one
 * table (cli-options.c), each value checked and bounded before anything
 * is asked of an engine.  May call: model (the --expect syntax), help. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-internal.h"
#include "netcheck/capture.h"
#include "netcheck/common.h"
#include "netcheck/probe.h"
#include "netcheck/result.h"
#include "netcheck/testing.h"

int cli_usage_error(const cli_t *cli, const char *fmt, ...)
{
	const char *name = cli->command_given ? cli->command->name : NULL;
	va_list ap;

	fprintf(stderr, "netcheck%s%s: ", name ? " " : "", name ? name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see netcheck%s%s --help)\n", name ? " " : "", name ? name : "");
	return nc_exit_code(cli->command->kind, -EINVAL, NULL, 0);
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

/* Docker's names: [A-Za-z0-9][A-Za-z0-9<more>]*, at most NAME_ARG_MAX
 * (containers and networks: more "_.-"; contexts also '+').  Anything
 * else never reaches an engine path or a file name. */
static bool valid_name(const char *s, const char *more)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_ARG_MAX || strchr("_.-+", s[0]) != NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c != '\0' && strchr(more, c) != NULL)))
			return false;
	}
	return true;
}


/* --- parsing ------------------------------------------------------------- */

/* getopt's tables, made from the table: each long name once (the row of
 * command c when one applies to it: paths' --json takes no value, run's
 * does; c NULL: the first row), and the short letters.  An option that
 * does not apply to c takes its value only after '=', so the complaint
 * is that it does not apply, not that its value is missing. */
static void getopt_tables(const command_t *c, struct option *longopts, char *shortopts, size_t shortlen)
{
	size_t n = 0, s = 0;

	shortopts[s++] = ':'; /* a missing value is ':', not '?' */
	for (size_t i = 0; i < cli_n_options; i++) {
		const cli_option_t *o = &cli_options[i];
		size_t k = 0;

		while (k < n && strcmp(longopts[k].name, o->name) != 0)
			k++;
		if (k < n && !(c != NULL && (o->commands & c->bit) != 0))
			continue;
		bool foreign = c != NULL && (o->commands & c->bit) == 0;
		int has_arg = foreign && o->has_arg != no_argument ? optional_argument : o->has_arg;

		longopts[k] = (struct option){ o->name, has_arg, NULL, o->id };
		if (k == n)
			n++;
		if (o->short_name != 0 && s + 4 < shortlen) {
			shortopts[s++] = o->short_name;
			if (has_arg != no_argument)
				shortopts[s++] = ':';
			if (has_arg == optional_argument)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[s] = '\0';
}

/* --to B[:PORT]: a container name or id, and optionally its port. */
static int parse_to(cli_t *cli, const char *value)
{
	const char *colon = strchr(value, ':');
	size_t n = colon != NULL ? (size_t)(colon - value) : strlen(value);
	unsigned long v;

	if (n == 0 || n > NAME_ARG_MAX)
		return cli_usage_error(cli, "--to needs a container name or id, and optionally :PORT, not '%.64s'", value);
	memcpy(cli->to_name, value, n);
	cli->to_name[n] = '\0';
	if (!valid_name(cli->to_name, "_.-"))
		return cli_usage_error(cli, "--to: '%.64s' is not a container name or id", cli->to_name);
	if (colon != NULL) {
		if (parse_uint(colon + 1, 65535, 1, &v) < 0)
			return cli_usage_error(cli, "--to %.64s:PORT needs a port number 1-65535, not '%.32s'", cli->to_name,
					       colon + 1);
		cli->run.to_port = (uint16_t)v;
	}
	cli->run.to = cli->to_name;
	return 0;
}

static int parse_port(cli_t *cli, const char *value)
{
	unsigned long v;
	nc_command_t kind = cli->command->kind;

	if (parse_uint(value, 65535, 1, &v) < 0)
		return cli_usage_error(cli, "--port needs a port number 1-65535, not '%.32s'", value);
	if (kind != NC_CMD_PROBE) {
		if (cli->port_given)
			return cli_usage_error(cli, "--port is given once for %s (several ports: netcheck probe)", cli->command->name);
		cli->port_given = true;
		cli->run.port = (uint16_t)v;
		return 0;
	}
	for (size_t i = 0; i < cli->run.n_ports; i++)
		if (cli->run.ports[i] == v)
			return cli_usage_error(cli, "--port %lu is given twice", v);
	if (cli->run.n_ports == NC_RUN_MAX_PORTS)
		return cli_usage_error(cli, "at most %d --port options", NC_RUN_MAX_PORTS);
	cli->run.ports[cli->run.n_ports++] = (uint16_t)v;
	return 0;
}

static int parse_ms(cli_t *cli, const char *opt, const char *value, uint64_t *ret)
{
	unsigned long v;

	if (parse_uint(value, 600000, 1, &v) < 0)
		return cli_usage_error(cli, "%s needs milliseconds 1-600000, not '%.32s'", opt, value);
	*ret = v;
	return 0;
}

/* *ret = value when it is a name valid_name() accepts. */
static int parse_name(cli_t *cli, const char *opt, const char *what, const char *more, const char *value,
		      const char **ret)
{
	if (!valid_name(value, more))
		return cli_usage_error(cli, "%s needs %s ([A-Za-z0-9][A-Za-z0-9%s]*, at most %d), not '%.64s'", opt, what,
				   more, NAME_ARG_MAX, value);
	*ret = value;
	return 0;
}

/* One option getopt returned, known to apply to this command.  0 or an exit code. */
static int apply_option(cli_t *cli, int c, const char *value, bool *done)
{
	unsigned long v;

	switch (c) {
	case 'H':
		if (cli->n_engines == NC_RUN_MAX_ENGINES)
			return cli_usage_error(cli, "at most %d engines", NC_RUN_MAX_ENGINES);
		if (value[0] == '\0')
			return cli_usage_error(cli, "-H/--engine needs a URL, not ''");
		cli->engines[cli->n_engines++] = value;
		return 0;
	case OPT_CONTEXT: return parse_name(cli, "--context", "a context name", "_.+-", value, &cli->run.context);
	case OPT_ENGINE_TIMEOUT: return parse_ms(cli, "--engine-timeout", value, &cli->run.engine_timeout_ms);
	case OPT_TIMEOUT: return parse_ms(cli, "--timeout", value, &cli->run.probe_timeout_ms);
	case OPT_START_TIMEOUT: return parse_ms(cli, "--start-timeout", value, &cli->run.start_timeout_ms);
	case 'v': cli->verbose = true; return 0;
	case OPT_COLOR:
		if (cli_color_parse(value, &cli->color) < 0)
			return cli_usage_error(cli, "--color is auto, always or never, not '%.32s'", value);
		return 0;
	case OPT_NO_COLOR: cli->color = CLI_COLOR_NEVER; return 0;
	case 'h':
		if (cli->command_given)
			cli_print_command_help(stdout, cli->command);
		else
			cli_print_main_help(stdout);
		*done = true;
		return 0;
	case 'V':
		cli_print_version(stdout);
		*done = true;
		return 0;
	case OPT_IMAGE:
		if (strlen(value) >= NC_NAME_MAX)
			return cli_usage_error(cli, "--image: a name of at most %d characters", NC_NAME_MAX - 1);
		cli->run.image = value;
		return 0;
	case OPT_PORT: return parse_port(cli, value);
	case OPT_HOST_PORT:
		if (parse_uint(value, 65535, 1, &v) < 0)
			return cli_usage_error(cli, "--host-port needs a port number 1-65535, not '%.32s'", value);
		cli->run.host_port = (uint16_t)v;
		return 0;
	case OPT_NETWORK: return parse_name(cli, "--network", "a Docker network name", "_.-", value, &cli->run.network);
	case OPT_PEER: cli->run.peer = true; return 0;
	case OPT_HTTP:
		if (value != NULL && !nc_probe_http_path_valid(value)) /* the probe's own rule and bound */
			return cli_usage_error(cli, "--http=PATH needs a path that starts with '/' (printable, no spaces, at "
					   "most %d), not '%.64s'", NC_PROBE_HTTP_PATH_MAX, value);
		cli->run.http_path = value != NULL ? value : "/";
		return 0;
	case OPT_KEEP: cli->run.keep = true; return 0;
	case OPT_SWARM: cli->run.swarm = true; return 0;
	case OPT_PROJECT:
		if (!valid_name(value, "_.-"))
			return cli_usage_error(cli, "'%.64s' is not a Compose project name", value);
		cli->run.project = value;
		return 0;
	case OPT_TO: return parse_to(cli, value);
	case OPT_JSON: cli->json_path = value; return 0;
	case OPT_JUNIT: cli->junit_path = value; return 0;
	case OPT_HTML: cli->html_path = value; return 0;
	case OPT_PCAP:
	case 'w':
		cli->run.pcap_path = value;
		return 0;
	case OPT_PCAP_FORMAT:
		if (strcmp(value, "pcap") != 0 && strcmp(value, "pcapng") != 0)
			return cli_usage_error(cli, "--pcap-format is pcapng or pcap, not '%.32s'", value);
		cli->run.pcap_classic = strcmp(value, "pcap") == 0;
		return 0;
	case OPT_CAPTURE_VIA:
		if (strcmp(value, "auto") == 0)
			cli->run.capture_via = NC_CAPTURE_VIA_AUTO;
		else if (strcmp(value, "host") == 0)
			cli->run.capture_via = NC_CAPTURE_VIA_HOST;
		else if (strcmp(value, "engine") == 0)
			cli->run.capture_via = NC_CAPTURE_VIA_ENGINE;
		else
			return cli_usage_error(cli, "--capture-via is auto, host or engine, not '%.32s'", value);
		return 0;
	case OPT_NO_CAPTURE: cli->run.capture = false; return 0;
	case OPT_REQUIRE_CAPTURE: cli->run.require_capture = true; return 0;
	case OPT_EXPECT: cli->run.expect = value; return 0;
	case OPT_EXPECT_FILE: cli->expect_file = value; return 0;
	case OPT_PATHS:
	case OPT_SKIP: {
		nc_error_t err = { "" };

		if (nc_selection_add(&cli->selection, c == OPT_SKIP, value, &err) < 0)
			return cli_usage_error(cli, "%s", err.text);
		return 0;
	}
	case OPT_ALLOW_OFFHOST: cli->run.allow_offhost = true; return 0;
	case OPT_OVERWRITE: cli->overwrite = true; return 0;
	case OPT_DURATION:
		if (parse_uint(value, 86400, 1, &v) < 0)
			return cli_usage_error(cli, "--duration needs seconds 1-86400, not '%.32s'", value);
		cli->duration_ms = (uint64_t)v * 1000;
		return 0;
	case 'c':
		if (parse_uint(value, 1000000000UL, 1, &v) < 0)
			return cli_usage_error(cli, "-c needs a packet count 1-1000000000, not '%.32s'", value);
		cli->run.capture_count = v;
		return 0;
	case 's':
		if (parse_uint(value, 262144, 64, &v) < 0)
			return cli_usage_error(cli, "-s needs a snapshot length 64-262144, not '%.32s'", value);
		cli->run.capture_snaplen = (uint32_t)v;
		return 0;
	case OPT_CONTAINER:
		if (!valid_name(value, "_.-"))
			return cli_usage_error(cli, "'%.64s' is not a container name or id", value);
		cli->container = value;
		return 0;
	case OPT_INTERVAL:
		if (cli_parse_duration(value, &cli->watch.interval_ms) < 0)
			return cli_usage_error(cli, "--interval needs a duration such as 1s, 1500ms or 2m, not '%.32s'", value);
		return 0;
	case OPT_CYCLES:
		if (parse_uint(value, 100000000UL, 1, &v) < 0)
			return cli_usage_error(cli, "--count needs a number of cycles 1-100000000, not '%.32s'", value);
		cli->watch.count = v;
		return 0;
	case OPT_LISTEN: cli->watch.listen = value; return 0;
	case OPT_METRICS_FILE: cli->watch.metrics_file = value; return 0;
	case OPT_KEPT: cli->include_kept = true; return 0;
	case OPT_JSON_LIST: cli->json_list = true; return 0;
	default:
		return cli_usage_error(cli, "option %d has no handler", c); /* a row of options[] without a case */
	}
}

/* The words after the options: CONTAINER [FILTER...], COMMAND for help. */
static int parse_operands(cli_t *cli, int argc, char **argv, bool *done)
{
	nc_command_t kind = cli->command->kind;
	size_t used = 0;

	if (strcmp(cli->command->name, "help") == 0) {
		const command_t *c = optind < argc ? cli_find_command(argv[optind]) : NULL;

		if (optind < argc && c == NULL)
			return cli_usage_error(cli, "no command '%.64s'", argv[optind]);
		if (optind + 1 < argc)
			return cli_usage_error(cli, "unexpected argument '%.64s'", argv[optind + 1]);
		if (c != NULL)
			cli_print_command_help(stdout, c);
		else
			cli_print_main_help(stdout);
		*done = true;
		return 0;
	}
	if (strcmp(cli->command->name, "version") == 0 && optind >= argc) {
		cli_print_version(stdout);
		*done = true;
		return 0;
	}
	if (cli->command->bit == CLI_EXPLAIN && optind < argc) {
		nc_diag_code_t code;
		nc_path_kind_t path;

		cli->explain = argv[optind++];
		if (nc_diag_code_from_name(cli->explain, &code) < 0 && nc_path_kind_from_name(cli->explain, &path) < 0)
			return cli_usage_error(cli, "unknown code '%.64s' ('netcheck explain' lists the codes, 'netcheck "
					       "paths' the paths)", cli->explain);
	}
	if (kind == NC_CMD_PROBE && cli->run.to != NULL && (cli->run.project != NULL || cli->run.n_ports > 0))
		return cli_usage_error(cli, "--to B[:PORT] probes from CONTAINER to B: no %s with it (B's port: --to B:PORT)",
				       cli->run.project != NULL ? "--project" : "--port");
	if (kind == NC_CMD_PROBE && cli->run.project != NULL) {
		if (optind < argc)
			return cli_usage_error(cli, "--project NAME probes the project's containers: no CONTAINER with it");
	} else if (kind == NC_CMD_PROBE || kind == NC_CMD_CAPTURE) {
		if (optind >= argc)
			return cli_usage_error(cli, "CONTAINER is missing: a container name or id");
		cli->container = argv[optind++];
		if (!valid_name(cli->container, "_.-"))
			return cli_usage_error(cli, "'%.64s' is not a container name or id", cli->container);
	}
	if (kind == NC_CMD_CAPTURE) {
		for (; optind < argc; optind++) {
			size_t n = strlen(argv[optind]);

			if (used + (used > 0) + n > CAPTURE_FILTER_MAX)
				return cli_usage_error(cli, "the capture filter is longer than %d bytes", CAPTURE_FILTER_MAX);
			if (used > 0)
				cli->filter[used++] = ' ';
			memcpy(cli->filter + used, argv[optind], n);
			used += n;
		}
		cli->filter[used] = '\0';
		cli->run.capture_filter = used > 0 ? cli->filter : NULL;
		if (used > 0) { /* said now, alone: not after the container, inside netcheck's own scope */
			nc_error_t ferr = { "" };

			if (nc_capture_filter_check(cli->filter, &ferr) < 0)
				return cli_usage_error(cli, "%s", ferr.text);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%.64s'", argv[optind]);
	return 0;
}

#define EXPECT_FILE_MAX (64 * 1024)

int cli_load_expect_file(const cli_t *cli, nc_result_t *into)
{
	nc_error_t err = { "" };
	struct stat st;
	char *text = NULL;
	ssize_t n = 0;
	int fd = open(cli->expect_file, O_RDONLY | O_CLOEXEC | O_NOCTTY), r;

	if (fd < 0 || fstat(fd, &st) < 0)
		r = nc_error_set(&err, -errno, "--expect-file: cannot read %s: %s", cli->expect_file, strerror(errno));
	else if (!S_ISREG(st.st_mode) || st.st_size > EXPECT_FILE_MAX)
		r = nc_error_set(&err, -EINVAL, "--expect-file: %s is not a file of at most %d bytes", cli->expect_file,
				 EXPECT_FILE_MAX);
	else if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		r = nc_error_set(&err, -ENOMEM, "out of memory");
	else if ((n = read(fd, text, (size_t)st.st_size + 1)) < 0 || n > st.st_size)
		r = nc_error_set(&err, -EINVAL, "--expect-file: %s changed while read", cli->expect_file);
	else
		r = nc_expect_file_parse(into, text, (size_t)n, cli->expect_file, &err);
	free(text);
	if (fd >= 0)
		close(fd);
	if (r == -ENOMEM)
		return nc_exit_code(cli->command->kind, r, NULL, 0);
	return r < 0 ? cli_usage_error(cli, "%s", err.text) : 0;
}

void cli_add_expect_rules(const cli_t *cli, nc_result_t *result)
{
	/* the same bound as the scratch result they were read into: never full */
	for (size_t i = 0; i < cli->n_expect_rules; i++)
		(void)nc_result_add_expect_rule(result, &cli->expect_rules[i]);
}

bool cli_is_stdout(const char *path)
{
	return path != NULL && strcmp(path, "-") == 0;
}

/* What the options say together. */
static int check_combination(cli_t *cli)
{
	nc_error_t err = { "" };
	nc_result_t *scratch;
	int to_stdout = cli_is_stdout(cli->json_path) + cli_is_stdout(cli->junit_path) + cli_is_stdout(cli->html_path) +
			cli_is_stdout(cli->run.pcap_path);
	int r;

	if (cli->n_engines > 1 && !cli->run.swarm)
		return cli_usage_error(cli, "-H/--engine is given %zu times: several engines only with run --swarm",
				   cli->n_engines);
	if (cli->n_engines > 0 && cli->run.context != NULL)
		return cli_usage_error(cli, "--context and -H/--engine both choose the engine: give one");
	if (cli->run.image != NULL && cli->run.port == 0)
		return cli_usage_error(cli, "--image needs --port: the port the image listens on");
	if (cli->command->bit == CLI_WATCH) {
		const char *floor = getenv("NC_WATCH_MIN_INTERVAL_MS"); /* tests only: docs/performance.md */
		uint64_t min_ms = 1000;
		unsigned long v;

		if (floor != NULL && parse_uint(floor, 1000, 10, &v) == 0)
			min_ms = v;
		if (cli->watch.interval_ms == 0)
			return cli_usage_error(cli, "--interval is missing: how often to probe, such as 10s");
		if (cli->watch.interval_ms < min_ms)
			return cli_usage_error(cli, "--interval is at least 1s");
		if (cli->watch.interval_ms > 86400000)
			return cli_usage_error(cli, "--interval is at most 24h");
		if (cli->container != NULL && cli->run.project != NULL)
			return cli_usage_error(cli, "--container and --project both name what to watch: give one");
		if ((cli->container != NULL || cli->run.project != NULL) && (cli->run.image != NULL || cli->run.network != NULL))
			return cli_usage_error(cli, "--%s watches yours: --image and --network are for ours",
					       cli->container != NULL ? "container" : "project");
	}
	if (cli->run.require_capture && !cli->run.capture)
		return cli_usage_error(cli, "--require-capture contradicts --no-capture");
	if (cli->run.pcap_path != NULL && !cli->run.capture)
		return cli_usage_error(cli, "--pcap contradicts --no-capture");
	if (to_stdout > 1)
		return cli_usage_error(cli, "only one of --json, --junit, --html and --pcap can write to standard output ('-')");
	if (cli->run.expect != NULL) {
		/* the spec's syntax, before any engine is asked (the paths it
		 * names are checked against the run's own paths later) */
		scratch = nc_result_new();
		if (scratch == NULL)
			return nc_exit_code(cli->command->kind, -ENOMEM, NULL, 0);
		r = nc_expect_parse(scratch, cli->run.expect, &err);
		nc_result_free(scratch);
		if (r < 0)
			return cli_usage_error(cli, "%s", err.text[0] ? err.text : nc_strerror(r)); /* says --expect */
	}
	if (cli->expect_file != NULL) {
		scratch = nc_result_new();
		if (scratch == NULL)
			return nc_exit_code(cli->command->kind, -ENOMEM, NULL, 0);
		r = cli_load_expect_file(cli, scratch);
		/* kept: the run's result (each watch cycle's too) takes these, and
		 * the file is never read again (it could have changed) */
		for (size_t i = 0; r == 0 && i < nc_result_expect_rule_count(scratch); i++)
			cli->expect_rules[cli->n_expect_rules++] = *nc_result_expect_rule(scratch, i);
		nc_result_free(scratch);
		if (r != 0)
			return r;
	}
	cli->run.engine_url = cli->n_engines > 0 ? cli->engines[0] : NULL;
	for (size_t i = 1; i < cli->n_engines; i++)
		cli->run.more_engines[cli->run.n_more_engines++] = cli->engines[i];
	return 0;
}

/* Whether getopt_long's error (optopt) was about the long option in word
 * rather than a short one: getopt says which only through optopt, 0 for
 * an unknown long option, the option's id for one whose value is wrong,
 * a letter for a short one (which may sit in a cluster after any word). */
static bool is_long_failure(const char *word, int optopt_value, const struct option *longopts)
{
	size_t name_len;

	if (strncmp(word, "--", 2) != 0 || word[2] == '\0')
		return false;
	if (optopt_value == 0 || optopt_value >= 256)
		return true;
	name_len = strcspn(word + 2, "=");
	for (size_t i = 0; longopts[i].name != NULL; i++)
		if (strlen(longopts[i].name) == name_len && strncmp(longopts[i].name, word + 2, name_len) == 0)
			return longopts[i].val == optopt_value;
	return false;
}

/* One option from getopt_long, with what getopt does not check: a long
 * option is spelled in full (getopt takes any unique prefix, so a typo
 * could mean another option), and a bad one is named as the user wrote
 * it.  Returns the option's id and its spelling in spelled; -1 at the
 * end; 0 with the complaint in problem. */
static int next_option(int argc, char **argv, const char *shortopts, const struct option *longopts, char *spelled,
		       size_t spelled_len, char *problem, size_t problem_len)
{
	int longindex = -1, c = getopt_long(argc, argv, shortopts, longopts, &longindex);
	const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	size_t name_len;

	if (c == -1)
		return -1;
	if (c != '?' && c != ':' && longindex < 0) {
		snprintf(spelled, spelled_len, "-%c", c);
		return c;
	}
	/* a long option: its own word, or the one before its separate value */
	if (c != '?' && c != ':' && longopts[longindex].has_arg == required_argument && optarg == word && optind >= 2)
		word = argv[optind - 2];
	if ((c == '?' || c == ':') && !is_long_failure(word, optopt, longopts)) {
		unsigned char letter = (unsigned char)optopt; /* a byte of the cluster (char may be signed) */

		snprintf(spelled, spelled_len, letter > 0x20 && letter < 0x7f ? "-%c" : "-\\x%02x", letter);
		snprintf(problem, problem_len, c == ':' ? "option '%s' needs a value" : "unknown option '%s'", spelled);
		return 0;
	}
	if (strncmp(word, "--", 2) != 0) { /* getopt_long matches long options only in "--" words */
		snprintf(problem, problem_len, "unknown option '%.64s'", word);
		return 0;
	}
	name_len = strcspn(word + 2, "=");
	snprintf(spelled, spelled_len, "%.*s", (int)(name_len + 2 < 64 ? name_len + 2 : 64), word);
	for (size_t i = 0; longopts[i].name != NULL; i++) {
		if (strlen(longopts[i].name) != name_len || strncmp(longopts[i].name, word + 2, name_len) != 0)
			continue;
		if (c == ':')
			snprintf(problem, problem_len, "option '%s' needs a value", spelled);
		else if (c == '?') /* the only other way a whole name fails */
			snprintf(problem, problem_len, "option '%s' takes no value", spelled);
		else
			return c;
		return 0;
	}
	snprintf(problem, problem_len, "unknown option '%.64s'", spelled);
	for (size_t i = 0, n = 0; longopts[i].name != NULL && n < 3; i++) {
		size_t len = strlen(problem);

		if (name_len > 0 && strncmp(longopts[i].name, word + 2, name_len) == 0 && len + 1 < problem_len)
			snprintf(problem + len, problem_len - len, "%s--%s", n++ == 0 ? " (options are spelled in full: " : " or ",
				 longopts[i].name);
	}
	if (strchr(problem, '(') != NULL && strlen(problem) + 1 < problem_len)
		strcat(problem, ")");
	return 0;
}

/* Moves argv[k] to argv[0] and the words before it one up: argv + 1 is
 * then the command line without the command word, and argv holds the
 * same strings (whoever owns them frees the same set). */
static void take_out_command_word(char **argv, int k)
{
	char *word = argv[k];

	for (int i = k; i > 0; i--)
		argv[i] = argv[i - 1];
	argv[0] = word;
}

/* The words before the command: global options only (docker's habit:
 * `netcheck -H URL engines`).  Finds the command word (argv[*ret_k], 0 =
 * none) without applying anything; every option is applied once, in
 * order, by cli_parse_args().  0 to go on, or an exit code. */
static int find_command_word(int argc, char **argv, const struct option *longopts, const char *shortopts, cli_t *cli,
			     int *ret_k, bool *done)
{
	char plus[3 * CLI_MAX_OPTIONS + 3], spelled[72], problem[160] = "", later[160], first[72] = "", local[72] = "";
	bool help = false, version = false;
	int c;

	*ret_k = 0;
	snprintf(plus, sizeof(plus), "+%s", shortopts); /* stop at the first word that is no option */
	optind = 0; /* glibc and musl: start afresh */
	/* the first problem is kept; later ones land in later[] */
	while ((c = next_option(argc, argv, plus, longopts, spelled, sizeof(spelled), problem[0] ? later : problem,
				sizeof(problem))) != -1) {
		const cli_option_t *row = NULL;

		for (size_t i = 0; i < cli_n_options && c != 0; i++)
			if (cli_options[i].id == c)
				row = &cli_options[i];
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", spelled);
		if (row != NULL && !cli_option_is_global(row) && local[0] == '\0')
			snprintf(local, sizeof(local), "%s", spelled);
		help = help || c == 'h';
		version = version || c == 'V';
	}
	if (optind < argc) {
		cli->command = cli_find_command(argv[optind]);
		if (cli->command == NULL) {
			cli->command = cli_find_command("run");
			if (problem[0] == '\0')
				return cli_usage_error(cli, "unknown command '%.64s'", argv[optind]);
		}
	}
	if (problem[0] != '\0' && optind < argc) /* a command: the option's own fault comes first */
		return cli_usage_error(cli, "%s", problem);
	if (optind >= argc && argc > 1 && !(problem[0] == '\0' && (help || version)))
		return cli_usage_error(cli, "%s%sa command is needed before '%.64s': netcheck COMMAND [OPTIONS] (bare "
				   "'netcheck' is 'netcheck run')", problem, problem[0] ? "; and " : "", first);
	if (optind >= argc) {
		if (help)
			cli_print_main_help(stdout);
		else if (version)
			cli_print_version(stdout);
		*done = help || version;
		return 0;
	}
	cli->command_given = true;
	if (local[0] != '\0')
		return cli_usage_error(cli, "%s is not a global option: it goes after the command (netcheck %s %s ...)",
				       local, cli->command->name, local);
	*ret_k = optind;
	return 0;
}

int cli_parse_args(int argc, char **argv, cli_t *cli, bool *done)
{
	struct option longopts[CLI_MAX_OPTIONS + 1];
	char shortopts[3 * CLI_MAX_OPTIONS + 2], spelled[72], problem[160];
	int c, k, r;

	*done = false;
	cli->command = cli_find_command("run");
	cli->run.capture = true;
	getopt_tables(NULL, longopts, shortopts, sizeof(shortopts));
	opterr = 0;
	r = find_command_word(argc, argv, longopts, shortopts, cli, &k, done);
	if (r != 0 || *done)
		return r;
	getopt_tables(cli->command, longopts, shortopts, sizeof(shortopts));
	if (k > 0) {
		take_out_command_word(argv, k);
		argv++;
		argc--;
	}
	optind = 0;
	while ((c = next_option(argc, argv, shortopts, longopts, spelled, sizeof(spelled), problem, sizeof(problem))) !=
	       -1) {
		if (c == 0)
			return cli_usage_error(cli, "%s", problem);
		if (cli_option_for(c, cli->command) == NULL)
			return cli_usage_error(cli, "%s does not apply to %s", spelled, cli->command->name);
		r = apply_option(cli, c, optarg, done);
		if (r != 0 || *done)
			return r;
	}
	r = parse_operands(cli, argc, argv, done);
	if (r != 0 || *done)
		return r;
	return check_combination(cli);
}
