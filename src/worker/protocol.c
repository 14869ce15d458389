/*
 * protocol.c — encoding, strict decoding and frame I/O of the host <->
 * worker messages (layout in docs/protocol-workers.md).
 */
#include "worker/protocol.h"

#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/scale.h"

/* ---- encoding ---------------------------------------------------------------- */

typedef struct enc {
	pvf_scale_writer w;
	int failed;
	pvf_error *err;
} enc;

/* The length prefix (filled in by enc_end) and the message type. */
static void enc_header(enc *e, uint8_t type, pvf_error *err)
{
	e->err = err;
	e->failed = pvf_scale_write_u32(&e->w, 0, err) < 0 || pvf_scale_write_u8(&e->w, type, err) < 0;
}

static void enc_begin(enc *e, uint8_t type, pvf_error *err)
{
	pvf_scale_writer_init(&e->w);
	enc_header(e, type, err);
}

/* enc_begin into the caller's buffer (cap bytes), which never grows. */
static void enc_begin_in(enc *e, uint8_t type, uint8_t *buf, size_t cap, pvf_error *err)
{
	pvf_scale_writer_init_fixed(&e->w, buf, cap);
	enc_header(e, type, err);
}

static void u8_(enc *e, uint8_t v)
{
	if (!e->failed && pvf_scale_write_u8(&e->w, v, e->err) < 0)
		e->failed = 1;
}

static void u32_(enc *e, uint32_t v)
{
	if (!e->failed && pvf_scale_write_u32(&e->w, v, e->err) < 0)
		e->failed = 1;
}

static void u64_(enc *e, uint64_t v)
{
	if (!e->failed && pvf_scale_write_u64(&e->w, v, e->err) < 0)
		e->failed = 1;
}

static void raw_(enc *e, const void *p, size_t n)
{
	if (!e->failed && pvf_scale_write_raw(&e->w, p, n, e->err) < 0)
		e->failed = 1;
}

static void bytes_(enc *e, const void *p, size_t n)
{
	if (!e->failed && pvf_scale_write_vec_u8(&e->w, p, n, e->err) < 0)
		e->failed = 1;
}

static void str_(enc *e, const char *s)
{
	bytes_(e, s, strlen(s));
}

static int enc_end(enc *e, uint8_t **ret, size_t *ret_len)
{
	size_t len;
	uint8_t *buf;

	if (e->failed) {
		pvf_scale_writer_free(&e->w);
		return -1;
	}
	if (e->w.len - 4 > PVF_PROTO_MAX_FRAME) {
		pvf_scale_writer_free(&e->w);
		return pvf_error_set(e->err, PVF_E_USAGE, "message of %zu bytes exceeds the frame limit", e->w.len - 4);
	}
	buf = pvf_scale_writer_take(&e->w, &len);
	for (int i = 0; i < 4; i++)
		buf[i] = (uint8_t)((len - 4) >> (8 * i));
	*ret = buf;
	*ret_len = len;
	return 0;
}

static void result_(enc *e, const pvf_msg_result *r)
{
	u8_(e, r->ok);
	u32_(e, r->code);
	u8_(e, r->cls);
	u8_(e, r->trap_kind);
	str_(e, r->msg);
	u64_(e, r->stats.cpu_us);
	u64_(e, r->stats.wall_us);
	u64_(e, r->stats.peak_rss_kb);
}

int pvf_proto_encode_hello(const pvf_msg_hello *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	enc_begin(&e, PVF_MSG_HELLO, err);
	u32_(&e, m->protocol_version);
	str_(&e, m->version);
	u8_(&e, m->worker_kind);
	u32_(&e, m->security_required);
	str_(&e, m->artifact);
	u32_(&e, m->max_memory_pages);
	return enc_end(&e, ret, ret_len);
}

int pvf_proto_encode_hello_ack(const pvf_msg_hello_ack *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	enc_begin(&e, PVF_MSG_HELLO_ACK, err);
	u32_(&e, m->protocol_version);
	str_(&e, m->version);
	u32_(&e, m->security_applied);
	u32_(&e, m->pid);
	u8_(&e, m->ok);
	str_(&e, m->msg);
	return enc_end(&e, ret, ret_len);
}

