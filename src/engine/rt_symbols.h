/*
 * rt_symbols.h — the native symbols an artifact's code may reference
 * outside itself.
 */
#ifndef PVF_ENGINE_RT_SYMBOLS_H
#define PVF_ENGINE_RT_SYMBOLS_H

#include "engine/elf_load.h"

/* The wasm2c runtime (rt.c) and the C library functions that wasm2c's output
 * and the supported compilers call, sorted by name. */
extern const pvf_elf_symtab pvf__rt_symbols;

#endif
