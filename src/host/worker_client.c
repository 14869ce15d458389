/*
 * worker_client.c — spawning worker processes and talking to them (see
 * worker_client.h for the API and the sequence of each call).
 *
 * States of a pvf_worker:
 *
 *   (none) --pvf_worker_spawn--> alive --request ok/job error--> alive
 *                                  |
 *                                  +--timeout / died / malformed reply /
 *                                  |  pvf_worker_kill--> dead (reaped)
 *                                  +--pvf_worker_free--> (none)
 *
 * Nothing the worker sends is trusted: frames are decoded strictly, error
 * codes outside the table become PVF_E_IO, and the class of every error is
 * decided here from the code and the request (a worker cannot turn its own
 * failure into a "deterministic" verdict except for the cases the protocol
 * allows it to report: out of memory during preparation).
 *
 * The library never installs signal handlers: sends use MSG_NOSIGNAL, and
 * the caller must not ignore SIGCHLD (workers are reaped with waitpid).
 */
#include "host/worker_client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "engine/engine.h"
#include "worker/worker_common.h"

#ifndef PVFHOST_VERSION
#define PVFHOST_VERSION "unknown"
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Descriptors in the child are first moved above this, then into place. */
#define CHILD_FD_STAGING 16
/* How long the host waits for a dead worker's exit status to appear. */
#define REAP_GRACE_MS 200
/* Largest reply accepted from a worker. */
#define MAX_REPLY PVF_PROTO_MAX_FRAME

struct pvf_worker {
	pvf_worker_kind kind;
	pid_t pid;
	int sock;
	int log_rd;
	int log_out;
	bool alive;
	uint32_t security_applied;
	uint64_t seq;
	char dir[PATH_MAX];
};

const char *pvf_worker_outcome_name(pvf_worker_outcome o)
{
	switch (o) {
	case PVF_WORKER_OK: return "ok";
	case PVF_WORKER_JOB_ERROR: return "job-error";
	case PVF_WORKER_TIMEOUT: return "timeout";
	case PVF_WORKER_OUT_OF_MEMORY: return "out-of-memory";
	case PVF_WORKER_JOB_DIED: return "job-died";
	case PVF_WORKER_DIED: return "worker-died";
	case PVF_WORKER_REFUSED: return "refused";
	case PVF_WORKER_PROTOCOL: return "protocol";
	case PVF_WORKER_INTERNAL: return "internal";
	default: return "unknown";
	}
}

