/*
 * routes — every route table of the API, in matching order, the hooks that
 * modules with per-track memory register for track changes, and the deadline
 * kinds each module handles (registered with the sweeper at start-up).
 */
#include "server/api.h"
#include "server/engines.h"
#include "server/sweeper.h"
#include "server/testhooks.h"

const struct route *const http_route_tables[] = {
	api_admin_routes,
	api_cert_routes, /* api_certs.c: TAK certificates and data packages */
	api_log_routes,
	api_session_routes,
	api_hotline_routes, api_events_routes,
	api_threat_routes, api_dispute_routes, api_meeting_routes,
	api_zone_routes, api_deployment_routes, api_activity_routes, api_conflict_routes, api_export_routes,
	testhooks_routes, /* /v1/test/: 404 unless --test-hooks */
	api_static_routes, /* last: the console's files (static.c) */
	NULL,
};

void api_track_changed(struct app *a, struct commit *c, const json_t *track)
{
	engines_track_changed(a, c, track); /* conflict engines: margins after commit */
}

/* Handlers that still write the store directly run in the batch's open
 * transaction (commit_open) until they stage. */
#define DIRECT(name, fn)                                                                                     \
	static int name(struct commit *c, const struct store_deadline *d)                                   \
	{                                                                                                    \
		int rc = commit_open(c);                                                                     \
		return rc ? rc : fn(commit_app(c), d, commit_now(c));                                        \
	}
DIRECT(threat_lapse, api_threat_lapse)
DIRECT(dispute_escalate, api_dispute_escalate)
DIRECT(hotline_ack_due, api_hotline_ack_due)

int api_deadlines_register(struct app *a)
{
	int rc;
	if ((rc = sweeper_register(a, "threat.respond", threat_lapse)) ||
	    (rc = sweeper_register(a, "dispute.respond", dispute_escalate)) ||
	    (rc = sweeper_register(a, "dispute.resolve", dispute_escalate)) ||
	    (rc = sweeper_register(a, "message.ack", hotline_ack_due)) ||
	    (rc = sweeper_register(a, "activity.start", api_activity_start)) ||
	    (rc = sweeper_register(a, "activity.end", api_activity_end)))
		return rc;
	return TQ_OK;
}
