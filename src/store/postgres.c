/*
 * postgres — the PostgreSQL backend of the store.h contract, for several
 * tansiqd nodes sharing one database (api.md, "Several nodes on PostgreSQL").
 *
 * Why a cell-wide advisory lock and not per-track locks or SERIALIZABLE: every
 * event, whatever its track, is a leaf of the one Merkle log, and the leaf's
 * index and the tree's nodes are computed from the log's current size. Two
 * writers of different tracks would still collide at the log's head, so the
 * append point is cell-wide anyway. store_begin therefore takes
 * pg_advisory_xact_lock(STORE_PG_WRITE_LOCK): writes queue in the database,
 * never fail with a serialization error, and the log's order is the order in
 * which the database granted the lock. The lock is released by COMMIT or
 * ROLLBACK, also when a node dies (its session ends).
 *
 * Every statement is sent with PQexecParams (text parameters, bytea in binary).
 * A lost connection makes the call fail with TQ_EUNAVAIL and the next call
 * reconnects (PQreset): the node recovers without a restart. A COMMIT whose
 * answer was lost is reported as TQ_EUNAVAIL too, never as success.
 *
 * Each committed event also sends NOTIFY tansiq_log with its index, as a
 * wake-up for the other nodes; the events table stays the truth.
 *
 * Read snapshots (store_read_begin) use connections of their own, never the
 * write connection (a libpq connection serves one thread at a time): a pool of
 * read connections with the write connection's conninfo, each lent to one
 * thread from its first read to store_read_end, in one transaction
 * REPEATABLE READ, READ ONLY. PostgreSQL takes that transaction's snapshot at
 * its first statement, after everything committed before it: a reader never
 * waits for the cell-wide lock, a writer or its commit. Every statement of the
 * thread goes there meanwhile (pg_run picks the connection); nothing else of
 * this file is tied to the write connection but the transaction control and
 * the advisory locks (pg_begin, pg_migrate), and LISTEN has a connection of
 * its own (store_watch). Statements are unnamed (PQexecParams), so nothing is
 * prepared per connection.
 */
#include "store/backend.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mlog.h"

/* "tansiq" in ASCII: the key of the cell-wide write lock. */
#define STORE_PG_WRITE_LOCK 0x74616e736971LL
/* Rows fetched per round trip by the scans. */
#define STORE_PG_PAGE 256
/* Idle read connections kept for the next snapshots; more are closed. */
#define STORE_PG_IDLE_READERS 8

/* A read connection of the pool: one thread's at a time, from the first read
 * of its snapshot to store_read_end. */
struct pg_reader {
	PGconn *conn;
	int failed;              /* a statement failed: closed at read_end, never reused */
	struct pg_reader *next;  /* the idle list */
};

struct pg_store {
	struct store base; /* first: the backend-neutral part (backend.h) */
	PGconn *conn;      /* the write connection: used under the server's write lock only */
	int in_tx;
	atomic_int lost;   /* the last failure, of any connection, was the connection's */
	char *conninfo;    /* for the read connections */
	pthread_mutex_t readers_mu;
	struct pg_reader *idle;
	int idle_n;
};
#define PG(b) ((struct pg_store *)(b))

/* The read snapshot the calling thread is in (store_read_begin), if any: its
 * connection, once its first read opened it; whether opening it failed (the
 * snapshot then reads nothing: a later read must not see another state). */
static _Thread_local struct pg_store *tl_store;
static _Thread_local struct pg_reader *tl_reader;
static _Thread_local int tl_failed;

static const struct store_ops pg_ops;

/* Schema history: entry i brings the schema from version i to i+1. */
static const char *const pg_migrations[] = {
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, party TEXT, role TEXT NOT NULL,"
	"  pw_hash TEXT, deleted INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL);"
	"CREATE TABLE tokens(hash BYTEA PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	"  kind TEXT NOT NULL, expires BIGINT NOT NULL);"
	"CREATE TABLE parties(id TEXT PRIMARY KEY, body TEXT NOT NULL);"
	"CREATE TABLE tracks(id TEXT PRIMARY KEY, body TEXT NOT NULL);"
	"CREATE TABLE objects(id TEXT PRIMARY KEY, track TEXT NOT NULL, type TEXT NOT NULL, party TEXT,"
	"  status TEXT, seq BIGINT NOT NULL DEFAULT 0, body TEXT NOT NULL);"
	"CREATE INDEX objects_by_track ON objects(track, type, id COLLATE \"C\");"
	"CREATE INDEX objects_by_seq ON objects(track, type, seq);"
	"CREATE TABLE events(idx BIGINT PRIMARY KEY, type TEXT NOT NULL, track TEXT, audience TEXT NOT NULL,"
	"  leaf BYTEA NOT NULL, leaf_hash BYTEA NOT NULL);"
	"CREATE TABLE log_node(level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL,"
	"  PRIMARY KEY(level, idx));"
	"CREATE TABLE deadlines(object_id TEXT NOT NULL, kind TEXT NOT NULL, track TEXT NOT NULL,"
	"  due BIGINT NOT NULL, fired INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(object_id, kind));"
	"CREATE INDEX deadlines_due ON deadlines(fired, due);"
	"CREATE TABLE idempotency(user_id TEXT NOT NULL, key TEXT NOT NULL, body_hash BYTEA NOT NULL,"
	"  status INTEGER NOT NULL, response TEXT NOT NULL, created_at BIGINT NOT NULL,"
	"  PRIMARY KEY(user_id, key));",
	/* 1 → 2: who is in which track, kept by a trigger from tracks.body, so that
	 * membership is one index lookup (store_track_role). */
	"CREATE TABLE track_members(track TEXT NOT NULL, party TEXT NOT NULL, role TEXT NOT NULL,"
	"  PRIMARY KEY(track, party));"
	"INSERT INTO track_members SELECT t.id, m->>'party', m->>'role'"
	"  FROM tracks t, jsonb_array_elements(t.body::jsonb->'members') m ON CONFLICT DO NOTHING;"
	"CREATE FUNCTION tansiq_track_members() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  DELETE FROM track_members WHERE track=NEW.id;"
	"  INSERT INTO track_members SELECT NEW.id, m->>'party', m->>'role'"
	"  FROM jsonb_array_elements(NEW.body::jsonb->'members') m ON CONFLICT DO NOTHING;"
	"  RETURN NEW; END $$;"
	"CREATE TRIGGER tracks_members AFTER INSERT OR UPDATE OF body ON tracks"
	"  FOR EACH ROW EXECUTE FUNCTION tansiq_track_members();",
};
#define PG_SCHEMA_VERSION ((int)(sizeof pg_migrations / sizeof pg_migrations[0]))

