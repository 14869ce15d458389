/*
 * pvfhost.h — the public C API of the PVF validation host.
 *
 * A host owns an artifact cache on disk, a prepare queue and pool of
 * sandboxed prepare workers, and an execute queue and pool of sandboxed
 * execute workers. It pre-checks validation code, prepares it ahead of
 * time (heads-up), and validates candidates (asynchronously with a
 * completion callback, or blocking).
 *
 * Threads: every function may be called from any thread, concurrently,
 * except pvfhost_free(), which must be the last call on a host and must not
 * be called from a completion callback. Callbacks run on the host's own
 * threads; they must not block for long and must not call pvfhost_free().
 *
 * Ownership: every input buffer is copied before the call returns; the
 * caller keeps its own. Buffers the host hands out are either valid only
 * during a callback (said so at the type) or malloc'd and owned by the
 * caller, to be released with free() (said so at the function).
 *
 * Errors: functions return 0 on success and -1 on failure with `err`
 * filled in (when not NULL). An error has a code (stable name from
 * pvfhost_error_code_name()), a class and a message a user can act on;
 * docs/errors.md lists them all.
 */
#ifndef PVFHOST_H
#define PVFHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PVFHOST_API_VERSION 1

/* ---- errors ---------------------------------------------------------- */

typedef enum pvfhost_error_class {
	PVFHOST_CLASS_NONE = 0,
	/* The verdict is "invalid": the code or the candidate is bad, and
	 * every validator reaches the same answer. */
	PVFHOST_CLASS_DETERMINISTIC = 1,
	/* Something went wrong that may be the candidate's fault or the
	 * machine's (a worker died, an artifact was corrupt): retried as
	 * Polkadot does, then treated as invalid by approval voters. */
	PVFHOST_CLASS_POSSIBLY_INVALID = 2,
	/* The host could not do its job (I/O, spawn, cancelled, deadline):
	 * no verdict; a validator abstains. */
	PVFHOST_CLASS_INTERNAL = 3,
} pvfhost_error_class;

#define PVFHOST_ERROR_MSG_MAX 512

typedef struct pvfhost_error {
	int code;                        /* see pvfhost_error_code_name() */
	pvfhost_error_class cls;
	char msg[PVFHOST_ERROR_MSG_MAX];
} pvfhost_error;

/* Stable identifier of an error code, e.g. "trap", "rule-feature". */
const char *pvfhost_error_code_name(int code);
const char *pvfhost_error_class_name(pvfhost_error_class cls);

/* ---- executor parameters -------------------------------------------- */

/* Polkadot's executor parameters. Only MaxMemoryPages, StackLogicalMax and
 * WasmExtBulkMemory change the artifact; the others apply at run time. */
typedef struct pvfhost_executor_params {
	uint32_t max_memory_pages;       /* heap maximum in pages; default 2,080 (32 + 2,048) */
	uint32_t stack_logical_max;      /* StackLogicalMax; default 65,536 (Polkadot's logical stack limit) */
	uint32_t stack_native_max;       /* StackNativeMax in bytes; default 256 MiB */
	uint64_t prechecking_max_memory; /* PrecheckingMaxMemory in bytes; default 2 GiB */
	uint64_t prep_timeout_precheck_ms; /* PvfPrepTimeout(Precheck); default 60,000 */
	uint64_t prep_timeout_lenient_ms;  /* PvfPrepTimeout(Prepare); default 360,000 */
	uint64_t exec_timeout_backing_ms;  /* PvfExecTimeout(Backing); default 2,000 */
	uint64_t exec_timeout_approval_ms; /* PvfExecTimeout(Approval); default 12,000 */
	bool bulk_memory;                /* WasmExtBulkMemory; default false */
} pvfhost_executor_params;

void pvfhost_executor_params_default(pvfhost_executor_params *p);
/* Polkadot's consistency checks (ranges, precheck < lenient, backing <
 * approval). */
int pvfhost_executor_params_check(const pvfhost_executor_params *p, pvfhost_error *err);
/* Decodes a SCALE `ExecutorParams` (a Vec<ExecutorParam>) on top of the
 * defaults and checks it (duplicates are an error). */
int pvfhost_executor_params_decode(const uint8_t *scale, size_t len, pvfhost_executor_params *p,
				   pvfhost_error *err);

/* ---- the host -------------------------------------------------------- */

typedef struct pvfhost pvfhost;

