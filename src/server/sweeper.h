/*
 * sweeper — fires due deadlines as events, exactly once.
 *
 * Deadlines live in the store (store_deadline_set, inside the transaction of
 * the change that creates them), so a deadline that passed while tansiqd was
 * down fires at the next start. One thread waits until the earliest unfired
 * deadline, then, under the app lock and in one transaction per deadline,
 * calls the handler registered for its kind and marks it fired: the events a
 * handler emits and the "fired" mark commit together, so a crash between them
 * cannot fire a deadline twice or lose it.
 *
 * A handler that fails leaves its deadline unfired; it is retried after a growing,
 * bounded delay (core/backoff.h), with one line on stderr per failed attempt, and
 * never holds up the thread or other deadlines in a loop.
 *
 * Handlers are listed in routes.c (sweeper_kinds), one line per kind.
 */
#ifndef TQ_SWEEPER_H
#define TQ_SWEEPER_H

#include "server/app.h"

/* Called with the app lock held and a transaction open. Returns 0 or a
 * tq_err; on error the transaction is rolled back and retried later. */
typedef int (*sweeper_fire_fn)(struct app *a, const struct store_deadline *d, tq_time now);

struct sweeper_kind {
	const char *kind;       /* "message.ack", "threat.respond", … */
	sweeper_fire_fn fire;
};

extern const struct sweeper_kind sweeper_kinds[];

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
/* Sets a deadline in the current transaction and pokes the sweeper after commit. */
TQ_MUST_USE int sweeper_schedule(struct app *a, const char *track, const char *object_id, const char *kind,
				 tq_time due);

#endif
