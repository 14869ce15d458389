/* test_rules.c — the PVF rules: each rule on hand-filled pvf_module structs
 * (independent of the decoder), their order, and a few real modules
 * assembled here byte by byte (WebAssembly core spec 1.0, chapter 5) and
 * decoded with pvf_module_decode. Host-function signatures come from the
 * pvfhost brief and Substrate's sp-io (malloc "(i32) -> i32", logging
 * "(i32, i64, i64) -> nil", storage_get "(i64) -> i64"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hostapi/alloc_side.h"
#include "hostapi/registry.h"
#include "wasm/module.h"
#include "wasm/rules.h"

#define FX_MAX 8

typedef struct fixture {
	pvf_module m;
	pvf_functype types[FX_MAX];
	uint8_t tp[FX_MAX][8], tr[FX_MAX][2];
	pvf_import imports[FX_MAX];
	pvf_function funcs[FX_MAX];
	pvf_export exports[FX_MAX];
	pvf_limits mems[1];
} fixture;

static fixture fx;

static pvf_name nm(const char *s)
{
	pvf_name n = { (char *)s, (uint32_t)strlen(s) };
	return n;
}

static uint8_t vt(char c)
{
	switch (c) {
	case 'i':
		return PVF_I32;
	case 'I':
		return PVF_I64;
	case 'f':
		return PVF_F32;
	default:
		return PVF_F64;
	}
}

/* types[idx] = "params:results" */
static void set_type(uint32_t idx, const char *sig)
{
	const char *colon = strchr(sig, ':');
	pvf_functype *t = &fx.types[idx];

	t->nparams = (uint32_t)(colon - sig);
	t->nresults = (uint32_t)strlen(colon + 1);
	for (uint32_t i = 0; i < t->nparams; i++)
		fx.tp[idx][i] = vt(sig[i]);
	for (uint32_t i = 0; i < t->nresults; i++)
		fx.tr[idx][i] = vt(colon[1 + i]);
	t->params = fx.tp[idx];
	t->results = fx.tr[idx];
	if (idx >= fx.m.ntypes)
		fx.m.ntypes = idx + 1;
}

static void add_import(const char *mod, const char *field, pvf_extern_kind kind, uint32_t type)
{
	pvf_import *im = &fx.imports[fx.m.nimports++];

	memset(im, 0, sizeof(*im));
	im->module = nm(mod);
	im->field = nm(field);
	im->kind = kind;
	switch (kind) {
	case PVF_EXTERN_FUNC:
		im->u.func_type = type;
		fx.m.nfunc_imports++;
		break;
	case PVF_EXTERN_MEMORY:
		im->u.memory.min = 17;
		fx.m.nmemory_imports++;
		break;
	case PVF_EXTERN_TABLE:
		im->u.table.elem = PVF_FUNCREF;
		fx.m.ntable_imports++;
		break;
	case PVF_EXTERN_GLOBAL:
		im->u.global.type = PVF_I32;
		fx.m.nglobal_imports++;
		break;
	default:
		break;
	}
}

static void add_export(const char *name, pvf_extern_kind kind, uint32_t index)
{
	pvf_export *e = &fx.exports[fx.m.nexports++];

	e->name = nm(name);
	e->kind = kind;
	e->index = index;
}

/* A minimal valid PVF: imports env.ext_logging_log_version_1 and env.memory,
 * defines validate_block (function 1) of type (i32, i32) -> i64. */
static void build_good(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.m.types = fx.types;
	fx.m.imports = fx.imports;
	fx.m.functions = fx.funcs;
	fx.m.exports = fx.exports;
	set_type(0, "ii:I");
	set_type(1, "iII:");
	add_import("env", "ext_logging_log_version_1", PVF_EXTERN_FUNC, 1);
	add_import("env", "memory", PVF_EXTERN_MEMORY, 0);
	fx.funcs[0].type = 0;
	fx.funcs[0].body_size = 4;
	fx.m.nfunctions = 1;
	add_export("validate_block", PVF_EXTERN_FUNC, 1);
	fx.m.code_size = 4;
}

