/* test_metrics.c — the metrics registry (exposition text, labels, histograms, concurrent updates)
 * and the HTTP scrape endpoint (status codes, headers, bad input, limits). */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/metrics.h"
#include <stdbool.h>

#include "daemon/metrics_http.h"

/* Renders m, checks the length, returns the text (caller frees). */
static char *render(pvf_metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	pvf_error e;

	assert_int_equal(pvf_metrics_render(m, &text, &len, &e), 0);
	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	return text;
}

/* ---- exposition text ------------------------------------------------- */

static void test_render_exact(void **state)
{
	static const double bounds[] = { 0.25, 0.5, 1 };
	pvf_metrics *m = pvf_metrics_new();
	pvf_metric *jobs, *high, *low, *io, *trap, *dur, *nohelp;
	char *text;

	(void)state;
	assert_non_null(m);
	jobs = pvf_metrics_counter(m, "pvf_jobs_total", "Jobs run.", NULL);
	high = pvf_metrics_gauge(m, "pvf_queue_depth", "Jobs waiting.", "priority=\"high\"");
	io = pvf_metrics_counter(m, "pvf_errors_total", "Errors by class.", "class=\"internal\",code=\"io\"");
	/* Registered after another family: still rendered with its own. */
	low = pvf_metrics_gauge(m, "pvf_queue_depth", "ignored: the first help text stays", "priority=\"low\"");
	/* Labels out of order and with blanks: written sorted and tight. */
	trap = pvf_metrics_counter(m, "pvf_errors_total", NULL, " code = \"trap\" , class=\"deterministic\" ");
	dur = pvf_metrics_histogram(m, "pvf_duration_seconds", "Job time.", "kind=\"execute\"", bounds, 3);
	nohelp = pvf_metrics_gauge(m, "pvf_no_help", NULL, "");
	assert_non_null(jobs);
	assert_non_null(high);
	assert_non_null(io);
	assert_non_null(low);
	assert_non_null(trap);
	assert_non_null(dur);
	assert_non_null(nohelp);
	assert_non_null(pvf_metrics_counter(m, "pvf_help_escapes", "Line one\nback\\slash", NULL));

	pvf_metric_add(jobs, 3);
	pvf_metric_set(high, 5);
	pvf_metric_set(low, 1);
	pvf_metric_gauge_add(low, -3);
	pvf_metric_add(io, 1);
	pvf_metric_add(trap, 2);
	/* 0.25 is on a bound: "le" means less than or equal. */
	pvf_metric_observe(dur, 0.125);
	pvf_metric_observe(dur, 0.25);
	pvf_metric_observe(dur, 0.375);
	pvf_metric_observe(dur, 3);

	text = render(m);
	assert_string_equal(text,
		"# HELP pvf_jobs_total Jobs run.\n"
		"# TYPE pvf_jobs_total counter\n"
		"pvf_jobs_total 3\n"
		"# HELP pvf_queue_depth Jobs waiting.\n"
		"# TYPE pvf_queue_depth gauge\n"
		"pvf_queue_depth{priority=\"high\"} 5\n"
		"pvf_queue_depth{priority=\"low\"} -2\n"
		"# HELP pvf_errors_total Errors by class.\n"
		"# TYPE pvf_errors_total counter\n"
		"pvf_errors_total{class=\"internal\",code=\"io\"} 1\n"
		"pvf_errors_total{class=\"deterministic\",code=\"trap\"} 2\n"
		"# HELP pvf_duration_seconds Job time.\n"
		"# TYPE pvf_duration_seconds histogram\n"
		"pvf_duration_seconds_bucket{kind=\"execute\",le=\"0.25\"} 2\n"
		"pvf_duration_seconds_bucket{kind=\"execute\",le=\"0.5\"} 3\n"
		"pvf_duration_seconds_bucket{kind=\"execute\",le=\"1\"} 3\n"
		"pvf_duration_seconds_bucket{kind=\"execute\",le=\"+Inf\"} 4\n"
		"pvf_duration_seconds_sum{kind=\"execute\"} 3.75\n"
		"pvf_duration_seconds_count{kind=\"execute\"} 4\n"
		"# TYPE pvf_no_help gauge\n"
		"pvf_no_help 0\n"
		"# HELP pvf_help_escapes Line one\\nback\\\\slash\n"
		"# TYPE pvf_help_escapes counter\n"
		"pvf_help_escapes 0\n");
	free(text);

	assert_int_equal(pvf_metric_value(jobs), 3);
	assert_int_equal((int64_t)pvf_metric_value(low), -2);
	assert_int_equal(pvf_metric_value(dur), 4);
	assert_true(pvf_metric_sum(dur) == 3.75);
	pvf_metrics_free(m);
}

