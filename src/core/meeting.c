#include "core/meeting.h"

#include <stdio.h>
#include <string.h>
#include "core/limits.h"

#define TQ_STR_(x) #x
#define TQ_STR(x) TQ_STR_(x)

/* ---- series --------------------------------------------------------------- */

int meeting_may_schedule(enum vis_role role)
{
	return role == VIS_PRINCIPAL || role == VIS_HOST || role == VIS_MEDIATOR || role == VIS_SUPERVISOR;
}

int meeting_series_create(const struct vis_track *t, const struct meeting_series_draft *d, const struct actor *by,
			  tq_time now, struct meeting_series *out, struct effects *fx, struct tq_field_error *fe)
{
	struct meeting_series s;
	char errbuf[RRULE_ERRBUF_SZ], canon[RRULE_FORMAT_BUFSZ], dur_canon[TQTIME_BUFSZ];
	enum vis_role host_role;
	size_t n = 0;
	int rc;

	memset(&s, 0, sizeof s);
	if (!by->party || !meeting_may_schedule(vis_role_of(t, by->party))) {
		TQ_FIELD_ERROR(fe, "", "a %s may not schedule meetings",
			       vis_role_name(vis_role_of(t, by->party)) ?: "non-member");
		return TQ_EFORBIDDEN;
	}
	host_role = vis_role_of(t, d->host);
	if (!d->title || !d->title[0]) {
		TQ_FIELD_ERROR(fe, "title", "must not be empty");
		return TQ_EINVALID;
	}
	if (!d->venue || !d->venue[0]) {
		TQ_FIELD_ERROR(fe, "venue", "must not be empty");
		return TQ_EINVALID;
	}
	if (host_role == VIS_NONE) { /* rule 9 */
		TQ_FIELD_ERROR(fe, "host", "party '%.16s' is not a member of this track", d->host ? d->host : "");
		return TQ_EINVALID;
	}
	if (host_role == VIS_OBSERVER) { /* observers write nothing, minutes included */
		TQ_FIELD_ERROR(fe, "host", "party '%s' is an observer and cannot host", d->host);
		return TQ_EINVALID;
	}
	if (d->start % 1000) {
		TQ_FIELD_ERROR(fe, "start", "must be whole seconds (calendars have no fractions)");
		return TQ_EINVALID;
	}
	if (!d->duration || tqtime_duration_parse(d->duration, &s.duration_ms) || s.duration_ms <= 0 ||
	    s.duration_ms > MEETING_MAX_DURATION_MS || s.duration_ms % 1000) {
		TQ_FIELD_ERROR(fe, "duration", "must be an ISO 8601 duration of whole seconds, above 0 and at most P7D");
		return TQ_EINVALID;
	}
	s.start = d->start;
	if (d->rrule) {
		if (rrule_parse(d->rrule, &s.rule, errbuf, sizeof errbuf)) {
			TQ_FIELD_ERROR(fe, "rrule", "%s", errbuf);
			return TQ_EINVALID;
		}
		s.has_rule = 1;
		/* RFC 5545 calendar programs show DTSTART as an occurrence: keep the
		 * first instance of the rule at or after the requested start. */
		rc = rrule_expand(&s.rule, d->start, d->start, TQ_TIME_MAX, &s.start, 1, &n);
		if (rc || n == 0) {
			TQ_FIELD_ERROR(fe, rc ? "start" : "rrule",
				       rc ? "is outside the years 1970.." TQ_STR(RRULE_LAST_YEAR) : "has no occurrence at or after start");
			return TQ_EINVALID;
		}
		if (rrule_format(&s.rule, canon, sizeof canon))
			return TQ_EINTERNAL;
	}
	if (strlen(d->id) >= sizeof s.id || strlen(d->track) >= sizeof s.track)
		return TQ_EINTERNAL;
	snprintf(s.id, sizeof s.id, "%s", d->id);
	snprintf(s.track, sizeof s.track, "%s", d->track);
	snprintf(s.host, sizeof s.host, "%s", d->host);
	tqtime_duration_format(s.duration_ms, dur_canon);
	stamp_new(&s.stamp, by, now);
	s.doc = json_pack("{s:s, s:s, s:s, s:o}", "title", d->title, "venue", d->venue, "duration", dur_canon, "rrule",
			  s.has_rule ? json_string(canon) : json_null());
	if (!s.doc)
		return TQ_ENOMEM;
	effects_init(fx);
	effects_event(fx, "meeting.series_created", 0);
	*out = s;
	return TQ_OK;
}

