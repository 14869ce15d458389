/*
 * host.c — the validation host's scheduler: the artifact table, the
 * prepare queue and pool, the execute queue and pool, retries, deadlines
 * and completions (see host_internal.h for the life of a job).
 *
 * Prepare slots: prepare_workers_hard threads, each owning at most one
 * prepare worker process. Slots below the soft cap take any preparation;
 * the others take only critical ones and the pre-check tier's
 * preparations for validations (seconds each). An artifact's own
 * preparation waits while its pre-check tier one is queued or running. A
 * worker that timed out, ran out of memory or died is replaced on the next
 * job.
 *
 * Execute slots: execute_workers threads, each owning at most one execute
 * worker bound to one artifact. A slot picks the priority to serve from the
 * fairness window, then prefers a job for the artifact its worker already
 * holds, so workers are reused instead of reloaded.
 */
#include "host/host_hooks.h"
#include "host/host_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "host/exec_params.h"

#define EXEC_ARTIFACT_NAME "artifact.pvfa"
/* An artifact found in the store this recently is not looked at again
 * before its job runs. */
#define HOST_RECHECK_MS 100u
/* Attempts to start an execute worker for a job before it fails. */
#define HOST_SPAWN_ATTEMPTS 3u

static void hex8(const uint8_t *p, char out[17])
{
	static const char x[] = "0123456789abcdef";
	for (int i = 0; i < 8; i++) {
		out[2 * i] = x[p[i] >> 4];
		out[2 * i + 1] = x[p[i] & 15];
	}
	out[16] = '\0';
}

void pvf__job_free(job *j)
{
	if (!j)
		return;
	pvf_code_ref_drop(j->code_ref);
	free(j->params);
	free(j->out);
	free(j);
}

static void prep_free(prep *p)
{
	if (!p)
		return;
	free(p->code);
	if (!p->caller_owned)
		free(p);
}

void pvf__host_update_gauges(struct pvfhost *h)
{
	for (int i = 0; i < 3; i++)
		pvf_metric_set(h->m.prepq[i], h->nprepq[i]);
	for (int i = 0; i < PVF_EXEC_PRIOS; i++)
		pvf_metric_set(h->m.execq[i], h->nexecq[i]);
	pvf_metric_set(h->m.cache_bytes, (int64_t)pvf_store_bytes(h->store));
	pvf_metric_set(h->m.cache_artifacts, (int64_t)pvf_store_count(h->store));
}

/* ---- artifacts ---------------------------------------------------------- */

art *pvf__host_art(struct pvfhost *h, const uint8_t code_hash[32], const pvfhost_executor_params *ep)
{
	pvf_store_key k;

	memcpy(k.code_hash, code_hash, 32);
	pvf_exec_params_prep_hash(ep, k.params_hash);
	for (art *a = h->arts; a; a = a->next)
		if (!memcmp(&a->key, &k, sizeof(k)))
			return a;
	art *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->key = k;
	a->state = ART_NEW;
	a->next = h->arts;
	h->arts = a;
	return a;
}

void pvf__host_queue_prep(struct pvfhost *h, prep *p)
{
	prep **pp = &h->prepq;

	/* A pre-check tier preparation takes seconds: it goes ahead of the
	 * queued ones (prep_pick takes the first of the best priority). */
	while (*pp && !p->fast)
		pp = &(*pp)->next;
	p->next = *pp;
	*pp = p;
	h->nprepq[p->prio]++;
	if (!p->fast) {
		/* The pre-check tier runs beside the artifact's own preparation. */
		p->a->prep = p;
		p->a->state = ART_PREPARING;
	}
	pthread_cond_broadcast(&h->prep_cv);
	pvf__host_update_gauges(h);
}

int pvf__host_want_prep(struct pvfhost *h, art *a, prep_prio prio, const uint8_t *code, size_t len,
			const pvfhost_executor_params *ep, pvf_error *err)
{
	if (a->prep) {
		if (!a->prep->running && prio < a->prep->prio) {
			h->nprepq[a->prep->prio]--;   /* raise a queued one */
			h->nprepq[prio]++;
			a->prep->prio = prio;
		}
		return 0;
	}
	prep *p = calloc(1, sizeof(*p));
	if (!p || !(p->code = malloc(len ? len : 1))) {
		free(p);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory queueing a preparation");
	}
	memcpy(p->code, code, len);
	p->code_len = len;
	p->a = a;
	p->prio = prio;
	p->kind = PVF_PREPARE_PREPARE;
	p->ep = *ep;
	pvf__host_queue_prep(h, p);
	return 0;
}

/* ---- jobs ---------------------------------------------------------------- */

static void unlink_all(struct pvfhost *h, job *j)
{
	if (j->all_prev)
		j->all_prev->all_next = j->all_next;
	else if (h->all == j)
		h->all = j->all_next;
	if (j->all_next)
		j->all_next->all_prev = j->all_prev;
	j->all_next = j->all_prev = NULL;
	if (j->deadline_ms)
		h->ndeadline--;
}

static void execq_push(struct pvfhost *h, job *j)
{
	int p = j->prio;

	j->state = JOB_QUEUED;
	j->next = NULL;
	h->nexecq[p]++;
	if (h->execq_tail[p])
		h->execq_tail[p]->next = j;
	else
		h->execq_head[p] = j;
	h->execq_tail[p] = j;
	/* A blocking caller about to run its job itself wakes the slots only
	 * if it cannot (pvf__host_borrow_slot). */
	if (!j->direct)
		pthread_cond_broadcast(&h->exec_cv);
}

static void execq_remove(struct pvfhost *h, job *j)
{
	int p = j->prio;
	job *prev = NULL;

	for (job *x = h->execq_head[p]; x; prev = x, x = x->next) {
		if (x != j)
			continue;
		if (prev)
			prev->next = x->next;
		else
			h->execq_head[p] = x->next;
		if (h->execq_tail[p] == x)
			h->execq_tail[p] = prev;
		x->next = NULL;
		h->nexecq[p]--;
		return;
	}
}

