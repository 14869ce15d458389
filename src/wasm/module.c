/*
 * module.c — owning and querying a decoded pvf_module.
 *
 * pvf_module_decode (decode.c) builds the module; this file frees it and
 * answers look-ups over the combined index spaces (imports come first in
 * every index space: function, table, memory, global, tag). All look-ups
 * are total: out-of-range indices and NULL modules give NULL, never a crash.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm/module.h"

static void free_name(pvf_name *n)
{
	free(n->str);
	n->str = NULL;
}

void pvf_module_free(pvf_module *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->ntypes && m->types; i++) {
		free(m->types[i].params);
		free(m->types[i].results);
	}
	free(m->types);
	for (uint32_t i = 0; i < m->nimports && m->imports; i++) {
		free_name(&m->imports[i].module);
		free_name(&m->imports[i].field);
	}
	free(m->imports);
	free(m->functions);
	free(m->tables);
	free(m->memories);
	free(m->globals);
	for (uint32_t i = 0; i < m->nexports && m->exports; i++)
		free_name(&m->exports[i].name);
	free(m->exports);
	for (uint32_t i = 0; i < m->nelems && m->elems; i++)
		free(m->elems[i].funcs);
	free(m->elems);
	free(m->datas);
	for (uint32_t i = 0; i < m->ncustoms && m->customs; i++)
		free_name(&m->customs[i].name);
	free(m->customs);
	free(m);
}

const pvf_functype *pvf_module_func_type(const pvf_module *m, uint32_t func_index)
{
	uint32_t t;

	if (!m)
		return NULL;
	if (func_index < m->nfunc_imports) {
		uint32_t seen = 0;
		/* Imports are few (hundreds); a linear scan keeps the struct simple. */
		for (uint32_t i = 0; i < m->nimports; i++) {
			if (m->imports[i].kind != PVF_EXTERN_FUNC)
				continue;
			if (seen++ == func_index) {
				t = m->imports[i].u.func_type;
				return t < m->ntypes ? &m->types[t] : NULL;
			}
		}
		return NULL;
	}
	func_index -= m->nfunc_imports;
	if (func_index >= m->nfunctions)
		return NULL;
	t = m->functions[func_index].type;
	return t < m->ntypes ? &m->types[t] : NULL;
}

const pvf_export *pvf_module_find_export(const pvf_module *m, const char *name)
{
	size_t len;

	if (!m || !name)
		return NULL;
	len = strlen(name);
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].name.len == len && memcmp(m->exports[i].name.str, name, len) == 0)
			return &m->exports[i];
	return NULL;
}

const pvf_custom_section *pvf_module_find_custom(const pvf_module *m, const char *name)
{
	size_t len;

	if (!m || !name)
		return NULL;
	len = strlen(name);
	for (uint32_t i = 0; i < m->ncustoms; i++)
		if (m->customs[i].name.len == len && memcmp(m->customs[i].name.str, name, len) == 0)
			return &m->customs[i];
	return NULL;
}

const pvf_globaltype *pvf_module_global_type(const pvf_module *m, uint32_t global_index)
{
	if (!m)
		return NULL;
	if (global_index < m->nglobal_imports) {
		uint32_t seen = 0;
		for (uint32_t i = 0; i < m->nimports; i++) {
			if (m->imports[i].kind != PVF_EXTERN_GLOBAL)
				continue;
			if (seen++ == global_index)
				return &m->imports[i].u.global;
		}
		return NULL;
	}
	global_index -= m->nglobal_imports;
	if (global_index >= m->nglobals)
		return NULL;
	return &m->globals[global_index].type;
}

const char *pvf_valtype_name(uint8_t t)
{
	switch (t) {
	case PVF_I32: return "i32";
	case PVF_I64: return "i64";
	case PVF_F32: return "f32";
	case PVF_F64: return "f64";
	case PVF_V128: return "v128";
	case PVF_FUNCREF: return "funcref";
	case PVF_EXTERNREF: return "externref";
	default: return "unknown";
	}
}

const char *pvf_feature_name(uint32_t feature_bit)
{
	switch (feature_bit) {
	case PVF_FEAT_SIGN_EXT: return "sign-extension";
	case PVF_FEAT_SAT_FLOAT_TO_INT: return "saturating-float-to-int";
	case PVF_FEAT_MUTABLE_GLOBALS: return "mutable-globals";
	case PVF_FEAT_BULK_MEMORY: return "bulk-memory";
	case PVF_FEAT_SIMD: return "simd";
	case PVF_FEAT_THREADS: return "threads";
	case PVF_FEAT_REFERENCE_TYPES: return "reference-types";
	case PVF_FEAT_MULTI_VALUE: return "multi-value";
	case PVF_FEAT_MULTI_MEMORY: return "multi-memory";
	case PVF_FEAT_EXCEPTIONS: return "exceptions";
	case PVF_FEAT_TAIL_CALL: return "tail-call";
	case PVF_FEAT_MEMORY64: return "memory64";
	default: return "unknown";
	}
}
