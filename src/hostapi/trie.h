/*
 * trie.h — Substrate's base-16 Patricia-Merkle trie root (no extension
 * nodes), as computed by sp-trie's `LayoutV0` / `LayoutV1::trie_root` and
 * `ordered_trie_root` (trie-root crate `trie_root_no_extension` driving
 * sp-trie's `TrieStream` node codec).
 *
 * Node encoding (sp-trie node_header.rs, trie_stream.rs):
 *   header   = prefix bits | partial-key nibble count (escaped past the
 *              field's maximum: 255-byte continuation units)
 *              leaf 01xxxxxx, branch without value 10xxxxxx, branch with
 *              value 11xxxxxx, leaf with hashed value 001xxxxx, branch with
 *              hashed value 0001xxxx; empty trie = 0x00
 *   partial  = odd count: first nibble alone in a byte, then nibble pairs
 *   branch   = header, partial, u16 LE child bitmap, value, children
 *   value    = inline: Compact<u32> length + bytes; hashed: 32-byte hash
 *   child    = encoding < 32 bytes: Vec<u8> of it (inline); else Vec<u8>
 *              of its hash
 * Root = hash(encoding of the root node); empty trie = hash([0x00]).
 * Version 1 (LayoutV0) stores every value inline; version 2 (LayoutV1)
 * stores values of >= 33 bytes (TRIE_VALUE_NODE_THRESHOLD) by hash.
 *
 * Input order is free: pairs are sorted by key and for duplicate keys the
 * last one wins (BTreeMap collection). Ordered roots use keys
 * Compact<u32>(index) for values 0..n-1.
 */
#ifndef PVF_HOSTAPI_TRIE_H
#define PVF_HOSTAPI_TRIE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/scale.h"

#define PVF_TRIE_HASH_LEN 32
/* Node header prefixes (sp-trie trie_constants); the bits below a prefix
 * hold the partial key's nibble count. */
#define PVF_TRIE_EMPTY 0x00u          /* the empty trie */
#define PVF_TRIE_LEAF 0x40u           /* 0b01 << 6 */
#define PVF_TRIE_BRANCH_WITHOUT 0x80u /* 0b10 << 6: branch without value */
#define PVF_TRIE_BRANCH_WITH 0xC0u    /* 0b11 << 6: branch with value */
#define PVF_TRIE_HASHED_LEAF 0x20u    /* 0b001 << 5: leaf, value by hash */
#define PVF_TRIE_HASHED_BRANCH 0x10u  /* 0b0001 << 4: branch, value by hash */
/* sp_core::storage::TRIE_VALUE_NODE_THRESHOLD */
#define PVF_TRIE_VALUE_NODE_THRESHOLD 33u
/* Most entries one root computation accepts (an ordered root's keys are
 * Compact<u32>, so at most 2^32 of them anyway). */
#define PVF_TRIE_MAX_ENTRIES ((size_t)1 << 26)

typedef enum pvf_trie_version {
	PVF_TRIE_V0 = 0, /* host API state_version 0 / *_version_1 functions */
	PVF_TRIE_V1 = 1, /* state_version 1: values >= 33 bytes hashed */
} pvf_trie_version;

/* A 256-bit hash function (Blake2b-256, Keccak-256, ...). */
typedef void (*pvf_trie_hasher)(const uint8_t *data, size_t len, uint8_t out[PVF_TRIE_HASH_LEN]);

typedef struct pvf_trie_entry {
	const uint8_t *key;
	size_t key_len;
	const uint8_t *value;
	size_t value_len;
} pvf_trie_entry;

/* Root of the trie holding `entries` (any order; last duplicate wins). */
int pvf_trie_root(const pvf_trie_entry *entries, size_t n, pvf_trie_version version,
		  pvf_trie_hasher hasher, uint8_t out[PVF_TRIE_HASH_LEN], pvf_error *err);
/* Root of the trie mapping Compact<u32>(i) to values[i]; only value/value_len
 * of each entry are used. */
int pvf_trie_ordered_root(const pvf_trie_entry *values, size_t n, pvf_trie_version version,
			  pvf_trie_hasher hasher, uint8_t out[PVF_TRIE_HASH_LEN], pvf_error *err);
/* The encoded root node before hashing (malloc'd), for tests and debugging
 * (trie-root `unhashed_trie_no_extension`). */
int pvf_trie_root_unhashed(const pvf_trie_entry *entries, size_t n, pvf_trie_version version,
			   pvf_trie_hasher hasher, uint8_t **ret_buf, size_t *ret_len,
			   pvf_error *err);

/* Writes a node header: `prefix` (one of the PVF_TRIE_* prefixes above, of
 * `prefix_bits` bits) and the nibble count `size`, escaped past the field's
 * maximum (sp-trie node_header.rs). */
int pvf_trie_write_header(pvf_scale_writer *w, unsigned prefix, unsigned prefix_bits, size_t size,
			  pvf_error *err);

/* Blake2b-256 (libsodium), the hasher of the *_blake2_256_* host functions. */
void pvf_trie_blake2_256(const uint8_t *data, size_t len, uint8_t out[PVF_TRIE_HASH_LEN]);
int pvf_trie_blake2_256_root(const pvf_trie_entry *entries, size_t n, pvf_trie_version version,
			     uint8_t out[PVF_TRIE_HASH_LEN], pvf_error *err);
int pvf_trie_blake2_256_ordered_root(const pvf_trie_entry *values, size_t n,
				     pvf_trie_version version, uint8_t out[PVF_TRIE_HASH_LEN],
				     pvf_error *err);

#endif