void pvf__host_finish(struct pvfhost *h, job *j, const pvf_error *err, const uint8_t *out, size_t out_len)
{
	if (j->state == JOB_QUEUED)
		execq_remove(h, j);
	j->state = JOB_DONE;
	unlink_all(h, j);
	j->res.job_id = j->id;
	if (err) {
		j->res.status = -1;
		j->res.err.code = (int)err->code;
		j->res.err.cls = (pvfhost_error_class)err->cls;
		snprintf(j->res.err.msg, sizeof(j->res.err.msg), "%s", err->msg);
		if ((unsigned)err->code < PVF_E__COUNT) {
			h->errors_by_code[err->code]++;
			pvf_metric_add(h->m.errors[err->code], 1);
		}
		int v = err->cls == PVF_CLASS_DETERMINISTIC ? 1 : err->cls == PVF_CLASS_POSSIBLY_INVALID ? 2 : 3;
		pvf_metric_add(h->m.verdict[v], 1);
	} else {
		j->res.status = 0;
		if (out_len) {
			j->out = malloc(out_len);
			if (!j->out) {
				pvf_error e;
				pvf_error_set(&e, PVF_E_NOMEM, "out of memory copying the output");
				pvf__host_finish(h, j, &e, NULL, 0);
				return;
			}
			memcpy(j->out, out, out_len);
		}
		j->res.output = j->out;
		j->res.output_len = out_len;
		pvf_metric_add(h->m.verdict[0], 1);
	}
	if (j->sync && !j->done) {
		/* Nothing for the completer to do: wake the caller from here. */
		j->sync_done = true;
		pthread_cond_broadcast(j->sync_cv);
		pvf__host_update_gauges(h);
		return;
	}
	if (j->cb_here) {
		/* The finishing thread runs the callback once it has let go
		 * of the lock (run_job). */
		pvf__host_update_gauges(h);
		return;
	}
	j->next = NULL;
	if (h->done_tail)
		h->done_tail->next = j;
	else
		h->done_head = j;
	h->done_tail = j;
	pthread_cond_broadcast(&h->done_cv);
	pvf__host_update_gauges(h);
}

static void finish_code(struct pvfhost *h, job *j, pvf_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void finish_code(struct pvfhost *h, job *j, pvf_error_code code, const char *fmt, ...)
{
	pvf_error e;
	va_list ap;

	va_start(ap, fmt);
	pvf_error_setv(&e, code, fmt, ap);
	va_end(ap);
	pvf__host_finish(h, j, &e, NULL, 0);
}

/* Whether a failed pre-check tier preparation says something about the
 * fast toolchain rather than the code: the compiler rejected wasm2c's output
 * of a module that passed validation (PVF_E_COMPILE), could not be run or
 * left output pvfhost cannot read (PVF_E_TOOL), or its frames put the native
 * stack over the bound where another compiler's may not (PVF_E_STACK_BOUND).
 * Such a pre-check is done again with the optimised toolchain. */
bool pvf__host_tier_specific(const pvf_error *err)
{
	return err->code == PVF_E_COMPILE || err->code == PVF_E_TOOL || err->code == PVF_E_STACK_BOUND;
}

/* Lock held: queues a pre-check tier preparation of `a` for validations
 * that wait for it (prep_done routes them when it is ready). */
static int queue_fast_prep(struct pvfhost *h, art *a, prep_prio prio, const uint8_t *code, size_t len,
			   const pvfhost_executor_params *ep)
{
	prep *p = calloc(1, sizeof(*p));

	if (!p || !(p->code = malloc(len ? len : 1))) {
		free(p);
		return -1;
	}
	memcpy(p->code, code, len);
	p->code_len = len;
	p->a = a;
	p->prio = prio;
	p->kind = PVF_PREPARE_PRECHECK;
	p->fast = true;
	p->ep = *ep;
	a->fast_pending = true;
	pvf__host_queue_prep(h, p);
	return 0;
}

/* Lock held: whether `j` can run on the pre-check tier's artifact. */
static bool fast_available(struct pvfhost *h, job *j)
{
	art *a = j->a;

	if (!h->pc_store || h->cfg.no_fast_execution || j->no_fast || (a->state == ART_FAILED && a->fail_det))
		return false;
	if (!a->precheck_ok && pvf_store_lookup(h->pc_store, &a->key) == 1)
		a->precheck_ok = true;
	return a->precheck_ok;
}

/* Lock held: what to do with a job whose artifact is `a`, now. */
static void route(struct pvfhost *h, job *j)
{
	art *a = j->a;
	pvf_error e;

	j->fast = false;

	/* Ready, or prepared by an earlier run of the host: one look at the store. */
	if (a->state == ART_READY || a->state == ART_NEW) {
		if (pvf_store_lookup(h->store, &a->key) == 1) {
			a->state = ART_READY;
			pvf_metric_add(h->m.hits, 1);
			j->checked_ms = pvf_clock_ms();
			execq_push(h, j);
			return;
		}
		if (a->state == ART_READY)
			pvf_log(PVF_LOG_WARN, "host", "event=artifact-missing msg=\"re-preparing\"");
		a->state = ART_NEW;
	}
	if (fast_available(h, j)) {
		/* Run on the pre-check tier's artifact now; the optimised one
		 * is (still, or again) prepared for the next validations. */
		uint64_t now = pvf_clock_ms();
		if (a->state == ART_NEW ||
		    (a->state == ART_FAILED && !a->fail_det && a->failures <= h->cfg.prepare_retries &&
		     now - a->fail_at_ms >= h->cfg.prepare_retry_cooldown_ms)) {
			if (a->state == ART_FAILED)
				a->state = ART_NEW;
			if (pvf__host_want_prep(h, a, PREP_NORMAL, j->code, j->code_len, &j->ep, &e) < 0)
				pvf_log(PVF_LOG_WARN, "host", "event=queue-failed msg=\"%s\"", e.msg);
		}
		j->fast = true;
		execq_push(h, j);
		return;
	}
	if (a->state == ART_FAILED) {
		uint64_t now = pvf_clock_ms();
		if (a->fail_det || a->failures > h->cfg.prepare_retries ||
		    now - a->fail_at_ms < h->cfg.prepare_retry_cooldown_ms) {
			e = a->fail;
			pvf_error_prefix(&e, "preparation failed");
			pvf__host_finish(h, j, &e, NULL, 0);
			return;
		}
		a->state = ART_NEW;
	}
	j->state = JOB_WAIT_PREP;
	j->res.prepared = true;
	if (a->state == ART_NEW)
		pvf_metric_add(h->m.misses, 1);
	prep_prio pp = j->prio >= PVFHOST_PRIO_APPROVAL ? PREP_CRITICAL : PREP_NORMAL;
	/* Code that was never pre-checked here, and whose optimised
	 * preparation has not started (none yet, or one queued by a heads-up)
	 * or runs while a slot above the soft cap could take another: the
	 * pre-check tier's artifact first (seconds), queued ahead, so that
	 * the validation can run on it; its failure decides nothing. */
	if ((a->state == ART_NEW ||
	     (a->state == ART_PREPARING && a->prep &&
	      (!a->prep->running || h->npslots > h->cfg.prepare_workers_soft))) &&
	    !a->fast_pending && !a->fast_failed && h->pc_store && !h->cfg.no_fast_execution &&
	    !h->cfg.no_fast_unchecked && !j->no_fast &&
	    queue_fast_prep(h, a, pp, j->code, j->code_len, &j->ep) < 0)
		pvf_log(PVF_LOG_WARN, "host", "event=queue-failed tier=precheck msg=\"out of memory\"");
	if (pvf__host_want_prep(h, a, pp, j->code, j->code_len, &j->ep, &e) < 0)
		pvf__host_finish(h, j, &e, NULL, 0);
}

void pvf__host_submit(struct pvfhost *h, job *j)
{
	j->all_prev = NULL;
	j->all_next = h->all;
	if (h->all)
		h->all->all_prev = j;
	h->all = j;
	if (j->deadline_ms) {
		h->ndeadline++;
		if (!h->deadline_due || j->deadline_ms < h->deadline_due)
			h->deadline_due = j->deadline_ms;
	}
	route(h, j);
	if (j->deadline_ms)
		pthread_cond_broadcast(&h->done_cv);   /* the completer times deadlines */
}

/* Lock held: drops queued or waiting jobs whose deadline passed, when the
 * earliest one is due; returns the earliest future deadline (0: none). */
static uint64_t sweep(struct pvfhost *h, uint64_t now)
{
	uint64_t next = 0;

	if (!h->ndeadline)
		return h->deadline_due = 0;
	if (h->deadline_due && now < h->deadline_due)
		return h->deadline_due;
	for (job *j = h->all, *n; j; j = n) {
		n = j->all_next;
		if ((j->state != JOB_QUEUED && j->state != JOB_WAIT_PREP) || !j->deadline_ms)
			continue;
		if (now >= j->deadline_ms)
			finish_code(h, j, PVF_E_DEADLINE,
				    "the job waited in the queue past its deadline of %llu ms and was dropped unrun",
				    (unsigned long long)(j->deadline_ms - j->submit_ms));
		else if (!next || j->deadline_ms < next)
			next = j->deadline_ms;
	}
	return h->deadline_due = next;
}

/* Lock held: when the earliest queued retry may run (0: none waits). */
static uint64_t next_retry(struct pvfhost *h, uint64_t now)
{
	uint64_t next = 0;

	for (int p = 0; p < PVF_EXEC_PRIOS; p++)
		for (job *j = h->execq_head[p]; j; j = j->next)
			if (j->not_before_ms > now && (!next || j->not_before_ms < next))
				next = j->not_before_ms;
	return next;
}

static void cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t until_ms)
{
	if (!until_ms) {
		pthread_cond_wait(cv, mu);
		return;
	}
	struct timespec ts = { .tv_sec = (time_t)(until_ms / 1000), .tv_nsec = (long)(until_ms % 1000) * 1000000L };
	pthread_cond_timedwait(cv, mu, &ts);
}

