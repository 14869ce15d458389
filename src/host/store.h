/*
 * store.h — the on-disk artifact cache (docs/cache.md): where artifacts
 * live, which are known good, when they were last used, pruning, and the
 * private directories of workers. Thread-safe (one internal mutex).
 *
 * Layout under the cache root DIR:
 *   DIR/artifacts/<code hash, 64 hex>-<params hash, 16 hex>-<toolchain, 16 hex>.pvfa
 *   DIR/workers/<kind>-<host pid>-<n>/
 * Only names of these shapes are ever deleted.
 */
#ifndef PVF_HOST_STORE_H
#define PVF_HOST_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "pvfhost.h"

typedef struct pvf_store pvf_store;

typedef struct pvf_store_key {
	uint8_t code_hash[32];
	uint8_t params_hash[32];
} pvf_store_key;

typedef struct pvf_store_opts {
	const char *dir;           /* cache root (created 0700 if missing, parents too) */
	const char *toolchain_id;  /* from pvf_engine_toolchain_id() */
	uint64_t size_cap;         /* bytes; 0: 10 GiB */
	uint64_t stale_s;          /* 0: 24 h */
	bool keep_foreign;         /* leave other toolchains' artifacts alone (inspection only) */
} pvf_store_opts;

#define PVF_STORE_DEFAULT_CAP (10ull << 30)
#define PVF_STORE_DEFAULT_STALE_S (24ull * 3600ull)

/* Opens the cache: creates the directories, indexes the valid artifacts of
 * this toolchain (stat + header check; the payload checksum is verified on
 * first lookup), deletes partial files, corrupt artifacts of this toolchain
 * and artifacts pvfhost made with another toolchain, removes the worker
 * directories of dead hosts, and prunes if the index is over the cap. */
/* The default cache root: $XDG_CACHE_HOME/pvfhost (when absolute, as the
 * XDG spec requires), else $HOME/.cache/pvfhost. 0, or -1 when neither is
 * set or the path does not fit. */
int pvf_store_default_dir(char *out, size_t n);

int pvf_store_open(const pvf_store_opts *o, pvf_store **ret, pvf_error *err);
void pvf_store_close(pvf_store *s);
const char *pvf_store_dir(const pvf_store *s);

/* Changes the size cap and stale time (0: defaults) for later pruning. */
void pvf_store_set_limits(pvf_store *s, uint64_t size_cap, uint64_t stale_s);

/* Where the artifact of `k` lives (whether or not it exists). */
void pvf_store_path(const pvf_store *s, const pvf_store_key *k, char *buf, size_t n);

/* 1: present and good (last use updated); 0: absent. Cheap when the file is
 * unchanged since it was last fully verified (stat: dev, ino, size, mtime);
 * when it changed, is new to the index, or was only header-checked at open,
 * fully verified (pvf_artifact_verify with toolchain, code and params hash
 * expected); a missing, truncated or corrupt one is dropped (unlinked if
 * present) and 0 returned. */
int pvf_store_lookup(pvf_store *s, const pvf_store_key *k);

/* The host renamed a verified artifact to pvf_store_path(k): index it, set
 * last use, prune over the cap (never the artifact just added). */
int pvf_store_add(pvf_store *s, const pvf_store_key *k, pvf_error *err);

/* Drops (and unlinks) an artifact found bad. */
void pvf_store_remove(pvf_store *s, const pvf_store_key *k);

/* LRU pruning: oldest last use first while the total is over the size cap,
 * never one used within stale_s. `removed`, `removed_bytes` may be NULL. */
int pvf_store_prune(pvf_store *s, size_t *removed, uint64_t *removed_bytes, pvf_error *err);

/* Lists the indexed artifacts, most recently used first. With `verify`,
 * every payload checksum is checked and bad artifacts are removed and
 * reported with valid = false; without, valid means the header check
 * passed. *ret is malloc'd (NULL when *n is 0). */
int pvf_store_list(pvf_store *s, bool verify, pvfhost_cache_entry **ret, size_t *n, pvf_error *err);

uint64_t pvf_store_bytes(pvf_store *s);
size_t pvf_store_count(pvf_store *s);
uint64_t pvf_store_evictions(pvf_store *s);

/* A fresh private directory for one worker, DIR/workers/<kind>-<pid>-<n>,
 * 0700 (kind: lowercase letters). Under the cache root, so a worker's
 * output and the artifact path are on one filesystem (rename, link). */
int pvf_store_worker_dir(pvf_store *s, const char *kind, char *buf, size_t n, pvf_error *err);

/* Removes a worker directory created above and everything in it (symbolic
 * links are removed, never followed). Paths of any other shape are ignored. */
void pvf_store_worker_dir_remove(pvf_store *s, const char *path);

#endif
