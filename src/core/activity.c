#include "core/activity.h"

#include <string.h>

static const char *const status_names[] = {"notified", "active", "completed", "cancelled"};
#define NSTATUS (sizeof status_names / sizeof status_names[0])

const char *activity_status_name(enum activity_status s)
{
	return (unsigned)s < NSTATUS ? status_names[s] : "?";
}

int activity_status_parse(const char *s)
{
	for (size_t i = 0; s && i < NSTATUS; i++)
		if (!strcmp(status_names[i], s))
			return (int)i;
	return -1;
}

int activity_open(const struct activity *a)
{
	return a->status == ACTIVITY_NOTIFIED || a->status == ACTIVITY_ACTIVE;
}

static void unset_times(struct activity *a)
{
	a->active_at = a->completed_at = a->cancelled_at = a->updated_at = TQ_TIME_MIN;
}

int activity_from_json(const json_t *obj, struct activity *out)
{
	const json_t *version = json_object_get(obj, "version");
	int status = activity_status_parse(json_string_value(json_object_get(obj, "status")));
	memset(out, 0, sizeof *out);
	unset_times(out);
	if (status < 0 || !json_is_integer(version) ||
	    change_party_copy(out->declared_by, json_string_value(json_object_get(obj, "declared_by"))) ||
	    party_set_from_json(json_object_get(obj, "acks"), &out->acks))
		return TQ_EINVALID;
	out->status = (enum activity_status)status;
	out->short_notice = json_is_true(json_object_get(obj, "short_notice"));
	out->version = json_integer_value(version);
	return TQ_OK;
}

int activity_to_json(const struct activity *a, json_t *obj)
{
	json_t *acks = party_set_to_json(&a->acks);
	if (!acks || json_object_set_new(obj, "acks", acks) ||
	    json_object_set_new(obj, "status", json_string(activity_status_name(a->status))) ||
	    json_object_set_new(obj, "declared_by", json_string(a->declared_by)) ||
	    json_object_set_new(obj, "short_notice", json_boolean(a->short_notice)) ||
	    json_object_set_new(obj, "version", json_integer(a->version)) ||
	    change_time_to_json(obj, "active_at", a->active_at) ||
	    change_time_to_json(obj, "completed_at", a->completed_at) ||
	    change_time_to_json(obj, "cancelled_at", a->cancelled_at) ||
	    change_time_to_json(obj, "updated_at", a->updated_at))
		return TQ_ENOMEM;
	return TQ_OK;
}

static void bump(struct activity *a, tq_time now)
{
	a->version++;
	a->updated_at = now;
}

int activity_notify(struct activity *a, const char *party, struct change *out)
{
	change_init(out);
	memset(a, 0, sizeof *a);
	unset_times(a);
	if (change_party_copy(a->declared_by, party))
		return change_refuse(out, TQ_EINVALID, "not a party id");
	a->status = ACTIVITY_NOTIFIED;
	a->version = 1;
	out->event = "activity.notified";
	out->index = CHANGE_INDEX_UPSERT;
	return TQ_OK;
}

int activity_may_change(const struct activity *a, const char *party, struct change *out)
{
	if (strcmp(a->declared_by, party))
		return change_refuse(out, TQ_EFORBIDDEN, "only the declaring party changes or cancels an activity");
	if (!activity_open(a))
		return change_refuse(out, TQ_ECONFLICT, "the activity is %s", activity_status_name(a->status));
	return TQ_OK;
}

int activity_modify(struct activity *a, const char *party, tq_time now, struct change *out)
{
	int rc;
	change_init(out);
	if ((rc = activity_may_change(a, party, out)))
		return rc;
	bump(a, now);
	out->event = "activity.modified";
	out->index = CHANGE_INDEX_UPSERT;
	return TQ_OK;
}

int activity_schedule(struct activity *a, tq_time start, tq_time end, int64_t min_notice_ms, tq_time now,
		      struct change *out)
{
	if (end <= now) {
		out->field = "window.end";
		return change_refuse(out, TQ_EINVALID, "lies in the past");
	}
	/* start - now < min_notice, without overflow for an open start */
	a->short_notice = start < now || start - now < min_notice_ms;
	out->nset = 0;
	if (a->status == ACTIVITY_NOTIFIED)
		out->set[out->nset++] = (struct change_deadline){ACTIVITY_KIND_START, start};
	out->set[out->nset++] = (struct change_deadline){ACTIVITY_KIND_END, end};
	return TQ_OK;
}

int activity_cancel(struct activity *a, const char *party, tq_time now, struct change *out)
{
	int rc;
	change_init(out);
	if ((rc = activity_may_change(a, party, out)))
		return rc;
	a->status = ACTIVITY_CANCELLED;
	a->cancelled_at = now;
	bump(a, now);
	out->event = "activity.cancelled";
	out->index = CHANGE_INDEX_REMOVE;
	out->why = "cancelled";
	out->clear_deadlines = 1;
	return TQ_OK;
}

int activity_acknowledge(struct activity *a, const char *party, tq_time now, struct change *out)
{
	change_init(out);
	if (!strcmp(a->declared_by, party))
		return change_refuse(out, TQ_EFORBIDDEN,
				     "another principal acknowledges an activity, not the one that notified it");
	if (!activity_open(a))
		return change_refuse(out, TQ_ECONFLICT, "the activity is %s", activity_status_name(a->status));
	if (party_set_has(&a->acks, party))
		return change_refuse(out, TQ_ECONFLICT, "%s has already acknowledged this activity", party);
	if (party_set_add(&a->acks, party))
		return change_refuse(out, TQ_EINVALID, "not a party id");
	bump(a, now);
	out->event = "activity.acknowledged";
	return TQ_OK;
}

int activity_start(struct activity *a, tq_time now, struct change *out)
{
	change_init(out);
	if (a->status != ACTIVITY_NOTIFIED)
		return TQ_OK;
	a->status = ACTIVITY_ACTIVE;
	a->active_at = now;
	bump(a, now);
	out->event = "activity.active";
	return TQ_OK;
}

int activity_end(struct activity *a, tq_time now, struct change *out)
{
	change_init(out);
	if (!activity_open(a))
		return TQ_OK;
	a->status = ACTIVITY_COMPLETED;
	a->completed_at = now;
	bump(a, now);
	out->event = "activity.completed";
	out->index = CHANGE_INDEX_RETIRE;
	return TQ_OK;
}
