/*
 * api_disputes — complaints of one party against another, with deadlines and
 * mediation (api.md, Disputes; Precise rules 4, 7–9).
 *
 * States: open → responded → in_mediation → resolved, and withdrawn from any
 * state that is not final (mediation may also start straight from open).
 * resolved and withdrawn are final: acting again answers 409.
 * Who: a principal opens a dispute against another member; only the party
 * complained against responds; mediator or supervisor mediate and resolve
 * (a principal never resolves); only the complainant withdraws.
 * Deadlines (sweeper kinds): "dispute.respond" at respond_by fires while the
 * dispute is still open; "dispute.resolve" at resolve_by fires unless it is
 * resolved or withdrawn. Each escalation sets "escalated": true, appends to
 * "escalations" and emits dispute.escalated for everyone who sees disputes
 * plus mediator and supervisor. The workflow is core/dispute.h; this file
 * parses, authorises, commits and answers.
 */
#include "server/api.h"

#include <string.h>
#include "core/dispute.h"
#include "core/limits.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/sweeper.h"
#include "server/wfcommit.h"

#define DISPUTE_MAX_REFS 32

static const char *const dispute_statuses[] = {"open", "responded", "in_mediation", "resolved", "withdrawn", NULL};

static int core_fail(struct req *r, int rc, const struct tq_field_error *fe)
{
	if (fe->field[0])
		return req_fail_field(r, rc, fe);
	return req_fail(r, rc, "%s", fe->message[0] ? fe->message : tq_err_name(rc));
}

static int dispute_commit(struct commit *c, const json_t *track, const json_t *before,
			  const struct dispute *d, const struct effects *fx, json_t **out)
{
	json_t *j = dispute_to_json(d);
	struct wf_write wr = {DISPUTE_TYPE, d->id, d->track, d->complainant, dispute_status_name(d->status), 0,
			      before, j};
	int rc = j ? wfcommit(c, track, &wr, fx) : TQ_ENOMEM;
	if (rc == TQ_OK && out)
		*out = json_incref(j);
	json_decref(j);
	return rc;
}

/* refs: [{type, id}] to objects of this track that the caller sees; 422 otherwise. */
static int dispute_refs(struct req *r, const char *role, const json_t *in, json_t **out)
{
	static const char *const types[] = {"conflict", "activity", "message", "zone", "deployment", "threat", NULL};
	json_t *refs = json_array(), *ref;
	size_t i;
	int rc = TQ_OK;
	char field[48];

	json_array_foreach(in, i, ref) {
		const char *type = NULL, *id = NULL;
		json_t *obj = NULL;
		struct tq_field_error fe;
		snprintf(field, sizeof field, "refs[%zu]", i);
		if (!json_is_object(ref)) {
			TQ_FIELD_ERROR(&fe, field, "must be an object {type, id}");
			rc = req_fail_field(r, TQ_EMALFORMED, &fe);
			break;
		}
		if ((rc = in_enum(r, ref, "type", 1, types, &type)) || (rc = in_string(r, ref, "id", 1, 64, &id)))
			break;
		rc = store_obj_get(r->app->store, r->param[0], type, id, &obj);
		if (rc == TQ_OK && !auth_sees(role, r->who.party, type, obj))
			rc = TQ_ENOTFOUND;
		json_decref(obj);
		if (rc == TQ_ENOTFOUND) {
			/* The same answer for invisible and unknown: no existence leaks. */
			TQ_FIELD_ERROR(&fe, field, "no %s '%s' in this track", type, id);
			rc = req_fail_field(r, TQ_EINVALID, &fe);
			break;
		}
		if (rc) {
			req_fail(r, rc, "store failure");
			break;
		}
		json_array_append_new(refs, json_pack("{s:s, s:s}", "type", type, "id", id));
	}
	if (rc) {
		json_decref(refs);
		return rc;
	}
	*out = refs;
	return TQ_OK;
}

static int dispute_create(struct req *r)
{
	json_t *body, *track = NULL, *refs_in = NULL, *refs = NULL, *out = NULL;
	const char *role;
	struct dispute_draft dd = {.track = r->param[0]};
	struct track_settings settings;
	struct vis_track members;
	struct dispute d = {0};
	struct effects fx;
	struct tq_field_error fe = {{0}, {0}};
	struct actor by = wf_actor(&r->who);
	char id[APP_ID_BUFSZ];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	if (!dispute_may_open(vis_role_parse(role))) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not open disputes", role);
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "against", 1, 8, &dd.against)) ||
	    (rc = in_string(r, body, "subject", 1, TQ_MAX_NAME_BYTES, &dd.subject)) ||
	    (rc = in_string(r, body, "description", 1, TQ_MAX_TEXT_BYTES, &dd.description)) ||
	    (rc = in_array(r, body, "refs", 0, DISPUTE_MAX_REFS, &refs_in)))
		goto done;
	if ((rc = vis_track_from_json(track, &members)) || (rc = app_track_settings(track, &settings))) {
		req_fail(r, rc, "bad track settings");
		goto done;
	}
	app_new_id("dsp", r->now, id);
	dd.id = id;
	/* Refused before the refs are looked up in the store (422 either way). */
	if ((rc = dispute_open(&members, &settings, &dd, &by, r->now, &d, &fx, &fe))) {
		core_fail(r, rc, &fe);
		goto done;
	}
	if (refs_in) {
		if ((rc = dispute_refs(r, role, refs_in, &refs)))
			goto done;
		json_object_set_new(d.doc, "refs", refs);
	}
	if ((rc = dispute_commit(r->commit, track, NULL, &d, &fx, &out))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/disputes/%s", r->param[0], id);
	req_json(r, 201, out);
done:
	dispute_free(&d);
	json_decref(track);
	return rc;
}

