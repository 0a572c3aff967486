#include "core/geo.h"

#include <math.h>
#include <proj.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"

/* Local projections are centred on the geometry's centre rounded to 0.1
 * degree: a centre up to ~5 km off changes distances by far less than a
 * millimetre, and creating a PJ costs 30-100 us. The rounding, not the cache
 * state, decides the centre, so results do not depend on what was cached.
 * An aeqd projection depends on longitude only through lon - lon_0, and PROJ
 * applies lon_0 by plain subtraction (and adds it back on the inverse), so
 * the cache holds one PJ per latitude row with lon_0 = 0 and proj_xf_cb does
 * that subtraction itself, with the same operations in the same order: the
 * same bits as a PJ per cell, with 50 rows instead of ~3,500 cells to cover
 * Syria. */
#define PJ_CACHE 64
#define PJ_GRID 10.0 /* cells per degree */

struct pj_slot {
	int32_t iy;
	PJ *pj;
};

struct geo_ctx {
	GEOSContextHandle_t geos;
	PJ_CONTEXT *proj;
	struct pj_slot pjs[PJ_CACHE];
	char last_error[256]; /* GEOS's last complaint, for debugging */
};

static void geos_message(const char *msg, void *userdata)
{
	struct geo_ctx *ctx = userdata;
	snprintf(ctx->last_error, sizeof ctx->last_error, "%s", msg);
}

static void geos_notice(const char *msg, void *userdata)
{
	(void)msg;
	(void)userdata;
}

struct geo_ctx *geo_ctx_new(void)
{
	struct geo_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return NULL;
	ctx->geos = GEOS_init_r();
	if (!ctx->geos)
		goto fail;
	GEOSContext_setErrorMessageHandler_r(ctx->geos, geos_message, ctx);
	GEOSContext_setNoticeMessageHandler_r(ctx->geos, geos_notice, ctx);
	ctx->proj = proj_context_create();
	if (!ctx->proj)
		goto fail;
	/* Core does no I/O: PROJ must not write to stderr. */
	proj_log_level(ctx->proj, PJ_LOG_NONE);
	return ctx;
fail:
	geo_ctx_free(ctx);
	return NULL;
}

void geo_ctx_free(struct geo_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < PJ_CACHE; i++)
		if (ctx->pjs[i].pj)
			proj_destroy(ctx->pjs[i].pj);
	if (ctx->proj)
		proj_context_destroy(ctx->proj);
	if (ctx->geos)
		GEOS_finish_r(ctx->geos);
	free(ctx);
}

GEOSContextHandle_t geo_ctx_geos(struct geo_ctx *ctx)
{
	return ctx->geos;
}

void geo_free(struct geo_ctx *ctx, GEOSGeometry *g)
{
	if (g)
		GEOSGeom_destroy_r(ctx->geos, g);
}

/* ---- validation ------------------------------------------------------- */

struct walk {
	struct tq_field_error *err;
	char path[128];
	size_t vertices;
	double lon_min, lon_max, lat_min, lat_max;
};

/* Appends "[i]" to the path; returns the old length to restore. */
static size_t path_push(struct walk *w, size_t i)
{
	size_t len = strlen(w->path);
	snprintf(w->path + len, sizeof w->path - len, "[%zu]", i);
	return len;
}

static void path_pop(struct walk *w, size_t len)
{
	w->path[len] = '\0';
}

/* Pass 1: nesting and JSON types only, and the vertex cap, so that nothing
 * larger than TQ_MAX_VERTICES is ever looked at twice or built. depth is the
 * number of array levels above a position. */
