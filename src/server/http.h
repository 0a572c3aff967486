/*
 * http — the HTTP transport (libmicrohttpd): listening, TLS, reading each
 * request whole within the limits, and writing answers and problem+json.
 * What happens between is the router's (router.h); handlers see req.h.
 */
#ifndef TQ_HTTP_H
#define TQ_HTTP_H

#include "server/req.h"
#include "server/router.h"

struct MHD_Daemon;

struct http_options {
	const char *listen;   /* "ADDR:PORT" */
	const char *tls_cert, *tls_key;   /* PEM files; both or neither */
	unsigned threads;
	double rate_limit;    /* requests/s per user (source addresses get 4x); 0 = off */
	/* Connection slots (connguard.h; 0 = the default): connections that are not
	 * event streams, in the cell and per address, and the header timeout. */
	unsigned max_requests, max_requests_per_address, header_timeout_s;
	/* Event stream slots in the cell (hub.h), to size the daemon's connection limit. */
	unsigned max_streams;
};
TQ_MUST_USE int http_start(struct app *a, const struct http_options *o, struct MHD_Daemon **out);
void http_stop(struct app *a, struct MHD_Daemon *d);

/* Runs one request in-process, through the same routing, authentication,
 * validation and transaction as a network request (the demo seed uses it).
 * *out (owned, may be NULL) is the JSON answer or the problem. */
TQ_MUST_USE int http_local(struct app *a, const char *token, const char *method, const char *path,
			   const char *body, int *status, json_t **out);

#endif
