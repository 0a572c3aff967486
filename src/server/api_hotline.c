/*
 * api_hotline — precedence messages between the parties of a track (api.md,
 * Hotline; Precise rules 4, 7, 8, 9).
 *
 * A message has a per-track `seq` taken as max+1 inside the write transaction:
 * writes are serialised under the app lock, so the order is total and the
 * sequence has no gaps. When an acknowledgement is required, `ack_due` = now +
 * the track's ack_deadline for the precedence, and a "message.ack" deadline is
 * set in the same transaction; the sweeper fires it once (also across a
 * restart) and, if an addressee is still missing, marks the message escalated
 * and emits `message.escalated` to everyone who sees the message and always to
 * the mediator and supervisor (rule 4).
 *
 * The body is stored as jansson decoded it (valid UTF-8, checked by the JSON
 * parser) and written back unchanged: no normalisation, so any script survives
 * byte for byte.
 */
#include "server/api.h"

#include "server/commit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/limits.h"
#include "core/settings.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/ratelimit.h"
#include "server/sweeper.h"

#define MSG_TYPE "message"
#define MSG_ACK_KIND "message.ack"
#define MSG_MAX_REFS 32
#define MSG_REF_ID_MAX 64

static const char *const precedences[] = {"routine", "priority", "immediate", "flash", NULL};
static const char *const ref_types[] = {"zone", "deployment", "activity", "conflict", "message",
					"threat", "dispute", "meeting", "minutes", "action", NULL};
static const char *const sender_roles[] = {"principal", "mediator", "supervisor", NULL};

static int field_fail(struct req *r, int err, const char *field, const char *msg)
{
	struct tq_field_error fe;
	TQ_FIELD_ERROR(&fe, field, "%s", msg);
	return req_fail_field(r, err, &fe);
}

/* Whether a role may read messages at all (auth_sees gives observers none). */
static int role_reads_messages(const char *role)
{
	return role && strcmp(role, "observer") != 0;
}

