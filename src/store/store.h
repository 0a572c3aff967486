/*
 * store — the cell's durable state: schema, migrations, and the one write
 * transaction per command, on one of two backends (backend.h): the embedded
 * SQLite file (default; sqlite.c) or a PostgreSQL database shared by several
 * tansiqd nodes (postgres.c).
 *
 * Promises: a commit that returned is durable (SQLite: WAL with
 * synchronous=FULL; PostgreSQL: synchronous_commit as the server is set, on by
 * default); migrations run at open;
 * events and their Merkle nodes are written in the caller's transaction, so an
 * event exists exactly when the change it describes does.
 *
 * Objects of every track-scoped kind (zones, activities, messages, …) share one
 * table: id, track, type, party, status, optional seq and the JSON body the API
 * returns. The store is not thread-safe, but for read snapshots
 * (store_read_begin); the server serialises everything else.
 *
 * With several nodes on one PostgreSQL database, store_begin takes a
 * cell-wide lock, so writes are serialised across nodes and the log's order is
 * the database's; any call may fail with TQ_EUNAVAIL while the database is
 * unreachable (the next call tries to reconnect).
 */
#ifndef TQ_STORE_H
#define TQ_STORE_H

#include <jansson.h>
#include <stdint.h>
#include "core/tqerr.h"
#include "core/tqtime.h"
#include "store/store_types.h"

struct store;

/* Opens (create=1: creates) the store at location and migrates it: a
 * postgresql:// URI, or the path of an SQLite file. TQ_EIO when it cannot be
 * opened or is corrupt; TQ_EUNAVAIL when a database server cannot be reached. */
TQ_MUST_USE int store_open(const char *location, int create, struct store **out);
void store_close(struct store *s);
/* Whether location names a PostgreSQL database. */
int store_is_postgres(const char *location);
/* "sqlite" or "postgresql". */
const char *store_backend(const struct store *s);
/* 0 when the last call failed because the database server was unreachable
 * (the HTTP layer then answers 503 with Retry-After instead of 500). */
int store_available(struct store *s);

TQ_MUST_USE int store_begin(struct store *s);
TQ_MUST_USE int store_commit(struct store *s);
void store_rollback(struct store *s);
/* Savepoints inside the open transaction (group commit: one per writer of a
 * shared transaction). store_savepoint marks the point; store_release keeps
 * what was written since and forgets the mark; store_rollback_to undoes what
 * was written since the mark and forgets it, leaving the transaction usable
 * (also after a failed statement on PostgreSQL). One level is enough: a mark
 * is released or rolled back before the next is taken. */
TQ_MUST_USE int store_savepoint(struct store *s);
TQ_MUST_USE int store_release(struct store *s);
TQ_MUST_USE int store_rollback_to(struct store *s);

/* Read snapshots, off the write path: store_read_begin gives the calling
 * thread a connection of its own in one read transaction, and until
 * store_read_end that thread's reads (and only reads) go to it. They see what
 * was committed when the snapshot began (at its first read) and never wait
 * for a writer or its fsync; the write connection stays the writer's. Several
 * threads may hold snapshots at once, beside one writer. SQLite: WAL read
 * connections; PostgreSQL: connections of their own, each snapshot one
 * REPEATABLE READ, READ ONLY transaction. TQ_EINVALID (nothing begun) on a
 * backend without them. */
TQ_MUST_USE int store_read_begin(struct store *s);
void store_read_end(struct store *s);

/* Change notification for nodes sharing a database: a watch has its own
 * connection that LISTENs for commits of other nodes. store_watch_wait returns
 * 1 when a commit was announced, 0 after timeout_ms without one (or when the
 * backend has no other writers: SQLite), TQ_EUNAVAIL while the database is
 * unreachable (it reconnects on the next call). A notification is only a
 * wake-up: the log table stays the truth. */
TQ_MUST_USE int store_watch_open(const char *location, struct store_watch **out);
TQ_MUST_USE int store_watch_wait(struct store_watch *w, int timeout_ms);
void store_watch_close(struct store_watch *w);

/* Key/value metadata (server origin, …). *out is owned (free()); NULL if absent. */
TQ_MUST_USE int store_meta_get(struct store *s, const char *key, char **out);
TQ_MUST_USE int store_meta_set(struct store *s, const char *key, const char *value);

/* Users (struct store_user) and tokens. party is "" for the cell admin (role "admin"). */
TQ_MUST_USE int store_user_insert(struct store *s, const struct store_user *u, tq_time now);
TQ_MUST_USE int store_user_get(struct store *s, const char *id, struct store_user *out);
TQ_MUST_USE int store_user_by_name(struct store *s, const char *name, struct store_user *out);
/* TQ_ENOTFOUND when the user does not exist or is already deleted. */
TQ_MUST_USE int store_user_delete(struct store *s, const char *id);
void store_user_clear(struct store_user *u);
TQ_MUST_USE int store_token_insert(struct store *s, const uint8_t hash[32], const char *user_id,
				   const char *kind, tq_time expires);
