/*
 * api_minutes — the meeting's work (api.md, Meetings; Precise rules 7–9):
 * agendas built at call time, minutes recorded once per occurrence, and the
 * action items they create, which their owner marks done. The workflow and
 * who may do what are core/meeting.h; this file parses, authorises, commits
 * and answers. Shared helpers: server/api_meetings.h.
 */
#include "server/api.h"

#include <stdlib.h>
#include <string.h>
#include "core/limits.h"
#include "server/api_meetings.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/wfcommit.h"

/* ---- agenda -------------------------------------------------------------- */

struct agenda {
	struct req *r;
	enum vis_role role;
	const char *type;
	tq_time overdue_before;
	json_t *items;
};

static int agenda_visit(void *ctx, json_t *obj)
{
	struct agenda *g = ctx;
	json_t *item;
	if (!vis_sees(g->role, g->r->who.party, g->type, obj))
		return 0;
	if ((item = meeting_agenda_item(g->type, obj, g->overdue_before)))
		json_array_append_new(g->items, item);
	return 0;
}

/* Built at call time from the track's state (core/meeting.h); each item only
 * if the caller sees its object. Overdue action items: still open and due
 * before the meeting starts or before now, whichever is later. */
int meetings_agenda_get(struct req *r)
{
	json_t *track = NULL, *held = NULL;
	const char *role;
	struct meeting_series s = {0};
	char occ[MEETING_OCC_ID_BUFSZ];
	tq_time start;
	int rc;
	if ((rc = meetings_occ_open(r, &track, &role, &s, &start, &held)))
		goto done;
	struct agenda g = {r, vis_role_parse(role), NULL, start > r->now ? start : r->now, json_array()};
	for (size_t i = 0; i < MEETING_AGENDA_NSECTIONS; i++) {
		g.type = meeting_agenda_sections[i][1];
		if ((rc = store_obj_scan(r->app->store, r->param[0], g.type, NULL, 0, 0, agenda_visit, &g))) {
			json_decref(g.items);
			req_fail(r, rc, "store failure");
			goto done;
		}
	}
	meeting_occ_id(s.id, start, occ);
	req_json(r, 200, json_pack("{s:o, s:o, s:o}", "meeting",
				   meeting_occ_json(&s, start, json_object_get(held, occ) != NULL), "generated_at",
				   app_time_json(r->now), "items", g.items));
done:
	meeting_series_free(&s);
	json_decref(held);
	json_decref(track);
	return rc;
}

/* ---- minutes ------------------------------------------------------------- */

int meetings_minutes_create(struct req *r)
{
	json_t *body, *track = NULL, *held = NULL, *decisions = NULL, *actions_in = NULL;
	json_t *m = NULL, *actions = NULL, *x;
	const char *role, *text = NULL;
	struct meeting_series s = {0};
	struct vis_track members;
	struct effects fx_m, fx_a;
	struct tq_field_error fe = {{0}, {0}};
	struct actor by = wf_actor(&r->who);
	char occ[MEETING_OCC_ID_BUFSZ], mid[APP_ID_BUFSZ];
	char (*ids)[APP_ID_BUFSZ] = NULL;
	const char **idp = NULL;
	tq_time start;
	size_t i;
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = meetings_occ_load(r, role, &s, &start)))
		goto done;
	if (!meeting_may_record(&s, vis_role_parse(role), r->who.party)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not record minutes", role);
		goto done;
	}
	meeting_occ_id(s.id, start, occ);
	if ((rc = meetings_held_map(r, &held)))
		goto done;
	if (json_object_get(held, occ)) {
		rc = req_fail(r, TQ_ECONFLICT, "minutes of this meeting exist already (%s)",
			      json_string_value(json_object_get(held, occ)));
		goto done;
	}
	if (start > r->now) {
		rc = req_fail(r, TQ_ECONFLICT, "the meeting has not started yet");
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "text", 1, TQ_MAX_TEXT_BYTES, &text)) ||
	    (rc = in_array(r, body, "decisions", 0, MINUTES_MAX_ITEMS, &decisions)) ||
	    (rc = in_array(r, body, "actions", 0, MINUTES_MAX_ITEMS, &actions_in)))
		goto done;
	if ((rc = vis_track_from_json(track, &members))) {
		req_fail(r, TQ_EINTERNAL, "the track's members are unreadable");
		goto done;
	}
	size_t na = json_array_size(actions_in);
	ids = calloc(na ? na : 1, sizeof *ids);
	idp = calloc(na ? na : 1, sizeof *idp);
	if (!ids || !idp) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	app_new_id("min", r->now, mid);
	for (i = 0; i < na; i++) {
		app_new_id("ai", r->now, ids[i]);
		idp[i] = ids[i];
	}
	struct meeting_minutes_draft d = {mid, text, decisions, actions_in, idp};
	if ((rc = meeting_minutes_create(&members, &s, start, 0, &d, &by, r->now, &m, &actions, &fx_m, &fx_a, &fe))) {
		meetings_core_fail(r, rc, &fe);
		goto done;
	}
	struct wf_write wr = {MINUTES_TYPE, mid, r->param[0], r->who.party, "recorded", 0, NULL, m};
	if ((rc = wfcommit(r->commit, track, &wr, &fx_m)))
		goto store_fail;
	json_array_foreach(actions, i, x) {
		struct wf_write wa = {ACTION_TYPE, json_string_value(json_object_get(x, "id")), r->param[0],
				      json_string_value(json_object_get(x, "owner")), "open", 0, NULL, x};
		if ((rc = wfcommit(r->commit, track, &wa, &fx_a)))
			goto store_fail;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/meetings/%s/minutes", r->param[0], occ);
	req_json(r, 201, m);
	m = NULL;
	goto done;
store_fail:
	req_fail(r, rc, "store failure");
done:
	free(idp);
	free(ids);
	json_decref(m);
	json_decref(actions);
	json_decref(held);
	meeting_series_free(&s);
	json_decref(track);
	return rc;
}

