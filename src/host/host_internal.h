/*
 * host_internal.h — the validation host's state, shared by host.c (the
 * scheduler and worker pools) and host_api.c (the public entry points).
 *
 * One mutex guards everything below; workers are driven without it held.
 * Jobs move: submitted -> waiting for their artifact (a preparation) ->
 * queued by priority -> running on an execute slot -> done (completion
 * list, callbacks run by the completer thread, never under the lock; a
 * blocking caller is woken by the finishing thread itself).
 *
 * A blocking validation that finds its artifact ready, no other job
 * waiting and an execute slot idle runs on that slot from the caller's own
 * thread (pvf__host_borrow_slot): no hand-over to the slot's thread and
 * back. The slot is the same, so is everything that happens to the job.
 */
#ifndef PVF_HOST_HOST_INTERNAL_H
#define PVF_HOST_HOST_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pvfhost.h"
#include "common/error.h"
#include "host/code_ids.h"
#include "host/execute_queue.h"
#include "host/metrics.h"
#include "host/store.h"
#include "host/worker_client.h"

/* The code-hash memo: blobs remembered, and their total size. */
#define HOST_CODE_IDS_ENTRIES 16u
#define HOST_CODE_IDS_BYTES ((size_t)64 << 20)

typedef enum art_state {
	ART_NEW = 0,        /* not prepared (or its artifact went missing) */
	ART_PREPARING,      /* a preparation is queued or running */
	ART_READY,          /* in the store */
	ART_FAILED,         /* the last preparation failed */
} art_state;

typedef enum prep_prio {
	PREP_CRITICAL = 0,  /* an approval or dispute waits for it */
	PREP_NORMAL = 1,    /* backing, pre-check */
	PREP_BACKGROUND = 2,/* heads-up */
} prep_prio;

struct prep;

/* One artifact id: (code hash, preparation-parameters hash); the toolchain
 * is the host's. */
typedef struct art {
	struct art *next;
	pvf_store_key key;
	art_state state;
	bool fail_det;            /* deterministic failure: answered at once, for good */
	pvf_error fail;
	uint32_t failures;        /* non-deterministic failures so far */
	uint64_t fail_at_ms;
	struct prep *prep;        /* queued or running */
	bool precheck_ok;         /* passed a pre-check (pre-check tier) */
	bool fast_pending;        /* a pre-check tier preparation for a waiting validation is queued or running */
	bool fast_failed;         /* a pre-check tier preparation failed: validations wait for the optimised one */
} art;

typedef struct prep {
	struct prep *next;        /* in the prepare queue */
	art *a;
	prep_prio prio;
	uint8_t kind;             /* PVF_PREPARE_PRECHECK / PVF_PREPARE_PREPARE */
	uint8_t *code;
	size_t code_len;
	pvfhost_executor_params ep;
	bool running;
	bool fast;                /* the pre-check tier: into the pre-check store */
	/* A pre-check caller waits on this one (it owns the struct). */
	bool caller_owned;
	bool done;
	bool ok;
	pvf_error err;
	pvf_worker_outcome outcome;
} prep;

typedef enum job_state {
	JOB_WAIT_PREP = 0,
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_DONE,
} job_state;

/* Possibly-invalid classes retried once each (approval and dispute). */
#define RETRY_WORKER_DIED (1u << 0)
#define RETRY_JOB_DIED (1u << 1)
#define RETRY_REPREPARE (1u << 2)   /* corrupt artifact, runtime construction */
#define RETRY_OTHER (1u << 3)

typedef struct job {
	struct job *next;         /* execute queue of its priority, or the done list */
	struct job *all_next;     /* every job not yet done (doubly linked) */
	struct job *all_prev;
	uint64_t id;
	job_state state;
	art *a;
	const uint8_t *code;      /* the bytes of code_ref */
	pvf_code_ref *code_ref;   /* shared with the code-hash memo when it holds them */
	size_t code_len;
	uint8_t *params;
	size_t params_len;
	pvfhost_executor_params ep;
	int prio;                 /* pvfhost_priority */
	char export_name[128];
	uint64_t submit_ms;
	uint64_t deadline_ms;     /* absolute; 0 none */
	uint64_t not_before_ms;   /* retry delay */
	uint64_t start_ms;
	uint64_t checked_ms;      /* when routing found its artifact in the store; 0: not */
	uint32_t retried;
	uint32_t spawn_failures;   /* worker could not be started for it */
	bool cancelled;
	bool fast;                /* to run on the pre-check tier's artifact */
	bool no_fast;             /* never (again) on the pre-check tier */
	pid_t worker_pid;         /* running: the worker's process group */
	pvfhost_done_fn done;
	void *ctx;
	bool cb_here;             /* the thread that finishes it runs `done` (see pvf__host_callbacks_inline) */
	pvfhost_result res;
	uint8_t *out;
	/* Blocking callers wait on this. */
	bool direct;              /* submitted by a caller that may run it itself: no wake-up yet */
	bool sync;
	bool sync_done;
	pthread_cond_t *sync_cv;
} job;

