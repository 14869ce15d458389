/*
 * decode_internal.h — private plumbing shared by the wasm decoder
 * (decode.c), the function-body validator (validate.c) and the opcode
 * tables (opcodes.c).
 *
 * The one reader for untrusted bytes lives here (pvf__reader + pvf__rd_*):
 * every read checks against `end` before touching memory, lengths are checked
 * for overflow as `len > end - pos` (never `pos + len > end`), and every
 * failure fills the pvf_error with the section / item / byte offset it
 * happened at. The LEB128 readers implement the exact rules that the spec
 * tests check: at most ceil(N/7) bytes ("integer representation too long"),
 * and unused bits of the last byte must be zero (unsigned) or a sign
 * extension (signed) ("integer too large").
 *
 * Invariant: pos <= end <= size of the binary, always.
 */
#ifndef PVF_WASM_DECODE_INTERNAL_H
#define PVF_WASM_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "wasm/module.h"

typedef struct pvf__reader {
	const uint8_t *base;  /* start of the whole binary: offsets are relative to it */
	size_t pos;           /* next byte to read */
	size_t end;           /* first byte not readable by this reader */
	pvf_error *err;
	const char *section;  /* "type", "code", ... for messages */
	const char *item_kind;/* "item", "function", ... or NULL */
	uint32_t item;        /* index of the item being decoded */
} pvf__reader;

/* Fills r->err with `code` and "msg (section S, ITEM N, offset 0xOFF)";
 * returns -1. */
