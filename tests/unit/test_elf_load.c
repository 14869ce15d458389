/*
 * test_elf_load.c — the artifact loader (src/engine/elf_load.c) on shared
 * objects linked as artifacts are (tests/elf): what a loaded object sees,
 * which pages end up read-only, and that every malformed or out-of-model
 * object is refused with a message, never mapped half-way or crashed on.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/elf_load.h"
#include "engine/rt_symbols.h"
#include "elf_fixture.h"
#include "test_util.h"

int fixture_import(int x)
{
	return 2 * x;
}

static int other(int x)
{
	return x;
}

/* Sorted, as the loader requires. */
static const pvf_elf_symbol syms[] = {
	{ "aaa_unused", (void *)other },
	{ "fixture_import", (void *)fixture_import },
	{ "zzz_unused", (void *)other },
};
static const pvf_elf_symtab table = { syms, 3 };

static uint8_t *read_file(const char *path, size_t *len)
{
	uint8_t *b = test_read_file(path, len);
	if (!b)
		fail_msg("cannot read %s", path);
	return b;
}

static int memfd_of(const uint8_t *b, size_t len)
{
	int fd = memfd_create("elf-test", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	return fd;
}

static int load(const uint8_t *b, size_t len, const pvf_elf_symtab *t, pvf_elf_loaded *l, pvf_error *err)
{
	int fd = memfd_of(b, len);
	int r = pvf__elf_load(b, len, fd, t, "fixture_table", l, err);
	close(fd);
	return r;
}

/* The permissions of the mapping holding `p`, from /proc/self/maps. */
static void perms_of(const void *p, char out[5])
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	strcpy(out, "none");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && (uintptr_t)p >= lo &&
		    (uintptr_t)p < hi) {
			memcpy(out, perms, 5);
			break;
		}
	}
	fclose(f);
}

static bool mapped(const void *p)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	return msync((void *)((uintptr_t)p & ~(pg - 1)), pg, MS_ASYNC) == 0;
}

static void test_loads_fixture(void **state)
{
	size_t len;
	uint8_t *b = read_file(ELF_FIXTURE, &len);
	pvf_elf_loaded l;
	pvf_error err;
	char perms[5];

	(void)state;
	if (load(b, len, &table, &l, &err) < 0)
		fail_msg("%s", err.msg);
	const struct fixture_table *t = l.export_addr;
	assert_true(l.export_size >= sizeof(*t));
	assert_true((uint8_t *)t >= l.base && (uint8_t *)t < l.base + l.span);
	/* RELATIVE: local data and code */
	assert_string_equal(t->greeting, "hello from the fixture");
	/* JUMP_SLOT: the call goes out through the table's entry */
	assert_int_equal(t->call(20), 41);
	/* an absolute reference to the imported function, and an undefined
	 * weak one outside the table */
	assert_ptr_equal(t->import_addr, fixture_import);
	assert_null(t->weak_addr);
	/* zero-filled memory past the file's bytes, writable */
	for (int i = 0; i < 4096; i += 97)
		assert_int_equal(t->read_zeroed(i), 0);
	assert_int_equal(t->write_zeroed(4000, 7), 7);
	/* the table was relocated, then made read-only (RELRO); the code is
	 * executable and not writable */
	perms_of(t, perms);
	assert_string_equal(perms, "r--p");
	perms_of((const void *)t->read_zeroed, perms);
	assert_string_equal(perms, "r-xp");
	/* unloading unmaps all of it */
	uint8_t *base = l.base;
	pvf__elf_unload(&l);
	assert_false(mapped(base));
	assert_null(l.base);
	free(b);
}

