/* Fuzz target: the command line (cli_parse_args in netcheck/cli/cli-parse.c).
 *
 * netcheck/cli/ is compiled into this program with -Dmain=netcheck_main and
 * -DNC_FUZZING; under NC_FUZZING main() returns right after parse_args(),
 * so no engine is ever looked for or contacted, no signal handler is
 * installed and no file is created.
 *
 * Input: the arguments after argv[0], separated by NUL bytes (at most
 * MAX_ARGS of them), each a separate heap string so ASan sees any read
 * past one.  The exit code must be 0 or NC_EXIT_USAGE (64). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcheck/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int netcheck_main(int argc, char **argv);

#define MAX_ARGS 64

/* glibc's getopt keeps its place inside a cluster of short options
 * ("-vh" stopped at h) between calls; main.c parses once per process and
 * only resets optind to 1, so start every run from a clean state. */
static void reset_getopt(void)
{
	char arg0[] = "netcheck";
	char *argv[] = { arg0, NULL };

	optind = 0; /* glibc: reinitialise everything */
	opterr = 0;
	(void)getopt(1, argv, "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0, r;
	size_t pos = 0;

	argv[argc++] = strdup("netcheck");
	while (pos < size && argc <= MAX_ARGS) {
		const uint8_t *nul = memchr(data + pos, '\0', size - pos);
		size_t n = nul ? (size_t)(nul - (data + pos)) : size - pos;

		argv[argc] = malloc(n + 1);
		if (argv[argc] == NULL)
			abort();
		memcpy(argv[argc], data + pos, n);
		argv[argc++][n] = '\0';
		pos += n + 1;
	}
	argv[argc] = NULL;

	reset_getopt();
	r = netcheck_main(argc, argv);
	if (r != 0 && r != NC_EXIT_USAGE)
		abort();

	/* getopt_long permutes argv: free what is there now (same set) */
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}
