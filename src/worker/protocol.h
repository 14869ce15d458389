/*
 * protocol.h — the host <-> worker protocol (see docs/protocol-workers.md).
 *
 * Frames on a UNIX stream socket: u32 little-endian payload length (at most
 * PVF_PROTO_MAX_FRAME), then the payload: u8 message type followed by the
 * message's fields, SCALE-encoded. Every decoder is strict (no trailing
 * bytes, every length checked against what is left, strings bounded) and
 * is fuzzed (fuzz/fuzz_protocol.c): a worker is less privileged than the
 * host and the host never trusts what it sends.
 *
 * Decoded byte fields (code, params, output) point into the frame buffer:
 * keep the frame alive while using them. Strings are copied into bounded,
 * NUL-terminated buffers.
 */
#ifndef PVF_WORKER_PROTOCOL_H
#define PVF_WORKER_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define PVF_PROTO_VERSION 2u
#define PVF_PROTO_MAX_FRAME (160u << 20)   /* code (50 MiB) / PoV (10 MiB x 4 bomb) + slack */
#define PVF_PROTO_MAX_PATH 1024u
#define PVF_PROTO_MAX_STR 512u
#define PVF_PROTO_MAX_JOBS 64u

typedef enum pvf_msg_type {
	PVF_MSG_HELLO = 1,          /* host -> worker */
	PVF_MSG_HELLO_ACK = 2,      /* worker -> host */
	PVF_MSG_PREPARE = 3,        /* host -> prepare worker */
	PVF_MSG_PREPARE_DONE = 4,   /* prepare worker -> host */
	PVF_MSG_EXECUTE = 5,        /* host -> execute worker */
	PVF_MSG_EXECUTE_DONE = 6,   /* execute worker -> host */
	PVF_MSG_ERROR = 7,          /* worker -> host: the worker cannot go on */
} pvf_msg_type;

typedef enum pvf_worker_kind {
	PVF_WORKER_PREPARE = 1,
	PVF_WORKER_EXECUTE = 2,
} pvf_worker_kind;

typedef struct pvf_msg_hello {
	uint32_t protocol_version;
	char version[64];           /* pvfhost version */
	uint8_t worker_kind;        /* pvf_worker_kind */
	uint32_t security_required; /* feature bits the worker must apply */
	char artifact[PVF_PROTO_MAX_PATH]; /* execute worker: the artifact to load ("" for prepare) */
	uint32_t max_memory_pages;  /* execute worker */
} pvf_msg_hello;

typedef struct pvf_msg_hello_ack {
	uint32_t protocol_version;
	char version[64];
	uint32_t security_applied;
	uint32_t pid;
	uint8_t ok;                 /* 0: refused, see msg */
	char msg[PVF_PROTO_MAX_STR];
} pvf_msg_hello_ack;

typedef enum pvf_prepare_kind {
	PVF_PREPARE_PRECHECK = 1,
	PVF_PREPARE_PREPARE = 2,
} pvf_prepare_kind;

typedef struct pvf_msg_prepare {
	uint8_t kind;               /* pvf_prepare_kind */
	uint64_t timeout_ms;        /* CPU time */
	uint64_t memory_limit;      /* bytes (PrecheckingMaxMemory) */
	uint32_t stack_limit;       /* the logical stack limit (StackLogicalMax) */
	uint32_t max_memory_pages;
	uint64_t native_stack_max;
	uint8_t bulk_memory;
	uint32_t jobs;              /* parallel compiler processes (1 .. PVF_PROTO_MAX_JOBS) */
	uint8_t code_hash[32];
	uint8_t params_hash[32];
	char cc[PVF_PROTO_MAX_STR];
	char opt_level[16];
	char output[PVF_PROTO_MAX_PATH];
	const uint8_t *code;        /* into the frame */
	size_t code_len;
} pvf_msg_prepare;

typedef struct pvf_msg_stats {
	uint64_t cpu_us;
	uint64_t wall_us;
	uint64_t peak_rss_kb;
} pvf_msg_stats;

/* Result of a job: ok, or an error (code/class/message, trap kind for
 * execution traps), plus resource use. */
typedef struct pvf_msg_result {
	uint8_t ok;
	uint32_t code;              /* pvf_error_code when !ok */
	uint8_t cls;                /* pvf_error_class */
	uint8_t trap_kind;          /* pvf_trap_kind for PVF_E_TRAP */
	char msg[PVF_PROTO_MAX_STR];
	pvf_msg_stats stats;
} pvf_msg_result;

