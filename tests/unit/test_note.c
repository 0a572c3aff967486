/*
 * test_note — C2SP signed-note / tlog-checkpoint. Known answers are the
 * published vectors of golang.org/x/mod/sumdb/note (note_test.go: the
 * PeterNeumann and EnochRoot keys and signatures).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/limits.h"
#include "core/note.h"

/* ---- golang.org/x/mod/sumdb/note vectors --------------------------------- */

static const char go_skey_b64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"; /* 0x01||seed */
static const char peter_vkey[] =
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char go_text[] = "If you think cryptography is the answer to your problem,\n"
			      "then you don't know what your problem is.\n";
static const char peter_sig[] = "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/"
				"SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb"
				"6KE6RyyBwJnAM=\n";
static const char enoch_sig[] = "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+"
				"MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

static void peter_keys(uint8_t pk[32], uint8_t sk[64])
{
	uint8_t raw[33];
	size_t len = 0;
	assert_int_equal(sodium_base642bin(raw, sizeof raw, go_skey_b64, strlen(go_skey_b64), NULL,
					   &len, NULL, sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(len, 33);
	assert_int_equal(raw[0], 0x01);
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, raw + 1), 0);
}

/* Concatenation, owned; free with free(). */
static char *cat(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);
	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

static int verify_str(const char *note, const char *vkey)
{
	return note_verify(note, strlen(note), vkey, NULL);
}

static void test_go_vector_vkey_from_seed(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64], id[4];
	char *vkey = NULL;
	peter_keys(pk, sk);
	assert_int_equal(note_vkey("PeterNeumann", pk, &vkey), 0);
	assert_string_equal(vkey, peter_vkey);
	assert_int_equal(note_key_id("PeterNeumann", pk, id), 0);
	assert_int_equal(id[0], 0xc7);
	assert_int_equal(id[1], 0x4f);
	assert_int_equal(id[2], 0x20);
	assert_int_equal(id[3], 0xa3);
	free(vkey);
}

static void test_go_vector_signature_is_reproduced(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64];
	char *note = NULL, *want = cat(go_text, "\n", peter_sig);
	peter_keys(pk, sk);
	assert_int_equal(note_sign(go_text, "PeterNeumann", sk, &note), 0);
	assert_string_equal(note, want);
	free(note);
	free(want);
}

static void test_go_vector_note_with_two_signers_opens_for_each(void **state)
{
	(void)state;
	char *note = cat(go_text, "\n", peter_sig), *both = cat(note, enoch_sig, "");
	char *body = NULL;
	assert_int_equal(note_verify(both, strlen(both), peter_vkey, &body), 0);
	assert_string_equal(body, go_text);
	free(body);
	body = NULL;
	assert_int_equal(note_verify(both, strlen(both), enoch_vkey, &body), 0);
	assert_string_equal(body, go_text);
	free(body);
	/* Enoch did not sign the one-signature note */
	assert_int_equal(verify_str(note, enoch_vkey), TQ_EINVALID);
	free(note);
	free(both);
}

static int count_line(void *ctx, const uint8_t *sig, size_t sig_len, const char *text, size_t text_len)
{
	(void)sig;
	(void)text;
	(void)text_len;
	assert_int_equal(sig_len, 4 + 64);
	++*(int *)ctx;
	return 0;
}

static int refuse_line(void *ctx, const uint8_t *sig, size_t sig_len, const char *text, size_t text_len)
{
	(void)ctx, (void)sig, (void)sig_len, (void)text, (void)text_len;
	return TQ_EINVALID;
}

/* The scanner under note_verify (and cosig_verify): only the lines by the
 * key, the signed text's length, and a callback's error stops it. */
static void test_each_sig_visits_only_the_keys_lines(void **state)
{
	(void)state;
	char *note = cat(go_text, "\n", peter_sig), *both = cat(note, enoch_sig, "");
	struct note_key k;
	unsigned matched = 99;
	int calls = 0;
	assert_int_equal(note_key_parse(enoch_vkey, NOTE_ALG_ED25519, &k), 0);
	assert_int_equal(note_each_sig(both, strlen(both), &k, count_line, &calls, &matched),
			 (int)strlen(go_text));
	assert_int_equal(matched, 1);
	assert_int_equal(calls, 1);
	assert_int_equal(note_each_sig(note, strlen(note), &k, count_line, &calls, &matched),
			 (int)strlen(go_text));
	assert_int_equal(matched, 0);
	assert_int_equal(note_each_sig(both, strlen(both), &k, refuse_line, NULL, &matched), TQ_EINVALID);
	/* A signature type byte other than the key's: malformed key. */
	assert_int_equal(note_key_parse(enoch_vkey, NOTE_ALG_COSIG_V1, &k), TQ_EMALFORMED);
	free(note);
	free(both);
}

