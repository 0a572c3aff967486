/*
 * api_activities — planned operations notified in advance (api.md
 * Activities; Precise rules 7, 8).
 *
 * An activity is "notified" when created, "active" from window.start and
 * "completed" at window.end (deadline sweeper kinds "activity.start" and
 * "activity.end", events activity.active / activity.completed). A completed
 * activity leaves the engine; its conflicts stay as they are. The declaring
 * party may PATCH geometry (with radius_m / width_m: a patch with "geometry"
 * replaces both), altitude, window and description while it is notified or
 * active, or cancel it (its unresolved conflicts resolve "cancelled"); any
 * other principal acknowledges receipt once ("acks": [party…]).
 * short_notice = window.start - now < the track's min_notice, recomputed when
 * the window changes. A window that has already ended is refused (422).
 */
#include "server/api.h"

#include <string.h>
#include "server/auth.h"
#include "server/engines.h"
#include "server/input.h"
#include "server/sweeper.h"

#define KIND_START "activity.start"
#define KIND_END "activity.end"

static const char *const writers[] = {"principal", NULL};
static const char *const act_statuses[] = {"notified", "active", "completed", "cancelled", NULL};
static const char *const create_fields[] = {"kind",     "geometry", "radius_m",    "width_m",
					    "altitude", "window",   "description", NULL};
static const char *const patch_fields[] = {"geometry", "radius_m", "width_m", "altitude", "window", "description",
					   NULL};

static int open_status(const json_t *act)
{
	const char *s = json_string_value(json_object_get(act, "status"));
	return s && (!strcmp(s, "notified") || !strcmp(s, "active"));
}

static int act_commit(struct req *r, const json_t *track, struct track_engine *te, json_t *act, int live,
		      const char *why, const char *event, int status)
{
	json_t *conflicts = NULL;
	int rc;
	if ((rc = engines_obj_save(r->app, &r->who, r->now, track, SUBJECT_ACTIVITY, act, event)) ||
	    (rc = engines_apply(r->app, te,
				&(struct engines_change){&r->who, r->now, track, SUBJECT_ACTIVITY, act, live, why},
				&conflicts)))
		return req_fail(r, rc, "the change could not be recorded");
	json_t *out = json_deep_copy(act);
	json_object_set_new(out, "conflicts", conflicts);
	req_json(r, status, out);
	return 0;
}

/* Validates act, normalises its window, sets short_notice and schedules the
 * clock (inside the transaction). */
static int act_prepare(struct req *r, const json_t *track, json_t *act, const char *id)
{
	struct subject *s = NULL;
	struct tq_field_error fe = {{0}, {0}};
	struct track_settings settings;
	int rc = engines_subject(r->app, SUBJECT_ACTIVITY, act, id, r->who.party, r->now, &s, &fe);
	if (!rc && (rc = engines_admit(r->app, r->param[0], s, &fe)))
		subject_free(engines_geo(r->app), s);
	if (rc)
		return req_fail_field(r, rc, &fe);
	tq_time start = s->start, end = s->end;
	engines_normalize(act, s);
	subject_free(engines_geo(r->app), s);
	if (end <= r->now) {
		struct tq_field_error e = {"window.end", "lies in the past"};
		return req_fail_field(r, TQ_EINVALID, &e);
	}
	if ((rc = app_track_settings(track, &settings)))
		return req_fail(r, rc, "bad track settings");
	json_object_set_new(act, "short_notice", json_boolean(start - r->now < settings.min_notice_ms));
	const char *status = json_string_value(json_object_get(act, "status"));
	if (((!status || !strcmp(status, "notified")) &&
	     (rc = sweeper_schedule(r->app, r->param[0], id, KIND_START, start))) ||
	    (rc = sweeper_schedule(r->app, r->param[0], id, KIND_END, end)))
		return req_fail(r, rc, "store failure");
	return 0;
}