/* ---- prepare slots ------------------------------------------------------- */

static prep *prep_pick(struct pvfhost *h, prep_slot *s)
{
	prep *best = NULL, **bestp = NULL;
	bool soft = (uint32_t)s->idx < h->cfg.prepare_workers_soft;
	bool extra_idle = false;

	/* A slot within the soft cap leaves critical work to an idle slot
	 * above it when it has other work to do, so both run. */
	for (uint32_t i = h->cfg.prepare_workers_soft; soft && i < h->npslots; i++)
		if (!h->pslots[i].cur)
			extra_idle = true;
	/* A pre-check tier preparation queued for validations whose optimised
	 * artifact got ready meanwhile has no use any more. */
	for (prep **pp = &h->prepq; *pp;) {
		prep *p = *pp;
		if (!p->fast || p->a->state != ART_READY) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		h->nprepq[p->prio]--;
		p->a->fast_pending = false;
		prep_free(p);
		pvf__host_update_gauges(h);
	}
	for (int pass = 0; pass < 2 && !best; pass++) {
		for (prep **pp = &h->prepq; *pp; pp = &(*pp)->next) {
			prep *p = *pp;
			/* Above the soft cap: critical work, and the pre-check
			 * tier's (seconds) for validations waiting meanwhile. */
			if (!soft && p->prio != PREP_CRITICAL && !p->fast)
				continue;
			/* An artifact's own preparation waits for its pre-check
			 * tier one: side by side they would share the cores, and
			 * the validations waiting for the fast one would wait
			 * longer (prep_done wakes the slots). */
			if (!p->fast && p->a->fast_pending)
				continue;
			if (pass == 0 && soft && extra_idle && p->prio == PREP_CRITICAL)
				continue;
			if (!best || p->prio < best->prio) {
				best = p;
				bestp = pp;
			}
		}
	}
	if (best) {
		*bestp = best->next;
		best->next = NULL;
		h->nprepq[best->prio]--;
		best->running = true;
		pvf__host_update_gauges(h);
	}
	return best;
}

static int prep_ensure_worker(struct pvfhost *h, prep_slot *s, pvf_error *err)
{
	pvf_worker_opts o;

	if (s->w && pvf_worker_alive(s->w))
		return 0;
	if (s->w) {
		pvf_worker_free(s->w);
		s->w = NULL;
		pvf_metric_add(h->m.deaths[0], 1);
		/* What the dead worker's jobs left (a job killed with it keeps
		 * its generated C and objects) goes with its dir. */
		if (s->dir[0]) {
			pvf_store_worker_dir_remove(h->store, s->dir);
			s->dir[0] = '\0';
		}
	}
	if (!s->dir[0] && pvf_store_worker_dir(h->store, "prepare", s->dir, sizeof(s->dir), err) < 0)
		return -1;
	memset(&o, 0, sizeof(o));
	o.kind = PVF_WORKER_PREPARE;
	o.program = h->prepare_worker;
	o.dir = s->dir;
	o.security_required = h->security;
	o.log_fd = h->cfg.log_fd;
	if (pvf_worker_spawn(&o, &s->w, err) < 0)
		return -1;
	pvf_metric_add(h->m.spawns[0], 1);
	return 0;
}

