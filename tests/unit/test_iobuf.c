/* test_iobuf.c — the execute worker's I/O buffers: reused while they fit,
 * grown when not, given back by shrink, and absent from a forked child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker/iobuf.h"

static void test_reuse_and_growth(void **state)
{
	pvf__iobuf b = PVF__IOBUF_INIT;

	(void)state;
	uint8_t *p = pvf__iobuf_get(&b, 100);
	assert_non_null(p);
	assert_true(b.cap >= 100);
	memset(p, 1, b.cap);
	/* anything up to the capacity: the same buffer */
	assert_ptr_equal(pvf__iobuf_get(&b, b.cap), p);
	size_t cap = b.cap;
	uint8_t *q = pvf__iobuf_get(&b, cap + 1);
	assert_non_null(q);
	assert_true(b.cap > cap);
	memset(q, 2, b.cap);
	/* shrink keeps a buffer within the bound, unmaps a larger one */
	pvf__iobuf_shrink(&b, b.cap);
	assert_ptr_equal(b.p, q);
	pvf__iobuf_shrink(&b, cap);
	assert_null(b.p);
	assert_int_equal(b.cap, 0);
	pvf__iobuf_free(&b);
}

/* A child forked while the buffer exists has no mapping there: reading it
 * faults. The same read of a heap byte works. */
static void test_not_inherited(void **state)
{
	pvf__iobuf b = PVF__IOBUF_INIT;
	static volatile uint8_t heap_like = 5;
	int st;

	(void)state;
	volatile uint8_t *p = pvf__iobuf_get(&b, 10);
	assert_non_null(p);
	p[0] = 7;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		_exit(heap_like == 5 ? p[0] : 100);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	/* the parent's copy is intact */
	assert_int_equal(p[0], 7);
	pvf__iobuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuse_and_growth),
		cmocka_unit_test(test_not_inherited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
