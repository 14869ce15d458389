/* test_state.c — the runtime-call storage state: key order, next_key,
 * clear_prefix with limits, append (StorageAppend semantics), nested
 * transactions, the memory budget, the trie root, and a randomised
 * comparison against a plain reference model with snapshot transactions.
 *
 * Expected values:
 *   [EMPTY]  blake2_256([0x00]) = 03170a2e...1314, the empty trie root.
 *   [W3F]    w3f/polkadot-tests host-api row 0 (as in test_trie.c): pairs
 *            ("static","Inverse"), ("even-keeled","Future-proofed"),
 *            ("static","even-keeled"), the last "static" winning, root
 *            1192e3ed...3d4f.
 *   [SCALE]  Compact<u32>: 0..63 one byte (n << 2), 64..16383 two bytes
 *            (n << 2 | 1, little-endian), 16384..2^30-1 four bytes
 *            (n << 2 | 2); non-minimal encodings are invalid
 *            (parity-scale-codec).
 *   [SPSM]   sp-state-machine ext.rs storage_append_works: appending to the
 *            invalid value [0x01] resets it, then items accumulate.
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
#include "hostapi/state.h"
#include "hostapi/trie.h"

static const char EMPTY_ROOT[] = "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314";

/* ---- helpers ------------------------------------------------------------- */

static pvf_state *new_state(void)
{
	pvf_state *s = NULL;
	pvf_error err;

	assert_int_equal(pvf_state_new(&s, &err), 0);
	assert_non_null(s);
	return s;
}

static void set_n(pvf_state *s, const void *k, size_t kl, const void *v, size_t vl)
{
	pvf_error err;

	if (pvf_state_set(s, k, kl, v, vl, &err) < 0)
		fail_msg("set: %s", err.msg);
}

static void set(pvf_state *s, const char *k, const char *v)
{
	set_n(s, k, strlen(k), v, strlen(v));
}

static void clr(pvf_state *s, const char *k)
{
	pvf_error err;

	assert_int_equal(pvf_state_clear(s, (const uint8_t *)k, strlen(k), &err), 0);
}

static void app_n(pvf_state *s, const char *k, const void *item, size_t n)
{
	pvf_error err;

	if (pvf_state_append(s, (const uint8_t *)k, strlen(k), item, n, &err) < 0)
		fail_msg("append: %s", err.msg);
}

/* The value of k as a NUL-terminated string, or NULL if absent. */
static const char *val(pvf_state *s, const char *k)
{
	static char buf[256];
	const uint8_t *v;
	size_t n;

	if (!pvf_state_get(s, (const uint8_t *)k, strlen(k), &v, &n))
		return NULL;
	assert_true(n < sizeof(buf));
	if (n)
		memcpy(buf, v, n);
	buf[n] = 0;
	return buf;
}

static void expect_val(pvf_state *s, const char *k, const char *want)
{
	const char *got = val(s, k);

	if (!want) {
		if (got)
			fail_msg("%s: expected absent, got \"%s\"", k, got);
		return;
	}
	if (!got)
		fail_msg("%s: expected \"%s\", absent", k, want);
	assert_string_equal(got, want);
}

static void unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void expect_root(pvf_state *s, pvf_trie_version v, const char *hex)
{
	uint8_t got[32], want[32];
	pvf_error err;

	unhex(hex, want);
	assert_int_equal(pvf_state_root(s, v, got, &err), 0);
	assert_memory_equal(got, want, 32);
}

/* ---- tests --------------------------------------------------------------- */

