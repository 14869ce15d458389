/*
 * decode.c — the WebAssembly binary decoder: module structure, sections,
 * constant expressions and module-level validation.
 *
 * Divisions:
 *   1. error helpers, counted reads, names and UTF-8 (shared with validate.c)
 *   2. types, limits, constant expressions
 *   3. one decoder per section
 *   4. pvf_module_decode: header, section loop and order, final checks
 *
 * Flow: the binary is read once, front to back, by one bounds-checked
 * reader (decode_internal.h). Each section gets its own reader whose `end`
 * is the section's end; after the section decoder returns, the reader must
 * be exactly at its end ("section size mismatch" otherwise). Function
 * bodies are validated as the code section is read (validate.c), with a
 * context (pvf__modctx) of everything earlier sections declared; the
 * section order rules guarantee that context is complete by then.
 *
 * Invariants: every count read from the input is checked against its
 * PVF_WASM_MAX_* limit and against the bytes left before it sizes an
 * allocation; allocation sizes go through __builtin_mul_overflow; on
 * failure everything allocated so far is released by pvf_module_free.
 *
 * Error classes: binary-format problems are PVF_E_MALFORMED, failures of
 * the validation rules PVF_E_INVALID; a post-MVP feature used but not
 * enabled is reported with the feature's name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "wasm/decode_internal.h"

/* Custom sections kept per module (each costs at least 2 input bytes). */
#define MAX_CUSTOM_SECTIONS 100000u
/* Tags (exceptions proposal) per module, imports included. */
#define MAX_TAGS 100000u
/* Tables and memories per module, imports included (multi-table /
 * multi-memory only; MVP allows one of each). */
#define MAX_TABLES 100000u
#define MAX_MEMORIES 100000u
/* memory64: at most 2^48 pages (the spec's limit for 64-bit memories). */
#define MAX_PAGES64 (1ull << 48)

/* ------------------------------------------------------------------ */
/* 1. errors, counts, names                                            */

