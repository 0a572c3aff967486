/*
 * sqlite — the embedded SQLite backend of the store.h contract (the default).
 *
 * Schema history lives in `migrations`; entry i brings user_version from i to
 * i+1. Never edit a released migration: append a new one.
 */
#include "store/backend.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mlog.h"

/* Statements prepared once per connection and kept: parsing SQL was 12 % of
 * the server's CPU under reads and writes together (bench/http/mixed.sh).
 * Every SQL text given to prepare() is a string literal, so its address
 * names it. A kept statement is used by one caller at a time: a nested use
 * of the same SQL (a scan whose callback reads again) gets its own. */
#define SQ_KEPT 64
struct sq_kept {
	struct {
		const char *sql;
		sqlite3_stmt *st;
		int busy;
	} e[SQ_KEPT];
	int n;
};

/* A read-only connection of the pool (store_read_begin): used by one thread
 * at a time, between store_read_begin and store_read_end. */
struct sq_reader {
	sqlite3 *db;
	struct sq_kept kept;
	struct sq_reader *next; /* the idle list */
};

struct sqlite_store {
	struct store base; /* first: the backend-neutral part (backend.h) */
	sqlite3 *db;             /* the write connection: used under the server's write lock only */
	int in_tx;
	struct sq_kept kept;     /* the write connection's statements */
	char *path;
	pthread_mutex_t readers_mu;
	struct sq_reader *idle;  /* read connections not in use */
};
#define SQ(b) ((struct sqlite_store *)(b))

/* The read snapshot the calling thread is in (store_read_begin), if any:
 * its reads go to that connection instead of the write connection. */
static _Thread_local struct sqlite_store *tl_store;
static _Thread_local struct sq_reader *tl_reader;

static struct sq_reader *reader(struct sqlite_store *s);

/* The connection the calling thread reads with: its snapshot's, taken at its
 * first read (NULL if that fails), or the write connection. */
static sqlite3 *conn(struct sqlite_store *s)
{
	if (tl_store != s)
		return s->db;
	struct sq_reader *r = reader(s);
	return r ? r->db : NULL;
}

static const char *const migrations[] = {
	/* 0 → 1: the walking skeleton. */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, party TEXT, role TEXT NOT NULL,"
	"  pw_hash TEXT, deleted INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
	"CREATE TABLE tokens(hash BLOB PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	"  kind TEXT NOT NULL, expires INTEGER NOT NULL);"
	"CREATE TABLE parties(id TEXT PRIMARY KEY, body TEXT NOT NULL);"
	"CREATE TABLE tracks(id TEXT PRIMARY KEY, body TEXT NOT NULL);"
	"CREATE TABLE objects(id TEXT PRIMARY KEY, track TEXT NOT NULL, type TEXT NOT NULL, party TEXT,"
	"  status TEXT, seq INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL);"
	"CREATE INDEX objects_by_track ON objects(track, type, id);"
	"CREATE INDEX objects_by_seq ON objects(track, type, seq);"
	"CREATE TABLE events(idx INTEGER PRIMARY KEY, type TEXT NOT NULL, track TEXT, audience TEXT NOT NULL,"
	"  leaf BLOB NOT NULL, leaf_hash BLOB NOT NULL);"
	"CREATE TABLE log_node(level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,"
	"  PRIMARY KEY(level, idx)) WITHOUT ROWID;"
	"CREATE TABLE deadlines(object_id TEXT NOT NULL, kind TEXT NOT NULL, track TEXT NOT NULL,"
	"  due INTEGER NOT NULL, fired INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(object_id, kind));"
	"CREATE INDEX deadlines_due ON deadlines(fired, due);"
	"CREATE TABLE idempotency(user_id TEXT NOT NULL, key TEXT NOT NULL, body_hash BLOB NOT NULL,"
	"  status INTEGER NOT NULL, response TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  PRIMARY KEY(user_id, key));",
	/* 1 → 2: who is in which track, kept by triggers from tracks.body, so that
	 * membership is one index lookup (store_track_role). */
	"CREATE TABLE track_members(track TEXT NOT NULL, party TEXT NOT NULL, role TEXT NOT NULL,"
	"  PRIMARY KEY(track, party)) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO track_members SELECT t.id, json_extract(m.value,'$.party'),"
	"  json_extract(m.value,'$.role') FROM tracks t, json_each(t.body,'$.members') m;"
	"CREATE TRIGGER tracks_members_insert AFTER INSERT ON tracks BEGIN"
	"  INSERT OR IGNORE INTO track_members SELECT NEW.id, json_extract(m.value,'$.party'),"
	"  json_extract(m.value,'$.role') FROM json_each(NEW.body,'$.members') m; END;"
	"CREATE TRIGGER tracks_members_update AFTER UPDATE OF body ON tracks BEGIN"
	"  DELETE FROM track_members WHERE track=NEW.id;"
	"  INSERT OR IGNORE INTO track_members SELECT NEW.id, json_extract(m.value,'$.party'),"
	"  json_extract(m.value,'$.role') FROM json_each(NEW.body,'$.members') m; END;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

