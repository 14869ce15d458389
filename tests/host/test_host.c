/*
 * test_host.c — the validation host through its public API
 * (include/pvfhost.h), with real sandboxed workers: cache across restarts,
 * deleted and corrupted artifacts, which executor parameters cause
 * re-preparation, overlapping jobs, workers dying under the queue, priority
 * order without starvation, deadlines, cancellation, retries, remembered
 * deterministic failures, and shutdown leaving nothing behind.
 *
 * PVFHOST_TEST_NO_SANDBOX=1 runs the workers without their sandbox (for
 * machines where it cannot run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pvfhost.h"
#include "host/host_hooks.h"
#include "../unit/test_util.h"

static char g_root[256];
static uint8_t *g_spin, *g_triv, *g_bad;
static size_t g_spin_len, g_triv_len, g_bad_len;
static int g_dirs;

/* The whole file at `path`, NUL-terminated. */
static uint8_t *slurp_path(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = 0;
	*len = (size_t)n;
	return b;
}

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", TEST_WASM_DIR, name);
	return slurp_path(path, len);
}

static void new_cache(char *out, size_t n)
{
	snprintf(out, n, "%s/cache-%d", g_root, g_dirs++);
}

static pvfhost *host_new(const char *cache, uint32_t exec_workers)
{
	pvfhost_config c;
	pvfhost *h = NULL;
	pvfhost_error err;

	pvfhost_config_default(&c);
	c.cache_dir = cache;
	c.prepare_worker = PREPARE_WORKER;
	c.execute_worker = EXECUTE_WORKER;
	c.execute_workers = exec_workers;
	c.no_sandbox = getenv("PVFHOST_TEST_NO_SANDBOX") != NULL;
	c.execute_retry_delay_ms = 50;
	c.log_fd = getenv("PVFHOST_TEST_LOG") ? 2 : -1;
	c.log_level = 3;
	c.opt_level = "-O1";
	/* The scenarios below follow one artifact per code; the pre-check
	 * tier for unchecked code has its own test (test_fast_unchecked). */
	c.no_fast_unchecked = true;
	if (pvfhost_new(&c, &h, &err) < 0)
		fail_msg("pvfhost_new: %s", err.msg);
	return h;
}

static void spin_input(uint8_t in[4], uint32_t n)
{
	in[0] = (uint8_t)n;
	in[1] = (uint8_t)(n >> 8);
	in[2] = (uint8_t)(n >> 16);
	in[3] = (uint8_t)(n >> 24);
}

/* The ValidationResult host_spin.wat returns for N. */
static void spin_expected(uint8_t out[12], uint32_t n)
{
	memset(out, 0, 12);
	spin_input(out + 8, n);
}

static pvfhost_validate_req spin_req(const uint8_t in[4])
{
	pvfhost_validate_req r;
	memset(&r, 0, sizeof(r));
	r.code = g_spin;
	r.code_len = g_spin_len;
	r.params = in;
	r.params_len = 4;
	return r;
}

static void validate_spin(pvfhost *h, uint32_t n, const pvfhost_executor_params *ep, pvfhost_result *info)
{
	uint8_t in[4], want[12], *out = NULL;
	size_t out_len = 0;
	pvfhost_error err;

	spin_input(in, n);
	spin_expected(want, n);
	pvfhost_validate_req r = spin_req(in);
	r.exec_params = ep;
	if (pvfhost_validate(h, &r, &out, &out_len, info, &err) < 0)
		fail_msg("validate: %s [%s]", err.msg, pvfhost_error_code_name(err.code));
	assert_int_equal(out_len, 12);
	assert_memory_equal(out, want, 12);
	free(out);
}

/* A new cache, a host over it (one execute worker), and a first validation
 * of the spin PVF (input 0), which prepares its artifact. */
static pvfhost *host_with_spin(char *cache, size_t cap, pvfhost_result *info)
{
	new_cache(cache, cap);
	pvfhost *h = host_new(cache, 1);
	validate_spin(h, 0, NULL, info);
	return h;
}

/* Artifact files in a cache (DIR/artifacts). */
static int artifacts(const char *cache, char *first, size_t n)
{
	char dir[600];
	int k = 0;
	snprintf(dir, sizeof(dir), "%s/artifacts", cache);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (k++ == 0 && first) {
			size_t a = strlen(dir), b = strlen(e->d_name);
			assert_true(a + 1 + b < n);
			memcpy(first, dir, a);
			first[a] = '/';
			memcpy(first + a + 1, e->d_name, b + 1);
		}
	}
	closedir(d);
	return k;
}

/* Waits (up to two minutes) until `cache` holds n artifacts: one more
 * preparation in the background; asserts that it got there. */
static void wait_artifacts(const char *cache, int n)
{
	for (int w = 0; w < 6000 && artifacts(cache, NULL, 0) < n; w++)
		usleep(20000);
	assert_int_equal(artifacts(cache, NULL, 0), n);
}

/* Waits until `cache` holds n artifact files and the host has recorded
 * them: the file is renamed into place just before the host takes its lock
 * to mark the artifact ready, and a validation in between still runs on
 * the pre-check tier. */
static void wait_ready(pvfhost *h, const char *cache, int n)
{
	pvfhost_metrics m;

	wait_artifacts(cache, n);
	pvfhost_metrics_snapshot(h, &m);
	for (int w = 0; w < 6000 && m.cache_artifacts < (uint64_t)n; w++) {
		usleep(1000);
		pvfhost_metrics_snapshot(h, &m);
	}
	assert_true(m.cache_artifacts >= (uint64_t)n);
}

/* Waits until `cache` holds n artifacts (the optimised one is ready),
 * then checks that a validation with input `in` runs on it. */
static void expect_optimised(pvfhost *h, const char *cache, int n, uint32_t in)
{
	pvfhost_result info;

	wait_ready(h, cache, n);
	validate_spin(h, in, NULL, &info);
	assert_false(info.fast_tier);
}

/* A validation with input `in` of code not prepared yet: it waits for a
 * preparation and runs on the pre-check tier's artifact. */
static void expect_fast_first(pvfhost *h, uint32_t in)
{
	pvfhost_result info;

	validate_spin(h, in, NULL, &info);
	assert_true(info.prepared);
	assert_true(info.fast_tier);
}

/* Files named *.part anywhere under `dir`. */
static int part_files(const char *dir)
{
	char cmd[1200], buf[64];
	snprintf(cmd, sizeof(cmd), "find '%s' -name '*.part' 2>/dev/null | wc -l", dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(buf, sizeof(buf), p));
	pclose(p);
	return atoi(buf);
}

/* Live (not zombie) children of this process — the workers, each in its
 * own process group — whose command name starts with `comm` (NULL: any).
 * Up to `max` of their pids go to `pids`; returns how many there are. */