int pvf_proto_encode_prepare(const pvf_msg_prepare *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	enc_begin(&e, PVF_MSG_PREPARE, err);
	u8_(&e, m->kind);
	u64_(&e, m->timeout_ms);
	u64_(&e, m->memory_limit);
	u32_(&e, m->stack_limit);
	u32_(&e, m->max_memory_pages);
	u64_(&e, m->native_stack_max);
	u8_(&e, m->bulk_memory);
	u32_(&e, m->jobs);
	raw_(&e, m->code_hash, 32);
	raw_(&e, m->params_hash, 32);
	str_(&e, m->cc);
	str_(&e, m->opt_level);
	str_(&e, m->output);
	bytes_(&e, m->code, m->code_len);
	return enc_end(&e, ret, ret_len);
}

int pvf_proto_encode_prepare_done(const pvf_msg_prepare_done *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	enc_begin(&e, PVF_MSG_PREPARE_DONE, err);
	result_(&e, &m->result);
	u64_(&e, m->artifact_bytes);
	u32_(&e, m->max_frame_bytes);
	u64_(&e, m->native_stack_bytes);
	return enc_end(&e, ret, ret_len);
}

int pvf_proto_encode_execute(const pvf_msg_execute *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	enc_begin(&e, PVF_MSG_EXECUTE, err);
	u64_(&e, m->timeout_ms);
	str_(&e, m->export_name);
	bytes_(&e, m->params, m->params_len);
	return enc_end(&e, ret, ret_len);
}

static int execute_done_(enc *e, const pvf_msg_execute_done *m, uint8_t **ret, size_t *ret_len)
{
	result_(e, &m->result);
	bytes_(e, m->output, m->output_len);
	return enc_end(e, ret, ret_len);
}

int pvf_proto_encode_execute_done(const pvf_msg_execute_done *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	enc_begin(&e, PVF_MSG_EXECUTE_DONE, err);
	return execute_done_(&e, m, ret, ret_len);
}

size_t pvf_proto_execute_done_max(size_t output_len)
{
	/* prefix, type; result_: ok, code, cls, trap_kind, msg, three u64s; output */
	return 4 + 1 + 1 + 4 + 1 + 1 + PVF_SCALE_COMPACT_MAX_LEN + PVF_PROTO_MAX_STR + 3 * 8 +
	       PVF_SCALE_COMPACT_MAX_LEN + output_len;
}

int pvf_proto_encode_execute_done_in(const pvf_msg_execute_done *m, uint8_t *buf, size_t cap, size_t *ret_len,
				     pvf_error *err)
{
	enc e;
	uint8_t *frame;

	enc_begin_in(&e, PVF_MSG_EXECUTE_DONE, buf, cap, err);
	return execute_done_(&e, m, &frame, ret_len);
}

int pvf_proto_encode_error(const pvf_msg_error *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	enc_begin(&e, PVF_MSG_ERROR, err);
	u32_(&e, m->code);
	str_(&e, m->msg);
	return enc_end(&e, ret, ret_len);
}

/* ---- decoding ------------------------------------------------------------------ */

typedef struct dec {
	pvf_scale_reader r;
	int failed;
	pvf_error *err;
} dec;

static int dec_begin(dec *d, const uint8_t *p, size_t len, uint8_t type, const char *what, pvf_error *err)
{
	uint8_t t;

	pvf_scale_reader_init(&d->r, p, len, PVF_E_IO, what);
	d->err = err;
	d->failed = 0;
	if (pvf_scale_read_u8(&d->r, &t, err) < 0)
		return -1;
	if (t != type)
		return pvf_error_set(err, PVF_E_IO, "bad frame: message type %u, expected %s", t, what);
	return 0;
}

static uint8_t g8(dec *d)
{
	uint8_t v = 0;
	if (!d->failed && pvf_scale_read_u8(&d->r, &v, d->err) < 0)
		d->failed = 1;
	return v;
}

static uint32_t g32(dec *d)
{
	uint32_t v = 0;
	if (!d->failed && pvf_scale_read_u32(&d->r, &v, d->err) < 0)
		d->failed = 1;
	return v;
}

static uint64_t g64(dec *d)
{
	uint64_t v = 0;
	if (!d->failed && pvf_scale_read_u64(&d->r, &v, d->err) < 0)
		d->failed = 1;
	return v;
}

static void graw(dec *d, void *out, size_t n)
{
	const uint8_t *p;
	if (!d->failed && pvf_scale_read_bytes(&d->r, n, &p, d->err) < 0)
		d->failed = 1;
	else if (!d->failed)
		memcpy(out, p, n);
}