static void test_empty_registry_and_histogram_without_labels(void **state)
{
	pvf_metrics *m = pvf_metrics_new();
	pvf_metric *h;
	char *text;

	(void)state;
	text = render(m);
	assert_string_equal(text, "");
	free(text);

	/* No bounds: only the +Inf bucket. A trailing +Inf bound is the same
	 * histogram. */
	h = pvf_metrics_histogram(m, "t_seconds", "T.", NULL, NULL, 0);
	assert_non_null(h);
	assert_ptr_equal(pvf_metrics_histogram(m, "t_seconds", "T.", NULL, (const double[]){ INFINITY }, 1), h);
	pvf_metric_observe(h, -0.5);
	pvf_metric_observe(h, 1e300);
	text = render(m);
	assert_string_equal(text,
		"# HELP t_seconds T.\n"
		"# TYPE t_seconds histogram\n"
		"t_seconds_bucket{le=\"+Inf\"} 2\n"
		"t_seconds_sum 1e+300\n"
		"t_seconds_count 2\n");
	free(text);
	pvf_metrics_free(m);
}

static void test_histogram_buckets(void **state)
{
	static const double bounds[] = { 1, 2, 3 };
	pvf_metrics *m = pvf_metrics_new();
	pvf_metric *h = pvf_metrics_histogram(m, "h", NULL, "a=\"b\"", bounds, 3);
	const double obs[] = { 0, 1, 1.5, 2, 3, 3.5, -1, 100, NAN };
	char *text;

	(void)state;
	assert_non_null(h);
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		pvf_metric_observe(h, obs[i]);
	/* le=1: 0, 1, -1; le=2: + 1.5, 2; le=3: + 3; +Inf: + 3.5, 100. NaN
	 * is ignored. Sum 0+1+1.5+2+3+3.5-1+100 = 110. */
	text = render(m);
	assert_string_equal(text,
		"# TYPE h histogram\n"
		"h_bucket{a=\"b\",le=\"1\"} 3\n"
		"h_bucket{a=\"b\",le=\"2\"} 5\n"
		"h_bucket{a=\"b\",le=\"3\"} 6\n"
		"h_bucket{a=\"b\",le=\"+Inf\"} 8\n"
		"h_sum{a=\"b\"} 110\n"
		"h_count{a=\"b\"} 8\n");
	free(text);
	pvf_metrics_free(m);
}

static void test_standard_buckets(void **state)
{
	pvf_metrics *m = pvf_metrics_new();
	pvf_metric *p, *x;
	char *text;

	(void)state;
	assert_true(pvf_metrics_prepare_nbuckets >= 8);
	assert_true(pvf_metrics_execute_nbuckets >= 8);
	assert_true(pvf_metrics_prepare_buckets[0] == 0.1);
	assert_true(pvf_metrics_prepare_buckets[pvf_metrics_prepare_nbuckets - 1] == 600);
	assert_true(pvf_metrics_execute_buckets[0] == 0.0001);
	assert_true(pvf_metrics_execute_buckets[pvf_metrics_execute_nbuckets - 1] == 30);
	p = pvf_metrics_histogram(m, "p", NULL, NULL, pvf_metrics_prepare_buckets, pvf_metrics_prepare_nbuckets);
	x = pvf_metrics_histogram(m, "x", NULL, NULL, pvf_metrics_execute_buckets, pvf_metrics_execute_nbuckets);
	assert_non_null(p); /* ascending, or registration would refuse them */
	assert_non_null(x);
	pvf_metric_observe(x, 0.0001);
	text = render(m);
	/* Bounds are written in their shortest form. */
	assert_non_null(strstr(text, "\np_bucket{le=\"0.1\"} 0\n"));
	assert_non_null(strstr(text, "\np_bucket{le=\"600\"} 0\n"));
	assert_non_null(strstr(text, "\nx_bucket{le=\"0.0001\"} 1\n"));
	assert_non_null(strstr(text, "\nx_bucket{le=\"30\"} 1\n"));
	assert_non_null(strstr(text, "\nx_sum 0.0001\n"));
	free(text);
	pvf_metrics_free(m);
}

