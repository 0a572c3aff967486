/*
 * api_conflicts — the conflicts the engine found (api.md Conflicts, Dry-run
 * check; Precise rules 7, 8, 11).
 *
 * Conflicts are seen by the principals, the mediator and the supervisor of the
 * track (auth_sees); hosts and observers get 404 for one and 403 for the
 * list. An affected party acknowledges once (event conflict.acknowledged);
 * when all affected parties have, the status is "acknowledged". The owner of
 * the influence zone consents to an influence_entry conflict (→ resolved,
 * "consented"); the mediator or supervisor waives any conflict (→ resolved,
 * "waived", with an optional note). Both settle the conflict's key: the same
 * finding is not reopened by later re-checks. Consent to another kind of
 * conflict is a state conflict (409): there is no owner to consent.
 *
 * POST /check answers the findings for a body as if it were declared by the
 * caller (zones as if in force), without storing anything or emitting events.
 */
#include "server/api.h"

#include <string.h>
#include "core/conflict.h"
#include "core/limits.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/reconcile.h"
#include "server/subjects.h"

static const char *const conflict_kinds[] = {"activity_overlap",    "demilitarized_breach", "limitation_exceeded",
					     "influence_entry",     "protected_site_risk",  "deployment_risk",
					     "restricted_airspace_entry", NULL};
static const char *const conflict_statuses[] = {"open", "acknowledged", "resolved", NULL};

static int in_strings(const json_t *arr, const char *s)
{
	size_t i;
	json_t *p;
	json_array_foreach(arr, i, p) {
		if (json_is_string(p) && !strcmp(json_string_value(p), s))
			return 1;
	}
	return 0;
}

static int in_names(const char *const *names, const char *s)
{
	for (; *names; names++)
		if (!strcmp(*names, s))
			return 1;
	return 0;
}

static int conflict_load(struct req *r, const char *role, json_t **out)
{
	return auth_object(r, role, "conflict", r->param[1], "conflict", out);
}

static int conflict_get(struct req *r)
{
	return auth_answer_object(r, "conflict", "conflict");
}

struct conflict_filter {
	const char *status, *kind, *party;
	json_t *items;
};

static int conflict_collect(void *ctx, json_t *c)
{
	struct conflict_filter *f = ctx;
	const char *status = json_string_value(json_object_get(c, "status"));
	const char *kind = json_string_value(json_object_get(c, "kind"));
	if ((f->status && (!status || strcmp(status, f->status))) || (f->kind && (!kind || strcmp(kind, f->kind))) ||
	    (f->party && !in_strings(json_object_get(c, "parties"), f->party)))
		return 0;
	json_array_append(f->items, c);
	return 0;
}

static int conflict_list(struct req *r)
{
	json_t *track = NULL;
	const char *role;
	struct conflict_filter f = {req_query(r, "status"), req_query(r, "kind"), req_query(r, "party"), NULL};
	int rc;
	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	if (!auth_sees(role, r->who.party, "conflict", NULL)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not read conflicts", role);
	} else if (f.status && !in_names(conflict_statuses, f.status)) {
		struct tq_field_error fe = {"status", "must be one of: open acknowledged resolved"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
	} else if (f.kind && !in_names(conflict_kinds, f.kind)) {
		struct tq_field_error fe = {"kind", "unknown conflict kind"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
	} else if (!(f.items = json_array()) ||
		   (rc = store_obj_scan(r->app->store, r->param[0], "conflict", NULL, 0, 0, conflict_collect, &f))) {
		json_decref(f.items);
		rc = req_fail(r, rc ? rc : TQ_ENOMEM, "store failure");
	} else {
		rc = out_page(r, f.items, "id");
	}
	json_decref(track);
	return rc;
}

enum conflict_action { ACKNOWLEDGE, CONSENT, WAIVE };

/* acknowledge, consent, resolve (waive): the conflict visible (404), then core
 * decides; a settled conflict's key is never reopened. */
static int conflict_act(struct req *r, enum conflict_action what)
{
	static const char *const overseers[] = {"mediator", "supervisor", NULL};
	static const char *const resolutions[] = {"waived", NULL};
	json_t *track = NULL, *obj = NULL, *body;
	const char *role, *resolution = NULL, *note = NULL;
	struct track_engine *te = NULL;
	struct conflict c;
	struct change ch;
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = conflict_load(r, role, &obj)) ||
	    (what == WAIVE && (rc = auth_require_role(r, role, overseers, "resolve conflicts"))))
		goto done;
	if ((rc = conflict_from_json(obj, &c))) {
		rc = req_fail(r, TQ_EINTERNAL, "the stored conflict is damaged");
		goto done;
	}
	int64_t version = c.version;
	rc = what == ACKNOWLEDGE ? conflict_acknowledge(&c, r->who.party, r->now, &ch)
	     : what == CONSENT   ? conflict_consent(&c, r->who.party, r->now, &ch)
				 : conflict_waive(&c, r->who.party, r->now, &ch);
	if (rc) {
		subjects_refuse(r, rc, &ch);
		goto done;
	}
	if ((rc = req_object(r, &body)) ||
	    (what == WAIVE && ((rc = in_enum(r, body, "resolution", 1, resolutions, &resolution)) ||
			       (rc = in_string(r, body, "note", 0, TQ_MAX_TEXT_BYTES, &note)))) ||
	    (rc = in_if_match(r, version)))
		goto done;
	if ((rc = conflict_to_json(&c, obj)) || (note && json_object_set_new(obj, "note", json_string(note)))) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	if ((ch.settles && (rc = engines_get(r->app, r->param[0], &te))) ||
	    (rc = reconcile_conflict_save(r->commit, track, obj, ch.event)) ||
	    (ch.settles && (rc = reconcile_settle(r->commit, te, r->param[1])))) {
		rc = req_fail(r, rc, "the change could not be recorded");
		goto done;
	}
	req_json(r, 200, json_incref(obj));
done:
	json_decref(obj);
	json_decref(track);
	return rc;
}

