/*
 * functions.h — the Substrate host functions bound to a wasm instance, and
 * the binder that links an artifact's imports to them.
 *
 * A pvf_hostapi_ctx is the host side of one instance: the imported memory
 * (if the module imports `env.memory`), the freeing-bump allocator over the
 * instance's memory 0, the log sink and level, the deprecated
 * batch-verification flag, the last error-level log line (the panic
 * message a runtime logs just before `unreachable`) and, for runtime calls
 * other than validation, a storage state.
 *
 * Validation and runtime calls: validate_block runs exactly as under
 * Polkadot's PVF executor, where every storage function is a stub that
 * traps. A call of any other export (Core_version, Metadata_metadata, ...)
 * is a Substrate runtime call against an empty state: the context owns a
 * pvf_state (hostapi/state.h) that starts empty and is freed with the
 * context, and the registry's PVF_HOSTFN_STATE functions (main-trie
 * storage, storage transactions, storage_proof_size) work on it with
 * sp-io's semantics over an empty backend. Without a state those functions
 * trap exactly like the stub (PVF_TRAP_UNSUPPORTED_HOST, message NAME).
 *
 *   pvf_hostapi_ctx_new()     options -> context
 *   pvf_hostapi_bind()        artifact imports -> bindings (memory created)
 *   pvf_instance_new()        (engine) bindings -> instance
 *   pvf_hostapi_ctx_attach()  instance -> allocator initialised from
 *                             the exported `__heap_base` global
 *   ... calls; host functions run with the context ...
 *   pvf_instance_free(), then pvf_hostapi_ctx_free() (frees the memory)
 *
 * If attach is not called, the allocator is initialised on first use from
 * the instance that calls the host function.
 *
 * Binding rules (as Polkadot's PVF executor, sc-executor-wasmtime with
 * allow_missing_func_imports):
 *   env.memory           a new memory of the import's minimum size whose
 *                        maximum is the heap maximum (default 2,080 pages),
 *                        whatever maximum the import declares;
 *   env.<implemented>    its implementation; the import's type must equal
 *                        the registry's signature, else PVF_E_LINK;
 *   env.<state function> its implementation, which traps as the stub when
 *                        the context has no state at call time; imported
 *                        with another signature: the stub (the state may
 *                        be given after binding, see below);
 *   env.<anything else>  a stub that traps PVF_TRAP_UNSUPPORTED_HOST with
 *                        the message NAME when called (shown as
 *                        "unsupported host function: NAME");
 *   other modules, tables, globals: PVF_E_LINK.
 *
 * Host-function errors (out-of-bounds pointers, undecodable arguments,
 * allocator failures) trap with PVF_TRAP_HOST_ERROR and a message that names
 * the host function.
 */
#ifndef PVF_HOSTAPI_FUNCTIONS_H
#define PVF_HOSTAPI_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/engine.h"
#include "hostapi/allocator.h"
#include "hostapi/state.h"

/* sp_core::RuntimeInterfaceLogLevel, as passed to ext_logging_log. */
#define PVF_LOG_ERROR 0u
#define PVF_LOG_WARN 1u
#define PVF_LOG_INFO 2u
#define PVF_LOG_DEBUG 3u
#define PVF_LOG_TRACE 4u

/* sp_core::LogLevelFilter, as returned by ext_logging_max_level. */
#define PVF_LOG_FILTER_OFF 0u
#define PVF_LOG_FILTER_ERROR 1u
#define PVF_LOG_FILTER_WARN 2u
#define PVF_LOG_FILTER_INFO 3u
#define PVF_LOG_FILTER_DEBUG 4u
#define PVF_LOG_FILTER_TRACE 5u
/* A Polkadot node's default filter ("info"). */
#define PVF_LOG_FILTER_DEFAULT PVF_LOG_FILTER_INFO

/* Longest error-log line kept for trap messages (bytes, without NUL). */
#define PVF_HOSTAPI_LAST_LOG_MAX 400u

/* Receives every log line at or below the context's filter. Strings are
 * not NUL-terminated and are untrusted (target is valid UTF-8, message is
 * valid UTF-8; both may contain control characters): quote when printing. */
typedef void (*pvf_log_sink)(void *user, uint32_t level, const char *target, size_t target_len,
			     const char *message, size_t message_len);

/* "ERROR", "WARN", "INFO", "DEBUG", "TRACE" ("?" for others). */
const char *pvf_runtime_log_level_name(uint32_t level);

typedef struct pvf_hostapi_opts {
	uint32_t max_pages;       /* heap maximum in pages; 0: PVF_DEFAULT_MAX_PAGES */
	uint32_t max_log_level;   /* PVF_LOG_FILTER_*; ext_logging_max_level returns it */
	bool max_log_level_set;   /* false: PVF_LOG_FILTER_DEFAULT */
	pvf_log_sink log_sink;    /* may be NULL */
	void *log_user;
	bool runtime_state;       /* a runtime call, not validation: the context
				   * starts with an empty storage state */
} pvf_hostapi_opts;

