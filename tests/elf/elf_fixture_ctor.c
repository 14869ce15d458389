/*
 * elf_fixture_ctor.c — like an artifact's code, but with an initialiser,
 * which the artifact loader must refuse (it runs none).
 */
static int ready;

__attribute__((constructor)) static void init(void)
{
	ready = 1;
}

__attribute__((visibility("default"))) const int *const fixture_table = &ready;