/* Numbers as Go's strconv writes them (what Prometheus clients print):
 * shortest round-trip digits, exponent form below 1e-4 and from 1e6 up. */
static void test_float_format(void **state)
{
	static const double bounds[] = { 1e-05, 0.00012, 0.30000000000000004, 123456, 1e6, 1234567 };
	pvf_metrics *m = pvf_metrics_new();
	pvf_metric *h = pvf_metrics_histogram(m, "f", NULL, NULL, bounds, 6);
	char *text;

	(void)state;
	assert_non_null(h);
	pvf_metric_observe(h, -2.5);
	text = render(m);
	assert_string_equal(text,
		"# TYPE f histogram\n"
		"f_bucket{le=\"1e-05\"} 1\n"
		"f_bucket{le=\"0.00012\"} 1\n"
		"f_bucket{le=\"0.30000000000000004\"} 1\n"
		"f_bucket{le=\"123456\"} 1\n"
		"f_bucket{le=\"1e+06\"} 1\n"
		"f_bucket{le=\"1.234567e+06\"} 1\n"
		"f_bucket{le=\"+Inf\"} 1\n"
		"f_sum -2.5\n"
		"f_count 1\n");
	free(text);
	pvf_metrics_free(m);
}

/* ---- registration ---------------------------------------------------- */

