/*
 * server.h — the pvfhost daemon: a validation host served on a UNIX
 * socket with the protocol of docs/protocol.md.
 *
 * One event-loop thread owns the listening socket and every connection;
 * host completion callbacks and pre-check threads only queue encoded
 * responses and wake the loop through an eventfd. SIGTERM and SIGINT
 * (read through a signalfd, blocked in every thread the daemon starts) end
 * the loop: connections are closed, the host is freed (its workers killed,
 * partial files removed) and the socket file is removed.
 */
#ifndef PVF_DAEMON_SERVER_H
#define PVF_DAEMON_SERVER_H

#include "common/error.h"
#include "pvfhost.h"

/* Limits (docs/protocol.md, "Connection lifecycle"). */
#define PVF_DAEMON_MAX_CONNS 256
#define PVF_DAEMON_MAX_INFLIGHT 1024          /* requests in flight per connection */
#define PVF_DAEMON_OUT_PAUSE (16u << 20)      /* stop reading above this much unsent output */
#define PVF_DAEMON_OUT_MAX (256u << 20)       /* close the connection above this */
#define PVF_DAEMON_PRECHECK_THREADS 4         /* pre-checks running at once */

typedef struct pvf_daemon_opts {
	const char *socket_path;
	pvfhost_config host;          /* passed to pvfhost_new */
	const char *metrics_addr;     /* NULL: no HTTP endpoint */
	int ready_fd;                 /* -1, or a fd to write "ready\n" to once listening */
} pvf_daemon_opts;

/* Runs the daemon until SIGTERM or SIGINT. Returns 0 after a clean
 * shutdown, -1 with `err` set when it cannot start (socket path in use or
 * not a socket, host creation failed, metrics address unusable) or the
 * event loop fails. The calling thread's signal mask is restored on
 * return. Call it from a process with SIGPIPE ignored or not: the daemon
 * never raises it on client sockets. */
int pvf_daemon_run(const pvf_daemon_opts *o, pvf_error *err);

#endif
