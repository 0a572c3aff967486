#include "server/sweeper.h"

#include "server/group.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/backoff.h"

#define SWEEP_BATCH 64
/* Upper bound of one wait: the thread re-reads the earliest deadline at least this often. */
#define SWEEP_MAX_WAIT_MS 1000
/* Failing deadlines remembered with their backoff; beyond this many, a failure is retried
 * at each wake of the thread (at most once per SWEEP_MAX_WAIT_MS: slow, never a spin). */
#define SWEEP_MAX_FAILING 256

const struct who sweeper_who = {.user = "tansiqd", .name = "tansiqd", .party = "", .role = "server"};

/* A deadline whose handler failed: retried at retry_at (core/backoff.h schedule). */
struct failing {
	char object_id[64], kind[32];
	unsigned attempts;
	tq_time retry_at;
	int seen;
};

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
	/* The fields below are used under app->lock only. */
	struct failing failing[SWEEP_MAX_FAILING];
	size_t nfailing;
	char fault_kind[32];      /* test hook (sweeper_test_fail): kind whose next attempts fail */
	unsigned fault_left;
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

static struct failing *failing_find(struct sweeper *s, const struct store_deadline *d)
{
	for (size_t i = 0; i < s->nfailing; i++)
		if (strcmp(s->failing[i].object_id, d->object_id) == 0 && strcmp(s->failing[i].kind, d->kind) == 0)
			return &s->failing[i];
	return NULL;
}

static struct failing *failing_add(struct sweeper *s, const struct store_deadline *d)
{
	struct failing *f;
	if (s->nfailing == SWEEP_MAX_FAILING)
		return NULL;
	f = &s->failing[s->nfailing++];
	memset(f, 0, sizeof *f);
	_Static_assert(sizeof f->object_id == sizeof d->object_id && sizeof f->kind == sizeof d->kind,
		       "failing keys are store_deadline keys");
	memcpy(f->object_id, d->object_id, sizeof f->object_id);
	memcpy(f->kind, d->kind, sizeof f->kind);
	f->object_id[sizeof f->object_id - 1] = f->kind[sizeof f->kind - 1] = '\0';
	return f;
}

static void failing_remove(struct sweeper *s, struct failing *f)
{
	*f = s->failing[--s->nfailing];
}

/* One deadline in one batch: the handler's changes and the "fired" mark commit together.
 * The mark is staged first, as the claim: TQ_ENOTFOUND when another node fired it since
 * it was read (shared database); nothing to do. */
static int fire_one(struct app *a, struct sweeper *s, const struct store_deadline *d, tq_time now)
{
	const struct sweeper_kind *k = kind_of(s, d->kind);
	struct commit *c = NULL;
	int rc = commit_new(a, &sweeper_who, now, &c);
	if (rc == TQ_OK)
		rc = commit_deadline_fired(c, d->object_id, d->kind);
	if (rc == TQ_OK && s->fault_left && strcmp(s->fault_kind, d->kind) == 0) {
		s->fault_left--;
		rc = TQ_EIO;
	} else if (rc == TQ_OK && k) {
		rc = k->fire(c, d); /* unknown kinds are retired, not retried */
	}
	if (rc == TQ_OK)
		rc = commit_apply(c);
	commit_free(c);
	return rc == COMMIT_STALE ? TQ_OK : rc; /* stale: still due, fired at the next round */
}

/* Fires what is due (app->lock held, no transaction open); returns when to look again.
 * A deadline whose handler fails keeps its place in the store and is retried after a
 * growing, bounded delay, logged once per attempt. */
static tq_time sweep_locked(struct app *a, struct sweeper *s, tq_time now)
{
	struct store_deadline due[SWEEP_BATCH];
	size_t n = 0;
	tq_time next = TQ_TIME_MAX, earliest;
	int fired_any = 0;

	if (store_deadline_due(a->store, now, due, SWEEP_BATCH, &n) != TQ_OK)
		return now + SWEEP_MAX_WAIT_MS;
	for (size_t i = 0; i < s->nfailing; i++)
		s->failing[i].seen = 0;
	for (size_t i = 0; i < n; i++) {
		struct failing *f = failing_find(s, &due[i]);
		int64_t delay;
		int rc;
		if (f) {
			f->seen = 1;
			if (f->retry_at > now) {
				if (f->retry_at < next)
					next = f->retry_at;
				continue;
			}
		}
		rc = fire_one(a, s, &due[i], now);
		if (rc == TQ_OK || rc == TQ_ENOTFOUND) {
			if (f) {
				fprintf(stderr, "tansiqd: deadline %s of %s fired%s after %u failed attempts\n",
					due[i].kind, due[i].object_id, rc == TQ_ENOTFOUND ? " by another node" : "",
					f->attempts);
				failing_remove(s, f);
			}
			fired_any = 1;
			continue;
		}
		if (!f && (f = failing_add(s, &due[i])))
			f->seen = 1;
		delay = f ? backoff_delay_ms(++f->attempts) : BACKOFF_MAX_MS;
		if (f)
			f->retry_at = now + delay;
		fprintf(stderr, "tansiqd: deadline %s of %s failed (%s), attempt %u; retrying in %lld s\n",
			due[i].kind, due[i].object_id, tq_err_name(rc), f ? f->attempts : 0, (long long)(delay / 1000));
		if (now + delay < next)
			next = now + delay;
	}
	if (n < SWEEP_BATCH) {
		/* Every due deadline was in this batch: a remembered failure not among them was
		 * cleared (its object closed) and is forgotten. */
		for (size_t i = 0; i < s->nfailing;)
			if (!s->failing[i].seen)
				failing_remove(s, &s->failing[i]);
			else
				i++;
	} else if (fired_any) {
		next = now; /* more may be due: go round again at once */
	}
	/* A due deadline not fired now is backing off (its retry time is in next already) or,
	 * with a full batch of failing ones, waits behind them; only future ones count here. */
	if (store_deadline_next(a->store, &earliest) == TQ_OK && earliest > now && earliest < next)
		next = earliest;
	return next;
}

static tq_time sweep_once(struct app *a)
{
	tq_time next;
	group_lock_read(a); /* reads due deadlines: what is committed */
	next = sweep_locked(a, a->sweeper, app_now());
	group_unlock(a);
	return next;
}

void sweeper_run_due(struct app *a)
{
	if (!a->sweeper)
		return;
	(void)sweep_locked(a, a->sweeper, app_now());
	sweeper_poke(a);
}

void sweeper_test_fail(struct app *a, const char *kind, unsigned failures)
{
	struct sweeper *s = a->sweeper;
	if (!s)
		return;
	snprintf(s->fault_kind, sizeof s->fault_kind, "%s", kind);
	s->fault_left = failures;
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
