/*
 * help — generated help for every command, from the command tables.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"

static const char *metavar(enum opt_type t)
{
	switch (t) {
	case OT_STR: return "TEXT";
	case OT_INT: return "N";
	case OT_NUM: return "X";
	case OT_BOOL: return "yes|no";
	case OT_TIME: return "TIME";
	case OT_DUR: return "DURATION";
	case OT_GEOM: return "FILE|-";
	case OT_POINT: return "LON,LAT";
	case OT_CSV: return "A,B,..";
	case OT_TO: return "all|A,B,..";
	case OT_REF: return "TYPE:ID";
	case OT_MEMBER: return "PARTY:ROLE";
	case OT_STRS: return "TEXT";
	case OT_ACTION: return "OWNER,DUE,TEXT";
	case OT_TEXTFILE: return "FILE|-";
	case OT_JSON: return "JSON|@FILE";
	case OT_FLAG: return NULL;
	}
	return "VALUE";
}

static void opt_line(FILE *f, const char *flag, const char *mv, const char *help)
{
	char left[64];
	snprintf(left, sizeof(left), "%s%s%s", flag, mv ? " " : "", mv ? mv : "");
	if (strlen(left) > 26)
		fprintf(f, "  %s\n  %-26s  %s\n", left, "", help);
	else
		fprintf(f, "  %-26s  %s\n", left, help);
}

static int is_repeatable(enum opt_type t)
{
	return t == OT_REF || t == OT_MEMBER || t == OT_STRS || t == OT_ACTION;
}

void cmd_help(FILE *f, const struct group_spec *g, const struct cmd_spec *c)
{
	char help[256];
	fprintf(f, "usage: tansiq %s%s%s", g->name, c->name[0] ? " " : "", c->name);
	if (c->flags & CMD_ID)
		fputs(" ID", f);
	if (c->flags & CMD_TRACK)
		fputs(" -t TRACK", f);
	else if (c->flags & CMD_TRACKOPT)
		fputs(" [-t TRACK]", f);
	for (const struct opt_spec *o = c->opts; o && o->flag; o++)
		if (o->flags & OPT_REQ)
			fprintf(f, " %s %s", o->flag, metavar(o->type) ? metavar(o->type) : "");
	fputs(" [options]\n\n", f);
	fprintf(f, "%s\n", c->summary);
	if (c->method && c->path)
		fprintf(f, "(%s %s)\n", c->method, c->path);
	fputs("\noptions:\n", f);
	for (const struct opt_spec *o = c->opts; o && o->flag; o++) {
		snprintf(help, sizeof(help), "%s%s%s", o->flags & OPT_REQ ? "(required) " : "", o->help,
			 is_repeatable(o->type) ? " (repeatable)" : "");
		opt_line(f, o->flag, metavar(o->type), help);
	}
	if (!c->run && c->method && (c->method[0] == 'P' || (c->flags & CMD_BODY)))
		opt_line(f, "--data", "JSON|@FILE|-", "body fields as a JSON object; options override them");
	if (c->flags & CMD_LIST) {
		opt_line(f, "--limit", "N", "items per page (server default 100, max 1000)");
		opt_line(f, "--after", "CURSOR", "start after this cursor (the \"next\" of a page)");
		opt_line(f, "--all", NULL, "follow \"next\" and print every page");
	}
	if (c->flags & CMD_RAW)
		opt_line(f, "-o, --output", "FILE", "write the answer to FILE instead of stdout");
	opt_line(f, "-h, --help", NULL, "this help");
	if (c->extra)
		fprintf(f, "\n%s\n", c->extra);
	fputs("\nTIME is RFC 3339 (2026-01-06T09:00:00Z, +03:00 offsets too) or now, now+PT2H, now-P1D.\n"
	      "DURATION is ISO 8601 (PT5M, PT1H, P1D).\n",
	      f);
	fprintf(f, "\n%s", cli_global_help);
}

void cmd_group_help(FILE *f, const struct group_spec *g)
{
	fprintf(f, "usage: tansiq %s COMMAND [options]\n\n%s\n\ncommands:\n", g->name, g->summary);
	for (const struct cmd_spec *c = g->cmds; c->name; c++)
		fprintf(f, "  %-12s  %s\n", c->name, c->summary);
	fprintf(f, "\n'tansiq %s COMMAND --help' describes each command.\n", g->name);
}
