/*
 * job_limits.h — resource limits a job process applies to itself, first
 * thing after it was forked and before it touches its input:
 *
 *   CPU time   a POSIX CPU-time timer on the whole process
 *              (CLOCK_PROCESS_CPUTIME_ID, every thread counted) whose signal
 *              handler ends the job with PVF__JOB_EXIT_TIMEOUT: the monitor;
 *              and RLIMIT_CPU (soft: limit rounded up + 1 s -> SIGXCPU, hard
 *              + 1 s more -> SIGKILL) as the kernel's backstop should the
 *              timer or its handler not fire. Children (the compiler of a
 *              prepare job) inherit RLIMIT_CPU, not the timer.
 *   memory     RLIMIT_DATA (prepare jobs): brk and private writable mappings.
 *              Not RLIMIT_AS, which would count the wasm runtime's guard-page
 *              reservations. Children inherit it.
 *
 * The parent (the worker) turns what it sees into an error with
 * pvf__worker_classify_job (worker_common.h). The host adds the wall-clock
 * bound: 4 x the CPU limit.
 */
#ifndef PVF_WORKER_JOB_LIMITS_H
#define PVF_WORKER_JOB_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* Bounds on what a request may ask for (input-driven limits). */
#define PVF_JOB_MAX_CPU_MS (24ull * 3600 * 1000)  /* a day: anything longer is a mistake */
#define PVF_JOB_MIN_DATA_BYTES (1ull << 20)      /* below this not even libc starts */

/* Memory limit of a prepare job when the request gives none: inside the
 * range Polkadot allows for PrecheckingMaxMemory (256 MiB - 16 GiB, see
 * docs of the executor parameters); Polkadot's own default not verified. */
#define PVF_JOB_DEFAULT_PREPARE_MEMORY (512ull << 20)

typedef struct pvf_job_limits {
	uint64_t cpu_ms;      /* 0: no CPU limit */
	uint64_t data_bytes;  /* 0: no memory limit */
} pvf_job_limits;

/* Sets up the CPU monitor without arming it (its signal handler and timer),
 * so that a job can do this before its request arrives; once per process.
 * pvf__job_limits_apply does it when it has not been done. */
int pvf__job_limits_prepare(pvf_error *err);
/* Applies the limits to the calling (job) process: arms the CPU monitor
 * (the CPU time from now on) and sets RLIMIT_CPU and RLIMIT_DATA. */
int pvf__job_limits_apply(const pvf_job_limits *l, pvf_error *err);

/* Stops the CPU monitor (the job is done and about to report). */
void pvf__job_limits_disarm(void);

/* True when the memory limit cannot be applied in this build (under
 * AddressSanitizer, whose shadow mappings alone exceed any RLIMIT_DATA). */
bool pvf__job_limits_data_unsupported(void);

/* Whether an error message from the engine says a tool or the job ran out of
 * memory (gcc/clang/wasm2c wordings, ENOMEM). */
bool pvf__job_error_is_oom(const pvf_error *e);

#endif
