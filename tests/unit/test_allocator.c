/* test_allocator.c — the freeing-bump allocator, rule by rule.
 *
 * Tests marked [FB] are ports of the unit tests in polkadot-sdk
 * substrate/client/allocator/src/freeing_bump.rs (same names, same inputs,
 * same expected pointers and sizes). The others check rules stated in that
 * file: header encoding (`Header::write_into`: occupied = order | 1 << 32,
 * free = link, NIL_MARKER = u32::MAX), LIFO lists, `bump()`'s growth
 * formula max(min(2 * current, max), required), poisoning (`PoisonBomb`),
 * `Order::from_size` (sizes below 8, including 0, become 8).
 *
 * Memory is a realloc'd buffer, so the base pointer really moves on grow.
 * Like the [FB] `MemoryInstance`, growth beyond the memory's own maximum
 * fails; the allocator is given the same maximum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hostapi/allocator.h"

#define PAGE PVF_ALLOC_PAGE_SIZE
#define HDR PVF_ALLOC_HEADER_SIZE

typedef struct test_mem {
	uint8_t *data;
	uint64_t size;
	uint32_t max_pages;
	int grow_calls;
	uint32_t last_grow;
} test_mem;

static uint8_t *tm_base(void *ctx)
{
	return ((test_mem *)ctx)->data;
}

static uint64_t tm_size(void *ctx)
{
	return ((test_mem *)ctx)->size;
}

static int tm_grow(void *ctx, uint32_t pages)
{
	test_mem *m = ctx;
	uint64_t cur = m->size / PAGE;

	m->grow_calls++;
	m->last_grow = pages;
	if (cur + pages > m->max_pages)
		return -1;
	uint64_t ns = (cur + pages) * PAGE;
	uint8_t *d = realloc(m->data, ns);
	if (!d)
		return -1;
	memset(d + m->size, 0, ns - m->size);
	m->data = d;
	m->size = ns;
	return 0;
}

typedef struct fixture {
	test_mem tm;
	pvf_alloc_memory mem;
	pvf_allocator heap;
	pvf_error err;
} fixture;

static fixture *fx_new(uint32_t pages, uint32_t max_pages, uint32_t heap_base)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->tm.size = (uint64_t)pages * PAGE;
	f->tm.data = calloc(1, f->tm.size ? f->tm.size : 1);
	assert_non_null(f->tm.data);
	f->tm.max_pages = max_pages;
	f->mem = (pvf_alloc_memory){ &f->tm, tm_base, tm_size, tm_grow };
	pvf_alloc_init(&f->heap, heap_base, max_pages);
	return f;
}

static void fx_free(fixture *f)
{
	free(f->tm.data);
	free(f);
}

static uint32_t A(fixture *f, uint32_t size)
{
	uint32_t p = 0;
	assert_int_equal(pvf_alloc_malloc(&f->heap, &f->mem, size, &p, &f->err), 0);
	return p;
}

static int Atry(fixture *f, uint32_t size)
{
	uint32_t p;
	return pvf_alloc_malloc(&f->heap, &f->mem, size, &p, &f->err);
}

static void F(fixture *f, uint32_t ptr)
{
	assert_int_equal(pvf_alloc_free(&f->heap, &f->mem, ptr, &f->err), 0);
}

static uint64_t header_at(fixture *f, uint32_t hdr)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)f->tm.data[hdr + i] << (8 * i);
	return v;
}

static void put_header(fixture *f, uint32_t hdr, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		f->tm.data[hdr + i] = (uint8_t)(v >> (8 * i));
}

#define WASM_MAX PVF_ALLOC_WASM_MAX_PAGES

/* [FB] should_allocate_properly */
static void should_allocate_properly(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	assert_int_equal(A(f, 1), HDR);
	fx_free(f);
}

/* [FB] should_always_align_pointers_to_multiples_of_8 */
static void should_always_align_pointers_to_multiples_of_8(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 13);
	assert_int_equal(A(f, 1), 24);
	fx_free(f);
}

/* [FB] should_increment_pointers_properly */
static void should_increment_pointers_properly(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	assert_int_equal(A(f, 1), HDR);
	assert_int_equal(A(f, 9), 24);
	assert_int_equal(A(f, 1), 24 + 16 + HDR);
	fx_free(f);
}