typedef struct pvf_hostapi_ctx pvf_hostapi_ctx;

/* `opts` may be NULL (defaults). */
int pvf_hostapi_ctx_new(const pvf_hostapi_opts *opts, pvf_hostapi_ctx **ret, pvf_error *err);
/* Frees the context and the memory it created. Call after the instance is
 * freed. NULL is accepted. */
void pvf_hostapi_ctx_free(pvf_hostapi_ctx *ctx);

/* Builds one binding per import of `a` (in import order) into a new array
 * (*ret_bindings, caller frees with free(); pvf_artifact_nimports(a)
 * entries, at least one allocated). The bindings point into `ctx`, which
 * must outlive the instance. A context binds one artifact once. Errors:
 * PVF_E_LINK, PVF_E_RUNTIME_CONSTRUCTION (memory reservation), PVF_E_NOMEM,
 * PVF_E_USAGE. */
int pvf_hostapi_bind(const pvf_artifact *a, pvf_hostapi_ctx *ctx, pvf_binding **ret_bindings,
		     pvf_error *err);

/* Attaches the instance created from the bindings and initialises the
 * allocator from its `__heap_base` export (an i32 global). A missing or
 * mistyped `__heap_base` is PVF_E_INSTANTIATE, as Substrate refuses to call
 * such a runtime through the legacy entry point; it is reported by
 * pvf_hostapi_malloc (the input's allocation), since a call through an
 * RFC-0145 entry point needs no allocator. */
int pvf_hostapi_ctx_attach(pvf_hostapi_ctx *ctx, pvf_instance *inst, pvf_error *err);

/* Before a call through an RFC-0145 entry point ((len: i32) -> i64): the
 * runtime reads `input` (which must outlive the call) once with
 * ext_input_read_version_1, and every host-allocating function (the
 * allocator, functions that return host-allocated buffers) traps, as
 * Substrate's executor sets up no host allocator for such a call. */
int pvf_hostapi_ctx_set_input_entry(pvf_hostapi_ctx *ctx, const uint8_t *input, size_t len, pvf_error *err);

/* Before a call: `on` gives the context an empty storage state (an
 * existing one is kept), `off` frees it, so that the PVF_HOSTFN_STATE
 * functions trap as stubs. For instances created before the export to call
 * is known. Errors: PVF_E_NOMEM, PVF_E_USAGE. */
int pvf_hostapi_ctx_set_runtime_state(pvf_hostapi_ctx *ctx, bool on, pvf_error *err);
/* The context's storage state, or NULL (validation). */
pvf_state *pvf_hostapi_state(const pvf_hostapi_ctx *ctx);

/* Host-side allocation in the attached instance's memory (the input buffer
 * of the calling convention). Errors are PVF_E_TRAP from the allocator or
 * PVF_E_USAGE when nothing is attached. */
int pvf_hostapi_malloc(pvf_hostapi_ctx *ctx, uint32_t size, uint32_t *ret_ptr, pvf_error *err);
int pvf_hostapi_free(pvf_hostapi_ctx *ctx, uint32_t ptr, pvf_error *err);

/* The last error-level line logged through ext_logging_log ("target:
 * message", truncated to PVF_HOSTAPI_LAST_LOG_MAX bytes), or "" if none. */
const char *pvf_hostapi_last_error_log(const pvf_hostapi_ctx *ctx);
/* Allocator statistics (zeros before the allocator is initialised). */
pvf_alloc_stats pvf_hostapi_alloc_stats(const pvf_hostapi_ctx *ctx);
/* The memory the binder created for an `env.memory` import, or NULL. */
void *pvf_hostapi_memory(const pvf_hostapi_ctx *ctx);

/* Whether the binder has an implementation for this registry name. */
bool pvf__hostapi_implements(const char *name);

/* Keccak-512 (original Keccak padding), for ext_hashing_keccak_512. */
void pvf__keccak_512(const uint8_t *data, size_t len, uint8_t out[64]);

/* What ext_misc_runtime_version returns inside its Option: the blob (raw or
 * Substrate-compressed wasm, never hex) decoded, its `runtime_version`
 * custom section decoded with the Core API version from `runtime_apis` as
 * hint, the apis replaced by `runtime_apis`, and re-encoded
 * (sc_executor::read_embedded_version + RuntimeVersion::encode). Returns 1
 * with a malloc'd *ret_buf, 0 for None (with the reason in err), -1 on host
 * failure (PVF_E_NOMEM). */
int pvf__runtime_version_read(const uint8_t *blob, size_t len, uint8_t **ret_buf, size_t *ret_len,
			      pvf_error *err);

#endif
