/*
 * fuzz_protocol.c — libFuzzer harness for every worker-protocol decoder:
 * the first input byte picks nothing; each decoder sees the whole input,
 * and a decoded message must re-encode and decode to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pvf_error err;
	uint8_t *frame;
	size_t len;
	union {
		pvf_msg_hello hello;
		pvf_msg_hello_ack ack;
		pvf_msg_prepare prepare;
		pvf_msg_prepare_done pdone;
		pvf_msg_execute execute;
		pvf_msg_execute_done edone;
		pvf_msg_error error;
	} m, m2;

	if (pvf_proto_decode_hello(data, size, &m.hello, &err) == 0 &&
	    pvf_proto_encode_hello(&m.hello, &frame, &len, &err) == 0) {
		if (pvf_proto_decode_hello(frame + 4, len - 4, &m2.hello, &err) != 0 ||
		    memcmp(&m.hello, &m2.hello, sizeof(m.hello)) != 0)
			abort();
		free(frame);
	}
	if (pvf_proto_decode_hello_ack(data, size, &m.ack, &err) == 0 &&
	    pvf_proto_encode_hello_ack(&m.ack, &frame, &len, &err) == 0) {
		if (pvf_proto_decode_hello_ack(frame + 4, len - 4, &m2.ack, &err) != 0 || m.ack.pid != m2.ack.pid)
			abort();
		free(frame);
	}
	if (pvf_proto_decode_prepare(data, size, &m.prepare, &err) == 0 &&
	    pvf_proto_encode_prepare(&m.prepare, &frame, &len, &err) == 0) {
		if (pvf_proto_decode_prepare(frame + 4, len - 4, &m2.prepare, &err) != 0 ||
		    m.prepare.code_len != m2.prepare.code_len || strcmp(m.prepare.output, m2.prepare.output) != 0)
			abort();
		free(frame);
	}
	if (pvf_proto_decode_prepare_done(data, size, &m.pdone, &err) == 0 &&
	    pvf_proto_encode_prepare_done(&m.pdone, &frame, &len, &err) == 0) {
		if (pvf_proto_decode_prepare_done(frame + 4, len - 4, &m2.pdone, &err) != 0)
			abort();
		free(frame);
	}
	if (pvf_proto_decode_execute(data, size, &m.execute, &err) == 0 &&
	    pvf_proto_encode_execute(&m.execute, &frame, &len, &err) == 0) {
		if (pvf_proto_decode_execute(frame + 4, len - 4, &m2.execute, &err) != 0 ||
		    m.execute.params_len != m2.execute.params_len)
			abort();
		free(frame);
	}
	if (pvf_proto_decode_execute_done(data, size, &m.edone, &err) == 0 &&
	    pvf_proto_encode_execute_done(&m.edone, &frame, &len, &err) == 0) {
		if (pvf_proto_decode_execute_done(frame + 4, len - 4, &m2.edone, &err) != 0 ||
		    m.edone.output_len != m2.edone.output_len)
			abort();
		free(frame);
	}
	if (pvf_proto_decode_error(data, size, &m.error, &err) == 0 &&
	    pvf_proto_encode_error(&m.error, &frame, &len, &err) == 0) {
		if (pvf_proto_decode_error(frame + 4, len - 4, &m2.error, &err) != 0)
			abort();
		free(frame);
	}
	return 0;
}