static int walk_shape(struct walk *w, const json_t *v, int depth)
{
	if (!json_is_array(v)) {
		TQ_FIELD_ERROR(w->err, w->path, depth == 0 ? "must be a position: an array of 2 or 3 numbers"
							   : "must be an array");
		return TQ_EMALFORMED;
	}
	size_t n = json_array_size(v);
	if (depth == 0) {
		if (n < 2 || n > 3) {
			TQ_FIELD_ERROR(w->err, w->path, "must be a position: an array of 2 or 3 numbers");
			return TQ_EMALFORMED;
		}
		for (size_t i = 0; i < n; i++) {
			if (!json_is_number(json_array_get(v, i))) {
				TQ_FIELD_ERROR(w->err, w->path, "must be a position: an array of 2 or 3 numbers");
				return TQ_EMALFORMED;
			}
		}
		if (++w->vertices > TQ_MAX_VERTICES)
			return TQ_ETOOBIG; /* reported by the caller at the geometry level */
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = path_push(w, i);
		int rc = walk_shape(w, json_array_get(v, i), depth - 1);
		path_pop(w, len);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_position(struct walk *w, const json_t *pos)
{
	double lon = json_number_value(json_array_get(pos, 0));
	double lat = json_number_value(json_array_get(pos, 1));
	if (!isfinite(lon) || !isfinite(lat)) {
		TQ_FIELD_ERROR(w->err, w->path, "coordinates must be finite numbers");
		return TQ_EINVALID;
	}
	if (lon < -180.0 || lon > 180.0) {
		TQ_FIELD_ERROR(w->err, w->path, "longitude %.10g outside [-180, 180]", lon);
		return TQ_EINVALID;
	}
	if (lat < -90.0 || lat > 90.0) {
		TQ_FIELD_ERROR(w->err, w->path, "latitude %.10g outside [-90, 90]", lat);
		return TQ_EINVALID;
	}
	/* Near a pole a metre buffer spans every longitude, and densifying it costs
	 * seconds per check (found by fuzzing): refused, like the antimeridian. */
	if (fabs(lat) > GEO_MAX_ABS_LAT) {
		TQ_FIELD_ERROR(w->err, w->path, "latitude %.10g: polar regions beyond %.0f degrees are not supported",
			       lat, GEO_MAX_ABS_LAT);
		return TQ_EINVALID;
	}
	if (lat < w->lat_min)
		w->lat_min = lat;
	if (lat > w->lat_max)
		w->lat_max = lat;
	if (lon < w->lon_min)
		w->lon_min = lon;
	if (lon > w->lon_max)
		w->lon_max = lon;
	return 0;
}

/* Pass 2 for one list of positions: a LineString (is_ring false) or a linear
 * ring (closed, at least 4 positions; RFC 7946 §3.1.6). */
static int check_line(struct walk *w, const json_t *line, int is_ring)
{
	size_t n = json_array_size(line);
	if (is_ring && n < 4) {
		TQ_FIELD_ERROR(w->err, w->path, "a linear ring needs at least 4 positions, has %zu", n);
		return TQ_EINVALID;
	}
	if (!is_ring && n < 2) {
		TQ_FIELD_ERROR(w->err, w->path, "a LineString needs at least 2 positions, has %zu", n);
		return TQ_EINVALID;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = path_push(w, i);
		int rc = check_position(w, json_array_get(line, i));
		path_pop(w, len);
		if (rc)
			return rc;
	}
	if (is_ring) {
		const json_t *a = json_array_get(line, 0), *b = json_array_get(line, n - 1);
		if (json_number_value(json_array_get(a, 0)) != json_number_value(json_array_get(b, 0)) ||
		    json_number_value(json_array_get(a, 1)) != json_number_value(json_array_get(b, 1))) {
			TQ_FIELD_ERROR(w->err, w->path, "ring is not closed: the first and last positions must be equal");
			return TQ_EINVALID;
		}
	}
	return 0;
}

static int check_polygon(struct walk *w, const json_t *rings)
{
	size_t n = json_array_size(rings);
	if (n == 0) {
		TQ_FIELD_ERROR(w->err, w->path, "a Polygon needs at least one ring");
		return TQ_EINVALID;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = path_push(w, i);
		int rc = check_line(w, json_array_get(rings, i), 1);
		path_pop(w, len);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- building ---------------------------------------------------------- */

static GEOSCoordSequence *build_seq(struct geo_ctx *ctx, const json_t *line)
{
	size_t n = json_array_size(line);
	GEOSCoordSequence *seq = GEOSCoordSeq_create_r(ctx->geos, (unsigned)n, 2);
	if (!seq)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_array_get(line, i);
		if (!GEOSCoordSeq_setXY_r(ctx->geos, seq, (unsigned)i, json_number_value(json_array_get(p, 0)),
					  json_number_value(json_array_get(p, 1)))) {
			GEOSCoordSeq_destroy_r(ctx->geos, seq);
			return NULL;
		}
	}
	return seq;
}

static GEOSGeometry *build_ring(struct geo_ctx *ctx, const json_t *line)
{
	GEOSCoordSequence *seq = build_seq(ctx, line);
	if (!seq)
		return NULL;
	GEOSGeometry *ring = GEOSGeom_createLinearRing_r(ctx->geos, seq); /* takes seq */
	return ring;
}

static GEOSGeometry *build_polygon(struct geo_ctx *ctx, const json_t *rings)
{
	size_t n = json_array_size(rings);
	GEOSGeometry *shell = NULL, **holes = NULL, *poly = NULL;
	size_t built = 0;
	if (n > 1 && !(holes = calloc(n - 1, sizeof *holes)))
		goto fail;
	if (!(shell = build_ring(ctx, json_array_get(rings, 0))))
		goto fail;
	for (built = 0; built < n - 1; built++)
		if (!(holes[built] = build_ring(ctx, json_array_get(rings, built + 1))))
			goto fail;
	poly = GEOSGeom_createPolygon_r(ctx->geos, shell, holes, (unsigned)(n - 1)); /* takes rings */
	shell = NULL;
	built = 0;
fail:
	for (size_t i = 0; i < built; i++)
		GEOSGeom_destroy_r(ctx->geos, holes[i]);
	geo_free(ctx, shell);
	free(holes);
	return poly;
}

static GEOSGeometry *build(struct geo_ctx *ctx, enum geo_type type, const json_t *coords)
{
	switch (type) {
	case GEO_POINT:
		return GEOSGeom_createPointFromXY_r(ctx->geos, json_number_value(json_array_get(coords, 0)),
						    json_number_value(json_array_get(coords, 1)));
	case GEO_LINESTRING: {
		GEOSCoordSequence *seq = build_seq(ctx, coords);
		return seq ? GEOSGeom_createLineString_r(ctx->geos, seq) : NULL;
	}
	case GEO_POLYGON:
		return build_polygon(ctx, coords);
	case GEO_MULTIPOLYGON: {
		size_t n = json_array_size(coords), built = 0;
		GEOSGeometry **polys = calloc(n, sizeof *polys), *multi = NULL;
		if (!polys)
			return NULL;
		for (built = 0; built < n; built++)
			if (!(polys[built] = build_polygon(ctx, json_array_get(coords, built))))
				break;
		if (built == n) {
			multi = GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, polys, (unsigned)n);
			if (multi)
				built = 0; /* taken */
		}
		for (size_t i = 0; i < built; i++)
			GEOSGeom_destroy_r(ctx->geos, polys[i]);
		free(polys);
		return multi;
	}
	}
	return NULL;
}

static const struct {
	const char *name;
	enum geo_type type;
	int depth;
} geo_types[] = {
	{"Point", GEO_POINT, 0},
	{"LineString", GEO_LINESTRING, 1},
	{"Polygon", GEO_POLYGON, 2},
	{"MultiPolygon", GEO_MULTIPOLYGON, 3},
};

static void allowed_list(unsigned allowed, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof geo_types / sizeof geo_types[0]; i++) {
		if (!(allowed & geo_types[i].type))
			continue;
		size_t len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", len ? ", " : "", geo_types[i].name);
	}
}

int geo_parse(struct geo_ctx *ctx, const json_t *geometry, unsigned allowed, const char *field, GEOSGeometry **out,
	      enum geo_type *type_out, struct tq_field_error *err)
{
	struct walk w = {.err = err, .lon_min = INFINITY, .lon_max = -INFINITY, .lat_min = INFINITY, .lat_max = -INFINITY};
	char fpath[128], list[64];
	GEOSGeometry *g = NULL;
	int rc;

	*out = NULL;
	if (!json_is_object(geometry)) {
		TQ_FIELD_ERROR(err, field, "must be a GeoJSON geometry object");
		return TQ_EMALFORMED;
	}
	const json_t *jtype = json_object_get(geometry, "type");
	snprintf(fpath, sizeof fpath, "%s.type", field);
	if (!json_is_string(jtype)) {
		TQ_FIELD_ERROR(err, fpath, "required string");
		return TQ_EMALFORMED;
	}
	size_t ti;
	for (ti = 0; ti < sizeof geo_types / sizeof geo_types[0]; ti++)
		if (!strcmp(json_string_value(jtype), geo_types[ti].name) && (allowed & geo_types[ti].type))
			break;
	if (ti == sizeof geo_types / sizeof geo_types[0]) {
		allowed_list(allowed, list, sizeof list);
		TQ_FIELD_ERROR(err, fpath, "geometry type must be one of: %s", list);
		return TQ_EINVALID;
	}
	enum geo_type type = geo_types[ti].type;
	const json_t *coords = json_object_get(geometry, "coordinates");
	snprintf(w.path, sizeof w.path, "%s.coordinates", field);
	if (!coords) {
		TQ_FIELD_ERROR(err, w.path, "required");
		return TQ_EMALFORMED;
	}

	rc = walk_shape(&w, coords, geo_types[ti].depth);
	if (rc == TQ_ETOOBIG) {
		snprintf(w.path, sizeof w.path, "%s.coordinates", field);
		TQ_FIELD_ERROR(err, w.path, "more than %d vertices", TQ_MAX_VERTICES);
		return TQ_EINVALID;
	}
	if (rc)
		return rc;

	switch (type) {
	case GEO_POINT:
		rc = check_position(&w, coords);
		break;
	case GEO_LINESTRING:
		rc = check_line(&w, coords, 0);
		break;
	case GEO_POLYGON:
		rc = check_polygon(&w, coords);
		break;
	case GEO_MULTIPOLYGON:
		if (json_array_size(coords) == 0) {
			TQ_FIELD_ERROR(err, w.path, "a MultiPolygon needs at least one polygon");
			return TQ_EINVALID;
		}
		for (size_t i = 0; i < json_array_size(coords) && !rc; i++) {
			size_t len = path_push(&w, i);
			rc = check_polygon(&w, json_array_get(coords, i));
			path_pop(&w, len);
		}
		break;
	}
	if (rc)
		return rc;
	/* A footprint spanning more than half the globe in longitude is almost
	 * always one that crosses ±180° drawn the long way round; the metric
	 * projections here assume one side. */
	if (w.lon_max - w.lon_min > 180.0) {
		TQ_FIELD_ERROR(err, w.path, "antimeridian not supported: longitudes span more than 180 degrees");
		return TQ_EINVALID;
	}
	/* Metre buffers and distances use one azimuthal-equidistant projection per
	 * footprint; across a continent its distortion breaks them (the fuzzer
	 * found a 163-degree corridor whose 1 km buffer missed the line). A
	 * declaration covers a theatre, not a hemisphere. */
	if (w.lon_max - w.lon_min > GEO_MAX_SPAN_DEG || w.lat_max - w.lat_min > GEO_MAX_SPAN_DEG) {
		TQ_FIELD_ERROR(err, w.path, "footprint too large: it spans more than %.0f degrees", GEO_MAX_SPAN_DEG);
		return TQ_EINVALID;
	}

	g = build(ctx, type, coords);
	if (!g)
		return TQ_ENOMEM;

	char *reason = NULL;
	GEOSGeometry *where = NULL;
	char valid = GEOSisValidDetail_r(ctx->geos, g, 0, &reason, &where);
	if (valid != 1) {
		double x = 0, y = 0;
		if (where) {
			GEOSGeomGetX_r(ctx->geos, where, &x);
			GEOSGeomGetY_r(ctx->geos, where, &y);
		}
		if (valid == 0 && where)
			TQ_FIELD_ERROR(err, field, "invalid geometry: %s at lon %.7g lat %.7g", reason ? reason : "?", x,
				       y);
		else
			TQ_FIELD_ERROR(err, field, "invalid geometry: %s", reason ? reason : "cannot be checked");
		if (reason)
			GEOSFree_r(ctx->geos, reason);
		geo_free(ctx, where);
		geo_free(ctx, g);
		return valid == 0 ? TQ_EINVALID : TQ_EINTERNAL;
	}
	if (reason)
		GEOSFree_r(ctx->geos, reason);
	geo_free(ctx, where);
	*out = g;
	if (type_out)
		*type_out = type;
	return 0;
}

/* ---- metric operations ---------------------------------------------- */

struct proj_xf {
	PJ *pj;     /* lon_0 = 0 */
	double lam0; /* the centre's longitude, radians */
	PJ_DIRECTION dir;
};

/* PROJ's adjlon: longitudes back into [-pi, pi], letting them overshoot a
 * little so that the sign does not flip at the antimeridian. */
static double adjlon(double lam)
{
	if (fabs(lam) < M_PI + 1e-12)
		return lam;
	lam += M_PI;
	lam -= 2 * M_PI * floor(lam / (2 * M_PI));
	return lam - M_PI;
}

static int proj_xf_cb(double *x, double *y, void *userdata)
{
	struct proj_xf *t = userdata;
	PJ_COORD c;
	/* lon_0 as PROJ applies it (see PJ_CACHE): subtracted after the input
	 * is wrapped, added before the output is wrapped. */
	if (t->dir == PJ_FWD)
		c = proj_coord(adjlon(proj_torad(*x)) - t->lam0, proj_torad(*y), 0, 0);
	else
		c = proj_coord(*x, *y, 0, 0);
	c = proj_trans(t->pj, t->dir, c);
	if (!isfinite(c.v[0]) || !isfinite(c.v[1]) || c.v[0] == HUGE_VAL)
		return 0;
	if (t->dir == PJ_FWD) {
		*x = c.xy.x;
		*y = c.xy.y;
	} else {
		*x = proj_todeg(adjlon(c.lp.lam + t->lam0));
		*y = proj_todeg(c.lp.phi);
	}
	return 1;
}

/* The local azimuthal-equidistant projection centred on g's bounding box
 * (rounded, see PJ_CACHE): xf->pj borrowed from the cache, xf->lam0 set. */
static int aeqd_for_box(struct geo_ctx *ctx, double x0, double y0, double x1, double y1, struct proj_xf *xf)
{
	int32_t ix = (int32_t)lround((x0 + x1) / 2 * PJ_GRID), iy = (int32_t)lround((y0 + y1) / 2 * PJ_GRID);
	/* what PROJ makes of "+lon_0=%.1f": the decimal parsed, times DEG_TO_RAD */
	xf->lam0 = proj_torad(ix / PJ_GRID);
	struct pj_slot *slot = &ctx->pjs[(uint32_t)iy % PJ_CACHE];
	if (!slot->pj || slot->iy != iy) {
		char def[160];
		snprintf(def, sizeof def, "+proj=aeqd +lat_0=%.1f +lon_0=0 +ellps=WGS84 +units=m", iy / PJ_GRID);
		PJ *pj = proj_create(ctx->proj, def);
		if (!pj)
			return TQ_EINTERNAL;
		if (slot->pj)
			proj_destroy(slot->pj);
		*slot = (struct pj_slot){iy, pj};
	}
	xf->pj = slot->pj;
	return 0;
}

static int aeqd_for(struct geo_ctx *ctx, const GEOSGeometry *g, struct proj_xf *xf)
{
	double x0, x1, y0, y1;
	if (!GEOSGeom_getXMin_r(ctx->geos, g, &x0) || !GEOSGeom_getXMax_r(ctx->geos, g, &x1) ||
	    !GEOSGeom_getYMin_r(ctx->geos, g, &y0) || !GEOSGeom_getYMax_r(ctx->geos, g, &y1))
		return TQ_EINTERNAL;
	return aeqd_for_box(ctx, x0, y0, x1, y1, xf);
}

/* ---- work bounds (limits.h, issue 17) ---------------------------------- */

/* Calls fn on every coordinate sequence of g (rings and lines; points too),
 * with `ring` telling whether it is closed. Stops at the first nonzero. */
static int each_seq(GEOSContextHandle_t h, const GEOSGeometry *g,
		    int (*fn)(GEOSContextHandle_t, const GEOSCoordSequence *, int, void *), void *ud)
{
	int rc;
	switch (GEOSGeomTypeId_r(h, g)) {
	case GEOS_POINT:
	case GEOS_LINESTRING:
	case GEOS_LINEARRING: {
		const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, g);
		if (!seq)
			return TQ_EINTERNAL;
		return fn(h, seq, GEOSGeomTypeId_r(h, g) == GEOS_LINEARRING, ud);
	}
	case GEOS_POLYGON: {
		if (GEOSisEmpty_r(h, g))
			return 0;
		if ((rc = each_seq(h, GEOSGetExteriorRing_r(h, g), fn, ud)))
			return rc;
		int n = GEOSGetNumInteriorRings_r(h, g);
		for (int i = 0; i < n; i++)
			if ((rc = each_seq(h, GEOSGetInteriorRingN_r(h, g, i), fn, ud)))
				return rc;
		return 0;
	}
	default: {
		int n = GEOSGetNumGeometries_r(h, g);
		for (int i = 0; i < n; i++)
			if ((rc = each_seq(h, GEOSGetGeometryN_r(h, g, i), fn, ud)))
				return rc;
		return 0;
	}
	}
}

