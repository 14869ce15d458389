/*
 * ecdsa.c — secp256k1 recovery and verification host functions (rules in
 * ecdsa.h), on the libsecp256k1 C library with its recovery module.
 *
 * Substrate's version-1 functions use Parity's pure-Rust port
 * (libsecp256k1 crate) with "overflowing" parsing: r and s are reduced mod
 * n instead of rejected. Its recover_raw is otherwise the same algorithm as
 * the C library's secp256k1_ecdsa_sig_recover (zero r/s rejected, recid bit 1
 * selects x = r + n when r + n < p, recid bit 0 the y parity, infinity
 * rejected), so version 1 = reduce r and s here, then the C library.
 *
 * Only secp256k1_context_static is used: recovery, parsing and serialising
 * involve no secret keys, and no context has to be allocated (the C
 * library's allocation failure path would abort). Every argument passed is
 * valid by construction (recid checked to be 0..3 first), so the library's
 * illegal-argument callback (which aborts) cannot fire.
 */
#include "hostapi/ecdsa.h"

#include <string.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "hostapi/hashing.h"

/* The group order n, big-endian. */
static const uint8_t ORDER_N[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};

/* Offset of Ethereum-style recovery ids (27, 28, ...) that recover accepts. */
#define ETH_V_OFFSET 27
#define MAX_RECID 3

/* x (32 bytes big-endian) mod n; one subtraction suffices since x < 2^256 < 2n. */
static void reduce_mod_n(uint8_t x[32])
{
	int ge = 1; /* x >= n ? */

	for (int i = 0; i < 32; i++) {
		if (x[i] != ORDER_N[i]) {
			ge = x[i] > ORDER_N[i];
			break;
		}
	}
	if (!ge)
		return;
	int borrow = 0;
	for (int i = 31; i >= 0; i--) {
		int d = (int)x[i] - (int)ORDER_N[i] - borrow;
		borrow = d < 0;
		x[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

/*
 * Core of every function: recover the public key from (r||s, recid, hash).
 * `overflowing` selects version-1 parsing. Returns true with the key, or
 * false with the error.
 */
static bool recover_key(const uint8_t rs[64], int recid, const uint8_t hash[32],
			bool overflowing, secp256k1_pubkey *ret_key, pvf_ecdsa_error *ret_error)
{
	const secp256k1_context *ctx = secp256k1_context_static;
	secp256k1_ecdsa_recoverable_signature rsig;
	uint8_t buf[64];

	if (recid < 0 || recid > MAX_RECID) {
		*ret_error = PVF_ECDSA_BAD_V;
		return false;
	}
	memcpy(buf, rs, sizeof buf);
	if (overflowing) {
		reduce_mod_n(buf);
		reduce_mod_n(buf + 32);
	}
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rsig, buf, recid)) {
		*ret_error = PVF_ECDSA_BAD_RS; /* r or s >= n (strict parsing only) */
		return false;
	}
	if (!secp256k1_ecdsa_recover(ctx, ret_key, &rsig, hash)) {
		*ret_error = PVF_ECDSA_BAD_SIGNATURE;
		return false;
	}
	return true;
}

static int recid_from_v(uint8_t v)
{
	return v > ETH_V_OFFSET - 1 ? v - ETH_V_OFFSET : v;
}

bool pvf_secp256k1_recover(unsigned version, const uint8_t sig[PVF_ECDSA_SIGNATURE_LEN],
			   const uint8_t msg[PVF_ECDSA_MSG_HASH_LEN],
			   uint8_t ret_pub[PVF_ECDSA_PUBLIC_RAW_LEN], pvf_ecdsa_error *ret_error)
{
	secp256k1_pubkey key;
	uint8_t ser[65];
	size_t n = sizeof ser;

	if (!recover_key(sig, recid_from_v(sig[64]), msg, version == 1, &key, ret_error))
		return false;
	secp256k1_ec_pubkey_serialize(secp256k1_context_static, ser, &n, &key,
				      SECP256K1_EC_UNCOMPRESSED);
	memcpy(ret_pub, ser + 1, PVF_ECDSA_PUBLIC_RAW_LEN);
	return true;
}

bool pvf_secp256k1_recover_compressed(unsigned version,
				      const uint8_t sig[PVF_ECDSA_SIGNATURE_LEN],
				      const uint8_t msg[PVF_ECDSA_MSG_HASH_LEN],
				      uint8_t ret_pub[PVF_ECDSA_PUBLIC_COMPRESSED_LEN],
				      pvf_ecdsa_error *ret_error)
{
	secp256k1_pubkey key;
	uint8_t ser[33];
	size_t n = sizeof ser;

	if (!recover_key(sig, recid_from_v(sig[64]), msg, version == 1, &key, ret_error))
		return false;
	secp256k1_ec_pubkey_serialize(secp256k1_context_static, ser, &n, &key,
				      SECP256K1_EC_COMPRESSED);
	memcpy(ret_pub, ser, PVF_ECDSA_PUBLIC_COMPRESSED_LEN);
	return true;
}

/* Recover with recid = v (no Ethereum offset) and compare compressed keys. */
static bool verify_hash(const uint8_t sig[65], const uint8_t hash[32], bool overflowing,
			const uint8_t pub[33])
{
	secp256k1_pubkey key;
	pvf_ecdsa_error e;
	uint8_t ser[33];
	size_t n = sizeof ser;

	if (!recover_key(sig, sig[64], hash, overflowing, &key, &e))
		return false;
	secp256k1_ec_pubkey_serialize(secp256k1_context_static, ser, &n, &key,
				      SECP256K1_EC_COMPRESSED);
	return memcmp(ser, pub, sizeof ser) == 0;
}

bool pvf_ecdsa_verify(unsigned version, const uint8_t sig[PVF_ECDSA_SIGNATURE_LEN],
		      const uint8_t *msg, size_t len,
		      const uint8_t pub[PVF_ECDSA_PUBLIC_COMPRESSED_LEN])
{
	uint8_t hash[PVF_BLAKE2_256_LEN];

	pvf_blake2_256(msg, len, hash);
	return verify_hash(sig, hash, version == 1, pub);
}

bool pvf_ecdsa_verify_prehashed(const uint8_t sig[PVF_ECDSA_SIGNATURE_LEN],
				const uint8_t msg[PVF_ECDSA_MSG_HASH_LEN],
				const uint8_t pub[PVF_ECDSA_PUBLIC_COMPRESSED_LEN])
{
	return verify_hash(sig, msg, false, pub);
}
