/*
 * test_split.c — parallel compilation of one module (src/engine/split.c):
 * the splitter on real wasm2c 1.0.32 output (function count, where the
 * shared parts go), its refusal of text it does not recognise, the
 * process runner (concurrency, failures, output), and split artifacts
 * behaving exactly like single-unit ones (trap kinds, call-depth limit).
 *
 * Expected values come from the WebAssembly core specification (trap
 * semantics), from wabt's wasm-objdump (function counts), and from the
 * call-depth rule documented in docs/architecture.md; none from this code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/proc.h"
#include "engine/split.h"
#include "wasm/module.h"
#include "test_util.h"

#define HIDDEN_SP "__attribute__((visibility(\"hidden\"))) "

static char g_dir[] = "/tmp/pvfhost-test-split-XXXXXX";

/* wasm2c output for `wasm_path` (what preparation translates). */
static char *translate(const char *wasm_path, size_t *len)
{
	char out[600];

	snprintf(out, sizeof(out), "%s/m.c", g_dir);
	return test_wasm2c(wasm_path, out, len);
}

static size_t count(const char *hay, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	for (const char *p = hay; (p = memmem(p, len - (size_t)(p - hay), needle, nl)); p += nl)
		n++;
	return n;
}

/* Function definitions in a chunk: hidden, at column 0, with a named
 * instance parameter (prototypes have none). */
static size_t count_defs(const pvf_split_chunk *c)
{
	size_t n = 0;
	const char *p = c->text, *end = c->text + c->len;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t l = e ? (size_t)(e - p) : (size_t)(end - p);
		if (l > 3 && !strncmp(p, HIDDEN_SP, strlen(HIDDEN_SP)) && memmem(p, l, " w2c_", 5) &&
		    memmem(p, l, "(Z_m_instance_t* instance", 25))
			n++;
		p += l + 1;
	}
	return n;
}

/* Function prototypes in a chunk: hidden, at column 0, ending in ");". */
static size_t count_protos(const pvf_split_chunk *c)
{
	size_t n = 0;
	const char *p = c->text, *end = c->text + c->len;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t l = e ? (size_t)(e - p) : (size_t)(end - p);
		if (l > 2 && !strncmp(p, HIDDEN_SP, strlen(HIDDEN_SP)) && !memcmp(p + l - 2, ");", 2) &&
		    memmem(p, l, " w2c_", 5) && !memmem(p, l, "extern", 6))
			n++;
		p += l + 1;
	}
	return n;
}