/* ---- statements ---------------------------------------------------------- */

/* Parameters of one statement: text values, or binary ones with a length. */
struct pg_params {
	int n;
	const char *values[10];
	int lengths[10];
	int formats[10];
	char text[10][24]; /* room for formatted integers */
};

static void p_text(struct pg_params *p, const char *v)
{
	p->values[p->n] = v;
	p->lengths[p->n] = 0;
	p->formats[p->n] = 0;
	p->n++;
}

static void p_int(struct pg_params *p, long long v)
{
	snprintf(p->text[p->n], sizeof p->text[p->n], "%lld", v);
	p_text(p, p->text[p->n]);
}

static void p_bytes(struct pg_params *p, const void *v, size_t len)
{
	p->values[p->n] = v;
	p->lengths[p->n] = (int)len;
	p->formats[p->n] = 1;
	p->n++;
}

/* Makes sure a connection is up, reconnecting after a loss. */
static int pg_ready(struct pg_store *s)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return TQ_OK;
	if (s->in_tx)
		return TQ_EUNAVAIL; /* a transaction does not survive its connection */
	PQreset(s->conn);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		s->lost = 1;
		return TQ_EUNAVAIL;
	}
	s->lost = 0;
	return TQ_OK;
}

/* Runs sql on conn; *out (if not NULL) receives the result for the caller to
 * PQclear. Unique violations are TQ_ECONFLICT, a lost connection TQ_EUNAVAIL. */
static int pg_run_on(struct pg_store *s, PGconn *conn, const char *sql, const struct pg_params *p, PGresult **out)
{
	int rc;
	if (out)
		*out = NULL;
	/* Without parameters PQexec, which also runs several statements at once. */
	PGresult *res = p ? PQexecParams(conn, sql, p->n, NULL, p->values, p->lengths, p->formats, 0)
			  : PQexec(conn, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (out)
			*out = res;
		else
			PQclear(res);
		return TQ_OK;
	}
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state && strcmp(state, "23505") == 0)
		rc = TQ_ECONFLICT;
	else if (PQstatus(conn) != CONNECTION_OK || (state && strncmp(state, "08", 2) == 0) ||
		 (state && strncmp(state, "57P", 3) == 0)) {
		s->lost = 1;
		rc = TQ_EUNAVAIL;
	} else {
		fprintf(stderr, "tansiqd: postgresql: %s", PQerrorMessage(conn));
		rc = TQ_EIO;
	}
	PQclear(res);
	return rc;
}

static int reader(struct pg_store *s, struct pg_reader **out);

/* Runs sql on the connection the calling thread reads with: its snapshot's
 * (opened now if this is its first read), or the write connection. */
static int pg_run(struct pg_store *s, const char *sql, const struct pg_params *p, PGresult **out)
{
	struct pg_reader *r;
	int rc;
	if (out)
		*out = NULL;
	if (tl_store != s)
		return (rc = pg_ready(s)) ? rc : pg_run_on(s, s->conn, sql, p, out);
	if ((rc = reader(s, &r)))
		return rc;
	if ((rc = pg_run_on(s, r->conn, sql, p, out)))
		r->failed = 1;
	return rc;
}

static int pg_exec(struct pg_store *s, const char *sql)
{
	return pg_run(s, sql, NULL, NULL);
}

