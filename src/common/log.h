/*
 * log.h — structured log lines (logfmt: space-separated key=value pairs).
 *
 * Every line looks like
 *
 *     ts=2026-11-28T01:02:03.456Z level=info component=host job=17 outcome=ok
 *
 * where everything after `component=...` is the caller's formatted text. A
 * line is written with one write(2) of at most PVF_LOG_LINE_MAX bytes, so
 * lines from concurrent threads (and processes sharing a pipe) never
 * interleave. Longer lines are truncated and still end in a newline; a CR or
 * LF inside the caller's text becomes a space, so one call is one line.
 *
 * Text that comes from untrusted sources (a PVF's panic message, a path, a
 * peer's request) must go through pvf_log_quote() first.
 *
 * The destination and level are process-wide and may be changed at any time
 * from any thread. The default is fd 2 (stderr) at level WARN.
 */
#ifndef PVF_COMMON_LOG_H
#define PVF_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum pvf_log_level {
	PVF_LOG_ERROR = 0,
	PVF_LOG_WARN = 1,
	PVF_LOG_INFO = 2,
	PVF_LOG_DEBUG = 3,
} pvf_log_level;

/* Longest line written, newline included. */
#define PVF_LOG_LINE_MAX 2048

/* Sets the destination and the most verbose level written. fd -1 turns
 * logging off. The fd is not owned: the caller keeps it open while it is
 * set. A level above DEBUG counts as DEBUG. */
void pvf_log_set(int fd, pvf_log_level level);

/* Whether a line at `level` would be written (lets callers skip building
 * expensive arguments). */
bool pvf_log_enabled(pvf_log_level level);

/* Writes one line at `level`. `component` is a short bare word ("host",
 * "worker", "metrics"; NULL becomes "-"); `fmt` formats the key=value text.
 * errno is preserved. */
void pvf_log(pvf_log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes `key="value"` into buf (like snprintf: always NUL-terminated when
 * n > 0, returns the length the whole text needs, without the NUL). The
 * value is quoted and escaped: `"` and `\` get a backslash, newline, CR and
 * tab become \n \r \t, other control bytes, DEL, C1 controls and bytes that
 * are not well-formed UTF-8 become \xHH. Valid UTF-8 passes through. A NULL
 * or empty key writes only the quoted value; a NULL value is written as "". */
int pvf_log_quote(char *buf, size_t n, const char *key, const char *value);

/* The level's name as written in lines: "error", "warn", "info", "debug". */
const char *pvf_log_level_name(pvf_log_level level);

#endif
