/*
 * heap_settle.c — leaving an execute worker's heap in the state that costs
 * its jobs the fewest page copies.
 *
 * Once the worker has loaded its artifact and locked itself, a served
 * request no longer calls malloc in the worker (its frames are in iobufs),
 * so the heap each job inherits stays the same from job to job. Free
 * blocks left scattered over it (some 40, 66 KB, after the artifact load
 * and the filter build) would serve the jobs' allocations, each one writing
 * its block and its neighbours in malloc's lists: pages the job shares with
 * the worker and must copy (9 per job on the heap, 5 once the blocks are
 * taken; the rest are in malloc's per-thread cache, which this leaves). So
 * every free block but the top is taken, and a job's allocations are cut
 * one after another from the top, on a few pages. docs/performance.md,
 * execute path, step 32.
 */
#include "worker/heap_settle.h"

#include <malloc.h>
#include <stdlib.h>

size_t pvf__heap_settle(void)
{
	size_t taken = 0;

	/* One allocation larger than any free block sorts the blocks that
	 * frees left in malloc's unsorted list into its bins (without it the
	 * jobs copy more pages). volatile: the compiler drops a bare
	 * free(malloc()) and an unused malloc. */
	void *volatile sort = malloc(96u << 10);
	free(sort);
	/* Then small pieces until only the top is free: a request larger than
	 * every free block would be cut from the top instead. mallinfo2 counts
	 * the top as one free block (ordblks) and fast-bin blocks apart
	 * (smblks). The bound only guards against a malloc that never reports
	 * an empty heap. */
	for (int n = 0; n < (1 << 18); n++) {
		struct mallinfo2 mi = mallinfo2();
		if (mi.ordblks <= 1 && mi.smblks == 0)
			break;
		void *volatile block = malloc(16);
		if (!block)
			break;
		taken++;
	}
	return taken;
}