static void gbytes(dec *d, const uint8_t **p, size_t *n)
{
	*p = NULL;
	*n = 0;
	if (!d->failed && pvf_scale_read_vec_u8(&d->r, p, n, d->err) < 0)
		d->failed = 1;
}

/* A string into a bounded buffer: no embedded NUL, must fit with its NUL. */
static void gstr(dec *d, char *out, size_t cap)
{
	const uint8_t *p;
	size_t n;

	out[0] = '\0';
	gbytes(d, &p, &n);
	if (d->failed)
		return;
	if (n >= cap || memchr(p, 0, n)) {
		pvf_error_set(d->err, PVF_E_IO, "bad frame: string of %zu bytes (limit %zu) or with a NUL byte", n,
			      cap - 1);
		d->failed = 1;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

static int dec_end(dec *d)
{
	if (d->failed)
		return -1;
	return pvf_scale_expect_end(&d->r, d->err);
}

static void gresult(dec *d, pvf_msg_result *r)
{
	r->ok = g8(d);
	r->code = g32(d);
	r->cls = g8(d);
	r->trap_kind = g8(d);
	gstr(d, r->msg, sizeof(r->msg));
	r->stats.cpu_us = g64(d);
	r->stats.wall_us = g64(d);
	r->stats.peak_rss_kb = g64(d);
	if (!d->failed && (r->ok > 1 || r->code >= PVF_E__COUNT || r->cls > PVF_CLASS_INTERNAL)) {
		pvf_error_set(d->err, PVF_E_IO, "bad frame: result fields out of range");
		d->failed = 1;
	}
}

int pvf_proto_decode_hello(const uint8_t *p, size_t len, pvf_msg_hello *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dec_begin(&d, p, len, PVF_MSG_HELLO, "hello", err) < 0)
		return -1;
	m->protocol_version = g32(&d);
	gstr(&d, m->version, sizeof(m->version));
	m->worker_kind = g8(&d);
	m->security_required = g32(&d);
	gstr(&d, m->artifact, sizeof(m->artifact));
	m->max_memory_pages = g32(&d);
	return dec_end(&d);
}

int pvf_proto_decode_hello_ack(const uint8_t *p, size_t len, pvf_msg_hello_ack *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dec_begin(&d, p, len, PVF_MSG_HELLO_ACK, "hello-ack", err) < 0)
		return -1;
	m->protocol_version = g32(&d);
	gstr(&d, m->version, sizeof(m->version));
	m->security_applied = g32(&d);
	m->pid = g32(&d);
	m->ok = g8(&d);
	gstr(&d, m->msg, sizeof(m->msg));
	return dec_end(&d);
}

int pvf_proto_decode_prepare(const uint8_t *p, size_t len, pvf_msg_prepare *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dec_begin(&d, p, len, PVF_MSG_PREPARE, "prepare", err) < 0)
		return -1;
	m->kind = g8(&d);
	m->timeout_ms = g64(&d);
	m->memory_limit = g64(&d);
	m->stack_limit = g32(&d);
	m->max_memory_pages = g32(&d);
	m->native_stack_max = g64(&d);
	m->bulk_memory = g8(&d);
	m->jobs = g32(&d);
	graw(&d, m->code_hash, 32);
	graw(&d, m->params_hash, 32);
	gstr(&d, m->cc, sizeof(m->cc));
	gstr(&d, m->opt_level, sizeof(m->opt_level));
	gstr(&d, m->output, sizeof(m->output));
	gbytes(&d, &m->code, &m->code_len);
	if (!d.failed && (m->kind < PVF_PREPARE_PRECHECK || m->kind > PVF_PREPARE_PREPARE || m->bulk_memory > 1 ||
			  m->jobs < 1 || m->jobs > PVF_PROTO_MAX_JOBS))
		return pvf_error_set(err, PVF_E_IO, "bad frame: prepare kind, flag or jobs out of range");
	return dec_end(&d);
}

int pvf_proto_decode_prepare_done(const uint8_t *p, size_t len, pvf_msg_prepare_done *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dec_begin(&d, p, len, PVF_MSG_PREPARE_DONE, "prepare-done", err) < 0)
		return -1;
	gresult(&d, &m->result);
	m->artifact_bytes = g64(&d);
	m->max_frame_bytes = g32(&d);
	m->native_stack_bytes = g64(&d);
	return dec_end(&d);
}

int pvf_proto_decode_execute(const uint8_t *p, size_t len, pvf_msg_execute *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dec_begin(&d, p, len, PVF_MSG_EXECUTE, "execute", err) < 0)
		return -1;
	m->timeout_ms = g64(&d);
	gstr(&d, m->export_name, sizeof(m->export_name));
	gbytes(&d, &m->params, &m->params_len);
	return dec_end(&d);
}

