/*
 * test_hostapi_functions.c — the Substrate host functions as a wasm module
 * sees them: each is imported by tests/wasm/hostapi_funcs.wat (real names and
 * signatures), bound with pvf_hostapi_bind, and called with raw ABI
 * arguments (fat pointers, thin pointers); results are read back from wasm
 * memory.
 *
 * Expected values and their sources:
 *   [B2]     BLAKE2b (RFC 7693) digests computed with Python's hashlib.blake2b
 *            (an independent implementation); blake2_256("") = 0e5751c0...e3a8
 *            is also sp-crypto-hashing's test value.
 *   [XX]     sp-crypto-hashing tests: twox_128("") = 99e9d851...afd5,
 *            twox_128("Hello world!") = b27dfd7f...99af; twox_64 is the first
 *            8 bytes of twox_128 (XXH64 seed 0, little-endian).
 *   [KEC]    keccak256("") = c5d24601...a470 (Ethereum); Keccak team KAT
 *            ShortMsgKAT_512 Len=0: keccak512("") = 0eab42de...680e.
 *   [SHA]    FIPS 180-2 appendix B.1: SHA-256("abc").
 *   [FB]     polkadot-sdk substrate/client/allocator/src/freeing_bump.rs:
 *            first allocation at heap base + 8, header = order | 1 << 32,
 *            LIFO reuse of freed blocks.
 *   [RFC8032] RFC 8032 section 7.1 TEST 1 (empty message).
 *   [SPIO]   sp-io lib.rs test use_dalek_ext_works: the all-zero signature
 *            with the all-zero key verifies under ed25519-zebra (ZIP-215).
 *   [INK]    sr25519: Alice's marked signature from the ink! examples'
 *            sr25519-verification contract (also in test_sr25519.c).
 *   [GETH]   go-ethereum crypto/signature_test.go testmsg/testsig/testpubkey.
 *   [SPCORE] sp-core ecdsa test_vector_should_work (key of seed 9d61b19d...,
 *            signature over b"").
 *   [SPIO2]  sp-io lib.rs: EcdsaVerifyError SCALE indices BadRS 0, BadV 1,
 *            BadSignature 2; version 3 codes -1/-2/-3; Result Ok = 0x00,
 *            Err = 0x01; Option None = 0x00, Some = 0x01.
 *   [W3F]    w3f/polkadot-tests fixtures/host-api trie rows (as in
 *            test_trie.c) and the empty trie root 03170a2e...1314.
 *   [PROOF]  a compact proof assembled by hand (as in test_trie_proof.c):
 *            the one-leaf trie {0xAB: "hello"}, whose proof is the leaf
 *            with its value left out (0x42 0xAB 0x00); the root it must
 *            reach comes from the trie root builder.
 *   [SPV]    sp-version RuntimeVersion::decode_with_version_hint: without a
 *            Core API >= 3 the transaction_version is 1 and system_version
 *            0, and the host re-encodes all eight fields.
 *   [STO]    sp-io lib.rs Storage and sp-state-machine ext.rs: get/next_key
 *            return SCALE Option<Vec<u8>>, read v1 Option<u32> (0x01 ++ u32
 *            LE), read v2 the length or -1 and the whole buffer written back,
 *            clear_prefix v2 KillStorageResult (AllRemoved = 0x00 ++ u32 of
 *            backend loops: 0 over an empty backend, overlay keys all
 *            removed), root the raw 32-byte hash (AllocateAndReturnFatPointer),
 *            changes_root None, commit/rollback without a transaction panic
 *            ("No open transaction that can be ..."), writes of
 *            ":child_storage:" keys refused; Cumulus storage_proof_size
 *            u64::MAX without a recorder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "hostapi/functions.h"
#include "hostapi/hashing.h"
#include "hostapi/registry.h"
#include "worker/code.h"

static char g_dir[] = "/tmp/pvfhost-test-hostapi-XXXXXX";
static char g_funcs[600], g_impmem[600], g_badsig[600], g_storage[600], g_storage_mt[600];

/* ---- fixture ------------------------------------------------------------- */

typedef struct logline {
	uint32_t level;
	char target[64];
	char msg[256];
} logline;

typedef struct fx {
	pvf_artifact *a;
	pvf_hostapi_ctx *ctx;
	pvf_binding *b;
	pvf_instance *in;
	logline logs[16];
	int nlogs;
} fx;

static void sink(void *user, uint32_t level, const char *t, size_t tl, const char *m, size_t ml)
{
	fx *f = user;

	if (f->nlogs >= 16)
		return;
	f->logs[f->nlogs].level = level;
	snprintf(f->logs[f->nlogs].target, 64, "%.*s", (int)tl, t);
	snprintf(f->logs[f->nlogs].msg, 256, "%.*s", (int)ml, m);
	f->nlogs++;
}

static void prep(const char *name, char *out)
{
	char path[600];
	pvf_code_opts co = { .skip_rules = true };
	pvf_prepare_opts po = { .opt_level = "-O0" };
	pvf_code *c = NULL;
	pvf_error err;

	snprintf(path, sizeof(path), "%s/%s.wasm", TEST_WASM_DIR, name);
	snprintf(out, 600, "%s/%s.art", g_dir, name);
	if (pvf_code_load_file(path, &co, &c, &err) < 0)
		fail_msg("load %s: %s", name, err.msg);
	if (pvf_code_prepare(c, &po, out, NULL, &err) < 0)
		fail_msg("prepare %s: %s", name, err.msg);
	pvf_code_free(c);
}

/* `runtime_state`: a runtime call (the storage functions work on an empty
 * state) rather than validation. */
static void fx_open_opts(fx *f, const char *art, uint32_t filter, bool runtime_state)
{
	pvf_hostapi_opts o = { .max_log_level = filter, .max_log_level_set = true, .log_sink = sink,
			       .runtime_state = runtime_state };
	pvf_error err;
	pvf_trap trap;

	memset(f, 0, sizeof(*f));
	o.log_user = f;
	if (pvf_artifact_open(art, NULL, &f->a, &err) < 0)
		fail_msg("open: %s", err.msg);
	assert_int_equal(pvf_hostapi_ctx_new(&o, &f->ctx, &err), 0);
	if (pvf_hostapi_bind(f->a, f->ctx, &f->b, &err) < 0)
		fail_msg("bind: %s", err.msg);
	if (pvf_instance_new(f->a, f->b, pvf_artifact_nimports(f->a), NULL, &f->in, &trap, &err) < 0)
		fail_msg("instantiate: %s", err.msg);
	if (pvf_hostapi_ctx_attach(f->ctx, f->in, &err) < 0)
		fail_msg("attach: %s", err.msg);
}

static void fx_open(fx *f, const char *art, uint32_t filter)
{
	fx_open_opts(f, art, filter, false);
}

static void fx_close(fx *f)
{
	pvf_instance_free(f->in);
	pvf_hostapi_ctx_free(f->ctx);
	free(f->b);
	pvf_artifact_close(f->a);
}

/* Calls; returns 0 or the trap (with *trap filled). */
static int call(fx *f, const char *name, const uint64_t *args, uint32_t nargs, uint64_t *res,
		uint32_t nres, pvf_trap *trap)
{
	pvf_error err;
	int32_t idx = pvf_artifact_find_export(f->a, name, (uint32_t)strlen(name));
	const pvf_extern_desc *d;

	if (idx < 0)
		fail_msg("no export %s", name);
	d = pvf_artifact_export(f->a, (uint32_t)idx);
	assert_int_equal(strlen(d->params), nargs);
	assert_int_equal(strlen(d->results), nres);
	if (pvf_instance_call(f->in, name, args, nargs, res, nres, trap, &err) < 0) {
		if (err.code != PVF_E_TRAP)
			fail_msg("%s: %s", name, err.msg);
		return -1;
	}
	return 0;
}

