/*
 * membase.c — linear-memory loads and stores of the generated C through a
 * base pointer that each function reads once.
 *
 * wasm2c 1.0.32 passes the memory's descriptor to every load and store
 * helper (`i32_load(instance->Z_envZ_memory, addr)`), and the helper reads
 * `mem->data` each time. A store writes through a byte pointer, which may
 * alias the instance and the descriptor, so after every store and every
 * call the compiler loads both pointers again: two dependent loads before
 * the access itself. pvfhost's runtime reserves a linear memory once and
 * grows it in place (rt.c: guard pages, mprotect), so `data` does not
 * change while the instance lives. Each function that accesses memory
 * therefore reads it once into a local,
 *
 *     u8* const pvf_mb = (instance->Z_envZ_memory)->data;
 *
 * and its accesses call `_b` variants of the helpers that take that
 * pointer: `i32_load_b(pvf_mb, addr)`. The accesses, their order and their
 * traps (the guard pages) are unchanged; the compiler has less to do and
 * the code is smaller (docs/performance.md, "Memory accesses through a base
 * pointer").
 *
 * A helper call whose first argument is not `instance->NAME` or
 * `&instance->NAME`, or names another memory than the function's first
 * access did, is left as wasm2c wrote it, which is equally correct; so is
 * the whole text when split.c cannot read its function definitions.
 */
#include "engine/membase.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ctext.h"
#include "engine/split.h"

/* wasm2c's last helper instantiation; the `_b` variants go after it. */
static const char anchor[] = "DEFINE_STORE(i64_store32, u32, u64)\n";

/* The `_b` helpers: wasm2c's little-endian, guard-page definitions, with
 * the base pointer for the descriptor. Float loads keep their value in an
 * SSE register on x86-64 (wasm2c's keep-alive asm takes a general register,
 * which costs a move per load); tcc and other targets use "r". */
static const char helpers[] =
	"/* pvfhost: loads and stores through the memory's base pointer, which\n"
	" * each function reads once into pvf_mb (membase.c). */\n"
	"#if !WASM_RT_MEMCHECK_SIGNAL_HANDLER || WABT_BIG_ENDIAN\n"
	"#error \"pvfhost: base-pointer accesses need guard pages on a little-endian target\"\n"
	"#endif\n"
	"#define PVF_DEFINE_LOAD_B(name, t1, t2, t3, reg)        \\\n"
	"  static inline t3 name##_b(u8* base, u64 addr) {      \\\n"
	"    t1 result;                                         \\\n"
	"    wasm_rt_memcpy(&result, base + addr, sizeof(t1));  \\\n"
	"    wasm_asm(\"\" ::reg(result));                        \\\n"
	"    return (t3)(t2)result;                             \\\n"
	"  }\n"
	"#define PVF_DEFINE_STORE_B(name, t1, t2)                       \\\n"
	"  static inline void name##_b(u8* base, u64 addr, t2 value) { \\\n"
	"    t1 wrapped = (t1)value;                                   \\\n"
	"    wasm_rt_memcpy(base + addr, &wrapped, sizeof(t1));        \\\n"
	"  }\n"
	"#if defined(__x86_64__) && !defined(__TINYC__)\n"
	"#define PVF_FLOAT_REG \"x\"\n"
	"#else\n"
	"#define PVF_FLOAT_REG \"r\"\n"
	"#endif\n"
	"PVF_DEFINE_LOAD_B(i32_load, u32, u32, u32, \"r\")\n"
	"PVF_DEFINE_LOAD_B(i64_load, u64, u64, u64, \"r\")\n"
	"PVF_DEFINE_LOAD_B(f32_load, f32, f32, f32, PVF_FLOAT_REG)\n"
	"PVF_DEFINE_LOAD_B(f64_load, f64, f64, f64, PVF_FLOAT_REG)\n"
	"PVF_DEFINE_LOAD_B(i32_load8_s, s8, s32, u32, \"r\")\n"
	"PVF_DEFINE_LOAD_B(i64_load8_s, s8, s64, u64, \"r\")\n"
	"PVF_DEFINE_LOAD_B(i32_load8_u, u8, u32, u32, \"r\")\n"
	"PVF_DEFINE_LOAD_B(i64_load8_u, u8, u64, u64, \"r\")\n"
	"PVF_DEFINE_LOAD_B(i32_load16_s, s16, s32, u32, \"r\")\n"
	"PVF_DEFINE_LOAD_B(i64_load16_s, s16, s64, u64, \"r\")\n"
	"PVF_DEFINE_LOAD_B(i32_load16_u, u16, u32, u32, \"r\")\n"
	"PVF_DEFINE_LOAD_B(i64_load16_u, u16, u64, u64, \"r\")\n"
	"PVF_DEFINE_LOAD_B(i64_load32_s, s32, s64, u64, \"r\")\n"
	"PVF_DEFINE_LOAD_B(i64_load32_u, u32, u64, u64, \"r\")\n"
	"PVF_DEFINE_STORE_B(i32_store, u32, u32)\n"
	"PVF_DEFINE_STORE_B(i64_store, u64, u64)\n"
	"PVF_DEFINE_STORE_B(f32_store, f32, f32)\n"
	"PVF_DEFINE_STORE_B(f64_store, f64, f64)\n"
	"PVF_DEFINE_STORE_B(i32_store8, u8, u32)\n"
	"PVF_DEFINE_STORE_B(i32_store16, u16, u32)\n"
	"PVF_DEFINE_STORE_B(i64_store8, u8, u64)\n"
	"PVF_DEFINE_STORE_B(i64_store16, u16, u64)\n"
	"PVF_DEFINE_STORE_B(i64_store32, u32, u64)\n";

