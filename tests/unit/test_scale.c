/* test_scale.c — the SCALE reader/writer against published vectors.
 *
 * Sources of expected values:
 *   [PSC]  paritytech/parity-scale-codec src/compact.rs tests
 *          `compact_integers_encoded_as_expected`, `compact_*_encoding_works`,
 *          `should_avoid_overlapping_definition` (check_bound, check_bound_u32,
 *          check_bound_high).
 *   [DOCS] docs.substrate.io "SCALE codec" reference page (now
 *          docs.polkadot.com "Data Encoding"): fixed-width, compact, bool,
 *          Vec examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/scale.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		unsigned v;
		assert_true(sscanf(s, "%2x", &v) == 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* [PSC] compact_integers_encoded_as_expected: (value, hex). */
static const struct {
	uint64_t v;
	const char *hex;
} compact_vectors[] = {
	{ 0, "00" },
	{ 63, "fc" },
	{ 64, "01 01" },
	{ 16383, "fd ff" },
	{ 16384, "02 00 01 00" },
	{ 1073741823, "fe ff ff ff" },
	{ 1073741824, "03 00 00 00 40" },
	{ (1ull << 32) - 1, "03 ff ff ff ff" },
	{ 1ull << 32, "07 00 00 00 00 01" },
	{ 1ull << 40, "0b 00 00 00 00 00 01" },
	{ 1ull << 48, "0f 00 00 00 00 00 00 01" },
	{ (1ull << 56) - 1, "0f ff ff ff ff ff ff ff" },
	{ 1ull << 56, "13 00 00 00 00 00 00 00 01" },
	{ UINT64_MAX, "13 ff ff ff ff ff ff ff ff" },
	/* [DOCS] compact examples */
	{ 1, "04" },
	{ 42, "a8" },
	{ 69, "15 01" },
	{ 65535, "fe ff 03 00" },
	{ 100000000000000ull, "0b 00 40 7a 10 f3 5a" },
};

static void test_compact_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(compact_vectors) / sizeof(compact_vectors[0]); i++) {
		uint8_t want[16], got[PVF_SCALE_COMPACT_MAX_LEN];
		size_t wn = unhex(compact_vectors[i].hex, want, sizeof(want));
		size_t gn = pvf_scale_compact_encode(compact_vectors[i].v, got);
		assert_int_equal(gn, wn);
		assert_memory_equal(got, want, wn);
		assert_int_equal(pvf_scale_compact_len(compact_vectors[i].v), wn);

		pvf_scale_reader r;
		uint64_t v64;
		pvf_error e;
		pvf_scale_reader_init(&r, want, wn, PVF_OK, NULL);
		assert_int_equal(pvf_scale_read_compact_u64(&r, &v64, &e), 0);
		assert_true(v64 == compact_vectors[i].v);
		assert_int_equal(pvf_scale_expect_end(&r, &e), 0);

		/* Compact<u32> decodes the same bytes iff the value fits u32 [PSC]. */
		uint32_t v32;
		pvf_scale_reader_init(&r, want, wn, PVF_OK, NULL);
		int rc = pvf_scale_read_compact_u32(&r, &v32, &e);
		if (compact_vectors[i].v <= UINT32_MAX) {
			assert_int_equal(rc, 0);
			assert_true(v32 == compact_vectors[i].v);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(e.code, PVF_E_MALFORMED);
			assert_int_equal(r.pos, 0);
		}

		pvf_scale_writer w;
		pvf_scale_writer_init(&w);
		assert_int_equal(pvf_scale_write_compact(&w, compact_vectors[i].v, &e), 0);
		assert_int_equal(w.len, wn);
		assert_memory_equal(w.buf, want, wn);
		pvf_scale_writer_free(&w);
	}
}

