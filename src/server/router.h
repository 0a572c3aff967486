/*
 * router — from a read request to its answer: finds the route, and under the
 * app lock authenticates (authn.h), applies the per-user rate limit, checks
 * the role the route needs and parses the body; answers cacheable GETs from
 * the answer cache (cache.h); for writes replays or records idempotency keys
 * (idem.h), gives the handler a batch (commit.h) and applies it after a 2xx
 * answer. Route tables live next to their handlers; routes.c lists them.
 */
#ifndef TQ_ROUTER_H
#define TQ_ROUTER_H

#include "server/req.h"

enum route_flags {
	ROUTE_PUBLIC = 1,     /* no token needed */
	ROUTE_WRITE = 2,      /* runs in a transaction; viewers get 403 */
	ROUTE_ADMIN = 4,      /* cell admin only */
	ROUTE_NOLOCK = 8,     /* the handler takes app->lock itself (slow work outside it) */
	ROUTE_ALLOW_VIEWER = 16, /* a write that viewers may do too (logout) */
	ROUTE_CACHE = 32,     /* a GET whose JSON answer depends only on the cell's state, the URL
			       * and the caller's party and role: kept until the log grows */
	ROUTE_STAGED = 64,    /* a write whose handler only stages into r->commit: the transaction
			       * opens after it returns (without it, before: commit_open) */
	ROUTE_SNAPSHOT = 128, /* a POST that only reads (a check): it runs in a snapshot, as a GET */
};

typedef int (*route_fn)(struct req *r);
struct route {
	const char *method;
	const char *pattern;  /* "/v1/tracks/:t/zones/:id" */
	route_fn fn;
	int flags;
};

extern const struct route *const http_route_tables[];

/* Runs r (path, method, body read) to its answer in r. */
void router_dispatch(struct req *r);

#endif
