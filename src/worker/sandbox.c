/*
 * sandbox.c — the ordered list of sandbox steps a worker applies to itself,
 * and the per-job entry points. Mechanics live in one file per concern:
 * sandbox_ns.c (namespaces, mounts, pivot_root, capabilities),
 * sandbox_landlock.c, sandbox_seccomp.c; probing in sandbox_probe.c.
 *
 * The steps and why each is there, in order (all before the worker reads a
 * byte of untrusted input; the process must be single-threaded):
 *
 *   1 env        A worker inherits nothing from its host. In secure mode a
 *                non-empty environment is refused (the host spawns workers
 *                with a cleared one, so anything there is a mistake or an
 *                injection: LD_PRELOAD, GCONV_PATH...); otherwise cleared.
 *   2 fds        close_range() over everything but 0-2 and keep_fds: no
 *                inherited descriptor (a host file, a socket) survives.
 *   3 nnp        PR_SET_NO_NEW_PRIVS: no setuid/file-capability gain on exec;
 *                required by landlock_restrict_self and unprivileged seccomp.
 *   4 core       RLIMIT_CORE 0: a crashing job leaves no image of its memory.
 *   5 drop-root  Started as root: chown the worker dir to, and become, an
 *                unprivileged uid/gid. Root is exempt from RLIMIT_NPROC and
 *                raising hard limits, and owns every system file.
 *   6 userns     unshare(CLONE_NEWUSER|CLONE_NEWNS): capabilities for the
 *                mounts, inside a namespace that has no power outside.
 *   7 dumpable   PR_SET_DUMPABLE 0: no same-uid ptrace or /proc/<pid>/mem
 *                from outside. After step 6, whose /proc/self/uid_map writes
 *                need the process to still be dumpable.
 *   8 mounts     private "/", a tmpfs root with just /work (+ what the
 *                compiler or the loader needs), see sandbox_ns.c.
 *   9 pivot      pivot_root into it; the host filesystem is gone.
 *  10 caps       drop every capability: nothing can be remounted read-write.
 *  11 rlimits    NPROC (fork bombs), NOFILE, FSIZE. NPROC is per worker
 *                in its own user namespace, a host-wide ceiling without one.
 *  12 landlock   second, independent filesystem wall (and TCP, scoping).
 *  13 seccomp    last, so that the steps above could use mount, unshare...
 *
 * Steps 6-9 are skipped (landlock alone guards the filesystem, with host
 * paths) when o->no_pivot_root is set or unshare(CLONE_NEWUSER) fails; a
 * failure after unshare succeeded is fatal (the mount state is unknown).
 * Secure mode then requires: seccomp applied, and landlock or pivot_root.
 */
#include "worker/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker/iobuf.h"

extern char **environ;

/* Per-mode resource limits (soft = hard). */
#define PREPARE_NPROC   64                       /* job + wasm2c + cc1/as/ld */
#define PREPARE_NOFILE  256
#define PREPARE_FSIZE   (2ULL << 30)             /* largest file it may write */
#define EXECUTE_NPROC   16
/* Without a user namespace of its own, a worker's RLIMIT_NPROC is checked
 * against every process of its uid on the machine: all workers (they share
 * the unprivileged uid), their jobs and compilers. The per-mode limits
 * above would then fail one worker's forks while others are busy; the
 * limit becomes a ceiling for the whole host instead. */
#define SHARED_UID_NPROC 1024
#define EXECUTE_NOFILE  64
#define EXECUTE_FSIZE   (1ULL << 30)             /* the artifact memfd */

#define FIRST_NON_STDIO_FD 3

