/* The one table of netcheck's command line: each command, and each
 * option with the commands it applies to.  Parsing (cli-parse.c), help
 * (cli-help.c) and the options dump that tests compare with the man page
 * and the completions are all made from it.  May call: nothing. */
#include <string.h>

#include "cli-internal.h"
#include "netcheck/common.h"

#define RUN CLI_RUN
#define PROBE CLI_PROBE
#define CAPTURE CLI_CAPTURE
#define WATCH CLI_WATCH
#define REPORTING (RUN | PROBE)
#define PROBING (RUN | PROBE | WATCH) /* what shapes the paths and probes */

#define EXIT_CODES_RUN                                                                          \
	"  0   every path behaved as expected for the detected environment\n"                   \
	"  1   at least one path did not\n"                                                     \
	"  64  usage error\n"                                                                   \
	"  69  engine unreachable or unusable, or the test container could not be removed\n"     \
	"  70  internal error\n"                                                                \
	"  73  an output file (--json, --junit, --html, --pcap) cannot be created\n"            \
	"  77  a privilege that a requested step needs is missing\n"                            \
	"  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM (after cleanup)\n"
#define EXIT_CODES_PROBE                                                                        \
	"  0   every path behaved as expected for the detected environment\n"                   \
	"  1   at least one path did not\n"                                                     \
	"  64  usage error, no such container, or no running container in --project\n"          \
	"  69  engine unreachable or unusable\n"                                                \
	"  70  internal error\n"                                                                \
	"  73  an output file (--json, --junit, --html, --pcap) cannot be created\n"            \
	"  77  a privilege that a requested step needs is missing\n"                            \
	"  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM\n"
#define EXIT_CODES_CAPTURE                                                                      \
	"  0   the capture ended: --duration, -c or Ctrl-C (SIGINT is its normal end)\n"         \
	"  64  usage error, no such container, or the file exists (see --overwrite)\n"          \
	"  69  engine unreachable or unusable\n"                                                \
	"  70  internal error\n"                                                                \
	"  73  the file cannot be created\n"                                                    \
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

