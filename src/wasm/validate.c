/*
 * validate.c — validation of one function body (WebAssembly 1.0 section 3.3
 * and the algorithm of its appendix "Validation Algorithm"), extended for the
 * enabled post-MVP features.
 *
 * State: an operand stack of value types (0 = Unknown, the bottom type that
 * appears after unreachable code) and a stack of control frames. Each frame
 * records the opcode that opened it, its block type (a type index, a single
 * result, or nothing), the operand height at entry and whether the rest of
 * the block is unreachable (stack-polymorphic).
 *
 *   block/loop/if/try --push_frame--> [frame] --else/catch--> [frame'] --end--> pop_frame
 *   br/br_table/return/unreachable/throw --set_unreachable--> frame.unreachable = true
 *
 * Invariants: nvals >= top frame's height; popping below that height is an
 * error unless the frame is unreachable, in which case it yields Unknown.
 * Frame depth is capped by PVF_WASM_MAX_NESTING, operand height by
 * PVF_WASM_MAX_OPERANDS, br_table size by PVF_WASM_MAX_BR_TABLE. The
 * validator's arrays are reused across the bodies of one module.
 *
 * Not implemented: SIMD (0xFD) and atomics (0xFE) bodies are recognised and
 * their features recorded, but a module using them is rejected with
 * "not supported by this validator" even when the feature is enabled.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm/decode_internal.h"

#define NOTYPE UINT32_MAX
#define UNKNOWN 0

/* Frame kinds beyond the opcodes that open them. */
#define OP_FUNC 0xFF

typedef struct frame {
	uint8_t op;          /* 0x02 block, 0x03 loop, 0x04 if, 0x05 else, 0x06 try,
			      * 0x07 catch, 0x19 catch_all, OP_FUNC */
	bool unreachable;
	bool has_single;
	uint8_t single;      /* the one result when has_single */
	uint32_t type;       /* type index or NOTYPE */
	uint32_t height;
} frame;

struct pvf__validator {
	uint8_t *vals;
	uint32_t nvals, capvals;
	frame *frames;
	uint32_t nframes, capframes;
	uint8_t *locals;
	uint32_t nlocals, caplocals;
	uint32_t *labels;        /* br_table scratch */
	uint32_t caplabels;
	uint8_t *mark;           /* br_table: depth already checked */
	uint32_t capmark;
	const pvf__modctx *ctx;
	pvf__reader *r;
};

pvf__validator *pvf__validator_new(void)
{
	return calloc(1, sizeof(pvf__validator));
}

void pvf__validator_free(pvf__validator *v)
{
	if (!v)
		return;
	free(v->vals);
	free(v->frames);
	free(v->locals);
	free(v->labels);
	free(v->mark);
	free(v);
}

/* Grows *p (elements of `size`) to hold at least `need`, but never beyond
 * `max` elements (so a stack at its limit always takes the slow path). */
static int grow_capped(void **p, uint32_t *cap, uint32_t need, size_t size, uint32_t max)
{
	uint32_t ncap;
	void *q;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap = ncap > UINT32_MAX / 2 ? need : ncap * 2;
	if (ncap > max && need <= max)
		ncap = max;
	q = reallocarray(*p, ncap, size);
	if (!q)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
	return grow_capped(p, cap, need, size, UINT32_MAX);
}

/* Like grow() for a byte array whose new part must read as zero. */
static int grow_zeroed(uint8_t **p, uint32_t *cap, uint32_t need)
{
	uint32_t old = *cap;

	if (grow((void **)p, cap, need, 1) < 0)
		return -1;
	if (*cap > old)
		memset(*p + old, 0, *cap - old);
	return 0;
}

static int mismatch(pvf__validator *v, size_t at, const char *fmt, uint8_t want, uint8_t got)
{
	(void)fmt;
	pvf__fail_at(v->r, at, PVF_E_INVALID, "type mismatch: expected %s, got %s",
			    want ? pvf_valtype_name(want) : "any", got ? pvf_valtype_name(got) : "nothing");
	return -1;
}

static inline int push(pvf__validator *v, uint8_t t)
{
	if (v->nvals >= v->capvals) {
		if (v->nvals >= PVF_WASM_MAX_OPERANDS) {
			pvf__fail(v->r, PVF_E_INVALID, "operand stack deeper than %u",
					 PVF_WASM_MAX_OPERANDS);
			return -1;
		}
		if (grow_capped((void **)&v->vals, &v->capvals, v->nvals + 1, 1,
				PVF_WASM_MAX_OPERANDS) < 0) {
			pvf_error_set(v->r->err, PVF_E_NOMEM, "out of memory");
			return -1;
		}
	}
	v->vals[v->nvals++] = t;
	return 0;
}

static inline int pop_any(pvf__validator *v, uint8_t *ret)
{
	const frame *f = &v->frames[v->nframes - 1];

	if (v->nvals == f->height) {
		if (f->unreachable) {
			*ret = UNKNOWN;
			return 0;
		}
		pvf__fail(v->r, PVF_E_INVALID, "type mismatch: operand stack underflow");
		return -1;
	}
	*ret = v->vals[--v->nvals];
	return 0;
}

static inline int pop(pvf__validator *v, uint8_t want)
{
	uint8_t got;

	if (pop_any(v, &got) < 0)
		return -1;
	if (got != want && got != UNKNOWN && want != UNKNOWN) {
		mismatch(v, v->r->pos, NULL, want, got);
		return -1;
	}
	return 0;
}

static int pop_n(pvf__validator *v, const uint8_t *types, uint32_t n)
{
	for (uint32_t i = n; i-- > 0;)
		if (pop(v, types[i]) < 0)
			return -1;
	return 0;
}