static void test_registration_rules(void **state)
{
	static const double b12[] = { 1, 2 };
	pvf_metrics *m = pvf_metrics_new();
	pvf_metric *c, *h;

	(void)state;
	c = pvf_metrics_counter(m, "a:b_c9", "x", "k=\"v\"");
	assert_non_null(c);
	/* The same series, however the labels are spaced. */
	assert_ptr_equal(pvf_metrics_counter(m, "a:b_c9", "x", "k=\"v\""), c);
	assert_ptr_equal(pvf_metrics_counter(m, "a:b_c9", NULL, " k = \"v\" ,"), c);
	assert_ptr_not_equal(pvf_metrics_counter(m, "a:b_c9", NULL, "k=\"w\""), c);
	/* Another type under the same name. */
	assert_null(pvf_metrics_gauge(m, "a:b_c9", "x", "k=\"v\""));
	assert_null(pvf_metrics_histogram(m, "a:b_c9", "x", NULL, b12, 2));
	/* Histograms: same bounds or nothing. */
	h = pvf_metrics_histogram(m, "h", NULL, NULL, b12, 2);
	assert_non_null(h);
	assert_ptr_equal(pvf_metrics_histogram(m, "h", NULL, NULL, b12, 2), h);
	assert_null(pvf_metrics_histogram(m, "h", NULL, NULL, b12, 1));
	assert_null(pvf_metrics_histogram(m, "h", NULL, NULL, (const double[]){ 1, 3 }, 2));
	assert_non_null(pvf_metrics_histogram(m, "h", NULL, "x=\"1\"", b12, 2));

	/* Bad names. */
	assert_null(pvf_metrics_counter(m, NULL, "x", NULL));
	assert_null(pvf_metrics_counter(m, "", "x", NULL));
	assert_null(pvf_metrics_counter(m, "1abc", "x", NULL));
	assert_null(pvf_metrics_counter(m, "a-b", "x", NULL));
	assert_null(pvf_metrics_counter(m, "a b", "x", NULL));
	assert_null(pvf_metrics_counter(m, "caf\xc3\xa9", "x", NULL));
	assert_non_null(pvf_metrics_counter(m, ":colon_first", "x", NULL));
	assert_non_null(pvf_metrics_counter(m, "_under9", "x", NULL));

	/* Bad label text. */
	const char *bad[] = {
		"k=v",                  /* unquoted */
		"k=\"unterminated",
		"k=\"escaped end\\\"",
		"=\"v\"",
		"9k=\"v\"",
		"k:x=\"v\"",            /* no colons in label names */
		"__k=\"v\"",            /* reserved */
		"k=\"1\",k=\"2\"",      /* twice */
		"a=\"1\" b=\"2\"",      /* no comma */
		"a=\"1\",,b=\"2\"",
		"a=\"1\"x",
		"k\"v\"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(pvf_metrics_counter(m, "lbl", NULL, bad[i]));
	/* "le" is taken in histograms only. */
	assert_null(pvf_metrics_histogram(m, "hl", NULL, "le=\"1\"", b12, 2));
	assert_non_null(pvf_metrics_counter(m, "cl", NULL, "le=\"1\""));

	/* Bad bounds. */
	assert_null(pvf_metrics_histogram(m, "hb", NULL, NULL, (const double[]){ 2, 1 }, 2));
	assert_null(pvf_metrics_histogram(m, "hb", NULL, NULL, (const double[]){ 1, 1 }, 2));
	assert_null(pvf_metrics_histogram(m, "hb", NULL, NULL, (const double[]){ 1, NAN }, 2));
	assert_null(pvf_metrics_histogram(m, "hb", NULL, NULL, (const double[]){ -INFINITY, 1 }, 2));
	assert_null(pvf_metrics_histogram(m, "hb", NULL, NULL, (const double[]){ INFINITY, 1 }, 2));
	assert_null(pvf_metrics_histogram(m, "hb", NULL, NULL, NULL, 2));
	/* A rejected registration leaves no trace. */
	{
		char *text = render(m);

		assert_null(strstr(text, "hb"));
		assert_null(strstr(text, "lbl"));
		assert_null(strstr(text, "hl"));
		free(text);
	}
	pvf_metrics_free(m);
}

static void test_label_value_escaping(void **state)
{
	pvf_metrics *m = pvf_metrics_new();
	char v[128], labels[160], *text;
	int n;

	(void)state;
	/* The helper: backslash, quote and newline. */
	n = pvf_metrics_label_escape(v, sizeof(v), "say \"hi\"\n\\o/");
	assert_string_equal(v, "say \\\"hi\\\"\\n\\\\o/");
	assert_int_equal(n, (int)strlen(v));
	assert_int_equal(pvf_metrics_label_escape(NULL, 0, "a\"b"), 4);
	snprintf(labels, sizeof(labels), "msg=\"%s\"", v);
	assert_non_null(pvf_metrics_counter(m, "esc", NULL, labels));
	/* Label text written by hand: a raw newline and a backslash that
	 * starts no escape get escaped; valid escapes stay. */
	assert_non_null(pvf_metrics_counter(m, "esc", NULL, "msg=\"a\nb\\qc\\\\d\\\"e\""));
	text = render(m);
	assert_string_equal(text,
		"# TYPE esc counter\n"
		"esc{msg=\"say \\\"hi\\\"\\n\\\\o/\"} 0\n"
		"esc{msg=\"a\\nb\\\\qc\\\\d\\\"e\"} 0\n");
	free(text);
	pvf_metrics_free(m);
}

static void test_null_and_wrong_kind(void **state)
{
	pvf_metrics *m = pvf_metrics_new();
	pvf_metric *c = pvf_metrics_counter(m, "c", NULL, NULL);
	pvf_metric *g = pvf_metrics_gauge(m, "g", NULL, NULL);
	pvf_metric *h = pvf_metrics_histogram(m, "h", NULL, NULL, (const double[]){ 1 }, 1);
	char *text = (char *)"untouched";
	pvf_error e;

	(void)state;
	/* A host without metrics passes NULL everywhere. */
	pvf_metric_add(NULL, 1);
	pvf_metric_set(NULL, 1);
	pvf_metric_gauge_add(NULL, 1);
	pvf_metric_observe(NULL, 1);
	assert_int_equal(pvf_metric_value(NULL), 0);
	assert_true(pvf_metric_sum(NULL) == 0);
	assert_null(pvf_metrics_counter(NULL, "c", NULL, NULL));
	assert_null(pvf_metrics_gauge(NULL, "g", NULL, NULL));
	assert_null(pvf_metrics_histogram(NULL, "h", NULL, NULL, NULL, 0));
	assert_int_equal(pvf_metrics_render(NULL, &text, NULL, &e), -1);
	assert_int_equal(e.code, PVF_E_USAGE);
	assert_string_equal(text, "untouched");
	assert_int_equal(pvf_metrics_render(m, NULL, NULL, NULL), -1);
	pvf_metrics_free(NULL);

	/* An update of the wrong kind does nothing. */
	pvf_metric_set(c, 5);
	pvf_metric_gauge_add(c, 5);
	pvf_metric_observe(c, 5);
	pvf_metric_add(g, 5);
	pvf_metric_observe(g, 5);
	pvf_metric_add(h, 5);
	pvf_metric_set(h, 5);
	assert_int_equal(pvf_metric_value(c), 0);
	assert_int_equal(pvf_metric_value(g), 0);
	assert_int_equal(pvf_metric_value(h), 0);
	assert_true(pvf_metric_sum(c) == 0);
	pvf_metrics_free(m);
}

/* ---- concurrency ----------------------------------------------------- */

#define THREADS 8
#define ROUNDS 50000

typedef struct shared {
	pvf_metrics *m;
	pvf_metric *c, *g, *h;
} shared;

static void *hammer(void *arg)
{
	shared *s = arg;

	for (int i = 0; i < ROUNDS; i++) {
		pvf_metric_add(s->c, 1);
		pvf_metric_gauge_add(s->g, 2);
		pvf_metric_gauge_add(s->g, -1);
		pvf_metric_observe(s->h, (i & 1) ? 0.5 : 2);
		/* Registration of the same series races with the updates. */
		if (i % 5000 == 0)
			assert_ptr_equal(pvf_metrics_counter(s->m, "c_total", NULL, "t=\"x\""), s->c);
	}
	return NULL;
}

/* Renders while the updates run: every snapshot must be self-consistent
 * (+Inf bucket == count). */
static void *scraper(void *arg)
{
	shared *s = arg;

	for (int i = 0; i < 50; i++) {
		char *text = NULL, *inf, *count;
		unsigned long long a, b;

		assert_int_equal(pvf_metrics_render(s->m, &text, NULL, NULL), 0);
		inf = strstr(text, "h_bucket{le=\"+Inf\"} ");
		count = strstr(text, "h_count ");
		assert_non_null(inf);
		assert_non_null(count);
		a = strtoull(inf + strlen("h_bucket{le=\"+Inf\"} "), NULL, 10);
		b = strtoull(count + strlen("h_count "), NULL, 10);
		assert_true(a == b);
		free(text);
	}
	return NULL;
}

static void test_concurrent_updates(void **state)
{
	shared s;
	pthread_t th[THREADS], sc;
	char *text, want[256];

	(void)state;
	s.m = pvf_metrics_new();
	s.c = pvf_metrics_counter(s.m, "c_total", NULL, "t=\"x\"");
	s.g = pvf_metrics_gauge(s.m, "g", NULL, NULL);
	s.h = pvf_metrics_histogram(s.m, "h", NULL, NULL, (const double[]){ 1 }, 1);
	assert_int_equal(pthread_create(&sc, NULL, scraper, &s), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &s), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_join(sc, NULL);

	assert_int_equal(pvf_metric_value(s.c), THREADS * ROUNDS);
	assert_int_equal(pvf_metric_value(s.g), THREADS * ROUNDS);
	assert_int_equal(pvf_metric_value(s.h), THREADS * ROUNDS);
	/* Half the observations 0.5, half 2: the sum is exact in binary. */
	assert_true(pvf_metric_sum(s.h) == THREADS * (ROUNDS / 2) * 2.5);
	text = render(s.m);
	snprintf(want, sizeof(want),
		 "# TYPE c_total counter\nc_total{t=\"x\"} %d\n"
		 "# TYPE g gauge\ng %d\n"
		 "# TYPE h histogram\nh_bucket{le=\"1\"} %d\nh_bucket{le=\"+Inf\"} %d\nh_sum %d\nh_count %d\n",
		 THREADS * ROUNDS, THREADS * ROUNDS, THREADS * ROUNDS / 2, THREADS * ROUNDS,
		 THREADS * (ROUNDS / 2) * 5 / 2, THREADS * ROUNDS);
	assert_string_equal(text, want);
	free(text);
	pvf_metrics_free(s.m);
}

/* ---- HTTP endpoint --------------------------------------------------- */

static int render_registry(void *ctx, char **text, size_t *len)
{
	return pvf_metrics_render(ctx, text, len, NULL);
}

static int render_fails(void *ctx, char **text, size_t *len)
{
	(void)ctx;
	(void)text;
	(void)len;
	return -1;
}

static int connect_to(int family, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	struct timeval tv = { .tv_sec = 15 };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	}
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, sl), 0);
	return fd;
}

