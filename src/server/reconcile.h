/*
 * reconcile — the stored conflicts a subject's change opens and resolves
 * (api.md Conflicts, Precise rules 1–3).
 *
 * Conflicts are stored objects (type "conflict", id "cfl_…") in the API shape
 * plus "key", the engine's stable finding key. A conflict is unresolved while
 * "open" or "acknowledged". reconcile_apply stages, in the batch, one
 * subject's change: the engine's findings for the subject (and, for a
 * deployment, for the limitation zones it was or is counted in) are matched
 * to the unresolved conflicts in scope by key; a finding without one opens a
 * conflict (event conflict.opened), an unresolved conflict whose key is gone
 * is resolved with `why` (event conflict.resolved). A key whose conflict was
 * consented or waived is settled and never reopened. Conflicts involving an
 * activity that completed are left as they are (they stop matching, they do
 * not resolve), unless the other subject is itself cancelled or withdrawn.
 *
 * The engine and its map change while the batch is built, so the re-checks
 * see the new state (the engine's changes are pending: readers' committed
 * view does not see them until the COMMIT); engines_guard rebuilds them if
 * the batch does not commit. Reads go through the batch (commit_get).
 */
#ifndef TQ_RECONCILE_H
#define TQ_RECONCILE_H

#include <jansson.h>
#include "core/change.h"
#include "server/engines.h"

struct reconcile_change {
	const json_t *track;      /* the track JSON (audiences) */
	enum subject_type type;
	const json_t *obj;        /* the subject's object after the change */
	const char *id, *party;   /* its id and declaring party */
	/* The parsed new state (taken, may be NULL): geometry is parsed once per
	 * request. NULL on an upsert keeps the engine's subject, with the zone
	 * status of obj for zones. */
	struct subject *subject;
	enum change_index index;  /* UPSERT or REMOVE */
	const char *why;          /* resolution of conflicts that no longer hold */
};

/* Stages the change's conflicts in c. *conflicts (owned, if not NULL) = the
 * unresolved conflicts of the subject, by id. */
TQ_MUST_USE int reconcile_apply(struct commit *c, struct track_engine *te, const struct reconcile_change *ch,
				json_t **conflicts);
/* The unresolved conflicts of subject id, by conflict id, as batch c (NULL:
 * the store) leaves them. *out owned. */
TQ_MUST_USE int reconcile_conflicts_of(struct app *a, struct commit *c, struct track_engine *te, const char *id,
				       json_t **out);
/* The same from the store's rows alone (a snapshot reader: the conflict map
 * is writers' memory, engines.h). *out owned. */
TQ_MUST_USE int reconcile_conflicts_stored(struct app *a, const char *track, const char *id, json_t **out);
/* An activity completed: it leaves the index, its conflicts stay. */
TQ_MUST_USE int reconcile_retire(struct commit *c, struct track_engine *te, const char *id);
/* A conflict was consented or waived: its key is settled. */
TQ_MUST_USE int reconcile_settle(struct commit *c, struct track_engine *te, const char *conflict_id);
/* Adds to conflict's "parties" the parties of the agreement whose rule it
 * breaks: every party that accepted the demilitarized or limitation zone
 * (the engine names only the zone's owner and the offenders). Sorted,
 * unique. Reads through c (NULL: the store). */
TQ_MUST_USE int reconcile_conflict_parties(struct app *a, struct commit *c, const char *track, json_t *conflict);
/* Stages conflict (a reference is kept: do not change it afterwards) with
 * `event`, visible to the track members who see conflicts. */
TQ_MUST_USE int reconcile_conflict_save(struct commit *c, const json_t *track, json_t *conflict, const char *event);

#endif
