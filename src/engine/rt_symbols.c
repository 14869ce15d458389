/*
 * rt_symbols.c — the native symbols an artifact's code may reference
 * outside itself: the wasm2c runtime, and the C library functions that
 * wasm2c's output calls (memory copies, floating-point rounding) or that a
 * compiler emits calls to (tcc: the classification functions behind the
 * <math.h> macros; a compiler with stack protection on: its failure hook).
 *
 * The artifact loader (elf_load.c) resolves an artifact's undefined symbols
 * against this table only, and the prepare step refuses an artifact that
 * needs anything else, so what an artifact's code can call outside itself is
 * exactly this list. Keep it sorted (strcmp order; the loader checks).
 */
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 1
#define WASM_RT_USE_STACK_DEPTH_COUNT 1
#include "engine/rt_config.h"

#include <math.h>
#include <string.h>
#include <wasm-rt.h>

#include "engine/rt_symbols.h"

void __stack_chk_fail(void);

#define SYM(s) { #s, (void *)&s }

static const pvf_elf_symbol symbols[] = {
	SYM(__fpclassify),
	SYM(__fpclassifyf),
	SYM(__isinf),
	SYM(__isinff),
	SYM(__isnan),
	SYM(__isnanf),
	SYM(__signbit),
	SYM(__signbitf),
	SYM(__stack_chk_fail),
	SYM(ceil),
	SYM(ceilf),
	SYM(copysign),
	SYM(copysignf),
	SYM(fabs),
	SYM(fabsf),
	SYM(floor),
	SYM(floorf),
	SYM(memcmp),
	SYM(memcpy),
	SYM(memmove),
	SYM(memset),
	SYM(nearbyint),
	SYM(nearbyintf),
	SYM(rint),
	SYM(rintf),
	SYM(sqrt),
	SYM(sqrtf),
	SYM(trunc),
	SYM(truncf),
	SYM(wasm_rt_allocate_externref_table),
	SYM(wasm_rt_allocate_funcref_table),
	SYM(wasm_rt_allocate_memory),
	SYM(wasm_rt_call_stack_depth),
	SYM(wasm_rt_exception),
	SYM(wasm_rt_exception_size),
	SYM(wasm_rt_exception_tag),
	SYM(wasm_rt_free),
	SYM(wasm_rt_free_externref_table),
	SYM(wasm_rt_free_funcref_table),
	SYM(wasm_rt_free_memory),
	SYM(wasm_rt_get_unwind_target),
	SYM(wasm_rt_grow_externref_table),
	SYM(wasm_rt_grow_funcref_table),
	SYM(wasm_rt_grow_memory),
	SYM(wasm_rt_init),
	SYM(wasm_rt_is_initialized),
	SYM(wasm_rt_load_exception),
	SYM(wasm_rt_register_func_type),
	SYM(wasm_rt_register_tag),
	SYM(wasm_rt_set_unwind_target),
	SYM(wasm_rt_strerror),
	SYM(wasm_rt_throw),
	SYM(wasm_rt_trap),
};

const pvf_elf_symtab pvf__rt_symbols = { symbols, sizeof(symbols) / sizeof(symbols[0]) };
