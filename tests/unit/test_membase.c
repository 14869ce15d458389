/*
 * test_membase.c — memory accesses through a base pointer each function
 * reads once (src/engine/membase.c): the rewrite of real wasm2c 1.0.32
 * output, for a module's own memory and an imported one, the text it
 * leaves alone, and the prepared code's loads and stores
 * with each compiler.
 *
 * Expected counts come from tests/wasm/membase.wat and imports.wat (which
 * functions load or store, and how often); expected values from the WebAssembly specification
 * (little-endian bytes, sign and zero extension, memory.grow); none from
 * this code.
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
#include "engine/membase.h"
#include "engine/proc.h"
#include "test_util.h"

static char g_dir[] = "/tmp/pvfhost-test-membase-XXXXXX";

/* In tests/wasm/membase.wat: functions with a load or store, and loads and
 * stores in all. */
#define WAT_FUNCS_WITH_ACCESS 19u
#define WAT_ACCESSES 30u

static char *wasm_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s.wasm", TEST_WASM_DIR, name);
	return path;
}

/* wasm2c output for tests/wasm/<name>.wasm, as preparation runs it. */
static char *translate(const char *name, size_t *len)
{
	char out[600];

	snprintf(out, sizeof(out), "%s/%s.c", g_dir, name);
	return test_wasm2c(wasm_path(name), out, len);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	for (const char *p = hay; (p = strstr(p, needle)); p += nl)
		n++;
	return n;
}

/* The definition of `name` (from its line through "\n}\n"), malloc'd. */
static char *definition(const char *text, const char *name)
{
	char head[128];
	const char *s, *e;
	char *d;

	snprintf(head, sizeof(head), " %s(Z_m_instance_t* instance", name);
	s = strstr(text, head);
	assert_non_null(s);
	while (s > text && s[-1] != '\n')
		s--;
	e = strstr(s, "\n}\n");
	assert_non_null(e);
	d = strndup(s, (size_t)(e + 3 - s));
	assert_non_null(d);
	return d;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return test_remove_tree(g_dir);
}

static void test_rewrite(void **state)
{
	size_t len;
	char *text = translate("membase", &len);
	char *grow_before = definition(text, "w2c_f0"), *grow_after, *stores;
	pvf_prepare_stats st;
	pvf_error err;

	(void)state;
	/* wasm2c passes the memory's descriptor to each helper, and to the
	 * runtime's allocation and growth */
	assert_int_equal(count(text, "(&instance->w2c_memory, "), WAT_ACCESSES + 2);
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(pvf__membase_rewrite(&text, &len, &st, &err), 0);
	assert_int_equal(strlen(text), len);
	assert_int_equal(st.membase_funcs, WAT_FUNCS_WITH_ACCESS);
	assert_int_equal(st.membase_accesses, WAT_ACCESSES);
	/* every access goes through the base pointer, which each function
	 * that has one reads once */
	assert_int_equal(count(text, "(&instance->w2c_memory, "), 2);
	assert_int_equal(count(text, "_b(pvf_mb, "), WAT_ACCESSES);
	assert_int_equal(count(text, "u8* const pvf_mb = (&instance->w2c_memory)->data;\n"), WAT_FUNCS_WITH_ACCESS);
	/* growth is still through the descriptor; a function without a load or
	 * store is unchanged */
	grow_after = definition(text, "w2c_f0");
	assert_string_equal(grow_after, grow_before);
	assert_non_null(strstr(grow_after, "wasm_rt_grow_memory(&instance->w2c_memory, "));
	/* an exported function named like a helper is not taken for one */
	stores = definition(text, "w2c_i32_load");
	assert_non_null(strstr(stores, "i32_load_b(pvf_mb, (u64)(w2c_i0))"));
	free(stores);
	/* a signature on two lines */
	stores = definition(text, "w2c_store9");
	assert_non_null(strstr(stores, "u32 w2c_p7, \n"));
	assert_non_null(strstr(stores, "i32_store_b(pvf_mb, "));
	free(stores);
	stores = definition(text, "w2c_stores");
	assert_int_equal(count(stores, "_b(pvf_mb, "), 9);
	assert_non_null(strstr(stores, "i32_store_b(pvf_mb, (u64)(w2c_i0) + 12, w2c_i1)"));
	free(stores);
	free(grow_before);
	free(grow_after);
	free(text);
}

