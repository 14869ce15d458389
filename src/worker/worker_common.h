/*
 * worker_common.h — what the two worker programs (pvfhost-prepare-worker,
 * pvfhost-execute-worker) share: their start-up contract with the host, the
 * handshake, descriptor hygiene, logging, and running one job process and
 * classifying how it ended.
 *
 * Start-up contract (the host side is src/host/worker_client.c):
 *
 *   argv      { program, worker-dir }   (worker-dir: absolute, created by the host)
 *   env       empty
 *   fd 0, 1   /dev/null
 *   fd 2      the log pipe (the worker makes it non-blocking: a host that does
 *             not drain it loses log lines, never blocks a worker)
 *   fd 3      the UNIX stream socket to the host
 *   nothing else open; PR_SET_PDEATHSIG(SIGKILL) already set by the host's
 *   child before execve, and set again here.
 *
 * Lifecycle of a worker (single-threaded throughout; a job is a child):
 *
 *   start --pvf__worker_start()--> HELLO read, versions equal
 *         --(sandbox applied, security checked)--> ready
 *         --pvf__worker_ack(ok=1)--> serving (requests, one job each)
 *   any refusal: pvf__worker_ack(ok=0, msg) or an ERROR frame, then exit 1.
 */
#ifndef PVF_WORKER_WORKER_COMMON_H
#define PVF_WORKER_WORKER_COMMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "common/error.h"
#include "worker/protocol.h"
#include "worker/sandbox.h"

/* Descriptors of the start-up contract. */
#define PVF_WORKER_FD_LOG 2
#define PVF_WORKER_FD_SOCKET 3

/* How long a worker waits for HELLO after it started. */
#define PVF_WORKER_HELLO_TIMEOUT_MS 10000

/* HELLO.security_required bits. Bits 0..PVF_SBF__COUNT-1 name sandbox
 * features (pvf_sandbox_feature_id) that must be applied or the worker
 * refuses to start; 0 means "apply what the machine allows, refuse
 * nothing". HELLO_ACK.security_applied uses the same bits. */
#define PVF_SECURITY_BIT(id) (1u << (id))
#define PVF_SECURITY_FEATURES ((1u << PVF_SBF__COUNT) - 1u)
/* Secure mode of pvf_sandbox_apply_worker (seccomp + landlock|pivot_root). */
#define PVF_SECURITY_SECURE_MODE (1u << 29)
/* Require the execute job's seccomp allow list (a sandboxed execute job
 * always tries to install it before calling the artifact; with this bit, or
 * in secure mode, a failure fails the job instead of being skipped). */
#define PVF_SECURITY_EXECUTE_ALLOWLIST (1u << 30)
/* Apply no sandbox at all (debugging; tests on machines without one). */
#define PVF_SECURITY_NO_SANDBOX (1u << 31)

/* Exit statuses of a job process (the result itself travels over a pipe). */
#define PVF__JOB_EXIT_OK 0
#define PVF__JOB_EXIT_TIMEOUT 124  /* the CPU-time monitor fired */
#define PVF__JOB_EXIT_OOM 125      /* allocation failed before a result could be sent */
#define PVF__JOB_EXIT_SETUP 126    /* the job could not set itself up */

typedef struct pvf__worker {
	pvf_worker_kind kind;
	int sock;
	char dir[PATH_MAX];            /* worker dir as the host names it */
	char root[PATH_MAX];           /* the same dir as this process sees it now */
	bool sandboxed;
	pvf_sandbox_opts sb;
	pvf_sandbox_report report;
	pvf_msg_hello hello;
	uint32_t security_applied;
	pid_t pid;                     /* getpid() of the worker */
} pvf__worker;

/* Logging to the log pipe (fd 2): "pvfhost-<kind>-worker[pid]: message". */
void pvf__worker_log(const pvf__worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Steps 1-3 of the lifecycle: descriptor checks, PR_SET_PDEATHSIG, reading
 * and checking HELLO (a version mismatch is answered with HELLO_ACK ok=0
 * naming both versions, and -1 is returned), then the sandbox and the
 * security check (a refusal is answered the same way). On 0 the caller
 * finishes its own start-up (the execute worker loads its artifact) and
 * calls pvf__worker_ack(w, true, ""). */
int pvf__worker_start(pvf__worker *w, pvf_worker_kind kind, int argc, char **argv, pvf_error *err);
int pvf__worker_ack(pvf__worker *w, bool ok, const char *msg, pvf_error *err);
/* Sends an ERROR frame (the worker cannot go on). */
int pvf__worker_send_error(pvf__worker *w, const pvf_error *e);

/* Maps a host path naming a file directly inside the worker dir
 * ("<dir>/<name>", name without '/', not "." or "..") to the path this
 * process must use now ("<root>/<name>"). */
int pvf__worker_map_path(const pvf__worker *w, const char *host_path, char *out, size_t cap,
			 pvf_error *err);

/* Forks a job process: sandboxed (per-job namespaces, job seccomp) unless
 * the worker runs without a sandbox; PR_SET_PDEATHSIG(SIGKILL) always.
 * Returns the pid in the worker, 0 in the job, -1 on failure. In the job,
 * every descriptor but 0-2 and the keep[] ones is closed. ret_pidfd (may
 * be NULL): the job's pidfd in the worker, or -1 (pvf_sandbox_fork_job). */
pid_t pvf__worker_fork_job(pvf__worker *w, const int *keep, size_t nkeep, int *ret_pidfd, pvf_error *err);

/* Reads everything the job writes to `fd` until EOF (at most `max` bytes;
 * more is a protocol violation reported as *ret_overflow), then reaps the
 * job with wait4. *ret is malloc'd (NULL when nothing was written). */
int pvf__worker_collect_job(pid_t pid, int fd, size_t max, uint8_t **ret, size_t *ret_len,
			    bool *ret_overflow, int *ret_status, struct rusage *ret_ru, pvf_error *err);

/* How a job that gave no usable result ended, as an error:
 *   CPU over its limit (monitor exit, SIGXCPU, or SIGKILL with the CPU
 *   spent)                -> PVF_E_TIMEOUT, class `timeout_cls`
 *   exit PVF__JOB_EXIT_OOM -> PVF_E_NOMEM, deterministic (prepare only)
 *   killed by a signal     -> PVF_E_IO, possibly-invalid, "job process was
 *                            killed by signal N (SIGNAME)"
 *   anything else          -> PVF_E_IO, possibly-invalid
 * Returns the pvf_error_code chosen. */
int pvf__worker_classify_job(int status, const struct rusage *ru, uint64_t cpu_limit_ms,
			     pvf_error_class timeout_cls, bool oom_possible, pvf_error *err);


/* Whole-buffer I/O with EINTR handling. */
int pvf__write_all(int fd, const void *buf, size_t len);
int pvf__read_all(int fd, void *buf, size_t len); /* 0, or -1 (errno; EPIPE on early EOF) */

#endif
