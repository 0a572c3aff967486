/*
 * cmd_admin — cell administration: health, parties, users, tracks.
 */
#include "cli/cmd.h"

static const struct cmd_spec health_cmds[] = {
	{"", "GET", "/v1/health", 0, NULL, NULL, "Show the server's health (no token needed).", NULL, NULL},
	{NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

static const struct table_col party_cols[] = {{"ID", "id"}, {"NAME", "name"}, {NULL, NULL}};

static const struct opt_spec party_add_opts[] = {
	{"--id", "id", OT_STR, OPT_REQ, "party id, upper case [A-Z0-9]{2,8}"},
	{"--name", "name", OT_STR, OPT_REQ, "display name"},
	{"--public-key", "public_key", OT_STR, 0, "base64 Ed25519 public key"},
	{NULL, NULL, 0, 0, NULL},
};

static const struct cmd_spec party_cmds[] = {
	{"list", "GET", "/v1/parties", CMD_LIST, NULL, party_cols, "List the parties of the cell.", NULL, NULL},
	{"show", "GET", "/v1/parties/{id}", CMD_ID, NULL, NULL, "Show one party.", NULL, NULL},
	{"add", "POST", "/v1/parties", 0, party_add_opts, NULL, "Add a party (cell admin).", NULL, NULL},
	{NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

static const struct opt_spec user_add_opts[] = {
	{"--name", "name", OT_STR, OPT_REQ, "user name"},
	{"--party", "party", OT_STR, OPT_REQ, "the party the user acts for"},
	{"--role", "role", OT_STR, OPT_REQ, "operator|viewer"},
	{NULL, NULL, 0, 0, NULL},
};

static const struct cmd_spec user_cmds[] = {
	{"add", "POST", "/v1/users", 0, user_add_opts, NULL,
	 "Add a user (cell admin); prints its token, which is shown only once.", NULL, NULL},
	{"delete", "DELETE", "/v1/users/{id}", CMD_ID, NULL, NULL,
	 "Delete a user; its tokens stop working at once.", NULL, NULL},
	{NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

static const struct table_col track_cols[] = {
	{"ID", "id"}, {"NAME", "name"}, {"MY ROLE", "my_role"}, {"MEMBERS", "members"}, {NULL, NULL},
};

#define TRACK_SETTINGS_OPTS                                                                       \
	{"--separation-m", "settings.separation_m", OT_NUM, 0, "horizontal separation, metres"},    \
	{"--vertical-separation-m", "settings.vertical_separation_m", OT_NUM, 0,                    \
	 "vertical separation, metres"},                                                           \
	{"--time-margin", "settings.time_margin", OT_DUR, 0, "time margin"},                        \
	{"--min-notice", "settings.min_notice", OT_DUR, 0, "minimum notice for activities"},        \
	{"--ack-flash", "settings.ack_deadline.flash", OT_DUR, 0, "ack deadline, flash"},           \
	{"--ack-immediate", "settings.ack_deadline.immediate", OT_DUR, 0, "ack deadline, immediate"}, \
	{"--ack-priority", "settings.ack_deadline.priority", OT_DUR, 0, "ack deadline, priority"},  \
	{"--ack-routine", "settings.ack_deadline.routine", OT_DUR, 0, "ack deadline, routine"},     \
	{"--threat-response", "settings.threat_response", OT_DUR, 0, "threat response deadline"},   \
	{"--dispute-response", "settings.dispute_response", OT_DUR, 0, "dispute response deadline"}, \
	{"--dispute-resolution", "settings.dispute_resolution", OT_DUR, 0,                          \
	 "dispute resolution deadline"},                                                           \
	{"--settings", "settings", OT_JSON, 0, "all settings as one JSON object"}

static const struct opt_spec track_create_opts[] = {
	{"--id", "id", OT_STR, OPT_REQ, "track id [a-z0-9-]{1,32}"},
	{"--name", "name", OT_STR, OPT_REQ, "display name"},
	{"--member", "members", OT_MEMBER, OPT_REQ,
	 "member party and role (principal|mediator|supervisor|host|observer)"},
	TRACK_SETTINGS_OPTS,
	{NULL, NULL, 0, 0, NULL},
};

static const struct opt_spec track_update_opts[] = {
	{"--member", "members", OT_MEMBER, 0, "replace the members: party and role"},
	TRACK_SETTINGS_OPTS,
	{NULL, NULL, 0, 0, NULL},
};

static const struct cmd_spec track_cmds[] = {
	{"list", "GET", "/v1/tracks", CMD_LIST, NULL, track_cols, "List the tracks you belong to.", NULL, NULL},
	{"show", "GET", "/v1/tracks/{id}", CMD_ID, NULL, NULL, "Show one track.", NULL, NULL},
	{"create", "POST", "/v1/tracks", 0, track_create_opts, NULL, "Create a track (cell admin).",
	 "example: tansiq tracks create --id il-sy --name 'Israel-Syria' --member IL:principal \\\n"
	 "           --member SY:principal --member US:supervisor --member RU:mediator",
	 NULL},
	{"update", "PATCH", "/v1/tracks/{id}", CMD_ID, track_update_opts, NULL,
	 "Change a track's settings or members (cell admin).", NULL, NULL},
	{NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

const struct group_spec cmd_admin_groups[] = {
	{"health", "server health", health_cmds},
	{"parties", "parties of the cell", party_cmds},
	{"users", "users and their tokens", user_cmds},
	{"tracks", "coordination tracks", track_cmds},
	{NULL, NULL, NULL},
};
