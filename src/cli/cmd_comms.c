/*
 * cmd_comms — talking across a track: hotline messages, threat referrals,
 * disputes, meetings and their action items, the calendar and the map export.
 */
#include "cli/cmd.h"

#define END_OPTS {NULL, NULL, 0, 0, NULL}
#define END_CMDS {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL}
#define T_ID (CMD_TRACK | CMD_ID)
#define T_ACT (CMD_TRACK | CMD_ID | CMD_BODY)

/* ---- hotline ---- */

static const struct table_col msg_cols[] = {
	{"SEQ", "seq"}, {"ID", "id"}, {"FROM", "created_by.party"}, {"TO", "to"},
	{"PRECEDENCE", "precedence"}, {"SUBJECT", "subject"}, {"ACK DUE", "ack_due"},
	{"ESCALATED", "escalated"}, {NULL, NULL},
};

static const struct opt_spec msg_send_opts[] = {
	{"--to", "to", OT_TO, OPT_REQ, "all, or the addressed parties"},
	{"--precedence", "precedence", OT_STR, OPT_REQ, "routine|priority|immediate|flash"},
	{"--subject", "subject", OT_STR, OPT_REQ, "subject line"},
	{"--body", "body", OT_STR, OPT_REQ, "message text (or --body-file)"},
	{"--body-file", "body", OT_TEXTFILE, 0, "read the message text from FILE or - (byte-exact)"},
	{"--ref", "refs", OT_REF, 0, "reference to an object, e.g. activity:act_01J..."},
	{"--ack-required", "ack_required", OT_BOOL, 0,
	 "ask addressees to acknowledge (default yes for immediate and flash)"},
	END_OPTS,
};

static const struct opt_spec msg_list_opts[] = {
	{"--after-seq", "after_seq", OT_INT, OPT_QUERY, "only messages after this sequence number"},
	END_OPTS,
};

static const struct cmd_spec msg_cmds[] = {
	{"send", "POST", "/v1/tracks/{t}/messages", CMD_TRACK, msg_send_opts, NULL,
	 "Send a hotline message.", NULL, NULL},
	{"ack", "POST", "/v1/tracks/{t}/messages/{id}/ack", T_ACT, NULL, NULL,
	 "Acknowledge a message addressed to your party.", NULL, NULL},
	{"list", "GET", "/v1/tracks/{t}/messages", CMD_TRACK | CMD_LIST, msg_list_opts, msg_cols,
	 "List the messages you may see, in order.", NULL, NULL},
	{"show", "GET", "/v1/tracks/{t}/messages/{id}", T_ID, NULL, NULL, "Show one message.", NULL, NULL},
	END_CMDS,
};

/* ---- threats ---- */

static const struct table_col threat_cols[] = {
	{"ID", "id"}, {"CATEGORY", "category"}, {"CONFIDENCE", "confidence"}, {"FROM", "created_by.party"},
	{"REFER TO", "refer_to"}, {"STATUS", "status"}, {"RESPOND BY", "respond_by"}, {NULL, NULL},
};

static const struct opt_spec threat_list_opts[] = {
	{"--status", "status", OT_STR, OPT_QUERY, "only threats in this status"},
	END_OPTS,
};

static const struct opt_spec threat_report_opts[] = {
	{"--category", "category", OT_STR, OPT_REQ, "what kind of threat"},
	{"--geometry", "geometry", OT_GEOM, OPT_REQ, "where: GeoJSON geometry (file or -), or --point"},
	{"--point", "geometry", OT_POINT, 0, "where: a Point instead of --geometry"},
	{"--observed-at", "observed_at", OT_TIME, OPT_REQ, "when it was observed"},
	{"--description", "description", OT_STR, OPT_REQ, "what was observed"},
	{"--confidence", "confidence", OT_STR, OPT_REQ, "low|medium|high"},
	{"--refer-to", "refer_to", OT_STR, OPT_REQ, "the party able to act"},
	{"--respond-by", "respond_by", OT_TIME, 0, "deadline (default now + threat_response)"},
	END_OPTS,
};

