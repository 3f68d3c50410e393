/* Unit tests for the command line's terminal rules (cli-term.c): when
 * to colour, how wide, when to stay ASCII.  Table-driven, no terminal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli-internal.h"

static void test_color(void **state)
{
	static const struct {
		cli_color_t mode;
		bool terminal;
		const char *no_color;
		bool want;
	} cases[] = {
		{ CLI_COLOR_AUTO, true, NULL, true },
		{ CLI_COLOR_AUTO, true, "", true },   /* NO_COLOR= (empty) does not count */
		{ CLI_COLOR_AUTO, true, "1", false },
		{ CLI_COLOR_AUTO, true, "0", false }, /* any non-empty value, even "0" */
		{ CLI_COLOR_AUTO, false, NULL, false },
		{ CLI_COLOR_AUTO, false, "", false },
		{ CLI_COLOR_ALWAYS, false, "1", true },
		{ CLI_COLOR_ALWAYS, true, NULL, true },
		{ CLI_COLOR_NEVER, true, NULL, false },
		{ CLI_COLOR_NEVER, true, "", false },
	};
	cli_color_t m;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(cli_color_wanted(cases[i].mode, cases[i].terminal, cases[i].no_color), cases[i].want);
	assert_int_equal(cli_color_parse(NULL, &m), 0);
	assert_int_equal(m, CLI_COLOR_ALWAYS);
	assert_int_equal(cli_color_parse("auto", &m), 0);
	assert_int_equal(m, CLI_COLOR_AUTO);
	assert_int_equal(cli_color_parse("never", &m), 0);
	assert_int_equal(m, CLI_COLOR_NEVER);
	assert_int_equal(cli_color_parse("always", &m), 0);
	assert_int_equal(m, CLI_COLOR_ALWAYS);
	assert_int_equal(cli_color_parse("yes", &m), -EINVAL);
	assert_int_equal(cli_color_parse("", &m), -EINVAL);
}

static void test_width(void **state)
{
	static const struct {
		int terminal;
		const char *columns;
		unsigned want;
	} cases[] = {
		{ 132, NULL, 132 },
		{ 132, "60", 132 }, /* the terminal wins over COLUMNS */
		{ 5, NULL, 20 },    /* a tiny terminal: clamped */
		{ 5000, NULL, 1000 },
		{ -25, "60", 60 },  /* -ENOTTY */
		{ -25, "20", 20 },
		{ -25, "1000", 1000 },
		{ -25, "19", 80 },
		{ -25, "1001", 80 },
		{ -25, "", 80 },
		{ -25, "60x", 80 },
		{ -25, "-60", 80 },
		{ -25, " 60", 80 },
		{ -25, "99999999999999999999999", 80 },
		{ -25, NULL, 80 },
		{ 0, NULL, 80 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(cli_report_width(cases[i].terminal, cases[i].columns), cases[i].want);
}

static void test_ascii(void **state)
{
	(void)state;
	assert_false(cli_ascii_only("UTF-8"));
	assert_false(cli_ascii_only("utf8"));
	assert_true(cli_ascii_only("ANSI_X3.4-1968")); /* the C locale */
	assert_true(cli_ascii_only("ISO-8859-1"));
	assert_true(cli_ascii_only(""));
	assert_true(cli_ascii_only(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_color),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_ascii),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
