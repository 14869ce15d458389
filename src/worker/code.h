/*
 * code.h — validation code from bytes or a file to "ready to prepare":
 *
 *   bytes (raw wasm | maybe-compressed blob | 0x-hex text of either)
 *     -> code hash: BLAKE2b-256 of the blob as given (hex decoded first),
 *        Polkadot's ValidationCodeHash
 *     -> wasm bytes (blob/blob.h, bounded decompression)
 *     -> decoded, validated module (wasm/module.h, PVF_FEATURES_ALL)
 *     -> PVF rules (wasm/rules.h; unknown env functions allowed, as
 *        Polkadot links them to trapping stubs)
 *
 * pvf_code_prepare() then compiles it into an artifact file, recording the
 * code hash.
 */
#ifndef PVF_WORKER_CODE_H
#define PVF_WORKER_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blob/blob.h"
#include "common/error.h"
#include "engine/engine.h"
#include "wasm/module.h"
#include "wasm/rules.h"

typedef struct pvf_code_opts {
	pvf_blob_opts blob;          /* limits; zeros: defaults */
	bool skip_rules;             /* do not check the PVF rules (e.g. `pvfhost call` on any module) */
	bool allow_bulk_memory;      /* the WasmExtBulkMemory executor parameter */
	uint64_t max_code_bytes;     /* rules: function-body bytes; 0: no limit */
} pvf_code_opts;

typedef struct pvf_code {
	uint8_t *wasm;               /* owned */
	size_t wasm_len;
	pvf_module *module;          /* owned; refers to wasm */
	pvf_blob_info blob;
	uint8_t code_hash[32];
	pvf_rule_verdict verdict;    /* ok unless skip_rules (then zeroed) */
} pvf_code;

/* `opts` may be NULL. Errors: those of pvf_blob_decode, pvf_module_decode,
 * a PVF_E_RULE_* verdict, PVF_E_NOMEM. */
int pvf_code_load(const uint8_t *bytes, size_t len, const pvf_code_opts *opts, pvf_code **ret,
		  pvf_error *err);
/* Reads the file (at most opts->blob.max_input bytes, default
 * PVF_BLOB_DEFAULT_MAX_INPUT) and loads it. I/O errors name the path. */
int pvf_code_load_file(const char *path, const pvf_code_opts *opts, pvf_code **ret, pvf_error *err);
void pvf_code_free(pvf_code *code);

/* Prepares into `artifact_path` (the code hash is recorded unless
 * opts->has_code_hash is already set). `opts` and `stats` may be NULL. */
int pvf_code_prepare(const pvf_code *code, const pvf_prepare_opts *opts, const char *artifact_path,
		     pvf_prepare_stats *stats, pvf_error *err);

#endif
