/*
 * cmap — a track's conflict map: references (id, finding key, subject ids)
 * to its unresolved conflicts and to its settled ones (consented or waived,
 * never reopened). Lookups are linear scans, which is cheap next to a
 * geometry check while a track has hundreds of open conflicts, not millions.
 */
#ifndef TQ_CMAP_H
#define TQ_CMAP_H

#include <jansson.h>
#include <stddef.h>
#include "core/tqerr.h"

struct cmap_ref {
	char *id, *key;
	int limitation; /* limitation_exceeded: subs[0] is the zone */
	int settled;    /* consented or waived: never reopened */
	int seen;       /* scratch of reconcile_apply */
	char **subs;
	size_t nsubs;
};

struct cmap {
	struct cmap_ref *refs;
	size_t n, cap;
};

void cmap_clear(struct cmap *m);
/* Adds a reference for the stored conflict c (borrowed). */
TQ_MUST_USE int cmap_add(struct cmap *m, const json_t *c, int settled);
/* Removes refs[i] (the last one takes its place). */
void cmap_drop(struct cmap *m, size_t i);
/* NULL when no reference has key. */
struct cmap_ref *cmap_by_key(struct cmap *m, const char *key);
/* Whether subject id is one of the conflict's. */
int cmap_involves(const struct cmap_ref *c, const char *id);

#endif