static int live_children(const char *comm, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	pid_t me = getpid();

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[512];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t k = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[k] = '\0';
		char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
		char st;
		long ppid;
		if (!lp || !rp || sscanf(rp + 2, "%c %ld", &st, &ppid) != 2 || ppid != me || st == 'Z')
			continue;
		if (comm && strncmp(lp + 1, comm, strlen(comm)) != 0)
			continue;
		if (n < max)
			pids[n] = (pid_t)atoi(e->d_name);
		n++;
		if (getenv("PVFHOST_TEST_VERBOSE"))
			fprintf(stderr, "# child %s: %.100s\n", e->d_name, buf);
	}
	closedir(d);
	return n;
}

static int children(void)
{
	return live_children(NULL, NULL, 0);
}

static int children_after(int ms)
{
	int n;
	for (int w = 0; (n = children()) > 0 && w < ms; w += 10)
		usleep(10000);
	return n;
}

/* ---- completion collector for asynchronous jobs ---- */

typedef struct done_log {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;
	uint64_t ids[256];
	int status[256];
	int code[256];
	uint32_t attempts[256];
	uint8_t out[256][12];
	size_t out_len[256];
	pthread_t thread[256];
} done_log;

static void on_done(void *ctx, const pvfhost_result *r)
{
	done_log *l = ctx;
	pthread_mutex_lock(&l->mu);
	int i = l->n++;
	l->ids[i] = r->job_id;
	l->status[i] = r->status;
	l->code[i] = r->err.code;
	l->attempts[i] = r->attempts;
	l->out_len[i] = r->output_len;
	l->thread[i] = pthread_self();
	if (r->status == 0 && r->output_len <= 12)
		memcpy(l->out[i], r->output, r->output_len);
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

static void log_init(done_log *l)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
}

static void wait_done(done_log *l, int n, int max_s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += max_s;
	pthread_mutex_lock(&l->mu);
	while (l->n < n)
		if (pthread_cond_timedwait(&l->cv, &l->mu, &ts) == ETIMEDOUT)
			break;
	int got = l->n;
	pthread_mutex_unlock(&l->mu);
	if (got < n)
		fail_msg("only %d of %d jobs completed within %d s", got, n, max_s);
}

static int index_of(done_log *l, uint64_t id)
{
	for (int i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return i;
	return -1;
}

static uint64_t submit_spin(pvfhost *h, done_log *l, uint32_t n, pvfhost_priority prio, uint64_t deadline_ms,
			    const pvfhost_executor_params *ep)
{
	uint8_t in[4];
	uint64_t id = 0;
	pvfhost_error err;

	spin_input(in, n);
	pvfhost_validate_req r = spin_req(in);
	r.priority = prio;
	r.deadline_ms = deadline_ms;
	r.exec_params = ep;
	if (pvfhost_validate_async(h, &r, on_done, l, &id, &err) < 0)
		fail_msg("validate_async: %s", err.msg);
	return id;
}

/* Waits until the host reports `n` executions running. */
static bool wait_running(pvfhost *h, uint64_t n, int max_ms)
{
	pvfhost_metrics m;
	for (int w = 0; w < max_ms; w += 5) {
		pvfhost_metrics_snapshot(h, &m);
		if (m.execute_running >= n)
			return true;
		usleep(5000);
	}
	return false;
}

/* ---- tests ---- */

static void test_cache_survives_restart(void **state)
{
	char cache[300];
	pvfhost_result info;
	pvfhost_metrics m;
	(void)state;

	pvfhost *h = host_with_spin(cache, sizeof(cache), &info);
	assert_true(info.prepared);
	pvfhost_metrics_snapshot(h, &m);
	assert_int_equal(m.preparations, 1);
	pvfhost_free(h);
	assert_int_equal(artifacts(cache, NULL, 0), 1);

	h = host_new(cache, 1);
	validate_spin(h, 1, NULL, &info);
	assert_false(info.prepared);
	pvfhost_metrics_snapshot(h, &m);
	assert_int_equal(m.preparations, 0);
	assert_int_equal(m.cache_hits, 1);
	pvfhost_free(h);
	assert_int_equal(children_after(5000), 0);
	assert_int_equal(part_files(cache), 0);
}

static void test_deleted_and_corrupted_artifact(void **state)
{
	char cache[300], art[700];
	pvfhost_result info;
	pvfhost_metrics m;
	(void)state;

	new_cache(cache, sizeof(cache));
	pvfhost *h = host_new(cache, 1);
	validate_spin(h, 2, NULL, &info);
	assert_true(info.prepared);
	assert_int_equal(artifacts(cache, art, sizeof(art)), 1);

	/* Deleted while the host runs (and its worker holds the old copy). */
	assert_int_equal(unlink(art), 0);
	validate_spin(h, 3, NULL, &info);
	assert_true(info.prepared);
	pvfhost_metrics_snapshot(h, &m);
	assert_int_equal(m.preparations, 2);

	/* Corrupted: one byte flipped in the middle of the file. */
	assert_int_equal(artifacts(cache, art, sizeof(art)), 1);
	int fd = open(art, O_RDWR);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, st.st_size / 2), 1);
	b ^= 0x5a;
	assert_int_equal(pwrite(fd, &b, 1, st.st_size / 2), 1);
	close(fd);
	validate_spin(h, 4, NULL, &info);
	assert_true(info.prepared);
	pvfhost_metrics_snapshot(h, &m);
	assert_int_equal(m.preparations, 3);
	pvfhost_free(h);

	/* Corrupted while no host runs: found at the next start or use. */
	assert_int_equal(artifacts(cache, art, sizeof(art)), 1);
	fd = open(art, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	close(fd);
	h = host_new(cache, 1);
	validate_spin(h, 5, NULL, &info);
	assert_true(info.prepared);
	pvfhost_free(h);
}

static void test_param_changes(void **state)
{
	char cache[300];
	pvfhost_result info;
	pvfhost_executor_params ep;
	(void)state;

	pvfhost *h = host_with_spin(cache, sizeof(cache), &info);
	assert_true(info.prepared);

	/* Execution-only parameters: the same artifact. */
	pvfhost_executor_params_default(&ep);
	ep.exec_timeout_backing_ms = 1500;
	ep.exec_timeout_approval_ms = 9000;
	ep.prep_timeout_lenient_ms = 300000;
	ep.stack_native_max = 128u << 20;
	ep.prechecking_max_memory = 768ull << 20;
	validate_spin(h, 1, &ep, &info);
	assert_false(info.prepared);
	assert_int_equal(artifacts(cache, NULL, 0), 1);

	/* Preparation-relevant ones: a new artifact each. */
	pvfhost_executor_params_default(&ep);
	ep.max_memory_pages = 1000;
	validate_spin(h, 1, &ep, &info);
	assert_true(info.prepared);
	pvfhost_executor_params_default(&ep);
	ep.stack_logical_max = 32768;
	validate_spin(h, 1, &ep, &info);
	assert_true(info.prepared);
	assert_int_equal(artifacts(cache, NULL, 0), 3);
	pvfhost_free(h);
}