/* Finds the live user of a token hash of the given kind ("api" or "session"). */
TQ_MUST_USE int store_token_lookup(struct store *s, const uint8_t hash[32], const char *kind, tq_time now,
				   struct store_user *out);
TQ_MUST_USE int store_token_delete(struct store *s, const uint8_t hash[32]);

/* Parties: body is the API object. */
TQ_MUST_USE int store_party_insert(struct store *s, const char *id, const json_t *body);
TQ_MUST_USE int store_party_get(struct store *s, const char *id, json_t **out);
/* Every party, in id order (the list is small: a cell has tens of parties). */
TQ_MUST_USE int store_party_all(struct store *s, json_t **out_array);

/* Tracks: body is the API object without my_role. */
TQ_MUST_USE int store_track_put(struct store *s, const char *id, const json_t *body, int insert);
TQ_MUST_USE int store_track_get(struct store *s, const char *id, json_t **out);
/* The role of party in track, copied into role (len bytes), without loading
 * the track: TQ_ENOTFOUND alike for an unknown track and for a party that is
 * not a member, by the same index lookup (a secret track's existence must not
 * show in the time of the answer either). */
TQ_MUST_USE int store_track_role(struct store *s, const char *track, const char *party, char *role, size_t len);
TQ_MUST_USE int store_track_all(struct store *s, json_t **out_array);

/* Track-scoped objects (struct store_obj_meta). */
TQ_MUST_USE int store_obj_put(struct store *s, const struct store_obj_meta *m, const json_t *body);
TQ_MUST_USE int store_obj_get(struct store *s, const char *track, const char *type, const char *id,
			      json_t **out);
/* Calls fn for each object of (track, type) with id > after (or seq > after_seq
 * when by_seq), in that order, until fn returns non-zero (store_obj_fn). */
TQ_MUST_USE int store_obj_scan(struct store *s, const char *track, const char *type, const char *after,
			       int by_seq, int64_t after_seq, store_obj_fn fn, void *ctx);
/* Highest seq of (track, type); 0 if none. */
TQ_MUST_USE int store_obj_max_seq(struct store *s, const char *track, const char *type, int64_t *out);

/* Event log. The event's leaf bytes are stored byte-exact; audience is the
 * visibility tag the auth module computed (",IL,SY," style). */
TQ_MUST_USE int store_event_append(struct store *s, const char *type, const char *track, const char *audience,
				   const void *leaf, size_t leaf_len, uint64_t *out_index);
TQ_MUST_USE int store_log_size(struct store *s, uint64_t *out);
/* Calls fn for events with from <= index < to, in index order, until fn returns non-zero. */
TQ_MUST_USE int store_event_scan(struct store *s, uint64_t from, uint64_t to, store_event_fn fn, void *ctx);
TQ_MUST_USE int store_log_root(struct store *s, uint64_t size, uint8_t out[32]);
TQ_MUST_USE int store_log_inclusion(struct store *s, uint64_t index, uint64_t size, uint8_t (*out)[32],
				    size_t *count);
TQ_MUST_USE int store_log_consistency(struct store *s, uint64_t m, uint64_t n, uint8_t (*out)[32],
				      size_t *count);

/* Deadlines: one per (object, kind); fired once. */
TQ_MUST_USE int store_deadline_set(struct store *s, const char *track, const char *object_id,
				   const char *kind, tq_time due);
TQ_MUST_USE int store_deadline_clear(struct store *s, const char *object_id, const char *kind);
/* Fills up to max due-and-unfired deadlines (due <= now), earliest first. */
TQ_MUST_USE int store_deadline_due(struct store *s, tq_time now, struct store_deadline *out, size_t max,
				   size_t *n);
/* Marks a deadline fired; TQ_ENOTFOUND when it was fired already (by another
 * node, in a shared database): call it inside the write transaction before
 * acting on the deadline, so that it fires exactly once in the cell. */
TQ_MUST_USE int store_deadline_fired(struct store *s, const char *object_id, const char *kind);
/* Earliest unfired deadline, or TQ_TIME_MAX. */
TQ_MUST_USE int store_deadline_next(struct store *s, tq_time *out);

/* Idempotency keys (per user). found=0 when unknown or older than `since`. */
TQ_MUST_USE int store_idem_get(struct store *s, const char *user, const char *key, tq_time since, int *found,
			       uint8_t body_hash[32], int *status, char **response);
TQ_MUST_USE int store_idem_put(struct store *s, const char *user, const char *key, const uint8_t body_hash[32],
			       int status, const char *response, tq_time now);

#endif
