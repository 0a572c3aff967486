/*
 * engine vs brute force: ~3000 random volumes over 35.5–42.5 E, 32.3–37.3 N.
 * Every conflict the engine finds (candidate → other) must be found by a
 * check of every pair with plain GEOS and no index, and the other way round;
 * pairs whose true distance lies within the buffers' tolerance of the margin
 * are left out (the engine's buffer circumscribes the circle by < 0.5 %).
 * limitation_exceeded intervals are recomputed naively per zone. The same
 * seed gives the same findings in the same order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/subject.h"

#define N_VOLUMES 3000
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define MINUTE 60000LL
#define DAY (24 * 60 * MINUTE)

static const char *const parties[] = {"IL", "SY", "TR", "RU"};

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	/* xorshift64* (Vigna) */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

static double uni(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * (double)(next(r) >> 11) / 9007199254740992.0;
}

static int pick(struct rng *r, int n)
{
	return (int)(next(r) % (uint64_t)n);
}

/* ---- random bodies ---- */

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n + 64;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
}

/* A star-shaped (hence simple) ring around (x, y) of radius up to r deg. */
static void star(struct buf *b, struct rng *g, double x, double y, double r)
{
	int n = 4 + pick(g, 13);
	double lon0 = 0, lat0 = 0;
	put(b, "[[");
	for (int i = 0; i < n; i++) {
		double a = 2 * M_PI * (i + uni(g, 0.1, 0.9)) / n, rr = r * uni(g, 0.5, 1.0);
		double lon = x + rr * cos(a) / cos(y * M_PI / 180), lat = y + rr * sin(a);
		if (!i)
			lon0 = lon, lat0 = lat;
		put(b, "[%.7f,%.7f],", lon, lat);
	}
	put(b, "[%.7f,%.7f]]]", lon0, lat0);
}

static void iso(struct buf *b, const char *key, tq_time t)
{
	char s[TQTIME_BUFSZ];
	tqtime_format(t, s);
	put(b, "\"%s\":\"%s\"", key, s);
}

