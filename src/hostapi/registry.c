/*
 * registry.c — the sorted table of known host functions (see registry.h).
 *
 * Sources for the rows:
 *   - paritytech/polkadot-sdk substrate/primitives/io/src/lib.rs (sp-io):
 *     every #[runtime_interface] trait (Storage, DefaultChildStorage, Trie,
 *     Misc, Crypto, Hashing, TransactionIndex, OffchainIndex, Offchain,
 *     Allocator, PanicHandler, Logging, WasmTracing, Input) and every
 *     #[version(n)] of each function, including `register_only` ones (old
 *     runtimes still import them) and the RFC-0145 versions;
 *   - cumulus primitives/proof-size-hostfunction: storage_proof_size;
 *   - the shared corpus, pvf/host-functions-used.tsv: the functions six real
 *     Cumulus PVFs import; the unit test checks every row against this table.
 *
 * Status follows the categories of registry.h (the storage rows marked
 * STATE are stubs for validation, real for other runtime calls). Where it
 * differs from what Polkadot's PVF executor links: Polkadot links all of
 * sp_io::crypto, trie and misc, but the keystore functions there panic
 * without a keystore (a trap for the PVF, same outcome as our stub), while
 * misc_last_cursor is a real function in Polkadot and a stub here (it
 * reports the cursor of the last storage clear_prefix, and validation has
 * no storage).
 *
 * Invariant: rows are sorted by strcmp() of the name, names are unique.
 * The unit test checks both, so a row added out of order fails the build's
 * tests instead of silently breaking the binary search.
 */
#include <string.h>

#include "hostapi/registry.h"

