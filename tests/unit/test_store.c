/*
 * test_store.c — the artifact cache: a real artifact prepared by the engine
 * is added, found, kept across a restart, and dropped when truncated or
 * corrupted; start-up deletes partial files, other toolchains' artifacts and
 * dead hosts' worker directories but never a file pvfhost did not name;
 * LRU pruning by last use (atime) respects the cap and the stale time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/artifact_format.h"
#include "engine/engine.h"
#include "host/exec_params.h"
#include "host/store.h"
#include "wasm/module.h"
#include "test_util.h"

static char g_root[] = "/tmp/pvfhost-test-store-XXXXXX";
static char *g_tc;              /* toolchain id of the real artifact */
static uint8_t *g_art;          /* the real artifact's bytes */
static size_t g_art_len;
static pvf_store_key g_key;     /* its key */
static int g_seq;

/* snprintf that fails the test instead of truncating. */
static void pathf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pathf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	assert_true(r >= 0 && (size_t)r < n);
}

static void write_all(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* A fresh cache directory for one test. */
static void fresh_dir(char *buf, size_t n)
{
	snprintf(buf, n, "%s/cache-%d", g_root, g_seq++);
}

static pvf_store *open_store(const char *dir, uint64_t cap, uint64_t stale)
{
	pvf_store_opts o = { .dir = dir, .toolchain_id = g_tc, .size_cap = cap, .stale_s = stale };
	pvf_store *s = NULL;
	pvf_error err;

	if (pvf_store_open(&o, &s, &err) < 0)
		fail_msg("open %s: %s", dir, err.msg);
	return s;
}

/* Writes a well-formed artifact (toolchain `tc`, key `k`, `payload_len`
 * bytes of filler code) to `path`, as another pvfhost build would. */
static void synth_artifact(const char *path, const char *tc, const pvf_store_key *k, size_t payload_len)
{
	pvf_artifact_info info;
	pvf_error err;
	uint8_t *payload = malloc(payload_len);

	assert_non_null(payload);
	memset(payload, 0x5a, payload_len);
	memset(&info, 0, sizeof(info));
	info.toolchain_id = (char *)tc;
	memcpy(info.code_hash, k->code_hash, 32);
	memcpy(info.params_hash, k->params_hash, 32);
	info.stack_limit = 16384;
	info.max_memory_pages = 2080;
	if (pvf__artifact_write(path, &info, payload, payload_len, &err) < 0)
		fail_msg("write %s: %s", path, err.msg);
	free(payload);
}

static void set_last_use(const char *path, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { 0, UTIME_OMIT } };

	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int setup(void **state)
{
	char path[512], out[600];
	uint8_t *wasm;
	size_t len;
	pvf_module *m = NULL;
	pvf_error err;
	pvf_prepare_opts o = { 0 };
	pvfhost_executor_params ep;

	(void)state;
	if (!mkdtemp(g_root))
		return -1;
	snprintf(path, sizeof(path), "%s/worker_trivial.wasm", TEST_WASM_DIR);
	wasm = test_read_file(path, &len);
	assert_non_null(wasm);
	if (pvf_module_decode(wasm, len, NULL, &m, &err) < 0)
		fail_msg("decode: %s", err.msg);
	pvfhost_executor_params_default(&ep);
	crypto_generichash(g_key.code_hash, 32, wasm, len, NULL, 0);
	pvf_exec_params_prep_hash(&ep, g_key.params_hash);
	memcpy(o.params_hash, g_key.params_hash, 32);
	o.jobs = 1;
	if (pvf_engine_toolchain_id(&o, &g_tc, &err) < 0)
		fail_msg("toolchain: %s", err.msg);
	snprintf(out, sizeof(out), "%s/real.pvfa", g_root);
	if (pvf_engine_prepare(wasm, len, m, &o, out, NULL, &err) < 0)
		fail_msg("prepare: %s", err.msg);
	g_art = test_read_file(out, &g_art_len);
	assert_non_null(g_art);
	unlink(out);
	pvf_module_free(m);
	free(wasm);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(g_tc);
	free(g_art);
	return test_remove_tree(g_root);
}

/* The host's part: a verified artifact appears at its path, then add. */
static void put_real(pvf_store *s, char *path, size_t n)
{
	pvf_error err;

	pvf_store_path(s, &g_key, path, n);
	write_all(path, g_art, g_art_len);
	if (pvf_store_add(s, &g_key, &err) < 0)
		fail_msg("add: %s", err.msg);
}

static void test_naming(void **state)
{
	char dir[512], path[4096], want[4096], code[65], params[17], tc[17];
	uint8_t h[32];
	struct stat st;

	(void)state;
	fresh_dir(dir, sizeof(dir));
	pvf_store *s = open_store(dir, 0, 0);
	for (int i = 0; i < 32; i++)
		pathf(code + 2 * i, 3, "%02x", g_key.code_hash[i]);
	for (int i = 0; i < 8; i++)
		pathf(params + 2 * i, 3, "%02x", g_key.params_hash[i]);
	crypto_generichash(h, 32, (const uint8_t *)g_tc, strlen(g_tc), NULL, 0);
	for (int i = 0; i < 8; i++)
		pathf(tc + 2 * i, 3, "%02x", h[i]);
	pvf_store_path(s, &g_key, path, sizeof(path));
	pathf(want, sizeof(want), "%s/artifacts/%s-%s-%s.pvfa", pvf_store_dir(s), code, params, tc);
	assert_string_equal(path, want);
	assert_int_equal(pvf_store_dir(s)[0], '/');
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	pvf_store_close(s);
}

static void test_add_lookup_restart(void **state)
{
	char dir[512], path[4096];
	pvfhost_cache_entry *list;
	size_t n;
	pvf_error err;
	struct stat st;

	(void)state;
	fresh_dir(dir, sizeof(dir));
	pvf_store *s = open_store(dir, 0, 0);
	assert_int_equal(pvf_store_lookup(s, &g_key), 0);
	put_real(s, path, sizeof(path));
	assert_int_equal(pvf_store_lookup(s, &g_key), 1);
	assert_int_equal(pvf_store_count(s), 1);
	assert_true(pvf_store_bytes(s) == g_art_len);

	/* Last use is the atime, set at each use. */
	set_last_use(path, 1000000);
	pvf_store_close(s);
	s = open_store(dir, 0, 0);
	assert_int_equal(pvf_store_count(s), 1);
	assert_int_equal(pvf_store_list(s, false, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].last_used, 1000000);
	assert_true(list[0].size == g_art_len);
	assert_string_equal(list[0].path, path);
	assert_int_equal(list[0].params_hash[64], '\0');
	assert_int_equal(strlen(list[0].code_hash), 64);
	free(list);
	/* First lookup after a restart verifies fully, then records the use. */
	assert_int_equal(pvf_store_lookup(s, &g_key), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_atim.tv_sec > 1000000);
	assert_int_equal(pvf_store_list(s, true, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(list[0].valid);
	free(list);

	/* Another key (different params) is absent. */
	pvf_store_key other = g_key;
	other.params_hash[31] ^= 1;
	assert_int_equal(pvf_store_lookup(s, &other), 0);
	pvf_store_remove(s, &g_key);
	assert_false(exists(path));
	assert_int_equal(pvf_store_count(s), 0);
	assert_true(pvf_store_bytes(s) == 0);
	pvf_store_close(s);
}

static void test_truncated_and_corrupt(void **state)
{
	char dir[512], path[4096];
	struct stat st;
	int fd;

	(void)state;
	fresh_dir(dir, sizeof(dir));
	pvf_store *s = open_store(dir, 0, 0);

	/* Truncated: the size changed, so the next lookup verifies and drops it. */
	put_real(s, path, sizeof(path));
	assert_int_equal(pvf_store_lookup(s, &g_key), 1);
	assert_int_equal(truncate(path, (off_t)g_art_len - 100), 0);
	assert_int_equal(pvf_store_lookup(s, &g_key), 0);
	assert_false(exists(path));
	assert_int_equal(pvf_store_count(s), 0);

	/* A flipped payload byte, written later (new mtime): dropped. */
	put_real(s, path, sizeof(path));
	assert_int_equal(pvf_store_lookup(s, &g_key), 1);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint8_t b = g_art[g_art_len - 10] ^ 0x40;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)g_art_len - 10), 1);
	/* Coarse file-system clocks may give the write the old mtime; a real
	 * corruption happens later than the artifact was written. */
	assert_int_equal(fstat(fd, &st), 0);
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { st.st_mtim.tv_sec + 2, 0 } };
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
	assert_int_equal(pvf_store_lookup(s, &g_key), 0);
	assert_false(exists(path));

	/* A payload byte flipped while the host was down, mtime kept: indexed by
	 * the header check at open, dropped by the first lookup's full check. */
	put_real(s, path, sizeof(path));
	pvf_store_close(s);
	assert_int_equal(stat(path, &st), 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &b, 1, (off_t)g_art_len - 10), 1);
	struct timespec keep[2] = { st.st_atim, st.st_mtim };
	assert_int_equal(futimens(fd, keep), 0);
	close(fd);
	s = open_store(dir, 0, 0);
	assert_int_equal(pvf_store_count(s), 1);
	assert_int_equal(pvf_store_lookup(s, &g_key), 0);
	assert_false(exists(path));
	assert_int_equal(pvf_store_count(s), 0);

	/* The same, found by verify-listing: reported invalid and removed. */
	put_real(s, path, sizeof(path));
	pvf_store_close(s);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &b, 1, (off_t)g_art_len - 10), 1);
	close(fd);
	s = open_store(dir, 0, 0);
	pvfhost_cache_entry *list;
	size_t n;
	pvf_error err;
	assert_int_equal(pvf_store_list(s, true, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_false(list[0].valid);
	free(list);
	assert_false(exists(path));
	assert_int_equal(pvf_store_count(s), 0);

	/* A header damaged while down: deleted at open (our name, our magic). */
	put_real(s, path, sizeof(path));
	pvf_store_close(s);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\xff", 1, 20), 1);
	close(fd);
	s = open_store(dir, 0, 0);
	assert_int_equal(pvf_store_count(s), 0);
	assert_false(exists(path));
	pvf_store_close(s);
}

static void test_startup_cleanup(void **state)
{
	char dir[512], adir[600], p[4096], tmp[4096], real[4096];
	char foreign[4096], foreign_junk[4096], stray[4][4096], artdir[4096];
	char dead[4096], live[4096], other[4096], outside[600];
	pvf_store_key fk = g_key;

	(void)state;
	fresh_dir(dir, sizeof(dir));
	pvf_store *s = open_store(dir, 0, 0);
	put_real(s, real, sizeof(real));
	pvf_store_close(s);
	pathf(adir, sizeof(adir), "%s/artifacts", dir);

	/* Partial files of pvfhost's shapes. */
	pathf(p, sizeof(p), "%s.part", real);
	write_all(p, "x", 1);
	pathf(tmp, sizeof(tmp), "%s.tmp-a1B2c3", real);
	write_all(tmp, "x", 1);
	/* An artifact of another toolchain (its own name and content). */
	fk.code_hash[0] ^= 0xff;
	char code[65], params[17];
	for (int i = 0; i < 32; i++)
		pathf(code + 2 * i, 3, "%02x", fk.code_hash[i]);
	for (int i = 0; i < 8; i++)
		pathf(params + 2 * i, 3, "%02x", fk.params_hash[i]);
	pathf(foreign, sizeof(foreign), "%s/%s-%s-0123456789abcdef.pvfa", adir, code, params);
	synth_artifact(foreign, "some other toolchain", &fk, 1000);
	/* Same name shape, but not pvfhost's content: kept. */
	pathf(foreign_junk, sizeof(foreign_junk), "%s/%s-%s-fedcba9876543210.pvfa", adir, code, params);
	write_all(foreign_junk, "user data", 9);
	/* User files that only look similar: kept. */
	pathf(stray[0], sizeof(stray[0]), "%s/notes.txt", adir);
	pathf(stray[1], sizeof(stray[1]), "%s/important.part", adir);
	pathf(stray[2], sizeof(stray[2]), "%s/readme.pvfa", dir);
	pathf(stray[3], sizeof(stray[3]), "%s.part.bak", real);
	for (int i = 0; i < 4; i++)
		write_all(stray[i], "keep me", 7);
	/* A directory with an artifact's name: never removed. */
	pathf(artdir, sizeof(artdir), "%s/%s-%s-0000000000000000.pvfa", adir, code, params);
	assert_int_equal(mkdir(artdir, 0700), 0);

	/* Worker directories: a dead host's (with a nested tree and a symbolic
	 * link out of it), a live one's, and an unrelated directory. */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	pathf(outside, sizeof(outside), "%s/outside-%d", g_root, g_seq);
	write_all(outside, "precious", 8);
	pathf(dead, sizeof(dead), "%s/workers/prepare-%d-3", dir, (int)child);
	assert_int_equal(mkdir(dead, 0700), 0);
	pathf(p, sizeof(p), "%s/sub", dead);
	assert_int_equal(mkdir(p, 0700), 0);
	pathf(p, sizeof(p), "%s/sub/artifact-1.part", dead);
	write_all(p, "x", 1);
	pathf(p, sizeof(p), "%s/sub/link", dead);
	assert_int_equal(symlink(outside, p), 0);
	pathf(p, sizeof(p), "%s/sub", dead);
	assert_int_equal(chmod(p, 0500), 0);
	pathf(live, sizeof(live), "%s/workers/execute-%d-1", dir, (int)getpid());
	assert_int_equal(mkdir(live, 0700), 0);
	pathf(other, sizeof(other), "%s/workers/mine", dir);
	assert_int_equal(mkdir(other, 0700), 0);

	s = open_store(dir, 0, 0);
	assert_int_equal(pvf_store_count(s), 1);
	assert_true(exists(real));
	pathf(p, sizeof(p), "%s.part", real);
	assert_false(exists(p));
	assert_false(exists(tmp));
	assert_false(exists(foreign));
	assert_true(exists(foreign_junk));
	for (int i = 0; i < 4; i++)
		assert_true(exists(stray[i]));
	assert_true(exists(artdir));
	assert_false(exists(dead));
	assert_true(exists(outside));
	assert_true(exists(live));
	assert_true(exists(other));
	assert_int_equal(pvf_store_lookup(s, &g_key), 1);
	pvf_store_close(s);
}

static void test_worker_dirs(void **state)
{
	char dir[512], w1[4096], w2[4096], p[4200], outside[600];
	pvf_error err;
	struct stat st;

	(void)state;
	fresh_dir(dir, sizeof(dir));
	pvf_store *s = open_store(dir, 0, 0);
	assert_int_equal(pvf_store_worker_dir(s, "prepare", w1, sizeof(w1), &err), 0);
	assert_int_equal(pvf_store_worker_dir(s, "prepare", w2, sizeof(w2), &err), 0);
	assert_string_not_equal(w1, w2);
	assert_int_equal(stat(w1, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	pathf(p, sizeof(p), "%s/workers/prepare-%d-", pvf_store_dir(s), (int)getpid());
	assert_memory_equal(w1, p, strlen(p));
	assert_int_equal(pvf_store_worker_dir(s, "Bad/kind", p, sizeof(p), &err), -1);
	assert_int_equal(err.code, PVF_E_USAGE);

	pathf(outside, sizeof(outside), "%s/outside-w-%d", g_root, g_seq);
	write_all(outside, "precious", 8);
	pathf(p, sizeof(p), "%s/a", w2);
	assert_int_equal(mkdir(p, 0700), 0);
	pathf(p, sizeof(p), "%s/a/b", w2);
	assert_int_equal(mkdir(p, 0700), 0);
	pathf(p, sizeof(p), "%s/a/b/f", w2);
	write_all(p, "x", 1);
	pathf(p, sizeof(p), "%s/link", w2);
	assert_int_equal(symlink(outside, p), 0);
	pathf(p, sizeof(p), "%s/dirlink", w2);
	assert_int_equal(symlink(g_root, p), 0);

	/* Paths that are not worker directories are ignored. */
	pvf_store_worker_dir_remove(s, g_root);
	pvf_store_worker_dir_remove(s, outside);
	pathf(p, sizeof(p), "%s/a", w2);
	pvf_store_worker_dir_remove(s, p);
	assert_true(exists(p));

	pvf_store_worker_dir_remove(s, w2);
	assert_false(exists(w2));
	assert_true(exists(outside));
	assert_true(exists(g_root));
	assert_true(exists(w1));
	pvf_store_worker_dir_remove(s, w1);
	assert_false(exists(w1));
	pvf_store_close(s);
}

/* Four synthetic artifacts a..d of this toolchain, last used 4000, 3000,
 * 2000, 1000 seconds ago. */
static void make_four(const char *dir, pvf_store_key keys[4], char paths[4][4096], uint64_t *each)
{
	pvf_store *s = open_store(dir, UINT64_MAX, 0);
	time_t now = time(NULL);
	pvf_error err;

	for (int i = 0; i < 4; i++) {
		keys[i] = g_key;
		keys[i].code_hash[0] = (uint8_t)(0xa0 + i);
		pvf_store_path(s, &keys[i], paths[i], sizeof(paths[i]));
		synth_artifact(paths[i], g_tc, &keys[i], 10000);
		if (pvf_store_add(s, &keys[i], &err) < 0)
			fail_msg("add: %s", err.msg);
		set_last_use(paths[i], now - 4000 + 1000 * i);
	}
	*each = pvf_store_bytes(s) / 4;
	pvf_store_close(s);
}

static void test_prune(void **state)
{
	char dir[512], paths[4][4096];
	pvf_store_key keys[4];
	uint64_t each, rb;
	size_t removed;
	pvf_error err;

	(void)state;
	/* At open: over the cap, stale after 1 s: the two least recently used go,
	 * no more than the cap requires. */
	fresh_dir(dir, sizeof(dir));
	make_four(dir, keys, paths, &each);
	pvf_store *s = open_store(dir, 2 * each + each / 2, 1);
	assert_int_equal(pvf_store_count(s), 2);
	assert_true(pvf_store_evictions(s) == 2);
	assert_false(exists(paths[0]));
	assert_false(exists(paths[1]));
	assert_true(exists(paths[2]));
	assert_true(exists(paths[3]));
	pvf_store_close(s);

	/* Explicit prune after changing the limits; a lookup makes an old
	 * artifact the most recently used. */
	fresh_dir(dir, sizeof(dir));
	make_four(dir, keys, paths, &each);
	s = open_store(dir, UINT64_MAX, 1);
	assert_int_equal(pvf_store_count(s), 4);
	assert_int_equal(pvf_store_lookup(s, &keys[0]), 1);
	pvf_store_set_limits(s, 2 * each, 1);
	assert_int_equal(pvf_store_prune(s, &removed, &rb, &err), 0);
	assert_int_equal(removed, 2);
	assert_true(rb == 2 * each);
	assert_true(exists(paths[0]));   /* just used: kept */
	assert_false(exists(paths[1]));
	assert_false(exists(paths[2]));
	assert_true(exists(paths[3]));
	/* Within the cap: nothing more. */
	assert_int_equal(pvf_store_prune(s, &removed, &rb, &err), 0);
	assert_int_equal(removed, 0);
	pvf_store_close(s);

	/* Large stale time: all were used within it, so none is pruned even far
	 * over the cap, and adding one more keeps it too. */
	fresh_dir(dir, sizeof(dir));
	make_four(dir, keys, paths, &each);
	s = open_store(dir, 1, 24 * 3600);
	assert_int_equal(pvf_store_count(s), 4);
	assert_int_equal(pvf_store_prune(s, &removed, &rb, &err), 0);
	assert_int_equal(removed, 0);
	assert_true(pvf_store_evictions(s) == 0);
	char real[4096];
	put_real(s, real, sizeof(real));
	assert_int_equal(pvf_store_count(s), 5);
	for (int i = 0; i < 4; i++)
		assert_true(exists(paths[i]));
	pvf_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_naming),
		cmocka_unit_test(test_add_lookup_restart),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_startup_cleanup),
		cmocka_unit_test(test_worker_dirs),
		cmocka_unit_test(test_prune),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
