/*
 * test_mlog — RFC 9162 Merkle tree: known answers (certificate-transparency
 * test vectors), an independent recursive reference (MTH, PATH, SUBPROOF
 * written from the RFC's definitions over a leaf array), an independent
 * verifier written from the RFC's verification text, and mutation probes.
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

#include "core/mlog.h"

#define MAX_LEAVES 256
#define MAX_LEVELS 9 /* 2^8 = 256 */

/* ---- array-backed node store ------------------------------------------ */

struct store {
	uint8_t node[MAX_LEVELS][MAX_LEAVES][32];
	uint8_t has[MAX_LEVELS][MAX_LEAVES];
	unsigned gets, puts, nodes;
	int fail_get; /* if nonzero, every get returns this */
};

static int store_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct store *s = ctx;
	s->gets++;
	if (s->fail_get)
		return s->fail_get;
	if (level >= MAX_LEVELS || index >= MAX_LEAVES || !s->has[level][index])
		return TQ_ENOTFOUND;
	memcpy(out, s->node[level][index], 32);
	return 0;
}

static int store_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	struct store *s = ctx;
	s->puts++;
	/* Nodes are immutable: a second write is a bug in mlog. */
	if (level >= MAX_LEVELS || index >= MAX_LEAVES || s->has[level][index])
		return TQ_EINTERNAL;
	memcpy(s->node[level][index], hash, 32);
	s->has[level][index] = 1;
	s->nodes++;
	return 0;
}

/* ---- leaves and the independent reference ----------------------------- */

/* The eight certificate-transparency test leaves, then "leaf-<i>". */
static const char *const ct_leaves_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static void hex_to_bin(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	*len = n;
}

static void hex32(const char *hex, uint8_t out[32])
{
	size_t len;
	assert_int_equal(strlen(hex), 64);
	hex_to_bin(hex, out, &len);
}

static void leaf_data(unsigned i, uint8_t *buf, size_t *len)
{
	if (i < 8) {
		hex_to_bin(ct_leaves_hex[i], buf, len);
	} else {
		int n = snprintf((char *)buf, 32, "leaf-%u", i);
		*len = (size_t)n;
	}
}

/* Hashes computed here directly with SHA-256, not through mlog. */
static void ref_leaf_hash(unsigned i, uint8_t out[32])
{
	uint8_t buf[40];
	size_t len;
	buf[0] = 0x00;
	leaf_data(i, buf + 1, &len);
	crypto_hash_sha256(out, buf, len + 1);
}

static void ref_node(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t buf[65];
	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	crypto_hash_sha256(out, buf, sizeof buf);
}

static uint64_t ref_k(uint64_t n)
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

/* RFC 9162 §2.1.1: MTH(D[lo:hi]). */
static void ref_mth(uint64_t lo, uint64_t hi, uint8_t out[32])
{
	if (hi == lo) {
		crypto_hash_sha256(out, NULL, 0);
	} else if (hi - lo == 1) {
		ref_leaf_hash((unsigned)lo, out);
	} else {
		uint8_t l[32], r[32];
		uint64_t k = ref_k(hi - lo);
		ref_mth(lo, lo + k, l);
		ref_mth(lo + k, hi, r);
		ref_node(l, r, out);
	}
}

/* RFC 9162 §2.1.3.1: PATH(m, D[lo:hi]), appended to out. */
static void ref_path(uint64_t m, uint64_t lo, uint64_t hi, uint8_t out[][32], size_t *n)
{
	if (hi - lo <= 1)
		return;
	uint64_t k = ref_k(hi - lo);
	if (m < k) {
		ref_path(m, lo, lo + k, out, n);
		ref_mth(lo + k, hi, out[(*n)++]);
	} else {
		ref_path(m - k, lo + k, hi, out, n);
		ref_mth(lo, lo + k, out[(*n)++]);
	}
}

/* RFC 9162 §2.1.4.1: SUBPROOF(m, D[lo:hi], b), appended to out. */
static void ref_subproof(uint64_t m, uint64_t lo, uint64_t hi, int b, uint8_t out[][32],
			 size_t *n)
{
	if (m == hi - lo) {
		if (!b)
			ref_mth(lo, hi, out[(*n)++]);
		return;
	}
	uint64_t k = ref_k(hi - lo);
	if (m <= k) {
		ref_subproof(m, lo, lo + k, b, out, n);
		ref_mth(lo + k, hi, out[(*n)++]);
	} else {
		ref_subproof(m - k, lo + k, hi, 0, out, n);
		ref_mth(lo, lo + k, out[(*n)++]);
	}
}