/* Maps a failed preparation to the error its waiters get. */
static void prep_error(const prep *p, pvf_worker_outcome oc, pvf_error *err)
{
	pvf_error in = *err;

	if (oc == PVF_WORKER_JOB_ERROR && in.code == PVF_E_TIMEOUT)
		oc = PVF_WORKER_TIMEOUT;   /* the job saw its compiler run out of time */
	switch (oc) {
	case PVF_WORKER_TIMEOUT:
		if (p->kind == PVF_PREPARE_PRECHECK)
			pvf_error_set(err, PVF_E_TIMEOUT, "timed out while prechecking (limit %llu ms): %s",
				      (unsigned long long)p->ep.prep_timeout_precheck_ms, in.msg);
		else
			pvf_error_set(err, PVF_E_PREPARE_TIMEOUT_LENIENT,
				      "preparation ran out of time (limit %llu ms): %s",
				      (unsigned long long)p->ep.prep_timeout_lenient_ms, in.msg);
		break;
	case PVF_WORKER_OUT_OF_MEMORY:
		pvf_error_set(err, PVF_E_PREPARE_OOM, "%s", in.msg);
		break;
	case PVF_WORKER_JOB_DIED:
		pvf_error_set(err, PVF_E_JOB_DIED, "%s", in.msg);
		break;
	case PVF_WORKER_DIED:
	case PVF_WORKER_PROTOCOL:
		pvf_error_set(err, PVF_E_WORKER_DIED, "%s", in.msg);
		break;
	case PVF_WORKER_JOB_ERROR:
		if (in.code == PVF_E_NOMEM && in.cls == PVF_CLASS_DETERMINISTIC)
			pvf_error_set(err, PVF_E_PREPARE_OOM, "%s", in.msg);
		break;
	default:
		break;
	}
}

static void prep_done(struct pvfhost *h, prep *p, bool ok, pvf_worker_outcome oc, pvf_error *err, double secs)
{
	art *a = p->a;
	bool fast = p->fast;   /* p may be freed below */

	if (!fast)
		a->prep = NULL;
	else
		a->fast_pending = false;
	p->running = false;
	h->preparations++;
	pvf_metric_observe(h->m.prep_secs, secs);
	if (!ok && h->stopping) {
		/* Killed by pvfhost_free: neither a result nor a failure. */
		err->code = PVF_E_CANCELLED;
		err->cls = PVF_CLASS_INTERNAL;
		snprintf(err->msg, sizeof(err->msg), "the host is shutting down");
		if (!fast && a->state == ART_PREPARING)
			a->state = ART_NEW;
	} else if (ok && p->fast) {
		/* The pre-check tier passed: the code is valid. The optimised
		 * artifact is prepared next, in the background. */
		if (pvf_store_add(h->pc_store, &a->key, err) < 0)
			pvf_log(PVF_LOG_WARN, "prepare", "event=store-failed tier=precheck msg=\"%s\"", err->msg);
		a->precheck_ok = true;
		pvf_metric_add(h->m.preparations_ok, 1);
		pvf_error e2;
		if (a->state != ART_READY && !(a->state == ART_FAILED && a->fail_det) &&
		    pvf__host_want_prep(h, a, PREP_BACKGROUND, p->code, p->code_len, &p->ep, &e2) < 0)
			pvf_log(PVF_LOG_WARN, "prepare", "event=queue-failed msg=\"%s\"", e2.msg);
	} else if (p->fast) {
		/* A failed pre-check: a deterministic reason is the artifact's
		 * for good (unless its own preparation is under way); anything
		 * else concerns only this pre-check. */
		prep_error(p, oc, err);
		a->fast_failed = true;
		if (err->cls == PVF_CLASS_DETERMINISTIC && err->code != PVF_E_TIMEOUT &&
		    !pvf__host_tier_specific(err) && !a->prep && a->state != ART_READY) {
			a->state = ART_FAILED;
			a->fail = *err;
			a->fail_det = true;
			a->fail_at_ms = pvf_clock_ms();
		}
		pvf_metric_add(h->m.preparations_failed, 1);
	} else if (ok && pvf_store_add(h->store, &a->key, err) == 0) {
		a->state = ART_READY;
		a->failures = 0;
		pvf_metric_add(h->m.preparations_ok, 1);
		pvf_metric_add(h->m.evictions, pvf_store_evictions(h->store) -
			       pvf_metric_value(h->m.evictions));
	} else {
		if (!ok)
			prep_error(p, oc, err);
		a->state = ART_FAILED;
		a->fail = *err;
		a->fail_at_ms = pvf_clock_ms();
		a->fail_det = err->cls == PVF_CLASS_DETERMINISTIC;
		/* A pre-check timeout rejects the code but must not stop a
		 * lenient preparation later. */
		if (err->code == PVF_E_TIMEOUT)
			a->fail_det = false;
		if (!a->fail_det)
			a->failures++;
		pvf_metric_add(h->m.preparations_failed, 1);
		char hx[17];
		hex8(a->key.code_hash, hx);
		pvf_log(PVF_LOG_INFO, "prepare", "event=failed code_hash=%s error=%s class=%s", hx,
			pvf_error_code_name(err->code), pvf_error_class_name(err->cls));
	}
	if (p->caller_owned) {
		p->done = true;
		p->ok = p->fast ? ok : a->state == ART_READY;
		p->err = *err;
		p->outcome = oc;
		free(p->code);
		p->code = NULL;
	} else {
		prep_free(p);
	}
	/* Waiting jobs go on: after the artifact's own preparation, and after
	 * a pre-check tier one that succeeded (they run on its artifact). */
	for (job *j = h->all, *n; j && (!fast || ok); j = n) {
		n = j->all_next;
		if (j->state == JOB_WAIT_PREP && j->a == a)
			route(h, j);
	}
	pthread_cond_broadcast(&h->art_cv);
	pthread_cond_broadcast(&h->exec_cv);
	if (fast)
		pthread_cond_broadcast(&h->prep_cv);   /* its artifact's own may start now */
	pvf__host_update_gauges(h);
}

/* h->stopping, read under the lock by a thread that does not hold it. */
static bool host_stopping(struct pvfhost *h)
{
	pthread_mutex_lock(&h->mu);
	bool stopping = h->stopping;
	pthread_mutex_unlock(&h->mu);
	return stopping;
}

