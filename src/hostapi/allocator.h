/*
 * allocator.h — Substrate's freeing-bump heap allocator for wasm linear
 * memory (the semantics of polkadot-sdk
 * substrate/client/allocator/src/freeing_bump.rs, on-chain context).
 *
 * The heap starts at align8(heap_base). A request of `size` bytes is rounded
 * up to a power of two between 8 B and 32 MiB (order = log2(size) - 3, 23
 * orders); sizes below 8 (including 0) become 8, sizes above 32 MiB fail.
 * Each block is preceded by an 8-byte little-endian header:
 *   occupied: order | 1 << 32          free: next-free header pointer
 *                                             (0xFFFFFFFF = end of list)
 * Freed blocks go on a LIFO list per order and are reused before bumping;
 * the bump pointer never goes back. When the bump would pass the end of
 * memory, memory grows to max(min(2 x current pages, max pages), pages
 * needed); failing that, the request fails.
 * Any error (request too large, out of space, memory shrank, double free or
 * a pointer without an occupied header, corrupted free list) poisons the
 * allocator: every later call fails.
 *
 * The allocator reaches memory only through pvf_alloc_memory; the base
 * pointer is re-read after every grow. All errors are PVF_E_TRAP (the host
 * function turns them into a wasm trap, as Substrate does).
 */
#ifndef PVF_HOSTAPI_ALLOCATOR_H
#define PVF_HOSTAPI_ALLOCATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

#define PVF_ALLOC_PAGE_SIZE 65536u
#define PVF_ALLOC_HEADER_SIZE 8u
#define PVF_ALLOC_ALIGNMENT 8u
#define PVF_ALLOC_MIN_SIZE 8u                   /* order 0 */
#define PVF_ALLOC_MAX_SIZE (32u * 1024 * 1024)  /* MAX_POSSIBLE_ALLOCATION */
#define PVF_ALLOC_N_ORDERS 23u                  /* 2^3 .. 2^25 */
#define PVF_ALLOC_NIL 0xFFFFFFFFu               /* end of a free list */
#define PVF_ALLOC_OCCUPIED_BIT (UINT64_C(1) << 32)
#define PVF_ALLOC_WASM_MAX_PAGES 65536u         /* 4 GiB, the wasm32 limit */
#define PVF_ALLOC_DEFAULT_MAX_PAGES 2080u       /* Polkadot default heap: 32 + 2,048 */

typedef struct pvf_alloc_memory {
	void *ctx;
	uint8_t *(*base)(void *ctx);         /* may change after grow() */
	uint64_t (*size)(void *ctx);         /* bytes; a multiple of the page size */
	int (*grow)(void *ctx, uint32_t pages); /* 0 on success, < 0 on failure */
} pvf_alloc_memory;

typedef struct pvf_alloc_stats {
	uint32_t bytes_allocated;      /* now, headers included */
	uint32_t bytes_allocated_peak;
	uint64_t bytes_allocated_sum;  /* every allocation ever made */
	uint32_t address_space_used;   /* bumper - heap base */
} pvf_alloc_stats;

typedef struct pvf_allocator {
	uint32_t heap_base;   /* aligned */
	uint64_t bumper;      /* <= memory size <= 4 GiB, so it can reach 2^32 */
	uint32_t free_lists[PVF_ALLOC_N_ORDERS];
	uint32_t max_pages;
	uint64_t last_observed_size;
	bool poisoned;
	pvf_alloc_stats stats;
} pvf_allocator;

/* max_pages = 0 selects PVF_ALLOC_DEFAULT_MAX_PAGES; values above
 * PVF_ALLOC_WASM_MAX_PAGES are clamped to it. */
void pvf_alloc_init(pvf_allocator *a, uint32_t heap_base, uint32_t max_pages);
int pvf_alloc_malloc(pvf_allocator *a, const pvf_alloc_memory *mem, uint32_t size,
		     uint32_t *ret_ptr, pvf_error *err);
int pvf_alloc_free(pvf_allocator *a, const pvf_alloc_memory *mem, uint32_t ptr, pvf_error *err);
pvf_alloc_stats pvf_alloc_get_stats(const pvf_allocator *a);
bool pvf_alloc_is_poisoned(const pvf_allocator *a);
/* Order for a request (0 .. 22), or -1 if it is over PVF_ALLOC_MAX_SIZE. */
int pvf_alloc_order_of(uint32_t size);

#endif
