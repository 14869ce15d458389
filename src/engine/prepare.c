/*
 * prepare.c — the preparation pipeline: wasm bytes -> artifact file.
 *
 *   1. translate   wasm2c --no-debug-names -n m m.wasm -o m.c   (child process;
 *                  for a big module several at once on partial modules,
 *                  their outputs stitched into the same text: translate.c)
 *   2. patch       m.c: precise trap kinds for tables and call_indirect,
 *                  NaN canonicalisation (nancanon.c, placed by the
 *                  module's analysis, wasm/nanflow.c), memory accesses
 *                  through a base pointer (membase.c)
 *   3. glue        glue.c written from the decoded module (glue.c)
 *   4. split       m.c cut into chunks at function boundaries when it
 *                  is big enough (split.c), each written as c<key>.c
 *                  where the key hashes everything the compiler sees
 *                  (chunk_cache.c); otherwise m.c stays one unit
 *   5. compile     cc -c for glue.c and every unit, with -fstack-usage
 *                  (tcc: the frames are read from its objects, frames.c),
 *                  at most `jobs` compiler processes at once, biggest
 *                  first (children); with a chunk cache, a chunk whose
 *                  key is cached is fetched instead, and the chunks
 *                  compiled are added to the cache afterwards
 *   6. link        cc -shared <chunks>.o glue.o -o m.so            (child)
 *                  (gcc and clang: without start files, libgcc static)
 *   7. stack bound the largest frames per unit of logical cost of a
 *                  wasm function (.su files) x the logical stack
 *                  limit, plus four of the largest frames
 *   8. store       m.so checked against what the artifact loader accepts
 *                  (elf_load.c, rt_symbols.c), then header + m.so written
 *                  atomically (artifact.c)
 *
 * Everything happens in a scratch directory that is removed at the end.
 * The stages' wall time, CPU time and peak RSS (of the children) are
 * reported in pvf_prepare_stats; for the compile stage wall is the real
 * elapsed time, cpu the sum over the compiler processes, rss the largest.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "engine/artifact_format.h"
#include "engine/chunk_cache.h"
#include "engine/elf_load.h"
#include "engine/frames.h"
#include "engine/glue.h"
#include "engine/glue_abi.h"
#include "engine/membase.h"
#include "engine/nancanon.h"
#include "engine/proc.h"
#include "engine/split.h"
#include "engine/stacklimit.h"
#include "engine/rt_config.h"
#include "engine/rt_symbols.h"
#include "engine/toolchain.h"
#include "engine/translate.h"
#include "wasm/stack_cost.h"

/* Stack needed beyond the wasm frames: trampolines, glue thunks, host
 * functions and the C library they call. */
#define PVF_HOST_STACK_RESERVE (8u << 20)
/* Per-call overhead not in a .su frame size (return address, alignment). */
#define PVF_FRAME_SLACK 64u
#define PVF_GENERATED_C_MAX (1ull << 32)

static const char *const work_files[] = {
	"m.wasm", "m.c", "m.h", "glue.c", "m.o", "glue.o", "m.su", "glue.su", "m.so", PVF_TCC_COMPAT_HEADER, NULL,
};
/* Per-chunk files <stem>.c, .o, .su of a split compilation. */
static const char *const chunk_suffixes[] = { "c", "o", "su", NULL };

/* One compilation unit: the glue, a chunk, or the whole module. */
typedef struct unit {
	char stem[PVF_CHUNK_NAME_LEN > 8 ? PVF_CHUNK_NAME_LEN : 8];
	char src[PVF_CHUNK_NAME_LEN + 4], obj[PVF_CHUNK_NAME_LEN + 4];
	uint8_t key[PVF_CHUNK_KEY_LEN];
	size_t bytes;        /* C text, for the compile order */
	bool chunk;          /* a chunk of a split module (cacheable) */
	bool cached;         /* object fetched from the chunk cache */
	const char *argv[PVF_MAX_CFLAGS + 16];
} unit;

