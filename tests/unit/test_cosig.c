/*
 * test_cosig — C2SP tlog-cosignature (Ed25519 cosignature/v1) and the
 * tlog-witness add-checkpoint request and rules.
 *
 * Where each vector comes from (C2SP/C2SP at 5ba5ee8):
 *  [S1] tlog-cosignature.md, "Format": the example checkpoint of
 *       example.com/behind-the-sofa and its cosignature line by
 *       witness.example.com/w1 (key id 8d66cf3f, timestamp 1679315147; the
 *       spec publishes no public key for it, so only its fields are checked).
 *  [S2] tlog-cosignature.md, "Ed25519 signed message": the signed message for
 *       that checkpoint at time 1679315147, byte for byte.
 *  [S3] RFC 8032 §7.1 TEST 1 secret key, named witness.example.com/w1, over
 *       [S1]'s checkpoint at [S1]'s time: key id, vkey and cosignature line
 *       computed independently with Python's hashlib and the `cryptography`
 *       package's Ed25519 from the formulas of tlog-cosignature.md (key id
 *       SHA-256(name || "\n" || 0x04 || pk)[:4], line base64(id || u64be t ||
 *       sig)); Ed25519 is deterministic, so the line must be reproduced.
 *  [S4] tlog-witness.md, "add-checkpoint": the example request body.
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

#include "core/cosig.h"
#include "core/limits.h"
#include "core/mlog.h"
#include "core/note.h"

#define DASH "\xe2\x80\x94 "

/* [S1] */
static const char spec_body[] = "example.com/behind-the-sofa\n"
				"20852163\n"
				"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
static const char spec_cosig_b64[] = "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
				     "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
static const uint64_t spec_time = 1679315147;
/* [S2] */
static const char spec_message[] = "cosignature/v1\n"
				   "time 1679315147\n"
				   "example.com/behind-the-sofa\n"
				   "20852163\n"
				   "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