static int push_n(pvf__validator *v, const uint8_t *types, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (push(v, types[i]) < 0)
			return -1;
	return 0;
}

static void frame_params(const pvf__validator *v, const frame *f, const uint8_t **p, uint32_t *n)
{
	if (f->type != NOTYPE && f->op != OP_FUNC) {
		const pvf_functype *ft = &v->ctx->m->types[f->type];
		*p = ft->params;
		*n = ft->nparams;
	} else {
		*p = NULL;
		*n = 0;
	}
}

static void frame_results(const pvf__validator *v, const frame *f, const uint8_t **p, uint32_t *n)
{
	if (f->type != NOTYPE) {
		const pvf_functype *ft = &v->ctx->m->types[f->type];
		*p = ft->results;
		*n = ft->nresults;
	} else if (f->has_single) {
		*p = &f->single;
		*n = 1;
	} else {
		*p = NULL;
		*n = 0;
	}
}

static void label_types(const pvf__validator *v, const frame *f, const uint8_t **p, uint32_t *n)
{
	if (f->op == 0x03)
		frame_params(v, f, p, n);
	else
		frame_results(v, f, p, n);
}

static int push_frame(pvf__validator *v, const frame *tmpl)
{
	frame *f;

	if (v->nframes >= v->capframes) {
		if (v->nframes >= PVF_WASM_MAX_NESTING) {
			pvf__fail(v->r, PVF_E_INVALID, "blocks nested deeper than %u",
					 PVF_WASM_MAX_NESTING);
			return -1;
		}
		if (grow_capped((void **)&v->frames, &v->capframes, v->nframes + 1, sizeof(frame),
				PVF_WASM_MAX_NESTING) < 0) {
			pvf_error_set(v->r->err, PVF_E_NOMEM, "out of memory");
			return -1;
		}
	}
	f = &v->frames[v->nframes++];
	*f = *tmpl;
	f->height = v->nvals;
	f->unreachable = false;
	return 0;
}

static void set_unreachable(pvf__validator *v)
{
	frame *f = &v->frames[v->nframes - 1];

	v->nvals = f->height;
	f->unreachable = true;
}

/* Pops the top frame's results and checks nothing else is left. */
static int close_frame(pvf__validator *v)
{
	const frame *f = &v->frames[v->nframes - 1];
	const uint8_t *res;
	uint32_t nres;

	frame_results(v, f, &res, &nres);
	if (pop_n(v, res, nres) < 0)
		return -1;
	if (v->nvals != f->height) {
		pvf__fail(v->r, PVF_E_INVALID, "type mismatch: %u values left on the stack at end of block",
				 v->nvals - f->height);
		return -1;
	}
	return 0;
}

static int need(pvf__validator *v, size_t at, uint32_t feat, pvf_error_code code, const char *what)
{
	size_t save = v->r->pos;
	int rc;

	v->r->pos = at;
	rc = pvf__need_feature(v->ctx, v->r, feat, code, what);
	v->r->pos = save;
	return rc;
}

static int read_blocktype(pvf__validator *v, frame *f)
{
	pvf__reader *r = v->r;
	size_t at = r->pos;
	uint8_t b;
	int64_t idx;

	f->type = NOTYPE;
	f->has_single = false;
	if (pvf__rd_u8(r, &b) < 0)
		return -1;
	if (b == 0x40)
		return 0;
	if (b == PVF_I32 || b == PVF_I64 || b == PVF_F32 || b == PVF_F64 || b == PVF_V128 ||
	    b == PVF_FUNCREF || b == PVF_EXTERNREF) {
		r->pos = at;
		if (pvf__check_valtype(v->ctx, r, b) < 0)
			return -1;
		r->pos = at + 1;
		f->has_single = true;
		f->single = b;
		return 0;
	}
	r->pos = at;
	if (pvf__rd_sleb(r, 33, &idx) < 0)
		return -1;
	if (idx < 0) {
		pvf__fail_at(r, at, PVF_E_MALFORMED, "malformed block type");
		return -1;
	}
	if (need(v, at, PVF_FEAT_MULTI_VALUE, PVF_E_MALFORMED, "block type with a type index") < 0)
		return -1;
	if ((uint64_t)idx >= v->ctx->m->ntypes) {
		pvf__fail_at(r, at, PVF_E_INVALID, "unknown type %lld", (long long)idx);
		return -1;
	}
	f->type = (uint32_t)idx;
	return 0;
}

static int read_label(pvf__validator *v, uint32_t *ret)
{
	size_t at = v->r->pos;
	uint32_t l;

	if (pvf__rd_u32(v->r, &l) < 0)
		return -1;
	if (l >= v->nframes) {
		pvf__fail_at(v->r, at, PVF_E_INVALID, "unknown label %u", l);
		return -1;
	}
	*ret = l;
	return 0;
}

/* Checks that the top of the stack matches `types` without changing it
 * (equivalent to push_vals(pop_vals(types))). */
static int peek_n(pvf__validator *v, const uint8_t *types, uint32_t n)
{
	const frame *f = &v->frames[v->nframes - 1];
	uint32_t avail = v->nvals - f->height;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t want = types[n - 1 - i], got;
		if (i >= avail) {
			if (f->unreachable)
				return 0;
			pvf__fail(v->r, PVF_E_INVALID, "type mismatch: operand stack underflow");
			return -1;
		}
		got = v->vals[v->nvals - 1 - i];
		if (got != UNKNOWN && got != want) {
			mismatch(v, v->r->pos, NULL, want, got);
			return -1;
		}
	}
	return 0;
}

