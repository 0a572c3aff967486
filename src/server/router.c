/*
 * router — see router.h.
 */
#include "server/router.h"
#include "server/group.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/limits.h"
#include "server/authn.h"
#include "server/cache.h"
#include "server/engines.h"
#include "server/holdpoint.h"
#include "server/idem.h"
#include "server/ratelimit.h"

#define ROUTE_MAX_SEGMENTS 16

/* A request path cut at its slashes once, for every pattern to match. */
struct path_segs {
	const char *path;
	char *seg[ROUTE_MAX_SEGMENTS]; /* inside scratch, a copy of path */
	size_t len[ROUTE_MAX_SEGMENTS];
	int n; /* -1: not absolute, or more segments than any route has */
};

static void split_path(const char *path, char *scratch, struct path_segs *ps)
{
	ps->path = path;
	ps->n = 0;
	if (path[0] != '/') {
		ps->n = -1;
		return;
	}
	strcpy(scratch, path + 1);
	for (char *s = scratch;;) {
		char *slash = strchr(s, '/');
		if (ps->n == ROUTE_MAX_SEGMENTS) {
			ps->n = -1;
			return;
		}
		ps->seg[ps->n] = s;
		ps->len[ps->n++] = slash ? (size_t)(slash - s) : strlen(s);
		if (!slash)
			break;
		*slash = '\0';
		s = slash + 1;
	}
}

/* Matches the split path against pattern segment by segment. On success
 * params point at the ":x" segments. A final "*" segment matches the rest of
 * the path (one or more non-empty segments, slashes kept: a suffix of the
 * path itself) into the next param; the pattern "/" matches only "/". */
static int route_match(const char *pattern, const struct path_segs *ps, const char **params)
{
	const char *p = pattern + 1;
	int n = 0;

	if (ps->n < 0)
		return 0;
	if (pattern[1] == '\0')
		return ps->path[1] == '\0';
	for (int i = 0; i < ps->n; i++) {
		size_t plen = strcspn(p, "/");
		if (plen == 0 || ps->len[i] == 0)
			return 0;
		if (p[0] == '*' && p[1] == '\0') {
			if (n >= REQ_MAX_PARAMS)
				return 0;
			for (int j = i + 1; j < ps->n; j++)
				if (ps->len[j] == 0)
					return 0;
			params[n++] = ps->path + 1 + (ps->seg[i] - ps->seg[0]);
			return 1;
		}
		if (*p == ':') {
			if (n >= REQ_MAX_PARAMS)
				return 0;
			params[n++] = ps->seg[i];
		} else if (ps->len[i] != plen || memcmp(p, ps->seg[i], plen) != 0) {
			return 0;
		}
		p += plen;
		if (*p == '/')
			p++;
		else if (i + 1 < ps->n)
			return 0;
	}
	return *p == '\0';
}