int meeting_series_expand(const struct meeting_series *s, tq_time from, tq_time to, tq_time *out, size_t max,
			  size_t *n)
{
	if (s->has_rule)
		return rrule_expand(&s->rule, s->start, from, to, out, max, n);
	*n = 0;
	if (max && s->start >= from && s->start < to)
		out[(*n)++] = s->start;
	return TQ_OK;
}

int meeting_series_has(const struct meeting_series *s, tq_time start)
{
	tq_time got;
	size_t n = 0;
	if (start == TQ_TIME_MAX)
		return 0;
	return meeting_series_expand(s, start, start + 1, &got, 1, &n) == TQ_OK && n == 1;
}

int meeting_series_from_json(const json_t *j, struct meeting_series *out)
{
	struct meeting_series s;
	const char *dur = json_string_value(json_object_get(j, "duration"));
	const char *rule = json_string_value(json_object_get(j, "rrule"));
	memset(&s, 0, sizeof s);
	if (effects_str_get(j, "id", s.id, sizeof s.id) || effects_str_get(j, "track", s.track, sizeof s.track) ||
	    effects_str_get(j, "host", s.host, sizeof s.host) || effects_time_get(j, "start", &s.start) || !dur ||
	    tqtime_duration_parse(dur, &s.duration_ms) || stamp_from_json(j, &s.stamp))
		return TQ_EINVALID;
	if (rule) {
		if (rrule_parse(rule, &s.rule, NULL, 0))
			return TQ_EINVALID;
		s.has_rule = 1;
	}
	if (!(s.doc = json_deep_copy(j)))
		return TQ_ENOMEM;
	*out = s;
	return TQ_OK;
}

json_t *meeting_series_to_json(const struct meeting_series *s)
{
	json_t *j = json_copy(s->doc);
	if (!j)
		return NULL;
	json_object_set_new(j, "id", json_string(s->id));
	json_object_set_new(j, "track", json_string(s->track));
	json_object_set_new(j, "host", json_string(s->host));
	json_object_set_new(j, "start", effects_time_json(s->start));
	stamp_to_json(&s->stamp, j);
	return j;
}

void meeting_series_free(struct meeting_series *s)
{
	json_decref(s->doc);
	s->doc = NULL;
}

/* ---- occurrences ---------------------------------------------------------- */

void meeting_occ_id(const char *series_id, tq_time start, char out[MEETING_OCC_ID_BUFSZ])
{
	char basic[TQTIME_BUFSZ];
	tqtime_format_basic(start, basic);
	snprintf(out, MEETING_OCC_ID_BUFSZ, "%s:%s", series_id, basic);
}