/* Non-canonical encodings [PSC should_avoid_overlapping_definition]. */
static void test_compact_noncanonical(void **state)
{
	static const char *bad_u32_and_u64[] = {
		"fd 00",          /* check_bound(0b01, u8): 63 in the 2-byte mode */
		"fe ff 00 00",    /* check_bound(0b10, u16): 16383 in the 4-byte mode */
		"03 ff ff ff 3f", /* check_bound_u32: 2^30 - 1 in big-integer mode */
	};
	/* check_bound_high(i) for i in 5..=8: prefix, i-1 bytes 0xff, then 0. */
	static const char *bad_u64[] = {
		"07 ff ff ff ff 00",
		"0b ff ff ff ff ff 00",
		"0f ff ff ff ff ff ff 00",
		"13 ff ff ff ff ff ff ff 00",
	};
	uint8_t b[16];
	pvf_scale_reader r;
	pvf_error e;
	uint64_t v64;
	uint32_t v32;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		size_t n = unhex(bad_u32_and_u64[i], b, sizeof(b));
		pvf_scale_reader_init(&r, b, n, PVF_E_BAD_RESULT, "t");
		assert_int_equal(pvf_scale_read_compact_u64(&r, &v64, &e), -1);
		assert_int_equal(e.code, PVF_E_BAD_RESULT);
		assert_non_null(strstr(e.msg, "out of range"));
		assert_int_equal(r.pos, 0);
		pvf_scale_reader_init(&r, b, n, PVF_OK, NULL);
		assert_int_equal(pvf_scale_read_compact_u32(&r, &v32, &e), -1);
	}
	for (size_t i = 0; i < 4; i++) {
		size_t n = unhex(bad_u64[i], b, sizeof(b));
		pvf_scale_reader_init(&r, b, n, PVF_OK, NULL);
		assert_int_equal(pvf_scale_read_compact_u64(&r, &v64, &e), -1);
	}
	/* Prefix asking for more than 8 bytes: "unexpected prefix decoding
	 * Compact<u64>" [PSC Decode for Compact<u64>]. */
	{
		size_t n = unhex("17 00 00 00 00 00 00 00 00 01", b, sizeof(b));
		pvf_scale_reader_init(&r, b, n, PVF_OK, NULL);
		assert_int_equal(pvf_scale_read_compact_u64(&r, &v64, &e), -1);
		assert_non_null(strstr(e.msg, "unexpected prefix"));
	}
}

static void test_truncated_compact(void **state)
{
	uint8_t b[16];
	pvf_scale_reader r;
	pvf_error e;
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(compact_vectors) / sizeof(compact_vectors[0]); i++) {
		size_t n = unhex(compact_vectors[i].hex, b, sizeof(b));
		for (size_t cut = 0; cut < n; cut++) {
			pvf_scale_reader_init(&r, b, cut, PVF_OK, NULL);
			assert_int_equal(pvf_scale_read_compact_u64(&r, &v, &e), -1);
			assert_int_equal(r.pos, 0);
			assert_non_null(strstr(e.msg, "unexpected end"));
		}
	}
}

