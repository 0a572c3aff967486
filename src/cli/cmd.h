/*
 * cmd — the table-driven sub-command engine.
 *
 * Most sub-commands are one HTTP call: a method, a path template ("{t}" is
 * the track, "{id}" the one positional argument), options that become JSON
 * body fields (dotted paths build nested objects: "window.start") or query
 * parameters, and a way to print the answer. Each group file (cmd_*.c)
 * declares its commands as data; cmd_run() parses, validates locally (times,
 * durations, numbers, GeoJSON) so that mistakes exit 2 before any request,
 * performs the call and prints the result (table, key/value or --json).
 */
#ifndef TQ_CLI_CMD_H
#define TQ_CLI_CMD_H

#include <jansson.h>
#include "cli/cli.h"
#include "cli/table.h"

enum opt_type {
	OT_STR,      /* string */
	OT_INT,      /* integer */
	OT_NUM,      /* finite number */
	OT_BOOL,     /* true|false|yes|no */
	OT_TIME,     /* RFC 3339, or now, now+DURATION, now-DURATION */
	OT_DUR,      /* ISO 8601 duration */
	OT_GEOM,     /* GeoJSON geometry (or Feature) from FILE or - (stdin) */
	OT_POINT,    /* LON,LAT → GeoJSON Point */
	OT_CSV,      /* a,b,c → ["a","b","c"] */
	OT_TO,       /* all | a,b → "all" or ["a","b"] */
	OT_REF,      /* repeatable TYPE:ID → [{"type","id"}] */
	OT_MEMBER,   /* repeatable PARTY:ROLE → [{"party","role"}] */
	OT_STRS,     /* repeatable → ["…", …] */
	OT_ACTION,   /* repeatable OWNER,DUE,TEXT → [{"owner","due","text"}] */
	OT_TEXTFILE, /* contents of FILE or - as a string */
	OT_JSON,     /* a JSON value, or @FILE */
	OT_FLAG,     /* takes no value; sets true */
};

#define OPT_REQ   1u  /* the field must be present (from the option or --data) */
#define OPT_QUERY 2u  /* a query parameter, not a body field */

struct opt_spec {
	const char *flag;    /* "--kind"; NULL ends the list */
	const char *field;   /* body path or query name */
	enum opt_type type;
	unsigned flags;
	const char *help;
};

#define CMD_TRACK  1u   /* the path has {t}: needs a track */
#define CMD_ID     2u   /* the path has {id}: one positional ID */
#define CMD_LIST   4u   /* answer is {items,next}: --limit, --after, --all */
#define CMD_RAW    8u   /* answer is not JSON: written byte-exact, -o FILE */
#define CMD_BODY  16u   /* always send a JSON body ({} when no field is given) */
#define CMD_TRACKOPT 32u /* the track is optional (custom commands) */

struct cmd_spec;
struct group_spec;
/* A custom command: argv[0] is the command's name; returns an exit code. */
typedef int (*cmd_fn)(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
		      int argc, char **argv);

struct cmd_spec {
	const char *name;             /* "add"; "" for a group that is itself the command; NULL ends */
	const char *method;
	const char *path;
	unsigned flags;
	const struct opt_spec *opts;  /* or NULL */
	const struct table_col *cols; /* columns for lists, or NULL */
	const char *summary;
	const char *extra;            /* more help text, or NULL */
	cmd_fn run;                   /* custom implementation, or NULL for the generic one */
};

struct group_spec {
	const char *name;
	const char *summary;
	const struct cmd_spec *cmds;
};

/* Runs command c of group g; argv[0] is the command's name. Returns an exit code. */
int cmd_run(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
	    int argc, char **argv);

/* Prints the help of one command (usage, options, global options). */
void cmd_help(FILE *f, const struct group_spec *g, const struct cmd_spec *c);
/* Prints the commands of a group. */
void cmd_group_help(FILE *f, const struct group_spec *g);

/* Parses a time option (RFC 3339 or now[+-]DURATION) into canonical UTC text
 * (buf >= 32 bytes). Returns 0 or -1 after printing a usage error. */
int cmd_parse_time(const char *flag, const char *v, char *buf);

/* Reads FILE or "-" (stdin) fully, at most cap bytes. Returns owned NUL-terminated
 * text or NULL after printing an error. */
char *cmd_read_input(const char *path, size_t cap, size_t *len);

/* Writes the raw response to stdout (adding a final newline for JSON only
 * when missing). */
void cmd_print_raw(const char *body, size_t len, int add_newline);

/* The groups, defined in the cmd_*.c files, in help order. */
extern const struct group_spec cmd_admin_groups[];   /* health, parties, users, tracks */
extern const struct group_spec cmd_track_groups[];   /* zones … conflicts */
extern const struct group_spec cmd_comms_groups[];   /* msg … export */
extern const struct group_spec cmd_log_groups[];     /* log, watch, verify */

#endif
