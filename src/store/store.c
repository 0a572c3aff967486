/*
 * store — dispatches the store.h contract to the backend chosen at open:
 * a postgresql:// (or postgres://) URI selects PostgreSQL, anything else is the
 * path of an embedded SQLite file.
 */
#include "store/store.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include "store/backend.h"

int store_is_postgres(const char *location)
{
	return location && (strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0);
}

int store_open(const char *location, int create, struct store **out)
{
	if (store_is_postgres(location))
		return store_postgres_open(location, create, out);
	return store_sqlite_open(location, create, out);
}

const char *store_backend(const struct store *s)
{
	return s->ops->name;
}

/* SQLite has one writer, this process: there is never anything to watch for,
 * so its watch is NULL and waits only sleep. */
int store_watch_open(const char *location, struct store_watch **out)
{
	*out = NULL;
	return store_is_postgres(location) ? store_postgres_watch_open(location, out) : TQ_OK;
}

int store_watch_wait(struct store_watch *w, int timeout_ms)
{
	if (w)
		return store_postgres_watch_wait(w, timeout_ms);
	poll(NULL, 0, timeout_ms);
	return 0;
}

void store_watch_close(struct store_watch *w)
{
	store_postgres_watch_close(w);
}

int store_available(struct store *s)
{
	return s->ops->available(s);
}

void store_user_clear(struct store_user *u)
{
	free(u->pw_hash);
	u->pw_hash = NULL;
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

int store_begin(struct store *s)
{
	return s->ops->begin(s);
}

int store_commit(struct store *s)
{
	return s->ops->commit(s);
}

void store_rollback(struct store *s)
{
	s->ops->rollback(s);
}

int store_savepoint(struct store *s)
{
	return s->ops->savepoint(s);
}

int store_release(struct store *s)
{
	return s->ops->release(s);
}

int store_rollback_to(struct store *s)
{
	return s->ops->rollback_to(s);
}

int store_read_begin(struct store *s)
{
	return s->ops->read_begin ? s->ops->read_begin(s) : TQ_EINVALID;
}

void store_read_end(struct store *s)
{
	if (s->ops->read_end)
		s->ops->read_end(s);
}

int store_meta_get(struct store *s, const char *key, char **out)
{
	return s->ops->meta_get(s, key, out);
}

int store_meta_set(struct store *s, const char *key, const char *value)
{
	return s->ops->meta_set(s, key, value);
}

int store_user_insert(struct store *s, const struct store_user *u, tq_time now)
{
	return s->ops->user_insert(s, u, now);
}

int store_user_get(struct store *s, const char *id, struct store_user *out)
{
	return s->ops->user_get(s, id, out);
}

int store_user_by_name(struct store *s, const char *name, struct store_user *out)
{
	return s->ops->user_by_name(s, name, out);
}

int store_user_delete(struct store *s, const char *id)
{
	return s->ops->user_delete(s, id);
}

int store_token_insert(struct store *s, const uint8_t hash[32], const char *user_id, const char *kind, tq_time expires)
{
	return s->ops->token_insert(s, hash, user_id, kind, expires);
}

int store_token_lookup(struct store *s, const uint8_t hash[32], const char *kind, tq_time now, struct store_user *out)
{
	return s->ops->token_lookup(s, hash, kind, now, out);
}

int store_token_delete(struct store *s, const uint8_t hash[32])
{
	return s->ops->token_delete(s, hash);
}

int store_party_insert(struct store *s, const char *id, const json_t *body)
{
	return s->ops->party_insert(s, id, body);
}

int store_party_get(struct store *s, const char *id, json_t **out)
{
	return s->ops->party_get(s, id, out);
}

int store_party_all(struct store *s, json_t **out)
{
	return s->ops->party_all(s, out);
}

int store_track_put(struct store *s, const char *id, const json_t *body, int insert)
{
	return s->ops->track_put(s, id, body, insert);
}

int store_track_get(struct store *s, const char *id, json_t **out)
{
	return s->ops->track_get(s, id, out);
}

int store_track_role(struct store *s, const char *track, const char *party, char *role, size_t len)
{
	return s->ops->track_role(s, track, party, role, len);
}

int store_track_all(struct store *s, json_t **out)
{
	return s->ops->track_all(s, out);
}

int store_obj_put(struct store *s, const struct store_obj_meta *m, const json_t *body)
{
	return s->ops->obj_put(s, m, body);
}

int store_obj_get(struct store *s, const char *track, const char *type, const char *id, json_t **out)
{
	return s->ops->obj_get(s, track, type, id, out);
}

int store_obj_scan(struct store *s, const char *track, const char *type, const char *after, int by_seq, int64_t after_seq, store_obj_fn fn, void *ctx)
{
	return s->ops->obj_scan(s, track, type, after, by_seq, after_seq, fn, ctx);
}

int store_obj_max_seq(struct store *s, const char *track, const char *type, int64_t *out)
{
	return s->ops->obj_max_seq(s, track, type, out);
}

int store_log_size(struct store *s, uint64_t *out)
{
	return s->ops->log_size(s, out);
}

int store_event_append(struct store *s, const char *type, const char *track, const char *audience, const void *leaf, size_t leaf_len, uint64_t *out_index)
{
	return s->ops->event_append(s, type, track, audience, leaf, leaf_len, out_index);
}

int store_event_scan(struct store *s, uint64_t from, uint64_t to, store_event_fn fn, void *ctx)
{
	return s->ops->event_scan(s, from, to, fn, ctx);
}

int store_log_root(struct store *s, uint64_t size, uint8_t out[32])
{
	return s->ops->log_root(s, size, out);
}

int store_log_inclusion(struct store *s, uint64_t index, uint64_t size, uint8_t (*out)[32], size_t *count)
{
	return s->ops->log_inclusion(s, index, size, out, count);
}

int store_log_consistency(struct store *s, uint64_t m, uint64_t n, uint8_t (*out)[32], size_t *count)
{
	return s->ops->log_consistency(s, m, n, out, count);
}

int store_deadline_set(struct store *s, const char *track, const char *object_id, const char *kind, tq_time due)
{
	return s->ops->deadline_set(s, track, object_id, kind, due);
}

int store_deadline_clear(struct store *s, const char *object_id, const char *kind)
{
	return s->ops->deadline_clear(s, object_id, kind);
}

int store_deadline_due(struct store *s, tq_time now, struct store_deadline *out, size_t max, size_t *n)
{
	return s->ops->deadline_due(s, now, out, max, n);
}

int store_deadline_fired(struct store *s, const char *object_id, const char *kind)
{
	return s->ops->deadline_fired(s, object_id, kind);
}

int store_deadline_next(struct store *s, tq_time *out)
{
	return s->ops->deadline_next(s, out);
}

int store_idem_get(struct store *s, const char *user, const char *key, tq_time since, int *found, uint8_t body_hash[32], int *status, char **response)
{
	return s->ops->idem_get(s, user, key, since, found, body_hash, status, response);
}

int store_idem_put(struct store *s, const char *user, const char *key, const uint8_t body_hash[32], int status, const char *response, tq_time now)
{
	return s->ops->idem_put(s, user, key, body_hash, status, response, now);
}
