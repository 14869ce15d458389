/*
 * host_api.c — the public entry points of include/pvfhost.h: creating and
 * freeing a host, pre-check, heads-up, validation, cancellation, cache
 * operations and metrics. The scheduling itself is in host.c.
 */
#include "host/host_internal.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "engine/engine.h"
#include "host/exec_params.h"
#include "worker/worker_common.h"

static void to_public(pvfhost_error *out, const pvf_error *in)
{
	if (!out)
		return;
	out->code = (int)in->code;
	out->cls = (pvfhost_error_class)in->cls;
	snprintf(out->msg, sizeof(out->msg), "%s", in->msg);
}

static int fail(pvfhost_error *out, pvf_error_code code, const char *msg)
{
	pvf_error e;
	pvf_error_set(&e, code, "%s", msg);
	to_public(out, &e);
	return -1;
}

void pvfhost_config_default(pvfhost_config *c)
{
	memset(c, 0, sizeof(*c));
	c->prepare_workers_soft = 1;
	c->prepare_workers_hard = 2;
	c->execute_workers = 2;
	c->cache_size_cap = 10ull << 30;
	c->cache_stale_s = 24u * 3600u;
	c->prepare_retries = 5;
	c->prepare_retry_cooldown_ms = 15u * 60u * 1000u;
	c->execute_retry_delay_ms = 3000;
	c->log_fd = 2;
	c->log_level = PVF_LOG_WARN;
	c->precheck_cc = pvf_engine_fast_cc();
	c->precheck_opt_level = "-O0";
}

/* The worker program `name`: the configured path, else $PVFHOST_WORKER_DIR,
 * next to the running program, ../libexec/pvfhost from it, the installed
 * libexec directory, and the build tree. */
int pvf__host_find_worker(const char *configured, const char *name, char *out, size_t n, pvf_error *err)
{
	char exe[PATH_MAX], dir[PATH_MAX];
	const char *cands[5];
	char buf[5][PATH_MAX + 64];
	int nc = 0;

	if (configured) {
		if (access(configured, X_OK) < 0)
			return pvf_error_set(err, PVF_E_USAGE, "worker program %s is not executable: %s", configured,
					     strerror(errno));
		snprintf(out, n, "%s", configured);
		return 0;
	}
	const char *env = getenv("PVFHOST_WORKER_DIR");
	if (env && *env) {
		snprintf(buf[nc], sizeof(buf[nc]), "%s/%s", env, name);
		cands[nc] = buf[nc];
		nc++;
	}
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k > 0) {
		exe[k] = '\0';
		snprintf(dir, sizeof(dir), "%s", dirname(exe));
		snprintf(buf[nc], sizeof(buf[nc]), "%s/%s", dir, name);
		cands[nc] = buf[nc];
		nc++;
		snprintf(buf[nc], sizeof(buf[nc]), "%s/../libexec/pvfhost/%s", dir, name);
		cands[nc] = buf[nc];
		nc++;
	}
#ifdef PVFHOST_LIBEXECDIR
	snprintf(buf[nc], sizeof(buf[nc]), "%s/%s", PVFHOST_LIBEXECDIR, name);
	cands[nc] = buf[nc];
	nc++;
#endif
#ifdef PVFHOST_BUILD_WORKER_DIR
	snprintf(buf[nc], sizeof(buf[nc]), "%s/%s", PVFHOST_BUILD_WORKER_DIR, name);
	cands[nc] = buf[nc];
	nc++;
#endif
	for (int i = 0; i < nc; i++)
		if (access(cands[i], X_OK) == 0) {
			if (!realpath(cands[i], out))
				snprintf(out, n, "%s", cands[i]);
			return 0;
		}
	return pvf_error_set(err, PVF_E_USAGE,
			     "cannot find the worker program %s (set PVFHOST_WORKER_DIR or install pvfhost)", name);
}

