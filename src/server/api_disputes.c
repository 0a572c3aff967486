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
 * plus mediator and supervisor.
 */
#include "server/api.h"

#include <string.h>
#include "core/limits.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/sweeper.h"

#define DISPUTE_KIND_RESPOND "dispute.respond"
#define DISPUTE_KIND_RESOLVE "dispute.resolve"
#define DISPUTE_MAX_REFS 32

/* The caller's role in track r->param[0] (a copy), through auth_track_content. */
static int caller_role(struct req *r, char role[16])
{
	json_t *track = NULL;
	const char *borrowed;
	int rc = auth_track_content(r, r->param[0], &track, &borrowed);
	if (rc == TQ_OK)
		snprintf(role, 16, "%s", borrowed);
	json_decref(track);
	return rc;
}

static const char *const dispute_statuses[] = {"open", "responded", "in_mediation", "resolved", "withdrawn", NULL};

static const char *dispute_status(const json_t *d)
{
	const char *s = json_string_value(json_object_get(d, "status"));
	return s ? s : "";
}

static int dispute_final(const json_t *d)
{
	const char *s = dispute_status(d);
	return strcmp(s, "resolved") == 0 || strcmp(s, "withdrawn") == 0;
}

static int dispute_save(struct app *a, const struct who *w, tq_time now, const json_t *track, const json_t *d,
			const char *event, int oversight)
{
	char audience[AUTH_AUDIENCE_MAX];
	const char *id = json_string_value(json_object_get(d, "id"));
	const char *tid = json_string_value(json_object_get(track, "id"));
	int rc = store_obj_put(a->store,
			       &(struct store_obj_meta){id, tid, "dispute",
							json_string_value(json_object_get(d, "complainant")),
							dispute_status(d), 0},
			       d);
	if (rc)
		return rc;
	auth_audience(track, "dispute", d, oversight, audience, sizeof audience);
	return app_emit(a, w, now, event, tid, audience, d, NULL);
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
	static const char *const writers[] = {"principal", NULL};
	json_t *body, *track = NULL, *d = NULL, *refs_in = NULL, *refs = NULL;
	const char *role, *against = NULL, *subject = NULL, *description = NULL;
	struct track_settings settings;
	char id[APP_ID_BUFSZ];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	if ((rc = auth_require_role(r, role, writers, "open disputes")) || (rc = req_object(r, &body)) ||
	    (rc = in_string(r, body, "against", 1, 8, &against)) ||
	    (rc = in_string(r, body, "subject", 1, TQ_MAX_NAME_BYTES, &subject)) ||
	    (rc = in_string(r, body, "description", 1, TQ_MAX_TEXT_BYTES, &description)) ||
	    (rc = in_array(r, body, "refs", 0, DISPUTE_MAX_REFS, &refs_in)))
		goto done;
	if (!subject[0]) {
		struct tq_field_error fe = {"subject", "must not be empty"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	const char *against_role = app_member_role(track, against);
	struct tq_field_error fe = {"against", ""};
	if (!against_role)
		TQ_FIELD_ERROR(&fe, "against", "party '%s' is not a member of this track", against);
	else if (strcmp(against, r->who.party) == 0)
		TQ_FIELD_ERROR(&fe, "against", "a dispute is against another party");
	else if (!auth_sees(against_role, against, "dispute", NULL))
		TQ_FIELD_ERROR(&fe, "against", "party '%s' (%s) cannot see disputes", against, against_role);
	if (fe.message[0]) {
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	if (refs_in) {
		if ((rc = dispute_refs(r, role, refs_in, &refs)))
			goto done;
	} else {
		refs = json_array();
	}
	if ((rc = app_track_settings(track, &settings))) {
		req_fail(r, rc, "bad track settings");
		goto done;
	}
	tq_time respond_by = r->now + settings.dispute_response_ms;
	tq_time resolve_by = r->now + settings.dispute_resolution_ms;

	app_new_id("dsp", r->now, id);
	d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:b, s:[]}", "id", id, "track", r->param[0],
		      "complainant", r->who.party, "against", against, "subject", subject, "description", description,
		      "refs", refs, "status", "open", "respond_by", app_time_json(respond_by), "resolve_by",
		      app_time_json(resolve_by), "escalated", 0, "escalations");
	refs = NULL;
	if (!d) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	api_stamp(r, d);
	if ((rc = dispute_save(r->app, &r->who, r->now, track, d, "dispute.opened", 0)) ||
	    (rc = sweeper_schedule(r->app, r->param[0], id, DISPUTE_KIND_RESPOND, respond_by)) ||
	    (rc = sweeper_schedule(r->app, r->param[0], id, DISPUTE_KIND_RESOLVE, resolve_by))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/disputes/%s", r->param[0], id);
	req_json(r, 201, d);
	d = NULL;
done:
	json_decref(refs);
	json_decref(d);
	json_decref(track);
	return rc;
}

static int dispute_load(struct req *r, const char *role, json_t **out)
{
	return auth_object(r, role, "dispute", r->param[1], "dispute", out);
}

enum dispute_step { STEP_RESPOND, STEP_MEDIATE, STEP_RESOLVE, STEP_WITHDRAW };

static const struct {
	const char *verb;       /* for messages */
	const char *to;         /* the new status */
	const char *event;
	const char *text_field; /* optional free text the step records (required for resolve) */
} dispute_steps[] = {
	[STEP_RESPOND] = {"respond to", "responded", "dispute.responded", "response"},
	[STEP_MEDIATE] = {"mediate", "in_mediation", "dispute.mediation", "note"},
	[STEP_RESOLVE] = {"resolve", "resolved", "dispute.resolved", "outcome"},
	[STEP_WITHDRAW] = {"withdraw", "withdrawn", "dispute.withdrawn", "reason"},
};

/* 403 unless the caller may take this step (checked before the state: rule 8). */
static int dispute_may(struct req *r, const char *role, const json_t *d, enum dispute_step step)
{
	static const char *const overseers[] = {"mediator", "supervisor", NULL};
	const char *party = NULL, *who = NULL;
	switch (step) {
	case STEP_RESPOND:
		party = json_string_value(json_object_get(d, "against"));
		who = "the party complained against";
		break;
	case STEP_WITHDRAW:
		party = json_string_value(json_object_get(d, "complainant"));
		who = "the complainant";
		break;
	case STEP_MEDIATE:
		return auth_require_role(r, role, overseers, "mediate disputes");
	case STEP_RESOLVE:
		return auth_require_role(r, role, overseers, "resolve disputes");
	}
	if (!party || strcmp(party, r->who.party) != 0)
		return req_fail(r, TQ_EFORBIDDEN, "only %s (%s) may %s this dispute", who, party ? party : "?",
				dispute_steps[step].verb);
	return TQ_OK;
}

/* 409 unless the dispute's state allows the step. */
static int dispute_state_ok(struct req *r, const json_t *d, enum dispute_step step)
{
	const char *s = dispute_status(d);
	int ok;
	switch (step) {
	case STEP_RESPOND:
		ok = strcmp(s, "open") == 0;
		break;
	case STEP_MEDIATE:
		ok = strcmp(s, "open") == 0 || strcmp(s, "responded") == 0;
		break;
	default:
		ok = !dispute_final(d);
		break;
	}
	if (ok)
		return TQ_OK;
	return req_fail(r, TQ_ECONFLICT, "cannot %s a dispute that is %s", dispute_steps[step].verb, s);
}

static int dispute_act(struct req *r, enum dispute_step step)
{
	json_t *body, *track = NULL, *d = NULL;
	const char *role, *text = NULL;
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)) || (rc = dispute_load(r, role, &d)) ||
	    (rc = dispute_may(r, role, d, step)) || (rc = dispute_state_ok(r, d, step)) ||
	    (rc = req_object(r, &body)) ||
	    (rc = in_string(r, body, dispute_steps[step].text_field, step == STEP_RESOLVE, TQ_MAX_TEXT_BYTES,
			    &text)) ||
	    (rc = in_if_match(r, json_integer_value(json_object_get(d, "version")))))
		goto done;
	if (step == STEP_RESOLVE && !text[0]) {
		struct tq_field_error fe = {"outcome", "must not be empty"};
		rc = req_fail_field(r, TQ_EINVALID, &fe);
		goto done;
	}
	json_object_set_new(d, "status", json_string(dispute_steps[step].to));
	if (text)
		json_object_set_new(d, dispute_steps[step].text_field, json_string(text));
	json_t *hist = json_object_get(d, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(d, "history", hist);
	}
	json_array_append_new(hist, json_pack("{s:s, s:o, s:o}", "status", dispute_steps[step].to, "by",
					       app_who_json(&r->who), "at", app_time_json(r->now)));
	api_bump(r, d);
	/* Deadlines that can no longer be missed are dropped. */
	if (step == STEP_RESPOND || step == STEP_MEDIATE || dispute_final(d))
		rc = store_deadline_clear(r->app->store, r->param[1], DISPUTE_KIND_RESPOND);
	if (rc == TQ_OK && dispute_final(d))
		rc = store_deadline_clear(r->app->store, r->param[1], DISPUTE_KIND_RESOLVE);
	if (rc || (rc = dispute_save(r->app, &r->who, r->now, track, d, dispute_steps[step].event, 0))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	req_json(r, 200, d);
	d = NULL;
done:
	json_decref(d);
	json_decref(track);
	return rc;
}

