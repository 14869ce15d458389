/*
 * execute_queue.h — which execution priority to serve next.
 *
 * Priorities, highest first: dispute, approval, backing of system chains,
 * backing. Serving strictly by priority would starve backing under a flood
 * of disputes, so selection follows Polkadot's execute queue: within a
 * window of PVF_EXEC_WINDOW scheduled jobs, a priority that already took
 * its threshold share (dispute 70 %, approval 80 %, backing-system 100 %;
 * backing has none) of the jobs scheduled at its level or below yields to
 * the next pending priority; when every pending priority is over its share
 * the highest pending one is served. The window restarts after
 * PVF_EXEC_WINDOW jobs. Under a flood of disputes, backing thus still gets
 * about three jobs in ten.
 */
#ifndef PVF_HOST_EXECUTE_QUEUE_H
#define PVF_HOST_EXECUTE_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#define PVF_EXEC_PRIOS 4        /* indexed by pvfhost_priority: 0 backing .. 3 dispute */
#define PVF_EXEC_WINDOW 12u

typedef struct pvf_exec_fairness {
	uint32_t counts[PVF_EXEC_PRIOS];   /* scheduled in the current window */
} pvf_exec_fairness;

void pvf_exec_fairness_init(pvf_exec_fairness *f);

/* Threshold share of a priority, percent (0: none). */
uint32_t pvf_exec_fairness_threshold(int prio);

/* The priority to serve given which ones have an eligible job, or -1 when
 * none has. Does not record anything. */
int pvf_exec_fairness_select(const pvf_exec_fairness *f, const bool pending[PVF_EXEC_PRIOS]);

/* Records that a job of `prio` was scheduled. */
void pvf_exec_fairness_mark(pvf_exec_fairness *f, int prio);

#endif
