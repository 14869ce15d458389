/*
 * hex.h — lowercase hexadecimal text <-> bytes.
 *
 * Decoding accepts what chain specs, test vectors and files contain: an
 * optional "0x"/"0X" prefix, upper- or lowercase digits, and trailing ASCII
 * whitespace (spaces, tabs, CR, LF), which is ignored. Anything else —
 * whitespace inside the digits, an odd number of digits, a non-hex
 * character — is PVF_E_BLOB_CORRUPT with the byte offset of the problem in
 * the message. Encoding always writes lowercase digits, no prefix.
 */
#ifndef PVF_COMMON_HEX_H
#define PVF_COMMON_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Number of bytes `len` characters of hex text decode to, ignoring the
 * prefix and trailing whitespace; it does not validate the digits. */
size_t pvf_hex_decoded_len(const char *text, size_t len);

/* Decodes `text[0..len)` into `out`, which has room for `out_cap` bytes.
 * Stores the number of bytes written in *ret_len. Errors: PVF_E_BLOB_CORRUPT
 * (odd length, bad digit, with offset), PVF_E_USAGE (out_cap too small). */
int pvf_hex_decode(const char *text, size_t len, uint8_t *out, size_t out_cap,
		   size_t *ret_len, pvf_error *err);

/* Same, into a new malloc'd buffer (never NULL on success, even for 0 bytes).
 * The caller frees *ret. */
int pvf_hex_decode_alloc(const char *text, size_t len, uint8_t **ret, size_t *ret_len,
			 pvf_error *err);

/* Writes 2*len lowercase digits and a NUL into `out` (room for out_cap
 * chars, which must be >= 2*len+1). Returns 0, or -1 with PVF_E_USAGE. */
int pvf_hex_encode(const uint8_t *in, size_t len, char *out, size_t out_cap, pvf_error *err);

/* Same into a new malloc'd NUL-terminated string; the caller frees it. */
int pvf_hex_encode_alloc(const uint8_t *in, size_t len, char **ret, pvf_error *err);

/* True if `text` looks like hex text: optional prefix, then at least one hex
 * digit as the first character (a cheap sniff, not a validation). With
 * require_prefix only "0x"-prefixed text qualifies. */
bool pvf_hex_sniff(const uint8_t *text, size_t len, bool require_prefix);

#endif
