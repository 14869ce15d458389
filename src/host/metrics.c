/*
 * metrics.c — the Prometheus metrics registry (see metrics.h).
 *
 * Layout: the registry is a list of families in registration order, each a
 * list of series in registration order. Series never move or go away before
 * pvf_metrics_free(), so callers keep plain pointers to them.
 *
 * Values: a counter is an atomic uint64, a gauge an atomic int64. A
 * histogram keeps one atomic count per bucket (not cumulative, so an
 * observation touches one bucket) and the sum as the bits of a double,
 * updated with a compare-and-swap loop. Rendering adds the buckets up, and
 * `_count` is that total, so `_count` always equals the `+Inf` bucket even
 * while other threads observe. Relaxed ordering is enough everywhere: each
 * value is independent and only needs to be exact once the writers are done.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/metrics.h"

/* Largest number of labels in one series. */
#define MAX_LABELS 32

typedef enum metric_kind {
	KIND_COUNTER,
	KIND_GAUGE,
	KIND_HISTOGRAM,
} metric_kind;

typedef struct family {
	struct family *next;
	char *name;
	char *help;                 /* NULL: no # HELP line */
	metric_kind kind;
	double *bounds;             /* histograms: finite bounds, ascending */
	size_t nbounds;
	pvf_metric *first, *last;
} family;

struct pvf_metric {
	pvf_metric *next;
	const family *fam;
	metric_kind kind;
	char *labels;               /* canonical label text, "" for none */
	_Atomic uint64_t counter;
	_Atomic int64_t gauge;
	_Atomic uint64_t sum_bits;  /* histograms: the sum, as a double's bits */
	_Atomic uint64_t buckets[]; /* histograms: nbounds + 1 (the last is +Inf) */
};

struct pvf_metrics {
	pthread_mutex_t lock;
	family *first, *last;
};

const double pvf_metrics_prepare_buckets[] = {
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 240, 360, 600,
};
const size_t pvf_metrics_prepare_nbuckets =
	sizeof(pvf_metrics_prepare_buckets) / sizeof(pvf_metrics_prepare_buckets[0]);

/* 2 s and 12 s are Polkadot's default backing and approval timeouts. */
const double pvf_metrics_execute_buckets[] = {
	0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 12, 20, 30,
};
const size_t pvf_metrics_execute_nbuckets =
	sizeof(pvf_metrics_execute_buckets) / sizeof(pvf_metrics_execute_buckets[0]);

/* ---- growable text --------------------------------------------------- */

typedef struct sbuf {
	char *data;
	size_t len, cap;
	bool failed;
} sbuf;

static void sb_reserve(sbuf *b, size_t more)
{
	size_t want;
	char *p;

	if (b->failed)
		return;
	if (more > SIZE_MAX - b->len - 1) {
		b->failed = true;
		return;
	}
	want = b->len + more + 1;
	if (want <= b->cap)
		return;
	if (want < b->cap * 2)
		want = b->cap * 2;
	if (want < 256)
		want = 256;
	p = realloc(b->data, want);
	if (!p) {
		b->failed = true;
		return;
	}
	b->data = p;
	b->cap = want;
	b->data[b->len] = '\0';
}

static void sb_putn(sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	if (b->failed)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_putc(sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->failed = true; /* only used for numbers, which always fit */
		return;
	}
	sb_putn(b, tmp, (size_t)n);
}

/* A float the way Prometheus (Go's strconv 'g' with the shortest
 * precision) writes one: the fewest significant digits that read back as
 * the same double, in exponent form only when the decimal exponent is below
 * -4 or at least 6 ("0.0001", "110", "1e+06"); "+Inf", "-Inf", "NaN". */
