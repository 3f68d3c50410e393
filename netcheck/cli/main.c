/* netcheck's command line.  Owns the process: argument parsing (one
 * option table in which each option names the commands it applies to),
 * signal handling, and the only output to stdout/stderr.  The exit code
 * is always nc_exit_code()'s (result.c); nothing here picks one.  The
 * terminal rules (colour, width, ASCII) are in cli-term.c.  May call
 * everything. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
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

static volatile sig_atomic_t arg_interrupted;
static volatile sig_atomic_t arg_signal;

/* An output file named on the command line cannot be created: the user's
 * to fix, so a usage error for nc_exit_code() (ENOENT here is a missing
 * folder, not a missing engine socket). */
#define STATUS_BAD_OUTPUT (-EINVAL)

#define CAPTURE_FILTER_MAX 1024 /* bytes of the joined FILTER words */
#define HTTP_PATH_MAX 256
#define NAME_ARG_MAX 128        /* container, network and context names */

#define CMD(k) (1u << (k))
#define EVERY_COMMAND (CMD(NC_CMD_RUN) | CMD(NC_CMD_PROBE) | CMD(NC_CMD_CAPTURE) | CMD(NC_CMD_GC) | CMD(NC_CMD_ENGINES))
#define RUN CMD(NC_CMD_RUN)
#define PROBE CMD(NC_CMD_PROBE)
#define CAPTURE CMD(NC_CMD_CAPTURE)
#define REPORTING (RUN | PROBE)

#define EXIT_CODES_RUN                                                                          \
	"  0   every path behaved as expected for the detected environment\n"                   \
	"  1   at least one path did not\n"                                                     \
	"  64  usage error\n"                                                                   \
	"  69  engine unreachable or unusable, or the test container could not be removed\n"     \
	"  70  internal error\n"                                                                \
	"  77  a privilege that a requested step needs is missing\n"                            \
	"  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM (after cleanup)\n"
#define EXIT_CODES_PROBE                                                                        \
	"  0   every path behaved as expected for the detected environment\n"                   \
	"  1   at least one path did not\n"                                                     \
	"  64  usage error, or no such container\n"                                             \
	"  69  engine unreachable or unusable\n"                                                \
	"  70  internal error\n"                                                                \
	"  77  a privilege that a requested step needs is missing\n"                            \
	"  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM\n"
#define EXIT_CODES_CAPTURE                                                                      \
	"  0   the capture ended: --duration, -c or Ctrl-C (SIGINT is its normal end)\n"         \
	"  64  usage error, no such container, or the file exists (see --overwrite)\n"          \
	"  69  engine unreachable or unusable\n"                                                \
	"  70  internal error\n"                                                                \
	"  77  no privilege to capture\n"                                                       \
	"  129/143  stopped by SIGHUP/SIGTERM (the file is whole)\n"
#define EXIT_CODES_GC                                                                           \
	"  0   done (also when there was nothing to remove)\n"                                  \
	"  64  usage error\n"                                                                   \
	"  69  engine unreachable or unusable\n"                                                \
	"  70  internal error\n"                                                                \
	"  77  a privilege that a requested step needs is missing\n"                            \
	"  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM\n"
#define EXIT_CODES_ENGINES                                                                      \
	"  0   at least one engine answered\n"                                                  \
	"  64  usage error\n"                                                                   \
	"  69  no engine answered\n"                                                            \
	"  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM\n"
#define EXIT_CODES_HELP \
	"  0   printed\n"   \
	"  64  usage error\n"

typedef struct command {
	const char *name;
	nc_command_t kind;
	const char *synopsis;    /* after "netcheck " */
	const char *summary;     /* one line in `netcheck --help` */
	const char *description;
	const char *exit_codes;
} command_t;

