/* Help and version, printed from the one table (cli-options.c): a
 * command's help lists exactly the options it accepts.  May call:
 * nothing but stdio. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <uv.h>

#include "cli-internal.h"
#include "netcheck/common.h"

#define HELP_COLUMN 28 /* option texts: at most 52 columns a line, for 80 */

/* "  LEFT      TEXT": TEXT from HELP_COLUMN, its '\n' continuing there. */
static void print_columns(FILE *out, const char *left, const char *text)
{
	if (strlen(left) + 3 > HELP_COLUMN)
		fprintf(out, "  %s\n%*s", left, HELP_COLUMN, "");
	else
		fprintf(out, "  %-*s", HELP_COLUMN - 2, left);
	for (const char *p = text; *p; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fprintf(out, "%*s", HELP_COLUMN, "");
	}
	fputc('\n', out);
}

static void print_option(FILE *out, const cli_option_t *o)
{
	char left[64];
	int n;

	if (o->short_name != 0)
		n = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->name);
	else
		n = snprintf(left, sizeof(left), "    --%s", o->name);
	if (o->arg != NULL && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, o->has_arg == optional_argument ? "[=%s]" : " %s", o->arg);
	print_columns(out, left, o->help);
}

static void print_globals(FILE *out)
{
	for (size_t i = 0; i < cli_n_options; i++)
		if (cli_option_is_global(&cli_options[i]))
			print_option(out, &cli_options[i]);
}

void cli_print_main_help(FILE *out)
{
	fputs("Usage: netcheck [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
	      "       netcheck                  (the same as netcheck run)\n"
	      "\n"
	      "Proves how this host reaches a container: directly by its IP, or only\n"
	      "through a published port that something forwards.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < cli_n_commands; i++) {
		char left[64];
		const char *operands = cli_commands[i].synopsis + strlen(cli_commands[i].name);

		/* "probe CONTAINER": the name and its operands */
		if (strncmp(operands, " [OPTIONS]", strlen(" [OPTIONS]")) == 0)
			operands += strlen(" [OPTIONS]");
		snprintf(left, sizeof(left), "%s%s", cli_commands[i].name, operands);
		print_columns(out, left, cli_commands[i].summary);
	}
	fputs("\nGlobal options (every command; before or after it):\n", out);
	print_globals(out);
	fputs("\n"
	      "'netcheck COMMAND --help' or 'netcheck help COMMAND': a command's options.\n"
	      "\n"
	      "Exit codes:\n"
	      "  0   every path behaved as expected (run, probe); the command did its work\n"
	      "  1   at least one path did not\n"
	      "  64  usage error; no such container (probe, capture)\n"
	      "  69  engine unreachable or unusable\n"
	      "  70  internal error\n"
	      "  73  an output file cannot be created\n"
	      "  77  a privilege that a requested step needs is missing\n"
	      "  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM (after cleanup)\n"
	      "  (netcheck capture: Ctrl-C is its normal end, exit 0)\n", out);
}

/* Exactly the options c accepts: its own, then the global ones (help and
 * version take no global option but -h and -V, listed as their own). */
void cli_print_command_help(FILE *out, const command_t *c)
{
	bool any = false, globals = (c->bit & EVERY_COMMAND) != 0;

	fprintf(out, "Usage: netcheck %s\n\n%s", c->synopsis, c->description);
	for (size_t i = 0; i < cli_n_options; i++) {
		if ((globals && cli_option_is_global(&cli_options[i])) || (cli_options[i].commands & c->bit) == 0)
			continue;
		if (!any)
			fprintf(out, "\n%s options:\n", c->name);
		any = true;
		print_option(out, &cli_options[i]);
	}
	if (globals) {
		fputs("\nGlobal options:\n", out);
		print_globals(out);
	}
	fprintf(out, "\nExit codes:\n%s", c->exit_codes);
}

/* The libraries as loaded (a bug report needs those, not the headers'),
 * and what this build was made with. */
void cli_print_version(FILE *out)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
	const char *pcap = pcap_lib_version();

	if (strncmp(pcap, "libpcap version ", strlen("libpcap version ")) == 0)
		pcap += strlen("libpcap version ");
	fprintf(out, "netcheck %s\n", NC_VERSION);
	fprintf(out, "libraries: libuv %s, libpcap %s, jansson %s, libcurl %s%s%s%s", uv_version_string(), pcap,
		jansson_version_str(), curl->version, curl->ssl_version ? " (" : "",
		curl->ssl_version ? curl->ssl_version : "", curl->ssl_version ? ")" : "");
#ifdef NC_NFTABLES_VERSION
	fprintf(out, ", libnftables %s", NC_NFTABLES_VERSION);
#endif
	fputs("\nfeatures:", out);
#ifdef NC_HAVE_NFTABLES
	fputs(" +nftables", out); /* the firewall ruleset, for published-remote's diagnoses */
#else
	fputs(" -nftables", out);
#endif
	fputs((curl->features & CURL_VERSION_SSL) != 0 ? " +tls" : " -tls", out); /* tcp:// engines with TLS */
	fputc('\n', out);
}
