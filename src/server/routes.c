/*
 * routes — every route table of the API, in matching order, and the hooks
 * that modules with per-track memory register for track changes.
 */
#include "server/api.h"
#include "server/engines.h"
#include "server/sweeper.h"
#include "server/testhooks.h"

const struct route *const http_route_tables[] = {
	api_admin_routes,
	api_log_routes,
	api_session_routes,
	api_hotline_routes, api_events_routes,
	api_threat_routes, api_dispute_routes, api_meeting_routes,
	api_zone_routes, api_deployment_routes, api_activity_routes, api_conflict_routes, api_export_routes,
	testhooks_routes, /* /v1/test/: 404 unless --test-hooks */
	api_static_routes, /* last: the console's files (static.c) */
	NULL,
};

void api_track_changed(struct app *a, const json_t *track)
{
	engines_track_changed(a, track); /* conflict engines: margins after commit */
}

/* Deadline kinds and the module that fires each (see sweeper.h). */
const struct sweeper_kind sweeper_kinds[] = {
	{"threat.respond", api_threat_lapse},
	{"dispute.respond", api_dispute_escalate},
	{"dispute.resolve", api_dispute_escalate},
	{"message.ack", api_hotline_ack_due},
	{"activity.start", api_activity_start}, {"activity.end", api_activity_end},
	{NULL, NULL},
};
