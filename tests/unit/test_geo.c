/* geo: GeoJSON validation (400 vs 422, field paths), metric buffers and distances. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/geo.h"
#include "core/limits.h"
#include "core/subject.h"

static int setup(void **state)
{
	*state = geo_ctx_new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	geo_ctx_free(*state);
	return 0;
}

#define ALL (GEO_POINT | GEO_LINESTRING | GEO_POLYGON | GEO_MULTIPOLYGON)

/* Parses `text` as the value of "geometry"; returns the tq_err. */
static int parse(void **state, const char *text, unsigned allowed, struct tq_field_error *err, GEOSGeometry **out)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	assert_non_null(j);
	GEOSGeometry *g = NULL;
	enum geo_type t;
	memset(err, 0, sizeof *err);
	int rc = geo_parse(*state, j, allowed, "geometry", &g, &t, err);
	json_decref(j);
	if (out)
		*out = g;
	else
		geo_free(*state, g);
	return rc;
}

static void test_polygon_is_accepted(void **state)
{
	struct tq_field_error e;
	GEOSGeometry *g;
	assert_int_equal(parse(state, "{\"type\":\"Polygon\",\"coordinates\":[[[35,33],[36,33],[36,34],[35,34],[35,33]]]}",
			       ALL, &e, &g),
			 0);
	double area;
	assert_int_equal(GEOSArea_r(geo_ctx_geos(*state), g, &area), 1);
	assert_true(fabs(area - 1.0) < 1e-12);
	geo_free(*state, g);
}

static void test_multipolygon_is_accepted(void **state)
{
	struct tq_field_error e;
	GEOSGeometry *g;
	assert_int_equal(parse(state,
			       "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[35,33],[36,33],[36,34],[35,34],[35,33]]],"
			       "[[[37,33],[38,33],[38,34],[37,33]]]]}",
			       ALL, &e, &g),
			 0);
	assert_int_equal(GEOSGetNumGeometries_r(geo_ctx_geos(*state), g), 2);
	geo_free(*state, g);
}

static void test_polygon_with_hole_is_accepted(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state,
			       "{\"type\":\"Polygon\",\"coordinates\":[[[35,33],[36,33],[36,34],[35,34],[35,33]],"
			       "[[35.2,33.2],[35.4,33.2],[35.4,33.4],[35.2,33.2]]]}",
			       ALL, &e, NULL),
			 0);
}

static void test_coordinates_string_is_malformed(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"type\":\"Polygon\",\"coordinates\":\"x\"}", ALL, &e, NULL), TQ_EMALFORMED);
	assert_string_equal(e.field, "geometry.coordinates");
}

static void test_position_with_string_is_malformed_with_path(void **state)
{
	struct tq_field_error e;
	assert_int_equal(
		parse(state, "{\"type\":\"Polygon\",\"coordinates\":[[[35,33],[36,\"33\"],[36,34],[35,33]]]}", ALL, &e, NULL),
		TQ_EMALFORMED);
	assert_string_equal(e.field, "geometry.coordinates[0][1]");
}

static void test_missing_type_is_malformed(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"coordinates\":[35,33]}", ALL, &e, NULL), TQ_EMALFORMED);
	assert_string_equal(e.field, "geometry.type");
}

static void test_missing_coordinates_is_malformed(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"type\":\"Point\"}", ALL, &e, NULL), TQ_EMALFORMED);
	assert_string_equal(e.field, "geometry.coordinates");
}

static void test_type_not_allowed_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"type\":\"LineString\",\"coordinates\":[[35,33],[36,33]]}",
			       GEO_POLYGON | GEO_MULTIPOLYGON, &e, NULL),
			 TQ_EINVALID);
	assert_string_equal(e.field, "geometry.type");
	assert_string_equal(e.message, "geometry type must be one of: Polygon, MultiPolygon");
}

