/*
 * membase.h — linear-memory accesses of the generated C through a base
 * pointer each function reads once (internal; membase.c).
 */
#ifndef PVF_ENGINE_MEMBASE_H
#define PVF_ENGINE_MEMBASE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/engine.h"

/* Rewrites the (patched) wasm2c 1.0.32 output in *buf (*len bytes; the
 * buffer is replaced when rewritten): the `_b` helpers are defined after
 * wasm2c's, and every function that loads or stores through a memory reads
 * that memory's base pointer once and passes it to them. Text whose
 * function definitions split.c cannot read is left as it is. Fails with
 * PVF_E_TOOL "unexpected wasm2c output" when wasm2c's helpers are not
 * found. Counts what it did in stats->membase_*. */
int pvf__membase_rewrite(char **buf, size_t *len, pvf_prepare_stats *stats, pvf_error *err);

#endif
