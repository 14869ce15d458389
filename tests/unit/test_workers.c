/*
 * test_workers.c — the worker processes end to end, in the spirit of
 * polkadot-sdk polkadot/node/core/pvf/tests/it (process.rs, main.rs):
 * real worker binaries spawned by the host library, real artifacts.
 *
 *   handshake + single-threaded workers (/proc/PID/status "Threads: 1")
 *   version mismatch refused, naming both versions
 *   infinite loop (tests/wasm/worker_loop.wat = loop.wat + __heap_base) -> timeout within 4 x its CPU limit,
 *     no process left behind
 *   SIGKILL of the execute worker mid-job -> worker died (and its job too)
 *   SIGKILL of the job -> job died, the signal named
 *   SIGSTOP of a prepare worker -> timed out by the host's wall clock
 *   prepare over its memory limit -> out of memory, deterministic
 *   deep recursion traps at the same depth in 100 runs, at -O0/-O1/-O2
 *   corrupt artifact -> possibly-invalid error at spawn
 *   an artifact that calls the C math library runs in the sandboxed worker;
 *     one that does not leaves it unmapped there
 *   request -> result latency of a trivial PVF (p50/p99 over 1,000 requests)
 *
 * Expected values come from outside this code: the 12-byte ValidationResult
 * is the SCALE layout of polkadot-sdk polkadot/parachain/src/primitives.rs
 * (Vec = compact length, Option = 0 for None, u32 little endian); the
 * 4 x wall-clock factor is Polkadot's JOB_TIMEOUT_WALL_CLOCK_FACTOR; signal 9
 * is SIGKILL on Linux (signal(7)); the error classes are docs/errors.md.
 *
 * Needs PREPARE_WORKER, EXECUTE_WORKER and TEST_WASM_DIR (c_args).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/asan.h"
#include "engine/engine.h"
#include "host/worker_client.h"
#include "test_util.h"
#include "worker/worker_common.h"

#ifndef PREPARE_WORKER
#error "PREPARE_WORKER must name the prepare worker binary"
#endif
#ifndef EXECUTE_WORKER
#error "EXECUTE_WORKER must name the execute worker binary"
#endif
#ifndef TEST_WASM_DIR
#error "TEST_WASM_DIR must name the directory of the test modules"
#endif

/* SCALE ValidationResult with every field empty/zero (see the header). */
static const uint8_t EMPTY_RESULT[12] = { 0 };

static char g_root[] = "/tmp/pvfhost-test-workers-XXXXXX";
static unsigned g_ndirs;
static uint32_t g_security;   /* security_required for every worker */

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void new_dir(char *out, size_t cap)
{
	snprintf(out, cap, "%s/w%u", g_root, g_ndirs++);
	assert_int_equal(mkdir(out, 0755), 0);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	uint8_t *buf = test_read_file(path, len);

	if (!buf)
		fail_msg("cannot read %s", path);
	return buf;
}

static pvf_worker *spawn(pvf_worker_kind kind, const char *dir, const char *artifact, pvf_error *err)
{
	pvf_worker_opts o;
	pvf_worker *w = NULL;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.program = kind == PVF_WORKER_PREPARE ? PREPARE_WORKER : EXECUTE_WORKER;
	o.dir = dir;
	o.artifact = artifact;
	o.security_required = g_security;
	o.log_fd = getenv("PVFHOST_TEST_WORKER_LOG") ? 2 : -1;
	if (pvf_worker_spawn(&o, &w, err) < 0)
		return NULL;
	return w;
}

static void prepare_req(pvf_msg_prepare *m, const uint8_t *code, size_t len, const char *opt, uint32_t depth)
{
	memset(m, 0, sizeof(*m));
	m->kind = PVF_PREPARE_PREPARE;
	m->jobs = 1;
	m->timeout_ms = 60000;
	m->stack_limit = depth;
	snprintf(m->opt_level, sizeof(m->opt_level), "%s", opt);
	m->code = code;
	m->code_len = len;
	m->code_hash[0] = 0xc0;  /* recorded and verified, not recomputed */
	m->params_hash[0] = 0x9a;
}

/* Prepares TEST_WASM_DIR/<name>.wasm in a prepare worker; the artifact goes
 * to a new execute dir: *ret_dir, *ret_art. */