static void test_order_get_clear(void **state)
{
	/* inserted out of order; expected order: "" < 00 < "a" < "aa" < "ab" < "b" < ff */
	static const struct { const char *k; size_t n; } want[] = {
		{ "", 0 }, { "\x00", 1 }, { "a", 1 }, { "aa", 2 }, { "ab", 2 }, { "b", 1 }, { "\xff", 1 },
	};
	static const int ins[] = { 5, 2, 6, 0, 4, 1, 3 };
	pvf_state *s = new_state();
	const uint8_t *k, *v;
	size_t kl, vl;
	pvf_error err;

	(void)state;
	assert_int_equal(pvf_state_count(s), 0);
	assert_false(pvf_state_exists(s, (const uint8_t *)"a", 1));
	for (size_t i = 0; i < 7; i++)
		set_n(s, want[ins[i]].k, want[ins[i]].n, "v", 1);
	assert_int_equal(pvf_state_count(s), 7);
	for (size_t i = 0; i < 7; i++) {
		assert_true(pvf_state_at(s, i, &k, &kl, &v, &vl));
		assert_int_equal(kl, want[i].n);
		if (kl)
			assert_memory_equal(k, want[i].k, kl);
		assert_int_equal(vl, 1);
	}
	assert_false(pvf_state_at(s, 7, &k, &kl, &v, &vl));

	/* overwrite, empty value (present), clear */
	set(s, "a", "second");
	expect_val(s, "a", "second");
	set(s, "b", "");
	assert_true(pvf_state_exists(s, (const uint8_t *)"b", 1));
	expect_val(s, "b", "");
	clr(s, "b");
	assert_false(pvf_state_exists(s, (const uint8_t *)"b", 1));
	clr(s, "b"); /* absent: nothing */
	clr(s, "zz");
	assert_int_equal(pvf_state_count(s), 6);
	/* the empty key is a key */
	assert_true(pvf_state_exists(s, NULL, 0));
	assert_int_equal(pvf_state_clear(s, NULL, 0, &err), 0);
	assert_false(pvf_state_exists(s, NULL, 0));
	/* bad arguments */
	assert_int_equal(pvf_state_set(s, NULL, 3, (const uint8_t *)"x", 1, &err), -1);
	assert_int_equal(err.code, PVF_E_USAGE);
	assert_int_equal(pvf_state_new(NULL, &err), -1);
	pvf_state_free(s);
	pvf_state_free(NULL);
}

static void expect_next(pvf_state *s, const void *k, size_t kl, const char *want, size_t wn)
{
	const uint8_t *nk;
	size_t nl;

	if (!want) {
		assert_false(pvf_state_next_key(s, k, kl, &nk, &nl));
		return;
	}
	assert_true(pvf_state_next_key(s, k, kl, &nk, &nl));
	assert_int_equal(nl, wn);
	assert_memory_equal(nk, want, wn);
}

static void test_next_key(void **state)
{
	pvf_state *s = new_state();

	(void)state;
	expect_next(s, NULL, 0, NULL, 0); /* empty state */
	set_n(s, "", 0, "e", 1);
	set(s, "a", "1");
	set(s, "aa", "2");
	set(s, "ab", "3");
	set(s, "b", "4");
	set_n(s, "\x00", 1, "z", 1);
	set_n(s, "\xff\xff", 2, "f", 1);
	expect_next(s, NULL, 0, "\x00", 1);        /* strictly greater than "" */
	expect_next(s, "\x00", 1, "a", 1);
	expect_next(s, "a", 1, "aa", 2);
	expect_next(s, "a\x00", 2, "aa", 2);       /* absent key between */
	expect_next(s, "aa", 2, "ab", 2);
	expect_next(s, "ab", 2, "b", 1);
	expect_next(s, "ac", 2, "b", 1);
	expect_next(s, "b", 1, "\xff\xff", 2);
	expect_next(s, "\xff", 1, "\xff\xff", 2);  /* a prefix sorts first */
	expect_next(s, "\xff\xff", 2, NULL, 0);
	expect_next(s, "\xff\xff\x00", 3, NULL, 0);
	clr(s, "aa");
	expect_next(s, "a", 1, "ab", 2);
	pvf_state_free(s);
}

