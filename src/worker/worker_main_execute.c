/*
 * worker_main_execute.c — pvfhost-execute-worker: runs validations of one
 * artifact, each in a fresh job process forked from a zygote.
 *
 *   start (worker_common.c: HELLO, version check, sandbox)
 *     -> load and verify the artifact named in HELLO, once
 *        (pvf_artifact_open: checksum, a memfd copy mapped by the
 *        artifact loader, init)
 *        failure: ERROR frame (artifact-* / runtime-construction), exit 1
 *     -> the allow list on the worker itself, inherited by every job
 *        (pvf_sandbox_lock_execute_worker; where it cannot go on, each job
 *        installs it before untrusted code runs)
 *     -> HELLO_ACK ok
 *     loop:
 *       idle:     prefork()  jobs (two) that each create their CPU monitor's
 *                 timer, instantiate the artifact, write JOB_READY on their
 *                 result pipe and block reading their request pipe
 *       EXECUTE:  hand over  u32 length + the frame payload on the pipe of
 *                 the newest ready job (pick_slot)
 *       job:      arm the limits (CPU monitor + RLIMIT_CPU)
 *                 -> call the export on that instance
 *                 -> EXECUTE_DONE frame on its result pipe -> _exit(0)
 *       worker:   read result to EOF, wait4, check/replace stats or classify
 *                 how the job died -> EXECUTE_DONE to the host -> prefork()
 *                 its replacement
 *
 * The forks happen while the worker is idle, after the artifact is loaded,
 * so the request path is two pipe writes, the call, and a pipe read; a
 * second job in reserve serves a request that comes while the worker is
 * still forking the replacement of the last one. Each
 * job starts from the same clean image; nothing a job does reaches the next.
 * The worker's own frames are in buffers the jobs do not inherit (iobuf.h),
 * so that serving a request writes as few pages as possible that the jobs
 * share (each such write after a fork is a page copy).
 *
 * What the job sends is not trusted: it ran untrusted code. Its frame must
 * decode strictly, it must have exited 0, and the class of its error is
 * looked up from the code here, not taken from the frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "engine/engine.h"
#include "worker/heap_settle.h"
#include "worker/iobuf.h"
#include "worker/job_execute.h"
#include "worker/job_limits.h"
#include "worker/protocol.h"
#include "worker/worker_common.h"

typedef struct job_slot {
	pid_t pid;     /* 0: none */
	int req_wr;    /* worker -> job: the request */
	int res_rd;    /* job -> worker: JOB_READY, then the result */
	int pidfd;     /* the job's pidfd, or -1 (forked without one) */
	bool ready;    /* JOB_READY read: the job waits for its request */
	uint64_t seq;  /* fork order: the fork's time (pvf_clock_us) */
} job_slot;

/* The byte a job writes on its result pipe once it waits for its request
 * (instance made, or its failure kept for the request). */
#define JOB_READY 0x52

/* Jobs kept forked and instantiated ahead of requests. With two, a request
 * that follows the last answer at once finds a ready job while the worker
 * forks the replacement of the one just used (docs/performance.md, execute
 * path, step 22). */
#define PREFORKED_JOBS 2

static pvf_artifact *g_art;

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Runtime log lines (ext_logging_log) go to the job's stderr, the worker's
 * log pipe, which the host copies to its log: one line each, control bytes
 * replaced, length capped, written with one non-blocking write (a full pipe
 * drops the line rather than stalling the job). */
static void job_log(void *user, uint32_t level, const char *target, size_t tlen, const char *msg, size_t mlen)
{
	char line[1024];
	size_t n = 0;

	(void)user;
	n += (size_t)snprintf(line, sizeof(line), "%s ", pvf_runtime_log_level_name(level));
	for (size_t i = 0; i < tlen && n < 200; i++)
		line[n++] = (unsigned char)target[i] < 0x20 || target[i] == 0x7f ? '?' : target[i];
	line[n++] = ':';
	line[n++] = ' ';
	for (size_t i = 0; i < mlen && n < sizeof(line) - 1; i++)
		line[n++] = (unsigned char)msg[i] < 0x20 || msg[i] == 0x7f ? '?' : msg[i];
	line[n++] = '\n';
	(void)!write(2, line, n);
}