/* An imported memory, as in PVFs (tests/wasm/imports.wat: one store). */
static void test_rewrite_imported_memory(void **state)
{
	size_t len;
	char *text = translate("imports", &len);
	pvf_prepare_stats st;
	pvf_error err;

	(void)state;
	assert_int_equal(count(text, "i32_store(instance->Z_envZ_memory, "), 1);
	assert_int_equal(pvf__membase_rewrite(&text, &len, &st, &err), 0);
	assert_int_equal(st.membase_funcs, 1);
	assert_int_equal(st.membase_accesses, 1);
	assert_int_equal(count(text, "u8* const pvf_mb = (instance->Z_envZ_memory)->data;\n"), 1);
	assert_int_equal(count(text, "i32_store_b(pvf_mb, "), 1);
	assert_int_equal(count(text, "i32_store(instance->Z_envZ_memory, "), 0);
	/* memory.size and memory.grow still read the descriptor */
	assert_non_null(strstr(text, "wasm_rt_grow_memory(instance->Z_envZ_memory, "));
	free(text);
}

/* Text the rewrite does not recognise: without wasm2c's helpers it fails;
 * with definitions the splitter cannot read, it leaves the text alone. */
static void test_unrecognised_text(void **state)
{
	size_t len;
	char *text = translate("membase", &len), *copy, *p;
	pvf_prepare_stats st;
	pvf_error err;

	(void)state;
	copy = strdup(text);
	assert_non_null(copy);
	p = strstr(copy, "DEFINE_STORE(i64_store32, u32, u64)\n");
	assert_non_null(p);
	p[0] = 'd';
	assert_int_equal(pvf__membase_rewrite(&copy, &len, &st, &err), -1);
	assert_int_equal(err.code, PVF_E_TOOL);
	assert_non_null(strstr(err.msg, "unexpected wasm2c output"));
	free(copy);

	/* a prototype without wasm2c's prefix: the splitter refuses it */
	p = strstr(text, "static void w2c_fill(Z_m_instance_t*);");
	assert_non_null(p);
	memcpy(p + 12, "x2c", 3);
	copy = strdup(text);
	assert_non_null(copy);
	len = strlen(copy);
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(pvf__membase_rewrite(&copy, &len, &st, &err), 0);
	assert_string_equal(copy, text);
	assert_int_equal(st.membase_funcs, 0);
	assert_int_equal(st.membase_accesses, 0);
	free(copy);
	free(text);
}

static uint64_t call1(pvf_instance *in, const char *fn, uint64_t arg, int nargs)
{
	uint64_t args[1] = { arg }, res[1] = { 0 };
	pvf_error err;
	pvf_trap trap;

	if (pvf_instance_call(in, fn, args, (uint32_t)nargs, res, 1, &trap, &err) < 0)
		fail_msg("%s: %s", fn, err.msg);
	return res[0];
}

/* One compiler: prepare, then every load and store kind, growth between
 * the accesses of one call, and the guard past the memory. */