static void test_clear_prefix(void **state)
{
	pvf_state *s = new_state();
	size_t removed = 99;
	bool more = true;
	uint32_t lim;
	pvf_error err;

	(void)state;
	/* on the empty state (found by fuzz/fuzz_state.c: the sanitizer build
	 * flagged pointer arithmetic on the absent array), with and without a
	 * limit: nothing removed, nothing left */
	assert_int_equal(pvf_state_clear_prefix(s, (const uint8_t *)"", 0, NULL, &removed, &more, &err), 0);
	assert_int_equal(removed, 0);
	assert_false(more);
	lim = 1;
	assert_int_equal(pvf_state_clear_prefix(s, (const uint8_t *)"p", 1, &lim, &removed, &more, &err), 0);
	assert_int_equal(removed, 0);
	assert_false(more);
	set(s, "o", "0");
	set(s, "p1", "1");
	set(s, "p2", "2");
	set(s, "p3", "3");
	set(s, "p4", "4");
	set(s, "p", "5");
	set(s, "q", "6");
	/* limit 2: the first two keys in order ("p", "p1") */
	lim = 2;
	assert_int_equal(pvf_state_clear_prefix(s, (const uint8_t *)"p", 1, &lim, &removed, &more, &err), 0);
	assert_int_equal(removed, 2);
	assert_true(more);
	expect_val(s, "p", NULL);
	expect_val(s, "p1", NULL);
	expect_val(s, "p2", "2");
	/* limit 0 removes nothing, and says some remain */
	lim = 0;
	assert_int_equal(pvf_state_clear_prefix(s, (const uint8_t *)"p", 1, &lim, &removed, &more, &err), 0);
	assert_int_equal(removed, 0);
	assert_true(more);
	/* limit equal to what remains: all removed, none remain */
	lim = 3;
	assert_int_equal(pvf_state_clear_prefix(s, (const uint8_t *)"p", 1, &lim, &removed, &more, &err), 0);
	assert_int_equal(removed, 3);
	assert_false(more);
	expect_val(s, "o", "0");
	expect_val(s, "q", "6");
	/* nothing under the prefix */
	assert_int_equal(pvf_state_clear_prefix(s, (const uint8_t *)"p", 1, NULL, &removed, &more, &err), 0);
	assert_int_equal(removed, 0);
	assert_false(more);
	/* no limit; a prefix that is itself a key */
	set(s, "ab", "1");
	set(s, "abc", "2");
	set(s, "abd", "3");
	set(s, "ac", "4");
	assert_int_equal(pvf_state_clear_prefix(s, (const uint8_t *)"ab", 2, NULL, &removed, &more, &err), 0);
	assert_int_equal(removed, 3);
	assert_false(more);
	expect_val(s, "ac", "4");
	/* the empty prefix matches everything */
	assert_int_equal(pvf_state_clear_prefix(s, NULL, 0, NULL, &removed, NULL, &err), 0);
	assert_int_equal(removed, 3);
	assert_int_equal(pvf_state_count(s), 0);
	pvf_state_free(s);
}

/* The stored value of k must be compact(count) ++ count copies of item. */
static void expect_vec(pvf_state *s, const char *k, uint32_t count, const uint8_t *item, size_t n)
{
	uint8_t c[PVF_SCALE_COMPACT_MAX_LEN];
	size_t cl = pvf_scale_compact_encode(count, c);
	const uint8_t *v;
	size_t vl;

	assert_true(pvf_state_get(s, (const uint8_t *)k, strlen(k), &v, &vl));
	assert_int_equal(vl, cl + (size_t)count * n);
	assert_memory_equal(v, c, cl);
	for (uint32_t i = 0; i < count; i++)
		assert_memory_equal(v + cl + (size_t)i * n, item, n);
}