static const char *const feature_names[PVF_SBF__COUNT] = {
	[PVF_SBF_ENV] = "env-clear",
	[PVF_SBF_CLOSE_FDS] = "close-fds",
	[PVF_SBF_NO_NEW_PRIVS] = "no-new-privs",
	[PVF_SBF_NO_CORE] = "no-core-dump",
	[PVF_SBF_DROP_ROOT] = "drop-root",
	[PVF_SBF_USERNS] = "user-namespace",
	[PVF_SBF_MOUNTNS] = "mount-namespace",
	[PVF_SBF_PIVOT_ROOT] = "pivot-root",
	[PVF_SBF_CAPS] = "drop-capabilities",
	[PVF_SBF_RLIMITS] = "rlimits",
	[PVF_SBF_LANDLOCK] = "landlock",
	[PVF_SBF_LANDLOCK_NET] = "landlock-net",
	[PVF_SBF_LANDLOCK_SCOPE] = "landlock-scope",
	[PVF_SBF_SECCOMP] = "seccomp",
	[PVF_SBF_JOB_NS] = "job-namespaces",
	[PVF_SBF_SECCOMP_ALLOWLIST] = "seccomp-allowlist",
};

const char *pvf_sandbox_feature_name(pvf_sandbox_feature_id id)
{
	if ((unsigned)id >= PVF_SBF__COUNT)
		return "unknown";
	return feature_names[id];
}

void pvf__sandbox_note(pvf_sandbox_report *r, pvf_sandbox_feature_id id,
		bool available, bool applied, const char *fmt, ...)
{
	va_list ap;
	if (!r || (unsigned)id >= PVF_SBF__COUNT)
		return;
	r->f[id].name = feature_names[id];
	r->f[id].available = available;
	r->f[id].applied = applied;
	va_start(ap, fmt);
	vsnprintf(r->f[id].detail, sizeof r->f[id].detail, fmt, ap);
	va_end(ap);
}

static void report_init(pvf_sandbox_report *r)
{
	memset(r, 0, sizeof *r);
	for (int i = 0; i < PVF_SBF__COUNT; i++) {
		r->f[i].name = feature_names[i];
		snprintf(r->f[i].detail, sizeof r->f[i].detail, "not attempted");
	}
}

static int close_range_compat(unsigned first, unsigned last)
{
	if (first > last)
		return 0;
	if (syscall(SYS_close_range, first, last, 0U) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	struct rlimit rl;
	unsigned max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ?
		(unsigned)rl.rlim_cur : 65536;
	for (unsigned fd = first; fd <= last && fd < max; fd++)
		(void)close((int)fd);
	return 0;
}

int pvf_sandbox_close_fds_except(const int *keep_in, size_t n)
{
	int keep[PVF_SANDBOX_MAX_KEEP_FDS];
	unsigned next = FIRST_NON_STDIO_FD;

	if (n > PVF_SANDBOX_MAX_KEEP_FDS) {
		errno = EINVAL;
		return -1;
	}
	/* Insertion sort: a handful of descriptors, and no libc call (a job
	 * runs this right after its fork). */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && keep[j - 1] > keep_in[i]; j--)
			keep[j] = keep[j - 1];
		keep[j] = keep_in[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < FIRST_NON_STDIO_FD || (unsigned)keep[i] < next)
			continue;
		if (close_range_compat(next, (unsigned)keep[i] - 1) < 0)
			return -1;
		next = (unsigned)keep[i] + 1;
	}
	return close_range_compat(next, ~0U);
}