static void *prep_thread(void *arg)
{
	prep_slot *s = arg;
	struct pvfhost *h = s->h;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		prep *p = NULL;
		while (!h->stopping && !(p = prep_pick(h, s)))
			pthread_cond_wait(&h->prep_cv, &h->mu);
		if (h->stopping && !p)
			break;
		s->cur = p;
		pvf_metric_gauge_add(h->m.prep_running, 1);
		pthread_mutex_unlock(&h->mu);

		pvf_msg_prepare m;
		pvf_worker_reply rep;
		pvf_error err;
		char path[4096];
		bool ok = false;
		uint64_t t0 = pvf_clock_ms();

		for (uint32_t attempt = 1;; attempt++) {
			memset(&rep, 0, sizeof(rep));
			pvf_error_clear(&err);
			rep.outcome = PVF_WORKER_INTERNAL;
			if (host_stopping(h)) {
				/* The stop may have killed this slot's worker after the
				 * preparation was picked: no new one for it. */
				pvf_error_set(&err, PVF_E_CANCELLED, "the host is shutting down");
				break;
			}
			if (prep_ensure_worker(h, s, &err) == 0) {
				memset(&m, 0, sizeof(m));
				m.kind = p->kind;
				m.timeout_ms = p->kind == PVF_PREPARE_PRECHECK ? p->ep.prep_timeout_precheck_ms
									     : p->ep.prep_timeout_lenient_ms;
				m.memory_limit = p->ep.prechecking_max_memory;
				m.stack_limit = pvf_exec_params_stack_limit(&p->ep);
				m.max_memory_pages = p->ep.max_memory_pages;
				m.native_stack_max = p->ep.stack_native_max;
				m.bulk_memory = p->ep.bulk_memory;
				m.jobs = h->compile_jobs;
				memcpy(m.code_hash, p->a->key.code_hash, 32);
				memcpy(m.params_hash, p->a->key.params_hash, 32);
				const char *cc = p->fast ? h->cfg.precheck_cc : h->cfg.cc;
				const char *opt = p->fast ? h->cfg.precheck_opt_level : h->cfg.opt_level;
				if (cc)
					snprintf(m.cc, sizeof(m.cc), "%s", cc);
				if (opt)
					snprintf(m.opt_level, sizeof(m.opt_level), "%s", opt);
				m.code = p->code;
				m.code_len = p->code_len;
				pvf_store_path(p->fast ? h->pc_store : h->store, &p->a->key, path, sizeof(path));
				ok = pvf_worker_prepare(s->w, &m, path, &rep, &err) == 0;
				if (!ok && rep.outcome == PVF_WORKER_INTERNAL && pvf_worker_alive(s->w))
					pvf_worker_kill(s->w);
				if (!ok && rep.not_sent && attempt < HOST_SPAWN_ATTEMPTS && !host_stopping(h)) {
					/* The worker was dead before the request reached it
					 * (it died while idle): nothing ran, so a new worker
					 * takes the same preparation. Not when the host is
					 * shutting down: that is what killed it. */
					pvf_log(PVF_LOG_WARN, "prepare", "event=worker-gone attempt=%u msg=\"%s\"", attempt,
						err.msg);
					pvf_worker_reply_free(&rep);
					continue;
				}
			} else {
				pvf_error_prefix(&err, "cannot start a prepare worker");
			}
			break;
		}
		double secs = (double)(pvf_clock_ms() - t0) / 1000.0;
		pvf_worker_reply_free(&rep);

		pthread_mutex_lock(&h->mu);
		pvf_metric_gauge_add(h->m.prep_running, -1);
		s->cur = NULL;
		prep_done(h, p, ok, rep.outcome, &err, secs);
	}
	pthread_mutex_unlock(&h->mu);
	if (s->w) {
		pvf_worker_free(s->w);
		s->w = NULL;
	}
	return NULL;
}

/* ---- execute slots ------------------------------------------------------- */

static bool job_eligible(const job *j, uint64_t now)
{
	return j->not_before_ms <= now && !j->cancelled;
}

static job *exec_pick(struct pvfhost *h, exec_slot *s, uint64_t now)
{
	bool pending[PVF_EXEC_PRIOS] = { false };

	for (int p = 0; p < PVF_EXEC_PRIOS; p++)
		for (job *j = h->execq_head[p]; j; j = j->next)
			if (job_eligible(j, now)) {
				pending[p] = true;
				break;
			}
	int p = pvf_exec_fairness_select(&h->fair, pending);
	if (p < 0)
		return NULL;
	job *pick = NULL;
	for (job *j = h->execq_head[p]; j; j = j->next) {
		if (!job_eligible(j, now))
			continue;
		if (!pick)
			pick = j;
		if (s->has_key && s->fast == j->fast && !memcmp(&j->a->key, &s->key, sizeof(s->key))) {
			pick = j;
			break;
		}
	}
	execq_remove(h, pick);
	pvf_exec_fairness_mark(&h->fair, p);
	pick->state = JOB_RUNNING;
	pvf__host_update_gauges(h);
	return pick;
}

static void exec_drop_worker(struct pvfhost *h, exec_slot *s, bool died)
{
	if (s->w) {
		pvf_worker_free(s->w);
		s->w = NULL;
		if (died)
			pvf_metric_add(h->m.deaths[1], 1);
	}
	s->has_key = false;
}

/* Spawns a worker for `key` in the slot's directory (the artifact is
 * hard-linked in: the worker may read only its own directory). */
static int exec_ensure_worker(struct pvfhost *h, exec_slot *s, const pvf_store_key *key, bool fast,
			      pvf_error *err)
{
	char src[4096], dst[4200];
	pvf_worker_opts o;

	if (s->w && pvf_worker_alive(s->w) && s->has_key && s->fast == fast && !memcmp(&s->key, key, sizeof(*key)))
		return 0;
	exec_drop_worker(h, s, s->w && !pvf_worker_alive(s->w));
	if (!s->dir[0] && pvf_store_worker_dir(h->store, "execute", s->dir, sizeof(s->dir), err) < 0)
		return -1;
	pvf_store_path(fast ? h->pc_store : h->store, key, src, sizeof(src));
	snprintf(dst, sizeof(dst), "%s/" EXEC_ARTIFACT_NAME, s->dir);
	unlink(dst);
	if (link(src, dst) < 0)
		return pvf_error_set(err, errno == ENOENT ? PVF_E_ARTIFACT_CORRUPT : PVF_E_IO,
				     "cannot link the artifact into the worker directory: %s", strerror(errno));
	memset(&o, 0, sizeof(o));
	o.kind = PVF_WORKER_EXECUTE;
	o.program = h->execute_worker;
	o.dir = s->dir;
	o.artifact = dst;
	o.security_required = h->security;
	o.log_fd = h->cfg.log_fd;
	int rc = pvf_worker_spawn(&o, &s->w, err);
	unlink(dst);   /* the worker holds it open; keep the directory clean */
	if (rc < 0) {
		s->w = NULL;
		return -1;
	}
	pvf_metric_add(h->m.spawns[1], 1);
	s->key = *key;
	s->fast = fast;
	s->has_key = true;
	return 0;
}

