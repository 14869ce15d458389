/*
 * instance.c — instances of a loaded artifact: binding imports,
 * instantiation, calls into exports, and access to linear memory.
 *
 * Every entry into generated code (instantiation, calls, memory and table
 * allocation for the host) goes through pvf__rt_run, which supplies the
 * trap target and the native stack the artifact's stack limit needs.
 * Imported functions reach the host through the pvf_glue_ctx embedded at
 * the start of each pvf_instance.
 */
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 1
#define WASM_RT_USE_STACK_DEPTH_COUNT 1
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wasm-rt.h>

#include "engine/artifact.h"
#include "engine/rt.h"

#define WASM_PAGE 65536ull

struct pvf_instance {
	pvf_glue_ctx ctx;          /* must stay first: the glue passes &ctx */
	pvf_artifact *a;
	pvf_binding *bindings;
	uint32_t nbindings;
	void *inst;                /* wasm2c's Z_m_instance_t */
	wasm_rt_memory_t *memory0;
};

static void host_call(pvf_glue_ctx *ctx, unsigned int idx, const unsigned long long *args,
		      unsigned long long *results)
{
	pvf_instance *in = (pvf_instance *)ctx;
	const pvf_binding *b = &in->bindings[idx];
	pvf_trap t = { PVF_TRAP_NONE, "" };

	if (b->u.func.fn(b->u.func.ctx, in, (const uint64_t *)args, (uint64_t *)results, &t) < 0)
		pvf__rt_trap(t.kind == PVF_TRAP_NONE ? PVF_TRAP_HOST_ERROR : t.kind, t.msg);
}

static void *host_get(pvf_glue_ctx *ctx, unsigned int idx)
{
	pvf_instance *in = (pvf_instance *)ctx;
	const pvf_binding *b = &in->bindings[idx];

	switch (b->kind) {
	case PVF_EXTERN_MEMORY:
		return b->u.memory;
	case PVF_EXTERN_TABLE:
		return b->u.table;
	case PVF_EXTERN_GLOBAL:
		return b->u.global;
	default:
		return NULL;
	}
}

static size_t stack_for(const pvf_artifact *a)
{
	return (size_t)a->info.native_stack_bytes;
}

static int run_error(int r, const pvf_trap *trap, pvf_error_code code, const char *what, pvf_error *err)
{
	if (r == -1)
		return pvf_error_set(err, code, "%s: %s%s%s", what, pvf_trap_describe(trap->kind),
				     trap->msg[0] ? ": " : "", trap->msg);
	return pvf_error_set(err, PVF_E_RUNTIME_CONSTRUCTION, "%s: cannot start an execution thread: %s",
			     what, strerror(-r));
}

typedef struct inst_job {
	pvf_instance *in;
} inst_job;

static void instantiate_tramp(void *p)
{
	pvf_instance *in = p;

	in->a->abi->instantiate(in->inst, &in->ctx);
}

static int check_bindings(const pvf_artifact *a, const pvf_binding *imports, uint32_t n, pvf_error *err)
{
	if (n != a->abi->nimports)
		return pvf_error_set(err, PVF_E_LINK, "module has %u imports, %u bindings given",
				     a->abi->nimports, n);
	for (uint32_t i = 0; i < n; i++) {
		const pvf_extern_desc *d = &a->imports[i];
		const pvf_binding *b = &imports[i];
		bool ok;

		if (b->kind != d->kind)
			return pvf_error_set(err, PVF_E_LINK, "import %u (%.*s.%.*s): binding of the wrong kind", i,
					     (int)d->module_len, d->module, (int)d->name_len, d->name);
		switch (b->kind) {
		case PVF_EXTERN_FUNC:
			ok = b->u.func.fn != NULL;
			break;
		case PVF_EXTERN_MEMORY:
			ok = b->u.memory != NULL;
			break;
		case PVF_EXTERN_TABLE:
			ok = b->u.table != NULL;
			break;
		case PVF_EXTERN_GLOBAL:
			ok = b->u.global != NULL;
			break;
		default:
			ok = false;
			break;
		}
		if (!ok)
			return pvf_error_set(err, PVF_E_LINK, "import %u (%.*s.%.*s): nothing bound", i,
					     (int)d->module_len, d->module, (int)d->name_len, d->name);
	}
	return 0;
}

