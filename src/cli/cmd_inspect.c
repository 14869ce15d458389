/*
 * cmd_inspect.c — `pvfhost inspect FILE [--json]`: the module summary
 * (format, imports with signatures and host-function status, exports,
 * memory, __heap_base, features, custom sections) and the PVF-rule verdict.
 *
 * Exit 0: the module passes the PVF rules; 1: it breaks one (named on
 * stdout); 2: unreadable input.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"
#include "cli/cli.h"
#include "engine/engine.h"
#include "hostapi/alloc_side.h"
#include "hostapi/registry.h"
#include "wasm/rules.h"
#include "wasm/stack_cost.h"

static const char *kind_name(pvf_extern_kind k)
{
	switch (k) {
	case PVF_EXTERN_FUNC: return "func";
	case PVF_EXTERN_TABLE: return "table";
	case PVF_EXTERN_MEMORY: return "memory";
	case PVF_EXTERN_GLOBAL: return "global";
	case PVF_EXTERN_TAG: return "tag";
	default: return "?";
	}
}

static void sig(FILE *f, const pvf_functype *ft)
{
	fputc('(', f);
	for (uint32_t i = 0; i < ft->nparams; i++)
		fprintf(f, "%s%s", i ? ", " : "", pvf_valtype_name(ft->params[i]));
	fputs(") -> (", f);
	for (uint32_t i = 0; i < ft->nresults; i++)
		fprintf(f, "%s%s", i ? ", " : "", pvf_valtype_name(ft->results[i]));
	fputc(')', f);
}

static void json_sig(FILE *f, const pvf_functype *ft)
{
	fputs("\"params\": [", f);
	for (uint32_t i = 0; i < ft->nparams; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", pvf_valtype_name(ft->params[i]));
	fputs("], \"results\": [", f);
	for (uint32_t i = 0; i < ft->nresults; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", pvf_valtype_name(ft->results[i]));
	fputc(']', f);
}

static const char *import_status(const pvf_import *im)
{
	const pvf_hostfn_desc *d;

	if (im->kind != PVF_EXTERN_FUNC)
		return NULL;
	if (im->module.len != 3 || memcmp(im->module.str, "env", 3) != 0)
		return "unknown";
	d = pvf_hostfn_lookup(im->field.str, im->field.len);
	if (!d)
		return "unknown";
	/* "state": a stub when validating, implemented in runtime calls. */
	return d->status == PVF_HOSTFN_IMPLEMENTED ? "implemented" : d->status == PVF_HOSTFN_STATE ? "state" : "stub";
}

/* Value of an exported immutable i32 global with a constant initialiser. */
static bool heap_base(const pvf_module *m, uint32_t *ret)
{
	const pvf_export *ex = pvf_module_find_export(m, "__heap_base");

	if (!ex || ex->kind != PVF_EXTERN_GLOBAL || ex->index < m->nglobal_imports)
		return false;
	const pvf_global *g = &m->globals[ex->index - m->nglobal_imports];
	if (g->type.type != PVF_I32 || g->init.kind != PVF_CONST_I32)
		return false;
	*ret = (uint32_t)g->init.value;
	return true;
}

static const pvf_limits *memory0(const pvf_module *m, bool *imported)
{
	for (uint32_t i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == PVF_EXTERN_MEMORY) {
			*imported = true;
			return &m->imports[i].u.memory;
		}
	*imported = false;
	return m->nmemories ? &m->memories[0] : NULL;
}

static void features(FILE *f, uint32_t used, bool json)
{
	bool first = true;

	for (uint32_t bit = 1; bit && bit <= PVF_FEATURES_ALL; bit <<= 1) {
		if (!(used & bit))
			continue;
		if (json)
			fprintf(f, "%s\"%s\"", first ? "" : ", ", pvf_feature_name(bit));
		else
			fprintf(f, "%s%s", first ? "" : ", ", pvf_feature_name(bit));
		first = false;
	}
	if (first && !json)
		fputs("none (MVP)", f);
}

