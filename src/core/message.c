#include "core/message.h"

#include <stdio.h>
#include <string.h>

int message_may_send(enum vis_role role)
{
	return role == VIS_PRINCIPAL || role == VIS_MEDIATOR || role == VIS_SUPERVISOR;
}

static int reads_messages(enum vis_role role)
{
	return vis_reads_type(role, MESSAGE_TYPE);
}

/* `to`: "all" or a non-empty list of distinct members who read messages
 * (rule 9). Fills m->to_all / m->to and the addressees (all but the sender). */
static int parse_to(const struct vis_track *t, const json_t *to, const char *sender, struct message *m,
		    struct tq_field_error *fe)
{
	size_t i;
	json_t *v;
	char field[32];
	if (!to || json_is_null(to)) {
		TQ_FIELD_ERROR(fe, "to", "is required: \"all\" or a list of parties");
		return TQ_EMALFORMED;
	}
	if (json_is_string(to)) {
		if (strcmp(json_string_value(to), "all") != 0) {
			TQ_FIELD_ERROR(fe, "to", "must be \"all\" or a list of parties");
			return TQ_EINVALID;
		}
		m->to_all = 1;
		for (i = 0; i < t->n; i++)
			if (reads_messages(t->m[i].role) && strcmp(t->m[i].party, sender) != 0 &&
			    vis_parties_add(&m->addressees, t->m[i].party))
				return TQ_EINTERNAL;
		return TQ_OK;
	}
	if (!json_is_array(to)) {
		TQ_FIELD_ERROR(fe, "to", "must be \"all\" or a list of parties");
		return TQ_EMALFORMED;
	}
	if (json_array_size(to) == 0) {
		TQ_FIELD_ERROR(fe, "to", "must name at least one party");
		return TQ_EINVALID;
	}
	if (json_array_size(to) > TQ_MAX_TRACK_MEMBERS) {
		TQ_FIELD_ERROR(fe, "to", "names more parties than a track has");
		return TQ_EINVALID;
	}
	json_array_foreach(to, i, v) {
		snprintf(field, sizeof field, "to[%zu]", i);
		if (!json_is_string(v)) {
			TQ_FIELD_ERROR(fe, field, "must be a party id");
			return TQ_EMALFORMED;
		}
		const char *party = json_string_value(v);
		enum vis_role role = vis_role_of(t, party);
		if (role == VIS_NONE) {
			TQ_FIELD_ERROR(fe, field, "'%.16s' is not a party of this track", party);
			return TQ_EINVALID;
		}
		if (!reads_messages(role)) {
			TQ_FIELD_ERROR(fe, field, "'%.16s' is an observer and cannot receive messages", party);
			return TQ_EINVALID;
		}
		if (vis_parties_has(&m->to, party)) {
			TQ_FIELD_ERROR(fe, field, "'%.16s' is listed twice", party);
			return TQ_EINVALID;
		}
		if (vis_parties_add(&m->to, party) ||
		    (strcmp(party, sender) != 0 && vis_parties_add(&m->addressees, party)))
			return TQ_EINTERNAL;
	}
	return TQ_OK;
}

static void init(struct message *m)
{
	memset(m, 0, sizeof *m);
	m->ack_due = TQ_TIME_MIN;
	m->escalated_at = TQ_TIME_MIN;
}

int message_create(const struct vis_track *t, const struct track_settings *s, const struct message_draft *d,
		   const struct actor *by, tq_time now, struct message *out, struct effects *fx,
		   struct tq_field_error *fe)
{
	struct message m;
	int prec, rc;
	init(&m);
	if (!by->party || !message_may_send(vis_role_of(t, by->party))) {
		TQ_FIELD_ERROR(fe, "", "only a principal, mediator or supervisor sends hotline messages");
		return TQ_EFORBIDDEN;
	}
	if ((rc = parse_to(t, d->to, by->party, &m, fe)))
		return rc;
	if ((prec = precedence_parse(d->precedence)) < 0) {
		TQ_FIELD_ERROR(fe, "precedence", "must be one of: routine priority immediate flash");
		return TQ_EINVALID;
	}
	if (!d->subject || !d->subject[0]) {
		TQ_FIELD_ERROR(fe, "subject", "must not be empty");
		return TQ_EINVALID;
	}
	if (!d->body || !d->body[0]) {
		TQ_FIELD_ERROR(fe, "body", "must not be empty");
		return TQ_EINVALID;
	}
	if (strlen(d->id) >= sizeof m.id || strlen(d->track) >= sizeof m.track)
		return TQ_EINTERNAL;
	snprintf(m.id, sizeof m.id, "%s", d->id);
	snprintf(m.track, sizeof m.track, "%s", d->track);
	snprintf(m.from, sizeof m.from, "%s", by->party);
	m.seq = d->seq;
	m.precedence = (enum precedence)prec;
	m.ack_required = d->ack_required >= 0 ? d->ack_required : (prec == PREC_IMMEDIATE || prec == PREC_FLASH);
	if (m.ack_required)
		m.awaiting = m.addressees;
	stamp_new(&m.stamp, by, now);
	m.doc = json_pack("{s:s, s:s, s:o, s:[]}", "subject", d->subject, "body", d->body, "refs",
			  d->refs ? json_deep_copy(d->refs) : json_array(), "acknowledgements");
	if (!m.doc)
		return TQ_ENOMEM;
	effects_init(fx);
	if (m.ack_required && m.addressees.n > 0) {
		m.ack_due = now + s->ack_deadline_ms[prec];
		effects_deadline_set(fx, MESSAGE_ACK_KIND, m.ack_due);
	}
	effects_event(fx, "message.created", 0);
	*out = m;
	return TQ_OK;
}

