/*
 * api_admin — health, parties, users and tracks (api.md, Cell administration
 * and Tracks).
 */
#include "server/api.h"
#include "server/hub.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include "core/limits.h"
#include "core/settings.h"
#include "core/token.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/witness.h"

static int health(struct req *r)
{
	uint64_t size;
	if (store_log_size(r->app->store, &size))
		return req_fail(r, TQ_EIO, "store failure");
	/* "witnesses": each witness's last cosigned size, only when --witness is given. */
	req_json(r, 200, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o?}", "status", "ok", "version", TANSIQ_VERSION, "store",
				   store_backend(r->app->store), "node", r->app->node, "log_size", (json_int_t)size,
				   "witnesses", witness_health(r->app)));
	return TQ_OK;
}

/* created_at, created_by, version: every object has them. */
void api_stamp(struct req *r, json_t *obj)
{
	json_object_set_new(obj, "created_at", app_time_json(r->now));
	json_object_set_new(obj, "created_by", app_who_json(&r->who));
	json_object_set_new(obj, "version", json_integer(1));
}

void api_bump(struct req *r, json_t *obj)
{
	json_int_t v = json_integer_value(json_object_get(obj, "version"));
	json_object_set_new(obj, "version", json_integer(v + 1));
	json_object_set_new(obj, "updated_at", app_time_json(r->now));
}

/* ---- staged store writes (commit_write) ------------------------------------ */

/* One write of a party, track, user or token, applied in the batch. */
struct admin_write {
	enum { W_PARTY, W_TRACK_NEW, W_TRACK, W_USER, W_TOKEN, W_USER_DELETE } what;
	char id[64];
	json_t *body;
	struct store_user user;
	uint8_t hash[32];
	tq_time now;
};

static int admin_write(struct store *s, void *ctx)
{
	struct admin_write *w = ctx;
	switch (w->what) {
	case W_PARTY:
		return store_party_insert(s, w->id, w->body);
	case W_TRACK_NEW:
	case W_TRACK:
		return store_track_put(s, w->id, w->body, w->what == W_TRACK_NEW);
	case W_USER:
		return store_user_insert(s, &w->user, w->now);
	case W_TOKEN:
		return store_token_insert(s, w->hash, w->id, "api", TQ_TIME_MAX);
	case W_USER_DELETE:
		return store_user_delete(s, w->id);
	}
	return TQ_EINTERNAL;
}

static void admin_write_free(void *ctx)
{
	struct admin_write *w = ctx;
	json_decref(w->body);
	if (w->user.pw_hash)
		sodium_memzero(w->user.pw_hash, strlen(w->user.pw_hash));
	store_user_clear(&w->user);
	sodium_memzero(w->hash, sizeof w->hash);
	free(w);
}

/* Stages a write; body (borrowed, may be NULL) gets a reference. */
static int stage(struct commit *c, int what, const char *id, json_t *body, const struct store_user *u,
		 const uint8_t hash[32], tq_time now)
{
	struct admin_write *w = calloc(1, sizeof *w);
	if (!w)
		return TQ_ENOMEM;
	w->what = what;
	snprintf(w->id, sizeof w->id, "%s", id);
	w->body = json_incref(body);
	w->now = now;
	if (u) {
		w->user = *u;
		w->user.pw_hash = NULL;
		if (u->pw_hash && !(w->user.pw_hash = strdup(u->pw_hash))) {
			admin_write_free(w);
			return TQ_ENOMEM;
		}
	}
	if (hash)
		memcpy(w->hash, hash, sizeof w->hash);
	return commit_write(c, admin_write, w, admin_write_free);
}

/* ---- parties ------------------------------------------------------------- */

