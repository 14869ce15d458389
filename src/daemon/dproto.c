/*
 * dproto.c — encoding and strict decoding of the daemon protocol's
 * messages (layout in docs/protocol.md).
 */
#include "daemon/dproto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

/* ---- shared rules ---------------------------------------------------------- */

const char *pvf_dmsg_type_name(uint8_t type)
{
	switch (type) {
	case PVF_DMSG_HELLO: return "hello";
	case PVF_DMSG_PRECHECK: return "precheck";
	case PVF_DMSG_HEADS_UP: return "heads-up";
	case PVF_DMSG_VALIDATE: return "validate";
	case PVF_DMSG_CANCEL: return "cancel";
	case PVF_DMSG_METRICS: return "metrics";
	case PVF_DMSG_HELLO_ACK: return "hello-ack";
	case PVF_DMSG_PRECHECK_RESULT: return "precheck-result";
	case PVF_DMSG_ACK: return "ack";
	case PVF_DMSG_VALIDATE_RESULT: return "validate-result";
	case PVF_DMSG_CANCEL_RESULT: return "cancel-result";
	case PVF_DMSG_METRICS_RESULT: return "metrics-result";
	case PVF_DMSG_ERROR: return "error";
	default: return "unknown";
	}
}


/* Protocol strings: strict UTF-8, and no NUL. */
static bool dproto_str_ok(const uint8_t *s, size_t n)
{
	return !memchr(s, 0, n) && pvf_utf8_valid(s, n);
}

bool pvf_dproto_is_request(uint8_t type)
{
	return type >= PVF_DMSG_HELLO && type <= PVF_DMSG_METRICS;
}

/* Rules of the error field. */
static int err_check(const pvf_dproto_err *d, pvf_error *err)
{
	if (d->code >= PVF_E__COUNT)
		return pvf_error_set(err, PVF_E_USAGE, "bad frame: error code %u out of range (0..%d)", d->code,
				     PVF_E__COUNT - 1);
	if (d->cls > PVF_CLASS_INTERNAL)
		return pvf_error_set(err, PVF_E_USAGE, "bad frame: error class %u out of range (0..3)", d->cls);
	if ((d->code == 0) != (d->cls == 0))
		return pvf_error_set(err, PVF_E_USAGE,
				     "bad frame: error code %u with class %u (code 0 and class 0 go together)", d->code,
				     d->cls);
	if (d->code == 0 && d->msg[0])
		return pvf_error_set(err, PVF_E_USAGE, "bad frame: error code 0 (\"ok\") with a message");
	return 0;
}

void pvf_dproto_err_from(pvf_dproto_err *d, int code, int cls, const char *msg)
{
	size_t n;

	memset(d, 0, sizeof(*d));
	d->code = code < 0 ? (uint32_t)PVF_E_IO : (uint32_t)code;
	d->cls = cls < 0 ? 0 : (uint8_t)cls;
	if (!msg)
		return;
	n = strnlen(msg, sizeof(d->msg) - 1);
	/* Cut at a character boundary so that the message stays UTF-8. */
	while (n > 0 && n < strlen(msg) && ((uint8_t)msg[n] & 0xc0) == 0x80)
		n--;
	memcpy(d->msg, msg, n);
	d->msg[n] = '\0';
	if (!dproto_str_ok((const uint8_t *)d->msg, n)) {
		/* Replace anything that is not ASCII rather than send a frame
		 * the other side must reject. */
		for (size_t i = 0; i < n; i++)
			if ((uint8_t)d->msg[i] >= 0x80)
				d->msg[i] = '?';
	}
}

void pvf_dproto_err_to_error(const pvf_dproto_err *d, pvf_error *e)
{
	if (!e)
		return;
	if (d->code == 0) {
		pvf_error_clear(e);
		return;
	}
	pvf_error_set(e, (pvf_error_code)d->code, "%s", d->msg);
	e->cls = (pvf_error_class)d->cls;
}

int pvf_dproto_header(const uint8_t *p, size_t len, uint8_t *type, uint64_t *id, pvf_error *err)
{
	uint64_t v = 0;

	if (len < PVF_DPROTO_HEADER)
		return pvf_error_set(err, PVF_E_USAGE, "bad frame: payload of %zu bytes, shorter than the %u-byte header",
				     len, PVF_DPROTO_HEADER);
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[1 + i] << (8 * i);
	*type = p[0];
	*id = v;
	return 0;
}