static void test_missing_symbol(void **state)
{
	size_t len;
	uint8_t *b = read_file(ELF_FIXTURE, &len);
	pvf_elf_loaded l;
	pvf_error err;
	pvf_elf_symtab none = { syms, 1 };

	(void)state;
	assert_int_equal(load(b, len, &none, &l, &err), -1);
	assert_int_equal(err.code, PVF_E_ARTIFACT_LOAD);
	assert_non_null(strstr(err.msg, "'fixture_import'"));
	assert_null(l.base);
	/* the same through the table artifacts are checked against */
	pvf_elf_info info;
	assert_int_equal(pvf__elf_parse(b, len, &pvf__rt_symbols, "fixture_table", &info, &err), -1);
	assert_non_null(strstr(err.msg, "'fixture_import'"));
	/* and an export that is not there */
	assert_int_equal(pvf__elf_parse(b, len, &table, "no_such_table", &info, &err), -1);
	assert_non_null(strstr(err.msg, "no_such_table"));
	free(b);
}

static void test_unsorted_table(void **state)
{
	size_t len;
	uint8_t *b = read_file(ELF_FIXTURE, &len);
	static const pvf_elf_symbol bad[] = {
		{ "fixture_import", (void *)fixture_import },
		{ "aaa", (void *)other },
	};
	pvf_elf_symtab t = { bad, 2 };
	pvf_elf_info info;
	pvf_error err;

	(void)state;
	assert_int_equal(pvf__elf_parse(b, len, &t, "fixture_table", &info, &err), -1);
	assert_int_equal(err.code, PVF_E_USAGE);
	free(b);
}

static void test_rt_symbols_sorted(void **state)
{
	(void)state;
	assert_true(pvf__rt_symbols.n > 30);
	for (size_t i = 1; i < pvf__rt_symbols.n; i++)
		assert_true(strcmp(pvf__rt_symbols.syms[i - 1].name, pvf__rt_symbols.syms[i].name) < 0);
	for (size_t i = 0; i < pvf__rt_symbols.n; i++)
		assert_non_null(pvf__rt_symbols.syms[i].addr);
}

static void test_initialiser_refused(void **state)
{
	size_t len;
	uint8_t *b = read_file(ELF_FIXTURE_CTOR, &len);
	pvf_elf_loaded l;
	pvf_error err;

	(void)state;
	assert_int_equal(load(b, len, &table, &l, &err), -1);
	assert_non_null(strstr(err.msg, "initialisers"));
	free(b);
}

/* Parses a copy of the fixture changed by `edit`; returns the result and
 * leaves the message in `err`. */
static int parse_edited(void (*edit)(uint8_t *b, size_t len), pvf_error *err)
{
	size_t len;
	uint8_t *b = read_file(ELF_FIXTURE, &len);
	pvf_elf_info info;
	edit(b, len);
	int r = pvf__elf_parse(b, len, &table, "fixture_table", &info, err);
	free(b);
	return r;
}

static Elf64_Ehdr *eh(uint8_t *b)
{
	return (Elf64_Ehdr *)b;
}

static Elf64_Phdr *phdr(uint8_t *b, uint32_t type, uint32_t flags_any)
{
	for (int i = 0; i < eh(b)->e_phnum; i++) {
		Elf64_Phdr *p = (Elf64_Phdr *)(b + eh(b)->e_phoff) + i;
		if (p->p_type == type && (!flags_any || (p->p_flags & flags_any)))
			return p;
	}
	fail_msg("no program header of type %u", type);
	return NULL;
}

/* The dynamic section's entries (in the file). */
static Elf64_Dyn *dyn(uint8_t *b)
{
	return (Elf64_Dyn *)(b + phdr(b, PT_DYNAMIC, 0)->p_offset);
}

static uint64_t dyn_val(uint8_t *b, int64_t tag)
{
	for (Elf64_Dyn *d = dyn(b); d->d_tag != DT_NULL; d++)
		if (d->d_tag == tag)
			return d->d_un.d_val;
	fail_msg("no dynamic tag %lld", (long long)tag);
	return 0;
}

/* File offset of a vaddr (the fixture's segments map it 1:1 modulo each
 * segment's offset). */
static uint8_t *at(uint8_t *b, uint64_t vaddr)
{
	for (int i = 0; i < eh(b)->e_phnum; i++) {
		Elf64_Phdr *p = (Elf64_Phdr *)(b + eh(b)->e_phoff) + i;
		if (p->p_type == PT_LOAD && vaddr >= p->p_vaddr && vaddr < p->p_vaddr + p->p_filesz)
			return b + p->p_offset + (vaddr - p->p_vaddr);
	}
	fail_msg("vaddr %llx not in the file", (unsigned long long)vaddr);
	return NULL;
}

