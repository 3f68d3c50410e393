/* netcheck's command line: what its files share.  main.c (main(),
 * signals, dispatch), cli-options.c (the one table of commands and
 * options), cli-parse.c (argv into a cli_t), cli-help.c (help and
 * version, printed from the table), cli-commands.c (each command: opens
 * its outputs, calls run, prints what report renders) and cli-term.c (how
 * the terminal is used: colour, width, ASCII; pure functions of what
 * main.c read from the process, so each rule is testable without a
 * terminal). */
#ifndef NETCHECK_CLI_INTERNAL_H
#define NETCHECK_CLI_INTERNAL_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netcheck/policy.h"
#include "netcheck/result.h"
#include "netcheck/run.h"

/* --- the terminal (cli-term.c) ------------------------------------------ */

typedef enum cli_color {
	CLI_COLOR_AUTO = 0, /* colour on a terminal unless NO_COLOR is set and not empty */
	CLI_COLOR_ALWAYS,
	CLI_COLOR_NEVER,
} cli_color_t;

#define CLI_WIDTH_DEFAULT 80
#define CLI_WIDTH_MIN 20
#define CLI_WIDTH_MAX 1000

/* --color[=WHEN]: value NULL (bare --color) is "always", as in ls and grep.
 * 0, or -EINVAL for anything but auto, always, never. */
int cli_color_parse(const char *value, cli_color_t *ret);
/* is_terminal: the report's stream is a terminal; no_color: getenv("NO_COLOR"),
 * borrowed, may be NULL.  https://no-color.org: only a non-empty value counts. */
bool cli_color_wanted(cli_color_t mode, bool is_terminal, const char *no_color);
/* terminal_width: nc_platform_terminal_width()'s answer (negative: not a
 * terminal); columns: getenv("COLUMNS"), borrowed, may be NULL.  The
 * terminal's width, else COLUMNS when it is a number 20-1000, else 80;
 * always within 20-1000. */
unsigned cli_report_width(int terminal_width, const char *columns);
/* codeset: nl_langinfo(CODESET) after setlocale(LC_CTYPE, ""), may be NULL.
 * True when the text must stay ASCII (anything but UTF-8). */
bool cli_ascii_only(const char *codeset);

/* --- the table (cli-options.c) ------------------------------------------- */

#define CAPTURE_FILTER_MAX 1024 /* bytes of the joined FILTER words */
#define NAME_ARG_MAX 128        /* container, network and context names */

/* Each command's bit: which options apply to it.  Not nc_command_t, which
 * says how the exit code is decided and is shared (help, version, paths
 * and explain are all NC_CMD_HELP: only their command line can fail). */
enum {
	CLI_RUN = 1u << 0,
	CLI_PROBE = 1u << 1,
	CLI_CAPTURE = 1u << 2,
	CLI_GC = 1u << 3,
	CLI_ENGINES = 1u << 4,
	CLI_HELP = 1u << 5,
	CLI_VERSION = 1u << 6,
	CLI_PATHS = 1u << 7,
	CLI_EXPLAIN = 1u << 8,
	CLI_WATCH = 1u << 9,
};
#define EVERY_COMMAND (CLI_RUN | CLI_PROBE | CLI_CAPTURE | CLI_GC | CLI_ENGINES | CLI_WATCH) /* that talk to an engine */
#define OFFLINE_COMMANDS (CLI_HELP | CLI_VERSION | CLI_PATHS | CLI_EXPLAIN)

typedef struct command {
	const char *name;
	unsigned bit;            /* CLI_* */
	nc_command_t kind;       /* for nc_exit_code() */
	const char *synopsis;    /* after "netcheck " */
	const char *summary;     /* one line in `netcheck --help` */
	const char *description;
	const char *exit_codes;
} command_t;

enum {
	OPT_CONTEXT = 256, OPT_ENGINE_TIMEOUT, OPT_COLOR, OPT_NO_COLOR, OPT_IMAGE, OPT_PORT, OPT_HOST_PORT,
	OPT_NETWORK, OPT_PEER, OPT_HTTP, OPT_KEEP, OPT_JSON, OPT_JUNIT, OPT_HTML, OPT_PCAP, OPT_PCAP_FORMAT, OPT_CAPTURE_VIA,
	OPT_NO_CAPTURE, OPT_REQUIRE_CAPTURE, OPT_EXPECT, OPT_TIMEOUT, OPT_START_TIMEOUT, OPT_ALLOW_OFFHOST,
	OPT_SWARM, OPT_DURATION, OPT_OVERWRITE, OPT_KEPT, OPT_JSON_LIST, OPT_PATHS, OPT_SKIP, OPT_EXPECT_FILE,
	OPT_PROJECT, OPT_TO,
	OPT_INTERVAL, OPT_CYCLES, OPT_LISTEN, OPT_METRICS_FILE, OPT_CONTAINER,
};

typedef struct cli_option {
	const char *name;   /* long name; several rows may share one (per-command help) */
	char short_name;    /* shown in help; 0 = none */
	int id;             /* what getopt returns: the short letter, or OPT_* */
	int has_arg;
	unsigned commands;  /* CLI_* bits of the commands it applies to */
	const char *arg;    /* the value's name in help; NULL = none */
	const char *help;   /* '\n' continues on the next line */
} cli_option_t;

