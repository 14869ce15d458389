/* test_log.c — log lines: format, levels, quoting of hostile text, truncation, concurrent writers. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/log.h"

/* A pipe whose read end does not block, so "nothing was written" is EAGAIN. */
typedef struct pipe_pair {
	int r, w;
} pipe_pair;

static pipe_pair open_pipe(void)
{
	int fds[2];

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	return (pipe_pair){ fds[0], fds[1] };
}

static void close_pipe(pipe_pair p)
{
	pvf_log_set(2, PVF_LOG_WARN);
	close(p.r);
	close(p.w);
}

/* Reads what is in the pipe (a line is written with one write, so it is all
 * there); returns the byte count, 0 when the pipe is empty. */
static size_t drain(int fd, char *buf, size_t n)
{
	ssize_t r = read(fd, buf, n - 1);

	if (r < 0) {
		assert_int_equal(errno, EAGAIN);
		r = 0;
	}
	buf[r] = '\0';
	return (size_t)r;
}

/* Checks `ts=YYYY-MM-DDTHH:MM:SS.mmmZ ` at the start of line and that the
 * time is within a few seconds of now; returns what follows. */
static const char *check_ts(const char *line)
{
	struct tm tm = { 0 };
	int ms = -1, used = 0;
	time_t t, now = time(NULL);

	assert_int_equal(strncmp(line, "ts=", 3), 0);
	for (int i = 0; i < 24; i++) {
		char c = line[3 + i];

		if (i == 4 || i == 7)
			assert_int_equal(c, '-');
		else if (i == 10)
			assert_int_equal(c, 'T');
		else if (i == 13 || i == 16)
			assert_int_equal(c, ':');
		else if (i == 19)
			assert_int_equal(c, '.');
		else if (i == 23)
			assert_int_equal(c, 'Z');
		else
			assert_true(c >= '0' && c <= '9');
	}
	assert_int_equal(sscanf(line + 3, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
				&tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used),
			 7);
	assert_int_equal(used, 24);
	assert_true(ms >= 0 && ms <= 999);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	assert_true(t >= now - 5 && t <= now + 5);
	assert_int_equal(line[27], ' ');
	return line + 28;
}

