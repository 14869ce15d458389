/*
 * stack_cost.c — per-function logical stack cost (see stack_cost.h).
 *
 * The rules of wasm-instrument 0.4.0's max_height, which pvfhost must
 * follow exactly because the verdict of a deep call chain depends on them:
 *   - the value stack starts at height 2, inside an implicit frame for the
 *     function (start height 0, arity = the function's result count);
 *   - before each instruction, including the body's final `end`, the
 *     height is recorded as the maximum unless the innermost frame is
 *     "polymorphic" (after unreachable, br, br_table or return);
 *   - block/loop/if push a frame at the current height (if first pops its
 *     condition) whose end arity is 1 for a result type, else 0, and whose
 *     branch arity is 0 for a loop; `else` changes nothing (the then-arm's
 *     height and dead state carry over); `end` pops the frame, sets the
 *     height to its start and pushes its end arity;
 *   - popping n > 0 values when the height equals the innermost frame's
 *     start succeeds without change in a polymorphic frame and fails
 *     otherwise ("trying to pop more values than pushed"); else the height
 *     drops by n and must not go below 0 ("stack underflow") — it may go
 *     below the frame's start, and a frame opened in dead code is not
 *     polymorphic;
 *   - each instruction pops and pushes as one pop_values(n) per operand
 *     group: binary operators and comparisons pop 2 at once, select pops 2
 *     then 1, call_indirect pops 1 then its parameters, br_if pops the
 *     target's arity, then 1, then pushes the arity back; br_table's
 *     targets must all have the default's arity.
 * The limiter's parser knows MVP and sign extension. The non-trapping
 * conversions and the bulk-memory instructions, which pvfhost accepts
 * (rules.h), count as what they do: a conversion pops 1 and pushes 1,
 * memory.init/copy/fill and table.init/copy pop 3, data.drop and
 * elem.drop nothing.
 */
#include "wasm/stack_cost.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/decode_internal.h"

typedef struct sc_frame {
	bool poly;
	uint32_t end_arity, branch_arity, start;
} sc_frame;

typedef struct sc {
	sc_frame *f;
	uint32_t depth, cap;
	uint32_t height, max;
	const char *why;      /* the limiter's reason when a rule refuses */
} sc;

static int refuse(sc *s, const char *why)
{
	s->why = why;
	return 1;
}

static int top(sc *s, sc_frame **ret)
{
	if (!s->depth)
		return refuse(s, "control stack is empty");
	*ret = &s->f[s->depth - 1];
	return 0;
}

static int frame_at(sc *s, uint32_t rel, sc_frame **ret)
{
	if (!s->depth)
		return refuse(s, "control stack is empty");
	if (rel > s->depth - 1)
		return refuse(s, "control stack out-of-bounds");
	*ret = &s->f[s->depth - 1 - rel];
	return 0;
}

static int push_frame(sc *s, uint32_t end_arity, uint32_t branch_arity)
{
	if (s->depth == s->cap) {
		uint32_t ncap = s->cap ? s->cap * 2 : 64;
		sc_frame *n = realloc(s->f, (size_t)ncap * sizeof(*n));
		if (!n)
			return -1;
		s->f = n;
		s->cap = ncap;
	}
	s->f[s->depth++] = (sc_frame){ false, end_arity, branch_arity, s->height };
	return 0;
}

static int pop(sc *s, uint32_t n)
{
	sc_frame *t;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = top(s, &t)))
		return rc;
	if (s->height == t->start)
		return t->poly ? 0 : refuse(s, "trying to pop more values than pushed");
	if (s->height < n)
		return refuse(s, "stack underflow");
	s->height -= n;
	return 0;
}

static int push(sc *s, uint32_t n)
{
	if (s->height > UINT32_MAX - n)
		return refuse(s, "stack overflow");
	s->height += n;
	return 0;
}

static int poly(sc *s)
{
	sc_frame *t;
	int rc = top(s, &t);

	if (!rc)
		t->poly = true;
	return rc;
}

/* Reads an LEB128 u32 the validator has already accepted. */
static int u32_at(pvf__reader *r, uint32_t *v)
{
	return pvf__rd_u32(r, v) < 0 ? -1 : 0;
}

static int block_arity(pvf__reader *r, uint32_t *end_arity)
{
	uint8_t b;

	if (pvf__rd_u8(r, &b) < 0)
		return -1;
	if (b == 0x40) {
		*end_arity = 0;
		return 0;
	}
	if (!(b & 0x80) && b >= 0x40) {   /* one value type */
		*end_arity = 1;
		return 0;
	}
	return -2;                        /* a type index: multi-value */
}

