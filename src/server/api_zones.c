/*
 * api_zones — declared zones (api.md Zones; Precise rules 7–9, 11): parse →
 * authorise → core (core/zone.h) → commit (subjects.h) → answer.
 *
 * DELETE by the declaring party withdraws a zone. owner must be a principal
 * of the track (rule 9). Observers see zones in force only (auth_sees).
 */
#include "server/api.h"

#include <string.h>
#include "core/limits.h"
#include "core/zone.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/subjects.h"

static const char *const writers[] = {"principal", NULL};
static const char *const zone_statuses[] = {"proposed", "in_force", "rejected", "withdrawn", NULL};

static int zone_create(struct req *r)
{
	static const char *const copied[] = {"kind", "name", "geometry", "altitude", "valid", "caps", NULL};
	json_t *body, *track = NULL, *obj = NULL;
	const char *role;
	struct track_engine *te;
	struct subject *s = NULL;
	struct party_set principals;
	struct zone z;
	struct change ch;
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
	if ((rc = subjects_parse(r, SUBJECT_ZONE, body, id, &s)) || (rc = subjects_check_owner(r, track, s->owner)))
		goto done;
	subjects_principals(track, &principals);
	if ((rc = zone_declare(&z, (enum zone_kind)s->kind, r->who.party, s->owner, &principals, &ch))) {
		subjects_refuse(r, rc, &ch);
		goto done;
	}
	s->status = z.status;
	obj = json_object();
	for (size_t i = 0; copied[i]; i++) {
		json_t *v = json_object_get(body, copied[i]);
		if (v && !json_is_null(v))
			json_object_set(obj, copied[i], v);
	}
	subjects_normalize(obj, s);
	json_object_set_new(obj, "id", json_string(id));
	json_object_set_new(obj, "track", json_string(r->param[0]));
	api_stamp(r, obj);
	if ((rc = zone_to_json(&z, obj))) {
		req_fail(r, rc, "out of memory");
		goto done;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/zones/%s", r->param[0], id);
	rc = subjects_commit(r, track, te, SUBJECT_ZONE, obj, s, &ch, 201);
	s = NULL;
done:
	subject_free(engines_geo(r->app), s);
	json_decref(obj);
	json_decref(track);
	return rc;
}

enum zone_action { ACCEPT, REJECT, WITHDRAW };

/* accept, reject, withdraw: the zone visible (404), the caller a principal (403). */
static int zone_act(struct req *r, enum zone_action what)
{
	json_t *track = NULL, *obj = NULL, *body;
	const char *role, *reason = NULL;
	struct track_engine *te;
	struct party_set principals;
	struct zone z;
	struct change ch;
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = subjects_load(r, role, SUBJECT_ZONE, &obj)) ||
	    (rc = auth_require_role(r, role, writers, "act on zones")))
		goto done;
	if ((rc = engines_get(r->app, r->param[0], &te))) {
		req_fail(r, rc, "the conflict engine is unavailable");
		goto done;
	}
	if ((rc = zone_from_json(obj, &z))) {
		rc = req_fail(r, TQ_EINTERNAL, "the stored zone is damaged");
		goto done;
	}
	subjects_principals(track, &principals);
	int64_t version = z.version;
	rc = what == ACCEPT ? zone_accept(&z, r->who.party, &principals, r->now, &ch)
	     : what == REJECT ? zone_reject(&z, r->who.party, r->now, &ch)
			      : zone_withdraw(&z, r->who.party, r->now, &ch);
	if (rc) {
		subjects_refuse(r, rc, &ch);
		goto done;
	}
	if ((what != WITHDRAW && (rc = req_object(r, &body))) ||
	    (what == REJECT && (rc = in_string(r, body, "reason", 1, TQ_MAX_TEXT_BYTES, &reason))) ||
	    (rc = in_if_match(r, version)))
		goto done;
	if ((rc = zone_to_json(&z, obj)) || (reason && json_object_set_new(obj, "reason", json_string(reason)))) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	rc = subjects_commit(r, track, te, SUBJECT_ZONE, obj, NULL, &ch, 200);
done:
	json_decref(obj);
	json_decref(track);
	return rc;
}

static int zone_accept_h(struct req *r)
{
	return zone_act(r, ACCEPT);
}

static int zone_reject_h(struct req *r)
{
	return zone_act(r, REJECT);
}

static int zone_withdraw_h(struct req *r)
{
	return zone_act(r, WITHDRAW);
}

static int zone_get(struct req *r)
{
	json_t *track = NULL, *zone = NULL;
	const char *role;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = subjects_load(r, role, SUBJECT_ZONE, &zone)))
		goto done;
	rc = subjects_answer(r, role, zone);
done:
	json_decref(track);
	return rc;
}

static int zone_list(struct req *r)
{
	return subjects_list(r, SUBJECT_ZONE, zone_statuses);
}

const struct route api_zone_routes[] = {
	{"POST", "/v1/tracks/:t/zones", zone_create, ROUTE_WRITE | ROUTE_STAGED},
	{"GET", "/v1/tracks/:t/zones", zone_list, ROUTE_CACHE},
	{"GET", "/v1/tracks/:t/zones/:id", zone_get, 0},
	{"DELETE", "/v1/tracks/:t/zones/:id", zone_withdraw_h, ROUTE_WRITE | ROUTE_STAGED},
	{"POST", "/v1/tracks/:t/zones/:id/accept", zone_accept_h, ROUTE_WRITE | ROUTE_STAGED},
	{"POST", "/v1/tracks/:t/zones/:id/reject", zone_reject_h, ROUTE_WRITE | ROUTE_STAGED},
	{NULL, NULL, NULL, 0},
};