static int dispute_respond(struct req *r)
{
	return dispute_act(r, STEP_RESPOND);
}
static int dispute_mediate(struct req *r)
{
	return dispute_act(r, STEP_MEDIATE);
}
static int dispute_resolve(struct req *r)
{
	return dispute_act(r, STEP_RESOLVE);
}
static int dispute_withdraw(struct req *r)
{
	return dispute_act(r, STEP_WITHDRAW);
}

static int dispute_get(struct req *r)
{
	return auth_answer_object(r, "dispute", "dispute");
}

struct dispute_filter {
	const char *status, *party;
	json_t *items;
};

static int dispute_collect(void *ctx, json_t *d)
{
	struct dispute_filter *f = ctx;
	const char *c = json_string_value(json_object_get(d, "complainant"));
	const char *a = json_string_value(json_object_get(d, "against"));
	if (f->status && strcmp(f->status, dispute_status(d)) != 0)
		return 0;
	if (f->party && !(c && strcmp(c, f->party) == 0) && !(a && strcmp(a, f->party) == 0))
		return 0;
	json_array_append(f->items, d);
	return 0;
}

static int dispute_list(struct req *r)
{
	char role[16];
	struct dispute_filter f = {NULL, req_query(r, "party"), NULL};
	int rc;

	if ((rc = caller_role(r, role)))
		return rc;
	if (!auth_sees(role, r->who.party, "dispute", NULL))
		return req_fail(r, TQ_EFORBIDDEN, "a %s may not read disputes", role);
	if ((rc = in_query_enum(r, "status", dispute_statuses, &f.status)))
		return rc;
	f.items = json_array();
	if ((rc = store_obj_scan(r->app->store, r->param[0], "dispute", NULL, 0, 0, dispute_collect, &f))) {
		json_decref(f.items);
		return req_fail(r, rc, "store failure");
	}
	return out_page(r, f.items, "id");
}

