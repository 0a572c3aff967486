/*
 * sse — the Server-Sent Events endpoints (api.md, Live events):
 *   GET /v1/events             every event the caller may see, of every track
 *   GET /v1/tracks/:t/events   the same, for one track (404 for non-members)
 * Each record is "id: <log index>", "event: <type>", "data: <event JSON>".
 * Resume with Last-Event-ID or ?after=<index> (Last-Event-ID wins: a browser's
 * EventSource reconnects to its URL and sends the newer position in the
 * header): every visible event after it, then live, with no gap and no
 * duplicate. Without either the stream starts live (rule 5). A resume point
 * at or beyond the log size names no event: 400. A stream over a cap (hub.h)
 * answers 429. The streaming itself is the hub's (hub.h).
 */
#ifndef TQ_SSE_H
#define TQ_SSE_H

#include "server/http.h"

/* The route table is api_events_routes, declared in api.h. */

#endif
