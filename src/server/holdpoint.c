/*
 * holdpoint — see holdpoint.h.
 */
#include "server/holdpoint.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/tqerr.h"

enum state { NONE, ARMED, HELD, RELEASING, LEFT };

static _Atomic int armed; /* fast path of holdpoint_reach */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	enum state state;
	int released; /* released while held */
	char track[64];
	char what[256];
} hp = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int holdpoint_arm(const char *track)
{
	int rc = TQ_ECONFLICT;
	pthread_mutex_lock(&hp.mu);
	if (hp.state == NONE) {
		hp.state = ARMED;
		hp.released = 0;
		hp.what[0] = '\0';
		snprintf(hp.track, sizeof hp.track, "%s", track);
		atomic_store(&armed, 1);
		rc = TQ_OK;
	}
	pthread_mutex_unlock(&hp.mu);
	return rc;
}

int holdpoint_active(void)
{
	pthread_mutex_lock(&hp.mu);
	int on = hp.state != NONE;
	pthread_mutex_unlock(&hp.mu);
	return on;
}

int holdpoint_wait(int timeout_ms, char *what, size_t size)
{
	struct timespec until;
	int rc = TQ_OK;
	deadline(&until, timeout_ms);
	pthread_mutex_lock(&hp.mu);
	while (hp.state == ARMED && rc == TQ_OK)
		if (pthread_cond_timedwait(&hp.cond, &hp.mu, &until) == ETIMEDOUT)
			rc = TQ_ECONFLICT;
	if (hp.state != HELD)
		rc = TQ_ECONFLICT;
	snprintf(what, size, "%s", hp.what);
	pthread_mutex_unlock(&hp.mu);
	return rc;
}

void holdpoint_release(int *held)
{
	pthread_mutex_lock(&hp.mu);
	*held = hp.state == HELD;
	if (hp.state == HELD) {
		hp.state = RELEASING;
		pthread_cond_broadcast(&hp.cond);
		while (hp.state != LEFT)
			pthread_cond_wait(&hp.cond, &hp.mu);
	}
	hp.state = NONE;
	atomic_store(&armed, 0);
	pthread_mutex_unlock(&hp.mu);
}

void holdpoint_reach(const char *track, int status, const char *path)
{
	struct timespec until;
	if (!atomic_load(&armed) || !track || status < 200 || status >= 300)
		return;
	pthread_mutex_lock(&hp.mu);
	if (hp.state != ARMED || strcmp(hp.track, track)) {
		pthread_mutex_unlock(&hp.mu);
		return;
	}
	hp.state = HELD;
	snprintf(hp.what, sizeof hp.what, "%s", path);
	pthread_cond_broadcast(&hp.cond);
	deadline(&until, HOLDPOINT_MAX_MS);
	while (hp.state == HELD && pthread_cond_timedwait(&hp.cond, &hp.mu, &until) != ETIMEDOUT)
		;
	/* released, or the time ran out: either way the write goes on */
	hp.state = LEFT;
	atomic_store(&armed, 0);
	pthread_cond_broadcast(&hp.cond);
	pthread_mutex_unlock(&hp.mu);
}
