/*
 * bench_engine — the conflict engine (src/core/engine.h) at scale, against
 * PostgreSQL + PostGIS on the same data and the same queries, in one run.
 *
 * Volumes are activities made by a seeded PRNG: star-shaped polygons of 6–32
 * vertices (or --vertices V), 0.5–20 km across (uniform), altitude bands of
 * 100–2000 m starting at 0–6000 m (10 m steps), windows of 10–240 min
 * starting anywhere in 30 days (whole minutes), one of 4 parties. Centres are
 * uniform over Syria's bounding box (35.5–42.5 E, 32.3–37.3 N, "spread") or
 * over a 0.4° x 0.3° box around Damascus ("busy": lessons.md, DSS).
 * Volume i depends only on (seed, stream, i), so it is regenerated, not
 * stored, for PostGIS; candidates are another stream, ids "q<i>".
 *
 * Measures:
 *   1. engine load: subject_from_json on the API body + engine_upsert, with
 *      the resident-memory delta (/proc/self/statm after malloc_trim) per
 *      volume;
 *   2. engine checks of Q candidates (not inserted), with the default margins
 *      (1000 m / 300 m / 10 min) and with zero margins: checks/s, p50/p99 of
 *      the wall clock, and of the thread's CPU clock (a loaded machine
 *      preempts; wall p99 then shows the scheduler, CPU p99 the engine);
 *   3. with --pg: COPY into a table (geometry(Polygon,4326), geography, an
 *      int8range window [start,end) in ms and a numrange altitude band (lo,hi)),
 *      one GiST index on (geom, win, alt) (or, with --index separate, one per
 *      column: measured 3-10x slower), VACUUM ANALYZE; then the same
 *      candidates (the first --pg-queries of them) as a prepared statement
 *      through libpq, with zero margins and with margins;
 *   4. the conflict sets (candidate -> sorted ids) of both at zero margins,
 *      written to --out (and --out.pg), and compared;
 *   5. the engine again with every overlap known (engine_check_some wanting
 *      no geometry: what a re-check of known conflicts costs, and what the
 *      ids-only PostGIS query returns), margins and zero margins.
 * --dump FILE writes every finding of steps 2 (finding_to_json, 17 digits)
 * for before/after comparisons of the engine's answers.
 *
 * Zero-margin semantics, as engine.h states them for activity_overlap: other
 * party, windows and bands overlap with positive measure, interiors meet
 * (ST_Intersects AND NOT ST_Touches, which is what the engine asks GEOS).
 * With margins PostGIS uses ST_DWithin on geography (geodesic, <=), the engine
 * a circumscribed buffer in an aeqd projection (< separation, overshoot below
 * 0.5 %): the sets may differ at the boundary, so that comparison is only
 * reported.
 *
 * Prints a human summary and one "ROW ..." line of key=value for run.sh.
 */
#include <inttypes.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/subject.h"
#include "core/tqtime.h"

/* ---- options ------------------------------------------------------------- */

struct opts {
	size_t n, q, pg_q;
	uint64_t seed;
	int busy;
	int vertices; /* 0: random 6..32 */
	const char *pg;   /* conninfo, NULL: engine only */
	const char *out;  /* conflict sets file, NULL: none */
	const char *index; /* "separate" or "composite" */
	FILE *dump;        /* --dump: every finding as JSON, NULL: none */
};