static void footprint(struct buf *b, struct rng *g, double x, double y, int allow_line, int radius_optional)
{
	int r = pick(g, 100);
	if (r < 65) {
		put(b, "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":");
		star(b, g, x, y, uni(g, 0.004, 0.05));
		put(b, "}");
	} else if (r < 82 || !allow_line) {
		put(b, "\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.7f,%.7f]}", x, y);
		if (!radius_optional || pick(g, 2))
			put(b, ",\"radius_m\":%d", 100 + pick(g, 3000));
	} else {
		int n = 2 + pick(g, 3);
		put(b, "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[");
		for (int i = 0; i < n; i++)
			put(b, "%s[%.7f,%.7f]", i ? "," : "", x + uni(g, -0.05, 0.05), y + uni(g, -0.05, 0.05));
		put(b, "]},\"width_m\":%d", 200 + pick(g, 3000));
	}
}

static void altitude(struct buf *b, struct rng *g)
{
	double lo = 100.0 * pick(g, 100), hi = pick(g, 20) ? lo + 100.0 * (1 + pick(g, 50)) : lo;
	put(b, "\"altitude\":{\"min_m\":%g,\"max_m\":%g}", lo, hi);
}

static struct subject *make(struct geo_ctx *geo, struct rng *g, int i)
{
	struct buf b = {0};
	char id[16];
	enum subject_type type;
	double x = uni(g, 35.5, 42.5), y = uni(g, 32.3, 37.3);
	int r = pick(g, 100);
	const char *party = parties[pick(g, 4)];
	snprintf(id, sizeof id, "v%05d", i);
	put(&b, "{");
	if (r < 55) {
		static const char *const kinds[] = {"air_sortie", "strike", "uav", "ground_movement", "naval", "exercise"};
		type = SUBJECT_ACTIVITY;
		tq_time start = T0 + MINUTE * pick(g, 30 * 24 * 60);
		put(&b, "\"kind\":\"%s\",", kinds[pick(g, 6)]);
		footprint(&b, g, x, y, 1, 0);
		put(&b, ",");
		altitude(&b, g);
		put(&b, ",\"window\":{");
		iso(&b, "start", start);
		put(&b, ",");
		iso(&b, "end", start + MINUTE * (10 + pick(g, 2 * 24 * 60)));
		put(&b, "}");
	} else if (r < 85) {
		type = SUBJECT_DEPLOYMENT;
		tq_time from = T0 + MINUTE * pick(g, 30 * 24 * 60);
		put(&b, "\"unit\":\"u\",");
		footprint(&b, g, x, y, 0, 1);
		put(&b, ",\"strength\":{\"troops\":%d,\"tanks\":%d,\"artillery\":%d,\"air_defense\":%d},\"valid\":{",
		    pick(g, 2000), pick(g, 60), pick(g, 30), pick(g, 5));
		iso(&b, "from", from);
		if (pick(g, 2)) {
			put(&b, ",");
			iso(&b, "until", from + DAY * (1 + pick(g, 20)));
		}
		put(&b, "}");
	} else {
		static const char *const kinds[] = {"demilitarized",  "limitation",    "influence",
						    "base",           "protected_site", "restricted_airspace"};
		type = SUBJECT_ZONE;
		int kind = pick(g, 6);
		double rad = uni(g, 0.02, 0.3);
		put(&b, "\"kind\":\"%s\",\"name\":\"z\",\"owner\":\"%s\",\"geometry\":", kinds[kind], parties[pick(g, 4)]);
		if (pick(g, 5)) {
			put(&b, "{\"type\":\"Polygon\",\"coordinates\":");
			star(&b, g, x, y, rad);
		} else {
			put(&b, "{\"type\":\"MultiPolygon\",\"coordinates\":[");
			star(&b, g, x, y, rad);
			put(&b, ",");
			star(&b, g, x + 3 * rad, y, rad);
			put(&b, "]");
		}
		put(&b, "}");
		if (pick(g, 2)) {
			put(&b, ",");
			altitude(&b, g);
		}
		if (pick(g, 2)) {
			tq_time from = T0 + MINUTE * pick(g, 30 * 24 * 60);
			put(&b, ",\"valid\":{");
			iso(&b, "from", from);
			put(&b, ",");
			iso(&b, "until", from + DAY * (1 + pick(g, 20)));
			put(&b, "}");
		}
		if (kind == 1)
			put(&b, ",\"caps\":{\"troops\":%d,\"tanks\":%d}", 1000 + pick(g, 3000), 40 + pick(g, 100));
	}
	put(&b, "}");

	json_error_t jerr;
	json_t *j = json_loads(b.s, 0, &jerr);
	if (!j)
		fail_msg("bad generated JSON: %s", jerr.text);
	struct subject *s = NULL;
	struct tq_field_error err;
	int rc = subject_from_json(geo, type, j, id, party, T0, &s, &err);
	if (rc)
		fail_msg("%s: %d %s %s\n%s", id, rc, err.field, err.message, b.s);
	json_decref(j);
	free(b.s);
	if (s->type == SUBJECT_ZONE && pick(g, 10))
		s->status = ZONE_IN_FORCE; /* as if accepted; 1 in 10 stays proposed */
	return s;
}

static struct subject **generate(struct geo_ctx *geo, uint64_t seed)
{
	struct rng g = {seed};
	struct subject **v = calloc(N_VOLUMES, sizeof *v);
	assert_non_null(v);
	for (int i = 0; i < N_VOLUMES; i++)
		v[i] = make(geo, &g, i);
	return v;
}

/* ---- brute force, written independently of the engine ---- */

static int strike(const struct subject *s)
{
	return s->type == SUBJECT_ACTIVITY && s->kind == ACT_STRIKE;
}

/* kind of the rule between a and b, -1 for none; *margin, *zone out. */
static int brute_rule(const struct subject *a, const struct subject *b, int *margin, const struct subject **zone)
{
	*margin = 0;
	*zone = NULL;
	if (a->type == SUBJECT_ACTIVITY && b->type == SUBJECT_ACTIVITY) {
		*margin = 1;
		return strcmp(a->party, b->party) ? FINDING_ACTIVITY_OVERLAP : -1;
	}
	if ((a->type == SUBJECT_DEPLOYMENT && strike(b)) || (b->type == SUBJECT_DEPLOYMENT && strike(a))) {
		*margin = 1;
		return strcmp(a->party, b->party) ? FINDING_DEPLOYMENT_RISK : -1;
	}
	if ((a->type == SUBJECT_ZONE) == (b->type == SUBJECT_ZONE))
		return -1;
	const struct subject *z = a->type == SUBJECT_ZONE ? a : b, *x = z == a ? b : a;
	*zone = z;
	if (z->status != ZONE_IN_FORCE)
		return -1;
	int act = x->type == SUBJECT_ACTIVITY, other = strcmp(x->party, z->owner) != 0;
	switch (z->kind) {
	case ZONE_DEMILITARIZED:
		return FINDING_DEMILITARIZED_BREACH;
	case ZONE_INFLUENCE:
		return act && other ? FINDING_INFLUENCE_ENTRY : -1;
	case ZONE_RESTRICTED_AIRSPACE:
		return act && other ? FINDING_RESTRICTED_AIRSPACE_ENTRY : -1;
	case ZONE_PROTECTED_SITE:
		*margin = 1;
		return strike(x) ? FINDING_PROTECTED_SITE_RISK : -1;
	case ZONE_BASE:
		*margin = 1;
		return strike(x) && other ? FINDING_DEPLOYMENT_RISK : -1;
	}
	return -1;
}

static int bands(double a0, double a1, double b0, double b1, double margin)
{
	double lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
	if (lo - hi < margin && (margin > 0 || lo < hi))
		return 1;
	return (a0 == a1 || b0 == b1) && lo <= hi;
}

static int windows(tq_time a0, tq_time a1, tq_time b0, tq_time b1, int64_t margin)
{
	tq_time lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
	if (lo < hi)
		return 1;
	/* both ends are finite here whenever lo >= hi */
	return margin > 0 && lo - hi < margin;
}

static void env(GEOSContextHandle_t h, const GEOSGeometry *g, double *bb)
{
	GEOSGeom_getXMin_r(h, g, &bb[0]);
	GEOSGeom_getYMin_r(h, g, &bb[1]);
	GEOSGeom_getXMax_r(h, g, &bb[2]);
	GEOSGeom_getYMax_r(h, g, &bb[3]);
}

static int interiors(GEOSContextHandle_t h, const GEOSGeometry *a, const GEOSGeometry *b)
{
	char r = GEOSRelatePattern_r(h, a, b, "T********");
	assert_true(r == 0 || r == 1);
	return r;
}

struct codes {
	uint64_t *v;
	size_t n, cap;
};

static void add(struct codes *c, uint64_t x)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->v = realloc(c->v, c->cap * sizeof *c->v);
		assert_non_null(c->v);
	}
	c->v[c->n++] = x;
}

