/*
 * geo — GeoJSON footprints (RFC 7946, WGS 84 lon/lat) as GEOS geometries, and
 * metric operations on them.
 *
 * Promises:
 * - geo_parse validates before it builds anything: JSON shape (TQ_EMALFORMED,
 *   "400"), then the vertex cap TQ_MAX_VERTICES counted on the JSON, finite
 *   coordinates within lon [-180,180] lat [-90,90], ring closure (>= 4
 *   positions), no longitude span over 180° ("antimeridian not supported"),
 *   and OGC validity (GEOSisValidDetail: the reason is answered, never
 *   repaired) — all TQ_EINVALID ("422"). Errors name the field path, e.g.
 *   "geometry.coordinates[0][3]"; messages are shown to users.
 * - Metres are metres: buffers and distances are computed in a local
 *   azimuthal-equidistant projection (PROJ, +proj=aeqd on the WGS 84
 *   ellipsoid) centred on the geometry's bounding-box centre rounded to 0.1°
 *   (projections are cached per ctx; the rounding costs < 1 mm). Buffers are
 *   circumscribed (arc chords pushed outwards), so a buffer CONTAINS every
 *   point within the distance (lessons.md, DSS circles); the overshoot is below
 *   0.5 % of the distance. Edges are densified to GEO_DENSIFY_DEG first so
 *   that straight lon/lat edges (RFC 7946) stay where they are.
 *
 * A geo_ctx holds one GEOS handle and one PROJ context; it is not thread-safe:
 * create one per thread. Geometries made with one ctx are freed with it.
 */
#ifndef TQ_GEO_H
#define TQ_GEO_H

#include <geos_c.h>
#include <jansson.h>
#include "core/fielderr.h"
#include "core/tqerr.h"

/* Segments per quarter circle for buffers (GEOS quadsegs). */
#define GEO_QUADSEGS 8
/* Maximum edge length, in degrees, before projecting for a metric buffer. */
#define GEO_DENSIFY_DEG 0.02
/* Footprints stay out of the polar caps: positions within ±85°, buffered
 * footprints within ±88° (a buffer there spans every longitude). */
#define GEO_MAX_ABS_LAT 85.0
#define GEO_MAX_BUFFERED_ABS_LAT 88.0
/* Largest extent of one footprint in longitude or latitude (see geo_parse). */
#define GEO_MAX_SPAN_DEG 20.0

enum geo_type {
	GEO_POINT = 1u << 0,
	GEO_LINESTRING = 1u << 1,
	GEO_POLYGON = 1u << 2,
	GEO_MULTIPOLYGON = 1u << 3,
};

struct geo_ctx;

/* Returns owned (NULL when out of memory); free with geo_ctx_free(). */
struct geo_ctx *geo_ctx_new(void);
void geo_ctx_free(struct geo_ctx *ctx);
/* Borrowed GEOS handle, for callers that use GEOS directly. */
GEOSContextHandle_t geo_ctx_geos(struct geo_ctx *ctx);

/* Validates `geometry` (borrowed) and builds it unchanged in lon/lat.
 * `allowed` is a mask of enum geo_type; `field` prefixes error paths (e.g.
 * "geometry"). On success *out is owned (free with geo_free) and *type_out is
 * the enum geo_type found. On failure nothing is allocated and err says why. */
TQ_MUST_USE int geo_parse(struct geo_ctx *ctx, const json_t *geometry, unsigned allowed, const char *field,
			  GEOSGeometry **out, enum geo_type *type_out, struct tq_field_error *err);

/* Every point within dist_m metres (> 0) of g, as a polygon in lon/lat,
 * circumscribed. *out is owned. The work is bounded before it is done
 * (limits.h): TQ_ETOOBIG when densifying g would give more than
 * TQ_MAX_DENSE_VERTICES vertices or the buffer's offset curves could cross
 * in more than TQ_MAX_BUFFER_CHAIN_PAIRS places; TQ_EINVALID when the buffer
 * would reach the polar caps or ±180°, or is empty (a distance too small). */
TQ_MUST_USE int geo_buffer_m(struct geo_ctx *ctx, const GEOSGeometry *g, double dist_m, GEOSGeometry **out);
/* geo_buffer_m's answer but for the empty case, without building the buffer
 * (densifies and projects g: O(vertices)). */
TQ_MUST_USE int geo_buffer_admit(struct geo_ctx *ctx, const GEOSGeometry *g, double dist_m);

/* Minimum horizontal distance in metres between a and b, measured in the
 * aeqd projection centred on a. 0 when they intersect. TQ_ETOOBIG as
 * geo_buffer_m past TQ_MAX_DENSE_VERTICES. */
TQ_MUST_USE int geo_distance_m(struct geo_ctx *ctx, const GEOSGeometry *a, const GEOSGeometry *b, double *out);

/* geo_distance_m from one geometry a to many: a is densified, projected
 * (aeqd centred on a, as geo_distance_m and geo_buffer_m) and prepared once.
 * *out owned; free with geo_local_free (NULL-safe). a is not kept. */
struct geo_local;
TQ_MUST_USE int geo_local_new(struct geo_ctx *ctx, const GEOSGeometry *a, struct geo_local **out);
void geo_local_free(struct geo_ctx *ctx, struct geo_local *l);
/* The distance in metres from a to b in a's projection (b densified too). */
TQ_MUST_USE int geo_local_distance_m(struct geo_ctx *ctx, struct geo_local *l, const GEOSGeometry *b,
				     double *out);

/* b ∩ geo_buffer_m(a, dist_m) (a as given to geo_local_new): the part of b
 * within dist_m of a, the same set with the same vertices (up to the last
 * bit of the overlay's own intersection points), for less: the planar buffer
 * is built once per geo_local and, for b up to 1 degree across, cut to b's
 * neighbourhood before its inverse projection. Errors as geo_buffer_m. *out
 * owned (empty when they do not meet). */
TQ_MUST_USE int geo_local_buffer_part(struct geo_ctx *ctx, struct geo_local *l, double dist_m, const GEOSGeometry *b,
				      GEOSGeometry **out);

/* GeoJSON geometry object for g. *out is owned (json_decref). */
TQ_MUST_USE int geo_to_geojson(struct geo_ctx *ctx, const GEOSGeometry *g, json_t **out);

/* Degrees of longitude and latitude that certainly cover dist_m metres
 * anywhere within [min_lat, max_lat]; for bounding boxes only. dlon is 360
 * near the poles. */
void geo_metres_to_degrees(double dist_m, double min_lat, double max_lat, double *dlon, double *dlat);

/* NULL-safe. */
void geo_free(struct geo_ctx *ctx, GEOSGeometry *g);

#endif
