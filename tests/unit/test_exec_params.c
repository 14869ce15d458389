/* test_exec_params.c — executor parameters: defaults, Polkadot's consistency
 * rules, the strict SCALE decoder (hand-built vectors), and which parameters
 * change the preparation hash.
 *
 * Encoding and rules: polkadot-sdk polkadot/primitives/src/v9/executor_params.rs
 * (`ExecutorParam` codec indices, `check_consistency`, `prep_hash`); the
 * MaxMemoryPages(n) -> n + 32 pages mapping: polkadot/node/core/pvf/common/src/
 * executor_interface.rs `params_to_wasmtime_semantics`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "host/exec_params.h"
#include "pvfhost.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		unsigned v;
		assert_true(sscanf(s, "%2x", &v) == 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static int decode_hex(const char *hex, pvfhost_executor_params *p, pvfhost_error *e)
{
	uint8_t buf[256];
	size_t n = unhex(hex, buf, sizeof(buf));

	return pvfhost_executor_params_decode(buf, n, p, e);
}

static void expect_decode_fail(const char *hex, const char *needle)
{
	pvfhost_executor_params p;
	pvfhost_error e;

	memset(&e, 0, sizeof(e));
	pvfhost_executor_params_default(&p);
	p.max_memory_pages = 7; /* must stay untouched on failure */
	if (decode_hex(hex, &p, &e) == 0)
		fail_msg("decoded %s", hex);
	assert_int_equal(p.max_memory_pages, 7);
	assert_string_equal(pvfhost_error_code_name(e.code), "usage");
	if (!strstr(e.msg, needle))
		fail_msg("message \"%s\" does not mention \"%s\"", e.msg, needle);
}

static void expect_check_fail(const pvfhost_executor_params *p, const char *needle)
{
	pvfhost_error e;

	memset(&e, 0, sizeof(e));
	assert_int_equal(pvfhost_executor_params_check(p, &e), -1);
	assert_int_equal(e.cls, PVFHOST_CLASS_INTERNAL);
	if (!strstr(e.msg, needle))
		fail_msg("message \"%s\" does not mention \"%s\"", e.msg, needle);
}

static void test_defaults(void **state)
{
	pvfhost_executor_params p;
	pvfhost_error e;

	(void)state;
	pvfhost_executor_params_default(&p);
	assert_int_equal(p.max_memory_pages, 2080);
	assert_int_equal(p.stack_logical_max, 65536);
	assert_int_equal(p.stack_native_max, 256u << 20);
	assert_true(p.prechecking_max_memory == 2ull << 30);
	assert_true(p.prep_timeout_precheck_ms == 60000);
	assert_true(p.prep_timeout_lenient_ms == 360000);
	assert_true(p.exec_timeout_backing_ms == 2000);
	assert_true(p.exec_timeout_approval_ms == 12000);
	assert_false(p.bulk_memory);
	assert_int_equal(pvfhost_executor_params_check(&p, &e), 0);
	/* the engine's limit is the logical one itself */
	assert_int_equal(pvf_exec_params_stack_limit(&p), 65536);
	p.stack_logical_max = 2;
	assert_int_equal(pvf_exec_params_stack_limit(&p), 2);
	assert_string_equal(pvfhost_error_code_name(0), "ok");
	assert_string_equal(pvfhost_error_class_name(PVFHOST_CLASS_POSSIBLY_INVALID), "possibly-invalid");

	/* An empty vector is the defaults. */
	memset(&p, 0, sizeof(p));
	assert_int_equal(decode_hex("00", &p, &e), 0);
	assert_int_equal(p.max_memory_pages, 2080);
	assert_true(p.exec_timeout_approval_ms == 12000);
}

static void test_check_rules(void **state)
{
	pvfhost_executor_params d, p;

	(void)state;
	pvfhost_executor_params_default(&d);

	p = d, p.max_memory_pages = 32;               /* MaxMemoryPages(0) */
	expect_check_fail(&p, "max_memory_pages");
	p = d, p.max_memory_pages = 65536 + 33;       /* MaxMemoryPages(65537) */
	expect_check_fail(&p, "max_memory_pages");
	p = d, p.max_memory_pages = 65536 + 32;
	assert_int_equal(pvfhost_executor_params_check(&p, NULL), 0);

	p = d, p.stack_logical_max = 1023;
	expect_check_fail(&p, "StackLogicalMax");
	p = d, p.stack_logical_max = 131073;
	expect_check_fail(&p, "StackLogicalMax");
	p = d, p.stack_logical_max = 131072, p.stack_native_max = 128u * 131072u;
	assert_int_equal(pvfhost_executor_params_check(&p, NULL), 0);

	p = d, p.stack_native_max = 128u * 65536u - 1;  /* native < 128 x logical */
	expect_check_fail(&p, "StackNativeMax");

	p = d, p.prechecking_max_memory = (256ull << 20) - 1;
	expect_check_fail(&p, "PrecheckingMaxMemory");
	p = d, p.prechecking_max_memory = (16ull << 30) + 1;
	expect_check_fail(&p, "PrecheckingMaxMemory");
	p = d, p.prechecking_max_memory = 16ull << 30;
	assert_int_equal(pvfhost_executor_params_check(&p, NULL), 0);

	p = d, p.prep_timeout_precheck_ms = p.prep_timeout_lenient_ms;
	expect_check_fail(&p, "PvfPrepTimeout(Precheck)");
	p = d, p.exec_timeout_backing_ms = 12000;
	expect_check_fail(&p, "PvfExecTimeout(Backing)");
	p = d, p.exec_timeout_backing_ms = 0;
	expect_check_fail(&p, "0 ms");
}

