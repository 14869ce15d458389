/*
 * test_queues.c — the execute queue's fairness window: strict priority
 * when there is no competition, Polkadot's thresholds under a flood, and
 * the window restarting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "host/execute_queue.h"

enum { BACKING = 0, BACKING_SYSTEM = 1, APPROVAL = 2, DISPUTE = 3 };

/* Serves `n` jobs with the given priorities always pending; counts picks. */
static void serve(pvf_exec_fairness *f, const bool pending[4], int n, int picks[4])
{
	for (int i = 0; i < n; i++) {
		int p = pvf_exec_fairness_select(f, pending);
		assert_true(p >= 0 && p < 4);
		assert_true(pending[p]);
		picks[p]++;
		pvf_exec_fairness_mark(f, p);
	}
}

static void test_nothing_pending(void **state)
{
	pvf_exec_fairness f;
	bool none[4] = { false, false, false, false };
	(void)state;
	pvf_exec_fairness_init(&f);
	assert_int_equal(pvf_exec_fairness_select(&f, none), -1);
}

static void test_single_priority_always_served(void **state)
{
	pvf_exec_fairness f;
	(void)state;
	for (int p = 0; p < 4; p++) {
		bool pend[4] = { false, false, false, false };
		int picks[4] = { 0 };
		pend[p] = true;
		pvf_exec_fairness_init(&f);
		serve(&f, pend, 100, picks);
		assert_int_equal(picks[p], 100);
	}
}

static void test_highest_first_from_empty_window(void **state)
{
	pvf_exec_fairness f;
	bool all[4] = { true, true, true, true };
	(void)state;
	pvf_exec_fairness_init(&f);
	assert_int_equal(pvf_exec_fairness_select(&f, all), DISPUTE);
}

static void test_dispute_flood_leaves_backing_a_share(void **state)
{
	pvf_exec_fairness f;
	bool pend[4] = { true, false, false, true };   /* backing and dispute */
	int picks[4] = { 0 };
	(void)state;
	pvf_exec_fairness_init(&f);
	serve(&f, pend, 1200, picks);
	/* Dispute holds about 70 %, backing gets the rest. */
	assert_int_equal(picks[DISPUTE] + picks[BACKING], 1200);
	assert_true(picks[DISPUTE] >= 1200 * 60 / 100 && picks[DISPUTE] <= 1200 * 75 / 100);
	assert_true(picks[BACKING] >= 1200 * 25 / 100);
}

static void test_approval_flood_share(void **state)
{
	pvf_exec_fairness f;
	bool pend[4] = { true, false, true, false };
	int picks[4] = { 0 };
	(void)state;
	pvf_exec_fairness_init(&f);
	serve(&f, pend, 1200, picks);
	assert_true(picks[APPROVAL] >= 1200 * 70 / 100 && picks[APPROVAL] <= 1200 * 85 / 100);
	assert_true(picks[BACKING] > 0);
}

static void test_window_restarts(void **state)
{
	pvf_exec_fairness f;
	(void)state;
	pvf_exec_fairness_init(&f);
	for (unsigned i = 0; i < PVF_EXEC_WINDOW - 1; i++)
		pvf_exec_fairness_mark(&f, DISPUTE);
	/* Dispute is over its share: backing goes next. */
	bool pend[4] = { true, false, false, true };
	assert_int_equal(pvf_exec_fairness_select(&f, pend), BACKING);
	pvf_exec_fairness_mark(&f, DISPUTE);   /* the twelfth: the window restarts */
	assert_int_equal(pvf_exec_fairness_select(&f, pend), DISPUTE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_pending),
		cmocka_unit_test(test_single_priority_always_served),
		cmocka_unit_test(test_highest_first_from_empty_window),
		cmocka_unit_test(test_dispute_flood_leaves_backing_a_share),
		cmocka_unit_test(test_approval_flood_share),
		cmocka_unit_test(test_window_restarts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