/* Replaces every occurrence of `from` by `to` within [start, end) of *buf. */
static int replace_all(char **buf, size_t *len, size_t start, size_t *end, const char *from, const char *to,
		       pvf_error *err)
{
	size_t fl = strlen(from), tl = strlen(to), count = 0;
	char *p, *out, *w;

	for (p = *buf + start; (p = memmem(p, (size_t)(*buf + *end - p), from, fl)); p += fl)
		count++;
	if (!count)
		return 0;
	out = malloc(*len + count * (tl > fl ? tl - fl : 0) + 1);
	if (!out)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory patching generated code");
	w = out;
	memcpy(w, *buf, start);
	w += start;
	for (p = *buf + start;;) {
		char *q = memmem(p, (size_t)(*buf + *end - p), from, fl);
		if (!q)
			break;
		memcpy(w, p, (size_t)(q - p));
		w += q - p;
		memcpy(w, to, tl);
		w += tl;
		p = q + fl;
	}
	size_t new_end = (size_t)(w - out) + (size_t)(*buf + *end - p);
	memcpy(w, p, *len - (size_t)(p - *buf));
	w += *len - (size_t)(p - *buf);
	*w = '\0';
	free(*buf);
	*buf = out;
	*len = (size_t)(w - out);
	*end = new_end;
	return 0;
}

static int insert_at(char **buf, size_t *len, size_t at, const char *text, pvf_error *err)
{
	size_t tl = strlen(text);
	char *out = malloc(*len + tl + 1);

	if (!out)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory patching generated code");
	memcpy(out, *buf, at);
	memcpy(out + at, text, tl);
	memcpy(out + at + tl, *buf + at, *len - at + 1);
	free(*buf);
	*buf = out;
	*len += tl;
	return 0;
}

static const char call_indirect_patch[] =
	"/* pvfhost: precise trap kinds for tables and indirect calls */\n"
	"#define WASM_RT_TRAP_TABLE_OOB ((wasm_rt_trap_t)64)\n"
	"#define WASM_RT_TRAP_INDIRECT_NULL ((wasm_rt_trap_t)65)\n"
	"#define WASM_RT_TRAP_INDIRECT_MISMATCH ((wasm_rt_trap_t)66)\n"
	"#undef CALL_INDIRECT\n"
	"#define CALL_INDIRECT(table, t, ft, x, ...) \\\n"
	"  ((LIKELY((x) < table.size) || TRAP(TABLE_OOB)), \\\n"
	"   (LIKELY(table.data[x].func != NULL) || TRAP(INDIRECT_NULL)), \\\n"
	"   (LIKELY(table.data[x].func_type == func_types[ft]) || TRAP(INDIRECT_MISMATCH)), \\\n"
	"   ((t)table.data[x].func)(__VA_ARGS__))\n"
	"/* pvfhost: element segments holding imported functions must carry the\n"
	" * imported module's instance pointer (wasm2c 1.0.32 passes the address of\n"
	" * the field that holds it). Import offsets are tagged, then dereferenced. */\n"
	"#define PVF_IMPORT_OFFSET ((size_t)1 << 62)\n"
	"#define PVF_ELEM_INSTANCE(inst, off) (((off) & PVF_IMPORT_OFFSET) \\\n"
	"  ? *(void **)((char *)(inst) + ((off) & ~PVF_IMPORT_OFFSET)) \\\n"
	"  : (void *)((char *)(inst) + (off)))\n\n";

/* wasm2c 1.0.32 reports every table bounds failure and every call_indirect
 * failure with one code each; the spec distinguishes them. The prelude of
 * the generated file is fixed for a wabt version (which the toolchain id
 * pins), so the patch anchors on its text and fails loudly if absent. */
