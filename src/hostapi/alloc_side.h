/*
 * alloc_side.h — which side of RFC-0145's allocation divide a host-function
 * import is on.
 *
 * RFC-0145 moves allocation from the host into the runtime: new versions of
 * the host functions write into buffers the runtime passes, and a runtime
 * with the new entry point reads its input with ext_input_read. Substrate's
 * executor refuses to construct a runtime that imports functions from both
 * sides (sc-executor-common's RUNTIME_ALLOC_IMPORTS: per function, the
 * first version that allocates on the runtime side; RUNTIME_NON_ALLOC_IMPORTS:
 * functions that allocate on neither). pvfhost applies the same check as a
 * PVF rule (wasm/rules.h).
 *
 * Names are classified as Substrate does: `ext_<base>_version_<n>` with n a
 * decimal u16; anything else, and a base in neither table, is NONE.
 */
#ifndef PVF_HOSTAPI_ALLOC_SIDE_H
#define PVF_HOSTAPI_ALLOC_SIDE_H

#include <stddef.h>

typedef enum pvf_alloc_side {
	PVF_ALLOC_SIDE_NONE = 0,     /* not a versioned host function, or not in the tables */
	PVF_ALLOC_SIDE_NEUTRAL,      /* allocates on neither side */
	PVF_ALLOC_SIDE_HOST,         /* returns host-allocated memory (before the divide) */
	PVF_ALLOC_SIDE_RUNTIME,      /* writes into runtime buffers (at or after the divide) */
} pvf_alloc_side;

/* The side (a pvf_alloc_side value) of the import named `name` (`len`
 * bytes, not NUL-terminated). An int, so that it can be given to the PVF
 * rules (wasm/rules.h, pvf_rules_side_fn) as it is. */
int pvf_hostfn_alloc_side(const char *name, size_t len);

#endif
