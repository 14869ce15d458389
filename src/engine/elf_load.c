/*
 * elf_load.c — loading an artifact's shared object without the dynamic
 * loader (see elf_load.h for the model it accepts).
 *
 * Every table the object describes is located through its loadable
 * segments' file ranges and bounds-checked before it is read, and every
 * relocation must write inside a writable segment; an object that steps
 * outside the model is refused, never half loaded. The initialisers and
 * finalisers an object may name (DT_INIT, DT_FINI: the C library's empty
 * stubs that tcc links in) are never run; an object with entries in
 * DT_INIT_ARRAY or DT_PREINIT_ARRAY is refused, as its code would expect them
 * to have run.
 */
#include "engine/elf_load.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#define R_NONE R_X86_64_NONE
#define R_ABS64 R_X86_64_64
#define R_GLOB_DAT R_X86_64_GLOB_DAT
#define R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define R_RELATIVE R_X86_64_RELATIVE
#define GOT_ADDEND 0 /* GLOB_DAT and JUMP_SLOT are S */
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#define R_NONE R_AARCH64_NONE
#define R_ABS64 R_AARCH64_ABS64
#define R_GLOB_DAT R_AARCH64_GLOB_DAT
#define R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define R_RELATIVE R_AARCH64_RELATIVE
#define GOT_ADDEND 1 /* GLOB_DAT and JUMP_SLOT are S + A */
#else
#define HOST_MACHINE EM_NONE
#define R_NONE 0
#define R_ABS64 (~0u)
#define R_GLOB_DAT (~0u - 1)
#define R_JUMP_SLOT (~0u - 2)
#define R_RELATIVE (~0u - 3)
#define GOT_ADDEND 0
#endif

/* No artifact comes near this; it keeps every sum below far from overflow. */
#define MAX_SPAN (UINT64_C(1) << 32)

static int fail(pvf_error *err, const char *what)
{
	return pvf_error_set(err, PVF_E_ARTIFACT_LOAD, "artifact code: %s", what);
}

static uint64_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (uint64_t)p : 4096;
}

/* The file offset of [vaddr, vaddr + size) when it lies wholly inside one
 * segment's file bytes. */
static int v2off(const pvf_elf_info *in, uint64_t vaddr, uint64_t size, uint64_t *off)
{
	for (uint32_t i = 0; i < in->nloads; i++) {
		uint64_t v = in->load[i].vaddr, n = in->load[i].filesz;
		if (vaddr >= v && vaddr - v <= n && size <= n - (vaddr - v)) {
			*off = in->load[i].offset + (vaddr - v);
			return 0;
		}
	}
	return -1;
}

/* Whether [vaddr, vaddr + size) lies wholly inside one segment's memory,
 * a writable one if `writable`. */
static bool in_segment(const pvf_elf_info *in, uint64_t vaddr, uint64_t size, bool writable)
{
	for (uint32_t i = 0; i < in->nloads; i++) {
		uint64_t v = in->load[i].vaddr, n = in->load[i].memsz;
		if (writable && !(in->load[i].prot & PROT_WRITE))
			continue;
		if (vaddr >= v && vaddr - v <= n && size <= n - (vaddr - v))
			return true;
	}
	return false;
}

static uint32_t rd32(const uint8_t *img, uint64_t off)
{
	uint32_t v;
	memcpy(&v, img + off, 4);
	return v;
}

