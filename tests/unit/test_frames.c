/*
 * test_frames.c — frame sizes read from tcc objects (src/engine/frames.c):
 * the sizes of real tcc output, and errors, never a guess or a crash, for
 * objects it cannot read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/artifact_format.h"
#include "engine/frames.h"

static char g_dir[] = "/tmp/pvfhost-test-frames-XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(g_dir))
		return -1;
	/* tcc is a dependency (scripts/install-deps.sh): missing, it fails. */
	return system("tcc -v >/dev/null 2>&1") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Compiles `src` with `cc` and returns the object's bytes. */
typedef struct named_frames {
	int n;
	uint32_t mid, use_mid;
} named_frames;

static void note_frame(void *user, const char *name, uint32_t frame)
{
	named_frames *nf = user;

	nf->n++;
	if (!strcmp(name, "mid"))
		nf->mid = frame;
	else if (!strcmp(name, "use_mid"))
		nf->use_mid = frame;
	else
		fail_msg("unexpected function %s", name);
}

static uint8_t *compile(const char *cc, const char *src, size_t *len)
{
	char path[512], cmd[1024];
	FILE *f;
	uint8_t *obj = NULL;
	pvf_error err;

	snprintf(path, sizeof(path), "%s/t.c", g_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && %s -c t.c -o t.o", g_dir, cc);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/t.o", g_dir);
	if (pvf__read_file(path, 1u << 24, &obj, len, &err) < 0)
		fail_msg("%s", err.msg);
	return obj;
}

static const char src_frames[] =
	"int sink(volatile char *p);\n"
	"int leaf(int x) { return x + 1; }\n"
	"int big(int x) { volatile char buf[4000]; buf[x & 1023] = 1; return sink(buf); }\n"
	"static int mid(int x) { volatile char buf[200]; buf[0] = (char)x; return sink(buf); }\n"
	"int use_mid(int x) { return mid(x); }\n";

/* The largest frame is big()'s: its 4,000-byte array, the saved %rbp and
 * tcc's rounding, nothing more. Without big() the largest is mid()'s. */
static void test_tcc_frames(void **state)
{
	uint8_t *obj;
	size_t len;
	uint32_t frame = 0;
	pvf_error err;

	(void)state;
	obj = compile("tcc", src_frames, &len);
	if (pvf__frames_parse(obj, len, &frame, NULL, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_in_range(frame, 4000 + 8, 4000 + 8 + 32);
	free(obj);

	obj = compile("tcc",
		      "int sink(volatile char *p);\n"
		      "static int mid(int x) { volatile char buf[200]; buf[0] = (char)x; return sink(buf); }\n"
		      "int use_mid(int x) { return mid(x); }\n",
		      &len);
	frame = 0;
	named_frames nf = { 0 };
	if (pvf__frames_parse(obj, len, &frame, note_frame, &nf, &err) < 0)
		fail_msg("%s", err.msg);
	assert_in_range(frame, 200 + 8, 200 + 8 + 32);
	/* each function by name (the defined ones only: sink is external) */
	assert_int_equal(nf.n, 2);
	assert_in_range(nf.mid, 200 + 8, 200 + 8 + 32);
	assert_true(nf.use_mid > 0 && nf.use_mid < nf.mid);

	/* The maximum only rises: a larger value passed in stays. */
	frame = 100000;
	assert_int_equal(pvf__frames_parse(obj, len, &frame, NULL, NULL, &err), 0);
	assert_int_equal(frame, 100000);
	free(obj);
}

/* gcc -O2 gives leaf() no frame and no tcc prologue: an error, since the
 * bound would otherwise be a guess. */
static void test_other_compiler_refused(void **state)
{
	uint8_t *obj;
	size_t len;
	uint32_t frame = 0;
	pvf_error err;

	(void)state;
	obj = compile("gcc -O2", "int leaf(int x) { return x + 1; }\n", &len);
	assert_int_equal(pvf__frames_parse(obj, len, &frame, NULL, NULL, &err), -1);
	assert_int_equal(err.code, PVF_E_TOOL);
	assert_non_null(strstr(err.msg, "prologue"));
	free(obj);
}

/* Not an object, a truncated one, a section table pointing past the end,
 * and every single-byte truncation: errors, no crash (the ASan build runs
 * this too). */
static void test_malformed(void **state)
{
	uint8_t junk[64] = { 0x7f, 'E', 'L', 'F' };
	uint8_t *obj;
	size_t len;
	uint32_t frame = 0;
	pvf_error err;

	(void)state;
	assert_int_equal(pvf__frames_parse(junk, sizeof(junk), &frame, NULL, NULL, &err), -1);
	assert_int_equal(pvf__frames_parse(junk, 3, &frame, NULL, NULL, &err), -1);
	obj = compile("tcc", src_frames, &len);
	for (size_t cut = 0; cut < len; cut += 1 + cut / 64) {
		uint8_t *copy = malloc(cut ? cut : 1);
		assert_non_null(copy);
		memcpy(copy, obj, cut);
		frame = 0;
		assert_int_equal(pvf__frames_parse(copy, cut, &frame, NULL, NULL, &err), -1);
		free(copy);
	}
	/* e_shoff (offset 0x28) far past the end */
	obj[0x28 + 5] = 0x7f;
	assert_int_equal(pvf__frames_parse(obj, len, &frame, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "section table"));
	free(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcc_frames),
		cmocka_unit_test(test_other_compiler_refused),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
