/*
 * cmd_host.c — the commands that go through a validation host: `precheck`,
 * and the host path of `validate` and `call`. They run an embedded host
 * (sandboxed workers, the shared artifact cache) or, with --connect PATH,
 * talk to a running `pvfhost serve`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/host_opts.h"
#include "cli/progress.h"
#include "common/hex.h"
#include "engine/artifact_format.h"
#include "daemon/client.h"
#include "pvfhost.h"

#define CLI_MAX_CODE (256u << 20)

static int read_file(const char *path, uint8_t **ret, size_t *len, pvf_error *err)
{
	return pvf__read_file(path, CLI_MAX_CODE, ret, len, err);
}

int cli_host_opt(int argc, char **argv, int *i, cli_host_opts *o)
{
	const char *a = argv[*i];

	if (!strcmp(a, "--connect") && *i + 1 < argc) {
		o->connect = argv[++*i];
	} else if (!strcmp(a, "--cache") && *i + 1 < argc) {
		o->cache = argv[++*i];
	} else if (!strcmp(a, "--executor-params-hex") && *i + 1 < argc) {
		o->exec_params_hex = argv[++*i];
	} else if (!strcmp(a, "--priority") && *i + 1 < argc) {
		const char *p = argv[++*i];
		if (!strcmp(p, "backing")) {
			o->priority = PVFHOST_PRIO_BACKING;
		} else if (!strcmp(p, "backing-system")) {
			o->priority = PVFHOST_PRIO_BACKING_SYSTEM;
		} else if (!strcmp(p, "approval")) {
			o->priority = PVFHOST_PRIO_APPROVAL;
		} else if (!strcmp(p, "dispute")) {
			o->priority = PVFHOST_PRIO_DISPUTE;
		} else {
			cli_usage("--priority takes backing, backing-system, approval or dispute, not \"%s\"", p);
			return -1;
		}
	} else if (!strcmp(a, "--secure")) {
		o->secure = true;
	} else if (!strcmp(a, "--no-sandbox")) {
		o->no_sandbox = true;
	} else {
		return 0;
	}
	return 1;
}

static int exec_params(const cli_host_opts *o, pvfhost_executor_params *ep, uint8_t **raw, size_t *raw_len,
		       pvf_error *err)
{
	pvfhost_error he;

	*raw = NULL;
	*raw_len = 0;
	pvfhost_executor_params_default(ep);
	if (!o->exec_params_hex)
		return 0;
	if (pvf_hex_decode_alloc(o->exec_params_hex, strlen(o->exec_params_hex), raw, raw_len, err) < 0)
		return -1;
	if (pvfhost_executor_params_decode(*raw, *raw_len, ep, &he) < 0) {
		pvf_error_set(err, PVF_E_USAGE, "--executor-params-hex: %s", he.msg);
		return -1;
	}
	return 0;
}

int cli_host_new(const cli_host_opts *o, pvfhost **ret, pvf_error *err)
{
	pvfhost_config c;
	pvfhost_error he;

	pvfhost_config_default(&c);
	c.cache_dir = o->cache;
	c.secure = o->secure;
	c.no_sandbox = o->no_sandbox || getenv("PVFHOST_TEST_NO_SANDBOX") != NULL;
	c.cc = o->cc;
	c.opt_level = o->opt_level;
	c.execute_workers = 1;
	/* One command, one answer: wait for the optimised artifact rather than
	 * start it in the background and kill it when the command exits. */
	c.no_fast_execution = true;
	c.prepare_workers_soft = 1;
	c.prepare_workers_hard = 1;
	if (pvfhost_new(&c, ret, &he) < 0)
		return pvf_error_set(err, (pvf_error_code)he.code, "%s", he.msg);
	return 0;
}

