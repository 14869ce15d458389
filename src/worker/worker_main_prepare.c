/*
 * worker_main_prepare.c — pvfhost-prepare-worker: compiles validation code
 * into artifacts, one fresh job process per request.
 *
 *   start (worker_common.c: HELLO, version check, sandbox, ACK)
 *     loop:
 *       PREPARE frame  --decode (strict)--> request
 *       output path    --must name a file directly in the worker dir-->
 *       pipe, fork job (pvf__worker_fork_job)
 *         job: limits (CPU monitor + RLIMIT_CPU, RLIMIT_DATA)
 *              -> load code (decode, validate, PVF rules)
 *              -> prepare into the output path (wasm2c + cc, scratch files
 *                 in the worker dir)
 *              -> PREPARE_DONE frame on the pipe, _exit(0)
 *       worker: read the pipe to EOF, wait4; a frame that decodes with the
 *               job's exit status 0 is the answer (stats replaced by what
 *               the kernel measured); otherwise classify how the job ended
 *       PREPARE_DONE to the host
 *
 * The worker itself never parses the code, never writes the artifact and
 * never chooses a path: the host names the output, the job writes it, the
 * host verifies and renames it. Class of a timeout: deterministic for a
 * pre-check, possibly-invalid (non-deterministic) for a lenient prepare.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/rmtree.h"
#include "worker/code.h"
#include "worker/job_limits.h"
#include "worker/protocol.h"
#include "worker/worker_common.h"

/* Scratch directory of a prepare job, inside the worker dir. */
#define SCRATCH_NAME "scratch"
/* Jobs this worker has forked: names their scratch directories. */
static unsigned long g_jobs;
/* PATH of a prepare job (the worker's environment is empty). */
#define JOB_PATH "/usr/local/bin:/usr/bin:/bin"

static void result_error(pvf_msg_result *r, const pvf_error *e)
{
	pvf_proto_result_from_error(r, e, 0);
}