static const pvf_hostfn_desc hostfns[] = {
	{ "ext_allocator_free_version_1", "i:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_allocator_malloc_version_1", "i:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_bandersnatch_generate_version_1", "iI:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_bandersnatch_sign_version_1", "iiI:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_bls381_generate_proof_of_possession_version_1", "iiIi:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_bls381_generate_version_1", "iIi:", PVF_HOSTFN_STUB },
	{ "ext_crypto_bls381_num_public_keys_version_1", "i:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_bls381_public_key_version_1", "iii:", PVF_HOSTFN_STUB },
	{ "ext_crypto_bls381_sign_version_1", "iiIi:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_batch_verify_version_1", "iIi:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_ecdsa_bls381_generate_version_1", "iIi:", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_bls381_num_public_keys_version_1", "i:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_bls381_public_key_version_1", "iii:", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_bls381_sign_version_1", "iiIi:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_bls381_sign_with_keccak256_version_1", "iiIi:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_generate_version_1", "iI:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_generate_version_2", "iIi:", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_public_keys_version_1", "i:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_public_keys_version_2", "iI:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_sign_prehashed_version_1", "iii:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_sign_prehashed_version_2", "iiii:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_sign_version_1", "iiI:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_sign_version_2", "iiIi:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_ecdsa_verify_prehashed_version_1", "iii:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_ecdsa_verify_version_1", "iIi:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_ecdsa_verify_version_2", "iIi:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_ed25519_batch_verify_version_1", "iIi:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_ed25519_generate_version_1", "iI:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_ed25519_generate_version_2", "iIi:", PVF_HOSTFN_STUB },
	{ "ext_crypto_ed25519_public_keys_version_1", "i:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_ed25519_public_keys_version_2", "iI:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_ed25519_sign_version_1", "iiI:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_ed25519_sign_version_2", "iiIi:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_ed25519_verify_version_1", "iIi:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_finish_batch_verify_version_1", ":i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_secp256k1_ecdsa_recover_compressed_version_1", "ii:I", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_secp256k1_ecdsa_recover_compressed_version_2", "ii:I", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_secp256k1_ecdsa_recover_compressed_version_3", "iii:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_secp256k1_ecdsa_recover_version_1", "ii:I", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_secp256k1_ecdsa_recover_version_2", "ii:I", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_secp256k1_ecdsa_recover_version_3", "iii:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_sr25519_batch_verify_version_1", "iIi:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_sr25519_generate_version_1", "iI:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_sr25519_generate_version_2", "iIi:", PVF_HOSTFN_STUB },
	{ "ext_crypto_sr25519_public_keys_version_1", "i:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_sr25519_public_keys_version_2", "iI:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_sr25519_sign_version_1", "iiI:I", PVF_HOSTFN_STUB },
	{ "ext_crypto_sr25519_sign_version_2", "iiIi:i", PVF_HOSTFN_STUB },
	{ "ext_crypto_sr25519_verify_version_1", "iIi:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_sr25519_verify_version_2", "iIi:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_crypto_start_batch_verify_version_1", ":", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_default_child_storage_clear_prefix_version_1", "II:", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_clear_prefix_version_2", "III:I", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_clear_prefix_version_3", "IIII:I", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_clear_prefix_version_4", "IIIIIi:i", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_clear_version_1", "II:", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_exists_version_1", "II:i", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_get_version_1", "II:I", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_next_key_version_1", "II:I", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_next_key_version_2", "III:i", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_read_version_1", "IIIi:I", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_read_version_2", "IIIii:I", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_root_version_1", "I:I", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_root_version_2", "Ii:I", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_root_version_3", "II:", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_set_version_1", "III:", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_storage_kill_version_1", "I:", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_storage_kill_version_2", "II:i", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_storage_kill_version_3", "II:I", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_storage_kill_version_4", "III:I", PVF_HOSTFN_STUB },
	{ "ext_default_child_storage_storage_kill_version_5", "IIIIi:i", PVF_HOSTFN_STUB },
	{ "ext_hashing_blake2_128_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_blake2_128_version_2", "Ii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_blake2_256_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_blake2_256_version_2", "Ii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_keccak_256_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_keccak_256_version_2", "Ii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_keccak_512_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_keccak_512_version_2", "Ii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_sha2_256_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_sha2_256_version_2", "Ii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_twox_128_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_twox_128_version_2", "Ii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_twox_256_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_twox_256_version_2", "Ii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_twox_64_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_hashing_twox_64_version_2", "Ii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_input_read_version_1", "I:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_logging_log_version_1", "iII:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_logging_max_level_version_1", ":i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_misc_last_cursor_version_1", "I:I", PVF_HOSTFN_STUB },
	{ "ext_misc_print_hex_version_1", "I:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_misc_print_num_version_1", "I:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_misc_print_utf8_version_1", "I:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_misc_runtime_version_version_1", "I:I", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_misc_runtime_version_version_2", "II:I", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_offchain_http_request_add_header_version_1", "iII:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_request_add_header_version_2", "iII:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_request_start_version_1", "III:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_request_start_version_2", "III:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_request_write_body_version_1", "iII:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_request_write_body_version_2", "iII:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_response_header_name_version_1", "iiI:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_response_header_value_version_1", "iiI:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_response_headers_version_1", "i:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_response_read_body_version_1", "iII:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_response_read_body_version_2", "iII:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_response_wait_version_1", "II:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_http_response_wait_version_2", "III:", PVF_HOSTFN_STUB },
	{ "ext_offchain_index_clear_version_1", "I:", PVF_HOSTFN_STUB },
	{ "ext_offchain_index_set_version_1", "II:", PVF_HOSTFN_STUB },
	{ "ext_offchain_is_validator_version_1", ":i", PVF_HOSTFN_STUB },
	{ "ext_offchain_local_storage_clear_version_1", "iI:", PVF_HOSTFN_STUB },
	{ "ext_offchain_local_storage_compare_and_set_version_1", "iIII:i", PVF_HOSTFN_STUB },
	{ "ext_offchain_local_storage_get_version_1", "iI:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_local_storage_read_version_1", "iIIi:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_local_storage_set_version_1", "iII:", PVF_HOSTFN_STUB },
	{ "ext_offchain_network_peer_id_version_1", "i:i", PVF_HOSTFN_STUB },
	{ "ext_offchain_network_state_version_1", ":I", PVF_HOSTFN_STUB },
	{ "ext_offchain_random_seed_version_1", ":i", PVF_HOSTFN_STUB },
	{ "ext_offchain_random_seed_version_2", "i:", PVF_HOSTFN_STUB },
	{ "ext_offchain_set_authorized_nodes_version_1", "Ii:", PVF_HOSTFN_STUB },
	{ "ext_offchain_sleep_until_version_1", "I:", PVF_HOSTFN_STUB },
	{ "ext_offchain_submit_transaction_version_1", "I:I", PVF_HOSTFN_STUB },
	{ "ext_offchain_submit_transaction_version_2", "I:i", PVF_HOSTFN_STUB },
	{ "ext_offchain_timestamp_version_1", ":I", PVF_HOSTFN_STUB },
	{ "ext_panic_handler_abort_on_panic_version_1", "I:", PVF_HOSTFN_STUB },
	{ "ext_storage_append_version_1", "II:", PVF_HOSTFN_STATE },
	{ "ext_storage_changes_root_version_1", "I:I", PVF_HOSTFN_STATE },
	{ "ext_storage_clear_prefix_version_1", "I:", PVF_HOSTFN_STATE },
	{ "ext_storage_clear_prefix_version_2", "II:I", PVF_HOSTFN_STATE },
	{ "ext_storage_clear_prefix_version_3", "III:I", PVF_HOSTFN_STUB },
	{ "ext_storage_clear_prefix_version_4", "IIIIi:i", PVF_HOSTFN_STUB },
	{ "ext_storage_clear_version_1", "I:", PVF_HOSTFN_STATE },
	{ "ext_storage_commit_transaction_version_1", ":", PVF_HOSTFN_STATE },
	{ "ext_storage_exists_version_1", "I:i", PVF_HOSTFN_STATE },
	{ "ext_storage_get_version_1", "I:I", PVF_HOSTFN_STATE },
	{ "ext_storage_next_key_version_1", "I:I", PVF_HOSTFN_STATE },
	{ "ext_storage_next_key_version_2", "II:i", PVF_HOSTFN_STATE },
	{ "ext_storage_proof_size_storage_proof_size_version_1", ":I", PVF_HOSTFN_STATE },
	{ "ext_storage_read_version_1", "IIi:I", PVF_HOSTFN_STATE },
	{ "ext_storage_read_version_2", "IIii:I", PVF_HOSTFN_STATE },
	{ "ext_storage_rollback_transaction_version_1", ":", PVF_HOSTFN_STATE },
	{ "ext_storage_root_version_1", ":I", PVF_HOSTFN_STATE },
	{ "ext_storage_root_version_2", "i:I", PVF_HOSTFN_STATE },
	{ "ext_storage_root_version_3", "I:", PVF_HOSTFN_STATE },
	{ "ext_storage_set_version_1", "II:", PVF_HOSTFN_STATE },
	{ "ext_storage_start_transaction_version_1", ":", PVF_HOSTFN_STATE },
	{ "ext_transaction_index_index_version_1", "iii:", PVF_HOSTFN_STUB },
	{ "ext_transaction_index_renew_version_1", "ii:", PVF_HOSTFN_STUB },
	{ "ext_trie_blake2_256_ordered_root_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_blake2_256_ordered_root_version_2", "Ii:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_blake2_256_ordered_root_version_3", "Iii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_blake2_256_root_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_blake2_256_root_version_2", "Ii:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_blake2_256_root_version_3", "Iii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_blake2_256_verify_proof_version_1", "iIII:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_blake2_256_verify_proof_version_2", "iIIIi:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_keccak_256_ordered_root_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_keccak_256_ordered_root_version_2", "Ii:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_keccak_256_ordered_root_version_3", "Iii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_keccak_256_root_version_1", "I:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_keccak_256_root_version_2", "Ii:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_keccak_256_root_version_3", "Iii:", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_keccak_256_verify_proof_version_1", "iIII:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_trie_keccak_256_verify_proof_version_2", "iIIIi:i", PVF_HOSTFN_IMPLEMENTED },
	{ "ext_wasm_tracing_enabled_version_1", "I:i", PVF_HOSTFN_STUB },
	{ "ext_wasm_tracing_enter_span_version_1", "I:I", PVF_HOSTFN_STUB },
	{ "ext_wasm_tracing_event_version_1", "I:", PVF_HOSTFN_STUB },
	{ "ext_wasm_tracing_exit_version_1", "I:", PVF_HOSTFN_STUB },
};

#define NHOSTFNS (sizeof(hostfns) / sizeof(hostfns[0]))

/* Compares name[0..len) with the NUL-terminated `s` like strcmp would
 * compare the two as strings. */
static int cmp_name(const char *name, size_t len, const char *s)
{
	size_t slen = strlen(s);
	size_t n = len < slen ? len : slen;
	int c = memcmp(name, s, n);

	if (c != 0)
		return c;
	if (len == slen)
		return 0;
	return len < slen ? -1 : 1;
}

const pvf_hostfn_desc *pvf_hostfn_lookup(const char *name, size_t len)
{
	size_t lo = 0, hi = NHOSTFNS;

	if (!name || len == 0 || len > PVF_HOSTFN_NAME_MAX || memchr(name, '\0', len))
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_name(name, len, hostfns[mid].name);

		if (c == 0)
			return &hostfns[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t pvf_hostfn_count(void)
{
	return NHOSTFNS;
}

const pvf_hostfn_desc *pvf_hostfn_at(size_t i)
{
	return i < NHOSTFNS ? &hostfns[i] : NULL;
}

static int sig_char(char c, uint8_t *t)
{
	switch (c) {
	case 'i':
		*t = 0x7f;
		return 0;
	case 'I':
		*t = 0x7e;
		return 0;
	case 'f':
		*t = 0x7d;
		return 0;
	case 'F':
		*t = 0x7c;
		return 0;
	default:
		return -1;
	}
}

int pvf_hostfn_sig_parse(const char *sig, uint8_t *params, uint32_t *nparams,
			 uint8_t *results, uint32_t *nresults)
{
	uint32_t np = 0, nr = 0;
	const char *p = sig;

	if (!sig || !params || !nparams || !results || !nresults)
		return -1;
	for (; *p && *p != ':'; p++) {
		if (np >= PVF_HOSTFN_SIG_MAX || sig_char(*p, &params[np]) < 0)
			return -1;
		np++;
	}
	if (*p != ':')
		return -1;
	for (p++; *p; p++) {
		if (nr >= PVF_HOSTFN_SIG_MAX || sig_char(*p, &results[nr]) < 0)
			return -1;
		nr++;
	}
	*nparams = np;
	*nresults = nr;
	return 0;
}
