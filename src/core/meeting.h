/*
 * meeting — recurring coordination meetings (api.md, Meetings; Precise rules
 * 7–11): series with the RRULE subset of core/rrule.h, occurrences, minutes
 * and action items.
 *
 * A series is scheduled by a principal, host, mediator or supervisor; its
 * host must be a member who may write (an observer hosts nothing: 422), its
 * start whole seconds, its duration whole seconds in (0, P7D]. The stored
 * start is the first occurrence at or after the requested start, so DTSTART
 * is always an occurrence. Everything is UTC.
 *
 * An occurrence is not stored: its id "<series id>:<YYYYMMDDTHHMMSSZ>" (rule
 * 10) is valid exactly when the series expands to that start.
 *
 * Minutes of an occurrence are recorded once (409 again), not before it starts
 * (409), by a principal, a host, or the party hosting the series unless that
 * party is an observer (observers write nothing: 403). Each action item is
 * owned by a member who is not an observer; only its owner marks it done, once.
 */
#ifndef TQ_MEETING_H
#define TQ_MEETING_H

#include <jansson.h>
#include "core/effects.h"
#include "core/fielderr.h"
#include "core/rrule.h"
#include "core/visibility.h"

#define MEETING_TYPE "meeting"
#define MINUTES_TYPE "minutes"
#define ACTION_TYPE "action"
/* A meeting longer than a week is not a meeting. */
#define MEETING_MAX_DURATION_MS (7LL * 24 * 3600 * 1000)
#define MINUTES_MAX_ITEMS 100
#define MEETING_OCC_ID_BUFSZ (WF_ID_BUFSZ + 24)

struct meeting_series {
	char id[WF_ID_BUFSZ], track[WF_ID_BUFSZ], host[VIS_PARTY_BUFSZ];
	tq_time start;
	int64_t duration_ms;
	int has_rule;
	struct rrule rule;
	struct stamp stamp;
	json_t *doc;   /* owned: title, venue */
};

struct meeting_series_draft {
	const char *id, *track, *title, *venue, *host, *duration, *rrule;  /* rrule NULL: a single meeting */
	tq_time start;
};

int meeting_may_schedule(enum vis_role role);
/* 403 a role that may not schedule; 422 empty title or venue, host not a
 * member or an observer, start not whole seconds, bad duration, bad rule, a
 * rule with no occurrence at or after start. Effects: meeting.series_created. */
TQ_MUST_USE int meeting_series_create(const struct vis_track *t, const struct meeting_series_draft *d,
				      const struct actor *by, tq_time now, struct meeting_series *out,
				      struct effects *fx, struct tq_field_error *fe);
/* Occurrence starts in [from, to), ascending, at most max. */
TQ_MUST_USE int meeting_series_expand(const struct meeting_series *s, tq_time from, tq_time to, tq_time *out,
				      size_t max, size_t *n);
/* Whether the series has an occurrence starting exactly at start. */
int meeting_series_has(const struct meeting_series *s, tq_time start);

TQ_MUST_USE int meeting_series_from_json(const json_t *j, struct meeting_series *out);
json_t *meeting_series_to_json(const struct meeting_series *s);
void meeting_series_free(struct meeting_series *s);

/* "<series id>:<YYYYMMDDTHHMMSSZ>". */
void meeting_occ_id(const char *series_id, tq_time start, char out[MEETING_OCC_ID_BUFSZ]);
/* Splits an occurrence id; TQ_ENOTFOUND when it is not one. */
TQ_MUST_USE int meeting_occ_id_parse(const char *id, char series_id[WF_ID_BUFSZ], tq_time *start);
/* {"id","series","title","start","end","venue","host","status"}: status
 * "held" when held. Returns owned. */
json_t *meeting_occ_json(const struct meeting_series *s, tq_time start, int held);

/* Whether a member may record minutes of a meeting of series s. */
int meeting_may_record(const struct meeting_series *s, enum vis_role role, const char *party);

struct meeting_minutes_draft {
	const char *id;                  /* the minutes' id */
	const char *text;
	const json_t *decisions;         /* [text…] or NULL */
	const json_t *actions;           /* [{owner, text, due}…] or NULL */
	const char *const *action_ids;   /* one fresh id per action */
};

/*
 * Minutes of the occurrence of s at start. held: minutes exist already.
 * Refusals in this order: 403 may not record; 409 held, not started yet;
 * 400/422 decisions and actions (wrong types; owner not a member or an
 * observer; empty text). *minutes (owned) and *actions (owned array of action
 * items) are the new objects; fx_minutes gets meeting.minutes and fx_action
 * action.created (for each action).
 */
TQ_MUST_USE int meeting_minutes_create(const struct vis_track *t, const struct meeting_series *s, tq_time start,
				       int held, const struct meeting_minutes_draft *d, const struct actor *by,
				       tq_time now, json_t **minutes, json_t **actions, struct effects *fx_minutes,
				       struct effects *fx_action, struct tq_field_error *fe);

/*
 * The agenda line for obj (of type "dispute", "conflict", "threat", "message"
 * or "action") if it belongs on a meeting's agenda: open disputes, open or
 * acknowledged conflicts, lapsed threats, escalated messages, action items
 * still open and due before overdue_before. Returns owned
 * {"section","type","id","summary","status","refs"[, "owner","due"]} or NULL.
 * Whether the caller may see obj is the caller's question (visibility.h).
 */
json_t *meeting_agenda_item(const char *type, const json_t *obj, tq_time overdue_before);
/* Agenda sections in order: {section, type}. */
extern const char *const meeting_agenda_sections[][2];
#define MEETING_AGENDA_NSECTIONS 5

struct meeting_action {
	char id[WF_ID_BUFSZ], track[WF_ID_BUFSZ], owner[VIS_PARTY_BUFSZ];
	int done;
	tq_time due;
	struct stamp stamp;
	json_t *doc;   /* owned: meeting, minutes, text, done_* , note */
};
/* Only the owner, once: 403, then 409. Effects: action.done. */
TQ_MUST_USE int meeting_action_may_finish(const struct meeting_action *a, const char *party,
					  struct tq_field_error *fe);
TQ_MUST_USE int meeting_action_done(struct meeting_action *a, const struct actor *by, const char *note, tq_time now,
				    struct effects *fx, struct tq_field_error *fe);
/* Open and due before `before`. */
int meeting_action_overdue(const struct meeting_action *a, tq_time before);
TQ_MUST_USE int meeting_action_from_json(const json_t *j, struct meeting_action *out);
json_t *meeting_action_to_json(const struct meeting_action *a);
void meeting_action_free(struct meeting_action *a);

#endif