static int exec(struct sqlite_store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? TQ_OK : TQ_EIO;
}

/* The kept statements of the connection the calling thread reads with (as
 * conn); NULL while its snapshot has no connection yet. */
static struct sq_kept *kept_of(struct sqlite_store *s)
{
	if (tl_store != s)
		return &s->kept;
	return tl_reader ? &tl_reader->kept : NULL;
}

/* Prepares sql (a string literal) on db, or hands out the statement kept for
 * it there; give it back with release(). */
static int prepare_on(sqlite3 *db, struct sq_kept *k, const char *sql, sqlite3_stmt **st)
{
	int i = 0;
	*st = NULL;
	if (!db)
		return TQ_EIO;
	while (k && i < k->n && k->e[i].sql != sql)
		i++;
	if (k && i < k->n && !k->e[i].busy) {
		k->e[i].busy = 1;
		*st = k->e[i].st;
		return TQ_OK;
	}
	if (!k || i < k->n || k->n == SQ_KEPT) /* in use, or no room: a statement of its own */
		return sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK ? TQ_OK : TQ_EIO;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return TQ_EIO;
	k->e[k->n].sql = sql;
	k->e[k->n].st = *st;
	k->e[k->n++].busy = 1;
	return TQ_OK;
}

static int prepare(struct sqlite_store *s, const char *sql, sqlite3_stmt **st)
{
	sqlite3 *db = conn(s); /* first: it opens the snapshot's connection */
	return prepare_on(db, kept_of(s), sql, st);
}

/* Gives back a statement of prepare_on: a kept one is reset (which ends its
 * read) for the next use, any other finalized. NULL-safe. */
