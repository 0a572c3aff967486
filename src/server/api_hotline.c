/*
 * api_hotline — precedence messages between the parties of a track (api.md,
 * Hotline; Precise rules 4, 7, 8, 9).
 *
 * A message has a per-track `seq` taken as max+1 of the stored ones while the
 * request's batch is built (no transaction open). Writes are serialised under
 * the app lock, and commit_apply refuses a batch built on a log that moved
 * before its transaction took the write lock (COMMIT_STALE: another node
 * wrote): it is built again inside the transaction. So the order is total and
 * the sequence has no gaps and no duplicates, also across nodes.
 *
 * When an acknowledgement is required, `ack_due` = now + the track's
 * ack_deadline for the precedence, and a "message.ack" deadline is set in the
 * same transaction; the sweeper fires it once (also across a
 * restart) and, if an addressee is still missing, marks the message escalated
 * and emits `message.escalated` to everyone who sees the message and always to
 * the mediator and supervisor (rule 4).
 *
 * The workflow (who may send and acknowledge, addressees, deadlines, the
 * escalation) is core/message.h; this file parses, authorises, commits and
 * answers.
 *
 * The body is stored as jansson decoded it (valid UTF-8, checked by the JSON
 * parser) and written back unchanged: no normalisation, so any script survives
 * byte for byte.
 */
#include "server/api.h"
#include "server/group.h"

#include "server/commit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/limits.h"
#include "core/message.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/ratelimit.h"
#include "server/sweeper.h"
#include "server/wfcommit.h"

#define MSG_MAX_REFS 32
#define MSG_REF_ID_MAX 64

static const char *const precedences[] = {"routine", "priority", "immediate", "flash", NULL};
static const char *const ref_types[] = {"zone", "deployment", "activity", "conflict", "message",
					"threat", "dispute", "meeting", "minutes", "action", NULL};

static int field_fail(struct req *r, int err, const char *field, const char *msg)
{
	struct tq_field_error fe;
	TQ_FIELD_ERROR(&fe, field, "%s", msg);
	return req_fail_field(r, err, &fe);
}

/* A refusal from core: a field error when it names a field, else a detail. */
static int core_fail(struct req *r, int rc, const struct tq_field_error *fe)
{
	if (fe->field[0])
		return req_fail_field(r, rc, fe);
	return req_fail(r, rc, "%s", fe->message[0] ? fe->message : tq_err_name(rc));
}

/* refs: [{"type","id"}], checked for shape only (the objects may belong to
 * modules that keep their own ids; a reference is a pointer, not a claim). */
static int parse_refs(struct req *r, const json_t *body, json_t **out)
{
	json_t *in = NULL, *refs, *v;
	size_t i;
	char field[48];
	int rc;
	*out = NULL;
	if ((rc = in_array(r, body, "refs", 0, MSG_MAX_REFS, &in)))
		return rc;
	refs = json_array();
	json_array_foreach(in, i, v) {
		const char *type = NULL, *id = NULL;
		snprintf(field, sizeof field, "refs[%zu]", i);
		if (!json_is_object(v)) {
			json_decref(refs);
			return field_fail(r, TQ_EMALFORMED, field, "must be an object {type, id}");
		}
		if ((rc = in_enum(r, v, "type", 1, ref_types, &type)) ||
		    (rc = in_string(r, v, "id", 1, MSG_REF_ID_MAX, &id))) {
			json_decref(refs);
			return rc;
		}
		if (!id[0]) {
			json_decref(refs);
			return field_fail(r, TQ_EINVALID, field, "id must not be empty");
		}
		json_array_append_new(refs, json_pack("{s:s, s:s}", "type", type, "id", id));
	}
	*out = refs;
	return TQ_OK;
}

/* Stores m (whose stored state was `before`, NULL when new) and applies fx. */
static int msg_commit(struct commit *c, const json_t *track, const json_t *before,
		      const struct message *m, const struct effects *fx, json_t **out)
{
	json_t *j = message_to_json(m);
	struct wf_write wr = {MESSAGE_TYPE, m->id, m->track, m->from, message_status(m), m->seq, before, j};
	int rc = j ? wfcommit(c, track, &wr, fx) : TQ_ENOMEM;
	if (rc == TQ_OK && out)
		*out = json_incref(j);
	json_decref(j);
	return rc;
}

/* The track's members as core sees them, and the caller's role. */
static int members_of(struct req *r, const json_t *track, struct vis_track *t)
{
	int rc = vis_track_from_json(track, t);
	return rc ? req_fail(r, TQ_EINTERNAL, "the track's members are unreadable") : TQ_OK;
}

/* ---- POST /v1/tracks/:t/messages -------------------------------------------- */

