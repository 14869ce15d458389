/*
 * scale.c — the SCALE reader and writer (see scale.h for the format rules).
 *
 * Divisions:
 *   1. reader primitives: take() is the single place that checks bounds;
 *      every other read goes through it.
 *   2. compact integers: decode with parity-scale-codec's "out of range"
 *      checks (a value must use the shortest mode that can hold it), encode
 *      minimally.
 *   3. writer: reserve() is the single place that grows the buffer; it checks
 *      `len + n` for overflow and against PVF_SCALE_WRITER_MAX.
 *
 * Invariants: reader pos <= len at all times; a failed read does not move
 * pos; writer len <= cap <= PVF_SCALE_WRITER_MAX.
 */
#include "common/scale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. reader ---------------------------------------------------------- */

void pvf_scale_reader_init(pvf_scale_reader *r, const void *data, size_t len,
			   pvf_error_code code, const char *what)
{
	r->data = data;
	r->len = data ? len : 0;
	r->pos = 0;
	r->code = code == PVF_OK ? PVF_E_MALFORMED : code;
	r->what = what ? what : "SCALE input";
}

size_t pvf_scale_remaining(const pvf_scale_reader *r)
{
	return r->len - r->pos;
}

static int fail_at(const pvf_scale_reader *r, size_t at, pvf_error *err, const char *why)
{
	return pvf_error_set(err, r->code, "%s: %s at offset %zu (of %zu bytes)", r->what, why, at,
			     r->len);
}

/* The one bounds check: returns a pointer to `n` bytes and advances, or NULL. */
static const uint8_t *take(pvf_scale_reader *r, size_t n)
{
	static const uint8_t empty[1];

	if (n > r->len - r->pos)
		return NULL;
	if (!r->data) /* len == 0: only n == 0 gets here; avoid NULL + 0 */
		return empty;
	const uint8_t *p = r->data + r->pos;
	r->pos += n;
	return p;
}

static int take_or_fail(pvf_scale_reader *r, size_t n, const uint8_t **ret, pvf_error *err,
			const char *what)
{
	const uint8_t *p = take(r, n);

	if (!p) {
		char why[160];
		snprintf(why, sizeof(why), "unexpected end of input reading %s (%zu bytes needed, %zu left)",
			 what, n, pvf_scale_remaining(r));
		return fail_at(r, r->pos, err, why);
	}
	*ret = p;
	return 0;
}