typedef struct pvfhost_config {
	const char *cache_dir;           /* NULL: $XDG_CACHE_HOME/pvfhost or ~/.cache/pvfhost */
	const char *prepare_worker;      /* NULL: pvfhost-prepare-worker found as described in docs/host.md */
	const char *execute_worker;      /* NULL: pvfhost-execute-worker, likewise */
	uint32_t prepare_workers_soft;   /* default 1: normal and background jobs use at most this many */
	uint32_t prepare_workers_hard;   /* default 2: critical jobs may use up to this many */
	uint32_t execute_workers;        /* default 2 */
	uint64_t cache_size_cap;         /* bytes; default 10 GiB */
	uint64_t cache_stale_s;          /* never prune an artifact used this recently; default 24 h */
	uint32_t prepare_retries;        /* non-deterministic prepare failures retried; default 5 */
	uint64_t prepare_retry_cooldown_ms; /* default 15 min */
	uint64_t execute_retry_delay_ms; /* approval/dispute retry delay; default 3,000 */
	bool secure;                     /* refuse to run workers without seccomp + landlock or pivot_root */
	bool no_sandbox;                 /* debugging only: run workers without any sandbox */
	const char *cc;                  /* C compiler for preparation; NULL: default (gcc) */
	const char *opt_level;           /* e.g. "-O1"; NULL: default (-Og) */
	/* The pre-check tier: pre-checks compile with this faster toolchain to
	 * decide within PvfPrepTimeout(Precheck); the optimised artifact is then
	 * prepared in the background. NULL/NULL: "tcc" (or "clang" when tcc
	 * is not installed) "-O0"; set
	 * precheck_same_toolchain to pre-check with cc/opt_level instead. */
	const char *precheck_cc;
	const char *precheck_opt_level;
	bool precheck_same_toolchain;
	/* Validations whose optimised artifact is not ready yet run on the
	 * pre-check tier's artifact when there is one; a time-out there is not
	 * a verdict (the validation runs again on the optimised artifact).
	 * true: always wait for the optimised artifact. */
	bool no_fast_execution;
	/* A validation of code that was never pre-checked here (and has no
	 * artifact) also gets the pre-check tier's artifact, prepared ahead of
	 * the optimised one, and runs on it as above; a failure of that
	 * preparation decides nothing. true: such validations wait for the
	 * optimised artifact. */
	bool no_fast_unchecked;
	uint32_t compile_jobs;           /* parallel compiler processes per preparation; 0: all CPUs */
	int log_fd;                      /* structured log lines go here; -1: nowhere; default 2 */
	int log_level;                   /* 0 error, 1 warn, 2 info, 3 debug; default 1 */
} pvfhost_config;

void pvfhost_config_default(pvfhost_config *c);

/* Creates a host: opens (and indexes) the cache, probes the workers. No
 * worker runs until there is work. */
int pvfhost_new(const pvfhost_config *c, pvfhost **ret, pvfhost_error *err);

/* Cancels every queued job (its callback runs with error "cancelled"),
 * waits for running ones to be killed, kills every worker, removes partial
 * files, then frees the host. */
void pvfhost_free(pvfhost *h);

/* ---- pre-check and heads-up ----------------------------------------- */

typedef enum pvfhost_precheck_verdict {
	PVFHOST_PRECHECK_VALID = 0,
	PVFHOST_PRECHECK_INVALID = 1,    /* deterministic rejection; err says why */
	PVFHOST_PRECHECK_FAILED = 2,     /* could not decide (e.g. worker died); err says why */
} pvfhost_precheck_verdict;

/* Pre-checks code (raw wasm, a Substrate maybe-compressed blob, or 0x-hex)
 * under `params` (NULL: defaults): decode, validate, PVF rules, prepare
 * within the pre-check time and memory limits. The artifact is kept.
 * Blocks. Returns the verdict; `err` explains INVALID and FAILED. */
pvfhost_precheck_verdict pvfhost_precheck(pvfhost *h, const uint8_t *code, size_t code_len,
					  const pvfhost_executor_params *params, pvfhost_error *err);

/* Heads-up: prepare in the background (lowest priority) so a later
 * validation finds the artifact ready. Returns at once. */
int pvfhost_heads_up(pvfhost *h, const uint8_t *code, size_t code_len,
		     const pvfhost_executor_params *params, pvfhost_error *err);

/* ---- validation ------------------------------------------------------ */