static bool same_types(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static int br_table(pvf__validator *v)
{
	pvf__reader *r = v->r;
	uint32_t n, def, arity;
	const uint8_t *types;
	int rc = 0;

	if (pvf__rd_count(r, PVF_WASM_MAX_BR_TABLE, 1, "br_table labels", &n) < 0)
		return -1;
	if (grow((void **)&v->labels, &v->caplabels, n + 1, sizeof(uint32_t)) < 0 ||
	    grow_zeroed(&v->mark, &v->capmark, v->nframes) < 0) {
		pvf_error_set(r->err, PVF_E_NOMEM, "out of memory");
		return -1;
	}
	/* Decode the whole vector first (a truncated one is malformed), then
	 * check the labels. */
	{
		size_t at = r->pos;

		for (uint32_t i = 0; i <= n; i++)
			if (pvf__rd_u32(r, &v->labels[i]) < 0)
				return -1;
		for (uint32_t i = 0; i <= n; i++) {
			if (v->labels[i] >= v->nframes) {
				pvf__fail_at(r, at, PVF_E_INVALID, "unknown label %u", v->labels[i]);
				return -1;
			}
		}
		def = v->labels[n];
	}
	if (pop(v, PVF_I32) < 0)
		return -1;
	label_types(v, &v->frames[v->nframes - 1 - def], &types, &arity);
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		uint32_t l = v->labels[i];
		const uint8_t *lt;
		uint32_t ln;

		if (v->mark[l])
			continue;
		v->mark[l] = 1;
		label_types(v, &v->frames[v->nframes - 1 - l], &lt, &ln);
		/* Same signature as the default label: checked by the pop below. */
		if (ln == arity && same_types(lt, ln, types, arity))
			continue;
		if (ln != arity)
			rc = pvf__fail(r, PVF_E_INVALID,
				       "type mismatch: br_table targets with different arities");
		else
			rc = peek_n(v, lt, ln);
	}
	/* Clear only the marks set above: O(labels), not O(depth). */
	for (uint32_t i = 0; i < n; i++)
		v->mark[v->labels[i]] = 0;
	if (rc < 0)
		return -1;
	if (pop_n(v, types, arity) < 0)
		return -1;
	set_unreachable(v);
	return 0;
}

static uint8_t addr_type(const pvf__validator *v, uint32_t mem)
{
	return v->ctx->mem64[mem] ? PVF_I64 : PVF_I32;
}

/* A memory or table index that MVP encodes as a single zero byte. */
static int read_zero_or_index(pvf__validator *v, uint32_t feat, uint32_t *ret)
{
	pvf__reader *r = v->r;
	size_t at = r->pos;

	if (v->ctx->features & feat) {
		if (pvf__rd_u32(r, ret) < 0)
			return -1;
		if (*ret != 0)
			v->ctx->m->features_used |= feat;
		return 0;
	}
	{
		uint8_t b;
		if (pvf__rd_u8(r, &b) < 0)
			return -1;
		if (b != 0) {
			pvf__fail_at(r, at, PVF_E_MALFORMED, "zero byte expected");
			return -1;
		}
	}
	*ret = 0;
	return 0;
}

static int check_mem(pvf__validator *v, size_t at, uint32_t mem)
{
	if (mem >= v->ctx->nmems) {
		pvf__fail_at(v->r, at, PVF_E_INVALID, "unknown memory %u", mem);
		return -1;
	}
	return 0;
}

static int check_table(pvf__validator *v, size_t at, uint32_t t)
{
	if (t >= v->ctx->ntables) {
		pvf__fail_at(v->r, at, PVF_E_INVALID, "unknown table %u", t);
		return -1;
	}
	return 0;
}

static int read_memarg(pvf__validator *v, size_t op_at, uint8_t natural, uint32_t *mem_ret)
{
	pvf__reader *r = v->r;
	uint32_t align, mem = 0;
	uint64_t offset;

	if (pvf__rd_u32(r, &align) < 0)
		return -1;
	if ((align & 0x40) && (v->ctx->features & PVF_FEAT_MULTI_MEMORY)) {
		align &= ~0x40u;
		if (pvf__rd_u32(r, &mem) < 0)
			return -1;
		if (mem != 0)
			v->ctx->m->features_used |= PVF_FEAT_MULTI_MEMORY;
	}
	if (check_mem(v, op_at, mem) < 0)
		return -1;
	if (pvf__rd_uleb(r, v->ctx->mem64[mem] ? 64 : 32, &offset) < 0)
		return -1;
	if (align > natural) {
		pvf__fail_at(r, op_at, PVF_E_INVALID,
				    "alignment must not be larger than natural (2^%u > 2^%u)", align,
				    natural);
		return -1;
	}
	*mem_ret = mem;
	return 0;
}

static bool is_num(uint8_t t)
{
	return t == PVF_I32 || t == PVF_I64 || t == PVF_F32 || t == PVF_F64 || t == PVF_V128;
}

static bool is_ref(uint8_t t)
{
	return t == PVF_FUNCREF || t == PVF_EXTERNREF;
}

static const pvf_functype *type_of_func(const pvf__validator *v, uint32_t f)
{
	return &v->ctx->m->types[v->ctx->func_types[f]];
}

static int check_func(pvf__validator *v, size_t at, uint32_t f)
{
	if (f >= v->ctx->nfuncs) {
		pvf__fail_at(v->r, at, PVF_E_INVALID, "unknown function %u", f);
		return -1;
	}
	return 0;
}