static int party_create(struct req *r)
{
	json_t *body, *party;
	const char *id = NULL, *name = NULL, *key = NULL;
	uint8_t pk[32];
	size_t pklen;
	int rc;

	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "id", 1, 8, &id)) ||
	    (rc = in_string(r, body, "name", 1, TQ_MAX_NAME_BYTES, &name)) ||
	    (rc = in_string(r, body, "public_key", 0, 128, &key)))
		return rc;
	if (!in_id_ok(id, 'p')) {
		struct tq_field_error fe = {"id", "must be 2 to 8 upper-case letters or digits"};
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	if (!name[0]) {
		struct tq_field_error fe = {"name", "must not be empty"};
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	if (key && (sodium_base642bin(pk, sizeof pk, key, strlen(key), NULL, &pklen, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 || pklen != 32)) {
		struct tq_field_error fe = {"public_key", "must be the base64 of a 32-byte Ed25519 public key"};
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	rc = store_party_get(r->app->store, id, &party);
	if (rc == TQ_OK) {
		json_decref(party);
		return req_fail(r, TQ_ECONFLICT, "party %s already exists", id);
	}
	if (rc != TQ_ENOTFOUND)
		return req_fail(r, rc, "store failure");
	party = json_pack("{s:s, s:s, s:s?}", "id", id, "name", name, "public_key", key);
	api_stamp(r, party);
	if ((rc = stage(r->commit, W_PARTY, id, party, NULL, NULL, r->now)) ||
	    (rc = commit_event(r->commit, "party.created", NULL, "*", party))) {
		json_decref(party);
		return req_fail(r, rc, "store failure");
	}
	snprintf(r->location, sizeof r->location, "/v1/parties/%s", id);
	req_json(r, 201, party);
	return TQ_OK;
}

static int party_list(struct req *r)
{
	json_t *all;
	if (store_party_all(r->app->store, &all))
		return req_fail(r, TQ_EIO, "store failure");
	return out_page(r, all, "id");
}

static int party_get(struct req *r)
{
	json_t *party;
	int rc = store_party_get(r->app->store, r->param[0], &party);
	if (rc)
		return req_fail(r, rc, rc == TQ_ENOTFOUND ? "no such party" : "store failure");
	req_json(r, 200, party);
	return TQ_OK;
}

/* ---- users --------------------------------------------------------------- */

int api_user_create(struct req *r, const char *name, const char *party, const char *role, const char *password,
		    json_t **out)
{
	struct store_user u = {0};
	uint8_t random[TOKEN_RANDOM_BYTES], hash[32];
	char token[TOKEN_BUFSZ], pwhash[crypto_pwhash_STRBYTES];
	json_t *user;
	int rc = store_user_by_name(r->app->store, name, &u);

	store_user_clear(&u);
	if (rc == TQ_OK)
		return req_fail(r, TQ_ECONFLICT, "a user named '%s' already exists", name);
	if (rc != TQ_ENOTFOUND)
		return req_fail(r, rc, "store failure");
	memset(&u, 0, sizeof u);

	app_new_id("usr", r->now, u.id);
	snprintf(u.name, sizeof u.name, "%s", name);
	snprintf(u.party, sizeof u.party, "%s", party ? party : "");
	snprintf(u.role, sizeof u.role, "%s", role);
	if (password) {
		if ((rc = token_password_hash(password, strlen(password), pwhash, sizeof pwhash)))
			return req_fail(r, rc, "cannot hash the password");
		u.pw_hash = pwhash;
	}
	randombytes_buf(random, sizeof random);
	token_format(random, token);
	sodium_memzero(random, sizeof random);
	token_hash(token, strlen(token), hash);
	user = json_pack("{s:s, s:s, s:s?, s:s}", "id", u.id, "name", u.name, "party", party, "role", role);
	api_stamp(r, user);
	char audience[64];
	snprintf(audience, sizeof audience, party ? ",@,%s," : ",@,", party);
	if ((rc = stage(r->commit, W_USER, u.id, NULL, &u, NULL, r->now)) ||
	    (rc = stage(r->commit, W_TOKEN, u.id, NULL, NULL, hash, r->now)) ||
	    (rc = commit_event(r->commit, "user.created", NULL, audience, user))) {
		sodium_memzero(hash, sizeof hash);
		json_decref(user);
		return req_fail(r, rc, "store failure");
	}
	sodium_memzero(hash, sizeof hash);
	json_object_set_new(user, "token", json_string(token));
	sodium_memzero(token, sizeof token);
	*out = user;
	return TQ_OK;
}

static int user_create(struct req *r)
{
	static const char *const roles[] = {"operator", "viewer", NULL};
	json_t *body, *user, *party_obj;
	const char *name = NULL, *party = NULL, *role = NULL, *password = NULL;
	int rc;

	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "name", 1, 64, &name)) ||
	    (rc = in_string(r, body, "party", 1, 8, &party)) || (rc = in_enum(r, body, "role", 1, roles, &role)) ||
	    (rc = in_string(r, body, "password", 0, 1024, &password)))
		return rc;
	if (!name[0] || strchr(name, ' ')) {
		struct tq_field_error fe = {"name", "must be non-empty, without spaces"};
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	if (password && strlen(password) < 8) {
		struct tq_field_error fe = {"password", "must have at least 8 characters"};
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	rc = store_party_get(r->app->store, party, &party_obj);
	if (rc == TQ_ENOTFOUND) {
		struct tq_field_error fe = {"party", "unknown party"};
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	if (rc)
		return req_fail(r, rc, "store failure");
	json_decref(party_obj);
	if ((rc = api_user_create(r, name, party, role, password, &user)))
		return rc;
	snprintf(r->location, sizeof r->location, "/v1/users/%s", json_string_value(json_object_get(user, "id")));
	req_json(r, 201, user);
	return TQ_OK;
}

static int user_delete(struct req *r)
{
	struct store_user u;
	int rc = store_user_get(r->app->store, r->param[0], &u);
	if (rc)
		return req_fail(r, rc, rc == TQ_ENOTFOUND ? "no such user" : "store failure");
	int is_admin = strcmp(u.role, "admin") == 0;
	store_user_clear(&u);
	if (is_admin)
		return req_fail(r, TQ_ECONFLICT, "the cell admin cannot be deleted");
	json_t *payload = json_pack("{s:s}", "id", r->param[0]);
	char audience[64];
	snprintf(audience, sizeof audience, u.party[0] ? ",@,%s," : ",@,", u.party);
	if ((rc = stage(r->commit, W_USER_DELETE, r->param[0], NULL, NULL, NULL, r->now)) == TQ_OK)
		rc = commit_event(r->commit, "user.deleted", NULL, audience, payload);
	if (rc == TQ_OK)
		hub_revoke_user_after_commit(r->app, r->commit, r->param[0]); /* its open streams end with it */
	json_decref(payload);
	if (rc)
		return req_fail(r, rc, "store failure");
	req_text(r, 204, NULL, NULL, 0);
	return TQ_OK;
}

/* ---- tracks -------------------------------------------------------------- */

static int members_parse(struct req *r, const json_t *arr, json_t **out)
{
	static const char *const roles[] = {"principal", "mediator", "supervisor", "host", "observer", NULL};
	json_t *members = json_array(), *m;
	size_t i;
	char field[64];
	int rc = TQ_OK;

	if (json_array_size(arr) == 0) {
		struct tq_field_error fe = {"members", "must name at least one member"};
		json_decref(members);
		return req_fail_field(r, TQ_EINVALID, &fe);
	}
	json_array_foreach(arr, i, m) {
		const char *party = NULL, *role = NULL;
		json_t *known;
		snprintf(field, sizeof field, "members[%zu]", i);
		if (!json_is_object(m)) {
			struct tq_field_error fe;
			TQ_FIELD_ERROR(&fe, field, "must be an object {party, role}");
			rc = req_fail_field(r, TQ_EMALFORMED, &fe);
			break;
		}
		snprintf(field, sizeof field, "members[%zu].party", i);
		if ((rc = in_string(r, m, "party", 1, 8, &party)))
			break;
		if ((rc = in_enum(r, m, "role", 1, roles, &role)))
			break;
		if (store_party_get(r->app->store, party, &known) != TQ_OK) {
			struct tq_field_error fe;
			TQ_FIELD_ERROR(&fe, field, "unknown party '%s'", party);
			rc = req_fail_field(r, TQ_EINVALID, &fe);
			break;
		}
		json_decref(known);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(json_string_value(json_object_get(json_array_get(arr, j), "party")), party) == 0) {
				struct tq_field_error fe;
				TQ_FIELD_ERROR(&fe, field, "party '%s' is listed twice", party);
				rc = req_fail_field(r, TQ_EINVALID, &fe);
				break;
			}
		}
		if (rc)
			break;
		json_array_append_new(members, json_pack("{s:s, s:s}", "party", party, "role", role));
	}
	if (rc) {
		json_decref(members);
		return rc;
	}
	*out = members;
	return TQ_OK;
}

/* The track as the caller sees it: with my_role (null for the cell admin). */
json_t *api_track_view(const json_t *track, const char *role)
{
	json_t *view = json_deep_copy(track);
	json_object_set_new(view, "my_role", role ? json_string(role) : json_null());
	return view;
}

static int track_create(struct req *r)
{
	json_t *body, *members_in = NULL, *settings_in = NULL, *members = NULL, *track;
	const char *id = NULL, *name = NULL;
	struct track_settings settings;
	struct tq_field_error fe = {{0}, {0}};
	char audience[AUTH_AUDIENCE_MAX];
	int rc;

	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "id", 1, 32, &id)) ||
	    (rc = in_string(r, body, "name", 1, TQ_MAX_NAME_BYTES, &name)) ||
	    (rc = in_array(r, body, "members", 1, TQ_MAX_TRACK_MEMBERS, &members_in)) ||
	    (rc = in_object(r, body, "settings", 0, &settings_in)))
		return rc;
	if (!in_id_ok(id, 't')) {
		struct tq_field_error e = {"id", "must be 1 to 32 characters of a-z, 0-9 and '-'"};
		return req_fail_field(r, TQ_EINVALID, &e);
	}
	settings_defaults(&settings);
	if (settings_in && (rc = settings_merge_json(&settings, settings_in, &fe)))
		return req_fail_field(r, rc, &fe);
	if ((rc = members_parse(r, members_in, &members)))
		return rc;
	rc = app_track(r->app, id, &track);
	if (rc == TQ_OK) {
		json_decref(track);
		json_decref(members);
		return req_fail(r, TQ_ECONFLICT, "track %s already exists", id);
	}
	if (rc != TQ_ENOTFOUND) {
		json_decref(members);
		return req_fail(r, rc, "store failure");
	}
	track = json_pack("{s:s, s:s, s:o, s:o}", "id", id, "name", name, "members", members, "settings",
			  settings_to_json(&settings));
	api_stamp(r, track);
	if ((rc = auth_audience_track(track, audience, sizeof audience)) ||
	    (rc = stage(r->commit, W_TRACK_NEW, id, track, NULL, NULL, r->now)) ||
	    (rc = commit_event(r->commit, "track.created", id, audience, track))) {
		json_decref(track);
		return req_fail(r, rc, "store failure");
	}
	api_track_changed(r->app, r->commit, track);
	snprintf(r->location, sizeof r->location, "/v1/tracks/%s", id);
	req_json(r, 201, api_track_view(track, NULL));
	json_decref(track);
	return TQ_OK;
}

