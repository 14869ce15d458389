/*
 * sandbox_seccomp.c — seccomp-bpf filters (libseccomp), the LAST sandbox step.
 *
 * Three profiles, stacked (a later filter can only narrow what an earlier
 * one allows; the kernel runs all of them and takes the strictest verdict):
 *
 *   WORKER          default allow; kill the whole process on the deny list
 *                   below. clone3 returns ENOSYS (its flags live in memory
 *                   a filter cannot read; libc falls back to clone, whose
 *                   flags the JOB filter checks). Installed at the end of
 *                   pvf_sandbox_apply_worker().
 *   JOB             on top of WORKER in every job: additionally kill any
 *                   clone() that asks for a new namespace (the worker needed
 *                   that once, to create the job; the job never does).
 *   EXECUTE_ALLOW   on top of both, in an execute job just before untrusted
 *                   code runs: default kill; allow only memory management,
 *                   signal handlers and masks, time, read/write/close on
 *                   descriptors already open, its own resource limits, and
 *                   exit. No open, no exec, no fork, no new descriptors of
 *                   any kind, and no system call that names another process
 *                   (no kill or tgkill; prlimit64 only with pid 0, itself):
 *                   such a job needs no PID or user namespace of its own
 *                   (sandbox_ns.c).
 *   EXECUTE_WORKER  instead of EXECUTE_ALLOW in every job: the execute worker
 *                   installs it on itself once its artifact is loaded, and
 *                   every job inherits it (no install per job). EXECUTE_ALLOW
 *                   plus what the worker's loop needs, none of which reaches
 *                   beyond the caller's own process or descriptors: poll,
 *                   pipe2, wait4/waitid (its own children), close_range,
 *                   timer_create, prctl(PR_SET_PDEATHSIG), recvfrom/sendto
 *                   (its socket), pidfd_send_signal (a job has no pidfd:
 *                   its fork closed every inherited descriptor, and nothing
 *                   on the list makes one but the keyed clone below), and
 *                   clone with exactly CLONE_PIDFD|SIGCHLD. A second, small
 *                   program (pvf__seccomp_clone_key) kills any clone whose
 *                   ignored fifth argument is not the worker's random key;
 *                   a job wipes its copy of the key when it starts and sets
 *                   its RLIMIT_NPROC to 0, so it can fork nothing either way.
 *
 * Kill, not EPERM: a sandboxed process that tries one of these is either
 * compromised or broken; SIGSYS (reported as "job died by signal") is the
 * honest outcome, and it cannot be mistaken for an ordinary failure.
 * Filters are for the native architecture; libseccomp makes every other
 * architecture (i386 via int 0x80, x32) hit the "bad arch" action: kill.
 * Names unknown to this libseccomp/kernel are skipped and counted.
 *
 * The two per-job profiles are compiled to BPF once, in the worker
 * (pvf__seccomp_precompile), and a job installs the program with one
 * seccomp() call: building a filter with libseccomp and loading it took
 * about 0.4 ms per job (docs/performance.md).
 */
#include "worker/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const deny_list[] = {
	/* network and IPC endpoints: the worker's socket is inherited */
	"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
	/* io_uring bypasses this filter for the operations it performs */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* other processes' memory */
	"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise",
	"pidfd_getfd", "kcmp", "move_pages", "migrate_pages",
	/* mounts (pivot_root is used before this filter exists) */
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
	"fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
	/* namespaces (the worker creates job namespaces with clone only) */
	"unshare", "setns",
	/* kernel attack surface / machine state */
	"kexec_load", "kexec_file_load", "bpf", "perf_event_open", "userfaultfd",
	"keyctl", "add_key", "request_key",
	"init_module", "finit_module", "delete_module",
	"open_by_handle_at", "name_to_handle_at", "fanotify_init",
	"swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd", "syslog",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "iopl", "ioperm", "vhangup",
	"lookup_dcookie", "nfsservctl", "uselib", "personality",
};

/* What running an artifact needs once it is loaded (EXECUTE_ALLOW). */
static const char *const execute_allow_list[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close",
	"fstat", "newfstatat",
	"mmap", "munmap", "mprotect", "mremap", "madvise", "brk",
	"rt_sigreturn", "rt_sigaction", "rt_sigprocmask", "sigaltstack",
	"getpid", "gettid",
	"futex", "sched_yield", "restart_syscall",
	"clock_gettime", "clock_getres", "gettimeofday", "nanosleep", "clock_nanosleep",
	"getrusage", "getrandom",
	/* the job's own CPU monitor is re-armed and disarmed (job_limits.c) */
	"timer_settime", "timer_gettime", "timer_delete",
	"exit", "exit_group",
};