typedef struct pvf_msg_prepare_done {
	pvf_msg_result result;
	uint64_t artifact_bytes;
	uint32_t max_frame_bytes;
	uint64_t native_stack_bytes;
} pvf_msg_prepare_done;

typedef struct pvf_msg_execute {
	uint64_t timeout_ms;        /* CPU time */
	char export_name[128];      /* "" means validate_block */
	const uint8_t *params;      /* into the frame */
	size_t params_len;
} pvf_msg_execute;

typedef struct pvf_msg_execute_done {
	pvf_msg_result result;
	const uint8_t *output;      /* into the frame */
	size_t output_len;
} pvf_msg_execute_done;

typedef struct pvf_msg_error {
	uint32_t code;
	char msg[PVF_PROTO_MAX_STR];
} pvf_msg_error;

/* Encoders: a whole frame (length prefix included) in *ret (malloc'd). */
int pvf_proto_encode_hello(const pvf_msg_hello *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_proto_encode_hello_ack(const pvf_msg_hello_ack *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_proto_encode_prepare(const pvf_msg_prepare *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_proto_encode_prepare_done(const pvf_msg_prepare_done *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_proto_encode_execute(const pvf_msg_execute *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
int pvf_proto_encode_execute_done(const pvf_msg_execute_done *m, uint8_t **ret, size_t *ret_len, pvf_error *err);
/* The same frame into buf (cap bytes): PVF_E_NOMEM when it does not fit,
 * which pvf_proto_execute_done_max(output_len) bytes always do. */
size_t pvf_proto_execute_done_max(size_t output_len);
int pvf_proto_encode_execute_done_in(const pvf_msg_execute_done *m, uint8_t *buf, size_t cap, size_t *ret_len,
				     pvf_error *err);
int pvf_proto_encode_error(const pvf_msg_error *m, uint8_t **ret, size_t *ret_len, pvf_error *err);

/* Decoders take a payload (without the length prefix) whose first byte is
 * the type; they fail (PVF_E_IO, "bad frame") on any deviation. */
int pvf_proto_decode_hello(const uint8_t *p, size_t len, pvf_msg_hello *m, pvf_error *err);
int pvf_proto_decode_hello_ack(const uint8_t *p, size_t len, pvf_msg_hello_ack *m, pvf_error *err);
int pvf_proto_decode_prepare(const uint8_t *p, size_t len, pvf_msg_prepare *m, pvf_error *err);
int pvf_proto_decode_prepare_done(const uint8_t *p, size_t len, pvf_msg_prepare_done *m, pvf_error *err);
int pvf_proto_decode_execute(const uint8_t *p, size_t len, pvf_msg_execute *m, pvf_error *err);
int pvf_proto_decode_execute_done(const uint8_t *p, size_t len, pvf_msg_execute_done *m, pvf_error *err);
int pvf_proto_decode_error(const uint8_t *p, size_t len, pvf_msg_error *m, pvf_error *err);

/* Frame I/O on a blocking descriptor. send writes a whole encoded frame.
 * recv reads one frame's payload into *ret (malloc'd, at most max bytes),
 * returns 0, or -1 (PVF_E_IO; err->msg says "closed" on a clean EOF before
 * a frame). timeout_ms < 0 waits forever. */
int pvf_proto_send(int fd, const uint8_t *frame, size_t len, pvf_error *err);
int pvf_proto_recv(int fd, size_t max, int timeout_ms, uint8_t **ret, size_t *ret_len, pvf_error *err);
/* recv in two steps, for a caller that brings its own buffer: the frame's
 * length (checked against max) and the deadline, then the payload. */
int pvf_proto_recv_len(int fd, size_t max, int timeout_ms, uint32_t *ret_len, int64_t *ret_deadline,
		       pvf_error *err);
int pvf_proto_recv_body(int fd, uint8_t *buf, uint32_t len, int64_t deadline, pvf_error *err);

/* Result helpers. */
void pvf_proto_result_from_error(pvf_msg_result *r, const pvf_error *e, uint8_t trap_kind);
void pvf_proto_result_to_error(const pvf_msg_result *r, pvf_error *e);

#endif
