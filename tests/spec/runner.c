/*
 * runner.c — runs the WebAssembly spec test suite (the JSON + .wasm files
 * that wabt's wast2json writes) through pvfhost's own pipeline: the decoder
 * (pvf_module_decode), preparation (pvf_engine_prepare: wasm2c + cc),
 * artifact loading and instantiation (pvf_artifact_open, pvf_instance_new)
 * and calls (pvf_instance_call_index).
 *
 *   spec-runner [options] [--features mvp|signext|pvf|bulk] FILE.json ... [--features X FILE.json ...]
 *
 * Divisions:
 *   1. commands      what each wast2json command kind is and how it counts
 *   2. values        argument/expected-value parsing and comparison, trap texts
 *   3. child state   instances, registered names, the spectest module
 *   4. linking       resolving imports, MVP import matching, segment bounds
 *   5. loading       decode -> (cache) prepare -> open -> bind -> instantiate
 *   6. actions       invoke / get
 *   7. the child     runs one JSON file, reports one line per command
 *   8. the parent    schedules children (-j), collects reports, prints the
 *                    table and the closing line "N passed, N failed[, N skipped]"
 *
 * Process model. The wasm2c runtime state is process-global, so every JSON
 * file runs in its own forked child. The child writes one line per command to
 * a pipe ("<index> <P|F|S> <message>") and "D" when it finished normally.
 * The parent has parsed the same JSON, so if a child dies (signal, timeout,
 * early exit) every command it did not report is counted as failed with the
 * reason; one file's crash never stops the run.
 *
 *   parent: pending --start_child()--> running --EOF + waitpid (finish_child)--> done
 *                                        \--timeout: SIGKILL, then EOF ------/
 *
 * Counting: every command except `register` counts (the corpus counts 19,369
 * MVP commands). Commands whose module is text (module_type "text") are
 * checked with wat2wasm and also shown in their own column.
 *
 * Exit status: 0 when every failure is one of the documented exclusions
 * (EXCLUSIONS below, docs/conformance.md), 1 otherwise, 2 on a usage error.
 */
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 1
#define WASM_RT_USE_STACK_DEPTH_COUNT 1
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wasm-rt.h>

#include "common/error.h"
#include "engine/engine.h"
#include "json.h"
#include "wasm/module.h"
#include "wasm/rules.h"

/* Limits on input-driven sizes. */
#define MAX_JSON_FILE (256u << 20)       /* bytes of one JSON file */
#define MAX_WASM_FILE (64u << 20)        /* bytes of one .wasm file */
#define MAX_VALUES 1000u                 /* arguments or results of one action */
#define MAX_REPORT_LINE 1024u            /* one child report line, parent side */
#define MAX_MSG 700u                     /* one failure message as reported */
#define MAX_SELF_EXE (512u << 20)        /* bytes of this executable, hashed for --cache */
#define MAX_JOBS 64u                     /* -j */
#define MAX_RESTARTS 50u                 /* new children for one file after crashes */
#define DEFAULT_FILE_TIMEOUT_S 1200u     /* wall time for one JSON file */
#define DEFAULT_SHOWN_FAILURES 20u       /* failures printed per file (-v: all) */
#define WASM_PAGE_BYTES 65536ull

/* ---- 1. commands -------------------------------------------------------------- */

typedef enum cmd_kind {
	K_MODULE,
	K_ACTION,
	K_ASSERT_RETURN,
	K_ASSERT_TRAP,
	K_ASSERT_EXHAUSTION,
	K_ASSERT_INVALID,
	K_ASSERT_MALFORMED,
	K_ASSERT_UNLINKABLE,
	K_ASSERT_UNINSTANTIABLE,
	K_REGISTER,
	K_UNKNOWN,
	K__COUNT
} cmd_kind;

static const char *const kind_names[K__COUNT] = {
	"module", "action", "assert_return", "assert_trap", "assert_exhaustion", "assert_invalid",
	"assert_malformed", "assert_unlinkable", "assert_uninstantiable", "register", "(unknown)",
};

static cmd_kind cmd_kind_of(const pvf_json *cmd)
{
	const char *t = pvf__json_get_str(cmd, "type", NULL);

	if (!t)
		return K_UNKNOWN;
	for (int k = 0; k < K_UNKNOWN; k++)
		if (strcmp(t, kind_names[k]) == 0)
			return (cmd_kind)k;
	return K_UNKNOWN;
}

static bool cmd_counted(cmd_kind k)
{
	return k != K_REGISTER;
}

static bool cmd_is_text(const pvf_json *cmd)
{
	const char *mt = pvf__json_get_str(cmd, "module_type", NULL);

	return mt && strcmp(mt, "text") == 0;
}

static unsigned cmd_line(const pvf_json *cmd)
{
	uint64_t l = 0;

	if (pvf__json_u64(pvf__json_get(cmd, "line"), &l) < 0 || l > UINT_MAX)
		return 0;
	return (unsigned)l;
}

/* Known failures that do not fail the run (documented in docs/conformance.md). */
typedef struct exclusion {
	const char *file;      /* JSON file base name */
	unsigned line;
	const char *reason;
} exclusion;

static const exclusion EXCLUSIONS[] = {
	{ "unreached-invalid.json", 539,
	  "br_table with f32/f64 label types after `unreachable`: invalid under 1.0 rules, "
	  "accepted by post-1.0 validators (wabt's own interpreter fails it too)" },
};

static const exclusion *find_exclusion(const char *file, unsigned line)
{
	for (size_t i = 0; i < sizeof(EXCLUSIONS) / sizeof(EXCLUSIONS[0]); i++)
		if (EXCLUSIONS[i].line == line && strcmp(EXCLUSIONS[i].file, file) == 0)
			return &EXCLUSIONS[i];
	return NULL;
}

/* ---- options --------------------------------------------------------------------- */

typedef struct run_opts {
	unsigned jobs;
	const char *cache_dir;     /* NULL: no cache */
	const char *work_root;     /* NULL: mkdtemp under TMPDIR */
	const char *cc;
	const char *opt_level;
	unsigned timeout_s;
	bool verbose;
	char *toolchain_id;        /* computed once by the parent */
	uint8_t self_hash[32];     /* BLAKE2b-256 of this executable (the engine is linked in) */
} run_opts;

static uint32_t features_bits(const char *name)
{
	/* Import/export of mutable globals is part of WebAssembly 1.0 (the spec
	 * tests use it), so it is on in both modes. */
	if (strcmp(name, "mvp") == 0)
		return PVF_FEATURES_MVP | PVF_FEAT_MUTABLE_GLOBALS;
	if (strcmp(name, "signext") == 0)
		return PVF_FEATURES_MVP | PVF_FEAT_MUTABLE_GLOBALS | PVF_FEAT_SIGN_EXT;
	/* What every PVF may use (wasm/rules.h): sign extension and the
	 * non-trapping float-to-int conversions too. */
	if (strcmp(name, "pvf") == 0)
		return PVF_FEATURES_MVP | PVF_RULES_ALLOWED_FEATURES;
	/* Polkadot's ExecutorParam WasmExtBulkMemory: bulk memory on top. */
	if (strcmp(name, "bulk") == 0)
		return PVF_FEATURES_MVP | PVF_RULES_ALLOWED_FEATURES | PVF_FEAT_BULK_MEMORY;
	return UINT32_MAX;
}

/* ---- small utilities ------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return pvf_error_set(err, PVF_E_IO, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return pvf_error_set(err, PVF_E_IO, "%s: not a regular file of at most %zu bytes", path, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			close(fd);
			return pvf_error_set(err, PVF_E_IO, "cannot read %s", path);
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	*ret = buf;
	*ret_len = got;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A printable, single-line copy of untrusted bytes (names may hold NULs). */
static void quote_bytes(char *out, size_t cap, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o < cap ? o : cap - 1] = '\0';
}