static uint32_t defined_functions(const char *name)
{
	char path[512];
	uint8_t *wasm;
	size_t len;
	pvf_module *m = NULL;
	pvf_error err;
	uint32_t n;

	snprintf(path, sizeof(path), "%s/%s.wasm", TEST_WASM_DIR, name);
	wasm = test_read_file(path, &len);
	assert_non_null(wasm);
	if (pvf_module_decode(wasm, len, NULL, &m, &err) < 0)
		fail_msg("decode %s: %s", name, err.msg);
	n = m->nfunctions;
	pvf_module_free(m);
	free(wasm);
	return n;
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

/* ---- the splitter ------------------------------------------------------ */

static void check_split(const char *text, size_t len, const pvf_split *s, uint32_t nfuncs)
{
	size_t defs = 0;

	(void)text;
	(void)len;
	assert_int_equal(s->nfuncs, nfuncs);
	for (uint32_t c = 0; c < s->nchunks; c++) {
		const pvf_split_chunk *k = &s->chunk[c];
		size_t d = count_defs(k);

		/* the main chunk holds the initialisers and exports, the others
		 * runs of functions */
		assert_true(c == 0 ? k->nfuncs == 0 : k->nfuncs > 0);
		/* nothing names the chunk's position or the number of chunks */
		assert_int_equal(strncmp(k->text, c == 0 ? "/* pvfhost: the main chunk of the wasm2c output */\n"
							  : "/* pvfhost: a chunk of functions of the wasm2c output */\n",
					 40), 0);
		assert_int_equal(d, k->nfuncs);
		defs += d;
		/* the shared parts: prelude and every prototype in every chunk */
		assert_int_equal(count(k->text, k->len, "#include \"m.h\""), 1);
		assert_int_equal(count(k->text, k->len, "#define FUNC_EPILOGUE"), 2);
		assert_int_equal(count_protos(k), nfuncs);
		if (c == 0) {
			assert_int_equal(count(k->text, k->len, "void Z_m_instantiate("), 1);
			assert_int_equal(count(k->text, k->len, "static void init_func_types(void)"), 1);
			assert_int_equal(count(k->text, k->len, "extern __attribute__((visibility(\"hidden\"))) u32 func_types["), 0);
		} else {
			assert_int_equal(count(k->text, k->len, "Z_m_instantiate"), 0);
			assert_int_equal(count(k->text, k->len, "init_func_types"), 0);
			assert_int_equal(count(k->text, k->len, "extern __attribute__((visibility(\"hidden\"))) u32 func_types["), 1);
		}
	}
	assert_int_equal(defs, nfuncs);
}

static void test_split_traps_module(void **state)
{
	char path[512];
	size_t len;
	char *text;
	pvf_split s;
	pvf_error err;
	uint32_t nfuncs = defined_functions("traps");
	int r;

	(void)state;
	snprintf(path, sizeof(path), "%s/traps.wasm", TEST_WASM_DIR);
	text = translate(path, &len);
	/* wasm-objdump -h traps.wasm: "Function ... count: 16" */
	assert_int_equal(nfuncs, 16);
	/* with a minimum of 1 byte every function is a run of its own */
	assert_int_equal(pvf__split_generated(text, len, 1, &s, &err), 1 + 16);
	assert_int_equal(s.nchunks, 1 + 16);
	check_split(text, len, &s, nfuncs);
	pvf__split_free(&s);
	/* a minimum above half the function text: not split */
	for (size_t min = 2; min < len; min *= 2) {
		r = pvf__split_generated(text, len, min, &s, &err);
		assert_true(r >= 1 && r <= 1 + 16);
		assert_int_equal(s.nchunks, (uint32_t)r);
		if (r > 1)
			check_split(text, len, &s, nfuncs);
		pvf__split_free(&s);
	}
	/* too small for the threshold: not split, not parsed */
	assert_int_equal(pvf__split_generated(text, len, PVF_SPLIT_MIN_CHUNK_BYTES, &s, &err), 1);
	assert_int_equal(s.nchunks, 1);
	assert_int_equal(pvf__split_generated("garbage", 7, PVF_SPLIT_MIN_CHUNK_BYTES, &s, &err), 1);
	free(text);
}

static void expect_unexpected(const char *text, size_t len)
{
	pvf_split s;
	pvf_error err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(pvf__split_generated(text, len, 1, &s, &err), -1);
	assert_int_equal(err.code, PVF_E_TOOL);
	if (strncmp(err.msg, "unexpected wasm2c output", 24) != 0)
		fail_msg("message: %s", err.msg);
}

static char *replace_first(const char *text, size_t len, const char *from, const char *to, size_t *ret_len)
{
	const char *p = memmem(text, len, from, strlen(from));
	size_t fl = strlen(from), tl = strlen(to), at;
	char *out;

	assert_non_null(p);
	at = (size_t)(p - text);
	out = malloc(len - fl + tl + 1);
	assert_non_null(out);
	memcpy(out, text, at);
	memcpy(out + at, to, tl);
	memcpy(out + at + tl, p + fl, len - at - fl);
	*ret_len = len - fl + tl;
	out[*ret_len] = '\0';
	return out;
}

static void test_split_rejects_unknown_structure(void **state)
{
	char path[512];
	size_t len, l2;
	char *text, *t;

	(void)state;
	snprintf(path, sizeof(path), "%s/traps.wasm", TEST_WASM_DIR);
	text = translate(path, &len);

	/* no func_types table means no functions: compiled whole, not split */
	t = replace_first(text, len, "static u32 func_types[", "static u32 func_typez[", &l2);
	{
		pvf_split s;
		pvf_error err;
		assert_int_equal(pvf__split_generated(t, l2, 1, &s, &err), 1);
		assert_int_equal(s.nchunks, 1);
	}
	free(t);
	/* a prototype that is not one */
	t = replace_first(text, len, "static u32 w2c_add(Z_m_instance_t*, u32, u32);", "static u32 w2c_add(u32, u32);", &l2);
	expect_unexpected(t, l2);
	free(t);
	/* something unknown among the initialisers */
	t = replace_first(text, len, "static void init_memories(", "static int surprise;\nstatic void init_memories(",
			  &l2);
	expect_unexpected(t, l2);
	free(t);
	/* a definition out of prototype order: the first one renamed */
	t = replace_first(text, len, "static u32 w2c_add(Z_m_instance_t* instance", "static u32 w2c_sub(Z_m_instance_t* instance",
			  &l2);
	expect_unexpected(t, l2);
	free(t);
	/* a function whose body has a closing brace at column 0 early */
	t = replace_first(text, len, "  FUNC_PROLOGUE;\n", "  FUNC_PROLOGUE;\n}\n", &l2);
	expect_unexpected(t, l2);
	free(t);
	/* every truncation: an error value or a split, never a crash (the
	 * sanitizer build runs this) */
	for (size_t cut = 0; cut < len; cut += 13) {
		pvf_split s;
		pvf_error err;
		int r = pvf__split_generated(text, cut, 1, &s, &err);
		if (r < 0)
			assert_int_equal(err.code, PVF_E_TOOL);
		else
			pvf__split_free(&s);
	}
	free(text);
}

/* Splits a corpus runtime; nfuncs and nexports from wasm-objdump -h. */
static void split_corpus_blob(const char *corpus, const char *name, uint32_t nfuncs, uint32_t nexports)
{
	char blob[700], wasm[700], cmd[1600];
	size_t len, total;
	char *text;
	pvf_split s;
	pvf_error err;
	int k;

	snprintf(blob, sizeof(blob), "%s/pvf/%s.compressed.wasm", corpus, name);
	/* maybe-compressed blob: 8-byte prefix, then zstd */
	snprintf(wasm, sizeof(wasm), "%s/%s.wasm", g_dir, name);
	snprintf(cmd, sizeof(cmd), "tail -c +9 '%s' | zstd -q -d -f -o '%s'", blob, wasm);
	test_sh(cmd);
	text = translate(wasm, &len);
	k = pvf__split_generated(text, len, PVF_SPLIT_MIN_CHUNK_BYTES, &s, &err);
	/* megabytes of C: many chunks */
	if (k < 10)
		fail_msg("%s: %d chunks: %s", name, k, err.msg);
	check_split(text, len, &s, nfuncs);
	/* exports stay in the main chunk */
	assert_int_equal(count(s.chunk[0].text, s.chunk[0].len, "/* export: '"), nexports);
	total = 0;
	for (int c = 1; c < k; c++) {
		assert_int_equal(count(s.chunk[c].text, s.chunk[c].len, "/* export: '"), 0);
		/* a run ends once it reaches the maximum, with a function smaller
		 * than the minimum (a bigger one is a run of its own) */
		assert_true(s.chunk[c].nfuncs == 1 ||
			    s.chunk[c].body_bytes < (size_t)(PVF_SPLIT_MAX_FACTOR + 1) * PVF_SPLIT_MIN_CHUNK_BYTES);
		total += s.chunk[c].body_bytes;
	}
	fprintf(stderr, "# %s: %d chunks, %zu bytes of function text\n", name, k, total);
	/* One function body changed (a comment added after its prologue):
	 * the chunks around it may change, all others keep their exact text,
	 * which is what lets the chunk cache reuse their objects. */
	{
		const char *mark = "  FUNC_PROLOGUE;\n";
		const char *p = text;
		size_t l2, same = 0;
		char *t2;
		pvf_split s2;

		for (uint32_t i = 0; i < nfuncs / 2 && p; i++)
			p = strstr(p + 1, mark);
		assert_non_null(p);
		t2 = malloc(len + 32);
		assert_non_null(t2);
		memcpy(t2, text, (size_t)(p - text));
		l2 = (size_t)(p - text);
		memcpy(t2 + l2, "  FUNC_PROLOGUE; /* x */\n", 25);
		l2 += 25;
		memcpy(t2 + l2, p + strlen(mark), len - (size_t)(p - text) - strlen(mark));
		l2 += len - (size_t)(p - text) - strlen(mark);
		t2[l2] = '\0';
		int k2 = pvf__split_generated(t2, l2, PVF_SPLIT_MIN_CHUNK_BYTES, &s2, &err);
		assert_true(k2 >= k - 1 && k2 <= k + 1);
		for (int c = 0; c < k2; c++)
			for (int d = 0; d < k; d++)
				if (s2.chunk[c].len == s.chunk[d].len && !memcmp(s2.chunk[c].text, s.chunk[d].text, s.chunk[d].len)) {
					same++;
					break;
				}
		fprintf(stderr, "# %s: one function changed: %zu of %d chunks unchanged\n", name, same, k2);
		assert_true(same + 2 >= (size_t)k2 && same < (size_t)k2);
		pvf__split_free(&s2);
		free(t2);
	}
	pvf__split_free(&s);
	free(text);
	unlink(wasm);
}

static void test_split_corpus_runtimes(void **state)
{
	const char *corpus = test_corpus_dir();

	(void)state;
	if (!corpus)
		skip();
	/* wasm-objdump -h: "Function ... count: 850", "Export ... count: 17" */
	split_corpus_blob(corpus, "cumulus-shell", 850, 17);
	/* wasm-objdump -h: "Function ... count: 2298", "Export ... count: 41";
	 * its definitions include parameter lists wasm2c wraps over lines */
	split_corpus_blob(corpus, "polkadot-coretime", 2298, 41);
}

/* A function with nine parameters: wasm2c 1.0.32 wraps its definition's
 * parameter list after the eighth ("u32 w2c_p7, \n    u32 w2c_p8) {"). */
static void test_split_wrapped_header(void **state)
{
	/* WebAssembly binary format 1.0 (spec section 5): type (i32 x 9) -> (),
	 * two functions of that type with empty bodies. */
	static const uint8_t wasm[] = {
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x0d, 0x01, 0x60, 0x09, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x00,
		0x03, 0x03, 0x02, 0x00, 0x00,
		0x0a, 0x07, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b,
	};
	char path[600];
	size_t len;
	char *text;
	pvf_split s;
	pvf_error err;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/nine.wasm", g_dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(wasm, 1, sizeof(wasm), f), sizeof(wasm));
	assert_int_equal(fclose(f), 0);
	text = translate(path, &len);
	assert_non_null(strstr(text, "u32 w2c_p7, \n    u32 w2c_p8) {"));
	assert_int_equal(pvf__split_generated(text, len, 1, &s, &err), 3);
	check_split(text, len, &s, 2);
	pvf__split_free(&s);
	free(text);
}

/* ---- the process runner ------------------------------------------------ */

/* The text of `path` ("" when it does not exist), malloc'd. */
static char *log_text(const char *path)
{
	size_t len;
	char *t = (char *)test_read_file(path, &len);

	return t ? t : strdup("");
}

static void test_run_parallel(void **state)
{
	char log[600], meet_cmd[2200], step_cmd[1400], mark3[800], mark4[800];
	char *sleep_ok[] = { (char *)"sh", (char *)"-c", (char *)"sleep 0.4", NULL };
	char *meet[] = { (char *)"sh", (char *)"-c", meet_cmd, NULL };
	char *step[] = { (char *)"sh", (char *)"-c", step_cmd, NULL };
	char *slow[] = { (char *)"sh", (char *)"-c", (char *)"sleep 1", NULL };
	char *bad[] = { (char *)"sh", (char *)"-c", (char *)"echo broken-unit; exit 3", NULL };
	char *third[] = { (char *)"sh", (char *)"-c", mark3, NULL };
	char *fourth[] = { (char *)"sh", (char *)"-c", mark4, NULL };
	char *missing[] = { (char *)"/nonexistent/pvfhost-no-such-tool", NULL };
	char *const *const sleepers[] = { sleep_ok, sleep_ok };
	char *const *const meeting[] = { meet, meet };
	char *const *const steps[] = { step, step };
	char *const *const failing[] = { slow, bad, third, fourth };
	char *const *const absent[] = { missing };
	pvf_stage_stats st;
	pvf_error err;
	char *t;

	(void)state;
	snprintf(log, sizeof(log), "%s/run-log", g_dir);
	/* Each unit writes "s" to the log when it starts and "e" when it ends.
	 * A meeting unit ends only once two units have started (it gives up
	 * after 60 s), so both end only if they run at the same time. */
	snprintf(meet_cmd, sizeof(meet_cmd),
		 "echo s >> '%s'; i=0; until [ \"$(grep -c s '%s')\" -ge 2 ]; do "
		 "i=$((i+1)); [ $i -lt 6000 ] || exit 9; sleep 0.01; done; echo e >> '%s'",
		 log, log, log);
	snprintf(step_cmd, sizeof(step_cmd), "echo s >> '%s'; sleep 0.05; echo e >> '%s'", log, log);
	snprintf(mark3, sizeof(mark3), "echo 3 >> '%s'", log);
	snprintf(mark4, sizeof(mark4), "echo 4 >> '%s'", log);

	/* two slots: the units run at once */
	unlink(log);
	assert_int_equal(pvf__run_parallel(meeting, 2, NULL, 2, "meeting", &st, &err), 0);
	t = log_text(log);
	assert_string_equal(t, "s\ns\ne\ne\n");
	free(t);
	/* one slot: one after the other */
	unlink(log);
	assert_int_equal(pvf__run_parallel(steps, 2, NULL, 1, "step", &st, &err), 0);
	t = log_text(log);
	assert_string_equal(t, "s\ne\ns\ne\n");
	free(t);
	/* wall time is the whole run's; CPU time the children's */
	memset(&st, 0, sizeof(st));
	assert_int_equal(pvf__run_parallel(sleepers, 2, NULL, 2, "sleeper", &st, &err), 0);
	assert_true(st.wall_s >= 0.39);
	assert_true(st.cpu_s < st.wall_s);
	memset(&st, 0, sizeof(st));
	assert_int_equal(pvf__run_parallel(sleepers, 2, NULL, 1, "sleeper", &st, &err), 0);
	assert_true(st.wall_s >= 0.79);
	/* a failure is reported with its output; nothing starts after it
	 * (the first unit is still running when the second fails) */
	unlink(log);
	assert_int_equal(pvf__run_parallel(failing, 4, NULL, 2, "the C compiler", &st, &err), -1);
	assert_int_equal(err.code, PVF_E_COMPILE);
	assert_non_null(strstr(err.msg, "the C compiler failed (exit 3)"));
	assert_non_null(strstr(err.msg, "broken-unit"));
	t = log_text(log);
	assert_string_equal(t, "");
	free(t);
	/* a tool that cannot be started is a host failure */
	memset(&st, 0, sizeof(st));
	assert_int_equal(pvf__run_parallel(absent, 1, NULL, 2, "the C compiler", &st, &err), -1);
	assert_int_equal(err.code, PVF_E_TOOL);
	assert_int_equal(pvf__split_jobs(3), 3);
	assert_int_equal(pvf__split_jobs(1000), PVF_SPLIT_MAX_CHUNKS);
	assert_true(pvf__split_jobs(0) >= 1);
}

/* ---- split artifacts behave like single-unit ones ---------------------- */

/* Files in `dir` named prefix...suffix. */
static int count_files(const char *dir, const char *prefix, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), sl = strlen(suffix);
		if (!strncmp(de->d_name, prefix, strlen(prefix)) && l > sl && !strcmp(de->d_name + l - sl, suffix))
			n++;
	}
	closedir(d);
	return n;
}