static int fail_v(const pvf__reader *r, size_t off, pvf_error_code code, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int fail_v(const pvf__reader *r, size_t off, pvf_error_code code, const char *fmt, va_list ap)
{
	char msg[PVF_ERROR_MSG_MAX];

	if (!r->err)
		return -1;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (r->item_kind) {
		pvf_error_set(r->err, code, "%s (%s section, %s %u, offset 0x%zx)", msg,
				     r->section ? r->section : "?", r->item_kind, r->item, off);
		return -1;
	}
	pvf_error_set(r->err, code, "%s (%s section, offset 0x%zx)", msg,
			     r->section ? r->section : "module", off);
	return -1;
}

int pvf__fail(const pvf__reader *r, pvf_error_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_v(r, r->pos, code, fmt, ap);
	va_end(ap);
	return -1;
}

int pvf__fail_at(const pvf__reader *r, size_t off, pvf_error_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_v(r, off, code, fmt, ap);
	va_end(ap);
	return -1;
}

int pvf__rd_count(pvf__reader *r, uint32_t limit, size_t min_item_bytes, const char *what,
		  uint32_t *ret)
{
	size_t start = r->pos;
	uint32_t n;

	if (pvf__rd_u32(r, &n) < 0)
		return -1;
	if (n > limit) {
		pvf__fail_at(r, start, PVF_E_MALFORMED, "too many %s: %u (limit %u)", what, n,
				    limit);
		return -1;
	}
	if (min_item_bytes && n > pvf__rd_left(r) / min_item_bytes) {
		pvf__fail_at(r, start, PVF_E_MALFORMED,
				    "unexpected end: %u %s cannot fit in %zu bytes", n, what,
				    pvf__rd_left(r));
		return -1;
	}
	*ret = n;
	return 0;
}

static void *alloc_array(size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return calloc(bytes ? bytes : 1, 1);
}

static int nomem(const pvf__reader *r)
{
	pvf_error_set(r->err, PVF_E_NOMEM, "out of memory while decoding %s section",
			     r->section ? r->section : "module");
	return -1;
}

static int read_name(pvf__reader *r, pvf_name *ret)
{
	uint32_t len;
	const uint8_t *p;
	size_t start = r->pos;
	char *s;

	if (pvf__rd_u32(r, &len) < 0 || pvf__rd_bytes(r, len, &p) < 0)
		return -1;
	if (!pvf_utf8_valid(p, len)) {
		pvf__fail_at(r, start, PVF_E_MALFORMED, "malformed UTF-8 encoding");
		return -1;
	}
	s = malloc((size_t)len + 1);
	if (!s) {
		nomem(r);
		return -1;
	}
	memcpy(s, p, len);
	s[len] = '\0';
	ret->str = s;
	ret->len = len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* 2. features, types, limits, constant expressions                    */

static const char *feature_name_of(uint32_t bit)
{
	return pvf_feature_name(bit);
}

int pvf__need_feature(const pvf__modctx *ctx, const pvf__reader *r, uint32_t feature,
		      pvf_error_code code, const char *what)
{
	ctx->m->features_used |= feature;
	if (ctx->features & feature)
		return 0;
	pvf__fail(r, code, "feature \"%s\" not enabled: %s", feature_name_of(feature), what);
	return -1;
}

int pvf__check_valtype(const pvf__modctx *ctx, const pvf__reader *r, uint8_t t)
{
	switch (t) {
	case PVF_I32:
	case PVF_I64:
	case PVF_F32:
	case PVF_F64:
		return 0;
	case PVF_V128:
		return pvf__need_feature(ctx, r, PVF_FEAT_SIMD, PVF_E_MALFORMED, "value type v128");
	case PVF_FUNCREF:
		return pvf__need_feature(ctx, r, PVF_FEAT_REFERENCE_TYPES, PVF_E_MALFORMED,
					 "value type funcref");
	case PVF_EXTERNREF:
		return pvf__need_feature(ctx, r, PVF_FEAT_REFERENCE_TYPES, PVF_E_MALFORMED,
					 "value type externref");
	default:
		pvf__fail(r, PVF_E_MALFORMED, "malformed value type 0x%02x", t);
		return -1;
	}
}

typedef struct dec {
	pvf_module *m;
	pvf__modctx ctx;
	const pvf_decode_opts *opts;
	pvf_error *err;
	uint32_t nfunc_decl;       /* from the function section */
	bool have_code;
	bool have_data;
	uint32_t ntags_defined;
	uint32_t *tags_defined;    /* type index of each defined tag */
	uint32_t ncustom_cap;
	pvf__validator *val;
} dec;

/* Import/export of mutable globals is part of WebAssembly 1.0 (the W3C
 * Recommendation of 2019, and the spec tests check it is accepted), so it is
 * never refused here; its use is still recorded so that policy (the PVF
 * rules) can decide about it. */
static void note_mutable_global(dec *d)
{
	d->m->features_used |= PVF_FEAT_MUTABLE_GLOBALS;
}

static int read_valtype(dec *d, pvf__reader *r, uint8_t *ret)
{
	uint8_t t;

	if (pvf__rd_u8(r, &t) < 0)
		return -1;
	r->pos--;
	if (pvf__check_valtype(&d->ctx, r, t) < 0)
		return -1;
	r->pos++;
	*ret = t;
	return 0;
}

static int read_reftype(dec *d, pvf__reader *r, uint8_t *ret)
{
	uint8_t t;

	if (pvf__rd_u8(r, &t) < 0)
		return -1;
	if (t == PVF_FUNCREF) {
		*ret = t;
		return 0;
	}
	if (t == PVF_EXTERNREF) {
		r->pos--;
		if (pvf__need_feature(&d->ctx, r, PVF_FEAT_REFERENCE_TYPES, PVF_E_MALFORMED,
				      "externref") < 0)
			return -1;
		r->pos++;
		*ret = t;
		return 0;
	}
	pvf__fail_at(r, r->pos - 1, PVF_E_MALFORMED, "malformed reference type 0x%02x", t);
	return -1;
}

static int read_limits(dec *d, pvf__reader *r, bool memory, pvf_limits *ret)
{
	uint8_t flags;
	size_t start = r->pos;
	pvf_limits l = { 0 };

	if (pvf__rd_u8(r, &flags) < 0)
		return -1;
	if (flags > 7 || (!memory && flags > 1)) {
		pvf__fail_at(r, start, PVF_E_MALFORMED, "malformed limits flags 0x%02x", flags);
		return -1;
	}
	l.has_max = flags & 1;
	l.shared = flags & 2;
	l.is64 = flags & 4;
	if (l.shared && pvf__need_feature(&d->ctx, r, PVF_FEAT_THREADS, PVF_E_MALFORMED,
					  "shared memory") < 0)
		return -1;
	if (l.is64 && pvf__need_feature(&d->ctx, r, PVF_FEAT_MEMORY64, PVF_E_MALFORMED,
					"64-bit memory") < 0)
		return -1;
	if (pvf__rd_uleb(r, l.is64 ? 64 : 32, &l.min) < 0)
		return -1;
	if (l.has_max && pvf__rd_uleb(r, l.is64 ? 64 : 32, &l.max) < 0)
		return -1;
	if (memory) {
		uint64_t cap = l.is64 ? MAX_PAGES64 : PVF_WASM_MAX_PAGES;
		if (l.min > cap || (l.has_max && l.max > cap)) {
			pvf__fail_at(r, start, PVF_E_INVALID,
					    "memory size must be at most %llu pages",
					    (unsigned long long)cap);
			return -1;
		}
		if (l.shared && !l.has_max) {
			pvf__fail_at(r, start, PVF_E_INVALID, "shared memory must have maximum");
			return -1;
		}
	}
	if (l.has_max && l.min > l.max) {
		pvf__fail_at(r, start, PVF_E_INVALID,
				    "size minimum must not be greater than maximum");
		return -1;
	}
	*ret = l;
	return 0;
}

static int set_declared(dec *d, uint32_t func)
{
	if (d->ctx.declared_funcs && func < d->ctx.nfuncs)
		d->ctx.declared_funcs[func / 8] |= (uint8_t)(1u << (func % 8));
	return 0;
}

/* Reads a constant expression producing one value of type `expect`.
 * Only imported immutable globals may be read (WebAssembly 1.0 / 2.0). */
static int read_const_expr(dec *d, pvf__reader *r, uint8_t expect, pvf_const_expr *ret)
{
	pvf__modctx *c = &d->ctx;
	size_t start = r->pos;
	uint32_t nvals = 0;
	uint8_t type = 0;
	pvf_const_expr e = { 0 };

	for (;;) {
		uint8_t op;
		size_t op_at = r->pos;

		if (pvf__rd_u8(r, &op) < 0)
			return -1;
		if (op == 0x0B)
			break;
		switch (op) {
		case 0x41: {
			int64_t v;
			if (pvf__rd_sleb(r, 32, &v) < 0)
				return -1;
			e.kind = PVF_CONST_I32;
			e.value = (uint32_t)(int32_t)v;
			type = PVF_I32;
			break;
		}
		case 0x42: {
			int64_t v;
			if (pvf__rd_sleb(r, 64, &v) < 0)
				return -1;
			e.kind = PVF_CONST_I64;
			e.value = (uint64_t)v;
			type = PVF_I64;
			break;
		}
		case 0x43:
		case 0x44: {
			const uint8_t *p;
			size_t n = op == 0x43 ? 4 : 8;
			uint64_t v = 0;
			if (pvf__rd_bytes(r, n, &p) < 0)
				return -1;
			for (size_t i = 0; i < n; i++)
				v |= (uint64_t)p[i] << (8 * i);
			e.kind = op == 0x43 ? PVF_CONST_F32 : PVF_CONST_F64;
			e.value = v;
			type = op == 0x43 ? PVF_F32 : PVF_F64;
			break;
		}
		case 0x23: {
			uint32_t g;
			if (pvf__rd_u32(r, &g) < 0)
				return -1;
			if (g >= d->m->nglobal_imports) {
				pvf__fail_at(r, op_at, PVF_E_INVALID, "unknown global %u", g);
				return -1;
			}
			if (c->globals[g].mut) {
				pvf__fail_at(r, op_at, PVF_E_INVALID,
						    "constant expression required (global %u is mutable)", g);
				return -1;
			}
			e.kind = PVF_CONST_GLOBAL_GET;
			e.value = g;
			type = c->globals[g].type;
			break;
		}
		case 0xD0: {
			uint8_t t;
			r->pos = op_at;
			if (pvf__need_feature(c, r, PVF_FEAT_REFERENCE_TYPES, PVF_E_MALFORMED, "ref.null") < 0)
				return -1;
			r->pos++;
			if (read_reftype(d, r, &t) < 0)
				return -1;
			e.kind = PVF_CONST_REF_NULL;
			e.value = UINT32_MAX;
			type = t;
			break;
		}
		case 0xD2: {
			uint32_t f;
			r->pos = op_at;
			if (pvf__need_feature(c, r, PVF_FEAT_REFERENCE_TYPES, PVF_E_MALFORMED, "ref.func") < 0)
				return -1;
			r->pos++;
			if (pvf__rd_u32(r, &f) < 0)
				return -1;
			if (f >= c->nfuncs) {
				pvf__fail_at(r, op_at, PVF_E_INVALID, "unknown function %u", f);
				return -1;
			}
			set_declared(d, f);
			e.kind = PVF_CONST_REF_FUNC;
			e.value = f;
			type = PVF_FUNCREF;
			break;
		}
		case 0xFD: {
			uint32_t sub;
			const uint8_t *p;
			r->pos = op_at;
			if (pvf__need_feature(c, r, PVF_FEAT_SIMD, PVF_E_MALFORMED, "opcode 0xfd") < 0)
				return -1;
			r->pos++;
			if (pvf__rd_u32(r, &sub) < 0)
				return -1;
			if (sub != 12) {
				pvf__fail_at(r, op_at, PVF_E_INVALID, "constant expression required");
				return -1;
			}
			if (pvf__rd_bytes(r, 16, &p) < 0)
				return -1;
			e.kind = PVF_CONST_V128;
			e.value = 0;
			type = PVF_V128;
			break;
		}
		default:
			pvf__fail_at(r, op_at, PVF_E_INVALID,
					    "constant expression required (opcode 0x%02x)", op);
			return -1;
		}
		nvals++;
	}
	if (nvals != 1 || type != expect) {
		pvf__fail_at(r, start, PVF_E_INVALID,
				    "type mismatch in constant expression (expected one %s)",
				    pvf_valtype_name(expect));
		return -1;
	}
	*ret = e;
	return 0;
}

/* Recomputes the combined index spaces in d->ctx from the module so far. */
static int rebuild_ctx(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	pvf__modctx *c = &d->ctx;
	uint32_t nf = m->nfunc_imports + m->nfunctions;
	uint32_t nt = m->ntable_imports + m->ntables;
	uint32_t nm = m->nmemory_imports + m->nmemories;
	uint32_t ng = m->nglobal_imports + m->nglobals;
	uint32_t ntag_imp = 0;
	uint32_t fi = 0, ti = 0, mi = 0, gi = 0, tg = 0;

	for (uint32_t i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == PVF_EXTERN_TAG)
			ntag_imp++;
	free(c->func_types);
	free(c->table_elem);
	free(c->mem64);
	free(c->globals);
	free(c->tag_types);
	c->func_types = alloc_array(nf, sizeof *c->func_types);
	c->table_elem = alloc_array(nt, 1);
	c->mem64 = alloc_array(nm, sizeof *c->mem64);
	c->globals = alloc_array(ng, sizeof *c->globals);
	c->tag_types = alloc_array((size_t)ntag_imp + d->ntags_defined, sizeof *c->tag_types);
	if (!c->func_types || !c->table_elem || !c->mem64 || !c->globals || !c->tag_types) {
		nomem(r);
		return -1;
	}
	for (uint32_t i = 0; i < m->nimports; i++) {
		const pvf_import *im = &m->imports[i];
		switch (im->kind) {
		case PVF_EXTERN_FUNC: c->func_types[fi++] = im->u.func_type; break;
		case PVF_EXTERN_TABLE: c->table_elem[ti++] = im->u.table.elem; break;
		case PVF_EXTERN_MEMORY: c->mem64[mi++] = im->u.memory.is64; break;
		case PVF_EXTERN_GLOBAL: c->globals[gi++] = im->u.global; break;
		case PVF_EXTERN_TAG: c->tag_types[tg++] = im->u.tag_type; break;
		default: break;
		}
	}
	for (uint32_t i = 0; i < m->nfunctions; i++)
		c->func_types[fi++] = m->functions[i].type;
	for (uint32_t i = 0; i < m->ntables; i++)
		c->table_elem[ti++] = m->tables[i].elem;
	for (uint32_t i = 0; i < m->nmemories; i++)
		c->mem64[mi++] = m->memories[i].is64;
	for (uint32_t i = 0; i < m->nglobals; i++)
		c->globals[gi++] = m->globals[i].type;
	for (uint32_t i = 0; i < d->ntags_defined; i++)
		c->tag_types[tg++] = d->tags_defined[i];
	if (nf != c->nfuncs || !c->declared_funcs) {
		free(c->declared_funcs);
		c->declared_funcs = alloc_array((size_t)nf / 8 + 1, 1);
		if (!c->declared_funcs) {
			nomem(r);
			return -1;
		}
	}
	c->nfuncs = nf;
	c->ntables = nt;
	c->nmems = nm;
	c->nglobals = ng;
	c->ntags = ntag_imp + d->ntags_defined;
	return 0;
}

/* ------------------------------------------------------------------ */
/* 3. sections                                                         */

static int sec_type(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	uint32_t n;

	if (pvf__rd_count(r, PVF_WASM_MAX_TYPES, 3, "types", &n) < 0)
		return -1;
	m->types = alloc_array(n, sizeof *m->types);
	if (!m->types) {
		nomem(r);
		return -1;
	}
	r->item_kind = "type";
	for (uint32_t i = 0; i < n; i++) {
		pvf_functype *ft = &m->types[i];
		uint8_t form;
		size_t at;

		r->item = i;
		m->ntypes = i + 1;
		if (pvf__rd_u8(r, &form) < 0)
			return -1;
		if (form != 0x60) {
			pvf__fail_at(r, r->pos - 1, PVF_E_MALFORMED,
					    "malformed function type form 0x%02x", form);
			return -1;
		}
		if (pvf__rd_count(r, PVF_WASM_MAX_PARAMS, 1, "params", &ft->nparams) < 0)
			return -1;
		ft->params = alloc_array(ft->nparams, 1);
		if (!ft->params) {
			nomem(r);
			return -1;
		}
		for (uint32_t k = 0; k < ft->nparams; k++)
			if (read_valtype(d, r, &ft->params[k]) < 0)
				return -1;
		at = r->pos;
		if (pvf__rd_count(r, PVF_WASM_MAX_RESULTS, 1, "results", &ft->nresults) < 0)
			return -1;
		ft->results = alloc_array(ft->nresults, 1);
		if (!ft->results) {
			nomem(r);
			return -1;
		}
		for (uint32_t k = 0; k < ft->nresults; k++)
			if (read_valtype(d, r, &ft->results[k]) < 0)
				return -1;
		if (ft->nresults > 1) {
			size_t save = r->pos;
			r->pos = at;
			if (pvf__need_feature(&d->ctx, r, PVF_FEAT_MULTI_VALUE, PVF_E_INVALID,
					      "invalid result arity (more than one result)") < 0)
				return -1;
			r->pos = save;
		}
	}
	return 0;
}

static int check_type_index(pvf__reader *r, const pvf_module *m, uint32_t t, size_t at)
{
	if (t >= m->ntypes) {
		pvf__fail_at(r, at, PVF_E_INVALID, "unknown type %u", t);
		return -1;
	}
	return 0;
}

static int read_tag_type(dec *d, pvf__reader *r, uint32_t *ret)
{
	uint8_t attr;
	uint32_t t;
	size_t at = r->pos;

	if (pvf__rd_u8(r, &attr) < 0)
		return -1;
	if (attr != 0) {
		pvf__fail_at(r, at, PVF_E_MALFORMED, "malformed tag attribute %u", attr);
		return -1;
	}
	at = r->pos;
	if (pvf__rd_u32(r, &t) < 0 || check_type_index(r, d->m, t, at) < 0)
		return -1;
	if (d->m->types[t].nresults != 0) {
		pvf__fail_at(r, at, PVF_E_INVALID, "non-empty tag result type");
		return -1;
	}
	*ret = t;
	return 0;
}

static int sec_import(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	uint32_t n;

	if (pvf__rd_count(r, PVF_WASM_MAX_IMPORTS, 4, "imports", &n) < 0)
		return -1;
	m->imports = alloc_array(n, sizeof *m->imports);
	if (!m->imports) {
		nomem(r);
		return -1;
	}
	r->item_kind = "import";
	for (uint32_t i = 0; i < n; i++) {
		pvf_import *im = &m->imports[i];
		uint8_t kind;
		size_t at;

		r->item = i;
		m->nimports = i + 1;
		if (read_name(r, &im->module) < 0 || read_name(r, &im->field) < 0)
			return -1;
		at = r->pos;
		if (pvf__rd_u8(r, &kind) < 0)
			return -1;
		switch (kind) {
		case 0:
			im->kind = PVF_EXTERN_FUNC;
			at = r->pos;
			if (pvf__rd_u32(r, &im->u.func_type) < 0 ||
			    check_type_index(r, m, im->u.func_type, at) < 0)
				return -1;
			if (++m->nfunc_imports > PVF_WASM_MAX_FUNCTIONS) {
				pvf__fail(r, PVF_E_MALFORMED, "too many functions");
				return -1;
			}
			break;
		case 1:
			im->kind = PVF_EXTERN_TABLE;
			if (read_reftype(d, r, &im->u.table.elem) < 0 ||
			    read_limits(d, r, false, &im->u.table.limits) < 0)
				return -1;
			m->ntable_imports++;
			break;
		case 2:
			im->kind = PVF_EXTERN_MEMORY;
			if (read_limits(d, r, true, &im->u.memory) < 0)
				return -1;
			m->nmemory_imports++;
			break;
		case 3: {
			uint8_t mut;
			im->kind = PVF_EXTERN_GLOBAL;
			if (read_valtype(d, r, &im->u.global.type) < 0 || pvf__rd_u8(r, &mut) < 0)
				return -1;
			if (mut > 1) {
				pvf__fail_at(r, r->pos - 1, PVF_E_MALFORMED, "malformed mutability");
				return -1;
			}
			im->u.global.mut = mut;
			if (mut)
				note_mutable_global(d);
			m->nglobal_imports++;
			break;
		}
		case 4:
			im->kind = PVF_EXTERN_TAG;
			r->pos = at;
			if (pvf__need_feature(&d->ctx, r, PVF_FEAT_EXCEPTIONS, PVF_E_MALFORMED,
					      "tag import") < 0)
				return -1;
			r->pos++;
			if (read_tag_type(d, r, &im->u.tag_type) < 0)
				return -1;
			break;
		default:
			pvf__fail_at(r, at, PVF_E_MALFORMED, "malformed import kind %u", kind);
			return -1;
		}
	}
	return 0;
}

static int sec_function(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	uint32_t n;

	if (pvf__rd_count(r, PVF_WASM_MAX_FUNCTIONS - m->nfunc_imports, 1, "functions", &n) < 0)
		return -1;
	m->functions = alloc_array(n, sizeof *m->functions);
	if (!m->functions) {
		nomem(r);
		return -1;
	}
	r->item_kind = "function";
	for (uint32_t i = 0; i < n; i++) {
		size_t at = r->pos;

		r->item = i;
		if (pvf__rd_u32(r, &m->functions[i].type) < 0 ||
		    check_type_index(r, m, m->functions[i].type, at) < 0)
			return -1;
		m->nfunctions = i + 1;
	}
	d->nfunc_decl = n;
	return 0;
}

static int sec_table(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	uint32_t n;

	if (pvf__rd_count(r, MAX_TABLES - m->ntable_imports, 2, "tables", &n) < 0)
		return -1;
	m->tables = alloc_array(n, sizeof *m->tables);
	if (!m->tables) {
		nomem(r);
		return -1;
	}
	r->item_kind = "table";
	for (uint32_t i = 0; i < n; i++) {
		r->item = i;
		if (read_reftype(d, r, &m->tables[i].elem) < 0 ||
		    read_limits(d, r, false, &m->tables[i].limits) < 0)
			return -1;
		m->ntables = i + 1;
	}
	return 0;
}

static int sec_memory(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	uint32_t n;

	if (pvf__rd_count(r, MAX_MEMORIES - m->nmemory_imports, 2, "memories", &n) < 0)
		return -1;
	m->memories = alloc_array(n, sizeof *m->memories);
	if (!m->memories) {
		nomem(r);
		return -1;
	}
	r->item_kind = "memory";
	for (uint32_t i = 0; i < n; i++) {
		r->item = i;
		if (read_limits(d, r, true, &m->memories[i]) < 0)
			return -1;
		m->nmemories = i + 1;
	}
	return 0;
}

static int sec_tag(dec *d, pvf__reader *r)
{
	uint32_t n;

	if (pvf__rd_count(r, MAX_TAGS, 2, "tags", &n) < 0)
		return -1;
	d->tags_defined = alloc_array(n, sizeof *d->tags_defined);
	if (!d->tags_defined) {
		nomem(r);
		return -1;
	}
	r->item_kind = "tag";
	for (uint32_t i = 0; i < n; i++) {
		r->item = i;
		if (read_tag_type(d, r, &d->tags_defined[i]) < 0)
			return -1;
		d->ntags_defined = i + 1;
	}
	return 0;
}

static int sec_global(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	uint32_t n;

	if (pvf__rd_count(r, PVF_WASM_MAX_GLOBALS - m->nglobal_imports, 3, "globals", &n) < 0)
		return -1;
	m->globals = alloc_array(n, sizeof *m->globals);
	if (!m->globals) {
		nomem(r);
		return -1;
	}
	r->item_kind = "global";
	for (uint32_t i = 0; i < n; i++) {
		pvf_global *g = &m->globals[i];
		uint8_t mut;

		r->item = i;
		if (read_valtype(d, r, &g->type.type) < 0 || pvf__rd_u8(r, &mut) < 0)
			return -1;
		if (mut > 1) {
			pvf__fail_at(r, r->pos - 1, PVF_E_MALFORMED, "malformed mutability");
			return -1;
		}
		g->type.mut = mut;
		if (read_const_expr(d, r, g->type.type, &g->init) < 0)
			return -1;
		m->nglobals = i + 1;
	}
	return 0;
}

static int cmp_export_name(const void *a, const void *b)
{
	const pvf_export *x = *(const pvf_export *const *)a;
	const pvf_export *y = *(const pvf_export *const *)b;

	if (x->name.len != y->name.len)
		return x->name.len < y->name.len ? -1 : 1;
	return memcmp(x->name.str, y->name.str, x->name.len);
}

static int sec_export(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	pvf__modctx *c = &d->ctx;
	const pvf_export **sorted;
	uint32_t n;

	if (pvf__rd_count(r, PVF_WASM_MAX_EXPORTS, 3, "exports", &n) < 0)
		return -1;
	m->exports = alloc_array(n, sizeof *m->exports);
	if (!m->exports) {
		nomem(r);
		return -1;
	}
	r->item_kind = "export";
	for (uint32_t i = 0; i < n; i++) {
		pvf_export *e = &m->exports[i];
		uint8_t kind;
		size_t at;
		uint32_t limit;

		r->item = i;
		m->nexports = i + 1;
		if (read_name(r, &e->name) < 0)
			return -1;
		at = r->pos;
		if (pvf__rd_u8(r, &kind) < 0)
			return -1;
		if (kind > 4) {
			pvf__fail_at(r, at, PVF_E_MALFORMED, "malformed export kind %u", kind);
			return -1;
		}
		if (kind == 4) {
			r->pos = at;
			if (pvf__need_feature(c, r, PVF_FEAT_EXCEPTIONS, PVF_E_MALFORMED, "tag export") < 0)
				return -1;
			r->pos++;
		}
		e->kind = (pvf_extern_kind)kind;
		at = r->pos;
		if (pvf__rd_u32(r, &e->index) < 0)
			return -1;
		switch (e->kind) {
		case PVF_EXTERN_FUNC: limit = c->nfuncs; break;
		case PVF_EXTERN_TABLE: limit = c->ntables; break;
		case PVF_EXTERN_MEMORY: limit = c->nmems; break;
		case PVF_EXTERN_GLOBAL: limit = c->nglobals; break;
		default: limit = c->ntags; break;
		}
		if (e->index >= limit) {
			pvf__fail_at(r, at, PVF_E_INVALID, "unknown %s %u",
					    kind == 0 ? "function" : kind == 1 ? "table" :
					    kind == 2 ? "memory" : kind == 3 ? "global" : "tag", e->index);
			return -1;
		}
		if (e->kind == PVF_EXTERN_FUNC)
			set_declared(d, e->index);
		if (e->kind == PVF_EXTERN_GLOBAL && c->globals[e->index].mut)
			note_mutable_global(d);
	}
	if (n > 1) {
		sorted = alloc_array(n, sizeof *sorted);
		if (!sorted) {
			nomem(r);
			return -1;
		}
		for (uint32_t i = 0; i < n; i++)
			sorted[i] = &m->exports[i];
		qsort(sorted, n, sizeof *sorted, cmp_export_name);
		for (uint32_t i = 1; i < n; i++) {
			if (cmp_export_name(&sorted[i - 1], &sorted[i]) == 0) {
				r->item = (uint32_t)(sorted[i] - m->exports);
				free(sorted);
				pvf__fail(r, PVF_E_INVALID, "duplicate export name");
				return -1;
			}
		}
		free(sorted);
	}
	return 0;
}

static int sec_start(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	size_t at = r->pos;
	const pvf_functype *ft;
	uint32_t f;

	if (pvf__rd_u32(r, &f) < 0)
		return -1;
	if (f >= d->ctx.nfuncs) {
		pvf__fail_at(r, at, PVF_E_INVALID, "unknown function %u", f);
		return -1;
	}
	ft = &m->types[d->ctx.func_types[f]];
	if (ft->nparams || ft->nresults) {
		pvf__fail_at(r, at, PVF_E_INVALID, "start function must have type [] -> []");
		return -1;
	}
	m->has_start = true;
	m->start = f;
	return 0;
}

static int sec_elem(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	pvf__modctx *c = &d->ctx;
	uint32_t n;

	if (pvf__rd_count(r, PVF_WASM_MAX_ELEM_SEGMENTS, 1, "element segments", &n) < 0)
		return -1;
	m->elems = alloc_array(n, sizeof *m->elems);
	c->elem_types = alloc_array(n, 1);
	if (!m->elems || !c->elem_types) {
		nomem(r);
		return -1;
	}
	r->item_kind = "segment";
	for (uint32_t i = 0; i < n; i++) {
		pvf_elem_segment *s = &m->elems[i];
		size_t at = r->pos;
		uint32_t flags, count;
		bool exprs;

		r->item = i;
		m->nelems = i + 1;
		if (pvf__rd_u32(r, &flags) < 0)
			return -1;
		if (flags > 7) {
			pvf__fail_at(r, at, PVF_E_MALFORMED, "malformed elements segment kind %u",
					    flags);
			return -1;
		}
		if (flags != 0) {
			uint32_t feat = (flags & 3) == 3 ? PVF_FEAT_REFERENCE_TYPES : PVF_FEAT_BULK_MEMORY;
			size_t save = r->pos;
			r->pos = at;
			if (pvf__need_feature(c, r, feat, PVF_E_MALFORMED, "element segment encoding") < 0)
				return -1;
			r->pos = save;
		}
		s->mode = (flags & 1) ? ((flags & 2) ? 2 : 1) : 0;
		exprs = flags & 4;
		s->elem_type = PVF_FUNCREF;
		if (s->mode == 0 && (flags & 2)) {
			at = r->pos;
			if (pvf__rd_u32(r, &s->table) < 0)
				return -1;
			if (s->table != 0) {
				size_t save = r->pos;
				r->pos = at;
				if (pvf__need_feature(c, r, PVF_FEAT_REFERENCE_TYPES, PVF_E_INVALID,
						      "element segment for table other than 0") < 0)
					return -1;
				r->pos = save;
			}
		}
		if (s->mode == 0) {
			if (s->table >= c->ntables) {
				pvf__fail_at(r, at, PVF_E_INVALID, "unknown table %u", s->table);
				return -1;
			}
			if (read_const_expr(d, r, PVF_I32, &s->offset) < 0)
				return -1;
		}
		if (flags & 3) {
			if (exprs) {
				if (read_reftype(d, r, &s->elem_type) < 0)
					return -1;
			} else {
				uint8_t kind;
				if (pvf__rd_u8(r, &kind) < 0)
					return -1;
				if (kind != 0) {
					pvf__fail_at(r, r->pos - 1, PVF_E_MALFORMED,
							    "malformed element kind %u", kind);
					return -1;
				}
			}
		}
		if (pvf__rd_count(r, PVF_WASM_MAX_TABLE_SIZE, 1, "elements", &count) < 0)
			return -1;
		s->funcs = alloc_array(count, sizeof *s->funcs);
		if (!s->funcs) {
			nomem(r);
			return -1;
		}
		for (uint32_t k = 0; k < count; k++) {
			if (exprs) {
				pvf_const_expr e;
				if (read_const_expr(d, r, s->elem_type, &e) < 0)
					return -1;
				s->funcs[k] = e.kind == PVF_CONST_REF_FUNC ? (uint32_t)e.value : UINT32_MAX;
			} else {
				size_t fat = r->pos;
				uint32_t f;
				if (pvf__rd_u32(r, &f) < 0)
					return -1;
				if (f >= c->nfuncs) {
					pvf__fail_at(r, fat, PVF_E_INVALID, "unknown function %u", f);
					return -1;
				}
				set_declared(d, f);
				s->funcs[k] = f;
			}
			s->count = k + 1;
		}
		if (s->mode == 0 && c->table_elem[s->table] != s->elem_type) {
			pvf__fail(r, PVF_E_INVALID, "type mismatch: element segment of %s for table of %s",
					 pvf_valtype_name(s->elem_type),
					 pvf_valtype_name(c->table_elem[s->table]));
			return -1;
		}
		c->elem_types[i] = s->elem_type;
	}
	return 0;
}

static int sec_data_count(dec *d, pvf__reader *r)
{
	size_t at = r->pos;
	uint32_t n;

	if (pvf__rd_u32(r, &n) < 0)
		return -1;
	if (n > PVF_WASM_MAX_DATA_SEGMENTS) {
		pvf__fail_at(r, at, PVF_E_MALFORMED, "too many data segments: %u", n);
		return -1;
	}
	d->m->has_data_count = true;
	d->m->data_count = n;
	d->ctx.data_count_known = true;
	d->ctx.data_count = n;
	return 0;
}

static int sec_code(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	size_t at = r->pos;
	uint32_t n;
	bool skip = d->opts && d->opts->skip_bodies;

	if (pvf__rd_count(r, PVF_WASM_MAX_FUNCTIONS, 2, "function bodies", &n) < 0)
		return -1;
	if (n != d->nfunc_decl) {
		pvf__fail_at(r, at, PVF_E_MALFORMED,
				    "function and code section have inconsistent lengths (%u vs %u)",
				    d->nfunc_decl, n);
		return -1;
	}
	d->have_code = true;
	if (!d->val) {
		d->val = pvf__validator_new();
		if (!d->val) {
			nomem(r);
			return -1;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		pvf_function *f = &m->functions[i];
		pvf__reader body;
		uint32_t size;

		r->item_kind = "function";
		r->item = m->nfunc_imports + i;
		at = r->pos;
		if (pvf__rd_u32(r, &size) < 0)
			return -1;
		if (size > PVF_WASM_MAX_FUNCTION_SIZE) {
			pvf__fail_at(r, at, PVF_E_MALFORMED, "function body too large: %u bytes", size);
			return -1;
		}
		if (size > pvf__rd_left(r)) {
			pvf__fail_at(r, at, PVF_E_MALFORMED,
					    "unexpected end: function body of %u bytes out of bounds", size);
			return -1;
		}
		body = *r;
		body.end = r->pos + size;
		f->body_offset = (uint32_t)r->pos;
		f->body_size = size;
		if (pvf__validate_body(d->val, &d->ctx, m->nfunc_imports + i, &body, skip, &f->nlocals) < 0)
			return -1;
		r->pos += size;
		m->code_size += size;
	}
	return 0;
}

static int sec_data(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	pvf__modctx *c = &d->ctx;
	size_t at = r->pos;
	uint32_t n;

	if (pvf__rd_count(r, PVF_WASM_MAX_DATA_SEGMENTS, 1, "data segments", &n) < 0)
		return -1;
	if (m->has_data_count && n != m->data_count) {
		pvf__fail_at(r, at, PVF_E_MALFORMED,
				    "data count and data section have inconsistent lengths (%u vs %u)",
				    m->data_count, n);
		return -1;
	}
	d->have_data = true;
	m->datas = alloc_array(n, sizeof *m->datas);
	if (!m->datas) {
		nomem(r);
		return -1;
	}
	r->item_kind = "segment";
	for (uint32_t i = 0; i < n; i++) {
		pvf_data_segment *s = &m->datas[i];
		uint32_t flags, len;
		const uint8_t *p;

		r->item = i;
		m->ndatas = i + 1;
		at = r->pos;
		if (pvf__rd_u32(r, &flags) < 0)
			return -1;
		if (flags > 2) {
			/* In 1.0 this field is a memory index; only 0 can exist. */
			if (!(c->features & PVF_FEAT_BULK_MEMORY)) {
				pvf__fail_at(r, at, PVF_E_INVALID, "unknown memory %u", flags);
				return -1;
			}
			pvf__fail_at(r, at, PVF_E_MALFORMED, "malformed data segment kind %u", flags);
			return -1;
		}
		if (flags != 0) {
			size_t save = r->pos;
			r->pos = at;
			if (pvf__need_feature(c, r, PVF_FEAT_BULK_MEMORY, PVF_E_MALFORMED,
					      flags == 1 ? "passive data segment" :
					      "data segment with explicit memory") < 0)
				return -1;
			r->pos = save;
		}
		s->active = flags != 1;
		if (flags == 2) {
			at = r->pos;
			if (pvf__rd_u32(r, &s->memory) < 0)
				return -1;
			if (s->memory != 0) {
				size_t save = r->pos;
				r->pos = at;
				if (pvf__need_feature(c, r, PVF_FEAT_MULTI_MEMORY, PVF_E_INVALID,
						      "data segment for memory other than 0") < 0)
					return -1;
				r->pos = save;
			}
		}
		if (s->active) {
			if (s->memory >= c->nmems) {
				pvf__fail_at(r, at, PVF_E_INVALID, "unknown memory %u", s->memory);
				return -1;
			}
			if (read_const_expr(d, r, c->mem64[s->memory] ? PVF_I64 : PVF_I32, &s->offset) < 0)
				return -1;
		}
		if (pvf__rd_u32(r, &len) < 0)
			return -1;
		s->data_offset = (uint32_t)r->pos;
		if (pvf__rd_bytes(r, len, &p) < 0)
			return -1;
		s->size = len;
	}
	return 0;
}

static int sec_custom(dec *d, pvf__reader *r)
{
	pvf_module *m = d->m;
	pvf_custom_section *cs;

	if (m->ncustoms >= MAX_CUSTOM_SECTIONS) {
		pvf__fail(r, PVF_E_MALFORMED, "too many custom sections (limit %u)",
				 MAX_CUSTOM_SECTIONS);
		return -1;
	}
	if (m->ncustoms == d->ncustom_cap) {
		uint32_t cap = d->ncustom_cap ? d->ncustom_cap * 2 : 8;
		void *p = reallocarray(m->customs, cap, sizeof *m->customs);
		if (!p) {
			nomem(r);
			return -1;
		}
		m->customs = p;
		d->ncustom_cap = cap;
	}
	cs = &m->customs[m->ncustoms];
	memset(cs, 0, sizeof *cs);
	if (read_name(r, &cs->name) < 0)
		return -1;
	m->ncustoms++;
	cs->offset = (uint32_t)r->pos;
	cs->size = (uint32_t)pvf__rd_left(r);
	r->pos = r->end;
	return 0;
}

/* ------------------------------------------------------------------ */
/* 4. the module                                                       */

/* Position of each known section id in the required order (0 = custom). */
static int section_rank(uint8_t id)
{
	switch (id) {
	case 0: return 0;   /* custom: anywhere */
	case 1: return 1;   /* type */
	case 2: return 2;   /* import */
	case 3: return 3;   /* function */
	case 4: return 4;   /* table */
	case 5: return 5;   /* memory */
	case 13: return 6;  /* tag */
	case 6: return 7;   /* global */
	case 7: return 8;   /* export */
	case 8: return 9;   /* start */
	case 9: return 10;  /* element */
	case 12: return 11; /* data count */
	case 10: return 12; /* code */
	case 11: return 13; /* data */
	default: return -1;
	}
}

static const char *section_name(uint8_t id)
{
	static const char *const names[] = {
		"custom", "type", "import", "function", "table", "memory", "global", "export",
		"start", "element", "code", "data", "data count", "tag",
	};
	return id < sizeof names / sizeof names[0] ? names[id] : "unknown";
}

static void free_ctx(dec *d)
{
	free(d->ctx.func_types);
	free(d->ctx.table_elem);
	free(d->ctx.mem64);
	free(d->ctx.globals);
	free(d->ctx.tag_types);
	free(d->ctx.elem_types);
	free(d->ctx.declared_funcs);
	free(d->tags_defined);
	pvf__validator_free(d->val);
}

static int decode_sections(dec *d, const uint8_t *bytes, size_t size)
{
	pvf__reader r = { .base = bytes, .pos = 0, .end = size, .err = d->err, .section = "header" };
	pvf_module *m = d->m;
	const uint8_t *p;
	int last_rank = 0;

	if (size < 4 || memcmp(bytes, "\0asm", 4) != 0) {
		pvf__fail(&r, PVF_E_MALFORMED, "magic header not detected");
		return -1;
	}
	r.pos = 4;
	if (pvf__rd_bytes(&r, 4, &p) < 0) {
		pvf__fail(&r, PVF_E_MALFORMED, "unexpected end (no version)");
		return -1;
	}
	if (p[0] != 1 || p[1] || p[2] || p[3]) {
		pvf__fail_at(&r, 4, PVF_E_MALFORMED, "unknown binary version");
		return -1;
	}
	if (rebuild_ctx(d, &r) < 0)
		return -1;

	while (r.pos < r.end) {
		pvf__reader s;
		uint8_t id;
		uint32_t len;
		size_t at = r.pos;
		int rank, rc;

		r.section = "module";
		r.item_kind = NULL;
		if (pvf__rd_u8(&r, &id) < 0)
			return -1;
		rank = section_rank(id);
		if (rank < 0) {
			pvf__fail_at(&r, at, PVF_E_MALFORMED, "malformed section id %u", id);
			return -1;
		}
		r.section = section_name(id);
		if (pvf__rd_u32(&r, &len) < 0)
			return -1;
		if (len > pvf__rd_left(&r)) {
			pvf__fail_at(&r, at, PVF_E_MALFORMED,
					    "unexpected end: section size %u out of bounds", len);
			return -1;
		}
		if (id == 12 && pvf__need_feature(&d->ctx, &r, PVF_FEAT_BULK_MEMORY, PVF_E_MALFORMED,
						  "data count section") < 0)
			return -1;
		if (id == 13 && pvf__need_feature(&d->ctx, &r, PVF_FEAT_EXCEPTIONS, PVF_E_MALFORMED,
						  "tag section") < 0)
			return -1;
		if (rank > 0) {
			if (rank <= last_rank) {
				pvf__fail_at(&r, at, PVF_E_MALFORMED,
						    "unexpected content after last section (%s section out of order or repeated)",
						    section_name(id));
				return -1;
			}
			last_rank = rank;
		}
		s = r;
		s.end = r.pos + len;
		s.item_kind = NULL;
		s.item = 0;
		switch (id) {
		case 0: rc = sec_custom(d, &s); break;
		case 1: rc = sec_type(d, &s); break;
		case 2: rc = sec_import(d, &s); break;
		case 3: rc = sec_function(d, &s); break;
		case 4: rc = sec_table(d, &s); break;
		case 5: rc = sec_memory(d, &s); break;
		case 6: rc = sec_global(d, &s); break;
		case 7: rc = sec_export(d, &s); break;
		case 8: rc = sec_start(d, &s); break;
		case 9: rc = sec_elem(d, &s); break;
		case 10: rc = sec_code(d, &s); break;
		case 11: rc = sec_data(d, &s); break;
		case 12: rc = sec_data_count(d, &s); break;
		case 13: rc = sec_tag(d, &s); break;
		default: rc = -1; break;
		}
		if (rc < 0)
			return -1;
		if (s.pos != s.end) {
			pvf__fail(&s, PVF_E_MALFORMED, "section size mismatch (%zu bytes left)",
					 s.end - s.pos);
			return -1;
		}
		r.pos = s.end;
		if (id == 2 || id == 3 || id == 4 || id == 5 || id == 6 || id == 13) {
			if (rebuild_ctx(d, &r) < 0)
				return -1;
		}
		if (id == 2 || id == 4 || id == 5) {
			r.pos = at;
			if (d->ctx.ntables > 1 &&
			    pvf__need_feature(&d->ctx, &r, PVF_FEAT_REFERENCE_TYPES, PVF_E_INVALID,
					      "multiple tables") < 0)
				return -1;
			if (d->ctx.nmems > 1 &&
			    pvf__need_feature(&d->ctx, &r, PVF_FEAT_MULTI_MEMORY, PVF_E_INVALID,
					      "multiple memories") < 0)
				return -1;
			r.pos = s.end;
		}
	}
	r.section = "module";
	r.item_kind = NULL;
	if (!d->have_code && d->nfunc_decl != 0) {
		pvf__fail(&r, PVF_E_MALFORMED,
				 "function and code section have inconsistent lengths (%u vs 0)",
				 d->nfunc_decl);
		return -1;
	}
	if (m->has_data_count && !d->have_data && m->data_count != 0) {
		pvf__fail(&r, PVF_E_MALFORMED,
				 "data count and data section have inconsistent lengths (%u vs 0)",
				 m->data_count);
		return -1;
	}
	return 0;
}

int pvf_module_decode(const uint8_t *bytes, size_t size, const pvf_decode_opts *opts,
		      pvf_module **ret, pvf_error *err)
{
	dec d;
	pvf_module *m;
	int rc;

	if (!ret || (!bytes && size)) {
		pvf_error_set(err, PVF_E_USAGE, "pvf_module_decode: bad arguments");
		return -1;
	}
	if (size > UINT32_MAX) {
		pvf_error_set(err, PVF_E_MALFORMED, "module too large: %zu bytes", size);
		return -1;
	}
	m = calloc(1, sizeof *m);
	if (!m) {
		pvf_error_set(err, PVF_E_NOMEM, "out of memory");
		return -1;
	}
	m->bytes = bytes;
	m->size = size;
	memset(&d, 0, sizeof d);
	d.m = m;
	d.opts = opts;
	d.err = err;
	d.ctx.m = m;
	d.ctx.features = opts ? opts->features & PVF_FEATURES_ALL : PVF_FEATURES_MVP;
	rc = decode_sections(&d, bytes ? bytes : (const uint8_t *)"", size);
	free_ctx(&d);
	if (rc < 0) {
		pvf_module_free(m);
		return -1;
	}
	*ret = m;
	return 0;
}
