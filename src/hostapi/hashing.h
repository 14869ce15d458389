/*
 * hashing.h — the hash functions of the Substrate host API (sp-io `hashing`).
 *
 * Pure functions on byte buffers; the glue that reads the argument out of wasm
 * memory and writes the digest back lives elsewhere. Each function backs one
 * host function (all version 1, which is the only version of each):
 *
 *   pvf_blake2_128  ext_hashing_blake2_128_version_1  BLAKE2b, 16-byte output, no key
 *   pvf_blake2_256  ext_hashing_blake2_256_version_1  BLAKE2b, 32-byte output, no key
 *   pvf_twox_64     ext_hashing_twox_64_version_1     XXH64(seed 0), little-endian
 *   pvf_twox_128    ext_hashing_twox_128_version_1    XXH64 seeds 0,1 concatenated, LE
 *   pvf_twox_256    ext_hashing_twox_256_version_1    XXH64 seeds 0..3 concatenated, LE
 *   pvf_keccak_256  ext_hashing_keccak_256_version_1  original Keccak-256 (pad 0x01),
 *                                                     as Ethereum uses, not SHA3-256
 *   pvf_sha2_256    ext_hashing_sha2_256_version_1    SHA-256 (FIPS 180-4)
 *
 * No function can fail; `data` may be NULL when `len` is 0.
 */
#ifndef PVF_HOSTAPI_HASHING_H
#define PVF_HOSTAPI_HASHING_H

#include <stddef.h>
#include <stdint.h>

#define PVF_BLAKE2_128_LEN 16
#define PVF_BLAKE2_256_LEN 32
#define PVF_TWOX_64_LEN 8
#define PVF_TWOX_128_LEN 16
#define PVF_TWOX_256_LEN 32
#define PVF_KECCAK_256_LEN 32
#define PVF_SHA2_256_LEN 32

/* Size in bytes of the Keccak-f[1600] state. */
#define PVF_KECCAK_STATE_LEN 200

void pvf_blake2_128(const uint8_t *data, size_t len, uint8_t out[PVF_BLAKE2_128_LEN]);
void pvf_blake2_256(const uint8_t *data, size_t len, uint8_t out[PVF_BLAKE2_256_LEN]);
void pvf_twox_64(const uint8_t *data, size_t len, uint8_t out[PVF_TWOX_64_LEN]);
void pvf_twox_128(const uint8_t *data, size_t len, uint8_t out[PVF_TWOX_128_LEN]);
void pvf_twox_256(const uint8_t *data, size_t len, uint8_t out[PVF_TWOX_256_LEN]);
void pvf_keccak_256(const uint8_t *data, size_t len, uint8_t out[PVF_KECCAK_256_LEN]);
void pvf_sha2_256(const uint8_t *data, size_t len, uint8_t out[PVF_SHA2_256_LEN]);

/* Internal: applies Keccak-f[1600] to a 200-byte state laid out as the
 * Keccak reference does (lane i = bytes 8i..8i+7, little-endian). Shared by
 * keccak_256 and STROBE. */
void pvf__keccak_f1600(uint8_t state[PVF_KECCAK_STATE_LEN]);

/* Internal: the 256-bit Keccak sponge (rate 136) with a chosen domain/padding
 * byte: PVF__KECCAK_DOMAIN_ORIGINAL gives keccak_256, PVF__KECCAK_DOMAIN_SHA3
 * gives FIPS 202 SHA3-256 (exposed so tests can use NIST's SHA3 vectors for
 * the multi-block path of the shared sponge). */
#define PVF__KECCAK_DOMAIN_ORIGINAL 0x01
#define PVF__KECCAK_DOMAIN_SHA3 0x06
void pvf__keccak_sponge_256(const uint8_t *data, size_t len, uint8_t domain,
			    uint8_t out[PVF_KECCAK_256_LEN]);

#endif