static int read_segments(const uint8_t *img, size_t len, pvf_elf_info *in, uint64_t *dyn,
			 uint64_t *dynsz, pvf_error *err)
{
	const uint64_t pg = page_size();
	Elf64_Ehdr eh;
	bool have_dyn = false;

	if (len < sizeof(eh))
		return fail(err, "shorter than an ELF header");
	memcpy(&eh, img, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return fail(err, "not an ELF object");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_ident[EI_VERSION] != EV_CURRENT)
		return fail(err, "not a 64-bit little-endian ELF object");
	if (HOST_MACHINE == EM_NONE)
		return fail(err, "no artifact loader for this machine");
	if (eh.e_machine != HOST_MACHINE)
		return fail(err, "built for another machine");
	if (eh.e_type != ET_DYN)
		return fail(err, "not a shared object");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64 ||
	    eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return fail(err, "bad program header table");

	for (uint32_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		switch (ph.p_type) {
		case PT_LOAD: {
			uint64_t end = ph.p_vaddr + ph.p_memsz;
			if (in->nloads == PVF_ELF_MAX_LOADS)
				return fail(err, "too many loadable segments");
			if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset ||
			    ph.p_vaddr >= MAX_SPAN || ph.p_memsz >= MAX_SPAN || end > MAX_SPAN)
				return fail(err, "a loadable segment lies outside the object");
			if (ph.p_offset % pg != ph.p_vaddr % pg)
				return fail(err, "a loadable segment is not page-aligned in the file");
			if (in->nloads &&
			    (ph.p_vaddr & ~(pg - 1)) < in->span)
				return fail(err, "loadable segments overlap or are out of order");
			if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X))
				return fail(err, "a segment is both writable and executable");
			if (ph.p_memsz > ph.p_filesz && !(ph.p_flags & PF_W))
				return fail(err, "a read-only segment has zero-filled memory");
			in->load[in->nloads].vaddr = ph.p_vaddr;
			in->load[in->nloads].memsz = ph.p_memsz;
			in->load[in->nloads].offset = ph.p_offset;
			in->load[in->nloads].filesz = ph.p_filesz;
			in->load[in->nloads].prot = (ph.p_flags & PF_R ? PROT_READ : 0) |
						    (ph.p_flags & PF_W ? PROT_WRITE : 0) |
						    (ph.p_flags & PF_X ? PROT_EXEC : 0);
			in->nloads++;
			in->span = (end + pg - 1) & ~(pg - 1);
			break;
		}
		case PT_DYNAMIC:
			*dyn = ph.p_vaddr;
			*dynsz = ph.p_filesz;
			have_dyn = true;
			break;
		case PT_GNU_RELRO:
			in->relro_vaddr = ph.p_vaddr;
			in->relro_memsz = ph.p_memsz;
			break;
		case PT_TLS:
			return fail(err, "uses thread-local storage");
		case PT_INTERP:
			return fail(err, "names a program interpreter");
		case PT_GNU_STACK:
			if (ph.p_flags & PF_X)
				return fail(err, "asks for an executable stack");
			break;
		default:
			break;
		}
	}
	if (!in->nloads)
		return fail(err, "no loadable segment");
	if (!have_dyn)
		return fail(err, "no dynamic section");
	if (in->relro_memsz && !in_segment(in, in->relro_vaddr, in->relro_memsz, true))
		return fail(err, "the RELRO range is not inside a writable segment");
	return 0;
}

/* The number of dynamic symbols, from DT_HASH or DT_GNU_HASH. */
static int count_symbols(const uint8_t *img, const pvf_elf_info *in, uint64_t hash, uint64_t gnu_hash,
			 pvf_error *err)
{
	uint64_t off;

	if (hash) {
		if (v2off(in, hash, 8, &off) < 0)
			return fail(err, "DT_HASH outside the object");
		uint32_t nchain = rd32(img, off + 4);
		return nchain > (1u << 24) ? fail(err, "too many symbols") : (int)nchain;
	}
	if (!gnu_hash)
		return fail(err, "no symbol hash table");
	if (v2off(in, gnu_hash, 16, &off) < 0)
		return fail(err, "DT_GNU_HASH outside the object");
	uint32_t nbuckets = rd32(img, off), symoffset = rd32(img, off + 4), bloom = rd32(img, off + 8);
	uint64_t buckets = gnu_hash + 16 + (uint64_t)bloom * 8, boff, coff;
	if (nbuckets > (1u << 24) || bloom > (1u << 24) || symoffset > (1u << 24) ||
	    v2off(in, buckets, (uint64_t)nbuckets * 4, &boff) < 0)
		return fail(err, "DT_GNU_HASH outside the object");
	uint32_t last = 0;
	for (uint32_t b = 0; b < nbuckets; b++) {
		uint32_t s = rd32(img, boff + (uint64_t)b * 4);
		if (s > last)
			last = s;
	}
	if (last < symoffset)
		return (int)symoffset;
	/* Follow the chain of the highest bucket to its end. */
	for (;;) {
		if (last >= (1u << 24) ||
		    v2off(in, buckets + (uint64_t)nbuckets * 4 + (uint64_t)(last - symoffset) * 4, 4, &coff) < 0)
			return fail(err, "DT_GNU_HASH chain outside the object");
		if (rd32(img, coff) & 1)
			return (int)(last + 1);
		last++;
	}
}

