/*
 * test_job_execute.c — the execute job on a small PVF-shaped module
 * (tests/wasm/hostapi_import_memory.wat): the Substrate calling convention
 * (input placed with the host allocator, output read at ptr = low 32 bits,
 * len = high 32 bits), bad results, traps with the runtime's logged panic
 * message surfaced, storage in a runtime call, and code loading.
 *
 * Expected values: the echo module returns its input unchanged; the
 * ValidationResult bytes are the adder vector of the shared corpus
 * (vectors/adder.json, case sdk_execute_good_block_on_parent), a valid
 * SCALE ValidationResult per polkadot-sdk polkadot/parachain/src/primitives.rs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hex.h"
#include "worker/code.h"
#include "worker/job_execute.h"

static char g_dir[] = "/tmp/pvfhost-test-jobexec-XXXXXX";
static char g_art[600];

static const char ADDER_RESULT[] =
	"21010100000000000000804df47c526d888b3f52091df4e253c821e9991ec88e342722cc485fda31747ea88d962ceb769d13dd202a8b8478e3a3f9d762a5702f76db9fd33d9f6af919ea0000000000000001000000";

static int run(const char *export, const void *in, size_t len, pvf_exec_result *res, pvf_error *err)
{
	pvf_exec_request rq = { 0 };

	rq.input = in;
	rq.input_len = len;
	rq.export_name = export;
	return pvf_job_execute(g_art, &rq, res, err);
}

static void test_echo(void **state)
{
	pvf_exec_result res;
	pvf_error err;

	(void)state;
	if (run("echo", "hello", 5, &res, &err) < 0)
		fail_msg("echo: %s", err.msg);
	assert_int_equal(res.output_len, 5);
	assert_memory_equal(res.output, "hello", 5);
	assert_true(res.alloc.bytes_allocated_peak > 0);
	pvf_exec_result_free(&res);
	/* empty input: still allocated (8 bytes) and passed */
	if (run("echo", NULL, 0, &res, &err) < 0)
		fail_msg("echo empty: %s", err.msg);
	assert_int_equal(res.output_len, 0);
	assert_non_null(res.output);
	pvf_exec_result_free(&res);
	/* memory grows past the initial 2 pages through the allocator */
	if (run("grow_echo", "xyz", 3, &res, &err) < 0)
		fail_msg("grow_echo: %s", err.msg);
	assert_memory_equal(res.output, "xyz", 3);
	assert_true(res.alloc.bytes_allocated_peak > 1048576);
	pvf_exec_result_free(&res);
}

static void test_validate_block_result(void **state)
{
	pvf_exec_result res;
	pvf_error err;
	uint8_t *vr;
	size_t n;

	(void)state;
	assert_int_equal(pvf_hex_decode_alloc(ADDER_RESULT, strlen(ADDER_RESULT), &vr, &n, &err), 0);
	/* validate_block echoes: a well-formed ValidationResult passes */
	if (run(NULL, vr, n, &res, &err) < 0)
		fail_msg("validate_block: %s", err.msg);
	assert_int_equal(res.output_len, n);
	assert_memory_equal(res.output, vr, n);
	pvf_exec_result_free(&res);
	/* bytes after the ValidationResult are ignored, as Polkadot's execute
	 * worker decodes with ValidationResult::decode: valid, and the answer
	 * is the result alone */
	vr = realloc(vr, n + 3);
	memcpy(vr + n, "\x00\xff\x07", 3);
	if (run(NULL, vr, n + 3, &res, &err) < 0)
		fail_msg("validate_block with trailing bytes: %s", err.msg);
	assert_int_equal(res.output_len, n);
	assert_memory_equal(res.output, vr, n);
	pvf_exec_result_free(&res);
	/* truncated: bad result */
	assert_int_equal(run(NULL, vr, n - 1, &res, &err), -1);
	assert_int_equal(err.code, PVF_E_BAD_RESULT);
	free(vr);
	/* output range outside memory */
	assert_int_equal(run("bad_ptr", "a", 1, &res, &err), -1);
	assert_int_equal(err.code, PVF_E_BAD_RESULT);
}

