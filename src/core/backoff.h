/*
 * backoff — the retry schedule of a deadline whose handler failed.
 *
 * Failed attempt n (1, 2, …) waits backoff_delay_ms(n) before attempt n+1:
 * BACKOFF_FIRST_MS, then twice the previous wait, never more than
 * BACKOFF_MAX_MS. The schedule only grows, and it is bounded, so a handler that
 * keeps failing costs one attempt every BACKOFF_MAX_MS and a deadline whose
 * cause of failure goes away fires at most BACKOFF_MAX_MS late.
 */
#ifndef TQ_BACKOFF_H
#define TQ_BACKOFF_H

#include <stdint.h>

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS (5 * 60 * 1000)

/* Milliseconds to wait after failed attempt `attempt` (>= 1; 0 is taken as 1). */
int64_t backoff_delay_ms(unsigned attempt);

#endif