static void test_go_vector_corrupted_signature_is_invalid(void **state)
{
	(void)state;
	/* note_test.go: "ABCD" inserted at byte 60 of the signature line */
	char line[sizeof peter_sig + 4];
	memcpy(line, peter_sig, 60);
	memcpy(line + 60, "ABCD", 4);
	memcpy(line + 64, peter_sig + 60, sizeof peter_sig - 60);
	char *note = cat(go_text, "\n", line);
	assert_int_equal(verify_str(note, peter_vkey), TQ_EINVALID);
	free(note);
}

static void test_go_vector_malformed_notes_are_rejected(void **state)
{
	(void)state;
	char *bad[7];
	char truncated[sizeof peter_sig];
	memcpy(truncated, peter_sig, sizeof peter_sig - 2);
	truncated[sizeof peter_sig - 2] = '\0'; /* no final newline */
	bad[0] = cat(go_text, "", "");
	bad[1] = cat(go_text, "\n", "");
	bad[2] = cat(go_text, "\n", truncated);
	bad[3] = cat("\x01", go_text, "\n");
	bad[4] = cat("\xff", go_text, "\n");
	bad[5] = cat(go_text, "\n", "\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/"
				   "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngo"
				   "tpRZb6KE6RyyBwJnAM=");
	char *tmp = cat(go_text, "\n", peter_sig);
	bad[6] = cat(tmp, "Unexpected line.\n", "");
	free(tmp);
	/* bad[3] and bad[4] still need their signature line */
	tmp = cat(bad[3], peter_sig, "");
	free(bad[3]);
	bad[3] = tmp;
	tmp = cat(bad[4], peter_sig, "");
	free(bad[4]);
	bad[4] = tmp;
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(verify_str(bad[i], peter_vkey), TQ_EMALFORMED);
		free(bad[i]);
	}
}

static void test_more_than_100_signatures_is_malformed(void **state)
{
	(void)state;
	size_t lt = strlen(go_text), ls = strlen(peter_sig);
	char *note = malloc(lt + 1 + 101 * ls + 1);
	assert_non_null(note);
	memcpy(note, go_text, lt);
	note[lt] = '\n';
	for (size_t i = 0; i < 101; i++)
		memcpy(note + lt + 1 + i * ls, peter_sig, ls);
	note[lt + 1 + 101 * ls] = '\0';
	assert_int_equal(verify_str(note, peter_vkey), TQ_EMALFORMED);
	/* 100 is still fine */
	note[lt + 1 + 100 * ls] = '\0';
	assert_int_equal(verify_str(note, peter_vkey), 0);
	free(note);
}

