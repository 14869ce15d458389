/*
 * chunk_cache.h — the content-addressed cache of compiled chunks
 * (internal to the engine; the public options and pruning are in engine.h).
 *
 * A chunk of a split module (split.h) is identified by a key: BLAKE2b-256
 * over the toolchain id (compiler, version, flags), the stack-limit flag, the
 * generated module header m.h and the chunk's C text. Everything the
 * compiler sees is in the key, so an object found under a key is the object
 * the compiler would produce now. The chunk's file name in the work
 * directory derives from the key too ("c" + 16 hex digits), so the object
 * bytes — which carry the source file name — are the same whether they
 * came from the cache or the compiler, and so is the artifact.
 *
 * An entry is one file <dir>/<64 hex digits of the key>.chunk:
 *   "PVFCHNK1"  u64 LE object length  u64 LE stack-usage length
 *   32 bytes BLAKE2b-256(key || object || stack usage)
 *   object bytes, stack-usage (.su) bytes
 * written to a temporary file and renamed into place, so readers see a
 * whole entry or none; an entry that fails its checksum is removed and
 * counts as a miss. A hit refreshes the entry's modification time, which
 * pruning uses as the last-use time.
 */
#ifndef PVF_ENGINE_CHUNK_CACHE_H
#define PVF_ENGINE_CHUNK_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define PVF_CHUNK_KEY_LEN 32u
/* "c" + 16 hex digits + NUL. */
#define PVF_CHUNK_NAME_LEN 18u
/* Largest object + stack usage an entry may hold. */
#define PVF_CHUNK_MAX_BYTES (256ull << 20)

/* The key of a chunk and its file name stem (without extension). */
void pvf__chunk_key(const char *toolchain_id, const char *depth_flag, const char *header, size_t header_len,
		    const char *text, size_t text_len, uint8_t key[PVF_CHUNK_KEY_LEN],
		    char name[PVF_CHUNK_NAME_LEN]);

/* Looks the key up in `cache_dir`; on a hit writes <work_dir>/<name>.o and
 * <name>.su and returns 1. Returns 0 on a miss (including an unreadable or
 * corrupt entry), -1 only when the work files cannot be written. */
int pvf__chunk_cache_fetch(const char *cache_dir, const uint8_t key[PVF_CHUNK_KEY_LEN], const char *work_dir,
			   const char *name, pvf_error *err);

/* Adds <work_dir>/<name>.o and .su under `key` (creating `cache_dir` if
 * needed). An existing entry is replaced. */
int pvf__chunk_cache_store(const char *cache_dir, const uint8_t key[PVF_CHUNK_KEY_LEN], const char *work_dir,
			   const char *name, pvf_error *err);

#endif