/* snprintf for messages, where truncation is acceptable. */
static void msgf(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void msgf(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap, bytes;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (__builtin_mul_overflow(ncap, elem, &bytes))
		return -1;
	p = realloc(*arr, bytes);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ---- 2. values ---------------------------------------------------------------------- */

typedef enum nan_kind { NAN_NONE, NAN_CANONICAL, NAN_ARITHMETIC } nan_kind;

typedef struct value {
	char type;      /* 'i' i32, 'I' i64, 'f' f32, 'F' f64 (pvf_extern_desc spelling) */
	uint64_t bits;
	nan_kind nan;
	bool any;       /* no value given (assert_trap's "expected" lists only types) */
} value;

static char type_char(const char *t)
{
	if (!t)
		return 0;
	if (strcmp(t, "i32") == 0)
		return 'i';
	if (strcmp(t, "i64") == 0)
		return 'I';
	if (strcmp(t, "f32") == 0)
		return 'f';
	if (strcmp(t, "f64") == 0)
		return 'F';
	return 0;
}

static char valtype_char(uint8_t t)
{
	switch (t) {
	case PVF_I32: return 'i';
	case PVF_I64: return 'I';
	case PVF_F32: return 'f';
	case PVF_F64: return 'F';
	default: return '?';
	}
}

static bool is32(char t)
{
	return t == 'i' || t == 'f';
}

/* Parses {"type": T, "value": V}. Returns 0, -1 for a malformed value, -2 for
 * a type this runner does not handle (v128, references: not in MVP). */
static int parse_value(const pvf_json *j, bool allow_nan, value *ret, char *why, size_t why_cap)
{
	const char *t = pvf__json_get_str(j, "type", NULL);
	size_t vlen;
	const char *v = pvf__json_get_str(j, "value", &vlen);
	value out = { type_char(t), 0, NAN_NONE, false };

	if (!out.type) {
		msgf(why, why_cap, "unsupported value type %s", t ? t : "(none)");
		return -2;
	}
	if (!v) {
		out.any = true;
		*ret = out;
		return 0;
	}
	if (out.type == 'f' || out.type == 'F') {
		if (strcmp(v, "nan:canonical") == 0 || strcmp(v, "nan:arithmetic") == 0) {
			if (!allow_nan) {
				msgf(why, why_cap, "NaN pattern %s where a value is needed", v);
				return -1;
			}
			out.nan = v[4] == 'c' ? NAN_CANONICAL : NAN_ARITHMETIC;
			*ret = out;
			return 0;
		}
	}
	if (pvf__json_parse_u64(v, vlen, &out.bits) < 0 || (is32(out.type) && out.bits > UINT32_MAX)) {
		msgf(why, why_cap, "bad %s value", t);
		return -1;
	}
	*ret = out;
	return 0;
}

static void format_value(char *out, size_t cap, char type, uint64_t bits)
{
	switch (type) {
	case 'i':
		snprintf(out, cap, "i32:0x%08" PRIx32 " (%" PRId32 ")", (uint32_t)bits, (int32_t)(uint32_t)bits);
		break;
	case 'I':
		snprintf(out, cap, "i64:0x%016" PRIx64 " (%" PRId64 ")", bits, (int64_t)bits);
		break;
	case 'f': {
		float f;
		uint32_t b = (uint32_t)bits;
		memcpy(&f, &b, 4);
		snprintf(out, cap, "f32:0x%08" PRIx32 " (%.9g)", b, (double)f);
		break;
	}
	case 'F': {
		double d;
		memcpy(&d, &bits, 8);
		snprintf(out, cap, "f64:0x%016" PRIx64 " (%.17g)", bits, d);
		break;
	}
	default:
		snprintf(out, cap, "?:0x%" PRIx64, bits);
		break;
	}
}

/* Exact bits for integers and floats; NaN patterns per the spec test
 * conventions: canonical = payload exactly the quiet bit (either sign),
 * arithmetic = quiet bit set (and a NaN). */
static bool value_matches(const value *want, uint64_t got)
{
	if (want->any)
		return true;
	if (want->nan != NAN_NONE) {
		if (want->type == 'f') {
			uint32_t b = (uint32_t)got & 0x7fffffffu;
			return want->nan == NAN_CANONICAL ? b == 0x7fc00000u : (b & 0x7fc00000u) == 0x7fc00000u;
		}
		uint64_t b = got & 0x7fffffffffffffffull;
		return want->nan == NAN_CANONICAL ? b == 0x7ff8000000000000ull
						  : (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
	}
	if (is32(want->type))
		return (uint32_t)got == (uint32_t)want->bits;
	return got == want->bits;
}

/* The reference interpreter's message for each trap kind: the expected text
 * of assert_trap must be a prefix of it (the spec test convention, e.g.
 * "undefined" for "undefined element"). */
static const char *spec_trap_text(pvf_trap_kind k)
{
	switch (k) {
	case PVF_TRAP_UNREACHABLE: return "unreachable executed";
	case PVF_TRAP_MEMORY_OOB: return "out of bounds memory access";
	case PVF_TRAP_TABLE_OOB: return "undefined element";
	case PVF_TRAP_INDIRECT_NULL: return "uninitialized element";
	case PVF_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
	case PVF_TRAP_DIV_BY_ZERO: return "integer divide by zero";
	case PVF_TRAP_INT_OVERFLOW: return "integer overflow";
	case PVF_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
	case PVF_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
	default: return NULL;
	}
}

static bool trap_text_matches(pvf_trap_kind k, const char *expected)
{
	const char *t = spec_trap_text(k);

	if (!t || !expected || !*expected)
		return false;
	/* The bulk-memory proposal's table operations (table.init, table.copy,
	 * active segments) name an index past the table's end this way; a
	 * call_indirect past it stays "undefined element". */
	if (k == PVF_TRAP_TABLE_OOB && strncmp("out of bounds table access", expected, strlen(expected)) == 0)
		return true;
	return strncmp(t, expected, strlen(expected)) == 0;
}

/* ---- 3. child state --------------------------------------------------------------------- */

typedef struct loaded {
	pvf_artifact *a;
	pvf_instance *inst;   /* NULL if instantiation failed */
} loaded;

typedef struct named {
	const char *name;     /* "$M" (points into the JSON) */
	loaded *l;            /* NULL: the module of that name failed */
} named;

typedef struct registered {
	const char *as;
	size_t as_len;
	loaded *l;
} registered;

/* Declared limits of a memory or table object, by address: the runtime
 * object's own max is capped by the host, and a re-exported import's export
 * description carries no limits, so the declaration is recorded where the
 * object is created. */
typedef struct extobj {
	void *ptr;
	bool has_max;
	uint64_t max;
} extobj;

/* A function import bound to another instance's export. */
typedef struct fwd_ctx {
	pvf_instance *inst;
	uint32_t idx;
	uint32_t nparams, nresults;
} fwd_ctx;

typedef struct child_state {
	const run_opts *o;
	uint32_t features;
	const char *json_dir;
	char work_dir[PATH_MAX - 64];
	unsigned artifact_seq;
	int out_fd;
	size_t report_from;        /* commands before this one are replayed silently */
	const bool *skip;          /* commands that crashed an earlier child: not run */

	loaded **mods;
	size_t nmods, cap_mods;
	loaded *current;
	named *names;
	size_t nnames, cap_names;
	registered *regs;
	size_t nregs, cap_regs;
	extobj *objs;
	size_t nobjs, cap_objs;
	fwd_ctx **fwds;
	size_t nfwds, cap_fwds;

	/* the spectest module */
	void *spectest_memory;
	void *spectest_table;
} child_state;

static uint32_t spectest_global_i32 = 666;
static uint64_t spectest_global_i64 = 666;
static float spectest_global_f32 = 666.6f;
static double spectest_global_f64 = 666.6;

static int spectest_print(void *ctx, pvf_instance *inst, const uint64_t *args, uint64_t *results, pvf_trap *trap)
{
	return 0;
}

typedef struct spectest_item {
	const char *name;
	pvf_extern_kind kind;
	const char *params, *results;   /* func; global: params = its type */
	void *global;
} spectest_item;

static const spectest_item SPECTEST[] = {
	{ "print", PVF_EXTERN_FUNC, "", "", NULL },
	{ "print_i32", PVF_EXTERN_FUNC, "i", "", NULL },
	{ "print_i64", PVF_EXTERN_FUNC, "I", "", NULL },
	{ "print_f32", PVF_EXTERN_FUNC, "f", "", NULL },
	{ "print_f64", PVF_EXTERN_FUNC, "F", "", NULL },
	{ "print_i32_f32", PVF_EXTERN_FUNC, "if", "", NULL },
	{ "print_f64_f64", PVF_EXTERN_FUNC, "FF", "", NULL },
	{ "global_i32", PVF_EXTERN_GLOBAL, "i", "", &spectest_global_i32 },
	{ "global_i64", PVF_EXTERN_GLOBAL, "I", "", &spectest_global_i64 },
	{ "global_f32", PVF_EXTERN_GLOBAL, "f", "", &spectest_global_f32 },
	{ "global_f64", PVF_EXTERN_GLOBAL, "F", "", &spectest_global_f64 },
	{ "table", PVF_EXTERN_TABLE, NULL, NULL, NULL },
	{ "memory", PVF_EXTERN_MEMORY, NULL, NULL, NULL },
};
#define SPECTEST_TABLE_MIN 10u
#define SPECTEST_TABLE_MAX 20u
#define SPECTEST_MEMORY_MIN 1u
#define SPECTEST_MEMORY_MAX 2u

static extobj *find_obj(child_state *st, const void *ptr)
{
	for (size_t i = 0; i < st->nobjs; i++)
		if (st->objs[i].ptr == ptr)
			return &st->objs[i];
	return NULL;
}

static int add_obj(child_state *st, void *ptr, bool has_max, uint64_t max)
{
	if (find_obj(st, ptr))
		return 0;
	if (grow((void **)&st->objs, &st->cap_objs, st->nobjs, sizeof(*st->objs)) < 0)
		return -1;
	st->objs[st->nobjs++] = (extobj){ ptr, has_max, max };
	return 0;
}

static loaded *find_named(child_state *st, const char *name)
{
	/* latest definition wins */
	for (size_t i = st->nnames; i-- > 0;)
		if (strcmp(st->names[i].name, name) == 0)
			return st->names[i].l;
	return NULL;
}

static int set_named(child_state *st, const char *name, loaded *l)
{
	if (grow((void **)&st->names, &st->cap_names, st->nnames, sizeof(*st->names)) < 0)
		return -1;
	st->names[st->nnames++] = (named){ name, l };
	return 0;
}

static void child_state_free(child_state *st)
{
	for (size_t i = st->nmods; i-- > 0;) {
		pvf_instance_free(st->mods[i]->inst);
		st->mods[i]->inst = NULL;
	}
	for (size_t i = st->nmods; i-- > 0;) {
		pvf_artifact_close(st->mods[i]->a);
		free(st->mods[i]);
	}
	for (size_t i = 0; i < st->nfwds; i++)
		free(st->fwds[i]);
	pvf_table_free(st->spectest_table);
	pvf_memory_free(st->spectest_memory);
	free(st->mods);
	free(st->names);
	free(st->regs);
	free(st->objs);
	free(st->fwds);
}

/* ---- 4. linking ----------------------------------------------------------------------------- */

typedef enum link_fail {
	LINK_OK,
	LINK_UNKNOWN,          /* "unknown import" */
	LINK_INCOMPATIBLE,     /* "incompatible import type" */
	LINK_DATA_OOB,         /* "data segment does not fit" */
	LINK_ELEM_OOB,         /* "elements segment does not fit" */
	LINK_HOST,             /* the runner itself failed (allocation) */
} link_fail;

static const char *link_fail_text(link_fail f)
{
	switch (f) {
	case LINK_UNKNOWN: return "unknown import";
	case LINK_INCOMPATIBLE: return "incompatible import type";
	case LINK_DATA_OOB: return "data segment does not fit";
	case LINK_ELEM_OOB: return "elements segment does not fit";
	case LINK_HOST: return "host failure while linking";
	default: return "linked";
	}
}

static void types_string(char *out, const uint8_t *t, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] = valtype_char(t[i]);
	out[n] = '\0';
}

static int fwd_call(void *ctx, pvf_instance *inst, const uint64_t *args, uint64_t *results, pvf_trap *trap)
{
	fwd_ctx *f = ctx;
	pvf_error err;
	pvf_trap t = { PVF_TRAP_NONE, "" };

	if (pvf_instance_call_index(f->inst, f->idx, args, f->nparams, results, f->nresults, &t, &err) == 0)
		return 0;
	if (err.code == PVF_E_TRAP) {
		*trap = t;
	} else {
		trap->kind = PVF_TRAP_HOST_ERROR;
		msgf(trap->msg, sizeof(trap->msg), "%s", err.msg);
	}
	return -1;
}

/* Limits subtyping (WebAssembly 1.0, 3.5.10 "Import Subtyping"): the
 * provided object's current size is at least the import's min, and if the
 * import has a max, the provided object has one no larger. */
static bool limits_match(uint64_t cur, bool has_max, uint64_t max, const pvf_limits *want)
{
	if (cur < want->min)
		return false;
	if (want->has_max && (!has_max || max > want->max))
		return false;
	return true;
}

static link_fail bind_spectest(child_state *st, const pvf_module *m, const pvf_import *im, pvf_binding *b,
			       char *why, size_t why_cap)
{
	const spectest_item *it = NULL;
	pvf_error err;

	for (size_t i = 0; i < sizeof(SPECTEST) / sizeof(SPECTEST[0]); i++)
		if (strlen(SPECTEST[i].name) == im->field.len &&
		    memcmp(SPECTEST[i].name, im->field.str, im->field.len) == 0)
			it = &SPECTEST[i];
	if (!it) {
		msgf(why, why_cap, "spectest has no export of that name");
		return LINK_UNKNOWN;
	}
	if (it->kind != im->kind) {
		msgf(why, why_cap, "spectest export is of another kind");
		return LINK_INCOMPATIBLE;
	}
	b->kind = it->kind;
	switch (it->kind) {
	case PVF_EXTERN_FUNC: {
		const pvf_functype *ft = &m->types[im->u.func_type];
		char p[PVF_WASM_MAX_PARAMS + 1], r[PVF_WASM_MAX_RESULTS + 1];
		types_string(p, ft->params, ft->nparams);
		types_string(r, ft->results, ft->nresults);
		if (strcmp(p, it->params) != 0 || strcmp(r, it->results) != 0) {
			msgf(why, why_cap, "function type (%s)->(%s), spectest has (%s)->(%s)", p, r,
				 it->params, it->results);
			return LINK_INCOMPATIBLE;
		}
		b->u.func.fn = spectest_print;
		b->u.func.ctx = NULL;
		return LINK_OK;
	}
	case PVF_EXTERN_GLOBAL:
		if (im->u.global.mut || valtype_char(im->u.global.type) != it->params[0]) {
			msgf(why, why_cap, "global type mismatch");
			return LINK_INCOMPATIBLE;
		}
		b->u.global = it->global;
		return LINK_OK;
	case PVF_EXTERN_TABLE:
		if (!st->spectest_table) {
			st->spectest_table = pvf_table_new(SPECTEST_TABLE_MIN, SPECTEST_TABLE_MAX, &err);
			if (!st->spectest_table || add_obj(st, st->spectest_table, true, SPECTEST_TABLE_MAX) < 0) {
				msgf(why, why_cap, "cannot create the spectest table: %s", err.msg);
				return LINK_HOST;
			}
		}
		if (!limits_match(((wasm_rt_funcref_table_t *)st->spectest_table)->size, true, SPECTEST_TABLE_MAX,
				  &im->u.table.limits)) {
			msgf(why, why_cap, "table limits do not match");
			return LINK_INCOMPATIBLE;
		}
		b->u.table = st->spectest_table;
		return LINK_OK;
	case PVF_EXTERN_MEMORY:
		if (!st->spectest_memory) {
			st->spectest_memory = pvf_memory_new(SPECTEST_MEMORY_MIN, SPECTEST_MEMORY_MAX, &err);
			if (!st->spectest_memory ||
			    add_obj(st, st->spectest_memory, true, SPECTEST_MEMORY_MAX) < 0) {
				msgf(why, why_cap, "cannot create the spectest memory: %s", err.msg);
				return LINK_HOST;
			}
		}
		if (!limits_match(((wasm_rt_memory_t *)st->spectest_memory)->pages, true, SPECTEST_MEMORY_MAX,
				  &im->u.memory)) {
			msgf(why, why_cap, "memory limits do not match");
			return LINK_INCOMPATIBLE;
		}
		b->u.memory = st->spectest_memory;
		return LINK_OK;
	default:
		return LINK_INCOMPATIBLE;
	}
}

static link_fail bind_instance(child_state *st, const pvf_module *m, const pvf_import *im, loaded *l,
			       pvf_binding *b, char *why, size_t why_cap)
{
	int32_t idx = pvf_artifact_find_export(l->a, im->field.str, im->field.len);
	const pvf_extern_desc *d;
	void *obj;
	extobj *eo;

	if (idx < 0) {
		msgf(why, why_cap, "the registered module has no export of that name");
		return LINK_UNKNOWN;
	}
	d = pvf_artifact_export(l->a, (uint32_t)idx);
	if (d->kind != im->kind) {
		msgf(why, why_cap, "export is of another kind");
		return LINK_INCOMPATIBLE;
	}
	b->kind = d->kind;
	switch (d->kind) {
	case PVF_EXTERN_FUNC: {
		const pvf_functype *ft = &m->types[im->u.func_type];
		char p[PVF_WASM_MAX_PARAMS + 1], r[PVF_WASM_MAX_RESULTS + 1];
		fwd_ctx *f;
		types_string(p, ft->params, ft->nparams);
		types_string(r, ft->results, ft->nresults);
		if (strcmp(p, d->params) != 0 || strcmp(r, d->results) != 0) {
			msgf(why, why_cap, "function type (%s)->(%s), export has (%s)->(%s)", p, r,
				 d->params, d->results);
			return LINK_INCOMPATIBLE;
		}
		if (grow((void **)&st->fwds, &st->cap_fwds, st->nfwds, sizeof(*st->fwds)) < 0 ||
		    !(f = calloc(1, sizeof(*f)))) {
			msgf(why, why_cap, "out of memory");
			return LINK_HOST;
		}
		st->fwds[st->nfwds++] = f;
		f->inst = l->inst;
		f->idx = (uint32_t)idx;
		f->nparams = ft->nparams;
		f->nresults = ft->nresults;
		b->u.func.fn = fwd_call;
		b->u.func.ctx = f;
		return LINK_OK;
	}
	case PVF_EXTERN_GLOBAL:
		if (d->params[0] != valtype_char(im->u.global.type) || d->mut != im->u.global.mut) {
			msgf(why, why_cap, "global type %s%c, export has %s%c", im->u.global.mut ? "mut " : "",
				 valtype_char(im->u.global.type), d->mut ? "mut " : "", d->params[0]);
			return LINK_INCOMPATIBLE;
		}
		b->u.global = pvf_instance_export_index(l->inst, (uint32_t)idx);
		break;
	case PVF_EXTERN_MEMORY:
		obj = pvf_instance_export_index(l->inst, (uint32_t)idx);
		eo = obj ? find_obj(st, obj) : NULL;
		if (!eo) {
			msgf(why, why_cap, "exported memory unknown to the runner");
			return LINK_HOST;
		}
		if (!limits_match(((wasm_rt_memory_t *)obj)->pages, eo->has_max, eo->max, &im->u.memory)) {
			msgf(why, why_cap, "memory limits do not match");
			return LINK_INCOMPATIBLE;
		}
		b->u.memory = obj;
		break;
	case PVF_EXTERN_TABLE:
		obj = pvf_instance_export_index(l->inst, (uint32_t)idx);
		eo = obj ? find_obj(st, obj) : NULL;
		if (!eo) {
			msgf(why, why_cap, "exported table unknown to the runner");
			return LINK_HOST;
		}
		if (!limits_match(((wasm_rt_funcref_table_t *)obj)->size, eo->has_max, eo->max,
				  &im->u.table.limits)) {
			msgf(why, why_cap, "table limits do not match");
			return LINK_INCOMPATIBLE;
		}
		b->u.table = obj;
		break;
	default:
		msgf(why, why_cap, "unsupported import kind");
		return LINK_INCOMPATIBLE;
	}
	if (!b->u.global) { /* the union's pointers share storage */
		msgf(why, why_cap, "export getter returned nothing");
		return LINK_HOST;
	}
	return LINK_OK;
}

static link_fail resolve_imports(child_state *st, const pvf_module *m, pvf_binding *b, char *why, size_t why_cap)
{
	for (uint32_t i = 0; i < m->nimports; i++) {
		const pvf_import *im = &m->imports[i];
		loaded *l = NULL;
		bool found = false;
		char what[160], mod[64], field[64];
		link_fail f;

		for (size_t r = st->nregs; r-- > 0 && !found;) {
			if (st->regs[r].as_len == im->module.len &&
			    memcmp(st->regs[r].as, im->module.str, im->module.len) == 0) {
				l = st->regs[r].l;
				found = true;
			}
		}
		what[0] = '\0';
		if (found && l && l->inst)
			f = bind_instance(st, m, im, l, &b[i], what, sizeof(what));
		else if (!found && im->module.len == 8 && memcmp(im->module.str, "spectest", 8) == 0)
			f = bind_spectest(st, m, im, &b[i], what, sizeof(what));
		else {
			f = LINK_UNKNOWN;
			snprintf(what, sizeof(what), "no module registered under that name");
		}
		if (f != LINK_OK) {
			quote_bytes(mod, sizeof(mod), im->module.str, im->module.len);
			quote_bytes(field, sizeof(field), im->field.str, im->field.len);
			msgf(why, why_cap, "import %u \"%s\".\"%s\": %s", i, mod, field, what);
			return f;
		}
	}
	return LINK_OK;
}

/* The value of an offset expression at instantiation. */
static int eval_offset(const pvf_module *m, const pvf_binding *b, const pvf_const_expr *e, uint64_t *ret)
{
	switch (e->kind) {
	case PVF_CONST_I32:
		*ret = (uint32_t)e->value;
		return 0;
	case PVF_CONST_GLOBAL_GET: {
		uint32_t k = 0;
		for (uint32_t i = 0; i < m->nimports; i++) {
			if (m->imports[i].kind != PVF_EXTERN_GLOBAL)
				continue;
			if (k++ == e->value) {
				uint32_t v;
				memcpy(&v, b[i].u.global, sizeof(v));
				*ret = v;
				return 0;
			}
		}
		return -1;
	}
	default:
		return -1;
	}
}

/* MVP instantiation is all or nothing (WebAssembly 1.0, 4.5.4 steps 8-13):
 * every active element and data segment must fit before anything is written.
 * The engine writes segments in order (bulk-memory semantics), so the runner
 * checks them first, against imported objects' current sizes and the
 * module's own initial sizes. */
static link_fail check_segments(const pvf_module *m, const pvf_binding *b, char *why, size_t why_cap)
{
	uint64_t table_size = 0, mem_bytes = 0;

	for (uint32_t i = 0; i < m->nimports; i++) {
		if (m->imports[i].kind == PVF_EXTERN_TABLE)
			table_size = ((wasm_rt_funcref_table_t *)b[i].u.table)->size;
		else if (m->imports[i].kind == PVF_EXTERN_MEMORY)
			mem_bytes = (uint64_t)((wasm_rt_memory_t *)b[i].u.memory)->pages * WASM_PAGE_BYTES;
	}
	if (m->ntable_imports == 0 && m->ntables > 0)
		table_size = m->tables[0].limits.min;
	if (m->nmemory_imports == 0 && m->nmemories > 0)
		mem_bytes = m->memories[0].min * WASM_PAGE_BYTES;

	for (uint32_t i = 0; i < m->nelems; i++) {
		const pvf_elem_segment *s = &m->elems[i];
		uint64_t off;
		if (s->mode != 0)
			continue;
		if (eval_offset(m, b, &s->offset, &off) < 0) {
			msgf(why, why_cap, "element segment %u: offset not evaluable", i);
			return LINK_HOST;
		}
		if (off + s->count > table_size) {
			msgf(why, why_cap, "element segment %u: [%" PRIu64 ", +%u) outside the table of %" PRIu64,
				 i, off, s->count, table_size);
			return LINK_ELEM_OOB;
		}
	}
	for (uint32_t i = 0; i < m->ndatas; i++) {
		const pvf_data_segment *s = &m->datas[i];
		uint64_t off;
		if (!s->active)
			continue;
		if (eval_offset(m, b, &s->offset, &off) < 0) {
			msgf(why, why_cap, "data segment %u: offset not evaluable", i);
			return LINK_HOST;
		}
		if (off + s->size > mem_bytes) {
			msgf(why, why_cap, "data segment %u: [%" PRIu64 ", +%u) outside the memory of %" PRIu64
				 " bytes", i, off, s->size, mem_bytes);
			return LINK_DATA_OOB;
		}
	}
	return LINK_OK;
}

/* ---- 5. loading ------------------------------------------------------------------------------ */

typedef enum load_status {
	LOAD_OK,
	LOAD_REJECTED,        /* the decoder rejected it (err: MALFORMED/INVALID) */
	LOAD_UNLINKABLE,      /* link: see link */
	LOAD_UNINSTANTIABLE,  /* instantiation trapped: see trap */
	LOAD_FAILED,          /* anything else: I/O, preparation, loading, runner */
} load_status;

typedef struct load_result {
	load_status status;
	link_fail link;
	pvf_trap trap;
	pvf_error_code code;
	char msg[MAX_MSG];
	loaded *l;
} load_result;

static int decode_file(child_state *st, const char *file, uint8_t **ret_bytes, size_t *ret_size,
		       pvf_module **ret_m, load_result *res)
{
	char path[PATH_MAX];
	pvf_decode_opts dopts = { st->features, false };
	pvf_error err;
	uint8_t *bytes;
	size_t size;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->json_dir, file) >= sizeof(path)) {
		res->status = LOAD_FAILED;
		msgf(res->msg, sizeof(res->msg), "path too long");
		return -1;
	}
	if (read_file(path, MAX_WASM_FILE, &bytes, &size, &err) < 0) {
		res->status = LOAD_FAILED;
		msgf(res->msg, sizeof(res->msg), "%s", err.msg);
		return -1;
	}
	if (pvf_module_decode(bytes, size, &dopts, ret_m, &err) < 0) {
		res->status = err.code == PVF_E_MALFORMED || err.code == PVF_E_INVALID ? LOAD_REJECTED : LOAD_FAILED;
		res->code = err.code;
		msgf(res->msg, sizeof(res->msg), "%s: %s", pvf_error_code_name(err.code), err.msg);
		free(bytes);
		return -1;
	}
	*ret_bytes = bytes;
	*ret_size = size;
	return 0;
}

