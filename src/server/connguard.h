/*
 * connguard — caps on the connections that are not event streams, and a
 * header timeout (api.md rule 13; issue 17 "connection exhaustion").
 *
 * A connection holds a *request slot* from accept until it becomes an event
 * stream (then the hub counts it against the stream caps instead, hub.h) or
 * closes. Request slots are capped cell-wide and per source address, so
 * sockets that never finish their headers, from one address, cannot take the
 * slots other clients need, and streams never eat request slots.
 *
 * Header timeout: a connection must complete a request's headers within
 * header_timeout_s of being accepted, or of the end of its previous request
 * (keep-alive); otherwise its socket is shut down and libmicrohttpd closes
 * it. Trickling one header line at a time no longer keeps a slot for ever.
 *
 * A connection over a cap is refused at accept (closed without an answer:
 * nothing was read, and answering would cost the slot being protected).
 *
 * Hooks: connguard_accept is the daemon's accept policy, connguard_notify its
 * MHD_OPTION_NOTIFY_CONNECTION callback (both take the guard as cls); the
 * other calls name a connection the guard was notified of. Thread-safe.
 */
#ifndef TQ_CONNGUARD_H
#define TQ_CONNGUARD_H

#include "core/tqerr.h"
#include <arpa/inet.h>
#include <microhttpd.h>
#include <sys/socket.h>

#define CONNGUARD_DEFAULT_MAX_REQUESTS 1024
#define CONNGUARD_DEFAULT_PER_ADDRESS 128
#define CONNGUARD_DEFAULT_HEADER_TIMEOUT_S 20
#define CONNGUARD_ADDR_BUFSZ INET6_ADDRSTRLEN

struct connguard_options {
	unsigned max_requests;	   /* request slots in the cell; 0 = no cap */
	unsigned per_address;	   /* request slots per source address; 0 = no cap */
	unsigned header_timeout_s; /* 0 = no header timeout */
};

struct connguard;

/* Starts the guard (and its timeout thread). */
TQ_MUST_USE int connguard_new(const struct connguard_options *o, struct connguard **out);
/* Stops the thread and frees the guard; call after the daemon has stopped. */
void connguard_free(struct connguard *g);

enum MHD_Result connguard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void connguard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		      enum MHD_ConnectionNotificationCode code);

/* The connection's request headers are complete (its access handler runs). */
void connguard_headers_done(struct MHD_Connection *c);
/* The request is over; a kept-alive connection waits for the next headers. */
void connguard_request_done(struct MHD_Connection *c);
/* The connection now carries an event stream: it gives back its request slot.
 */
void connguard_to_stream(struct MHD_Connection *c);

/* The address as text ("?" when unknown). */
void connguard_address(const struct sockaddr *sa, char out[CONNGUARD_ADDR_BUFSZ]);

#endif