/* [FB] should_free_properly */
static void should_free_properly(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	assert_int_equal(A(f, 1), HDR);
	uint32_t p2 = A(f, 1);
	assert_int_equal(p2, 24);
	F(f, p2);
	assert_int_equal(f->heap.free_lists[0], p2 - HDR);
	fx_free(f);
}

/* [FB] should_deallocate_and_reallocate_properly */
static void should_deallocate_and_reallocate_properly(void **s)
{
	(void)s;
	const uint32_t padded_offset = 16;
	fixture *f = fx_new(1, WASM_MAX, 13);
	assert_int_equal(A(f, 1), padded_offset + HDR);
	uint32_t p2 = A(f, 9);
	assert_int_equal(p2, padded_offset + 16 + HDR);
	F(f, p2);
	assert_int_equal(A(f, 9), padded_offset + 16 + HDR);
	for (unsigned i = 0; i < PVF_ALLOC_N_ORDERS; i++)
		assert_int_equal(f->heap.free_lists[i], PVF_ALLOC_NIL);
	fx_free(f);
}

/* [FB] should_build_linked_list_of_free_areas_properly */
static void should_build_linked_list_of_free_areas_properly(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	uint32_t p1 = A(f, 8), p2 = A(f, 8), p3 = A(f, 8);
	F(f, p1);
	F(f, p2);
	F(f, p3);
	assert_int_equal(f->heap.free_lists[0], p3 - HDR);
	assert_int_equal(A(f, 8), p3);
	assert_int_equal(f->heap.free_lists[0], p2 - HDR);
	fx_free(f);
}

/* [FB] should_not_allocate_if_too_large */
static void should_not_allocate_if_too_large(void **s)
{
	(void)s;
	fixture *f = fx_new(1, 1, 13);
	assert_int_equal(Atry(f, PAGE - 13), -1);
	assert_int_equal(f->err.code, PVF_E_TRAP);
	assert_non_null(strstr(f->err.msg, "out of space"));
	fx_free(f);
}

/* [FB] should_not_allocate_if_full */
static void should_not_allocate_if_full(void **s)
{
	(void)s;
	fixture *f = fx_new(1, 1, 0);
	assert_int_equal(A(f, PAGE / 2 - HDR), HDR);
	assert_int_equal(Atry(f, PAGE / 2), -1);
	assert_non_null(strstr(f->err.msg, "out of space"));
	fx_free(f);
}

/* [FB] should_allocate_max_possible_allocation_size */
static void should_allocate_max_possible_allocation_size(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	assert_int_equal(A(f, PVF_ALLOC_MAX_SIZE), HDR);
	fx_free(f);
}

/* [FB] should_not_allocate_if_requested_size_too_large */
static void should_not_allocate_if_requested_size_too_large(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	assert_int_equal(Atry(f, PVF_ALLOC_MAX_SIZE + 1), -1);
	assert_non_null(strstr(f->err.msg, "larger than"));
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	fx_free(f);
}

/* [FB] should_return_error_when_bumper_greater_than_heap_size */
static void should_return_error_when_bumper_greater_than_heap_size(void **s)
{
	(void)s;
	fixture *f = fx_new(1, 1, 0);
	uint32_t ptrs[PAGE / 40];
	for (size_t i = 0; i < PAGE / 40; i++)
		ptrs[i] = A(f, 32);
	assert_int_equal(f->heap.stats.bytes_allocated, PAGE - 16);
	assert_int_equal(f->heap.bumper, PAGE - 16);
	for (size_t i = 0; i < PAGE / 40; i++)
		F(f, ptrs[i]);
	assert_int_equal(f->heap.stats.bytes_allocated, 0);
	assert_int_equal(f->heap.stats.bytes_allocated_peak, PAGE - 16);
	assert_int_equal(f->heap.bumper, PAGE - 16);
	A(f, 8);
	assert_int_equal(f->heap.bumper, f->tm.size);
	assert_int_equal(Atry(f, 8), -1);
	assert_non_null(strstr(f->err.msg, "out of space"));
	fx_free(f);
}

/* [FB] should_include_prefixes_in_total_heap_size */
static void should_include_prefixes_in_total_heap_size(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 1);
	A(f, 9);
	assert_int_equal(f->heap.stats.bytes_allocated, HDR + 16);
	fx_free(f);
}

/* [FB] should_calculate_total_heap_size_to_zero */
static void should_calculate_total_heap_size_to_zero(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 13);
	uint32_t p = A(f, 42);
	assert_int_equal(p, 16 + HDR);
	F(f, p);
	assert_int_equal(f->heap.stats.bytes_allocated, 0);
	fx_free(f);
}