/* [DOCS] fixed-width integers, bool, Option, Vec<u8>. */
static void test_fixed_and_simple(void **state)
{
	uint8_t b[64];
	size_t n = unhex("2a 00 ff ff ff 00 45 00 00 00 00 00 00 00 01 00 01 01 00", b, sizeof(b));
	pvf_scale_reader r;
	pvf_error e;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	bool t, f, some, none;

	(void)state;
	pvf_scale_reader_init(&r, b, n, PVF_OK, NULL);
	assert_int_equal(pvf_scale_read_u16(&r, &u16, &e), 0);
	assert_int_equal(u16, 42); /* [DOCS] u16 42 -> 0x2a00 */
	assert_int_equal(pvf_scale_read_u32(&r, &u32, &e), 0);
	assert_int_equal(u32, 16777215); /* [DOCS] u32 16777215 -> 0xffffff00 */
	assert_int_equal(pvf_scale_read_u64(&r, &u64, &e), 0);
	assert_true(u64 == 69);
	assert_int_equal(pvf_scale_read_bool(&r, &t, &e), 0);
	assert_int_equal(pvf_scale_read_bool(&r, &f, &e), 0);
	assert_true(t && !f);
	assert_int_equal(pvf_scale_read_option(&r, &some, &e), 0);
	assert_true(some);
	assert_int_equal(pvf_scale_read_bool(&r, &t, &e), 0); /* Some(true) = 01 01 [DOCS] */
	assert_true(t);
	assert_int_equal(pvf_scale_read_option(&r, &none, &e), 0);
	assert_false(none);
	assert_int_equal(pvf_scale_expect_end(&r, &e), 0);

	/* bool 2 and Option tag 2 are errors. */
	uint8_t two = 2;
	pvf_scale_reader_init(&r, &two, 1, PVF_OK, NULL);
	assert_int_equal(pvf_scale_read_bool(&r, &t, &e), -1);
	assert_int_equal(r.pos, 0);
	assert_int_equal(pvf_scale_read_option(&r, &some, &e), -1);
	assert_int_equal(r.pos, 0);

	/* Vec<u8> "abc" [DOCS: String/Vec = compact length + bytes]. */
	const uint8_t vec[] = { 0x0c, 'a', 'b', 'c' };
	const uint8_t *d;
	size_t dl;
	pvf_scale_reader_init(&r, vec, sizeof(vec), PVF_OK, NULL);
	assert_int_equal(pvf_scale_read_vec_u8(&r, &d, &dl, &e), 0);
	assert_int_equal(dl, 3);
	assert_memory_equal(d, "abc", 3);
	/* Length beyond the input: fails before touching the bytes. */
	pvf_scale_reader_init(&r, vec, 3, PVF_OK, NULL);
	assert_int_equal(pvf_scale_read_vec_u8(&r, &d, &dl, &e), -1);
	assert_int_equal(r.pos, 0);
	/* A 2^30-byte length claim in 5 bytes of input. */
	const uint8_t huge[] = { 0x03, 0x00, 0x00, 0x00, 0x40 };
	pvf_scale_reader_init(&r, huge, sizeof(huge), PVF_OK, NULL);
	assert_int_equal(pvf_scale_read_vec_u8(&r, &d, &dl, &e), -1);
	assert_non_null(strstr(e.msg, "exceeds"));

	/* vec_len: bounded count and min item size. */
	const uint8_t cnt[] = { 0x10, 1, 2, 3 }; /* 4 items, 3 bytes left */
	size_t c;
	pvf_scale_reader_init(&r, cnt, sizeof(cnt), PVF_OK, NULL);
	assert_int_equal(pvf_scale_read_vec_len(&r, 1, 3, &c, &e), -1);
	assert_int_equal(pvf_scale_read_vec_len(&r, 1, 100, &c, &e), -1);
	pvf_scale_reader_init(&r, cnt, 1, PVF_OK, NULL);
	assert_int_equal(pvf_scale_read_vec_len(&r, 0, 100, &c, &e), 0);
	assert_int_equal(c, 4);
	/* Trailing bytes are reported. */
	pvf_scale_reader_init(&r, cnt, sizeof(cnt), PVF_OK, NULL);
	assert_int_equal(pvf_scale_expect_end(&r, &e), -1);
	assert_non_null(strstr(e.msg, "4 trailing bytes"));
}

