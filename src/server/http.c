/*
 * http — libmicrohttpd glue. Reads requests whole within limits, routes them,
 * authenticates, runs handlers under the app lock (in a transaction for writes),
 * and writes problem+json errors (RFC 9457).
 */
#include "server/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/limits.h"
#include "core/token.h"
#include "server/auth.h"
#include "server/cache.h"
#include "server/ratelimit.h"

/* Numbers print as the event leaves hold them (jansson's 17 significant digits, which
 * parse back to the same double): `event` in /v1/log/entries must equal leaf_data parsed. */
#define HTTP_JSON_FLAGS JSON_COMPACT

int http_status_of(int err)
{
	switch (err) {
	case TQ_OK: return 200;
	case TQ_EMALFORMED: return 400;
	case TQ_EAUTH: return 401;
	case TQ_EFORBIDDEN: return 403;
	case TQ_ENOTFOUND: return 404;
	case TQ_EMETHOD: return 405;
	case TQ_ECONFLICT: return 409;
	case TQ_ETOOBIG: return 413;
	case TQ_EMEDIA: return 415;
	case TQ_EINVALID: return 422;
	case TQ_ERATE: return 429;
	case TQ_EUNAVAIL: return 503;
	default: return 500;
	}
}

static const char *title_of(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

void req_json(struct req *r, int status, json_t *body)
{
	json_decref(r->out);
	r->status = status;
	r->out = body;
}

void req_text(struct req *r, int status, const char *type, char *text, size_t len)
{
	free(r->out_text);
	r->status = status;
	r->out_text = text;
	r->out_len = len;
	r->out_type = type;
}

/* Cuts s at its first byte that does not start a complete UTF-8 sequence.
 * Problem details quote input (jansson's error text, field names) and are cut
 * to fixed sizes; either can split a character, and JSON needs valid UTF-8
 * (found by fuzzing: the problem body came out empty). */
static void utf8_cut(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		size_t i;
		if (n == 0)
			break;
		for (i = 1; i < n && (p[i] & 0xc0) == 0x80; i++)
			;
		if (i < n || (n == 2 && *p < 0xc2))
			break;
		p += n;
	}
	*p = '\0';
}

int req_fail(struct req *r, int err, const char *fmt, ...)
{
	va_list ap;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
	utf8_cut(r->detail);
	return err;
}

int req_fail_field(struct req *r, int err, const struct tq_field_error *fe)
{
	if (r->nerrors < REQ_MAX_ERRORS) {
		struct tq_field_error *copy = &r->errors[r->nerrors++];
		*copy = *fe;
		utf8_cut(copy->field);
		utf8_cut(copy->message);
	}
	r->err = err;
	if (!r->detail[0]) {
		snprintf(r->detail, sizeof r->detail, "%s: %s", fe->field, fe->message);
		utf8_cut(r->detail);
	}
	return err;
}

const char *req_query(struct req *r, const char *name)
{
	if (!r->conn)
		return NULL;
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_cookie(struct req *r, const char *name)
{
	return r->conn ? MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name) : NULL;
}

const char *req_header(struct req *r, const char *name)
{
	if (!r->conn) {
		/* In-process request: only what http_local sets. */
		if (strcasecmp(name, MHD_HTTP_HEADER_AUTHORIZATION) == 0)
			return r->local_auth;
		if (strcasecmp(name, MHD_HTTP_HEADER_CONTENT_TYPE) == 0)
			return "application/json";
		return NULL;
	}
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int req_limit(struct req *r, size_t *out)
{
	const char *s = req_query(r, "limit");
	char *end;
	*out = TQ_DEFAULT_LIST_LIMIT;
	if (!s)
		return TQ_OK;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > TQ_MAX_LIST_LIMIT) {
		struct tq_field_error fe;
		TQ_FIELD_ERROR(&fe, "limit", "must be an integer from 1 to %d", TQ_MAX_LIST_LIMIT);
		return req_fail_field(r, TQ_EMALFORMED, &fe);
	}
	*out = (size_t)v;
	return TQ_OK;
}

