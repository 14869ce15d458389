/*
 * server.c — the daemon's event loop: the listening socket, connections
 * and their requests, completions handed back from host threads, bounded
 * pre-check threads, and the SIGTERM/SIGINT shutdown.
 *
 * Threads. The loop thread owns every connection and request list. Host
 * completion callbacks (on the host's completion thread, or on the execute
 * slot thread that ran an answered validation: pvf__host_callbacks_inline)
 * and pre-check threads touch only their own request
 * (encode its response into req->frame), then append it to the done list
 * under `mu` and write the eventfd; the loop delivers it to its connection,
 * or drops it if the connection has gone (req->c == NULL).
 */
#include "daemon/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "daemon/dproto.h"
#include "daemon/metrics_http.h"
#include "host/host_hooks.h"

#define LOG "daemon"
#define IN_CHUNK (64u << 10)
#define IN_MAX ((size_t)PVF_DPROTO_MAX_FRAME + 4 + IN_CHUNK)
#define SHRINK_ABOVE (1u << 20)
#define CLOSE_LINGER_MS 2000

enum { REQ_VALIDATE = 1, REQ_PRECHECK = 2 };
enum { PC_QUEUED = 0, PC_RUNNING = 1 };

typedef struct server server;
typedef struct conn conn;

typedef struct req {
	struct req *prev, *next;        /* the connection's in-flight list (loop thread) */
	struct req *qnext;              /* pre-check queue (loop thread) or done list (mu) */
	server *srv;
	conn *c;                        /* NULL once the connection is gone (loop thread) */
	uint64_t id;
	int kind;
	uint64_t job;                   /* host job id (validate) */
	int pc_state;                   /* pre-check: queued or running */
	pthread_t thread;
	uint8_t *code;                  /* pre-check: a copy of the code */
	size_t code_len;
	bool has_ep;
	pvfhost_executor_params ep;
	uint8_t *frame;                 /* the encoded response, set by whoever completes it */
	size_t frame_len;
} req;

struct conn {
	conn *prev, *next;
	server *srv;
	int fd;
	uint64_t serial;
	pid_t peer_pid;
	bool hello, closing, dead;
	int64_t close_deadline;         /* ms, when closing */
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	req *reqs;
	size_t nreqs;
	uint32_t events;                /* registered with epoll */
};

struct server {
	pvfhost *host;
	int ep, lfd, sfd, efd;
	dev_t sock_dev;
	ino_t sock_ino;
	const char *path;
	conn *conns;
	size_t nconns;
	uint64_t next_serial;
	pthread_mutex_t mu;
	req *done_head, *done_tail;     /* guarded by mu */
	req *pq_head, *pq_tail;         /* queued pre-checks */
	unsigned pc_running;
	size_t outstanding;             /* handed to the host or a thread, not back yet */
	pvf_metrics_http *http;
	bool stopping;
};

/* ---- completions (any thread) ------------------------------------------------ */

