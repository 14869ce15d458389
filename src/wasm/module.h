/*
 * module.h — the decoded form of a WebAssembly module, and the decoder.
 *
 * pvf_module_decode() reads a wasm binary, checks it is well formed and valid
 * (the full WebAssembly 1.0 validation algorithm, including type checking of
 * every function body, plus the post-MVP features enabled in the options) and
 * returns a summary that the rest of pvfhost uses: types, imports, functions,
 * tables, memories, globals, exports, start, element and data segments and
 * custom sections. It never executes anything.
 *
 * The decoder reads untrusted bytes: it never reads past the end, never
 * loops without consuming input, and caps every input-driven count (see the
 * PVF_WASM_MAX_* limits). A malformed module yields PVF_E_MALFORMED, an
 * invalid one PVF_E_INVALID, each with a message naming the section, the item
 * index and the byte offset.
 *
 * Names (import/export/custom) are stored as length + bytes exactly as in the
 * binary (validated UTF-8) and additionally NUL-terminated for convenience;
 * they may contain embedded NULs, so use the length.
 */
#ifndef PVF_WASM_MODULE_H
#define PVF_WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Input-driven limits (same order of magnitude as engines use). */
#define PVF_WASM_MAX_TYPES 1000000u
#define PVF_WASM_MAX_FUNCTIONS 1000000u
#define PVF_WASM_MAX_IMPORTS 100000u
#define PVF_WASM_MAX_EXPORTS 100000u
#define PVF_WASM_MAX_GLOBALS 1000000u
#define PVF_WASM_MAX_DATA_SEGMENTS 100000u
#define PVF_WASM_MAX_ELEM_SEGMENTS 10000000u
#define PVF_WASM_MAX_PARAMS 1000u
#define PVF_WASM_MAX_RESULTS 1000u
#define PVF_WASM_MAX_LOCALS 50000u        /* per function, params included */
#define PVF_WASM_MAX_FUNCTION_SIZE (7654321u)
#define PVF_WASM_MAX_NESTING 10000u       /* control-frame depth in a body */
#define PVF_WASM_MAX_OPERANDS 100000u     /* operand stack height in a body */
#define PVF_WASM_MAX_BR_TABLE 1000000u
#define PVF_WASM_MAX_TABLE_SIZE 10000000u
#define PVF_WASM_MAX_PAGES 65536u

typedef enum pvf_valtype {
	PVF_I32 = 0x7f,
	PVF_I64 = 0x7e,
	PVF_F32 = 0x7d,
	PVF_F64 = 0x7c,
	PVF_V128 = 0x7b,
	PVF_FUNCREF = 0x70,
	PVF_EXTERNREF = 0x6f,
} pvf_valtype;

/* Post-MVP features: a bit set, used both to enable decoding and to record
 * which features a module actually uses. */
typedef enum pvf_feature {
	PVF_FEAT_SIGN_EXT = 1u << 0,        /* i32.extend8_s, ... */
	PVF_FEAT_SAT_FLOAT_TO_INT = 1u << 1,/* 0xFC 0..7 */
	PVF_FEAT_MUTABLE_GLOBALS = 1u << 2, /* import/export of mutable globals */
	PVF_FEAT_BULK_MEMORY = 1u << 3,     /* memory.copy/fill/init, data.drop, table.copy/init, elem.drop, data count */
	PVF_FEAT_SIMD = 1u << 4,            /* 0xFD, v128 */
	PVF_FEAT_THREADS = 1u << 5,         /* 0xFE, shared memories */
	PVF_FEAT_REFERENCE_TYPES = 1u << 6, /* ref.*, table.get/set/grow/size/fill, typed select, multiple tables, externref */
	PVF_FEAT_MULTI_VALUE = 1u << 7,     /* several results, typed block types */
	PVF_FEAT_MULTI_MEMORY = 1u << 8,    /* more than one memory */
	PVF_FEAT_EXCEPTIONS = 1u << 9,      /* try/catch/throw, tag section */
	PVF_FEAT_TAIL_CALL = 1u << 10,      /* return_call, return_call_indirect */
	PVF_FEAT_MEMORY64 = 1u << 11,       /* 64-bit memories */
} pvf_feature;

#define PVF_FEATURES_MVP 0u
#define PVF_FEATURES_ALL 0xfffu

/* Stable lowercase name of one feature bit, e.g. "sign-extension". */
const char *pvf_feature_name(uint32_t feature_bit);

typedef struct pvf_name {
	char *str;     /* NUL-terminated copy (may contain embedded NULs) */
	uint32_t len;  /* length in bytes, without the terminator */
} pvf_name;

typedef struct pvf_functype {
	uint32_t nparams, nresults;
	uint8_t *params;   /* pvf_valtype each */
	uint8_t *results;
} pvf_functype;

typedef struct pvf_limits {
	uint64_t min;
	uint64_t max;      /* valid when has_max */
	bool has_max;
	bool shared;
	bool is64;
} pvf_limits;

typedef enum pvf_extern_kind {
	PVF_EXTERN_FUNC = 0,
	PVF_EXTERN_TABLE = 1,
	PVF_EXTERN_MEMORY = 2,
	PVF_EXTERN_GLOBAL = 3,
	PVF_EXTERN_TAG = 4,
} pvf_extern_kind;