static pvf_rules_opts opts(void)
{
	pvf_rules_opts o = pvf_rules_opts_default();

	o.lookup = pvf_hostfn_lookup;
	return o;
}

static pvf_rule_verdict check_with(const pvf_rules_opts *o)
{
	pvf_rule_verdict v;
	pvf_error e;

	memset(&v, 0x5a, sizeof(v));
	if (pvf_rules_check(&fx.m, o, &v, &e) != 0)
		fail_msg("pvf_rules_check failed: %s", e.msg);
	return v;
}

static pvf_rule_verdict check(void)
{
	pvf_rules_opts o = opts();
	return check_with(&o);
}

static void expect(pvf_rule_verdict v, pvf_error_code code, const char *msg)
{
	assert_false(v.ok);
	if (v.code != code)
		fail_msg("expected %s, got %s: %s", pvf_error_code_name(code), pvf_error_code_name(v.code),
			 v.msg);
	if (msg)
		assert_string_equal(v.msg, msg);
}

static void test_defaults(void **state)
{
	pvf_rules_opts o = pvf_rules_opts_default();

	(void)state;
	assert_null(o.lookup);
	assert_false(o.allow_bulk_memory);
	assert_true(o.allow_missing_imports);
	assert_int_equal(o.max_code_bytes, 0);
}

static void test_good_module(void **state)
{
	pvf_rule_verdict v;

	(void)state;
	build_good();
	v = check();
	assert_true(v.ok);
	assert_int_equal(v.code, PVF_OK);
	assert_string_equal(v.msg, "");
	assert_int_equal(v.n_implemented, 1);
	assert_int_equal(v.n_stub, 0);
	assert_int_equal(v.n_missing, 0);
	assert_int_equal(pvf_rule_verdict_to_error(&v, NULL), 0);
}

static void test_validate_block(void **state)
{
	(void)state;
	build_good();
	fx.m.nexports = 0;
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK,
	       "the module does not export a function named 'validate_block'");

	/* a near miss in the name is not the export */
	build_good();
	fx.exports[0].name = nm("validate_blocks");
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK, NULL);

	/* RFC-0145's entry point (len: i32) -> i64 is the other accepted type */
	build_good();
	set_type(0, "i:I");
	assert_true(check().ok);
	build_good();
	set_type(0, "I:I");
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK,
	       "export 'validate_block' has type (i64) -> i64, expected (i32, i32) -> i64 or (i32) -> i64");
	build_good();
	set_type(0, "i:i");
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK, NULL);
	build_good();
	set_type(0, "ii:i");
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK,
	       "export 'validate_block' has type (i32, i32) -> i32, expected (i32, i32) -> i64 or (i32) -> i64");
	build_good();
	set_type(0, "ii:");
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK,
	       "export 'validate_block' has type (i32, i32) -> nil, expected (i32, i32) -> i64 or (i32) -> i64");
	build_good();
	set_type(0, "II:I");
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK, NULL);
	build_good();
	set_type(0, "iii:I");
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK, NULL);

	/* index 0 is the imported logging function: imports come first */
	build_good();
	fx.exports[0].index = 0;
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK,
	       "export 'validate_block' has type (i32, i64, i64) -> nil, expected (i32, i32) -> i64 or (i32) -> i64");

	build_good();
	fx.exports[0].kind = PVF_EXTERN_MEMORY;
	fx.exports[0].index = 0;
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK,
	       "export 'validate_block' is a memory, not a function");
}

