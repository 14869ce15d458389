/*
 * fuzz_dproto.c — libFuzzer harness for every daemon-protocol decoder.
 * Each decoder sees the whole input as a payload; a payload one of them
 * accepts must re-encode to exactly the same bytes (the encoding is
 * canonical), and the stream framer must agree with the length prefix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The encoded frame must be the input with its length prefix. */
static void same(const uint8_t *data, size_t size, int enc_rc, uint8_t *frame, size_t len)
{
	size_t plen = 0;

	if (enc_rc != 0)
		abort();
	if (len != size + 4 || memcmp(frame + 4, data, size) != 0)
		abort();
	if (pvf_dproto_frame(frame, len, &plen, NULL) != 1 || plen != size)
		abort();
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pvf_error err;
	uint8_t *f = NULL;
	size_t len = 0, plen = 0;
	int accepted = 0;
	uint8_t type;
	uint64_t id;
	union {
		pvf_dmsg_hello hello;
		pvf_dmsg_hello_ack ack;
		pvf_dmsg_code_req req;
		pvf_dmsg_precheck_result pr;
		pvf_dmsg_validate v;
		pvf_dmsg_validate_result vr;
		pvf_dmsg_cancel c;
		pvf_dmsg_cancel_result cr;
		pvf_dmsg_metrics_result mr;
		pvf_dmsg_error e;
		uint64_t id;
	} m;

	/* The framer on the raw input: never reads past `size`. */
	(void)pvf_dproto_frame(data, size, &plen, &err);

	if (pvf_dproto_decode_hello(data, size, &m.hello, &err) == 0) {
		same(data, size, pvf_dproto_encode_hello(&m.hello, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_hello_ack(data, size, &m.ack, &err) == 0) {
		same(data, size, pvf_dproto_encode_hello_ack(&m.ack, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_precheck(data, size, &m.req, &err) == 0) {
		same(data, size, pvf_dproto_encode_precheck(&m.req, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_heads_up(data, size, &m.req, &err) == 0) {
		same(data, size, pvf_dproto_encode_heads_up(&m.req, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_precheck_result(data, size, &m.pr, &err) == 0) {
		same(data, size, pvf_dproto_encode_precheck_result(&m.pr, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_ack(data, size, &m.id, &err) == 0) {
		same(data, size, pvf_dproto_encode_ack(m.id, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_validate(data, size, &m.v, &err) == 0) {
		same(data, size, pvf_dproto_encode_validate(&m.v, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_validate_result(data, size, &m.vr, &err) == 0) {
		same(data, size, pvf_dproto_encode_validate_result(&m.vr, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_cancel(data, size, &m.c, &err) == 0) {
		same(data, size, pvf_dproto_encode_cancel(&m.c, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_cancel_result(data, size, &m.cr, &err) == 0) {
		same(data, size, pvf_dproto_encode_cancel_result(&m.cr, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_metrics(data, size, &m.id, &err) == 0) {
		same(data, size, pvf_dproto_encode_metrics(m.id, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_metrics_result(data, size, &m.mr, &err) == 0) {
		same(data, size, pvf_dproto_encode_metrics_result(&m.mr, &f, &len, &err), f, len);
		accepted++;
	}
	if (pvf_dproto_decode_error(data, size, &m.e, &err) == 0) {
		same(data, size, pvf_dproto_encode_error(&m.e, &f, &len, &err), f, len);
		accepted++;
	}
	/* The type byte picks at most one decoder. */
	if (accepted > 1)
		abort();
	if (accepted == 1 && (pvf_dproto_header(data, size, &type, &id, &err) != 0 ||
			      strcmp(pvf_dmsg_type_name(type), "unknown") == 0))
		abort();
	return 0;
}
