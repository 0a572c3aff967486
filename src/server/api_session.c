/*
 * api_session — console login: user name + password (Argon2id) → an HttpOnly,
 * SameSite=Strict session cookie, plus the CSRF token the console sends on
 * writes. API clients keep using bearer tokens.
 *
 * Logins and logouts are authentication, not changes to the cell: they are not
 * entries of the Merkle log.
 */
#include "server/api.h"
#include "server/group.h"
#include "server/hub.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/token.h"
#include "server/auth.h"
#include "server/input.h"
#include "server/ratelimit.h"

#define SESSION_LIFETIME_MS (12LL * 3600 * 1000)
/* Password hashes running at once: half the HTTP worker threads (http.c runs 4). */
#define LOGIN_HASH_SLOTS 2

/* Hashes in progress, across the worker threads. */
static _Atomic int login_hashing;

/* "; Secure" when the request came over TLS: a browser then never sends the
 * cookie over plain HTTP (RFC 6265 §4.1.2.5). */
static const char *cookie_secure(struct req *r)
{
	const union MHD_ConnectionInfo *ci;
	const union MHD_DaemonInfo *di;
	if (!r->conn || !(ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_DAEMON)) ||
	    !(di = MHD_get_daemon_info(ci->daemon, MHD_DAEMON_INFO_FLAGS)))
		return "";
	return (di->flags & MHD_USE_TLS) ? "; Secure" : "";
}

/* The client's address as text ("?" when unknown, e.g. in-process requests). */
static void client_address(struct req *r, char out[INET6_ADDRSTRLEN])
{
	const union MHD_ConnectionInfo *ci =
		r->conn ? MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
	snprintf(out, INET6_ADDRSTRLEN, "?");
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out, INET6_ADDRSTRLEN);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out, INET6_ADDRSTRLEN);
}

/* Logins have their own, much lower limits, per address and per user name, taken
 * before the store is read or a password hashed: one Argon2id costs ~0.1 s of a
 * core, so the general request limit would let one client keep every core busy. */
static int login_limited(struct req *r, const char *name)
{
	char addr[INET6_ADDRSTRLEN];
	client_address(r, addr);
	if ((r->retry_after = ratelimit_take(r->app->rate_login_addr, addr, r->now)))
		return req_fail(r, TQ_ERATE, "too many logins from this address; retry in %d s", r->retry_after);
	if ((r->retry_after = ratelimit_take(r->app->rate_login_name, name, r->now)))
		return req_fail(r, TQ_ERATE, "too many logins for this user name; retry in %d s", r->retry_after);
	return TQ_OK;
}

static json_t *session_json(const struct who *w, const char *cookie)
{
	char csrf[AUTH_CSRF_BUFSZ];
	auth_csrf_token(cookie, csrf);
	return json_pack("{s:s, s:s, s:s?, s:s, s:s}", "user", w->user, "name", w->name, "party",
			 w->party[0] ? w->party : NULL, "role", w->role, "csrf", csrf);
}

/* A session token written (or deleted) in a batch. */
struct token_write {
	uint8_t hash[32];
	char user[40];
	tq_time expires;
};

static struct token_write *token_write_new(const uint8_t hash[32], const char *user, tq_time expires)
{
	struct token_write *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	memcpy(w->hash, hash, sizeof w->hash);
	snprintf(w->user, sizeof w->user, "%s", user ? user : "");
	w->expires = expires;
	return w;
}

static void token_write_free(void *ctx)
{
	if (ctx)
		sodium_memzero(ctx, sizeof(struct token_write));
	free(ctx);
}

static int token_insert(struct store *s, void *ctx)
{
	struct token_write *w = ctx;
	return store_token_insert(s, w->hash, w->user, "session", w->expires);
}

static int token_delete(struct store *s, void *ctx)
{
	return store_token_delete(s, ((struct token_write *)ctx)->hash);
}

