/*
 * registry.h — the Substrate host functions pvfhost knows.
 *
 * One row per host-function *version* (each `#[version(n)]` of each
 * `#[runtime_interface]` function in Substrate's sp-io, plus Cumulus'
 * storage-proof-size interface): its import name in module "env"
 * (ext_<interface>_<function>_version_<n>), its exact wasm signature and
 * whether pvfhost's executor provides it.
 *
 * Signature strings spell params ':' results, one character per value type:
 * 'i' i32, 'I' i64, 'f' f32, 'F' f64. E.g. ext_allocator_malloc_version_1 is
 * "i:i", ext_storage_start_transaction_version_1 is ":". The mapping from
 * sp-runtime-interface marshalling to wasm: pointers, u8/u16/u32, bool and
 * enums passed "as u8/u32" are i32; pointer+length pairs (fat pointers,
 * "allocate and return by codec") and u64 are i64.
 *
 * Status:
 *   PVF_HOSTFN_IMPLEMENTED  the executor provides it (allocator, hashing,
 *                           signature verification and key recovery, batch
 *                           verification, trie roots and proofs, misc printing and
 *                           runtime_version, logging);
 *   PVF_HOSTFN_STATE        implemented when the host context has a
 *                           runtime-call state (a call of an export other
 *                           than validate_block: hostapi/state.h), a stub
 *                           otherwise; the main-trie storage functions
 *                           (get, read, set, clear, exists, append,
 *                           clear_prefix 1-2, next_key, root, changes_root,
 *                           transactions) and Cumulus' storage_proof_size.
 *                           Validation sees them as stubs, as Polkadot's PVF
 *                           executor links them;
 *   PVF_HOSTFN_STUB         known, but linked to a stub that traps when
 *                           called, as Polkadot's PVF executor does for
 *                           child storage, offchain, keystore (key
 *                           generation / signing), tracing, the cursor
 *                           versions of storage clear_prefix (3, 4), ...
 *
 * Callers that only ask "does validation get a real function" compare with
 * PVF_HOSTFN_IMPLEMENTED: for validation a STATE row is a stub.
 */
#ifndef PVF_HOSTAPI_REGISTRY_H
#define PVF_HOSTAPI_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#define PVF_HOSTFN_IMPLEMENTED 1u
#define PVF_HOSTFN_STUB 2u
#define PVF_HOSTFN_STATE 3u

/* Longest name and signature in the table (for callers' buffers). */
#define PVF_HOSTFN_NAME_MAX 64u
#define PVF_HOSTFN_SIG_MAX 16u

typedef struct pvf_hostfn_desc {
	const char *name;  /* e.g. "ext_hashing_blake2_256_version_1" */
	const char *sig;   /* e.g. "I:i" */
	uint8_t status;    /* PVF_HOSTFN_IMPLEMENTED, _STATE or _STUB */
} pvf_hostfn_desc;

/* The row named name[0..len) (not necessarily NUL-terminated; embedded NULs
 * never match), or NULL. Binary search over the sorted table. */
const pvf_hostfn_desc *pvf_hostfn_lookup(const char *name, size_t len);

/* Number of rows, and row i in byte-wise name order (NULL if i is out of
 * range). */
size_t pvf_hostfn_count(void);
const pvf_hostfn_desc *pvf_hostfn_at(size_t i);

/* Parses a signature string into counts and value types (pvf_valtype byte
 * codes: 0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64). `params`/`results` have
 * room for PVF_HOSTFN_SIG_MAX entries each. Returns 0, or -1 if `sig` is
 * malformed. */
int pvf_hostfn_sig_parse(const char *sig, uint8_t *params, uint32_t *nparams,
			 uint8_t *results, uint32_t *nresults);

#endif
