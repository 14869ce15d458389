/*
 * worker_common.c — start-up, handshake, logging and job handling shared by
 * pvfhost-prepare-worker and pvfhost-execute-worker (see worker_common.h for
 * the start-up contract and the lifecycle).
 *
 * Invariants:
 *   - the worker process stays single-threaded (jobs are children; the only
 *     threads ever created here are the engine's execution threads, which
 *     are joined before the call returns);
 *   - nothing untrusted is read before the sandbox is applied: HELLO comes
 *     from the host, the code and the artifact only later;
 *   - a job process never holds the host socket.
 */
#include "worker/worker_common.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

#ifndef PVFHOST_VERSION
#define PVFHOST_VERSION "unknown"
#endif

/* Log lines are cut at this length. */
#define LOG_LINE_MAX 1024

static const char *kind_name(pvf_worker_kind k)
{
	return k == PVF_WORKER_PREPARE ? "prepare" : k == PVF_WORKER_EXECUTE ? "execute" : "unknown";
}

void pvf__worker_log(const pvf__worker *w, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "pvfhost-%s-worker[%ld]: ", w ? kind_name(w->kind) : "?",
		     (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + ((size_t)m < sizeof(line) - (size_t)n - 1 ? (size_t)m : sizeof(line) - (size_t)n - 2);
	line[len++] = '\n';
	/* Non-blocking pipe: a full pipe drops the line. */
	(void)!write(PVF_WORKER_FD_LOG, line, len);
}

int pvf__write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int pvf__read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int send_frame(pvf__worker *w, uint8_t *frame, size_t len, pvf_error *err)
{
	int r = pvf_proto_send(w->sock, frame, len, err);
	free(frame);
	return r;
}

int pvf__worker_ack(pvf__worker *w, bool ok, const char *msg, pvf_error *err)
{
	pvf_msg_hello_ack a;
	uint8_t *f;
	size_t n;

	memset(&a, 0, sizeof(a));
	a.protocol_version = PVF_PROTO_VERSION;
	snprintf(a.version, sizeof(a.version), "%s", PVFHOST_VERSION);
	a.security_applied = w->security_applied;
	a.pid = (uint32_t)getpid();
	a.ok = ok ? 1 : 0;
	snprintf(a.msg, sizeof(a.msg), "%s", msg ? msg : "");
	if (pvf_proto_encode_hello_ack(&a, &f, &n, err) < 0)
		return -1;
	return send_frame(w, f, n, err);
}

int pvf__worker_send_error(pvf__worker *w, const pvf_error *e)
{
	pvf_msg_error m;
	uint8_t *f;
	size_t n;

	memset(&m, 0, sizeof(m));
	m.code = (uint32_t)e->code;
	snprintf(m.msg, sizeof(m.msg), "%s", e->msg);
	if (pvf_proto_encode_error(&m, &f, &n, NULL) < 0)
		return -1;
	return send_frame(w, f, n, NULL);
}

/* Refuses the handshake: HELLO_ACK ok=0 with the message, returns -1. */
static int refuse(pvf__worker *w, pvf_error *err, pvf_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(pvf__worker *w, pvf_error *err, pvf_error_code code, const char *fmt, ...)
{
	char msg[PVF_PROTO_MAX_STR];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pvf__worker_log(w, "refusing to start: %s", msg);
	(void)pvf__worker_ack(w, false, msg, NULL);
	return pvf_error_set(err, code, "%s", msg);
}

static bool fd_is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int check_dir(const char *dir, pvf_error *err)
{
	struct stat st;

	if (!dir || dir[0] != '/')
		return pvf_error_set(err, PVF_E_USAGE, "the worker directory must be an absolute path");
	if (strlen(dir) >= PATH_MAX - 64)
		return pvf_error_set(err, PVF_E_USAGE, "the worker directory path is too long");
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return pvf_error_set(err, PVF_E_USAGE, "the worker directory %s is not a directory", dir);
	return 0;
}

int pvf__worker_start(pvf__worker *w, pvf_worker_kind kind, int argc, char **argv, pvf_error *err)
{
	uint8_t *frame = NULL;
	size_t len = 0;
	int r;

	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->sock = PVF_WORKER_FD_SOCKET;
	w->pid = getpid();

	/* Die with the host (again: the host's child set it before execve, and
	 * it survives exec, but a worker started by hand should behave too). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return pvf_error_set(err, PVF_E_IO, "PR_SET_PDEATHSIG: %s", strerror(errno));
	if (getppid() == 1)
		return pvf_error_set(err, PVF_E_IO, "the host is gone");
	signal(SIGPIPE, SIG_IGN);
	/* The log pipe never blocks the worker. */
	int fl = fcntl(PVF_WORKER_FD_LOG, F_GETFL);
	if (fl >= 0)
		(void)fcntl(PVF_WORKER_FD_LOG, F_SETFL, fl | O_NONBLOCK);

	if (!fd_is_socket(w->sock))
		return pvf_error_set(err, PVF_E_USAGE,
				     "fd %d is not a socket: this program is started by pvfhost, not by hand",
				     w->sock);
	if (fcntl(w->sock, F_SETFD, FD_CLOEXEC) < 0)
		return pvf_error_set(err, PVF_E_IO, "fcntl: %s", strerror(errno));
	if (argc != 2)
		return pvf_error_set(err, PVF_E_USAGE, "usage: %s WORKER-DIR (started by pvfhost)",
				     argc > 0 ? argv[0] : "pvfhost-worker");
	if (check_dir(argv[1], err) < 0)
		return -1;
	snprintf(w->dir, sizeof(w->dir), "%s", argv[1]);
	snprintf(w->root, sizeof(w->root), "%s", argv[1]);

	if (pvf_proto_recv(w->sock, PVF_PROTO_MAX_FRAME, PVF_WORKER_HELLO_TIMEOUT_MS, &frame, &len, err) < 0)
		return -1;
	r = pvf_proto_decode_hello(frame, len, &w->hello, err);
	free(frame);
	if (r < 0)
		return refuse(w, err, PVF_E_IO, "bad HELLO: %s", err ? err->msg : "");
	if (w->hello.protocol_version != PVF_PROTO_VERSION || strcmp(w->hello.version, PVFHOST_VERSION) != 0)
		return refuse(w, err, PVF_E_USAGE,
			      "version mismatch: host is pvfhost %s (protocol %u), this worker is pvfhost %s "
			      "(protocol %u); host and workers must come from the same build",
			      w->hello.version, w->hello.protocol_version, PVFHOST_VERSION, PVF_PROTO_VERSION);
	if (w->hello.worker_kind != (uint8_t)kind)
		return refuse(w, err, PVF_E_USAGE, "this is the %s worker, the host asked for kind %u",
			      kind_name(kind), w->hello.worker_kind);

	/* Sandbox, before any untrusted byte. */
	uint32_t req = w->hello.security_required;
	if (req & PVF_SECURITY_NO_SANDBOX) {
		pvf__worker_log(w, "running WITHOUT a sandbox (requested by the host)");
		w->sandboxed = false;
		return 0;
	}
	w->sb.mode = kind == PVF_WORKER_PREPARE ? PVF_SANDBOX_PREPARE : PVF_SANDBOX_EXECUTE;
	w->sb.secure = (req & PVF_SECURITY_SECURE_MODE) != 0;
	w->sb.dir = w->dir;
	w->sb.keep_fds[0] = PVF_WORKER_FD_SOCKET;
	w->sb.nkeep_fds = 1;
	if (pvf_sandbox_apply_worker(&w->sb, &w->report, err) < 0)
		return refuse(w, err, err ? err->code : PVF_E_IO, "cannot apply the sandbox: %s",
			      err ? err->msg : "");
	w->sandboxed = true;
	for (int i = 0; i < PVF_SBF__COUNT; i++)
		if (w->report.f[i].applied)
			w->security_applied |= PVF_SECURITY_BIT(i);
	if (w->report.f[PVF_SBF_PIVOT_ROOT].applied)
		snprintf(w->root, sizeof(w->root), "%s", PVF_SANDBOX_WORK_DIR);
	/* Features applied per job are checked when a job starts; here: the
	 * worker-level ones the host requires. */
	uint32_t need = req & PVF_SECURITY_FEATURES &
			~(PVF_SECURITY_BIT(PVF_SBF_JOB_NS) | PVF_SECURITY_BIT(PVF_SBF_SECCOMP_ALLOWLIST));
	uint32_t missing = need & ~w->security_applied;
	if (missing) {
		char list[256] = "";
		size_t off = 0;
		for (int i = 0; i < PVF_SBF__COUNT && off < sizeof(list); i++)
			if (missing & PVF_SECURITY_BIT(i))
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s (%s)", off ? ", " : "",
							pvf_sandbox_feature_name((pvf_sandbox_feature_id)i),
							w->report.f[i].detail);
		return refuse(w, err, PVF_E_IO, "required sandbox features not applied: %s", list);
	}
	return 0;
}

int pvf__worker_map_path(const pvf__worker *w, const char *host_path, char *out, size_t cap, pvf_error *err)
{
	size_t dl = strlen(w->dir);
	const char *name;

	while (dl > 1 && w->dir[dl - 1] == '/')
		dl--;
	if (!host_path || strncmp(host_path, w->dir, dl) != 0 || host_path[dl] != '/')
		return pvf_error_set(err, PVF_E_USAGE, "path \"%.200s\" is not inside the worker directory",
				     host_path ? host_path : "");
	name = host_path + dl + 1;
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return pvf_error_set(err, PVF_E_USAGE, "path \"%.200s\" does not name a file directly in the "
				     "worker directory", host_path);
	if ((size_t)snprintf(out, cap, "%s/%s", w->root, name) >= cap)
		return pvf_error_set(err, PVF_E_USAGE, "path too long");
	return 0;
}

pid_t pvf__worker_fork_job(pvf__worker *w, const int *keep, size_t nkeep, int *ret_pidfd, pvf_error *err)
{
	pid_t pid;

	if (ret_pidfd)
		*ret_pidfd = -1;
	if (w->sandboxed) {
		pid = pvf_sandbox_fork_job(&w->sb, &w->report, ret_pidfd, err);
		if (pid < 0)
			return -1;
		if (pid > 0) {
			if (w->report.f[PVF_SBF_JOB_NS].applied)
				w->security_applied |= PVF_SECURITY_BIT(PVF_SBF_JOB_NS);
			return pid;
		}
	} else {
		pid = fork();
		if (pid < 0)
			return pvf_error_set(err, PVF_E_IO, "fork: %s", strerror(errno));
		if (pid > 0)
			return pid;
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			return pvf_error_set(err, PVF_E_IO, "job: PR_SET_PDEATHSIG: %s", strerror(errno));
		/* The worker may have died between fork and prctl. */
		if (getppid() != w->pid)
			_exit(PVF__JOB_EXIT_SETUP);
	}
	/* Job: default signal dispositions, no host socket. */
	signal(SIGPIPE, SIG_DFL);
	if (pvf_sandbox_close_fds_except(keep, nkeep) < 0)
		return pvf_error_set(err, PVF_E_IO, "job: close_range: %s", strerror(errno));
	return 0;
}

int pvf__worker_collect_job(pid_t pid, int fd, size_t max, uint8_t **ret, size_t *ret_len, bool *ret_overflow,
			    int *ret_status, struct rusage *ret_ru, pvf_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	bool overflow = false;
	int status = 0, rc = 0;

	for (;;) {
		if (len == cap && !overflow) {
			size_t ncap = cap ? cap * 2 : 4096;
			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= cap) {
				overflow = true;
			} else {
				uint8_t *nb = realloc(buf, ncap);
				if (!nb) {
					rc = pvf_error_set(err, PVF_E_NOMEM, "out of memory reading the job's result");
					overflow = true;
				} else {
					buf = nb;
					cap = ncap;
				}
			}
		}
		uint8_t sink[4096];
		uint8_t *dst = overflow ? sink : buf + len;
		size_t room = overflow ? sizeof(sink) : cap - len;
		ssize_t n = read(fd, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!overflow)
			len += (size_t)n;
		if (len > max) {
			overflow = true;
			len = max;
		}
	}
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			free(buf);
			return pvf_error_set(err, PVF_E_IO, "waiting for the job: %s", strerror(errno));
		}
	}
	if (rc < 0) {
		free(buf);
		return rc;
	}
	if (len == 0) {
		free(buf);
		buf = NULL;
	}
	*ret = buf;
	*ret_len = len;
	*ret_overflow = overflow;
	*ret_status = status;
	*ret_ru = ru;
	return 0;
}

