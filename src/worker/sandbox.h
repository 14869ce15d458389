/*
 * sandbox.h — the worker sandbox: what a prepare or execute worker applies to
 * itself before it reads one untrusted byte, and what it applies to each job
 * process it forks.
 *
 * Steps, in the order pvf_sandbox_apply_worker() performs them (the reason for
 * each is in sandbox.c, the mechanics in the file named in brackets):
 *
 *    1 env         verify the environment is empty (secure) / clear it
 *    2 fds         close every descriptor not in keep_fds (close_range)
 *    3 nnp         PR_SET_NO_NEW_PRIVS
 *    4 core        RLIMIT_CORE 0 (PR_SET_DUMPABLE 0 comes at step 7)
 *    5 drop-root   started as root: become an unprivileged uid/gid first
 *    6 userns      unshare(CLONE_NEWUSER|CLONE_NEWNS), uid/gid maps  [ns]
 *    7 dumpable    PR_SET_DUMPABLE 0 (after the maps: /proc/self/{uid,gid}_map must
 *                  still be ours to write)
 *    8 mounts      "/" MS_REC|MS_PRIVATE, a tmpfs root holding the worker dir
 *                  at /work (prepare rw, execute ro) and, for prepare, the
 *                  read-only system dirs the compiler needs  [ns]
 *    9 pivot_root  into that root, old root detached  [ns]
 *   10 caps        drop every capability (bounding, ambient, effective...)
 *   11 rlimits     NPROC, NOFILE, FSIZE per mode
 *   12 landlock    filesystem rules per mode, network (ABI >= 4), scoping
 *                  (ABI >= 6)  [landlock]
 *   13 seccomp     deny list, killing the process  [seccomp]   (LAST)
 *
 * Per job (in the worker, for each request): pvf_sandbox_fork_job() clones a
 * child into fresh user/PID/net/IPC/UTS/cgroup/mount namespaces; the child
 * drops its capabilities and stacks the job seccomp filter (no namespace-
 * creating clone). An execute job instead is a plain fork that runs under
 * the allow-list filter before it calls into the artifact: inherited from
 * its worker, which took the list on itself once its artifact was loaded
 * (pvf_sandbox_lock_execute_worker()), or installed by the job itself
 * (pvf_sandbox_lock_execute_job()). Either way it can fork nothing.
 *
 * Secure mode: the worker refuses (returns -1, the process must exit) unless
 * seccomp and at least one of landlock / pivot_root were applied. Without
 * secure mode every step that fails is recorded in the report and the others
 * are still applied.
 *
 * Everything here is for single-threaded processes (unshare(CLONE_NEWUSER)
 * requires it, landlock and seccomp only restrict the calling thread).
 */
#ifndef PVF_WORKER_SANDBOX_H
#define PVF_WORKER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

typedef enum pvf_sandbox_mode {
	PVF_SANDBOX_PREPARE,   /* runs wasm2c + cc: /work rw, /usr,/lib... ro */
	PVF_SANDBOX_EXECUTE,   /* loads a memfd artifact: /work ro, /proc */
} pvf_sandbox_mode;

/* Descriptors a worker may keep besides 0, 1, 2 (its socket, a memfd...). */
#define PVF_SANDBOX_MAX_KEEP_FDS 8
/* Unprivileged identity a worker started as root becomes (nobody/nogroup). */
#define PVF_SANDBOX_DEFAULT_UID 65534
#define PVF_SANDBOX_DEFAULT_GID 65534
/* Mount point of the worker directory inside the sandbox root. */
#define PVF_SANDBOX_WORK_DIR "/work"

typedef struct pvf_sandbox_opts {
	pvf_sandbox_mode mode;
	bool secure;             /* refuse unless seccomp + (landlock|pivot) */
	const char *dir;         /* absolute path of the worker directory */
	int keep_fds[PVF_SANDBOX_MAX_KEEP_FDS];
	size_t nkeep_fds;
	/* Identity to take when started as root (0 = PVF_SANDBOX_DEFAULT_*).
	 * The worker dir is chowned to it in that case. */
	uid_t unpriv_uid;
	gid_t unpriv_gid;
	/* Skip the mount namespace / pivot_root and rely on landlock alone
	 * (the prepare fallback if a compiler cannot run in the pivoted root). */
	bool no_pivot_root;
} pvf_sandbox_opts;