static void prepare_module(const char *name, const char *opt, uint32_t depth, char *ret_dir, char *ret_art)
{
	char path[600], pdir[300];
	pvf_msg_prepare m;
	pvf_worker_reply rep;
	pvf_error err;
	size_t len;
	uint8_t *code;
	pvf_worker *w;

	snprintf(path, sizeof(path), "%s/%s.wasm", TEST_WASM_DIR, name);
	code = read_file(path, &len);
	new_dir(pdir, sizeof(pdir));
	new_dir(ret_dir, 300);
	snprintf(ret_art, 600, "%s/artifact", ret_dir);
	w = spawn(PVF_WORKER_PREPARE, pdir, NULL, &err);
	if (!w)
		fail_msg("spawn prepare worker: %s", err.msg);
	prepare_req(&m, code, len, opt, depth);
	if (pvf_worker_prepare(w, &m, ret_art, &rep, &err) < 0)
		fail_msg("prepare %s %s: %s (%s)", name, opt, err.msg, pvf_worker_outcome_name(rep.outcome));
	assert_int_equal(rep.outcome, PVF_WORKER_OK);
	assert_true(rep.artifact_bytes > 0);
	assert_true(rep.stats.cpu_us > 0);
	pvf_worker_free(w);
	free(code);
}

static int threads_of(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	int n = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* Alive = exists and is not a zombie. */
static bool process_alive(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *rp = strrchr(buf, ')');
	return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

static bool wait_gone(pid_t pid, int ms)
{
	for (int i = 0; i < ms; i += 5) {
		if (!process_alive(pid))
			return true;
		usleep(5000);
	}
	return !process_alive(pid);
}

/* Live processes whose process group is `pgid`. */
static int count_pgid(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[512];
		long pgrp;
		char st;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t k = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[k] = '\0';
		char *rp = strrchr(buf, ')');
		if (rp && sscanf(rp + 2, "%c %*d %ld", &st, &pgrp) == 2 && pgrp == pgid && st != 'Z')
			n++;
	}
	closedir(d);
	return n;
}

/* Live members of process group `pgid` after waiting up to `ms` for them to
 * finish dying (a SIGKILLed process can take a while to release a large
 * address space, e.g. under AddressSanitizer). */
static int pgid_left_after(pid_t pgid, int ms)
{
	int n;
	for (int waited = 0; (n = count_pgid(pgid)) > 0 && waited < ms; waited += 10)
		usleep(10 * 1000);
	return n;
}

/* The children of `pid` (an execute worker's jobs: the running one and
 * those forked ahead), up to `max`; returns how many. */
static int children_of(pid_t pid, pid_t *out, int max)
{
	char path[96];
	long c = 0;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < max && fscanf(f, "%ld", &c) == 1)
		out[n++] = (pid_t)c;
	fclose(f);
	return n;
}

/* First child of `pid`, 0 if none. */
static pid_t child_of(pid_t pid)
{
	pid_t c[1];
	return children_of(pid, c, 1) == 1 ? c[0] : 0;
}

/* Forks a helper that, after `delay_ms`, sends `sig` to the worker itself
 * (job = false) or to every job of the worker (job = true: the running one
 * and those forked ahead). Returns the helper's pid; a victim's pid is
 * written to *victim via a pipe read at the end. */
static pid_t kill_later(pid_t worker, bool job, int sig, int delay_ms, int *rfd)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t h = fork();
	assert_true(h >= 0);
	if (h == 0) {
		close(p[0]);
		usleep((useconds_t)delay_ms * 1000);
		pid_t v = worker, jobs[8];
		if (job) {
			int n = children_of(worker, jobs, 8);
			v = n ? jobs[0] : 0;
			for (int i = 0; i < n; i++)
				kill(jobs[i], sig);
		} else {
			kill(v, sig);
		}
		(void)!write(p[1], &v, sizeof(v));
		_exit(0);
	}
	close(p[1]);
	*rfd = p[0];
	return h;
}

static pid_t join_helper(pid_t h, int rfd)
{
	pid_t v = 0;
	(void)!read(rfd, &v, sizeof(v));
	close(rfd);
	waitpid(h, NULL, 0);
	return v;
}

static void exec_req(pvf_msg_execute *m, uint64_t timeout_ms, const void *params, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->timeout_ms = timeout_ms;
	m->params = params;
	m->params_len = len;
}

/* ---- tests -------------------------------------------------------------- */