/* What the execute worker's own loop needs beyond execute_allow_list, for
 * EXECUTE_WORKER (see the header for why each is harmless in a job). */
static const char *const execute_worker_list[] = {
	"poll", "ppoll", "pipe2", "wait4", "waitid", "close_range", "timer_create",
	"recvfrom", "sendto", "pidfd_send_signal",
};

/* Namespace flags a job's clone() may not ask for (checked one by one:
 * libseccomp has "masked equal" but no "masked not equal"). */
static const unsigned long job_clone_flags[] = {
	CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
	CLONE_NEWUTS, CLONE_NEWCGROUP,
};

static int add_names(scmp_filter_ctx ctx, uint32_t action, const char *const *names,
		size_t n, size_t *skipped)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR) {
			(*skipped)++;
			continue;
		}
		int rc = seccomp_rule_add(ctx, action, nr, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Builds the filter of profile p (not loaded). NULL on failure, with
 * detail set; *count and *skipped get the rule counts. */
static scmp_filter_ctx build(pvf__seccomp_profile p, size_t *count, size_t *skipped, char *detail, size_t cap)
{
	uint32_t def = p == PVF__SECCOMP_EXECUTE_ALLOW || p == PVF__SECCOMP_EXECUTE_WORKER ? SCMP_ACT_KILL_PROCESS :
										 SCMP_ACT_ALLOW;
	int rc = 0;
	scmp_filter_ctx ctx = seccomp_init(def);

	*count = *skipped = 0;
	if (!ctx) {
		snprintf(detail, cap, "seccomp_init failed");
		return NULL;
	}
	/* A binary tree of syscall numbers instead of a list: on install the
	 * kernel converts and JIT-compiles a new filter and then runs it once
	 * per syscall number (to cache which ones are always allowed), so the
	 * install costs in proportion to the program and the path through it. The allow list: 147 -> 85 us per install on
	 * this machine. Older libseccomp without the attribute: a list. */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	switch (p) {
	case PVF__SECCOMP_WORKER:
		*count = sizeof deny_list / sizeof deny_list[0];
		rc = add_names(ctx, SCMP_ACT_KILL_PROCESS, deny_list, *count, skipped);
		if (rc == 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
		break;
	case PVF__SECCOMP_JOB:
		*count = sizeof job_clone_flags / sizeof job_clone_flags[0];
		for (size_t i = 0; rc == 0 && i < *count; i++)
			rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
					SCMP_A0(SCMP_CMP_MASKED_EQ, job_clone_flags[i],
						job_clone_flags[i]));
		break;
	case PVF__SECCOMP_EXECUTE_ALLOW:
	case PVF__SECCOMP_EXECUTE_WORKER:
		*count = sizeof execute_allow_list / sizeof execute_allow_list[0];
		rc = add_names(ctx, SCMP_ACT_ALLOW, execute_allow_list, *count, skipped);
		/* setrlimit/getrlimit on itself (pid 0); any other pid kills. */
		if (rc == 0) {
			const struct scmp_arg_cmp self = { .arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0, .datum_b = 0 };
			rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1, &self);
		}
		(*count)++;
		if (rc == 0 && p == PVF__SECCOMP_EXECUTE_WORKER) {
			size_t n = sizeof execute_worker_list / sizeof execute_worker_list[0];
			const struct scmp_arg_cmp pdeathsig = { .arg = 0, .op = SCMP_CMP_EQ,
								.datum_a = PR_SET_PDEATHSIG, .datum_b = 0 };
			const struct scmp_arg_cmp fork_flags = { .arg = 0, .op = SCMP_CMP_EQ,
								 .datum_a = CLONE_PIDFD | SIGCHLD, .datum_b = 0 };
			rc = add_names(ctx, SCMP_ACT_ALLOW, execute_worker_list, n, skipped);
			if (rc == 0)
				rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, &pdeathsig);
			if (rc == 0)
				rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &fork_flags);
			*count += n + 2;
		}
		break;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc < 0) {
		snprintf(detail, cap, "libseccomp: %s", strerror(-rc));
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static void describe(pvf__seccomp_profile p, size_t count, size_t skipped, char *detail, size_t cap)
{
	snprintf(detail, cap, "%s: %zu rules (%zu unknown names skipped)",
			p == PVF__SECCOMP_WORKER ? "deny list, kill" :
			p == PVF__SECCOMP_JOB ? "job: no namespace clone" :
			p == PVF__SECCOMP_EXECUTE_ALLOW ? "allow list" : "allow list, on the worker and its jobs",
			count - skipped, skipped);
}

/* Per-job profiles compiled in the worker; inherited by every job. */
typedef struct compiled {
	struct sock_filter *insns;
	unsigned short len;
	size_t count, skipped;
	/* describe()'s text, made once: a job that formats it pulls some ten
	 * pages of printf code and tables through page faults. */
	char desc[96];
} compiled;
static compiled g_compiled[PVF__SECCOMP__COUNT];

/* The description into the caller's buffer, without printf. */
static void copy_desc(const compiled *c, char *detail, size_t cap)
{
	size_t n = strlen(c->desc);

	if (!cap)
		return;
	n = n < cap - 1 ? n : cap - 1;
	memcpy(detail, c->desc, n);
	detail[n] = '\0';
}

int pvf__seccomp_precompile(pvf__seccomp_profile p, char *detail, size_t cap)
{
	compiled *c = &g_compiled[p];
	size_t count, skipped, got = 0;
	struct sock_filter *buf = NULL;
	int fds[2], rc;
	scmp_filter_ctx ctx;

	if (c->insns)
		return 0;
	ctx = build(p, &count, &skipped, detail, cap);
	if (!ctx)
		return -1;
	buf = malloc(BPF_MAXINSNS * sizeof(*buf));
	if (!buf || pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(detail, cap, "cannot export the filter: %s", strerror(errno));
		free(buf);
		seccomp_release(ctx);
		return -1;
	}
	/* The program is at most 32 KiB: it fits in the pipe. */
	rc = seccomp_export_bpf(ctx, fds[1]);
	close(fds[1]);
	seccomp_release(ctx);
	while (rc == 0 && got < BPF_MAXINSNS * sizeof(*buf)) {
		ssize_t n = read(fds[0], (char *)buf + got, BPF_MAXINSNS * sizeof(*buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	if (rc < 0 || got == 0 || got % sizeof(*buf) != 0) {
		snprintf(detail, cap, "cannot export the filter: %s", rc < 0 ? strerror(-rc) : "short read");
		free(buf);
		return -1;
	}
	c->insns = buf;
	c->len = (unsigned short)(got / sizeof(*buf));
	c->count = count;
	c->skipped = skipped;
	describe(p, count, skipped, c->desc, sizeof c->desc);
	copy_desc(c, detail, cap);
	return 0;
}

bool pvf__seccomp_compiled(pvf__seccomp_profile p)
{
	return g_compiled[p].insns != NULL;
}

int pvf__sandbox_seccomp(pvf__seccomp_profile p, char *detail, size_t cap)
{
	size_t count, skipped;
	scmp_filter_ctx ctx;
	int rc;

	if (g_compiled[p].insns) {
		/* One system call; no_new_privs was set by step 3. */
		struct sock_fprog prog = { g_compiled[p].len, g_compiled[p].insns };
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
			snprintf(detail, cap, "seccomp: %s", strerror(errno));
			return -errno;
		}
		copy_desc(&g_compiled[p], detail, cap);
		return 0;
	}
	ctx = build(p, &count, &skipped, detail, cap);
	if (!ctx)
		return -EINVAL;
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		snprintf(detail, cap, "libseccomp: %s", strerror(-rc));
		return rc;
	}
	describe(p, count, skipped, detail, cap);
	return 0;
}

/* The audit architecture of the system calls this program makes. */
#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

int pvf__seccomp_clone_key(uint64_t key, char *detail, size_t cap)
{
#ifdef NATIVE_AUDIT_ARCH
	/* Written by hand, not with libseccomp, so that the key is in no
	 * buffer of this process once the program is installed: this one is
	 * on the stack and wiped. Other architectures and system calls are
	 * allowed here and judged by the other filters. The fifth argument is
	 * the one clone ignores without CLONE_SETTLS (x86-64: tls) or
	 * CLONE_CHILD_SETTID/CLEARTID (arm64: child_tid). */
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 0, 6),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)key, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[4]) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(key >> 32), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { sizeof insns / sizeof insns[0], insns };
	int rc = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
	int e = errno;
	explicit_bzero(insns, sizeof insns);
	if (rc < 0) {
		snprintf(detail, cap, "seccomp: %s", strerror(e));
		return -e;
	}
	snprintf(detail, cap, "clone only with the worker's key");
	return 0;
#else
	(void)key;
	snprintf(detail, cap, "not on this architecture");
	return -ENOSYS;
#endif
}

/* Probe (throwaway child): install the worker filter, then check in a
 * grandchild that socket() really kills with SIGSYS. */
int pvf__seccomp_probe(char *detail, size_t cap)
{
	int st = 0;
	if (pvf__sandbox_seccomp(PVF__SECCOMP_WORKER, detail, cap) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(detail, cap, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		(void)socket(AF_INET, SOCK_STREAM, 0);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS) {
		snprintf(detail, cap, "filter loaded but socket() was not killed");
		return -1;
	}
	return 0;
}