static void release_on(struct sq_kept *k, sqlite3_stmt *st)
{
	for (int i = 0; k && st && i < k->n; i++)
		if (k->e[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			k->e[i].busy = 0;
			return;
		}
	sqlite3_finalize(st);
}

static void release(struct sqlite_store *s, sqlite3_stmt *st)
{
	release_on(kept_of(s), st);
}

static void kept_free(struct sq_kept *k)
{
	for (int i = 0; i < k->n; i++)
		sqlite3_finalize(k->e[i].st);
	k->n = 0;
}

/* One statement without rows (BEGIN, COMMIT, SAVEPOINT …) on db, kept. */
static int exec_kept(sqlite3 *db, struct sq_kept *k, const char *sql)
{
	sqlite3_stmt *st;
	if (prepare_on(db, k, sql, &st))
		return TQ_EIO;
	int rc = sqlite3_step(st);
	release_on(k, st);
	return rc == SQLITE_DONE ? TQ_OK : TQ_EIO;
}

/* Runs a statement that returns no rows; maps constraint failures to TQ_ECONFLICT. */
static int step_done(struct sqlite_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	release(s, st);
	if (rc == SQLITE_DONE)
		return TQ_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return TQ_ECONFLICT;
	return TQ_EIO;
}

static int migrate(struct sqlite_store *s)
{
	sqlite3_stmt *st;
	int version = 0;
	if (prepare(s, "PRAGMA user_version", &st))
		return TQ_EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	release(s, st);
	if (version > SCHEMA_VERSION)
		return TQ_EIO; /* written by a newer tansiqd: refuse rather than guess */
	for (; version < SCHEMA_VERSION; version++) {
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", version + 1);
		if (exec(s, "BEGIN IMMEDIATE") || exec(s, migrations[version]) || exec(s, pragma) ||
		    exec(s, "COMMIT")) {
			(void)exec(s, "ROLLBACK");
			return TQ_EIO;
		}
	}
	return TQ_OK;
}

static void sq_close(struct store *base);
static const struct store_ops sqlite_ops;

/* Reads every page of the file once (O(N) in its size; see README, "Store integrity") and
 * answers TQ_OK only when SQLite reports exactly "ok": a store with damaged pages must not
 * start and serve as healthy. The first problem found is printed with the file's name. */
static int quick_check(struct sqlite_store *s, const char *path)
{
	sqlite3_stmt *st;
	int rc = TQ_EIO, step;
	if (prepare(s, "PRAGMA quick_check(1)", &st)) {
		fprintf(stderr, "tansiqd: %s: integrity check could not run: %s\n", path, sqlite3_errmsg(s->db));
		return TQ_EIO;
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		const char *answer = (const char *)sqlite3_column_text(st, 0);
		if (answer && strcmp(answer, "ok") == 0)
			rc = TQ_OK;
		else
			fprintf(stderr, "tansiqd: %s is corrupt (integrity check: %s)\n", path,
				answer ? answer : "no answer");
	} else {
		fprintf(stderr, "tansiqd: %s is corrupt (integrity check: %s)\n", path, sqlite3_errmsg(s->db));
	}
	release(s, st);
	return rc;
}

int store_sqlite_open(const char *path, int create, struct store **out)
{
	struct sqlite_store *s = calloc(1, sizeof *s);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (!s)
		return TQ_ENOMEM;
	s->base.ops = &sqlite_ops;
	pthread_mutex_init(&s->readers_mu, NULL);
	if (!(s->path = strdup(path)) || sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(s->db, 5000);
	/* WAL + FULL: a commit that returned survives kill -9 and power loss. */
	if (exec(s, "PRAGMA journal_mode=WAL") || exec(s, "PRAGMA synchronous=FULL") ||
	    exec(s, "PRAGMA foreign_keys=ON") || quick_check(s, path))
		goto fail;
	if (migrate(s))
		goto fail;
	*out = &s->base;
	return TQ_OK;
fail:
	sq_close(&s->base);
	return TQ_EIO;
}

static void sq_close(struct store *base)
{
	struct sqlite_store *s = SQ(base);
	if (!s)
		return;
	while (s->idle) {
		struct sq_reader *r = s->idle;
		s->idle = r->next;
		kept_free(&r->kept);
		sqlite3_close_v2(r->db);
		free(r);
	}
	kept_free(&s->kept);
	sqlite3_close_v2(s->db);
	pthread_mutex_destroy(&s->readers_mu);
	free(s->path);
	free(s);
}

/* ---- read snapshots ------------------------------------------------------ */

/* A WAL reader never waits for the writer, nor the writer for it: the read
 * transaction sees the database as of its first read, whatever commits (and
 * fsyncs) meanwhile on the write connection. */
static int sq_read_begin(struct store *base)
{
	struct sqlite_store *s = SQ(base);
	if (tl_store)
		return TQ_EINTERNAL; /* one snapshot per thread at a time */
	/* The connection and its snapshot come at the first read (reader): an
	 * answer served from memory (the answer cache) costs no transaction. */
	tl_store = s;
	tl_reader = NULL;
	return TQ_OK;
}

/* The calling thread's read connection, in its snapshot: a connection of
 * the pool (or a new one) and a read transaction on it, opened now if this
 * is the snapshot's first read. */
static struct sq_reader *reader(struct sqlite_store *s)
{
	struct sq_reader *r;
	if (tl_reader)
		return tl_reader;
	pthread_mutex_lock(&s->readers_mu);
	if ((r = s->idle))
		s->idle = r->next;
	pthread_mutex_unlock(&s->readers_mu);
	if (!r) {
		if (!(r = calloc(1, sizeof *r)))
			return NULL;
		if (sqlite3_open_v2(s->path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
			sqlite3_close_v2(r->db);
			free(r);
			return NULL;
		}
		sqlite3_busy_timeout(r->db, 5000);
	}
	if (exec_kept(r->db, &r->kept, "BEGIN")) {
		kept_free(&r->kept);
		sqlite3_close_v2(r->db);
		free(r);
		return NULL;
	}
	r->next = NULL;
	tl_reader = r;
	return r;
}

static void sq_read_end(struct store *base)
{
	struct sqlite_store *s = SQ(base);
	struct sq_reader *r = tl_reader;
	if (tl_store != s)
		return;
	tl_store = NULL;
	tl_reader = NULL;
	if (!r)
		return; /* nothing was read */
	if (exec_kept(r->db, &r->kept, "COMMIT") && exec_kept(r->db, &r->kept, "ROLLBACK")) {
		kept_free(&r->kept);
		sqlite3_close_v2(r->db); /* a connection that cannot end its snapshot is not reused */
		free(r);
		return;
	}
	pthread_mutex_lock(&s->readers_mu);
	r->next = s->idle;
	s->idle = r;
	pthread_mutex_unlock(&s->readers_mu);
}

/* An embedded file has no connection to lose. */
static int sq_available(struct store *base)
{
	(void)base;
	return 1;
}

static int sq_begin(struct store *base)
{
	struct sqlite_store *s = SQ(base);
	if (exec_kept(s->db, &s->kept, "BEGIN IMMEDIATE"))
		return TQ_EIO;
	s->in_tx = 1;
	return TQ_OK;
}

static int sq_commit(struct store *base)
{
	struct sqlite_store *s = SQ(base);
	s->in_tx = 0;
	if (exec_kept(s->db, &s->kept, "COMMIT")) {
		(void)exec_kept(s->db, &s->kept, "ROLLBACK");
		return TQ_EIO;
	}
	return TQ_OK;
}

static void sq_rollback(struct store *base)
{
	struct sqlite_store *s = SQ(base);
	if (s->in_tx)
		(void)exec_kept(s->db, &s->kept, "ROLLBACK");
	s->in_tx = 0;
}

/* SQL savepoints; the name is fixed: one level at a time (store.h). */
static int sq_savepoint(struct store *base)
{
	return exec_kept(SQ(base)->db, &SQ(base)->kept, "SAVEPOINT member");
}

static int sq_release(struct store *base)
{
	return exec_kept(SQ(base)->db, &SQ(base)->kept, "RELEASE member");
}

static int sq_rollback_to(struct store *base)
{
	struct sqlite_store *s = SQ(base);
	return exec_kept(s->db, &s->kept, "ROLLBACK TO member") || exec_kept(s->db, &s->kept, "RELEASE member")
		       ? TQ_EIO
		       : TQ_OK;
}

static char *column_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? strdup((const char *)t) : NULL;
}

static void column_copy(sqlite3_stmt *st, int col, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

/* Parses a stored JSON body; a body that does not parse means a corrupt store. */
static int column_json(sqlite3_stmt *st, int col, json_t **out)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	*out = t ? json_loads(t, 0, NULL) : NULL;
	return *out ? TQ_OK : TQ_EIO;
}

static int bind_json(sqlite3_stmt *st, int col, const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	if (!text)
		return TQ_ENOMEM;
	return sqlite3_bind_text(st, col, text, -1, free) == SQLITE_OK ? TQ_OK : TQ_EIO;
}

static int sq_meta_get(struct store *base, const char *key, char **out)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	*out = NULL;
	if (prepare(s, "SELECT value FROM meta WHERE key=?", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = column_strdup(st, 0);
	release(s, st);
	return TQ_OK;
}

static int sq_meta_set(struct store *base, const char *key, const char *value)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s, "INSERT INTO meta(key,value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
		    &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return step_done(s, st);
}

/* ---- users and tokens ---------------------------------------------------- */

static int sq_user_insert(struct store *base, const struct store_user *u, tq_time now)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s, "INSERT INTO users(id,name,party,role,pw_hash,created_at) VALUES(?,?,?,?,?,?)", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->name, -1, SQLITE_STATIC);
	if (u->party[0])
		sqlite3_bind_text(st, 3, u->party, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, u->role, -1, SQLITE_STATIC);
	if (u->pw_hash)
		sqlite3_bind_text(st, 5, u->pw_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	return step_done(s, st);
}

static int user_row(struct sqlite_store *s, sqlite3_stmt *st, struct store_user *out)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		column_copy(st, 0, out->id, sizeof out->id);
		column_copy(st, 1, out->name, sizeof out->name);
		column_copy(st, 2, out->party, sizeof out->party);
		column_copy(st, 3, out->role, sizeof out->role);
		out->pw_hash = column_strdup(st, 4);
	}
	release(s, st);
	if (rc == SQLITE_ROW)
		return TQ_OK;
	return rc == SQLITE_DONE ? TQ_ENOTFOUND : TQ_EIO;
}