/* One row of the probe / report table. */
typedef enum pvf_sandbox_feature_id {
	PVF_SBF_ENV = 0,          /* environment empty / cleared */
	PVF_SBF_CLOSE_FDS,        /* close_range */
	PVF_SBF_NO_NEW_PRIVS,
	PVF_SBF_NO_CORE,          /* RLIMIT_CORE 0 + PR_SET_DUMPABLE 0 */
	PVF_SBF_DROP_ROOT,        /* root -> unprivileged uid (n/a if not root) */
	PVF_SBF_USERNS,           /* unshare(CLONE_NEWUSER) + maps */
	PVF_SBF_MOUNTNS,          /* CLONE_NEWNS + private "/" + binds */
	PVF_SBF_PIVOT_ROOT,
	PVF_SBF_CAPS,             /* all capabilities dropped */
	PVF_SBF_RLIMITS,          /* NPROC / NOFILE / FSIZE */
	PVF_SBF_LANDLOCK,         /* filesystem rules */
	PVF_SBF_LANDLOCK_NET,     /* TCP bind/connect denied (ABI >= 4) */
	PVF_SBF_LANDLOCK_SCOPE,   /* abstract unix + signal scoping (ABI >= 6) */
	PVF_SBF_SECCOMP,          /* deny list */
	PVF_SBF_JOB_NS,           /* per-job user/pid(/ipc/uts/cgroup/mnt) ns */
	PVF_SBF_SECCOMP_ALLOWLIST,/* execute-job allow list */
	PVF_SBF__COUNT
} pvf_sandbox_feature_id;

typedef struct pvf_sandbox_feature {
	const char *name;        /* stable identifier, e.g. "landlock" */
	bool available;          /* the kernel/machine supports it */
	bool applied;            /* it is in force in this process */
	char detail[128];        /* version, errno text, what was skipped */
} pvf_sandbox_feature;

typedef struct pvf_sandbox_report {
	pvf_sandbox_feature f[PVF_SBF__COUNT];
	int landlock_abi;        /* 0 when landlock is unavailable */
} pvf_sandbox_report;

/* Stable name of a feature id ("userns", "seccomp", ...). */
const char *pvf_sandbox_feature_name(pvf_sandbox_feature_id id);

/* Probes every feature, each in its own throwaway forked child (so nothing
 * sticks to the caller), and fills out[0..*n) indexed by pvf_sandbox_feature_id
 * with `available` set and `applied` false. `cap` must be >= PVF_SBF__COUNT.
 * Returns 0, or -1 with `err` set if probing itself failed (fork, pipe). */
int pvf_sandbox_probe(pvf_sandbox_feature *out, size_t cap, size_t *n,
		pvf_error *err);

/* Writes the table "feature available applied detail" to `fd`. */
int pvf_sandbox_print_table(int fd, const pvf_sandbox_feature *f, size_t n);

/* Applies steps 1-13 to the calling (single-threaded) process. The report
 * (may be NULL) says per feature whether it was available and applied.
 * Returns 0, or -1 with `err` set: a bad argument, a failing step that cannot
 * be skipped, or secure mode without its required features. After -1 the
 * process is half-sandboxed and must exit. */
int pvf_sandbox_apply_worker(const pvf_sandbox_opts *o, pvf_sandbox_report *r,
		pvf_error *err);

/* Forks a job process in new user/PID/net/IPC/UTS/cgroup/mount namespaces
 * (falls back to a plain fork when they are unavailable, unless secure).
 * In the parent returns the child's pid (> 0); in the child returns 0 after
 * the child dropped its capabilities and stacked the job seccomp filter (an
 * execute job whose allow list is compiled stacks that instead, later, with
 * pvf_sandbox_lock_execute_job, which it must call before untrusted code
 * runs: one filter install per job instead of two);
 * returns -1 with `err` set on failure (in the child: the child must _exit).
 * A job with namespaces is PID 1 of its own: when it exits, the kernel kills
 * every process it left behind; an execute job counting on the allow list
 * is a plain fork that can fork nothing. `r` (may be NULL) receives the
 * job-ns row. ret_pidfd (may be NULL) receives, in the parent, the job's
 * pidfd when the fork made one (the worker is keyed, see
 * pvf_sandbox_lock_execute_worker), else -1; the caller closes it. */
pid_t pvf_sandbox_fork_job(const pvf_sandbox_opts *o, pvf_sandbox_report *r, int *ret_pidfd,
		pvf_error *err);

/* Closes every descriptor above 2 but the n in `keep` (n at most
 * PVF_SANDBOX_MAX_KEEP_FDS), a close_range per gap; 0, or -1 with errno. */
int pvf_sandbox_close_fds_except(const int *keep, size_t n);

/* In an execute job, after the artifact is loaded and just before untrusted
 * code runs: replaces the deny list with an allow list of what running an
 * artifact needs (memory, signals, time, read/write on open fds, exit).
 * When it cannot be installed, the job filter is (if the fork left it out)
 * and -1 is returned. A job of a worker that took the list on itself
 * (pvf_sandbox_lock_execute_worker) already runs under it: 0 at once. */
