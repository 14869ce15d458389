/* test_validation.c — ValidationParams / ValidationResult codecs.
 *
 * Expected bytes come from the shared corpus, read in place:
 * $PVFHOST_CORPUS/vectors/adder.json (default
 * $PVFHOST_SOURCE_ROOT/../shared/corpus), whose cases were derived from
 * polkadot-sdk polkadot/node/core/pvf/tests/it/adder.rs. Each case's
 * `params_hex` and `expected_result_hex` must decode, agree with the
 * case's separate fields (parent_head_hex, block_data_hex,
 * relay_parent_number, expected_head_hex; hrmp_watermark = relay parent
 * number per the corpus README) and re-encode byte-exactly. Without the
 * corpus the corpus tests are skipped, unless CI=true, then they fail.
 *
 * The strictness tests (truncation at every length, trailing bytes, bad
 * Option tag, oversize counts) use the layout in polkadot-sdk
 * polkadot/parachain/src/primitives.rs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/validation.h"

/* Longest adder.json we accept (the real one is ~14 KB). */
#define MAX_JSON_BYTES (1u << 20)

static char *corpus_json;

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(MAX_JSON_BYTES + 1);
	assert_non_null(buf);
	size_t n = fread(buf, 1, MAX_JSON_BYTES, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static int load_corpus(void **state)
{
	(void)state;
	char path[4096];
	const char *c = getenv("PVFHOST_CORPUS");
	if (c && *c)
		snprintf(path, sizeof(path), "%s/vectors/adder.json", c);
	else {
		const char *root = getenv("PVFHOST_SOURCE_ROOT");
		snprintf(path, sizeof(path), "%s/../shared/corpus/vectors/adder.json",
			 root && *root ? root : ".");
	}
	corpus_json = read_file(path);
	return 0;
}

static int free_corpus(void **state)
{
	(void)state;
	free(corpus_json);
	return 0;
}

static void need_corpus(void)
{
	if (corpus_json)
		return;
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "true") == 0)
		fail_msg("corpus vectors/adder.json not found and CI=true");
	skip();
}

static size_t unhex(const char *s, size_t nchars, uint8_t **ret)
{
	assert_int_equal(nchars % 2, 0);
	uint8_t *b = malloc(nchars / 2 + 1);
	assert_non_null(b);
	for (size_t i = 0; i < nchars / 2; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	*ret = b;
	return nchars / 2;
}

/* Finds `"key": "hex"` after *cursor, limited to the current case. */
static size_t json_hex(const char *from, const char *end, const char *key, uint8_t **ret)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	const char *p = strstr(from, pat);
	if (!p || (end && p > end))
		return SIZE_MAX;
	p += strlen(pat);
	const char *q = strchr(p, '"');
	assert_non_null(q);
	return unhex(p, (size_t)(q - p), ret);
}

static long json_int(const char *from, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(from, pat);
	assert_non_null(p);
	return strtol(p + strlen(pat), NULL, 10);
}