static void test_jobs_overlap(void **state)
{
	char cache[300];
	done_log l;
	pvfhost_result info;
	(void)state;

	new_cache(cache, sizeof(cache));
	pvfhost *h = host_new(cache, 2);
	validate_spin(h, 0, NULL, &info);   /* prepared once */
	log_init(&l);
	/* Two jobs of ~0.5-1 s each; the host must run them at the same time. */
	submit_spin(h, &l, 600, PVFHOST_PRIO_BACKING, 0, NULL);
	submit_spin(h, &l, 601, PVFHOST_PRIO_BACKING, 0, NULL);
	assert_true(wait_running(h, 2, 10000));
	wait_done(&l, 2, 60);
	for (int i = 0; i < 2; i++)
		assert_int_equal(l.status[i], 0);
	pvfhost_free(h);
}

/* Where callbacks run: all on the completion thread by default; with
 * pvf__host_callbacks_inline (the daemon), an answered validation's on the
 * execute slot thread that ran it, while other completions (here a
 * preparation failure) stay on the completion thread. */
static void test_inline_callbacks(void **state)
{
	(void)state;
	for (int inl = 0; inl < 2; inl++) {
		char cache[300];
		done_log l;
		pvfhost_error err;
		uint64_t id = 0;
		pvfhost_validate_req bad;

		new_cache(cache, sizeof(cache));
		pvfhost *h = host_new(cache, 1);
		if (inl)
			pvf__host_callbacks_inline(h);
		log_init(&l);
		memset(&bad, 0, sizeof(bad));
		bad.code = g_bad;
		bad.code_len = g_bad_len;
		if (pvfhost_validate_async(h, &bad, on_done, &l, &id, &err) < 0)
			fail_msg("validate_async: %s", err.msg);
		wait_done(&l, 1, 60);
		assert_int_equal(l.status[0], -1);
		uint64_t ids[3];
		for (uint32_t k = 0; k < 3; k++)
			ids[k] = submit_spin(h, &l, 10 + k, PVFHOST_PRIO_BACKING, 0, NULL);
		wait_done(&l, 4, 60);
		for (uint32_t k = 0; k < 3; k++) {
			uint8_t want[12];
			int i = index_of(&l, ids[k]);
			assert_true(i >= 1);
			assert_int_equal(l.status[i], 0);
			spin_expected(want, 10 + k);
			assert_int_equal(l.out_len[i], 12);
			assert_memory_equal(l.out[i], want, 12);
			/* One slot: every answer on the same thread; the
			 * completion thread's only when not inline. */
			assert_int_equal(pthread_equal(l.thread[i], l.thread[0]) != 0, !inl);
			assert_true(pthread_equal(l.thread[i], l.thread[1]));
		}
		pvfhost_free(h);
		/* Each callback ran once. */
		assert_int_equal(l.n, 4);
	}
}

typedef struct blocking_call {
	pvfhost *h;
	uint32_t n;
	int rc;
	uint8_t out[12];
	size_t out_len;
} blocking_call;

/* pvfhost_validate on another thread (no cmocka assertions there). */
static void *blocking_spin(void *arg)
{
	blocking_call *c = arg;
	uint8_t in[4], *out = NULL;
	pvfhost_error err;

	spin_input(in, c->n);
	pvfhost_validate_req r = spin_req(in);
	c->rc = pvfhost_validate(c->h, &r, &out, &c->out_len, NULL, &err);
	if (c->rc == 0 && c->out_len <= sizeof(c->out))
		memcpy(c->out, out, c->out_len);
	free(out);
	return NULL;
}

/* A blocking validation that finds the only execute slot idle runs on it
 * from the caller's thread. A job queued meanwhile must be picked up by the
 * slot's own thread as soon as the caller gives the slot back. */
static void test_blocking_caller_gives_slot_back(void **state)
{
	char cache[300];
	done_log l;
	pvfhost_result info;
	pthread_t th;
	blocking_call c = { 0 };
	uint8_t want[12];
	(void)state;

	pvfhost *h = host_with_spin(cache, sizeof(cache), &info);
	c.h = h;
	c.n = 600;   /* ~0.5-1 s */
	assert_int_equal(pthread_create(&th, NULL, blocking_spin, &c), 0);
	assert_true(wait_running(h, 1, 10000));
	log_init(&l);
	submit_spin(h, &l, 7, PVFHOST_PRIO_BACKING, 0, NULL);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(c.rc, 0);
	spin_expected(want, 600);
	assert_int_equal(c.out_len, 12);
	assert_memory_equal(c.out, want, 12);
	wait_done(&l, 1, 20);
	assert_int_equal(l.status[0], 0);
	spin_expected(want, 7);
	assert_memory_equal(l.out[0], want, 12);
	pvfhost_free(h);
}

static void *killer(void *arg)
{
	volatile int *stop = arg;
	while (!*stop) {
		usleep(30000);
		/* Kill every execute worker of this process. */
		pid_t pids[16];
		int n = live_children("pvfhost-execute", pids, 16);
		for (int i = 0; i < n && i < 16; i++)
			kill(pids[i], SIGKILL);
	}
	return NULL;
}

/* SIGKILLs the one live worker named `comm` (nothing tells the host) and
 * waits until it is gone. */
static void kill_the_worker(const char *comm)
{
	pid_t pids[4];

	assert_int_equal(live_children(comm, pids, 4), 1);
	assert_int_equal(kill(pids[0], SIGKILL), 0);
	for (int w = 0; w < 500 && live_children(comm, NULL, 0) > 0; w++)
		usleep(10000);
	assert_int_equal(live_children(comm, NULL, 0), 0);
}

/* An execute worker that died while idle (nothing told the host) costs
 * the next validation nothing: the request never reached it, so the host
 * starts a new worker and runs it there, as its first attempt. */
static void test_worker_dead_before_request(void **state)
{
	char cache[300];
	pvfhost_result info;
	(void)state;

	pvfhost *h = host_with_spin(cache, sizeof(cache), &info);
	kill_the_worker("pvfhost-execute");
	validate_spin(h, 1, NULL, &info);
	assert_int_equal(info.attempts, 1);
	validate_spin(h, 2, NULL, &info);
	pvfhost_free(h);
	assert_int_equal(children_after(5000), 0);
}

/* A prepare worker that died leaves its dir behind, with whatever its
 * killed jobs left there: the next preparation's worker gets a new dir and
 * the old one is removed. */
