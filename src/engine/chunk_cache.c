/*
 * chunk_cache.c — the content-addressed cache of compiled chunks: keys,
 * entries (fetch, store) and pruning (see chunk_cache.h for the format).
 */
#include "engine/chunk_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/hex.h"
#include "engine/artifact_format.h"
#include "engine/engine.h"

#define MAGIC "PVFCHNK1"
#define MAGIC_LEN 8u
#define HEADER_LEN (MAGIC_LEN + 8u + 8u + 32u)
#define ENTRY_SUFFIX ".chunk"
/* Temporary files older than this are left-overs of a killed writer. */
#define STALE_TMP_S 3600

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void hash_part(crypto_generichash_state *st, const char *s, size_t n)
{
	uint8_t len[8];

	/* Length-prefixed, so that no two part lists hash alike. */
	put_u64(len, n);
	crypto_generichash_update(st, len, sizeof(len));
	crypto_generichash_update(st, (const uint8_t *)s, n);
}

void pvf__chunk_key(const char *toolchain_id, const char *depth_flag, const char *header, size_t header_len,
		    const char *text, size_t text_len, uint8_t key[PVF_CHUNK_KEY_LEN],
		    char name[PVF_CHUNK_NAME_LEN])
{
	static const char domain[] = "pvfhost chunk 1";
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, PVF_CHUNK_KEY_LEN);
	hash_part(&st, domain, sizeof(domain) - 1);
	hash_part(&st, toolchain_id, strlen(toolchain_id));
	hash_part(&st, depth_flag, strlen(depth_flag));
	hash_part(&st, header, header_len);
	hash_part(&st, text, text_len);
	crypto_generichash_final(&st, key, PVF_CHUNK_KEY_LEN);
	name[0] = 'c';
	pvf_hex_encode(key, 8, name + 1, PVF_CHUNK_NAME_LEN - 1, NULL);
}

static void entry_sum(const uint8_t key[PVF_CHUNK_KEY_LEN], const uint8_t *obj, size_t olen, const uint8_t *su,
		      size_t slen, uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, key, PVF_CHUNK_KEY_LEN);
	crypto_generichash_update(&st, obj, olen);
	crypto_generichash_update(&st, su, slen);
	crypto_generichash_final(&st, out, 32);
}

static int entry_path(char *buf, size_t cap, const char *dir, const uint8_t key[PVF_CHUNK_KEY_LEN])
{
	char hex[2 * PVF_CHUNK_KEY_LEN + 1];

	pvf_hex_encode(key, PVF_CHUNK_KEY_LEN, hex, sizeof(hex), NULL);
	return (size_t)snprintf(buf, cap, "%s/%s" ENTRY_SUFFIX, dir, hex) < cap ? 0 : -1;
}

int pvf__chunk_cache_fetch(const char *cache_dir, const uint8_t key[PVF_CHUNK_KEY_LEN], const char *work_dir,
			   const char *name, pvf_error *err)
{
	char path[PATH_MAX], out[PATH_MAX];
	uint8_t *buf = NULL, sum[32];
	size_t len = 0;
	uint64_t olen, slen;
	pvf_error ignored;
	int r = 0;

	if (entry_path(path, sizeof(path), cache_dir, key) < 0)
		return 0;
	if (pvf__read_file(path, PVF_CHUNK_MAX_BYTES + HEADER_LEN, &buf, &len, &ignored) < 0)
		return 0;
	if (len < HEADER_LEN || memcmp(buf, MAGIC, MAGIC_LEN) != 0)
		goto corrupt;
	olen = get_u64(buf + MAGIC_LEN);
	slen = get_u64(buf + MAGIC_LEN + 8);
	if (olen > len - HEADER_LEN || slen != len - HEADER_LEN - olen)
		goto corrupt;
	entry_sum(key, buf + HEADER_LEN, olen, buf + HEADER_LEN + olen, slen, sum);
	if (sodium_memcmp(sum, buf + MAGIC_LEN + 16, 32) != 0)
		goto corrupt;
	if ((size_t)snprintf(out, sizeof(out), "%s/%s.o", work_dir, name) >= sizeof(out)) {
		r = pvf_error_set(err, PVF_E_IO, "path too long in %s", work_dir);
		goto done;
	}
	if (pvf__write_file(out, buf + HEADER_LEN, olen, err) < 0) {
		r = -1;
		goto done;
	}
	snprintf(out, sizeof(out), "%s/%s.su", work_dir, name);
	if (pvf__write_file(out, buf + HEADER_LEN + olen, slen, err) < 0) {
		r = -1;
		goto done;
	}
	/* The entry was used now (pruning drops the least recently used). */
	utimensat(AT_FDCWD, path, NULL, 0);
	r = 1;
	goto done;
corrupt:
	unlink(path);
	r = 0;
done:
	free(buf);
	return r;
}

