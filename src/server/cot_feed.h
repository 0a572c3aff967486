/*
 * cot_feed — the cell's state and events as Cursor-on-Target for the TAK
 * clients (api.md, Contract v1.1, TAK gateway; mapping in core/cot.h).
 *
 * At connect, cot_feed_go_live sends a session, under the app lock, the
 * current state of every zone, deployment, activity and conflict its party
 * sees in its tracks (auth_sees), and makes the connection live: every event
 * committed before is in that snapshot, every later one comes through the
 * feed.
 *
 * The feed is a hub listener: after each commit, under the app lock, it gets
 * the same published events the SSE streams get, maps each once per viewer
 * party (cot_log_event_xml) and appends it to the live connections whose user
 * may see it (auth_event_visible). Nothing here decides visibility. A
 * `user.deleted` event closes that user's connections.
 */
#ifndef TQ_COT_FEED_H
#define TQ_COT_FEED_H

#include "server/app.h"
#include "server/cot_net.h"
#include "server/cot_session.h"

/* Distinct viewer parties one event is mapped for; a connection of one more
 * is closed (a cell has tens of parties). */
#define FEED_PARTY_CACHE_MAX 32

struct cot_feed;

/* Subscribes to the app's hub; events go to n's live connections. *out owned:
 * cot_feed_stop. */
TQ_MUST_USE int cot_feed_start(struct app *a, struct cot_net *n, struct cot_feed **out);
/* Unsubscribes and frees. NULL-safe. */
void cot_feed_stop(struct cot_feed *f);

/* Sends c (whose session is s) the current state and makes it live. Takes
 * the app lock for reading; TQ_ENOTFOUND when the user was deleted since the
 * session began. */
TQ_MUST_USE int cot_feed_go_live(struct app *a, struct cot_conn *c, const struct cot_session *s);

#endif
