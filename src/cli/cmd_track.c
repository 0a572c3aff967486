/*
 * cmd_track — declarations in a track: zones, deployments, activities, the
 * dry-run check, and the conflicts the engine found.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"

#define END_OPTS {NULL, NULL, 0, 0, NULL}
#define END_CMDS {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL}

#define WHERE_OPTS(what)                                                                  \
	{"--status", "status", OT_STR, OPT_QUERY, "only " what " in this status"},      \
	{"--at", "at", OT_TIME, OPT_QUERY, "only " what " valid at this time"},          \
	{"--bbox", "bbox", OT_STR, OPT_QUERY, "only " what " meeting minlon,minlat,maxlon,maxlat"}

/* ---- zones ---- */

static const struct table_col zone_cols[] = {
	{"ID", "id"}, {"KIND", "kind"}, {"NAME", "name"}, {"STATUS", "status"}, {"OWNER", "owner"},
	{"DECLARED BY", "declared_by"}, {"ACCEPTED BY", "accepted_by"}, {NULL, NULL},
};

static const struct opt_spec zone_list_opts[] = {
	{"--kind", "kind", OT_STR, OPT_QUERY, "only zones of this kind"},
	WHERE_OPTS("zones"),
	END_OPTS,
};

#define ZONE_BODY_OPTS(req)                                                                     \
	{"--kind", "kind", OT_STR, req,                                                        \
	 "demilitarized|limitation|influence|base|protected_site|restricted_airspace"},        \
	{"--name", "name", OT_STR, req, "zone name"},                                          \
	{"--geometry", "geometry", OT_GEOM, req, "GeoJSON Polygon or MultiPolygon (file or -)"}, \
	{"--altitude-min", "altitude.min_m", OT_NUM, 0, "lowest altitude, metres AMSL"},       \
	{"--altitude-max", "altitude.max_m", OT_NUM, 0, "highest altitude, metres AMSL"},      \
	{"--from", "valid.from", OT_TIME, 0, "valid from"},                                    \
	{"--until", "valid.until", OT_TIME, 0, "valid until"},                                 \
	{"--owner", "owner", OT_STR, 0, "owning party (default: yours)"},                       \
	{"--troops", "caps.troops", OT_INT, 0, "limitation cap: troops"},                       \
	{"--tanks", "caps.tanks", OT_INT, 0, "limitation cap: tanks"},                          \
	{"--artillery", "caps.artillery", OT_INT, 0, "limitation cap: artillery"},              \
	{"--air-defense", "caps.air_defense", OT_INT, 0, "limitation cap: air defense"}

static const struct opt_spec zone_add_opts[] = {ZONE_BODY_OPTS(OPT_REQ), END_OPTS};

static const struct opt_spec reason_opts[] = {
	{"--reason", "reason", OT_STR, OPT_REQ, "why"},
	END_OPTS,
};

static const struct cmd_spec zone_cmds[] = {
	{"list", "GET", "/v1/tracks/{t}/zones", CMD_TRACK | CMD_LIST, zone_list_opts, zone_cols,
	 "List zones.", NULL, NULL},
	{"show", "GET", "/v1/tracks/{t}/zones/{id}", CMD_TRACK | CMD_ID, NULL, NULL, "Show one zone.", NULL, NULL},
	{"add", "POST", "/v1/tracks/{t}/zones", CMD_TRACK, zone_add_opts, NULL,
	 "Declare a zone; prints it with the conflicts found.",
	 "demilitarized and limitation zones start 'proposed' until every principal accepts.", NULL},
	{"accept", "POST", "/v1/tracks/{t}/zones/{id}/accept", CMD_TRACK | CMD_ID | CMD_BODY, NULL, NULL,
	 "Accept a proposed zone.", NULL, NULL},
	{"reject", "POST", "/v1/tracks/{t}/zones/{id}/reject", CMD_TRACK | CMD_ID | CMD_BODY, reason_opts,
	 NULL, "Reject a proposed zone.", NULL, NULL},
	{"withdraw", "DELETE", "/v1/tracks/{t}/zones/{id}", CMD_TRACK | CMD_ID, NULL, NULL,
	 "Withdraw a zone you declared.", NULL, NULL},
	END_CMDS,
};

/* ---- deployments ---- */

static const struct table_col deployment_cols[] = {
	{"ID", "id"}, {"UNIT", "unit"}, {"STATUS", "status"}, {"STRENGTH", "strength"},
	{"FROM", "valid.from"}, {"UNTIL", "valid.until"}, {"PARTY", "created_by.party"}, {NULL, NULL},
};

static const struct opt_spec deployment_list_opts[] = {WHERE_OPTS("deployments"), END_OPTS};

