/*
 * commit — the one way in for every write (architecture.md, "One way in for
 * every write"): the only caller of the store's write functions for objects,
 * events and deadlines.
 *
 * A writer (an HTTP handler, the sweeper, a login) builds a batch, a
 * `struct commit`, without any transaction open: the objects to store, the
 * events to append with their audiences, the deadlines to set, clear or mark
 * fired, other store writes (users, tokens, tracks, idempotency records) and
 * the actions to run after commit (index updates, live fan-out). Building is
 * where validation happens; commit_apply never refuses a batch for its
 * content. commit_apply then opens the one write transaction, applies the
 * batch in the order it was built, commits, and only then runs the
 * after-commit actions. If anything fails, nothing of the batch is written,
 * no after-commit action runs, and every action's free_ctx runs (so memory
 * changed speculatively can be marked for rebuild).
 *
 * Promises:
 * - Events are encoded when staged (time = the batch's `now`, actor = its
 *   actor, a fresh salt), appended in staging order, and published to the
 *   app's live sink after commit, in log order.
 * - Reads during building see the store plus the batch (commit_get).
 * - A batch is applied at most once; commit_free discards an unapplied one.
 *
 * Group commit (leader/follower): batches of several writers share one store
 * transaction and so one fsync. Each batch is applied inside its own
 * savepoint of the shared transaction (a failed batch rolls back to it and
 * leaves the others intact). A batch marked commit_share is left in the
 * shared transaction by commit_apply; its writer then leaves the lock with
 * group_settle_unlock before answering: if other threads are queued for app->lock and the
 * transaction holds fewer than app->group_max batches, it releases the lock
 * and waits until the transaction is committed by a later writer; otherwise
 * it commits it itself (one fsync for all) and wakes the others. The
 * after-commit actions of every batch (publication to live streams,
 * log_version, …) run at that COMMIT, in order. If the COMMIT fails, every
 * writer of the transaction gets the error (its after-commit actions do not
 * run: guarded memory is rebuilt). Readers take the lock with group_lock_read,
 * which commits an open shared transaction first (group.h keeps the lock and
 * the shared transaction). Callers neither open
 * transactions nor call store write functions.
 *
 * All calls happen under app->lock.
 */
#ifndef TQ_COMMIT_H
#define TQ_COMMIT_H

#include <jansson.h>
#include "server/app.h"

struct commit;

/* A new, empty batch written by actor (borrowed: must outlive the batch) at
 * time now. *out owned: commit_free. */
TQ_MUST_USE int commit_new(struct app *a, const struct who *actor, tq_time now, struct commit **out);
/* Discards what was not applied (running the free_ctx of after-commit
 * actions as for a failed commit). NULL-safe. */
void commit_free(struct commit *c);

struct app *commit_app(const struct commit *c);
const struct who *commit_actor(const struct commit *c);
tq_time commit_now(const struct commit *c);
/* Whether nothing was staged. */
int commit_empty(const struct commit *c);

/* Stages a track-scoped object (store_obj_meta strings are copied). The batch
 * keeps a reference to obj: the caller must not change it after staging
 * (stage it again after a further change; the last one wins). */
TQ_MUST_USE int commit_put(struct commit *c, const struct store_obj_meta *m, json_t *obj);
/* Stages an event of `type` about track (NULL: cell level) visible to
 * `audience` (a tag from the visibility module). payload is borrowed and
 * encoded now. */
TQ_MUST_USE int commit_event(struct commit *c, const char *type, const char *track, const char *audience,
			     const json_t *payload);
/* The usual pair: commit_put(m, obj) then commit_event(event, m->track,
 * audience, obj). */
TQ_MUST_USE int commit_record(struct commit *c, const struct store_obj_meta *m, json_t *obj, const char *event,
			      const char *audience);

/* Deadlines (sweeper.h): set (or move) the deadline of (object_id, kind);
 * clear it (kind NULL: every kind of the object); mark it fired. */
TQ_MUST_USE int commit_deadline(struct commit *c, const char *track, const char *object_id, const char *kind,
				tq_time due);
TQ_MUST_USE int commit_deadline_clear(struct commit *c, const char *object_id, const char *kind);
TQ_MUST_USE int commit_deadline_fired(struct commit *c, const char *object_id, const char *kind);

/* Any other store write (users, tokens, parties, tracks, idempotency
 * records): fn(store, ctx) runs inside the transaction, in staging order, and
 * returns 0 or a tq_err (which aborts the batch). free_ctx(ctx) runs once the
 * batch is applied or discarded. */
typedef int (*commit_write_fn)(struct store *s, void *ctx);
TQ_MUST_USE int commit_write(struct commit *c, commit_write_fn fn, void *ctx, void (*free_ctx)(void *));

/* Runs fn(ctx) after the batch commits; free_ctx(ctx) (may be NULL) runs
 * either way, after fn. Out of memory here aborts: losing an action would
 * desynchronise memory from the store. */
typedef void (*commit_after_fn)(void *ctx);
void commit_after(struct commit *c, commit_after_fn fn, void *ctx, void (*free_ctx)(void *));

/* The object (track, type, id) as the batch would leave it: the last staged
 * version (a copy), else the stored one. *out owned; TQ_ENOTFOUND if none. */
TQ_MUST_USE int commit_get(struct commit *c, const char *track, const char *type, const char *id, json_t **out);

/* Applies the batch in one transaction and commits; then runs the
 * after-commit actions. The batch is spent either way (commit_free it),
 * except when it returns COMMIT_STALE (only for a batch built with no
 * transaction of its own open): the log in the store, read under the write
 * lock, is no longer the size this node knew at commit_new — another node
 * committed since (with a store shared by several nodes; memory has caught up
 * now) — or a shared transaction was opened after commit_new. What the batch
 * read (a seq, a counter, a version) may be taken or moved: nothing was
 * written and the batch is intact — build it again, with commit_open first
 * so that it cannot go stale again (or, when its content does not depend on
 * the cell's state, apply it again).
 * A staged commit_deadline_fired of a deadline fired already fails the
 * batch with TQ_ENOTFOUND (another node fired it). */
#define COMMIT_STALE 1
TQ_MUST_USE int commit_apply(struct commit *c);

/* Leaves the batch in the shared transaction when commit_apply returns
 * TQ_OK: the caller must leave the lock with group_settle_unlock before answering. */
void commit_share(struct commit *c);
/* ---- building inside the transaction ---------------------------------------
 * commit_open opens the batch's transaction at once (the write lock taken,
 * memory caught up): what is built afterwards cannot go stale, and
 * commit_apply applies the staged operations in it and commits. The second
 * build after a COMMIT_STALE uses it; so do the deadline kinds that still
 * call the store directly (app_emit joins their transaction). */
TQ_MUST_USE int commit_open(struct commit *c);
/* Appends an event at once in the open transaction of the app's open batch
 * (commit_event is the staged form). payload is borrowed. */
TQ_MUST_USE int app_emit(struct app *a, const struct who *actor, tq_time now, const char *type,
			 const char *track, const char *audience, const json_t *payload, uint64_t *out_index);

#endif
