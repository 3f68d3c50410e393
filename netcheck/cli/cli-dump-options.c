/* The one option table (cli-options.c) printed as data, one line a fact,
 * tab-separated, for tests/cli-drift.py, which holds the man page, both
 * completions and each command's --help against it:
 *   command NAME
 *   option  COMMAND --LONG -S|- ARG|- none|required|optional global|own
 * Built beside netcheck, never installed.  May call: cli-options.c. */
#include <stdio.h>

#include "cli-internal.h"

static const char *has_arg_name(int has_arg)
{
	return has_arg == required_argument ? "required" : has_arg == optional_argument ? "optional" : "none";
}

int main(void)
{
	for (size_t c = 0; c < cli_n_commands; c++)
		printf("command\t%s\n", cli_commands[c].name);
	for (size_t c = 0; c < cli_n_commands; c++) {
		for (size_t i = 0; i < cli_n_options; i++) {
			const cli_option_t *o = &cli_options[i];
			char short_name[3] = { '-', o->short_name, '\0' };

			if ((o->commands & cli_commands[c].bit) == 0)
				continue;
			printf("option\t%s\t--%s\t%s\t%s\t%s\t%s\n", cli_commands[c].name, o->name,
			       o->short_name ? short_name : "-", o->arg ? o->arg : "-", has_arg_name(o->has_arg),
			       cli_option_is_global(o) ? "global" : "own");
		}
	}
	return ferror(stdout) ? 1 : 0;
}