static void test_dead_prepare_worker_dir_removed(void **state)
{
	char cache[300], wdir[400], name[256], old[700], junk[800];
	pvfhost_result info;
	pvfhost_executor_params ep;
	(void)state;

	pvfhost *h = host_with_spin(cache, sizeof(cache), &info);
	assert_true(info.prepared);
	snprintf(wdir, sizeof(wdir), "%s/workers", cache);
	assert_int_equal(test_dir_entries(wdir, "prepare-", name, sizeof(name)), 1);
	snprintf(old, sizeof(old), "%s/%s", wdir, name);
	/* What a job killed with its worker leaves: its scratch directory. */
	snprintf(junk, sizeof(junk), "%s/scratch-7", old);
	assert_int_equal(mkdir(junk, 0700), 0);
	snprintf(junk, sizeof(junk), "%s/scratch-7/m.c", old);
	FILE *f = fopen(junk, "w");
	assert_non_null(f);
	fputs("/* generated */\n", f);
	fclose(f);
	kill_the_worker("pvfhost-prepare");
	/* A preparation-relevant parameter: a new preparation. */
	pvfhost_executor_params_default(&ep);
	ep.max_memory_pages = 1000;
	validate_spin(h, 1, &ep, &info);
	assert_true(info.prepared);
	assert_int_equal(access(old, F_OK), -1);
	assert_int_equal(test_dir_entries(wdir, "prepare-", name, sizeof(name)), 1);
	pvfhost_free(h);
	assert_int_equal(children_after(5000), 0);
}

static void test_workers_die_under_queue(void **state)
{
	char cache[300];
	done_log l;
	pvfhost_result info;
	pthread_t th;
	volatile int stop = 0;
	(void)state;

	new_cache(cache, sizeof(cache));
	pvfhost *h = host_new(cache, 2);
	validate_spin(h, 0, NULL, &info);
	log_init(&l);
	assert_int_equal(pthread_create(&th, NULL, killer, (void *)&stop), 0);
	for (int i = 0; i < 20; i++)
		submit_spin(h, &l, 20, PVFHOST_PRIO_BACKING, 0, NULL);
	wait_done(&l, 20, 120);
	stop = 1;
	pthread_join(th, NULL);
	/* The killer's last SIGKILLs may still be on their way: a worker
	 * killed after it has taken the next request is an ambiguous death,
	 * not the host failing. Let them land before asking again. */
	usleep(200000);
	int ok = 0, died = 0, nospawn = 0;
	for (int i = 0; i < 20; i++) {
		const char *c = pvfhost_error_code_name(l.code[i]);
		if (l.status[i] == 0)
			ok++;
		else if (!strcmp(c, "worker-died") || !strcmp(c, "job-died"))
			died++;
		else if (!strcmp(c, "io"))
			nospawn++;   /* every worker started for it was killed while starting */
		else
			fprintf(stderr, "#   unexpected: %s\n", c);
	}
	fprintf(stderr, "# workers killed every 30 ms: %d ok, %d worker/job died, %d could not start a worker\n",
		ok, died, nospawn);
	/* Every job was answered, each with its own outcome. */
	assert_int_equal(ok + died + nospawn, 20);
	assert_true(died + nospawn > 0);   /* the killing did hit jobs */
	/* And the host still works afterwards. */
	validate_spin(h, 7, NULL, &info);
	pvfhost_free(h);
	assert_int_equal(children_after(5000), 0);
}

static void test_priority_and_no_starvation(void **state)
{
	char cache[300];
	done_log l;
	pvfhost_result info;
	uint64_t backing[6], dispute[6];
	(void)state;

	pvfhost *h = host_with_spin(cache, sizeof(cache), &info);
	log_init(&l);
	/* Occupy the only worker, then queue backing first, disputes after. */
	uint64_t blocker = submit_spin(h, &l, 300, PVFHOST_PRIO_BACKING, 0, NULL);
	assert_true(wait_running(h, 1, 10000));
	for (int i = 0; i < 6; i++)
		backing[i] = submit_spin(h, &l, 1, PVFHOST_PRIO_BACKING, 0, NULL);
	for (int i = 0; i < 6; i++)
		dispute[i] = submit_spin(h, &l, 1, PVFHOST_PRIO_DISPUTE, 0, NULL);
	wait_done(&l, 13, 120);
	assert_int_equal(index_of(&l, blocker), 0);
	/* Disputes go first although queued last ... */
	assert_int_equal(index_of(&l, dispute[0]), 1);
	/* ... but backing is not starved: some backing job completes before
	 * the last dispute. */
	int last_dispute = 0, first_backing = 99;
	for (int i = 0; i < 6; i++) {
		if (index_of(&l, dispute[i]) > last_dispute)
			last_dispute = index_of(&l, dispute[i]);
		if (index_of(&l, backing[i]) < first_backing)
			first_backing = index_of(&l, backing[i]);
	}
	fprintf(stderr, "# completion order: first backing at %d, last dispute at %d\n", first_backing, last_dispute);
	assert_true(first_backing < last_dispute);
	/* Within a priority, FIFO. */
	for (int i = 1; i < 6; i++) {
		assert_true(index_of(&l, backing[i - 1]) < index_of(&l, backing[i]));
		assert_true(index_of(&l, dispute[i - 1]) < index_of(&l, dispute[i]));
	}
	pvfhost_free(h);
}

static void test_deadline_and_cancel(void **state)
{
	char cache[300];
	done_log l;
	pvfhost_result info;
	pvfhost_executor_params ep;
	(void)state;

	pvfhost *h = host_with_spin(cache, sizeof(cache), &info);
	log_init(&l);
	pvfhost_executor_params_default(&ep);
	ep.exec_timeout_backing_ms = 20000;
	ep.exec_timeout_approval_ms = 40000;
	uint64_t blocker = submit_spin(h, &l, 100000, PVFHOST_PRIO_BACKING, 0, &ep);
	assert_true(wait_running(h, 1, 10000));
	uint64_t late = submit_spin(h, &l, 1, PVFHOST_PRIO_BACKING, 100, NULL);
	uint64_t queued = submit_spin(h, &l, 1, PVFHOST_PRIO_BACKING, 0, NULL);
	wait_done(&l, 1, 10);
	assert_int_equal(l.ids[0], late);
	assert_string_equal(pvfhost_error_code_name(l.code[0]), "deadline");
	/* Cancel a queued job, then the running one. */
	assert_int_equal(pvfhost_cancel(h, queued), 0);
	wait_done(&l, 2, 10);
	assert_int_equal(l.ids[1], queued);
	assert_string_equal(pvfhost_error_code_name(l.code[1]), "cancelled");
	assert_int_equal(pvfhost_cancel(h, blocker), 0);
	wait_done(&l, 3, 10);
	assert_int_equal(l.ids[2], blocker);
	assert_string_equal(pvfhost_error_code_name(l.code[2]), "cancelled");
	assert_int_equal(pvfhost_cancel(h, blocker), -1);
	/* The host goes on. */
	validate_spin(h, 9, NULL, &info);
	pvfhost_free(h);
}

