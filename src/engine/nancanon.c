/*
 * nancanon.c — NaN canonicalisation of the generated C: every float
 * arithmetic result whose bits can be seen becomes the canonical NaN when it
 * is a NaN, as Polkadot's executor does (docs/architecture.md, "NaN
 * canonicalisation").
 *
 * Where the test goes comes from the module's analysis (wasm/nanflow.c):
 * at an arithmetic statement, or at the read of a local that holds only
 * arithmetic results. The analysis counts what wasm2c writes; before it is
 * used for a function, every statement of that function is checked against
 * it (kind, operation, type, local). A function that does not match
 * exactly, or that the analysis did not follow, gets the test at every
 * arithmetic statement except one whose value is next consumed by tested
 * arithmetic (a straight-line look at the following lines).
 */
#include "engine/nancanon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ctext.h"

static const char nan_canon_defs[] =
	"\n/* pvfhost: NaN canonicalisation. Every float arithmetic result that is a\n"
	" * NaN becomes the canonical NaN (f32 0x7fc00000, f64 0x7ff8000000000000),\n"
	" * as in Polkadot's executor (wasmtime with NaN canonicalisation): a NaN's\n"
	" * bits would otherwise depend on the processor and the operands.\n"
	" * A NaN test and a branch the processor predicts as not taken, to a cold\n"
	" * function that the compiler cannot fold into a blend: the test is off\n"
	" * the dependency chain of the arithmetic (a blend sits on it). */\n"
	"static __attribute__((noinline, cold)) f32 pvf_canon_nan_f32(void) {\n"
	"  return f32_reinterpret_i32(0x7fc00000u);\n"
	"}\n"
	"static __attribute__((noinline, cold)) f64 pvf_canon_nan_f64(void) {\n"
	"  return f64_reinterpret_i64(0x7ff8000000000000ull);\n"
	"}\n"
	"static inline __attribute__((always_inline)) f32 pvf_canon_f32(f32 x) {\n"
	"  if (__builtin_expect(__builtin_isnan(x), 0))\n"
	"    x = pvf_canon_nan_f32();\n"
	"  return x;\n"
	"}\n"
	"static inline __attribute__((always_inline)) f64 pvf_canon_f64(f64 x) {\n"
	"  if (__builtin_expect(__builtin_isnan(x), 0))\n"
	"    x = pvf_canon_nan_f64();\n"
	"  return x;\n"
	"}\n";

/* The wasm2c 1.0.32 statements that compute a float arithmetic result,
 * each on one line, into a stack variable (w2c_fN: f32, w2c_dN: f64):
 * "V op= W;" for add, sub, mul, div, and "V = F(...);" for these. Negation,
 * absolute value and copysign only move bits and are left alone (wasm
 * defines their NaN bits exactly). */
static const char *const nan_canon_calls[] = {
	"FMIN(", "FMAX(", "wasm_sqrtf(", "wasm_sqrt(", "wasm_ceilf(", "wasm_ceil(", "wasm_floorf(", "wasm_floor(",
	"wasm_truncf(", "wasm_trunc(", "wasm_nearbyintf(", "wasm_nearbyint(", "(f32)wasm_quiet(", "(f64)wasm_quietf(",
};

/* Length of a float stack variable at p ("w2c_f12", "w2c_d0_0": wasm2c adds
 * "_N" suffixes in nested scopes), or 0. */
static size_t float_var(const char *p, bool *is_f64)
{
	size_t n = 5;

	if (strncmp(p, "w2c_", 4) != 0 || (p[4] != 'f' && p[4] != 'd'))
		return 0;
	*is_f64 = p[4] == 'd';
	while (p[n] >= '0' && p[n] <= '9')
		n++;
	if (n == 5)
		return 0;
	while (p[n] == '_' && p[n + 1] >= '0' && p[n + 1] <= '9') {
		n++;
		while (p[n] >= '0' && p[n] <= '9')
			n++;
	}
	return n;
}

