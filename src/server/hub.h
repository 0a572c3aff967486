/*
 * hub — live fan-out of committed events to Server-Sent Events subscribers.
 *
 * The hub is the app's event sink: after each commit (under the app lock) it
 * appends the event, formatted as one SSE record, to the bounded buffer of
 * every subscriber that may see it, and wakes the subscriber's connection. It
 * never writes to a socket and never waits for a client: a subscriber whose
 * buffer would grow past HUB_SUB_BUFFER_MAX is cut off (it resumes later with
 * Last-Event-ID), so a slow client costs at most that much memory.
 *
 * Subscribers do not own threads. Each stream is a libmicrohttpd callback
 * response; when its buffer is empty the callback suspends the connection
 * (MHD_suspend_connection, from inside the content reader as microhttpd.h
 * allows) and the hub resumes it when an event or a heartbeat arrives. A
 * stream that resumes from an index first catches up from the store in
 * bounded batches (read as the client drains them), then switches to live
 * delivery under the app lock, so nothing is missed or sent twice.
 *
 * One timer thread appends a heartbeat comment to every stream each
 * HUB_HEARTBEAT_MS (TANSIQD_SSE_HEARTBEAT_MS in the environment overrides it,
 * for tests); that is also how a client that vanished while its stream was
 * suspended is noticed.
 */
#ifndef TQ_HUB_H
#define TQ_HUB_H

#include <stdint.h>
#include "server/app.h"

struct MHD_Connection;
struct MHD_Response;

#define HUB_HEARTBEAT_MS 15000
/* Pending bytes per subscriber; above this the subscriber is disconnected.
 * Larger than the largest event (a 64 KiB message body, escaped, twice). */
#define HUB_SUB_BUFFER_MAX (512 * 1024)
/* A stream with bytes to send that makes no progress for this long is closed. */
#define HUB_STALL_TIMEOUT_S 10

struct hub;

/* Creates the hub, installs it as a->sink and starts the heartbeat thread. */
TQ_MUST_USE int hub_start(struct app *a);
/* Ends every stream and refuses new ones; call before stopping the HTTP
 * daemon (MHD must not be stopped with suspended connections). */
void hub_close(struct app *a);
/* Stops the heartbeat thread and frees the hub; call after the daemon stopped. */
void hub_free(struct app *a);

/* The app's hub, or NULL when none runs (in-process requests, the demo seed). */
struct hub *hub_of(struct app *a);

/* Subscribes a connection, with the app lock held. The caller sees events
 * with index >= from that auth_event_visible() grants to who and, when track
 * is not NULL, that belong to that track. live=1 when from is the current log
 * size (nothing to catch up). *out is an owned response for MHD_queue_response;
 * the subscriber lives until MHD destroys it. TQ_EIO when the hub is closing. */
TQ_MUST_USE int hub_subscribe(struct hub *h, struct MHD_Connection *conn, const struct who *who,
			      const char *track, uint64_t from, int live, struct MHD_Response **out);

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