int req_object(struct req *r, json_t **out)
{
	if (!r->json) {
		r->json = json_object();
		if (!r->json)
			return req_fail(r, TQ_ENOMEM, "out of memory");
	}
	if (!json_is_object(r->json))
		return req_fail(r, TQ_EMALFORMED, "the body must be a JSON object");
	*out = r->json;
	return TQ_OK;
}

/* ---- routing ------------------------------------------------------------- */

#define ROUTE_MAX_SEGMENTS 16

/* Matches path against pattern segment by segment. On success params point at
 * the ":x" segments inside scratch (a copy of path cut at its slashes). A final
 * "*" segment matches the rest of the path (one or more non-empty segments,
 * slashes kept) into the next param; the pattern "/" matches only "/". */
static int route_match(const char *pattern, char *scratch, const char *path, const char **params)
{
	char *segs[ROUTE_MAX_SEGMENTS];
	int nseg = 0, n = 0;
	const char *p = pattern + 1;

	if (path[0] != '/')
		return 0;
	if (pattern[1] == '\0')
		return path[1] == '\0';
	strcpy(scratch, path + 1);
	for (char *s = scratch;;) {
		char *slash = strchr(s, '/');
		if (nseg == ROUTE_MAX_SEGMENTS)
			return 0;
		segs[nseg++] = s;
		if (!slash)
			break;
		*slash = '\0';
		s = slash + 1;
	}
	for (int i = 0; i < nseg; i++) {
		size_t plen = strcspn(p, "/");
		if (plen == 0 || segs[i][0] == '\0')
			return 0;
		if (p[0] == '*' && p[1] == '\0') {
			if (n >= REQ_MAX_PARAMS)
				return 0;
			for (int j = i + 1; j < nseg; j++) {
				if (segs[j][0] == '\0')
					return 0;
				segs[j][-1] = '/'; /* rejoin the rest of the path */
			}
			params[n++] = segs[i];
			return 1;
		}
		if (*p == ':') {
			if (n >= REQ_MAX_PARAMS)
				return 0;
			params[n++] = segs[i];
		} else if (strlen(segs[i]) != plen || memcmp(p, segs[i], plen) != 0) {
			return 0;
		}
		p += plen;
		if (*p == '/')
			p++;
		else if (i + 1 < nseg)
			return 0;
	}
	return *p == '\0';
}

static const struct route *find_route(struct req *r, char *scratch, int *method_mismatch)
{
	*method_mismatch = 0;
	for (size_t t = 0; http_route_tables[t]; t++) {
		for (const struct route *rt = http_route_tables[t]; rt->pattern; rt++) {
			const char *params[REQ_MAX_PARAMS] = {0};
			if (!route_match(rt->pattern, scratch, r->path, params))
				continue;
			if (strcmp(rt->method, r->method) != 0) {
				*method_mismatch = 1;
				continue;
			}
			memcpy(r->param, params, sizeof params);
			return rt;
		}
	}
	return NULL;
}

/* ---- body checks --------------------------------------------------------- */

/* jansson has no depth option: count nesting outside strings before parsing. */
static int json_depth_ok(const char *s, size_t len, int max)
{
	int depth = 0, in_string = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return 0;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 1;
}

