/*
 * rt_config.h — the wasm2c runtime configuration shared by the runtime
 * (rt.c, compiled into pvfhost) and the generated code (compiled into each
 * artifact). Both sides must agree, so both take it from here: rt.c defines
 * these macros before including wasm-rt.h, and the preparation step passes
 * PVF_RT_CONFIG_CFLAGS to the C compiler.
 *
 *   - memory bounds: guard-page reservations (8 GiB + a guard page per
 *     memory, PROT_NONE beyond the current size); an access outside faults
 *     and the runtime's signal handler turns the fault into a trap;
 *   - call stack: deterministic depth counting; the limit is a preparation
 *     parameter compiled into the artifact (WASM_RT_MAX_CALL_STACK_DEPTH).
 *
 * Trap codes beyond wasm2c's own (which stop at WASM_RT_TRAP_EXHAUSTION) are
 * defined here; the generated code is patched to use the table and indirect
 * call ones (see prepare.c).
 */
#ifndef PVF_ENGINE_RT_CONFIG_H
#define PVF_ENGINE_RT_CONFIG_H

#define PVF_RT_CONFIG_CFLAGS \
	"-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1", "-DWASM_RT_USE_STACK_DEPTH_COUNT=1"

#define PVF_RT_TRAP_TABLE_OOB 64
#define PVF_RT_TRAP_INDIRECT_NULL 65
#define PVF_RT_TRAP_INDIRECT_MISMATCH 66
#define PVF_RT_TRAP_HOST_ERROR 67
#define PVF_RT_TRAP_UNSUPPORTED_HOST 68
#define PVF_RT_TRAP_RESOURCE 69

/* Bytes reserved per linear memory: 4 GiB of addresses + 4 GiB of static
 * offset (what wasm2c's signal mode assumes), plus one guard page for the
 * last bytes of an 8-byte access at the very end. */
#define PVF_RT_MEMORY_RESERVATION ((1ull << 33) + 65536ull)

#endif