#define DEPLOYMENT_BODY_OPTS(req)                                                               \
	{"--unit", "unit", OT_STR, req, "unit name"},                                          \
	{"--geometry", "geometry", OT_GEOM, 0, "GeoJSON Point or Polygon (file or -)"},        \
	{"--point", "geometry", OT_POINT, 0, "a Point instead of --geometry"},                  \
	{"--radius-m", "radius_m", OT_NUM, 0, "radius around a Point, metres"},                 \
	{"--troops", "strength.troops", OT_INT, 0, "troops"},                                   \
	{"--tanks", "strength.tanks", OT_INT, 0, "tanks"},                                      \
	{"--artillery", "strength.artillery", OT_INT, 0, "artillery pieces"},                   \
	{"--air-defense", "strength.air_defense", OT_INT, 0, "air defense systems"},            \
	{"--from", "valid.from", OT_TIME, req, "valid from"},                                   \
	{"--until", "valid.until", OT_TIME, 0, "valid until"}

static const struct opt_spec deployment_add_opts[] = {DEPLOYMENT_BODY_OPTS(OPT_REQ), END_OPTS};
static const struct opt_spec deployment_update_opts[] = {DEPLOYMENT_BODY_OPTS(0), END_OPTS};

static const struct cmd_spec deployment_cmds[] = {
	{"list", "GET", "/v1/tracks/{t}/deployments", CMD_TRACK | CMD_LIST, deployment_list_opts,
	 deployment_cols, "List deployments.", NULL, NULL},
	{"show", "GET", "/v1/tracks/{t}/deployments/{id}", CMD_TRACK | CMD_ID, NULL, NULL,
	 "Show one deployment.", NULL, NULL},
	{"add", "POST", "/v1/tracks/{t}/deployments", CMD_TRACK, deployment_add_opts, NULL,
	 "Declare a deployment (--geometry or --point); prints the conflicts found.", NULL, NULL},
	{"update", "PATCH", "/v1/tracks/{t}/deployments/{id}", CMD_TRACK | CMD_ID, deployment_update_opts,
	 NULL, "Change a deployment; it is checked again.", NULL, NULL},
	{"withdraw", "DELETE", "/v1/tracks/{t}/deployments/{id}", CMD_TRACK | CMD_ID, NULL, NULL,
	 "Withdraw a deployment you declared.", NULL, NULL},
	END_CMDS,
};

/* ---- activities ---- */

static const struct table_col activity_cols[] = {
	{"ID", "id"}, {"KIND", "kind"}, {"STATUS", "status"}, {"START", "window.start"},
	{"END", "window.end"}, {"PARTY", "created_by.party"}, {"SHORT NOTICE", "short_notice"},
	{NULL, NULL},
};

static const struct opt_spec activity_list_opts[] = {WHERE_OPTS("activities"), END_OPTS};

#define ACTIVITY_BODY_OPTS(req)                                                                    \
	{"--kind", "kind", OT_STR, req, "air_sortie|strike|uav|ground_movement|naval|exercise"},  \
	{"--geometry", "geometry", OT_GEOM, 0, "GeoJSON Polygon, LineString or Point (file or -)"}, \
	{"--point", "geometry", OT_POINT, 0, "a Point instead of --geometry"},                     \
	{"--width-m", "width_m", OT_NUM, 0, "corridor width for a LineString, metres"},            \
	{"--radius-m", "radius_m", OT_NUM, 0, "radius around a Point, metres"},                    \
	{"--altitude-min", "altitude.min_m", OT_NUM, req, "lowest altitude, metres AMSL"},        \
	{"--altitude-max", "altitude.max_m", OT_NUM, req, "highest altitude, metres AMSL"},       \
	{"--start", "window.start", OT_TIME, req, "start of the window"},                         \
	{"--end", "window.end", OT_TIME, req, "end of the window"},                               \
	{"--description", "description", OT_STR, 0, "free text"}

static const struct opt_spec activity_add_opts[] = {ACTIVITY_BODY_OPTS(OPT_REQ), END_OPTS};
static const struct opt_spec activity_update_opts[] = {ACTIVITY_BODY_OPTS(0), END_OPTS};

static const struct cmd_spec activity_cmds[] = {
	{"list", "GET", "/v1/tracks/{t}/activities", CMD_TRACK | CMD_LIST, activity_list_opts,
	 activity_cols, "List activities.", NULL, NULL},
	{"show", "GET", "/v1/tracks/{t}/activities/{id}", CMD_TRACK | CMD_ID, NULL, NULL,
	 "Show one activity.", NULL, NULL},
	{"notify", "POST", "/v1/tracks/{t}/activities", CMD_TRACK, activity_add_opts, NULL,
	 "Notify a planned activity; prints the conflicts found.",
	 "example: tansiq activities notify -t il-sy --kind uav --point 35.82,33.13 --radius-m 3000 \\\n"
	 "           --altitude-min 0 --altitude-max 3000 --start now+PT2H --end now+PT4H",
	 NULL},
	{"update", "PATCH", "/v1/tracks/{t}/activities/{id}", CMD_TRACK | CMD_ID, activity_update_opts,
	 NULL, "Change geometry, altitude, window or description; checked again.", NULL, NULL},
	{"cancel", "POST", "/v1/tracks/{t}/activities/{id}/cancel", CMD_TRACK | CMD_ID | CMD_BODY, NULL,
	 NULL, "Cancel an activity you notified.", NULL, NULL},
	{"ack", "POST", "/v1/tracks/{t}/activities/{id}/acknowledge", CMD_TRACK | CMD_ID | CMD_BODY, NULL,
	 NULL, "Acknowledge receipt of another principal's activity.", NULL, NULL},
	END_CMDS,
};

