/*
 * proc.c — child processes for the pipeline's external tools.
 *
 * The child gets stdin from /dev/null and one pipe for stdout and stderr;
 * set-up errors (chdir, exec) travel back as an errno over a close-on-exec
 * pipe, so "could not run the compiler" is told apart from "the compiler
 * failed". Resource use comes from wait4().
 */
#include "engine/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

void pvf__stage_add(pvf_stage_stats *a, const pvf_stage_stats *b)
{
	a->wall_s += b->wall_s;
	a->cpu_s += b->cpu_s;
	if (b->peak_rss_kb > a->peak_rss_kb)
		a->peak_rss_kb = b->peak_rss_kb;
}

char *pvf__which(const char *name)
{
	const char *path;
	char buf[PATH_MAX];

	if (strchr(name, '/'))
		return realpath(name, NULL);
	path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		if (len > 0 && (size_t)snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, name) < sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return realpath(buf, NULL);
		path += len;
		if (*path == ':')
			path++;
	}
	return NULL;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int pvf__proc_run(char *const argv[], const char *cwd, pvf_proc_result *res, pvf_error *err)
{
	int out[2] = { -1, -1 }, status_pipe[2] = { -1, -1 };
	struct rusage ru;
	double t0 = pvf_clock_s();
	size_t cap = PVF_PROC_OUTPUT_MAX, len = 0;
	int child_errno = 0, status = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->output = malloc(cap + 1);
	if (!res->output)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(status_pipe, O_CLOEXEC) < 0) {
		int e = errno;
		if (out[0] >= 0) {
			close(out[0]);
			close(out[1]);
		}
		pvf__proc_result_clear(res);
		return pvf_error_set(err, PVF_E_TOOL, "cannot create a pipe: %s", strerror(e));
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(out[0]);
		close(out[1]);
		close(status_pipe[0]);
		close(status_pipe[1]);
		pvf__proc_result_clear(res);
		return pvf_error_set(err, PVF_E_TOOL, "cannot fork to run %s: %s", argv[0], strerror(e));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			goto fail;
		if (cwd && chdir(cwd) < 0)
			goto fail;
		execvp(argv[0], argv);
fail:
		child_errno = errno;
		if (write(status_pipe[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(out[1]);
	close(status_pipe[1]);
	for (;;) {
		char chunk[4096];
		ssize_t r = read(out[0], chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		size_t take = (size_t)r;
		if (take > cap - len)
			take = cap - len;
		memcpy(res->output + len, chunk, take);
		len += take;
	}
	res->output[len] = '\0';
	close(out[0]);
	if (read_full(status_pipe[0], &child_errno, sizeof(child_errno)) != (ssize_t)sizeof(child_errno))
		child_errno = 0;
	close(status_pipe[0]);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			int e = errno;
			pvf__proc_result_clear(res);
			return pvf_error_set(err, PVF_E_TOOL, "waiting for %s: %s", argv[0], strerror(e));
		}
	}
	if (child_errno) {
		pvf__proc_result_clear(res);
		return pvf_error_set(err, PVF_E_TOOL, "cannot run %s: %s", argv[0], strerror(child_errno));
	}
	res->stats.wall_s = pvf_clock_s() - t0;
	res->stats.cpu_s = (double)pvf_rusage_cpu_us(&ru) / 1e6;
	res->stats.peak_rss_kb = (uint64_t)ru.ru_maxrss;
	if (WIFEXITED(status)) {
		res->exit_code = WEXITSTATUS(status);
	} else {
		res->exit_code = -1;
		res->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	return 0;
}

void pvf__proc_result_clear(pvf_proc_result *res)
{
	free(res->output);
	res->output = NULL;
}

int pvf__run_stage(char *const argv[], const char *dir, pvf_stage_stats *stage, const char *what,
		   pvf_error *err)
{
	pvf_proc_result res;

	if (pvf__proc_run(argv, dir, &res, err) < 0)
		return -1;
	pvf__stage_add(stage, &res.stats);
	if (res.exit_code != 0) {
		if (res.term_signal)
			pvf_error_set(err, PVF_E_COMPILE, "%s was killed by signal %d: %.300s", what,
				      res.term_signal, res.output);
		else
			pvf_error_set(err, PVF_E_COMPILE, "%s failed (exit %d): %.300s", what, res.exit_code,
				      res.output);
		pvf__proc_result_clear(&res);
		return -1;
	}
	pvf__proc_result_clear(&res);
	return 0;
}
