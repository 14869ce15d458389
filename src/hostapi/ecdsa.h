/*
 * ecdsa.h — secp256k1 ECDSA host functions (sp-io crypto), byte-exact with
 * Substrate. A signature is 65 bytes r (32, big-endian) || s (32, BE) || v.
 * Public keys for ecdsa_verify* are 33-byte SEC1 compressed keys and are
 * compared byte for byte with the recovered key (never parsed themselves).
 *
 * Recovery (`msg` is a 32-byte hash, used as given):
 *   pvf_secp256k1_recover(version 1) — ext_crypto_secp256k1_ecdsa_recover_version_1
 *   and ..._recover_compressed_version_1 (Parity's pure-Rust libsecp256k1):
 *     recid = v > 26 ? v - 27 : v; recid >= 4            -> BadV
 *     r, s taken mod n ("parse_overflowing": never BadRS)
 *     r = 0 or s = 0 (after reduction), no point with that x/parity,
 *     or the result is infinity                          -> BadSignature
 *   pvf_secp256k1_recover(version 2) — ..._recover_version_2 / _version_3 and
 *   ..._recover_compressed_version_2 / _version_3 (libsecp256k1 C library):
 *     recid as above, recid >= 4                          -> BadV
 *     r >= n or s >= n                                   -> BadRS
 *     then recovery as above                             -> BadSignature
 *   Neither version enforces low s (secp256k1_ecdsa_recover does not).
 *   Output: 64-byte x || y (uncompressed key without the 0x04 tag), or the
 *   33-byte compressed key for the _compressed variants.
 *
 * Verification (true iff the recovered key equals `pub`):
 *   pvf_ecdsa_verify(version 1) — ext_crypto_ecdsa_verify_version_1
 *     (ecdsa::Pair::verify_deprecated): hash = blake2_256(msg);
 *     recid = v exactly (no 27 offset), must be < 4; r, s mod n; recover.
 *   pvf_ecdsa_verify(version 2) — ext_crypto_ecdsa_verify_version_2
 *     (ecdsa::Pair::verify): hash = blake2_256(msg); recid = v exactly,
 *     must be < 4; r, s must be < n; recover.
 *   pvf_ecdsa_verify_prehashed — ext_crypto_ecdsa_verify_prehashed_version_1
 *     (ecdsa::Pair::verify_prehashed): as version 2 on the given 32-byte hash.
 *   ext_crypto_ecdsa_batch_verify_version_1 behaves as ecdsa_verify version 1.
 */
#ifndef PVF_HOSTAPI_ECDSA_H
#define PVF_HOSTAPI_ECDSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PVF_ECDSA_SIGNATURE_LEN 65
#define PVF_ECDSA_MSG_HASH_LEN 32
#define PVF_ECDSA_PUBLIC_COMPRESSED_LEN 33
#define PVF_ECDSA_PUBLIC_RAW_LEN 64

/* sp_io::EcdsaVerifyError, SCALE variant indices. */
typedef enum pvf_ecdsa_error {
	PVF_ECDSA_BAD_RS = 0,
	PVF_ECDSA_BAD_V = 1,
	PVF_ECDSA_BAD_SIGNATURE = 2,
} pvf_ecdsa_error;

/* `version` is the host-function version: 1, or 2 (also used for 3).
 * Returns true and writes 64 bytes to ret_pub, or returns false and stores
 * the Substrate error in *ret_error (ret_pub untouched). An unknown version
 * is treated as 2. */
bool pvf_secp256k1_recover(unsigned version, const uint8_t sig[PVF_ECDSA_SIGNATURE_LEN],
			   const uint8_t msg[PVF_ECDSA_MSG_HASH_LEN],
			   uint8_t ret_pub[PVF_ECDSA_PUBLIC_RAW_LEN], pvf_ecdsa_error *ret_error);
bool pvf_secp256k1_recover_compressed(unsigned version,
				      const uint8_t sig[PVF_ECDSA_SIGNATURE_LEN],
				      const uint8_t msg[PVF_ECDSA_MSG_HASH_LEN],
				      uint8_t ret_pub[PVF_ECDSA_PUBLIC_COMPRESSED_LEN],
				      pvf_ecdsa_error *ret_error);

/* `msg` may be NULL when len is 0. `version` 1 or 2 (unknown -> 2). */
bool pvf_ecdsa_verify(unsigned version, const uint8_t sig[PVF_ECDSA_SIGNATURE_LEN],
		      const uint8_t *msg, size_t len,
		      const uint8_t pub[PVF_ECDSA_PUBLIC_COMPRESSED_LEN]);
bool pvf_ecdsa_verify_prehashed(const uint8_t sig[PVF_ECDSA_SIGNATURE_LEN],
				const uint8_t msg[PVF_ECDSA_MSG_HASH_LEN],
				const uint8_t pub[PVF_ECDSA_PUBLIC_COMPRESSED_LEN]);

#endif
