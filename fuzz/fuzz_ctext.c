/*
 * fuzz_ctext.c — libFuzzer harness for the readers and rewriters of
 * wasm2c's C output: the function-definition reader and the splitter
 * (engine/split.c), NaN canonicalisation (engine/nancanon.c) and the memory
 * base-pointer rewrite (engine/membase.c). They read text that wasm2c wrote
 * from untrusted modules. The first input byte chooses the options (tcc
 * negations, the chunk size), the rest is the text (NUL bytes, which wasm2c
 * never writes, become spaces). Checked:
 * - every call returns 0 or more, or -1 with PVF_E_TOOL or PVF_E_NOMEM;
 * - the definitions read are in order, inside the text, and each ends
 *   with "}\n"; the splitter agrees on how many there are;
 * - a rewrite leaves a NUL-terminated text of the length it reports, and a
 *   failed one leaves the text as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/membase.h"
#include "engine/nancanon.h"
#include "engine/split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const pvf_error *err)
{
	if (err->code != PVF_E_TOOL && err->code != PVF_E_NOMEM)
		abort();
}

static void check_defs(const char *text, size_t len, uint32_t *ndefs)
{
	pvf_text_span *defs = NULL;
	uint32_t n = 0;
	pvf_error err;

	*ndefs = UINT32_MAX;
	if (pvf__split_defs(text, len, &defs, &n, &err) < 0) {
		check_error(&err);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (defs[i].start >= defs[i].end || defs[i].end > len || defs[i].end < 2)
			abort();
		if (i && defs[i].start < defs[i - 1].end)
			abort();
		if (memcmp(text + defs[i].end - 2, "}\n", 2))
			abort();
	}
	*ndefs = n;
	free(defs);
}

/* Runs one rewrite on a copy of the text and checks the result. */
static void check_rewrite(const char *text, size_t len, bool membase, bool tcc)
{
	size_t n = len;
	char *buf = malloc(len + 1);
	pvf_prepare_stats st;
	pvf_error err;
	int r;

	if (!buf)
		return;
	memcpy(buf, text, len + 1);
	memset(&st, 0, sizeof(st));
	r = membase ? pvf__membase_rewrite(&buf, &n, &st, &err) : pvf__canonicalize_nans(&buf, &n, tcc, NULL, &st, &err);
	if (r < 0) {
		check_error(&err);
		if (n != len || memcmp(buf, text, len + 1))
			abort();
	} else if (buf[n] != '\0' || strlen(buf) != n) {
		abort();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunk_bytes[4] = { 1, 64, 4096, 1 << 20 };
	pvf_split split;
	pvf_error err;
	uint32_t ndefs;
	char *text;
	size_t len;
	int r;

	if (size < 1)
		return 0;
	len = size - 1;
	text = malloc(len + 1);
	if (!text)
		return 0;
	for (size_t i = 0; i < len; i++)
		text[i] = data[1 + i] ? (char)data[1 + i] : ' ';
	text[len] = '\0';

	check_defs(text, len, &ndefs);
	r = pvf__split_generated(text, len, chunk_bytes[data[0] & 3], &split, &err);
	if (r < 0) {
		check_error(&err);
	} else {
		if (r != (int)split.nchunks && !(r == 1 && split.nchunks <= 1))
			abort();
		if (split.nchunks > 1 && split.nfuncs != ndefs)
			abort();
		pvf__split_free(&split);
	}
	check_rewrite(text, len, false, data[0] & 4);
	check_rewrite(text, len, true, false);
	free(text);
	return 0;
}
