/*
 * client.c — the blocking daemon client: connect + HELLO, requests,
 * responses, and one-request convenience calls.
 */
#include "daemon/client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

#define CLIENT_NAME "pvfhost-client"

struct pvf_client {
	int fd;
	uint64_t next_id;
	int timeout_ms;
	char server_version[PVF_DPROTO_MAX_VERSION + 1];
};

/* ---- transport ------------------------------------------------------------- */

static int send_all(pvf_client *c, const uint8_t *p, size_t n, pvf_error *err)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return pvf_error_set(err, PVF_E_IO, "cannot send to the daemon: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends an encoded frame and frees it (enc_rc: the encoder's result). */
static int send_frame(pvf_client *c, int enc_rc, uint8_t *frame, size_t len, pvf_error *err)
{
	int rc;

	if (enc_rc < 0)
		return -1;
	rc = send_all(c, frame, len, err);
	free(frame);
	return rc;
}

static int recv_all(pvf_client *c, uint8_t *p, size_t n, int64_t deadline, bool first, pvf_error *err)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r;

		if (deadline >= 0) {
			int64_t left = deadline - (int64_t)pvf_clock_ms();
			struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
			int pr;

			if (left < 0)
				left = 0;
			pr = poll(&pfd, 1, (int)left);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0)
				return pvf_error_set(err, PVF_E_IO, "cannot wait for the daemon: %s", strerror(errno));
			if (pr == 0)
				return pvf_error_set(err, PVF_E_IO, "timed out waiting for the daemon (%d ms)",
						     c->timeout_ms);
		}
		r = recv(c->fd, p + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return pvf_error_set(err, PVF_E_IO, "cannot read from the daemon: %s", strerror(errno));
		}
		if (r == 0)
			return pvf_error_set(err, PVF_E_IO, "%s",
					     first && got == 0 ? "the server closed the connection"
							       : "the server closed the connection mid-frame");
		got += (size_t)r;
	}
	return 0;
}

static int recv_payload(pvf_client *c, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	uint8_t hdr[4];
	size_t n = 0;
	uint8_t *p;
	int64_t deadline = c->timeout_ms >= 0 ? (int64_t)pvf_clock_ms() + c->timeout_ms : -1;

	if (recv_all(c, hdr, 4, deadline, true, err) < 0)
		return -1;
	if (pvf_dproto_frame(hdr, 4, &n, err) < 0) {
		pvf_error_prefix(err, "from the daemon");
		return -1;
	}
	p = malloc(n);
	if (!p)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory for a frame of %zu bytes", n);
	if (recv_all(c, p, n, deadline, false, err) < 0) {
		free(p);
		return -1;
	}
	*ret = p;
	*ret_len = n;
	return 0;
}

/* ---- connection ------------------------------------------------------------ */

int pvf_client_connect(const char *path, pvf_client **ret, pvf_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pvf_dmsg_hello h = { .id = 1, .protocol_version = PVF_DPROTO_VERSION };
	pvf_dmsg_hello_ack a;
	pvf_client *c;
	uint8_t *f = NULL, *p;
	size_t len = 0, plen;
	int rc;

	*ret = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return pvf_error_set(err, PVF_E_USAGE, "socket path \"%s\" is longer than %zu bytes", path,
				     sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c = calloc(1, sizeof(*c));
	if (!c)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	c->timeout_ms = -1;
	c->next_id = 2;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		pvf_error_set(err, PVF_E_IO, "cannot create a socket: %s", strerror(errno));
		free(c);
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		pvf_error_set(err, PVF_E_IO, "cannot connect to the daemon at %s: %s (is `pvfhost serve` running?)",
			      path, strerror(errno));
		goto fail;
	}
	snprintf(h.client_name, sizeof(h.client_name), "%s", CLIENT_NAME);
	rc = pvf_dproto_encode_hello(&h, &f, &len, err);
	if (send_frame(c, rc, f, len, err) < 0)
		goto fail;
	/* The handshake has its own bound: a daemon answers HELLO at once. */
	c->timeout_ms = 30000;
	if (recv_payload(c, &p, &plen, err) < 0)
		goto fail;
	c->timeout_ms = -1;
	if (plen > 0 && p[0] == PVF_DMSG_ERROR) {
		pvf_dmsg_error e;
		if (pvf_dproto_decode_error(p, plen, &e, err) == 0) {
			pvf_dproto_err_to_error(&e.err, err);
			pvf_error_prefix(err, "the daemon refused the connection");
		}
		free(p);
		goto fail;
	}
	if (pvf_dproto_decode_hello_ack(p, plen, &a, err) < 0) {
		free(p);
		pvf_error_prefix(err, "bad handshake from the daemon");
		goto fail;
	}
	free(p);
	if (!a.accepted) {
		pvf_error_set(err, PVF_E_USAGE, "the daemon (pvfhost %s, protocol %u) refused the connection: %s",
			      a.server_version, a.protocol_version, a.msg);
		goto fail;
	}
	snprintf(c->server_version, sizeof(c->server_version), "%s", a.server_version);
	*ret = c;
	return 0;
fail:
	close(c->fd);
	free(c);
	return -1;
}