static int is_json_type(const char *ct)
{
	if (!ct)
		return 0;
	size_t n = strlen("application/json");
	if (strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static int parse_body(struct req *r)
{
	json_error_t jerr;
	if (r->body_too_big)
		return req_fail(r, TQ_ETOOBIG, "the body is larger than %zu bytes", r->app->max_body);
	if (r->body_len == 0)
		return TQ_OK;
	if (!is_json_type(req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return req_fail(r, TQ_EMEDIA, "send the body as application/json");
	if (!json_depth_ok(r->body, r->body_len, TQ_MAX_JSON_DEPTH))
		return req_fail(r, TQ_EMALFORMED, "JSON nested deeper than %d levels", TQ_MAX_JSON_DEPTH);
	r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r->json)
		return req_fail(r, TQ_EMALFORMED, "malformed JSON at line %d column %d: %s", jerr.line,
				jerr.column, jerr.text);
	return TQ_OK;
}

/* ---- authentication ------------------------------------------------------ */

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

static int authenticate(struct req *r, int write)
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
	char *cached = r->conn ? cache_get(r->app->answers, key, r->app->log_version, &len) : NULL;
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
	cache_put(r->app->answers, key, r->app->log_version, packed, sizeof packed);
	return TQ_OK;
}

/* A party that registered an Ed25519 key may sign the exact request body
 * (Tansiq-Signature: base64). A bad signature is 401; a good one is recorded in
 * every event the request emits. */
static int check_signature(struct req *r)
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

/* ---- idempotency --------------------------------------------------------- */

static void body_hash(struct req *r, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)r->path, strlen(r->path) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)r->body, r->body_len);
	crypto_hash_sha256_final(&st, out);
}

/* 1 when the answer was replayed from an earlier request with the same key. */
static int idempotency_replay(struct req *r, const char *key, int *rc)
{
	uint8_t want[32], have[32];
	int found, status;
	char *resp;
	*rc = TQ_OK;
	if (strlen(key) > 255) {
		*rc = req_fail(r, TQ_EMALFORMED, "Idempotency-Key longer than 255 characters");
		return 1;
	}
	body_hash(r, want);
	if ((*rc = store_idem_get(r->app->store, r->who.user, key, r->now - TQ_IDEMPOTENCY_TTL_S * 1000LL, &found,
				  have, &status, &resp)))
		return 1;
	if (!found)
		return 0;
	if (sodium_memcmp(want, have, 32) != 0) {
		free(resp);
		*rc = req_fail(r, TQ_ECONFLICT, "Idempotency-Key already used with another request body");
		return 1;
	}
	req_text(r, status, "application/json", resp, strlen(resp));
	return 1;
}

static int idempotency_record(struct req *r, const char *key)
{
	uint8_t h[32];
	char *text;
	int rc;
	body_hash(r, h);
	text = r->out ? json_dumps(r->out, HTTP_JSON_FLAGS) : strdup(r->out_text ? r->out_text : "");
	if (!text)
		return TQ_ENOMEM;
	rc = store_idem_put(r->app->store, r->who.user, key, h, r->status, text, r->now);
	free(text);
	return rc;
}

/* ---- dispatch ------------------------------------------------------------ */

struct query_key {
	char *buf;
	size_t len, used;
	int overflow;
};

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	struct query_key *q = cls;
	(void)kind;
	int n = snprintf(q->buf + q->used, q->len - q->used, "&%s=%s", k, v ? v : "");
	if (n < 0 || (size_t)n >= q->len - q->used) {
		q->overflow = 1;
		return MHD_NO;
	}
	q->used += (size_t)n;
	return MHD_YES;
}

/* A GET answered from the cache while the log has not grown (cache.h). */
static int run_cached(struct req *r, const struct route *rt)
{
	char key[CACHE_MAX_KEY + 1];
	struct query_key q = {key, sizeof key, 0, 0};
	size_t len;
	char *text;
	int rc;

	q.used = (size_t)snprintf(key, sizeof key, "%s|%s|%s?", r->who.party, r->who.role, r->path);
	if (q.used >= sizeof key || !r->conn)
		return rt->fn(r);
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &q);
	if (q.overflow)
		return rt->fn(r);
	text = cache_get(r->app->answers, key, r->app->log_version, &len);
	if (text) {
		req_text(r, 200, "application/json; charset=utf-8", text, len);
		return TQ_OK;
	}
	if ((rc = rt->fn(r)) || r->status != 200 || !r->out)
		return rc;
	text = json_dumps(r->out, HTTP_JSON_FLAGS);
	if (!text)
		return req_fail(r, TQ_ENOMEM, "out of memory");
	cache_put(r->app->answers, key, r->app->log_version, text, strlen(text));
	json_decref(r->out);
	r->out = NULL;
	req_text(r, 200, "application/json; charset=utf-8", text, strlen(text));
	return TQ_OK;
}