static void test_mangled_verifier_keys_never_verify(void **state)
{
	(void)state;
	char *note = cat(go_text, "\n", peter_sig);
	char k[sizeof peter_vkey];
	size_t n = strlen(peter_vkey);
	assert_int_equal(verify_str(note, peter_vkey), 0);
	/* every proper substring (note_test.go TestNewVerifier) */
	for (size_t i = 0; i <= n; i++)
		for (size_t j = i + 1; j <= n; j++) {
			if (i == 0 && j == n)
				continue;
			memcpy(k, peter_vkey + i, j - i);
			k[j - i] = '\0';
			assert_int_not_equal(verify_str(note, k), 0);
		}
	/* every byte incremented */
	for (size_t i = 0; i < n; i++) {
		memcpy(k, peter_vkey, n + 1);
		k[i]++;
		assert_int_not_equal(verify_str(note, k), 0);
	}
	/* wrong-length key with adjusted key id; unknown algorithm likewise */
	assert_int_equal(verify_str(note, "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
					  "LDE4izWy10TWBADKEY=="),
			 TQ_EMALFORMED);
	assert_int_equal(verify_str(note, "PeterNeumann+173116ae+"
					  "ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
			 TQ_EMALFORMED);
	free(note);
}

static void test_vkey_whose_id_does_not_match_its_key_is_malformed(void **state)
{
	(void)state;
	char *note = cat(go_text, "\n", peter_sig);
	/* Peter's name and key id, Enoch's public key */
	assert_int_equal(verify_str(note, "PeterNeumann+c74f20a3+"
					  "ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"),
			 TQ_EMALFORMED);
	/* Peter's key, id off by one */
	assert_int_equal(verify_str(note, "PeterNeumann+c74f20a4+"
					  "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
			 TQ_EMALFORMED);
	free(note);
}

/* ---- round trips and failure probes with a fresh key ------------------- */

struct keys {
	uint8_t pk[32], sk[64];
	char *vkey;
};

static void fresh_keys(struct keys *k, const char *name)
{
	crypto_sign_keypair(k->pk, k->sk);
	assert_int_equal(note_vkey(name, k->pk, &k->vkey), 0);
}

static char *signed_checkpoint(const struct keys *k, const char *name)
{
	uint8_t root[32];
	char *body = NULL, *note = NULL;
	for (int i = 0; i < 32; i++)
		root[i] = (uint8_t)(i * 7);
	assert_int_equal(note_checkpoint_body("tansiq.example/log", 45, root, &body), 0);
	assert_int_equal(note_sign(body, name, k->sk, &note), 0);
	free(body);
	return note;
}

static void test_sign_verify_round_trip_returns_body(void **state)
{
	(void)state;
	struct keys k;
	fresh_keys(&k, "tansiq.example/log");
	char *note = signed_checkpoint(&k, "tansiq.example/log");
	char *body = NULL, *origin = NULL;
	uint64_t size = 0;
	uint8_t root[32];
	assert_int_equal(note_verify(note, strlen(note), k.vkey, &body), 0);
	assert_non_null(body);
	assert_int_equal(note_parse_checkpoint(body, &origin, &size, root), 0);
	assert_string_equal(origin, "tansiq.example/log");
	assert_int_equal(size, 45);
	assert_int_equal(root[31], (uint8_t)(31 * 7));
	/* the note is body, blank line, one signature line */
	assert_memory_equal(note, body, strlen(body));
	assert_memory_equal(note + strlen(body), "\n\xe2\x80\x94 tansiq.example/log ", 24);
	free(origin);
	free(body);
	free(note);
	free(k.vkey);
}

static void test_vkey_is_name_plus_hex_id_plus_base64_alg_and_key(void **state)
{
	(void)state;
	struct keys k;
	uint8_t id[4], raw[33];
	size_t len = 0;
	char hex[9];
	fresh_keys(&k, "tansiq.example/log");
	const char *p1 = strchr(k.vkey, '+');
	assert_non_null(p1);
	assert_int_equal(p1 - k.vkey, strlen("tansiq.example/log"));
	assert_int_equal(p1[9], '+');
	assert_int_equal(note_key_id("tansiq.example/log", k.pk, id), 0);
	snprintf(hex, sizeof hex, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
	assert_memory_equal(p1 + 1, hex, 8);
	assert_int_equal(strlen(p1 + 10), 44);
	assert_int_equal(sodium_base642bin(raw, sizeof raw, p1 + 10, 44, NULL, &len, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(len, 33);
	assert_int_equal(raw[0], 0x01);
	assert_memory_equal(raw + 1, k.pk, 32);
	free(k.vkey);
}

static void test_changed_body_byte_is_invalid(void **state)
{
	(void)state;
	struct keys k;
	fresh_keys(&k, "log");
	char *note = signed_checkpoint(&k, "log");
	char *p = strstr(note, "\n45\n");
	assert_non_null(p);
	p[2] = '6'; /* size 45 -> 46 */
	assert_int_equal(verify_str(note, k.vkey), TQ_EINVALID);
	p[2] = '5';
	assert_int_equal(verify_str(note, k.vkey), 0);
	note[0] ^= 0x01; /* origin 't' -> 'u' */
	assert_int_equal(verify_str(note, k.vkey), TQ_EINVALID);
	free(note);
	free(k.vkey);
}

static void test_changed_signature_byte_is_invalid(void **state)
{
	(void)state;
	struct keys k;
	fresh_keys(&k, "log");
	char *note = signed_checkpoint(&k, "log");
	size_t n = strlen(note);
	/* 20th base64 char from the end: inside the Ed25519 signature */
	char *c = note + n - 20;
	*c = *c == 'A' ? 'B' : 'A';
	assert_int_equal(verify_str(note, k.vkey), TQ_EINVALID);
	free(note);
	free(k.vkey);
}

static void test_wrong_key_is_invalid(void **state)
{
	(void)state;
	struct keys k, other;
	fresh_keys(&k, "log");
	fresh_keys(&other, "log"); /* same name, different key: other key id */
	char *note = signed_checkpoint(&k, "log");
	assert_int_equal(verify_str(note, other.vkey), TQ_EINVALID);
	free(note);
	free(k.vkey);
	free(other.vkey);
}

static void test_wrong_name_is_invalid(void **state)
{
	(void)state;
	struct keys k;
	char *renamed = NULL;
	fresh_keys(&k, "log");
	assert_int_equal(note_vkey("other-log", k.pk, &renamed), 0);
	char *note = signed_checkpoint(&k, "log");
	assert_int_equal(verify_str(note, renamed), TQ_EINVALID);
	free(note);
	free(renamed);
	free(k.vkey);
}

static void test_truncated_signature_is_rejected(void **state)
{
	(void)state;
	struct keys k;
	fresh_keys(&k, "log");
	char *note = signed_checkpoint(&k, "log");
	size_t n = strlen(note);
	/* drop 4 base64 chars (3 signature bytes), keep the newline */
	memmove(note + n - 5, note + n - 1, 2);
	assert_int_not_equal(verify_str(note, k.vkey), 0);
	/* drop the final newline only */
	free(note);
	note = signed_checkpoint(&k, "log");
	assert_int_equal(note_verify(note, n - 1, k.vkey, NULL), TQ_EMALFORMED);
	/* cut in the middle of the signature line */
	assert_int_equal(note_verify(note, n - 30, k.vkey, NULL), TQ_EMALFORMED);
	free(note);
	free(k.vkey);
}

static void test_oversized_note_is_too_big(void **state)
{
	(void)state;
	size_t n = TQ_MAX_NOTE_BYTES + 1;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	assert_int_equal(note_verify(big, n, peter_vkey, NULL), TQ_ETOOBIG);
	free(big);
}

static void test_sign_rejects_bad_body_and_names(void **state)
{
	(void)state;
	struct keys k;
	char *out = (char *)1;
	fresh_keys(&k, "log");
	assert_int_equal(note_sign("no newline", "log", k.sk, &out), TQ_EMALFORMED);
	assert_null(out);
	assert_int_equal(note_sign("", "log", k.sk, &out), TQ_EMALFORMED);
	assert_int_equal(note_sign("tab\there\n", "log", k.sk, &out), TQ_EMALFORMED);
	assert_int_equal(note_sign("bad \xc3\x28 utf8\n", "log", k.sk, &out), TQ_EMALFORMED);
	assert_int_equal(note_sign("ok\n", "", k.sk, &out), TQ_EMALFORMED);
	assert_int_equal(note_sign("ok\n", "a b", k.sk, &out), TQ_EMALFORMED);
	assert_int_equal(note_sign("ok\n", "a+b", k.sk, &out), TQ_EMALFORMED);
	assert_int_equal(note_sign("ok\n", "nb\xc2\xa0sp", k.sk, &out), TQ_EMALFORMED);
	assert_int_equal(note_vkey("a+b", k.pk, &out), TQ_EMALFORMED);
	assert_int_equal(note_sign("ok\n", "l\xc3\xb6g", k.sk, &out), 0); /* UTF-8 name */
	free(out);
	free(k.vkey);
}

/* ---- checkpoint body ----------------------------------------------------- */

static void test_checkpoint_body_format(void **state)
{
	(void)state;
	static const uint8_t root[32] = {
		0x5d, 0xc9, 0xda, 0x79, 0xa7, 0x06, 0x59, 0xa9, 0xad, 0x55, 0x9c,
		0xb7, 0x01, 0xde, 0xd9, 0xa2, 0xab, 0x9d, 0x82, 0x3a, 0xad, 0x2f,
		0x49, 0x60, 0xcf, 0xe3, 0x70, 0xef, 0xf4, 0x60, 0x43, 0x28,
	};
	char *body = NULL;
	assert_int_equal(note_checkpoint_body("example.org/log", 8, root, &body), 0);
	assert_string_equal(body, "example.org/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
	free(body);
	assert_int_equal(note_checkpoint_body("example.org/log", UINT64_MAX, root, &body), 0);
	assert_non_null(strstr(body, "\n18446744073709551615\n"));
	free(body);
	body = (char *)1;
	assert_int_equal(note_checkpoint_body("", 1, root, &body), TQ_EMALFORMED);
	assert_null(body);
	assert_int_equal(note_checkpoint_body("a\nb", 1, root, &body), TQ_EMALFORMED);
}

static void test_parse_checkpoint_accepts_extensions(void **state)
{
	(void)state;
	char *origin = NULL;
	uint64_t size = 1;
	uint8_t root[32];
	assert_int_equal(note_parse_checkpoint("o\n0\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
					       "ext one\next two\n",
					       &origin, &size, root),
			 0);
	assert_string_equal(origin, "o");
	assert_int_equal(size, 0);
	assert_int_equal(root[0], 0x5d);
	assert_int_equal(root[31], 0x28);
	free(origin);
	origin = NULL;
	assert_int_equal(note_parse_checkpoint("o\n18446744073709551615\n"
					       "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
					       &origin, &size, root),
			 0);
	assert_int_equal(size, UINT64_MAX);
	free(origin);
}

static void test_parse_checkpoint_rejects_malformed(void **state)
{
	(void)state;
#define R "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
	static const char *const bad[] = {
		"",
		"o\n",                                    /* missing lines */
		"o\n5\n",                                 /* missing root */
		"o\n5\n" R,                               /* no final newline */
		"\n5\n" R "\n",                           /* empty origin */
		"o\n\n" R "\n",                           /* empty size */
		"o\n-1\n" R "\n",                         /* negative */
		"o\n+1\n" R "\n",                         /* sign */
		"o\n05\n" R "\n",                         /* leading zero */
		"o\n00\n" R "\n",                         /* leading zero */
		"o\n 5\n" R "\n",                         /* space */
		"o\n5 \n" R "\n",                         /* space */
		"o\n0x5\n" R "\n",                        /* hex */
		"o\n18446744073709551616\n" R "\n",       /* overflow */
		"o\n99999999999999999999999\n" R "\n",    /* overflow */
		"o\n5\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",   /* no padding */
		"o\n5\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n",  /* non-canonical */
		"o\n5\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ*g=\n",  /* bad char */
		"o\n5\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ==\n",   /* 31 bytes */
		"o\n5\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=AAAA\n", /* 35 bytes */
		"o\n5\nXcnaeacGWamtVZy3Ad7Zoqudgjqt_L0lgz-Nw7/RgQyg=\n", /* url alphabet */
		"o\n5\n" R "\n\n",                        /* empty extension line */
		"o\n5\n" R "\next\n\n",                   /* empty extension line */
		"o\x01\n5\n" R "\n",                      /* control character */
		"o\n5\r\n" R "\n",                        /* CRLF */
	};
#undef R
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *origin = (char *)1;
		uint64_t size = 7;
		uint8_t root[32] = {0};
		int rc = note_parse_checkpoint(bad[i], &origin, &size, root);
		if (rc != TQ_EMALFORMED)
			fail_msg("case %zu accepted or wrong code %d: %s", i, rc, bad[i]);
		assert_null(origin);
		assert_int_equal(size, 7); /* untouched on failure */
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_vector_vkey_from_seed),
		cmocka_unit_test(test_go_vector_signature_is_reproduced),
		cmocka_unit_test(test_go_vector_note_with_two_signers_opens_for_each),
		cmocka_unit_test(test_each_sig_visits_only_the_keys_lines),
		cmocka_unit_test(test_go_vector_corrupted_signature_is_invalid),
		cmocka_unit_test(test_go_vector_malformed_notes_are_rejected),
		cmocka_unit_test(test_more_than_100_signatures_is_malformed),
		cmocka_unit_test(test_mangled_verifier_keys_never_verify),
		cmocka_unit_test(test_vkey_whose_id_does_not_match_its_key_is_malformed),
		cmocka_unit_test(test_sign_verify_round_trip_returns_body),
		cmocka_unit_test(test_vkey_is_name_plus_hex_id_plus_base64_alg_and_key),
		cmocka_unit_test(test_changed_body_byte_is_invalid),
		cmocka_unit_test(test_changed_signature_byte_is_invalid),
		cmocka_unit_test(test_wrong_key_is_invalid),
		cmocka_unit_test(test_wrong_name_is_invalid),
		cmocka_unit_test(test_truncated_signature_is_rejected),
		cmocka_unit_test(test_oversized_note_is_too_big),
		cmocka_unit_test(test_sign_rejects_bad_body_and_names),
		cmocka_unit_test(test_checkpoint_body_format),
		cmocka_unit_test(test_parse_checkpoint_accepts_extensions),
		cmocka_unit_test(test_parse_checkpoint_rejects_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