/* Deadlines "dispute.respond" and "dispute.resolve": a missed one escalates. */
int api_dispute_escalate(struct app *a, const struct store_deadline *dl, tq_time now)
{
	json_t *track = NULL, *d = NULL;
	int respond = strcmp(dl->kind, DISPUTE_KIND_RESPOND) == 0;
	int rc = app_track(a, dl->track, &track);
	if (rc == TQ_OK)
		rc = store_obj_get(a->store, dl->track, "dispute", dl->object_id, &d);
	if (rc == TQ_ENOTFOUND) {
		rc = TQ_OK;
		goto done;
	}
	if (rc)
		goto done;
	/* The state decides, not the deadline row: a step that raced the
	 * deadline in an earlier transaction has already made it moot. */
	if (respond ? strcmp(dispute_status(d), "open") != 0 : dispute_final(d))
		goto done;
	json_object_set_new(d, "escalated", json_true());
	json_t *esc = json_object_get(d, "escalations");
	if (!json_is_array(esc)) {
		esc = json_array();
		json_object_set_new(d, "escalations", esc);
	}
	json_array_append_new(esc, json_pack("{s:s, s:O, s:o}", "missed", respond ? "respond_by" : "resolve_by",
					     "due", json_object_get(d, respond ? "respond_by" : "resolve_by"), "at",
					     app_time_json(now)));
	json_object_set_new(d, "version", json_integer(json_integer_value(json_object_get(d, "version")) + 1));
	json_object_set_new(d, "updated_at", app_time_json(now));
	rc = dispute_save(a, &sweeper_who, now, track, d, "dispute.escalated", 1);
done:
	json_decref(d);
	json_decref(track);
	return rc;
}

const struct route api_dispute_routes[] = {
	{"POST", "/v1/tracks/:t/disputes", dispute_create, ROUTE_WRITE},
	{"GET", "/v1/tracks/:t/disputes", dispute_list, 0},
	{"GET", "/v1/tracks/:t/disputes/:id", dispute_get, 0},
	{"POST", "/v1/tracks/:t/disputes/:id/respond", dispute_respond, ROUTE_WRITE},
	{"POST", "/v1/tracks/:t/disputes/:id/mediate", dispute_mediate, ROUTE_WRITE},
	{"POST", "/v1/tracks/:t/disputes/:id/resolve", dispute_resolve, ROUTE_WRITE},
	{"POST", "/v1/tracks/:t/disputes/:id/withdraw", dispute_withdraw, ROUTE_WRITE},
	{NULL, NULL, NULL, 0},
};
