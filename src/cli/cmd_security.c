/*
 * cmd_security.c — `pvfhost security [--secure] [--json]`: what the worker
 * sandbox can do on this machine. Every feature is probed in a throwaway
 * child (available); then a real prepare worker is started, exactly as the
 * host starts one, and reports what it applied (applied). With --secure
 * the worker is started in secure mode (seccomp and landlock or pivot_root
 * required), and the command exits 1 when it refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "host/host_internal.h"
#include "host/worker_client.h"
#include "worker/sandbox.h"
#include "worker/worker_common.h"

int cmd_security(int argc, char **argv)
{
	bool secure = false, json = false;
	pvf_sandbox_feature f[PVF_SBF__COUNT];
	size_t n = 0;
	pvf_error err, werr;
	char prog[4096], dir[] = "/tmp/pvfhost-security-XXXXXX";
	pvf_worker *w = NULL;
	uint32_t applied = 0;
	bool started = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--secure"))
			secure = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return cli_usage("security: unexpected argument %s", argv[i]);
	}
	if (pvf_sandbox_probe(f, PVF_SBF__COUNT, &n, &err) < 0)
		return cli_fail(&err, "probing the sandbox");
	pvf_error_clear(&werr);
	if (pvf__host_find_worker(NULL, "pvfhost-prepare-worker", prog, sizeof(prog), &werr) == 0 && mkdtemp(dir)) {
		pvf_worker_opts o;
		memset(&o, 0, sizeof(o));
		o.kind = PVF_WORKER_PREPARE;
		o.program = prog;
		o.dir = dir;
		o.security_required = secure ? PVF_SECURITY_SECURE_MODE : 0;
		o.log_fd = -1;
		if (pvf_worker_spawn(&o, &w, &werr) == 0) {
			started = true;
			applied = pvf_worker_security_applied(w);
			pvf_worker_free(w);
		}
		rmdir(dir);
	}
	for (size_t i = 0; i < n; i++)
		f[i].applied = started && (applied & PVF_SECURITY_BIT(i));
	if (json) {
		printf("{\"secure\":%s,\"worker_started\":%s,\"features\":[", secure ? "true" : "false",
		       started ? "true" : "false");
		for (size_t i = 0; i < n; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_str(stdout, f[i].name, strlen(f[i].name));
			printf(",\"available\":%s,\"applied\":%s,\"detail\":", f[i].available ? "true" : "false",
			       f[i].applied ? "true" : "false");
			json_str(stdout, f[i].detail, strlen(f[i].detail));
			putchar('}');
		}
		printf("]");
		if (!started) {
			printf(",\"error\":");
			json_str(stdout, werr.msg, strlen(werr.msg));
		}
		printf("}\n");
	} else {
		fflush(stdout);
		pvf_sandbox_print_table(1, f, n);
		if (started)
			printf("a prepare worker started%s and applied the features marked applied\n"
			       "(job-namespaces apply to each job that runs without the allow list, the allow list to each\n"
			       "execute job: an execute worker takes it on itself once its artifact is loaded, and its jobs\n"
			       "inherit it; a prepare worker never runs under it)\n",
			       secure ? " in secure mode" : "");
		else
			printf("a prepare worker could not start%s: %s\n", secure ? " in secure mode" : "", werr.msg);
	}
	return started ? CLI_OK : (secure ? CLI_VERDICT : CLI_ERROR);
}