static void test_self_intersecting_polygon_is_invalid_with_reason(void **state)
{
	struct tq_field_error e;
	/* A bow tie: edges (35,33)-(36,34) and (36,33)-(35,34) cross at (35.5,33.5). */
	assert_int_equal(parse(state, "{\"type\":\"Polygon\",\"coordinates\":[[[35,33],[36,34],[36,33],[35,34],[35,33]]]}",
			       ALL, &e, NULL),
			 TQ_EINVALID);
	assert_string_equal(e.field, "geometry");
	assert_non_null(strstr(e.message, "Self-intersection"));
	assert_non_null(strstr(e.message, "lon 35.5 lat 33.5"));
}

static void test_unclosed_ring_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"type\":\"Polygon\",\"coordinates\":[[[35,33],[36,33],[36,34],[35,34]]]}", ALL,
			       &e, NULL),
			 TQ_EINVALID);
	assert_string_equal(e.field, "geometry.coordinates[0]");
	assert_non_null(strstr(e.message, "not closed"));
}

static void test_ring_of_three_positions_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"type\":\"Polygon\",\"coordinates\":[[[35,33],[36,33],[35,33]]]}", ALL, &e, NULL),
			 TQ_EINVALID);
	assert_string_equal(e.field, "geometry.coordinates[0]");
}

static void test_latitude_91_is_invalid_with_path(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"type\":\"Polygon\",\"coordinates\":[[[35,33],[36,33],[36,91],[35,33]]]}", ALL,
			       &e, NULL),
			 TQ_EINVALID);
	assert_string_equal(e.field, "geometry.coordinates[0][2]");
	assert_string_equal(e.message, "latitude 91 outside [-90, 90]");
}

static void test_longitude_181_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"type\":\"Point\",\"coordinates\":[181,0]}", ALL, &e, NULL), TQ_EINVALID);
	assert_string_equal(e.field, "geometry.coordinates");
}

/* A closed ring of n positions on a small circle (n-1 distinct). */
static char *ring_json(int n)
{
	size_t cap = (size_t)n * 48 + 128, len = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	len += (size_t)snprintf(s + len, cap - len, "{\"type\":\"Polygon\",\"coordinates\":[[");
	for (int i = 0; i < n; i++) {
		double a = 2 * M_PI * (i % (n - 1)) / (n - 1);
		len += (size_t)snprintf(s + len, cap - len, "%s[%.9f,%.9f]", i ? "," : "", 36 + 0.5 * cos(a),
					33 + 0.5 * sin(a));
	}
	snprintf(s + len, cap - len, "]]}");
	return s;
}

static void test_10000_vertices_are_accepted(void **state)
{
	struct tq_field_error e;
	char *s = ring_json(TQ_MAX_VERTICES);
	assert_int_equal(parse(state, s, ALL, &e, NULL), 0);
	free(s);
}

static void test_10001_vertices_are_invalid(void **state)
{
	struct tq_field_error e;
	char *s = ring_json(TQ_MAX_VERTICES + 1);
	assert_int_equal(parse(state, s, ALL, &e, NULL), TQ_EINVALID);
	assert_string_equal(e.field, "geometry.coordinates");
	assert_string_equal(e.message, "more than 10000 vertices");
	free(s);
}

static void test_antimeridian_polygon_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state,
			       "{\"type\":\"Polygon\",\"coordinates\":[[[179,10],[-179,10],[-179,11],[179,11],[179,10]]]}",
			       ALL, &e, NULL),
			 TQ_EINVALID);
	assert_non_null(strstr(e.message, "antimeridian not supported"));
}

static void test_continent_sized_footprint_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"type\":\"LineString\",\"coordinates\":[[17,33],[180,3]]}", ALL, &e, NULL),
			 TQ_EINVALID);
	assert_non_null(strstr(e.message, "footprint too large"));
	assert_int_equal(parse(state, "{\"type\":\"LineString\",\"coordinates\":[[30,20],[49.5,39.5]]}", ALL, &e, NULL),
			 TQ_OK);
}

static void test_empty_multipolygon_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"type\":\"MultiPolygon\",\"coordinates\":[]}", ALL, &e, NULL), TQ_EINVALID);
}