static void register_metrics(struct pvfhost *h)
{
	static const char *pq[3] = { "priority=\"critical\"", "priority=\"normal\"", "priority=\"background\"" };
	static const char *eq[PVF_EXEC_PRIOS] = { "priority=\"backing\"", "priority=\"backing_system\"",
						  "priority=\"approval\"", "priority=\"dispute\"" };
	static const char *vd[4] = { "verdict=\"valid\"", "verdict=\"invalid\"", "verdict=\"possibly_invalid\"",
				     "verdict=\"internal\"" };
	pvf_metrics *m = h->metrics;

	for (int i = 0; i < 3; i++)
		h->m.prepq[i] = pvf_metrics_gauge(m, "pvfhost_prepare_queue_depth", "Preparations waiting for a worker.",
						  pq[i]);
	for (int i = 0; i < PVF_EXEC_PRIOS; i++)
		h->m.execq[i] = pvf_metrics_gauge(m, "pvfhost_execute_queue_depth", "Executions waiting for a worker.",
						  eq[i]);
	h->m.prep_running = pvf_metrics_gauge(m, "pvfhost_prepare_running", "Preparations running.", NULL);
	h->m.exec_running = pvf_metrics_gauge(m, "pvfhost_execute_running", "Executions running.", NULL);
	h->m.prep_secs = pvf_metrics_histogram(m, "pvfhost_prepare_duration_seconds",
					       "Wall time of preparations, as the host saw them.", NULL,
					       pvf_metrics_prepare_buckets, pvf_metrics_prepare_nbuckets);
	h->m.exec_secs = pvf_metrics_histogram(m, "pvfhost_execute_duration_seconds",
					       "Wall time of successful executions, as the host saw them.", NULL,
					       pvf_metrics_execute_buckets, pvf_metrics_execute_nbuckets);
	h->m.spawns[0] = pvf_metrics_counter(m, "pvfhost_worker_spawns_total", "Worker processes started.",
					     "kind=\"prepare\"");
	h->m.spawns[1] = pvf_metrics_counter(m, "pvfhost_worker_spawns_total", "Worker processes started.",
					     "kind=\"execute\"");
	h->m.deaths[0] = pvf_metrics_counter(m, "pvfhost_worker_deaths_total",
					     "Worker processes that died or were killed mid-job.", "kind=\"prepare\"");
	h->m.deaths[1] = pvf_metrics_counter(m, "pvfhost_worker_deaths_total",
					     "Worker processes that died or were killed mid-job.", "kind=\"execute\"");
	h->m.cache_bytes = pvf_metrics_gauge(m, "pvfhost_cache_bytes", "Bytes of artifacts in the cache.", NULL);
	h->m.cache_artifacts = pvf_metrics_gauge(m, "pvfhost_cache_artifacts", "Artifacts in the cache.", NULL);
	h->m.hits = pvf_metrics_counter(m, "pvfhost_cache_hits_total", "Validations that found their artifact.",
					NULL);
	h->m.misses = pvf_metrics_counter(m, "pvfhost_cache_misses_total",
					  "Validations that had to wait for a preparation.", NULL);
	h->m.evictions = pvf_metrics_counter(m, "pvfhost_cache_evictions_total", "Artifacts pruned.", NULL);
	for (int i = 0; i < 4; i++)
		h->m.verdict[i] = pvf_metrics_counter(m, "pvfhost_verdicts_total", "Validation outcomes.", vd[i]);
	for (int c = 1; c < PVF_E__COUNT; c++) {
		char labels[160];
		snprintf(labels, sizeof(labels), "class=\"%s\",code=\"%s\"",
			 pvf_error_class_name(pvf_error_code_class((pvf_error_code)c)),
			 pvf_error_code_name((pvf_error_code)c));
		h->m.errors[c] = pvf_metrics_counter(m, "pvfhost_errors_total",
						     "Validations that ended in an error, by class and code.", labels);
	}
	h->m.preparations_ok = pvf_metrics_counter(m, "pvfhost_preparations_total", "Preparations finished.",
						   "outcome=\"ok\"");
	h->m.preparations_failed = pvf_metrics_counter(m, "pvfhost_preparations_total", "Preparations finished.",
						       "outcome=\"failed\"");
}