static void hex32(char out[65], const uint8_t h[32])
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

/* Prepares (or finds in the cache) and opens the artifact of `bytes`. */
static int get_artifact(child_state *st, const uint8_t *bytes, size_t size, const pvf_module *m,
			pvf_artifact **ret, load_result *res)
{
	const run_opts *o = st->o;
	pvf_prepare_opts popts;
	pvf_artifact_expect expect = { o->toolchain_id, NULL, NULL };
	uint8_t code_hash[32], key[32];
	char path[PATH_MAX], prep_dir[PATH_MAX], hex[65];
	pvf_error err;
	uint32_t words[2] = { st->features, PVF_WASM_MAX_PAGES };
	crypto_generichash_state hs;

	memset(&popts, 0, sizeof(popts));
	popts.cc = o->cc;
	popts.opt_level = o->opt_level;
	popts.max_memory_pages = PVF_WASM_MAX_PAGES;
	popts.features = st->features;
	snprintf(prep_dir, sizeof(prep_dir), "%s/prep", st->work_dir);
	popts.work_dir = prep_dir;

	crypto_generichash(code_hash, sizeof(code_hash), bytes, size, NULL, 0);
	expect.code_hash = code_hash;
	if (o->cache_dir) {
		/* key = BLAKE2b-256(runner executable hash, toolchain id, NUL,
		 * features, max pages, wasm). The executable's hash covers
		 * engine changes that leave the toolchain id alone (glue,
		 * patches of the generated code). */
		crypto_generichash_init(&hs, NULL, 0, sizeof(key));
		crypto_generichash_update(&hs, o->self_hash, sizeof(o->self_hash));
		crypto_generichash_update(&hs, (const uint8_t *)o->toolchain_id, strlen(o->toolchain_id) + 1);
		crypto_generichash_update(&hs, (const uint8_t *)words, sizeof(words));
		crypto_generichash_update(&hs, bytes, size);
		crypto_generichash_final(&hs, key, sizeof(key));
		hex32(hex, key);
		snprintf(path, sizeof(path), "%s/%s.pvfa", o->cache_dir, hex);
		if (access(path, F_OK) == 0) {
			if (pvf_artifact_open(path, &expect, ret, &err) == 0) {
				/* mtime = last use: run-spec.sh prunes unused entries */
				utimensat(AT_FDCWD, path, NULL, 0);
				return 0;
			}
			unlink(path); /* stale or corrupt: prepare again */
		}
	} else {
		snprintf(path, sizeof(path), "%s/a%u.pvfa", st->work_dir, st->artifact_seq++);
	}
	if (pvf_engine_prepare(bytes, size, m, &popts, path, NULL, &err) < 0) {
		res->status = LOAD_FAILED;
		res->code = err.code;
		msgf(res->msg, sizeof(res->msg), "preparation failed: %s: %s", pvf_error_code_name(err.code),
			 err.msg);
		return -1;
	}
	if (pvf_artifact_open(path, &expect, ret, &err) < 0) {
		res->status = LOAD_FAILED;
		res->code = err.code;
		msgf(res->msg, sizeof(res->msg), "cannot open the artifact: %s: %s",
			 pvf_error_code_name(err.code), err.msg);
		return -1;
	}
	return 0;
}