int pvf_dproto_frame(const uint8_t *buf, size_t avail, size_t *payload_len, pvf_error *err)
{
	uint32_t n;

	if (avail < 4)
		return 0;
	n = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
	if (n == 0)
		return pvf_error_set(err, PVF_E_USAGE, "bad frame: payload length 0");
	if (n > PVF_DPROTO_MAX_FRAME)
		return pvf_error_set(err, PVF_E_USAGE, "bad frame: payload length %u over the limit of %u bytes", n,
				     PVF_DPROTO_MAX_FRAME);
	*payload_len = n;
	return avail - 4 >= n ? 1 : 0;
}

/* ---- encoding ---------------------------------------------------------------- */

typedef struct enc {
	uint8_t *buf;
	size_t len, cap;
	int failed;
	pvf_error *err;
} enc;

static void put(enc *e, const void *p, size_t n)
{
	if (e->failed)
		return;
	if (n > (size_t)PVF_DPROTO_MAX_FRAME + 4 - e->len) {
		e->failed = 1;
		pvf_error_set(e->err, PVF_E_USAGE, "message over the frame limit of %u bytes", PVF_DPROTO_MAX_FRAME);
		return;
	}
	if (e->len + n > e->cap) {
		size_t cap = e->cap ? e->cap : 256;
		uint8_t *nb;

		while (cap < e->len + n)
			cap *= 2;
		nb = realloc(e->buf, cap);
		if (!nb) {
			e->failed = 1;
			pvf_error_set(e->err, PVF_E_NOMEM, "out of memory encoding a message of %zu bytes",
				      e->len + n);
			return;
		}
		e->buf = nb;
		e->cap = cap;
	}
	if (n)
		memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void u8_(enc *e, uint8_t v)
{
	put(e, &v, 1);
}

static void le_(enc *e, uint64_t v, int n)
{
	uint8_t b[8];

	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(e, b, (size_t)n);
}

static void u32_(enc *e, uint32_t v)
{
	le_(e, v, 4);
}

static void u64_(enc *e, uint64_t v)
{
	le_(e, v, 8);
}

static void bytes_(enc *e, const void *p, size_t n)
{
	if (!e->failed && n > PVF_DPROTO_MAX_FRAME) {
		e->failed = 1;
		pvf_error_set(e->err, PVF_E_USAGE, "field of %zu bytes over the frame limit", n);
		return;
	}
	u32_(e, (uint32_t)n);
	put(e, p, n);
}

static void strn_(enc *e, const char *s, size_t n, size_t max, const char *field)
{
	if (!e->failed && (n > max || !dproto_str_ok((const uint8_t *)s, n))) {
		e->failed = 1;
		pvf_error_set(e->err, PVF_E_USAGE, "%s: string of %zu bytes is over %zu bytes or not UTF-8", field,
			      n, max);
		return;
	}
	bytes_(e, s, n);
}

static void str_(enc *e, const char *s, size_t max, const char *field)
{
	strn_(e, s, strlen(s), max, field);
}

static void fail_(enc *e, const char *what, const char *why)
{
	if (e->failed)
		return;
	e->failed = 1;
	pvf_error_set(e->err, PVF_E_USAGE, "%s: %s", what, why);
}

static void begin(enc *e, uint8_t type, uint64_t id, pvf_error *err)
{
	memset(e, 0, sizeof(*e));
	e->err = err;
	u32_(e, 0);
	u8_(e, type);
	u64_(e, id);
	if (id == 0 && type != PVF_DMSG_ERROR)
		fail_(e, pvf_dmsg_type_name(type), "request id 0 is reserved");
}

static void err_(enc *e, const pvf_dproto_err *d)
{
	if (!e->failed && err_check(d, e->err) < 0) {
		e->failed = 1;
		return;
	}
	u32_(e, d->code);
	str_(e, pvf_error_code_name((pvf_error_code)d->code), PVF_DPROTO_MAX_CODE_NAME, "error code name");
	u8_(e, d->cls);
	str_(e, d->msg, PVF_DPROTO_MAX_MSG, "error message");
}

static int end(enc *e, uint8_t **ret, size_t *ret_len)
{
	if (e->failed) {
		free(e->buf);
		return -1;
	}
	for (int i = 0; i < 4; i++)
		e->buf[i] = (uint8_t)((e->len - 4) >> (8 * i));
	*ret = e->buf;
	*ret_len = e->len;
	return 0;
}

int pvf_dproto_encode_hello(const pvf_dmsg_hello *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_HELLO, m->id, err);
	u32_(&e, m->protocol_version);
	str_(&e, m->client_name, PVF_DPROTO_MAX_CLIENT_NAME, "client name");
	return end(&e, ret, ret_len);
}

