/*
 * token — bearer tokens and console passwords.
 *
 * A token is "tq_" + base64url(32 random bytes): 256 bits, shown once. The
 * store keeps only token_hash(): SHA-256 over a domain tag and the token. A
 * fast hash is right here because the token has full entropy; passwords,
 * which do not, use Argon2id (libsodium crypto_pwhash_str).
 */
#ifndef TQ_TOKEN_H
#define TQ_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include "core/tqerr.h"

#define TOKEN_RANDOM_BYTES 32
#define TOKEN_TEXT_LEN 46 /* "tq_" + 43 base64url characters */
#define TOKEN_BUFSZ (TOKEN_TEXT_LEN + 1)

/* Formats 32 random bytes (from the caller) as a token into buf (TOKEN_BUFSZ). */
void token_format(const uint8_t random[TOKEN_RANDOM_BYTES], char *buf);
/* SHA-256("tansiq-token-v1\0" || token). */
void token_hash(const char *token, size_t len, uint8_t out[32]);
/* Argon2id hash string of a password into buf (>= 128 bytes). TQ_ENOMEM on failure. */
TQ_MUST_USE int token_password_hash(const char *password, size_t len, char *buf, size_t buflen);
/* 0 when password matches hash, TQ_EAUTH otherwise. */
TQ_MUST_USE int token_password_check(const char *hash, const char *password, size_t len);

#endif
