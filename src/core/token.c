#include "core/token.h"

#include <sodium.h>
#include <string.h>

static const char domain[] = "tansiq-token-v1"; /* hashed with its NUL as separator */

void token_format(const uint8_t random[TOKEN_RANDOM_BYTES], char *buf)
{
	memcpy(buf, "tq_", 3);
	sodium_bin2base64(buf + 3, TOKEN_BUFSZ - 3, random, TOKEN_RANDOM_BYTES,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void token_hash(const char *token, size_t len, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)domain, sizeof domain);
	crypto_hash_sha256_update(&st, (const unsigned char *)token, len);
	crypto_hash_sha256_final(&st, out);
}

int token_password_hash(const char *password, size_t len, char *buf, size_t buflen)
{
	if (buflen < crypto_pwhash_STRBYTES)
		return TQ_EINTERNAL;
	if (crypto_pwhash_str(buf, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return TQ_ENOMEM;
	return TQ_OK;
}

int token_password_check(const char *hash, const char *password, size_t len)
{
	return crypto_pwhash_str_verify(hash, password, len) == 0 ? TQ_OK : TQ_EAUTH;
}