int pvf_dproto_encode_hello_ack(const pvf_dmsg_hello_ack *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_HELLO_ACK, m->id, err);
	if (m->accepted > 1)
		fail_(&e, "hello-ack", "accepted must be 0 or 1");
	u8_(&e, m->accepted);
	u32_(&e, m->protocol_version);
	str_(&e, m->server_version, PVF_DPROTO_MAX_VERSION, "server version");
	u32_(&e, m->max_frame);
	str_(&e, m->msg, PVF_DPROTO_MAX_MSG, "message");
	return end(&e, ret, ret_len);
}

static int encode_code_req(uint8_t type, const pvf_dmsg_code_req *m, uint8_t **ret, size_t *ret_len,
			   pvf_error *err)
{
	enc e;

	begin(&e, type, m->id, err);
	bytes_(&e, m->exec_params, m->exec_params_len);
	bytes_(&e, m->code, m->code_len);
	return end(&e, ret, ret_len);
}

int pvf_dproto_encode_precheck(const pvf_dmsg_code_req *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	return encode_code_req(PVF_DMSG_PRECHECK, m, ret, ret_len, err);
}

int pvf_dproto_encode_heads_up(const pvf_dmsg_code_req *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	return encode_code_req(PVF_DMSG_HEADS_UP, m, ret, ret_len, err);
}

int pvf_dproto_encode_precheck_result(const pvf_dmsg_precheck_result *m, uint8_t **ret, size_t *ret_len,
				      pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_PRECHECK_RESULT, m->id, err);
	if (m->verdict > 2)
		fail_(&e, "precheck-result", "verdict out of range (0..2)");
	else if ((m->verdict == 0) != (m->err.code == 0))
		fail_(&e, "precheck-result", "an error goes with verdict invalid or failed, and only with them");
	u8_(&e, m->verdict);
	err_(&e, &m->err);
	return end(&e, ret, ret_len);
}

int pvf_dproto_encode_ack(uint64_t id, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_ACK, id, err);
	return end(&e, ret, ret_len);
}

int pvf_dproto_encode_validate(const pvf_dmsg_validate *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_VALIDATE, m->id, err);
	if (m->priority > 3)
		fail_(&e, "validate", "priority out of range (0..3)");
	u8_(&e, m->priority);
	u64_(&e, m->deadline_ms);
	bytes_(&e, m->exec_params, m->exec_params_len);
	str_(&e, m->export_name, PVF_DPROTO_MAX_EXPORT, "export name");
	bytes_(&e, m->code, m->code_len);
	bytes_(&e, m->params, m->params_len);
	return end(&e, ret, ret_len);
}

int pvf_dproto_encode_validate_result(const pvf_dmsg_validate_result *m, uint8_t **ret, size_t *ret_len,
				      pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_VALIDATE_RESULT, m->id, err);
	if (m->status > 1 || m->prepared > 1)
		fail_(&e, "validate-result", "status or prepared out of range (0..1)");
	else if ((m->status == 0) != (m->err.code == 0))
		fail_(&e, "validate-result", "an error goes with status 1, and only with it");
	else if (m->status != 0 && m->output_len != 0)
		fail_(&e, "validate-result", "output with status 1");
	u8_(&e, m->status);
	err_(&e, &m->err);
	bytes_(&e, m->output, m->output_len);
	u32_(&e, m->attempts);
	u8_(&e, m->prepared);
	u64_(&e, m->queue_us);
	u64_(&e, m->execute_us);
	u64_(&e, m->cpu_us);
	return end(&e, ret, ret_len);
}