const char *pvf_client_server_version(const pvf_client *c)
{
	return c->server_version;
}

void pvf_client_set_timeout(pvf_client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
}

int pvf_client_fd(const pvf_client *c)
{
	return c->fd;
}

void pvf_client_close(pvf_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

/* ---- requests ---------------------------------------------------------------- */

static uint64_t take_id(pvf_client *c, uint64_t *id)
{
	uint64_t v = c->next_id++;

	if (c->next_id == 0)
		c->next_id = 1;
	if (id)
		*id = v;
	return v;
}

static int send_code_req(pvf_client *c, bool precheck, const uint8_t *code, size_t code_len,
			 const uint8_t *exec_params, size_t ep_len, uint64_t *id, pvf_error *err)
{
	pvf_dmsg_code_req m = { .exec_params = exec_params, .exec_params_len = exec_params ? ep_len : 0,
				.code = code, .code_len = code_len };
	uint8_t *f = NULL;
	size_t len = 0;
	int rc;

	m.id = take_id(c, id);
	rc = precheck ? pvf_dproto_encode_precheck(&m, &f, &len, err) : pvf_dproto_encode_heads_up(&m, &f, &len, err);
	return send_frame(c, rc, f, len, err);
}

int pvf_client_send_precheck(pvf_client *c, const uint8_t *code, size_t code_len, const uint8_t *exec_params,
			     size_t ep_len, uint64_t *id, pvf_error *err)
{
	return send_code_req(c, true, code, code_len, exec_params, ep_len, id, err);
}

int pvf_client_send_heads_up(pvf_client *c, const uint8_t *code, size_t code_len, const uint8_t *exec_params,
			     size_t ep_len, uint64_t *id, pvf_error *err)
{
	return send_code_req(c, false, code, code_len, exec_params, ep_len, id, err);
}

int pvf_client_send_validate(pvf_client *c, const pvf_client_validate_req *req, uint64_t *id, pvf_error *err)
{
	pvf_dmsg_validate m = { .priority = (uint8_t)req->priority, .deadline_ms = req->deadline_ms,
				.exec_params = req->exec_params,
				.exec_params_len = req->exec_params ? req->exec_params_len : 0,
				.code = req->code, .code_len = req->code_len,
				.params = req->params, .params_len = req->params_len };
	uint8_t *f = NULL;
	size_t len = 0;
	int rc;

	if ((unsigned)req->priority > PVFHOST_PRIO_DISPUTE)
		return pvf_error_set(err, PVF_E_USAGE, "priority %d out of range (0..3)", (int)req->priority);
	if (req->export_name &&
	    (size_t)snprintf(m.export_name, sizeof(m.export_name), "%s", req->export_name) >= sizeof(m.export_name))
		return pvf_error_set(err, PVF_E_USAGE, "export name longer than %u bytes", PVF_DPROTO_MAX_EXPORT);
	m.id = take_id(c, id);
	rc = pvf_dproto_encode_validate(&m, &f, &len, err);
	return send_frame(c, rc, f, len, err);
}

int pvf_client_send_cancel(pvf_client *c, uint64_t target, uint64_t *id, pvf_error *err)
{
	pvf_dmsg_cancel m = { .target = target };
	uint8_t *f = NULL;
	size_t len = 0;
	int rc;

	m.id = take_id(c, id);
	rc = pvf_dproto_encode_cancel(&m, &f, &len, err);
	return send_frame(c, rc, f, len, err);
}

int pvf_client_send_metrics(pvf_client *c, uint64_t *id, pvf_error *err)
{
	uint8_t *f = NULL;
	size_t len = 0;
	int rc = pvf_dproto_encode_metrics(take_id(c, id), &f, &len, err);

	return send_frame(c, rc, f, len, err);
}

/* ---- responses ------------------------------------------------------------- */

int pvf_client_recv(pvf_client *c, pvf_client_msg *msg, pvf_error *err)
{
	uint8_t *p;
	size_t n;
	int rc;

	memset(msg, 0, sizeof(*msg));
	if (recv_payload(c, &p, &n, err) < 0)
		return -1;
	if (pvf_dproto_header(p, n, &msg->type, &msg->id, err) < 0) {
		free(p);
		return -1;
	}
	switch (msg->type) {
	case PVF_DMSG_PRECHECK_RESULT:
		rc = pvf_dproto_decode_precheck_result(p, n, &msg->u.precheck, err);
		break;
	case PVF_DMSG_ACK:
		rc = pvf_dproto_decode_ack(p, n, &msg->id, err);
		break;
	case PVF_DMSG_VALIDATE_RESULT:
		rc = pvf_dproto_decode_validate_result(p, n, &msg->u.validate, err);
		break;
	case PVF_DMSG_CANCEL_RESULT:
		rc = pvf_dproto_decode_cancel_result(p, n, &msg->u.cancel, err);
		break;
	case PVF_DMSG_METRICS_RESULT:
		rc = pvf_dproto_decode_metrics_result(p, n, &msg->u.metrics, err);
		break;
	case PVF_DMSG_ERROR:
		rc = pvf_dproto_decode_error(p, n, &msg->u.error, err);
		break;
	default:
		rc = pvf_error_set(err, PVF_E_IO, "the daemon sent an unexpected message type 0x%02x (%s)", msg->type,
				   pvf_dmsg_type_name(msg->type));
		break;
	}
	if (rc < 0) {
		if (err && err->code == PVF_E_USAGE)
			pvf_error_prefix(err, "from the daemon");
		free(p);
		memset(msg, 0, sizeof(*msg));
		return -1;
	}
	msg->payload = p;
	msg->payload_len = n;
	return 0;
}

void pvf_client_msg_free(pvf_client_msg *msg)
{
	if (!msg)
		return;
	free(msg->payload);
	memset(msg, 0, sizeof(*msg));
}

static void to_public(const pvf_dproto_err *d, pvfhost_error *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	out->code = (int)d->code;
	out->cls = (pvfhost_error_class)d->cls;
	snprintf(out->msg, sizeof(out->msg), "%s", d->msg);
}

int pvf_client_result_from_msg(const pvf_client_msg *msg, pvf_client_result *res, pvf_error *err)
{
	const pvf_dmsg_validate_result *v = &msg->u.validate;

	memset(res, 0, sizeof(*res));
	if (msg->type != PVF_DMSG_VALIDATE_RESULT)
		return pvf_error_set(err, PVF_E_USAGE, "message %s is not a validate-result",
				     pvf_dmsg_type_name(msg->type));
	res->id = v->id;
	res->status = v->status;
	to_public(&v->err, &res->err);
	if (v->output_len) {
		res->output = malloc(v->output_len);
		if (!res->output)
			return pvf_error_set(err, PVF_E_NOMEM, "out of memory for %zu bytes of output", v->output_len);
		memcpy(res->output, v->output, v->output_len);
	}
	res->output_len = v->output_len;
	res->attempts = v->attempts;
	res->prepared = v->prepared != 0;
	res->queue_us = v->queue_us;
	res->execute_us = v->execute_us;
	res->cpu_us = v->cpu_us;
	return 0;
}

void pvf_client_result_free(pvf_client_result *res)
{
	if (!res)
		return;
	free(res->output);
	res->output = NULL;
	res->output_len = 0;
}

/* Receives the response to `id`, which must be the next frame; an ERROR
 * for it (or for the connection) becomes -1 with the server's error. */
static int await(pvf_client *c, uint64_t id, uint8_t type, pvf_client_msg *msg, pvf_error *err)
{
	if (pvf_client_recv(c, msg, err) < 0)
		return -1;
	if (msg->type == PVF_DMSG_ERROR && (msg->id == id || msg->id == 0)) {
		pvf_dproto_err_to_error(&msg->u.error.err, err);
		pvf_error_prefix(err, "the daemon answered");
		pvf_client_msg_free(msg);
		return -1;
	}
	if (msg->id != id || msg->type != type) {
		pvf_error_set(err, PVF_E_IO,
			      "expected the %s for request %llu, got a %s for request %llu (pipelined requests "
			      "pending? use pvf_client_recv)",
			      pvf_dmsg_type_name(type), (unsigned long long)id, pvf_dmsg_type_name(msg->type),
			      (unsigned long long)msg->id);
		pvf_client_msg_free(msg);
		return -1;
	}
	return 0;
}

int pvf_client_precheck(pvf_client *c, const uint8_t *code, size_t code_len, const uint8_t *exec_params,
			size_t ep_len, pvfhost_precheck_verdict *verdict, pvfhost_error *why, pvf_error *err)
{
	pvf_client_msg m;
	uint64_t id;

	if (pvf_client_send_precheck(c, code, code_len, exec_params, ep_len, &id, err) < 0 ||
	    await(c, id, PVF_DMSG_PRECHECK_RESULT, &m, err) < 0)
		return -1;
	*verdict = (pvfhost_precheck_verdict)m.u.precheck.verdict;
	to_public(&m.u.precheck.err, why);
	pvf_client_msg_free(&m);
	return 0;
}

int pvf_client_heads_up(pvf_client *c, const uint8_t *code, size_t code_len, const uint8_t *exec_params,
			size_t ep_len, pvf_error *err)
{
	pvf_client_msg m;
	uint64_t id;

	if (pvf_client_send_heads_up(c, code, code_len, exec_params, ep_len, &id, err) < 0 ||
	    await(c, id, PVF_DMSG_ACK, &m, err) < 0)
		return -1;
	pvf_client_msg_free(&m);
	return 0;
}

int pvf_client_validate(pvf_client *c, const pvf_client_validate_req *req, pvf_client_result *res,
			pvf_error *err)
{
	pvf_client_msg m;
	uint64_t id;
	int rc;

	memset(res, 0, sizeof(*res));
	if (pvf_client_send_validate(c, req, &id, err) < 0 || await(c, id, PVF_DMSG_VALIDATE_RESULT, &m, err) < 0)
		return -1;
	rc = pvf_client_result_from_msg(&m, res, err);
	pvf_client_msg_free(&m);
	return rc;
}

int pvf_client_metrics(pvf_client *c, char **text, size_t *len, pvf_error *err)
{
	pvf_client_msg m;
	uint64_t id;
	char *t;

	if (pvf_client_send_metrics(c, &id, err) < 0 || await(c, id, PVF_DMSG_METRICS_RESULT, &m, err) < 0)
		return -1;
	t = malloc(m.u.metrics.text_len + 1);
	if (!t) {
		pvf_client_msg_free(&m);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	memcpy(t, m.u.metrics.text, m.u.metrics.text_len);
	t[m.u.metrics.text_len] = '\0';
	*text = t;
	if (len)
		*len = m.u.metrics.text_len;
	pvf_client_msg_free(&m);
	return 0;
}
