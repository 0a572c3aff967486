/* engine + subject: the conflict rules of api.md on hand-computed volumes. */
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
#include "core/limits.h"
#include "core/subject.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HOUR 3600000LL
#define DAY (24 * HOUR)

struct fx {
	struct geo_ctx *geo;
	struct engine *e;
	struct finding_list fl;
};

static const struct engine_margins zero_margins = {0, 0, 0};
static const struct engine_margins default_margins = {1000, 300, 10 * 60 * 1000};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f || !(f->geo = geo_ctx_new()) || !(f->e = engine_new(f->geo, &zero_margins)))
		return -1;
	finding_list_init(&f->fl);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	finding_list_clear(&f->fl);
	engine_free(f->e);
	geo_ctx_free(f->geo);
	free(f);
	return 0;
}

/* Longitude span of `metres` along the parallel `lat` on WGS 84. */
static double dlon_for(double metres, double lat)
{
	const double a = 6378137.0, e2 = 0.00669437999014;
	double s = sin(lat * M_PI / 180);
	return metres / (a / sqrt(1 - e2 * s * s) * cos(lat * M_PI / 180)) * 180 / M_PI;
}

static const char *sq(char *buf, double lon0, double lat0, double size)
{
	snprintf(buf, 512,
		 "{\"type\":\"Polygon\",\"coordinates\":[[[%.12f,%.12f],[%.12f,%.12f],[%.12f,%.12f],[%.12f,%.12f],"
		 "[%.12f,%.12f]]]}",
		 lon0, lat0, lon0 + size, lat0, lon0 + size, lat0 + size, lon0, lat0 + size, lon0, lat0);
	return buf;
}

static const char *iso(char *buf, tq_time t)
{
	tqtime_format(t, buf);
	return buf;
}

static struct subject *parse_or_fail(struct fx *f, enum subject_type type, const char *id, const char *party,
				     const char *body)
{
	json_error_t jerr;
	json_t *j = json_loads(body, 0, &jerr);
	if (!j)
		fail_msg("bad test JSON: %s: %s", jerr.text, body);
	struct subject *s = NULL;
	struct tq_field_error err = {{0}, {0}};
	int rc = subject_from_json(f->geo, type, j, id, party, T0, &s, &err);
	json_decref(j);
	if (rc)
		fail_msg("subject_from_json %s: %d %s: %s", id, rc, err.field, err.message);
	return s;
}

/* An activity; `extra` is inserted verbatim (e.g. "\"radius_m\":100,"). */
static struct subject *act(struct fx *f, const char *id, const char *party, const char *kind, const char *geom,
			   const char *extra, double amin, double amax, tq_time start, tq_time end)
{
	char ts[32], te[32];
	size_t cap = strlen(geom) + (extra ? strlen(extra) : 0) + 1024;
	char *body = malloc(cap);
	assert_non_null(body);
	snprintf(body, cap,
		 "{\"kind\":\"%s\",\"geometry\":%s,%s\"altitude\":{\"min_m\":%g,\"max_m\":%g},"
		 "\"window\":{\"start\":\"%s\",\"end\":\"%s\"}}",
		 kind, geom, extra ? extra : "", amin, amax, iso(ts, start), iso(te, end));
	struct subject *s = parse_or_fail(f, SUBJECT_ACTIVITY, id, party, body);
	free(body);
	return s;
}

static struct subject *zone(struct fx *f, const char *id, const char *party, const char *kind, const char *geom,
			    const char *extra)
{
	char body[2048];
	snprintf(body, sizeof body, "{\"kind\":\"%s\",\"name\":\"z\",\"geometry\":%s%s}", kind, geom, extra ? extra : "");
	struct subject *s = parse_or_fail(f, SUBJECT_ZONE, id, party, body);
	s->status = ZONE_IN_FORCE;
	return s;
}

/* A deployment from `from` (open end when until == 0). */
static struct subject *dep(struct fx *f, const char *id, const char *party, const char *geom, const char *extra,
			   const char *strength, tq_time from, tq_time until)
{
	char body[2048], tf[32], tu[32], valid[128];
	if (until)
		snprintf(valid, sizeof valid, "{\"from\":\"%s\",\"until\":\"%s\"}", iso(tf, from), iso(tu, until));
	else
		snprintf(valid, sizeof valid, "{\"from\":\"%s\"}", iso(tf, from));
	snprintf(body, sizeof body, "{\"unit\":\"u\",\"geometry\":%s,%s\"strength\":%s,\"valid\":%s}", geom,
		 extra ? extra : "", strength, valid);
	return parse_or_fail(f, SUBJECT_DEPLOYMENT, id, party, body);
}

static void put(struct fx *f, struct subject *s)
{
	assert_int_equal(engine_upsert(f->e, s), 0);
}

/* Checks `c` and frees it; returns the number of findings in f->fl. */
static size_t check(struct fx *f, struct subject *c)
{
	assert_int_equal(engine_check(f->e, c, &f->fl), 0);
	subject_free(f->geo, c);
	return f->fl.n;
}

/* ---- activity_overlap and the three dimensions ---- */