static int sq_user_get(struct store *base, const char *id, struct store_user *out)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	memset(out, 0, sizeof *out);
	if (prepare(s, "SELECT id,name,party,role,pw_hash FROM users WHERE id=? AND deleted=0", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return user_row(s, st, out);
}

static int sq_user_by_name(struct store *base, const char *name, struct store_user *out)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	memset(out, 0, sizeof *out);
	if (prepare(s, "SELECT id,name,party,role,pw_hash FROM users WHERE name=? AND deleted=0", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return user_row(s, st, out);
}

static int sq_user_delete(struct store *base, const char *id)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s, "UPDATE users SET deleted=1 WHERE id=? AND deleted=0", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = step_done(s, st);
	if (rc)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return TQ_ENOTFOUND;
	/* Revocation is immediate: the tokens go with the user, in the same transaction. */
	if (prepare(s, "DELETE FROM tokens WHERE user_id=?", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return step_done(s, st);
}

static int sq_token_insert(struct store *base, const uint8_t hash[32], const char *user_id, const char *kind,
		       tq_time expires)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s, "INSERT INTO tokens(hash,user_id,kind,expires) VALUES(?,?,?,?)", &st))
		return TQ_EIO;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, expires);
	return step_done(s, st);
}

static int sq_token_lookup(struct store *base, const uint8_t hash[32], const char *kind, tq_time now,
		       struct store_user *out)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	memset(out, 0, sizeof *out);
	if (prepare(s,
		    "SELECT u.id,u.name,u.party,u.role,u.pw_hash FROM tokens t JOIN users u ON u.id=t.user_id "
		    "WHERE t.hash=? AND t.kind=? AND t.expires>? AND u.deleted=0",
		    &st))
		return TQ_EIO;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return user_row(s, st, out);
}

