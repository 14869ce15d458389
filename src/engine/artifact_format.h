/*
 * artifact_format.h — the on-disk artifact layout (internal).
 *
 *   offset  size  field
 *   0       8     magic "PVFHART\0"
 *   8       4     format version (PVF_ARTIFACT_FORMAT_VERSION)
 *   12      4     header size in bytes (everything before the payload)
 *   16      32    code hash (BLAKE2b-256 of the code as given)
 *   48      32    preparation-parameters hash
 *   80      4     logical stack limit compiled in (StackLogicalMax)
 *   84      4     memory page maximum
 *   88      4     largest native frame of the code, bytes
 *   92      4     reserved, zero
 *   96      8     native stack bytes the execution needs
 *   104     8     payload size
 *   112     32    payload checksum (BLAKE2b-256)
 *   144     4     toolchain id length N (at most PVF_ARTIFACT_MAX_TOOLCHAIN)
 *   148     N     toolchain id (UTF-8, not terminated)
 *   148+N   32    header checksum (BLAKE2b-256 of bytes 0 .. 148+N)
 *   180+N   ...   payload: the ELF shared object
 *
 * All integers little-endian.
 */
#ifndef PVF_ENGINE_ARTIFACT_FORMAT_H
#define PVF_ENGINE_ARTIFACT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/engine.h"

#define PVF_ARTIFACT_MAGIC "PVFHART"   /* + NUL = 8 bytes */
#define PVF_ARTIFACT_FORMAT_VERSION 1u
#define PVF_ARTIFACT_FIXED_HEADER 148u
#define PVF_ARTIFACT_MAX_TOOLCHAIN 4096u
#define PVF_ARTIFACT_MAX_PAYLOAD (1ull << 31)   /* 2 GiB */

/* Writes header + payload to `path` atomically (temporary file in the same
 * directory, fsync, rename). info->payload_size is taken from `len`. */
int pvf__artifact_write(const char *path, const pvf_artifact_info *info, const uint8_t *payload,
			size_t len, pvf_error *err);

/* Parses and verifies a whole artifact held in memory. On success fills
 * *info (toolchain_id allocated) and the payload's offset. */
int pvf__artifact_parse(const uint8_t *buf, size_t len, const pvf_artifact_expect *expect,
			pvf_artifact_info *info, size_t *ret_payload_off, pvf_error *err);

/* Reads a whole file (at most `max` bytes); a NUL follows the last byte. */
int pvf__read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len, pvf_error *err);
/* Creates or truncates `path` (mode 0644) and writes data[0..len) to it; a
 * partial file is removed. Not atomic: for files nobody else reads yet. */
int pvf__write_file(const char *path, const void *data, size_t len, pvf_error *err);

#endif
