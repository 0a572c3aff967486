/*
 * cli — the global options shared by every sub-command. See cli.h.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cli_global_help[] =
	"global options (anywhere on the line):\n"
	"  --url URL                 server base URL (TANSIQ_URL; default " CLI_DEFAULT_URL ")\n"
	"  --token TOKEN             bearer token (TANSIQ_TOKEN)\n"
	"  -t, --track TRACK         track id for track commands (TANSIQ_TRACK)\n"
	"  --cacert FILE             trust this CA bundle for https (verification is always on)\n"
	"  --json                    print the server's JSON instead of tables\n"
	"  --idempotency-key KEY     send Idempotency-Key on POST\n"
	"  --if-match VERSION        send If-Match on changes\n"
	"  --timeout SECONDS         give up on a request after this long (default 60)\n"
	"  -v, --verbose             show the HTTP exchange (token included!)\n";

static int need_value(int argc, char **argv, int *i, const char **dst)
{
	const char *a = argv[*i];
	const char *eq = strchr(a, '=');
	if (eq) {
		*dst = eq + 1;
		return 1;
	}
	if (*i + 1 >= argc) {
		fprintf(stderr, "error: %s needs a value\n", a);
		return -CLI_EUSAGE;
	}
	*dst = argv[++*i];
	return 1;
}

static int flag_is(const char *a, const char *name)
{
	size_t n = strlen(name);
	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

int cli_global_opt(struct cli_ctx *ctx, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (strcmp(a, "--json") == 0) {
		ctx->json = true;
		return 1;
	}
	if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
		ctx->verbose = true;
		return 1;
	}
	if (flag_is(a, "--url"))
		return need_value(argc, argv, i, &ctx->url);
	if (flag_is(a, "--token"))
		return need_value(argc, argv, i, &ctx->token);
	if (flag_is(a, "--cacert"))
		return need_value(argc, argv, i, &ctx->cacert);
	if (strcmp(a, "-t") == 0 || flag_is(a, "--track"))
		return need_value(argc, argv, i, &ctx->track);
	if (flag_is(a, "--idempotency-key"))
		return need_value(argc, argv, i, &ctx->idem_key);
	if (flag_is(a, "--if-match")) {
		int r = need_value(argc, argv, i, &ctx->if_match);
		if (r > 0 && (strspn(ctx->if_match, "0123456789") != strlen(ctx->if_match) ||
			      !*ctx->if_match || strlen(ctx->if_match) > 18)) {
			fprintf(stderr, "error: --if-match needs a version number\n");
			return -CLI_EUSAGE;
		}
		return r;
	}
	if (flag_is(a, "--timeout")) {
		const char *v;
		char *end;
		int r = need_value(argc, argv, i, &v);
		if (r < 0)
			return r;
		ctx->timeout_s = strtol(v, &end, 10);
		if (*end || ctx->timeout_s < 0 || ctx->timeout_s > 86400) {
			fprintf(stderr, "error: --timeout needs seconds (0..86400)\n");
			return -CLI_EUSAGE;
		}
		return 1;
	}
	return 0;
}

