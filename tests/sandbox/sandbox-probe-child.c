/*
 * sandbox-probe-child.c — test-only program: applies the worker sandbox and
 * then tries every escape issue 4 lists, printing one line per attempt.
 *
 *   sandbox-probe-child probe
 *       prints the feature table of pvf_sandbox_probe()
 *   sandbox-probe-child prepare|execute DIR OUTSIDE [--secure] [--no-pivot]
 *       DIR      the worker directory (absolute)
 *       OUTSIDE  an existing world-writable file outside DIR, in a
 *                world-writable directory (so only the sandbox can stop
 *                reading, writing and creating there)
 *
 * Output (stdout, line-buffered; parsed by tests/unit/test_sandbox.c):
 *   FEATURE <name> <available 0|1> <applied 0|1> <detail>
 *   ATTEMPT <ctx>/<name>: blocked (<how>)   |   ATTEMPT <ctx>/<name>: ALLOWED (<how>)
 *   CHECK <name>: ok (<detail>)             |   CHECK <name>: FAILED (<detail>)
 *   SANDBOX-ERROR <message>                 (then exit 2)
 *   DONE
 *
 * Contexts: "worker" (the sandboxed worker itself), "job" (a process from
 * pvf_sandbox_fork_job(), where untrusted input is handled in prepare mode;
 * an execute job installs its allow list before it touches any, and its
 * fork leaves out the job filter that list replaces) and, in execute mode,
 * "locked" (a job after pvf_sandbox_lock_execute_job()) and, last,
 * "worker-locked" (a job of a worker that took the allow list on itself,
 * pvf_sandbox_lock_execute_worker(), as the execute worker does). Each attempt
 * runs in its own forked child, so a seccomp kill (SIGSYS) ends only that
 * attempt and is reported as "blocked (killed by SIGSYS)".
 *
 * Attempts marked "kill only" are counted as blocked only when the process
 * was killed: they use arguments the kernel would reject anyway, so an error
 * return means the call reached the kernel (the deny list failed).
 */
#include "worker/sandbox.h"

#include "elf_fixture.h"
#include "engine/artifact_format.h"
#include "engine/elf_load.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

/* LeakSanitizer stops the world with ptrace at exit: the sandbox kills that. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

#define ATTEMPT_TIMEOUT_S 20
/* Forks a fork bomb tries before it is declared unstoppable. */
#define FORK_BOMB_TRIES 4096
#define HOW_MAX 120

static pid_t g_host_pid;
static const char *g_outside;
static char g_outside_dir[512];
static const char *g_work;          /* the worker dir as the sandbox sees it */
static pvf_sandbox_mode g_mode;
static bool g_pivoted;
static int g_memfd = -1;
static const uint8_t *g_img;
static size_t g_img_len;
static const char *g_ctx = "worker";
static bool g_lock;                 /* apply the allow list before the attempt */
static bool g_locked_ctx;           /* the attempt runs under an allow list */
static pvf_sandbox_opts g_opts;     /* for attempts forked as jobs */
static pvf_sandbox_report g_report;
static bool g_fork_as_job;          /* attempts are jobs of a locked worker */

typedef struct {
	int rc;           /* -1 blocked, 0 allowed */
	char how[HOW_MAX];
} result;

typedef void (*attempt_fn)(result *res);

static void res_errno(result *res, long rc, const char *call)
{
	if (rc < 0) {
		res->rc = -1;
		snprintf(res->how, sizeof res->how, "%s: %s", call, strerror(errno));
	} else {
		res->rc = 0;
		snprintf(res->how, sizeof res->how, "%s returned %ld", call, rc);
	}
}

/* ---- the attempts ---------------------------------------------------- */

static void at_read_outside(result *res)
{
	res_errno(res, open(g_outside, O_RDONLY | O_CLOEXEC), "open(outside, RDONLY)");
}

static void at_write_outside(result *res)
{
	res_errno(res, open(g_outside, O_WRONLY | O_CLOEXEC), "open(outside, WRONLY)");
}

static void at_create_outside(result *res)
{
	char p[600];
	snprintf(p, sizeof p, "%s/created-by-sandboxed-%d", g_outside_dir, (int)getpid());
	res_errno(res, open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644),
			"open(outside dir, CREAT)");
}