/* ---- verifiers transcribed from the RFC text, independent of mlog ----- */

/* RFC 9162 §2.1.3.2. Returns 1 if valid. */
static int rfc_inclusion_ok(uint64_t leaf_index, uint64_t tree_size, const uint8_t hash[32],
			    const uint8_t path[][32], size_t count, const uint8_t root[32])
{
	/* 1. Compare leaf_index against tree_size; if >=, fail. */
	if (leaf_index >= tree_size)
		return 0;
	/* 2. fn = leaf_index, sn = tree_size - 1. */
	uint64_t fn = leaf_index, sn = tree_size - 1;
	/* 3. r = hash. */
	uint8_t r[32];
	memcpy(r, hash, 32);
	/* 4. For each value p in the inclusion_path array: */
	for (size_t i = 0; i < count; i++) {
		const uint8_t *p = path[i];
		/* a. If sn is 0, then stop the iteration and fail. */
		if (sn == 0)
			return 0;
		/* b. If LSB(fn) is set, or if fn is equal to sn, then: */
		if ((fn & 1) == 1 || fn == sn) {
			/* i. r = HASH(0x01 || p || r) */
			ref_node(p, r, r);
			/* ii. If LSB(fn) is not set, right-shift both fn and
			 * sn equally until either LSB(fn) is set or fn is 0. */
			if ((fn & 1) == 0)
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			/* Otherwise: r = HASH(0x01 || r || p). */
			ref_node(r, p, r);
		}
		/* c. Finally, right-shift both fn and sn one time. */
		fn >>= 1;
		sn >>= 1;
	}
	/* 5. Compare sn to 0 and r against root_hash. */
	return sn == 0 && memcmp(r, root, 32) == 0;
}

/* RFC 9162 §2.1.4.2 (first < second; first == second handled by caller).
 * Returns 1 if valid. */
static int rfc_consistency_ok(uint64_t first, uint64_t second, const uint8_t first_hash[32],
			      const uint8_t second_hash[32], const uint8_t proof[][32],
			      size_t count)
{
	uint8_t path[MLOG_MAX_PROOF + 1][32];
	size_t len = 0;

	if (first == second)
		return count == 0 && memcmp(first_hash, second_hash, 32) == 0;
	if (first == 0 || first > second || count > MLOG_MAX_PROOF)
		return 0;
	/* 1. If consistency_path is an empty array, stop and fail. */
	if (count == 0)
		return 0;
	/* 2. If first is an exact power of 2, prepend first_hash. */
	if ((first & (first - 1)) == 0)
		memcpy(path[len++], first_hash, 32);
	for (size_t i = 0; i < count; i++)
		memcpy(path[len++], proof[i], 32);
	/* 3. fn = first - 1, sn = second - 1. */
	uint64_t fn = first - 1, sn = second - 1;
	/* 4. If LSB(fn) is set, right-shift fn and sn equally until not. */
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* 5. fr and sr = the first value in consistency_path. */
	uint8_t fr[32], sr[32];
	memcpy(fr, path[0], 32);
	memcpy(sr, path[0], 32);
	/* 6. For each subsequent value c: */
	for (size_t i = 1; i < len; i++) {
		const uint8_t *c = path[i];
		/* a. If sn is 0, then stop the iteration and fail. */
		if (sn == 0)
			return 0;
		/* b. If LSB(fn) is set, or if fn is equal to sn, then: */
		if ((fn & 1) == 1 || fn == sn) {
			ref_node(c, fr, fr);
			ref_node(c, sr, sr);
			if ((fn & 1) == 0)
				while ((fn & 1) == 0 && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			ref_node(sr, c, sr);
		}
		/* c. Finally, right-shift both fn and sn one time. */
		fn >>= 1;
		sn >>= 1;
	}
	/* 7. fr == first_hash, sr == second_hash and sn == 0. */
	return memcmp(fr, first_hash, 32) == 0 && memcmp(sr, second_hash, 32) == 0 && sn == 0;
}

/* ---- fixtures ------------------------------------------------------------ */

static struct store *new_log(unsigned n)
{
	struct store *s = calloc(1, sizeof *s);
	assert_non_null(s);
	for (unsigned i = 0; i < n; i++) {
		uint8_t h[32];
		ref_leaf_hash(i, h);
		assert_int_equal(mlog_append(i, h, store_get, store_put, s), 0);
	}
	return s;
}

static void expect_hex(const uint8_t got[32], const char *hex)
{
	uint8_t want[32];
	hex32(hex, want);
	assert_memory_equal(got, want, 32);
}

static const char *const ct_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* ---- hashing and roots --------------------------------------------------- */

static void test_leaf_hash_prefixes_zero_byte(void **state)
{
	(void)state;
	uint8_t h[32];
	mlog_leaf_hash("", 0, h);
	expect_hex(h, ct_roots[1]); /* root of the one-leaf tree {""} */
}

static void test_node_hash_prefixes_one_byte(void **state)
{
	(void)state;
	uint8_t a[32], b[32], h[32];
	mlog_leaf_hash("", 0, a);
	mlog_leaf_hash("\x00", 1, b);
	mlog_node_hash(a, b, h);
	expect_hex(h, ct_roots[2]);
	/* out aliasing an input gives the same answer */
	mlog_node_hash(a, b, a);
	expect_hex(a, ct_roots[2]);
}

static void test_empty_root_is_sha256_of_empty_string(void **state)
{
	(void)state;
	struct store *s = new_log(0);
	uint8_t r[32];
	assert_int_equal(mlog_root(0, store_get, s, r), 0);
	expect_hex(r, ct_roots[0]);
	assert_int_equal(s->gets, 0);
	free(s);
}

static void test_roots_match_ct_vectors_for_sizes_1_to_8(void **state)
{
	(void)state;
	struct store *s = new_log(8);
	for (unsigned n = 1; n <= 8; n++) {
		uint8_t r[32];
		assert_int_equal(mlog_root(n, store_get, s, r), 0);
		expect_hex(r, ct_roots[n]);
	}
	free(s);
}

static void test_roots_for_0_1_2_3_7_8_leaves_match_recursive_mth(void **state)
{
	(void)state;
	static const unsigned sizes[] = {0, 1, 2, 3, 7, 8};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		/* A fresh log of exactly this size: no node beyond it exists. */
		struct store *s = new_log(sizes[i]);
		uint8_t got[32], want[32];
		assert_int_equal(mlog_root(sizes[i], store_get, s, got), 0);
		ref_mth(0, sizes[i], want);
		assert_memory_equal(got, want, 32);
		free(s);
	}
}