int pvf_dproto_encode_cancel(const pvf_dmsg_cancel *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_CANCEL, m->id, err);
	if (m->target == 0)
		fail_(&e, "cancel", "target id 0 is reserved");
	u64_(&e, m->target);
	return end(&e, ret, ret_len);
}

int pvf_dproto_encode_cancel_result(const pvf_dmsg_cancel_result *m, uint8_t **ret, size_t *ret_len,
				    pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_CANCEL_RESULT, m->id, err);
	if (m->found > 1)
		fail_(&e, "cancel-result", "found must be 0 or 1");
	u8_(&e, m->found);
	return end(&e, ret, ret_len);
}

int pvf_dproto_encode_metrics(uint64_t id, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_METRICS, id, err);
	return end(&e, ret, ret_len);
}

int pvf_dproto_encode_metrics_result(const pvf_dmsg_metrics_result *m, uint8_t **ret, size_t *ret_len,
				     pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_METRICS_RESULT, m->id, err);
	strn_(&e, m->text ? m->text : "", m->text ? m->text_len : 0, PVF_DPROTO_MAX_FRAME, "metrics text");
	return end(&e, ret, ret_len);
}

int pvf_dproto_encode_error(const pvf_dmsg_error *m, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	enc e;

	begin(&e, PVF_DMSG_ERROR, m->id, err);
	if (m->err.code == 0)
		fail_(&e, "error", "an ERROR needs a non-zero error code");
	err_(&e, &m->err);
	return end(&e, ret, ret_len);
}

/* ---- decoding ------------------------------------------------------------------ */

typedef struct dec {
	const uint8_t *p;
	size_t len, pos;
	int failed;
	const char *what;
	pvf_error *err;
} dec;

static void bad(dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bad(dec *d, const char *fmt, ...)
{
	char tmp[PVF_ERROR_MSG_MAX];
	va_list ap;

	if (d->failed)
		return;
	d->failed = 1;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	pvf_error_set(d->err, PVF_E_USAGE, "bad frame: %s: %s", d->what, tmp);
}

static int dbegin(dec *d, const uint8_t *p, size_t len, uint8_t type, uint64_t *id, pvf_error *err)
{
	uint8_t t = 0;

	memset(d, 0, sizeof(*d));
	d->p = p;
	d->len = len;
	d->err = err;
	d->what = pvf_dmsg_type_name(type);
	if (pvf_dproto_header(p, len, &t, id, err) < 0)
		return -1;
	if (t != type)
		return pvf_error_set(err, PVF_E_USAGE, "bad frame: message type 0x%02x (%s), expected 0x%02x (%s)", t,
				     pvf_dmsg_type_name(t), type, pvf_dmsg_type_name(type));
	if (*id == 0 && type != PVF_DMSG_ERROR)
		return pvf_error_set(err, PVF_E_USAGE, "bad frame: %s with request id 0 (reserved)", d->what);
	d->pos = PVF_DPROTO_HEADER;
	return 0;
}

static const uint8_t *take(dec *d, size_t n, const char *field)
{
	const uint8_t *q;

	if (d->failed)
		return NULL;
	if (n > d->len - d->pos) {
		bad(d, "%s needs %zu bytes, %zu left", field, n, d->len - d->pos);
		return NULL;
	}
	q = d->p + d->pos;
	d->pos += n;
	return q;
}

static uint64_t gle(dec *d, int n, const char *field)
{
	const uint8_t *q = take(d, (size_t)n, field);
	uint64_t v = 0;

	if (!q)
		return 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)q[i] << (8 * i);
	return v;
}

static uint8_t g8(dec *d, const char *field, uint8_t max)
{
	uint8_t v = (uint8_t)gle(d, 1, field);

	if (!d->failed && v > max)
		bad(d, "%s %u out of range (0..%u)", field, v, max);
	return v;
}

static uint32_t g32(dec *d, const char *field)
{
	return (uint32_t)gle(d, 4, field);
}

static uint64_t g64(dec *d, const char *field)
{
	return gle(d, 8, field);
}

static void gbytes(dec *d, const uint8_t **p, size_t *n, const char *field)
{
	uint32_t l = g32(d, field);
	const uint8_t *q = take(d, l, field);

	*p = q;
	*n = q ? l : 0;
}