static char g_triv_dir[300], g_triv_art[600];
static char g_loop_dir[300], g_loop_art[600];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(g_root))
		return -1;
	chmod(g_root, 0755);
	/* PVFHOST_TEST_NO_SANDBOX=1: run the workers unsandboxed (for machines
	 * where the sandbox cannot run; the test then says so). */
	if (getenv("PVFHOST_TEST_NO_SANDBOX")) {
		g_security = PVF_SECURITY_NO_SANDBOX;
		fprintf(stderr, "# workers run WITHOUT their sandbox (PVFHOST_TEST_NO_SANDBOX)\n");
	}
	prepare_module("worker_trivial", "-O1", 0, g_triv_dir, g_triv_art);
	prepare_module("worker_loop", "-O1", 0, g_loop_dir, g_loop_art);
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_handshake_single_threaded(void **state)
{
	pvf_error err;
	pvf_worker *p, *x;
	pvf_msg_execute m;
	pvf_worker_reply rep;
	char pdir[300];

	(void)state;
	new_dir(pdir, sizeof(pdir));
	p = spawn(PVF_WORKER_PREPARE, pdir, NULL, &err);
	if (!p)
		fail_msg("prepare worker: %s", err.msg);
	x = spawn(PVF_WORKER_EXECUTE, g_triv_dir, g_triv_art, &err);
	if (!x)
		fail_msg("execute worker: %s", err.msg);
	fprintf(stderr, "# security applied: prepare 0x%x, execute 0x%x\n", pvf_worker_security_applied(p),
		pvf_worker_security_applied(x));
	assert_int_equal(threads_of(pvf_worker_pid(p)), 1);
	assert_int_equal(threads_of(pvf_worker_pid(x)), 1);
	exec_req(&m, 2000, "", 0);
	if (pvf_worker_execute(x, &m, &rep, &err) < 0)
		fail_msg("execute: %s", err.msg);
	assert_int_equal(rep.output_len, sizeof(EMPTY_RESULT));
	assert_memory_equal(rep.output, EMPTY_RESULT, sizeof(EMPTY_RESULT));
	pvf_worker_reply_free(&rep);
	/* still single-threaded after a job (the job ran in a child) */
	assert_int_equal(threads_of(pvf_worker_pid(x)), 1);
	pid_t pg = pvf_worker_pid(x);
	pvf_worker_free(p);
	pvf_worker_free(x);
	assert_int_equal(pgid_left_after(pg, 5000), 0);
}

static void test_version_mismatch(void **state)
{
	pvf_worker_opts o;
	pvf_worker *w = NULL;
	pvf_error err;
	char dir[300];

	(void)state;
	new_dir(dir, sizeof(dir));
	memset(&o, 0, sizeof(o));
	o.kind = PVF_WORKER_PREPARE;
	o.program = PREPARE_WORKER;
	o.dir = dir;
	o.log_fd = -1;
	o.security_required = g_security;
	o.version = "9.9.9-other";
	assert_int_equal(pvf_worker_spawn(&o, &w, &err), -1);
	assert_null(w);
	assert_int_equal(err.code, PVF_E_USAGE);
	assert_non_null(strstr(err.msg, "9.9.9-other"));
	assert_non_null(strstr(err.msg, PVFHOST_VERSION));
	/* protocol version mismatch, same pvfhost version */
	o.version = NULL;
	o.protocol_version = PVF_PROTO_VERSION + 1;
	assert_int_equal(pvf_worker_spawn(&o, &w, &err), -1);
	assert_non_null(strstr(err.msg, "version mismatch"));
}

static void test_loop_times_out(void **state)
{
	pvf_error err;
	pvf_worker *x;
	pvf_msg_execute m;
	pvf_worker_reply rep;
	const uint64_t limit_ms = 500;

	(void)state;
	x = spawn(PVF_WORKER_EXECUTE, g_loop_dir, g_loop_art, &err);
	if (!x)
		fail_msg("execute worker: %s", err.msg);
	pid_t wpid = pvf_worker_pid(x);
	exec_req(&m, limit_ms, "", 0);
	uint64_t t0 = now_us();
	assert_int_equal(pvf_worker_execute(x, &m, &rep, &err), -1);
	uint64_t el = (now_us() - t0) / 1000;
	fprintf(stderr, "# loop: %s after %llu ms wall (CPU limit %llu ms): %s\n",
		pvf_worker_outcome_name(rep.outcome), (unsigned long long)el, (unsigned long long)limit_ms, err.msg);
	assert_int_equal(rep.outcome, PVF_WORKER_TIMEOUT);
	assert_int_equal(err.code, PVF_E_TIMEOUT);
	assert_int_equal(err.cls, PVF_CLASS_DETERMINISTIC);
	assert_true(el >= limit_ms - 50);
	assert_true(el < PVF_WORKER_WALL_FACTOR * limit_ms);
	/* the worker survives its job and serves the next request */
	assert_true(pvf_worker_alive(x));
	assert_int_equal(threads_of(wpid), 1);
	pvf_worker_free(x);
	assert_true(wait_gone(wpid, 1000));
	assert_int_equal(pgid_left_after(wpid, 5000), 0);
}

