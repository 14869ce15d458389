/*
 * execute_queue.c — the fairness window of the execute queue (see
 * execute_queue.h).
 */
#include "host/execute_queue.h"

#include <string.h>

void pvf_exec_fairness_init(pvf_exec_fairness *f)
{
	memset(f, 0, sizeof(*f));
}

uint32_t pvf_exec_fairness_threshold(int prio)
{
	switch (prio) {
	case 3: return 70;   /* dispute */
	case 2: return 80;   /* approval */
	case 1: return 100;  /* backing of system chains */
	default: return 0;   /* backing: no threshold */
	}
}

/* Whether `prio` already took its share of the jobs scheduled in this
 * window at its own level or below. */
static bool reached(const pvf_exec_fairness *f, int prio)
{
	uint32_t below = 0;

	for (int p = 0; p <= prio; p++)
		below += f->counts[p];
	if (below == 0 || f->counts[prio] == 0 || pvf_exec_fairness_threshold(prio) == 0)
		return false;
	return (uint64_t)f->counts[prio] * 100u / below >= pvf_exec_fairness_threshold(prio);
}

int pvf_exec_fairness_select(const pvf_exec_fairness *f, const bool pending[PVF_EXEC_PRIOS])
{
	for (int p = PVF_EXEC_PRIOS - 1; p >= 0; p--)
		if (pending[p] && !reached(f, p))
			return p;
	for (int p = PVF_EXEC_PRIOS - 1; p >= 0; p--)
		if (pending[p])
			return p;
	return -1;
}

void pvf_exec_fairness_mark(pvf_exec_fairness *f, int prio)
{
	uint32_t total = 0;

	if (prio < 0 || prio >= PVF_EXEC_PRIOS)
		return;
	f->counts[prio]++;
	for (int p = 0; p < PVF_EXEC_PRIOS; p++)
		total += f->counts[p];
	if (total >= PVF_EXEC_WINDOW)
		pvf_exec_fairness_init(f);
}