static int act_create(struct req *r)
{
	json_t *body, *track = NULL, *act = NULL;
	const char *role;
	struct track_engine *te;
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
	act = json_object();
	for (size_t i = 0; create_fields[i]; i++) {
		json_t *v = json_object_get(body, create_fields[i]);
		if (v && !json_is_null(v))
			json_object_set(act, create_fields[i], v);
	}
	json_object_set_new(act, "id", json_string(id));
	json_object_set_new(act, "track", json_string(r->param[0]));
	json_object_set_new(act, "status", json_string("notified"));
	json_object_set_new(act, "declared_by", json_string(r->who.party));
	json_object_set_new(act, "acks", json_array());
	if ((rc = act_prepare(r, track, act, id)))
		goto done;
	api_stamp(r, act);
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/activities/%s", r->param[0], id);
	rc = act_commit(r, track, te, act, 1, "modified", "activity.notified", 201);
done:
	json_decref(act);
	json_decref(track);
	return rc;
}

/* The activity for a change by its declaring party, still notified or active. */
static int act_change_load(struct req *r, json_t **track, json_t **act, struct track_engine **te)
{
	const char *role;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], track, &role)) ||
	    (rc = engines_obj_load(r, role, SUBJECT_ACTIVITY, act)))
		return rc;
	if (strcmp(json_string_value(json_object_get(*act, "declared_by")), r->who.party))
		return req_fail(r, TQ_EFORBIDDEN, "only the declaring party changes or cancels an activity");
	if (!open_status(*act))
		return req_fail(r, TQ_ECONFLICT, "the activity is %s",
				json_string_value(json_object_get(*act, "status")));
	if ((rc = engines_get(r->app, r->param[0], te)))
		return req_fail(r, rc, "the conflict engine is unavailable");
	return 0;
}

static int act_patch(struct req *r)
{
	json_t *track = NULL, *act = NULL, *body;
	struct track_engine *te;
	int rc;
	if ((rc = act_change_load(r, &track, &act, &te)) || (rc = req_object(r, &body)) ||
	    (rc = in_if_match(r, json_integer_value(json_object_get(act, "version")))))
		goto done;
	const json_t *kind = json_object_get(body, "kind");
	if (kind && !json_equal(kind, json_object_get(act, "kind"))) {
		struct tq_field_error fe = {"kind", "cannot change; cancel the activity and notify a new one"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if (json_object_get(body, "geometry")) {
		json_object_del(act, "radius_m");
		json_object_del(act, "width_m");
	}
	for (size_t i = 0; patch_fields[i]; i++) {
		json_t *v = json_object_get(body, patch_fields[i]);
		if (v && json_is_null(v))
			json_object_del(act, patch_fields[i]);
		else if (v)
			json_object_set(act, patch_fields[i], v);
	}
	if ((rc = act_prepare(r, track, act, r->param[1])))
		goto done;
	api_bump(r, act);
	rc = act_commit(r, track, te, act, 1, "modified", "activity.modified", 200);
done:
	json_decref(act);
	json_decref(track);
	return rc;
}

static int act_cancel(struct req *r)
{
	json_t *track = NULL, *act = NULL, *body;
	struct track_engine *te;
	int rc;
	if ((rc = act_change_load(r, &track, &act, &te)) || (rc = req_object(r, &body)) ||
	    (rc = in_if_match(r, json_integer_value(json_object_get(act, "version")))))
		goto done;
	json_object_set_new(act, "status", json_string("cancelled"));
	json_object_set_new(act, "cancelled_at", app_time_json(r->now));
	api_bump(r, act);
	if ((rc = store_deadline_clear(r->app->store, r->param[1], NULL))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	rc = act_commit(r, track, te, act, 0, "cancelled", "activity.cancelled", 200);
done:
	json_decref(act);
	json_decref(track);
	return rc;
}

static int act_acknowledge(struct req *r)
{
	json_t *track = NULL, *act = NULL, *body, *p;
	const char *role;
	size_t i;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = engines_obj_load(r, role, SUBJECT_ACTIVITY, &act)) ||
	    (rc = auth_require_role(r, role, writers, "acknowledge activities")))
		goto done;
	if (!strcmp(json_string_value(json_object_get(act, "declared_by")), r->who.party)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "another principal acknowledges an activity, not the one that notified it");
		goto done;
	}
	if (!open_status(act)) {
		rc = req_fail(r, TQ_ECONFLICT, "the activity is %s", json_string_value(json_object_get(act, "status")));
		goto done;
	}
	json_array_foreach(json_object_get(act, "acks"), i, p) {
		if (json_is_string(p) && !strcmp(json_string_value(p), r->who.party)) {
			rc = req_fail(r, TQ_ECONFLICT, "%s has already acknowledged this activity", r->who.party);
			goto done;
		}
	}
	if ((rc = req_object(r, &body)) || (rc = in_if_match(r, json_integer_value(json_object_get(act, "version")))))
		goto done;
	json_array_append_new(json_object_get(act, "acks"), json_string(r->who.party));
	api_bump(r, act);
	if ((rc = engines_obj_save(r->app, &r->who, r->now, track, SUBJECT_ACTIVITY, act, "activity.acknowledged"))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	req_json(r, 200, act);
	act = NULL;
done:
	json_decref(act);
	json_decref(track);
	return rc;
}

static int act_get(struct req *r)
{
	json_t *track = NULL, *act = NULL;
	const char *role;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = engines_obj_load(r, role, SUBJECT_ACTIVITY, &act)))
		goto done;
	rc = engines_obj_answer(r, role, act);
