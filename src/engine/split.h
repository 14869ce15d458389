/*
 * split.h — parallel compilation of one module (internal): the wasm2c 1.0.32
 * output is cut at function boundaries into several translation units
 * ("chunks") that compile in concurrent compiler processes and link into
 * the one shared object. See split.c for the text structure relied on.
 */
#ifndef PVF_ENGINE_SPLIT_H
#define PVF_ENGINE_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/engine.h"

/* Function text (bytes of C) a chunk holds at least (but the last): below
 * 2 x this, a module is compiled as one unit. */
#define PVF_SPLIT_MIN_CHUNK_BYTES (512u << 10)
/* A run of functions ends at PVF_SPLIT_MAX_FACTOR x the minimum at the
 * latest, and after a function whose name hash & PVF_SPLIT_CUT_MASK is 0
 * once it has the minimum (split.c). */
#define PVF_SPLIT_MAX_FACTOR 4u
#define PVF_SPLIT_CUT_MASK 7u
/* Most chunks per module (a bigger module gets longer runs). */
#define PVF_SPLIT_MAX_CHUNKS 256u
/* Most wasm functions the splitter accepts (wasm2c's output for a module
 * that passed the PVF rules has far fewer; this bounds allocations). */
#define PVF_SPLIT_MAX_FUNCS (1u << 20)
/* Most processes pvf__run_parallel runs (one per compilation unit). */
#define PVF_PARALLEL_MAX_PROCS (PVF_SPLIT_MAX_CHUNKS + 8u)

typedef struct pvf_split_chunk {
	char *text;            /* the chunk's C source, NUL-terminated */
	size_t len;
	size_t body_bytes;     /* bytes of wasm function definitions in it */
	uint32_t nfuncs;
} pvf_split_chunk;

typedef struct pvf_split {
	uint32_t nchunks;      /* 0 or 1: not split (compile the file as is) */
	uint32_t nfuncs;       /* wasm functions defined in the file */
	pvf_split_chunk chunk[PVF_SPLIT_MAX_CHUNKS];  /* chunk[0]: the "main" one */
} pvf_split;

/* The min_chunk_bytes preparation uses: PVF_SPLIT_MIN_CHUNK_BYTES. Tests
 * lower it to exercise the split path with small modules. */
extern size_t pvf__split_min_chunk_bytes;

/* Splits the (patched) wasm2c output src[0, len) into units: chunk 0
 * keeps the module's data, element, export and instantiation code, each
 * further chunk a run of functions with at least min_chunk_bytes of text
 * (but the last). The result depends on the text alone. Fills *ret and
 * returns the number of chunks; 1 (with ret->nchunks = 1 and no text) when
 * the module is too small to be worth splitting, in which case the file is
 * compiled as it is. Fails with PVF_E_TOOL "unexpected wasm2c output" when
 * the text does not have the structure wasm2c 1.0.32 writes. */
int pvf__split_generated(const char *src, size_t len, size_t min_chunk_bytes, pvf_split *ret, pvf_error *err);
void pvf__split_free(pvf_split *s);

/* [start, end) in a text. */
typedef struct pvf_text_span {
	size_t start, end;
} pvf_text_span;

/* The definitions of the wasm functions in wasm2c output src[0, len), in
 * file order (which is function index order), each from its first line
 * through its closing "}\n": *ret (malloc'd; NULL when there is none)
 * gets *n spans. Fails like pvf__split_generated on text it does not
 * recognise. */
int pvf__split_defs(const char *src, size_t len, pvf_text_span **ret, uint32_t *n, pvf_error *err);


/* The number of compiler processes to run at once for `jobs` (0: the
 * number of online CPUs), at least 1 and at most PVF_SPLIT_MAX_CHUNKS. */
uint32_t pvf__split_jobs(uint32_t jobs);

/* Runs the n commands argvs[i] (argv[0] looked up in PATH) in `cwd`, at
 * most `jobs` at a time, each with stdin from /dev/null and its output
 * captured. Once one fails no more are started; the running ones are
 * waited for. Returns 0 when all exited with status 0; -1 otherwise:
 * PVF_E_TOOL if a command could not be started, PVF_E_COMPILE naming
 * `what` and quoting the output if one failed. *stage gets wall = elapsed
 * time of the whole run, cpu = sum over the children, rss = the largest. */
int pvf__run_parallel(char *const *const argvs[], uint32_t n, const char *cwd, uint32_t jobs,
		      const char *what, pvf_stage_stats *stage, pvf_error *err);

#endif