static void test_sigkill_worker(void **state)
{
	pvf_error err;
	pvf_worker *x;
	pvf_msg_execute m;
	pvf_worker_reply rep;
	int rfd;

	(void)state;
	x = spawn(PVF_WORKER_EXECUTE, g_loop_dir, g_loop_art, &err);
	if (!x)
		fail_msg("execute worker: %s", err.msg);
	pid_t wpid = pvf_worker_pid(x);
	/* the job that will run is the one forked ahead of time */
	usleep(50000);
	pid_t job = child_of(wpid);
	assert_true(job > 0);
	pid_t h = kill_later(wpid, false, SIGKILL, 300, &rfd);
	exec_req(&m, 10000, "", 0);
	assert_int_equal(pvf_worker_execute(x, &m, &rep, &err), -1);
	assert_int_equal(join_helper(h, rfd), wpid);
	fprintf(stderr, "# SIGKILL worker: %s: %s\n", pvf_worker_outcome_name(rep.outcome), err.msg);
	assert_int_equal(rep.outcome, PVF_WORKER_DIED);
	assert_int_equal(err.cls, PVF_CLASS_POSSIBLY_INVALID);
	assert_non_null(strstr(err.msg, "worker died"));
	assert_non_null(strstr(err.msg, "SIGKILL"));
	/* no orphan: the job died with its worker (PR_SET_PDEATHSIG) */
	assert_true(wait_gone(job, 2000));
	assert_false(pvf_worker_alive(x));
	pvf_worker_free(x);
	assert_int_equal(pgid_left_after(wpid, 5000), 0);
}

static void test_sigkill_job(void **state)
{
	pvf_error err;
	pvf_worker *x;
	pvf_msg_execute m;
	pvf_worker_reply rep;
	int rfd;

	(void)state;
	x = spawn(PVF_WORKER_EXECUTE, g_loop_dir, g_loop_art, &err);
	if (!x)
		fail_msg("execute worker: %s", err.msg);
	pid_t wpid = pvf_worker_pid(x);
	pid_t h = kill_later(wpid, true, SIGKILL, 300, &rfd);
	exec_req(&m, 10000, "", 0);
	assert_int_equal(pvf_worker_execute(x, &m, &rep, &err), -1);
	pid_t job = join_helper(h, rfd);
	assert_true(job > 0);
	fprintf(stderr, "# SIGKILL job: %s: %s\n", pvf_worker_outcome_name(rep.outcome), err.msg);
	assert_int_equal(rep.outcome, PVF_WORKER_JOB_DIED);
	assert_int_equal(err.cls, PVF_CLASS_POSSIBLY_INVALID);
	assert_non_null(strstr(err.msg, "signal 9 (SIGKILL)"));
	/* the worker survived and still works */
	assert_true(pvf_worker_alive(x));
	assert_int_equal(threads_of(wpid), 1);
	pvf_worker_free(x);
}

/* Jobs forked ahead that die while they wait cost the next request
 * nothing: the worker finds them gone and forks others. */
static void test_idle_jobs_killed(void **state)
{
	pvf_error err;
	pvf_worker *x;
	pvf_msg_execute m;
	pvf_worker_reply rep;
	pid_t jobs[8];
	int n = 0;

	(void)state;
	x = spawn(PVF_WORKER_EXECUTE, g_triv_dir, g_triv_art, &err);
	if (!x)
		fail_msg("execute worker: %s", err.msg);
	pid_t wpid = pvf_worker_pid(x);
	exec_req(&m, 2000, "", 0);
	assert_int_equal(pvf_worker_execute(x, &m, &rep, &err), 0);
	pvf_worker_reply_free(&rep);
	/* The job that answered is reaped after the next one is forked. */
	usleep(100000);
	n = children_of(wpid, jobs, 8);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++) {
		assert_int_equal(kill(jobs[i], SIGKILL), 0);
		assert_true(wait_gone(jobs[i], 5000));
	}
	for (int r = 0; r < 3; r++) {
		if (pvf_worker_execute(x, &m, &rep, &err) < 0)
			fail_msg("request %d after the idle jobs died: %s", r, err.msg);
		assert_int_equal(rep.outcome, PVF_WORKER_OK);
		pvf_worker_reply_free(&rep);
	}
	assert_true(pvf_worker_alive(x));
	pvf_worker_free(x);
}

/* A prepare worker in a new directory; *art names a file there that the
 * test's preparations must never write. */
static pvf_worker *prepare_worker_in_new_dir(char *dir, size_t dcap, char *art, size_t acap)
{
	pvf_error err;
	pvf_worker *p;

	new_dir(dir, dcap);
	snprintf(art, acap, "%s/never", dir);
	p = spawn(PVF_WORKER_PREPARE, dir, NULL, &err);
	if (!p)
		fail_msg("prepare worker: %s", err.msg);
	return p;
}