/* Reads until the server closes; returns the malloc'd bytes. */
static char *read_all(int fd, size_t *out_len)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (;;) {
		ssize_t r;

		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		assert_true(r >= 0); /* a timeout or a reset fails the test */
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out_len = len;
	return buf;
}

/* Sends a raw request and returns the whole response. */
static char *http(int family, int port, const char *req, size_t req_len, size_t *resp_len)
{
	int fd = connect_to(family, port);
	char *resp;

	assert_int_equal(send(fd, req, req_len, MSG_NOSIGNAL), (ssize_t)req_len);
	resp = read_all(fd, resp_len);
	close(fd);
	return resp;
}

/* The parts of a response. */
typedef struct response {
	int status;
	char content_type[128];
	long content_length;
	bool conn_close;
	bool allow;
	const char *body;
	size_t body_len;
} response;

static response parse_response(const char *text, size_t len)
{
	response r = { .content_length = -1 };
	const char *p = text, *end;

	assert_true(len > 12);
	assert_int_equal(strncmp(text, "HTTP/1.1 ", 9), 0);
	r.status = atoi(text + 9);
	end = strstr(text, "\r\n\r\n");
	assert_non_null(end);
	p = strstr(text, "\r\n") + 2;
	while (p < end) {
		const char *nl = strstr(p, "\r\n");

		if (strncmp(p, "Content-Type: ", 14) == 0) {
			size_t n = (size_t)(nl - p - 14);

			assert_true(n < sizeof(r.content_type));
			memcpy(r.content_type, p + 14, n);
			r.content_type[n] = '\0';
		} else if (strncmp(p, "Content-Length: ", 16) == 0) {
			r.content_length = strtol(p + 16, NULL, 10);
		} else if (strncmp(p, "Connection: close\r\n", 19) == 0) {
			r.conn_close = true;
		} else if (strncmp(p, "Allow: GET, HEAD\r\n", 18) == 0) {
			r.allow = true;
		}
		p = nl + 2;
	}
	r.body = end + 4;
	r.body_len = len - (size_t)(r.body - text);
	return r;
}

