/*
 * elf_fixture.c — a shared object in the shape of an artifact's code, for
 * test_elf_load: one exported table, a call to a function outside it (a PLT
 * slot), the address of that function and of an undefined weak one in
 * read-only-after-relocation data, local pointers (RELATIVE relocations)
 * and zero-filled memory past the file's bytes.
 */
#include "elf_fixture.h"

extern int fixture_weak(int x) __attribute__((weak));

static const char greeting[] = "hello from the fixture";
static int zeroed[4096];

static int call(int x)
{
	return fixture_import(x) + 1;
}

static int read_zeroed(int i)
{
	return zeroed[i];
}

static int write_zeroed(int i, int v)
{
	zeroed[i] = v;
	return zeroed[i];
}

__attribute__((visibility("default"))) const struct fixture_table fixture_table = {
	greeting, call, fixture_import, fixture_weak, read_zeroed, write_zeroed,
};