int pvf_instance_new(pvf_artifact *a, const pvf_binding *imports, uint32_t nimports,
		     const pvf_instance_opts *opts, pvf_instance **ret, pvf_trap *trap, pvf_error *err)
{
	pvf_trap t = { PVF_TRAP_NONE, "" };
	pvf_instance *in;
	int r;

	if (check_bindings(a, imports, nimports, err) < 0)
		return -1;
	in = calloc(1, sizeof(*in));
	if (!in)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	in->ctx.call = host_call;
	in->ctx.get = host_get;
	in->a = a;
	in->nbindings = nimports;
	in->bindings = calloc(nimports + 1, sizeof(*in->bindings));
	in->inst = calloc(1, (size_t)a->abi->instance_size);
	if (!in->bindings || !in->inst) {
		free(in->bindings);
		free(in->inst);
		free(in);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	if (nimports)
		memcpy(in->bindings, imports, nimports * sizeof(*imports));

	pvf__rt_set_max_pages(opts && opts->max_memory_pages ? opts->max_memory_pages
							     : a->info.max_memory_pages);
	r = pvf__rt_run(stack_for(a), instantiate_tramp, in, &t);
	pvf__rt_set_max_pages(0);
	if (r < 0) {
		pvf_error_code code = PVF_E_INSTANTIATE;
		bool imports_table = false;

		if (r < -1 || (t.kind == PVF_TRAP_RESOURCE && strncmp(t.msg, "cannot ", 7) == 0))
			code = PVF_E_RUNTIME_CONSTRUCTION;
		run_error(r, &t, code, "instantiation failed", err);
		if (trap)
			*trap = t;
		for (uint32_t i = 0; i < nimports; i++)
			if (imports[i].kind == PVF_EXTERN_TABLE)
				imports_table = true;
		if (imports_table) {
			/* An imported table may already hold references to this
			 * instance's functions: keep it until the artifact closes. */
			pvf_instance **z = realloc(a->zombies, (a->nzombies + 1) * sizeof(*z));
			if (z) {
				a->zombies = z;
				a->zombies[a->nzombies++] = in;
				return -1;
			}
		}
		/* The wasm2c free function releases whatever was allocated; the
		 * instance was zeroed, so parts never allocated are skipped. */
		pvf__instance_free_zombie(in);
		return -1;
	}
	for (uint32_t i = 0; i < nimports && !in->memory0; i++)
		if (in->bindings[i].kind == PVF_EXTERN_MEMORY)
			in->memory0 = in->bindings[i].u.memory;
	if (!in->memory0) {
		for (uint32_t i = 0; i < a->abi->nexports; i++) {
			if (a->exports[i].kind == PVF_EXTERN_MEMORY) {
				in->memory0 = ((pvf_glue_get_fn)a->abi->exports[i].fn)(in->inst);
				break;
			}
		}
	}
	*ret = in;
	return 0;
}

void pvf__instance_free_zombie(pvf_instance *in)
{
	in->a->abi->free_instance(in->inst);
	free(in->inst);
	free(in->bindings);
	free(in);
}

void pvf_instance_free(pvf_instance *in)
{
	if (!in)
		return;
	in->a->abi->free_instance(in->inst);
	free(in->inst);
	free(in->bindings);
	free(in);
}

typedef struct call_job {
	pvf_glue_func_fn fn;
	void *inst;
	const uint64_t *args;
	uint64_t *results;
} call_job;

static void call_tramp(void *p)
{
	call_job *j = p;

	j->fn(j->inst, (const unsigned long long *)j->args, (unsigned long long *)j->results);
}

int pvf_instance_call_index(pvf_instance *in, uint32_t idx, const uint64_t *args, uint32_t nargs,
			    uint64_t *results, uint32_t nresults, pvf_trap *trap, pvf_error *err)
{
	const pvf_artifact *a = in->a;
	const pvf_extern_desc *d;
	uint64_t res[1] = { 0 };
	uint64_t noargs[1] = { 0 };
	pvf_trap t = { PVF_TRAP_NONE, "" };
	call_job j;
	int r;

	if (idx >= a->abi->nexports || a->exports[idx].kind != PVF_EXTERN_FUNC)
		return pvf_error_set(err, PVF_E_USAGE, "export %u is not a function", idx);
	d = &a->exports[idx];
	if (strlen(d->params) != nargs || strlen(d->results) != nresults)
		return pvf_error_set(err, PVF_E_USAGE,
				     "export \"%.*s\" takes (%s) and returns (%s); called with %u arguments and %u results",
				     (int)d->name_len, d->name, d->params, d->results, nargs, nresults);
	j.fn = (pvf_glue_func_fn)a->abi->exports[idx].fn;
	j.inst = in->inst;
	j.args = nargs ? args : noargs;
	j.results = res;
	r = pvf__rt_run(stack_for(a), call_tramp, &j, &t);
	if (r < 0) {
		if (trap)
			*trap = t;
		if (r == -1)
			return run_error(r, &t, PVF_E_TRAP, "trap", err);
		return run_error(r, &t, PVF_E_RUNTIME_CONSTRUCTION, "call failed", err);
	}
	if (nresults)
		results[0] = res[0];
	if (trap) {
		trap->kind = PVF_TRAP_NONE;
		trap->msg[0] = '\0';
	}
	return 0;
}

int pvf_instance_call(pvf_instance *in, const char *name, const uint64_t *args, uint32_t nargs,
		      uint64_t *results, uint32_t nresults, pvf_trap *trap, pvf_error *err)
{
	int32_t idx = pvf_artifact_find_export(in->a, name, (uint32_t)strlen(name));

	if (idx < 0 || in->a->exports[idx].kind != PVF_EXTERN_FUNC)
		return pvf_error_set(err, PVF_E_USAGE, "no exported function \"%s\"", name);
	return pvf_instance_call_index(in, (uint32_t)idx, args, nargs, results, nresults, trap, err);
}

static void *export_of(pvf_instance *in, const char *name, pvf_extern_kind kind)
{
	int32_t idx = pvf_artifact_find_export(in->a, name, (uint32_t)strlen(name));

	if (idx < 0 || in->a->exports[idx].kind != kind)
		return NULL;
	return ((pvf_glue_get_fn)in->a->abi->exports[idx].fn)(in->inst);
}

void *pvf_instance_export_memory(pvf_instance *in, const char *name)
{
	return export_of(in, name, PVF_EXTERN_MEMORY);
}

void *pvf_instance_export_table(pvf_instance *in, const char *name)
{
	return export_of(in, name, PVF_EXTERN_TABLE);
}

void *pvf_instance_export_global(pvf_instance *in, const char *name)
{
	return export_of(in, name, PVF_EXTERN_GLOBAL);
}

void *pvf_instance_export_index(pvf_instance *in, uint32_t idx)
{
	if (idx >= in->a->abi->nexports || in->a->exports[idx].kind == PVF_EXTERN_FUNC)
		return NULL;
	return ((pvf_glue_get_fn)in->a->abi->exports[idx].fn)(in->inst);
}

void *pvf_instance_memory(pvf_instance *in)
{
	return in->memory0;
}

uint64_t pvf_instance_memory_size(pvf_instance *in)
{
	return in->memory0 ? (uint64_t)in->memory0->pages * WASM_PAGE : 0;
}

static int mem_range(pvf_instance *in, uint64_t addr, size_t len, pvf_error *err)
{
	uint64_t size = pvf_instance_memory_size(in);

	if (!in->memory0)
		return pvf_error_set(err, PVF_E_USAGE, "the instance has no memory");
	if (addr > size || len > size - addr)
		return pvf_error_set(err, PVF_E_BAD_RESULT,
				     "memory range [%llu, +%zu) is outside the memory of %llu bytes",
				     (unsigned long long)addr, len, (unsigned long long)size);
	return 0;
}

int pvf_instance_read(pvf_instance *in, uint64_t addr, void *dst, size_t len, pvf_error *err)
{
	if (mem_range(in, addr, len, err) < 0)
		return -1;
	memcpy(dst, in->memory0->data + addr, len);
	return 0;
}

int pvf_instance_write(pvf_instance *in, uint64_t addr, const void *src, size_t len, pvf_error *err)
{
	if (mem_range(in, addr, len, err) < 0)
		return -1;
	memcpy(in->memory0->data + addr, src, len);
	return 0;
}

int64_t pvf_instance_memory_grow(pvf_instance *in, uint32_t pages)
{
	uint32_t old;

	if (!in->memory0)
		return -1;
	old = wasm_rt_grow_memory(in->memory0, pages);
	return old == UINT32_MAX ? -1 : (int64_t)old;
}

/* ---- host-owned memories and tables -------------------------------------------- */

typedef struct alloc_job {
	void *obj;
	uint32_t initial, max;
	bool table;
} alloc_job;

static void alloc_tramp(void *p)
{
	alloc_job *j = p;

	if (j->table)
		wasm_rt_allocate_funcref_table(j->obj, j->initial, j->max);
	else
		wasm_rt_allocate_memory(j->obj, j->initial, j->max);
}

static void *host_alloc(bool table, uint32_t initial, uint32_t max, pvf_error *err)
{
	pvf_trap t;
	alloc_job j = { NULL, initial, max, table };
	int r;

	j.obj = calloc(1, table ? sizeof(wasm_rt_funcref_table_t) : sizeof(wasm_rt_memory_t));
	if (!j.obj) {
		pvf_error_set(err, PVF_E_NOMEM, "out of memory");
		return NULL;
	}
	r = pvf__rt_run(1u << 20, alloc_tramp, &j, &t);
	if (r < 0) {
		run_error(r, &t, PVF_E_RUNTIME_CONSTRUCTION, table ? "allocating a table" : "allocating a memory", err);
		free(j.obj);
		return NULL;
	}
	return j.obj;
}

void *pvf_memory_new(uint32_t initial_pages, uint32_t max_pages, pvf_error *err)
{
	return host_alloc(false, initial_pages, max_pages, err);
}

void pvf_memory_free(void *memory)
{
	if (!memory)
		return;
	wasm_rt_free_memory(memory);
	free(memory);
}

void *pvf_table_new(uint32_t initial, uint32_t max, pvf_error *err)
{
	return host_alloc(true, initial, max, err);
}

void pvf_table_free(void *table)
{
	if (!table)
		return;
	wasm_rt_free_funcref_table(table);
	free(table);
}
