#include "server/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int track_lookup(struct req *r, const char *track_id, json_t **track, const char **role)
{
	int rc = app_track(r->app, track_id, track);
	*role = NULL;
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

static int message_addressed_to(const json_t *msg, const char *party)
{
	const json_t *to = json_object_get(msg, "to");
	size_t i;
	json_t *p;
	if (json_is_string(to))
		return strcmp(json_string_value(to), "all") == 0;
	json_array_foreach(to, i, p) {
		if (json_is_string(p) && strcmp(json_string_value(p), party) == 0)
			return 1;
	}
	return 0;
}

static int sent_by(const json_t *obj, const char *party)
{
	const char *from = json_string_value(json_object_get(json_object_get(obj, "created_by"), "party"));
	return from && strcmp(from, party) == 0;
}

static int is_meeting_type(const char *type)
{
	return strcmp(type, "meeting") == 0 || strcmp(type, "minutes") == 0 || strcmp(type, "action") == 0;
}

int auth_sees(const char *role, const char *party, const char *type, const json_t *obj)
{
	if (!role || !party)
		return 0;
	int full = strcmp(role, "mediator") == 0 || strcmp(role, "supervisor") == 0;
	if (strcmp(type, "message") == 0) {
		if (full)
			return 1;
		if (strcmp(role, "principal") == 0 || strcmp(role, "host") == 0)
			return message_addressed_to(obj, party) || sent_by(obj, party);
		return 0;
	}
	if (full || strcmp(role, "principal") == 0)
		return 1;
	if (strcmp(role, "host") == 0)
		return is_meeting_type(type);
	if (strcmp(role, "observer") == 0) {
		if (is_meeting_type(type))
			return 1;
		if (strcmp(type, "zone") == 0) {
			const char *status = json_string_value(json_object_get(obj, "status"));
			return status && strcmp(status, "in_force") == 0;
		}
	}
	return 0;
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

static void audience_add(char *out, size_t len, const char *party)
{
	size_t used = strlen(out);
	char needle[24];
	snprintf(needle, sizeof needle, ",%s,", party);
	if (strstr(out, needle))
		return;
	if (used == 0)
		snprintf(out, len, ",%s,", party);
	else if (used + strlen(party) + 2 <= len)
		snprintf(out + used, len - used, "%s,", party);
}

void auth_audience(const json_t *track, const char *type, const json_t *obj, int oversight, char *out, size_t len)
{
	size_t i;
	json_t *m;
	out[0] = '\0';
	json_array_foreach(json_object_get(track, "members"), i, m) {
		const char *party = json_string_value(json_object_get(m, "party"));
		const char *role = json_string_value(json_object_get(m, "role"));
		int overseer = role && (strcmp(role, "mediator") == 0 || strcmp(role, "supervisor") == 0);
		if (party && (auth_sees(role, party, type, obj) || (oversight && overseer)))
			audience_add(out, len, party);
	}
	if (!out[0])
		snprintf(out, len, ",");
}

void auth_audience_track(const json_t *track, char *out, size_t len)
{
	size_t i;
	json_t *m;
	snprintf(out, len, ",@,");
	json_array_foreach(json_object_get(track, "members"), i, m) {
		const char *party = json_string_value(json_object_get(m, "party"));
		if (party)
			audience_add(out, len, party);
	}
}

int auth_event_visible(const struct who *w, const char *audience)
{
	char needle[24];
	if (strcmp(audience, "*") == 0)
		return 1;
	if (strcmp(w->role, "admin") == 0)
		return strstr(audience, ",@,") != NULL;
	if (!w->party[0])
		return 0;
	snprintf(needle, sizeof needle, ",%s,", w->party);
	return strstr(audience, needle) != NULL;
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
