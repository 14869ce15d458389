/*
 * alloc_side.c — RFC-0145's allocation divide per host function (see
 * alloc_side.h). The tables follow sc-executor-common's
 * RUNTIME_ALLOC_IMPORTS and RUNTIME_NON_ALLOC_IMPORTS (polkadot-sdk, the
 * RFC-0145 implementation).
 */
#include "hostapi/alloc_side.h"

#include <stdint.h>
#include <string.h>

#include "wasm/rules.h"

typedef struct divide_row {
	const char *base;
	uint16_t runtime_from;   /* first version that allocates on the runtime side */
} divide_row;

static const divide_row divides[] = {
	{ "storage_get", 2 },
	{ "storage_read", 2 },
	{ "storage_clear_prefix", 4 },
	{ "storage_root", 3 },
	{ "storage_changes_root", 2 },
	{ "storage_next_key", 2 },
	{ "default_child_storage_get", 2 },
	{ "default_child_storage_read", 2 },
	{ "default_child_storage_storage_kill", 5 },
	{ "default_child_storage_clear_prefix", 4 },
	{ "default_child_storage_root", 3 },
	{ "default_child_storage_next_key", 2 },
	{ "trie_blake2_256_root", 3 },
	{ "trie_blake2_256_ordered_root", 3 },
	{ "trie_keccak_256_root", 3 },
	{ "trie_keccak_256_ordered_root", 3 },
	{ "misc_runtime_version", 2 },
	{ "misc_last_cursor", 1 },
	{ "crypto_ed25519_public_keys", 2 },
	{ "crypto_ed25519_num_public_keys", 1 },
	{ "crypto_ed25519_public_key", 1 },
	{ "crypto_ed25519_generate", 2 },
	{ "crypto_ed25519_sign", 2 },
	{ "crypto_sr25519_public_keys", 2 },
	{ "crypto_sr25519_num_public_keys", 1 },
	{ "crypto_sr25519_public_key", 1 },
	{ "crypto_sr25519_generate", 2 },
	{ "crypto_sr25519_sign", 2 },
	{ "crypto_ecdsa_public_keys", 2 },
	{ "crypto_ecdsa_num_public_keys", 1 },
	{ "crypto_ecdsa_public_key", 1 },
	{ "crypto_ecdsa_generate", 2 },
	{ "crypto_ecdsa_sign", 2 },
	{ "crypto_ecdsa_sign_prehashed", 2 },
	{ "crypto_secp256k1_ecdsa_recover", 3 },
	{ "crypto_secp256k1_ecdsa_recover_compressed", 3 },
	{ "hashing_keccak_256", 2 },
	{ "hashing_keccak_512", 2 },
	{ "hashing_sha2_256", 2 },
	{ "hashing_blake2_128", 2 },
	{ "hashing_blake2_256", 2 },
	{ "hashing_twox_256", 2 },
	{ "hashing_twox_128", 2 },
	{ "hashing_twox_64", 2 },
	{ "offchain_submit_transaction", 2 },
	{ "offchain_network_state", 2 },
	{ "offchain_network_peer_id", 1 },
	{ "offchain_random_seed", 2 },
	{ "offchain_local_storage_get", 2 },
	{ "offchain_local_storage_read", 1 },
	{ "offchain_http_request_start", 2 },
	{ "offchain_http_request_add_header", 2 },
	{ "offchain_http_request_write_body", 2 },
	{ "offchain_http_response_wait", 2 },
	{ "offchain_http_response_headers", 2 },
	{ "offchain_http_response_header_name", 1 },
	{ "offchain_http_response_header_value", 1 },
	{ "offchain_http_response_read_body", 2 },
	{ "allocator_malloc", 2 },
	{ "allocator_free", 2 },
	{ "input_read", 1 },
	{ "statement_store_statements", 2 },
	{ "statement_store_broadcasts", 2 },
	{ "statement_store_posted", 2 },
	{ "statement_store_posted_clear", 2 },
	{ "benchmarking_current_time", 2 },
	{ "benchmarking_read_write_count", 2 },
	{ "benchmarking_get_whitelist", 2 },
	{ "benchmarking_get_read_and_written_keys", 2 },
	{ "benchmarking_proof_size", 2 },
	{ "crypto_bls381_generate", 1 },
	{ "crypto_bls381_generate_proof_of_possession", 1 },
	{ "crypto_bls381_public_keys", 1 },
	{ "crypto_bls381_sign", 1 },
	{ "crypto_ecdsa_bls381_generate", 1 },
	{ "crypto_ecdsa_bls381_public_keys", 1 },
	{ "crypto_bandersnatch_generate", 2 },
	{ "crypto_bandersnatch_sign", 2 },
};

