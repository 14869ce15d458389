/*
 * nanflow.c — where the NaN canonicalisation of float results is needed
 * (see nanflow.h for what the result means).
 *
 * The walk follows each function's operand stack the way validation does,
 * remembering for every value where it came from: a canonicalising
 * operation (which one), a local.get of a float local (which one), a
 * non-NaN constant, or anything else. When an instruction pops a value it
 * decides whether the value's bits can be seen there:
 *   - not seen: canonicalising arithmetic, comparisons, conversions to an
 *     integer (a NaN traps or gives 0), drop, and local.set/tee of a pure
 *     local (its reads are checked instead);
 *   - seen: everything else (stores, reinterpretations, calls, returns,
 *     globals, select, abs/neg/copysign, block results and branch values,
 *     writes to other locals). Conservative on purpose: a value that flows
 *     anywhere the walk does not follow counts as seen.
 * A seen arithmetic result is tested where it is computed; a seen read of a
 * pure local is tested where it is read.
 *
 * A float local (not a parameter) is pure when every value written to it
 * is an arithmetic result, a non-NaN constant or a read of a pure local;
 * then its contents are exactly what testing every write would leave,
 * without the tests (no sign or payload operation lies in between). Purity
 * starts optimistic and is withdrawn from a local that receives anything
 * else; the walk repeats until nothing changes.
 *
 * Code after br, br_table, return or unreachable up to the end of its
 * block is skipped, as wasm2c skips it, so the lists line up with the
 * statements wasm2c writes (prepare.c checks every one before using them).
 * Any instruction outside MVP, sign extension, saturating truncation, bulk
 * memory and reference types leaves the function not analysed.
 */
#include "wasm/nanflow.h"

#include <stdlib.h>
#include <string.h>

#include "wasm/decode_internal.h"

enum { SRC_OTHER, SRC_CLEAN, SRC_ARITH, SRC_GET };

typedef struct slot {
	uint8_t src;
	uint32_t id;          /* arith or get index */
} slot;

typedef struct frame {
	uint8_t op;           /* 0x02 block, 0x03 loop, 0x04 if, 0 function */
	uint32_t height;
	uint32_t nparams, nresults;
	bool unreachable;
} frame;

typedef struct walk {
	const pvf_module *m;
	const uint8_t *ltypes;   /* per local, parameters first */
	uint32_t nlocals;
	const bool *pure;        /* per local */
	bool *tainted;           /* per local: received a value that is not pure */
	slot *stack;
	uint32_t height, stack_cap;
	frame *frames;
	uint32_t depth, frames_cap;
	pvf_nanflow_func *out;
	uint32_t arith_cap, get_cap;
} walk;

/* 1: cannot follow (not analysed); -1: out of memory. */
#define GIVE_UP 1

/* Makes room for item n of the array `arr` of `cap` items (doubling it);
 * 0, or -1 when out of memory (the array is then unchanged). */
#define GROW(arr, cap, n)                                                           \
	__extension__({                                                             \
		int r_ = 0;                                                         \
		if ((n) >= (cap)) {                                                 \
			uint32_t c_ = (cap) ? (cap) * 2 : 16;                       \
			__typeof__(arr) a_ = realloc((arr), (size_t)c_ * sizeof(*(arr))); \
			if (a_) {                                                   \
				(arr) = a_;                                         \
				(cap) = c_;                                         \
			} else {                                                    \
				r_ = -1;                                            \
			}                                                           \
		}                                                                   \
		r_;                                                                 \
	})

static int push(walk *w, uint8_t src, uint32_t id)
{
	if (GROW(w->stack, w->stack_cap, w->height) < 0)
		return -1;
	w->stack[w->height].src = src;
	w->stack[w->height].id = id;
	w->height++;
	return 0;
}

static int push_n(walk *w, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (push(w, SRC_OTHER, 0) < 0)
			return -1;
	return 0;
}

static bool is_float_local(const walk *w, uint32_t l)
{
	return l < w->nlocals && (w->ltypes[l] == PVF_F32 || w->ltypes[l] == PVF_F64);
}

/* The value `s` is seen (its bits matter) where it is popped. */
static void seen(walk *w, slot s)
{
	if (s.src == SRC_ARITH)
		w->out->arith[s.id].need = true;
	else if (s.src == SRC_GET && w->pure[w->out->get[s.id].local])
		w->out->get[s.id].canon = true;
}

