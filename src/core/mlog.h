/*
 * mlog — the Merkle tree of the tamper-evident log (RFC 9162 §2.1, SHA-256).
 *
 * Promise: leaf i of a log of size n is committed by mlog_root(n); proofs
 * generated here verify with the RFC 9162 verifiers below, and so with any
 * other RFC 9162 / RFC 6962 client.
 *
 * The module does no I/O. Storage is a pair of callbacks over "perfect
 * subtree" nodes: node (level, index) is the hash of the complete subtree of
 * 2^level leaves covering leaves [index << level, (index + 1) << level);
 * level 0 holds the leaf hashes. Nodes are immutable once written, so the
 * nodes of every older tree size stay valid: proofs for any size <= the
 * current size are answered from the same table. Each operation reads or
 * writes O(log n) nodes; nothing is recomputed from leaves.
 *
 * libsodium must have been initialised (sodium_init) by the program.
 */
#ifndef TQ_MLOG_H
#define TQ_MLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/tqerr.h"

#define MLOG_HASH_BYTES 32
/* Largest tree size handled; larger sizes are TQ_EINVALID. It keeps every
 * proof within MLOG_MAX_PROOF hashes (depth <= 63, plus one for SUBPROOF). */
#define MLOG_MAX_SIZE (UINT64_C(1) << 63)
/* Longest inclusion or consistency proof accepted or produced. */
#define MLOG_MAX_PROOF 64

/* Reads node (level, index) into out. Returns 0, or a negative tq_err
 * (TQ_ENOTFOUND if absent: for mlog that is a broken store invariant). */
typedef int (*mlog_get_fn)(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);
/* Writes node (level, index). Returns 0 or a negative tq_err. */
typedef int (*mlog_put_fn)(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32]);

/* RFC 9162 §2.1.1: SHA-256(0x00 || data). */
void mlog_leaf_hash(const void *data, size_t len, uint8_t out[32]);
/* RFC 9162 §2.1.1: SHA-256(0x01 || l || r). out may alias l or r. */
void mlog_node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32]);

/* Appends leaf hash `leaf` to a log currently holding `size` leaves: puts
 * node (0, size) and every perfect subtree the new leaf completes (at most
 * 64 puts, one get per put). The caller owns atomicity (one transaction).
 * TQ_EINVALID if size >= MLOG_MAX_SIZE. */
TQ_MUST_USE int mlog_append(uint64_t size, const uint8_t leaf[32], mlog_get_fn get,
			    mlog_put_fn put, void *ctx);

/* Root hash MTH(D[0:size]); size 0 gives SHA-256(""). Reads popcount(size)
 * nodes. TQ_EINVALID if size > MLOG_MAX_SIZE. */
TQ_MUST_USE int mlog_root(uint64_t size, mlog_get_fn get, void *ctx, uint8_t out[32]);

/* RFC 9162 §2.1.3.1 PATH(index, D[0:size]) into out[0..*count).
 * TQ_EINVALID unless index < size <= MLOG_MAX_SIZE. out must hold
 * MLOG_MAX_PROOF hashes. At most 2 * 64 gets. */
TQ_MUST_USE int mlog_inclusion_proof(uint64_t index, uint64_t size, mlog_get_fn get,
				     void *ctx, uint8_t out[][32], size_t *count);

/* RFC 9162 §2.1.4.1 PROOF(m, D[0:n]) into out[0..*count). TQ_EINVALID
 * unless m <= n <= MLOG_MAX_SIZE. m == 0 or m == n give the empty proof.
 * out must hold MLOG_MAX_PROOF hashes. At most 2 * 64 gets. */
TQ_MUST_USE int mlog_consistency_proof(uint64_t m, uint64_t n, mlog_get_fn get, void *ctx,
				       uint8_t out[][32], size_t *count);

/* RFC 9162 §2.1.3.2. Returns 0 if `proof` shows leaf hash `leaf` at `index`
 * in the tree of `size` leaves with head `root`; TQ_EINVALID otherwise. */
TQ_MUST_USE int mlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
				      const uint8_t proof[][32], size_t count,
				      const uint8_t root[32]);

/* RFC 9162 §2.1.4.2. Returns 0 if `proof` shows that the tree of size m with
 * head root_m is a prefix of the tree of size n with head root_n;
 * TQ_EINVALID otherwise. m == n needs an empty proof and equal roots; m == 0
 * needs an empty proof and root_m == SHA-256(""). */
TQ_MUST_USE int mlog_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[32],
					const uint8_t root_n[32], const uint8_t proof[][32],
					size_t count);

#endif
