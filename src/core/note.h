/*
 * note — C2SP signed-note (https://c2sp.org/signed-note) with Ed25519, and
 * the C2SP tlog-checkpoint body (https://c2sp.org/tlog-checkpoint) it signs.
 *
 * Promise: a note produced by note_sign() opens with golang.org/x/mod/sumdb/
 * note and any other C2SP verifier, and note_verify() accepts exactly the
 * notes that carry a valid signature by the given verifier key, after
 * checking the note's syntax strictly. Nothing here reads files or clocks.
 *
 * Formats:
 *   checkpoint body  "<origin>\n<size, decimal>\n<base64 root>\n[ext lines\n]"
 *   note             body "\n" then one or more lines "— <name> <base64(id4 || sig)>\n"
 *                    (U+2014 EM DASH, space); the signature covers the body bytes.
 *   key id           first 4 bytes of SHA-256(name || "\n" || 0x01 || pk32)
 *   verifier key     "<name>+<8 hex key id>+<base64(0x01 || pk32)>"
 * Key names are non-empty UTF-8 without whitespace or '+'.
 *
 * Errors: TQ_EMALFORMED for bad syntax (of note, key or body), TQ_ETOOBIG
 * above TQ_MAX_NOTE_BYTES, TQ_EINVALID for a bad or missing signature.
 * All outputs are written only on success. Strings returned are owned by the
 * caller; free with free(). libsodium must have been initialised.
 */
#ifndef TQ_NOTE_H
#define TQ_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "core/tqerr.h"

#define NOTE_KEY_ID_BYTES 4
/* Signature lines examined per note (as golang.org/x/mod/sumdb/note). */
#define NOTE_MAX_SIGS 100

/* The C2SP key id of an Ed25519 key named `name`. TQ_EMALFORMED for a bad
 * name. */
TQ_MUST_USE int note_key_id(const char *name, const uint8_t pk[32],
			    uint8_t id[NOTE_KEY_ID_BYTES]);

/* Checkpoint body for `origin` (non-empty, no control characters, at most
 * TQ_MAX_NAME_BYTES). Returns owned *out. */
TQ_MUST_USE int note_checkpoint_body(const char *origin, uint64_t size, const uint8_t root[32],
				     char **out);

/* Signs `body` (non-empty UTF-8 text ending in '\n', no control characters
 * but '\n') as `name` with the libsodium Ed25519 secret key `sk` (seed ||
 * pk). Returns owned *out = body "\n" signature-line. */
TQ_MUST_USE int note_sign(const char *body, const char *name, const uint8_t sk[64], char **out);

/* Verifier key string for `name` and Ed25519 public key `pk`. Returns owned
 * *out. */
TQ_MUST_USE int note_vkey(const char *name, const uint8_t pk[32], char **out);

/* Checks the note's syntax, then requires at least one signature line whose
 * name and key id match `vkey` and whose signature is valid; a matching line
 * with a bad signature rejects the note. Lines by other keys are ignored.
 * On success, *body_out (if body_out is not NULL) is the owned signed text,
 * including its final '\n'. */
TQ_MUST_USE int note_verify(const char *note, size_t len, const char *vkey, char **body_out);

/* Strict checkpoint parse: origin line non-empty; size decimal without
 * leading zeros (unless "0"); root canonical base64 of exactly 32 bytes;
 * further lines are extensions: non-empty, ignored. Returns owned *origin. */
TQ_MUST_USE int note_parse_checkpoint(const char *body, char **origin, uint64_t *size,
				      uint8_t root[32]);

/* ---- building blocks shared with other signature types (core/cosig.h) ---- */

/* Signature type bytes (signed-note, "Signature types"). */
#define NOTE_ALG_ED25519 0x01
#define NOTE_ALG_COSIG_V1 0x04

/* A verifier key, parsed. name points into the vkey string it came from. */
struct note_key {
	const char *name;
	size_t name_len;
	uint8_t id[NOTE_KEY_ID_BYTES];
	uint8_t pk[32];
};

/* Key id SHA-256(name || "\n" || alg || pk32)[:4]. TQ_EMALFORMED for a bad name. */
TQ_MUST_USE int note_key_id_typed(const char *name, uint8_t alg, const uint8_t pk[32],
				  uint8_t id[NOTE_KEY_ID_BYTES]);
/* "<name>+<hex key id>+<base64(alg || pk32)>". Returns owned *out. */
TQ_MUST_USE int note_vkey_typed(const char *name, uint8_t alg, const uint8_t pk[32], char **out);
/* Parses a vkey of signature type `alg` (32-byte key), checking that its key
 * id matches its name and key. TQ_EMALFORMED otherwise. */
TQ_MUST_USE int note_key_parse(const char *vkey, uint8_t alg, struct note_key *k);

/* Called for each signature line by key k: sig[0..sig_len) is the decoded
 * base64 (key id first), text[0..text_len) the signed note text. Return 0 to
 * go on or a negative tq_err to stop (note_each_sig then returns it). */
typedef int (*note_sig_fn)(void *ctx, const uint8_t *sig, size_t sig_len, const char *text,
			   size_t text_len);
/* Checks the note's syntax strictly (as note_verify), then calls fn (may be
 * NULL) for every signature line whose name and key id are k's, and sets
 * *matched to their number. Returns the length of the signed text (> 0), or
 * a negative tq_err. */
TQ_MUST_USE int note_each_sig(const char *note, size_t len, const struct note_key *k,
			      note_sig_fn fn, void *ctx, unsigned *matched);

/* signed-note text: UTF-8, no control characters but '\n'. */
int note_text_ok(const char *s, size_t len);
/* A key name: non-empty, at most TQ_MAX_NAME_BYTES, no whitespace, no '+'. */
int note_name_ok(const char *s, size_t len);
/* Canonical standard base64 of exactly `want` bytes into out. TQ_EMALFORMED
 * otherwise. */
TQ_MUST_USE int note_b64_exact(const char *s, size_t len, uint8_t *out, size_t want);

#endif
