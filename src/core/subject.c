#include "core/subject.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"

static const char *const type_names[] = {"zone", "deployment", "activity"};
static const char *const zone_kind_names[] = {"demilitarized",  "limitation",    "influence",
					      "base",           "protected_site", "restricted_airspace"};
static const char *const zone_status_names[] = {"proposed", "in_force", "rejected", "withdrawn"};
static const char *const activity_kind_names[] = {"air_sortie", "strike", "uav", "ground_movement", "naval", "exercise"};
static const char *const strength_names[] = {"troops", "tanks", "artillery", "air_defense"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

const char *subject_type_name(enum subject_type t)
{
	return (unsigned)t < NELEM(type_names) ? type_names[t] : "?";
}
const char *zone_kind_name(enum zone_kind k)
{
	return (unsigned)k < NELEM(zone_kind_names) ? zone_kind_names[k] : "?";
}
const char *zone_status_name(enum zone_status s)
{
	return (unsigned)s < NELEM(zone_status_names) ? zone_status_names[s] : "?";
}
const char *activity_kind_name(enum activity_kind k)
{
	return (unsigned)k < NELEM(activity_kind_names) ? activity_kind_names[k] : "?";
}
const char *strength_field_name(enum strength_field f)
{
	return (unsigned)f < NELEM(strength_names) ? strength_names[f] : "?";
}
int zone_kind_parse(const char *s)
{
	return name_index(zone_kind_names, NELEM(zone_kind_names), s);
}
int zone_status_parse(const char *s)
{
	return name_index(zone_status_names, NELEM(zone_status_names), s);
}
int activity_kind_parse(const char *s)
{
	return name_index(activity_kind_names, NELEM(activity_kind_names), s);
}

int subject_party_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 2 || n > 8)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

void subject_free(struct geo_ctx *geo, struct subject *s)
{
	if (!s)
		return;
	if (s->prepared)
		GEOSPreparedGeom_destroy_r(geo_ctx_geos(geo), s->prepared);
	geo_free(geo, s->footprint);
	free(s->id);
	free(s);
}

/* ---- field readers: 400 for missing/wrong type, 422 for bad values ---- */

static const json_t *field(const json_t *obj, const char *key, const char *path, int required, int *rc,
			   struct tq_field_error *err)
{
	const json_t *v = json_object_get(obj, key);
	if (v && json_is_null(v))
		v = NULL; /* null means absent */
	if (!v && required) {
		TQ_FIELD_ERROR(err, path, "required");
		*rc = TQ_EMALFORMED;
	}
	return v;
}

static int read_string(const json_t *obj, const char *key, const char *path, int required, size_t max_bytes,
		       const char **out, struct tq_field_error *err)
{
	int rc = 0;
	const json_t *v = field(obj, key, path, required, &rc, err);
	*out = NULL;
	if (!v)
		return rc;
	if (!json_is_string(v)) {
		TQ_FIELD_ERROR(err, path, "must be a string");
		return TQ_EMALFORMED;
	}
	size_t len = json_string_length(v);
	if (len == 0 || len > max_bytes) {
		TQ_FIELD_ERROR(err, path, "must be 1 to %zu bytes", max_bytes);
		return TQ_EINVALID;
	}
	if (strlen(json_string_value(v)) != len) {
		TQ_FIELD_ERROR(err, path, "must not contain NUL");
		return TQ_EINVALID;
	}
	*out = json_string_value(v);
	return 0;
}

static int read_enum(const json_t *obj, const char *key, const char *const *names, size_t n, int *out,
		     struct tq_field_error *err)
{
	const char *s;
	int rc = read_string(obj, key, key, 1, 64, &s, err);
	if (rc == TQ_EINVALID) {
		TQ_FIELD_ERROR(err, key, "unknown %s", key);
		return rc;
	}
	if (rc)
		return rc;
	if ((*out = name_index(names, n, s)) < 0) {
		TQ_FIELD_ERROR(err, key, "unknown %s \"%.64s\"", key, s);
		return TQ_EINVALID;
	}
	return 0;
}

/* A finite number; *present tells whether it was there. */
static int read_number(const json_t *obj, const char *key, const char *path, int required, double *out, int *present,
		       struct tq_field_error *err)
{
	int rc = 0;
	const json_t *v = field(obj, key, path, required, &rc, err);
	*present = v != NULL;
	if (!v)
		return rc;
	if (!json_is_number(v)) {
		TQ_FIELD_ERROR(err, path, "must be a number");
		return TQ_EMALFORMED;
	}
	*out = json_number_value(v);
	if (!isfinite(*out)) {
		TQ_FIELD_ERROR(err, path, "must be finite");
		return TQ_EINVALID;
	}
	return 0;
}

