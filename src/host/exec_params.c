/*
 * exec_params.c — Polkadot's executor parameters: defaults, the consistency
 * checks of `ExecutorParams::check_consistency`, a strict decoder of the SCALE
 * `Vec<ExecutorParam>`, and the preparation hash. Also the public error-name
 * wrappers of include/pvfhost.h.
 *
 * Encoding (variant index, payload):
 *   1 MaxMemoryPages(u32)        heap maximum n + 32 pages, 0 < n <= 65,536
 *   2 StackLogicalMax(u32)       1,024 ..= 131,072
 *   3 StackNativeMax(u32)        bytes, at least 128 x StackLogicalMax
 *   4 PrecheckingMaxMemory(u64)  256 MiB ..= 16 GiB
 *   5 PvfPrepTimeout(u8, u64)    0 Precheck, 1 Prepare; ms; precheck < prepare
 *   6 PvfExecTimeout(u8, u64)    0 Backing, 1 Approval; ms; backing < approval
 *   7 WasmExtBulkMemory
 * Every kind at most once (the two timeouts of each pair count separately).
 */
#include "host/exec_params.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/scale.h"

#define DEFAULT_MAX_PAGES (PVF_EP_HEAP_PAGES_ESTIMATE + 2048u)
#define PREP_HASH_TAG "pvfhost-prep-hash-v1"

const char *pvfhost_error_code_name(int code)
{
	return pvf_error_code_name((pvf_error_code)code);
}

const char *pvfhost_error_class_name(pvfhost_error_class cls)
{
	return pvf_error_class_name((pvf_error_class)cls);
}

void pvfhost_executor_params_default(pvfhost_executor_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_memory_pages = DEFAULT_MAX_PAGES;
	p->stack_logical_max = 65536u;
	p->stack_native_max = 256u << 20;
	p->prechecking_max_memory = 2ull << 30;   /* RLIMIT_DATA per compiler process; see docs/host.md */
	p->prep_timeout_precheck_ms = 60000u;
	p->prep_timeout_lenient_ms = 360000u;
	p->exec_timeout_backing_ms = 2000u;
	p->exec_timeout_approval_ms = 12000u;
	p->bulk_memory = false;
}

static void to_public(const pvf_error *e, pvfhost_error *out)
{
	if (!out)
		return;
	out->code = (int)e->code;
	out->cls = (pvfhost_error_class)e->cls;
	memcpy(out->msg, e->msg, sizeof(out->msg));
}

int pvf_exec_params_check(const pvfhost_executor_params *p, pvf_error *err)
{
	if (!p)
		return pvf_error_set(err, PVF_E_USAGE, "executor parameters: NULL");
	if (p->max_memory_pages <= PVF_EP_HEAP_PAGES_ESTIMATE ||
	    p->max_memory_pages > PVF_EP_MEMORY_PAGES_MAX + PVF_EP_HEAP_PAGES_ESTIMATE)
		return pvf_error_set(err, PVF_E_USAGE,
				     "executor parameters: max_memory_pages %u is outside %u..=%u "
				     "(MaxMemoryPages(n) means n + %u pages, 0 < n <= %u)",
				     p->max_memory_pages, PVF_EP_HEAP_PAGES_ESTIMATE + 1,
				     PVF_EP_MEMORY_PAGES_MAX + PVF_EP_HEAP_PAGES_ESTIMATE, PVF_EP_HEAP_PAGES_ESTIMATE,
				     PVF_EP_MEMORY_PAGES_MAX);
	if (p->stack_logical_max < PVF_EP_LOGICAL_MAX_LO || p->stack_logical_max > PVF_EP_LOGICAL_MAX_HI)
		return pvf_error_set(err, PVF_E_USAGE, "executor parameters: StackLogicalMax %u is outside %u..=%u",
				     p->stack_logical_max, PVF_EP_LOGICAL_MAX_LO, PVF_EP_LOGICAL_MAX_HI);
	if ((uint64_t)p->stack_native_max < (uint64_t)PVF_EP_NATIVE_PER_LOGICAL * p->stack_logical_max)
		return pvf_error_set(err, PVF_E_USAGE,
				     "executor parameters: StackNativeMax %u bytes is below %u x StackLogicalMax (%u) = %llu",
				     p->stack_native_max, PVF_EP_NATIVE_PER_LOGICAL, p->stack_logical_max,
				     (unsigned long long)PVF_EP_NATIVE_PER_LOGICAL * p->stack_logical_max);
	if (p->prechecking_max_memory < PVF_EP_PRECHECK_MEM_LO || p->prechecking_max_memory > PVF_EP_PRECHECK_MEM_HI)
		return pvf_error_set(err, PVF_E_USAGE,
				     "executor parameters: PrecheckingMaxMemory %llu bytes is outside 256 MiB..=16 GiB",
				     (unsigned long long)p->prechecking_max_memory);
	/* Polkadot does not forbid 0 ms; pvfhost does, because a 0 timeout in a
	 * worker request means "no limit". */
	if (!p->prep_timeout_precheck_ms || !p->prep_timeout_lenient_ms || !p->exec_timeout_backing_ms ||
	    !p->exec_timeout_approval_ms)
		return pvf_error_set(err, PVF_E_USAGE, "executor parameters: a PVF timeout of 0 ms is not allowed");
	if (p->prep_timeout_precheck_ms >= p->prep_timeout_lenient_ms)
		return pvf_error_set(err, PVF_E_USAGE,
				     "executor parameters: PvfPrepTimeout(Precheck) %llu ms must be below "
				     "PvfPrepTimeout(Prepare) %llu ms",
				     (unsigned long long)p->prep_timeout_precheck_ms,
				     (unsigned long long)p->prep_timeout_lenient_ms);
	if (p->exec_timeout_backing_ms >= p->exec_timeout_approval_ms)
		return pvf_error_set(err, PVF_E_USAGE,
				     "executor parameters: PvfExecTimeout(Backing) %llu ms must be below "
				     "PvfExecTimeout(Approval) %llu ms",
				     (unsigned long long)p->exec_timeout_backing_ms,
				     (unsigned long long)p->exec_timeout_approval_ms);
	return 0;
}