/* What GEOSDensify_r(g, GEO_DENSIFY_DEG) would make: each segment cut into
 * ceil(length / GEO_DENSIFY_DEG) pieces. TQ_ETOOBIG past the limit. */
static int dense_seq(GEOSContextHandle_t h, const GEOSCoordSequence *seq, int ring, void *ud)
{
	size_t *count = ud;
	unsigned n = 0;
	double x0, y0, x1, y1;
	(void)ring;
	if (!GEOSCoordSeq_getSize_r(h, seq, &n))
		return TQ_EINTERNAL;
	if (n == 0)
		return 0;
	if (!GEOSCoordSeq_getXY_r(h, seq, 0, &x0, &y0))
		return TQ_EINTERNAL;
	*count += 1;
	for (unsigned i = 1; i < n; i++, x0 = x1, y0 = y1) {
		if (!GEOSCoordSeq_getXY_r(h, seq, i, &x1, &y1))
			return TQ_EINTERNAL;
		double pieces = ceil(hypot(x1 - x0, y1 - y0) / GEO_DENSIFY_DEG);
		if (!(pieces <= TQ_MAX_DENSE_VERTICES))
			return TQ_ETOOBIG;
		*count += pieces < 1 ? 1 : (size_t)pieces;
		if (*count > TQ_MAX_DENSE_VERTICES)
			return TQ_ETOOBIG;
	}
	return 0;
}

