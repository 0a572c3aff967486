/*
 * fuzz_geo — GeoJSON geometries from request bodies: jansson parse with
 * JSON_REJECT_DUPLICATES (as src/server/http.c), geo_parse allowing every
 * type, then the metric operations the engine runs on what was accepted.
 *
 * Promises checked (geo.h): a refused geometry comes with a message; an
 * accepted one is written back by geo_to_geojson as a geometry geo_parse
 * accepts again with the same type; a 1 km buffer succeeds and contains the
 * geometry (distance 0), or is refused within its work bounds (TQ_ETOOBIG,
 * limits.h) exactly when geo_buffer_admit refuses it; distances are finite
 * and >= 0.
 */
#include "fuzz_common.h"

#include <math.h>
#include <jansson.h>

#include "core/geo.h"

#define ALL_TYPES (GEO_POINT | GEO_LINESTRING | GEO_POLYGON | GEO_MULTIPOLYGON)

static struct geo_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = geo_ctx_new();
	if (!ctx)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!in)
		return 0;

	GEOSGeometry *g = NULL, *g2 = NULL, *buf = NULL;
	json_t *out = NULL;
	enum geo_type type = 0, type2 = 0;
	struct tq_field_error fe = {{0}, {0}};
	int rc = geo_parse(ctx, in, ALL_TYPES, "geometry", &g, &type, &fe);
	if (rc != TQ_OK) {
		FUZZ_CHECK(rc == TQ_EMALFORMED || rc == TQ_EINVALID || rc == TQ_ETOOBIG, "unexpected error %d", rc);
		FUZZ_CHECK(g == NULL, "output written on failure");
		FUZZ_CHECK(fe.message[0] != '\0', "refused without a message");
		goto out;
	}
	FUZZ_CHECK(g != NULL && (type & ALL_TYPES) && !(type & (type - 1)), "bad type %d", (int)type);

	rc = geo_to_geojson(ctx, g, &out);
	FUZZ_CHECK(rc == TQ_OK, "geo_to_geojson failed (%d)", rc);
	rc = geo_parse(ctx, out, ALL_TYPES, "geometry", &g2, &type2, &fe);
	if (rc != TQ_OK) {
		char *txt = json_dumps(out, JSON_COMPACT);
		FUZZ_CHECK(0, "own GeoJSON refused: %s: %s: %.300s", fe.field, fe.message, txt ? txt : "?");
	}
	FUZZ_CHECK(type2 == type, "type %d became %d", (int)type, (int)type2);

	/* geo_buffer_admit answers what geo_buffer_m does, without the work */
	int admit = geo_buffer_admit(ctx, g, 1000.0);
	rc = geo_buffer_m(ctx, g, 1000.0, &buf);
	FUZZ_CHECK(rc == TQ_OK || rc == TQ_EINVALID || rc == TQ_ETOOBIG, "geo_buffer_m failed (%d)", rc);
	FUZZ_CHECK(admit == rc, "geo_buffer_admit said %d, geo_buffer_m %d", admit, rc);
	FUZZ_CHECK(rc == TQ_OK || buf == NULL, "output written on failure");
	if (rc == TQ_OK) {
		double d = -1;
		FUZZ_CHECK(buf != NULL, "no buffer");
		/* the buffer may have more vertices to densify than its geometry */
		rc = geo_distance_m(ctx, g, buf, &d);
		FUZZ_CHECK(rc == TQ_OK || rc == TQ_ETOOBIG, "geo_distance_m failed (%d)", rc);
		FUZZ_CHECK(rc != TQ_OK || d == 0.0, "a 1 km buffer does not touch its geometry: %g m", d);
	}
out:
	geo_free(ctx, g);
	geo_free(ctx, g2);
	geo_free(ctx, buf);
	json_decref(out);
	json_decref(in);
	return 0;
}
