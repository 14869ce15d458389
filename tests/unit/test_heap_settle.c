/*
 * test_heap_settle.c — pvf__heap_settle (src/worker/heap_settle.c) leaves
 * no free block in malloc's heap but the top, so that later allocations
 * are cut one after another from the top.
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/asan.h"
#include "worker/heap_settle.h"

#define NBLOCKS 400
#define NAFTER 8
#define AFTER_SIZE 2000 /* above malloc's per-thread cache: from the bins or the top */

static void test_settle(void **state)
{
	static void *keep[NBLOCKS];
	uint8_t *after[NAFTER];

	(void)state;
#ifdef PVF_UNDER_ASAN
	skip(); /* the sanitizer's allocator is not malloc's heap */
#endif
	/* A fragmented heap: blocks of many sizes, every other one freed. */
	for (int i = 0; i < NBLOCKS; i++)
		keep[i] = malloc(32 + (size_t)(i * 37) % 3000);
	for (int i = 0; i < NBLOCKS; i += 2) {
		free(keep[i]);
		keep[i] = NULL;
	}
	struct mallinfo2 before = mallinfo2();
	assert_true(before.ordblks > 1);

	size_t taken = pvf__heap_settle();
	struct mallinfo2 mi = mallinfo2();
	fprintf(stderr, "# %zu free blocks before (%zu bytes besides the top), %zu pieces taken\n",
		before.ordblks, before.fordblks - before.keepcost, taken);
	assert_true(taken > 0);
	assert_int_equal(mi.ordblks, 1);
	assert_int_equal(mi.smblks, 0);

	/* What is allocated next comes from the top: each block right after
	 * the one before. */
	for (int i = 0; i < NAFTER; i++)
		after[i] = malloc(AFTER_SIZE);
	for (int i = 1; i < NAFTER; i++) {
		ptrdiff_t gap = after[i] - after[i - 1];
		if (gap < AFTER_SIZE || gap > AFTER_SIZE + 32)
			fail_msg("block %d is %td bytes after the one before", i, gap);
	}
	for (int i = 0; i < NAFTER; i++)
		free(after[i]);
	for (int i = 0; i < NBLOCKS; i++)
		free(keep[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
