/*
 * api_activities — planned operations notified in advance (api.md
 * Activities; Precise rules 7, 8): parse → authorise → core
 * (core/activity.h) → commit (subjects.h) → answer.
 *
 * The declaring party may PATCH geometry (with radius_m / width_m: a patch
 * with "geometry" replaces both), altitude, window and description while the
 * activity is notified or active, or cancel it; any other principal
 * acknowledges receipt once. The clock (sweeper kinds activity.start and
 * activity.end) moves it to active and completed.
 */
#include "server/api.h"

#include <string.h>
#include "core/activity.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/subjects.h"
#include "server/sweeper.h"

static const char *const writers[] = {"principal", NULL};
static const char *const act_statuses[] = {"notified", "active", "completed", "cancelled", NULL};
static const char *const create_fields[] = {"kind",     "geometry", "radius_m",    "width_m",
					    "altitude", "window",   "description", NULL};
static const char *const patch_fields[] = {"geometry", "radius_m", "width_m", "altitude", "window", "description",
					   NULL};

/* Parses obj (geometry once for the request), normalises its window and lets
 * core schedule the clock. */
static int act_window(struct req *r, const json_t *track, json_t *obj, const char *id, struct activity *a,
		      struct change *ch, struct subject **s)
{
	struct track_settings settings;
	int rc;
	if ((rc = subjects_parse(r, SUBJECT_ACTIVITY, obj, id, s)))
		return rc;
	subjects_normalize(obj, *s);
	if ((rc = app_track_settings(track, &settings)))
		return req_fail(r, rc, "bad track settings");
	if ((rc = activity_schedule(a, (*s)->start, (*s)->end, settings.min_notice_ms, r->now, ch)))
		return subjects_refuse(r, rc, ch);
	return TQ_OK;
}

static int act_create(struct req *r)
{
	json_t *body, *track = NULL, *obj = NULL;
	const char *role;
	struct track_engine *te;
	struct subject *s = NULL;
	struct activity a;
	struct change ch;
	char id[APP_ID_BUFSZ];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = auth_require_role(r, role, writers, "notify activities")) || (rc = req_object(r, &body)))
		goto done;
	if ((rc = engines_get(r->app, r->param[0], &te))) {
		req_fail(r, rc, "the conflict engine is unavailable");
		goto done;
	}
	app_new_id("act", r->now, id);
	obj = json_object();
	for (size_t i = 0; create_fields[i]; i++) {
		json_t *v = json_object_get(body, create_fields[i]);
		if (v && !json_is_null(v))
			json_object_set(obj, create_fields[i], v);
	}
	json_object_set_new(obj, "id", json_string(id));
	json_object_set_new(obj, "track", json_string(r->param[0]));
	if ((rc = activity_notify(&a, r->who.party, &ch))) {
		subjects_refuse(r, rc, &ch);
		goto done;
	}
	if ((rc = act_window(r, track, obj, id, &a, &ch, &s)))
		goto done;
	api_stamp(r, obj);
	if ((rc = activity_to_json(&a, obj))) {
		req_fail(r, rc, "out of memory");
		goto done;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/activities/%s", r->param[0], id);
	rc = subjects_commit(r, track, te, SUBJECT_ACTIVITY, obj, s, &ch, 201);
	s = NULL;
done:
	subject_free(engines_geo(r->app), s);
	json_decref(obj);
	json_decref(track);
	return rc;
}

enum act_action { PATCH, CANCEL, ACKNOWLEDGE };

