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
#include "server/engines.h"

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

static void set_str(json_t *props, const char *key, const json_t *v)
{
	if (json_is_string(v))
		json_object_set(props, key, (json_t *)v);
}

static void set_num(json_t *props, const char *key, const json_t *v)
{
	if (json_is_number(v))
		json_object_set(props, key, (json_t *)v);
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

static int in_window(const json_t *w, const char *kf, const char *ku, tq_time at)
{
	tq_time from = TQ_TIME_MIN, until = TQ_TIME_MAX;
	const char *sf = json_string_value(json_object_get(w, kf)), *su = json_string_value(json_object_get(w, ku));
	if (sf && tqtime_parse(sf, &from))
		from = TQ_TIME_MIN;
	if (su && tqtime_parse(su, &until))
		until = TQ_TIME_MAX;
	return from <= at && at < until;
}

static int add_conflict(struct export *x, const json_t *c)
{
	const char *status = json_string_value(json_object_get(c, "status"));
	const json_t *ov = json_object_get(c, "overlap");
	if (!status || !strcmp(status, "resolved") || !auth_sees(x->role, x->r->who.party, "conflict", c) ||
	    (x->has_at && !in_window(json_object_get(ov, "window"), "start", "end", x->at)))
		return 0;
	json_t *props = json_pack("{s:s}", "layer", "conflict");
	set_str(props, "id", json_object_get(c, "id"));
	set_str(props, "kind", json_object_get(c, "kind"));
	set_str(props, "severity", json_object_get(c, "severity"));
	set_str(props, "status", json_object_get(c, "status"));
	json_object_set_new(props, "parties", joined(json_object_get(c, "parties")));
	set_str(props, "start", json_object_get(json_object_get(ov, "window"), "start"));
	set_str(props, "end", json_object_get(json_object_get(ov, "window"), "end"));
	set_num(props, "alt_min_m", json_object_get(json_object_get(ov, "altitude"), "min_m"));
	set_num(props, "alt_max_m", json_object_get(json_object_get(ov, "altitude"), "max_m"));
	json_t *g = json_object_get(ov, "geometry");
	return json_array_append_new(x->features, json_pack("{s:s, s:O, s:o}", "type", "Feature", "geometry",
							     g ? g : json_null(), "properties", props));
}

static int add_subject(struct export *x, const json_t *o)
{
	static const char *const names[] = {"zone", "deployment", "activity"};
	const char *status = json_string_value(json_object_get(o, "status"));
	int live = status && (x->type == SUBJECT_ZONE ? (!strcmp(status, "proposed") || !strcmp(status, "in_force"))
			      : x->type == SUBJECT_DEPLOYMENT ? !strcmp(status, "active")
							      : (!strcmp(status, "notified") || !strcmp(status, "active")));
	if (!live || !auth_sees(x->role, x->r->who.party, names[x->type], o) ||
	    (x->has_at && !engines_obj_at(o, x->type, x->at)))
		return 0;
	json_t *props = json_pack("{s:s}", "layer", names[x->type]);
	const json_t *w = json_object_get(o, x->type == SUBJECT_ACTIVITY ? "window" : "valid");
	const char *kf = x->type == SUBJECT_ACTIVITY ? "start" : "from";
	const char *ku = x->type == SUBJECT_ACTIVITY ? "end" : "until";
	set_str(props, "id", json_object_get(o, "id"));
	set_str(props, "kind", json_object_get(o, "kind"));
	set_str(props, "name", json_object_get(o, x->type == SUBJECT_DEPLOYMENT ? "unit" : "name"));
	set_str(props, "status", json_object_get(o, "status"));
	set_str(props, "party", json_object_get(o, "declared_by"));
	set_str(props, "owner", json_object_get(o, "owner"));
	set_str(props, "description", json_object_get(o, "description"));
	set_str(props, "start", json_object_get(w, kf));
	set_str(props, "end", json_object_get(w, ku));
	set_num(props, "alt_min_m", json_object_get(json_object_get(o, "altitude"), "min_m"));
	set_num(props, "alt_max_m", json_object_get(json_object_get(o, "altitude"), "max_m"));
	set_num(props, "radius_m", json_object_get(o, "radius_m"));
	set_num(props, "width_m", json_object_get(o, "width_m"));
	const json_t *strength = json_object_get(o, x->type == SUBJECT_ZONE ? "caps" : "strength");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)strength, key, v) {
		char name[64];
		snprintf(name, sizeof name, "%s_%s", x->type == SUBJECT_ZONE ? "cap" : "strength", key);
		set_num(props, name, v);
	}

	/* The footprint the engine checks, where it differs from the declaration. */
	json_t *geom = NULL;
	const struct subject *s = engine_get(engines_engine(x->te), json_string_value(json_object_get(o, "id")));
	if (s && x->type != SUBJECT_ZONE && (json_object_get(o, "radius_m") || json_object_get(o, "width_m")) &&
	    geo_to_geojson(engines_geo(x->r->app), s->footprint, &geom))
		geom = NULL;
	if (!geom)
		geom = json_incref(json_object_get(o, "geometry"));
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
	    (rc = engines_query_where(r, bbox, &has_bbox, &x.at, &x.has_at)))
		goto done;
	probe = json_pack("{s:s}", "status", "in_force");
	if (!auth_sees(x.role, r->who.party, "zone", probe) && !auth_sees(x.role, r->who.party, "conflict", probe)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not read zones, deployments, activities or conflicts", x.role);
		goto done;
	}
	if ((rc = engines_get(r->app, r->param[0], &x.te))) {
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