static response fetch(int port, const char *req, char **keep)
{
	size_t len;
	char *text = http(AF_INET, port, req, strlen(req), &len);

	*keep = text;
	return parse_response(text, len);
}

static void test_http_metrics(void **state)
{
	pvf_metrics *m = pvf_metrics_new();
	pvf_metrics_http *h = NULL;
	pvf_error e;
	char *keep, *want;
	response r;
	int port;

	(void)state;
	pvf_metric_add(pvf_metrics_counter(m, "pvfhost_cache_hits_total", "Cache hits.", NULL), 7);
	pvf_metric_set(pvf_metrics_gauge(m, "pvfhost_execute_queue_depth", "Queued.", "priority=\"backing\""), 2);
	want = render(m);

	assert_int_equal(pvf_metrics_http_start("127.0.0.1:0", render_registry, m, &h, &e), 0);
	port = pvf_metrics_http_port(h);
	assert_true(port > 0 && port < 65536);

	r = fetch(port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n", &keep);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/plain; version=0.0.4");
	assert_true(r.conn_close);
	assert_int_equal(r.content_length, (long)strlen(want));
	assert_int_equal(r.body_len, strlen(want));
	assert_memory_equal(r.body, want, strlen(want));
	free(keep);

	/* HTTP/1.0, no headers, a query string, bare LF line ends. */
	r = fetch(port, "GET /metrics?x=1 HTTP/1.0\n\n", &keep);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, strlen(want));
	free(keep);

	/* HEAD: the headers only. */
	r = fetch(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &keep);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.content_length, (long)strlen(want));
	assert_int_equal(r.body_len, 0);
	free(keep);

	/* The values are read at each scrape. */
	pvf_metric_add(pvf_metrics_counter(m, "pvfhost_cache_hits_total", NULL, NULL), 1);
	r = fetch(port, "GET /metrics HTTP/1.1\r\n\r\n", &keep);
	assert_non_null(strstr(r.body, "\npvfhost_cache_hits_total 8\n"));
	free(keep);

	pvf_metrics_http_stop(h);
	free(want);
	pvf_metrics_free(m);
}

