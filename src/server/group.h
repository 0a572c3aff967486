/*
 * group — the app lock and the shared write transaction behind it (group
 * commit, leader/follower).
 *
 * Every thread takes app->lock through group_lock_read / group_lock_write and
 * leaves it through group_unlock or group_settle_unlock, never with
 * pthread_mutex_lock directly. Writers' batches (commit.h, the only joiner)
 * join one store transaction, app->group, each in its own savepoint; a batch
 * that failed rolls back to its savepoint and leaves the others intact.
 *
 * Promises:
 * - Nothing uncommitted is read: group_lock_read commits an open shared
 *   transaction first; group_unlock commits it unless another thread is
 *   about to take the lock (which then will, or a later one).
 * - No writer is answered before the COMMIT that holds its batch returned
 *   (group_settle_unlock); if it failed, every writer of it gets the error.
 * - The after-commit actions of the transaction's batches run at its COMMIT,
 *   in the order they were added; when it does not commit only their
 *   free_ctx runs.
 * - With a store shared by several nodes the cell-wide write lock is held
 *   while the transaction is open, and memory has caught up (app_sync).
 */
#ifndef TQ_GROUP_H
#define TQ_GROUP_H

#include <stdint.h>
#include "server/app.h"

/* An action to run after the COMMIT of the transaction it was added to. */
struct group_action {
	void (*fn)(void *ctx);
	void (*free_ctx)(void *ctx);
	void *ctx;
	struct group_action *next;
};

/* Takes app->lock for a reader; an open shared transaction is committed first. */
void group_lock_read(struct app *a);
/* Takes app->lock for a writer (who leaves it with group_settle_unlock). */
void group_lock_write(struct app *a);
/* Leaves app->lock; commits an open shared transaction unless another thread
 * is about to take the lock. */
void group_unlock(struct app *a);
/* A writer about to answer (lock held) leaves app->lock through this: if a
 * shared transaction is open (holding its batch, or writes it read), it waits
 * until that is committed — as a follower, the lock released at once, when
 * others are queued for the lock and the transaction holds fewer than
 * app->group_max batches; else committing it itself (one fsync for all) and
 * waking the others. Returns with the lock released and that COMMIT's result
 * (TQ_OK when none was open). */
TQ_MUST_USE int group_settle_unlock(struct app *a);
/* Commits the open shared transaction, if any (at once: a batch not shared,
 * a shutdown), runs its after-commit actions and wakes its writers; returns
 * the COMMIT's result. */
int group_flush(struct app *a);

/* The open shared transaction's id (never reused), 0 when none is open. */
uint64_t group_current(const struct app *a);
/* Joins the shared transaction, opening it if none is: takes a savepoint.
 * check_stale (a batch built with no transaction of its own open): returns
 * GROUP_STALE, nothing done, if the batch was built outside the transaction
 * that is open now (built_in: group_current() when it was created), or if no
 * transaction was open and the log's size in the store, read under the
 * cell-wide lock, is not `base` (what this node knew when the batch was
 * created: the store is asked, not memory, which lags other nodes until the
 * follower runs). */
#define GROUP_STALE 1
TQ_MUST_USE int group_join(struct app *a, int check_stale, uint64_t base, uint64_t built_in);
/* Ends the savepoint taken by group_join: keeps its writes (rc == TQ_OK) or
 * undoes them. A savepoint that cannot be released or rolled back fails the
 * whole transaction; one left holding no batch is rolled back at once.
 * Returns rc, or the failure to release. */
int group_leave(struct app *a, int rc);
/* Counts a kept batch in the open transaction (group_leave returned TQ_OK):
 * its actions (a list, taken over) run at the COMMIT; deadlines: it changed
 * deadlines (the sweeper is told after the COMMIT). */
void group_add(struct app *a, struct group_action *actions, struct group_action **actions_tail, int deadlines);

#endif
