/*
 * holdpoint — a test-only pause point for writes (--test-hooks: testhooks.h
 * arms it through POST /v1/test/hold-write {"track", "next_write": true}).
 *
 * Once armed, the next write request of the track whose handler succeeded
 * (2xx) pauses where the router reaches it: its batch applied in the open
 * shared transaction, the conflict engines changed (pending), app->lock held,
 * not committed — the window a writer's fsync would hold — until released
 * (or HOLDPOINT_MAX_MS ran out); then it commits and answers as usual.
 * Unarmed, holdpoint_reach costs one atomic load.
 */
#ifndef TQ_HOLDPOINT_H
#define TQ_HOLDPOINT_H

#include <stddef.h>

#define HOLDPOINT_MAX_MS 60000

/* Arms the point for the next successful write of track. TQ_ECONFLICT when
 * it is armed or held already. */
int holdpoint_arm(const char *track);
/* Waits (at most timeout_ms) until a write is held there; its request path
 * in what. TQ_ECONFLICT when nothing is armed or nothing came in time. */
int holdpoint_wait(int timeout_ms, char *what, size_t size);
/* Whether the point is armed or held. */
int holdpoint_active(void);
/* Lets the held write go on (or disarms an unreached point) and waits until
 * it has left; *held: whether a write was still held then. */
void holdpoint_release(int *held);
/* The router, for a write whose handler answered status, with app->lock held
 * and its batch not committed; track: the request's :t parameter or NULL. */
void holdpoint_reach(const char *track, int status, const char *path);

#endif