int pvf__chunk_cache_store(const char *cache_dir, const uint8_t key[PVF_CHUNK_KEY_LEN], const char *work_dir,
			   const char *name, pvf_error *err)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	uint8_t *obj = NULL, *su = NULL, *entry = NULL;
	size_t olen = 0, slen = 0;
	int r = -1;

	if (mkdir(cache_dir, 0755) < 0 && errno != EEXIST)
		return pvf_error_set(err, PVF_E_IO, "cannot create chunk cache %s: %s", cache_dir, strerror(errno));
	if (entry_path(path, sizeof(path), cache_dir, key) < 0 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/%s.o", work_dir, name) >= sizeof(tmp))
		return pvf_error_set(err, PVF_E_IO, "path too long");
	if (pvf__read_file(tmp, PVF_CHUNK_MAX_BYTES, &obj, &olen, err) < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s/%s.su", work_dir, name);
	if (pvf__read_file(tmp, PVF_CHUNK_MAX_BYTES - olen, &su, &slen, err) < 0)
		goto out;
	entry = malloc(HEADER_LEN + olen + slen);
	if (!entry) {
		pvf_error_set(err, PVF_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(entry, MAGIC, MAGIC_LEN);
	put_u64(entry + MAGIC_LEN, olen);
	put_u64(entry + MAGIC_LEN + 8, slen);
	entry_sum(key, obj, olen, su, slen, entry + MAGIC_LEN + 16);
	memcpy(entry + HEADER_LEN, obj, olen);
	memcpy(entry + HEADER_LEN + olen, su, slen);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%s", cache_dir, (long)getpid(), name) >= sizeof(tmp)) {
		pvf_error_set(err, PVF_E_IO, "path too long");
		goto out;
	}
	if (pvf__write_file(tmp, entry, HEADER_LEN + olen + slen, err) < 0)
		goto out;
	if (rename(tmp, path) < 0) {
		pvf_error_set(err, PVF_E_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	free(obj);
	free(su);
	free(entry);
	return r;
}

/* ---- pruning ------------------------------------------------------------ */

typedef struct entry_info {
	char name[2 * PVF_CHUNK_KEY_LEN + sizeof(ENTRY_SUFFIX)];
	time_t mtime;
	uint64_t bytes;
} entry_info;

static int by_mtime(const void *a, const void *b)
{
	const entry_info *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool is_entry_name(const char *n)
{
	size_t len = strlen(n);

	if (len != 2 * PVF_CHUNK_KEY_LEN + strlen(ENTRY_SUFFIX) || strcmp(n + 2 * PVF_CHUNK_KEY_LEN, ENTRY_SUFFIX))
		return false;
	for (size_t i = 0; i < 2 * PVF_CHUNK_KEY_LEN; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	return true;
}

int pvf_chunk_cache_prune(const char *dir, uint64_t max_bytes, uint64_t max_age_s, pvf_chunk_cache_stats *ret,
			  pvf_error *err)
{
	pvf_chunk_cache_stats st = { 0 };
	entry_info *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	time_t now = time(NULL);
	struct dirent *de;
	DIR *d;
	int dfd;

	if (!dir)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_chunk_cache_prune: NULL directory");
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			if (ret)
				*ret = st;
			return 0;
		}
		return pvf_error_set(err, PVF_E_IO, "cannot open chunk cache %s: %s", dir, strerror(errno));
	}
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		struct stat sb;

		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (!strncmp(de->d_name, ".tmp-", 5)) {
			if (now - sb.st_mtime > STALE_TMP_S && unlinkat(dfd, de->d_name, 0) == 0)
				st.removed_bytes += (uint64_t)sb.st_size;
			continue;
		}
		if (!is_entry_name(de->d_name))
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			entry_info *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				closedir(d);
				free(v);
				return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
			}
			v = nv;
			cap = ncap;
		}
		/* is_entry_name checked the exact length */
		memcpy(v[n].name, de->d_name, sizeof(v[n].name));
		v[n].mtime = sb.st_mtime;
		v[n].bytes = (uint64_t)sb.st_size;
		total += v[n].bytes;
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_mtime);
	/* Oldest first: drop what is over the age limit, then what is over
	 * the size cap. */
	for (size_t i = 0; i < n; i++) {
		bool old = max_age_s && now > v[i].mtime && (uint64_t)(now - v[i].mtime) > max_age_s;
		bool over = max_bytes && total > max_bytes;

		if ((old || over) && unlinkat(dfd, v[i].name, 0) == 0) {
			st.removed++;
			st.removed_bytes += v[i].bytes;
			total -= v[i].bytes;
			continue;
		}
		st.entries++;
		st.bytes += v[i].bytes;
	}
	closedir(d);
	free(v);
	if (ret)
		*ret = st;
	return 0;
}