static void test_memory(void **state)
{
	static const char *want = "no usable memory: the module neither imports 'env.memory' nor "
				  "exports a memory named 'memory'";

	(void)state;
	build_good();
	fx.m.nimports = 1; /* drop env.memory */
	fx.m.nmemory_imports = 0;
	expect(check(), PVF_E_RULE_NO_MEMORY, want);

	/* a defined memory exported as "memory" is fine */
	fx.m.memories = fx.mems;
	fx.m.nmemories = 1;
	add_export("memory", PVF_EXTERN_MEMORY, 0);
	assert_true(check().ok);

	/* ...exported under another name it is not */
	fx.exports[1].name = nm("mem");
	expect(check(), PVF_E_RULE_NO_MEMORY, want);

	/* a function export named "memory" is not a memory */
	fx.exports[1].name = nm("memory");
	fx.exports[1].kind = PVF_EXTERN_FUNC;
	fx.exports[1].index = 1;
	expect(check(), PVF_E_RULE_NO_MEMORY, want);

	/* a memory imported from another module or field is not env.memory */
	build_good();
	fx.imports[1].field = nm("mem");
	expect(check(), PVF_E_RULE_NO_MEMORY, want);
	build_good();
	fx.imports[1].module = nm("js");
	expect(check(), PVF_E_RULE_NO_MEMORY, want);
}

static void test_features(void **state)
{
	static const uint32_t forbidden[] = {
		PVF_FEAT_SIMD,       PVF_FEAT_THREADS,    PVF_FEAT_REFERENCE_TYPES,
		PVF_FEAT_MULTI_VALUE, PVF_FEAT_MULTI_MEMORY, PVF_FEAT_EXCEPTIONS,
		PVF_FEAT_TAIL_CALL,  PVF_FEAT_MEMORY64,
	};
	pvf_rules_opts o = opts();
	pvf_rule_verdict v;

	(void)state;
	build_good();
	fx.m.features_used = PVF_FEAT_SIGN_EXT | PVF_FEAT_MUTABLE_GLOBALS | PVF_FEAT_SAT_FLOAT_TO_INT;
	assert_true(check().ok);

	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		char want[200];

		fx.m.features_used = PVF_FEAT_SIGN_EXT | forbidden[i];
		snprintf(want, sizeof(want), "post-MVP feature '%s' is not allowed in a PVF",
			 pvf_feature_name(forbidden[i]));
		expect(check(), PVF_E_RULE_FEATURE, want);
		/* allowing bulk memory does not allow anything else */
		o.allow_bulk_memory = true;
		expect(check_with(&o), PVF_E_RULE_FEATURE, want);
		o.allow_bulk_memory = false;
	}

	/* bulk memory only with the executor parameter */
	fx.m.features_used = PVF_FEAT_BULK_MEMORY;
	v = check();
	expect(v, PVF_E_RULE_FEATURE, NULL);
	assert_non_null(strstr(v.msg, "bulk-memory"));
	o.allow_bulk_memory = true;
	assert_true(check_with(&o).ok);

	/* several at once: the lowest bit is reported, deterministically */
	fx.m.features_used = PVF_FEAT_TAIL_CALL | PVF_FEAT_SIMD | PVF_FEAT_THREADS;
	v = check();
	assert_non_null(strstr(v.msg, pvf_feature_name(PVF_FEAT_SIMD)));
}

static void test_start_function(void **state)
{
	(void)state;
	build_good();
	fx.m.has_start = true;
	fx.m.start = 1;
	expect(check(), PVF_E_RULE_START_FUNCTION,
	       "the module has a start function (function 1); PVFs must not have one");
}

