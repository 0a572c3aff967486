#include "core/volume.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A subject's filter data, inline in each cell so that a query reads cells
 * sequentially and touches a subject only when it passes. */
struct entry {
	double bb[4];
	tq_time start, end;
	float alt_min, alt_max;
	struct subject *s;
};

/* A cell's entries: items[0, nsorted) are short ones (window of at most
 * LONG_MS, both ends closed) sorted by start, so that a query reads only those
 * starting in [q.start - maxdur, q.end] (the index is spatial AND temporal:
 * over 30 days of 4-hour windows a query reads ~1 % of a busy cell);
 * items[nsorted, n) are unsorted: the long and open-ended ones, always read,
 * and short ones inserted since the last sort (ntail of them). The tail is
 * sorted in when it outgrows 1/32 of the sorted part (+2: a query reads the
 * whole tail, which at 1/8 was 3/4 of the entries a 100k spread query read),
 * and removals from the sorted part leave tombstones (an empty bbox),
 * compacted at half, so that
 * neither inserts nor removals move a busy cell's array each time. */
struct cell {
	uint64_t key; /* CELL_EMPTY when unused */
	struct entry *items;
	uint32_t n, cap, nsorted, ntail, ntomb;
	int64_t maxdur; /* >= every short entry's end - start */
};
#define LONG_MS ((int64_t)7 * 24 * 3600 * 1000)
#define CELL_EMPTY UINT64_MAX

struct level {
	struct subject **items;
	size_t n, cap;
};

#define ID_TOMB ((struct subject *)1)

struct volume_index {
	/* id → subject, open addressing, linear probing */
	struct subject **ids;
	size_t ids_cap, ids_n, ids_used;
	/* grid */
	struct cell *cells;
	size_t cells_cap, cells_n;
	struct level levels[VOLUME_LEVELS];
	struct volume_hits cand; /* query scratch of volume_index_query */
};

/* ---- id map ------------------------------------------------------------ */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t ids_find(const struct volume_index *e, const char *id)
{
	if (!e->ids_cap)
		return SIZE_MAX;
	size_t mask = e->ids_cap - 1;
	for (size_t i = hash_str(id) & mask;; i = (i + 1) & mask) {
		struct subject *s = e->ids[i];
		if (!s)
			return SIZE_MAX;
		if (s != ID_TOMB && !strcmp(s->id, id))
			return i;
	}
}

static int ids_grow(struct volume_index *e)
{
	size_t cap = e->ids_cap ? e->ids_cap : 64;
	while ((e->ids_n + 1) * 2 > cap)
		cap *= 2;
	struct subject **t = calloc(cap, sizeof *t);
	if (!t)
		return TQ_ENOMEM;
	for (size_t i = 0; i < e->ids_cap; i++) {
		struct subject *s = e->ids[i];
		if (!s || s == ID_TOMB)
			continue;
		size_t j = hash_str(s->id) & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = s;
	}
	free(e->ids);
	e->ids = t;
	e->ids_cap = cap;
	e->ids_used = e->ids_n;
	return 0;
}

static int ids_put(struct volume_index *e, struct subject *s)
{
	int rc;
	if ((e->ids_used + 1) * 10 > e->ids_cap * 7 && (rc = ids_grow(e)))
		return rc;
	size_t mask = e->ids_cap - 1, i = hash_str(s->id) & mask;
	while (e->ids[i] && e->ids[i] != ID_TOMB)
		i = (i + 1) & mask;
	if (!e->ids[i])
		e->ids_used++;
	e->ids[i] = s;
	e->ids_n++;
	return 0;
}

/* ---- grid -------------------------------------------------------------- */

static double cell_size(int level)
{
	return 360.0 / (double)(1u << level);
}

static int level_for(const double *bb)
{
	double size = fmax(bb[2] - bb[0], bb[3] - bb[1]);
	int level = VOLUME_LEVELS - 1;
	while (level > 0 && cell_size(level) < 2 * size)
		level--;
	return level;
}

static void cell_range(int level, const double *bb, int64_t *x0, int64_t *y0, int64_t *x1, int64_t *y1)
{
	double cs = cell_size(level);
	int64_t max = ((int64_t)1 << level) - 1;
	*x0 = (int64_t)floor((bb[0] + 180.0) / cs);
	*x1 = (int64_t)floor((bb[2] + 180.0) / cs);
	*y0 = (int64_t)floor((bb[1] + 90.0) / cs);
	*y1 = (int64_t)floor((bb[3] + 90.0) / cs);
	*x0 = *x0 < 0 ? 0 : *x0 > max ? max : *x0;
	*x1 = *x1 < 0 ? 0 : *x1 > max ? max : *x1;
	*y0 = *y0 < 0 ? 0 : *y0 > max ? max : *y0;
	*y1 = *y1 < 0 ? 0 : *y1 > max ? max : *y1;
}

