/*
 * store.c — the on-disk artifact cache: an in-memory index of the artifacts
 * of this toolchain (key, size, file identity, last use, verified or not)
 * over DIR/artifacts, LRU pruning, and the worker directories under
 * DIR/workers. docs/cache.md describes the behaviour; this file the how.
 *
 * Verification levels:
 *   header   at open: magic, version, sizes, header checksum, toolchain,
 *            code and params hash against the file name, payload length
 *            against the file size. Reads about 200 bytes per artifact.
 *   full     pvf_artifact_verify(): header and payload checksum, with the
 *            toolchain, code hash and params hash expected. Done on the
 *            first lookup of an artifact (and again whenever its stat
 *            identity changed), and for every artifact by list(verify).
 *
 * Last use is the file's atime, set explicitly with utimensat() (mtime left
 * alone with UTIME_OMIT). The kernel's own atime updates cannot be relied on
 * (noatime, relatime) but an explicit atime is always stored, so the LRU
 * order survives a restart without a separate database. mtime is not
 * touched, which keeps it usable as part of the "unchanged since verified"
 * identity. Reading an artifact may itself move atime (relatime), so every
 * read that is not a use restores it (or opens with O_NOATIME).
 *
 * Locking: one mutex over the index and counters. Full verifications run
 * with the mutex released; afterwards the file is stat'ed again and the
 * result is only acted on if the file is still the one that was verified.
 */
#include "host/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/rmtree.h"
#include "engine/artifact_format.h"
#include "engine/engine.h"

#define ART_SUFFIX ".pvfa"
/* <64 hex>-<16 hex>-<16 hex>.pvfa */
#define ART_NAME_LEN (64 + 1 + 16 + 1 + 16 + 5)
#define WORKER_KIND_MAX 32

typedef struct entry {
	pvf_store_key key;
	uint64_t size;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	struct timespec last_used;
	bool verified;           /* fully verified with this identity */
} entry;

struct pvf_store {
	pthread_mutex_t mu;
	char dir[PATH_MAX];
	char art_dir[PATH_MAX];
	char workers_dir[PATH_MAX];
	char *toolchain_id;
	bool keep_foreign;
	char tc_short[17];
	uint64_t size_cap, stale_s;
	entry *e;
	size_t n, cap;
	uint64_t bytes, evictions;
	unsigned long worker_seq;
};

