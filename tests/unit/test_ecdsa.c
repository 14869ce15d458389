/*
 * test_ecdsa.c — secp256k1 recovery/verification host functions: published
 * vectors (go-ethereum, sp-core) and the version-1 / version-2 differences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hostapi/ecdsa.h"
#include "hostapi/hashing.h"

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

/* go-ethereum crypto/signature_test.go: testmsg, testsig (v = 1),
 * testpubkey (without its 0x04 tag) and testpubkeyc. */
static const char GETH_MSG[] = "ce0677bb30baa8cf067c88db9811f4333d131bf8bcf12fe7065d211dce971008";
static const char GETH_SIG[] =
	"90f27b8b488db00b00606796d2987f6a5f59ae62ea05effe84fef5b8b0e54998"
	"4a691139ad57a3f0b906637673aa2f63d1f55cb1a69199d4009eea23ceaddc93"
	"01";
static const char GETH_PUB[] =
	"e32df42865e97135acfb65f3bae71bdc86f4d49150ad6a440b6f15878109880a"
	"0a2b2667f7e725ceea70c673093bf67663e0312623c8e091b13cf2c0f11ef652";
static const char GETH_PUBC[] = "02e32df42865e97135acfb65f3bae71bdc86f4d49150ad6a440b6f15878109880a";

