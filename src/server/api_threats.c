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
 * 404, the list 403 (docs/meetings.md). The workflow is core/threat.h; this
 * file parses, authorises, commits and answers.
 */
#include "server/api.h"

#include <string.h>
#include "core/geo.h"
#include "core/limits.h"
#include "core/threat.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/sweeper.h"
#include "server/wfcommit.h"

static const char *const threat_statuses[] = {"referred", "acknowledged", "neutralized", "unable",
					      "disputed", "lapsed", NULL};

static int core_fail(struct req *r, int rc, const struct tq_field_error *fe)
{
	if (fe->field[0])
		return req_fail_field(r, rc, fe);
	return req_fail(r, rc, "%s", fe->message[0] ? fe->message : tq_err_name(rc));
}

/* Stores t (stored before as `before`, NULL when new) and applies fx. */
static int threat_commit(struct commit *c, const json_t *track, const json_t *before,
			 const struct threat *t, const struct effects *fx, json_t **out)
{
	json_t *j = threat_to_json(t);
	struct wf_write wr = {THREAT_TYPE, t->id, t->track, t->reported_by, threat_status_name(t->status), 0,
			      before, j};
	int rc = j ? wfcommit(c, track, &wr, fx) : TQ_ENOMEM;
	if (rc == TQ_OK && out)
		*out = json_incref(j);
	json_decref(j);
	return rc;
}

/* Validates the GeoJSON location with the core geometry parser (Point or
 * Polygon, finite lon/lat in range, valid polygon). */
static int threat_geometry(struct req *r, const json_t *g)
{
	struct tq_field_error fe = {{0}, {0}};
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

static int threat_create_route(struct req *r)
{
	static const char *const confidences[] = {"low", "medium", "high", NULL};
	json_t *body, *track = NULL, *out = NULL;
	const char *role;
	struct threat_draft d = {.track = r->param[0], .respond_by = TQ_TIME_MIN};
	struct track_settings settings;
	struct vis_track members;
	struct threat t = {0};
	struct effects fx;
	struct tq_field_error fe = {{0}, {0}};
	struct actor by = wf_actor(&r->who);
	char id[APP_ID_BUFSZ];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	if (!threat_may_report(vis_role_parse(role))) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not report threats", role);
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "category", 1, TQ_MAX_NAME_BYTES, &d.category)))
		goto done;
	d.geometry = json_object_get(body, "geometry");
	if ((rc = threat_geometry(r, d.geometry)) || (rc = in_time(r, body, "observed_at", 1, &d.observed_at)) ||
	    (rc = in_string(r, body, "description", 1, TQ_MAX_TEXT_BYTES, &d.description)) ||
	    (rc = in_enum(r, body, "confidence", 1, confidences, &d.confidence)) ||
	    (rc = in_string(r, body, "refer_to", 1, 8, &d.refer_to)) ||
	    (rc = in_time(r, body, "respond_by", 0, &d.respond_by)))
		goto done;
	if ((rc = vis_track_from_json(track, &members)) || (rc = app_track_settings(track, &settings))) {
		req_fail(r, rc, "bad track settings");
		goto done;
	}
	app_new_id("thr", r->now, id);
	d.id = id;
	if ((rc = threat_create(&members, &settings, &d, &by, r->now, &t, &fx, &fe))) {
		core_fail(r, rc, &fe);
		goto done;
	}
	if ((rc = threat_commit(r->commit, track, NULL, &t, &fx, &out))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/threats/%s", r->param[0], id);
	req_json(r, 201, out);
done:
	threat_free(&t);
	json_decref(track);
	return rc;
}