const command_t cli_commands[] = {
	{ "run", CLI_RUN, NC_CMD_RUN, "run [OPTIONS]", "launch a test container, prove every path to it\n(bare 'netcheck' too)",
	  "Launches netcheck's own test container (or --image), probes every path from\n"
	  "this host to it (by the container's IP; through its published port on\n"
	  "loopback and on this host's address), captures the packets on every point\n"
	  "they cross, and reports each path's verdict and mechanism (direct, nat,\n"
	  "proxy) with the evidence.  The container is removed at the end, also on\n"
	  "errors and signals, unless --keep.\n",
	  EXIT_CODES_RUN },
	{ "probe", CLI_PROBE, NC_CMD_PROBE, "probe [OPTIONS] CONTAINER [--to B[:PORT]] | --project NAME",
	  "prove every path to your running container",
	  "Probes the paths from this host to CONTAINER (a name or id), which must be\n"
	  "running: its IP and every published port (or the --port ones), with the\n"
	  "same evidence and reports as run.  Launches nothing; leaves CONTAINER alone.\n"
	  "--project NAME probes every running container of that Compose project, one\n"
	  "report with a section per service and one exit code.\n"
	  "--to B[:PORT] probes from CONTAINER to container B instead, by B's address\n"
	  "and by its name, through a short-lived helper in CONTAINER's network\n"
	  "namespace (neither container is changed).\n",
	  EXIT_CODES_PROBE },
	{ "capture", CLI_CAPTURE, NC_CMD_CAPTURE, "capture [OPTIONS] CONTAINER [FILTER...]",
	  "capture a container's packets on every point\ninto one pcapng file",
	  "Captures the packets of CONTAINER on the points run uses (lo, the bridge,\n"
	  "its veth, eth0 inside it) into one pcapng file, until Ctrl-C, --duration or\n"
	  "-c.  FILTER is a pcap-filter expression (as for tcpdump), and-ed with the\n"
	  "container's own traffic.  The file is netcheck-CONTAINER-<UTC time>.pcapng\n"
	  "unless -w; an existing file is replaced only with --overwrite.  -w - writes\n"
	  "to standard output:  netcheck capture web -w - | wireshark -k -i -\n",
	  EXIT_CODES_CAPTURE },
	{ "gc", CLI_GC, NC_CMD_GC, "gc [OPTIONS]", "remove test containers left by killed runs",
	  "Removes the test containers of netcheck runs that are gone (killed before\n"
	  "they could clean up); with --kept also the ones kept with run --keep.\n"
	  "Also removes the responder images of other netcheck builds\n"
	  "(netcheck-responder:<version>-<hash>) that no container uses, and lists\n"
	  "them apart from the containers.\n",
	  EXIT_CODES_GC },
	{ "engines", CLI_ENGINES, NC_CMD_ENGINES, "engines [OPTIONS]", "list the engines found here and their kind",
	  "Lists every engine netcheck finds here (the one run would use: -H,\n"
	  "DOCKER_HOST, the docker context; then the well-known sockets of Docker,\n"
	  "rootless Docker and Podman), each with its kind, name and version, or why\n"
	  "it cannot be used.\n",
	  EXIT_CODES_ENGINES },
	{ "watch", CLI_WATCH, NC_CMD_RUN, "watch [OPTIONS] --interval DUR",
	  "probe every interval; metrics for Prometheus",
	  "Launches netcheck's test container once (or, with --container or\n"
	  "--project, only inspects yours) and probes every path every --interval: a\n"
	  "cycle costs the probes and capture, not a container start.  Writes one\n"
	  "JSON line per cycle (--json), a line when a path changes state, and serves\n"
	  "OpenMetrics on GET /metrics at --listen (default " CLI_WATCH_LISTEN ") or\n"
	  "writes them to --metrics-file for node_exporter's textfile collector.  Its\n"
	  "own container dying is re-created (at most 5 times, then exit 69); yours\n"
	  "dying is reported and watching goes on.  docs/monitoring.md has a scrape\n"
	  "config.\n",
	  "  0   --count cycles done and the last one was as expected\n"
	  "  1   --count cycles done and in the last one a path was not\n"
	  "  64  usage error (an --interval below 1s too)\n"
	  "  69  engine unreachable or unusable, or the test container died too often\n"
	  "  70  internal error\n"
	  "  73  --json or --metrics-file cannot be written, or --listen cannot bind\n"
	  "  77  a privilege that a requested step needs is missing\n"
	  "  129/130/143  stopped by SIGHUP/SIGINT/SIGTERM (after cleanup)\n" },
	{ "help", CLI_HELP, NC_CMD_HELP, "help [COMMAND]", "this help, or a command's",
	  "Prints the help of COMMAND, or the list of commands.\n", EXIT_CODES_HELP },
	{ "version", CLI_VERSION, NC_CMD_HELP, "version", "netcheck's version",
	  "Prints netcheck's version, the versions of the libraries it runs with\n"
	  "(libuv, libpcap, jansson, libcurl, libnftables) and the features it was\n"
	  "built with (+nftables: the firewall ruleset is read; +tls: tcp:// engines\n"
	  "with TLS).\n", EXIT_CODES_HELP },
	{ "paths", CLI_PATHS, NC_CMD_HELP, "paths [--json]", "every kind of path, one line each",
	  "Lists every kind of path netcheck probes, each with what it is in one\n"
	  "line: the names reports, --expect and JUnit use.  With --json, a JSON\n"
	  "array of {\"name\", \"meaning\"}.\n", EXIT_CODES_HELP },
	{ "explain", CLI_EXPLAIN, NC_CMD_HELP, "explain [CODE]", "what a diagnosis code means",
	  "Prints what diagnosis CODE (a report's note; diagnosis.code in the JSON)\n"
	  "means, in one line; a path's name (see netcheck paths) too.  Without\n"
	  "CODE, every diagnosis code.  docs/diagnosis.md says, per code, what\n"
	  "netcheck observes to say it and how to fix it.\n",
	  "  0   printed\n"
	  "  64  usage error, or no such code\n" },
};
const cli_option_t cli_options[] = {
	/* global: every command that talks to an engine */
	{ "host", 'H', 'H', required_argument, EVERY_COMMAND, "URL",
	  "engine: unix:///path, tcp://host:port or\n"
	  "ssh://[user@]host[:port]\n"
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
	{ "help", 'h', 'h', no_argument, EVERY_COMMAND | OFFLINE_COMMANDS, NULL, "this help" },
	{ "version", 'V', 'V', no_argument, EVERY_COMMAND | OFFLINE_COMMANDS, NULL, "print the version" },

	{ "image", 0, OPT_IMAGE, required_argument, RUN | WATCH, "IMG",
	  "run IMG instead of netcheck's responder\n(needs --port)" },
	{ "port", 0, OPT_PORT, required_argument, RUN | WATCH, "N", "container port the image listens on (default 80)" },
	{ "port", 0, OPT_PORT, required_argument, PROBE, "N",
	  "a container port to probe; repeat for several\n(at most 16; default: every published one)" },
	{ "project", 0, OPT_PROJECT, required_argument, PROBE | WATCH, "NAME",
	  "every running container of Compose project\nNAME instead of CONTAINER: a section per\nservice" },
	{ "to", 0, OPT_TO, required_argument, PROBE, "B[:PORT]",
	  "the paths from CONTAINER to container B (by\naddress and by name) instead, through a\nhelper in CONTAINER's network namespace;\nPORT: B's, default its first TCP port" },
	{ "port", 0, OPT_PORT, required_argument, CAPTURE, "N",
	  "the container port whose published port to\nwatch (default: the first TCP one published)" },
	{ "host-port", 0, OPT_HOST_PORT, required_argument, RUN | WATCH, "N",
	  "publish on host port N, TCP and UDP (default:\nthe engine picks)" },
	{ "network", 0, OPT_NETWORK, required_argument, RUN | WATCH, "NAME",
	  "attach the test container to Docker network\nNAME (default: the default bridge)" },
	{ "peer", 0, OPT_PEER, no_argument, RUN, NULL,
	  "a second container, for the container-to-\ncontainer paths" },
	{ "http", 0, OPT_HTTP, optional_argument, PROBING, "PATH",
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
	{ "capture-via", 0, OPT_CAPTURE_VIA, required_argument, PROBING, "auto|host|engine",
	  "who captures the engine's side: netcheck here,\n"
	  "or its agent started through the engine (auto:\nthe agent where this host cannot)" },
	{ "no-capture", 0, OPT_NO_CAPTURE, no_argument, PROBING, NULL, "do not capture packets" },
	{ "require-capture", 0, OPT_REQUIRE_CAPTURE, no_argument, PROBING, NULL,
	  "exit 77 when packets cannot be captured" },
	{ "expect", 0, OPT_EXPECT, required_argument, PROBING, "PATH=V,...",
	  "override expectations (PATH: a path name,\n"
	  "a glob, direct or published; V: a verdict or\na mechanism, or a set: nat|proxy)" },
	{ "expect-file", 0, OPT_EXPECT_FILE, required_argument, PROBING, "FILE",
	  "expectations as YAML: expect: {PATH: V}, and\n"
	  "environments: {KIND: {PATH: V}}; --expect\nbeats it" },
	{ "paths", 0, OPT_PATHS, required_argument, PROBING, "GLOB,...",
	  "probe only the paths these globs match (a\n"
	  "path's name or its kind's: netcheck paths)" },
	{ "skip", 0, OPT_SKIP, required_argument, PROBING, "GLOB,...",
	  "leave out the paths these globs match" },
	{ "timeout", 0, OPT_TIMEOUT, required_argument, PROBING, "MS", "per-probe timeout (default 2000)" },
	{ "start-timeout", 0, OPT_START_TIMEOUT, required_argument, RUN | WATCH, "MS",
	  "container start timeout (default 10000)" },
	{ "allow-offhost", 0, OPT_ALLOW_OFFHOST, no_argument, PROBING, NULL,
	  "probe a container IP even when its route\nleaves this host" },

	{ "write", 'w', 'w', required_argument, CAPTURE, "FILE|-",
	  "the pcapng file (default: netcheck-CONTAINER-\n<UTC time>.pcapng); - is standard output" },
	{ "overwrite", 0, OPT_OVERWRITE, no_argument, CAPTURE, NULL, "replace the -w file if it exists" },
	{ "duration", 0, OPT_DURATION, required_argument, CAPTURE, "S",
	  "stop after S seconds (1-86400; default: at\nCtrl-C)" },
	{ "count", 'c', 'c', required_argument, CAPTURE, "COUNT", "stop after COUNT packets (1-1000000000)" },
	{ "snaplen", 's', 's', required_argument, CAPTURE, "SNAPLEN", "bytes kept of each packet (64-262144)" },

	{ "container", 0, OPT_CONTAINER, required_argument, WATCH, "NAME",
	  "watch your running container NAME instead of\nlaunching netcheck's (it is only inspected)" },
	{ "interval", 0, OPT_INTERVAL, required_argument, WATCH, "DUR",
	  "time from one cycle's start to the next: 1s,\n1500ms, 2m (at least 1s)" },
	{ "count", 0, OPT_CYCLES, required_argument, WATCH, "N",
	  "stop after N cycles (1-100000000; default: at\na signal)" },
	{ "listen", 0, OPT_LISTEN, required_argument, WATCH, "ADDR:PORT",
	  "serve GET /metrics there (default " CLI_WATCH_LISTEN ";\n"
	  "IPv6 as [::1]:PORT)" },
	{ "metrics-file", 0, OPT_METRICS_FILE, required_argument, WATCH, "FILE",
	  "write the metrics to FILE after each cycle (a\n"
	  "temporary file renamed; no server unless\n--listen)" },
	{ "json", 0, OPT_JSON, required_argument, WATCH, "FILE|-",
	  "one JSON line per cycle (NDJSON); - is\nstandard output" },
	{ "kept", 0, OPT_KEPT, no_argument, CLI_GC, NULL, "also remove containers kept with run --keep" },

	{ "json", 0, OPT_JSON_LIST, no_argument, CLI_PATHS, NULL, "print them as a JSON array" },
};

_Static_assert(NC_ARRAY_SIZE(cli_options) <= CLI_MAX_OPTIONS, "raise CLI_MAX_OPTIONS");

const size_t cli_n_commands = NC_ARRAY_SIZE(cli_commands);
const size_t cli_n_options = NC_ARRAY_SIZE(cli_options);

const command_t *cli_find_command(const char *name)
{
	for (size_t i = 0; i < NC_ARRAY_SIZE(cli_commands); i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

const cli_option_t *cli_option_for(int id, const command_t *c)
{
	for (size_t i = 0; i < NC_ARRAY_SIZE(cli_options); i++)
		if (cli_options[i].id == id && (cli_options[i].commands & c->bit) != 0)
			return &cli_options[i];
	return NULL;
}

bool cli_option_is_global(const cli_option_t *o)
{
	return (o->commands & EVERY_COMMAND) == EVERY_COMMAND;
}