/* ---- check: the body of a zone, deployment or activity, plus "type" ---- */

static int run_check(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
		     int argc, char **argv);

static const struct opt_spec check_help_opts[] = {
	{"--type", "type", OT_STR, OPT_REQ, "zone|deployment|activity, then that command's options"},
	END_OPTS,
};

#define CHECK_SPEC(opts) {"", "POST", "/v1/tracks/{t}/check", CMD_TRACK, opts, NULL, \
	"Dry-run conflict check: nothing is stored.", NULL, NULL}

static const struct opt_spec check_zone_opts[] = {
	{"--type", "type", OT_STR, OPT_REQ, "zone"}, ZONE_BODY_OPTS(0), END_OPTS};
static const struct opt_spec check_deployment_opts[] = {
	{"--type", "type", OT_STR, OPT_REQ, "deployment"}, DEPLOYMENT_BODY_OPTS(0), END_OPTS};
static const struct opt_spec check_activity_opts[] = {
	{"--type", "type", OT_STR, OPT_REQ, "activity"}, ACTIVITY_BODY_OPTS(0), END_OPTS};

static const struct cmd_spec check_variants[] = {
	CHECK_SPEC(check_zone_opts), CHECK_SPEC(check_deployment_opts), CHECK_SPEC(check_activity_opts),
};

static const struct cmd_spec check_cmds[] = {
	{"", "POST", "/v1/tracks/{t}/check", CMD_TRACK, check_help_opts, NULL,
	 "Dry-run conflict check of a zone, deployment or activity: nothing is stored.",
	 "'tansiq check --type zone --help' lists the options for one type.", run_check},
	END_CMDS,
};

static int run_check(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
		     int argc, char **argv)
{
	static const char *const types[] = {"zone", "deployment", "activity"};
	const char *type = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--type") == 0 && i + 1 < argc)
			type = argv[i + 1];
		else if (strncmp(argv[i], "--type=", 7) == 0)
			type = argv[i] + 7;
	}
	if (!type) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				cmd_help(stdout, g, c);
				return CLI_OK;
			}
		}
		fprintf(stderr, "error: check needs --type zone|deployment|activity\n");
		return CLI_EUSAGE;
	}
	for (size_t k = 0; k < 3; k++)
		if (strcmp(type, types[k]) == 0)
			return cmd_run(ctx, g, &check_variants[k], argc, argv);
	fprintf(stderr, "error: --type: '%s' is not zone, deployment or activity\n", type);
	return CLI_EUSAGE;
}

/* ---- conflicts ---- */

static const struct opt_spec conflict_list_opts[] = {
	{"--status", "status", OT_STR, OPT_QUERY, "open|acknowledged|resolved"},
	{"--kind", "kind", OT_STR, OPT_QUERY, "only this kind"},
	{"--party", "party", OT_STR, OPT_QUERY, "only conflicts affecting this party"},
	END_OPTS,
};

static const struct opt_spec conflict_resolve_opts[] = {
	{"--resolution", "resolution", OT_STR, OPT_REQ, "how it was resolved, e.g. waived"},
	{"--note", "note", OT_STR, 0, "why"},
	END_OPTS,
};

static const struct cmd_spec conflict_cmds[] = {
	{"list", "GET", "/v1/tracks/{t}/conflicts", CMD_TRACK | CMD_LIST, conflict_list_opts,
	 table_conflict_cols, "List conflicts.", NULL, NULL},
	{"show", "GET", "/v1/tracks/{t}/conflicts/{id}", CMD_TRACK | CMD_ID, NULL, NULL,
	 "Show one conflict.", NULL, NULL},
	{"ack", "POST", "/v1/tracks/{t}/conflicts/{id}/acknowledge", CMD_TRACK | CMD_ID | CMD_BODY, NULL,
	 NULL, "Acknowledge a conflict affecting your party.", NULL, NULL},
	{"consent", "POST", "/v1/tracks/{t}/conflicts/{id}/consent", CMD_TRACK | CMD_ID | CMD_BODY, NULL,
	 NULL, "Consent to an entry into your influence zone (resolves the conflict).", NULL, NULL},
	{"resolve", "POST", "/v1/tracks/{t}/conflicts/{id}/resolve", CMD_TRACK | CMD_ID | CMD_BODY,
	 conflict_resolve_opts, NULL, "Resolve a conflict (mediator or supervisor).",
	 NULL, NULL},
	END_CMDS,
};

const struct group_spec cmd_track_groups[] = {
	{"zones", "declared zones", zone_cmds},
	{"deployments", "force deployments", deployment_cmds},
	{"activities", "notified activities", activity_cmds},
	{"check", "dry-run conflict check", check_cmds},
	{"conflicts", "conflicts found by the engine", conflict_cmds},
	{NULL, NULL, NULL},
};