static uint64_t call1(fx *f, const char *name, const uint64_t *args, uint32_t nargs)
{
	uint64_t r = 0;
	pvf_trap t;

	if (call(f, name, args, nargs, &r, 1, &t) < 0)
		fail_msg("%s trapped: %s", name, t.msg);
	return r;
}

static void call0(fx *f, const char *name, const uint64_t *args, uint32_t nargs)
{
	pvf_trap t;

	if (call(f, name, args, nargs, NULL, 0, &t) < 0)
		fail_msg("%s trapped: %s", name, t.msg);
}

static void expect_trap(fx *f, const char *name, const uint64_t *args, uint32_t nargs, uint32_t nres,
			pvf_trap_kind kind, const char *msg_part)
{
	uint64_t r[1];
	pvf_trap t;

	if (call(f, name, args, nargs, r, nres, &t) == 0)
		fail_msg("%s: expected a trap", name);
	assert_int_equal(t.kind, kind);
	if (msg_part && !strstr(t.msg, msg_part))
		fail_msg("%s: trap message \"%s\" lacks \"%s\"", name, t.msg, msg_part);
}

static void wr(fx *f, uint32_t addr, const void *p, size_t n)
{
	pvf_error err;

	assert_int_equal(pvf_instance_write(f->in, addr, p, n, &err), 0);
}

static void rd(fx *f, uint32_t addr, void *p, size_t n)
{
	pvf_error err;

	assert_int_equal(pvf_instance_read(f->in, addr, p, n, &err), 0);
}

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static uint64_t fat(uint32_t p, uint32_t n)
{
	return (uint64_t)p | (uint64_t)n << 32;
}

static void expect_mem_hex(fx *f, uint32_t addr, const char *hex)
{
	uint8_t want[256], got[256];
	size_t n = unhex(hex, want);

	rd(f, addr, got, n);
	assert_memory_equal(got, want, n);
}

/* Input scratch area below __heap_base (4100, aligned 4104). */
#define IN 64u
#define IN2 1024u
#define IN3 2048u
#define OUT 3072u