static int act_change(struct req *r, enum act_action what)
{
	json_t *track = NULL, *obj = NULL, *body;
	const char *role;
	struct track_engine *te = NULL;
	struct subject *s = NULL;
	struct activity a;
	struct change ch;
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = subjects_load(r, role, SUBJECT_ACTIVITY, &obj)) ||
	    (what == ACKNOWLEDGE && (rc = auth_require_role(r, role, writers, "acknowledge activities"))))
		goto done;
	if ((rc = activity_from_json(obj, &a))) {
		rc = req_fail(r, TQ_EINTERNAL, "the stored activity is damaged");
		goto done;
	}
	int64_t version = a.version;
	rc = what == PATCH ? activity_modify(&a, r->who.party, r->now, &ch)
	     : what == CANCEL ? activity_cancel(&a, r->who.party, r->now, &ch)
			      : activity_acknowledge(&a, r->who.party, r->now, &ch);
	if (rc) {
		subjects_refuse(r, rc, &ch);
		goto done;
	}
	if (what != ACKNOWLEDGE && (rc = engines_get(r->app, r->param[0], &te))) {
		req_fail(r, rc, "the conflict engine is unavailable");
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_if_match(r, version)))
		goto done;
	if (what == PATCH) {
		const json_t *kind = json_object_get(body, "kind");
		if (kind && !json_equal(kind, json_object_get(obj, "kind"))) {
			struct tq_field_error fe = {"kind", "cannot change; cancel the activity and notify a new one"};
			rc = req_fail_field(r, TQ_EINVALID, &fe);
			goto done;
		}
		if (json_object_get(body, "geometry")) {
			json_object_del(obj, "radius_m");
			json_object_del(obj, "width_m");
		}
		for (size_t i = 0; patch_fields[i]; i++) {
			json_t *v = json_object_get(body, patch_fields[i]);
			if (v && json_is_null(v))
				json_object_del(obj, patch_fields[i]);
			else if (v)
				json_object_set(obj, patch_fields[i], v);
		}
		if ((rc = act_window(r, track, obj, r->param[1], &a, &ch, &s)))
			goto done;
	}
	if ((rc = activity_to_json(&a, obj))) {
		req_fail(r, rc, "out of memory");
		goto done;
	}
	rc = subjects_commit(r, track, te, SUBJECT_ACTIVITY, obj, s, &ch, 200);
	s = NULL;
done:
	subject_free(engines_geo(r->app), s);
	json_decref(obj);
	json_decref(track);
	return rc;
}

static int act_patch(struct req *r)
{
	return act_change(r, PATCH);
}

static int act_cancel(struct req *r)
{
	return act_change(r, CANCEL);
}

static int act_acknowledge(struct req *r)
{
	return act_change(r, ACKNOWLEDGE);
}

static int act_get(struct req *r)
{
	json_t *track = NULL, *act = NULL;
	const char *role;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = subjects_load(r, role, SUBJECT_ACTIVITY, &act)))
		goto done;
	rc = subjects_answer(r, role, act);
done:
	json_decref(track);
	return rc;
}

static int act_list(struct req *r)
{
	return subjects_list(r, SUBJECT_ACTIVITY, act_statuses);
}

/* Sweeper: notified → active at window.start, → completed at window.end. */
static int act_clock(struct commit *c, const struct store_deadline *d, int end)
{
	struct app *app = commit_app(c);
	json_t *track = NULL, *obj = NULL;
	struct track_engine *te = NULL;
	struct activity a;
	struct change ch;
	int rc = app_track(app, d->track, &track);
	if (rc == TQ_OK)
		rc = store_obj_get(app->store, d->track, "activity", d->object_id, &obj);
	if (rc == TQ_ENOTFOUND) {
		rc = TQ_OK; /* nothing left to move */
		goto done;
	}
	if (rc || (rc = activity_from_json(obj, &a)))
		goto done;
	rc = end ? activity_end(&a, commit_now(c), &ch) : activity_start(&a, commit_now(c), &ch);
	if (rc || !ch.event)
		goto done;
	if ((rc = activity_to_json(&a, obj)) ||
	    (ch.index != CHANGE_INDEX_KEEP && (rc = engines_get(app, d->track, &te))))
		goto done;
	rc = subjects_stage(c, track, te, SUBJECT_ACTIVITY, obj, NULL, &ch, NULL);
done:
	json_decref(obj);
	json_decref(track);
	return rc;
}

int api_activity_start(struct commit *c, const struct store_deadline *d)
{
	return act_clock(c, d, 0);
}

int api_activity_end(struct commit *c, const struct store_deadline *d)
{
	return act_clock(c, d, 1);
}

const struct route api_activity_routes[] = {
	{"POST", "/v1/tracks/:t/activities", act_create, ROUTE_WRITE | ROUTE_STAGED},
	{"GET", "/v1/tracks/:t/activities", act_list, ROUTE_CACHE},
	{"GET", "/v1/tracks/:t/activities/:id", act_get, 0},
	{"PATCH", "/v1/tracks/:t/activities/:id", act_patch, ROUTE_WRITE | ROUTE_STAGED},
	{"POST", "/v1/tracks/:t/activities/:id/cancel", act_cancel, ROUTE_WRITE | ROUTE_STAGED},
	{"POST", "/v1/tracks/:t/activities/:id/acknowledge", act_acknowledge, ROUTE_WRITE | ROUTE_STAGED},
	{NULL, NULL, NULL, 0},
};
