/*
 * backend — what a store backend provides (sqlite.c, postgres.c); store.c
 * dispatches the store.h contract to it. Only src/store includes this.
 *
 * Each backend embeds struct store first in its own state and fills ops; the
 * functions keep exactly the promises of the store.h function of the same name.
 * It needs the store's records (store_types.h), not its contract (store.h):
 * store.c includes this header, never the other way round.
 */
#ifndef TQ_STORE_BACKEND_H
#define TQ_STORE_BACKEND_H

#include "core/tqerr.h"
#include "store/store_types.h"

struct store;

struct store_ops {
	const char *name; /* "sqlite" | "postgresql" (GET /v1/health "store") */
	void (*close)(struct store *s);
	int (*available)(struct store *s);
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	void (*rollback)(struct store *s);
	int (*savepoint)(struct store *s);
	int (*release)(struct store *s);
	int (*rollback_to)(struct store *s);
	int (*read_begin)(struct store *s); /* NULL: no read snapshots (store_read_begin) */
	void (*read_end)(struct store *s);
	int (*meta_get)(struct store *s, const char *key, char **out);
	int (*meta_set)(struct store *s, const char *key, const char *value);
	int (*user_insert)(struct store *s, const struct store_user *u, tq_time now);
	int (*user_get)(struct store *s, const char *id, struct store_user *out);
	int (*user_by_name)(struct store *s, const char *name, struct store_user *out);
	int (*user_delete)(struct store *s, const char *id);
	int (*token_insert)(struct store *s, const uint8_t hash[32], const char *user_id, const char *kind, tq_time expires);
	int (*token_lookup)(struct store *s, const uint8_t hash[32], const char *kind, tq_time now, struct store_user *out);
	int (*token_delete)(struct store *s, const uint8_t hash[32]);
	int (*party_insert)(struct store *s, const char *id, const json_t *body);
	int (*party_get)(struct store *s, const char *id, json_t **out);
	int (*party_all)(struct store *s, json_t **out);
	int (*track_put)(struct store *s, const char *id, const json_t *body, int insert);
	int (*track_get)(struct store *s, const char *id, json_t **out);
	int (*track_role)(struct store *s, const char *track, const char *party, char *role, size_t len);
	int (*track_all)(struct store *s, json_t **out);
	int (*obj_put)(struct store *s, const struct store_obj_meta *m, const json_t *body);
	int (*obj_get)(struct store *s, const char *track, const char *type, const char *id, json_t **out);
	int (*obj_scan)(struct store *s, const char *track, const char *type, const char *after, int by_seq, int64_t after_seq, store_obj_fn fn, void *ctx);
	int (*obj_max_seq)(struct store *s, const char *track, const char *type, int64_t *out);
	int (*log_size)(struct store *s, uint64_t *out);
	int (*event_append)(struct store *s, const char *type, const char *track, const char *audience, const void *leaf, size_t leaf_len, uint64_t *out_index);
	int (*event_scan)(struct store *s, uint64_t from, uint64_t to, store_event_fn fn, void *ctx);
	int (*log_root)(struct store *s, uint64_t size, uint8_t out[32]);
	int (*log_inclusion)(struct store *s, uint64_t index, uint64_t size, uint8_t (*out)[32], size_t *count);
	int (*log_consistency)(struct store *s, uint64_t m, uint64_t n, uint8_t (*out)[32], size_t *count);
	int (*deadline_set)(struct store *s, const char *track, const char *object_id, const char *kind, tq_time due);
	int (*deadline_clear)(struct store *s, const char *object_id, const char *kind);
	int (*deadline_due)(struct store *s, tq_time now, struct store_deadline *out, size_t max, size_t *n);
	int (*deadline_fired)(struct store *s, const char *object_id, const char *kind);
	int (*deadline_next)(struct store *s, tq_time *out);
	int (*idem_get)(struct store *s, const char *user, const char *key, tq_time since, int *found, uint8_t body_hash[32], int *status, char **response);
	int (*idem_put)(struct store *s, const char *user, const char *key, const uint8_t body_hash[32], int status, const char *response, tq_time now);
};

struct store {
	const struct store_ops *ops;
};

/* Backend constructors: store_open picks one from the location's form. */
TQ_MUST_USE int store_sqlite_open(const char *path, int create, struct store **out);
TQ_MUST_USE int store_postgres_open(const char *conninfo, int create, struct store **out);
TQ_MUST_USE int store_postgres_watch_open(const char *conninfo, struct store_watch **out);
TQ_MUST_USE int store_postgres_watch_wait(struct store_watch *w, int timeout_ms);
void store_postgres_watch_close(struct store_watch *w);

#endif