static int track_update(struct req *r)
{
	json_t *body, *track, *members_in = NULL, *settings_in = NULL, *members = NULL;
	struct track_settings settings;
	struct tq_field_error fe = {{0}, {0}};
	char audience[AUTH_AUDIENCE_MAX];
	int rc;

	if ((rc = req_object(r, &body)) || (rc = in_array(r, body, "members", 0, TQ_MAX_TRACK_MEMBERS, &members_in)) ||
	    (rc = in_object(r, body, "settings", 0, &settings_in)))
		return rc;
	if (!members_in && !settings_in)
		return req_fail(r, TQ_EMALFORMED, "send settings or members");
	rc = app_track(r->app, r->param[0], &track);
	if (rc)
		return req_fail(r, rc, rc == TQ_ENOTFOUND ? "no such track" : "store failure");
	if ((rc = in_if_match(r, json_integer_value(json_object_get(track, "version")))))
		goto done;
	if ((rc = app_track_settings(track, &settings)))
		goto done;
	if (settings_in && (rc = settings_merge_json(&settings, settings_in, &fe))) {
		req_fail_field(r, rc, &fe);
		goto done;
	}
	if (members_in) {
		if ((rc = members_parse(r, members_in, &members)))
			goto done;
		json_object_set_new(track, "members", members);
	}
	json_object_set_new(track, "settings", settings_to_json(&settings));
	api_bump(r, track);
	if ((rc = auth_audience_track(track, audience, sizeof audience)) ||
	    (rc = stage(r->commit, W_TRACK, r->param[0], track, NULL, NULL, r->now)) ||
	    (rc = commit_event(r->commit, "track.updated", r->param[0], audience, track))) {
		req_fail(r, rc, "store failure");
		goto done;
	}
	api_track_changed(r->app, r->commit, track);
	req_json(r, 200, api_track_view(track, NULL));
done:
	json_decref(track);
	return rc;
}