static void test_retry_approval_not_backing(void **state)
{
	char cache[300];
	done_log l;
	pvfhost_result info;
	pvfhost_executor_params ep;
	(void)state;

	pvfhost *h = host_with_spin(cache, sizeof(cache), &info);
	pvfhost_executor_params_default(&ep);
	ep.exec_timeout_backing_ms = 30000;
	ep.exec_timeout_approval_ms = 60000;
	for (int prio = 0; prio < 2; prio++) {
		log_init(&l);
		pvfhost_priority p = prio ? PVFHOST_PRIO_APPROVAL : PVFHOST_PRIO_BACKING;
		/* ~1 s of work; the worker is killed once, early in the job. */
		submit_spin(h, &l, 1500, p, 0, &ep);
		assert_true(wait_running(h, 1, 10000));
		usleep(100000);
		int killed = 0;
		for (int tries = 0; tries < 50 && !killed; tries++) {
			pid_t pid;
			if (live_children("pvfhost-execute", &pid, 1) > 0) {
				kill(pid, SIGKILL);
				killed = 1;
			} else {
				usleep(10000);
			}
		}
		assert_true(killed);
		wait_done(&l, 1, 120);
		if (p == PVFHOST_PRIO_BACKING) {
			assert_int_equal(l.status[0], -1);
			assert_string_equal(pvfhost_error_code_name(l.code[0]), "worker-died");
			assert_int_equal(l.attempts[0], 1);
		} else {
			assert_int_equal(l.status[0], 0);
			assert_int_equal(l.attempts[0], 2);
		}
	}
	pvfhost_free(h);
}

static void test_deterministic_failure_remembered(void **state)
{
	char cache[300];
	pvfhost_error err;
	pvfhost_metrics m;
	(void)state;

	new_cache(cache, sizeof(cache));
	pvfhost *h = host_new(cache, 1);
	assert_int_equal(pvfhost_precheck(h, g_bad, g_bad_len, NULL, &err), PVFHOST_PRECHECK_INVALID);
	assert_int_equal(err.cls, PVFHOST_CLASS_DETERMINISTIC);
	assert_string_equal(pvfhost_error_code_name(err.code), "rule-validate-block");
	pvfhost_metrics_snapshot(h, &m);
	assert_int_equal(m.preparations, 1);
	/* Answered again at once, without another preparation. */
	assert_int_equal(pvfhost_precheck(h, g_bad, g_bad_len, NULL, &err), PVFHOST_PRECHECK_INVALID);
	uint8_t *out = NULL;
	size_t len;
	pvfhost_validate_req r;
	memset(&r, 0, sizeof(r));
	r.code = g_bad;
	r.code_len = g_bad_len;
	assert_int_equal(pvfhost_validate(h, &r, &out, &len, NULL, &err), -1);
	assert_int_equal(err.cls, PVFHOST_CLASS_DETERMINISTIC);
	pvfhost_metrics_snapshot(h, &m);
	assert_int_equal(m.preparations, 1);
	/* A valid one pre-checks valid on the pre-check tier (its artifact is
	 * kept there), and the optimised artifact follows in the background. */
	assert_int_equal(pvfhost_precheck(h, g_triv, g_triv_len, NULL, &err), PVFHOST_PRECHECK_VALID);
	char pc[400];
	snprintf(pc, sizeof(pc), "%s/precheck", cache);
	assert_int_equal(artifacts(pc, NULL, 0), 1);
	wait_ready(h, cache, 1);
	/* Then a validation needs no preparation. */
	pvfhost_result info;
	r.code = g_triv;
	r.code_len = g_triv_len;
	assert_int_equal(pvfhost_validate(h, &r, &out, &len, &info, &err), 0);
	assert_false(info.prepared);
	free(out);
	char *text = NULL;
	size_t tlen;
	assert_int_equal(pvfhost_metrics_text(h, &text, &tlen, &err), 0);
	assert_non_null(strstr(text, "pvfhost_preparations_total{outcome=\"failed\"} 1"));
	assert_non_null(strstr(text, "pvfhost_preparations_total{outcome=\"ok\"} 2"));
	free(text);
	pvfhost_free(h);
}

static void test_free_under_load(void **state)
{
	char cache[300];
	done_log l;
	pvfhost_result info;
	(void)state;

	new_cache(cache, sizeof(cache));
	pvfhost *h = host_new(cache, 2);
	validate_spin(h, 0, NULL, &info);
	log_init(&l);
	for (int i = 0; i < 10; i++)
		submit_spin(h, &l, 2000, i % 2 ? PVFHOST_PRIO_APPROVAL : PVFHOST_PRIO_BACKING, 0, NULL);
	/* A preparation in flight too (a new artifact). */
	pvfhost_executor_params ep;
	pvfhost_executor_params_default(&ep);
	ep.max_memory_pages = 100;
	submit_spin(h, &l, 1, PVFHOST_PRIO_BACKING, 0, &ep);
	assert_true(wait_running(h, 2, 10000));
	pvfhost_free(h);
	/* Every callback ran, with "cancelled". */
	assert_int_equal(l.n, 11);
	for (int i = 0; i < 11; i++)
		assert_string_equal(pvfhost_error_code_name(l.code[i]), "cancelled");
	assert_int_equal(children_after(5000), 0);
	assert_int_equal(part_files(cache), 0);
}

/* Prepare slots: normal and background preparations use at most the soft
 * cap (1) of workers; a critical one (an approval waits) may use the hard
 * cap (2). Distinct artifacts come from distinct heap maxima. */
static void test_prepare_soft_and_hard_cap(void **state)
{
	char cache[300];
	pvfhost_executor_params ep[4];
	pvfhost_metrics m;
	pvfhost_error err;
	done_log l;
	uint64_t most = 0;
	(void)state;

	new_cache(cache, sizeof(cache));
	pvfhost *h = host_new(cache, 1);
	for (int i = 0; i < 4; i++) {
		pvfhost_executor_params_default(&ep[i]);
		ep[i].max_memory_pages = 200 + (uint32_t)i;
	}
	/* Two background preparations: one at a time. */
	assert_int_equal(pvfhost_heads_up(h, g_spin, g_spin_len, &ep[0], &err), 0);
	assert_int_equal(pvfhost_heads_up(h, g_spin, g_spin_len, &ep[1], &err), 0);
	for (int w = 0; w < 60000; w += 5) {
		pvfhost_metrics_snapshot(h, &m);
		if (m.prepare_running > most)
			most = m.prepare_running;
		if (m.preparations >= 2)
			break;
		usleep(5000);
	}
	assert_int_equal(m.preparations, 2);
	assert_int_equal(most, 1);
	/* A background one and a critical one: both at once. */
	log_init(&l);
	assert_int_equal(pvfhost_heads_up(h, g_spin, g_spin_len, &ep[2], &err), 0);
	submit_spin(h, &l, 0, PVFHOST_PRIO_APPROVAL, 0, &ep[3]);
	most = 0;
	for (int w = 0; w < 60000 && l.n < 1; w += 5) {
		pvfhost_metrics_snapshot(h, &m);
		if (m.prepare_running > most)
			most = m.prepare_running;
		usleep(5000);
	}
	wait_done(&l, 1, 60);
	assert_int_equal(l.status[0], 0);
	fprintf(stderr, "# prepare slots: background alone 1 at a time; with a critical one %llu at once\n",
		(unsigned long long)most);
	assert_int_equal(most, 2);
	pvfhost_free(h);
}