static bool is_artifact_error(int code)
{
	return code == PVF_E_ARTIFACT_CORRUPT || code == PVF_E_ARTIFACT_FOREIGN || code == PVF_E_ARTIFACT_LOAD ||
	       code == PVF_E_RUNTIME_CONSTRUCTION;
}

/* Lock held: the artifact of `j` is bad; drop it and re-prepare, the job
 * waits for the new one. */
static void reprepare(struct pvfhost *h, job *j)
{
	art *a = j->a;
	pvf_error e;

	pvf_store_remove(h->store, &a->key);
	if (a->state == ART_READY)
		a->state = ART_NEW;
	j->state = JOB_WAIT_PREP;
	j->res.prepared = true;
	prep_prio pp = j->prio >= PVFHOST_PRIO_APPROVAL ? PREP_CRITICAL : PREP_NORMAL;
	if (pvf__host_want_prep(h, a, pp, j->code, j->code_len, &j->ep, &e) < 0)
		pvf__host_finish(h, j, &e, NULL, 0);
}

/* Lock held: a failed attempt; retry (approval and dispute, once per
 * possibly-invalid class) or finish. */
static void exec_failed(struct pvfhost *h, job *j, pvf_error *err)
{
	if (j->cancelled) {
		pvf_error e;
		pvf_error_set(&e, PVF_E_CANCELLED, "the validation was cancelled");
		pvf__host_finish(h, j, &e, NULL, 0);
		return;
	}
	if (err->cls == PVF_CLASS_POSSIBLY_INVALID && j->prio >= PVFHOST_PRIO_APPROVAL && !h->stopping) {
		uint32_t bit = err->code == PVF_E_WORKER_DIED ? RETRY_WORKER_DIED
			     : err->code == PVF_E_JOB_DIED ? RETRY_JOB_DIED
			     : is_artifact_error(err->code) ? RETRY_REPREPARE
			     : RETRY_OTHER;
		if (!(j->retried & bit)) {
			j->retried |= bit;
			pvf_log(PVF_LOG_INFO, "execute", "event=retry job=%llu error=%s delay_ms=%llu",
				(unsigned long long)j->id, pvf_error_code_name(err->code),
				(unsigned long long)h->cfg.execute_retry_delay_ms);
			j->not_before_ms = pvf_clock_ms() + h->cfg.execute_retry_delay_ms;
			if (bit == RETRY_REPREPARE)
				reprepare(h, j);
			else
				execq_push(h, j);
			return;
		}
	}
	pvf__host_finish(h, j, err, NULL, 0);
}