int pvfhost_new(const pvfhost_config *c, pvfhost **ret, pvfhost_error *out_err)
{
	struct pvfhost *h;
	pvf_error err;
	pvf_prepare_opts po;
	pthread_condattr_t ca;

	*ret = NULL;
	pvf_error_clear(&err);
	h = calloc(1, sizeof(*h));
	if (!h)
		return fail(out_err, PVF_E_NOMEM, "out of memory");
	if (c)
		h->cfg = *c;
	else
		pvfhost_config_default(&h->cfg);
	if (h->cfg.prepare_workers_soft == 0)
		h->cfg.prepare_workers_soft = 1;
	if (h->cfg.prepare_workers_hard < h->cfg.prepare_workers_soft)
		h->cfg.prepare_workers_hard = h->cfg.prepare_workers_soft;
	if (h->cfg.execute_workers == 0)
		h->cfg.execute_workers = 1;
	if (h->cfg.log_fd >= 0 || h->cfg.log_fd == -1)
		pvf_log_set(h->cfg.log_fd, (pvf_log_level)h->cfg.log_level);
	h->compile_jobs = h->cfg.compile_jobs;
	if (h->compile_jobs == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		h->compile_jobs = n > 0 ? (uint32_t)n : 1;
	}
	if (h->compile_jobs > 64)
		h->compile_jobs = 64;
	h->security = h->cfg.no_sandbox ? PVF_SECURITY_NO_SANDBOX : h->cfg.secure ? PVF_SECURITY_SECURE_MODE : 0;

	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->prep_cv, &ca);
	pthread_cond_init(&h->exec_cv, &ca);
	pthread_cond_init(&h->art_cv, &ca);
	pthread_cond_init(&h->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	pvf_exec_fairness_init(&h->fair);
	h->next_id = 1;

	if (h->cfg.cache_dir)
		snprintf(h->cache_dir, sizeof(h->cache_dir), "%s", h->cfg.cache_dir);
	else if (pvf_store_default_dir(h->cache_dir, sizeof(h->cache_dir)) < 0) {
		pvf_error_set(&err, PVF_E_USAGE, "no cache directory: set XDG_CACHE_HOME or HOME, or pass one");
		goto fail;
	}
	h->cfg.cache_dir = h->cache_dir;
	if (pvf__host_find_worker(c ? c->prepare_worker : NULL, "pvfhost-prepare-worker", h->prepare_worker,
			sizeof(h->prepare_worker), &err) < 0 ||
	    pvf__host_find_worker(c ? c->execute_worker : NULL, "pvfhost-execute-worker", h->execute_worker,
			sizeof(h->execute_worker), &err) < 0)
		goto fail;
	memset(&po, 0, sizeof(po));
	po.cc = h->cfg.cc;
	po.opt_level = h->cfg.opt_level;
	po.jobs = 1;
	if (pvf_engine_toolchain_id(&po, &h->toolchain_id, &err) < 0) {
		pvf_error_prefix(&err, "cannot identify the toolchain");
		goto fail;
	}
	pvf_store_opts so = {
		.dir = h->cache_dir,
		.toolchain_id = h->toolchain_id,
		.size_cap = h->cfg.cache_size_cap,
		.stale_s = h->cfg.cache_stale_s,
	};
	if (pvf_store_open(&so, &h->store, &err) < 0)
		goto fail;
	/* The pre-check tier: its own store (a subdirectory), so neither store
	 * takes the other's artifacts for a foreign toolchain's. */
	if (!h->cfg.precheck_same_toolchain) {
		pvf_prepare_opts pc;
		pvf_error e2;
		memset(&pc, 0, sizeof(pc));
		pc.cc = h->cfg.precheck_cc ? h->cfg.precheck_cc : pvf_engine_fast_cc();
		pc.opt_level = h->cfg.precheck_opt_level ? h->cfg.precheck_opt_level : "-O0";
		pc.jobs = 1;
		h->cfg.precheck_cc = pc.cc;
		h->cfg.precheck_opt_level = pc.opt_level;
		snprintf(h->pc_cache_dir, sizeof(h->pc_cache_dir), "%s/precheck", h->cache_dir);
		pvf_store_opts ps = {
			.dir = h->pc_cache_dir,
			.size_cap = h->cfg.cache_size_cap / 8 ? h->cfg.cache_size_cap / 8 : 1,
			.stale_s = h->cfg.cache_stale_s,
		};
		if (pvf_engine_toolchain_id(&pc, &h->pc_toolchain_id, &e2) == 0) {
			ps.toolchain_id = h->pc_toolchain_id;
			if (pvf_store_open(&ps, &h->pc_store, &e2) < 0)
				h->pc_store = NULL;
		}
		if (!h->pc_store)
			pvf_log(PVF_LOG_WARN, "host", "event=no-precheck-tier msg=\"%s: pre-checks use the main toolchain\"",
				e2.msg);
	}
	h->code_ids = pvf_code_ids_new(HOST_CODE_IDS_ENTRIES, HOST_CODE_IDS_BYTES);
	if (!h->code_ids) {
		pvf_error_set(&err, PVF_E_NOMEM, "out of memory");
		goto fail;
	}
	h->metrics = pvf_metrics_new();
	register_metrics(h);
	if (pvf__host_start(h, &err) < 0)
		goto fail;
	pthread_mutex_lock(&h->mu);
	pvf__host_update_gauges(h);
	pthread_mutex_unlock(&h->mu);
	pvf_log(PVF_LOG_INFO, "host", "event=start cache=\"%s\" prepare_workers=%u/%u execute_workers=%u",
		h->cache_dir, h->cfg.prepare_workers_soft, h->cfg.prepare_workers_hard, h->cfg.execute_workers);
	*ret = h;
	return 0;
fail:
	to_public(out_err, &err);
	pvfhost_free(h);
	return -1;
}

