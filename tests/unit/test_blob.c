/* test_blob.c — code blobs: raw, zstd-compressed (made here with
 * ZSTD_compress), hex; the bomb limit at its edges; truncation, corruption and
 * trailing bytes; the real compressed PVFs of the shared corpus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <zstd.h>

#include "blob/blob.h"
#include "common/hex.h"

/* The Substrate maybe-compressed prefix (sp-maybe-compressed-blob
 * ZSTD_PREFIX = [82, 188, 83, 118, 70, 219, 142, 5]); the last byte is the
 * kind: 05 legacy, 06 PoV, 07 code, 08 PVM (pvf-host-facts.md). */
static const uint8_t prefix05[8] = { 0x52, 0xbc, 0x53, 0x76, 0x46, 0xdb, 0x8e, 0x05 };

/* The smallest valid module (WebAssembly core spec 5.5.16: magic
 * "\0asm" + version 1). */
static const uint8_t empty_module[8] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };

/* A module-like payload of n bytes: wasm magic + version + a pattern. */
static uint8_t *make_payload(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131u + seed) ^ (i >> 7));
	memcpy(p, empty_module, n < 8 ? n : 8);
	return p;
}

/* prefix(kind) + ZSTD_compress(payload) */
static uint8_t *make_blob(const uint8_t *payload, size_t n, uint8_t kind, int level, size_t *ret_len)
{
	size_t bound = ZSTD_compressBound(n);
	uint8_t *b = malloc(8 + bound);
	size_t z;

	assert_non_null(b);
	memcpy(b, prefix05, 8);
	b[7] = kind;
	z = ZSTD_compress(b + 8, bound, payload, n, level);
	assert_false(ZSTD_isError(z));
	*ret_len = 8 + z;
	return b;
}

/* The same, but streamed without a declared content size and with a
 * checksum, so the decoder cannot rely on the frame header. */
static uint8_t *make_blob_stream(const uint8_t *payload, size_t n, size_t *ret_len)
{
	size_t bound = ZSTD_compressBound(n) + 64;
	uint8_t *b = malloc(8 + bound);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_outBuffer out = { b + 8, bound, 0 };
	ZSTD_inBuffer in = { payload, n, 0 };
	size_t r;

	assert_non_null(b);
	assert_non_null(cc);
	memcpy(b, prefix05, 8);
	b[7] = PVF_BLOB_KIND_CODE;
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	do {
		r = ZSTD_compressStream2(cc, &out, &in, ZSTD_e_end);
		assert_false(ZSTD_isError(r));
	} while (r != 0);
	ZSTD_freeCCtx(cc);
	*ret_len = 8 + out.pos;
	return b;
}

static void test_raw_roundtrip(void **state)
{
	uint8_t *code = NULL;
	size_t len = 0;
	pvf_blob_info info;
	pvf_error e;

	(void)state;
	assert_int_equal(pvf_blob_decode(empty_module, sizeof(empty_module), NULL, &code, &len,
					 &info, &e), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(code, empty_module, 8);
	assert_int_equal(info.format, PVF_BLOB_FORMAT_RAW);
	assert_false(info.hex);
	assert_false(info.compressed);
	assert_int_equal(info.input_size, 8);
	assert_int_equal(info.compressed_size, 0);
	assert_int_equal(info.decompressed_size, 8);
	assert_string_equal(pvf_blob_format_name(info.format), "raw");
	free(code);
}

static void test_compressed_roundtrip(void **state)
{
	static const size_t sizes[] = { 8, 100, 4096, 300000, 1234567 };
	static const uint8_t kinds[] = { PVF_BLOB_KIND_LEGACY, PVF_BLOB_KIND_CODE };

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint8_t *payload = make_payload(sizes[s], (unsigned)s);
		for (size_t k = 0; k < 2; k++) {
			size_t blen = 0, len = 0;
			uint8_t *blob = make_blob(payload, sizes[s], kinds[k], 3, &blen);
			uint8_t *code = NULL;
			pvf_blob_info info;
			pvf_error e;

			assert_int_equal(pvf_blob_decode(blob, blen, NULL, &code, &len, &info, &e), 0);
			assert_int_equal(len, sizes[s]);
			assert_memory_equal(code, payload, len);
			assert_int_equal(info.format, PVF_BLOB_FORMAT_COMPRESSED);
			assert_true(info.compressed);
			assert_int_equal(info.kind, kinds[k]);
			assert_int_equal(info.compressed_size, blen);
			assert_int_equal(info.decompressed_size, sizes[s]);
			free(code);
			free(blob);
		}
		/* streamed frame: no content size in the header */
		{
			size_t blen = 0, len = 0;
			uint8_t *blob = make_blob_stream(payload, sizes[s], &blen);
			uint8_t *code = NULL;
			pvf_error e;

			assert_int_equal(pvf_blob_decode(blob, blen, NULL, &code, &len, NULL, &e), 0);
			assert_int_equal(len, sizes[s]);
			assert_memory_equal(code, payload, len);
			free(code);
			free(blob);
		}
		free(payload);
	}
}