int pvf_proto_decode_execute_done(const uint8_t *p, size_t len, pvf_msg_execute_done *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dec_begin(&d, p, len, PVF_MSG_EXECUTE_DONE, "execute-done", err) < 0)
		return -1;
	gresult(&d, &m->result);
	gbytes(&d, &m->output, &m->output_len);
	return dec_end(&d);
}

int pvf_proto_decode_error(const uint8_t *p, size_t len, pvf_msg_error *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dec_begin(&d, p, len, PVF_MSG_ERROR, "error", err) < 0)
		return -1;
	m->code = g32(&d);
	gstr(&d, m->msg, sizeof(m->msg));
	return dec_end(&d);
}

/* ---- frame I/O ------------------------------------------------------------------- */

int pvf_proto_send(int fd, const uint8_t *frame, size_t len, pvf_error *err)
{
	while (len) {
		ssize_t w = write(fd, frame, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return pvf_error_set(err, PVF_E_IO, "sending to the worker: %s", strerror(errno));
		frame += w;
		len -= (size_t)w;
	}
	return 0;
}

static int read_exact(int fd, uint8_t *buf, size_t len, int64_t deadline, bool first, pvf_error *err)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = -1;
		if (deadline >= 0) {
			/* What has arrived is taken without waiting (a reply is
			 * usually all there when the caller's poll returns); poll
			 * only when nothing has (or fd is not a socket). */
			n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTSOCK)) {
				struct pollfd pfd = { .fd = fd, .events = POLLIN };
				int64_t left = deadline - (int64_t)pvf_clock_ms();
				int r;
				if (left < 0)
					left = 0;
				r = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0)
					return pvf_error_set(err, PVF_E_IO, "poll: %s", strerror(errno));
				if (r == 0 && (int64_t)pvf_clock_ms() >= deadline)
					return pvf_error_set(err, PVF_E_TIMEOUT, "no reply within the time limit");
				if (r == 0)
					continue;
				n = read(fd, buf + got, len - got);
			}
		} else {
			n = read(fd, buf + got, len - got);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pvf_error_set(err, PVF_E_IO, "receiving: %s", strerror(errno));
		if (n == 0)
			return pvf_error_set(err, PVF_E_IO, first && got == 0 ? "closed" : "connection closed mid-frame");
		got += (size_t)n;
	}
	return 0;
}

int pvf_proto_recv_len(int fd, size_t max, int timeout_ms, uint32_t *ret_len, int64_t *ret_deadline,
		       pvf_error *err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : (int64_t)pvf_clock_ms() + timeout_ms;
	uint8_t hdr[4];
	uint32_t len;

	if (max > PVF_PROTO_MAX_FRAME)
		max = PVF_PROTO_MAX_FRAME;
	if (read_exact(fd, hdr, 4, deadline, true, err) < 0)
		return -1;
	len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	if (len == 0 || len > max)
		return pvf_error_set(err, PVF_E_IO, "bad frame: length %u (limit %zu)", len, max);
	*ret_len = len;
	*ret_deadline = deadline;
	return 0;
}

int pvf_proto_recv_body(int fd, uint8_t *buf, uint32_t len, int64_t deadline, pvf_error *err)
{
	return read_exact(fd, buf, len, deadline, false, err);
}

int pvf_proto_recv(int fd, size_t max, int timeout_ms, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	int64_t deadline;
	uint32_t len;
	uint8_t *buf;

	if (pvf_proto_recv_len(fd, max, timeout_ms, &len, &deadline, err) < 0)
		return -1;
	buf = malloc(len);
	if (!buf)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory for a %u-byte frame", len);
	if (pvf_proto_recv_body(fd, buf, len, deadline, err) < 0) {
		free(buf);
		return -1;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

void pvf_proto_result_from_error(pvf_msg_result *r, const pvf_error *e, uint8_t trap_kind)
{
	r->ok = 0;
	r->code = (uint32_t)e->code;
	r->cls = (uint8_t)e->cls;
	r->trap_kind = trap_kind;
	snprintf(r->msg, sizeof(r->msg), "%s", e->msg);
}

void pvf_proto_result_to_error(const pvf_msg_result *r, pvf_error *e)
{
	pvf_error_set(e, (pvf_error_code)r->code, "%s", r->msg);
}