static void test_root_matches_recursive_mth_for_sizes_1_to_200(void **state)
{
	(void)state;
	struct store *s = new_log(200);
	for (unsigned n = 1; n <= 200; n++) {
		uint8_t got[32], want[32];
		s->gets = 0;
		assert_int_equal(mlog_root(n, store_get, s, got), 0);
		ref_mth(0, n, want);
		assert_memory_equal(got, want, 32);
		/* one stored node per set bit of n, nothing recomputed */
		assert_int_equal(s->gets, (unsigned)__builtin_popcount(n));
	}
	free(s);
}

static void test_append_stores_each_perfect_subtree_once(void **state)
{
	(void)state;
	struct store *s = new_log(7);
	assert_int_equal(s->nodes, 7 + 3 + 1);
	uint8_t h[32];
	ref_leaf_hash(7, h);
	s->puts = 0;
	s->gets = 0;
	assert_int_equal(mlog_append(7, h, store_get, store_put, s), 0);
	/* leaf 7 completes (1,3), (2,1) and (3,0) */
	assert_int_equal(s->puts, 4);
	assert_int_equal(s->gets, 3);
	assert_int_equal(s->nodes, 8 + 4 + 2 + 1);
	uint8_t want[32];
	ref_mth(0, 8, want);
	assert_memory_equal(s->node[3][0], want, 32);
	free(s);
}

static void test_store_errors_propagate(void **state)
{
	(void)state;
	struct store *s = new_log(5);
	uint8_t r[32], proof[MLOG_MAX_PROOF][32];
	size_t count = 99;
	s->fail_get = TQ_EIO;
	assert_int_equal(mlog_root(5, store_get, s, r), TQ_EIO);
	assert_int_equal(mlog_inclusion_proof(1, 5, store_get, s, proof, &count), TQ_EIO);
	assert_int_equal(mlog_consistency_proof(3, 5, store_get, s, proof, &count), TQ_EIO);
	ref_leaf_hash(5, r);
	assert_int_equal(mlog_append(5, r, store_get, store_put, s), TQ_EIO);
	free(s);
}

