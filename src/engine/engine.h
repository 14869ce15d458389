/*
 * engine.h — the ahead-of-time engine: wasm -> C (wasm2c) -> shared object
 * (system C compiler) -> artifact file -> loaded artifact -> instance -> call.
 *
 * Data flows one way:
 *
 *   pvf_engine_prepare()   wasm bytes + decoded module -> artifact file
 *   pvf_artifact_open()    artifact file -> verified, mapped pvf_artifact
 *   pvf_instance_new()     pvf_artifact + import bindings -> pvf_instance
 *   pvf_instance_call()    pvf_instance + export name + args -> results | trap
 *
 * Runtime state of the translated code (trap target, stack-cost counter,
 * registered function types, signal handler) is process-global, as wasm2c
 * requires: run one job per process, and calls from one thread at a time.
 * Instances and artifacts may be created and freed any number of times.
 *
 * Values cross this interface as uint64_t: i32 in the low 32 bits, i64 as is,
 * f32 as its bit pattern in the low 32 bits, f64 as its bit pattern.
 */
#ifndef PVF_ENGINE_ENGINE_H
#define PVF_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "wasm/module.h"

/* Defaults. */
#define PVF_DEFAULT_MAX_PAGES 2080u          /* 32 + 2,048 */
#define PVF_DEFAULT_STACK_LIMIT 65536u       /* logical stack limit (Polkadot's StackLogicalMax default) */
#define PVF_DEFAULT_NATIVE_STACK_MAX (256u << 20)

/* Trap kinds: what stopped the wasm code. */
typedef enum pvf_trap_kind {
	PVF_TRAP_NONE = 0,
	PVF_TRAP_UNREACHABLE,
	PVF_TRAP_MEMORY_OOB,
	PVF_TRAP_TABLE_OOB,
	PVF_TRAP_INDIRECT_NULL,
	PVF_TRAP_INDIRECT_MISMATCH,
	PVF_TRAP_DIV_BY_ZERO,
	PVF_TRAP_INT_OVERFLOW,
	PVF_TRAP_INVALID_CONVERSION,
	PVF_TRAP_STACK_EXHAUSTED,
	PVF_TRAP_HOST_ERROR,         /* a host function reported an error */
	PVF_TRAP_UNSUPPORTED_HOST,   /* an unsupported host function was called */
	PVF_TRAP_RESOURCE,           /* memory/table allocation failed at run time */
	PVF_TRAP__COUNT
} pvf_trap_kind;

/* Stable short name ("unreachable", "memory-out-of-bounds", ...). */
const char *pvf_trap_name(pvf_trap_kind k);
/* Human sentence ("unreachable instruction executed", ...). */
const char *pvf_trap_describe(pvf_trap_kind k);

typedef struct pvf_trap {
	pvf_trap_kind kind;
	char msg[PVF_ERROR_MSG_MAX];   /* detail, e.g. the host function's message */
} pvf_trap;

/* ---- Preparation ------------------------------------------------------ */

