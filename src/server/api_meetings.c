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
 */
#include "server/api.h"

#include <stdlib.h>
#include <string.h>
#include "core/ical.h"
#include "core/limits.h"
#include "core/rrule.h"
#include "server/auth.h"
#include "server/input.h"

/* A meeting longer than a week is not a meeting. */
#define MEETING_MAX_DURATION_MS (7LL * 24 * 3600 * 1000)
/* Default window of GET …/meetings when from/to are absent. */
#define MEETING_DEFAULT_WINDOW_MS (90LL * 24 * 3600 * 1000)
#define MINUTES_MAX_ITEMS 100
#define OCC_ID_BUFSZ (APP_ID_BUFSZ + 24)

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

/* ---- series and occurrences ---------------------------------------------- */

struct series {
	const json_t *json;
	const char *id;
	tq_time start;
	int64_t duration_ms;
	int has_rule;
	struct rrule rule;
};

/* Reads a stored series; TQ_EINTERNAL if the store holds something we did not write. */
static int series_read(const json_t *s, struct series *out)
{
	const char *start = json_string_value(json_object_get(s, "start"));
	const char *dur = json_string_value(json_object_get(s, "duration"));
	const char *rule = json_string_value(json_object_get(s, "rrule"));
	memset(out, 0, sizeof *out);
	out->json = s;
	out->id = json_string_value(json_object_get(s, "id"));
	if (!out->id || !start || !dur || tqtime_parse(start, &out->start) ||
	    tqtime_duration_parse(dur, &out->duration_ms))
		return TQ_EINTERNAL;
	if (rule) {
		out->has_rule = 1;
		if (rrule_parse(rule, &out->rule, NULL, 0))
			return TQ_EINTERNAL;
	}
	return TQ_OK;
}

/* Occurrence starts of s in [from, to), ascending, at most max. */
static int series_expand(const struct series *s, tq_time from, tq_time to, tq_time *out, size_t max, size_t *n)
{
	if (s->has_rule)
		return rrule_expand(&s->rule, s->start, from, to, out, max, n);
	*n = 0;
	if (max && s->start >= from && s->start < to)
		out[(*n)++] = s->start;
	return TQ_OK;
}

static void occ_id(const char *series_id, tq_time start, char out[OCC_ID_BUFSZ])
{
	char basic[TQTIME_BUFSZ];
	tqtime_format_basic(start, basic);
	snprintf(out, OCC_ID_BUFSZ, "%s:%s", series_id, basic);
}

