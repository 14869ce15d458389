/*
 * client.h — a blocking client of `pvfhost serve` (docs/protocol.md), for
 * the CLI's --connect and for tests.
 *
 * pvf_client_connect() connects and says HELLO. Then either call the
 * convenience functions (precheck, heads_up, validate, metrics: each sends
 * one request and waits for its response, which must be the next frame —
 * do not mix them with pipelined requests), or pipeline: send_* requests
 * (each returns its id) and pvf_client_recv() responses in whatever order
 * they come.
 *
 * A client is used by one thread at a time. Functions return 0 or -1 with
 * `err` set; an ERROR frame from the server for a convenience call comes
 * back as -1 with the server's code, class and message.
 */
#ifndef PVF_DAEMON_CLIENT_H
#define PVF_DAEMON_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "daemon/dproto.h"
#include "pvfhost.h"

typedef struct pvf_client pvf_client;

typedef struct pvf_client_validate_req {
	pvfhost_priority priority;
	uint64_t deadline_ms;           /* 0: none */
	const uint8_t *exec_params;     /* SCALE ExecutorParams; NULL/0: defaults */
	size_t exec_params_len;
	const char *export_name;        /* NULL: validate_block */
	const uint8_t *code;
	size_t code_len;
	const uint8_t *params;
	size_t params_len;
} pvf_client_validate_req;

typedef struct pvf_client_result {
	uint64_t id;
	int status;                     /* 0: output holds the code's output; 1: err says why not */
	pvfhost_error err;
	uint8_t *output;                /* malloc'd (NULL when empty); pvf_client_result_free() */
	size_t output_len;
	uint32_t attempts;
	bool prepared;
	uint64_t queue_us, execute_us, cpu_us;
} pvf_client_result;

/* One response. The union member matching `type` is filled; its byte views
 * point into `payload`, which the message owns. */
typedef struct pvf_client_msg {
	uint8_t type;                   /* pvf_dmsg_type of a response */
	uint64_t id;
	union {
		pvf_dmsg_precheck_result precheck;
		pvf_dmsg_validate_result validate;
		pvf_dmsg_cancel_result cancel;
		pvf_dmsg_metrics_result metrics;
		pvf_dmsg_error error;   /* id may be 0: about the connection */
	} u;                            /* nothing for ACK */
	uint8_t *payload;
	size_t payload_len;
} pvf_client_msg;

/* Connects to the daemon's socket and completes the HELLO handshake
 * (client name "pvfhost-client"). A refusal is PVF_E_USAGE with the
 * server's message. */
int pvf_client_connect(const char *path, pvf_client **ret, pvf_error *err);
/* The server's pvfhost version from HELLO_ACK. */
const char *pvf_client_server_version(const pvf_client *c);
/* How long a receive waits for the server; -1 (the default): forever. */
void pvf_client_set_timeout(pvf_client *c, int timeout_ms);
/* The socket (e.g. to poll it). */
int pvf_client_fd(const pvf_client *c);
/* Closes the connection (the daemon then cancels this client's jobs). */
void pvf_client_close(pvf_client *c);

/* Pipelining: send a request, get its id. */
int pvf_client_send_precheck(pvf_client *c, const uint8_t *code, size_t code_len, const uint8_t *exec_params,
			     size_t ep_len, uint64_t *id, pvf_error *err);
int pvf_client_send_heads_up(pvf_client *c, const uint8_t *code, size_t code_len, const uint8_t *exec_params,
			     size_t ep_len, uint64_t *id, pvf_error *err);
int pvf_client_send_validate(pvf_client *c, const pvf_client_validate_req *req, uint64_t *id, pvf_error *err);
int pvf_client_send_cancel(pvf_client *c, uint64_t target, uint64_t *id, pvf_error *err);
int pvf_client_send_metrics(pvf_client *c, uint64_t *id, pvf_error *err);
/* Receives the next response, whatever its id. End of stream is PVF_E_IO
 * "the server closed the connection"; a timeout PVF_E_IO "timed out". */
int pvf_client_recv(pvf_client *c, pvf_client_msg *msg, pvf_error *err);
void pvf_client_msg_free(pvf_client_msg *msg);
/* A VALIDATE_RESULT message as a result (output copied). */
int pvf_client_result_from_msg(const pvf_client_msg *msg, pvf_client_result *res, pvf_error *err);
void pvf_client_result_free(pvf_client_result *res);

/* Convenience: one request, its response. */
int pvf_client_precheck(pvf_client *c, const uint8_t *code, size_t code_len, const uint8_t *exec_params,
			size_t ep_len, pvfhost_precheck_verdict *verdict, pvfhost_error *why, pvf_error *err);
int pvf_client_heads_up(pvf_client *c, const uint8_t *code, size_t code_len, const uint8_t *exec_params,
			size_t ep_len, pvf_error *err);
int pvf_client_validate(pvf_client *c, const pvf_client_validate_req *req, pvf_client_result *res,
			pvf_error *err);
/* *text is malloc'd and NUL-terminated. */
int pvf_client_metrics(pvf_client *c, char **text, size_t *len, pvf_error *err);

#endif
