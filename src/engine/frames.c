/*
 * frames.c — the largest native stack frame in an x86-64 ELF object written
 * by tcc, which has no -fstack-usage.
 *
 * tcc 0.9.27 gives every function the same prologue, with the frame size
 * patched in once the body is compiled:
 *
 *     55                    push %rbp
 *     48 89 e5              mov  %rsp,%rbp
 *     48 81 ec <imm32>      sub  $imm32,%rsp
 *
 * The frame is imm32 plus the saved %rbp. Beyond it a function only pushes
 * the stack arguments of the calls it makes, which the caller of this
 * module bounds from the wasm function types. A function symbol without
 * this prologue means the object is not what the bound assumes: an error,
 * never a guess.
 */
#include "engine/frames.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "engine/artifact_format.h"

static const uint8_t prologue[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0x81, 0xec };

static bool in_file(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/* tcc does not align its section table or symbol table: every header is
 * copied out before it is read. */
static void shdr_at(const uint8_t *obj, const Elf64_Ehdr *eh, uint32_t i, Elf64_Shdr *out)
{
	memcpy(out, obj + eh->e_shoff + (uint64_t)i * sizeof(*out), sizeof(*out));
}

int pvf__frames_parse(const uint8_t *obj, size_t size, uint32_t *max_frame, pvf_frames_fn each, void *user,
		      pvf_error *err)
{
	Elf64_Ehdr eh;
	uint32_t nfuncs = 0, best = *max_frame;

	if (size < sizeof(eh))
		return pvf_error_set(err, PVF_E_TOOL, "not an ELF object");
	memcpy(&eh, obj, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 || eh.e_type != ET_REL)
		return pvf_error_set(err, PVF_E_TOOL, "not an x86-64 ELF relocatable object");
	if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(size, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr)))
		return pvf_error_set(err, PVF_E_TOOL, "object has a malformed section table");

	for (uint32_t s = 0; s < eh.e_shnum; s++) {
		Elf64_Shdr symtab;

		shdr_at(obj, &eh, s, &symtab);
		if (symtab.sh_type != SHT_SYMTAB)
			continue;
		if (symtab.sh_entsize != sizeof(Elf64_Sym) || !in_file(size, symtab.sh_offset, symtab.sh_size))
			return pvf_error_set(err, PVF_E_TOOL, "object has a malformed symbol table");
		Elf64_Shdr strtab;
		if (symtab.sh_link >= eh.e_shnum)
			return pvf_error_set(err, PVF_E_TOOL, "object's symbol table has no string table");
		shdr_at(obj, &eh, symtab.sh_link, &strtab);
		if (strtab.sh_type != SHT_STRTAB || !in_file(size, strtab.sh_offset, strtab.sh_size) ||
		    strtab.sh_size == 0 || obj[strtab.sh_offset + strtab.sh_size - 1] != '\0')
			return pvf_error_set(err, PVF_E_TOOL, "object has a malformed string table");
		for (uint64_t i = 0; i < symtab.sh_size / sizeof(Elf64_Sym); i++) {
			Elf64_Sym sym;
			Elf64_Shdr text;
			const uint8_t *code;
			uint32_t frame;

			memcpy(&sym, obj + symtab.sh_offset + i * sizeof(sym), sizeof(sym));
			if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF)
				continue;
			if (sym.st_shndx >= eh.e_shnum)
				return pvf_error_set(err, PVF_E_TOOL, "object has a function in no section");
			shdr_at(obj, &eh, sym.st_shndx, &text);
			if (text.sh_type != SHT_PROGBITS || !in_file(size, text.sh_offset, text.sh_size) ||
			    sym.st_value >= text.sh_size)
				return pvf_error_set(err, PVF_E_TOOL, "object has a function outside its section");
			code = obj + text.sh_offset + sym.st_value;
			if (!in_file(text.sh_size, sym.st_value, sizeof(prologue) + 4) ||
			    memcmp(code, prologue, sizeof(prologue)) != 0)
				return pvf_error_set(err, PVF_E_TOOL,
						     "a function does not start with tcc's prologue; its frame size is unknown");
			frame = (uint32_t)code[7] | (uint32_t)code[8] << 8 | (uint32_t)code[9] << 16 |
				(uint32_t)code[10] << 24;
			if (frame > UINT32_MAX - 8)
				return pvf_error_set(err, PVF_E_STACK_BOUND, "a function has a frame of %u bytes", frame);
			frame += 8;
			if (frame > best)
				best = frame;
			if (each) {
				if (sym.st_name >= strtab.sh_size)
					return pvf_error_set(err, PVF_E_TOOL, "object has a symbol name outside its string table");
				each(user, (const char *)obj + strtab.sh_offset + sym.st_name, frame);
			}
			nfuncs++;
		}
	}
	if (!nfuncs)
		return pvf_error_set(err, PVF_E_TOOL, "object defines no functions (stripped symbol table?)");
	*max_frame = best;
	return 0;
}

int pvf__frames_max(const char *path, uint32_t *max_frame, pvf_frames_fn each, void *user, pvf_error *err)
{
	uint8_t *obj = NULL;
	size_t size = 0;
	int r;

	if (pvf__read_file(path, PVF_ARTIFACT_MAX_PAYLOAD, &obj, &size, err) < 0)
		return -1;
	r = pvf__frames_parse(obj, size, max_frame, each, user, err);
	if (r < 0)
		pvf_error_prefix(err, "%s", path);
	free(obj);
	return r;
}