int meetings_minutes_get(struct req *r)
{
	json_t *track = NULL, *held = NULL, *m = NULL;
	const char *role;
	struct meeting_series s = {0};
	tq_time start;
	char occ[MEETING_OCC_ID_BUFSZ];
	int rc;
	if ((rc = meetings_occ_open(r, &track, &role, &s, &start, &held)))
		goto done;
	meeting_occ_id(s.id, start, occ);
	const char *mid = json_string_value(json_object_get(held, occ));
	rc = mid ? store_obj_get(r->app->store, r->param[0], MINUTES_TYPE, mid, &m) : TQ_ENOTFOUND;
	if (rc == TQ_OK && !auth_sees(role, r->who.party, MINUTES_TYPE, m))
		rc = TQ_ENOTFOUND;
	if (rc) {
		req_fail(r, rc, rc == TQ_ENOTFOUND ? "no minutes for this meeting" : "store failure");
		goto done;
	}
	req_json(r, 200, m);
	m = NULL;
done:
	json_decref(m);
	json_decref(held);
	meeting_series_free(&s);
	json_decref(track);
	return rc;
}

/* ---- action items -------------------------------------------------------- */

/* Only the owner marks its action item done (rule 7: one's own objects). */
int meetings_action_done(struct req *r)
{
	json_t *body, *track = NULL, *stored = NULL, *out = NULL;
	const char *role, *note = NULL;
	struct meeting_action a = {0};
	struct effects fx;
	struct tq_field_error fe = {{0}, {0}};
	struct actor by = wf_actor(&r->who);
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = auth_object(r, role, ACTION_TYPE, r->param[1], "action item", &stored)))
		goto done;
	if ((rc = meeting_action_from_json(stored, &a))) {
		req_fail(r, TQ_EINTERNAL, "a stored action item is unreadable");
		goto done;
	}
	if ((rc = meeting_action_may_finish(&a, r->who.party, &fe))) {
		meetings_core_fail(r, rc, &fe);
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "note", 0, TQ_MAX_TEXT_BYTES, &note)) ||
	    (rc = in_if_match(r, a.stamp.version)))
		goto done;
	if ((rc = meeting_action_done(&a, &by, note, r->now, &fx, &fe))) {
		meetings_core_fail(r, rc, &fe);
		goto done;
	}
	out = meeting_action_to_json(&a);
	struct wf_write w = {ACTION_TYPE, a.id, a.track, a.owner, "done", 0, stored, out};
	if ((rc = out ? wfcommit(r->commit, track, &w, &fx) : TQ_ENOMEM)) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	req_json(r, 200, out);
	out = NULL;
done:
	json_decref(out);
	meeting_action_free(&a);
	json_decref(stored);
	json_decref(track);
	return rc;
}

int meetings_action_get(struct req *r)
{
	return auth_answer_object(r, ACTION_TYPE, "action item");
}

int meetings_action_list(struct req *r)
{
	static const char *const statuses[] = {"open", "done", NULL};
	json_t *track, *all = NULL, *out, *a;
	const char *role, *status = NULL, *owner = req_query(r, "owner"), *meeting = req_query(r, "meeting");
	enum vis_role vr;
	size_t i;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	vr = vis_role_parse(role);
	json_decref(track);
	if ((rc = in_query_enum(r, "status", statuses, &status)) || (rc = meetings_scan_all(r, ACTION_TYPE, &all)))
		return rc;
	out = json_array();
	json_array_foreach(all, i, a) {
		const char *st = json_string_value(json_object_get(a, "status"));
		const char *ow = json_string_value(json_object_get(a, "owner"));
		const char *mt = json_string_value(json_object_get(a, "meeting"));
		if ((status && (!st || strcmp(st, status))) || (owner && (!ow || strcmp(ow, owner))) ||
		    (meeting && (!mt || strcmp(mt, meeting))) || !vis_sees(vr, r->who.party, ACTION_TYPE, a))
			continue;
		json_array_append(out, a);
	}
	json_decref(all);
	return out_page(r, out, "id");
}