/* Writes a key/value at fixed scratch places and returns their fat pointers. */
static uint64_t put(fx *f, uint32_t addr, const void *p, size_t n)
{
	if (n)
		wr(f, addr, p, n);
	return fat(addr, (uint32_t)n);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_hashing(void **state)
{
	fx f;
	uint64_t a[2];
	uint64_t hdr;
	uint32_t p;

	(void)state;
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	/* [B2] + [FB]: the first allocation is at align8(4100) + 8 = 4112. */
	a[0] = fat(IN, 0);
	p = (uint32_t)call1(&f, "ext_hashing_blake2_256_version_1", a, 1);
	assert_int_equal(p, 4112);
	expect_mem_hex(&f, p, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	rd(&f, p - 8, &hdr, 8);
	assert_true(hdr == ((UINT64_C(1) << 32) | 2)); /* 32 bytes: order 2, occupied */

	wr(&f, IN, "abc", 3);
	a[0] = fat(IN, 3);
	p = (uint32_t)call1(&f, "ext_hashing_blake2_128_version_1", a, 1);
	expect_mem_hex(&f, p, "cf4ab791c62b8d2b2109c90275287816"); /* [B2] */
	p = (uint32_t)call1(&f, "ext_hashing_sha2_256_version_1", a, 1);
	expect_mem_hex(&f, p, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); /* [SHA] */

	a[0] = fat(IN, 0);
	p = (uint32_t)call1(&f, "ext_hashing_keccak_256_version_1", a, 1);
	expect_mem_hex(&f, p, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"); /* [KEC] */
	p = (uint32_t)call1(&f, "ext_hashing_keccak_512_version_1", a, 1);
	expect_mem_hex(&f, p, "0eab42de4c3ceb9235fc91acffe746b29c29a8c366b7c60e4e67c466f36a4304"
			      "c00fa9caf9d87976ba469bcbe06713b435f091ef2769fb160cdab33d3670680e"); /* [KEC] */
	p = (uint32_t)call1(&f, "ext_hashing_twox_128_version_1", a, 1);
	expect_mem_hex(&f, p, "99e9d85137db46ef4bbea33613baafd5"); /* [XX] */
	p = (uint32_t)call1(&f, "ext_hashing_twox_64_version_1", a, 1);
	expect_mem_hex(&f, p, "99e9d85137db46ef"); /* [XX] */
	p = (uint32_t)call1(&f, "ext_hashing_twox_256_version_1", a, 1);
	expect_mem_hex(&f, p, "99e9d85137db46ef4bbea33613baafd5"); /* [XX]: seeds 0, 1 first */
	wr(&f, IN, "Hello world!", 12);
	a[0] = fat(IN, 12);
	p = (uint32_t)call1(&f, "ext_hashing_twox_128_version_1", a, 1);
	expect_mem_hex(&f, p, "b27dfd7f223f177f2a13647b533599af"); /* [XX] */

	/* Version 2 writes to the given pointer. */
	a[0] = fat(IN, 0);
	a[1] = OUT;
	call0(&f, "ext_hashing_blake2_256_version_2", a, 2);
	expect_mem_hex(&f, OUT, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
	a[0] = fat(IN, 12);
	call0(&f, "ext_hashing_twox_128_version_2", a, 2);
	expect_mem_hex(&f, OUT, "b27dfd7f223f177f2a13647b533599af");
	/* Output pointer out of bounds (memory is 2 pages = 131072 bytes). */
	a[1] = 131072 - 8;
	expect_trap(&f, "ext_hashing_twox_128_version_2", a, 2, 0, PVF_TRAP_HOST_ERROR, "out of bounds");
	fx_close(&f);
}

static void test_bounds(void **state)
{
	fx f;
	uint64_t a[1];

	(void)state;
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	a[0] = fat(131072 - 2, 10);
	expect_trap(&f, "ext_hashing_blake2_256_version_1", a, 1, 1, PVF_TRAP_HOST_ERROR,
		    "ext_hashing_blake2_256_version_1: data: memory range");
	a[0] = fat(131073, 0); /* past the end, even with length 0 */
	expect_trap(&f, "ext_hashing_blake2_256_version_1", a, 1, 1, PVF_TRAP_HOST_ERROR, "out of bounds");
	a[0] = fat(0xffffffffu, 2); /* ptr + len overflows 32 bits */
	expect_trap(&f, "ext_hashing_blake2_256_version_1", a, 1, 1, PVF_TRAP_HOST_ERROR, "out of bounds");
	a[0] = fat(131072, 0); /* exactly at the end is fine */
	(void)call1(&f, "ext_hashing_blake2_256_version_1", a, 1);
	fx_close(&f);
}

static void test_allocator(void **state)
{
	fx f;
	uint64_t a[1];
	uint64_t hdr;
	uint32_t p1, p2;

	(void)state;
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	a[0] = 1;
	p1 = (uint32_t)call1(&f, "ext_allocator_malloc_version_1", a, 1);
	assert_int_equal(p1, 4112); /* [FB] */
	rd(&f, p1 - 8, &hdr, 8);
	assert_true(hdr == (UINT64_C(1) << 32)); /* order 0 */
	a[0] = 8;
	p2 = (uint32_t)call1(&f, "ext_allocator_malloc_version_1", a, 1);
	assert_int_equal(p2, 4112 + 16);
	a[0] = p1;
	call0(&f, "ext_allocator_free_version_1", a, 1);
	a[0] = 3;
	assert_int_equal((uint32_t)call1(&f, "ext_allocator_malloc_version_1", a, 1), p1); /* LIFO reuse */
	/* Freeing a pointer that was never allocated traps, and poisons. */
	a[0] = 4000;
	expect_trap(&f, "ext_allocator_free_version_1", a, 1, 0, PVF_TRAP_HOST_ERROR,
		    "ext_allocator_free_version_1");
	a[0] = 8;
	expect_trap(&f, "ext_allocator_malloc_version_1", a, 1, 1, PVF_TRAP_HOST_ERROR, "poisoned");
	/* Host-function outputs fail the same way afterwards. */
	a[0] = fat(IN, 0);
	expect_trap(&f, "ext_hashing_blake2_256_version_1", a, 1, 1, PVF_TRAP_HOST_ERROR, "allocate");
	fx_close(&f);

	/* Over 32 MiB fails. */
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	a[0] = 32u * 1024 * 1024 + 1;
	expect_trap(&f, "ext_allocator_malloc_version_1", a, 1, 1, PVF_TRAP_HOST_ERROR, NULL);
	fx_close(&f);
}

/* (sig at IN, msg fat, pub at IN2) -> i32 */
static uint32_t verify(fx *f, const char *fn, const char *sig, const void *msg, size_t mlen, const char *pub)
{
	uint8_t b[128];
	uint64_t a[3];
	size_t n;

	n = unhex(sig, b);
	wr(f, IN, b, n);
	if (mlen)
		wr(f, IN3, msg, mlen);
	n = unhex(pub, b);
	wr(f, IN2, b, n);
	a[0] = IN;
	a[1] = fat(IN3, (uint32_t)mlen);
	a[2] = IN2;
	return (uint32_t)call1(f, fn, a, 3);
}

static const char RFC_PUB[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char RFC_SIG[] = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
static const char RFC_SIG_BAD[] = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100c";
static const char ZERO64[] = "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
static const char ZERO32[] = "0000000000000000000000000000000000000000000000000000000000000000";
static const char ALICE_PUB[] = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
static const char ALICE_MSG[] = "<Bytes>0x46fb7408d4f285228f4af516ea25851b</Bytes>";
static const char ALICE_SIG[] = "0a7da2b631704cdcfe93c740e41217b9ac667a0c8755d8da1a8232db527f487c87e780d2edc1896aeb6b1bef0bc7c38d9df2135b633eab8bfb1777e82fad3a8f";

static void test_ed25519_sr25519(void **state)
{
	fx f;

	(void)state;
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	assert_int_equal(verify(&f, "ext_crypto_ed25519_verify_version_1", RFC_SIG, NULL, 0, RFC_PUB), 1); /* [RFC8032] */
	assert_int_equal(verify(&f, "ext_crypto_ed25519_verify_version_1", RFC_SIG_BAD, NULL, 0, RFC_PUB), 0);
	assert_int_equal(verify(&f, "ext_crypto_ed25519_verify_version_1", RFC_SIG, "x", 1, RFC_PUB), 0);
	assert_int_equal(verify(&f, "ext_crypto_ed25519_verify_version_1", ZERO64, NULL, 0, ZERO32), 1); /* [SPIO] */

	assert_int_equal(verify(&f, "ext_crypto_sr25519_verify_version_2", ALICE_SIG, ALICE_MSG,
				strlen(ALICE_MSG), ALICE_PUB), 1); /* [INK] */
	assert_int_equal(verify(&f, "ext_crypto_sr25519_verify_version_1", ALICE_SIG, ALICE_MSG,
				strlen(ALICE_MSG), ALICE_PUB), 1);
	assert_int_equal(verify(&f, "ext_crypto_sr25519_verify_version_2", ALICE_SIG, ALICE_MSG,
				strlen(ALICE_MSG) - 1, ALICE_PUB), 0);
	/* Signature pointer out of bounds traps. */
	{
		uint64_t a[3] = { 131072 - 63, fat(IN3, 0), IN2 };
		expect_trap(&f, "ext_crypto_ed25519_verify_version_1", a, 3, 1, PVF_TRAP_HOST_ERROR, "signature");
	}
	fx_close(&f);
}

static void test_batch_verify(void **state)
{
	fx f;
	uint64_t r;

	(void)state;
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	/* finish without start traps (sp-io: expect on the extension) */
	expect_trap(&f, "ext_crypto_finish_batch_verify_version_1", NULL, 0, 1, PVF_TRAP_HOST_ERROR,
		    "start_batch_verify");
	fx_close(&f);

	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	call0(&f, "ext_crypto_start_batch_verify_version_1", NULL, 0);
	assert_int_equal(verify(&f, "ext_crypto_ed25519_batch_verify_version_1", RFC_SIG, NULL, 0, RFC_PUB), 1);
	r = call1(&f, "ext_crypto_finish_batch_verify_version_1", NULL, 0);
	assert_int_equal(r, 1);
	call0(&f, "ext_crypto_start_batch_verify_version_1", NULL, 0);
	assert_int_equal(verify(&f, "ext_crypto_ed25519_batch_verify_version_1", RFC_SIG_BAD, NULL, 0, RFC_PUB), 0);
	assert_int_equal(verify(&f, "ext_crypto_ed25519_batch_verify_version_1", RFC_SIG, NULL, 0, RFC_PUB), 1);
	assert_int_equal(call1(&f, "ext_crypto_finish_batch_verify_version_1", NULL, 0), 0);
	/* a batch verify outside a batch just verifies */
	assert_int_equal(verify(&f, "ext_crypto_ed25519_batch_verify_version_1", RFC_SIG, NULL, 0, RFC_PUB), 1);
	call0(&f, "ext_crypto_start_batch_verify_version_1", NULL, 0);
	expect_trap(&f, "ext_crypto_start_batch_verify_version_1", NULL, 0, 0, PVF_TRAP_HOST_ERROR,
		    "VerificationExt");
	fx_close(&f);
}

static const char GETH_MSG[] = "ce0677bb30baa8cf067c88db9811f4333d131bf8bcf12fe7065d211dce971008";
static const char GETH_SIG[] = "90f27b8b488db00b00606796d2987f6a5f59ae62ea05effe84fef5b8b0e549984a691139ad57a3f0b906637673aa2f63d1f55cb1a69199d4009eea23ceaddc9301";
static const char GETH_PUB[] = "e32df42865e97135acfb65f3bae71bdc86f4d49150ad6a440b6f15878109880a0a2b2667f7e725ceea70c673093bf67663e0312623c8e091b13cf2c0f11ef652";
static const char GETH_PUBC[] = "02e32df42865e97135acfb65f3bae71bdc86f4d49150ad6a440b6f15878109880a";
static const char SPCORE_PUBC[] = "028db55b05db86c0b1786ca49f095d76344c9e6056b2f02701a7e7f3c20aabfd91";
static const char SPCORE_SIG[] = "3dde91174bd9359027be59a428b8146513df80a2a3c7eda2194f64de04a69ab97b753169e94db6ffd50921a2668a48b94ca11e3d32c1ff19cfe88890aa7e8f3c00";

static void test_ecdsa(void **state)
{
	fx f;
	uint8_t b[80], got[80];
	uint64_t a[3], r;
	char want[300];

	(void)state;
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	/* [SPCORE] */
	assert_int_equal(verify(&f, "ext_crypto_ecdsa_verify_version_1", SPCORE_SIG, NULL, 0, SPCORE_PUBC), 1);
	assert_int_equal(verify(&f, "ext_crypto_ecdsa_verify_version_2", SPCORE_SIG, NULL, 0, SPCORE_PUBC), 1);
	assert_int_equal(verify(&f, "ext_crypto_ecdsa_verify_version_2", SPCORE_SIG, "x", 1, SPCORE_PUBC), 0);
	/* prehashed: blake2_256("") [B2] */
	wr(&f, IN, b, unhex(SPCORE_SIG, b));
	wr(&f, IN3, b, unhex("0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8", b));
	wr(&f, IN2, b, unhex(SPCORE_PUBC, b));
	a[0] = IN, a[1] = IN3, a[2] = IN2;
	assert_int_equal(call1(&f, "ext_crypto_ecdsa_verify_prehashed_version_1", a, 3), 1);

	/* [GETH] recovery, SCALE Result Ok (0x00) ++ key [SPIO2] */
	wr(&f, IN, b, unhex(GETH_SIG, b));
	wr(&f, IN3, b, unhex(GETH_MSG, b));
	a[0] = IN, a[1] = IN3;
	r = call1(&f, "ext_crypto_secp256k1_ecdsa_recover_version_1", a, 2);
	assert_int_equal(r >> 32, 65);
	snprintf(want, sizeof(want), "00%s", GETH_PUB);
	expect_mem_hex(&f, (uint32_t)r, want);
	r = call1(&f, "ext_crypto_secp256k1_ecdsa_recover_version_2", a, 2);
	expect_mem_hex(&f, (uint32_t)r, want);
	r = call1(&f, "ext_crypto_secp256k1_ecdsa_recover_compressed_version_2", a, 2);
	assert_int_equal(r >> 32, 34);
	snprintf(want, sizeof(want), "00%s", GETH_PUBC);
	expect_mem_hex(&f, (uint32_t)r, want);
	a[2] = OUT;
	assert_int_equal((uint32_t)call1(&f, "ext_crypto_secp256k1_ecdsa_recover_version_3", a, 3), 0);
	expect_mem_hex(&f, OUT, GETH_PUB);
	assert_int_equal((uint32_t)call1(&f, "ext_crypto_secp256k1_ecdsa_recover_compressed_version_3", a, 3), 0);
	expect_mem_hex(&f, OUT, GETH_PUBC);

	/* v = 31 -> recovery id 4: BadV (index 1; version 3: -2), zeros written back. */
	unhex(GETH_SIG, b);
	b[64] = 31;
	wr(&f, IN, b, 65);
	r = call1(&f, "ext_crypto_secp256k1_ecdsa_recover_version_2", a, 2);
	assert_int_equal(r >> 32, 2);
	expect_mem_hex(&f, (uint32_t)r, "0101");
	assert_int_equal((int32_t)call1(&f, "ext_crypto_secp256k1_ecdsa_recover_version_3", a, 3), -2);
	memset(got, 0xff, 64);
	rd(&f, OUT, got, 64);
	memset(b, 0, 64);
	assert_memory_equal(got, b, 64);
	/* v = 28 is recovery id 1, the same as v = 1. */
	unhex(GETH_SIG, b);
	b[64] = 28;
	wr(&f, IN, b, 65);
	r = call1(&f, "ext_crypto_secp256k1_ecdsa_recover_version_2", a, 2);
	snprintf(want, sizeof(want), "00%s", GETH_PUB);
	expect_mem_hex(&f, (uint32_t)r, want);
	/* r = n (SEC 2 group order): version 2 BadRS (index 0; version 3: -1). */
	unhex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", b);
	wr(&f, IN, b, 32);
	r = call1(&f, "ext_crypto_secp256k1_ecdsa_recover_version_2", a, 2);
	expect_mem_hex(&f, (uint32_t)r, "0100");
	assert_int_equal((int32_t)call1(&f, "ext_crypto_secp256k1_ecdsa_recover_version_3", a, 3), -1);
	fx_close(&f);
}

/* SCALE Vec<(Vec<u8>, Vec<u8>)> of W3F row 0, and Vec<Vec<u8>> of its values. */
static size_t put_vec(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	p[0] = (uint8_t)(n << 2);
	memcpy(p + 1, s, n);
	return n + 1;
}

static void test_trie(void **state)
{
	fx f;
	uint8_t buf[256];
	size_t n = 0;
	uint64_t a[3];
	uint32_t p;

	(void)state;
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	/* empty: [0x00] -> the empty trie root [W3F] */
	buf[0] = 0;
	wr(&f, IN, buf, 1);
	a[0] = fat(IN, 1);
	p = (uint32_t)call1(&f, "ext_trie_blake2_256_root_version_1", a, 1);
	expect_mem_hex(&f, p, "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314");
	p = (uint32_t)call1(&f, "ext_trie_blake2_256_ordered_root_version_1", a, 1);
	expect_mem_hex(&f, p, "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314");
	/* keccak ordered root of nothing = keccak256([0x00]) (Ethereum's keccak of one zero byte) */
	a[1] = 1;
	p = (uint32_t)call1(&f, "ext_trie_keccak_256_ordered_root_version_2", a, 2);
	expect_mem_hex(&f, p, "bc36789e7a1e281436464229828f817d6612f7b477d66591ff96a9e064bcc98a");

	/* W3F row 0 */
	buf[n++] = 3 << 2;
	n += put_vec(buf + n, "static");
	n += put_vec(buf + n, "Inverse");
	n += put_vec(buf + n, "even-keeled");
	n += put_vec(buf + n, "Future-proofed");
	n += put_vec(buf + n, "static");
	n += put_vec(buf + n, "even-keeled");
	buf[n++] = 0xee; /* trailing bytes are ignored (Decode, not DecodeAll) */
	wr(&f, IN, buf, n);
	a[0] = fat(IN, (uint32_t)n);
	p = (uint32_t)call1(&f, "ext_trie_blake2_256_root_version_1", a, 1);
	expect_mem_hex(&f, p, "1192e3ed48d28fba2eeae885fa367c535eca6a149eafad982265586902783d4f");
	a[1] = 1; /* state version V1: all values < 33 bytes, same root */
	p = (uint32_t)call1(&f, "ext_trie_blake2_256_root_version_2", a, 2);
	expect_mem_hex(&f, p, "1192e3ed48d28fba2eeae885fa367c535eca6a149eafad982265586902783d4f");
	a[2] = OUT;
	call0(&f, "ext_trie_blake2_256_root_version_3", a, 3);
	expect_mem_hex(&f, OUT, "1192e3ed48d28fba2eeae885fa367c535eca6a149eafad982265586902783d4f");
	a[1] = 2; /* no state version 2 */
	expect_trap(&f, "ext_trie_blake2_256_root_version_2", a, 2, 1, PVF_TRAP_HOST_ERROR, "state version");
	a[0] = fat(IN, (uint32_t)n - 5); /* truncated */
	expect_trap(&f, "ext_trie_blake2_256_root_version_1", a, 1, 1, PVF_TRAP_HOST_ERROR, "decode");

	n = 0;
	buf[n++] = 3 << 2;
	n += put_vec(buf + n, "static");
	n += put_vec(buf + n, "even-keeled");
	n += put_vec(buf + n, "Future-proofed");
	wr(&f, IN, buf, n);
	a[0] = fat(IN, (uint32_t)n);
	p = (uint32_t)call1(&f, "ext_trie_blake2_256_ordered_root_version_1", a, 1);
	expect_mem_hex(&f, p, "d847b86d0219a384d11458e829e9f4f4cce7e3cc2e6dcd0e8a6ad6f12c64a737");
	a[1] = 0;
	p = (uint32_t)call1(&f, "ext_trie_blake2_256_ordered_root_version_2", a, 2);
	expect_mem_hex(&f, p, "d847b86d0219a384d11458e829e9f4f4cce7e3cc2e6dcd0e8a6ad6f12c64a737");
	fx_close(&f);
}

static void kec(const uint8_t *d, size_t n, uint8_t out[32]) { pvf_keccak_256(d, n, out); }
static void b2(const uint8_t *d, size_t n, uint8_t out[32]) { pvf_blake2_256(d, n, out); }

/* ext_trie_*_verify_proof: [PROOF] */
static void test_trie_proof(void **state)
{
	static const uint8_t key[] = { 0xAB };
	/* Vec<Vec<u8>>: one node of 3 bytes */
	static const uint8_t proof[] = { 0x04, 0x0C, 0x42, 0xAB, 0x00 };
	const pvf_trie_entry e = { key, 1, (const uint8_t *)"hello", 5 };
	uint8_t root_b[32], root_k[32];
	pvf_error err;
	uint64_t a[5];
	fx f;

	(void)state;
	assert_int_equal(pvf_trie_root(&e, 1, PVF_TRIE_V0, b2, root_b, &err), 0);
	assert_int_equal(pvf_trie_root(&e, 1, PVF_TRIE_V0, kec, root_k, &err), 0);
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	wr(&f, OUT, root_b, 32);
	a[0] = OUT;
	a[1] = put(&f, IN, proof, sizeof(proof));
	a[2] = put(&f, IN2, key, 1);
	a[3] = put(&f, IN3, "hello", 5);
	assert_int_equal(call1(&f, "ext_trie_blake2_256_verify_proof_version_1", a, 4), 1);
	a[4] = 1; /* V1: a 5-byte value stays inline, the same root */
	assert_int_equal(call1(&f, "ext_trie_blake2_256_verify_proof_version_2", a, 5), 1);
	assert_int_equal(call1(&f, "ext_trie_keccak_256_verify_proof_version_2", a, 5), 0);
	wr(&f, OUT, root_k, 32);
	assert_int_equal(call1(&f, "ext_trie_keccak_256_verify_proof_version_2", a, 5), 1);
	assert_int_equal(call1(&f, "ext_trie_blake2_256_verify_proof_version_1", a, 4), 0);
	a[3] = put(&f, IN3, "hellp", 5);
	assert_int_equal(call1(&f, "ext_trie_keccak_256_verify_proof_version_2", a, 5), 0);

	a[4] = 2; /* no state version 2 */
	expect_trap(&f, "ext_trie_keccak_256_verify_proof_version_2", a, 5, 1, PVF_TRAP_HOST_ERROR,
		    "state version");
	a[1] = fat(IN, 3); /* the node's bytes cut short */
	expect_trap(&f, "ext_trie_blake2_256_verify_proof_version_1", a, 4, 1, PVF_TRAP_HOST_ERROR, "decode");
	a[1] = fat(IN, sizeof(proof));
	a[0] = 0xFFFFFFF0u; /* the root pointer out of bounds */
	expect_trap(&f, "ext_trie_blake2_256_verify_proof_version_1", a, 4, 1, PVF_TRAP_HOST_ERROR, "root");
	fx_close(&f);
}

static void test_logging_misc(void **state)
{
	fx f;
	uint64_t a[3];
	uint8_t bad[2] = { 0xc0, 0x80 }; /* overlong: not UTF-8 */

	(void)state;
	fx_open(&f, g_funcs, PVF_LOG_FILTER_TRACE);
	assert_int_equal(call1(&f, "ext_logging_max_level_version_1", NULL, 0), 5);
	wr(&f, IN, "runtime", 7);
	wr(&f, IN2, "boom", 4);
	a[0] = 0, a[1] = fat(IN, 7), a[2] = fat(IN2, 4);
	call0(&f, "ext_logging_log_version_1", a, 3);
	assert_int_equal(f.nlogs, 1);
	assert_int_equal(f.logs[0].level, PVF_LOG_ERROR);
	assert_string_equal(f.logs[0].target, "runtime");
	assert_string_equal(f.logs[0].msg, "boom");
	assert_string_equal(pvf_hostapi_last_error_log(f.ctx), "runtime: boom");
	a[0] = 0x104; /* truncated to u8: 4 = trace */
	call0(&f, "ext_logging_log_version_1", a, 3);
	assert_int_equal(f.logs[1].level, PVF_LOG_TRACE);
	a[0] = 5;
	expect_trap(&f, "ext_logging_log_version_1", a, 3, 0, PVF_TRAP_HOST_ERROR, "log level");
	/* invalid UTF-8 message: dropped; invalid target: trap */
	wr(&f, IN3, bad, 2);
	a[0] = 2, a[2] = fat(IN3, 2);
	call0(&f, "ext_logging_log_version_1", a, 3);
	assert_int_equal(f.nlogs, 2);
	a[1] = fat(IN3, 2), a[2] = fat(IN2, 4);
	expect_trap(&f, "ext_logging_log_version_1", a, 3, 0, PVF_TRAP_HOST_ERROR, "UTF-8");

	a[0] = 42;
	call0(&f, "ext_misc_print_num_version_1", a, 1);
	assert_int_equal(f.logs[2].level, PVF_LOG_DEBUG);
	assert_string_equal(f.logs[2].target, "runtime");
	assert_string_equal(f.logs[2].msg, "42");
	a[0] = fat(IN2, 4);
	call0(&f, "ext_misc_print_utf8_version_1", a, 1);
	assert_string_equal(f.logs[3].msg, "boom");
	a[0] = fat(IN3, 2);
	call0(&f, "ext_misc_print_utf8_version_1", a, 1); /* not UTF-8: nothing */
	call0(&f, "ext_misc_print_hex_version_1", a, 1);
	assert_int_equal(f.nlogs, 5);
	assert_string_equal(f.logs[4].msg, "c080");
	fx_close(&f);

	/* The default filter is Info (3): debug lines are not delivered. */
	{
		pvf_hostapi_ctx *c;
		pvf_error err;
		assert_int_equal(pvf_hostapi_ctx_new(NULL, &c, &err), 0);
		pvf_hostapi_ctx_free(c);
	}
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	assert_int_equal(call1(&f, "ext_logging_max_level_version_1", NULL, 0), 3);
	a[0] = 42;
	call0(&f, "ext_misc_print_num_version_1", a, 1);
	assert_int_equal(f.nlogs, 0);
	fx_close(&f);
}

/* A minimal module: header, then a custom section `name` with `payload`. */
static size_t module_with_section(uint8_t *out, const char *name, const uint8_t *payload, size_t plen)
{
	size_t n = 0, nl = strlen(name);

	memcpy(out, "\0asm\1\0\0\0", 8);
	n = 8;
	out[n++] = 0;
	out[n++] = (uint8_t)(1 + nl + plen); /* < 128 here */
	out[n++] = (uint8_t)nl;
	memcpy(out + n, name, nl);
	n += nl;
	memcpy(out + n, payload, plen);
	return n + plen;
}

static void test_runtime_version(void **state)
{
	fx f;
	/* RuntimeVersion { spec_name "ab", impl_name "c", 1, 2, 3, apis [] } */
	static const uint8_t rv[] = { 0x08, 'a', 'b', 0x04, 'c', 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x00 };
	uint8_t mod[128], out[64];
	size_t n = module_with_section(mod, "runtime_version", rv, sizeof(rv));
	uint64_t a[2], r;
	uint8_t want[64];

	(void)state;
	/* [SPV]: no Core API -> transaction_version 1, system_version 0 appended. */
	memcpy(want, rv, sizeof(rv));
	memcpy(want + sizeof(rv), "\1\0\0\0\0", 5);
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	wr(&f, IN, mod, n);
	a[0] = fat(IN, (uint32_t)n);
	r = call1(&f, "ext_misc_runtime_version_version_1", a, 1);
	assert_int_equal(r >> 32, 1 + 1 + sizeof(rv) + 5);
	rd(&f, (uint32_t)r, out, (size_t)(r >> 32));
	assert_int_equal(out[0], 1);                         /* Some [SPIO2] */
	assert_int_equal(out[1], (sizeof(rv) + 5) << 2);     /* compact length */
	assert_memory_equal(out + 2, want, sizeof(rv) + 5);
	/* version 2: length returned, prefix written, rest zeroed */
	memset(out, 0xaa, sizeof(out));
	wr(&f, OUT, out, 16);
	a[1] = fat(OUT, 10);
	assert_int_equal(call1(&f, "ext_misc_runtime_version_version_2", a, 2), sizeof(rv) + 5);
	rd(&f, OUT, out, 16);
	assert_memory_equal(out, want, 10);
	assert_int_equal(out[10], 0xaa);

	/* No runtime_version section: None. */
	n = module_with_section(mod, "other", rv, sizeof(rv));
	wr(&f, IN, mod, n);
	a[0] = fat(IN, (uint32_t)n);
	r = call1(&f, "ext_misc_runtime_version_version_1", a, 1);
	assert_int_equal(r >> 32, 1);
	rd(&f, (uint32_t)r, out, 1);
	assert_int_equal(out[0], 0);
	assert_int_equal((int64_t)call1(&f, "ext_misc_runtime_version_version_2", a, 2), -1);
	/* Not wasm at all: None. */
	a[0] = fat(IN, 3);
	r = call1(&f, "ext_misc_runtime_version_version_1", a, 1);
	rd(&f, (uint32_t)r, out, 1);
	assert_int_equal(out[0], 0);
	fx_close(&f);
}

static void test_unsupported(void **state)
{
	fx f;
	uint64_t a[2] = { 0, 0 };

	(void)state;
	fx_open(&f, g_funcs, PVF_LOG_FILTER_INFO);
	expect_trap(&f, "ext_storage_get_version_1", a, 1, 1, PVF_TRAP_UNSUPPORTED_HOST,
		    "ext_storage_get_version_1");
	expect_trap(&f, "ext_crypto_sr25519_generate_version_1", a, 2, 1, PVF_TRAP_UNSUPPORTED_HOST,
		    "ext_crypto_sr25519_generate_version_1");
	expect_trap(&f, "ext_made_up_function_version_1", a, 2, 1, PVF_TRAP_UNSUPPORTED_HOST,
		    "ext_made_up_function_version_1");
	fx_close(&f);
}

/* The binder finds an implementation of every registry row it does not
 * report unsupported (its table is searched by halves, so out of order is
 * missing), and none of a name it does not know. */
static void test_every_row_bound(void **state)
{
	(void)state;
	for (size_t i = 0; i < pvf_hostfn_count(); i++) {
		const pvf_hostfn_desc *d = pvf_hostfn_at(i);

		if (d->status != PVF_HOSTFN_STUB && !pvf__hostapi_implements(d->name))
			fail_msg("%s has no implementation", d->name);
		if (d->status == PVF_HOSTFN_STUB && pvf__hostapi_implements(d->name))
			fail_msg("%s is a stub in the registry but implemented", d->name);
	}
	assert_false(pvf__hostapi_implements("ext_made_up_function_version_1"));
	assert_false(pvf__hostapi_implements(""));
}

static void test_bind_errors_and_memory(void **state)
{
	pvf_artifact *a = NULL;
	pvf_hostapi_ctx *c = NULL;
	pvf_binding *b = NULL;
	pvf_error err;
	fx f;
	uint64_t arg[1], r;

	(void)state;
	assert_int_equal(pvf_artifact_open(g_badsig, NULL, &a, &err), 0);
	assert_int_equal(pvf_hostapi_ctx_new(NULL, &c, &err), 0);
	assert_int_equal(pvf_hostapi_bind(a, c, &b, &err), -1);
	assert_int_equal(err.code, PVF_E_LINK);
	assert_non_null(strstr(err.msg, "signature mismatch"));
	pvf_hostapi_ctx_free(c);
	pvf_artifact_close(a);

	/* env.memory (declared 2..4 pages) gets the heap maximum of 2,080 pages. */
	fx_open(&f, g_impmem, PVF_LOG_FILTER_INFO);
	assert_non_null(pvf_hostapi_memory(f.ctx));
	assert_int_equal(call1(&f, "pages", NULL, 0), 2);
	arg[0] = 2079;
	assert_int_equal((uint32_t)call1(&f, "grow", arg, 1), 0xffffffffu);
	arg[0] = 2078;
	r = call1(&f, "grow", arg, 1);
	assert_int_equal(r, 2);
	assert_int_equal(call1(&f, "pages", NULL, 0), 2080);
	fx_close(&f);
}

/* ---- storage: runtime calls only ------------------------------------------ */

static void test_storage_validation_stubs(void **state)
{
	static const struct {
		const char *name;
		uint32_t nargs, nres;
	} fns[] = {
		{ "ext_storage_get_version_1", 1, 1 },
		{ "ext_storage_read_version_1", 3, 1 },
		{ "ext_storage_read_version_2", 4, 1 },
		{ "ext_storage_set_version_1", 2, 0 },
		{ "ext_storage_clear_version_1", 1, 0 },
		{ "ext_storage_exists_version_1", 1, 1 },
		{ "ext_storage_append_version_1", 2, 0 },
		{ "ext_storage_clear_prefix_version_1", 1, 0 },
		{ "ext_storage_clear_prefix_version_2", 2, 1 },
		{ "ext_storage_next_key_version_1", 1, 1 },
		{ "ext_storage_next_key_version_2", 2, 1 },
		{ "ext_storage_root_version_1", 0, 1 },
		{ "ext_storage_root_version_2", 1, 1 },
		{ "ext_storage_root_version_3", 1, 0 },
		{ "ext_storage_changes_root_version_1", 1, 1 },
		{ "ext_storage_start_transaction_version_1", 0, 0 },
		{ "ext_storage_commit_transaction_version_1", 0, 0 },
		{ "ext_storage_rollback_transaction_version_1", 0, 0 },
		{ "ext_storage_proof_size_storage_proof_size_version_1", 0, 1 },
		{ "ext_storage_clear_prefix_version_3", 3, 1 },
	};
	uint64_t a[4] = { fat(IN, 1), fat(IN2, 1), 0, 0 };
	char msg[128];
	pvf_error err;
	fx f;

	(void)state;
	/* Validation: no state, every storage function traps as Polkadot's stub. */
	fx_open(&f, g_storage, PVF_LOG_FILTER_INFO);
	assert_null(pvf_hostapi_state(f.ctx));
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		snprintf(msg, sizeof(msg), "%s", fns[i].name);
		expect_trap(&f, fns[i].name, a, fns[i].nargs, fns[i].nres, PVF_TRAP_UNSUPPORTED_HOST, msg);
	}
	/* A state given after binding (an instance made before its request)
	 * makes them work; taking it away makes them stubs again. */
	assert_int_equal(pvf_hostapi_ctx_set_runtime_state(f.ctx, true, &err), 0);
	assert_non_null(pvf_hostapi_state(f.ctx));
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 0);
	call0(&f, "ext_storage_set_version_1", a, 2);
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 1);
	assert_int_equal(pvf_hostapi_ctx_set_runtime_state(f.ctx, true, &err), 0); /* kept */
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 1);
	assert_int_equal(pvf_hostapi_ctx_set_runtime_state(f.ctx, false, &err), 0);
	assert_null(pvf_hostapi_state(f.ctx));
	expect_trap(&f, "ext_storage_exists_version_1", a, 1, 1, PVF_TRAP_UNSUPPORTED_HOST,
		    "ext_storage_exists_version_1");
	fx_close(&f);

	/* The cursor version stays a stub even with a state. */
	fx_open_opts(&f, g_storage, PVF_LOG_FILTER_INFO, true);
	expect_trap(&f, "ext_storage_clear_prefix_version_3", a, 3, 1, PVF_TRAP_UNSUPPORTED_HOST,
		    "ext_storage_clear_prefix_version_3");
	fx_close(&f);

	/* Mistyped: links, to the stub, with or without a state. */
	for (int st = 0; st < 2; st++) {
		fx_open_opts(&f, g_storage_mt, PVF_LOG_FILTER_INFO, st == 1);
		expect_trap(&f, "ext_storage_exists_version_1", a, 1, 1, PVF_TRAP_UNSUPPORTED_HOST,
			    "ext_storage_exists_version_1");
		fx_close(&f);
	}
	assert_int_equal(pvf_hostapi_ctx_set_runtime_state(NULL, true, &err), -1);
	assert_int_equal(err.code, PVF_E_USAGE);
}

static void test_storage_get_set_read(void **state)
{
	uint8_t fill[8], got[8];
	uint64_t a[4], r;
	const uint8_t *v;
	size_t vl;
	fx f;

	(void)state;
	fx_open_opts(&f, g_storage, PVF_LOG_FILTER_INFO, true);
	/* get of an absent key: None, one allocated byte [STO] */
	a[0] = put(&f, IN, "abc", 3);
	r = call1(&f, "ext_storage_get_version_1", a, 1);
	assert_int_equal(r >> 32, 1);
	expect_mem_hex(&f, (uint32_t)r, "00");
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 0);
	/* set, then get: Some(compact(11) ++ "hello world") */
	a[1] = put(&f, IN2, "hello world", 11);
	call0(&f, "ext_storage_set_version_1", a, 2);
	assert_true(pvf_state_get(pvf_hostapi_state(f.ctx), (const uint8_t *)"abc", 3, &v, &vl));
	assert_int_equal(vl, 11);
	assert_memory_equal(v, "hello world", 11);
	r = call1(&f, "ext_storage_get_version_1", a, 1);
	assert_int_equal(r >> 32, 13);
	expect_mem_hex(&f, (uint32_t)r, "012c68656c6c6f20776f726c64");
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 1);

	/* read v1: offset 6, 3-byte buffer: "wor" written, the rest of memory
	 * untouched, Some(5) = 01 05000000 [STO] */
	memset(fill, 0xee, sizeof(fill));
	wr(&f, OUT, fill, sizeof(fill));
	a[1] = fat(OUT, 3);
	a[2] = 6;
	r = call1(&f, "ext_storage_read_version_1", a, 3);
	assert_int_equal(r >> 32, 5);
	expect_mem_hex(&f, (uint32_t)r, "0105000000");
	expect_mem_hex(&f, OUT, "776f72eeeeeeeeee");
	/* offset past the end: Some(0), nothing written */
	wr(&f, OUT, fill, sizeof(fill));
	a[2] = 100;
	r = call1(&f, "ext_storage_read_version_1", a, 3);
	expect_mem_hex(&f, (uint32_t)r, "0100000000");
	expect_mem_hex(&f, OUT, "eeeeeeeeeeeeeeee");
	/* the whole value into a larger buffer */
	a[1] = fat(OUT, 8);
	a[2] = 0;
	r = call1(&f, "ext_storage_read_version_1", a, 3);
	expect_mem_hex(&f, (uint32_t)r, "010b000000");
	expect_mem_hex(&f, OUT, "68656c6c6f20776f");
	/* absent key: None */
	a[0] = put(&f, IN, "abd", 3);
	r = call1(&f, "ext_storage_read_version_1", a, 3);
	assert_int_equal(r >> 32, 1);
	expect_mem_hex(&f, (uint32_t)r, "00");
	/* out of bounds buffer traps */
	a[1] = fat(131072 - 2, 3);
	expect_trap(&f, "ext_storage_read_version_1", a, 3, 1, PVF_TRAP_HOST_ERROR, "value_out");

	/* read v2: the length past the offset; the buffer written whole */
	a[0] = put(&f, IN, "abc", 3);
	wr(&f, OUT, fill, sizeof(fill));
	a[1] = fat(OUT, 3);
	a[2] = 6;
	a[3] = 0; /* too small, no partial read: zeros */
	assert_int_equal(call1(&f, "ext_storage_read_version_2", a, 4), 5);
	expect_mem_hex(&f, OUT, "000000eeeeeeeeee");
	a[3] = 1; /* partial */
	assert_int_equal(call1(&f, "ext_storage_read_version_2", a, 4), 5);
	expect_mem_hex(&f, OUT, "776f72eeeeeeeeee");
	a[1] = fat(OUT, 8);
	a[3] = 0;
	assert_int_equal(call1(&f, "ext_storage_read_version_2", a, 4), 5);
	expect_mem_hex(&f, OUT, "776f726c64000000");
	a[0] = put(&f, IN, "zzz", 3);
	wr(&f, OUT, fill, sizeof(fill));
	assert_true(call1(&f, "ext_storage_read_version_2", a, 4) == UINT64_MAX); /* None: -1 */
	rd(&f, OUT, got, 8);
	memset(fill, 0, sizeof(fill));
	assert_memory_equal(got, fill, 8);

	/* an empty value is a value; clear removes it */
	a[0] = put(&f, IN, "e", 1);
	a[1] = fat(IN2, 0);
	call0(&f, "ext_storage_set_version_1", a, 2);
	r = call1(&f, "ext_storage_get_version_1", a, 1);
	expect_mem_hex(&f, (uint32_t)r, "0100");
	call0(&f, "ext_storage_clear_version_1", a, 1);
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 0);
	/* the empty key too */
	a[0] = fat(IN, 0);
	a[1] = put(&f, IN2, "x", 1);
	call0(&f, "ext_storage_set_version_1", a, 2);
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 1);
	/* child storage keys are refused by set and clear [STO] */
	a[0] = put(&f, IN, ":child_storage:default:x", 24);
	call0(&f, "ext_storage_set_version_1", a, 2);
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 0);
	/* bounds */
	a[0] = fat(131072 - 1, 2);
	expect_trap(&f, "ext_storage_get_version_1", a, 1, 1, PVF_TRAP_HOST_ERROR,
		    "ext_storage_get_version_1: key: memory range");
	fx_close(&f);
}