static void test_overlapping_multipolygon_parts_are_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state,
			       "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[35,33],[36,33],[36,34],[35,34],[35,33]]],"
			       "[[[35.5,33.5],[36.5,33.5],[36.5,34.5],[35.5,33.5]]]]}",
			       ALL, &e, NULL),
			 TQ_EINVALID);
	assert_non_null(strstr(e.message, "invalid geometry"));
}

static void test_one_position_linestring_is_invalid(void **state)
{
	struct tq_field_error e;
	assert_int_equal(parse(state, "{\"type\":\"LineString\",\"coordinates\":[[35,33]]}", ALL, &e, NULL), TQ_EINVALID);
}

/* Every point at exactly 1000 m (geodesic, WGS 84) from the centre lies inside
 * the 1000 m buffer of the point: the buffer circumscribes the circle. */
static void test_point_buffer_contains_true_circle(void **state)
{
	GEOSContextHandle_t h = geo_ctx_geos(*state);
	struct geod_geodesic gd;
	geod_init(&gd, 6378137.0, 1 / 298.257223563);
	const double lats[] = {33.0, 60.0};
	for (size_t k = 0; k < 2; k++) {
		GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, 36.0, lats[k]), *buf = NULL;
		assert_int_equal(geo_buffer_m(*state, p, 1000.0, &buf), 0);
		const GEOSPreparedGeometry *pb = GEOSPrepare_r(h, buf);
		for (int az = 0; az < 360; az += 1) {
			double lat2, lon2;
			geod_direct(&gd, lats[k], 36.0, az + 0.5, 1000.0, &lat2, &lon2, NULL);
			GEOSGeometry *q = GEOSGeom_createPointFromXY_r(h, lon2, lat2);
			assert_int_equal(GEOSPreparedContains_r(h, pb, q), 1);
			GEOSGeom_destroy_r(h, q);
			/* ... and not much more: 1006 m is outside. */
			geod_direct(&gd, lats[k], 36.0, az + 0.5, 1006.0, &lat2, &lon2, NULL);
			q = GEOSGeom_createPointFromXY_r(h, lon2, lat2);
			assert_int_equal(GEOSPreparedContains_r(h, pb, q), 0);
			GEOSGeom_destroy_r(h, q);
		}
		GEOSPreparedGeom_destroy_r(h, pb);
		geo_free(*state, buf);
		geo_free(*state, p);
	}
}

/* A corridor of width 2000 m along a 0.2° east-west line: points 990 m north
 * of its middle are in, 1010 m north are out, and its round ends reach 990 m
 * beyond the last vertex. */