int pvf__worker_classify_job(int status, const struct rusage *ru, uint64_t cpu_limit_ms,
			     pvf_error_class timeout_cls, bool oom_possible, pvf_error *err)
{
	uint64_t cpu_ms = pvf_rusage_cpu_us(ru) / 1000u;
	/* Timer and tick granularity: a monitor exit a little under the limit
	 * is still believed. */
	bool over = cpu_limit_ms && cpu_ms + 20 >= cpu_limit_ms;
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

	if (over && (code == PVF__JOB_EXIT_TIMEOUT || sig == SIGXCPU || sig == SIGKILL)) {
		pvf_error_set(err, PVF_E_TIMEOUT, "the job ran past its CPU-time limit of %llu ms (used %llu ms)",
			      (unsigned long long)cpu_limit_ms, (unsigned long long)cpu_ms);
		if (err)
			err->cls = timeout_cls;
		return PVF_E_TIMEOUT;
	}
	if (oom_possible && code == PVF__JOB_EXIT_OOM) {
		pvf_error_set(err, PVF_E_NOMEM, "out of memory during preparation");
		if (err)
			err->cls = PVF_CLASS_DETERMINISTIC;
		return PVF_E_NOMEM;
	}
	if (sig) {
		const char *abbr = sigabbrev_np(sig);
		pvf_error_set(err, PVF_E_IO, "job process was killed by signal %d (SIG%s)", sig, abbr ? abbr : "?");
	} else if (code == PVF__JOB_EXIT_TIMEOUT) {
		pvf_error_set(err, PVF_E_IO, "job process claimed a timeout after only %llu ms of CPU time",
			      (unsigned long long)cpu_ms);
	} else {
		pvf_error_set(err, PVF_E_IO, "job process exited with status %d without a valid result", code);
	}
	if (err)
		err->cls = PVF_CLASS_POSSIBLY_INVALID;
	return PVF_E_IO;
}