typedef struct pvf_prepare_opts {
	const char *cc;              /* C compiler (path or name); NULL: default */
	const char *opt_level;       /* e.g. "-O1"; NULL: default (-Og) */
	const char *extra_cflags;    /* appended, space separated; may be NULL */
	uint32_t stack_limit;        /* the logical stack limit (Polkadot's StackLogicalMax);
				      * 0: PVF_DEFAULT_STACK_LIMIT */
	uint32_t max_memory_pages;   /* 0: PVF_DEFAULT_MAX_PAGES */
	uint64_t native_stack_max;   /* 0: PVF_DEFAULT_NATIVE_STACK_MAX */
	uint32_t features;           /* pvf_feature bits to pass to wasm2c */
	const char *work_dir;        /* scratch directory; NULL: a new one under TMPDIR */
	bool keep_work_dir;          /* keep intermediate files (debugging) */
	uint32_t jobs;               /* parallel compiler processes; 0 = number of online CPUs */
	uint8_t params_hash[32];     /* preparation-parameters hash to record */
	bool has_code_hash;          /* code_hash given (e.g. of the compressed blob); */
	uint8_t code_hash[32];       /* otherwise BLAKE2b-256 of the wasm bytes */
	/* Directory of the compiled-chunk cache (chunk_cache.h); NULL: none.
	 * Chunks found there are not compiled again; new ones are added. The
	 * artifact is the same either way. Every preparation that shares the
	 * directory trusts the others' compiler processes (docs/cache.md). */
	const char *chunk_cache_dir;
	/* Function text per chunk at least (split.h); 0: 512 KiB, or 2 MiB at
	 * -O0 where a compiler process's fixed cost weighs more. */
	size_t chunk_min_bytes;
	/* Test every float arithmetic result for NaN, without the placement
	 * analysis (wasm/nanflow.c): the reference the differential test
	 * compares against (tests/nanflow). Part of the toolchain id. */
	bool nan_test_every_result;
} pvf_prepare_opts;

typedef struct pvf_stage_stats {
	double wall_s, cpu_s;        /* cpu: user+sys of the children */
	uint64_t peak_rss_kb;        /* largest child RSS */
} pvf_stage_stats;

typedef struct pvf_prepare_stats {
	pvf_stage_stats translate, compile, link, store;
	uint32_t max_frame_bytes;    /* largest native frame of the code */
	uint64_t native_stack_bytes; /* stack the execution needs */
	uint64_t artifact_bytes;
	uint32_t translate_parts;    /* wasm2c processes whose output was used (1: the whole module) */
	char translate_note[160];    /* why the parts were not used ("" when they were, or none were run) */
	uint32_t units;              /* compilation units: the glue + chunks (or the whole module) */
	uint32_t units_cached;       /* of which taken from the chunk cache */
	/* NaN canonicalisation (nancanon.c): defined functions whose tests
	 * the analysis placed (the others test every arithmetic result), and
	 * the tests written: at arithmetic statements, at reads of locals. */
	uint32_t nan_funcs_placed, nan_funcs;
	uint64_t nan_tests_arith, nan_tests_read;
	/* Memory accesses through a base pointer (membase.c): functions that
	 * read it, loads and stores that use it. */
	uint32_t membase_funcs;
	uint64_t membase_accesses;
} pvf_prepare_stats;

/* Translates and compiles `wasm` (already decoded into `m`, whose rules the
 * caller has checked) into an artifact file at `out_path` (written atomically
 * via a temporary file in the same directory). `stats` may be NULL. */
int pvf_engine_prepare(const uint8_t *wasm, size_t size, const pvf_module *m,
		       const pvf_prepare_opts *opts, const char *out_path,
		       pvf_prepare_stats *stats, pvf_error *err);

/* The toolchain id recorded in artifacts prepared with `opts`: wabt version,
 * compiler path and --version, flags, pvfhost version. Caller frees. */
int pvf_engine_toolchain_id(const pvf_prepare_opts *opts, char **ret, pvf_error *err);

/* The fastest compiler found in PATH for a first, unoptimised artifact:
 * "tcc" (about 20 times faster than clang -O0 on runtimes,
 * docs/performance.md), else "clang". */
const char *pvf_engine_fast_cc(void);

typedef struct pvf_chunk_cache_stats {
	uint64_t entries, bytes;     /* kept */
	uint64_t removed, removed_bytes;
} pvf_chunk_cache_stats;

/* Prunes a chunk cache directory: removes entries unused for more than
 * max_age_s seconds (0: no age limit), then the least recently used ones
 * until at most max_bytes remain (0: no size cap), and temporary files left
 * by killed writers. A missing directory is an empty cache. `stats` may be
 * NULL. */
