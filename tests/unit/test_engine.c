/*
 * test_engine.c — the AOT pipeline end to end: prepare, load, instantiate,
 * call; trap kinds; host functions and imported memory; the deterministic
 * call-depth limit across compilers and optimisation levels; memory caps;
 * instance cycling; artifact verification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/rt.h"
#include "test_util.h"

static char g_dir[] = "/tmp/pvfhost-test-engine-XXXXXX";

/* Prepares tests/wasm/<name>.wasm with the given compiler settings into an
 * artifact file; returns its path (static buffer per call site is fine). */
static char *prepare(const char *name, const char *cc, const char *opt, uint32_t depth, uint32_t pages)
{
	char path[512];
	static int seq;
	pvf_prepare_opts o = { 0 };
	char *out = malloc(512);

	snprintf(path, sizeof(path), "%s/%s.wasm", TEST_WASM_DIR, name);
	o.cc = cc;
	o.opt_level = opt;
	o.stack_limit = depth;
	o.max_memory_pages = pages;
	snprintf(out, 512, "%s/%s-%d.art", g_dir, name, seq++);
	test_prepare_wasm(path, &o, out, NULL);
	return out;
}

static pvf_artifact *open_art(const char *path)
{
	pvf_artifact *a = NULL;
	pvf_error err;

	if (pvf_artifact_open(path, NULL, &a, &err) < 0)
		fail_msg("open %s: %s", path, err.msg);
	return a;
}

static pvf_instance *instantiate(pvf_artifact *a)
{
	pvf_instance *in = NULL;
	pvf_error err;
	pvf_trap trap;

	if (pvf_instance_new(a, NULL, 0, NULL, &in, &trap, &err) < 0)
		fail_msg("instantiate: %s", err.msg);
	return in;
}

static char *g_traps;

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(g_dir))
		return -1;
	g_traps = prepare("traps", NULL, "-O1", 0, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return test_remove_tree(g_dir);
}

static void expect_trap(pvf_instance *in, const char *fn, uint32_t nresults, pvf_trap_kind kind)
{
	pvf_error err;
	pvf_trap trap;
	uint64_t res[1];

	assert_int_equal(pvf_instance_call(in, fn, NULL, 0, res, nresults, &trap, &err), -1);
	if (err.code != PVF_E_TRAP)
		fail_msg("%s: %s", fn, err.msg);
	if (trap.kind != kind)
		fail_msg("%s: trap %s, expected %s", fn, pvf_trap_name(trap.kind), pvf_trap_name(kind));
}

static void test_traps(void **state)
{
	pvf_artifact *a = open_art(g_traps);
	pvf_instance *in = instantiate(a);

	(void)state;
	expect_trap(in, "unreachable", 0, PVF_TRAP_UNREACHABLE);
	expect_trap(in, "div_by_zero", 1, PVF_TRAP_DIV_BY_ZERO);
	expect_trap(in, "int_overflow", 1, PVF_TRAP_INT_OVERFLOW);
	expect_trap(in, "invalid_conversion", 1, PVF_TRAP_INVALID_CONVERSION);
	expect_trap(in, "memory_oob", 1, PVF_TRAP_MEMORY_OOB);
	expect_trap(in, "memory_oob_far", 1, PVF_TRAP_MEMORY_OOB);
	expect_trap(in, "table_oob", 1, PVF_TRAP_TABLE_OOB);
	expect_trap(in, "indirect_null", 1, PVF_TRAP_INDIRECT_NULL);
	expect_trap(in, "indirect_mismatch", 1, PVF_TRAP_INDIRECT_MISMATCH);
	pvf_instance_free(in);
	pvf_artifact_close(a);
}

