/*
 * elf_load.h — loading an artifact's shared object without the dynamic
 * loader.
 *
 * An artifact's code is a position-independent ELF shared object that the
 * prepare step linked from wasm2c's output and the glue. It needs nothing
 * from a dynamic loader: its undefined symbols are the wasm2c runtime and a
 * few C library functions (memcpy, floor, ...), all named in a table the
 * caller passes (rt_symbols.c), and it has no thread-local storage and no
 * initialisers to run. pvf__elf_parse checks the object against that model
 * (headers, segments, dynamic section, hash table, symbols, relocations)
 * without mapping anything, so the prepare step can refuse an object the
 * execute side could not load; pvf__elf_load then maps the segments from a
 * file descriptor, applies the relocations and write-protects RELRO.
 *
 * Supported: ELFCLASS64 little-endian objects of the host's machine
 * (x86-64 or AArch64), relocations RELATIVE, GLOB_DAT, JUMP_SLOT and the
 * absolute 64-bit one. Everything else is refused with a message naming it.
 */
#ifndef PVF_ENGINE_ELF_LOAD_H
#define PVF_ENGINE_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* One symbol an object may reference: `name` resolves to `addr`. Tables are
 * sorted by name (strcmp order); pvf__elf_parse checks that. */
typedef struct pvf_elf_symbol {
	const char *name;
	void *addr;
} pvf_elf_symbol;

typedef struct pvf_elf_symtab {
	const pvf_elf_symbol *syms;
	size_t n;
} pvf_elf_symtab;

#define PVF_ELF_MAX_LOADS 8

/* What pvf__elf_parse found; offsets and addresses are the object's own
 * (relative to a load base of 0). */
typedef struct pvf_elf_info {
	struct {
		uint64_t vaddr, memsz, offset, filesz;
		int prot; /* PROT_* */
	} load[PVF_ELF_MAX_LOADS];
	uint32_t nloads;
	uint64_t span;                 /* page-rounded end of the highest segment */
	uint64_t relro_vaddr, relro_memsz;
	uint64_t symtab, strtab, strsz; /* file offsets and size */
	uint32_t nsyms;
	uint64_t rela[2], relasz[2];   /* DT_RELA and DT_JMPREL (file offsets) */
	uint64_t export_value, export_size; /* of the symbol asked for */
} pvf_elf_info;

/* Checks `img` (the whole object) and fills `info`. `symtab` lists what its
 * undefined symbols may resolve to (an undefined weak symbol outside it is
 * 0); `export_name` must be a defined object symbol of the image. Returns 0
 * or -1 with `err` set (PVF_E_ARTIFACT_LOAD). Reads only `img`. */
int pvf__elf_parse(const uint8_t *img, size_t len, const pvf_elf_symtab *symtab,
		   const char *export_name, pvf_elf_info *info, pvf_error *err);

/* A loaded object: its mapping, and the address of the exported symbol. */
typedef struct pvf_elf_loaded {
	uint8_t *base;
	size_t span;
	void *export_addr;
	size_t export_size;
} pvf_elf_loaded;

/* Parses `img` as above and maps it: each segment from `fd` (which holds
 * exactly the bytes of `img`) at its offset, MAP_PRIVATE, the rest of a
 * segment's memory zeroed; relocations applied; RELRO made read-only. No
 * code of the object runs. Returns 0 or -1 with `err` set. */
int pvf__elf_load(const uint8_t *img, size_t len, int fd, const pvf_elf_symtab *symtab,
		  const char *export_name, pvf_elf_loaded *out, pvf_error *err);

/* Unmaps a loaded object (a zeroed `l` is fine). */
void pvf__elf_unload(pvf_elf_loaded *l);

#endif
