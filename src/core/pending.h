/*
 * pending — an engine's changes that are not committed yet (engine.h,
 * "Views"): which indexed subjects are pending, and the committed versions
 * they displaced (the shadows), kept until the commit so that a
 * committed-view check still finds them.
 *
 * Promises:
 * - A subject is marked pending at most once; pending_has says whether it is.
 * - Shadows are owned (freed by pending_commit / pending_clear with the geo
 *   context given); at most one per id (the caller shadows only a committed
 *   version, and only until the commit).
 * - pending_commit forgets every mark and frees every shadow: what was
 *   pending is the committed state now.
 * Not thread-safe; reading (pending_has, the shadows) may happen in several
 * threads at once while nothing changes it.
 */
#ifndef TQ_PENDING_H
#define TQ_PENDING_H

#include <stddef.h>
#include "core/geo.h"
#include "core/subject.h"
#include "core/tqerr.h"

struct pending {
	const struct subject **marked; /* indexed, pending (borrowed) */
	size_t nmarked, capmarked;
	struct subject **shadows; /* committed versions displaced (owned, not indexed) */
	size_t nshadows, capshadows;
};

/* Whether s is marked pending. */
int pending_has(const struct pending *p, const struct subject *s);
/* Marks s (indexed now) pending. */
TQ_MUST_USE int pending_mark(struct pending *p, const struct subject *s);
/* s leaves the index: its mark (if any) goes. */
void pending_unmark(struct pending *p, const struct subject *s);
/* Keeps s, a committed version that left the index (taken, also on failure:
 * then freed). */
TQ_MUST_USE int pending_shadow(struct pending *p, struct geo_ctx *geo, struct subject *s);
/* Whether anything is pending (a mark or a shadow). */
int pending_any(const struct pending *p);
/* Everything pending is committed: marks forgotten, shadows freed. */
void pending_commit(struct pending *p, struct geo_ctx *geo);
/* pending_commit, and the arrays freed (the engine is freed). */
void pending_clear(struct pending *p, struct geo_ctx *geo);

#endif