static int str_in(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

/* `to`: "all" or a non-empty list of distinct track members who can read
 * messages (rule 9: a party outside the track, or an empty list, is 422).
 * *addressees (owned) are the parties expected to acknowledge: the readers
 * addressed, without the sender. */
static int parse_to(struct req *r, const json_t *body, const json_t *track, json_t **to_out, json_t **addressees)
{
	const json_t *to = json_object_get(body, "to");
	json_t *list = NULL, *who = json_array();
	size_t i;
	json_t *v;
	char field[32];
	int rc = TQ_OK;

	*to_out = NULL;
	*addressees = NULL;
	if (!to || json_is_null(to)) {
		rc = field_fail(r, TQ_EMALFORMED, "to", "is required: \"all\" or a list of parties");
		goto fail;
	}
	if (json_is_string(to)) {
		if (strcmp(json_string_value(to), "all") != 0) {
			rc = field_fail(r, TQ_EINVALID, "to", "must be \"all\" or a list of parties");
			goto fail;
		}
		json_array_foreach(json_object_get(track, "members"), i, v) {
			const char *party = json_string_value(json_object_get(v, "party"));
			const char *role = json_string_value(json_object_get(v, "role"));
			if (party && role_reads_messages(role) && strcmp(party, r->who.party) != 0)
				json_array_append_new(who, json_string(party));
		}
		*to_out = json_string("all");
		*addressees = who;
		return TQ_OK;
	}
	if (!json_is_array(to)) {
		rc = field_fail(r, TQ_EMALFORMED, "to", "must be \"all\" or a list of parties");
		goto fail;
	}
	if (json_array_size(to) == 0) {
		rc = field_fail(r, TQ_EINVALID, "to", "must name at least one party");
		goto fail;
	}
	if (json_array_size(to) > TQ_MAX_TRACK_MEMBERS) {
		rc = field_fail(r, TQ_EINVALID, "to", "names more parties than a track has");
		goto fail;
	}
	list = json_array();
	json_array_foreach(to, i, v) {
		snprintf(field, sizeof field, "to[%zu]", i);
		if (!json_is_string(v)) {
			rc = field_fail(r, TQ_EMALFORMED, field, "must be a party id");
			goto fail;
		}
		const char *party = json_string_value(v);
		const char *role = app_member_role(track, party);
		if (!role) {
			struct tq_field_error fe;
			TQ_FIELD_ERROR(&fe, field, "'%.16s' is not a party of this track", party);
			rc = req_fail_field(r, TQ_EINVALID, &fe);
			goto fail;
		}
		if (!role_reads_messages(role)) {
			struct tq_field_error fe;
			TQ_FIELD_ERROR(&fe, field, "'%.16s' is an observer and cannot receive messages", party);
			rc = req_fail_field(r, TQ_EINVALID, &fe);
			goto fail;
		}
		if (str_in(list, party)) {
			struct tq_field_error fe;
			TQ_FIELD_ERROR(&fe, field, "'%.16s' is listed twice", party);
			rc = req_fail_field(r, TQ_EINVALID, &fe);
			goto fail;
		}
		json_array_append_new(list, json_string(party));
		if (strcmp(party, r->who.party) != 0)
			json_array_append_new(who, json_string(party));
	}
	*to_out = list;
	*addressees = who;
	return TQ_OK;
fail:
	json_decref(list);
	json_decref(who);
	return rc;
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

static const char *msg_status(const json_t *msg)
{
	if (json_is_true(json_object_get(msg, "escalated")))
		return "escalated";
	if (json_array_size(json_object_get(msg, "awaiting")) == 0)
		return "complete";
	return "open";
}

static int msg_put(struct app *a, const json_t *msg)
{
	struct store_obj_meta m = {
		.id = json_string_value(json_object_get(msg, "id")),
		.track = json_string_value(json_object_get(msg, "track")),
		.type = MSG_TYPE,
		.party = json_string_value(json_object_get(msg, "from")),
		.status = msg_status(msg),
		.seq = json_integer_value(json_object_get(msg, "seq")),
	};
	return store_obj_put(a->store, &m, msg);
}

static int msg_emit(struct app *a, const struct who *w, tq_time now, const char *type, const json_t *track,
		    const json_t *msg, int oversight)
{
	char audience[AUTH_AUDIENCE_MAX];
	auth_audience(track, MSG_TYPE, msg, oversight, audience, sizeof audience);
	return app_emit(a, w, now, type, json_string_value(json_object_get(msg, "track")), audience, msg, NULL);
}

/* ---- POST /v1/tracks/:t/messages -------------------------------------------- */

static int message_create(struct req *r)
{
	json_t *body, *track = NULL, *to = NULL, *addressees = NULL, *refs = NULL, *msg = NULL;
	const char *role, *precedence = NULL, *subject = NULL, *text = NULL;
	struct track_settings settings;
	char id[APP_ID_BUFSZ];
	int64_t seq;
	int ack_required, rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	if ((rc = auth_require_role(r, role, sender_roles, "send hotline messages")))
		goto done;
	if ((rc = req_object(r, &body)) || (rc = parse_to(r, body, track, &to, &addressees)) ||
	    (rc = in_enum(r, body, "precedence", 1, precedences, &precedence)) ||
	    (rc = in_string(r, body, "subject", 1, TQ_MAX_NAME_BYTES, &subject)) ||
	    (rc = in_string(r, body, "body", 1, TQ_MAX_MESSAGE_BODY, &text)) || (rc = parse_refs(r, body, &refs)))
		goto done;
	if (!refs)
		refs = json_array();
	if (!subject[0]) {
		rc = field_fail(r, TQ_EINVALID, "subject", "must not be empty");
		goto done;
	}
	if (!text[0]) {
		rc = field_fail(r, TQ_EINVALID, "body", "must not be empty");
		goto done;
	}
	int prec = precedence_parse(precedence);
	ack_required = prec == PREC_IMMEDIATE || prec == PREC_FLASH;
	if ((rc = in_bool(r, body, "ack_required", &ack_required)))
		goto done;
	if ((rc = app_track_settings(track, &settings))) {
		req_fail(r, rc, "the track's settings are unreadable");
		goto done;
	}
	if ((rc = store_obj_max_seq(r->app->store, r->param[0], MSG_TYPE, &seq))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	app_new_id("msg", r->now, id);
	msg = json_pack("{s:s, s:s, s:I, s:s, s:O, s:s, s:s, s:s, s:o, s:b, s:O, s:o, s:[], s:[], s:b}", "id", id,
			"track", r->param[0], "seq", (json_int_t)(seq + 1), "from", r->who.party, "to", to,
			"precedence", precedence, "subject", subject, "body", text, "refs", refs, "ack_required",
			ack_required, "addressees", addressees, "awaiting", json_copy(addressees), "acks", "acknowledgements",
			"escalated", 0);
	refs = NULL;
	if (!msg) {
		rc = req_fail(r, TQ_ENOMEM, "out of memory");
		goto done;
	}
	/* awaiting: the addressees whose acknowledgement the deadline waits for. */
	if (!ack_required)
		json_object_set_new(msg, "awaiting", json_array());
	tq_time due = r->now + settings.ack_deadline_ms[prec];
	if (ack_required && json_array_size(addressees) > 0) {
		json_object_set_new(msg, "ack_due", app_time_json(due));
		if ((rc = sweeper_schedule(r->app, r->param[0], id, MSG_ACK_KIND, due))) {
			req_fail(r, rc, "store failure");
			goto done;
		}
	}
	api_stamp(r, msg);
	if ((rc = msg_put(r->app, msg)) || (rc = msg_emit(r->app, &r->who, r->now, "message.created", track, msg, 0))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s/messages/%s", r->param[0], id);
	req_json(r, 201, msg);
	msg = NULL;
done:
	json_decref(msg);
	json_decref(refs);
	json_decref(to);
	json_decref(addressees);
	json_decref(track);
	return rc;
}

/* The CoT gateway's GeoChat: POST …/messages as user w, with the same checks
 * and the same commit path as over HTTP (the user's rate limit, viewer
 * refused, one transaction). */
int api_hotline_post_as(struct app *a, const struct who *w, const char *track, json_t *body, char *detail,
			size_t detail_len)
{
	struct req r = {.app = a, .who = *w, .method = "POST", .json = body};
	int rc;
	r.param[0] = track;
	app_lock_write(a); /* commit_apply (not shared) commits at once */
	r.now = app_now();
	if (a->rate_user && (r.retry_after = ratelimit_take(a->rate_user, w->user, r.now)))
		rc = req_fail(&r, TQ_ERATE, "too many requests from this user; retry in %d s", r.retry_after);
	else if (strcmp(w->role, "viewer") == 0)
		rc = req_fail(&r, TQ_EFORBIDDEN, "a viewer may not write");
	else if ((rc = commit_new(a, w, r.now, &r.commit)))
		req_fail(&r, rc, "out of memory");
	else if ((rc = commit_open(r.commit)))
		req_fail(&r, rc, "the store is busy");
	else if ((rc = message_create(&r)) == TQ_OK && r.status == 201 && (rc = commit_apply(r.commit)))
		req_fail(&r, rc, "the change could not be committed");
	commit_free(r.commit); /* the one commit path, as the router runs a write */
	app_unlock(a);
	snprintf(detail, detail_len, "%s", r.detail);
	json_decref(r.out);
	return rc ? rc : (r.status == 201 ? TQ_OK : TQ_EINTERNAL);
}

/* ---- GET /v1/tracks/:t/messages, GET …/:id ------------------------------------ */

struct list_ctx {
	const char *role, *party;
	json_t *items;
	size_t limit;
	int more;
};

static int list_visit(void *ctx, json_t *msg)
{
	struct list_ctx *c = ctx;
	if (!auth_sees(c->role, c->party, MSG_TYPE, msg))
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
	json_t *track;
	const char *role;
	struct list_ctx c = {.party = r->who.party};
	int64_t after = 0;
	char next[24];
	int rc;

	if ((rc = auth_track_content(r, r->param[0], &track, &role)))
		return rc;
	c.role = role;
	if (!role_reads_messages(role)) {
		/* Visible track, but a role that can never see a message (rule 8). */
		rc = req_fail(r, TQ_EFORBIDDEN, "an observer sees no hotline messages");
		goto done;
	}
	/* ?after= is the generic cursor of every list (api.md, Conventions); here it is a seq. */
	if ((rc = parse_seq(r, "after", &after)) || (rc = parse_seq(r, "after_seq", &after)) ||
	    (rc = req_limit(r, &c.limit)))
		goto done;
	c.items = json_array();
	if ((rc = store_obj_scan(r->app->store, r->param[0], MSG_TYPE, NULL, 1, after, list_visit, &c))) {
		json_decref(c.items);
		req_fail(r, rc, "store failure");
		goto done;
	}
	if (c.more)
		snprintf(next, sizeof next, "%lld",
			 (long long)json_integer_value(json_object_get(json_array_get(c.items, c.limit - 1), "seq")));
	req_json(r, 200, json_pack("{s:o, s:s?}", "items", c.items, "next", c.more ? next : NULL));
done:
	json_decref(track);
	return rc;
}

/* The message as the caller may see it; 404 when it cannot (rule 8). */
static int visible_message(struct req *r, json_t **track, const char **role, json_t **msg)
{
	int rc;
	*msg = NULL;
	if ((rc = auth_track_content(r, r->param[0], track, role)))
		return rc;
	if ((rc = auth_object(r, *role, MSG_TYPE, r->param[1], "message", msg))) {
		json_decref(*track);
		*track = NULL;
	}
	return rc;
}

static int message_get(struct req *r)
{
	json_t *track, *msg;
	const char *role;
	int rc = visible_message(r, &track, &role, &msg);
	if (rc)
		return rc;
	json_decref(track);
	req_json(r, 200, msg);
	return TQ_OK;
}

/* ---- POST /v1/tracks/:t/messages/:id/ack --------------------------------------- */

static int message_ack(struct req *r)
{
	json_t *body, *track, *msg;
	const char *role;
	size_t i;
	json_t *v;
	int rc;

	if ((rc = req_object(r, &body)) || (rc = visible_message(r, &track, &role, &msg)))
		return rc;
	if ((rc = in_if_match(r, json_integer_value(json_object_get(msg, "version")))))
		goto done;
	if (!str_in(json_object_get(msg, "addressees"), r->who.party)) {
		rc = req_fail(r, TQ_EFORBIDDEN, "only an addressee acknowledges a message");
		goto done;
	}
	if (str_in(json_object_get(msg, "acks"), r->who.party)) {
		rc = req_fail(r, TQ_ECONFLICT, "%s has already acknowledged this message", r->who.party);
		goto done;
	}
	json_array_append_new(json_object_get(msg, "acks"), json_string(r->who.party));
	json_array_append_new(json_object_get(msg, "acknowledgements"),
			      json_pack("{s:s, s:o}", "party", r->who.party, "at", app_time_json(r->now)));
	json_t *awaiting = json_object_get(msg, "awaiting");
	json_array_foreach(awaiting, i, v) {
		if (strcmp(json_string_value(v), r->who.party) == 0) {
			json_array_remove(awaiting, i);
			break;
		}
	}
	/* Everyone has answered: the deadline has nothing left to escalate. */
	if (json_array_size(awaiting) == 0 &&
	    (rc = store_deadline_clear(r->app->store, r->param[1], MSG_ACK_KIND)) && rc != TQ_ENOTFOUND) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	api_bump(r, msg);
	if ((rc = msg_put(r->app, msg)) ||
	    (rc = msg_emit(r->app, &r->who, r->now, "message.acked", track, msg,
			   json_is_true(json_object_get(msg, "escalated"))))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	req_json(r, 200, msg);
	msg = NULL;
done:
	json_decref(msg);
	json_decref(track);
	return rc;
}

/* ---- the "message.ack" deadline (sweeper) ----------------------------------------- */

int api_hotline_ack_due(struct app *a, const struct store_deadline *d, tq_time now)
{
	json_t *msg = NULL, *track = NULL;
	int rc = store_obj_get(a->store, d->track, MSG_TYPE, d->object_id, &msg);
	if (rc == TQ_ENOTFOUND)
		return TQ_OK; /* nothing to escalate; the deadline is retired */
	if (rc)
		return rc;
	/* Escalate once, and only while an addressee is still missing. */
	if (json_is_true(json_object_get(msg, "escalated")) || json_array_size(json_object_get(msg, "awaiting")) == 0)
		goto done;
	if ((rc = app_track(a, d->track, &track)))
		goto done;
	json_object_set_new(msg, "escalated", json_true());
	json_object_set_new(msg, "escalated_at", app_time_json(now));
	json_object_set_new(msg, "version", json_integer(json_integer_value(json_object_get(msg, "version")) + 1));
	json_object_set_new(msg, "updated_at", app_time_json(now));
	if ((rc = msg_put(a, msg)) == TQ_OK)
		rc = msg_emit(a, &sweeper_who, now, "message.escalated", track, msg, 1);
done:
	json_decref(track);
	json_decref(msg);
	return rc;
}

const struct route api_hotline_routes[] = {
	{"POST", "/v1/tracks/:t/messages", message_create, ROUTE_WRITE},
	{"GET", "/v1/tracks/:t/messages", message_list, ROUTE_CACHE},
	{"GET", "/v1/tracks/:t/messages/:id", message_get, 0},
	{"POST", "/v1/tracks/:t/messages/:id/ack", message_ack, ROUTE_WRITE},
	{NULL, NULL, NULL, 0},
};
