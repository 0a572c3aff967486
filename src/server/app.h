/*
 * app — the server's state and the one way in for every write.
 *
 * A write runs under app->lock: writes are serialised (one writer, as
 * architecture.md asks). A read (GET, and POST /check) runs in a snapshot of
 * its own instead (app_read_begin): it never takes app->lock, so it never
 * waits for a writer or its fsync (SQLite or PostgreSQL). The conflict
 * engines sit behind their own reader-writer lock, held by writers only
 * around in-memory changes, and a reader checks in their committed view
 * (engines.h). A read falls back to app->lock (group_lock_read) when it needs
 * memory only the lock guards (an engine not built yet, stale or behind the
 * snapshot, the live hub, the CA: APP_NEED_LOCK), or when the store has no
 * snapshots. Every write goes through
 * a batch of commit.h, applied in one transaction — which, with group commit,
 * several writers share (commit.h). So the lock is taken through
 * group_lock_read / group_lock_write and left through group_unlock, never with
 * pthread_mutex_lock directly: a reader first commits an open shared
 * transaction, so that nothing uncommitted is ever read or shown.
 */
#ifndef TQ_APP_H
#define TQ_APP_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include "core/settings.h"
#include "core/tqerr.h"
#include "core/tqtime.h"
#include "store/store.h"

#define APP_ID_BUFSZ 40
/* Writers sharing one transaction at most, by default (--group-commit). */
#define APP_GROUP_MAX_DEFAULT 64
#define APP_ORIGIN_MAX 128

/* Who is calling: an authenticated user, or the server itself (clock events). */
struct who {
	char user[40];
	char name[128];
	char party[16];  /* "" for the cell admin and for the server */
	char role[16];   /* admin | operator | viewer | server */
	/* Set when the request carried a valid Tansiq-Signature (base64 strings
	 * owned by the request). */
	const char *signature;
	const char *signed_body;
};

/* Hook for live fan-out (SSE): called after commit for each event, in order. */
typedef void (*app_event_sink)(void *sink_ctx, uint64_t index, const char *type, const char *track,
			       const char *audience, const char *leaf, size_t leaf_len);

struct ratelimit;
struct cache;
struct commit;
struct group;
struct app {
	pthread_mutex_t lock;
	/* group commit (commit.h): threads about to take the lock (counted by
	 * group_lock_*), the open shared write transaction (NULL: none), its
	 * members' wake-up, and the most writers one transaction may hold
	 * (0 or 1: every write commits alone). Followers wait on group_done
	 * with group_mu, not app->lock: they answer without taking it again. */
	_Atomic unsigned lock_queued;
	struct group *group;
	pthread_mutex_t group_mu;
	pthread_cond_t group_done;
	unsigned group_max;
	uint64_t group_commits, group_writes; /* committed transactions and the writes in them */
	struct store *store;
	char data_dir[1024];
	char node[32];                    /* stable node id (DIR/node-id), for /v1/health */
	char origin[APP_ORIGIN_MAX];      /* checkpoint origin = key name */
	uint8_t sign_sk[64];              /* Ed25519 secret key; wiped at exit */
	uint8_t sign_pk[32];
	size_t max_body;
	/* the batch whose transaction is open (commit_open), if any */
	struct commit *open_batch;
	/* called after a commit that set a deadline (the sweeper's wake-up) */
	void (*deadlines_changed)(void *app);
	app_event_sink sink;
	void *sink_ctx;
	/* the log size after the last commit: names a state of the cell (cache.h);
	 * set after the COMMIT, read by snapshot readers without the lock */
	_Atomic uint64_t log_version;
	struct cache *answers;
	/* rate limits (http.c); NULL when off */
	struct ratelimit *rate_user, *rate_addr;
	/* POST /v1/session, checked before any password hashing (api_session.c); NULL when off */
	struct ratelimit *rate_login_addr, *rate_login_name;
	/* module state, owned by the module that set it */
	void *engines;                    /* conflict engines by track */
	void *sweeper;                    /* deadline sweeper */
	void *connguard;                  /* connection caps and header timeout (connguard.h) */
	void *workers;                    /* http.c: the threads that run writes off libmicrohttpd's */
	int test_clock;                   /* --test-hooks: POST /v1/test/clock may move app_now() */
	void *follower;                   /* follow.h: other nodes' commits; NULL with SQLite */
	/* Catches up with other nodes' commits (follow.h), with the lock held;
	 * NULL when this process is the only writer. */
	int (*sync)(struct app *a);
	void *witness;                    /* witness clients (witness.h); NULL when none */
};