static void usage(void)
{
	fprintf(stderr, "usage: bench_engine [--n N] [--queries Q] [--pg-queries Q] [--seed S] [--area spread|busy]\n"
			"                    [--vertices V] [--pg CONNINFO] [--index separate|composite] [--out FILE]\n"
			"                    [--dump FILE]\n");
	exit(2);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU seconds (user + system) of process pid so far, from /proc (tick
 * resolution: only for totals). */
static double proc_cpu_s(long pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* comm may contain spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

struct lat {
	double p50_us, p99_us, max_us, per_s;
};

/* A check loop: wall latencies, and CPU time (per check for the engine, in
 * total for PostGIS), since a loaded machine preempts and wall p99 shows it. */
struct run {
	struct lat lat, cpu;
	double cpu_per_s; /* checks per CPU second */
	double findings_per_check;
};

/* Sorts t (seconds per check, n > 0). */
static struct lat latency(double *t, size_t n, double total_s)
{
	struct lat l = {0};
	if (!n)
		return l;
	qsort(t, n, sizeof *t, cmp_double);
	size_t i99 = (size_t)ceil(0.99 * (double)n);
	l.p50_us = t[(n - 1) / 2] * 1e6;
	l.p99_us = t[(i99 ? i99 : 1) - 1] * 1e6;
	l.max_us = t[n - 1] * 1e6;
	l.per_s = (double)n / total_s;
	return l;
}

static long rss_bytes(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * sysconf(_SC_PAGESIZE);
}

/* ---- volumes ------------------------------------------------------------- */

#define MAX_V 64
#define T0_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define N_PARTIES 4
static const char *const parties[N_PARTIES] = {"PA", "PB", "PC", "PD"};

struct vol {
	int nv; /* distinct vertices; the ring has nv + 1 */
	double x[MAX_V + 1], y[MAX_V + 1];
	double alt_min, alt_max;
	int64_t start, end; /* ms */
	int party, kind;
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double unif(uint64_t *s) /* [0, 1) */
{
	return (double)(splitmix(s) >> 11) * 0x1.0p-53;
}

static int64_t irange(uint64_t *s, int64_t lo, int64_t hi) /* [lo, hi] */
{
	return lo + (int64_t)(splitmix(s) % (uint64_t)(hi - lo + 1));
}

/* stream 0: the indexed volumes; stream 1: the candidates. */
static void gen(const struct opts *o, int stream, size_t i, struct vol *v)
{
	uint64_t s = o->seed * UINT64_C(0x100000001b3) ^ ((uint64_t)stream << 40) ^ (uint64_t)i;
	splitmix(&s);
	double lon0 = 35.5, lon1 = 42.5, lat0 = 32.3, lat1 = 37.3;
	if (o->busy) {
		lon0 = 36.1, lon1 = 36.5, lat0 = 33.35, lat1 = 33.65;
	}
	double cx = lon0 + (lon1 - lon0) * unif(&s), cy = lat0 + (lat1 - lat0) * unif(&s);
	double diam_km = 0.5 + 19.5 * unif(&s);
	v->nv = o->vertices ? o->vertices : (int)irange(&s, 6, 32);
	double kx = 1.0 / (111.32 * cos(cy * M_PI / 180)), ky = 1.0 / 110.57; /* degrees per km */
	/* Increasing angles around the centre, radii in [0.6, 1] x R: a simple
	 * (star-shaped) ring, counter-clockwise. */
	for (int k = 0; k < v->nv; k++) {
		double a = 2 * M_PI * ((double)k + 0.1 + 0.8 * unif(&s)) / v->nv;
		double r = diam_km / 2 * (0.6 + 0.4 * unif(&s));
		v->x[k] = cx + r * cos(a) * kx;
		v->y[k] = cy + r * sin(a) * ky;
	}
	v->x[v->nv] = v->x[0];
	v->y[v->nv] = v->y[0];
	v->alt_min = 10.0 * (double)irange(&s, 0, 600);
	v->alt_max = v->alt_min + 10.0 * (double)irange(&s, 10, 200);
	v->start = T0_MS + 60000 * irange(&s, 0, 30 * 24 * 60 - 1);
	v->end = v->start + 60000 * irange(&s, 10, 240);
	v->party = (int)irange(&s, 0, N_PARTIES - 1);
	v->kind = (int)irange(&s, 0, ACT_EXERCISE);
}

static json_t *vol_json(const struct vol *v)
{
	char ts[TQTIME_BUFSZ], te[TQTIME_BUFSZ];
	json_t *ring = json_array();
	for (int k = 0; k <= v->nv; k++)
		json_array_append_new(ring, json_pack("[f,f]", v->x[k], v->y[k]));
	tqtime_format(v->start, ts);
	tqtime_format(v->end, te);
	return json_pack("{s:s, s:{s:s, s:[o]}, s:{s:f, s:f}, s:{s:s, s:s}}", "kind",
			 activity_kind_name((enum activity_kind)v->kind), "geometry", "type", "Polygon", "coordinates",
			 ring, "altitude", "min_m", v->alt_min, "max_m", v->alt_max, "window", "start", ts, "end", te);
}

static struct subject *vol_subject(struct geo_ctx *geo, const struct vol *v, const char *id)
{
	struct subject *s = NULL;
	struct tq_field_error err = {0};
	json_t *body = vol_json(v);
	int rc = body ? subject_from_json(geo, SUBJECT_ACTIVITY, body, id, parties[v->party], T0_MS, &s, &err)
		      : TQ_ENOMEM;
	json_decref(body);
	if (rc) {
		fprintf(stderr, "bench_engine: volume %s: %s: %s (%d)\n", id, err.field, err.message, rc);
		exit(1);
	}
	return s;
}

/* Hex EWKB of the polygon with SRID 4326 (host byte order, flagged). */
static char *vol_ewkb_hex(const struct vol *v, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[1 + 4 + 4 + 4 + 4 + (MAX_V + 1) * 16];
	size_t n = 0;
	uint16_t one = 1;
	uint32_t type = 3u | 0x20000000u, srid = 4326, rings = 1, pts = (uint32_t)v->nv + 1;
	b[n++] = *(unsigned char *)&one; /* 1: little endian */
	memcpy(b + n, &type, 4), n += 4;
	memcpy(b + n, &srid, 4), n += 4;
	memcpy(b + n, &rings, 4), n += 4;
	memcpy(b + n, &pts, 4), n += 4;
	for (int k = 0; k <= v->nv; k++) {
		memcpy(b + n, &v->x[k], 8), n += 8;
		memcpy(b + n, &v->y[k], 8), n += 8;
	}
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = hex[b[i] >> 4];
		buf[2 * i + 1] = hex[b[i] & 15];
	}
	buf[2 * n] = '\0';
	return buf;
}

#define EWKB_HEX_BYTES (2 * (17 + (MAX_V + 1) * 16) + 1)

/* ---- conflict sets ------------------------------------------------------- */

struct idset {
	uint32_t *ids;
	size_t n;
};

static void idset_sort(struct idset *s)
{
	if (s->n > 1)
		qsort(s->ids, s->n, sizeof *s->ids, cmp_u32);
}

static void write_sets(const char *path, const struct idset *sets, size_t q)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	for (size_t i = 0; i < q; i++) {
		fprintf(f, "q%zu:", i);
		for (size_t j = 0; j < sets[i].n; j++)
			fprintf(f, " v%" PRIu32, sets[i].ids[j]);
		fputc('\n', f);
	}
	fclose(f);
}

/* Candidates whose sets differ; *pairs gets the symmetric difference size. */
static size_t compare_sets(const char *what, const struct idset *a, const struct idset *b, size_t q, size_t *pairs)
{
	size_t diff = 0, shown = 0;
	*pairs = 0;
	for (size_t i = 0; i < q; i++) {
		size_t x = 0, y = 0, d = 0;
		while (x < a[i].n || y < b[i].n) {
			if (y == b[i].n || (x < a[i].n && a[i].ids[x] < b[i].ids[y]))
				x++, d++;
			else if (x == a[i].n || b[i].ids[y] < a[i].ids[x])
				y++, d++;
			else
				x++, y++;
		}
		if (d) {
			diff++;
			*pairs += d;
			if (shown++ < 5)
				fprintf(stdout, "  %s q%zu: engine %zu ids, postgis %zu ids, %zu differ\n", what, i,
					a[i].n, b[i].n, d);
		}
	}
	return diff;
}

static void free_sets(struct idset *s, size_t q)
{
	for (size_t i = 0; s && i < q; i++)
		free(s[i].ids);
	free(s);
}

/* ---- engine -------------------------------------------------------------- */

#ifndef BENCH_NO_KNOWN
static int want_none(void *ud, const char *key)
{
	(void)ud;
	(void)key;
	return 0;
}
#endif

/* Checks candidates 0..q-1; fills sets (may be NULL). known: no overlap
 * geometry wanted (engine_check_some). dump_tag: write findings to o->dump. */
static struct run engine_run(const struct opts *o, struct geo_ctx *geo, struct engine *e, struct subject **cands,
			     size_t q, struct idset *sets, int known, const char *dump_tag)
{
	struct finding_list fl;
	double *t = malloc((q ? q : 1) * sizeof *t), *tc = malloc((q ? q : 1) * sizeof *tc), total = 0, total_cpu = 0;
	size_t findings = 0;
	(void)geo;
	(void)known;
	finding_list_init(&fl);
	for (size_t i = 0; i < q; i++) {
		double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), t0 = now_s();
#ifndef BENCH_NO_KNOWN
		const struct engine_overlaps none = {want_none, NULL};
		int rc = known ? engine_check_some(e, cands[i], &none, &fl) : engine_check(e, cands[i], &fl);
#else
		int rc = engine_check(e, cands[i], &fl);
#endif
		double dt = now_s() - t0, dc = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		for (size_t j = 0; o->dump && dump_tag && !rc && j < fl.n; j++) {
			json_t *fj = finding_to_json(&fl.items[j]);
			char *txt = fj ? json_dumps(fj, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
			fprintf(o->dump, "%s %s %s %s\n", dump_tag, cands[i]->id, fl.items[j].key, txt ? txt : "?");
			free(txt);
			json_decref(fj);
		}
		tc[i] = dc;
		total_cpu += dc;
		if (rc) {
			fprintf(stderr, "bench_engine: engine_check q%zu: %d\n", i, rc);
			exit(1);
		}
		t[i] = dt;
		total += dt;
		findings += fl.n;
		if (sets) {
			sets[i].ids = malloc((fl.n ? fl.n : 1) * sizeof *sets[i].ids);
			sets[i].n = 0;
			for (size_t j = 0; j < fl.n; j++) {
				const struct finding *f = &fl.items[j];
				if (f->kind != FINDING_ACTIVITY_OVERLAP || f->n_subjects != 2)
					continue;
				const char *other = strcmp(f->subjects[0].id, cands[i]->id) ? f->subjects[0].id
											: f->subjects[1].id;
				sets[i].ids[sets[i].n++] = (uint32_t)strtoul(other + 1, NULL, 10);
			}
			idset_sort(&sets[i]);
		}
	}
	/* Throughput: the same checks again with no clock per check. On this
	 * kind of VM CLOCK_THREAD_CPUTIME_ID is a system call of 1-5 us, as much
	 * as a whole spread check, and part of it lands inside each measured
	 * interval; PostGIS's figures are totals too (pg_run). */
	double w0 = now_s(), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (size_t i = 0; i < q; i++) {
#ifndef BENCH_NO_KNOWN
		const struct engine_overlaps none = {want_none, NULL};
		int rc = known ? engine_check_some(e, cands[i], &none, &fl) : engine_check(e, cands[i], &fl);
#else
		int rc = engine_check(e, cands[i], &fl);
#endif
		if (rc) {
			fprintf(stderr, "bench_engine: engine_check q%zu: %d\n", i, rc);
			exit(1);
		}
	}
	double tput_cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0, tput_wall = now_s() - w0;
	finding_list_clear(&fl);
	struct run r = {.lat = latency(t, q, total),
			.cpu = latency(tc, q, total_cpu),
			.cpu_per_s = tput_cpu > 0 ? (double)q / tput_cpu : 0,
			.findings_per_check = q ? (double)findings / (double)q : 0};
	if (tput_wall > 0)
		r.lat.per_s = (double)q / tput_wall;
	free(t);
	free(tc);
	return r;
}

/* ---- PostGIS ------------------------------------------------------------- */

static void pg_ok(PGconn *c, PGresult *r, const char *what)
{
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_COPY_IN) {
		fprintf(stderr, "bench_engine: postgres: %s: %s", what, PQerrorMessage(c));
		exit(1);
	}
}