/* Step 2: close every descriptor > 2 that is not in o->keep_fds. */
static int close_other_fds(const pvf_sandbox_opts *o, pvf_sandbox_report *r,
		pvf_error *err)
{
	if (pvf_sandbox_close_fds_except(o->keep_fds, o->nkeep_fds) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: close_range: %s", strerror(errno));
	pvf__sandbox_note(r, PVF_SBF_CLOSE_FDS, true, true, "kept 0-2 + %zu", o->nkeep_fds);
	return 0;
}

static int set_limit(int res, rlim_t v)
{
	struct rlimit rl = { v, v };
	struct rlimit cur;
	/* Never raise: only lower (raising would fail without privilege). */
	if (getrlimit(res, &cur) == 0 && cur.rlim_max != RLIM_INFINITY && cur.rlim_max < v)
		rl.rlim_cur = rl.rlim_max = cur.rlim_max;
	return setrlimit(res, &rl);
}

/* Step 5. */
static int drop_root(const pvf_sandbox_opts *o, int dirfd, pvf_sandbox_report *r,
		pvf_error *err)
{
	if (geteuid() != 0 && getuid() != 0) {
		pvf__sandbox_note(r, PVF_SBF_DROP_ROOT, true, false, "not started as root");
		return 0;
	}
	uid_t uid = o->unpriv_uid ? o->unpriv_uid : PVF_SANDBOX_DEFAULT_UID;
	gid_t gid = o->unpriv_gid ? o->unpriv_gid : PVF_SANDBOX_DEFAULT_GID;
	if (fchownat(dirfd, "", uid, gid, AT_EMPTY_PATH) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: chown worker dir: %s",
				strerror(errno));
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: drop root: %s", strerror(errno));
	uid_t ru, eu, su;
	if (getresuid(&ru, &eu, &su) < 0 || ru != uid || eu != uid || su != uid)
		return pvf_error_set(err, PVF_E_IO, "sandbox: uid did not change");
	/* A uid change resets "dumpable" to suid_dumpable (usually 0), which
	 * hands /proc/self/{uid,gid}_map to root: writing them in step 6 would
	 * fail with EACCES. Dumpable is cleared for good in step 7. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: dumpable: %s", strerror(errno));
	pvf__sandbox_note(r, PVF_SBF_DROP_ROOT, true, true, "now uid %u gid %u",
			(unsigned)uid, (unsigned)gid);
	return 0;
}

int pvf_sandbox_apply_worker(const pvf_sandbox_opts *o, pvf_sandbox_report *r,
		pvf_error *err)
{
	pvf_sandbox_report local;
	int dirfd = -1, e = 0, rc = -1;
	bool pivoted = false;

	if (!r)
		r = &local;
	report_init(r);
	if (!o || !o->dir || o->dir[0] != '/' ||
	    (o->mode != PVF_SANDBOX_PREPARE && o->mode != PVF_SANDBOX_EXECUTE) ||
	    o->nkeep_fds > PVF_SANDBOX_MAX_KEEP_FDS)
		return pvf_error_set(err, PVF_E_USAGE, "sandbox: bad options");

	/* 1 env */
	if (environ && environ[0]) {
		if (o->secure) {
			const char *eq = strchr(environ[0], '=');
			int len = eq ? (int)(eq - environ[0]) : (int)strlen(environ[0]);
			if (len > 64)
				len = 64;
			pvf__sandbox_note(r, PVF_SBF_ENV, true, false, "not empty");
			return pvf_error_set(err, PVF_E_USAGE,
					"sandbox: environment not empty (first: \"%.*s\")",
					len, environ[0]);
		}
		if (clearenv() != 0)
			return pvf_error_set(err, PVF_E_IO, "sandbox: clearenv failed");
		pvf__sandbox_note(r, PVF_SBF_ENV, true, true, "cleared");
	} else {
		pvf__sandbox_note(r, PVF_SBF_ENV, true, true, "was empty");
	}

	/* 2 fds */
	if (close_other_fds(o, r, err) < 0)
		return -1;
	dirfd = open(o->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: open worker dir: %s",
				strerror(errno));

	/* 3 nnp */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		pvf_error_set(err, PVF_E_IO, "sandbox: no_new_privs: %s", strerror(errno));
		goto out;
	}
	pvf__sandbox_note(r, PVF_SBF_NO_NEW_PRIVS, true, true, "set");

	/* 4 core (dumpable comes at 7) */
	if (set_limit(RLIMIT_CORE, 0) < 0) {
		pvf_error_set(err, PVF_E_IO, "sandbox: RLIMIT_CORE: %s", strerror(errno));
		goto out;
	}

	/* 5 drop-root */
	if (drop_root(o, dirfd, r, err) < 0)
		goto out;

	/* 6 userns */
	if (o->no_pivot_root) {
		pvf__sandbox_note(r, PVF_SBF_USERNS, true, false, "skipped: no_pivot_root");
		pvf__sandbox_note(r, PVF_SBF_MOUNTNS, true, false, "skipped: no_pivot_root");
		pvf__sandbox_note(r, PVF_SBF_PIVOT_ROOT, true, false, "skipped: no_pivot_root");
	} else if (fchdir(dirfd) < 0) {
		pvf_error_set(err, PVF_E_IO, "sandbox: chdir worker dir: %s", strerror(errno));
		goto out;
	} else if (pvf__sandbox_enter_userns(geteuid(), getegid(), &e) < 0) {
		pvf__sandbox_note(r, PVF_SBF_USERNS, false, false, "%s", strerror(e));
		pvf__sandbox_note(r, PVF_SBF_MOUNTNS, false, false, "needs a user namespace");
		pvf__sandbox_note(r, PVF_SBF_PIVOT_ROOT, false, false, "needs a user namespace");
	} else {
		pvf__sandbox_note(r, PVF_SBF_USERNS, true, true, "identity map uid %u",
				(unsigned)geteuid());
		pivoted = true;
	}

	/* 7 dumpable */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		pvf_error_set(err, PVF_E_IO, "sandbox: dumpable: %s", strerror(errno));
		goto out;
	}
	pvf__sandbox_note(r, PVF_SBF_NO_CORE, true, true, "RLIMIT_CORE 0, not dumpable");

	/* 8 mounts, 9 pivot */
	if (pivoted) {
		if (pvf__sandbox_build_root(o, r, err) < 0 || pvf__sandbox_pivot(r, err) < 0)
			goto out;
		/* The descriptor points outside the new root: gone with it. */
		close(dirfd);
		dirfd = -1;
	}

	/* 10 caps */
	if (pvf__sandbox_drop_caps(true, &e) < 0) {
		pvf_error_set(err, PVF_E_IO, "sandbox: drop capabilities: %s", strerror(e));
		goto out;
	}
	pvf__sandbox_note(r, PVF_SBF_CAPS, true, true, "all sets empty, securebits locked");

	/* 11 rlimits */
	bool prep = o->mode == PVF_SANDBOX_PREPARE;
	int nproc = !pivoted ? SHARED_UID_NPROC : prep ? PREPARE_NPROC : EXECUTE_NPROC;
	if (set_limit(RLIMIT_NPROC, (rlim_t)nproc) < 0 ||
	    set_limit(RLIMIT_NOFILE, prep ? PREPARE_NOFILE : EXECUTE_NOFILE) < 0 ||
	    set_limit(RLIMIT_FSIZE, prep ? PREPARE_FSIZE : EXECUTE_FSIZE) < 0) {
		pvf_error_set(err, PVF_E_IO, "sandbox: setrlimit: %s", strerror(errno));
		goto out;
	}
	pvf__sandbox_note(r, PVF_SBF_RLIMITS, true, true, "NPROC %d%s NOFILE %d FSIZE %llu MiB", nproc,
			pivoted ? "" : " (per uid, host-wide)", prep ? PREPARE_NOFILE : EXECUTE_NOFILE,
			(prep ? PREPARE_FSIZE : EXECUTE_FSIZE) >> 20);

	/* 12 landlock: a failure of an available landlock is fatal (its rules
	 * are ours, so it is a bug or a strange machine, never to be ignored). */
	if (pvf__sandbox_landlock(o, pivoted, dirfd, r, err) < 0)
		goto out;

	/* 13 seccomp, last. The jobs' filters are compiled first (libseccomp
	 * once per worker, not per job); a job installs its own then. */
	{
		char detail[128];
		(void)pvf__seccomp_precompile(PVF__SECCOMP_JOB, detail, sizeof detail);
		if (!prep)
			(void)pvf__seccomp_precompile(PVF__SECCOMP_EXECUTE_ALLOW, detail, sizeof detail);
		if (pvf__sandbox_seccomp(PVF__SECCOMP_WORKER, detail, sizeof detail) < 0) {
			pvf__sandbox_note(r, PVF_SBF_SECCOMP, false, false, "%s", detail);
			if (o->secure) {
				pvf_error_set(err, PVF_E_IO, "sandbox: seccomp required: %s", detail);
				goto out;
			}
		} else {
			pvf__sandbox_note(r, PVF_SBF_SECCOMP, true, true, "%s", detail);
		}
	}

	if (o->secure && !(r->f[PVF_SBF_SECCOMP].applied &&
			(r->f[PVF_SBF_LANDLOCK].applied || r->f[PVF_SBF_PIVOT_ROOT].applied))) {
		pvf_error_set(err, PVF_E_IO,
				"sandbox: secure mode needs seccomp and landlock or pivot_root "
				"(seccomp %s, landlock %s, pivot_root %s)",
				r->f[PVF_SBF_SECCOMP].applied ? "on" : "off",
				r->f[PVF_SBF_LANDLOCK].applied ? "on" : "off",
				r->f[PVF_SBF_PIVOT_ROOT].applied ? "on" : "off");
		goto out;
	}
	rc = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