int pvf__fail(const pvf__reader *r, pvf_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with an explicit offset. */
int pvf__fail_at(const pvf__reader *r, size_t off, pvf_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline size_t pvf__rd_left(const pvf__reader *r)
{
	return r->end - r->pos;
}

static inline int pvf__rd_u8(pvf__reader *r, uint8_t *ret)
{
	if (r->pos >= r->end)
		{
			pvf__fail(r, PVF_E_MALFORMED, "unexpected end");
			return -1;
		}
	*ret = r->base[r->pos++];
	return 0;
}

static inline int pvf__rd_bytes(pvf__reader *r, size_t len, const uint8_t **ret)
{
	if (len > r->end - r->pos)
		{
			pvf__fail(r, PVF_E_MALFORMED, "unexpected end (length %zu out of bounds)", len);
			return -1;
		}
	*ret = r->base + r->pos;
	r->pos += len;
	return 0;
}

/* Unsigned LEB128 of at most `bits` (32 or 64) bits. */
static inline int pvf__rd_uleb(pvf__reader *r, unsigned bits, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned shift = 0;
	size_t start = r->pos;

	for (;;) {
		uint8_t b;

		if (r->pos >= r->end)
			{
			pvf__fail_at(r, start, PVF_E_MALFORMED, "unexpected end (in LEB128)");
			return -1;
		}
		b = r->base[r->pos++];
		if (shift + 7 >= bits) {
			/* last allowed byte */
			unsigned used = bits - shift;
			if (b & 0x80)
				{
			pvf__fail_at(r, start, PVF_E_MALFORMED,
						    "integer representation too long");
			return -1;
		}
			if (used < 7 && (b >> used) != 0)
				{
			pvf__fail_at(r, start, PVF_E_MALFORMED, "integer too large");
			return -1;
		}
			v |= (uint64_t)b << shift;
			break;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	*ret = v;
	return 0;
}

/* Signed LEB128 of at most `bits` (32, 33 or 64) bits. */
static inline int pvf__rd_sleb(pvf__reader *r, unsigned bits, int64_t *ret)
{
	uint64_t v = 0;
	unsigned shift = 0;
	size_t start = r->pos;
	uint8_t b;

	for (;;) {
		if (r->pos >= r->end)
			{
			pvf__fail_at(r, start, PVF_E_MALFORMED, "unexpected end (in LEB128)");
			return -1;
		}
		b = r->base[r->pos++];
		if (shift + 7 >= bits) {
			unsigned used = bits - shift; /* 1..7 payload bits, top one is the sign */
			if (b & 0x80)
				{
			pvf__fail_at(r, start, PVF_E_MALFORMED,
						    "integer representation too long");
			return -1;
		}
			if (used < 7) {
				uint8_t mask = (uint8_t)(0x7f & ~((1u << (used - 1)) - 1));
				uint8_t top = b & mask; /* sign bit and unused bits */
				if (top != 0 && top != mask)
					{
			pvf__fail_at(r, start, PVF_E_MALFORMED, "integer too large");
			return -1;
		}
			}
			v |= (uint64_t)(b & 0x7f) << shift;
			shift += 7;
			break;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	*ret = (int64_t)v;
	return 0;
}

static inline int pvf__rd_u32(pvf__reader *r, uint32_t *ret)
{
	uint64_t v;

	if (pvf__rd_uleb(r, 32, &v) < 0)
		return -1;
	*ret = (uint32_t)v;
	return 0;
}

/* A u32 count of items that each take at least `min_item_bytes` bytes and
 * at most `limit`: refuses counts the remaining input cannot hold before any
 * allocation is sized by them. */
int pvf__rd_count(pvf__reader *r, uint32_t limit, size_t min_item_bytes, const char *what,
		  uint32_t *ret);

/* Validates UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */

/* ---- opcode tables (opcodes.c) ---- */

/* Signature of a plain numeric instruction: pops a (and b, pushed order
 * a then b), pushes r. 0 = no operand. */
typedef struct pvf__numsig {
	uint8_t a, b, r;
} pvf__numsig;

/* Numeric opcode 0x45..0xC4 (one byte) or 0xFC 0..7 (sat, sub = 0..7).
 * Returns NULL for opcodes that are not plain numeric ones. */
const pvf__numsig *pvf__numeric_sig(uint8_t op);
const pvf__numsig *pvf__sat_sig(uint32_t sub);

/* Loads/stores 0x28..0x3E: value type, natural alignment (log2), is_store. */
typedef struct pvf__memsig {
	uint8_t type;
	uint8_t align;
	bool store;
} pvf__memsig;
const pvf__memsig *pvf__mem_sig(uint8_t op);

/* Mnemonic of a one-byte opcode (for messages); "?" when unknown. */
const char *pvf__opcode_name(uint8_t op);

/* ---- module context the body validator needs (decode.c fills it) ---- */

typedef struct pvf__modctx {
	pvf_module *m;
	uint32_t features;        /* enabled */
	uint32_t nfuncs;          /* imports + defined */
	uint32_t *func_types;     /* type index per function, combined space */
	uint32_t ntables;
	uint8_t *table_elem;      /* elem type per table, combined */
	uint32_t nmems;
	bool *mem64;              /* per memory, combined */
	uint32_t nglobals;
	pvf_globaltype *globals;  /* combined */
	uint32_t ntags;
	uint32_t *tag_types;      /* combined */
	uint8_t *elem_types;      /* per element segment */
	uint8_t *declared_funcs;  /* bitmap: function may be used by ref.func */
	bool data_count_known;
	uint32_t data_count;
} pvf__modctx;

struct pvf__validator;
typedef struct pvf__validator pvf__validator;

pvf__validator *pvf__validator_new(void);
void pvf__validator_free(pvf__validator *v);

/* Validates one function body: r covers exactly the body (after its size).
 * `func_index` is in the combined index space. Fills *nlocals. */
int pvf__validate_body(pvf__validator *v, const pvf__modctx *ctx, uint32_t func_index,
		       pvf__reader *r, bool skip_code, uint32_t *nlocals);

/* Records use of `feature` in ctx->m; fails (code `code`) if not enabled. */
int pvf__need_feature(const pvf__modctx *ctx, const pvf__reader *r, uint32_t feature,
		      pvf_error_code code, const char *what);

/* A value type byte is known (given the enabled features)? Records use.
 * Fails with MALFORMED on an unknown byte. */
int pvf__check_valtype(const pvf__modctx *ctx, const pvf__reader *r, uint8_t t);

#endif