static int read_time(const json_t *obj, const char *key, const char *path, int required, tq_time *out, int *present,
		     struct tq_field_error *err)
{
	const char *s;
	int rc = read_string(obj, key, path, required, TQTIME_BUFSZ * 2, &s, err);
	*present = 0;
	if (rc == TQ_EINVALID) {
		TQ_FIELD_ERROR(err, path, "must be an RFC 3339 date-time");
		return rc;
	}
	if (rc || !s)
		return rc;
	if (tqtime_parse(s, out)) {
		TQ_FIELD_ERROR(err, path, "must be an RFC 3339 date-time");
		return TQ_EINVALID;
	}
	*present = 1;
	return 0;
}

static int read_object(const json_t *obj, const char *key, int required, const json_t **out,
		       struct tq_field_error *err)
{
	int rc = 0;
	*out = field(obj, key, key, required, &rc, err);
	if (*out && !json_is_object(*out)) {
		TQ_FIELD_ERROR(err, key, "must be an object");
		return TQ_EMALFORMED;
	}
	return rc;
}

/* "altitude": {"min_m", "max_m"} → band within the contract's limits. */
static int read_altitude(const json_t *body, int required, struct subject *s, struct tq_field_error *err)
{
	const json_t *alt;
	int rc, present;
	s->alt_min = TQ_MIN_ALTITUDE_M;
	s->alt_max = TQ_MAX_ALTITUDE_M;
	if ((rc = read_object(body, "altitude", required, &alt, err)) || !alt)
		return rc;
	if ((rc = read_number(alt, "min_m", "altitude.min_m", 1, &s->alt_min, &present, err)) ||
	    (rc = read_number(alt, "max_m", "altitude.max_m", 1, &s->alt_max, &present, err)))
		return rc;
	if (s->alt_min < TQ_MIN_ALTITUDE_M || s->alt_min > TQ_MAX_ALTITUDE_M) {
		TQ_FIELD_ERROR(err, "altitude.min_m", "must be within [%g, %g]", TQ_MIN_ALTITUDE_M, TQ_MAX_ALTITUDE_M);
		return TQ_EINVALID;
	}
	if (s->alt_max < TQ_MIN_ALTITUDE_M || s->alt_max > TQ_MAX_ALTITUDE_M) {
		TQ_FIELD_ERROR(err, "altitude.max_m", "must be within [%g, %g]", TQ_MIN_ALTITUDE_M, TQ_MAX_ALTITUDE_M);
		return TQ_EINVALID;
	}
	if (s->alt_min > s->alt_max) {
		TQ_FIELD_ERROR(err, "altitude.max_m", "must not be below altitude.min_m");
		return TQ_EINVALID;
	}
	return 0;
}

/* A window object `key` with fields `from_key`/`until_key`. */
static int read_window(const json_t *body, const char *key, const char *from_key, const char *until_key,
		       int required, int from_required, int until_required, struct subject *s,
		       struct tq_field_error *err)
{
	const json_t *w;
	char pf[64], pu[64];
	int rc, present;
	s->start = TQ_TIME_MIN;
	s->end = TQ_TIME_MAX;
	if ((rc = read_object(body, key, required, &w, err)) || !w)
		return rc;
	snprintf(pf, sizeof pf, "%s.%s", key, from_key);
	snprintf(pu, sizeof pu, "%s.%s", key, until_key);
	if ((rc = read_time(w, from_key, pf, from_required, &s->start, &present, err)) ||
	    (rc = read_time(w, until_key, pu, until_required, &s->end, &present, err)))
		return rc;
	if (s->end <= s->start) {
		TQ_FIELD_ERROR(err, pu, "must be after %s", pf);
		return TQ_EINVALID;
	}
	return 0;
}

/* "strength" or "caps": non-negative integers; unknown members are refused. */
static int read_counts(const json_t *obj, const char *key, int64_t absent, int64_t out[STRENGTH_COUNT],
		       struct tq_field_error *err)
{
	const char *k;
	const json_t *v;
	char path[96];
	for (int i = 0; i < STRENGTH_COUNT; i++)
		out[i] = absent;
	json_object_foreach((json_t *)obj, k, v) {
		snprintf(path, sizeof path, "%s.%.64s", key, k);
		int f = name_index(strength_names, NELEM(strength_names), k);
		if (f < 0) {
			TQ_FIELD_ERROR(err, path, "unknown field; expected troops, tanks, artillery or air_defense");
			return TQ_EINVALID;
		}
		if (json_is_null(v))
			continue;
		if (!json_is_integer(v)) {
			TQ_FIELD_ERROR(err, path, "must be an integer");
			return TQ_EMALFORMED;
		}
		if (json_integer_value(v) < 0) {
			TQ_FIELD_ERROR(err, path, "must not be negative");
			return TQ_EINVALID;
		}
		out[f] = json_integer_value(v);
	}
	return 0;
}

