/*
 * api_zones — declared zones (api.md Zones; Precise rules 7–9, 11).
 *
 * demilitarized and limitation zones start "proposed" with accepted_by =
 * [declaring party] and come "in_force" when every principal of the track has
 * accepted; any other principal may reject them instead ({"reason"}). The
 * other kinds are in force at once. DELETE by the declaring party withdraws
 * a zone (proposed or in force); its unresolved conflicts resolve
 * ("withdrawn"). owner must be a principal of the track (rule 9). Observers
 * see zones in force only (auth_sees). Events: zone.declared, zone.accepted,
 * zone.rejected, zone.withdrawn.
 */
#include "server/api.h"

#include <string.h>
#include "core/limits.h"
#include "server/auth.h"
#include "server/engines.h"
#include "server/input.h"

static const char *const writers[] = {"principal", NULL};
static const char *const zone_statuses[] = {"proposed", "in_force", "rejected", "withdrawn", NULL};

static int accepted(const json_t *zone, const char *party)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(zone, "accepted_by"), i, p) {
		if (json_is_string(p) && !strcmp(json_string_value(p), party))
			return 1;
	}
	return 0;
}

/* Every principal of the track has accepted. */
static int all_accepted(const json_t *track, const json_t *zone)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(track, "members"), i, m) {
		const char *party = json_string_value(json_object_get(m, "party"));
		const char *role = json_string_value(json_object_get(m, "role"));
		if (party && role && !strcmp(role, "principal") && !accepted(zone, party))
			return 0;
	}
	return 1;
}

/* Saves zone with `event`, reconciles its conflicts and answers it with them. */
static int zone_commit(struct req *r, const json_t *track, struct track_engine *te, json_t *zone, int live,
		       const char *why, const char *event, int status)
{
	json_t *conflicts = NULL;
	int rc;
	if ((rc = engines_obj_save(r->app, &r->who, r->now, track, SUBJECT_ZONE, zone, event)) ||
	    (rc = engines_apply(r->app, te,
				&(struct engines_change){&r->who, r->now, track, SUBJECT_ZONE, zone, live, why},
				&conflicts)))
		return req_fail(r, rc, "the change could not be recorded");
	json_t *out = json_deep_copy(zone);
	json_object_set_new(out, "conflicts", conflicts);
	req_json(r, status, out);
	return 0;
}

static int zone_create(struct req *r)
{
	static const char *const copied[] = {"kind", "name", "geometry", "altitude", "valid", "caps", NULL};
	json_t *body, *track = NULL, *zone = NULL;
	const char *role;
	struct track_engine *te;
	struct subject *s = NULL;
	struct tq_field_error fe = {{0}, {0}};
	char id[APP_ID_BUFSZ];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = auth_require_role(r, role, writers, "declare zones")) || (rc = req_object(r, &body)))
		goto done;
	if ((rc = engines_get(r->app, r->param[0], &te))) {
		req_fail(r, rc, "the conflict engine is unavailable");
		goto done;
	}
	app_new_id("zon", r->now, id);
	if ((rc = engines_subject(r->app, SUBJECT_ZONE, body, id, r->who.party, r->now, &s, &fe))) {
		req_fail_field(r, rc, &fe);
		goto done;
	}
	if ((rc = engines_check_owner(r, track, s->owner)))
		goto done;
	if ((rc = engine_admit(engines_engine(te), s, &fe))) {
		req_fail_field(r, rc, &fe);
		goto done;
	}
	zone = json_object();
	for (size_t i = 0; copied[i]; i++) {
		json_t *v = json_object_get(body, copied[i]);
		if (v && !json_is_null(v))
			json_object_set(zone, copied[i], v);
	}
	engines_normalize(zone, s);
	json_object_set_new(zone, "id", json_string(id));
	json_object_set_new(zone, "track", json_string(r->param[0]));
	json_object_set_new(zone, "owner", json_string(s->owner));
	json_object_set_new(zone, "status", json_string(zone_status_name(s->status)));
	json_object_set_new(zone, "declared_by", json_string(r->who.party));
	json_object_set_new(zone, "accepted_by", json_pack("[s]", r->who.party));
	api_stamp(r, zone);
	/* A lone principal (or an in-force kind) has nothing to wait for. */
	if (s->status == ZONE_PROPOSED && all_accepted(track, zone))
		json_object_set_new(zone, "status", json_string("in_force"));
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/zones/%s", r->param[0], id);
	rc = zone_commit(r, track, te, zone, 1, "modified", "zone.declared", 201);
done:
	subject_free(engines_geo(r->app), s);
	json_decref(zone);
	json_decref(track);
	return rc;
}

/* Loads the zone for an action: visible (404), role principal (403). */
static int zone_action_load(struct req *r, json_t **track, json_t **zone, struct track_engine **te)
{
	const char *role;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], track, &role)) || (rc = engines_obj_load(r, role, SUBJECT_ZONE, zone)))
		return rc;
	if ((rc = auth_require_role(r, role, writers, "act on zones")))
		return rc;
	if ((rc = engines_get(r->app, r->param[0], te)))
		return req_fail(r, rc, "the conflict engine is unavailable");
	return 0;
}

