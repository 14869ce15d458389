/*
 * nancanon.h — NaN canonicalisation of wasm2c's output (internal;
 * nancanon.c).
 */
#ifndef PVF_ENGINE_NANCANON_H
#define PVF_ENGINE_NANCANON_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "engine/engine.h"
#include "wasm/nanflow.h"

/* Rewrites the generated C in *buf (*len bytes; replaced on success) so
 * that float results that can be seen are canonical NaNs. `nf` (may be
 * NULL: no analysis) places the tests; `tcc` also rewrites float negations
 * for tcc. Counts what it did in stats->nan_*. */
int pvf__canonicalize_nans(char **buf, size_t *len, bool tcc, const pvf_nanflow *nf, pvf_prepare_stats *stats,
			   pvf_error *err);

#endif
