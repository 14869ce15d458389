/* test_error.c — error codes map to the right class and messages compose. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/error.h"

static void test_classes(void **state)
{
	(void)state;
	assert_int_equal(pvf_error_code_class(PVF_E_MALFORMED), PVF_CLASS_DETERMINISTIC);
	assert_int_equal(pvf_error_code_class(PVF_E_TRAP), PVF_CLASS_DETERMINISTIC);
	assert_int_equal(pvf_error_code_class(PVF_E_ARTIFACT_CORRUPT), PVF_CLASS_POSSIBLY_INVALID);
	assert_int_equal(pvf_error_code_class(PVF_E_IO), PVF_CLASS_INTERNAL);
	assert_int_equal(pvf_error_code_class((pvf_error_code)9999), PVF_CLASS_INTERNAL);
	/* Every code has a distinct name. */
	for (int a = 0; a < PVF_E__COUNT; a++) {
		assert_string_not_equal(pvf_error_code_name(a), "unknown");
		for (int b = a + 1; b < PVF_E__COUNT; b++)
			assert_string_not_equal(pvf_error_code_name(a), pvf_error_code_name(b));
	}
}

static void test_set_and_prefix(void **state)
{
	pvf_error e;

	(void)state;
	assert_int_equal(pvf_error_set(&e, PVF_E_BLOB_BOMB, "over %d bytes", 42), -1);
	assert_int_equal(e.code, PVF_E_BLOB_BOMB);
	assert_int_equal(e.cls, PVF_CLASS_DETERMINISTIC);
	assert_string_equal(e.msg, "over 42 bytes");
	pvf_error_prefix(&e, "code %s", "x.wasm");
	assert_string_equal(e.msg, "code x.wasm: over 42 bytes");
	assert_int_equal(pvf_error_set(NULL, PVF_E_IO, "ignored"), -1);
	pvf_error_clear(&e);
	assert_int_equal(e.code, PVF_OK);
	assert_string_equal(e.msg, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_set_and_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
