/*
 * cmd_log — the tamper-evident log (raw views), the live stream and verify.
 */
#include "cli/cmd.h"
#include "cli/sse.h"
#include "cli/verify.h"

#define END_OPTS {NULL, NULL, 0, 0, NULL}
#define END_CMDS {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL}

static const struct table_col entry_cols[] = {
	{"INDEX", "index"}, {"EVENT", "event.type"}, {"LEAF HASH", "leaf_hash"}, {NULL, NULL},
};

static const struct opt_spec entries_opts[] = {
	{"--from", "from", OT_INT, OPT_QUERY, "first index (inclusive)"},
	{"--to", "to", OT_INT, OPT_QUERY, "last index (exclusive)"},
	END_OPTS,
};

static const struct cmd_spec log_cmds[] = {
	{"checkpoint", "GET", "/v1/log/checkpoint", CMD_RAW, NULL, NULL,
	 "Print the signed checkpoint (C2SP signed note) as sent.", NULL, NULL},
	{"key", "GET", "/v1/log/key", 0, NULL, NULL, "Show the log's verifier key (vkey).", NULL, NULL},
	{"entries", "GET", "/v1/log/entries", CMD_LIST, entries_opts, entry_cols,
	 "List the log entries you may see.", NULL, NULL},
	END_CMDS,
};

static const struct opt_spec watch_help_opts[] = {
	{"--after", "", OT_INT, 0, "replay every event after this log index, then follow"},
	{"--count", "", OT_INT, 0, "stop after this many events"},
	{"--all-tracks", "", OT_FLAG, 0, "follow /v1/events even when a track is set"},
	{"--once", "", OT_FLAG, 0, "do not reconnect when the connection drops"},
	END_OPTS,
};

static const struct cmd_spec watch_cmds[] = {
	{"", "GET", "/v1/events", CMD_TRACKOPT, watch_help_opts, NULL,
	 "Follow live events: of one track with -t TRACK, else of all your tracks.",
	 "Prints 'ID  TYPE  DATA' per event (--json: one JSON object per line with id, event, data).\n"
	 "After a dropped connection it reconnects with Last-Event-ID: no event is lost or repeated.",
	 sse_cmd_watch},
	END_CMDS,
};

static const struct opt_spec verify_help_opts[] = {
	{"--witness", "", OT_STRS, 0, "VKEY of a witness whose cosignature counts toward the quorum"},
	{"--quorum", "", OT_INT, 0, "valid cosignatures required (default: one per --witness)"},
	END_OPTS,
};

static const struct cmd_spec verify_cmds[] = {
	{"", "GET", "/v1/log/checkpoint", 0, verify_help_opts, NULL,
	 "Verify the log: signature, your entries, their inclusion, consistency with saved checkpoints.",
	 VERIFY_HELP, verify_cmd},
	END_CMDS,
};

const struct group_spec cmd_log_groups[] = {
	{"log", "tamper-evident log: checkpoint, key, entries", log_cmds},
	{"watch", "follow live events (SSE)", watch_cmds},
	{"verify", "verify the log (exit 5 on any mismatch)", verify_cmds},
	{NULL, NULL, NULL},
};