static int sq_token_delete(struct store *base, const uint8_t hash[32])
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s, "DELETE FROM tokens WHERE hash=?", &st))
		return TQ_EIO;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	return step_done(s, st);
}

/* ---- parties and tracks -------------------------------------------------- */

static int get_body(struct sqlite_store *s, const char *sql, const char *id, json_t **out)
{
	sqlite3_stmt *st;
	*out = NULL;
	if (prepare(s, sql, &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int err = rc == SQLITE_ROW ? column_json(st, 0, out) : rc == SQLITE_DONE ? TQ_ENOTFOUND : TQ_EIO;
	release(s, st);
	return err;
}

static int all_bodies(struct sqlite_store *s, const char *sql, json_t **out)
{
	sqlite3_stmt *st;
	json_t *arr = json_array();
	int rc;
	if (!arr || prepare(s, sql, &st)) {
		json_decref(arr);
		return TQ_EIO;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *body;
		if (column_json(st, 0, &body))
			break;
		json_array_append_new(arr, body);
	}
	release(s, st);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return TQ_EIO;
	}
	*out = arr;
	return TQ_OK;
}

static int sq_party_insert(struct store *base, const char *id, const json_t *body)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s, "INSERT INTO parties(id,body) VALUES(?,?)", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (bind_json(st, 2, body)) {
		release(s, st);
		return TQ_ENOMEM;
	}
	return step_done(s, st);
}

static int sq_party_get(struct store *base, const char *id, json_t **out)
{
	struct sqlite_store *s = SQ(base);
	return get_body(s, "SELECT body FROM parties WHERE id=?", id, out);
}

static int sq_party_all(struct store *base, json_t **out)
{
	struct sqlite_store *s = SQ(base);
	return all_bodies(s, "SELECT body FROM parties ORDER BY id", out);
}

static int sq_track_put(struct store *base, const char *id, const json_t *body, int insert)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s, insert ? "INSERT INTO tracks(body,id) VALUES(?,?)" : "UPDATE tracks SET body=? WHERE id=?",
		    &st))
		return TQ_EIO;
	if (bind_json(st, 1, body)) {
		release(s, st);
		return TQ_ENOMEM;
	}
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	return step_done(s, st);
}

