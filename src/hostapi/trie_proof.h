/*
 * trie_proof.h — checks a compact Merkle proof that a Substrate trie maps one
 * key to one value: what the ext_trie_{blake2,keccak}_256_verify_proof host
 * functions answer (sp-io `verify_trie_proof` with LayoutV0 / LayoutV1 over
 * trie-db's `proof::verify_proof`, nodes in sp-trie's NodeCodec).
 *
 * A compact proof lists the nodes on the key's path in pre-order. In each:
 *   - the proven value is left out: a leaf carries an empty inline value, a
 *     branch none;
 *   - the reference to the next node of the proof is an empty inline child
 *     (Compact 0), an inline child on the path is kept with its value left
 *     out, and every other child is kept as it is (its hash or inline node).
 * The checker puts the value back (by its hash under LayoutV1 when it has
 * 33 bytes or more), rebuilds every node bottom-up, and compares the hash of
 * the rebuilt root node with `root`. Any other shape is a failed proof: a
 * node that does not decode, a hash where the path goes on, a value the
 * proof should have left out, a key the trie does not hold, nodes left over
 * or missing, an inline node of more than 32 bytes, another root.
 */
#ifndef PVF_HOSTAPI_TRIE_PROOF_H
#define PVF_HOSTAPI_TRIE_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "hostapi/trie.h"

typedef struct pvf_trie_slice {
	const uint8_t *data;
	size_t len;
} pvf_trie_slice;

/* 1: `proof` proves key -> value under `root`; 0: it does not, and *why (if
 * not NULL) says what failed first; -1: out of memory (err set). */
int pvf_trie_verify_proof(const uint8_t root[PVF_TRIE_HASH_LEN], const pvf_trie_slice *proof,
			  size_t nproof, const uint8_t *key, size_t key_len, const uint8_t *value,
			  size_t value_len, pvf_trie_version version, pvf_trie_hasher hasher,
			  const char **why, pvf_error *err);

#endif