void pvfhost_free(pvfhost *h)
{
	if (!h)
		return;
	pvf__host_stop(h);
	for (art *a = h->arts, *n; a; a = n) {
		n = a->next;
		free(a);
	}
	for (job *j = h->done_head, *n; j; j = n) {
		n = j->next;
		pvf__job_free(j);
	}
	pvf_store_close(h->store);
	pvf_store_close(h->pc_store);
	pvf_code_ids_free(h->code_ids);
	pvf_metrics_free(h->metrics);
	free(h->toolchain_id);
	free(h->pc_toolchain_id);
	free(h->pslots);
	free(h->eslots);
	pthread_cond_destroy(&h->prep_cv);
	pthread_cond_destroy(&h->exec_cv);
	pthread_cond_destroy(&h->art_cv);
	pthread_cond_destroy(&h->done_cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

static int params_or_default(const pvfhost_executor_params *in, pvfhost_executor_params *out,
			     pvfhost_error *err)
{
	if (in)
		*out = *in;
	else
		pvfhost_executor_params_default(out);
	return pvfhost_executor_params_check(out, err);
}

/* ---- pre-check and heads-up ---------------------------------------------- */

pvfhost_precheck_verdict pvfhost_precheck(pvfhost *h, const uint8_t *code, size_t code_len,
					  const pvfhost_executor_params *params, pvfhost_error *err)
{
	pvfhost_executor_params ep;
	prep p;
	bool fast;

	if (!h || !code)
		return fail(err, PVF_E_USAGE, "pvfhost_precheck: no host or no code") ? PVFHOST_PRECHECK_FAILED
											 : PVFHOST_PRECHECK_FAILED;
	if (params_or_default(params, &ep, err) < 0)
		return PVFHOST_PRECHECK_FAILED;
	uint8_t code_hash[32];
	pvf_code_ids_hash(h->code_ids, code, code_len, code_hash);
	pthread_mutex_lock(&h->mu);
	art *a = pvf__host_art(h, code_hash, &ep);
	if (!a) {
		pthread_mutex_unlock(&h->mu);
		fail(err, PVF_E_NOMEM, "out of memory");
		return PVFHOST_PRECHECK_FAILED;
	}
	fast = h->pc_store != NULL;
again:
	for (;;) {
		if (h->stopping) {
			pthread_mutex_unlock(&h->mu);
			fail(err, PVF_E_CANCELLED, "the host is shutting down");
			return PVFHOST_PRECHECK_FAILED;
		}
		/* Ready, or prepared by an earlier run of the host. */
		if (a->state == ART_READY || a->state == ART_NEW) {
			if (pvf_store_lookup(h->store, &a->key) == 1) {
				a->state = ART_READY;
				pvf_metric_add(h->m.hits, 1);
				pthread_mutex_unlock(&h->mu);
				return PVFHOST_PRECHECK_VALID;
			}
			a->state = ART_NEW;
		}
		if (a->state == ART_FAILED && a->fail_det) {
			to_public(err, &a->fail);
			pthread_mutex_unlock(&h->mu);
			return PVFHOST_PRECHECK_INVALID;
		}
		if (fast && (a->precheck_ok || pvf_store_lookup(h->pc_store, &a->key) == 1)) {
			a->precheck_ok = true;
			pvf_metric_add(h->m.hits, 1);
			pthread_mutex_unlock(&h->mu);
			return PVFHOST_PRECHECK_VALID;
		}
		if (a->state == ART_PREPARING && !fast) {
			pthread_cond_wait(&h->art_cv, &h->mu);
			continue;
		}
		break;   /* new, or failed for a reason that may pass this time */
	}
	/* Our own pre-check preparation (pre-check time limit). */
	memset(&p, 0, sizeof(p));
	p.caller_owned = true;
	p.a = a;
	p.prio = PREP_NORMAL;
	p.kind = PVF_PREPARE_PRECHECK;
	p.fast = fast;
	p.ep = ep;
	p.code = malloc(code_len ? code_len : 1);
	if (!p.code) {
		pthread_mutex_unlock(&h->mu);
		fail(err, PVF_E_NOMEM, "out of memory");
		return PVFHOST_PRECHECK_FAILED;
	}
	memcpy(p.code, code, code_len);
	p.code_len = code_len;
	pvf_metric_add(h->m.misses, 1);
	pvf__host_queue_prep(h, &p);
	while (!p.done)
		pthread_cond_wait(&h->art_cv, &h->mu);
	free(p.code);
	if (!p.ok && p.fast && pvf__host_tier_specific(&p.err)) {
		/* Not a verdict on the code: the optimised toolchain decides. */
		pvf_log(PVF_LOG_WARN, "host", "event=precheck-tier-failed error=%s msg=\"%s\" then=main-toolchain",
			pvf_error_code_name(p.err.code), p.err.msg);
		fast = false;
		goto again;
	}
	pthread_mutex_unlock(&h->mu);
	if (p.ok)
		return PVFHOST_PRECHECK_VALID;
	to_public(err, &p.err);
	/* A time-out while pre-checking is a rejection (as in Polkadot). */
	if (p.err.cls == PVF_CLASS_DETERMINISTIC || p.err.code == PVF_E_TIMEOUT)
		return PVFHOST_PRECHECK_INVALID;
	return PVFHOST_PRECHECK_FAILED;
}

int pvfhost_heads_up(pvfhost *h, const uint8_t *code, size_t code_len, const pvfhost_executor_params *params,
		     pvfhost_error *err)
{
	pvfhost_executor_params ep;
	pvf_error e;
	int rc = 0;

	if (!h || !code)
		return fail(err, PVF_E_USAGE, "pvfhost_heads_up: no host or no code");
	if (params_or_default(params, &ep, err) < 0)
		return -1;
	uint8_t code_hash[32];
	pvf_code_ids_hash(h->code_ids, code, code_len, code_hash);
	pthread_mutex_lock(&h->mu);
	art *a = pvf__host_art(h, code_hash, &ep);
	if (!a) {
		pthread_mutex_unlock(&h->mu);
		return fail(err, PVF_E_NOMEM, "out of memory");
	}
	if (a->state == ART_READY || a->state == ART_NEW)
		a->state = pvf_store_lookup(h->store, &a->key) == 1 ? ART_READY : ART_NEW;
	if (a->state == ART_FAILED && !a->fail_det && a->failures <= h->cfg.prepare_retries &&
	    pvf_clock_ms() - a->fail_at_ms >= h->cfg.prepare_retry_cooldown_ms)
		a->state = ART_NEW;
	if (a->state == ART_NEW && pvf__host_want_prep(h, a, PREP_BACKGROUND, code, code_len, &ep, &e) < 0) {
		to_public(err, &e);
		rc = -1;
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

/* ---- validation ---------------------------------------------------------- */

static job *job_new(const pvfhost_validate_req *req, pvfhost_error *err)
{
	job *j = calloc(1, sizeof(*j));

	if (!j) {
		fail(err, PVF_E_NOMEM, "out of memory");
		return NULL;
	}
	if (params_or_default(req->exec_params, &j->ep, err) < 0) {
		free(j);
		return NULL;
	}
	/* The code: a reference taken in submit(). */
	j->params = malloc(req->params_len ? req->params_len : 1);
	if (!j->params) {
		pvf__job_free(j);
		fail(err, PVF_E_NOMEM, "out of memory");
		return NULL;
	}
	if (req->params_len)
		memcpy(j->params, req->params, req->params_len);
	j->params_len = req->params_len;
	j->prio = (int)req->priority;
	if (req->export_name)
		snprintf(j->export_name, sizeof(j->export_name), "%s", req->export_name);
	j->submit_ms = pvf_clock_ms();
	if (req->deadline_ms)
		j->deadline_ms = j->submit_ms + req->deadline_ms;
	return j;
}

static int submit(pvfhost *h, job *j, const pvfhost_validate_req *req, uint64_t *job_id, pvfhost_error *err)
{
	exec_slot *s = NULL;
	uint8_t code_hash[32];

	/* The job keeps the code (it may have to be prepared later) as a
	 * reference to the memo's copy: no copy per validation. */
	if (pvf_code_ids_share(h->code_ids, req->code, req->code_len, code_hash, &j->code_ref) < 0) {
		pvf__job_free(j);
		return fail(err, PVF_E_NOMEM, "out of memory");
	}
	j->code = pvf_code_ref_bytes(j->code_ref);
	j->code_len = pvf_code_ref_len(j->code_ref);
	pthread_mutex_lock(&h->mu);
	if (h->stopping) {
		pthread_mutex_unlock(&h->mu);
		pvf__job_free(j);
		return fail(err, PVF_E_CANCELLED, "the host is shutting down");
	}
	j->a = pvf__host_art(h, code_hash, &j->ep);
	if (!j->a) {
		pthread_mutex_unlock(&h->mu);
		pvf__job_free(j);
		return fail(err, PVF_E_NOMEM, "out of memory");
	}
	j->id = h->next_id++;
	if (job_id)
		*job_id = j->id;
	pvf__host_submit(h, j);
	if (j->direct)
		s = pvf__host_borrow_slot(h, j);
	pthread_mutex_unlock(&h->mu);
	if (s)
		pvf__host_run_borrowed(h, s, j);
	return 0;
}

static int check_req(pvfhost *h, const pvfhost_validate_req *req, pvfhost_error *err)
{
	if (!h || !req || !req->code || (!req->params && req->params_len))
		return fail(err, PVF_E_USAGE, "validate: no host, request or code");
	if ((unsigned)req->priority > PVFHOST_PRIO_DISPUTE)
		return fail(err, PVF_E_USAGE, "validate: unknown priority");
	if (req->export_name && strlen(req->export_name) >= 128)
		return fail(err, PVF_E_USAGE, "validate: export name too long");
	return 0;
}

int pvfhost_validate_async(pvfhost *h, const pvfhost_validate_req *req, pvfhost_done_fn done, void *ctx,
			   uint64_t *job_id, pvfhost_error *err)
{
	if (check_req(h, req, err) < 0)
		return -1;
	if (!done)
		return fail(err, PVF_E_USAGE, "validate: no completion callback");
	job *j = job_new(req, err);
	if (!j)
		return -1;
	j->done = done;
	j->ctx = ctx;
	return submit(h, j, req, job_id, err);
}

int pvfhost_cancel(pvfhost *h, uint64_t job_id)
{
	pvf_error e;
	int rc = -1;

	if (!h)
		return -1;
	pthread_mutex_lock(&h->mu);
	for (job *j = h->all; j; j = j->all_next) {
		if (j->id != job_id)
			continue;
		rc = 0;
		j->cancelled = true;
		if (j->state == JOB_RUNNING) {
			if (j->worker_pid > 0)
				kill(-j->worker_pid, SIGKILL);  /* the slot reports it cancelled */
		} else {
			pvf_error_set(&e, PVF_E_CANCELLED, "the validation was cancelled");
			pvf__host_finish(h, j, &e, NULL, 0);
		}
		break;
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

int pvfhost_validate(pvfhost *h, const pvfhost_validate_req *req, uint8_t **output, size_t *output_len,
		     pvfhost_result *info, pvfhost_error *err)
{
	pthread_cond_t cv;
	pthread_condattr_t ca;

	if (output)
		*output = NULL;
	if (output_len)
		*output_len = 0;
	if (check_req(h, req, err) < 0)
		return -1;
	job *j = job_new(req, err);
	if (!j)
		return -1;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);
	j->sync = true;
	j->sync_cv = &cv;
	j->direct = true;
	if (submit(h, j, req, NULL, err) < 0) {
		pthread_cond_destroy(&cv);
		return -1;
	}
	pthread_mutex_lock(&h->mu);
	while (!j->sync_done)
		pthread_cond_wait(&cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
	pthread_cond_destroy(&cv);

	int rc = j->res.status;
	if (info) {
		*info = j->res;
		info->output = NULL;
	}
	if (rc == 0) {
		if (output) {
			*output = j->out;
			j->out = NULL;
		}
		if (output_len)
			*output_len = j->res.output_len;
	} else if (err) {
		*err = j->res.err;
	}
	pvf__job_free(j);
	return rc == 0 ? 0 : -1;
}

/* ---- cache ----------------------------------------------------------------- */

int pvfhost_cache_list(pvfhost *h, pvfhost_cache_entry **entries, size_t *count, pvfhost_error *err)
{
	pvf_error e;

	if (pvf_store_list(h->store, false, entries, count, &e) < 0) {
		to_public(err, &e);
		return -1;
	}
	return 0;
}

int pvfhost_cache_verify(pvfhost *h, pvfhost_cache_entry **entries, size_t *count, pvfhost_error *err)
{
	pvf_error e;

	if (pvf_store_list(h->store, true, entries, count, &e) < 0) {
		to_public(err, &e);
		return -1;
	}
	return 0;
}

int pvfhost_cache_prune(pvfhost *h, size_t *removed, uint64_t *removed_bytes, pvfhost_error *err)
{
	pvf_error e;
	size_t r = 0;
	uint64_t b = 0;

	if (pvf_store_prune(h->store, &r, &b, &e) < 0) {
		to_public(err, &e);
		return -1;
	}
	pvf_metric_add(h->m.evictions, r);
	if (removed)
		*removed = r;
	if (removed_bytes)
		*removed_bytes = b;
	return 0;
}

/* ---- metrics --------------------------------------------------------------- */

void pvfhost_metrics_snapshot(pvfhost *h, pvfhost_metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_lock(&h->mu);
	pvf__host_update_gauges(h);
	for (int i = 0; i < 3; i++)
		m->prepare_queued += h->nprepq[i];
	for (int i = 0; i < PVF_EXEC_PRIOS; i++)
		m->execute_queued += h->nexecq[i];
	for (uint32_t i = 0; i < h->npslots; i++) {
		m->prepare_running += h->pslots[i].cur != NULL;
		m->prepare_workers += h->pslots[i].w != NULL;
	}
	for (uint32_t i = 0; i < h->neslots; i++) {
		m->execute_running += h->eslots[i].cur != NULL;
		m->execute_workers += h->eslots[i].w != NULL;
	}
	m->preparations = h->preparations;
	m->executions = h->executions;
	pthread_mutex_unlock(&h->mu);
	m->worker_spawns = pvf_metric_value(h->m.spawns[0]) + pvf_metric_value(h->m.spawns[1]);
	m->worker_deaths = pvf_metric_value(h->m.deaths[0]) + pvf_metric_value(h->m.deaths[1]);
	m->cache_hits = pvf_metric_value(h->m.hits);
	m->cache_misses = pvf_metric_value(h->m.misses);
	m->cache_evictions = pvf_metric_value(h->m.evictions);
	m->cache_bytes = pvf_store_bytes(h->store);
	m->cache_artifacts = pvf_store_count(h->store);
	m->verdict_valid = pvf_metric_value(h->m.verdict[0]);
	m->verdict_invalid = pvf_metric_value(h->m.verdict[1]);
	m->verdict_possibly_invalid = pvf_metric_value(h->m.verdict[2]);
	m->verdict_internal = pvf_metric_value(h->m.verdict[3]);
}

int pvfhost_metrics_text(pvfhost *h, char **text, size_t *len, pvfhost_error *err)
{
	pvf_error e;

	pthread_mutex_lock(&h->mu);
	pvf__host_update_gauges(h);
	pthread_mutex_unlock(&h->mu);
	if (pvf_metrics_render(h->metrics, text, len, &e) < 0) {
		to_public(err, &e);
		return -1;
	}
	return 0;
}