static void test_imports(void **state)
{
	pvf_rules_opts strict = opts();
	pvf_rule_verdict v;

	(void)state;
	strict.allow_missing_imports = false;

	/* an unknown env function: a stub by default, an error when strict */
	build_good();
	set_type(2, "i:i");
	add_import("env", "ext_foo_bar_version_1", PVF_EXTERN_FUNC, 2);
	fx.exports[0].index = 2; /* validate_block moved by the extra import */
	v = check();
	assert_true(v.ok);
	assert_int_equal(v.n_missing, 1);
	assert_int_equal(v.n_implemented, 1);
	expect(check_with(&strict), PVF_E_RULE_UNKNOWN_IMPORT,
	       "import 'env.ext_foo_bar_version_1' is not a known host function");

	/* a function from another module is never linked */
	build_good();
	set_type(2, "i:i");
	add_import("wasi_snapshot_preview1", "fd_write", PVF_EXTERN_FUNC, 2);
	fx.exports[0].index = 2;
	expect(check(), PVF_E_RULE_UNKNOWN_IMPORT,
	       "import 'wasi_snapshot_preview1.fd_write': host functions are only provided in module 'env'");

	/* non-function imports other than env.memory */
	build_good();
	add_import("env", "__stack_pointer", PVF_EXTERN_GLOBAL, 0);
	expect(check(), PVF_E_RULE_UNKNOWN_IMPORT,
	       "import 'env.__stack_pointer' is a global; the only non-function import allowed is 'env.memory'");
	build_good();
	add_import("env", "__indirect_function_table", PVF_EXTERN_TABLE, 0);
	expect(check(), PVF_E_RULE_UNKNOWN_IMPORT, NULL);
	build_good();
	add_import("env", "memory2", PVF_EXTERN_MEMORY, 0);
	expect(check(), PVF_E_RULE_UNKNOWN_IMPORT,
	       "import 'env.memory2' is a memory; the only non-function import allowed is 'env.memory'");

	/* a known host function with another type */
	build_good();
	set_type(2, "I:i");
	add_import("env", "ext_allocator_malloc_version_1", PVF_EXTERN_FUNC, 2);
	fx.exports[0].index = 2;
	expect(check(), PVF_E_RULE_IMPORT_SIGNATURE,
	       "host function 'env.ext_allocator_malloc_version_1' imported with type (i64) -> i32, "
	       "expected (i32) -> i32");
	set_type(2, "i:");
	expect(check(), PVF_E_RULE_IMPORT_SIGNATURE, NULL);
	set_type(2, "i:i");
	v = check();
	assert_true(v.ok);
	assert_int_equal(v.n_implemented, 2);

	/* a known stubbed host function (storage) counts as a stub */
	build_good();
	set_type(2, "I:I");
	add_import("env", "ext_storage_get_version_1", PVF_EXTERN_FUNC, 2);
	fx.exports[0].index = 2;
	v = check_with(&strict);
	assert_true(v.ok);
	assert_int_equal(v.n_stub, 1);

	/* untrusted names are escaped in messages */
	build_good();
	set_type(2, "i:i");
	add_import("env", "ext\x01" "bad\\", PVF_EXTERN_FUNC, 2);
	fx.exports[0].index = 2;
	expect(check_with(&strict), PVF_E_RULE_UNKNOWN_IMPORT,
	       "import 'env.ext\\x01bad\\x5c' is not a known host function");
	/* an embedded NUL does not match the name before it */
	fx.imports[2].field.str = (char *)"ext_allocator_malloc_version_1\0x";
	fx.imports[2].field.len = 32;
	expect(check_with(&strict), PVF_E_RULE_UNKNOWN_IMPORT, NULL);
}

/* RFC-0145: host functions from both sides of the allocation divide
 * (sc-executor-common's RUNTIME_ALLOC_IMPORTS) are refused together; each
 * side alone, with neutral ones, is fine. */