/* The configuration of the fast-tier tests: defaults (the pre-check tier
 * on, also for unchecked code), one prepare and one execute worker, so
 * that preparations run in queue order. */
static void fast_config(pvfhost_config *c, const char *cache, const char *opt)
{
	pvfhost_config_default(c);
	c->cache_dir = cache;
	c->prepare_worker = PREPARE_WORKER;
	c->execute_worker = EXECUTE_WORKER;
	c->prepare_workers_soft = c->prepare_workers_hard = 1;
	c->execute_workers = 1;
	c->no_sandbox = getenv("PVFHOST_TEST_NO_SANDBOX") != NULL;
	c->log_fd = getenv("PVFHOST_TEST_LOG") ? 2 : -1;
	c->opt_level = opt;
}

/* After a pre-check, validations run on the pre-check tier's artifact
 * until the optimised one is ready; a time-out there is no verdict: the
 * validation runs again on the optimised artifact. */
static void test_fast_tier(void **state)
{
	char cache[300];
	pvfhost_error err;
	pvfhost_result info;
	pvfhost_config c;
	pvfhost *h = NULL;
	(void)state;

	new_cache(cache, sizeof(cache));
	fast_config(&c, cache, "-O2");   /* one prepare worker: optimised after the pre-check */
	if (pvfhost_new(&c, &h, &err) < 0)
		fail_msg("pvfhost_new: %s", err.msg);
	assert_int_equal(pvfhost_precheck(h, g_spin, g_spin_len, NULL, &err), PVFHOST_PRECHECK_VALID);
	validate_spin(h, 3, NULL, &info);
	assert_true(info.fast_tier);
	assert_false(info.prepared);
	expect_optimised(h, cache, 1, 4);

	/* Endless code: times out on the pre-check tier, then again on the
	 * optimised artifact, which gives the verdict. */
	size_t loop_len;
	uint8_t *loop = slurp("worker_loop.wasm", &loop_len);
	pvfhost_executor_params ep;
	pvfhost_executor_params_default(&ep);
	ep.exec_timeout_backing_ms = 300;
	ep.exec_timeout_approval_ms = 600;
	assert_int_equal(pvfhost_precheck(h, loop, loop_len, &ep, &err), PVFHOST_PRECHECK_VALID);
	pvfhost_validate_req r;
	memset(&r, 0, sizeof(r));
	r.code = loop;
	r.code_len = loop_len;
	r.exec_params = &ep;
	uint8_t *out = NULL;
	size_t len;
	assert_int_equal(pvfhost_validate(h, &r, &out, &len, &info, &err), -1);
	assert_string_equal(pvfhost_error_code_name(err.code), "timeout");
	assert_int_equal(err.cls, PVFHOST_CLASS_DETERMINISTIC);
	assert_int_equal(info.attempts, 2);
	assert_false(info.fast_tier);
	free(loop);
	pvfhost_free(h);
}

/* Code that was never pre-checked: its first validation runs on the
 * pre-check tier's artifact, prepared ahead of the optimised one (one
 * prepare worker, so in that order), and later ones on the optimised
 * artifact. */
static void test_fast_unchecked(void **state)
{
	char cache[300], pc[400];
	pvfhost_error err;
	pvfhost_result info;
	pvfhost_metrics m;
	pvfhost_config c;
	pvfhost *h = NULL;
	(void)state;

	new_cache(cache, sizeof(cache));
	fast_config(&c, cache, "-O2");
	if (pvfhost_new(&c, &h, &err) < 0)
		fail_msg("pvfhost_new: %s", err.msg);
	expect_fast_first(h, 5);
	snprintf(pc, sizeof(pc), "%s/precheck", cache);
	assert_int_equal(artifacts(pc, NULL, 0), 1);
	wait_ready(h, cache, 1);
	validate_spin(h, 6, NULL, &info);
	assert_false(info.fast_tier);
	assert_false(info.prepared);
	pvfhost_metrics_snapshot(h, &m);
	assert_int_equal(m.preparations, 2);
	pvfhost_free(h);
}

/* Writes an executable shell script `text` as g_root/name into path. */
static void write_script(char *path, size_t n, const char *name, const char *text)
{
	FILE *f;

	snprintf(path, n, "%s/%s", g_root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

/* Sets the optimised compiler's delay of slow_cc_host (seconds per call,
 * read when each call starts). */
static void set_cc_delay(int secs)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/cc-delay", g_root);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", secs);
	fclose(f);
}

/* Waits (up to five seconds) until n preparations run; asserts it. */
static void wait_prepare_running(pvfhost *h, uint64_t n)
{
	pvfhost_metrics m;

	for (int w = 0; w < 500; w++) {
		pvfhost_metrics_snapshot(h, &m);
		if (m.prepare_running == n)
			return;
		usleep(10000);
	}
	assert_int_equal(m.prepare_running, n);
}

/* Writes g_root/slow-<real> into path: `real` after sleeping the delay
 * set by set_cc_delay, on every call but --version. */
static void write_slow_compiler(char *path, size_t n, const char *real)
{
	char text[512], name[64];

	snprintf(text, sizeof(text),
		 "#!/bin/sh\n"
		 "if [ \"$1\" = --version ]; then exec %s --version; fi\n"
		 "sleep \"$(cat '%s/cc-delay')\"\n"
		 "exec %s \"$@\"\n", real, g_root, real);
	snprintf(name, sizeof(name), "slow-%s", real);
	write_script(path, n, name, text);
}

/* A host in a new cache with the fast-tier configuration and `slots`
 * prepare slots (the soft cap stays 1), whose optimised compiler is gcc
 * after `secs` seconds of sleep per call (set_cc_delay changes it); with
 * slow_tier, the pre-check tier's compiler (tcc) sleeps as well. */