int message_ack(struct message *m, const char *party, tq_time now, struct effects *fx, struct tq_field_error *fe)
{
	json_t *acks;
	effects_init(fx);
	if (!vis_parties_has(&m->addressees, party)) {
		TQ_FIELD_ERROR(fe, "", "only an addressee acknowledges a message");
		return TQ_EFORBIDDEN;
	}
	if (vis_parties_has(&m->acks, party)) {
		TQ_FIELD_ERROR(fe, "", "%s has already acknowledged this message", party);
		return TQ_ECONFLICT;
	}
	acks = json_object_get(m->doc, "acknowledgements");
	if (!json_is_array(acks)) {
		acks = json_array();
		json_object_set_new(m->doc, "acknowledgements", acks);
	}
	if (vis_parties_add(&m->acks, party) ||
	    json_array_append_new(acks, json_pack("{s:s, s:o}", "party", party, "at", effects_time_json(now))))
		return TQ_ENOMEM;
	/* Everyone has answered: the deadline has nothing left to escalate. */
	if (vis_parties_remove(&m->awaiting, party) && m->awaiting.n == 0)
		effects_deadline_clear(fx, MESSAGE_ACK_KIND);
	stamp_bump(&m->stamp, now);
	effects_event(fx, "message.acked", m->escalated);
	return TQ_OK;
}

void message_ack_due(struct message *m, tq_time now, struct effects *fx)
{
	effects_init(fx);
	/* Escalate once, and only while an addressee is still missing. */
	if (m->escalated || m->awaiting.n == 0)
		return;
	m->escalated = 1;
	m->escalated_at = now;
	stamp_bump(&m->stamp, now);
	effects_event(fx, "message.escalated", 1);
}

const char *message_status(const struct message *m)
{
	if (m->escalated)
		return "escalated";
	return m->awaiting.n == 0 ? "complete" : "open";
}

int message_from_json(const json_t *j, struct message *out)
{
	struct message m;
	const json_t *to = json_object_get(j, "to");
	const json_t *seq = json_object_get(j, "seq");
	int prec;
	init(&m);
	prec = precedence_parse(json_string_value(json_object_get(j, "precedence")));
	if (effects_str_get(j, "id", m.id, sizeof m.id) || effects_str_get(j, "track", m.track, sizeof m.track) ||
	    effects_str_get(j, "from", m.from, sizeof m.from) || !json_is_integer(seq) || prec < 0 ||
	    stamp_from_json(j, &m.stamp) ||
	    vis_parties_from_json(json_object_get(j, "addressees"), &m.addressees) ||
	    vis_parties_from_json(json_object_get(j, "awaiting"), &m.awaiting) ||
	    vis_parties_from_json(json_object_get(j, "acks"), &m.acks) ||
	    (json_object_get(j, "ack_due") && effects_time_get(j, "ack_due", &m.ack_due)) ||
	    (json_object_get(j, "escalated_at") && effects_time_get(j, "escalated_at", &m.escalated_at)))
		return TQ_EINVALID;
	if (json_is_string(to) && strcmp(json_string_value(to), "all") == 0)
		m.to_all = 1;
	else if (vis_parties_from_json(to, &m.to))
		return TQ_EINVALID;
	m.seq = json_integer_value(seq);
	m.precedence = (enum precedence)prec;
	m.ack_required = json_is_true(json_object_get(j, "ack_required"));
	m.escalated = json_is_true(json_object_get(j, "escalated"));
	if (!(m.doc = json_deep_copy(j)))
		return TQ_ENOMEM;
	*out = m;
	return TQ_OK;
}

json_t *message_to_json(const struct message *m)
{
	json_t *j = json_copy(m->doc);
	if (!j)
		return NULL;
	json_object_set_new(j, "id", json_string(m->id));
	json_object_set_new(j, "track", json_string(m->track));
	json_object_set_new(j, "seq", json_integer(m->seq));
	json_object_set_new(j, "from", json_string(m->from));
	json_object_set_new(j, "to", m->to_all ? json_string("all") : vis_parties_to_json(&m->to));
	json_object_set_new(j, "precedence", json_string(precedence_name(m->precedence)));
	json_object_set_new(j, "ack_required", json_boolean(m->ack_required));
	json_object_set_new(j, "addressees", vis_parties_to_json(&m->addressees));
	json_object_set_new(j, "awaiting", vis_parties_to_json(&m->awaiting));
	json_object_set_new(j, "acks", vis_parties_to_json(&m->acks));
	json_object_set_new(j, "escalated", json_boolean(m->escalated));
	if (m->ack_due != TQ_TIME_MIN)
		json_object_set_new(j, "ack_due", effects_time_json(m->ack_due));
	if (m->escalated_at != TQ_TIME_MIN)
		json_object_set_new(j, "escalated_at", effects_time_json(m->escalated_at));
	stamp_to_json(&m->stamp, j);
	return j;
}

void message_free(struct message *m)
{
	json_decref(m->doc);
	m->doc = NULL;
}
