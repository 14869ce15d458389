/*
 * stacklimit.h — Polkadot's deterministic stack limit in the generated C
 * (internal; see stacklimit.c).
 */
#ifndef PVF_ENGINE_STACKLIMIT_H
#define PVF_ENGINE_STACKLIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Rewrites wasm2c's per-function FUNC_PROLOGUE / FUNC_EPILOGUE in buf[0,
 * *len) into the logical stack accounting: function k (code section order)
 * adds costs[k] on entry and traps when the sum goes over
 * WASM_RT_MAX_CALL_STACK_DEPTH (the logical limit), and subtracts it on
 * the way out. n must be the number of defined functions. *buf is
 * replaced. With ret_names, (*ret_names)[k] is function k's C name (free
 * with pvf__stacklimit_names_free), for its frame in the compiler's stack
 * usage. Errors: PVF_E_TOOL when the text does not have exactly one
 * prologue and one epilogue per function, PVF_E_NOMEM. */
int pvf__stacklimit_rewrite(char **buf, size_t *len, const uint32_t *costs, uint32_t n, char ***ret_names,
			    pvf_error *err);
void pvf__stacklimit_names_free(char **names, uint32_t n);

#endif