static void test_alloc_sides(void **state)
{
	pvf_rules_opts o = opts();
	pvf_rule_verdict v;

	(void)state;
	o.alloc_side = pvf_hostfn_alloc_side;

	/* the logging import of build_good is neutral; malloc v1 is host side */
	build_good();
	set_type(2, "i:i");
	add_import("env", "ext_allocator_malloc_version_1", PVF_EXTERN_FUNC, 2);
	fx.exports[0].index = 2;
	assert_true(check_with(&o).ok);
	/* ... and input_read v1 is runtime side: refused, both named */
	set_type(3, "I:");
	add_import("env", "ext_input_read_version_1", PVF_EXTERN_FUNC, 3);
	fx.exports[0].index = 3;
	expect(check_with(&o), PVF_E_RULE_IMPORT_SIGNATURE,
	       "imports host functions that allocate on both sides (RFC-0145): "
	       "'ext_allocator_malloc_version_1' on the host side, 'ext_input_read_version_1' on the runtime side");
	/* without the classifier the rule is not applied */
	assert_true(check().ok);

	/* the runtime side alone: an RFC-0145 PVF */
	build_good();
	set_type(0, "i:I");
	set_type(2, "I:");
	set_type(3, "Ii:");
	add_import("env", "ext_input_read_version_1", PVF_EXTERN_FUNC, 2);
	add_import("env", "ext_hashing_blake2_256_version_2", PVF_EXTERN_FUNC, 3);
	fx.exports[0].index = 3;
	v = check_with(&o);
	assert_true(v.ok);
	/* blake2_256 v1 next to them is host side */
	set_type(4, "I:i");
	add_import("env", "ext_hashing_blake2_256_version_1", PVF_EXTERN_FUNC, 4);
	fx.exports[0].index = 4;
	expect(check_with(&o), PVF_E_RULE_IMPORT_SIGNATURE, NULL);

	/* the divide is per function: storage_clear_prefix v3 is still host side, v4 runtime */
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_clear_prefix_version_3", 34), PVF_ALLOC_SIDE_HOST);
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_clear_prefix_version_4", 34), PVF_ALLOC_SIDE_RUNTIME);
	assert_int_equal(pvf_hostfn_alloc_side("ext_misc_last_cursor_version_1", 30), PVF_ALLOC_SIDE_RUNTIME);
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_set_version_1", 25), PVF_ALLOC_SIDE_NEUTRAL);
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_set_version_9", 25), PVF_ALLOC_SIDE_NEUTRAL);
	/* names outside the ext_<base>_version_<n> form, or unknown bases */
	assert_int_equal(pvf_hostfn_alloc_side("ext_foo_bar_version_1", 21), PVF_ALLOC_SIDE_NONE);
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_get_version_", 24), PVF_ALLOC_SIDE_NONE);
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_get_version_x", 25), PVF_ALLOC_SIDE_NONE);
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_get_version_65536", 29), PVF_ALLOC_SIDE_NONE);
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_get_version_65535", 29), PVF_ALLOC_SIDE_RUNTIME);
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_get_version_+1", 26), PVF_ALLOC_SIDE_HOST);
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_get_myversion_1", 27), PVF_ALLOC_SIDE_NONE);
	assert_int_equal(pvf_hostfn_alloc_side("ext_version_1", 13), PVF_ALLOC_SIDE_NONE);
	assert_int_equal(pvf_hostfn_alloc_side("storage_get_version_1", 21), PVF_ALLOC_SIDE_NONE);
	/* the length bounds the name: a prefix of a host-side name is not it */
	assert_int_equal(pvf_hostfn_alloc_side("ext_storage_get_version_1", 24), PVF_ALLOC_SIDE_NONE);
}

static void test_code_size(void **state)
{
	pvf_rules_opts o = opts();

	(void)state;
	build_good();
	fx.m.code_size = 100;
	assert_true(check_with(&o).ok); /* 0 = no limit */
	o.max_code_bytes = 100;
	assert_true(check_with(&o).ok);
	o.max_code_bytes = 99;
	expect(check_with(&o), PVF_E_RULE_CODE_TOO_LARGE,
	       "function bodies total 100 bytes, over the limit of 99 bytes");
}

