/*
 * api_threats — threat reports referred to a party able to act (api.md,
 * Threat reports; Precise rules 4, 7–9).
 *
 * A threat starts "referred" with a respond_by deadline; the referred party
 * answers acknowledged (the threat stays open), or neutralized / unable /
 * disputed (each closes it). A threat still open at respond_by becomes
 * "lapsed" through the deadline sweeper (kind "threat.respond"), with the
 * event threat.lapsed for everyone who sees threats plus mediator and
 * supervisor. Hosts and observers never see threats: one threat answers them
 * 404, the list 403 (docs/meetings.md).
 */
#include "server/api.h"

#include <string.h>
#include "core/geo.h"
#include "core/limits.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/sweeper.h"

#define THREAT_KIND_RESPOND "threat.respond"
/* observed_at may lead the server clock by this much (clock skew), no more. */
#define THREAT_CLOCK_SKEW_MS (5 * 60 * 1000)

/* The caller's role in track r->param[0] (a copy), through auth_track_content. */
static int caller_role(struct req *r, char role[16])
{
	json_t *track = NULL;
	const char *borrowed;
	int rc = auth_track_content(r, r->param[0], &track, &borrowed);
	if (rc == TQ_OK)
		snprintf(role, 16, "%s", borrowed);
	json_decref(track);
	return rc;
}

static const char *const threat_statuses[] = {"referred", "acknowledged", "neutralized", "unable",
					      "disputed", "lapsed", NULL};

static int threat_closed(const json_t *t)
{
	const char *s = json_string_value(json_object_get(t, "status"));
	return s && strcmp(s, "referred") != 0 && strcmp(s, "acknowledged") != 0;
}

/* Stores t and emits its event; oversight adds mediator and supervisor (rule 4). */
static int threat_save(struct app *a, const struct who *w, tq_time now, const json_t *track, const json_t *t,
		       const char *event, int oversight)
{
	char audience[AUTH_AUDIENCE_MAX];
	const char *id = json_string_value(json_object_get(t, "id"));
	const char *tid = json_string_value(json_object_get(track, "id"));
	int rc = store_obj_put(a->store,
			       &(struct store_obj_meta){id, tid, "threat",
							json_string_value(json_object_get(t, "reported_by")),
							json_string_value(json_object_get(t, "status")), 0},
			       t);
	if (rc)
		return rc;
	auth_audience(track, "threat", t, oversight, audience, sizeof audience);
	return app_emit(a, w, now, event, tid, audience, t, NULL);
}

/* Validates the GeoJSON location with the core geometry parser (Point or
 * Polygon, finite lon/lat in range, valid polygon). */
static int threat_geometry(struct req *r, const json_t *body)
{
	struct tq_field_error fe = {{0}, {0}};
	const json_t *g = json_object_get(body, "geometry");
	GEOSGeometry *geom = NULL;
	enum geo_type type;
	struct geo_ctx *ctx;
	int rc;

	if (!g || json_is_null(g)) {
		struct tq_field_error e = {"geometry", "is required"};
		return req_fail_field(r, TQ_EMALFORMED, &e);
	}
	/* A geo_ctx is not thread-safe and requests run on several threads:
	 * one per call, which costs little next to the write itself. */
	ctx = geo_ctx_new();
	if (!ctx)
		return req_fail(r, TQ_ENOMEM, "out of memory");
	rc = geo_parse(ctx, g, GEO_POINT | GEO_POLYGON, "geometry", &geom, &type, &fe);
	geo_free(ctx, geom);
	geo_ctx_free(ctx);
	return rc ? req_fail_field(r, rc, &fe) : TQ_OK;
}