static const char *sym_name(const uint8_t *img, const pvf_elf_info *in, const Elf64_Sym *s)
{
	if (s->st_name >= in->strsz)
		return NULL;
	const char *p = (const char *)img + in->strtab + s->st_name;
	return memchr(p, 0, in->strsz - s->st_name) ? p : NULL;
}

static void get_sym(const uint8_t *img, const pvf_elf_info *in, uint32_t i, Elf64_Sym *s)
{
	memcpy(s, img + in->symtab + (uint64_t)i * sizeof(*s), sizeof(*s));
}

static const pvf_elf_symbol *lookup(const pvf_elf_symtab *t, const char *name)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, t->syms[mid].name);
		if (!c)
			return &t->syms[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The value symbol `i` resolves to, for a load at `base`. */
static int sym_value(const uint8_t *img, const pvf_elf_info *in, const pvf_elf_symtab *t, uint32_t i,
		     uintptr_t base, uint64_t *val, pvf_error *err)
{
	Elf64_Sym s;
	const char *name;

	if (i == 0) {
		*val = 0;
		return 0;
	}
	if (i >= in->nsyms)
		return fail(err, "a relocation names a symbol past the symbol table");
	get_sym(img, in, i, &s);
	if (ELF64_ST_TYPE(s.st_info) == STT_TLS || ELF64_ST_TYPE(s.st_info) == STT_GNU_IFUNC)
		return fail(err, "a relocation names a thread-local or indirect symbol");
	if (s.st_shndx == SHN_ABS) {
		*val = s.st_value;
		return 0;
	}
	if (s.st_shndx != SHN_UNDEF) {
		if (!in_segment(in, s.st_value, 0, false))
			return fail(err, "a symbol lies outside the object");
		*val = base + s.st_value;
		return 0;
	}
	if (!(name = sym_name(img, in, &s)))
		return fail(err, "a symbol name lies outside the string table");
	const pvf_elf_symbol *r = lookup(t, name);
	if (r) {
		*val = (uint64_t)(uintptr_t)r->addr;
		return 0;
	}
	if (ELF64_ST_BIND(s.st_info) == STB_WEAK) {
		*val = 0;
		return 0;
	}
	return pvf_error_set(err, PVF_E_ARTIFACT_LOAD,
			     "artifact code needs the symbol '%s', which pvfhost does not provide", name);
}

/* Checks every relocation, and applies it when `base` is not NULL. */
static int relocate(const uint8_t *img, const pvf_elf_info *in, const pvf_elf_symtab *t, uint8_t *base,
		    pvf_error *err)
{
	for (int k = 0; k < 2; k++) {
		for (uint64_t o = 0; o < in->relasz[k]; o += sizeof(Elf64_Rela)) {
			Elf64_Rela r;
			uint64_t v = 0;
			memcpy(&r, img + in->rela[k] + o, sizeof(r));
			uint32_t type = (uint32_t)ELF64_R_TYPE(r.r_info), sym = (uint32_t)ELF64_R_SYM(r.r_info);
			if (type == R_NONE)
				continue;
			if (!in_segment(in, r.r_offset, 8, true))
				return fail(err, "a relocation writes outside the writable segments");
			switch (type) {
			case R_RELATIVE:
				v = (uintptr_t)base + (uint64_t)r.r_addend;
				break;
			case R_ABS64:
				if (sym_value(img, in, t, sym, (uintptr_t)base, &v, err) < 0)
					return -1;
				v += (uint64_t)r.r_addend;
				break;
			case R_GLOB_DAT:
			case R_JUMP_SLOT:
				if (sym_value(img, in, t, sym, (uintptr_t)base, &v, err) < 0)
					return -1;
				if (GOT_ADDEND)
					v += (uint64_t)r.r_addend;
				break;
			default:
				return pvf_error_set(err, PVF_E_ARTIFACT_LOAD,
						     "artifact code: relocation type %u is not supported", type);
			}
			if (base)
				memcpy(base + r.r_offset, &v, 8);
		}
	}
	return 0;
}

static int read_dynamic(const uint8_t *img, pvf_elf_info *in, uint64_t dyn, uint64_t dynsz,
			pvf_error *err)
{
	uint64_t off, hash = 0, gnu_hash = 0, symtab = 0, strtab = 0, strsz = 0;
	uint64_t rela[2] = { 0, 0 }, relasz[2] = { 0, 0 };
	bool have_strsz = false;

	if (v2off(in, dyn, dynsz, &off) < 0)
		return fail(err, "the dynamic section lies outside the object");
	for (uint64_t o = 0;; o += sizeof(Elf64_Dyn)) {
		Elf64_Dyn d;
		if (o + sizeof(d) > dynsz)
			return fail(err, "the dynamic section has no end");
		memcpy(&d, img + off + o, sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		switch (d.d_tag) {
		case DT_HASH: hash = d.d_un.d_ptr; break;
		case DT_GNU_HASH: gnu_hash = d.d_un.d_ptr; break;
		case DT_SYMTAB: symtab = d.d_un.d_ptr; break;
		case DT_STRTAB: strtab = d.d_un.d_ptr; break;
		case DT_STRSZ: strsz = d.d_un.d_val; have_strsz = true; break;
		case DT_RELA: rela[0] = d.d_un.d_ptr; break;
		case DT_RELASZ: relasz[0] = d.d_un.d_val; break;
		case DT_JMPREL: rela[1] = d.d_un.d_ptr; break;
		case DT_PLTRELSZ: relasz[1] = d.d_un.d_val; break;
		case DT_SYMENT:
			if (d.d_un.d_val != sizeof(Elf64_Sym))
				return fail(err, "unexpected symbol entry size");
			break;
		case DT_RELAENT:
			if (d.d_un.d_val != sizeof(Elf64_Rela))
				return fail(err, "unexpected relocation entry size");
			break;
		case DT_PLTREL:
			if (d.d_un.d_val != DT_RELA)
				return fail(err, "PLT relocations are not RELA");
			break;
		case DT_REL:
		case DT_RELSZ:
		case DT_RELR:
		case DT_RELRSZ:
			return fail(err, "uses REL or RELR relocations");
		case DT_TEXTREL:
			return fail(err, "relocates its code");
		case DT_FLAGS:
			if (d.d_un.d_val & (DF_TEXTREL | DF_STATIC_TLS))
				return fail(err, "relocates its code or uses thread-local storage");
			break;
		case DT_INIT_ARRAYSZ:
		case DT_PREINIT_ARRAYSZ:
			if (d.d_un.d_val)
				return fail(err, "has initialisers");
			break;
		default:
			break;
		}
	}
	if (!symtab || !strtab || !have_strsz)
		return fail(err, "no dynamic symbol or string table");
	if (v2off(in, strtab, strsz, &in->strtab) < 0)
		return fail(err, "the string table lies outside the object");
	in->strsz = strsz;
	int n = count_symbols(img, in, hash, gnu_hash, err);
	if (n < 0)
		return -1;
	in->nsyms = (uint32_t)n;
	if (v2off(in, symtab, (uint64_t)in->nsyms * sizeof(Elf64_Sym), &in->symtab) < 0)
		return fail(err, "the symbol table lies outside the object");
	for (int k = 0; k < 2; k++) {
		if (relasz[k] % sizeof(Elf64_Rela) || (relasz[k] && v2off(in, rela[k], relasz[k], &in->rela[k]) < 0))
			return fail(err, "a relocation table lies outside the object");
		in->relasz[k] = relasz[k];
	}
	return 0;
}

static int find_export(const uint8_t *img, pvf_elf_info *in, const char *name, pvf_error *err)
{
	for (uint32_t i = 1; i < in->nsyms; i++) {
		Elf64_Sym s;
		const char *n;
		get_sym(img, in, i, &s);
		if (s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS || ELF64_ST_TYPE(s.st_info) != STT_OBJECT ||
		    !(n = sym_name(img, in, &s)) || strcmp(n, name) != 0)
			continue;
		if (!s.st_size || !in_segment(in, s.st_value, s.st_size, false))
			return fail(err, "the exported symbol lies outside the object");
		in->export_value = s.st_value;
		in->export_size = s.st_size;
		return 0;
	}
	return pvf_error_set(err, PVF_E_ARTIFACT_LOAD, "artifact code has no %s symbol", name);
}

int pvf__elf_parse(const uint8_t *img, size_t len, const pvf_elf_symtab *symtab,
		   const char *export_name, pvf_elf_info *info, pvf_error *err)
{
	uint64_t dyn = 0, dynsz = 0;

	for (size_t i = 1; i < symtab->n; i++)
		if (strcmp(symtab->syms[i - 1].name, symtab->syms[i].name) >= 0)
			return pvf_error_set(err, PVF_E_USAGE, "symbol table not sorted at %s",
					     symtab->syms[i].name);
	memset(info, 0, sizeof(*info));
	if (read_segments(img, len, info, &dyn, &dynsz, err) < 0 ||
	    read_dynamic(img, info, dyn, dynsz, err) < 0 ||
	    find_export(img, info, export_name, err) < 0 || relocate(img, info, symtab, NULL, err) < 0)
		return -1;
	return 0;
}

int pvf__elf_load(const uint8_t *img, size_t len, int fd, const pvf_elf_symtab *symtab,
		  const char *export_name, pvf_elf_loaded *out, pvf_error *err)
{
	const uint64_t pg = page_size();
	pvf_elf_info in;
	uint8_t *base;

	memset(out, 0, sizeof(*out));
	if (pvf__elf_parse(img, len, symtab, export_name, &in, err) < 0)
		return -1;
	base = mmap(NULL, in.span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return pvf_error_set(err, PVF_E_ARTIFACT_LOAD, "reserving %llu bytes for artifact code: %s",
				     (unsigned long long)in.span, strerror(errno));
	for (uint32_t i = 0; i < in.nloads; i++) {
		uint64_t start = in.load[i].vaddr & ~(pg - 1);
		uint64_t fend = in.load[i].vaddr + in.load[i].filesz;
		uint64_t fpage = (fend + pg - 1) & ~(pg - 1);
		uint64_t mend = (in.load[i].vaddr + in.load[i].memsz + pg - 1) & ~(pg - 1);
		int prot = in.load[i].prot;
		if (fpage > start &&
		    mmap(base + start, fpage - start, prot, MAP_PRIVATE | MAP_FIXED, fd,
			 (off_t)(in.load[i].offset & ~(pg - 1))) == MAP_FAILED)
			goto fail_errno;
		/* The rest of the segment's last file page belongs to whatever
		 * follows in the file; in memory it is zero (checked writable). */
		if (in.load[i].memsz > in.load[i].filesz && fpage > fend)
			memset(base + fend, 0, fpage - fend);
		if (mend > fpage &&
		    mmap(base + fpage, mend - fpage, prot, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) ==
			    MAP_FAILED)
			goto fail_errno;
	}
	if (relocate(img, &in, symtab, base, err) < 0)
		goto fail;
	if (in.relro_memsz) {
		uint64_t s = in.relro_vaddr & ~(pg - 1), e = (in.relro_vaddr + in.relro_memsz) & ~(pg - 1);
		if (e > s && mprotect(base + s, e - s, PROT_READ) < 0)
			goto fail_errno;
	}
	out->base = base;
	out->span = in.span;
	out->export_addr = base + in.export_value;
	out->export_size = in.export_size;
	return 0;
fail_errno:
	pvf_error_set(err, PVF_E_ARTIFACT_LOAD, "mapping artifact code: %s", strerror(errno));
fail:
	munmap(base, in.span);
	return -1;
}

void pvf__elf_unload(pvf_elf_loaded *l)
{
	if (l->base)
		munmap(l->base, l->span);
	memset(l, 0, sizeof(*l));
}