static int conflict_acknowledge_h(struct req *r)
{
	return conflict_act(r, ACKNOWLEDGE);
}

static int conflict_consent_h(struct req *r)
{
	return conflict_act(r, CONSENT);
}

static int conflict_resolve_h(struct req *r)
{
	return conflict_act(r, WAIVE);
}

/* POST /check: findings for a candidate, nothing stored. */
static int check(struct req *r)
{
	static const char *const types[] = {"zone", "deployment", "activity", NULL};
	json_t *body, *track = NULL, *out = NULL;
	const char *role, *type = NULL;
	struct track_engine *te;
	struct subject *s = NULL;
	struct finding_list fl;
	struct engine_view vbuf;
	struct tq_field_error fe = {{0}, {0}};
	int rc;

	finding_list_init(&fl);
	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		goto done;
	/* The answer describes conflicts, so it is for those who may see them. */
	if (!auth_sees(role, r->who.party, "conflict", NULL)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not check declarations", role);
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_enum(r, body, "type", 1, types, &type)))
		goto done;
	enum subject_type t = !strcmp(type, "zone") ? SUBJECT_ZONE : !strcmp(type, "deployment") ? SUBJECT_DEPLOYMENT
												: SUBJECT_ACTIVITY;
	/* A candidate id no stored object can have (ids are prefix_ULID). */
	if ((rc = engines_subject(r->app, t, body, "check", r->who.party, r->now, &s, &fe))) {
		req_fail_field(r, rc, &fe);
		goto done;
	}
	if (t == SUBJECT_ZONE) {
		if ((rc = subjects_check_owner(r, track, s->owner)))
			goto done;
		s->status = ZONE_IN_FORCE; /* what would it conflict with once in force */
	}
	if ((rc = engines_get(r->app, r->param[0], &te))) {
		req_fail(r, rc, "the conflict engine is unavailable");
		goto done;
	}
	/* In a snapshot: the committed view, beside writers (engines.h). */
	const struct engine_view *view = engines_view(r->app, &vbuf);
	if ((rc = engine_admit_view(engines_engine(te), view, s, &fe))) {
		req_fail_field(r, rc, &fe);
		goto done;
	}
	if ((rc = engine_check_view(engines_engine(te), view, s, NULL, &fl))) {
		req_fail(r, rc, "the check failed");
		goto done;
	}
	engines_done(r->app);
	json_t *arr = json_array();
	for (size_t i = 0; i < fl.n; i++) {
		json_t *f = finding_to_json(&fl.items[i]);
		if (!f || (rc = reconcile_conflict_parties(r->app, NULL, r->param[0], f))) {
			json_decref(f);
			json_decref(arr);
			rc = req_fail(r, rc ? rc : TQ_ENOMEM, "the check failed");
			goto done;
		}
		json_array_append_new(arr, f);
	}
	out = json_pack("{s:o}", "conflicts", arr);
	req_json(r, 200, out);
done:
	finding_list_clear(&fl);
	subject_free(engines_geo(r->app), s);
	json_decref(track);
	return rc;
}

const struct route api_conflict_routes[] = {
	{"POST", "/v1/tracks/:t/check", check, ROUTE_SNAPSHOT},
	{"GET", "/v1/tracks/:t/conflicts", conflict_list, ROUTE_CACHE},
	{"GET", "/v1/tracks/:t/conflicts/:id", conflict_get, ROUTE_CACHE},
	{"POST", "/v1/tracks/:t/conflicts/:id/acknowledge", conflict_acknowledge_h, ROUTE_WRITE | ROUTE_STAGED},
	{"POST", "/v1/tracks/:t/conflicts/:id/consent", conflict_consent_h, ROUTE_WRITE | ROUTE_STAGED},
	{"POST", "/v1/tracks/:t/conflicts/:id/resolve", conflict_resolve_h, ROUTE_WRITE | ROUTE_STAGED},
	{NULL, NULL, NULL, 0},
};
