/*
 * scale.h — SCALE (Simple Concatenated Aggregate Little-Endian) codec: one
 * bounds-checked reader for untrusted bytes and one growable writer.
 *
 * Decoding follows parity-scale-codec exactly (src/compact.rs, src/codec.rs):
 *   - fixed-width integers are little-endian;
 *   - compact integers have four modes selected by the low two bits of the
 *     first byte (0b00 single byte, 0b01 two bytes, 0b10 four bytes, 0b11
 *     "big integer": (first >> 2) + 4 little-endian bytes follow);
 *   - non-minimal ("out of range") compact encodings are rejected, exactly as
 *     parity-scale-codec's `Decode for Compact<u32>` / `Compact<u64>` do;
 *   - Vec<T> lengths are Compact<u32>;
 *   - Option<T> is a tag byte 0 (None) / 1 (Some) followed by T; any other tag
 *     is an error; bool is 0 / 1, anything else an error.
 *
 * Reader: views into the caller's buffer, never copies, never allocates. Every
 * read checks `pos + n` against the end before touching memory. A failed read
 * leaves the position unchanged and fills the `pvf_error` with the reader's
 * error code (PVF_E_MALFORMED unless the caller chose another one, e.g.
 * PVF_E_BAD_RESULT for PVF outputs) and the byte offset of the failure.
 *
 * Writer: a heap buffer that doubles as needed, capped at
 * PVF_SCALE_WRITER_MAX bytes. Ownership of the bytes passes to the caller with
 * pvf_scale_writer_take(). Or the caller's buffer, which never grows
 * (pvf_scale_writer_init_fixed): a write that does not fit fails.
 */
#ifndef PVF_COMMON_SCALE_H
#define PVF_COMMON_SCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Largest buffer a writer grows to (1 GiB): well above any PoV, code blob or
 * validation result, small enough that size arithmetic cannot overflow. */
#define PVF_SCALE_WRITER_MAX ((size_t)1 << 30)

/* Largest encoded size of a compact integer up to u64 (prefix + 8 bytes). */
#define PVF_SCALE_COMPACT_MAX_LEN 9

typedef struct pvf_scale_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
	pvf_error_code code; /* error code reported on failure */
	const char *what;    /* optional context for messages, e.g. "ValidationResult" */
} pvf_scale_reader;

void pvf_scale_reader_init(pvf_scale_reader *r, const void *data, size_t len,
			   pvf_error_code code, const char *what);
size_t pvf_scale_remaining(const pvf_scale_reader *r);

int pvf_scale_read_u8(pvf_scale_reader *r, uint8_t *ret, pvf_error *err);
int pvf_scale_read_u16(pvf_scale_reader *r, uint16_t *ret, pvf_error *err);
int pvf_scale_read_u32(pvf_scale_reader *r, uint32_t *ret, pvf_error *err);
int pvf_scale_read_u64(pvf_scale_reader *r, uint64_t *ret, pvf_error *err);
int pvf_scale_read_bool(pvf_scale_reader *r, bool *ret, pvf_error *err);
/* Option tag: *ret_some = false for 0x00, true for 0x01; other bytes fail. */
int pvf_scale_read_option(pvf_scale_reader *r, bool *ret_some, pvf_error *err);
/* Compact<u32> / Compact<u64> with parity-scale-codec's range checks. */
int pvf_scale_read_compact_u32(pvf_scale_reader *r, uint32_t *ret, pvf_error *err);
int pvf_scale_read_compact_u64(pvf_scale_reader *r, uint64_t *ret, pvf_error *err);
/* `n` raw bytes as a view into the input. */
int pvf_scale_read_bytes(pvf_scale_reader *r, size_t n, const uint8_t **ret, pvf_error *err);
/* Vec<u8>: Compact<u32> length, checked against the remaining input, then a
 * view of the bytes. */
int pvf_scale_read_vec_u8(pvf_scale_reader *r, const uint8_t **ret_data, size_t *ret_len,
			  pvf_error *err);
/* A Vec<T> length prefix: Compact<u32>, at most `max_count` and at most
 * remaining / `min_item_size` (so a caller can size an array from it). */
int pvf_scale_read_vec_len(pvf_scale_reader *r, size_t min_item_size, size_t max_count,
			   size_t *ret, pvf_error *err);
/* Fails unless every byte was consumed. */
int pvf_scale_expect_end(const pvf_scale_reader *r, pvf_error *err);

typedef struct pvf_scale_writer {
	uint8_t *buf;
	size_t len;
	size_t cap;
	bool fixed;         /* buf is the caller's: never grown nor freed */
} pvf_scale_writer;

void pvf_scale_writer_init(pvf_scale_writer *w);
/* Writes into buf (cap bytes); a write past cap fails with PVF_E_NOMEM and
 * leaves the bytes written so far. */
void pvf_scale_writer_init_fixed(pvf_scale_writer *w, uint8_t *buf, size_t cap);
void pvf_scale_writer_free(pvf_scale_writer *w);
/* Hands the buffer to the caller (NULL if nothing was written; a fixed
 * writer's own buffer) and resets the writer. */
uint8_t *pvf_scale_writer_take(pvf_scale_writer *w, size_t *ret_len);

int pvf_scale_write_raw(pvf_scale_writer *w, const void *data, size_t n, pvf_error *err);
int pvf_scale_write_u8(pvf_scale_writer *w, uint8_t v, pvf_error *err);
int pvf_scale_write_u16(pvf_scale_writer *w, uint16_t v, pvf_error *err);
int pvf_scale_write_u32(pvf_scale_writer *w, uint32_t v, pvf_error *err);
int pvf_scale_write_u64(pvf_scale_writer *w, uint64_t v, pvf_error *err);
int pvf_scale_write_bool(pvf_scale_writer *w, bool v, pvf_error *err);
int pvf_scale_write_compact(pvf_scale_writer *w, uint64_t v, pvf_error *err);
/* Vec<u8>: compact length (must fit u32) + bytes. */
int pvf_scale_write_vec_u8(pvf_scale_writer *w, const void *data, size_t n, pvf_error *err);

/* Encodes `v` as a compact integer into `out` (at least
 * PVF_SCALE_COMPACT_MAX_LEN bytes); returns the number of bytes written. */
size_t pvf_scale_compact_encode(uint64_t v, uint8_t out[PVF_SCALE_COMPACT_MAX_LEN]);
size_t pvf_scale_compact_len(uint64_t v);

#endif