/* A monotone chain (consecutive segments in one quadrant, as GEOS's noder
 * indexes them) of a projected sequence: its envelope grown by the buffer
 * distance, and where it sits, to tell neighbours (which share a vertex). */
struct chain {
	double lo[2], hi[2];
	uint32_t seq, idx, last; /* last: the sequence's last chain index, for rings */
	int ring;
};

struct chains {
	struct chain *v;
	size_t n, cap;
	uint32_t nseq;
	double r;
	int axis; /* sort axis: the longer extent */
};

static int chain_push(struct chains *cs, const struct chain *c)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 64;
		struct chain *t = realloc(cs->v, cap * sizeof *t);
		if (!t)
			return TQ_ENOMEM;
		cs->v = t;
		cs->cap = cap;
	}
	cs->v[cs->n++] = *c;
	return 0;
}

static int chain_seq(GEOSContextHandle_t h, const GEOSCoordSequence *seq, int ring, void *ud)
{
	struct chains *cs = ud;
	unsigned n = 0;
	double x0, y0, x1, y1;
	int quad = -1, rc;
	size_t first = cs->n;
	struct chain c = {.seq = cs->nseq++, .ring = ring};
	if (!GEOSCoordSeq_getSize_r(h, seq, &n))
		return TQ_EINTERNAL;
	if (n < 2)
		return 0;
	if (!GEOSCoordSeq_getXY_r(h, seq, 0, &x0, &y0))
		return TQ_EINTERNAL;
	for (unsigned i = 1; i < n; i++, x0 = x1, y0 = y1) {
		if (!GEOSCoordSeq_getXY_r(h, seq, i, &x1, &y1))
			return TQ_EINTERNAL;
		if (x1 == x0 && y1 == y0)
			continue;
		int q = x1 >= x0 ? (y1 >= y0 ? 0 : 3) : (y1 >= y0 ? 1 : 2);
		if (q != quad) {
			if (quad >= 0 && (rc = chain_push(cs, &c)))
				return rc;
			quad = q;
			c.idx = (uint32_t)(cs->n - first);
			c.lo[0] = c.hi[0] = x0;
			c.lo[1] = c.hi[1] = y0;
		}
		c.lo[0] = fmin(c.lo[0], x1);
		c.hi[0] = fmax(c.hi[0], x1);
		c.lo[1] = fmin(c.lo[1], y1);
		c.hi[1] = fmax(c.hi[1], y1);
	}
	if (quad >= 0 && (rc = chain_push(cs, &c)))
		return rc;
	for (size_t i = first; i < cs->n; i++) {
		struct chain *e = &cs->v[i];
		e->last = (uint32_t)(cs->n - first - 1);
		e->lo[0] -= cs->r;
		e->lo[1] -= cs->r;
		e->hi[0] += cs->r;
		e->hi[1] += cs->r;
	}
	return 0;
}

