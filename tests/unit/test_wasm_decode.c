/*
 * test_wasm_decode.c — the wasm decoder/validator (src/wasm) on hand-built
 * binaries and on the real PVFs of the shared corpus.
 *
 * Expected values come from published sources, never from the decoder:
 *  - the WebAssembly Core Specification 1.0 (binary format, chapter 5;
 *    validation, chapter 3) for the byte layouts built here by hand;
 *  - the spec test suite files in the corpus (binary.wast,
 *    binary-leb128.wast, custom.wast, ...) for the LEB128 and
 *    malformed-module cases, quoted with their line numbers;
 *  - the shared corpus, README.md for the facts about the real PVFs
 *    (sizes, imports, exports).
 * Real PVFs are read in place from $PVFHOST_CORPUS (default
 * $PVFHOST_SOURCE_ROOT/../shared/corpus); without the corpus those tests
 * are skipped, unless CI=true, when they fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "wasm/module.h"

/* Decompressed PVFs in the corpus are < 4 MiB; refuse anything far larger. */
#define MAX_PVF_BYTES (64u << 20)

#define HDR "\0asm\1\0\0\0"
#define BIN(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

static int decode(const uint8_t *b, size_t n, uint32_t feats, pvf_module **m, pvf_error *e)
{
	pvf_decode_opts o = { .features = feats };

	*m = NULL;
	memset(e, 0, sizeof *e);
	return pvf_module_decode(b, n, &o, m, e);
}

