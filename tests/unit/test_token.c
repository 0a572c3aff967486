#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "core/token.h"

static void hash_matches_an_independent_sha256(void **state)
{
	(void)state;
	/* python3 -c "import hashlib; print(hashlib.sha256(b'tansiq-token-v1\x00tq_abc').hexdigest())" */
	static const char expected[] = "64191ff0b714c566d901bfab1c4389a8571d33c0722a4a1e17a7c52ce1441359";
	uint8_t h[32];
	char hex[65];
	token_hash("tq_abc", 6, h);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	assert_string_equal(hex, expected);
}

static void different_tokens_hash_differently(void **state)
{
	(void)state;
	uint8_t a[32], b[32];
	token_hash("tq_abc", 6, a);
	token_hash("tq_abd", 6, b);
	assert_memory_not_equal(a, b, 32);
}

static void token_text_has_prefix_and_256_bits(void **state)
{
	(void)state;
	uint8_t rnd[TOKEN_RANDOM_BYTES];
	char buf[TOKEN_BUFSZ];
	memset(rnd, 0xff, sizeof rnd);
	token_format(rnd, buf);
	assert_int_equal(strlen(buf), TOKEN_TEXT_LEN);
	assert_memory_equal(buf, "tq_", 3);
	assert_string_equal(buf + 3, "__________________________________________8");
}

static void password_hash_verifies_only_the_password(void **state)
{
	(void)state;
	char hash[crypto_pwhash_STRBYTES];
	assert_int_equal(token_password_hash("correct horse", 13, hash, sizeof hash), 0);
	assert_memory_equal(hash, "$argon2id$", 10);
	assert_int_equal(token_password_check(hash, "correct horse", 13), 0);
	assert_int_equal(token_password_check(hash, "correct horsf", 13), TQ_EAUTH);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_matches_an_independent_sha256),
		cmocka_unit_test(different_tokens_hash_differently),
		cmocka_unit_test(token_text_has_prefix_and_256_bits),
		cmocka_unit_test(password_hash_verifies_only_the_password),
	};
	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