/* Runs a module through the whole pipeline. On LOAD_OK res->l is the new
 * instance (kept until the end of the file). */
static void load_module(child_state *st, const char *file, load_result *res)
{
	uint8_t *bytes = NULL;
	size_t size = 0;
	pvf_module *m = NULL;
	pvf_binding *b = NULL;
	pvf_artifact *a = NULL;
	pvf_instance *inst = NULL;
	loaded *l = NULL;
	pvf_error err;
	link_fail lf;

	memset(res, 0, sizeof(*res));
	if (decode_file(st, file, &bytes, &size, &m, res) < 0)
		return;
	b = calloc(m->nimports + 1u, sizeof(*b));
	if (!b) {
		res->status = LOAD_FAILED;
		msgf(res->msg, sizeof(res->msg), "out of memory");
		goto out;
	}
	lf = resolve_imports(st, m, b, res->msg, sizeof(res->msg));
	/* With bulk memory, segments are written in order and the first one
	 * out of bounds traps at instantiation (the engine's own behaviour). */
	if (lf == LINK_OK && !(st->features & PVF_FEAT_BULK_MEMORY))
		lf = check_segments(m, b, res->msg, sizeof(res->msg));
	if (lf != LINK_OK) {
		res->status = lf == LINK_HOST ? LOAD_FAILED : LOAD_UNLINKABLE;
		res->link = lf;
		goto out;
	}
	if (get_artifact(st, bytes, size, m, &a, res) < 0)
		goto out;
	/* From here on the artifact lives until the end of the file, even if
	 * instantiation fails: segments written before a start-function trap
	 * may point into its code. */
	l = calloc(1, sizeof(*l));
	if (!l || grow((void **)&st->mods, &st->cap_mods, st->nmods, sizeof(*st->mods)) < 0) {
		free(l);
		pvf_artifact_close(a);
		res->status = LOAD_FAILED;
		msgf(res->msg, sizeof(res->msg), "out of memory");
		goto out;
	}
	l->a = a;
	st->mods[st->nmods++] = l;
	if (pvf_instance_new(a, b, m->nimports, NULL, &inst, &res->trap, &err) < 0) {
		res->code = err.code;
		res->status = err.code == PVF_E_INSTANTIATE ? LOAD_UNINSTANTIABLE : LOAD_FAILED;
		msgf(res->msg, sizeof(res->msg), "instantiation failed: %s: %s", pvf_error_code_name(err.code),
			 err.msg);
		goto out;
	}
	l->inst = inst;
	/* Record the declared limits of memories and tables this instance
	 * defines (re-exported imports are already known). */
	for (uint32_t i = 0; i < pvf_artifact_nexports(a); i++) {
		const pvf_extern_desc *d = pvf_artifact_export(a, i);
		void *obj;
		if (d->kind != PVF_EXTERN_MEMORY && d->kind != PVF_EXTERN_TABLE)
			continue;
		obj = pvf_instance_export_index(inst, i);
		if (obj && add_obj(st, obj, d->has_max, d->max) < 0) {
			res->status = LOAD_FAILED;
			msgf(res->msg, sizeof(res->msg), "out of memory");
			goto out;
		}
	}
	res->status = LOAD_OK;
	res->l = l;
out:
	free(b);
	pvf_module_free(m);
	free(bytes);
}

/* ---- 6. actions --------------------------------------------------------------------------------- */

typedef enum act_status { ACT_OK, ACT_TRAP, ACT_ERROR, ACT_SKIP } act_status;