static long long cell_int(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void cell_copy(const PGresult *r, int row, int col, char *dst, size_t len)
{
	snprintf(dst, len, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

static char *cell_strdup(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

/* bytea arrives in text form (hex); returns owned bytes (PQfreemem). */
static unsigned char *cell_bytes(const PGresult *r, int row, int col, size_t *len)
{
	return PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), len);
}

static int cell_json(const PGresult *r, int row, int col, json_t **out)
{
	*out = PQgetisnull(r, row, col) ? NULL : json_loads(PQgetvalue(r, row, col), 0, NULL);
	return *out ? TQ_OK : TQ_EIO;
}

/* Statements that change exactly the rows they name: TQ_ENOTFOUND when none. */
static int affected(PGresult *res)
{
	int n = atoi(PQcmdTuples(res));
	PQclear(res);
	return n > 0 ? TQ_OK : TQ_ENOTFOUND;
}

/* ---- open, migrate, transactions ------------------------------------------ */

static int pg_schema_version(struct pg_store *s, int *version)
{
	PGresult *res;
	int rc = pg_run(s, "SELECT to_regclass('tansiq_schema') IS NOT NULL", NULL, &res);
	if (rc)
		return rc;
	int exists = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	*version = 0;
	if (!exists)
		return TQ_OK;
	if ((rc = pg_run(s, "SELECT version FROM tansiq_schema", NULL, &res)))
		return rc;
	if (PQntuples(res) == 1)
		*version = (int)cell_int(res, 0, 0);
	PQclear(res);
	return TQ_OK;
}

static int pg_migrate(struct pg_store *s, int create)
{
	int version, rc;
	/* Nodes starting together migrate one at a time. */
	if ((rc = pg_exec(s, "BEGIN")) || (rc = pg_exec(s, "SELECT pg_advisory_xact_lock(7461736972)")))
		goto fail;
	if ((rc = pg_schema_version(s, &version)))
		goto fail;
	if (create && version > 0) {
		rc = TQ_ECONFLICT; /* `init` on a database already initialised changes nothing */
		goto fail;
	}
	if (!create && version == 0) {
		rc = TQ_ENOTFOUND; /* not initialised: `tansiqd init --store …` first */
		goto fail;
	}
	if (version > PG_SCHEMA_VERSION) {
		rc = TQ_EIO; /* written by a newer tansiqd: refuse rather than guess */
		goto fail;
	}
	if (version == 0 && (rc = pg_exec(s, "CREATE TABLE tansiq_schema(version INTEGER NOT NULL);"
					     "INSERT INTO tansiq_schema VALUES(0)")))
		goto fail;
	for (; version < PG_SCHEMA_VERSION; version++) {
		struct pg_params p = {0};
		p_int(&p, version + 1);
		if ((rc = pg_exec(s, pg_migrations[version])) ||
		    (rc = pg_run(s, "UPDATE tansiq_schema SET version=$1", &p, NULL)))
			goto fail;
	}
	return pg_exec(s, "COMMIT");
fail:
	(void)pg_exec(s, "ROLLBACK");
	return rc;
}

static void pg_close(struct store *base)
{
	struct pg_store *s = PG(base);
	if (!s)
		return;
	while (s->idle) {
		struct pg_reader *r = s->idle;
		s->idle = r->next;
		PQfinish(r->conn);
		free(r);
	}
	PQfinish(s->conn);
	pthread_mutex_destroy(&s->readers_mu);
	free(s->conninfo);
	free(s);
}

int store_postgres_open(const char *conninfo, int create, struct store **out)
{
	struct pg_store *s = calloc(1, sizeof *s);
	int rc;
	if (!s)
		return TQ_ENOMEM;
	s->base.ops = &pg_ops;
	pthread_mutex_init(&s->readers_mu, NULL);
	if (!(s->conninfo = strdup(conninfo))) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	s->conn = PQconnectdb(conninfo);
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		fprintf(stderr, "tansiqd: cannot connect to PostgreSQL: %s", s->conn ? PQerrorMessage(s->conn) : "\n");
		rc = TQ_EUNAVAIL;
		goto fail;
	}
	/* Quiet NOTICEs; UTC; a statement never waits longer than the HTTP client would. */
	if ((rc = pg_exec(s, "SET client_min_messages=warning; SET TIME ZONE 'UTC'")) || (rc = pg_migrate(s, create)))
		goto fail;
	*out = &s->base;
	return TQ_OK;
fail:
	pg_close(&s->base);
	return rc;
}

static int pg_begin(struct store *base)
{
	struct pg_store *s = PG(base);
	char sql[96];
	if (tl_store == s)
		return TQ_EINTERNAL; /* a snapshot's thread writes nothing (store.h) */
	snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%lld)", STORE_PG_WRITE_LOCK);
	int rc = pg_exec(s, sql);
	if (rc) {
		(void)pg_exec(s, "ROLLBACK");
		return rc;
	}
	s->in_tx = 1;
	return TQ_OK;
}

static int pg_commit(struct store *base)
{
	struct pg_store *s = PG(base);
	int rc = pg_exec(s, "COMMIT");
	if (rc && PQstatus(s->conn) == CONNECTION_OK)
		(void)pg_exec(s, "ROLLBACK");
	s->in_tx = 0;
	return rc;
}

static void pg_rollback(struct store *base)
{
	struct pg_store *s = PG(base);
	if (s->in_tx && PQstatus(s->conn) == CONNECTION_OK)
		(void)pg_exec(s, "ROLLBACK");
	s->in_tx = 0;
}

/* SQL savepoints; the name is fixed: one level at a time (store.h). */
static int pg_savepoint(struct store *base)
{
	return pg_exec(PG(base), "SAVEPOINT member");
}

static int pg_release(struct store *base)
{
	return pg_exec(PG(base), "RELEASE SAVEPOINT member");
}

static int pg_rollback_to(struct store *base)
{
	struct pg_store *s = PG(base);
	int rc = pg_exec(s, "ROLLBACK TO SAVEPOINT member");
	return rc ? rc : pg_exec(s, "RELEASE SAVEPOINT member");
}

static int pg_available(struct store *base)
{
	return !PG(base)->lost;
}

/* ---- read snapshots -------------------------------------------------------- */

static int pg_read_begin(struct store *base)
{
	struct pg_store *s = PG(base);
	if (tl_store)
		return TQ_EINTERNAL; /* one snapshot per thread at a time */
	/* The connection and its transaction come at the first read (reader): an
	 * answer served from memory (the answer cache) costs no round trip. */
	tl_store = s;
	tl_reader = NULL;
	tl_failed = 0;
	return TQ_OK;
}

static void reader_close(struct pg_reader *r)
{
	PQfinish(r->conn);
	free(r);
}