TQ_MUST_USE int app_open(struct app *a, const char *data_dir);
/* As app_open, with the store at store_location (a postgresql:// URI; NULL:
 * DIR/tansiq.db). The key is always DIR/server.key. */
TQ_MUST_USE int app_open_store(struct app *a, const char *data_dir, const char *store_location);
void app_close(struct app *a);

/* Reads off the write path. app_read_begin opens a store snapshot for the
 * calling thread (store_read_begin; the store takes it at the first read, so
 * an answer from the cache reads nothing) and takes the last commit's log
 * size, app_log_version: the snapshot holds at least that state (it is taken
 * later), so an answer cached under that version is never older than it.
 * With other writers (a->sync: nodes sharing a PostgreSQL database) the
 * version is instead the snapshot's own log size, read at once: exactly its
 * state, also when other nodes committed what this node has not followed yet.
 * An error (TQ_EINVALID: no snapshots here, TQ_EUNAVAIL: no database): take
 * group_lock_read instead. Every write acknowledged before app_read_begin, by
 * any node, is in the snapshot (read-your-writes): a 2xx follows its COMMIT. */
TQ_MUST_USE int app_read_begin(struct app *a);
/* Ends the snapshot; 1 when the request must run again under group_lock_read
 * (something in it called app_need_lock), else 0. */
int app_read_end(struct app *a);
/* Whether the calling thread is in a snapshot of app_read_begin. */
int app_reading(const struct app *a);
/* In a snapshot that holds commits of other nodes this node's memory (the
 * conflict engines) has not followed yet: memory must not answer for it
 * (APP_NEED_LOCK: under the lock, app_sync catches up first). */
int app_memory_behind(const struct app *a);
/* Called before touching memory that writers change in place while building
 * a batch (the conflict engines) or that changes only under app->lock (the
 * hub's listeners): TQ_OK under app->lock; in a snapshot, APP_NEED_LOCK, and
 * the request's answer is dropped and it runs again under group_lock_read. */
TQ_MUST_USE int app_need_lock(const struct app *a);
#define APP_NEED_LOCK TQ_EINTERNAL
/* The log size of the state the calling thread sees: its snapshot's, or under
 * app->lock the last commit's (app->log_version). The answer cache's version. */
uint64_t app_log_version(const struct app *a);

/* Catches up with commits of other nodes (a->sync), with the lock held; does
 * nothing while a shared write transaction is open (it holds the cell-wide
 * write lock: no other node can commit). */
TQ_MUST_USE int app_sync(struct app *a);

/* New server-assigned id: "<prefix>_" + 26 Crockford base32 characters that sort
 * by creation time (48-bit ms) then randomness (80 bits). */
void app_new_id(const char *prefix, tq_time now, char out[APP_ID_BUFSZ]);
/* Wall clock, UTC ms, plus the test clock's offset (0 in production). The one clock
 * read of the server besides the sweeper's wait. */
tq_time app_now(void);
/* Test clock control: only reachable when tansiqd runs with --test-hooks (app.test_clock);
 * moves app_now() forward by ms. Never called in production. */
void app_clock_advance(int64_t ms);
int64_t app_clock_offset(void);

/* Loads a track's JSON body; TQ_ENOTFOUND if unknown. */
TQ_MUST_USE int app_track(struct app *a, const char *id, json_t **out);
/* The track's settings, parsed (defaults for any missing key). */
TQ_MUST_USE int app_track_settings(const json_t *track, struct track_settings *out);
/* The role of party in track, or NULL. Borrowed from the track JSON. */
const char *app_member_role(const json_t *track, const char *party);

/* {"party": P|null, "user": U} */
json_t *app_who_json(const struct who *w);
/* Current time as a JSON string. */
json_t *app_time_json(tq_time t);

#endif