static uint64_t cell_key(int level, int64_t x, int64_t y)
{
	return ((uint64_t)level << 56) | ((uint64_t)x << 28) | (uint64_t)y;
}

static uint64_t mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

/* A cell's home slot: runs of 4 cells along x share one hashed block, so
 * that a query's row of cells reads adjacent slots (one cache miss for up to
 * four cells instead of one each). key = level << 56 | x << 28 | y. */
static size_t cell_slot(uint64_t key, size_t mask)
{
	uint64_t block = key & ~((uint64_t)3 << 28);
	return (size_t)((mix64(block) << 2) | ((key >> 28) & 3)) & mask;
}

static struct cell *cell_find(const struct volume_index *e, uint64_t key)
{
	if (!e->cells_cap)
		return NULL;
	size_t mask = e->cells_cap - 1;
	for (size_t i = cell_slot(key, mask);; i = (i + 1) & mask) {
		if (e->cells[i].key == key)
			return &e->cells[i];
		if (e->cells[i].key == CELL_EMPTY)
			return NULL;
	}
}

static int cells_grow(struct volume_index *e)
{
	size_t cap = e->cells_cap ? e->cells_cap * 2 : 256;
	struct cell *t = malloc(cap * sizeof *t);
	if (!t)
		return TQ_ENOMEM;
	for (size_t i = 0; i < cap; i++)
		t[i] = (struct cell){.key = CELL_EMPTY};
	for (size_t i = 0; i < e->cells_cap; i++) {
		if (e->cells[i].key == CELL_EMPTY)
			continue;
		size_t j = cell_slot(e->cells[i].key, cap - 1);
		while (t[j].key != CELL_EMPTY)
			j = (j + 1) & (cap - 1);
		t[j] = e->cells[i];
	}
	free(e->cells);
	e->cells = t;
	e->cells_cap = cap;
	return 0;
}

static struct cell *cell_get(struct volume_index *e, uint64_t key)
{
	struct cell *c = cell_find(e, key);
	if (c)
		return c;
	if ((e->cells_n + 1) * 10 > e->cells_cap * 7 && cells_grow(e))
		return NULL;
	size_t mask = e->cells_cap - 1, i = cell_slot(key, mask);
	while (e->cells[i].key != CELL_EMPTY)
		i = (i + 1) & mask;
	e->cells[i].key = key;
	e->cells_n++;
	return &e->cells[i];
}

static void entry_of(struct entry *en, struct subject *s)
{
	memcpy(en->bb, s->bbox, sizeof en->bb);
	en->start = s->start;
	en->end = s->end;
	/* floats, rounded outwards: a prefilter may be loose, never tight */
	en->alt_min = (float)s->alt_min - 1.0f;
	en->alt_max = (float)s->alt_max + 1.0f;
	en->s = s;
}

/* The window's length when it is short (closed, at most LONG_MS), else -1. */
static int64_t short_dur(tq_time start, tq_time end)
{
	if (start == TQ_TIME_MIN || end == TQ_TIME_MAX)
		return -1;
	if (end <= start)
		return 0;
	uint64_t d = (uint64_t)end - (uint64_t)start; /* no signed overflow */
	return d > (uint64_t)LONG_MS ? -1 : (int64_t)d;
}

/* First sorted entry of c starting at or after t. Small cells are scanned:
 * each probe of a binary search is a cache miss. */
