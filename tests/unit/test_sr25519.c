/*
 * test_sr25519.c — sr25519 verification (host function versions 1 and 2)
 * against published schnorrkel/Substrate signatures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "hostapi/sr25519.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/*
 * A current (marked) signature by Alice, context "substrate", from the ink!
 * examples' sr25519-verification contract (test_sr25519_verify_valid, which
 * checks it through sp-io's sr25519_verify). Message "<Bytes>0x46fb7408d4f285228f4af516ea25851b</Bytes>".
 */
static const char ALICE_PUB[] = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
static const char ALICE_MSG[] = "<Bytes>0x46fb7408d4f285228f4af516ea25851b</Bytes>";
static const char ALICE_SIG[] =
	"0a7da2b631704cdcfe93c740e41217b9ac667a0c8755d8da1a8232db527f487c"
	"87e780d2edc1896aeb6b1bef0bc7c38d9df2135b633eab8bfb1777e82fad3a8f";

static void test_marked_signature(void **state)
{
	uint8_t pub[32], sig[64];
	size_t mlen = strlen(ALICE_MSG);

	(void)state;
	assert_int_equal(mlen, 49);
	unhex(ALICE_PUB, pub, sizeof pub);
	unhex(ALICE_SIG, sig, sizeof sig);
	assert_true(pvf_sr25519_verify(sig, (const uint8_t *)ALICE_MSG, mlen, pub));
	/* Version 1 gives version 2's answer for marked signatures. */
	assert_true(pvf_sr25519_verify_deprecated(sig, (const uint8_t *)ALICE_MSG, mlen, pub));

	/* The ink! test's negative cases: first byte of message, key or
	 * signature off by one. */
	uint8_t m2[64], p2[32], s2[64];
	memcpy(m2, ALICE_MSG, mlen);
	m2[0]++;
	assert_false(pvf_sr25519_verify(sig, m2, mlen, pub));
	assert_false(pvf_sr25519_verify_deprecated(sig, m2, mlen, pub));
	memcpy(p2, pub, 32);
	p2[0]++;
	assert_false(pvf_sr25519_verify(sig, (const uint8_t *)ALICE_MSG, mlen, p2));
	memcpy(s2, sig, 64);
	s2[0]++;
	assert_false(pvf_sr25519_verify(sig, (const uint8_t *)ALICE_MSG, mlen - 1, pub));
	assert_false(pvf_sr25519_verify(s2, (const uint8_t *)ALICE_MSG, mlen, pub));
	assert_false(pvf_sr25519_verify_deprecated(s2, (const uint8_t *)ALICE_MSG, mlen, pub));

	/* Without the marker the strict version refuses to parse it, and the
	 * deprecated one verifies it under the old transcript, which fails. */
	memcpy(s2, sig, 64);
	s2[63] &= 0x7f;
	assert_false(pvf_sr25519_verify(s2, (const uint8_t *)ALICE_MSG, mlen, pub));
	assert_false(pvf_sr25519_verify_deprecated(s2, (const uint8_t *)ALICE_MSG, mlen, pub));

	/* s + l (still marked) is a non-canonical scalar: rejected by both
	 * (schnorrkel check_scalar -> ScalarFormatError). */
	static const uint8_t L[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
		0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	};
	memcpy(s2, sig, 64);
	s2[63] &= 0x7f;
	unsigned carry = 0;
	for (int i = 0; i < 32; i++) {
		unsigned t = s2[32 + i] + L[i] + carry;
		s2[32 + i] = (uint8_t)t;
		carry = t >> 8;
	}
	assert_int_equal(carry, 0);
	assert_int_equal(s2[63] & 0x80, 0);
	s2[63] |= 0x80;
	assert_false(pvf_sr25519_verify(s2, (const uint8_t *)ALICE_MSG, mlen, pub));
	assert_false(pvf_sr25519_verify_deprecated(s2, (const uint8_t *)ALICE_MSG, mlen, pub));
}

/*
 * schnorrkel MiniSecretKey::expand_ed25519 (ExpansionMode::Ed25519, what
 * sp_core::sr25519::Pair::from_seed uses) followed by to_public, computed with
 * libsodium only: key = clamp(SHA-512(seed)[0..32]) / 8, public = key * B.
 */
static void public_from_seed(const uint8_t seed[32], uint8_t pub[32])
{
	uint8_t h[64], key[32];

	crypto_hash_sha512(h, seed, 32);
	memcpy(key, h, 32);
	key[0] &= 248;
	key[31] &= 63;
	key[31] |= 64;
	/* divide_scalar_bytes_by_cofactor: 256-bit little-endian >> 3 */
	for (int i = 0; i < 32; i++) {
		key[i] = (uint8_t)(key[i] >> 3);
		if (i < 31)
			key[i] = (uint8_t)(key[i] | (key[i + 1] << 5));
	}
	assert_int_equal(crypto_scalarmult_ristretto255_base(pub, key), 0);
}