/* A new read connection, set as the write connection is. */
static int reader_connect(struct pg_store *s, struct pg_reader **out)
{
	struct pg_reader *r = calloc(1, sizeof *r);
	int rc;
	*out = NULL;
	if (!r)
		return TQ_ENOMEM;
	r->conn = PQconnectdb(s->conninfo);
	if (!r->conn || PQstatus(r->conn) != CONNECTION_OK) {
		s->lost = 1;
		reader_close(r);
		return TQ_EUNAVAIL;
	}
	if ((rc = pg_run_on(s, r->conn, "SET client_min_messages=warning; SET TIME ZONE 'UTC'", NULL, NULL))) {
		reader_close(r);
		return rc;
	}
	*out = r;
	return TQ_OK;
}

/* The calling thread's read connection, in its snapshot's transaction: a
 * connection of the pool (or a new one), begun now if this is the snapshot's
 * first read. An idle connection the server dropped meanwhile (a restart) is
 * closed and the next one tried: no snapshot had begun on it. */
static int reader(struct pg_store *s, struct pg_reader **out)
{
	struct pg_reader *r;
	int rc, fresh;
	*out = tl_reader;
	if (tl_reader)
		return TQ_OK;
	if (tl_failed)
		return TQ_EUNAVAIL;
	for (;;) {
		pthread_mutex_lock(&s->readers_mu);
		if ((r = s->idle)) {
			s->idle = r->next;
			s->idle_n--;
		}
		pthread_mutex_unlock(&s->readers_mu);
		fresh = !r;
		if (fresh && (rc = reader_connect(s, &r)))
			break;
		rc = pg_run_on(s, r->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", NULL, NULL);
		if (rc == TQ_OK) {
			s->lost = 0; /* the database answers */
			r->failed = 0;
			r->next = NULL;
			*out = tl_reader = r;
			return TQ_OK;
		}
		reader_close(r);
		if (fresh)
			break;
	}
	tl_failed = 1;
	return rc;
}

/* Ends the snapshot's read-only transaction (nothing to make durable) and
 * gives its connection back, or closes it when anything on it failed. */
static void pg_read_end(struct store *base)
{
	struct pg_store *s = PG(base);
	struct pg_reader *r = tl_reader;
	if (tl_store != s)
		return;
	tl_store = NULL;
	tl_reader = NULL;
	tl_failed = 0;
	if (!r)
		return; /* nothing was read */
	if (r->failed || pg_run_on(s, r->conn, "COMMIT", NULL, NULL) ||
	    PQtransactionStatus(r->conn) != PQTRANS_IDLE) {
		reader_close(r); /* a connection that failed is not reused */
		return;
	}
	pthread_mutex_lock(&s->readers_mu);
	if (s->idle_n < STORE_PG_IDLE_READERS) {
		r->next = s->idle;
		s->idle = r;
		s->idle_n++;
		r = NULL;
	}
	pthread_mutex_unlock(&s->readers_mu);
	if (r)
		reader_close(r);
}

/* ---- meta, users, tokens --------------------------------------------------- */

static int pg_meta_get(struct store *base, const char *key, char **out)
{
	struct pg_params p = {0};
	PGresult *res;
	*out = NULL;
	p_text(&p, key);
	int rc = pg_run(PG(base), "SELECT value FROM meta WHERE key=$1", &p, &res);
	if (rc)
		return rc;
	if (PQntuples(res) == 1)
		*out = cell_strdup(res, 0, 0);
	PQclear(res);
	return TQ_OK;
}

static int pg_meta_set(struct store *base, const char *key, const char *value)
{
	struct pg_params p = {0};
	p_text(&p, key);
	p_text(&p, value);
	return pg_run(PG(base), "INSERT INTO meta(key,value) VALUES($1,$2) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
		      &p, NULL);
}

static int pg_user_insert(struct store *base, const struct store_user *u, tq_time now)
{
	struct pg_params p = {0};
	p_text(&p, u->id);
	p_text(&p, u->name);
	p_text(&p, u->party[0] ? u->party : NULL);
	p_text(&p, u->role);
	p_text(&p, u->pw_hash);
	p_int(&p, now);
	return pg_run(PG(base), "INSERT INTO users(id,name,party,role,pw_hash,created_at) VALUES($1,$2,$3,$4,$5,$6)", &p,
		      NULL);
}

static int user_row(struct pg_store *s, const char *sql, struct pg_params *p, struct store_user *out)
{
	PGresult *res;
	memset(out, 0, sizeof *out);
	int rc = pg_run(s, sql, p, &res);
	if (rc)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return TQ_ENOTFOUND;
	}
	cell_copy(res, 0, 0, out->id, sizeof out->id);
	cell_copy(res, 0, 1, out->name, sizeof out->name);
	cell_copy(res, 0, 2, out->party, sizeof out->party);
	cell_copy(res, 0, 3, out->role, sizeof out->role);
	out->pw_hash = cell_strdup(res, 0, 4);
	PQclear(res);
	return TQ_OK;
}

static int pg_user_get(struct store *base, const char *id, struct store_user *out)
{
	struct pg_params p = {0};
	p_text(&p, id);
	return user_row(PG(base), "SELECT id,name,party,role,pw_hash FROM users WHERE id=$1 AND deleted=0", &p, out);
}

static int pg_user_by_name(struct store *base, const char *name, struct store_user *out)
{
	struct pg_params p = {0};
	p_text(&p, name);
	return user_row(PG(base), "SELECT id,name,party,role,pw_hash FROM users WHERE name=$1 AND deleted=0", &p, out);
}