/* [S3] */
static const char rfc8032_seed_hex[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char s3_name[] = "witness.example.com/w1";
static const char s3_vkey[] = "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
static const char s3_line[] = DASH "witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeR"
			      "F/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n";
/* [S4] */
static const char spec_request[] =
	"old 20852014\n"
	"PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
	"jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
	"5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
	"/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
	"\n"
	"example.com/behind-the-sofa\n"
	"20852163\n"
	"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	"\n"
	DASH "example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
	DASH "example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";

static void s3_keys(uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	assert_int_equal(sodium_hex2bin(seed, sizeof seed, rfc8032_seed_hex, 64, NULL, NULL, NULL), 0);
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

static char *cat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);
	assert_non_null(s);
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

/* A note: body, blank line, then the given signature lines. */
static char *note_of(const char *body, const char *lines)
{
	char *b = cat(body, "\n"), *n = cat(b, lines);
	free(b);
	return n;
}

static void test_spec_example_line_fields(void **state)
{
	uint8_t id[4];
	uint64_t t = 0;
	(void)state;
	assert_int_equal(cosig_line_fields(spec_cosig_b64, strlen(spec_cosig_b64), id, &t), 0);
	assert_memory_equal(id, "\x8d\x66\xcf\x3f", 4);
	assert_int_equal(t, spec_time);
}

static void test_spec_signed_message_bytes(void **state)
{
	char *m = NULL;
	size_t len = 0;
	(void)state;
	assert_int_equal(cosig_message(spec_body, spec_time, &m, &len), 0);
	assert_int_equal(len, strlen(spec_message));
	assert_memory_equal(m, spec_message, len);
	free(m);
}

static void test_rfc8032_key_id_and_vkey(void **state)
{
	uint8_t pk[32], sk[64], id[4];
	char *vkey = NULL;
	(void)state;
	s3_keys(pk, sk);
	assert_int_equal(cosig_key_id(s3_name, pk, id), 0);
	assert_memory_equal(id, "\x7e\x6f\x4a\xaa", 4);
	assert_int_equal(cosig_vkey(s3_name, pk, &vkey), 0);
	assert_string_equal(vkey, s3_vkey);
	free(vkey);
}

static void test_rfc8032_cosignature_line_is_reproduced(void **state)
{
	uint8_t pk[32], sk[64];
	char *line = NULL;
	(void)state;
	s3_keys(pk, sk);
	assert_int_equal(cosig_sign(spec_body, s3_name, sk, spec_time, &line), 0);
	assert_string_equal(line, s3_line);
	free(line);
}

static void test_rfc8032_cosigned_note_verifies_with_timestamp(void **state)
{
	char *note = note_of(spec_body, s3_line);
	uint64_t t = 0;
	(void)state;
	assert_int_equal(cosig_verify(note, strlen(note), s3_vkey, &t), 0);
	assert_int_equal(t, spec_time);
	free(note);
}

static void test_cosignature_beside_log_signature(void **state)
{
	uint8_t lpk[32], lsk[64], pk[32], sk[64];
	char *signed_note = NULL, *lvkey = NULL, *line = NULL, *all;
	(void)state;
	crypto_sign_keypair(lpk, lsk);
	s3_keys(pk, sk);
	assert_int_equal(note_sign(spec_body, "example.com/behind-the-sofa", lsk, &signed_note), 0);
	assert_int_equal(note_vkey("example.com/behind-the-sofa", lpk, &lvkey), 0);
	assert_int_equal(cosig_sign(spec_body, s3_name, sk, 1700000000, &line), 0);
	all = cat(signed_note, line);
	/* Each verifier ignores the other's line. */
	assert_int_equal(note_verify(all, strlen(all), lvkey, NULL), 0);
	assert_int_equal(cosig_verify(all, strlen(all), s3_vkey, NULL), 0);
	/* The log's note alone has no cosignature; the log key is no cosigner. */
	assert_int_equal(cosig_verify(signed_note, strlen(signed_note), s3_vkey, NULL), TQ_EINVALID);
	assert_int_equal(cosig_verify(all, strlen(all), lvkey, NULL), TQ_EMALFORMED);
	free(all);
	free(line);
	free(lvkey);
	free(signed_note);
}

static void test_changed_timestamp_body_or_signature_is_invalid(void **state)
{
	(void)state;
	/* Flip one bit in each region of the base64 text: key id (chars 0-5),
	 * timestamp (6-15), signature (16-); and one body byte. */
	static const size_t where[] = {9, 14, 30, 80, 99};
	const char *b64 = strchr(s3_line + 4, ' ') + 1;
	for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
		char *note = note_of(spec_body, s3_line);
		char *p = note + strlen(spec_body) + 1 + (size_t)(b64 - s3_line) + where[i];
		*p = *p == 'A' ? 'B' : 'A';
		int rc = cosig_verify(note, strlen(note), s3_vkey, NULL);
		assert_true(rc == TQ_EINVALID || rc == TQ_EMALFORMED);
		free(note);
	}
	char *note = note_of(spec_body, s3_line);
	note[30] = '4'; /* size 20852163 -> 20452163 */
	assert_int_equal(cosig_verify(note, strlen(note), s3_vkey, NULL), TQ_EINVALID);
	free(note);
}

static void test_ed25519_note_vkey_is_not_a_cosigner_key(void **state)
{
	uint8_t pk[32], sk[64];
	char *v1 = NULL, *note = note_of(spec_body, s3_line);
	(void)state;
	s3_keys(pk, sk);
	/* Same name and key, signature type 0x01: another key id, a malformed cosigner vkey. */
	assert_int_equal(note_vkey(s3_name, pk, &v1), 0);
	assert_int_equal(cosig_verify(note, strlen(note), v1, NULL), TQ_EMALFORMED);
	free(v1);
	free(note);
}

static void test_sign_refuses_zero_time_and_bad_body(void **state)
{
	uint8_t pk[32], sk[64];
	char *line = (char *)1;
	(void)state;
	s3_keys(pk, sk);
	assert_int_equal(cosig_sign(spec_body, s3_name, sk, 0, &line), TQ_EMALFORMED);
	assert_null(line);
	assert_int_equal(cosig_sign(spec_body, s3_name, sk, (uint64_t)INT64_MAX + 1, &line), TQ_EMALFORMED);
	assert_int_equal(cosig_sign("no final newline", s3_name, sk, 1, &line), TQ_EMALFORMED);
	assert_int_equal(cosig_sign(spec_body, "bad name", sk, 1, &line), TQ_EMALFORMED);
}