static int patch_generated(const char *path, bool tcc, const pvf_nanflow *nf, const uint32_t *costs,
			   uint32_t nfuncs, char ***ret_names, pvf_prepare_stats *stats, char **ret_buf, size_t *ret_len,
			   pvf_error *err)
{
	static const char anchor_ci[] = "#define RANGE_CHECK(mem, offset, len)";
	static const char anchor_t0[] = "static inline void funcref_table_init(";
	static const char anchor_t1[] = "DEFINE_TABLE_FILL(externref)";
	uint8_t *raw;
	char *buf, *a, *b;
	size_t len, start, end;
	int r;

	if (pvf__read_file(path, PVF_GENERATED_C_MAX, &raw, &len, err) < 0)
		return -1;
	buf = (char *)raw;
	buf[len] = '\0';
	a = strstr(buf, anchor_ci);
	if (!a) {
		free(buf);
		return pvf_error_set(err, PVF_E_TOOL, "unexpected wasm2c output: no RANGE_CHECK definition");
	}
	r = insert_at(&buf, &len, (size_t)(a - buf), call_indirect_patch, err);
	if (r < 0)
		goto out;
	a = strstr(buf, anchor_t0);
	b = a ? strstr(a, anchor_t1) : NULL;
	if (!a || !b) {
		r = pvf_error_set(err, PVF_E_TOOL, "unexpected wasm2c output: table helpers not found");
		goto out;
	}
	start = (size_t)(a - buf);
	end = (size_t)(b - buf);
	r = replace_all(&buf, &len, start, &end, "TRAP(OOB)", "TRAP(TABLE_OOB)", err);
	if (r < 0)
		goto out;
	{
		static const char elem_from[] = "(char*)module_instance + src_expr->module_offset}";
		a = strstr(buf, elem_from);
		if (!a || strstr(a + 1, elem_from)) {
			r = pvf_error_set(err, PVF_E_TOOL, "unexpected wasm2c output: element initialiser not found");
			goto out;
		}
		size_t at = (size_t)(a - buf);
		end = len;
		r = replace_all(&buf, &len, at, &end, elem_from,
				"PVF_ELEM_INSTANCE(module_instance, src_expr->module_offset)}", err);
		if (r < 0)
			goto out;
		/* Only element segments of imported functions use offsetof. */
		end = len;
		r = replace_all(&buf, &len, at, &end, "offsetof(" "Z_m_instance_t, ",
				"PVF_IMPORT_OFFSET + offsetof(" "Z_m_instance_t, ", err);
		if (r < 0)
			goto out;
	}
	r = pvf__canonicalize_nans(&buf, &len, tcc, nf, stats, err);
	if (r < 0)
		goto out;
	r = pvf__membase_rewrite(&buf, &len, stats, err);
	if (r < 0)
		goto out;
	r = pvf__stacklimit_rewrite(&buf, &len, costs, nfuncs, ret_names, err);
	if (r < 0)
		goto out;
	r = pvf__write_file(path, buf, len, err);
	if (r == 0 && ret_buf) {
		*ret_buf = buf;
		*ret_len = len;
		buf = NULL;
	}
out:
	free(buf);
	return r;
}

/* The wasm functions by C name, for their frames in the stack usage. */
typedef struct named_cost {
	const char *name;
	uint32_t cost;
	uint32_t nframes;            /* the function and its clones (.isra.0, .part.0, ...) */
	uint64_t frames;             /* their frames added up */
} named_cost;

static int by_name(const void *a, const void *b)
{
	return strcmp(((const named_cost *)a)->name, ((const named_cost *)b)->name);
}

/* What the stack usage says: the largest frame of any function, and the
 * frames of each wasm function (with those of its compiler-made clones,
 * which a call may go through as well). Over the wasm functions, the
 * largest ceil(limit x (frames + slack) / cost) bounds the native stack of
 * any chain of calls whose costs add up to at most `limit`: each function
 * takes at most that many bytes per unit of its cost. */
typedef struct stack_usage {
	named_cost *wasm;            /* sorted by name */
	uint32_t nwasm;
	uint32_t limit;
	uint32_t max_frame;
} stack_usage;

static void usage_of(stack_usage *u, const char *name, size_t name_len, uint64_t frame)
{
	char key[256];
	named_cost k = { key, 0, 0, 0 }, *hit;
	const char *dot = memchr(name, '.', name_len);

	if (frame > u->max_frame)
		u->max_frame = frame > UINT32_MAX ? UINT32_MAX : (uint32_t)frame;
	if (dot)                      /* gcc's clones: w2c_f12.isra.0, w2c_f12.part.0 */
		name_len = (size_t)(dot - name);
	if (!u->wasm || name_len >= sizeof(key))
		return;
	memcpy(key, name, name_len);
	key[name_len] = '\0';
	hit = bsearch(&k, u->wasm, u->nwasm, sizeof(*u->wasm), by_name);
	if (!hit)
		return;
	hit->frames += frame;
	hit->nframes++;
}

