/*
 * http — the client's one way to talk to tansiqd (libcurl).
 *
 * Promises: certificate verification is always on for https (--cacert only
 * changes the trusted roots); only http and https are spoken; redirects are
 * not followed; every response body is capped at HTTP_MAX_RESPONSE bytes.
 * Non-2xx answers are reported on stderr in one place ("error: <status>
 * <title>: <detail>" plus field errors for problem+json) and mapped to the
 * CLI exit codes of cli.h, so sub-commands only decide what to print on success.
 */
#ifndef TQ_CLI_HTTP_H
#define TQ_CLI_HTTP_H

#include <stddef.h>
#include <jansson.h>
#include "core/tqerr.h"
#include "cli/cli.h"

#define HTTP_MAX_RESPONSE ((size_t)64 * 1024 * 1024)
#define HTTP_MAX_PATH 4096

struct http_resp {
	long status;          /* 0 when no answer was received */
	char *body;           /* owned, NUL-terminated (may contain NULs), never NULL after success */
	size_t len;
	char ctype[128];      /* Content-Type, lower-cased, "" if absent */
};

/* Performs one request to ctx->url + path ("/v1/..." with an escaped query).
 * body: borrowed JSON sent as application/json, or NULL for no body.
 * Returns CLI_OK for 2xx; otherwise prints the error and returns CLI_ECLIENT
 * (4xx), CLI_ESERVER (5xx, network, oversize answer) or CLI_ELOCAL.
 * out is filled in every case; release with http_resp_free(). */
TQ_MUST_USE int http_request(const struct cli_ctx *ctx, const char *method, const char *path,
			     const json_t *body, struct http_resp *out);
void http_resp_free(struct http_resp *r);

/* Parses a JSON response body. Returns owned JSON or NULL after printing
 * "error: server sent invalid JSON". */
json_t *http_resp_json(const struct http_resp *r);

/* Called with each chunk of a streamed 2xx body; return 0 to go on, non-zero to stop. */
typedef int (*http_chunk_fn)(const char *data, size_t len, void *arg);

/* Opens a GET stream (SSE): Accept: text/event-stream, no overall timeout,
 * optional Last-Event-ID header. Returns CLI_OK when the server closed the
 * stream or on_chunk asked to stop (*stopped set), CLI_ECLIENT/CLI_ESERVER as
 * http_request (error already printed), with *status the HTTP status (0 if
 * none). */
TQ_MUST_USE int http_stream(const struct cli_ctx *ctx, const char *path, const char *last_event_id,
			    http_chunk_fn on_chunk, void *arg, long *status, int *stopped);

/* Prints a non-2xx answer to stderr ("error: ..."). */
void http_print_error(const struct http_resp *r);

/* Appends s to buf (capacity cap, currently NUL-terminated) percent-encoding
 * everything but RFC 3986 unreserved characters (and ':' '@' when seg is a
 * path segment). Returns 0 or TQ_ETOOBIG. */
TQ_MUST_USE int http_append_escaped(char *buf, size_t cap, const char *s, int seg);

void http_global_init(void);
void http_global_cleanup(void);

#endif
