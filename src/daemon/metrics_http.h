/*
 * metrics_http.h — a minimal HTTP/1.x server for Prometheus scrapes.
 *
 * One background thread serves `GET /metrics` (and HEAD) with the text the
 * render callback produces, as `Content-Type: text/plain; version=0.0.4`.
 * Every response closes the connection. Other paths get 404, other methods
 * 405, malformed requests 400, requests over PVF_METRICS_HTTP_REQUEST_MAX
 * bytes 431, a failing callback 500. A connection that has not sent its
 * whole request within PVF_METRICS_HTTP_TIMEOUT_MS is closed, and at most
 * PVF_METRICS_HTTP_MAX_CONNS connections are served at once (more wait in
 * the listen backlog). The server only ever reads the request head.
 */
#ifndef PVF_DAEMON_METRICS_HTTP_H
#define PVF_DAEMON_METRICS_HTTP_H

#include <stddef.h>

#include "common/error.h"

#define PVF_METRICS_HTTP_REQUEST_MAX 8192
#define PVF_METRICS_HTTP_TIMEOUT_MS 5000
#define PVF_METRICS_HTTP_MAX_CONNS 8

typedef struct pvf_metrics_http pvf_metrics_http;

/* Produces the body: malloc'd text of *len bytes, freed by the server.
 * Returns 0 on success. Called on the server's thread. */
typedef int (*pvf_metrics_render_fn)(void *ctx, char **text, size_t *len);

/* Binds `addr` and starts serving. addr is "IPv4:port" ("127.0.0.1:9615"),
 * "[IPv6]:port" ("[::1]:9615") or ":port" (every IPv4 interface); port 0
 * picks a free port (see pvf_metrics_http_port()). Errors: PVF_E_USAGE for a
 * bad address or callback, PVF_E_IO when the socket cannot be bound,
 * PVF_E_NOMEM. */
int pvf_metrics_http_start(const char *addr, pvf_metrics_render_fn fn, void *ctx, pvf_metrics_http **ret,
			   pvf_error *err);

/* The bound port; -1 for NULL. */
int pvf_metrics_http_port(const pvf_metrics_http *h);

/* Stops the thread, closes the listening socket and every connection, and
 * frees h. NULL is a no-op. */
void pvf_metrics_http_stop(pvf_metrics_http *h);

#endif