static void test_spec_request_parses(void **state)
{
	struct cosig_request rq;
	uint8_t first[32];
	(void)state;
	assert_int_equal(cosig_request_parse(spec_request, strlen(spec_request), &rq), 0);
	assert_int_equal(rq.old_size, 20852014);
	assert_int_equal(rq.proof_len, 4);
	assert_int_equal(note_b64_exact("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=", 44, first, 32), 0);
	assert_memory_equal(rq.proof[0], first, 32);
	assert_int_equal(rq.note_len, strlen(strstr(spec_request, "example.com/")));
	assert_memory_equal(rq.note, "example.com/behind-the-sofa\n20852163\n", 37);
}

static void test_request_format_round_trips(void **state)
{
	struct cosig_request rq, back;
	char *text = NULL;
	size_t len = 0;
	(void)state;
	assert_int_equal(cosig_request_parse(spec_request, strlen(spec_request), &rq), 0);
	char *note = strndup(rq.note, rq.note_len);
	assert_int_equal(cosig_request_format(rq.old_size, (const uint8_t(*)[32])rq.proof, rq.proof_len,
					      note, &text, &len),
			 0);
	assert_int_equal(len, strlen(spec_request));
	assert_memory_equal(text, spec_request, len);
	assert_int_equal(cosig_request_parse(text, len, &back), 0);
	free(text);
	free(note);
}

static void test_malformed_requests_are_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"old 1\n",                              /* no empty line */
		"old 01\n\nx\n",                        /* leading zero */
		"old -1\n\nx\n",
		"old  1\n\nx\n",
		"Old 1\n\nx\n",
		"old 1\nnot base64\n\nx\n",
		"old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkQ==\n\nx\n", /* 31 bytes */
		"old 18446744073709551616\n\nx\n",     /* 2^64 */
		"old 1\n\n",                            /* no note */
	};
	struct cosig_request rq;
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(cosig_request_parse(bad[i], strlen(bad[i]), &rq), TQ_EMALFORMED);
}

static void test_more_than_63_proof_lines_is_too_big(void **state)
{
	char buf[8192];
	size_t off = (size_t)snprintf(buf, sizeof buf, "old 5\n");
	struct cosig_request rq;
	(void)state;
	for (int i = 0; i < 64; i++)
		off += (size_t)snprintf(buf + off, sizeof buf - off, "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n");
	off += (size_t)snprintf(buf + off, sizeof buf - off, "\nx\n");
	assert_int_equal(cosig_request_parse(buf, off, &rq), TQ_ETOOBIG);
}

/* ---- witness rules (tlog-witness, add-checkpoint) ---- */

static void leaf(uint64_t i, uint8_t out[32])
{
	char s[32];
	snprintf(s, sizeof s, "leaf %llu", (unsigned long long)i);
	mlog_leaf_hash(s, strlen(s), out);
}

/* An in-memory tree of up to 16 leaves for the mlog callbacks. */
struct tree {
	uint8_t node[6][16][32];
};

static int get_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	memcpy(out, ((struct tree *)ctx)->node[level][index], 32);
	return 0;
}

static int put_node(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	memcpy(((struct tree *)ctx)->node[level][index], hash, 32);
	return 0;
}

static void grow(struct tree *t, uint64_t from, uint64_t to, uint64_t salt)
{
	for (uint64_t i = from; i < to; i++) {
		uint8_t h[32];
		leaf(i + salt, h);
		assert_int_equal(mlog_append(i, h, get_node, put_node, t), 0);
	}
}

static void proof(struct tree *t, uint64_t m, uint64_t n, struct cosig_request *rq)
{
	rq->old_size = m;
	rq->proof_len = 0;
	if (m > 0)
		assert_int_equal(mlog_consistency_proof(m, n, get_node, t, rq->proof, &rq->proof_len), 0);
}

