/*
 * cot_server — the TAK gateway: Cursor-on-Target XML (TAK protocol version 0)
 * over TLS with client certificates signed by the cell CA (api.md, Contract
 * v1.1, TAK gateway; docs/tak.md).
 *
 * One thread runs an epoll loop over every connection; GnuTLS sessions are
 * non-blocking. A connection is bound at the handshake to the user named by
 * its certificate's CN, which must still exist in the store. Then, under the
 * app lock, it is sent the current state of every object its party sees in
 * its tracks and becomes live: from then on it receives what the hub's
 * listener hands it, the same published events the SSE streams get, filtered
 * by auth_event_visible(). Nothing here decides visibility.
 *
 * Live delivery appends to the connection's buffer (COT_CONN_BUFFER_MAX); a
 * client that lets it grow past that is disconnected, so the committer never
 * waits for a socket. A `user.deleted` event closes that user's connections.
 *
 * Inbound: pings are answered; a GeoChat whose chat room is a track id becomes
 * a hotline message (to all, routine) through api_hotline_post_as(); anything
 * else is logged and dropped. An event that is malformed, over 64 KiB or has a
 * DTD or entity closes that connection only.
 *
 * With --cot-insecure (loopback only) the listener speaks plain TCP and every
 * connection acts as the user named by --cot-insecure-user: for local bridges
 * and tests, never for the field.
 */
#ifndef TQ_COT_SERVER_H
#define TQ_COT_SERVER_H

#include "server/app.h"

#define COT_CONN_BUFFER_MAX (4 * 1024 * 1024)
#define COT_MAX_CONNECTIONS 4096
/* A TLS handshake not finished within this many seconds is dropped. */
#define COT_HANDSHAKE_TIMEOUT_S 10

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
