/*
 * metrics_http.c — the Prometheus scrape endpoint (see metrics_http.h).
 *
 * One thread runs a poll() loop over an eventfd (the stop signal), the
 * listening socket and a fixed table of connections. Every socket is
 * non-blocking, so a slow or hostile peer costs a slot, never the thread.
 * A connection goes through three states:
 *
 *     READ   collect the request head (at most REQUEST_MAX bytes) until it is
 *            complete or visibly malformed; closed silently on EOF or when
 *            its deadline passes
 *     WRITE  send the response (status line, headers, body) as the socket
 *            accepts it
 *     DRAIN  after shutdown(SHUT_WR), read and discard what the peer still
 *            sends, briefly: closing a socket with unread input makes the
 *            kernel send a reset, which can destroy the response before the
 *            peer has read it
 *
 * The request parser is deliberately strict (RFC 9112 request line and
 * header field syntax, no obs-fold, no control bytes) and looks at nothing
 * but the method and the path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "daemon/metrics_http.h"

#define REQUEST_MAX PVF_METRICS_HTTP_REQUEST_MAX
#define MAX_CONNS PVF_METRICS_HTTP_MAX_CONNS
/* How long a closing connection may keep sending, and how much. */
#define DRAIN_MS 1000
#define DRAIN_MAX (64 * 1024)
/* Pause before accepting again after accept() failed (EMFILE and the like),
 * so a full fd table does not spin the loop. */
#define ACCEPT_PAUSE_MS 100

typedef enum conn_state {
	CONN_FREE = 0,
	CONN_READ,
	CONN_WRITE,
	CONN_DRAIN,
} conn_state;

typedef struct conn {
	int fd;
	conn_state state;
	int64_t deadline;           /* monotonic ms */
	char req[REQUEST_MAX];
	size_t used;
	char *out;                  /* WRITE: the whole response */
	size_t out_len, out_off;
	size_t drained;
} conn;

struct pvf_metrics_http {
	int listen_fd;
	int stop_fd;
	int port;
	pvf_metrics_render_fn fn;
	void *ctx;
	pthread_t thread;
	int64_t accept_pause_until;
	conn conns[MAX_CONNS];
};

/* ---- addresses ------------------------------------------------------- */

static bool parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static int parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len, pvf_error *err)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port_text;
	size_t hlen;
	uint16_t port;

	memset(ss, 0, sizeof(*ss));
	if (!addr)
		return pvf_error_set(err, PVF_E_USAGE, "metrics address missing");
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (!close || close[1] != ':')
			return pvf_error_set(err, PVF_E_USAGE,
					     "metrics address '%s': expected [IPv6]:port", addr);
		hlen = (size_t)(close - addr - 1);
		port_text = close + 2;
		if (hlen == 0 || hlen >= sizeof(host))
			return pvf_error_set(err, PVF_E_USAGE, "metrics address '%s': bad IPv6 address",
					     addr);
		memcpy(host, addr + 1, hlen);
		host[hlen] = '\0';
		if (!parse_port(port_text, &port))
			return pvf_error_set(err, PVF_E_USAGE, "metrics address '%s': bad port", addr);
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return pvf_error_set(err, PVF_E_USAGE, "metrics address '%s': bad IPv6 address",
					     addr);
		*len = sizeof(*s6);
		return 0;
	}
	colon = strrchr(addr, ':');
	if (!colon)
		return pvf_error_set(err, PVF_E_USAGE,
				     "metrics address '%s': expected IPv4:port, [IPv6]:port or :port", addr);
	hlen = (size_t)(colon - addr);
	if (hlen >= sizeof(host))
		return pvf_error_set(err, PVF_E_USAGE, "metrics address '%s': bad IPv4 address", addr);
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	if (!parse_port(colon + 1, &port))
		return pvf_error_set(err, PVF_E_USAGE, "metrics address '%s': bad port", addr);
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	if (hlen == 0)
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return pvf_error_set(err, PVF_E_USAGE, "metrics address '%s': bad IPv4 address", addr);
	*len = sizeof(*s4);
	return 0;
}