static int pg_user_delete(struct store *base, const char *id)
{
	struct pg_params p = {0};
	PGresult *res;
	p_text(&p, id);
	int rc = pg_run(PG(base), "UPDATE users SET deleted=1 WHERE id=$1 AND deleted=0", &p, &res);
	if (rc || (rc = affected(res)))
		return rc;
	/* Revocation is immediate: the tokens go with the user, in the same transaction. */
	return pg_run(PG(base), "DELETE FROM tokens WHERE user_id=$1", &p, NULL);
}

static int pg_token_insert(struct store *base, const uint8_t hash[32], const char *user_id, const char *kind,
			   tq_time expires)
{
	struct pg_params p = {0};
	p_bytes(&p, hash, 32);
	p_text(&p, user_id);
	p_text(&p, kind);
	p_int(&p, expires);
	return pg_run(PG(base), "INSERT INTO tokens(hash,user_id,kind,expires) VALUES($1,$2,$3,$4)", &p, NULL);
}

static int pg_token_lookup(struct store *base, const uint8_t hash[32], const char *kind, tq_time now,
			   struct store_user *out)
{
	struct pg_params p = {0};
	p_bytes(&p, hash, 32);
	p_text(&p, kind);
	p_int(&p, now);
	return user_row(PG(base),
			"SELECT u.id,u.name,u.party,u.role,u.pw_hash FROM tokens t JOIN users u ON u.id=t.user_id "
			"WHERE t.hash=$1 AND t.kind=$2 AND t.expires>$3 AND u.deleted=0",
			&p, out);
}

static int pg_token_delete(struct store *base, const uint8_t hash[32])
{
	struct pg_params p = {0};
	p_bytes(&p, hash, 32);
	return pg_run(PG(base), "DELETE FROM tokens WHERE hash=$1", &p, NULL);
}

/* ---- parties and tracks ---------------------------------------------------- */

static int get_body(struct pg_store *s, const char *sql, struct pg_params *p, json_t **out)
{
	PGresult *res;
	*out = NULL;
	int rc = pg_run(s, sql, p, &res);
	if (rc)
		return rc;
	rc = PQntuples(res) == 1 ? cell_json(res, 0, 0, out) : TQ_ENOTFOUND;
	PQclear(res);
	return rc;
}

static int all_bodies(struct pg_store *s, const char *sql, json_t **out)
{
	PGresult *res;
	int rc = pg_run(s, sql, NULL, &res);
	if (rc)
		return rc;
	json_t *arr = json_array();
	for (int i = 0; arr && i < PQntuples(res); i++) {
		json_t *body;
		if ((rc = cell_json(res, i, 0, &body)))
			break;
		json_array_append_new(arr, body);
	}
	PQclear(res);
	if (!arr || rc) {
		json_decref(arr);
		return arr ? rc : TQ_ENOMEM;
	}
	*out = arr;
	return TQ_OK;
}

static int p_json(struct pg_params *p, const json_t *body, char **text)
{
	*text = json_dumps(body, JSON_COMPACT);
	if (!*text)
		return TQ_ENOMEM;
	p_text(p, *text);
	return TQ_OK;
}

static int pg_party_insert(struct store *base, const char *id, const json_t *body)
{
	struct pg_params p = {0};
	char *text;
	p_text(&p, id);
	if (p_json(&p, body, &text))
		return TQ_ENOMEM;
	int rc = pg_run(PG(base), "INSERT INTO parties(id,body) VALUES($1,$2)", &p, NULL);
	free(text);
	return rc;
}

static int pg_party_get(struct store *base, const char *id, json_t **out)
{
	struct pg_params p = {0};
	p_text(&p, id);
	return get_body(PG(base), "SELECT body FROM parties WHERE id=$1", &p, out);
}

static int pg_party_all(struct store *base, json_t **out)
{
	return all_bodies(PG(base), "SELECT body FROM parties ORDER BY id COLLATE \"C\"", out);
}

static int pg_track_put(struct store *base, const char *id, const json_t *body, int insert)
{
	struct pg_params p = {0};
	char *text;
	if (p_json(&p, body, &text))
		return TQ_ENOMEM;
	p_text(&p, id);
	PGresult *res;
	int rc = pg_run(PG(base), insert ? "INSERT INTO tracks(body,id) VALUES($1,$2)" : "UPDATE tracks SET body=$1 WHERE id=$2",
			&p, &res);
	free(text);
	if (!rc)
		PQclear(res);
	return rc;
}

static int pg_track_get(struct store *base, const char *id, json_t **out)
{
	struct pg_params p = {0};
	p_text(&p, id);
	return get_body(PG(base), "SELECT body FROM tracks WHERE id=$1", &p, out);
}

static int pg_track_role(struct store *base, const char *track, const char *party, char *role, size_t len)
{
	struct pg_params p = {0};
	PGresult *res;
	int rc;
	p_text(&p, track);
	p_text(&p, party);
	if ((rc = pg_run(PG(base), "SELECT role FROM track_members WHERE track=$1 AND party=$2", &p, &res)))
		return rc;
	rc = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? TQ_OK : TQ_ENOTFOUND;
	if (rc == TQ_OK)
		cell_copy(res, 0, 0, role, len);
	PQclear(res);
	return rc;
}

static int pg_track_all(struct store *base, json_t **out)
{
	return all_bodies(PG(base), "SELECT body FROM tracks ORDER BY id COLLATE \"C\"", out);
}

/* ---- track objects --------------------------------------------------------- */