/* Splits "<series id>:<YYYYMMDDTHHMMSSZ>"; 0 or TQ_ENOTFOUND. */
static int occ_id_parse(const char *id, char series_id[APP_ID_BUFSZ], tq_time *start)
{
	const char *colon = strrchr(id, ':');
	char rfc[TQTIME_BUFSZ];
	if (!colon || colon == id || (size_t)(colon - id) >= APP_ID_BUFSZ || strlen(colon + 1) != 16)
		return TQ_ENOTFOUND;
	const char *b = colon + 1;
	for (int i = 0; i < 16; i++) {
		int digit = b[i] >= '0' && b[i] <= '9';
		if ((i == 8 && b[i] != 'T') || (i == 15 && b[i] != 'Z') || (i != 8 && i != 15 && !digit))
			return TQ_ENOTFOUND;
	}
	snprintf(rfc, sizeof rfc, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", b, b + 4, b + 6, b + 9, b + 11, b + 13);
	if (tqtime_parse(rfc, start))
		return TQ_ENOTFOUND;
	memcpy(series_id, id, (size_t)(colon - id));
	series_id[colon - id] = '\0';
	return TQ_OK;
}

/* "held" once minutes exist for it, else "scheduled". held: {occurrence id: minutes id}. */
static json_t *occ_json(const struct series *s, tq_time start, const json_t *held)
{
	char id[OCC_ID_BUFSZ];
	occ_id(s->id, start, id);
	return json_pack("{s:s, s:s, s:O, s:o, s:o, s:O, s:O, s:s}", "id", id, "series", s->id, "title",
			 json_object_get(s->json, "title"), "start", app_time_json(start), "end",
			 app_time_json(start + s->duration_ms), "venue", json_object_get(s->json, "venue"), "host",
			 json_object_get(s->json, "host"), "status", json_object_get(held, id) ? "held" : "scheduled");
}

static int collect_all(void *ctx, json_t *obj)
{
	json_array_append(ctx, obj);
	return 0;
}

/* Every object of type in the track, in id order. Returns owned via *out. */
static int scan_all(struct req *r, const char *type, json_t **out)
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

/* {occurrence id: minutes id} for the track. */
static int held_map(struct req *r, json_t **out)
{
	json_t *all, *m, *map = json_object();
	size_t i;
	int rc = scan_all(r, "minutes", &all);
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

/* The occurrence r->param[1] as the caller may see it: *series_json owned,
 * *s borrows from it. 404 when the id does not expand. */
static int occ_load(struct req *r, const char *role, json_t **series_json, struct series *s, tq_time *start)
{
	char sid[APP_ID_BUFSZ];
	json_t *sj = NULL;
	tq_time t, got;
	size_t n = 0;
	int rc = occ_id_parse(r->param[1], sid, &t);
	if (rc == TQ_OK)
		rc = store_obj_get(r->app->store, r->param[0], "meeting", sid, &sj);
	if (rc == TQ_OK && !auth_sees(role, r->who.party, "meeting", sj))
		rc = TQ_ENOTFOUND;
	if (rc == TQ_OK && series_read(sj, s))
		rc = TQ_EINTERNAL;
	if (rc == TQ_OK && (series_expand(s, t, t + 1, &got, 1, &n) || n != 1))
		rc = TQ_ENOTFOUND;
	if (rc) {
		json_decref(sj);
		return req_fail(r, rc, rc == TQ_ENOTFOUND ? "no such meeting" : "store failure");
	}
	*series_json = sj;
	*start = t;
	return TQ_OK;
}

/* ---- series -------------------------------------------------------------- */

static int series_create(struct req *r)
{
	static const char *const writers[] = {"principal", "host", "mediator", "supervisor", NULL};
	json_t *body, *track = NULL, *s = NULL;
	const char *role, *title = NULL, *venue = NULL, *host = NULL, *dur_text = NULL, *rule_text = NULL;
	tq_time start = 0, first;
	int64_t dur = 0;
	struct rrule rule;
	char errbuf[RRULE_ERRBUF_SZ], canon[RRULE_FORMAT_BUFSZ], dur_canon[TQTIME_BUFSZ], id[APP_ID_BUFSZ];
	struct tq_field_error fe;
	size_t n = 0;
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	if ((rc = auth_require_role(r, role, writers, "schedule meetings")) || (rc = req_object(r, &body)) ||
	    (rc = in_string(r, body, "title", 1, TQ_MAX_NAME_BYTES, &title)) ||
	    (rc = in_string(r, body, "venue", 1, TQ_MAX_NAME_BYTES, &venue)) ||
	    (rc = in_string(r, body, "host", 1, 8, &host)) || (rc = in_time(r, body, "start", 1, &start)) ||
	    (rc = in_string(r, body, "duration", 1, 64, &dur_text)) ||
	    (rc = in_string(r, body, "rrule", 0, TQ_MAX_RRULE_BYTES, &rule_text)))
		goto done;
	fe.message[0] = '\0';
	if (!title[0])
		TQ_FIELD_ERROR(&fe, "title", "must not be empty");
	else if (!venue[0])
		TQ_FIELD_ERROR(&fe, "venue", "must not be empty");
	else if (!app_member_role(track, host)) /* rule 9 */
		TQ_FIELD_ERROR(&fe, "host", "party '%s' is not a member of this track", host);
	else if (start % 1000)
		TQ_FIELD_ERROR(&fe, "start", "must be whole seconds (calendars have no fractions)");
	else if (tqtime_duration_parse(dur_text, &dur) || dur <= 0 || dur > MEETING_MAX_DURATION_MS || dur % 1000)
		TQ_FIELD_ERROR(&fe, "duration", "must be an ISO 8601 duration of whole seconds, above 0 and at most P7D");
	else if (rule_text && rrule_parse(rule_text, &rule, errbuf, sizeof errbuf))
		TQ_FIELD_ERROR(&fe, "rrule", "%s", errbuf);
	if (fe.message[0]) {
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	/* RFC 5545 calendar programs show DTSTART as an occurrence: store the first
	 * instance of the rule at or after the requested start. */
	first = start;
	if (rule_text) {
		rc = rrule_expand(&rule, start, start, TQ_TIME_MAX, &first, 1, &n);
		if (rc || n == 0) {
			TQ_FIELD_ERROR(&fe, rc ? "start" : "rrule",
				       rc ? "is outside the years 1970..9999" : "has no occurrence at or after start");
			rc = req_fail_field(r, TQ_EINVALID, &fe);
			goto done;
		}
		if ((rc = rrule_format(&rule, canon, sizeof canon))) {
			req_fail(r, rc, "cannot format the rule");
			goto done;
		}
	}
	tqtime_duration_format(dur, dur_canon);
	app_new_id("mtg", r->now, id);
	s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "id", id, "track", r->param[0], "title", title,
		      "venue", venue, "host", host, "start", app_time_json(first), "duration", dur_canon, "rrule",
		      rule_text ? json_string(canon) : json_null());
	if (!s) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	api_stamp(r, s);
	char audience[AUTH_AUDIENCE_MAX];
	auth_audience(track, "meeting", s, 0, audience, sizeof audience);
	if ((rc = store_obj_put(r->app->store, &(struct store_obj_meta){id, r->param[0], "meeting", host, "active", 0},
				s)) ||
	    (rc = app_emit(r->app, &r->who, r->now, "meeting.series_created", r->param[0], audience, s, NULL))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/meetings/series/%s", r->param[0], id);
	req_json(r, 201, s);
	s = NULL;
done:
	json_decref(s);
	json_decref(track);
	return rc;
}

static int series_visible_all(struct req *r, const char *role, json_t **out)
{
	json_t *all, *vis = json_array(), *s;
	size_t i;
	int rc = scan_all(r, "meeting", &all);
	if (rc) {
		json_decref(vis);
		return rc;
	}
	json_array_foreach(all, i, s) {
		if (auth_sees(role, r->who.party, "meeting", s))
			json_array_append(vis, s);
	}
	json_decref(all);
	*out = vis;
	return TQ_OK;
}

static int series_list(struct req *r)
{
	json_t *vis;
	char role[16];
	int rc;
	if ((rc = caller_role(r, role)))
		return rc;
	if ((rc = series_visible_all(r, role, &vis)))
		return rc;
	return out_page(r, vis, "id");
}

static int series_get(struct req *r)
{
	json_t *s = NULL;
	char role[16];
	int rc;
	if ((rc = caller_role(r, role)))
		return rc;
	if ((rc = auth_object(r, role, "meeting", r->param[1], "meeting series", &s)))
		return rc;
	req_json(r, 200, s);
	return TQ_OK;
}

/* ---- occurrences --------------------------------------------------------- */

struct occ {
	tq_time start;
	char id[OCC_ID_BUFSZ];
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

/* GET …/meetings?from=&to=&limit=&after=: occurrences whose start lies in
 * [from, to) (rule 11), by start then id; after= is the last id of the
 * previous page. */
static int occ_list(struct req *r)
{
	json_t *track = NULL, *all = NULL, *held = NULL, *items = NULL;
	const char *role, *after = req_query(r, "after");
	tq_time from = r->now, to = TQ_TIME_MAX, after_start = TQ_TIME_MIN;
	struct series *ss = NULL;
	struct occ *occs = NULL;
	tq_time *buf = NULL;
	size_t limit, nocc = 0, cap;
	char after_series[APP_ID_BUFSZ];
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
	if (after && occ_id_parse(after, after_series, &after_start)) {
		struct tq_field_error fe = {"after", "is not a meeting id"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if ((rc = series_visible_all(r, role, &all)) || (rc = held_map(r, &held)))
		goto done;
	/* The page needs the first limit + 1 occurrences overall (the extra one
	 * tells whether there is a next page). Each series adds at most that many;
	 * after each series the buffer is sorted and cut back, so memory stays
	 * bounded by the page, not by the number of series. */
	size_t ns = json_array_size(all);
	cap = 2 * (limit + 1);
	ss = calloc(ns ? ns : 1, sizeof *ss);
	occs = calloc(cap, sizeof *occs);
	buf = calloc(limit + 2, sizeof *buf);
	if (!ss || !occs || !buf) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	tq_time lo = after && after_start > from ? after_start : from;
	for (size_t i = 0; i < ns; i++) {
		size_t n = 0;
		if (series_read(json_array_get(all, i), &ss[i]) ||
		    series_expand(&ss[i], lo, to, buf, limit + 2, &n)) {
			rc = req_fail(r, TQ_EINTERNAL, "a stored meeting series is unreadable");
			goto done;
		}
		size_t taken = 0;
		for (size_t k = 0; k < n && taken < limit + 1; k++) {
			struct occ *o = &occs[nocc];
			o->start = buf[k];
			o->series = i;
			occ_id(ss[i].id, buf[k], o->id);
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
		json_array_append_new(items, occ_json(&ss[occs[k].series], occs[k].start, held));
	req_json(r, 200, json_pack("{s:o, s:s?}", "items", items, "next", nocc > limit ? occs[limit - 1].id : NULL));
	items = NULL;
done:
	json_decref(items);
	free(buf);
	free(occs);
	free(ss);
	json_decref(held);
	json_decref(all);
	json_decref(track);
	return rc;
}

static int occ_get(struct req *r)
{
	json_t *track = NULL, *sj = NULL, *held = NULL;
	const char *role;
	struct series s;
	tq_time start;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = occ_load(r, role, &sj, &s, &start)) ||
	    (rc = held_map(r, &held)))
		goto done;
	req_json(r, 200, occ_json(&s, start, held));
done:
	json_decref(held);
	json_decref(sj);
	json_decref(track);
	return rc;
}

/* ---- agenda -------------------------------------------------------------- */

struct agenda {
	struct req *r;
	const char *role;
	const char *section, *type;
	tq_time overdue_before;
	json_t *items;
};

static json_t *refs_of(const char *type, const json_t *obj)
{
	json_t *refs = json_array(), *x;
	size_t i;
	if (strcmp(type, "conflict") == 0) {
		json_array_foreach(json_object_get(obj, "subjects"), i, x) {
			json_array_append_new(refs, json_pack("{s:O, s:O}", "type", json_object_get(x, "type"), "id",
							      json_object_get(x, "id")));
		}
	} else if (strcmp(type, "action") == 0) {
		json_array_append_new(refs, json_pack("{s:s, s:O}", "type", "meeting", "id", json_object_get(obj, "meeting")));
	} else {
		json_array_foreach(json_object_get(obj, "refs"), i, x) {
			if (json_is_object(x))
				json_array_append(refs, x);
		}
	}
	return refs;
}

static int agenda_visit(void *ctx, json_t *obj)
{
	struct agenda *g = ctx;
	const char *status = json_string_value(json_object_get(obj, "status"));
	const char *summary = NULL;
	int take = 0;
	if (!status)
		status = "";
	if (strcmp(g->type, "dispute") == 0) {
		take = strcmp(status, "resolved") != 0 && strcmp(status, "withdrawn") != 0;
		summary = json_string_value(json_object_get(obj, "subject"));
	} else if (strcmp(g->type, "conflict") == 0) {
		take = strcmp(status, "open") == 0 || strcmp(status, "acknowledged") == 0;
		summary = json_string_value(json_object_get(obj, "kind"));
	} else if (strcmp(g->type, "threat") == 0) {
		take = strcmp(status, "lapsed") == 0;
		summary = json_string_value(json_object_get(obj, "category"));
	} else if (strcmp(g->type, "message") == 0) {
		take = json_is_true(json_object_get(obj, "escalated"));
		summary = json_string_value(json_object_get(obj, "subject"));
	} else if (strcmp(g->type, "action") == 0) {
		tq_time due;
		const char *d = json_string_value(json_object_get(obj, "due"));
		take = strcmp(status, "open") == 0 && d && tqtime_parse(d, &due) == 0 && due < g->overdue_before;
		summary = json_string_value(json_object_get(obj, "text"));
	}
	if (!take || !auth_sees(g->role, g->r->who.party, g->type, obj))
		return 0;
	json_t *item = json_pack("{s:s, s:s, s:O, s:s, s:s, s:o}", "section", g->section, "type", g->type, "id",
				 json_object_get(obj, "id"), "summary", summary ? summary : "", "status", status, "refs",
				 refs_of(g->type, obj));
	if (strcmp(g->type, "action") == 0) {
		json_object_set(item, "owner", json_object_get(obj, "owner"));
		json_object_set(item, "due", json_object_get(obj, "due"));
	}
	json_array_append_new(g->items, item);
	return 0;
}

/* Built at call time from the track's state; each item only if the caller
 * sees its object. Overdue action items: still open and due before the
 * meeting starts or before now, whichever is later. */
static int agenda_get(struct req *r)
{
	static const struct {
		const char *section, *type;
	} sections[] = {
		{"disputes", "dispute"}, {"conflicts", "conflict"}, {"threats", "threat"},
		{"messages", "message"}, {"actions", "action"},
	};
	json_t *track = NULL, *sj = NULL, *held = NULL;
	const char *role;
	struct series s;
	tq_time start;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = occ_load(r, role, &sj, &s, &start)) ||
	    (rc = held_map(r, &held)))
		goto done;
	struct agenda g = {r, role, NULL, NULL, start > r->now ? start : r->now, json_array()};
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		g.section = sections[i].section;
		g.type = sections[i].type;
		if ((rc = store_obj_scan(r->app->store, r->param[0], g.type, NULL, 0, 0, agenda_visit, &g))) {
			json_decref(g.items);
			req_fail(r, rc, "store failure");
			goto done;
		}
	}
	req_json(r, 200, json_pack("{s:o, s:o, s:o}", "meeting", occ_json(&s, start, held), "generated_at",
				   app_time_json(r->now), "items", g.items));
done:
	json_decref(held);
	json_decref(sj);
	json_decref(track);
	return rc;
}

/* ---- minutes and action items -------------------------------------------- */

static int save_emit(struct req *r, const json_t *track, const char *type, const char *party, const char *status,
		     const json_t *obj, const char *event)
{
	char audience[AUTH_AUDIENCE_MAX];
	const char *id = json_string_value(json_object_get(obj, "id"));
	int rc = store_obj_put(r->app->store, &(struct store_obj_meta){id, r->param[0], type, party, status, 0}, obj);
	if (rc)
		return rc;
	auth_audience(track, type, obj, 0, audience, sizeof audience);
	return app_emit(r->app, &r->who, r->now, event, r->param[0], audience, obj, NULL);
}

/* One action item of the minutes, validated into a new action object. */
static int action_parse(struct req *r, const json_t *track, const json_t *in, size_t i, const char *occ,
			const char *minutes_id, json_t **out)
{
	char field[48], id[APP_ID_BUFSZ];
	const char *owner = NULL, *text = NULL;
	tq_time due = 0;
	struct tq_field_error fe;
	int rc;

	snprintf(field, sizeof field, "actions[%zu]", i);
	if (!json_is_object(in)) {
		TQ_FIELD_ERROR(&fe, field, "must be an object {owner, text, due}");
		return req_fail_field(r, TQ_EMALFORMED, &fe);
	}
	if ((rc = in_string(r, in, "owner", 1, 8, &owner)) || (rc = in_string(r, in, "text", 1, TQ_MAX_TEXT_BYTES, &text)) ||
	    (rc = in_time(r, in, "due", 1, &due)))
		return rc;
	const char *role = app_member_role(track, owner);
	snprintf(field, sizeof field, "actions[%zu].owner", i);
	if (!role) { /* rule 9 */
		TQ_FIELD_ERROR(&fe, field, "party '%s' is not a member of this track", owner);
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	if (strcmp(role, "observer") == 0) {
		TQ_FIELD_ERROR(&fe, field, "party '%s' is an observer and cannot act", owner);
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	if (!text[0]) {
		snprintf(field, sizeof field, "actions[%zu].text", i);
		TQ_FIELD_ERROR(&fe, field, "must not be empty");
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	app_new_id("ai", r->now, id);
	*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "id", id, "track", r->param[0], "meeting", occ,
			 "minutes", minutes_id, "owner", owner, "text", text, "due", app_time_json(due), "status",
			 "open");
	api_stamp(r, *out);
	return TQ_OK;
}

static int minutes_create(struct req *r)
{
	static const char *const writers[] = {"principal", "host", NULL};
	json_t *body, *track = NULL, *sj = NULL, *held = NULL, *decisions = NULL, *actions_in = NULL;
	json_t *m = NULL, *actions = json_array(), *x;
	const char *role, *text = NULL;
	struct series s;
	tq_time start;
	char occ[OCC_ID_BUFSZ], mid[APP_ID_BUFSZ];
	size_t i;
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = occ_load(r, role, &sj, &s, &start)))
		goto done;
	/* The host role of the track, a principal, or the party hosting the series. */
	const char *series_host = json_string_value(json_object_get(sj, "host"));
	if (!(series_host && strcmp(series_host, r->who.party) == 0) &&
	    (rc = auth_require_role(r, role, writers, "record minutes")))
		goto done;
	occ_id(s.id, start, occ);
	if ((rc = held_map(r, &held)))
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
	json_array_foreach(decisions, i, x) {
		char field[32];
		snprintf(field, sizeof field, "decisions[%zu]", i);
		if (!json_is_string(x) || json_string_length(x) > TQ_MAX_TEXT_BYTES ||
		    !in_text_ok(json_string_value(x))) {
			struct tq_field_error fe;
			TQ_FIELD_ERROR(&fe, field, "must be text of at most %d bytes", TQ_MAX_TEXT_BYTES);
			rc = req_fail_field(r, json_is_string(x) ? TQ_EINVALID : TQ_EMALFORMED, &fe);
			goto done;
		}
	}
	app_new_id("min", r->now, mid);
	json_array_foreach(actions_in, i, x) {
		json_t *a = NULL;
		if ((rc = action_parse(r, track, x, i, occ, mid, &a)))
			goto done;
		json_array_append_new(actions, a);
	}
	json_t *ids = json_array();
	json_array_foreach(actions, i, x)
		json_array_append(ids, json_object_get(x, "id"));
	m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", mid, "track", r->param[0], "meeting", occ,
		      "series", s.id, "text", text, "decisions", decisions ? json_incref(decisions) : json_array(),
		      "actions", ids);
	api_stamp(r, m);
	if ((rc = save_emit(r, track, "minutes", r->who.party, "recorded", m, "meeting.minutes")))
		goto store_fail;
	json_array_foreach(actions, i, x) {
		if ((rc = save_emit(r, track, "action", json_string_value(json_object_get(x, "owner")), "open", x,
				    "action.created")))
			goto store_fail;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/meetings/%s/minutes", r->param[0], occ);
	req_json(r, 201, m);
	m = NULL;
	goto done;
store_fail:
	req_fail(r, rc, "store failure");
done:
	json_decref(m);
	json_decref(actions);
	json_decref(held);
	json_decref(sj);
	json_decref(track);
	return rc;
}

static int minutes_get(struct req *r)
{
	json_t *track = NULL, *sj = NULL, *held = NULL, *m = NULL;
	const char *role;
	struct series s;
	tq_time start;
	char occ[OCC_ID_BUFSZ];
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = occ_load(r, role, &sj, &s, &start)) ||
	    (rc = held_map(r, &held)))
		goto done;
	occ_id(s.id, start, occ);
	const char *mid = json_string_value(json_object_get(held, occ));
	rc = mid ? store_obj_get(r->app->store, r->param[0], "minutes", mid, &m) : TQ_ENOTFOUND;
	if (rc == TQ_OK && !auth_sees(role, r->who.party, "minutes", m))
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
	json_decref(sj);
	json_decref(track);
	return rc;
}

static int action_load(struct req *r, const char *role, json_t **out)
{
	return auth_object(r, role, "action", r->param[1], "action item", out);
}

/* Only the owner marks its action item done (rule 7: one's own objects). */
static int action_done(struct req *r)
{
	json_t *body, *track = NULL, *a = NULL;
	const char *role, *note = NULL;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = action_load(r, role, &a)))
		goto done;
	const char *owner = json_string_value(json_object_get(a, "owner"));
	if (!owner || strcmp(owner, r->who.party) != 0) {
		rc = req_fail(r, TQ_EFORBIDDEN, "only the owner (%s) may mark this action item done", owner ? owner : "?");
		goto done;
	}
	if (strcmp(json_string_value(json_object_get(a, "status")) ?: "", "open") != 0) {
		rc = req_fail(r, TQ_ECONFLICT, "the action item is already done");
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "note", 0, TQ_MAX_TEXT_BYTES, &note)) ||
	    (rc = in_if_match(r, json_integer_value(json_object_get(a, "version")))))
		goto done;
	json_object_set_new(a, "status", json_string("done"));
	json_object_set_new(a, "done_at", app_time_json(r->now));
	json_object_set_new(a, "done_by", app_who_json(&r->who));
	if (note)
		json_object_set_new(a, "note", json_string(note));
	api_bump(r, a);
	if ((rc = save_emit(r, track, "action", owner, "done", a, "action.done"))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	req_json(r, 200, a);
	a = NULL;
done:
	json_decref(a);
	json_decref(track);
	return rc;
}

