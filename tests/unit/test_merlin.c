/*
 * test_merlin.c — STROBE-128 and Merlin transcripts against published
 * vectors (merlin crate and its independent ports).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hostapi/merlin.h"
#include "hostapi/strobe.h"

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

static void assert_hex(const uint8_t *got, size_t len, const char *want_hex)
{
	uint8_t want[64];

	assert_int_equal(unhex(want_hex, want, sizeof want), len);
	assert_memory_equal(got, want, len);
}

#define L(str) (const uint8_t *)(str), (sizeof(str) - 1)

/* The merlin crate's src/strobe.rs `test_conformance` (checked there
 * against strobe-rs): meta-AD/AD of 1024 bytes, PRF, KEY, PRF. */
static void test_strobe_conformance(void **state)
{
	pvf__strobe128 s;
	uint8_t msg[1024], prf[32];

	(void)state;
	memset(msg, 99, sizeof msg);
	pvf__strobe128_init(&s, L("Conformance Test Protocol"));
	pvf__strobe128_meta_ad(&s, L("ms"), false);
	pvf__strobe128_meta_ad(&s, L("g"), true);
	pvf__strobe128_ad(&s, msg, sizeof msg, false);
	pvf__strobe128_meta_ad(&s, L("prf"), false);
	pvf__strobe128_prf(&s, prf, sizeof prf, false);
	assert_hex(prf, 32, "b48e645ca17c667fd5206ba57a6a228d72d8e1903814d3f17f622996d7cfefb0");
	pvf__strobe128_meta_ad(&s, L("key"), false);
	pvf__strobe128_key(&s, prf, sizeof prf, false);
	pvf__strobe128_meta_ad(&s, L("prf"), false);
	pvf__strobe128_prf(&s, prf, sizeof prf, false);
	assert_hex(prf, 32, "07e45cce8078cee259e3e375bb85d75610e2d1e1201c5f645045a194edd49ff8");
}

/* merlin crate transcript.rs `equivalence_simple`; the challenge value is
 * the one printed in the merlin docs and in the Go port
 * (oasisprotocol/curve25519-voi primitives/merlin TestSimpleTranscript). */
static void test_merlin_simple(void **state)
{
	pvf_merlin t;
	uint8_t c[32];

	(void)state;
	assert_int_equal(pvf_merlin_init(&t, L("test protocol"), NULL), 0);
	assert_int_equal(pvf_merlin_append_message(&t, L("some label"), L("some data"), NULL), 0);
	assert_int_equal(pvf_merlin_challenge_bytes(&t, L("challenge"), c, sizeof c, NULL), 0);
	assert_hex(c, 32, "d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615");
}

/* merlin `equivalence_complex` / curve25519-voi TestComplexTranscript:
 * 32 rounds of challenge + 1024-byte message, crossing many STROBE blocks. */
static void test_merlin_complex(void **state)
{
	pvf_merlin t;
	uint8_t data[1024], c[32];

	(void)state;
	memset(data, 99, sizeof data);
	assert_int_equal(pvf_merlin_init(&t, L("test protocol"), NULL), 0);
	assert_int_equal(pvf_merlin_append_message(&t, L("step1"), L("some data"), NULL), 0);
	for (int i = 0; i < 32; i++) {
		assert_int_equal(pvf_merlin_challenge_bytes(&t, L("challenge"), c, sizeof c, NULL), 0);
		assert_int_equal(pvf_merlin_append_message(&t, L("bigdata"), data, sizeof data, NULL), 0);
		assert_int_equal(pvf_merlin_append_message(&t, L("challengedata"), c, sizeof c, NULL), 0);
	}
	assert_hex(c, 32, "a8c933f54fae76e3f9bea93648c1308e7dfa2152dd51674ff3ca438351cf003c");
}

/* append_u64 is append_message of the 8 little-endian bytes (transcript.rs
 * `encode_u64`): both paths must give the same challenge. */
static void test_merlin_u64(void **state)
{
	pvf_merlin a, b;
	uint8_t ca[16], cb[16];
	static const uint8_t le[8] = { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
	pvf_error err;

	(void)state;
	assert_int_equal(pvf_merlin_init(&a, L("p"), NULL), 0);
	assert_int_equal(pvf_merlin_init(&b, L("p"), NULL), 0);
	assert_int_equal(pvf_merlin_append_u64(&a, L("n"), UINT64_C(0x0102030405060708), NULL), 0);
	assert_int_equal(pvf_merlin_append_message(&b, L("n"), le, 8, NULL), 0);
	assert_int_equal(pvf_merlin_challenge_bytes(&a, L("c"), ca, sizeof ca, NULL), 0);
	assert_int_equal(pvf_merlin_challenge_bytes(&b, L("c"), cb, sizeof cb, NULL), 0);
	assert_memory_equal(ca, cb, sizeof ca);
	/* Lengths above u32 are refused (the crate panics), not truncated. */
	assert_int_equal(pvf_merlin_append_message(&a, L("n"), le, (size_t)UINT32_MAX + 1, &err), -1);
	assert_int_equal(err.code, PVF_E_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strobe_conformance),
		cmocka_unit_test(test_merlin_simple),
		cmocka_unit_test(test_merlin_complex),
		cmocka_unit_test(test_merlin_u64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