static int pg_obj_put(struct store *base, const struct store_obj_meta *m, const json_t *body)
{
	struct pg_params p = {0};
	char *text;
	p_text(&p, m->id);
	p_text(&p, m->track);
	p_text(&p, m->type);
	p_text(&p, m->party);
	p_text(&p, m->status);
	p_int(&p, m->seq);
	if (p_json(&p, body, &text))
		return TQ_ENOMEM;
	int rc = pg_run(PG(base),
			"INSERT INTO objects(id,track,type,party,status,seq,body) VALUES($1,$2,$3,$4,$5,$6,$7) "
			"ON CONFLICT(id) DO UPDATE SET party=excluded.party, status=excluded.status, "
			"seq=excluded.seq, body=excluded.body",
			&p, NULL);
	free(text);
	return rc;
}

static int pg_obj_get(struct store *base, const char *track, const char *type, const char *id, json_t **out)
{
	struct pg_params p = {0};
	p_text(&p, id);
	p_text(&p, track);
	p_text(&p, type);
	return get_body(PG(base), "SELECT body FROM objects WHERE id=$1 AND track=$2 AND ($3::text IS NULL OR type=$3)",
			&p, out);
}

/* Scans in pages so that a long scan neither loads everything at once nor
 * keeps a cursor open across the callback's work. Ids sort bytewise (COLLATE
 * "C"), as SQLite's do. */
static int pg_obj_scan(struct store *base, const char *track, const char *type, const char *after, int by_seq,
		       int64_t after_seq, store_obj_fn fn, void *ctx)
{
	struct pg_store *s = PG(base);
	char *cursor = strdup(after ? after : "");
	int stop = 0, rc = TQ_OK;
	if (!cursor)
		return TQ_ENOMEM;
	for (;;) {
		struct pg_params p = {0};
		PGresult *res;
		char limit[16];
		snprintf(limit, sizeof limit, "%d", STORE_PG_PAGE);
		p_text(&p, track);
		p_text(&p, type);
		if (by_seq)
			p_int(&p, after_seq);
		else
			p_text(&p, cursor);
		p_text(&p, limit);
		rc = pg_run(s,
			    by_seq ? "SELECT body, id, seq FROM objects WHERE track=$1 AND type=$2 AND seq>$3 ORDER BY seq LIMIT $4"
				   : "SELECT body, id, seq FROM objects WHERE track=$1 AND type=$2 AND id COLLATE \"C\">$3 "
				     "ORDER BY id COLLATE \"C\" LIMIT $4",
			    &p, &res);
		if (rc)
			break;
		int n = PQntuples(res);
		for (int i = 0; i < n && !stop; i++) {
			json_t *body;
			if (cell_json(res, i, 0, &body)) {
				stop = TQ_EIO;
				break;
			}
			stop = fn(ctx, body);
			json_decref(body);
			free(cursor);
			cursor = strdup(PQgetvalue(res, i, 1));
			after_seq = cell_int(res, i, 2);
			if (!cursor)
				stop = TQ_ENOMEM;
		}
		PQclear(res);
		if (stop || n < STORE_PG_PAGE)
			break;
	}
	free(cursor);
	if (rc)
		return rc;
	return stop < 0 ? stop : TQ_OK;
}

static int pg_obj_max_seq(struct store *base, const char *track, const char *type, int64_t *out)
{
	struct pg_params p = {0};
	PGresult *res;
	*out = 0;
	p_text(&p, track);
	p_text(&p, type);
	int rc = pg_run(PG(base), "SELECT COALESCE(MAX(seq),0) FROM objects WHERE track=$1 AND type=$2", &p, &res);
	if (rc)
		return rc;
	*out = cell_int(res, 0, 0);
	PQclear(res);
	return TQ_OK;
}

/* ---- event log ------------------------------------------------------------- */

static int node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct pg_params p = {0};
	PGresult *res;
	p_int(&p, (long long)level);
	p_int(&p, (long long)index);
	int rc = pg_run(ctx, "SELECT hash FROM log_node WHERE level=$1 AND idx=$2", &p, &res);
	if (rc)
		return rc;
	rc = TQ_EIO;
	if (PQntuples(res) == 1) {
		size_t len;
		unsigned char *h = cell_bytes(res, 0, 0, &len);
		if (h && len == 32) {
			memcpy(out, h, 32);
			rc = TQ_OK;
		}
		PQfreemem(h);
	}
	PQclear(res);
	return rc;
}

static int node_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	struct pg_params p = {0};
	p_int(&p, (long long)level);
	p_int(&p, (long long)index);
	p_bytes(&p, hash, 32);
	return pg_run(ctx, "INSERT INTO log_node(level,idx,hash) VALUES($1,$2,$3)", &p, NULL);
}

static int pg_log_size(struct store *base, uint64_t *out)
{
	PGresult *res;
	int rc = pg_run(PG(base), "SELECT COALESCE(MAX(idx)+1,0) FROM events", NULL, &res);
	if (rc)
		return rc;
	*out = (uint64_t)cell_int(res, 0, 0);
	PQclear(res);
	return TQ_OK;
}