static void test_corridor_buffer_is_half_width_each_side(void **state)
{
	GEOSContextHandle_t h = geo_ctx_geos(*state);
	struct geod_geodesic gd;
	geod_init(&gd, 6378137.0, 1 / 298.257223563);
	struct tq_field_error e;
	GEOSGeometry *line, *buf = NULL;
	assert_int_equal(parse(state, "{\"type\":\"LineString\",\"coordinates\":[[36.0,33.0],[36.2,33.0]]}", ALL, &e, &line),
			 0);
	assert_int_equal(geo_buffer_m(*state, line, 1000.0, &buf), 0);
	struct {
		double lon, lat, az, dist;
		int inside;
	} cases[] = {
		{36.1, 33.0, 0, 990, 1}, {36.1, 33.0, 0, 1010, 0}, {36.1, 33.0, 180, 990, 1},
		{36.2, 33.0, 90, 990, 1}, {36.2, 33.0, 90, 1010, 0}, {36.0, 33.0, 270, 990, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double lat2, lon2;
		geod_direct(&gd, cases[i].lat, cases[i].lon, cases[i].az, cases[i].dist, &lat2, &lon2, NULL);
		GEOSGeometry *q = GEOSGeom_createPointFromXY_r(h, lon2, lat2);
		assert_int_equal(GEOSContains_r(h, buf, q), cases[i].inside);
		GEOSGeom_destroy_r(h, q);
	}
	geo_free(*state, buf);
	geo_free(*state, line);
}

/* Longitude span covering `metres` along the parallel at `lat` on WGS 84:
 * N(lat) cos(lat) per radian, N = a / sqrt(1 - e2 sin^2 lat). */
static double dlon_for(double metres, double lat)
{
	const double a = 6378137.0, e2 = 0.00669437999014;
	double s = sin(lat * M_PI / 180);
	double n = a / sqrt(1 - e2 * s * s);
	return metres / (n * cos(lat * M_PI / 180)) * 180 / M_PI;
}

static GEOSGeometry *square(void **state, double lon0, double lat0, double size_deg)
{
	char buf[256];
	struct tq_field_error e;
	GEOSGeometry *g;
	snprintf(buf, sizeof buf, "{\"type\":\"Polygon\",\"coordinates\":[[[%.12f,%.12f],[%.12f,%.12f],[%.12f,%.12f],"
				  "[%.12f,%.12f],[%.12f,%.12f]]]}",
		 lon0, lat0, lon0 + size_deg, lat0, lon0 + size_deg, lat0 + size_deg, lon0, lat0 + size_deg, lon0, lat0);
	assert_int_equal(parse(state, buf, ALL, &e, &g), 0);
	return g;
}

static void test_distance_between_squares_in_metres_at_33_and_60(void **state)
{
	const double lats[] = {33.0, 60.0};
	for (size_t k = 0; k < 2; k++) {
		/* Squares below `lat`; their closest points are their north-east and
		 * north-west corners, on the parallel `lat`, 900 m apart. */
		double top = lats[k];
		GEOSGeometry *a = square(state, 36.0, top - 0.01, 0.01);
		GEOSGeometry *b = square(state, 36.01 + dlon_for(900.0, top), top - 0.01, 0.01);
		double d;
		assert_int_equal(geo_distance_m(*state, a, b, &d), 0);
		assert_true(fabs(d - 900.0) < 0.5);
		assert_int_equal(geo_distance_m(*state, b, a, &d), 0);
		assert_true(fabs(d - 900.0) < 0.5);
		geo_free(*state, a);
		geo_free(*state, b);
	}
}

static void test_geojson_output_round_trips_type(void **state)
{
	struct tq_field_error e;
	GEOSGeometry *g;
	json_t *j;
	assert_int_equal(parse(state, "{\"type\":\"Polygon\",\"coordinates\":[[[35,33],[36,33],[36,34],[35,33]]]}", ALL, &e,
			       &g),
			 0);
	assert_int_equal(geo_to_geojson(*state, g, &j), 0);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "Polygon");
	assert_int_equal(json_array_size(json_array_get(json_object_get(j, "coordinates"), 0)), 4);
	json_decref(j);
	geo_free(*state, g);
}

static void test_metres_to_degrees_covers_distance_at_60(void **state)
{
	(void)state;
	double dlon, dlat;
	geo_metres_to_degrees(1000.0, 59.0, 60.0, &dlon, &dlat);
	assert_true(dlat >= 1000.0 / 110574.0);
	assert_true(dlon >= dlon_for(1000.0, 60.0 + dlat));
	assert_true(dlon < 0.02);
	geo_metres_to_degrees(1000.0, 89.5, 89.6, &dlon, &dlat);
	assert_true(dlon == 360.0);
}

/* ---- work bounds (issue 17: one request held the cell for 22 s) ---- */

/* CPU seconds since an arbitrary start: the bounds promise little work, and a
 * refusal must come long before the work it refuses would have ended. */
static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The LineString: n vertices zig-zagging between latitudes 20 and
 * 39.9 over 10 degrees of longitude. Owned JSON text. */
static char *zigzag_json(int n)
{
	size_t cap = 64 + (size_t)n * 48, len;
	char *s = malloc(cap);
	assert_non_null(s);
	len = (size_t)snprintf(s, cap, "{\"type\":\"LineString\",\"coordinates\":[");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s[%.6f,%s]", i ? "," : "", 30.0 + i * (10.0 / n),
					i % 2 ? "39.9" : "20");
	snprintf(s + len, cap - len, "]}");
	return s;
}

