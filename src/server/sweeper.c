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

struct sweeper_kind {
	const char *kind;
	sweeper_fire_fn fire;
};

struct sweeper {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int started, stop, poked;
	struct sweeper_kind kinds[SWEEPER_MAX_KINDS];
	size_t nkinds;
};

static struct sweeper *state(struct app *a)
{
	struct sweeper *s = a->sweeper;
	if (s)
		return s;
	if (!(s = calloc(1, sizeof *s)))
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	a->sweeper = s;
	return s;
}

int sweeper_register(struct app *a, const char *kind, sweeper_fire_fn fire)
{
	struct sweeper *s = state(a);
	if (!s)
		return TQ_ENOMEM;
	if (s->nkinds == SWEEPER_MAX_KINDS)
		return TQ_EINVALID;
	for (size_t i = 0; i < s->nkinds; i++)
		if (!strcmp(s->kinds[i].kind, kind))
			return TQ_EINVALID;
	s->kinds[s->nkinds++] = (struct sweeper_kind){kind, fire};
	return TQ_OK;
}

static const struct sweeper_kind *kind_of(const struct sweeper *s, const char *kind)
{
	for (size_t i = 0; i < s->nkinds; i++)
		if (strcmp(s->kinds[i].kind, kind) == 0)
			return &s->kinds[i];
	return NULL;
}

/* Fires one due deadline in its own batch. */
static int fire(struct app *a, const struct sweeper_kind *k, const struct store_deadline *d, tq_time now)
{
	struct commit *c = NULL;
	int rc = commit_new(a, &sweeper_who, now, &c);
	/* Claimed first in the batch: in a shared database another node may have
	 * fired it since it was read (TQ_ENOTFOUND at apply: nothing to do). */
	if (rc == TQ_OK)
		rc = commit_deadline_fired(c, d->object_id, d->kind);
	if (rc == TQ_OK && k)
		rc = k->fire(c, d); /* unknown kinds are retired, not retried */
	if (rc == TQ_OK && (rc = commit_apply(c)) == TQ_ENOTFOUND)
		rc = TQ_OK; /* the claim failed: fired elsewhere */
	commit_free(c);
	return rc == COMMIT_STALE ? TQ_OK : rc; /* stale: still due, fired at the next round */
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
			int rc = fire(a, kind_of(a->sweeper, due[i].kind), &due[i], now);
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

static void deadlines_changed(void *app)
{
	sweeper_poke(app);
}

int sweeper_start(struct app *a)
{
	struct sweeper *s = state(a);
	if (!s)
		return TQ_ENOMEM;
	if (pthread_create(&s->thread, NULL, sweeper_main, a) != 0)
		return TQ_EIO;
	s->started = 1;
	a->deadlines_changed = deadlines_changed;
	return TQ_OK;
}

void sweeper_stop(struct app *a)
{
	struct sweeper *s = a->sweeper;
	if (!s)
		return;
	a->deadlines_changed = NULL;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
	a->sweeper = NULL;
}

void sweeper_poke(struct app *a)
{
	struct sweeper *s = a->sweeper;
	if (!s || !s->started)
		return;
	pthread_mutex_lock(&s->mu);
	s->poked = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

int sweeper_schedule(struct app *a, const char *track, const char *object_id, const char *kind, tq_time due)
{
	if (!a->open_batch)
		return TQ_EINTERNAL;
	return commit_deadline(a->open_batch, track, object_id, kind, due);
}