static Elf64_Rela *first_plt_rela(uint8_t *b)
{
	return (Elf64_Rela *)at(b, dyn_val(b, DT_JMPREL));
}

static void e_machine(uint8_t *b, size_t n) { (void)n; eh(b)->e_machine = eh(b)->e_machine == EM_X86_64 ? EM_AARCH64 : EM_X86_64; }
static void e_class(uint8_t *b, size_t n) { (void)n; b[EI_CLASS] = ELFCLASS32; }
static void e_magic(uint8_t *b, size_t n) { (void)n; b[1] = 'X'; }
static void e_type(uint8_t *b, size_t n) { (void)n; eh(b)->e_type = ET_EXEC; }
static void e_phoff(uint8_t *b, size_t n) { eh(b)->e_phoff = n - 8; }
static void p_tls(uint8_t *b, size_t n) { (void)n; phdr(b, PT_GNU_STACK, 0)->p_type = PT_TLS; }
static void p_interp(uint8_t *b, size_t n) { (void)n; phdr(b, PT_GNU_STACK, 0)->p_type = PT_INTERP; }
static void p_execstack(uint8_t *b, size_t n) { (void)n; phdr(b, PT_GNU_STACK, 0)->p_flags |= PF_X; }
static void p_wx(uint8_t *b, size_t n) { (void)n; phdr(b, PT_LOAD, PF_X)->p_flags |= PF_W; }
static void p_past_end(uint8_t *b, size_t n) { Elf64_Phdr *p = phdr(b, PT_LOAD, PF_W); p->p_filesz = n; p->p_memsz = n; }
static void p_misaligned(uint8_t *b, size_t n) { (void)n; phdr(b, PT_LOAD, PF_W)->p_offset += 8; }
static void p_nodyn(uint8_t *b, size_t n) { (void)n; phdr(b, PT_DYNAMIC, 0)->p_type = PT_NOTE; }
static void r_type(uint8_t *b, size_t n)
{
	(void)n;
	Elf64_Rela *r = first_plt_rela(b);
	r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), 2 /* PC32 on x86-64, ABS32 on AArch64 */);
}
static void r_into_code(uint8_t *b, size_t n)
{
	(void)n;
	first_plt_rela(b)->r_offset = phdr(b, PT_LOAD, PF_X)->p_vaddr;
}
static void r_sym_past(uint8_t *b, size_t n)
{
	(void)n;
	Elf64_Rela *r = first_plt_rela(b);
	r->r_info = ELF64_R_INFO(1u << 20, ELF64_R_TYPE(r->r_info));
}
static void d_textrel(uint8_t *b, size_t n)
{
	(void)n;
	for (Elf64_Dyn *d = dyn(b); d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_SYMENT) {
			d->d_tag = DT_TEXTREL;
			return;
		}
	fail_msg("no DT_SYMENT");
}
static void d_relent(uint8_t *b, size_t n)
{
	(void)n;
	for (Elf64_Dyn *d = dyn(b); d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_PLTRELSZ)
			d->d_un.d_val += 3;
}
static void d_unterminated(uint8_t *b, size_t n)
{
	(void)n;
	Elf64_Phdr *p = phdr(b, PT_DYNAMIC, 0);
	Elf64_Dyn *d = dyn(b);
	for (uint64_t i = 0; i < p->p_filesz / sizeof(*d); i++)
		if (d[i].d_tag == DT_NULL)
			d[i].d_tag = DT_DEBUG;
}
static void d_strsz(uint8_t *b, size_t n)
{
	for (Elf64_Dyn *d = dyn(b); d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_STRSZ)
			d->d_un.d_val = n;
}

