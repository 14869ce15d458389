/*
 * glue.c — writes the glue C file that sits beside wasm2c's output in each
 * artifact.
 *
 * wasm2c 1.0.32 leaves imports as external symbols
 * (`u64 Z_envZ_ext_foo(struct Z_env_instance_t*, u32, u64)`,
 * `wasm_rt_memory_t* Z_envZ_memory(struct Z_env_instance_t*)`) and exposes
 * exports as typed C functions. The glue:
 *   - defines every import symbol as a thunk that forwards to the host
 *     through the pvf_glue_ctx passed at instantiation (functions: values
 *     boxed as 64-bit words; memories, tables, globals: pointers);
 *   - wraps every exported function in a trampoline with one untyped
 *     signature, and every other export in a getter;
 *   - describes both lists (names, kinds, types) in the exported
 *     pvf_glue_abi, so a loaded artifact needs no wasm to be used.
 *
 * Every import module gets the same context pointer: the thunks know their
 * import index, which is all the host needs.
 */
#include "engine/glue.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/glue_abi.h"

void pvf__glue_mangle(FILE *out, const char *name, uint32_t len)
{
	fputs("Z_", out);
	for (uint32_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if ((isalnum(c) && c != 'Z') || c == '_')
			fputc(c, out);
		else
			fprintf(out, "Z%02X", c);
	}
}

static void c_string(FILE *out, const char *s, uint32_t len)
{
	fputc('"', out);
	for (uint32_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '_' || c == ' ' || c == '.' || c == '-')
			fputc(c, out);
		else
			fprintf(out, "\\%03o", c);
	}
	fputc('"', out);
}

static const char *ctype(uint8_t t)
{
	switch (t) {
	case PVF_I32: return "u32";
	case PVF_I64: return "u64";
	case PVF_F32: return "f32";
	case PVF_F64: return "f64";
	default: return NULL;
	}
}

static char type_char(uint8_t t)
{
	switch (t) {
	case PVF_I32: return 'i';
	case PVF_I64: return 'I';
	case PVF_F32: return 'f';
	case PVF_F64: return 'F';
	default: return '?';
	}
}

static void type_string(FILE *out, const uint8_t *types, uint32_t n)
{
	fputc('"', out);
	for (uint32_t i = 0; i < n; i++)
		fputc(type_char(types[i]), out);
	fputc('"', out);
}

/* Boxes C value `expr` of wasm type t into 64-bit word `dst`. */
static void box(FILE *out, uint8_t t, const char *dst, const char *expr)
{
	switch (t) {
	case PVF_F32:
		fprintf(out, "  { u32 b_; f32 bx_ = %s; memcpy(&b_, &bx_, 4); %s = b_; }\n", expr, dst);
		break;
	case PVF_F64:
		fprintf(out, "  { f64 bx_ = %s; memcpy(&%s, &bx_, 8); }\n", expr, dst);
		break;
	default:
		fprintf(out, "  %s = (unsigned long long)(%s);\n", dst, expr);
		break;
	}
}

/* Unboxes word `src` of wasm type t into a new C variable `name`. */
static void unbox(FILE *out, uint8_t t, const char *name, const char *src)
{
	switch (t) {
	case PVF_F32:
		fprintf(out, "  f32 %s; { u32 b_ = (u32)%s; memcpy(&%s, &b_, 4); }\n", name, src, name);
		break;
	case PVF_F64:
		fprintf(out, "  f64 %s; memcpy(&%s, &%s, 8);\n", name, name, src);
		break;
	default:
		fprintf(out, "  %s %s = (%s)%s;\n", ctype(t), name, ctype(t), src);
		break;
	}
}

static int check_type(const pvf_functype *ft, const char *what, pvf_error *err)
{
	for (uint32_t i = 0; i < ft->nparams; i++)
		if (!ctype(ft->params[i]))
			return pvf_error_set(err, PVF_E_COMPILE, "%s: parameter type %s is not supported",
					     what, pvf_valtype_name(ft->params[i]));
	if (ft->nresults > 1)
		return pvf_error_set(err, PVF_E_COMPILE, "%s: multiple results are not supported", what);
	if (ft->nresults == 1 && !ctype(ft->results[0]))
		return pvf_error_set(err, PVF_E_COMPILE, "%s: result type %s is not supported", what,
				     pvf_valtype_name(ft->results[0]));
	return 0;
}

