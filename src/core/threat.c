#include "core/threat.h"

#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {"referred", "acknowledged", "neutralized", "unable", "disputed",
					   "lapsed"};
#define NSTATUS ((int)(sizeof status_names / sizeof status_names[0]))

int threat_status_parse(const char *s)
{
	for (int i = 0; s && i < NSTATUS; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

const char *threat_status_name(enum threat_status s)
{
	return (int)s >= 0 && (int)s < NSTATUS ? status_names[s] : "referred";
}

int threat_closed(const struct threat *t)
{
	return t->status != THREAT_REFERRED && t->status != THREAT_ACKNOWLEDGED;
}

int threat_may_report(enum vis_role role)
{
	return role == VIS_PRINCIPAL;
}

static int confidence_ok(const char *c)
{
	return c && (strcmp(c, "low") == 0 || strcmp(c, "medium") == 0 || strcmp(c, "high") == 0);
}

int threat_create(const struct vis_track *t, const struct track_settings *s, const struct threat_draft *d,
		  const struct actor *by, tq_time now, struct threat *out, struct effects *fx,
		  struct tq_field_error *fe)
{
	struct threat th;
	memset(&th, 0, sizeof th);
	if (!by->party || !threat_may_report(vis_role_of(t, by->party))) {
		TQ_FIELD_ERROR(fe, "", "only a principal reports threats");
		return TQ_EFORBIDDEN;
	}
	if (!d->category || !d->category[0]) {
		TQ_FIELD_ERROR(fe, "category", "must not be empty");
		return TQ_EINVALID;
	}
	if (d->observed_at > now + THREAT_CLOCK_SKEW_MS) {
		TQ_FIELD_ERROR(fe, "observed_at", "lies in the future");
		return TQ_EINVALID;
	}
	if (!confidence_ok(d->confidence)) {
		TQ_FIELD_ERROR(fe, "confidence", "must be one of: low medium high");
		return TQ_EINVALID;
	}
	/* Rule 9: the party referred to must be in the track, and able to act on it. */
	enum vis_role ref_role = vis_role_of(t, d->refer_to);
	if (ref_role == VIS_NONE) {
		TQ_FIELD_ERROR(fe, "refer_to", "party '%.16s' is not a member of this track", d->refer_to ? d->refer_to : "");
		return TQ_EINVALID;
	}
	if (strcmp(d->refer_to, by->party) == 0) {
		TQ_FIELD_ERROR(fe, "refer_to", "a threat is referred to another party");
		return TQ_EINVALID;
	}
	if (!vis_reads_type(ref_role, THREAT_TYPE)) {
		TQ_FIELD_ERROR(fe, "refer_to", "party '%s' (%s) cannot see threats", d->refer_to,
			       vis_role_name(ref_role));
		return TQ_EINVALID;
	}
	th.respond_by = d->respond_by == TQ_TIME_MIN ? now + s->threat_response_ms : d->respond_by;
	if (th.respond_by <= now) {
		TQ_FIELD_ERROR(fe, "respond_by", "lies in the past");
		return TQ_EINVALID;
	}
	if (strlen(d->id) >= sizeof th.id || strlen(d->track) >= sizeof th.track)
		return TQ_EINTERNAL;
	snprintf(th.id, sizeof th.id, "%s", d->id);
	snprintf(th.track, sizeof th.track, "%s", d->track);
	snprintf(th.reported_by, sizeof th.reported_by, "%s", by->party);
	snprintf(th.refer_to, sizeof th.refer_to, "%s", d->refer_to);
	th.status = THREAT_REFERRED;
	th.closed_at = TQ_TIME_MIN;
	stamp_new(&th.stamp, by, now);
	th.doc = json_pack("{s:s, s:o, s:o, s:s, s:s, s:[]}", "category", d->category, "geometry",
			   json_deep_copy(d->geometry), "observed_at", effects_time_json(d->observed_at), "description",
			   d->description ? d->description : "", "confidence", d->confidence, "responses");
	if (!th.doc)
		return TQ_ENOMEM;
	effects_init(fx);
	effects_event(fx, "threat.reported", 0);
	effects_deadline_set(fx, THREAT_RESPOND_KIND, th.respond_by);
	*out = th;
	return TQ_OK;
}

int threat_may_respond(const struct threat *t, const char *party, struct tq_field_error *fe)
{
	if (!party || strcmp(t->refer_to, party) != 0) {
		TQ_FIELD_ERROR(fe, "", "only the referred party (%s) may respond", t->refer_to);
		return TQ_EFORBIDDEN;
	}
	/* Rule 7: a final state is final, whatever the body says. */
	if (threat_closed(t)) {
		TQ_FIELD_ERROR(fe, "", "the threat is already %s", threat_status_name(t->status));
		return TQ_ECONFLICT;
	}
	return TQ_OK;
}

int threat_respond(struct threat *t, const struct actor *by, const char *action, const char *note, tq_time now,
		   struct effects *fx, struct tq_field_error *fe)
{
	int st = threat_status_parse(action), rc;
	json_t *resp, *responses;
	effects_init(fx);
	if ((rc = threat_may_respond(t, by->party, fe)))
		return rc;
	if (st < THREAT_ACKNOWLEDGED || st > THREAT_DISPUTED) {
		TQ_FIELD_ERROR(fe, "action", "must be one of: acknowledged neutralized unable disputed");
		return TQ_EINVALID;
	}
	/* A second acknowledgement would change nothing. */
	if ((int)t->status == st) {
		TQ_FIELD_ERROR(fe, "", "the threat is already %s", threat_status_name(t->status));
		return TQ_ECONFLICT;
	}
	resp = json_pack("{s:s, s:s, s:o, s:o}", "action", action, "party", by->party, "by", effects_actor_json(by),
			 "at", effects_time_json(now));
	if (resp && note)
		json_object_set_new(resp, "note", json_string(note));
	responses = json_object_get(t->doc, "responses");
	if (!json_is_array(responses)) {
		responses = json_array();
		json_object_set_new(t->doc, "responses", responses);
	}
	if (!resp || json_array_append_new(responses, resp))
		return TQ_ENOMEM;
	t->status = (enum threat_status)st;
	if (threat_closed(t)) {
		t->closed_at = now;
		effects_deadline_clear(fx, THREAT_RESPOND_KIND);
	}
	stamp_bump(&t->stamp, now);
	effects_event(fx, "threat.responded", 0);
	return TQ_OK;
}

void threat_lapse(struct threat *t, tq_time now, struct effects *fx)
{
	effects_init(fx);
	if (threat_closed(t))
		return;
	t->status = THREAT_LAPSED;
	t->closed_at = now;
	stamp_bump(&t->stamp, now);
	effects_event(fx, "threat.lapsed", 1);
}

int threat_from_json(const json_t *j, struct threat *out)
{
	struct threat t;
	int st = threat_status_parse(json_string_value(json_object_get(j, "status")));
	memset(&t, 0, sizeof t);
	t.closed_at = TQ_TIME_MIN;
	if (st < 0 || effects_str_get(j, "id", t.id, sizeof t.id) ||
	    effects_str_get(j, "track", t.track, sizeof t.track) ||
	    effects_str_get(j, "reported_by", t.reported_by, sizeof t.reported_by) ||
	    effects_str_get(j, "refer_to", t.refer_to, sizeof t.refer_to) ||
	    effects_time_get(j, "respond_by", &t.respond_by) || stamp_from_json(j, &t.stamp) ||
	    (json_object_get(j, "closed_at") && effects_time_get(j, "closed_at", &t.closed_at)))
		return TQ_EINVALID;
	t.status = (enum threat_status)st;
	if (!(t.doc = json_deep_copy(j)))
		return TQ_ENOMEM;
	*out = t;
	return TQ_OK;
}

json_t *threat_to_json(const struct threat *t)
{
	json_t *j = json_copy(t->doc);
	if (!j)
		return NULL;
	json_object_set_new(j, "id", json_string(t->id));
	json_object_set_new(j, "track", json_string(t->track));
	json_object_set_new(j, "reported_by", json_string(t->reported_by));
	json_object_set_new(j, "refer_to", json_string(t->refer_to));
	json_object_set_new(j, "respond_by", effects_time_json(t->respond_by));
	json_object_set_new(j, "status", json_string(threat_status_name(t->status)));
	if (t->closed_at != TQ_TIME_MIN)
		json_object_set_new(j, "closed_at", effects_time_json(t->closed_at));
	stamp_to_json(&t->stamp, j);
	return j;
}

void threat_free(struct threat *t)
{
	json_decref(t->doc);
	t->doc = NULL;
}
