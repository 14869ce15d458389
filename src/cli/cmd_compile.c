/*
 * cmd_compile.c — `pvfhost prepare FILE -o ARTIFACT`: decode, check the PVF
 * rules, translate and compile into an artifact, and print what each stage
 * cost (decoding in this process; the other stages in the compiler
 * processes). Also the helper other commands use to prepare a code file.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "blob/blob.h"
#include "cli/cli.h"
#include "cli/prepare_file.h"
#include "common/clock.h"
#include "engine/engine.h"
#include "hostapi/alloc_side.h"
#include "hostapi/registry.h"
#include "wasm/rules.h"

int cli_prepare_file(const char *path, const pvf_prepare_opts *opts, bool check_rules, const char *out,
		     pvf_stage_stats *decode, pvf_prepare_stats *stats, pvf_error *err)
{
	pvf_decode_opts d = { .features = PVF_FEATURES_ALL };
	pvf_module *m = NULL;
	uint8_t *code = NULL;
	size_t len;
	pvf_blob_info bi;
	struct rusage ru0, ru;
	double t0 = pvf_clock_s();
	int r = -1;

	getrusage(RUSAGE_SELF, &ru0);

	if (pvf_blob_read_file(path, NULL, &code, &len, &bi, err) < 0)
		return -1;
	if (pvf_module_decode(code, len, &d, &m, err) < 0)
		goto out;
	if (check_rules) {
		pvf_rules_opts ro = pvf_rules_opts_default();
		pvf_rule_verdict v;
		ro.lookup = pvf_hostfn_lookup;
		ro.alloc_side = pvf_hostfn_alloc_side;
		ro.allow_missing_imports = true;
		if (pvf_rules_check(m, &ro, &v, err) < 0 || pvf_rule_verdict_to_error(&v, err) < 0)
			goto out;
	}
	if (decode) {
		getrusage(RUSAGE_SELF, &ru);
		decode->wall_s = pvf_clock_s() - t0;
		decode->cpu_s = (double)(pvf_rusage_cpu_us(&ru) - pvf_rusage_cpu_us(&ru0)) / 1e6;
		decode->peak_rss_kb = (uint64_t)ru.ru_maxrss;
	}
	r = pvf_engine_prepare(code, len, m, opts, out, stats, err);
out:
	pvf_module_free(m);
	free(code);
	return r;
}

static void stage(const char *name, const pvf_stage_stats *s)
{
	printf("  %-10s wall %8.3f s   cpu %8.3f s   peak rss %7.1f MiB\n", name, s->wall_s, s->cpu_s,
	       (double)s->peak_rss_kb / 1024.0);
}

int cli_parse_prepare_opt(int argc, char **argv, int *i, pvf_prepare_opts *o)
{
	const char *a = argv[*i];

	if (!strcmp(a, "--cc") && *i + 1 < argc) {
		o->cc = argv[++*i];
		return 1;
	}
	if ((!strcmp(a, "-O") || !strcmp(a, "--opt")) && *i + 1 < argc) {
		static char buf[16];
		snprintf(buf, sizeof(buf), "-O%s", argv[++*i]);
		o->opt_level = buf;
		return 1;
	}
	if (!strncmp(a, "-O", 2) && a[2]) {
		o->opt_level = a;
		return 1;
	}
	if (!strcmp(a, "--stack-limit") && *i + 1 < argc) {   /* StackLogicalMax */
		o->stack_limit = (uint32_t)strtoul(argv[++*i], NULL, 10);
		return 1;
	}
	if (!strcmp(a, "--max-pages") && *i + 1 < argc) {
		o->max_memory_pages = (uint32_t)strtoul(argv[++*i], NULL, 10);
		return 1;
	}
	if (!strcmp(a, "--cflags") && *i + 1 < argc) {
		o->extra_cflags = argv[++*i];
		return 1;
	}
	if (!strcmp(a, "--jobs") && *i + 1 < argc) {
		o->jobs = (uint32_t)strtoul(argv[++*i], NULL, 10);
		return 1;
	}
	if (!strcmp(a, "--chunk-bytes") && *i + 1 < argc) {
		o->chunk_min_bytes = (size_t)strtoull(argv[++*i], NULL, 10);
		return 1;
	}
	if (!strcmp(a, "--chunk-cache") && *i + 1 < argc) {
		o->chunk_cache_dir = argv[++*i];
		return 1;
	}
	if (!strcmp(a, "--nan-test-everywhere")) {
		o->nan_test_every_result = true;
		return 1;
	}
	if (!strcmp(a, "--keep-work-dir")) {
		o->keep_work_dir = true;
		return 1;
	}
	return 0;
}

int cmd_prepare(int argc, char **argv)
{
	pvf_prepare_opts o = { 0 };
	pvf_prepare_stats s;
	pvf_stage_stats dec = { 0 };
	pvf_error err;
	const char *path = NULL, *out = NULL;
	bool rules = true;

	for (int i = 1; i < argc; i++) {
		if (cli_parse_prepare_opt(argc, argv, &i, &o))
			continue;
		if (!strcmp(argv[i], "--no-rules"))
			rules = false;
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage("prepare: unknown option %s", argv[i]);
		else if (!path)
			path = argv[i];
		else
			return cli_usage("prepare: more than one FILE");
	}
	if (!path || !out)
		return cli_usage("prepare: FILE and -o ARTIFACT are required");
	if (cli_prepare_file(path, &o, rules, out, &dec, &s, &err) < 0) {
		if (err.cls == PVF_CLASS_DETERMINISTIC) {
			printf("invalid: %s: %s\n", pvf_error_code_name(err.code), err.msg);
			return CLI_VERDICT;
		}
		return cli_fail(&err, path);
	}
	printf("artifact %s: %llu bytes of code, largest frame %u bytes, native stack %.1f MiB\n", out,
	       (unsigned long long)s.artifact_bytes, s.max_frame_bytes, (double)s.native_stack_bytes / 1048576.0);
	printf("translation: %u wasm2c process%s%s%s%s\n", s.translate_parts, s.translate_parts == 1 ? "" : "es at once",
	       s.translate_note[0] ? " (the parts' outputs were not used: " : "", s.translate_note,
	       s.translate_note[0] ? ")" : "");
	printf("compilation units: %u (%u from the chunk cache)\n", s.units, s.units_cached);
	printf("NaN tests: %llu at arithmetic, %llu at reads of locals; placed by the analysis in %u of %u functions\n",
	       (unsigned long long)s.nan_tests_arith, (unsigned long long)s.nan_tests_read, s.nan_funcs_placed,
	       s.nan_funcs);
	printf("memory accesses through a base pointer: %llu in %u functions\n",
	       (unsigned long long)s.membase_accesses, s.membase_funcs);
	stage("decode", &dec);
	stage("translate", &s.translate);
	stage("compile", &s.compile);
	stage("link", &s.link);
	stage("store", &s.store);
	return CLI_OK;
}
