/*
 * idem — Idempotency-Key on POST: the first answer (2xx) is recorded with the
 * hash of path and body, in the same batch as the write; a repeat with the
 * same key and body gets that answer again, with another body 409. Keys are
 * per user and live TQ_IDEMPOTENCY_TTL_S.
 */
#ifndef TQ_IDEM_H
#define TQ_IDEM_H

#include "server/req.h"

/* 1 when r was answered here (replayed, or failed: *rc); 0 to go on. */
int idem_replay(struct req *r, const char *key, int *rc);
/* Stages r's answer under key in r->commit. */
TQ_MUST_USE int idem_record(struct req *r, const char *key);

#endif