/* [FB] should_calculate_total_size_of_zero */
static void should_calculate_total_size_of_zero(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 19);
	for (int i = 1; i < 10; i++)
		F(f, A(f, 42));
	assert_int_equal(f->heap.stats.bytes_allocated, 0);
	fx_free(f);
}

/* [FB] deallocate_needs_to_maintain_linked_list */
static void deallocate_needs_to_maintain_linked_list(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	uint32_t p[4], q[4];
	for (int i = 0; i < 4; i++)
		p[i] = A(f, 8);
	for (int i = 3; i >= 0; i--)
		F(f, p[i]);
	for (int i = 0; i < 4; i++)
		q[i] = A(f, 8);
	assert_memory_equal(p, q, sizeof(p));
	fx_free(f);
}

/* [FB] header_read_write, plus the exact bytes of each header kind. */
static void header_encoding(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	uint32_t p1 = A(f, 1);  /* order 0 */
	uint32_t p2 = A(f, 16); /* order 1 */
	static const uint8_t occ0[8] = { 0, 0, 0, 0, 1, 0, 0, 0 };
	static const uint8_t occ1[8] = { 1, 0, 0, 0, 1, 0, 0, 0 };
	assert_memory_equal(f->tm.data + p1 - HDR, occ0, 8);
	assert_memory_equal(f->tm.data + p2 - HDR, occ1, 8);
	F(f, p1); /* free, list was empty: link = NIL */
	static const uint8_t nil[8] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	assert_memory_equal(f->tm.data + p1 - HDR, nil, 8);
	uint32_t p3 = A(f, 8); /* reuses p1 */
	assert_int_equal(p3, p1);
	uint32_t p4 = A(f, 8);
	F(f, p3);
	F(f, p4); /* p4's header links to p3's header */
	assert_true(header_at(f, p4 - HDR) == (uint64_t)(p3 - HDR));
	fx_free(f);
}

/* [FB] poison_oom */
static void poison_oom(void **s)
{
	(void)s;
	fixture *f = fx_new(1, 1, 0);
	uint32_t p = A(f, PAGE / 2);
	assert_int_equal(Atry(f, PAGE), -1);
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	assert_int_equal(pvf_alloc_free(&f->heap, &f->mem, p, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "poisoned"));
	fx_free(f);
}

/* [FB] accepts_growing_memory */
static void accepts_growing_memory(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	A(f, PAGE / 2);
	A(f, PAGE / 2);
	assert_int_equal(tm_grow(&f->tm, 1), 0);
	A(f, PAGE / 2);
	fx_free(f);
}

/* [FB] doesnt_accept_shrinking_memory */
static void doesnt_accept_shrinking_memory(void **s)
{
	(void)s;
	fixture *f = fx_new(2, WASM_MAX, 0);
	A(f, PAGE / 2);
	f->tm.size = PAGE;
	assert_int_equal(Atry(f, PAGE / 2), -1);
	assert_non_null(strstr(f->err.msg, "shrank"));
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	fx_free(f);
}

/* [FB] should_grow_memory_when_running_out_of_memory */
static void should_grow_memory_when_running_out_of_memory(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	A(f, PAGE * 2);
	assert_int_equal(f->tm.size / PAGE, 3);
	fx_free(f);
}

/* [FB] modifying_the_header_leads_to_an_error */
static void modifying_the_header_leads_to_an_error(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	uint32_t p = A(f, 5);
	F(f, p);
	put_header(f, p - HDR, UINT32_MAX - 1); /* Header::Free(Link::Ptr(u32::MAX - 1)) */
	A(f, 5);
	assert_int_equal(Atry(f, 5), -1);
	assert_non_null(strstr(f->err.msg, "Invalid header pointer"));
	fx_free(f);
}

/* Order::from_size: 0..8 -> 0, 9..16 -> 1, 2^25 -> 22, above -> error. */
static void order_rounding(void **s)
{
	(void)s;
	assert_int_equal(pvf_alloc_order_of(0), 0);
	assert_int_equal(pvf_alloc_order_of(1), 0);
	assert_int_equal(pvf_alloc_order_of(8), 0);
	assert_int_equal(pvf_alloc_order_of(9), 1);
	assert_int_equal(pvf_alloc_order_of(16), 1);
	assert_int_equal(pvf_alloc_order_of(17), 2);
	assert_int_equal(pvf_alloc_order_of(4096), 9);
	assert_int_equal(pvf_alloc_order_of(4097), 10);
	assert_int_equal(pvf_alloc_order_of(16u << 20), 21);
	assert_int_equal(pvf_alloc_order_of((16u << 20) + 1), 22);
	assert_int_equal(pvf_alloc_order_of(32u << 20), 22);
	assert_int_equal(pvf_alloc_order_of((32u << 20) + 1), -1);
	assert_int_equal(pvf_alloc_order_of(UINT32_MAX), -1);
}

