/* `netcheck paths` and `netcheck explain`: every kind of path and every
 * diagnosis code with its one line, straight from the model's tables of
 * names and meanings (nc_path_kind_meaning(), nc_diag_code_meaning()), so
 * what is listed is what reports print.  May call: model. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli-internal.h"
#include "netcheck/result.h"
#include "netcheck/testing.h"

#define NAME_COLUMN 28

int cli_cmd_paths(const cli_t *cli)
{
	json_t *list;
	int r = 0;

	if (!cli->json_list) {
		for (int k = 0; k < NC_PATH_KIND_COUNT; k++)
			printf("%-*s%s\n", NAME_COLUMN, nc_path_kind_name((nc_path_kind_t)k),
			       nc_path_kind_meaning((nc_path_kind_t)k));
		return nc_exit_code(NC_CMD_HELP, 0, NULL, 0);
	}
	list = json_array();
	for (int k = 0; k < NC_PATH_KIND_COUNT && list != NULL && r == 0; k++)
		r = json_array_append_new(list, json_pack("{s:s, s:s}", "name", nc_path_kind_name((nc_path_kind_t)k),
							  "meaning", nc_path_kind_meaning((nc_path_kind_t)k)));
	if (list == NULL || r != 0 || json_dumpf(list, stdout, JSON_INDENT(2)) != 0 || putchar('\n') == EOF) {
		fprintf(stderr, "netcheck: cannot write the list of paths\n");
		r = nc_exit_code(NC_CMD_HELP, -ENOMEM, NULL, 0);
	}
	json_decref(list);
	return r;
}

int cli_cmd_explain(const cli_t *cli)
{
	nc_diag_code_t code;
	nc_path_kind_t path;

	if (cli->explain == NULL) {
		for (int c = 0; c < NC_DIAG_COUNT; c++)
			if (c != NC_DIAG_NONE)
				printf("%-*s%s\n", NAME_COLUMN, nc_diag_code_name((nc_diag_code_t)c),
				       nc_diag_code_meaning((nc_diag_code_t)c));
	} else if (nc_diag_code_from_name(cli->explain, &code) == 0) {
		printf("%s: %s\n", nc_diag_code_name(code), nc_diag_code_meaning(code));
	} else if (nc_path_kind_from_name(cli->explain, &path) == 0) {
		printf("%s (a path): %s\n", nc_path_kind_name(path), nc_path_kind_meaning(path));
	}
	return nc_exit_code(NC_CMD_HELP, 0, NULL, 0);
}
