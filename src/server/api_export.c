/*
 * api_export — GET /v1/tracks/{t}/features.geojson?at= (api.md Export).
 *
 * One RFC 7946 FeatureCollection (Content-Type application/geo+json) of what
 * the caller may see: zones proposed or in force, active deployments,
 * notified or active activities, and the overlap of unresolved conflicts.
 * Each feature has the property "layer" = zone | deployment | activity |
 * conflict, and flat properties (strings and numbers only, so that GDAL and
 * QGIS read one attribute table): id, kind, name, status, party, start, end,
 * alt_min_m, alt_max_m, … Deployments and activities are exported as their
 * footprint (a Point + radius_m or a corridor as the polygon the engine
 * checks). ?at= keeps the features whose time window contains that instant.
 * A role that can see none of these layers (host) gets 403.
 */
#include "server/api.h"

#include <stdlib.h>
#include <string.h>
#include "server/auth.h"
#include "server/subjects.h"

struct export {
	struct req *r;
	const char *role;
	struct track_engine *te;
	enum subject_type type; /* of the subjects being visited */
	int conflicts;          /* visiting conflicts */
	int has_at;
	tq_time at;
	json_t *features;
	int rc;
};

/* One exported property: name, the path to it in the stored object ("a.b.c"),
 * and whether it is a number (else a string). */
struct prop {
	const char *name, *path;
	int number;
};

static const struct prop conflict_props[] = {
	{"id", "id", 0},
	{"kind", "kind", 0},
	{"severity", "severity", 0},
	{"status", "status", 0},
	{"start", "overlap.window.start", 0},
	{"end", "overlap.window.end", 0},
	{"alt_min_m", "overlap.altitude.min_m", 1},
	{"alt_max_m", "overlap.altitude.max_m", 1},
	{NULL, NULL, 0},
};

/* By subject type: zone, deployment, activity. */
static const struct prop subject_props[3][14] = {
	{{"id", "id", 0}, {"kind", "kind", 0}, {"name", "name", 0}, {"status", "status", 0},
	 {"party", "declared_by", 0}, {"owner", "owner", 0}, {"description", "description", 0},
	 {"start", "valid.from", 0}, {"end", "valid.until", 0}, {"alt_min_m", "altitude.min_m", 1},
	 {"alt_max_m", "altitude.max_m", 1}, {"radius_m", "radius_m", 1}, {"width_m", "width_m", 1},
	 {NULL, NULL, 0}},
	{{"id", "id", 0}, {"kind", "kind", 0}, {"name", "unit", 0}, {"status", "status", 0},
	 {"party", "declared_by", 0}, {"owner", "owner", 0}, {"description", "description", 0},
	 {"start", "valid.from", 0}, {"end", "valid.until", 0}, {"alt_min_m", "altitude.min_m", 1},
	 {"alt_max_m", "altitude.max_m", 1}, {"radius_m", "radius_m", 1}, {"width_m", "width_m", 1},
	 {NULL, NULL, 0}},
	{{"id", "id", 0}, {"kind", "kind", 0}, {"name", "name", 0}, {"status", "status", 0},
	 {"party", "declared_by", 0}, {"owner", "owner", 0}, {"description", "description", 0},
	 {"start", "window.start", 0}, {"end", "window.end", 0}, {"alt_min_m", "altitude.min_m", 1},
	 {"alt_max_m", "altitude.max_m", 1}, {"radius_m", "radius_m", 1}, {"width_m", "width_m", 1},
	 {NULL, NULL, 0}},
};
/* The figures flattened as <prefix>_<field>: caps of zones, strength of deployments. */
static const char *const figures[3][2] = {{"caps", "cap"}, {"strength", "strength"}, {NULL, NULL}};
static const char *const live_statuses[3][3] = {
	{"proposed", "in_force", NULL}, {"active", NULL, NULL}, {"notified", "active", NULL}};

/* The value at path in o, or NULL. */
static const json_t *at(const json_t *o, const char *path)
{
	char key[32];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof key)
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_get(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

static const char *at_str(const json_t *o, const char *path)
{
	return json_string_value(at(o, path));
}

static void set_props(json_t *props, const json_t *o, const struct prop *p)
{
	for (; p->name; p++) {
		const json_t *v = at(o, p->path);
		if (p->number ? json_is_number(v) : json_is_string(v))
			json_object_set(props, p->name, (json_t *)v);
	}
}

static json_t *joined(const json_t *arr)
{
	size_t i, len = 1;
	json_t *p;
	json_array_foreach(arr, i, p) len += json_string_length(p) + 1;
	char *buf = calloc(1, len);
	json_t *out;
	if (!buf)
		return NULL;
	json_array_foreach(arr, i, p) {
		if (!json_is_string(p))
			continue;
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, json_string_value(p));
	}
	out = json_string(buf);
	free(buf);
	return out;
}

static int in_window(const char *sf, const char *su, tq_time at_time)
{
	tq_time from = TQ_TIME_MIN, until = TQ_TIME_MAX;
	if (sf && tqtime_parse(sf, &from))
		from = TQ_TIME_MIN;
	if (su && tqtime_parse(su, &until))
		until = TQ_TIME_MAX;
	return from <= at_time && at_time < until;
}

