/*
 * test_util.c — helpers shared by unit tests (see test_util.h).
 */
#include "test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/artifact_format.h"
#include "engine/engine.h"
#include "engine/proc.h"
#include "wasm/module.h"

uint8_t *test_read_file(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	pvf_error err;

	return pvf__read_file(path, TEST_FILE_MAX, &buf, len, &err) < 0 ? NULL : buf;
}

void test_sh(const char *cmd)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
	pvf_proc_result res;
	pvf_error err;

	if (pvf__proc_run(argv, NULL, &res, &err) < 0)
		fail_msg("%s: %s", cmd, err.msg);
	if (res.exit_code != 0)
		fail_msg("%s: exit %d: %s", cmd, res.exit_code, res.output);
	pvf__proc_result_clear(&res);
}

char *test_wasm2c(const char *wasm_path, const char *out_c, size_t *len)
{
	char cmd[2200];
	char *text;

	snprintf(cmd, sizeof(cmd), "wasm2c --no-debug-names -n m '%s' -o '%s'", wasm_path, out_c);
	test_sh(cmd);
	text = (char *)test_read_file(out_c, len);
	assert_non_null(text);
	return text;
}

void test_prepare_wasm(const char *wasm_path, const pvf_prepare_opts *o, const char *out, pvf_prepare_stats *st)
{
	size_t len;
	uint8_t *wasm = test_read_file(wasm_path, &len);
	pvf_module *m = NULL;
	pvf_error err;

	if (!wasm)
		fail_msg("cannot read %s", wasm_path);
	if (pvf_module_decode(wasm, len, NULL, &m, &err) < 0)
		fail_msg("decode %s: %s", wasm_path, err.msg);
	if (pvf_engine_prepare(wasm, len, m, o, out, st, &err) < 0)
		fail_msg("prepare %s: %s", wasm_path, err.msg);
	pvf_module_free(m);
	free(wasm);
}

int test_dir_entries(const char *dir, const char *prefix, char *last, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int k = 0;

	if (!d)
		fail_msg("cannot read %s", dir);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			if (last)
				snprintf(last, n, "%s", de->d_name);
			k++;
		}
	closedir(d);
	return k;
}

int test_remove_tree(const char *dir)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

const char *test_corpus_dir(void)
{
	static char base[1024];
	const char *corpus = getenv("PVFHOST_CORPUS"), *ci = getenv("CI");
	char probe[1100];
	struct stat st;

	if (!corpus || !*corpus) {
		const char *root = getenv("PVFHOST_SOURCE_ROOT");
		snprintf(base, sizeof(base), "%s/../shared/corpus", root && *root ? root : ".");
		corpus = base;
	}
	snprintf(probe, sizeof(probe), "%s/pvf", corpus);
	if (stat(probe, &st) != 0) {
		if (ci && !strcmp(ci, "true"))
			fail_msg("corpus missing: %s", probe);
		return NULL;
	}
	return corpus;
}