/* The stack limiter's view of the module (wasm/stack_cost.h): the largest
 * logical cost and its function, or why the limiter refuses the module. */
typedef struct stack_view {
	bool refused;
	char why[PVF_ERROR_MSG_MAX];
	uint32_t max_cost, max_func;   /* function index (imports counted) */
} stack_view;

static void stack_view_of(const pvf_module *m, stack_view *sv)
{
	uint32_t *costs = NULL;
	pvf_error err;

	memset(sv, 0, sizeof(*sv));
	if (pvf_stack_costs(m, &costs, &err) < 0) {
		sv->refused = true;
		snprintf(sv->why, sizeof(sv->why), "%s", err.msg);
		return;
	}
	for (uint32_t i = 0; i < m->nfunctions; i++)
		if (costs[i] > sv->max_cost) {
			sv->max_cost = costs[i];
			sv->max_func = m->nfunc_imports + i;
		}
	free(costs);
}

static void print_text(const char *path, const pvf_blob_info *bi, const uint8_t hash[32], const pvf_module *m,
		       const pvf_rule_verdict *v, const stack_view *sv)
{
	bool imported;
	const pvf_limits *mem = memory0(m, &imported);
	uint32_t hb;

	printf("file:       %s\n", path);
	printf("format:     %s", pvf_blob_format_name(bi->format));
	if (bi->compressed)
		printf(" (zstd, prefix kind 0x%02x, %zu -> %zu bytes)", bi->kind, bi->compressed_size,
		       bi->decompressed_size);
	else
		printf(" (%zu bytes of wasm)", bi->decompressed_size);
	printf("\ncode hash:  0x");
	for (int i = 0; i < 32; i++)
		printf("%02x", hash[i]);
	printf("  (BLAKE2b-256 of the file as given)\n");
	printf("functions:  %u imported, %u defined, %llu bytes of code\n", m->nfunc_imports, m->nfunctions,
	       (unsigned long long)m->code_size);
	if (mem) {
		printf("memory:     %s, min %llu pages", imported ? "imported" : "defined", (unsigned long long)mem->min);
		if (mem->has_max)
			printf(", max %llu pages", (unsigned long long)mem->max);
		printf("\n");
	} else {
		printf("memory:     none\n");
	}
	if (heap_base(m, &hb))
		printf("heap base:  %u\n", hb);
	else
		printf("heap base:  (no constant __heap_base export)\n");
	printf("features:   ");
	features(stdout, m->features_used, false);
	if (sv->refused)
		printf("\nstack:      refused by Polkadot's stack limiter: %s", sv->why);
	else if (m->nfunctions)
		printf("\nstack:      largest logical cost %u (function %u): at most %u nested calls of it within "
		       "the default limit of %u", sv->max_cost, sv->max_func, PVF_DEFAULT_STACK_LIMIT / sv->max_cost,
		       PVF_DEFAULT_STACK_LIMIT);
	printf("\nimports (%u):\n", m->nimports);
	for (uint32_t i = 0; i < m->nimports; i++) {
		const pvf_import *im = &m->imports[i];
		printf("  %.*s.%.*s %s", (int)im->module.len, im->module.str, (int)im->field.len, im->field.str,
		       kind_name(im->kind));
		if (im->kind == PVF_EXTERN_FUNC) {
			putchar(' ');
			sig(stdout, &m->types[im->u.func_type]);
			printf("  [%s]", import_status(im));
		}
		putchar('\n');
	}
	printf("exports (%u):\n", m->nexports);
	for (uint32_t i = 0; i < m->nexports; i++) {
		const pvf_export *ex = &m->exports[i];
		printf("  %.*s %s", (int)ex->name.len, ex->name.str, kind_name(ex->kind));
		if (ex->kind == PVF_EXTERN_FUNC) {
			const pvf_functype *ft = pvf_module_func_type(m, ex->index);
			if (ft) {
				putchar(' ');
				sig(stdout, ft);
			}
		}
		putchar('\n');
	}
	printf("custom sections (%u):\n", m->ncustoms);
	for (uint32_t i = 0; i < m->ncustoms; i++)
		printf("  %.*s (%u bytes)\n", (int)m->customs[i].name.len, m->customs[i].name.str, m->customs[i].size);
	if (v->ok)
		printf("PVF rules:  ok (%u implemented host functions, %u stubs, %u unknown imports linked to stubs)\n",
		       v->n_implemented, v->n_stub, v->n_missing);
	else
		printf("PVF rules:  broken: %s: %s\n", pvf_error_code_name(v->code), v->msg);
}