static void test_line_format(void **state)
{
	pipe_pair p = open_pipe();
	char buf[4096];
	size_t n;

	(void)state;
	pvf_log_set(p.w, PVF_LOG_INFO);
	pvf_log(PVF_LOG_INFO, "host", "job=%d outcome=%s", 17, "ok");
	n = drain(p.r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(buf[n - 1], '\n');
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
	assert_string_equal(check_ts(buf), "level=info component=host job=17 outcome=ok\n");

	/* Every level's name; a NULL component; an empty caller text leaves
	 * no trailing blank; a trailing newline in the text is not doubled. */
	pvf_log_set(p.w, PVF_LOG_DEBUG);
	pvf_log(PVF_LOG_ERROR, "worker", "a=1");
	drain(p.r, buf, sizeof(buf));
	assert_string_equal(check_ts(buf), "level=error component=worker a=1\n");
	pvf_log(PVF_LOG_WARN, NULL, "b=2\n");
	drain(p.r, buf, sizeof(buf));
	assert_string_equal(check_ts(buf), "level=warn component=- b=2\n");
	pvf_log(PVF_LOG_DEBUG, "cache", "%s", "");
	drain(p.r, buf, sizeof(buf));
	assert_string_equal(check_ts(buf), "level=debug component=cache\n");
	assert_string_equal(pvf_log_level_name(PVF_LOG_INFO), "info");
	close_pipe(p);
}

static void test_level_filtering(void **state)
{
	pipe_pair p = open_pipe();
	char buf[4096];

	(void)state;
	pvf_log_set(p.w, PVF_LOG_WARN);
	assert_true(pvf_log_enabled(PVF_LOG_ERROR));
	assert_true(pvf_log_enabled(PVF_LOG_WARN));
	assert_false(pvf_log_enabled(PVF_LOG_INFO));
	assert_false(pvf_log_enabled(PVF_LOG_DEBUG));
	pvf_log(PVF_LOG_INFO, "host", "x=1");
	pvf_log(PVF_LOG_DEBUG, "host", "x=2");
	assert_int_equal(drain(p.r, buf, sizeof(buf)), 0);
	pvf_log(PVF_LOG_WARN, "host", "x=3");
	drain(p.r, buf, sizeof(buf));
	assert_string_equal(check_ts(buf), "level=warn component=host x=3\n");

	pvf_log_set(p.w, PVF_LOG_ERROR);
	pvf_log(PVF_LOG_WARN, "host", "x=4");
	assert_int_equal(drain(p.r, buf, sizeof(buf)), 0);
	pvf_log(PVF_LOG_ERROR, "host", "x=5");
	drain(p.r, buf, sizeof(buf));
	assert_string_equal(check_ts(buf), "level=error component=host x=5\n");

	/* fd -1: off, whatever the level. */
	pvf_log_set(-1, PVF_LOG_DEBUG);
	assert_false(pvf_log_enabled(PVF_LOG_ERROR));
	pvf_log(PVF_LOG_ERROR, "host", "x=6");
	assert_int_equal(drain(p.r, buf, sizeof(buf)), 0);

	/* A level past DEBUG counts as DEBUG. */
	pvf_log_set(p.w, (pvf_log_level)9);
	assert_true(pvf_log_enabled(PVF_LOG_DEBUG));
	close_pipe(p);
}

static void test_errno_preserved(void **state)
{
	pipe_pair p = open_pipe();
	char buf[4096];

	(void)state;
	pvf_log_set(p.w, PVF_LOG_INFO);
	errno = ENOENT;
	pvf_log(PVF_LOG_INFO, "host", "x=1");
	assert_int_equal(errno, ENOENT);
	/* A write that fails (closed fd) does not leak its errno either. */
	pvf_log_set(1000000, PVF_LOG_INFO);
	errno = EEXIST;
	pvf_log(PVF_LOG_INFO, "host", "x=1");
	assert_int_equal(errno, EEXIST);
	drain(p.r, buf, sizeof(buf));
	close_pipe(p);
}

static void expect_quote(const char *key, const char *value, const char *want)
{
	char buf[256];
	int n = pvf_log_quote(buf, sizeof(buf), key, value);

	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void test_quote(void **state)
{
	(void)state;
	expect_quote("msg", "plain text", "msg=\"plain text\"");
	expect_quote("msg", "", "msg=\"\"");
	expect_quote("msg", NULL, "msg=\"\"");
	expect_quote(NULL, "v", "\"v\"");
	expect_quote("", "v", "\"v\"");
	/* Quotes, backslashes, line breaks, tab. */
	expect_quote("m", "a\"b\\c", "m=\"a\\\"b\\\\c\"");
	expect_quote("m", "one\ntwo\r\tthree", "m=\"one\\ntwo\\r\\tthree\"");
	/* A forged second line stays inside the value. */
	expect_quote("m", "x\nts=2020-01-01T00:00:00.000Z level=error component=host forged=1",
		     "m=\"x\\nts=2020-01-01T00:00:00.000Z level=error component=host forged=1\"");
	/* Terminal escapes, other C0 controls and DEL. */
	expect_quote("m", "\x1b[31mred\x1b[0m\x01\x7f", "m=\"\\x1b[31mred\\x1b[0m\\x01\\x7f\"");
	/* Valid UTF-8 passes: 2, 3 and 4 bytes. */
	expect_quote("m", "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", "m=\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* C1 controls (U+009B, CSI) are escaped byte by byte. */
	expect_quote("m", "a\xc2\x9b" "b", "m=\"a\\xc2\\x9bb\"");
	/* Not UTF-8: a stray continuation byte, 0xff, an overlong '/', a
	 * surrogate, a sequence cut short, a code point over U+10FFFF. */
	expect_quote("m", "\x80\xff", "m=\"\\x80\\xff\"");
	expect_quote("m", "\xc0\xaf", "m=\"\\xc0\\xaf\"");
	expect_quote("m", "\xed\xa0\x80", "m=\"\\xed\\xa0\\x80\"");
	expect_quote("m", "\xe2\x82", "m=\"\\xe2\\x82\"");
	expect_quote("m", "\xf4\x90\x80\x80", "m=\"\\xf4\\x90\\x80\\x80\"");
}

static void test_quote_truncates_like_snprintf(void **state)
{
	char buf[8];
	int n;

	(void)state;
	n = pvf_log_quote(buf, sizeof(buf), "key", "a\"bcdef");
	assert_int_equal(n, (int)strlen("key=\"a\\\"bcdef\""));
	assert_string_equal(buf, "key=\"a\\");
	n = pvf_log_quote(NULL, 0, "k", "v");
	assert_int_equal(n, 5);
	n = pvf_log_quote(buf, 1, "k", "v");
	assert_int_equal(n, 5);
	assert_string_equal(buf, "");
}

static void test_text_stays_one_line(void **state)
{
	pipe_pair p = open_pipe();
	char buf[4096], q[512];
	const char *rest;

	(void)state;
	pvf_log_set(p.w, PVF_LOG_INFO);
	/* Unquoted line breaks from arguments become spaces. */
	pvf_log(PVF_LOG_INFO, "worker", "a=%s b=%d", "x\ny\rz", 2);
	drain(p.r, buf, sizeof(buf));
	assert_string_equal(check_ts(buf), "level=info component=worker a=x y z b=2\n");

	/* A hostile panic message, quoted. */
	pvf_log_quote(q, sizeof(q), "panic", "boom\" level=error\nts=forged");
	pvf_log(PVF_LOG_INFO, "worker", "job=1 %s", q);
	drain(p.r, buf, sizeof(buf));
	rest = check_ts(buf);
	assert_string_equal(rest, "level=info component=worker job=1 panic=\"boom\\\" level=error\\nts=forged\"\n");
	close_pipe(p);
}

static void test_truncation(void **state)
{
	pipe_pair p = open_pipe();
	char buf[8192];
	char *big = malloc(5000);
	size_t n;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	pvf_log_set(p.w, PVF_LOG_INFO);
	pvf_log(PVF_LOG_INFO, "host", "big=%s", big);
	n = drain(p.r, buf, sizeof(buf));
	assert_int_equal(n, PVF_LOG_LINE_MAX);
	assert_int_equal(buf[n - 1], '\n');
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
	assert_int_equal(buf[n - 2], 'x');
	assert_int_equal(strncmp(check_ts(buf), "level=info component=host big=xxx", 33), 0);

	/* Exactly at the limit: not cut. */
	{
		size_t hdr = strlen("ts=2026-11-28T01:02:03.456Z level=info component=host big=");
		size_t fit = PVF_LOG_LINE_MAX - 1 - hdr;

		big[fit] = '\0';
		pvf_log(PVF_LOG_INFO, "host", "big=%s", big);
		n = drain(p.r, buf, sizeof(buf));
		assert_int_equal(n, PVF_LOG_LINE_MAX);
		big[fit] = 'x';
		big[fit + 1] = '\0';
		big[fit - 1] = 'y';
		pvf_log(PVF_LOG_INFO, "host", "big=%s", big);
		n = drain(p.r, buf, sizeof(buf));
		assert_int_equal(n, PVF_LOG_LINE_MAX);
		assert_int_equal(buf[n - 2], 'y'); /* the last 'x' was cut */
	}
	free(big);
	close_pipe(p);
}

/* ---- concurrent writers ---------------------------------------------- */

#define WRITERS 8
#define LINES_PER_WRITER 400

static void *writer(void *arg)
{
	int id = (int)(intptr_t)arg;
	char pad[1600];

	for (int i = 0; i < LINES_PER_WRITER; i++) {
		/* Lengths from a few bytes to ~1.5 KiB: big enough that a split
		 * write would show. */
		int len = (i * 37 + id * 101) % 1500;

		memset(pad, 'a' + id, (size_t)len);
		pad[len] = '\0';
		pvf_log(PVF_LOG_INFO, "w", "writer=%d seq=%d len=%d pad=%s end=1", id, i, len, pad);
	}
	return NULL;
}

/* Checks one line: it must be exactly what writer `id` wrote for `seq`. */
static void check_writer_line(const char *line, size_t n, int *next_seq)
{
	int id, seq, len, used = 0;
	const char *rest;

	assert_true(n > 30);
	rest = check_ts(line);
	assert_int_equal(sscanf(rest, "level=info component=w writer=%d seq=%d len=%d pad=%n", &id, &seq, &len, &used), 3);
	assert_true(used > 0);
	assert_true(id >= 0 && id < WRITERS);
	/* Lines of one writer arrive in its order. */
	assert_int_equal(seq, next_seq[id]);
	next_seq[id]++;
	rest += used;
	for (int i = 0; i < len; i++)
		assert_int_equal(rest[i], 'a' + id);
	assert_int_equal(strncmp(rest + len, " end=1\n", 7), 0);
	assert_ptr_equal(rest + len + 7, line + n);
}

static void test_concurrent_writers(void **state)
{
	int fds[2];
	pthread_t th[WRITERS];
	int next_seq[WRITERS] = { 0 };
	size_t cap = 1 << 20, used = 0, lines = 0;
	char *all = malloc(cap);
	char *p;

	(void)state;
	assert_non_null(all);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pvf_log_set(fds[1], PVF_LOG_INFO);
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i), 0);

	/* Read here while they write (the pipe holds only 64 KiB). */
	for (;;) {
		ssize_t r;

		if (used == cap) {
			cap *= 2;
			all = realloc(all, cap);
			assert_non_null(all);
		}
		r = read(fds[0], all + used, cap - used);
		assert_true(r > 0);
		for (size_t i = used; i < used + (size_t)r; i++)
			lines += all[i] == '\n';
		used += (size_t)r;
		if (lines == WRITERS * LINES_PER_WRITER)
			break;
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	pvf_log_set(2, PVF_LOG_WARN);

	p = all;
	for (size_t i = 0; i < lines; i++) {
		char *nl = memchr(p, '\n', (size_t)(all + used - p));

		assert_non_null(nl);
		check_writer_line(p, (size_t)(nl + 1 - p), next_seq);
		p = nl + 1;
	}
	assert_ptr_equal(p, all + used);
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(next_seq[i], LINES_PER_WRITER);
	free(all);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_format),
		cmocka_unit_test(test_level_filtering),
		cmocka_unit_test(test_errno_preserved),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_quote_truncates_like_snprintf),
		cmocka_unit_test(test_text_stays_one_line),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_concurrent_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