static char *prepare_split(const char *name, const char *cc, uint32_t jobs, uint32_t depth, const char *keep_dir)
{
	char path[512];
	static int seq;
	uint8_t *wasm;
	size_t len;
	pvf_module *m = NULL;
	pvf_error err;
	pvf_prepare_opts o = { 0 };
	char *out = malloc(512);

	snprintf(path, sizeof(path), "%s/%s.wasm", TEST_WASM_DIR, name);
	wasm = test_read_file(path, &len);
	assert_non_null(wasm);
	if (pvf_module_decode(wasm, len, NULL, &m, &err) < 0)
		fail_msg("decode %s: %s", name, err.msg);
	o.cc = cc;
	o.opt_level = "-O1";
	o.stack_limit = depth;
	o.jobs = jobs;
	o.work_dir = keep_dir;
	o.keep_work_dir = keep_dir != NULL;
	snprintf(out, 512, "%s/%s-%d.art", g_dir, name, seq++);
	pvf__split_min_chunk_bytes = 1;   /* split even these small modules */
	if (pvf_engine_prepare(wasm, len, m, &o, out, NULL, &err) < 0)
		fail_msg("prepare %s: %s", name, err.msg);
	pvf__split_min_chunk_bytes = PVF_SPLIT_MIN_CHUNK_BYTES;
	pvf_module_free(m);
	free(wasm);
	return out;
}