static uint64_t le_load(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int pvf_scale_read_u8(pvf_scale_reader *r, uint8_t *ret, pvf_error *err)
{
	const uint8_t *p = NULL;

	if (take_or_fail(r, 1, &p, err, "u8") < 0)
		return -1;
	*ret = p[0];
	return 0;
}

int pvf_scale_read_u16(pvf_scale_reader *r, uint16_t *ret, pvf_error *err)
{
	const uint8_t *p = NULL;

	if (take_or_fail(r, 2, &p, err, "u16") < 0)
		return -1;
	*ret = (uint16_t)le_load(p, 2);
	return 0;
}

int pvf_scale_read_u32(pvf_scale_reader *r, uint32_t *ret, pvf_error *err)
{
	const uint8_t *p = NULL;

	if (take_or_fail(r, 4, &p, err, "u32") < 0)
		return -1;
	*ret = (uint32_t)le_load(p, 4);
	return 0;
}

int pvf_scale_read_u64(pvf_scale_reader *r, uint64_t *ret, pvf_error *err)
{
	const uint8_t *p = NULL;

	if (take_or_fail(r, 8, &p, err, "u64") < 0)
		return -1;
	*ret = le_load(p, 8);
	return 0;
}

int pvf_scale_read_bool(pvf_scale_reader *r, bool *ret, pvf_error *err)
{
	size_t at = r->pos;
	uint8_t b;

	if (pvf_scale_read_u8(r, &b, err) < 0)
		return -1;
	if (b > 1) {
		r->pos = at;
		return fail_at(r, at, err, "invalid boolean representation");
	}
	*ret = b == 1;
	return 0;
}

int pvf_scale_read_option(pvf_scale_reader *r, bool *ret_some, pvf_error *err)
{
	size_t at = r->pos;
	uint8_t b;

	if (pvf_scale_read_u8(r, &b, err) < 0)
		return -1;
	if (b > 1) {
		r->pos = at;
		return fail_at(r, at, err, "unexpected first byte decoding Option");
	}
	*ret_some = b == 1;
	return 0;
}

int pvf_scale_read_bytes(pvf_scale_reader *r, size_t n, const uint8_t **ret, pvf_error *err)
{
	return take_or_fail(r, n, ret, err, "bytes");
}

/* ---- 2. compact integers ------------------------------------------------ */

/*
 * Decodes a compact integer of up to 64 bits. `max_big_bytes` is 4 for
 * Compact<u32> (only the 0b11 prefix with 4 bytes is allowed) and 8 for
 * Compact<u64>. The range checks are parity-scale-codec's:
 *   0b01: 64 <= v <= 2^14 - 1;  0b10: 2^14 <= v <= 2^30 - 1;
 *   0b11 with n bytes: v >= 2^(8(n-1)) (n = 4: v >= 2^30).
 */
static int read_compact(pvf_scale_reader *r, unsigned max_big_bytes, uint64_t *ret,
			pvf_error *err)
{
	size_t at = r->pos;
	const uint8_t *p = NULL;
	uint64_t v;

	if (take_or_fail(r, 1, &p, err, "compact prefix") < 0)
		return -1;
	switch (p[0] & 3) {
	case 0:
		*ret = p[0] >> 2;
		return 0;
	case 1:
		r->pos = at;
		if (take_or_fail(r, 2, &p, err, "2-byte compact") < 0)
			return -1;
		v = le_load(p, 2) >> 2;
		if (v < 0x40)
			break;
		*ret = v;
		return 0;
	case 2:
		r->pos = at;
		if (take_or_fail(r, 4, &p, err, "4-byte compact") < 0)
			return -1;
		v = le_load(p, 4) >> 2;
		if (v < 0x4000)
			break;
		*ret = v;
		return 0;
	default: {
		unsigned n = (unsigned)(p[0] >> 2) + 4;
		if (n > max_big_bytes) {
			r->pos = at;
			return fail_at(r, at, err,
				       max_big_bytes == 4 ? "out of range decoding Compact<u32>"
							  : "unexpected prefix decoding Compact<u64>");
		}
		if (take_or_fail(r, n, &p, err, "big-integer compact") < 0) {
			r->pos = at;
			return -1;
		}
		v = le_load(p, n);
		/* n == 4: must not fit the 4-byte mode (v >= 2^30). */
		if (n == 4 ? v < ((uint64_t)1 << 30) : v < ((uint64_t)1 << (8 * (n - 1))))
			break;
		*ret = v;
		return 0;
	}
	}
	r->pos = at;
	return fail_at(r, at, err,
		       max_big_bytes == 4 ? "out of range decoding Compact<u32> (non-canonical)"
					  : "out of range decoding Compact<u64> (non-canonical)");
}

int pvf_scale_read_compact_u32(pvf_scale_reader *r, uint32_t *ret, pvf_error *err)
{
	uint64_t v;

	if (read_compact(r, 4, &v, err) < 0)
		return -1;
	*ret = (uint32_t)v;
	return 0;
}

int pvf_scale_read_compact_u64(pvf_scale_reader *r, uint64_t *ret, pvf_error *err)
{
	return read_compact(r, 8, ret, err);
}

int pvf_scale_read_vec_len(pvf_scale_reader *r, size_t min_item_size, size_t max_count,
			   size_t *ret, pvf_error *err)
{
	size_t at = r->pos;
	uint32_t n = 0;
	char why[128];

	if (pvf_scale_read_compact_u32(r, &n, err) < 0)
		return -1;
	if (n > max_count) {
		r->pos = at;
		snprintf(why, sizeof(why), "vector length %u exceeds the limit of %zu", n, max_count);
		return fail_at(r, at, err, why);
	}
	if (min_item_size > 0 && n > pvf_scale_remaining(r) / min_item_size) {
		size_t left = pvf_scale_remaining(r);
		r->pos = at;
		snprintf(why, sizeof(why), "vector length %u exceeds the %zu bytes left", n, left);
		return fail_at(r, at, err, why);
	}
	*ret = n;
	return 0;
}

int pvf_scale_read_vec_u8(pvf_scale_reader *r, const uint8_t **ret_data, size_t *ret_len,
			  pvf_error *err)
{
	size_t at = r->pos;
	size_t n = 0;
	const uint8_t *p = NULL;

	if (pvf_scale_read_vec_len(r, 1, SIZE_MAX, &n, err) < 0)
		return -1;
	if (take_or_fail(r, n, &p, err, "Vec<u8> body") < 0) {
		r->pos = at;
		return -1;
	}
	*ret_data = p;
	*ret_len = n;
	return 0;
}

int pvf_scale_expect_end(const pvf_scale_reader *r, pvf_error *err)
{
	char why[64];

	if (r->pos == r->len)
		return 0;
	snprintf(why, sizeof(why), "%zu trailing bytes", r->len - r->pos);
	return fail_at(r, r->pos, err, why);
}

size_t pvf_scale_compact_encode(uint64_t v, uint8_t out[PVF_SCALE_COMPACT_MAX_LEN])
{
	if (v < 0x40) {
		out[0] = (uint8_t)(v << 2);
		return 1;
	}
	if (v < 0x4000) {
		uint16_t x = (uint16_t)((v << 2) | 1);
		out[0] = (uint8_t)x;
		out[1] = (uint8_t)(x >> 8);
		return 2;
	}
	if (v < 0x40000000) {
		uint32_t x = (uint32_t)((v << 2) | 2);
		for (int i = 0; i < 4; i++)
			out[i] = (uint8_t)(x >> (8 * i));
		return 4;
	}
	/* Big-integer mode: as many bytes as the value needs, at least 4. */
	size_t n = 8 - (size_t)__builtin_clzll(v) / 8;
	if (n < 4)
		n = 4;
	out[0] = (uint8_t)(3 | ((n - 4) << 2));
	for (size_t i = 0; i < n; i++)
		out[1 + i] = (uint8_t)(v >> (8 * i));
	return n + 1;
}

size_t pvf_scale_compact_len(uint64_t v)
{
	uint8_t tmp[PVF_SCALE_COMPACT_MAX_LEN];

	return pvf_scale_compact_encode(v, tmp);
}

/* ---- 3. writer ---------------------------------------------------------- */

void pvf_scale_writer_init(pvf_scale_writer *w)
{
	w->buf = NULL;
	w->len = 0;
	w->cap = 0;
	w->fixed = false;
}

void pvf_scale_writer_init_fixed(pvf_scale_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->len = 0;
	w->cap = buf ? cap : 0;
	w->fixed = true;
}

void pvf_scale_writer_free(pvf_scale_writer *w)
{
	if (!w->fixed)
		free(w->buf);
	pvf_scale_writer_init(w);
}

uint8_t *pvf_scale_writer_take(pvf_scale_writer *w, size_t *ret_len)
{
	uint8_t *b = w->buf;

	if (ret_len)
		*ret_len = w->len;
	pvf_scale_writer_init(w);
	return b;
}

/* The one place that grows the buffer. */
static int reserve(pvf_scale_writer *w, size_t n, pvf_error *err)
{
	size_t need;

	if (__builtin_add_overflow(w->len, n, &need) || need > PVF_SCALE_WRITER_MAX)
		return pvf_error_set(err, PVF_E_NOMEM,
				     "SCALE output would exceed %zu bytes", PVF_SCALE_WRITER_MAX);
	if (need <= w->cap)
		return 0;
	if (w->fixed)
		return pvf_error_set(err, PVF_E_NOMEM, "SCALE output exceeds its %zu-byte buffer", w->cap);
	size_t cap = w->cap ? w->cap : 64;
	while (cap < need)
		cap = cap > PVF_SCALE_WRITER_MAX / 2 ? PVF_SCALE_WRITER_MAX : cap * 2;
	uint8_t *b = realloc(w->buf, cap);
	if (!b)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory growing SCALE output to %zu bytes",
				     cap);
	w->buf = b;
	w->cap = cap;
	return 0;
}