/* One float arithmetic statement on a line: "V op= rhs;" or "V = F(...);". */
typedef struct float_stmt {
	const char *p;      /* start of V */
	size_t vn;          /* length of V */
	bool f64;
	char op;            /* + - * / for "V op= rhs", else 0 */
	const char *rhs;
	const char *semi;
} float_stmt;

static bool parse_float_stmt(const char *line, size_t ll, float_stmt *st)
{
	const char *p = line;

	memset(st, 0, sizeof(*st));
	while (p < line + ll && *p == ' ')
		p++;
	if ((size_t)(line + ll - p) <= 8 || !(st->vn = float_var(p, &st->f64)))
		return false;
	st->p = p;
	if (p[st->vn] == ' ' && strchr("+-*/", p[st->vn + 1]) && p[st->vn + 2] == '=' && p[st->vn + 3] == ' ') {
		st->op = p[st->vn + 1];
		st->rhs = p + st->vn + 4;
	} else if (!strncmp(p + st->vn, " = ", 3)) {
		for (size_t k = 0; k < sizeof(nan_canon_calls) / sizeof(nan_canon_calls[0]); k++)
			if (!strncmp(p + st->vn + 3, nan_canon_calls[k], strlen(nan_canon_calls[k])))
				st->rhs = p + st->vn + 3;
	}
	if (!st->rhs)
		return false;
	st->semi = memchr(st->rhs, ';', (size_t)(line + ll - st->rhs));
	return st->semi && (st->semi[1] == '\n' || st->semi[1] == '\0' || st->semi[1] == ' ');
}

/* Whether the whole identifier v (length n) occurs in [a, b). */
static bool has_var(const char *a, const char *b, const char *v, size_t n)
{
	for (const char *q = a; q + n <= b; q++)
		if (!memcmp(q, v, n) && (q + n == b || !pvf__c_ident_char(q[n])) && (q == a || !pvf__c_ident_char(q[-1])))
			return true;
	return false;
}

/* Whether the value a float statement leaves in its variable can be left
 * as it is: looking at the next few plain assignment lines, the first that
 * mentions the variable is canonicalised arithmetic of the same type that
 * reads or overwrites it, or a plain assignment that overwrites it without
 * reading it. Anything else (a branch, a call, a store, a local.set, the end
 * of the lookahead) keeps the test. */
static bool canon_not_needed(const float_stmt *st, const char *from, const char *end)
{
	const char *line = from;

	for (int k = 0; k < 8 && line < end; k++) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t ll = eol ? (size_t)(eol - line) + 1 : (size_t)(end - line);
		const char *lend = line + ll;
		float_stmt nx;

		if (parse_float_stmt(line, ll, &nx)) {
			bool dest = nx.vn == st->vn && !memcmp(nx.p, st->p, st->vn);
			if (nx.f64 == st->f64 && (dest || has_var(nx.rhs, nx.semi, st->p, st->vn)))
				return true;
			if (has_var(line, lend, st->p, st->vn))
				return false;
		} else {
			/* A plain "x = ...;" statement, nothing else. */
			const char *p = line, *eq;
			while (p < lend && *p == ' ')
				p++;
			if (strncmp(p, "w2c_", 4) != 0 || !(eq = memchr(p, '=', (size_t)(lend - p))) ||
			    eq - p < 5 || eq[-1] != ' ' || memchr(p, '{', (size_t)(lend - p)) ||
			    memchr(p, '}', (size_t)(lend - p)) || !memchr(eq, ';', (size_t)(lend - eq)))
				return false;
			bool reads = has_var(eq + 1, lend, st->p, st->vn);
			bool writes = (size_t)(eq - 1 - p) == st->vn && !memcmp(p, st->p, st->vn) && eq[1] == ' ';
			if (reads)
				return false;
			if (writes)
				return true;   /* overwritten unread: dead */
			if (has_var(p, eq, st->p, st->vn))
				return false;  /* e.g. a compound assignment to it */
		}
		line = lend;
	}
	return false;
}

