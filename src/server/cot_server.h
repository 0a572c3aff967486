/*
 * cot_server — the TAK gateway: Cursor-on-Target XML (TAK protocol version 0)
 * over TLS with client certificates signed by the cell CA (api.md, Contract
 * v1.1, TAK gateway; docs/tak.md). This module assembles it from:
 *
 *   cot_net      the TLS listener and its connections: epoll thread, buffers, caps
 *   cot_session  who a connection is, and its inbound CoT (pings, GeoChat → hotline)
 *   cot_feed     the cell's state at connect, then its published events, as CoT
 *
 * and owns what they share: the cell CA, the listening socket (a loopback
 * address only for plain TCP) and the TLS credentials (--cot-tls-cert/-key,
 * or a certificate for the listen address issued from the cell CA at start,
 * kept in memory only).
 *
 * With --cot-insecure (loopback only) the listener speaks plain TCP and every
 * connection acts as the user named by --cot-insecure-user: for local bridges
 * and tests, never for the field.
 */
#ifndef TQ_COT_SERVER_H
#define TQ_COT_SERVER_H

#include "server/app.h"

struct cot_options {
	const char *listen;            /* ADDR:PORT */
	const char *tls_cert, *tls_key; /* PEM files; NULL: issue one from the cell CA at start */
	int insecure;                  /* plain TCP (loopback only) */
	const char *insecure_user;     /* the user plain connections act as (name) */
};

struct cot_server;

/* Loads (creating if missing) the cell CA, binds, subscribes to the hub and
 * starts the loop thread. Messages on stderr; TQ_EINVALID for configuration. */
TQ_MUST_USE int cot_start(struct app *a, const struct cot_options *o, struct cot_server **out);
/* Stops the thread, closes every connection, unsubscribes. NULL-safe. */
void cot_stop(struct cot_server *s);

#endif
