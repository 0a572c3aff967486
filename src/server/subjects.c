/*
 * subjects — see subjects.h.
 */
#include "server/subjects.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/volume.h"
#include "server/auth.h"
#include "server/input.h"

int subjects_stage(struct commit *c, const json_t *track, struct track_engine *te, enum subject_type t,
		   json_t *obj, struct subject *s, const struct change *ch, json_t **conflicts)
{
	char audience[AUTH_AUDIENCE_MAX];
	const char *tid = NULL, *id = NULL, *party = NULL, *status = NULL;
	int rc;

	if (conflicts)
		*conflicts = NULL;
	if (json_unpack((json_t *)track, "{s:s}", "id", &tid) ||
	    json_unpack(obj, "{s:s, s:s, s:s}", "id", &id, "declared_by", &party, "status", &status)) {
		rc = TQ_EINTERNAL;
		goto fail;
	}
	struct store_obj_meta m = {id, tid, subject_type_name(t), party, status, 0};
	/* The audience is everyone who saw the object before or sees it after. */
	json_t *before = NULL;
	rc = commit_get(c, tid, m.type, id, &before);
	if (rc == TQ_OK || rc == TQ_ENOTFOUND)
		rc = auth_audience(track, m.type, before, obj, 0, audience, sizeof audience);
	json_decref(before);
	if (rc || (rc = commit_record(c, &m, obj, ch->event, audience)) ||
	    (ch->clear_deadlines && (rc = commit_deadline_clear(c, id, NULL))))
		goto fail;
	for (size_t i = 0; i < ch->nset; i++)
		if ((rc = commit_deadline(c, tid, id, ch->set[i].kind, ch->set[i].due)))
			goto fail;
	switch (ch->index) {
	case CHANGE_INDEX_KEEP:
		break;
	case CHANGE_INDEX_RETIRE:
		subject_free(engines_geo(commit_app(c)), s);
		return reconcile_retire(c, te, id);
	case CHANGE_INDEX_UPSERT:
	case CHANGE_INDEX_REMOVE:
		return reconcile_apply(c, te,
				       &(struct reconcile_change){track, t, obj, id, party, s, ch->index, ch->why},
				       conflicts);
	}
	rc = TQ_OK;
fail:
	subject_free(engines_geo(commit_app(c)), s);
	return rc;
}

int subjects_commit(struct req *r, const json_t *track, struct track_engine *te, enum subject_type t, json_t *obj,
		    struct subject *s, const struct change *ch, int status)
{
	json_t *conflicts = NULL, *out;
	int rc = subjects_stage(r->commit, track, te, t, obj, s, ch, &conflicts);
	if (rc)
		return req_fail(r, rc, "the change could not be recorded");
	out = json_copy(obj); /* shallow: obj itself stays as staged */
	if (!out) {
		json_decref(conflicts);
		return req_fail(r, TQ_ENOMEM, "out of memory");
	}
	if (conflicts)
		json_object_set_new(out, "conflicts", conflicts);
	req_json(r, status, out);
	return TQ_OK;
}

int subjects_refuse(struct req *r, int err, const struct change *ch)
{
	if (ch->field) {
		struct tq_field_error fe;
		TQ_FIELD_ERROR(&fe, ch->field, "%s", ch->refusal);
		return req_fail_field(r, err, &fe);
	}
	return req_fail(r, err, "%s", ch->refusal);
}

int subjects_parse(struct req *r, enum subject_type t, const json_t *obj, const char *id, struct subject **out)
{
	struct tq_field_error fe = {{0}, {0}};
	int rc = engines_subject(r->app, t, obj, id, r->who.party, r->now, out, &fe);
	/* Bounded work (core/limits.h): a footprint too costly to buffer or that
	 * meets too many volumes is refused here, before any check runs. */
	if (rc == TQ_OK && (rc = engines_admit(r->app, r->param[0], *out, &fe))) {
		subject_free(engines_geo(r->app), *out);
		*out = NULL;
	}
	return rc ? req_fail_field(r, rc, &fe) : TQ_OK;
}

void subjects_principals(const json_t *track, struct party_set *out)
{
	size_t i;
	json_t *m, *members = NULL;
	out->n = 0;
	if (json_unpack((json_t *)track, "{s:o}", "members", &members))
		return;
	json_array_foreach(members, i, m) {
		const char *party = NULL, *role = NULL;
		if (!json_unpack(m, "{s:s, s:s}", "party", &party, "role", &role) && !strcmp(role, "principal") &&
		    party_set_add(out, party))
			break; /* more than TQ_MAX_TRACK_MEMBERS cannot be stored */
	}
}

