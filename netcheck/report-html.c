/* PLACEHOLDER, replaced at merge by the HTML reporter being written on
 * another branch: just enough for `--html FILE` to link and to write a
 * valid page, the text report inside <pre>.  Reads the result model only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "netcheck/report.h"

int nc_report_html_write(const nc_result_t *r, const nc_report_options_t *opt, FILE *out)
{
	nc_report_options_t plain = { .color = false, .verbose = opt != NULL && opt->verbose,
				      .ascii = opt != NULL && opt->ascii, .width = opt != NULL ? opt->width : 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (mem == NULL)
		return -ENOMEM;
	nc_report_text(r, &plain, mem);
	if (fclose(mem) != 0) {
		free(text);
		return -ENOMEM;
	}
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>netcheck report</title></head>\n"
	      "<body><pre>", out);
	for (size_t i = 0; i < len; i++) {
		switch (text[i]) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		default: fputc(text[i], out); break;
		}
	}
	fputs("</pre></body></html>\n", out);
	free(text);
	return fflush(out) != 0 || ferror(out) ? -EIO : 0;
}