static int threat_create(struct req *r)
{
	static const char *const confidences[] = {"low", "medium", "high", NULL};
	static const char *const writers[] = {"principal", NULL};
	json_t *body, *track = NULL, *t = NULL;
	const char *role, *category = NULL, *description = NULL, *confidence = NULL, *refer_to = NULL;
	tq_time observed_at = 0, respond_by = TQ_TIME_MIN;
	struct track_settings settings;
	char id[APP_ID_BUFSZ];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	if ((rc = auth_require_role(r, role, writers, "report threats")) || (rc = req_object(r, &body)) ||
	    (rc = in_string(r, body, "category", 1, TQ_MAX_NAME_BYTES, &category)) ||
	    (rc = threat_geometry(r, body)) || (rc = in_time(r, body, "observed_at", 1, &observed_at)) ||
	    (rc = in_string(r, body, "description", 1, TQ_MAX_TEXT_BYTES, &description)) ||
	    (rc = in_enum(r, body, "confidence", 1, confidences, &confidence)) ||
	    (rc = in_string(r, body, "refer_to", 1, 8, &refer_to)) ||
	    (rc = in_time(r, body, "respond_by", 0, &respond_by)))
		goto done;
	if (!category[0]) {
		struct tq_field_error fe = {"category", "must not be empty"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if (observed_at > r->now + THREAT_CLOCK_SKEW_MS) {
		struct tq_field_error fe = {"observed_at", "lies in the future"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	/* Rule 9: the party referred to must be in the track, and able to act on it. */
	const char *ref_role = app_member_role(track, refer_to);
	struct tq_field_error fe = {"refer_to", ""};
	if (!ref_role)
		TQ_FIELD_ERROR(&fe, "refer_to", "party '%s' is not a member of this track", refer_to);
	else if (strcmp(refer_to, r->who.party) == 0)
		TQ_FIELD_ERROR(&fe, "refer_to", "a threat is referred to another party");
	else if (!auth_sees(ref_role, refer_to, "threat", NULL))
		TQ_FIELD_ERROR(&fe, "refer_to", "party '%s' (%s) cannot see threats", refer_to, ref_role);
	if (fe.message[0]) {
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if ((rc = app_track_settings(track, &settings))) {
		req_fail(r, rc, "bad track settings");
		goto done;
	}
	if (respond_by == TQ_TIME_MIN) {
		respond_by = r->now + settings.threat_response_ms;
	} else if (respond_by <= r->now) {
		struct tq_field_error e = {"respond_by", "lies in the past"};
		rc = req_fail_field(r, TQ_EINVALID, &e);
		goto done;
	}

	app_new_id("thr", r->now, id);
	t = json_pack("{s:s, s:s, s:s, s:O, s:o, s:s, s:s, s:s, s:s, s:o, s:s, s:[]}", "id", id, "track",
		      r->param[0], "category", category, "geometry", json_object_get(body, "geometry"), "observed_at",
		      app_time_json(observed_at), "description", description, "confidence", confidence, "reported_by",
		      r->who.party, "refer_to", refer_to, "respond_by", app_time_json(respond_by), "status",
		      "referred", "responses");
	if (!t) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	api_stamp(r, t);
	if ((rc = threat_save(r->app, &r->who, r->now, track, t, "threat.reported", 0)) ||
	    (rc = sweeper_schedule(r->app, r->param[0], id, THREAT_KIND_RESPOND, respond_by))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/threats/%s", r->param[0], id);
	req_json(r, 201, t);
	t = NULL;
done:
	json_decref(t);
	json_decref(track);
	return rc;
}

/* The threat r->param[1] if the caller sees it; 404 otherwise. */
static int threat_load(struct req *r, const char *role, json_t **out)
{
	return auth_object(r, role, "threat", r->param[1], "threat", out);
}

static int threat_respond(struct req *r)
{
	static const char *const actions[] = {"acknowledged", "neutralized", "unable", "disputed", NULL};
	json_t *body, *track = NULL, *t = NULL;
	const char *role, *action = NULL, *note = NULL;
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = threat_load(r, role, &t)))
		goto done;
	const char *refer_to = json_string_value(json_object_get(t, "refer_to"));
	const char *status = json_string_value(json_object_get(t, "status"));
	if (!refer_to || strcmp(refer_to, r->who.party) != 0) {
		rc = req_fail(r, TQ_EFORBIDDEN, "only the referred party (%s) may respond", refer_to ? refer_to : "?");
		goto done;
	}
	/* Rule 7: a final state is final, whatever the body says. */
	if (threat_closed(t)) {
		rc = req_fail(r, TQ_ECONFLICT, "the threat is already %s", status);
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_enum(r, body, "action", 1, actions, &action)) ||
	    (rc = in_string(r, body, "note", 0, TQ_MAX_TEXT_BYTES, &note)) ||
	    (rc = in_if_match(r, json_integer_value(json_object_get(t, "version")))))
		goto done;
	/* A second acknowledgement would change nothing. */
	if (strcmp(status, action) == 0) {
		rc = req_fail(r, TQ_ECONFLICT, "the threat is already %s", status);
		goto done;
	}
	json_t *resp = json_pack("{s:s, s:s, s:o, s:o}", "action", action, "party", r->who.party, "by",
				 app_who_json(&r->who), "at", app_time_json(r->now));
	if (note)
		json_object_set_new(resp, "note", json_string(note));
	json_array_append_new(json_object_get(t, "responses"), resp);
	json_object_set_new(t, "status", json_string(action));
	if (threat_closed(t))
		json_object_set_new(t, "closed_at", app_time_json(r->now));
	api_bump(r, t);
	if ((rc = threat_save(r->app, &r->who, r->now, track, t, "threat.responded", 0)) ||
	    (threat_closed(t) && (rc = store_deadline_clear(r->app->store, r->param[1], THREAT_KIND_RESPOND)))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	req_json(r, 200, t);
	t = NULL;
done:
	json_decref(t);
	json_decref(track);
	return rc;
}

static int threat_get(struct req *r)
{
	return auth_answer_object(r, "threat", "threat");
}

struct threat_filter {
	const char *status, *refer_to;
	json_t *items;
};

static int threat_collect(void *ctx, json_t *t)
{
	struct threat_filter *f = ctx;
	const char *status = json_string_value(json_object_get(t, "status"));
	const char *refer_to = json_string_value(json_object_get(t, "refer_to"));
	if ((f->status && (!status || strcmp(f->status, status) != 0)) ||
	    (f->refer_to && (!refer_to || strcmp(f->refer_to, refer_to) != 0)))
		return 0;
	json_array_append(f->items, t);
	return 0;
}

static int threat_list(struct req *r)
{
	char role[16];
	struct threat_filter f = {NULL, req_query(r, "refer_to"), NULL};
	int rc;

	if ((rc = caller_role(r, role)))
		return rc;
	/* The caller sees the track but may never see a threat in it: 403, not an
	 * empty list that would read as "no threats" (docs/meetings.md). */
	if (!auth_sees(role, r->who.party, "threat", NULL))
		return req_fail(r, TQ_EFORBIDDEN, "a %s may not read threats", role);
	if ((rc = in_query_enum(r, "status", threat_statuses, &f.status)))
		return rc;
	f.items = json_array();
	if ((rc = store_obj_scan(r->app->store, r->param[0], "threat", NULL, 0, 0, threat_collect, &f))) {
		json_decref(f.items);
		return req_fail(r, rc, "store failure");
	}
	return out_page(r, f.items, "id");
}

/* Deadline "threat.respond": a threat without a closing answer lapses. */
int api_threat_lapse(struct app *a, const struct store_deadline *d, tq_time now)
{
	json_t *track = NULL, *t = NULL;
	int rc = app_track(a, d->track, &track);
	if (rc == TQ_OK)
		rc = store_obj_get(a->store, d->track, "threat", d->object_id, &t);
	if (rc == TQ_ENOTFOUND) {
		rc = TQ_OK; /* nothing left to lapse */
		goto done;
	}
	if (rc || threat_closed(t))
		goto done;
	json_object_set_new(t, "status", json_string("lapsed"));
	json_object_set_new(t, "closed_at", app_time_json(now));
	json_object_set_new(t, "version", json_integer(json_integer_value(json_object_get(t, "version")) + 1));
	json_object_set_new(t, "updated_at", app_time_json(now));
	rc = threat_save(a, &sweeper_who, now, track, t, "threat.lapsed", 1);
done:
	json_decref(t);
	json_decref(track);
	return rc;
}

const struct route api_threat_routes[] = {
	{"POST", "/v1/tracks/:t/threats", threat_create, ROUTE_WRITE},
	{"GET", "/v1/tracks/:t/threats", threat_list, 0},
	{"GET", "/v1/tracks/:t/threats/:id", threat_get, 0},
	{"POST", "/v1/tracks/:t/threats/:id/respond", threat_respond, ROUTE_WRITE},
	{NULL, NULL, NULL, 0},
};
