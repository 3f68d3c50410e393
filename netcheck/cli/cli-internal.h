/* netcheck's command line, the parts main.c shares with its unit test:
 * how the terminal is used (colour, width, ASCII).  Pure functions of
 * what main.c read from the process (isatty, NO_COLOR, COLUMNS, the
 * locale's codeset), so each rule is testable without a terminal. */
#ifndef NETCHECK_CLI_INTERNAL_H
#define NETCHECK_CLI_INTERNAL_H

#include <stdbool.h>

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

#endif