/* radius_m / width_m: positive metres up to TQ_MAX_BUFFER_M. */
static int read_size(const json_t *body, const char *key, double *out, int *present, struct tq_field_error *err)
{
	int rc = read_number(body, key, key, 0, out, present, err);
	if (rc || !*present)
		return rc;
	if (!(*out >= TQ_MIN_BUFFER_M) || *out > TQ_MAX_BUFFER_M) {
		TQ_FIELD_ERROR(err, key, "must be at least %g and at most %g metres", TQ_MIN_BUFFER_M, TQ_MAX_BUFFER_M);
		return TQ_EINVALID;
	}
	return 0;
}

/* geometry + radius_m / width_m → footprint. */
static int read_footprint(struct geo_ctx *geo, const json_t *body, unsigned allowed, int radius_required,
			  struct subject *s, struct tq_field_error *err)
{
	double radius = 0, width = 0;
	int has_radius, has_width, rc;
	enum geo_type type;
	GEOSGeometry *raw = NULL;
	const json_t *g = json_object_get(body, "geometry");

	if (!g || json_is_null(g)) {
		TQ_FIELD_ERROR(err, "geometry", "required");
		return TQ_EMALFORMED;
	}
	if ((rc = read_size(body, "radius_m", &radius, &has_radius, err)))
		return rc;
	if ((allowed & GEO_LINESTRING) && (rc = read_size(body, "width_m", &width, &has_width, err)))
		return rc;
	if (!(allowed & GEO_LINESTRING))
		has_width = 0;
	if ((rc = geo_parse(geo, g, allowed, "geometry", &raw, &type, err)))
		return rc;
	if (type == GEO_POINT && radius_required && !has_radius) {
		TQ_FIELD_ERROR(err, "radius_m", "required for a Point geometry");
		rc = TQ_EINVALID;
		goto fail;
	}
	if (type != GEO_POINT && has_radius) {
		TQ_FIELD_ERROR(err, "radius_m", "only allowed with a Point geometry");
		rc = TQ_EINVALID;
		goto fail;
	}
	if (type == GEO_LINESTRING && !has_width) {
		TQ_FIELD_ERROR(err, "width_m", "required for a LineString corridor");
		rc = TQ_EINVALID;
		goto fail;
	}
	if (type != GEO_LINESTRING && has_width) {
		TQ_FIELD_ERROR(err, "width_m", "only allowed with a LineString geometry");
		rc = TQ_EINVALID;
		goto fail;
	}
	if (type == GEO_POINT && has_radius)
		rc = geo_buffer_m(geo, raw, radius, &s->footprint);
	else if (type == GEO_LINESTRING)
		rc = geo_buffer_m(geo, raw, width / 2, &s->footprint);
	else {
		s->footprint = raw;
		raw = NULL;
	}
	if (rc == TQ_ETOOBIG) {
		TQ_FIELD_ERROR(err, "geometry",
			       "footprint too complex to buffer by %s: more than %d vertices once edges are cut to "
			       "%g degrees, or edges folded within the buffer's width of each other; use fewer, "
			       "shorter edges or split it",
			       type == GEO_POINT ? "radius_m" : "width_m", TQ_MAX_DENSE_VERTICES, GEO_DENSIFY_DEG);
		rc = TQ_EINVALID;
	} else if (rc) {
		TQ_FIELD_ERROR(err, "geometry", rc == TQ_EINVALID
				? "the buffered footprint would reach beyond 88 degrees of latitude or across 180 degrees of longitude"
				: "cannot compute the footprint");
		rc = TQ_EINVALID;
	}
fail:
	geo_free(geo, raw);
	return rc;
}

