/*
 * verify — `tansiq verify`. See verify.h.
 */
#include "cli/verify.h"

#include <stdio.h>

int verify_cmd(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
	       int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cmd_help(stderr, g, c);
	fprintf(stderr, "error: verify is not implemented yet\n");
	return CLI_ELOCAL;
}
