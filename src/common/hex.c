/*
 * hex.c — hexadecimal text <-> bytes (see hex.h for the accepted forms).
 *
 * Decoding works on a trimmed view of the input:
 *
 *     [ "0x" ] digits... [ trailing whitespace ]
 *       skip    decode      ignored
 *
 * Offsets in error messages count from the first byte of the original text
 * (prefix included), so a user can find the bad character with an editor.
 * The text is untrusted: it is read only inside [text, text+len), never
 * assumed to be NUL-terminated, and sizes are checked before they are used.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"

static const char hex_digits[] = "0123456789abcdef";

static int digit_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_trailing_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The digit run [*start, *end) of the text: prefix skipped, trailing
 * whitespace trimmed. */
static void trim(const char *text, size_t len, size_t *start, size_t *end)
{
	size_t s = 0, e = len;

	if (len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		s = 2;
	while (e > s && is_trailing_space((unsigned char)text[e - 1]))
		e--;
	*start = s;
	*end = e;
}

size_t pvf_hex_decoded_len(const char *text, size_t len)
{
	size_t s, e;

	if (!text)
		return 0;
	trim(text, len, &s, &e);
	return (e - s) / 2;
}

int pvf_hex_decode(const char *text, size_t len, uint8_t *out, size_t out_cap,
		   size_t *ret_len, pvf_error *err)
{
	size_t s, e, n;

	if (!text && len)
		return pvf_error_set(err, PVF_E_USAGE, "hex: NULL input");
	if (!text) {
		if (ret_len)
			*ret_len = 0;
		return 0;
	}
	trim(text, len, &s, &e);
	/* Check every digit first so the first bad character is reported
	 * even when the length is also wrong. */
	for (size_t i = s; i < e; i++) {
		unsigned char c = (unsigned char)text[i];
		if (digit_value(c) < 0) {
			if (c >= 0x20 && c < 0x7f)
				return pvf_error_set(err, PVF_E_BLOB_CORRUPT,
						     "hex: invalid character '%c' at offset %zu", c, i);
			return pvf_error_set(err, PVF_E_BLOB_CORRUPT,
					     "hex: invalid byte 0x%02x at offset %zu", c, i);
		}
	}
	if ((e - s) % 2 != 0)
		return pvf_error_set(err, PVF_E_BLOB_CORRUPT,
				     "hex: odd number of digits (%zu), last digit at offset %zu",
				     e - s, e - 1);
	n = (e - s) / 2;
	if (n > out_cap)
		return pvf_error_set(err, PVF_E_USAGE,
				     "hex: output buffer too small (%zu bytes, need %zu)", out_cap, n);
	if (n && !out)
		return pvf_error_set(err, PVF_E_USAGE, "hex: NULL output buffer");
	for (size_t i = 0; i < n; i++) {
		int hi = digit_value((unsigned char)text[s + 2 * i]);
		int lo = digit_value((unsigned char)text[s + 2 * i + 1]);
		out[i] = (uint8_t)((hi << 4) | lo);
	}
	if (ret_len)
		*ret_len = n;
	return 0;
}

int pvf_hex_decode_alloc(const char *text, size_t len, uint8_t **ret, size_t *ret_len,
			 pvf_error *err)
{
	size_t n = pvf_hex_decoded_len(text, len), got = 0;
	uint8_t *buf;

	if (!ret)
		return pvf_error_set(err, PVF_E_USAGE, "hex: NULL result pointer");
	buf = malloc(n ? n : 1);
	if (!buf)
		return pvf_error_set(err, PVF_E_NOMEM, "hex: cannot allocate %zu bytes", n);
	if (pvf_hex_decode(text, len, buf, n, &got, err) < 0) {
		free(buf);
		return -1;
	}
	*ret = buf;
	if (ret_len)
		*ret_len = got;
	return 0;
}

int pvf_hex_encode(const uint8_t *in, size_t len, char *out, size_t out_cap, pvf_error *err)
{
	size_t need;

	if (len > (SIZE_MAX - 1) / 2)
		return pvf_error_set(err, PVF_E_USAGE, "hex: input too large to encode");
	need = 2 * len + 1;
	if (!out || out_cap < need)
		return pvf_error_set(err, PVF_E_USAGE,
				     "hex: output buffer too small (%zu chars, need %zu)", out_cap, need);
	if (len && !in)
		return pvf_error_set(err, PVF_E_USAGE, "hex: NULL input");
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return 0;
}

int pvf_hex_encode_alloc(const uint8_t *in, size_t len, char **ret, pvf_error *err)
{
	char *s;
	size_t need;

	if (!ret)
		return pvf_error_set(err, PVF_E_USAGE, "hex: NULL result pointer");
	if (len > (SIZE_MAX - 1) / 2)
		return pvf_error_set(err, PVF_E_USAGE, "hex: input too large to encode");
	need = 2 * len + 1;
	s = malloc(need);
	if (!s)
		return pvf_error_set(err, PVF_E_NOMEM, "hex: cannot allocate %zu bytes", need);
	if (pvf_hex_encode(in, len, s, need, err) < 0) {
		free(s);
		return -1;
	}
	*ret = s;
	return 0;
}

bool pvf_hex_sniff(const uint8_t *text, size_t len, bool require_prefix)
{
	size_t s = 0;

	if (!text)
		return false;
	if (len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		s = 2;
	else if (require_prefix)
		return false;
	return s < len && digit_value(text[s]) >= 0;
}
