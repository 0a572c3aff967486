#include "server/follow.h"

#include "server/group.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "server/engines.h"

struct follower {
	pthread_t thread;
	struct store_watch *watch;
	pthread_mutex_t mu;
	int stop;
};

static int follow_visit(void *ctx, const struct store_event *e)
{
	struct app *a = ctx;
	if (e->track)
		engines_mark_stale(a, e->track);
	a->log_version = e->index + 1;
	if (a->sink)
		a->sink(a->sink_ctx, e->index, e->type, e->track, e->audience, (const char *)e->leaf, e->leaf_len);
	return 0;
}

int follow_sync(struct app *a)
{
	uint64_t size;
	int rc = store_log_size(a->store, &size);
	if (rc || size <= a->log_version)
		return rc;
	return store_event_scan(a->store, a->log_version, size, follow_visit, a);
}

static void *follower_main(void *arg)
{
	struct app *a = arg;
	struct follower *f = a->follower;
	int quiet = 0;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		int stop = f->stop;
		pthread_mutex_unlock(&f->mu);
		if (stop)
			return NULL;
		/* Woken by another node's NOTIFY, or polls: either way the log decides. */
		int rc = store_watch_wait(f->watch, FOLLOW_POLL_MS);
		if (rc < 0 && !quiet) {
			fprintf(stderr, "tansiqd: cannot listen for other nodes' commits (%s); polling\n", tq_err_name(rc));
			quiet = 1;
		} else if (rc >= 0)
			quiet = 0;
		group_lock_read(a); /* this node's shared transaction committed first */
		if (!a->open_batch && follow_sync(a) != TQ_OK) {
			/* retried at the next round */
		}
		group_unlock(a);
	}
}

int follow_start(struct app *a, const char *store_location)
{
	if (!store_location || !store_is_postgres(store_location))
		return TQ_OK;
	struct follower *f = calloc(1, sizeof *f);
	if (!f)
		return TQ_ENOMEM;
	int rc = store_watch_open(store_location, &f->watch);
	if (rc) {
		free(f);
		return rc;
	}
	pthread_mutex_init(&f->mu, NULL);
	a->follower = f;
	a->sync = follow_sync;
	if (pthread_create(&f->thread, NULL, follower_main, a) != 0) {
		a->follower = NULL;
		a->sync = NULL;
		store_watch_close(f->watch);
		pthread_mutex_destroy(&f->mu);
		free(f);
		return TQ_EIO;
	}
	return TQ_OK;
}

void follow_stop(struct app *a)
{
	struct follower *f = a->follower;
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	store_watch_close(f->watch);
	pthread_mutex_destroy(&f->mu);
	free(f);
	a->follower = NULL;
	a->sync = NULL;
}
