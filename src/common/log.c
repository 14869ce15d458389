/*
 * log.c — structured log lines (see log.h for the format).
 *
 * A line is built in a stack buffer of PVF_LOG_LINE_MAX bytes and handed to
 * the kernel with a single write(2): writes of at most PIPE_BUF (4 KiB on
 * Linux) bytes to a pipe are atomic, and O_APPEND files and terminals get
 * whole lines too in practice. The destination and level are two atomics, so
 * the hot path takes no lock; a line that races with pvf_log_set() goes to
 * either the old or the new destination.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static _Atomic int log_fd = 2;
static _Atomic int log_level = PVF_LOG_WARN;

static int clamp_level(int level)
{
	if (level < PVF_LOG_ERROR)
		return PVF_LOG_ERROR;
	if (level > PVF_LOG_DEBUG)
		return PVF_LOG_DEBUG;
	return level;
}

const char *pvf_log_level_name(pvf_log_level level)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	return names[clamp_level((int)level)];
}

void pvf_log_set(int fd, pvf_log_level level)
{
	atomic_store_explicit(&log_level, clamp_level((int)level), memory_order_relaxed);
	atomic_store_explicit(&log_fd, fd < 0 ? -1 : fd, memory_order_release);
}

bool pvf_log_enabled(pvf_log_level level)
{
	if (atomic_load_explicit(&log_fd, memory_order_acquire) < 0)
		return false;
	return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

/* Writes all of [p, p+len) to fd, retrying on EINTR; gives up on any other
 * error (there is nowhere to report a failure to log). */
static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		len -= (size_t)w;
	}
}

void pvf_log(pvf_log_level level, const char *component, const char *fmt, ...)
{
	char line[PVF_LOG_LINE_MAX];
	struct timespec now;
	struct tm tm;
	size_t pos, end;
	int saved_errno = errno;
	int fd, h, m;
	va_list ap;

	if (!pvf_log_enabled(level))
		return;
	fd = atomic_load_explicit(&log_fd, memory_order_acquire);
	if (fd < 0)
		return;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	h = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s component=%s ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     (int)(now.tv_nsec / 1000000), pvf_log_level_name(level),
		     component ? component : "-");
	if (h < 0)
		goto out;
	/* Keep one byte for the newline. */
	pos = (size_t)h < sizeof(line) - 1 ? (size_t)h : sizeof(line) - 1;

	va_start(ap, fmt);
	m = vsnprintf(line + pos, sizeof(line) - pos, fmt, ap);
	va_end(ap);
	end = pos;
	if (m > 0)
		end += (size_t)m < sizeof(line) - 1 - pos ? (size_t)m : sizeof(line) - 1 - pos;

	/* One call, one line: stray line breaks become spaces, trailing
	 * blanks go (an empty caller text leaves no dangling space). */
	for (size_t i = 0; i < end; i++)
		if (line[i] == '\n' || line[i] == '\r' || line[i] == '\0')
			line[i] = ' ';
	while (end > 0 && line[end - 1] == ' ')
		end--;
	line[end++] = '\n';
	write_all(fd, line, end);
out:
	errno = saved_errno;
}

/* ---- quoting --------------------------------------------------------- */

/* Output that counts what it would write, like snprintf. */
typedef struct qout {
	char *buf;
	size_t n;
	size_t pos;
} qout;

static void put(qout *o, char c)
{
	if (o->pos + 1 < o->n)
		o->buf[o->pos] = c;
	o->pos++;
}

static void put_hex(qout *o, unsigned char c)
{
	static const char digits[] = "0123456789abcdef";

	put(o, '\\');
	put(o, 'x');
	put(o, digits[c >> 4]);
	put(o, digits[c & 15]);
}

static bool is_cont(unsigned char c)
{
	return c >= 0x80 && c <= 0xbf;
}

/* Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF) of two or more bytes starting at s,
 * or 0 if there is none. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		return is_cont(s[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = c == 0xed ? 0x9f : 0xbf;

		return s[1] >= lo && s[1] <= hi && is_cont(s[2]) ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;

		return s[1] >= lo && s[1] <= hi && is_cont(s[2]) && is_cont(s[3]) ? 4 : 0;
	}
	return 0;
}

int pvf_log_quote(char *buf, size_t n, const char *key, const char *value)
{
	qout o = { .buf = buf, .n = n, .pos = 0 };
	const unsigned char *s = (const unsigned char *)(value ? value : "");

	if (key && *key) {
		for (const char *k = key; *k; k++)
			put(&o, *k);
		put(&o, '=');
	}
	put(&o, '"');
	while (*s) {
		unsigned char c = *s;
		size_t len;

		switch (c) {
		case '"':
		case '\\':
			put(&o, '\\');
			put(&o, (char)c);
			s++;
			continue;
		case '\n':
			put(&o, '\\');
			put(&o, 'n');
			s++;
			continue;
		case '\r':
			put(&o, '\\');
			put(&o, 'r');
			s++;
			continue;
		case '\t':
			put(&o, '\\');
			put(&o, 't');
			s++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			put_hex(&o, c);
			s++;
			continue;
		}
		if (c < 0x80) {
			put(&o, (char)c);
			s++;
			continue;
		}
		/* The NUL terminator is not a continuation byte, so utf8_seq
		 * never reads past it. C1 controls (U+0080..U+009F, C2 80..9F)
		 * are escaped like the C0 ones: terminals act on them. */
		len = utf8_seq(s);
		if (len == 0 || (c == 0xc2 && s[1] < 0xa0)) {
			put_hex(&o, c);
			s++;
			continue;
		}
		for (size_t i = 0; i < len; i++)
			put(&o, (char)s[i]);
		s += len;
	}
	put(&o, '"');
	if (n > 0)
		buf[o.pos < n ? o.pos : n - 1] = '\0';
	return o.pos > INT32_MAX ? INT32_MAX : (int)o.pos;
}
