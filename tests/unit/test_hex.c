/* test_hex.c — hex text <-> bytes: published vectors, accepted forms, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/hex.h"

/* RFC 4648 section 10 (Test Vectors), BASE16: "f" -> "66", "fo" -> "666F",
 * "foo" -> "666F6F", "foob" -> "666F6F62", "fooba" -> "666F6F6261",
 * "foobar" -> "666F6F626172" (uppercase in the RFC; we encode lowercase). */
static const struct {
	const char *plain;
	const char *upper;
	const char *lower;
} rfc4648[] = {
	{ "", "", "" },
	{ "f", "66", "66" },
	{ "fo", "666F", "666f" },
	{ "foo", "666F6F", "666f6f" },
	{ "foob", "666F6F62", "666f6f62" },
	{ "fooba", "666F6F6261", "666f6f6261" },
	{ "foobar", "666F6F626172", "666f6f626172" },
};

static void test_rfc4648_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		uint8_t buf[16];
		char txt[64];
		size_t n = 99;
		pvf_error e;

		/* decode the RFC's uppercase form */
		assert_int_equal(pvf_hex_decode(rfc4648[i].upper, strlen(rfc4648[i].upper), buf,
						sizeof(buf), &n, &e), 0);
		assert_int_equal(n, strlen(rfc4648[i].plain));
		if (n)
			assert_memory_equal(buf, rfc4648[i].plain, n);
		/* encode gives the lowercase form */
		assert_int_equal(pvf_hex_encode((const uint8_t *)rfc4648[i].plain,
						strlen(rfc4648[i].plain), txt, sizeof(txt), &e), 0);
		assert_string_equal(txt, rfc4648[i].lower);
	}
}

static void test_prefix_and_trailing_space(void **state)
{
	const char *forms[] = { "0x666f6f", "0X666F6F", "666f6f\n", "0x666f6f\r\n", "0x666f6f \t\n\n" };
	pvf_error e;

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		uint8_t *out = NULL;
		size_t n = 0;

		assert_int_equal(pvf_hex_decode_alloc(forms[i], strlen(forms[i]), &out, &n, &e), 0);
		assert_int_equal(n, 3);
		assert_memory_equal(out, "foo", 3);
		free(out);
		assert_int_equal(pvf_hex_decoded_len(forms[i], strlen(forms[i])), 3);
	}
	/* "0x" alone is the empty byte string */
	{
		uint8_t *out = NULL;
		size_t n = 7;
		assert_int_equal(pvf_hex_decode_alloc("0x\n", 3, &out, &n, &e), 0);
		assert_non_null(out);
		assert_int_equal(n, 0);
		free(out);
	}
}

static void test_errors_name_offset(void **state)
{
	uint8_t buf[16];
	size_t n;
	pvf_error e;

	(void)state;
	/* bad digit: 'g' is at offset 4 of "0x66g6" */
	assert_int_equal(pvf_hex_decode("0x66g6", 6, buf, sizeof(buf), &n, &e), -1);
	assert_int_equal(e.code, PVF_E_BLOB_CORRUPT);
	assert_string_equal(e.msg, "hex: invalid character 'g' at offset 4");
	/* odd length */
	assert_int_equal(pvf_hex_decode("0x666", 5, buf, sizeof(buf), &n, &e), -1);
	assert_int_equal(e.code, PVF_E_BLOB_CORRUPT);
	assert_string_equal(e.msg, "hex: odd number of digits (3), last digit at offset 4");
	/* whitespace inside the digits is not tolerated */
	assert_int_equal(pvf_hex_decode("66 6f", 5, buf, sizeof(buf), &n, &e), -1);
	assert_string_equal(e.msg, "hex: invalid character ' ' at offset 2");
	/* a non-printable byte is shown in hex */
	assert_int_equal(pvf_hex_decode("6\x01", 2, buf, sizeof(buf), &n, &e), -1);
	assert_string_equal(e.msg, "hex: invalid byte 0x01 at offset 1");
	/* leading whitespace is not trailing whitespace */
	assert_int_equal(pvf_hex_decode(" 66", 3, buf, sizeof(buf), &n, &e), -1);
	assert_int_equal(e.code, PVF_E_BLOB_CORRUPT);
	/* output too small is a usage error, not corrupt input */
	assert_int_equal(pvf_hex_decode("666f6f", 6, buf, 2, &n, &e), -1);
	assert_int_equal(e.code, PVF_E_USAGE);
	/* not NUL-terminated: only len bytes are read */
	assert_int_equal(pvf_hex_decode("66zz", 2, buf, sizeof(buf), &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(buf[0], 0x66);
}

static void test_encode_all_bytes(void **state)
{
	uint8_t all[256], back[256];
	char *txt = NULL;
	size_t n = 0;
	pvf_error e;

	(void)state;
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	assert_int_equal(pvf_hex_encode_alloc(all, sizeof(all), &txt, &e), 0);
	assert_int_equal(strlen(txt), 512);
	/* byte 0xab is "ab" (lowercase), at character 2*0xab */
	assert_memory_equal(txt + 2 * 0xab, "ab", 2);
	assert_memory_equal(txt, "000102", 6);
	assert_memory_equal(txt + 506, "fdfeff", 6);
	assert_int_equal(pvf_hex_decode(txt, 512, back, sizeof(back), &n, &e), 0);
	assert_int_equal(n, 256);
	assert_memory_equal(back, all, 256);
	free(txt);
	/* too-small output buffer for encoding */
	{
		char small[4];
		assert_int_equal(pvf_hex_encode(all, 2, small, sizeof(small), &e), -1);
		assert_int_equal(e.code, PVF_E_USAGE);
	}
}

static void test_sniff(void **state)
{
	(void)state;
	assert_true(pvf_hex_sniff((const uint8_t *)"0x52bc", 6, true));
	assert_true(pvf_hex_sniff((const uint8_t *)"0X00", 4, true));
	assert_false(pvf_hex_sniff((const uint8_t *)"52bc", 4, true));
	assert_true(pvf_hex_sniff((const uint8_t *)"52bc", 4, false));
	assert_false(pvf_hex_sniff((const uint8_t *)"0x", 2, true));
	assert_false(pvf_hex_sniff((const uint8_t *)"0xzz", 4, true));
	assert_false(pvf_hex_sniff((const uint8_t *)"\0asm", 4, false));
	assert_false(pvf_hex_sniff(NULL, 0, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_prefix_and_trailing_space),
		cmocka_unit_test(test_errors_name_offset),
		cmocka_unit_test(test_encode_all_bytes),
		cmocka_unit_test(test_sniff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