static void print_json(const char *path, const pvf_blob_info *bi, const uint8_t hash[32], const pvf_module *m,
		       const pvf_rule_verdict *v, const stack_view *sv)
{
	bool imported;
	const pvf_limits *mem = memory0(m, &imported);
	uint32_t hb;

	printf("{\n  \"file\": ");
	json_str(stdout, path, strlen(path));
	printf(",\n  \"format\": \"%s\", \"compressed\": %s, \"input_size\": %zu, \"wasm_size\": %zu,\n",
	       pvf_blob_format_name(bi->format), bi->compressed ? "true" : "false", bi->input_size,
	       bi->decompressed_size);
	printf("  \"code_hash\": ");
	json_hex(stdout, hash, 32);
	printf(",\n  \"functions\": {\"imported\": %u, \"defined\": %u, \"code_bytes\": %llu},\n", m->nfunc_imports,
	       m->nfunctions, (unsigned long long)m->code_size);
	if (mem) {
		printf("  \"memory\": {\"imported\": %s, \"min\": %llu, \"max\": ", imported ? "true" : "false",
		       (unsigned long long)mem->min);
		if (mem->has_max)
			printf("%llu},\n", (unsigned long long)mem->max);
		else
			printf("null},\n");
	} else {
		printf("  \"memory\": null,\n");
	}
	if (heap_base(m, &hb))
		printf("  \"heap_base\": %u,\n", hb);
	else
		printf("  \"heap_base\": null,\n");
	printf("  \"features\": [");
	features(stdout, m->features_used, true);
	printf("],\n  \"stack\": ");
	if (sv->refused) {
		printf("{\"refused\": ");
		json_str(stdout, sv->why, strlen(sv->why));
		printf("}");
	} else if (m->nfunctions) {
		printf("{\"max_cost\": %u, \"max_cost_function\": %u}", sv->max_cost, sv->max_func);
	} else {
		printf("null");
	}
	printf(",\n  \"imports\": [");
	for (uint32_t i = 0; i < m->nimports; i++) {
		const pvf_import *im = &m->imports[i];
		printf("%s\n    {\"module\": ", i ? "," : "");
		json_str(stdout, im->module.str, im->module.len);
		printf(", \"name\": ");
		json_str(stdout, im->field.str, im->field.len);
		printf(", \"kind\": \"%s\"", kind_name(im->kind));
		if (im->kind == PVF_EXTERN_FUNC) {
			printf(", ");
			json_sig(stdout, &m->types[im->u.func_type]);
			printf(", \"status\": \"%s\"", import_status(im));
		}
		printf("}");
	}
	printf("\n  ],\n  \"exports\": [");
	for (uint32_t i = 0; i < m->nexports; i++) {
		const pvf_export *ex = &m->exports[i];
		printf("%s\n    {\"name\": ", i ? "," : "");
		json_str(stdout, ex->name.str, ex->name.len);
		printf(", \"kind\": \"%s\"", kind_name(ex->kind));
		if (ex->kind == PVF_EXTERN_FUNC && pvf_module_func_type(m, ex->index)) {
			printf(", ");
			json_sig(stdout, pvf_module_func_type(m, ex->index));
		}
		printf("}");
	}
	printf("\n  ],\n  \"custom_sections\": [");
	for (uint32_t i = 0; i < m->ncustoms; i++) {
		printf("%s{\"name\": ", i ? ", " : "");
		json_str(stdout, m->customs[i].name.str, m->customs[i].name.len);
		printf(", \"size\": %u}", m->customs[i].size);
	}
	printf("],\n  \"rules\": {\"ok\": %s", v->ok ? "true" : "false");
	if (!v->ok) {
		printf(", \"rule\": \"%s\", \"message\": ", pvf_error_code_name(v->code));
		json_str(stdout, v->msg, strlen(v->msg));
	} else {
		printf(", \"implemented\": %u, \"stubs\": %u, \"unknown\": %u", v->n_implemented, v->n_stub,
		       v->n_missing);
	}
	printf("}\n}\n");
}

