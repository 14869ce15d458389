/*
 * progress.c — a one-line progress display for long host operations on a
 * terminal: what is happening (queued, preparing, executing) and the time
 * elapsed, redrawn a few times a second on stderr. Nothing is shown when
 * stderr is not a terminal, nor during the first second.
 */
#include "cli/progress.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

struct cli_progress {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	bool drawn;
	const char *what;
	pvfhost *h;
};

static void *ticker(void *arg)
{
	cli_progress *p = arg;
	double t0 = pvf_clock_s();
	struct timespec ts;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (p->stop)
			break;
		double el = pvf_clock_s() - t0;
		if (el < 1.0)
			continue;
		const char *stage = "queued";
		if (p->h) {
			pvfhost_metrics m;
			pvfhost_metrics_snapshot(p->h, &m);
			stage = m.prepare_running ? "preparing (translating and compiling)"
			      : m.execute_running ? "executing"
			      : "queued";
		}
		fprintf(stderr, "\r\033[K%s: %s, %.1f s", p->what, stage, el);
		fflush(stderr);
		p->drawn = true;
	}
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

cli_progress *cli_progress_start(const char *what, pvfhost *h)
{
	cli_progress *p;

	if (!isatty(2))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->what = what;
	p->h = h;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, ticker, p) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

void cli_progress_stop(cli_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