static int cmp_chain_x(const void *pa, const void *pb)
{
	const struct chain *a = pa, *b = pb;
	return (a->lo[0] > b->lo[0]) - (a->lo[0] < b->lo[0]);
}

static int cmp_chain_y(const void *pa, const void *pb)
{
	const struct chain *a = pa, *b = pb;
	return (a->lo[1] > b->lo[1]) - (a->lo[1] < b->lo[1]);
}

static int chains_adjacent(const struct chain *a, const struct chain *b)
{
	if (a->seq != b->seq)
		return 0;
	uint32_t d = a->idx > b->idx ? a->idx - b->idx : b->idx - a->idx;
	return d <= 1 || (a->ring && d == a->last);
}

/* Pairs of non-adjacent chains of the projected `planar` whose envelopes,
 * grown by r, meet: where a buffer's offset curves can cross, which is what
 * makes GEOSBuffer slow (its noding). Sweep along the longer axis; counting
 * stops past the budget (and so does the sweep: at most 32 comparisons per
 * budgeted pair). *pairs is the count, or more than the budget. */
static int buffer_pairs(struct geo_ctx *ctx, const GEOSGeometry *planar, double r, size_t *pairs)
{
	struct chains cs = {.r = r};
	const size_t budget = TQ_MAX_BUFFER_CHAIN_PAIRS, max_cmp = 32 * (size_t)TQ_MAX_BUFFER_CHAIN_PAIRS;
	size_t np = 0, ncmp = 0;
	int rc = each_seq(ctx->geos, planar, chain_seq, &cs);
	if (rc)
		goto done;
	double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
	for (size_t i = 0; i < cs.n; i++)
		for (int a = 0; a < 2; a++) {
			lo[a] = fmin(lo[a], cs.v[i].lo[a]);
			hi[a] = fmax(hi[a], cs.v[i].hi[a]);
		}
	int ax = hi[1] - lo[1] > hi[0] - lo[0], oth = !ax;
	if (cs.n)
		qsort(cs.v, cs.n, sizeof *cs.v, ax ? cmp_chain_y : cmp_chain_x);
	for (size_t i = 0; i < cs.n && np <= budget && ncmp <= max_cmp; i++)
		for (size_t j = i + 1; j < cs.n && cs.v[j].lo[ax] <= cs.v[i].hi[ax]; j++) {
			if (++ncmp > max_cmp)
				break;
			if (cs.v[j].lo[oth] <= cs.v[i].hi[oth] && cs.v[i].lo[oth] <= cs.v[j].hi[oth] &&
			    !chains_adjacent(&cs.v[i], &cs.v[j]) && ++np > budget)
				break;
		}
	*pairs = ncmp > max_cmp ? budget + 1 : np;
done:
	free(cs.v);
	return rc;
}

/* g densified and projected forward. Returns owned or NULL; *rc says why
 * (TQ_ETOOBIG past TQ_MAX_DENSE_VERTICES). */
static GEOSGeometry *project_fwd(struct geo_ctx *ctx, const struct proj_xf *aeqd, const GEOSGeometry *g, int *rc)
{
	struct proj_xf xf = *aeqd;
	xf.dir = PJ_FWD;
	GEOSGeometry *dense = NULL, *res = NULL;
	size_t count = 0;
	*rc = TQ_EINTERNAL;
	if (GEOSGeomTypeId_r(ctx->geos, g) == GEOS_POINT || GEOSGeomTypeId_r(ctx->geos, g) == GEOS_MULTIPOINT)
		return GEOSGeom_transformXY_r(ctx->geos, g, proj_xf_cb, &xf);
	/* Counted first: GEOSDensify has no cap (a 9,999-vertex zig-zag across
	 * 20 degrees made 10^7 vertices, 22 s and 500 MB). */
	if ((*rc = each_seq(ctx->geos, g, dense_seq, &count)))
		return NULL;
	*rc = TQ_EINTERNAL;
	dense = GEOSDensify_r(ctx->geos, g, GEO_DENSIFY_DEG);
	if (!dense)
		return NULL;
	res = GEOSGeom_transformXY_r(ctx->geos, dense, proj_xf_cb, &xf);
	geo_free(ctx, dense);
	return res;
}