/* The helpers above, by name (those `helpers` defines, nothing else). */
static const char *const helper_names[] = {
	"i32_load",     "i64_load",     "f32_load",     "f64_load",     "i32_load8_s",  "i64_load8_s",
	"i32_load8_u",  "i64_load8_u",  "i32_load16_s", "i64_load16_s", "i32_load16_u", "i64_load16_u",
	"i64_load32_s", "i64_load32_u", "i32_store",    "i64_store",    "f32_store",    "f64_store",
	"i32_store8",   "i32_store16",  "i64_store8",   "i64_store16",  "i64_store32",
};

/* Longest memory expression taken (wasm2c's are "instance->" plus a
 * mangled name: short). */
#define MAX_EXPR 200u

static const char base_var[] = "pvf_mb";
static const char decl_head[] = "  u8* const pvf_mb = (";
static const char decl_tail[] = ")->data;\n";

static bool is_helper(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(helper_names) / sizeof(helper_names[0]); i++)
		if (strlen(helper_names[i]) == n && !memcmp(helper_names[i], p, n))
			return true;
	return false;
}

/* One helper call "NAME(EXPR, " found at a '(' in [lo, hi). */
typedef struct access {
	const char *open;   /* the '(' */
	const char *expr;   /* EXPR */
	size_t expr_len;    /* its length; the ", " follows */
} access;

/* The helper call whose '(' is at p, or false. EXPR must be
 * "instance->NAME" or "&instance->NAME" followed by ", ". */
static bool access_at(const char *lo, const char *hi, const char *p, access *a)
{
	const char *n = p, *e = p + 1;

	while (n > lo && pvf__c_ident_char(n[-1]))
		n--;
	if (!is_helper(n, (size_t)(p - n)))
		return false;
	if (e < hi && *e == '&')
		e++;
	if ((size_t)(hi - e) < 10 || memcmp(e, "instance->", 10) != 0)
		return false;
	e += 10;
	if (e >= hi || !pvf__c_ident_char(*e))
		return false;
	while (e < hi && pvf__c_ident_char(*e))
		e++;
	if ((size_t)(hi - e) < 2 || e[0] != ',' || e[1] != ' ' || (size_t)(e - (p + 1)) > MAX_EXPR)
		return false;
	a->open = p;
	a->expr = p + 1;
	a->expr_len = (size_t)(e - (p + 1));
	return true;
}

/* The next access in [p, hi) through the memory `expr` (NULL: any), or
 * NULL. Every access's memory expression contains "instance->", which is
 * far rarer in the text than '(': the search goes from one to the next. */