static void run_job(struct pvfhost *h, exec_slot *s, job *j)
{
	pvf_msg_execute m;
	pvf_worker_reply rep;
	pvf_error err;
	pvf_store_key key = j->a->key;
	job *deliver = NULL;      /* its callback runs here (inline callbacks) */
	int rc;

	memset(&rep, 0, sizeof(rep));
	pvf_error_clear(&err);
	/* Checksum before every execution: cheap when the file is unchanged
	 * since it was verified, a full verification otherwise. */
	pthread_mutex_lock(&h->mu);
	bool fast = j->fast;
	/* A job that starts within moments of its submission's look at the
	 * store (a blocking caller running it itself) is not looked at twice. */
	uint64_t checked = j->checked_ms;
	j->checked_ms = 0;
	bool good = (!fast && checked && pvf_clock_ms() - checked < HOST_RECHECK_MS) ||
		    pvf_store_lookup(fast ? h->pc_store : h->store, &key) == 1;
	if (!good && fast) {
		/* The pre-check tier's artifact is gone: wait for the optimised. */
		j->a->precheck_ok = false;
		j->no_fast = true;
		pvf_metric_gauge_add(h->m.exec_running, -1);
		s->cur = NULL;
		route(h, j);
		pthread_mutex_unlock(&h->mu);
		return;
	}
	if (!good) {
		pvf_log(PVF_LOG_WARN, "execute", "event=artifact-bad job=%llu msg=\"missing or corrupt: re-preparing\"",
			(unsigned long long)j->id);
		if (s->has_key && !memcmp(&s->key, &key, sizeof(key))) {
			pthread_mutex_unlock(&h->mu);
			exec_drop_worker(h, s, false);
			pthread_mutex_lock(&h->mu);
		}
		pvf_metric_gauge_add(h->m.exec_running, -1);
		s->cur = NULL;
		reprepare(h, j);
		pthread_mutex_unlock(&h->mu);
		return;
	}
	pthread_mutex_unlock(&h->mu);

	rc = exec_ensure_worker(h, s, &key, fast, &err);
	bool rc_spawn = rc < 0;
	if (rc == 0) {
		memset(&m, 0, sizeof(m));
		m.timeout_ms = j->prio >= PVFHOST_PRIO_APPROVAL ? j->ep.exec_timeout_approval_ms
								 : j->ep.exec_timeout_backing_ms;
		snprintf(m.export_name, sizeof(m.export_name), "%s", j->export_name);
		m.params = j->params;
		m.params_len = j->params_len;
		pthread_mutex_lock(&h->mu);
		j->worker_pid = pvf_worker_pid(s->w);
		j->start_ms = pvf_clock_ms();
		j->res.queue_us = (j->start_ms - j->submit_ms) * 1000u;
		j->res.attempts++;
		bool cancelled = j->cancelled;
		pthread_mutex_unlock(&h->mu);
		if (cancelled) {
			pvf_error_set(&err, PVF_E_CANCELLED, "the validation was cancelled");
			rc = -1;
			rep.outcome = PVF_WORKER_JOB_ERROR;
		} else {
			rc = pvf_worker_execute(s->w, &m, &rep, &err);
		}
	} else {
		if (is_artifact_error(err.code))
			rep.outcome = PVF_WORKER_REFUSED;
		else
			rep.outcome = PVF_WORKER_INTERNAL;
	}

	pthread_mutex_lock(&h->mu);
	j->worker_pid = 0;
	j->res.execute_us = rep.host_wall_us;
	j->res.cpu_us = rep.stats.cpu_us;
	h->executions++;
	pvf_metric_gauge_add(h->m.exec_running, -1);
	s->cur = NULL;
	if (rc == 0) {
		pvf_metric_observe(h->m.exec_secs, (double)rep.host_wall_us / 1e6);
		j->res.fast_tier = fast;
		j->cb_here = h->inline_callbacks && j->done && !j->sync;
		pvf__host_finish(h, j, NULL, rep.output, rep.output_len);
		if (j->cb_here)
			deliver = j;
	} else if (fast && !j->cancelled && !h->stopping &&
		   (rep.outcome == PVF_WORKER_TIMEOUT || err.code == PVF_E_TIMEOUT || is_artifact_error(err.code))) {
		/* A time-out on the slower tier is no verdict; nor is a bad
		 * pre-check tier artifact: run again on the optimised one. */
		pvf_log(PVF_LOG_INFO, "execute", "event=rerun-optimised job=%llu error=%s",
			(unsigned long long)j->id, pvf_error_code_name(err.code));
		if (is_artifact_error(err.code)) {
			pvf_store_remove(h->pc_store, &key);
			j->a->precheck_ok = false;
		}
		pthread_mutex_unlock(&h->mu);
		exec_drop_worker(h, s, rep.outcome == PVF_WORKER_TIMEOUT);
		pthread_mutex_lock(&h->mu);
		j->no_fast = true;
		route(h, j);
	} else {
		bool dead = s->w && !pvf_worker_alive(s->w);
		switch (rep.outcome) {
		case PVF_WORKER_JOB_DIED:
			pvf_error_set(&err, PVF_E_JOB_DIED, "%.480s", err.msg[0] ? err.msg : "job died");
			break;
		case PVF_WORKER_DIED:
		case PVF_WORKER_PROTOCOL: {
			pvf_error in = err;
			pvf_error_set(&err, PVF_E_WORKER_DIED, "%.480s", in.msg[0] ? in.msg : "worker died");
			break;
		}
		case PVF_WORKER_TIMEOUT:
			if (err.code != PVF_E_TIMEOUT)
				pvf_error_set(&err, PVF_E_TIMEOUT, "%.480s", err.msg);
			break;
		case PVF_WORKER_REFUSED:
			if (!is_artifact_error(err.code)) {
				err.cls = PVF_CLASS_INTERNAL;
			} else {
				/* The artifact did not load: corrupt since indexed. */
				err.cls = PVF_CLASS_POSSIBLY_INVALID;
			}
			break;
		case PVF_WORKER_INTERNAL:
			err.cls = PVF_CLASS_INTERNAL;
			break;
		default:
			break;
		}
		if ((rc_spawn || rep.not_sent) && !is_artifact_error(err.code) && !j->cancelled && !h->stopping &&
		    ++j->spawn_failures < HOST_SPAWN_ATTEMPTS) {
			/* The job never ran (no worker could be started, or the
			 * one it had was dead before the request reached it):
			 * try again with a new worker. */
			if (rep.not_sent)
				j->res.attempts--;
			pvf_log(PVF_LOG_WARN, "execute", "event=%s job=%llu attempt=%u msg=\"%s\"",
				rep.not_sent ? "worker-gone" : "spawn-failed", (unsigned long long)j->id,
				j->spawn_failures, err.msg);
			pthread_mutex_unlock(&h->mu);
			exec_drop_worker(h, s, true);
			pthread_mutex_lock(&h->mu);
			j->not_before_ms = pvf_clock_ms() + 50u * j->spawn_failures;
			execq_push(h, j);
		} else if (rep.outcome == PVF_WORKER_REFUSED && is_artifact_error(err.code) && !j->cancelled) {
			/* Never ran: re-prepare and run, whatever the priority. */
			pthread_mutex_unlock(&h->mu);
			exec_drop_worker(h, s, false);
			pthread_mutex_lock(&h->mu);
			reprepare(h, j);
		} else {
			if (dead || rep.outcome == PVF_WORKER_TIMEOUT || rep.outcome == PVF_WORKER_DIED) {
				pthread_mutex_unlock(&h->mu);
				exec_drop_worker(h, s, true);
				pthread_mutex_lock(&h->mu);
			}
			if (is_artifact_error(err.code) && s->has_key) {
				pthread_mutex_unlock(&h->mu);
				exec_drop_worker(h, s, false);
				pthread_mutex_lock(&h->mu);
			}
			exec_failed(h, j, &err);
		}
	}
	pthread_mutex_unlock(&h->mu);
	pvf_worker_reply_free(&rep);
	if (deliver) {
		deliver->done(deliver->ctx, &deliver->res);
		pthread_mutex_lock(&h->mu);
		pvf__job_free(deliver);
		pthread_mutex_unlock(&h->mu);
	}
}

void pvf__host_callbacks_inline(pvfhost *h)
{
	pthread_mutex_lock(&h->mu);
	h->inline_callbacks = true;
	pthread_mutex_unlock(&h->mu);
}

/* Lock held: jobs in the execute queues, eligible or not. */
static uint32_t execq_total(const struct pvfhost *h)
{
	uint32_t n = 0;

	for (int p = 0; p < PVF_EXEC_PRIOS; p++)
		n += h->nexecq[p];
	return n;
}

exec_slot *pvf__host_borrow_slot(struct pvfhost *h, job *j)
{
	exec_slot *pick = NULL;
	bool direct = j->direct;

	j->direct = false;
	if (!direct || j->state != JOB_QUEUED)
		return NULL;
	if (execq_total(h) == 1 && !h->stopping && job_eligible(j, pvf_clock_ms()))
		for (uint32_t i = 0; i < h->neslots; i++) {
			exec_slot *s = &h->eslots[i];
			if (s->busy)
				continue;
			if (!pick)
				pick = s;
			if (s->has_key && s->fast == j->fast && !memcmp(&s->key, &j->a->key, sizeof(s->key))) {
				pick = s;
				break;
			}
		}
	if (!pick) {
		pthread_cond_broadcast(&h->exec_cv);
		return NULL;
	}
	execq_remove(h, j);
	pvf_exec_fairness_mark(&h->fair, j->prio);
	j->state = JOB_RUNNING;
	pick->busy = true;
	pick->cur = j;
	pvf_metric_gauge_add(h->m.exec_running, 1);
	pvf__host_update_gauges(h);
	return pick;
}