static int send_all(int fd, const uint8_t *p, size_t len, pvf_error *err)
{
	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return pvf_error_set(err, PVF_E_IO, "sending to the worker: %s", strerror(errno));
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void drain_log(pvf_worker *w)
{
	char buf[4096];

	if (w->log_rd < 0)
		return;
	for (;;) {
		ssize_t n = read(w->log_rd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (w->log_out >= 0)
			(void)!write(w->log_out, buf, (size_t)n);
	}
}

/* Describes how the worker ended (after its socket closed). */
static void describe_exit(pvf_worker *w, char *out, size_t cap)
{
	int status;
	uint64_t until = pvf_clock_us() + REAP_GRACE_MS * 1000u;

	snprintf(out, cap, "it closed its socket");
	for (;;) {
		pid_t r = waitpid(w->pid, &status, WNOHANG);
		if (r == w->pid) {
			w->pid = 0;
			if (WIFSIGNALED(status)) {
				const char *a = sigabbrev_np(WTERMSIG(status));
				snprintf(out, cap, "killed by signal %d (SIG%s)", WTERMSIG(status), a ? a : "?");
			} else {
				snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
			}
			return;
		}
		if (r < 0 || pvf_clock_us() >= until)
			return;
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
}

void pvf_worker_kill(pvf_worker *w)
{
	if (!w)
		return;
	if (w->pid > 0) {
		kill(-w->pid, SIGKILL);
		kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
		w->pid = 0;
	}
	drain_log(w);
	w->alive = false;
}

void pvf_worker_free(pvf_worker *w)
{
	if (!w)
		return;
	pvf_worker_kill(w);
	if (w->sock >= 0)
		close(w->sock);
	if (w->log_rd >= 0)
		close(w->log_rd);
	free(w);
}

pid_t pvf_worker_pid(const pvf_worker *w)
{
	return w ? w->pid : 0;
}

bool pvf_worker_alive(const pvf_worker *w)
{
	return w && w->alive;
}

uint32_t pvf_worker_security_applied(const pvf_worker *w)
{
	return w ? w->security_applied : 0;
}

void pvf_worker_reply_free(pvf_worker_reply *r)
{
	if (!r)
		return;
	free(r->output);
	r->output = NULL;
	r->output_len = 0;
}

/* Child side of the spawn: only async-signal-safe calls; errno to errfd. */
static void child_exec(const char *program, char *const argv[], int sock, int logw, int devnull, int errfd,
		       pid_t parent)
{
	sigset_t all;
	int e, s, l, d;

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		goto fail;
	if (getppid() != parent)
		_exit(127);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	s = fcntl(sock, F_DUPFD_CLOEXEC, CHILD_FD_STAGING);
	l = fcntl(logw, F_DUPFD_CLOEXEC, CHILD_FD_STAGING);
	d = fcntl(devnull, F_DUPFD_CLOEXEC, CHILD_FD_STAGING);
	if (s < 0 || l < 0 || d < 0)
		goto fail;
	if (dup2(d, 0) < 0 || dup2(d, 1) < 0 || dup2(l, PVF_WORKER_FD_LOG) < 0 || dup2(s, PVF_WORKER_FD_SOCKET) < 0)
		goto fail;
	/* Everything else closes at exec (ours are O_CLOEXEC already; this
	 * catches descriptors the embedding program leaked). */
	(void)syscall(SYS_close_range, (unsigned)PVF_WORKER_FD_SOCKET + 1, ~0u, CLOSE_RANGE_CLOEXEC);
	{
		char *const envp[] = { NULL };
		execve(program, argv, envp);
	}
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

/* Waits for one frame until `deadline` (µs, CLOCK_MONOTONIC), forwarding log
 * output meanwhile. On failure *oc says timeout / died / protocol. */
static int wait_frame(pvf_worker *w, uint64_t deadline, uint8_t **ret, size_t *ret_len, pvf_worker_outcome *oc,
		      pvf_error *err)
{
	struct pollfd pf[2];

	for (;;) {
		uint64_t now = pvf_clock_us();
		if (now >= deadline) {
			*oc = PVF_WORKER_TIMEOUT;
			return pvf_error_set(err, PVF_E_TIMEOUT, "no answer from the worker in time");
		}
		int ms = (int)((deadline - now + 999) / 1000);
		pf[0].fd = w->sock;
		pf[0].events = POLLIN;
		pf[1].fd = w->log_rd;
		pf[1].events = POLLIN;
		int r = poll(pf, w->log_rd >= 0 ? 2 : 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*oc = PVF_WORKER_INTERNAL;
			return pvf_error_set(err, PVF_E_IO, "poll: %s", strerror(errno));
		}
		if (w->log_rd >= 0 && (pf[1].revents & (POLLIN | POLLHUP)))
			drain_log(w);
		if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		now = pvf_clock_us();
		ms = now >= deadline ? 1 : (int)((deadline - now + 999) / 1000);
		if (pvf_proto_recv(w->sock, MAX_REPLY, ms, ret, ret_len, err) == 0)
			return 0;
		if (pvf_clock_us() >= deadline) {
			*oc = PVF_WORKER_TIMEOUT;
			return pvf_error_set(err, PVF_E_TIMEOUT, "no answer from the worker in time");
		}
		char how[128];
		describe_exit(w, how, sizeof(how));
		drain_log(w);
		if (w->pid == 0 || (err && strstr(err->msg, "closed"))) {
			*oc = PVF_WORKER_DIED;
			return pvf_error_set(err, PVF_E_IO, "worker died: %s", how);
		}
		*oc = PVF_WORKER_PROTOCOL;
		return -1;
	}
}

static int handshake(pvf_worker *w, const pvf_worker_opts *o, pvf_worker_outcome *oc, pvf_error *err)
{
	pvf_msg_hello h;
	uint8_t *f = NULL;
	size_t n;
	int r;

	memset(&h, 0, sizeof(h));
	h.protocol_version = o->protocol_version ? o->protocol_version : PVF_PROTO_VERSION;
	snprintf(h.version, sizeof(h.version), "%s", o->version ? o->version : PVFHOST_VERSION);
	h.worker_kind = (uint8_t)o->kind;
	h.security_required = o->security_required;
	if (o->artifact && (size_t)snprintf(h.artifact, sizeof(h.artifact), "%s", o->artifact) >= sizeof(h.artifact)) {
		*oc = PVF_WORKER_INTERNAL;
		return pvf_error_set(err, PVF_E_USAGE, "artifact path too long");
	}
	h.max_memory_pages = o->max_memory_pages;
	if (pvf_proto_encode_hello(&h, &f, &n, err) < 0) {
		*oc = PVF_WORKER_INTERNAL;
		return -1;
	}
	r = send_all(w->sock, f, n, err);
	free(f);
	f = NULL;
	if (r < 0) {
		*oc = PVF_WORKER_DIED;
		return -1;
	}
	uint32_t tmo = o->spawn_timeout_ms ? o->spawn_timeout_ms : PVF_WORKER_SPAWN_TIMEOUT_MS;
	if (wait_frame(w, pvf_clock_us() + (uint64_t)tmo * 1000u, &f, &n, oc, err) < 0) {
		if (*oc == PVF_WORKER_TIMEOUT)
			pvf_error_set(err, PVF_E_IO, "the worker did not answer the handshake within %u ms", tmo);
		else
			pvf_error_prefix(err, "handshake");
		if (err)
			err->cls = PVF_CLASS_INTERNAL;
		return -1;
	}
	if (n >= 1 && f[0] == PVF_MSG_ERROR) {
		pvf_msg_error m;
		r = pvf_proto_decode_error(f, n, &m, err);
		free(f);
		if (r < 0) {
			*oc = PVF_WORKER_PROTOCOL;
			return -1;
		}
		pvf_error_code c = (pvf_error_code)m.code;
		switch (c) {
		case PVF_E_ARTIFACT_CORRUPT:
		case PVF_E_ARTIFACT_FOREIGN:
		case PVF_E_ARTIFACT_LOAD:
		case PVF_E_RUNTIME_CONSTRUCTION:
		case PVF_E_NOMEM:
		case PVF_E_USAGE:
		case PVF_E_IO:
			break;
		default:
			c = PVF_E_IO;
			break;
		}
		*oc = PVF_WORKER_REFUSED;
		return pvf_error_set(err, c, "worker could not start: %s", m.msg);
	}
	pvf_msg_hello_ack a;
	r = pvf_proto_decode_hello_ack(f, n, &a, err);
	free(f);
	if (r < 0) {
		*oc = PVF_WORKER_PROTOCOL;
		return -1;
	}
	if (!a.ok) {
		*oc = PVF_WORKER_REFUSED;
		return pvf_error_set(err, strstr(a.msg, "version mismatch") ? PVF_E_USAGE : PVF_E_IO,
				     "worker refused to start: %s", a.msg);
	}
	if (a.protocol_version != h.protocol_version || strcmp(a.version, h.version) != 0) {
		*oc = PVF_WORKER_REFUSED;
		return pvf_error_set(err, PVF_E_USAGE,
				     "version mismatch: host is pvfhost %s (protocol %u), worker is pvfhost %s "
				     "(protocol %u)", h.version, h.protocol_version, a.version, a.protocol_version);
	}
	uint32_t need = o->security_required & PVF_SECURITY_FEATURES &
			~(PVF_SECURITY_BIT(PVF_SBF_JOB_NS) | PVF_SECURITY_BIT(PVF_SBF_SECCOMP_ALLOWLIST));
	if (!(o->security_required & PVF_SECURITY_NO_SANDBOX) && (need & ~a.security_applied)) {
		*oc = PVF_WORKER_REFUSED;
		return pvf_error_set(err, PVF_E_IO, "worker applied sandbox features 0x%x, 0x%x required",
				     a.security_applied, need);
	}
	w->security_applied = a.security_applied;
	return 0;
}

int pvf_worker_spawn(const pvf_worker_opts *o, pvf_worker **ret, pvf_error *err)
{
	pvf_worker *w;
	int sv[2] = { -1, -1 }, lp[2] = { -1, -1 }, ep[2] = { -1, -1 }, devnull = -1;
	pvf_worker_outcome oc = PVF_WORKER_INTERNAL;
	struct stat st;

	*ret = NULL;
	if (!o || !o->program || !o->dir || o->dir[0] != '/' ||
	    (o->kind != PVF_WORKER_PREPARE && o->kind != PVF_WORKER_EXECUTE) ||
	    (o->kind == PVF_WORKER_EXECUTE && !o->artifact))
		return pvf_error_set(err, PVF_E_USAGE, "pvf_worker_spawn: bad options");
	if (strlen(o->dir) >= PATH_MAX - 64 || stat(o->dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return pvf_error_set(err, PVF_E_USAGE, "worker directory %s does not exist", o->dir);
	w = calloc(1, sizeof(*w));
	if (!w)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	w->kind = o->kind;
	w->sock = w->log_rd = -1;
	w->log_out = o->log_fd;
	snprintf(w->dir, sizeof(w->dir), "%s", o->dir);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(lp, O_CLOEXEC) < 0 ||
	    pipe2(ep, O_CLOEXEC) < 0 || (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		pvf_error_set(err, PVF_E_IO, "cannot create the worker's descriptors: %s", strerror(errno));
		goto fail;
	}
	char *const argv[] = { (char *)o->program, w->dir, NULL };
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		pvf_error_set(err, PVF_E_IO, "cannot fork a worker: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		child_exec(o->program, argv, sv[1], lp[1], devnull, ep[1], parent);
	w->pid = pid;
	w->alive = true;
	close(sv[1]);
	close(lp[1]);
	close(ep[1]);
	close(devnull);
	sv[1] = lp[1] = ep[1] = devnull = -1;
	w->sock = sv[0];
	w->log_rd = lp[0];
	(void)fcntl(w->log_rd, F_SETFL, O_NONBLOCK);
	int e = 0;
	ssize_t r;
	while ((r = read(ep[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(ep[0]);
	ep[0] = -1;
	if (r > 0) {
		pvf_error_set(err, PVF_E_IO, "cannot start %s: %s", o->program, strerror(e));
		oc = PVF_WORKER_INTERNAL;
		goto fail_w;
	}
	if (handshake(w, o, &oc, err) < 0)
		goto fail_w;
	*ret = w;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (lp[i] >= 0)
			close(lp[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	if (devnull >= 0)
		close(devnull);
	free(w);
	return -1;
fail_w:
	(void)oc;
	pvf_worker_free(w);
	return -1;
}

static uint64_t wall_limit_ms(uint64_t cpu_ms)
{
	if (!cpu_ms)
		return PVF_WORKER_DEFAULT_WALL_MS;
	return cpu_ms * PVF_WORKER_WALL_FACTOR;
}

/* Sends a frame and waits for the reply of type `want`. On a timeout, a
 * dead worker or a malformed reply, the worker is killed. */
static int request(pvf_worker *w, uint8_t *frame, size_t flen, uint64_t cpu_ms, uint8_t want, uint8_t **ret,
		   size_t *ret_len, pvf_worker_reply *reply, pvf_error *err)
{
	uint64_t t0 = pvf_clock_us();
	uint64_t wall = wall_limit_ms(cpu_ms);
	pvf_worker_outcome oc = PVF_WORKER_INTERNAL;

	if (!w->alive) {
		free(frame);
		reply->outcome = PVF_WORKER_DIED;
		reply->not_sent = true;
		pvf_error_set(err, PVF_E_IO, "the worker is dead");
		if (err)
			err->cls = PVF_CLASS_POSSIBLY_INVALID;
		return -1;
	}
	int r = send_all(w->sock, frame, flen, err);
	free(frame);
	if (r < 0) {
		/* A worker acts on a whole frame only, so nothing ran. */
		oc = PVF_WORKER_DIED;
		reply->not_sent = true;
	} else
		r = wait_frame(w, t0 + wall * 1000u, ret, ret_len, &oc, err);
	reply->host_wall_us = pvf_clock_us() - t0;
	if (r == 0 && *ret_len >= 1 && (*ret)[0] == want)
		return 0;
	if (r == 0) {
		pvf_msg_error m;
		if ((*ret)[0] == PVF_MSG_ERROR && pvf_proto_decode_error(*ret, *ret_len, &m, NULL) == 0)
			pvf_error_set(err, PVF_E_IO, "worker gave up: %s", m.msg);
		else
			pvf_error_set(err, PVF_E_IO, "unexpected message type %u from the worker", (*ret)[0]);
		free(*ret);
		*ret = NULL;
		oc = PVF_WORKER_PROTOCOL;
	}
	reply->outcome = oc;
	if (oc == PVF_WORKER_TIMEOUT) {
		pvf_worker_kill(w);
		pvf_error_set(err, PVF_E_TIMEOUT,
			      "no result within the wall-clock limit of %llu ms (%u x the CPU-time limit): worker "
			      "and job killed", (unsigned long long)wall, PVF_WORKER_WALL_FACTOR);
	} else if (oc == PVF_WORKER_DIED) {
		pvf_worker_kill(w);
		if (err)
			err->cls = PVF_CLASS_POSSIBLY_INVALID;
	} else {
		pvf_worker_kill(w);
		if (err) {
			err->code = PVF_E_IO;
			err->cls = PVF_CLASS_INTERNAL;
		}
	}
	return -1;
}

/* Turns a job result into the caller's error; decides the class. */
static int result_error(const pvf_msg_result *res, bool prepare, uint8_t prep_kind, pvf_worker_reply *reply,
			pvf_error *err)
{
	pvf_error_code c = res->code > PVF_OK && res->code < PVF_E__COUNT ? (pvf_error_code)res->code : PVF_E_IO;

	pvf_error_set(err, c, "%s", res->msg);
	reply->outcome = PVF_WORKER_JOB_ERROR;
	if (c == PVF_E_TRAP)
		reply->trap_kind = res->trap_kind < PVF_TRAP__COUNT ? res->trap_kind : 0;
	if (c == PVF_E_TIMEOUT) {
		reply->outcome = PVF_WORKER_TIMEOUT;
		if (err)
			err->cls = prepare && prep_kind != PVF_PREPARE_PRECHECK ? PVF_CLASS_POSSIBLY_INVALID
										: PVF_CLASS_DETERMINISTIC;
	} else if (prepare && c == PVF_E_NOMEM && res->cls == PVF_CLASS_DETERMINISTIC) {
		reply->outcome = PVF_WORKER_OUT_OF_MEMORY;
		if (err)
			err->cls = PVF_CLASS_DETERMINISTIC;
	} else if (c == PVF_E_IO && res->cls == PVF_CLASS_POSSIBLY_INVALID) {
		reply->outcome = PVF_WORKER_JOB_DIED;
		if (err)
			err->cls = PVF_CLASS_POSSIBLY_INVALID;
	}
	return -1;
}

int pvf_worker_prepare(pvf_worker *w, const pvf_msg_prepare *req, const char *artifact_path,
		       pvf_worker_reply *reply, pvf_error *err)
{
	pvf_msg_prepare m;
	pvf_msg_prepare_done d;
	char out[PVF_PROTO_MAX_PATH];
	uint8_t *frame = NULL, *res = NULL;
	size_t flen, rlen = 0;
	int fd, r;

	memset(reply, 0, sizeof(*reply));
	reply->outcome = PVF_WORKER_INTERNAL;
	if (!w || !req || !artifact_path || w->kind != PVF_WORKER_PREPARE)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_worker_prepare: bad arguments");
	m = *req;
	/* The host names the output: a fresh file directly in the worker dir. */
	if ((size_t)snprintf(out, sizeof(out), "%s/artifact-%llu.part", w->dir, (unsigned long long)++w->seq) >=
	    sizeof(out))
		return pvf_error_set(err, PVF_E_USAGE, "worker directory path too long");
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return pvf_error_set(err, PVF_E_IO, "cannot create %s: %s", out, strerror(errno));
	close(fd);
	memcpy(m.output, out, sizeof(m.output));
	if (pvf_proto_encode_prepare(&m, &frame, &flen, err) < 0) {
		unlink(out);
		return -1;
	}
	if (request(w, frame, flen, m.timeout_ms, PVF_MSG_PREPARE_DONE, &res, &rlen, reply, err) < 0) {
		unlink(out);
		if (reply->outcome == PVF_WORKER_TIMEOUT && err)
			err->cls = m.kind == PVF_PREPARE_PRECHECK ? PVF_CLASS_DETERMINISTIC : PVF_CLASS_POSSIBLY_INVALID;
		return -1;
	}
	r = pvf_proto_decode_prepare_done(res, rlen, &d, err);
	free(res);
	if (r < 0) {
		unlink(out);
		reply->outcome = PVF_WORKER_PROTOCOL;
		pvf_worker_kill(w);
		return -1;
	}
	reply->stats = d.result.stats;
	if (!d.result.ok) {
		unlink(out);
		return result_error(&d.result, true, m.kind, reply, err);
	}
	pvf_artifact_expect ex = { NULL, m.code_hash, m.params_hash };
	pvf_artifact_info info;
	if (pvf_artifact_verify(out, &ex, &info, err) < 0) {
		unlink(out);
		reply->outcome = PVF_WORKER_JOB_ERROR;
		pvf_error_prefix(err, "the prepared artifact failed verification");
		return -1;
	}
	pvf_artifact_info_clear(&info);
	if (rename(out, artifact_path) < 0) {
		int e = errno;
		unlink(out);
		reply->outcome = PVF_WORKER_INTERNAL;
		return pvf_error_set(err, PVF_E_IO, "cannot move the artifact to %s: %s", artifact_path, strerror(e));
	}
	reply->outcome = PVF_WORKER_OK;
	reply->artifact_bytes = d.artifact_bytes;
	reply->max_frame_bytes = d.max_frame_bytes;
	reply->native_stack_bytes = d.native_stack_bytes;
	return 0;
}

int pvf_worker_execute(pvf_worker *w, const pvf_msg_execute *req, pvf_worker_reply *reply, pvf_error *err)
{
	pvf_msg_execute_done d;
	uint8_t *frame = NULL, *res = NULL;
	size_t flen, rlen = 0;
	int r;

	memset(reply, 0, sizeof(*reply));
	reply->outcome = PVF_WORKER_INTERNAL;
	if (!w || !req || w->kind != PVF_WORKER_EXECUTE)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_worker_execute: bad arguments");
	if (pvf_proto_encode_execute(req, &frame, &flen, err) < 0)
		return -1;
	if (request(w, frame, flen, req->timeout_ms, PVF_MSG_EXECUTE_DONE, &res, &rlen, reply, err) < 0) {
		if (reply->outcome == PVF_WORKER_TIMEOUT && err)
			err->cls = PVF_CLASS_DETERMINISTIC;
		return -1;
	}
	r = pvf_proto_decode_execute_done(res, rlen, &d, err);
	if (r < 0) {
		free(res);
		reply->outcome = PVF_WORKER_PROTOCOL;
		pvf_worker_kill(w);
		return -1;
	}
	reply->stats = d.result.stats;
	if (!d.result.ok) {
		free(res);
		return result_error(&d.result, false, 0, reply, err);
	}
	reply->output = malloc(d.output_len ? d.output_len : 1);
	if (!reply->output) {
		free(res);
		reply->outcome = PVF_WORKER_INTERNAL;
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	if (d.output_len)
		memcpy(reply->output, d.output, d.output_len);
	reply->output_len = d.output_len;
	free(res);
	reply->outcome = PVF_WORKER_OK;
	return 0;
}