static uint64_t code(int kind, int cand, int other)
{
	return ((uint64_t)kind << 40) | ((uint64_t)cand << 20) | (uint64_t)other;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void sort_codes(struct codes *c)
{
	if (c->n)
		qsort(c->v, c->n, sizeof *c->v, cmp_u64);
}

static int has(const struct codes *c, uint64_t x)
{
	return c->n && bsearch(&x, c->v, c->n, sizeof x, cmp_u64) != NULL;
}

struct keys {
	char **v;
	size_t n, cap;
};

static void add_key(struct keys *k, const char *s)
{
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 64;
		k->v = realloc(k->v, k->cap * sizeof *k->v);
		assert_non_null(k->v);
	}
	k->v[k->n++] = strdup(s);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void uniq_keys(struct keys *k)
{
	qsort(k->v, k->n, sizeof *k->v, cmp_strp);
	size_t u = 0;
	for (size_t i = 0; i < k->n; i++) {
		if (u && !strcmp(k->v[u - 1], k->v[i])) {
			free(k->v[i]);
			continue;
		}
		k->v[u++] = k->v[i];
	}
	k->n = u;
}

static void free_keys(struct keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
}

/* Naive limitation intervals of zone z over every deployment in v. */
static void brute_limitation(GEOSContextHandle_t h, struct subject **v, const struct subject *z, struct keys *out)
{
	int any = 0;
	for (int f = 0; f < STRENGTH_COUNT; f++)
		any |= z->strength[f] != SUBJECT_NO_CAP;
	if (z->type != SUBJECT_ZONE || z->kind != ZONE_LIMITATION || z->status != ZONE_IN_FORCE || !any)
		return;
	int in[N_VOLUMES], n = 0;
	tq_time s[N_VOLUMES], e[N_VOLUMES], t[2 * N_VOLUMES];
	for (int i = 0; i < N_VOLUMES; i++) {
		const struct subject *d = v[i];
		if (d->type != SUBJECT_DEPLOYMENT || !windows(d->start, d->end, z->start, z->end, 0) ||
		    !interiors(h, z->footprint, d->footprint))
			continue;
		in[n] = i;
		s[n] = d->start > z->start ? d->start : z->start;
		e[n] = d->end < z->end ? d->end : z->end;
		t[2 * n] = s[n];
		t[2 * n + 1] = e[n];
		n++;
	}
	if (!n)
		return;
	qsort(t, (size_t)(2 * n), sizeof *t, cmp_u64); /* instants here are positive or INT64_MAX */
	int run = 0;
	tq_time a = 0;
	for (int j = 0; j < 2 * n; j++) {
		int over = 0;
		for (int f = 0; f < STRENGTH_COUNT && j + 1 < 2 * n; f++) {
			int64_t sum = 0;
			for (int k = 0; k < n; k++)
				if (s[k] <= t[j] && e[k] > t[j])
					sum += v[in[k]]->strength[f];
			over |= z->strength[f] != SUBJECT_NO_CAP && sum > z->strength[f];
		}
		if (j + 1 < 2 * n && t[j + 1] == t[j])
			continue; /* empty segment: the next one decides */
		if (over && !run)
			run = 1, a = t[j];
		if (!over && run) {
			run = 0;
			char key[8192];
			size_t len = (size_t)snprintf(key, sizeof key, "limitation_exceeded");
			/* ids "v%05d" sort like their numbers; the zone's id among them */
			int zid = atoi(z->id + 1), zdone = 0;
			for (int k = 0; k < n; k++) {
				if (!(s[k] < t[j] && e[k] > a))
					continue;
				if (!zdone && zid < in[k])
					len += (size_t)snprintf(key + len, sizeof key - len, "|%s", z->id), zdone = 1;
				len += (size_t)snprintf(key + len, sizeof key - len, "|%s", v[in[k]]->id);
			}
			if (!zdone)
				len += (size_t)snprintf(key + len, sizeof key - len, "|%s", z->id);
			if (t[j] == TQ_TIME_MAX)
				snprintf(key + len, sizeof key - len, "|%lld|-", (long long)a);
			else
				snprintf(key + len, sizeof key - len, "|%lld|%lld", (long long)a, (long long)t[j]);
			add_key(out, key);
		}
	}
}

static int areal(GEOSContextHandle_t h, const GEOSGeometry *g)
{
	int t = GEOSGeomTypeId_r(h, g);
	return t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON;
}

/* When one areal footprint of the pair (c, o) lies properly inside the other,
 * f's overlap is the inner footprint as given (engine.c overlap_nested), and
 * the same point set as GEOS's overlay. 1 when the pair was nested. */
static int nested_overlap_is_overlay(struct geo_ctx *geo, const struct subject *c, const struct subject *o,
				     const struct finding *f)
{
	GEOSContextHandle_t h = geo_ctx_geos(geo);
	const GEOSGeometry *inner = NULL;
	if (!areal(h, c->footprint) || !areal(h, o->footprint))
		return 0;
	if (GEOSRelatePattern_r(h, c->footprint, o->footprint, "T**FF*FF*") == 1)
		inner = o->footprint; /* contains properly: o's boundary in c's interior */
	else if (GEOSRelatePattern_r(h, o->footprint, c->footprint, "T**FF*FF*") == 1)
		inner = c->footprint;
	if (!inner)
		return 0;
	json_t *want = NULL;
	GEOSGeometry *ov = GEOSIntersection_r(h, c->footprint, o->footprint);
	assert_non_null(ov);
	assert_int_equal(GEOSEquals_r(h, ov, inner), 1);
	assert_int_equal(geo_to_geojson(geo, inner, &want), 0);
	assert_non_null(f->overlap_geometry);
	assert_true(json_equal(want, f->overlap_geometry));
	json_decref(want);
	geo_free(geo, ov);
	return 1;
}

/* Runs the engine over v; fills pairs (candidate → other), limitation keys
 * and a hash of every key in check order. */
static uint64_t run_engine(struct geo_ctx *geo, struct subject **v, const struct engine_margins *m,
			   struct codes *pairs, struct keys *lim)
{
	struct engine *e = engine_new(geo, m);
	struct finding_list fl;
	uint64_t hash = 1469598103934665603ULL;
	size_t nested = 0;
	assert_non_null(e);
	finding_list_init(&fl);
	for (int i = 0; i < N_VOLUMES; i++) {
		/* the engine takes its subject: give it an equal copy */
		struct subject *c = calloc(1, sizeof *c);
		assert_non_null(c);
		*c = *v[i];
		c->id = strdup(v[i]->id);
		c->footprint = GEOSGeom_clone_r(geo_ctx_geos(geo), v[i]->footprint);
		c->prepared = NULL;
		c->level = -1;
		assert_int_equal(engine_upsert(e, c), 0);
	}
	for (int i = 0; i < N_VOLUMES; i++) {
		assert_int_equal(engine_check(e, v[i], &fl), 0);
		for (size_t k = 0; k < fl.n; k++) {
			const struct finding *f = &fl.items[k];
			for (const char *p = f->key; *p; p++)
				hash = (hash ^ (unsigned char)*p) * 1099511628211ULL;
			if (f->kind == FINDING_LIMITATION_EXCEEDED) {
				if (lim)
					add_key(lim, f->key);
				continue;
			}
			assert_int_equal(f->n_subjects, 2);
			int a = atoi(f->subjects[0].id + 1), b = atoi(f->subjects[1].id + 1);
			if (pairs)
				add(pairs, code(f->kind, i, a == i ? b : a));
			nested += nested_overlap_is_overlay(geo, v[i], v[a == i ? b : a], f);
		}
	}
	print_message("nested pairs whose overlap is the inner footprint: %zu\n", nested);
	assert_true(nested > 20); /* the data must nest */
	finding_list_clear(&fl);
	engine_free(e);
	return hash;
}

static void free_all(struct geo_ctx *geo, struct subject **v)
{
	for (int i = 0; i < N_VOLUMES; i++)
		subject_free(geo, v[i]);
	free(v);
}

static void diff_case(const struct engine_margins *m, uint64_t seed)
{
	struct geo_ctx *geo = geo_ctx_new();
	GEOSContextHandle_t h = geo_ctx_geos(geo);
	struct subject **v = generate(geo, seed);
	struct codes eng = {0}, brute = {0}, fuzzy = {0};
	struct keys elim = {0}, blim = {0};
	double (*bb)[4] = malloc(N_VOLUMES * sizeof *bb);
	assert_non_null(bb);

	run_engine(geo, v, m, &eng, &elim);

	for (int i = 0; i < N_VOLUMES; i++)
		env(h, v[i]->footprint, bb[i]);
	/* 0.05 deg is more than 1000 m of longitude anywhere below 60 N: a
	 * per-pair pre-filter, not an index. */
	const double slack = m->separation_m > 0 ? 0.05 : 0;
	size_t boundary = 0;
	for (int i = 0; i < N_VOLUMES; i++) {
		for (int j = i + 1; j < N_VOLUMES; j++) {
			const struct subject *a = v[i], *b = v[j], *z;
			int margin, kind = brute_rule(a, b, &margin, &z);
			if (kind < 0)
				continue;
			if (bb[i][0] > bb[j][2] + slack || bb[j][0] > bb[i][2] + slack || bb[i][1] > bb[j][3] + slack ||
			    bb[j][1] > bb[i][3] + slack)
				continue;
			int hit;
			if (!margin) {
				hit = windows(a->start, a->end, b->start, b->end, 0) &&
				      bands(a->alt_min, a->alt_max, b->alt_min, b->alt_max, 0) &&
				      interiors(h, z->footprint, z == a ? b->footprint : a->footprint);
			} else {
				hit = windows(a->start, a->end, b->start, b->end, m->time_margin_ms) &&
				      bands(a->alt_min, a->alt_max, b->alt_min, b->alt_max, m->vertical_separation_m);
				if (hit && m->separation_m > 0) {
					double d1, d2, sep = m->separation_m;
					assert_int_equal(geo_distance_m(geo, a->footprint, b->footprint, &d1), 0);
					assert_int_equal(geo_distance_m(geo, b->footprint, a->footprint, &d2), 0);
					double dmin = fmin(d1, d2), dmax = fmax(d1, d2);
					if (dmax < sep - 0.5) {
						hit = 1;
					} else if (dmin > sep * 1.006 + 0.5) {
						hit = 0;
					} else { /* within the buffers' tolerance: either answer is right */
						add(&fuzzy, code(kind, i, j));
						add(&fuzzy, code(kind, j, i));
						boundary++;
						continue;
					}
				} else if (hit) {
					hit = interiors(h, a->footprint, b->footprint);
				}
			}
			if (hit) {
				add(&brute, code(kind, i, j));
				add(&brute, code(kind, j, i));
			}
		}
	}
	for (int i = 0; i < N_VOLUMES; i++)
		brute_limitation(h, v, v[i], &blim);

	sort_codes(&fuzzy);
	struct codes e2 = {0};
	for (size_t k = 0; k < eng.n; k++)
		if (!has(&fuzzy, eng.v[k]))
			add(&e2, eng.v[k]);
	sort_codes(&e2);
	sort_codes(&brute);
	size_t shown = 0;
	for (size_t k = 0; k < e2.n; k++)
		if (!has(&brute, e2.v[k]) && shown++ < 10)
			print_error("engine only: kind %d v%05d -> v%05d\n", (int)(e2.v[k] >> 40),
				    (int)((e2.v[k] >> 20) & 0xfffff), (int)(e2.v[k] & 0xfffff));
	for (size_t k = 0; k < brute.n; k++)
		if (!has(&e2, brute.v[k]) && shown++ < 10)
			print_error("brute only: kind %d v%05d -> v%05d\n", (int)(brute.v[k] >> 40),
				    (int)((brute.v[k] >> 20) & 0xfffff), (int)(brute.v[k] & 0xfffff));
	print_message("pairs: engine %zu, brute %zu, boundary %zu; limitation intervals: engine %zu, brute %zu\n",
		      e2.n, brute.n, boundary, elim.n, blim.n);
	assert_int_equal(shown, 0);
	assert_true(brute.n > 200); /* the data must actually conflict */

	uniq_keys(&elim);
	uniq_keys(&blim);
	for (size_t k = 0; k < elim.n || k < blim.n; k++) {
		if (k >= elim.n || k >= blim.n || strcmp(elim.v[k], blim.v[k])) {
			print_error("limitation differs at %zu: engine %s, brute %s\n", k, k < elim.n ? elim.v[k] : "-",
				    k < blim.n ? blim.v[k] : "-");
			fail();
		}
	}
	assert_true(blim.n > 0);

	free(eng.v);
	free(e2.v);
	free(brute.v);
	free(fuzzy.v);
	free_keys(&elim);
	free_keys(&blim);
	free(bb);
	free_all(geo, v);
	geo_ctx_free(geo);
}

static void test_engine_equals_brute_force_with_default_margins(void **state)
{
	(void)state;
	const struct engine_margins m = {1000, 300, 10 * MINUTE};
	diff_case(&m, 0x7a6e5369712d3031ULL);
}

static void test_engine_equals_brute_force_with_zero_margins(void **state)
{
	(void)state;
	const struct engine_margins m = {0, 0, 0};
	diff_case(&m, 0x1234567890abcdefULL);
}

static void test_same_seed_gives_same_findings_in_same_order(void **state)
{
	(void)state;
	const struct engine_margins m = {1000, 300, 10 * MINUTE};
	struct geo_ctx *geo = geo_ctx_new();
	struct subject **v1 = generate(geo, 42), **v2 = generate(geo, 42), **v3 = generate(geo, 43);
	uint64_t h1 = run_engine(geo, v1, &m, NULL, NULL);
	uint64_t h2 = run_engine(geo, v2, &m, NULL, NULL);
	uint64_t h3 = run_engine(geo, v3, &m, NULL, NULL);
	assert_true(h1 == h2);
	assert_true(h1 != h3);
	free_all(geo, v1);
	free_all(geo, v2);
	free_all(geo, v3);
	geo_ctx_free(geo);
}

/* engine_check_some: the same findings as engine_check, in the same order,
 * with the overlap geometry exactly where it is wanted (and byte-identical
 * there), for a want that accepts about half the keys. With margins the
 * unwanted pairs are decided by the metric distance, the wanted ones by the
 * buffer (engine.c pair_holds): the two must agree. */
static int want_half(void *ud, const char *key)
{
	uint64_t h = 1469598103934665603ULL;
	(void)ud;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (int)(h >> 63);
}

static void some_case(const struct engine_margins *m, uint64_t seed)
{
	struct geo_ctx *geo = geo_ctx_new();
	struct subject **v = generate(geo, seed);
	struct engine *e = engine_new(geo, m);
	struct finding_list all, some;
	const struct engine_overlaps half = {want_half, NULL};
	size_t n = 0, with = 0;
	assert_non_null(e);
	finding_list_init(&all);
	finding_list_init(&some);
	for (int i = 0; i < N_VOLUMES; i++) {
		struct subject *c = calloc(1, sizeof *c);
		assert_non_null(c);
		*c = *v[i];
		c->id = strdup(v[i]->id);
		c->footprint = GEOSGeom_clone_r(geo_ctx_geos(geo), v[i]->footprint);
		c->prepared = NULL;
		c->level = -1;
		assert_int_equal(engine_upsert(e, c), 0);
	}
	for (int i = 0; i < N_VOLUMES; i++) {
		assert_int_equal(engine_check(e, v[i], &all), 0);
		assert_int_equal(engine_check_some(e, v[i], &half, &some), 0);
		assert_int_equal(all.n, some.n);
		for (size_t k = 0; k < all.n; k++) {
			struct finding *a = &all.items[k], *b = &some.items[k];
			int wanted = want_half(NULL, a->key);
			assert_string_equal(a->key, b->key);
			assert_non_null(a->overlap_geometry);
			if (!wanted) {
				assert_null(b->overlap_geometry);
				b->overlap_geometry = json_incref(a->overlap_geometry); /* compare the rest */
			}
			json_t *ja = finding_to_json(a), *jb = finding_to_json(b);
			char *ta = json_dumps(ja, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
			char *tb = json_dumps(jb, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
			assert_string_equal(ta, tb);
			free(ta);
			free(tb);
			json_decref(ja);
			json_decref(jb);
			n++;
			with += wanted;
		}
	}
	print_message("findings %zu, %zu with geometry wanted\n", n, with);
	assert_true(n > 200 && with > 50 && n - with > 50);
	finding_list_clear(&all);
	finding_list_clear(&some);
	engine_free(e);
	free_all(geo, v);
	geo_ctx_free(geo);
}

static void test_check_some_equals_check_but_for_unwanted_geometry_with_default_margins(void **state)
{
	(void)state;
	const struct engine_margins m = {1000, 300, 10 * MINUTE};
	some_case(&m, 0x7a6e5369712d3031ULL);
}

static void test_check_some_equals_check_but_for_unwanted_geometry_with_zero_margins(void **state)
{
	(void)state;
	const struct engine_margins m = {0, 0, 0};
	some_case(&m, 0x1234567890abcdefULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_equals_brute_force_with_default_margins),
		cmocka_unit_test(test_engine_equals_brute_force_with_zero_margins),
		cmocka_unit_test(test_same_seed_gives_same_findings_in_same_order),
		cmocka_unit_test(test_check_some_equals_check_but_for_unwanted_geometry_with_default_margins),
		cmocka_unit_test(test_check_some_equals_check_but_for_unwanted_geometry_with_zero_margins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
