#include "server/sweeper.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SWEEP_BATCH 64
/* Upper bound of one wait: also the retry delay after a failed handler. */
#define SWEEP_MAX_WAIT_MS 1000

const struct who sweeper_who = {.user = "tansiqd", .name = "tansiqd", .party = "", .role = "server"};

struct sweeper {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int stop, poked;
};

static const struct sweeper_kind *kind_of(const char *kind)
{
	for (const struct sweeper_kind *k = sweeper_kinds; k->kind; k++)
		if (strcmp(k->kind, kind) == 0)
			return k;
	return NULL;
}

/* Fires what is due; returns the earliest remaining deadline. */
static tq_time sweep_once(struct app *a)
{
	struct store_deadline due[SWEEP_BATCH];
	size_t n = 0;
	tq_time next = TQ_TIME_MAX, now;

	pthread_mutex_lock(&a->lock);
	now = app_now();
	if (store_deadline_due(a->store, now, due, SWEEP_BATCH, &n) == TQ_OK) {
		for (size_t i = 0; i < n; i++) {
			const struct sweeper_kind *k = kind_of(due[i].kind);
			int rc;
			if (app_tx_begin(a))
				break;
			/* Claimed first, inside the transaction: in a shared database
			 * another node may have fired it since it was read above. */
			rc = store_deadline_fired(a->store, due[i].object_id, due[i].kind);
			if (rc == TQ_ENOTFOUND) {
				app_tx_abort(a);
				continue;
			}
			if (rc == TQ_OK && k)
				rc = k->fire(a, &due[i], now); /* unknown kinds are retired, not retried */
			if (rc == TQ_OK)
				rc = app_tx_commit(a);
			else
				app_tx_abort(a);
			if (rc) {
				fprintf(stderr, "tansiqd: deadline %s of %s failed (%s); will retry\n", due[i].kind,
					due[i].object_id, tq_err_name(rc));
				next = now + SWEEP_MAX_WAIT_MS;
			}
		}
	}
	if (n == SWEEP_BATCH)
		next = now; /* more are due: go round again at once */
	tq_time earliest;
	if (store_deadline_next(a->store, &earliest) == TQ_OK && earliest < next)
		next = earliest;
	pthread_mutex_unlock(&a->lock);
	return next;
}

static void *sweeper_main(void *arg)
{
	struct app *a = arg;
	struct sweeper *s = a->sweeper;
	for (;;) {
		tq_time next = sweep_once(a);
		tq_time now = app_now();
		tq_time wait = next - now;
		if (wait > SWEEP_MAX_WAIT_MS)
			wait = SWEEP_MAX_WAIT_MS;
		pthread_mutex_lock(&s->mu);
		if (!s->stop && !s->poked && wait > 0) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&s->cond, &s->mu, &ts);
		}
		s->poked = 0;
		int stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			return NULL;
	}
}

int sweeper_start(struct app *a)
{
	struct sweeper *s = calloc(1, sizeof *s);
	if (!s)
		return TQ_ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	a->sweeper = s;
	if (pthread_create(&s->thread, NULL, sweeper_main, a) != 0) {
		a->sweeper = NULL;
		free(s);
		return TQ_EIO;
	}
	return TQ_OK;
}

void sweeper_stop(struct app *a)
{
	struct sweeper *s = a->sweeper;
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
	a->sweeper = NULL;
}

void sweeper_poke(struct app *a)
{
	struct sweeper *s = a->sweeper;
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->poked = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

static void poke_after_commit(void *ctx)
{
	sweeper_poke(ctx);
}

int sweeper_schedule(struct app *a, const char *track, const char *object_id, const char *kind, tq_time due)
{
	int rc = store_deadline_set(a->store, track, object_id, kind, due);
	if (rc == TQ_OK)
		app_after_commit(a, poke_after_commit, a, NULL);
	return rc;
}