static const char *const neutral[] = {
	"storage_set", "storage_clear", "storage_exists", "storage_append", "storage_start_transaction",
	"storage_rollback_transaction", "storage_commit_transaction",
	"default_child_storage_set", "default_child_storage_clear", "default_child_storage_exists",
	"trie_blake2_256_verify_proof", "trie_keccak_256_verify_proof",
	"misc_print_num", "misc_print_utf8", "misc_print_hex",
	"crypto_ed25519_verify", "crypto_ed25519_batch_verify", "crypto_sr25519_verify",
	"crypto_sr25519_batch_verify", "crypto_start_batch_verify", "crypto_finish_batch_verify",
	"crypto_ecdsa_verify", "crypto_ecdsa_verify_prehashed", "crypto_ecdsa_batch_verify",
	"offchain_is_validator", "offchain_timestamp", "offchain_sleep_until", "offchain_local_storage_set",
	"offchain_local_storage_clear", "offchain_local_storage_compare_and_set",
	"offchain_set_authorized_nodes",
	"panic_handler_abort_on_panic",
	"logging_log", "logging_max_level",
	"wasm_tracing_enabled", "wasm_tracing_enter_span", "wasm_tracing_event", "wasm_tracing_exit",
	"offchain_index_set", "offchain_index_clear",
	"transaction_index_index", "transaction_index_renew",
	"benchmarking_wipe_db", "benchmarking_commit_db", "benchmarking_reset_read_write_count",
	"benchmarking_set_whitelist", "benchmarking_add_to_whitelist", "benchmarking_remove_from_whitelist",
	"statement_store_submit_statement", "statement_store_remove", "statement_store_remove_by",
};

static int base_is(const char *base, size_t blen, const char *s)
{
	return strlen(s) == blen && memcmp(base, s, blen) == 0;
}

/* Rust's u16::from_str on the last '_'-separated part: an optional '+',
 * then decimal digits only, at most 65,535. */
static int parse_u16(const char *p, size_t n, uint16_t *ret)
{
	uint32_t v = 0;

	if (n && p[0] == '+') {
		p++;
		n--;
	}
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10u + (uint32_t)(p[i] - '0');
		if (v > UINT16_MAX)
			return -1;
	}
	*ret = (uint16_t)v;
	return 0;
}

_Static_assert(PVF_ALLOC_SIDE_HOST == PVF_RULES_SIDE_HOST && PVF_ALLOC_SIDE_RUNTIME == PVF_RULES_SIDE_RUNTIME,
	       "the rules' side values are pvf_alloc_side's");

int pvf_hostfn_alloc_side(const char *name, size_t len)
{
	const char *ver, *base;
	size_t blen;
	uint16_t version;

	/* Substrate splits the name on '_' and wants at least four parts:
	 * "ext", the base (one or more parts), "version" and the number. The
	 * base is the parts in between joined with '_' again, which is the
	 * text between "ext_" and the last "_version_". */
	if (!name || len < 4 || memcmp(name, "ext_", 4) != 0)
		return PVF_ALLOC_SIDE_NONE;
	ver = NULL;
	for (size_t i = len; i-- > 4;) {
		if (name[i] == '_') {
			ver = name + i + 1;
			break;
		}
	}
	if (!ver)
		return PVF_ALLOC_SIDE_NONE;
	/* the part before the number must be exactly "version", preceded by '_' */
	if ((size_t)(ver - name) < 4 + 1 + 8 || memcmp(ver - 9, "_version_", 9) != 0)
		return PVF_ALLOC_SIDE_NONE;
	base = name + 4;
	if (ver - 9 < base)
		return PVF_ALLOC_SIDE_NONE;
	blen = (size_t)(ver - 9 - base);
	if (parse_u16(ver, len - (size_t)(ver - name), &version) < 0)
		return PVF_ALLOC_SIDE_NONE;
	for (size_t i = 0; i < sizeof(divides) / sizeof(divides[0]); i++)
		if (base_is(base, blen, divides[i].base))
			return version < divides[i].runtime_from ? PVF_ALLOC_SIDE_HOST : PVF_ALLOC_SIDE_RUNTIME;
	for (size_t i = 0; i < sizeof(neutral) / sizeof(neutral[0]); i++)
		if (base_is(base, blen, neutral[i]))
			return PVF_ALLOC_SIDE_NEUTRAL;
	return PVF_ALLOC_SIDE_NONE;
}