static const struct opt_spec threat_respond_opts[] = {
	{"--action", "action", OT_STR, OPT_REQ, "acknowledged|neutralized|unable|disputed"},
	{"--note", "note", OT_STR, 0, "free text"},
	END_OPTS,
};

static const struct cmd_spec threat_cmds[] = {
	{"list", "GET", "/v1/tracks/{t}/threats", CMD_TRACK | CMD_LIST, threat_list_opts, threat_cols,
	 "List threat reports.", NULL, NULL},
	{"show", "GET", "/v1/tracks/{t}/threats/{id}", T_ID, NULL, NULL, "Show one threat report.", NULL, NULL},
	{"report", "POST", "/v1/tracks/{t}/threats", CMD_TRACK, threat_report_opts, NULL,
	 "Report a threat and refer it to a party.", NULL, NULL},
	{"respond", "POST", "/v1/tracks/{t}/threats/{id}/respond", T_ACT, threat_respond_opts, NULL,
	 "Answer a threat referred to your party.", NULL, NULL},
	END_CMDS,
};

/* ---- disputes ---- */

static const struct table_col dispute_cols[] = {
	{"ID", "id"}, {"FROM", "created_by.party"}, {"AGAINST", "against"}, {"SUBJECT", "subject"},
	{"STATUS", "status"}, {"RESPOND BY", "respond_by"}, {"RESOLVE BY", "resolve_by"},
	{"ESCALATED", "escalated"}, {NULL, NULL},
};

static const struct opt_spec dispute_list_opts[] = {
	{"--status", "status", OT_STR, OPT_QUERY, "only disputes in this status"},
	END_OPTS,
};

static const struct opt_spec dispute_open_opts[] = {
	{"--against", "against", OT_STR, OPT_REQ, "the party complained against"},
	{"--subject", "subject", OT_STR, OPT_REQ, "subject line"},
	{"--description", "description", OT_STR, OPT_REQ, "the complaint"},
	{"--ref", "refs", OT_REF, 0, "reference to an object, e.g. conflict:cfl_01J..."},
	END_OPTS,
};

static const struct opt_spec note_opts[] = {
	{"--note", "note", OT_STR, 0, "free text"},
	END_OPTS,
};

static const struct opt_spec dispute_resolve_opts[] = {
	{"--outcome", "outcome", OT_STR, OPT_REQ, "the outcome"},
	END_OPTS,
};

static const struct cmd_spec dispute_cmds[] = {
	{"list", "GET", "/v1/tracks/{t}/disputes", CMD_TRACK | CMD_LIST, dispute_list_opts, dispute_cols,
	 "List disputes.", NULL, NULL},
	{"show", "GET", "/v1/tracks/{t}/disputes/{id}", T_ID, NULL, NULL, "Show one dispute.", NULL, NULL},
	{"open", "POST", "/v1/tracks/{t}/disputes", CMD_TRACK, dispute_open_opts, NULL,
	 "Open a dispute against another party.", NULL, NULL},
	{"respond", "POST", "/v1/tracks/{t}/disputes/{id}/respond", T_ACT, note_opts, NULL,
	 "Respond to a dispute against your party.", NULL, NULL},
	{"mediate", "POST", "/v1/tracks/{t}/disputes/{id}/mediate", T_ACT, note_opts, NULL,
	 "Take a dispute into mediation (mediator or supervisor).", NULL, NULL},
	{"resolve", "POST", "/v1/tracks/{t}/disputes/{id}/resolve", T_ACT, dispute_resolve_opts, NULL,
	 "Resolve a dispute (mediator or supervisor).", NULL, NULL},
	{"withdraw", "POST", "/v1/tracks/{t}/disputes/{id}/withdraw", T_ACT, NULL, NULL,
	 "Withdraw a dispute you opened.", NULL, NULL},
	END_CMDS,
};

/* ---- meetings ---- */

static const struct table_col meeting_cols[] = {
	{"ID", "id"}, {"START", "start"}, {"END", "end"}, {"VENUE", "venue"}, {"STATUS", "status"},
	{NULL, NULL},
};

