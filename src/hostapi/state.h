/*
 * state.h — the in-memory storage state of a runtime call: a map from keys
 * to values (both byte strings) with nested transactions and a trie root.
 *
 * A runtime call other than validate_block runs against a state that starts
 * empty and is thrown away afterwards (hostapi/functions.h); the ext_storage_*
 * host functions read and write it through this interface.
 *
 * Order: keys compare byte-wise, a proper prefix before its extensions
 * (memcmp, then the shorter first), as Substrate's BTreeMap<Vec<u8>, _>.
 *
 * Append (Substrate's StorageAppend / codec EncodeAppend): a value is taken
 * as a SCALE Vec, a Compact<u32> item count followed by the encoded items.
 * Appending an encoded item increments the count (re-encoding it, possibly
 * with another length) and appends the item's bytes. A missing or empty
 * value, a value that does not start with a canonical Compact<u32>, or one
 * whose count is already u32::MAX becomes Compact(1) ++ item.
 *
 * Transactions nest. Each change made inside one is undo-logged once per
 * key and transaction (the value as it was when that transaction first
 * touched the key); commit hands the log to the enclosing transaction (or
 * drops it at depth 0), rollback restores it. Commit or rollback without an
 * open transaction is an error (PVF_E_USAGE). A rollback fails only for want
 * of memory (PVF_E_NOMEM), and then before changing anything.
 *
 * Memory: live entries, the undo log and the transaction stack together are
 * bounded by PVF_STATE_MAX_BYTES (or a lower budget); a change that would exceed it (or a failed
 * allocation) fails with PVF_E_NOMEM and leaves the state as it was.
 *
 * Data structure: a sorted array with binary search (inserting or removing a
 * key moves the entries after it), which suits the few hundred keys a
 * runtime call against an empty state writes.
 *
 * Views returned by get/next_key/at point into the state and are valid until
 * the next change.
 */
#ifndef PVF_HOSTAPI_STATE_H
#define PVF_HOSTAPI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "hostapi/trie.h"

/* Most bytes (keys, values, undo log, bookkeeping) one state holds. */
#define PVF_STATE_MAX_BYTES ((size_t)1 << 30)

typedef struct pvf_state pvf_state;

/* An empty state. Errors: PVF_E_NOMEM, PVF_E_USAGE. */
int pvf_state_new(pvf_state **ret, pvf_error *err);
/* NULL is accepted. */
void pvf_state_free(pvf_state *s);

/* The value of `key`: true with a view (*ret_val may be NULL when
 * *ret_len is 0), or false if the key is absent. */
bool pvf_state_get(const pvf_state *s, const uint8_t *key, size_t key_len, const uint8_t **ret_val,
		   size_t *ret_len);
bool pvf_state_exists(const pvf_state *s, const uint8_t *key, size_t key_len);

/* Sets `key` to a copy of value[0..len) (an empty value is a value). */
int pvf_state_set(pvf_state *s, const uint8_t *key, size_t key_len, const uint8_t *value, size_t len,
		  pvf_error *err);
/* Removes `key` (absent: nothing happens). */
int pvf_state_clear(pvf_state *s, const uint8_t *key, size_t key_len, pvf_error *err);

/* The smallest key strictly greater than `key`: true with a view, false if
 * there is none. */
bool pvf_state_next_key(const pvf_state *s, const uint8_t *key, size_t key_len, const uint8_t **ret_key,
			size_t *ret_len);

/* Removes the keys starting with prefix[0..len) in key order, at most
 * *limit of them when `limit` is not NULL. *ret_removed (may be NULL) is
 * how many were removed, *ret_more (may be NULL) whether keys with the
 * prefix remain. */
int pvf_state_clear_prefix(pvf_state *s, const uint8_t *prefix, size_t len, const uint32_t *limit,
			   size_t *ret_removed, bool *ret_more, pvf_error *err);

/* Appends the encoded item[0..len) to the SCALE Vec stored at `key` (see
 * above). */
int pvf_state_append(pvf_state *s, const uint8_t *key, size_t key_len, const uint8_t *item, size_t len,
		     pvf_error *err);

int pvf_state_start_transaction(pvf_state *s, pvf_error *err);
int pvf_state_commit_transaction(pvf_state *s, pvf_error *err);
int pvf_state_rollback_transaction(pvf_state *s, pvf_error *err);
/* Number of open transactions. */
size_t pvf_state_depth(const pvf_state *s);

/* Number of keys, and pair i in key order (false if i is out of range). */
size_t pvf_state_count(const pvf_state *s);
bool pvf_state_at(const pvf_state *s, size_t i, const uint8_t **ret_key, size_t *ret_key_len,
		  const uint8_t **ret_val, size_t *ret_val_len);
/* Bytes currently accounted against the state's budget, and the budget
 * (PVF_STATE_MAX_BYTES unless lowered, e.g. by tests; 0 restores it). */
size_t pvf_state_bytes(const pvf_state *s);
void pvf_state_set_max_bytes(pvf_state *s, size_t max_bytes);

/* The Blake2b-256 trie root of all pairs (pvf_trie_root, state version
 * `version`); the empty state's root is blake2_256([0x00]). */
int pvf_state_root(const pvf_state *s, pvf_trie_version version, uint8_t out[PVF_TRIE_HASH_LEN],
		   pvf_error *err);

#endif