static void test_append(void **state)
{
	static const uint8_t item[4] = { 0xde, 0xad, 0xbe, 0xef };
	pvf_state *s = new_state();
	const uint8_t *v;
	size_t vl;
	uint8_t big[5] = { 0x03, 0xff, 0xff, 0xff, 0xff }; /* compact u32::MAX */
	uint8_t b16383[3] = { 0xfd, 0xff, 0x00 };         /* 16383 << 2 | 1, + a byte of data */

	(void)state;
	/* missing -> compact(1) ++ item */
	app_n(s, "k", item, 4);
	assert_true(pvf_state_get(s, (const uint8_t *)"k", 1, &v, &vl));
	assert_int_equal(vl, 5);
	assert_int_equal(v[0], 0x04);
	assert_memory_equal(v + 1, item, 4);
	/* up to 63 items the count is one byte [SCALE] */
	for (uint32_t n = 2; n <= 63; n++)
		app_n(s, "k", item, 4);
	expect_vec(s, "k", 63, item, 4);
	assert_true(pvf_state_get(s, (const uint8_t *)"k", 1, &v, &vl));
	assert_int_equal(v[0], 0xfc);
	assert_int_equal(vl, 1 + 63 * 4);
	/* the 64th item makes it two bytes: 64 << 2 | 1 = 0x0101 */
	app_n(s, "k", item, 4);
	assert_true(pvf_state_get(s, (const uint8_t *)"k", 1, &v, &vl));
	assert_int_equal(vl, 2 + 64 * 4);
	assert_int_equal(v[0], 0x01);
	assert_int_equal(v[1], 0x01);
	expect_vec(s, "k", 64, item, 4);
	for (uint32_t n = 65; n <= 300; n++)
		app_n(s, "k", item, 4);
	expect_vec(s, "k", 300, item, 4);
	/* an empty item counts too */
	app_n(s, "e", NULL, 0);
	app_n(s, "e", NULL, 0);
	expect_vec(s, "e", 2, NULL, 0);

	/* 16383 -> 16384: two bytes become four (16384 << 2 | 2) [SCALE] */
	set_n(s, "w", 1, b16383, sizeof(b16383));
	app_n(s, "w", "Z", 1);
	assert_true(pvf_state_get(s, (const uint8_t *)"w", 1, &v, &vl));
	assert_int_equal(vl, 4 + 2);
	assert_memory_equal(v, "\x02\x00\x01\x00\x00Z", 6);

	/* undecodable values are replaced by [item] [SPSM] */
	set_n(s, "u", 1, "\x01", 1);          /* two-byte mode, truncated */
	app_n(s, "u", item, 4);
	expect_vec(s, "u", 1, item, 4);
	app_n(s, "u", item, 4);
	expect_vec(s, "u", 2, item, 4);
	set_n(s, "u", 1, "\x01\x00", 2);      /* 0 in two-byte mode: not canonical */
	app_n(s, "u", item, 4);
	expect_vec(s, "u", 1, item, 4);
	set_n(s, "u", 1, "\x03\x00\x00\x00\x00\x01", 6); /* big-integer mode for a small value */
	app_n(s, "u", item, 4);
	expect_vec(s, "u", 1, item, 4);
	set_n(s, "u", 1, "", 0);              /* empty value: as missing */
	app_n(s, "u", item, 4);
	expect_vec(s, "u", 1, item, 4);
	set_n(s, "u", 1, big, sizeof(big));   /* no room for one more item */
	app_n(s, "u", item, 4);
	expect_vec(s, "u", 1, item, 4);
	/* a decodable count is just incremented, whatever follows it */
	set_n(s, "x", 1, "\x08junk", 5);
	app_n(s, "x", "!", 1);
	expect_val(s, "x", "\x0cjunk!");
	pvf_state_free(s);
}