static void test_storage_next_key_clear_prefix(void **state)
{
	static const char *keys[] = { "abc", "abd", "abda", "b", "ab" };
	uint64_t a[2], r;
	uint8_t fill[8];
	fx f;

	(void)state;
	fx_open_opts(&f, g_storage, PVF_LOG_FILTER_INFO, true);
	a[1] = put(&f, IN2, "v", 1);
	for (size_t i = 0; i < 5; i++) {
		a[0] = put(&f, IN, keys[i], strlen(keys[i]));
		call0(&f, "ext_storage_set_version_1", a, 2);
	}
	/* next_key v1: strictly greater, Some(Vec) or None [STO] */
	a[0] = put(&f, IN, "abc", 3);
	r = call1(&f, "ext_storage_next_key_version_1", a, 1);
	assert_int_equal(r >> 32, 5);
	expect_mem_hex(&f, (uint32_t)r, "010c616264"); /* Some("abd") */
	a[0] = put(&f, IN, "a", 1);
	r = call1(&f, "ext_storage_next_key_version_1", a, 1);
	expect_mem_hex(&f, (uint32_t)r, "01086162"); /* Some("ab") */
	a[0] = put(&f, IN, "b", 1);
	r = call1(&f, "ext_storage_next_key_version_1", a, 1);
	assert_int_equal(r >> 32, 1);
	expect_mem_hex(&f, (uint32_t)r, "00");
	/* next_key v2: the length, the key written when it fits, zeros after */
	memset(fill, 0xee, sizeof(fill));
	wr(&f, OUT, fill, sizeof(fill));
	a[0] = put(&f, IN, "abd", 3);
	a[1] = fat(OUT, 6);
	assert_int_equal(call1(&f, "ext_storage_next_key_version_2", a, 2), 4);
	expect_mem_hex(&f, OUT, "616264610000eeee");
	a[1] = fat(OUT, 3); /* too small: zeros, the length still returned */
	assert_int_equal(call1(&f, "ext_storage_next_key_version_2", a, 2), 4);
	expect_mem_hex(&f, OUT, "000000610000eeee");
	a[0] = put(&f, IN, "c", 1);
	assert_int_equal(call1(&f, "ext_storage_next_key_version_2", a, 2), 0);

	/* clear_prefix v2 with limit Some(1): over an empty backend every
	 * overlay key goes and the result is AllRemoved(0) [STO] */
	a[0] = put(&f, IN, "abd", 3);
	a[1] = put(&f, IN2, "\x01\x01\x00\x00\x00", 5);
	r = call1(&f, "ext_storage_clear_prefix_version_2", a, 2);
	assert_int_equal(r >> 32, 5);
	expect_mem_hex(&f, (uint32_t)r, "0000000000");
	assert_int_equal(pvf_state_count(pvf_hostapi_state(f.ctx)), 3);
	a[0] = put(&f, IN, "abda", 4);
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 0);
	/* limit None */
	a[0] = put(&f, IN, "ab", 2);
	a[1] = put(&f, IN2, "\x00", 1);
	r = call1(&f, "ext_storage_clear_prefix_version_2", a, 2);
	expect_mem_hex(&f, (uint32_t)r, "0000000000");
	assert_int_equal(pvf_state_count(pvf_hostapi_state(f.ctx)), 1);
	/* an undecodable limit traps */
	a[1] = put(&f, IN2, "\x02", 1);
	expect_trap(&f, "ext_storage_clear_prefix_version_2", a, 2, 1, PVF_TRAP_HOST_ERROR, "limit");
	a[1] = put(&f, IN2, "\x01\x01", 2);
	expect_trap(&f, "ext_storage_clear_prefix_version_2", a, 2, 1, PVF_TRAP_HOST_ERROR, "limit");
	/* v1; prefixes that collide with ":child_storage:" (the empty one
	 * included) are refused [STO] */
	a[0] = fat(IN, 0);
	call0(&f, "ext_storage_clear_prefix_version_1", a, 1);
	a[0] = put(&f, IN, ":chi", 4);
	call0(&f, "ext_storage_clear_prefix_version_1", a, 1);
	assert_int_equal(pvf_state_count(pvf_hostapi_state(f.ctx)), 1);
	a[0] = put(&f, IN, "b", 1);
	call0(&f, "ext_storage_clear_prefix_version_1", a, 1);
	assert_int_equal(pvf_state_count(pvf_hostapi_state(f.ctx)), 0);
	fx_close(&f);
}