static void test_sigstop_prepare_worker(void **state)
{
	pvf_error err;
	pvf_worker *p;
	pvf_msg_prepare m;
	pvf_worker_reply rep;
	char dir[300], art[600], path[600];
	size_t len;
	const uint64_t limit_ms = 500;

	(void)state;
	snprintf(path, sizeof(path), "%s/worker_trivial.wasm", TEST_WASM_DIR);
	uint8_t *code = read_file(path, &len);
	p = prepare_worker_in_new_dir(dir, sizeof(dir), art, sizeof(art));
	pid_t wpid = pvf_worker_pid(p);
	assert_int_equal(kill(wpid, SIGSTOP), 0);
	prepare_req(&m, code, len, "-O1", 0);
	m.kind = PVF_PREPARE_PRECHECK;
	m.timeout_ms = limit_ms;
	uint64_t t0 = now_us();
	assert_int_equal(pvf_worker_prepare(p, &m, art, &rep, &err), -1);
	uint64_t el = (now_us() - t0) / 1000;
	fprintf(stderr, "# SIGSTOP prepare worker: %s after %llu ms: %s\n", pvf_worker_outcome_name(rep.outcome),
		(unsigned long long)el, err.msg);
	assert_int_equal(rep.outcome, PVF_WORKER_TIMEOUT);
	assert_int_equal(err.code, PVF_E_TIMEOUT);
	/* a pre-check that timed out is a deterministic verdict */
	assert_int_equal(err.cls, PVF_CLASS_DETERMINISTIC);
	assert_true(el >= PVF_WORKER_WALL_FACTOR * limit_ms - 10);
	assert_true(el < PVF_WORKER_WALL_FACTOR * limit_ms + 1000);
	assert_false(pvf_worker_alive(p));
	assert_int_equal(access(art, F_OK), -1);
	pvf_worker_free(p);
	assert_int_equal(pgid_left_after(wpid, 5000), 0);
	free(code);
}

/* A valid PVF-shaped module with one data segment of `n` bytes: wasm2c
 * writes it as a C array initialiser, which costs the compiler far more
 * memory than the module's size. Binary layout: WebAssembly core spec 1.0,
 * section 5 (type 1, function 3, memory 5, export 7, code 10, data 11). */
