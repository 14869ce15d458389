/*
 * test_hashing.c — the Substrate hashing host functions against published
 * vectors (sources cited next to each value).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hostapi/hashing.h"

/* Decodes a NUL-terminated lowercase hex string into `out` (test helper). */
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

#define S(str) (const uint8_t *)(str), (sizeof(str) - 1)

static void test_blake2(void **state)
{
	uint8_t out[32];

	(void)state;
	/* BLAKE2b-256(""): `b2sum -l 256` of an empty input; the same value is
	 * the blake2_256(b"") behind sp-core's ecdsa test vector. */
	pvf_blake2_256(NULL, 0, out);
	assert_hex(out, 32, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	/* BLAKE2b-256("abc") and BLAKE2b-128("") / ("abc"): the reference
	 * b2sum values ("echo -n abc | b2sum -a blake2b -l 128"), as quoted in
	 * e.g. userver's crypto tests and substrate-sdk hasher tests. */
	pvf_blake2_256(S("abc"), out);
	assert_hex(out, 32, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
	pvf_blake2_128(NULL, 0, out);
	assert_hex(out, 16, "cae66941d9efbd404e4d88758ea67670");
	pvf_blake2_128(S("abc"), out);
	assert_hex(out, 16, "cf4ab791c62b8d2b2109c90275287816");
}

static void test_twox(void **state)
{
	uint8_t out[32];

	(void)state;
	/* XXH64("", seed 0) = 0xEF46DB3751D8E999 (xxHash reference), written
	 * little-endian by Substrate's twox_64. */
	pvf_twox_64(NULL, 0, out);
	assert_hex(out, 8, "99e9d85137db46ef");
	/* Substrate's own executor tests (sc-executor src/integration_tests:
	 * twox_128_should_work, twox_256_should_work) for "" and "Hello world!". */
	pvf_twox_128(NULL, 0, out);
	assert_hex(out, 16, "99e9d85137db46ef4bbea33613baafd5");
	pvf_twox_128(S("Hello world!"), out);
	assert_hex(out, 16, "b27dfd7f223f177f2a13647b533599af");
	pvf_twox_256(NULL, 0, out);
	assert_hex(out, 32, "99e9d85137db46ef4bbea33613baafd56f963c64b1f3685a4eb4abd67ff6203a");
	pvf_twox_256(S("Hello world!"), out);
	assert_hex(out, 32, "b27dfd7f223f177f2a13647b533599af0c07f68bda23d96d059da2b451a35a74");
	/* Storage-key prefixes every Substrate chain uses (pallet/item names
	 * hashed with twox_128, e.g. System.Account = 26aa394e.. b99d880e..). */
	pvf_twox_128(S("System"), out);
	assert_hex(out, 16, "26aa394eea5630e07c48ae0c9558cef7");
	pvf_twox_128(S("Account"), out);
	assert_hex(out, 16, "b99d880ec681799c0cf30e8886371da9");
	pvf_twox_128(S("Balances"), out);
	assert_hex(out, 16, "c2261276cc9d1f8598ea4b6a74b15c2f");
	pvf_twox_128(S("TotalIssuance"), out);
	assert_hex(out, 16, "57c875e4cff74148e4628f264b974c80");
}

static void test_keccak(void **state)
{
	uint8_t out[32];

	(void)state;
	/* Ethereum's keccak256("") and keccak256("abc") (Keccak team KAT,
	 * quoted throughout Ethereum tooling). */
	pvf_keccak_256(NULL, 0, out);
	assert_hex(out, 32, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	pvf_keccak_256(S("abc"), out);
	assert_hex(out, 32, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
	/* Ethereum event topic of Transfer(address,address,uint256) (ERC-20). */
	pvf_keccak_256(S("Transfer(address,address,uint256)"), out);
	assert_hex(out, 32, "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
	pvf_keccak_256(S("hello world"), out);
	assert_hex(out, 32, "47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad");
}

static void test_sponge_sha3_mode(void **state)
{
	uint8_t out[32], msg[200];

	(void)state;
	/* The shared sponge with FIPS 202 padding: NIST SHA3-256 examples
	 * (csrc.nist.gov "SHA3-256_Msg0" and "SHA3-256_1600": 200 bytes of 0xa3,
	 * which crosses the 136-byte rate). */
	pvf__keccak_sponge_256(NULL, 0, PVF__KECCAK_DOMAIN_SHA3, out);
	assert_hex(out, 32, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
	memset(msg, 0xa3, sizeof msg);
	pvf__keccak_sponge_256(msg, sizeof msg, PVF__KECCAK_DOMAIN_SHA3, out);
	assert_hex(out, 32, "79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973c65fa1bd9de31787");
	/* FIPS 202 example "abc". */
	pvf__keccak_sponge_256(S("abc"), PVF__KECCAK_DOMAIN_SHA3, out);
	assert_hex(out, 32, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
}

static void test_sha256(void **state)
{
	uint8_t out[32];

	(void)state;
	/* FIPS 180-2 appendix B.1, B.2, and the empty message. */
	pvf_sha2_256(S("abc"), out);
	assert_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	pvf_sha2_256(S("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), out);
	assert_hex(out, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	pvf_sha2_256(NULL, 0, out);
	assert_hex(out, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blake2),
		cmocka_unit_test(test_twox),
		cmocka_unit_test(test_keccak),
		cmocka_unit_test(test_sponge_sha3_mode),
		cmocka_unit_test(test_sha256),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