done:
	json_decref(track);
	return rc;
}

static int act_list(struct req *r)
{
	return engines_obj_list(r, SUBJECT_ACTIVITY, act_statuses);
}

/* Sweeper: notified → active at window.start, → completed at window.end. */
static int act_clock(struct app *a, const struct store_deadline *d, tq_time now, int end)
{
	json_t *track = NULL, *act = NULL;
	struct track_engine *te;
	int rc = app_track(a, d->track, &track);
	if (rc == TQ_OK)
		rc = store_obj_get(a->store, d->track, "activity", d->object_id, &act);
	if (rc == TQ_ENOTFOUND) {
		rc = TQ_OK; /* nothing left to move */
		goto done;
	}
	const char *status = act ? json_string_value(json_object_get(act, "status")) : NULL;
	if (rc || !status || (end ? !open_status(act) : strcmp(status, "notified")))
		goto done;
	json_object_set_new(act, "status", json_string(end ? "completed" : "active"));
	json_object_set_new(act, end ? "completed_at" : "active_at", app_time_json(now));
	json_object_set_new(act, "version", json_integer(json_integer_value(json_object_get(act, "version")) + 1));
	json_object_set_new(act, "updated_at", app_time_json(now));
	if ((rc = engines_obj_save(a, &sweeper_who, now, track, SUBJECT_ACTIVITY, act,
				   end ? "activity.completed" : "activity.active")))
		goto done;
	if (end && (rc = engines_get(a, d->track, &te)) == TQ_OK)
		rc = engines_retire(a, te, d->object_id);
done:
	json_decref(act);
	json_decref(track);
	return rc;
}

int api_activity_start(struct app *a, const struct store_deadline *d, tq_time now)
{
	return act_clock(a, d, now, 0);
}

int api_activity_end(struct app *a, const struct store_deadline *d, tq_time now)
{
	return act_clock(a, d, now, 1);
}

const struct route api_activity_routes[] = {
	{"POST", "/v1/tracks/:t/activities", act_create, ROUTE_WRITE},
	{"GET", "/v1/tracks/:t/activities", act_list, ROUTE_CACHE},
	{"GET", "/v1/tracks/:t/activities/:id", act_get, 0},
	{"PATCH", "/v1/tracks/:t/activities/:id", act_patch, ROUTE_WRITE},
	{"POST", "/v1/tracks/:t/activities/:id/cancel", act_cancel, ROUTE_WRITE},
	{"POST", "/v1/tracks/:t/activities/:id/acknowledge", act_acknowledge, ROUTE_WRITE},
	{NULL, NULL, NULL, 0},
};
