/*
 * test_chunk_cache.c — the compiled-chunk cache (src/engine/chunk_cache.c)
 * through pvf_engine_prepare: a second preparation of the same module
 * takes every chunk from the cache and writes the same artifact bytes; a
 * changed function recompiles only its chunk; a corrupt entry is a miss
 * and is replaced; an unwritable cache does not fail a preparation;
 * pruning by size and age.
 *
 * The module is tests/wasm/traps.wat (16 functions), split with a 1-byte
 * minimum so that every function is a chunk of its own (17 chunks with the
 * main one, plus the glue unit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/artifact_format.h"
#include "engine/engine.h"
#include "engine/split.h"
#include "wasm/module.h"

#define UNITS (1u + 1u + 16u)   /* glue + main chunk + one per function */

static char g_dir[] = "/tmp/pvfhost-test-chunkcache-XXXXXX";
static char g_cache[600];

/* The whole file (the engine's reader), or NULL. */
static uint8_t *read_all(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	pvf_error err;

	return pvf__read_file(path, (size_t)1 << 30, &buf, len, &err) < 0 ? NULL : buf;
}

/* Prepares `wasm` with the cache; returns the stats, the artifact at `out`. */
static pvf_prepare_stats prepare(const uint8_t *wasm, size_t len, const char *cache, const char *out)
{
	pvf_module *m = NULL;
	pvf_prepare_opts o = { .opt_level = "-O1", .jobs = 2, .chunk_cache_dir = cache };
	pvf_prepare_stats st;
	pvf_error err;

	memset(&st, 0, sizeof(st));
	if (pvf_module_decode(wasm, len, NULL, &m, &err) < 0)
		fail_msg("decode: %s", err.msg);
	pvf__split_min_chunk_bytes = 1;
	if (pvf_engine_prepare(wasm, len, m, &o, out, &st, &err) < 0)
		fail_msg("prepare: %s", err.msg);
	pvf__split_min_chunk_bytes = PVF_SPLIT_MIN_CHUNK_BYTES;
	pvf_module_free(m);
	return st;
}

static void assert_same_file(const char *a, const char *b)
{
	size_t la, lb;
	uint8_t *x = read_all(a, &la), *y = read_all(b, &lb);

	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(la, lb);
	assert_memory_equal(x, y, la);
	free(x);
	free(y);
}

