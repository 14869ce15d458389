/*
 * code_ids.h — the hash that names a PVF's code (BLAKE2b-256 of the blob
 * as submitted), remembered for the code seen last, and shared read-only
 * copies of those blobs.
 *
 * Every validation names its artifact by this hash, and a runtime's blob is
 * 0.3-4 MB: hashing it anew costs about 2 ms per MB here. The memo keeps a
 * copy of each recent blob and answers a lookup by comparing bytes
 * (memcmp: a different blob usually differs within its first bytes, the
 * same one costs one pass over it). Only identical bytes get a remembered
 * hash; anything else is hashed. A job that may need its code later (to
 * prepare it) holds a reference to the memo's copy instead of a copy of its
 * own. Thread-safe; hashing runs outside its lock.
 */
#ifndef PVF_HOST_CODE_IDS_H
#define PVF_HOST_CODE_IDS_H

#include <stddef.h>
#include <stdint.h>

typedef struct pvf_code_ids pvf_code_ids;

/* An immutable copy of a blob, freed with its last reference. */
typedef struct pvf_code_ref pvf_code_ref;

/* Remembers up to `max_entries` blobs holding at most `max_bytes` in all
 * (a blob bigger than that is hashed each time). NULL: out of memory. */
pvf_code_ids *pvf_code_ids_new(uint32_t max_entries, size_t max_bytes);
/* References handed out stay valid. */
void pvf_code_ids_free(pvf_code_ids *c);

/* out = BLAKE2b-256(code). Returns 1 when the hash was remembered, 0 when
 * it was computed (and is remembered from now on when it fits). */
int pvf_code_ids_hash(pvf_code_ids *c, const uint8_t *code, size_t len, uint8_t out[32]);

/* As pvf_code_ids_hash, and *ref = a reference to a copy of the bytes: the
 * memo's own when it holds them, else a new one. -1 (and *ref NULL) only
 * when no copy could be made (out of memory); the hash is right anyway. */
int pvf_code_ids_share(pvf_code_ids *c, const uint8_t *code, size_t len, uint8_t out[32], pvf_code_ref **ref);

const uint8_t *pvf_code_ref_bytes(const pvf_code_ref *r);
size_t pvf_code_ref_len(const pvf_code_ref *r);
/* Drops one reference; NULL is ignored. */
void pvf_code_ref_drop(pvf_code_ref *r);

#endif