static int check_type(pvf__validator *v, size_t at, uint32_t t)
{
	if (t >= v->ctx->m->ntypes) {
		pvf__fail_at(v->r, at, PVF_E_INVALID, "unknown type %u", t);
		return -1;
	}
	return 0;
}

static int check_tag(pvf__validator *v, size_t at, uint32_t t)
{
	if (t >= v->ctx->ntags) {
		pvf__fail_at(v->r, at, PVF_E_INVALID, "unknown tag %u", t);
		return -1;
	}
	return 0;
}

/* Return calls: the callee's results must be the caller's results. */
static int tail_call_check(pvf__validator *v, size_t at, const pvf_functype *callee)
{
	const frame *fn = &v->frames[0];
	const pvf_functype *ft = &v->ctx->m->types[fn->type];

	if (!same_types(callee->results, callee->nresults, ft->results, ft->nresults)) {
		pvf__fail_at(v->r, at, PVF_E_INVALID,
				    "type mismatch: tail call results differ from the function's");
		return -1;
	}
	if (pop_n(v, callee->params, callee->nparams) < 0)
		return -1;
	set_unreachable(v);
	return 0;
}

static int data_index(pvf__validator *v, size_t at, uint32_t *ret)
{
	size_t iat = v->r->pos;

	/* The binary format requires a data count section before code that
	 * uses data indices; the spec tests classify its absence (with no data
	 * segments) as "unknown data segment", a validation error. */
	if (!v->ctx->data_count_known) {
		pvf__fail_at(v->r, at, PVF_E_INVALID,
			     "unknown data segment (data count section required)");
		return -1;
	}
	if (pvf__rd_u32(v->r, ret) < 0)
		return -1;
	if (*ret >= v->ctx->data_count) {
		pvf__fail_at(v->r, iat, PVF_E_INVALID, "unknown data segment %u", *ret);
		return -1;
	}
	return 0;
}

static int elem_index(pvf__validator *v, uint32_t *ret)
{
	size_t at = v->r->pos;

	if (pvf__rd_u32(v->r, ret) < 0)
		return -1;
	if (*ret >= v->ctx->m->nelems) {
		pvf__fail_at(v->r, at, PVF_E_INVALID, "unknown elem segment %u", *ret);
		return -1;
	}
	return 0;
}

static int table_index(pvf__validator *v, uint32_t *ret)
{
	size_t at = v->r->pos;

	if (pvf__rd_u32(v->r, ret) < 0 || check_table(v, at, *ret) < 0)
		return -1;
	if (*ret != 0)
		v->ctx->m->features_used |= PVF_FEAT_REFERENCE_TYPES;
	return 0;
}

/* 0xFC prefix. */
static int op_fc(pvf__validator *v, size_t op_at)
{
	pvf__reader *r = v->r;
	const pvf__modctx *c = v->ctx;
	uint32_t sub, a, b;
	size_t at;

	if (pvf__rd_u32(r, &sub) < 0)
		return -1;
	if (sub <= 7) {
		const pvf__numsig *s = pvf__sat_sig(sub);
		if (need(v, op_at, PVF_FEAT_SAT_FLOAT_TO_INT, PVF_E_MALFORMED, "opcode 0xfc 0..7") < 0)
			return -1;
		if (pop(v, s->a) < 0)
			return -1;
		return push(v, s->r);
	}
	if (sub > 17) {
		pvf__fail_at(r, op_at, PVF_E_MALFORMED, "illegal opcode 0xfc %u", sub);
		return -1;
	}
	if (need(v, op_at, sub >= 15 ? PVF_FEAT_REFERENCE_TYPES : PVF_FEAT_BULK_MEMORY,
		 PVF_E_MALFORMED, sub >= 15 ? "opcode 0xfc 15..17 (table.grow/size/fill)" :
		 "opcode 0xfc 8..14 (bulk memory)") < 0)
		return -1;
	switch (sub) {
	case 8: /* memory.init */
		if (data_index(v, op_at, &a) < 0)
			return -1;
		at = r->pos;
		if (read_zero_or_index(v, PVF_FEAT_MULTI_MEMORY, &b) < 0 || check_mem(v, at, b) < 0)
			return -1;
		if (pop(v, PVF_I32) < 0 || pop(v, PVF_I32) < 0 || pop(v, addr_type(v, b)) < 0)
			return -1;
		return 0;
	case 9: /* data.drop */
		return data_index(v, op_at, &a);
	case 10: { /* memory.copy dst src */
		uint8_t ta, tb;
		at = r->pos;
		if (read_zero_or_index(v, PVF_FEAT_MULTI_MEMORY, &a) < 0 || check_mem(v, at, a) < 0)
			return -1;
		at = r->pos;
		if (read_zero_or_index(v, PVF_FEAT_MULTI_MEMORY, &b) < 0 || check_mem(v, at, b) < 0)
			return -1;
		ta = addr_type(v, a);
		tb = addr_type(v, b);
		if (pop(v, ta == PVF_I64 && tb == PVF_I64 ? PVF_I64 : PVF_I32) < 0 || pop(v, tb) < 0 ||
		    pop(v, ta) < 0)
			return -1;
		return 0;
	}
	case 11: /* memory.fill */
		at = r->pos;
		if (read_zero_or_index(v, PVF_FEAT_MULTI_MEMORY, &a) < 0 || check_mem(v, at, a) < 0)
			return -1;
		if (pop(v, addr_type(v, a)) < 0 || pop(v, PVF_I32) < 0 || pop(v, addr_type(v, a)) < 0)
			return -1;
		return 0;
	case 12: /* table.init elem table */
		if (elem_index(v, &a) < 0)
			return -1;
		at = r->pos;
		if (read_zero_or_index(v, PVF_FEAT_REFERENCE_TYPES, &b) < 0 || check_table(v, at, b) < 0)
			return -1;
		if (c->elem_types[a] != c->table_elem[b]) {
			pvf__fail_at(r, op_at, PVF_E_INVALID, "type mismatch: table.init element type");
			return -1;
		}
		if (pop(v, PVF_I32) < 0 || pop(v, PVF_I32) < 0 || pop(v, PVF_I32) < 0)
			return -1;
		return 0;
	case 13: /* elem.drop */
		return elem_index(v, &a);
	case 14: /* table.copy dst src */
		at = r->pos;
		if (read_zero_or_index(v, PVF_FEAT_REFERENCE_TYPES, &a) < 0 || check_table(v, at, a) < 0)
			return -1;
		at = r->pos;
		if (read_zero_or_index(v, PVF_FEAT_REFERENCE_TYPES, &b) < 0 || check_table(v, at, b) < 0)
			return -1;
		if (c->table_elem[a] != c->table_elem[b]) {
			pvf__fail_at(r, op_at, PVF_E_INVALID, "type mismatch: table.copy element types");
			return -1;
		}
		if (pop(v, PVF_I32) < 0 || pop(v, PVF_I32) < 0 || pop(v, PVF_I32) < 0)
			return -1;
		return 0;
	case 15: /* table.grow */
		if (table_index(v, &a) < 0)
			return -1;
		if (pop(v, PVF_I32) < 0 || pop(v, c->table_elem[a]) < 0)
			return -1;
		return push(v, PVF_I32);
	case 16: /* table.size */
		if (table_index(v, &a) < 0)
			return -1;
		return push(v, PVF_I32);
	default: /* 17 table.fill */
		if (table_index(v, &a) < 0)
			return -1;
		if (pop(v, PVF_I32) < 0 || pop(v, c->table_elem[a]) < 0 || pop(v, PVF_I32) < 0)
			return -1;
		return 0;
	}
}