static void pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	pg_ok(c, r, sql);
	PQclear(r);
}

static double pg_load(const struct opts *o, PGconn *c, double *index_s)
{
	char *hexbuf = malloc(EWKB_HEX_BYTES), *line = malloc(2 * EWKB_HEX_BYTES + 256);
	struct vol *v = malloc(sizeof *v);
	double t0 = now_s();
	pg_exec(c, "SET client_min_messages = warning");
	pg_exec(c, "CREATE EXTENSION IF NOT EXISTS postgis");
	pg_exec(c, "DROP TABLE IF EXISTS vol");
	pg_exec(c, "CREATE TABLE vol (id int4 PRIMARY KEY, party int2 NOT NULL, win int8range NOT NULL, "
		   "alt numrange NOT NULL, geom geometry(Polygon,4326) NOT NULL, geog geography(Polygon,4326) NOT NULL)");
	PGresult *r = PQexec(c, "COPY vol (id, party, win, alt, geom, geog) FROM STDIN");
	pg_ok(c, r, "COPY");
	PQclear(r);
	for (size_t i = 0; i < o->n; i++) {
		gen(o, 0, i, v);
		vol_ewkb_hex(v, hexbuf);
		int len = snprintf(line, 2 * EWKB_HEX_BYTES + 256, "%zu\t%d\t[%" PRId64 ",%" PRId64 ")\t(%.1f,%.1f)\t%s\t%s\n",
				   i, v->party, v->start, v->end, v->alt_min, v->alt_max, hexbuf, hexbuf);
		if (PQputCopyData(c, line, len) != 1) {
			fprintf(stderr, "bench_engine: COPY: %s", PQerrorMessage(c));
			exit(1);
		}
	}
	if (PQputCopyEnd(c, NULL) != 1) {
		fprintf(stderr, "bench_engine: COPY end: %s", PQerrorMessage(c));
		exit(1);
	}
	while ((r = PQgetResult(c))) {
		pg_ok(c, r, "COPY result");
		PQclear(r);
	}
	double t1 = now_s();
	if (!strcmp(o->index, "composite")) {
		pg_exec(c, "CREATE INDEX vol_gist ON vol USING gist (geom, win, alt)");
	} else {
		pg_exec(c, "CREATE INDEX vol_geom ON vol USING gist (geom)");
		pg_exec(c, "CREATE INDEX vol_win ON vol USING gist (win)");
		pg_exec(c, "CREATE INDEX vol_alt ON vol USING gist (alt)");
	}
	pg_exec(c, "VACUUM ANALYZE vol");
	*index_s = now_s() - t1;
	free(hexbuf);
	free(line);
	free(v);
	return t1 - t0;
}