static void test_decode(void **state)
{
	pvfhost_executor_params p;
	pvfhost_error e;

	(void)state;
	/* 9 items (compact 0x24): MaxMemoryPages(8192), StackLogicalMax(32768), StackNativeMax(64 MiB),
	 * PrecheckingMaxMemory(1 GiB), PvfPrepTimeout(Precheck, 30000), PvfPrepTimeout(Prepare, 90000),
	 * PvfExecTimeout(Backing, 1500), PvfExecTimeout(Approval, 6000), WasmExtBulkMemory */
	const char *v = "24"
			"01 00200000"
			"02 00800000"
			"03 00000004"
			"04 0000004000000000"
			"05 00 3075000000000000"
			"05 01 905f010000000000"
			"06 00 dc05000000000000"
			"06 01 7017000000000000"
			"07";
	memset(&e, 0, sizeof(e));
	if (decode_hex(v, &p, &e) < 0)
		fail_msg("decode: %s", e.msg);
	assert_int_equal(p.max_memory_pages, 8192 + 32);
	assert_int_equal(p.stack_logical_max, 32768);
	assert_int_equal(p.stack_native_max, 64u << 20);
	assert_true(p.prechecking_max_memory == 1ull << 30);
	assert_true(p.prep_timeout_precheck_ms == 30000);
	assert_true(p.prep_timeout_lenient_ms == 90000);
	assert_true(p.exec_timeout_backing_ms == 1500);
	assert_true(p.exec_timeout_approval_ms == 6000);
	assert_true(p.bulk_memory);
	assert_int_equal(pvf_exec_params_stack_limit(&p), 32768);

	/* Only one parameter: the others keep their defaults. */
	assert_int_equal(decode_hex("04 02 00080000", &p, &e), 0);
	assert_int_equal(p.stack_logical_max, 2048);
	assert_int_equal(p.max_memory_pages, 2080);
	assert_true(p.exec_timeout_backing_ms == 2000);
}

static void test_decode_rejects(void **state)
{
	(void)state;
	/* duplicates (Polkadot's DuplicatedParam) */
	expect_decode_fail("08 07 07", "WasmExtBulkMemory given twice");
	expect_decode_fail("08 01 00010000 01 00010000", "MaxMemoryPages given twice");
	expect_decode_fail("08 05 00 1027000000000000 05 00 1027000000000000", "PvfPrepTimeout(Precheck) given twice");
	/* the two kinds of one timeout are different parameters */
	pvfhost_executor_params p;
	pvfhost_error e;
	assert_int_equal(decode_hex("08 06 00 e803000000000000 06 01 d007000000000000", &p, &e), 0);
	/* trailing bytes, truncation, wrong lengths */
	expect_decode_fail("04 07 00", "trailing");
	expect_decode_fail("04 01 0001", "ExecutorParams");
	expect_decode_fail("08 07", "ExecutorParams");
	expect_decode_fail("", "ExecutorParams");
	/* unknown variants and kinds */
	expect_decode_fail("04 08 00", "variant 8");
	expect_decode_fail("04 00", "variant 0");
	expect_decode_fail("04 05 02 1027000000000000", "PvfPrepTimeout kind 2");
	expect_decode_fail("04 06 07 1027000000000000", "PvfExecTimeout kind 7");
	/* ranges (Polkadot's OutsideLimit) */
	expect_decode_fail("04 01 00000000", "MaxMemoryPages(0)");
	expect_decode_fail("04 01 01000100", "MaxMemoryPages(65537)");
	expect_decode_fail("04 02 ff030000", "StackLogicalMax(1023)");
	expect_decode_fail("04 04 0000100000000000", "PrecheckingMaxMemory");
	/* incompatible values (Polkadot's IncompatibleValues), checked against the defaults */
	expect_decode_fail("04 05 00 a0bb0d0000000000", "PvfPrepTimeout(Precheck)");   /* 900000 >= 360000 */
	expect_decode_fail("04 06 01 d007000000000000", "PvfExecTimeout(Backing)");    /* approval 2000 <= 2000 */
	expect_decode_fail("04 03 00001000", "StackNativeMax");                         /* 1 MiB < 128 x 65536 */
}

static void test_prep_hash(void **state)
{
	pvfhost_executor_params d, p;
	uint8_t h0[32], h1[32];

	(void)state;
	pvfhost_executor_params_default(&d);
	pvf_exec_params_prep_hash(&d, h0);
	p = d;
	pvf_exec_params_prep_hash(&p, h1);
	assert_memory_equal(h0, h1, 32);

	/* Preparation-relevant: the hash changes. */
	p = d, p.max_memory_pages++;
	pvf_exec_params_prep_hash(&p, h1);
	assert_memory_not_equal(h0, h1, 32);
	p = d, p.stack_logical_max = 32768;
	pvf_exec_params_prep_hash(&p, h1);
	assert_memory_not_equal(h0, h1, 32);
	p = d, p.bulk_memory = true;
	pvf_exec_params_prep_hash(&p, h1);
	assert_memory_not_equal(h0, h1, 32);

	/* Execution-only: the hash stays. */
	p = d;
	p.stack_native_max = 512u << 20;
	p.prechecking_max_memory = 1ull << 30;
	p.prep_timeout_precheck_ms = 1;
	p.prep_timeout_lenient_ms = 2;
	p.exec_timeout_backing_ms = 3;
	p.exec_timeout_approval_ms = 4;
	pvf_exec_params_prep_hash(&p, h1);
	assert_memory_equal(h0, h1, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_check_rules),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_prep_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