static void at_read_passwd(result *res)
{
	res_errno(res, open("/etc/passwd", O_RDONLY | O_CLOEXEC), "open(/etc/passwd)");
}

static void at_write_system(result *res)
{
	res_errno(res, open("/usr/lib/pvf-sandbox-escape", O_WRONLY | O_CREAT | O_CLOEXEC, 0644),
			"open(/usr/lib/x, CREAT)");
}

static void at_write_own_dir_execute(result *res)
{
	char p[600];
	snprintf(p, sizeof p, "%s/written-by-execute", g_work);
	res_errno(res, open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644), "open(work/x, CREAT)");
}

static void at_read_parent_mem(result *res)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/mem", (int)g_host_pid);
	res_errno(res, open(p, O_RDONLY | O_CLOEXEC), "open(/proc/parent/mem)");
}

static void at_exec_self(result *res)
{
	char *argv[] = { (char *)"x", NULL }, *envp[] = { NULL };
	res_errno(res, execve("/proc/self/exe", argv, envp), "execve(/proc/self/exe)");
}

static void at_exec_shell(result *res)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)"exit 0", NULL }, *envp[] = { NULL };
	res_errno(res, execve("/bin/sh", argv, envp), "execve(/bin/sh)");
}

/* Copies /usr/bin/true into the worker dir and tries to run the copy. */
static void at_exec_written(result *res)
{
	char p[600], buf[65536];
	snprintf(p, sizeof p, "%s/copied-true-%d", g_work, (int)getpid());
	int in = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
	int out = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (in < 0 || out < 0) {
		res_errno(res, -1, "copy /usr/bin/true into work");
		return;
	}
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(in);
	close(out);
	char *argv[] = { (char *)"true", NULL }, *envp[] = { NULL };
	res_errno(res, execve(p, argv, envp), "execve(work/copy of true)");
}

static void at_socket_inet(result *res)
{
	res_errno(res, socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket(AF_INET)");
}

static void at_socket_inet6(result *res)
{
	res_errno(res, socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket(AF_INET6)");
}

static void at_socket_unix(result *res)
{
	res_errno(res, socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket(AF_UNIX)");
}

static void at_socket_abstract(result *res)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		res_errno(res, -1, "socket(AF_UNIX)");
		return;
	}
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, "\0pvf-sandbox-escape", 20);
	res_errno(res, bind(s, (struct sockaddr *)&a, sizeof(sa_family_t) + 20),
			"bind(abstract)");
}

static void at_socketpair(result *res)
{
	int sv[2];
	res_errno(res, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), "socketpair");
}

static void at_socket_netlink(result *res)
{
	res_errno(res, socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0), "socket(AF_NETLINK)");
}

static void at_io_uring(result *res)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	res_errno(res, syscall(SYS_io_uring_setup, 4, &p), "io_uring_setup");
}

static void at_ptrace_parent(result *res)
{
	res_errno(res, ptrace(PTRACE_ATTACH, g_host_pid, NULL, NULL), "ptrace(ATTACH, parent)");
}

static void at_process_vm_readv(result *res)
{
	char buf[8];
	struct iovec l = { buf, sizeof buf }, r = { (void *)0x400000, sizeof buf };
	res_errno(res, process_vm_readv(g_host_pid, &l, 1, &r, 1, 0), "process_vm_readv(parent)");
}

static void at_signal_parent(result *res)
{
	res_errno(res, kill(g_host_pid, 0), "kill(parent, 0)");
}

static void at_fork_bomb(result *res)
{
	static pid_t kids[FORK_BOMB_TRIES];
	int n = 0, e = 0;
	for (; n < FORK_BOMB_TRIES; n++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			e = errno;
			break;
		}
		kids[n] = p;
	}
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	if (n < FORK_BOMB_TRIES) {
		res->rc = -1;
		snprintf(res->how, sizeof res->how, "fork #%d: %s", n + 1, strerror(e));
	} else {
		res->rc = 0;
		snprintf(res->how, sizeof res->how, "%d forks succeeded", n);
	}
}