/* Zero margins: the engine's activity_overlap with margin 0 (engine.h). */
static const char *const pg_zero_sql =
	"SELECT id FROM vol WHERE party <> $1 AND win && int8range($2, $3) AND alt && numrange($4, $5, '()') "
	"AND ST_Intersects(geom, $6::geometry) AND NOT ST_Touches(geom, $6::geometry)";
/* The same, also returning what the engine returns with each finding: the
 * overlap as GeoJSON (engine.h: overlap_geometry). Like for like. */
static const char *const pg_zero_geom_sql =
	"SELECT id, ST_AsGeoJSON(ST_Intersection(geom, $6::geometry)) FROM vol WHERE party <> $1 "
	"AND win && int8range($2, $3) AND alt && numrange($4, $5, '()') "
	"AND ST_Intersects(geom, $6::geometry) AND NOT ST_Touches(geom, $6::geometry)";
/* Margins: every dimension widened by its margin, distance on the spheroid.
 * The geometry && prefilter uses the candidate's box grown by $7/$8 degrees. */
static const char *const pg_margin_sql =
	"SELECT id FROM vol WHERE party <> $1 AND win && int8range($2, $3) AND alt && numrange($4, $5, '()') "
	"AND geom && ST_Expand($6::geometry, $7::float8, $8::float8) "
	"AND ST_DWithin(geog, $6::geography, $9::float8)";

