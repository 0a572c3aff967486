/*
 * req — one request as the handlers see it, and its answer.
 *
 * A handler sees a validated struct req (router.h): a known route, an
 * authenticated caller (unless the route is public), a parsed JSON body
 * within the depth limit, and for writes a batch (r->commit, commit.h) that
 * the router applies in one transaction after a 2xx answer. A handler answers
 * with req_json()/req_text() or fails with req_fail()/req_fail_field(); a
 * failed write's batch is discarded whole, so a failed request changes
 * nothing.
 */
#ifndef TQ_REQ_H
#define TQ_REQ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "core/fielderr.h"
#include "server/app.h"
#include "server/commit.h"

struct MHD_Connection;
struct MHD_Response;

/* Numbers print as the event leaves hold them (jansson's 17 significant digits, which
 * parse back to the same double): `event` in /v1/log/entries must equal leaf_data parsed. */
#define HTTP_JSON_FLAGS JSON_COMPACT

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
	uint8_t session[32];                 /* its hash, when by_cookie */
	char addr[48];                       /* the client's address as text ("" in-process) */
	char *signature_b64, *body_b64;      /* a verified party signature and the body it covers */
	tq_time now;
	struct commit *commit;               /* writes: the batch of this request (owned here) */
	int handed;                          /* http.c: 1 while a write worker runs it, 2 once it has */
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

/* Answers. req_json takes the reference. */
void req_json(struct req *r, int status, json_t *body);
void req_text(struct req *r, int status, const char *type, char *text, size_t len);
/* Fails with err (a tq_err) and a detail shown to the caller. Returns err. */
int req_fail(struct req *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds a field error and fails with err. Returns err. */
int req_fail_field(struct req *r, int err, const struct tq_field_error *fe);

/* Forgets the answer and the problem (a write built again). */
void req_reset(struct req *r);

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

/* Maps a tq_err to an HTTP status, and a status to its reason phrase. */
int req_status_of(int err);
const char *req_status_title(int status);

#endif