static const command_t commands[] = {
	{ "run", NC_CMD_RUN, "run [OPTIONS]", "launch a test container, prove every path to it\n(the default)",
	  "Launches netcheck's own test container (or --image), probes every path from\n"
	  "this host to it (by the container's IP; through its published port on\n"
	  "loopback and on this host's address), captures the packets on every point\n"
	  "they cross, and reports each path's verdict and mechanism (direct, nat,\n"
	  "proxy) with the evidence.  The container is removed at the end, also on\n"
	  "errors and signals, unless --keep.\n",
	  EXIT_CODES_RUN },
	{ "probe", NC_CMD_PROBE, "probe [OPTIONS] CONTAINER", "prove every path to your running container",
	  "Probes the paths from this host to CONTAINER (a name or id), which must be\n"
	  "running: its IP and every published port (or the --port ones), with the\n"
	  "same evidence and reports as run.  Launches nothing; leaves CONTAINER alone.\n",
	  EXIT_CODES_PROBE },
	{ "capture", NC_CMD_CAPTURE, "capture [OPTIONS] CONTAINER [FILTER...]",
	  "capture a container's packets on every point\ninto one pcapng file",
	  "Captures the packets of CONTAINER on the points run uses (lo, the bridge,\n"
	  "its veth, eth0 inside it) into one pcapng file, until Ctrl-C, --duration or\n"
	  "-c.  FILTER is a pcap-filter expression (as for tcpdump), and-ed with the\n"
	  "container's own traffic.  The file is netcheck-CONTAINER-<UTC time>.pcapng\n"
	  "unless -w; an existing file is replaced only with --overwrite.  -w - writes\n"
	  "to standard output:  netcheck capture web -w - | wireshark -k -i -\n",
	  EXIT_CODES_CAPTURE },
	{ "gc", NC_CMD_GC, "gc [OPTIONS]", "remove test containers left by killed runs",
	  "Removes the test containers of netcheck runs that are gone (killed before\n"
	  "they could clean up); with --kept also the ones kept with run --keep.\n",
	  EXIT_CODES_GC },
	{ "engines", NC_CMD_ENGINES, "engines [OPTIONS]", "list the engines found here and their kind",
	  "Lists every engine netcheck finds here (the one run would use: -H,\n"
	  "DOCKER_HOST, the docker context; then the well-known sockets of Docker,\n"
	  "rootless Docker and Podman), each with its kind, name and version, or why\n"
	  "it cannot be used.\n",
	  EXIT_CODES_ENGINES },
	{ "help", NC_CMD_HELP, "help [COMMAND]", "this help, or a command's",
	  "Prints the help of COMMAND, or the list of commands.\n", EXIT_CODES_HELP },
	{ "version", NC_CMD_HELP, "version", "netcheck's version", "Prints netcheck's version.\n", EXIT_CODES_HELP },
};

enum {
	OPT_CONTEXT = 256, OPT_ENGINE_TIMEOUT, OPT_COLOR, OPT_NO_COLOR, OPT_IMAGE, OPT_PORT, OPT_HOST_PORT,
	OPT_NETWORK, OPT_PEER, OPT_HTTP, OPT_KEEP, OPT_JSON, OPT_JUNIT, OPT_HTML, OPT_PCAP, OPT_PCAP_FORMAT,
	OPT_NO_CAPTURE, OPT_REQUIRE_CAPTURE, OPT_EXPECT, OPT_TIMEOUT, OPT_START_TIMEOUT, OPT_ALLOW_OFFHOST,
	OPT_SWARM, OPT_DURATION, OPT_OVERWRITE, OPT_KEPT,
};

typedef struct cli_option {
	const char *name;   /* long name; several rows may share one (per-command help) */
	char short_name;    /* shown in help; 0 = none */
	int id;             /* what getopt returns: the short letter, or OPT_* */
	int has_arg;
	unsigned commands;  /* CMD() bits of the commands it applies to */
	const char *arg;    /* the value's name in help; NULL = none */
	const char *help;   /* '\n' continues on the next line */
} cli_option_t;

