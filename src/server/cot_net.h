/*
 * cot_net — the TAK gateway's transport: one thread runs an epoll loop over a
 * listening socket and its connections, TLS (GnuTLS sessions, non-blocking,
 * a client certificate required and verified against the credentials' trust
 * list) or plain TCP. It knows sockets, buffers and certificates; what a
 * connection's bytes mean and who it is are the hooks' business
 * (cot_session, cot_feed).
 *
 * A connection is accepted (at most COT_MAX_CONNECTIONS), handshaken within
 * COT_HANDSHAKE_TIMEOUT_S, then handed to opened() with its verified
 * certificate. From then on its inbound bytes go to received(), an unfinished
 * message kept across reads up to in_max bytes; closed() is called once it is
 * gone. Hooks run on the loop thread.
 *
 * Outbound bytes are appended to the connection's buffer, from any thread,
 * and sent by the loop thread: a sender never waits for a socket. A
 * connection whose pending bytes would pass COT_CONN_BUFFER_MAX is closed.
 * cot_net_broadcast() reaches only connections made live by cot_conn_go_live().
 */
#ifndef TQ_COT_NET_H
#define TQ_COT_NET_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <sys/types.h>
#include "core/tqerr.h"

#define COT_CONN_BUFFER_MAX (4 * 1024 * 1024)
#define COT_MAX_CONNECTIONS 4096
/* A TLS handshake not finished within this many seconds is dropped. */
#define COT_HANDSHAKE_TIMEOUT_S 10

struct cot_net;
struct cot_conn;

struct cot_net_hooks {
	void *ctx;
	/* The peer is known: cert (DER, len bytes; borrowed for the call) is its
	 * certificate, verified against the trust list; NULL on plain TCP.
	 * Returns the connection's state for the other hooks (owned by the
	 * hooks until closed()), or NULL to close it (the hook logs why). */
	void *(*opened)(void *ctx, struct cot_conn *c, const unsigned char *cert, size_t len);
	/* Inbound bytes: returns how many were consumed (the rest is handed again
	 * with what follows), or -1 to close the connection. */
	ssize_t (*received)(void *ctx, struct cot_conn *c, void *state, const char *data, size_t len);
	/* The connection is gone: releases state. */
	void (*closed)(void *ctx, void *state);
};

struct cot_net_config {
	int fd;                                /* listening, non-blocking; borrowed */
	gnutls_certificate_credentials_t cred; /* NULL: plain TCP; borrowed */
	gnutls_priority_t prio;                /* with cred; borrowed */
	size_t in_max;                         /* longest unfinished inbound message kept */
	struct cot_net_hooks hooks;
};

/* Sets up the loop (nothing is accepted before cot_net_run). *out owned:
 * cot_net_free. */
TQ_MUST_USE int cot_net_new(const struct cot_net_config *cfg, struct cot_net **out);
/* Starts the loop thread. */
TQ_MUST_USE int cot_net_run(struct cot_net *n);
/* Stops the thread, closes every connection (closed() for each), frees.
 * The listening socket and credentials stay the caller's. NULL-safe. */
void cot_net_free(struct cot_net *n);

/* "ADDR:PORT" of the peer, for messages. */
const char *cot_conn_peer(const struct cot_conn *c);
/* The user this connection acts as, named in its messages (loop thread,
 * from opened()). */
void cot_conn_set_user(struct cot_conn *c, const char *user);
/* Appends n bytes to the outbound buffer (any thread). */
void cot_conn_send(struct cot_conn *c, const void *data, size_t n);
/* Appends the connection's first bytes and makes it live: every broadcast
 * after this call reaches it, none before. */
void cot_conn_go_live(struct cot_conn *c, const void *data, size_t n);
/* Closes the connection, logging why; what is pending is dropped. */
void cot_conn_close(struct cot_conn *c, const char *why);

/* What a broadcast appends to one connection: len bytes of data (borrowed,
 * kept by the caller until cot_net_broadcast returns), or nothing; or, when
 * close is set, closes the connection with that reason. */
struct cot_out {
	const char *data;
	size_t len;
	const char *close;
};
typedef void (*cot_net_pick_fn)(void *ctx, void *state, struct cot_out *out);
/* Calls pick for every live connection (state: what opened() returned), the
 * net's lock held: pick must not call cot_conn_ functions. */
void cot_net_broadcast(struct cot_net *n, cot_net_pick_fn pick, void *ctx);

#endif