static const struct opt_spec meeting_list_opts[] = {
	{"--from", "from", OT_TIME, OPT_QUERY, "occurrences from this time (inclusive)"},
	{"--to", "to", OT_TIME, OPT_QUERY, "occurrences before this time"},
	END_OPTS,
};

static const struct opt_spec series_add_opts[] = {
	{"--title", "title", OT_STR, OPT_REQ, "title"},
	{"--venue", "venue", OT_STR, OPT_REQ, "where"},
	{"--host", "host", OT_STR, OPT_REQ, "host party"},
	{"--start", "start", OT_TIME, OPT_REQ, "first occurrence"},
	{"--duration", "duration", OT_DUR, OPT_REQ, "length of each meeting"},
	{"--rrule", "rrule", OT_STR, OPT_REQ, "RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10"},
	END_OPTS,
};

static const struct opt_spec minutes_opts[] = {
	{"--text", "text", OT_STR, OPT_REQ, "the minutes (or --text-file)"},
	{"--text-file", "text", OT_TEXTFILE, 0, "read the minutes from FILE or -"},
	{"--decision", "decisions", OT_STRS, 0, "a decision taken"},
	{"--action", "actions", OT_ACTION, 0, "an action item: owner party, due time, text"},
	END_OPTS,
};

static const struct cmd_spec meeting_cmds[] = {
	{"list", "GET", "/v1/tracks/{t}/meetings", CMD_TRACK | CMD_LIST, meeting_list_opts, meeting_cols,
	 "List meeting occurrences.", NULL, NULL},
	{"show", "GET", "/v1/tracks/{t}/meetings/{id}", T_ID, NULL, NULL, "Show one occurrence.", NULL, NULL},
	{"series-add", "POST", "/v1/tracks/{t}/meetings/series", CMD_TRACK, series_add_opts, NULL,
	 "Add a recurring meeting series.", NULL, NULL},
	{"agenda", "GET", "/v1/tracks/{t}/meetings/{id}/agenda", T_ID, NULL, NULL,
	 "Show the agenda of an occurrence, built now.", NULL, NULL},
	{"minutes", "POST", "/v1/tracks/{t}/meetings/{id}/minutes", T_ACT, minutes_opts, NULL,
	 "Record the minutes of an occurrence (host or principal).",
	 "example: tansiq meetings minutes 'mtg_01J...:20260106T090000Z' -t tr-il --text 'Met.' \\\n"
	 "           --decision 'Extend the corridor' --action 'TR,2026-01-13T09:00:00Z,Send maps'",
	 NULL},
	END_CMDS,
};

static const struct cmd_spec action_cmds[] = {
	{"done", "POST", "/v1/tracks/{t}/actions/{id}/done", T_ACT, NULL, NULL,
	 "Mark an action item done.", NULL, NULL},
	END_CMDS,
};

static const struct cmd_spec calendar_cmds[] = {
	{"", "GET", "/v1/tracks/{t}/calendar.ics", CMD_TRACK | CMD_RAW, NULL, NULL,
	 "Write the track's meeting calendar (RFC 5545 .ics).", NULL, NULL},
	END_CMDS,
};

static const struct opt_spec export_opts[] = {
	{"--at", "at", OT_TIME, OPT_QUERY, "the state at this time"},
	END_OPTS,
};

static const struct cmd_spec export_cmds[] = {
	{"", "GET", "/v1/tracks/{t}/features.geojson", CMD_TRACK | CMD_RAW, export_opts, NULL,
	 "Write the track's map as one GeoJSON FeatureCollection (for GDAL/QGIS).", NULL, NULL},
	END_CMDS,
};

const struct group_spec cmd_comms_groups[] = {
	{"msg", "hotline messages", msg_cmds},
	{"threats", "threat reports", threat_cmds},
	{"disputes", "disputes between parties", dispute_cmds},
	{"meetings", "meetings, agendas, minutes", meeting_cmds},
	{"actions", "action items from minutes", action_cmds},
	{"calendar", "meeting calendar (.ics)", calendar_cmds},
	{"export", "map export (features.geojson)", export_cmds},
	{NULL, NULL, NULL},
};
