/*
 * engine.c — how a check is computed (the promises are in engine.h).
 *
 * Per check, the candidate is parsed once (by the caller), prepared once
 * (k->cprep), and, only when a margin pair needs it, densified and projected
 * once (geo_local) and buffered once (cbuf or the geo_local's planar buffer).
 * Per pair: windows, bands and bounding boxes first, then GEOS predicates.
 *
 * A finding's overlap is c ∩ o, computed by GEOS's overlay (GEOSIntersection,
 * OverlayNG) except where a cheaper answer is the same point set:
 * - one areal footprint properly inside the other (GEOS prepared
 *   ContainsProperly, tried only when the bounding boxes nest): the inner
 *   footprint itself, cloned (overlap_nested). Covers is not used: where the
 *   boundaries touch, the overlay may add the touching points as vertices,
 *   and GEOS's prepared Covers falls back to a full relate there.
 *   GEOSClipByRect is not used for rectangles: it computes its own edge
 *   crossings, whose last bits differ from the overlay's.
 * - a margin finding whose footprints do not meet: the part of o within the
 *   circumscribed buffer of c (margin_part, geo_local_buffer_part: the same
 *   vertices as buffer ∩ o).
 */
#include "core/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/pending.h"
#include "core/volume.h"

struct engine {
	struct geo_ctx *geo;
	GEOSContextHandle_t h;
	struct engine_margins m;
	struct volume_index *idx;
	struct pending pend; /* changes not committed yet (views) */
};

/* ---- engine lifecycle --------------------------------------------------- */

struct engine *engine_new(struct geo_ctx *geo, const struct engine_margins *m)
{
	struct engine *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	if (!(e->idx = volume_index_new())) {
		free(e);
		return NULL;
	}
	e->geo = geo;
	e->h = geo_ctx_geos(geo);
	engine_set_margins(e, m);
	return e;
}

void engine_set_margins(struct engine *e, const struct engine_margins *m)
{
	e->m = *m;
	if (!(e->m.separation_m > 0))
		e->m.separation_m = 0;
	if (!(e->m.vertical_separation_m > 0))
		e->m.vertical_separation_m = 0;
	if (e->m.time_margin_ms < 0)
		e->m.time_margin_ms = 0;
}

void engine_free(struct engine *e)
{
	struct subject *s;
	size_t pos = 0;
	if (!e)
		return;
	while ((s = volume_index_next(e->idx, &pos)))
		subject_free(e->geo, s);
	volume_index_free(e->idx);
	pending_clear(&e->pend, e->geo);
	free(e);
}

size_t engine_count(const struct engine *e)
{
	return volume_index_count(e->idx);
}

const struct subject *engine_get(const struct engine *e, const char *id)
{
	return volume_index_get(e->idx, id);
}

/* s leaves the index: a pending version is freed, a committed one is kept
 * as a shadow for committed-view checks until engine_commit_pending. */
static int detach(struct engine *e, struct subject *s)
{
	volume_index_remove(e->idx, s);
	if (pending_has(&e->pend, s)) {
		pending_unmark(&e->pend, s);
		subject_free(e->geo, s);
		return 0;
	}
	return pending_shadow(&e->pend, e->geo, s);
}

int engine_remove(struct engine *e, const char *id)
{
	struct subject *s = volume_index_get(e->idx, id);
	if (!s)
		return TQ_ENOTFOUND;
	return detach(e, s);
}

void engine_commit_pending(struct engine *e)
{
	pending_commit(&e->pend, e->geo);
}

int engine_has_pending(const struct engine *e)
{
	return pending_any(&e->pend);
}

static int footprint_bbox(GEOSContextHandle_t h, const GEOSGeometry *g, double *bb)
{
	if (!GEOSGeom_getXMin_r(h, g, &bb[0]) || !GEOSGeom_getYMin_r(h, g, &bb[1]) ||
	    !GEOSGeom_getXMax_r(h, g, &bb[2]) || !GEOSGeom_getYMax_r(h, g, &bb[3]))
		return TQ_EINTERNAL;
	return 0;
}

int engine_upsert(struct engine *e, struct subject *s)
{
	int rc;
	if (!s)
		return TQ_EINTERNAL;
	if (engine_get(e, s->id) && (rc = engine_remove(e, s->id)))
		goto fail;
	if (s->type == SUBJECT_ZONE && (s->status == ZONE_REJECTED || s->status == ZONE_WITHDRAWN)) {
		subject_free(e->geo, s);
		return 0;
	}
	if ((rc = footprint_bbox(e->h, s->footprint, s->bbox)) || (rc = volume_index_insert(e->idx, s)))
		goto fail;
	if ((rc = pending_mark(&e->pend, s))) {
		volume_index_remove(e->idx, s);
		goto fail;
	}
	return 0;
fail:
	subject_free(e->geo, s);
	return rc;
}

int engine_set_zone_status(struct engine *e, const char *id, enum zone_status st)
{
	struct subject *s = volume_index_get(e->idx, id);
	if (!s || s->type != SUBJECT_ZONE)
		return TQ_ENOTFOUND;
	if (st == ZONE_REJECTED || st == ZONE_WITHDRAWN)
		return engine_remove(e, id);
	if (s->status == st)
		return 0;
	if (pending_has(&e->pend, s)) {
		s->status = st;
		return 0;
	}
	/* The committed version stays for committed-view checks: the new status
	 * goes on a copy, pending. */
	struct subject *n = malloc(sizeof *n);
	if (!n)
		return TQ_ENOMEM;
	*n = *s;
	n->prepared = NULL;
	n->level = -1;
	n->id = strdup(s->id);
	n->footprint = GEOSGeom_clone_r(e->h, s->footprint);
	n->status = st;
	if (!n->id || !n->footprint) {
		subject_free(e->geo, n);
		return TQ_ENOMEM;
	}
	return engine_upsert(e, n);
}

/* ---- findings ----------------------------------------------------------- */

static const char *const finding_kind_names[] = {
	"activity_overlap",    "demilitarized_breach", "limitation_exceeded",      "influence_entry",
	"protected_site_risk", "deployment_risk",      "restricted_airspace_entry",
};

const char *finding_kind_name(enum finding_kind k)
{
	return (unsigned)k < sizeof finding_kind_names / sizeof finding_kind_names[0] ? finding_kind_names[k] : "?";
}

const char *finding_severity_name(enum finding_severity s)
{
	return s == FINDING_CRITICAL ? "critical" : "warning";
}

void finding_list_init(struct finding_list *l)
{
	*l = (struct finding_list){0};
}

static void finding_release(struct finding *f)
{
	for (size_t i = 0; i < f->n_subjects; i++)
		free(f->subjects[i].id);
	free(f->subjects);
	free(f->parties);
	json_decref(f->overlap_geometry);
	free(f->key);
}

void finding_list_clear(struct finding_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		finding_release(&l->items[i]);
	free(l->items);
	*l = (struct finding_list){0};
}

static json_t *time_json(tq_time t)
{
	char buf[TQTIME_BUFSZ];
	if (t == TQ_TIME_MIN || t == TQ_TIME_MAX)
		return json_null();
	tqtime_format(t, buf);
	return json_string(buf);
}

