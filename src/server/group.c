/*
 * group — see group.h. The shared transaction is app->group; its writers
 * wait on group_done with group_mu (not app->lock), so a follower answers
 * without taking the lock again.
 */
#include "server/group.h"

#include <stdatomic.h>
#include <stdlib.h>

/* A writer waiting for the shared transaction it is in (on its stack). */
struct waiter {
	int done, rc;
	struct waiter *next;
};

/* The shared write transaction (app->group): the batches applied in it, their
 * after-commit actions in order, and who waits for its COMMIT. */
struct group {
	uint64_t id; /* never 0, never reused */
	unsigned members;
	int deadlines;
	struct group_action *after_head, **after_tail;
	struct waiter *waiters;
};

/* Opens the shared transaction (none is open): see group_join. */
static int group_begin(struct app *a, int check_stale, uint64_t base)
{
	static _Atomic uint64_t group_ids;
	uint64_t size = 0;
	struct group *g;
	int rc;
	if (!(g = calloc(1, sizeof *g)))
		return TQ_ENOMEM;
	g->id = atomic_fetch_add(&group_ids, 1) + 1;
	g->after_tail = &g->after_head;
	if ((rc = store_begin(a->store))) {
		free(g);
		return rc;
	}
	if ((rc = app_sync(a)) == TQ_OK && check_stale && (rc = store_log_size(a->store, &size)) == TQ_OK &&
	    size != base)
		rc = GROUP_STALE;
	if (rc) {
		store_rollback(a->store);
		free(g);
		return rc;
	}
	a->group = g;
	return TQ_OK;
}

/* Ends the shared transaction: commits it (fail = 0 and a batch in it) or
 * rolls it back; runs the after-commit actions of its batches in order (their
 * free_ctx only when not committed), wakes its waiters with the result. */
static int group_end(struct app *a, int fail)
{
	struct group *g = a->group;
	struct group_action *e, *next;
	int rc = fail;
	if (!g)
		return TQ_OK;
	a->group = NULL;
	if (!fail && g->members)
		rc = store_commit(a->store);
	else
		store_rollback(a->store);
	if (rc == TQ_OK && g->members) {
		a->group_commits++;
		a->group_writes += g->members;
	}
	for (e = g->after_head; e; e = next) {
		next = e->next;
		if (rc == TQ_OK && e->fn)
			e->fn(e->ctx);
		if (e->free_ctx)
			e->free_ctx(e->ctx);
		free(e);
	}
	if (rc == TQ_OK && g->deadlines && a->deadlines_changed)
		a->deadlines_changed(a);
	if (g->waiters) {
		/* A waiter returns (its struct gone) once it sees done: the list is
		 * walked entirely under group_mu. */
		pthread_mutex_lock(&a->group_mu);
		for (struct waiter *w = g->waiters; w; w = w->next)
			w->done = 1, w->rc = rc;
		pthread_cond_broadcast(&a->group_done);
		pthread_mutex_unlock(&a->group_mu);
	}
	free(g);
	return rc;
}

void group_lock_write(struct app *a)
{
	atomic_fetch_add(&a->lock_queued, 1);
	pthread_mutex_lock(&a->lock);
	atomic_fetch_sub(&a->lock_queued, 1);
}

void group_lock_read(struct app *a)
{
	group_lock_write(a);
	(void)group_end(a, TQ_OK); /* a failure is answered to the writers of the batch */
}

void group_unlock(struct app *a)
{
	if (a->group && atomic_load(&a->lock_queued) == 0)
		(void)group_end(a, TQ_OK);
	pthread_mutex_unlock(&a->lock);
}

int group_flush(struct app *a)
{
	return group_end(a, TQ_OK);
}

int group_settle_unlock(struct app *a)
{
	struct group *g = a->group;
	struct waiter w = {0, 0, NULL};
	int rc;
	if (g && a->group_max > 1 && g->members < a->group_max && atomic_load(&a->lock_queued) > 0) {
		/* A follower: the thread queued for the lock, or a later one, commits
		 * (group_unlock and readers never leave it open with nobody queued). */
		w.next = g->waiters;
		g->waiters = &w;
		pthread_mutex_unlock(&a->lock);
		pthread_mutex_lock(&a->group_mu);
		while (!w.done)
			pthread_cond_wait(&a->group_done, &a->group_mu);
		rc = w.rc;
		pthread_mutex_unlock(&a->group_mu);
		return rc;
	}
	rc = group_end(a, TQ_OK);
	pthread_mutex_unlock(&a->lock); /* nothing open now: group_unlock has nothing to commit */
	return rc;
}

uint64_t group_current(const struct app *a)
{
	return a->group ? a->group->id : 0;
}

int group_join(struct app *a, int check_stale, uint64_t base, uint64_t built_in)
{
	int rc;
	/* A batch built inside the transaction still open joins it (what it read
	 * cannot have changed: the transaction holds the write lock). */
	if (a->group && check_stale && a->group->id != built_in)
		return GROUP_STALE;
	if (!a->group && (rc = group_begin(a, check_stale, base)))
		return rc;
	if ((rc = store_savepoint(a->store))) {
		/* the connection failed: so does the shared transaction */
		(void)group_end(a, rc);
		return rc;
	}
	return TQ_OK;
}

int group_leave(struct app *a, int rc)
{
	struct group *g = a->group;
	int brc;
	if (!g)
		return rc ? rc : TQ_EINTERNAL;
	if (rc == TQ_OK && (brc = store_release(a->store)))
		rc = brc;
	if (rc != TQ_OK && (brc = store_rollback_to(a->store))) {
		(void)group_end(a, brc);
		return rc;
	}
	if (rc != TQ_OK && !g->members)
		(void)group_end(a, rc); /* nothing in it: rolled back, nobody waits */
	return rc;
}

void group_add(struct app *a, struct group_action *actions, struct group_action **actions_tail, int deadlines)
{
	struct group *g = a->group;
	g->members++;
	g->deadlines |= deadlines;
	if (actions) {
		*g->after_tail = actions;
		g->after_tail = actions_tail;
	}
}
