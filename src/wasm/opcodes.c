/*
 * opcodes.c — static tables describing the regular WebAssembly instructions.
 *
 * The body validator (validate.c) handles control, variable, reference,
 * table and bulk instructions by hand; everything that simply pops one or
 * two operands of fixed types and pushes one result (the numeric
 * instructions 0x45..0xC4 and the saturating conversions 0xFC 0..7) and the
 * loads/stores 0x28..0x3E are described here, so the validator is a table
 * look-up for them. Sources: WebAssembly core specification 1.0, section 5.4
 * (binary instructions), and the sign-extension / non-trapping float-to-int
 * proposals.
 */
#include "wasm/decode_internal.h"

#define I PVF_I32
#define L PVF_I64
#define F PVF_F32
#define D PVF_F64

/* Indexed by opcode - 0x45. */
static const pvf__numsig numeric[0xC4 - 0x45 + 1] = {
	/* 0x45 i32.eqz */ { I, 0, I },
	/* 0x46..0x4F i32 comparisons */
	{ I, I, I }, { I, I, I }, { I, I, I }, { I, I, I }, { I, I, I },
	{ I, I, I }, { I, I, I }, { I, I, I }, { I, I, I }, { I, I, I },
	/* 0x50 i64.eqz */ { L, 0, I },
	/* 0x51..0x5A i64 comparisons */
	{ L, L, I }, { L, L, I }, { L, L, I }, { L, L, I }, { L, L, I },
	{ L, L, I }, { L, L, I }, { L, L, I }, { L, L, I }, { L, L, I },
	/* 0x5B..0x60 f32 comparisons */
	{ F, F, I }, { F, F, I }, { F, F, I }, { F, F, I }, { F, F, I }, { F, F, I },
	/* 0x61..0x66 f64 comparisons */
	{ D, D, I }, { D, D, I }, { D, D, I }, { D, D, I }, { D, D, I }, { D, D, I },
	/* 0x67..0x69 i32 clz ctz popcnt */
	{ I, 0, I }, { I, 0, I }, { I, 0, I },
	/* 0x6A..0x78 i32 binary */
	{ I, I, I }, { I, I, I }, { I, I, I }, { I, I, I }, { I, I, I },
	{ I, I, I }, { I, I, I }, { I, I, I }, { I, I, I }, { I, I, I },
	{ I, I, I }, { I, I, I }, { I, I, I }, { I, I, I }, { I, I, I },
	/* 0x79..0x7B i64 unary */
	{ L, 0, L }, { L, 0, L }, { L, 0, L },
	/* 0x7C..0x8A i64 binary */
	{ L, L, L }, { L, L, L }, { L, L, L }, { L, L, L }, { L, L, L },
	{ L, L, L }, { L, L, L }, { L, L, L }, { L, L, L }, { L, L, L },
	{ L, L, L }, { L, L, L }, { L, L, L }, { L, L, L }, { L, L, L },
	/* 0x8B..0x91 f32 unary */
	{ F, 0, F }, { F, 0, F }, { F, 0, F }, { F, 0, F }, { F, 0, F }, { F, 0, F }, { F, 0, F },
	/* 0x92..0x98 f32 binary */
	{ F, F, F }, { F, F, F }, { F, F, F }, { F, F, F }, { F, F, F }, { F, F, F }, { F, F, F },
	/* 0x99..0x9F f64 unary */
	{ D, 0, D }, { D, 0, D }, { D, 0, D }, { D, 0, D }, { D, 0, D }, { D, 0, D }, { D, 0, D },
	/* 0xA0..0xA6 f64 binary */
	{ D, D, D }, { D, D, D }, { D, D, D }, { D, D, D }, { D, D, D }, { D, D, D }, { D, D, D },
	/* 0xA7 i32.wrap_i64 */ { L, 0, I },
	/* 0xA8..0xAB i32.trunc_f32_s/u, i32.trunc_f64_s/u */
	{ F, 0, I }, { F, 0, I }, { D, 0, I }, { D, 0, I },
	/* 0xAC, 0xAD i64.extend_i32_s/u */ { I, 0, L }, { I, 0, L },
	/* 0xAE..0xB1 i64.trunc_* */ { F, 0, L }, { F, 0, L }, { D, 0, L }, { D, 0, L },
	/* 0xB2..0xB6 f32.convert_*, f32.demote_f64 */
	{ I, 0, F }, { I, 0, F }, { L, 0, F }, { L, 0, F }, { D, 0, F },
	/* 0xB7..0xBB f64.convert_*, f64.promote_f32 */
	{ I, 0, D }, { I, 0, D }, { L, 0, D }, { L, 0, D }, { F, 0, D },
	/* 0xBC..0xBF reinterpretations */
	{ F, 0, I }, { D, 0, L }, { I, 0, F }, { L, 0, D },
	/* 0xC0..0xC4 sign extension */
	{ I, 0, I }, { I, 0, I }, { L, 0, L }, { L, 0, L }, { L, 0, L },
};