json_t *finding_to_json(const struct finding *f)
{
	json_t *subjects = json_array(), *parties = json_array(), *o = NULL;
	if (!subjects || !parties)
		goto fail;
	for (size_t i = 0; i < f->n_subjects; i++)
		if (json_array_append_new(subjects, json_pack("{s:s, s:s, s:s}", "type",
							      subject_type_name(f->subjects[i].type), "id",
							      f->subjects[i].id, "party", f->subjects[i].party)))
			goto fail;
	for (size_t i = 0; i < f->n_parties; i++)
		if (json_array_append_new(parties, json_string(f->parties[i])))
			goto fail;
	o = json_pack("{s:s, s:s, s:O, s:O, s:{s:O, s:{s:f, s:f}, s:{s:o, s:o}}}", "kind", finding_kind_name(f->kind),
		      "severity", finding_severity_name(f->severity), "subjects", subjects, "parties", parties,
		      "overlap", "geometry", f->overlap_geometry ? f->overlap_geometry : json_null(), "altitude",
		      "min_m", f->alt_min, "max_m", f->alt_max, "window", "start", time_json(f->start), "end",
		      time_json(f->end));
	if (!o)
		goto fail;
	if (f->kind == FINDING_LIMITATION_EXCEEDED) {
		json_t *ex = json_object();
		if (!ex || json_object_set_new(o, "exceeded", ex))
			goto fail;
		for (int i = 0; i < STRENGTH_COUNT; i++)
			if ((f->exceeded_mask & (1u << i)) &&
			    json_object_set_new(ex, strength_field_name((enum strength_field)i),
						json_pack("{s:I, s:I}", "cap", (json_int_t)f->cap[i], "declared",
							  (json_int_t)f->declared[i])))
				goto fail;
	}
	json_decref(subjects);
	json_decref(parties);
	return o;
fail:
	json_decref(subjects);
	json_decref(parties);
	json_decref(o);
	return NULL;
}

/* ---- one check ---------------------------------------------------------- */

struct check {
	struct engine *e;
	const struct subject *c;
	const GEOSPreparedGeometry *cprep; /* candidate footprint, prepared here */
	GEOSGeometry *cbuf;                /* candidate footprint + separation_m */
	const GEOSPreparedGeometry *cbufprep;
	double cbb[4];  /* candidate's bounding box */
	struct volume_query q; /* candidate's extent grown by the margins */
	struct finding_list *out;
	int disjoint; /* pair_holds found the footprints disjoint (add_pair) */
	const struct engine_overlaps *want; /* NULL: every finding's geometry */
	int geom;                     /* this pair's overlap geometry is wanted */
	struct geo_local *cloc;       /* candidate projected for metric distances */
	int nparts;                   /* margin findings' geometries built (margin_part) */
	/* A committed-view check (a reader, engine.h "Views"): its own query
	 * answers and prepared geometries; nothing shared is written. */
	int committed;
	struct volume_hits hits;
	struct kprep {
		const struct subject *s;
		const GEOSPreparedGeometry *p;
	} *preps;
	size_t npreps, cappreps;
};

/* The indexed subjects meeting q as the check's view has them (*out valid
 * until the next collect of the check): the one place candidates are
 * gathered, so every rule follows the view. The writer's view is the index;
 * the committed view drops pending versions and adds back the committed
 * versions they displaced. */
static int collect(struct check *k, const struct volume_query *q, struct subject ***out, size_t *n)
{
	const struct pending *p = &k->e->pend;
	int rc;
	if (!k->committed)
		return volume_index_query(k->e->idx, q, out, n);
	*out = NULL;
	*n = 0;
	if ((rc = volume_index_query_into(k->e->idx, q, &k->hits)))
		return rc;
	if (p->nmarked) {
		size_t w = 0;
		for (size_t i = 0; i < k->hits.n; i++)
			if (!pending_has(p, k->hits.v[i]))
				k->hits.v[w++] = k->hits.v[i];
		k->hits.n = w;
	}
	for (size_t i = 0; i < p->nshadows; i++)
		if (volume_query_meets(p->shadows[i], q) && (rc = volume_hits_push(&k->hits, p->shadows[i])))
			return rc;
	*out = k->hits.v;
	*n = k->hits.n;
	return 0;
}

/* A prepared geometry of an indexed subject for a committed-view check: its
 * own (GEOS prepared geometries build their indexes lazily, so one must not
 * be used by two threads at once). */
static const GEOSPreparedGeometry *prep_private(struct check *k, const struct subject *s)
{
	for (size_t i = 0; i < k->npreps; i++)
		if (k->preps[i].s == s)
			return k->preps[i].p;
	if (k->npreps == k->cappreps) {
		size_t cap = k->cappreps ? k->cappreps * 2 : 8;
		struct kprep *n = realloc(k->preps, cap * sizeof *n);
		if (!n)
			return NULL;
		k->preps = n;
		k->cappreps = cap;
	}
	const GEOSPreparedGeometry *p = GEOSPrepare_r(k->e->h, s->footprint);
	if (p)
		k->preps[k->npreps++] = (struct kprep){s, p};
	return p;
}

static const GEOSPreparedGeometry *prep_of(struct check *k, const struct subject *s)
{
	GEOSContextHandle_t h = k->e->h;
	if (s == k->c) {
		if (!k->cprep)
			k->cprep = GEOSPrepare_r(h, s->footprint);
		return k->cprep;
	}
	if (k->committed)
		return prep_private(k, s);
	/* Indexed subjects are ours to annotate; the cache lives as long as the
	 * subject. Only zones are asked for (see the callers), which keeps
	 * activities and deployments at one geometry each. */
	struct subject *m = (struct subject *)s;
	if (!m->prepared)
		m->prepared = GEOSPrepare_r(h, m->footprint);
	return m->prepared;
}

/* 1 when the interiors of p's geometry and g meet, 0 when not, <0 on error. */
static int interiors_meet(GEOSContextHandle_t h, const GEOSPreparedGeometry *p, const GEOSGeometry *g)
{
	if (!p)
		return TQ_ENOMEM;
	char r = GEOSPreparedIntersects_r(h, p, g);
	if (r == 2)
		return TQ_EINTERNAL;
	if (!r)
		return 0;
	r = GEOSPreparedTouches_r(h, p, g);
	if (r == 2)
		return TQ_EINTERNAL;
	return !r;
}

static int is_areal(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	int t = GEOSGeomTypeId_r(h, g);
	return t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON;
}

/* Calls fn(ud, x, y) for every distinct vertex of areal g (every ring of
 * every polygon, the closing position skipped) until it returns nonzero;
 * returns that, or 0. */
