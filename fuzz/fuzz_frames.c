/*
 * fuzz_frames.c — libFuzzer harness for pvf__frames_parse (src/engine/
 * frames.c), the reader of tcc objects' frame sizes. The objects come from
 * a compiler that ran on untrusted input, so the reader must hold up
 * against any bytes. Contract checked: a result of 0 or -1 only; on -1 an
 * error code of PVF_E_TOOL or PVF_E_STACK_BOUND with a message and the
 * maximum untouched; on 0 the maximum never lower than it was; the same
 * verdict and value a second time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy: a read past the input is then a heap overflow the
	 * sanitizer reports, even for the bytes libFuzzer's buffer has beyond. */
	uint8_t *copy = malloc(size ? size : 1);
	uint32_t a = 17, b = 17;
	pvf_error e1, e2;
	int r1, r2;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r1 = pvf__frames_parse(copy, size, &a, NULL, NULL, &e1);
	r2 = pvf__frames_parse(copy, size, &b, NULL, NULL, &e2);
	if ((r1 != 0 && r1 != -1) || r1 != r2 || a != b)
		abort();
	if (r1 < 0 && ((e1.code != PVF_E_TOOL && e1.code != PVF_E_STACK_BOUND) || !e1.msg[0] || e1.code != e2.code))
		abort();
	if (a < 17)
		abort();
	free(copy);
	return 0;
}