int pvf_scale_write_raw(pvf_scale_writer *w, const void *data, size_t n, pvf_error *err)
{
	if (n == 0)
		return 0;
	if (reserve(w, n, err) < 0)
		return -1;
	memcpy(w->buf + w->len, data, n);
	w->len += n;
	return 0;
}

static int write_le(pvf_scale_writer *w, uint64_t v, size_t n, pvf_error *err)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return pvf_scale_write_raw(w, b, n, err);
}

int pvf_scale_write_u8(pvf_scale_writer *w, uint8_t v, pvf_error *err)
{
	return write_le(w, v, 1, err);
}

int pvf_scale_write_u16(pvf_scale_writer *w, uint16_t v, pvf_error *err)
{
	return write_le(w, v, 2, err);
}

int pvf_scale_write_u32(pvf_scale_writer *w, uint32_t v, pvf_error *err)
{
	return write_le(w, v, 4, err);
}

int pvf_scale_write_u64(pvf_scale_writer *w, uint64_t v, pvf_error *err)
{
	return write_le(w, v, 8, err);
}

int pvf_scale_write_bool(pvf_scale_writer *w, bool v, pvf_error *err)
{
	return write_le(w, v ? 1 : 0, 1, err);
}

int pvf_scale_write_compact(pvf_scale_writer *w, uint64_t v, pvf_error *err)
{
	uint8_t b[PVF_SCALE_COMPACT_MAX_LEN];
	size_t n = pvf_scale_compact_encode(v, b);

	return pvf_scale_write_raw(w, b, n, err);
}

int pvf_scale_write_vec_u8(pvf_scale_writer *w, const void *data, size_t n, pvf_error *err)
{
	if (n > UINT32_MAX)
		return pvf_error_set(err, PVF_E_USAGE, "Vec<u8> of %zu bytes: length does not fit u32",
				     n);
	if (pvf_scale_write_compact(w, n, err) < 0)
		return -1;
	return pvf_scale_write_raw(w, data, n, err);
}