/* Output of exactly `limit` bytes is accepted, one more is a bomb
 * (Substrate's sp-maybe-compressed-blob: `buf.len() <= bomb_limit`). */
static void check_bomb_edges(size_t limit, bool streamed)
{
	const size_t sizes[3] = { limit - 1, limit, limit + 1 };
	pvf_blob_opts o = { .bomb_limit = limit };
	char want[128];

	snprintf(want, sizeof(want), "possible decompression bomb: output exceeds %zu bytes", limit);
	for (int i = 0; i < 3; i++) {
		uint8_t *payload = calloc(1, sizes[i]);
		size_t blen = 0, len = 0;
		uint8_t *blob, *code = NULL;
		pvf_error e;
		int r;

		assert_non_null(payload);
		memcpy(payload, empty_module, 8);
		blob = streamed ? make_blob_stream(payload, sizes[i], &blen)
				: make_blob(payload, sizes[i], PVF_BLOB_KIND_CODE, 19, &blen);
		r = pvf_blob_decode(blob, blen, limit == PVF_BLOB_DEFAULT_BOMB_LIMIT ? NULL : &o, &code,
				    &len, NULL, &e);
		if (sizes[i] <= limit) {
			assert_int_equal(r, 0);
			assert_int_equal(len, sizes[i]);
			free(code);
		} else {
			assert_int_equal(r, -1);
			assert_int_equal(e.code, PVF_E_BLOB_BOMB);
			assert_string_equal(e.msg, want);
		}
		free(blob);
		free(payload);
	}
}

static void test_bomb_limit_edges(void **state)
{
	(void)state;
	check_bomb_edges(1000, false);
	check_bomb_edges(1000, true);
	check_bomb_edges(262144, false); /* == the initial buffer size */
	check_bomb_edges(262145, true);
	check_bomb_edges(PVF_BLOB_DEFAULT_BOMB_LIMIT, false);
}