int pvfhost_executor_params_check(const pvfhost_executor_params *p, pvfhost_error *err)
{
	pvf_error e;

	if (pvf_exec_params_check(p, &e) < 0) {
		to_public(&e, err);
		return -1;
	}
	return 0;
}

/* One bit per parameter kind, for the duplicate check. */
enum {
	SEEN_PAGES = 1u << 0,
	SEEN_LOGICAL = 1u << 1,
	SEEN_NATIVE = 1u << 2,
	SEEN_PRECHECK_MEM = 1u << 3,
	SEEN_PREP_PRECHECK = 1u << 4,
	SEEN_PREP_LENIENT = 1u << 5,
	SEEN_EXEC_BACKING = 1u << 6,
	SEEN_EXEC_APPROVAL = 1u << 7,
	SEEN_BULK = 1u << 8,
};

static int mark(unsigned *seen, unsigned bit, const char *name, size_t idx, pvf_error *err)
{
	if (*seen & bit)
		return pvf_error_set(err, PVF_E_USAGE, "executor parameters: %s given twice (item %zu)", name, idx);
	*seen |= bit;
	return 0;
}

static int decode_one(pvf_scale_reader *r, size_t idx, unsigned *seen, pvfhost_executor_params *p,
		      pvf_error *err)
{
	uint8_t variant, kind;
	uint32_t v32;
	uint64_t v64;

	if (pvf_scale_read_u8(r, &variant, err) < 0)
		return -1;
	switch (variant) {
	case 1:
		if (pvf_scale_read_u32(r, &v32, err) < 0 || mark(seen, SEEN_PAGES, "MaxMemoryPages", idx, err) < 0)
			return -1;
		if (v32 == 0 || v32 > PVF_EP_MEMORY_PAGES_MAX)
			return pvf_error_set(err, PVF_E_USAGE, "executor parameters: MaxMemoryPages(%u) is outside 1..=%u",
					     v32, PVF_EP_MEMORY_PAGES_MAX);
		p->max_memory_pages = v32 + PVF_EP_HEAP_PAGES_ESTIMATE;
		return 0;
	case 2:
		if (pvf_scale_read_u32(r, &v32, err) < 0 || mark(seen, SEEN_LOGICAL, "StackLogicalMax", idx, err) < 0)
			return -1;
		if (v32 < PVF_EP_LOGICAL_MAX_LO || v32 > PVF_EP_LOGICAL_MAX_HI)
			return pvf_error_set(err, PVF_E_USAGE, "executor parameters: StackLogicalMax(%u) is outside %u..=%u",
					     v32, PVF_EP_LOGICAL_MAX_LO, PVF_EP_LOGICAL_MAX_HI);
		p->stack_logical_max = v32;
		return 0;
	case 3:
		if (pvf_scale_read_u32(r, &v32, err) < 0 || mark(seen, SEEN_NATIVE, "StackNativeMax", idx, err) < 0)
			return -1;
		p->stack_native_max = v32;
		return 0;
	case 4:
		if (pvf_scale_read_u64(r, &v64, err) < 0 ||
		    mark(seen, SEEN_PRECHECK_MEM, "PrecheckingMaxMemory", idx, err) < 0)
			return -1;
		if (v64 < PVF_EP_PRECHECK_MEM_LO || v64 > PVF_EP_PRECHECK_MEM_HI)
			return pvf_error_set(err, PVF_E_USAGE,
					     "executor parameters: PrecheckingMaxMemory(%llu) is outside 256 MiB..=16 GiB",
					     (unsigned long long)v64);
		p->prechecking_max_memory = v64;
		return 0;
	case 5:
		if (pvf_scale_read_u8(r, &kind, err) < 0)
			return -1;
		if (kind > 1)
			return pvf_error_set(err, PVF_E_USAGE,
					     "executor parameters: PvfPrepTimeout kind %u is unknown (0 Precheck, 1 Prepare)",
					     kind);
		if (pvf_scale_read_u64(r, &v64, err) < 0 ||
		    mark(seen, kind ? SEEN_PREP_LENIENT : SEEN_PREP_PRECHECK,
			 kind ? "PvfPrepTimeout(Prepare)" : "PvfPrepTimeout(Precheck)", idx, err) < 0)
			return -1;
		if (kind)
			p->prep_timeout_lenient_ms = v64;
		else
			p->prep_timeout_precheck_ms = v64;
		return 0;
	case 6:
		if (pvf_scale_read_u8(r, &kind, err) < 0)
			return -1;
		if (kind > 1)
			return pvf_error_set(err, PVF_E_USAGE,
					     "executor parameters: PvfExecTimeout kind %u is unknown (0 Backing, 1 Approval)",
					     kind);
		if (pvf_scale_read_u64(r, &v64, err) < 0 ||
		    mark(seen, kind ? SEEN_EXEC_APPROVAL : SEEN_EXEC_BACKING,
			 kind ? "PvfExecTimeout(Approval)" : "PvfExecTimeout(Backing)", idx, err) < 0)
			return -1;
		if (kind)
			p->exec_timeout_approval_ms = v64;
		else
			p->exec_timeout_backing_ms = v64;
		return 0;
	case 7:
		if (mark(seen, SEEN_BULK, "WasmExtBulkMemory", idx, err) < 0)
			return -1;
		p->bulk_memory = true;
		return 0;
	default:
		return pvf_error_set(err, PVF_E_USAGE,
				     "executor parameters: item %zu has variant %u, which pvfhost does not know "
				     "(known: 1 MaxMemoryPages .. 7 WasmExtBulkMemory)",
				     idx, variant);
	}
}