typedef struct pvf_tabletype {
	uint8_t elem;      /* PVF_FUNCREF or PVF_EXTERNREF */
	pvf_limits limits;
} pvf_tabletype;

typedef struct pvf_globaltype {
	uint8_t type;      /* pvf_valtype */
	bool mut;
} pvf_globaltype;

/* A constant expression (global init, segment offset). */
typedef enum pvf_const_kind {
	PVF_CONST_I32, PVF_CONST_I64, PVF_CONST_F32, PVF_CONST_F64,
	PVF_CONST_GLOBAL_GET, PVF_CONST_REF_NULL, PVF_CONST_REF_FUNC, PVF_CONST_V128,
} pvf_const_kind;

typedef struct pvf_const_expr {
	pvf_const_kind kind;
	uint64_t value;    /* i32/i64 value, f32/f64 bits, global or func index */
} pvf_const_expr;

typedef struct pvf_import {
	pvf_name module;
	pvf_name field;
	pvf_extern_kind kind;
	union {
		uint32_t func_type;       /* PVF_EXTERN_FUNC: index into types */
		pvf_tabletype table;
		pvf_limits memory;
		pvf_globaltype global;
		uint32_t tag_type;
	} u;
} pvf_import;

typedef struct pvf_export {
	pvf_name name;
	pvf_extern_kind kind;
	uint32_t index;    /* in the combined (imports first) index space */
} pvf_export;

typedef struct pvf_global {
	pvf_globaltype type;
	pvf_const_expr init;
} pvf_global;

typedef struct pvf_function {
	uint32_t type;         /* index into types */
	uint32_t body_offset;  /* offset of the body (after its size) in the binary */
	uint32_t body_size;
	uint32_t nlocals;      /* declared locals, params not included */
} pvf_function;

typedef struct pvf_data_segment {
	bool active;
	uint32_t memory;
	pvf_const_expr offset; /* when active */
	uint32_t data_offset;  /* of the bytes in the binary */
	uint32_t size;
} pvf_data_segment;

typedef struct pvf_elem_segment {
	uint8_t mode;          /* 0 active, 1 passive, 2 declarative */
	uint32_t table;
	pvf_const_expr offset; /* when active */
	uint8_t elem_type;
	uint32_t count;
	/* function indices; UINT32_MAX for ref.null */
	uint32_t *funcs;
} pvf_elem_segment;

typedef struct pvf_custom_section {
	pvf_name name;
	uint32_t offset;   /* of the payload (after the name) in the binary */
	uint32_t size;
} pvf_custom_section;

typedef struct pvf_module {
	const uint8_t *bytes;  /* the binary, NOT owned: must outlive the module */
	size_t size;

	uint32_t ntypes;
	pvf_functype *types;

	uint32_t nimports;
	pvf_import *imports;
	uint32_t nfunc_imports, ntable_imports, nmemory_imports, nglobal_imports;

	uint32_t nfunctions;   /* defined functions (imports not included) */
	pvf_function *functions;

	uint32_t ntables;      /* defined tables */
	pvf_tabletype *tables;
	uint32_t nmemories;    /* defined memories */
	pvf_limits *memories;
	uint32_t nglobals;     /* defined globals */
	pvf_global *globals;

	uint32_t nexports;
	pvf_export *exports;

	bool has_start;
	uint32_t start;

	uint32_t nelems;
	pvf_elem_segment *elems;
	uint32_t ndatas;
	pvf_data_segment *datas;
	bool has_data_count;
	uint32_t data_count;

	uint32_t ncustoms;
	pvf_custom_section *customs;

	uint32_t features_used;  /* pvf_feature bits seen while decoding */
	uint64_t code_size;      /* total bytes of all function bodies */
} pvf_module;

typedef struct pvf_decode_opts {
	uint32_t features;   /* pvf_feature bits accepted; others are errors */
	bool skip_bodies;    /* only decode the structure, do not validate bodies */
} pvf_decode_opts;

/* Decodes and validates `bytes`. On success stores a new module in *ret
 * (free with pvf_module_free) and returns 0. On failure returns -1 with
 * err->code PVF_E_MALFORMED, PVF_E_INVALID or PVF_E_NOMEM. `opts` may be NULL
 * (MVP only). A feature used but not enabled is PVF_E_INVALID or
 * PVF_E_MALFORMED as the spec tests classify it, and the message names the
 * feature. */
int pvf_module_decode(const uint8_t *bytes, size_t size, const pvf_decode_opts *opts,
		      pvf_module **ret, pvf_error *err);
void pvf_module_free(pvf_module *m);

/* Look-ups over the combined index spaces (imports first). */
const pvf_functype *pvf_module_func_type(const pvf_module *m, uint32_t func_index);
const pvf_export *pvf_module_find_export(const pvf_module *m, const char *name);
const pvf_custom_section *pvf_module_find_custom(const pvf_module *m, const char *name);
/* Type and init of a global in the combined index space; init is NULL for imports. */
const pvf_globaltype *pvf_module_global_type(const pvf_module *m, uint32_t global_index);

/* The "name" of a value type ("i32", ...). */
const char *pvf_valtype_name(uint8_t t);

#endif
