/*
 * fuzz_partial.c — libFuzzer harness for pvf__translate_partial_module
 * (src/engine/translate.c), which rewrites the code section of a module
 * the decoder accepted. The first two bytes choose the share [lo, hi);
 * the rest is the module. Contract checked: for every module that decodes,
 * the partial module is written, decodes too, has the same functions of
 * the same types, the share's bodies byte for byte, and `unreachable`
 * (no locals) for every other body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/translate.h"
#include "wasm/module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t stub[] = { 0x00, 0x00, 0x0b };
	pvf_decode_opts o = { .features = PVF_FEATURES_ALL };
	pvf_module *m = NULL, *pm = NULL;
	uint8_t *copy, *part = NULL;
	size_t plen = 0;
	pvf_error err;

	if (size < 2)
		return 0;
	copy = malloc(size - 2 ? size - 2 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 2, size - 2);
	if (pvf_module_decode(copy, size - 2, &o, &m, &err) < 0) {
		free(copy);
		return 0;
	}
	uint32_t n = m->nfunctions;
	uint32_t lo = n ? data[0] % (n + 1) : 0, hi = n ? data[1] % (n + 1) : 0;
	if (pvf__translate_partial_module(copy, size - 2, m, lo, hi, &part, &plen, &err) < 0)
		abort();
	if (pvf_module_decode(part, plen, &o, &pm, &err) < 0 || pm->nfunctions != n)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		const pvf_function *f = &m->functions[i], *g = &pm->functions[i];
		if (g->type != f->type)
			abort();
		if (lo <= i && i < hi) {
			if (g->body_size != f->body_size ||
			    memcmp(part + g->body_offset, copy + f->body_offset, f->body_size) != 0)
				abort();
		} else if (g->body_size != sizeof(stub) || memcmp(part + g->body_offset, stub, sizeof(stub)) != 0) {
			abort();
		}
	}
	pvf_module_free(pm);
	pvf_module_free(m);
	free(part);
	free(copy);
	return 0;
}