static void test_raw_too_large(void **state)
{
	pvf_blob_opts o = { .bomb_limit = 100 };
	uint8_t *payload = make_payload(101, 1);
	uint8_t *code = NULL;
	size_t len = 0;
	pvf_error e;

	(void)state;
	assert_int_equal(pvf_blob_decode(payload, 100, &o, &code, &len, NULL, &e), 0);
	free(code);
	code = NULL;
	assert_int_equal(pvf_blob_decode(payload, 101, &o, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_BLOB_TOO_LARGE);
	assert_null(code);
	assert_string_equal(e.msg,
			    "uncompressed wasm module of 101 bytes exceeds the limit of 100 bytes");
	free(payload);
}

static void test_truncation_every_length(void **state)
{
	uint8_t *payload = make_payload(20000, 7);
	size_t blen = 0;
	uint8_t *blob = make_blob(payload, 20000, PVF_BLOB_KIND_CODE, 3, &blen);

	(void)state;
	for (size_t k = 0; k < blen; k++) {
		uint8_t *copy = malloc(k ? k : 1), *code = NULL;
		size_t len = 0;
		pvf_error e;

		/* an exact-size copy, so ASan sees any read past the end */
		memcpy(copy, blob, k);
		assert_int_equal(pvf_blob_decode(copy, k, NULL, &code, &len, NULL, &e), -1);
		assert_null(code);
		if (k < 8)
			assert_int_equal(e.code, PVF_E_MALFORMED);
		else
			assert_int_equal(e.code, PVF_E_BLOB_CORRUPT);
		if (k == 8)
			assert_string_equal(e.msg, "compressed blob: no zstd frame after the prefix");
		free(copy);
	}
	/* the whole blob works */
	{
		uint8_t *code = NULL;
		size_t len = 0;
		pvf_error e;
		assert_int_equal(pvf_blob_decode(blob, blen, NULL, &code, &len, NULL, &e), 0);
		free(code);
	}
	free(blob);
	free(payload);
}

static void test_trailing_and_corrupt(void **state)
{
	uint8_t *payload = make_payload(5000, 3);
	size_t blen = 0, len = 0;
	uint8_t *blob = make_blob(payload, 5000, PVF_BLOB_KIND_CODE, 3, &blen);
	uint8_t *two, *code = NULL;
	pvf_error e;

	(void)state;
	/* one trailing byte */
	two = malloc(2 * blen);
	memcpy(two, blob, blen);
	two[blen] = 0;
	assert_int_equal(pvf_blob_decode(two, blen + 1, NULL, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_BLOB_CORRUPT);
	assert_non_null(strstr(e.msg, "1 trailing bytes after the zstd frame"));
	/* a second complete frame is also trailing data */
	memcpy(two + blen, blob + 8, blen - 8);
	assert_int_equal(pvf_blob_decode(two, 2 * blen - 8, NULL, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_BLOB_CORRUPT);
	assert_non_null(strstr(e.msg, "trailing bytes"));
	free(two);

	/* not a zstd frame after the prefix */
	{
		uint8_t bad[16];
		memcpy(bad, prefix05, 8);
		memset(bad + 8, 0x41, 8);
		assert_int_equal(pvf_blob_decode(bad, 16, NULL, &code, &len, NULL, &e), -1);
		assert_int_equal(e.code, PVF_E_BLOB_CORRUPT);
		assert_non_null(strstr(e.msg, "corrupt zstd data"));
	}

	/* flip every bit of every byte of a checksummed frame: never a crash;
	 * either an error of the blob classes or exactly the original bytes. */
	free(blob);
	blob = make_blob_stream(payload, 5000, &blen);
	for (size_t i = 8; i < blen; i++) {
		for (int bit = 0; bit < 8; bit++) {
			uint8_t *m = malloc(blen);
			int r;

			memcpy(m, blob, blen);
			m[i] ^= (uint8_t)(1u << bit);
			code = NULL;
			r = pvf_blob_decode(m, blen, NULL, &code, &len, NULL, &e);
			if (r == 0) {
				assert_int_equal(len, 5000);
				assert_memory_equal(code, payload, 5000);
				free(code);
			} else {
				assert_true(e.code == PVF_E_BLOB_CORRUPT || e.code == PVF_E_BLOB_BOMB);
			}
			free(m);
		}
	}
	free(blob);
	free(payload);
}

static void test_other_kinds_refused(void **state)
{
	static const struct {
		uint8_t kind;
		const char *name;
	} kinds[] = { { 0x06, "PoV" }, { 0x08, "PVM" }, { 0x00, "unknown" }, { 0xff, "unknown" } };

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t blen = 0, len = 0;
		uint8_t *blob = make_blob(empty_module, 8, kinds[i].kind, 3, &blen);
		uint8_t *code = NULL;
		char kindhex[8];
		pvf_error e;

		assert_int_equal(pvf_blob_decode(blob, blen, NULL, &code, &len, NULL, &e), -1);
		assert_int_equal(e.code, PVF_E_MALFORMED);
		snprintf(kindhex, sizeof(kindhex), "0x%02x", kinds[i].kind);
		assert_non_null(strstr(e.msg, kindhex));
		assert_non_null(strstr(e.msg, kinds[i].name));
		free(blob);
	}
}

static void test_not_a_blob(void **state)
{
	static const char *inputs[] = { "", "hello", "\0as", "{\"json\":1}", "0y12" };
	uint8_t *code = NULL;
	size_t len = 0;
	pvf_error e;

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t n = i == 2 ? 3 : strlen(inputs[i]);
		assert_int_equal(pvf_blob_decode((const uint8_t *)inputs[i], n, NULL, &code, &len,
						 NULL, &e), -1);
		assert_int_equal(e.code, PVF_E_MALFORMED);
		assert_string_equal(e.msg, "not a wasm module, compressed blob or hex");
	}
	/* 7 prefix bytes without the kind byte */
	assert_int_equal(pvf_blob_decode(prefix05, 7, NULL, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_MALFORMED);
}

static void test_hex_forms(void **state)
{
	size_t blen = 0, len = 0;
	uint8_t *payload = make_payload(3000, 9);
	uint8_t *blob = make_blob(payload, 3000, PVF_BLOB_KIND_CODE, 3, &blen);
	uint8_t *code = NULL;
	pvf_blob_info info;
	char *h = NULL, *txt;
	pvf_error e;

	(void)state;
	/* hex of a raw module, with the newline a file ends with */
	assert_int_equal(pvf_hex_encode_alloc(empty_module, 8, &h, &e), 0);
	assert_int_equal(asprintf(&txt, "0x%s\n", h), 19);
	assert_int_equal(pvf_blob_decode((uint8_t *)txt, strlen(txt), NULL, &code, &len, &info, &e), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(code, empty_module, 8);
	assert_int_equal(info.format, PVF_BLOB_FORMAT_HEX);
	assert_true(info.hex);
	assert_false(info.compressed);
	assert_int_equal(info.input_size, 19);
	free(code);
	free(txt);
	free(h);

	/* hex of a compressed blob, uppercase prefix */
	assert_int_equal(pvf_hex_encode_alloc(blob, blen, &h, &e), 0);
	assert_true(asprintf(&txt, "0X%s\r\n", h) > 0);
	assert_int_equal(pvf_blob_decode((uint8_t *)txt, strlen(txt), NULL, &code, &len, &info, &e), 0);
	assert_int_equal(len, 3000);
	assert_memory_equal(code, payload, 3000);
	assert_int_equal(info.format, PVF_BLOB_FORMAT_HEX);
	assert_true(info.compressed);
	assert_int_equal(info.kind, PVF_BLOB_KIND_CODE);
	assert_int_equal(info.compressed_size, blen);
	free(code);

	/* a bad digit: corrupt, with its offset */
	txt[10] = 'q';
	assert_int_equal(pvf_blob_decode((uint8_t *)txt, strlen(txt), NULL, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_BLOB_CORRUPT);
	assert_string_equal(e.msg, "hex blob: hex: invalid character 'q' at offset 10");
	free(txt);
	free(h);

	/* odd length */
	assert_int_equal(pvf_blob_decode((const uint8_t *)"0x0061736", 9, NULL, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_BLOB_CORRUPT);
	/* hex of something that is neither */
	assert_int_equal(pvf_blob_decode((const uint8_t *)"0x41424344", 10, NULL, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_MALFORMED);
	/* hex of hex is not unwrapped twice: "0x00" as hex text is 30 78 30 30 */
	assert_int_equal(pvf_blob_decode((const uint8_t *)"0x30783030", 10, NULL, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_MALFORMED);
	/* the bomb limit applies inside hex too */
	{
		pvf_blob_opts o = { .bomb_limit = 2999 };
		assert_int_equal(pvf_hex_encode_alloc(blob, blen, &h, &e), 0);
		assert_true(asprintf(&txt, "0x%s", h) > 0);
		assert_int_equal(pvf_blob_decode((uint8_t *)txt, strlen(txt), &o, &code, &len, NULL, &e), -1);
		assert_int_equal(e.code, PVF_E_BLOB_BOMB);
		free(txt);
		free(h);
	}
	free(blob);
	free(payload);
}

static void test_input_limit(void **state)
{
	pvf_blob_opts o = { .max_input = 7 };
	uint8_t *code = NULL;
	size_t len = 0;
	pvf_error e;

	(void)state;
	assert_int_equal(pvf_blob_decode(empty_module, 8, &o, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_BLOB_TOO_LARGE);
	assert_int_equal(pvf_blob_decode(NULL, 0, NULL, NULL, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_USAGE);
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/pvfhost-test-blob-XXXXXX";
	int fd = mkstemp(path);
	size_t blen = 0, len = 0;
	uint8_t *payload = make_payload(4000, 5);
	uint8_t *blob = make_blob(payload, 4000, PVF_BLOB_KIND_LEGACY, 3, &blen);
	uint8_t *code = NULL;
	pvf_blob_info info;
	pvf_error e;
	char *h = NULL;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(pvf_hex_encode_alloc(blob, blen, &h, &e), 0);
	assert_int_equal(write(fd, "0x", 2), 2);
	assert_int_equal(write(fd, h, strlen(h)), (ssize_t)strlen(h));
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	assert_int_equal(pvf_blob_read_file(path, NULL, &code, &len, &info, &e), 0);
	assert_int_equal(len, 4000);
	assert_memory_equal(code, payload, 4000);
	assert_int_equal(info.format, PVF_BLOB_FORMAT_HEX);
	assert_int_equal(info.kind, PVF_BLOB_KIND_LEGACY);
	assert_int_equal(info.input_size, 2 + 2 * blen + 1);
	free(code);
	/* the input cap is enforced on what is read */
	{
		pvf_blob_opts o = { .max_input = 2 * blen };
		assert_int_equal(pvf_blob_read_file(path, &o, &code, &len, NULL, &e), -1);
		assert_int_equal(e.code, PVF_E_BLOB_TOO_LARGE);
	}
	unlink(path);
	assert_int_equal(pvf_blob_read_file(path, NULL, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_IO);
	assert_non_null(strstr(e.msg, path));
	assert_int_equal(pvf_blob_read_file("/", NULL, &code, &len, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_IO);
	free(h);
	free(blob);
	free(payload);
}

/* --- the shared corpus ------------------------------------------------ */

static bool corpus_dir(char *out, size_t cap)
{
	const char *c = getenv("PVFHOST_CORPUS");
	const char *root = getenv("PVFHOST_SOURCE_ROOT");
	char probe[4200];

	if (c && *c)
		snprintf(out, cap, "%s", c);
	else if (root && *root)
		snprintf(out, cap, "%s/../shared/corpus", root);
	else
		snprintf(out, cap, "../shared/corpus");
	snprintf(probe, sizeof(probe), "%s/README.md", out);
	return access(probe, R_OK) == 0;
}

static bool require_corpus(char *dir, size_t cap)
{
	const char *ci = getenv("CI");

	if (corpus_dir(dir, cap))
		return true;
	if (ci && strcmp(ci, "true") == 0)
		fail_msg("corpus not found at %s (CI=true: a missing corpus is a failure)", dir);
	return false;
}

static void check_corpus_blob(const char *dir, const char *file, size_t want_wasm, int want_kind)
{
	char path[4200];
	uint8_t *code = NULL;
	size_t len = 0;
	pvf_blob_info info;
	pvf_error e;

	snprintf(path, sizeof(path), "%s/pvf/%s", dir, file);
	if (pvf_blob_read_file(path, NULL, &code, &len, &info, &e) < 0)
		fail_msg("%s: %s", path, e.msg);
	assert_int_equal(len, want_wasm);
	assert_memory_equal(code, empty_module, 4); /* "\0asm" */
	assert_int_equal(code[4], 1);                /* version 1 */
	assert_int_equal(info.format, PVF_BLOB_FORMAT_COMPRESSED);
	assert_true(info.compressed);
	if (want_kind >= 0)
		assert_int_equal(info.kind, want_kind);
	free(code);
}

static void test_corpus_blobs(void **state)
{
	char dir[4096];

	(void)state;
	if (!require_corpus(dir, sizeof(dir))) {
		skip();
		return;
	}
	/* Sizes from the corpus README.md: adder 38,342 B of wasm inside (prefix
	 * ... 8e 05), cumulus-shell 1,271,914 B, coretime 3,893,767 B. */
	check_corpus_blob(dir, "adder.compressed.wasm", 38342, PVF_BLOB_KIND_LEGACY);
	check_corpus_blob(dir, "cumulus-shell.compressed.wasm", 1271914, -1);
	check_corpus_blob(dir, "polkadot-coretime.compressed.wasm", 3893767, -1);
}

static void test_corpus_truncated_adder(void **state)
{
	char dir[4096], path[4200];
	FILE *f;
	uint8_t *buf;
	long sz;

	(void)state;
	if (!require_corpus(dir, sizeof(dir))) {
		skip();
		return;
	}
	snprintf(path, sizeof(path), "%s/pvf/adder.compressed.wasm", dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)sz);
	assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	/* every proper prefix of the real blob is refused */
	for (long k = 0; k < sz; k += (k < 64 ? 1 : 97)) {
		uint8_t *code = NULL;
		size_t len = 0;
		pvf_error e;
		assert_int_equal(pvf_blob_decode(buf, (size_t)k, NULL, &code, &len, NULL, &e), -1);
	}
	{
		uint8_t *code = NULL;
		size_t len = 0;
		pvf_error e;
		assert_int_equal(pvf_blob_decode(buf, (size_t)sz - 1, NULL, &code, &len, NULL, &e), -1);
		assert_int_equal(e.code, PVF_E_BLOB_CORRUPT);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_roundtrip),
		cmocka_unit_test(test_compressed_roundtrip),
		cmocka_unit_test(test_bomb_limit_edges),
		cmocka_unit_test(test_raw_too_large),
		cmocka_unit_test(test_truncation_every_length),
		cmocka_unit_test(test_trailing_and_corrupt),
		cmocka_unit_test(test_other_kinds_refused),
		cmocka_unit_test(test_not_a_blob),
		cmocka_unit_test(test_hex_forms),
		cmocka_unit_test(test_input_limit),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_corpus_blobs),
		cmocka_unit_test(test_corpus_truncated_adder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
