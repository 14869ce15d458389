/*
 * glue.h — generation of the glue C file compiled into every artifact, and
 * the wasm2c name mangling it relies on.
 */
#ifndef PVF_ENGINE_GLUE_H
#define PVF_ENGINE_GLUE_H

#include <stdio.h>

#include "common/error.h"
#include "wasm/module.h"

/* The module name passed to wasm2c (-n); symbols are Z_<this>... */
#define PVF_GLUE_MODULE "m"

/* Writes the glue for `m` (translated by wasm2c into "<header>") to out. */
int pvf__glue_write(const pvf_module *m, uint32_t stack_limit, const char *header,
		    FILE *out, pvf_error *err);

/* wasm2c 1.0.32's mangling of one name: "Z_" + bytes, where [A-Za-z0-9_]
 * other than 'Z' are kept and every other byte becomes Z<hex>. Writes to
 * out (appends). */
void pvf__glue_mangle(FILE *out, const char *name, uint32_t len);

#endif
