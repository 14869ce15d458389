/*
 * worker_client.h — the host side of a worker process: spawn it, shake
 * hands, send one request at a time, wait for the answer under the
 * wall-clock limit, and say what went wrong when something did.
 *
 *   pvf_worker_spawn     socketpair + log pipe, fork; the child sets
 *                        PR_SET_PDEATHSIG(SIGKILL), its own process group,
 *                        fds 0/1 /dev/null, 2 log pipe, 3 socket, nothing
 *                        else, then execve(program, {program, dir}, {}) ->
 *                        HELLO -> HELLO_ACK (versions, security) or ERROR
 *   pvf_worker_prepare   PREPARE (output: a file the host created in the
 *                        worker dir) -> PREPARE_DONE -> verify the artifact
 *                        (header, checksum, code and params hash) -> rename
 *                        to the caller's path
 *   pvf_worker_execute   EXECUTE -> EXECUTE_DONE
 *   pvf_worker_kill      SIGKILL to the worker's process group, reap
 *   pvf_worker_free      kill if alive, close, free
 *
 * Wall clock: a request's reply must arrive within
 * PVF_WORKER_WALL_FACTOR x its CPU-time limit (Polkadot's
 * JOB_TIMEOUT_WALL_CLOCK_FACTOR); otherwise the worker and its jobs are
 * killed and the request fails with PVF_E_TIMEOUT.
 *
 * A worker that died, timed out or answered nonsense is dead for good
 * (pvf_worker_alive() false): spawn another. Errors carry the codes and
 * classes of docs/errors.md ("Worker errors"); `outcome` says which of the
 * failure kinds below happened.
 */
#ifndef PVF_HOST_WORKER_CLIENT_H
#define PVF_HOST_WORKER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "worker/protocol.h"

/* Polkadot's JOB_TIMEOUT_WALL_CLOCK_FACTOR. */
#define PVF_WORKER_WALL_FACTOR 4u
/* Polkadot's worker spawn timeout (HELLO -> HELLO_ACK, artifact load included). */
#define PVF_WORKER_SPAWN_TIMEOUT_MS 3000u
/* Wall-clock limit when a request has no CPU limit (timeout_ms 0). */
#define PVF_WORKER_DEFAULT_WALL_MS (60u * 60u * 1000u)

typedef enum pvf_worker_outcome {
	PVF_WORKER_OK = 0,
	PVF_WORKER_JOB_ERROR,      /* the job ran and reported an error (err says which) */
	PVF_WORKER_TIMEOUT,        /* CPU limit in the job, or the host's wall clock */
	PVF_WORKER_OUT_OF_MEMORY,  /* preparation over its memory limit */
	PVF_WORKER_JOB_DIED,       /* the job process died (signal, no result) */
	PVF_WORKER_DIED,           /* the worker process died or closed its socket */
	PVF_WORKER_REFUSED,        /* handshake refused (version, security, artifact) */
	PVF_WORKER_PROTOCOL,       /* the worker sent something malformed */
	PVF_WORKER_INTERNAL,       /* host-side failure: spawn, pipe, I/O, bad argument */
} pvf_worker_outcome;

const char *pvf_worker_outcome_name(pvf_worker_outcome o);

typedef struct pvf_worker pvf_worker;

typedef struct pvf_worker_opts {
	pvf_worker_kind kind;
	const char *program;         /* path of the worker binary */
	const char *dir;             /* worker directory: absolute, exists, private to this worker */
	const char *artifact;        /* execute: the artifact, a file directly in `dir` */
	uint32_t max_memory_pages;   /* execute: heap maximum (0: the artifact's) */
	uint32_t security_required;  /* PVF_SECURITY_* bits (worker/worker_common.h); 0: best effort */
	int log_fd;                  /* worker log lines are copied here; -1: discarded */
	uint32_t spawn_timeout_ms;   /* 0: PVF_WORKER_SPAWN_TIMEOUT_MS */
	/* Tests only: what the host claims to be (NULL/0: this build's). */
	const char *version;
	uint32_t protocol_version;
} pvf_worker_opts;

typedef struct pvf_worker_reply {
	pvf_worker_outcome outcome;
	uint8_t trap_kind;           /* pvf_trap_kind when the error is PVF_E_TRAP */
	pvf_msg_stats stats;         /* measured by the worker (kernel accounting of the job) */
	uint64_t host_wall_us;       /* request sent -> reply read, measured by the host */
	bool not_sent;               /* the worker was dead before the request reached it:
				      * nothing ran (outcome PVF_WORKER_DIED) */
	uint8_t *output;             /* execute: malloc'd output (NULL on failure) */
	size_t output_len;
	uint64_t artifact_bytes;     /* prepare */
	uint32_t max_frame_bytes;
	uint64_t native_stack_bytes;
} pvf_worker_reply;

void pvf_worker_reply_free(pvf_worker_reply *r);

/* Spawns and shakes hands. Errors: refused (PVF_E_USAGE for a version or
 * kind mismatch, naming both versions; the worker's code for a sandbox or
 * artifact failure, e.g. PVF_E_ARTIFACT_CORRUPT), PVF_E_TIMEOUT-free
 * PVF_E_IO when the worker died or did not answer in time. */
int pvf_worker_spawn(const pvf_worker_opts *o, pvf_worker **ret, pvf_error *err);

pid_t pvf_worker_pid(const pvf_worker *w);
bool pvf_worker_alive(const pvf_worker *w);
uint32_t pvf_worker_security_applied(const pvf_worker *w);

/* Prepares `req->code` (req->output is ignored: the host chooses it).
 * On success the verified artifact is at `artifact_path` (same filesystem
 * as the worker dir). Returns 0, or -1 with `err` and reply->outcome. */
int pvf_worker_prepare(pvf_worker *w, const pvf_msg_prepare *req, const char *artifact_path,
		       pvf_worker_reply *reply, pvf_error *err);

/* Runs one validation. Returns 0 (reply->output holds the output), or -1. */
int pvf_worker_execute(pvf_worker *w, const pvf_msg_execute *req, pvf_worker_reply *reply, pvf_error *err);

/* Kills the worker's process group (worker and jobs) and reaps the worker. */
void pvf_worker_kill(pvf_worker *w);
void pvf_worker_free(pvf_worker *w);

#endif