static int parse_zone(struct geo_ctx *geo, const json_t *body, struct subject *s, struct tq_field_error *err)
{
	const char *name, *owner;
	const json_t *caps;
	int rc;
	if ((rc = read_enum(body, "kind", zone_kind_names, NELEM(zone_kind_names), &s->kind, err)) ||
	    (rc = read_string(body, "name", "name", 1, TQ_MAX_NAME_BYTES, &name, err)) ||
	    (rc = read_footprint(geo, body, GEO_POLYGON | GEO_MULTIPOLYGON, 0, s, err)) ||
	    (rc = read_altitude(body, 0, s, err)) ||
	    (rc = read_window(body, "valid", "from", "until", 0, 0, 0, s, err)) ||
	    (rc = read_string(body, "owner", "owner", 0, 8, &owner, err)) ||
	    (rc = read_object(body, "caps", 0, &caps, err)))
		return rc;
	if (owner) {
		if (!subject_party_valid(owner)) {
			TQ_FIELD_ERROR(err, "owner", "must be a party id ([A-Z0-9]{2,8})");
			return TQ_EINVALID;
		}
		snprintf(s->owner, sizeof s->owner, "%s", owner);
	}
	if (caps && s->kind != ZONE_LIMITATION) {
		TQ_FIELD_ERROR(err, "caps", "only allowed on a limitation zone");
		return TQ_EINVALID;
	}
	for (int i = 0; i < STRENGTH_COUNT; i++)
		s->strength[i] = SUBJECT_NO_CAP;
	if (caps && (rc = read_counts(caps, "caps", SUBJECT_NO_CAP, s->strength, err)))
		return rc;
	s->status = (s->kind == ZONE_DEMILITARIZED || s->kind == ZONE_LIMITATION) ? ZONE_PROPOSED : ZONE_IN_FORCE;
	return 0;
}

static int parse_deployment(struct geo_ctx *geo, const json_t *body, tq_time now, struct subject *s,
			    struct tq_field_error *err)
{
	const char *unit;
	const json_t *strength;
	int rc;
	if ((rc = read_string(body, "unit", "unit", 1, TQ_MAX_NAME_BYTES, &unit, err)) ||
	    (rc = read_footprint(geo, body, GEO_POINT | GEO_POLYGON, 0, s, err)) ||
	    (rc = read_object(body, "strength", 1, &strength, err)) ||
	    (rc = read_counts(strength, "strength", 0, s->strength, err)) ||
	    (rc = read_window(body, "valid", "from", "until", 0, 0, 0, s, err)))
		return rc;
	if (s->start == TQ_TIME_MIN) {
		s->start = now;
		if (s->end <= s->start) {
			TQ_FIELD_ERROR(err, "valid.until", "must be after valid.from (now)");
			return TQ_EINVALID;
		}
	}
	s->alt_min = TQ_MIN_ALTITUDE_M;
	s->alt_max = TQ_MAX_ALTITUDE_M;
	s->status = ZONE_IN_FORCE;
	return 0;
}

static int parse_activity(struct geo_ctx *geo, const json_t *body, struct subject *s, struct tq_field_error *err)
{
	const char *description;
	int rc;
	if ((rc = read_enum(body, "kind", activity_kind_names, NELEM(activity_kind_names), &s->kind, err)) ||
	    (rc = read_footprint(geo, body, GEO_POLYGON | GEO_LINESTRING | GEO_POINT, 1, s, err)) ||
	    (rc = read_altitude(body, 1, s, err)) ||
	    (rc = read_window(body, "window", "start", "end", 1, 1, 1, s, err)) ||
	    (rc = read_string(body, "description", "description", 0, TQ_MAX_TEXT_BYTES, &description, err)))
		return rc;
	s->status = ZONE_IN_FORCE;
	return 0;
}

int subject_from_json(struct geo_ctx *geo, enum subject_type type, const json_t *body, const char *id,
		      const char *party, tq_time now, struct subject **out, struct tq_field_error *err)
{
	struct subject *s = NULL;
	int rc;

	*out = NULL;
	if (!json_is_object(body)) {
		TQ_FIELD_ERROR(err, "", "body must be a JSON object");
		return TQ_EMALFORMED;
	}
	if (!id || !party || !subject_party_valid(party)) {
		TQ_FIELD_ERROR(err, "", "internal: bad id or party");
		return TQ_EINTERNAL;
	}
	if (!(s = calloc(1, sizeof *s)) || !(s->id = strdup(id))) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	s->type = type;
	s->level = -1;
	snprintf(s->party, sizeof s->party, "%s", party);
	snprintf(s->owner, sizeof s->owner, "%s", party);
	switch (type) {
	case SUBJECT_ZONE:
		rc = parse_zone(geo, body, s, err);
		break;
	case SUBJECT_DEPLOYMENT:
		rc = parse_deployment(geo, body, now, s, err);
		break;
	case SUBJECT_ACTIVITY:
		rc = parse_activity(geo, body, s, err);
		break;
	default:
		rc = TQ_EINTERNAL;
	}
	if (rc)
		goto fail;
	*out = s;
	return 0;
fail:
	subject_free(geo, s);
	return rc;
}