/* ---- request parsing ------------------------------------------------- */

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A parsed request: what the response depends on. */
typedef struct request {
	bool head;                  /* HEAD: headers only */
	int status;                 /* 0: incomplete, keep reading */
} request;

/* Parses the request line [p, p+n) (no line break): sets r->status to the
 * response code, or returns false when it is malformed. */
static bool parse_request_line(const char *p, size_t n, request *r)
{
	size_t i = 0, m, t0, t1;
	bool get, head, metrics;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	m = i;
	if (m == 0 || i >= n || p[i++] != ' ')
		return false;
	t0 = i;
	while (i < n && p[i] > 0x20 && p[i] < 0x7f)
		i++;
	t1 = i;
	if (t1 == t0 || i >= n || p[i++] != ' ')
		return false;
	if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7) != 0 || p[i + 7] < '0' || p[i + 7] > '9')
		return false;

	get = m == 3 && memcmp(p, "GET", 3) == 0;
	head = m == 4 && memcmp(p, "HEAD", 4) == 0;
	/* The path, without a query. */
	for (i = t0; i < t1 && p[i] != '?'; i++)
		;
	metrics = i - t0 == 8 && memcmp(p + t0, "/metrics", 8) == 0;
	r->head = head;
	r->status = !metrics ? 404 : (get || head) ? 200 : 405;
	return true;
}

/* A header field line: a non-empty token, a colon, anything. (A line that
 * starts with a blank, the obsolete line folding, fails the token check.) */
static bool header_ok(const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);

	if (!colon || colon == p)
		return false;
	for (const char *q = p; q < colon; q++)
		if (!is_tchar((unsigned char)*q))
			return false;
	return true;
}

/* Looks at what has arrived so far. Sets r->status to the response code,
 * or leaves it 0 when more input is needed. A malformed request line is
 * answered as soon as it is complete; a good one once the head is. */
static void examine(const char *buf, size_t used, request *r)
{
	const char *p = buf, *end = buf + used;
	request line = { 0 };
	bool have_line = false;

	r->status = 0;
	r->head = false;
	for (size_t i = 0; i < used; i++) {
		unsigned char c = (unsigned char)buf[i];

		if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f) {
			r->status = 400;
			return;
		}
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (!nl)
			break;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (memchr(p, '\r', n)) {
			r->status = 400; /* a bare CR */
			return;
		}
		if (!have_line) {
			if (!parse_request_line(p, n, &line)) {
				r->status = 400;
				return;
			}
			have_line = true;
		} else if (n == 0) {
			*r = line;
			return;
		} else if (!header_ok(p, n)) {
			r->status = 400;
			return;
		}
		p = nl + 1;
	}
	if (used >= REQUEST_MAX)
		r->status = 431;
}

/* ---- responses ------------------------------------------------------- */

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	default: return "Internal Server Error";
	}
}

/* Builds the whole response in c->out. The body is `body` (taken over)
 * for 200, a one-line explanation otherwise. */
static int build_response(conn *c, int status, bool head, char *body, size_t body_len)
{
	char hdr[256];
	int h;

	if (status != 200) {
		free(body);
		body = NULL;
		body_len = strlen(reason(status)) + 1;
	}
	h = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "Connection: close\r\n"
		     "\r\n",
		     status, reason(status),
		     status == 200 ? "text/plain; version=0.0.4" : "text/plain; charset=utf-8", body_len,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (h < 0 || (size_t)h >= sizeof(hdr)) {
		free(body);
		return -1;
	}
	c->out_len = (size_t)h + (head ? 0 : body_len);
	c->out = malloc(c->out_len + 1);
	if (!c->out) {
		free(body);
		return -1;
	}
	memcpy(c->out, hdr, (size_t)h);
	if (!head) {
		if (body)
			memcpy(c->out + h, body, body_len);
		else
			snprintf(c->out + h, body_len + 1, "%s\n", reason(status));
	}
	c->out_off = 0;
	free(body);
	return 0;
}

/* ---- connections ----------------------------------------------------- */