static int sq_track_get(struct store *base, const char *id, json_t **out)
{
	struct sqlite_store *s = SQ(base);
	return get_body(s, "SELECT body FROM tracks WHERE id=?", id, out);
}

static int sq_track_role(struct store *base, const char *track, const char *party, char *role, size_t len)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	const char *v;
	int rc;
	if (prepare(s, "SELECT role FROM track_members WHERE track=?1 AND party=?2", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, track, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, party, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	rc = v ? TQ_OK : rc == SQLITE_ROW || rc == SQLITE_DONE ? TQ_ENOTFOUND : TQ_EIO;
	if (v)
		snprintf(role, len, "%s", v);
	release(s, st);
	return rc;
}

static int sq_track_all(struct store *base, json_t **out)
{
	struct sqlite_store *s = SQ(base);
	return all_bodies(s, "SELECT body FROM tracks ORDER BY id", out);
}

/* ---- track objects ------------------------------------------------------- */

static int sq_obj_put(struct store *base, const struct store_obj_meta *m, const json_t *body)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s,
		    "INSERT INTO objects(id,track,type,party,status,seq,body) VALUES(?,?,?,?,?,?,?) "
		    "ON CONFLICT(id) DO UPDATE SET party=excluded.party, status=excluded.status, "
		    "seq=excluded.seq, body=excluded.body",
		    &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->track, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->party, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, m->seq);
	if (bind_json(st, 7, body)) {
		release(s, st);
		return TQ_ENOMEM;
	}
	return step_done(s, st);
}

static int sq_obj_get(struct store *base, const char *track, const char *type, const char *id, json_t **out)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	*out = NULL;
	if (prepare(s, "SELECT body FROM objects WHERE id=? AND track=? AND (?3 IS NULL OR type=?3)", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, track, -1, SQLITE_STATIC);
	if (type)
		sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int err = rc == SQLITE_ROW ? column_json(st, 0, out) : rc == SQLITE_DONE ? TQ_ENOTFOUND : TQ_EIO;
	release(s, st);
	return err;
}

static int sq_obj_scan(struct store *base, const char *track, const char *type, const char *after, int by_seq,
		   int64_t after_seq, store_obj_fn fn, void *ctx)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	int rc, stop = 0;
	const char *sql = by_seq ? "SELECT body FROM objects WHERE track=? AND type=? AND seq>? ORDER BY seq"
				 : "SELECT body FROM objects WHERE track=? AND type=? AND id>? ORDER BY id";
	if (prepare(s, sql, &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, track, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	if (by_seq)
		sqlite3_bind_int64(st, 3, after_seq);
	else
		sqlite3_bind_text(st, 3, after ? after : "", -1, SQLITE_STATIC);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *body;
		if (column_json(st, 0, &body)) {
			stop = TQ_EIO;
			break;
		}
		stop = fn(ctx, body);
		json_decref(body);
	}
	if (!stop && rc != SQLITE_DONE)
		stop = TQ_EIO;
	release(s, st);
	return stop < 0 ? stop : TQ_OK;
}

static int sq_obj_max_seq(struct store *base, const char *track, const char *type, int64_t *out)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	*out = 0;
	if (prepare(s, "SELECT COALESCE(MAX(seq),0) FROM objects WHERE track=? AND type=?", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, track, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	release(s, st);
	return rc == SQLITE_ROW ? TQ_OK : TQ_EIO;
}

/* ---- event log ----------------------------------------------------------- */

/* A proof or root reads tens of nodes: the statement is kept (prepare). */
static int node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct sqlite_store *s = ctx;
	sqlite3_stmt *st;
	if (prepare(s, "SELECT hash FROM log_node WHERE level=? AND idx=?", &st))
		return TQ_EIO;
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	int rc = sqlite3_step(st), err = TQ_EIO;
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(out, sqlite3_column_blob(st, 0), 32);
		err = TQ_OK;
	}
	release(s, st); /* ends the read: no statement left pending between calls */
	return err;
}