static void raise_limit(result *res, int resource, const char *name)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) < 0) {
		res_errno(res, -1, "getrlimit");
		return;
	}
	rl.rlim_max = rl.rlim_max == RLIM_INFINITY ? RLIM_INFINITY : rl.rlim_max + 1000;
	rl.rlim_cur = rl.rlim_max;
	res_errno(res, setrlimit(resource, &rl), name);
}

static void at_raise_nproc(result *res)
{
	raise_limit(res, RLIMIT_NPROC, "setrlimit(NPROC, hard+1000)");
}

static void at_raise_nofile(result *res)
{
	raise_limit(res, RLIMIT_NOFILE, "setrlimit(NOFILE, hard+1000)");
}

static void at_raise_core(result *res)
{
	raise_limit(res, RLIMIT_CORE, "setrlimit(CORE, hard+1000)");
}

static void at_mount(result *res)
{
	res_errno(res, mount("tmpfs", g_work, "tmpfs", 0, NULL), "mount(tmpfs on work)");
}

static void at_remount_rw(result *res)
{
	res_errno(res, mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL), "mount(remount / rw)");
}

static void at_umount(result *res)
{
	res_errno(res, umount2(g_work, MNT_DETACH), "umount2(work)");
}

static void at_pivot_root(result *res)
{
	res_errno(res, syscall(SYS_pivot_root, "/", "/"), "pivot_root");
}

static void at_chroot(result *res)
{
	res_errno(res, chroot("/"), "chroot");
}

static void at_unshare_user(result *res)
{
	res_errno(res, unshare(CLONE_NEWUSER), "unshare(NEWUSER)");
}

static void at_unshare_net(result *res)
{
	res_errno(res, unshare(CLONE_NEWNET), "unshare(NEWNET)");
}

static void at_setns(result *res)
{
	res_errno(res, setns(-1, 0), "setns");
}

/* After a fork-like call: the child leaves at once, the parent reaps it and
 * records the call's outcome. */
static void forked_result(result *res, long p, const char *call)
{
	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid((pid_t)p, NULL, 0);
	res_errno(res, p, call);
}

static void at_clone_newuser(result *res)
{
	forked_result(res, syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, 0UL),
		      "clone(NEWUSER)");
}

/* "kill only" attempts: bad arguments, only SIGSYS counts. */
static void at_bpf(result *res)
{
	res_errno(res, syscall(SYS_bpf, -1, NULL, 0), "bpf");
}

static void at_perf_event_open(result *res)
{
	res_errno(res, syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), "perf_event_open");
}

static void at_keyctl(result *res)
{
	res_errno(res, syscall(SYS_keyctl, -1, 0, 0, 0, 0), "keyctl");
}

static void at_add_key(result *res)
{
	res_errno(res, syscall(SYS_add_key, NULL, NULL, NULL, 0, 0), "add_key");
}

static void at_kexec_load(result *res)
{
	res_errno(res, syscall(SYS_kexec_load, 0, 0, NULL, -1UL), "kexec_load");
}

static void at_init_module(result *res)
{
	res_errno(res, syscall(SYS_init_module, NULL, 0, ""), "init_module");
}

static void at_finit_module(result *res)
{
	res_errno(res, syscall(SYS_finit_module, -1, "", 0), "finit_module");
}

static void at_userfaultfd(result *res)
{
	res_errno(res, syscall(SYS_userfaultfd, -1), "userfaultfd");
}

static void at_open_by_handle(result *res)
{
	res_errno(res, syscall(SYS_open_by_handle_at, -1, NULL, 0), "open_by_handle_at");
}

static void at_io_uring_enter(result *res)
{
	res_errno(res, syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0), "io_uring_enter");
}