static int run_handler(struct req *r, const struct route *rt)
{
	struct app *a = r->app;
	const char *idem = NULL;
	int rc;

	int write = strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
	if (!(rt->flags & ROUTE_PUBLIC) && (rc = authenticate(r, write)))
		return rc;
	if (r->who.user[0] && (r->retry_after = ratelimit_take(a->rate_user, r->who.user, r->now)))
		return req_fail(r, TQ_ERATE, "too many requests from this user; retry in %d s", r->retry_after);
	if ((rc = check_signature(r)))
		return rc;
	if ((rt->flags & ROUTE_ADMIN) && strcmp(r->who.role, "admin") != 0)
		return req_fail(r, TQ_EFORBIDDEN, "only the cell admin may do this");
	if ((rt->flags & ROUTE_WRITE) && !(rt->flags & ROUTE_ALLOW_VIEWER) && strcmp(r->who.role, "viewer") == 0)
		return req_fail(r, TQ_EFORBIDDEN, "a viewer may not write");
	if ((rc = parse_body(r)))
		return rc;
	if (rt->flags & ROUTE_CACHE)
		return run_cached(r, rt);
	if (!(rt->flags & ROUTE_WRITE))
		return rt->fn(r);

	if (strcmp(r->method, "POST") == 0)
		idem = req_header(r, "Idempotency-Key");
	if (idem && idempotency_replay(r, idem, &rc))
		return rc;
	if ((rc = app_tx_begin(a)))
		return req_fail(r, rc, "the store is busy");
	rc = rt->fn(r);
	if (rc == TQ_OK && r->status >= 200 && r->status < 300 && idem)
		rc = idempotency_record(r, idem);
	if (rc != TQ_OK || r->status >= 300) {
		app_tx_abort(a);
		return rc;
	}
	if ((rc = app_tx_commit(a)))
		return req_fail(r, rc, "the change could not be committed");
	return TQ_OK;
}

static void dispatch(struct req *r)
{
	struct app *a = r->app;
	char *scratch = malloc(strlen(r->path) + 1);
	const struct route *rt;
	int mismatch, rc;

	if (!scratch) {
		req_fail(r, TQ_ENOMEM, "out of memory");
		return;
	}
	rt = find_route(r, scratch, &mismatch);
	if (!rt) {
		free(scratch);
		if (mismatch)
			req_fail(r, TQ_EMETHOD, "method %s not allowed here", r->method);
		else
			req_fail(r, TQ_ENOTFOUND, "no such resource");
		return;
	}
	if (rt->flags & ROUTE_NOLOCK) {
		r->now = app_now();
		rc = parse_body(r);
		if (rc == TQ_OK)
			rc = rt->fn(r);
	} else {
		pthread_mutex_lock(&a->lock);
		/* Another node's acknowledged write is visible to this request. */
		if (app_sync(a) != TQ_OK) {
			/* the request meets the same failure in the store and answers it */
		}
		/* Read under the lock: times then follow commit (and seq) order. */
		r->now = app_now();
		rc = run_handler(r, rt);
		pthread_mutex_unlock(&a->lock);
	}
	/* params point into scratch; handlers are done with them now. */
	memset(r->param, 0, sizeof r->param);
	free(scratch);
	if (rc && !r->err)
		req_fail(r, rc, "%s", tq_err_name(rc));
}