static void test_overlapping_activities_of_two_parties_conflict(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, act(f, "a1", "IL", "air_sortie", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	assert_int_equal(check(f, act(f, "a2", "SY", "uav", sq(g, 36.05, 33.05, 0.1), NULL, 500, 1500, T0, T0 + HOUR)),
			 1);
	const struct finding *x = &f->fl.items[0];
	assert_int_equal(x->kind, FINDING_ACTIVITY_OVERLAP);
	assert_int_equal(x->severity, FINDING_WARNING);
	assert_string_equal(x->key, "activity_overlap|a1|a2");
	assert_int_equal(x->n_parties, 2);
	assert_string_equal(x->parties[0], "IL");
	assert_string_equal(x->parties[1], "SY");
	assert_true(x->alt_min == 500 && x->alt_max == 1000);
	assert_true(x->start == T0 && x->end == T0 + HOUR);
}

static void test_activities_of_the_same_party_do_not_conflict(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, act(f, "a1", "IL", "air_sortie", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	assert_int_equal(check(f, act(f, "a2", "IL", "uav", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR)), 0);
}

static void test_overlap_with_a_strike_is_critical(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, act(f, "a1", "IL", "strike", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	assert_int_equal(check(f, act(f, "a2", "SY", "uav", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR)), 1);
	assert_int_equal(f->fl.items[0].severity, FINDING_CRITICAL);
}

static void test_touching_squares_do_not_conflict_with_zero_margin(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, act(f, "a1", "IL", "air_sortie", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	/* shares the edge lon = 36.1 */
	assert_int_equal(check(f, act(f, "a2", "SY", "uav", sq(g, 36.1, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR)), 0);
	/* overlaps by 0.001 deg */
	assert_int_equal(check(f, act(f, "a3", "SY", "uav", sq(g, 36.099, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR)),
			 1);
}

static void test_touching_windows_and_bands_do_not_conflict_with_zero_margin(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, act(f, "a1", "IL", "air_sortie", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	/* [T0+1h, T0+2h) starts where a1 ends */
	assert_int_equal(
		check(f, act(f, "a2", "SY", "uav", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0 + HOUR, T0 + 2 * HOUR)), 0);
	/* band [1000, 2000] touches [0, 1000] */
	assert_int_equal(check(f, act(f, "a3", "SY", "uav", sq(g, 36.0, 33.0, 0.1), NULL, 1000, 2000, T0, T0 + HOUR)),
			 0);
}

static void test_same_footprint_apart_in_time_does_not_conflict(void **state)
{
	struct fx *f = *state;
	char g[512];
	engine_set_margins(f->e, &default_margins); /* time margin 10 min */
	put(f, act(f, "a1", "IL", "air_sortie", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	/* gap 15 min > 10 min */
	assert_int_equal(check(f, act(f, "a2", "SY", "uav", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000,
				      T0 + HOUR + 15 * 60000, T0 + 2 * HOUR)),
			 0);
	/* gap 5 min < 10 min */
	assert_int_equal(check(f, act(f, "a3", "SY", "uav", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000,
				      T0 + HOUR + 5 * 60000, T0 + 2 * HOUR)),
			 1);
	/* the reported window is the gap */
	assert_true(f->fl.items[0].start == T0 + HOUR && f->fl.items[0].end == T0 + HOUR + 5 * 60000);
}

static void test_same_footprint_apart_in_altitude_does_not_conflict(void **state)
{
	struct fx *f = *state;
	char g[512];
	engine_set_margins(f->e, &default_margins); /* vertical 300 m */
	put(f, act(f, "a1", "IL", "air_sortie", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	assert_int_equal(check(f, act(f, "a2", "SY", "uav", sq(g, 36.0, 33.0, 0.1), NULL, 1500, 2000, T0, T0 + HOUR)),
			 0);
	assert_int_equal(check(f, act(f, "a3", "SY", "uav", sq(g, 36.0, 33.0, 0.1), NULL, 1200, 2000, T0, T0 + HOUR)),
			 1);
}

/* Squares of 0.01 deg side below latitude `top`; the second starts `gap` m
 * east of the first along the parallel `top`, where they are closest. */
static void margin_case(struct fx *f, double top, double gap, size_t expect)
{
	char g1[512], g2[512];
	engine_set_margins(f->e, &default_margins); /* 1000 m */
	put(f, act(f, "a1", "IL", "air_sortie", sq(g1, 36.0, top - 0.01, 0.01), NULL, 0, 1000, T0, T0 + HOUR));
	assert_int_equal(check(f, act(f, "a2", "SY", "uav", sq(g2, 36.01 + dlon_for(gap, top), top - 0.01, 0.01), NULL,
				      0, 1000, T0, T0 + HOUR)),
			 expect);
	assert_int_equal(engine_remove(f->e, "a1"), 0);
}

static void test_900_m_apart_conflict_at_latitude_33(void **state)
{
	margin_case(*state, 33.0, 900, 1);
}

static void test_1100_m_apart_do_not_conflict_at_latitude_33(void **state)
{
	margin_case(*state, 33.0, 1100, 0);
}

static void test_900_m_apart_conflict_at_latitude_60(void **state)
{
	margin_case(*state, 60.0, 900, 1);
}

static void test_1100_m_apart_do_not_conflict_at_latitude_60(void **state)
{
	margin_case(*state, 60.0, 1100, 0);
}

static void test_margin_is_measured_north_south_too(void **state)
{
	struct fx *f = *state;
	char g1[512], g2[512];
	engine_set_margins(f->e, &default_margins);
	/* 1 deg of latitude near 60 N is about 111 412 m: 0.0081 deg ~ 902 m, 0.0099 deg ~ 1103 m */
	put(f, act(f, "a1", "IL", "air_sortie", sq(g1, 36.0, 59.99, 0.01), NULL, 0, 1000, T0, T0 + HOUR));
	assert_int_equal(
		check(f, act(f, "a2", "SY", "uav", sq(g2, 36.0, 60.0081, 0.01), NULL, 0, 1000, T0, T0 + HOUR)), 1);
	assert_int_equal(
		check(f, act(f, "a3", "SY", "uav", sq(g2, 36.0, 60.0099, 0.01), NULL, 0, 1000, T0, T0 + HOUR)), 0);
}

/* ---- footprints ---- */

static void test_corridor_is_buffered_by_half_its_width(void **state)
{
	struct fx *f = *state;
	char g[512];
	const char *line = "{\"type\":\"LineString\",\"coordinates\":[[36.0,33.0],[36.2,33.0]]}";
	/* width 2000 m: reaches 1000 m north of the line. A circle of radius
	 * 100 m centred 1050 m north (0.009474 deg ~ 1050.0 m at 33 N) overlaps
	 * it; centred 1150 m north (0.010377 deg) it stays 50 m away. */
	put(f, act(f, "c1", "IL", "ground_movement", line, "\"width_m\":2000,", 0, 100, T0, T0 + HOUR));
	snprintf(g, sizeof g, "{\"type\":\"Point\",\"coordinates\":[36.1,%.6f]}", 33.0 + 0.009474);
	assert_int_equal(check(f, act(f, "p1", "SY", "uav", g, "\"radius_m\":100,", 0, 100, T0, T0 + HOUR)), 1);
	snprintf(g, sizeof g, "{\"type\":\"Point\",\"coordinates\":[36.1,%.6f]}", 33.0 + 0.010377);
	assert_int_equal(check(f, act(f, "p2", "SY", "uav", g, "\"radius_m\":100,", 0, 100, T0, T0 + HOUR)), 0);
	engine_set_margins(f->e, &default_margins);
	assert_int_equal(check(f, act(f, "p3", "SY", "uav", g, "\"radius_m\":100,", 0, 100, T0, T0 + HOUR)), 1);
}

static void test_multipolygon_demilitarized_zone_applies_to_each_part(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, zone(f, "z1", "US", "demilitarized",
		    "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[35.0,33.0],[35.5,33.0],[35.5,33.5],[35.0,33.5],"
		    "[35.0,33.0]]],[[[36.0,33.0],[36.5,33.0],[36.5,33.5],[36.0,33.5],[36.0,33.0]]]]}",
		    NULL));
	assert_int_equal(check(f, act(f, "a1", "SY", "ground_movement", sq(g, 36.2, 33.2, 0.05), NULL, 0, 0, T0,
				      T0 + HOUR)),
			 1);
	const struct finding *x = &f->fl.items[0];
	assert_int_equal(x->kind, FINDING_DEMILITARIZED_BREACH);
	assert_int_equal(x->severity, FINDING_CRITICAL);
	assert_int_equal(x->n_subjects, 2);
	assert_int_equal(x->subjects[0].type, SUBJECT_ZONE);
	assert_string_equal(x->subjects[0].id, "z1");
	assert_string_equal(x->subjects[1].id, "a1");
	assert_string_equal(x->key, "demilitarized_breach|a1|z1");
	/* between the two parts: no breach */
	assert_int_equal(check(f, act(f, "a2", "SY", "ground_movement", sq(g, 35.7, 33.2, 0.05), NULL, 0, 0, T0,
				      T0 + HOUR)),
			 0);
}

static void test_proposed_zone_applies_no_rule_until_in_force(void **state)
{
	struct fx *f = *state;
	char g[512];
	struct subject *z = zone(f, "z1", "US", "demilitarized", sq(g, 36.0, 33.0, 0.5), NULL);
	z->status = ZONE_PROPOSED;
	put(f, z);
	assert_int_equal(check(f, dep(f, "d1", "SY", sq(g, 36.1, 33.1, 0.01), NULL, "{\"troops\":10}", T0, 0)), 0);
	assert_int_equal(engine_set_zone_status(f->e, "z1", ZONE_IN_FORCE), 0);
	assert_int_equal(check(f, dep(f, "d1", "SY", sq(g, 36.1, 33.1, 0.01), NULL, "{\"troops\":10}", T0, 0)), 1);
	assert_int_equal(engine_set_zone_status(f->e, "z1", ZONE_WITHDRAWN), 0);
	assert_null(engine_get(f->e, "z1"));
}

static void test_point_deployment_on_zone_boundary_is_not_inside(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, zone(f, "z1", "US", "demilitarized", sq(g, 36.0, 33.0, 0.5), NULL));
	assert_int_equal(check(f, dep(f, "d1", "SY", "{\"type\":\"Point\",\"coordinates\":[36.5,33.2]}", NULL,
				      "{\"troops\":1}", T0, 0)),
			 0);
	assert_int_equal(check(f, dep(f, "d2", "SY", "{\"type\":\"Point\",\"coordinates\":[36.4,33.2]}", NULL,
				      "{\"troops\":1}", T0, 0)),
			 1);
}

static void test_zone_valid_window_limits_its_rules(void **state)
{
	struct fx *f = *state;
	char g[512], extra[160], a[32], b[32];
	snprintf(extra, sizeof extra, ",\"valid\":{\"from\":\"%s\",\"until\":\"%s\"}", iso(a, T0), iso(b, T0 + DAY));
	put(f, zone(f, "z1", "US", "demilitarized", sq(g, 36.0, 33.0, 0.5), extra));
	assert_int_equal(check(f, act(f, "a1", "SY", "uav", sq(g, 36.1, 33.1, 0.01), NULL, 0, 100, T0 + 2 * DAY,
				      T0 + 3 * DAY)),
			 0);
	assert_int_equal(check(f, act(f, "a2", "SY", "uav", sq(g, 36.1, 33.1, 0.01), NULL, 0, 100, T0 + DAY - HOUR,
				      T0 + 3 * DAY)),
			 1);
}

/* ---- zone rules ---- */

static void test_influence_entry_by_another_party_only(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, zone(f, "z1", "TR", "influence", sq(g, 38.0, 34.4, 0.5), NULL));
	assert_int_equal(check(f, act(f, "a1", "TR", "uav", sq(g, 38.2, 34.5, 0.05), NULL, 0, 3000, T0, T0 + HOUR)), 0);
	assert_int_equal(check(f, act(f, "a2", "IL", "uav", sq(g, 38.2, 34.5, 0.05), NULL, 0, 3000, T0, T0 + HOUR)), 1);
	assert_int_equal(f->fl.items[0].kind, FINDING_INFLUENCE_ENTRY);
	assert_int_equal(f->fl.items[0].severity, FINDING_WARNING);
	assert_string_equal(f->fl.items[0].parties[0], "IL");
	assert_string_equal(f->fl.items[0].parties[1], "TR");
}

static void test_restricted_airspace_needs_overlapping_altitude(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, zone(f, "z1", "RU", "restricted_airspace", sq(g, 35.9, 35.3, 0.3),
		    ",\"altitude\":{\"min_m\":0,\"max_m\":5000}"));
	assert_int_equal(
		check(f, act(f, "a1", "IL", "air_sortie", sq(g, 36.0, 35.4, 0.05), NULL, 6000, 8000, T0, T0 + HOUR)), 0);
	assert_int_equal(
		check(f, act(f, "a2", "IL", "air_sortie", sq(g, 36.0, 35.4, 0.05), NULL, 4000, 6000, T0, T0 + HOUR)), 1);
	assert_int_equal(f->fl.items[0].kind, FINDING_RESTRICTED_AIRSPACE_ENTRY);
	assert_true(f->fl.items[0].alt_min == 4000 && f->fl.items[0].alt_max == 5000);
}

static void test_strike_within_margin_of_protected_site(void **state)
{
	struct fx *f = *state;
	char g1[512], g2[512];
	engine_set_margins(f->e, &default_margins);
	put(f, zone(f, "site", "SY", "protected_site", sq(g1, 36.0, 32.99, 0.01), NULL));
	/* 900 m east of the site, a strike: critical; an air sortie: nothing */
	assert_int_equal(check(f, act(f, "s1", "IL", "strike", sq(g2, 36.01 + dlon_for(900, 33.0), 32.99, 0.01), NULL,
				      0, 1000, T0, T0 + HOUR)),
			 1);
	assert_int_equal(f->fl.items[0].kind, FINDING_PROTECTED_SITE_RISK);
	assert_int_equal(f->fl.items[0].severity, FINDING_CRITICAL);
	assert_int_equal(check(f, act(f, "s2", "IL", "air_sortie", sq(g2, 36.01 + dlon_for(900, 33.0), 32.99, 0.01),
				      NULL, 0, 1000, T0, T0 + HOUR)),
			 0);
	assert_int_equal(check(f, act(f, "s3", "IL", "strike", sq(g2, 36.01 + dlon_for(1100, 33.0), 32.99, 0.01), NULL,
				      0, 1000, T0, T0 + HOUR)),
			 0);
}

static void test_strike_near_foreign_base_is_deployment_risk(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, zone(f, "b1", "TR", "base", sq(g, 37.6, 34.5, 0.05), NULL));
	assert_int_equal(check(f, act(f, "s1", "TR", "strike", sq(g, 37.62, 34.52, 0.01), NULL, 0, 1000, T0, T0 + HOUR)),
			 0);
	assert_int_equal(check(f, act(f, "s2", "IL", "strike", sq(g, 37.62, 34.52, 0.01), NULL, 0, 1000, T0, T0 + HOUR)),
			 1);
	assert_int_equal(f->fl.items[0].kind, FINDING_DEPLOYMENT_RISK);
}

static void test_strike_years_later_hits_open_ended_deployment(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, dep(f, "d1", "SY", "{\"type\":\"Point\",\"coordinates\":[36.1,32.6]}", "\"radius_m\":500,",
		   "{\"troops\":300}", T0, 0));
	assert_int_equal(check(f, act(f, "s1", "IL", "strike", sq(g, 36.095, 32.595, 0.01), NULL, 0, 1000,
				      T0 + 4 * 365 * DAY, T0 + 4 * 365 * DAY + HOUR)),
			 1);
	const struct finding *x = &f->fl.items[0];
	assert_int_equal(x->kind, FINDING_DEPLOYMENT_RISK);
	assert_int_equal(x->severity, FINDING_CRITICAL);
	/* a strike before the deployment begins does not */
	assert_int_equal(
		check(f, act(f, "s2", "IL", "strike", sq(g, 36.095, 32.595, 0.01), NULL, 0, 1000, T0 - DAY, T0 - HOUR)),
		0);
}

/* caps tanks 75. d1: 50 tanks [0, 10d); d2: 40 tanks [5d, 20d); d3: 10 tanks
 * [8d, open). Sums: [5d, 8d) 90, [8d, 10d) 100, [10d, 20d) 50, after 10.
 * One interval of excess: [5d, 10d), peak 100. */
static void limitation_fixture(struct fx *f)
{
	char g[512];
	put(f, zone(f, "lim", "US", "limitation", sq(g, 35.8, 33.0, 0.2), ",\"caps\":{\"tanks\":75,\"troops\":6000}"));
	put(f, dep(f, "d1", "SY", sq(g, 35.85, 33.05, 0.01), NULL, "{\"tanks\":50,\"troops\":100}", T0, T0 + 10 * DAY));
	put(f, dep(f, "d2", "SY", "{\"type\":\"Point\",\"coordinates\":[35.9,33.1]}", NULL, "{\"tanks\":40}",
		   T0 + 5 * DAY, T0 + 20 * DAY));
	/* outside the zone: never counted */
	put(f, dep(f, "far", "SY", sq(g, 36.5, 33.05, 0.01), NULL, "{\"tanks\":500}", T0, 0));
}

static void test_limitation_sums_deployments_that_overlap_in_time_partly(void **state)
{
	struct fx *f = *state;
	char g[512];
	limitation_fixture(f);
	assert_int_equal(
		check(f, dep(f, "d3", "IL", sq(g, 35.95, 33.15, 0.01), NULL, "{\"tanks\":10}", T0 + 8 * DAY, 0)), 1);
	const struct finding *x = &f->fl.items[0];
	assert_int_equal(x->kind, FINDING_LIMITATION_EXCEEDED);
	assert_true(x->start == T0 + 5 * DAY && x->end == T0 + 10 * DAY);
	assert_int_equal(x->exceeded_mask, 1u << STRENGTH_TANKS);
	assert_int_equal(x->cap[STRENGTH_TANKS], 75);
	assert_int_equal(x->declared[STRENGTH_TANKS], 100);
	assert_int_equal(x->n_subjects, 4);
	assert_string_equal(x->subjects[0].id, "lim");
	char key[128];
	snprintf(key, sizeof key, "limitation_exceeded|d1|d2|d3|lim|%lld|%lld", T0 + 5 * DAY, T0 + 10 * DAY);
	assert_string_equal(x->key, key);
	assert_int_equal(x->n_parties, 3); /* IL, SY and the zone's owner US */
}

static void test_limitation_reports_only_intervals_the_candidate_contributes_to(void **state)
{
	struct fx *f = *state;
	char g[512];
	limitation_fixture(f);
	/* d4 exists only from day 12: the excess [5d, 10d) is not its doing */
	assert_int_equal(
		check(f, dep(f, "d4", "IL", sq(g, 35.95, 33.15, 0.01), NULL, "{\"tanks\":10}", T0 + 12 * DAY, 0)), 0);
	/* checking the zone itself reports the interval */
	struct subject *z = (struct subject *)engine_get(f->e, "lim");
	assert_int_equal(engine_check(f->e, z, &f->fl), 0);
	assert_int_equal(f->fl.n, 1);
	assert_true(f->fl.items[0].start == T0 + 5 * DAY && f->fl.items[0].end == T0 + 10 * DAY);
	assert_int_equal(f->fl.items[0].declared[STRENGTH_TANKS], 90);
}

static void test_removed_subject_no_longer_conflicts(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, act(f, "a1", "IL", "air_sortie", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	assert_int_equal(engine_remove(f->e, "a1"), 0);
	assert_int_equal(engine_remove(f->e, "a1"), TQ_ENOTFOUND);
	assert_int_equal(engine_count(f->e), 0);
	assert_int_equal(check(f, act(f, "a2", "SY", "uav", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR)), 0);
}

static void test_candidate_ignores_its_own_old_version(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, act(f, "a1", "IL", "air_sortie", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	/* a1 again, now of SY (impossible in practice, but proves the id skip) */
	assert_int_equal(check(f, act(f, "a1", "SY", "uav", sq(g, 36.0, 33.0, 0.1), NULL, 0, 1000, T0, T0 + HOUR)), 0);
}

static void test_findings_come_in_deterministic_order(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, zone(f, "z1", "US", "demilitarized", sq(g, 36.0, 33.0, 0.5), NULL));
	put(f, act(f, "b2", "SY", "uav", sq(g, 36.1, 33.1, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	put(f, act(f, "b1", "RU", "uav", sq(g, 36.1, 33.1, 0.1), NULL, 0, 1000, T0, T0 + HOUR));
	assert_int_equal(check(f, act(f, "a", "IL", "strike", sq(g, 36.1, 33.1, 0.1), NULL, 0, 1000, T0, T0 + HOUR)), 3);
	assert_string_equal(f->fl.items[0].key, "activity_overlap|a|b1");
	assert_string_equal(f->fl.items[1].key, "activity_overlap|a|b2");
	assert_string_equal(f->fl.items[2].key, "demilitarized_breach|a|z1");
}

static void test_finding_json_has_the_conflict_shape(void **state)
{
	struct fx *f = *state;
	char g[512];
	limitation_fixture(f);
	assert_int_equal(check(f, dep(f, "d3", "IL", sq(g, 35.95, 33.15, 0.01), NULL, "{\"tanks\":10}", T0 + 8 * DAY, 0)),
			 1);
	json_t *j = finding_to_json(&f->fl.items[0]);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "limitation_exceeded");
	assert_string_equal(json_string_value(json_object_get(j, "severity")), "warning");
	json_t *s0 = json_array_get(json_object_get(j, "subjects"), 0);
	assert_string_equal(json_string_value(json_object_get(s0, "type")), "zone");
	assert_string_equal(json_string_value(json_object_get(s0, "party")), "US");
	json_t *ov = json_object_get(j, "overlap");
	assert_string_equal(json_string_value(json_object_get(json_object_get(ov, "geometry"), "type")),
			    "GeometryCollection");
	assert_string_equal(json_string_value(json_object_get(json_object_get(ov, "window"), "start")),
			    "2026-01-06T00:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(j, "exceeded"), "tanks"), "cap")),
			 75);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(json_object_get(j, "exceeded"), "tanks"), "declared")),
		100);
	assert_null(json_object_get(json_object_get(j, "exceeded"), "troops"));
	json_decref(j);
}

static void test_open_window_end_is_null_in_json(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, zone(f, "z1", "US", "demilitarized", sq(g, 36.0, 33.0, 0.5), NULL));
	assert_int_equal(check(f, dep(f, "d1", "SY", sq(g, 36.1, 33.1, 0.01), NULL, "{\"troops\":10}", T0, 0)), 1);
	json_t *j = finding_to_json(&f->fl.items[0]);
	json_t *w = json_object_get(json_object_get(j, "overlap"), "window");
	assert_string_equal(json_string_value(json_object_get(w, "start")), "2026-01-01T00:00:00Z");
	assert_true(json_is_null(json_object_get(w, "end")));
	json_decref(j);
}

/* ---- subject_from_json validation ---- */

static int parse_err(struct fx *f, enum subject_type t, const char *body, struct tq_field_error *err)
{
	json_t *j = json_loads(body, 0, NULL);
	assert_non_null(j);
	struct subject *s = NULL;
	memset(err, 0, sizeof *err);
	int rc = subject_from_json(f->geo, t, j, "x1", "IL", T0, &s, err);
	json_decref(j);
	subject_free(f->geo, s);
	return rc;
}

#define ACT_TAIL "\"altitude\":{\"min_m\":0,\"max_m\":100},\"window\":{\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2026-01-01T01:00:00Z\"}}"
#define SQUARE "{\"type\":\"Polygon\",\"coordinates\":[[[36,33],[36.1,33],[36.1,33.1],[36,33]]]}"

static void test_linestring_without_width_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(
		parse_err(*state, SUBJECT_ACTIVITY,
			  "{\"kind\":\"uav\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[36,33],[36.1,33]]}," ACT_TAIL,
			  &e),
		TQ_EINVALID);
	assert_string_equal(e.field, "width_m");
}

static void test_point_activity_without_radius_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_ACTIVITY,
				   "{\"kind\":\"uav\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[36,33]}," ACT_TAIL, &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "radius_m");
}

static void test_radius_with_polygon_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_ACTIVITY, "{\"kind\":\"uav\",\"radius_m\":10,\"geometry\":" SQUARE "," ACT_TAIL,
				   &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "radius_m");
}