static uint8_t *big_data_module(size_t n, size_t *ret_len)
{
	size_t cap = n + 256, o = 0;
	uint8_t *b = malloc(cap);
	assert_non_null(b);
#define PUT(...) do { const uint8_t t_[] = { __VA_ARGS__ }; memcpy(b + o, t_, sizeof(t_)); o += sizeof(t_); } while (0)
#define LEB(v) do { uint64_t v_ = (v); do { uint8_t c_ = v_ & 0x7f; v_ >>= 7; b[o++] = (uint8_t)(c_ | (v_ ? 0x80 : 0)); } while (v_); } while (0)
	PUT(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
	PUT(0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7e);          /* (i32 i32) -> i64 */
	PUT(0x03, 0x02, 0x01, 0x00);
	uint32_t pages = (uint32_t)((n + 65535) / 65536) + 1;
	PUT(0x05);
	size_t at = o++;
	size_t s0 = o;
	PUT(0x01, 0x00);
	LEB(pages);
	b[at] = (uint8_t)(o - s0);
	PUT(0x07, 0x1b, 0x02,
	    0x0e, 'v', 'a', 'l', 'i', 'd', 'a', 't', 'e', '_', 'b', 'l', 'o', 'c', 'k', 0x00, 0x00,
	    0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00);
	PUT(0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b);                 /* i64.const 0 */
	/* data: one active segment at offset 0 */
	size_t body = 1 + 1 + 3 + 0;  /* count, memidx, i32.const 0 end */
	uint8_t lenb[10];
	size_t ll = 0;
	uint64_t v = n;
	do { uint8_t c = v & 0x7f; v >>= 7; lenb[ll++] = (uint8_t)(c | (v ? 0x80 : 0)); } while (v);
	body += ll + n;
	PUT(0x0b);
	LEB(body);
	PUT(0x01, 0x00, 0x41, 0x00, 0x0b);
	memcpy(b + o, lenb, ll);
	o += ll;
	for (size_t i = 0; i < n; i++)
		b[o + i] = (uint8_t)(i * 131u + 7u);
	o += n;
#undef PUT
#undef LEB
	*ret_len = o;
	return b;
}

static void test_prepare_out_of_memory(void **state)
{
	pvf_error err;
	pvf_worker *p;
	pvf_msg_prepare m;
	pvf_worker_reply rep;
	char dir[300], art[600];
	size_t len;

	(void)state;
#ifdef PVF_UNDER_ASAN
	skip();  /* RLIMIT_DATA cannot work next to ASan's shadow mappings */
#endif
	uint8_t *code = big_data_module(4u << 20, &len);
	p = prepare_worker_in_new_dir(dir, sizeof(dir), art, sizeof(art));
	prepare_req(&m, code, len, "-O1", 0);
	m.memory_limit = 64u << 20;
	assert_int_equal(pvf_worker_prepare(p, &m, art, &rep, &err), -1);
	fprintf(stderr, "# prepare over 64 MiB: %s: %s\n", pvf_worker_outcome_name(rep.outcome), err.msg);
	assert_int_equal(rep.outcome, PVF_WORKER_OUT_OF_MEMORY);
	assert_int_equal(err.cls, PVF_CLASS_DETERMINISTIC);
	assert_non_null(strstr(err.msg, "out of memory during preparation"));
	/* the worker survives and prepares within limits */
	assert_true(pvf_worker_alive(p));
	pvf_worker_free(p);
	free(code);
}

/* A preparation whose job is killed while it compiles leaves no scratch
 * files behind (its generated C, objects and the compiler's temporaries
 * would otherwise stay in the worker dir until the dir is removed), and
 * neither does one that ends well. */
static void test_prepare_killed_job_cleaned_up(void **state)
{
	pvf_error err;
	pvf_worker *p;
	pvf_msg_prepare m;
	pvf_worker_reply rep;
	char dir[300], art[600], path[600];
	size_t len;
	int rfd;

	(void)state;
	uint8_t *code = big_data_module(2u << 20, &len);
	p = prepare_worker_in_new_dir(dir, sizeof(dir), art, sizeof(art));
	pid_t h = kill_later(pvf_worker_pid(p), true, SIGKILL, 400, &rfd);
	prepare_req(&m, code, len, "-O1", 0);
	assert_int_equal(pvf_worker_prepare(p, &m, art, &rep, &err), -1);
	assert_true(join_helper(h, rfd) > 0);
	fprintf(stderr, "# prepare job killed: %s: %s\n", pvf_worker_outcome_name(rep.outcome), err.msg);
	assert_int_equal(rep.outcome, PVF_WORKER_JOB_DIED);
	assert_true(pvf_worker_alive(p));
	assert_int_equal(test_dir_entries(dir, "scratch", NULL, 0), 0);
	assert_int_equal(access(art, F_OK), -1);
	free(code);

	snprintf(path, sizeof(path), "%s/worker_trivial.wasm", TEST_WASM_DIR);
	code = read_file(path, &len);
	snprintf(art, sizeof(art), "%s/artifact", dir);
	prepare_req(&m, code, len, "-O1", 0);
	if (pvf_worker_prepare(p, &m, art, &rep, &err) < 0)
		fail_msg("prepare after the killed job: %s", err.msg);
	assert_int_equal(test_dir_entries(dir, "scratch", NULL, 0), 0);
	assert_int_equal(test_dir_entries(dir, "cc", NULL, 0), 0);
	assert_int_equal(access(art, F_OK), 0);
	pvf_worker_free(p);
	free(code);
}

/* Runs worker_recursion with depth n: 1 returned, 0 trapped (stack). */
static int recurse(pvf_worker *x, uint32_t n)
{
	pvf_msg_execute m;
	pvf_worker_reply rep;
	pvf_error err;
	uint8_t in[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };

	exec_req(&m, 5000, in, sizeof(in));
	if (pvf_worker_execute(x, &m, &rep, &err) == 0) {
		assert_memory_equal(rep.output, EMPTY_RESULT, sizeof(EMPTY_RESULT));
		pvf_worker_reply_free(&rep);
		return 1;
	}
	if (rep.outcome != PVF_WORKER_JOB_ERROR || err.code != PVF_E_TRAP ||
	    rep.trap_kind != PVF_TRAP_STACK_EXHAUSTED)
		fail_msg("depth %u: %s (%s, trap %u)", n, err.msg, pvf_worker_outcome_name(rep.outcome), rep.trap_kind);
	assert_int_equal(err.cls, PVF_CLASS_DETERMINISTIC);
	return 0;
}

static void test_recursion_depth_deterministic(void **state)
{
	static const char *const levels[] = { "-O1", "-O0", "-Og", "-O2" };
	const uint32_t limit = 2000;
	uint32_t first = 0;

	(void)state;
	for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		char dir[300], art[600];
		pvf_error err;
		prepare_module("worker_recursion", levels[l], limit, dir, art);
		pvf_worker *x = spawn(PVF_WORKER_EXECUTE, dir, art, &err);
		if (!x)
			fail_msg("execute worker: %s", err.msg);
		/* largest n that returns: recurse(lo) = 1, recurse(hi) = 0 */
		uint32_t lo = 0, hi = 4 * limit;
		assert_int_equal(recurse(x, hi), 0);
		while (hi - lo > 1) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (recurse(x, mid))
				lo = mid;
			else
				hi = mid;
		}
		/* Polkadot's logical limit: validate_block costs 3 (its peak height
		 * over the starting 2) and $rec 5 (the else arm starts at the then
		 * arm's 3: local.get, i32.const, sub peak at 5), and recurse(n)
		 * enters $rec n + 1 times: 3 + 5 (n + 1) <= limit */
		assert_int_equal(lo, (limit - 3) / 5 - 1);
		int runs = l == 0 ? 100 : 20;
		for (int i = 0; i < runs; i++)
			assert_int_equal(recurse(x, i % 2 ? lo : lo + 1), i % 2);
		fprintf(stderr, "# recursion %s: deepest n = %u (limit %u), %d runs identical\n", levels[l], lo, limit,
			runs);
		if (l == 0)
			first = lo;
		else
			assert_int_equal(lo, first);
		pvf_worker_free(x);
	}
}

