/*
 * rt.h — pvfhost's implementation of the wasm2c runtime, internal API.
 *
 * The generated code calls the wasm_rt_* functions of wasm-rt.h; rt.c
 * implements them (replacing wabt's wasm-rt-impl.c, which aborts on
 * allocation failure and leaks each memory's reservation). The engine uses
 * the pvf__rt_* functions below to run code under a trap handler.
 */
#ifndef PVF_ENGINE_RT_H
#define PVF_ENGINE_RT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* Installs the fault handler once per process. Returns 0 or -errno. */
int pvf__rt_init(void);

/* Runs fn(arg) under the trap handler on a stack of `stack_size` bytes,
 * switched to on the calling thread (a nested call from inside wasm code
 * runs directly, so its traps unwind to the outermost call). Returns 0 when
 * fn returned, -1 with *trap filled when the code trapped, or a negative
 * errno (< -1) when the stack could not be made. */
int pvf__rt_run(size_t stack_size, void (*fn)(void *), void *arg, pvf_trap *trap);

/* Raises a trap of `kind` with a message from inside a host function or
 * glue (never returns). Only valid while code runs under pvf__rt_run. */
__attribute__((noreturn)) void pvf__rt_trap(pvf_trap_kind kind, const char *msg);

/* Caps the page count of memories that instantiation allocates from now on
 * (0: no cap beyond wasm's 65,536). */
void pvf__rt_set_max_pages(uint32_t max_pages);

/* Number of live memory reservations (tests check that frees release). */
uint32_t pvf__rt_live_memories(void);

#endif