static int read_locals(pvf__validator *v, const pvf_functype *ft, uint32_t *nlocals)
{
	pvf__reader *r = v->r;
	uint32_t ngroups;
	uint64_t total = ft->nparams;

	if (grow((void **)&v->locals, &v->caplocals, ft->nparams + 1, 1) < 0) {
		pvf_error_set(r->err, PVF_E_NOMEM, "out of memory");
		return -1;
	}
	if (ft->nparams)
		memcpy(v->locals, ft->params, ft->nparams);
	if (pvf__rd_count(r, PVF_WASM_MAX_LOCALS, 2, "local groups", &ngroups) < 0)
		return -1;
	for (uint32_t g = 0; g < ngroups; g++) {
		size_t at = r->pos;
		uint32_t n;
		uint8_t t;

		if (pvf__rd_u32(r, &n) < 0)
			return -1;
		if (total + n > PVF_WASM_MAX_LOCALS) {
			pvf__fail_at(r, at, PVF_E_MALFORMED, "too many locals (limit %u)",
					    PVF_WASM_MAX_LOCALS);
			return -1;
		}
		at = r->pos;
		if (pvf__rd_u8(r, &t) < 0)
			return -1;
		r->pos = at;
		if (pvf__check_valtype(v->ctx, r, t) < 0)
			return -1;
		r->pos = at + 1;
		if (grow((void **)&v->locals, &v->caplocals, (uint32_t)(total + n + 1), 1) < 0) {
			pvf_error_set(r->err, PVF_E_NOMEM, "out of memory");
			return -1;
		}
		memset(v->locals + total, t, n);
		total += n;
	}
	v->nlocals = (uint32_t)total;
	*nlocals = (uint32_t)(total - ft->nparams);
	return 0;
}