/* Whether process pid maps a file whose name contains needle: 1 or 0, or -1
 * when its maps cannot be read (a non-dumpable worker's, by anyone but
 * root). */
static int maps_file(pid_t pid, const char *needle)
{
	char path[64], line[512];
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "# %s: %s: mappings not checked (run as root to check them)\n", path,
			strerror(errno));
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* Prepares tests/wasm/<name>.wasm with the engine itself and without the
 * PVF rules (the prepare worker applies them, and they refuse a start
 * function) into a new directory's "artifact". */
static void engine_prepare_module(const char *name, char *ret_dir, char *ret_art)
{
	char path[600];
	pvf_prepare_opts o = { 0 };

	snprintf(path, sizeof(path), "%s/%s.wasm", TEST_WASM_DIR, name);
	new_dir(ret_dir, 300);
	snprintf(ret_art, 600, "%s/artifact", ret_dir);
	test_prepare_wasm(path, &o, ret_art, NULL);
}

/* Three jobs call "bump" (tests/wasm/worker_state.wat): each must see the
 * instance as instantiation left it. */
static void bump_three_times(pvf_worker *x, uint32_t want_global, uint32_t want_memory)
{
	const uint8_t want[8] = {
		(uint8_t)want_global, 0, 0, 0, (uint8_t)want_memory, 0, 0, 0,
	};
	pvf_msg_execute m;
	pvf_worker_reply rep;
	pvf_error err;

	for (int i = 0; i < 3; i++) {
		exec_req(&m, 2000, "", 0);
		snprintf(m.export_name, sizeof(m.export_name), "bump");
		if (pvf_worker_execute(x, &m, &rep, &err) < 0)
			fail_msg("execute: %s", err.msg);
		assert_int_equal(rep.output_len, sizeof(want));
		assert_memory_equal(rep.output, want, sizeof(want));
		pvf_worker_reply_free(&rep);
	}
}

/* Every job starts from the instance as instantiation made it: what one
 * job changes (a global, memory) does not reach the next, with or without
 * a start function (which each job's instantiation runs once). */
static void test_jobs_start_clean(void **state)
{
	char dir[300], art[600];
	pvf_worker *x;
	pvf_error err;

	(void)state;
	prepare_module("worker_state", "-Og", 0, dir, art);
	x = spawn(PVF_WORKER_EXECUTE, dir, art, &err);
	if (!x)
		fail_msg("execute worker: %s", err.msg);
	bump_three_times(x, 1, 6);
	pvf_worker_free(x);

	engine_prepare_module("worker_state_start", dir, art);
	x = spawn(PVF_WORKER_EXECUTE, dir, art, &err);
	if (!x)
		fail_msg("execute worker: %s", err.msg);
	bump_three_times(x, 11, 11);
	pvf_worker_free(x);
}