typedef struct act_result {
	act_status status;
	pvf_trap trap;
	char msg[MAX_MSG];
	uint32_t nres;
	char rtypes[MAX_VALUES + 1];
	uint64_t *res;       /* nres values (malloc) */
} act_result;

static void act_result_clear(act_result *r)
{
	free(r->res);
	r->res = NULL;
}

static void do_action(child_state *st, const pvf_json *act, act_result *r)
{
	const char *type = pvf__json_get_str(act, "type", NULL);
	const char *modname = pvf__json_get_str(act, "module", NULL);
	size_t flen;
	const char *field = pvf__json_get_str(act, "field", &flen);
	loaded *l = modname ? find_named(st, modname) : st->current;
	char qfield[128];
	const pvf_extern_desc *d;
	int32_t idx;

	memset(r, 0, sizeof(*r));
	if (!type || !field) {
		r->status = ACT_ERROR;
		msgf(r->msg, sizeof(r->msg), "malformed action");
		return;
	}
	quote_bytes(qfield, sizeof(qfield), field, flen);
	if (!l || !l->inst) {
		r->status = ACT_ERROR;
		msgf(r->msg, sizeof(r->msg), "no instance for %s (its module failed to load)",
			 modname ? modname : "the current module");
		return;
	}
	idx = pvf_artifact_find_export(l->a, field, (uint32_t)flen);
	if (idx < 0) {
		r->status = ACT_ERROR;
		msgf(r->msg, sizeof(r->msg), "no export \"%s\"", qfield);
		return;
	}
	d = pvf_artifact_export(l->a, (uint32_t)idx);

	if (strcmp(type, "get") == 0) {
		void *g;
		if (d->kind != PVF_EXTERN_GLOBAL || !(g = pvf_instance_export_index(l->inst, (uint32_t)idx))) {
			r->status = ACT_ERROR;
			msgf(r->msg, sizeof(r->msg), "export \"%s\" is not a global", qfield);
			return;
		}
		r->res = calloc(1, sizeof(uint64_t));
		if (!r->res) {
			r->status = ACT_ERROR;
			msgf(r->msg, sizeof(r->msg), "out of memory");
			return;
		}
		r->nres = 1;
		r->rtypes[0] = d->params[0];
		r->rtypes[1] = '\0';
		if (is32(d->params[0])) {
			uint32_t v;
			memcpy(&v, g, 4);
			r->res[0] = v;
		} else {
			memcpy(&r->res[0], g, 8);
		}
		r->status = ACT_OK;
		return;
	}
	if (strcmp(type, "invoke") != 0) {
		r->status = ACT_SKIP;
		msgf(r->msg, sizeof(r->msg), "unsupported action type %s", type);
		return;
	}
	if (d->kind != PVF_EXTERN_FUNC) {
		r->status = ACT_ERROR;
		msgf(r->msg, sizeof(r->msg), "export \"%s\" is not a function", qfield);
		return;
	}

	const pvf_json *args = pvf__json_get_array(act, "args");
	size_t nargs = args ? args->len : 0;
	size_t nres = strlen(d->results);
	uint64_t *argv;
	pvf_error err;

	if (nargs > MAX_VALUES || nres > MAX_VALUES || nargs != strlen(d->params)) {
		r->status = ACT_ERROR;
		msgf(r->msg, sizeof(r->msg), "export \"%s\" takes (%s), %zu arguments given", qfield, d->params,
			 nargs);
		return;
	}
	argv = calloc(nargs + 1, sizeof(*argv));
	r->res = calloc(nres + 1, sizeof(*r->res));
	if (!argv || !r->res) {
		free(argv);
		r->status = ACT_ERROR;
		msgf(r->msg, sizeof(r->msg), "out of memory");
		return;
	}
	for (size_t i = 0; i < nargs; i++) {
		value v;
		char why[96];
		int pr = parse_value(args->items[i], false, &v, why, sizeof(why));
		if (pr < 0 || v.any || v.type != d->params[i]) {
			free(argv);
			r->status = pr == -2 ? ACT_SKIP : ACT_ERROR;
			msgf(r->msg, sizeof(r->msg), "argument %zu: %s", i,
				 pr < 0 ? why : "type does not match the export");
			return;
		}
		argv[i] = v.bits;
	}
	memcpy(r->rtypes, d->results, nres + 1);
	r->nres = (uint32_t)nres;
	if (pvf_instance_call_index(l->inst, (uint32_t)idx, argv, (uint32_t)nargs, r->res, (uint32_t)nres, &r->trap,
				    &err) == 0) {
		r->status = ACT_OK;
	} else if (err.code == PVF_E_TRAP) {
		r->status = ACT_TRAP;
		msgf(r->msg, sizeof(r->msg), "trap %s: %s", pvf_trap_name(r->trap.kind), r->trap.msg);
	} else {
		r->status = ACT_ERROR;
		msgf(r->msg, sizeof(r->msg), "call failed: %s: %s", pvf_error_code_name(err.code), err.msg);
	}
	free(argv);
}

/* ---- 7. the child ------------------------------------------------------------------------------- */

typedef enum verdict { V_PASS = 'P', V_FAIL = 'F', V_SKIP = 'S' } verdict;

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(3); /* the parent is gone */
		buf += n;
		len -= (size_t)n;
	}
}