static void conn_close(conn *c)
{
	if (c->state == CONN_FREE)
		return;
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->used = 0;
	c->drained = 0;
	c->state = CONN_FREE;
}

static void conn_write(conn *c, int64_t now)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (w > 0) {
			c->out_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		conn_close(c);
		return;
	}
	free(c->out);
	c->out = NULL;
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_DRAIN;
	c->deadline = now + DRAIN_MS;
}

static void conn_drain(conn *c)
{
	char scratch[4096];

	for (;;) {
		ssize_t r = recv(c->fd, scratch, sizeof(scratch), 0);

		if (r > 0) {
			c->drained += (size_t)r;
			if (c->drained > DRAIN_MAX)
				break;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break;
	}
	conn_close(c);
}

static void respond(pvf_metrics_http *h, conn *c, const request *r, int64_t now)
{
	int status = r->status;
	char *body = NULL;
	size_t body_len = 0;

	if (status == 200) {
		if (h->fn(h->ctx, &body, &body_len) != 0 || !body) {
			pvf_log(PVF_LOG_WARN, "metrics", "event=render-failed");
			free(body);
			body = NULL;
			status = 500;
		}
	}
	if (build_response(c, status, r->head, body, body_len) != 0) {
		conn_close(c);
		return;
	}
	c->state = CONN_WRITE;
	c->deadline = now + PVF_METRICS_HTTP_TIMEOUT_MS;
	conn_write(c, now);
}

static void conn_read(pvf_metrics_http *h, conn *c, int64_t now)
{
	bool eof = false;
	request r;

	while (c->used < REQUEST_MAX) {
		ssize_t n = recv(c->fd, c->req + c->used, REQUEST_MAX - c->used, 0);

		if (n > 0) {
			c->used += (size_t)n;
			continue;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		conn_close(c);
		return;
	}
	examine(c->req, c->used, &r);
	if (r.status != 0)
		respond(h, c, &r, now);
	else if (eof)
		conn_close(c);
}

static void accept_new(pvf_metrics_http *h, int64_t now)
{
	for (size_t i = 0; i < MAX_CONNS; i++) {
		conn *c = &h->conns[i];
		int fd;

		if (c->state != CONN_FREE)
			continue;
		fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			pvf_log(PVF_LOG_WARN, "metrics", "event=accept-failed reason=\"%s\"", strerror(errno));
			h->accept_pause_until = now + ACCEPT_PAUSE_MS;
			return;
		}
		c->fd = fd;
		c->state = CONN_READ;
		c->used = 0;
		c->drained = 0;
		c->out = NULL;
		c->deadline = now + PVF_METRICS_HTTP_TIMEOUT_MS;
	}
}

static void *serve(void *arg)
{
	pvf_metrics_http *h = arg;

	for (;;) {
		struct pollfd pfd[2 + MAX_CONNS];
		int slot[2 + MAX_CONNS];
		nfds_t nfds = 0;
		int64_t now = (int64_t)pvf_clock_ms(), wake = INT64_MAX;
		bool room = false;
		int timeout, rc;

		pfd[nfds] = (struct pollfd){ .fd = h->stop_fd, .events = POLLIN };
		slot[nfds++] = -1;
		for (size_t i = 0; i < MAX_CONNS; i++) {
			conn *c = &h->conns[i];

			if (c->state == CONN_FREE) {
				room = true;
				continue;
			}
			pfd[nfds] = (struct pollfd){ .fd = c->fd,
						     .events = c->state == CONN_WRITE ? POLLOUT : POLLIN };
			slot[nfds++] = (int)i;
			if (c->deadline < wake)
				wake = c->deadline;
		}
		if (room && now >= h->accept_pause_until) {
			pfd[nfds] = (struct pollfd){ .fd = h->listen_fd, .events = POLLIN };
			slot[nfds++] = -2;
		} else if (room && h->accept_pause_until < wake) {
			wake = h->accept_pause_until;
		}
		timeout = wake == INT64_MAX ? -1 : wake <= now ? 0 : (int)(wake - now);

		rc = poll(pfd, nfds, timeout);
		if (rc < 0 && errno != EINTR) {
			pvf_log(PVF_LOG_ERROR, "metrics", "event=poll-failed reason=\"%s\"", strerror(errno));
			break;
		}
		if (rc > 0 && pfd[0].revents)
			break;
		now = (int64_t)pvf_clock_ms();
		for (nfds_t k = 1; rc > 0 && k < nfds; k++) {
			conn *c;

			if (!pfd[k].revents)
				continue;
			if (slot[k] == -2) {
				accept_new(h, now);
				continue;
			}
			c = &h->conns[slot[k]];
			switch (c->state) {
			case CONN_READ:
				conn_read(h, c, now);
				break;
			case CONN_WRITE:
				conn_write(c, now);
				break;
			case CONN_DRAIN:
				conn_drain(c);
				break;
			case CONN_FREE:
				break;
			}
		}
		for (size_t i = 0; i < MAX_CONNS; i++)
			if (h->conns[i].state != CONN_FREE && h->conns[i].deadline <= now)
				conn_close(&h->conns[i]);
	}
	return NULL;
}

/* ---- start and stop -------------------------------------------------- */

int pvf_metrics_http_start(const char *addr, pvf_metrics_render_fn fn, void *ctx, pvf_metrics_http **ret,
			   pvf_error *err)
{
	struct sockaddr_storage ss, bound;
	socklen_t slen = 0, blen = sizeof(bound);
	pvf_metrics_http *h;
	sigset_t all, old;
	int one = 1, rc;

	if (!ret || !fn)
		return pvf_error_set(err, PVF_E_USAGE, "metrics endpoint: no callback or result pointer");
	*ret = NULL;
	if (parse_addr(addr, &ss, &slen, err) != 0)
		return -1;

	h = calloc(1, sizeof(*h));
	if (!h)
		return pvf_error_set(err, PVF_E_NOMEM, "metrics endpoint: out of memory");
	h->fn = fn;
	h->ctx = ctx;
	h->stop_fd = -1;
	for (size_t i = 0; i < MAX_CONNS; i++)
		h->conns[i].fd = -1;

	h->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->listen_fd < 0) {
		pvf_error_set(err, PVF_E_IO, "metrics endpoint: socket: %s", strerror(errno));
		goto fail;
	}
	setsockopt(h->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(h->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(h->listen_fd, (struct sockaddr *)&ss, slen) != 0) {
		pvf_error_set(err, PVF_E_IO, "metrics endpoint: cannot bind %s: %s", addr, strerror(errno));
		goto fail;
	}
	if (listen(h->listen_fd, 64) != 0) {
		pvf_error_set(err, PVF_E_IO, "metrics endpoint: listen on %s: %s", addr, strerror(errno));
		goto fail;
	}
	if (getsockname(h->listen_fd, (struct sockaddr *)&bound, &blen) != 0) {
		pvf_error_set(err, PVF_E_IO, "metrics endpoint: getsockname: %s", strerror(errno));
		goto fail;
	}
	h->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
					      : ntohs(((struct sockaddr_in *)&bound)->sin_port);

	h->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->stop_fd < 0) {
		pvf_error_set(err, PVF_E_IO, "metrics endpoint: eventfd: %s", strerror(errno));
		goto fail;
	}

	/* The server thread takes no asynchronous signals: they belong to the
	 * threads the embedding program chose. Faults stay deliverable. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->thread, NULL, serve, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pvf_error_set(err, PVF_E_IO, "metrics endpoint: cannot start its thread: %s", strerror(rc));
		goto fail;
	}
	*ret = h;
	return 0;

fail:
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	if (h->stop_fd >= 0)
		close(h->stop_fd);
	free(h);
	return -1;
}

int pvf_metrics_http_port(const pvf_metrics_http *h)
{
	return h ? h->port : -1;
}

void pvf_metrics_http_stop(pvf_metrics_http *h)
{
	uint64_t one = 1;

	if (!h)
		return;
	while (write(h->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(h->thread, NULL);
	for (size_t i = 0; i < MAX_CONNS; i++)
		conn_close(&h->conns[i]);
	close(h->listen_fd);
	close(h->stop_fd);
	free(h);
}
