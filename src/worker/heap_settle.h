/*
 * heap_settle.h — leaving an execute worker's heap in the state that costs
 * its jobs the fewest page copies.
 */
#ifndef PVF_WORKER_HEAP_SETTLE_H
#define PVF_WORKER_HEAP_SETTLE_H

#include <stddef.h>

/* Takes every free block of malloc's main heap except its top, so that the
 * allocations made after it (in the forked jobs) are cut one after another
 * from the top. Call once, when the worker itself allocates no more.
 * Returns the number of blocks of 16 bytes taken (they are never freed);
 * under a malloc that does not report its free blocks, nothing is taken. */
size_t pvf__heap_settle(void);

#endif
