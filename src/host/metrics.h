/*
 * metrics.h — a thread-safe registry of Prometheus metrics.
 *
 * A registry holds metric families (a name, a help text and a type: counter,
 * gauge or histogram); a family holds series, one per distinct label set. A
 * series is a `pvf_metric *`, registered once and then updated with atomics:
 * updates take no lock and never fail. Registration and rendering take the
 * registry's mutex.
 *
 * pvf_metrics_render() writes the Prometheus text exposition format 0.0.4:
 * for each family, in registration order, `# HELP` and `# TYPE` once, then its
 * series in registration order; a histogram series gives cumulative
 * `_bucket{le="..."}` lines ending with `le="+Inf"`, then `_sum` and `_count`.
 *
 * Every update function accepts NULL (and a series of another type) and then
 * does nothing, so code can run with metrics turned off.
 *
 * Labels are given as text in exposition syntax, e.g. `class="internal"` or
 * `kind="prepare",reason="oom"` (NULL or "" for none). The registry parses
 * and re-writes it: label names must match [a-zA-Z_][a-zA-Z0-9_]* and not
 * start with "__" (nor be "le" in a histogram); inside a value, `\\`, `\"` and
 * `\n` are kept as escapes, and a raw newline or a backslash starting no
 * escape is escaped. Labels are rendered sorted by name, so two label texts
 * that differ only in order or spacing name the same series. Build values
 * from untrusted text with pvf_metrics_label_escape().
 */
#ifndef PVF_HOST_METRICS_H
#define PVF_HOST_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct pvf_metrics pvf_metrics;
/* One series: a counter, a gauge or a histogram with fixed labels. Owned by
 * its registry; valid until pvf_metrics_free(). */
typedef struct pvf_metric pvf_metric;

/* NULL when out of memory. */
pvf_metrics *pvf_metrics_new(void);
/* Frees the registry and all its series. NULL is a no-op. No other thread
 * may use the registry or its series any more. */
void pvf_metrics_free(pvf_metrics *m);

/* Register a series, or return the one already registered under the same
 * name and labels. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*. The help text
 * of a family is the first one given (NULL: no # HELP line). NULL on a bad
 * name or label text, a name registered with another type (or, for
 * histograms, other bounds), out of memory, or m == NULL. */
pvf_metric *pvf_metrics_counter(pvf_metrics *m, const char *name, const char *help, const char *labels);
pvf_metric *pvf_metrics_gauge(pvf_metrics *m, const char *name, const char *help, const char *labels);
/* `bounds`: the upper bounds of the buckets, strictly ascending, no NaN; a
 * final +Inf may be given or left out (the +Inf bucket is always there). */
pvf_metric *pvf_metrics_histogram(pvf_metrics *m, const char *name, const char *help, const char *labels,
				  const double *bounds, size_t nbounds);

/* Counter: adds n. */
void pvf_metric_add(pvf_metric *c, uint64_t n);
/* Gauge: sets, or adds a (possibly negative) delta. */
void pvf_metric_set(pvf_metric *g, int64_t v);
void pvf_metric_gauge_add(pvf_metric *g, int64_t d);
/* Histogram: counts v in the first bucket whose bound is >= v and adds it to
 * the sum. NaN is ignored. */
void pvf_metric_observe(pvf_metric *h, double v);

/* A counter's value, a gauge's value (two's complement for negative
 * values: cast to int64_t), a histogram's number of observations; 0 for
 * NULL. */
uint64_t pvf_metric_value(const pvf_metric *c);
/* A histogram's sum of observations; 0 otherwise. */
double pvf_metric_sum(const pvf_metric *h);

/* The whole registry as exposition text: malloc'd, NUL-terminated, `*len`
 * bytes without the NUL (len may be NULL). The caller frees *text. */
int pvf_metrics_render(pvf_metrics *m, char **text, size_t *len, pvf_error *err);

/* Escapes a label value for use between quotes in label text (`\` -> `\\`,
 * `"` -> `\"`, newline -> `\n`). Like snprintf: returns the length needed,
 * NUL-terminates when n > 0. */
int pvf_metrics_label_escape(char *buf, size_t n, const char *value);

/* Standard bucket bounds, in seconds. */
extern const double pvf_metrics_prepare_buckets[];   /* 0.1 .. 600 s */
extern const size_t pvf_metrics_prepare_nbuckets;
extern const double pvf_metrics_execute_buckets[];   /* 0.0001 .. 30 s */
extern const size_t pvf_metrics_execute_nbuckets;

#endif