/* ---- small helpers ------------------------------------------------------ */

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static struct timespec now_ts(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

static int64_t ts_ns(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Sets the last use (atime) of `path`, leaving mtime alone. Best effort: an
 * artifact we do not own keeps its old atime, the index still has `t`. */
static void set_atime(const char *path, struct timespec t)
{
	struct timespec ts[2] = { t, { 0, UTIME_OMIT } };

	utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

static bool same_file(const entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == (uint64_t)st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int mkdir_p(const char *path, pvf_error *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return pvf_error_set(err, PVF_E_USAGE, "cache directory path is empty or too long");
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return pvf_error_set(err, PVF_E_IO, "cannot create cache directory %s: %s", buf,
					     strerror(errno));
		buf[i] = c;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return pvf_error_set(err, PVF_E_IO, "cache path %s is not a directory", path);
	return 0;
}

/* ---- names -------------------------------------------------------------- */

typedef enum name_kind { NAME_OTHER, NAME_ARTIFACT, NAME_PARTIAL } name_kind;

/* Classifies a file name in DIR/artifacts. An artifact name is exactly
 * <64 hex>-<16 hex>-<16 hex>.pvfa (lowercase); a partial file is an artifact
 * name followed by ".part" or ".tmp", optionally with "-" and up to 32
 * letters or digits (pvf__artifact_write's mkostemp suffix). */
static name_kind classify(const char *name)
{
	size_t len = strlen(name);

	if (len < ART_NAME_LEN || !is_lower_hex(name, 64) || name[64] != '-' || !is_lower_hex(name + 65, 16) ||
	    name[81] != '-' || !is_lower_hex(name + 82, 16) || memcmp(name + 98, ART_SUFFIX, 5) != 0)
		return NAME_OTHER;
	if (len == ART_NAME_LEN)
		return NAME_ARTIFACT;
	const char *s = name + ART_NAME_LEN;
	if (!strncmp(s, ".part", 5))
		s += 5;
	else if (!strncmp(s, ".tmp", 4))
		s += 4;
	else
		return NAME_OTHER;
	if (*s == '\0')
		return NAME_PARTIAL;
	if (*s++ != '-' || *s == '\0' || strlen(s) > 32)
		return NAME_OTHER;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return NAME_OTHER;
	return NAME_PARTIAL;
}

/* <kind>-<pid>-<n>: kind lowercase letters, pid and n decimal. */
static bool parse_worker_name(const char *name, pid_t *pid)
{
	const char *p = name;
	size_t k = 0;

	while (*p >= 'a' && *p <= 'z') {
		p++;
		k++;
	}
	if (k == 0 || k > WORKER_KIND_MAX || *p++ != '-')
		return false;
	char *end;
	errno = 0;
	long v = strtol(p, &end, 10);
	if (end == p || *p < '0' || *p > '9' || *end != '-' || errno || v <= 0 || v > INT_MAX)
		return false;
	p = end + 1;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p)
		return false;
	*pid = (pid_t)v;
	return true;
}

static void key_name(const pvf_store *s, const pvf_store_key *k, char out[ART_NAME_LEN + 1])
{
	hex(k->code_hash, 32, out);
	out[64] = '-';
	hex(k->params_hash, 8, out + 65);
	out[81] = '-';
	memcpy(out + 82, s->tc_short, 16);
	memcpy(out + 98, ART_SUFFIX, 6);
}

void pvf_store_path(const pvf_store *s, const pvf_store_key *k, char *buf, size_t n)
{
	char name[ART_NAME_LEN + 1];

	key_name(s, k, name);
	snprintf(buf, n, "%s/%s", s->art_dir, name);
}

/* ---- header check --------------------------------------------------------- */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

typedef enum header_verdict {
	HDR_UNREADABLE,   /* could not be read: judge nothing */
	HDR_NOT_OURS,     /* bad magic: not a pvfhost artifact */
	HDR_BAD,          /* pvfhost magic, but another version, toolchain, or inconsistent */
	HDR_GOOD,
} header_verdict;

/* The cheap check of an artifact's header (see the top of the file). With
 * `tc` NULL only the magic is judged. Fills *key from the header when good. */
static header_verdict header_check(const char *path, const struct stat *st, const char *tc, pvf_store_key *key)
{
	uint8_t buf[PVF_ARTIFACT_FIXED_HEADER + PVF_ARTIFACT_MAX_TOOLCHAIN + 32];
	uint8_t sum[32];
	size_t got = 0;
	bool noatime = true;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOATIME);

	if (fd < 0 && errno == EPERM) {
		noatime = false;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return HDR_UNREADABLE;
	while (got < sizeof(buf)) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return HDR_UNREADABLE;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!noatime)
		set_atime(path, st->st_atim);
	if (got < 8 || memcmp(buf, PVF_ARTIFACT_MAGIC, 8) != 0)
		return HDR_NOT_OURS;
	if (!tc)
		return HDR_BAD;
	if (got < PVF_ARTIFACT_FIXED_HEADER || get32(buf + 8) != PVF_ARTIFACT_FORMAT_VERSION)
		return HDR_BAD;
	uint32_t hlen = get32(buf + 12), tlen = get32(buf + 144);
	if (tlen > PVF_ARTIFACT_MAX_TOOLCHAIN || hlen != PVF_ARTIFACT_FIXED_HEADER + tlen + 32 || hlen > got)
		return HDR_BAD;
	crypto_generichash(sum, 32, buf, PVF_ARTIFACT_FIXED_HEADER + tlen, NULL, 0);
	if (sodium_memcmp(sum, buf + PVF_ARTIFACT_FIXED_HEADER + tlen, 32) != 0)
		return HDR_BAD;
	if (get64(buf + 104) != (uint64_t)st->st_size - hlen)
		return HDR_BAD;
	if (strlen(tc) != tlen || memcmp(tc, buf + PVF_ARTIFACT_FIXED_HEADER, tlen) != 0)
		return HDR_BAD;
	memcpy(key->code_hash, buf + 16, 32);
	memcpy(key->params_hash, buf + 48, 32);
	return HDR_GOOD;
}

/* ---- index (mutex held) --------------------------------------------------- */

static ssize_t find(const pvf_store *s, const pvf_store_key *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (!memcmp(&s->e[i].key, k, sizeof(*k)))
			return (ssize_t)i;
	return -1;
}

static void drop(pvf_store *s, size_t i)
{
	s->bytes -= s->e[i].size;
	s->e[i] = s->e[--s->n];
}

/* Indexes (or re-indexes) `k` with the identity of `st`. */
static int upsert(pvf_store *s, const pvf_store_key *k, const struct stat *st, struct timespec last_used,
		  bool verified)
{
	ssize_t i = find(s, k);
	entry *e;

	if (i >= 0) {
		e = &s->e[i];
		s->bytes -= e->size;
	} else {
		if (s->n == s->cap) {
			size_t nc = s->cap ? 2 * s->cap : 64;
			entry *ne = realloc(s->e, nc * sizeof(*ne));
			if (!ne)
				return -1;
			s->e = ne;
			s->cap = nc;
		}
		e = &s->e[s->n++];
	}
	e->key = *k;
	e->size = (uint64_t)st->st_size;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->mtime = st->st_mtim;
	e->last_used = last_used;
	e->verified = verified;
	s->bytes += e->size;
	return 0;
}

/* Removes least recently used artifacts while over the cap, never one used
 * within stale_s, never `keep`. */
static void prune_locked(pvf_store *s, const pvf_store_key *keep, size_t *removed, uint64_t *removed_bytes)
{
	int64_t now = ts_ns(now_ts());
	int64_t stale_ns = s->stale_s > (uint64_t)(INT64_MAX / 1000000000LL) ? INT64_MAX
									     : (int64_t)s->stale_s * 1000000000LL;
	char path[PATH_MAX];

	while (s->bytes > s->size_cap) {
		ssize_t oldest = -1;
		for (size_t i = 0; i < s->n; i++) {
			if (keep && !memcmp(&s->e[i].key, keep, sizeof(*keep)))
				continue;
			if (oldest < 0 || ts_ns(s->e[i].last_used) < ts_ns(s->e[oldest].last_used))
				oldest = (ssize_t)i;
		}
		if (oldest < 0 || now - ts_ns(s->e[oldest].last_used) < stale_ns)
			break;
		pvf_store_path(s, &s->e[oldest].key, path, sizeof(path));
		uint64_t size = s->e[oldest].size;
		bool gone = unlink(path) == 0 || errno == ENOENT;
		drop(s, (size_t)oldest);
		if (gone) {
			s->evictions++;
			if (removed)
				(*removed)++;
			if (removed_bytes)
				*removed_bytes += size;
		}
	}
}

/* ---- checking one artifact ----------------------------------------------- */

/* Mutex held on entry and exit (released during a full verification).
 * Returns 1 if the artifact of `k` is present and good; 0 otherwise, after
 * dropping it from the index and unlinking it if it was found corrupt.
 * `force_full`: verify the payload even if the identity is unchanged.
 * `touch`: record a use now; otherwise the last use is kept (and restored on
 * the file after reading it). */
static int check_locked(pvf_store *s, const pvf_store_key *k, bool force_full, bool touch)
{
	char path[PATH_MAX];
	struct stat st, st2;
	pvf_artifact_expect ex = { s->toolchain_id, k->code_hash, k->params_hash };
	pvf_error err;
	ssize_t i;

	pvf_store_path(s, k, path, sizeof(path));
	for (int attempt = 0; attempt < 2; attempt++) {
		i = find(s, k);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			if (i >= 0)
				drop(s, (size_t)i);
			return 0;
		}
		if (i >= 0 && !force_full && s->e[i].verified && same_file(&s->e[i], &st)) {
			if (touch) {
				s->e[i].last_used = now_ts();
				/* The file keeps the last use across restarts, to
				 * the second: one write a second at most. */
				if (st.st_atim.tv_sec != s->e[i].last_used.tv_sec)
					set_atime(path, s->e[i].last_used);
			}
			return 1;
		}
		struct timespec last = i >= 0 ? s->e[i].last_used : st.st_atim;

		pthread_mutex_unlock(&s->mu);
		int r = pvf_artifact_verify(path, &ex, NULL, &err);
		pthread_mutex_lock(&s->mu);

		i = find(s, k);
		if (lstat(path, &st2) < 0 || !S_ISREG(st2.st_mode)) {
			if (i >= 0)
				drop(s, (size_t)i);
			return 0;
		}
		if (!same_stat(&st, &st2))
			continue;   /* replaced or written meanwhile: judge the new file */
		if (i >= 0)
			last = s->e[i].last_used;
		if (r < 0) {
			if (err.code == PVF_E_ARTIFACT_CORRUPT || err.code == PVF_E_ARTIFACT_FOREIGN)
				unlink(path);
			if (i >= 0)
				drop(s, (size_t)i);
			return 0;
		}
		if (touch)
			last = now_ts();
		set_atime(path, last);
		upsert(s, k, &st2, last, true);   /* out of memory: stays unindexed, still good */
		return 1;
	}
	return 0;
}

int pvf_store_lookup(pvf_store *s, const pvf_store_key *k)
{
	pthread_mutex_lock(&s->mu);
	int r = check_locked(s, k, false, true);
	pthread_mutex_unlock(&s->mu);
	return r;
}

int pvf_store_add(pvf_store *s, const pvf_store_key *k, pvf_error *err)
{
	char path[PATH_MAX];
	struct stat st;

	pvf_store_path(s, k, path, sizeof(path));
	pthread_mutex_lock(&s->mu);
	if (lstat(path, &st) < 0) {
		int e = errno;
		pthread_mutex_unlock(&s->mu);
		return pvf_error_set(err, PVF_E_IO, "artifact %s is not in the cache: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		pthread_mutex_unlock(&s->mu);
		return pvf_error_set(err, PVF_E_IO, "artifact %s is not a regular file", path);
	}
	struct timespec now = now_ts();
	set_atime(path, now);
	if (upsert(s, k, &st, now, true) < 0) {
		pthread_mutex_unlock(&s->mu);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory indexing the artifact cache");
	}
	prune_locked(s, k, NULL, NULL);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void pvf_store_remove(pvf_store *s, const pvf_store_key *k)
{
	char path[PATH_MAX];

	pvf_store_path(s, k, path, sizeof(path));
	pthread_mutex_lock(&s->mu);
	unlink(path);
	ssize_t i = find(s, k);
	if (i >= 0)
		drop(s, (size_t)i);
	pthread_mutex_unlock(&s->mu);
}

int pvf_store_prune(pvf_store *s, size_t *removed, uint64_t *removed_bytes, pvf_error *err)
{
	size_t r = 0;
	uint64_t b = 0;

	(void)err;
	pthread_mutex_lock(&s->mu);
	prune_locked(s, NULL, &r, &b);
	pthread_mutex_unlock(&s->mu);
	if (removed)
		*removed = r;
	if (removed_bytes)
		*removed_bytes = b;
	return 0;
}

/* ---- listing -------------------------------------------------------------- */

static int by_last_use_desc(const void *a, const void *b)
{
	const pvfhost_cache_entry *x = a, *y = b;

	return x->last_used < y->last_used ? 1 : x->last_used > y->last_used ? -1 : strcmp(x->path, y->path);
}

int pvf_store_list(pvf_store *s, bool verify, pvfhost_cache_entry **ret, size_t *n, pvf_error *err)
{
	pvfhost_cache_entry *out = NULL;
	pvf_store_key *keys = NULL;
	size_t cnt;

	*ret = NULL;
	*n = 0;
	pthread_mutex_lock(&s->mu);
	cnt = s->n;
	if (cnt) {
		out = calloc(cnt, sizeof(*out));
		keys = malloc(cnt * sizeof(*keys));
		if (!out || !keys) {
			pthread_mutex_unlock(&s->mu);
			free(out);
			free(keys);
			return pvf_error_set(err, PVF_E_NOMEM, "out of memory listing the artifact cache");
		}
	}
	for (size_t i = 0; i < cnt; i++) {
		const entry *e = &s->e[i];
		keys[i] = e->key;
		hex(e->key.code_hash, 32, out[i].code_hash);
		hex(e->key.params_hash, 32, out[i].params_hash);
		pvf_store_path(s, &e->key, out[i].path, sizeof(out[i].path));
		out[i].size = e->size;
		out[i].last_used = (int64_t)e->last_used.tv_sec;
		out[i].valid = true;
	}
	if (verify) {
		for (size_t i = 0; i < cnt; i++)
			out[i].valid = check_locked(s, &keys[i], true, false) == 1;
	}
	pthread_mutex_unlock(&s->mu);
	free(keys);
	if (cnt)
		qsort(out, cnt, sizeof(*out), by_last_use_desc);
	*ret = out;
	*n = cnt;
	return 0;
}

uint64_t pvf_store_bytes(pvf_store *s)
{
	pthread_mutex_lock(&s->mu);
	uint64_t b = s->bytes;
	pthread_mutex_unlock(&s->mu);
	return b;
}

size_t pvf_store_count(pvf_store *s)
{
	pthread_mutex_lock(&s->mu);
	size_t c = s->n;
	pthread_mutex_unlock(&s->mu);
	return c;
}

uint64_t pvf_store_evictions(pvf_store *s)
{
	pthread_mutex_lock(&s->mu);
	uint64_t v = s->evictions;
	pthread_mutex_unlock(&s->mu);
	return v;
}

const char *pvf_store_dir(const pvf_store *s)
{
	return s->dir;
}

void pvf_store_set_limits(pvf_store *s, uint64_t size_cap, uint64_t stale_s)
{
	pthread_mutex_lock(&s->mu);
	s->size_cap = size_cap ? size_cap : PVF_STORE_DEFAULT_CAP;
	s->stale_s = stale_s ? stale_s : PVF_STORE_DEFAULT_STALE_S;
	pthread_mutex_unlock(&s->mu);
}

/* ---- worker directories --------------------------------------------------- */

int pvf_store_worker_dir(pvf_store *s, const char *kind, char *buf, size_t n, pvf_error *err)
{
	size_t k = kind ? strlen(kind) : 0;

	if (k == 0 || k > WORKER_KIND_MAX)
		return pvf_error_set(err, PVF_E_USAGE, "worker directory kind must be 1 to %d lowercase letters",
				     WORKER_KIND_MAX);
	for (size_t i = 0; i < k; i++)
		if (kind[i] < 'a' || kind[i] > 'z')
			return pvf_error_set(err, PVF_E_USAGE, "worker directory kind \"%s\" is not lowercase letters",
					     kind);
	for (int tries = 0; tries < 1000; tries++) {
		pthread_mutex_lock(&s->mu);
		unsigned long seq = ++s->worker_seq;
		pthread_mutex_unlock(&s->mu);
		if ((size_t)snprintf(buf, n, "%s/%s-%ld-%lu", s->workers_dir, kind, (long)getpid(), seq) >= n)
			return pvf_error_set(err, PVF_E_USAGE, "worker directory path does not fit %zu bytes", n);
		if (mkdir(buf, 0700) == 0)
			return 0;
		if (errno == ENOENT && mkdir(s->workers_dir, 0700) == 0)
			continue;
		if (errno != EEXIST)
			return pvf_error_set(err, PVF_E_IO, "cannot create worker directory %s: %s", buf,
					     strerror(errno));
	}
	return pvf_error_set(err, PVF_E_IO, "cannot create a worker directory in %s: every name is taken",
			     s->workers_dir);
}

void pvf_store_worker_dir_remove(pvf_store *s, const char *path)
{
	size_t wl = strlen(s->workers_dir);
	pid_t pid;

	if (!path || strncmp(path, s->workers_dir, wl) != 0 || path[wl] != '/' || strchr(path + wl + 1, '/') ||
	    !parse_worker_name(path + wl + 1, &pid))
		return;
	int dfd = open(s->workers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	pvf_rm_tree_at(dfd, path + wl + 1);
	close(dfd);
}

/* ---- opening -------------------------------------------------------------- */

/* Start-up pass over DIR/artifacts (mutex not needed: not shared yet). */
static int scan_artifacts(pvf_store *s, pvf_error *err)
{
	DIR *d = opendir(s->art_dir);
	struct dirent *de;
	char path[PATH_MAX];

	if (!d)
		return pvf_error_set(err, PVF_E_IO, "cannot read %s: %s", s->art_dir, strerror(errno));
	while ((de = readdir(d))) {
		name_kind nk = classify(de->d_name);
		struct stat st;

		if (nk == NAME_OTHER)
			continue;   /* never touch what pvfhost did not name */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", s->art_dir, de->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (nk == NAME_PARTIAL) {
			unlink(path);
			continue;
		}
		pvf_store_key k;
		if (memcmp(de->d_name + 82, s->tc_short, 16) != 0) {
			/* Another toolchain's name: delete only if the content is pvfhost's too. */
			if (!s->keep_foreign && header_check(path, &st, NULL, &k) == HDR_BAD)
				unlink(path);
			continue;
		}
		header_verdict v = header_check(path, &st, s->toolchain_id, &k);
		if (v == HDR_UNREADABLE || v == HDR_NOT_OURS)
			continue;
		char want[ART_NAME_LEN + 1];
		if (v == HDR_GOOD) {
			key_name(s, &k, want);
			if (!strcmp(want, de->d_name)) {
				if (upsert(s, &k, &st, st.st_atim, false) < 0) {
					closedir(d);
					return pvf_error_set(err, PVF_E_NOMEM, "out of memory indexing %s", s->art_dir);
				}
				continue;
			}
		}
		unlink(path);   /* our name and magic, but corrupt or for another key */
	}
	closedir(d);
	return 0;
}

/* Removes DIR/workers/<kind>-<pid>-<n> whose host process is gone. */
static void scan_workers(pvf_store *s)
{
	int dfd = open(s->workers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		pid_t pid;

		if (!parse_worker_name(de->d_name, &pid))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (kill(pid, 0) < 0 && errno == ESRCH)
			pvf_rm_tree_at(dirfd(d), de->d_name);
	}
	closedir(d);
}

int pvf_store_open(const pvf_store_opts *o, pvf_store **ret, pvf_error *err)
{
	pvf_store *s;
	uint8_t h[32];
	char real[PATH_MAX];

	*ret = NULL;
	if (!o || !o->dir || !o->dir[0] || !o->toolchain_id)
		return pvf_error_set(err, PVF_E_USAGE, "artifact cache: a directory and a toolchain id are required");
	if (mkdir_p(o->dir, err) < 0)
		return -1;
	if (!realpath(o->dir, real))
		return pvf_error_set(err, PVF_E_IO, "cannot resolve cache directory %s: %s", o->dir, strerror(errno));
	s = calloc(1, sizeof(*s));
	if (!s)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	s->keep_foreign = o->keep_foreign;
	s->toolchain_id = strdup(o->toolchain_id);
	if (!s->toolchain_id) {
		pvf_store_close(s);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	/* Room for "/artifacts/<name>.tmp-XXXXXX" and "/workers/<kind>-<pid>-<n>/<file>". */
	if (strlen(real) > PATH_MAX - 512 ||
	    (size_t)snprintf(s->dir, sizeof(s->dir), "%s", real) >= sizeof(s->dir) ||
	    (size_t)snprintf(s->art_dir, sizeof(s->art_dir), "%s/artifacts", real) >= sizeof(s->art_dir) ||
	    (size_t)snprintf(s->workers_dir, sizeof(s->workers_dir), "%s/workers", real) >= sizeof(s->workers_dir)) {
		pvf_store_close(s);
		return pvf_error_set(err, PVF_E_USAGE, "cache directory path %s is too long", real);
	}
	crypto_generichash(h, sizeof(h), (const uint8_t *)o->toolchain_id, strlen(o->toolchain_id), NULL, 0);
	hex(h, 8, s->tc_short);
	s->size_cap = o->size_cap ? o->size_cap : PVF_STORE_DEFAULT_CAP;
	s->stale_s = o->stale_s ? o->stale_s : PVF_STORE_DEFAULT_STALE_S;

	if ((mkdir(s->art_dir, 0700) < 0 && errno != EEXIST) || (mkdir(s->workers_dir, 0700) < 0 && errno != EEXIST)) {
		int e = errno;
		pvf_store_close(s);
		return pvf_error_set(err, PVF_E_IO, "cannot create the cache directories in %s: %s", real, strerror(e));
	}
	if (scan_artifacts(s, err) < 0) {
		pvf_store_close(s);
		return -1;
	}
	scan_workers(s);
	prune_locked(s, NULL, NULL, NULL);
	*ret = s;
	return 0;
}

void pvf_store_close(pvf_store *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s->e);
	free(s->toolchain_id);
	free(s);
}

int pvf_store_default_dir(char *out, size_t n)
{
	const char *x = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int k;

	if (x && x[0] == '/')
		k = snprintf(out, n, "%s/pvfhost", x);
	else if (home && home[0])
		k = snprintf(out, n, "%s/.cache/pvfhost", home);
	else
		return -1;
	return k > 0 && (size_t)k < n ? 0 : -1;
}