/* A bounded string: copied into `out` (cap - 1 bytes at most) when `out`
 * is not NULL, else returned as a view. */
static void gstr(dec *d, char *out, size_t cap, const char *field, const uint8_t **view, size_t *view_len)
{
	const uint8_t *q;
	size_t n;

	if (out)
		out[0] = '\0';
	gbytes(d, &q, &n, field);
	if (d->failed)
		return;
	if (out && n >= cap) {
		bad(d, "%s of %zu bytes over its limit of %zu", field, n, cap - 1);
		return;
	}
	if (!dproto_str_ok(q, n)) {
		bad(d, "%s is not UTF-8 without NUL bytes", field);
		return;
	}
	if (out) {
		memcpy(out, q, n);
		out[n] = '\0';
	} else {
		*view = q;
		*view_len = n;
	}
}

static void gerr(dec *d, pvf_dproto_err *r)
{
	char name[PVF_DPROTO_MAX_CODE_NAME + 1];
	pvf_error tmp;

	r->code = g32(d, "error code");
	gstr(d, name, sizeof(name), "error code name", NULL, NULL);
	r->cls = g8(d, "error class", PVF_CLASS_INTERNAL);
	gstr(d, r->msg, sizeof(r->msg), "error message", NULL, NULL);
	if (d->failed)
		return;
	if (err_check(r, &tmp) < 0) {
		bad(d, "%s", tmp.msg + strlen("bad frame: "));
		return;
	}
	if (strcmp(name, pvf_error_code_name((pvf_error_code)r->code)) != 0)
		bad(d, "error code %u is \"%s\", the frame names it \"%s\"", r->code,
		    pvf_error_code_name((pvf_error_code)r->code), name);
}

static int dend(dec *d)
{
	if (d->failed)
		return -1;
	if (d->pos != d->len)
		return pvf_error_set(d->err, PVF_E_USAGE, "bad frame: %s: %zu trailing bytes", d->what,
				     d->len - d->pos);
	return 0;
}

int pvf_dproto_decode_hello(const uint8_t *p, size_t len, pvf_dmsg_hello *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dbegin(&d, p, len, PVF_DMSG_HELLO, &m->id, err) < 0)
		return -1;
	m->protocol_version = g32(&d, "protocol version");
	gstr(&d, m->client_name, sizeof(m->client_name), "client name", NULL, NULL);
	return dend(&d);
}

int pvf_dproto_decode_hello_ack(const uint8_t *p, size_t len, pvf_dmsg_hello_ack *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dbegin(&d, p, len, PVF_DMSG_HELLO_ACK, &m->id, err) < 0)
		return -1;
	m->accepted = g8(&d, "accepted", 1);
	m->protocol_version = g32(&d, "protocol version");
	gstr(&d, m->server_version, sizeof(m->server_version), "server version", NULL, NULL);
	m->max_frame = g32(&d, "max frame");
	gstr(&d, m->msg, sizeof(m->msg), "message", NULL, NULL);
	return dend(&d);
}

static int decode_code_req(uint8_t type, const uint8_t *p, size_t len, pvf_dmsg_code_req *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dbegin(&d, p, len, type, &m->id, err) < 0)
		return -1;
	gbytes(&d, &m->exec_params, &m->exec_params_len, "executor params");
	gbytes(&d, &m->code, &m->code_len, "code");
	return dend(&d);
}

int pvf_dproto_decode_precheck(const uint8_t *p, size_t len, pvf_dmsg_code_req *m, pvf_error *err)
{
	return decode_code_req(PVF_DMSG_PRECHECK, p, len, m, err);
}

int pvf_dproto_decode_heads_up(const uint8_t *p, size_t len, pvf_dmsg_code_req *m, pvf_error *err)
{
	return decode_code_req(PVF_DMSG_HEADS_UP, p, len, m, err);
}

int pvf_dproto_decode_precheck_result(const uint8_t *p, size_t len, pvf_dmsg_precheck_result *m,
				      pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dbegin(&d, p, len, PVF_DMSG_PRECHECK_RESULT, &m->id, err) < 0)
		return -1;
	m->verdict = g8(&d, "verdict", 2);
	gerr(&d, &m->err);
	if (!d.failed && (m->verdict == 0) != (m->err.code == 0))
		bad(&d, "verdict %u with error code %u (an error goes with verdicts 1 and 2 only)", m->verdict,
		    m->err.code);
	return dend(&d);
}