void pvf__host_run_borrowed(struct pvfhost *h, exec_slot *s, job *j)
{
	run_job(h, s, j);
	pthread_mutex_lock(&h->mu);
	s->busy = false;
	/* The slot's thread waits while the slot is borrowed: wake it if it has
	 * work (jobs queued meanwhile, retries among them) or must stop. */
	if (execq_total(h) || h->stopping)
		pthread_cond_broadcast(&h->exec_cv);
	pthread_mutex_unlock(&h->mu);
}

static void *exec_thread(void *arg)
{
	exec_slot *s = arg;
	struct pvfhost *h = s->h;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		if (s->busy) {
			/* Borrowed by a blocking caller: wait for it to be given back. */
			pthread_cond_wait(&h->exec_cv, &h->mu);
			continue;
		}
		if (h->stopping)
			break;
		uint64_t now = pvf_clock_ms();
		job *j = exec_pick(h, s, now);
		if (!j) {
			cond_wait_until(&h->exec_cv, &h->mu, next_retry(h, now));
			continue;
		}
		s->cur = j;
		s->busy = true;
		pvf_metric_gauge_add(h->m.exec_running, 1);
		pthread_mutex_unlock(&h->mu);
		run_job(h, s, j);
		pthread_mutex_lock(&h->mu);
		s->busy = false;
	}
	pthread_mutex_unlock(&h->mu);
	exec_drop_worker(h, s, false);
	return NULL;
}

/* ---- completions --------------------------------------------------------- */

static void *completer_thread(void *arg)
{
	struct pvfhost *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		/* Also the host's timer: jobs past their deadline are dropped
		 * here even while every execute slot is busy. */
		uint64_t next = sweep(h, pvf_clock_ms());
		job *j = h->done_head;
		if (!j) {
			if (h->completer_stop)
				break;
			cond_wait_until(&h->done_cv, &h->mu, next);
			continue;
		}
		h->done_head = j->next;
		if (!h->done_head)
			h->done_tail = NULL;
		pthread_mutex_unlock(&h->mu);
		if (j->done)
			j->done(j->ctx, &j->res);
		pthread_mutex_lock(&h->mu);
		if (j->sync) {
			j->sync_done = true;
			pthread_cond_broadcast(j->sync_cv);
		} else {
			pvf__job_free(j);
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

int pvf__host_start(struct pvfhost *h, pvf_error *err)
{
	h->npslots = h->cfg.prepare_workers_hard;
	h->neslots = h->cfg.execute_workers;
	h->pslots = calloc(h->npslots, sizeof(*h->pslots));
	h->eslots = calloc(h->neslots, sizeof(*h->eslots));
	if (!h->pslots || !h->eslots)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	if (pthread_create(&h->completer, NULL, completer_thread, h) != 0)
		return pvf_error_set(err, PVF_E_IO, "cannot start the host's threads");
	for (uint32_t i = 0; i < h->npslots; i++) {
		h->pslots[i].h = h;
		h->pslots[i].idx = (int)i;
		if (pthread_create(&h->pslots[i].th, NULL, prep_thread, &h->pslots[i]) != 0) {
			h->npslots = i;
			break;
		}
	}
	for (uint32_t i = 0; i < h->neslots; i++) {
		h->eslots[i].h = h;
		h->eslots[i].idx = (int)i;
		if (pthread_create(&h->eslots[i].th, NULL, exec_thread, &h->eslots[i]) != 0) {
			h->neslots = i;
			break;
		}
	}
	h->threads_started = true;
	if (h->npslots == 0 || h->neslots == 0)
		return pvf_error_set(err, PVF_E_IO, "cannot start the host's worker threads");
	return 0;
}

void pvf__host_stop(struct pvfhost *h)
{
	pvf_error e;

	if (!h->threads_started)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pvf_error_set(&e, PVF_E_CANCELLED, "the host is shutting down");
	/* Queued and waiting jobs are cancelled; running ones are killed. */
	for (job *j = h->all, *n; j; j = n) {
		n = j->all_next;
		if (j->state == JOB_RUNNING) {
			j->cancelled = true;
			if (j->worker_pid > 0)
				kill(-j->worker_pid, SIGKILL);
		} else {
			pvf__host_finish(h, j, &e, NULL, 0);
		}
	}
	for (prep *p = h->prepq, *n; p; p = n) {
		n = p->next;
		p->a->prep = NULL;
		if (p->caller_owned) {
			p->done = true;
			p->ok = false;
			p->err = e;
			p->outcome = PVF_WORKER_INTERNAL;
		} else {
			prep_free(p);
		}
	}
	h->prepq = NULL;
	memset(h->nprepq, 0, sizeof(h->nprepq));
	/* Running preparations: kill their workers. */
	for (uint32_t i = 0; i < h->npslots; i++)
		if (h->pslots[i].cur && h->pslots[i].w)
			kill(-pvf_worker_pid(h->pslots[i].w), SIGKILL);
	pthread_cond_broadcast(&h->prep_cv);
	pthread_cond_broadcast(&h->exec_cv);
	pthread_cond_broadcast(&h->art_cv);
	pthread_cond_broadcast(&h->done_cv);
	pthread_mutex_unlock(&h->mu);

	for (uint32_t i = 0; i < h->npslots; i++)
		pthread_join(h->pslots[i].th, NULL);
	for (uint32_t i = 0; i < h->neslots; i++)
		pthread_join(h->eslots[i].th, NULL);
	/* Jobs that were running finished through exec_failed (cancelled). */
	pthread_mutex_lock(&h->mu);
	for (job *j = h->all, *n; j; j = n) {
		n = j->all_next;
		pvf__host_finish(h, j, &e, NULL, 0);
	}
	h->completer_stop = true;
	pthread_cond_broadcast(&h->done_cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->completer, NULL);
	for (uint32_t i = 0; i < h->npslots; i++)
		if (h->pslots[i].dir[0])
			pvf_store_worker_dir_remove(h->store, h->pslots[i].dir);
	for (uint32_t i = 0; i < h->neslots; i++)
		if (h->eslots[i].dir[0])
			pvf_store_worker_dir_remove(h->store, h->eslots[i].dir);
	h->threads_started = false;
}
