/*
 * sweeper — fires due deadlines as events, exactly once.
 *
 * Deadlines live in the store (store_deadline_set, inside the transaction of
 * the change that creates them), so a deadline that passed while tansiqd was
 * down fires at the next start. One thread waits until the earliest unfired
 * deadline, then, under the app lock, calls the handler registered for its
 * kind with a fresh batch (commit.h) and stages the "fired" mark in it: the
 * handler's changes and the mark commit together, so a crash between them
 * cannot fire a deadline twice or lose it.
 *
 * Modules register their kinds (sweeper_register) before sweeper_start; the
 * sweeper knows nothing of them otherwise.
 *
 * A handler that fails leaves its deadline unfired; it is retried after a growing,
 * bounded delay (core/backoff.h), with one line on stderr per failed attempt, and
 * never holds up the thread or other deadlines in a loop.
 */
#ifndef TQ_SWEEPER_H
#define TQ_SWEEPER_H

#include "server/app.h"
#include "server/commit.h"

/* Called with the app lock held; stages its changes in c (actor sweeper_who,
 * time = now). Returns 0 or a tq_err; on error nothing is written and the
 * deadline is retried later. */
typedef int (*sweeper_fire_fn)(struct commit *c, const struct store_deadline *d);

#define SWEEPER_MAX_KINDS 32
/* Registers the handler of deadline kind ("message.ack", …); kind is borrowed
 * (a literal). TQ_EINVALID when full or already registered. */
TQ_MUST_USE int sweeper_register(struct app *a, const char *kind, sweeper_fire_fn fire);

/* The identity clock-driven events are recorded under. */
extern const struct who sweeper_who;

TQ_MUST_USE int sweeper_start(struct app *a);
void sweeper_stop(struct app *a);
/* Wakes the sweeper to re-read the earliest deadline (after a commit that set one). */
void sweeper_poke(struct app *a);
/* Fires what is due now in the calling thread (app->lock held, no transaction
 * open), then wakes the sweeper: the test clock calls it after moving the clock so
 * that the answer comes after the deadlines it made due. */
void sweeper_run_due(struct app *a);
/* Test hook (only reachable with --test-hooks): the next `failures` attempts of
 * deadlines of this kind fail as a store failure would. app->lock held. */
void sweeper_test_fail(struct app *a, const char *kind, unsigned failures);
/* Sets a deadline in the transaction open for the app's batch (commit_open
 * callers; staged writers use commit_deadline). */
TQ_MUST_USE int sweeper_schedule(struct app *a, const char *track, const char *object_id, const char *kind,
				 tq_time due);

#endif
