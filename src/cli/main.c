/*
 * tansiq — command-line client of a tansiq cell.
 *
 * main: settings (command line > environment > config file), dispatch to the
 * command tables of cmd_*.c, and the top-level help that documents the exit
 * codes. The global options themselves are parsed in cli.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/config.h"
#include "cli/http.h"
#include "cli/witness.h"

static const char main_help_head[] =
	"usage: tansiq [global options] COMMAND [SUBCOMMAND] [options]\n"
	"\n"
	"Command-line client of a tansiq deconfliction and coordination cell.\n"
	"\n"
	"commands:\n";

static const char main_help_tail[] =
	"\n"
	"settings: command-line options win over the environment (TANSIQ_URL, TANSIQ_TOKEN,\n"
	"TANSIQ_TRACK), which wins over the config file $XDG_CONFIG_HOME/tansiq/config\n"
	"(default ~/.config/tansiq/config) with lines 'url = ...', 'token = ...', 'track = ...',\n"
	"'cacert = ...'.\n"
	"\n"
	"Output: human-readable tables by default; --json prints the server's JSON unchanged.\n"
	"Errors go to stderr as 'error: <status> <title>: <detail>' plus field errors.\n"
	"\n"
	"exit codes:\n"
	"  0  success\n"
	"  1  local failure (out of memory, cannot write an output file)\n"
	"  2  usage error (bad option or value, unreadable input file), nothing was sent\n"
	"  3  the server refused the request (HTTP 4xx)\n"
	"  4  server error (HTTP 5xx) or network/TLS failure\n"
	"  5  tansiq verify: a check failed\n"
	"\n"
	"'tansiq COMMAND --help' describes each command.\n";

static const struct group_spec *const group_tables[] = {
	cmd_admin_groups, cmd_track_groups, cmd_comms_groups, cmd_log_groups, cmd_witness_groups,
};

static void main_help(FILE *f)
{
	fputs(main_help_head, f);
	for (size_t t = 0; t < sizeof(group_tables) / sizeof(group_tables[0]); t++) {
		for (const struct group_spec *g = group_tables[t]; g->name; g++) {
			char subs[200] = "";
			for (const struct cmd_spec *c = g->cmds; c->name && c->name[0]; c++) {
				size_t n = strlen(subs);
				snprintf(subs + n, sizeof(subs) - n, "%s%s", n ? "|" : "", c->name);
			}
			fprintf(f, "  %-12s %-48s %s\n", g->name, subs, g->summary);
		}
	}
	fputs("\n", f);
	fputs(cli_global_help, f);
	fputs(main_help_tail, f);
}

static const struct group_spec *find_group(const char *name)
{
	for (size_t t = 0; t < sizeof(group_tables) / sizeof(group_tables[0]); t++)
		for (const struct group_spec *g = group_tables[t]; g->name; g++)
			if (strcmp(g->name, name) == 0)
				return g;
	return NULL;
}

static int run(int argc, char **argv, struct cli_ctx *ctx)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			main_help(stdout);
			return CLI_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			puts("tansiq 0.1.0");
			return CLI_OK;
		}
		int r = cli_global_opt(ctx, argc, argv, &i);
		if (r < 0)
			return CLI_EUSAGE;
		if (r == 0) {
			fprintf(stderr, "error: unknown option %s (see tansiq --help)\n", argv[i]);
			return CLI_EUSAGE;
		}
	}
	if (i >= argc) {
		main_help(stderr);
		return CLI_EUSAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		main_help(stdout);
		return CLI_OK;
	}
	const struct group_spec *g = find_group(argv[i]);
	if (!g) {
		fprintf(stderr, "error: unknown command '%s' (see tansiq --help)\n", argv[i]);
		return CLI_EUSAGE;
	}
	const struct cmd_spec *c = g->cmds;
	if (c->name[0] == '\0') {
		/* The group is itself the command (health, check, watch, ...). */
	} else {
		i++;
		if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cmd_group_help(i >= argc ? stderr : stdout, g);
			return i >= argc ? CLI_EUSAGE : CLI_OK;
		}
		for (; c->name && strcmp(c->name, argv[i]) != 0; c++)
			;
		if (!c->name) {
			fprintf(stderr, "error: unknown command '%s %s' (see tansiq %s --help)\n", g->name,
				argv[i], g->name);
			return CLI_EUSAGE;
		}
	}
	if (c->run)
		return c->run(ctx, g, c, argc - i, argv + i);
	return cmd_run(ctx, g, c, argc - i, argv + i);
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = {.url = CLI_DEFAULT_URL, .timeout_s = 60};
	struct config cfg;
	int ret;

	if (sodium_init() < 0) {
		fprintf(stderr, "error: libsodium failed to initialise\n");
		return CLI_ELOCAL;
	}
	if (config_load(&cfg) != 0) {
		config_free(&cfg);
		return CLI_EUSAGE;
	}
	/* Lowest precedence first: config, then environment; options override later. */
	if (cfg.url)
		ctx.url = cfg.url;
	if (cfg.token)
		ctx.token = cfg.token;
	if (cfg.track)
		ctx.track = cfg.track;
	if (cfg.cacert)
		ctx.cacert = cfg.cacert;
	const char *e;
	if ((e = getenv("TANSIQ_URL")) && *e)
		ctx.url = e;
	if ((e = getenv("TANSIQ_TOKEN")) && *e)
		ctx.token = e;
	if ((e = getenv("TANSIQ_TRACK")) && *e)
		ctx.track = e;
	http_global_init();
	ret = run(argc, argv, &ctx);
	fflush(stdout);
	if (ferror(stdout) && ret == CLI_OK) {
		fprintf(stderr, "error: cannot write to standard output\n");
		ret = CLI_ELOCAL;
	}
	http_global_cleanup();
	config_free(&cfg);
	return ret;
}
