/*
 * cmd_serve.c — `pvfhost serve`: run the validation host as a daemon on a
 * UNIX socket (protocol in docs/protocol.md) until SIGTERM or SIGINT.
 *
 *   serve --socket PATH [--cache DIR] [--workers-prepare N] [--workers-execute N]
 *         [--metrics ADDR] [--insecure] [--log-level error|warn|info|debug] [--ready-fd FD]
 *
 * Workers run in their full sandbox by default (the host's secure mode);
 * --insecure lets them run with whatever sandbox the machine allows. The
 * environment variable PVFHOST_TEST_NO_SANDBOX=1 runs them without any
 * sandbox (tests on machines without user namespaces).
 * Exit: 0 after a clean shutdown, 2 when the daemon cannot start.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "daemon/server.h"

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_level(const char *s, pvf_log_level *out)
{
	static const char *names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = (pvf_log_level)i;
			return 0;
		}
	return -1;
}

int cmd_serve(int argc, char **argv)
{
	pvf_daemon_opts o;
	pvf_log_level level = PVF_LOG_INFO;
	pvf_error err;
	uint32_t n;
	const char *nosb;

	memset(&o, 0, sizeof(o));
	pvfhost_config_default(&o.host);
	o.host.secure = true;
	o.ready_fd = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;

		if (!strcmp(a, "--socket") && has) {
			o.socket_path = argv[++i];
		} else if (!strcmp(a, "--cache") && has) {
			o.host.cache_dir = argv[++i];
		} else if (!strcmp(a, "--workers-prepare") && has) {
			if (parse_u32(argv[++i], 1, 64, &n) < 0)
				return cli_usage("serve: --workers-prepare takes a number from 1 to 64");
			o.host.prepare_workers_soft = n;
			o.host.prepare_workers_hard = n + 1; /* one more for critical (pre-check) jobs */
		} else if (!strcmp(a, "--workers-execute") && has) {
			if (parse_u32(argv[++i], 1, 256, &n) < 0)
				return cli_usage("serve: --workers-execute takes a number from 1 to 256");
			o.host.execute_workers = n;
		} else if (!strcmp(a, "--metrics") && has) {
			o.metrics_addr = argv[++i];
		} else if (!strcmp(a, "--insecure")) {
			o.host.secure = false;
		} else if (!strcmp(a, "--secure")) {
			o.host.secure = true;
		} else if (!strcmp(a, "--log-level") && has) {
			if (parse_level(argv[++i], &level) < 0)
				return cli_usage("serve: --log-level is error, warn, info or debug");
		} else if (!strcmp(a, "--ready-fd") && has) {
			if (parse_u32(argv[++i], 0, 1 << 20, &n) < 0)
				return cli_usage("serve: --ready-fd takes a file descriptor number");
			o.ready_fd = (int)n;
		} else {
			return cli_usage("serve: unexpected argument %s", a);
		}
	}
	if (!o.socket_path)
		return cli_usage("serve: --socket PATH is required");
	nosb = getenv("PVFHOST_TEST_NO_SANDBOX");
	if (nosb && *nosb && strcmp(nosb, "0") != 0)
		o.host.no_sandbox = true;
	o.host.log_fd = 2;
	o.host.log_level = (int)level;
	pvf_log_set(2, level);
	if (o.host.no_sandbox)
		pvf_log(PVF_LOG_WARN, "daemon", "event=no-sandbox reason=\"PVFHOST_TEST_NO_SANDBOX=1: workers run "
						"WITHOUT their sandbox; for tests only\"");
	/* Client sockets never raise SIGPIPE (MSG_NOSIGNAL); this covers any
	 * other pipe the process writes to. */
	signal(SIGPIPE, SIG_IGN);
	if (pvf_daemon_run(&o, &err) < 0)
		return cli_fail(&err, "serve");
	return CLI_OK;
}
