/*
 * job_execute.c — the in-process execute job (see job_execute.h).
 *
 * One call, start to end (pvf_exec_call = pvf_exec_instance_new, where an
 * execute worker's job does the first four steps while it waits for its
 * request, + pvf_exec_instance_run):
 *
 *   pvf_hostapi_ctx_new   host context: log sink, heap maximum
 *   pvf_hostapi_bind      imports -> bindings (env.memory created here)
 *   pvf_instance_new      data/element segments written
 *   pvf_hostapi_ctx_attach  allocator at align8(__heap_base)
 *   pvf_hostapi_malloc    input buffer (never freed here: the runtime owns it)
 *   pvf_instance_call_index  EXPORT(ptr, len) -> i64
 *   read [ptr, ptr+len)   bounds-checked, copied out
 *   free instance, context (memory), bindings
 *
 * Nothing owned survives a trap by longjmp: traps unwind inside the engine's
 * pvf__rt_run, and every resource here is released on the way out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/validation.h"
#include "worker/job_execute.h"

void pvf_exec_result_free(pvf_exec_result *res)
{
	if (!res)
		return;
	free(res->output);
	res->output = NULL;
	res->output_len = 0;
}

/* Appends the runtime's last error log line to the trap message. */
static void add_panic_message(pvf_trap *trap, const pvf_hostapi_ctx *ctx)
{
	const char *last = pvf_hostapi_last_error_log(ctx);
	size_t n = strlen(trap->msg);

	if (!last[0] || n + 1 >= sizeof(trap->msg))
		return;
	snprintf(trap->msg + n, sizeof(trap->msg) - n, "%sruntime error log: %s", n ? "; " : "", last);
}

static int trap_error(pvf_exec_result *res, const pvf_hostapi_ctx *ctx, pvf_error *err)
{
	add_panic_message(&res->trap, ctx);
	return pvf_error_set(err, PVF_E_TRAP, "%s: %s%s%s", pvf_trap_name(res->trap.kind),
			     pvf_trap_describe(res->trap.kind), res->trap.msg[0] ? ": " : "", res->trap.msg);
}

/* A runtime call (any export but validate_block) gets an empty storage
 * state; validation keeps the trapping storage stubs. */
static bool is_runtime_call(const char *export_name)
{
	return export_name && strcmp(export_name, PVF_EXEC_DEFAULT_EXPORT) != 0;
}

struct pvf_exec_instance {
	pvf_artifact *a;
	pvf_hostapi_ctx *ctx;
	pvf_binding *b;
	pvf_instance *inst;
	/* Instantiation failed: the error every run reports. */
	bool failed;
	pvf_error err;
	pvf_trap trap;
};

void pvf_exec_instance_free(pvf_exec_instance *ei)
{
	if (!ei)
		return;
	pvf_instance_free(ei->inst);
	pvf_hostapi_ctx_free(ei->ctx);
	free(ei->b);
	free(ei);
}

int pvf_exec_instance_new(pvf_artifact *a, const pvf_exec_request *req, pvf_exec_instance **ret, pvf_error *err)
{
	pvf_hostapi_opts ho = { 0 };
	pvf_instance_opts io = { 0 };
	pvf_exec_instance *ei;

	*ret = NULL;
	if (!a || !req)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_exec_instance_new: NULL argument");
	ei = calloc(1, sizeof(*ei));
	if (!ei)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	ei->a = a;
	ho.max_pages = req->max_pages ? req->max_pages : pvf_artifact_get_info(a)->max_memory_pages;
	ho.max_log_level = req->max_log_level;
	ho.max_log_level_set = req->max_log_level_set;
	ho.log_sink = req->log_sink;
	ho.log_user = req->log_user;
	io.max_memory_pages = req->max_pages;
	pvf_error_clear(&ei->err);
	if (pvf_hostapi_ctx_new(&ho, &ei->ctx, &ei->err) < 0 || pvf_hostapi_bind(a, ei->ctx, &ei->b, &ei->err) < 0 ||
	    pvf_instance_new(a, ei->b, pvf_artifact_nimports(a), &io, &ei->inst, &ei->trap, &ei->err) < 0 ||
	    pvf_hostapi_ctx_attach(ei->ctx, ei->inst, &ei->err) < 0) {
		/* Out of memory or no thread: the caller's problem now. A trap
		 * while instantiating is the code's: every run reports it. */
		if (ei->err.code != PVF_E_INSTANTIATE && ei->err.code != PVF_E_TRAP &&
		    ei->err.code != PVF_E_LINK) {
			if (err)
				*err = ei->err;
			pvf_exec_instance_free(ei);
			return -1;
		}
		ei->failed = true;
	}
	*ret = ei;
	return 0;
}

