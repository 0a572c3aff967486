/*
 * hub — live fan-out of committed events to Server-Sent Events subscribers:
 * the HTTP side of a stream (subscribe, the content reader, catch-up from the
 * store, caps, revocation) and the listener API of the TAK gateway.
 * Delivery itself is hub_writer.h's; the records and queues sse_frame.h's;
 * the caps hub_caps.h's.
 *
 * The hub is the app's event sink: after each commit (under the app lock) it
 * calls the listeners, then hands the event to the writer threads, which
 * queue its record (built once, shared) to every subscriber that may see it
 * and send it. Publication never writes to a socket and never waits for a
 * client: a subscriber whose queue would pass HUB_SUB_BUFFER_MAX is cut off
 * (it resumes later with Last-Event-ID), so a slow client costs at most that
 * much memory.
 *
 * Subscribers do not own threads. Each stream is a libmicrohttpd callback
 * response (close-delimited on plain HTTP, chunked on TLS); when its queue is empty the
 * content reader parks the connection (MHD_suspend_connection, from inside
 * the reader as microhttpd.h allows). A writer then sends new records on a
 * parked plain-HTTP connection itself, and resumes the connection only when
 * the socket does not take them all (and always for TLS, whose bytes only
 * libmicrohttpd can write). A stream that resumes from an index first
 * catches up from the store in bounded batches (read as the client drains
 * them), then switches to live delivery under the app lock, so nothing is
 * missed or sent twice.
 *
 * Caps (issue 17): streams are counted apart from request slots (connguard.h)
 * against a cell-wide cap, a per-user cap and a per-source-address cap; a
 * stream over a cap is refused before it starts (429 with a problem body). A
 * user's streams end when the user is deleted, and a console session's
 * streams when the session ends (logout), so revoked access stops at once.
 *
 * Other subscribers (the TAK gateway): hub_listen() registers a callback
 * that receives every committed event, in commit order, with the same index,
 * type, track, audience and leaf bytes the streams get; it applies the same
 * visibility function (auth_event_visible) to the audience itself. One
 * publication path serves both.
 *
 * The writers queue a heartbeat comment to every stream each
 * HUB_HEARTBEAT_MS (TANSIQD_SSE_HEARTBEAT_MS in the environment overrides it,
 * for tests); that is also how a client that vanished while its stream was
 * parked is noticed. There is one writer thread per CPU (at most
 * HUB_WRITERS_MAX; TANSIQD_SSE_WRITERS=N sets another count, for
 * measurements). TANSIQD_SSE_DIRECT=0 makes every stream go through
 * libmicrohttpd, chunked, as TLS streams do (for tests of that path, and for
 * clients that need chunked framing).
 */
#ifndef TQ_HUB_H
#define TQ_HUB_H

#include <stdint.h>
#include "server/app.h"
#include "server/sse_frame.h"

struct MHD_Connection;
struct MHD_Response;

#define HUB_HEARTBEAT_MS 15000
/* Pending bytes per subscriber; above this the subscriber is disconnected.
 * Larger than the largest event (a 64 KiB message body, escaped, twice). */
#define HUB_SUB_BUFFER_MAX SSE_QUEUE_MAX_BYTES
/* A stream with bytes to send that makes no progress for this long is closed. */
#define HUB_STALL_TIMEOUT_S 10

/* Stream caps (0 in struct hub_limits = this default). */
#define HUB_DEFAULT_MAX_STREAMS 10000
#define HUB_DEFAULT_STREAMS_PER_USER 32
#define HUB_DEFAULT_STREAMS_PER_ADDRESS 256

struct hub_limits {
	unsigned max_streams;          /* open streams in the cell */
	unsigned streams_per_user;     /* open streams of one user (token or session) */
	unsigned streams_per_address;  /* open streams from one source address */
};

struct hub;

/* Creates the hub, installs it as a->sink and starts the heartbeat thread.
 * limits may be NULL (defaults). */
TQ_MUST_USE int hub_start(struct app *a, const struct hub_limits *limits);
/* Ends every stream and refuses new ones; call before stopping the HTTP
 * daemon (MHD must not be stopped with suspended connections). */
void hub_close(struct app *a);
/* Stops the heartbeat thread and frees the hub; call after the daemon stopped. */
void hub_free(struct app *a);

/* The app's hub, or NULL when none runs (in-process requests, the demo seed). */
struct hub *hub_of(struct app *a);

struct hub_stream {
	const struct who *who;
	const uint8_t *session;  /* the console session's 32-byte hash, or NULL (bearer token) */
	const char *address;     /* the client's source address */
	const char *track;       /* NULL = every track */
	uint64_t from;           /* first index to send */
	int live;                /* from is the current log size: nothing to catch up */
};

/* Subscribes a connection, with the app lock held. The caller sees events
 * with index >= from that auth_event_visible() grants to who and, when track
 * is not NULL, that belong to that track. *out is an owned response for
 * MHD_queue_response; the subscriber lives until MHD destroys it.
 * TQ_ERATE when a stream cap is reached (*cap_detail says which), TQ_EIO when
 * the hub is closing. */
TQ_MUST_USE int hub_subscribe(struct hub *h, struct MHD_Connection *conn, const struct hub_stream *p,
			      struct MHD_Response **out, const char **cap_detail);

/* Ends, after the current transaction commits, every stream of a user (its
 * account was deleted) or of a console session (it was ended). No event
 * committed later reaches them. No-op without a hub. */
struct commit;
void hub_revoke_user_after_commit(struct app *a, struct commit *c, const char *user);
void hub_revoke_session_after_commit(struct app *a, struct commit *c, const uint8_t session[32]);

/* Open streams now (for tests and /v1/health-style reporting). */
unsigned hub_stream_count(struct hub *h);

/* A second kind of subscriber (the CoT gateway): fn runs after each commit,
 * under the app lock, for every event, before the SSE streams get it; it must
 * not block (append to its own bounded buffers and return). At most
 * HUB_LISTENERS_MAX; add before serving, remove before hub_free. */
#define HUB_LISTENERS_MAX 4
typedef void (*hub_listener_fn)(void *ctx, uint64_t index, const char *type, const char *track,
				const char *audience, const char *leaf, size_t leaf_len);
TQ_MUST_USE int hub_listen(struct hub *h, hub_listener_fn fn, void *ctx);
void hub_unlisten(struct hub *h, hub_listener_fn fn, void *ctx);

#endif