int subjects_answer(struct req *r, const char *role, json_t *obj)
{
	struct track_engine *te;
	json_t *list = NULL;
	int rc;
	if (auth_sees(role, r->who.party, "conflict", NULL)) {
		/* In a snapshot, from its rows: the engines' map may be newer. */
		if (app_reading(r->app) ? (rc = reconcile_conflicts_stored(r->app, r->param[0], r->param[1], &list))
					: ((rc = engines_get(r->app, r->param[0], &te)) ||
					   (rc = reconcile_conflicts_of(r->app, NULL, te, r->param[1], &list)))) {
			json_decref(obj);
			return req_fail(r, rc, "the conflict engine is unavailable");
		}
		json_object_set_new(obj, "conflicts", list);
	}
	req_json(r, 200, obj);
	return 0;
}

int subjects_load(struct req *r, const char *role, enum subject_type t, json_t **out)
{
	return auth_object(r, role, subject_type_name(t), r->param[1], subject_type_name(t), out);
}

static void window_names(enum subject_type t, const char **w, const char **from, const char **until)
{
	if (t == SUBJECT_ACTIVITY)
		*w = "window", *from = "start", *until = "end";
	else
		*w = "valid", *from = "from", *until = "until";
}

int subjects_at(const json_t *obj, enum subject_type t, tq_time at)
{
	const char *w, *kf, *ku;
	tq_time from = TQ_TIME_MIN, until = TQ_TIME_MAX;
	window_names(t, &w, &kf, &ku);
	const char *sf = NULL, *su = NULL;
	if (json_unpack((json_t *)obj, "{s?{s?s, s?s}}", w, kf, &sf, ku, &su))
		sf = su = NULL;
	if (sf && tqtime_parse(sf, &from))
		from = TQ_TIME_MIN;
	if (su && tqtime_parse(su, &until))
		until = TQ_TIME_MAX;
	return from <= at && at < until;
}

/* Grows bb over every position of a GeoJSON coordinates tree. */
static void coords_bbox(const json_t *c, double bb[4], int depth)
{
	size_t i;
	const json_t *x;
	if (depth > 4 || !json_is_array(c))
		return;
	if (json_array_size(c) >= 2 && json_is_number(json_array_get(c, 0))) {
		double lon = json_number_value(json_array_get(c, 0)), lat = json_number_value(json_array_get(c, 1));
		bb[0] = fmin(bb[0], lon), bb[1] = fmin(bb[1], lat);
		bb[2] = fmax(bb[2], lon), bb[3] = fmax(bb[3], lat);
		return;
	}
	json_array_foreach(c, i, x) coords_bbox(x, bb, depth + 1);
}

int subjects_in_bbox(const json_t *obj, const double bbox[4])
{
	double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY}, grow = 0;
	json_t *coords = NULL, *radius = NULL, *width = NULL;
	if (json_unpack((json_t *)obj, "{s?{s?o}, s?o, s?o}", "geometry", "coordinates", &coords, "radius_m", &radius,
			"width_m", &width))
		return 0;
	coords_bbox(coords, bb, 0);
	if (!(bb[0] <= bb[2]))
		return 0;
	if (json_is_number(radius))
		grow = json_number_value(radius);
	if (json_is_number(width))
		grow = json_number_value(width) / 2;
	if (grow > 0) {
		double dlon, dlat;
		geo_metres_to_degrees(grow, bb[1], bb[3], &dlon, &dlat);
		bb[0] -= dlon, bb[2] += dlon, bb[1] -= dlat, bb[3] += dlat;
	}
	return volume_bbox_meet(bb, bbox);
}

int subjects_query_where(struct req *r, double bbox[4], int *has_bbox, tq_time *at, int *has_at)
{
	const char *b = req_query(r, "bbox"), *t = req_query(r, "at");
	*has_bbox = *has_at = 0;
	if (t) {
		if (tqtime_parse(t, at)) {
			struct tq_field_error fe = {"at", "must be an RFC 3339 time such as 2026-01-06T09:00:00Z"};
			return req_fail_field(r, TQ_EINVALID, &fe);
		}
		*has_at = 1;
	}
	if (b) {
		const char *p = b;
		char *end;
		int ok = 1;
		for (int i = 0; i < 4 && ok; i++) {
			bbox[i] = strtod(p, &end);
			ok = end != p && isfinite(bbox[i]) && (i == 3 ? *end == '\0' : *end == ',');
			p = end + 1;
		}
		ok = ok && bbox[0] <= bbox[2] && bbox[1] <= bbox[3] && bbox[0] >= -180 && bbox[2] <= 180 &&
		     bbox[1] >= -90 && bbox[3] <= 90;
		if (!ok) {
			struct tq_field_error fe = {"bbox", "must be minlon,minlat,maxlon,maxlat within lon [-180,180], "
							    "lat [-90,90], min <= max"};
			return req_fail_field(r, TQ_EINVALID, &fe);
		}
		*has_bbox = 1;
	}
	return 0;
}