/* A comb: `teeth` teeth of height h degrees, each and each gap sp degrees
 * wide, as one polygon of 4 * teeth + 4 positions. Owned JSON text. */
static char *comb_json(int teeth, double sp, double h)
{
	size_t cap = 256 + (size_t)teeth * 4 * 48, len;
	char *s = malloc(cap);
	const double x0 = 36.0, y0 = 33.0;
	assert_non_null(s);
	len = (size_t)snprintf(s, cap, "{\"type\":\"Polygon\",\"coordinates\":[[[%.7f,%.7f]", x0, y0);
	for (int i = 0; i < teeth; i++) {
		double x = x0 + i * 2 * sp;
		len += (size_t)snprintf(s + len, cap - len, ",[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f]", x,
					y0 + h, x + sp, y0 + h, x + sp, y0 + 0.001, x + 2 * sp, y0 + 0.001);
	}
	snprintf(s + len, cap - len, ",[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f]]]}", x0 + teeth * 2 * sp, y0 - 0.01, x0,
		 y0 - 0.01, x0, y0);
	return s;
}

static void test_zigzag_of_9999_vertices_is_refused_before_densifying(void **state)
{
	struct tq_field_error e;
	GEOSGeometry *g, *buf = NULL;
	char *s = zigzag_json(9999);
	assert_int_equal(parse(state, s, ALL, &e, &g), 0); /* the line itself is fine */
	double t0 = cpu_s();
	/* ~10^7 vertices once densified: refused from the count alone */
	assert_int_equal(geo_buffer_m(*state, g, 0.5, &buf), TQ_ETOOBIG);
	assert_null(buf);
	assert_int_equal(geo_buffer_admit(*state, g, 0.5), TQ_ETOOBIG);
	double d;
	assert_int_equal(geo_distance_m(*state, g, g, &d), TQ_ETOOBIG);
	assert_true(cpu_s() - t0 < 1.0);
	geo_free(*state, g);
	free(s);
}

static void test_zigzag_of_100_vertices_is_refused(void **state)
{
	struct tq_field_error e;
	GEOSGeometry *g, *buf = NULL;
	char *s = zigzag_json(100); /* ~99,500 vertices densified; was accepted */
	assert_int_equal(parse(state, s, ALL, &e, &g), 0);
	assert_int_equal(geo_buffer_m(*state, g, 0.5, &buf), TQ_ETOOBIG);
	geo_free(*state, g);
	free(s);
}

static void test_zigzag_within_the_densify_bound_is_buffered(void **state)
{
	struct tq_field_error e;
	GEOSGeometry *g, *buf = NULL;
	/* 10 vertices, 9 edges of ~1.9 degrees: ~860 vertices densified */
	char *s = malloc(512);
	size_t len = (size_t)snprintf(s, 512, "{\"type\":\"LineString\",\"coordinates\":[");
	for (int i = 0; i < 10; i++)
		len += (size_t)snprintf(s + len, 512 - len, "%s[%.2f,%s]", i ? "," : "", 35.0 + i * 0.1,
					i % 2 ? "33.9" : "32");
	snprintf(s + len, 512 - len, "]}");
	assert_int_equal(parse(state, s, ALL, &e, &g), 0);
	assert_int_equal(geo_buffer_admit(*state, g, 500), 0);
	assert_int_equal(geo_buffer_m(*state, g, 500, &buf), 0);
	char valid = GEOSisValid_r(geo_ctx_geos(*state), buf);
	assert_int_equal(valid, 1);
	assert_true(GEOSGetNumCoordinates_r(geo_ctx_geos(*state), buf) > 860);
	geo_free(*state, buf);
	geo_free(*state, g);
	free(s);
}