static int each_vertex(GEOSContextHandle_t h, const GEOSGeometry *g, int (*fn)(void *, double, double), void *ud)
{
	int np = GEOSGetNumGeometries_r(h, g);
	if (np < 0)
		return TQ_EINTERNAL;
	for (int i = 0; i < np; i++) {
		const GEOSGeometry *poly = GEOSGetGeometryN_r(h, g, i);
		int nh = poly ? GEOSGetNumInteriorRings_r(h, poly) : -1;
		if (nh < 0)
			return TQ_EINTERNAL;
		for (int r = -1; r < nh; r++) {
			const GEOSGeometry *ring =
				r < 0 ? GEOSGetExteriorRing_r(h, poly) : GEOSGetInteriorRingN_r(h, poly, r);
			const GEOSCoordSequence *cs = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
			unsigned n;
			if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n))
				return TQ_EINTERNAL;
			for (unsigned j = 0; j + 1 < n; j++) {
				double x, y;
				if (!GEOSCoordSeq_getXY_r(h, cs, j, &x, &y))
					return TQ_EINTERNAL;
				int rc = fn(ud, x, y);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

struct inside_ctx {
	GEOSContextHandle_t h;
	const GEOSPreparedGeometry *p;
};

/* 1 when (x, y) lies in the interior of p's geometry, else 0; <0 on error. */
static int point_inside(void *ud, double x, double y)
{
	struct inside_ctx *ic = ud;
	GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ic->h, x, y);
	if (!pt)
		return TQ_ENOMEM;
	char r = GEOSPreparedContainsProperly_r(ic->h, ic->p, pt);
	GEOSGeom_destroy_r(ic->h, pt);
	return r == 2 ? TQ_EINTERNAL : r;
}

/* A sufficient test that the interiors of two areal footprints a and b meet,
 * far cheaper than their overlay: a vertex of one in the interior of the
 * other (every boundary point of a valid polygon is a limit of interior
 * points, so near that vertex both interiors meet). Exact: GEOS's
 * point-in-polygon is robust. 0 means "not shown", not "disjoint": footprints
 * that cross without a vertex inside, touch, or share boundaries go to the
 * overlay. pa is a prepared; pb may be NULL (b is then prepared for this
 * pair only: indexed activities keep no prepared geometry, for memory). */
static int vertex_inside(GEOSContextHandle_t h, const GEOSPreparedGeometry *pa, const GEOSGeometry *a,
			 const GEOSPreparedGeometry *pb, const GEOSGeometry *b)
{
	struct inside_ctx ic = {h, pa};
	int rc = each_vertex(h, b, point_inside, &ic);
	if (rc)
		return rc;
	const GEOSPreparedGeometry *own = pb ? NULL : GEOSPrepare_r(h, b);
	if (!pb && !own)
		return TQ_ENOMEM;
	ic.p = pb ? pb : own;
	rc = each_vertex(h, a, point_inside, &ic);
	if (own)
		GEOSPreparedGeom_destroy_r(h, own);
	return rc;
}

static int bbox_within(const double *inner, const double *outer)
{
	return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

/* c ∩ o without an overlay, where that is exact: when one areal footprint
 * contains the other properly (GEOS prepared ContainsProperly: the inner one
 * lies in the interior of the outer, their boundaries do not meet), c ∩ o
 * is the inner footprint itself, and *ov is a clone of it. The overlay would
 * return the same rings, with no vertex added (no boundaries cross or
 * touch), starting elsewhere or turning the other way. 1 with *ov set
 * (owned), 0 when neither contains the other properly (*ov NULL), <0 on
 * error. Cheap: only pairs whose bounding boxes nest are tested, and the
 * candidate's prepared footprint is reused for the whole check; in the busy
 * area about one pair in ten nests (bench/README.md). */
static int overlap_nested(struct check *k, const struct subject *o, GEOSGeometry **ov)
{
	GEOSContextHandle_t h = k->e->h;
	const struct subject *c = k->c;
	const GEOSGeometry *inner = NULL;
	*ov = NULL;
	if (!is_areal(h, c->footprint) || !is_areal(h, o->footprint))
		return 0;
	if (bbox_within(o->bbox, k->cbb)) {
		const GEOSPreparedGeometry *cp = prep_of(k, c);
		char r = cp ? GEOSPreparedContainsProperly_r(h, cp, o->footprint) : 2;
		if (r == 2)
			return cp ? TQ_EINTERNAL : TQ_ENOMEM;
		if (r)
			inner = o->footprint;
	}
	if (!inner && bbox_within(k->cbb, o->bbox)) {
		/* Indexed activities keep no prepared footprint (memory): this
		 * pair's own, unless a zone has one (not for a committed-view
		 * check: that cache is the writer's, engine.h "Views"). */
		const GEOSPreparedGeometry *shared = k->committed ? NULL : o->prepared;
		const GEOSPreparedGeometry *own = shared ? NULL : GEOSPrepare_r(h, o->footprint);
		const GEOSPreparedGeometry *op = shared ? shared : own;
		char r = op ? GEOSPreparedContainsProperly_r(h, op, c->footprint) : 2;
		if (own)
			GEOSPreparedGeom_destroy_r(h, own);
		if (r == 2)
			return op ? TQ_EINTERNAL : TQ_ENOMEM;
		if (r)
			inner = c->footprint;
	}
	if (!inner)
		return 0;
	return (*ov = GEOSGeom_clone_r(h, inner)) ? 1 : TQ_ENOMEM;
}

/* c ∩ o: overlap_nested where it applies, else GEOS's overlay. *ov owned. */
static int overlap_of(struct check *k, const struct subject *o, GEOSGeometry **ov)
{
	int rc = overlap_nested(k, o, ov);
	if (rc)
		return rc < 0 ? rc : 0;
	return (*ov = GEOSIntersection_r(k->e->h, k->c->footprint, o->footprint)) ? 0 : TQ_EINTERNAL;
}

/* interiors_meet for the candidate and o, where p is the prepared footprint
 * of one of them and g the other's footprint. When both are areal, the
 * overlap (c ∩ o, what add_pair reports) decides instead of a second
 * predicate: it is needed for the finding anyway, and two areas' interiors
 * meet exactly when their intersection has positive area. A sliver too thin
 * to trust (below 1e-9 of the smaller bounding box) goes to the touches test
 * as before. *ov receives the overlap when it was computed (owned, also when
 * the answer is 0: the caller frees it). */
static int pair_interiors_meet(struct check *k, const GEOSPreparedGeometry *p, const GEOSGeometry *g,
			       const struct subject *o, GEOSGeometry **ov)
{
	GEOSContextHandle_t h = k->e->h;
	const struct subject *c = k->c;
	if (!p)
		return TQ_ENOMEM;
	char r = GEOSPreparedIntersects_r(h, p, g);
	if (r == 2)
		return TQ_EINTERNAL;
	if (!r)
		return 0;
	if (is_areal(h, c->footprint) && is_areal(h, o->footprint)) {
		double a;
		/* Without the geometry wanted, a vertex inside settles most pairs
		 * (same answer: the overlay would have positive area). */
		if (!k->geom) {
			int in = p == k->cprep ? vertex_inside(h, p, c->footprint, NULL, o->footprint)
					       : vertex_inside(h, p, o->footprint, prep_of(k, c), c->footprint);
			if (in)
				return in < 0 ? in : 1;
		} else {
			/* One inside the other: their interiors meet, and the
			 * overlap is the inner one (overlap_nested). */
			int in = overlap_nested(k, o, ov);
			if (in)
				return in;
		}
		if (!(*ov = GEOSIntersection_r(h, c->footprint, o->footprint)) || !GEOSArea_r(h, *ov, &a))
			return TQ_EINTERNAL;
		double ca = (k->cbb[2] - k->cbb[0]) * (k->cbb[3] - k->cbb[1]);
		double oa = (o->bbox[2] - o->bbox[0]) * (o->bbox[3] - o->bbox[1]);
		if (a > 0 && a >= 1e-9 * fmin(ca, oa))
			return 1;
	}
	r = GEOSPreparedTouches_r(h, p, g);
	if (r == 2)
		return TQ_EINTERNAL;
	return !r;
}

static tq_time sat_add(tq_time a, int64_t b)
{
	return a > TQ_TIME_MAX - b ? TQ_TIME_MAX : a + b;
}

static int time_meet(const struct subject *a, const struct subject *b, int64_t margin)
{
	tq_time lo = a->start > b->start ? a->start : b->start;
	tq_time hi = a->end < b->end ? a->end : b->end;
	return lo < sat_add(hi, margin);
}

static int alt_meet(const struct subject *a, const struct subject *b, double margin)
{
	double lo = fmax(a->alt_min, b->alt_min), hi = fmin(a->alt_max, b->alt_max);
	if (lo < hi + margin)
		return 1;
	/* A band of zero thickness (e.g. at ground level) has no measure to
	 * overlap with; it counts where it lies inside the other band. */
	return (a->alt_min == a->alt_max || b->alt_min == b->alt_max) && lo <= hi;
}

struct rule {
	enum finding_kind kind;
	int margin;                 /* margins apply, else zone entry */
	const struct subject *zone; /* NULL for two non-zones */
};

static int is_strike(const struct subject *s)
{
	return s->type == SUBJECT_ACTIVITY && s->kind == ACT_STRIKE;
}

/* Which rule, if any, links a and b (api.md Conflicts, architecture.md). */
static int pair_rule(const struct subject *a, const struct subject *b, struct rule *r)
{
	const struct subject *z = NULL, *x = NULL;
	if (a->type == SUBJECT_ZONE && b->type == SUBJECT_ZONE)
		return 0;
	if (a->type == SUBJECT_ZONE)
		z = a, x = b;
	else if (b->type == SUBJECT_ZONE)
		z = b, x = a;
	*r = (struct rule){.zone = z};
	if (z) {
		if (z->status != ZONE_IN_FORCE)
			return 0;
		int foreign = strcmp(x->party, z->owner) != 0;
		switch ((enum zone_kind)z->kind) {
		case ZONE_DEMILITARIZED:
			r->kind = FINDING_DEMILITARIZED_BREACH;
			return 1;
		case ZONE_INFLUENCE:
			r->kind = FINDING_INFLUENCE_ENTRY;
			return x->type == SUBJECT_ACTIVITY && foreign;
		case ZONE_RESTRICTED_AIRSPACE:
			r->kind = FINDING_RESTRICTED_AIRSPACE_ENTRY;
			return x->type == SUBJECT_ACTIVITY && foreign;
		case ZONE_PROTECTED_SITE:
			r->kind = FINDING_PROTECTED_SITE_RISK;
			r->margin = 1;
			return is_strike(x);
		case ZONE_BASE:
			r->kind = FINDING_DEPLOYMENT_RISK;
			r->margin = 1;
			return is_strike(x) && foreign;
		case ZONE_LIMITATION: /* aggregate rule, see limitation_sweep */
			return 0;
		}
		return 0;
	}
	if (!strcmp(a->party, b->party))
		return 0;
	r->margin = 1;
	if (a->type == SUBJECT_ACTIVITY && b->type == SUBJECT_ACTIVITY) {
		r->kind = FINDING_ACTIVITY_OVERLAP;
		return 1;
	}
	r->kind = FINDING_DEPLOYMENT_RISK;
	return (a->type == SUBJECT_DEPLOYMENT && is_strike(b)) || (b->type == SUBJECT_DEPLOYMENT && is_strike(a));
}

/* A geo_buffer_m buffer reaches at most 0.5 % beyond its distance (the
 * circumscribed chords) plus the aeqd projection's scale error near its
 * centre (< 1e-5 within 50 km); 2 % covers both with room to spare. */
#define BUFFER_REACH 1.02
/* ... plus what densifying straight lon/lat edges to GEO_DENSIFY_DEG leaves
 * (centimetres), for tiny separations. */
#define BUFFER_SLACK_M 1.0

/* Metres per degree of (lon, lat) distance, at least, for any path within
 * the latitudes of bounding boxes a and b (plus 0.05 deg: a short geodesic
 * bulges poleward by far less). On the WGS 84 ellipsoid a degree of latitude
 * is at least 110 574 m and a degree of longitude at least 111 319 cos(lat) m
 * (geo_metres_to_degrees), so a path of length L degrees is at least
 * L * min(those) metres long, and L is at least the planar distance. */
static double metres_per_degree_min(const double *a, const double *b)
{
	double lat = fmax(fmax(fabs(a[1]), fabs(a[3])), fmax(fabs(b[1]), fabs(b[3]))) + 0.05;
	if (lat >= 90.0)
		return 0;
	return fmin(110574.0, 111319.0 * cos(lat * M_PI / 180.0));
}

/* What separates the metric distance from the buffer test: densifying to
 * GEO_DENSIFY_DEG and straight lon/lat edges against projected ones leave
 * centimetres; a metre of room keeps the two tests' answers the same. */
#define METRIC_SLACK_M 1.0

/* WGS 84 metres per degree at latitude phi (degrees): along the meridian
 * (increasing with |phi|) and along the parallel (decreasing with |phi|). */
#define WGS84_A 6378137.0
#define WGS84_E2 0.0066943799901413165
static double m_per_deg_lat(double phi)
{
	double s = sin(phi * M_PI / 180.0);
	return WGS84_A * (1 - WGS84_E2) / pow(1 - WGS84_E2 * s * s, 1.5) * M_PI / 180.0;
}

static double m_per_deg_lon(double phi)
{
	double s = sin(phi * M_PI / 180.0);
	return WGS84_A / sqrt(1 - WGS84_E2 * s * s) * cos(phi * M_PI / 180.0) * M_PI / 180.0;
}

struct scale {
	double kx, ky;
};

static int scale_cb(double *x, double *y, void *ud)
{
	const struct scale *s = ud;
	*x *= s->kx;
	*y *= s->ky;
	return 1;
}

/* Footprints up to this extent (both, in degrees) get scaled_bounds. */
#define SCALED_MAX_DEG 1.0
/* Distances between points within ~100 km of an aeqd projection's centre
 * change by less than ~1e-4 of themselves (radial ones not at all). */
#define AEQD_EPS 1e-3

/* Bounds on the distance in metres between the candidate and o, without
 * PROJ: their lon/lat footprints scaled by the fewest metres per degree
 * within their latitude band (+0.05 deg, see metres_per_degree_min) give a
 * distance *lo that no path between them beats; the straight lon/lat segment
 * between the closest points is at most *hi = lo times the ratio of the most
 * to the fewest metres per degree in the band. 1 when set, 0 when the
 * footprints are too large for these bounds, <0 on error. */
static int scaled_bounds(struct check *k, const struct subject *o, double *lo, double *hi)
{
	GEOSContextHandle_t h = k->e->h;
	const double *a = k->cbb, *b = o->bbox;
	if (a[2] - a[0] > SCALED_MAX_DEG || a[3] - a[1] > SCALED_MAX_DEG || b[2] - b[0] > SCALED_MAX_DEG ||
	    b[3] - b[1] > SCALED_MAX_DEG)
		return 0;
	double y0 = fmin(a[1], b[1]) - 0.05, y1 = fmax(a[3], b[3]) + 0.05;
	double amax = fmax(fabs(y0), fabs(y1)), amin = y0 <= 0 && y1 >= 0 ? 0 : fmin(fabs(y0), fabs(y1));
	if (amax >= 85.0)
		return 0;
	struct scale smin = {m_per_deg_lon(amax), m_per_deg_lat(amin)};
	double ratio = fmax(m_per_deg_lon(amin) / smin.kx, m_per_deg_lat(amax) / smin.ky) * (1 + 1e-9);
	GEOSGeometry *cs = GEOSGeom_transformXY_r(h, k->c->footprint, scale_cb, &smin);
	GEOSGeometry *os = cs ? GEOSGeom_transformXY_r(h, o->footprint, scale_cb, &smin) : NULL;
	int ok = os && GEOSDistance_r(h, cs, os, lo);
	geo_free(k->e->geo, cs);
	geo_free(k->e->geo, os);
	if (!ok)
		return TQ_EINTERNAL;
	*hi = *lo * ratio;
	return 1;
}

static int ensure_cbuf(struct check *k)
{
	int rc;
	if (k->cbufprep)
		return 0;
	if (!k->cbuf && (rc = geo_buffer_m(k->e->geo, k->c->footprint, k->e->m.separation_m, &k->cbuf)))
		return rc;
	if (!(k->cbufprep = GEOSPrepare_r(k->e->h, k->cbuf)))
		return TQ_ENOMEM;
	return 0;
}

/* Does the rule hold between candidate c and indexed o? 1 / 0 / <0. *ov may
 * receive the overlap c ∩ o (owned by the caller, whatever the answer). */
static int pair_holds(struct check *k, const struct subject *o, const struct rule *r, GEOSGeometry **ov)
{
	const struct subject *c = k->c;
	const struct engine_margins *m = &k->e->m;
	GEOSContextHandle_t h = k->e->h;
	int rc;
	if (!r->margin) {
		if (!time_meet(c, o, 0) || !alt_meet(c, o, 0) || !volume_bbox_meet(k->cbb, o->bbox))
			return 0;
		const struct subject *x = r->zone == c ? o : c;
		return pair_interiors_meet(k, prep_of(k, r->zone), x->footprint, o, ov);
	}
	if (!time_meet(c, o, m->time_margin_ms) || !alt_meet(c, o, m->vertical_separation_m))
		return 0;
	if (m->separation_m == 0) {
		if (!volume_bbox_meet(k->cbb, o->bbox))
			return 0;
		const struct subject *p = o->type == SUBJECT_ZONE ? o : c;
		return pair_interiors_meet(k, prep_of(k, p), (p == c ? o : c)->footprint, o, ov);
	}
	/* distance < separation  <=>  o meets the circumscribed buffer of c.
	 * Building that buffer (PROJ, densify, buffer, back) is most of a check,
	 * so two cheap tests in degrees settle most pairs first: footprints that
	 * meet also meet the buffer (c lies inside it; add_pair then reports
	 * c ∩ o, as before), and footprints farther apart than the buffer can
	 * reach (a lower bound in metres, margin_lower_bound) cannot meet it. */
	const struct subject *p = o->type == SUBJECT_ZONE ? o : c;
	const GEOSPreparedGeometry *pp = prep_of(k, p);
	const GEOSGeometry *g = (p == c ? o : c)->footprint;
	if (!pp)
		return TQ_ENOMEM;
	if (volume_bbox_meet(k->cbb, o->bbox)) {
		char meet = GEOSPreparedIntersects_r(h, pp, g);
		if (meet == 2)
			return TQ_EINTERNAL;
		if (meet)
			return 1;
	}
	k->disjoint = 1; /* c ∩ o is empty: add_pair goes to the buffer */
	double deg;
	if (!GEOSPreparedDistance_r(h, pp, g, &deg))
		return TQ_EINTERNAL;
	if (deg * metres_per_degree_min(k->cbb, o->bbox) > BUFFER_REACH * m->separation_m + BUFFER_SLACK_M)
		return 0;
	/* The metric distance in the buffer's own projection (geo_local: c
	 * densified and projected once per check) settles every pair but those
	 * within a metre of the margin or in the buffer's overshoot: o meets the
	 * circumscribed buffer when it is closer than separation_m, and cannot
	 * when it is farther than the buffer's radius. Only the pairs in between
	 * build the buffer, which then decides exactly as it always did. (The
	 * finding's geometry, when wanted, comes from margin_part.) */
	/* Bounds without PROJ settle all but the pairs within a few metres of
	 * the margin (a path shorter than separation_m crosses into the buffer;
	 * the buffer reaches no farther than its radius), as the metric
	 * distance below would, with AEQD_EPS for the projection's own error. */
	double lo, hi;
	if ((rc = scaled_bounds(k, o, &lo, &hi)) < 0)
		return rc;
	if (rc && hi * (1 + AEQD_EPS) < m->separation_m - METRIC_SLACK_M)
		return 1;
	if (rc && lo * (1 - AEQD_EPS) > m->separation_m / cos(M_PI / (4.0 * GEO_QUADSEGS)) + METRIC_SLACK_M)
		return 0;
	if (!k->cbufprep) {
		if (!k->cloc && (rc = geo_local_new(k->e->geo, c->footprint, &k->cloc)))
			return rc == TQ_ETOOBIG ? rc : TQ_EINTERNAL;
		double d;
		rc = geo_local_distance_m(k->e->geo, k->cloc, o->footprint, &d);
		if (rc && rc != TQ_ETOOBIG) /* a zone too large to densify: the buffer decides */
			return TQ_EINTERNAL;
		if (!rc && d < m->separation_m - METRIC_SLACK_M)
			return 1;
		if (!rc && d > m->separation_m / cos(M_PI / (4.0 * GEO_QUADSEGS)) + METRIC_SLACK_M)
			return 0;
	}
	if ((rc = ensure_cbuf(k)))
		return rc;
	char hit = o->type == SUBJECT_ZONE ? GEOSPreparedIntersects_r(h, prep_of(k, o), k->cbuf)
					    : GEOSPreparedIntersects_r(h, k->cbufprep, o->footprint);
	return hit == 2 ? TQ_EINTERNAL : hit;
}

/* -- building findings -- */

static int cmp_party(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static int cmp_fsubject(const void *pa, const void *pb)
{
	const struct finding_subject *a = pa, *b = pb;
	if ((a->type == SUBJECT_ZONE) != (b->type == SUBJECT_ZONE))
		return a->type == SUBJECT_ZONE ? -1 : 1;
	return strcmp(a->id, b->id);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct finding *finding_add(struct finding_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct finding *t = realloc(l->items, cap * sizeof *t);
		if (!t)
			return NULL;
		l->items = t;
		l->cap = cap;
	}
	struct finding *f = &l->items[l->n++];
	memset(f, 0, sizeof *f);
	return f;
}

static void append(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + n < size) {
		memcpy(buf + *len, s, n + 1);
		*len += n;
	}
}

/* Subjects, parties, severity and key from `subs` (n; copied). */
static int finding_fill(struct finding *f, enum finding_kind kind, const struct subject *const *subs, size_t n,
			const char *suffix)
{
	f->kind = kind;
	if (!(f->subjects = calloc(n, sizeof *f->subjects)) || !(f->parties = calloc(n, sizeof *f->parties)))
		return TQ_ENOMEM;
	int strike = 0;
	for (size_t i = 0; i < n; i++) {
		f->subjects[i].type = subs[i]->type;
		if (!(f->subjects[i].id = strdup(subs[i]->id)))
			return TQ_ENOMEM;
		f->n_subjects++;
		memcpy(f->subjects[i].party, subs[i]->owner, SUBJECT_PARTY_BYTES);
		memcpy(f->parties[i], subs[i]->owner, SUBJECT_PARTY_BYTES);
		strike |= is_strike(subs[i]);
	}
	qsort(f->subjects, n, sizeof *f->subjects, cmp_fsubject);
	qsort(f->parties, n, sizeof *f->parties, cmp_party);
	for (size_t i = 0; i < n; i++)
		if (!f->n_parties || strcmp(f->parties[f->n_parties - 1], f->parties[i]))
			memmove(f->parties[f->n_parties++], f->parties[i], SUBJECT_PARTY_BYTES);
	f->severity = (kind == FINDING_DEMILITARIZED_BREACH || kind == FINDING_PROTECTED_SITE_RISK ||
		       kind == FINDING_DEPLOYMENT_RISK || (kind == FINDING_ACTIVITY_OVERLAP && strike))
			      ? FINDING_CRITICAL
			      : FINDING_WARNING;

	/* key: kind | ids sorted as strings | suffix */
	char **ids = malloc(n * sizeof *ids);
	size_t size = strlen(finding_kind_name(kind)) + (suffix ? strlen(suffix) : 0) + 2;
	if (!ids)
		return TQ_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ids[i] = f->subjects[i].id;
		size += strlen(ids[i]) + 1;
	}
	qsort(ids, n, sizeof *ids, cmp_str);
	if (!(f->key = malloc(size))) {
		free(ids);
		return TQ_ENOMEM;
	}
	size_t len = 0;
	f->key[0] = '\0';
	append(f->key, size, &len, finding_kind_name(kind));
	for (size_t i = 0; i < n; i++) {
		append(f->key, size, &len, "|");
		append(f->key, size, &len, ids[i]);
	}
	if (suffix)
		append(f->key, size, &len, suffix);
	free(ids);
	return 0;
}

static int set_geometry(struct check *k, struct finding *f, GEOSGeometry *g /* takes */)
{
	int rc = geo_to_geojson(k->e->geo, g, &f->overlap_geometry);
	geo_free(k->e->geo, g);
	return rc;
}

/* Margin findings per check whose geometry comes from a cut buffer; past
 * them the whole buffer is projected back once (a busy check has dozens,
 * whose cuts would overlap). */
#define MARGIN_PARTS_CUT 4

/* cbuf ∩ o, the part of o within the margin (*g owned), through geo_local:
 * the same set and vertices as the buffer's, at a fraction of the PROJ
 * transforms (geo.h geo_local_buffer_part). A candidate too large to
 * densify for geo_local, or a check past MARGIN_PARTS_CUT of them, goes
 * through the whole buffer. */
static int margin_part(struct check *k, const struct subject *o, GEOSGeometry **g)
{
	int rc = 0, cut = !k->cbuf && ++k->nparts <= MARGIN_PARTS_CUT;
	if (cut && !k->cloc && (rc = geo_local_new(k->e->geo, k->c->footprint, &k->cloc)) && rc != TQ_ETOOBIG)
		return TQ_EINTERNAL;
	if (cut && k->cloc)
		return geo_local_buffer_part(k->e->geo, k->cloc, k->e->m.separation_m, o->footprint, g);
	if ((rc = ensure_cbuf(k)))
		return rc;
	return (*g = GEOSIntersection_r(k->e->h, k->cbuf, o->footprint)) ? 0 : TQ_EINTERNAL;
}

/* ov: c ∩ o when already computed, or NULL; taken. */
static int add_pair(struct check *k, const struct subject *o, const struct rule *r, GEOSGeometry *ov)
{
	const struct subject *c = k->c;
	const struct subject *subs[2] = {c, o};
	GEOSContextHandle_t h = k->e->h;
	struct finding *f = finding_add(k->out);
	int rc = f ? finding_fill(f, r->kind, subs, 2, NULL) : TQ_ENOMEM;
	if (rc) {
		geo_free(k->e->geo, ov);
		return rc;
	}
	double lo = fmax(c->alt_min, o->alt_min), hi = fmin(c->alt_max, o->alt_max);
	f->alt_min = fmin(lo, hi);
	f->alt_max = fmax(lo, hi);
	tq_time ts = c->start > o->start ? c->start : o->start, te = c->end < o->end ? c->end : o->end;
	f->start = ts < te ? ts : te;
	f->end = ts < te ? te : ts;

	if (!k->geom) { /* the caller keeps the geometry it has (engine_check_some) */
		geo_free(k->e->geo, ov);
		return 0;
	}
	/* The overlap itself; for a conflict within the margin only, the part
	 * of the other footprint that lies within the margin of the candidate. */
	GEOSGeometry *g = ov;
	if (!g && !k->disjoint && (rc = overlap_of(k, o, &g)))
		return rc;
	if ((k->disjoint || (g && GEOSisEmpty_r(h, g) == 1)) &&
	    (k->cbuf || (r->margin && k->e->m.separation_m > 0))) {
		geo_free(k->e->geo, g);
		g = NULL;
		if ((rc = margin_part(k, o, &g)))
			return rc;
	}
	if (g && GEOSisEmpty_r(h, g) == 1) {
		geo_free(k->e->geo, g);
		g = GEOSGeom_clone_r(h, o->footprint);
	}
	if (!g)
		return TQ_EINTERNAL;
	return set_geometry(k, f, g);
}

/* -- limitation_exceeded -- */

struct contrib {
	const struct subject *d;
	tq_time s, e; /* deployment window clipped to the zone's */
};

static int cmp_time(const void *a, const void *b)
{
	tq_time x = *(const tq_time *)a, y = *(const tq_time *)b;
	return (x > y) - (x < y);
}

static void time_key(char *buf, size_t size, tq_time t)
{
	if (t == TQ_TIME_MIN || t == TQ_TIME_MAX)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%lld", (long long)t);
}

static int limitation_finding(struct check *k, const struct subject *zone, const struct contrib *cs, size_t n,
			      tq_time a, tq_time b, const int64_t *peak)
{
	GEOSContextHandle_t h = k->e->h;
	const struct subject **subs = NULL;
	GEOSGeometry **parts = NULL, *coll = NULL, *uni = NULL, *inter = NULL;
	size_t ns = 0, np = 0;
	char suffix[64], ta[24], tb[24];
	int rc = TQ_ENOMEM;

	if (!(subs = malloc((n + 1) * sizeof *subs)) || !(parts = malloc((n + 1) * sizeof *parts)))
		goto fail;
	subs[ns++] = zone;
	for (size_t i = 0; i < n; i++) {
		if (cs[i].s >= b || cs[i].e <= a)
			continue;
		subs[ns++] = cs[i].d;
		if (!(parts[np] = GEOSGeom_clone_r(h, cs[i].d->footprint)))
			goto fail;
		np++;
	}
	struct finding *f = finding_add(k->out);
	if (!f)
		goto fail;
	time_key(ta, sizeof ta, a);
	time_key(tb, sizeof tb, b);
	snprintf(suffix, sizeof suffix, "|%s|%s", ta, tb);
	if ((rc = finding_fill(f, FINDING_LIMITATION_EXCEEDED, subs, ns, suffix)))
		goto fail;
	f->alt_min = zone->alt_min;
	f->alt_max = zone->alt_max;
	f->start = a;
	f->end = b;
	for (int i = 0; i < STRENGTH_COUNT; i++) {
		f->cap[i] = zone->strength[i];
		f->declared[i] = peak[i];
		if (zone->strength[i] != SUBJECT_NO_CAP && peak[i] > zone->strength[i])
			f->exceeded_mask |= 1u << i;
	}
	if (k->want && !k->want->want(k->want->ud, f->key)) {
		rc = 0;
		goto fail; /* no geometry wanted: done */
	}
	rc = TQ_EINTERNAL;
	coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)np);
	if (!coll)
		goto fail;
	np = 0; /* taken */
	if (!(uni = GEOSUnaryUnion_r(h, coll)) || !(inter = GEOSIntersection_r(h, zone->footprint, uni)))
		goto fail;
	rc = set_geometry(k, f, inter);
	inter = NULL;
