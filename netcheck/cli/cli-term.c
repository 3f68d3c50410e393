/* The command line's terminal rules: colour, width, ASCII.  Pure: main.c
 * reads the process state and passes it in.  May call: nothing. */
#include "cli-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_color_parse(const char *value, cli_color_t *ret)
{
	if (value == NULL || strcmp(value, "always") == 0)
		*ret = CLI_COLOR_ALWAYS;
	else if (strcmp(value, "auto") == 0)
		*ret = CLI_COLOR_AUTO;
	else if (strcmp(value, "never") == 0)
		*ret = CLI_COLOR_NEVER;
	else
		return -EINVAL;
	return 0;
}

bool cli_color_wanted(cli_color_t mode, bool is_terminal, const char *no_color)
{
	switch (mode) {
	case CLI_COLOR_ALWAYS: return true;
	case CLI_COLOR_NEVER: return false;
	default: return is_terminal && (no_color == NULL || no_color[0] == '\0');
	}
}

static unsigned clamp_width(long w)
{
	return w < CLI_WIDTH_MIN ? CLI_WIDTH_MIN : w > CLI_WIDTH_MAX ? CLI_WIDTH_MAX : (unsigned)w;
}

unsigned cli_report_width(int terminal_width, const char *columns)
{
	char *end;
	long v;

	if (terminal_width > 0)
		return clamp_width(terminal_width);
	if (columns != NULL && columns[0] >= '0' && columns[0] <= '9') {
		errno = 0;
		v = strtol(columns, &end, 10);
		if (errno == 0 && *end == '\0' && v >= CLI_WIDTH_MIN && v <= CLI_WIDTH_MAX)
			return (unsigned)v;
	}
	return CLI_WIDTH_DEFAULT;
}

bool cli_ascii_only(const char *codeset)
{
	/* glibc says "UTF-8"; some systems "utf8" */
	return codeset == NULL || !(strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0 ||
				    strcmp(codeset, "utf-8") == 0 || strcmp(codeset, "UTF8") == 0);
}