static void test_refused(void **state)
{
	static const struct {
		void (*edit)(uint8_t *, size_t);
		const char *msg;
	} cases[] = {
		{ e_machine, "another machine" },
		{ e_class, "64-bit" },
		{ e_magic, "not an ELF" },
		{ e_type, "not a shared object" },
		{ e_phoff, "program header" },
		{ p_tls, "thread-local" },
		{ p_interp, "interpreter" },
		{ p_execstack, "executable stack" },
		{ p_wx, "writable and executable" },
		{ p_past_end, "outside the object" },
		{ p_misaligned, "page-aligned" },
		{ p_nodyn, "no dynamic section" },
		{ r_type, "relocation type 2" },
		{ r_into_code, "outside the writable" },
		{ r_sym_past, "past the symbol table" },
		{ d_textrel, "relocates its code" },
		{ d_relent, "relocation table" },
		{ d_unterminated, "no end" },
		{ d_strsz, "string table" },
	};
	pvf_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse_edited(cases[i].edit, &err);
		if (r != -1 || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: got %d '%s', want an error with '%s'", i, r, r ? err.msg : "",
				 cases[i].msg);
		assert_int_equal(err.code, PVF_E_ARTIFACT_LOAD);
	}
}

/* Every prefix shorter than the segments' file bytes is refused. */
static void test_truncated(void **state)
{
	size_t len;
	uint8_t *b = read_file(ELF_FIXTURE, &len);
	pvf_elf_info info;
	pvf_error err;
	uint64_t need = 0;

	(void)state;
	assert_int_equal(pvf__elf_parse(b, len, &table, "fixture_table", &info, &err), 0);
	for (uint32_t i = 0; i < info.nloads; i++)
		if (info.load[i].offset + info.load[i].filesz > need)
			need = info.load[i].offset + info.load[i].filesz;
	assert_true(need > 0 && need <= len);
	for (size_t n = 0; n < need; n++) {
		uint8_t *c = malloc(n ? n : 1);
		memcpy(c, b, n);
		assert_int_equal(pvf__elf_parse(c, n, &table, "fixture_table", &info, &err), -1);
		free(c);
	}
	free(b);
}

/* Random changes of a few bytes anywhere in the object: each copy is either
 * refused or, when accepted, maps and unmaps cleanly (no code of it runs). */
static void test_mutations(void **state)
{
	size_t len;
	uint8_t *b = read_file(ELF_FIXTURE, &len);
	uint8_t *c = malloc(len);
	uint32_t seed = 12345, accepted = 0, refused = 0;
	pvf_elf_info info;
	pvf_error err;

	(void)state;
	assert_int_equal(pvf__elf_parse(b, len, &table, "fixture_table", &info, &err), 0);
	/* Mutations land in the part the loader reads: headers and the first
	 * segments, up to the end of the last one. */
	uint64_t span = 0;
	for (uint32_t i = 0; i < info.nloads; i++)
		if (info.load[i].offset + info.load[i].filesz > span)
			span = info.load[i].offset + info.load[i].filesz;
	for (int round = 0; round < 4000; round++) {
		memcpy(c, b, len);
		int k = 1 + (int)(seed % 4);
		for (int j = 0; j < k; j++) {
			seed = seed * 1103515245u + 12345u;
			size_t pos = (seed >> 8) % span;
			seed = seed * 1103515245u + 12345u;
			c[pos] = (uint8_t)(seed >> 16);
		}
		if (pvf__elf_parse(c, len, &table, "fixture_table", &info, &err) < 0) {
			assert_int_equal(err.code, PVF_E_ARTIFACT_LOAD);
			refused++;
			continue;
		}
		pvf_elf_loaded l;
		if (load(c, len, &table, &l, &err) == 0) {
			assert_true(mapped(l.export_addr));
			pvf__elf_unload(&l);
		}
		accepted++;
	}
	fprintf(stderr, "# mutations: %u refused, %u accepted\n", refused, accepted);
	assert_true(refused > 0 && accepted > 0);
	free(c);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_fixture),
		cmocka_unit_test(test_missing_symbol),
		cmocka_unit_test(test_unsorted_table),
		cmocka_unit_test(test_rt_symbols_sorted),
		cmocka_unit_test(test_initialiser_refused),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