static void test_libm_artifact(void **state)
{
	/* IEEE 754 binary64, little endian: -2.5 in; floor -3.0 and
	 * nearest (ties to even) -2.0 out. */
	static const uint8_t in[8] = { 0, 0, 0, 0, 0, 0, 0x04, 0xc0 };
	static const uint8_t want[28] = {
		0x40,
		0, 0, 0, 0, 0, 0, 0x08, 0xc0,
		0, 0, 0, 0, 0, 0, 0x00, 0xc0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	char dir[300], art[600];
	pvf_msg_execute m;
	pvf_worker_reply rep;
	pvf_error err;
	size_t len;

	(void)state;
	prepare_module("worker_libm", "-Og", 0, dir, art);
	/* The premise: the artifact's code calls nearbyint outside itself
	 * (its dynamic string table names it), which the loader resolves from
	 * pvfhost's own table (rt_symbols.c). */
	uint8_t *a = read_file(art, &len);
	assert_non_null(memmem(a, len, "\0nearbyint\0", 11));
	free(a);
	pvf_worker *x = spawn(PVF_WORKER_EXECUTE, dir, art, &err);
	if (!x)
		fail_msg("execute worker: %s", err.msg);
	for (int i = 0; i < 3; i++) {
		exec_req(&m, 2000, in, sizeof(in));
		if (pvf_worker_execute(x, &m, &rep, &err) < 0)
			fail_msg("execute: %s", err.msg);
		assert_int_equal(rep.output_len, sizeof(want));
		assert_memory_equal(rep.output, want, sizeof(want));
		pvf_worker_reply_free(&rep);
	}
	/* No shared library is loaded for it: a static worker maps none at
	 * all (nor the dynamic loader), a dynamic one not libm. */
#if EXECUTE_WORKER_STATIC
	assert_int_not_equal(maps_file(pvf_worker_pid(x), ".so"), 1);
#else
	int libm = maps_file(pvf_worker_pid(x), "libm.so");
#ifndef PVF_UNDER_ASAN
	assert_int_not_equal(libm, 1);
#else
	/* The sanitizer run-time libraries load libm themselves. */
	fprintf(stderr, "# libm mapped: %d (not checked in a sanitizer build)\n", libm);
#endif
#endif
	pvf_worker_free(x);
}

static void test_corrupt_artifact(void **state)
{
	char dir[300], art[600];
	pvf_error err;
	size_t len;

	(void)state;
	new_dir(dir, sizeof(dir));
	snprintf(art, sizeof(art), "%s/artifact", dir);
	uint8_t *b = read_file(g_triv_art, &len);
	assert_true(len > 100);
	b[len - 10] ^= 0x55;  /* inside the payload: the checksum no longer matches */
	FILE *f = fopen(art, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	free(b);
	pvf_worker *x = spawn(PVF_WORKER_EXECUTE, dir, art, &err);
	assert_null(x);
	fprintf(stderr, "# corrupt artifact: %s: %s\n", pvf_error_code_name(err.code), err.msg);
	assert_int_equal(err.code, PVF_E_ARTIFACT_CORRUPT);
	assert_int_equal(err.cls, PVF_CLASS_POSSIBLY_INVALID);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

#define LATENCY_RUNS 1000

static void latency_run(pvf_worker *x, unsigned idle_us, const char *what)
{
	static uint64_t t[LATENCY_RUNS], cpu[LATENCY_RUNS];
	pvf_msg_execute m;
	pvf_worker_reply rep;
	pvf_error err;

	exec_req(&m, 2000, "", 0);
	for (int i = 0; i < LATENCY_RUNS; i++) {
		if (idle_us)
			usleep(idle_us);
		uint64_t t0 = now_us();
		if (pvf_worker_execute(x, &m, &rep, &err) < 0)
			fail_msg("execute %d: %s", i, err.msg);
		t[i] = now_us() - t0;
		cpu[i] = rep.stats.cpu_us;
		assert_int_equal(rep.output_len, sizeof(EMPTY_RESULT));
		pvf_worker_reply_free(&rep);
	}
	qsort(t, LATENCY_RUNS, sizeof(t[0]), cmp_u64);
	qsort(cpu, LATENCY_RUNS, sizeof(cpu[0]), cmp_u64);
	fprintf(stderr,
		"# execute path, %s: p50 %llu us, p90 %llu us, p99 %llu us, max %llu us (%d requests); "
		"job CPU from its fork to its answer p50 %llu us\n",
		what, (unsigned long long)t[LATENCY_RUNS / 2], (unsigned long long)t[LATENCY_RUNS * 9 / 10],
		(unsigned long long)t[LATENCY_RUNS * 99 / 100], (unsigned long long)t[LATENCY_RUNS - 1], LATENCY_RUNS,
		(unsigned long long)cpu[LATENCY_RUNS / 2]);
	/* a sanity bound only: the figures go to docs/performance.md */
	assert_true(t[LATENCY_RUNS / 2] < 20000);
}

static void test_execute_latency(void **state)
{
	pvf_error err;

	(void)state;
	pvf_worker *x = spawn(PVF_WORKER_EXECUTE, g_triv_dir, g_triv_art, &err);
	if (!x)
		fail_msg("execute worker: %s", err.msg);
	latency_run(x, 2000, "idle 2 ms between requests (job forked ahead)");
	latency_run(x, 0, "back to back (fork on the request path)");
	pvf_worker_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_single_threaded),
		cmocka_unit_test(test_version_mismatch),
		cmocka_unit_test(test_loop_times_out),
		cmocka_unit_test(test_sigkill_worker),
		cmocka_unit_test(test_sigkill_job),
		cmocka_unit_test(test_idle_jobs_killed),
		cmocka_unit_test(test_sigstop_prepare_worker),
		cmocka_unit_test(test_prepare_out_of_memory),
		cmocka_unit_test(test_prepare_killed_job_cleaned_up),
		cmocka_unit_test(test_recursion_depth_deterministic),
		cmocka_unit_test(test_jobs_start_clean),
		cmocka_unit_test(test_libm_artifact),
		cmocka_unit_test(test_corrupt_artifact),
		cmocka_unit_test(test_execute_latency),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