/* GEOS puts arc vertices on the circle, so chords cut inside it by
 * r(1 - cos(pi / (4 quadsegs))). Push the radius out so that the chords lie
 * on or outside the true circle. */
static double buffer_radius(double dist_m)
{
	return dist_m / cos(M_PI / (4.0 * GEO_QUADSEGS));
}

/* The checks of geo_buffer_m that need only g's bounding box bb: a
 * positive distance, and a buffer that stays out of the polar caps and does
 * not cross ±180° (found by fuzzing: a point at lon 180 whose buffer wrapped
 * round the globe and missed it). */
static int buffer_reach(const double *bb, double dist_m)
{
	if (!(dist_m > 0) || !isfinite(dist_m))
		return TQ_EINVALID;
	double miny = bb[1], maxy = bb[3];
	if (fmax(fabs(miny), fabs(maxy)) + dist_m / 110574.0 > GEO_MAX_BUFFERED_ABS_LAT)
		return TQ_EINVALID;
	double dlon = dist_m / (111320.0 * cos(fmax(fabs(miny), fabs(maxy)) * M_PI / 180.0)) * 1.02;
	if (bb[0] - dlon < -180.0 || bb[2] + dlon > 180.0)
		return TQ_EINVALID;
	return 0;
}

/* The checks of geo_buffer_m before any buffer is built; on success *planar
 * (owned) is g densified and projected by *xf. */
static int buffer_prepare(struct geo_ctx *ctx, const GEOSGeometry *g, double dist_m, struct proj_xf *xf,
			  GEOSGeometry **planar)
{
	int rc;
	double bb[4];
	*planar = NULL;
	if (!GEOSGeom_getXMin_r(ctx->geos, g, &bb[0]) || !GEOSGeom_getYMin_r(ctx->geos, g, &bb[1]) ||
	    !GEOSGeom_getXMax_r(ctx->geos, g, &bb[2]) || !GEOSGeom_getYMax_r(ctx->geos, g, &bb[3]))
		return TQ_EINTERNAL;
	if ((rc = buffer_reach(bb, dist_m)))
		return rc;
	if (aeqd_for(ctx, g, xf))
		return TQ_EINTERNAL;
	if (!(*planar = project_fwd(ctx, xf, g, &rc)))
		return rc;
	size_t pairs = 0;
	if ((rc = buffer_pairs(ctx, *planar, buffer_radius(dist_m), &pairs)))
		goto fail;
	if (pairs > TQ_MAX_BUFFER_CHAIN_PAIRS) {
		rc = TQ_ETOOBIG;
		goto fail;
	}
	return 0;
fail:
	geo_free(ctx, *planar);
	*planar = NULL;
	return rc;
}

int geo_buffer_admit(struct geo_ctx *ctx, const GEOSGeometry *g, double dist_m)
{
	struct proj_xf xf;
	GEOSGeometry *planar = NULL;
	int rc = buffer_prepare(ctx, g, dist_m, &xf, &planar);
	geo_free(ctx, planar);
	return rc;
}

int geo_buffer_m(struct geo_ctx *ctx, const GEOSGeometry *g, double dist_m, GEOSGeometry **out)
{
	GEOSGeometry *planar = NULL, *buf = NULL;
	struct proj_xf xf;
	int rc;

	*out = NULL;
	if ((rc = buffer_prepare(ctx, g, dist_m, &xf, &planar)))
		return rc;
	rc = TQ_EINTERNAL;
	if (!(buf = GEOSBuffer_r(ctx->geos, planar, buffer_radius(dist_m), GEO_QUADSEGS)))
		goto fail;
	/* A distance too small for doubles (1e-300 m) leaves nothing. */
	if (GEOSisEmpty_r(ctx->geos, buf)) {
		rc = TQ_EINVALID;
		goto fail;
	}
	xf.dir = PJ_INV;
	if (!(*out = GEOSGeom_transformXY_r(ctx->geos, buf, proj_xf_cb, &xf)))
		goto fail;
	rc = 0;
fail:
	geo_free(ctx, buf);
	geo_free(ctx, planar);
	return rc;
}

int geo_distance_m(struct geo_ctx *ctx, const GEOSGeometry *a, const GEOSGeometry *b, double *out)
{
	GEOSGeometry *pa = NULL, *pb = NULL;
	struct proj_xf xf;
	int rc = TQ_EINTERNAL;

	if (aeqd_for(ctx, a, &xf))
		goto fail;
	if (!(pa = project_fwd(ctx, &xf, a, &rc)) || !(pb = project_fwd(ctx, &xf, b, &rc)))
		goto fail;
	rc = TQ_EINTERNAL;
	if (!GEOSDistance_r(ctx->geos, pa, pb, out))
		goto fail;
	rc = 0;
fail:
	geo_free(ctx, pa);
	geo_free(ctx, pb);
	return rc;
}

struct geo_local {
	struct proj_xf xf; /* pj re-fetched through the cache: see geo_local_distance_m */
	double bb[4];      /* a's bounding box, for aeqd_for */
	GEOSGeometry *planar;
	const GEOSPreparedGeometry *prep;
	GEOSGeometry *buf; /* planar buffer by buf_dist (geo_local_buffer_part), or NULL */
	double buf_dist;
	double buf_maxseg; /* its longest edge, metres */
};

int geo_local_new(struct geo_ctx *ctx, const GEOSGeometry *a, struct geo_local **out)
{
	struct geo_local *l = calloc(1, sizeof *l);
	int rc = TQ_ENOMEM;
	*out = NULL;
	if (!l)
		return rc;
	if ((rc = aeqd_for(ctx, a, &l->xf)) || !(l->planar = project_fwd(ctx, &l->xf, a, &rc)))
		goto fail;
	rc = TQ_ENOMEM;
	if (!(l->prep = GEOSPrepare_r(ctx->geos, l->planar)))
		goto fail;
	if (!GEOSGeom_getXMin_r(ctx->geos, a, &l->bb[0]) || !GEOSGeom_getYMin_r(ctx->geos, a, &l->bb[1]) ||
	    !GEOSGeom_getXMax_r(ctx->geos, a, &l->bb[2]) || !GEOSGeom_getYMax_r(ctx->geos, a, &l->bb[3])) {
		rc = TQ_EINTERNAL;
		goto fail;
	}
	*out = l;
	return 0;
fail:
	geo_local_free(ctx, l);
	return rc;
}

