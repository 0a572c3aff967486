#include "core/dispute.h"

#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {"open", "responded", "in_mediation", "resolved", "withdrawn"};
#define NSTATUS ((int)(sizeof status_names / sizeof status_names[0]))

static const struct {
	const char *verb;       /* for messages */
	enum dispute_status to;
	const char *event;
	const char *text_field;
} steps[] = {
	[DISPUTE_STEP_RESPOND] = {"respond to", DISPUTE_RESPONDED, "dispute.responded", "response"},
	[DISPUTE_STEP_MEDIATE] = {"mediate", DISPUTE_IN_MEDIATION, "dispute.mediation", "note"},
	[DISPUTE_STEP_RESOLVE] = {"resolve", DISPUTE_RESOLVED, "dispute.resolved", "outcome"},
	[DISPUTE_STEP_WITHDRAW] = {"withdraw", DISPUTE_WITHDRAWN, "dispute.withdrawn", "reason"},
};

int dispute_status_parse(const char *s)
{
	for (int i = 0; s && i < NSTATUS; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

const char *dispute_status_name(enum dispute_status s)
{
	return (int)s >= 0 && (int)s < NSTATUS ? status_names[s] : "open";
}

int dispute_final(const struct dispute *d)
{
	return d->status == DISPUTE_RESOLVED || d->status == DISPUTE_WITHDRAWN;
}

int dispute_may_open(enum vis_role role)
{
	return role == VIS_PRINCIPAL;
}

const char *dispute_step_field(enum dispute_step step)
{
	return steps[step].text_field;
}

int dispute_open(const struct vis_track *t, const struct track_settings *s, const struct dispute_draft *d,
		 const struct actor *by, tq_time now, struct dispute *out, struct effects *fx,
		 struct tq_field_error *fe)
{
	struct dispute x;
	memset(&x, 0, sizeof x);
	if (!by->party || !dispute_may_open(vis_role_of(t, by->party))) {
		TQ_FIELD_ERROR(fe, "", "only a principal opens disputes");
		return TQ_EFORBIDDEN;
	}
	if (!d->subject || !d->subject[0]) {
		TQ_FIELD_ERROR(fe, "subject", "must not be empty");
		return TQ_EINVALID;
	}
	enum vis_role against_role = vis_role_of(t, d->against);
	if (against_role == VIS_NONE) {
		TQ_FIELD_ERROR(fe, "against", "party '%.16s' is not a member of this track", d->against ? d->against : "");
		return TQ_EINVALID;
	}
	if (strcmp(d->against, by->party) == 0) {
		TQ_FIELD_ERROR(fe, "against", "a dispute is against another party");
		return TQ_EINVALID;
	}
	if (!vis_reads_type(against_role, DISPUTE_TYPE)) {
		TQ_FIELD_ERROR(fe, "against", "party '%s' (%s) cannot see disputes", d->against,
			       vis_role_name(against_role));
		return TQ_EINVALID;
	}
	if (strlen(d->id) >= sizeof x.id || strlen(d->track) >= sizeof x.track)
		return TQ_EINTERNAL;
	snprintf(x.id, sizeof x.id, "%s", d->id);
	snprintf(x.track, sizeof x.track, "%s", d->track);
	snprintf(x.complainant, sizeof x.complainant, "%s", by->party);
	snprintf(x.against, sizeof x.against, "%s", d->against);
	x.status = DISPUTE_OPEN;
	x.respond_by = now + s->dispute_response_ms;
	x.resolve_by = now + s->dispute_resolution_ms;
	stamp_new(&x.stamp, by, now);
	x.doc = json_pack("{s:s, s:s, s:o, s:[]}", "subject", d->subject, "description",
			  d->description ? d->description : "", "refs", d->refs ? json_deep_copy(d->refs) : json_array(),
			  "escalations");
	if (!x.doc)
		return TQ_ENOMEM;
	effects_init(fx);
	effects_event(fx, "dispute.opened", 0);
	effects_deadline_set(fx, DISPUTE_RESPOND_KIND, x.respond_by);
	effects_deadline_set(fx, DISPUTE_RESOLVE_KIND, x.resolve_by);
	*out = x;
	return TQ_OK;
}

int dispute_may(const struct dispute *d, enum dispute_step step, enum vis_role role, const char *party,
		struct tq_field_error *fe)
{
	const char *who = NULL, *owner = NULL;
	int ok;
	switch (step) {
	case DISPUTE_STEP_RESPOND:
		owner = d->against, who = "the party complained against";
		break;
	case DISPUTE_STEP_WITHDRAW:
		owner = d->complainant, who = "the complainant";
		break;
	case DISPUTE_STEP_MEDIATE:
	case DISPUTE_STEP_RESOLVE:
		if (role != VIS_MEDIATOR && role != VIS_SUPERVISOR) {
			TQ_FIELD_ERROR(fe, "", "a %s may not %s disputes", vis_role_name(role) ? vis_role_name(role) : "non-member",
				       step == DISPUTE_STEP_MEDIATE ? "mediate" : "resolve");
			return TQ_EFORBIDDEN;
		}
		break;
	}
	if (owner && (!party || strcmp(owner, party) != 0)) {
		TQ_FIELD_ERROR(fe, "", "only %s (%s) may %s this dispute", who, owner, steps[step].verb);
		return TQ_EFORBIDDEN;
	}
	switch (step) {
	case DISPUTE_STEP_RESPOND:
		ok = d->status == DISPUTE_OPEN;
		break;
	case DISPUTE_STEP_MEDIATE:
		ok = d->status == DISPUTE_OPEN || d->status == DISPUTE_RESPONDED;
		break;
	default:
		ok = !dispute_final(d);
		break;
	}
	if (!ok) {
		TQ_FIELD_ERROR(fe, "", "cannot %s a dispute that is %s", steps[step].verb, dispute_status_name(d->status));
		return TQ_ECONFLICT;
	}
	return TQ_OK;
}

int dispute_act(struct dispute *d, enum dispute_step step, enum vis_role role, const struct actor *by,
		const char *text, tq_time now, struct effects *fx, struct tq_field_error *fe)
{
	json_t *hist;
	int rc;
	effects_init(fx);
	if ((rc = dispute_may(d, step, role, by->party, fe)))
		return rc;
	if (step == DISPUTE_STEP_RESOLVE && (!text || !text[0])) {
		TQ_FIELD_ERROR(fe, "outcome", "must not be empty");
		return TQ_EINVALID;
	}
	d->status = steps[step].to;
	if (text)
		json_object_set_new(d->doc, steps[step].text_field, json_string(text));
	hist = json_object_get(d->doc, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(d->doc, "history", hist);
	}
	if (json_array_append_new(hist, json_pack("{s:s, s:o, s:o}", "status", dispute_status_name(d->status), "by",
						  effects_actor_json(by), "at", effects_time_json(now))))
		return TQ_ENOMEM;
	stamp_bump(&d->stamp, now);
	/* Deadlines that can no longer be missed are dropped. */
	if (step == DISPUTE_STEP_RESPOND || step == DISPUTE_STEP_MEDIATE || dispute_final(d))
		effects_deadline_clear(fx, DISPUTE_RESPOND_KIND);
	if (dispute_final(d))
		effects_deadline_clear(fx, DISPUTE_RESOLVE_KIND);
	effects_event(fx, steps[step].event, 0);
	return TQ_OK;
}

void dispute_deadline(struct dispute *d, const char *kind, tq_time now, struct effects *fx)
{
	int respond = strcmp(kind, DISPUTE_RESPOND_KIND) == 0;
	json_t *esc;
	effects_init(fx);
	/* The state decides, not the deadline row: a step that raced the deadline
	 * in an earlier transaction has already made it moot. */
	if (respond ? d->status != DISPUTE_OPEN : dispute_final(d))
		return;
	d->escalated = 1;
	esc = json_object_get(d->doc, "escalations");
	if (!json_is_array(esc)) {
		esc = json_array();
		json_object_set_new(d->doc, "escalations", esc);
	}
	json_array_append_new(esc, json_pack("{s:s, s:o, s:o}", "missed", respond ? "respond_by" : "resolve_by", "due",
					     effects_time_json(respond ? d->respond_by : d->resolve_by), "at",
					     effects_time_json(now)));
	stamp_bump(&d->stamp, now);
	effects_event(fx, "dispute.escalated", 1);
}

int dispute_from_json(const json_t *j, struct dispute *out)
{
	struct dispute d;
	int st = dispute_status_parse(json_string_value(json_object_get(j, "status")));
	memset(&d, 0, sizeof d);
	if (st < 0 || effects_str_get(j, "id", d.id, sizeof d.id) ||
	    effects_str_get(j, "track", d.track, sizeof d.track) ||
	    effects_str_get(j, "complainant", d.complainant, sizeof d.complainant) ||
	    effects_str_get(j, "against", d.against, sizeof d.against) ||
	    effects_time_get(j, "respond_by", &d.respond_by) || effects_time_get(j, "resolve_by", &d.resolve_by) ||
	    stamp_from_json(j, &d.stamp))
		return TQ_EINVALID;
	d.status = (enum dispute_status)st;
	d.escalated = json_is_true(json_object_get(j, "escalated"));
	if (!(d.doc = json_deep_copy(j)))
		return TQ_ENOMEM;
	*out = d;
	return TQ_OK;
}

json_t *dispute_to_json(const struct dispute *d)
{
	json_t *j = json_copy(d->doc);
	if (!j)
		return NULL;
	json_object_set_new(j, "id", json_string(d->id));
	json_object_set_new(j, "track", json_string(d->track));
	json_object_set_new(j, "complainant", json_string(d->complainant));
	json_object_set_new(j, "against", json_string(d->against));
	json_object_set_new(j, "status", json_string(dispute_status_name(d->status)));
	json_object_set_new(j, "respond_by", effects_time_json(d->respond_by));
	json_object_set_new(j, "resolve_by", effects_time_json(d->resolve_by));
	json_object_set_new(j, "escalated", json_boolean(d->escalated));
	stamp_to_json(&d->stamp, j);
	return j;
}

void dispute_free(struct dispute *d)
{
	json_decref(d->doc);
	d->doc = NULL;
}
