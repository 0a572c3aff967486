/*
 * cache — answers that only change when the log grows.
 *
 * Every committed change appends an event, so app->log_version (the log size
 * after the last commit) names a state of the cell. A cached answer is valid
 * for the same key at the same version. Keys must include whatever else the
 * answer depends on (the URL with its query, the caller's party and role).
 *
 * Memory is fixed: CACHE_SLOTS direct-mapped slots, answers over CACHE_MAX_TEXT
 * are not kept. Thread-safe: snapshot readers (app_read_begin) share it with
 * the writer; each answer is kept under the log version of the state it was
 * built from (app_log_version), never under a newer one.
 */
#ifndef TQ_CACHE_H
#define TQ_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_SLOTS 256
#define CACHE_MAX_TEXT (128 * 1024)
#define CACHE_MAX_KEY 512

struct cache;

struct cache *cache_new(void);
void cache_free(struct cache *c);
/* A copy of the cached text (owned, free()) or NULL. */
char *cache_get(struct cache *c, const char *key, uint64_t version, size_t *len);
/* Stores a copy of text; silently keeps nothing when too big or out of memory. */
void cache_put(struct cache *c, const char *key, uint64_t version, const char *text, size_t len);

#endif
