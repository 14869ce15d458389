/*
 * nanflow.h — which float results of a module's functions must be made the
 * canonical NaN, and where (nanflow.c).
 *
 * Polkadot's executor makes every float arithmetic result that is a NaN the
 * canonical NaN. A result whose bits can never be seen needs no test. This
 * analysis finds, per defined function, in the order wasm2c 1.0.32 emits
 * them (reachable code only):
 *   - each canonicalising operation (add, sub, mul, div, min, max, sqrt,
 *     ceil, floor, trunc, nearest, promote, demote): whether its result
 *     needs the test where it is computed;
 *   - each local.get of an f32/f64 local: whether the value read needs the
 *     test there instead (a "pure" local holds only arithmetic results and
 *     non-NaN constants, so testing a read that can be seen gives the same
 *     bits as testing every write).
 * A function the analysis cannot follow is marked not analysed; the caller
 * then tests every result as before.
 */
#ifndef PVF_WASM_NANFLOW_H
#define PVF_WASM_NANFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "wasm/module.h"

typedef struct pvf_nanflow_arith {
	uint8_t op;           /* the wasm opcode */
	bool need;            /* test the result where it is computed */
} pvf_nanflow_arith;

typedef struct pvf_nanflow_get {
	uint32_t local;       /* local index (parameters first) */
	bool f64;
	bool canon;           /* test the value read */
} pvf_nanflow_get;

typedef struct pvf_nanflow_func {
	bool analysed;
	uint32_t nparams;
	uint32_t narith, nget;
	pvf_nanflow_arith *arith;
	pvf_nanflow_get *get;
} pvf_nanflow_func;

typedef struct pvf_nanflow {
	uint32_t nfuncs;      /* defined functions */
	pvf_nanflow_func *funcs;
} pvf_nanflow;

/* Analyses every defined function of `m` (decoded and validated from its
 * bytes). Only running out of memory is an error; a function that cannot
 * be followed is reported as not analysed. Free with pvf_nanflow_free. */
int pvf_nanflow_analyse(const pvf_module *m, pvf_nanflow *ret, pvf_error *err);
void pvf_nanflow_free(pvf_nanflow *nf);

#endif
