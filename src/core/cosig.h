/*
 * cosig — C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), the
 * Ed25519 "cosignature/v1" type, and the request and rules of C2SP
 * tlog-witness add-checkpoint (https://c2sp.org/tlog-witness).
 *
 * Promise: a cosignature made by cosig_sign() verifies with any C2SP
 * cosignature/v1 verifier (e.g. golang.org/x/mod/sumdb/note via
 * sigsum.org/sigsum-go or transparency-dev/witness), and cosig_verify()
 * accepts exactly the notes that carry a valid cosignature by the given key.
 * Nothing here reads files or clocks: the timestamp is a parameter.
 *
 * Formats (tlog-cosignature, "Format" and "Ed25519 signed message"):
 *   key id          SHA-256(name || "\n" || 0x04 || pk32)[:4]
 *   verifier key    "<name>+<8 hex key id>+<base64(0x04 || pk32)>"
 *   signed message  "cosignature/v1\n" "time <t decimal>\n" || checkpoint body
 *   line            "— <name> " base64(key id || u64 big-endian t || sig64) "\n"
 * Add-checkpoint request body (tlog-witness, "add-checkpoint"):
 *   "old <size>\n" (<= 63 lines of base64 hash "\n") "\n" <signed checkpoint note>
 *
 * Errors: TQ_EMALFORMED for bad syntax, TQ_ETOOBIG above the caps,
 * TQ_EINVALID for a missing or bad cosignature. Outputs are written only on
 * success; strings returned are owned (free()). libsodium must be initialised.
 */
#ifndef TQ_COSIG_H
#define TQ_COSIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/note.h"
#include "core/tqerr.h"

/* key id (4) || timestamp (8) || Ed25519 signature (64) */
#define COSIG_SIG_BYTES (NOTE_KEY_ID_BYTES + 8 + 64)
/* The client MUST NOT send more than 63 consistency proof lines. */
#define COSIG_MAX_PROOF 63
/* An add-checkpoint body: the proof lines and a note. */
#define COSIG_MAX_REQUEST (16 + COSIG_MAX_PROOF * 46 + 1 + TQ_MAX_NOTE_BYTES)
/* Timestamps above 2^63 - 1 are refused (tlog-cosignature). */
#define COSIG_MAX_TIME INT64_MAX

/* Key id of the cosigner `name` with Ed25519 key pk. TQ_EMALFORMED for a bad name. */
TQ_MUST_USE int cosig_key_id(const char *name, const uint8_t pk[32], uint8_t id[NOTE_KEY_ID_BYTES]);
/* Cosigner verifier key string. Returns owned *out. */
TQ_MUST_USE int cosig_vkey(const char *name, const uint8_t pk[32], char **out);

/* The signed message for checkpoint `body` at time t. Returns owned *out (NUL-
 * terminated) and its length. */
TQ_MUST_USE int cosig_message(const char *body, uint64_t t, char **out, size_t *len);

/* Cosigns checkpoint `body` (the note text, ending in '\n', without signature
 * lines) as `name` with libsodium secret key sk (seed || pk) at time t (> 0).
 * Returns the owned signature line "— name base64(...)\n". */
TQ_MUST_USE int cosig_sign(const char *body, const char *name, const uint8_t sk[64], uint64_t t,
			   char **line);

/* Checks the note's syntax, then requires at least one cosignature line whose
 * name and key id match `vkey` (a cosignature/v1 vkey) and that verifies; a
 * matching line that does not verify rejects the note. Lines by other keys are
 * ignored. *t (if not NULL) is the latest timestamp of the valid lines. */
TQ_MUST_USE int cosig_verify(const char *note, size_t len, const char *vkey, uint64_t *t);

/* Decodes a cosignature line's base64 (as sent, without "— name ") into its
 * key id and timestamp; the signature is not checked. */
TQ_MUST_USE int cosig_line_fields(const char *b64, size_t len, uint8_t id[NOTE_KEY_ID_BYTES],
				  uint64_t *t);

/* A parsed add-checkpoint request; note points into the parsed body. */
struct cosig_request {
	uint64_t old_size;
	uint8_t proof[COSIG_MAX_PROOF][32];
	size_t proof_len;
	const char *note;
	size_t note_len;
};

/* Parses an add-checkpoint body strictly: "old N" without leading zeros, proof
 * lines canonical base64 of 32 bytes, an empty line, then a non-empty note
 * (checked later by note_verify). TQ_ETOOBIG above COSIG_MAX_REQUEST or with
 * more than COSIG_MAX_PROOF proof lines. */
TQ_MUST_USE int cosig_request_parse(const char *body, size_t len, struct cosig_request *out);
/* Formats an add-checkpoint body. Returns owned *out and its length. */
TQ_MUST_USE int cosig_request_format(uint64_t old_size, const uint8_t proof[][32], size_t proof_len,
				     const char *note, char **out, size_t *len);

/* The witness's decision on a request whose checkpoint signature verified
 * (tlog-witness, "add-checkpoint"), given the latest cosigned size and root
 * for its origin (size 0 and any root when it never cosigned one):
 *   0              cosign, and record (size, root)
 *   TQ_EMALFORMED  400: old size above the checkpoint size
 *   TQ_ECONFLICT   409: old size is not the latest cosigned size
 *   TQ_EINVALID    422: size 0 without the empty root, a proof with old size 0,
 *                  equal sizes with another root, or a proof that fails.
 * The consistency proof is checked with mlog_verify_consistency (RFC 9162
 * §2.1.4.2, the same check `tansiq verify` makes). */
TQ_MUST_USE int cosig_witness_check(uint64_t last_size, const uint8_t last_root[32],
				    const struct cosig_request *rq, uint64_t size,
				    const uint8_t root[32]);

#endif
