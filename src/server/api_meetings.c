/*
 * api_meetings — recurring coordination meetings (api.md, Meetings; Precise
 * rules 7–11): series with an RFC 5545 RRULE subset (core/rrule.h), their
 * occurrences, agendas built at call time, minutes with action items, and
 * the track's calendar.ics (core/ical.h).
 *
 * Everything is UTC: a series' start and rule are expanded in UTC, so
 * daylight-saving changes at the venue never move an occurrence.
 * An occurrence is not stored: its id "<series id>:<start, RFC 5545 UTC basic
 * form>" (rule 10) is valid exactly when the series' rule expands to that
 * start. The stored series start is the first occurrence at or after the
 * requested start, so DTSTART in the calendar is always an occurrence.
 * Types in the store: "meeting" (a series), "minutes", "action".
 * The workflow is core/meeting.h; agendas, minutes and action items are
 * answered by api_minutes.c.
 */
#include "server/api.h"

#include <stdlib.h>
#include <string.h>
#include "core/ical.h"
#include "core/limits.h"
#include "server/api_meetings.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/wfcommit.h"

/* Default window of GET …/meetings when from/to are absent. */
#define MEETING_DEFAULT_WINDOW_MS (90LL * 24 * 3600 * 1000)

int meetings_core_fail(struct req *r, int rc, const struct tq_field_error *fe)
{
	if (fe->field[0])
		return req_fail_field(r, rc, fe);
	return req_fail(r, rc, "%s", fe->message[0] ? fe->message : tq_err_name(rc));
}

static int collect_all(void *ctx, json_t *obj)
{
	json_array_append(ctx, obj);
	return 0;
}

int meetings_scan_all(struct req *r, const char *type, json_t **out)
{
	json_t *arr = json_array();
	int rc = store_obj_scan(r->app->store, r->param[0], type, NULL, 0, 0, collect_all, arr);
	if (rc) {
		json_decref(arr);
		return req_fail(r, rc, "store failure");
	}
	*out = arr;
	return TQ_OK;
}

int meetings_held_map(struct req *r, json_t **out)
{
	json_t *all, *m, *map = json_object();
	size_t i;
	int rc = meetings_scan_all(r, MINUTES_TYPE, &all);
	if (rc) {
		json_decref(map);
		return rc;
	}
	json_array_foreach(all, i, m) {
		const char *occ = json_string_value(json_object_get(m, "meeting"));
		if (occ)
			json_object_set(map, occ, json_object_get(m, "id"));
	}
	json_decref(all);
	*out = map;
	return TQ_OK;
}

int meetings_occ_load(struct req *r, const char *role, struct meeting_series *s, tq_time *start)
{
	char sid[WF_ID_BUFSZ];
	json_t *sj = NULL;
	tq_time t;
	int rc = meeting_occ_id_parse(r->param[1], sid, &t);
	memset(s, 0, sizeof *s);
	if (rc == TQ_OK)
		rc = store_obj_get(r->app->store, r->param[0], MEETING_TYPE, sid, &sj);
	if (rc == TQ_OK && !auth_sees(role, r->who.party, MEETING_TYPE, sj))
		rc = TQ_ENOTFOUND;
	if (rc == TQ_OK && meeting_series_from_json(sj, s))
		rc = TQ_EINTERNAL;
	json_decref(sj);
	if (rc == TQ_OK && !meeting_series_has(s, t))
		rc = TQ_ENOTFOUND;
	if (rc) {
		meeting_series_free(s);
		return req_fail(r, rc, rc == TQ_ENOTFOUND ? "no such meeting" : "store failure");
	}
	*start = t;
	return TQ_OK;
}

int meetings_occ_open(struct req *r, json_t **track, const char **role, struct meeting_series *s, tq_time *start,
		      json_t **held)
{
	int rc;
	if ((rc = auth_track_content(r, r->param[0], track, role)) || (rc = meetings_occ_load(r, *role, s, start)))
		return rc;
	return meetings_held_map(r, held);
}

/* ---- series -------------------------------------------------------------- */

static int series_create(struct req *r)
{
	json_t *body, *track = NULL, *out = NULL, *j = NULL;
	const char *role;
	struct meeting_series_draft d = {.track = r->param[0]};
	struct meeting_series s = {0};
	struct vis_track members;
	struct effects fx;
	struct tq_field_error fe = {{0}, {0}};
	struct actor by = wf_actor(&r->who);
	char id[APP_ID_BUFSZ];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	if (!meeting_may_schedule(vis_role_parse(role))) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not schedule meetings", role);
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "title", 1, TQ_MAX_NAME_BYTES, &d.title)) ||
	    (rc = in_string(r, body, "venue", 1, TQ_MAX_NAME_BYTES, &d.venue)) ||
	    (rc = in_string(r, body, "host", 1, 8, &d.host)) || (rc = in_time(r, body, "start", 1, &d.start)) ||
	    (rc = in_string(r, body, "duration", 1, 64, &d.duration)) ||
	    (rc = in_string(r, body, "rrule", 0, TQ_MAX_RRULE_BYTES, &d.rrule)))
		goto done;
	if ((rc = vis_track_from_json(track, &members))) {
		req_fail(r, TQ_EINTERNAL, "the track's members are unreadable");
		goto done;
	}
	app_new_id("mtg", r->now, id);
	d.id = id;
	if ((rc = meeting_series_create(&members, &d, &by, r->now, &s, &fx, &fe))) {
		meetings_core_fail(r, rc, &fe);
		goto done;
	}
	j = meeting_series_to_json(&s);
	struct wf_write wr = {MEETING_TYPE, s.id, s.track, s.host, "active", 0, NULL, j};
	if ((rc = j ? wfcommit(r->commit, track, &wr, &fx) : TQ_ENOMEM)) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	out = j;
	j = NULL;
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/meetings/series/%s", r->param[0], id);
	req_json(r, 201, out);