fail:
	for (size_t i = 0; i < np; i++)
		geo_free(k->e->geo, parts[i]);
	geo_free(k->e->geo, coll);
	geo_free(k->e->geo, uni);
	geo_free(k->e->geo, inter);
	free(parts);
	free(subs);
	return rc;
}

/* Sweeps the deployments inside an in-force limitation zone over time.
 * `must` (a deployment candidate, or NULL) restricts the findings to the
 * intervals it contributes to. */
static int limitation_sweep(struct check *k, const struct subject *zone, const struct subject *must)
{
	struct engine *e = k->e;
	struct contrib *cs = NULL;
	tq_time *times = NULL;
	size_t n = 0, nt = 0;
	int rc, any_cap = 0;

	for (int i = 0; i < STRENGTH_COUNT; i++)
		any_cap |= zone->strength[i] != SUBJECT_NO_CAP;
	if (!any_cap)
		return 0;
	struct subject **found;
	size_t nfound;
	struct volume_query q = {.start = zone->start, .end = zone->end, .alt_min = -INFINITY, .alt_max = INFINITY};
	memcpy(q.bbox, zone->bbox, sizeof q.bbox);
	if ((rc = collect(k, &q, &found, &nfound)))
		return rc;
	/* The query's scratch is reused by the next one: copy what we keep. */
	if (!(cs = malloc((nfound + 1) * sizeof *cs))) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i <= nfound; i++) {
		const struct subject *d = i < nfound ? found[i] : k->c;
		if (d->type != SUBJECT_DEPLOYMENT)
			continue;
		if (i < nfound && !strcmp(d->id, k->c->id))
			continue; /* the candidate's old self */
		if (!time_meet(d, zone, 0))
			continue;
		if ((rc = interiors_meet(e->h, prep_of(k, zone), d->footprint)) < 0)
			goto fail;
		if (!rc)
			continue;
		cs[n].d = d;
		cs[n].s = d->start > zone->start ? d->start : zone->start;
		cs[n].e = d->end < zone->end ? d->end : zone->end;
		n++;
	}
	if (!n)
		goto done;
	if (!(times = malloc(2 * n * sizeof *times))) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		times[nt++] = cs[i].s;
		times[nt++] = cs[i].e;
	}
	qsort(times, nt, sizeof *times, cmp_time);
	size_t u = 0;
	for (size_t i = 0; i < nt; i++)
		if (!u || times[u - 1] != times[i])
			times[u++] = times[i];
	nt = u;

	/* Segments [times[j], times[j+1]); runs of segments in excess merge. */
	int64_t peak[STRENGTH_COUNT] = {0};
	int in_run = 0;
	tq_time run_start = 0;
	for (size_t j = 0; j + 1 <= nt; j++) {
		int excess = 0;
		int64_t sum[STRENGTH_COUNT] = {0};
		if (j + 1 < nt) {
			for (size_t i = 0; i < n; i++)
				if (cs[i].s <= times[j] && cs[i].e > times[j])
					for (int f = 0; f < STRENGTH_COUNT; f++)
						sum[f] += cs[i].d->strength[f];
			for (int f = 0; f < STRENGTH_COUNT; f++)
				excess |= zone->strength[f] != SUBJECT_NO_CAP && sum[f] > zone->strength[f];
		}
		if (excess) {
			if (!in_run) {
				in_run = 1;
				run_start = times[j];
				memset(peak, 0, sizeof peak);
			}
			for (int f = 0; f < STRENGTH_COUNT; f++)
				if (sum[f] > peak[f])
					peak[f] = sum[f];
			continue;
		}
		if (!in_run)
			continue;
		in_run = 0;
		tq_time run_end = times[j];
		int involved = !must;
		for (size_t i = 0; i < n && !involved; i++)
			involved = cs[i].d == must && cs[i].s < run_end && cs[i].e > run_start;
		if (involved && (rc = limitation_finding(k, zone, cs, n, run_start, run_end, peak)))
			goto fail;
	}