/* Runs in the job process; never returns. Its files go to `scratch`. */
static void job_main(pvf__worker *w, const pvf_msg_prepare *m, const char *out_path, const char *scratch,
		     int res_fd)
{
	pvf_msg_prepare_done d;
	pvf_job_limits lim = { m->timeout_ms, m->memory_limit ? m->memory_limit : PVF_JOB_DEFAULT_PREPARE_MEMORY };
	pvf_prepare_stats st;
	pvf_code_opts co;
	pvf_prepare_opts po;
	pvf_code *code = NULL;
	pvf_error err;
	uint8_t *frame;
	size_t flen;
	uint64_t t0 = pvf_clock_us();

	memset(&d, 0, sizeof(d));
	pvf_error_clear(&err);
	if (pvf__job_limits_apply(&lim, &err) < 0)
		goto report;
	/* The compiler's temporary files go to the job's scratch directory
	 * too, inside the worker dir (the only place it may write when
	 * landlock guards host paths): the worker removes it after the job,
	 * whatever became of the job and its compilers. */
	if (mkdir(scratch, 0700) < 0 && errno != EEXIST) {
		pvf_error_set(&err, PVF_E_IO, "cannot create %s: %s", scratch, strerror(errno));
		goto report;
	}
	setenv("TMPDIR", scratch, 1);
	/* The environment is empty; the compiler driver finds as/ld in PATH. */
	setenv("PATH", JOB_PATH, 1);

	memset(&co, 0, sizeof(co));
	co.allow_bulk_memory = m->bulk_memory != 0;
	if (pvf_code_load(m->code, m->code_len, &co, &code, &err) < 0)
		goto report;
	memset(&po, 0, sizeof(po));
	po.cc = m->cc[0] ? m->cc : NULL;
	po.opt_level = m->opt_level[0] ? m->opt_level : NULL;
	po.stack_limit = m->stack_limit;
	po.max_memory_pages = m->max_memory_pages;
	po.native_stack_max = m->native_stack_max;
	po.work_dir = scratch;
	po.jobs = m->jobs;
	memcpy(po.params_hash, m->params_hash, 32);
	po.has_code_hash = true;
	memcpy(po.code_hash, m->code_hash, 32);
	memset(&st, 0, sizeof(st));
	if (pvf_code_prepare(code, &po, out_path, &st, &err) < 0)
		goto report;
	d.result.ok = 1;
	d.artifact_bytes = st.artifact_bytes;
	d.max_frame_bytes = st.max_frame_bytes;
	d.native_stack_bytes = st.native_stack_bytes;
report:
	pvf__job_limits_disarm();
	if (!d.result.ok) {
		/* A compiler process that reached its RLIMIT_CPU is killed by the
		 * kernel and the driver reports a failed compilation: the
		 * preparation ran out of time, it is not a compile error. Every
		 * process of the preparation has the same CPU-time limit (the
		 * job's monitor covers only the job itself); the kernel's account
		 * of the children is the evidence (re-checked by the worker). */
		struct rusage rc;
		if (err.code == PVF_E_COMPILE && lim.cpu_ms && getrusage(RUSAGE_CHILDREN, &rc) == 0 &&
		    pvf_rusage_cpu_us(&rc) / 1000u >= lim.cpu_ms) {
			char detail[PVF_ERROR_MSG_MAX];
			snprintf(detail, sizeof(detail), "%s", err.msg);
			pvf_error_set(&err, PVF_E_TIMEOUT,
				      "preparation ran past its CPU-time limit of %llu ms (the compiler was stopped "
				      "after %llu ms of CPU time in all): %.300s",
				      (unsigned long long)lim.cpu_ms, (unsigned long long)(pvf_rusage_cpu_us(&rc) / 1000u),
				      detail);
		}
	}
	if (!d.result.ok) {
		if (pvf__job_error_is_oom(&err) && lim.data_bytes) {
			char detail[PVF_ERROR_MSG_MAX];
			snprintf(detail, sizeof(detail), "%s", err.msg);
			pvf_error_set(&err, PVF_E_NOMEM, "out of memory during preparation (limit %llu MiB): %.400s",
				      (unsigned long long)(lim.data_bytes >> 20), detail);
			err.cls = PVF_CLASS_DETERMINISTIC;
		}
		result_error(&d.result, &err);
	}
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		d.result.stats.cpu_us = pvf_rusage_cpu_us(&ru);
		d.result.stats.peak_rss_kb = (uint64_t)ru.ru_maxrss;
	}
	d.result.stats.wall_us = pvf_clock_us() - t0;
	if (pvf_proto_encode_prepare_done(&d, &frame, &flen, NULL) < 0)
		_exit(d.result.ok || err.code != PVF_E_NOMEM ? PVF__JOB_EXIT_SETUP : PVF__JOB_EXIT_OOM);
	if (pvf__write_all(res_fd, frame, flen) < 0)
		_exit(PVF__JOB_EXIT_SETUP);
	_exit(PVF__JOB_EXIT_OK);
}