static void test_adder_vectors(void **state)
{
	(void)state;
	need_corpus();
	int n_params = 0, n_results = 0;
	const char *c = corpus_json;
	while ((c = strstr(c, "\"name\":"))) {
		const char *next = strstr(c + 1, "\"name\":");
		uint8_t *params, *ph, *bd, *root;
		pvf_error e;
		size_t pl = json_hex(c, next, "params_hex", &params);
		size_t phl = json_hex(c, next, "parent_head_hex", &ph);
		size_t bdl = json_hex(c, next, "block_data_hex", &bd);
		size_t rl = json_hex(c, next, "relay_parent_storage_root_hex", &root);
		long rpn = json_int(c, "relay_parent_number");
		assert_true(pl != SIZE_MAX && phl != SIZE_MAX && bdl != SIZE_MAX && rl == 32);

		pvf_validation_params p;
		assert_int_equal(pvf_validation_params_decode(params, pl, &p, &e), 0);
		assert_int_equal(p.parent_head.len, phl);
		assert_memory_equal(p.parent_head.data, ph, phl);
		assert_int_equal(p.block_data.len, bdl);
		assert_memory_equal(p.block_data.data, bd, bdl);
		assert_int_equal(p.relay_parent_number, rpn);
		assert_memory_equal(p.relay_parent_storage_root, root, 32);
		uint8_t *enc;
		size_t el;
		assert_int_equal(pvf_validation_params_encode(&p, &enc, &el, &e), 0);
		assert_int_equal(el, pl);
		assert_memory_equal(enc, params, pl);
		free(enc);
		pvf_validation_params_free(&p);
		pvf_validation_params_free(&p); /* idempotent */
		n_params++;

		uint8_t *res, *head;
		size_t resl = json_hex(c, next, "expected_result_hex", &res);
		if (resl != SIZE_MAX) {
			size_t hl = json_hex(c, next, "expected_head_hex", &head);
			assert_true(hl != SIZE_MAX);
			pvf_validation_result r;
			assert_int_equal(pvf_validation_result_decode(res, resl, &r, &e), 0);
			assert_int_equal(r.head_data.len, hl);
			assert_memory_equal(r.head_data.data, head, hl);
			assert_false(r.has_new_validation_code);
			assert_int_equal(r.n_upward_messages, 0);
			assert_int_equal(r.n_horizontal_messages, 0);
			assert_int_equal(r.processed_downward_messages, 0);
			assert_int_equal(r.hrmp_watermark, rpn);
			assert_int_equal(pvf_validation_result_encode(&r, &enc, &el, &e), 0);
			assert_int_equal(el, resl);
			assert_memory_equal(enc, res, resl);
			free(enc);

			/* Truncation at every length is an error, never a crash. */
			for (size_t cut = 0; cut < resl; cut++) {
				pvf_validation_result t;
				uint8_t *copy = malloc(cut ? cut : 1);
				memcpy(copy, res, cut);
				assert_int_equal(pvf_validation_result_decode(copy, cut, &t, &e), -1);
				assert_int_equal(e.code, PVF_E_BAD_RESULT);
				assert_non_null(strstr(e.msg, "ValidationResult: "));
				free(copy);
			}
			/* One trailing byte is an error. */
			uint8_t *longer = malloc(resl + 1);
			memcpy(longer, res, resl);
			longer[resl] = 0;
			pvf_validation_result t;
			assert_int_equal(pvf_validation_result_decode(longer, resl + 1, &t, &e), -1);
			assert_non_null(strstr(e.msg, "1 trailing bytes"));
			/* ... but not to the prefix decoder (Decode::decode), which
			 * reads the same result and reports its length; truncated
			 * input is still an error there. */
			size_t used = 0;
			assert_int_equal(pvf_validation_result_decode_prefix(longer, resl + 1, &t, &used, &e), 0);
			assert_int_equal(used, resl);
			assert_int_equal(t.hrmp_watermark, rpn);
			assert_int_equal(t.head_data.len, r.head_data.len);
			assert_memory_equal(t.head_data.data, r.head_data.data, r.head_data.len);
			pvf_validation_result_free(&t);
			assert_int_equal(pvf_validation_result_decode_prefix(longer, resl - 1, &t, &used, &e), -1);
			assert_int_equal(e.code, PVF_E_BAD_RESULT);
			free(longer);
			pvf_validation_result_free(&r);
			free(head);
			free(res);
			n_results++;
		}
		/* Params truncation and trailing bytes. */
		for (size_t cut = 0; cut < pl; cut++) {
			pvf_validation_params t;
			assert_int_equal(pvf_validation_params_decode(params, cut, &t, &e), -1);
		}
		free(params);
		free(ph);
		free(bd);
		free(root);
		c = next ? next : c + strlen(c);
	}
	/* adder.json: 12 cases, all with params; the "trap" ones have no result. */
	assert_int_equal(n_params, 12);
	assert_true(n_results >= 1 && n_results < 12);
}