static const struct route *find_route(struct req *r, char *scratch, int *method_mismatch)
{
	struct path_segs ps;
	*method_mismatch = 0;
	split_path(r->path, scratch, &ps);
	for (size_t t = 0; http_route_tables[t]; t++) {
		for (const struct route *rt = http_route_tables[t]; rt->pattern; rt++) {
			const char *params[REQ_MAX_PARAMS] = {0};
			if (!route_match(rt->pattern, &ps, params))
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
	text = cache_get(r->app->answers, key, app_log_version(r->app), &len);
	if (text) {
		req_text(r, 200, "application/json; charset=utf-8", text, len);
		return TQ_OK;
	}
	if ((rc = rt->fn(r)) || r->status != 200 || !r->out)
		return rc;
	text = json_dumps(r->out, HTTP_JSON_FLAGS);
	if (!text)
		return req_fail(r, TQ_ENOMEM, "out of memory");
	cache_put(r->app->answers, key, app_log_version(r->app), text, strlen(text));
	json_decref(r->out);
	r->out = NULL;
	req_text(r, 200, "application/json; charset=utf-8", text, strlen(text));
	return TQ_OK;
}

/* A write. A ROUTE_STAGED handler builds the batch (validation, reads, the
 * objects and events) with no transaction open; commit_apply then opens the
 * write transaction. If something committed in between (COMMIT_STALE: another
 * node, with a shared store), what the batch read may be out of date (a seq
 * taken, a version moved): it is built once more, this time with the
 * transaction (and the cell-wide write lock) taken first, so it cannot go
 * stale again: a write never fails because others keep writing. Other routes
 * are built inside the transaction from the start. The batch is applied only
 * after a 2xx answer. */
static int run_write(struct req *r, const struct route *rt, const char *idem)
{
	int staged = (rt->flags & ROUTE_STAGED) != 0;
	int rc;
	for (;;) {
		if ((rc = commit_new(r->app, &r->who, r->now, &r->commit)))
			return req_fail(r, rc, "out of memory");
		commit_share(r->commit); /* durable at router_dispatch's group_settle_unlock */
		if (!staged && (rc = commit_open(r->commit))) {
			rc = req_fail(r, rc, "the store is busy");
			break;
		}
		rc = rt->fn(r);
		if (rc == TQ_OK && r->status >= 200 && r->status < 300 && idem)
			rc = idem_record(r, idem);
		if (rc != TQ_OK || r->status >= 300)
			break;
		rc = commit_apply(r->commit);
		if (rc == COMMIT_STALE && staged) {
			commit_free(r->commit);
			r->commit = NULL;
			req_reset(r);
			r->now = app_now();
			staged = 0; /* the second build holds the transaction */
			continue;
		}
		if (rc == COMMIT_STALE) /* not from a batch built inside its transaction */
			rc = req_fail(r, TQ_EINTERNAL, "the change went stale inside its transaction");
		else if (rc)
			rc = req_fail(r, rc, "the change could not be committed");
		break;
	}
	commit_free(r->commit); /* a failed request leaves nothing behind */
	r->commit = NULL;
	return rc;
}

/* again: the request runs a second time (under the lock, app_need_lock):
 * its rate-limit token is taken already. */
static int run_handler(struct req *r, const struct route *rt, int again)
{
	struct app *a = r->app;
	const char *idem = NULL;
	int rc;

	int write = strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0;
	if (!(rt->flags & ROUTE_PUBLIC) && (rc = authn_request(r, write)))
		return rc;
	if (r->who.user[0] && !again && (r->retry_after = ratelimit_take(a->rate_user, r->who.user, r->now)))
		return req_fail(r, TQ_ERATE, "too many requests from this user; retry in %d s", r->retry_after);
	if ((rc = authn_signature(r)))
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
	if (idem && idem_replay(r, idem, &rc))
		return rc;
	return run_write(r, rt, idem);
}

void router_dispatch(struct req *r)
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
		int write = (rt->flags & ROUTE_WRITE) != 0, again = 0;
		/* A read (GET, or a POST that only reads: ROUTE_SNAPSHOT) runs in a
		 * snapshot of its own, off the write lock (app.h), or under the lock
		 * when it cannot. Other POSTs that write no batch (a test hook) run
		 * under the lock. */
		int reads = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD") || (rt->flags & ROUTE_SNAPSHOT);
		if (!write && reads && app_read_begin(a) == TQ_OK) {
			r->now = app_now();
			rc = run_handler(r, rt, 0);
			engines_done(a); /* the conflict engines it read, if the handler did not say so */
			if (!app_read_end(a))
				goto answered;
			/* run_handler parses and authenticates again */
			req_reset(r);
			json_decref(r->json);
			free(r->signature_b64);
			free(r->body_b64);
			r->json = NULL;
			r->signature_b64 = r->body_b64 = NULL;
			again = 1;
		}
		if (write)
			group_lock_write(a);
		else
			group_lock_read(a); /* commits an open shared transaction first */
		/* Another node's acknowledged write is visible to this request. */
		if (app_sync(a) != TQ_OK) {
			/* the request meets the same failure in the store and answers it */
		}
		/* Read under the lock: times then follow commit (and seq) order. */
		r->now = app_now();
		rc = run_handler(r, rt, again);
		/* Group commit: no answer before the COMMIT holding this write (or
		 * the writes it read) returned; if it failed, nothing was written. */
		int durable = TQ_OK;
		if (write && rc == TQ_OK)
			holdpoint_reach(r->param[0], r->status, r->path); /* --test-hooks only: one atomic load */
		if (write)
			durable = group_settle_unlock(a);
		else
			group_unlock(a);
		if (durable != TQ_OK) {
			req_reset(r);
			rc = req_fail(r, durable, "the change could not be committed");
		}
	}
answered:
	/* params point into scratch; handlers are done with them now. */
	memset(r->param, 0, sizeof r->param);
	free(scratch);
	if (rc && !r->err)
		req_fail(r, rc, "%s", tq_err_name(rc));
}
