/*
 * test_pvf_real.c — real PVFs of the shared corpus, byte-exact (suite 'pvf').
 *
 * The tests are driven by what the corpus holds, so that more PVFs and
 * vectors of the same form are checked as they are added. Each PVF is
 * compiled once per run, when first needed, then:
 *   - every case of every vectors/STEM.json file (an array of cases: name,
 *     params_hex, expect "ok" with expected_result_hex, or "trap" with an
 *     optional expect_log_contains) runs on each PVF the case names
 *     ("pvfs"), or on pvf/STEM.compressed.wasm (or pvf/STEM.wasm) for
 *     vectors/STEM.json. "ok" must give exactly the expected bytes (the
 *     adder's 11 good cases); "trap" must trap, with the given text in a
 *     line the runtime logged (the Cumulus negative vector: "Invalid
 *     parachain block data"). The adder's bad block must also carry its
 *     panic message in the trap (corpus README: it logs "panicked at
 *     'Executes block: StateMismatch'" at level error, target "runtime",
 *     then traps);
 *   - every pvf/NAME.wasm prepares, and each that exports Core_version answers
 *     the SCALE RuntimeVersion of its `runtime_version` custom section with
 *     its apis (always empty in the section) replaced by the `runtime_apis`
 *     section, which is what sc-executor's read_embedded_version
 *     reconstructs; the host function runtime_version agrees (plus
 *     system_version 0 for Core API < 4);
 *   - Metadata_metadata, where exported, runs to completion and the output
 *     is SCALE OpaqueMetadata (Vec<u8>, exactly consumed) starting with
 *     "meta". Coretime's reads storage (ext_storage_get_version_1, a
 *     `parameter_types!` storage constant with a default): a runtime call
 *     gets an empty storage state, as a Substrate node's call against an
 *     empty state would.
 *
 * The corpus is read in place from $PVFHOST_CORPUS or
 * $PVFHOST_SOURCE_ROOT/../shared/corpus; without it the test is skipped
 * (exit 77), unless CI=true, where that is a failure. The compiler
 * optimisation level is $PVFHOST_TEST_OPT (default -O0: on this machine gcc
 * -O0 compiles the shell runtime in 29 s and Coretime in 90 s, against 50 s
 * and several minutes at -O1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/scale.h"
#include "engine/artifact_format.h"
#include "hostapi/functions.h"
#include "json.h"
#include "worker/code.h"
#include "worker/job_execute.h"

static char g_corpus[1024];
static char g_dir[] = "/tmp/pvfhost-test-pvfreal-XXXXXX";
static const char *g_opt = "-O0";

/* The corpus PVFs: every pvf/NAME.wasm, plus any other path a vector names (each pvf/NAME.wasm),
 * each prepared once, when a test first needs it. A blob that cannot be
 * prepared fails the tests that need it with the reason; the others run. */
typedef struct corpus_pvf {
	char rel[300];
	char art[1200];
	char err[600];
	int state;          /* 0 not yet prepared, 1 prepared, -1 failed (err) */
} corpus_pvf;

#define MAX_BLOBS 64
static corpus_pvf g_blobs[MAX_BLOBS];
static size_t g_nblobs;