static int dispute_step_route(struct req *r, enum dispute_step step)
{
	json_t *body, *track = NULL, *stored = NULL, *out = NULL;
	const char *role, *text = NULL;
	struct dispute d = {0};
	struct effects fx;
	struct tq_field_error fe = {{0}, {0}};
	struct actor by = wf_actor(&r->who);
	enum vis_role vr;
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = auth_object(r, role, DISPUTE_TYPE, r->param[1], "dispute", &stored)))
		goto done;
	vr = vis_role_parse(role);
	if ((rc = dispute_from_json(stored, &d))) {
		req_fail(r, TQ_EINTERNAL, "a stored dispute is unreadable");
		goto done;
	}
	/* 403, then 409, before the body is looked at (rules 7, 8). */
	if ((rc = dispute_may(&d, step, vr, r->who.party, &fe))) {
		core_fail(r, rc, &fe);
		goto done;
	}
	if ((rc = req_object(r, &body)) ||
	    (rc = in_string(r, body, dispute_step_field(step), step == DISPUTE_STEP_RESOLVE, TQ_MAX_TEXT_BYTES,
			    &text)) ||
	    (rc = in_if_match(r, d.stamp.version)))
		goto done;
	if ((rc = dispute_act(&d, step, vr, &by, text, r->now, &fx, &fe))) {
		core_fail(r, rc, &fe);
		goto done;
	}
	if ((rc = dispute_commit(r->commit, track, stored, &d, &fx, &out))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	req_json(r, 200, out);
done:
	dispute_free(&d);
	json_decref(stored);
	json_decref(track);
	return rc;
}

static int dispute_respond(struct req *r)
{
	return dispute_step_route(r, DISPUTE_STEP_RESPOND);
}
static int dispute_mediate(struct req *r)
{
	return dispute_step_route(r, DISPUTE_STEP_MEDIATE);
}
static int dispute_resolve(struct req *r)
{
	return dispute_step_route(r, DISPUTE_STEP_RESOLVE);
}
static int dispute_withdraw(struct req *r)
{
	return dispute_step_route(r, DISPUTE_STEP_WITHDRAW);
}

static int dispute_get(struct req *r)
{
	return auth_answer_object(r, DISPUTE_TYPE, "dispute");
}

struct dispute_filter {
	const char *status, *party;
	json_t *items;
};

static int dispute_collect(void *ctx, json_t *j)
{
	struct dispute_filter *f = ctx;
	struct dispute d;
	int take;
	if (dispute_from_json(j, &d))
		return TQ_EINTERNAL;
	take = (!f->status || strcmp(f->status, dispute_status_name(d.status)) == 0) &&
	       (!f->party || strcmp(d.complainant, f->party) == 0 || strcmp(d.against, f->party) == 0);
	dispute_free(&d);
	if (take)
		json_array_append(f->items, j);
	return 0;
}

static int dispute_list(struct req *r)
{
	json_t *track;
	const char *role;
	struct dispute_filter f = {NULL, req_query(r, "party"), NULL};
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	/* The caller sees the track but may never see one in it: 403, not an
	 * empty list that would read as "none" (docs/meetings.md). */
	rc = vis_reads_type(vis_role_parse(role), DISPUTE_TYPE) ? TQ_OK
						       : req_fail(r, TQ_EFORBIDDEN, "a %s may not read disputes", role);
	json_decref(track);
	if (rc)
		return rc;
	if ((rc = in_query_enum(r, "status", dispute_statuses, &f.status)))
		return rc;
	f.items = json_array();
	if ((rc = store_obj_scan(r->app->store, r->param[0], DISPUTE_TYPE, NULL, 0, 0, dispute_collect, &f))) {
		json_decref(f.items);
		return req_fail(r, rc, "store failure");
	}
	return out_page(r, f.items, "id");
}

/* Deadlines "dispute.respond" and "dispute.resolve": a missed one escalates. */
int api_dispute_escalate(struct app *a, const struct store_deadline *dl, tq_time now)
{
	json_t *track = NULL, *stored = NULL;
	struct dispute d = {0};
	struct effects fx;
	int rc = app_track(a, dl->track, &track);
	if (rc == TQ_OK)
		rc = store_obj_get(a->store, dl->track, DISPUTE_TYPE, dl->object_id, &stored);
	if (rc == TQ_ENOTFOUND) {
		rc = TQ_OK;
		goto done;
	}
	if (rc || (rc = dispute_from_json(stored, &d)))
		goto done;
	dispute_deadline(&d, dl->kind, now, &fx);
	if (fx.nev)
		rc = dispute_commit(a->open_batch, track, stored, &d, &fx, NULL);
done:
	dispute_free(&d);
	json_decref(stored);
	json_decref(track);
	return rc;
}

const struct route api_dispute_routes[] = {
	{"POST", "/v1/tracks/:t/disputes", dispute_create, ROUTE_WRITE | ROUTE_STAGED},
	{"GET", "/v1/tracks/:t/disputes", dispute_list, 0},
	{"GET", "/v1/tracks/:t/disputes/:id", dispute_get, 0},
	{"POST", "/v1/tracks/:t/disputes/:id/respond", dispute_respond, ROUTE_WRITE | ROUTE_STAGED},
	{"POST", "/v1/tracks/:t/disputes/:id/mediate", dispute_mediate, ROUTE_WRITE | ROUTE_STAGED},
	{"POST", "/v1/tracks/:t/disputes/:id/resolve", dispute_resolve, ROUTE_WRITE | ROUTE_STAGED},
	{"POST", "/v1/tracks/:t/disputes/:id/withdraw", dispute_withdraw, ROUTE_WRITE | ROUTE_STAGED},
	{NULL, NULL, NULL, 0},
};
