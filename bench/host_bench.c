/*
 * host_bench.c — latency and throughput of validating one PVF and block
 * (by default the bundled mini adder) three ways:
 *
 *   in-process  the engine called directly (artifact opened once, a fresh
 *               instance per call): the floor, no isolation;
 *   host        pvfhost_validate() with a warm execute worker (a process
 *               per job, sandboxed), back to back: each request waits
 *               for the job the previous one left to be forked;
 *   host-paced  the same with 2 ms between requests, as validations arrive
 *               on a node that is not saturated: the next job is forked
 *               and instantiated before the request comes;
 *   daemon      the same through `pvfhost serve` and the client library
 *               (--connect SOCKET; the script starts the daemon), back
 *               to back and 2 ms apart (daemon-paced);
 *
 * taking turns over 5 rounds (a change in the machine's speed then weighs on
 * all of them alike), then validations per second with 1 and 2 execute
 * workers (asynchronous submissions, all in flight). Prints one line per measurement in the form
 * `name key=value ...` for bench/host.sh to tabulate.
 *
 *   host_bench CODE PARAMS_HEX_FILE CACHE_DIR [--connect SOCKET] [-n N] [--export NAME]
 *
 * --export calls another export with the Substrate calling convention
 * (e.g. Core_version of a runtime, with an empty input file) instead of
 * validate_block, whose output is then not checked as a ValidationResult.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"
#include "daemon/client.h"
#include "engine/artifact_format.h"
#include "engine/engine.h"
#include "pvfhost.h"
#include "worker/code.h"
#include "worker/job_execute.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *ns, int n)
{
	qsort(ns, (size_t)n, sizeof(*ns), cmp_u64);
	printf("%s n=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f\n", name, n, (double)ns[n / 2] / 1e3,
	       (double)ns[n * 9 / 10] / 1e3, (double)ns[n * 99 / 100] / 1e3);
	fflush(stdout);
}

/* The whole file, NUL-terminated, or NULL. */
static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *b = NULL;
	pvf_error err;

	return pvf__read_file(path, (size_t)1 << 30, &b, len, &err) < 0 ? NULL : b;
}

static uint8_t *g_code, *g_params;
static size_t g_code_len, g_params_len;
static const char *g_export;   /* NULL: validate_block */

/* One way of validating, sampled in turns with the others. */
typedef struct way {
	const char *name;
	int (*call)(struct way *w);
	unsigned gap_us;           /* pause before each timed call */
	uint64_t *t;
	int n, cap;
	pvf_artifact *art;         /* in-process */
	pvfhost *h;                /* host */
	pvf_client *c;             /* daemon */
} way;

static int call_in_process(way *w)
{
	pvf_exec_request rq = { 0 };
	pvf_exec_result res = { 0 };
	pvf_error err;

	rq.input = g_params;
	rq.input_len = g_params_len;
	rq.export_name = g_export;
	rq.check_validation_result = !g_export;
	if (pvf_exec_call(w->art, &rq, &res, &err) < 0) {
		fprintf(stderr, "in-process: %s\n", err.msg);
		return -1;
	}
	pvf_exec_result_free(&res);
	return 0;
}

static int call_host(way *w)
{
	pvfhost_error err;
	pvfhost_validate_req rq = { .code = g_code, .code_len = g_code_len, .params = g_params,
				    .params_len = g_params_len, .export_name = g_export };
	uint8_t *out;
	size_t len;

	if (pvfhost_validate(w->h, &rq, &out, &len, NULL, &err) < 0) {
		fprintf(stderr, "host: %s\n", err.msg);
		return -1;
	}
	free(out);
	return 0;
}

static int call_daemon(way *w)
{
	pvf_client_validate_req rq = { 0 };
	pvf_client_result res = { 0 };
	pvf_error err;

	rq.code = g_code;
	rq.code_len = g_code_len;
	rq.params = g_params;
	rq.params_len = g_params_len;
	rq.export_name = g_export;
	if (pvf_client_validate(w->c, &rq, &res, &err) < 0 || res.status != 0) {
		fprintf(stderr, "daemon: %s\n", res.status ? res.err.msg : err.msg);
		return -1;
	}
	pvf_client_result_free(&res);
	return 0;
}

/* Times `k` calls of `w` (after its pause each), appending to its samples. */
static int sample(way *w, int k)
{
	for (int i = 0; i < k && w->n < w->cap; i++) {
		if (w->gap_us) {
			struct timespec gap = { 0, (long)w->gap_us * 1000 };
			nanosleep(&gap, NULL);
		}
		uint64_t t0 = now_ns();
		if (w->call(w) < 0)
			return -1;
		w->t[w->n++] = now_ns() - t0;
	}
	return 0;
}