static void complete(server *s, req *q)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->mu);
	q->qnext = NULL;
	if (s->done_tail)
		s->done_tail->qnext = q;
	else
		s->done_head = q;
	s->done_tail = q;
	pthread_mutex_unlock(&s->mu);
	while (write(s->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* An error from the host as a protocol error field: a code outside the
 * table, or one without a class, is made consistent rather than sent as a
 * frame the client must reject. */
static void err_from_host(pvf_dproto_err *d, const pvfhost_error *e, const char *fallback)
{
	int code = e->code, cls = (int)e->cls;
	char msg[PVFHOST_ERROR_MSG_MAX + 128]; /* cut to the protocol's bound by err_from */

	if (code <= 0 || code >= PVF_E__COUNT) {
		snprintf(msg, sizeof(msg), "%s (host error code %d): %s", fallback, code, e->msg);
		pvf_dproto_err_from(d, PVF_E_IO, PVF_CLASS_INTERNAL, msg);
		return;
	}
	if (cls <= 0 || cls > PVF_CLASS_INTERNAL)
		cls = pvf_error_code_class((pvf_error_code)code);
	pvf_dproto_err_from(d, code, cls, e->msg);
}

/* Replaces a response that could not be encoded with an ERROR for its id. */
static void error_frame(req *q, const pvf_error *why)
{
	pvf_dmsg_error m = { .id = q->id };

	pvf_dproto_err_from(&m.err, why->code ? (int)why->code : PVF_E_IO, why->cls ? (int)why->cls : PVF_CLASS_INTERNAL,
			    why->msg);
	if (pvf_dproto_encode_error(&m, &q->frame, &q->frame_len, NULL) < 0) {
		q->frame = NULL;
		q->frame_len = 0;
	}
}

static void on_validate_done(void *ctx, const pvfhost_result *r)
{
	req *q = ctx;
	pvf_dmsg_validate_result m;
	pvf_error e;

	memset(&m, 0, sizeof(m));
	m.id = q->id;
	if (r->status == 0) {
		m.output = r->output;
		m.output_len = r->output ? r->output_len : 0;
	} else {
		m.status = 1;
		err_from_host(&m.err, &r->err, "validation failed");
	}
	m.attempts = r->attempts;
	m.prepared = r->prepared ? 1 : 0;
	m.queue_us = r->queue_us;
	m.execute_us = r->execute_us;
	m.cpu_us = r->cpu_us;
	if (pvf_dproto_encode_validate_result(&m, &q->frame, &q->frame_len, &e) < 0) {
		pvf_error_prefix(&e, "cannot send the result");
		error_frame(q, &e);
	}
	complete(q->srv, q);
}

static void *precheck_main(void *arg)
{
	req *q = arg;
	pvfhost_error he;
	pvf_dmsg_precheck_result m;
	pvf_error e;
	pvfhost_precheck_verdict v;

	memset(&he, 0, sizeof(he));
	memset(&m, 0, sizeof(m));
	v = pvfhost_precheck(q->srv->host, q->code, q->code_len, q->has_ep ? &q->ep : NULL, &he);
	m.id = q->id;
	if (v != PVFHOST_PRECHECK_VALID) {
		m.verdict = v == PVFHOST_PRECHECK_INVALID ? 1 : 2;
		err_from_host(&m.err, &he, "pre-check failed");
	}
	if (pvf_dproto_encode_precheck_result(&m, &q->frame, &q->frame_len, &e) < 0) {
		pvf_error_prefix(&e, "cannot send the pre-check result");
		error_frame(q, &e);
	}
	complete(q->srv, q);
	return NULL;
}

/* ---- connections: output ------------------------------------------------------ */

static size_t out_pending(const conn *c)
{
	return c->out_len - c->out_off;
}

static void conn_queue(conn *c, const uint8_t *p, size_t n)
{
	if (c->dead)
		return;
	if (out_pending(c) + n > PVF_DAEMON_OUT_MAX) {
		pvf_log(PVF_LOG_WARN, LOG,
			"event=drop conn=%llu reason=\"client does not read its responses\" unsent_bytes=%zu",
			(unsigned long long)c->serial, out_pending(c));
		c->dead = true;
		return;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *nb;

		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off, out_pending(c));
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < c->out_len + n)
			cap *= 2;
		if (cap > c->out_cap) {
			nb = realloc(c->out, cap);
			if (!nb) {
				pvf_log(PVF_LOG_ERROR, LOG, "event=drop conn=%llu reason=\"out of memory\"",
					(unsigned long long)c->serial);
				c->dead = true;
				return;
			}
			c->out = nb;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

static void send_error(conn *c, uint64_t id, int code, int cls, const char *msg)
{
	pvf_dmsg_error m = { .id = id };
	uint8_t *f;
	size_t n;

	pvf_dproto_err_from(&m.err, code, cls ? cls : (int)pvf_error_code_class((pvf_error_code)code), msg);
	if (pvf_dproto_encode_error(&m, &f, &n, NULL) < 0) {
		c->dead = true;
		return;
	}
	conn_queue(c, f, n);
	free(f);
}

static void send_pvf_error(conn *c, uint64_t id, const pvf_error *e)
{
	pvf_log(PVF_LOG_INFO, LOG, "event=error-reply conn=%llu id=%llu code=%s", (unsigned long long)c->serial,
		(unsigned long long)id, pvf_error_code_name(e->code));
	send_error(c, id, e->code ? (int)e->code : PVF_E_IO, (int)e->cls, e->msg);
}

static void send_host_error(conn *c, uint64_t id, const pvfhost_error *he, const char *what)
{
	pvf_dmsg_error m = { .id = id };
	uint8_t *f;
	size_t n;

	err_from_host(&m.err, he, what);
	if (pvf_dproto_encode_error(&m, &f, &n, NULL) < 0) {
		c->dead = true;
		return;
	}
	conn_queue(c, f, n);
	free(f);
}

/* Sends an encoded response (freeing it), or an ERROR if encoding failed. */
static void send_encoded(conn *c, uint64_t id, int rc, uint8_t *f, size_t n, const pvf_error *e)
{
	if (rc < 0) {
		send_pvf_error(c, id, e);
		return;
	}
	conn_queue(c, f, n);
	free(f);
}

static void conn_flush(conn *c)
{
	while (!c->dead && out_pending(c) > 0) {
		ssize_t w = send(c->fd, c->out + c->out_off, out_pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			pvf_log(PVF_LOG_INFO, LOG, "event=disconnect conn=%llu reason=\"%s\"",
				(unsigned long long)c->serial, strerror(errno));
			c->dead = true;
			return;
		}
		c->out_off += (size_t)w;
	}
	if (out_pending(c) == 0) {
		c->out_off = c->out_len = 0;
		if (c->out_cap > SHRINK_ABOVE) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
}

/* ---- requests ----------------------------------------------------------------- */

static void req_link(conn *c, req *q)
{
	q->c = c;
	q->prev = NULL;
	q->next = c->reqs;
	if (c->reqs)
		c->reqs->prev = q;
	c->reqs = q;
	c->nreqs++;
}

static void req_unlink(req *q)
{
	conn *c = q->c;

	if (!c)
		return;
	if (q->prev)
		q->prev->next = q->next;
	else
		c->reqs = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
	q->c = NULL;
	c->nreqs--;
}

static void req_free(req *q)
{
	free(q->code);
	free(q->frame);
	free(q);
}

static req *find_req(conn *c, uint64_t id)
{
	for (req *q = c->reqs; q; q = q->next)
		if (q->id == id)
			return q;
	return NULL;
}

/* Hands a completed request's response to its connection (if it is still
 * there) and frees the request. */
static void deliver(req *q)
{
	conn *c = q->c;

	if (c) {
		req_unlink(q);
		if (q->frame)
			conn_queue(c, q->frame, q->frame_len);
		else {
			pvf_log(PVF_LOG_ERROR, LOG, "event=drop conn=%llu id=%llu reason=\"cannot encode a response\"",
				(unsigned long long)c->serial, (unsigned long long)q->id);
			c->dead = true;
		}
	}
	req_free(q);
}

static void start_prechecks(server *s)
{
	while (s->pc_running < PVF_DAEMON_PRECHECK_THREADS && s->pq_head) {
		req *q = s->pq_head;
		int rc;

		s->pq_head = q->qnext;
		if (!s->pq_head)
			s->pq_tail = NULL;
		q->qnext = NULL;
		q->pc_state = PC_RUNNING;
		/* Inherits the loop thread's mask: SIGTERM/SIGINT blocked. */
		rc = pthread_create(&q->thread, NULL, precheck_main, q);
		if (rc != 0) {
			pvf_error e;
			pvf_error_set(&e, PVF_E_NOMEM, "cannot start a pre-check thread: %s", strerror(rc));
			error_frame(q, &e);
			deliver(q);
			continue;
		}
		s->pc_running++;
		s->outstanding++;
	}
}

static void drain_done(server *s)
{
	uint64_t v;
	req *list;

	while (read(s->efd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&s->mu);
	list = s->done_head;
	s->done_head = s->done_tail = NULL;
	pthread_mutex_unlock(&s->mu);
	while (list) {
		req *q = list;

		list = q->qnext;
		if (q->kind == REQ_PRECHECK) {
			pthread_join(q->thread, NULL);
			s->pc_running--;
		}
		s->outstanding--;
		deliver(q);
	}
	start_prechecks(s);
}

/* The connection is going away: cancel its validations, drop its queued
 * pre-checks; running ones complete into the void. */
static void conn_abandon(server *s, conn *c)
{
	size_t cancelled = 0;

	for (req *q = c->reqs, *n; q; q = n) {
		n = q->next;
		q->prev = q->next = NULL;
		q->c = NULL;
		if (q->kind == REQ_VALIDATE) {
			pvfhost_cancel(s->host, q->job);
			cancelled++;
		} else if (q->pc_state == PC_QUEUED) {
			req **pp = &s->pq_head;
			req *last = NULL;

			for (; *pp; last = *pp, pp = &(*pp)->qnext) {
				if (*pp == q) {
					*pp = q->qnext;
					if (s->pq_tail == q)
						s->pq_tail = last;
					break;
				}
			}
			req_free(q);
		}
	}
	c->reqs = NULL;
	c->nreqs = 0;
	if (cancelled)
		pvf_log(PVF_LOG_INFO, LOG, "event=cancel conn=%llu validations=%zu reason=disconnect",
			(unsigned long long)c->serial, cancelled);
}

static void conn_free(server *s, conn *c)
{
	conn_abandon(s, c);
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	pvf_log(PVF_LOG_INFO, LOG, "event=close conn=%llu", (unsigned long long)c->serial);
	free(c->in);
	free(c->out);
	free(c);
}

static void conn_close_soon(conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->close_deadline = (int64_t)pvf_clock_ms() + CLOSE_LINGER_MS;
	/* Stop the work nobody will read. */
	conn_abandon(c->srv, c);
}

/* Decodes a request's executor parameters; empty means defaults. */
static int exec_params(conn *c, uint64_t id, const uint8_t *p, size_t n, pvfhost_executor_params *ep, bool *has)
{
	pvfhost_error he;

	*has = n > 0;
	if (n == 0)
		return 0;
	memset(&he, 0, sizeof(he));
	if (pvfhost_executor_params_decode(p, n, ep, &he) < 0) {
		if (he.code == 0) {
			he.code = PVF_E_USAGE;
			he.cls = PVFHOST_CLASS_INTERNAL;
		}
		send_host_error(c, id, &he, "bad executor params");
		return -1;
	}
	return 0;
}

static bool inflight_ok(conn *c, uint64_t id)
{
	char msg[160];

	if (c->nreqs < PVF_DAEMON_MAX_INFLIGHT)
		return true;
	snprintf(msg, sizeof(msg), "%u requests in flight on this connection: wait for responses before sending more",
		 PVF_DAEMON_MAX_INFLIGHT);
	send_error(c, id, PVF_E_USAGE, 0, msg);
	return false;
}

static void on_hello(conn *c, uint64_t id, const uint8_t *p, size_t n)
{
	pvf_dmsg_hello h;
	pvf_dmsg_hello_ack a = { .id = id, .protocol_version = PVF_DPROTO_VERSION, .max_frame = PVF_DPROTO_MAX_FRAME };
	pvf_error e;
	uint8_t *f = NULL;
	size_t fl = 0;
	int rc;
	char q[300];

	if (c->hello) {
		send_error(c, id, PVF_E_USAGE, 0, "a second HELLO: the handshake is already done");
		return;
	}
	if (pvf_dproto_decode_hello(p, n, &h, &e) < 0) {
		send_pvf_error(c, id, &e);
		conn_close_soon(c);
		return;
	}
	snprintf(a.server_version, sizeof(a.server_version), "%s", PVFHOST_VERSION);
	a.accepted = h.protocol_version == PVF_DPROTO_VERSION;
	if (!a.accepted)
		snprintf(a.msg, sizeof(a.msg), "protocol version %u is not supported: pvfhost %s speaks protocol version %u",
			 h.protocol_version, PVFHOST_VERSION, PVF_DPROTO_VERSION);
	rc = pvf_dproto_encode_hello_ack(&a, &f, &fl, &e);
	send_encoded(c, id, rc, f, fl, &e);
	pvf_log_quote(q, sizeof(q), "client", h.client_name);
	if (!a.accepted) {
		pvf_log(PVF_LOG_WARN, LOG, "event=hello-refused conn=%llu %s protocol=%u", (unsigned long long)c->serial,
			q, h.protocol_version);
		conn_close_soon(c);
		return;
	}
	c->hello = true;
	pvf_log(PVF_LOG_INFO, LOG, "event=hello conn=%llu %s pid=%d", (unsigned long long)c->serial, q,
		(int)c->peer_pid);
}

static void on_precheck(server *s, conn *c, uint64_t id, const uint8_t *p, size_t n)
{
	pvf_dmsg_code_req m;
	pvf_error e;
	req *q;

	if (pvf_dproto_decode_precheck(p, n, &m, &e) < 0) {
		send_pvf_error(c, id, &e);
		return;
	}
	if (!inflight_ok(c, id))
		return;
	q = calloc(1, sizeof(*q));
	if (q)
		q->code = malloc(m.code_len ? m.code_len : 1);
	if (!q || !q->code) {
		if (q)
			req_free(q);
		send_error(c, id, PVF_E_NOMEM, 0, "out of memory for the pre-check request");
		return;
	}
	if (exec_params(c, id, m.exec_params, m.exec_params_len, &q->ep, &q->has_ep) < 0) {
		req_free(q);
		return;
	}
	memcpy(q->code, m.code, m.code_len);
	q->code_len = m.code_len;
	q->srv = s;
	q->id = id;
	q->kind = REQ_PRECHECK;
	q->pc_state = PC_QUEUED;
	req_link(c, q);
	if (s->pq_tail)
		s->pq_tail->qnext = q;
	else
		s->pq_head = q;
	s->pq_tail = q;
	start_prechecks(s);
}

static void on_heads_up(server *s, conn *c, uint64_t id, const uint8_t *p, size_t n)
{
	pvf_dmsg_code_req m;
	pvf_error e;
	pvfhost_executor_params ep;
	pvfhost_error he;
	bool has;
	uint8_t *f = NULL;
	size_t fl = 0;
	int rc;

	if (pvf_dproto_decode_heads_up(p, n, &m, &e) < 0) {
		send_pvf_error(c, id, &e);
		return;
	}
	if (exec_params(c, id, m.exec_params, m.exec_params_len, &ep, &has) < 0)
		return;
	memset(&he, 0, sizeof(he));
	if (pvfhost_heads_up(s->host, m.code, m.code_len, has ? &ep : NULL, &he) < 0) {
		send_host_error(c, id, &he, "heads-up refused");
		return;
	}
	rc = pvf_dproto_encode_ack(id, &f, &fl, &e);
	send_encoded(c, id, rc, f, fl, &e);
}

static void on_validate(server *s, conn *c, uint64_t id, const uint8_t *p, size_t n)
{
	pvf_dmsg_validate m;
	pvf_error e;
	pvfhost_error he;
	pvfhost_validate_req vr;
	req *q;

	if (pvf_dproto_decode_validate(p, n, &m, &e) < 0) {
		send_pvf_error(c, id, &e);
		return;
	}
	if (!inflight_ok(c, id))
		return;
	q = calloc(1, sizeof(*q));
	if (!q) {
		send_error(c, id, PVF_E_NOMEM, 0, "out of memory for the validation request");
		return;
	}
	if (exec_params(c, id, m.exec_params, m.exec_params_len, &q->ep, &q->has_ep) < 0) {
		req_free(q);
		return;
	}
	q->srv = s;
	q->id = id;
	q->kind = REQ_VALIDATE;
	memset(&vr, 0, sizeof(vr));
	vr.code = m.code;
	vr.code_len = m.code_len;
	vr.params = m.params;
	vr.params_len = m.params_len;
	vr.exec_params = q->has_ep ? &q->ep : NULL;
	vr.priority = (pvfhost_priority)m.priority;
	vr.deadline_ms = m.deadline_ms;
	vr.export_name = m.export_name[0] ? m.export_name : NULL;
	req_link(c, q);
	s->outstanding++;
	memset(&he, 0, sizeof(he));
	if (pvfhost_validate_async(s->host, &vr, on_validate_done, q, &q->job, &he) < 0) {
		s->outstanding--;
		req_unlink(q);
		req_free(q);
		send_host_error(c, id, &he, "validation refused");
		return;
	}
	pvf_log(PVF_LOG_DEBUG, LOG, "event=validate conn=%llu id=%llu job=%llu priority=%u code_bytes=%zu",
		(unsigned long long)c->serial, (unsigned long long)id, (unsigned long long)q->job, m.priority,
		m.code_len);
}

static void on_cancel(server *s, conn *c, uint64_t id, const uint8_t *p, size_t n)
{
	pvf_dmsg_cancel m;
	pvf_dmsg_cancel_result r = { .id = id };
	pvf_error e;
	req *q;
	uint8_t *f = NULL;
	size_t fl = 0;
	int rc;

	if (pvf_dproto_decode_cancel(p, n, &m, &e) < 0) {
		send_pvf_error(c, id, &e);
		return;
	}
	q = find_req(c, m.target);
	if (q && q->kind == REQ_VALIDATE) {
		pvfhost_cancel(s->host, q->job);
		r.found = 1;
	}
	rc = pvf_dproto_encode_cancel_result(&r, &f, &fl, &e);
	send_encoded(c, id, rc, f, fl, &e);
}

static void on_metrics(server *s, conn *c, uint64_t id, const uint8_t *p, size_t n)
{
	pvf_dmsg_metrics_result r = { .id = id };
	pvfhost_error he;
	pvf_error e;
	uint64_t did;
	char *text = NULL;
	size_t tl = 0;
	uint8_t *f = NULL;
	size_t fl = 0;
	int rc;

	if (pvf_dproto_decode_metrics(p, n, &did, &e) < 0) {
		send_pvf_error(c, id, &e);
		return;
	}
	memset(&he, 0, sizeof(he));
	if (pvfhost_metrics_text(s->host, &text, &tl, &he) < 0) {
		send_host_error(c, id, &he, "metrics unavailable");
		return;
	}
	r.text = text;
	r.text_len = tl;
	rc = pvf_dproto_encode_metrics_result(&r, &f, &fl, &e);
	free(text);
	send_encoded(c, id, rc, f, fl, &e);
}

static void handle_frame(server *s, conn *c, const uint8_t *p, size_t n)
{
	uint8_t type;
	uint64_t id;
	pvf_error e;
	char msg[200];

	if (pvf_dproto_header(p, n, &type, &id, &e) < 0) {
		send_pvf_error(c, 0, &e);
		return;
	}
	if (id == 0) {
		send_error(c, 0, PVF_E_USAGE, 0, "bad frame: request id 0 is reserved");
		return;
	}
	if (!pvf_dproto_is_request(type)) {
		if (strcmp(pvf_dmsg_type_name(type), "unknown") == 0)
			snprintf(msg, sizeof(msg), "unknown message type 0x%02x", type);
		else
			snprintf(msg, sizeof(msg), "message type 0x%02x (%s) is a response: a client sends requests",
				 type, pvf_dmsg_type_name(type));
		send_error(c, id, PVF_E_USAGE, 0, msg);
		return;
	}
	if (type == PVF_DMSG_HELLO) {
		on_hello(c, id, p, n);
		return;
	}
	if (!c->hello) {
		snprintf(msg, sizeof(msg), "%s before HELLO: the first message on a connection must be HELLO",
			 pvf_dmsg_type_name(type));
		send_error(c, id, PVF_E_USAGE, 0, msg);
		conn_close_soon(c);
		return;
	}
	if (find_req(c, id)) {
		snprintf(msg, sizeof(msg),
			 "request id %llu is already in flight on this connection; closing it (responses would be "
			 "ambiguous)",
			 (unsigned long long)id);
		send_error(c, 0, PVF_E_USAGE, 0, msg);
		conn_close_soon(c);
		return;
	}
	switch (type) {
	case PVF_DMSG_PRECHECK:
		on_precheck(s, c, id, p, n);
		break;
	case PVF_DMSG_HEADS_UP:
		on_heads_up(s, c, id, p, n);
		break;
	case PVF_DMSG_VALIDATE:
		on_validate(s, c, id, p, n);
		break;
	case PVF_DMSG_CANCEL:
		on_cancel(s, c, id, p, n);
		break;
	case PVF_DMSG_METRICS:
		on_metrics(s, c, id, p, n);
		break;
	default:
		break;
	}
}

/* ---- connections: input ------------------------------------------------------- */

/* Handles every whole frame in the input buffer, unless the connection is
 * closing or has too much unsent output. */
static void conn_process(server *s, conn *c)
{
	size_t off = 0;
	pvf_error e;

	while (!c->dead && !c->closing && out_pending(c) < PVF_DAEMON_OUT_PAUSE) {
		size_t n = 0;
		int fr = pvf_dproto_frame(c->in + off, c->in_len - off, &n, &e);

		if (fr < 0) {
			send_pvf_error(c, 0, &e);
			conn_close_soon(c);
			break;
		}
		if (fr == 0)
			break;
		handle_frame(s, c, c->in + off + 4, n);
		off += 4 + (size_t)n;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	if (c->in_len == 0 && c->in_cap > SHRINK_ABOVE) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}

static void conn_read(server *s, conn *c)
{
	ssize_t r;

	if (c->in_len == c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap * 2 : IN_CHUNK;
		uint8_t *nb;

		if (cap > IN_MAX)
			cap = IN_MAX;
		if (cap <= c->in_len)
			return; /* a whole frame is waiting: processing resumes when output drains */
		nb = realloc(c->in, cap);
		if (!nb) {
			pvf_log(PVF_LOG_ERROR, LOG, "event=drop conn=%llu reason=\"out of memory\"",
				(unsigned long long)c->serial);
			c->dead = true;
			return;
		}
		c->in = nb;
		c->in_cap = cap;
	}
	r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (r < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		pvf_log(PVF_LOG_INFO, LOG, "event=disconnect conn=%llu reason=\"%s\"", (unsigned long long)c->serial,
			strerror(errno));
		c->dead = true;
		return;
	}
	if (r == 0) {
		pvf_log(PVF_LOG_INFO, LOG, "event=disconnect conn=%llu in_flight=%zu", (unsigned long long)c->serial,
			c->nreqs);
		c->dead = true;
		return;
	}
	c->in_len += (size_t)r;
	conn_process(s, c);
}

static void accept_all(server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		conn *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				pvf_log(PVF_LOG_WARN, LOG, "event=accept-failed reason=\"%s\"", strerror(errno));
			return;
		}
		c = s->nconns < PVF_DAEMON_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			pvf_dmsg_error m = { .id = 0 };
			uint8_t *f;
			size_t n;
			char msg[120];

			snprintf(msg, sizeof(msg), "too many connections (limit %u)%s", PVF_DAEMON_MAX_CONNS,
				 s->nconns < PVF_DAEMON_MAX_CONNS ? ": out of memory" : "");
			pvf_dproto_err_from(&m.err, PVF_E_USAGE, PVF_CLASS_INTERNAL, msg);
			if (pvf_dproto_encode_error(&m, &f, &n, NULL) == 0) {
				(void)!send(fd, f, n, MSG_NOSIGNAL | MSG_DONTWAIT);
				free(f);
			}
			pvf_log(PVF_LOG_WARN, LOG, "event=refuse-connection reason=\"%s\"", msg);
			close(fd);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		c->serial = ++s->next_serial;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
			c->peer_pid = cred.pid;
		c->events = EPOLLIN;
		{
			struct epoll_event ev = { .events = c->events, .data.ptr = c };
			if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
				pvf_log(PVF_LOG_WARN, LOG, "event=accept-failed reason=\"epoll: %s\"", strerror(errno));
				close(fd);
				free(c);
				continue;
			}
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
		pvf_log(PVF_LOG_INFO, LOG, "event=connect conn=%llu pid=%d", (unsigned long long)c->serial,
			(int)c->peer_pid);
	}
}

/* After each batch of events: flush output, resume paused input, close
 * dead and finished connections, update epoll interest. Returns whether
 * some connection is lingering (closing with output left). */
static bool update_conns(server *s)
{
	bool lingering = false;
	int64_t now = (int64_t)pvf_clock_ms();

	for (conn *c = s->conns, *n; c; c = n) {
		uint32_t want;

		n = c->next;
		conn_flush(c);
		if (!c->dead && !c->closing && c->in_len > 0 && out_pending(c) < PVF_DAEMON_OUT_PAUSE) {
			conn_process(s, c);
			conn_flush(c);
		}
		if (c->closing && (out_pending(c) == 0 || now >= c->close_deadline))
			c->dead = true;
		if (c->dead) {
			conn_free(s, c);
			continue;
		}
		if (c->closing)
			lingering = true;
		want = (c->closing || out_pending(c) >= PVF_DAEMON_OUT_PAUSE) ? 0 : EPOLLIN;
		if (out_pending(c) > 0)
			want |= EPOLLOUT;
		if (want != c->events) {
			struct epoll_event ev = { .events = want, .data.ptr = c };
			if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
				c->events = want;
		}
	}
	return lingering;
}

/* ---- setup and shutdown ------------------------------------------------------- */

/* Creates the listening socket, mode 0600. An existing path must be a
 * stale socket (nobody accepts on it): it is replaced; anything else is
 * refused. */
static int listen_socket(server *s, const char *path, pvf_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return pvf_error_set(err, PVF_E_USAGE, "socket path \"%s\" is longer than %zu bytes", path,
				     sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		int probe, rc, e;

		if (!S_ISSOCK(st.st_mode))
			return pvf_error_set(err, PVF_E_USAGE,
					     "%s exists and is not a socket: refusing to replace it (choose another "
					     "--socket path or remove the file)",
					     path);
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe < 0)
			return pvf_error_set(err, PVF_E_IO, "cannot create a socket: %s", strerror(errno));
		rc = connect(probe, (struct sockaddr *)&sa, sizeof(sa));
		e = errno;
		close(probe);
		if (rc == 0)
			return pvf_error_set(err, PVF_E_USAGE,
					     "another daemon is listening on %s: stop it or choose another --socket path",
					     path);
		if (e != ECONNREFUSED)
			return pvf_error_set(err, PVF_E_IO, "cannot tell whether %s is in use: %s", path, strerror(e));
		if (unlink(path) < 0)
			return pvf_error_set(err, PVF_E_IO, "cannot remove the stale socket %s: %s", path,
					     strerror(errno));
		pvf_log(PVF_LOG_INFO, LOG, "event=stale-socket-removed socket=\"%s\"", path);
	} else if (errno != ENOENT) {
		return pvf_error_set(err, PVF_E_IO, "cannot check %s: %s", path, strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pvf_error_set(err, PVF_E_IO, "cannot create a socket: %s", strerror(errno));
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		umask(old);
		close(fd);
		return pvf_error_set(err, PVF_E_IO, "cannot bind %s: %s", path, strerror(e));
	}
	umask(old);
	if (chmod(path, 0600) < 0 || listen(fd, 128) < 0 || stat(path, &st) < 0) {
		int e = errno;
		close(fd);
		unlink(path);
		return pvf_error_set(err, PVF_E_IO, "cannot listen on %s: %s", path, strerror(e));
	}
	s->lfd = fd;
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	return 0;
}

/* Removes the socket file if it is still the one this daemon created. */
static void unlink_socket(server *s)
{
	struct stat st;

	if (s->path && lstat(s->path, &st) == 0 && st.st_dev == s->sock_dev && st.st_ino == s->sock_ino)
		unlink(s->path);
}

static int render_metrics(void *ctx, char **text, size_t *len)
{
	server *s = ctx;

	return pvfhost_metrics_text(s->host, text, len, NULL);
}

static int add_fd(server *s, int fd, void *tag, pvf_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return pvf_error_set(err, PVF_E_IO, "epoll_ctl: %s", strerror(errno));
	return 0;
}

static void shutdown_all(server *s)
{
	int64_t start = (int64_t)pvf_clock_ms(), last_note = start;

	if (s->lfd >= 0) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
		close(s->lfd);
		s->lfd = -1;
	}
	unlink_socket(s);
	while (s->conns) {
		conn *c = s->conns;

		if (!c->dead) {
			send_error(c, 0, PVF_E_CANCELLED, 0, "the server is shutting down");
			conn_flush(c);
		}
		conn_free(s, c);
	}
	/* pvfhost_free() must be the last call on the host: wait for the
	 * pre-checks still running (their results go nowhere). */
	while (s->pc_running > 0) {
		struct pollfd pfd = { .fd = s->efd, .events = POLLIN };
		int64_t now = (int64_t)pvf_clock_ms();

		if (now - last_note >= 5000) {
			pvf_log(PVF_LOG_INFO, LOG, "event=shutdown-wait prechecks=%u waited_ms=%lld", s->pc_running,
				(long long)(now - start));
			last_note = now;
		}
		if (poll(&pfd, 1, 1000) > 0)
			drain_done(s);
	}
	if (s->http) {
		pvf_metrics_http_stop(s->http);
		s->http = NULL;
	}
	if (s->host) {
		pvfhost_free(s->host);
		s->host = NULL;
	}
	drain_done(s);
	if (s->outstanding)
		pvf_log(PVF_LOG_WARN, LOG, "event=shutdown outstanding=%zu reason=\"the host did not complete every job\"",
			s->outstanding);
}

int pvf_daemon_run(const pvf_daemon_opts *o, pvf_error *err)
{
	server srv, *s = &srv;
	sigset_t mask, old;
	pvfhost_error he;
	int rc = -1;
	bool lingering = false;

	if (!o || !o->socket_path || !o->socket_path[0])
		return pvf_error_set(err, PVF_E_USAGE, "no socket path: pass --socket PATH");
	memset(s, 0, sizeof(*s));
	s->ep = s->lfd = s->sfd = s->efd = -1;
	s->path = NULL;
	pthread_mutex_init(&s->mu, NULL);

	/* Every thread started from here on inherits the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, &old);

	s->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->sfd < 0 || s->efd < 0 || s->ep < 0) {
		pvf_error_set(err, PVF_E_IO, "cannot create the event loop: %s", strerror(errno));
		goto out;
	}
	/* Before any thread exists: bind() runs under a temporary umask. */
	if (listen_socket(s, o->socket_path, err) < 0)
		goto out;
	s->path = o->socket_path;
	memset(&he, 0, sizeof(he));
	if (pvfhost_new(&o->host, &s->host, &he) < 0) {
		pvf_error_set(err, he.code > 0 && he.code < PVF_E__COUNT ? (pvf_error_code)he.code : PVF_E_IO,
			      "cannot start the host: %s", he.msg);
		goto out;
	}
	/* on_validate_done only encodes and queues (complete()): quick and
	 * thread-safe, so an answered validation's callback runs on the slot
	 * thread that ran it, one hand-over less. */
	pvf__host_callbacks_inline(s->host);
	if (o->metrics_addr && pvf_metrics_http_start(o->metrics_addr, render_metrics, s, &s->http, err) < 0) {
		pvf_error_prefix(err, "--metrics %s", o->metrics_addr);
		goto out;
	}
	if (add_fd(s, s->lfd, &s->lfd, err) < 0 || add_fd(s, s->sfd, &s->sfd, err) < 0 ||
	    add_fd(s, s->efd, &s->efd, err) < 0)
		goto out;
	pvf_log(PVF_LOG_INFO, LOG, "event=listening socket=\"%s\" protocol=%u metrics_port=%d", o->socket_path,
		PVF_DPROTO_VERSION, s->http ? pvf_metrics_http_port(s->http) : -1);
	if (o->ready_fd >= 0) {
		while (write(o->ready_fd, "ready\n", 6) < 0 && errno == EINTR)
			;
	}

	while (!s->stopping) {
		struct epoll_event evs[64];
		int n = epoll_wait(s->ep, evs, 64, lingering ? 200 : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			pvf_error_set(err, PVF_E_IO, "epoll_wait: %s", strerror(errno));
			shutdown_all(s);
			goto out;
		}
		for (int i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;

			if (tag == &s->sfd) {
				struct signalfd_siginfo si;
				if (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					pvf_log(PVF_LOG_INFO, LOG, "event=shutdown signal=%s",
						si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
					s->stopping = true;
				}
			} else if (tag == &s->efd) {
				drain_done(s);
			} else if (tag == &s->lfd) {
				if (!s->stopping)
					accept_all(s);
			} else {
				conn *c = tag;

				if (c->dead)
					continue;
				if (evs[i].events & EPOLLIN)
					conn_read(s, c);
				else if (evs[i].events & (EPOLLHUP | EPOLLERR))
					c->dead = true;
			}
		}
		lingering = update_conns(s);
	}
	shutdown_all(s);
	pvf_log(PVF_LOG_INFO, LOG, "event=stopped");
	rc = 0;
out:
	if (rc < 0) {
		while (s->conns)
			conn_free(s, s->conns);
		if (s->http)
			pvf_metrics_http_stop(s->http);
		if (s->host)
			pvfhost_free(s->host);
		drain_done(s);
		if (s->lfd >= 0)
			close(s->lfd);
		unlink_socket(s);
	}
	if (s->ep >= 0)
		close(s->ep);
	if (s->sfd >= 0) {
		/* A second SIGTERM/SIGINT during the shutdown would otherwise be
		 * delivered (and kill the process) when the mask is restored. */
		struct signalfd_siginfo si;
		while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			;
		close(s->sfd);
	}
	if (s->efd >= 0)
		close(s->efd);
	pthread_mutex_destroy(&s->mu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
