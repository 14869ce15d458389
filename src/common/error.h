/*
 * error.h — errors as values.
 *
 * Every fallible pvfhost function returns an int: 0 (or a non-negative count)
 * on success, -1 on failure with the caller's `pvf_error` filled in. A
 * `pvf_error` carries a code (what happened), a class (what a caller should do
 * about it) and a message a user can act on. The class of a code is fixed in
 * one table (error.c), so every layer agrees on it.
 *
 * Classes:
 *   DETERMINISTIC     the input itself is bad: every honest machine reaches the
 *                     same verdict (invalid module, rule violation, trap, ...).
 *   POSSIBLY_INVALID  ambiguous: the input may be bad or the machine may have
 *                     failed (worker died, corrupted artifact, ...); retryable.
 *   INTERNAL          the host failed (I/O, out of memory, spawn failure, ...);
 *                     says nothing about the input.
 *
 * A NULL `pvf_error *` is accepted everywhere and means "do not report".
 */
#ifndef PVF_COMMON_ERROR_H
#define PVF_COMMON_ERROR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum pvf_error_class {
	PVF_CLASS_NONE = 0,
	PVF_CLASS_DETERMINISTIC,
	PVF_CLASS_POSSIBLY_INVALID,
	PVF_CLASS_INTERNAL,
} pvf_error_class;

/* Keep in sync with the table in error.c and with docs/errors.md. */
typedef enum pvf_error_code {
	PVF_OK = 0,

	/* Host failures (INTERNAL). */
	PVF_E_NOMEM,            /* out of memory in the host */
	PVF_E_IO,               /* a file or pipe operation failed */
	PVF_E_USAGE,            /* the caller passed a bad argument */
	PVF_E_TOOL,             /* an external tool (wasm2c, cc) could not be run */

	/* Code blobs (DETERMINISTIC). */
	PVF_E_BLOB_TOO_LARGE,   /* uncompressed blob over the size limit */
	PVF_E_BLOB_BOMB,        /* decompression would exceed the bomb limit */
	PVF_E_BLOB_CORRUPT,     /* truncated or corrupt zstd frame, bad hex */

	/* Module decoding and validation (DETERMINISTIC). */
	PVF_E_MALFORMED,        /* not a well-formed wasm binary */
	PVF_E_INVALID,          /* well-formed but fails wasm validation */

	/* PVF rules (DETERMINISTIC). */
	PVF_E_RULE_NO_VALIDATE_BLOCK,   /* validate_block missing or wrong type */
	PVF_E_RULE_NO_MEMORY,           /* no imported env.memory / exported memory */
	PVF_E_RULE_FEATURE,             /* a post-MVP feature outside the allowed set */
	PVF_E_RULE_START_FUNCTION,      /* the module has a start function */
	PVF_E_RULE_UNKNOWN_IMPORT,      /* import not in the host-function table */
	PVF_E_RULE_CODE_TOO_LARGE,      /* code over the size limit */
	PVF_E_RULE_IMPORT_SIGNATURE,    /* known host function, wrong signature */

	/* Preparation (DETERMINISTIC unless noted). */
	PVF_E_COMPILE,          /* the translator or compiler rejected the module */
	PVF_E_STACK_BOUND,      /* native stack bound exceeds the configured maximum */

	/* Artifacts (POSSIBLY_INVALID: re-prepare and retry). */
	PVF_E_ARTIFACT_CORRUPT, /* header, length or checksum mismatch */
	PVF_E_ARTIFACT_FOREIGN, /* built by another toolchain or format version */
	PVF_E_ARTIFACT_LOAD,    /* the code could not be mapped (elf_load.c) */

	/* Instantiation and execution. */
	PVF_E_LINK,             /* an import could not be bound (DETERMINISTIC) */
	PVF_E_INSTANTIATE,      /* instantiation trapped (DETERMINISTIC) */
	PVF_E_RUNTIME_CONSTRUCTION, /* memory/table reservation failed (POSSIBLY_INVALID) */
	PVF_E_TRAP,             /* the wasm code trapped (DETERMINISTIC) */
	PVF_E_BAD_RESULT,       /* the output is malformed (DETERMINISTIC) */
	PVF_E_TIMEOUT,          /* ran past its time limit (DETERMINISTIC) */

	/* Workers and the host's queues. */
	PVF_E_WORKER_DIED,      /* the worker process died mid-job (POSSIBLY_INVALID) */
	PVF_E_JOB_DIED,         /* the job process died by a signal (POSSIBLY_INVALID) */
	PVF_E_PREPARE_OOM,      /* preparation went over its memory limit (DETERMINISTIC) */
	PVF_E_PREPARE_TIMEOUT_LENIENT, /* preparation for execution ran out of time (INTERNAL) */
	PVF_E_DEADLINE,         /* the job waited in the queue past its deadline (INTERNAL) */
	PVF_E_CANCELLED,        /* the job was cancelled, or the host shut down (INTERNAL) */

	PVF_E__COUNT
} pvf_error_code;

#define PVF_ERROR_MSG_MAX 512

typedef struct pvf_error {
	pvf_error_code code;
	pvf_error_class cls;
	char msg[PVF_ERROR_MSG_MAX];
} pvf_error;

/* Fills `err` (if not NULL) with `code`, its class and a formatted message.
 * Always returns -1 so callers can write `return pvf_error_set(...)`. */
int pvf_error_set(pvf_error *err, pvf_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int pvf_error_setv(pvf_error *err, pvf_error_code code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Prepends "prefix: " to an already-set message (for adding context). */
void pvf_error_prefix(pvf_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void pvf_error_clear(pvf_error *err);

pvf_error_class pvf_error_code_class(pvf_error_code code);
/* Stable identifier of a code, e.g. "malformed", "rule-feature". */
const char *pvf_error_code_name(pvf_error_code code);
const char *pvf_error_class_name(pvf_error_class cls);

#endif