static void report(child_state *st, size_t idx, verdict v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(child_state *st, size_t idx, verdict v, const char *fmt, ...)
{
	char msg[MAX_MSG], line[MAX_MSG + 64];
	va_list ap;
	int n;

	if (idx < st->report_from)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	n = snprintf(line, sizeof(line), "%zu %c %s\n", idx, (char)v, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	write_all(st->out_fd, line, (size_t)n);
}

/* wat2wasm must reject a text module (pvfhost reads only binaries). Returns
 * 1 if it rejected it, 0 if it accepted it, -1 if it could not be run or
 * crashed. */
static int wat2wasm_rejects(child_state *st, const char *file, char *why, size_t why_cap)
{
	char path[PATH_MAX];
	const char *argv[16];
	int n = 0, status;
	pid_t pid;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", st->json_dir, file) >= sizeof(path)) {
		msgf(why, why_cap, "path too long");
		return -1;
	}
	argv[n++] = "wat2wasm";
	if (!(st->features & PVF_FEAT_BULK_MEMORY))
		argv[n++] = "--disable-bulk-memory";
	argv[n++] = "--disable-reference-types";
	argv[n++] = "--disable-multi-value";
	if (!(st->features & PVF_FEAT_SAT_FLOAT_TO_INT))
		argv[n++] = "--disable-saturating-float-to-int";
	if (!(st->features & PVF_FEAT_SIGN_EXT))
		argv[n++] = "--disable-sign-extension";
	argv[n++] = path;
	argv[n++] = "-o";
	argv[n++] = "/dev/null";
	argv[n] = NULL;
	pid = fork();
	if (pid < 0) {
		msgf(why, why_cap, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			msgf(why, why_cap, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
		return 1;
	msgf(why, why_cap, "wat2wasm did not run normally (status 0x%x)", status);
	return -1;
}

static void pass(child_state *st, size_t idx)
{
	report(st, idx, V_PASS, "%s", "");
}

static void cmd_module(child_state *st, size_t idx, const pvf_json *cmd)
{
	const char *file = pvf__json_get_str(cmd, "filename", NULL);
	const char *name = pvf__json_get_str(cmd, "name", NULL);
	load_result res;

	st->current = NULL;
	if (!file) {
		report(st, idx, V_FAIL, "module command without a file name");
		return;
	}
	load_module(st, file, &res);
	if (res.status == LOAD_OK) {
		st->current = res.l;
		pass(st, idx);
	} else {
		report(st, idx, V_FAIL, "%s: %s", file, res.msg);
	}
	if (name && set_named(st, name, st->current) < 0)
		report(st, idx, V_FAIL, "out of memory");
}

static void cmd_register(child_state *st, size_t idx, const pvf_json *cmd)
{
	const char *name = pvf__json_get_str(cmd, "name", NULL);
	size_t as_len;
	const char *as = pvf__json_get_str(cmd, "as", &as_len);
	loaded *l = name ? find_named(st, name) : st->current;

	if (!as || grow((void **)&st->regs, &st->cap_regs, st->nregs, sizeof(*st->regs)) < 0)
		return;
	/* Registered even if the module failed, so imports from it fail as
	 * unlinkable rather than falling back to another module. */
	st->regs[st->nregs++] = (registered){ as, as_len, l };
	(void)idx;
}

static bool results_match(const pvf_json *expected, const act_result *r, char *why, size_t why_cap)
{
	size_t n = expected ? expected->len : 0;

	if (n != r->nres) {
		msgf(why, why_cap, "%u results, %zu expected", r->nres, n);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		value want;
		char got_s[96], want_s[96], pwhy[96];
		if (parse_value(expected->items[i], true, &want, pwhy, sizeof(pwhy)) < 0) {
			msgf(why, why_cap, "expected value %zu: %s", i, pwhy);
			return false;
		}
		if (want.type != r->rtypes[i]) {
			msgf(why, why_cap, "result %zu has type %c, expected %c", i, r->rtypes[i], want.type);
			return false;
		}
		if (!value_matches(&want, r->res[i])) {
			format_value(got_s, sizeof(got_s), r->rtypes[i], r->res[i]);
			if (want.nan != NAN_NONE)
				snprintf(want_s, sizeof(want_s), "nan:%s",
					 want.nan == NAN_CANONICAL ? "canonical" : "arithmetic");
			else
				format_value(want_s, sizeof(want_s), want.type, want.bits);
			msgf(why, why_cap, "result %zu: got %s, expected %s", i, got_s, want_s);
			return false;
		}
	}
	return true;
}

static void cmd_action(child_state *st, size_t idx, const pvf_json *cmd, cmd_kind k)
{
	const pvf_json *act = pvf__json_get(cmd, "action");
	const char *text = pvf__json_get_str(cmd, "text", NULL);
	act_result r;
	char why[MAX_MSG];

	do_action(st, act, &r);
	if (r.status == ACT_SKIP) {
		report(st, idx, V_SKIP, "%s", r.msg);
	} else if (r.status == ACT_ERROR) {
		report(st, idx, V_FAIL, "%s", r.msg);
	} else if (k == K_ACTION) {
		if (r.status == ACT_OK)
			pass(st, idx);
		else
			report(st, idx, V_FAIL, "action trapped: %s", r.msg);
	} else if (k == K_ASSERT_RETURN) {
		if (r.status != ACT_OK)
			report(st, idx, V_FAIL, "%s", r.msg);
		else if (!results_match(pvf__json_get_array(cmd, "expected"), &r, why, sizeof(why)))
			report(st, idx, V_FAIL, "%s", why);
		else
			pass(st, idx);
	} else { /* assert_trap, assert_exhaustion */
		if (r.status == ACT_OK)
			report(st, idx, V_FAIL, "returned normally, expected trap \"%s\"", text ? text : "");
		else if (k == K_ASSERT_EXHAUSTION && r.trap.kind != PVF_TRAP_STACK_EXHAUSTED)
			report(st, idx, V_FAIL, "%s, expected call stack exhaustion", r.msg);
		else if (k == K_ASSERT_TRAP && !trap_text_matches(r.trap.kind, text))
			report(st, idx, V_FAIL, "%s, expected \"%s\"", r.msg, text ? text : "");
		else
			pass(st, idx);
	}
	act_result_clear(&r);
}

static void cmd_reject(child_state *st, size_t idx, const pvf_json *cmd, cmd_kind k)
{
	const char *file = pvf__json_get_str(cmd, "filename", NULL);
	const char *text = pvf__json_get_str(cmd, "text", NULL);
	uint8_t *bytes = NULL;
	size_t size = 0;
	pvf_module *m = NULL;
	load_result res;
	char why[MAX_MSG];

	if (!file) {
		report(st, idx, V_FAIL, "command without a file name");
		return;
	}
	if (cmd_is_text(cmd)) {
		int r = wat2wasm_rejects(st, file, why, sizeof(why));
		if (r == 1)
			pass(st, idx);
		else if (r == 0)
			report(st, idx, V_FAIL, "wat2wasm accepted %s (expected \"%s\")", file, text ? text : "");
		else
			report(st, idx, V_FAIL, "%s: %s", file, why);
		return;
	}
	memset(&res, 0, sizeof(res));
	if (decode_file(st, file, &bytes, &size, &m, &res) == 0) {
		report(st, idx, V_FAIL, "%s: the decoder accepted it (expected %s \"%s\")", file, kind_names[k],
		       text ? text : "");
		pvf_module_free(m);
		free(bytes);
		return;
	}
	if (res.status == LOAD_REJECTED)
		pass(st, idx);
	else
		report(st, idx, V_FAIL, "%s: %s", file, res.msg);
}

static void cmd_link_assert(child_state *st, size_t idx, const pvf_json *cmd, cmd_kind k)
{
	const char *file = pvf__json_get_str(cmd, "filename", NULL);
	const char *text = pvf__json_get_str(cmd, "text", NULL);
	load_result res;

	if (!file) {
		report(st, idx, V_FAIL, "command without a file name");
		return;
	}
	if (cmd_is_text(cmd)) {
		report(st, idx, V_SKIP, "text module in %s: not supported", kind_names[k]);
		return;
	}
	load_module(st, file, &res);
	if (k == K_ASSERT_UNLINKABLE) {
		if (res.status != LOAD_UNLINKABLE)
			report(st, idx, V_FAIL, "%s: %s, expected unlinkable \"%s\"", file,
			       res.status == LOAD_OK ? "linked and instantiated" : res.msg, text ? text : "");
		else if (text && strcmp(text, link_fail_text(res.link)) != 0)
			report(st, idx, V_FAIL, "%s: unlinkable as \"%s\" (%s), expected \"%s\"", file,
			       link_fail_text(res.link), res.msg, text);
		else
			pass(st, idx);
		return;
	}
	/* assert_uninstantiable: the start function traps (or, in the MVP
	 * suite's wording, a trap during instantiation) */
	if (res.status != LOAD_UNINSTANTIABLE)
		report(st, idx, V_FAIL, "%s: %s, expected an instantiation trap \"%s\"", file,
		       res.status == LOAD_OK ? "instantiated" : res.msg, text ? text : "");
	else if (!trap_text_matches(res.trap.kind, text))
		report(st, idx, V_FAIL, "%s: %s, expected \"%s\"", file, res.msg, text ? text : "");
	else
		pass(st, idx);
}

static int rm_dir(const char *dir)
{
	/* The work directory holds only artifacts (a<N>.pvfa) and prepare's
	 * scratch directory, which prepare empties itself. */
	char path[PATH_MAX];

	for (unsigned i = 0;; i++) {
		snprintf(path, sizeof(path), "%s/a%u.pvfa", dir, i);
		if (unlink(path) < 0 && errno == ENOENT)
			break;
	}
	snprintf(path, sizeof(path), "%s/prep", dir);
	rmdir(path);
	return rmdir(dir);
}

/* Runs every command of one JSON file; reports to out_fd. Returns the exit
 * status for the child. */
static int run_file(const run_opts *o, const char *json_path, uint32_t features, size_t report_from,
		    const bool *skip, int out_fd)
{
	child_state st;
	uint8_t *text;
	size_t len;
	pvf_json *root;
	const pvf_json *cmds;
	pvf_error err;
	char dir[PATH_MAX], *slash;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	st.o = o;
	st.features = features;
	st.out_fd = out_fd;
	st.report_from = report_from;
	st.skip = skip;
	snprintf(dir, sizeof(dir), "%s", json_path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	st.json_dir = dir;
	if (o->work_root)
		snprintf(st.work_dir, sizeof(st.work_dir), "%s/%d", o->work_root, (int)getpid());
	else
		snprintf(st.work_dir, sizeof(st.work_dir), "%s/pvfhost-spec-%d",
			 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	if (mkdir(st.work_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "spec-runner: cannot create %s: %s\n", st.work_dir, strerror(errno));
		return 2;
	}
	if (read_file(json_path, MAX_JSON_FILE, &text, &len, &err) < 0 ||
	    pvf__json_parse((const char *)text, len, &root, &err) < 0) {
		fprintf(stderr, "spec-runner: %s: %s\n", json_path, err.msg);
		rm_dir(st.work_dir);
		return 2;
	}
	free(text);
	cmds = pvf__json_get_array(root, "commands");
	for (size_t i = 0; cmds && i < cmds->len; i++) {
		const pvf_json *cmd = cmds->items[i];
		cmd_kind k = cmd_kind_of(cmd);
		char begin[32];

		if (skip && skip[i])
			continue;
		/* "B <index>": the parent knows which command a crash hit */
		if (i >= report_from)
			write_all(out_fd, begin, (size_t)snprintf(begin, sizeof(begin), "B %zu\n", i));
		switch (k) {
		case K_MODULE:
			cmd_module(&st, i, cmd);
			break;
		case K_REGISTER:
			cmd_register(&st, i, cmd);
			break;
		case K_ACTION:
		case K_ASSERT_RETURN:
		case K_ASSERT_TRAP:
		case K_ASSERT_EXHAUSTION:
			cmd_action(&st, i, cmd, k);
			break;
		case K_ASSERT_INVALID:
		case K_ASSERT_MALFORMED:
			cmd_reject(&st, i, cmd, k);
			break;
		case K_ASSERT_UNLINKABLE:
		case K_ASSERT_UNINSTANTIABLE:
			cmd_link_assert(&st, i, cmd, k);
			break;
		default:
			report(&st, i, V_FAIL, "unknown command type");
			break;
		}
	}
	child_state_free(&st);
	pvf__json_free(root);
	rm_dir(st.work_dir);
	write_all(out_fd, "D\n", 2);
	return rc;
}

/* ---- 8. the parent ---------------------------------------------------------------------------- */

typedef struct cmd_info {
	unsigned line;
	cmd_kind kind;
	bool text;
	char status;      /* 0 until reported, then P/F/S */
	char *msg;        /* failure message (malloc) */
} cmd_info;

typedef struct file_job {
	const char *path;
	const char *name;
	const char *features_name;
	uint32_t features;
	cmd_info *cmds;
	size_t ncmds;
	size_t nmodules;
	pid_t pid;
	int fd;
	double start, elapsed;
	char buf[MAX_REPORT_LINE];
	size_t buflen;
	bool finished_marker, done, timed_out;
	/* resuming after a crash: the next child replays commands before
	 * report_from silently and skips those that crashed */
	bool *skip;
	size_t report_from;
	long begun;               /* last "B" index, -1 if none */
	double child_start;
	unsigned restarts;
	int wstatus;
	unsigned passed, failed, skipped, text_passed, text_failed, excluded;
} file_job;

static int load_commands(file_job *f)
{
	uint8_t *text;
	size_t len;
	pvf_json *root;
	const pvf_json *cmds;
	pvf_error err;

	if (read_file(f->path, MAX_JSON_FILE, &text, &len, &err) < 0 ||
	    pvf__json_parse((const char *)text, len, &root, &err) < 0) {
		fprintf(stderr, "spec-runner: %s: %s\n", f->path, err.msg);
		return -1;
	}
	free(text);
	cmds = pvf__json_get_array(root, "commands");
	if (!cmds) {
		fprintf(stderr, "spec-runner: %s: no \"commands\" array\n", f->path);
		pvf__json_free(root);
		return -1;
	}
	f->ncmds = cmds->len;
	f->cmds = calloc(cmds->len + 1, sizeof(*f->cmds));
	f->skip = calloc(cmds->len + 1, sizeof(*f->skip));
	f->begun = -1;
	if (!f->cmds || !f->skip) {
		pvf__json_free(root);
		return -1;
	}
	for (size_t i = 0; i < cmds->len; i++) {
		f->cmds[i].line = cmd_line(cmds->items[i]);
		f->cmds[i].kind = cmd_kind_of(cmds->items[i]);
		f->cmds[i].text = cmd_is_text(cmds->items[i]);
		if (f->cmds[i].kind == K_MODULE || f->cmds[i].kind == K_ASSERT_UNINSTANTIABLE)
			f->nmodules++;
	}
	pvf__json_free(root);
	return 0;
}

static void handle_line(file_job *f, char *line)
{
	char *end;
	unsigned long long idx;
	cmd_info *c;

	if (strcmp(line, "D") == 0) {
		f->finished_marker = true;
		return;
	}
	if (line[0] == 'B' && line[1] == ' ') {
		errno = 0;
		idx = strtoull(line + 2, &end, 10);
		if (!errno && end != line + 2 && !*end && idx < f->ncmds)
			f->begun = (long)idx;
		return;
	}
	errno = 0;
	idx = strtoull(line, &end, 10);
	if (errno || end == line || *end != ' ' || idx >= f->ncmds || !end[1] ||
	    (end[1] != 'P' && end[1] != 'F' && end[1] != 'S'))
		return; /* not a report line */
	c = &f->cmds[idx];
	if (c->status == 'F')
		return; /* first failure wins */
	c->status = end[1];
	free(c->msg);
	c->msg = NULL;
	if (end[1] != 'P' && end[2] == ' ')
		c->msg = strdup(end + 3);
}

static void read_reports(file_job *f)
{
	char tmp[4096];
	ssize_t n = read(f->fd, tmp, sizeof(tmp));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(f->fd);
		f->fd = -1;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (tmp[i] == '\n') {
			f->buf[f->buflen] = '\0';
			handle_line(f, f->buf);
			f->buflen = 0;
		} else if (f->buflen + 1 < sizeof(f->buf)) {
			f->buf[f->buflen++] = tmp[i];
		}
	}
}

static int start_child(const run_opts *o, file_job *f)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		_exit(run_file(o, f->path, f->features, f->report_from, f->skip, p[1]));
	}
	close(p[1]);
	f->pid = pid;
	f->fd = p[0];
	f->child_start = now_s();
	if (f->start == 0)
		f->start = f->child_start;
	return 0;
}

/* The child's pipe is closed and the child reaped. Returns true when the
 * file must continue in a new child: the command that crashed or hung is
 * failed and skipped, the new child replays everything before it silently
 * (rebuilding the instances) and reports from the next command on. */
static bool finish_child(file_job *f)
{
	char why[160];
	int st = f->wstatus;

	if (f->timed_out)
		snprintf(why, sizeof(why), "timed out (%s) and was killed", "per-file limit");
	else if (WIFSIGNALED(st))
		snprintf(why, sizeof(why), "child killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !f->finished_marker)
		snprintf(why, sizeof(why), "child exited with status %d before finishing",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	else
		why[0] = '\0';
	if (why[0] && f->begun >= 0 && (size_t)f->begun >= f->report_from && f->restarts < MAX_RESTARTS &&
	    f->skip) {
		cmd_info *c = &f->cmds[f->begun];
		if (!c->status) {
			c->status = 'F';
			free(c->msg);
			c->msg = malloc(sizeof(why) + 64);
			if (c->msg)
				snprintf(c->msg, sizeof(why) + 64, "%s during this command (the rest of the file "
					 "ran in a new child)", why);
		}
		f->skip[f->begun] = true;
		f->report_from = (size_t)f->begun + 1;
		f->restarts++;
		f->begun = -1;
		f->buflen = 0;
		f->finished_marker = f->timed_out = false;
		f->pid = 0;
		return true;
	}
	f->elapsed = now_s() - f->start;
	f->done = true;
	for (size_t i = 0; i < f->ncmds; i++) {
		cmd_info *c = &f->cmds[i];
		if (!c->status && cmd_counted(c->kind)) {
			c->status = 'F';
			c->msg = strdup(why[0] ? why : "no report from the child");
		}
		if (!cmd_counted(c->kind)) {
			/* register: not counted, but a failure report is shown */
			continue;
		}
		if (c->status == 'P') {
			f->passed++;
			f->text_passed += c->text;
		} else if (c->status == 'S') {
			f->skipped++;
		} else {
			f->failed++;
			f->text_failed += c->text;
			if (find_exclusion(f->name, c->line))
				f->excluded++;
		}
	}
	return false;
}

static void print_failures(const run_opts *o, const file_job *f)
{
	unsigned shown = 0;

	for (size_t i = 0; i < f->ncmds; i++) {
		const cmd_info *c = &f->cmds[i];
		const exclusion *ex;
		if (!cmd_counted(c->kind) || (c->status != 'F' && !(o->verbose && c->status == 'S')))
			continue;
		ex = c->status == 'F' ? find_exclusion(f->name, c->line) : NULL;
		if (!o->verbose && !ex && shown >= DEFAULT_SHOWN_FAILURES) {
			shown++;
			continue;
		}
		if (!ex)
			shown++;
		printf("%s %s:%u %s%s: %s\n", ex ? "XFAIL" : c->status == 'S' ? "SKIP" : "FAIL", f->name, c->line,
		       kind_names[c->kind], c->text ? " (text)" : "", c->msg ? c->msg : "");
		if (ex)
			printf("      excluded: %s\n", ex->reason);
	}
	if (shown > DEFAULT_SHOWN_FAILURES && !o->verbose)
		printf("... %u more failures in %s (use -v)\n", shown - DEFAULT_SHOWN_FAILURES, f->name);
}

/* Starts a child for `f`; if that fails the file is finished as failed.
 * Returns whether a child runs. */
static bool launch(const run_opts *o, file_job *f)
{
	if (start_child(o, f) == 0)
		return true;
	fprintf(stderr, "spec-runner: cannot start a child for %s: %s\n", f->name, strerror(errno));
	f->wstatus = 0x7f00; /* exit status 127 */
	f->begun = -1;       /* nothing to resume */
	finish_child(f);
	return false;
}

static int cmp_by_modules(const void *a, const void *b)
{
	const file_job *x = *(file_job *const *)a, *y = *(file_job *const *)b;

	return (x->nmodules < y->nmodules) - (x->nmodules > y->nmodules);
}

/* ---- self-test of the JSON parser (spec-runner --self-test) ----------------------------- */

static unsigned st_failures;

static void st_check(bool ok, const char *what)
{
	if (!ok) {
		printf("self-test FAIL: %s\n", what);
		st_failures++;
	}
}

static uint64_t st_u64(const pvf_json *v)
{
	uint64_t x = UINT64_MAX;

	pvf__json_u64(v, &x);
	return x;
}

static bool st_rejects(const char *text, size_t len)
{
	pvf_json *root = NULL;
	pvf_error err;

	if (pvf__json_parse(text, len, &root, &err) == 0) {
		pvf__json_free(root);
		return false;
	}
	return err.code == PVF_E_MALFORMED;
}

/* Expected values come from RFC 8259 (the JSON grammar, section 13's
 * examples, section 7's escapes); the rejections are RFC 8259 grammar
 * violations, plus this parser's documented strictness (lone surrogates,
 * duplicate keys). */
static int json_self_test(void)
{
	static const char rfc_example1[] =
		"{\n  \"Image\": {\n    \"Width\":  800,\n    \"Height\": 600,\n"
		"    \"Title\":  \"View from 15th Floor\",\n    \"Thumbnail\": {\n"
		"      \"Url\":    \"http://www.example.com/image/481989943\",\n"
		"      \"Height\": 125,\n      \"Width\":  100\n    },\n"
		"    \"Animated\" : false,\n    \"IDs\": [116, 943, 234, 38793]\n  }\n}\n";
	static const char rfc_example2[] =
		"[{\"precision\": \"zip\", \"Latitude\": 37.7668, \"Longitude\": -122.3959,"
		" \"Address\": \"\", \"City\": \"SAN FRANCISCO\", \"State\": \"CA\", \"Zip\": \"94107\","
		" \"Country\": \"US\"}, {\"precision\": \"zip\", \"Latitude\": 37.371991,"
		" \"Longitude\": -122.026020, \"Address\": \"\", \"City\": \"SUNNYVALE\", \"State\": \"CA\","
		" \"Zip\": \"94085\", \"Country\": \"US\"}]";
	/* RFC 8259 section 7: "\u005C" is a reverse solidus; the G clef
	 * U+1D11E is "\uD834\uDD1E" (UTF-8 F0 9D 84 9E); plus \u0000. */
	static const char escapes[] = "[\"a\\u005Cb\", \"\\uD834\\uDD1E\", \"x\\u0000y\", \"\\t\\n\\/\"]";
	static const char *const bad[] = {
		"", " ", "[1,]", "{\"a\":1,}", "[01]", "[1 2]", "{'a':1}", "[.5]", "[1.]", "[1e]", "[-]",
		"[+1]", "[\"\t\"]", "[\"\\x\"]", "[\"\\u12\"]", "[tru]", "[nul]", "{\"a\" 1}", "{1:2}",
		"[1]]", "[1] x", "\"abc", "[\"\\uDEAD\"]", "[\"\\uD834\"]", "{\"a\":1,\"a\":2}",
		"[\"\xc3\x28\"]", "[\"\xed\xa0\x80\"]", "[\"\xc0\xaf\"]", "\xef\xbb\xbf[]",
	};
	pvf_json *root;
	const pvf_json *img, *ids, *v;
	pvf_error err;
	size_t len;
	const char *str;
	char deep[2 * (PVF_JSON_MAX_DEPTH + 2) + 1];

	st_check(pvf__json_parse(rfc_example1, sizeof(rfc_example1) - 1, &root, &err) == 0, "RFC 8259 example 1");
	if (!st_failures) {
		img = pvf__json_get(root, "Image");
		st_check(st_u64(pvf__json_get(img, "Width")) == 800, "Width 800");
		st_check(st_u64(pvf__json_get(img, "Height")) == 600, "Height 600");
		str = pvf__json_get_str(img, "Title", &len);
		st_check(str && len == 20 && memcmp(str, "View from 15th Floor", 20) == 0, "Title");
		st_check(st_u64(pvf__json_get(pvf__json_get(img, "Thumbnail"), "Height")) == 125, "Thumbnail Height");
		v = pvf__json_get(img, "Animated");
		st_check(v && v->kind == PVF_JSON_FALSE, "Animated false");
		ids = pvf__json_get_array(img, "IDs");
		st_check(ids && ids->len == 4 && st_u64(ids->items[0]) == 116 && st_u64(ids->items[3]) == 38793,
			 "IDs [116, 943, 234, 38793]");
		pvf__json_free(root);
	}
	if (pvf__json_parse(rfc_example2, sizeof(rfc_example2) - 1, &root, &err) == 0) {
		st_check(root->kind == PVF_JSON_ARRAY && root->len == 2, "example 2: two objects");
		v = root->len == 2 ? pvf__json_get(root->items[1], "Longitude") : NULL;
		st_check(v && v->kind == PVF_JSON_NUMBER && strcmp(v->str, "-122.026020") == 0,
			 "example 2: number text kept");
		st_check(v && pvf__json_u64(v, &(uint64_t){ 0 }) < 0, "a fraction is not a u64");
		str = root->len == 2 ? pvf__json_get_str(root->items[1], "City", NULL) : NULL;
		st_check(str && strcmp(str, "SUNNYVALE") == 0, "example 2: City");
		pvf__json_free(root);
	} else {
		st_check(false, "RFC 8259 example 2");
	}
	if (pvf__json_parse(escapes, sizeof(escapes) - 1, &root, &err) == 0) {
		st_check(root->len == 4 && root->items[0]->len == 3 && memcmp(root->items[0]->str, "a\\b", 3) == 0,
			 "\\u005C");
		st_check(root->items[1]->len == 4 && memcmp(root->items[1]->str, "\xf0\x9d\x84\x9e", 4) == 0,
			 "surrogate pair U+1D11E");
		st_check(root->items[2]->len == 3 && memcmp(root->items[2]->str, "x\0y", 3) == 0, "\\u0000");
		st_check(root->items[3]->len == 3 && memcmp(root->items[3]->str, "\t\n/", 3) == 0, "short escapes");
		pvf__json_free(root);
	} else {
		st_check(false, err.msg);
	}
	st_check(pvf__json_parse_u64("18446744073709551615", 20, &(uint64_t){ 0 }) == 0, "UINT64_MAX");
	st_check(pvf__json_parse_u64("18446744073709551616", 20, &(uint64_t){ 0 }) < 0, "UINT64_MAX + 1");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[80];
		snprintf(what, sizeof(what), "rejects bad[%zu]", i);
		st_check(st_rejects(bad[i], strlen(bad[i])), what);
	}
	st_check(st_rejects("[1\0]", 4), "rejects an embedded NUL");
	/* nesting: PVF_JSON_MAX_DEPTH levels pass, one more fails */
	for (unsigned d = PVF_JSON_MAX_DEPTH; d <= PVF_JSON_MAX_DEPTH + 1; d++) {
		memset(deep, '[', d + 1);
		memset(deep + d + 1, ']', d + 1);
		root = NULL;
		if (d == PVF_JSON_MAX_DEPTH) {
			st_check(pvf__json_parse(deep, 2 * (size_t)(d + 1), &root, &err) == 0, "maximum depth");
			pvf__json_free(root);
		} else {
			st_check(st_rejects(deep, 2 * (size_t)(d + 1)), "depth limit");
		}
	}
	printf("JSON self-test: %s\n", st_failures ? "FAILED" : "passed");
	return st_failures ? 1 : 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: spec-runner [-j N] [--cache DIR] [--work DIR] [--cc CC] [-O LEVEL] [--timeout S] [-v]\n"
		"                   [--features mvp|signext|pvf|bulk] FILE.json ... [--features X FILE.json ...]\n"
		"Runs wast2json output through pvfhost (decode, wasm2c + cc, load, instantiate, call).\n"
		"--features applies to the files after it (default mvp).\n"
		"spec-runner --self-test   checks the JSON parser.\n");
}

int main(int argc, char **argv)
{
	run_opts o = { .jobs = 2, .timeout_s = DEFAULT_FILE_TIMEOUT_S };
	file_job *files = NULL, **order = NULL;
	size_t nfiles = 0, next = 0, running = 0;
	const char *feat_name = "mvp";
	uint32_t feats = features_bits(feat_name);
	static char opt_buf[32];
	pvf_prepare_opts popts;
	pvf_error err;
	double t0 = now_s();
	unsigned kp[K__COUNT] = { 0 }, kf[K__COUNT] = { 0 }, ks[K__COUNT] = { 0 };
	unsigned tp = 0, tf = 0, tsk = 0, ttp = 0, ttf = 0, texcl = 0;

	if (argc == 2 && strcmp(argv[1], "--self-test") == 0)
		return json_self_test();
	files = calloc((size_t)argc + 1, sizeof(*files));
	order = calloc((size_t)argc + 1, sizeof(*order));
	if (!files || !order)
		return 2;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "-v") == 0) {
			o.verbose = true;
		} else if (strcmp(a, "-j") == 0 && val) {
			o.jobs = (unsigned)strtoul(val, NULL, 10);
			i++;
		} else if (strncmp(a, "-j", 2) == 0 && a[2]) {
			o.jobs = (unsigned)strtoul(a + 2, NULL, 10);
		} else if (strcmp(a, "--cache") == 0 && val) {
			o.cache_dir = val;
			i++;
		} else if (strcmp(a, "--work") == 0 && val) {
			o.work_root = val;
			i++;
		} else if (strcmp(a, "--cc") == 0 && val) {
			o.cc = val;
			i++;
		} else if (strcmp(a, "-O") == 0 && val) {
			snprintf(opt_buf, sizeof(opt_buf), "-O%s", val[0] == '-' && val[1] == 'O' ? val + 2 : val);
			o.opt_level = opt_buf;
			i++;
		} else if (strncmp(a, "-O", 2) == 0 && a[2]) {
			o.opt_level = a;
		} else if (strcmp(a, "--timeout") == 0 && val) {
			o.timeout_s = (unsigned)strtoul(val, NULL, 10);
			i++;
		} else if (strcmp(a, "--features") == 0 && val) {
			feats = features_bits(val);
			feat_name = val;
			if (feats == UINT32_MAX) {
				fprintf(stderr, "spec-runner: unknown feature set \"%s\" (mvp, signext)\n", val);
				return 2;
			}
			i++;
		} else if (a[0] == '-') {
			fprintf(stderr, "spec-runner: unknown option %s\n", a);
			usage(stderr);
			return 2;
		} else {
			files[nfiles].path = a;
			files[nfiles].name = base_name(a);
			files[nfiles].features = feats;
			files[nfiles].features_name = feat_name;
			files[nfiles].fd = -1;
			nfiles++;
		}
	}
	if (nfiles == 0 || o.jobs == 0 || o.jobs > MAX_JOBS) {
		usage(stderr);
		return 2;
	}
	if (o.cache_dir && mkdir(o.cache_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "spec-runner: cannot create %s: %s\n", o.cache_dir, strerror(errno));
		return 2;
	}
	if (o.work_root && mkdir(o.work_root, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "spec-runner: cannot create %s: %s\n", o.work_root, strerror(errno));
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "spec-runner: libsodium failed to initialise\n");
		return 2;
	}
	memset(&popts, 0, sizeof(popts));
	popts.cc = o.cc;
	popts.opt_level = o.opt_level;
	if (o.cache_dir) {
		uint8_t *self;
		size_t self_len;
		if (read_file("/proc/self/exe", MAX_SELF_EXE, &self, &self_len, &err) < 0) {
			fprintf(stderr, "spec-runner: %s\n", err.msg);
			return 2;
		}
		crypto_generichash(o.self_hash, sizeof(o.self_hash), self, self_len, NULL, 0);
		free(self);
	}
	if (pvf_engine_toolchain_id(&popts, &o.toolchain_id, &err) < 0) {
		fprintf(stderr, "spec-runner: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (load_commands(&files[i]) < 0)
			return 1;
		order[i] = &files[i];
	}
	/* Longest files first, so -j keeps every slot busy until the end. */
	qsort(order, nfiles, sizeof(*order), cmp_by_modules);

	while (next < nfiles || running > 0) {
		struct pollfd pfd[MAX_JOBS];
		file_job *pj[MAX_JOBS];
		nfds_t np = 0;

		while (running < o.jobs && next < nfiles)
			running += launch(&o, order[next++]);
		for (size_t i = 0; i < nfiles && np < MAX_JOBS; i++) {
			if (files[i].pid > 0 && !files[i].done) {
				pfd[np].fd = files[i].fd;
				pfd[np].events = POLLIN;
				pj[np++] = &files[i];
			}
		}
		if (np == 0)
			continue;
		if (poll(pfd, np, 1000) < 0 && errno != EINTR)
			break;
		for (nfds_t i = 0; i < np; i++) {
			file_job *f = pj[i];
			if (f->fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				read_reports(f);
			if (f->fd < 0) {
				while (waitpid(f->pid, &f->wstatus, 0) < 0 && errno == EINTR)
					;
				if (finish_child(f) && launch(&o, f))
					continue;
				running--;
				if (o.verbose)
					fprintf(stderr, "spec-runner: %s done in %.1f s\n", f->name, f->elapsed);
			} else if (!f->timed_out && o.timeout_s && now_s() - f->child_start > o.timeout_s) {
				f->timed_out = true;
				kill(f->pid, SIGKILL);
			}
		}
	}

	for (size_t i = 0; i < nfiles; i++)
		print_failures(&o, &files[i]);
	printf("\n%-36s %-8s %8s %8s %8s %10s\n", "file", "features", "passed", "failed", "skipped", "text p/f");
	for (size_t i = 0; i < nfiles; i++) {
		file_job *f = &files[i];
		char tcol[32];
		snprintf(tcol, sizeof(tcol), "%u/%u", f->text_passed, f->text_failed);
		printf("%-36s %-8s %8u %8u %8u %10s\n", f->name, f->features_name, f->passed, f->failed, f->skipped,
		       tcol);
		tp += f->passed;
		tf += f->failed;
		tsk += f->skipped;
		ttp += f->text_passed;
		ttf += f->text_failed;
		texcl += f->excluded;
		for (size_t j = 0; j < f->ncmds; j++) {
			const cmd_info *c = &f->cmds[j];
			if (!cmd_counted(c->kind))
				continue;
			if (c->status == 'P')
				kp[c->kind]++;
			else if (c->status == 'S')
				ks[c->kind]++;
			else
				kf[c->kind]++;
		}
	}
	printf("\n%-36s %8s %8s %8s\n", "command kind", "passed", "failed", "skipped");
	for (int k = 0; k < K__COUNT; k++)
		if (kp[k] + kf[k] + ks[k])
			printf("%-36s %8u %8u %8u\n", kind_names[k], kp[k], kf[k], ks[k]);
	printf("%-36s %8u %8u\n", "(of which text modules, via wat2wasm)", ttp, ttf);
	printf("\n%zu files, %u commands counted, %u failures excluded (see docs/conformance.md), wall time %.1f s\n",
	       nfiles, tp + tf + tsk, texcl, now_s() - t0);
	if (tsk)
		printf("%u passed, %u failed, %u skipped\n", tp, tf, tsk);
	else
		printf("%u passed, %u failed\n", tp, tf);
	fflush(stdout);
	for (size_t i = 0; i < nfiles; i++) {
		for (size_t j = 0; j < files[i].ncmds; j++)
			free(files[i].cmds[j].msg);
		free(files[i].cmds);
		free(files[i].skip);
	}
	free(files);
	free(order);
	free(o.toolchain_id);
	return tf == texcl ? 0 : 1;
}
