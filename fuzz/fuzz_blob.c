/*
 * fuzz_blob.c — libFuzzer harness for pvf_blob_decode.
 *
 * Each input is decoded with a small bomb limit (FUZZ_BOMB_LIMIT), so that
 * decompression bombs are reached quickly, and checked against the
 * contract in blob/blob.h:
 *   - success returns at most bomb_limit bytes (starting with "\0asm" when
 *     the input was not compressed: decompressed bytes are not inspected,
 *     that is the wasm decoder's job), and info agrees with the result;
 *   - failure leaves the outputs untouched and reports one of the blob
 *     error codes with a non-empty message;
 *   - the verdict is deterministic: a second decode gives the same result.
 * The harness also feeds the input behind the code prefix (52 bc 53 76 46
 * db 8e 07) so the fuzzer reaches the zstd path without having to guess the
 * 8-byte magic. See docs/fuzzing.md for building and running it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"

/* Small enough to hit the bomb check within a few kilobytes of input. */
#define FUZZ_BOMB_LIMIT ((size_t)64 * 1024)
/* Inputs larger than this are skipped (libFuzzer's default max_len is 4 KiB). */
#define FUZZ_MAX_INPUT ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_blob_error(pvf_error_code c)
{
	return c == PVF_E_MALFORMED || c == PVF_E_BLOB_CORRUPT || c == PVF_E_BLOB_BOMB ||
	       c == PVF_E_BLOB_TOO_LARGE;
}

static void one(const uint8_t *data, size_t size)
{
	pvf_blob_opts o = { .bomb_limit = FUZZ_BOMB_LIMIT };
	uint8_t *code = NULL, *code2 = NULL;
	size_t len = 0, len2 = 0;
	pvf_blob_info info, info2;
	pvf_error err, err2;
	int rc, rc2;

	memset(&info, 0, sizeof(info));
	rc = pvf_blob_decode(data, size, &o, &code, &len, &info, &err);
	if (rc == 0) {
		if (!code || len > FUZZ_BOMB_LIMIT)
			abort();
		if (!info.compressed && (len < 4 || memcmp(code, "\0asm", 4) != 0))
			abort();
		if (info.decompressed_size != len || info.input_size != size)
			abort();
		if (info.compressed != (info.kind != 0))
			abort();
	} else {
		if (rc != -1 || code || !is_blob_error(err.code) || err.msg[0] == '\0')
			abort();
	}

	rc2 = pvf_blob_decode(data, size, &o, &code2, &len2, &info2, &err2);
	if (rc2 != rc)
		abort();
	if (rc == 0 && (len2 != len || memcmp(code, code2, len) != 0))
		abort();
	if (rc != 0 && (err2.code != err.code || strcmp(err.msg, err2.msg) != 0))
		abort();
	free(code);
	free(code2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t prefix[PVF_BLOB_PREFIX_LEN] = { 0x52, 0xbc, 0x53, 0x76,
							     0x46, 0xdb, 0x8e, 0x07 };
	uint8_t *framed;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	one(data, size);

	framed = malloc(sizeof(prefix) + size);
	if (!framed)
		return 0;
	memcpy(framed, prefix, sizeof(prefix));
	if (size)
		memcpy(framed + sizeof(prefix), data, size);
	one(framed, sizeof(prefix) + size);
	free(framed);
	return 0;
}
