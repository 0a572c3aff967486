/*
 * tally — counts per string key (a source address, a user id), for caps on
 * open connections and streams.
 *
 * A chained hash table whose entries exist only while their count is above
 * zero, so memory follows what is open now, never what was ever seen. Keys
 * are cut to TALLY_KEY_MAX - 1 bytes. Not thread-safe: the owner locks.
 */
#ifndef TQ_TALLY_H
#define TQ_TALLY_H

#include <stddef.h>

#define TALLY_KEY_MAX 64

struct tally;

/* Returns owned (free with tally_free), or NULL when out of memory. */
struct tally *tally_new(void);
void tally_free(struct tally *t);
/* The count of key (0 when absent). */
unsigned tally_get(const struct tally *t, const char *key);
/* Adds one to key's count unless it is already >= cap (cap 0 = no cap).
 * Returns 0 when counted, 1 when at the cap, -1 when out of memory. */
int tally_take(struct tally *t, const char *key, unsigned cap);
/* Subtracts one from key's count (a key at 0 is forgotten). */
void tally_give(struct tally *t, const char *key);

#endif