static void sb_float(sbuf *b, double v)
{
	char tmp[64];
	int digits = 17, exp;
	const char *e;

	if (isnan(v)) {
		sb_puts(b, "NaN");
		return;
	}
	if (isinf(v)) {
		sb_puts(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int d = 1; d <= 17; d++) {
		snprintf(tmp, sizeof(tmp), "%.*e", d - 1, v);
		if (strtod(tmp, NULL) == v) {
			digits = d;
			break;
		}
	}
	snprintf(tmp, sizeof(tmp), "%.*e", digits - 1, v);
	e = strchr(tmp, 'e');
	exp = e ? atoi(e + 1) : 0;
	if (exp >= -4 && exp < 6)
		snprintf(tmp, sizeof(tmp), "%.*f", digits - 1 - exp > 0 ? digits - 1 - exp : 0, v);
	sb_puts(b, tmp);
}

/* ---- names and labels ------------------------------------------------ */

static bool name_ok(const char *s, bool colon)
{
	if (!s || !*s)
		return false;
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     (colon && c == ':');

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

static bool is_label_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_label_char(char c)
{
	return is_label_start(c) || (c >= '0' && c <= '9');
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

typedef struct label {
	const char *name;
	size_t name_len;
	const char *value;          /* raw text between the quotes */
	size_t value_len;
} label;

static int label_cmp(const void *a, const void *b)
{
	const label *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

/* Appends a raw label value with every escape made canonical. */
static void put_label_value(sbuf *b, const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\\' && i + 1 < n && (v[i + 1] == '\\' || v[i + 1] == '"' || v[i + 1] == 'n')) {
			sb_putc(b, '\\');
			sb_putc(b, v[++i]);
		} else if (v[i] == '\\') {
			sb_puts(b, "\\\\");
		} else if (v[i] == '\n') {
			sb_puts(b, "\\n");
		} else {
			sb_putc(b, v[i]);
		}
	}
}

/* Parses label text (see metrics.h) into its canonical form: labels sorted
 * by name, `name="value"` joined by commas, no spaces. Returns a malloc'd
 * string ("" for no labels), or NULL when the text is malformed or memory
 * runs out. */
static char *canonical_labels(const char *text, bool histogram)
{
	label ls[MAX_LABELS];
	size_t n = 0;
	const char *p = text ? text : "";
	sbuf b = { 0 };

	p = skip_space(p);
	while (*p) {
		label *l;

		if (n == MAX_LABELS || !is_label_start(*p))
			return NULL;
		l = &ls[n++];
		l->name = p;
		while (is_label_char(*p))
			p++;
		l->name_len = (size_t)(p - l->name);
		p = skip_space(p);
		if (*p++ != '=')
			return NULL;
		p = skip_space(p);
		if (*p++ != '"')
			return NULL;
		l->value = p;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
		}
		if (*p != '"')
			return NULL;
		l->value_len = (size_t)(p - l->value);
		p = skip_space(p + 1);
		if (*p == ',')
			p = skip_space(p + 1);
		else if (*p)
			return NULL;
		if (l->name_len >= 2 && l->name[0] == '_' && l->name[1] == '_')
			return NULL;
		if (histogram && l->name_len == 2 && memcmp(l->name, "le", 2) == 0)
			return NULL;
	}
	qsort(ls, n, sizeof(ls[0]), label_cmp);
	sb_putn(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && label_cmp(&ls[i - 1], &ls[i]) == 0) {
			free(b.data);
			return NULL;
		}
		if (i > 0)
			sb_putc(&b, ',');
		sb_putn(&b, ls[i].name, ls[i].name_len);
		sb_puts(&b, "=\"");
		put_label_value(&b, ls[i].value, ls[i].value_len);
		sb_putc(&b, '"');
	}
	if (b.failed) {
		free(b.data);
		return NULL;
	}
	return b.data;
}

