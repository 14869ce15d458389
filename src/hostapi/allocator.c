/*
 * allocator.c — the freeing-bump allocator (rules in allocator.h).
 *
 * Memory layout (addresses grow to the right):
 *
 *   0 .. heap_base | hdr|block | hdr|block | ... | (unused) ........ | end
 *                  ^ align8(heap_base)            ^ bumper           ^ mem->size()
 *
 * Per-call state machine (mirrors Substrate's PoisonBomb):
 *
 *   READY --malloc/free ok--> READY
 *   READY --any error-------> POISONED (fail(): sets a->poisoned)
 *   POISONED --any call-----> POISONED (error "the allocator has been poisoned")
 *
 * Invariants: heap_base <= bumper <= memory size (as last observed);
 * free_lists[o] is PVF_ALLOC_NIL or the header address of a free block of
 * order o; headers are read and written only through read_header() /
 * write_header(), which check `ptr + 8` against the current memory size.
 */
#include "hostapi/allocator.h"

#include <string.h>

static uint32_t order_size(uint32_t order)
{
	return PVF_ALLOC_MIN_SIZE << order;
}

int pvf_alloc_order_of(uint32_t size)
{
	if (size > PVF_ALLOC_MAX_SIZE)
		return -1;
	if (size < PVF_ALLOC_MIN_SIZE)
		size = PVF_ALLOC_MIN_SIZE;
	/* next power of two, then log2 - 3 */
	uint32_t log2 = 32 - (uint32_t)__builtin_clz(size - 1);
	return (int)log2 - 3;
}

void pvf_alloc_init(pvf_allocator *a, uint32_t heap_base, uint32_t max_pages)
{
	memset(a, 0, sizeof(*a));
	/* align up in 64 bits: heap_base near 2^32 must not wrap */
	uint64_t aligned = ((uint64_t)heap_base + PVF_ALLOC_ALIGNMENT - 1) / PVF_ALLOC_ALIGNMENT *
			   PVF_ALLOC_ALIGNMENT;
	a->heap_base = aligned > UINT32_MAX ? UINT32_MAX : (uint32_t)aligned;
	a->bumper = aligned;
	for (uint32_t i = 0; i < PVF_ALLOC_N_ORDERS; i++)
		a->free_lists[i] = PVF_ALLOC_NIL;
	if (max_pages == 0)
		max_pages = PVF_ALLOC_DEFAULT_MAX_PAGES;
	if (max_pages > PVF_ALLOC_WASM_MAX_PAGES)
		max_pages = PVF_ALLOC_WASM_MAX_PAGES;
	a->max_pages = max_pages;
}

pvf_alloc_stats pvf_alloc_get_stats(const pvf_allocator *a)
{
	return a->stats;
}

bool pvf_alloc_is_poisoned(const pvf_allocator *a)
{
	return a->poisoned;
}