int cli_host_call(const cli_host_opts *o, const char *code_path, const uint8_t *input, size_t input_len,
		  const char *export_name, uint8_t **out, size_t *out_len, pvf_error *err)
{
	uint8_t *code = NULL, *raw = NULL;
	size_t code_len = 0, raw_len = 0;
	pvfhost_executor_params ep;
	pvfhost_error he;
	int rc = -1;

	*out = NULL;
	*out_len = 0;
	if (read_file(code_path, &code, &code_len, err) < 0)
		return -1;
	if (exec_params(o, &ep, &raw, &raw_len, err) < 0)
		goto out;
	if (o->connect) {
		pvf_client *cl;
		pvf_client_validate_req rq;
		pvf_client_result res;
		if (pvf_client_connect(o->connect, &cl, err) < 0)
			goto out;
		memset(&rq, 0, sizeof(rq));
		rq.code = code;
		rq.code_len = code_len;
		rq.params = input;
		rq.params_len = input_len;
		rq.exec_params = raw;
		rq.exec_params_len = raw_len;
		rq.priority = o->priority;
		rq.export_name = export_name;
		memset(&res, 0, sizeof(res));
		if (pvf_client_validate(cl, &rq, &res, err) < 0) {
			pvf_client_close(cl);
			goto out;
		}
		pvf_client_close(cl);
		if (res.status != 0) {
			pvf_error_set(err, (pvf_error_code)res.err.code, "%s", res.err.msg);
			err->cls = (pvf_error_class)res.err.cls;
			pvf_client_result_free(&res);
			goto out;
		}
		*out = res.output;
		*out_len = res.output_len;
		res.output = NULL;
		pvf_client_result_free(&res);
		rc = 0;
		goto out;
	}
	pvfhost *h;
	if (cli_host_new(o, &h, err) < 0)
		goto out;
	pvfhost_validate_req rq = {
		.code = code,
		.code_len = code_len,
		.params = input,
		.params_len = input_len,
		.exec_params = &ep,
		.priority = o->priority,
		.export_name = export_name,
	};
	cli_progress *pg = cli_progress_start(code_path, h);
	rc = pvfhost_validate(h, &rq, out, out_len, NULL, &he);
	cli_progress_stop(pg);
	pvfhost_free(h);
	if (rc < 0) {
		pvf_error_set(err, (pvf_error_code)he.code, "%s", he.msg);
		err->cls = (pvf_error_class)he.cls;
	}
out:
	free(code);
	free(raw);
	return rc;
}

int cmd_precheck(int argc, char **argv)
{
	cli_host_opts o;
	const char *path = NULL;
	uint8_t *code = NULL, *raw = NULL;
	size_t code_len = 0, raw_len = 0;
	pvfhost_executor_params ep;
	pvfhost_precheck_verdict v;
	pvfhost_error why;
	pvf_error err;
	int rc = CLI_ERROR;

	memset(&o, 0, sizeof(o));
	memset(&why, 0, sizeof(why));
	for (int i = 1; i < argc; i++) {
		int r = cli_host_opt(argc, argv, &i, &o);
		if (r < 0)
			return CLI_ERROR;
		if (r)
			continue;
		if (!strcmp(argv[i], "--cc") && i + 1 < argc)
			o.cc = argv[++i];
		else if (!strcmp(argv[i], "-O") && i + 1 < argc)
			o.opt_level = argv[++i];
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			return cli_usage("precheck: unexpected argument %s", argv[i]);
	}
	if (!path)
		return cli_usage("precheck: FILE is required");
	if (read_file(path, &code, &code_len, &err) < 0 || exec_params(&o, &ep, &raw, &raw_len, &err) < 0) {
		printf("failed: %s\n", err.msg);
		goto out;
	}
	if (o.connect) {
		pvf_client *cl;
		if (pvf_client_connect(o.connect, &cl, &err) < 0) {
			printf("failed: %s\n", err.msg);
			goto out;
		}
		if (pvf_client_precheck(cl, code, code_len, raw, raw_len, &v, &why, &err) < 0) {
			pvf_client_close(cl);
			printf("failed: %s\n", err.msg);
			goto out;
		}
		pvf_client_close(cl);
	} else {
		pvfhost *h;
		if (cli_host_new(&o, &h, &err) < 0) {
			printf("failed: %s\n", err.msg);
			goto out;
		}
		cli_progress *pg = cli_progress_start(path, h);
		v = pvfhost_precheck(h, code, code_len, &ep, &why);
		cli_progress_stop(pg);
		pvfhost_free(h);
	}
	switch (v) {
	case PVFHOST_PRECHECK_VALID:
		printf("valid\n");
		rc = CLI_OK;
		break;
	case PVFHOST_PRECHECK_INVALID:
		printf("invalid: %s: %s\n", pvfhost_error_code_name(why.code), why.msg);
		rc = CLI_VERDICT;
		break;
	default:
		printf("failed: %s: %s\n", pvfhost_error_code_name(why.code), why.msg);
		rc = CLI_ERROR;
		break;
	}
out:
	free(code);
	free(raw);
	return rc;
}