static void test_transactions(void **state)
{
	pvf_state *s = new_state();
	size_t b0, removed;
	pvf_error err;

	(void)state;
	assert_int_equal(pvf_state_commit_transaction(s, &err), -1);
	assert_int_equal(err.code, PVF_E_USAGE);
	assert_non_null(strstr(err.msg, "no open transaction"));
	assert_int_equal(pvf_state_rollback_transaction(s, &err), -1);
	assert_int_equal(err.code, PVF_E_USAGE);

	set(s, "a", "1");
	set(s, "c", "c");
	set(s, "l", "\x04x");
	b0 = pvf_state_bytes(s);
	assert_int_equal(pvf_state_start_transaction(s, &err), 0);
	set(s, "a", "2");
	set(s, "a", "22");
	set(s, "b", "1");
	clr(s, "c");
	app_n(s, "l", "y", 1);
	assert_int_equal(pvf_state_depth(s), 1);
	assert_int_equal(pvf_state_start_transaction(s, &err), 0);
	set(s, "a", "3");
	clr(s, "b");
	set(s, "c", "again");
	app_n(s, "l", "z", 1);
	app_n(s, "l", "z", 1);
	app_n(s, "n", "q", 1);
	assert_int_equal(pvf_state_depth(s), 2);
	assert_int_equal(pvf_state_rollback_transaction(s, &err), 0);
	expect_val(s, "a", "22");
	expect_val(s, "b", "1");
	expect_val(s, "c", NULL);
	expect_val(s, "l", "\x08xy");
	expect_val(s, "n", NULL);
	assert_int_equal(pvf_state_depth(s), 1);
	/* inner commit, then the outer rollback undoes both */
	assert_int_equal(pvf_state_start_transaction(s, &err), 0);
	set(s, "a", "4");
	set(s, "d", "4");
	assert_int_equal(pvf_state_commit_transaction(s, &err), 0);
	expect_val(s, "a", "4");
	expect_val(s, "d", "4");
	set(s, "a", "5");
	assert_int_equal(pvf_state_rollback_transaction(s, &err), 0);
	assert_int_equal(pvf_state_depth(s), 0);
	expect_val(s, "a", "1");
	expect_val(s, "b", NULL);
	expect_val(s, "c", "c");
	expect_val(s, "d", NULL);
	expect_val(s, "l", "\x04x");
	assert_int_equal(pvf_state_count(s), 3);
	assert_int_equal(pvf_state_bytes(s), b0);

	/* committed to depth 0: kept */
	assert_int_equal(pvf_state_start_transaction(s, &err), 0);
	assert_int_equal(pvf_state_start_transaction(s, &err), 0);
	set(s, "e", "5");
	assert_int_equal(pvf_state_commit_transaction(s, &err), 0);
	clr(s, "a");
	assert_int_equal(pvf_state_commit_transaction(s, &err), 0);
	expect_val(s, "e", "5");
	expect_val(s, "a", NULL);
	assert_int_equal(pvf_state_rollback_transaction(s, &err), -1);

	/* clear_prefix inside a transaction is undone by the rollback */
	set(s, "p1", "1");
	set(s, "p2", "2");
	set(s, "p3", "3");
	b0 = pvf_state_bytes(s);
	assert_int_equal(pvf_state_start_transaction(s, &err), 0);
	set(s, "p2", "changed");
	assert_int_equal(pvf_state_clear_prefix(s, (const uint8_t *)"p", 1, NULL, &removed, NULL, &err), 0);
	assert_int_equal(removed, 3);
	set(s, "p4", "4");
	assert_int_equal(pvf_state_rollback_transaction(s, &err), 0);
	expect_val(s, "p1", "1");
	expect_val(s, "p2", "2");
	expect_val(s, "p3", "3");
	expect_val(s, "p4", NULL);
	assert_int_equal(pvf_state_bytes(s), b0);
	/* a transaction left open is freed with the state */
	assert_int_equal(pvf_state_start_transaction(s, &err), 0);
	set(s, "p2", "open");
	pvf_state_free(s);
}

static void test_budget(void **state)
{
	pvf_state *s = new_state();
	uint8_t big[4096] = { 0 };
	pvf_error err;
	size_t b;

	(void)state;
	set(s, "a", "1");
	b = pvf_state_bytes(s);
	assert_true(b > 0);
	pvf_state_set_max_bytes(s, b + 1000);
	/* too big: refused, the state unchanged */
	assert_int_equal(pvf_state_set(s, (const uint8_t *)"b", 1, big, sizeof(big), &err), -1);
	assert_int_equal(err.code, PVF_E_NOMEM);
	assert_non_null(strstr(err.msg, "would exceed"));
	assert_int_equal(pvf_state_append(s, (const uint8_t *)"a", 1, big, sizeof(big), &err), -1);
	assert_int_equal(err.code, PVF_E_NOMEM);
	assert_int_equal(pvf_state_bytes(s), b);
	assert_int_equal(pvf_state_count(s), 1);
	expect_val(s, "a", "1");
	/* small changes fit */
	set(s, "b", "2");
	/* the undo log counts too */
	pvf_state_set_max_bytes(s, pvf_state_bytes(s) + 100);
	assert_int_equal(pvf_state_start_transaction(s, &err), 0);
	assert_int_equal(pvf_state_set(s, (const uint8_t *)"a", 1, big, 90, &err), -1);
	assert_int_equal(err.code, PVF_E_NOMEM);
	assert_int_equal(pvf_state_rollback_transaction(s, &err), 0);
	pvf_state_set_max_bytes(s, 0);
	assert_int_equal(pvf_state_set(s, (const uint8_t *)"b", 1, big, sizeof(big), &err), 0);
	pvf_state_free(s);
}

