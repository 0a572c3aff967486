/*
 * store_types — the records the store keeps and hands out: the vocabulary
 * shared by its contract (store.h) and its backends (backend.h), so that
 * neither header needs the other. Plain data; no functions.
 */
#ifndef TQ_STORE_TYPES_H
#define TQ_STORE_TYPES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "core/tqtime.h"

/* A change-notification watch (store_watch_open). */
struct store_watch;

/* A user. party is "" for the cell admin (role "admin"). */
struct store_user {
	char id[40];
	char name[128];
	char party[16];     /* "" for the cell admin */
	char role[16];      /* admin | operator | viewer */
	char *pw_hash;      /* owned, may be NULL */
};

/* The indexed columns of a track-scoped object; its body is the API object. */
struct store_obj_meta {
	const char *id, *track, *type, *party, *status;
	int64_t seq;        /* 0 when the type has no sequence */
};

/* Called for each object of a scan until it returns non-zero (1: stop, <0: error). */
typedef int (*store_obj_fn)(void *ctx, json_t *body);

/* An event of the log. The leaf bytes are stored byte-exact; audience is the
 * visibility tag the auth module computed (",IL,SY," style). */
struct store_event {
	uint64_t index;
	const char *type, *track, *audience;
	const unsigned char *leaf;
	size_t leaf_len;
	const unsigned char *leaf_hash;    /* 32 bytes */
};

/* Called for each event of a scan, in index order, until it returns non-zero. */
typedef int (*store_event_fn)(void *ctx, const struct store_event *e);

/* A deadline: one per (object, kind), fired once. */
struct store_deadline {
	char track[40], object_id[64], kind[32];
	tq_time due;
};

#endif