static const char *next_access(const char *lo, const char *p, const char *hi, const char *expr, size_t expr_len,
			       access *a)
{
	while (p < hi && (p = memmem(p, (size_t)(hi - p), "instance->", 10))) {
		const char *open = p - 1;
		if (open > lo && *open == '&')
			open--;
		if (open > lo && *open == '(' && access_at(lo, hi, open, a) &&
		    (!expr || (a->expr_len == expr_len && !memcmp(a->expr, expr, expr_len))))
			return open;
		p += 10;
	}
	return NULL;
}

static void put(char **w, const char *s, size_t n)
{
	memcpy(*w, s, n);
	*w += n;
}

/* Copies one function definition [s, e) to *w, rewritten when it
 * accesses memory. */
static void rewrite_def(const char *s, const char *e, char **w, uint32_t *funcs, uint64_t *calls)
{
	/* the signature (wasm2c wraps a long one) ends at the first brace */
	const char *body = memchr(s, '{', (size_t)(e - s)), *p, *expr;
	size_t expr_len;
	access a;

	if (!body || body - s < 2 || body[-2] != ')' || body[-1] != ' ' || body + 1 >= e || body[1] != '\n' ||
	    !next_access(s, body + 2, e, NULL, 0, &a)) {
		put(w, s, (size_t)(e - s));
		return;
	}
	body += 2;
	expr = a.expr;
	expr_len = a.expr_len;
	put(w, s, (size_t)(body - s));
	put(w, decl_head, sizeof(decl_head) - 1);
	put(w, expr, expr_len);
	put(w, decl_tail, sizeof(decl_tail) - 1);
	(*funcs)++;
	/* a holds the first access already */
	p = body;
	do {
		put(w, p, (size_t)(a.open - p));
		put(w, "_b(", 3);
		put(w, base_var, sizeof(base_var) - 1);
		p = a.expr + a.expr_len;
		(*calls)++;
	} while (next_access(s, p, e, expr, expr_len, &a));
	put(w, p, (size_t)(e - p));
}

int pvf__membase_rewrite(char **buf, size_t *len, pvf_prepare_stats *stats, pvf_error *err)
{
	const char *src = *buf, *at = strstr(src, anchor);
	pvf_text_span *defs = NULL;
	uint32_t n = 0;
	size_t cap, done;
	char *out, *w;

	stats->membase_funcs = 0;
	stats->membase_accesses = 0;
	if (!at || strstr(at + 1, anchor))
		return pvf_error_set(err, PVF_E_TOOL, "unexpected wasm2c output: memory helpers not found");
	if (pvf__split_defs(src, *len, &defs, &n, err) < 0) {
		if (err->code != PVF_E_TOOL)
			return -1;
		/* Text the splitter does not follow (wasm2c names some exports'
		 * functions without its prefix): left as wasm2c wrote it. A
		 * module split into chunks has always been read here. */
		pvf_error_clear(err);
		return 0;
	}
	if (n && (size_t)(at - src) >= defs[0].start) {
		free(defs);
		return pvf_error_set(err, PVF_E_TOOL, "unexpected wasm2c output: memory helpers after the functions");
	}
	/* A rewritten call is shorter than the original ("_b(pvf_mb" against
	 * "(instance->X"); each function grows by one declaration at most. */
	cap = *len + sizeof(helpers) + (size_t)n * (sizeof(decl_head) + sizeof(decl_tail) + MAX_EXPR) + 1;
	out = malloc(cap);
	if (!out) {
		free(defs);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory rewriting memory accesses");
	}
	w = out;
	done = (size_t)(at - src) + sizeof(anchor) - 1;
	put(&w, src, done);
	put(&w, helpers, sizeof(helpers) - 1);
	for (uint32_t i = 0; i < n; i++) {
		put(&w, src + done, defs[i].start - done);
		rewrite_def(src + defs[i].start, src + defs[i].end, &w, &stats->membase_funcs, &stats->membase_accesses);
		done = defs[i].end;
	}
	put(&w, src + done, *len - done);
	*w = '\0';
	free(defs);
	free(*buf);
	*buf = out;
	*len = (size_t)(w - out);
	return 0;
}