static void test_root(void **state)
{
	pvf_state *s = new_state();
	uint8_t got[32], want[32], longv[40];
	pvf_trie_entry e[4];
	pvf_error err;

	(void)state;
	expect_root(s, PVF_TRIE_V0, EMPTY_ROOT); /* [EMPTY] */
	expect_root(s, PVF_TRIE_V1, EMPTY_ROOT);
	/* [W3F] row 0, "static" written twice: the later value is the one */
	set(s, "static", "Inverse");
	set(s, "even-keeled", "Future-proofed");
	set(s, "static", "even-keeled");
	expect_root(s, PVF_TRIE_V0, "1192e3ed48d28fba2eeae885fa367c535eca6a149eafad982265586902783d4f");

	/* a few pairs, one value past the V1 threshold: as pvf_trie_root */
	memset(longv, 0x5a, sizeof(longv));
	set_n(s, "\x01", 1, longv, sizeof(longv));
	set_n(s, "", 0, "root", 4);
	e[0] = (pvf_trie_entry){ (const uint8_t *)"static", 6, (const uint8_t *)"even-keeled", 11 };
	e[1] = (pvf_trie_entry){ (const uint8_t *)"even-keeled", 11, (const uint8_t *)"Future-proofed", 14 };
	e[2] = (pvf_trie_entry){ (const uint8_t *)"\x01", 1, longv, sizeof(longv) };
	e[3] = (pvf_trie_entry){ (const uint8_t *)"", 0, (const uint8_t *)"root", 4 };
	for (int v = 0; v < 2; v++) {
		assert_int_equal(pvf_trie_blake2_256_root(e, 4, (pvf_trie_version)v, want, &err), 0);
		assert_int_equal(pvf_state_root(s, (pvf_trie_version)v, got, &err), 0);
		assert_memory_equal(got, want, 32);
	}
	/* the 40-byte value is hashed under V1 only: the two roots differ */
	assert_int_equal(pvf_state_root(s, PVF_TRIE_V0, want, &err), 0);
	assert_memory_not_equal(got, want, 32);
	/* clearing everything gives the empty root again */
	assert_int_equal(pvf_state_clear_prefix(s, NULL, 0, NULL, NULL, NULL, &err), 0);
	expect_root(s, PVF_TRIE_V1, EMPTY_ROOT);
	pvf_state_free(s);
}

/* ---- randomised, against a reference model --------------------------------- */

/* Keys: every string of length 0..2 over {00, 01, ff} (13 keys). The
 * reference keeps one optional value per key; a transaction is a full
 * snapshot of it. */
#define NKEYS 13
#define MAXTX 8

typedef struct ref {
	bool present[NKEYS];
	uint8_t *val[NKEYS];
	size_t len[NKEYS];
} ref;

typedef struct rkey {
	uint8_t k[2];
	size_t n;
} rkey;

static rkey g_keys[NKEYS]; /* in key order */
static uint64_t g_rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return (uint32_t)(g_rng % n);
}

static int rkey_cmp(const void *a, const void *b)
{
	const rkey *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = n ? memcmp(x->k, y->k, n) : 0;

	return c ? c : (int)x->n - (int)y->n;
}