static pvf_instance *open_instance(const char *path, pvf_artifact **a)
{
	pvf_instance *in = NULL;
	pvf_error err;
	pvf_trap trap;

	if (pvf_artifact_open(path, NULL, a, &err) < 0)
		fail_msg("open %s: %s", path, err.msg);
	if (pvf_instance_new(*a, NULL, 0, NULL, &in, &trap, &err) < 0)
		fail_msg("instantiate: %s", err.msg);
	return in;
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

static void test_split_artifact_traps(void **state)
{
	char kept[600], f[700];
	pvf_artifact *a;
	pvf_instance *in;
	pvf_error err;
	pvf_trap trap;
	uint64_t args[2], res[1];
	char *path;
	struct stat st;

	(void)state;
	snprintf(kept, sizeof(kept), "%s/work-kept", g_dir);
	path = prepare_split("traps", NULL, 3, 0, kept);
	/* the main chunk and one per function were compiled, and the
	 * module was not also compiled whole */
	assert_int_equal(count_files(kept, "c", ".o"), 1 + 16);
	snprintf(f, sizeof(f), "%s/m.o", kept);
	assert_int_equal(stat(f, &st), -1);
	in = open_instance(path, &a);
	/* WebAssembly core spec 1.0, section 4.4 (numeric instructions, table
	 * and memory access, call_indirect): each of these traps; the trap
	 * kinds follow the spec test suite's messages ("unreachable",
	 * "integer divide by zero", "integer overflow", "invalid conversion to
	 * integer", "out of bounds memory access", "undefined element",
	 * "uninitialized element", "indirect call type mismatch"). */
	expect_trap(in, "unreachable", 0, PVF_TRAP_UNREACHABLE);
	expect_trap(in, "div_by_zero", 1, PVF_TRAP_DIV_BY_ZERO);
	expect_trap(in, "int_overflow", 1, PVF_TRAP_INT_OVERFLOW);
	expect_trap(in, "invalid_conversion", 1, PVF_TRAP_INVALID_CONVERSION);
	expect_trap(in, "memory_oob", 1, PVF_TRAP_MEMORY_OOB);
	expect_trap(in, "memory_oob_far", 1, PVF_TRAP_MEMORY_OOB);
	expect_trap(in, "table_oob", 1, PVF_TRAP_TABLE_OOB);
	expect_trap(in, "indirect_null", 1, PVF_TRAP_INDIRECT_NULL);
	expect_trap(in, "indirect_mismatch", 1, PVF_TRAP_INDIRECT_MISMATCH);
	/* i32.add wraps modulo 2^32 (spec 4.3.2, iadd) */
	args[0] = 40;
	args[1] = 2;
	assert_int_equal(pvf_instance_call(in, "add", args, 2, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 42);
	args[0] = 0xffffffffu;
	args[1] = 1;
	assert_int_equal(pvf_instance_call(in, "add", args, 2, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 0);
	/* table element 0 returns 7 (traps.wat's elem segment) */
	assert_int_equal(pvf_instance_call(in, "indirect_ok", NULL, 0, res, 1, &trap, &err), 0);
	assert_int_equal((uint32_t)res[0], 7);
	pvf_instance_free(in);
	pvf_artifact_close(a);
	free(path);

	/* without keep_work_dir the work directory and every chunk file go */
	snprintf(kept, sizeof(kept), "%s/work-removed", g_dir);
	{
		uint8_t *wasm;
		size_t len;
		pvf_module *m = NULL;
		pvf_prepare_opts o = { .opt_level = "-O0", .jobs = 4, .work_dir = kept };
		char in_path[512], out[600];

		snprintf(in_path, sizeof(in_path), "%s/traps.wasm", TEST_WASM_DIR);
		snprintf(out, sizeof(out), "%s/removed.art", g_dir);
		wasm = test_read_file(in_path, &len);
		assert_non_null(wasm);
		assert_int_equal(pvf_module_decode(wasm, len, NULL, &m, &err), 0);
		pvf__split_min_chunk_bytes = 1;
		assert_int_equal(pvf_engine_prepare(wasm, len, m, &o, out, NULL, &err), 0);
		pvf__split_min_chunk_bytes = PVF_SPLIT_MIN_CHUNK_BYTES;
		assert_int_equal(stat(kept, &st), -1);
		pvf_module_free(m);
		free(wasm);
	}
}

/* The stack limit does not depend on the split: every wasm function in its
 * own unit, gcc, clang and tcc. Expected depth: the logical costs of
 * recursion.wat (worked out in test_engine.c's test_depth_deterministic):
 * exports 3, $rec 4, $fat 15, so the recursions run floor((limit - 3) / 4)
 * and floor((limit - 3) / 15) times. */
static void test_split_depth_limit(void **state)
{
	static const char *const ccs[] = { "gcc", "clang", "tcc" };
	static const char *const fns[] = { "recurse", "recurse_fat" };
	const uint32_t limit = 5000;

	(void)state;
	/* wasm-objdump -h recursion.wasm: "Function ... count: 5" */
	assert_int_equal(defined_functions("recursion"), 5);
	for (size_t c = 0; c < sizeof(ccs) / sizeof(ccs[0]); c++) {
		char *path = prepare_split("recursion", ccs[c], 5, limit, NULL);
		pvf_artifact *a;
		pvf_instance *in = open_instance(path, &a);
		pvf_error err;
		pvf_trap trap;
		uint64_t res[1];

		for (int f = 0; f < 2; f++) {
			for (int rep = 0; rep < 2; rep++) {
				assert_int_equal(pvf_instance_call(in, fns[f], NULL, 0, res, 1, &trap, &err), -1);
				assert_int_equal(trap.kind, PVF_TRAP_STACK_EXHAUSTED);
				assert_int_equal(pvf_instance_call(in, "depth", NULL, 0, res, 1, &trap, &err), 0);
				if ((uint32_t)res[0] != (limit - 3) / (f == 0 ? 4 : 15))
					fail_msg("%s %s: depth %u", ccs[c], fns[f], (uint32_t)res[0]);
			}
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
		cmocka_unit_test(test_split_traps_module),
		cmocka_unit_test(test_split_rejects_unknown_structure),
		cmocka_unit_test(test_split_corpus_runtimes),
		cmocka_unit_test(test_split_wrapped_header),
		cmocka_unit_test(test_run_parallel),
		cmocka_unit_test(test_split_artifact_traps),
		cmocka_unit_test(test_split_depth_limit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