static pvfhost *slow_cc_host(char *cache, size_t cache_len, int secs, uint32_t slots, bool slow_tier)
{
	static char cc[400], tcc[400];   /* the host keeps the paths, not copies */
	pvfhost_error err;
	pvfhost_config c;
	pvfhost *h = NULL;

	set_cc_delay(secs);
	write_slow_compiler(cc, sizeof(cc), "gcc");
	new_cache(cache, cache_len);
	fast_config(&c, cache, "-O1");
	c.prepare_workers_hard = slots;
	c.no_sandbox = true;   /* the worker runs a compiler under g_root */
	c.cc = cc;
	if (slow_tier) {
		write_slow_compiler(tcc, sizeof(tcc), "tcc");
		c.precheck_cc = tcc;
	}
	if (pvfhost_new(&c, &h, &err) < 0)
		fail_msg("pvfhost_new: %s", err.msg);
	return h;
}

/* A heads-up queues the optimised preparation; a validation that arrives
 * while it still waits for a worker gets the pre-check tier's preparation
 * ahead of it and runs on that artifact. The optimised compiler here takes
 * two seconds per call, so the one worker is still busy with another
 * code's preparation when the validation arrives. */
static void test_fast_after_heads_up(void **state)
{
	char cache[300];
	pvfhost_error err;
	pvfhost *h = slow_cc_host(cache, sizeof(cache), 2, 1, false);
	(void)state;

	assert_int_equal(pvfhost_heads_up(h, g_triv, g_triv_len, NULL, &err), 0);
	assert_int_equal(pvfhost_heads_up(h, g_spin, g_spin_len, NULL, &err), 0);
	expect_fast_first(h, 8);
	/* Both optimised artifacts follow; then the optimised one serves. */
	expect_optimised(h, cache, 2, 9);
	pvfhost_free(h);
}

/* A validation that arrives while the optimised preparation of its
 * (never pre-checked) code runs gets the pre-check tier's preparation on a
 * prepare slot above the soft cap and runs on that artifact before the
 * optimised one exists. The optimised compiler takes three seconds per
 * call (glue and the module: at least six seconds). */
static void test_fast_while_optimising(void **state)
{
	char cache[300];
	pvfhost_error err;
	pvfhost *h = slow_cc_host(cache, sizeof(cache), 3, 2, false);
	(void)state;

	assert_int_equal(pvfhost_heads_up(h, g_spin, g_spin_len, NULL, &err), 0);
	wait_prepare_running(h, 1);
	expect_fast_first(h, 10);
	assert_int_equal(artifacts(cache, NULL, 0), 0);   /* still compiling */
	expect_optimised(h, cache, 1, 11);
	pvfhost_free(h);
}

/* A pre-check tier preparation queued for a validation while the
 * optimised one ran, and still queued when that finished (both slots were
 * busy), is dropped unrun: the validation runs on the optimised artifact.
 * Slot 1 is kept busy by the optimised preparation of another artifact
 * (the same code with another heap maximum) for an approval; the delays
 * make that one finish about 3.5 s after the first. */
static void test_fast_dropped_when_ready(void **state)
{
	char cache[300];
	pvfhost_error err;
	pvfhost_result info;
	pvfhost_metrics m;
	pvfhost_executor_params other;
	done_log l;
	pvfhost *h = slow_cc_host(cache, sizeof(cache), 2, 2, false);
	(void)state;

	assert_int_equal(pvfhost_heads_up(h, g_spin, g_spin_len, NULL, &err), 0);
	wait_prepare_running(h, 1);
	/* Calls from now on take 5 s: the first artifact's link, and all of
	 * the other's (2 + 5 against 5 + 5 s). */
	set_cc_delay(5);
	pvfhost_executor_params_default(&other);
	other.max_memory_pages = 100;
	log_init(&l);
	submit_spin(h, &l, 12, PVFHOST_PRIO_APPROVAL, 0, &other);
	wait_done(&l, 1, 60);   /* it ran on its pre-check tier artifact */
	assert_int_equal(l.status[0], 0);
	wait_prepare_running(h, 2);
	validate_spin(h, 13, NULL, &info);
	assert_true(info.prepared);
	assert_false(info.fast_tier);
	wait_ready(h, cache, 2);
	pvfhost_metrics_snapshot(h, &m);
	/* the first optimised, the other's pre-check tier and optimised */
	assert_int_equal(m.preparations, 3);
	assert_int_equal(m.prepare_queued, 0);
	pvfhost_free(h);
}

/* Code never pre-checked: its optimised preparation waits until its
 * pre-check tier one is done, so the first validation does not share the
 * cores with gcc. Slot 0 is busy with another artifact's preparation when
 * the validation comes, so the fast preparation takes slot 1; slot 0 frees
 * while it still runs, and must not start the optimised one. Compiler
 * calls sleep 1 s, then 3 s (the other's link ends about 2.5 s before the
 * fast preparation). */
