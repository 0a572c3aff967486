/*
 * authn — who is calling: a bearer API token (hashed, looked up; the lookup
 * is cached until the log grows, since tokens are revoked only by a logged
 * change), or the console's session cookie (writes also need the CSRF
 * header); and a party's Ed25519 signature over the exact body
 * (Tansiq-Signature), recorded in every event the request emits.
 */
#ifndef TQ_AUTHN_H
#define TQ_AUTHN_H

#include "server/req.h"

/* Fills r->who, or fails r with 401 (403 for a cookie write without CSRF). */
TQ_MUST_USE int authn_request(struct req *r, int write);
/* Verifies Tansiq-Signature if present (401 when it does not verify). */
TQ_MUST_USE int authn_signature(struct req *r);

#endif