/* Serves one PREPARE frame; returns -1 only when the worker must stop. */
static int serve(pvf__worker *w, const uint8_t *payload, size_t len)
{
	pvf_msg_prepare m;
	pvf_msg_prepare_done d;
	pvf_error err;
	char out_path[PATH_MAX], scratch[PATH_MAX];
	int pfd[2];
	uint8_t *frame = NULL, *res = NULL;
	size_t flen, rlen = 0;
	bool overflow = false;
	int status = 0;
	struct rusage ru;
	uint64_t t0 = pvf_clock_us();

	memset(&d, 0, sizeof(d));
	pvf_error_clear(&err);
	if (pvf_proto_decode_prepare(payload, len, &m, &err) < 0) {
		pvf__worker_send_error(w, &err);
		return -1;
	}
	pvf_error_class timeout_cls =
		m.kind == PVF_PREPARE_PRECHECK ? PVF_CLASS_DETERMINISTIC : PVF_CLASS_POSSIBLY_INVALID;
	if (m.timeout_ms > PVF_JOB_MAX_CPU_MS) {
		pvf_error_set(&err, PVF_E_USAGE, "timeout %llu ms over the maximum", (unsigned long long)m.timeout_ms);
		goto fail;
	}
	if (pvf__worker_map_path(w, m.output, out_path, sizeof(out_path), &err) < 0)
		goto fail;
	if ((size_t)snprintf(scratch, sizeof(scratch), "%s/" SCRATCH_NAME "-%lu", w->root, ++g_jobs) >=
	    sizeof(scratch)) {
		pvf_error_set(&err, PVF_E_USAGE, "worker directory path too long");
		goto fail;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		pvf_error_set(&err, PVF_E_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	int keep[1] = { pfd[1] };
	pid_t pid = pvf__worker_fork_job(w, keep, 1, NULL, &err);
	if (pid == 0) {
		close(pfd[0]);
		job_main(w, &m, out_path, scratch, pfd[1]);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		goto fail;
	}
	int rc = pvf__worker_collect_job(pid, pfd[0], PVF_PROTO_MAX_FRAME, &res, &rlen, &overflow, &status, &ru, &err);
	close(pfd[0]);
	/* Empty after a preparation that ended well; after a job that was
	 * killed or crashed it holds the generated C, objects and compiler
	 * temporaries, which would stay until the worker dir is removed. */
	pvf_rm_tree_at(AT_FDCWD, scratch);
	if (rc < 0)
		goto fail;
	bool exited_ok = WIFEXITED(status) && WEXITSTATUS(status) == PVF__JOB_EXIT_OK;
	if (exited_ok && !overflow && rlen >= 4 && (uint64_t)res[0] + ((uint64_t)res[1] << 8) +
			((uint64_t)res[2] << 16) + ((uint64_t)res[3] << 24) == rlen - 4 &&
	    pvf_proto_decode_prepare_done(res + 4, rlen - 4, &d, &err) == 0) {
		/* The job's word on what happened; the class is ours to give. */
		if (!d.result.ok) {
			if (d.result.code == PVF_E_NOMEM && strstr(d.result.msg, "out of memory during preparation"))
				d.result.cls = PVF_CLASS_DETERMINISTIC;
			else if (d.result.code == PVF_E_TIMEOUT && m.timeout_ms &&
				 pvf_rusage_cpu_us(&ru) / 1000u + 20 >= m.timeout_ms)
				d.result.cls = (uint8_t)timeout_cls;
			else if (d.result.code == PVF_E_TIMEOUT) {
				/* Claimed, but the kernel's account says otherwise. */
				d.result.code = PVF_E_IO;
				d.result.cls = PVF_CLASS_POSSIBLY_INVALID;
				snprintf(d.result.msg, sizeof(d.result.msg),
					 "job claimed a timeout after only %llu ms of CPU time",
					 (unsigned long long)(pvf_rusage_cpu_us(&ru) / 1000u));
			}
			else
				d.result.cls = (uint8_t)pvf_error_code_class((pvf_error_code)d.result.code);
		}
	} else {
		memset(&d, 0, sizeof(d));
		pvf__worker_classify_job(status, &ru, m.timeout_ms, timeout_cls, true, &err);
		result_error(&d.result, &err);
		pvf__worker_log(w, "job %ld: %s", (long)pid, err.msg);
	}
	free(res);
	res = NULL;
	d.result.stats.cpu_us = pvf_rusage_cpu_us(&ru);
	d.result.stats.peak_rss_kb = (uint64_t)ru.ru_maxrss;
	d.result.stats.wall_us = pvf_clock_us() - t0;
	goto send;
fail:
	memset(&d, 0, sizeof(d));
	result_error(&d.result, &err);
	d.result.stats.wall_us = pvf_clock_us() - t0;
send:
	if (pvf_proto_encode_prepare_done(&d, &frame, &flen, &err) < 0 || pvf_proto_send(w->sock, frame, flen, &err) < 0) {
		free(frame);
		pvf__worker_log(w, "cannot answer: %s", err.msg);
		return -1;
	}
	free(frame);
	return 0;
}

int main(int argc, char **argv)
{
	pvf__worker w;
	pvf_error err;

	pvf_error_clear(&err);
	if (pvf__worker_start(&w, PVF_WORKER_PREPARE, argc, argv, &err) < 0) {
		pvf__worker_log(&w, "%s", err.msg);
		return 1;
	}
	if (pvf__worker_ack(&w, true, "", &err) < 0) {
		pvf__worker_log(&w, "%s", err.msg);
		return 1;
	}
	for (;;) {
		uint8_t *p = NULL;
		size_t n = 0;
		if (pvf_proto_recv(w.sock, PVF_PROTO_MAX_FRAME, -1, &p, &n, &err) < 0)
			return strstr(err.msg, "closed") ? 0 : 1;
		if (n < 1 || p[0] != PVF_MSG_PREPARE) {
			pvf_error_set(&err, PVF_E_IO, "unexpected message type %u", n ? p[0] : 0);
			pvf__worker_send_error(&w, &err);
			free(p);
			return 1;
		}
		int r = serve(&w, p, n);
		free(p);
		if (r < 0)
			return 1;
	}
}
