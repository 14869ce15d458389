/*
 * test_client.c — the C client library (src/daemon/client.c) against a
 * daemon that a child process runs with pvf_daemon_run(): the handshake,
 * pre-check verdicts, validation results, pipelining with CANCEL, an ERROR
 * reply surfacing as an error, heads-up, metrics, receive timeouts, and
 * the child's clean exit on SIGTERM (socket removed). Under the sanitizer
 * build the daemon code runs instrumented in the child, leak check included.
 *
 * Needs TEST_WASM_DIR, MINI_ADDER, ADDER_PARAMS, PREPARE_WORKER and
 * EXECUTE_WORKER (c_args).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/hex.h"
#include "daemon/client.h"
#include "engine/artifact_format.h"
#include "daemon/server.h"

static char g_dir[] = "/tmp/pvfhost-client-test-XXXXXX";
static char g_sock[300], g_cache[300];
static pid_t g_child = -1;
static uint8_t *g_mini, *g_loop, *g_traps, *g_params;
static size_t g_mini_len, g_loop_len, g_traps_len, g_params_len;

/* The whole file, NUL-terminated, or NULL (the caller reports it). */
static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *b = NULL;
	pvf_error err;

	return pvf__read_file(path, (size_t)1 << 30, &b, len, &err) < 0 ? NULL : b;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int setup(void **state)
{
	int p[2];
	char buf[16] = { 0 }, *hex;
	size_t hl, got = 0;
	struct pollfd pfd;

	(void)state;
	if (!mkdtemp(g_dir))
		return -1;
	snprintf(g_sock, sizeof(g_sock), "%s/d.sock", g_dir);
	snprintf(g_cache, sizeof(g_cache), "%s/cache", g_dir);
	g_mini = slurp(MINI_ADDER, &g_mini_len);
	g_loop = slurp(TEST_WASM_DIR "/worker_loop.wasm", &g_loop_len);
	g_traps = slurp(TEST_WASM_DIR "/traps.wasm", &g_traps_len);
	hex = (char *)slurp(ADDER_PARAMS, &hl);
	if (!g_mini || !g_loop || !g_traps || !hex)
		return -1;
	while (hl > 0 && (hex[hl - 1] == '\n' || hex[hl - 1] == ' '))
		hl--;
	hex[hl] = '\0';
	if (pvf_hex_decode_alloc(hex, hl, &g_params, &g_params_len, NULL) < 0) {
		free(hex);
		return -1;
	}
	free(hex);
	if (pipe(p) < 0)
		return -1;
	g_child = fork();
	if (g_child < 0)
		return -1;
	if (g_child == 0) {
		pvf_daemon_opts o;
		pvf_error err;

		close(p[0]);
		memset(&o, 0, sizeof(o));
		o.socket_path = g_sock;
		pvfhost_config_default(&o.host);
		o.host.cache_dir = g_cache;
		o.host.prepare_worker = PREPARE_WORKER;
		o.host.execute_worker = EXECUTE_WORKER;
		o.host.execute_workers = 2;
		o.host.no_sandbox = getenv("PVFHOST_TEST_NO_SANDBOX") != NULL;
		o.ready_fd = p[1];
		if (pvf_daemon_run(&o, &err) < 0) {
			fprintf(stderr, "daemon: %s\n", err.msg);
			exit(3);
		}
		exit(0); /* exit, not _exit: the sanitizers' leak check runs */
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (got < 6 && poll(&pfd, 1, 60000) > 0) {
		ssize_t r = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(p[0]);
	return strcmp(buf, "ready\n") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	int status = -1;
	char cmd[400];
	struct stat st;
	int rc = 0;

	(void)state;
	if (g_child > 0) {
		kill(g_child, SIGTERM);
		waitpid(g_child, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "daemon child ended with status 0x%x\n", status);
			rc = -1;
		}
		if (lstat(g_sock, &st) == 0) {
			fprintf(stderr, "the socket file is still there\n");
			rc = -1;
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	if (system(cmd) != 0)
		rc = -1;
	free(g_mini);
	free(g_loop);
	free(g_traps);
	free(g_params);
	return rc;
}

static pvf_client *connect_or_fail(void)
{
	pvf_client *c = NULL;
	pvf_error err;

	if (pvf_client_connect(g_sock, &c, &err) < 0)
		fail_msg("connect: %s", err.msg);
	return c;
}

static void test_connect(void **state)
{
	pvf_client *c;
	pvf_error err;

	(void)state;
	assert_int_equal(pvf_client_connect("/nonexistent/pvfhost.sock", &c, &err), -1);
	assert_int_equal(err.code, PVF_E_IO);
	assert_non_null(strstr(err.msg, "pvfhost serve"));
	assert_null(c);
	c = connect_or_fail();
	assert_string_equal(pvf_client_server_version(c), PVFHOST_VERSION);
	assert_true(pvf_client_fd(c) >= 0);
	pvf_client_close(c);
}

static void test_precheck(void **state)
{
	pvf_client *c = connect_or_fail();
	pvfhost_precheck_verdict v;
	pvfhost_error why;
	pvf_error err;

	(void)state;
	assert_int_equal(pvf_client_precheck(c, g_mini, g_mini_len, NULL, 0, &v, &why, &err), 0);
	assert_int_equal(v, PVFHOST_PRECHECK_VALID);
	assert_int_equal(why.code, 0);
	assert_int_equal(pvf_client_precheck(c, g_traps, g_traps_len, NULL, 0, &v, &why, &err), 0);
	assert_int_equal(v, PVFHOST_PRECHECK_INVALID);
	assert_string_equal(pvfhost_error_code_name(why.code), "rule-validate-block");
	assert_int_equal(why.cls, PVFHOST_CLASS_DETERMINISTIC);
	assert_true(strlen(why.msg) > 0);
	assert_int_equal(pvf_client_heads_up(c, g_loop, g_loop_len, NULL, 0, &err), 0);
	pvf_client_close(c);
}

static void test_validate(void **state)
{
	pvf_client *c = connect_or_fail();
	pvf_client_validate_req rq = { .priority = PVFHOST_PRIO_BACKING, .code = g_mini, .code_len = g_mini_len,
				       .params = g_params, .params_len = g_params_len };
	pvf_client_result r1, r2;
	pvf_error err;

	(void)state;
	assert_int_equal(pvf_client_validate(c, &rq, &r1, &err), 0);
	assert_int_equal(r1.status, 0);
	assert_int_equal(r1.output_len, 85); /* as tests/cli/cli-test.py */
	assert_true(r1.attempts >= 1);
	rq.priority = PVFHOST_PRIO_DISPUTE;
	assert_int_equal(pvf_client_validate(c, &rq, &r2, &err), 0);
	assert_int_equal(r2.status, 0);
	assert_int_equal(r2.output_len, r1.output_len);
	assert_memory_equal(r2.output, r1.output, r1.output_len);
	assert_false(r2.prepared); /* the artifact was ready */
	pvf_client_result_free(&r1);
	pvf_client_result_free(&r2);
	/* a bad candidate: a result with status 1, not an error */
	rq.params_len = 20;
	assert_int_equal(pvf_client_validate(c, &rq, &r1, &err), 0);
	assert_int_equal(r1.status, 1);
	assert_int_equal(r1.err.cls, PVFHOST_CLASS_DETERMINISTIC);
	assert_null(r1.output);
	pvf_client_result_free(&r1);
	pvf_client_close(c);
}

static void test_pipelining_and_cancel(void **state)
{
	pvf_client *c = connect_or_fail();
	pvf_client_validate_req loop = { .priority = PVFHOST_PRIO_APPROVAL, .code = g_loop, .code_len = g_loop_len,
					 .params = g_params, .params_len = g_params_len };
	pvf_client_validate_req mini = { .priority = PVFHOST_PRIO_BACKING, .code = g_mini, .code_len = g_mini_len,
					 .params = g_params, .params_len = g_params_len };
	uint64_t loop_id, cancel_id, ids[5];
	int seen_results = 0, seen_cancelled = 0, seen_cancel_result = 0;
	pvf_error err;
	double t0;

	(void)state;
	assert_int_equal(pvf_client_send_validate(c, &loop, &loop_id, &err), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pvf_client_send_validate(c, &mini, &ids[i], &err), 0);
	usleep(300000);
	t0 = now_s();
	assert_int_equal(pvf_client_send_cancel(c, loop_id, &cancel_id, &err), 0);
	pvf_client_set_timeout(c, 20000);
	for (int n = 0; n < 7; n++) {
		pvf_client_msg m;
		pvf_client_result r;

		assert_int_equal(pvf_client_recv(c, &m, &err), 0);
		if (m.type == PVF_DMSG_CANCEL_RESULT) {
			assert_true(m.id == cancel_id);
			assert_int_equal(m.u.cancel.found, 1);
			seen_cancel_result++;
		} else {
			assert_int_equal(m.type, PVF_DMSG_VALIDATE_RESULT);
			assert_int_equal(pvf_client_result_from_msg(&m, &r, &err), 0);
			if (r.id == loop_id) {
				assert_int_equal(r.status, 1);
				assert_string_equal(pvfhost_error_code_name(r.err.code), "cancelled");
				assert_int_equal(r.err.cls, PVFHOST_CLASS_INTERNAL);
				seen_cancelled++;
			} else {
				int known = 0;
				for (int i = 0; i < 5; i++)
					known += r.id == ids[i];
				assert_int_equal(known, 1);
				assert_int_equal(r.status, 0);
				assert_int_equal(r.output_len, 85);
				seen_results++;
			}
			pvf_client_result_free(&r);
		}
		pvf_client_msg_free(&m);
	}
	assert_int_equal(seen_results, 5);
	assert_int_equal(seen_cancelled, 1);
	assert_int_equal(seen_cancel_result, 1);
	assert_true(now_s() - t0 < 5.0); /* not the 12 s approval timeout */
	/* the request is gone: a second CANCEL finds nothing */
	assert_int_equal(pvf_client_send_cancel(c, loop_id, &cancel_id, &err), 0);
	{
		pvf_client_msg m;
		assert_int_equal(pvf_client_recv(c, &m, &err), 0);
		assert_int_equal(m.type, PVF_DMSG_CANCEL_RESULT);
		assert_int_equal(m.u.cancel.found, 0);
		pvf_client_msg_free(&m);
	}
	pvf_client_close(c);
}

static void test_error_reply_and_metrics(void **state)
{
	pvf_client *c = connect_or_fail();
	static const uint8_t bad_ep[] = { 0xff };
	pvf_client_validate_req rq = { .code = g_mini, .code_len = g_mini_len, .params = g_params,
				       .params_len = g_params_len, .exec_params = bad_ep, .exec_params_len = 1 };
	pvf_client_result r;
	pvf_error err;
	char *text = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(pvf_client_validate(c, &rq, &r, &err), -1);
	assert_non_null(strstr(err.msg, "the daemon answered"));
	assert_int_not_equal(err.code, PVF_OK);
	/* the connection is still good */
	assert_int_equal(pvf_client_metrics(c, &text, &len, &err), 0);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "# TYPE pvfhost_"));
	free(text);
	/* client-side checks */
	rq.exec_params = NULL;
	rq.priority = (pvfhost_priority)7;
	assert_int_equal(pvf_client_validate(c, &rq, &r, &err), -1);
	assert_int_equal(err.code, PVF_E_USAGE);
	pvf_client_close(c);
}

static void test_recv_timeout(void **state)
{
	pvf_client *c = connect_or_fail();
	pvf_client_validate_req loop = { .priority = PVFHOST_PRIO_APPROVAL, .code = g_loop, .code_len = g_loop_len,
					 .params = g_params, .params_len = g_params_len };
	pvf_client_msg m;
	pvf_error err;
	uint64_t id;
	double t0;

	(void)state;
	assert_int_equal(pvf_client_send_validate(c, &loop, &id, &err), 0);
	pvf_client_set_timeout(c, 300);
	t0 = now_s();
	assert_int_equal(pvf_client_recv(c, &m, &err), -1);
	assert_non_null(strstr(err.msg, "timed out"));
	assert_true(now_s() - t0 < 3.0);
	pvf_client_close(c); /* the daemon cancels the endless job */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_precheck),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_pipelining_and_cancel),
		cmocka_unit_test(test_error_reply_and_metrics),
		cmocka_unit_test(test_recv_timeout),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
