/*
 * http — the HTTP layer: libmicrohttpd glue, routing, limits, problem+json.
 *
 * Every request is read whole (up to the body limit) before its handler runs;
 * the handler sees a validated struct req: a known route, an authenticated
 * caller (unless the route is public), a parsed JSON body within the depth
 * limit, and for writes a batch (r->commit, commit.h) that the HTTP layer
 * applies in one transaction after a 2xx answer. A handler answers with
 * req_json()/req_text() or fails with req_fail()/req_fail_field(); a failed
 * write is rolled back whole, so a failed request changes nothing.
 */
#ifndef TQ_HTTP_H
#define TQ_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include "core/fielderr.h"
#include "server/app.h"
#include "server/commit.h"

struct MHD_Connection;
struct MHD_Daemon;

#define REQ_MAX_PARAMS 4
#define REQ_MAX_ERRORS 8

struct req {
	struct app *app;
	struct MHD_Connection *conn;
	const char *method;
	char *path;                          /* owned copy of the decoded path */
	const char *param[REQ_MAX_PARAMS];   /* ":x" segments of the route, in order */
	char *body;                          /* raw body, NUL-terminated */
	size_t body_len;
	int body_too_big;
	json_t *json;                        /* parsed body, NULL when there is none */
	struct who who;
	int by_cookie;                       /* authenticated by the console's session cookie */
	char *signature_b64, *body_b64;      /* a verified party signature and the body it covers */
	tq_time now;
	struct commit *commit;               /* writes: the batch of this request (owned here) */
	const char *local_auth;              /* Authorization of an in-process request */
	/* answer */
	int status;
	json_t *out;
	char *out_text;
	size_t out_len;
	const char *out_type;
	char location[256];
	char set_cookie[256];                /* Set-Cookie of the answer, if any */
	/* problem */
	int err;
	int retry_after;                     /* seconds, for 429 */
	char detail[512];
	struct tq_field_error errors[REQ_MAX_ERRORS];
	int nerrors;
	/* a handler may build the MHD response itself (streams, files) */
	struct MHD_Response *response;
	/* state of a streaming answer (SSE), owned by its module; freed by stream_free */
	void *stream;
	void (*stream_free)(void *stream);
};

enum route_flags {
	ROUTE_PUBLIC = 1,     /* no token needed */
	ROUTE_WRITE = 2,      /* runs in a transaction; viewers get 403 */
	ROUTE_ADMIN = 4,      /* cell admin only */
	ROUTE_NOLOCK = 8,     /* the handler takes app->lock itself (slow work outside it) */
	ROUTE_ALLOW_VIEWER = 16, /* a write that viewers may do too (logout) */
	ROUTE_CACHE = 32,     /* a GET whose JSON answer depends only on the cell's state, the URL
			       * and the caller's party and role: kept until the log grows */
	ROUTE_STAGED = 64,    /* a write whose handler only stages into r->commit: the transaction
			       * opens after it returns (without it, before: commit_open) */
};

typedef int (*route_fn)(struct req *r);
struct route {
	const char *method;
	const char *pattern;  /* "/v1/tracks/:t/zones/:id" */
	route_fn fn;
	int flags;
};

/* Route tables live next to their handlers; routes.c lists them. */
extern const struct route *const http_route_tables[];

struct http_options {
	const char *listen;   /* "ADDR:PORT" */
	const char *tls_cert, *tls_key;   /* PEM files; both or neither */
	unsigned threads;
	double rate_limit;    /* requests/s per user (source addresses get 4x); 0 = off */
};
TQ_MUST_USE int http_start(struct app *a, const struct http_options *o, struct MHD_Daemon **out);
void http_stop(struct app *a, struct MHD_Daemon *d);

/* Answers. req_json takes the reference. */
void req_json(struct req *r, int status, json_t *body);
void req_text(struct req *r, int status, const char *type, char *text, size_t len);
/* Fails with err (a tq_err) and a detail shown to the caller. Returns err. */
int req_fail(struct req *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds a field error and fails with err. Returns err. */
int req_fail_field(struct req *r, int err, const struct tq_field_error *fe);

/* Query argument or NULL. */
const char *req_query(struct req *r, const char *name);
/* Request cookie or NULL. */
const char *req_cookie(struct req *r, const char *name);
/* Request header or NULL. */
const char *req_header(struct req *r, const char *name);
/* ?limit= within [1, TQ_MAX_LIST_LIMIT], default TQ_DEFAULT_LIST_LIMIT. */
TQ_MUST_USE int req_limit(struct req *r, size_t *out);
/* The JSON body as an object; {} when the request had no body. 400 otherwise. */
TQ_MUST_USE int req_object(struct req *r, json_t **out);

/* Runs one request in-process, through the same routing, authentication,
 * validation and transaction as a network request (the demo seed uses it).
 * *out (owned, may be NULL) is the JSON answer or the problem. */
TQ_MUST_USE int http_local(struct app *a, const char *token, const char *method, const char *path,
			   const char *body, int *status, json_t **out);

/* Maps a tq_err to an HTTP status. */
int http_status_of(int err);

#endif
