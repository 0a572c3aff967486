/*
 * api_deployments — declared force positions (api.md Deployments; Precise
 * rules 7, 8): parse → authorise → core (core/deployment.h) → commit
 * (subjects.h) → answer.
 *
 * valid.from defaults to the time of declaration and is stored explicitly.
 * PATCH takes the fields of the POST body (unit, geometry, radius_m,
 * strength, valid); a patch with "geometry" replaces radius_m too (absent →
 * removed). DELETE withdraws.
 */
#include "server/api.h"

#include <string.h>
#include "core/deployment.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/subjects.h"

static const char *const writers[] = {"principal", NULL};
static const char *const dep_statuses[] = {"active", "withdrawn", NULL};
static const char *const fields[] = {"unit", "geometry", "radius_m", "strength", "valid", NULL};

static int dep_create(struct req *r)
{
	json_t *body, *track = NULL, *obj = NULL;
	const char *role;
	struct track_engine *te;
	struct subject *s = NULL;
	struct deployment d;
	struct change ch;
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
	obj = json_object();
	for (size_t i = 0; fields[i]; i++) {
		json_t *v = json_object_get(body, fields[i]);
		if (v && !json_is_null(v))
			json_object_set(obj, fields[i], v);
	}
	if ((rc = subjects_parse(r, SUBJECT_DEPLOYMENT, obj, id, &s)))
		goto done;
	if ((rc = deployment_declare(&d, r->who.party, &ch))) {
		subjects_refuse(r, rc, &ch);
		goto done;
	}
	subjects_normalize(obj, s);
	json_object_set_new(obj, "id", json_string(id));
	json_object_set_new(obj, "track", json_string(r->param[0]));
	api_stamp(r, obj);
	if ((rc = deployment_to_json(&d, obj))) {
		req_fail(r, rc, "out of memory");
		goto done;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/deployments/%s", r->param[0], id);
	rc = subjects_commit(r, track, te, SUBJECT_DEPLOYMENT, obj, s, &ch, 201);
	s = NULL;
done:
	subject_free(engines_geo(r->app), s);
	json_decref(obj);
	json_decref(track);
	return rc;
}

/* PATCH (withdraw = 0) or DELETE (withdraw = 1) by the declaring party. */
static int dep_change(struct req *r, int withdraw)
{
	json_t *track = NULL, *obj = NULL, *body;
	const char *role;
	struct track_engine *te;
	struct subject *s = NULL;
	struct deployment d;
	struct change ch;
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = subjects_load(r, role, SUBJECT_DEPLOYMENT, &obj)))
		goto done;
	if ((rc = deployment_from_json(obj, &d))) {
		rc = req_fail(r, TQ_EINTERNAL, "the stored deployment is damaged");
		goto done;
	}
	int64_t version = d.version;
	rc = withdraw ? deployment_withdraw(&d, r->who.party, r->now, &ch)
		      : deployment_modify(&d, r->who.party, r->now, &ch);
	if (rc) {
		subjects_refuse(r, rc, &ch);
		goto done;
	}
	if ((rc = in_if_match(r, version)))
		goto done;
	if ((rc = engines_get(r->app, r->param[0], &te))) {
		req_fail(r, rc, "the conflict engine is unavailable");
		goto done;
	}
	if (!withdraw) {
		if ((rc = req_object(r, &body)))
			goto done;
		if (json_object_get(body, "geometry"))
			json_object_del(obj, "radius_m");
		for (size_t i = 0; fields[i]; i++) {
			json_t *v = json_object_get(body, fields[i]);
			if (v && json_is_null(v))
				json_object_del(obj, fields[i]);
			else if (v)
				json_object_set(obj, fields[i], v);
		}
		if ((rc = subjects_parse(r, SUBJECT_DEPLOYMENT, obj, r->param[1], &s)))
			goto done;
		subjects_normalize(obj, s);
	}
	if ((rc = deployment_to_json(&d, obj))) {
		req_fail(r, rc, "out of memory");
		goto done;
	}
	rc = subjects_commit(r, track, te, SUBJECT_DEPLOYMENT, obj, s, &ch, 200);
	s = NULL;
done:
	subject_free(engines_geo(r->app), s);
	json_decref(obj);
	json_decref(track);
	return rc;
}

static int dep_patch(struct req *r)
{
	return dep_change(r, 0);
}

static int dep_withdraw(struct req *r)
{
	return dep_change(r, 1);
}

static int dep_get(struct req *r)
{
	json_t *track = NULL, *dep = NULL;
	const char *role;
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = subjects_load(r, role, SUBJECT_DEPLOYMENT, &dep)))
		goto done;
	rc = subjects_answer(r, role, dep);
done:
	json_decref(track);
	return rc;
}

static int dep_list(struct req *r)
{
	return subjects_list(r, SUBJECT_DEPLOYMENT, dep_statuses);
}

const struct route api_deployment_routes[] = {
	{"POST", "/v1/tracks/:t/deployments", dep_create, ROUTE_WRITE | ROUTE_STAGED},
	{"GET", "/v1/tracks/:t/deployments", dep_list, ROUTE_CACHE},
	{"GET", "/v1/tracks/:t/deployments/:id", dep_get, 0},
	{"PATCH", "/v1/tracks/:t/deployments/:id", dep_patch, ROUTE_WRITE | ROUTE_STAGED},
	{"DELETE", "/v1/tracks/:t/deployments/:id", dep_withdraw, ROUTE_WRITE | ROUTE_STAGED},
	{NULL, NULL, NULL, 0},
};