static const cli_option_t options[] = {
	/* global: every command that talks to an engine */
	{ "host", 'H', 'H', required_argument, EVERY_COMMAND, "URL",
	  "engine: unix:///path or tcp://host:port\n"
	  "(default: DOCKER_HOST, the docker context,\n"
	  "/var/run/docker.sock); with run --swarm, once per\n"
	  "node: the manager first" },
	{ "engine", 0, 'H', required_argument, EVERY_COMMAND, "URL", "the same as -H" },
	{ "context", 0, OPT_CONTEXT, required_argument, EVERY_COMMAND, "NAME",
	  "the engine of docker context NAME\n(default: DOCKER_CONTEXT, the current one)" },
	{ "engine-timeout", 0, OPT_ENGINE_TIMEOUT, required_argument, EVERY_COMMAND, "MS",
	  "per engine call timeout\n(default 10000; engines: 3000)" },
	{ "verbose", 'v', 'v', no_argument, EVERY_COMMAND, NULL, "list each path's packets" },
	{ "color", 0, OPT_COLOR, optional_argument, EVERY_COMMAND, "WHEN",
	  "auto (default: on a terminal, unless NO_COLOR\n"
	  "is set and not empty), always (also a bare\n"
	  "--color) or never" },
	{ "no-color", 0, OPT_NO_COLOR, no_argument, EVERY_COMMAND, NULL, "the same as --color=never" },
	{ "help", 'h', 'h', no_argument, EVERY_COMMAND | CMD(NC_CMD_HELP), NULL, "this help" },
	{ "version", 'V', 'V', no_argument, EVERY_COMMAND | CMD(NC_CMD_HELP), NULL, "print the version" },

	{ "image", 0, OPT_IMAGE, required_argument, RUN, "IMG",
	  "run IMG instead of netcheck's responder\n(needs --port)" },
	{ "port", 0, OPT_PORT, required_argument, RUN, "N", "container port the image listens on (default 80)" },
	{ "port", 0, OPT_PORT, required_argument, PROBE, "N",
	  "a container port to probe; repeat for several\n(at most 16; default: every published one)" },
	{ "port", 0, OPT_PORT, required_argument, CAPTURE, "N",
	  "the container port whose published port to\nwatch (default: the first TCP one published)" },
	{ "host-port", 0, OPT_HOST_PORT, required_argument, RUN, "N",
	  "publish on host port N (default: the engine\npicks)" },
	{ "network", 0, OPT_NETWORK, required_argument, RUN, "NAME",
	  "attach the test container to Docker network\nNAME (default: the default bridge)" },
	{ "peer", 0, OPT_PEER, no_argument, RUN, NULL,
	  "a second container, for the container-to-\ncontainer paths" },
	{ "http", 0, OPT_HTTP, optional_argument, REPORTING, "PATH",
	  "check HTTP: GET PATH (default /) on each TCP\npath" },
	{ "keep", 0, OPT_KEEP, no_argument, RUN, NULL,
	  "keep the test container (gc --kept removes it)" },
	{ "swarm", 0, OPT_SWARM, no_argument, RUN, NULL,
	  "a global service over every node of the swarm\n(-H once per node, the manager first)" },
	{ "json", 0, OPT_JSON, required_argument, REPORTING, "FILE|-",
	  "write the JSON report, also when the run fails\n(schema: docs/report.schema.json)" },
	{ "junit", 0, OPT_JUNIT, required_argument, REPORTING, "FILE|-",
	  "write a JUnit XML report (a testcase per path)" },
	{ "html", 0, OPT_HTML, required_argument, REPORTING, "FILE|-", "write the report as one HTML page" },
	{ "pcap", 0, OPT_PCAP, required_argument, REPORTING, "FILE|-",
	  "write the captured packets; - is standard\noutput (the text report then goes to stderr)" },
	{ "pcap-format", 0, OPT_PCAP_FORMAT, required_argument, REPORTING, "F", "pcapng (default) or pcap" },
	{ "no-capture", 0, OPT_NO_CAPTURE, no_argument, REPORTING, NULL, "do not capture packets" },
	{ "require-capture", 0, OPT_REQUIRE_CAPTURE, no_argument, REPORTING, NULL,
	  "exit 77 when packets cannot be captured" },
	{ "expect", 0, OPT_EXPECT, required_argument, REPORTING, "PATH=V,...",
	  "override expectations (PATH: a path name,\n"
	  "direct or published; V: a verdict or a\nmechanism)" },
	{ "timeout", 0, OPT_TIMEOUT, required_argument, REPORTING, "MS", "per-probe timeout (default 2000)" },
	{ "start-timeout", 0, OPT_START_TIMEOUT, required_argument, RUN, "MS",
	  "container start timeout (default 10000)" },
	{ "allow-offhost", 0, OPT_ALLOW_OFFHOST, no_argument, REPORTING, NULL,
	  "probe a container IP even when its route\nleaves this host" },

	{ "write", 'w', 'w', required_argument, CAPTURE, "FILE|-",
	  "the pcapng file (default: netcheck-CONTAINER-\n<UTC time>.pcapng); - is standard output" },
	{ "overwrite", 0, OPT_OVERWRITE, no_argument, CAPTURE, NULL, "replace the -w file if it exists" },
	{ "duration", 0, OPT_DURATION, required_argument, CAPTURE, "S",
	  "stop after S seconds (1-86400; default: at\nCtrl-C)" },
	{ "count", 'c', 'c', required_argument, CAPTURE, "COUNT", "stop after COUNT packets (1-1000000000)" },
	{ "snaplen", 's', 's', required_argument, CAPTURE, "SNAPLEN", "bytes kept of each packet (64-262144)" },

	{ "kept", 0, OPT_KEPT, no_argument, CMD(NC_CMD_GC), NULL, "also remove containers kept with run --keep" },
};

typedef struct cli {
	const command_t *command;
	bool command_given;          /* named on the command line (else run) */
	nc_run_options_t run;
	const char *engines[NC_RUN_MAX_ENGINES];
	size_t n_engines;
	const char *json_path, *junit_path, *html_path;
	const char *container;       /* probe, capture */
	uint64_t duration_ms;        /* capture; 0 = until a signal */
	bool verbose, overwrite, include_kept, port_given;
	cli_color_t color;
	bool ascii;                  /* the locale is not UTF-8 */
	char filter[CAPTURE_FILTER_MAX + 1];
	char default_pcap_path[NAME_ARG_MAX + 64];
} cli_t;

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