/* Decodes and expects failure with `code`; the message must contain `needle`. */
static void expect_fail(const uint8_t *b, size_t n, uint32_t feats, pvf_error_code code,
			const char *needle)
{
	pvf_module *m;
	pvf_error e;
	int rc = decode(b, n, feats, &m, &e);

	if (rc == 0) {
		pvf_module_free(m);
		fail_msg("decoded, expected %s (%s)", pvf_error_code_name(code), needle);
	}
	assert_int_equal(rc, -1);
	assert_null(m);
	if (e.code != code)
		fail_msg("got %s: %s; expected %s", pvf_error_code_name(e.code), e.msg,
			 pvf_error_code_name(code));
	if (needle && !strstr(e.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, needle);
}

static pvf_module *expect_ok(const uint8_t *b, size_t n, uint32_t feats)
{
	pvf_module *m;
	pvf_error e;

	if (decode(b, n, feats, &m, &e) != 0)
		fail_msg("decode failed: %s: %s", pvf_error_code_name(e.code), e.msg);
	assert_non_null(m);
	return m;
}

/* ---- minimal module and header (spec 5.5.16; binary.wast lines 1-3, 7-23) ---- */

static void test_minimal(void **state)
{
	pvf_module *m = expect_ok(BIN(HDR), PVF_FEATURES_MVP);

	assert_int_equal(m->ntypes, 0);
	assert_int_equal(m->nimports, 0);
	assert_int_equal(m->nfunctions, 0);
	assert_int_equal(m->nexports, 0);
	assert_false(m->has_start);
	assert_int_equal(m->features_used, 0);
	pvf_module_free(m);
	/* opts == NULL means MVP */
	{
		pvf_error e;
		assert_int_equal(pvf_module_decode(BIN(HDR), NULL, &m, &e), 0);
		pvf_module_free(m);
	}
}

static void test_header(void **state)
{
	expect_fail(BIN(""), 0, PVF_E_MALFORMED, "magic header not detected");
	expect_fail(BIN("\0asm"), 0, PVF_E_MALFORMED, NULL);
	expect_fail(BIN("asm\0\1\0\0\0"), 0, PVF_E_MALFORMED, "magic header not detected");
	expect_fail(BIN("\0asm\2\0\0\0"), 0, PVF_E_MALFORMED, "unknown binary version");
	expect_fail(BIN("\0asm\0\0\0\1"), 0, PVF_E_MALFORMED, "unknown binary version");
}

/* ---- one module with every MVP section (layouts: spec 5.5.2-5.5.13) ---- */

static const char all_sections[] =
	HDR
	/* type: (i32 i64) -> f32, () -> () */
	"\x01\x0a\x02" "\x60\x02\x7f\x7e\x01\x7d" "\x60\x00\x00"
	/* import: env.f func type 1; env.g global const i32 */
	"\x02\x12\x02" "\x03" "env" "\x01" "f" "\x00\x01" "\x03" "env" "\x01" "g" "\x03\x7f\x00"
	/* function: types 1, 0 */
	"\x03\x03\x02\x01\x00"
	/* table: funcref min 2 */
	"\x04\x04\x01\x70\x00\x02"
	/* memory: min 1 max 2 */
	"\x05\x04\x01\x01\x01\x02"
	/* global: mut i64 = i64.const 42 */
	"\x06\x06\x01\x7e\x01\x42\x2a\x0b"
	/* export: "main" func 1, "mem" memory 0 */
	"\x07\x0e\x02" "\x04" "main" "\x00\x01" "\x03" "mem" "\x02\x00"
	/* start: func 1 */
	"\x08\x01\x01"
	/* element: table 0 offset i32.const 0, funcs [1, 2] */
	"\x09\x08\x01\x00\x41\x00\x0b\x02\x01\x02"
	/* code: func 1 = (end); func 2 = (local f32) local.get 2 end */
	"\x0a\x0b\x02" "\x02\x00\x0b" "\x06\x01\x01\x7d\x20\x02\x0b"
	/* data: memory 0 offset i32.const 8, "abc" */
	"\x0b\x09\x01\x00\x41\x08\x0b\x03" "abc"
	/* custom "meta" with 3 payload bytes */
	"\x00\x08\x04" "meta" "\x01\x02\x03";

static void test_all_sections(void **state)
{
	pvf_module *m = expect_ok(BIN(all_sections), PVF_FEATURES_MVP);
	const pvf_export *ex;
	const pvf_custom_section *cs;
	const pvf_globaltype *gt;

	assert_int_equal(m->ntypes, 2);
	assert_int_equal(m->types[0].nparams, 2);
	assert_int_equal(m->types[0].params[0], PVF_I32);
	assert_int_equal(m->types[0].params[1], PVF_I64);
	assert_int_equal(m->types[0].nresults, 1);
	assert_int_equal(m->types[0].results[0], PVF_F32);

	assert_int_equal(m->nimports, 2);
	assert_int_equal(m->nfunc_imports, 1);
	assert_int_equal(m->nglobal_imports, 1);
	assert_int_equal(m->imports[0].kind, PVF_EXTERN_FUNC);
	assert_int_equal(m->imports[0].module.len, 3);
	assert_string_equal(m->imports[0].module.str, "env");
	assert_string_equal(m->imports[0].field.str, "f");
	assert_int_equal(m->imports[0].u.func_type, 1);
	assert_int_equal(m->imports[1].kind, PVF_EXTERN_GLOBAL);
	assert_int_equal(m->imports[1].u.global.type, PVF_I32);
	assert_false(m->imports[1].u.global.mut);

	assert_int_equal(m->nfunctions, 2);
	assert_int_equal(m->functions[0].type, 1);
	assert_int_equal(m->functions[1].type, 0);
	assert_int_equal(m->functions[0].nlocals, 0);
	assert_int_equal(m->functions[1].nlocals, 1);
	assert_int_equal(m->functions[1].body_size, 6);
	assert_int_equal(m->code_size, 8);
	assert_ptr_equal(pvf_module_func_type(m, 0), &m->types[1]);
	assert_ptr_equal(pvf_module_func_type(m, 2), &m->types[0]);
	assert_null(pvf_module_func_type(m, 3));

	assert_int_equal(m->ntables, 1);
	assert_int_equal(m->tables[0].elem, PVF_FUNCREF);
	assert_int_equal(m->tables[0].limits.min, 2);
	assert_false(m->tables[0].limits.has_max);
	assert_int_equal(m->nmemories, 1);
	assert_int_equal(m->memories[0].min, 1);
	assert_true(m->memories[0].has_max);
	assert_int_equal(m->memories[0].max, 2);

	assert_int_equal(m->nglobals, 1);
	assert_true(m->globals[0].type.mut);
	assert_int_equal(m->globals[0].type.type, PVF_I64);
	assert_int_equal(m->globals[0].init.kind, PVF_CONST_I64);
	assert_int_equal(m->globals[0].init.value, 42);
	gt = pvf_module_global_type(m, 0);
	assert_non_null(gt);
	assert_int_equal(gt->type, PVF_I32);
	gt = pvf_module_global_type(m, 1);
	assert_non_null(gt);
	assert_int_equal(gt->type, PVF_I64);
	assert_null(pvf_module_global_type(m, 2));

	assert_int_equal(m->nexports, 2);
	ex = pvf_module_find_export(m, "main");
	assert_non_null(ex);
	assert_int_equal(ex->kind, PVF_EXTERN_FUNC);
	assert_int_equal(ex->index, 1);
	ex = pvf_module_find_export(m, "mem");
	assert_non_null(ex);
	assert_int_equal(ex->kind, PVF_EXTERN_MEMORY);
	assert_null(pvf_module_find_export(m, "ma"));

	assert_true(m->has_start);
	assert_int_equal(m->start, 1);

	assert_int_equal(m->nelems, 1);
	assert_int_equal(m->elems[0].mode, 0);
	assert_int_equal(m->elems[0].offset.kind, PVF_CONST_I32);
	assert_int_equal(m->elems[0].offset.value, 0);
	assert_int_equal(m->elems[0].count, 2);
	assert_int_equal(m->elems[0].funcs[0], 1);
	assert_int_equal(m->elems[0].funcs[1], 2);

	assert_int_equal(m->ndatas, 1);
	assert_true(m->datas[0].active);
	assert_int_equal(m->datas[0].offset.value, 8);
	assert_int_equal(m->datas[0].size, 3);
	assert_memory_equal(m->bytes + m->datas[0].data_offset, "abc", 3);

	assert_int_equal(m->ncustoms, 1);
	cs = pvf_module_find_custom(m, "meta");
	assert_non_null(cs);
	assert_int_equal(cs->size, 3);
	assert_memory_equal(m->bytes + cs->offset, "\x01\x02\x03", 3);
	assert_int_equal(m->features_used, 0);
	pvf_module_free(m);
}

/* Every prefix of a valid module decodes or fails cleanly (run under ASan). */
static void test_truncated_prefixes(void **state)
{
	size_t n = sizeof all_sections - 1;

	for (size_t len = 0; len < n; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		pvf_module *m;
		pvf_error e;
		int rc;

		assert_non_null(copy);
		memcpy(copy, all_sections, len);
		rc = decode(copy, len, PVF_FEATURES_ALL, &m, &e);
		if (rc == 0)
			pvf_module_free(m);
		else
			assert_true(e.code == PVF_E_MALFORMED || e.code == PVF_E_INVALID);
		/* Cutting inside the code section (after its id) is never valid:
		 * the function section promised two bodies. */
		if (len > 8 + 12 + 20 + 5 + 6 + 6 + 8 + 16 + 3 + 10 &&
		    len < 8 + 12 + 20 + 5 + 6 + 6 + 8 + 16 + 3 + 10 + 13)
			assert_int_equal(rc, -1);
		free(copy);
	}
}

/* ---- LEB128 (binary-leb128.wast) ---- */

static void test_leb128(void **state)
{
	pvf_module *m;

	/* lines 7-11: non-minimal 5-byte u32 is fine: memory min 2 */
	m = expect_ok(BIN(HDR "\x05\x07\x01\x00\x82\x80\x80\x80\x00"), PVF_FEATURES_MVP);
	assert_int_equal(m->memories[0].min, 2);
	pvf_module_free(m);
	/* lines 30-37: data segment memory index 0 encoded with 2 bytes */
	m = expect_ok(BIN(HDR "\x05\x03\x01\x00\x00" "\x0b\x07\x01\x80\x00\x41\x00\x0b\x00"),
		      PVF_FEATURES_MVP);
	pvf_module_free(m);
	/* 6-byte u32: "integer representation too long" (line 239 style) */
	expect_fail(BIN(HDR "\x05\x08\x01\x00\x82\x80\x80\x80\x80\x00"), 0, PVF_E_MALFORMED,
		    "integer representation too long");
	/* lines 535-541: unused bits set in the 5th byte: "integer too large" */
	expect_fail(BIN(HDR "\x05\x07\x01\x00\x82\x80\x80\x80\x40"), 0, PVF_E_MALFORMED,
		    "integer too large");
	expect_fail(BIN(HDR "\x05\x09\x01\x01\x82\x00\x82\x80\x80\x80\x10"), 0, PVF_E_MALFORMED,
		    "integer too large");
	/* signed: i32.const -2^31 as 5 bytes (80 80 80 80 78) is valid; 0x70 in the
	 * last byte sets unused bits without the sign (binary-leb128.wast). */
	m = expect_ok(BIN(HDR "\x01\x05\x01\x60\x00\x01\x7f" "\x03\x02\x01\x00"
			  "\x0a\x0a\x01\x08\x00\x41\x80\x80\x80\x80\x78\x0b"), PVF_FEATURES_MVP);
	pvf_module_free(m);
	expect_fail(BIN(HDR "\x01\x05\x01\x60\x00\x01\x7f" "\x03\x02\x01\x00"
			"\x0a\x0a\x01\x08\x00\x41\x80\x80\x80\x80\x70\x0b"), 0, PVF_E_MALFORMED,
		    "integer too large");
	/* line 204: i64.const 0 with unused bits set in the 10th byte */
	expect_fail(BIN(HDR "\x01\x05\x01\x60\x00\x01\x7e" "\x03\x02\x01\x00"
			"\x0a\x0f\x01\x0d\x00\x42\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02\x0b"), 0,
		    PVF_E_MALFORMED, "integer too large");
	/* LEB running off the end of the module */
	expect_fail(BIN(HDR "\x05\x03\x01\x00\x82"), 0, PVF_E_MALFORMED, NULL);
}

/* ---- structural errors (binary.wast, custom.wast) ---- */

static void test_malformed_structure(void **state)
{
	/* custom.wast: section size larger than the module */
	expect_fail(BIN(HDR "\x00\x26\x10" "a custom section"), 0, PVF_E_MALFORMED, "unexpected end");
	/* type section claims 1 byte more than its content: size mismatch /
	 * unexpected end (binary.wast "section size mismatch") */
	expect_fail(BIN(HDR "\x01\x05\x01\x60\x00\x00\x00"), 0, PVF_E_MALFORMED, NULL);
	expect_fail(BIN(HDR "\x01\x05\x01\x60\x00\x00" "\x00"), 0, PVF_E_MALFORMED,
		    "section size mismatch");
	/* unknown section id 14 (binary.wast "malformed section id") */
	expect_fail(BIN(HDR "\x0e\x01\x00"), 0, PVF_E_MALFORMED, "malformed section id");
	/* sections out of order: function before type */
	expect_fail(BIN(HDR "\x03\x01\x00" "\x01\x01\x00"), 0, PVF_E_MALFORMED, "unexpected content");
	/* repeated section */
	expect_fail(BIN(HDR "\x01\x01\x00" "\x01\x01\x00"), 0, PVF_E_MALFORMED, "unexpected content");
	/* binary.wast "function and code section have inconsistent lengths" */
	expect_fail(BIN(HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00"), 0, PVF_E_MALFORMED,
		    "inconsistent lengths");
	expect_fail(BIN(HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00"
			"\x0a\x07\x02\x02\x00\x0b\x02\x00\x0b"), 0, PVF_E_MALFORMED,
		    "inconsistent lengths");
	/* utf8-import-field.wast: 0x80 is not valid UTF-8 */
	expect_fail(BIN(HDR "\x02\x07\x01\x01\x80\x01" "f" "\x00\x00"), 0, PVF_E_MALFORMED,
		    "malformed UTF-8");
	/* overlong encoding of '/' (C0 AF) and a surrogate (ED A0 80) */
	expect_fail(BIN(HDR "\x00\x03\x02\xc0\xaf"), 0, PVF_E_MALFORMED, "malformed UTF-8");
	expect_fail(BIN(HDR "\x00\x04\x03\xed\xa0\x80"), 0, PVF_E_MALFORMED, "malformed UTF-8");
	/* binary.wast line 332: too many locals */
	expect_fail(BIN(HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00"
			"\x0a\x0c\x01\x0a\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e\x0b"), 0,
		    PVF_E_MALFORMED, "too many locals");
	/* binary.wast: memory.size reserved byte must be 0 ("zero byte expected") */
	expect_fail(BIN(HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00" "\x05\x03\x01\x00\x00"
			"\x0a\x07\x01\x05\x00\x3f\x01\x1a\x0b"), 0, PVF_E_MALFORMED,
		    "zero byte expected");
	/* illegal opcode 0xff */
	expect_fail(BIN(HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00"
			"\x0a\x05\x01\x03\x00\xff\x0b"), 0, PVF_E_MALFORMED, "illegal opcode");
	/* body without its final end */
	expect_fail(BIN(HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00"
			"\x0a\x04\x01\x02\x00\x01"), 0, PVF_E_MALFORMED, "unexpected end");
	/* data count section (bulk memory) disagreeing with the data section */
	expect_fail(BIN(HDR "\x05\x03\x01\x00\x01" "\x0c\x01\x02"
			"\x0b\x07\x01\x00\x41\x00\x0b\x01" "a"), PVF_FEAT_BULK_MEMORY, PVF_E_MALFORMED,
		    "data count and data section have inconsistent lengths");
}

/* ---- validation errors (spec chapter 3; the named .wast files) ---- */

#define FN_I32 HDR "\x01\x05\x01\x60\x00\x01\x7f" "\x03\x02\x01\x00"

static void test_invalid(void **state)
{
	/* type mismatch: () -> i32 body returns i64 (func.wast) */
	expect_fail(BIN(FN_I32 "\x0a\x06\x01\x04\x00\x42\x00\x0b"), 0, PVF_E_INVALID, "type mismatch");
	/* empty body for () -> i32 */
	expect_fail(BIN(FN_I32 "\x0a\x04\x01\x02\x00\x0b"), 0, PVF_E_INVALID, "type mismatch");
	/* unknown local (local_get.wast) */
	expect_fail(BIN(FN_I32 "\x0a\x06\x01\x04\x00\x20\x00\x0b"), 0, PVF_E_INVALID, "unknown local");
	/* unknown function in call */
	expect_fail(BIN(FN_I32 "\x0a\x06\x01\x04\x00\x10\x05\x0b"), 0, PVF_E_INVALID, "unknown function");
	/* unknown label */
	expect_fail(BIN(FN_I32 "\x0a\x06\x01\x04\x00\x0c\x01\x0b"), 0, PVF_E_INVALID, "unknown label");
	/* i32.load without memory (memory.wast "unknown memory") */
	expect_fail(BIN(FN_I32 "\x0a\x09\x01\x07\x00\x41\x00\x28\x02\x00\x0b"), 0, PVF_E_INVALID,
		    "unknown memory");
	/* align.wast: i32.load align 2^3 > natural 2^2 */
	expect_fail(BIN(FN_I32 "\x05\x03\x01\x00\x01"
			"\x0a\x09\x01\x07\x00\x41\x00\x28\x03\x00\x0b"), 0, PVF_E_INVALID,
		    "alignment must not be larger than natural");
	/* unreachable makes the stack polymorphic: (unreachable) i32.add is fine */
	pvf_module_free(expect_ok(BIN(FN_I32 "\x0a\x06\x01\x04\x00\x00\x6a\x0b"), 0));
	/* memory.wast: limits over 65536 pages, and min > max */
	expect_fail(BIN(HDR "\x05\x05\x01\x00\x81\x80\x04"), 0, PVF_E_INVALID,
		    "memory size must be at most 65536 pages");
	expect_fail(BIN(HDR "\x05\x04\x01\x01\x02\x01"), 0, PVF_E_INVALID,
		    "size minimum must not be greater than maximum");
	/* two memories in MVP (memory.wast "multiple memories") */
	expect_fail(BIN(HDR "\x05\x05\x02\x00\x00\x00\x00"), 0, PVF_E_INVALID, "multi-memory");
	/* start.wast: start function must have type [] -> [] */
	expect_fail(BIN(FN_I32 "\x08\x01\x00" "\x0a\x06\x01\x04\x00\x41\x00\x0b"), 0, PVF_E_INVALID,
		    "start function");
	/* exports.wast: duplicate export name */
	expect_fail(BIN(FN_I32 "\x07\x09\x02\x01" "a" "\x00\x00\x01" "a" "\x00\x00"
			"\x0a\x06\x01\x04\x00\x41\x00\x0b"), 0, PVF_E_INVALID, "duplicate export name");
	/* globals.wast: global.set of an immutable global */
	expect_fail(BIN(HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00"
			"\x06\x06\x01\x7f\x00\x41\x00\x0b"
			"\x0a\x08\x01\x06\x00\x41\x01\x24\x00\x0b"), 0, PVF_E_INVALID, "immutable");
	/* globals.wast: constant expression required */
	expect_fail(BIN(HDR "\x06\x07\x01\x7f\x00\x41\x00\x67\x0b"), 0, PVF_E_INVALID,
		    "constant expression required");
	/* unknown type in the function section */
	expect_fail(BIN(HDR "\x03\x02\x01\x00"), 0, PVF_E_INVALID, "unknown type");
	/* if without else must leave its parameters: (if (result i32) (then i32.const 1)) */
	expect_fail(BIN(FN_I32 "\x0a\x0b\x01\x09\x00\x41\x00\x04\x7f\x41\x01\x0b\x0b"), 0,
		    PVF_E_INVALID, "type mismatch");
}

/* Limits from module.h: PVF_WASM_MAX_NESTING counts the function's own
 * frame, so NESTING - 1 nested blocks are accepted and NESTING are not. */
static uint8_t *nested_blocks(uint32_t depth, size_t *size)
{
	size_t body = 1 + 3 * (size_t)depth + 1; /* locals, block/0x40 + end, end */
	size_t n = 8 + 6 + 4 + 1 + 5 + 1 + 5 + body;
	uint8_t *b = calloc(1, n), *p = b;
	uint32_t v;

	assert_non_null(b);
	memcpy(p, HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00", 18);
	p += 18;
	*p++ = 0x0a;
	v = (uint32_t)(body + 5 + 1);
	for (int i = 0; i < 5; i++, v >>= 7) /* 5-byte LEB (allowed, see test_leb128) */
		*p++ = (uint8_t)((v & 0x7f) | (i < 4 ? 0x80 : 0));
	*p++ = 0x01;
	v = (uint32_t)body;
	for (int i = 0; i < 5; i++, v >>= 7)
		*p++ = (uint8_t)((v & 0x7f) | (i < 4 ? 0x80 : 0));
	*p++ = 0x00;
	for (uint32_t i = 0; i < depth; i++) {
		*p++ = 0x02;
		*p++ = 0x40;
	}
	memset(p, 0x0b, (size_t)depth + 1);
	p += depth + 1;
	*size = (size_t)(p - b);
	return b;
}

static void test_limits(void **state)
{
	size_t n;
	uint8_t *b = nested_blocks(PVF_WASM_MAX_NESTING - 1, &n);

	pvf_module_free(expect_ok(b, n, PVF_FEATURES_MVP));
	free(b);
	b = nested_blocks(PVF_WASM_MAX_NESTING, &n);
	expect_fail(b, n, PVF_FEATURES_MVP, PVF_E_INVALID, "nested deeper");
	free(b);
}

/* ---- post-MVP features: gated by opts, recorded in features_used ---- */

static void test_features(void **state)
{
	pvf_module *m;
	pvf_error e;
	/* (func (result i32) i32.const 0 i32.extend8_s) */
	static const char signext[] = FN_I32 "\x0a\x07\x01\x05\x00\x41\x00\xc0\x0b";
	/* (func (result i32) f32.const 0 i32.trunc_sat_f32_s) */
	static const char sat[] = FN_I32 "\x0a\x0b\x01\x09\x00\x43\x00\x00\x00\x00\xfc\x00\x0b";
	/* (type (func (result i32 i32))) */
	static const char multi[] = HDR "\x01\x06\x01\x60\x00\x02\x7f\x7f";
	/* (import "env" "g" (global (mut i32))) */
	static const char mutglob[] = HDR "\x02\x0a\x01\x03" "env" "\x01" "g" "\x03\x7f\x01";
	/* (func (result i32) v128.const ... ) */
	static const char simd[] = FN_I32 "\x0a\x06\x01\x04\x00\xfd\x0c\x0b";
	/* memory + memory.fill */
	static const char bulk[] = HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00"
		"\x05\x03\x01\x00\x01" "\x0a\x0d\x01\x0b\x00\x41\x00\x41\x00\x41\x00\xfc\x0b\x00\x0b";
	/* (func return_call 0) */
	static const char tail[] = HDR "\x01\x04\x01\x60\x00\x00" "\x03\x02\x01\x00"
		"\x0a\x06\x01\x04\x00\x12\x00\x0b";

	expect_fail(BIN(signext), PVF_FEATURES_MVP, PVF_E_MALFORMED,
		    "feature \"sign-extension\" not enabled: opcode 0xc0");
	assert_int_equal(decode(BIN(signext), PVF_FEATURES_MVP, &m, &e), -1);
	assert_non_null(strstr(e.msg, "function 0"));
	assert_non_null(strstr(e.msg, "offset 0x"));
	m = expect_ok(BIN(signext), PVF_FEAT_SIGN_EXT);
	assert_int_equal(m->features_used, PVF_FEAT_SIGN_EXT);
	pvf_module_free(m);

	expect_fail(BIN(sat), PVF_FEATURES_MVP, PVF_E_MALFORMED, "saturating-float-to-int");
	m = expect_ok(BIN(sat), PVF_FEATURES_ALL);
	assert_int_equal(m->features_used, PVF_FEAT_SAT_FLOAT_TO_INT);
	pvf_module_free(m);

	expect_fail(BIN(multi), PVF_FEATURES_MVP, PVF_E_INVALID, "multi-value");
	m = expect_ok(BIN(multi), PVF_FEATURES_ALL);
	assert_int_equal(m->features_used, PVF_FEAT_MULTI_VALUE);
	pvf_module_free(m);

	/* Part of WebAssembly 1.0, so accepted under MVP, but recorded. */
	m = expect_ok(BIN(mutglob), PVF_FEATURES_MVP);
	assert_int_equal(m->features_used, PVF_FEAT_MUTABLE_GLOBALS);
	assert_true(m->imports[0].u.global.mut);
	pvf_module_free(m);

	expect_fail(BIN(simd), PVF_FEATURES_MVP, PVF_E_MALFORMED,
		    "feature \"simd\" not enabled: opcode 0xfd");

	expect_fail(BIN(bulk), PVF_FEATURES_MVP, PVF_E_MALFORMED, "bulk-memory");
	m = expect_ok(BIN(bulk), PVF_FEATURES_ALL);
	assert_int_equal(m->features_used, PVF_FEAT_BULK_MEMORY);
	pvf_module_free(m);

	expect_fail(BIN(tail), PVF_FEATURES_MVP, PVF_E_MALFORMED, "tail-call");
	m = expect_ok(BIN(tail), PVF_FEATURES_ALL);
	assert_int_equal(m->features_used, PVF_FEAT_TAIL_CALL);
	pvf_module_free(m);

	assert_string_equal(pvf_feature_name(PVF_FEAT_SIGN_EXT), "sign-extension");
	assert_string_equal(pvf_feature_name(PVF_FEAT_MEMORY64), "memory64");
	assert_string_equal(pvf_valtype_name(PVF_F64), "f64");
	assert_string_equal(pvf_valtype_name(PVF_EXTERNREF), "externref");
}

/* ---- real PVFs from the corpus (facts: corpus README.md) ---- */

static char *corpus_path(const char *rel)
{
	const char *dir = getenv("PVFHOST_CORPUS");
	const char *root = getenv("PVFHOST_SOURCE_ROOT");
	char *p = NULL;

	if (dir && *dir) {
		if (asprintf(&p, "%s/%s", dir, rel) < 0)
			return NULL;
	} else {
		if (asprintf(&p, "%s/../shared/corpus/%s", root && *root ? root : ".", rel) < 0)
			return NULL;
	}
	return p;
}

/* Reads a maybe-compressed blob (8-byte prefix + zstd) and decompresses it;
 * returns NULL when the file is absent. */
static uint8_t *load_pvf(const char *name, size_t *size)
{
	char *path = corpus_path(name);
	FILE *f;
	long n;
	uint8_t *raw, *out;
	size_t got;

	assert_non_null(path);
	f = fopen(path, "rb");
	free(path);
	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 8);
	rewind(f);
	raw = malloc((size_t)n);
	assert_non_null(raw);
	assert_int_equal(fread(raw, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	/* Substrate's maybe-compressed prefix for code (corpus README) */
	assert_memory_equal(raw, "\x52\xbc\x53\x76\x46\xdb\x8e", 7);
	/* Stream-decompress: the frame need not record its content size. */
	{
		ZSTD_DStream *ds = ZSTD_createDStream();
		ZSTD_inBuffer in = { raw + 8, (size_t)n - 8, 0 };
		size_t capacity = 1u << 20, ret = 1;

		assert_non_null(ds);
		out = malloc(capacity);
		assert_non_null(out);
		got = 0;
		while (ret != 0) {
			ZSTD_outBuffer ob;

			if (got == capacity) {
				capacity *= 2;
				assert_true(capacity <= MAX_PVF_BYTES);
				out = realloc(out, capacity);
				assert_non_null(out);
			}
			ob.dst = out;
			ob.size = capacity;
			ob.pos = got;
			ret = ZSTD_decompressStream(ds, &ob, &in);
			assert_false(ZSTD_isError(ret));
			got = ob.pos;
			if (ret != 0 && in.pos == in.size && ob.pos < ob.size)
				fail_msg("truncated zstd frame in %s", name);
		}
		ZSTD_freeDStream(ds);
	}
	free(raw);
	*size = got;
	return out;
}

static uint8_t *load_or_skip(const char *name, size_t *size)
{
	uint8_t *b = load_pvf(name, size);
	const char *ci = getenv("CI");

	if (!b) {
		if (ci && strcmp(ci, "true") == 0)
			fail_msg("corpus file %s missing (CI=true)", name);
		skip();
	}
	return b;
}

static void test_pvf_adder(void **state)
{
	size_t n;
	uint8_t *b = load_or_skip("pvf/adder.compressed.wasm", &n);
	pvf_module *m;

	assert_int_equal(n, 38342);
	m = expect_ok(b, n, PVF_FEATURES_ALL);
	assert_int_equal(m->nimports, 1);
	assert_int_equal(m->imports[0].kind, PVF_EXTERN_FUNC);
	assert_string_equal(m->imports[0].module.str, "env");
	assert_string_equal(m->imports[0].field.str, "ext_logging_log_version_1");
	assert_non_null(pvf_module_find_export(m, "memory"));
	assert_int_equal(pvf_module_find_export(m, "memory")->kind, PVF_EXTERN_MEMORY);
	assert_non_null(pvf_module_find_export(m, "__heap_base"));
	assert_int_equal(pvf_module_find_export(m, "__heap_base")->kind, PVF_EXTERN_GLOBAL);
	assert_non_null(pvf_module_find_export(m, "validate_block"));
	assert_int_equal(pvf_module_find_export(m, "validate_block")->kind, PVF_EXTERN_FUNC);
	pvf_module_free(m);
	/* and under plain MVP too */
	m = expect_ok(b, n, PVF_FEATURES_MVP);
	pvf_module_free(m);
	free(b);
}

static bool has_import(const pvf_module *m, const char *mod, const char *field, pvf_extern_kind k)
{
	for (uint32_t i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == k && strcmp(m->imports[i].module.str, mod) == 0 &&
		    strcmp(m->imports[i].field.str, field) == 0)
			return true;
	return false;
}

static void test_pvf_shell(void **state)
{
	size_t n;
	uint8_t *b = load_or_skip("pvf/cumulus-shell.compressed.wasm", &n);
	pvf_module *m;

	assert_int_equal(n, 1271914);
	m = expect_ok(b, n, PVF_FEATURES_ALL);
	/* env.memory and 40 host functions */
	assert_int_equal(m->nimports, 41);
	assert_int_equal(m->nmemory_imports, 1);
	assert_int_equal(m->nfunc_imports, 40);
	assert_true(has_import(m, "env", "memory", PVF_EXTERN_MEMORY));
	assert_non_null(pvf_module_find_export(m, "validate_block"));
	assert_non_null(pvf_module_find_export(m, "Core_version"));
	assert_non_null(pvf_module_find_export(m, "Metadata_metadata"));
	pvf_module_free(m);
	free(b);
}

static void test_pvf_coretime(void **state)
{
	size_t n;
	uint8_t *b = load_or_skip("pvf/polkadot-coretime.compressed.wasm", &n);
	pvf_module *m;

	assert_int_equal(n, 3893767);
	m = expect_ok(b, n, PVF_FEATURES_ALL);
	assert_non_null(pvf_module_find_export(m, "validate_block"));
	assert_int_equal(pvf_module_find_export(m, "validate_block")->kind, PVF_EXTERN_FUNC);
	pvf_module_free(m);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_all_sections),
		cmocka_unit_test(test_truncated_prefixes),
		cmocka_unit_test(test_leb128),
		cmocka_unit_test(test_malformed_structure),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_pvf_adder),
		cmocka_unit_test(test_pvf_shell),
		cmocka_unit_test(test_pvf_coretime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
