/*
 * subject — what the conflict engine reasons about: a zone, a deployment or an
 * activity, reduced to a 4-D volume (footprint in lon/lat, altitude band in
 * metres AMSL, time window [start, end) with open ends TQ_TIME_MIN/MAX) plus
 * the few facts the rules need (kind, status, parties, caps or strength).
 *
 * subject_from_json parses and validates the full API body of a zone,
 * deployment or activity (api.md) and is the only way to make one from
 * outside input. TQ_EMALFORMED ("400") for a missing field or a wrong JSON
 * type, TQ_EINVALID ("422") for a well-formed but invalid value; `err` names
 * the field ("altitude.min_m", "geometry.coordinates[0][3]"). Unknown
 * top-level fields are ignored (the server's own, e.g. "type", pass through).
 *
 * Choices where api.md is silent:
 * - Footprints are areal where a size is given: Point + radius_m and a
 *   LineString corridor (width_m, round ends) are buffered in metres (geo.h).
 *   A deployment may be a bare Point (radius_m is optional for it).
 * - A zone without "altitude" and every deployment cover the whole band
 *   [TQ_MIN_ALTITUDE_M, TQ_MAX_ALTITUDE_M]. A zone without "valid" is valid
 *   forever; a deployment without "valid" or "valid.from" starts at `now`.
 * - "caps" is accepted only on limitation zones; a missing cap field is no cap.
 * - demilitarized and limitation zones start ZONE_PROPOSED, the other kinds
 *   ZONE_IN_FORCE; "owner" defaults to the declaring party.
 */
#ifndef TQ_SUBJECT_H
#define TQ_SUBJECT_H

#include <geos_c.h>
#include <jansson.h>
#include <stdint.h>
#include "core/fielderr.h"
#include "core/geo.h"
#include "core/tqerr.h"
#include "core/tqtime.h"

#define SUBJECT_PARTY_BYTES 9 /* [A-Z0-9]{2,8} + NUL */

enum subject_type { SUBJECT_ZONE, SUBJECT_DEPLOYMENT, SUBJECT_ACTIVITY };
enum zone_kind {
	ZONE_DEMILITARIZED,
	ZONE_LIMITATION,
	ZONE_INFLUENCE,
	ZONE_BASE,
	ZONE_PROTECTED_SITE,
	ZONE_RESTRICTED_AIRSPACE,
};
enum zone_status { ZONE_PROPOSED, ZONE_IN_FORCE, ZONE_REJECTED, ZONE_WITHDRAWN };
enum activity_kind { ACT_AIR_SORTIE, ACT_STRIKE, ACT_UAV, ACT_GROUND_MOVEMENT, ACT_NAVAL, ACT_EXERCISE };
/* Order of the strength / caps fields: troops, tanks, artillery, air_defense. */
enum strength_field { STRENGTH_TROOPS, STRENGTH_TANKS, STRENGTH_ARTILLERY, STRENGTH_AIR_DEFENSE, STRENGTH_COUNT };

#define SUBJECT_NO_CAP (-1)

struct subject {
	enum subject_type type;
	int kind;                /* enum zone_kind or enum activity_kind; 0 for deployments */
	enum zone_status status; /* zones; ZONE_IN_FORCE for the others */
	char *id;                /* owned */
	char party[SUBJECT_PARTY_BYTES]; /* declaring party */
	char owner[SUBJECT_PARTY_BYTES]; /* zones: owner; others: = party */
	int64_t strength[STRENGTH_COUNT]; /* deployment strength; zone caps (SUBJECT_NO_CAP) */
	double alt_min, alt_max;
	tq_time start, end;      /* [start, end) */
	GEOSGeometry *footprint; /* owned; lon/lat; buffered for radius_m / width_m */

	/* Private to the engine: bounding box, cached prepared footprint, index
	 * bookkeeping. Zeroed by subject_from_json. */
	double bbox[4]; /* minx, miny, maxx, maxy */
	const GEOSPreparedGeometry *prepared;
	uint32_t level_pos;
	int level; /* -1 when not indexed */
};

/* Parses and validates `body` (borrowed). `id` and `party` (the declaring
 * party) are copied. On success *out is owned; free with subject_free(). */
TQ_MUST_USE int subject_from_json(struct geo_ctx *geo, enum subject_type type, const json_t *body, const char *id,
				  const char *party, tq_time now, struct subject **out, struct tq_field_error *err);
/* NULL-safe. */
void subject_free(struct geo_ctx *geo, struct subject *s);

/* Names as in api.md ("zone", "limitation", "in_force", "strike", "troops").
 * The *_parse functions return -1 for an unknown name. */
const char *subject_type_name(enum subject_type t);
const char *zone_kind_name(enum zone_kind k);
const char *zone_status_name(enum zone_status s);
const char *activity_kind_name(enum activity_kind k);
const char *strength_field_name(enum strength_field f);
int zone_kind_parse(const char *s);
int zone_status_parse(const char *s);
int activity_kind_parse(const char *s);

/* True for "[A-Z0-9]{2,8}". */
int subject_party_valid(const char *s);

#endif
