/*
 * job_limits.c — CPU-time monitor, RLIMIT_CPU backstop and RLIMIT_DATA for a
 * job process (see job_limits.h for the design).
 *
 * The monitor is a POSIX timer on CLOCK_PROCESS_CPUTIME_ID delivering
 * SIGXCPU; the handler only calls _exit(PVF__JOB_EXIT_TIMEOUT), which is
 * async-signal-safe and allowed by every seccomp profile. RLIMIT_CPU's soft
 * limit also raises SIGXCPU, so both land in the same handler; its hard limit
 * is SIGKILL, which needs no cooperation at all. The worker checks the CPU
 * time the kernel accounted (wait4) before it believes a job's "timeout".
 */
#include "worker/job_limits.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/asan.h"
#include "worker/worker_common.h"

/* Seconds of slack RLIMIT_CPU gives the monitor before it acts itself. */
#define RLIMIT_CPU_SLACK_S 1

static timer_t g_timer;
static int g_timer_created, g_timer_armed;

static void on_cpu_limit(int sig)
{
	(void)sig;
	_exit(PVF__JOB_EXIT_TIMEOUT);
}

bool pvf__job_limits_data_unsupported(void)
{
#ifdef PVF_UNDER_ASAN
	return true;
#else
	return false;
#endif
}

int pvf__job_limits_prepare(pvf_error *err)
{
	struct sigaction sa;
	struct sigevent sev;
	sigset_t set;

	if (g_timer_created)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_cpu_limit;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGXCPU, &sa, NULL) < 0)
		return pvf_error_set(err, PVF_E_IO, "job limits: sigaction: %s", strerror(errno));
	/* Never unblocked by accident: make sure SIGXCPU is deliverable. */
	sigemptyset(&set);
	sigaddset(&set, SIGXCPU);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGXCPU;
	if (timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &g_timer) < 0)
		return pvf_error_set(err, PVF_E_IO, "job limits: timer_create: %s", strerror(errno));
	g_timer_created = 1;
	return 0;
}

int pvf__job_limits_apply(const pvf_job_limits *l, pvf_error *err)
{
	if (!l)
		return pvf_error_set(err, PVF_E_USAGE, "job limits: NULL");
	if (l->cpu_ms > PVF_JOB_MAX_CPU_MS)
		return pvf_error_set(err, PVF_E_USAGE, "job limits: CPU limit %llu ms over the maximum %llu ms",
				     (unsigned long long)l->cpu_ms, (unsigned long long)PVF_JOB_MAX_CPU_MS);
	if (l->cpu_ms) {
		struct itimerspec its;
		struct rlimit rl;
		rlim_t soft = (rlim_t)((l->cpu_ms + 999) / 1000 + RLIMIT_CPU_SLACK_S);

		if (pvf__job_limits_prepare(err) < 0)
			return -1;
		memset(&its, 0, sizeof(its));
		its.it_value.tv_sec = (time_t)(l->cpu_ms / 1000);
		its.it_value.tv_nsec = (long)(l->cpu_ms % 1000) * 1000000L;
		if (timer_settime(g_timer, 0, &its, NULL) < 0)
			return pvf_error_set(err, PVF_E_IO, "job limits: timer_settime: %s", strerror(errno));
		g_timer_armed = 1;

		rl.rlim_cur = soft;
		rl.rlim_max = soft + RLIMIT_CPU_SLACK_S;
		if (setrlimit(RLIMIT_CPU, &rl) < 0)
			return pvf_error_set(err, PVF_E_IO, "job limits: RLIMIT_CPU: %s", strerror(errno));
	}
	if (l->data_bytes && !pvf__job_limits_data_unsupported()) {
		struct rlimit rl;
		rlim_t v = (rlim_t)(l->data_bytes < PVF_JOB_MIN_DATA_BYTES ? PVF_JOB_MIN_DATA_BYTES : l->data_bytes);

		rl.rlim_cur = rl.rlim_max = v;
		if (setrlimit(RLIMIT_DATA, &rl) < 0)
			return pvf_error_set(err, PVF_E_IO, "job limits: RLIMIT_DATA: %s", strerror(errno));
	}
	return 0;
}

void pvf__job_limits_disarm(void)
{
	if (g_timer_armed) {
		struct itimerspec its;

		memset(&its, 0, sizeof(its));
		timer_settime(g_timer, 0, &its, NULL);
		g_timer_armed = 0;
	}
}

bool pvf__job_error_is_oom(const pvf_error *e)
{
	static const char *const needles[] = {
		"out of memory",              /* gcc: "cc1: out of memory allocating N bytes" */
		"virtual memory exhausted",   /* gcc (xmalloc) */
		"std::bad_alloc",             /* wasm2c (C++) */
		"Cannot allocate memory",     /* strerror(ENOMEM) from any tool or the job */
		"cannot allocate memory",
		"memory exhausted",           /* bison-style and clang wordings */
		"LLVM ERROR: out of memory",
	};

	if (!e)
		return false;
	if (e->code == PVF_E_NOMEM)
		return true;
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (strstr(e->msg, needles[i]))
			return true;
	return false;
}
