/*
 * hashing.c — the hash functions of the Substrate host API.
 *
 * BLAKE2b comes from libsodium (crypto_generichash with no key), XXH64 from
 * libxxhash, SHA-256 and the bare Keccak-f[1600] permutation from nettle.
 * The Keccak-256 sponge is written here because nettle only offers SHA3
 * (domain padding 0x06) while Substrate's keccak_256 is the original Keccak
 * submission (padding 0x01), the one Ethereum uses:
 *
 *   rate r = 136 bytes (capacity 512 bits), state 200 bytes, all zero
 *   absorb: XOR each r-byte block into the state, permute
 *   pad:    last partial block ^= 0x01 at its end-of-data, byte r-1 ^= 0x80
 *   output: first 32 bytes of the state
 *
 * The state is kept as bytes (lane i = bytes 8i..8i+7, little-endian) so the
 * STROBE code can share it; pvf__keccak_f1600 converts to nettle's uint64
 * lanes and back, independently of host endianness.
 */
#include "hostapi/hashing.h"

#include <string.h>

#include <nettle/sha2.h>
#include <nettle/sha3.h>
#include <sodium.h>
#include <xxhash.h>

/* Keccak-256 sponge rate in bytes: (1600 - 2*256) / 8. */
#define KECCAK_256_RATE 136

static const uint8_t empty_input[1];

/* libsodium and libxxhash want a valid pointer even for an empty input. */
static const uint8_t *nonnull(const uint8_t *data, size_t len)
{
	return (data == NULL || len == 0) ? empty_input : data;
}

static void blake2b(const uint8_t *data, size_t len, uint8_t *out, size_t outlen)
{
	crypto_generichash_state st;

	/* Streaming API: `unsigned long long` lengths, so any size_t fits;
	 * with no key and a 16/32-byte output these calls cannot fail. */
	crypto_generichash_init(&st, NULL, 0, outlen);
	crypto_generichash_update(&st, nonnull(data, len), (unsigned long long)len);
	crypto_generichash_final(&st, out, outlen);
}

void pvf_blake2_128(const uint8_t *data, size_t len, uint8_t out[PVF_BLAKE2_128_LEN])
{
	blake2b(data, len, out, PVF_BLAKE2_128_LEN);
}

void pvf_blake2_256(const uint8_t *data, size_t len, uint8_t out[PVF_BLAKE2_256_LEN])
{
	blake2b(data, len, out, PVF_BLAKE2_256_LEN);
}

static void store_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Substrate's twox_N: N/64 XXH64 hashes with seeds 0, 1, ..., each written
 * little-endian, concatenated. */
static void twox(const uint8_t *data, size_t len, uint8_t *out, unsigned nhashes)
{
	const uint8_t *p = nonnull(data, len);

	for (unsigned seed = 0; seed < nhashes; seed++)
		store_le64(out + 8 * seed, XXH64(p, len, seed));
}

void pvf_twox_64(const uint8_t *data, size_t len, uint8_t out[PVF_TWOX_64_LEN])
{
	twox(data, len, out, 1);
}

void pvf_twox_128(const uint8_t *data, size_t len, uint8_t out[PVF_TWOX_128_LEN])
{
	twox(data, len, out, 2);
}

void pvf_twox_256(const uint8_t *data, size_t len, uint8_t out[PVF_TWOX_256_LEN])
{
	twox(data, len, out, 4);
}

void pvf__keccak_f1600(uint8_t state[PVF_KECCAK_STATE_LEN])
{
	struct sha3_state st;

	for (int i = 0; i < SHA3_STATE_LENGTH; i++)
		st.a[i] = load_le64(state + 8 * i);
	sha3_permute(&st);
	for (int i = 0; i < SHA3_STATE_LENGTH; i++)
		store_le64(state + 8 * i, st.a[i]);
}

void pvf__keccak_sponge_256(const uint8_t *data, size_t len, uint8_t domain,
			    uint8_t out[PVF_KECCAK_256_LEN])
{
	uint8_t st[PVF_KECCAK_STATE_LEN] = { 0 };
	size_t off = 0;

	while (len - off >= KECCAK_256_RATE) {
		for (size_t i = 0; i < KECCAK_256_RATE; i++)
			st[i] ^= data[off + i];
		pvf__keccak_f1600(st);
		off += KECCAK_256_RATE;
	}
	size_t rest = len - off;
	for (size_t i = 0; i < rest; i++)
		st[i] ^= data[off + i];
	st[rest] ^= domain;
	st[KECCAK_256_RATE - 1] ^= 0x80;
	pvf__keccak_f1600(st);
	memcpy(out, st, PVF_KECCAK_256_LEN);
}

void pvf_keccak_256(const uint8_t *data, size_t len, uint8_t out[PVF_KECCAK_256_LEN])
{
	pvf__keccak_sponge_256(data, len, PVF__KECCAK_DOMAIN_ORIGINAL, out);
}

void pvf_sha2_256(const uint8_t *data, size_t len, uint8_t out[PVF_SHA2_256_LEN])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, len, nonnull(data, len));
	sha256_digest(&ctx, PVF_SHA2_256_LEN, out);
}
