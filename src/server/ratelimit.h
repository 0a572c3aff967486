/*
 * ratelimit — token buckets keyed by a string (a source address, a user id).
 *
 * Memory is fixed: a table of RATELIMIT_SLOTS buckets; when a key's probe
 * window is full the least recently used bucket is reused (a flood of new
 * addresses can only reset other addresses' buckets to full, never grow
 * memory). Thread-safe.
 */
#ifndef TQ_RATELIMIT_H
#define TQ_RATELIMIT_H

#include <stdint.h>
#include "core/tqtime.h"

struct ratelimit;

/* rate: tokens per second; burst: bucket size. rate 0 disables limiting. */
struct ratelimit *ratelimit_new(double rate, double burst);
void ratelimit_free(struct ratelimit *rl);
/* 0 when key may proceed now; otherwise the seconds to wait (>= 1). */
int ratelimit_take(struct ratelimit *rl, const char *key, tq_time now);

#endif