static void run_with(const char *cc, const char *opt)
{
	static const uint8_t stored[36] = {
		0x78, 0x00, 0x78, 0x56, 0x88, 0x00, 0x88, 0x77, 0x88, 0x77, 0x66, 0x55,
		0x78, 0x56, 0x34, 0x12, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
		0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0,
	};
	char out[600];
	uint8_t bytes[36];
	pvf_prepare_opts o = { 0 };
	pvf_prepare_stats st;
	pvf_artifact *a = NULL;
	pvf_instance *in = NULL;
	pvf_error err;
	pvf_trap trap;
	uint64_t res[1];
	float f;
	double d;

	o.cc = cc;
	o.opt_level = opt;
	snprintf(out, sizeof(out), "%s/membase-%s%s.art", g_dir, cc, opt);
	test_prepare_wasm(wasm_path("membase"), &o, out, &st);
	assert_int_equal(st.membase_accesses, WAT_ACCESSES);
	if (pvf_artifact_open(out, NULL, &a, &err) < 0)
		fail_msg("open: %s", err.msg);
	if (pvf_instance_new(a, NULL, 0, NULL, &in, &trap, &err) < 0)
		fail_msg("instantiate: %s", err.msg);

	if (pvf_instance_call(in, "fill", NULL, 0, NULL, 0, &trap, &err) < 0)
		fail_msg("fill: %s", err.msg);
	assert_int_equal((uint32_t)call1(in, "i32_load8_s", 16, 1), 0xffffff87u);
	assert_int_equal((uint32_t)call1(in, "i32_load8_u", 16, 1), 0x87u);
	assert_int_equal((uint32_t)call1(in, "i32_load16_s", 16, 1), 0xffff8687u);
	assert_int_equal((uint32_t)call1(in, "i32_load16_u", 16, 1), 0x8687u);
	assert_int_equal((uint32_t)call1(in, "i32_load", 16, 1), 0x84858687u);
	assert_int_equal((uint32_t)call1(in, "i32_load", 17, 1), 0x83848586u);
	assert_int_equal(call1(in, "i64_load8_s", 16, 1), 0xffffffffffffff87ull);
	assert_int_equal(call1(in, "i64_load8_u", 16, 1), 0x87ull);
	assert_int_equal(call1(in, "i64_load16_s", 16, 1), 0xffffffffffff8687ull);
	assert_int_equal(call1(in, "i64_load16_u", 16, 1), 0x8687ull);
	assert_int_equal(call1(in, "i64_load32_s", 16, 1), 0xffffffff84858687ull);
	assert_int_equal(call1(in, "i64_load32_u", 16, 1), 0x84858687ull);
	assert_int_equal(call1(in, "i64_load", 16, 1), 0x8081828384858687ull);

	assert_int_equal(pvf_instance_call(in, "stores", NULL, 0, NULL, 0, &trap, &err), 0);
	assert_int_equal(pvf_instance_read(in, 100, bytes, sizeof(bytes), &err), 0);
	assert_memory_equal(bytes, stored, sizeof(stored));
	res[0] = call1(in, "f32_load", 124, 1);
	memcpy(&f, res, 4);
	assert_true(f == 1.5f);
	res[0] = call1(in, "f64_load", 128, 1);
	memcpy(&d, res, 8);
	assert_true(d == -2.0);

	/* the base pointer read before the callee grew the memory still
	 * reaches the new page */
	assert_int_equal(pvf_instance_memory_size(in), 65536);
	assert_int_equal(call1(in, "grow_then_access", 0, 0), 0x010203040506070full);
	assert_int_equal(pvf_instance_memory_size(in), 2 * 65536);
	assert_int_equal(call1(in, "i64_load", 65536, 1), 0x0102030405060708ull);
	/* one byte past the memory traps */
	assert_int_equal(pvf_instance_call(in, "beyond", NULL, 0, res, 1, &trap, &err), -1);
	assert_int_equal(err.code, PVF_E_TRAP);
	assert_int_equal(trap.kind, PVF_TRAP_MEMORY_OOB);

	pvf_instance_free(in);
	pvf_artifact_close(a);
}

static void test_gcc(void **state)
{
	(void)state;
	run_with("gcc", "-Og");
	run_with("gcc", "-O2");
}

static void test_clang(void **state)
{
	char *p = pvf__which("clang");

	(void)state;
	if (!p)
		skip();
	free(p);
	run_with("clang", "-O0");
	run_with("clang", "-O1");
}

static void test_tcc(void **state)
{
	char *p = pvf__which("tcc");

	(void)state;
	if (!p)
		skip();
	free(p);
	run_with("tcc", "-O0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_rewrite_imported_memory),
		cmocka_unit_test(test_unrecognised_text),
		cmocka_unit_test(test_gcc),
		cmocka_unit_test(test_clang),
		cmocka_unit_test(test_tcc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