static void test_unknown_activity_kind_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_ACTIVITY, "{\"kind\":\"picnic\",\"geometry\":" SQUARE "," ACT_TAIL, &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "kind");
}

static void test_altitude_above_30000_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_ACTIVITY,
				   "{\"kind\":\"uav\",\"geometry\":" SQUARE ",\"altitude\":{\"min_m\":0,\"max_m\":30001},"
				   "\"window\":{\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2026-01-01T01:00:00Z\"}}",
				   &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "altitude.max_m");
}

static void test_altitude_min_above_max_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_ACTIVITY,
				   "{\"kind\":\"uav\",\"geometry\":" SQUARE ",\"altitude\":{\"min_m\":500,\"max_m\":100},"
				   "\"window\":{\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2026-01-01T01:00:00Z\"}}",
				   &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "altitude.max_m");
}

static void test_altitude_as_string_is_malformed(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_ACTIVITY,
				   "{\"kind\":\"uav\",\"geometry\":" SQUARE ",\"altitude\":{\"min_m\":\"0\",\"max_m\":100},"
				   "\"window\":{\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2026-01-01T01:00:00Z\"}}",
				   &e),
			 TQ_EMALFORMED);
	assert_string_equal(e.field, "altitude.min_m");
}

static void test_window_end_before_start_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_ACTIVITY,
				   "{\"kind\":\"uav\",\"geometry\":" SQUARE ",\"altitude\":{\"min_m\":0,\"max_m\":100},"
				   "\"window\":{\"start\":\"2026-01-01T01:00:00Z\",\"end\":\"2026-01-01T01:00:00Z\"}}",
				   &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "window.end");
}