int meeting_occ_id_parse(const char *id, char series_id[WF_ID_BUFSZ], tq_time *start)
{
	const char *colon = strrchr(id, ':');
	char rfc[TQTIME_BUFSZ];
	if (!colon || colon == id || (size_t)(colon - id) >= WF_ID_BUFSZ || strlen(colon + 1) != 16)
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

json_t *meeting_occ_json(const struct meeting_series *s, tq_time start, int held)
{
	char id[MEETING_OCC_ID_BUFSZ];
	meeting_occ_id(s->id, start, id);
	return json_pack("{s:s, s:s, s:O, s:o, s:o, s:O, s:s, s:s}", "id", id, "series", s->id, "title",
			 json_object_get(s->doc, "title"), "start", effects_time_json(start), "end",
			 effects_time_json(start + s->duration_ms), "venue", json_object_get(s->doc, "venue"), "host",
			 s->host, "status", held ? "held" : "scheduled");
}

/* ---- minutes and action items -------------------------------------------- */

int meeting_may_record(const struct meeting_series *s, enum vis_role role, const char *party)
{
	if (role == VIS_PRINCIPAL || role == VIS_HOST)
		return 1;
	/* The party hosting the series records its minutes, unless it is an
	 * observer: observers write nothing. */
	return role != VIS_NONE && role != VIS_OBSERVER && party && strcmp(s->host, party) == 0;
}

static int text_ok(const json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || json_string_length(v) > TQ_MAX_TEXT_BYTES || strlen(s) != json_string_length(v))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

static int action_new(const struct vis_track *t, const json_t *in, size_t i, const char *id, const char *occ,
		      const char *minutes_id, const char *track, const struct actor *by, tq_time now, json_t **out,
		      struct tq_field_error *fe)
{
	char field[48];
	const json_t *owner = json_object_get(in, "owner"), *text = json_object_get(in, "text");
	const json_t *due = json_object_get(in, "due");
	struct stamp st;
	tq_time due_t;
	enum vis_role role;

	snprintf(field, sizeof field, "actions[%zu]", i);
	if (!json_is_object(in)) {
		TQ_FIELD_ERROR(fe, field, "must be an object {owner, text, due}");
		return TQ_EMALFORMED;
	}
	const char *bad = !json_is_string(owner) ? "owner" : !json_is_string(text) ? "text" : !json_is_string(due) ? "due" : NULL;
	if (bad) {
		snprintf(field, sizeof field, "actions[%zu].%s", i, bad);
		TQ_FIELD_ERROR(fe, field, "is required and must be a string");
		return TQ_EMALFORMED;
	}
	snprintf(field, sizeof field, "actions[%zu].owner", i);
	role = vis_role_of(t, json_string_value(owner));
	if (role == VIS_NONE) { /* rule 9 */
		TQ_FIELD_ERROR(fe, field, "party '%.16s' is not a member of this track", json_string_value(owner));
		return TQ_EINVALID;
	}
	if (role == VIS_OBSERVER) {
		TQ_FIELD_ERROR(fe, field, "party '%s' is an observer and cannot act", json_string_value(owner));
		return TQ_EINVALID;
	}
	snprintf(field, sizeof field, "actions[%zu].text", i);
	if (!text_ok(text) || !json_string_value(text)[0]) {
		TQ_FIELD_ERROR(fe, field, "must be non-empty text of at most %d bytes", TQ_MAX_TEXT_BYTES);
		return TQ_EINVALID;
	}
	snprintf(field, sizeof field, "actions[%zu].due", i);
	if (tqtime_parse(json_string_value(due), &due_t)) {
		TQ_FIELD_ERROR(fe, field, "must be an RFC 3339 time");
		return TQ_EINVALID;
	}
	stamp_new(&st, by, now);
	*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:o, s:s}", "id", id, "track", track, "meeting", occ,
			 "minutes", minutes_id, "owner", json_string_value(owner), "text", text, "due",
			 effects_time_json(due_t), "status", "open");
	if (!*out)
		return TQ_ENOMEM;
	stamp_to_json(&st, *out);
	return TQ_OK;
}

int meeting_minutes_create(const struct vis_track *t, const struct meeting_series *s, tq_time start, int held,
			   const struct meeting_minutes_draft *d, const struct actor *by, tq_time now,
			   json_t **minutes, json_t **actions, struct effects *fx_minutes, struct effects *fx_action,
			   struct tq_field_error *fe)
{
	char occ[MEETING_OCC_ID_BUFSZ], field[32];
	json_t *acts = NULL, *ids = NULL, *m = NULL, *x;
	struct stamp st;
	size_t i;
	int rc;