/* The whole file, NUL-terminated, or NULL (the caller reports it). */
static char *slurp(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	size_t n;
	pvf_error err;

	if (pvf__read_file(path, (size_t)1 << 30, &buf, &n, &err) < 0)
		return NULL;
	if (len)
		*len = n;
	return (char *)buf;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The sorted names in corpus directory `sub` ending in `suffix`; *ret_n of
 * them (free each and the array). */
static char **list_dir(const char *sub, const char *suffix, size_t *ret_n)
{
	char path[1200];
	struct dirent **ents = NULL;
	char **names;
	size_t k = 0;
	int n;

	snprintf(path, sizeof(path), "%s/%s", g_corpus, sub);
	n = scandir(path, &ents, NULL, alphasort);
	*ret_n = 0;
	if (n < 0)
		return NULL;
	names = calloc((size_t)n + 1, sizeof(*names));
	assert_non_null(names);
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' && ends_with(ents[i]->d_name, suffix))
			names[k++] = strdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	*ret_n = k;
	return names;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static corpus_pvf *blob_entry(const char *rel)
{
	for (size_t i = 0; i < g_nblobs; i++)
		if (!strcmp(g_blobs[i].rel, rel))
			return &g_blobs[i];
	if (g_nblobs == MAX_BLOBS)
		fail_msg("more than %d corpus PVFs", MAX_BLOBS);
	corpus_pvf *b = &g_blobs[g_nblobs];
	snprintf(b->rel, sizeof(b->rel), "%s", rel);
	snprintf(b->art, sizeof(b->art), "%s/%zu.art", g_dir, g_nblobs);
	g_nblobs++;
	return b;
}

/* The artifact of corpus file `rel`, prepared on first use; fails the
 * current test if it cannot be prepared. */
static const char *artifact(const char *rel)
{
	corpus_pvf *b = blob_entry(rel);
	char path[1200];
	pvf_code *c = NULL;
	pvf_error err;
	pvf_prepare_opts po = { 0 };
	double t0 = now_s();

	if (b->state == 0) {
		po.opt_level = g_opt;
		po.cc = getenv("PVFHOST_TEST_CC") && *getenv("PVFHOST_TEST_CC") ? getenv("PVFHOST_TEST_CC") : NULL;
		snprintf(path, sizeof(path), "%s/%s", g_corpus, rel);
		if (pvf_code_load_file(path, NULL, &c, &err) < 0 || pvf_code_prepare(c, &po, b->art, NULL, &err) < 0) {
			fprintf(stderr, "prepare %s: %s\n", rel, err.msg);
			snprintf(b->err, sizeof(b->err), "prepare %s: %.400s", rel, err.msg);
			b->state = -1;
		} else {
			fprintf(stderr, "# prepared %s with %s in %.1f s\n", rel, g_opt, now_s() - t0);
			b->state = 1;
		}
		pvf_code_free(c);
	}
	if (b->state < 0)
		fail_msg("%s", b->err);
	return b->art;
}

static bool exports(const char *rel, const char *name)
{
	char path[1200];
	pvf_code *c = NULL;
	pvf_error err;
	bool r;

	snprintf(path, sizeof(path), "%s/%s", g_corpus, rel);
	if (pvf_code_load_file(path, NULL, &c, &err) < 0)
		fail_msg("%s: %s", rel, err.msg);
	r = pvf_module_find_export(c->module, name) != NULL;
	pvf_code_free(c);
	return r;
}

static uint8_t *unhex_alloc(const char *hex, size_t *n)
{
	uint8_t *b = NULL;
	pvf_error err;

	if (pvf_hex_decode_alloc(hex, strlen(hex), &b, n, &err) < 0)
		fail_msg("bad hex: %s", err.msg);
	return b;
}

/* Every log line of a call, "LEVEL target: message\n" each. */
typedef struct logbuf {
	char *text;
	size_t len;
} logbuf;

static void log_line(void *user, uint32_t level, const char *target, size_t target_len, const char *message,
		     size_t message_len)
{
	logbuf *l = user;
	size_t add = target_len + message_len + 32;
	char *t = realloc(l->text, l->len + add + 1);

	assert_non_null(t);
	l->text = t;
	l->len += (size_t)snprintf(t + l->len, add + 1, "%s %.*s: %.*s\n", pvf_runtime_log_level_name(level),
				   (int)target_len, target, (int)message_len, message);
}

static int exec_logged(const char *art, const char *export, const uint8_t *in, size_t len, pvf_exec_result *res,
		       logbuf *log, pvf_error *err)
{
	pvf_exec_request rq = { 0 };
	double t0 = now_s();
	int r;

	rq.input = in;
	rq.input_len = len;
	rq.export_name = export;
	if (log) {
		rq.log_sink = log_line;
		rq.log_user = log;
	}
	r = pvf_job_execute(art, &rq, res, err);
	fprintf(stderr, "# %s: %s in %.3f s\n", export ? export : "validate_block", r == 0 ? "ok" : err->msg,
		now_s() - t0);
	return r;
}

static int exec(const char *art, const char *export, const uint8_t *in, size_t len, pvf_exec_result *res,
		pvf_error *err)
{
	return exec_logged(art, export, in, len, res, NULL, err);
}

/* Lowercase hex without a 0x prefix, in place. */
static char *norm_hex(char *h)
{
	char *s = h;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		memmove(s, s + 2, strlen(s + 2) + 1);
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	return h;
}

/* One case of a vectors file on one PVF: "expect": "ok" gives exactly
 * expected_result_hex; "trap" traps, with expect_log_contains (if given) in
 * a line the runtime logged. The adder's bad block also carries its panic
 * message in the trap (corpus README). Returns 1 for ok, 0 for trap. */
static int run_case(const char *file, const pvf_json *c, const char *rel)
{
	const char *name = pvf__json_get_str(c, "name", NULL);
	const char *params = pvf__json_get_str(c, "params_hex", NULL);
	const char *expect = pvf__json_get_str(c, "expect", NULL);
	const char *want = pvf__json_get_str(c, "expected_result_hex", NULL);
	const char *log_part = pvf__json_get_str(c, "expect_log_contains", NULL);
	const char *art = artifact(rel);
	pvf_exec_result res;
	pvf_error err;
	logbuf log = { NULL, 0 };
	uint8_t *in;
	size_t n;
	int r;

	if (!name || !params || !expect)
		fail_msg("%s: a case without name, params_hex or expect", file);
	in = unhex_alloc(params, &n);
	fprintf(stderr, "# %s %s on %s\n", file, name, rel);
	r = exec_logged(art, NULL, in, n, &res, &log, &err);
	if (!strcmp(expect, "ok")) {
		char *got = NULL, *w;
		if (!want)
			fail_msg("%s %s: expect ok without expected_result_hex", file, name);
		if (r < 0)
			fail_msg("%s %s on %s: %s", file, name, rel, err.msg);
		assert_int_equal(pvf_hex_encode_alloc(res.output, res.output_len, &got, &err), 0);
		w = norm_hex(strdup(want));
		if (strcmp(norm_hex(got), w) != 0)
			fail_msg("%s %s on %s: got %s, want %s", file, name, rel, got, w);
		free(w);
		free(got);
		r = 1;
	} else if (!strcmp(expect, "trap")) {
		if (r == 0)
			fail_msg("%s %s on %s: returned where a trap is expected", file, name, rel);
		if (err.code != PVF_E_TRAP)
			fail_msg("%s %s on %s: %s, not a trap", file, name, rel, err.msg);
		if (log_part && !(log.text && strstr(log.text, log_part)))
			fail_msg("%s %s on %s: no log line contains \"%s\"; logged:\n%s", file, name, rel, log_part,
				 log.text ? log.text : "(nothing)");
		if (ends_with(rel, "/adder.compressed.wasm")) {
			assert_int_equal(res.trap.kind, PVF_TRAP_UNREACHABLE);
			if (!strstr(res.trap.msg, "panicked at 'Executes block: StateMismatch'"))
				fail_msg("%s: trap message without the panic: %s", name, res.trap.msg);
		}
		r = 0;
	} else {
		fail_msg("%s %s: unknown expect \"%s\"", file, name, expect);
	}
	pvf_exec_result_free(&res);
	free(log.text);
	free(in);
	return r;
}

/* Every case of every vectors/STEM.json on the PVFs it names ("pvfs"), or on
 * pvf/STEM.compressed.wasm or pvf/STEM.wasm for vectors/STEM.json. */
static void test_vectors(void **state)
{
	size_t nfiles, ncases = 0, nok = 0, ntrap = 0;
	char **files = list_dir("vectors", ".json", &nfiles);

	(void)state;
	if (nfiles == 0)
		fail_msg("no vectors/*.json in %s", g_corpus);
	for (size_t f = 0; f < nfiles; f++) {
		char path[1600], dflt[400], stem[300];
		size_t len = 0;
		pvf_json *root = NULL;
		pvf_error err;
		char *text;
		struct stat st;

		snprintf(path, sizeof(path), "%s/vectors/%s", g_corpus, files[f]);
		text = slurp(path, &len);
		if (!text)
			fail_msg("cannot read %s", path);
		if (pvf__json_parse(text, len, &root, &err) < 0)
			fail_msg("%s: %s", files[f], err.msg);
		if (root->kind != PVF_JSON_ARRAY || root->len == 0)
			fail_msg("%s: not a non-empty array of cases", files[f]);
		snprintf(stem, sizeof(stem), "%.*s", (int)(strlen(files[f]) - 5), files[f]);
		snprintf(dflt, sizeof(dflt), "pvf/%s.compressed.wasm", stem);
		snprintf(path, sizeof(path), "%s/%s", g_corpus, dflt);
		if (stat(path, &st) < 0)
			snprintf(dflt, sizeof(dflt), "pvf/%s.wasm", stem);
		for (size_t i = 0; i < root->len; i++) {
			const pvf_json *c = root->items[i], *pvfs = pvf__json_get_array(c, "pvfs");
			size_t np = pvfs ? pvfs->len : 1;

			if (c->kind != PVF_JSON_OBJECT || (pvfs && np == 0))
				fail_msg("%s: case %zu is not an object with PVFs", files[f], i);
			for (size_t k = 0; k < np; k++) {
				const char *rel = pvfs ? pvfs->items[k]->str : dflt;
				if (pvfs && pvfs->items[k]->kind != PVF_JSON_STRING)
					fail_msg("%s: case %zu: pvfs holds a non-string", files[f], i);
				if (run_case(files[f], c, rel))
					nok++;
				else
					ntrap++;
				ncases++;
			}
		}
		pvf__json_free(root);
		free(text);
	}
	fprintf(stderr, "# vectors: %zu files, %zu runs: %zu results, %zu traps\n", nfiles, ncases, nok, ntrap);
	free_names(files, nfiles);
}

/* The runtime_version custom section of a corpus blob with its (empty)
 * apis replaced by the runtime_apis section, as sc-executor's
 * read_embedded_version does; *ret_core = the Core API version. */
static uint8_t *embedded_version(const char *rel, size_t *ret_len, uint32_t *ret_core)
{
	char path[1200];
	pvf_code *c = NULL;
	pvf_error err;
	const pvf_custom_section *vs, *as;
	pvf_scale_reader r;
	const uint8_t *p;
	size_t n, at, rest;
	uint32_t u;
	uint8_t *b, comp[PVF_SCALE_COMPACT_MAX_LEN];
	size_t cn;

	snprintf(path, sizeof(path), "%s/%s", g_corpus, rel);
	if (pvf_code_load_file(path, NULL, &c, &err) < 0)
		fail_msg("%s: %s", rel, err.msg);
	vs = pvf_module_find_custom(c->module, "runtime_version");
	as = pvf_module_find_custom(c->module, "runtime_apis");
	assert_non_null(vs);
	assert_non_null(as);
	assert_int_equal(as->size % 12, 0);
	pvf_scale_reader_init(&r, c->wasm + vs->offset, vs->size, PVF_E_MALFORMED, "RuntimeVersion");
	assert_int_equal(pvf_scale_read_vec_u8(&r, &p, &n, &err), 0); /* spec_name */
	assert_int_equal(pvf_scale_read_vec_u8(&r, &p, &n, &err), 0); /* impl_name */
	for (int i = 0; i < 3; i++)
		assert_int_equal(pvf_scale_read_u32(&r, &u, &err), 0);
	at = r.pos;
	assert_int_equal(pvf_scale_read_vec_len(&r, 12, 100000, &n, &err), 0);
	assert_int_equal(n, 0); /* the section's apis are always empty */
	rest = vs->size - r.pos;
	cn = pvf_scale_compact_encode(as->size / 12, comp);
	b = malloc(vs->size + cn + as->size);
	memcpy(b, c->wasm + vs->offset, at);
	memcpy(b + at, comp, cn);
	memcpy(b + at + cn, c->wasm + as->offset, as->size);
	memcpy(b + at + cn + as->size, c->wasm + vs->offset + r.pos, rest);
	*ret_len = at + cn + as->size + rest;
	*ret_core = 0;
	for (size_t i = 0; i < as->size / 12; i++) {
		/* blake2_64("Core") = df6acb689907609b (sp-api) */
		const uint8_t *e = c->wasm + as->offset + 12 * i;
		if (!memcmp(e, "\xdf\x6a\xcb\x68\x99\x07\x60\x9b", 8))
			*ret_core = (uint32_t)e[8] | (uint32_t)e[9] << 8 | (uint32_t)e[10] << 16 | (uint32_t)e[11] << 24;
	}
	pvf_code_free(c);
	return b;
}

/* Core_version of every corpus PVF that exports it: the embedded version
 * (see embedded_version), and the host function runtime_version agrees. */
static void check_core_version(const char *rel)
{
	pvf_exec_result res;
	pvf_error err;
	size_t slen, blen = 0, hlen;
	uint32_t core;
	uint8_t *sec = embedded_version(rel, &slen, &core), *blob, *host = NULL;
	char path[1600];

	if (exec(artifact(rel), "Core_version", NULL, 0, &res, &err) < 0)
		fail_msg("%s: Core_version: %s", rel, err.msg);
	if (res.output_len != slen || memcmp(res.output, sec, slen) != 0) {
		char *a = NULL, *b = NULL;
		pvf_hex_encode_alloc(res.output, res.output_len, &a, NULL);
		pvf_hex_encode_alloc(sec, slen, &b, NULL);
		fail_msg("%s: Core_version %s\n  differs from the embedded version %s", rel, a, b);
	}
	/* The host function ext_misc_runtime_version reads the same version
	 * from the blob and re-encodes every field of today's RuntimeVersion:
	 * a runtime whose Core API is older than 4 gets system_version 0
	 * appended (sp-version decode_with_version_hint + derived Encode). */
	snprintf(path, sizeof(path), "%s/%s", g_corpus, rel);
	blob = (uint8_t *)slurp(path, &blen);
	assert_non_null(blob);
	assert_int_equal(pvf__runtime_version_read(blob, blen, &host, &hlen, &err), 1);
	fprintf(stderr, "# %s: Core API version %u, version %zu bytes, host function %zu bytes\n", rel, core,
		res.output_len, hlen);
	assert_true(core >= 3);
	assert_int_equal(hlen, res.output_len + (core < 4 ? 1 : 0));
	assert_memory_equal(host, res.output, res.output_len);
	if (core < 4)
		assert_int_equal(host[hlen - 1], 0);
	free(host);
	free(blob);
	free(sec);
	pvf_exec_result_free(&res);
}

/* Metadata_metadata runs to completion; the output is SCALE OpaqueMetadata
 * (Vec<u8>, exactly consumed) starting with "meta". */
static void check_metadata(const char *rel)
{
	pvf_exec_result res;
	pvf_error err;
	pvf_scale_reader r;
	const uint8_t *meta;
	size_t n;

	if (exec(artifact(rel), "Metadata_metadata", NULL, 0, &res, &err) < 0)
		fail_msg("%s: Metadata_metadata: %s", rel, err.msg);
	pvf_scale_reader_init(&r, res.output, res.output_len, PVF_E_BAD_RESULT, "OpaqueMetadata");
	assert_int_equal(pvf_scale_read_vec_u8(&r, &meta, &n, &err), 0);
	assert_int_equal(pvf_scale_expect_end(&r, &err), 0);
	assert_true(n > 4);
	assert_memory_equal(meta, "meta", 4); /* 0x6d657461 */
	fprintf(stderr, "# %s: metadata %zu bytes, version %u\n", rel, n, meta[4]);
	pvf_exec_result_free(&res);
}

/* Every pvf/NAME.wasm: prepared; the runtime APIs of those that export them
 * (the Cumulus runtimes; the adder exports validate_block only). */
static void test_runtime_apis(void **state)
{
	size_t n, nruntimes = 0;
	char **names = list_dir("pvf", ".wasm", &n);

	(void)state;
	if (n == 0)
		fail_msg("no pvf/*.wasm in %s", g_corpus);
	for (size_t i = 0; i < n; i++) {
		char rel[300];
		snprintf(rel, sizeof(rel), "pvf/%s", names[i]);
		(void)artifact(rel);
		if (exports(rel, "Core_version")) {
			check_core_version(rel);
			nruntimes++;
		}
		if (exports(rel, "Metadata_metadata"))
			check_metadata(rel);
	}
	fprintf(stderr, "# %zu PVFs, %zu with Core_version\n", n, nruntimes);
	free_names(names, n);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(g_dir) ? 0 : -1;
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
	const char *env = getenv("PVFHOST_CORPUS"), *root = getenv("PVFHOST_SOURCE_ROOT");
	const char *ci = getenv("CI"), *opt = getenv("PVFHOST_TEST_OPT");
	struct stat st;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_runtime_apis),
	};

	if (env && env[0])
		snprintf(g_corpus, sizeof(g_corpus), "%s", env);
	else
		snprintf(g_corpus, sizeof(g_corpus), "%s/../shared/corpus", root ? root : ".");
	if (opt && opt[0])
		g_opt = opt;
	if (stat(g_corpus, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (ci && !strcmp(ci, "true")) {
			fprintf(stderr, "corpus not found at %s (CI=true: failing)\n", g_corpus);
			return 1;
		}
		fprintf(stderr, "corpus not found at %s: skipped\n", g_corpus);
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
