/*
 * cmd_validate.c — `pvfhost validate` and `pvfhost call`: run a PVF with
 * the Substrate calling convention and host API.
 *
 *   validate --code FILE (--params FILE|- | --params-hex HEX) [--json]
 *       exit 0: stdout is the lowercase hex of the SCALE ValidationResult
 *               (with --json: its decoded fields);
 *       exit 1: stdout is one line "invalid: REASON";
 *       exit 2: internal or usage error, on stderr.
 *   call --code FILE --export NAME [--input-hex HEX]
 *       exit 0: the output as lowercase hex; exit 1: "trap: ...".
 *
 * Log lines the PVF emits go to stderr as "LEVEL target: message".
 * Prepared artifacts are kept in a cache directory (--cache DIR, default
 * $XDG_CACHE_HOME/pvfhost/cli or ~/.cache/pvfhost/cli), keyed by the code
 * hash, the preparation options and the toolchain id, and verified before
 * every use; a bad entry is prepared again.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/prepare_file.h"
#include "common/hex.h"
#include "common/validation.h"
#include "worker/code.h"
#include "worker/job_execute.h"
#include "cli/host_opts.h"
#include "host/store.h"

#define CLI_MAX_PARAMS (64u << 20)

static void print_log(void *user, uint32_t level, const char *target, size_t tlen, const char *msg, size_t mlen)
{
	fprintf(stderr, "%s ", pvf_runtime_log_level_name(level));
	for (size_t i = 0; i < tlen; i++)
		fputc((unsigned char)target[i] < 0x20 ? '?' : target[i], stderr);
	fputs(": ", stderr);
	for (size_t i = 0; i < mlen; i++)
		fputc((unsigned char)msg[i] < 0x20 && msg[i] != '\t' ? '?' : msg[i], stderr);
	fputc('\n', stderr);
}

static int mkdir_p(const char *path)
{
	char buf[1024];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int default_cache(char *out, size_t cap)
{
	char root[1024];

	if (pvf_store_default_dir(root, sizeof(root)) == 0)
		return snprintf(out, cap, "%s/cli", root) < (int)cap ? 0 : -1;
	return snprintf(out, cap, "/tmp/pvfhost-cache-%u/cli", (unsigned)getuid()) < (int)cap ? 0 : -1;
}

/* Finds or prepares the artifact for `code` under `cache`; path into out. */
static int cached_artifact(const pvf_code *code, const pvf_prepare_opts *po, const char *cache, char *out,
			   size_t cap, pvf_error *err)
{
	crypto_generichash_state st;
	pvf_artifact_expect ex = { 0 };
	uint8_t key[32];
	char *tc = NULL;
	int r;

	if (pvf_engine_toolchain_id(po, &tc, err) < 0)
		return -1;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, code->code_hash, 32);
	crypto_generichash_update(&st, (const uint8_t *)tc, strlen(tc));
	crypto_generichash_update(&st, (const uint8_t *)&po->stack_limit, sizeof(po->stack_limit));
	crypto_generichash_update(&st, (const uint8_t *)&po->max_memory_pages, sizeof(po->max_memory_pages));
	crypto_generichash_final(&st, key, 32);
	r = mkdir_p(cache);
	if (r < 0) {
		free(tc);
		return pvf_error_set(err, PVF_E_IO, "cannot create cache directory %s: %s", cache, strerror(-r));
	}
	{
		char hex[65];
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", key[i]);
		if (snprintf(out, cap, "%s/%s.pvfa", cache, hex) >= (int)cap) {
			free(tc);
			return pvf_error_set(err, PVF_E_USAGE, "cache path too long");
		}
	}
	ex.toolchain_id = tc;
	ex.code_hash = code->code_hash;
	if (access(out, F_OK) == 0 && pvf_artifact_verify(out, &ex, NULL, NULL) == 0) {
		free(tc);
		return 0;
	}
	free(tc);
	{
		pvf_prepare_opts o = *po;
		o.has_code_hash = true;
		memcpy(o.code_hash, code->code_hash, 32);
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "pvfhost: preparing %zu bytes of wasm (first use; cached afterwards)...\n",
				code->wasm_len);
		return pvf_code_prepare(code, &o, out, NULL, err);
	}
}

