/*
 * authn — see authn.h.
 */
#include "server/authn.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/token.h"
#include "server/auth.h"
#include "server/cache.h"

static void who_from_user(struct req *r, const struct store_user *u)
{
	snprintf(r->who.user, sizeof r->who.user, "%s", u->id);
	snprintf(r->who.name, sizeof r->who.name, "%s", u->name);
	snprintf(r->who.party, sizeof r->who.party, "%s", u->party);
	snprintf(r->who.role, sizeof r->who.role, "%s", u->role);
}

/* The console's session cookie. Writes also need the CSRF header, which a page
 * of another origin cannot compute because it cannot read the HttpOnly cookie. */
static int authenticate_cookie(struct req *r, int write)
{
	const char *cookie = req_cookie(r, AUTH_SESSION_COOKIE);
	struct store_user u;
	uint8_t hash[32];
	int rc;
	if (!cookie || strlen(cookie) > 256)
		return req_fail(r, TQ_EAUTH, "send Authorization: Bearer <token>");
	token_hash(cookie, strlen(cookie), hash);
	memcpy(r->session, hash, sizeof r->session);
	rc = store_token_lookup(r->app->store, hash, "session", r->now, &u);
	if (rc == TQ_ENOTFOUND)
		return req_fail(r, TQ_EAUTH, "the session has ended; log in again");
	if (rc)
		return req_fail(r, rc, "store failure");
	who_from_user(r, &u);
	store_user_clear(&u);
	r->by_cookie = 1;
	if (write) {
		char expected[AUTH_CSRF_BUFSZ];
		const char *sent = req_header(r, AUTH_CSRF_HEADER);
		auth_csrf_token(cookie, expected);
		if (!sent || strlen(sent) != strlen(expected) || sodium_memcmp(sent, expected, strlen(expected)) != 0)
			return req_fail(r, TQ_EFORBIDDEN, "a cookie-authenticated write needs the %s header",
					AUTH_CSRF_HEADER);
	}
	return TQ_OK;
}

int authn_request(struct req *r, int write)
{
	const char *h = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	struct store_user u;
	uint8_t hash[32];
	int rc;

	if (!h)
		return authenticate_cookie(r, write);
	if (strncmp(h, "Bearer ", 7) != 0)
		return req_fail(r, TQ_EAUTH, "send Authorization: Bearer <token>");
	h += 7;
	if (strlen(h) > 256)
		return req_fail(r, TQ_EAUTH, "unknown token");
	token_hash(h, strlen(h), hash);
	/* API tokens never expire and are revoked only by a logged change (user.deleted):
	 * a lookup stays valid while the log has not grown. */
	char key[80], hex[65];
	size_t len;
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	snprintf(key, sizeof key, "token|%s", hex);
	char *cached = r->conn ? cache_get(r->app->answers, key, app_log_version(r->app), &len) : NULL;
	if (cached && len == sizeof r->who.user + sizeof r->who.name + sizeof r->who.party + sizeof r->who.role) {
		memcpy(r->who.user, cached, sizeof r->who.user);
		memcpy(r->who.name, cached + sizeof r->who.user, sizeof r->who.name);
		memcpy(r->who.party, cached + sizeof r->who.user + sizeof r->who.name, sizeof r->who.party);
		memcpy(r->who.role, cached + sizeof r->who.user + sizeof r->who.name + sizeof r->who.party,
		       sizeof r->who.role);
		free(cached);
		return TQ_OK;
	}
	free(cached);
	rc = store_token_lookup(r->app->store, hash, "api", r->now, &u);
	if (rc == TQ_ENOTFOUND)
		return req_fail(r, TQ_EAUTH, "unknown or revoked token");
	if (rc)
		return req_fail(r, rc, "store failure");
	who_from_user(r, &u);
	store_user_clear(&u);
	char packed[sizeof r->who.user + sizeof r->who.name + sizeof r->who.party + sizeof r->who.role];
	memcpy(packed, r->who.user, sizeof r->who.user);
	memcpy(packed + sizeof r->who.user, r->who.name, sizeof r->who.name);
	memcpy(packed + sizeof r->who.user + sizeof r->who.name, r->who.party, sizeof r->who.party);
	memcpy(packed + sizeof r->who.user + sizeof r->who.name + sizeof r->who.party, r->who.role, sizeof r->who.role);
	cache_put(r->app->answers, key, app_log_version(r->app), packed, sizeof packed);
	return TQ_OK;
}

/* A party that registered an Ed25519 key may sign the exact request body
 * (Tansiq-Signature: base64). A bad signature is 401; a good one is recorded in
 * every event the request emits. */
int authn_signature(struct req *r)
{
	const char *sig = req_header(r, "Tansiq-Signature");
	uint8_t raw[crypto_sign_BYTES], pk[32];
	size_t len, pklen;
	json_t *party = NULL;
	const char *key;
	int rc = TQ_EAUTH;

	if (!sig)
		return TQ_OK;
	if (!r->who.party[0])
		return req_fail(r, TQ_EAUTH, "only a party's users can sign requests");
	if (strlen(sig) > 128 || sodium_base642bin(raw, sizeof raw, sig, strlen(sig), NULL, &len, NULL,
						   sodium_base64_VARIANT_ORIGINAL) != 0 || len != sizeof raw)
		return req_fail(r, TQ_EAUTH, "Tansiq-Signature must be the base64 of a 64-byte Ed25519 signature");
	if (store_party_get(r->app->store, r->who.party, &party) != TQ_OK)
		return req_fail(r, TQ_EIO, "store failure");
	key = json_string_value(json_object_get(party, "public_key"));
	if (!key || sodium_base642bin(pk, sizeof pk, key, strlen(key), NULL, &pklen, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0 || pklen != sizeof pk) {
		req_fail(r, TQ_EAUTH, "party %s has registered no public key", r->who.party);
		goto done;
	}
	if (crypto_sign_verify_detached(raw, (const unsigned char *)r->body, r->body_len, pk) != 0) {
		req_fail(r, TQ_EAUTH, "Tansiq-Signature does not verify over the request body");
		goto done;
	}
	size_t n = sodium_base64_encoded_len(r->body_len, sodium_base64_VARIANT_ORIGINAL);
	r->signature_b64 = strdup(sig);
	r->body_b64 = malloc(n);
	if (!r->signature_b64 || !r->body_b64) {
		req_fail(r, TQ_ENOMEM, "out of memory");
		rc = TQ_ENOMEM;
		goto done;
	}
	sodium_bin2base64(r->body_b64, n, (const unsigned char *)r->body, r->body_len, sodium_base64_VARIANT_ORIGINAL);
	r->who.signature = r->signature_b64;
	r->who.signed_body = r->body_b64;
	rc = TQ_OK;
done:
	json_decref(party);
	return rc;
}