/* A float negation "V = -(W);": tcc 0.9.27 compiles it as a subtraction
 * from zero, which quiets a signalling NaN and keeps a NaN's sign; wasm
 * defines neg as a sign-bit flip. For tcc it becomes a call of the compat
 * header's bit flip (toolchain.c). Returns the offset just past "-(", or 0
 * when the line is not such a negation. */
static size_t float_negation(const char *line, size_t ll, bool *is_f64)
{
	const char *p = line;
	size_t vn;

	while (p < line + ll && *p == ' ')
		p++;
	if ((size_t)(line + ll - p) <= 12 || !(vn = float_var(p, is_f64)) || strncmp(p + vn, " = -(", 5) != 0)
		return 0;
	return (size_t)(p - line) + vn + 5;
}

/* ---- placement from the analysis ---- */

/* "<indent>V = w2c_lN;" or "... = w2c_pN;": wasm2c's local.get of a float
 * local (N: the local's index, parameters first). */
typedef struct float_get {
	const char *p;      /* start of V */
	size_t vn;
	bool f64;
	uint32_t local;
	const char *rhs;    /* "w2c_lN" */
	const char *semi;
} float_get;

static bool parse_float_get(const char *line, size_t ll, float_get *g)
{
	const char *p = line, *end = line + ll, *q;
	uint64_t n = 0;

	while (p < end && *p == ' ')
		p++;
	if ((size_t)(end - p) <= 12 || !(g->vn = float_var(p, &g->f64)))
		return false;
	g->p = p;
	q = p + g->vn;
	if ((size_t)(end - q) < 9 || strncmp(q, " = w2c_", 7) != 0 || (q[7] != 'l' && q[7] != 'p'))
		return false;
	g->rhs = q + 3;
	q += 8;
	if (q >= end || *q < '0' || *q > '9')
		return false;
	while (q < end && *q >= '0' && *q <= '9' && n <= UINT32_MAX)
		n = n * 10 + (uint64_t)(*q++ - '0');
	if (n > UINT32_MAX || q + 1 >= end || q[0] != ';' || q[1] != '\n')
		return false;
	g->local = (uint32_t)n;
	g->semi = q;
	return true;
}

/* The wasm operation behind an arithmetic statement, checked. */
static bool arith_matches(const float_stmt *st, uint8_t op)
{
	static const struct {
		uint8_t op;
		bool f64;
		char c;
		const char *call;
	} ops[] = {
		{ 0x92, false, '+', NULL }, { 0x93, false, '-', NULL }, { 0x94, false, '*', NULL },
		{ 0x95, false, '/', NULL }, { 0xA0, true, '+', NULL },  { 0xA1, true, '-', NULL },
		{ 0xA2, true, '*', NULL },  { 0xA3, true, '/', NULL },
		{ 0x96, false, 0, "FMIN(" }, { 0x97, false, 0, "FMAX(" }, { 0xA4, true, 0, "FMIN(" },
		{ 0xA5, true, 0, "FMAX(" },
		{ 0x91, false, 0, "wasm_sqrtf(" }, { 0x9F, true, 0, "wasm_sqrt(" },
		{ 0x8D, false, 0, "wasm_ceilf(" }, { 0x9B, true, 0, "wasm_ceil(" },
		{ 0x8E, false, 0, "wasm_floorf(" }, { 0x9C, true, 0, "wasm_floor(" },
		{ 0x8F, false, 0, "wasm_truncf(" }, { 0x9D, true, 0, "wasm_trunc(" },
		{ 0x90, false, 0, "wasm_nearbyintf(" }, { 0x9E, true, 0, "wasm_nearbyint(" },
		{ 0xB6, false, 0, "(f32)wasm_quiet(" }, { 0xBB, true, 0, "(f64)wasm_quietf(" },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (ops[i].op != op)
			continue;
		if (ops[i].f64 != st->f64)
			return false;
		if (ops[i].c)
			return st->op == ops[i].c;
		return !st->op && !strncmp(st->rhs, ops[i].call, strlen(ops[i].call));
	}
	return false;
}