static const char *ellipsis(const cli_t *cli)
{
	return cli->ascii ? "..." : "…";
}

static void on_progress(void *data, const char *msg)
{
	fprintf(stderr, "netcheck: %s%s\n", msg, ellipsis(data));
}

/* One line on stderr, naming the command and its help. */
static int usage_error(const cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const cli_t *cli, const char *fmt, ...)
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

/* An HTTP path for the request line: '/' first, printable ASCII without
 * spaces (nothing that could end the line or the target), bounded. */
static bool valid_http_path(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HTTP_PATH_MAX || s[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static const command_t *find_command(const char *name)
{
	for (size_t i = 0; i < NC_ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* The row of option id for command kind; NULL when it does not apply. */
static const cli_option_t *option_for(int id, nc_command_t kind)
{
	for (size_t i = 0; i < NC_ARRAY_SIZE(options); i++)
		if (options[i].id == id && (options[i].commands & CMD(kind)) != 0)
			return &options[i];
	return NULL;
}

/* --- help ---------------------------------------------------------------- */

#define HELP_COLUMN 28 /* option texts: at most 52 columns a line, for 80 */

/* "  LEFT      TEXT": TEXT from HELP_COLUMN, its '\n' continuing there. */
static void print_columns(FILE *out, const char *left, const char *text)
{
	if (strlen(left) + 3 > HELP_COLUMN)
		fprintf(out, "  %s\n%*s", left, HELP_COLUMN, "");
	else
		fprintf(out, "  %-*s", HELP_COLUMN - 2, left);
	for (const char *p = text; *p; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fprintf(out, "%*s", HELP_COLUMN, "");
	}
	fputc('\n', out);
}

static void print_option(FILE *out, const cli_option_t *o)
{
	char left[64];
	int n;

	if (o->short_name != 0)
		n = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->name);
	else
		n = snprintf(left, sizeof(left), "    --%s", o->name);
	if (o->arg != NULL && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, o->has_arg == optional_argument ? "[=%s]" : " %s", o->arg);
	print_columns(out, left, o->help);
}

static bool is_global(const cli_option_t *o)
{
	return (o->commands & EVERY_COMMAND) == EVERY_COMMAND;
}

static void print_globals(FILE *out)
{
	for (size_t i = 0; i < NC_ARRAY_SIZE(options); i++)
		if (is_global(&options[i]))
			print_option(out, &options[i]);
}

static void print_main_help(FILE *out)
{
	fputs("Usage: netcheck [COMMAND] [OPTIONS]\n"
	      "\n"
	      "Proves how this host reaches a container: directly by its IP, or only\n"
	      "through a published port that something forwards.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < NC_ARRAY_SIZE(commands); i++) {
		char left[64];
		const char *operands = commands[i].synopsis + strlen(commands[i].name);

		/* "probe CONTAINER": the name and its operands */
		if (strncmp(operands, " [OPTIONS]", strlen(" [OPTIONS]")) == 0)
			operands += strlen(" [OPTIONS]");
		snprintf(left, sizeof(left), "%s%s", commands[i].name, operands);
		print_columns(out, left, commands[i].summary);
	}
	fputs("\nGlobal options (every command):\n", out);
	print_globals(out);
	fputs("\n"
	      "'netcheck COMMAND --help' or 'netcheck help COMMAND': a command's options.\n"
	      "\n"
	      "Exit codes:\n"
	      "  0   every path behaved as expected (run, probe); the command did its work\n"
	      "  1   at least one path did not\n"
	      "  64  usage error; no such container (probe, capture)\n"
	      "  69  engine unreachable or unusable\n"
	      "  70  internal error\n"
	      "  77  a privilege that a requested step needs is missing\n"
	      "  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM (after cleanup)\n"
	      "  (netcheck capture: Ctrl-C is its normal end, exit 0)\n", out);
}

static void print_command_help(FILE *out, const command_t *c)
{
	bool any = false;

	fprintf(out, "Usage: netcheck %s\n\n%s", c->synopsis, c->description);
	for (size_t i = 0; i < NC_ARRAY_SIZE(options); i++) {
		if (is_global(&options[i]) || (options[i].commands & CMD(c->kind)) == 0)
			continue;
		if (!any)
			fprintf(out, "\n%s options:\n", c->name);
		any = true;
		print_option(out, &options[i]);
	}
	if (c->kind != NC_CMD_HELP) {
		fputs("\nGlobal options:\n", out);
		print_globals(out);
	}
	fprintf(out, "\nExit codes:\n%s", c->exit_codes);
}

/* --- parsing ------------------------------------------------------------- */

/* getopt's tables, made from options[] once: each long name once, and
 * the short letters. */
static void getopt_tables(struct option *longopts, char *shortopts, size_t shortlen)
{
	size_t n = 0, s = 0;

	shortopts[s++] = ':'; /* a missing value is ':', not '?' */
	for (size_t i = 0; i < NC_ARRAY_SIZE(options); i++) {
		bool seen = false;

		for (size_t k = 0; k < n; k++)
			seen = seen || strcmp(longopts[k].name, options[i].name) == 0;
		if (seen)
			continue;
		longopts[n++] = (struct option){ options[i].name, options[i].has_arg, NULL, options[i].id };
		if (options[i].short_name != 0 && s + 3 < shortlen) {
			shortopts[s++] = options[i].short_name;
			if (options[i].has_arg == required_argument)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[s] = '\0';
}

/* How the user spelled the option getopt just returned, for messages. */
static const char *option_spelling(const struct option *longopts, int longindex, int c, char *buf, size_t len)
{
	if (longindex >= 0)
		snprintf(buf, len, "--%s", longopts[longindex].name);
	else
		snprintf(buf, len, "-%c", c);
	return buf;
}

static int parse_port(cli_t *cli, const char *value)
{
	unsigned long v;
	nc_command_t kind = cli->command->kind;

	if (parse_uint(value, 65535, 1, &v) < 0)
		return usage_error(cli, "--port needs a port number 1-65535, not '%.32s'", value);
	if (kind != NC_CMD_PROBE) {
		if (cli->port_given)
			return usage_error(cli, "--port is given once for %s (several ports: netcheck probe)", cli->command->name);
		cli->port_given = true;
		cli->run.port = (uint16_t)v;
		return 0;
	}
	for (size_t i = 0; i < cli->run.n_ports; i++)
		if (cli->run.ports[i] == v)
			return usage_error(cli, "--port %lu is given twice", v);
	if (cli->run.n_ports == NC_RUN_MAX_PORTS)
		return usage_error(cli, "at most %d --port options", NC_RUN_MAX_PORTS);
	cli->run.ports[cli->run.n_ports++] = (uint16_t)v;
	return 0;
}

static int parse_ms(cli_t *cli, const char *opt, const char *value, uint64_t *ret)
{
	unsigned long v;

	if (parse_uint(value, 600000, 1, &v) < 0)
		return usage_error(cli, "%s needs milliseconds 1-600000, not '%.32s'", opt, value);
	*ret = v;
	return 0;
}

/* *ret = value when it is a name valid_name() accepts. */
static int parse_name(cli_t *cli, const char *opt, const char *what, const char *more, const char *value,
		      const char **ret)
{
	if (!valid_name(value, more))
		return usage_error(cli, "%s needs %s ([A-Za-z0-9][A-Za-z0-9%s]*, at most %d), not '%.64s'", opt, what,
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
			return usage_error(cli, "at most %d engines", NC_RUN_MAX_ENGINES);
		if (value[0] == '\0')
			return usage_error(cli, "-H/--engine needs a URL, not ''");
		cli->engines[cli->n_engines++] = value;
		return 0;
	case OPT_CONTEXT: return parse_name(cli, "--context", "a context name", "_.+-", value, &cli->run.context);
	case OPT_ENGINE_TIMEOUT: return parse_ms(cli, "--engine-timeout", value, &cli->run.engine_timeout_ms);
	case OPT_TIMEOUT: return parse_ms(cli, "--timeout", value, &cli->run.probe_timeout_ms);
	case OPT_START_TIMEOUT: return parse_ms(cli, "--start-timeout", value, &cli->run.start_timeout_ms);
	case 'v': cli->verbose = true; return 0;
	case OPT_COLOR:
		if (cli_color_parse(value, &cli->color) < 0)
			return usage_error(cli, "--color is auto, always or never, not '%.32s'", value);
		return 0;
	case OPT_NO_COLOR: cli->color = CLI_COLOR_NEVER; return 0;
	case 'h':
		if (cli->command_given)
			print_command_help(stdout, cli->command);
		else
			print_main_help(stdout);
		*done = true;
		return 0;
	case 'V':
		printf("netcheck %s\n", NC_VERSION);
		*done = true;
		return 0;
	case OPT_IMAGE:
		if (strlen(value) >= NC_NAME_MAX)
			return usage_error(cli, "--image: a name of at most %d characters", NC_NAME_MAX - 1);
		cli->run.image = value;
		return 0;
	case OPT_PORT: return parse_port(cli, value);
	case OPT_HOST_PORT:
		if (parse_uint(value, 65535, 1, &v) < 0)
			return usage_error(cli, "--host-port needs a port number 1-65535, not '%.32s'", value);
		cli->run.host_port = (uint16_t)v;
		return 0;
	case OPT_NETWORK: return parse_name(cli, "--network", "a Docker network name", "_.-", value, &cli->run.network);
	case OPT_PEER: cli->run.peer = true; return 0;
	case OPT_HTTP:
		if (value != NULL && !valid_http_path(value))
			return usage_error(cli, "--http=PATH needs a path that starts with '/' (printable, no spaces, at "
					   "most %d), not '%.64s'", HTTP_PATH_MAX, value);
		cli->run.http_path = value != NULL ? value : "/";
		return 0;
	case OPT_KEEP: cli->run.keep = true; return 0;
	case OPT_SWARM: cli->run.swarm = true; return 0;
	case OPT_JSON: cli->json_path = value; return 0;
	case OPT_JUNIT: cli->junit_path = value; return 0;
	case OPT_HTML: cli->html_path = value; return 0;
	case OPT_PCAP:
	case 'w':
		cli->run.pcap_path = value;
		return 0;
	case OPT_PCAP_FORMAT:
		if (strcmp(value, "pcap") != 0 && strcmp(value, "pcapng") != 0)
			return usage_error(cli, "--pcap-format is pcapng or pcap, not '%.32s'", value);
		cli->run.pcap_classic = strcmp(value, "pcap") == 0;
		return 0;
	case OPT_NO_CAPTURE: cli->run.capture = false; return 0;
	case OPT_REQUIRE_CAPTURE: cli->run.require_capture = true; return 0;
	case OPT_EXPECT: cli->run.expect = value; return 0;
	case OPT_ALLOW_OFFHOST: cli->run.allow_offhost = true; return 0;
	case OPT_OVERWRITE: cli->overwrite = true; return 0;
	case OPT_DURATION:
		if (parse_uint(value, 86400, 1, &v) < 0)
			return usage_error(cli, "--duration needs seconds 1-86400, not '%.32s'", value);
		cli->duration_ms = (uint64_t)v * 1000;
		return 0;
	case 'c':
		if (parse_uint(value, 1000000000UL, 1, &v) < 0)
			return usage_error(cli, "-c needs a packet count 1-1000000000, not '%.32s'", value);
		cli->run.capture_count = v;
		return 0;
	case 's':
		if (parse_uint(value, 262144, 64, &v) < 0)
			return usage_error(cli, "-s needs a snapshot length 64-262144, not '%.32s'", value);
		cli->run.capture_snaplen = (uint32_t)v;
		return 0;
	case OPT_KEPT: cli->include_kept = true; return 0;
	default:
		return usage_error(cli, "option %d has no handler", c); /* a row of options[] without a case */
	}
}

/* The words after the options: CONTAINER [FILTER...], COMMAND for help. */
static int parse_operands(cli_t *cli, int argc, char **argv, bool *done)
{
	nc_command_t kind = cli->command->kind;
	size_t used = 0;

	if (strcmp(cli->command->name, "help") == 0) {
		const command_t *c = optind < argc ? find_command(argv[optind]) : NULL;

		if (optind < argc && c == NULL)
			return usage_error(cli, "no command '%.64s'", argv[optind]);
		if (optind + 1 < argc)
			return usage_error(cli, "unexpected argument '%.64s'", argv[optind + 1]);
		if (c != NULL)
			print_command_help(stdout, c);
		else
			print_main_help(stdout);
		*done = true;
		return 0;
	}
	if (strcmp(cli->command->name, "version") == 0 && optind >= argc) {
		printf("netcheck %s\n", NC_VERSION);
		*done = true;
		return 0;
	}
	if (kind == NC_CMD_PROBE || kind == NC_CMD_CAPTURE) {
		if (optind >= argc)
			return usage_error(cli, "CONTAINER is missing: a container name or id");
		cli->container = argv[optind++];
		if (!valid_name(cli->container, "_.-"))
			return usage_error(cli, "'%.64s' is not a container name or id", cli->container);
	}
	if (kind == NC_CMD_CAPTURE) {
		for (; optind < argc; optind++) {
			size_t n = strlen(argv[optind]);

			if (used + (used > 0) + n > CAPTURE_FILTER_MAX)
				return usage_error(cli, "the capture filter is longer than %d bytes", CAPTURE_FILTER_MAX);
			if (used > 0)
				cli->filter[used++] = ' ';
			memcpy(cli->filter + used, argv[optind], n);
			used += n;
		}
		cli->filter[used] = '\0';
		cli->run.capture_filter = used > 0 ? cli->filter : NULL;
	}
	if (optind < argc)
		return usage_error(cli, "unexpected argument '%.64s'", argv[optind]);
	return 0;
}

static bool is_stdout(const char *path)
{
	return path != NULL && strcmp(path, "-") == 0;
}

/* What the options say together. */
static int check_combination(cli_t *cli)
{
	nc_error_t err = { "" };
	nc_result_t *scratch;
	int to_stdout = is_stdout(cli->json_path) + is_stdout(cli->junit_path) + is_stdout(cli->html_path) +
			is_stdout(cli->run.pcap_path);
	int r;

	if (cli->n_engines > 1 && !cli->run.swarm)
		return usage_error(cli, "-H/--engine is given %zu times: several engines only with run --swarm",
				   cli->n_engines);
	if (cli->n_engines > 0 && cli->run.context != NULL)
		return usage_error(cli, "--context and -H/--engine both choose the engine: give one");
	if (cli->run.image != NULL && cli->run.port == 0)
		return usage_error(cli, "--image needs --port: the port the image listens on");
	if (cli->run.require_capture && !cli->run.capture)
		return usage_error(cli, "--require-capture contradicts --no-capture");
	if (cli->run.pcap_path != NULL && !cli->run.capture)
		return usage_error(cli, "--pcap contradicts --no-capture");
	if (to_stdout > 1)
		return usage_error(cli, "only one of --json, --junit, --html and --pcap can write to standard output ('-')");
	if (cli->run.expect != NULL) {
		/* the spec's syntax, before any engine is asked (the paths it
		 * names are checked against the run's own paths later) */
		scratch = nc_result_new();
		if (scratch == NULL)
			return nc_exit_code(cli->command->kind, -ENOMEM, NULL, 0);
		r = nc_result_parse_expect(scratch, cli->run.expect, &err);
		nc_result_free(scratch);
		if (r < 0)
			return usage_error(cli, "--expect: %s", err.text[0] ? err.text : nc_strerror(r));
	}
	cli->run.engine_url = cli->n_engines > 0 ? cli->engines[0] : NULL;
	for (size_t i = 1; i < cli->n_engines; i++)
		cli->run.more_engines[cli->run.n_more_engines++] = cli->engines[i];
	return 0;
}

/* 0 to go on, or an exit code; *done: help or version was printed. */
static int parse_args(int argc, char **argv, cli_t *cli, bool *done)
{
	struct option longopts[NC_ARRAY_SIZE(options) + 1];
	char shortopts[2 * NC_ARRAY_SIZE(options) + 2], spelled[64];
	int c, longindex, r;

	*done = false;
	cli->command = find_command("run");
	cli->run.capture = true;
	if (argc > 1 && argv[1][0] != '-') {
		cli->command = find_command(argv[1]);
		if (cli->command == NULL) {
			cli->command = find_command("run");
			return usage_error(cli, "unknown command '%.64s'", argv[1]);
		}
		cli->command_given = true;
		argv++;
		argc--;
	}
	getopt_tables(longopts, shortopts, sizeof(shortopts));
	opterr = 0;
	optind = 1;
	for (;;) {
		longindex = -1;
		c = getopt_long(argc, argv, shortopts, longopts, &longindex);
		if (c == -1)
			break;
		if (c == ':')
			return usage_error(cli, "option '%.64s' needs a value", argv[optind - 1]);
		if (c == '?') {
			if (optopt != 0)
				return usage_error(cli, "unknown option '-%c'", optopt);
			return usage_error(cli, "unknown option '%.64s'", argv[optind - 1]);
		}
		if (option_for(c, cli->command->kind) == NULL)
			return usage_error(cli, "%s does not apply to %s",
					   option_spelling(longopts, longindex, c, spelled, sizeof(spelled)),
					   cli->command->name);
		r = apply_option(cli, c, optarg, done);
		if (r != 0 || *done)
			return r;
	}
	r = parse_operands(cli, argc, argv, done);
	if (r != 0 || *done)
		return r;
	return check_combination(cli);
}

/* --- outputs ------------------------------------------------------------- */

/* Output files are created before the run: a bad path fails before any
 * container exists, and the file is ours (and the sudo user's) before the
 * run drops its privileges.  exclusive: refuse an existing file.  Returns
 * the fd or a negative errno. */
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
	if (is_stdout(path)) {
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
		return nc_error_set(err, STATUS_BAD_OUTPUT, "cannot write %s to %s: %s", what, path, strerror(-fd));
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
	int fd;

	if (is_stdout(path)) {
		cli->run.pcap_fd = STDOUT_FILENO;
		cli->run.pcap_path = "standard output"; /* the library names it in messages */
		return 0;
	}
	fd = create_output(path, 0600, exclusive);
	if (fd == -EEXIST && exclusive)
		return nc_error_set(err, STATUS_BAD_OUTPUT, "%s exists; --overwrite replaces it", path);
	if (fd < 0)
		return nc_error_set(err, STATUS_BAD_OUTPUT, "cannot write the capture to %s: %s", path, strerror(-fd));
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

static void on_gc_removed(void *data, const char *id, const char *run_id)
{
	(void)data;
	printf("removed container %.12s (run %s)\n", id, run_id[0] ? run_id : "?");
}

static int cmd_gc(const cli_t *cli)
{
	nc_error_t err = { "" };
	int r;

	engine_choice_to_environment(cli);
	r = nc_run_gc(cli->run.engine_url, cli->include_kept, cli->run.engine_timeout_ms, &arg_interrupted,
		      on_gc_removed, NULL, &err);
	if (r < 0)
		fprintf(stderr, "netcheck: %s\n", err.text[0] ? err.text : nc_strerror(r));
	else
		printf("gc: removed %d container%s left by earlier runs\n", r, r == 1 ? "" : "s");
	return nc_exit_code(NC_CMD_GC, r, NULL, arg_signal);
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
	int n;

	engine_choice_to_environment(cli);
	n = nc_run_engines(cli->run.engine_timeout_ms ? cli->run.engine_timeout_ms : 3000, &arg_interrupted, on_engine,
			   NULL);
	if (n == 0 && !arg_signal)
		fprintf(stderr, "netcheck: no engine answers here (tried DOCKER_HOST, the docker context and the "
				"well-known sockets)\n");
	return nc_exit_code(NC_CMD_ENGINES, n, NULL, arg_signal);
}

static int cmd_capture(cli_t *cli)
{
	nc_error_t err = { "" };
	nc_result_t *result = nc_result_new();
	/* with -w - standard output carries the packets; the rest goes to stderr */
	FILE *out = is_stdout(cli->run.pcap_path) ? stderr : stdout;
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
	cli->run.interrupted = &arg_interrupted;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "netcheck: capturing %s until %s%s\n", cli->container,
			cli->duration_ms ? "the duration ends or Ctrl-C" : "Ctrl-C", ellipsis(cli));
	r = nc_run_capture_only(&cli->run, cli->container, cli->duration_ms ? cli->duration_ms : UINT64_MAX / 4,
				result, &err);
	if (pcap_is_file(cli))
		close(cli->run.pcap_fd);
	code = nc_exit_code(NC_CMD_CAPTURE, r, result, arg_signal);
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
	if (r == 0 && !arg_signal)
		return;
	if (r < 0)
		nc_result_set_error(result, r, "interrupted");
	if (cli->command->kind == NC_CMD_RUN)
		fprintf(stderr, "netcheck: interrupted; the test container was %s\n",
			c->removed ? "removed" : "not created or kept");
	else
		fprintf(stderr, "netcheck: interrupted\n");
}

/* run and probe: one run, then every report asked for; the JSON one
 * also when the run failed, with the reason in it. */
static int cmd_run(cli_t *cli)
{
	nc_command_t kind = cli->command->kind;
	nc_error_t err = { "" };
	nc_result_t *result = nc_result_new();
	FILE *json = NULL, *junit = NULL, *html = NULL;
	/* with --pcap - standard output carries the packets */
	FILE *text_out = is_stdout(cli->run.pcap_path) ? stderr : stdout;
	bool stdout_taken = is_stdout(cli->json_path) || is_stdout(cli->junit_path) || is_stdout(cli->html_path);
	nc_report_options_t ro = report_options(cli, text_out);
	int r, w = 0, code;

	if (result == NULL) {
		fprintf(stderr, "netcheck: out of memory\n");
		return nc_exit_code(kind, -ENOMEM, NULL, 0);
	}
	r = open_report(cli->json_path, "the JSON report", &json, &err);
	if (r == 0)
		r = open_report(cli->junit_path, "the JUnit report", &junit, &err);
	if (r == 0)
		r = open_report(cli->html_path, "the HTML report", &html, &err);
	if (r == 0 && cli->run.pcap_path != NULL)
		r = open_pcap(cli, false, &err);
	if (r == 0) {
		cli->run.target = kind == NC_CMD_PROBE ? cli->container : NULL;
		cli->run.interrupted = &arg_interrupted;
		if (isatty(STDERR_FILENO) || cli->verbose) {
			cli->run.progress = on_progress;
			cli->run.progress_data = cli;
		}
		r = nc_run(&cli->run, result, &err);
	}
	code = nc_exit_code(kind, r, result, arg_signal);
	nc_result_set_exit_code(result, code);
	say_why_it_stopped(cli, r, &err, result);
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
		code = nc_exit_code(kind, w, result, arg_signal);
	if (pcap_is_file(cli)) {
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
	/* the locale only decides ASCII or UTF-8 output (LC_CTYPE alone:
	 * numbers keep their '.') */
	setlocale(LC_CTYPE, "");
	cli.ascii = cli_ascii_only(nl_langinfo(CODESET));
	install_signals();
	switch (cli.command->kind) {
	case NC_CMD_GC: return cmd_gc(&cli);
	case NC_CMD_ENGINES: return cmd_engines(&cli);
	case NC_CMD_CAPTURE: return cmd_capture(&cli);
	default: return cmd_run(&cli);
	}
}