	*minutes = *actions = NULL;
	if (!meeting_may_record(s, vis_role_of(t, by->party), by->party)) {
		TQ_FIELD_ERROR(fe, "", "a %s may not record minutes",
			       vis_role_name(vis_role_of(t, by->party)) ?: "non-member");
		return TQ_EFORBIDDEN;
	}
	if (held) {
		TQ_FIELD_ERROR(fe, "", "minutes of this meeting exist already");
		return TQ_ECONFLICT;
	}
	if (start > now) {
		TQ_FIELD_ERROR(fe, "", "the meeting has not started yet");
		return TQ_ECONFLICT;
	}
	if (!d->text) {
		TQ_FIELD_ERROR(fe, "text", "is required");
		return TQ_EMALFORMED;
	}
	if ((d->decisions && !json_is_array(d->decisions)) || json_array_size(d->decisions) > MINUTES_MAX_ITEMS) {
		TQ_FIELD_ERROR(fe, "decisions", "must be a list of at most %d texts", MINUTES_MAX_ITEMS);
		return json_is_array(d->decisions) ? TQ_EINVALID : TQ_EMALFORMED;
	}
	json_array_foreach(d->decisions, i, x) {
		if (!text_ok(x)) {
			snprintf(field, sizeof field, "decisions[%zu]", i);
			TQ_FIELD_ERROR(fe, field, "must be text of at most %d bytes", TQ_MAX_TEXT_BYTES);
			return json_is_string(x) ? TQ_EINVALID : TQ_EMALFORMED;
		}
	}
	if ((d->actions && !json_is_array(d->actions)) || json_array_size(d->actions) > MINUTES_MAX_ITEMS) {
		TQ_FIELD_ERROR(fe, "actions", "must be a list of at most %d items", MINUTES_MAX_ITEMS);
		return json_is_array(d->actions) ? TQ_EINVALID : TQ_EMALFORMED;
	}
	meeting_occ_id(s->id, start, occ);
	acts = json_array();
	ids = json_array();
	json_array_foreach(d->actions, i, x) {
		json_t *a = NULL;
		if ((rc = action_new(t, x, i, d->action_ids[i], occ, d->id, s->track, by, now, &a, fe)))
			goto fail;
		json_array_append_new(acts, a);
		json_array_append_new(ids, json_string(d->action_ids[i]));
	}
	m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", d->id, "track", s->track, "meeting", occ, "series",
		      s->id, "text", d->text, "decisions", d->decisions ? json_deep_copy(d->decisions) : json_array(),
		      "actions", ids);
	ids = NULL;
	if (!m) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	stamp_new(&st, by, now);
	stamp_to_json(&st, m);
	effects_init(fx_minutes);
	effects_event(fx_minutes, "meeting.minutes", 0);
	effects_init(fx_action);
	effects_event(fx_action, "action.created", 0);
	*minutes = m;
	*actions = acts;
	return TQ_OK;
fail:
	json_decref(ids);
	json_decref(acts);
	return rc;
}

int meeting_action_may_finish(const struct meeting_action *a, const char *party, struct tq_field_error *fe)
{
	if (!party || strcmp(a->owner, party) != 0) {
		TQ_FIELD_ERROR(fe, "", "only the owner (%s) may mark this action item done", a->owner);
		return TQ_EFORBIDDEN;
	}
	if (a->done) {
		TQ_FIELD_ERROR(fe, "", "the action item is already done");
		return TQ_ECONFLICT;
	}
	return TQ_OK;
}

int meeting_action_done(struct meeting_action *a, const struct actor *by, const char *note, tq_time now,
			struct effects *fx, struct tq_field_error *fe)
{
	int rc;
	effects_init(fx);
	if ((rc = meeting_action_may_finish(a, by->party, fe)))
		return rc;
	a->done = 1;
	json_object_set_new(a->doc, "done_at", effects_time_json(now));
	json_object_set_new(a->doc, "done_by", effects_actor_json(by));
	if (note)
		json_object_set_new(a->doc, "note", json_string(note));
	stamp_bump(&a->stamp, now);
	effects_event(fx, "action.done", 0);
	return TQ_OK;
}

int meeting_action_overdue(const struct meeting_action *a, tq_time before)
{
	return !a->done && a->due < before;
}