static struct MHD_Response *problem_response(struct req *r)
{
	int status = http_status_of(r->err);
	/* A store failure while the database is unreachable is a 503, whatever
	 * error code the handler turned it into: the client should retry. */
	if (r->err == TQ_EUNAVAIL || (status == 500 && r->app->store && !store_available(r->app->store))) {
		status = 503;
		r->err = TQ_EUNAVAIL;
		snprintf(r->detail, sizeof r->detail, "the database is unreachable; retry shortly");
	}
	json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title", title_of(status), "status",
			      status, "detail", r->detail[0] ? r->detail : title_of(status));
	char typebuf[96];
	snprintf(typebuf, sizeof typebuf, "urn:tansiq:problem:%s", tq_err_name(r->err));
	json_object_set_new(p, "type", json_string(typebuf));
	if (r->nerrors) {
		json_t *arr = json_array();
		for (int i = 0; i < r->nerrors; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "field", r->errors[i].field, "message",
							     r->errors[i].message));
		json_object_set_new(p, "errors", arr);
	}
	char *text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	r->status = status;
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(text ? strlen(text) : 0, text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
	if (status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (status == 429 || status == 503) {
		char secs[16];
		snprintf(secs, sizeof secs, "%d", r->retry_after > 0 ? r->retry_after : 1);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	return resp;
}

static struct MHD_Response *answer(struct req *r)
{
	struct MHD_Response *resp;
	if (r->err)
		return problem_response(r);
	if (r->response) {
		resp = r->response;
		r->response = NULL;
		return resp;
	}
	if (r->out) {
		char *text = json_dumps(r->out, HTTP_JSON_FLAGS);
		if (!text) {
			req_fail(r, TQ_ENOMEM, "out of memory");
			return problem_response(r);
		}
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
	} else {
		resp = MHD_create_response_from_buffer(r->out_len, r->out_text, MHD_RESPMEM_MUST_FREE);
		r->out_text = NULL;
		if (r->out_type)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->out_type);
	}
	if (r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	return resp;
}

static void req_free(struct req *r)
{
	if (!r)
		return;
	if (r->stream && r->stream_free)
		r->stream_free(r->stream);
	if (r->response)
		MHD_destroy_response(r->response);
	free(r->signature_b64);
	free(r->body_b64);
	json_decref(r->json);
	json_decref(r->out);
	free(r->out_text);
	free(r->body);
	free(r->path);
	free(r);
}

/* Per source address, before anything is read or parsed. */
static int addr_limited(struct app *a, struct MHD_Connection *conn, struct req *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "?";
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof addr);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof addr);
	}
	r->retry_after = ratelimit_take(a->rate_addr, addr, app_now());
	if (!r->retry_after)
		return 0;
	req_fail(r, TQ_ERATE, "too many requests from this address; retry in %d s", r->retry_after);
	return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct app *a = cls;
	struct req *r = *con_cls;
	(void)version;

	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		r->app = a;
		r->conn = conn;
		r->method = method;
		r->path = strdup(url);
		if (!r->path || strlen(url) > TQ_MAX_URL_BYTES) {
			free(r->path);
			free(r);
			return MHD_NO;
		}
		*con_cls = r;
		if (a->rate_addr && addr_limited(a, conn, r)) {
			struct MHD_Response *resp = problem_response(r);
			enum MHD_Result ok = MHD_queue_response(conn, 429, resp);
			MHD_destroy_response(resp);
			return ok;
		}
		/* Refuse an announced oversized body before reading any of it. */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > a->max_body)
			r->body_too_big = 1;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->body_too_big || r->body_len + n > a->max_body) {
			r->body_too_big = 1;
			free(r->body);
			r->body = NULL;
			r->body_len = 0;
			return MHD_YES;
		}
		char *grown = realloc(r->body, r->body_len + n + 1);
		if (!grown)
			return MHD_NO;
		memcpy(grown + r->body_len, upload_data, n);
		r->body = grown;
		r->body_len += n;
		r->body[r->body_len] = '\0';
		return MHD_YES;
	}
	if (!r->body) {
		r->body = strdup("");
		if (!r->body)
			return MHD_NO;
	}
	dispatch(r);
	struct MHD_Response *resp = answer(r);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ok = MHD_queue_response(conn, (unsigned)(r->status ? r->status : 200), resp);
	MHD_destroy_response(resp);
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)conn;
	(void)code;
	req_free(*con_cls);
	*con_cls = NULL;
}