static int count_entries(const char *dir, char *first, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 6 && !strcmp(de->d_name + l - 6, ".chunk")) {
			if (first && n == 0)
				snprintf(first, cap, "%s/%s", dir, de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static void test_reuse_and_identical_bytes(void **state)
{
	char path[600], a1[600], a2[600], a3[600], entry[900];
	uint8_t *wasm;
	size_t len;
	pvf_prepare_stats st;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/traps.wasm", TEST_WASM_DIR);
	wasm = read_all(path, &len);
	assert_non_null(wasm);
	snprintf(a1, sizeof(a1), "%s/one.art", g_dir);
	snprintf(a2, sizeof(a2), "%s/two.art", g_dir);
	snprintf(a3, sizeof(a3), "%s/three.art", g_dir);

	/* cold: everything compiled, every chunk (not the glue) stored */
	st = prepare(wasm, len, g_cache, a1);
	assert_int_equal(st.units, UNITS);
	assert_int_equal(st.units_cached, 0);
	assert_int_equal(count_entries(g_cache, NULL, 0), UNITS - 1);
	/* warm: every chunk from the cache, the same artifact bytes */
	st = prepare(wasm, len, g_cache, a2);
	assert_int_equal(st.units, UNITS);
	assert_int_equal(st.units_cached, UNITS - 1);
	assert_same_file(a1, a2);

	/* a corrupt entry (one byte of its object flipped) is a miss: the
	 * chunk is compiled again and the entry replaced */
	assert_int_equal(count_entries(g_cache, entry, sizeof(entry)), UNITS - 1);
	f = fopen(entry, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 100, SEEK_SET), 0);
	{
		int c = fgetc(f);
		assert_int_equal(fseek(f, 100, SEEK_SET), 0);
		fputc(c ^ 0x55, f);
	}
	assert_int_equal(fclose(f), 0);
	st = prepare(wasm, len, g_cache, a3);
	assert_int_equal(st.units_cached, UNITS - 2);
	assert_same_file(a1, a3);
	st = prepare(wasm, len, g_cache, a3);
	assert_int_equal(st.units_cached, UNITS - 1);
	free(wasm);
}

static void test_changed_function_recompiles_its_chunk(void **state)
{
	/* traps.wat's "add" is i32.add of its two parameters; the variant's
	 * is i32.sub: one function body differs. */
	char path[600], wat[600], w2[600], cmd[4000], a[600];
	uint8_t *wasm;
	size_t len;
	pvf_prepare_stats st;

	(void)state;
	snprintf(path, sizeof(path), "%s/traps.wasm", TEST_WASM_DIR);
	snprintf(wat, sizeof(wat), "%s/variant.wat", g_dir);
	snprintf(w2, sizeof(w2), "%s/variant.wasm", g_dir);
	snprintf(cmd, sizeof(cmd),
		 "wasm2wat '%s' | sed '0,/i32.add/s//i32.sub/' > '%s' && grep -q i32.sub '%s' && wat2wasm '%s' -o '%s'",
		 path, wat, wat, wat, w2);
	assert_int_equal(system(cmd), 0);
	wasm = read_all(w2, &len);
	assert_non_null(wasm);
	snprintf(a, sizeof(a), "%s/variant.art", g_dir);
	/* the other test filled the cache with the original's chunks; the
	 * round trip through wasm2wat keeps the others' text */
	st = prepare(wasm, len, g_cache, a);
	assert_int_equal(st.units, UNITS);
	assert_int_equal(st.units_cached, UNITS - 2);
	free(wasm);
}

static void test_unwritable_cache_does_not_fail(void **state)
{
	char path[600], file[600], a[600];
	uint8_t *wasm;
	size_t len;
	pvf_prepare_stats st;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/traps.wasm", TEST_WASM_DIR);
	wasm = read_all(path, &len);
	/* the cache path is a regular file: nothing can be stored there */
	snprintf(file, sizeof(file), "%s/not-a-dir", g_dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(a, sizeof(a), "%s/nocache.art", g_dir);
	st = prepare(wasm, len, file, a);
	assert_int_equal(st.units_cached, 0);
	assert_int_equal(st.units, UNITS);
	free(wasm);
}

static void test_prune(void **state)
{
	pvf_chunk_cache_stats st;
	pvf_error err;
	char missing[700];
	int n = count_entries(g_cache, NULL, 0);

	(void)state;
	assert_true(n >= (int)UNITS - 1);
	/* no limits: nothing removed, everything counted */
	assert_int_equal(pvf_chunk_cache_prune(g_cache, 0, 0, &st, &err), 0);
	assert_int_equal(st.entries, (uint64_t)n);
	assert_int_equal(st.removed, 0);
	assert_true(st.bytes > 0);
	/* a cap of half the size removes the least recently used until it fits */
	{
		uint64_t half = st.bytes / 2;
		assert_int_equal(pvf_chunk_cache_prune(g_cache, half, 0, &st, &err), 0);
		assert_true(st.removed > 0);
		assert_true(st.bytes <= half);
		assert_int_equal(st.entries + st.removed, (uint64_t)n);
		assert_int_equal(count_entries(g_cache, NULL, 0), (int)st.entries);
	}
	/* a cap of 1 byte empties it */
	assert_int_equal(pvf_chunk_cache_prune(g_cache, 1, 0, &st, &err), 0);
	assert_int_equal(st.entries, 0);
	assert_int_equal(count_entries(g_cache, NULL, 0), 0);
	/* a missing directory is an empty cache */
	snprintf(missing, sizeof(missing), "%s/missing", g_dir);
	assert_int_equal(pvf_chunk_cache_prune(missing, 1, 0, &st, &err), 0);
	assert_int_equal(st.entries, 0);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(g_dir))
		return -1;
	snprintf(g_cache, sizeof(g_cache), "%s/chunks", g_dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuse_and_identical_bytes),
		cmocka_unit_test(test_changed_function_recompiles_its_chunk),
		cmocka_unit_test(test_unwritable_cache_does_not_fail),
		cmocka_unit_test(test_prune),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