/* Pops one value; `see`: its bits matter there. */
static int pop(walk *w, bool see, slot *ret)
{
	frame *f = &w->frames[w->depth - 1];

	if (w->height <= f->height)
		return GIVE_UP;   /* not where validation would be */
	w->height--;
	if (see)
		seen(w, w->stack[w->height]);
	if (ret)
		*ret = w->stack[w->height];
	return 0;
}

static int pop_n(walk *w, uint32_t n, bool see)
{
	for (uint32_t i = 0; i < n; i++) {
		int r = pop(w, see, NULL);
		if (r)
			return r;
	}
	return 0;
}

/* The top n values are carried by a branch: seen, left in place. */
static int see_top(walk *w, uint32_t n)
{
	frame *f = &w->frames[w->depth - 1];

	if (w->height < f->height + n)
		return GIVE_UP;
	for (uint32_t i = 0; i < n; i++)
		seen(w, w->stack[w->height - 1 - i]);
	return 0;
}

/* A value written to local l: not seen when l is pure (its reads are
 * checked), but then l stays pure only if the value is. */
static void to_local(walk *w, uint32_t l, slot s)
{
	if (!is_float_local(w, l) || !w->pure[l]) {
		seen(w, s);
		return;
	}
	if (s.src == SRC_ARITH || s.src == SRC_CLEAN)
		return;
	if (s.src == SRC_GET && w->pure[w->out->get[s.id].local])
		return;
	w->tainted[l] = true;
}

static int add_arith(walk *w, uint8_t op)
{
	pvf_nanflow_func *o = w->out;

	if (GROW(o->arith, w->arith_cap, o->narith) < 0)
		return -1;
	o->arith[o->narith].op = op;
	o->arith[o->narith].need = false;
	return push(w, SRC_ARITH, o->narith++);
}

static int add_get(walk *w, uint32_t l)
{
	pvf_nanflow_func *o = w->out;

	if (GROW(o->get, w->get_cap, o->nget) < 0)
		return -1;
	o->get[o->nget].local = l;
	o->get[o->nget].f64 = w->ltypes[l] == PVF_F64;
	o->get[o->nget].canon = false;
	return push(w, SRC_GET, o->nget++);
}

static int push_frame(walk *w, uint8_t op, uint32_t nparams, uint32_t nresults)
{
	if (GROW(w->frames, w->frames_cap, w->depth) < 0)
		return -1;
	w->frames[w->depth].op = op;
	w->frames[w->depth].height = w->height;
	w->frames[w->depth].nparams = nparams;
	w->frames[w->depth].nresults = nresults;
	w->frames[w->depth].unreachable = false;
	w->depth++;
	return 0;
}

static int rd_u32(pvf__reader *r, uint32_t *v)
{
	return pvf__rd_u32(r, v) < 0 ? GIVE_UP : 0;
}

/* A block type: its parameter and result counts. */
static int block_type(walk *w, pvf__reader *r, uint32_t *np, uint32_t *nr)
{
	int64_t t;

	if (r->pos < r->end && r->base[r->pos] == 0x40) {
		r->pos++;
		*np = *nr = 0;
		return 0;
	}
	if (r->pos < r->end && (r->base[r->pos] & 0x80) == 0 && r->base[r->pos] >= 0x40) {
		r->pos++;   /* one value type */
		*np = 0;
		*nr = 1;
		return 0;
	}
	if (pvf__rd_sleb(r, 33, &t) < 0 || t < 0 || (uint64_t)t >= w->m->ntypes)
		return GIVE_UP;
	*np = w->m->types[t].nparams;
	*nr = w->m->types[t].nresults;
	return 0;
}

static int memarg(pvf__reader *r)
{
	uint32_t align;
	uint64_t off;

	if (rd_u32(r, &align))
		return GIVE_UP;
	if (align & 0x40) {
		uint32_t mem;
		if (rd_u32(r, &mem))
			return GIVE_UP;
	}
	return pvf__rd_uleb(r, 64, &off) < 0 ? GIVE_UP : 0;
}

static bool canonicalising(uint8_t op)
{
	return (op >= 0x8D && op <= 0x97) || (op >= 0x9B && op <= 0xA5) || op == 0xB6 || op == 0xBB;
}

/* Branch target arity: a loop's label takes its parameters. */
static int label_arity(walk *w, uint32_t l, uint32_t *n)
{
	if (l >= w->depth)
		return GIVE_UP;
	frame *f = &w->frames[w->depth - 1 - l];
	*n = f->op == 0x03 ? f->nparams : f->nresults;
	return 0;
}