static int decode_header_only(uint8_t type, const uint8_t *p, size_t len, uint64_t *id, pvf_error *err)
{
	dec d;

	*id = 0;
	if (dbegin(&d, p, len, type, id, err) < 0)
		return -1;
	return dend(&d);
}

int pvf_dproto_decode_ack(const uint8_t *p, size_t len, uint64_t *id, pvf_error *err)
{
	return decode_header_only(PVF_DMSG_ACK, p, len, id, err);
}

int pvf_dproto_decode_metrics(const uint8_t *p, size_t len, uint64_t *id, pvf_error *err)
{
	return decode_header_only(PVF_DMSG_METRICS, p, len, id, err);
}

int pvf_dproto_decode_validate(const uint8_t *p, size_t len, pvf_dmsg_validate *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dbegin(&d, p, len, PVF_DMSG_VALIDATE, &m->id, err) < 0)
		return -1;
	m->priority = g8(&d, "priority", 3);
	m->deadline_ms = g64(&d, "deadline");
	gbytes(&d, &m->exec_params, &m->exec_params_len, "executor params");
	gstr(&d, m->export_name, sizeof(m->export_name), "export name", NULL, NULL);
	gbytes(&d, &m->code, &m->code_len, "code");
	gbytes(&d, &m->params, &m->params_len, "validation params");
	return dend(&d);
}

int pvf_dproto_decode_validate_result(const uint8_t *p, size_t len, pvf_dmsg_validate_result *m,
				      pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dbegin(&d, p, len, PVF_DMSG_VALIDATE_RESULT, &m->id, err) < 0)
		return -1;
	m->status = g8(&d, "status", 1);
	gerr(&d, &m->err);
	gbytes(&d, &m->output, &m->output_len, "output");
	m->attempts = g32(&d, "attempts");
	m->prepared = g8(&d, "prepared", 1);
	m->queue_us = g64(&d, "queue_us");
	m->execute_us = g64(&d, "execute_us");
	m->cpu_us = g64(&d, "cpu_us");
	if (!d.failed && (m->status == 0) != (m->err.code == 0))
		bad(&d, "status %u with error code %u (an error goes with status 1 only)", m->status, m->err.code);
	if (!d.failed && m->status != 0 && m->output_len != 0)
		bad(&d, "status 1 with %zu bytes of output", m->output_len);
	return dend(&d);
}

int pvf_dproto_decode_cancel(const uint8_t *p, size_t len, pvf_dmsg_cancel *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dbegin(&d, p, len, PVF_DMSG_CANCEL, &m->id, err) < 0)
		return -1;
	m->target = g64(&d, "target id");
	if (!d.failed && m->target == 0)
		bad(&d, "target id 0 (reserved)");
	return dend(&d);
}

int pvf_dproto_decode_cancel_result(const uint8_t *p, size_t len, pvf_dmsg_cancel_result *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dbegin(&d, p, len, PVF_DMSG_CANCEL_RESULT, &m->id, err) < 0)
		return -1;
	m->found = g8(&d, "found", 1);
	return dend(&d);
}

int pvf_dproto_decode_metrics_result(const uint8_t *p, size_t len, pvf_dmsg_metrics_result *m,
				     pvf_error *err)
{
	dec d;
	const uint8_t *t = NULL;
	size_t n = 0;

	memset(m, 0, sizeof(*m));
	if (dbegin(&d, p, len, PVF_DMSG_METRICS_RESULT, &m->id, err) < 0)
		return -1;
	gstr(&d, NULL, 0, "metrics text", &t, &n);
	m->text = (const char *)t;
	m->text_len = n;
	return dend(&d);
}

int pvf_dproto_decode_error(const uint8_t *p, size_t len, pvf_dmsg_error *m, pvf_error *err)
{
	dec d;

	memset(m, 0, sizeof(*m));
	if (dbegin(&d, p, len, PVF_DMSG_ERROR, &m->id, err) < 0)
		return -1;
	gerr(&d, &m->err);
	if (!d.failed && m->err.code == 0)
		bad(&d, "error code 0 in an ERROR");
	return dend(&d);
}
