/*
 * json.h — a small strict JSON (RFC 8259) parser for the spec-suite runner.
 *
 * The runner reads the JSON that wabt's wast2json writes. The parser accepts
 * exactly RFC 8259 JSON text: one value surrounded by optional whitespace,
 * no comments, no trailing commas, no leading zeros, no control characters in
 * strings, valid escapes only, UTF-8 input only, \u escapes that pair
 * surrogates correctly, and no duplicate keys in an object. Anything else is
 * an error with a byte offset, line and column.
 *
 * Strings are decoded into bytes (UTF-8) and NUL-terminated; they may contain
 * embedded NULs (wast2json writes wasm names such as "\u0000"), so use the
 * length. Numbers are kept as their literal text; pvf__json_u64() converts
 * an unsigned integer literal exactly.
 *
 * All nodes of one document live in one arena: pvf__json_free() on the root
 * releases everything.
 */
#ifndef PVF_TESTS_SPEC_JSON_H
#define PVF_TESTS_SPEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Input-driven limits. */
#define PVF_JSON_MAX_INPUT (512u << 20)   /* bytes of JSON text */
#define PVF_JSON_MAX_DEPTH 512u           /* nesting of arrays and objects */

typedef enum pvf_json_kind {
	PVF_JSON_NULL,
	PVF_JSON_FALSE,
	PVF_JSON_TRUE,
	PVF_JSON_NUMBER,
	PVF_JSON_STRING,
	PVF_JSON_ARRAY,
	PVF_JSON_OBJECT,
} pvf_json_kind;

typedef struct pvf_json pvf_json;

typedef struct pvf_json_member {
	const char *key;       /* decoded, NUL-terminated, may contain NULs */
	size_t key_len;
	pvf_json *value;
} pvf_json_member;

struct pvf_json {
	pvf_json_kind kind;
	const char *str;       /* STRING: decoded bytes; NUMBER: the literal text */
	size_t len;            /* STRING, NUMBER: bytes; ARRAY, OBJECT: items */
	pvf_json **items;      /* ARRAY */
	pvf_json_member *members; /* OBJECT, in document order */
};

/* Parses `size` bytes of JSON text. On success stores the root in *ret (free
 * with pvf__json_free) and returns 0; on failure returns -1 with err set
 * (PVF_E_MALFORMED with offset/line/column, or PVF_E_NOMEM). */
int pvf__json_parse(const char *text, size_t size, pvf_json **ret, pvf_error *err);
void pvf__json_free(pvf_json *root);

/* The member `key` of an object (NUL-free key), or NULL (also when `obj` is
 * NULL or not an object). */
const pvf_json *pvf__json_get(const pvf_json *obj, const char *key);
/* The string member `key` (NULL if absent or not a string); *len if not NULL. */
const char *pvf__json_get_str(const pvf_json *obj, const char *key, size_t *len);
/* The array member `key` (NULL if absent or not an array). */
const pvf_json *pvf__json_get_array(const pvf_json *obj, const char *key);

/* Converts a NUMBER that is a non-negative integer literal without fraction
 * or exponent and at most UINT64_MAX; returns 0, or -1 otherwise. */
int pvf__json_u64(const pvf_json *num, uint64_t *ret);
/* Converts a decimal string of digits (as wast2json writes values) exactly;
 * returns 0, or -1 if it is not one or exceeds UINT64_MAX. */
int pvf__json_parse_u64(const char *s, size_t len, uint64_t *ret);

#endif