/* secp256k1 group order n (SEC 2, section 2.4.1), big-endian. */
static const char ORDER_N[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

/* a = n - a (32-byte big-endian, 0 < a < n). */
static void negate_mod_n(uint8_t a[32])
{
	uint8_t n[32];
	int borrow = 0;

	unhex(ORDER_N, n, 32);
	for (int i = 31; i >= 0; i--) {
		int d = (int)n[i] - (int)a[i] - borrow;
		borrow = d < 0;
		a[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

static void test_recover_geth(void **state)
{
	uint8_t msg[32], sig[65], want[64], wantc[33], pub[64], pubc[33];
	pvf_ecdsa_error e;

	(void)state;
	unhex(GETH_MSG, msg, 32);
	unhex(GETH_SIG, sig, 65);
	unhex(GETH_PUB, want, 64);
	unhex(GETH_PUBC, wantc, 33);
	for (unsigned version = 1; version <= 2; version++) {
		assert_true(pvf_secp256k1_recover(version, sig, msg, pub, &e));
		assert_memory_equal(pub, want, 64);
		assert_true(pvf_secp256k1_recover_compressed(version, sig, msg, pubc, &e));
		assert_memory_equal(pubc, wantc, 33);
	}
	/* sp-io: "V should be either 0/1 or 27/28": 28 is recid 1. */
	sig[64] = 28;
	for (unsigned version = 1; version <= 2; version++) {
		memset(pub, 0, sizeof pub);
		assert_true(pvf_secp256k1_recover(version, sig, msg, pub, &e));
		assert_memory_equal(pub, want, 64);
	}
	/* The other parity recovers a different key. */
	sig[64] = 0;
	assert_true(pvf_secp256k1_recover(2, sig, msg, pub, &e));
	assert_memory_not_equal(pub, want, 64);
}

static void test_recover_bad_v(void **state)
{
	static const uint8_t bad_v[] = { 4, 5, 26, 31, 32, 255 };
	uint8_t msg[32], sig[65], pub[64];
	pvf_ecdsa_error e;

	(void)state;
	unhex(GETH_MSG, msg, 32);
	unhex(GETH_SIG, sig, 65);
	for (size_t i = 0; i < sizeof bad_v; i++) {
		sig[64] = bad_v[i];
		for (unsigned version = 1; version <= 2; version++) {
			e = (pvf_ecdsa_error)-1;
			assert_false(pvf_secp256k1_recover(version, sig, msg, pub, &e));
			assert_int_equal(e, PVF_ECDSA_BAD_V);
			e = (pvf_ecdsa_error)-1;
			assert_false(pvf_secp256k1_recover_compressed(version, sig, msg, pub, &e));
			assert_int_equal(e, PVF_ECDSA_BAD_V);
		}
	}
	/* recid 2 (v = 2 or 29) means x = r + n, which is >= p for this r:
	 * a bad signature, not a bad v. */
	sig[64] = 29;
	assert_false(pvf_secp256k1_recover(2, sig, msg, pub, &e));
	assert_int_equal(e, PVF_ECDSA_BAD_SIGNATURE);
}

/* (r, n - s) with the other parity is the same signature (ECDSA
 * malleability); neither version enforces low s, so both recover the key. */
static void test_high_s_accepted(void **state)
{
	uint8_t msg[32], sig[65], want[64], pub[64];
	pvf_ecdsa_error e;

	(void)state;
	unhex(GETH_MSG, msg, 32);
	unhex(GETH_SIG, sig, 65);
	unhex(GETH_PUB, want, 64);
	negate_mod_n(sig + 32);
	sig[64] ^= 1;
	for (unsigned version = 1; version <= 2; version++) {
		memset(pub, 0, sizeof pub);
		assert_true(pvf_secp256k1_recover(version, sig, msg, pub, &e));
		assert_memory_equal(pub, want, 64);
	}
}

/* Version 1 reduces r and s mod n ("parse_overflowing_slice"); version 2
 * rejects r >= n or s >= n with BadRS. */
static void test_overflowing_rs(void **state)
{
	uint8_t msg[32], sig[65], pub1[64], pub2[64];
	pvf_ecdsa_error e;

	(void)state;
	unhex(GETH_MSG, msg, 32);
	unhex(GETH_SIG, sig, 65);

	/* s = n: version 1 sees s = 0 -> BadSignature; version 2 -> BadRS. */
	unhex(ORDER_N, sig + 32, 32);
	assert_false(pvf_secp256k1_recover(1, sig, msg, pub1, &e));
	assert_int_equal(e, PVF_ECDSA_BAD_SIGNATURE);
	assert_false(pvf_secp256k1_recover(2, sig, msg, pub2, &e));
	assert_int_equal(e, PVF_ECDSA_BAD_RS);

	/* s = n + 1: version 1 recovers exactly what s = 1 recovers. */
	sig[63] = 0x42; /* n + 1 */
	assert_true(pvf_secp256k1_recover(1, sig, msg, pub1, &e));
	assert_false(pvf_secp256k1_recover(2, sig, msg, pub2, &e));
	assert_int_equal(e, PVF_ECDSA_BAD_RS);
	memset(sig + 32, 0, 32);
	sig[63] = 1;
	assert_true(pvf_secp256k1_recover(2, sig, msg, pub2, &e));
	assert_memory_equal(pub1, pub2, 64);

	/* r = n: BadSignature (r = 0) vs BadRS; r = 0 is BadSignature in both. */
	unhex(GETH_SIG, sig, 65);
	unhex(ORDER_N, sig, 32);
	assert_false(pvf_secp256k1_recover(1, sig, msg, pub1, &e));
	assert_int_equal(e, PVF_ECDSA_BAD_SIGNATURE);
	assert_false(pvf_secp256k1_recover(2, sig, msg, pub1, &e));
	assert_int_equal(e, PVF_ECDSA_BAD_RS);
	memset(sig, 0, 32);
	for (unsigned version = 1; version <= 2; version++) {
		assert_false(pvf_secp256k1_recover(version, sig, msg, pub1, &e));
		assert_int_equal(e, PVF_ECDSA_BAD_SIGNATURE);
	}
}

/*
 * sp-core ecdsa tests `test_vector_should_work`: the key of seed 9d61b19d...
 * (compressed 028db55b..., full 8db55b05...d7d4) signs b"" (blake2_256) with
 * signature 3dde9117...3c00 (v = 0).
 */
static const char SPCORE_PUBC[] = "028db55b05db86c0b1786ca49f095d76344c9e6056b2f02701a7e7f3c20aabfd91";
static const char SPCORE_PUB[] =
	"8db55b05db86c0b1786ca49f095d76344c9e6056b2f02701a7e7f3c20aabfd91"
	"3ebbe148dd17c56551a52952371071a6c604b3f3abe8f2c8fa742158ea6dd7d4";
static const char SPCORE_SIG[] =
	"3dde91174bd9359027be59a428b8146513df80a2a3c7eda2194f64de04a69ab9"
	"7b753169e94db6ffd50921a2668a48b94ca11e3d32c1ff19cfe88890aa7e8f3c"
	"00";

static void test_verify_spcore(void **state)
{
	uint8_t pubc[33], want[64], sig[65], hash[32], pub[64];
	pvf_ecdsa_error e;

	(void)state;
	unhex(SPCORE_PUBC, pubc, 33);
	unhex(SPCORE_PUB, want, 64);
	unhex(SPCORE_SIG, sig, 65);
	assert_true(pvf_ecdsa_verify(1, sig, NULL, 0, pubc));
	assert_true(pvf_ecdsa_verify(2, sig, NULL, 0, pubc));
	pvf_blake2_256(NULL, 0, hash);
	assert_true(pvf_ecdsa_verify_prehashed(sig, hash, pubc));
	assert_true(pvf_secp256k1_recover(2, sig, hash, pub, &e));
	assert_memory_equal(pub, want, 64);

	/* Another message, another key, or the other parity: false. */
	static const uint8_t m[] = "x";
	assert_false(pvf_ecdsa_verify(1, sig, m, 1, pubc));
	assert_false(pvf_ecdsa_verify(2, sig, m, 1, pubc));
	uint8_t other_hash[32];
	pvf_blake2_256(m, 1, other_hash);
	assert_false(pvf_ecdsa_verify_prehashed(sig, other_hash, pubc));
	pubc[0] ^= 1; /* 03.. : the negated key */
	assert_false(pvf_ecdsa_verify(1, sig, NULL, 0, pubc));
	assert_false(pvf_ecdsa_verify(2, sig, NULL, 0, pubc));
	pubc[0] ^= 1;
	sig[64] = 1;
	assert_false(pvf_ecdsa_verify(2, sig, NULL, 0, pubc));

	/* The verify functions take v as the recovery id directly: 27 is not
	 * accepted there (unlike secp256k1_ecdsa_recover). */
	sig[64] = 27;
	assert_false(pvf_ecdsa_verify(1, sig, NULL, 0, pubc));
	assert_false(pvf_ecdsa_verify(2, sig, NULL, 0, pubc));
	assert_false(pvf_ecdsa_verify_prehashed(sig, hash, pubc));
	assert_true(pvf_secp256k1_recover(2, sig, hash, pub, &e));
	assert_memory_equal(pub, want, 64);

	/* High s with flipped parity: still valid for every verify variant. */
	sig[64] = 1;
	negate_mod_n(sig + 32);
	assert_true(pvf_ecdsa_verify(1, sig, NULL, 0, pubc));
	assert_true(pvf_ecdsa_verify(2, sig, NULL, 0, pubc));
	assert_true(pvf_ecdsa_verify_prehashed(sig, hash, pubc));
}

/* Random signatures never verify against a fixed key, and recovery of
 * random input either fails with one of the three errors or succeeds. */
static void test_garbage(void **state)
{
	uint8_t pubc[33], sig[65], msg[32], pub[64];
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15); /* xorshift64, fixed seed */

	(void)state;
	unhex(SPCORE_PUBC, pubc, 33);
	for (int i = 0; i < 256; i++) {
		for (size_t j = 0; j < sizeof sig; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			sig[j] = (uint8_t)x;
			if (j < sizeof msg)
				msg[j] = (uint8_t)(x >> 8);
		}
		sig[64] &= 3;
		assert_false(pvf_ecdsa_verify(1, sig, msg, sizeof msg, pubc));
		assert_false(pvf_ecdsa_verify(2, sig, msg, sizeof msg, pubc));
		assert_false(pvf_ecdsa_verify_prehashed(sig, msg, pubc));
		for (unsigned version = 1; version <= 2; version++) {
			pvf_ecdsa_error e = PVF_ECDSA_BAD_V;
			if (!pvf_secp256k1_recover(version, sig, msg, pub, &e))
				assert_true(e == PVF_ECDSA_BAD_RS || e == PVF_ECDSA_BAD_SIGNATURE);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recover_geth),
		cmocka_unit_test(test_recover_bad_v),
		cmocka_unit_test(test_high_s_accepted),
		cmocka_unit_test(test_overflowing_rs),
		cmocka_unit_test(test_verify_spcore),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
