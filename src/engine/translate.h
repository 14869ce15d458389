/*
 * translate.h — the translation stage (internal): wasm2c on the module,
 * one process, or several at once on partial modules whose outputs are
 * stitched into the text the single process writes. See translate.c.
 */
#ifndef PVF_ENGINE_TRANSLATE_H
#define PVF_ENGINE_TRANSLATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/engine.h"
#include "engine/toolchain.h"
#include "wasm/module.h"

/* Modules with less code than this are translated by one process. */
#define PVF_TRANSLATE_PARALLEL_MIN_CODE (1u << 20)
/* The threshold preparation uses: PVF_TRANSLATE_PARALLEL_MIN_CODE. Tests
 * lower it to exercise the parallel path with small modules. */
extern uint64_t pvf__translate_min_code;
/* Most partial modules. */
#define PVF_TRANSLATE_MAX_PARTS 8u

/* Writes `wasm` (decoded as `m`) to DIR/m.wasm and translates it into
 * DIR/m.c and DIR/m.h. With parts > 1 and at least
 * pvf__translate_min_code bytes of code, runs that many wasm2c
 * processes at once, each on a copy of the module in which only its share
 * of the function bodies is kept (the others are `unreachable`), and
 * stitches the outputs; when the outputs do not fit together as expected,
 * translates the whole module in one process instead. *parts_used (may be
 * NULL) gets the number of processes whose output was used, and `why`
 * (may be NULL) the reason when the parts were not used. The result is the
 * same text either way. Costs go to *stage. */
int pvf__translate(const pvf_toolchain *tc, const uint8_t *wasm, size_t size, const pvf_module *m, const char *dir,
		   uint32_t parts, pvf_stage_stats *stage, uint32_t *parts_used, char *why, size_t why_len,
		   pvf_error *err);

/* A copy of `wasm` in which every defined function outside [lo, hi)
 * (indices among the defined functions) has the body `unreachable`;
 * *ret is malloc'd. */
int pvf__translate_partial_module(const uint8_t *wasm, size_t size, const pvf_module *m, uint32_t lo, uint32_t hi,
				  uint8_t **ret, size_t *ret_len, pvf_error *err);

#endif