static int session_create(struct req *r)
{
	struct app *a = r->app;
	json_t *body;
	const char *name = NULL, *password = NULL;
	struct store_user u;
	uint8_t rnd[TOKEN_RANDOM_BYTES], hash[32];
	char cookie[TOKEN_BUFSZ];
	int rc, found;

	if ((rc = req_object(r, &body)) || (rc = in_string(r, body, "name", 1, 64, &name)) ||
	    (rc = in_string(r, body, "password", 1, 1024, &password)) || (rc = login_limited(r, name)))
		return rc;
	group_lock_read(a);
	rc = store_user_by_name(a->store, name, &u);
	group_unlock(a);
	if (rc && rc != TQ_ENOTFOUND)
		return req_fail(r, rc, "store failure");
	found = rc == TQ_OK && u.pw_hash;
	/* Argon2id is slow on purpose: verify outside the lock. An unknown user costs
	 * one hash too, so timing does not tell which user names exist. A hash holds
	 * its HTTP worker thread, so only LOGIN_HASH_SLOTS run at once and a login
	 * that finds them taken is refused at once: the other workers keep serving. */
	if (atomic_fetch_add(&login_hashing, 1) >= LOGIN_HASH_SLOTS) {
		atomic_fetch_sub(&login_hashing, 1);
		store_user_clear(&u);
		r->retry_after = 1;
		return req_fail(r, TQ_ERATE, "too many logins being checked now; retry in 1 s");
	}
	if (found) {
		rc = token_password_check(u.pw_hash, password, strlen(password));
	} else {
		char ignored[crypto_pwhash_STRBYTES];
		rc = token_password_hash(password, strlen(password), ignored, sizeof ignored);
	}
	atomic_fetch_sub(&login_hashing, 1);
	if (!found || rc) {
		store_user_clear(&u);
		return req_fail(r, TQ_EAUTH, "wrong user name or password");
	}
	snprintf(r->who.user, sizeof r->who.user, "%s", u.id);
	snprintf(r->who.name, sizeof r->who.name, "%s", u.name);
	snprintf(r->who.party, sizeof r->who.party, "%s", u.party);
	snprintf(r->who.role, sizeof r->who.role, "%s", u.role);
	store_user_clear(&u);

	randombytes_buf(rnd, sizeof rnd);
	token_format(rnd, cookie);
	sodium_memzero(rnd, sizeof rnd);
	token_hash(cookie, strlen(cookie), hash);
	struct token_write *w = token_write_new(hash, r->who.user, r->now + SESSION_LIFETIME_MS);
	struct commit *c = NULL;
	group_lock_write(a); /* commit_apply (not shared) commits at once */
	rc = w ? commit_new(a, &r->who, r->now, &c) : TQ_ENOMEM;
	if (rc == TQ_OK) {
		rc = commit_write(c, token_insert, w, token_write_free);
		w = NULL;
	}
	/* A login does not depend on what other nodes wrote: apply again when stale. */
	for (int i = 0; rc == TQ_OK && (rc = commit_apply(c)) == COMMIT_STALE && i < 4; i++)
		rc = TQ_OK;
	if (rc == COMMIT_STALE)
		rc = TQ_EUNAVAIL;
	commit_free(c);
	group_unlock(a);
	token_write_free(w);
	if (rc)
		return req_fail(r, rc, "store failure");
	snprintf(r->set_cookie, sizeof r->set_cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
		 AUTH_SESSION_COOKIE, cookie, SESSION_LIFETIME_MS / 1000, cookie_secure(r));
	req_json(r, 200, session_json(&r->who, cookie));
	sodium_memzero(cookie, sizeof cookie);
	return TQ_OK;
}

static int session_get(struct req *r)
{
	if (!r->by_cookie)
		return req_fail(r, TQ_EAUTH, "no console session (API clients use bearer tokens)");
	req_json(r, 200, session_json(&r->who, req_cookie(r, AUTH_SESSION_COOKIE)));
	return TQ_OK;
}

static int session_delete(struct req *r)
{
	uint8_t hash[32];
	const char *cookie = req_cookie(r, AUTH_SESSION_COOKIE);
	int rc;
	if (!r->by_cookie || !cookie)
		return req_fail(r, TQ_EAUTH, "no console session to end");
	token_hash(cookie, strlen(cookie), hash);
	struct token_write *w = token_write_new(hash, NULL, 0);
	if (!w || (rc = commit_write(r->commit, token_delete, w, token_write_free)))
		return req_fail(r, w ? rc : TQ_ENOMEM, "store failure");
	hub_revoke_session_after_commit(r->app, r->commit, hash); /* the session's streams end with it */
	snprintf(r->set_cookie, sizeof r->set_cookie, "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
		 AUTH_SESSION_COOKIE, cookie_secure(r));
	req_text(r, 204, NULL, NULL, 0);
	return TQ_OK;
}

const struct route api_session_routes[] = {
	{"POST", "/v1/session", session_create, ROUTE_PUBLIC | ROUTE_NOLOCK},
	{"GET", "/v1/session", session_get, 0},
	{"DELETE", "/v1/session", session_delete, ROUTE_WRITE | ROUTE_STAGED | ROUTE_ALLOW_VIEWER},
	{NULL, NULL, NULL, 0},
};