static int node_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	struct sqlite_store *s = ctx;
	sqlite3_stmt *st;
	if (prepare(s, "INSERT INTO log_node(level,idx,hash) VALUES(?,?,?)", &st))
		return TQ_EIO;
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	sqlite3_bind_blob(st, 3, hash, 32, SQLITE_STATIC);
	return step_done(s, st);
}

static int sq_log_size(struct store *base, uint64_t *out)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s, "SELECT COALESCE(MAX(idx)+1,0) FROM events", &st))
		return TQ_EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	release(s, st);
	return rc == SQLITE_ROW ? TQ_OK : TQ_EIO;
}

static int sq_event_append(struct store *base, const char *type, const char *track, const char *audience,
		       const void *leaf, size_t leaf_len, uint64_t *out_index)
{
	struct sqlite_store *s = SQ(base);
	uint8_t hash[32];
	uint64_t index;
	sqlite3_stmt *st;
	int rc;
	if (!s->in_tx)
		return TQ_EINTERNAL; /* events exist only together with the change they record */
	if ((rc = sq_log_size(&s->base, &index)))
		return rc;
	mlog_leaf_hash(leaf, leaf_len, hash);
	if (prepare(s, "INSERT INTO events(idx,type,track,audience,leaf,leaf_hash) VALUES(?,?,?,?,?,?)", &st))
		return TQ_EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)index);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, track, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, audience, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, leaf, (int)leaf_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, hash, 32, SQLITE_STATIC);
	if ((rc = step_done(s, st)))
		return rc;
	if ((rc = mlog_append(index, hash, node_get, node_put, s)))
		return rc;
	*out_index = index;
	return TQ_OK;
}

static int sq_event_scan(struct store *base, uint64_t from, uint64_t to, store_event_fn fn, void *ctx)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	int rc, stop = 0;
	if (prepare(s,
		    "SELECT idx,type,track,audience,leaf,leaf_hash FROM events WHERE idx>=? AND idx<? ORDER BY idx",
		    &st))
		return TQ_EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, to > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)to);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_event e = {
			.index = (uint64_t)sqlite3_column_int64(st, 0),
			.type = (const char *)sqlite3_column_text(st, 1),
			.track = (const char *)sqlite3_column_text(st, 2),
			.audience = (const char *)sqlite3_column_text(st, 3),
			.leaf = sqlite3_column_blob(st, 4),
			.leaf_len = (size_t)sqlite3_column_bytes(st, 4),
			.leaf_hash = sqlite3_column_blob(st, 5),
		};
		if (sqlite3_column_bytes(st, 5) != 32 || !e.type || !e.audience) {
			stop = TQ_EIO;
			break;
		}
		stop = fn(ctx, &e);
	}
	if (!stop && rc != SQLITE_DONE)
		stop = TQ_EIO;
	release(s, st);
	return stop < 0 ? stop : TQ_OK;
}

static int sq_log_root(struct store *base, uint64_t size, uint8_t out[32])
{
	struct sqlite_store *s = SQ(base);
	return mlog_root(size, node_get, s, out);
}

static int sq_log_inclusion(struct store *base, uint64_t index, uint64_t size, uint8_t (*out)[32], size_t *count)
{
	struct sqlite_store *s = SQ(base);
	return mlog_inclusion_proof(index, size, node_get, s, out, count);
}

static int sq_log_consistency(struct store *base, uint64_t m, uint64_t n, uint8_t (*out)[32], size_t *count)
{
	struct sqlite_store *s = SQ(base);
	return mlog_consistency_proof(m, n, node_get, s, out, count);
}

/* ---- deadlines ----------------------------------------------------------- */

static int sq_deadline_set(struct store *base, const char *track, const char *object_id, const char *kind, tq_time due)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s,
		    "INSERT INTO deadlines(object_id,kind,track,due,fired) VALUES(?,?,?,?,0) "
		    "ON CONFLICT(object_id,kind) DO UPDATE SET due=excluded.due, fired=0",
		    &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, object_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, track, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, due);
	return step_done(s, st);
}

static int sq_deadline_clear(struct store *base, const char *object_id, const char *kind)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s, "DELETE FROM deadlines WHERE object_id=? AND (?2 IS NULL OR kind=?2)", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, object_id, -1, SQLITE_STATIC);
	if (kind)
		sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	return step_done(s, st);
}