/* Skips the immediates of `op`, an instruction in unreachable code. */
static int skip_immediates(walk *w, pvf__reader *r, uint8_t op)
{
	uint32_t v, n, np, nr;
	const uint8_t *bytes;

	switch (op) {
	case 0x02: case 0x03: case 0x04:
		return block_type(w, r, &np, &nr);
	case 0x0C: case 0x0D: case 0x10: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
	case 0x25: case 0x26: case 0xD2:
		return rd_u32(r, &v);
	case 0x0E:
		if (rd_u32(r, &n))
			return GIVE_UP;
		for (uint64_t i = 0; i <= n; i++)
			if (rd_u32(r, &v))
				return GIVE_UP;
		return 0;
	case 0x11:
		return rd_u32(r, &v) || rd_u32(r, &v) ? GIVE_UP : 0;
	case 0x1C:
		if (rd_u32(r, &n))
			return GIVE_UP;
		return pvf__rd_bytes(r, n, &bytes) < 0 ? GIVE_UP : 0;
	case 0x3F: case 0x40: case 0xD0:
		return pvf__rd_bytes(r, 1, &bytes) < 0 ? GIVE_UP : 0;
	case 0x41: {
		int64_t x;
		return pvf__rd_sleb(r, 32, &x) < 0 ? GIVE_UP : 0;
	}
	case 0x42: {
		int64_t x;
		return pvf__rd_sleb(r, 64, &x) < 0 ? GIVE_UP : 0;
	}
	case 0x43:
		return pvf__rd_bytes(r, 4, &bytes) < 0 ? GIVE_UP : 0;
	case 0x44:
		return pvf__rd_bytes(r, 8, &bytes) < 0 ? GIVE_UP : 0;
	case 0xFC:
		if (rd_u32(r, &v))
			return GIVE_UP;
		switch (v) {
		case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
			return 0;
		case 8: case 12: case 14:
			return rd_u32(r, &n) || rd_u32(r, &n) ? GIVE_UP : 0;
		case 9: case 11: case 13: case 15: case 16: case 17:
			return rd_u32(r, &n);
		case 10:
			return rd_u32(r, &n) || rd_u32(r, &n) ? GIVE_UP : 0;
		default:
			return GIVE_UP;
		}
	default:
		if ((op >= 0x28 && op <= 0x3E))
			return memarg(r);
		if (op <= 0x01 || op == 0x05 || op == 0x0B || op == 0x0F || op == 0x1A || op == 0x1B ||
		    (op >= 0x45 && op <= 0xC4) || op == 0xD1)
			return 0;
		return GIVE_UP;
	}
}

/* Leaves the current frame at its `else` or `end`: the values on top are
 * its results (seen: where they go is not followed). */
static int close_frame(walk *w, bool is_else)
{
	frame *f = &w->frames[w->depth - 1];
	int rc;

	if (!f->unreachable) {
		if ((rc = pop_n(w, f->nresults, true)))
			return rc;
		if (w->height != f->height)
			return GIVE_UP;
	}
	w->height = f->height;
	if (is_else) {
		if (f->op != 0x04)
			return GIVE_UP;
		f->unreachable = false;
		f->op = 0x05;
		return push_n(w, f->nparams);
	}
	uint32_t nr = f->nresults;
	w->depth--;
	return push_n(w, nr);
}