int meeting_action_from_json(const json_t *j, struct meeting_action *out)
{
	struct meeting_action a;
	const char *status = json_string_value(json_object_get(j, "status"));
	memset(&a, 0, sizeof a);
	if (!status || (strcmp(status, "open") && strcmp(status, "done")) ||
	    effects_str_get(j, "id", a.id, sizeof a.id) || effects_str_get(j, "track", a.track, sizeof a.track) ||
	    effects_str_get(j, "owner", a.owner, sizeof a.owner) || effects_time_get(j, "due", &a.due) ||
	    stamp_from_json(j, &a.stamp))
		return TQ_EINVALID;
	a.done = strcmp(status, "done") == 0;
	if (!(a.doc = json_deep_copy(j)))
		return TQ_ENOMEM;
	*out = a;
	return TQ_OK;
}

json_t *meeting_action_to_json(const struct meeting_action *a)
{
	json_t *j = json_copy(a->doc);
	if (!j)
		return NULL;
	json_object_set_new(j, "id", json_string(a->id));
	json_object_set_new(j, "track", json_string(a->track));
	json_object_set_new(j, "owner", json_string(a->owner));
	json_object_set_new(j, "due", effects_time_json(a->due));
	json_object_set_new(j, "status", json_string(a->done ? "done" : "open"));
	stamp_to_json(&a->stamp, j);
	return j;
}

void meeting_action_free(struct meeting_action *a)
{
	json_decref(a->doc);
	a->doc = NULL;
}

/* ---- agenda --------------------------------------------------------------- */

const char *const meeting_agenda_sections[][2] = {
	{"disputes", "dispute"}, {"conflicts", "conflict"}, {"threats", "threat"},
	{"messages", "message"}, {"actions", ACTION_TYPE},
};

static const char *str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static json_t *agenda_refs(const char *type, const json_t *obj)
{
	json_t *refs = json_array(), *x;
	size_t i;
	if (strcmp(type, "conflict") == 0) {
		json_array_foreach(json_object_get(obj, "subjects"), i, x) {
			json_array_append_new(refs, json_pack("{s:O, s:O}", "type", json_object_get(x, "type"), "id",
							      json_object_get(x, "id")));
		}
	} else if (strcmp(type, ACTION_TYPE) == 0) {
		json_array_append_new(refs, json_pack("{s:s, s:O}", "type", "meeting", "id", json_object_get(obj, "meeting")));
	} else {
		json_array_foreach(json_object_get(obj, "refs"), i, x) {
			if (json_is_object(x))
				json_array_append(refs, x);
		}
	}
	return refs;
}

json_t *meeting_agenda_item(const char *type, const json_t *obj, tq_time overdue_before)
{
	const char *status = str_of(obj, "status"), *summary = NULL, *section = NULL;
	tq_time due;
	int take = 0;
	if (!status)
		status = "";
	for (size_t i = 0; i < MEETING_AGENDA_NSECTIONS; i++)
		if (strcmp(type, meeting_agenda_sections[i][1]) == 0)
			section = meeting_agenda_sections[i][0];
	if (!section)
		return NULL;
	if (strcmp(type, "dispute") == 0) {
		take = strcmp(status, "resolved") != 0 && strcmp(status, "withdrawn") != 0;
		summary = str_of(obj, "subject");
	} else if (strcmp(type, "conflict") == 0) {
		take = strcmp(status, "open") == 0 || strcmp(status, "acknowledged") == 0;
		summary = str_of(obj, "kind");
	} else if (strcmp(type, "threat") == 0) {
		take = strcmp(status, "lapsed") == 0;
		summary = str_of(obj, "category");
	} else if (strcmp(type, "message") == 0) {
		take = json_is_true(json_object_get(obj, "escalated"));
		summary = str_of(obj, "subject");
	} else {
		take = strcmp(status, "open") == 0 && effects_time_get(obj, "due", &due) == TQ_OK && due < overdue_before;
		summary = str_of(obj, "text");
	}
	if (!take)
		return NULL;
	json_t *item = json_pack("{s:s, s:s, s:O, s:s, s:s, s:o}", "section", section, "type", type, "id",
				 json_object_get(obj, "id"), "summary", summary ? summary : "", "status", status, "refs",
				 agenda_refs(type, obj));
	if (item && strcmp(type, ACTION_TYPE) == 0) {
		json_object_set(item, "owner", json_object_get(obj, "owner"));
		json_object_set(item, "due", json_object_get(obj, "due"));
	}
	return item;
}