static int message_create_route(struct req *r)
{
	json_t *body, *track = NULL, *refs = NULL, *out = NULL;
	const char *role;
	struct message_draft d = {.track = r->param[0], .ack_required = -1};
	struct track_settings settings;
	struct vis_track members;
	struct message m = {0};
	struct effects fx;
	struct tq_field_error fe = {{0}, {0}};
	struct actor by = wf_actor(&r->who);
	char id[APP_ID_BUFSZ];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	if (!message_may_send(vis_role_parse(role))) {
		rc = req_fail(r, TQ_EFORBIDDEN, "a %s may not send hotline messages", role);
		goto done;
	}
	if ((rc = req_object(r, &body)) || (rc = members_of(r, track, &members)))
		goto done;
	d.to = json_object_get(body, "to");
	if ((rc = in_enum(r, body, "precedence", 1, precedences, &d.precedence)) ||
	    (rc = in_string(r, body, "subject", 1, TQ_MAX_NAME_BYTES, &d.subject)) ||
	    (rc = in_string(r, body, "body", 1, TQ_MAX_MESSAGE_BODY, &d.body)) || (rc = parse_refs(r, body, &refs)))
		goto done;
	d.refs = refs;
	if ((rc = in_bool(r, body, "ack_required", &d.ack_required)))
		goto done;
	if ((rc = app_track_settings(track, &settings))) {
		req_fail(r, rc, "the track's settings are unreadable");
		goto done;
	}
	if ((rc = store_obj_max_seq(r->app->store, r->param[0], MESSAGE_TYPE, &d.seq))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	d.seq++;
	app_new_id("msg", r->now, id);
	d.id = id;
	if ((rc = message_create(&members, &settings, &d, &by, r->now, &m, &fx, &fe))) {
		core_fail(r, rc, &fe);
		goto done;
	}
	if ((rc = msg_commit(r->commit, track, NULL, &m, &fx, &out))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/messages/%s", r->param[0], id);
	req_json(r, 201, out);
done:
	message_free(&m);
	json_decref(refs);
	json_decref(track);
	return rc;
}

/* The CoT gateway's GeoChat: POST …/messages as user w, with the same checks
 * and the same commit path as over HTTP (the user's rate limit, viewer
 * refused, built with no transaction open and built again inside it if
 * something committed in between: router.c, run_write). */
int api_hotline_post_as(struct app *a, const struct who *w, const char *track, json_t *body, char *detail,
			size_t detail_len)
{
	struct req r = {.app = a, .who = *w, .method = "POST", .json = body};
	int rc;
	r.param[0] = track;
	group_lock_write(a); /* commit_apply (not shared) commits at once */
	if (app_sync(a) != TQ_OK) {
		/* the write meets the same failure in the store and answers it */
	}
	r.now = app_now();
	if (a->rate_user && (r.retry_after = ratelimit_take(a->rate_user, w->user, r.now)))
		rc = req_fail(&r, TQ_ERATE, "too many requests from this user; retry in %d s", r.retry_after);
	else if (strcmp(w->role, "viewer") == 0)
		rc = req_fail(&r, TQ_EFORBIDDEN, "a viewer may not write");
	else
		for (int staged = 1;; staged = 0) {
			if ((rc = commit_new(a, &r.who, r.now, &r.commit))) {
				req_fail(&r, rc, "out of memory");
				break;
			}
			if (!staged && (rc = commit_open(r.commit))) {
				req_fail(&r, rc, "the store is busy");
				break;
			}
			if ((rc = message_create_route(&r)) || r.status != 201)
				break;
			rc = commit_apply(r.commit);
			if (rc == COMMIT_STALE && staged) {
				commit_free(r.commit);
				r.commit = NULL;
				req_reset(&r);
				r.now = app_now();
				continue;
			}
			if (rc)
				req_fail(&r, rc == COMMIT_STALE ? TQ_EINTERNAL : rc, "the change could not be committed");
			break;
		}
	commit_free(r.commit); /* the one commit path, as the router runs a write */
	group_unlock(a);
	snprintf(detail, detail_len, "%s", r.detail);
	json_decref(r.out);
	return rc ? rc : (r.status == 201 ? TQ_OK : TQ_EINTERNAL);
}

/* ---- GET /v1/tracks/:t/messages, GET …/:id ------------------------------------ */

struct list_ctx {
	enum vis_role role;
	const char *party;
	json_t *items;
	size_t limit;
	int more;
};

static int list_visit(void *ctx, json_t *msg)
{
	struct list_ctx *c = ctx;
	if (!vis_sees(c->role, c->party, MESSAGE_TYPE, msg))
		return 0;
	if (json_array_size(c->items) == c->limit) {
		c->more = 1;
		return 1;
	}
	json_array_append(c->items, msg);
	return 0;
}

static int parse_seq(struct req *r, const char *name, int64_t *out)
{
	const char *s = req_query(r, name);
	char *end;
	if (!s)
		return TQ_OK;
	long long v = strtoll(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || strlen(s) > 18 || v < 0)
		return req_fail(r, TQ_EMALFORMED, "query parameter '%s' must be a non-negative integer", name);
	*out = v;
	return TQ_OK;
}

static int message_list(struct req *r)
{
	json_t *track, *last;
	const char *role;
	struct list_ctx c = {.party = r->who.party};
	int64_t after = 0;
	char next[24];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	c.role = vis_role_parse(role);
	if (!vis_reads_type(c.role, MESSAGE_TYPE)) {
		/* Visible track, but a role that can never see a message (rule 8). */
		rc = req_fail(r, TQ_EFORBIDDEN, "an observer sees no hotline messages");
		goto done;
	}
	/* ?after= is the generic cursor of every list (api.md, Conventions); here it is a seq. */
	if ((rc = parse_seq(r, "after", &after)) || (rc = parse_seq(r, "after_seq", &after)) ||
	    (rc = req_limit(r, &c.limit)))
		goto done;
	c.items = json_array();
	if ((rc = store_obj_scan(r->app->store, r->param[0], MESSAGE_TYPE, NULL, 1, after, list_visit, &c))) {
		json_decref(c.items);
		req_fail(r, rc, "store failure");
		goto done;
	}
	last = json_array_get(c.items, c.limit - 1);
	if (c.more)
		snprintf(next, sizeof next, "%lld", (long long)json_integer_value(json_object_get(last, "seq")));
	req_json(r, 200, json_pack("{s:o, s:s?}", "items", c.items, "next", c.more ? next : NULL));
done:
	json_decref(track);
	return rc;
}

static int message_get(struct req *r)
{
	return auth_answer_object(r, MESSAGE_TYPE, "message");
}

/* ---- POST /v1/tracks/:t/messages/:id/ack --------------------------------------- */

static int message_ack_route(struct req *r)
{
	json_t *body, *track = NULL, *stored = NULL, *out = NULL;
	const char *role;
	struct message m = {0};
	struct effects fx;
	struct tq_field_error fe = {{0}, {0}};
	int rc;

	if ((rc = req_object(r, &body)) || (rc = auth_track_content(r, r->param[0], &track, &role)) ||
	    (rc = auth_object(r, role, MESSAGE_TYPE, r->param[1], "message", &stored)))
		goto done;
	if ((rc = message_from_json(stored, &m))) {
		req_fail(r, TQ_EINTERNAL, "a stored message is unreadable");
		goto done;
	}
	if ((rc = in_if_match(r, m.stamp.version)))
		goto done;
	if ((rc = message_ack(&m, r->who.party, r->now, &fx, &fe))) {
		core_fail(r, rc, &fe);
		goto done;
	}
	if ((rc = msg_commit(r->commit, track, stored, &m, &fx, &out))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	req_json(r, 200, out);
done:
	message_free(&m);
	json_decref(stored);
	json_decref(track);
	return rc;
}

/* ---- the "message.ack" deadline (sweeper) ----------------------------------------- */

int api_hotline_ack_due(struct app *a, const struct store_deadline *d, tq_time now)
{
	json_t *stored = NULL, *track = NULL;
	struct message m = {0};
	struct effects fx;
	int rc = store_obj_get(a->store, d->track, MESSAGE_TYPE, d->object_id, &stored);
	if (rc == TQ_ENOTFOUND)
		return TQ_OK; /* nothing to escalate; the deadline is retired */
	if (rc)
		return rc;
	if ((rc = message_from_json(stored, &m)))
		goto done;
	message_ack_due(&m, now, &fx);
	if (fx.nev == 0)
		goto done;
	if ((rc = app_track(a, d->track, &track)) == TQ_OK)
		rc = msg_commit(a->open_batch, track, stored, &m, &fx, NULL);
done:
	message_free(&m);
	json_decref(track);
	json_decref(stored);
	return rc;
}

const struct route api_hotline_routes[] = {
	{"POST", "/v1/tracks/:t/messages", message_create_route, ROUTE_WRITE | ROUTE_STAGED},
	{"GET", "/v1/tracks/:t/messages", message_list, ROUTE_CACHE},
	{"GET", "/v1/tracks/:t/messages/:id", message_get, 0},
	{"POST", "/v1/tracks/:t/messages/:id/ack", message_ack_route, ROUTE_WRITE | ROUTE_STAGED},
	{NULL, NULL, NULL, 0},
};
