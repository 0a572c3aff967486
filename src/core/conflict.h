/*
 * conflict — the workflow of a conflict the engine found (api.md Conflicts;
 * Precise rules 7, 8, 11).
 *
 * A conflict opens "open". Each affected party acknowledges it once; when all
 * have, it is "acknowledged". It is "resolved" by the engine when the finding
 * no longer holds (resolution "modified", "cancelled", "withdrawn",
 * "rejected"), by the owner of the influence zone consenting to an
 * influence_entry conflict ("consented"), or by the mediator or supervisor
 * waiving it ("waived"). Consent and waiver settle the finding's key: the
 * engine never reopens it. Events: conflict.opened, conflict.acknowledged,
 * conflict.resolved.
 *
 * struct conflict is the workflow state; kind, subjects and parties come from
 * the engine's finding (engine.h). Transitions are pure.
 */
#ifndef TQ_CONFLICT_H
#define TQ_CONFLICT_H

#include <jansson.h>
#include <stdint.h>
#include "core/change.h"

enum conflict_status { CONFLICT_OPEN, CONFLICT_ACKNOWLEDGED, CONFLICT_RESOLVED };

struct conflict {
	char kind[32];                          /* finding kind, e.g. "influence_entry" */
	enum conflict_status status;
	struct party_set parties, acks;
	char zone_party[CHANGE_PARTY_BYTES];    /* the party of subjects[0] (the zone's owner), "" if none */
	char resolution[16];                    /* "" while unresolved */
	char resolved_by[CHANGE_PARTY_BYTES];   /* "" unless consented or waived */
	int64_t version;
	tq_time resolved_at, updated_at;        /* TQ_TIME_MIN when unset */
};

const char *conflict_status_name(enum conflict_status s);
/* -1 for an unknown name. */
int conflict_status_parse(const char *s);

/* TQ_EINVALID when a field of the stored object is missing or wrong. */
TQ_MUST_USE int conflict_from_json(const json_t *obj, struct conflict *out);
/* Writes status, acks, version and the resolution fields that are set. 0 or TQ_ENOMEM. */
TQ_MUST_USE int conflict_to_json(const struct conflict *c, json_t *obj);

/* A finding without an unresolved conflict opens one (kind and parties set by the caller). */
TQ_MUST_USE int conflict_open(struct conflict *c, struct change *out);
/* An affected party (403) acknowledges an unresolved (409) conflict once (409). */
TQ_MUST_USE int conflict_acknowledge(struct conflict *c, const char *party, tq_time now, struct change *out);
/* The influence zone's owner (403) consents to an unresolved (409) influence_entry (409) conflict. */
TQ_MUST_USE int conflict_consent(struct conflict *c, const char *party, tq_time now, struct change *out);
/* The mediator or supervisor (the caller checks the role) waives an unresolved (409) conflict. */
TQ_MUST_USE int conflict_waive(struct conflict *c, const char *party, tq_time now, struct change *out);
/* The engine: the finding no longer holds; resolves with why (static). */
TQ_MUST_USE int conflict_lapse(struct conflict *c, const char *why, tq_time now, struct change *out);

#endif