static void test_order_and_usage(void **state)
{
	pvf_rules_opts o = opts();
	pvf_rule_verdict v;
	pvf_error e;

	(void)state;
	/* everything wrong at once: validate_block is reported first */
	build_good();
	fx.m.nexports = 0;
	fx.m.nimports = 0;
	fx.m.nfunc_imports = fx.m.nmemory_imports = 0;
	fx.m.has_start = true;
	fx.m.features_used = PVF_FEAT_SIMD;
	expect(check(), PVF_E_RULE_NO_VALIDATE_BLOCK, NULL);
	add_export("validate_block", PVF_EXTERN_FUNC, 0);
	expect(check(), PVF_E_RULE_NO_MEMORY, NULL);
	fx.m.memories = fx.mems;
	fx.m.nmemories = 1;
	add_export("memory", PVF_EXTERN_MEMORY, 0);
	expect(check(), PVF_E_RULE_FEATURE, NULL);
	fx.m.features_used = 0;
	expect(check(), PVF_E_RULE_START_FUNCTION, NULL);
	fx.m.has_start = false;
	assert_true(check().ok);

	/* the verdict as an error */
	fx.m.has_start = true;
	v = check();
	assert_int_equal(pvf_rule_verdict_to_error(&v, &e), -1);
	assert_int_equal(e.code, PVF_E_RULE_START_FUNCTION);
	assert_int_equal(e.cls, PVF_CLASS_DETERMINISTIC);
	assert_string_equal(e.msg, v.msg);

	/* host-side failures */
	o.lookup = NULL;
	assert_int_equal(pvf_rules_check(&fx.m, &o, &v, &e), -1);
	assert_int_equal(e.code, PVF_E_USAGE);
	o = opts();
	assert_int_equal(pvf_rules_check(NULL, &o, &v, &e), -1);
	assert_int_equal(pvf_rules_check(&fx.m, NULL, &v, &e), -1);
	assert_int_equal(pvf_rules_check(&fx.m, &o, NULL, &e), -1);
	/* an inconsistent module (type index out of range) is not a crash */
	build_good();
	fx.imports[0].u.func_type = 77;
	assert_int_equal(pvf_rules_check(&fx.m, &o, &v, &e), -1);
	assert_int_equal(e.code, PVF_E_USAGE);
}

/* --- real modules, assembled from bytes and decoded --------------------- */

typedef struct wbuf {
	uint8_t b[1024];
	size_t n;
} wbuf;

