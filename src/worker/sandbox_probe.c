/*
 * sandbox_probe.c — start-up probing of each sandbox feature, one throwaway
 * forked child per feature, so a probe that half-succeeds (a user namespace
 * without mounts, a loaded seccomp filter) never affects the caller or the
 * next probe. The child reports over a close-on-exec pipe: one fixed-size
 * record {int ok; char detail[]}; EOF or a short record means the probe
 * crashed, which is reported as "not available".
 *
 *   caller --fork--> child: run probe fn --write record--> _exit
 *      \<--------------------- read record, waitpid ------/
 *
 * pvf_sandbox_print_table() prints the result (and a worker's report) as the
 * "feature available applied detail" table of `pvfhost security`.
 */
#include "worker/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct probe_record {
	int ok;                 /* >= 0 available */
	char detail[128];
};

typedef int (*probe_fn)(char *detail, size_t cap);

static int probe_env(char *d, size_t cap)
{
	snprintf(d, cap, "clearenv()");
	return 0;
}

static int probe_close_fds(char *d, size_t cap)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(d, cap, "open /dev/null: %s", strerror(errno));
		return -1;
	}
	if (syscall(SYS_close_range, (unsigned)fd, (unsigned)fd, 0U) < 0) {
		snprintf(d, cap, "close_range: %s (loop fallback)", strerror(errno));
		return 0;
	}
	snprintf(d, cap, "close_range");
	return 0;
}

static int probe_nnp(char *d, size_t cap)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		snprintf(d, cap, "%s", strerror(errno));
		return -1;
	}
	snprintf(d, cap, "PR_SET_NO_NEW_PRIVS");
	return 0;
}

static int probe_core(char *d, size_t cap)
{
	struct rlimit rl = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &rl) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		snprintf(d, cap, "%s", strerror(errno));
		return -1;
	}
	snprintf(d, cap, "RLIMIT_CORE + PR_SET_DUMPABLE");
	return 0;
}

static int probe_drop_root(char *d, size_t cap)
{
	if (geteuid() != 0) {
		snprintf(d, cap, "not root (uid %u): nothing to drop", (unsigned)geteuid());
		return 0;
	}
	if (setresgid(PVF_SANDBOX_DEFAULT_GID, PVF_SANDBOX_DEFAULT_GID,
			PVF_SANDBOX_DEFAULT_GID) < 0 ||
	    setresuid(PVF_SANDBOX_DEFAULT_UID, PVF_SANDBOX_DEFAULT_UID,
			PVF_SANDBOX_DEFAULT_UID) < 0) {
		snprintf(d, cap, "setresuid: %s", strerror(errno));
		return -1;
	}
	snprintf(d, cap, "root -> uid %u", PVF_SANDBOX_DEFAULT_UID);
	return 0;
}

static int probe_caps(char *d, size_t cap)
{
	int e = 0;
	if (pvf__sandbox_drop_caps(true, &e) < 0) {
		snprintf(d, cap, "capset: %s", strerror(e));
		return -1;
	}
	snprintf(d, cap, "capset to empty");
	return 0;
}

static int probe_rlimits(char *d, size_t cap)
{
	struct rlimit rl = { 64, 64 };
	if (setrlimit(RLIMIT_NPROC, &rl) < 0) {
		snprintf(d, cap, "setrlimit: %s", strerror(errno));
		return -1;
	}
	snprintf(d, cap, geteuid() == 0 ? "NPROC not enforced for root: drop-root needed"
			: "NPROC/NOFILE/FSIZE");
	return 0;
}

static int probe_landlock_net(char *d, size_t cap)
{
	int abi = pvf__landlock_abi();
	snprintf(d, cap, abi >= 4 ? "ABI %d >= 4" : "needs ABI 4, have %d", abi);
	return abi >= 4 ? 0 : -1;
}

static int probe_landlock_scope(char *d, size_t cap)
{
	int abi = pvf__landlock_abi();
	snprintf(d, cap, abi >= 6 ? "ABI %d >= 6" : "needs ABI 6, have %d", abi);
	return abi >= 6 ? 0 : -1;
}