/* Zero-size requests get an 8-byte block (Order::from_size clamps to 8). */
static void zero_size_allocation(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	uint32_t p = A(f, 0);
	assert_int_equal(p, HDR);
	assert_int_equal(A(f, 0), HDR + 8 + HDR);
	assert_int_equal(f->heap.stats.bytes_allocated, 32);
	F(f, p);
	assert_int_equal(f->heap.free_lists[0], 0);
	fx_free(f);
}

/* Lists are per order: a freed 16-byte block is not used for 8 bytes; the
 * bump pointer never goes back even when everything is free. */
static void per_order_lists_and_monotonic_bump(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	uint32_t a = A(f, 16);
	uint64_t bump_before = f->heap.bumper;
	F(f, a);
	uint32_t b = A(f, 8);
	assert_int_not_equal(b, a);
	assert_true(f->heap.bumper > bump_before);
	F(f, b);
	uint64_t high = f->heap.bumper;
	assert_int_equal(A(f, 16), a);
	assert_int_equal(A(f, 8), b);
	assert_true(f->heap.bumper == high);
	assert_int_equal(f->heap.stats.address_space_used, high);
	fx_free(f);
}

/* bump(): next = max(min(2 * current, max), required). */
static void growth_formula(void **s)
{
	(void)s;
	/* 1 page, need 2 -> min(2, 2080) = 2. */
	fixture *f = fx_new(1, PVF_ALLOC_DEFAULT_MAX_PAGES, 0);
	A(f, PAGE / 2);     /* 32 KiB + 8 */
	A(f, PAGE / 2);     /* 64 KiB + 16 > 1 page */
	assert_int_equal(f->tm.size / PAGE, 2);
	assert_int_equal(f->tm.last_grow, 1);
	/* 2 pages (65,552 used), +65,544 needs 3 -> 4 (doubling beats need). */
	A(f, PAGE);
	assert_int_equal(f->tm.size / PAGE, 4);
	/* 4 pages (131,096 used), a 16 MiB block needs 16,908,320 bytes = 259
	 * pages -> required wins over doubling to 8. */
	A(f, 16u << 20);
	assert_int_equal(f->tm.size / PAGE, 259);
	fx_free(f);

	/* Doubling is capped by the maximum: 10 -> min(20, 15) = 15. */
	f = fx_new(10, 15, 10u * PAGE - 8);
	A(f, 8);
	assert_int_equal(f->tm.size / PAGE, 15);
	fx_free(f);

	/* Needing more than the maximum fails (and poisons) without growing:
	 * 10 pages + a 512 KiB block = 19 pages > 15. */
	f = fx_new(10, 15, 10u * PAGE - 8);
	assert_int_equal(Atry(f, 8 * PAGE), -1);
	assert_int_equal(f->tm.grow_calls, 0);
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	fx_free(f);

	/* At the maximum already: fails. */
	f = fx_new(3, 3, 3u * PAGE - 8);
	assert_int_equal(Atry(f, 8), -1);
	assert_non_null(strstr(f->err.msg, "already at the maximum"));
	fx_free(f);

	/* A grow the memory refuses: fails and poisons. */
	f = fx_new(1, PVF_ALLOC_DEFAULT_MAX_PAGES, 0);
	f->tm.max_pages = 1;
	assert_int_equal(Atry(f, PAGE), -1);
	assert_int_equal(f->tm.grow_calls, 1);
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	fx_free(f);

	/* Default and clamped maxima. */
	pvf_allocator a;
	pvf_alloc_init(&a, 0, 0);
	assert_int_equal(a.max_pages, 2080);
	pvf_alloc_init(&a, 0, 100000);
	assert_int_equal(a.max_pages, 65536);
}