static int cmp_name(const pvf_name *a, const pvf_name *b)
{
	uint32_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->str, b->str, n);
	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int cmp_name_ptr(const void *a, const void *b)
{
	return cmp_name(*(const pvf_name *const *)a, *(const pvf_name *const *)b);
}

static void write_symbol(FILE *out, const pvf_name *module, const pvf_name *field)
{
	/* Z_<module>Z_<field> */
	pvf__glue_mangle(out, module->str, module->len);
	pvf__glue_mangle(out, field->str, field->len);
}

static void write_instance_struct(FILE *out, const pvf_name *module)
{
	fputs("struct ", out);
	pvf__glue_mangle(out, module->str, module->len);
	fputs("_instance_t", out);
}

static bool same_name(const pvf_name *a, const pvf_name *b)
{
	return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

/* wasm2c declares one symbol per (module, field): a module importing the
 * same name twice gets one thunk, bound to the first such import. */
static bool duplicate_import(const pvf_module *m, uint32_t i)
{
	for (uint32_t j = 0; j < i; j++)
		if (m->imports[j].kind == m->imports[i].kind && same_name(&m->imports[j].module, &m->imports[i].module) &&
		    same_name(&m->imports[j].field, &m->imports[i].field))
			return true;
	return false;
}

static int write_imports(FILE *out, const pvf_module *m, pvf_error *err)
{
	for (uint32_t i = 0; i < m->nimports; i++) {
		const pvf_import *im = &m->imports[i];
		const pvf_functype *ft;
		char what[64];

		if (duplicate_import(m, i))
			continue;
		switch (im->kind) {
		case PVF_EXTERN_FUNC:
			ft = &m->types[im->u.func_type];
			snprintf(what, sizeof(what), "import %u", i);
			if (check_type(ft, what, err) < 0)
				return -1;
			fprintf(out, "%s ", ft->nresults ? ctype(ft->results[0]) : "void");
			write_symbol(out, &im->module, &im->field);
			fputs("(", out);
			write_instance_struct(out, &im->module);
			fputs("* e_", out);
			for (uint32_t p = 0; p < ft->nparams; p++)
				fprintf(out, ", %s a%u", ctype(ft->params[p]), p);
			fputs(") {\n", out);
			fprintf(out, "  unsigned long long a_[%u], r_[1] = {0};\n",
				ft->nparams ? ft->nparams : 1);
			for (uint32_t p = 0; p < ft->nparams; p++) {
				char dst[32], src[32];
				snprintf(dst, sizeof(dst), "a_[%u]", p);
				snprintf(src, sizeof(src), "a%u", p);
				box(out, ft->params[p], dst, src);
			}
			fputs("  (void)a_;\n", out);
			fprintf(out, "  ((pvf_glue_ctx *)e_)->call((pvf_glue_ctx *)e_, %uu, a_, r_);\n", i);
			if (ft->nresults) {
				unbox(out, ft->results[0], "r0", "r_[0]");
				fputs("  return r0;\n", out);
			}
			fputs("}\n", out);
			break;
		case PVF_EXTERN_MEMORY:
		case PVF_EXTERN_TABLE:
		case PVF_EXTERN_GLOBAL: {
			const char *rt;
			if (im->kind == PVF_EXTERN_MEMORY)
				rt = "wasm_rt_memory_t";
			else if (im->kind == PVF_EXTERN_TABLE)
				rt = im->u.table.elem == PVF_EXTERNREF ? "wasm_rt_externref_table_t"
								       : "wasm_rt_funcref_table_t";
			else if (!(rt = ctype(im->u.global.type)))
				return pvf_error_set(err, PVF_E_COMPILE,
						     "import %u: global type %s is not supported", i,
						     pvf_valtype_name(im->u.global.type));
			fprintf(out, "%s* ", rt);
			write_symbol(out, &im->module, &im->field);
			fputs("(", out);
			write_instance_struct(out, &im->module);
			fprintf(out, "* e_) {\n  return (%s*)((pvf_glue_ctx *)e_)->get((pvf_glue_ctx *)e_, %uu);\n}\n",
				rt, i);
			break;
		}
		default:
			return pvf_error_set(err, PVF_E_COMPILE, "import %u: kind %d is not supported", i,
					     (int)im->kind);
		}
	}
	return 0;
}

static void export_symbol(FILE *out, const pvf_export *ex)
{
	fputs("Z_" PVF_GLUE_MODULE, out);
	pvf__glue_mangle(out, ex->name.str, ex->name.len);
}

static int write_exports(FILE *out, const pvf_module *m, pvf_error *err)
{
	for (uint32_t i = 0; i < m->nexports; i++) {
		const pvf_export *ex = &m->exports[i];
		const pvf_functype *ft;
		char what[64];

		if (ex->kind == PVF_EXTERN_FUNC) {
			ft = pvf_module_func_type(m, ex->index);
			snprintf(what, sizeof(what), "export %u", i);
			if (!ft)
				return pvf_error_set(err, PVF_E_COMPILE, "%s: bad function index", what);
			if (check_type(ft, what, err) < 0)
				return -1;
			fprintf(out, "static void pvf_x%u(void *inst_, const unsigned long long *a_, unsigned long long *r_) {\n", i);
			for (uint32_t p = 0; p < ft->nparams; p++) {
				char name[32], src[32];
				snprintf(name, sizeof(name), "a%u", p);
				snprintf(src, sizeof(src), "a_[%u]", p);
				unbox(out, ft->params[p], name, src);
			}
			fputs("  (void)a_; (void)r_;\n  ", out);
			if (ft->nresults)
				fprintf(out, "%s v_ = ", ctype(ft->results[0]));
			export_symbol(out, ex);
			fputs("((Z_" PVF_GLUE_MODULE "_instance_t *)inst_", out);
			for (uint32_t p = 0; p < ft->nparams; p++)
				fprintf(out, ", a%u", p);
			fputs(");\n", out);
			if (ft->nresults)
				box(out, ft->results[0], "r_[0]", "v_");
			fputs("}\n", out);
		} else if (ex->kind == PVF_EXTERN_MEMORY || ex->kind == PVF_EXTERN_TABLE ||
			   ex->kind == PVF_EXTERN_GLOBAL) {
			fprintf(out, "static void *pvf_x%u(void *inst_) {\n  return (void *)", i);
			export_symbol(out, ex);
			fputs("((Z_" PVF_GLUE_MODULE "_instance_t *)inst_);\n}\n", out);
		} else {
			return pvf_error_set(err, PVF_E_COMPILE, "export %u: kind %d is not supported", i,
					     (int)ex->kind);
		}
	}
	return 0;
}

/* Type and limits of item `index` of `kind` in the combined index space. */
static void describe(FILE *out, const pvf_module *m, pvf_extern_kind kind, uint32_t index,
		     const pvf_import *im)
{
	const pvf_functype *ft = NULL;
	const pvf_limits *lim = NULL;
	const pvf_globaltype *gt = NULL;

	switch (kind) {
	case PVF_EXTERN_FUNC:
		ft = im ? &m->types[im->u.func_type] : pvf_module_func_type(m, index);
		break;
	case PVF_EXTERN_MEMORY:
		if (im)
			lim = &im->u.memory;
		else if (index >= m->nmemory_imports)
			lim = &m->memories[index - m->nmemory_imports];
		break;
	case PVF_EXTERN_TABLE:
		if (im)
			lim = &im->u.table.limits;
		else if (index >= m->ntable_imports)
			lim = &m->tables[index - m->ntable_imports].limits;
		break;
	case PVF_EXTERN_GLOBAL:
		gt = im ? &im->u.global : pvf_module_global_type(m, index);
		break;
	default:
		break;
	}
	fprintf(out, "%u, ", (unsigned)kind);
	if (ft) {
		type_string(out, ft->params, ft->nparams);
		fputs(", ", out);
		type_string(out, ft->results, ft->nresults);
		fputs(", 0, 0, 0, 0, ", out);
	} else if (gt) {
		type_string(out, &gt->type, 1);
		fprintf(out, ", \"\", %d, 0, 0, 0, ", gt->mut ? 1 : 0);
	} else if (lim) {
		fprintf(out, "\"\", \"\", 0, %lluull, %lluull, %d, ", (unsigned long long)lim->min,
			(unsigned long long)lim->max, lim->has_max ? 1 : 0);
	} else {
		fputs("\"\", \"\", 0, 0, 0, 0, ", out);
	}
}

int pvf__glue_write(const pvf_module *m, uint32_t stack_limit, const char *header, FILE *out,
		    pvf_error *err)
{
	const pvf_name **mods = NULL;
	uint32_t nmods = 0;
	int r = -1;

	fprintf(out, "/* Generated by pvfhost: glue between wasm2c output and the host. */\n");
	fprintf(out, "#include <string.h>\n#include \"%s\"\n\n", header);
	fputs(PVF_GLUE_ABI_TEXT "\n\n", out);

	if (write_imports(out, m, err) < 0 || write_exports(out, m, err) < 0)
		goto out;

	/* Distinct import module names, in wasm2c's order (byte-wise sorted). */
	if (m->nimports) {
		mods = calloc(m->nimports, sizeof(*mods));
		if (!mods) {
			pvf_error_set(err, PVF_E_NOMEM, "out of memory");
			goto out;
		}
		for (uint32_t i = 0; i < m->nimports; i++)
			mods[i] = &m->imports[i].module;
		qsort(mods, m->nimports, sizeof(*mods), cmp_name_ptr);
		for (uint32_t i = 0; i < m->nimports; i++)
			if (nmods == 0 || cmp_name(mods[nmods - 1], mods[i]) != 0)
				mods[nmods++] = mods[i];
	}

	fputs("static void pvf_instantiate(void *inst_, pvf_glue_ctx *ctx_) {\n", out);
	fputs("  (void)ctx_;\n  Z_" PVF_GLUE_MODULE "_instantiate((Z_" PVF_GLUE_MODULE "_instance_t *)inst_", out);
	for (uint32_t i = 0; i < nmods; i++) {
		fputs(", (", out);
		write_instance_struct(out, mods[i]);
		fputs(" *)ctx_", out);
	}
	fputs(");\n}\n", out);
	fputs("static void pvf_free(void *inst_) {\n  Z_" PVF_GLUE_MODULE "_free((Z_" PVF_GLUE_MODULE
	      "_instance_t *)inst_);\n}\n\n", out);

	fprintf(out, "static const pvf_glue_extern pvf_imports[%u] = {\n", m->nimports ? m->nimports : 1);
	for (uint32_t i = 0; i < m->nimports; i++) {
		const pvf_import *im = &m->imports[i];
		fputs("  { ", out);
		c_string(out, im->module.str, im->module.len);
		fprintf(out, ", %u, ", im->module.len);
		c_string(out, im->field.str, im->field.len);
		fprintf(out, ", %u, ", im->field.len);
		describe(out, m, im->kind, 0, im);
		fputs("0 },\n", out);
	}
	if (!m->nimports)
		fputs("  { 0 },\n", out);
	fputs("};\n", out);

	fprintf(out, "static const pvf_glue_extern pvf_exports[%u] = {\n", m->nexports ? m->nexports : 1);
	for (uint32_t i = 0; i < m->nexports; i++) {
		const pvf_export *ex = &m->exports[i];
		fputs("  { 0, 0, ", out);
		c_string(out, ex->name.str, ex->name.len);
		fprintf(out, ", %u, ", ex->name.len);
		describe(out, m, ex->kind, ex->index, NULL);
		fprintf(out, "(void (*)(void))pvf_x%u },\n", i);
	}
	if (!m->nexports)
		fputs("  { 0 },\n", out);
	fputs("};\n\n", out);

	fprintf(out,
		"__attribute__((visibility(\"default\"))) const pvf_glue_abi %s = {\n"
		"  %u, %uu, sizeof(Z_" PVF_GLUE_MODULE "_instance_t), %uu, %uu, pvf_imports, pvf_exports,\n"
		"  Z_" PVF_GLUE_MODULE "_init_module, pvf_instantiate, pvf_free,\n};\n",
		PVF_GLUE_ABI_SYMBOL, PVF_GLUE_ABI_VERSION, stack_limit, m->nimports, m->nexports);
	r = ferror(out) ? pvf_error_set(err, PVF_E_IO, "cannot write the glue file") : 0;
out:
	free(mods);
	return r;
}
