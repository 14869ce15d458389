/*
 * test_translate.c — translation in several wasm2c processes at once
 * (src/engine/translate.c): the partial modules keep exactly their share of
 * the bodies, and the stitched text is byte for byte what one wasm2c
 * process writes for the whole module, on the test modules, on every
 * module of the spec suite with enough functions, and on the real
 * runtimes. The reference is wasm2c itself run on the whole module.
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

#include "engine/engine.h"
#include "engine/proc.h"
#include "engine/toolchain.h"
#include "engine/translate.h"
#include "wasm/module.h"
#include "test_util.h"

static char g_dir[] = "/tmp/pvfhost-test-translate-XXXXXX";
static pvf_toolchain g_tc;
static unsigned g_whole;   /* comparisons where the parts were not used */

static bool same_file(const char *a, const char *b)
{
	size_t la, lb;
	uint8_t *x = test_read_file(a, &la), *y = test_read_file(b, &lb);
	bool same = x && y && la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

/* The entries of `dir`, sorted and joined by spaces. */
static void dir_listing(const char *dir, char *out, size_t cap)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	size_t used = 0;

	out[0] = '\0';
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s%s", used ? " " : "",
						 ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	assert_true(used < cap);
}

/* Translates `wasm` in one process and in each of `parts` processes, and
 * checks the texts are the same. When the parts were not used (the
 * outputs did not fit together, e.g. names the splitter does not read),
 * the text must still be the same: g_whole counts those. Returns false
 * (checking nothing) when wasm2c refuses the module or it has fewer than
 * 2 x parts functions. */
static bool compare(const char *what, const uint8_t *wasm, size_t len, const uint32_t *parts, int nparts)
{
	pvf_decode_opts o = { .features = PVF_FEATURES_ALL };
	pvf_module *m;
	pvf_error err;
	char ref[600], dir[600], a[700], b[700], why[200];
	pvf_stage_stats st = { 0 };
	uint32_t used;

	if (pvf_module_decode(wasm, len, &o, &m, &err) < 0)
		return false;
	for (int i = 0; i < nparts; i++)
		if (m->nfunctions < 2 * parts[i]) {
			pvf_module_free(m);
			return false;
		}
	char cmd[1400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/ref' '%s'/par*", g_dir, g_dir);
	test_sh(cmd);
	snprintf(ref, sizeof(ref), "%s/ref", g_dir);
	assert_int_equal(mkdir(ref, 0700), 0);
	if (pvf__translate(&g_tc, wasm, len, m, ref, 1, &st, &used, NULL, 0, &err) < 0) {
		pvf_module_free(m);
		return false;   /* wasm2c 1.0.32 does not take every module the decoder does */
	}
	assert_int_equal(used, 1);
	for (int i = 0; i < nparts; i++) {
		snprintf(dir, sizeof(dir), "%s/par%u", g_dir, parts[i]);
		assert_int_equal(mkdir(dir, 0700), 0);
		why[0] = '\0';
		if (pvf__translate(&g_tc, wasm, len, m, dir, parts[i], &st, &used, why, sizeof(why), &err) < 0)
			fail_msg("%s, %u parts: %s", what, parts[i], err.msg);
		if (used != parts[i]) {
			assert_int_equal(used, 1);
			fprintf(stderr, "# %s, %u parts: translated whole (%s)\n", what, parts[i], why);
			g_whole++;
		}
		/* The parts' files are gone: they are as large as the module's
		 * whole translation, once per part. */
		char listing[200];
		dir_listing(dir, listing, sizeof(listing));
		if (strcmp(listing, "m.c m.h m.wasm"))
			fail_msg("%s, %u parts: the directory holds \"%s\"", what, parts[i], listing);
		snprintf(a, sizeof(a), "%s/m.c", ref);
		snprintf(b, sizeof(b), "%s/m.c", dir);
		if (!same_file(a, b))
			fail_msg("%s, %u parts: m.c differs from one process's", what, parts[i]);
		snprintf(a, sizeof(a), "%s/m.h", ref);
		snprintf(b, sizeof(b), "%s/m.h", dir);
		if (!same_file(a, b))
			fail_msg("%s, %u parts: m.h differs from one process's", what, parts[i]);
	}
	pvf_module_free(m);
	return true;
}

/* The partial module decodes, keeps the bodies of its share byte for byte,
 * and has `unreachable` for every other body. */
static void test_partial_module(void **state)
{
	char path[600];
	size_t len, plen;
	uint8_t *wasm, *part;
	pvf_decode_opts o = { .features = PVF_FEATURES_ALL };
	pvf_module *m, *pm;
	pvf_error err;
	(void)state;

	snprintf(path, sizeof(path), "%s/traps.wasm", TEST_WASM_DIR);
	wasm = test_read_file(path, &len);
	assert_non_null(wasm);
	assert_int_equal(pvf_module_decode(wasm, len, &o, &m, &err), 0);
	assert_true(m->nfunctions >= 4);
	assert_int_equal(pvf__translate_partial_module(wasm, len, m, 1, 3, &part, &plen, &err), 0);
	if (pvf_module_decode(part, plen, &o, &pm, &err) < 0)
		fail_msg("partial module: %s", err.msg);
	assert_int_equal(pm->nfunctions, m->nfunctions);
	assert_int_equal(pm->nexports, m->nexports);
	for (uint32_t i = 0; i < m->nfunctions; i++) {
		const pvf_function *f = &m->functions[i], *g = &pm->functions[i];
		static const uint8_t stub[] = { 0x00, 0x00, 0x0b };
		assert_int_equal(g->type, f->type);
		if (i >= 1 && i < 3) {
			assert_int_equal(g->body_size, f->body_size);
			assert_memory_equal(part + g->body_offset, wasm + f->body_offset, f->body_size);
		} else {
			assert_int_equal(g->body_size, sizeof(stub));
			assert_memory_equal(part + g->body_offset, stub, sizeof(stub));
		}
	}
	pvf_module_free(pm);
	pvf_module_free(m);
	free(part);
	free(wasm);
}

/* Every test module with enough functions, in 2 and 3 processes. */
static void test_same_text_test_modules(void **state)
{
	static const uint32_t parts[] = { 2, 3 };
	DIR *d = opendir(TEST_WASM_DIR);
	struct dirent *e;
	unsigned n = 0;
	(void)state;

	assert_non_null(d);
	pvf__translate_min_code = 0;
	while ((e = readdir(d))) {
		char path[600];
		size_t len, l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".wasm") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", TEST_WASM_DIR, e->d_name);
		uint8_t *wasm = test_read_file(path, &len);
		assert_non_null(wasm);
		n += compare(e->d_name, wasm, len, parts, 2);
		free(wasm);
	}
	closedir(d);
	pvf__translate_min_code = PVF_TRANSLATE_PARALLEL_MIN_CODE;
	fprintf(stderr, "# %u test modules compared, %u times translated whole\n", n, g_whole);
	assert_true(n >= 5);
	assert_int_equal(g_whole, 0);
}