int pvf_sandbox_lock_execute_job(pvf_sandbox_report *r, pvf_error *err);

/* In an execute worker, once its artifact is loaded and before its first
 * job: installs on the worker itself the allow list extended by what its
 * loop needs (sandbox_seccomp.c, EXECUTE_WORKER), behind a filter that kills
 * every clone without the worker's random key. Every job then inherits the
 * list (pvf_sandbox_lock_execute_job does nothing there), wipes its copy of
 * the key and sets RLIMIT_NPROC to 0; jobs are forked with CLONE_PIDFD and
 * killed through their pidfd (pvf_sandbox_kill_job), kill() being off the
 * list. Needs the worker seccomp step applied. 0, or -1 with err set: jobs
 * then install the allow list themselves, as before (if the clone-key filter
 * went on, their forks still pass the key). */
int pvf_sandbox_lock_execute_worker(const pvf_sandbox_opts *o, pvf_sandbox_report *r, pvf_error *err);

/* Kills a job with SIGKILL: through pidfd when it has one (>= 0), else by
 * pid. 0, or -1 with errno. */
int pvf_sandbox_kill_job(pid_t pid, int pidfd);

/* In a job: true when its fork counted on the allow list (the job is a plain
 * fork in the worker's namespaces, the allow list making its own moot).
 * Such a job must not run untrusted code without the allow list, whatever
 * the secure setting. */
bool pvf_sandbox_job_needs_allow_list(void);

/* ---- internal (sandbox_*.c), not for callers ------------------------- */

void pvf__sandbox_note(pvf_sandbox_report *r, pvf_sandbox_feature_id id,
		bool available, bool applied, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* sandbox_ns.c */
int pvf__sandbox_enter_userns(uid_t in_uid, gid_t in_gid, int *err_no);
/* Expects the cwd to be the worker dir (set before unshare: the kernel
 * carries the cwd into the new mount namespace, a descriptor it does not). */
int pvf__sandbox_build_root(const pvf_sandbox_opts *o, pvf_sandbox_report *r,
		pvf_error *err);
int pvf__sandbox_pivot(pvf_sandbox_report *r, pvf_error *err);
/* bounding_set: also empty the bounding set (what an execve could grant),
 * one prctl per capability; a job whose allow list kills every execve
 * leaves it. */
int pvf__sandbox_drop_caps(bool bounding_set, int *err_no);
/* lean: no namespace of its own, a plain fork (an execute job that will run
 * under the allow list); *got_ns: the job has its own namespaces. */
pid_t pvf__sandbox_clone_job(bool lean, bool *got_ns, int *err_no);
/* A plain fork made with clone(CLONE_PIDFD|SIGCHLD), key as its fifth
 * argument; in the parent *ret_pidfd gets the child's pidfd. */
pid_t pvf__sandbox_clone_keyed(uint64_t key, int *ret_pidfd, int *err_no);
/* The page that holds a locked execute worker's clone key (NULL before the
 * lock): a job has no mapping there (sandbox-probe-child checks it). */
const void *pvf__sandbox_clone_key_page(void);
int pvf__sandbox_probe_userns(char *detail, size_t cap);
int pvf__sandbox_probe_pivot(char *detail, size_t cap);
int pvf__sandbox_probe_jobns(char *detail, size_t cap);

/* sandbox_landlock.c */
int pvf__landlock_abi(void);
int pvf__sandbox_landlock(const pvf_sandbox_opts *o, bool pivoted, int dirfd,
		pvf_sandbox_report *r, pvf_error *err);
int pvf__landlock_probe(char *detail, size_t cap);

/* sandbox_seccomp.c */
typedef enum { PVF__SECCOMP_WORKER, PVF__SECCOMP_JOB,
	PVF__SECCOMP_EXECUTE_ALLOW, PVF__SECCOMP_EXECUTE_WORKER,
	PVF__SECCOMP__COUNT } pvf__seccomp_profile;
int pvf__sandbox_seccomp(pvf__seccomp_profile p, char *detail, size_t cap);
/* Compiles profile p to BPF once; later pvf__sandbox_seccomp(p) calls (in
 * this process or its forks) install it with one system call. */
int pvf__seccomp_precompile(pvf__seccomp_profile p, char *detail, size_t cap);
/* Whether profile p was compiled by pvf__seccomp_precompile. */
bool pvf__seccomp_compiled(pvf__seccomp_profile p);
int pvf__seccomp_probe(char *detail, size_t cap);
/* Installs a filter that kills every clone() whose fifth argument is not
 * key (which a clone without CLONE_SETTLS and CLONE_CHILD_* ignores). 0, or
 * -errno (-ENOSYS on an architecture it does not know). */
int pvf__seccomp_clone_key(uint64_t key, char *detail, size_t cap);

#endif