/* The wasm part of the bound; *matched: wasm functions found by name. */
static uint64_t wasm_frames_bound(const stack_usage *u, uint32_t *matched)
{
	uint64_t bound = 0;

	*matched = 0;
	for (uint32_t i = 0; i < u->nwasm; i++) {
		const named_cost *c = &u->wasm[i];
		if (!c->nframes || !c->cost)
			continue;
		uint64_t b = ((uint64_t)u->limit * (c->frames + (uint64_t)c->nframes * PVF_FRAME_SLACK) + c->cost - 1) /
			     c->cost;
		if (b > bound)
			bound = b;
		(*matched)++;
	}
	return bound;
}

/* One -fstack-usage file ("file:line:col:func<TAB>N<TAB>kind"). A frame of
 * unbounded dynamic size cannot be bounded: an error. */
static int parse_stack_usage(const char *path, stack_usage *u, pvf_error *err)
{
	FILE *f = fopen(path, "re");
	char line[4096];

	if (!f)
		return pvf_error_set(err, PVF_E_TOOL, "compiler wrote no stack usage file %s: %s", path,
				     strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *t1 = strchr(line, '\t'), *t2, *name;
		unsigned long n;

		if (!t1)
			continue;
		n = strtoul(t1 + 1, &t2, 10);
		if (t2 && *t2 == '\t' && strstr(t2, "dynamic") && !strstr(t2, "bounded")) {
			fclose(f);
			return pvf_error_set(err, PVF_E_STACK_BOUND,
					     "a function has an unbounded dynamic stack frame: %.200s", line);
		}
		name = memrchr(line, ':', (size_t)(t1 - line));
		name = name ? name + 1 : line;
		usage_of(u, name, (size_t)(t1 - name), n);
	}
	fclose(f);
	return 0;
}

/* tcc writes no .su file: one is written from the object's prologues
 * (frames.c), so that the stack bound and the chunk cache treat every
 * compiler alike. */
typedef struct su_text {
	char *text;
	size_t len, cap;
	const char *stem;
	bool nomem;
} su_text;

static void su_line(void *user, const char *name, uint32_t frame)
{
	su_text *t = user;
	size_t need = strlen(t->stem) + strlen(name) + 32;

	if (t->nomem)
		return;
	if (t->cap - t->len < need) {
		size_t ncap = (t->cap + need) * 2;
		char *n = realloc(t->text, ncap);
		if (!n) {
			t->nomem = true;
			return;
		}
		t->text = n;
		t->cap = ncap;
	}
	t->len += (size_t)snprintf(t->text + t->len, t->cap - t->len, "%s.o:tcc:%s\t%u\tstatic\n", t->stem, name,
				   frame);
}