/* Every module of the spec suite (wast2json) with at least 6 functions
 * (about 60 of 2,500), in 2 and 3 processes (3: shares of unequal size). */
static void test_same_text_spec_modules(void **state)
{
	static const uint32_t parts[] = { 2, 3 };
	const char *corpus = test_corpus_dir();
	char cmd[4200], dir[1200];
	DIR *d;
	struct dirent *e;
	unsigned n = 0, files = 0;
	(void)state;

	g_whole = 0;
	if (!corpus) {
		skip();
		return;
	}
	snprintf(dir, sizeof(dir), "%s/json", g_dir);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s' && cd '%s' && for f in '%s'/spec-testsuite/*.wast; do "
		 "b=$(basename \"$f\" .wast); wast2json --enable-all \"$f\" -o \"$b.json\" >/dev/null 2>&1 || true; done",
		 dir, dir, corpus);
	test_sh(cmd);
	pvf__translate_min_code = 0;
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[1500];
		size_t len, l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".wasm") != 0)
			continue;
		files++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		uint8_t *wasm = test_read_file(path, &len);
		assert_non_null(wasm);
		pvf_decode_opts o = { .features = PVF_FEATURES_ALL };
		pvf_module *m;
		pvf_error err;
		if (pvf_module_decode(wasm, len, &o, &m, &err) == 0) {
			bool big = m->nfunctions >= 6;
			pvf_module_free(m);
			if (big)
				n += compare(e->d_name, wasm, len, parts, 2);
		}
		free(wasm);
	}
	closedir(d);
	pvf__translate_min_code = PVF_TRANSLATE_PARALLEL_MIN_CODE;
	fprintf(stderr, "# %u of %u spec modules compared, %u translated whole\n", n, files, g_whole);
	assert_true(n >= 50);
	assert_true(g_whole * 20 <= n);   /* the exception */
}

/* The real runtimes, at the default threshold, in 2 processes. */
static void test_same_text_runtimes(void **state)
{
	static const uint32_t parts[] = { 2 };
	static const char *const names[] = { "cumulus-shell", "polkadot-coretime" };
	const char *corpus = test_corpus_dir();
	(void)state;

	if (!corpus) {
		skip();
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char cmd[2400], wasm_path[700];
		size_t len;
		snprintf(wasm_path, sizeof(wasm_path), "%s/%s.wasm", g_dir, names[i]);
		snprintf(cmd, sizeof(cmd), "tail -c +9 '%s/pvf/%s.compressed.wasm' | zstd -q -d -f -o '%s'", corpus,
			 names[i], wasm_path);
		test_sh(cmd);
		uint8_t *wasm = test_read_file(wasm_path, &len);
		assert_non_null(wasm);
		g_whole = 0;
		assert_true(compare(names[i], wasm, len, parts, 1));
		assert_int_equal(g_whole, 0);
		free(wasm);
		unlink(wasm_path);
	}
}

static int setup(void **state)
{
	pvf_prepare_opts o = { 0 };
	pvf_error err;
	(void)state;

	if (!mkdtemp(g_dir))
		return -1;
	if (pvf__toolchain_init(&g_tc, &o, &err) < 0) {
		fprintf(stderr, "toolchain: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];
	(void)state;

	pvf__toolchain_clear(&g_tc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_module),
		cmocka_unit_test(test_same_text_test_modules),
		cmocka_unit_test(test_same_text_spec_modules),
		cmocka_unit_test(test_same_text_runtimes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