static void test_witness_accepts_growth_and_refuses_the_rest(void **state)
{
	struct tree *t = calloc(1, sizeof *t), *fork = calloc(1, sizeof *fork);
	uint8_t r5[32], r9[32], f9[32], empty[32];
	struct cosig_request rq = {0};
	(void)state;
	grow(t, 0, 9, 0);
	assert_int_equal(mlog_root(5, get_node, t, r5), 0);
	assert_int_equal(mlog_root(9, get_node, t, r9), 0);
	/* The same first 3 leaves, then other ones: a fork that rewrote leaves
	 * 3 and 4 of the size-5 tree the witness cosigned. */
	grow(fork, 0, 3, 0);
	grow(fork, 3, 9, 100);
	assert_int_equal(mlog_root(9, get_node, fork, f9), 0);
	crypto_hash_sha256(empty, NULL, 0);

	/* First contact: old 0, no proof. */
	proof(t, 0, 5, &rq);
	assert_int_equal(cosig_witness_check(0, empty, &rq, 5, r5), 0);
	/* Growth 5 -> 9 with a valid proof. */
	proof(t, 5, 9, &rq);
	assert_int_equal(cosig_witness_check(5, r5, &rq, 9, r9), 0);
	/* The fork's 9, with its own proof from 5: it fails against the cosigned root (422). */
	proof(fork, 5, 9, &rq);
	assert_int_equal(cosig_witness_check(5, r5, &rq, 9, f9), TQ_EINVALID);
	/* Same size, same root: fine; another root: 422. */
	proof(t, 9, 9, &rq);
	assert_int_equal(cosig_witness_check(9, r9, &rq, 9, r9), 0);
	assert_int_equal(cosig_witness_check(9, r9, &rq, 9, f9), TQ_EINVALID);
	/* Old size not the latest cosigned: 409. */
	proof(t, 5, 9, &rq);
	assert_int_equal(cosig_witness_check(9, r9, &rq, 9, r9), TQ_ECONFLICT);
	rq.old_size = 0;
	rq.proof_len = 0;
	assert_int_equal(cosig_witness_check(9, r9, &rq, 9, r9), TQ_ECONFLICT);
	/* Old size above the checkpoint's: 400. */
	proof(t, 9, 9, &rq);
	assert_int_equal(cosig_witness_check(9, r9, &rq, 5, r5), TQ_EMALFORMED);
	/* Old size 0 with a proof: 422. Size 0 without the empty root: 422. */
	proof(t, 5, 9, &rq);
	rq.old_size = 0;
	assert_int_equal(cosig_witness_check(0, empty, &rq, 9, r9), TQ_EINVALID);
	rq.proof_len = 0;
	assert_int_equal(cosig_witness_check(0, empty, &rq, 0, r5), TQ_EINVALID);
	assert_int_equal(cosig_witness_check(0, empty, &rq, 0, empty), 0);
	free(t);
	free(fork);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example_line_fields),
		cmocka_unit_test(test_spec_signed_message_bytes),
		cmocka_unit_test(test_rfc8032_key_id_and_vkey),
		cmocka_unit_test(test_rfc8032_cosignature_line_is_reproduced),
		cmocka_unit_test(test_rfc8032_cosigned_note_verifies_with_timestamp),
		cmocka_unit_test(test_cosignature_beside_log_signature),
		cmocka_unit_test(test_changed_timestamp_body_or_signature_is_invalid),
		cmocka_unit_test(test_ed25519_note_vkey_is_not_a_cosigner_key),
		cmocka_unit_test(test_sign_refuses_zero_time_and_bad_body),
		cmocka_unit_test(test_spec_request_parses),
		cmocka_unit_test(test_request_format_round_trips),
		cmocka_unit_test(test_malformed_requests_are_refused),
		cmocka_unit_test(test_more_than_63_proof_lines_is_too_big),
		cmocka_unit_test(test_witness_accepts_growth_and_refuses_the_rest),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