static struct run pg_run(PGconn *c, const char *stmt, const struct opts *o, size_t q, const struct engine_margins *m,
			 struct idset *sets)
{
	double *t = malloc((q ? q : 1) * sizeof *t), total = 0;
	char *hexbuf = malloc((q ? q : 1) * (size_t)EWKB_HEX_BYTES);
	char(*pp)[9][48] = malloc((q ? q : 1) * sizeof *pp);
	struct vol *v = malloc(sizeof *v);
	size_t found = 0;
	/* The parameters first: the candidates' generation and hex encoding are
	 * not PostGIS's work (the engine's candidates are parsed before its
	 * clock starts too). */
	for (size_t i = 0; i < q; i++) {
		char(*p)[48] = pp[i];
		gen(o, 1, i, v);
		vol_ewkb_hex(v, hexbuf + i * (size_t)EWKB_HEX_BYTES);
		snprintf(p[0], sizeof p[0], "%d", v->party);
		snprintf(p[1], sizeof p[1], "%" PRId64, v->start - m->time_margin_ms);
		snprintf(p[2], sizeof p[2], "%" PRId64, v->end + m->time_margin_ms);
		snprintf(p[3], sizeof p[3], "%.1f", v->alt_min - m->vertical_separation_m);
		snprintf(p[4], sizeof p[4], "%.1f", v->alt_max + m->vertical_separation_m);
		double miny = 1e9, maxy = -1e9, dlon, dlat;
		for (int k = 0; k < v->nv; k++)
			miny = fmin(miny, v->y[k]), maxy = fmax(maxy, v->y[k]);
		geo_metres_to_degrees(m->separation_m, miny, maxy, &dlon, &dlat);
		snprintf(p[6], sizeof p[6], "%.17g", dlon);
		snprintf(p[7], sizeof p[7], "%.17g", dlat);
		snprintf(p[8], sizeof p[8], "%.17g", m->separation_m);
	}
	double cpu0 = proc_cpu_s(PQbackendPID(c)) + clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < q; i++) {
		const char *vals[9];
		for (int k = 0; k < 9; k++)
			vals[k] = pp[i][k];
		vals[5] = hexbuf + i * (size_t)EWKB_HEX_BYTES;
		int nparams = m->separation_m > 0 ? 9 : 6;
		double t0 = now_s();
		PGresult *r = PQexecPrepared(c, stmt, nparams, vals, NULL, NULL, 0);
		double dt = now_s() - t0;
		pg_ok(c, r, stmt);
		t[i] = dt;
		total += dt;
		size_t nr = (size_t)PQntuples(r);
		found += nr;
		if (sets) {
			sets[i].ids = malloc((nr ? nr : 1) * sizeof *sets[i].ids);
			sets[i].n = nr;
			for (size_t j = 0; j < nr; j++)
				sets[i].ids[j] = (uint32_t)strtoul(PQgetvalue(r, (int)j, 0), NULL, 10);
			idset_sort(&sets[i]);
		}
		PQclear(r);
	}
	double cpu = proc_cpu_s(PQbackendPID(c)) + clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	struct run rr = {.lat = latency(t, q, total),
			 .cpu_per_s = cpu > 0 ? (double)q / cpu : 0,
			 .findings_per_check = q ? (double)found / (double)q : 0};
	free(t);
	free(hexbuf);
	free(pp);
	free(v);
	return rr;
}