static int write_tcc_stack_usage(const char *dir, const char *stem, pvf_error *err)
{
	char path[PATH_MAX];
	uint32_t frame = 0;
	su_text t = { NULL, 0, 0, stem, false };
	int r;

	snprintf(path, sizeof(path), "%s/%s.o", dir, stem);
	if (pvf__frames_max(path, &frame, su_line, &t, err) < 0) {
		free(t.text);
		return -1;
	}
	if (t.nomem) {
		free(t.text);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	snprintf(path, sizeof(path), "%s/%s.su", dir, stem);
	r = pvf__write_file(path, t.text ? t.text : "", t.len, err);
	free(t.text);
	return r;
}

/* A tcc frame does not hold the stack arguments of the calls the function
 * makes: tcc pushes them at the call. A call passes the instance and the
 * wasm parameters, 8 bytes each at most, plus 8 bytes of alignment. */
static uint32_t tcc_outgoing_args_bound(const pvf_module *m)
{
	uint32_t most = 0;

	for (uint32_t t = 0; t < m->ntypes; t++)
		if (m->types[t].nparams > most)
			most = m->types[t].nparams;
	return 8u * (most + 1u) + 8u;
}

static void remove_work_dir(const char dir[PATH_MAX - 64], const unit *units, uint32_t nunits)
{
	char path[PATH_MAX];

	for (int i = 0; work_files[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, work_files[i]);
		unlink(path);
	}
	for (uint32_t u = 0; u < nunits; u++)
		for (int i = 0; units[u].chunk && chunk_suffixes[i]; i++) {
			snprintf(path, sizeof(path), "%s/%s.%s", dir, units[u].stem, chunk_suffixes[i]);
			unlink(path);
		}
	rmdir(dir);
}

static void unit_init(unit *u, const char *stem, size_t bytes, bool chunk)
{
	snprintf(u->stem, sizeof(u->stem), "%s", stem);
	snprintf(u->src, sizeof(u->src), "%s.c", stem);
	snprintf(u->obj, sizeof(u->obj), "%s.o", stem);
	u->bytes = bytes;
	u->chunk = chunk;
}

/* Biggest first, so that the longest compilations start early. */
static int by_size_desc(const void *a, const void *b)
{
	const unit *x = *(const unit *const *)a, *y = *(const unit *const *)b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

/* The minimum function text per chunk. Without optimisation the fixed cost
 * of a compiler process (the prelude and prototypes it parses again) is a
 * bigger share, so chunks are bigger: shell runtime, clang -O0, 2 cores:
 * 13.2 s of compiler CPU with 512 KiB chunks, 12.2 s with 2 MiB ones
 * (docs/performance.md). tcc compiles the whole Coretime runtime in about a
 * second, less than its cost as 62 units: it gets one unit. */
static size_t min_chunk_bytes(const pvf_prepare_opts *opts, const pvf_toolchain *tc)
{
	const char *opt = opts->opt_level ? opts->opt_level : PVF_DEFAULT_OPT;

	if (opts->chunk_min_bytes)
		return opts->chunk_min_bytes;
	if (tc->cc_kind == PVF_CC_TCC)
		return SIZE_MAX;
	return !strcmp(opt, "-O0") ? 4 * pvf__split_min_chunk_bytes : pvf__split_min_chunk_bytes;
}

/* Steps 4 (split) and the cache lookups of 5: fills units[0] (the glue)
 * and the module's units; *ret_n gets their number. Consumes `gen`. */
static int plan_units(const char *dir, const pvf_toolchain *tc, const char *limit_flag, const char *cache_dir,
		      size_t min_chunk, char **gen, size_t gen_len, unit **ret_units, uint32_t *ret_n, pvf_error *err)
{
	char path[PATH_MAX];
	pvf_split split;
	uint8_t *mh = NULL;
	size_t mh_len = 0;
	unit *units;
	uint32_t n;
	int r = -1;

	if (pvf__split_generated(*gen, gen_len, min_chunk, &split, err) < 0)
		return -1;
	n = 1 + (split.nchunks > 1 ? split.nchunks : 1);
	units = calloc(n, sizeof(*units));
	if (!units) {
		pvf__split_free(&split);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	unit_init(&units[0], "glue", 0, false);
	if (split.nchunks <= 1) {
		unit_init(&units[1], "m", gen_len, false);
		r = 0;
		goto out;
	}
	free(*gen);
	*gen = NULL;
	snprintf(path, sizeof(path), "%s/m.h", dir);
	if (pvf__read_file(path, PVF_GENERATED_C_MAX, &mh, &mh_len, err) < 0)
		goto out;
	for (uint32_t c = 0; c < split.nchunks; c++) {
		const pvf_split_chunk *k = &split.chunk[c];
		unit *u = &units[1 + c];
		char stem[PVF_CHUNK_NAME_LEN];

		pvf__chunk_key(tc->id, limit_flag, (const char *)mh, mh_len, k->text, k->len, u->key, stem);
		unit_init(u, stem, k->len, true);
		/* Two chunks with the same text (and so the same key) would be
		 * one file and one object defining the same functions twice: not
		 * possible, every chunk defines different functions (or is the
		 * main one). */
		snprintf(path, sizeof(path), "%s/%s", dir, u->src);
		if (pvf__write_file(path, k->text, k->len, err) < 0)
			goto out;
		if (cache_dir) {
			int hit = pvf__chunk_cache_fetch(cache_dir, u->key, dir, u->stem, err);
			if (hit < 0)
				goto out;
			u->cached = hit == 1;
		}
	}
	r = 0;
out:
	free(mh);
	pvf__split_free(&split);
	/* Even on failure: the caller removes the files written so far. */
	*ret_units = units;
	*ret_n = n;
	return r;
}

int pvf_engine_prepare(const uint8_t *wasm, size_t size, const pvf_module *m,
		       const pvf_prepare_opts *opts, const char *out_path, pvf_prepare_stats *ret_stats,
		       pvf_error *err)
{
	pvf_prepare_opts defaults = { 0 };
	pvf_prepare_stats stats;
	pvf_toolchain tc;
	pvf_artifact_info info;
	char dir[PATH_MAX - 64], path[PATH_MAX];
	const char *argv[PVF_SPLIT_MAX_CHUNKS + 16];
	_Static_assert(PVF_SPLIT_MAX_CHUNKS + 1 <= PVF_PARALLEL_MAX_PROCS, "unit count");
	char *const *cargvp[PVF_SPLIT_MAX_CHUNKS + 1];
	unit *order[PVF_SPLIT_MAX_CHUNKS + 1];
	char limit_flag[64];
	uint32_t nunits = 0, ncompile = 0, jobs;
	unit *units = NULL;
	char *gen = NULL;
	size_t gen_len = 0;
	uint8_t *so = NULL;
	size_t so_len = 0;
	uint32_t stack_limit, max_frame = 0;
	uint32_t *costs = NULL;
	char **names = NULL;
	uint64_t stack;
	FILE *gf;
	int r = -1, n;
	double t0;

	if (!opts)
		opts = &defaults;
	memset(&stats, 0, sizeof(stats));
	stack_limit = opts->stack_limit ? opts->stack_limit : PVF_DEFAULT_STACK_LIMIT;
	if (pvf__toolchain_init(&tc, opts, err) < 0)
		return -1;

	if (opts->work_dir) {
		if ((size_t)snprintf(dir, sizeof(dir), "%s", opts->work_dir) >= sizeof(dir) ||
		    (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
			pvf_error_set(err, PVF_E_IO, "cannot create work directory %s: %s", opts->work_dir,
				      strerror(errno));
			goto out_tc;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/pvfhost-prepare-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			pvf_error_set(err, PVF_E_IO, "cannot create a work directory in %s: %s",
				      tmp && *tmp ? tmp : "/tmp", strerror(errno));
			goto out_tc;
		}
	}

	/* 1. translate (after the stack costs: a function the stack limiter
	 * refuses fails the preparation, as in Polkadot) */
	if (pvf_stack_costs(m, &costs, err) < 0)
		goto out;
	jobs = pvf__split_jobs(opts->jobs);
	if (pvf__translate(&tc, wasm, size, m, dir, jobs, &stats.translate, &stats.translate_parts,
			   stats.translate_note, sizeof(stats.translate_note), err) < 0)
		goto out;

	/* 2. patch, 3. glue (counted as translation) */
	t0 = pvf_clock_s();
	snprintf(path, sizeof(path), "%s/m.c", dir);
	{
		pvf_nanflow nf;
		if (pvf_nanflow_analyse(m, &nf, err) < 0)
			goto out;
		r = patch_generated(path, tc.cc_kind == PVF_CC_TCC, opts->nan_test_every_result ? NULL : &nf, costs,
				    m->nfunctions, &names, &stats, &gen, &gen_len, err);
		pvf_nanflow_free(&nf);
		if (r < 0)
			goto out;
		r = -1;
	}
	snprintf(path, sizeof(path), "%s/glue.c", dir);
	gf = fopen(path, "we");
	if (!gf) {
		pvf_error_set(err, PVF_E_IO, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	r = pvf__glue_write(m, stack_limit, "m.h", gf, err);
	if (fclose(gf) != 0 && r == 0)
		r = pvf_error_set(err, PVF_E_IO, "cannot write %s", path);
	if (r < 0)
		goto out;
	r = -1;
	if (tc.cc_kind == PVF_CC_TCC) {
		snprintf(path, sizeof(path), "%s/" PVF_TCC_COMPAT_HEADER, dir);
		if (pvf__write_file(path, pvf__tcc_compat, strlen(pvf__tcc_compat), err) < 0)
			goto out;
	}
	stats.translate.wall_s += pvf_clock_s() - t0;

	/* 4. split (counted as compilation): units[0] is the glue, then the
	 * chunks, or m itself when the module is not split. */
	t0 = pvf_clock_s();
	snprintf(limit_flag, sizeof(limit_flag), "-DWASM_RT_MAX_CALL_STACK_DEPTH=%u", stack_limit);
	if (plan_units(dir, &tc, limit_flag, opts->chunk_cache_dir, min_chunk_bytes(opts, &tc), &gen, gen_len, &units,
		       &nunits, err) < 0)
		goto out;
	free(gen);
	gen = NULL;
	stats.compile.wall_s += pvf_clock_s() - t0;

	/* 5. compile what the cache did not have, biggest first */
	for (uint32_t u = 0; u < nunits; u++) {
		const char **cv = units[u].argv;

		stats.units++;
		if (units[u].cached) {
			stats.units_cached++;
			continue;
		}
		n = 0;
		cv[n++] = tc.cc;
		cv[n++] = "-c";
		for (int i = 0; i < tc.ncflags; i++)
			cv[n++] = tc.cflags[i];
		cv[n++] = limit_flag;
		if (tc.cc_kind != PVF_CC_TCC)
			cv[n++] = "-fstack-usage";
		cv[n++] = "-I.";
		cv[n++] = units[u].src;
		cv[n++] = "-o";
		cv[n++] = units[u].obj;
		cv[n] = NULL;
		order[ncompile++] = &units[u];
	}
	qsort(order, ncompile, sizeof(order[0]), by_size_desc);
	for (uint32_t i = 0; i < ncompile; i++)
		cargvp[i] = (char *const *)order[i]->argv;
	if (pvf__run_parallel(cargvp, ncompile, dir, jobs, "the C compiler", &stats.compile, err) < 0)
		goto out;
	if (tc.cc_kind == PVF_CC_TCC)
		for (uint32_t i = 0; i < ncompile; i++)
			if (write_tcc_stack_usage(dir, order[i]->stem, err) < 0)
				goto out;
	if (opts->chunk_cache_dir) {
		/* A cache that cannot be written costs the next preparation time,
		 * not this one its result. */
		pvf_error ignored;
		for (uint32_t i = 0; i < ncompile; i++)
			if (order[i]->chunk)
				pvf__chunk_cache_store(opts->chunk_cache_dir, order[i]->key, dir, order[i]->stem,
						       &ignored);
	}

	/* 6. link: the wasm units first, as in the single-unit order */
	n = 0;
	argv[n++] = tc.cc;
	argv[n++] = "-shared";
	if (tc.cc_kind != PVF_CC_TCC) {
		/* No start files: their initialisers would never run (the loader
		 * runs none). tcc has no such option; what it adds is skipped. */
		argv[n++] = "-nostartfiles";
		argv[n++] = "-static-libgcc";
	}
	argv[n++] = "-o";
	argv[n++] = "m.so";
	for (uint32_t u = 1; u < nunits; u++)
		argv[n++] = units[u].obj;
	argv[n++] = units[0].obj;
	argv[n] = NULL;
	if (pvf__run_stage((char *const *)argv, dir, &stats.link, "the linker", err) < 0)
		goto out;

	/* 7. stack bound: the wasm frames under the logical limit (see
	 * stack_usage), and four of the largest frames of any kind beyond
	 * them (the call's entry, helpers) */
	{
		named_cost *nc = calloc(m->nfunctions ? m->nfunctions : 1, sizeof(*nc));
		stack_usage su = { nc, m->nfunctions, stack_limit, 0 };
		uint64_t wasm_bound;
		uint32_t matched;
		if (!nc) {
			pvf_error_set(err, PVF_E_NOMEM, "out of memory");
			goto out;
		}
		for (uint32_t i = 0; i < m->nfunctions; i++)
			nc[i] = (named_cost){ names[i], costs[i], 0, 0 };
		qsort(nc, m->nfunctions, sizeof(*nc), by_name);
		for (uint32_t u = 0; u < nunits; u++) {
			snprintf(path, sizeof(path), "%s/%s.su", dir, units[u].stem);
			if (parse_stack_usage(path, &su, err) < 0) {
				free(nc);
				goto out;
			}
		}
		wasm_bound = wasm_frames_bound(&su, &matched);
		free(nc);
		max_frame = su.max_frame;
		if (tc.cc_kind == PVF_CC_TCC) {
			/* the stack arguments each frame may push on top */
			uint32_t extra = tcc_outgoing_args_bound(m);
			max_frame += extra;
			wasm_bound += (uint64_t)stack_limit / PVF_STACK_ACTIVATION_COST * extra;
		}
		/* No wasm function found by name: every function costs at least
		 * PVF_STACK_ACTIVATION_COST, so at most limit / that many calls
		 * are in progress, each at most the largest frame. */
		if (matched == 0 && m->nfunctions)
			wasm_bound = ((uint64_t)stack_limit / PVF_STACK_ACTIVATION_COST) * ((uint64_t)max_frame + PVF_FRAME_SLACK);
		stack = wasm_bound + 4 * ((uint64_t)max_frame + PVF_FRAME_SLACK) + PVF_HOST_STACK_RESERVE;
	}
	{
		uint64_t limit = opts->native_stack_max ? opts->native_stack_max : PVF_DEFAULT_NATIVE_STACK_MAX;
		if (stack > limit) {
			pvf_error_set(err, PVF_E_STACK_BOUND,
				      "native stack bound %llu bytes (the frames of calls under the logical stack limit %u; largest frame %u bytes) exceeds the maximum of %llu bytes",
				      (unsigned long long)stack, stack_limit, max_frame, (unsigned long long)limit);
			goto out;
		}
	}

	/* 8. store */
	t0 = pvf_clock_s();
	snprintf(path, sizeof(path), "%s/m.so", dir);
	if (pvf__read_file(path, PVF_ARTIFACT_MAX_PAYLOAD, &so, &so_len, err) < 0)
		goto out;
	{
		pvf_elf_info elf;
		pvf_error why;
		if (pvf__elf_parse(so, so_len, &pvf__rt_symbols, PVF_GLUE_ABI_SYMBOL, &elf, &why) < 0) {
			pvf_error_set(err, PVF_E_TOOL, "the C compiler made code pvfhost cannot load: %s", why.msg);
			goto out;
		}
	}
	memset(&info, 0, sizeof(info));
	info.toolchain_id = tc.id;
	if (opts->has_code_hash)
		memcpy(info.code_hash, opts->code_hash, 32);
	else
		crypto_generichash(info.code_hash, 32, wasm, size, NULL, 0);
	memcpy(info.params_hash, opts->params_hash, 32);
	info.stack_limit = stack_limit;
	info.max_memory_pages = opts->max_memory_pages ? opts->max_memory_pages : PVF_DEFAULT_MAX_PAGES;
	info.max_frame_bytes = max_frame;
	info.native_stack_bytes = stack;
	if (pvf__artifact_write(out_path, &info, so, so_len, err) < 0)
		goto out;
	stats.store.wall_s = pvf_clock_s() - t0;
	stats.max_frame_bytes = max_frame;
	stats.native_stack_bytes = stack;
	stats.artifact_bytes = so_len;
	if (ret_stats)
		*ret_stats = stats;
	r = 0;
out:
	free(so);
	free(gen);
	free(costs);
	pvf__stacklimit_names_free(names, m->nfunctions);
	if (!opts->keep_work_dir)
		remove_work_dir(dir, units, nunits);
	free(units);
out_tc:
	pvf__toolchain_clear(&tc);
	return r;
}
