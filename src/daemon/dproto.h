/*
 * dproto.h — the daemon protocol: messages between `pvfhost serve` and its
 * clients over a UNIX stream socket (byte layout in docs/protocol.md).
 *
 * Frame: u32 little-endian payload length N (1 <= N <= PVF_DPROTO_MAX_FRAME),
 * then the payload: u8 message type, u64 request id, the message's fields.
 * Integers are fixed-width little-endian; `bytes` and `str` are a u32
 * little-endian length and that many bytes (a `str` is UTF-8 without NUL
 * and has a per-field bound).
 *
 * Decoders are strict: the type must match, every length is checked against
 * what is left, strings are bounded and valid UTF-8, enums are range-checked,
 * cross-field rules hold (an ok result carries no error, an error result no
 * output), trailing bytes are rejected. They fail with PVF_E_USAGE and a
 * message starting "bad frame:". Encoders check the same rules, so what one
 * side encodes the other decodes. Fuzzed by fuzz/fuzz_dproto.c.
 *
 * Decoded byte fields (code, params, output, metrics text) point into the
 * payload: keep it alive while using them. Short strings are copied into
 * bounded, NUL-terminated arrays.
 */
#ifndef PVF_DAEMON_DPROTO_H
#define PVF_DAEMON_DPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define PVF_DPROTO_VERSION 1u
#define PVF_DPROTO_MAX_FRAME (64u << 20)   /* payload bytes */
#define PVF_DPROTO_HEADER 9u               /* type + id */

/* String bounds (bytes, without the NUL the arrays add). */
#define PVF_DPROTO_MAX_CLIENT_NAME 255u
#define PVF_DPROTO_MAX_VERSION 63u
#define PVF_DPROTO_MAX_MSG 511u
#define PVF_DPROTO_MAX_CODE_NAME 63u
#define PVF_DPROTO_MAX_EXPORT 127u

typedef enum pvf_dmsg_type {
	/* client -> server: requests */
	PVF_DMSG_HELLO = 0x01,
	PVF_DMSG_PRECHECK = 0x02,
	PVF_DMSG_HEADS_UP = 0x03,
	PVF_DMSG_VALIDATE = 0x04,
	PVF_DMSG_CANCEL = 0x05,
	PVF_DMSG_METRICS = 0x06,
	/* server -> client: responses (request type | 0x80) */
	PVF_DMSG_HELLO_ACK = 0x81,
	PVF_DMSG_PRECHECK_RESULT = 0x82,
	PVF_DMSG_ACK = 0x83,
	PVF_DMSG_VALIDATE_RESULT = 0x84,
	PVF_DMSG_CANCEL_RESULT = 0x85,
	PVF_DMSG_METRICS_RESULT = 0x86,
	PVF_DMSG_ERROR = 0xff,
} pvf_dmsg_type;

/* "hello", "validate-result", ...; "unknown" for other values. */
const char *pvf_dmsg_type_name(uint8_t type);
/* A client -> server type (0x01..0x06). */
bool pvf_dproto_is_request(uint8_t type);

/* The error field shared by results and ERROR: u32 code, then the code's
 * name (str, must match the code), u8 class, str message. code 0 ("ok")
 * with class 0 and an empty message means "no error". */
typedef struct pvf_dproto_err {
	uint32_t code;              /* pvf_error_code */
	uint8_t cls;                /* pvf_error_class */
	char msg[PVF_DPROTO_MAX_MSG + 1];
} pvf_dproto_err;

typedef struct pvf_dmsg_hello {
	uint64_t id;
	uint32_t protocol_version;
	char client_name[PVF_DPROTO_MAX_CLIENT_NAME + 1];
} pvf_dmsg_hello;

typedef struct pvf_dmsg_hello_ack {
	uint64_t id;
	uint8_t accepted;           /* 0: refused (msg says why), 1: accepted */
	uint32_t protocol_version;  /* the server's */
	char server_version[PVF_DPROTO_MAX_VERSION + 1];
	uint32_t max_frame;         /* largest payload the server accepts */
	char msg[PVF_DPROTO_MAX_MSG + 1];
} pvf_dmsg_hello_ack;

/* PRECHECK and HEADS_UP share their fields. */
typedef struct pvf_dmsg_code_req {
	uint64_t id;
	const uint8_t *exec_params; /* SCALE ExecutorParams; empty: defaults */
	size_t exec_params_len;
	const uint8_t *code;
	size_t code_len;
} pvf_dmsg_code_req;

typedef struct pvf_dmsg_precheck_result {
	uint64_t id;
	uint8_t verdict;            /* pvfhost_precheck_verdict: 0 valid, 1 invalid, 2 failed */
	pvf_dproto_err err;         /* code 0 iff verdict 0 */
} pvf_dmsg_precheck_result;

typedef struct pvf_dmsg_validate {
	uint64_t id;
	uint8_t priority;           /* pvfhost_priority 0..3 */
	uint64_t deadline_ms;       /* 0: none */
	const uint8_t *exec_params;
	size_t exec_params_len;
	char export_name[PVF_DPROTO_MAX_EXPORT + 1]; /* "": validate_block */
	const uint8_t *code;
	size_t code_len;
	const uint8_t *params;
	size_t params_len;
} pvf_dmsg_validate;

