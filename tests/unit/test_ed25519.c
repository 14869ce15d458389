/*
 * test_ed25519.c — ZIP-215 Ed25519 verification: RFC 8032 vectors, the 196
 * small-order / non-canonical ZIP-215 cases, and the rules that tell ZIP-215
 * apart from libsodium (canonical s, cofactored equation, lax point decoding).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "hostapi/ed25519.h"

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

/* RFC 8032 section 7.1, TEST 1, 2, 3 and TEST 1024 is omitted (long). */
static const struct {
	const char *pub, *msg, *sig;
} rfc8032[] = {
	{ "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

static void test_rfc8032(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rfc8032 / sizeof rfc8032[0]; i++) {
		uint8_t pub[32], sig[64], msg[8];
		size_t mlen;

		unhex(rfc8032[i].pub, pub, sizeof pub);
		unhex(rfc8032[i].sig, sig, sizeof sig);
		mlen = unhex(rfc8032[i].msg, msg, sizeof msg);
		assert_true(pvf_ed25519_verify(sig, mlen ? msg : NULL, mlen, pub));

		/* A changed message, R, s or key must fail. */
		uint8_t m2[8] = { 0 };
		memcpy(m2, msg, mlen);
		m2[0] ^= 1;
		assert_false(pvf_ed25519_verify(sig, m2, mlen ? mlen : 1, pub));
		for (int pos = 0; pos < 64; pos += 21) {
			uint8_t s2[64];
			memcpy(s2, sig, 64);
			s2[pos] ^= 0x04;
			assert_false(pvf_ed25519_verify(s2, msg, mlen, pub));
		}
		uint8_t p2[32];
		memcpy(p2, pub, 32);
		p2[5] ^= 0x10;
		assert_false(pvf_ed25519_verify(sig, msg, mlen, p2));
	}
}

/* s + L: the same group element as s, so only the canonical-s rule (ZIP-215
 * rule "S MUST be less than L") rejects it. */
static void test_noncanonical_s_rejected(void **state)
{
	/* L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
	static const uint8_t L[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
		0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	};
	uint8_t pub[32], sig[64];
	unsigned carry = 0;

	(void)state;
	unhex(rfc8032[0].pub, pub, sizeof pub);
	unhex(rfc8032[0].sig, sig, sizeof sig);
	for (int i = 0; i < 32; i++) {
		unsigned t = sig[32 + i] + L[i] + carry;
		sig[32 + i] = (uint8_t)t;
		carry = t >> 8;
	}
	assert_int_equal(carry, 0);
	assert_false(pvf_ed25519_verify(sig, NULL, 0, pub));
	/* s = L exactly, and s = 2^256 - 1. */
	memcpy(sig + 32, L, 32);
	assert_false(pvf_ed25519_verify(sig, NULL, 0, pub));
	memset(sig + 32, 0xff, 32);
	assert_false(pvf_ed25519_verify(sig, NULL, 0, pub));
}

/* Encodings that are not on the curve are rejected (y = 2 has no x). */
static void test_off_curve_rejected(void **state)
{
	uint8_t pub[32] = { 2 }, sig[64];

	(void)state;
	unhex(rfc8032[0].sig, sig, sizeof sig);
	assert_false(pvf_ed25519_verify(sig, NULL, 0, pub));
	unhex(rfc8032[0].pub, pub, sizeof pub);
	memset(sig, 0, 32);
	sig[0] = 2;
	assert_false(pvf_ed25519_verify(sig, NULL, 0, pub));
}

/*
 * The ZIP-215 conformance set: every pair (A, R) of the 14 encodings below,
 * s = 0, message "Zcash". Source: ZcashFoundation/ed25519-zebra
 * tests/small_order.rs + tests/util/mod.rs (the 8 canonical 8-torsion
 * encodings plus the first 6 low-order non-canonical encodings), written out
 * as 196 hex vectors in e.g. iotaledger/crypto.rs tests/fixtures/zip215.rs.
 * Under ZIP-215 every one of the 196 cases is valid ("valid_zip215 = true").
 */
static const char *const zip215_points[14] = {
	"0100000000000000000000000000000000000000000000000000000000000000",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"0000000000000000000000000000000000000000000000000000000000000000",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	"0100000000000000000000000000000000000000000000000000000000000080",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};

static void test_zip215_small_order(void **state)
{
	static const uint8_t msg[] = "Zcash";
	int valid = 0, sodium_valid = 0;

	(void)state;
	assert_true(sodium_init() >= 0);
	for (int a = 0; a < 14; a++) {
		for (int r = 0; r < 14; r++) {
			uint8_t pub[32], sig[64] = { 0 };

			unhex(zip215_points[a], pub, sizeof pub);
			unhex(zip215_points[r], sig, 32);
			if (pvf_ed25519_verify(sig, msg, 5, pub))
				valid++;
			else
				print_message("zip215 case A=%d R=%d rejected\n", a, r);
			if (crypto_sign_verify_detached(sig, msg, 5, pub) == 0)
				sodium_valid++;
		}
	}
	assert_int_equal(valid, 196);
	/* Sanity check of the set: libsodium's strict rules reject them all. */
	assert_int_equal(sodium_valid, 0);
}

/* Signatures made by libsodium (RFC 8032 signer, an independent
 * implementation) over random keys and messages verify; any single-bit change
 * of message, key or signature does not. Random garbage never crashes. */
static void test_libsodium_signatures(void **state)
{
	(void)state;
	assert_true(sodium_init() >= 0);
	for (int i = 0; i < 64; i++) {
		uint8_t pk[32], sk[64], sig[64], msg[300];
		size_t mlen = (size_t)randombytes_uniform(sizeof msg);

		crypto_sign_keypair(pk, sk);
		randombytes_buf(msg, sizeof msg);
		crypto_sign_detached(sig, NULL, msg, mlen, sk);
		assert_true(pvf_ed25519_verify(sig, msg, mlen, pk));
		if (mlen > 0) {
			msg[randombytes_uniform((uint32_t)mlen)] ^= (uint8_t)(1u << randombytes_uniform(8));
			assert_false(pvf_ed25519_verify(sig, msg, mlen, pk));
		}
		uint32_t bit = randombytes_uniform(64 * 8);
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		/* Flipping bit 255 of R toggles x to -x: a different point (x != 0). */
		assert_false(pvf_ed25519_verify(sig, msg, mlen, pk));
	}
	for (int i = 0; i < 64; i++) {
		uint8_t pk[32], sig[64], msg[16];

		randombytes_buf(pk, sizeof pk);
		randombytes_buf(sig, sizeof sig);
		randombytes_buf(msg, sizeof msg);
		assert_false(pvf_ed25519_verify(sig, msg, sizeof msg, pk));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8032),
		cmocka_unit_test(test_noncanonical_s_rejected),
		cmocka_unit_test(test_off_curve_rejected),
		cmocka_unit_test(test_zip215_small_order),
		cmocka_unit_test(test_libsodium_signatures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