static void put(wbuf *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void put_byte(wbuf *w, uint8_t c)
{
	put(w, &c, 1);
}

static void put_name(wbuf *w, const char *s)
{
	assert_true(strlen(s) < 128); /* one-byte LEB128 */
	put_byte(w, (uint8_t)strlen(s));
	put(w, s, strlen(s));
}

static void put_section(wbuf *w, uint8_t id, const wbuf *content)
{
	assert_true(content->n < 128);
	put_byte(w, id);
	put_byte(w, (uint8_t)content->n);
	put(w, content->b, content->n);
}

/* variant flags */
#define V_START 1u
#define V_UNKNOWN_IMPORT 2u
#define V_EXPORTED_MEMORY 4u

/* A module with types t0 (i32,i32)->i64, t1 (i32,i64,i64)->(), t2 ()->();
 * imports env.<log> (t1) and env.memory (unless V_EXPORTED_MEMORY); defines
 * validate_block (t0: i64.const 0) and f (t2: nothing). */
static void assemble(wbuf *w, unsigned variant)
{
	static const uint8_t header[8] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
	static const uint8_t types[] = { 0x03, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7e, 0x60, 0x03,
					 0x7f, 0x7e, 0x7e, 0x00, 0x60, 0x00, 0x00 };
	wbuf s;

	memset(w, 0, sizeof(*w));
	put(w, header, sizeof(header));
	memset(&s, 0, sizeof(s));
	put(&s, types, sizeof(types));
	put_section(w, 1, &s);

	memset(&s, 0, sizeof(s));
	put_byte(&s, variant & V_EXPORTED_MEMORY ? 1 : 2);
	put_name(&s, "env");
	put_name(&s, variant & V_UNKNOWN_IMPORT ? "ext_not_a_host_function_version_1"
						 : "ext_logging_log_version_1");
	put_byte(&s, 0x00); /* func */
	put_byte(&s, 0x01); /* type 1 */
	if (!(variant & V_EXPORTED_MEMORY)) {
		put_name(&s, "env");
		put_name(&s, "memory");
		put_byte(&s, 0x02); /* memory */
		put_byte(&s, 0x00); /* limits: min only */
		put_byte(&s, 0x11); /* 17 pages */
	}
	put_section(w, 2, &s);

	memset(&s, 0, sizeof(s));
	put(&s, "\x02\x00\x02", 3); /* two functions: t0, t2 */
	put_section(w, 3, &s);

	if (variant & V_EXPORTED_MEMORY) {
		memset(&s, 0, sizeof(s));
		put(&s, "\x01\x00\x11", 3); /* one memory, min 17 */
		put_section(w, 5, &s);
	}

	memset(&s, 0, sizeof(s));
	put_byte(&s, variant & V_EXPORTED_MEMORY ? 2 : 1);
	put_name(&s, "validate_block");
	put_byte(&s, 0x00);
	put_byte(&s, 0x01); /* function 1 = first defined */
	if (variant & V_EXPORTED_MEMORY) {
		put_name(&s, "memory");
		put_byte(&s, 0x02);
		put_byte(&s, 0x00);
	}
	put_section(w, 7, &s);

	if (variant & V_START) {
		memset(&s, 0, sizeof(s));
		put_byte(&s, 0x02); /* function 2: () -> () */
		put_section(w, 8, &s);
	}

	memset(&s, 0, sizeof(s));
	put_byte(&s, 0x02);
	put(&s, "\x04\x00\x42\x00\x0b", 5); /* no locals; i64.const 0; end */
	put(&s, "\x02\x00\x0b", 3);         /* no locals; end */
	put_section(w, 10, &s);
}

static pvf_rule_verdict check_bytes(unsigned variant, const pvf_rules_opts *o)
{
	pvf_decode_opts d = { .features = PVF_RULES_ALLOWED_FEATURES | PVF_FEAT_BULK_MEMORY };
	pvf_module *m = NULL;
	pvf_rule_verdict v;
	pvf_error e;
	wbuf w;

	assemble(&w, variant);
	if (pvf_module_decode(w.b, w.n, &d, &m, &e) != 0)
		fail_msg("decoder rejected assembled module (variant %u): %s", variant, e.msg);
	if (pvf_rules_check(m, o, &v, &e) != 0)
		fail_msg("pvf_rules_check failed: %s", e.msg);
	pvf_module_free(m);
	return v;
}

static void test_decoded_modules(void **state)
{
	pvf_rules_opts o = opts(), strict = opts();
	pvf_rule_verdict v;

	(void)state;
	strict.allow_missing_imports = false;
	v = check_bytes(0, &o);
	assert_true(v.ok);
	assert_int_equal(v.n_implemented, 1);
	v = check_bytes(V_EXPORTED_MEMORY, &o);
	assert_true(v.ok);
	expect(check_bytes(V_START, &o), PVF_E_RULE_START_FUNCTION,
	       "the module has a start function (function 2); PVFs must not have one");
	v = check_bytes(V_UNKNOWN_IMPORT, &o);
	assert_true(v.ok);
	assert_int_equal(v.n_missing, 1);
	expect(check_bytes(V_UNKNOWN_IMPORT, &strict), PVF_E_RULE_UNKNOWN_IMPORT,
	       "import 'env.ext_not_a_host_function_version_1' is not a known host function");
	o.max_code_bytes = 1;
	expect(check_bytes(0, &o), PVF_E_RULE_CODE_TOO_LARGE, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_module),
		cmocka_unit_test(test_validate_block),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_start_function),
		cmocka_unit_test(test_imports),
		cmocka_unit_test(test_alloc_sides),
		cmocka_unit_test(test_code_size),
		cmocka_unit_test(test_order_and_usage),
		cmocka_unit_test(test_decoded_modules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
