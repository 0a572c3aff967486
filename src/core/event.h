/*
 * event — one committed change, as it is hashed into the Merkle log.
 *
 * The canonical encoding is compact JSON with sorted keys:
 *   {"actor":{"party":P|null,"user":U[,"signature":S,"signed_body":B]},"payload":{…},"salt":"<32 hex>",
 *    "time":"<RFC 3339>","track":T|null,"type":"zone.created"}
 * The bytes produced here are stored as they are and are the leaf data of the
 * log (api.md, Tamper-evident log); nobody re-encodes an event later. The salt
 * (16 random bytes from the caller) keeps a proof from revealing a leaf.
 */
#ifndef TQ_EVENT_H
#define TQ_EVENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "core/tqerr.h"
#include "core/tqtime.h"

#define EVENT_SALT_BYTES 16

struct event {
	const char *type;        /* "zone.created" … */
	const char *track;       /* NULL for cell-level events */
	const char *actor_party; /* NULL for the cell admin and the server itself */
	const char *actor_user;  /* user id, or "tansiqd" for clock-driven events */
	/* A party's Ed25519 signature over the exact request body, and that body,
	 * both base64; NULL when the request was not signed. Recorded so a party
	 * can later prove what another party submitted. */
	const char *actor_signature;
	const char *actor_signed_body;
	tq_time time;
	const json_t *payload;   /* borrowed; usually the object after the change */
	uint8_t salt[EVENT_SALT_BYTES];
};

/* Encodes e canonically. *out is owned (free()), NUL-terminated, *len bytes. */
TQ_MUST_USE int event_encode(const struct event *e, char **out, size_t *len);

#endif