/*
 * sp-core sr25519 tests: `test_vector_should_work` publishes the key of seed
 * 9d61b19d... (checks the derivation above), and `verify_from_old_wasm_works`
 * a schnorrkel 0.1.1 (pre-marker) signature from schnorrkel-js by the key of
 * the all-zero seed on "SUBSTRATE": verify_deprecated accepts it, verify
 * rejects it.
 */
static void test_legacy_signature(void **state)
{
	uint8_t seed[32], pub[32], want[32], sig[64];
	static const uint8_t msg[] = "SUBSTRATE";

	(void)state;
	unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, 32);
	public_from_seed(seed, pub);
	unhex("44a996beb1eef7bdcab976ab6d2ca26104834164ecf28fb375600576fcc6eb0f", want, 32);
	assert_memory_equal(pub, want, 32);

	memset(seed, 0, sizeof seed);
	public_from_seed(seed, pub);
	unhex("28a854d54903e056f89581c691c1f7d2ff39f8f896c9e9c22475e60902cc2b35"
	      "47199e0e91fa32902028f2ca2355e8cdd16cfe19ba5e8b658c94aa80f3b81a00",
	      sig, sizeof sig);
	assert_true(pvf_sr25519_verify_deprecated(sig, msg, 9, pub));
	assert_false(pvf_sr25519_verify(sig, msg, 9, pub));
	/* Another message fails under the legacy transcript too. */
	assert_false(pvf_sr25519_verify_deprecated(sig, msg, 8, pub));
	/* With the marker set by hand it is a "current" signature, and the
	 * current transcript does not match. */
	sig[63] |= 0x80;
	assert_false(pvf_sr25519_verify_deprecated(sig, msg, 9, pub));
	assert_false(pvf_sr25519_verify(sig, msg, 9, pub));
}

/* Public keys must be canonical Ristretto encodings (RFC 9496 section 4.3.1
 * decode; e.g. all-0xff is non-canonical, and bytes with the high bit set). */
static void test_bad_public_keys(void **state)
{
	uint8_t pub[32], sig[64];
	size_t mlen = strlen(ALICE_MSG);

	(void)state;
	unhex(ALICE_SIG, sig, sizeof sig);
	memset(pub, 0xff, sizeof pub);
	assert_false(pvf_sr25519_verify(sig, (const uint8_t *)ALICE_MSG, mlen, pub));
	assert_false(pvf_sr25519_verify_deprecated(sig, (const uint8_t *)ALICE_MSG, mlen, pub));
	unhex(ALICE_PUB, pub, sizeof pub);
	pub[31] |= 0x80;
	assert_false(pvf_sr25519_verify(sig, (const uint8_t *)ALICE_MSG, mlen, pub));
}

/*
 * The identity (all-zero encoding) is a valid Ristretto point for
 * curve25519-dalek's decompress, so Substrate accepts it as a public key;
 * with A = 0 the equation is R = s*B for any message (RFC 9496 appendix A.1
 * lists encode(B) = e2f2ae0a... and encode(0) = 00..00).
 */
static void test_identity_public_key(void **state)
{
	uint8_t pub[32] = { 0 }, sig[64];
	static const uint8_t msg[] = "anything";

	(void)state;
	memset(sig, 0, sizeof sig);
	unhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76", sig, 32);
	sig[32] = 1;     /* s = 1 */
	sig[63] = 0x80;  /* marker */
	assert_true(pvf_sr25519_verify(sig, msg, 8, pub));
	/* s = 0 and R = identity. */
	memset(sig, 0, sizeof sig);
	sig[63] = 0x80;
	assert_true(pvf_sr25519_verify(sig, msg, 8, pub));
}

/* Random inputs never verify (and never crash). */
static void test_garbage(void **state)
{
	(void)state;
	assert_true(sodium_init() >= 0);
	for (int i = 0; i < 256; i++) {
		uint8_t pub[32], sig[64], msg[40];

		randombytes_buf(pub, sizeof pub);
		randombytes_buf(sig, sizeof sig);
		randombytes_buf(msg, sizeof msg);
		if (i & 1)
			crypto_core_ristretto255_random(pub);
		assert_false(pvf_sr25519_verify(sig, msg, sizeof msg, pub));
		assert_false(pvf_sr25519_verify_deprecated(sig, msg, sizeof msg, pub));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marked_signature),
		cmocka_unit_test(test_legacy_signature),
		cmocka_unit_test(test_bad_public_keys),
		cmocka_unit_test(test_identity_public_key),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
