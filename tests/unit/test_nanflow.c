/*
 * test_nanflow.c — the placement of NaN tests (src/wasm/nanflow.c) on
 * tests/wasm/nan_flow.wat: where the analysis drops a test, where it moves
 * one to a read, and where it must keep it. The bits these placements give
 * are checked by test_engine.c (test_nan_placement).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wasm/module.h"
#include "wasm/nanflow.h"

static uint8_t *g_wasm;
static size_t g_len;
static pvf_module *g_m;
static pvf_nanflow g_nf;

static int setup(void **state)
{
	char path[512];
	pvf_error err;
	FILE *f;
	long n;

	(void)state;
	snprintf(path, sizeof(path), "%s/nan_flow.wasm", TEST_WASM_DIR);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	g_wasm = malloc((size_t)n);
	if (!g_wasm || fread(g_wasm, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	g_len = (size_t)n;
	if (pvf_module_decode(g_wasm, g_len, NULL, &g_m, &err) < 0)
		return -1;
	return pvf_nanflow_analyse(g_m, &g_nf, &err);
}

static int teardown(void **state)
{
	(void)state;
	pvf_nanflow_free(&g_nf);
	pvf_module_free(g_m);
	free(g_wasm);
	return 0;
}

static const pvf_nanflow_func *func(const char *name)
{
	const pvf_export *e = pvf_module_find_export(g_m, name);

	assert_non_null(e);
	assert_true(e->index >= g_m->nfunc_imports && e->index - g_m->nfunc_imports < g_nf.nfuncs);
	return &g_nf.funcs[e->index - g_m->nfunc_imports];
}

/* acc: f64.sub then f64.add into the pure accumulator, inside the loop:
 * neither tested there; of the two reads of $a, the one in the loop feeds
 * the add (not seen), the one after the loop is reinterpreted (tested). */
static void test_accumulator(void **state)
{
	const pvf_nanflow_func *f = func("acc");

	(void)state;
	assert_true(f->analysed);
	assert_int_equal(f->narith, 2);
	assert_int_equal(f->arith[0].op, 0xA1);   /* f64.sub */
	assert_int_equal(f->arith[1].op, 0xA0);   /* f64.add */
	assert_false(f->arith[0].need);
	assert_false(f->arith[1].need);
	assert_int_equal(f->nget, 2);
	assert_int_equal(f->get[0].local, 1);
	assert_false(f->get[0].canon);
	assert_int_equal(f->get[1].local, 1);
	assert_true(f->get[1].canon);
}

/* tee: the tee's value is reinterpreted at once: tested where computed. */
static void test_tee_keeps_the_test(void **state)
{
	const pvf_nanflow_func *f = func("tee");

	(void)state;
	assert_true(f->analysed);
	assert_int_equal(f->narith, 1);
	assert_true(f->arith[0].need);
}

/* mixed: $m also receives a reinterpreted NaN, so it is not pure: the
 * arithmetic result is tested where computed, no read is. */
static void test_impure_local(void **state)
{
	const pvf_nanflow_func *f = func("mixed");

	(void)state;
	assert_true(f->analysed);
	assert_int_equal(f->narith, 1);
	assert_true(f->arith[0].need);
	for (uint32_t i = 0; i < f->nget; i++)
		assert_false(f->get[i].canon);
}

/* block: a value leaving a block is not followed: tested where computed,
 * and the local it lands in is not pure. */
static void test_block_result(void **state)
{
	const pvf_nanflow_func *f = func("block");

	(void)state;
	assert_true(f->analysed);
	assert_int_equal(f->narith, 1);
	assert_true(f->arith[0].need);
	assert_int_equal(f->nget, 1);
	assert_false(f->get[0].canon);
}

/* stored: the product's operand (the difference) is not tested, the
 * product goes into a pure local whose read is stored: tested there. */
static void test_chain_into_store(void **state)
{
	const pvf_nanflow_func *f = func("stored");

	(void)state;
	assert_true(f->analysed);
	assert_int_equal(f->narith, 2);
	assert_false(f->arith[0].need);
	assert_false(f->arith[1].need);
	assert_int_equal(f->nget, 1);
	assert_true(f->get[0].canon);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accumulator),
		cmocka_unit_test(test_tee_keeps_the_test),
		cmocka_unit_test(test_impure_local),
		cmocka_unit_test(test_block_result),
		cmocka_unit_test(test_chain_into_store),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