struct list_ctx {
	struct req *r;
	enum subject_type t;
	const char *role, *status, *kind;
	double bbox[4];
	int has_bbox, has_at;
	tq_time at;
	json_t *items;
};

static int list_visit(void *ctx, json_t *o)
{
	struct list_ctx *l = ctx;
	const char *status = NULL, *kind = NULL;
	if (json_unpack(o, "{s?s, s?s}", "status", &status, "kind", &kind))
		status = kind = NULL;
	if (!auth_sees(l->role, l->r->who.party, subject_type_name(l->t), o) ||
	    (l->status && (!status || strcmp(status, l->status))) || (l->kind && (!kind || strcmp(kind, l->kind))) ||
	    (l->has_at && !subjects_at(o, l->t, l->at)) || (l->has_bbox && !subjects_in_bbox(o, l->bbox)))
		return 0;
	json_array_append(l->items, o);
	return 0;
}

static int in_list(const char *const *names, const char *s)
{
	for (; *names; names++)
		if (!strcmp(*names, s))
			return 1;
	return 0;
}

int subjects_list(struct req *r, enum subject_type t, const char *const *statuses)
{
	static const char *const zone_kinds[] = {"demilitarized", "limitation", "influence", "base",
						 "protected_site", "restricted_airspace", NULL};
	static const char *const activity_kinds[] = {"air_sortie", "strike", "uav", "ground_movement",
						     "naval", "exercise", NULL};
	json_t *track = NULL, *probe = NULL;
	struct list_ctx l = {.r = r, .t = t};
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &l.role)))
		return rc;
	/* The caller sees the track but can never see this type in it: 403, not
	 * an empty list that would read as "there are none". */
	probe = json_pack("{s:s}", "status", "in_force");
	if (!auth_sees(l.role, r->who.party, subject_type_name(t), probe)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not read %ss", l.role, subject_type_name(t));
		goto done;
	}
	l.status = req_query(r, "status");
	l.kind = req_query(r, "kind");
	if (l.status && !in_list(statuses, l.status)) {
		struct tq_field_error fe = {"status", "unknown status"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if (l.kind && (t == SUBJECT_DEPLOYMENT ||
		       !in_list(t == SUBJECT_ZONE ? zone_kinds : activity_kinds, l.kind))) {
		struct tq_field_error fe = {"kind", "unknown kind"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if ((rc = subjects_query_where(r, l.bbox, &l.has_bbox, &l.at, &l.has_at)))
		goto done;
	l.items = json_array();
	if ((rc = store_obj_scan(r->app->store, r->param[0], subject_type_name(t), NULL, 0, 0, list_visit, &l))) {
		json_decref(l.items);
		rc = req_fail(r, rc, "store failure");
		goto done;
	}
	rc = out_page(r, l.items, "id");
done:
	json_decref(probe);
	json_decref(track);
	return rc;
}

static json_t *time_or_null(tq_time t)
{
	return (t == TQ_TIME_MIN || t == TQ_TIME_MAX) ? NULL : app_time_json(t);
}

void subjects_normalize(json_t *obj, const struct subject *s)
{
	const char *w, *kf, *ku;
	window_names(s->type, &w, &kf, &ku);
	json_t *win = json_object_get(obj, w);
	json_t *from = time_or_null(s->start), *until = time_or_null(s->end);
	if (!json_is_object(win) && (from || until)) {
		json_object_set_new(obj, w, json_object());
		win = json_object_get(obj, w);
	}
	if (json_is_object(win)) {
		if (from)
			json_object_set_new(win, kf, from);
		else
			json_object_del(win, kf);
		if (until)
			json_object_set_new(win, ku, until);
		else
			json_object_del(win, ku);
	}
}

int subjects_check_owner(struct req *r, const json_t *track, const char *owner)
{
	const char *role = app_member_role(track, owner);
	struct tq_field_error fe = {"owner", ""};
	if (!role)
		TQ_FIELD_ERROR(&fe, "owner", "party '%s' is not a member of this track", owner);
	else if (strcmp(role, "principal"))
		TQ_FIELD_ERROR(&fe, "owner", "party '%s' is a %s here; zones are owned by principals", owner, role);
	else
		return 0;
	return req_fail_field(r, TQ_EINVALID, &fe);
}