static uint32_t sorted_lower(const struct cell *c, tq_time t)
{
	uint32_t lo = 0, hi = c->nsorted;
	if (hi <= 16) {
		while (lo < hi && c->items[lo].start < t)
			lo++;
		return lo;
	}
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (c->items[mid].start < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int is_tomb(const struct entry *en)
{
	return en->s == NULL;
}

static int cmp_entry_start(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	return (a->start > b->start) - (a->start < b->start);
}

/* Sorts the tail's short entries in, drops tombstones, recomputes maxdur. */
static void cell_sort(struct cell *c)
{
	uint32_t w = 0, nlong = 0;
	/* short entries to the front (tombstones dropped), long ones after */
	for (uint32_t i = 0; i < c->n; i++) {
		struct entry en = c->items[i];
		if (is_tomb(&en))
			continue;
		if (short_dur(en.start, en.end) >= 0) {
			if (w + nlong > w) /* a long one sits at w: move it behind */
				c->items[w + nlong] = c->items[w];
			c->items[w++] = en;
		} else {
			c->items[w + nlong++] = en;
		}
	}
	qsort(c->items, w, sizeof *c->items, cmp_entry_start);
	c->n = w + nlong;
	c->nsorted = w;
	c->ntail = c->ntomb = 0;
	c->maxdur = 0;
	for (uint32_t i = 0; i < w; i++) {
		int64_t d = short_dur(c->items[i].start, c->items[i].end);
		if (d > c->maxdur)
			c->maxdur = d;
	}
}

static int cell_push(struct cell *c, struct subject *s)
{
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 2;
		struct entry *t = realloc(c->items, cap * sizeof *t);
		if (!t)
			return TQ_ENOMEM;
		c->items = t;
		c->cap = cap;
	}
	entry_of(&c->items[c->n++], s);
	int64_t d = short_dur(s->start, s->end);
	if (d < 0)
		return 0;
	if (d > c->maxdur)
		c->maxdur = d;
	if (++c->ntail > 2 + c->nsorted / 32)
		cell_sort(c);
	return 0;
}

static void cell_drop(struct cell *c, const struct subject *s)
{
	uint32_t i = short_dur(s->start, s->end) >= 0 ? sorted_lower(c, s->start) : c->nsorted;
	for (; i < c->nsorted && c->items[i].start == s->start && c->items[i].s != s; i++)
		;
	if (i < c->nsorted && c->items[i].s == s) {
		struct entry *en = &c->items[i];
		en->s = NULL; /* a tombstone: keeps its start, meets no query */
		en->bb[0] = INFINITY;
		en->bb[2] = -INFINITY;
		if (++c->ntomb > c->nsorted / 2)
			cell_sort(c);
	} else {
		for (i = c->nsorted; i < c->n; i++) {
			if (c->items[i].s == s) {
				if (short_dur(s->start, s->end) >= 0)
					c->ntail--;
				c->items[i] = c->items[--c->n];
				break;
			}
		}
	}
	if (c->n == c->ntomb) { /* keep the key (the hash has no tombstones), release the array */
		free(c->items);
		*c = (struct cell){.key = c->key};
	}
}

static void grid_remove(struct volume_index *e, struct subject *s)
{
	int64_t x0, y0, x1, y1;
	if (s->level < 0)
		return;
	cell_range(s->level, s->bbox, &x0, &y0, &x1, &y1);
	for (int64_t x = x0; x <= x1; x++)
		for (int64_t y = y0; y <= y1; y++) {
			struct cell *c = cell_find(e, cell_key(s->level, x, y));
			if (c)
				cell_drop(c, s);
		}
	struct level *l = &e->levels[s->level];
	l->items[s->level_pos] = l->items[--l->n];
	l->items[s->level_pos]->level_pos = s->level_pos;
	s->level = -1;
}

static int grid_insert(struct volume_index *e, struct subject *s)
{
	int64_t x0, y0, x1, y1;
	int level = level_for(s->bbox);
	struct level *l = &e->levels[level];
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct subject **t = realloc(l->items, cap * sizeof *t);
		if (!t)
			return TQ_ENOMEM;
		l->items = t;
		l->cap = cap;
	}
	s->level = level;
	s->level_pos = (uint32_t)l->n;
	l->items[l->n++] = s;
	cell_range(level, s->bbox, &x0, &y0, &x1, &y1);
	for (int64_t x = x0; x <= x1; x++)
		for (int64_t y = y0; y <= y1; y++) {
			struct cell *c = cell_get(e, cell_key(level, x, y));
			if (!c || cell_push(c, s)) {
				grid_remove(e, s); /* drops it from the cells it reached */
				return TQ_ENOMEM;
			}
		}
	return 0;
}

int volume_bbox_meet(const double a[4], const double b[4])
{
	return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

static int entry_meets(const struct entry *en, const struct volume_query *q)
{
	return en->start <= q->end && q->start <= en->end && en->alt_min <= q->alt_max && q->alt_min <= en->alt_max &&
	       volume_bbox_meet(en->bb, q->bbox);
}

int volume_hits_push(struct volume_hits *h, struct subject *s)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct subject **t = realloc(h->v, cap * sizeof *t);
		if (!t)
			return TQ_ENOMEM;
		h->v = t;
		h->cap = cap;
	}
	h->v[h->n++] = s;
	return 0;
}

