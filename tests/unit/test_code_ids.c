/*
 * test_code_ids.c — the code-hash memo: the hash is BLAKE2b-256 of the
 * bytes (checked against libsodium), remembered only for identical bytes,
 * evicted least recently used first, within its entry and byte limits;
 * shared copies that outlive their eviction; safe to use from several
 * threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "host/code_ids.h"

static void blob(uint8_t *b, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
}

/* Hashes through the memo and checks the result against libsodium;
 * returns whether the memo remembered it. */
static int hash_checked(pvf_code_ids *c, const uint8_t *b, size_t n)
{
	uint8_t got[32], want[32];
	int r = pvf_code_ids_hash(c, b, n, got);
	crypto_generichash(want, 32, b, n, NULL, 0);
	assert_memory_equal(got, want, 32);
	return r;
}

static void test_identical_bytes_only(void **state)
{
	uint8_t a[4096], copy[4096];
	(void)state;

	pvf_code_ids *c = pvf_code_ids_new(4, 1 << 20);
	assert_non_null(c);
	blob(a, sizeof(a), 1);
	memcpy(copy, a, sizeof(a));
	assert_int_equal(hash_checked(c, a, sizeof(a)), 0);
	/* Same bytes in another buffer: remembered. */
	assert_int_equal(hash_checked(c, copy, sizeof(copy)), 1);
	/* The last byte differs: hashed, not taken for the first. */
	copy[sizeof(copy) - 1] ^= 1;
	assert_int_equal(hash_checked(c, copy, sizeof(copy)), 0);
	assert_int_equal(hash_checked(c, copy, sizeof(copy)), 1);
	/* A prefix is another blob. */
	assert_int_equal(hash_checked(c, a, sizeof(a) - 1), 0);
	/* The empty blob is hashed every time. */
	assert_int_equal(hash_checked(c, a, 0), 0);
	assert_int_equal(hash_checked(c, a, 0), 0);
	pvf_code_ids_free(c);
}

static void test_least_recently_used_evicted(void **state)
{
	uint8_t b[3][1000];
	(void)state;

	for (int i = 0; i < 3; i++)
		blob(b[i], sizeof(b[i]), 10u + (uint32_t)i);
	pvf_code_ids *c = pvf_code_ids_new(2, 1 << 20);
	assert_non_null(c);
	assert_int_equal(hash_checked(c, b[0], 1000), 0);
	assert_int_equal(hash_checked(c, b[1], 1000), 0);
	assert_int_equal(hash_checked(c, b[0], 1000), 1);   /* b[1] is now the oldest */
	assert_int_equal(hash_checked(c, b[2], 1000), 0);   /* evicts b[1] */
	assert_int_equal(hash_checked(c, b[0], 1000), 1);
	assert_int_equal(hash_checked(c, b[2], 1000), 1);
	assert_int_equal(hash_checked(c, b[1], 1000), 0);
	pvf_code_ids_free(c);
}

static void test_byte_limit(void **state)
{
	uint8_t x[600], y[600], big[2000];
	(void)state;

	blob(x, sizeof(x), 20);
	blob(y, sizeof(y), 21);
	blob(big, sizeof(big), 22);
	pvf_code_ids *c = pvf_code_ids_new(8, 1000);
	assert_non_null(c);
	/* Bigger than the whole memo: never remembered. */
	assert_int_equal(hash_checked(c, big, sizeof(big)), 0);
	assert_int_equal(hash_checked(c, big, sizeof(big)), 0);
	/* Two of 600 bytes do not fit in 1,000: the older goes. */
	assert_int_equal(hash_checked(c, x, sizeof(x)), 0);
	assert_int_equal(hash_checked(c, y, sizeof(y)), 0);
	assert_int_equal(hash_checked(c, y, sizeof(y)), 1);
	assert_int_equal(hash_checked(c, x, sizeof(x)), 0);
	pvf_code_ids_free(c);
}

/* Shared copies: a remembered blob is handed out as the memo's own copy
 * (the same object each time), which outlives its eviction; a blob the memo
 * cannot hold gets a copy of its own. */
