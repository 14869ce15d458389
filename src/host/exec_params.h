/*
 * exec_params.h — Polkadot's executor parameters inside the host: the
 * consistency checks, the SCALE decoder, the hash of the parameters that
 * change a prepared artifact, and the stack limit they imply.
 *
 * The public functions (pvfhost_executor_params_default/check/decode and the
 * error-name wrappers) are declared in include/pvfhost.h; the variants below
 * take the internal pvf_error.
 */
#ifndef PVF_HOST_EXEC_PARAMS_H
#define PVF_HOST_EXEC_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "pvfhost.h"

/* Polkadot's limits (polkadot/primitives executor_params.rs). */
#define PVF_EP_MEMORY_PAGES_MAX 65536u         /* MaxMemoryPages(n): 0 < n <= this */
#define PVF_EP_HEAP_PAGES_ESTIMATE 32u         /* pages added to n (DEFAULT_HEAP_PAGES_ESTIMATE) */
#define PVF_EP_LOGICAL_MAX_LO 1024u            /* StackLogicalMax range */
#define PVF_EP_LOGICAL_MAX_HI (2u * 65536u)
#define PVF_EP_NATIVE_PER_LOGICAL 128u         /* StackNativeMax >= 128 x StackLogicalMax */
#define PVF_EP_PRECHECK_MEM_LO (256ull << 20)  /* PrecheckingMaxMemory range */
#define PVF_EP_PRECHECK_MEM_HI (16ull << 30)

/* Same as pvfhost_executor_params_check(), with a pvf_error (PVF_E_USAGE). */
int pvf_exec_params_check(const pvfhost_executor_params *p, pvf_error *err);

/* Same as pvfhost_executor_params_decode(), with a pvf_error (PVF_E_USAGE). */
int pvf_exec_params_decode(const uint8_t *scale, size_t len, pvfhost_executor_params *p, pvf_error *err);

/* BLAKE2b-256 of a versioned encoding of only the parameters that change the
 * prepared artifact: max_memory_pages, stack_logical_max, bulk_memory. */
void pvf_exec_params_prep_hash(const pvfhost_executor_params *p, uint8_t out[32]);

/* The stack limit compiled into the artifact: stack_logical_max itself,
 * Polkadot's logical limit (engine/stacklimit.c; the engine's field keeps
 * its old name, stack_limit). */
uint32_t pvf_exec_params_stack_limit(const pvfhost_executor_params *p);

#endif