static int zone_accept(struct req *r)
{
	json_t *track = NULL, *zone = NULL, *body;
	struct track_engine *te;
	int rc;
	if ((rc = zone_action_load(r, &track, &zone, &te)))
		goto done;
	const char *status = json_string_value(json_object_get(zone, "status"));
	if (strcmp(status, "proposed")) {
		rc = req_fail(r, TQ_ECONFLICT, "the zone is %s; only a proposed zone is accepted", status);
		goto done;
	}
	if (accepted(zone, r->who.party)) {
		rc = req_fail(r, TQ_ECONFLICT, "%s has already accepted this zone", r->who.party);
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_if_match(r, json_integer_value(json_object_get(zone, "version")))))
		goto done;
	json_array_append_new(json_object_get(zone, "accepted_by"), json_string(r->who.party));
	if (all_accepted(track, zone)) {
		json_object_set_new(zone, "status", json_string("in_force"));
		json_object_set_new(zone, "in_force_at", app_time_json(r->now));
	}
	api_bump(r, zone);
	rc = zone_commit(r, track, te, zone, 1, "modified", "zone.accepted", 200);
done:
	json_decref(zone);
	json_decref(track);
	return rc;
}

static int zone_reject(struct req *r)
{
	json_t *track = NULL, *zone = NULL, *body;
	struct track_engine *te;
	const char *reason = NULL;
	int rc;
	if ((rc = zone_action_load(r, &track, &zone, &te)))
		goto done;
	const char *status = json_string_value(json_object_get(zone, "status"));
	if (!strcmp(json_string_value(json_object_get(zone, "declared_by")), r->who.party)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "the declaring party withdraws its zone (DELETE) instead of rejecting it");
		goto done;
	}
	if (strcmp(status, "proposed")) {
		rc = req_fail(r, TQ_ECONFLICT, "the zone is %s; only a proposed zone is rejected", status);
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "reason", 1, TQ_MAX_TEXT_BYTES, &reason)) ||
	    (rc = in_if_match(r, json_integer_value(json_object_get(zone, "version")))))
		goto done;
	json_object_set_new(zone, "status", json_string("rejected"));
	json_object_set_new(zone, "rejected_by", json_string(r->who.party));
	json_object_set_new(zone, "reason", json_string(reason));
	api_bump(r, zone);
	rc = zone_commit(r, track, te, zone, 0, "rejected", "zone.rejected", 200);
done:
	json_decref(zone);
	json_decref(track);
	return rc;
}

static int zone_withdraw(struct req *r)
{
	json_t *track = NULL, *zone = NULL;
	struct track_engine *te;
	int rc;
	if ((rc = zone_action_load(r, &track, &zone, &te)))
		goto done;
	const char *status = json_string_value(json_object_get(zone, "status"));
	if (strcmp(json_string_value(json_object_get(zone, "declared_by")), r->who.party)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "only the declaring party withdraws a zone");
		goto done;
	}
	if (strcmp(status, "proposed") && strcmp(status, "in_force")) {
		rc = req_fail(r, TQ_ECONFLICT, "the zone is already %s", status);
		goto done;
	}
	if ((rc = in_if_match(r, json_integer_value(json_object_get(zone, "version")))))
		goto done;
	json_object_set_new(zone, "status", json_string("withdrawn"));
	json_object_set_new(zone, "withdrawn_at", app_time_json(r->now));
	api_bump(r, zone);
	rc = zone_commit(r, track, te, zone, 0, "withdrawn", "zone.withdrawn", 200);
done:
	json_decref(zone);
	json_decref(track);
	return rc;
}

static int zone_get(struct req *r)
{
	json_t *track = NULL, *zone = NULL;
	const char *role;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = engines_obj_load(r, role, SUBJECT_ZONE, &zone)))
		goto done;
	rc = engines_obj_answer(r, role, zone);
done:
	json_decref(track);
	return rc;
}

static int zone_list(struct req *r)
{
	return engines_obj_list(r, SUBJECT_ZONE, zone_statuses);
}

const struct route api_zone_routes[] = {
	{"POST", "/v1/tracks/:t/zones", zone_create, ROUTE_WRITE},
	{"GET", "/v1/tracks/:t/zones", zone_list, ROUTE_CACHE},
	{"GET", "/v1/tracks/:t/zones/:id", zone_get, 0},
	{"DELETE", "/v1/tracks/:t/zones/:id", zone_withdraw, ROUTE_WRITE},
	{"POST", "/v1/tracks/:t/zones/:id/accept", zone_accept, ROUTE_WRITE},
	{"POST", "/v1/tracks/:t/zones/:id/reject", zone_reject, ROUTE_WRITE},
	{NULL, NULL, NULL, 0},
};
