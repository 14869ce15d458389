/*
 * test_stack_cost.c — the logical stack cost of functions, as Polkadot's
 * stack limiter (wasm-instrument 0.4.0) counts it: the modules in
 * tests/wasm/stack_costs.wat, whose costs are worked out by hand there from
 * the limiter's rules (stack_cost.c), and a valid module the limiter
 * refuses (tests/wasm/stack_refused.wat).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/artifact_format.h"
#include "engine/stacklimit.h"
#include "wasm/module.h"
#include "wasm/stack_cost.h"

static pvf_module *load(const char *name, uint8_t **bytes)
{
	char path[600];
	size_t len;
	pvf_module *m = NULL;
	pvf_error err;
	pvf_decode_opts o = { PVF_FEATURES_MVP | PVF_FEAT_MUTABLE_GLOBALS, false };

	snprintf(path, sizeof(path), "%s/%s", TEST_WASM_DIR, name);
	if (pvf__read_file(path, 1u << 20, bytes, &len, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	if (pvf_module_decode(*bytes, len, &o, &m, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	return m;
}

static void test_costs(void **state)
{
	static const uint32_t want[] = { 2, 5, 3, 4, 4, 4, 3, 5, 4, 4, 74 };
	uint8_t *bytes = NULL;
	pvf_module *m = load("stack_costs.wasm", &bytes);
	uint32_t *costs = NULL;
	pvf_error err;

	(void)state;
	assert_int_equal(m->nfunctions, sizeof(want) / sizeof(want[0]));
	if (pvf_stack_costs(m, &costs, &err) < 0)
		fail_msg("%s", err.msg);
	for (uint32_t i = 0; i < m->nfunctions; i++)
		if (costs[i] != want[i])
			fail_msg("function %u: cost %u, want %u", i, costs[i], want[i]);
	free(costs);
	pvf_module_free(m);
	free(bytes);
}

static void test_refused(void **state)
{
	uint8_t *bytes = NULL;
	pvf_module *m = load("stack_refused.wasm", &bytes);
	uint32_t *costs = NULL;
	pvf_error err;

	(void)state;
	assert_int_equal(pvf_stack_costs(m, &costs, &err), -1);
	assert_null(costs);
	assert_int_equal(err.code, PVF_E_INVALID);
	assert_non_null(strstr(err.msg, "function 0: stack underflow"));
	pvf_module_free(m);
	free(bytes);
}

/* The rewrite of wasm2c's prologues and epilogues (engine/stacklimit.c):
 * the k-th function gets the k-th cost, an empty function's two lines
 * share a newline, and text that does not pair them up is refused. */
static void test_rewrite(void **state)
{
	static const char head[] = "#if X\n#define FUNC_EPILOGUE\n#endif\n";
	static const char body[] =
		"static void w2c_f0(I* instance) {\n  FUNC_PROLOGUE;\n  FUNC_EPILOGUE;\n}\n\n"
		"static u32 w2c_f1(I* instance) {\n  FUNC_PROLOGUE;\n  u32 x = 1;\n  FUNC_EPILOGUE;\n  return x;\n}\n";
	const uint32_t costs[2] = { 2, 4294967295u };
	char *buf = malloc(sizeof(head) + sizeof(body));
	size_t len;
	pvf_error err;

	(void)state;
	len = (size_t)sprintf(buf, "%s%s", head, body);
	char **names = NULL;
	assert_int_equal(pvf__stacklimit_rewrite(&buf, &len, costs, 2, &names, &err), 0);
	assert_string_equal(names[0], "w2c_f0");
	assert_string_equal(names[1], "w2c_f1");
	pvf__stacklimit_names_free(names, 2);
	assert_int_equal(strlen(buf), len);
	assert_non_null(strstr(buf, "#define PVF_STACK_ENTER(c)"));
	assert_non_null(strstr(buf, "{\n  PVF_STACK_ENTER(2);\n  PVF_STACK_LEAVE(2);\n}\n"));
	assert_non_null(strstr(buf, "{\n  PVF_STACK_ENTER(4294967295);\n  u32 x = 1;\n  PVF_STACK_LEAVE(4294967295);\n  return x;\n}\n"));
	assert_null(strstr(buf, "FUNC_PROLOGUE;"));
	assert_null(strstr(buf, "FUNC_EPILOGUE;"));
	free(buf);

	/* one function too many or too few for the costs given */
	buf = malloc(sizeof(head) + sizeof(body));
	len = (size_t)sprintf(buf, "%s%s", head, body);
	assert_int_equal(pvf__stacklimit_rewrite(&buf, &len, costs, 1, NULL, &err), -1);
	assert_int_equal(err.code, PVF_E_TOOL);
	uint32_t three[3] = { 2, 2, 2 };
	assert_int_equal(pvf__stacklimit_rewrite(&buf, &len, three, 3, NULL, &err), -1);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_costs),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_rewrite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