static int sq_deadline_due(struct store *base, tq_time now, struct store_deadline *out, size_t max, size_t *n)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	int rc;
	*n = 0;
	if (prepare(s, "SELECT track,object_id,kind,due FROM deadlines WHERE fired=0 AND due<=? "
		       "ORDER BY due, object_id, kind LIMIT ?",
		    &st))
		return TQ_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_deadline *d = &out[(*n)++];
		column_copy(st, 0, d->track, sizeof d->track);
		column_copy(st, 1, d->object_id, sizeof d->object_id);
		column_copy(st, 2, d->kind, sizeof d->kind);
		d->due = sqlite3_column_int64(st, 3);
	}
	release(s, st);
	return rc == SQLITE_DONE ? TQ_OK : TQ_EIO;
}

static int sq_deadline_fired(struct store *base, const char *object_id, const char *kind)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s, "UPDATE deadlines SET fired=1 WHERE object_id=? AND kind=? AND fired=0", &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, object_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	int rc = step_done(s, st);
	if (rc == TQ_OK && sqlite3_changes(s->db) == 0)
		return TQ_ENOTFOUND;
	return rc;
}

static int sq_deadline_next(struct store *base, tq_time *out)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	*out = TQ_TIME_MAX;
	if (prepare(s, "SELECT MIN(due) FROM deadlines WHERE fired=0", &st))
		return TQ_EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(st, 0);
	release(s, st);
	return rc == SQLITE_ROW ? TQ_OK : TQ_EIO;
}

/* ---- idempotency --------------------------------------------------------- */

static int sq_idem_get(struct store *base, const char *user, const char *key, tq_time since, int *found,
		   uint8_t body_hash[32], int *status, char **response)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	*found = 0;
	*response = NULL;
	if (prepare(s, "SELECT body_hash,status,response FROM idempotency WHERE user_id=? AND key=? AND created_at>=?",
		    &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, since);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(body_hash, sqlite3_column_blob(st, 0), 32);
		*status = sqlite3_column_int(st, 1);
		*response = column_strdup(st, 2);
		*found = 1;
	}
	release(s, st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? TQ_OK : TQ_EIO;
}

static int sq_idem_put(struct store *base, const char *user, const char *key, const uint8_t body_hash[32], int status,
		   const char *response, tq_time now)
{
	struct sqlite_store *s = SQ(base);
	sqlite3_stmt *st;
	if (prepare(s,
		    "INSERT INTO idempotency(user_id,key,body_hash,status,response,created_at) VALUES(?,?,?,?,?,?) "
		    "ON CONFLICT(user_id,key) DO UPDATE SET body_hash=excluded.body_hash, status=excluded.status, "
		    "response=excluded.response, created_at=excluded.created_at",
		    &st))
		return TQ_EIO;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, body_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, status);
	sqlite3_bind_text(st, 5, response, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	return step_done(s, st);
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.available = sq_available,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.meta_get = sq_meta_get,
	.meta_set = sq_meta_set,
	.user_insert = sq_user_insert,
	.user_get = sq_user_get,
	.user_by_name = sq_user_by_name,
	.user_delete = sq_user_delete,
	.token_insert = sq_token_insert,
	.token_lookup = sq_token_lookup,
	.token_delete = sq_token_delete,
	.party_insert = sq_party_insert,
	.party_get = sq_party_get,
	.party_all = sq_party_all,
	.track_put = sq_track_put,
	.track_get = sq_track_get,
	.track_role = sq_track_role,
	.track_all = sq_track_all,
	.obj_put = sq_obj_put,
	.obj_get = sq_obj_get,
	.obj_scan = sq_obj_scan,
	.obj_max_seq = sq_obj_max_seq,
	.log_size = sq_log_size,
	.event_append = sq_event_append,
	.event_scan = sq_event_scan,
	.log_root = sq_log_root,
	.log_inclusion = sq_log_inclusion,
	.log_consistency = sq_log_consistency,
	.deadline_set = sq_deadline_set,
	.deadline_clear = sq_deadline_clear,
	.deadline_due = sq_deadline_due,
	.deadline_fired = sq_deadline_fired,
	.deadline_next = sq_deadline_next,
	.idem_get = sq_idem_get,
	.idem_put = sq_idem_put,
};