/* Execute-job only (locked context): things the allow list must stop. */
static void at_open_any(result *res)
{
	res_errno(res, open(g_work, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open(work)");
}

static void at_fork_once(result *res)
{
	forked_result(res, syscall(SYS_fork), "fork");
}

/* A lean execute job shares the worker's PID namespace: the allow list
 * must refuse every syscall that names another process. */
static void at_tgkill_parent(result *res)
{
	res_errno(res, syscall(SYS_tgkill, g_host_pid, g_host_pid, 0), "tgkill(parent, 0)");
}

static void at_prlimit_parent(result *res)
{
	struct rlimit old;
	res_errno(res, syscall(SYS_prlimit64, g_host_pid, RLIMIT_NOFILE, NULL, &old), "prlimit64(parent)");
}

static void at_memfd(result *res)
{
	res_errno(res, syscall(SYS_memfd_create, "x", 0U), "memfd_create");
}

/* The clone a locked execute worker makes for its jobs, flags and all, but
 * without the worker's key. */
static void at_clone_keyless(result *res)
{
	int pidfd = -1;
	forked_result(res, syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, 0UL),
		      "clone(CLONE_PIDFD|SIGCHLD)");
}

static void at_kill_parent(result *res)
{
	res_errno(res, kill(g_host_pid, 0), "kill(parent, 0)");
}

static void at_pidfd_open_parent(result *res)
{
	res_errno(res, syscall(SYS_pidfd_open, g_host_pid, 0U), "pidfd_open(parent)");
}

enum { ANY = 0, KILL_ONLY = 1, PREP = 2, EXEC = 4, NOT_WORKER = 8, LOCKED_ONLY = 16 };

static const struct attempt {
	const char *name;
	attempt_fn fn;
	int flags;
} attempts[] = {
	{ "read-outside", at_read_outside, ANY },
	{ "write-outside", at_write_outside, ANY },
	{ "create-outside", at_create_outside, ANY },
	{ "read-etc-passwd", at_read_passwd, ANY },
	{ "write-system-dir", at_write_system, ANY },
	{ "write-own-dir-execute", at_write_own_dir_execute, EXEC },
	{ "read-parent-memory", at_read_parent_mem, ANY },
	{ "exec-self", at_exec_self, ANY },
	{ "exec-shell", at_exec_shell, EXEC },
	{ "exec-written-file", at_exec_written, PREP },
	{ "socket-inet", at_socket_inet, ANY },
	{ "socket-inet6", at_socket_inet6, ANY },
	{ "socket-unix", at_socket_unix, ANY },
	{ "socket-unix-abstract", at_socket_abstract, ANY },
	{ "socketpair", at_socketpair, ANY },
	{ "socket-netlink", at_socket_netlink, ANY },
	{ "io-uring-setup", at_io_uring, KILL_ONLY },
	{ "io-uring-enter", at_io_uring_enter, KILL_ONLY },
	{ "ptrace-parent", at_ptrace_parent, ANY },
	{ "process-vm-readv-parent", at_process_vm_readv, ANY },
	{ "signal-parent", at_signal_parent, ANY },
	{ "fork-bomb", at_fork_bomb, ANY },
	{ "raise-rlimit-nproc", at_raise_nproc, ANY },
	{ "raise-rlimit-nofile", at_raise_nofile, ANY },
	{ "raise-rlimit-core", at_raise_core, ANY },
	{ "mount", at_mount, ANY },
	{ "remount-root-rw", at_remount_rw, ANY },
	{ "umount", at_umount, ANY },
	{ "pivot-root", at_pivot_root, ANY },
	{ "chroot", at_chroot, ANY },
	{ "unshare-user", at_unshare_user, ANY },
	{ "unshare-net", at_unshare_net, ANY },
	{ "setns", at_setns, KILL_ONLY },
	{ "clone-newuser", at_clone_newuser, NOT_WORKER },
	{ "bpf", at_bpf, KILL_ONLY },
	{ "perf-event-open", at_perf_event_open, KILL_ONLY },
	{ "keyctl", at_keyctl, KILL_ONLY },
	{ "add-key", at_add_key, KILL_ONLY },
	{ "kexec-load", at_kexec_load, KILL_ONLY },
	{ "init-module", at_init_module, KILL_ONLY },
	{ "finit-module", at_finit_module, KILL_ONLY },
	{ "userfaultfd", at_userfaultfd, KILL_ONLY },
	{ "open-by-handle-at", at_open_by_handle, KILL_ONLY },
	{ "open-file", at_open_any, LOCKED_ONLY | KILL_ONLY },
	{ "tgkill-parent", at_tgkill_parent, LOCKED_ONLY | KILL_ONLY },
	{ "prlimit-parent", at_prlimit_parent, LOCKED_ONLY | KILL_ONLY },
	{ "fork", at_fork_once, LOCKED_ONLY | KILL_ONLY },
	{ "memfd-create", at_memfd, LOCKED_ONLY | KILL_ONLY },
	{ "clone-keyless", at_clone_keyless, LOCKED_ONLY | KILL_ONLY },
	{ "kill-parent", at_kill_parent, LOCKED_ONLY | KILL_ONLY },
	{ "pidfd-open-parent", at_pidfd_open_parent, LOCKED_ONLY | KILL_ONLY },
};

static void run_attempt(const struct attempt *a)
{
	int p[2], st = 0;
	result res;
	if (pipe2(p, O_CLOEXEC) < 0) {
		printf("ATTEMPT %s/%s: ALLOWED (runner: pipe failed)\n", g_ctx, a->name);
		return;
	}
	pvf_error err;
	int pidfd = -1;
	/* A locked worker forks its jobs the one way its allow list lets it. */
	pid_t pid = g_fork_as_job ? pvf_sandbox_fork_job(&g_opts, &g_report, &pidfd, &err) : fork();
	if (pid < 0) {
		printf("ATTEMPT %s/%s: ALLOWED (runner: fork failed: %s)\n", g_ctx, a->name,
				g_fork_as_job ? err.msg : strerror(errno));
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		/* alarm() is not on a locked worker's list; nothing there waits. */
		if (!g_fork_as_job)
			alarm(ATTEMPT_TIMEOUT_S);
		if (g_lock && pvf_sandbox_lock_execute_job(NULL, NULL) < 0)
			_exit(3);
		memset(&res, 0, sizeof res);
		a->fn(&res);
		if (write(p[1], &res, sizeof res) != (ssize_t)sizeof res)
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	memset(&res, 0, sizeof res);
	ssize_t n = read(p[0], &res, sizeof res);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	res.how[HOW_MAX - 1] = '\0';
	if (n == (ssize_t)sizeof res) {
		bool blocked = res.rc < 0 && !(a->flags & KILL_ONLY);
		printf("ATTEMPT %s/%s: %s (%s%s)\n", g_ctx, a->name, blocked ? "blocked" : "ALLOWED",
				res.how, !blocked && res.rc < 0 ? "; reached the kernel" : "");
	} else if (WIFSIGNALED(st)) {
		printf("ATTEMPT %s/%s: blocked (killed by %s)\n", g_ctx, a->name,
				WTERMSIG(st) == SIGSYS ? "SIGSYS: seccomp" : strsignal(WTERMSIG(st)));
	} else {
		printf("ATTEMPT %s/%s: ALLOWED (attempt child exited %d without a result)\n",
				g_ctx, a->name, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	fflush(stdout);
}

static void run_all(bool job)
{
	for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
		const struct attempt *a = &attempts[i];
		if ((a->flags & PREP) && g_mode != PVF_SANDBOX_PREPARE)
			continue;
		if ((a->flags & EXEC) && g_mode != PVF_SANDBOX_EXECUTE)
			continue;
		if ((a->flags & NOT_WORKER) && !job)
			continue;
		if ((a->flags & LOCKED_ONLY) && !g_locked_ctx)
			continue;
		run_attempt(a);
	}
}

/* ---- functional checks: the sandbox must still let a worker work ------- */

static void check(const char *name, bool ok, const char *detail)
{
	printf("CHECK %s: %s (%s)\n", name, ok ? "ok" : "FAILED", detail);
	fflush(stdout);
}

static int run_tool(char *const argv[])
{
	char tmpenv[600];
	snprintf(tmpenv, sizeof tmpenv, "TMPDIR=%s", g_pivoted ? "/tmp" : g_work);
	char *envp[] = { (char *)"PATH=/usr/bin:/bin", tmpenv, NULL };
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (nul >= 0)
			dup2(nul, 1);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void checks_prepare(void)
{
	char src[600], obj[600], msg[128];
	snprintf(src, sizeof src, "%s/probe.c", g_work);
	snprintf(obj, sizeof obj, "%s/probe.o", g_work);
	FILE *f = fopen(src, "w");
	check("write-own-dir", f != NULL, f ? "created work/probe.c" : strerror(errno));
	if (!f)
		return;
	fputs("int pvf_probe(int x) { return x * 6 + 1; }\n", f);
	fclose(f);
	char *cc[] = { (char *)"/usr/bin/cc", (char *)"-O1", (char *)"-c", src, (char *)"-o", obj,
		NULL };
	int rc = run_tool(cc);
	struct stat st;
	bool ok = rc == 0 && stat(obj, &st) == 0 && st.st_size > 0;
	snprintf(msg, sizeof msg, "cc -c exit %d", rc);
	check("compile", ok, msg);
	char *w2c[] = { (char *)"/usr/bin/wasm2c", (char *)"--version", NULL };
	rc = run_tool(w2c);
	snprintf(msg, sizeof msg, "wasm2c --version exit %d", rc);
	check("wasm2c-runs", rc == 0, msg);
}

/* What the fixture object calls outside itself (elf_fixture.h). */
int fixture_import(int x)
{
	return 2 * x;
}

/* Maps the memfd copy of an artifact-shaped object with the artifact loader,
 * as the execute worker maps an artifact, and calls into it. */
static void checks_execute_job(void)
{
	static const pvf_elf_symbol syms[] = { { "fixture_import", (void *)fixture_import } };
	static const pvf_elf_symtab table = { syms, 1 };
	pvf_elf_loaded l;
	pvf_error err;
	char msg[PVF_ERROR_MSG_MAX + 32];

	if (pvf__elf_load(g_img, g_img_len, g_memfd, &table, "fixture_table", &l, &err) < 0) {
		check("load-memfd", false, err.msg);
		return;
	}
	const struct fixture_table *t = l.export_addr;
	int got = t->call(20);
	snprintf(msg, sizeof msg, "call(20) = %d", got);
	check("load-memfd", got == 41, msg);
	/* Call into it again under the allow list, in a child. */
	pid_t pid = fork();
	if (pid == 0) {
		if (pvf_sandbox_lock_execute_job(NULL, NULL) < 0)
			_exit(3);
		_exit(t->call(1) == 3 ? 0 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	snprintf(msg, sizeof msg, "status 0x%x", st);
	check("call-under-allowlist", WIFEXITED(st) && WEXITSTATUS(st) == 0, msg);
}

/* Which namespaces a job has of its own: all six (user, PID: PID 1 of its
 * own, IPC, UTS, cgroup, mount), except an execute job that runs under the
 * allow list, which has none and shares the worker's. */
static const char *const ns_names[] = { "user", "pid", "ipc", "uts", "cgroup", "mnt" };
#define NNS (sizeof ns_names / sizeof ns_names[0])
static char g_worker_ns[NNS][64];

static void read_ns(char out[NNS][64])
{
	for (size_t i = 0; i < NNS; i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/ns/%s", ns_names[i]);
		ssize_t k = readlink(path, out[i], 63);
		out[i][k > 0 ? k : 0] = '\0';
	}
}

static void check_job_namespaces(bool lean)
{
	char mine[NNS][64], msg[200];
	size_t off = 0;
	bool ok = true, seen = false;
	read_ns(mine);
	for (size_t i = 0; i < NNS; i++) {
		if (!g_worker_ns[i][0] || !mine[i][0])
			continue;       /* no /proc in this root */
		seen = true;
		bool own = strcmp(g_worker_ns[i], mine[i]) != 0;
		bool want = !lean;
		ok = ok && own == want;
		off += (size_t)snprintf(msg + off, sizeof msg - off, "%s%s %s", off ? ", " : "",
				ns_names[i], own ? "own" : "shared");
		if (off >= sizeof msg)
			break;
	}
	if (seen)
		check("job-namespaces", ok, msg);
	else
		check("job-namespaces", true, "no /proc to compare with");
}

/* A job holds no capability; a job that may execve (prepare: the compiler)
 * has an empty bounding set as well. */
static void check_job_caps(bool may_exec)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	char msg[128];
	memset(data, 0xff, sizeof data);
	bool none = syscall(SYS_capget, &hdr, data) == 0;
	for (int i = 0; none && i < _LINUX_CAPABILITY_U32S_3; i++)
		none = !data[i].effective && !data[i].permitted && !data[i].inheritable;
	int bset = 0;
	for (int cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (in < 0)
			break;
		bset += in;
	}
	snprintf(msg, sizeof msg, "effective/permitted/inheritable %s, %d in the bounding set",
			none ? "empty" : "NOT empty", bset);
	check("job-capabilities", none && !(may_exec && bset), msg);
}

/* The worker takes the allow list on itself, as the execute worker does
 * once its artifact is loaded; every attempt is then one of its jobs
 * ("worker-locked"), which must need no install of its own, have no way to
 * fork (RLIMIT_NPROC 0), hold no copy of the worker's clone key, and be
 * killed by every locked attempt. */
static void locked_worker(const pvf_sandbox_opts *o, pvf_sandbox_report *r)
{
	pvf_error err;
	char msg[200];
	int pidfd = -1;

	if (pvf_sandbox_lock_execute_worker(o, r, &err) < 0) {
		check("worker-locked", false, err.msg);
		return;
	}
	check("worker-locked", true, r->f[PVF_SBF_SECCOMP_ALLOWLIST].detail);
	g_opts = *o;
	g_report = *r;
	pid_t job = pvf_sandbox_fork_job(&g_opts, &g_report, &pidfd, &err);
	if (job < 0) {
		check("locked-job", false, err.msg);
		return;
	}
	if (job == 0) {
		pvf_sandbox_report jr;
		pvf_error e2;
		struct rlimit rl = { 1, 1 };
		memset(&jr, 0, sizeof jr);
		bool inherited = pvf_sandbox_lock_execute_job(&jr, &e2) == 0 &&
				 strstr(jr.f[PVF_SBF_SECCOMP_ALLOWLIST].detail, "inherited") != NULL;
		check("locked-job-inherits", inherited, jr.f[PVF_SBF_SECCOMP_ALLOWLIST].detail);
		bool got = getrlimit(RLIMIT_NPROC, &rl) == 0;
		snprintf(msg, sizeof msg, "RLIMIT_NPROC %llu/%llu", (unsigned long long)rl.rlim_cur,
			 (unsigned long long)rl.rlim_max);
		check("locked-job-nproc", got && rl.rlim_cur == 0 && rl.rlim_max == 0, msg);
		/* The worker's clone key is in a page the job does not have:
		 * advice on an unmapped range fails with ENOMEM. */
		const void *kp = pvf__sandbox_clone_key_page();
		int ke = 0;
		if (kp && madvise((void *)kp, (size_t)sysconf(_SC_PAGESIZE), MADV_NORMAL) < 0)
			ke = errno;
		snprintf(msg, sizeof msg, "key page %p: %s", kp, ke ? strerror(ke) : "mapped");
		check("locked-job-no-key", kp && ke == ENOMEM, msg);
		fflush(stdout);
		_exit(0);
	}
	int st = 0;
	while (waitpid(job, &st, 0) < 0 && errno == EINTR)
		;
	snprintf(msg, sizeof msg, "status 0x%x, pidfd %d", st, pidfd);
	check("locked-job-exit", WIFEXITED(st) && WEXITSTATUS(st) == 0 && pidfd >= 0, msg);
	if (pidfd >= 0)
		close(pidfd);
	g_ctx = "worker-locked";
	g_lock = false;
	g_locked_ctx = g_fork_as_job = true;
	run_all(true);
}

/* Copies the fixture object (tests/elf) into a memfd and keeps its bytes,
 * before the sandbox hides the build tree. */
static int load_memfd(void)
{
	uint8_t *img;
	pvf_error err;
	if (pvf__read_file(ELF_FIXTURE, 1u << 20, &img, &g_img_len, &err) < 0)
		return -1;
	g_img = img;
	int fd = (int)syscall(SYS_memfd_create, "pvf-artifact", 0U); /* not CLOEXEC: kept */
	if (fd < 0 || write(fd, img, g_img_len) != (ssize_t)g_img_len)
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "probe") == 0) {
		pvf_sandbox_feature f[PVF_SBF__COUNT];
		size_t n = 0;
		pvf_error err;
		if (pvf_sandbox_probe(f, PVF_SBF__COUNT, &n, &err) < 0) {
			printf("SANDBOX-ERROR %s\n", err.msg);
			return 2;
		}
		pvf_sandbox_print_table(1, f, n);
		return 0;
	}
	if (argc < 4 || (strcmp(argv[1], "prepare") && strcmp(argv[1], "execute"))) {
		fprintf(stderr, "usage: %s probe | prepare|execute DIR OUTSIDE [--secure] "
				"[--no-pivot]\n", argv[0]);
		return 64;
	}
	pvf_sandbox_opts o;
	memset(&o, 0, sizeof o);
	o.mode = g_mode = strcmp(argv[1], "prepare") == 0 ? PVF_SANDBOX_PREPARE : PVF_SANDBOX_EXECUTE;
	o.dir = argv[2];
	g_outside = argv[3];
	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--secure") == 0)
			o.secure = true;
		else if (strcmp(argv[i], "--no-pivot") == 0)
			o.no_pivot_root = true;
	}
	snprintf(g_outside_dir, sizeof g_outside_dir, "%s", g_outside);
	char *slash = strrchr(g_outside_dir, '/');
	if (slash)
		*slash = '\0';
	g_host_pid = getppid();
	if (g_mode == PVF_SANDBOX_EXECUTE) {
		g_memfd = load_memfd();
		if (g_memfd < 0) {
			printf("SANDBOX-ERROR cannot copy %s into a memfd\n", ELF_FIXTURE);
			return 2;
		}
		o.keep_fds[o.nkeep_fds++] = g_memfd;
	}

	pvf_sandbox_report r;
	pvf_error err;
	memset(&err, 0, sizeof err);
	int rc = pvf_sandbox_apply_worker(&o, &r, &err);
	g_pivoted = r.f[PVF_SBF_PIVOT_ROOT].applied;
	g_work = g_pivoted ? PVF_SANDBOX_WORK_DIR : o.dir;
	for (int i = 0; i < PVF_SBF__COUNT; i++)
		printf("FEATURE %s %d %d %s\n", r.f[i].name, r.f[i].available, r.f[i].applied,
				r.f[i].detail);
	if (rc < 0) {
		printf("SANDBOX-ERROR %s\n", err.msg);
		return 2;
	}

	run_all(false);

	read_ns(g_worker_ns);
	pid_t job = pvf_sandbox_fork_job(&o, &r, NULL, &err);
	if (job < 0) {
		printf("SANDBOX-ERROR fork job: %s\n", err.msg);
		return 2;
	}
	if (job == 0) {
		g_ctx = "job";
		char msg[64];
		bool lean = pvf_sandbox_job_needs_allow_list();
		snprintf(msg, sizeof msg, "getpid() = %d", (int)getpid());
		if (!lean)
			check("job-is-pid-1", getpid() == 1, msg);
		check("job-lean", lean == (g_mode == PVF_SANDBOX_EXECUTE && r.f[PVF_SBF_SECCOMP].applied),
				lean ? "plain fork, allow list to come" : "own namespaces");
		check_job_caps(g_mode == PVF_SANDBOX_PREPARE);
		if (lean || getpid() == 1)
			check_job_namespaces(lean);
		if (g_mode == PVF_SANDBOX_PREPARE)
			checks_prepare();
		else
			checks_execute_job();
		run_all(true);
		if (g_mode == PVF_SANDBOX_EXECUTE) {
			g_ctx = "locked";
			g_lock = g_locked_ctx = true;
			run_all(true);
		}
		fflush(stdout);
		_exit(0);
	}
	int st = 0;
	waitpid(job, &st, 0);
	printf("FEATURE %s %d %d %s\n", r.f[PVF_SBF_JOB_NS].name, r.f[PVF_SBF_JOB_NS].available,
			r.f[PVF_SBF_JOB_NS].applied, r.f[PVF_SBF_JOB_NS].detail);
	check("job-exit", WIFEXITED(st) && WEXITSTATUS(st) == 0, "job exited 0");
	if (g_mode == PVF_SANDBOX_EXECUTE && r.f[PVF_SBF_SECCOMP].applied && r.f[PVF_SBF_CAPS].applied)
		locked_worker(&o, &r);
	printf("DONE\n");
	return 0;
}
