/*
 * fuzz_elf.c — libFuzzer harness for pvf__elf_parse (src/engine/
 * elf_load.c), the artifact loader's check of a shared object. The objects
 * come from a compiler that ran on untrusted input (the prepare step checks
 * each one), so the parser must hold up against any bytes. Contract checked:
 * a result of 0 or -1 only; on -1 the code PVF_E_ARTIFACT_LOAD with a
 * message; on 0 every segment, the symbol and string tables, the relocation
 * tables and the export inside the input or the image; the same verdict a
 * second time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/elf_load.h"
#include "engine/glue_abi.h"
#include "engine/rt_symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int within(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy: a read past the input is then a heap overflow the
	 * sanitizer reports. */
	uint8_t *copy = malloc(size ? size : 1);
	pvf_elf_info a, b;
	pvf_error e1, e2;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	int r1 = pvf__elf_parse(copy, size, &pvf__rt_symbols, PVF_GLUE_ABI_SYMBOL, &a, &e1);
	int r2 = pvf__elf_parse(copy, size, &pvf__rt_symbols, PVF_GLUE_ABI_SYMBOL, &b, &e2);
	if ((r1 != 0 && r1 != -1) || r1 != r2)
		abort();
	if (r1 < 0 && (e1.code != PVF_E_ARTIFACT_LOAD || !e1.msg[0] || strcmp(e1.msg, e2.msg) != 0))
		abort();
	if (r1 == 0) {
		if (memcmp(&a, &b, sizeof(a)) != 0 || !a.nloads)
			abort();
		for (uint32_t i = 0; i < a.nloads; i++)
			if (!within(a.load[i].offset, a.load[i].filesz, size) || a.load[i].filesz > a.load[i].memsz ||
			    a.load[i].vaddr + a.load[i].memsz > a.span)
				abort();
		if (!within(a.symtab, (uint64_t)a.nsyms * 24, size) || !within(a.strtab, a.strsz, size) ||
		    !within(a.rela[0], a.relasz[0], size) || !within(a.rela[1], a.relasz[1], size) ||
		    a.export_value + a.export_size > a.span)
			abort();
	}
	free(copy);
	return 0;
}