static void make_keys(void)
{
	static const uint8_t alpha[3] = { 0x00, 0x01, 0xff };
	size_t n = 0;

	g_keys[n++].n = 0;
	for (int i = 0; i < 3; i++) {
		g_keys[n].k[0] = alpha[i];
		g_keys[n++].n = 1;
	}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			g_keys[n].k[0] = alpha[i];
			g_keys[n].k[1] = alpha[j];
			g_keys[n++].n = 2;
		}
	qsort(g_keys, NKEYS, sizeof(rkey), rkey_cmp);
}

static void ref_put(ref *r, int i, const uint8_t *v, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	assert_non_null(c);
	if (n)
		memcpy(c, v, n);
	free(r->val[i]);
	r->val[i] = c;
	r->len[i] = n;
	r->present[i] = true;
}

static void ref_del(ref *r, int i)
{
	free(r->val[i]);
	r->val[i] = NULL;
	r->len[i] = 0;
	r->present[i] = false;
}

static void ref_copy(ref *dst, const ref *src)
{
	for (int i = 0; i < NKEYS; i++) {
		ref_del(dst, i);
		if (src->present[i])
			ref_put(dst, i, src->val[i], src->len[i]);
	}
}

static void ref_free(ref *r)
{
	for (int i = 0; i < NKEYS; i++)
		ref_del(r, i);
}

/* StorageAppend, written out separately from state.c. */
static void ref_append(ref *r, int i, const uint8_t *item, size_t n)
{
	uint8_t buf[8192], c[PVF_SCALE_COMPACT_MAX_LEN];
	pvf_scale_reader rd;
	uint32_t count;
	size_t cl, body = 0, off = 0;
	bool ok = false;

	if (r->present[i] && r->len[i]) {
		pvf_scale_reader_init(&rd, r->val[i], r->len[i], PVF_E_MALFORMED, NULL);
		ok = pvf_scale_read_compact_u32(&rd, &count, NULL) == 0 && count != UINT32_MAX;
		off = rd.pos;
	}
	if (!ok) {
		count = 0;
		off = 0;
	} else {
		body = r->len[i] - off;
	}
	cl = pvf_scale_compact_encode((uint64_t)count + 1, c);
	assert_true(cl + body + n <= sizeof(buf));
	memcpy(buf, c, cl);
	if (body)
		memcpy(buf + cl, r->val[i] + off, body);
	if (n)
		memcpy(buf + cl + body, item, n);
	ref_put(r, i, buf, cl + body + n);
}

static bool is_prefix(const rkey *p, const rkey *k)
{
	return k->n >= p->n && (p->n == 0 || memcmp(k->k, p->k, p->n) == 0);
}

static void compare(pvf_state *s, const ref *r)
{
	size_t j = 0;

	for (int i = 0; i < NKEYS; i++) {
		const uint8_t *k, *v;
		size_t kl, vl;

		if (!r->present[i]) {
			assert_false(pvf_state_exists(s, g_keys[i].k, g_keys[i].n));
			continue;
		}
		assert_true(pvf_state_at(s, j++, &k, &kl, &v, &vl));
		assert_int_equal(kl, g_keys[i].n);
		if (kl)
			assert_memory_equal(k, g_keys[i].k, kl);
		assert_int_equal(vl, r->len[i]);
		if (vl)
			assert_memory_equal(v, r->val[i], vl);
	}
	assert_int_equal(pvf_state_count(s), j);
}