done:
	rc = 0;
fail:
	free(times);
	free(cs);
	return rc;
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct finding *a = pa, *b = pb;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Could a margin rule involve this candidate at all? */
static int needs_margin(const struct subject *c)
{
	if (c->type != SUBJECT_ZONE)
		return 1;
	return c->kind == ZONE_PROTECTED_SITE || c->kind == ZONE_BASE;
}

/* c's bounding box, and the index query for its candidates: its extent
 * grown by the margins when a margin rule may involve it. */
static int check_query(const struct engine *e, const struct subject *c, double bb[4], struct volume_query *q)
{
	int rc;
	if ((rc = footprint_bbox(e->h, c->footprint, bb)))
		return rc;
	memcpy(q->bbox, bb, sizeof q->bbox);
	q->start = c->start;
	q->end = c->end;
	q->alt_min = c->alt_min;
	q->alt_max = c->alt_max;
	if (needs_margin(c)) {
		double dlon, dlat;
		geo_metres_to_degrees(e->m.separation_m, bb[1], bb[3], &dlon, &dlat);
		q->bbox[0] -= dlon;
		q->bbox[2] += dlon;
		q->bbox[1] -= dlat;
		q->bbox[3] += dlat;
		q->start = c->start < TQ_TIME_MIN + e->m.time_margin_ms ? TQ_TIME_MIN : c->start - e->m.time_margin_ms;
		q->end = sat_add(c->end, e->m.time_margin_ms);
		q->alt_min -= e->m.vertical_separation_m;
		q->alt_max += e->m.vertical_separation_m;
	}
	return 0;
}

