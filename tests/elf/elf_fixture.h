/*
 * elf_fixture.h — the table that tests/elf/elf_fixture.c exports as
 * "fixture_table", as test_elf_load and the sandbox probe see it.
 */
#ifndef PVF_TESTS_ELF_FIXTURE_H
#define PVF_TESTS_ELF_FIXTURE_H

struct fixture_table {
	const char *greeting;
	int (*call)(int);           /* fixture_import(x) + 1, through a PLT slot */
	int (*import_addr)(int);    /* &fixture_import */
	int (*weak_addr)(int);      /* an undefined weak function: NULL */
	int (*read_zeroed)(int);    /* reads zero-filled memory */
	int (*write_zeroed)(int, int);
};

/* What the fixture needs from the program that loads it. */
int fixture_import(int x);

#endif