/* Where the lines of the generated code are, function by function: wasm2c
 * declares the defined functions in module order ("static T NAME(
 * Z_m_instance_t*, ...);") and defines them in the same order
 * ("static T NAME(Z_m_instance_t* instance, ...) {" ... "}"). */
typedef struct tracker {
	const pvf_nanflow *nf;
	char **names;         /* declared order */
	size_t *name_lens;
	uint32_t nnames;
	uint32_t next_def;
	int64_t cur;          /* function of the current line, or -1 */
	uint32_t ai, gi;      /* next arithmetic statement, next read */
} tracker;

#define PROTO_MARK "(Z_m_instance_t*"

/* The name in a line that declares ("static T NAME(Z_m_instance_t*, ...")
 * or defines ("static T NAME(Z_m_instance_t* instance, ...") a function.
 * Long parameter lists continue on the next line, so only the start is
 * looked at. */
static bool func_line(const char *line, size_t ll, bool def, const char **name, size_t *nl)
{
	const char *paren, *after, *e = line + ll;

	if (ll < 8 || strncmp(line, "static ", 7) != 0)
		return false;
	paren = memmem(line, ll, PROTO_MARK, sizeof(PROTO_MARK) - 1);
	if (!paren)
		return false;
	after = paren + sizeof(PROTO_MARK) - 1;
	if (def ? (size_t)(e - after) < 9 || strncmp(after, " instance", 9) != 0
		: after >= e || (*after != ',' && *after != ')'))
		return false;
	*name = paren;
	while (*name > line + 7 && pvf__c_ident_char((*name)[-1]))
		(*name)--;
	*nl = (size_t)(paren - *name);
	return *nl > 0;
}