static void test_traps(void **state)
{
	pvf_exec_result res;
	pvf_error err;

	(void)state;
	assert_int_equal(run("panic", "a", 1, &res, &err), -1);
	assert_int_equal(err.code, PVF_E_TRAP);
	assert_int_equal(res.trap.kind, PVF_TRAP_UNREACHABLE);
	assert_non_null(strstr(res.trap.msg, "runtime: panicked at 'boom'"));
	assert_non_null(strstr(err.msg, "panicked at 'boom'"));

	/* An export other than validate_block is a runtime call against an
	 * empty storage state: storage_get returns None (one byte 0x00). */
	if (run("call_storage_get", "a", 1, &res, &err) < 0)
		fail_msg("call_storage_get: %s", err.msg);
	assert_int_equal(res.output_len, 1);
	assert_int_equal(res.output[0], 0);
	pvf_exec_result_free(&res);

	assert_int_equal(run("no_such_export", "a", 1, &res, &err), -1);
	assert_int_equal(err.code, PVF_E_USAGE);
	assert_int_equal(run("pages", "a", 1, &res, &err), -1); /* wrong type */
	assert_int_equal(err.code, PVF_E_USAGE);
}

static void test_code_load(void **state)
{
	pvf_code *c = NULL;
	pvf_error err;
	char path[600];
	/* "0x" + hex of an empty module: header only */
	static const char hexmod[] = "0x0061736d01000000\n";
	static const uint8_t raw[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/hostapi_import_memory.wasm", TEST_WASM_DIR);
	/* The rules hold for this PVF-shaped module. */
	if (pvf_code_load_file(path, NULL, &c, &err) < 0)
		fail_msg("load: %s", err.msg);
	assert_true(c->verdict.ok);
	pvf_code_free(c);
	/* hex text: the code hash is over the decoded bytes */
	pvf_code_opts o = { .skip_rules = true };
	assert_int_equal(pvf_code_load((const uint8_t *)hexmod, strlen(hexmod), &o, &c, &err), 0);
	assert_int_equal(c->wasm_len, 8);
	{
		pvf_code *c2 = NULL;
		assert_int_equal(pvf_code_load(raw, sizeof(raw), &o, &c2, &err), 0);
		assert_memory_equal(c->code_hash, c2->code_hash, 32);
		pvf_code_free(c2);
	}
	pvf_code_free(c);
	/* without validate_block the rules fail */
	assert_int_equal(pvf_code_load(raw, sizeof(raw), NULL, &c, &err), -1);
	assert_int_equal(err.code, PVF_E_RULE_NO_VALIDATE_BLOCK);
	/* garbage */
	assert_int_equal(pvf_code_load((const uint8_t *)"junk", 4, &o, &c, &err), -1);
	assert_int_equal(pvf_code_load_file("/nonexistent/pvf.wasm", NULL, &c, &err), -1);
	assert_int_equal(err.code, PVF_E_IO);
}

/* RFC-0145 entry points (tests/wasm/input_entry.wat): called with the
 * input's length; the runtime reads the input once with ext_input_read
 * into a buffer at least as long, whose rest the host zeroes; no host
 * allocator, no __heap_base needed. */
static char g_art_v2[600], g_art_v2_alloc[600];

static int run_art(const char *art, const char *export, const void *in, size_t len, pvf_exec_result *res,
		   pvf_error *err)
{
	pvf_exec_request rq = { 0 };

	rq.input = in;
	rq.input_len = len;
	rq.export_name = export;
	return pvf_job_execute(art, &rq, res, err);
}

static void expect_host_trap(const char *art, const char *export, const char *in, const char *msg_part)
{
	pvf_exec_result res;
	pvf_error err;

	assert_int_equal(run_art(art, export, in, strlen(in), &res, &err), -1);
	if (err.code != PVF_E_TRAP || res.trap.kind != PVF_TRAP_HOST_ERROR || !strstr(res.trap.msg, msg_part))
		fail_msg("%s: %s (trap %d: %s), expected a host-function trap with \"%s\"", export, err.msg,
			 (int)res.trap.kind, res.trap.msg, msg_part);
}

static void test_input_entry(void **state)
{
	pvf_exec_result res;
	pvf_error err;
	static const uint8_t big_tail[8] = { 0 };

	(void)state;
	if (run_art(g_art_v2, "echo", "hello", 5, &res, &err) < 0)
		fail_msg("echo: %s", err.msg);
	assert_int_equal(res.output_len, 5);
	assert_memory_equal(res.output, "hello", 5);
	assert_int_equal(res.alloc.bytes_allocated_peak, 0);
	pvf_exec_result_free(&res);
	if (run_art(g_art_v2, "echo", NULL, 0, &res, &err) < 0)
		fail_msg("echo empty: %s", err.msg);
	assert_int_equal(res.output_len, 0);
	pvf_exec_result_free(&res);

	/* a longer buffer: the input, then zeroes where the runtime wrote 0xff */
	if (run_art(g_art_v2, "echo_big", "abc", 3, &res, &err) < 0)
		fail_msg("echo_big: %s", err.msg);
	assert_int_equal(res.output_len, 11);
	assert_memory_equal(res.output, "abc", 3);
	assert_memory_equal(res.output + 3, big_tail, 8);
	pvf_exec_result_free(&res);

	expect_host_trap(g_art_v2, "echo_small", "hello", "buffer of 4 bytes for an input of 5 bytes");
	expect_host_trap(g_art_v2, "read_twice", "hello", "already taken");
	expect_host_trap(g_art_v2, "read_oob", "hello", "out of bounds");

	/* validate_block through the entry point: the result decodes */
	if (run_art(g_art_v2, NULL, "12345", 5, &res, &err) < 0)
		fail_msg("validate_block: %s", err.msg);
	assert_int_equal(res.output_len, 12);
	assert_memory_equal(res.output, "\0\0\0\0\3\0\0\0\5\0\0\0", 12);
	pvf_exec_result_free(&res);

	/* the legacy entry point of the same module needs __heap_base */
	assert_int_equal(run_art(g_art_v2, "legacy", "x", 1, &res, &err), -1);
	assert_int_equal(err.code, PVF_E_INSTANTIATE);
	assert_non_null(strstr(err.msg, "__heap_base"));

	/* no host allocator under the new entry point */
	expect_host_trap(g_art_v2_alloc, NULL, "x", "host allocator is not available");
}

static int prepare_test_module(const char *name, char *art, size_t cap, bool rules)
{
	char path[600];
	pvf_code *c = NULL;
	pvf_error err;
	pvf_prepare_opts po = { .opt_level = "-O0" };
	pvf_code_opts co = { 0 };

	co.skip_rules = !rules;
	snprintf(path, sizeof(path), "%s/%s.wasm", TEST_WASM_DIR, name);
	snprintf(art, cap, "%s/%s.art", g_dir, name);
	if (pvf_code_load_file(path, &co, &c, &err) < 0 || pvf_code_prepare(c, &po, art, NULL, &err) < 0) {
		fprintf(stderr, "setup: %s: %s\n", name, err.msg);
		pvf_code_free(c);
		return -1;
	}
	pvf_code_free(c);
	return 0;
}

static int setup(void **state)
{
	char path[600];
	pvf_code *c = NULL;
	pvf_error err;
	pvf_prepare_opts po = { .opt_level = "-O0" };

	(void)state;
	if (!mkdtemp(g_dir))
		return -1;
	snprintf(path, sizeof(path), "%s/hostapi_import_memory.wasm", TEST_WASM_DIR);
	snprintf(g_art, sizeof(g_art), "%s/impmem.art", g_dir);
	if (pvf_code_load_file(path, NULL, &c, &err) < 0 || pvf_code_prepare(c, &po, g_art, NULL, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		pvf_code_free(c);
		return -1;
	}
	pvf_code_free(c);
	/* the RFC-0145 module passes the PVF rules; the one that mixes the
	 * entry point with the host allocator is only prepared */
	if (prepare_test_module("input_entry", g_art_v2, sizeof(g_art_v2), true) < 0 ||
	    prepare_test_module("input_entry_host_alloc", g_art_v2_alloc, sizeof(g_art_v2_alloc), false) < 0)
		return -1;
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
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_validate_block_result),
		cmocka_unit_test(test_traps),
		cmocka_unit_test(test_code_load),
		cmocka_unit_test(test_input_entry),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
