/* Unit tests for the help texts of the command table (cli-options.c): each
 * command's description is a paragraph wrapped by hand, so a line break
 * left in mid-sentence ("...: a\ncycle costs the\nprobes...") reads as a
 * stray break.  Pure: reads the table only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli-internal.h"

/* `netcheck help` prints descriptions as they are, in 80 columns */
#define HELP_WIDTH 78
/* a line this short that does not end a sentence, a clause or a list
 * item, with text going on under it, was broken by mistake */
#define SHORT_LINE 50

static void test_descriptions_wrapped(void **state)
{
	(void)state;
	for (size_t c = 0; c < cli_n_commands; c++) {
		const char *text = cli_commands[c].description;

		while (*text != '\0') {
			size_t len = strcspn(text, "\n");
			const char *next = text[len] == '\n' ? text + len + 1 : text + len;

			if (len > HELP_WIDTH)
				fail_msg("help %s: a line of %zu columns: %.*s", cli_commands[c].name, len, (int)len, text);
			if (len > 0 && len < SHORT_LINE && strchr(".:", text[len - 1]) == NULL && text[0] != ' ' &&
			    *next != '\0' && *next != '\n' && *next != ' ')
				fail_msg("help %s: a line broken in mid-sentence: \"%.*s\"", cli_commands[c].name, (int)len,
					 text);
			text = next;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptions_wrapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