static void test_comb_buffered_wider_than_its_gaps_is_refused_fast(void **state)
{
	struct tq_field_error e;
	GEOSGeometry *g, *buf = NULL;
	/* the 9,603-vertex comb: 2,400 teeth 1.1 km tall, 9 m apart;
	 * a 1 km buffer took 9.4-14 s and 1 GB */
	char *s = comb_json(2400, 0.0001, 0.01);
	assert_int_equal(parse(state, s, ALL, &e, &g), 0);
	assert_int_equal(GEOSGetNumCoordinates_r(geo_ctx_geos(*state), g), 9604);
	double t0 = cpu_s();
	assert_int_equal(geo_buffer_admit(*state, g, 1000), TQ_ETOOBIG);
	assert_int_equal(geo_buffer_m(*state, g, 1000, &buf), TQ_ETOOBIG);
	assert_null(buf);
	assert_true(cpu_s() - t0 < 2.0);
	/* a buffer narrower than the gaps does not fold: accepted */
	assert_int_equal(geo_buffer_m(*state, g, 1, &buf), 0);
	assert_int_equal(GEOSisValid_r(geo_ctx_geos(*state), buf), 1);
	geo_free(*state, buf);
	geo_free(*state, g);
	free(s);
}

static void test_small_comb_is_buffered(void **state)
{
	struct tq_field_error e;
	GEOSGeometry *g, *buf = NULL;
	/* 8 teeth 100 m apart, 1 km buffer: a few hundred chain pairs */
	char *s = comb_json(8, 0.001, 0.01);
	assert_int_equal(parse(state, s, ALL, &e, &g), 0);
	assert_int_equal(geo_buffer_m(*state, g, 1000, &buf), 0);
	double d = -1;
	assert_int_equal(geo_distance_m(*state, g, buf, &d), 0);
	assert_true(d == 0.0);
	geo_free(*state, buf);
	geo_free(*state, g);
	free(s);
}

static void test_buffer_too_small_for_doubles_is_invalid_not_internal(void **state)
{
	struct tq_field_error e;
	GEOSGeometry *g, *buf = NULL;
	assert_int_equal(parse(state, "{\"type\":\"Point\",\"coordinates\":[36,33]}", ALL, &e, &g), 0);
	assert_int_equal(geo_buffer_m(*state, g, 1e-300, &buf), TQ_EINVALID);
	assert_null(buf);
	geo_free(*state, g);
	assert_int_equal(parse(state, "{\"type\":\"LineString\",\"coordinates\":[[36,33],[36.1,33]]}", ALL, &e, &g),
			 0);
	assert_int_equal(geo_buffer_m(*state, g, 1e-20, &buf), TQ_EINVALID);
	assert_null(buf);
	geo_free(*state, g);
}

/* subject_from_json answers the bounds as 422 with the field. */
static int subject_rc(void **state, const char *geometry, const char *extra, struct tq_field_error *e)
{
	size_t cap = strlen(geometry) + 512;
	char *body = malloc(cap);
	assert_non_null(body);
	snprintf(body, cap,
		 "{\"kind\":\"uav\",\"geometry\":%s,%s\"altitude\":{\"min_m\":0,\"max_m\":1000},"
		 "\"window\":{\"start\":\"2030-01-01T00:00:00Z\",\"end\":\"2030-01-01T01:00:00Z\"}}",
		 geometry, extra);
	json_error_t jerr;
	json_t *j = json_loads(body, 0, &jerr);
	assert_non_null(j);
	struct subject *s = NULL;
	memset(e, 0, sizeof *e);
	int rc = subject_from_json(*state, SUBJECT_ACTIVITY, j, "act-1", "IL", 0, &s, e);
	assert_true(rc ? s == NULL : s != NULL);
	subject_free(*state, s);
	json_decref(j);
	free(body);
	return rc;
}