static int pg_event_append(struct store *base, const char *type, const char *track, const char *audience,
			   const void *leaf, size_t leaf_len, uint64_t *out_index)
{
	struct pg_store *s = PG(base);
	struct pg_params p = {0};
	uint8_t hash[32];
	uint64_t index;
	int rc;
	if (!s->in_tx)
		return TQ_EINTERNAL; /* events exist only together with the change they record */
	if ((rc = pg_log_size(base, &index)))
		return rc;
	mlog_leaf_hash(leaf, leaf_len, hash);
	p_int(&p, (long long)index);
	p_text(&p, type);
	p_text(&p, track);
	p_text(&p, audience);
	p_bytes(&p, leaf, leaf_len);
	p_bytes(&p, hash, 32);
	if ((rc = pg_run(s, "INSERT INTO events(idx,type,track,audience,leaf,leaf_hash) VALUES($1,$2,$3,$4,$5,$6)", &p,
			 NULL)))
		return rc;
	if ((rc = mlog_append(index, hash, node_get, node_put, s)))
		return rc;
	struct pg_params n = {0};
	p_int(&n, (long long)index);
	if ((rc = pg_run(s, "SELECT pg_notify('tansiq_log', $1)", &n, NULL)))
		return rc;
	*out_index = index;
	return TQ_OK;
}

static int pg_event_scan(struct store *base, uint64_t from, uint64_t to, store_event_fn fn, void *ctx)
{
	struct pg_store *s = PG(base);
	int stop = 0, rc = TQ_OK;
	if (to > (uint64_t)INT64_MAX)
		to = INT64_MAX;
	while (!stop && from < to) {
		struct pg_params p = {0};
		PGresult *res;
		p_int(&p, (long long)from);
		p_int(&p, (long long)to);
		p_int(&p, STORE_PG_PAGE);
		if ((rc = pg_run(s,
				 "SELECT idx,type,track,audience,leaf,leaf_hash FROM events WHERE idx>=$1 AND idx<$2 "
				 "ORDER BY idx LIMIT $3",
				 &p, &res)))
			break;
		int n = PQntuples(res);
		for (int i = 0; i < n && !stop; i++) {
			size_t leaf_len = 0, hash_len = 0;
			unsigned char *leaf = cell_bytes(res, i, 4, &leaf_len);
			unsigned char *hash = cell_bytes(res, i, 5, &hash_len);
			struct store_event e = {
				.index = (uint64_t)cell_int(res, i, 0),
				.type = PQgetvalue(res, i, 1),
				.track = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
				.audience = PQgetvalue(res, i, 3),
				.leaf = leaf,
				.leaf_len = leaf_len,
				.leaf_hash = hash,
			};
			if (!leaf || !hash || hash_len != 32)
				stop = TQ_EIO;
			else
				stop = fn(ctx, &e);
			from = e.index + 1;
			PQfreemem(leaf);
			PQfreemem(hash);
		}
		PQclear(res);
		if (n < STORE_PG_PAGE)
			break;
	}
	if (rc)
		return rc;
	return stop < 0 ? stop : TQ_OK;
}

static int pg_log_root(struct store *base, uint64_t size, uint8_t out[32])
{
	return mlog_root(size, node_get, PG(base), out);
}

static int pg_log_inclusion(struct store *base, uint64_t index, uint64_t size, uint8_t (*out)[32], size_t *count)
{
	return mlog_inclusion_proof(index, size, node_get, PG(base), out, count);
}

static int pg_log_consistency(struct store *base, uint64_t m, uint64_t n, uint8_t (*out)[32], size_t *count)
{
	return mlog_consistency_proof(m, n, node_get, PG(base), out, count);
}

/* ---- deadlines ------------------------------------------------------------- */

static int pg_deadline_set(struct store *base, const char *track, const char *object_id, const char *kind,
			   tq_time due)
{
	struct pg_params p = {0};
	p_text(&p, object_id);
	p_text(&p, kind);
	p_text(&p, track);
	p_int(&p, due);
	return pg_run(PG(base),
		      "INSERT INTO deadlines(object_id,kind,track,due,fired) VALUES($1,$2,$3,$4,0) "
		      "ON CONFLICT(object_id,kind) DO UPDATE SET due=excluded.due, fired=0",
		      &p, NULL);
}

static int pg_deadline_clear(struct store *base, const char *object_id, const char *kind)
{
	struct pg_params p = {0};
	p_text(&p, object_id);
	p_text(&p, kind);
	return pg_run(PG(base), "DELETE FROM deadlines WHERE object_id=$1 AND ($2::text IS NULL OR kind=$2)", &p, NULL);
}

/* Inside a write transaction the cell-wide lock is held, so the rows read here
 * cannot be fired by another node before this one commits: each deadline
 * fires once in the cell. */
static int pg_deadline_due(struct store *base, tq_time now, struct store_deadline *out, size_t max, size_t *n)
{
	struct pg_params p = {0};
	PGresult *res;
	*n = 0;
	p_int(&p, now);
	p_int(&p, (long long)max);
	int rc = pg_run(PG(base),
			"SELECT track,object_id,kind,due FROM deadlines WHERE fired=0 AND due<=$1 "
			"ORDER BY due, object_id COLLATE \"C\", kind COLLATE \"C\" LIMIT $2",
			&p, &res);
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(res) && (size_t)i < max; i++) {
		struct store_deadline *d = &out[(*n)++];
		cell_copy(res, i, 0, d->track, sizeof d->track);
		cell_copy(res, i, 1, d->object_id, sizeof d->object_id);
		cell_copy(res, i, 2, d->kind, sizeof d->kind);
		d->due = cell_int(res, i, 3);
	}
	PQclear(res);
	return TQ_OK;
}

static int pg_deadline_fired(struct store *base, const char *object_id, const char *kind)
{
	struct pg_params p = {0};
	p_text(&p, object_id);
	p_text(&p, kind);
	PGresult *res;
	int rc = pg_run(PG(base), "UPDATE deadlines SET fired=1 WHERE object_id=$1 AND kind=$2 AND fired=0", &p, &res);
	return rc ? rc : affected(res);
}