static void tracker_free(tracker *t)
{
	for (uint32_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	free(t->name_lens);
	memset(t, 0, sizeof(*t));
}

/* Collects the declared names; with a count that does not match the
 * analysis, no function uses it. */
static int tracker_init(tracker *t, const pvf_nanflow *nf, const char *in, const char *end, pvf_error *err)
{
	uint32_t cap = 0;

	memset(t, 0, sizeof(*t));
	t->cur = -1;
	if (!nf)
		return 0;
	for (const char *line = in; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t ll = eol ? (size_t)(eol - line) + 1 : (size_t)(end - line);
		const char *name;
		size_t nl;

		if (func_line(line, ll, false, &name, &nl)) {
			if (t->nnames == cap) {
				cap = cap ? cap * 2 : 64;
				char **n2 = realloc(t->names, cap * sizeof(*n2));
				size_t *l2 = n2 ? realloc(t->name_lens, cap * sizeof(*l2)) : NULL;
				if (n2)
					t->names = n2;
				if (!n2 || !l2)
					goto nomem;
				t->name_lens = l2;
			}
			if (!(t->names[t->nnames] = strndup(name, nl)))
				goto nomem;
			t->name_lens[t->nnames++] = nl;
		}
		line += ll;
	}
	if (t->nnames == nf->nfuncs)
		t->nf = nf;
	return 0;
nomem:
	tracker_free(t);
	return pvf_error_set(err, PVF_E_NOMEM, "out of memory patching generated code");
}

/* Moves the tracker over one line: function starts and ends. */
static void tracker_line(tracker *t, const char *line, size_t ll)
{
	const char *name;
	size_t nl;

	if (!t->nf)
		return;
	if (t->cur >= 0) {
		if (ll >= 2 && line[0] == '}' && line[1] == '\n')
			t->cur = -1;
		return;
	}
	if (func_line(line, ll, true, &name, &nl) && t->next_def < t->nnames &&
	    nl == t->name_lens[t->next_def] && !memcmp(name, t->names[t->next_def], nl)) {
		t->cur = t->next_def++;
		t->ai = t->gi = 0;
	}
}

/* Pass 1: whether every statement of each function is what the analysis
 * counted, in order. ok[i] for defined function i. */
static void check_functions(tracker *t, const char *in, const char *end, bool *ok)
{
	for (uint32_t i = 0; t->nf && i < t->nf->nfuncs; i++)
		ok[i] = t->nf->funcs[i].analysed;
	for (const char *line = in; t->nf && line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t ll = eol ? (size_t)(eol - line) + 1 : (size_t)(end - line);
		int64_t was = t->cur;
		float_stmt st;
		float_get g;

		tracker_line(t, line, ll);
		if (was >= 0 && t->cur < 0) {
			/* the function ended: everything counted was seen */
			const pvf_nanflow_func *f = &t->nf->funcs[was];
			if (t->ai != f->narith || t->gi != f->nget)
				ok[was] = false;
		} else if (t->cur >= 0 && ok[t->cur]) {
			const pvf_nanflow_func *f = &t->nf->funcs[t->cur];
			if (parse_float_stmt(line, ll, &st)) {
				if (t->ai >= f->narith || !arith_matches(&st, f->arith[t->ai].op))
					ok[t->cur] = false;
				t->ai++;
			} else if (parse_float_get(line, ll, &g)) {
				const pvf_nanflow_get *e = t->gi < f->nget ? &f->get[t->gi] : NULL;
				if (!e || e->local != g.local || e->f64 != g.f64 ||
				    (g.rhs[4] == 'p') != (g.local < f->nparams))
					ok[t->cur] = false;
				t->gi++;
			}
		}
		line += ll;
	}
	/* A function never reached as a definition: not used. */
	for (uint32_t i = t->next_def; t->nf && i < t->nf->nfuncs; i++)
		ok[i] = false;
	t->next_def = 0;
	t->cur = -1;
}

/* Writes the line with [from, to) wrapped in "fn(...)"; returns the new
 * output length. The caller has made room. */
static size_t wrap_span(char *out, size_t o, const char *line, size_t ll, const char *from, const char *to,
			const char *fn)
{
	memcpy(out + o, line, (size_t)(from - line));
	o += (size_t)(from - line);
	o += (size_t)sprintf(out + o, "%s(", fn);
	memcpy(out + o, from, (size_t)(to - from));
	o += (size_t)(to - from);
	out[o++] = ')';
	memcpy(out + o, to, (size_t)(line + ll - to));
	return o + (size_t)(line + ll - to);
}

int pvf__canonicalize_nans(char **buf, size_t *len, bool tcc, const pvf_nanflow *nf, pvf_prepare_stats *stats,
			   pvf_error *err)
{
	tracker t;
	bool *ok = NULL;
	const char *in = *buf;
	size_t cap = *len + *len / 4 + 4096, o = 0;
	char *out = malloc(cap);
	const char *anchor = strstr(in, "DEFINE_REINTERPRET(i64_reinterpret_f64, f64, u64)");

	/* By length: the generated file may hold NUL bytes (names in comments). */
	const char *end = in + *len;

	if (!out)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory patching generated code");
	if (!anchor) {
		free(out);
		return pvf_error_set(err, PVF_E_TOOL, "unexpected wasm2c output: no f64 reinterpret helper");
	}
	anchor = strchr(anchor, '\n');
	if (tracker_init(&t, nf, in, end, err) < 0) {
		free(out);
		return -1;
	}
	if (t.nf) {
		ok = calloc(t.nf->nfuncs ? t.nf->nfuncs : 1, sizeof(*ok));
		if (!ok) {
			free(out);
			tracker_free(&t);
			return pvf_error_set(err, PVF_E_NOMEM, "out of memory patching generated code");
		}
		check_functions(&t, in, end, ok);
		for (uint32_t i = 0; i < t.nf->nfuncs; i++)
			stats->nan_funcs_placed += ok[i];
	}
	stats->nan_funcs = nf ? nf->nfuncs : 0;
	for (const char *line = in; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t ll = eol ? (size_t)(eol - line) + 1 : (size_t)(end - line);
		float_stmt st;
		float_get g;
		size_t extra = 0, neg = 0;
		bool canon = false, canon_get = false, neg_f64 = false;

		tracker_line(&t, line, ll);
		if (t.cur >= 0 && ok[t.cur]) {
			/* placed by the analysis (checked by check_functions) */
			const pvf_nanflow_func *f = &t.nf->funcs[t.cur];
			if (parse_float_stmt(line, ll, &st))
				canon = f->arith[t.ai++].need;
			else if (parse_float_get(line, ll, &g))
				canon_get = f->get[t.gi++].canon;
		} else if (parse_float_stmt(line, ll, &st)) {
			canon = !canon_not_needed(&st, line + ll, end);
		}
		if (!canon && !canon_get && tcc)
			neg = float_negation(line, ll, &neg_f64);
		extra = canon ? 64 + st.vn : canon_get ? 32 : neg ? 32 : 0;
		stats->nan_tests_arith += canon;
		stats->nan_tests_read += canon_get;
		if (o + ll + extra + sizeof(nan_canon_defs) + 1 > cap) {
			cap = (o + ll + extra + sizeof(nan_canon_defs) + 1) * 2;
			char *nb = realloc(out, cap);
			if (!nb) {
				free(out);
				free(ok);
				tracker_free(&t);
				return pvf_error_set(err, PVF_E_NOMEM, "out of memory patching generated code");
			}
			out = nb;
		}
		if (canon && !st.op) {
			/* "V = F(...);" becomes "V = pvf_canon_fXX(F(...));" */
			o = wrap_span(out, o, line, ll, st.rhs, st.semi, st.f64 ? "pvf_canon_f64" : "pvf_canon_f32");
		} else if (canon) {
			/* "V op= rhs;" becomes "V = pvf_canon_fXX(V op rhs);" */
			size_t ind = (size_t)(st.p - line);
			memcpy(out + o, line, ind + st.vn);
			o += ind + st.vn;
			o += (size_t)sprintf(out + o, " = pvf_canon_%s(", st.f64 ? "f64" : "f32");
			memcpy(out + o, st.p, st.vn);
			o += st.vn;
			o += (size_t)sprintf(out + o, " %c ", st.op);
			memcpy(out + o, st.rhs, (size_t)(st.semi - st.rhs));
			o += (size_t)(st.semi - st.rhs);
			out[o++] = ')';
			memcpy(out + o, st.semi, (size_t)(line + ll - st.semi));
			o += (size_t)(line + ll - st.semi);
		} else if (canon_get) {
			/* "V = w2c_lN;" becomes "V = pvf_canon_fXX(w2c_lN);" */
			o = wrap_span(out, o, line, ll, g.rhs, g.semi, g.f64 ? "pvf_canon_f64" : "pvf_canon_f32");
		} else if (neg) {
			/* "V = -(" becomes "V = pvf_tcc_fneg_fXX(" */
			memcpy(out + o, line, neg - 2);
			o += neg - 2;
			o += (size_t)sprintf(out + o, "pvf_tcc_fneg_%s(", neg_f64 ? "f64" : "f32");
			memcpy(out + o, line + neg, ll - neg);
			o += ll - neg;
		} else {
			memcpy(out + o, line, ll);
			o += ll;
		}
		if (anchor && line + ll == anchor + 1) {
			memcpy(out + o, nan_canon_defs, sizeof(nan_canon_defs) - 1);
			o += sizeof(nan_canon_defs) - 1;
			anchor = NULL;
		}
		line += ll;
	}
	out[o] = '\0';
	free(ok);
	tracker_free(&t);
	if (anchor) {
		free(out);
		return pvf_error_set(err, PVF_E_TOOL, "unexpected wasm2c output: helper anchor not at a line end");
	}
	free(*buf);
	*buf = out;
	*len = o;
	return 0;
}