int pvf_chunk_cache_prune(const char *dir, uint64_t max_bytes, uint64_t max_age_s, pvf_chunk_cache_stats *stats,
			  pvf_error *err);

/* ---- Artifacts -------------------------------------------------------- */

typedef struct pvf_artifact pvf_artifact;

typedef struct pvf_artifact_info {
	uint32_t format_version;
	char *toolchain_id;          /* owned by the artifact */
	uint8_t code_hash[32];       /* BLAKE2b-256 of the code as given */
	uint8_t params_hash[32];
	uint32_t stack_limit;        /* the logical stack limit compiled in */
	uint32_t max_memory_pages;
	uint32_t max_frame_bytes;
	uint64_t native_stack_bytes;
	uint64_t payload_size;
} pvf_artifact_info;

typedef struct pvf_artifact_expect {
	const char *toolchain_id;    /* NULL: do not check */
	const uint8_t *code_hash;    /* NULL: do not check */
	const uint8_t *params_hash;  /* NULL: do not check */
} pvf_artifact_expect;

/* Reads the header only and verifies magic, version, lengths and checksum. */
int pvf_artifact_verify(const char *path, const pvf_artifact_expect *expect,
			pvf_artifact_info *ret_info, pvf_error *err);
void pvf_artifact_info_clear(pvf_artifact_info *info);

/* Verifies every header field and the checksum, then loads the code. Errors:
 * PVF_E_ARTIFACT_CORRUPT, PVF_E_ARTIFACT_FOREIGN, PVF_E_ARTIFACT_LOAD. */
int pvf_artifact_open(const char *path, const pvf_artifact_expect *expect,
		      pvf_artifact **ret, pvf_error *err);
const pvf_artifact_info *pvf_artifact_get_info(const pvf_artifact *a);
void pvf_artifact_close(pvf_artifact *a);

/* ---- Instances -------------------------------------------------------- */

typedef struct pvf_instance pvf_instance;

/* A host function. Reads args, writes results (as many as the import's
 * type has). Returns 0, or -1 after setting trap->kind (PVF_TRAP_HOST_ERROR
 * or PVF_TRAP_UNSUPPORTED_HOST) and trap->msg. `inst` gives access to the
 * calling instance's memory. */
typedef int (*pvf_host_fn)(void *ctx, pvf_instance *inst, const uint64_t *args,
			   uint64_t *results, pvf_trap *trap);

/* What an import is bound to. Memories, tables and globals are raw wasm2c
 * runtime objects (wasm_rt_memory_t *, wasm_rt_funcref_table_t *, pointer to
 * the global's storage), e.g. obtained from another instance's exports or
 * from pvf_memory_new(). */
typedef struct pvf_binding {
	pvf_extern_kind kind;
	union {
		struct {
			pvf_host_fn fn;
			void *ctx;
		} func;
		void *memory;    /* wasm_rt_memory_t * */
		void *table;     /* wasm_rt_funcref_table_t * */
		void *global;    /* u32 / u64 / f32 / f64 storage */
	} u;
} pvf_binding;

typedef struct pvf_instance_opts {
	uint32_t max_memory_pages;   /* 0: the artifact's */
} pvf_instance_opts;

/* Instantiates: binds imports[i] to the module's i-th import (bindings must
 * match the import kinds), allocates memories and tables, runs data and
 * element initialisation. A trap during instantiation is PVF_E_INSTANTIATE
 * (with *trap filled if trap is not NULL); allocation failure is
 * PVF_E_RUNTIME_CONSTRUCTION. The module's start function, if any, runs at
 * the end of instantiation (as wasm2c does); a trap there is also
 * PVF_E_INSTANTIATE. Segments are written in order (bulk-memory semantics):
 * callers that need all-or-nothing MVP semantics on imported memories and
 * tables check segment bounds first. */
int pvf_instance_new(pvf_artifact *a, const pvf_binding *imports, uint32_t nimports,
		     const pvf_instance_opts *opts, pvf_instance **ret, pvf_trap *trap,
		     pvf_error *err);