static int validate_code(pvf__validator *v, uint32_t func_index)
{
	pvf__reader *r = v->r;
	const pvf__modctx *c = v->ctx;
	pvf_module *m = c->m;
	frame fr = { 0 };

	fr.op = OP_FUNC;
	fr.type = c->func_types[func_index];
	v->nvals = 0;
	v->nframes = 0;
	if (push_frame(v, &fr) < 0)
		return -1;

	for (;;) {
		size_t op_at = r->pos;
		uint8_t op;

		if (pvf__rd_u8(r, &op) < 0) {
			pvf__fail(r, PVF_E_MALFORMED, "unexpected end of section or function");
			return -1;
		}
		switch (op) {
		case 0x00: /* unreachable */
			set_unreachable(v);
			break;
		case 0x01: /* nop */
			break;
		case 0x02: /* block */
		case 0x03: /* loop */
		case 0x04: /* if */
		case 0x06: { /* try */
			const uint8_t *p;
			uint32_t np;

			if (op == 0x06 &&
			    need(v, op_at, PVF_FEAT_EXCEPTIONS, PVF_E_MALFORMED, "opcode try") < 0)
				return -1;
			memset(&fr, 0, sizeof fr);
			fr.op = op;
			if (read_blocktype(v, &fr) < 0)
				return -1;
			if (op == 0x04 && pop(v, PVF_I32) < 0)
				return -1;
			frame_params(v, &fr, &p, &np);
			if (pop_n(v, p, np) < 0 || push_frame(v, &fr) < 0 || push_n(v, p, np) < 0)
				return -1;
			break;
		}
		case 0x05: { /* else */
			frame *f = &v->frames[v->nframes - 1];
			const uint8_t *p;
			uint32_t np;

			if (f->op != 0x04) {
				pvf__fail_at(r, op_at, PVF_E_MALFORMED, "else without matching if");
				return -1;
			}
			if (close_frame(v) < 0)
				return -1;
			f->op = 0x05;
			f->unreachable = false;
			frame_params(v, f, &p, &np);
			if (push_n(v, p, np) < 0)
				return -1;
			break;
		}
		case 0x07: /* catch */
		case 0x19: { /* catch_all */
			frame *f = &v->frames[v->nframes - 1];
			uint32_t tag = 0;
			size_t at;

			if (need(v, op_at, PVF_FEAT_EXCEPTIONS, PVF_E_MALFORMED, "opcode catch") < 0)
				return -1;
			if (f->op != 0x06 && f->op != 0x07) {
				pvf__fail_at(r, op_at, PVF_E_INVALID, "catch without matching try");
				return -1;
			}
			at = r->pos;
			if (op == 0x07 && (pvf__rd_u32(r, &tag) < 0 || check_tag(v, at, tag) < 0))
				return -1;
			if (close_frame(v) < 0)
				return -1;
			f = &v->frames[v->nframes - 1];
			f->op = op;
			f->unreachable = false;
			if (op == 0x07) {
				const pvf_functype *tt = &m->types[c->tag_types[tag]];
				if (push_n(v, tt->params, tt->nparams) < 0)
					return -1;
			}
			break;
		}
		case 0x18: { /* delegate */
			frame f;
			const uint8_t *p;
			uint32_t np, l;
			size_t at;

			if (need(v, op_at, PVF_FEAT_EXCEPTIONS, PVF_E_MALFORMED, "opcode delegate") < 0)
				return -1;
			if (v->frames[v->nframes - 1].op != 0x06) {
				pvf__fail_at(r, op_at, PVF_E_INVALID, "delegate without matching try");
				return -1;
			}
			at = r->pos;
			if (pvf__rd_u32(r, &l) < 0)
				return -1;
			if (l >= v->nframes - 1) {
				pvf__fail_at(r, at, PVF_E_INVALID, "unknown label %u", l);
				return -1;
			}
			if (close_frame(v) < 0)
				return -1;
			f = v->frames[--v->nframes];
			frame_results(v, &f, &p, &np);
			if (push_n(v, p, np) < 0)
				return -1;
			break;
		}
		case 0x08: { /* throw */
			uint32_t tag;
			size_t at;
			const pvf_functype *tt;

			if (need(v, op_at, PVF_FEAT_EXCEPTIONS, PVF_E_MALFORMED, "opcode throw") < 0)
				return -1;
			at = r->pos;
			if (pvf__rd_u32(r, &tag) < 0 || check_tag(v, at, tag) < 0)
				return -1;
			tt = &m->types[c->tag_types[tag]];
			if (pop_n(v, tt->params, tt->nparams) < 0)
				return -1;
			set_unreachable(v);
			break;
		}
		case 0x09: { /* rethrow */
			uint32_t l;
			uint8_t k;

			if (need(v, op_at, PVF_FEAT_EXCEPTIONS, PVF_E_MALFORMED, "opcode rethrow") < 0)
				return -1;
			if (read_label(v, &l) < 0)
				return -1;
			k = v->frames[v->nframes - 1 - l].op;
			if (k != 0x07 && k != 0x19) {
				pvf__fail_at(r, op_at, PVF_E_INVALID, "invalid rethrow label");
				return -1;
			}
			set_unreachable(v);
			break;
		}
		case 0x0B: { /* end */
			frame f;
			const uint8_t *p, *q;
			uint32_t np, nq;

			if (close_frame(v) < 0)
				return -1;
			f = v->frames[--v->nframes];
			frame_results(v, &f, &p, &np);
			if (f.op == 0x04) {
				frame_params(v, &f, &q, &nq);
				if (!same_types(p, np, q, nq)) {
					pvf__fail_at(r, op_at, PVF_E_INVALID,
							    "type mismatch: if without else must leave its parameters");
					return -1;
				}
			}
			if (v->nframes == 0) {
				if (r->pos != r->end) {
					pvf__fail(r, PVF_E_MALFORMED,
							 "section size mismatch: bytes after the function's end");
					return -1;
				}
				return 0;
			}
			if (push_n(v, p, np) < 0)
				return -1;
			break;
		}
		case 0x0C: { /* br */
			uint32_t l, n;
			const uint8_t *p;

			if (read_label(v, &l) < 0)
				return -1;
			label_types(v, &v->frames[v->nframes - 1 - l], &p, &n);
			if (pop_n(v, p, n) < 0)
				return -1;
			set_unreachable(v);
			break;
		}
		case 0x0D: { /* br_if */
			uint32_t l, n;
			const uint8_t *p;

			if (read_label(v, &l) < 0 || pop(v, PVF_I32) < 0)
				return -1;
			label_types(v, &v->frames[v->nframes - 1 - l], &p, &n);
			if (pop_n(v, p, n) < 0 || push_n(v, p, n) < 0)
				return -1;
			break;
		}
		case 0x0E:
			if (br_table(v) < 0)
				return -1;
			break;
		case 0x0F: { /* return */
			uint32_t n;
			const uint8_t *p;

			frame_results(v, &v->frames[0], &p, &n);
			if (pop_n(v, p, n) < 0)
				return -1;
			set_unreachable(v);
			break;
		}
		case 0x10: /* call */
		case 0x12: { /* return_call */
			uint32_t f;
			size_t at;
			const pvf_functype *ft;

			if (op == 0x12 &&
			    need(v, op_at, PVF_FEAT_TAIL_CALL, PVF_E_MALFORMED, "opcode return_call") < 0)
				return -1;
			at = r->pos;
			if (pvf__rd_u32(r, &f) < 0 || check_func(v, at, f) < 0)
				return -1;
			ft = type_of_func(v, f);
			if (op == 0x12) {
				if (tail_call_check(v, op_at, ft) < 0)
					return -1;
				break;
			}
			if (pop_n(v, ft->params, ft->nparams) < 0 || push_n(v, ft->results, ft->nresults) < 0)
				return -1;
			break;
		}
		case 0x11: /* call_indirect */
		case 0x13: { /* return_call_indirect */
			uint32_t t, tab;
			size_t at;
			const pvf_functype *ft;

			if (op == 0x13 && need(v, op_at, PVF_FEAT_TAIL_CALL, PVF_E_MALFORMED,
					       "opcode return_call_indirect") < 0)
				return -1;
			at = r->pos;
			if (pvf__rd_u32(r, &t) < 0)
				return -1;
			{
				size_t tat = r->pos;
				if (read_zero_or_index(v, PVF_FEAT_REFERENCE_TYPES, &tab) < 0 ||
				    check_table(v, tat, tab) < 0)
					return -1;
			}
			if (check_type(v, at, t) < 0)
				return -1;
			if (c->table_elem[tab] != PVF_FUNCREF) {
				pvf__fail_at(r, op_at, PVF_E_INVALID,
						    "type mismatch: call_indirect on a table of %s",
						    pvf_valtype_name(c->table_elem[tab]));
				return -1;
			}
			ft = &m->types[t];
			if (pop(v, PVF_I32) < 0)
				return -1;
			if (op == 0x13) {
				if (tail_call_check(v, op_at, ft) < 0)
					return -1;
				break;
			}
			if (pop_n(v, ft->params, ft->nparams) < 0 || push_n(v, ft->results, ft->nresults) < 0)
				return -1;
			break;
		}
		case 0x1A: { /* drop */
			uint8_t t;
			if (pop_any(v, &t) < 0)
				return -1;
			break;
		}
		case 0x1B: { /* select */
			uint8_t t1, t2;

			if (pop(v, PVF_I32) < 0 || pop_any(v, &t1) < 0 || pop_any(v, &t2) < 0)
				return -1;
			if ((t1 != UNKNOWN && !is_num(t1)) || (t2 != UNKNOWN && !is_num(t2))) {
				pvf__fail_at(r, op_at, PVF_E_INVALID,
						    "type mismatch: select without type needs numeric operands");
				return -1;
			}
			if (t1 != UNKNOWN && t2 != UNKNOWN && t1 != t2) {
				mismatch(v, op_at, NULL, t1, t2);
				return -1;
			}
			if (push(v, t1 != UNKNOWN ? t1 : t2) < 0)
				return -1;
			break;
		}
		case 0x1C: { /* select t* */
			uint32_t n;
			uint8_t t;
			size_t at;

			if (need(v, op_at, PVF_FEAT_REFERENCE_TYPES, PVF_E_MALFORMED, "typed select") < 0)
				return -1;
			at = r->pos;
			if (pvf__rd_u32(r, &n) < 0)
				return -1;
			if (n != 1) {
				pvf__fail_at(r, at, PVF_E_INVALID, "invalid result arity for select");
				return -1;
			}
			at = r->pos;
			if (pvf__rd_u8(r, &t) < 0)
				return -1;
			r->pos = at;
			if (pvf__check_valtype(c, r, t) < 0)
				return -1;
			r->pos = at + 1;
			if (pop(v, PVF_I32) < 0 || pop(v, t) < 0 || pop(v, t) < 0 || push(v, t) < 0)
				return -1;
			break;
		}
		case 0x20: /* local.get */
		case 0x21: /* local.set */
		case 0x22: { /* local.tee */
			uint32_t x;
			size_t at = r->pos;
			uint8_t t;

			if (pvf__rd_u32(r, &x) < 0)
				return -1;
			if (x >= v->nlocals) {
				pvf__fail_at(r, at, PVF_E_INVALID, "unknown local %u", x);
				return -1;
			}
			t = v->locals[x];
			if (op == 0x20) {
				if (push(v, t) < 0)
					return -1;
			} else {
				if (pop(v, t) < 0)
					return -1;
				if (op == 0x22 && push(v, t) < 0)
					return -1;
			}
			break;
		}
		case 0x23: /* global.get */
		case 0x24: { /* global.set */
			uint32_t x;
			size_t at = r->pos;

			if (pvf__rd_u32(r, &x) < 0)
				return -1;
			if (x >= c->nglobals) {
				pvf__fail_at(r, at, PVF_E_INVALID, "unknown global %u", x);
				return -1;
			}
			if (op == 0x23) {
				if (push(v, c->globals[x].type) < 0)
					return -1;
			} else {
				if (!c->globals[x].mut) {
					pvf__fail_at(r, at, PVF_E_INVALID, "global is immutable");
					return -1;
				}
				if (pop(v, c->globals[x].type) < 0)
					return -1;
			}
			break;
		}
		case 0x25: /* table.get */
		case 0x26: { /* table.set */
			uint32_t x;

			if (need(v, op_at, PVF_FEAT_REFERENCE_TYPES, PVF_E_MALFORMED,
				 op == 0x25 ? "opcode table.get" : "opcode table.set") < 0)
				return -1;
			if (table_index(v, &x) < 0)
				return -1;
			if (op == 0x25) {
				if (pop(v, PVF_I32) < 0 || push(v, c->table_elem[x]) < 0)
					return -1;
			} else {
				if (pop(v, c->table_elem[x]) < 0 || pop(v, PVF_I32) < 0)
					return -1;
			}
			break;
		}
		case 0x28: case 0x29: case 0x2A: case 0x2B: case 0x2C: case 0x2D: case 0x2E:
		case 0x2F: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35:
		case 0x36: case 0x37: case 0x38: case 0x39: case 0x3A: case 0x3B: case 0x3C:
		case 0x3D: case 0x3E: {
			const pvf__memsig *s = pvf__mem_sig(op);
			uint32_t mem;

			if (read_memarg(v, op_at, s->align, &mem) < 0)
				return -1;
			if (s->store) {
				if (pop(v, s->type) < 0 || pop(v, addr_type(v, mem)) < 0)
					return -1;
			} else {
				if (pop(v, addr_type(v, mem)) < 0 || push(v, s->type) < 0)
					return -1;
			}
			break;
		}
		case 0x3F: /* memory.size */
		case 0x40: { /* memory.grow */
			uint32_t mem;
			size_t at = r->pos;

			if (read_zero_or_index(v, PVF_FEAT_MULTI_MEMORY, &mem) < 0 || check_mem(v, at, mem) < 0)
				return -1;
			if (op == 0x40 && pop(v, addr_type(v, mem)) < 0)
				return -1;
			if (push(v, addr_type(v, mem)) < 0)
				return -1;
			break;
		}
		case 0x41: {
			int64_t x;
			if (pvf__rd_sleb(r, 32, &x) < 0 || push(v, PVF_I32) < 0)
				return -1;
			break;
		}
		case 0x42: {
			int64_t x;
			if (pvf__rd_sleb(r, 64, &x) < 0 || push(v, PVF_I64) < 0)
				return -1;
			break;
		}
		case 0x43:
		case 0x44: {
			const uint8_t *p;
			if (pvf__rd_bytes(r, op == 0x43 ? 4 : 8, &p) < 0 ||
			    push(v, op == 0x43 ? PVF_F32 : PVF_F64) < 0)
				return -1;
			break;
		}
		case 0xD0: { /* ref.null */
			uint8_t t;
			size_t at;

			if (need(v, op_at, PVF_FEAT_REFERENCE_TYPES, PVF_E_MALFORMED, "opcode ref.null") < 0)
				return -1;
			at = r->pos;
			if (pvf__rd_u8(r, &t) < 0)
				return -1;
			if (!is_ref(t)) {
				pvf__fail_at(r, at, PVF_E_MALFORMED, "malformed reference type 0x%02x", t);
				return -1;
			}
			if (push(v, t) < 0)
				return -1;
			break;
		}
		case 0xD1: { /* ref.is_null */
			uint8_t t;

			if (need(v, op_at, PVF_FEAT_REFERENCE_TYPES, PVF_E_MALFORMED, "opcode ref.is_null") < 0)
				return -1;
			if (pop_any(v, &t) < 0)
				return -1;
			if (t != UNKNOWN && !is_ref(t)) {
				mismatch(v, op_at, NULL, PVF_FUNCREF, t);
				return -1;
			}
			if (push(v, PVF_I32) < 0)
				return -1;
			break;
		}
		case 0xD2: { /* ref.func */
			uint32_t f;
			size_t at;

			if (need(v, op_at, PVF_FEAT_REFERENCE_TYPES, PVF_E_MALFORMED, "opcode ref.func") < 0)
				return -1;
			at = r->pos;
			if (pvf__rd_u32(r, &f) < 0 || check_func(v, at, f) < 0)
				return -1;
			if (!(c->declared_funcs[f / 8] & (1u << (f % 8)))) {
				pvf__fail_at(r, at, PVF_E_INVALID, "undeclared function reference %u", f);
				return -1;
			}
			if (push(v, PVF_FUNCREF) < 0)
				return -1;
			break;
		}
		case 0xFC:
			if (op_fc(v, op_at) < 0)
				return -1;
			break;
		case 0xFD:
			if (need(v, op_at, PVF_FEAT_SIMD, PVF_E_MALFORMED, "opcode 0xfd") < 0)
				return -1;
			pvf__fail_at(r, op_at, PVF_E_INVALID,
					    "SIMD instructions are not supported by this validator");
			return -1;
		case 0xFE:
			if (need(v, op_at, PVF_FEAT_THREADS, PVF_E_MALFORMED, "opcode 0xfe") < 0)
				return -1;
			pvf__fail_at(r, op_at, PVF_E_INVALID,
					    "atomic instructions are not supported by this validator");
			return -1;
		default: {
			const pvf__numsig *s = pvf__numeric_sig(op);

			if (!s) {
				pvf__fail_at(r, op_at, PVF_E_MALFORMED, "illegal opcode 0x%02x", op);
				return -1;
			}
			if (op >= 0xC0 &&
			    need(v, op_at, PVF_FEAT_SIGN_EXT, PVF_E_MALFORMED, "opcode 0xc0..0xc4") < 0)
				return -1;
			if (s->b) {
				if (pop(v, s->b) < 0)
					return -1;
			}
			if (pop(v, s->a) < 0 || push(v, s->r) < 0)
				return -1;
			break;
		}
		}
	}
}

int pvf__validate_body(pvf__validator *v, const pvf__modctx *ctx, uint32_t func_index,
		       pvf__reader *r, bool skip_code, uint32_t *nlocals)
{
	const pvf_functype *ft = &ctx->m->types[ctx->func_types[func_index]];

	v->ctx = ctx;
	v->r = r;
	if (read_locals(v, ft, nlocals) < 0)
		return -1;
	if (skip_code)
		return 0;
	return validate_code(v, func_index);
}