static void test_missing_window_is_malformed(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_ACTIVITY,
				   "{\"kind\":\"uav\",\"geometry\":" SQUARE ",\"altitude\":{\"min_m\":0,\"max_m\":100}}", &e),
			 TQ_EMALFORMED);
	assert_string_equal(e.field, "window");
}

static void test_negative_strength_is_invalid_and_string_malformed(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_DEPLOYMENT,
				   "{\"unit\":\"u\",\"geometry\":" SQUARE ",\"strength\":{\"tanks\":-1}}", &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "strength.tanks");
	assert_int_equal(parse_err(*state, SUBJECT_DEPLOYMENT,
				   "{\"unit\":\"u\",\"geometry\":" SQUARE ",\"strength\":{\"tanks\":\"5\"}}", &e),
			 TQ_EMALFORMED);
	assert_string_equal(e.field, "strength.tanks");
}

static void test_zone_geometry_error_carries_path(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_ZONE,
				   "{\"kind\":\"base\",\"name\":\"b\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
				   "[[[36,33],[36.1,33],[36.1,91],[36,33]]]}}",
				   &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "geometry.coordinates[0][2]");
}

static void test_zone_kinds_start_in_the_right_status(void **state)
{
	struct fx *f = *state;
	struct subject *s = parse_or_fail(f, SUBJECT_ZONE, "z", "IL", "{\"kind\":\"limitation\",\"name\":\"n\",\"geometry\":" SQUARE "}");
	assert_int_equal(s->status, ZONE_PROPOSED);
	assert_int_equal(s->strength[STRENGTH_TANKS], SUBJECT_NO_CAP);
	subject_free(f->geo, s);
	s = parse_or_fail(f, SUBJECT_ZONE, "z", "IL", "{\"kind\":\"influence\",\"name\":\"n\",\"owner\":\"TR\",\"geometry\":" SQUARE "}");
	assert_int_equal(s->status, ZONE_IN_FORCE);
	assert_string_equal(s->owner, "TR");
	assert_string_equal(s->party, "IL");
	subject_free(f->geo, s);
}

