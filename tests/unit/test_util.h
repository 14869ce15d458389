/*
 * test_util.h — helpers shared by unit tests: whole files, shell commands,
 * and the shared corpus's location.
 */
#ifndef PVF_TEST_UTIL_H
#define PVF_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Largest file the tests read whole. */
#define TEST_FILE_MAX ((size_t)1 << 30)

/* The whole file, NUL-terminated (malloc'd; pvf__read_file), or NULL when it
 * cannot be read. */
uint8_t *test_read_file(const char *path, size_t *len);
/* Runs `cmd` with sh -c; fails the test when it cannot run or exits
 * non-zero. */
void test_sh(const char *cmd);
/* wasm2c's output for the module at wasm_path, as preparation translates
 * it, written to out_c and returned NUL-terminated (malloc'd); fails the
 * test when wasm2c fails. */
char *test_wasm2c(const char *wasm_path, const char *out_c, size_t *len);
struct pvf_prepare_opts;
struct pvf_prepare_stats;
/* Decodes the module at wasm_path and prepares it with the engine (no PVF
 * rules) into the artifact file out; fails the test on any error. `st` may
 * be NULL. */
void test_prepare_wasm(const char *wasm_path, const struct pvf_prepare_opts *o, const char *out,
		       struct pvf_prepare_stats *st);
/* Removes dir and all it holds: 0, or -1 (a cmocka teardown's result). */
int test_remove_tree(const char *dir);
/* How many entries of dir have names starting with prefix; the last one
 * read goes to last (may be NULL; n bytes). Fails the test when dir cannot
 * be read. */
int test_dir_entries(const char *dir, const char *prefix, char *last, size_t n);
/* The shared corpus directory (PVFHOST_CORPUS, default
 * $PVFHOST_SOURCE_ROOT/../shared/corpus), or NULL when it is absent: the
 * caller then skips, but with CI=true the test fails instead. */
const char *test_corpus_dir(void);

#endif