static int pg_deadline_next(struct store *base, tq_time *out)
{
	PGresult *res;
	*out = TQ_TIME_MAX;
	int rc = pg_run(PG(base), "SELECT MIN(due) FROM deadlines WHERE fired=0", NULL, &res);
	if (rc)
		return rc;
	if (!PQgetisnull(res, 0, 0))
		*out = cell_int(res, 0, 0);
	PQclear(res);
	return TQ_OK;
}

/* ---- idempotency ----------------------------------------------------------- */

static int pg_idem_get(struct store *base, const char *user, const char *key, tq_time since, int *found,
		       uint8_t body_hash[32], int *status, char **response)
{
	struct pg_params p = {0};
	PGresult *res;
	*found = 0;
	*response = NULL;
	p_text(&p, user);
	p_text(&p, key);
	p_int(&p, since);
	int rc = pg_run(PG(base),
			"SELECT body_hash,status,response FROM idempotency WHERE user_id=$1 AND key=$2 AND created_at>=$3",
			&p, &res);
	if (rc)
		return rc;
	if (PQntuples(res) == 1) {
		size_t len;
		unsigned char *h = cell_bytes(res, 0, 0, &len);
		if (h && len == 32) {
			memcpy(body_hash, h, 32);
			*status = (int)cell_int(res, 0, 1);
			*response = cell_strdup(res, 0, 2);
			*found = 1;
		}
		PQfreemem(h);
	}
	PQclear(res);
	return TQ_OK;
}

static int pg_idem_put(struct store *base, const char *user, const char *key, const uint8_t body_hash[32],
		       int status, const char *response, tq_time now)
{
	struct pg_params p = {0};
	p_text(&p, user);
	p_text(&p, key);
	p_bytes(&p, body_hash, 32);
	p_int(&p, status);
	p_text(&p, response);
	p_int(&p, now);
	return pg_run(PG(base),
		      "INSERT INTO idempotency(user_id,key,body_hash,status,response,created_at) VALUES($1,$2,$3,$4,$5,$6) "
		      "ON CONFLICT(user_id,key) DO UPDATE SET body_hash=excluded.body_hash, status=excluded.status, "
		      "response=excluded.response, created_at=excluded.created_at",
		      &p, NULL);
}

/* ---- change notification --------------------------------------------------- */

struct store_watch {
	char *conninfo;
	PGconn *conn;
};

static int watch_connect(struct store_watch *w)
{
	if (w->conn && PQstatus(w->conn) == CONNECTION_OK)
		return TQ_OK;
	PQfinish(w->conn);
	w->conn = PQconnectdb(w->conninfo);
	if (PQstatus(w->conn) != CONNECTION_OK)
		return TQ_EUNAVAIL;
	PGresult *res = PQexec(w->conn, "LISTEN tansiq_log");
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok ? TQ_OK : TQ_EUNAVAIL;
}

int store_postgres_watch_open(const char *conninfo, struct store_watch **out)
{
	struct store_watch *w = calloc(1, sizeof *w);
	if (!w || !(w->conninfo = strdup(conninfo))) {
		free(w);
		return TQ_ENOMEM;
	}
	(void)watch_connect(w); /* a database that is down now is retried by wait */
	*out = w;
	return TQ_OK;
}

int store_postgres_watch_wait(struct store_watch *w, int timeout_ms)
{
	int rc = watch_connect(w), notified = 0;
	if (rc)
		return rc;
	struct pollfd pfd = {.fd = PQsocket(w->conn), .events = POLLIN};
	if (poll(&pfd, 1, timeout_ms) > 0 && !PQconsumeInput(w->conn))
		return TQ_EUNAVAIL;
	PGnotify *n;
	while ((n = PQnotifies(w->conn))) {
		notified = 1;
		PQfreemem(n);
	}
	return notified;
}

void store_postgres_watch_close(struct store_watch *w)
{
	if (!w)
		return;
	PQfinish(w->conn);
	free(w->conninfo);
	free(w);
}

static const struct store_ops pg_ops = {
	.name = "postgresql",
	.close = pg_close,
	.available = pg_available,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.release = pg_release,
	.rollback_to = pg_rollback_to,
	.read_begin = pg_read_begin,
	.read_end = pg_read_end,
	.meta_get = pg_meta_get,
	.meta_set = pg_meta_set,
	.user_insert = pg_user_insert,
	.user_get = pg_user_get,
	.user_by_name = pg_user_by_name,
	.user_delete = pg_user_delete,
	.token_insert = pg_token_insert,
	.token_lookup = pg_token_lookup,
	.token_delete = pg_token_delete,
	.party_insert = pg_party_insert,
	.party_get = pg_party_get,
	.party_all = pg_party_all,
	.track_put = pg_track_put,
	.track_get = pg_track_get,
	.track_role = pg_track_role,
	.track_all = pg_track_all,
	.obj_put = pg_obj_put,
	.obj_get = pg_obj_get,
	.obj_scan = pg_obj_scan,
	.obj_max_seq = pg_obj_max_seq,
	.log_size = pg_log_size,
	.event_append = pg_event_append,
	.event_scan = pg_event_scan,
	.log_root = pg_log_root,
	.log_inclusion = pg_log_inclusion,
	.log_consistency = pg_log_consistency,
	.deadline_set = pg_deadline_set,
	.deadline_clear = pg_deadline_clear,
	.deadline_due = pg_deadline_due,
	.deadline_fired = pg_deadline_fired,
	.deadline_next = pg_deadline_next,
	.idem_get = pg_idem_get,
	.idem_put = pg_idem_put,
};
