/*
 * activity — the workflow of a planned operation notified in advance (api.md
 * Activities; Precise rules 7, 8).
 *
 * An activity is "notified" when created, "active" from window.start and
 * "completed" at window.end (deadline kinds ACTIVITY_KIND_START/END, events
 * activity.active / activity.completed). A completed activity leaves the
 * engine; its conflicts stay as they are. The declaring party changes its
 * activity while notified or active, or cancels it (its unresolved
 * conflicts resolve "cancelled"; its deadlines are cleared); any other
 * principal acknowledges receipt once. short_notice = window.start - now <
 * the track's min_notice, recomputed when the window changes. A window that
 * has already ended is refused (422, window.end).
 *
 * struct activity is the workflow state; footprint and window are the
 * subject's (subject.h). Transitions are pure.
 */
#ifndef TQ_ACTIVITY_H
#define TQ_ACTIVITY_H

#include <jansson.h>
#include <stdint.h>
#include "core/change.h"

#define ACTIVITY_KIND_START "activity.start"
#define ACTIVITY_KIND_END "activity.end"

enum activity_status { ACTIVITY_NOTIFIED, ACTIVITY_ACTIVE, ACTIVITY_COMPLETED, ACTIVITY_CANCELLED };

struct activity {
	enum activity_status status;
	char declared_by[CHANGE_PARTY_BYTES];
	struct party_set acks;
	int short_notice;
	int64_t version;
	tq_time active_at, completed_at, cancelled_at, updated_at; /* TQ_TIME_MIN when unset */
};

const char *activity_status_name(enum activity_status s);
/* -1 for an unknown name. */
int activity_status_parse(const char *s);
/* notified or active. */
int activity_open(const struct activity *a);

/* TQ_EINVALID when a field of the stored object is missing or wrong. */
TQ_MUST_USE int activity_from_json(const json_t *obj, struct activity *out);
/* Writes status, declared_by, acks, short_notice, version and the set
 * timestamps. 0 or TQ_ENOMEM. */
TQ_MUST_USE int activity_to_json(const struct activity *a, json_t *obj);

/* A new activity notified by party; follow with activity_schedule. */
TQ_MUST_USE int activity_notify(struct activity *a, const char *party, struct change *out);
/* Whether party may change or cancel a: 403 unless it declared it, 409 unless open. */
TQ_MUST_USE int activity_may_change(const struct activity *a, const char *party, struct change *out);
/* party changes a (activity_may_change); follow with activity_schedule. */
TQ_MUST_USE int activity_modify(struct activity *a, const char *party, tq_time now, struct change *out);
/* After notify or modify, for the window [start, end): 422 (window.end)
 * when it has ended; sets short_notice and adds the deadlines to out
 * (start only while notified). */
TQ_MUST_USE int activity_schedule(struct activity *a, tq_time start, tq_time end, int64_t min_notice_ms,
				  tq_time now, struct change *out);
/* party cancels a (activity_may_change). */
TQ_MUST_USE int activity_cancel(struct activity *a, const char *party, tq_time now, struct change *out);
/* party, another principal (403), acknowledges an open (409) activity once (409). */
TQ_MUST_USE int activity_acknowledge(struct activity *a, const char *party, tq_time now, struct change *out);
/* Clock: notified → active at window.start; otherwise no change (out->event NULL). */
TQ_MUST_USE int activity_start(struct activity *a, tq_time now, struct change *out);
/* Clock: open → completed at window.end; otherwise no change (out->event NULL). */
TQ_MUST_USE int activity_end(struct activity *a, tq_time now, struct change *out);

#endif