static int action_get(struct req *r)
{
	return auth_answer_object(r, "action", "action item");
}

static int action_list(struct req *r)
{
	json_t *all = NULL, *out, *a;
	char role[16];
	const char *status = req_query(r, "status"), *owner = req_query(r, "owner");
	const char *meeting = req_query(r, "meeting");
	size_t i;
	int rc;
	if ((rc = caller_role(r, role)))
		return rc;
	if (status && strcmp(status, "open") != 0 && strcmp(status, "done") != 0) {
		struct tq_field_error fe = {"status", "must be one of: open done"};
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	if ((rc = scan_all(r, "action", &all)))
		return rc;
	out = json_array();
	json_array_foreach(all, i, a) {
		const char *st = json_string_value(json_object_get(a, "status"));
		const char *ow = json_string_value(json_object_get(a, "owner"));
		const char *mt = json_string_value(json_object_get(a, "meeting"));
		if ((status && (!st || strcmp(st, status))) || (owner && (!ow || strcmp(ow, owner))) ||
		    (meeting && (!mt || strcmp(mt, meeting))) || !auth_sees(role, r->who.party, "action", a))
			continue;
		json_array_append(out, a);
	}
	json_decref(all);
	return out_page(r, out, "id");
}

/* ---- calendar ------------------------------------------------------------ */

static int calendar_get(struct req *r)
{
	json_t *track = NULL, *all = NULL;
	const char *role;
	struct series *ss = NULL;
	struct ical_event *ev = NULL;
	char (*uids)[APP_ID_BUFSZ + 16] = NULL;
	char *text = NULL;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = series_visible_all(r, role, &all)))
		goto done;
	size_t n = json_array_size(all);
	ss = calloc(n ? n : 1, sizeof *ss);
	ev = calloc(n ? n : 1, sizeof *ev);
	uids = calloc(n ? n : 1, sizeof *uids);
	if (!ss || !ev || !uids) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (series_read(json_array_get(all, i), &ss[i])) {
			rc = req_fail(r, TQ_EINTERNAL, "a stored meeting series is unreadable");
			goto done;
		}
		snprintf(uids[i], sizeof uids[i], "%s@tansiq", ss[i].id);
		ev[i] = (struct ical_event){
			.uid = uids[i],
			.dtstart = ss[i].start,
			.duration_ms = ss[i].duration_ms,
			.rrule = ss[i].has_rule ? &ss[i].rule : NULL,
			.summary = json_string_value(json_object_get(ss[i].json, "title")),
			.location = json_string_value(json_object_get(ss[i].json, "venue")),
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
	free(ss);
	json_decref(all);
	json_decref(track);
	return rc;
}

const struct route api_meeting_routes[] = {
	{"POST", "/v1/tracks/:t/meetings/series", series_create, ROUTE_WRITE},
	{"GET", "/v1/tracks/:t/meetings/series", series_list, 0},
	{"GET", "/v1/tracks/:t/meetings/series/:id", series_get, 0},
	{"GET", "/v1/tracks/:t/meetings", occ_list, 0},
	{"GET", "/v1/tracks/:t/meetings/:id", occ_get, 0},
	{"GET", "/v1/tracks/:t/meetings/:id/agenda", agenda_get, 0},
	{"POST", "/v1/tracks/:t/meetings/:id/minutes", minutes_create, ROUTE_WRITE},
	{"GET", "/v1/tracks/:t/meetings/:id/minutes", minutes_get, 0},
	{"GET", "/v1/tracks/:t/actions", action_list, 0},
	{"GET", "/v1/tracks/:t/actions/:id", action_get, 0},
	{"POST", "/v1/tracks/:t/actions/:id/done", action_done, ROUTE_WRITE},
	{"GET", "/v1/tracks/:t/calendar.ics", calendar_get, 0},
	{NULL, NULL, NULL, 0},
};