static void test_storage_append_transactions(void **state)
{
	uint64_t a[2], r;
	fx f;

	(void)state;
	fx_open_opts(&f, g_storage, PVF_LOG_FILTER_INFO, true);
	/* append to a missing key: compact(1) ++ item; then compact(2) */
	a[0] = put(&f, IN, "events", 6);
	a[1] = put(&f, IN2, "\xaa\xbb", 2);
	call0(&f, "ext_storage_append_version_1", a, 2);
	a[1] = put(&f, IN2, "\xcc", 1);
	call0(&f, "ext_storage_append_version_1", a, 2);
	r = call1(&f, "ext_storage_get_version_1", a, 1);
	expect_mem_hex(&f, (uint32_t)r, "011008aabbcc"); /* Some(Vec of 4 bytes: 08 aa bb cc) */

	/* a rolled-back transaction leaves nothing behind */
	call0(&f, "ext_storage_start_transaction_version_1", NULL, 0);
	call0(&f, "ext_storage_append_version_1", a, 2);
	a[0] = put(&f, IN, "tx", 2);
	call0(&f, "ext_storage_set_version_1", a, 2);
	call0(&f, "ext_storage_start_transaction_version_1", NULL, 0);
	call0(&f, "ext_storage_clear_version_1", a, 1);
	call0(&f, "ext_storage_commit_transaction_version_1", NULL, 0);
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 0);
	call0(&f, "ext_storage_rollback_transaction_version_1", NULL, 0);
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 0);
	a[0] = put(&f, IN, "events", 6);
	r = call1(&f, "ext_storage_get_version_1", a, 1);
	expect_mem_hex(&f, (uint32_t)r, "011008aabbcc");
	/* a committed one keeps its changes */
	call0(&f, "ext_storage_start_transaction_version_1", NULL, 0);
	a[0] = put(&f, IN, "tx", 2);
	call0(&f, "ext_storage_set_version_1", a, 2);
	call0(&f, "ext_storage_commit_transaction_version_1", NULL, 0);
	assert_int_equal(call1(&f, "ext_storage_exists_version_1", a, 1), 1);
	assert_int_equal(pvf_state_depth(pvf_hostapi_state(f.ctx)), 0);
	/* no open transaction: the panics of sp-io trap [STO] */
	expect_trap(&f, "ext_storage_commit_transaction_version_1", NULL, 0, 0, PVF_TRAP_HOST_ERROR,
		    "No open transaction that can be committed.");
	expect_trap(&f, "ext_storage_rollback_transaction_version_1", NULL, 0, 0, PVF_TRAP_HOST_ERROR,
		    "No open transaction that can be rolled back.");
	fx_close(&f);
}