int cmd_inspect(int argc, char **argv)
{
	const char *path = NULL;
	bool json = false;
	pvf_rules_opts ro = pvf_rules_opts_default();
	pvf_blob_info bi;
	pvf_decode_opts dopts = { .features = PVF_FEATURES_ALL };
	pvf_rule_verdict v;
	pvf_module *m = NULL;
	pvf_error err;
	uint8_t *raw = NULL, *code = NULL, hash[32];
	size_t raw_len, code_len;
	int rc = CLI_ERROR;

	ro.lookup = pvf_hostfn_lookup;
	ro.alloc_side = pvf_hostfn_alloc_side;
	ro.allow_missing_imports = true;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--allow-bulk-memory"))
			ro.allow_bulk_memory = true;
		else if (!strcmp(argv[i], "--deny-missing-imports"))
			ro.allow_missing_imports = false;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage("inspect: unknown option %s", argv[i]);
		else if (!path)
			path = argv[i];
		else
			return cli_usage("inspect: more than one FILE");
	}
	if (!path)
		return cli_usage("inspect: FILE is required");

	/* The code hash is over the file as given (compressed blob or not). */
	{
		FILE *f = fopen(path, "rb");
		if (!f) {
			pvf_error_set(&err, PVF_E_IO, "cannot open: %m");
			return cli_fail(&err, path);
		}
		fclose(f);
	}
	if (pvf_blob_read_file(path, NULL, &code, &code_len, &bi, &err) < 0) {
		rc = cli_fail(&err, path);
		goto out;
	}
	{
		FILE *f = fopen(path, "rb");
		crypto_generichash_state st;
		uint8_t buf[65536];
		size_t n;
		crypto_generichash_init(&st, NULL, 0, 32);
		while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
			crypto_generichash_update(&st, buf, n);
		if (f)
			fclose(f);
		crypto_generichash_final(&st, hash, 32);
	}
	if (pvf_module_decode(code, code_len, &dopts, &m, &err) < 0) {
		/* Not a valid module: a verdict against the input, not unreadable. */
		if (err.cls == PVF_CLASS_DETERMINISTIC) {
			if (json) {
				printf("{\"file\": ");
				json_str(stdout, path, strlen(path));
				printf(", \"rules\": {\"ok\": false, \"rule\": \"%s\", \"message\": ",
				       pvf_error_code_name(err.code));
				json_str(stdout, err.msg, strlen(err.msg));
				printf("}}\n");
			} else {
				printf("PVF rules:  broken: %s: %s\n", pvf_error_code_name(err.code), err.msg);
			}
			rc = CLI_VERDICT;
		} else {
			rc = cli_fail(&err, path);
		}
		goto out;
	}
	if (pvf_rules_check(m, &ro, &v, &err) < 0) {
		rc = cli_fail(&err, path);
		goto out;
	}
	stack_view sv;
	stack_view_of(m, &sv);
	if (json)
		print_json(path, &bi, hash, m, &v, &sv);
	else
		print_text(path, &bi, hash, m, &v, &sv);
	rc = v.ok ? CLI_OK : CLI_VERDICT;
out:
	pvf_module_free(m);
	free(code);
	free(raw);
	(void)raw_len;
	return rc;
}
