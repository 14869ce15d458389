/*
 * blob.h — turning a validation-code blob into wasm bytes.
 *
 * A PVF arrives in one of three forms:
 *   raw         the wasm binary itself ("\0asm" ...);
 *   compressed  a Substrate "maybe-compressed" blob: the 8-byte prefix
 *               52 bc 53 76 46 db 8e KK, KK = 05 (legacy) or 07 (code),
 *               followed by exactly one zstd frame holding the wasm binary;
 *   hex         "0x"-prefixed hex text (trailing whitespace allowed) of
 *               either of the above, as found in chain specs and vectors.
 * The other prefix kinds (06 PoV, 08 PVM) are refused by name.
 *
 * Decompression is bounded: at most `bomb_limit` bytes of output are
 * accepted (Substrate's CODE_BLOB_BOMB_LIMIT, 50 MiB, by default); one more
 * is PVF_E_BLOB_BOMB. The frame's declared content size is never trusted and
 * no buffer larger than bomb_limit + 1 bytes is allocated. An uncompressed
 * module larger than bomb_limit is PVF_E_BLOB_TOO_LARGE.
 *
 * The result is the wasm bytes only; whether they form a valid module is
 * for the decoder (wasm/module.h) to say.
 */
#ifndef PVF_BLOB_BLOB_H
#define PVF_BLOB_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Substrate's CODE_BLOB_BOMB_LIMIT (sp-maybe-compressed-blob): 50 MiB. */
#define PVF_BLOB_DEFAULT_BOMB_LIMIT ((size_t)50 * 1024 * 1024)
/* Largest input pvf_blob_read_file reads by default (and the largest input
 * pvf_blob_decode accepts): room for the hex text of a module at the default
 * bomb limit. */
#define PVF_BLOB_DEFAULT_MAX_INPUT ((size_t)128 * 1024 * 1024)

/* The Substrate maybe-compressed prefix: 7 magic bytes + 1 kind byte. */
#define PVF_BLOB_PREFIX_LEN 8u
#define PVF_BLOB_KIND_LEGACY 0x05u
#define PVF_BLOB_KIND_POV 0x06u
#define PVF_BLOB_KIND_CODE 0x07u
#define PVF_BLOB_KIND_PVM 0x08u

typedef enum pvf_blob_format {
	PVF_BLOB_FORMAT_RAW = 1,
	PVF_BLOB_FORMAT_COMPRESSED = 2,
	PVF_BLOB_FORMAT_HEX = 3,
} pvf_blob_format;

typedef struct pvf_blob_opts {
	size_t bomb_limit;     /* max decompressed/raw wasm bytes; 0 = default */
	size_t max_input;      /* max input (file) bytes; 0 = default */
} pvf_blob_opts;

typedef struct pvf_blob_info {
	pvf_blob_format format;   /* outermost form of the input */
	bool hex;                 /* the input was hex text */
	bool compressed;          /* a zstd frame was decompressed (maybe inside hex) */
	uint8_t kind;             /* prefix kind byte when compressed, else 0 */
	size_t input_size;        /* bytes given (the hex text, for hex) */
	size_t compressed_size;   /* blob size incl. prefix when compressed, else 0 */
	size_t decompressed_size; /* wasm bytes returned (= *ret_len) */
} pvf_blob_info;

/* Stable lowercase name: "raw", "compressed", "hex". */
const char *pvf_blob_format_name(pvf_blob_format f);

/* Decodes `in[0..len)`. On success stores a new malloc'd buffer with the wasm
 * bytes in *ret_code (never NULL; the caller frees it), its length in
 * *ret_len and, if ret_info is not NULL, a description in *ret_info; returns
 * 0. Outputs are written only on success. `opts` may be NULL. Errors:
 * PVF_E_MALFORMED (not a blob at all, or a prefix kind that is not code),
 * PVF_E_BLOB_TOO_LARGE, PVF_E_BLOB_BOMB, PVF_E_BLOB_CORRUPT (bad zstd or
 * hex), PVF_E_NOMEM, PVF_E_USAGE. */
int pvf_blob_decode(const uint8_t *in, size_t len, const pvf_blob_opts *opts,
		    uint8_t **ret_code, size_t *ret_len, pvf_blob_info *ret_info, pvf_error *err);

/* Reads the file at `path` (at most opts->max_input bytes; more is
 * PVF_E_BLOB_TOO_LARGE) and decodes it like pvf_blob_decode. I/O failures
 * are PVF_E_IO naming the path. */
int pvf_blob_read_file(const char *path, const pvf_blob_opts *opts, uint8_t **ret_code,
		       size_t *ret_len, pvf_blob_info *ret_info, pvf_error *err);

#endif