/* Runs in the job process; never returns. */
static void job_main(pvf__worker *w, int req_rd, int res_wr)
{
	uint8_t hdr[4], *req, *frame;
	size_t flen;
	uint32_t len;
	pvf_msg_execute m;
	pvf_msg_execute_done d;
	pvf_exec_request rq;
	pvf_exec_result res;
	pvf_error err, setup_err, lock_err;
	pvf_exec_instance *ei = NULL;
	uint64_t t0;
	int locked = 0;

	/* Ahead of the request, in this order: the CPU monitor's timer (armed
	 * when the request says the limit); the allow list, under which
	 * everything after runs (inherited from the worker, which took it on
	 * itself; otherwise installed here, in place of the job filter the
	 * fork left out: one program per job, ~0.1 ms, the kernel compiling it
	 * and running it once per syscall number); then the instance, so that
	 * the request path only passes the input and calls. */
	pvf_error_clear(&lock_err);
	if (pvf__job_limits_prepare(&lock_err) < 0)
		locked = -1;
	else if (w->sandboxed) {
		/* A machine without seccomp runs without it unless secure mode
		 * or the host requires it. */
		if (pvf_sandbox_lock_execute_job(NULL, &lock_err) == 0)
			locked = 1;
		else if (w->sb.secure || (w->hello.security_required & PVF_SECURITY_EXECUTE_ALLOWLIST) ||
			 pvf_sandbox_job_needs_allow_list())
			locked = -1;
	}
	memset(&rq, 0, sizeof(rq));
	/* This process makes one call, then exits: the call runs on the stack
	 * instantiation mapped and touched, with no mapping on its path. */
	pvf_engine_keep_run_stack();
	rq.max_pages = w->hello.max_memory_pages;
	rq.log_sink = job_log;
	pvf_error_clear(&setup_err);
	/* Instantiation runs the module's code (segment initialisers, and a
	 * start function where the rules were left off): not without the
	 * allow list where it is required. */
	if (locked >= 0 && pvf_exec_instance_new(g_art, &rq, &ei, &setup_err) < 0)
		ei = NULL;
	{
		uint8_t ready = JOB_READY;
		if (pvf__write_all(res_wr, &ready, 1) < 0)
			_exit(PVF__JOB_EXIT_SETUP);
	}

	if (pvf__read_all(req_rd, hdr, 4) < 0)
		_exit(PVF__JOB_EXIT_OK);       /* the worker is going away */
	len = get_le32(hdr);
	if (len == 0 || len > PVF_PROTO_MAX_FRAME)
		_exit(PVF__JOB_EXIT_SETUP);
	req = malloc(len);
	if (!req || pvf__read_all(req_rd, req, len) < 0)
		_exit(PVF__JOB_EXIT_SETUP);
	close(req_rd);
	t0 = pvf_clock_us();
	memset(&d, 0, sizeof(d));
	pvf_error_clear(&err);
	if (pvf_proto_decode_execute(req, len, &m, &err) < 0)
		_exit(PVF__JOB_EXIT_SETUP);

	pvf_job_limits lim = { m.timeout_ms, 0 };
	if (locked < 0) {
		pvf_proto_result_from_error(&d.result, &lock_err, 0);
		goto report;
	}
	if (pvf__job_limits_apply(&lim, &err) < 0) {
		pvf_proto_result_from_error(&d.result, &err, 0);
		goto report;
	}
	rq.input = m.params;
	rq.input_len = m.params_len;
	rq.export_name = m.export_name[0] ? m.export_name : NULL;
	/* validate_block's output must be a well-formed ValidationResult. */
	rq.check_validation_result = !m.export_name[0];
	memset(&res, 0, sizeof(res));
	if (!ei) {
		err = setup_err;   /* e.g. runtime construction: no memory reservation */
		pvf_proto_result_from_error(&d.result, &err, 0);
	} else if (pvf_exec_instance_run(ei, &rq, &res, &err) < 0) {
		pvf_proto_result_from_error(&d.result, &err,
					    err.code == PVF_E_TRAP ? (uint8_t)res.trap.kind : 0);
	} else {
		d.result.ok = 1;
		d.output = res.output;
		d.output_len = res.output_len;
	}
report:
	pvf__job_limits_disarm();
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		d.result.stats.cpu_us = pvf_rusage_cpu_us(&ru);
		d.result.stats.peak_rss_kb = (uint64_t)ru.ru_maxrss;
	}
	d.result.stats.wall_us = pvf_clock_us() - t0;
	if (pvf_proto_encode_execute_done(&d, &frame, &flen, NULL) < 0)
		_exit(PVF__JOB_EXIT_SETUP);
	if (pvf__write_all(res_wr, frame, flen) < 0)
		_exit(PVF__JOB_EXIT_SETUP);
	/* The worker that write woke is usually queued on this CPU (a pipe
	 * wakes its reader as if the writer were about to sleep). Exiting
	 * first would make it wait for this process's teardown, the memory
	 * reservation's among it: let it answer the host first. */
	sched_yield();
	_exit(PVF__JOB_EXIT_OK);
}