/* Every indexed subject meeting q, into h (unordered, each once). Reads e only. */
static int grid_query(const struct volume_index *e, const struct volume_query *q, struct volume_hits *h)
{
	int rc;
	h->n = 0;
	for (int level = 0; level < VOLUME_LEVELS; level++) {
		const struct level *l = &e->levels[level];
		int64_t x0, y0, x1, y1;
		if (!l->n)
			continue;
		cell_range(level, q->bbox, &x0, &y0, &x1, &y1);
		if ((double)(x1 - x0 + 1) * (double)(y1 - y0 + 1) > (double)l->n) {
			for (size_t i = 0; i < l->n; i++) {
				struct entry en;
				entry_of(&en, l->items[i]);
				if (entry_meets(&en, q) && (rc = volume_hits_push(h, l->items[i])))
					return rc;
			}
			continue;
		}
		for (int64_t x = x0; x <= x1; x++)
			for (int64_t y = y0; y <= y1; y++) {
				const struct cell *c = cell_find(e, cell_key(level, x, y));
				if (!c)
					continue;
				/* sorted entries starting in [q.start - maxdur, q.end], then
				 * the unsorted ones */
				tq_time from = q->start < TQ_TIME_MIN + c->maxdur ? TQ_TIME_MIN : q->start - c->maxdur;
				for (uint32_t i = sorted_lower(c, from); i < c->n; i++) {
					const struct entry *en = &c->items[i];
					if (i < c->nsorted && en->start > q->end) {
						i = c->nsorted - 1; /* skip to the unsorted ones */
						continue;
					}
					if (!entry_meets(en, q))
						continue;
					/* A subject in several cells is reported by one
					 * only: the cell holding the lower-left corner of
					 * its overlap with the query box. */
					int64_t sx0, sy0, sx1, sy1;
					cell_range(level, en->bb, &sx0, &sy0, &sx1, &sy1);
					if ((sx0 > x0 ? sx0 : x0) != x || (sy0 > y0 ? sy0 : y0) != y)
						continue;
					if ((rc = volume_hits_push(h, en->s)))
						return rc;
				}
			}
	}
	return 0;
}

/* ---- public ------------------------------------------------------------ */

struct volume_index *volume_index_new(void)
{
	return calloc(1, sizeof(struct volume_index));
}

void volume_index_free(struct volume_index *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->cells_cap; i++)
		free(e->cells[i].items);
	for (int l = 0; l < VOLUME_LEVELS; l++)
		free(e->levels[l].items);
	free(e->cells);
	free(e->ids);
	free(e->cand.v);
	free(e);
}

int volume_index_insert(struct volume_index *e, struct subject *s)
{
	int rc;
	s->level = -1;
	if ((rc = ids_put(e, s)))
		return rc;
	if ((rc = grid_insert(e, s))) {
		e->ids[ids_find(e, s->id)] = ID_TOMB;
		e->ids_n--;
	}
	return rc;
}

void volume_index_remove(struct volume_index *e, struct subject *s)
{
	size_t i = ids_find(e, s->id);
	if (i == SIZE_MAX || e->ids[i] != s)
		return;
	e->ids[i] = ID_TOMB;
	e->ids_n--;
	grid_remove(e, s);
}

struct subject *volume_index_get(const struct volume_index *e, const char *id)
{
	size_t i = ids_find(e, id);
	return i == SIZE_MAX ? NULL : e->ids[i];
}

size_t volume_index_count(const struct volume_index *e)
{
	return e->ids_n;
}

struct subject *volume_index_next(const struct volume_index *e, size_t *pos)
{
	for (; *pos < e->ids_cap; (*pos)++) {
		struct subject *s = e->ids[*pos];
		if (s && s != ID_TOMB) {
			(*pos)++;
			return s;
		}
	}
	return NULL;
}

int volume_index_query(struct volume_index *e, const struct volume_query *q, struct subject ***out, size_t *n)
{
	int rc = grid_query(e, q, &e->cand);
	*out = e->cand.v;
	*n = rc ? 0 : e->cand.n;
	return rc;
}

int volume_index_query_into(const struct volume_index *e, const struct volume_query *q, struct volume_hits *h)
{
	int rc = grid_query(e, q, h);
	if (rc)
		h->n = 0;
	return rc;
}

int volume_query_meets(const struct subject *s, const struct volume_query *q)
{
	return s->start <= q->end && q->start <= s->end && s->alt_min <= q->alt_max && q->alt_min <= s->alt_max &&
	       volume_bbox_meet(s->bbox, q->bbox);
}