/* In an execute job: the job filter was left to pvf_sandbox_lock_execute_job
 * (the allow list replaces it); g_job_lean: the job is a plain fork in the
 * worker's namespaces (the allow list makes its own moot, sandbox_ns.c);
 * g_job_lock_inherited: the job runs under its worker's allow list from
 * its first instruction. */
static bool g_job_filter_deferred, g_job_lean, g_job_lock_inherited;

/* In an execute worker: g_clone_keyed, the clone-key filter is installed and
 * every fork must pass *g_clone_key; g_worker_locked, the worker runs under
 * the allow list (pvf_sandbox_lock_execute_worker). The key is alone in a
 * page its jobs do not inherit (MADV_DONTFORK): a job never has it in
 * memory, and no job writes that page. Where the advice failed
 * (g_clone_key_inherited), a job wipes its copy first thing. */
static uint64_t *g_clone_key;
static bool g_clone_keyed, g_worker_locked, g_clone_key_inherited;

const void *pvf__sandbox_clone_key_page(void)
{
	return g_clone_key;
}

int pvf_sandbox_lock_execute_worker(const pvf_sandbox_opts *o, pvf_sandbox_report *r, pvf_error *err)
{
	char detail[128];
	uint64_t key = 0;
	int pidfd = -1, e = 0, st = 0;

	/* Jobs inherit the worker's capabilities (under the list they could
	 * not drop them): it must hold none. */
	if (!o || o->mode != PVF_SANDBOX_EXECUTE || !r || !r->f[PVF_SBF_SECCOMP].applied ||
	    !r->f[PVF_SBF_CAPS].applied || g_clone_keyed)
		return pvf_error_set(err, PVF_E_USAGE, "sandbox: the worker allow list is for an execute worker "
				     "under seccomp without capabilities, once");
	/* Zero is what a clone that sets nothing passes. */
	while (!key)
		if (getrandom(&key, sizeof key, 0) != (ssize_t)sizeof key)
			return pvf_error_set(err, PVF_E_IO, "sandbox: getrandom: %s", strerror(errno));
	/* The locked worker names its jobs by pidfd (CLONE_PIDFD, Linux 5.2):
	 * kill is not on the list. */
	pid_t pid = pvf__sandbox_clone_keyed(key, &pidfd, &e);
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		explicit_bzero(&key, sizeof key);
		pvf__sandbox_note(r, PVF_SBF_SECCOMP_ALLOWLIST, false, false, "clone(CLONE_PIDFD): %s",
				  strerror(e));
		return pvf_error_set(err, PVF_E_IO, "sandbox: clone(CLONE_PIDFD): %s", strerror(e));
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	close(pidfd);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t *kp = pvf__map_unforked(page, &g_clone_key_inherited);
	if (!kp) {
		e = errno;
		explicit_bzero(&key, sizeof key);
		pvf__sandbox_note(r, PVF_SBF_SECCOMP_ALLOWLIST, false, false, "clone key page: %s", strerror(e));
		return pvf_error_set(err, PVF_E_NOMEM, "sandbox: clone key page: %s", strerror(e));
	}
	int rc = pvf__seccomp_clone_key(key, detail, sizeof detail);
	if (rc == 0) {
		g_clone_key = kp;
		*g_clone_key = key;
	} else {
		munmap(kp, page);
	}
	explicit_bzero(&key, sizeof key);
	if (rc < 0) {
		pvf__sandbox_note(r, PVF_SBF_SECCOMP_ALLOWLIST, false, false, "clone key: %s", detail);
		return pvf_error_set(err, PVF_E_IO, "sandbox: clone key filter: %s", detail);
	}
	g_clone_keyed = true;
	if (pvf__sandbox_seccomp(PVF__SECCOMP_EXECUTE_WORKER, detail, sizeof detail) < 0) {
		/* Jobs install the allow list themselves, as without this. */
		pvf__sandbox_note(r, PVF_SBF_SECCOMP_ALLOWLIST, false, false, "on the worker: %s", detail);
		return pvf_error_set(err, PVF_E_IO, "sandbox: worker allow list: %s", detail);
	}
	g_worker_locked = true;
	pvf__sandbox_note(r, PVF_SBF_SECCOMP_ALLOWLIST, true, true, "%s", detail);
	return 0;
}