static void slot_close(job_slot *s)
{
	if (s->req_wr >= 0)
		close(s->req_wr);
	if (s->res_rd >= 0)
		close(s->res_rd);
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->req_wr = s->res_rd = s->pidfd = -1;
	s->pid = 0;
}

/* Forks a job ahead of time into slot s. */
static int prefork(pvf__worker *w, job_slot *s, pvf_error *err)
{
	int req[2], res[2];

	if (pipe2(req, O_CLOEXEC) < 0)
		return pvf_error_set(err, PVF_E_IO, "pipe: %s", strerror(errno));
	if (pipe2(res, O_CLOEXEC) < 0) {
		close(req[0]);
		close(req[1]);
		return pvf_error_set(err, PVF_E_IO, "pipe: %s", strerror(errno));
	}
	int keep[2] = { req[0], res[1] };
	int pidfd;
	pid_t pid = pvf__worker_fork_job(w, keep, 2, &pidfd, err);
	if (pid == 0)
		job_main(w, req[0], res[1]);
	close(req[0]);
	close(res[1]);
	if (pid < 0) {
		close(req[1]);
		close(res[0]);
		return -1;
	}
	s->pid = pid;
	s->pidfd = pidfd;
	s->req_wr = req[1];
	s->res_rd = res[0];
	s->ready = false;
	/* The fork's time orders the slots (forks are tens of µs apart; a
	 * counter in the worker's data would cost a page copy per fork: that
	 * page is the job's too). */
	s->seq = pvf_clock_us();
	return 0;
}

/* Reads the slot's JOB_READY byte, waiting for it: 0, or -1 (the job is
 * gone, or wrote something else). */
static int slot_wait_ready(job_slot *s)
{
	uint8_t b;

	if (s->ready)
		return 0;
	if (pvf__read_all(s->res_rd, &b, 1) < 0 || b != JOB_READY)
		return -1;
	s->ready = true;
	return 0;
}

/* The job for the next request: the newest that is ready (the most recently
 * forked is the one whose memory is warmest), else the oldest (it will be
 * ready first). One poll looks at every waiting job: JOB_READY to read, or
 * a hang-up (a live job holds its end open, so the job is gone whether or
 * not it said it was ready). A job found gone, or writing out of turn, is
 * killed, reaped and replaced. */
static job_slot *pick_slot(pvf__worker *w, job_slot *slots)
{
	struct pollfd pfd[PREFORKED_JOBS];
	job_slot *newest_ready = NULL, *oldest = NULL;
	pvf_error err;

	for (int k = 0; k < PREFORKED_JOBS; k++)
		pfd[k] = (struct pollfd){ .fd = slots[k].pid ? slots[k].res_rd : -1, .events = POLLIN };
	if (poll(pfd, PREFORKED_JOBS, 0) < 0)
		for (int k = 0; k < PREFORKED_JOBS; k++)
			pfd[k].revents = 0;
	for (int k = 0; k < PREFORKED_JOBS; k++) {
		job_slot *s = &slots[k];
		short ev = pfd[k].revents;
		bool gone = (ev & (POLLHUP | POLLERR)) || ((ev & POLLIN) && (s->ready || slot_wait_ready(s) < 0));
		if (s->pid && gone) {
			pid_t pid = s->pid;
			int st;
			/* gone, or wrote out of turn */
			(void)pvf_sandbox_kill_job(pid, s->pidfd);
			slot_close(s);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			pvf__worker_log(w, "job %ld ended before its request; forking another", (long)pid);
		}
		if (!s->pid && prefork(w, s, &err) < 0) {
			pvf__worker_log(w, "cannot fork a job ahead of time: %s", err.msg);
			continue;
		}
		if (s->ready && (!newest_ready || s->seq > newest_ready->seq))
			newest_ready = s;
		if (!oldest || s->seq < oldest->seq)
			oldest = s;
	}
	if (newest_ready)
		return newest_ready;
	return oldest ? oldest : &slots[0];
}

