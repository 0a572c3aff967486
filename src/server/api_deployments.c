/*
 * api_deployments — declared force positions (api.md Deployments; Precise
 * rules 7, 8).
 *
 * A deployment is "active" until its declaring party withdraws it (DELETE →
 * "withdrawn"; its unresolved conflicts resolve "withdrawn"). valid.from
 * defaults to the time of declaration and is stored explicitly. PATCH takes
 * the fields of the POST body (unit, geometry, radius_m, strength, valid);
 * a patch with "geometry" replaces radius_m too (absent → removed). Each
 * change re-checks the deployment and the limitation zones it was or is
 * counted in. Events: deployment.declared, deployment.modified,
 * deployment.withdrawn.
 */
#include "server/api.h"

#include <string.h>
#include "server/auth.h"
#include "server/engines.h"
#include "server/input.h"

static const char *const writers[] = {"principal", NULL};
static const char *const dep_statuses[] = {"active", "withdrawn", NULL};
static const char *const fields[] = {"unit", "geometry", "radius_m", "strength", "valid", NULL};

static int dep_commit(struct req *r, const json_t *track, struct track_engine *te, json_t *dep, int live,
		      const char *why, const char *event, int status)
{
	json_t *conflicts = NULL;
	int rc;
	if ((rc = engines_obj_save(r->app, &r->who, r->now, track, SUBJECT_DEPLOYMENT, dep, event)) ||
	    (rc = engines_apply(r->app, te,
				&(struct engines_change){&r->who, r->now, track, SUBJECT_DEPLOYMENT, dep, live, why},
				&conflicts)))
		return req_fail(r, rc, "the change could not be recorded");
	json_t *out = json_deep_copy(dep);
	json_object_set_new(out, "conflicts", conflicts);
	req_json(r, status, out);
	return 0;
}

/* Validates dep (the full stored shape) and normalises its window. */
static int dep_validate(struct req *r, json_t *dep, const char *id)
{
	struct subject *s = NULL;
	struct tq_field_error fe = {{0}, {0}};
	int rc = engines_subject(r->app, SUBJECT_DEPLOYMENT, dep, id, r->who.party, r->now, &s, &fe);
	if (!rc && (rc = engines_admit(r->app, r->param[0], s, &fe)))
		subject_free(engines_geo(r->app), s);
	if (rc)
		return req_fail_field(r, rc, &fe);
	engines_normalize(dep, s);
	subject_free(engines_geo(r->app), s);
	return 0;
}

static int dep_create(struct req *r)
{
	json_t *body, *track = NULL, *dep = NULL;
	const char *role;
	struct track_engine *te;
	char id[APP_ID_BUFSZ];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = auth_require_role(r, role, writers, "declare deployments")) || (rc = req_object(r, &body)))
		goto done;
	if ((rc = engines_get(r->app, r->param[0], &te))) {
		req_fail(r, rc, "the conflict engine is unavailable");
		goto done;
	}
	app_new_id("dep", r->now, id);
	dep = json_object();
	for (size_t i = 0; fields[i]; i++) {
		json_t *v = json_object_get(body, fields[i]);
		if (v && !json_is_null(v))
			json_object_set(dep, fields[i], v);
	}
	if ((rc = dep_validate(r, dep, id)))
		goto done;
	json_object_set_new(dep, "id", json_string(id));
	json_object_set_new(dep, "track", json_string(r->param[0]));
	json_object_set_new(dep, "status", json_string("active"));
	json_object_set_new(dep, "declared_by", json_string(r->who.party));
	api_stamp(r, dep);
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/deployments/%s", r->param[0], id);
	rc = dep_commit(r, track, te, dep, 1, "modified", "deployment.declared", 201);
done:
	json_decref(dep);
	json_decref(track);
	return rc;
}

/* The deployment for a change by its declaring party, still active. */
static int dep_change_load(struct req *r, json_t **track, json_t **dep, struct track_engine **te)
{
	const char *role;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], track, &role)) ||
	    (rc = engines_obj_load(r, role, SUBJECT_DEPLOYMENT, dep)))
		return rc;
	if (strcmp(json_string_value(json_object_get(*dep, "declared_by")), r->who.party))
		return req_fail(r, TQ_EFORBIDDEN, "only the declaring party changes a deployment");
	if (strcmp(json_string_value(json_object_get(*dep, "status")), "active"))
		return req_fail(r, TQ_ECONFLICT, "the deployment is withdrawn");
	if ((rc = in_if_match(r, json_integer_value(json_object_get(*dep, "version")))))
		return rc;
	if ((rc = engines_get(r->app, r->param[0], te)))
		return req_fail(r, rc, "the conflict engine is unavailable");
	return 0;
}

static int dep_patch(struct req *r)
{
	json_t *track = NULL, *dep = NULL, *body;
	struct track_engine *te;
	int rc;
	if ((rc = dep_change_load(r, &track, &dep, &te)) || (rc = req_object(r, &body)))
		goto done;
	if (json_object_get(body, "geometry"))
		json_object_del(dep, "radius_m");
	for (size_t i = 0; fields[i]; i++) {
		json_t *v = json_object_get(body, fields[i]);
		if (v && json_is_null(v))
			json_object_del(dep, fields[i]);
		else if (v)
			json_object_set(dep, fields[i], v);
	}
	if ((rc = dep_validate(r, dep, r->param[1])))
		goto done;
	api_bump(r, dep);
	rc = dep_commit(r, track, te, dep, 1, "modified", "deployment.modified", 200);
done:
	json_decref(dep);
	json_decref(track);
	return rc;
}

static int dep_withdraw(struct req *r)
{
	json_t *track = NULL, *dep = NULL;
	struct track_engine *te;
	int rc;
	if ((rc = dep_change_load(r, &track, &dep, &te)))
		goto done;
	json_object_set_new(dep, "status", json_string("withdrawn"));
	json_object_set_new(dep, "withdrawn_at", app_time_json(r->now));
	api_bump(r, dep);
	rc = dep_commit(r, track, te, dep, 0, "withdrawn", "deployment.withdrawn", 200);
done:
	json_decref(dep);
	json_decref(track);
	return rc;
}

static int dep_get(struct req *r)
{
	json_t *track = NULL, *dep = NULL;
	const char *role;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = engines_obj_load(r, role, SUBJECT_DEPLOYMENT, &dep)))
		goto done;
	rc = engines_obj_answer(r, role, dep);
done:
	json_decref(track);
	return rc;
}

static int dep_list(struct req *r)
{
	return engines_obj_list(r, SUBJECT_DEPLOYMENT, dep_statuses);
}

const struct route api_deployment_routes[] = {
	{"POST", "/v1/tracks/:t/deployments", dep_create, ROUTE_WRITE},
	{"GET", "/v1/tracks/:t/deployments", dep_list, ROUTE_CACHE},
	{"GET", "/v1/tracks/:t/deployments/:id", dep_get, 0},
	{"PATCH", "/v1/tracks/:t/deployments/:id", dep_patch, ROUTE_WRITE},
	{"DELETE", "/v1/tracks/:t/deployments/:id", dep_withdraw, ROUTE_WRITE},
	{NULL, NULL, NULL, 0},
};