static int read_params(const char *path, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	uint8_t *buf;
	size_t n = 0, cap = 1 << 16;

	if (!f)
		return pvf_error_set(err, PVF_E_IO, "cannot open %s: %s", path, strerror(errno));
	buf = malloc(cap);
	for (;;) {
		size_t got;
		if (!buf)
			break;
		if (n == cap) {
			uint8_t *nb = cap < CLI_MAX_PARAMS ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		return pvf_error_set(err, PVF_E_NOMEM, "parameters too large or out of memory");
	if (pvf_hex_sniff(buf, n, false)) {
		int r = pvf_hex_decode_alloc((const char *)buf, n, ret, ret_len, err);
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

static void print_hex_line(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

static int run(int argc, char **argv, bool validate)
{
	const char *code_path = NULL, *params_path = NULL, *params_hex = NULL, *export_name = NULL, *cache = NULL;
	char cache_buf[1024], art[1280];
	bool json = false;
	pvf_prepare_opts po = { 0 };
	pvf_code_opts co = { 0 };
	pvf_code *code = NULL;
	pvf_exec_request req = { 0 };
	pvf_exec_result res = { 0 };
	uint8_t *input = NULL;
	size_t input_len = 0;
	pvf_error err;
	int rc = CLI_ERROR;
	cli_host_opts ho;
	bool in_process = false;
	uint8_t *host_out = NULL;
	const uint8_t *output;
	size_t output_len = 0;

	memset(&ho, 0, sizeof(ho));
	for (int i = 1; i < argc; i++) {
		if (cli_parse_prepare_opt(argc, argv, &i, &po))
			continue;
		int r = strcmp(argv[i], "--cache") ? cli_host_opt(argc, argv, &i, &ho) : 0;
		if (r < 0)
			return CLI_ERROR;
		if (r)
			continue;
		if (!strcmp(argv[i], "--in-process")) {
			in_process = true;
			continue;
		}
		if (!strcmp(argv[i], "--code") && i + 1 < argc)
			code_path = argv[++i];
		else if (validate && !strcmp(argv[i], "--params") && i + 1 < argc)
			params_path = argv[++i];
		else if (validate && !strcmp(argv[i], "--params-hex") && i + 1 < argc)
			params_hex = argv[++i];
		else if (!validate && !strcmp(argv[i], "--input-hex") && i + 1 < argc)
			params_hex = argv[++i];
		else if (!validate && !strcmp(argv[i], "--export") && i + 1 < argc)
			export_name = argv[++i];
		else if (!strcmp(argv[i], "--cache") && i + 1 < argc)
			cache = argv[++i];
		else if (validate && !strcmp(argv[i], "--json"))
			json = true;
		else
			return cli_usage("%s: unexpected argument %s", validate ? "validate" : "call", argv[i]);
	}
	if (!code_path)
		return cli_usage("%s: --code FILE is required", validate ? "validate" : "call");
	if (validate && !!params_path == !!params_hex)
		return cli_usage("validate: exactly one of --params FILE and --params-hex HEX is required");
	if (!validate && !export_name)
		return cli_usage("call: --export NAME is required");
	if (!cache) {
		if (default_cache(cache_buf, sizeof(cache_buf)) < 0)
			return cli_usage("cannot determine a cache directory: use --cache DIR");
		cache = cache_buf;
	}
	if (params_path && read_params(params_path, &input, &input_len, &err) < 0) {
		rc = cli_fail(&err, params_path);
		goto out;
	}
	if (params_hex && pvf_hex_decode_alloc(params_hex, strlen(params_hex), &input, &input_len, &err) < 0) {
		rc = cli_fail(&err, validate ? "--params-hex" : "--input-hex");
		goto out;
	}
	if (!in_process) {
		ho.cache = cache;
		ho.cc = po.cc;
		ho.opt_level = po.opt_level;
		if (cli_host_call(&ho, code_path, input, input_len, export_name, &host_out, &output_len, &err) < 0) {
			if (err.cls == PVF_CLASS_DETERMINISTIC) {
				printf("%s: %s\n", validate ? "invalid" : "trap", err.msg);
				rc = CLI_VERDICT;
			} else {
				rc = cli_fail(&err, code_path);
			}
			goto out;
		}
		output = host_out;
		goto print;
	}
	co.skip_rules = !validate;
	if (pvf_code_load_file(code_path, &co, &code, &err) < 0 ||
	    cached_artifact(code, &po, cache, art, sizeof(art), &err) < 0) {
		if (err.cls == PVF_CLASS_DETERMINISTIC) {
			printf("invalid: %s: %s\n", pvf_error_code_name(err.code), err.msg);
			rc = CLI_VERDICT;
		} else {
			rc = cli_fail(&err, code_path);
		}
		goto out;
	}
	req.input = input;
	req.input_len = input_len;
	req.export_name = export_name;
	req.check_validation_result = validate;
	req.log_sink = print_log;
	if (pvf_job_execute(art, &req, &res, &err) < 0) {
		if (err.cls == PVF_CLASS_DETERMINISTIC) {
			if (validate)
				printf("invalid: %s\n", err.msg);
			else
				printf("trap: %s\n", err.msg);
			rc = CLI_VERDICT;
		} else {
			rc = cli_fail(&err, code_path);
		}
		goto out;
	}
	output = res.output;
	output_len = res.output_len;
print:
	if (validate && json) {
		pvf_validation_result vr;
		char *j;
		if (pvf_validation_result_decode(output, output_len, &vr, &err) < 0) {
			printf("invalid: %s\n", err.msg);
			rc = CLI_VERDICT;
			goto out;
		}
		j = pvf_validation_result_to_json(&vr);
		pvf_validation_result_free(&vr);
		if (!j) {
			pvf_error_set(&err, PVF_E_NOMEM, "out of memory");
			rc = cli_fail(&err, NULL);
			goto out;
		}
		printf("%s\n", j);
		free(j);
	} else {
		print_hex_line(output, output_len);
	}
	rc = CLI_OK;
out:
	free(host_out);
	pvf_exec_result_free(&res);
	pvf_code_free(code);
	free(input);
	return rc;
}

int cmd_validate(int argc, char **argv)
{
	return run(argc, argv, true);
}

int cmd_call(int argc, char **argv)
{
	return run(argc, argv, false);
}