static int threat_respond_route(struct req *r)
{
	static const char *const actions[] = {"acknowledged", "neutralized", "unable", "disputed", NULL};
	json_t *body, *track = NULL, *stored = NULL, *out = NULL;
	const char *role, *action = NULL, *note = NULL;
	struct threat t = {0};
	struct effects fx;
	struct tq_field_error fe = {{0}, {0}};
	struct actor by = wf_actor(&r->who);
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = auth_object(r, role, THREAT_TYPE, r->param[1], "threat", &stored)))
		goto done;
	if ((rc = threat_from_json(stored, &t))) {
		req_fail(r, TQ_EINTERNAL, "a stored threat is unreadable");
		goto done;
	}
	/* 403, then 409, before the body is looked at (rules 7, 8). */
	if ((rc = threat_may_respond(&t, r->who.party, &fe))) {
		core_fail(r, rc, &fe);
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_enum(r, body, "action", 1, actions, &action)) ||
	    (rc = in_string(r, body, "note", 0, TQ_MAX_TEXT_BYTES, &note)) || (rc = in_if_match(r, t.stamp.version)))
		goto done;
	if ((rc = threat_respond(&t, &by, action, note, r->now, &fx, &fe))) {
		core_fail(r, rc, &fe);
		goto done;
	}
	if ((rc = threat_commit(r->commit, track, stored, &t, &fx, &out))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	req_json(r, 200, out);
done:
	threat_free(&t);
	json_decref(stored);
	json_decref(track);
	return rc;
}

static int threat_get(struct req *r)
{
	return auth_answer_object(r, THREAT_TYPE, "threat");
}

struct threat_filter {
	const char *status, *refer_to;
	json_t *items;
};

static int threat_collect(void *ctx, json_t *j)
{
	struct threat_filter *f = ctx;
	struct threat t;
	int take;
	if (threat_from_json(j, &t))
		return TQ_EINTERNAL;
	take = (!f->status || strcmp(f->status, threat_status_name(t.status)) == 0) &&
	       (!f->refer_to || strcmp(f->refer_to, t.refer_to) == 0);
	threat_free(&t);
	if (take)
		json_array_append(f->items, j);
	return 0;
}

static int threat_list(struct req *r)
{
	json_t *track;
	const char *role;
	struct threat_filter f = {NULL, req_query(r, "refer_to"), NULL};
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	/* The caller sees the track but may never see one in it: 403, not an
	 * empty list that would read as "none" (docs/meetings.md). */
	rc = vis_reads_type(vis_role_parse(role), THREAT_TYPE) ? TQ_OK
						       : req_fail(r, TQ_EFORBIDDEN, "a %s may not read threats", role);
	json_decref(track);
	if (rc)
		return rc;
	if ((rc = in_query_enum(r, "status", threat_statuses, &f.status)))
		return rc;
	f.items = json_array();
	if ((rc = store_obj_scan(r->app->store, r->param[0], THREAT_TYPE, NULL, 0, 0, threat_collect, &f))) {
		json_decref(f.items);
		return req_fail(r, rc, "store failure");
	}
	return out_page(r, f.items, "id");
}

/* Deadline "threat.respond": a threat without a closing answer lapses. */
int api_threat_lapse(struct app *a, const struct store_deadline *d, tq_time now)
{
	json_t *track = NULL, *stored = NULL;
	struct threat t = {0};
	struct effects fx;
	int rc = app_track(a, d->track, &track);
	if (rc == TQ_OK)
		rc = store_obj_get(a->store, d->track, THREAT_TYPE, d->object_id, &stored);
	if (rc == TQ_ENOTFOUND) {
		rc = TQ_OK; /* nothing left to lapse */
		goto done;
	}
	if (rc || (rc = threat_from_json(stored, &t)))
		goto done;
	threat_lapse(&t, now, &fx);
	if (fx.nev)
		rc = threat_commit(a->open_batch, track, stored, &t, &fx, NULL);
done:
	threat_free(&t);
	json_decref(stored);
	json_decref(track);
	return rc;
}

const struct route api_threat_routes[] = {
	{"POST", "/v1/tracks/:t/threats", threat_create_route, ROUTE_WRITE | ROUTE_STAGED},
	{"GET", "/v1/tracks/:t/threats", threat_list, 0},
	{"GET", "/v1/tracks/:t/threats/:id", threat_get, 0},
	{"POST", "/v1/tracks/:t/threats/:id/respond", threat_respond_route, ROUTE_WRITE | ROUTE_STAGED},
	{NULL, NULL, NULL, 0},
};