static int step(walk *w, pvf__reader *r, uint8_t op)
{
	frame *f = &w->frames[w->depth - 1];
	uint32_t a, b, n;
	slot s;
	int rc = 0;

	switch (op) {
	case 0x00: /* unreachable */
		f->unreachable = true;
		return 0;
	case 0x01:
		return 0;
	case 0x02: case 0x03: case 0x04:
		if ((rc = block_type(w, r, &a, &b)))
			return rc;
		if (op == 0x04 && (rc = pop(w, false, NULL)))
			return rc;
		if ((rc = pop_n(w, a, true)))
			return rc;
		if (push_frame(w, op, a, b) < 0)
			return -1;
		return push_n(w, a);
	case 0x05:
		return close_frame(w, true);
	case 0x0B:
		return close_frame(w, false);
	case 0x0C: /* br */
		if (rd_u32(r, &a) || label_arity(w, a, &n))
			return GIVE_UP;
		if ((rc = see_top(w, n)))
			return rc;
		f->unreachable = true;
		return 0;
	case 0x0D: /* br_if */
		if (rd_u32(r, &a) || label_arity(w, a, &n))
			return GIVE_UP;
		if ((rc = pop(w, false, NULL)))
			return rc;
		return see_top(w, n);
	case 0x0E: /* br_table */
		if (rd_u32(r, &b))
			return GIVE_UP;
		for (uint64_t i = 0; i <= b; i++)
			if (rd_u32(r, &a))
				return GIVE_UP;
		if (label_arity(w, a, &n))
			return GIVE_UP;
		if ((rc = pop(w, false, NULL)) || (rc = see_top(w, n)))
			return rc;
		f->unreachable = true;
		return 0;
	case 0x0F: /* return */
		if ((rc = see_top(w, w->frames[0].nresults)))
			return rc;
		f->unreachable = true;
		return 0;
	case 0x10: case 0x11: { /* call, call_indirect */
		const pvf_functype *t;
		if (rd_u32(r, &a))
			return GIVE_UP;
		if (op == 0x10) {
			t = pvf_module_func_type(w->m, a);
		} else {
			if (rd_u32(r, &b) || a >= w->m->ntypes)
				return GIVE_UP;
			t = &w->m->types[a];
			if ((rc = pop(w, false, NULL)))
				return rc;
		}
		if (!t)
			return GIVE_UP;
		if ((rc = pop_n(w, t->nparams, true)))
			return rc;
		return push_n(w, t->nresults);
	}
	case 0x1A: /* drop */
		return pop(w, false, NULL);
	case 0x1B: case 0x1C: /* select */
		if (op == 0x1C) {
			const uint8_t *bytes;
			if (rd_u32(r, &n) || pvf__rd_bytes(r, n, &bytes) < 0)
				return GIVE_UP;
		}
		if ((rc = pop(w, false, NULL)) || (rc = pop_n(w, 2, true)))
			return rc;
		return push(w, SRC_OTHER, 0);
	case 0x20: /* local.get */
		if (rd_u32(r, &a) || a >= w->nlocals)
			return GIVE_UP;
		return is_float_local(w, a) ? add_get(w, a) : push(w, SRC_OTHER, 0);
	case 0x21: case 0x22: /* local.set, local.tee */
		if (rd_u32(r, &a) || a >= w->nlocals || (rc = pop(w, false, &s)))
			return rc ? rc : GIVE_UP;
		to_local(w, a, s);
		return op == 0x22 ? push(w, s.src, s.id) : 0;
	case 0x23: /* global.get */
		return rd_u32(r, &a) ? GIVE_UP : push(w, SRC_OTHER, 0);
	case 0x24: /* global.set */
		return rd_u32(r, &a) ? GIVE_UP : pop(w, true, NULL);
	case 0x25: /* table.get */
		if (rd_u32(r, &a) || (rc = pop(w, false, NULL)))
			return rc ? rc : GIVE_UP;
		return push(w, SRC_OTHER, 0);
	case 0x26: /* table.set */
		return rd_u32(r, &a) ? GIVE_UP : pop_n(w, 2, true);
	case 0x3F: case 0x40: { /* memory.size, memory.grow */
		const uint8_t *bytes;
		if (pvf__rd_bytes(r, 1, &bytes) < 0)
			return GIVE_UP;
		if (op == 0x40 && (rc = pop(w, false, NULL)))
			return rc;
		return push(w, SRC_OTHER, 0);
	}
	case 0x41: case 0x42: case 0x43: case 0x44: { /* constants */
		const uint8_t *bytes;
		int64_t x;
		if (op == 0x41 || op == 0x42) {
			if (pvf__rd_sleb(r, op == 0x41 ? 32 : 64, &x) < 0)
				return GIVE_UP;
			return push(w, SRC_OTHER, 0);
		}
		if (pvf__rd_bytes(r, op == 0x43 ? 4 : 8, &bytes) < 0)
			return GIVE_UP;
		/* A NaN constant: exponent all ones, fraction not zero. */
		bool nan;
		if (op == 0x43) {
			uint32_t u = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
				     (uint32_t)bytes[3] << 24;
			nan = (u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu);
		} else {
			uint64_t u = 0;
			for (int i = 7; i >= 0; i--)
				u = u << 8 | bytes[i];
			nan = (u & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (u & 0x000fffffffffffffull);
		}
		return push(w, nan ? SRC_OTHER : SRC_CLEAN, 0);
	}
	case 0xD0: { /* ref.null */
		const uint8_t *bytes;
		return pvf__rd_bytes(r, 1, &bytes) < 0 ? GIVE_UP : push(w, SRC_OTHER, 0);
	}
	case 0xD1: /* ref.is_null */
		return (rc = pop(w, false, NULL)) ? rc : push(w, SRC_OTHER, 0);
	case 0xD2: /* ref.func */
		return rd_u32(r, &a) ? GIVE_UP : push(w, SRC_OTHER, 0);
	case 0xFC:
		if (rd_u32(r, &a))
			return GIVE_UP;
		if (a <= 7) /* trunc_sat: a NaN gives 0 */
			return (rc = pop(w, false, NULL)) ? rc : push(w, SRC_OTHER, 0);
		switch (a) {
		case 8: case 12: case 14: /* memory.init, table.init, table.copy */
			if (rd_u32(r, &b) || rd_u32(r, &b))
				return GIVE_UP;
			return pop_n(w, 3, true);
		case 10: /* memory.copy */
			if (rd_u32(r, &b) || rd_u32(r, &b))
				return GIVE_UP;
			return pop_n(w, 3, true);
		case 11: case 17: /* memory.fill, table.fill */
			return rd_u32(r, &b) ? GIVE_UP : pop_n(w, 3, true);
		case 9: case 13: /* data.drop, elem.drop */
			return rd_u32(r, &b) ? GIVE_UP : 0;
		case 15: /* table.grow */
			if (rd_u32(r, &b) || (rc = pop_n(w, 2, true)))
				return rc ? rc : GIVE_UP;
			return push(w, SRC_OTHER, 0);
		case 16: /* table.size */
			return rd_u32(r, &b) ? GIVE_UP : push(w, SRC_OTHER, 0);
		default:
			return GIVE_UP;
		}
	default:
		break;
	}
	if (op >= 0x28 && op <= 0x3E) {
		const pvf__memsig *ms = pvf__mem_sig(op);
		if (memarg(r))
			return GIVE_UP;
		if (ms->store)
			return (rc = pop(w, true, NULL)) ? rc : pop(w, false, NULL);
		return (rc = pop(w, false, NULL)) ? rc : push(w, SRC_OTHER, 0);
	}
	if (op >= 0x45 && op <= 0xC4) {
		const pvf__numsig *ns = pvf__numeric_sig(op);
		/* Bits seen: reinterpretations, and the operands of abs, neg and
		 * copysign, which keep a NaN's payload or move its sign. Not
		 * seen: everything else with float operands (arithmetic,
		 * comparisons, conversions to integers). */
		bool see = op == 0xBC || op == 0xBD || op == 0x8B || op == 0x8C || op == 0x98 || op == 0x99 ||
			   op == 0x9A || op == 0xA6;
		if ((rc = pop_n(w, ns->b ? 2 : 1, see)))
			return rc;
		if (canonicalising(op))
			return add_arith(w, op);
		/* Conversions from integers are never NaN. */
		if ((op >= 0xB2 && op <= 0xB5) || (op >= 0xB7 && op <= 0xBA))
			return push(w, SRC_CLEAN, 0);
		return push(w, SRC_OTHER, 0);
	}
	return GIVE_UP;
}

/* One walk over the body (from code_start, after the local declarations)
 * with the current purity, inside the function frame the caller pushed;
 * 0, GIVE_UP or -1. */
static int walk_body(walk *w, const uint8_t *body, size_t size, size_t code_start)
{
	pvf_error e;
	pvf__reader r = { .base = body, .pos = code_start, .end = size, .err = &e, .section = "code" };
	int rc;

	for (;;) {
		uint8_t op;

		if (w->depth == 0)
			return r.pos == r.end ? 0 : GIVE_UP;
		if (pvf__rd_u8(&r, &op) < 0)
			return GIVE_UP;
		if (w->frames[w->depth - 1].unreachable && op != 0x05 && op != 0x0B) {
			/* Skip to this frame's else or end, over nested blocks. */
			uint32_t nest = 0;
			for (;;) {
				if ((rc = skip_immediates(w, &r, op)))
					return rc;
				if (op == 0x02 || op == 0x03 || op == 0x04)
					nest++;
				else if (op == 0x0B && nest)
					nest--;
				if (pvf__rd_u8(&r, &op) < 0)
					return GIVE_UP;
				if (!nest && (op == 0x05 || op == 0x0B))
					break;
			}
		}
		if ((rc = step(w, &r, op)))
			return rc;
	}
}

static int analyse_func(const pvf_module *m, uint32_t di, pvf_nanflow_func *out, walk *w)
{
	const pvf_function *fn = &m->functions[di];
	const pvf_functype *t = &m->types[fn->type];
	const uint8_t *body = m->bytes + fn->body_offset;
	pvf_error e;
	pvf__reader r = { .base = body, .pos = 0, .end = fn->body_size, .err = &e, .section = "code" };
	uint32_t ngroups;
	uint8_t *ltypes = NULL;
	bool *pure = NULL, *tainted = NULL;
	uint64_t nlocals = t->nparams;
	int rc = GIVE_UP;

	out->analysed = false;
	out->nparams = t->nparams;
	if ((uint64_t)fn->body_offset + fn->body_size > m->size)
		return 0;
	nlocals += fn->nlocals;
	if (nlocals > PVF_WASM_MAX_LOCALS)   /* validation keeps it below */
		return 0;
	ltypes = malloc(nlocals ? nlocals : 1);
	pure = calloc(nlocals ? nlocals : 1, sizeof(*pure));
	tainted = calloc(nlocals ? nlocals : 1, sizeof(*tainted));
	if (!ltypes || !pure || !tainted) {
		rc = -1;
		goto out;
	}
	if (t->nparams)
		memcpy(ltypes, t->params, t->nparams);
	{
		uint64_t k = t->nparams;
		if (pvf__rd_u32(&r, &ngroups) < 0)
			goto out;
		for (uint32_t g = 0; g < ngroups; g++) {
			uint32_t cnt;
			uint8_t vt;
			if (pvf__rd_u32(&r, &cnt) < 0 || pvf__rd_u8(&r, &vt) < 0 || cnt > nlocals - k)
				goto out;
			memset(ltypes + k, vt, cnt);
			k += cnt;
		}
		if (k != nlocals)
			goto out;
	}
	for (uint64_t l = t->nparams; l < nlocals; l++)
		pure[l] = ltypes[l] == PVF_F32 || ltypes[l] == PVF_F64;

	w->m = m;
	w->ltypes = ltypes;
	w->nlocals = (uint32_t)nlocals;
	w->pure = pure;
	w->tainted = tainted;
	w->out = out;
	for (int pass = 0; pass < 64; pass++) {
		bool changed = false;
		memset(tainted, 0, nlocals * sizeof(*tainted));
		w->height = 0;
		w->depth = 0;
		out->narith = out->nget = 0;
		if (push_frame(w, 0, 0, t->nresults) < 0) {
			rc = -1;
			goto out;
		}
		rc = walk_body(w, body, fn->body_size, r.pos);
		if (rc)
			goto out;
		for (uint64_t l = 0; l < nlocals; l++)
			if (pure[l] && tainted[l]) {
				pure[l] = false;
				changed = true;
			}
		if (!changed) {
			out->analysed = true;
			break;
		}
	}
out:
	free(ltypes);
	free(pure);
	free(tainted);
	if (rc == GIVE_UP)
		rc = 0;
	if (!out->analysed)
		out->narith = out->nget = 0;
	return rc;
}

int pvf_nanflow_analyse(const pvf_module *m, pvf_nanflow *ret, pvf_error *err)
{
	walk w;

	memset(ret, 0, sizeof(*ret));
	memset(&w, 0, sizeof(w));
	ret->funcs = calloc(m->nfunctions ? m->nfunctions : 1, sizeof(*ret->funcs));
	if (!ret->funcs)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory analysing float results");
	ret->nfuncs = m->nfunctions;
	for (uint32_t i = 0; i < m->nfunctions; i++) {
		w.arith_cap = w.get_cap = 0;
		if (analyse_func(m, i, &ret->funcs[i], &w) < 0) {
			free(w.stack);
			free(w.frames);
			pvf_nanflow_free(ret);
			return pvf_error_set(err, PVF_E_NOMEM, "out of memory analysing float results");
		}
	}
	free(w.stack);
	free(w.frames);
	return 0;
}

void pvf_nanflow_free(pvf_nanflow *nf)
{
	for (uint32_t i = 0; nf->funcs && i < nf->nfuncs; i++) {
		free(nf->funcs[i].arith);
		free(nf->funcs[i].get);
	}
	free(nf->funcs);
	memset(nf, 0, sizeof(*nf));
}