static int track_list(struct req *r)
{
	json_t *all, *mine = json_array(), *t;
	size_t i;
	int admin = strcmp(r->who.role, "admin") == 0;
	if (store_track_all(r->app->store, &all)) {
		json_decref(mine);
		return req_fail(r, TQ_EIO, "store failure");
	}
	json_array_foreach(all, i, t) {
		const char *role = app_member_role(t, r->who.party);
		if (admin || role)
			json_array_append_new(mine, api_track_view(t, role));
	}
	json_decref(all);
	return out_page(r, mine, "id");
}

static int track_get(struct req *r)
{
	json_t *track;
	const char *role;
	int rc = auth_track(r, r->param[0], &track, &role);
	if (rc)
		return rc;
	req_json(r, 200, api_track_view(track, role));
	json_decref(track);
	return TQ_OK;
}

const struct route api_admin_routes[] = {
	{"GET", "/v1/health", health, ROUTE_PUBLIC},
	{"POST", "/v1/parties", party_create, ROUTE_WRITE | ROUTE_STAGED | ROUTE_ADMIN},
	{"GET", "/v1/parties", party_list, ROUTE_CACHE},
	{"GET", "/v1/parties/:id", party_get, 0},
	{"POST", "/v1/users", user_create, ROUTE_WRITE | ROUTE_STAGED | ROUTE_ADMIN},
	{"DELETE", "/v1/users/:id", user_delete, ROUTE_WRITE | ROUTE_STAGED | ROUTE_ADMIN},
	{"POST", "/v1/tracks", track_create, ROUTE_WRITE | ROUTE_STAGED | ROUTE_ADMIN},
	{"GET", "/v1/tracks", track_list, ROUTE_CACHE},
	{"GET", "/v1/tracks/:t", track_get, ROUTE_CACHE},
	{"PATCH", "/v1/tracks/:t", track_update, ROUTE_WRITE | ROUTE_STAGED | ROUTE_ADMIN},
	{NULL, NULL, NULL, 0},
};