void pvf_instance_free(pvf_instance *inst);

/* Calls an exported function. args/results as described above; the counts
 * must match the export's type. Returns 0 on a normal return; -1 with
 * err->code PVF_E_TRAP and *trap filled on a trap; -1 with another code for
 * host failures or a bad export name/type. */
int pvf_instance_call(pvf_instance *inst, const char *export_name, const uint64_t *args,
		      uint32_t nargs, uint64_t *results, uint32_t nresults, pvf_trap *trap,
		      pvf_error *err);

/* Same, by export index (names may contain NUL bytes). */
int pvf_instance_call_index(pvf_instance *inst, uint32_t export_index, const uint64_t *args,
			    uint32_t nargs, uint64_t *results, uint32_t nresults, pvf_trap *trap,
			    pvf_error *err);

/* Exports other than functions (NULL if absent or of another kind). */
void *pvf_instance_export_memory(pvf_instance *inst, const char *name);   /* wasm_rt_memory_t * */
void *pvf_instance_export_table(pvf_instance *inst, const char *name);    /* wasm_rt_funcref_table_t * */
void *pvf_instance_export_global(pvf_instance *inst, const char *name);   /* storage */

/* Getter of a non-function export by index (NULL for functions). */
void *pvf_instance_export_index(pvf_instance *inst, uint32_t export_index);

/* The instance's memory 0 (defined or imported), or NULL. */
void *pvf_instance_memory(pvf_instance *inst);
/* Bounds-checked access to memory 0. */
int pvf_instance_read(pvf_instance *inst, uint64_t addr, void *dst, size_t len, pvf_error *err);
int pvf_instance_write(pvf_instance *inst, uint64_t addr, const void *src, size_t len, pvf_error *err);
/* Current size of memory 0 in bytes (0 if none). */
uint64_t pvf_instance_memory_size(pvf_instance *inst);
/* Grows memory 0 by `pages`; returns the old page count or -1. */
int64_t pvf_instance_memory_grow(pvf_instance *inst, uint32_t pages);

/* Host-owned runtime objects (for imports). */
void *pvf_memory_new(uint32_t initial_pages, uint32_t max_pages, pvf_error *err);
void pvf_memory_free(void *memory);
void *pvf_table_new(uint32_t initial, uint32_t max, pvf_error *err);
void pvf_table_free(void *table);

/* The imports and exports an artifact was built with (from the artifact
 * itself, no wasm needed). Value types are spelled one char each:
 * 'i' i32, 'I' i64, 'f' f32, 'F' f64. */
typedef struct pvf_extern_desc {
	const char *module;          /* imports only */
	uint32_t module_len;
	const char *name;
	uint32_t name_len;
	pvf_extern_kind kind;
	const char *params;          /* func: parameter types; global: its type */
	const char *results;         /* func: result types */
	bool mut;                    /* global */
	uint64_t min, max;           /* memory pages / table elements */
	bool has_max;
} pvf_extern_desc;

uint32_t pvf_artifact_nimports(const pvf_artifact *a);
const pvf_extern_desc *pvf_artifact_import(const pvf_artifact *a, uint32_t i);
uint32_t pvf_artifact_nexports(const pvf_artifact *a);
const pvf_extern_desc *pvf_artifact_export(const pvf_artifact *a, uint32_t i);
/* Index of the export named `name` (name_len bytes), or -1. */
int32_t pvf_artifact_find_export(const pvf_artifact *a, const char *name, uint32_t name_len);

/* The calling thread keeps the stack its wasm runs switch to (mapped at
 * the first run, grown when a run needs more) instead of mapping one per
 * run: for a process that instantiates ahead of its request and makes one
 * call, then exits, so that the call finds the stack mapped and its top
 * pages present. Never unmapped while the thread lives. */
void pvf_engine_keep_run_stack(void);

#endif