static void test_caps_on_a_base_zone_are_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse_err(*state, SUBJECT_ZONE,
				   "{\"kind\":\"base\",\"name\":\"b\",\"geometry\":" SQUARE ",\"caps\":{\"tanks\":1}}", &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "caps");
}

/* ---- overlaps known: the decision without the overlay ---- */

static int want_no_geometry(void *ud, const char *key)
{
	(void)ud;
	(void)key;
	return 0;
}

static const char *rect(char *buf, double x0, double y0, double x1, double y1)
{
	snprintf(buf, 512,
		 "{\"type\":\"Polygon\",\"coordinates\":[[[%.12f,%.12f],[%.12f,%.12f],[%.12f,%.12f],[%.12f,%.12f],"
		 "[%.12f,%.12f]]]}",
		 x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
	return buf;
}

/* engine_check and engine_check_some wanting no geometry find `expect`
 * findings for c (freed), the latter with no overlap geometry. */
static void check_both(struct fx *f, struct subject *c, size_t expect)
{
	const struct engine_overlaps none = {want_no_geometry, NULL};
	assert_int_equal(engine_check(f->e, c, &f->fl), 0);
	assert_int_equal(f->fl.n, expect);
	assert_int_equal(engine_check_some(f->e, c, &none, &f->fl), 0);
	assert_int_equal(f->fl.n, expect);
	for (size_t i = 0; i < f->fl.n; i++)
		assert_null(f->fl.items[i].overlap_geometry);
	subject_free(f->geo, c);
}

/* Without the geometry wanted, a vertex of one footprint inside the other
 * decides for two areas (engine.c vertex_inside); the shapes where no vertex
 * lies inside must still go to the overlay and answer as engine_check. */
static void test_areal_pairs_decide_the_same_without_the_overlap(void **state)
{
	struct fx *f = *state;
	char g[512];
	put(f, act(f, "a", "IL", "air_sortie", rect(g, 36.0, 33.0, 36.1, 33.1), NULL, 0, 1000, T0, T0 + HOUR));
	/* a cross: edges cross, no vertex of either inside the other */
	check_both(f, act(f, "c1", "SY", "uav", rect(g, 36.04, 32.9, 36.06, 33.2), NULL, 0, 1000, T0, T0 + HOUR), 1);
	/* the same square: every vertex on the other's boundary */
	check_both(f, act(f, "c2", "SY", "uav", rect(g, 36.0, 33.0, 36.1, 33.1), NULL, 0, 1000, T0, T0 + HOUR), 1);
	/* inside, then around: only one direction has a vertex inside */
	check_both(f, act(f, "c3", "SY", "uav", rect(g, 36.02, 33.02, 36.03, 33.03), NULL, 0, 1000, T0, T0 + HOUR), 1);
	check_both(f, act(f, "c4", "SY", "uav", rect(g, 35.9, 32.9, 36.2, 33.2), NULL, 0, 1000, T0, T0 + HOUR), 1);
	/* shares an edge, then a corner: touching is no conflict */
	check_both(f, act(f, "c5", "SY", "uav", rect(g, 36.1, 33.0, 36.2, 33.1), NULL, 0, 1000, T0, T0 + HOUR), 0);
	check_both(f, act(f, "c6", "SY", "uav", rect(g, 36.1, 33.1, 36.2, 33.2), NULL, 0, 1000, T0, T0 + HOUR), 0);
	/* a part of the edge shared, from inside: collinear boundaries, interiors meet */
	check_both(f, act(f, "c7", "SY", "uav", rect(g, 36.05, 33.0, 36.1, 33.05), NULL, 0, 1000, T0, T0 + HOUR), 1);
	/* a zone's prepared footprint on the other side (demilitarized_breach) */
	put(f, zone(f, "z", "TR", "demilitarized", rect(g, 37.0, 33.0, 37.1, 33.1), NULL));
	check_both(f, act(f, "c8", "SY", "uav", rect(g, 37.04, 32.9, 37.06, 33.2), NULL, 0, 1000, T0, T0 + HOUR), 1);
	check_both(f, act(f, "c9", "SY", "uav", rect(g, 37.02, 33.02, 37.03, 33.03), NULL, 0, 1000, T0, T0 + HOUR), 1);
	check_both(f, act(f, "c10", "SY", "uav", rect(g, 37.1, 33.0, 37.2, 33.1), NULL, 0, 1000, T0, T0 + HOUR), 0);
}

/* ---- the overlap without an overlay where it is exact ---- */

static GEOSGeometry *geom_of(struct fx *f, const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	GEOSGeometry *g = NULL;
	enum geo_type type;
	struct tq_field_error err = {{0}, {0}};
	assert_non_null(j);
	assert_int_equal(geo_parse(f->geo, j, GEO_POLYGON | GEO_MULTIPOLYGON, "g", &g, &type, &err), 0);
	json_decref(j);
	return g;
}

/* f->fl's only finding has an overlap of the same area as GEOS's overlay of
 * a and b (texts); returns that overlap (owned). */
static GEOSGeometry *overlap_like_overlay(struct fx *f, const char *a, const char *b)
{
	GEOSContextHandle_t h = geo_ctx_geos(f->geo);
	struct tq_field_error err = {{0}, {0}};
	GEOSGeometry *ga = geom_of(f, a), *gb = geom_of(f, b), *ov = GEOSIntersection_r(h, ga, gb), *got = NULL;
	enum geo_type type;
	double want, have;
	assert_int_equal(f->fl.n, 1);
	assert_non_null(f->fl.items[0].overlap_geometry);
	assert_int_equal(geo_parse(f->geo, f->fl.items[0].overlap_geometry, GEO_POLYGON | GEO_MULTIPOLYGON, "o", &got,
				   &type, &err),
			 0);
	assert_true(GEOSArea_r(h, ov, &want) && GEOSArea_r(h, got, &have));
	assert_true(want > 0 && fabs(have - want) <= 1e-12 * want);
	assert_int_equal(GEOSEquals_r(h, ov, got), 1); /* the same point set */
	geo_free(f->geo, ga);
	geo_free(f->geo, gb);
	geo_free(f->geo, ov);
	return got;
}

/* One footprint properly inside the other: the overlap is the inner one as
 * it was given, vertex for vertex (engine.c overlap_nested), and the same
 * set as GEOS's overlay, which starts and turns its rings its own way. */
static void test_nested_footprints_overlap_is_the_inner_one(void **state)
{
	struct fx *f = *state;
	GEOSContextHandle_t h = geo_ctx_geos(f->geo);
	char outer[512], inner[512], around[512], edge[512];
	/* a non-convex outer ring (a notch), so the test is not about boxes */
	snprintf(outer, sizeof outer,
		 "{\"type\":\"Polygon\",\"coordinates\":[[[36.0,33.0],[36.1,33.0],[36.1,33.1],[36.05,33.06],"
		 "[36.0,33.1],[36.0,33.0]]]}");
	put(f, act(f, "a", "IL", "air_sortie", outer, NULL, 0, 1000, T0, T0 + HOUR));
	rect(inner, 36.02, 33.01, 36.03, 33.02);
	struct subject *c = act(f, "c", "SY", "uav", inner, NULL, 0, 1000, T0, T0 + HOUR);
	assert_int_equal(check(f, c), 1);
	GEOSGeometry *got = overlap_like_overlay(f, outer, inner), *want = geom_of(f, inner);
	assert_int_equal(GEOSEqualsExact_r(h, got, want, 0), 1);
	geo_free(f->geo, got);
	geo_free(f->geo, want);
	/* the candidate around the indexed footprint: the overlap is that one */
	rect(around, 35.9, 32.9, 36.2, 33.2);
	engine_set_margins(f->e, &default_margins); /* the margin path too */
	c = act(f, "c", "SY", "uav", around, NULL, 0, 1000, T0, T0 + HOUR);
	assert_int_equal(check(f, c), 1);
	got = overlap_like_overlay(f, around, outer);
	want = geom_of(f, outer);
	assert_int_equal(GEOSEqualsExact_r(h, got, want, 0), 1);
	geo_free(f->geo, got);
	geo_free(f->geo, want);
	/* inside but touching the boundary from within: the overlay, same set */
	engine_set_margins(f->e, &zero_margins);
	rect(edge, 36.02, 33.0, 36.03, 33.02);
	c = act(f, "c", "SY", "uav", edge, NULL, 0, 1000, T0, T0 + HOUR);
	assert_int_equal(check(f, c), 1);
	geo_free(f->geo, overlap_like_overlay(f, outer, edge));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* ---- work bounds (issue 17) ---- */

/* The comb: 2,400 teeth 1.1 km tall and 9 m apart (9,603 positions). */
static char *comb_json(void)
{
	size_t cap = 2400 * 4 * 48 + 256, len;
	char *s = malloc(cap);
	assert_non_null(s);
	len = (size_t)snprintf(s, cap, "{\"type\":\"Polygon\",\"coordinates\":[[[36,33]");
	for (int i = 0; i < 2400; i++) {
		double x = 36.0 + i * 0.0002;
		len += (size_t)snprintf(s + len, cap - len, ",[%.7f,33.01],[%.7f,33.01],[%.7f,33.001],[%.7f,33.001]", x,
					x + 0.0001, x + 0.0001, x + 0.0002);
	}
	snprintf(s + len, cap - len, ",[36.48,32.99],[36,32.99],[36,33]]]}");
	return s;
}

static void test_comb_within_the_margin_is_refused_by_admit_and_check(void **state)
{
	struct fx *f = *state;
	struct tq_field_error err = {{0}, {0}};
	char g[512];
	engine_set_margins(f->e, &default_margins);
	/* another party's activity 1 km from the comb: the margin path */
	put(f, act(f, "o", "SY", "uav", sq(g, 36.01, 33.018, 0.001), NULL, 0, 1000, T0, T0 + HOUR));
	char *comb = comb_json();
	struct subject *c = act(f, "c", "IL", "uav", comb, NULL, 0, 1000, T0, T0 + HOUR);
	assert_int_equal(engine_admit(f->e, c, &err), TQ_EINVALID);
	assert_string_equal(err.field, "geometry");
	assert_non_null(strstr(err.message, "too complex for the track's separation margin of 1000 m"));
	/* engine_check itself never builds that buffer */
	assert_int_equal(engine_check(f->e, c, &f->fl), TQ_ETOOBIG);
	assert_int_equal(f->fl.n, 0);
	/* without a horizontal margin the same comb is checked as usual */
	engine_set_margins(f->e, &zero_margins);
	assert_int_equal(engine_admit(f->e, c, &err), 0);
	assert_int_equal(engine_check(f->e, c, &f->fl), 0);
	subject_free(f->geo, c);
	free(comb);
}

static void test_admit_refuses_a_footprint_meeting_too_many_volumes(void **state)
{
	struct fx *f = *state;
	struct tq_field_error err = {{0}, {0}};
	char g[512], id[16];
	for (int i = 0; i <= TQ_MAX_CHECK_CANDIDATES; i++) {
		snprintf(id, sizeof id, "a%d", i);
		put(f, act(f, id, "SY", "uav", sq(g, 36 + (i % 100) * 0.01, 33 + (i / 100) * 0.01, 0.005), NULL, 0,
			   1000, T0, T0 + HOUR));
	}
	struct subject *big = act(f, "big", "IL", "uav", sq(g, 35.9, 32.9, 1.2), NULL, 0, 1000, T0, T0 + HOUR);
	assert_int_equal(engine_admit(f->e, big, &err), TQ_EINVALID);
	assert_string_equal(err.field, "geometry");
	assert_non_null(strstr(err.message, "meets more than 10000 live volumes"));
	subject_free(f->geo, big);
	/* one volume fewer in its way: admitted */
	assert_int_equal(engine_remove(f->e, "a0"), 0);
	big = act(f, "big", "IL", "uav", sq(g, 35.9, 32.9, 1.2), NULL, 0, 1000, T0, T0 + HOUR);
	assert_int_equal(engine_admit(f->e, big, &err), 0);
	subject_free(f->geo, big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_areal_pairs_decide_the_same_without_the_overlap),
		T(test_nested_footprints_overlap_is_the_inner_one),
		T(test_overlapping_activities_of_two_parties_conflict),
		T(test_activities_of_the_same_party_do_not_conflict),
		T(test_overlap_with_a_strike_is_critical),
		T(test_touching_squares_do_not_conflict_with_zero_margin),
		T(test_touching_windows_and_bands_do_not_conflict_with_zero_margin),
		T(test_same_footprint_apart_in_time_does_not_conflict),
		T(test_same_footprint_apart_in_altitude_does_not_conflict),
		T(test_900_m_apart_conflict_at_latitude_33),
		T(test_1100_m_apart_do_not_conflict_at_latitude_33),
		T(test_900_m_apart_conflict_at_latitude_60),
		T(test_1100_m_apart_do_not_conflict_at_latitude_60),
		T(test_margin_is_measured_north_south_too),
		T(test_corridor_is_buffered_by_half_its_width),
		T(test_multipolygon_demilitarized_zone_applies_to_each_part),
		T(test_proposed_zone_applies_no_rule_until_in_force),
		T(test_point_deployment_on_zone_boundary_is_not_inside),
		T(test_zone_valid_window_limits_its_rules),
		T(test_influence_entry_by_another_party_only),
		T(test_restricted_airspace_needs_overlapping_altitude),
		T(test_strike_within_margin_of_protected_site),
		T(test_strike_near_foreign_base_is_deployment_risk),
		T(test_strike_years_later_hits_open_ended_deployment),
		T(test_limitation_sums_deployments_that_overlap_in_time_partly),
		T(test_limitation_reports_only_intervals_the_candidate_contributes_to),
		T(test_removed_subject_no_longer_conflicts),
		T(test_candidate_ignores_its_own_old_version),
		T(test_findings_come_in_deterministic_order),
		T(test_finding_json_has_the_conflict_shape),
		T(test_open_window_end_is_null_in_json),
		T(test_linestring_without_width_is_invalid),
		T(test_point_activity_without_radius_is_invalid),
		T(test_radius_with_polygon_is_invalid),
		T(test_unknown_activity_kind_is_invalid),
		T(test_altitude_above_30000_is_invalid),
		T(test_altitude_min_above_max_is_invalid),
		T(test_altitude_as_string_is_malformed),
		T(test_window_end_before_start_is_invalid),
		T(test_missing_window_is_malformed),
		T(test_negative_strength_is_invalid_and_string_malformed),
		T(test_zone_geometry_error_carries_path),
		T(test_zone_kinds_start_in_the_right_status),
		T(test_caps_on_a_base_zone_are_invalid),
		T(test_comb_within_the_margin_is_refused_by_admit_and_check),
		T(test_admit_refuses_a_footprint_meeting_too_many_volumes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
