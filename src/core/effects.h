/*
 * effects — what a workflow transition asks the commit path to do, besides
 * storing the object's new state: events (type + audience rule) and
 * deadlines (kind + due, or cleared).
 *
 * The audience rule of an event is "everyone who sees the object before or
 * after the change" (core/visibility.h), widened to mediator and supervisor
 * when `oversight` is set (api.md rule 4: escalations and lapses). The payload
 * of an event is the object after the change.
 *
 * Also the little that every workflow object shares: who acted, and the
 * version/updated_at bump of a change. Pure data; no I/O, no clock.
 */
#ifndef TQ_EFFECTS_H
#define TQ_EFFECTS_H

#include <jansson.h>
#include <stddef.h>
#include "core/tqerr.h"
#include "core/tqtime.h"

#define EFFECTS_MAX_EVENTS 4
#define EFFECTS_MAX_DEADLINES 4
/* Server-assigned ids ("msg_" + 26 characters) and track ids fit. */
#define WF_ID_BUFSZ 64
#define WF_USER_BUFSZ 40

struct effects_event {
	const char *type;  /* "message.created" …; a string literal */
	int oversight;     /* 1: also mediator and supervisor */
};

struct effects_deadline {
	const char *kind;  /* "message.ack" …; a string literal */
	int clear;         /* 1: drop the deadline; 0: set it at due */
	tq_time due;
};

struct effects {
	size_t nev, ndl;
	struct effects_event ev[EFFECTS_MAX_EVENTS];
	struct effects_deadline dl[EFFECTS_MAX_DEADLINES];
};

void effects_init(struct effects *fx);
void effects_event(struct effects *fx, const char *type, int oversight);
void effects_deadline_set(struct effects *fx, const char *kind, tq_time due);
void effects_deadline_clear(struct effects *fx, const char *kind);
/* The event of `type` in fx, or NULL (for tests and callers that branch on it). */
const struct effects_event *effects_find(const struct effects *fx, const char *type);
const struct effects_deadline *effects_find_deadline(const struct effects *fx, const char *kind);

/* Who acted: a party's user, the cell admin (party NULL) or the server's clock
 * (party NULL, user "tansiqd"). Borrowed strings. */
struct actor {
	const char *party;
	const char *user;
};
/* {"party": P|null, "user": U}. Returns owned. */
json_t *effects_actor_json(const struct actor *a);
/* An RFC 3339 JSON string. Returns owned. */
json_t *effects_time_json(tq_time t);

/* What every stored workflow object carries about itself. */
struct stamp {
	int64_t version;     /* 1 at creation, +1 per change */
	tq_time created_at;
	tq_time updated_at;  /* TQ_TIME_MIN until the first change */
	char by_party[16];   /* "" for the cell admin */
	char by_user[WF_USER_BUFSZ];
};
void stamp_new(struct stamp *s, const struct actor *a, tq_time now);
void stamp_bump(struct stamp *s, tq_time now);
/* Reads created_at, created_by, version, updated_at; TQ_EINVALID when absent or malformed. */
TQ_MUST_USE int stamp_from_json(const json_t *obj, struct stamp *out);
/* Writes them into obj. */
void stamp_to_json(const struct stamp *s, json_t *obj);

/* A time field of a stored object ("respond_by" …): TQ_EINVALID when absent or not RFC 3339. */
TQ_MUST_USE int effects_time_get(const json_t *obj, const char *key, tq_time *out);
/* A string field copied into buf; TQ_EINVALID when absent, not a string or too long. */
TQ_MUST_USE int effects_str_get(const json_t *obj, const char *key, char *buf, size_t len);

#endif