typedef enum pvfhost_priority {
	PVFHOST_PRIO_BACKING = 0,
	PVFHOST_PRIO_BACKING_SYSTEM = 1, /* backing of a system parachain */
	PVFHOST_PRIO_APPROVAL = 2,
	PVFHOST_PRIO_DISPUTE = 3,
} pvfhost_priority;

typedef struct pvfhost_validate_req {
	const uint8_t *code;             /* validation code, any blob form; copied */
	size_t code_len;
	const uint8_t *params;           /* SCALE ValidationParams (or the export's input); copied */
	size_t params_len;
	const pvfhost_executor_params *exec_params; /* NULL: defaults */
	pvfhost_priority priority;
	/* Dropped with error "deadline" if not started within this many ms of
	 * submission; 0: no deadline. */
	uint64_t deadline_ms;
	const char *export_name;         /* NULL: "validate_block" */
} pvfhost_validate_req;

typedef struct pvfhost_result {
	int status;                      /* 0: the code returned `output`; -1: see err */
	pvfhost_error err;
	const uint8_t *output;           /* valid only during the callback */
	size_t output_len;
	uint64_t job_id;
	uint32_t attempts;               /* executions tried (retries included) */
	bool prepared;                   /* this request waited for a preparation */
	bool fast_tier;                  /* the answer came from the pre-check tier's artifact */
	uint64_t queue_us;               /* submission -> execution start (preparation included) */
	uint64_t execute_us;             /* the last attempt, as the host saw it */
	uint64_t cpu_us;                 /* the last attempt's job CPU time */
} pvfhost_result;

typedef void (*pvfhost_done_fn)(void *ctx, const pvfhost_result *r);

/* Queues a validation; `done` runs exactly once, on a host thread, unless
 * this call fails. `*job_id` (may be NULL) identifies it for cancelling. */
int pvfhost_validate_async(pvfhost *h, const pvfhost_validate_req *req, pvfhost_done_fn done, void *ctx,
			   uint64_t *job_id, pvfhost_error *err);

/* Cancels a queued or running validation: its callback runs with error
 * "cancelled" (a running job's process is killed). Returns 0 if the job
 * was found, -1 if it had already completed. */
int pvfhost_cancel(pvfhost *h, uint64_t job_id);

/* Blocking convenience. On success *output (malloc'd, the caller frees it)
 * holds the code's output. `info` (may be NULL) receives the result
 * details; its `output` pointer is NULL. */
int pvfhost_validate(pvfhost *h, const pvfhost_validate_req *req, uint8_t **output, size_t *output_len,
		     pvfhost_result *info, pvfhost_error *err);

/* ---- cache ----------------------------------------------------------- */

typedef struct pvfhost_cache_entry {
	char code_hash[65];              /* hex */
	char params_hash[65];            /* hex */
	char path[4096];
	uint64_t size;
	int64_t last_used;               /* unix seconds */
	bool valid;                      /* after pvfhost_cache_verify: checksums match */
} pvfhost_cache_entry;

/* Lists the artifacts; *entries is malloc'd (the caller frees it). */
int pvfhost_cache_list(pvfhost *h, pvfhost_cache_entry **entries, size_t *count, pvfhost_error *err);
/* Verifies every artifact's checksums, removing the bad ones; fills the
 * list like pvfhost_cache_list (bad ones with valid = false). */
int pvfhost_cache_verify(pvfhost *h, pvfhost_cache_entry **entries, size_t *count, pvfhost_error *err);
/* Prunes least recently used artifacts over the size cap, never one used
 * within the stale time; returns how many were removed and their bytes. */
int pvfhost_cache_prune(pvfhost *h, size_t *removed, uint64_t *removed_bytes, pvfhost_error *err);

/* ---- observability --------------------------------------------------- */

typedef struct pvfhost_metrics {
	uint64_t prepare_queued, execute_queued;
	uint64_t prepare_running, execute_running;
	uint64_t prepare_workers, execute_workers;
	uint64_t preparations, executions;     /* completed */
	uint64_t worker_spawns, worker_deaths;
	uint64_t cache_hits, cache_misses, cache_evictions;
	uint64_t cache_bytes, cache_artifacts;
	uint64_t verdict_valid, verdict_invalid, verdict_possibly_invalid, verdict_internal;
} pvfhost_metrics;

void pvfhost_metrics_snapshot(pvfhost *h, pvfhost_metrics *m);
/* The Prometheus text exposition of every metric; *text is malloc'd. */
int pvfhost_metrics_text(pvfhost *h, char **text, size_t *len, pvfhost_error *err);

#ifdef __cplusplus
}
#endif

#endif
