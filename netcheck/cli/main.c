/* netcheck's main(): reads the command line (cli-parse.c), installs the
 * signal handlers and hands over to the command (cli-commands.c).  The
 * only globals of the program are here: what a signal handler sets. */
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>

#include "cli-internal.h"

static volatile sig_atomic_t arg_interrupted;
static volatile sig_atomic_t arg_signal;

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

int main(int argc, char **argv)
{
	cli_t cli;
	bool done;
	int r;

	memset(&cli, 0, sizeof(cli));
	cli.run.pcap_fd = -1;
	cli.interrupted = &arg_interrupted;
	cli.signal_received = &arg_signal;
	r = cli_parse_args(argc, argv, &cli, &done);
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
	switch (cli.command->bit) {
	case CLI_GC: return cli_cmd_gc(&cli);
	case CLI_ENGINES: return cli_cmd_engines(&cli);
	case CLI_CAPTURE: return cli_cmd_capture(&cli);
	case CLI_WATCH: return cli_cmd_watch(&cli);
	case CLI_PATHS: return cli_cmd_paths(&cli);
	case CLI_EXPLAIN: return cli_cmd_explain(&cli);
	default: return cli_cmd_run(&cli);
	}
}
