/*
 * change — what a transition of a zone, deployment, activity or conflict
 * produces besides the object's new state: the event to record, what becomes
 * of the subject in the conflict engine, how conflicts that no longer hold
 * resolve, and the deadlines to set or clear. Filled by the pure transition
 * functions of zone.h, deployment.h, activity.h and conflict.h; carried out
 * by the server's commit path. A refused transition returns a tq_err and
 * leaves the reason in `refusal` (and the field in `field` for a 422).
 *
 * Also the small party sets the workflows keep (accepted_by, acks, parties).
 */
#ifndef TQ_CHANGE_H
#define TQ_CHANGE_H

#include <jansson.h>
#include <stddef.h>
#include "core/limits.h"
#include "core/tqerr.h"
#include "core/tqtime.h"

#define CHANGE_PARTY_BYTES 9 /* [A-Z0-9]{2,8} + NUL (subject.h) */
#define CHANGE_MAX_DEADLINES 2

enum change_index {
	CHANGE_INDEX_KEEP,   /* the engine is untouched; no re-check (acknowledgements, clock) */
	CHANGE_INDEX_UPSERT, /* the subject (re)enters with its new state; its conflicts are re-checked */
	CHANGE_INDEX_REMOVE, /* it leaves; its unresolved conflicts resolve with `why` */
	CHANGE_INDEX_RETIRE, /* it leaves; its conflicts stay as they are (a completed activity) */
};

struct change_deadline {
	const char *kind; /* "activity.start", … (static) */
	tq_time due;
};

struct change {
	const char *event;        /* event type to record (static); NULL: nothing happens */
	enum change_index index;
	const char *why;          /* resolution of conflicts that no longer hold (static) */
	struct change_deadline set[CHANGE_MAX_DEADLINES];
	size_t nset;
	int clear_deadlines;      /* clear every deadline of the object first */
	int settles;              /* conflicts: the finding's key is settled, never reopened */
	const char *field;        /* refusals with TQ_EINVALID: the field at fault (static) */
	char refusal[160];
};

/* An empty change. */
void change_init(struct change *c);
/* Refuses with err and a detail; returns err. */
int change_refuse(struct change *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A set of party ids, in insertion order. */
struct party_set {
	char v[TQ_MAX_TRACK_MEMBERS][CHANGE_PARTY_BYTES];
	size_t n;
};
int party_set_has(const struct party_set *s, const char *party);
/* TQ_EINVALID when full or party is not a party id. Adding a member is a no-op. */
TQ_MUST_USE int party_set_add(struct party_set *s, const char *party);
/* From a JSON array of strings (NULL or absent: empty). TQ_EINVALID on anything else. */
TQ_MUST_USE int party_set_from_json(const json_t *arr, struct party_set *out);
/* A new JSON array. Returns owned (NULL on ENOMEM). */
json_t *party_set_to_json(const struct party_set *s);
/* Whether every member of sub is in s. */
int party_set_covers(const struct party_set *s, const struct party_set *sub);

/* Sets obj[key] to t in RFC 3339 form, unless t is TQ_TIME_MIN (unset). 0 or TQ_ENOMEM. */
TQ_MUST_USE int change_time_to_json(json_t *obj, const char *key, tq_time t);
/* Sets obj[key] to s unless s is NULL or empty. 0 or TQ_ENOMEM. */
TQ_MUST_USE int change_str_to_json(json_t *obj, const char *key, const char *s);

/* Copies a party id (TQ_EINVALID when it does not fit or is NULL). */
TQ_MUST_USE int change_party_copy(char out[CHANGE_PARTY_BYTES], const char *party);

#endif