done:
	json_decref(j);
	meeting_series_free(&s);
	json_decref(track);
	return rc;
}

/* The series the caller sees (role from auth_track_content). */
static int series_visible_all(struct req *r, const char *role, json_t **out)
{
	json_t *all, *vis = json_array(), *s;
	size_t i;
	int rc = meetings_scan_all(r, MEETING_TYPE, &all);
	if (rc) {
		json_decref(vis);
		return rc;
	}
	json_array_foreach(all, i, s) {
		if (auth_sees(role, r->who.party, MEETING_TYPE, s))
			json_array_append(vis, s);
	}
	json_decref(all);
	*out = vis;
	return TQ_OK;
}

static int series_list(struct req *r)
{
	json_t *track, *vis;
	const char *role;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	rc = series_visible_all(r, role, &vis);
	json_decref(track);
	return rc ? rc : out_page(r, vis, "id");
}

static int series_get(struct req *r)
{
	return auth_answer_object(r, MEETING_TYPE, "meeting series");
}

/* ---- occurrences --------------------------------------------------------- */

struct occ {
	tq_time start;
	char id[MEETING_OCC_ID_BUFSZ];
	size_t series;   /* index into the series array */
};

static int occ_cmp(const void *a, const void *b)
{
	const struct occ *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* A time query argument; absent leaves *out. */
static int query_time(struct req *r, const char *name, tq_time *out)
{
	const char *v = req_query(r, name);
	if (v && tqtime_parse(v, out)) {
		struct tq_field_error fe;
		TQ_FIELD_ERROR(&fe, name, "must be an RFC 3339 time such as 2026-01-06T09:00:00Z");
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	return TQ_OK;
}

/* Reads every series of the array into ss[0..n). */
static int series_read_all(struct req *r, const json_t *all, struct meeting_series **out)
{
	size_t n = json_array_size(all);
	struct meeting_series *ss = calloc(n ? n : 1, sizeof *ss);
	if (!ss)
		return req_fail(r, TQ_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (meeting_series_from_json(json_array_get(all, i), &ss[i])) {
			for (size_t k = 0; k < i; k++)
				meeting_series_free(&ss[k]);
			free(ss);
			return req_fail(r, TQ_EINTERNAL, "a stored meeting series is unreadable");
		}
	}
	*out = ss;
	return TQ_OK;
}

static void series_free_all(struct meeting_series *ss, size_t n)
{
	for (size_t i = 0; ss && i < n; i++)
		meeting_series_free(&ss[i]);
	free(ss);
}

/* GET …/meetings?from=&to=&limit=&after=: occurrences whose start lies in
 * [from, to) (rule 11), by start then id; after= is the last id of the
 * previous page. */
static int occ_list(struct req *r)
{
	json_t *track = NULL, *all = NULL, *held = NULL, *items = NULL;
	const char *role, *after = req_query(r, "after");
	tq_time from = r->now, to = TQ_TIME_MAX, after_start = TQ_TIME_MIN;
	struct meeting_series *ss = NULL;
	struct occ *occs = NULL;
	tq_time *buf = NULL;
	size_t limit, nocc = 0, cap, ns = 0;
	char after_series[WF_ID_BUFSZ];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = req_limit(r, &limit)) ||
	    (rc = query_time(r, "from", &from)) || (rc = query_time(r, "to", &to)))
		goto done;
	if (!req_query(r, "to"))
		to = from > TQ_TIME_MAX - MEETING_DEFAULT_WINDOW_MS ? TQ_TIME_MAX : from + MEETING_DEFAULT_WINDOW_MS;
	if (to <= from) {
		struct tq_field_error fe = {"to", "must be after from"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if (after && meeting_occ_id_parse(after, after_series, &after_start)) {
		struct tq_field_error fe = {"after", "is not a meeting id"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if ((rc = series_visible_all(r, role, &all)) || (rc = meetings_held_map(r, &held)) ||
	    (rc = series_read_all(r, all, &ss)))
		goto done;
	ns = json_array_size(all);
	/* The page needs the first limit + 1 occurrences overall (the extra one
	 * tells whether there is a next page). Each series adds at most that many;
	 * after each series the buffer is sorted and cut back, so memory stays
	 * bounded by the page, not by the number of series. */
	cap = 2 * (limit + 1);
	occs = calloc(cap, sizeof *occs);
	buf = calloc(limit + 2, sizeof *buf);
	if (!occs || !buf) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	tq_time lo = after && after_start > from ? after_start : from;
	for (size_t i = 0; i < ns; i++) {
		size_t n = 0;
		if (meeting_series_expand(&ss[i], lo, to, buf, limit + 2, &n)) {
			rc = req_fail(r, TQ_EINTERNAL, "a stored meeting series is unreadable");
			goto done;
		}
		size_t taken = 0;
		for (size_t k = 0; k < n && taken < limit + 1; k++) {
			struct occ *o = &occs[nocc];
			o->start = buf[k];
			o->series = i;
			meeting_occ_id(ss[i].id, buf[k], o->id);
			if (after && (o->start < after_start || (o->start == after_start && strcmp(o->id, after) <= 0)))
				continue;
			nocc++, taken++;
		}
		qsort(occs, nocc, sizeof *occs, occ_cmp);
		if (nocc > limit + 1)
			nocc = limit + 1;
	}
	items = json_array();
	for (size_t k = 0; k < nocc && k < limit; k++)
		json_array_append_new(items, meeting_occ_json(&ss[occs[k].series], occs[k].start,
							      json_object_get(held, occs[k].id) != NULL));
	req_json(r, 200, json_pack("{s:o, s:s?}", "items", items, "next", nocc > limit ? occs[limit - 1].id : NULL));
	items = NULL;
done:
	json_decref(items);
	free(buf);
	free(occs);
	series_free_all(ss, ns);
	json_decref(held);
	json_decref(all);
	json_decref(track);
	return rc;
}

static int occ_get(struct req *r)
{
	json_t *track = NULL, *held = NULL;
	const char *role;
	struct meeting_series s = {0};
	char occ[MEETING_OCC_ID_BUFSZ];
	tq_time start;
	int rc;
	if ((rc = meetings_occ_open(r, &track, &role, &s, &start, &held)))
		goto done;
	meeting_occ_id(s.id, start, occ);
	req_json(r, 200, meeting_occ_json(&s, start, json_object_get(held, occ) != NULL));
done:
	meeting_series_free(&s);
	json_decref(held);
	json_decref(track);
	return rc;
}

/* ---- calendar ------------------------------------------------------------ */

static int calendar_get(struct req *r)
{
	json_t *track = NULL, *all = NULL;
	const char *role;
	struct meeting_series *ss = NULL;
	struct ical_event *ev = NULL;
	char (*uids)[WF_ID_BUFSZ + 16] = NULL;
	char *text = NULL;
	size_t n = 0;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = series_visible_all(r, role, &all)) ||
	    (rc = series_read_all(r, all, &ss)))
		goto done;
	n = json_array_size(all);
	ev = calloc(n ? n : 1, sizeof *ev);
	uids = calloc(n ? n : 1, sizeof *uids);
	if (!ev || !uids) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(uids[i], sizeof uids[i], "%s@tansiq", ss[i].id);
		ev[i] = (struct ical_event){
			.uid = uids[i],
			.dtstart = ss[i].start,
			.duration_ms = ss[i].duration_ms,
			.rrule = ss[i].has_rule ? &ss[i].rule : NULL,
			.summary = json_string_value(json_object_get(ss[i].doc, "title")),
			.location = json_string_value(json_object_get(ss[i].doc, "venue")),
		};
	}
	if ((rc = ical_calendar(ev, n, r->now, &text))) {
		req_fail(r, rc, "cannot build the calendar");
		goto done;
	}
	req_text(r, 200, "text/calendar; charset=utf-8", text, strlen(text));
done:
	free(uids);
	free(ev);
	series_free_all(ss, n);
	json_decref(all);
	json_decref(track);
	return rc;
}

const struct route api_meeting_routes[] = {
	{"POST", "/v1/tracks/:t/meetings/series", series_create, ROUTE_WRITE | ROUTE_STAGED},
	{"GET", "/v1/tracks/:t/meetings/series", series_list, 0},
	{"GET", "/v1/tracks/:t/meetings/series/:id", series_get, 0},
	{"GET", "/v1/tracks/:t/meetings", occ_list, 0},
	{"GET", "/v1/tracks/:t/meetings/:id", occ_get, 0},
	{"GET", "/v1/tracks/:t/meetings/:id/agenda", meetings_agenda_get, 0},
	{"POST", "/v1/tracks/:t/meetings/:id/minutes", meetings_minutes_create, ROUTE_WRITE | ROUTE_STAGED},
	{"GET", "/v1/tracks/:t/meetings/:id/minutes", meetings_minutes_get, 0},
	{"GET", "/v1/tracks/:t/actions", meetings_action_list, 0},
	{"GET", "/v1/tracks/:t/actions/:id", meetings_action_get, 0},
	{"POST", "/v1/tracks/:t/actions/:id/done", meetings_action_done, ROUTE_WRITE | ROUTE_STAGED},
	{"GET", "/v1/tracks/:t/calendar.ics", calendar_get, 0},
	{NULL, NULL, NULL, 0},
};