static void test_http_errors(void **state)
{
	pvf_metrics *m = pvf_metrics_new();
	pvf_metrics_http *h = NULL;
	char *keep, *big;
	response r;
	int port;
	size_t len;

	(void)state;
	assert_int_equal(pvf_metrics_http_start(":0", render_registry, m, &h, NULL), 0);
	port = pvf_metrics_http_port(h);

	r = fetch(port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", &keep);
	assert_int_equal(r.status, 404);
	assert_true(r.conn_close);
	assert_int_equal(r.content_length, (long)r.body_len);
	free(keep);
	r = fetch(port, "GET /metricsx HTTP/1.1\r\n\r\n", &keep);
	assert_int_equal(r.status, 404);
	free(keep);

	/* Another method, with a body the server never reads. */
	r = fetch(port, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", &keep);
	assert_int_equal(r.status, 405);
	assert_true(r.allow);
	free(keep);
	r = fetch(port, "DELETE /metrics HTTP/1.1\r\n\r\n", &keep);
	assert_int_equal(r.status, 405);
	free(keep);

	/* Garbage of several kinds gets 400. */
	const char *garbage[] = {
		"garbage\r\n\r\n",
		"GET /metrics\r\n\r\n",
		"GET  /metrics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/2.0\r\n\r\n",
		"GET /metrics HTTP/1.1 extra\r\n\r\n",
		"get/metrics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
		"GET /metrics HTTP/1.1\r\n folded: x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n",
		"GET /met\rrics HTTP/1.1\r\n\r\n",
		"\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		r = fetch(port, garbage[i], &keep);
		assert_int_equal(r.status, 400);
		assert_true(r.conn_close);
		free(keep);
	}
	/* Binary input (a TLS hello, a NUL) is answered at once, without
	 * waiting for the end of a head that will never come. */
	{
		static const char tls[] = { 0x16, 0x03, 0x01, 0x00, 0x05 };
		static const char nul[] = { 'G', 'E', 'T', 0, ' ' };
		char *text = http(AF_INET, port, tls, sizeof(tls), &len);

		assert_int_equal(parse_response(text, len).status, 400);
		free(text);
		text = http(AF_INET, port, nul, sizeof(nul), &len);
		assert_int_equal(parse_response(text, len).status, 400);
		free(text);
	}
	/* A malformed request line is answered before the head ends. */
	r = fetch(port, "BLAH\n", &keep);
	assert_int_equal(r.status, 400);
	free(keep);

	/* Over the request cap: 431, and the response still arrives in full
	 * although the server stopped reading. */
	big = malloc(3 * PVF_METRICS_HTTP_REQUEST_MAX);
	assert_non_null(big);
	len = (size_t)sprintf(big, "GET /metrics HTTP/1.1\r\nX-Pad: ");
	memset(big + len, 'a', 2 * PVF_METRICS_HTTP_REQUEST_MAX);
	len += 2 * PVF_METRICS_HTTP_REQUEST_MAX;
	{
		size_t rl;
		char *text = http(AF_INET, port, big, len, &rl);

		assert_int_equal(parse_response(text, rl).status, 431);
		free(text);
	}
	free(big);

	/* Still serving after all that. */
	r = fetch(port, "GET /metrics HTTP/1.1\r\n\r\n", &keep);
	assert_int_equal(r.status, 200);
	free(keep);
	pvf_metrics_http_stop(h);

	/* A failing render callback: 500. */
	assert_int_equal(pvf_metrics_http_start("127.0.0.1:0", render_fails, NULL, &h, NULL), 0);
	r = fetch(pvf_metrics_http_port(h), "GET /metrics HTTP/1.1\r\n\r\n", &keep);
	assert_int_equal(r.status, 500);
	free(keep);
	pvf_metrics_http_stop(h);
	pvf_metrics_free(m);
}

static void test_http_addresses(void **state)
{
	pvf_metrics_http *h = NULL, *h2 = (pvf_metrics_http *)1;
	pvf_error e;
	char addr[64], *keep;
	response r;
	int rc;

	(void)state;
	const char *bad[] = {
		"nope", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:+1",
		"127.0.0.1:80x", "1.2.3.4.5:80", "localhost:80", "::1:80", "[::1]80", "[::1]", "[zz]:1",
		"[]:1", "[127.0.0.1]:1", ":", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h2 = (pvf_metrics_http *)1;
		assert_int_equal(pvf_metrics_http_start(bad[i], render_registry, NULL, &h2, &e), -1);
		assert_int_equal(e.code, PVF_E_USAGE);
		assert_null(h2);
	}
	assert_int_equal(pvf_metrics_http_start(NULL, render_registry, NULL, &h2, &e), -1);
	assert_int_equal(e.code, PVF_E_USAGE);
	assert_int_equal(pvf_metrics_http_start("127.0.0.1:0", NULL, NULL, &h2, &e), -1);
	assert_int_equal(e.code, PVF_E_USAGE);
	assert_int_equal(pvf_metrics_http_start("127.0.0.1:0", render_registry, NULL, NULL, &e), -1);
	assert_int_equal(pvf_metrics_http_port(NULL), -1);
	pvf_metrics_http_stop(NULL);

	/* A port in use. */
	assert_int_equal(pvf_metrics_http_start("127.0.0.1:0", render_fails, NULL, &h, &e), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", pvf_metrics_http_port(h));
	assert_int_equal(pvf_metrics_http_start(addr, render_fails, NULL, &h2, &e), -1);
	assert_int_equal(e.code, PVF_E_IO);
	pvf_metrics_http_stop(h);

	/* IPv6 loopback, where the machine has it. */
	rc = pvf_metrics_http_start("[::1]:0", render_fails, NULL, &h, &e);
	if (rc != 0) {
		assert_int_equal(e.code, PVF_E_IO);
		print_message("no IPv6 loopback here: %s\n", e.msg);
		return;
	}
	{
		size_t len;
		const char *req = "GET /other HTTP/1.1\r\n\r\n";

		keep = http(AF_INET6, pvf_metrics_http_port(h), req, strlen(req), &len);
		r = parse_response(keep, len);
		assert_int_equal(r.status, 404);
		free(keep);
	}
	pvf_metrics_http_stop(h);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Idle connections: they do not block others while there is room, they are
 * closed after the read timeout, and past the cap a new one waits for a
 * slot. */
static void test_http_idle_connections(void **state)
{
	pvf_metrics *m = pvf_metrics_new();
	pvf_metrics_http *h = NULL;
	int idle[PVF_METRICS_HTTP_MAX_CONNS];
	struct timespec t0;
	char *keep, *rest;
	response r;
	size_t len;
	int port;

	(void)state;
	assert_int_equal(pvf_metrics_http_start("127.0.0.1:0", render_registry, m, &h, NULL), 0);
	port = pvf_metrics_http_port(h);

	/* One idle connection with half a request: others are served. */
	idle[0] = connect_to(AF_INET, port);
	assert_int_equal(send(idle[0], "GET /metr", 9, MSG_NOSIGNAL), 9);
	r = fetch(port, "GET /metrics HTTP/1.1\r\n\r\n", &keep);
	assert_int_equal(r.status, 200);
	free(keep);

	/* Fill every slot; the next request waits until the idle ones time
	 * out, then gets its answer. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 1; i < PVF_METRICS_HTTP_MAX_CONNS; i++)
		idle[i] = connect_to(AF_INET, port);
	usleep(100 * 1000); /* let the server accept them all */
	r = fetch(port, "GET /metrics HTTP/1.1\r\n\r\n", &keep);
	assert_int_equal(r.status, 200);
	free(keep);
	assert_true(seconds_since(&t0) >= PVF_METRICS_HTTP_TIMEOUT_MS / 1000.0 - 0.5);
	assert_true(seconds_since(&t0) < PVF_METRICS_HTTP_TIMEOUT_MS / 1000.0 + 5);
	/* The idle ones were closed without a response. */
	for (int i = 0; i < PVF_METRICS_HTTP_MAX_CONNS; i++) {
		rest = read_all(idle[i], &len);
		assert_int_equal(len, 0);
		free(rest);
		close(idle[i]);
	}
	pvf_metrics_http_stop(h);
	pvf_metrics_free(m);
}

/* Stopping with connections open closes them. */
static void test_http_stop_with_open_connections(void **state)
{
	pvf_metrics_http *h = NULL;
	int fd;
	char *rest;
	size_t len;

	(void)state;
	assert_int_equal(pvf_metrics_http_start("127.0.0.1:0", render_fails, NULL, &h, NULL), 0);
	fd = connect_to(AF_INET, pvf_metrics_http_port(h));
	assert_int_equal(send(fd, "GET /", 5, MSG_NOSIGNAL), 5);
	usleep(50 * 1000);
	pvf_metrics_http_stop(h);
	rest = read_all(fd, &len);
	assert_int_equal(len, 0);
	free(rest);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_exact),
		cmocka_unit_test(test_empty_registry_and_histogram_without_labels),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_standard_buckets),
		cmocka_unit_test(test_float_format),
		cmocka_unit_test(test_registration_rules),
		cmocka_unit_test(test_label_value_escaping),
		cmocka_unit_test(test_null_and_wrong_kind),
		cmocka_unit_test(test_concurrent_updates),
		cmocka_unit_test(test_http_metrics),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_http_addresses),
		cmocka_unit_test(test_http_idle_connections),
		cmocka_unit_test(test_http_stop_with_open_connections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