/* The engine as view v reads it: a copy with the caller's geo context
 * (never changed: the copy lives for one call). */
static struct engine *viewed(struct engine *e, const struct engine_view *v, struct engine *copy)
{
	if (!v || !v->geo)
		return e;
	*copy = *e;
	copy->geo = v->geo;
	copy->h = geo_ctx_geos(v->geo);
	return copy;
}

int engine_admit(struct engine *e, const struct subject *c, struct tq_field_error *err)
{
	return engine_admit_view(e, NULL, c, err);
}

int engine_admit_view(struct engine *e0, const struct engine_view *v, const struct subject *c,
		      struct tq_field_error *err)
{
	struct engine copy, *e = viewed(e0, v, &copy);
	struct check k = {.e = e, .committed = v && v->committed};
	double bb[4];
	struct volume_query q;
	struct subject **found;
	size_t n;
	int rc;
	if (!c || !c->footprint)
		return TQ_EINTERNAL;
	rc = check_query(e, c, bb, &q);
	if (!rc)
		rc = collect(&k, &q, &found, &n);
	free(k.hits.v);
	if (rc)
		return rc;
	if (n > TQ_MAX_CHECK_CANDIDATES) {
		TQ_FIELD_ERROR(err, "geometry",
			       "the footprint meets more than %d live volumes of this track (bounding boxes, within "
			       "the margins, in its window and band); split it",
			       TQ_MAX_CHECK_CANDIDATES);
		return TQ_EINVALID;
	}
	if (!needs_margin(c) || !(e->m.separation_m > 0))
		return 0;
	rc = geo_buffer_admit(e->geo, c->footprint, e->m.separation_m);
	if (rc == TQ_ETOOBIG) {
		TQ_FIELD_ERROR(err, "geometry",
			       "footprint too complex for the track's separation margin of %g m: more than %d "
			       "vertices once edges are cut to %g degrees, or edges folded within the margin of each "
			       "other; use fewer, shorter edges or split it",
			       e->m.separation_m, TQ_MAX_DENSE_VERTICES, GEO_DENSIFY_DEG);
		return TQ_EINVALID;
	}
	if (rc == TQ_EINVALID) {
		TQ_FIELD_ERROR(err, "geometry",
			       "the track's separation margin of %g m around this footprint would reach beyond 88 "
			       "degrees of latitude or across 180 degrees of longitude",
			       e->m.separation_m);
		return TQ_EINVALID;
	}
	return rc;
}

