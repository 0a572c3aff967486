/*
 * zone — the workflow of a declared zone (api.md Zones; Precise rules 7–9).
 *
 * demilitarized and limitation zones start "proposed" with accepted_by =
 * [declaring party] and come "in_force" when every principal of the track
 * has accepted; any other principal may reject them instead. The other kinds
 * are in force at once. The declaring party withdraws a zone (proposed or in
 * force). Events: zone.declared, zone.accepted, zone.rejected,
 * zone.withdrawn.
 *
 * struct zone is the workflow state of a stored zone; its footprint, window
 * and caps are the subject's (subject.h). zone_to_json writes the workflow
 * fields into the stored JSON object and leaves the others as they are.
 * Transitions are pure: (state, command, now) → new state + change.
 */
#ifndef TQ_ZONE_H
#define TQ_ZONE_H

#include <jansson.h>
#include <stdint.h>
#include "core/change.h"
#include "core/subject.h"

struct zone {
	enum zone_kind kind;
	enum zone_status status;
	char declared_by[CHANGE_PARTY_BYTES];
	char owner[CHANGE_PARTY_BYTES];
	struct party_set accepted_by;
	char rejected_by[CHANGE_PARTY_BYTES]; /* "" unless rejected */
	int64_t version;
	tq_time in_force_at, withdrawn_at, updated_at; /* TQ_TIME_MIN when unset */
};

/* The workflow state of a stored zone. TQ_EINVALID when a field is missing
 * or wrong (a broken store, not bad input). */
TQ_MUST_USE int zone_from_json(const json_t *obj, struct zone *out);
/* Writes status, declared_by, owner, accepted_by, version and the set
 * timestamps into obj. 0 or TQ_ENOMEM. */
TQ_MUST_USE int zone_to_json(const struct zone *z, json_t *obj);

/* A new zone of kind declared by party for owner (NULL: party); principals
 * are the track's. In force at once when the kind needs no agreement or
 * every principal has accepted (a lone principal). */
TQ_MUST_USE int zone_declare(struct zone *z, enum zone_kind kind, const char *party, const char *owner,
			     const struct party_set *principals, struct change *out);
/* party (a principal) accepts a proposed zone. 409 unless proposed or when
 * already accepted. In force once every principal has. */
TQ_MUST_USE int zone_accept(struct zone *z, const char *party, const struct party_set *principals, tq_time now,
			    struct change *out);
/* party (a principal other than the declaring one: 403) rejects a proposed
 * zone (409 otherwise). */
TQ_MUST_USE int zone_reject(struct zone *z, const char *party, tq_time now, struct change *out);
/* The declaring party (403 otherwise) withdraws a proposed or in-force zone (409 otherwise). */
TQ_MUST_USE int zone_withdraw(struct zone *z, const char *party, tq_time now, struct change *out);

#endif