/* Writes the 4-byte prefix and the payload, with as few calls as the pipe
 * takes (a small request: one). 0, or -1 (the job is gone). */
static int write_frame(int fd, const uint8_t hdr[4], const uint8_t *payload, size_t len)
{
	struct iovec iov[2] = { { (void *)hdr, 4 }, { (void *)payload, len } };
	int n = 2;
	struct iovec *v = iov;

	while (n > 0) {
		ssize_t w = writev(fd, v, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (uint8_t *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* The worker's frames: the host's request, the job's result, the answer.
 * In mappings the jobs do not inherit (iobuf.h): no page of them is copied
 * after a fork, and the request loop leaves malloc alone. */
static pvf__iobuf g_req = PVF__IOBUF_INIT, g_res = PVF__IOBUF_INIT, g_ans = PVF__IOBUF_INIT;

/* Above this, a buffer is given back once its request is served. */
#define IOBUF_KEEP (1u << 20)

/* Reads the host's next frame into g_req. */
static int recv_request(pvf__worker *w, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	uint32_t len;
	int64_t deadline;
	uint8_t *buf;

	if (pvf_proto_recv_len(w->sock, PVF_PROTO_MAX_FRAME, -1, &len, &deadline, err) < 0)
		return -1;
	if (!(buf = pvf__iobuf_get(&g_req, len)))
		return pvf_error_set(err, PVF_E_NOMEM, "no memory for a %u-byte request: %s", len, strerror(errno));
	if (pvf_proto_recv_body(w->sock, buf, len, deadline, err) < 0)
		return -1;
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int send_done(pvf__worker *w, const pvf_msg_execute_done *d, pvf_error *err)
{
	size_t cap = pvf_proto_execute_done_max(d->output_len), flen;
	uint8_t *frame = pvf__iobuf_get(&g_ans, cap);

	if (!frame)
		return pvf_error_set(err, PVF_E_NOMEM, "no memory for a %zu-byte answer: %s", cap, strerror(errno));
	if (pvf_proto_encode_execute_done_in(d, frame, cap, &flen, err) < 0)
		return -1;
	return pvf_proto_send(w->sock, frame, flen, err);
}

/* Reads one length-prefixed frame (prefix included in *ret, which is
 * g_res's) from a job's result pipe. 0: complete; -1: EOF, error or over
 * the size limit. */
static int read_frame(int fd, uint8_t **ret, size_t *ret_len)
{
	uint8_t hdr[4];
	uint32_t len;
	uint8_t *buf;

	*ret = NULL;
	*ret_len = 0;
	if (pvf__read_all(fd, hdr, 4) < 0)
		return -1;
	len = get_le32(hdr);
	if (len == 0 || len > PVF_PROTO_MAX_FRAME || !(buf = pvf__iobuf_get(&g_res, (size_t)len + 4)))
		return -1;
	memcpy(buf, hdr, 4);
	if (pvf__read_all(fd, buf + 4, len) < 0)
		return -1;
	*ret = buf;
	*ret_len = (size_t)len + 4;
	return 0;
}

/* Serves one EXECUTE frame; -1 when the worker must stop. */
static int serve(pvf__worker *w, job_slot *s, const uint8_t *payload, size_t len)
{
	pvf_msg_execute m;
	pvf_msg_execute_done d;
	pvf_error err;
	uint8_t hdr[4], *res = NULL;
	size_t rlen = 0;
	bool overflow = false;
	int status = 0;
	struct rusage ru;
	uint64_t t0 = pvf_clock_us();

	memset(&d, 0, sizeof(d));
	pvf_error_clear(&err);
	if (pvf_proto_decode_execute(payload, len, &m, &err) < 0) {
		pvf__worker_send_error(w, &err);
		return -1;
	}
	if (m.timeout_ms > PVF_JOB_MAX_CPU_MS) {
		pvf_error_set(&err, PVF_E_USAGE, "timeout %llu ms over the maximum", (unsigned long long)m.timeout_ms);
		pvf_proto_result_from_error(&d.result, &err, 0);
		return send_done(w, &d, &err) < 0 ? -1 : 0;
	}
	if (!s->pid && prefork(w, s, &err) < 0) {
		pvf_proto_result_from_error(&d.result, &err, 0);
		return send_done(w, &d, &err) < 0 ? -1 : 0;
	}
	hdr[0] = (uint8_t)len;
	hdr[1] = (uint8_t)(len >> 8);
	hdr[2] = (uint8_t)(len >> 16);
	hdr[3] = (uint8_t)(len >> 24);
	/* One system call for prefix and payload, so that the job wakes once.
	 * A job that died while waiting gives EPIPE here: collected below. */
	(void)write_frame(s->req_wr, hdr, payload, len);
	close(s->req_wr);
	s->req_wr = -1;
	pid_t pid = s->pid;
	/* A job picked before it was ready says so first. */
	bool ready = slot_wait_ready(s) == 0;
	/* The answer goes to the host as soon as a complete, well-formed
	 * result frame has arrived; the job is reaped after that (its exit
	 * unmaps the memory reservation, which is slow). The statistics are
	 * then the job's own account. Anything else is judged from how the job
	 * ended, as below. */
	if (ready && read_frame(s->res_rd, &res, &rlen) == 0 &&
	    pvf_proto_decode_execute_done(res + 4, rlen - 4, &d, &err) == 0 &&
	    (d.result.ok || (d.result.code > PVF_OK && d.result.code < PVF_E__COUNT && d.result.code != PVF_E_TIMEOUT))) {
		if (!d.result.ok) {
			d.result.cls = (uint8_t)pvf_error_code_class((pvf_error_code)d.result.code);
			if (d.result.code != PVF_E_TRAP || d.result.trap_kind >= PVF_TRAP__COUNT)
				d.result.trap_kind = 0;
		}
		d.result.stats.wall_us = pvf_clock_us() - t0;
		int sent = send_done(w, &d, &err);
		slot_close(s);
		/* The next job is forked before this one is reaped: its exit
		 * (the unmapping of its memory reservation) and the fork then
		 * run side by side on two CPUs. */
		if (sent == 0 && prefork(w, s, &err) < 0)
			pvf__worker_log(w, "cannot fork a job ahead of time: %s", err.msg);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return sent < 0 ? -1 : 0;
	}
	res = NULL;     /* g_res's */
	rlen = 0;
	memset(&d, 0, sizeof(d));
	int rc = pvf__worker_collect_job(pid, s->res_rd, PVF_PROTO_MAX_FRAME, &res, &rlen, &overflow, &status, &ru,
					 &err);
	slot_close(s);
	/* Part of the frame was consumed above: only how the job ended counts. */
	free(res);
	res = NULL;
	rlen = 0;
	if (rc < 0) {
		pvf_proto_result_from_error(&d.result, &err, 0);
		return send_done(w, &d, &err) < 0 ? -1 : 0;
	}
	bool exited_ok = WIFEXITED(status) && WEXITSTATUS(status) == PVF__JOB_EXIT_OK;
	if (exited_ok && !overflow && rlen >= 4 && get_le32(res) == rlen - 4 &&
	    pvf_proto_decode_execute_done(res + 4, rlen - 4, &d, &err) == 0 &&
	    (d.result.ok || (d.result.code > PVF_OK && d.result.code < PVF_E__COUNT))) {
		if (!d.result.ok) {
			d.result.cls = (uint8_t)pvf_error_code_class((pvf_error_code)d.result.code);
			if (d.result.code != PVF_E_TRAP || d.result.trap_kind >= PVF_TRAP__COUNT)
				d.result.trap_kind = 0;
		}
	} else {
		memset(&d, 0, sizeof(d));
		pvf__worker_classify_job(status, &ru, m.timeout_ms, PVF_CLASS_DETERMINISTIC, false, &err);
		pvf_proto_result_from_error(&d.result, &err, 0);
		pvf__worker_log(w, "job %ld: %s", (long)pid, err.msg);
	}
	d.result.stats.cpu_us = pvf_rusage_cpu_us(&ru);
	d.result.stats.peak_rss_kb = (uint64_t)ru.ru_maxrss;
	d.result.stats.wall_us = pvf_clock_us() - t0;
	rc = send_done(w, &d, &err);
	free(res);
	return rc < 0 ? -1 : 0;
}

/* Unregisters glibc's restartable-sequence area for this thread. The
 * kernel writes that area (in the thread's TLS page) when the thread
 * returns to user space on another CPU, and in this worker and its jobs the
 * page is copy-on-write after every fork: such a write copies it, in the
 * worker and in the job. Nothing here uses rseq (it speeds up sched_getcpu,
 * which then makes a system call). Best effort: newer glibc reports a
 * feature size smaller than the registered length, hence the second try. */
static void rseq_unregister(void)
{
	if (__rseq_size == 0)
		return;
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) < 0 && errno == EINVAL)
		(void)syscall(SYS_rseq, area, 32u, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
}

int main(int argc, char **argv)
{
	pvf__worker w;
	pvf_error err;
	char path[PATH_MAX];
	job_slot slots[PREFORKED_JOBS];

	pvf_error_clear(&err);
	for (int k = 0; k < PREFORKED_JOBS; k++)
		slots[k] = (job_slot){ .pid = 0, .req_wr = -1, .res_rd = -1, .pidfd = -1 };
	rseq_unregister();
	if (pvf__worker_start(&w, PVF_WORKER_EXECUTE, argc, argv, &err) < 0) {
		pvf__worker_log(&w, "%s", err.msg);
		return 1;
	}
	if (pvf__worker_map_path(&w, w.hello.artifact, path, sizeof(path), &err) < 0 ||
	    pvf_artifact_open(path, NULL, &g_art, &err) < 0) {
		pvf__worker_log(&w, "cannot load the artifact: %s", err.msg);
		pvf__worker_send_error(&w, &err);
		return 1;
	}
	/* From here on the worker only forks jobs and passes bytes: it takes
	 * the jobs' allow list (with what its loop needs) on itself, so that no
	 * job installs one (docs/sandbox.md). Where it cannot, each job
	 * installs the list before untrusted code runs (job_main). */
	if (w.sandboxed && pvf_sandbox_lock_execute_worker(&w.sb, &w.report, &err) < 0)
		pvf__worker_log(&w, "jobs install the allow list themselves: %s", err.msg);
	/* Building that filter freed many small blocks. Merged now, once: left
	 * for malloc to merge at a job's first larger allocation, they cost
	 * every job some fourteen page copies. */
	malloc_trim(0);
	if (pvf__worker_ack(&w, true, "", &err) < 0) {
		pvf__worker_log(&w, "%s", err.msg);
		return 1;
	}
	/* From here on a served request does not call malloc in the worker:
	 * its free blocks are taken, so that the jobs' allocations come from
	 * the top of the heap (heap_settle.c). */
	pvf__heap_settle();
	for (;;) {
		uint8_t *p = NULL;
		size_t n = 0;
		for (int k = 0; k < PREFORKED_JOBS; k++)
			if (!slots[k].pid && prefork(&w, &slots[k], &err) < 0)
				pvf__worker_log(&w, "cannot fork a job ahead of time: %s", err.msg);
		if (recv_request(&w, &p, &n, &err) < 0) {
			/* The waiting jobs read EOF and exit. */
			for (int k = 0; k < PREFORKED_JOBS; k++)
				slot_close(&slots[k]);
			return strstr(err.msg, "closed") ? 0 : 1;
		}
		if (n < 1 || p[0] != PVF_MSG_EXECUTE) {
			pvf_error_set(&err, PVF_E_IO, "unexpected message type %u", n ? p[0] : 0);
			pvf__worker_send_error(&w, &err);
			return 1;
		}
		/* serve() forks that slot's next job right after answering. */
		if (serve(&w, pick_slot(&w, slots), p, n) < 0)
			return 1;
		/* A large frame's buffers are given back. */
		pvf__iobuf_shrink(&g_req, IOBUF_KEEP);
		pvf__iobuf_shrink(&g_res, IOBUF_KEEP);
		pvf__iobuf_shrink(&g_ans, IOBUF_KEEP);
	}
}