static void test_fast_before_optimised(void **state)
{
	char cache[300];
	pvfhost_error err;
	pvfhost_metrics m;
	pvfhost_executor_params other;
	done_log l;
	(void)state;

	if (system("command -v tcc >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	pvfhost *h = slow_cc_host(cache, sizeof(cache), 1, 2, true);
	pvfhost_executor_params_default(&other);
	other.max_memory_pages = 100;
	assert_int_equal(pvfhost_heads_up(h, g_spin, g_spin_len, &other, &err), 0);
	wait_prepare_running(h, 1);
	usleep(500000);   /* its compiler calls have started, with 1 s */
	set_cc_delay(3);
	log_init(&l);
	submit_spin(h, &l, 14, PVFHOST_PRIO_BACKING, 0, NULL);
	wait_prepare_running(h, 2);
	wait_artifacts(cache, 1);   /* the other artifact: slot 0 is free */
	usleep(500000);
	pvfhost_metrics_snapshot(h, &m);
	assert_int_equal(m.prepare_running, 1);   /* the fast one only */
	assert_int_equal(m.prepare_queued, 1);    /* the optimised one waits */
	wait_done(&l, 1, 60);
	assert_int_equal(l.status[0], 0);
	expect_optimised(h, cache, 2, 15);
	pvfhost_free(h);
}

/* A pre-check tier compiler that rejects the code is not a verdict on the
 * code: the pre-check is done again with the optimised toolchain, which
 * decides (here: valid), and the artifact is not marked failed. The
 * "compiler" answers --version (the host needs a toolchain id) and fails
 * every compilation. */
static void test_fast_tier_compiler_failure(void **state)
{
	char cache[300], cc[400], pc[400], logpath[400];
	pvfhost_error err;
	pvfhost_result info;
	pvfhost_metrics m;
	pvfhost_config c;
	pvfhost *h = NULL;
	struct stat st;
	int logfd;
	(void)state;

	write_script(cc, sizeof(cc), "refusing-cc",
		     "#!/bin/sh\n"
		     "if [ \"$1\" = --version ]; then echo 'refusing-cc 1.0'; exit 0; fi\n"
		     "echo 'refusing-cc: internal compiler error' >&2\n"
		     "exit 1\n");

	new_cache(cache, sizeof(cache));
	fast_config(&c, cache, "-O0");
	/* Unsandboxed, so that the worker can run a compiler under g_root (a
	 * sandboxed worker sees only the system's directories, and would fail
	 * with "not found", which is handled the same way). */
	c.no_sandbox = true;
	snprintf(logpath, sizeof(logpath), "%s/fast-tier-failure.log", g_root);
	logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(logfd >= 0);
	c.log_fd = logfd;
	c.precheck_cc = cc;
	if (pvfhost_new(&c, &h, &err) < 0)
		fail_msg("pvfhost_new: %s", err.msg);
	/* The pre-check tier exists (its store), so the first try used it. */
	snprintf(pc, sizeof(pc), "%s/precheck", cache);
	assert_int_equal(stat(pc, &st), 0);

	assert_int_equal(pvfhost_precheck(h, g_triv, g_triv_len, NULL, &err), PVFHOST_PRECHECK_VALID);
	pvfhost_metrics_snapshot(h, &m);
	assert_int_equal(m.preparations, 2);
	assert_int_equal(artifacts(pc, NULL, 0), 0);
	assert_int_equal(artifacts(cache, NULL, 0), 1);
	/* The main toolchain's artifact serves validations. */
	pvfhost_validate_req r;
	memset(&r, 0, sizeof(r));
	r.code = g_triv;
	r.code_len = g_triv_len;
	uint8_t *out = NULL;
	size_t len;
	assert_int_equal(pvfhost_validate(h, &r, &out, &len, &info, &err), 0);
	assert_false(info.prepared);
	assert_false(info.fast_tier);
	free(out);
	/* Unchecked code: its pre-check tier preparation fails, which decides
	 * nothing; the validation runs on the optimised artifact. */
	validate_spin(h, 7, NULL, &info);
	assert_true(info.prepared);
	assert_false(info.fast_tier);
	/* A code the rules reject is still invalid, decided before any
	 * compiler runs. */
	assert_int_equal(pvfhost_precheck(h, g_bad, g_bad_len, NULL, &err), PVFHOST_PRECHECK_INVALID);
	assert_string_equal(pvfhost_error_code_name(err.code), "rule-validate-block");
	pvfhost_free(h);
	close(logfd);
	/* The first try failed as the compiler's rejection of the code. */
	size_t loglen;
	char *log = (char *)slurp_path(logpath, &loglen);
	assert_non_null(strstr(log, "event=precheck-tier-failed error=compile"));
	free(log);
}

/* A host freed right after a pre-check (what `pvfhost precheck` does) kills
 * the optimised preparation that the pre-check started. It used to hand
 * that preparation to a new worker (the retry for a worker that died
 * idle, `event=worker-gone`) and wait for it to finish: `pvfhost precheck`
 * of the shell runtime took 23 s instead of 1.4 s. The code carries a
 * large custom section, so that sending it to the worker takes long enough
 * for the stop to land before the request is through, as it did there. */
static void test_free_after_precheck(void **state)
{
	const size_t pad = 6u << 20;
	char cache[300], logpath[400];
	pvfhost_error err;
	pvfhost_config c;
	(void)state;

	/* g_triv + custom section "pad": id 0, size, name, bytes */
	size_t len = g_triv_len + 1 + 5 + 4 + pad;
	uint8_t *code = malloc(len), *q;
	assert_non_null(code);
	memcpy(code, g_triv, g_triv_len);
	q = code + g_triv_len;
	*q++ = 0;
	uint32_t size = (uint32_t)(4 + pad);
	for (int i = 0; i < 5; i++, size >>= 7)
		*q++ = (uint8_t)((size & 0x7f) | (i < 4 ? 0x80 : 0));
	memcpy(q, "\x03pad", 4);
	q += 4;
	memset(q, 0xA5, pad);

	snprintf(logpath, sizeof(logpath), "%s/free-after-precheck.log", g_root);
	for (int round = 0; round < 3; round++) {
		pvfhost *h = NULL;
		int logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		assert_true(logfd >= 0);
		new_cache(cache, sizeof(cache));
		fast_config(&c, cache, "-O2");
		c.log_fd = logfd;
		if (pvfhost_new(&c, &h, &err) < 0)
			fail_msg("pvfhost_new: %s", err.msg);
		assert_int_equal(pvfhost_precheck(h, code, len, NULL, &err), PVFHOST_PRECHECK_VALID);
		pvfhost_free(h);
		close(logfd);
		size_t loglen;
		char *log = (char *)slurp_path(logpath, &loglen);
		if (strstr(log, "event=worker-gone"))
			fail_msg("round %d: a preparation was retried while the host stopped:\n%s", round, log);
		free(log);
		assert_int_equal(children_after(5000), 0);
	}
	free(code);
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_root, sizeof(g_root), "/tmp/pvfhost-test-host-XXXXXX");
	if (!mkdtemp(g_root))
		return -1;
	g_spin = slurp("host_spin.wasm", &g_spin_len);
	g_triv = slurp("worker_trivial.wasm", &g_triv_len);
	g_bad = slurp("recursion.wasm", &g_bad_len);   /* no validate_block */
	if (getenv("PVFHOST_TEST_NO_SANDBOX"))
		fprintf(stderr, "# workers run WITHOUT their sandbox (PVFHOST_TEST_NO_SANDBOX)\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_root);
	if (system(cmd) != 0)
		return -1;
	free(g_spin);
	free(g_triv);
	free(g_bad);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_survives_restart),
		cmocka_unit_test(test_deleted_and_corrupted_artifact),
		cmocka_unit_test(test_param_changes),
		cmocka_unit_test(test_jobs_overlap),
		cmocka_unit_test(test_inline_callbacks),
		cmocka_unit_test(test_blocking_caller_gives_slot_back),
		cmocka_unit_test(test_worker_dead_before_request),
		cmocka_unit_test(test_dead_prepare_worker_dir_removed),
		cmocka_unit_test(test_workers_die_under_queue),
		cmocka_unit_test(test_priority_and_no_starvation),
		cmocka_unit_test(test_deadline_and_cancel),
		cmocka_unit_test(test_retry_approval_not_backing),
		cmocka_unit_test(test_deterministic_failure_remembered),
		cmocka_unit_test(test_free_under_load),
		cmocka_unit_test(test_prepare_soft_and_hard_cap),
		cmocka_unit_test(test_fast_tier),
		cmocka_unit_test(test_fast_tier_compiler_failure),
		cmocka_unit_test(test_free_after_precheck),
		cmocka_unit_test(test_fast_unchecked),
		cmocka_unit_test(test_fast_after_heads_up),
		cmocka_unit_test(test_fast_while_optimising),
		cmocka_unit_test(test_fast_dropped_when_ready),
		cmocka_unit_test(test_fast_before_optimised),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