static void test_subject_radius_1e_300_and_width_1e_20_are_422(void **state)
{
	struct tq_field_error e;
	assert_int_equal(subject_rc(state, "{\"type\":\"Point\",\"coordinates\":[36,33]}", "\"radius_m\":1e-300,", &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "radius_m");
	assert_string_equal(e.message, "must be at least 0.01 and at most 500000 metres");
	assert_int_equal(subject_rc(state, "{\"type\":\"LineString\",\"coordinates\":[[36,33],[36.1,33]]}",
				    "\"width_m\":1e-20,", &e),
			 TQ_EINVALID);
	assert_string_equal(e.field, "width_m");
	assert_int_equal(subject_rc(state, "{\"type\":\"Point\",\"coordinates\":[36,33]}", "\"radius_m\":0.01,", &e), 0);
}

static void test_subject_zigzag_corridor_is_422_with_reason(void **state)
{
	struct tq_field_error e;
	char *s = zigzag_json(9999);
	double t0 = cpu_s();
	assert_int_equal(subject_rc(state, s, "\"width_m\":1,", &e), TQ_EINVALID);
	assert_true(cpu_s() - t0 < 2.0);
	assert_string_equal(e.field, "geometry");
	assert_non_null(strstr(e.message, "footprint too complex to buffer by width_m"));
	free(s);
}

/* Every vertex of g (closing positions included: duplicates are harmless),
 * sorted, into *xy (2 doubles each). */
static int cmp_xy(const void *pa, const void *pb)
{
	const double *a = pa, *b = pb;
	return a[0] != b[0] ? (a[0] > b[0]) - (a[0] < b[0]) : (a[1] > b[1]) - (a[1] < b[1]);
}

static size_t vertices(GEOSContextHandle_t h, const GEOSGeometry *g, double **xy)
{
	unsigned n = 0;
	GEOSGeometry *pts = GEOSGeom_extractUniquePoints_r(h, g);
	assert_non_null(pts);
	n = (unsigned)GEOSGetNumGeometries_r(h, pts);
	*xy = malloc((n ? n : 1) * 2 * sizeof **xy);
	assert_non_null(*xy);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(GEOSGeomGetX_r(h, GEOSGetGeometryN_r(h, pts, (int)i), &(*xy)[2 * i]) &&
					 GEOSGeomGetY_r(h, GEOSGetGeometryN_r(h, pts, (int)i), &(*xy)[2 * i + 1]),
				 1);
	GEOSGeom_destroy_r(h, pts);
	qsort(*xy, n, 2 * sizeof **xy, cmp_xy);
	return n;
}

/* geo_local_buffer_part(a, d, b) is geo_buffer_m(a, d) ∩ b: the same
 * vertices, bit for bit, whether b is small (the buffer is cut near it
 * first), larger than the cut applies to, or out of reach (empty). */
static void test_local_buffer_part_equals_buffer_intersection(void **state)
{
	GEOSContextHandle_t h = geo_ctx_geos(*state);
	struct tq_field_error e;
	GEOSGeometry *a, *buf;
	char ring[4096];
	size_t len = 0;
	/* a star of 24 vertices, ~16 km across, round 36.2 E 33.3 N */
	len += (size_t)snprintf(ring + len, sizeof ring - len, "{\"type\":\"Polygon\",\"coordinates\":[[");
	for (int i = 0; i <= 24; i++) {
		double t = 2 * M_PI * (i % 24) / 24, r = i % 2 ? 0.05 : 0.08;
		len += (size_t)snprintf(ring + len, sizeof ring - len, "%s[%.10f,%.10f]", i ? "," : "",
					36.2 + r * cos(t) * 1.2, 33.3 + r * sin(t));
	}
	snprintf(ring + len, sizeof ring - len, "]]}");
	assert_int_equal(parse(state, ring, ALL, &e, &a), 0);
	assert_int_equal(geo_buffer_m(*state, a, 1000.0, &buf), 0);
	struct geo_local *l = NULL;
	assert_int_equal(geo_local_new(*state, a, &l), 0);
	const double boxes[][4] = {
		{36.29, 33.29, 36.31, 33.31},     /* across the buffer's edge, east */
		{36.13, 33.33, 36.16, 33.36},     /* across a notch of the star */
		{36.15, 33.25, 36.25, 33.35},     /* inside a */
		{35.5, 32.6, 37.0, 34.0},         /* more than a degree: not cut */
		{36.60, 33.60, 36.62, 33.62},     /* out of reach */
	};
	for (size_t k = 0; k < sizeof boxes / sizeof boxes[0]; k++) {
		const double *bb = boxes[k];
		GEOSGeometry *b = NULL, *part = NULL;
		char js[512];
		snprintf(js, sizeof js,
			 "{\"type\":\"Polygon\",\"coordinates\":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}",
			 bb[0], bb[1], bb[2], bb[1], bb[2], bb[3], bb[0], bb[3], bb[0], bb[1]);
		assert_int_equal(parse(state, js, ALL, &e, &b), 0);
		assert_int_equal(geo_local_buffer_part(*state, l, 1000.0, b, &part), 0);
		GEOSGeometry *full = GEOSIntersection_r(h, buf, b);
		assert_non_null(full);
		assert_int_equal(GEOSisEmpty_r(h, part), GEOSisEmpty_r(h, full));
		double *xa, *xb;
		size_t na = vertices(h, part, &xa), nb = vertices(h, full, &xb);
		assert_int_equal(na, nb);
		for (size_t i = 0; i < 2 * na; i++)
			assert_true(xa[i] == xb[i]);
		print_message("box %zu: %zu vertices\n", k, na);
		if (k < 4)
			assert_true(na >= 4);
		free(xa);
		free(xb);
		geo_free(*state, part);
		geo_free(*state, full);
		geo_free(*state, b);
	}
	geo_local_free(*state, l);
	geo_free(*state, buf);
	geo_free(*state, a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_polygon_is_accepted),
		cmocka_unit_test(test_multipolygon_is_accepted),
		cmocka_unit_test(test_polygon_with_hole_is_accepted),
		cmocka_unit_test(test_coordinates_string_is_malformed),
		cmocka_unit_test(test_position_with_string_is_malformed_with_path),
		cmocka_unit_test(test_missing_type_is_malformed),
		cmocka_unit_test(test_missing_coordinates_is_malformed),
		cmocka_unit_test(test_type_not_allowed_is_invalid),
		cmocka_unit_test(test_self_intersecting_polygon_is_invalid_with_reason),
		cmocka_unit_test(test_unclosed_ring_is_invalid),
		cmocka_unit_test(test_ring_of_three_positions_is_invalid),
		cmocka_unit_test(test_latitude_91_is_invalid_with_path),
		cmocka_unit_test(test_longitude_181_is_invalid),
		cmocka_unit_test(test_10000_vertices_are_accepted),
		cmocka_unit_test(test_10001_vertices_are_invalid),
		cmocka_unit_test(test_antimeridian_polygon_is_invalid),
		cmocka_unit_test(test_continent_sized_footprint_is_invalid),
		cmocka_unit_test(test_empty_multipolygon_is_invalid),
		cmocka_unit_test(test_overlapping_multipolygon_parts_are_invalid),
		cmocka_unit_test(test_one_position_linestring_is_invalid),
		cmocka_unit_test(test_point_buffer_contains_true_circle),
		cmocka_unit_test(test_corridor_buffer_is_half_width_each_side),
		cmocka_unit_test(test_distance_between_squares_in_metres_at_33_and_60),
		cmocka_unit_test(test_local_buffer_part_equals_buffer_intersection),
		cmocka_unit_test(test_geojson_output_round_trips_type),
		cmocka_unit_test(test_metres_to_degrees_covers_distance_at_60),
		cmocka_unit_test(test_zigzag_of_9999_vertices_is_refused_before_densifying),
		cmocka_unit_test(test_zigzag_of_100_vertices_is_refused),
		cmocka_unit_test(test_zigzag_within_the_densify_bound_is_buffered),
		cmocka_unit_test(test_comb_buffered_wider_than_its_gaps_is_refused_fast),
		cmocka_unit_test(test_small_comb_is_buffered),
		cmocka_unit_test(test_buffer_too_small_for_doubles_is_invalid_not_internal),
		cmocka_unit_test(test_subject_radius_1e_300_and_width_1e_20_are_422),
		cmocka_unit_test(test_subject_zigzag_corridor_is_422_with_reason),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