static void test_storage_root_misc(void **state)
{
	uint64_t a[2], r;
	fx f;

	(void)state;
	fx_open_opts(&f, g_storage, PVF_LOG_FILTER_INFO, true);
	/* the empty state: the empty trie root, 32 raw bytes [W3F] [STO] */
	r = call1(&f, "ext_storage_root_version_1", NULL, 0);
	assert_int_equal(r >> 32, 32);
	expect_mem_hex(&f, (uint32_t)r, "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314");
	/* W3F row 0 written through the host functions */
	a[0] = put(&f, IN, "static", 6);
	a[1] = put(&f, IN2, "Inverse", 7);
	call0(&f, "ext_storage_set_version_1", a, 2);
	a[0] = put(&f, IN, "even-keeled", 11);
	a[1] = put(&f, IN2, "Future-proofed", 14);
	call0(&f, "ext_storage_set_version_1", a, 2);
	a[0] = put(&f, IN, "static", 6);
	a[1] = put(&f, IN2, "even-keeled", 11);
	call0(&f, "ext_storage_set_version_1", a, 2);
	r = call1(&f, "ext_storage_root_version_1", NULL, 0);
	assert_int_equal(r >> 32, 32);
	expect_mem_hex(&f, (uint32_t)r, "1192e3ed48d28fba2eeae885fa367c535eca6a149eafad982265586902783d4f");
	a[0] = 1; /* state version 1: all values short, the same root */
	r = call1(&f, "ext_storage_root_version_2", a, 1);
	expect_mem_hex(&f, (uint32_t)r, "1192e3ed48d28fba2eeae885fa367c535eca6a149eafad982265586902783d4f");
	a[0] = 2;
	expect_trap(&f, "ext_storage_root_version_2", a, 1, 1, PVF_TRAP_HOST_ERROR, "invalid state version");
	/* v3: into a buffer of at least 32 bytes, zeros after */
	wr(&f, OUT, "\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee"
		    "\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee\xee", 36);
	a[0] = fat(OUT, 34);
	call0(&f, "ext_storage_root_version_3", a, 1);
	expect_mem_hex(&f, OUT, "1192e3ed48d28fba2eeae885fa367c535eca6a149eafad982265586902783d4f0000eeee");
	a[0] = fat(OUT, 31);
	expect_trap(&f, "ext_storage_root_version_3", a, 1, 0, PVF_TRAP_HOST_ERROR, "large enough");
	/* changes_root: None; the argument is still bounds-checked */
	a[0] = fat(IN, 32);
	r = call1(&f, "ext_storage_changes_root_version_1", a, 1);
	assert_int_equal(r >> 32, 1);
	expect_mem_hex(&f, (uint32_t)r, "00");
	a[0] = fat(131072, 1);
	expect_trap(&f, "ext_storage_changes_root_version_1", a, 1, 1, PVF_TRAP_HOST_ERROR, "out of bounds");
	/* no proof is recorded: u64::MAX */
	assert_true(call1(&f, "ext_storage_proof_size_storage_proof_size_version_1", NULL, 0) == UINT64_MAX);
	fx_close(&f);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(g_dir))
		return -1;
	prep("hostapi_funcs", g_funcs);
	prep("hostapi_import_memory", g_impmem);
	prep("hostapi_bad_sig", g_badsig);
	prep("hostapi_storage", g_storage);
	prep("hostapi_storage_mistyped", g_storage_mt);
	return 0;
}

static int teardown(void **state)
{
	char cmd[700];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_bound),
		cmocka_unit_test(test_hashing),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_allocator),
		cmocka_unit_test(test_ed25519_sr25519),
		cmocka_unit_test(test_batch_verify),
		cmocka_unit_test(test_ecdsa),
		cmocka_unit_test(test_trie),
		cmocka_unit_test(test_trie_proof),
		cmocka_unit_test(test_logging_misc),
		cmocka_unit_test(test_runtime_version),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_bind_errors_and_memory),
		cmocka_unit_test(test_storage_validation_stubs),
		cmocka_unit_test(test_storage_get_set_read),
		cmocka_unit_test(test_storage_next_key_clear_prefix),
		cmocka_unit_test(test_storage_append_transactions),
		cmocka_unit_test(test_storage_root_misc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