static void test_missing_node_is_reported_not_invented(void **state)
{
	(void)state;
	struct store *s = new_log(4);
	uint8_t r[32];
	/* size 5 needs node (0,4), which was never appended */
	assert_int_equal(mlog_root(5, store_get, s, r), TQ_ENOTFOUND);
	free(s);
}

/* ---- inclusion ----------------------------------------------------------- */

static void test_inclusion_proofs_match_ct_vectors(void **state)
{
	(void)state;
	struct store *s = new_log(8);
	uint8_t proof[MLOG_MAX_PROOF][32];
	size_t count;

	assert_int_equal(mlog_inclusion_proof(0, 8, store_get, s, proof, &count), 0);
	assert_int_equal(count, 3);
	expect_hex(proof[0], "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
	expect_hex(proof[1], "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
	expect_hex(proof[2], "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");

	assert_int_equal(mlog_inclusion_proof(5, 8, store_get, s, proof, &count), 0);
	assert_int_equal(count, 3);
	expect_hex(proof[0], "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
	expect_hex(proof[1], "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0");
	expect_hex(proof[2], "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");

	assert_int_equal(mlog_inclusion_proof(0, 1, store_get, s, proof, &count), 0);
	assert_int_equal(count, 0);
	free(s);
}

static void test_inclusion_proofs_for_every_index_up_to_size_64_verify(void **state)
{
	(void)state;
	struct store *s = new_log(64);
	for (uint64_t n = 1; n <= 64; n++) {
		uint8_t root[32];
		ref_mth(0, n, root);
		for (uint64_t i = 0; i < n; i++) {
			uint8_t proof[MLOG_MAX_PROOF][32], want[MLOG_MAX_PROOF][32], leaf[32];
			size_t count = 0, want_count = 0;
			assert_int_equal(mlog_inclusion_proof(i, n, store_get, s, proof, &count), 0);
			ref_path(i, 0, n, want, &want_count);
			assert_int_equal(count, want_count);
			if (count > 0)
				assert_memory_equal(proof, want, count * 32);
			ref_leaf_hash((unsigned)i, leaf);
			assert_int_equal(mlog_verify_inclusion(i, n, leaf, proof, count, root), 0);
			assert_true(rfc_inclusion_ok(i, n, leaf, proof, count, root));
		}
	}
	free(s);
}

/* Both verifiers must reject; returns nothing, asserts. */
static void expect_inclusion_rejected(uint64_t i, uint64_t n, const uint8_t leaf[32],
				      const uint8_t proof[][32], size_t count,
				      const uint8_t root[32])
{
	assert_int_equal(mlog_verify_inclusion(i, n, leaf, proof, count, root), TQ_EINVALID);
	assert_false(rfc_inclusion_ok(i, n, leaf, proof, count, root));
}

static void test_mutated_inclusion_proofs_fail(void **state)
{
	(void)state;
	struct store *s = new_log(64);
	unsigned probes = 0;
	for (uint64_t n = 1; n <= 64; n++) {
		uint8_t root[32];
		ref_mth(0, n, root);
		for (uint64_t i = 0; i < n; i++) {
			uint8_t proof[MLOG_MAX_PROOF + 1][32], mut[MLOG_MAX_PROOF + 1][32];
			uint8_t leaf[32];
			size_t count;
			assert_int_equal(mlog_inclusion_proof(i, n, store_get, s, proof, &count), 0);
			ref_leaf_hash((unsigned)i, leaf);

			/* index ± 1 */
			expect_inclusion_rejected(i + 1, n, leaf, proof, count, root);
			if (i > 0)
				expect_inclusion_rejected(i - 1, n, leaf, proof, count, root);
			/* size × 2 */
			expect_inclusion_rejected(i, 2 * n, leaf, proof, count, root);
			/* a flipped bit in each element, and in the leaf */
			for (size_t j = 0; j < count; j++) {
				memcpy(mut, proof, sizeof proof);
				mut[j][(j * 7) % 32] ^= (uint8_t)(1u << (j % 8));
				expect_inclusion_rejected(i, n, leaf, mut, count, root);
			}
			uint8_t bad_leaf[32];
			memcpy(bad_leaf, leaf, 32);
			bad_leaf[31] ^= 0x80;
			expect_inclusion_rejected(i, n, bad_leaf, proof, count, root);
			/* each element dropped */
			for (size_t j = 0; j < count; j++) {
				size_t k = 0;
				for (size_t x = 0; x < count; x++)
					if (x != j)
						memcpy(mut[k++], proof[x], 32);
				expect_inclusion_rejected(i, n, leaf, mut, count - 1, root);
			}
			/* an extra element, at the end and at the front */
			memcpy(mut, proof, sizeof proof);
			memcpy(mut[count], root, 32);
			expect_inclusion_rejected(i, n, leaf, mut, count + 1, root);
			memcpy(mut[0], leaf, 32);
			memcpy(mut + 1, proof, count * 32);
			expect_inclusion_rejected(i, n, leaf, mut, count + 1, root);
			probes++;
		}
	}
	assert_int_equal(probes, 64 * 65 / 2);
	free(s);
}

static void test_inclusion_bad_ranges_are_invalid(void **state)
{
	(void)state;
	struct store *s = new_log(8);
	uint8_t proof[MLOG_MAX_PROOF + 1][32], leaf[32], root[32];
	size_t count = 7;
	assert_int_equal(mlog_inclusion_proof(8, 8, store_get, s, proof, &count), TQ_EINVALID);
	assert_int_equal(count, 0);
	assert_int_equal(mlog_inclusion_proof(0, 0, store_get, s, proof, &count), TQ_EINVALID);
	assert_int_equal(mlog_inclusion_proof(0, MLOG_MAX_SIZE + 1, store_get, s, proof, &count),
			 TQ_EINVALID);
	ref_leaf_hash(0, leaf);
	memcpy(root, leaf, 32);
	assert_int_equal(mlog_verify_inclusion(0, 1, leaf, proof, 0, root), 0);
	assert_int_equal(mlog_verify_inclusion(0, 0, leaf, proof, 0, root), TQ_EINVALID);
	assert_int_equal(mlog_verify_inclusion(0, 1, leaf, proof, MLOG_MAX_PROOF + 1, root),
			 TQ_EINVALID);
	free(s);
}

/* ---- consistency --------------------------------------------------------- */

static void test_consistency_proofs_match_ct_vectors(void **state)
{
	(void)state;
	struct store *s = new_log(8);
	uint8_t proof[MLOG_MAX_PROOF][32];
	size_t count;

	assert_int_equal(mlog_consistency_proof(1, 1, store_get, s, proof, &count), 0);
	assert_int_equal(count, 0);

	assert_int_equal(mlog_consistency_proof(1, 8, store_get, s, proof, &count), 0);
	assert_int_equal(count, 3);
	expect_hex(proof[0], "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
	expect_hex(proof[1], "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
	expect_hex(proof[2], "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");

	assert_int_equal(mlog_consistency_proof(6, 8, store_get, s, proof, &count), 0);
	assert_int_equal(count, 3);
	expect_hex(proof[0], "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a");
	expect_hex(proof[1], "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0");
	expect_hex(proof[2], "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");

	assert_int_equal(mlog_consistency_proof(2, 5, store_get, s, proof, &count), 0);
	assert_int_equal(count, 2);
	expect_hex(proof[0], "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
	expect_hex(proof[1], "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
	free(s);
}

static void test_consistency_proofs_for_every_pair_up_to_64_verify(void **state)
{
	(void)state;
	struct store *s = new_log(64);
	for (uint64_t n = 1; n <= 64; n++) {
		uint8_t root_n[32];
		ref_mth(0, n, root_n);
		for (uint64_t m = 1; m <= n; m++) {
			uint8_t proof[MLOG_MAX_PROOF][32], want[MLOG_MAX_PROOF][32], root_m[32];
			size_t count = 0, want_count = 0;
			ref_mth(0, m, root_m);
			assert_int_equal(mlog_consistency_proof(m, n, store_get, s, proof, &count),
					 0);
			if (m < n)
				ref_subproof(m, 0, n, 1, want, &want_count);
			assert_int_equal(count, want_count);
			if (count > 0)
				assert_memory_equal(proof, want, count * 32);
			assert_int_equal(mlog_verify_consistency(m, n, root_m, root_n, proof, count),
					 0);
			assert_true(rfc_consistency_ok(m, n, root_m, root_n, proof, count));
		}
	}
	free(s);
}

static void expect_consistency_rejected(uint64_t m, uint64_t n, const uint8_t root_m[32],
					const uint8_t root_n[32], const uint8_t proof[][32],
					size_t count)
{
	assert_int_equal(mlog_verify_consistency(m, n, root_m, root_n, proof, count),
			 TQ_EINVALID);
	assert_false(rfc_consistency_ok(m, n, root_m, root_n, proof, count));
}

static void test_mutated_consistency_proofs_fail(void **state)
{
	(void)state;
	struct store *s = new_log(64);
	unsigned probes = 0;
	for (uint64_t n = 1; n <= 64; n++) {
		uint8_t root_n[32];
		ref_mth(0, n, root_n);
		for (uint64_t m = 1; m <= n; m++) {
			uint8_t proof[MLOG_MAX_PROOF + 1][32], mut[MLOG_MAX_PROOF + 1][32];
			uint8_t root_m[32];
			size_t count;
			ref_mth(0, m, root_m);
			assert_int_equal(mlog_consistency_proof(m, n, store_get, s, proof, &count),
					 0);

			/* m ± 1 */
			expect_consistency_rejected(m + 1, n, root_m, root_n, proof, count);
			expect_consistency_rejected(m - 1, n, root_m, root_n, proof, count);
			/* n × 2 */
			expect_consistency_rejected(m, 2 * n, root_m, root_n, proof, count);
			/* roots swapped (when they differ) */
			if (m < n)
				expect_consistency_rejected(m, n, root_n, root_m, proof, count);
			/* a flipped bit in each element */
			for (size_t j = 0; j < count; j++) {
				memcpy(mut, proof, sizeof proof);
				mut[j][(j * 5) % 32] ^= (uint8_t)(1u << (j % 8));
				expect_consistency_rejected(m, n, root_m, root_n, mut, count);
			}
			/* each element dropped */
			for (size_t j = 0; j < count; j++) {
				size_t k = 0;
				for (size_t x = 0; x < count; x++)
					if (x != j)
						memcpy(mut[k++], proof[x], 32);
				expect_consistency_rejected(m, n, root_m, root_n, mut, count - 1);
			}
			/* an extra element, at the end and at the front */
			memcpy(mut, proof, sizeof proof);
			memcpy(mut[count], root_n, 32);
			expect_consistency_rejected(m, n, root_m, root_n, mut, count + 1);
			memcpy(mut[0], root_m, 32);
			memcpy(mut + 1, proof, count * 32);
			expect_consistency_rejected(m, n, root_m, root_n, mut, count + 1);
			probes++;
		}
	}
	assert_int_equal(probes, 64 * 65 / 2);
	free(s);
}

static void test_consistency_from_empty_tree(void **state)
{
	(void)state;
	struct store *s = new_log(5);
	uint8_t proof[MLOG_MAX_PROOF][32], empty[32], root5[32];
	size_t count = 9;
	assert_int_equal(mlog_consistency_proof(0, 5, store_get, s, proof, &count), 0);
	assert_int_equal(count, 0);
	ref_mth(0, 0, empty);
	ref_mth(0, 5, root5);
	assert_int_equal(mlog_verify_consistency(0, 5, empty, root5, proof, 0), 0);
	/* a size-0 claim with a non-empty root is not the empty tree */
	assert_int_equal(mlog_verify_consistency(0, 5, root5, root5, proof, 0), TQ_EINVALID);
	free(s);
}

static void test_consistency_bad_ranges_are_invalid(void **state)
{
	(void)state;
	struct store *s = new_log(8);
	uint8_t proof[MLOG_MAX_PROOF + 1][32], r[32];
	size_t count = 5;
	assert_int_equal(mlog_consistency_proof(5, 4, store_get, s, proof, &count), TQ_EINVALID);
	assert_int_equal(count, 0);
	assert_int_equal(
		mlog_consistency_proof(1, MLOG_MAX_SIZE + 1, store_get, s, proof, &count),
		TQ_EINVALID);
	ref_mth(0, 4, r);
	assert_int_equal(mlog_verify_consistency(5, 4, r, r, proof, 0), TQ_EINVALID);
	assert_int_equal(mlog_verify_consistency(4, 4, r, r, proof, 0), 0);
	assert_int_equal(mlog_verify_consistency(4, 4, r, r, proof, MLOG_MAX_PROOF + 1),
			 TQ_EINVALID);
	free(s);
}

/* ---- very large trees ---------------------------------------------------- */

/* A tree whose leaves are all equal: every perfect subtree of a level has the
 * same hash, so the store is one hash per level and trees of any size are
 * real, consistent RFC 9162 trees. */
struct uniform {
	uint8_t level[64][32];
	unsigned gets;
};

static int uniform_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct uniform *u = ctx;
	(void)index;
	u->gets++;
	if (level >= 64)
		return TQ_EINTERNAL;
	memcpy(out, u->level[level], 32);
	return 0;
}

static void uniform_init(struct uniform *u)
{
	memset(u, 0, sizeof *u);
	mlog_leaf_hash("x", 1, u->level[0]);
	for (unsigned l = 1; l < 64; l++)
		ref_node(u->level[l - 1], u->level[l - 1], u->level[l]);
}

static void test_proofs_for_huge_trees_stay_within_64_hashes(void **state)
{
	(void)state;
	static const uint64_t sizes[][2] = {
		/* {m or index, n} */
		{MLOG_MAX_SIZE - 1, MLOG_MAX_SIZE},
		{(UINT64_C(1) << 62) - 1, MLOG_MAX_SIZE},
		{(UINT64_C(1) << 62) + 1, MLOG_MAX_SIZE},
		{UINT64_C(12345), (UINT64_C(1) << 40) + 7},
		{1, MLOG_MAX_SIZE},
	};
	struct uniform *u = malloc(sizeof *u);
	assert_non_null(u);
	uniform_init(u);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint64_t m = sizes[i][0], n = sizes[i][1];
		uint8_t proof[MLOG_MAX_PROOF][32], root_m[32], root_n[32];
		size_t count;
		assert_int_equal(mlog_root(m, uniform_get, u, root_m), 0);
		assert_int_equal(mlog_root(n, uniform_get, u, root_n), 0);

		u->gets = 0;
		assert_int_equal(mlog_consistency_proof(m, n, uniform_get, u, proof, &count), 0);
		assert_true(count <= MLOG_MAX_PROOF);
		assert_true(u->gets <= 2 * 64);
		assert_int_equal(mlog_verify_consistency(m, n, root_m, root_n, proof, count), 0);
		assert_true(rfc_consistency_ok(m, n, root_m, root_n, proof, count));

		u->gets = 0;
		assert_int_equal(mlog_inclusion_proof(m, n, uniform_get, u, proof, &count), 0);
		assert_true(u->gets <= 2 * 64);
		assert_int_equal(mlog_verify_inclusion(m, n, u->level[0], proof, count, root_n), 0);
		assert_true(rfc_inclusion_ok(m, n, u->level[0], proof, count, root_n));
	}
	free(u);
}

static void test_append_refuses_to_grow_past_max_size(void **state)
{
	(void)state;
	struct uniform *u = malloc(sizeof *u);
	assert_non_null(u);
	uniform_init(u);
	assert_int_equal(mlog_append(MLOG_MAX_SIZE, u->level[0], uniform_get, NULL, u),
			 TQ_EINVALID);
	free(u);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_hash_prefixes_zero_byte),
		cmocka_unit_test(test_node_hash_prefixes_one_byte),
		cmocka_unit_test(test_empty_root_is_sha256_of_empty_string),
		cmocka_unit_test(test_roots_match_ct_vectors_for_sizes_1_to_8),
		cmocka_unit_test(test_roots_for_0_1_2_3_7_8_leaves_match_recursive_mth),
		cmocka_unit_test(test_root_matches_recursive_mth_for_sizes_1_to_200),
		cmocka_unit_test(test_append_stores_each_perfect_subtree_once),
		cmocka_unit_test(test_store_errors_propagate),
		cmocka_unit_test(test_missing_node_is_reported_not_invented),
		cmocka_unit_test(test_inclusion_proofs_match_ct_vectors),
		cmocka_unit_test(test_inclusion_proofs_for_every_index_up_to_size_64_verify),
		cmocka_unit_test(test_mutated_inclusion_proofs_fail),
		cmocka_unit_test(test_inclusion_bad_ranges_are_invalid),
		cmocka_unit_test(test_consistency_proofs_match_ct_vectors),
		cmocka_unit_test(test_consistency_proofs_for_every_pair_up_to_64_verify),
		cmocka_unit_test(test_mutated_consistency_proofs_fail),
		cmocka_unit_test(test_consistency_from_empty_tree),
		cmocka_unit_test(test_consistency_bad_ranges_are_invalid),
		cmocka_unit_test(test_proofs_for_huge_trees_stay_within_64_hashes),
		cmocka_unit_test(test_append_refuses_to_grow_past_max_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