static int probe_allowlist(char *d, size_t cap)
{
	int st = 0;
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(d, cap, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char x[128];
		if (pvf__sandbox_seccomp(PVF__SECCOMP_EXECUTE_ALLOW, x, sizeof x) < 0)
			_exit(2);
		(void)syscall(SYS_getppid);  /* not on the list: must kill */
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS) {
		snprintf(d, cap, "allow list did not kill a listed-out syscall");
		return -1;
	}
	snprintf(d, cap, "default kill verified");
	return 0;
}

static const probe_fn probes[PVF_SBF__COUNT] = {
	[PVF_SBF_ENV] = probe_env,
	[PVF_SBF_CLOSE_FDS] = probe_close_fds,
	[PVF_SBF_NO_NEW_PRIVS] = probe_nnp,
	[PVF_SBF_NO_CORE] = probe_core,
	[PVF_SBF_DROP_ROOT] = probe_drop_root,
	[PVF_SBF_USERNS] = pvf__sandbox_probe_userns,
	[PVF_SBF_MOUNTNS] = pvf__sandbox_probe_userns,
	[PVF_SBF_PIVOT_ROOT] = pvf__sandbox_probe_pivot,
	[PVF_SBF_CAPS] = probe_caps,
	[PVF_SBF_RLIMITS] = probe_rlimits,
	[PVF_SBF_LANDLOCK] = pvf__landlock_probe,
	[PVF_SBF_LANDLOCK_NET] = probe_landlock_net,
	[PVF_SBF_LANDLOCK_SCOPE] = probe_landlock_scope,
	[PVF_SBF_SECCOMP] = pvf__seccomp_probe,
	[PVF_SBF_JOB_NS] = pvf__sandbox_probe_jobns,
	[PVF_SBF_SECCOMP_ALLOWLIST] = probe_allowlist,
};

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (int)got;
}

static int run_probe(probe_fn fn, pvf_sandbox_feature *f, pvf_error *err)
{
	int p[2], st = 0;
	struct probe_record rec;
	if (pipe2(p, O_CLOEXEC) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox probe: pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return pvf_error_set(err, PVF_E_IO, "sandbox probe: fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(p[0]);
		memset(&rec, 0, sizeof rec);
		rec.ok = fn(rec.detail, sizeof rec.detail);
		ssize_t w = write(p[1], &rec, sizeof rec);
		_exit(w == (ssize_t)sizeof rec ? 0 : 1);
	}
	close(p[1]);
	memset(&rec, 0, sizeof rec);
	int got = read_full(p[0], &rec, sizeof rec);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	f->applied = false;
	if (got != (int)sizeof rec) {
		f->available = false;
		if (WIFSIGNALED(st))
			snprintf(f->detail, sizeof f->detail, "probe killed by signal %d",
					WTERMSIG(st));
		else
			snprintf(f->detail, sizeof f->detail, "probe sent no result");
		return 0;
	}
	rec.detail[sizeof rec.detail - 1] = '\0';   /* never trust the child */
	f->available = rec.ok >= 0;
	snprintf(f->detail, sizeof f->detail, "%s", rec.detail);
	return 0;
}

int pvf_sandbox_probe(pvf_sandbox_feature *out, size_t cap, size_t *n, pvf_error *err)
{
	if (!out || !n || cap < PVF_SBF__COUNT)
		return pvf_error_set(err, PVF_E_USAGE, "sandbox probe: need %d entries",
				(int)PVF_SBF__COUNT);
	for (int i = 0; i < PVF_SBF__COUNT; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].name = pvf_sandbox_feature_name((pvf_sandbox_feature_id)i);
		if (run_probe(probes[i], &out[i], err) < 0)
			return -1;
	}
	*n = PVF_SBF__COUNT;
	return 0;
}

int pvf_sandbox_print_table(int fd, const pvf_sandbox_feature *f, size_t n)
{
	if (dprintf(fd, "%-18s %-9s %-7s %s\n", "feature", "available", "applied",
			"detail") < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (dprintf(fd, "%-18s %-9s %-7s %s\n", f[i].name ? f[i].name : "?",
				f[i].available ? "yes" : "no", f[i].applied ? "yes" : "no",
				f[i].detail) < 0)
			return -1;
	return 0;
}