int pvf_metrics_label_escape(char *buf, size_t n, const char *value)
{
	size_t pos = 0;

	for (const char *p = value ? value : ""; *p; p++) {
		char esc = *p == '\\' ? '\\' : *p == '"' ? '"' : *p == '\n' ? 'n' : 0;
		char out[2] = { esc ? '\\' : *p, esc };

		for (size_t i = 0; i < (esc ? 2u : 1u); i++, pos++)
			if (pos + 1 < n)
				buf[pos] = out[i];
	}
	if (n > 0)
		buf[pos < n ? pos : n - 1] = '\0';
	return pos > INT32_MAX ? INT32_MAX : (int)pos;
}

/* ---- registry -------------------------------------------------------- */

static void family_free(family *f)
{
	if (!f)
		return;
	free(f->name);
	free(f->help);
	free(f->bounds);
	free(f);
}

pvf_metrics *pvf_metrics_new(void)
{
	pvf_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

void pvf_metrics_free(pvf_metrics *m)
{
	if (!m)
		return;
	for (family *f = m->first, *fn; f; f = fn) {
		fn = f->next;
		for (pvf_metric *s = f->first, *sn; s; s = sn) {
			sn = s->next;
			free(s->labels);
			free(s);
		}
		family_free(f);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static family *family_new(const char *name, const char *help, metric_kind kind, const double *bounds,
			  size_t nbounds)
{
	family *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->kind = kind;
	f->name = strdup(name);
	f->help = help ? strdup(help) : NULL;
	if (nbounds > 0) {
		f->bounds = malloc(nbounds * sizeof(double));
		if (f->bounds)
			memcpy(f->bounds, bounds, nbounds * sizeof(double));
	}
	f->nbounds = nbounds;
	if (!f->name || (help && !f->help) || (nbounds > 0 && !f->bounds)) {
		family_free(f);
		return NULL;
	}
	return f;
}

/* Number of finite bounds to use, or SIZE_MAX when the list is invalid. */
static size_t check_bounds(const double *bounds, size_t nbounds)
{
	if (nbounds > 0 && !bounds)
		return SIZE_MAX;
	if (nbounds > 0 && isinf(bounds[nbounds - 1]) && bounds[nbounds - 1] > 0)
		nbounds--;
	for (size_t i = 0; i < nbounds; i++) {
		if (!isfinite(bounds[i]))
			return SIZE_MAX;
		if (i > 0 && !(bounds[i] > bounds[i - 1]))
			return SIZE_MAX;
	}
	if (nbounds > 4096)
		return SIZE_MAX;
	return nbounds;
}

static pvf_metric *series_new(const family *f, char *labels)
{
	size_t nb = f->kind == KIND_HISTOGRAM ? f->nbounds + 1 : 0;
	pvf_metric *s = calloc(1, sizeof(*s) + nb * sizeof(s->buckets[0]));

	if (!s)
		return NULL;
	s->fam = f;
	s->kind = f->kind;
	s->labels = labels;
	atomic_init(&s->counter, 0);
	atomic_init(&s->gauge, 0);
	atomic_init(&s->sum_bits, 0); /* all-zero bits are +0.0 */
	for (size_t i = 0; i < nb; i++)
		atomic_init(&s->buckets[i], 0);
	return s;
}

static pvf_metric *reg(pvf_metrics *m, const char *name, const char *help, const char *labels,
		       metric_kind kind, const double *bounds, size_t nbounds)
{
	pvf_metric *s = NULL;
	family *f;
	char *canon;

	if (!m || !name_ok(name, true))
		return NULL;
	if (kind == KIND_HISTOGRAM) {
		nbounds = check_bounds(bounds, nbounds);
		if (nbounds == SIZE_MAX)
			return NULL;
	}
	canon = canonical_labels(labels, kind == KIND_HISTOGRAM);
	if (!canon)
		return NULL;

	pthread_mutex_lock(&m->lock);
	for (f = m->first; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			break;
	if (f) {
		if (f->kind != kind)
			goto out;
		if (kind == KIND_HISTOGRAM &&
		    (f->nbounds != nbounds ||
		     (nbounds > 0 && memcmp(f->bounds, bounds, nbounds * sizeof(double)) != 0)))
			goto out;
		for (s = f->first; s; s = s->next)
			if (strcmp(s->labels, canon) == 0)
				goto out;
	} else {
		f = family_new(name, help, kind, bounds, nbounds);
		if (!f)
			goto out;
		if (m->last)
			m->last->next = f;
		else
			m->first = f;
		m->last = f;
	}
	s = series_new(f, canon);
	if (s) {
		canon = NULL;
		if (f->last)
			f->last->next = s;
		else
			f->first = s;
		f->last = s;
	}
out:
	pthread_mutex_unlock(&m->lock);
	free(canon);
	return s;
}

pvf_metric *pvf_metrics_counter(pvf_metrics *m, const char *name, const char *help, const char *labels)
{
	return reg(m, name, help, labels, KIND_COUNTER, NULL, 0);
}

pvf_metric *pvf_metrics_gauge(pvf_metrics *m, const char *name, const char *help, const char *labels)
{
	return reg(m, name, help, labels, KIND_GAUGE, NULL, 0);
}

pvf_metric *pvf_metrics_histogram(pvf_metrics *m, const char *name, const char *help, const char *labels,
				  const double *bounds, size_t nbounds)
{
	return reg(m, name, help, labels, KIND_HISTOGRAM, bounds, nbounds);
}

/* ---- updates --------------------------------------------------------- */

void pvf_metric_add(pvf_metric *c, uint64_t n)
{
	if (c && c->kind == KIND_COUNTER)
		atomic_fetch_add_explicit(&c->counter, n, memory_order_relaxed);
}

void pvf_metric_set(pvf_metric *g, int64_t v)
{
	if (g && g->kind == KIND_GAUGE)
		atomic_store_explicit(&g->gauge, v, memory_order_relaxed);
}

void pvf_metric_gauge_add(pvf_metric *g, int64_t d)
{
	if (g && g->kind == KIND_GAUGE)
		atomic_fetch_add_explicit(&g->gauge, d, memory_order_relaxed);
}

void pvf_metric_observe(pvf_metric *h, double v)
{
	size_t lo, hi;
	uint64_t old, nw;

	if (!h || h->kind != KIND_HISTOGRAM || isnan(v))
		return;
	/* First bound >= v; nbounds (the +Inf bucket) when there is none. */
	lo = 0;
	hi = h->fam->nbounds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->fam->bounds[mid] >= v)
			hi = mid;
		else
			lo = mid + 1;
	}
	atomic_fetch_add_explicit(&h->buckets[lo], 1, memory_order_relaxed);

	old = atomic_load_explicit(&h->sum_bits, memory_order_relaxed);
	do {
		double d;

		memcpy(&d, &old, sizeof(d));
		d += v;
		memcpy(&nw, &d, sizeof(nw));
	} while (!atomic_compare_exchange_weak_explicit(&h->sum_bits, &old, nw, memory_order_relaxed,
							 memory_order_relaxed));
}

uint64_t pvf_metric_value(const pvf_metric *c)
{
	uint64_t total = 0;

	if (!c)
		return 0;
	switch (c->kind) {
	case KIND_COUNTER:
		return atomic_load_explicit(&c->counter, memory_order_relaxed);
	case KIND_GAUGE:
		return (uint64_t)atomic_load_explicit(&c->gauge, memory_order_relaxed);
	case KIND_HISTOGRAM:
		for (size_t i = 0; i <= c->fam->nbounds; i++)
			total += atomic_load_explicit(&c->buckets[i], memory_order_relaxed);
		return total;
	}
	return 0;
}

double pvf_metric_sum(const pvf_metric *h)
{
	uint64_t bits;
	double d;

	if (!h || h->kind != KIND_HISTOGRAM)
		return 0;
	bits = atomic_load_explicit(&h->sum_bits, memory_order_relaxed);
	memcpy(&d, &bits, sizeof(d));
	return d;
}

/* ---- rendering ------------------------------------------------------- */

static const char *kind_name(metric_kind k)
{
	return k == KIND_COUNTER ? "counter" : k == KIND_GAUGE ? "gauge" : "histogram";
}

/* `name[suffix]{labels[,extra]}` — braces only when there is a label. */
static void put_series_name(sbuf *b, const char *name, const char *suffix, const char *labels,
			    const char *extra)
{
	sb_puts(b, name);
	sb_puts(b, suffix);
	if (!*labels && !extra)
		return;
	sb_putc(b, '{');
	sb_puts(b, labels);
	if (extra) {
		if (*labels)
			sb_putc(b, ',');
		sb_puts(b, extra);
	}
	sb_putc(b, '}');
}

static void render_histogram(sbuf *b, const family *f, const pvf_metric *s)
{
	uint64_t cum = 0;
	sbuf le = { 0 };

	for (size_t i = 0; i <= f->nbounds; i++) {
		le.len = 0;
		sb_puts(&le, "le=\"");
		if (i < f->nbounds)
			sb_float(&le, f->bounds[i]);
		else
			sb_puts(&le, "+Inf");
		sb_putc(&le, '"');
		if (le.failed) {
			b->failed = true;
			break;
		}
		cum += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
		put_series_name(b, f->name, "_bucket", s->labels, le.data);
		sb_printf(b, " %" PRIu64 "\n", cum);
	}
	free(le.data);
	put_series_name(b, f->name, "_sum", s->labels, NULL);
	sb_putc(b, ' ');
	sb_float(b, pvf_metric_sum(s));
	sb_putc(b, '\n');
	put_series_name(b, f->name, "_count", s->labels, NULL);
	sb_printf(b, " %" PRIu64 "\n", cum);
}

int pvf_metrics_render(pvf_metrics *m, char **text, size_t *len, pvf_error *err)
{
	sbuf b = { 0 };

	if (!m || !text)
		return pvf_error_set(err, PVF_E_USAGE, "metrics: no registry or output");
	sb_reserve(&b, 4096);

	pthread_mutex_lock(&m->lock);
	for (const family *f = m->first; f && !b.failed; f = f->next) {
		if (f->help) {
			sb_puts(&b, "# HELP ");
			sb_puts(&b, f->name);
			sb_putc(&b, ' ');
			for (const char *p = f->help; *p; p++) {
				if (*p == '\\')
					sb_puts(&b, "\\\\");
				else if (*p == '\n')
					sb_puts(&b, "\\n");
				else
					sb_putc(&b, *p);
			}
			sb_putc(&b, '\n');
		}
		sb_puts(&b, "# TYPE ");
		sb_puts(&b, f->name);
		sb_putc(&b, ' ');
		sb_puts(&b, kind_name(f->kind));
		sb_putc(&b, '\n');
		for (const pvf_metric *s = f->first; s; s = s->next) {
			switch (f->kind) {
			case KIND_COUNTER:
				put_series_name(&b, f->name, "", s->labels, NULL);
				sb_printf(&b, " %" PRIu64 "\n",
					  atomic_load_explicit(&s->counter, memory_order_relaxed));
				break;
			case KIND_GAUGE:
				put_series_name(&b, f->name, "", s->labels, NULL);
				sb_printf(&b, " %" PRId64 "\n",
					  atomic_load_explicit(&s->gauge, memory_order_relaxed));
				break;
			case KIND_HISTOGRAM:
				render_histogram(&b, f, s);
				break;
			}
		}
	}
	pthread_mutex_unlock(&m->lock);

	if (b.failed) {
		free(b.data);
		return pvf_error_set(err, PVF_E_NOMEM, "metrics: out of memory rendering the registry");
	}
	*text = b.data;
	if (len)
		*len = b.len;
	return 0;
}