static int memarg(pvf__reader *r)
{
	uint32_t align, mem;
	uint64_t off;

	if (u32_at(r, &align) < 0)
		return -1;
	if ((align & 0x40) && u32_at(r, &mem) < 0)
		return -1;
	return pvf__rd_uleb(r, 64, &off) < 0 ? -1 : 0;
}

/* One instruction: 0 done, 1 refused (s->why), -1 unreadable or no memory. */
static int step(sc *s, const pvf_module *m, uint32_t func_arity, pvf__reader *r, uint8_t op)
{
	sc_frame *t;
	const pvf_functype *ft;
	uint32_t a, n;
	int rc;

	if ((rc = top(s, &t)))
		return rc;
	if (s->height > s->max && !t->poly)
		s->max = s->height;

	switch (op) {
	case 0x00: /* unreachable */
		return poly(s);
	case 0x01: /* nop */
		return 0;
	case 0x02: case 0x03: case 0x04: { /* block loop if */
		uint32_t ea;
		rc = block_arity(r, &ea);
		if (rc == -2)
			return refuse(s, "multi-value block type");
		if (rc < 0)
			return -1;
		if (op == 0x04 && (rc = pop(s, 1)))
			return rc;
		return push_frame(s, ea, op == 0x03 ? 0 : ea) < 0 ? -1 : 0;
	}
	case 0x05: /* else */
		return 0;
	case 0x0B: { /* end */
		sc_frame f;
		if (!s->depth)
			return refuse(s, "stack must be non-empty");
		f = s->f[--s->depth];
		s->height = f.start;
		return push(s, f.end_arity);
	}
	case 0x0C: /* br */
		if (u32_at(r, &n) < 0)
			return -1;
		if ((rc = frame_at(s, n, &t)) || (rc = pop(s, t->branch_arity)))
			return rc;
		return poly(s);
	case 0x0D: /* br_if */
		if (u32_at(r, &n) < 0)
			return -1;
		if ((rc = frame_at(s, n, &t)))
			return rc;
		a = t->branch_arity;
		if ((rc = pop(s, a)) || (rc = pop(s, 1)))
			return rc;
		return push(s, a);
	case 0x0E: { /* br_table: every target needs the default's arity */
		uint32_t count, target, def;
		bool mismatch = false;
		if (u32_at(r, &count) < 0)
			return -1;
		for (uint64_t i = 0; i <= count; i++) {   /* the targets, then the default */
			if (u32_at(r, i < count ? &target : &def) < 0)
				return -1;
			if ((rc = frame_at(s, i < count ? target : def, &t)))
				return rc;
			if (i > 0 && t->branch_arity != a)
				mismatch = true;
			a = t->branch_arity;
		}
		if (mismatch)
			return refuse(s, "Arity of all jump-targets must be equal");
		if ((rc = pop(s, a)))
			return rc;
		return poly(s);
	}
	case 0x0F: /* return */
		if ((rc = pop(s, func_arity)))
			return rc;
		return poly(s);
	case 0x10: /* call */
		if (u32_at(r, &n) < 0)
			return -1;
		ft = pvf_module_func_type(m, n);
		if (!ft)
			return refuse(s, "function index out of bounds");
		if ((rc = pop(s, ft->nparams)))
			return rc;
		return push(s, ft->nresults);
	case 0x11: { /* call_indirect */
		uint32_t table;
		if (u32_at(r, &n) < 0 || u32_at(r, &table) < 0)
			return -1;
		if (n >= m->ntypes)
			return refuse(s, "Type not found");
		ft = &m->types[n];
		if ((rc = pop(s, 1)) || (rc = pop(s, ft->nparams)))
			return rc;
		return push(s, ft->nresults);
	}
	case 0x1A: /* drop */
		return pop(s, 1);
	case 0x1B: /* select */
		if ((rc = pop(s, 2)) || (rc = pop(s, 1)))
			return rc;
		return push(s, 1);
	case 0x20: /* local.get */
	case 0x23: /* global.get */
		if (u32_at(r, &n) < 0)
			return -1;
		return push(s, 1);
	case 0x21: /* local.set */
	case 0x24: /* global.set */
		if (u32_at(r, &n) < 0)
			return -1;
		return pop(s, 1);
	case 0x22: /* local.tee */
		if (u32_at(r, &n) < 0)
			return -1;
		if ((rc = pop(s, 1)))
			return rc;
		return push(s, 1);
	case 0x3F: { /* memory.size */
		uint8_t z;
		if (pvf__rd_u8(r, &z) < 0)
			return -1;
		return push(s, 1);
	}
	case 0x40: { /* memory.grow */
		uint8_t z;
		if (pvf__rd_u8(r, &z) < 0)
			return -1;
		if ((rc = pop(s, 1)))
			return rc;
		return push(s, 1);
	}
	case 0x41: case 0x42: { /* i32.const i64.const */
		int64_t x;
		if (pvf__rd_sleb(r, op == 0x41 ? 32 : 64, &x) < 0)
			return -1;
		return push(s, 1);
	}
	case 0x43: case 0x44: { /* f32.const f64.const */
		const uint8_t *b;
		if (pvf__rd_bytes(r, op == 0x43 ? 4 : 8, &b) < 0)
			return -1;
		return push(s, 1);
	}
	case 0xFC: {
		uint32_t sub, x;
		if (u32_at(r, &sub) < 0)
			return -1;
		if (sub <= 7) {                 /* non-trapping conversions */
			if ((rc = pop(s, 1)))
				return rc;
			return push(s, 1);
		}
		switch (sub) {
		case 8: case 12:                /* memory.init, table.init: segment, memory/table */
		case 10: case 14:               /* memory.copy, table.copy: two indices */
			if (u32_at(r, &x) < 0 || u32_at(r, &x) < 0)
				return -1;
			return pop(s, 3);
		case 11:                        /* memory.fill */
			if (u32_at(r, &x) < 0)
				return -1;
			return pop(s, 3);
		case 9: case 13:                /* data.drop, elem.drop */
			return u32_at(r, &x) < 0 ? -1 : 0;
		default:
			return refuse(s, "instruction outside the limiter's set");
		}
	}
	default:
		break;
	}
	if (op >= 0x28 && op <= 0x3E) {         /* loads pop 1 push 1; stores pop 2 */
		if (memarg(r) < 0)
			return -1;
		if (op >= 0x36)
			return pop(s, 2);
		if ((rc = pop(s, 1)))
			return rc;
		return push(s, 1);
	}
	const pvf__numsig *ns = pvf__numeric_sig(op);
	if (ns) {                               /* one pop of all operands, one push */
		if ((rc = pop(s, (ns->a ? 1u : 0u) + (ns->b ? 1u : 0u))))
			return rc;
		return push(s, ns->r ? 1u : 0u);
	}
	return refuse(s, "instruction outside the limiter's set");
}