typedef struct exec_slot {
	struct pvfhost *h;
	pthread_t th;
	int idx;
	pvf_worker *w;
	bool has_key;
	pvf_store_key key;        /* the artifact the worker loaded */
	bool fast;                /* ... from the pre-check tier's store */
	char dir[4096];
	job *cur;
	/* A thread drives the slot's worker: its own (from pick to the end of
	 * the job) or a blocking caller's (borrowed). */
	bool busy;
} exec_slot;

typedef struct prep_slot {
	struct pvfhost *h;
	pthread_t th;
	int idx;
	pvf_worker *w;
	char dir[4096];
	prep *cur;
} prep_slot;

struct pvfhost {
	pvfhost_config cfg;
	char cache_dir[4096];
	char prepare_worker[4096];
	char execute_worker[4096];
	char *toolchain_id;
	uint32_t security;
	uint32_t compile_jobs;    /* parallel compiler processes per preparation */
	pvf_store *store;
	pvf_store *pc_store;      /* pre-check tier artifacts (NULL: same toolchain) */
	pvf_code_ids *code_ids;   /* code hashes of recent blobs (own lock) */
	char *pc_toolchain_id;
	char pc_cache_dir[4200];

	pthread_mutex_t mu;
	pthread_cond_t prep_cv;   /* prepare slots wait here */
	pthread_cond_t exec_cv;   /* execute slots wait here */
	pthread_cond_t art_cv;    /* pre-check callers wait here */
	pthread_cond_t done_cv;   /* the completer waits here */
	bool stopping;
	bool completer_stop;      /* set once no more completions can come */
	bool inline_callbacks;    /* pvf__host_callbacks_inline */

	art *arts;
	prep *prepq;              /* pending preparations (not running) */
	job *execq_head[PVF_EXEC_PRIOS], *execq_tail[PVF_EXEC_PRIOS];
	job *all;                 /* jobs not done */
	uint32_t nprepq[3];       /* queued preparations by priority */
	uint32_t nexecq[PVF_EXEC_PRIOS]; /* queued executions by priority */
	uint32_t ndeadline;       /* live jobs with a deadline */
	uint64_t deadline_due;    /* earliest such deadline; 0: to be found */
	job *done_head, *done_tail;
	pvf_exec_fairness fair;
	uint64_t next_id;

	prep_slot *pslots;
	uint32_t npslots;
	exec_slot *eslots;
	uint32_t neslots;
	pthread_t completer;
	bool threads_started;

	pvf_metrics *metrics;
	struct {
		pvf_metric *prepq[3], *execq[PVF_EXEC_PRIOS];
		pvf_metric *prep_running, *exec_running;
		pvf_metric *prep_secs, *exec_secs;
		pvf_metric *spawns[2], *deaths[2];
		pvf_metric *cache_bytes, *cache_artifacts, *hits, *misses, *evictions;
		pvf_metric *verdict[4];
		pvf_metric *preparations_ok, *preparations_failed;
		pvf_metric *errors[PVF_E__COUNT];
	} m;
	uint64_t executions, preparations;
	uint64_t errors_by_code[PVF_E__COUNT];
};

/* host_api.c: the worker program `name` ("pvfhost-prepare-worker"), found as
 * docs/host.md says; `configured` first when not NULL. */
int pvf__host_find_worker(const char *configured, const char *name, char *out, size_t n, pvf_error *err);

/* host.c */
int pvf__host_start(struct pvfhost *h, pvf_error *err);
void pvf__host_stop(struct pvfhost *h);
/* Lock held: finds or creates the art of the code with this hash (from
 * h->code_ids, computed before taking the lock) under ep. */
art *pvf__host_art(struct pvfhost *h, const uint8_t code_hash[32], const pvfhost_executor_params *ep);
/* Lock held: makes sure a preparation of `a` is queued or running, at
 * least at priority `prio`; `code` is copied if a new one is queued. */
bool pvf__host_tier_specific(const pvf_error *err);
int pvf__host_want_prep(struct pvfhost *h, art *a, prep_prio prio, const uint8_t *code, size_t len,
			const pvfhost_executor_params *ep, pvf_error *err);
/* Lock held: queues a submitted job (art lookup, cache check, prep). */
void pvf__host_submit(struct pvfhost *h, job *j);
/* Lock held: queues a caller-owned pre-check preparation. */
void pvf__host_queue_prep(struct pvfhost *h, prep *p);
/* Lock held: for a blocking caller's job just submitted (j->direct): an
 * idle execute slot the caller may run it on, taken (busy) and the job
 * marked running; NULL when it must wait its turn (the slots are woken). */
exec_slot *pvf__host_borrow_slot(struct pvfhost *h, job *j);
/* Lock NOT held: runs the job on the borrowed slot, then gives it back. */
void pvf__host_run_borrowed(struct pvfhost *h, exec_slot *s, job *j);
/* Lock held: completes a job (wakes its blocking caller, or moves it to
 * the done list for the completer). */
void pvf__host_finish(struct pvfhost *h, job *j, const pvf_error *err, const uint8_t *out, size_t out_len);
void pvf__host_update_gauges(struct pvfhost *h);
void pvf__job_free(job *j);

#endif