static void test_random_model(void **state)
{
	pvf_state *s = new_state();
	ref cur = { 0 }, snap[MAXTX];
	int depth = 0;
	pvf_error err;

	(void)state;
	memset(snap, 0, sizeof(snap));
	make_keys();
	for (int step = 0; step < 20000; step++) {
		int op = (int)rnd(100), i = (int)rnd(NKEYS);
		uint8_t v[6];
		size_t vn = rnd(7);

		for (size_t b = 0; b < vn; b++)
			v[b] = (uint8_t)rnd(256);
		if (op < 25) {
			set_n(s, g_keys[i].k, g_keys[i].n, v, vn);
			ref_put(&cur, i, v, vn);
		} else if (op < 40) {
			assert_int_equal(pvf_state_clear(s, g_keys[i].k, g_keys[i].n, &err), 0);
			ref_del(&cur, i);
		} else if (op < 62) {
			if (cur.present[i] && cur.len[i] > 4000)
				continue;
			assert_int_equal(pvf_state_append(s, g_keys[i].k, g_keys[i].n, v, vn, &err), 0);
			ref_append(&cur, i, v, vn);
		} else if (op < 68) {
			uint32_t lim = rnd(4);
			bool use_lim = rnd(2), more;
			size_t removed, want = 0, matching = 0;

			assert_int_equal(pvf_state_clear_prefix(s, g_keys[i].k, g_keys[i].n, use_lim ? &lim : NULL,
								&removed, &more, &err), 0);
			for (int j = 0; j < NKEYS; j++) {
				if (!cur.present[j] || !is_prefix(&g_keys[i], &g_keys[j]))
					continue;
				matching++;
				if (!use_lim || want < lim) {
					ref_del(&cur, j);
					want++;
				}
			}
			assert_int_equal(removed, want);
			assert_int_equal(more, matching > want);
		} else if (op < 80) {
			if (depth == MAXTX)
				continue;
			assert_int_equal(pvf_state_start_transaction(s, &err), 0);
			ref_copy(&snap[depth++], &cur);
		} else if (op < 90) {
			if (!depth) {
				assert_int_equal(pvf_state_commit_transaction(s, &err), -1);
				continue;
			}
			assert_int_equal(pvf_state_commit_transaction(s, &err), 0);
			depth--;
		} else {
			if (!depth) {
				assert_int_equal(pvf_state_rollback_transaction(s, &err), -1);
				continue;
			}
			assert_int_equal(pvf_state_rollback_transaction(s, &err), 0);
			ref_copy(&cur, &snap[--depth]);
		}
		assert_int_equal(pvf_state_depth(s), (size_t)depth);
		compare(s, &cur);
		/* next_key agrees with the reference order */
		{
			int from = (int)rnd(NKEYS), j;
			const uint8_t *nk;
			size_t nl;
			bool got = pvf_state_next_key(s, g_keys[from].k, g_keys[from].n, &nk, &nl);

			for (j = from + 1; j < NKEYS && !cur.present[j]; j++)
				;
			assert_int_equal(got, j < NKEYS);
			if (got) {
				assert_int_equal(nl, g_keys[j].n);
				if (nl)
					assert_memory_equal(nk, g_keys[j].k, nl);
			}
		}
	}
	/* unwinding everything returns to the committed state */
	while (depth) {
		assert_int_equal(pvf_state_rollback_transaction(s, &err), 0);
		ref_copy(&cur, &snap[--depth]);
		compare(s, &cur);
	}
	ref_free(&cur);
	for (int d = 0; d < MAXTX; d++)
		ref_free(&snap[d]);
	pvf_state_free(s);
}

/* Many keys in random order stay sorted and findable. */
static void test_many_keys(void **state)
{
	pvf_state *s = new_state();
	const uint8_t *k, *pk = NULL;
	size_t kl, pl = 0;
	uint8_t key[8];
	pvf_error err;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		uint32_t x = rnd(1000000);
		size_t n = 1 + rnd(8);

		for (size_t b = 0; b < n; b++)
			key[b] = (uint8_t)(x >> (b % 4 * 8));
		set_n(s, key, n, key, n);
		assert_true(pvf_state_exists(s, key, n));
	}
	for (size_t i = 0; pvf_state_at(s, i, &k, &kl, NULL, NULL); i++) {
		if (i > 0) {
			size_t m = kl < pl ? kl : pl;
			int c = m ? memcmp(pk, k, m) : 0;
			assert_true(c < 0 || (c == 0 && pl < kl));
		}
		pk = k;
		pl = kl;
	}
	assert_int_equal(pvf_state_clear_prefix(s, NULL, 0, NULL, NULL, NULL, &err), 0);
	assert_int_equal(pvf_state_count(s), 0);
	pvf_state_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_get_clear),
		cmocka_unit_test(test_next_key),
		cmocka_unit_test(test_clear_prefix),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_many_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