/* Each kind of error poisons; later calls fail with "poisoned". */
static void poison_after_each_error(void **s)
{
	(void)s;
	fixture *f;

	/* double free */
	f = fx_new(1, WASM_MAX, 0);
	uint32_t p = A(f, 8);
	F(f, p);
	assert_int_equal(pvf_alloc_free(&f->heap, &f->mem, p, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "empty header"));
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	assert_int_equal(Atry(f, 8), -1);
	assert_non_null(strstr(f->err.msg, "poisoned"));
	fx_free(f);

	/* pointer below the header size */
	f = fx_new(1, WASM_MAX, 0);
	assert_int_equal(pvf_alloc_free(&f->heap, &f->mem, 4, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "Invalid pointer"));
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	fx_free(f);

	/* pointer outside memory */
	f = fx_new(1, WASM_MAX, 0);
	assert_int_equal(pvf_alloc_free(&f->heap, &f->mem, UINT32_MAX, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "out of heap bounds"));
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	fx_free(f);

	/* pointer to an occupied-looking header with a bad order */
	f = fx_new(1, WASM_MAX, 0);
	put_header(f, 100, PVF_ALLOC_OCCUPIED_BIT | 23);
	assert_int_equal(pvf_alloc_free(&f->heap, &f->mem, 108, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "invalid order"));
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	fx_free(f);

	/* forged occupied header: accepted by Substrate's rules, but the
	 * bytes_allocated underflow check then fails */
	f = fx_new(1, WASM_MAX, 0);
	put_header(f, 100, PVF_ALLOC_OCCUPIED_BIT | 3);
	assert_int_equal(pvf_alloc_free(&f->heap, &f->mem, 108, &f->err), -1);
	assert_non_null(strstr(f->err.msg, "underflow"));
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	fx_free(f);

	/* free list pointing at an occupied header */
	f = fx_new(1, WASM_MAX, 0);
	p = A(f, 8);
	F(f, p);
	put_header(f, p - HDR, PVF_ALLOC_OCCUPIED_BIT);
	assert_int_equal(Atry(f, 8), -1);
	assert_non_null(strstr(f->err.msg, "occupied header"));
	assert_true(pvf_alloc_is_poisoned(&f->heap));
	fx_free(f);
}

/* Stats: peak and sum. */
static void stats(void **s)
{
	(void)s;
	fixture *f = fx_new(1, WASM_MAX, 0);
	uint32_t a = A(f, 100); /* 128 + 8 */
	uint32_t b = A(f, 10);  /* 16 + 8 */
	F(f, a);
	A(f, 1); /* 8 + 8 */
	pvf_alloc_stats st = pvf_alloc_get_stats(&f->heap);
	assert_int_equal(st.bytes_allocated, 24 + 16);
	assert_int_equal(st.bytes_allocated_peak, 136 + 24);
	assert_true(st.bytes_allocated_sum == 136 + 24 + 16);
	assert_int_equal(st.address_space_used, 136 + 24 + 16);
	(void)b;
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(should_allocate_properly),
		cmocka_unit_test(should_always_align_pointers_to_multiples_of_8),
		cmocka_unit_test(should_increment_pointers_properly),
		cmocka_unit_test(should_free_properly),
		cmocka_unit_test(should_deallocate_and_reallocate_properly),
		cmocka_unit_test(should_build_linked_list_of_free_areas_properly),
		cmocka_unit_test(should_not_allocate_if_too_large),
		cmocka_unit_test(should_not_allocate_if_full),
		cmocka_unit_test(should_allocate_max_possible_allocation_size),
		cmocka_unit_test(should_not_allocate_if_requested_size_too_large),
		cmocka_unit_test(should_return_error_when_bumper_greater_than_heap_size),
		cmocka_unit_test(should_include_prefixes_in_total_heap_size),
		cmocka_unit_test(should_calculate_total_heap_size_to_zero),
		cmocka_unit_test(should_calculate_total_size_of_zero),
		cmocka_unit_test(deallocate_needs_to_maintain_linked_list),
		cmocka_unit_test(header_encoding),
		cmocka_unit_test(poison_oom),
		cmocka_unit_test(accepts_growing_memory),
		cmocka_unit_test(doesnt_accept_shrinking_memory),
		cmocka_unit_test(should_grow_memory_when_running_out_of_memory),
		cmocka_unit_test(modifying_the_header_leads_to_an_error),
		cmocka_unit_test(order_rounding),
		cmocka_unit_test(zero_size_allocation),
		cmocka_unit_test(per_order_lists_and_monotonic_bump),
		cmocka_unit_test(growth_formula),
		cmocka_unit_test(poison_after_each_error),
		cmocka_unit_test(stats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