static int func_cost(sc *s, const pvf_module *m, uint32_t di, uint32_t *ret)
{
	const pvf_function *fn = &m->functions[di];
	const pvf_functype *t = &m->types[fn->type];
	pvf_error e;
	pvf__reader r = { .base = m->bytes + fn->body_offset, .pos = 0, .end = fn->body_size, .err = &e,
			  .section = "code" };
	uint32_t ngroups, cnt;
	uint8_t vt;
	int rc;

	if (u32_at(&r, &ngroups) < 0)
		return -1;
	for (uint32_t g = 0; g < ngroups; g++)
		if (u32_at(&r, &cnt) < 0 || pvf__rd_u8(&r, &vt) < 0)
			return -1;
	s->depth = 0;
	s->height = PVF_STACK_ACTIVATION_COST;
	s->max = 0;
	s->why = NULL;
	if (push_frame(s, t->nresults, t->nresults) < 0)
		return -1;
	s->f[0].start = 0;
	while (r.pos < r.end) {
		uint8_t op;
		if (pvf__rd_u8(&r, &op) < 0)
			return -1;
		if ((rc = step(s, m, t->nresults, &r, op)))
			return rc;
	}
	if (fn->nlocals > UINT32_MAX - s->max)
		return refuse(s, "Overflow in adding locals_count and max_stack_height");
	*ret = fn->nlocals + s->max;
	return 0;
}

int pvf_stack_costs(const pvf_module *m, uint32_t **ret, pvf_error *err)
{
	sc s = { 0 };
	uint32_t *costs;
	int rc = 0;

	*ret = NULL;
	costs = calloc(m->nfunctions ? m->nfunctions : 1, sizeof(*costs));
	if (!costs)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nfunctions && rc == 0; i++) {
		if ((uint64_t)m->functions[i].body_offset + m->functions[i].body_size > m->size) {
			rc = -1;
			break;
		}
		rc = func_cost(&s, m, i, &costs[i]);
		if (rc > 0)
			pvf_error_set(err, PVF_E_INVALID,
				      "the stack limiter cannot account for function %u: %s",
				      m->nfunc_imports + i, s.why);
		else if (rc < 0)
			pvf_error_set(err, PVF_E_NOMEM, "stack costs: out of memory or unreadable body of function %u",
				      m->nfunc_imports + i);
	}
	free(s.f);
	if (rc) {
		free(costs);
		return -1;
	}
	*ret = costs;
	return 0;
}