/* Child side of a keyed fork (see pvf_sandbox_fork_job): a lean job of a
 * worker that holds no capability (pvf_sandbox_lock_execute_worker). */
static int keyed_child(pvf_error *err)
{
	/* The key's page is not this process's (unless the advice failed);
	 * its other copies were in registers (x86-64: the clone's fifth
	 * argument, which the prctl below sets to 0), never in memory. */
	if (g_clone_key_inherited)
		explicit_bzero(g_clone_key, sizeof *g_clone_key);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: pdeathsig: %s", strerror(errno));
	g_job_lean = true;
	if (!g_worker_locked) {
		/* The allow list is the job's to install, as without a key. */
		g_job_filter_deferred = true;
		return 0;
	}
	/* Second wall: without the key every clone is killed; with it, the
	 * job could still fork nothing. The hard limit cannot be raised back
	 * without CAP_SYS_RESOURCE. */
	struct rlimit none = { 0, 0 };
	if (setrlimit(RLIMIT_NPROC, &none) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: job RLIMIT_NPROC: %s", strerror(errno));
	g_job_lock_inherited = true;
	return 0;
}

pid_t pvf_sandbox_fork_job(const pvf_sandbox_opts *o, pvf_sandbox_report *r, int *ret_pidfd,
		pvf_error *err)
{
	bool ns = false;
	int e = 0, pidfd = -1;
	char detail[128];
	pid_t pid;
	/* The allow list will go on where the worker's own filter did. */
	bool allow_list = o && o->mode == PVF_SANDBOX_EXECUTE && r && r->f[PVF_SBF_SECCOMP].applied &&
			  pvf__seccomp_compiled(PVF__SECCOMP_EXECUTE_ALLOW);

	if (ret_pidfd)
		*ret_pidfd = -1;
	if (g_clone_keyed) {
		pid = pvf__sandbox_clone_keyed(*g_clone_key, &pidfd, &e);
		if (pid < 0)
			return pvf_error_set(err, PVF_E_IO, "sandbox: fork job: %s", strerror(e));
		if (pid == 0)
			return keyed_child(err) < 0 ? -1 : 0;
		if (ret_pidfd)
			*ret_pidfd = pidfd;
		else
			close(pidfd);
		allow_list = true;
	} else {
		pid = pvf__sandbox_clone_job(allow_list, &ns, &e);
		if (pid < 0) {
			pid = fork();
			if (pid < 0)
				return pvf_error_set(err, PVF_E_IO, "sandbox: fork job: %s", strerror(errno));
		}
	}
	if (pid > 0) {
		/* Noted when it changes, not per job: the report's pages are
		 * shared with the job just forked, and writing them costs a
		 * page copy each time. */
		static const pvf_sandbox_report *noted_r;
		static int noted = -1;
		int now = allow_list ? 2 : ns;
		if (r != noted_r || now != noted) {
			if (allow_list)
				pvf__sandbox_note(r, PVF_SBF_JOB_NS, true, false, "%s",
						"not needed: the allow list refuses every syscall naming another process");
			else if (ns)
				pvf__sandbox_note(r, PVF_SBF_JOB_NS, true, true, "%s",
						"user/pid/ipc/uts/cgroup/mnt");
			else
				pvf__sandbox_note(r, PVF_SBF_JOB_NS, false, false,
						"clone: %s; plain fork", strerror(e));
			noted_r = r;
			noted = now;
		}
		return pid;
	}
	/* Child: die with the worker (it is single-threaded, so "parent thread
	 * exits" is "worker exits"). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: pdeathsig: %s", strerror(errno));
	/* A lean job keeps the bounding set: it only bounds what an execve
	 * could grant, and the allow list kills any execve (without the list,
	 * such a job runs nothing untrusted). In the worker's namespaces it has
	 * the worker's capabilities, none once step 10 applied. */
	if (!(allow_list && r->f[PVF_SBF_CAPS].applied) && pvf__sandbox_drop_caps(!allow_list, &e) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: job caps: %s", strerror(e));
	if (allow_list) {
		/* The allow list comes before any untrusted code runs, and it
		 * refuses every clone: one filter to install instead of two. */
		g_job_filter_deferred = true;
		g_job_lean = true;
		return 0;
	}
	if (pvf__sandbox_seccomp(PVF__SECCOMP_JOB, detail, sizeof detail) < 0 && o && o->secure)
		return pvf_error_set(err, PVF_E_IO, "sandbox: job seccomp: %s", detail);
	return 0;
}

int pvf_sandbox_lock_execute_job(pvf_sandbox_report *r, pvf_error *err)
{
	char detail[128];
	if (g_job_lock_inherited) {
		pvf__sandbox_note(r, PVF_SBF_SECCOMP_ALLOWLIST, true, true, "%s",
				  "allow list, on the worker and its jobs (inherited)");
		return 0;
	}
	if (pvf__sandbox_seccomp(PVF__SECCOMP_EXECUTE_ALLOW, detail, sizeof detail) < 0) {
		pvf__sandbox_note(r, PVF_SBF_SECCOMP_ALLOWLIST, false, false, "%s", detail);
		if (g_job_filter_deferred) {
			/* At least what every job has. */
			char d2[128];
			g_job_filter_deferred = false;
			if (pvf__sandbox_seccomp(PVF__SECCOMP_JOB, d2, sizeof d2) < 0)
				return pvf_error_set(err, PVF_E_IO, "sandbox: allow list: %s; job filter: %s", detail,
						     d2);
		}
		return pvf_error_set(err, PVF_E_IO, "sandbox: allow list: %s", detail);
	}
	g_job_filter_deferred = false;
	pvf__sandbox_note(r, PVF_SBF_SECCOMP_ALLOWLIST, true, true, "%s", detail);
	return 0;
}

bool pvf_sandbox_job_needs_allow_list(void)
{
	return g_job_lean;
}

int pvf_sandbox_kill_job(pid_t pid, int pidfd)
{
	if (pidfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0U);
	return kill(pid, SIGKILL);
}
