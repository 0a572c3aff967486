#include "server/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int track_lookup(struct req *r, const char *track_id, json_t **track, const char **role)
{
	char member_role[16];
	int rc;
	*role = NULL;
	*track = NULL;
	/* Membership first, by an index lookup that costs the same for a track
	 * that does not exist: only a member's request loads (and parses) the
	 * track, so its existence does not show in the time of the answer. */
	if (strcmp(r->who.role, "admin") != 0) {
		rc = r->who.party[0] ? store_track_role(r->app->store, track_id, r->who.party, member_role,
							 sizeof member_role)
				     : TQ_ENOTFOUND;
		if (rc == TQ_ENOTFOUND)
			return req_fail(r, TQ_ENOTFOUND, "no such track");
		if (rc)
			return req_fail(r, rc, "store failure");
	}
	rc = app_track(r->app, track_id, track);
	if (rc == TQ_ENOTFOUND)
		return req_fail(r, TQ_ENOTFOUND, "no such track");
	if (rc)
		return req_fail(r, rc, "store failure");
	if (strcmp(r->who.role, "admin") == 0)
		return TQ_OK;
	*role = app_member_role(*track, r->who.party);
	if (!*role) {
		json_decref(*track);
		*track = NULL;
		/* Same answer as for a track that does not exist: its existence is secret too. */
		return req_fail(r, TQ_ENOTFOUND, "no such track");
	}
	return TQ_OK;
}

int auth_track(struct req *r, const char *track_id, json_t **track, const char **role)
{
	return track_lookup(r, track_id, track, role);
}

int auth_track_content(struct req *r, const char *track_id, json_t **track, const char **role)
{
	int rc = track_lookup(r, track_id, track, role);
	if (rc)
		return rc;
	if (!*role) {
		json_decref(*track);
		*track = NULL;
		return req_fail(r, TQ_EFORBIDDEN, "the cell admin sees no track content");
	}
	return TQ_OK;
}

int auth_sees(const char *role, const char *party, const char *type, const json_t *obj)
{
	return vis_sees(vis_role_parse(role), party, type, obj);
}

int auth_object(struct req *r, const char *role, const char *type, const char *id, const char *what,
		json_t **out)
{
	json_t *obj = NULL;
	int rc = store_obj_get(r->app->store, r->param[0], type, id, &obj);
	*out = NULL;
	if (rc == TQ_OK && !auth_sees(role, r->who.party, type, obj))
		rc = TQ_ENOTFOUND;
	if (rc) {
		json_decref(obj);
		return rc == TQ_ENOTFOUND ? req_fail(r, rc, "no such %s", what) : req_fail(r, rc, "store failure");
	}
	*out = obj;
	return TQ_OK;
}

int auth_answer_object(struct req *r, const char *type, const char *what)
{
	json_t *track = NULL, *obj = NULL;
	const char *role;
	int rc = auth_track_content(r, r->param[0], &track, &role);
	if (rc == TQ_OK && (rc = auth_object(r, role, type, r->param[1], what, &obj)) == TQ_OK)
		req_json(r, 200, obj);
	json_decref(track);
	return rc;
}

int auth_audience(const json_t *track, const char *type, const json_t *before, const json_t *after, int oversight,
		  char *out, size_t len)
{
	struct vis_track t;
	int rc = vis_track_from_json(track, &t);
	return rc ? rc : vis_audience(&t, type, before, after, oversight, out, len);
}

int auth_audience_track(const json_t *track, char *out, size_t len)
{
	struct vis_track t;
	int rc = vis_track_from_json(track, &t);
	return rc ? rc : vis_audience_track(&t, out, len);
}

int auth_event_visible(const struct who *w, const char *audience)
{
	return vis_event_visible(strcmp(w->role, "admin") == 0, w->party, audience);
}

int auth_require_role(struct req *r, const char *role, const char *const *allowed, const char *what)
{
	for (; *allowed; allowed++)
		if (role && strcmp(role, *allowed) == 0)
			return TQ_OK;
	return req_fail(r, TQ_EFORBIDDEN, "a %s may not %s", role ? role : "non-member", what);
}

void auth_csrf_token(const char *session, char out[AUTH_CSRF_BUFSZ])
{
	static const char domain[] = "tansiq-csrf-v1";
	uint8_t h[32];
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)domain, sizeof domain);
	crypto_hash_sha256_update(&st, (const unsigned char *)session, strlen(session));
	crypto_hash_sha256_final(&st, h);
	sodium_bin2base64(out, AUTH_CSRF_BUFSZ, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