void geo_local_free(struct geo_ctx *ctx, struct geo_local *l)
{
	if (!l)
		return;
	if (l->prep)
		GEOSPreparedGeom_destroy_r(ctx->geos, l->prep);
	geo_free(ctx, l->planar);
	geo_free(ctx, l->buf);
	free(l);
}

int geo_local_distance_m(struct geo_ctx *ctx, struct geo_local *l, const GEOSGeometry *b, double *out)
{
	GEOSGeometry *pb = NULL;
	struct proj_xf xf;
	/* The cache slot may have been reused since geo_local_new: look the
	 * projection up again from a's box (same centre, same PJ definition). */
	int rc = aeqd_for_box(ctx, l->bb[0], l->bb[1], l->bb[2], l->bb[3], &xf);
	if (rc)
		return rc;
	if (!(pb = project_fwd(ctx, &xf, b, &rc)))
		return rc;
	rc = GEOSPreparedDistance_r(ctx->geos, l->prep, pb, out) ? 0 : TQ_EINTERNAL;
	geo_free(ctx, pb);
	return rc;
}

/* [x, y] as json_pack("[f, f]") makes it, without parsing a format per
 * position (a finding's overlap has dozens of them). */
static json_t *position_json(double x, double y)
{
	json_t *p = json_array();
	if (p && !json_array_append_new(p, json_real(x)) && !json_array_append_new(p, json_real(y)))
		return p;
	json_decref(p);
	return NULL;
}