/* A result with every field populated, built by hand, encoded, decoded. */
static void test_result_roundtrip_and_json(void **state)
{
	(void)state;
	static const uint8_t head[] = { 1, 2, 3 }, code[] = { 0x00, 0x61, 0x73, 0x6d };
	pvf_bytes up[2] = { { (const uint8_t *)"hi", 2 }, { NULL, 0 } };
	pvf_hrmp_message hm[1] = { { 2000, { (const uint8_t *)"\xff", 1 } } };
	pvf_validation_result r = {
		.head_data = { head, 3 },
		.has_new_validation_code = true,
		.new_validation_code = { code, 4 },
		.upward_messages = up,
		.n_upward_messages = 2,
		.horizontal_messages = hm,
		.n_horizontal_messages = 1,
		.processed_downward_messages = 7,
		.hrmp_watermark = 0xdeadbeef,
	};
	pvf_error e;
	uint8_t *enc;
	size_t el;

	assert_int_equal(pvf_validation_result_encode(&r, &enc, &el, &e), 0);
	/* Layout by hand: 0c 010203 | 01 10 0061736d | 08 08 6869 00 |
	 * 04 d0070000 04 ff | 07000000 | efbeadde */
	static const uint8_t want[] = { 0x0c, 1, 2, 3, 0x01, 0x10, 0x00, 0x61, 0x73, 0x6d,
					0x08, 0x08, 'h', 'i', 0x00, 0x04, 0xd0, 0x07, 0, 0,
					0x04, 0xff, 7, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde };
	assert_int_equal(el, sizeof(want));
	assert_memory_equal(enc, want, sizeof(want));

	pvf_validation_result d;
	assert_int_equal(pvf_validation_result_decode(enc, el, &d, &e), 0);
	assert_int_equal(d.n_upward_messages, 2);
	assert_int_equal(d.upward_messages[1].len, 0);
	assert_int_equal(d.horizontal_messages[0].recipient, 2000);
	char *json = pvf_validation_result_to_json(&d);
	assert_non_null(json);
	assert_string_equal(json,
			    "{\"head_data\":\"0x010203\",\"new_validation_code\":\"0x0061736d\","
			    "\"upward_messages\":[\"0x6869\",\"0x\"],\"horizontal_messages\":"
			    "[{\"recipient\":2000,\"data\":\"0xff\"}],\"processed_downward_messages\":7,"
			    "\"hrmp_watermark\":3735928559}");
	free(json);
	/* decode owns its bytes: the input buffer may go away. */
	memset(enc, 0xaa, el);
	assert_memory_equal(d.head_data.data, head, 3);
	pvf_validation_result_free(&d);

	/* Truncations and a bad Option tag. */
	for (size_t cut = 0; cut < sizeof(want); cut++)
		assert_int_equal(pvf_validation_result_decode(want, cut, &d, &e), -1);
	uint8_t bad[sizeof(want)];
	memcpy(bad, want, sizeof(want));
	bad[4] = 0x02;
	assert_int_equal(pvf_validation_result_decode(bad, sizeof(bad), &d, &e), -1);
	assert_non_null(strstr(e.msg, "new_validation_code"));
	assert_non_null(strstr(e.msg, "Option"));
	free(enc);
}

/* Counts over 16,384 and counts the input cannot hold fail before any
 * allocation proportional to the count. */
static void test_result_oversize(void **state)
{
	(void)state;
	pvf_validation_result d;
	pvf_error e;
	/* head_data empty, None, upward count 16,385 (compact 0x00010005 LE =
	 * (16385 << 2) | 2 = 0x00010006). */
	uint8_t over[64] = { 0x00, 0x00, 0x06, 0x00, 0x01, 0x00 };
	assert_int_equal(pvf_validation_result_decode(over, sizeof(over), &d, &e), -1);
	assert_int_equal(e.code, PVF_E_BAD_RESULT);
	assert_non_null(strstr(e.msg, "upward_messages"));
	assert_non_null(strstr(e.msg, "16384"));
	/* Exactly 16,384 claimed but only 58 bytes left. */
	over[2] = 0x02;
	assert_int_equal(pvf_validation_result_decode(over, sizeof(over), &d, &e), -1);
	assert_non_null(strstr(e.msg, "bytes left"));
	/* Horizontal: 16,385. */
	uint8_t hover[16] = { 0x00, 0x00, 0x00, 0x06, 0x00, 0x01, 0x00 };
	assert_int_equal(pvf_validation_result_decode(hover, sizeof(hover), &d, &e), -1);
	assert_non_null(strstr(e.msg, "horizontal_messages"));
	/* A 1 GiB head_data length claim. */
	uint8_t big[] = { 0x03, 0x00, 0x00, 0x00, 0x40, 0 };
	assert_int_equal(pvf_validation_result_decode(big, sizeof(big), &d, &e), -1);
	assert_non_null(strstr(e.msg, "head_data"));
	/* Non-canonical compact length. */
	uint8_t nc[] = { 0x01, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(pvf_validation_result_decode(nc, sizeof(nc), &d, &e), -1);
	assert_non_null(strstr(e.msg, "out of range"));
	/* Empty input. */
	assert_int_equal(pvf_validation_result_decode(NULL, 0, &d, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adder_vectors),
		cmocka_unit_test(test_result_roundtrip_and_json),
		cmocka_unit_test(test_result_oversize),
	};
	return cmocka_run_group_tests(tests, load_corpus, free_corpus);
}