/* [DOCS] Vec<u16> [4, 8, 15, 16, 23, 42] -> 18 0400 0800 0f00 1000 1700 2a00 */
static void test_writer(void **state)
{
	uint8_t want[32];
	size_t wn = unhex("18 04 00 08 00 0f 00 10 00 17 00 2a 00", want, sizeof(want));
	static const uint16_t items[] = { 4, 8, 15, 16, 23, 42 };
	pvf_scale_writer w;
	pvf_error e;

	(void)state;
	pvf_scale_writer_init(&w);
	assert_int_equal(pvf_scale_write_compact(&w, 6, &e), 0);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(pvf_scale_write_u16(&w, items[i], &e), 0);
	size_t len;
	uint8_t *buf = pvf_scale_writer_take(&w, &len);
	assert_int_equal(len, wn);
	assert_memory_equal(buf, want, wn);
	free(buf);
	assert_null(w.buf);

	/* u32 / u64 / bool / Vec<u8> [DOCS]. */
	pvf_scale_writer_init(&w);
	assert_int_equal(pvf_scale_write_u32(&w, 16777215, &e), 0);
	assert_int_equal(pvf_scale_write_u64(&w, 1, &e), 0);
	assert_int_equal(pvf_scale_write_bool(&w, true, &e), 0);
	assert_int_equal(pvf_scale_write_u8(&w, 0x45, &e), 0);
	assert_int_equal(pvf_scale_write_vec_u8(&w, "abc", 3, &e), 0);
	wn = unhex("ff ff ff 00 01 00 00 00 00 00 00 00 01 45 0c 61 62 63", want, sizeof(want));
	assert_int_equal(w.len, wn);
	assert_memory_equal(w.buf, want, wn);
	/* Growth across many writes stays consistent. */
	for (int i = 0; i < 10000; i++)
		assert_int_equal(pvf_scale_write_u8(&w, (uint8_t)i, &e), 0);
	assert_int_equal(w.len, wn + 10000);
	assert_int_equal(w.buf[wn + 9999], (uint8_t)9999);
	/* Refuses to grow past the cap without touching the buffer. */
	assert_int_equal(pvf_scale_write_raw(&w, "x", PVF_SCALE_WRITER_MAX, &e), -1);
	assert_int_equal(e.code, PVF_E_NOMEM);
	assert_int_equal(w.len, wn + 10000);
	pvf_scale_writer_free(&w);
}

/* A fixed writer fills the caller's buffer and never grows it. */
static void test_fixed_writer(void **state)
{
	uint8_t buf[8], want[8];
	size_t wn = unhex("0c 61 62 63 2a 00 00", want, sizeof(want)), len;
	pvf_scale_writer w;
	pvf_error e;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	pvf_scale_writer_init_fixed(&w, buf, 7);
	assert_int_equal(pvf_scale_write_vec_u8(&w, "abc", 3, &e), 0);
	assert_int_equal(pvf_scale_write_u16(&w, 42, &e), 0);
	assert_int_equal(w.len, 6);
	/* 4 more bytes do not fit in 7: refused, nothing written past the cap */
	assert_int_equal(pvf_scale_write_u32(&w, 1, &e), -1);
	assert_int_equal(e.code, PVF_E_NOMEM);
	assert_int_equal(w.len, 6);
	assert_int_equal(buf[6], 0xee);
	assert_int_equal(pvf_scale_write_u8(&w, 0, &e), 0);
	assert_int_equal(pvf_scale_write_u8(&w, 0, &e), -1);
	assert_ptr_equal(w.buf, buf);
	assert_ptr_equal(pvf_scale_writer_take(&w, &len), buf);
	assert_int_equal(len, wn);
	assert_memory_equal(buf, want, wn);
	assert_int_equal(buf[7], 0xee);
	/* free leaves the caller's buffer alone (ASan would see a bad free) */
	pvf_scale_writer_init_fixed(&w, buf, sizeof(buf));
	assert_int_equal(pvf_scale_write_u8(&w, 1, &e), 0);
	pvf_scale_writer_free(&w);
	assert_null(w.buf);
	assert_false(w.fixed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact_vectors),
		cmocka_unit_test(test_compact_noncanonical),
		cmocka_unit_test(test_truncated_compact),
		cmocka_unit_test(test_fixed_and_simple),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_fixed_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