int pvf_exec_instance_run(pvf_exec_instance *ei, const pvf_exec_request *req, pvf_exec_result *res, pvf_error *err)
{
	const char *export = req && req->export_name ? req->export_name : PVF_EXEC_DEFAULT_EXPORT;
	const pvf_extern_desc *d;
	uint64_t args[2], out = 0;
	uint32_t in_ptr = 0, out_ptr, out_len;
	int32_t idx;
	bool input_entry;
	double t0;
	int r = -1;

	if (!res)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_exec_call: NULL result");
	memset(res, 0, sizeof(*res));
	if (!ei || !req)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_exec_call: NULL argument");
	if (req->input_len > PVF_ALLOC_MAX_SIZE || (req->input_len && !req->input))
		return pvf_error_set(err, PVF_E_USAGE, "input of %zu bytes cannot be passed (limit %u)",
				     req->input_len, PVF_ALLOC_MAX_SIZE);
	idx = pvf_artifact_find_export(ei->a, export, (uint32_t)strlen(export));
	d = idx >= 0 ? pvf_artifact_export(ei->a, (uint32_t)idx) : NULL;
	/* The legacy entry point (ptr: i32, len: i32) -> i64 gets its input in
	 * memory from the host allocator; the RFC-0145 one (len: i32) -> i64
	 * reads it with ext_input_read. Told apart by the parameter count, as
	 * Substrate's executor does. */
	if (!d || d->kind != PVF_EXTERN_FUNC || (strcmp(d->params, "ii") != 0 && strcmp(d->params, "i") != 0) ||
	    strcmp(d->results, "I") != 0)
		return pvf_error_set(err, PVF_E_USAGE,
				     "no exported function \"%s\" of type (i32, i32) -> i64 or (i32) -> i64", export);
	input_entry = strcmp(d->params, "i") == 0;
	if (ei->failed) {
		res->trap = ei->trap;
		if (err)
			*err = ei->err;
		goto out;
	}
	/* Decided here, not at instantiation: an execute job instantiates
	 * before its request (and export) arrives. A runtime call (not
	 * validate_block) gets an empty storage state. */
	if (pvf_hostapi_ctx_set_runtime_state(ei->ctx, is_runtime_call(req->export_name), err) < 0)
		goto out;
	if (input_entry) {
		if (pvf_hostapi_ctx_set_input_entry(ei->ctx, req->input, req->input_len, err) < 0)
			goto out;
		args[0] = (uint32_t)req->input_len;
	} else {
		if (pvf_hostapi_malloc(ei->ctx, (uint32_t)req->input_len, &in_ptr, err) < 0) {
			if (err && err->code == PVF_E_TRAP) {
				res->trap.kind = PVF_TRAP_HOST_ERROR;
				snprintf(res->trap.msg, sizeof(res->trap.msg), "allocating the input: %.400s",
					 err->msg);
				trap_error(res, ei->ctx, err);
			}
			goto out;
		}
		if (req->input_len && pvf_instance_write(ei->inst, in_ptr, req->input, req->input_len, err) < 0)
			goto out;
		args[0] = in_ptr;
		args[1] = (uint32_t)req->input_len;
	}
	t0 = pvf_clock_s();
	if (pvf_instance_call_index(ei->inst, (uint32_t)idx, args, input_entry ? 1 : 2, &out, 1, &res->trap,
				    err) < 0) {
		res->call_s = pvf_clock_s() - t0;
		if (err && err->code == PVF_E_TRAP)
			trap_error(res, ei->ctx, err);
		goto out;
	}
	res->call_s = pvf_clock_s() - t0;
	out_ptr = (uint32_t)out;
	out_len = (uint32_t)(out >> 32);
	if ((uint64_t)out_ptr + out_len > pvf_instance_memory_size(ei->inst)) {
		pvf_error_set(err, PVF_E_BAD_RESULT,
			      "%s returned the range [%u, +%u), outside the memory of %llu bytes", export, out_ptr,
			      out_len, (unsigned long long)pvf_instance_memory_size(ei->inst));
		goto out;
	}
	res->output = malloc(out_len ? out_len : 1);
	if (!res->output) {
		pvf_error_set(err, PVF_E_NOMEM, "out of memory");
		goto out;
	}
	if (pvf_instance_read(ei->inst, out_ptr, res->output, out_len, err) < 0)
		goto out;
	res->output_len = out_len;
	if (req->check_validation_result || !req->export_name) {
		/* As Polkadot's execute worker: the ValidationResult at the start
		 * of the output; bytes after it are ignored, and the answer is
		 * the result itself. */
		pvf_validation_result vr = { 0 };
		size_t used = 0;
		if (pvf_validation_result_decode_prefix(res->output, res->output_len, &vr, &used, err) < 0) {
			if (err && err->code != PVF_E_NOMEM)
				err->code = PVF_E_BAD_RESULT, err->cls = pvf_error_code_class(PVF_E_BAD_RESULT);
			goto out;
		}
		pvf_validation_result_free(&vr);
		res->output_len = used;
	}
	r = 0;
out:
	if (ei->ctx)
		res->alloc = pvf_hostapi_alloc_stats(ei->ctx);
	if (r < 0)
		pvf_exec_result_free(res);
	return r;
}

int pvf_exec_call(pvf_artifact *a, const pvf_exec_request *req, pvf_exec_result *res, pvf_error *err)
{
	pvf_exec_instance *ei;
	int r;

	if (!res)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_exec_call: NULL result");
	memset(res, 0, sizeof(*res));
	if (!a || !req)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_exec_call: NULL argument");
	if (pvf_exec_instance_new(a, req, &ei, err) < 0)
		return -1;
	r = pvf_exec_instance_run(ei, req, res, err);
	pvf_exec_instance_free(ei);
	return r;
}

int pvf_job_execute(const char *artifact_path, const pvf_exec_request *req, pvf_exec_result *res,
		    pvf_error *err)
{
	pvf_artifact *a = NULL;
	int r;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!artifact_path || !req || !res)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_job_execute: NULL argument");
	if (pvf_artifact_open(artifact_path, req->expect, &a, err) < 0)
		return -1;
	r = pvf_exec_call(a, req, res, err);
	pvf_artifact_close(a);
	return r;
}