static void test_shared_copies(void **state)
{
	uint8_t a[800], b[800], big[3000], h1[32], h2[32], want[32];
	pvf_code_ref *r1 = NULL, *r2 = NULL, *r3 = NULL, *rb1 = NULL, *rb2 = NULL;
	(void)state;

	blob(a, sizeof(a), 40);
	blob(b, sizeof(b), 41);
	blob(big, sizeof(big), 42);
	pvf_code_ids *c = pvf_code_ids_new(1, 1000);
	assert_non_null(c);
	assert_int_equal(pvf_code_ids_share(c, a, sizeof(a), h1, &r1), 0);
	assert_int_equal(pvf_code_ids_share(c, a, sizeof(a), h2, &r2), 1);
	crypto_generichash(want, 32, a, sizeof(a), NULL, 0);
	assert_memory_equal(h1, want, 32);
	assert_memory_equal(h2, want, 32);
	assert_ptr_equal(r1, r2);
	assert_int_equal(pvf_code_ref_len(r1), sizeof(a));
	assert_memory_equal(pvf_code_ref_bytes(r1), a, sizeof(a));
	/* b evicts a (one entry): a's copy lives on in its references. */
	assert_int_equal(pvf_code_ids_share(c, b, sizeof(b), h1, &r3), 0);
	assert_memory_equal(pvf_code_ref_bytes(r1), a, sizeof(a));
	pvf_code_ref_drop(r1);
	assert_memory_equal(pvf_code_ref_bytes(r2), a, sizeof(a));
	pvf_code_ref_drop(r2);
	/* Too big to remember: a new copy each time, still the right hash. */
	assert_int_equal(pvf_code_ids_share(c, big, sizeof(big), h1, &rb1), 0);
	assert_int_equal(pvf_code_ids_share(c, big, sizeof(big), h2, &rb2), 0);
	crypto_generichash(want, 32, big, sizeof(big), NULL, 0);
	assert_memory_equal(h2, want, 32);
	assert_ptr_not_equal(rb1, rb2);
	assert_memory_equal(pvf_code_ref_bytes(rb2), big, sizeof(big));
	pvf_code_ref_drop(rb1);
	pvf_code_ref_drop(rb2);
	/* The memo goes before the last reference to what it held. */
	pvf_code_ids_free(c);
	assert_memory_equal(pvf_code_ref_bytes(r3), b, sizeof(b));
	pvf_code_ref_drop(r3);
	pvf_code_ref_drop(NULL);
}

typedef struct worker_arg {
	pvf_code_ids *c;
	uint8_t (*b)[5000];
	uint8_t (*want)[32];
	int bad;
} worker_arg;

static void *hammer(void *p)
{
	worker_arg *w = p;
	uint8_t got[32];

	for (int i = 0; i < 400; i++) {
		int k = i % 6;
		pvf_code_ref *r = NULL;
		if (i & 1)
			pvf_code_ids_hash(w->c, w->b[k], sizeof(w->b[k]), got);
		else if (pvf_code_ids_share(w->c, w->b[k], sizeof(w->b[k]), got, &r) < 0 ||
			 pvf_code_ref_len(r) != sizeof(w->b[k]) ||
			 memcmp(pvf_code_ref_bytes(r), w->b[k], sizeof(w->b[k])) != 0)
			w->bad++;
		pvf_code_ref_drop(r);
		if (memcmp(got, w->want[k], 32) != 0)
			w->bad++;
	}
	return NULL;
}

/* Six blobs through a four-entry memo from four threads: every answer is
 * the blob's own hash, every shared copy the blob's bytes. */
static void test_threads(void **state)
{
	static uint8_t b[6][5000];
	uint8_t want[6][32];
	pthread_t th[4];
	worker_arg w[4];
	(void)state;

	for (int i = 0; i < 6; i++) {
		blob(b[i], sizeof(b[i]), 30u + (uint32_t)i);
		/* Same length, same first 4,000 bytes: the comparison must
		 * read to the end. */
		if (i)
			memcpy(b[i], b[0], 4000);
		crypto_generichash(want[i], 32, b[i], sizeof(b[i]), NULL, 0);
	}
	pvf_code_ids *c = pvf_code_ids_new(4, 1 << 20);
	assert_non_null(c);
	for (int t = 0; t < 4; t++) {
		w[t] = (worker_arg){ c, b, want, 0 };
		assert_int_equal(pthread_create(&th[t], NULL, hammer, &w[t]), 0);
	}
	for (int t = 0; t < 4; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		assert_int_equal(w[t].bad, 0);
	}
	pvf_code_ids_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_bytes_only),
		cmocka_unit_test(test_least_recently_used_evicted),
		cmocka_unit_test(test_byte_limit),
		cmocka_unit_test(test_shared_copies),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