static int open_in_process(const char *cache, pvf_artifact **ret, pvf_code **ret_code)
{
	pvf_code_opts co = { 0 };
	pvf_prepare_opts po = { 0 };
	pvf_prepare_stats st;
	pvf_error err;
	char path[4200];

	snprintf(path, sizeof(path), "%s/bench-in-process.pvfa", cache);
	po.jobs = 1;
	if (pvf_code_load(g_code, g_code_len, &co, ret_code, &err) < 0 ||
	    pvf_code_prepare(*ret_code, &po, path, &st, &err) < 0 || pvf_artifact_open(path, NULL, ret, &err) < 0) {
		fprintf(stderr, "in-process: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static pvfhost *host_new(const char *cache, uint32_t workers)
{
	pvfhost_config c;
	pvfhost *h;
	pvfhost_error err;

	pvfhost_config_default(&c);
	c.cache_dir = cache;
	c.execute_workers = workers;
	/* Measured on the optimised artifact, as in-process, never on the
	 * pre-check tier's while the optimised one is prepared. */
	c.no_fast_execution = true;
	c.no_fast_unchecked = true;
	c.no_sandbox = getenv("PVFHOST_TEST_NO_SANDBOX") != NULL;
	if (pvfhost_new(&c, &h, &err) < 0) {
		fprintf(stderr, "pvfhost_new: %s\n", err.msg);
		return NULL;
	}
	return h;
}

/* The latencies: in process, through the host back to back and paced, and
 * (with a socket) through the daemon both ways. The ways take turns over
 * ROUNDS rounds, so that a change in the machine's speed weighs on all of
 * them alike; each is warmed up first (the host prepares and starts its
 * worker). n calls each, n / 2 for the paced ways. */
#define ROUNDS 5
static int latencies(const char *cache, const char *sock, int n)
{
	pvf_code *code = NULL;
	pvf_error err;
	way ways[5];
	int nways = 0, rc = -1;

	memset(ways, 0, sizeof(ways));
	ways[nways++] = (way){ .name = "in-process", .call = call_in_process, .cap = n };
	ways[nways++] = (way){ .name = "host", .call = call_host, .cap = n };
	ways[nways++] = (way){ .name = "host-paced", .call = call_host, .gap_us = 2000, .cap = n / 2 };
	if (sock) {
		ways[nways++] = (way){ .name = "daemon", .call = call_daemon, .cap = n };
		ways[nways++] = (way){ .name = "daemon-paced", .call = call_daemon, .gap_us = 2000, .cap = n / 2 };
	}
	pvfhost *h = host_new(cache, 1);
	pvf_client *c = NULL;
	if (!h || open_in_process(cache, &ways[0].art, &code) < 0)
		goto out;
	if (sock && pvf_client_connect(sock, &c, &err) < 0) {
		fprintf(stderr, "daemon: %s\n", err.msg);
		goto out;
	}
	for (int i = 0; i < nways; i++) {
		ways[i].h = h;
		ways[i].c = c;
		ways[i].art = ways[0].art;
		ways[i].t = calloc((size_t)ways[i].cap, sizeof(uint64_t));
		for (int k = 0; k < 20; k++)
			if (ways[i].call(&ways[i]) < 0)
				goto out;
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < nways; i++)
			if (sample(&ways[i], (ways[i].cap + ROUNDS - 1) / ROUNDS) < 0)
				goto out;
	for (int i = 0; i < nways; i++)
		report(ways[i].name, ways[i].t, ways[i].n);
	rc = 0;
out:
	for (int i = 0; i < nways; i++)
		free(ways[i].t);
	if (c)
		pvf_client_close(c);
	if (h)
		pvfhost_free(h);
	if (ways[0].art)
		pvf_artifact_close(ways[0].art);
	pvf_code_free(code);
	return rc;
}

typedef struct counter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, failed, want;
} counter;

static void on_done(void *ctx, const pvfhost_result *r)
{
	counter *c = ctx;
	pthread_mutex_lock(&c->mu);
	c->done++;
	c->failed += r->status != 0;
	if (c->done == c->want)
		pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static int throughput(const char *cache, uint32_t workers, int n)
{
	pvfhost *h = host_new(cache, workers);
	pvfhost_error err;
	pvfhost_validate_req rq = { .code = g_code, .code_len = g_code_len, .params = g_params,
				    .params_len = g_params_len, .export_name = g_export };
	counter c = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, n };
	uint8_t *out;
	size_t len;

	if (!h)
		return -1;
	for (uint32_t i = 0; i < 4 * workers; i++) {
		if (pvfhost_validate(h, &rq, &out, &len, NULL, &err) < 0)
			return -1;
		free(out);
	}
	uint64_t t0 = now_ns();
	for (int i = 0; i < n; i++)
		if (pvfhost_validate_async(h, &rq, on_done, &c, NULL, &err) < 0)
			return -1;
	pthread_mutex_lock(&c.mu);
	while (c.done < n)
		pthread_cond_wait(&c.cv, &c.mu);
	pthread_mutex_unlock(&c.mu);
	double s = (double)(now_ns() - t0) / 1e9;
	printf("throughput workers=%u n=%d failed=%d per_s=%.0f\n", workers, n, c.failed, (double)n / s);
	fflush(stdout);
	pvfhost_free(h);
	return 0;
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	int n = 2000;
	pvf_error err;
	size_t hex_len;

	if (argc < 4) {
		fprintf(stderr, "usage: host_bench CODE PARAMS_HEX_FILE CACHE_DIR [--connect SOCKET] [-n N] [--export NAME]\n");
		return 2;
	}
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--connect") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--export") && i + 1 < argc)
			g_export = argv[++i];
	}
	g_code = slurp(argv[1], &g_code_len);
	char *hex = (char *)slurp(argv[2], &hex_len);
	if (!g_code || !hex) {
		fprintf(stderr, "cannot read inputs\n");
		return 2;
	}
	while (hex_len && (hex[hex_len - 1] == '\n' || hex[hex_len - 1] == ' '))
		hex_len--;
	if (pvf_hex_decode_alloc(hex, hex_len, &g_params, &g_params_len, &err) < 0) {
		fprintf(stderr, "params: %s\n", err.msg);
		return 2;
	}
	if (latencies(argv[3], sock, n) < 0)
		return 1;
	if (throughput(argv[3], 1, n * 2) < 0 || throughput(argv[3], 2, n * 2) < 0)
		return 1;
	free(g_code);
	free(g_params);
	free(hex);
	return 0;
}