static void test_calls_and_memory(void **state)
{
	pvf_artifact *a = open_art(g_traps);
	pvf_instance *in = instantiate(a);
	pvf_error err;
	pvf_trap trap;
	uint64_t args[2], res[1];
	float f = 1.5f;
	double d = 2.25, r;
	uint32_t fb, v;

	(void)state;
	args[0] = 40;
	args[1] = 2;
	assert_int_equal(pvf_instance_call(in, "add", args, 2, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 42);
	args[0] = 0xffffffffu;
	args[1] = 1;
	assert_int_equal(pvf_instance_call(in, "add", args, 2, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 0);
	memcpy(&fb, &f, 4);
	args[0] = fb;
	memcpy(&args[1], &d, 8);
	assert_int_equal(pvf_instance_call(in, "addf", args, 2, res, 1, &trap, &err), 0);
	memcpy(&r, &res[0], 8);
	assert_true(r == 3.75);
	assert_int_equal(pvf_instance_call(in, "indirect_ok", NULL, 0, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 7);
	/* wrong arity is a usage error, not a trap */
	assert_int_equal(pvf_instance_call(in, "add", args, 1, res, 1, &trap, &err), -1);
	assert_int_equal(err.code, PVF_E_USAGE);
	assert_int_equal(pvf_instance_call(in, "nope", NULL, 0, res, 0, &trap, &err), -1);

	/* memory: host writes, wasm reads; bounds checked on the host side */
	v = 0xdeadbeef;
	assert_int_equal(pvf_instance_write(in, 100, &v, 4, &err), 0);
	args[0] = 100;
	assert_int_equal(pvf_instance_call(in, "load", args, 1, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 0xdeadbeef);
	assert_int_equal(pvf_instance_memory_size(in), 65536);
	assert_int_equal(pvf_instance_write(in, 65534, &v, 4, &err), -1);
	assert_int_equal(pvf_instance_read(in, UINT64_MAX - 1, &v, 4, &err), -1);
	/* growth respects the module's own maximum (4 pages) */
	args[0] = 3;
	assert_int_equal(pvf_instance_call(in, "grow", args, 1, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 1);
	args[0] = 1;
	assert_int_equal(pvf_instance_call(in, "grow", args, 1, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 0xffffffffu);
	/* the grown pages are readable, the next is not */
	args[0] = 4 * 65536 - 4;
	assert_int_equal(pvf_instance_call(in, "load", args, 1, res, 1, &trap, &err), 0);
	args[0] = 4 * 65536;
	assert_int_equal(pvf_instance_call(in, "load", args, 1, res, 1, &trap, &err), -1);
	assert_int_equal(trap.kind, PVF_TRAP_MEMORY_OOB);
	/* after a trap the instance still works */
	args[0] = 1;
	args[1] = 2;
	assert_int_equal(pvf_instance_call(in, "add", args, 2, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 3);
	pvf_instance_free(in);
	pvf_artifact_close(a);
}

/* Host functions and an imported memory. */
static int host_add(void *ctx, pvf_instance *in, const uint64_t *args, uint64_t *res, pvf_trap *trap)
{
	int *calls = ctx;
	uint32_t v;
	pvf_error err;

	(*calls)++;
	/* the host function sees the caller's memory */
	if (pvf_instance_read(in, 0, &v, 4, &err) < 0)
		return -1;
	res[0] = (uint32_t)args[0] + args[1] + v;
	return 0;
}

static int host_fail(void *ctx, pvf_instance *in, const uint64_t *args, uint64_t *res, pvf_trap *trap)
{
	trap->kind = PVF_TRAP_HOST_ERROR;
	snprintf(trap->msg, sizeof(trap->msg), "host_fail called with %u", (uint32_t)args[0]);
	return -1;
}

static int host_f(void *ctx, pvf_instance *in, const uint64_t *args, uint64_t *res, pvf_trap *trap)
{
	float f;
	double d;
	uint32_t b = (uint32_t)args[0];

	memcpy(&f, &b, 4);
	memcpy(&d, &args[1], 8);
	f = (float)(f * d);
	memcpy(&b, &f, 4);
	res[0] = b;
	return 0;
}

static void test_imports(void **state)
{
	char *path = prepare("imports", NULL, "-O1", 0, 8);
	pvf_artifact *a = open_art(path);
	pvf_instance *in = NULL;
	pvf_binding b[4];
	pvf_error err;
	pvf_trap trap;
	int calls = 0;
	uint64_t args[2], res[1];
	void *mem;
	float f = 3.0f;
	uint32_t fb, v = 1000;

	(void)state;
	assert_int_equal(pvf_artifact_nimports(a), 4);
	assert_string_equal(pvf_artifact_import(a, 1)->params, "iI");
	assert_string_equal(pvf_artifact_import(a, 1)->results, "I");
	mem = pvf_memory_new(2, 8, &err);
	assert_non_null(mem);
	memset(b, 0, sizeof(b));
	b[0].kind = PVF_EXTERN_MEMORY;
	b[0].u.memory = mem;
	b[1].kind = PVF_EXTERN_FUNC;
	b[1].u.func.fn = host_add;
	b[1].u.func.ctx = &calls;
	b[2].kind = PVF_EXTERN_FUNC;
	b[2].u.func.fn = host_fail;
	b[3].kind = PVF_EXTERN_FUNC;
	b[3].u.func.fn = host_f;
	/* a binding of the wrong kind is a link error */
	b[1].kind = PVF_EXTERN_GLOBAL;
	assert_int_equal(pvf_instance_new(a, b, 4, NULL, &in, &trap, &err), -1);
	assert_int_equal(err.code, PVF_E_LINK);
	b[1].kind = PVF_EXTERN_FUNC;
	assert_int_equal(pvf_instance_new(a, b, 3, NULL, &in, &trap, &err), -1);
	assert_int_equal(err.code, PVF_E_LINK);
	if (pvf_instance_new(a, b, 4, NULL, &in, &trap, &err) < 0)
		fail_msg("%s", err.msg);
	assert_ptr_equal(pvf_instance_memory(in), mem);
	assert_int_equal(pvf_instance_write(in, 0, &v, 4, &err), 0);
	args[0] = 5;
	args[1] = 1ull << 40;
	assert_int_equal(pvf_instance_call(in, "call_add", args, 2, res, 1, &trap, &err), 0);
	assert_int_equal(res[0], (1ull << 40) + 1005);
	assert_int_equal(calls, 1);
	assert_int_equal(pvf_instance_call(in, "call_fail", NULL, 0, NULL, 0, &trap, &err), -1);
	assert_int_equal(err.code, PVF_E_TRAP);
	assert_int_equal(trap.kind, PVF_TRAP_HOST_ERROR);
	assert_string_equal(trap.msg, "host_fail called with 5");
	memcpy(&fb, &f, 4);
	args[0] = fb;
	{
		double d = 0.5;
		memcpy(&args[1], &d, 8);
	}
	assert_int_equal(pvf_instance_call(in, "call_f", args, 2, res, 1, &trap, &err), 0);
	fb = (uint32_t)res[0];
	memcpy(&f, &fb, 4);
	assert_true(f == 1.5f);
	/* the imported memory grows up to its own maximum, 8 pages */
	args[0] = 6;
	assert_int_equal(pvf_instance_call(in, "grow", args, 1, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 2);
	args[0] = 1;
	assert_int_equal(pvf_instance_call(in, "grow", args, 1, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 0xffffffffu);
	pvf_instance_free(in);
	pvf_memory_free(mem);
	pvf_artifact_close(a);
	free(path);
}

/* The stack limit is deterministic: the same depth at every optimisation
 * level and with every compiler, and reached before any native stack
 * overflow. */
static void test_depth_deterministic(void **state)
{
	static const char *const ccs[] = { "gcc", "clang", "tcc" };
	static const char *const opts[] = { "-O0", "-Og", "-O1", "-O2" };
	static const char *const fns[] = { "recurse", "recurse_fat" };
	const uint32_t limit = 5000;
	int64_t seen[2] = { -1, -1 };

	(void)state;
	for (size_t c = 0; c < sizeof(ccs) / sizeof(ccs[0]); c++) {
		for (int o = 0; o < 4; o++) {
			char *path = prepare("recursion", ccs[c], opts[o], limit, 0);
			pvf_artifact *a = open_art(path);
			pvf_instance *in = instantiate(a);
			pvf_error err;
			pvf_trap trap;
			uint64_t res[1];

			for (int f = 0; f < 2; f++) {
				for (int rep = 0; rep < 3; rep++) {
					assert_int_equal(pvf_instance_call(in, fns[f], NULL, 0, res, 1, &trap, &err), -1);
					assert_int_equal(trap.kind, PVF_TRAP_STACK_EXHAUSTED);
					assert_int_equal(pvf_instance_call(in, "depth", NULL, 0, res, 1, &trap, &err), 0);
					if (seen[f] < 0)
						seen[f] = (int64_t)res[0];
					if ((int64_t)res[0] != seen[f])
						fail_msg("%s %s %s: depth %u, first run %lld", ccs[c], opts[o], fns[f],
							 (uint32_t)res[0], (long long)seen[f]);
				}
			}
			pvf_instance_free(in);
			pvf_artifact_close(a);
			unlink(path);
			free(path);
		}
	}
	/* The export and the recursion share Polkadot's logical limit: a call
	 * traps when the costs of the calls in progress would exceed it
	 * (engine/stacklimit.c). Costs by the stack limiter's rules
	 * (wasm/stack_cost.c; the height starts at 2): "recurse" and
	 * "recurse_fat" peak at 3 (a constant over the 2) and have no locals:
	 * 3 each. $rec peaks at 4 (global.get, i32.const before the add), no
	 * locals: 4. $fat peaks at 7 (the call's result and four local.gets
	 * before the first i64.add) plus 8 locals: 15. So $rec runs
	 * floor((limit - 3) / 4) times and $fat floor((limit - 3) / 15). */
	assert_int_equal(seen[0], (limit - 3) / 4);
	assert_int_equal(seen[1], (limit - 3) / 15);
}

/* Mappings of this process (lines of /proc/self/maps). */
static int count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

typedef struct kept_runs {
	pvf_instance *in;
	bool keep;
	int maps[6];              /* mappings after each round */
	int trap_kind[6];
	uint64_t depth[6];
	int failed;               /* the round whose call went wrong, or -1 */
} kept_runs;

/* Six rounds of a stack-exhausting call, then a depth query, on a thread
 * of its own (the kept stack is the thread's). */
static void *kept_runs_thread(void *arg)
{
	kept_runs *k = arg;
	pvf_error err;
	pvf_trap trap;
	uint64_t res[1];

	k->failed = -1;
	if (k->keep)
		pvf_engine_keep_run_stack();
	for (int i = 0; i < 6; i++) {
		if (pvf_instance_call(k->in, "recurse", NULL, 0, res, 1, &trap, &err) != -1) {
			k->failed = i;
			break;
		}
		k->trap_kind[i] = trap.kind;
		if (pvf_instance_call(k->in, "depth", NULL, 0, res, 1, &trap, &err) != 0) {
			k->failed = i;
			break;
		}
		k->depth[i] = res[0];
		k->maps[i] = count_mappings();
	}
	return NULL;
}

/* A thread that keeps its run stack maps it once and reuses it, traps and
 * all: the same depth limit every time, and no mapping per run. */
static void test_kept_run_stack(void **state)
{
	const uint32_t limit = 3000;
	char *path = prepare("recursion", "gcc", "-O1", limit, 0);
	pvf_artifact *a = open_art(path);
	pthread_t th;
	(void)state;

	int unkept_maps = 0;

	for (int keep = 0; keep < 2; keep++) {
		kept_runs k = { .in = instantiate(a), .keep = keep };
		assert_int_equal(pthread_create(&th, NULL, kept_runs_thread, &k), 0);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(k.failed, -1);
		for (int i = 0; i < 6; i++) {
			assert_int_equal(k.trap_kind[i], PVF_TRAP_STACK_EXHAUSTED);
			assert_int_equal(k.depth[i], (limit - 3) / 4);   /* costs: test_depth_deterministic */
			/* Kept: the first run's stack (and its guard) stays mapped;
			 * otherwise every run unmaps its own. The thread's own stack
			 * is mapped throughout. */
			assert_int_equal(k.maps[i], k.maps[0]);
		}
		if (keep)
			assert_true(k.maps[0] > unkept_maps);
		else
			unkept_maps = k.maps[0];
		pvf_instance_free(k.in);
	}
	pvf_artifact_close(a);
	unlink(path);
	free(path);
}

/* NaN bits a PVF can observe are the same with gcc, clang and tcc at every
 * level, constant operands included: every float arithmetic result that is
 * a NaN is the canonical NaN (prepare.c), as in Polkadot's executor. */
static void test_nan_bits_deterministic(void **state)
{
	static const char *const ccs[] = { "gcc", "clang", "tcc" };
	static const char *const opts[] = { "-O0", "-Og", "-O1", "-O2" };
	static const struct { const char *fn; bool f64; } fns[] = {
		{ "div00", false }, { "sqrtm1", true }, { "infminf", true }, { "snan_add", false },
		{ "snan_add64", true }, { "negnan_mul", false }, { "zero_inf", false }, { "demote", false },
		{ "min_snan", false }, { "max_snan64", true }, { "ceil_snan", false }, { "nearest_snan64", true },
		{ "promote_snan", true }, { "sqrt_snan", false }, { "loop_nan", true }, { "block_nan32", false },
	};
	enum { NF = sizeof(fns) / sizeof(fns[0]) };
	uint64_t first[NF];

	(void)state;
	for (size_t c = 0; c < sizeof(ccs) / sizeof(ccs[0]); c++) {
		for (int o = 0; o < 4; o++) {
			char *path = prepare("nan_bits", ccs[c], opts[o], 0, 0);
			pvf_artifact *a = open_art(path);
			pvf_instance *in = instantiate(a);
			for (int f = 0; f < NF; f++) {
				pvf_error err;
				pvf_trap trap;
				uint64_t res[1] = { 0 };
				if (pvf_instance_call(in, fns[f].fn, NULL, 0, res, 1, &trap, &err) < 0)
					fail_msg("%s: %s", fns[f].fn, err.msg);
				if (c == 0 && o == 0)
					first[f] = res[0];
				else if (res[0] != first[f])
					fail_msg("%s %s %s: 0x%llx, gcc -O0 gave 0x%llx", ccs[c], opts[o], fns[f].fn,
						 (unsigned long long)res[0], (unsigned long long)first[f]);
			}
			pvf_instance_free(in);
			pvf_artifact_close(a);
			unlink(path);
			free(path);
		}
	}
	/* Every result is the canonical NaN, as in Polkadot's executor. */
	for (int f = 0; f < NF; f++) {
		uint64_t want = fns[f].f64 ? 0x7ff8000000000000ull : 0x7fc00000u;
		if (first[f] != want)
			fail_msg("%s: 0x%llx, not the canonical NaN 0x%llx", fns[f].fn, (unsigned long long)first[f],
				 (unsigned long long)want);
	}
}

/* Memory is capped by the configured page maximum, not only the module's. */
static void test_memory_cap(void **state)
{
	char *path = prepare("membomb", NULL, "-O1", 0, 40);
	pvf_artifact *a = open_art(path);
	pvf_instance *in = instantiate(a);
	pvf_error err;
	pvf_trap trap;
	uint64_t res[1];

	(void)state;
	assert_int_equal(pvf_instance_call(in, "bomb", NULL, 0, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 40);
	pvf_instance_free(in);
	/* a per-instance cap below the module's minimum fails instantiation */
	{
		pvf_instance_opts io = { .max_memory_pages = 0 };
		pvf_instance *in2 = NULL;
		io.max_memory_pages = 20;
		if (pvf_instance_new(a, NULL, 0, &io, &in2, &trap, &err) < 0)
			fail_msg("%s", err.msg);
		assert_int_equal(pvf_instance_call(in2, "bomb", NULL, 0, res, 1, &trap, &err), 0);
		assert_int_equal((uint32_t)res[0], 20);
		pvf_instance_free(in2);
	}
	pvf_artifact_close(a);
	free(path);
}

/* 20,000 instantiate/free cycles in one process: each instance reserves
 * 8 GiB of address space, so a leak would exhaust the 128 TiB user address
 * space after ~16,000 cycles. */
static void test_instance_cycles(void **state)
{
	pvf_artifact *a = open_art(g_traps);
	uint32_t before = pvf__rt_live_memories();

	(void)state;
	for (int i = 0; i < 20000; i++) {
		pvf_instance *in = NULL;
		pvf_error err;
		pvf_trap trap;
		if (pvf_instance_new(a, NULL, 0, NULL, &in, &trap, &err) < 0)
			fail_msg("cycle %d: %s", i, err.msg);
		pvf_instance_free(in);
	}
	assert_int_equal(pvf__rt_live_memories(), before);
	pvf_artifact_close(a);
}

static void corrupt_copy(const char *src, const char *dst, long off, int truncate_to)
{
	size_t len;
	uint8_t *buf = test_read_file(src, &len);
	assert_non_null(buf);
	FILE *f = fopen(dst, "wb");

	if (off >= 0)
		buf[off < 0 ? 0 : (off < (long)len ? off : (long)len - 1)] ^= 0x40;
	if (truncate_to >= 0)
		len = (size_t)truncate_to;
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	free(buf);
}

static void test_artifact_verification(void **state)
{
	char path[600];
	pvf_artifact *a = NULL;
	pvf_artifact_info info;
	pvf_artifact_expect ex = { 0 };
	pvf_error err;
	size_t len;
	uint8_t *buf = test_read_file(g_traps, &len);
	assert_non_null(buf);
	uint8_t wrong[32];
	char *tc = NULL;

	(void)state;
	free(buf);
	snprintf(path, sizeof(path), "%s/bad.art", g_dir);
	assert_int_equal(pvf_artifact_verify(g_traps, NULL, &info, &err), 0);
	assert_int_equal(info.stack_limit, PVF_DEFAULT_STACK_LIMIT);
	assert_true(info.native_stack_bytes > (uint64_t)PVF_DEFAULT_STACK_LIMIT * 16);

	/* the toolchain id this process would use matches the artifact's */
	pvf_prepare_opts o = { .opt_level = "-O1" };
	assert_int_equal(pvf_engine_toolchain_id(&o, &tc, &err), 0);
	assert_string_equal(tc, info.toolchain_id);
	ex.toolchain_id = tc;
	assert_int_equal(pvf_artifact_verify(g_traps, &ex, NULL, &err), 0);
	ex.toolchain_id = "pvfhost 0.0.0; another compiler";
	assert_int_equal(pvf_artifact_verify(g_traps, &ex, NULL, &err), -1);
	assert_int_equal(err.code, PVF_E_ARTIFACT_FOREIGN);
	ex.toolchain_id = NULL;
	memset(wrong, 0xaa, sizeof(wrong));
	ex.code_hash = wrong;
	assert_int_equal(pvf_artifact_open(g_traps, &ex, &a, &err), -1);
	assert_int_equal(err.code, PVF_E_ARTIFACT_CORRUPT);
	ex.code_hash = info.code_hash;
	assert_int_equal(pvf_artifact_verify(g_traps, &ex, NULL, &err), 0);
	pvf_artifact_info_clear(&info);
	free(tc);

	/* a flipped bit anywhere: header, toolchain id, payload */
	static const long offs[] = { 0, 9, 20, 85, 150, 400, -2 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct { long off; } c = { offs[i] };
		long off = c.off == -2 ? (long)len - 10 : c.off;
		corrupt_copy(g_traps, path, off, -1);
		assert_int_equal(pvf_artifact_open(path, NULL, &a, &err), -1);
		if (off == 9)
			assert_true(err.code == PVF_E_ARTIFACT_FOREIGN || err.code == PVF_E_ARTIFACT_CORRUPT);
		else
			assert_int_equal(err.code, PVF_E_ARTIFACT_CORRUPT);
		assert_int_equal(err.cls, PVF_CLASS_POSSIBLY_INVALID);
	}
	/* truncated at several lengths */
	static const int cuts[] = { 0, 7, 100, 300, 5000 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		corrupt_copy(g_traps, path, -1, cuts[i]);
		assert_int_equal(pvf_artifact_open(path, NULL, &a, &err), -1);
		assert_int_equal(err.code, PVF_E_ARTIFACT_CORRUPT);
	}
	/* missing file */
	assert_int_equal(pvf_artifact_open("/nonexistent/x.art", NULL, &a, &err), -1);
	assert_int_equal(err.code, PVF_E_IO);
}

/* Where the analysis moves the test (src/wasm/nanflow.c), the bits are
 * still Polkadot's: arithmetic NaNs canonical, other NaNs unchanged, with
 * an optimising compiler and with tcc (tests/wasm/nan_flow.wat). */
static void test_nan_placement(void **state)
{
	static const char *const ccs[][2] = { { "gcc", "-Og" }, { "gcc", "-O1" }, { "clang", "-O2" }, { "tcc", "-O0" } };
	static const struct {
		const char *fn;
		uint64_t want;
	} cases[] = {
		{ "acc", 0x7ff8000000000000ull },    { "acc_neg", 0xfff8000000000000ull },
		{ "copy", 0x7ff8000000000000ull },   { "tee", 0x7ff8000000000000ull },
		{ "acc32", 0x7fc00000ull },          { "payload", 0x7ff4000000000001ull },
		{ "mixed", 0xffec000000000001ull },  { "block", 0x7ff8000000000000ull },
		{ "stored", 0x7ff8000000000000ull },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(ccs) / sizeof(ccs[0]); c++) {
		char *path = prepare("nan_flow", ccs[c][0], ccs[c][1], 0, 0);
		pvf_artifact *a = open_art(path);
		pvf_instance *in = instantiate(a);
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			pvf_error err;
			pvf_trap trap;
			uint64_t res[1] = { 0 };
			if (pvf_instance_call(in, cases[k].fn, NULL, 0, res, 1, &trap, &err) < 0)
				fail_msg("%s: %s", cases[k].fn, err.msg);
			if (!strcmp(cases[k].fn, "acc32"))
				res[0] &= 0xffffffffull;
			if (res[0] != cases[k].want)
				fail_msg("%s %s %s: 0x%llx, want 0x%llx", ccs[c][0], ccs[c][1], cases[k].fn,
					 (unsigned long long)res[0], (unsigned long long)cases[k].want);
		}
		pvf_instance_free(in);
		pvf_artifact_close(a);
		unlink(path);
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traps),
		cmocka_unit_test(test_calls_and_memory),
		cmocka_unit_test(test_imports),
		cmocka_unit_test(test_memory_cap),
		cmocka_unit_test(test_instance_cycles),
		cmocka_unit_test(test_artifact_verification),
		cmocka_unit_test(test_depth_deterministic),
		cmocka_unit_test(test_kept_run_stack),
		cmocka_unit_test(test_nan_bits_deterministic),
		cmocka_unit_test(test_nan_placement),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