typedef struct pvf_dmsg_validate_result {
	uint64_t id;
	uint8_t status;             /* 0: output holds the code's output; 1: err says why not */
	pvf_dproto_err err;         /* code 0 iff status 0 */
	const uint8_t *output;      /* empty unless status 0 */
	size_t output_len;
	uint32_t attempts;
	uint8_t prepared;           /* 0/1: the request waited for a preparation */
	uint64_t queue_us;
	uint64_t execute_us;
	uint64_t cpu_us;
} pvf_dmsg_validate_result;

typedef struct pvf_dmsg_cancel {
	uint64_t id;
	uint64_t target;            /* id of an earlier VALIDATE on this connection */
} pvf_dmsg_cancel;

typedef struct pvf_dmsg_cancel_result {
	uint64_t id;
	uint8_t found;              /* 1: the target was pending; its VALIDATE_RESULT follows */
} pvf_dmsg_cancel_result;

typedef struct pvf_dmsg_metrics_result {
	uint64_t id;
	const char *text;           /* Prometheus text, NOT NUL-terminated; into the payload */
	size_t text_len;
} pvf_dmsg_metrics_result;

typedef struct pvf_dmsg_error {
	uint64_t id;                /* the offending request's, or 0 for the connection */
	pvf_dproto_err err;         /* code != 0 */
} pvf_dmsg_error;

/* Header-only messages: ACK (to HEADS_UP) and METRICS carry only the id. */

/* Reads the type and id of a payload (at least PVF_DPROTO_HEADER bytes). */
int pvf_dproto_header(const uint8_t *p, size_t len, uint8_t *type, uint64_t *id, pvf_error *err);

/* Stream framing: given the first `avail` bytes of a stream, returns 1 and
 * the payload length when a whole frame is there (it is 4 + *payload_len
 * bytes), 0 when more bytes are needed, -1 (PVF_E_USAGE) when the length
 * prefix is 0 or over PVF_DPROTO_MAX_FRAME: the stream cannot be resynced. */
int pvf_dproto_frame(const uint8_t *buf, size_t avail, size_t *payload_len, pvf_error *err);

/* Error-field helpers. from_error: code/class/message of a pvf_error (the
 * message truncated to fit); to_error: back. */
void pvf_dproto_err_from(pvf_dproto_err *d, int code, int cls, const char *msg);
void pvf_dproto_err_to_error(const pvf_dproto_err *d, pvf_error *e);

/* Encoders: a whole frame (length prefix included) in *ret (malloc'd). */
int pvf_dproto_encode_hello(const pvf_dmsg_hello *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_dproto_encode_hello_ack(const pvf_dmsg_hello_ack *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_dproto_encode_precheck(const pvf_dmsg_code_req *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_dproto_encode_precheck_result(const pvf_dmsg_precheck_result *m, uint8_t **ret, size_t *ret_len,
				      pvf_error *err);
int pvf_dproto_encode_heads_up(const pvf_dmsg_code_req *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_dproto_encode_ack(uint64_t id, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_dproto_encode_validate(const pvf_dmsg_validate *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_dproto_encode_validate_result(const pvf_dmsg_validate_result *m, uint8_t **ret, size_t *ret_len,
				      pvf_error *err);
int pvf_dproto_encode_cancel(const pvf_dmsg_cancel *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_dproto_encode_cancel_result(const pvf_dmsg_cancel_result *m, uint8_t **ret, size_t *ret_len,
				    pvf_error *err);
int pvf_dproto_encode_metrics(uint64_t id, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_dproto_encode_metrics_result(const pvf_dmsg_metrics_result *m, uint8_t **ret, size_t *ret_len,
				     pvf_error *err);
int pvf_dproto_encode_error(const pvf_dmsg_error *m, uint8_t **ret, size_t *ret_len, pvf_error *err);

/* Decoders take a payload (without the length prefix). */
int pvf_dproto_decode_hello(const uint8_t *p, size_t len, pvf_dmsg_hello *m, pvf_error *err);
int pvf_dproto_decode_hello_ack(const uint8_t *p, size_t len, pvf_dmsg_hello_ack *m, pvf_error *err);
int pvf_dproto_decode_precheck(const uint8_t *p, size_t len, pvf_dmsg_code_req *m, pvf_error *err);
int pvf_dproto_decode_precheck_result(const uint8_t *p, size_t len, pvf_dmsg_precheck_result *m,
				      pvf_error *err);
int pvf_dproto_decode_heads_up(const uint8_t *p, size_t len, pvf_dmsg_code_req *m, pvf_error *err);
int pvf_dproto_decode_ack(const uint8_t *p, size_t len, uint64_t *id, pvf_error *err);
int pvf_dproto_decode_validate(const uint8_t *p, size_t len, pvf_dmsg_validate *m, pvf_error *err);
int pvf_dproto_decode_validate_result(const uint8_t *p, size_t len, pvf_dmsg_validate_result *m,
				      pvf_error *err);
int pvf_dproto_decode_cancel(const uint8_t *p, size_t len, pvf_dmsg_cancel *m, pvf_error *err);
int pvf_dproto_decode_cancel_result(const uint8_t *p, size_t len, pvf_dmsg_cancel_result *m, pvf_error *err);
int pvf_dproto_decode_metrics(const uint8_t *p, size_t len, uint64_t *id, pvf_error *err);
int pvf_dproto_decode_metrics_result(const uint8_t *p, size_t len, pvf_dmsg_metrics_result *m,
				     pvf_error *err);
int pvf_dproto_decode_error(const uint8_t *p, size_t len, pvf_dmsg_error *m, pvf_error *err);

#endif