int pvf_exec_params_decode(const uint8_t *scale, size_t len, pvfhost_executor_params *p, pvf_error *err)
{
	pvfhost_executor_params out;
	pvf_scale_reader r;
	unsigned seen = 0;
	size_t n;

	if (!p || (!scale && len))
		return pvf_error_set(err, PVF_E_USAGE, "executor parameters: bad arguments");
	pvfhost_executor_params_default(&out);
	pvf_scale_reader_init(&r, scale, len, PVF_E_USAGE, "ExecutorParams");
	if (pvf_scale_read_vec_len(&r, 1, SIZE_MAX, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (decode_one(&r, i, &seen, &out, err) < 0)
			return -1;
	if (pvf_scale_expect_end(&r, err) < 0 || pvf_exec_params_check(&out, err) < 0)
		return -1;
	*p = out;
	return 0;
}

int pvfhost_executor_params_decode(const uint8_t *scale, size_t len, pvfhost_executor_params *p,
				   pvfhost_error *err)
{
	pvf_error e;

	if (pvf_exec_params_decode(scale, len, p, &e) < 0) {
		to_public(&e, err);
		return -1;
	}
	return 0;
}

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

void pvf_exec_params_prep_hash(const pvfhost_executor_params *p, uint8_t out[32])
{
	/* tag (with its NUL) | max_memory_pages u32 LE | stack_logical_max u32 LE | bulk_memory u8 */
	uint8_t buf[sizeof(PREP_HASH_TAG) + 9];
	size_t o = sizeof(PREP_HASH_TAG);

	memcpy(buf, PREP_HASH_TAG, o);
	put32(buf + o, p->max_memory_pages);
	put32(buf + o + 4, p->stack_logical_max);
	buf[o + 8] = p->bulk_memory ? 1 : 0;
	crypto_generichash(out, 32, buf, sizeof(buf), NULL, 0);
}

uint32_t pvf_exec_params_stack_limit(const pvfhost_executor_params *p)
{
	/* The engine's limit is the logical one itself (engine/stacklimit.c). */
	return p->stack_logical_max;
}