/* The key finding_fill would give the pair (c, o) of this kind. Owned. */
static char *pair_key(enum finding_kind kind, const char *a, const char *b)
{
	if (strcmp(a, b) > 0) {
		const char *t = a;
		a = b;
		b = t;
	}
	size_t size = strlen(finding_kind_name(kind)) + strlen(a) + strlen(b) + 3;
	char *key = malloc(size);
	if (key)
		snprintf(key, size, "%s|%s|%s", finding_kind_name(kind), a, b);
	return key;
}

int engine_check(struct engine *e, const struct subject *c, struct finding_list *out)
{
	return engine_check_some(e, c, NULL, out);
}

int engine_check_some(struct engine *e, const struct subject *c, const struct engine_overlaps *want,
		      struct finding_list *out)
{
	return engine_check_view(e, NULL, c, want, out);
}

int engine_check_view(struct engine *e0, const struct engine_view *v, const struct subject *c,
		      const struct engine_overlaps *want, struct finding_list *out)
{
	struct engine copy, *e = viewed(e0, v, &copy);
	struct check k = {.e = e, .c = c, .out = out, .want = want, .committed = v && v->committed};
	struct subject **cands = NULL;
	size_t ncand = 0;
	int rc = 0;

	finding_list_clear(out);
	if (!c || !c->footprint)
		return TQ_EINTERNAL;
	if (c->type == SUBJECT_ZONE && c->status != ZONE_IN_FORCE)
		return 0; /* a zone not in force applies no rule, and no rule applies to zones */
	if ((rc = check_query(e, c, k.cbb, &k.q)))
		return rc;
	struct subject **found;
	if ((rc = collect(&k, &k.q, &found, &ncand)))
		goto fail;
	if (ncand && !(cands = malloc(ncand * sizeof *cands))) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	if (ncand)
		memcpy(cands, found, ncand * sizeof *cands);

	for (size_t i = 0; i < ncand; i++) {
		const struct subject *o = cands[i];
		struct rule r;
		if (o == c || !strcmp(o->id, c->id) || !pair_rule(c, o, &r))
			continue;
		GEOSGeometry *ov = NULL;
		k.disjoint = 0;
		k.geom = 1;
		if (want) {
			char *key = pair_key(r.kind, c->id, o->id);
			if (!key) {
				rc = TQ_ENOMEM;
				goto fail;
			}
			k.geom = want->want(want->ud, key) != 0;
			free(key);
		}
		if ((rc = pair_holds(&k, o, &r, &ov)) <= 0) {
			geo_free(e->geo, ov);
			if (rc < 0)
				goto fail;
			continue;
		}
		if ((rc = add_pair(&k, o, &r, ov)))
			goto fail;
	}
	/* limitation_exceeded, an aggregate over all deployments in a zone */
	if (c->type == SUBJECT_ZONE && c->kind == ZONE_LIMITATION) {
		if ((rc = limitation_sweep(&k, c, NULL)))
			goto fail;
	} else if (c->type == SUBJECT_DEPLOYMENT) {
		for (size_t i = 0; i < ncand; i++) {
			const struct subject *z = cands[i];
			if (z->type != SUBJECT_ZONE || z->kind != ZONE_LIMITATION || z->status != ZONE_IN_FORCE ||
			    !strcmp(z->id, c->id) || !time_meet(z, c, 0) || !volume_bbox_meet(z->bbox, k.cbb))
				continue;
			if ((rc = interiors_meet(e->h, prep_of(&k, z), c->footprint)) < 0)
				goto fail;
			if (rc && (rc = limitation_sweep(&k, z, c)))
				goto fail;
		}
	}
	if (out->n)
		qsort(out->items, out->n, sizeof *out->items, cmp_finding);
	rc = 0;
fail:
	if (rc)
		finding_list_clear(out);
	free(cands);
	if (k.cprep)
		GEOSPreparedGeom_destroy_r(e->h, k.cprep);
	if (k.cbufprep)
		GEOSPreparedGeom_destroy_r(e->h, k.cbufprep);
	for (size_t i = 0; i < k.npreps; i++)
		GEOSPreparedGeom_destroy_r(e->h, k.preps[i].p);
	free(k.preps);
	free(k.hits.v);
	geo_local_free(e->geo, k.cloc);
	geo_free(e->geo, k.cbuf);
	return rc;
}
