/*
 * job_execute.h — the execute job, in process: run one export of a prepared
 * artifact with the Substrate calling convention and the host API.
 *
 *   open artifact -> bind imports (hostapi/functions.h) -> instantiate ->
 *   attach (allocator from __heap_base) -> allocate len(input) bytes with
 *   the host allocator, copy the input in -> call EXPORT(ptr: i32, len: i32)
 *   -> i64 -> output at ptr = low 32 bits, len = high 32 bits, bounds-checked
 *   -> copied out -> everything freed.
 *
 * The input buffer is never freed by the host: Cumulus frees it itself.
 *
 * An export of type (len: i32) -> i64 is an RFC-0145 entry point: it is
 * called with the input's length, reads the input itself with
 * ext_input_read_version_1, and has no host-side allocator; the output is
 * read the same way.
 *
 * Errors (pvf_error codes):
 *   PVF_E_TRAP        the code trapped; res->trap holds the kind and message,
 *                     with the runtime's last error-level log line (its
 *                     panic message) appended as "; runtime error log: ..."
 *   PVF_E_BAD_RESULT  the output range is outside memory, or (validate_block)
 *                     the output does not start with a decodable
 *                     ValidationResult (bytes after one are ignored and cut
 *                     from res->output, as Polkadot's execute worker
 *                     decodes with ValidationResult::decode)
 *   PVF_E_LINK, PVF_E_INSTANTIATE, PVF_E_RUNTIME_CONSTRUCTION, PVF_E_ARTIFACT_*,
 *   PVF_E_USAGE (no such export / wrong type), PVF_E_NOMEM, PVF_E_IO
 */
#ifndef PVF_WORKER_JOB_EXECUTE_H
#define PVF_WORKER_JOB_EXECUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/engine.h"
#include "hostapi/allocator.h"
#include "hostapi/functions.h"

#define PVF_EXEC_DEFAULT_EXPORT "validate_block"

typedef struct pvf_exec_request {
	const uint8_t *input;          /* may be NULL when input_len is 0 */
	size_t input_len;              /* at most PVF_ALLOC_MAX_SIZE (the allocator's limit) */
	const char *export_name;       /* NULL: "validate_block". validate_block
					* (named or NULL) is validation: the
					* storage functions trap, as under
					* Polkadot's PVF executor. Any other
					* export is a runtime call against an
					* empty storage state, discarded after
					* the call (hostapi/functions.h). */
	bool check_validation_result;  /* decode the output as ValidationResult
					* (always done when export_name is NULL) */
	uint32_t max_pages;            /* heap maximum; 0: the artifact's / default */
	uint32_t max_log_level;        /* PVF_LOG_FILTER_*, when max_log_level_set */
	bool max_log_level_set;
	pvf_log_sink log_sink;         /* may be NULL */
	void *log_user;
	const pvf_artifact_expect *expect; /* passed to pvf_artifact_open; may be NULL */
} pvf_exec_request;

typedef struct pvf_exec_result {
	uint8_t *output;               /* malloc'd (never NULL on success); free with pvf_exec_result_free */
	size_t output_len;
	pvf_trap trap;                 /* filled when the error is PVF_E_TRAP */
	pvf_alloc_stats alloc;         /* allocator statistics at the end */
	double call_s;                 /* wall time of the call itself */
} pvf_exec_result;

void pvf_exec_result_free(pvf_exec_result *res);

/* Opens the artifact at `artifact_path` and runs the request. `res` is
 * always initialised (output NULL on failure). */
int pvf_job_execute(const char *artifact_path, const pvf_exec_request *req, pvf_exec_result *res,
		    pvf_error *err);

/* The same on an already open artifact (which stays open): a fresh host
 * context and instance per call, so calls are independent. This is the
 * generic "call any export with the Substrate calling convention". */
int pvf_exec_call(pvf_artifact *a, const pvf_exec_request *req, pvf_exec_result *res, pvf_error *err);

/* The same in two steps, so that a job can instantiate before its request
 * arrives: pvf_exec_instance_new uses only the request's max_pages, log
 * settings and export name (a trap while instantiating is kept and
 * reported by every run); pvf_exec_instance_run passes the input and calls
 * the export — at most once per instance — after giving the host context a
 * storage state or taking it away to match the export it calls. */
typedef struct pvf_exec_instance pvf_exec_instance;
int pvf_exec_instance_new(pvf_artifact *a, const pvf_exec_request *req, pvf_exec_instance **ret, pvf_error *err);
int pvf_exec_instance_run(pvf_exec_instance *ei, const pvf_exec_request *req, pvf_exec_result *res, pvf_error *err);
void pvf_exec_instance_free(pvf_exec_instance *ei);

#endif