/* 0xFC 0..7: i32.trunc_sat_f32_s/u, i32.trunc_sat_f64_s/u, i64 likewise. */
static const pvf__numsig saturating[8] = {
	{ F, 0, I }, { F, 0, I }, { D, 0, I }, { D, 0, I },
	{ F, 0, L }, { F, 0, L }, { D, 0, L }, { D, 0, L },
};

/* 0x28..0x3E, indexed by opcode - 0x28. */
static const pvf__memsig memops[0x3E - 0x28 + 1] = {
	{ I, 2, false }, { L, 3, false }, { F, 2, false }, { D, 3, false }, /* i32/i64/f32/f64.load */
	{ I, 0, false }, { I, 0, false }, { I, 1, false }, { I, 1, false }, /* i32.load8/16_s/u */
	{ L, 0, false }, { L, 0, false }, { L, 1, false }, { L, 1, false }, /* i64.load8/16_s/u */
	{ L, 2, false }, { L, 2, false },                                   /* i64.load32_s/u */
	{ I, 2, true }, { L, 3, true }, { F, 2, true }, { D, 3, true },     /* stores */
	{ I, 0, true }, { I, 1, true },                                     /* i32.store8/16 */
	{ L, 0, true }, { L, 1, true }, { L, 2, true },                     /* i64.store8/16/32 */
};

const pvf__numsig *pvf__numeric_sig(uint8_t op)
{
	if (op < 0x45 || op > 0xC4)
		return NULL;
	return &numeric[op - 0x45];
}

const pvf__numsig *pvf__sat_sig(uint32_t sub)
{
	return sub < 8 ? &saturating[sub] : NULL;
}

const pvf__memsig *pvf__mem_sig(uint8_t op)
{
	if (op < 0x28 || op > 0x3E)
		return NULL;
	return &memops[op - 0x28];
}

const char *pvf__opcode_name(uint8_t op)
{
	static const char *const control[0x20] = {
		"unreachable", "nop", "block", "loop", "if", "else", "try", "catch",
		"throw", "rethrow", NULL, "end", "br", "br_if", "br_table", "return",
		"call", "call_indirect", "return_call", "return_call_indirect", NULL, NULL, NULL, NULL,
		"delegate", "catch_all", "drop", "select", "select t", NULL, NULL, NULL,
	};
	static const char *const var[] = {
		"local.get", "local.set", "local.tee", "global.get", "global.set",
		"table.get", "table.set",
	};

	if (op < 0x20)
		return control[op] ? control[op] : "?";
	if (op <= 0x26)
		return var[op - 0x20];
	if (op >= 0x28 && op <= 0x3E)
		return "memory access";
	switch (op) {
	case 0x3F: return "memory.size";
	case 0x40: return "memory.grow";
	case 0x41: return "i32.const";
	case 0x42: return "i64.const";
	case 0x43: return "f32.const";
	case 0x44: return "f64.const";
	case 0xC0: return "i32.extend8_s";
	case 0xC1: return "i32.extend16_s";
	case 0xC2: return "i64.extend8_s";
	case 0xC3: return "i64.extend16_s";
	case 0xC4: return "i64.extend32_s";
	case 0xD0: return "ref.null";
	case 0xD1: return "ref.is_null";
	case 0xD2: return "ref.func";
	case 0xFC: return "0xfc prefix";
	case 0xFD: return "0xfd prefix (simd)";
	case 0xFE: return "0xfe prefix (threads)";
	default:
		return op >= 0x45 && op <= 0xC4 ? "numeric" : "?";
	}
}