#define CLI_MAX_OPTIONS 64 /* rows of cli_options[]: bounds getopt's tables */

extern const command_t cli_commands[];
extern const size_t cli_n_commands;
extern const cli_option_t cli_options[];
extern const size_t cli_n_options;

/* NULL when there is no command of that name. */
const command_t *cli_find_command(const char *name);
/* The row of option id for command c; NULL when it does not apply. */
const cli_option_t *cli_option_for(int id, const command_t *c);
/* Applies to every command that talks to an engine: accepted before the
 * command word too. */
bool cli_option_is_global(const cli_option_t *o);

/* --- one command line (cli-parse.c) -------------------------------------- */

/* Everything the command line said, and the process state the commands
 * share.  Lives in main(); every pointer borrowed from argv or main(). */
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
	bool json_list;              /* paths --json */
	const char *explain;         /* explain CODE; NULL = every code */
	nc_selection_t selection;    /* --paths, --skip: copied into the run's result */
	const char *expect_file;     /* --expect-file FILE */
	nc_expect_rule_t expect_rules[NC_MAX_EXPECT_RULES]; /* its rules, read once with the command line */
	size_t n_expect_rules;
	struct cli_watch_args {      /* watch */
		uint64_t interval_ms;    /* --interval: >= 1000 (NC_WATCH_MIN_INTERVAL_MS, tests only) */
		uint64_t count;          /* --count: cycles; 0 = until a signal */
		const char *listen;      /* --listen ADDR:PORT; NULL = CLI_WATCH_LISTEN unless --metrics-file */
		const char *metrics_file; /* --metrics-file FILE */
	} watch;
	cli_color_t color;
	bool ascii;                  /* the locale is not UTF-8 */
	char filter[CAPTURE_FILTER_MAX + 1];
	char default_pcap_path[NAME_ARG_MAX + 64];
	char to_name[NAME_ARG_MAX + 1]; /* probe --to B[:PORT]: B */
	volatile sig_atomic_t *interrupted;     /* borrowed: main.c's, set by its signal handler */
	volatile sig_atomic_t *signal_received; /* borrowed: main.c's; the first signal, 0 = none */
} cli_t;

/* Fills cli (zeroed by the caller, run.pcap_fd = -1) from argv; argv may
 * be permuted.  0 to go on, or an exit code; *done: help or version was
 * printed. */
int cli_parse_args(int argc, char **argv, cli_t *cli, bool *done);
/* One line on stderr, naming the command and its help; returns 64. */
int cli_usage_error(const cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* --expect-file: reads cli->expect_file (bounded) into into's rules.  0, or
 * the exit code after one line on stderr naming the file and the line.
 * Called once, with the command line (its rules kept in cli). */
int cli_load_expect_file(const cli_t *cli, nc_result_t *into);
/* The rules --expect-file gave (read once), added to result's. */
void cli_add_expect_rules(const cli_t *cli, nc_result_t *result);
/* One line on stderr when --project had more running containers than are
 * probed (the report says it too). */
void cli_say_left_out(const nc_result_t *result);
/* "-" is standard output. */
bool cli_is_stdout(const char *path);

/* --- help and version (cli-help.c) --------------------------------------- */

void cli_print_main_help(FILE *out);
void cli_print_command_help(FILE *out, const command_t *c);
void cli_print_version(FILE *out);

/* --- the commands (cli-commands.c): each returns the exit code ------------ */

int cli_cmd_run(cli_t *cli); /* run and probe */
int cli_cmd_capture(cli_t *cli);
int cli_cmd_watch(cli_t *cli); /* cli-watch.c */
#define CLI_WATCH_LISTEN "127.0.0.1:9469"
/* "1s", "1500ms", "2m", "1h" (a bare number is seconds) → ms; -EINVAL. */
int cli_parse_duration(const char *text, uint64_t *ret_ms);
/* What watch's start-up line says (cli-watch-line.c); every pointer borrowed. */
#define CLI_WATCH_URL_MAX 80 /* "http://[" INET6_ADDRSTRLEN "]:65535/metrics" */
typedef struct cli_watch_start {
	const char *name;          /* the container's or the project's */
	bool project, users;       /* --project; --container (a user's container) */
	uint64_t interval_ms, count; /* --interval, --count (0: until a signal) */
	const char *url;           /* where /metrics is served; NULL: not served */
	const char *metrics_file;  /* --metrics-file; NULL: none */
} cli_watch_start_t;
/* "netcheck: watching ... every 15s; metrics on http://127.0.0.1:9469/metrics"
 * into buf (len bytes, cut to fit). */
void cli_watch_start_line(const cli_watch_start_t *s, char *buf, size_t len);
int cli_cmd_gc(const cli_t *cli);
int cli_cmd_engines(const cli_t *cli);
/* paths and explain (cli-explain.c): the model's own words */
int cli_cmd_paths(const cli_t *cli);
int cli_cmd_explain(const cli_t *cli);

#endif