int http_local(struct app *a, const char *token, const char *method, const char *path, const char *body,
	       int *status, json_t **out)
{
	char auth[320];
	struct req *r = calloc(1, sizeof *r);
	int rc;
	*out = NULL;
	if (!r)
		return TQ_ENOMEM;
	snprintf(auth, sizeof auth, "Bearer %s", token ? token : "");
	r->app = a;
	r->method = method;
	r->local_auth = auth;
	r->path = strdup(path);
	r->body = strdup(body ? body : "");
	if (!r->path || !r->body) {
		req_free(r);
		return TQ_ENOMEM;
	}
	r->body_len = strlen(r->body);
	dispatch(r);
	rc = r->err;
	if (rc) {
		*status = http_status_of(rc);
		*out = json_pack("{s:i, s:s}", "status", *status, "detail", r->detail);
	} else {
		*status = r->status;
		*out = r->out;
		r->out = NULL;
	}
	req_free(r);
	return rc;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *res;
	if (!colon || (size_t)(colon - listen) >= sizeof host || colon == listen)
		return TQ_EINVALID;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);
		if (host[n - 1] != ']')
			return TQ_EINVALID;
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return TQ_EINVALID;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return TQ_OK;
}

/* Reads a whole PEM file (small: certificates and keys). Returns owned. */
static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < 1024 * 1024 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

int http_start(struct app *a, const struct http_options *o, struct MHD_Daemon **out)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	char *cert = NULL, *key = NULL;
	/* TLS 1.2 and 1.3 only. */
	static const char priorities[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE";

	if (parse_listen(o->listen, &ss)) {
		fprintf(stderr, "tansiqd: bad --listen address '%s' (want ADDR:PORT)\n", o->listen);
		return TQ_EINVALID;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (!o->tls_cert != !o->tls_key) {
		fprintf(stderr, "tansiqd: --tls-cert and --tls-key go together\n");
		return TQ_EINVALID;
	}
	if (o->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			fprintf(stderr, "tansiqd: this libmicrohttpd has no TLS support\n");
			return TQ_EINVALID;
		}
		cert = read_pem(o->tls_cert);
		key = read_pem(o->tls_key);
		if (!cert || !key) {
			fprintf(stderr, "tansiqd: cannot read %s\n", cert ? o->tls_key : o->tls_cert);
			free(cert);
			if (key)
				sodium_memzero(key, strlen(key));
			free(key);
			return TQ_EINVALID;
		}
		flags |= MHD_USE_TLS;
	}
	if (o->rate_limit > 0) {
		a->rate_user = ratelimit_new(o->rate_limit, 2 * o->rate_limit);
		a->rate_addr = ratelimit_new(4 * o->rate_limit, 8 * o->rate_limit);
	}
	/* TLS options only when TLS is on: libmicrohttpd warns about them otherwise. */
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, key},
		{MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)priorities},
		{MHD_OPTION_END, 0, NULL},
	};
	*out = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_ARRAY, cert ? tls : &tls[3],
				MHD_OPTION_THREAD_POOL_SIZE, o->threads ? o->threads : 4,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				MHD_OPTION_END);
	free(cert);
	if (key)
		sodium_memzero(key, strlen(key));
	free(key);
	if (!*out) {
		fprintf(stderr, "tansiqd: cannot listen on %s\n", o->listen);
		return TQ_EIO;
	}
	return TQ_OK;
}

void http_stop(struct app *a, struct MHD_Daemon *d)
{
	if (d)
		MHD_stop_daemon(d);
	ratelimit_free(a->rate_user);
	ratelimit_free(a->rate_addr);
	a->rate_user = a->rate_addr = NULL;
}