static json_t *seq_json(GEOSContextHandle_t h, const GEOSCoordSequence *seq)
{
	unsigned n = 0;
	json_t *arr = json_array();
	if (!arr || !GEOSCoordSeq_getSize_r(h, seq, &n))
		goto fail;
	for (unsigned i = 0; i < n; i++) {
		double x, y;
		if (!GEOSCoordSeq_getXY_r(h, seq, i, &x, &y) || json_array_append_new(arr, position_json(x, y)))
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* "coordinates" of a Point, LineString, LinearRing, Polygon or Multi*. */
static json_t *coords_json(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	int type = GEOSGeomTypeId_r(h, g);
	json_t *arr = NULL;
	switch (type) {
	case GEOS_POINT: {
		double x, y;
		if (GEOSisEmpty_r(h, g))
			return json_array();
		if (!GEOSGeomGetX_r(h, g, &x) || !GEOSGeomGetY_r(h, g, &y))
			return NULL;
		return position_json(x, y);
	}
	case GEOS_LINESTRING:
	case GEOS_LINEARRING: {
		const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, g);
		return seq ? seq_json(h, seq) : NULL;
	}
	case GEOS_POLYGON: {
		if (!(arr = json_array()))
			return NULL;
		if (GEOSisEmpty_r(h, g))
			return arr;
		int holes = GEOSGetNumInteriorRings_r(h, g);
		if (json_array_append_new(arr, coords_json(h, GEOSGetExteriorRing_r(h, g))))
			goto fail;
		for (int i = 0; i < holes; i++)
			if (json_array_append_new(arr, coords_json(h, GEOSGetInteriorRingN_r(h, g, i))))
				goto fail;
		return arr;
	}
	case GEOS_MULTIPOINT:
	case GEOS_MULTILINESTRING:
	case GEOS_MULTIPOLYGON: {
		int n = GEOSGetNumGeometries_r(h, g);
		if (!(arr = json_array()))
			return NULL;
		for (int i = 0; i < n; i++)
			if (json_array_append_new(arr, coords_json(h, GEOSGetGeometryN_r(h, g, i))))
				goto fail;
		return arr;
	}
	}
fail:
	json_decref(arr);
	return NULL;
}

static json_t *geom_json(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	static const struct {
		int id;
		const char *name;
	} names[] = {
		{GEOS_POINT, "Point"},           {GEOS_LINESTRING, "LineString"},
		{GEOS_LINEARRING, "LineString"}, {GEOS_POLYGON, "Polygon"},
		{GEOS_MULTIPOINT, "MultiPoint"}, {GEOS_MULTILINESTRING, "MultiLineString"},
		{GEOS_MULTIPOLYGON, "MultiPolygon"},
	};
	int type = GEOSGeomTypeId_r(h, g);
	if (type == GEOS_GEOMETRYCOLLECTION) {
		json_t *arr = json_array();
		int n = GEOSGetNumGeometries_r(h, g);
		for (int i = 0; arr && i < n; i++) {
			if (json_array_append_new(arr, geom_json(h, GEOSGetGeometryN_r(h, g, i)))) {
				json_decref(arr);
				return NULL;
			}
		}
		return arr ? json_pack("{s:s, s:o}", "type", "GeometryCollection", "geometries", arr) : NULL;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (names[i].id != type)
			continue;
		json_t *c = coords_json(h, g);
		return c ? json_pack("{s:s, s:o}", "type", names[i].name, "coordinates", c) : NULL;
	}
	return NULL;
}

int geo_to_geojson(struct geo_ctx *ctx, const GEOSGeometry *g, json_t **out)
{
	*out = geom_json(ctx->geos, g);
	return *out ? 0 : TQ_ENOMEM;
}

void geo_metres_to_degrees(double dist_m, double min_lat, double max_lat, double *dlon, double *dlat)
{
	/* A degree of latitude is at least 110 574 m (at the equator); a degree
	 * of longitude at latitude phi is at least 111 319 cos(phi) m (the
	 * ellipsoid only makes it longer). 1 % on top covers the circumscribed
	 * buffers' overshoot. */
	*dlat = dist_m / 110574.0 * 1.01;
	double phi = fmax(fabs(min_lat), fabs(max_lat)) + *dlat;
	if (phi >= 89.0)
		*dlon = 360.0;
	else
		*dlon = fmin(360.0, dist_m / (111319.0 * cos(phi * M_PI / 180.0)) * 1.01);
}

static int max_seg(GEOSContextHandle_t h, const GEOSCoordSequence *seq, int ring, void *ud)
{
	double *m = ud, x0, y0, x1, y1;
	unsigned n = 0;
	(void)ring;
	if (!GEOSCoordSeq_getSize_r(h, seq, &n) || (n && !GEOSCoordSeq_getXY_r(h, seq, 0, &x0, &y0)))
		return TQ_EINTERNAL;
	for (unsigned i = 1; i < n; i++, x0 = x1, y0 = y1) {
		if (!GEOSCoordSeq_getXY_r(h, seq, i, &x1, &y1))
			return TQ_EINTERNAL;
		*m = fmax(*m, hypot(x1 - x0, y1 - y0));
	}
	return 0;
}

/* geo_buffer_m's planar buffer of a (before its inverse projection), with
 * the same checks, built once per geo_local. */
static int local_buffer(struct geo_ctx *ctx, struct geo_local *l, double dist_m)
{
	int rc;
	size_t pairs = 0;
	if (l->buf && l->buf_dist == dist_m)
		return 0;
	geo_free(ctx, l->buf);
	l->buf = NULL;
	if ((rc = buffer_reach(l->bb, dist_m)))
		return rc;
	if ((rc = buffer_pairs(ctx, l->planar, buffer_radius(dist_m), &pairs)))
		return rc;
	if (pairs > TQ_MAX_BUFFER_CHAIN_PAIRS)
		return TQ_ETOOBIG;
	GEOSGeometry *b = GEOSBuffer_r(ctx->geos, l->planar, buffer_radius(dist_m), GEO_QUADSEGS);
	if (!b)
		return TQ_EINTERNAL;
	if (GEOSisEmpty_r(ctx->geos, b)) {
		geo_free(ctx, b);
		return TQ_EINVALID;
	}
	l->buf_maxseg = 0;
	if ((rc = each_seq(ctx->geos, b, max_seg, &l->buf_maxseg))) {
		geo_free(ctx, b);
		return rc;
	}
	l->buf = b;
	l->buf_dist = dist_m;
	return 0;
}

/* Footprints up to this extent get a clipped buffer (geo_local_buffer_part):
 * the image of their bounding box in the projection is then within
 * LOCAL_CLIP_PAD of the box of its corners and edge midpoints (a parallel's
 * sagitta over 1 degree is ~0.1 %), and so are the straight lon/lat lines
 * between the cuts' inverse projections from their planar ones. The buffer's
 * longest edge is added on top: an edge that reaches b's box is then kept
 * whole (a cut edge's lon/lat chord would move where it crosses b). */
#define LOCAL_CLIP_MAX_DEG 1.0
#define LOCAL_CLIP_PAD(size_m) (100.0 + 0.02 * (size_m))

int geo_local_buffer_part(struct geo_ctx *ctx, struct geo_local *l, double dist_m, const GEOSGeometry *b,
			  GEOSGeometry **out)
{
	GEOSContextHandle_t h = ctx->geos;
	GEOSGeometry *part = NULL, *ll = NULL;
	struct proj_xf xf;
	double bb[4];
	int rc;
	*out = NULL;
	if ((rc = local_buffer(ctx, l, dist_m)) || (rc = aeqd_for_box(ctx, l->bb[0], l->bb[1], l->bb[2], l->bb[3], &xf)))
		return rc;
	if (!GEOSGeom_getXMin_r(h, b, &bb[0]) || !GEOSGeom_getYMin_r(h, b, &bb[1]) || !GEOSGeom_getXMax_r(h, b, &bb[2]) ||
	    !GEOSGeom_getYMax_r(h, b, &bb[3]))
		return TQ_EINTERNAL;
	if (bb[2] - bb[0] <= LOCAL_CLIP_MAX_DEG && bb[3] - bb[1] <= LOCAL_CLIP_MAX_DEG) {
		/* Most of the buffer's vertices (arcs, densified edges) are far
		 * from b: cut the planar buffer to b's planar box first, so that
		 * only the rest goes back through PROJ (the inverse aeqd costs
		 * ~1 us a vertex) and into the overlay. Every edge that can meet
		 * b is kept whole, with the same bits as geo_buffer_m's, and the
		 * cuts stay away from b: the same set as geo_buffer_m's
		 * buffer ∩ b. */
		double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
		xf.dir = PJ_FWD;
		for (int i = 0; i < 9; i++) {
			double x = bb[0] + (bb[2] - bb[0]) * (i % 3) / 2.0, y = bb[1] + (bb[3] - bb[1]) * (i / 3) / 2.0;
			if (!proj_xf_cb(&x, &y, &xf))
				return TQ_EINTERNAL;
			lo[0] = fmin(lo[0], x), lo[1] = fmin(lo[1], y);
			hi[0] = fmax(hi[0], x), hi[1] = fmax(hi[1], y);
		}
		double pad = LOCAL_CLIP_PAD(fmax(hi[0] - lo[0], hi[1] - lo[1])) + l->buf_maxseg;
		part = GEOSClipByRect_r(h, l->buf, lo[0] - pad, lo[1] - pad, hi[0] + pad, hi[1] + pad);
	} else {
		part = GEOSGeom_clone_r(h, l->buf);
	}
	rc = TQ_EINTERNAL;
	if (!part)
		goto done;
	if (GEOSisEmpty_r(h, part)) {
		*out = GEOSGeom_createEmptyPolygon_r(h);
		rc = *out ? 0 : TQ_EINTERNAL;
		goto done;
	}
	xf.dir = PJ_INV;
	if (!(ll = GEOSGeom_transformXY_r(h, part, proj_xf_cb, &xf)) || !(*out = GEOSIntersection_r(h, ll, b)))
		goto done;
	rc = 0;
done:
	geo_free(ctx, part);
	geo_free(ctx, ll);
	return rc;
}