static int add_conflict(struct export *x, const json_t *c)
{
	const char *status = at_str(c, "status");
	if (!status || !strcmp(status, "resolved") || !auth_sees(x->role, x->r->who.party, "conflict", c) ||
	    (x->has_at && !in_window(at_str(c, "overlap.window.start"), at_str(c, "overlap.window.end"), x->at)))
		return 0;
	json_t *props = json_pack("{s:s}", "layer", "conflict");
	set_props(props, c, conflict_props);
	json_object_set_new(props, "parties", joined(at(c, "parties")));
	const json_t *g = at(c, "overlap.geometry");
	return json_array_append_new(x->features, json_pack("{s:s, s:O, s:o}", "type", "Feature", "geometry",
							     g ? g : json_null(), "properties", props));
}

static int is_live(enum subject_type t, const char *status)
{
	for (size_t i = 0; status && live_statuses[t][i]; i++)
		if (!strcmp(live_statuses[t][i], status))
			return 1;
	return 0;
}

/* The footprint of a live subject the engine checks, as GeoJSON (owned), or
 * NULL when it has none. Under app->lock the engine's; in a snapshot (no
 * engine: it may be newer than the snapshot's rows, engines.h) parsed from
 * the row itself, as the engine's build does. */
static json_t *footprint_of(struct export *x, const json_t *o)
{
	struct geo_ctx *geo = engines_geo(x->r->app);
	struct subject *mine = NULL;
	const struct subject *s;
	struct tq_field_error fe;
	json_t *geom = NULL;
	if (!geo)
		return NULL;
	if (x->te)
		s = engine_get(engines_engine(x->te), at_str(o, "id"));
	else if (engines_subject(x->r->app, x->type, o, at_str(o, "id"), at_str(o, "declared_by"), 0, &mine, &fe))
		s = NULL;
	else
		s = mine;
	if (s && geo_to_geojson(geo, s->footprint, &geom))
		geom = NULL;
	subject_free(geo, mine);
	return geom;
}

static int add_subject(struct export *x, const json_t *o)
{
	const char *name = subject_type_name(x->type);
	if (!is_live(x->type, at_str(o, "status")) || !auth_sees(x->role, x->r->who.party, name, o) ||
	    (x->has_at && !subjects_at(o, x->type, x->at)))
		return 0;
	json_t *props = json_pack("{s:s}", "layer", name);
	set_props(props, o, subject_props[x->type]);
	if (figures[x->type][0]) {
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)at(o, figures[x->type][0]), key, v) {
			char prop[64];
			snprintf(prop, sizeof prop, "%s_%s", figures[x->type][1], key);
			if (json_is_number(v))
				json_object_set(props, prop, v);
		}
	}

	/* The footprint the engine checks, where it differs from the declaration. */
	json_t *geom = NULL;
	if (x->type != SUBJECT_ZONE && (at(o, "radius_m") || at(o, "width_m")))
		geom = footprint_of(x, o);
	if (!geom)
		geom = json_incref((json_t *)at(o, "geometry"));
	return json_array_append_new(x->features, json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry",
							     geom ? geom : json_null(), "properties", props));
}

static int export_visit(void *ctx, json_t *o)
{
	struct export *x = ctx;
	if ((x->conflicts ? add_conflict(x, o) : add_subject(x, o))) {
		x->rc = TQ_ENOMEM;
		return -1;
	}
	return 0;
}

static int export_features(struct req *r)
{
	static const char *const types[] = {"zone", "deployment", "activity"};
	json_t *track = NULL, *probe = NULL, *fc = NULL;
	struct export x = {.r = r};
	double bbox[4];
	int has_bbox, rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &x.role)) ||
	    (rc = subjects_query_where(r, bbox, &has_bbox, &x.at, &x.has_at)))
		goto done;
	probe = json_pack("{s:s}", "status", "in_force");
	if (!auth_sees(x.role, r->who.party, "zone", probe) && !auth_sees(x.role, r->who.party, "conflict", probe)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not read zones, deployments, activities or conflicts", x.role);
		goto done;
	}
	if (!app_reading(r->app) && (rc = engines_get(r->app, r->param[0], &x.te))) {
		req_fail(r, rc, "the conflict engine is unavailable");
		goto done;
	}
	x.features = json_array();
	for (int t = 0; t < 4; t++) {
		x.conflicts = t == 3;
		x.type = (enum subject_type)(t < 3 ? t : 0);
		if ((rc = store_obj_scan(r->app->store, r->param[0], t < 3 ? types[t] : "conflict", NULL, 0, 0,
					 export_visit, &x)) ||
		    (rc = x.rc)) {
			req_fail(r, rc, "export failed");
			goto done;
		}
	}
	fc = json_pack("{s:s, s:O}", "type", "FeatureCollection", "features", x.features);
	char *text = fc ? json_dumps(fc, JSON_COMPACT) /* as http.c: numbers round-trip */ : NULL;
	if (!text) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	req_text(r, 200, "application/geo+json", text, strlen(text));
done:
	json_decref(fc);
	json_decref(x.features);
	json_decref(probe);
	json_decref(track);
	return rc;
}

const struct route api_export_routes[] = {
	{"GET", "/v1/tracks/:t/features.geojson", export_features, 0},
	{NULL, NULL, NULL, 0},
};
