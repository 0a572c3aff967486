/*
 * follow — keeps one node's memory current with the commits of the other
 * nodes that share its PostgreSQL database (api.md, "Several nodes").
 *
 * The log table is the truth: follow_sync reads every event this node has not
 * seen yet (index >= app->log_version), marks the conflict engines of their
 * tracks for a rebuild from the store, hands them to the live-event hub in
 * index order, and advances app->log_version (which also retires cached
 * answers). It runs under app->lock, before every request and inside every
 * write transaction once the cell-wide write lock is held, so a node reads what
 * any node acknowledged and checks conflicts against every committed subject.
 * A follower thread calls it when another node's NOTIFY arrives, and at least
 * every FOLLOW_POLL_MS, so that a missed notification delays nothing longer.
 *
 * With the embedded SQLite store this process is the only writer: follow_sync
 * returns at once and no thread is started.
 */
#ifndef TQ_FOLLOW_H
#define TQ_FOLLOW_H

#include "server/app.h"

#define FOLLOW_POLL_MS 200

/* With app->lock held. */
TQ_MUST_USE int follow_sync(struct app *a);
/* Starts the follower thread for a shared store (no-op for SQLite). */
TQ_MUST_USE int follow_start(struct app *a, const char *store_location);
void follow_stop(struct app *a);

#endif