/* Every error path: poison, then report. */
static int fail(pvf_allocator *a, pvf_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(pvf_allocator *a, pvf_error *err, const char *fmt, ...)
{
	va_list ap;

	a->poisoned = true;
	va_start(ap, fmt);
	pvf_error_setv(err, PVF_E_TRAP, fmt, ap);
	va_end(ap);
	pvf_error_prefix(err, "allocator");
	return -1;
}

static int read_header(pvf_allocator *a, const pvf_alloc_memory *mem, uint32_t ptr,
		       uint64_t *ret, pvf_error *err)
{
	if ((uint64_t)ptr + PVF_ALLOC_HEADER_SIZE > mem->size(mem->ctx))
		return fail(a, err, "read out of heap bounds at %u", ptr);
	const uint8_t *p = mem->base(mem->ctx) + ptr;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	*ret = v;
	return 0;
}

static int write_header(pvf_allocator *a, const pvf_alloc_memory *mem, uint32_t ptr,
			uint64_t v, pvf_error *err)
{
	if ((uint64_t)ptr + PVF_ALLOC_HEADER_SIZE > mem->size(mem->ctx))
		return fail(a, err, "write out of heap bounds at %u", ptr);
	uint8_t *p = mem->base(mem->ctx) + ptr;
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return 0;
}

/* The memory must never shrink between calls. */
static int observe_memory_size(pvf_allocator *a, const pvf_alloc_memory *mem, pvf_error *err)
{
	uint64_t size = mem->size(mem->ctx);

	if (size < a->last_observed_size)
		return fail(a, err, "memory shrank from %llu to %llu bytes",
			    (unsigned long long)a->last_observed_size, (unsigned long long)size);
	a->last_observed_size = size;
	return 0;
}

static uint64_t pages_for(uint64_t bytes)
{
	return (bytes + PVF_ALLOC_PAGE_SIZE - 1) / PVF_ALLOC_PAGE_SIZE;
}

/* Advances the bumper by `size`, growing memory if needed; returns the old
 * bumper in *ret. */
static int bump(pvf_allocator *a, const pvf_alloc_memory *mem, uint32_t size, uint32_t *ret,
		pvf_error *err)
{
	uint64_t required = a->bumper + size;
	uint64_t mem_size = mem->size(mem->ctx);

	if (required > mem_size) {
		uint64_t required_pages = pages_for(required);
		uint64_t current_pages = pages_for(mem_size);
		uint64_t max_pages = a->max_pages;

		if (current_pages >= max_pages)
			return fail(a, err, "out of space: memory is already at the maximum of %llu pages",
				    (unsigned long long)max_pages);
		if (required_pages > max_pages)
			return fail(a, err,
				    "out of space: growing from %llu to at least %llu pages exceeds the "
				    "maximum of %llu pages",
				    (unsigned long long)current_pages, (unsigned long long)required_pages,
				    (unsigned long long)max_pages);
		/* Double, capped at the maximum, but at least what is needed. */
		uint64_t next_pages = current_pages * 2 < max_pages ? current_pages * 2 : max_pages;
		if (next_pages < required_pages)
			next_pages = required_pages;
		if (mem->grow(mem->ctx, (uint32_t)(next_pages - current_pages)) < 0)
			return fail(a, err, "out of space: failed to grow memory from %llu to %llu pages",
				    (unsigned long long)current_pages, (unsigned long long)next_pages);
		if (mem->size(mem->ctx) < required)
			return fail(a, err, "out of space: memory did not grow to %llu pages",
				    (unsigned long long)next_pages);
	}
	*ret = (uint32_t)a->bumper;
	a->bumper = required;
	return 0;
}

static void stats_after_alloc(pvf_allocator *a, uint32_t block)
{
	pvf_alloc_stats *s = &a->stats;

	if (__builtin_add_overflow(s->bytes_allocated, block, &s->bytes_allocated))
		s->bytes_allocated = UINT32_MAX;
	s->bytes_allocated_sum += block;
	if (s->bytes_allocated > s->bytes_allocated_peak)
		s->bytes_allocated_peak = s->bytes_allocated;
	uint64_t used = a->bumper - a->heap_base;
	s->address_space_used = used > UINT32_MAX ? UINT32_MAX : (uint32_t)used;
}

int pvf_alloc_malloc(pvf_allocator *a, const pvf_alloc_memory *mem, uint32_t size,
		     uint32_t *ret_ptr, pvf_error *err)
{
	uint32_t header_ptr = 0;
	uint64_t raw = 0;

	if (a->poisoned)
		return pvf_error_set(err, PVF_E_TRAP, "allocator: the allocator has been poisoned");
	if (observe_memory_size(a, mem, err) < 0)
		return -1;
	int order = pvf_alloc_order_of(size);
	if (order < 0)
		return fail(a, err, "requested allocation of %u bytes is larger than %u", size,
			    PVF_ALLOC_MAX_SIZE);
	uint32_t block = order_size((uint32_t)order) + PVF_ALLOC_HEADER_SIZE;

	if (a->free_lists[order] != PVF_ALLOC_NIL) {
		header_ptr = a->free_lists[order];
		if ((uint64_t)header_ptr + block > mem->size(mem->ctx))
			return fail(a, err, "Invalid header pointer detected: %u", header_ptr);
		if (read_header(a, mem, header_ptr, &raw, err) < 0)
			return -1;
		if (raw & PVF_ALLOC_OCCUPIED_BIT) {
			if ((uint32_t)raw >= PVF_ALLOC_N_ORDERS)
				return fail(a, err, "invalid order %u in header at %u", (uint32_t)raw,
					    header_ptr);
			return fail(a, err, "free list points to a occupied header at %u", header_ptr);
		}
		a->free_lists[order] = (uint32_t)raw;
	} else if (bump(a, mem, block, &header_ptr, err) < 0) {
		return -1;
	}

	if (write_header(a, mem, header_ptr, (uint64_t)order | PVF_ALLOC_OCCUPIED_BIT, err) < 0)
		return -1;
	stats_after_alloc(a, block);
	*ret_ptr = header_ptr + PVF_ALLOC_HEADER_SIZE;
	return 0;
}

int pvf_alloc_free(pvf_allocator *a, const pvf_alloc_memory *mem, uint32_t ptr, pvf_error *err)
{
	uint64_t raw = 0;

	if (a->poisoned)
		return pvf_error_set(err, PVF_E_TRAP, "allocator: the allocator has been poisoned");
	if (observe_memory_size(a, mem, err) < 0)
		return -1;
	if (ptr < PVF_ALLOC_HEADER_SIZE)
		return fail(a, err, "Invalid pointer for deallocation: %u", ptr);
	uint32_t header_ptr = ptr - PVF_ALLOC_HEADER_SIZE;
	if (read_header(a, mem, header_ptr, &raw, err) < 0)
		return -1;
	if (!(raw & PVF_ALLOC_OCCUPIED_BIT))
		return fail(a, err, "the allocation points to an empty header (double free?) at %u",
			    ptr);
	uint32_t order = (uint32_t)raw;
	if (order >= PVF_ALLOC_N_ORDERS)
		return fail(a, err, "invalid order %u in header of %u", order, ptr);

	/* Push onto the order's free list (LIFO). */
	uint32_t prev_head = a->free_lists[order];
	a->free_lists[order] = header_ptr;
	if (write_header(a, mem, header_ptr, prev_head, err) < 0)
		return -1;

	uint32_t block = order_size(order) + PVF_ALLOC_HEADER_SIZE;
	if (a->stats.bytes_allocated < block)
		return fail(a, err, "underflow of the currently allocated bytes count");
	a->stats.bytes_allocated -= block;
	return 0;
}
