/*
 * witness — tansiqd's client of C2SP tlog-witnesses (`--witness URL=VKEY`).
 *
 * Promises:
 *  - One background thread per witness sends the log's current checkpoint to
 *    POST URL/add-checkpoint with a consistency proof from the size the
 *    witness last cosigned (learnt from its 409 answer), at most one request
 *    per witness per second: sizes reached in between are batched into one.
 *  - Requests never run under the app lock (it is held only to read the log's
 *    size, root and proof), so a slow or dead witness never delays a write;
 *    failures back off (up to 30 s) and show in /v1/health.
 *  - A cosignature is kept only after cosig_verify() accepts it with the
 *    witness's vkey on exactly the checkpoint that was sent, and is served
 *    only with that checkpoint (same size, same root): witness_lines().
 *  - Recent cosigned checkpoints are kept in memory (WITNESS_KEPT); after a
 *    restart the witnesses are asked again.
 */
#ifndef TQ_SERVER_WITNESS_H
#define TQ_SERVER_WITNESS_H

#include <jansson.h>
#include <stdint.h>

#include "server/app.h"

#define WITNESS_MAX 16
#define WITNESS_KEPT 32

/* Checks one "URL=VKEY" option (http(s) URL, cosignature/v1 vkey). Returns 0,
 * or -1 after printing why on stderr. */
int witness_spec_check(const char *spec);

/* Starts the client threads for specs[0..n) (already checked). n == 0 does
 * nothing. Returns 0 or a tq_err. */
TQ_MUST_USE int witness_start(struct app *a, const char *const *specs, size_t n);
/* Stops and frees them (NULL-safe when none were started). */
void witness_stop(struct app *a);

/* The cosignature lines held for the checkpoint (size, root), concatenated
 * (owned; "" when none). Called under the app lock or not. */
TQ_MUST_USE int witness_lines(struct app *a, uint64_t size, const uint8_t root[32], char **out);
/* The largest kept checkpoint with at least min_cosigs cosignatures:
 * TQ_ENOTFOUND when there is none. */
TQ_MUST_USE int witness_best(struct app *a, unsigned min_cosigs, uint64_t *size, uint8_t root[32]);
/* [{"name", "cosigned_size": n|null, "error": text|null}] (no URLs: health is public) or NULL when no
 * witness is configured. */
json_t *witness_health(struct app *a);

#endif
