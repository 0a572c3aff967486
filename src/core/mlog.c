/*
 * mlog — RFC 9162 §2.1 Merkle tree over stored perfect subtrees.
 *
 * Every subtree the RFC recursion visits, D[lo:hi), has lo a multiple of the
 * largest power of two <= hi - lo (the split point k is always a power of
 * two and the right part is never larger than the left). Such a subtree is
 * the left-to-right sequence of perfect subtrees given by the set bits of
 * hi - lo, largest first, each aligned, so its hash is a right fold of
 * popcount(hi - lo) stored nodes. subtree_hash() is that fold.
 */
#include "core/mlog.h"

#include <string.h>

#include <sodium.h>

void mlog_leaf_hash(const void *data, size_t len, uint8_t out[32])
{
	static const uint8_t prefix = 0x00;
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	if (len > 0)
		crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

void mlog_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t buf[1 + 2 * MLOG_HASH_BYTES];

	/* Copy first: out may alias l or r. */
	buf[0] = 0x01;
	memcpy(buf + 1, l, MLOG_HASH_BYTES);
	memcpy(buf + 1 + MLOG_HASH_BYTES, r, MLOG_HASH_BYTES);
	crypto_hash_sha256(out, buf, sizeof buf);
}

static unsigned top_bit(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/* RFC 9162 §2.1.1: k is the largest power of two smaller than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return UINT64_C(1) << top_bit(n - 1);
}

/* MTH(D[lo:hi)) for a subtree of the RFC recursion (see top of file). */
static int subtree_hash(uint64_t lo, uint64_t hi, mlog_get_fn get, void *ctx, uint8_t out[32])
{
	uint64_t size = hi - lo;
	uint8_t acc[MLOG_HASH_BYTES], h[MLOG_HASH_BYTES];
	int have = 0, rc;

	if (hi <= lo || (lo & ((UINT64_C(1) << top_bit(size)) - 1)) != 0)
		return TQ_EINTERNAL;
	/* Smallest (rightmost) piece first; each larger piece is its left
	 * neighbour. The piece for bit b starts after all larger pieces. */
	for (unsigned b = 0; b < 64; b++) {
		if (((size >> b) & 1) == 0)
			continue;
		uint64_t above = b == 63 ? 0 : (size >> (b + 1)) << (b + 1);
		rc = get(ctx, b, (lo + above) >> b, h);
		if (rc < 0)
			return rc;
		if (have) {
			mlog_node_hash(h, acc, acc);
		} else {
			memcpy(acc, h, sizeof acc);
			have = 1;
		}
	}
	memcpy(out, acc, MLOG_HASH_BYTES);
	return 0;
}

int mlog_append(uint64_t size, const uint8_t leaf[32], mlog_get_fn get, mlog_put_fn put,
		void *ctx)
{
	uint8_t h[MLOG_HASH_BYTES], left[MLOG_HASH_BYTES];
	uint64_t idx = size;
	unsigned level = 0;
	int rc;

	if (size >= MLOG_MAX_SIZE)
		return TQ_EINVALID;
	memcpy(h, leaf, sizeof h);
	rc = put(ctx, 0, idx, h);
	if (rc < 0)
		return rc;
	/* A right child (odd index) completes its parent. */
	while (idx & 1) {
		rc = get(ctx, level, idx - 1, left);
		if (rc < 0)
			return rc;
		mlog_node_hash(left, h, h);
		idx >>= 1;
		level++;
		rc = put(ctx, level, idx, h);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int mlog_root(uint64_t size, mlog_get_fn get, void *ctx, uint8_t out[32])
{
	if (size > MLOG_MAX_SIZE)
		return TQ_EINVALID;
	if (size == 0) {
		/* RFC 9162 §2.1.1: MTH({}) = HASH(). */
		crypto_hash_sha256(out, NULL, 0);
		return 0;
	}
	return subtree_hash(0, size, get, ctx, out);
}

int mlog_inclusion_proof(uint64_t index, uint64_t size, mlog_get_fn get, void *ctx,
			 uint8_t out[][32], size_t *count)
{
	uint8_t path[MLOG_MAX_PROOF][MLOG_HASH_BYTES];
	uint64_t lo = 0, hi = size;
	size_t n = 0;
	int rc;

	*count = 0;
	if (index >= size || size > MLOG_MAX_SIZE)
		return TQ_EINVALID;
	/* RFC 9162 §2.1.3.1: PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) if
	 * m < k, else PATH(m - k, D[k:n]) : MTH(D[0:k]). Walk down collecting
	 * siblings; the deepest comes first in the proof. Depth <= 64. */
	while (hi - lo > 1) {
		uint64_t k = split_point(hi - lo);
		if (index < lo + k) {
			rc = subtree_hash(lo + k, hi, get, ctx, path[n]);
			hi = lo + k;
		} else {
			rc = subtree_hash(lo, lo + k, get, ctx, path[n]);
			lo = lo + k;
		}
		if (rc < 0)
			return rc;
		n++;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(out[i], path[n - 1 - i], MLOG_HASH_BYTES);
	*count = n;
	return 0;
}

int mlog_consistency_proof(uint64_t m, uint64_t n, mlog_get_fn get, void *ctx,
			   uint8_t out[][32], size_t *count)
{
	uint8_t path[MLOG_MAX_PROOF + 1][MLOG_HASH_BYTES];
	uint8_t last[MLOG_HASH_BYTES];
	uint64_t lo = 0, hi = n;
	size_t len = 0, total;
	int whole = 1, have_last = 0, rc;

	*count = 0;
	if (m > n || n > MLOG_MAX_SIZE)
		return TQ_EINVALID;
	if (m == 0 || m == n)
		return 0;
	/* RFC 9162 §2.1.4.1: SUBPROOF(m, D[n], b) with m relative to lo;
	 * m <= k: SUBPROOF(m, D[0:k], b) : MTH(D[k:n]);
	 * m > k:  SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]);
	 * m == n: {} if b, else {MTH(D[m])}. Walk down; reverse at the end. */
	for (;;) {
		if (m == hi) {
			if (!whole) {
				rc = subtree_hash(lo, hi, get, ctx, last);
				if (rc < 0)
					return rc;
				have_last = 1;
			}
			break;
		}
		uint64_t k = split_point(hi - lo);
		if (m - lo <= k) {
			rc = subtree_hash(lo + k, hi, get, ctx, path[len]);
			hi = lo + k;
		} else {
			rc = subtree_hash(lo, lo + k, get, ctx, path[len]);
			lo = lo + k;
			whole = 0;
		}
		if (rc < 0)
			return rc;
		len++;
	}
	total = len + (size_t)have_last;
	if (total > MLOG_MAX_PROOF)
		return TQ_EINVALID;
	if (have_last)
		memcpy(out[0], last, MLOG_HASH_BYTES);
	for (size_t i = 0; i < len; i++)
		memcpy(out[(size_t)have_last + i], path[len - 1 - i], MLOG_HASH_BYTES);
	*count = total;
	return 0;
}

int mlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
			  const uint8_t proof[][32], size_t count, const uint8_t root[32])
{
	uint8_t r[MLOG_HASH_BYTES];
	uint64_t fn, sn;

	/* RFC 9162 §2.1.3.2, steps 1-5. */
	if (index >= size || size > MLOG_MAX_SIZE || count > MLOG_MAX_PROOF)
		return TQ_EINVALID;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, sizeof r);
	for (size_t i = 0; i < count; i++) {
		if (sn == 0)
			return TQ_EINVALID;
		if ((fn & 1) || fn == sn) {
			mlog_node_hash(proof[i], r, r);
			if (!(fn & 1)) {
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			mlog_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || sodium_memcmp(r, root, sizeof r) != 0)
		return TQ_EINVALID;
	return 0;
}

int mlog_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[32],
			    const uint8_t root_n[32], const uint8_t proof[][32], size_t count)
{
	uint8_t fr[MLOG_HASH_BYTES], sr[MLOG_HASH_BYTES];
	uint64_t fn, sn;
	size_t i = 0;

	if (m > n || n > MLOG_MAX_SIZE || count > MLOG_MAX_PROOF)
		return TQ_EINVALID;
	if (m == 0) {
		/* The empty tree is a prefix of every tree. */
		uint8_t empty[MLOG_HASH_BYTES];
		crypto_hash_sha256(empty, NULL, 0);
		if (count != 0 || sodium_memcmp(root_m, empty, sizeof empty) != 0)
			return TQ_EINVALID;
		return 0;
	}
	if (m == n) {
		if (count != 0 || sodium_memcmp(root_m, root_n, MLOG_HASH_BYTES) != 0)
			return TQ_EINVALID;
		return 0;
	}
	/* RFC 9162 §2.1.4.2. Step 1: an empty path fails. */
	if (count == 0)
		return TQ_EINVALID;
	/* Step 2: if m is an exact power of two, root_m is the implicit first
	 * element of the path. */
	fn = m - 1;
	sn = n - 1;
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root_m, sizeof fr);
	} else {
		memcpy(fr, proof[0], sizeof fr);
		i = 1;
	}
	memcpy(sr, fr, sizeof sr);
	/* Steps 3-4. */
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 6. */
	for (; i < count; i++) {
		if (sn == 0)
			return TQ_EINVALID;
		if ((fn & 1) || fn == sn) {
			mlog_node_hash(proof[i], fr, fr);
			mlog_node_hash(proof[i], sr, sr);
			if (!(fn & 1)) {
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			mlog_node_hash(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 7. */
	if (sn != 0 || sodium_memcmp(fr, root_m, sizeof fr) != 0 ||
	    sodium_memcmp(sr, root_n, sizeof sr) != 0)
		return TQ_EINVALID;
	return 0;
}