/* ---- main ---------------------------------------------------------------- */

static void print_run(const char *what, size_t q, const struct run *r, int per_check_cpu)
{
	printf("%-40s %zu checks: %.0f checks/s (%.0f per CPU s), p50 %.1f us, p99 %.1f us, max %.0f us", what, q,
	       r->lat.per_s, r->cpu_per_s, r->lat.p50_us, r->lat.p99_us, r->lat.max_us);
	if (per_check_cpu)
		printf(" (CPU p50 %.1f, p99 %.1f)", r->cpu.p50_us, r->cpu.p99_us);
	printf(", %.2f conflicts/check\n", r->findings_per_check);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct opts o = {.n = 100000, .q = 10000, .pg_q = (size_t)-1, .seed = 1, .index = "composite"};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--n"))
			o.n = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--queries"))
			o.q = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--pg-queries"))
			o.pg_q = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--seed"))
			o.seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--area") && (!strcmp(v, "spread") || !strcmp(v, "busy")))
			o.busy = !strcmp(v, "busy");
		else if (!strcmp(a, "--vertices") && atoi(v) >= 3 && atoi(v) <= MAX_V)
			o.vertices = atoi(v);
		else if (!strcmp(a, "--pg"))
			o.pg = v;
		else if (!strcmp(a, "--index") && (!strcmp(v, "separate") || !strcmp(v, "composite")))
			o.index = v;
		else if (!strcmp(a, "--out"))
			o.out = v;
		else if (!strcmp(a, "--dump")) {
			if (!(o.dump = fopen(v, "w")))
				usage();
		}
		else
			usage();
		i++;
	}
	if (o.pg_q > o.q)
		o.pg_q = o.q;
	const char *area = o.busy ? "busy" : "spread";

	struct geo_ctx *geo = geo_ctx_new();
	struct engine_margins def = {.separation_m = 1000, .vertical_separation_m = 300, .time_margin_ms = 600000};
	struct engine_margins zero = {0};
	struct engine *e = geo ? engine_new(geo, &def) : NULL;
	struct vol *v = malloc(sizeof *v);
	char id[32];
	if (!e || !v) {
		fprintf(stderr, "bench_engine: out of memory\n");
		return 1;
	}

	/* Candidates first, so that their memory is not counted per volume. */
	struct subject **cands = malloc((o.q ? o.q : 1) * sizeof *cands);
	for (size_t i = 0; i < o.q; i++) {
		gen(&o, 1, i, v);
		snprintf(id, sizeof id, "q%zu", i);
		cands[i] = vol_subject(geo, v, id);
	}

	/* 1. load */
	malloc_trim(0);
	long rss0 = rss_bytes();
	double vsum = 0, t0 = now_s(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (size_t i = 0; i < o.n; i++) {
		gen(&o, 0, i, v);
		vsum += v->nv;
		snprintf(id, sizeof id, "v%zu", i);
		if (engine_upsert(e, vol_subject(geo, v, id))) {
			fprintf(stderr, "bench_engine: engine_upsert v%zu failed\n", i);
			return 1;
		}
	}
	double load_s = now_s() - t0, load_cpu_s = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	malloc_trim(0);
	long rss1 = rss_bytes();
	double bpv = o.n ? (double)(rss1 - rss0) / (double)o.n : 0;
	printf("engine  N=%zu area=%s vertices=%s (mean %.1f): load %.2f s (CPU %.2f s, %.0f volumes/s), RSS +%.1f MiB = %.0f B/volume\n",
	       o.n, area, o.vertices ? "fixed" : "6-32", o.n ? vsum / (double)o.n : 0, load_s, load_cpu_s,
	       (double)o.n / load_s, (double)(rss1 - rss0) / 1048576.0, bpv);
	fflush(stdout);

	/* 2. engine checks: margins, then zero margins (recorded) */
	struct idset *emsets_all = calloc(o.q ? o.q : 1, sizeof *emsets_all);
	struct run em = engine_run(&o, geo, e, cands, o.q, emsets_all, 0, "M");
	print_run("engine  margins 1000m/300m/10min", o.q, &em, 1);
	engine_set_margins(e, &zero);
	struct idset *esets = calloc(o.q ? o.q : 1, sizeof *esets);
	struct run ez = engine_run(&o, geo, e, cands, o.q, esets, 0, "Z");
	print_run("engine  zero margins", o.q, &ez, 1);
	if (o.dump)
		fclose(o.dump);
	o.dump = NULL;
	/* 2b. the same with every overlap known: no geometry built */
	struct run kz = {0}, km = {0};
	int known_same = -1;
#ifndef BENCH_NO_KNOWN
	struct idset *kzsets = calloc(o.q ? o.q : 1, sizeof *kzsets), *kmsets = calloc(o.q ? o.q : 1, sizeof *kmsets);
	kz = engine_run(&o, geo, e, cands, o.q, kzsets, 1, NULL);
	print_run("engine  zero margins, overlaps known", o.q, &kz, 1);
	engine_set_margins(e, &def);
	km = engine_run(&o, geo, e, cands, o.q, kmsets, 1, NULL);
	print_run("engine  margins, overlaps known", o.q, &km, 1);
	engine_set_margins(e, &zero);
	/* the paths without the geometry must find the same conflicts */
	size_t kd_pairs, kd = compare_sets("known vs all, zero margins", kzsets, esets, o.q, &kd_pairs);
	size_t kmd_pairs, kmd = compare_sets("known vs all, margins", kmsets, emsets_all, o.q, &kmd_pairs);
	known_same = !kd && !kmd;
	printf("same conflict sets with overlaps known as with all (zero margins, margins): %s\n",
	       known_same ? "yes" : "no");
	free_sets(kzsets, o.q);
	free_sets(kmsets, o.q);
#endif
	free_sets(emsets_all, o.q);
	if (o.out)
		write_sets(o.out, esets, o.q);

	/* 3. PostGIS */
	struct run pz = {0}, pg = {0}, pm = {0};
	double pg_load_s = 0, pg_index_s = 0;
	size_t diff = 0, diff_pairs = 0, mdiff = 0, mdiff_pairs = 0;
	int have_pg = o.pg != NULL;
	if (have_pg) {
		PGconn *c = PQconnectdb(o.pg);
		if (PQstatus(c) != CONNECTION_OK) {
			fprintf(stderr, "bench_engine: connect: %s", PQerrorMessage(c));
			return 1;
		}
		pg_load_s = pg_load(&o, c, &pg_index_s);
		printf("postgis N=%zu: COPY %.2f s, indexes (%s) + VACUUM ANALYZE %.2f s\n", o.n, pg_load_s, o.index,
		       pg_index_s);
		fflush(stdout);
		PGresult *r = PQprepare(c, "zero", pg_zero_sql, 6, NULL);
		pg_ok(c, r, "prepare zero");
		PQclear(r);
		r = PQprepare(c, "zero_geom", pg_zero_geom_sql, 6, NULL);
		pg_ok(c, r, "prepare zero_geom");
		PQclear(r);
		r = PQprepare(c, "margin", pg_margin_sql, 9, NULL);
		pg_ok(c, r, "prepare margin");
		PQclear(r);

		struct idset *psets = calloc(o.pg_q ? o.pg_q : 1, sizeof *psets);
		pz = pg_run(c, "zero", &o, o.pg_q, &zero, psets);
		print_run("postgis zero margins", o.pg_q, &pz, 0);
		if (o.out) {
			char path[4096];
			snprintf(path, sizeof path, "%s.pg", o.out);
			write_sets(path, psets, o.pg_q);
		}
		diff = compare_sets("zero margins", esets, psets, o.pg_q, &diff_pairs);
		printf("same conflict sets (zero margins, %zu candidates): %s (%zu candidates differ, %zu ids)\n", o.pg_q,
		       diff ? "no" : "yes", diff, diff_pairs);
		free_sets(psets, o.pg_q);

		struct idset *gsets = calloc(o.pg_q ? o.pg_q : 1, sizeof *gsets);
		pg = pg_run(c, "zero_geom", &o, o.pg_q, &zero, gsets);
		print_run("postgis zero margins + overlap GeoJSON", o.pg_q, &pg, 0);
		size_t gdiff_pairs, gdiff = compare_sets("zero margins + geometry", esets, gsets, o.pg_q, &gdiff_pairs);
		diff = diff > gdiff ? diff : gdiff;
		diff_pairs = diff_pairs > gdiff_pairs ? diff_pairs : gdiff_pairs;
		free_sets(gsets, o.pg_q);

		/* margins: PostGIS vs the engine with margins, compared loosely */
		struct idset *msets = calloc(o.pg_q ? o.pg_q : 1, sizeof *msets);
		pm = pg_run(c, "margin", &o, o.pg_q, &def, msets);
		print_run("postgis margins (ST_DWithin geography)", o.pg_q, &pm, 0);
		engine_set_margins(e, &def);
		struct idset *emsets = calloc(o.pg_q ? o.pg_q : 1, sizeof *emsets);
		(void)engine_run(&o, geo, e, cands, o.pg_q, emsets, 0, NULL);
		mdiff = compare_sets("margins", emsets, msets, o.pg_q, &mdiff_pairs);
		printf("margin sets (informational: buffer vs geodesic at the boundary): %zu candidates differ, %zu ids\n",
		       mdiff, mdiff_pairs);
		free_sets(msets, o.pg_q);
		free_sets(emsets, o.pg_q);
		PQfinish(c);
	}

	printf("ROW n=%zu area=%s vertices=%.1f q=%zu pg_q=%zu load_s=%.2f load_cpu_s=%.2f bytes_per_volume=%.0f "
	       "eng_zero_cps=%.0f eng_zero_cpu_cps=%.0f eng_zero_p50=%.1f eng_zero_p99=%.1f eng_zero_cpu_p50=%.1f "
	       "eng_zero_cpu_p99=%.1f eng_zero_cpc=%.2f "
	       "eng_margin_cps=%.0f eng_margin_cpu_cps=%.0f eng_margin_p50=%.1f eng_margin_p99=%.1f "
	       "eng_margin_cpu_p50=%.1f eng_margin_cpu_p99=%.1f eng_margin_cpc=%.2f "
	       "pg=%d pg_load_s=%.2f pg_index_s=%.2f pg_zero_cps=%.1f pg_zero_cpu_cps=%.1f pg_zero_p50=%.1f "
	       "pg_zero_p99=%.1f pg_geom_cps=%.1f pg_geom_cpu_cps=%.1f pg_geom_p50=%.1f pg_geom_p99=%.1f pg_margin_cps=%.1f pg_margin_cpu_cps=%.1f pg_margin_p50=%.1f pg_margin_p99=%.1f "
	       "same=%s diff=%zu diff_ids=%zu margin_diff=%zu margin_diff_ids=%zu "
	       "eng_known_zero_cps=%.0f eng_known_zero_cpu_cps=%.0f eng_known_zero_cpu_p50=%.1f eng_known_zero_cpu_p99=%.1f "
	       "eng_known_margin_cpu_cps=%.0f eng_known_margin_cpu_p50=%.1f eng_known_margin_cpu_p99=%.1f "
	       "known_same=%s\n",
	       o.n, area, o.n ? vsum / (double)o.n : 0, o.q, have_pg ? o.pg_q : 0, load_s, load_cpu_s, bpv,
	       ez.lat.per_s, ez.cpu_per_s, ez.lat.p50_us, ez.lat.p99_us, ez.cpu.p50_us, ez.cpu.p99_us,
	       ez.findings_per_check, em.lat.per_s, em.cpu_per_s, em.lat.p50_us, em.lat.p99_us, em.cpu.p50_us,
	       em.cpu.p99_us, em.findings_per_check, have_pg, pg_load_s, pg_index_s, pz.lat.per_s, pz.cpu_per_s,
	       pz.lat.p50_us, pz.lat.p99_us, pg.lat.per_s, pg.cpu_per_s, pg.lat.p50_us, pg.lat.p99_us, pm.lat.per_s, pm.cpu_per_s, pm.lat.p50_us, pm.lat.p99_us,
	       have_pg ? (diff ? "no" : "yes") : "-", diff, diff_pairs, mdiff, mdiff_pairs, kz.lat.per_s,
	       kz.cpu_per_s, kz.cpu.p50_us, kz.cpu.p99_us, km.cpu_per_s, km.cpu.p50_us, km.cpu.p99_us,
	       known_same < 0 ? "-" : known_same ? "yes" : "no");

	free_sets(esets, o.q);
	for (size_t i = 0; i < o.q; i++)
		subject_free(geo, cands[i]);
	free(cands);
	free(v);
	engine_free(e);
	geo_ctx_free(geo);
	return 0;
}
