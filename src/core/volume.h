/*
 * volume — the in-memory index of live volumes (subjects) of one engine:
 * lookup by id and candidate search by bounding box.
 *
 * The spatial part is a hierarchical grid: level L has square cells of
 * 360 / 2^L degrees; a subject lives at the finest level (up to
 * VOLUME_LEVELS - 1) whose cells are at least twice as large as its bounding
 * box, so it occupies at most 2 x 2 cells there, mostly one (a query of
 * similar size then probes fewer cells per level; the time-sorted cells keep
 * the extra entries cheap). Cells are found through one
 * open-addressing hash of (level, x, y). A query visits, per occupied level,
 * either the cells under the query box or, when those are more than the
 * subjects on that level, the level's list. Inserts and removals touch at
 * most four cells; unlike GEOS's STRtree it accepts inserts after queries.
 *
 * Each cell holds a copy of its subjects' filter data (bounding box, time
 * window, altitude band), so that queries filter without touching subjects,
 * with windows of up to 7 days sorted by start: a query reads only the
 * entries whose window can meet its own (plus the long and open-ended ones).
 * A subject's bbox, window and band must not change while it is indexed.
 *
 * The index borrows subjects (the engine owns them) and uses their private
 * fields (bbox, which the caller sets before inserting; level, level_pos).
 * Not thread-safe, except volume_index_query_into: several threads may run
 * it at once while no thread changes the index.
 */
#ifndef TQ_VOLUME_H
#define TQ_VOLUME_H

#include <stddef.h>
#include "core/subject.h"
#include "core/tqtime.h"
#include "core/tqerr.h"

/* Finest cell 360/2^13 deg ~ 0.044 deg ~ 4.9 km. Finer cells (2.4 km) made a
 * 10 km query probe ~5x as many (mostly empty) cells of the hash, which was
 * half of a check at 100k spread volumes; the time-sorted cells keep a coarse
 * cell cheap to read (bench/README.md, third pass). */
#define VOLUME_LEVELS 14

struct volume_index;

/* Returns owned (NULL when out of memory); free with volume_index_free(). */
struct volume_index *volume_index_new(void);
/* Frees the index, not the subjects. NULL-safe. */
void volume_index_free(struct volume_index *x);

/* s->id must not be indexed yet; s->bbox must be set. Borrows s. */
TQ_MUST_USE int volume_index_insert(struct volume_index *x, struct subject *s);
/* Drops s (indexed) from the index. */
void volume_index_remove(struct volume_index *x, struct subject *s);
/* Borrowed; NULL when id is not indexed. */
struct subject *volume_index_get(const struct volume_index *x, const char *id);
size_t volume_index_count(const struct volume_index *x);
/* Iteration in no particular order: start with *pos = 0; NULL at the end. */
struct subject *volume_index_next(const struct volume_index *x, size_t *pos);

/* A prefilter: closed intervals, possibly loose (altitudes by up to 1 m). */
struct volume_query {
	double bbox[4];     /* minx, miny, maxx, maxy */
	tq_time start, end; /* subjects with start <= end' and start' <= end */
	double alt_min, alt_max;
};

/* Every indexed subject whose bounding box, window and band meet q, each
 * once, in no particular order. *out is borrowed scratch, valid until the
 * next query. */
TQ_MUST_USE int volume_index_query(struct volume_index *x, const struct volume_query *q, struct subject ***out,
				   size_t *n);

/* A growable list of subjects (borrowed): the answer of a query into
 * memory of the caller's. Start zeroed; free(v) when done. */
struct volume_hits {
	struct subject **v;
	size_t n, cap;
};
TQ_MUST_USE int volume_hits_push(struct volume_hits *h, struct subject *s);
/* volume_index_query into h (emptied first) instead of the index's scratch:
 * it only reads the index, so several threads may query at once while
 * nothing changes it. */
TQ_MUST_USE int volume_index_query_into(const struct volume_index *x, const struct volume_query *q,
					struct volume_hits *h);
/* Whether s (its bbox set) meets q as the index's filter says. */
int volume_query_meets(const struct subject *s, const struct volume_query *q);

/* Closed bounding boxes meet. */
int volume_bbox_meet(const double a[4], const double b[4]);

#endif
