/*
 * test_protocol.c — the host <-> worker protocol: round trips of every
 * message, strict rejection of truncated, extended and malformed frames,
 * and frame I/O over a socketpair (including EOF and oversize lengths).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/protocol.h"

static void test_prepare_round_trip(void **state)
{
	static const uint8_t code[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
	pvf_msg_prepare m = { 0 }, d;
	pvf_error err;
	uint8_t *f;
	size_t len;

	(void)state;
	m.kind = PVF_PREPARE_PRECHECK;
	m.timeout_ms = 60000;
	m.memory_limit = 2ull << 30;
	m.stack_limit = 16384;
	m.max_memory_pages = 2080;
	m.native_stack_max = 256u << 20;
	m.bulk_memory = 1;
	m.jobs = 2;
	memset(m.code_hash, 0xab, 32);
	memset(m.params_hash, 0xcd, 32);
	strcpy(m.cc, "gcc");
	strcpy(m.opt_level, "-O1");
	strcpy(m.output, "/cache/x.tmp");
	m.code = code;
	m.code_len = sizeof(code);
	assert_int_equal(pvf_proto_encode_prepare(&m, &f, &len, &err), 0);
	/* length prefix = payload length */
	assert_int_equal(f[0] | f[1] << 8 | f[2] << 16 | f[3] << 24, len - 4);
	assert_int_equal(f[4], PVF_MSG_PREPARE);
	assert_int_equal(pvf_proto_decode_prepare(f + 4, len - 4, &d, &err), 0);
	assert_int_equal(d.kind, PVF_PREPARE_PRECHECK);
	assert_int_equal(d.timeout_ms, 60000);
	assert_int_equal(d.memory_limit, 2ull << 30);
	assert_int_equal(d.stack_limit, 16384);
	assert_int_equal(d.native_stack_max, 256u << 20);
	assert_memory_equal(d.code_hash, m.code_hash, 32);
	assert_memory_equal(d.params_hash, m.params_hash, 32);
	assert_string_equal(d.cc, "gcc");
	assert_string_equal(d.opt_level, "-O1");
	assert_string_equal(d.output, "/cache/x.tmp");
	assert_int_equal(d.code_len, sizeof(code));
	assert_memory_equal(d.code, code, sizeof(code));

	/* every truncation fails, and so does one trailing byte */
	for (size_t n = 0; n < len - 4; n++)
		assert_int_equal(pvf_proto_decode_prepare(f + 4, n, &d, &err), -1);
	f = realloc(f, len + 1);
	f[len] = 0;
	assert_int_equal(pvf_proto_decode_prepare(f + 4, len - 3, &d, &err), -1);
	/* a wrong type byte fails */
	f[4] = PVF_MSG_EXECUTE;
	assert_int_equal(pvf_proto_decode_prepare(f + 4, len - 4, &d, &err), -1);
	free(f);
	/* kind out of range */
	m.kind = 9;
	assert_int_equal(pvf_proto_encode_prepare(&m, &f, &len, &err), 0);
	assert_int_equal(pvf_proto_decode_prepare(f + 4, len - 4, &d, &err), -1);
	free(f);
}

static void test_strings_are_bounded(void **state)
{
	pvf_msg_error m = { 0 }, d;
	pvf_msg_hello h = { 0 }, hd;
	pvf_error err;
	uint8_t *f;
	size_t len;

	(void)state;
	memset(m.msg, 'x', sizeof(m.msg) - 1);
	m.msg[sizeof(m.msg) - 1] = '\0';
	assert_int_equal(pvf_proto_encode_error(&m, &f, &len, &err), 0);
	assert_int_equal(pvf_proto_decode_error(f + 4, len - 4, &d, &err), 0);
	assert_int_equal(strlen(d.msg), sizeof(m.msg) - 1);
	free(f);
	/* a version string longer than the receiver's buffer is rejected */
	strcpy(h.version, "0.1.0");
	strcpy(h.artifact, "/a");
	assert_int_equal(pvf_proto_encode_hello(&h, &f, &len, &err), 0);
	assert_int_equal(pvf_proto_decode_hello(f + 4, len - 4, &hd, &err), 0);
	assert_string_equal(hd.version, "0.1.0");
	/* patch the version's compact length (at payload offset 5) to claim 60
	 * bytes: more than the frame holds */
	f[4 + 5] = 60 << 2;
	assert_int_equal(pvf_proto_decode_hello(f + 4, len - 4, &hd, &err), -1);
	free(f);
	/* a string that fits the frame but not the receiver's buffer (64 bytes
	 * for the version) is rejected */
	memset(h.version, 'v', 63);
	h.version[63] = '\0';
	assert_int_equal(pvf_proto_encode_hello(&h, &f, &len, &err), 0);
	assert_int_equal(pvf_proto_decode_hello(f + 4, len - 4, &hd, &err), 0);
	{
		uint8_t *g = malloc(len + 1);
		/* re-encode by hand: type, protocol u32, compact(64)=2 bytes, 64 'v' */
		size_t n = 0;
		g[n++] = PVF_MSG_HELLO;
		g[n++] = 1; g[n++] = 0; g[n++] = 0; g[n++] = 0;
		g[n++] = (64 << 2 | 1) & 0xff;
		g[n++] = (64 << 2 | 1) >> 8;
		memset(g + n, 'v', 64);
		n += 64;
		assert_int_equal(pvf_proto_decode_hello(g, n, &hd, &err), -1);
		assert_non_null(strstr(err.msg, "limit 63"));
		free(g);
	}
	free(f);
	/* an embedded NUL in a path is rejected */
	{
		uint8_t raw[] = { PVF_MSG_ERROR, 0, 0, 0, 0, 3 << 2, 'a', 0, 'b' };
		assert_int_equal(pvf_proto_decode_error(raw, sizeof(raw), &d, &err), -1);
		raw[7] = 'z';
		assert_int_equal(pvf_proto_decode_error(raw, sizeof(raw), &d, &err), 0);
		assert_string_equal(d.msg, "azb");
	}
}

static void test_results(void **state)
{
	static const uint8_t out[] = { 1, 2, 3 };
	pvf_msg_execute_done m = { 0 }, d;
	pvf_error e, err;
	uint8_t *f;
	size_t len;

	(void)state;
	pvf_error_set(&e, PVF_E_TRAP, "unreachable executed");
	pvf_proto_result_from_error(&m.result, &e, 1);
	m.result.stats.cpu_us = 1234;
	m.output = out;
	m.output_len = 3;
	assert_int_equal(pvf_proto_encode_execute_done(&m, &f, &len, &err), 0);
	assert_int_equal(pvf_proto_decode_execute_done(f + 4, len - 4, &d, &err), 0);
	assert_int_equal(d.result.ok, 0);
	assert_int_equal(d.result.code, PVF_E_TRAP);
	assert_int_equal(d.result.cls, PVF_CLASS_DETERMINISTIC);
	assert_int_equal(d.result.trap_kind, 1);
	assert_int_equal(d.result.stats.cpu_us, 1234);
	assert_memory_equal(d.output, out, 3);
	pvf_proto_result_to_error(&d.result, &e);
	assert_int_equal(e.code, PVF_E_TRAP);
	assert_string_equal(e.msg, "unreachable executed");
	/* an error code out of range is a bad frame */
	f[4 + 2] = 0xff;
	assert_int_equal(pvf_proto_decode_execute_done(f + 4, len - 4, &d, &err), -1);
	free(f);
}

/* Encoding into the caller's buffer gives the same bytes, and the longest
 * message fits in pvf_proto_execute_done_max; one byte less does not. */
static void test_execute_done_in(void **state)
{
	static const uint8_t out[300] = { 7 };
	pvf_msg_execute_done m = { 0 };
	pvf_error err;
	uint8_t *f, buf[PVF_PROTO_MAX_STR + 400];
	size_t len, blen, max;

	(void)state;
	m.result.code = PVF_E_TRAP;
	memset(m.result.msg, 'm', sizeof(m.result.msg) - 1);
	m.result.stats.cpu_us = UINT64_MAX;
	m.result.stats.wall_us = UINT64_MAX;
	m.result.stats.peak_rss_kb = UINT64_MAX;
	m.output = out;
	m.output_len = sizeof(out);
	assert_int_equal(pvf_proto_encode_execute_done(&m, &f, &len, &err), 0);
	max = pvf_proto_execute_done_max(m.output_len);
	assert_true(len <= max && max <= sizeof(buf));
	assert_int_equal(pvf_proto_encode_execute_done_in(&m, buf, max, &blen, &err), 0);
	assert_int_equal(blen, len);
	assert_memory_equal(buf, f, len);
	assert_int_equal(pvf_proto_encode_execute_done_in(&m, buf, len - 1, &blen, &err), -1);
	assert_int_equal(err.code, PVF_E_NOMEM);
	free(f);
}

static void test_frame_io(void **state)
{
	int sv[2];
	pvf_msg_execute m = { 0 }, d;
	pvf_error err;
	uint8_t *f, *p;
	size_t len, plen;
	static const uint8_t params[4] = { 9, 8, 7, 6 };

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	m.timeout_ms = 2000;
	m.params = params;
	m.params_len = 4;
	assert_int_equal(pvf_proto_encode_execute(&m, &f, &len, &err), 0);
	assert_int_equal(pvf_proto_send(sv[0], f, len, &err), 0);
	free(f);
	assert_int_equal(pvf_proto_recv(sv[1], 1 << 20, 1000, &p, &plen, &err), 0);
	assert_int_equal(pvf_proto_decode_execute(p, plen, &d, &err), 0);
	assert_int_equal(d.timeout_ms, 2000);
	assert_memory_equal(d.params, params, 4);
	free(p);
	/* nothing to read: times out */
	assert_int_equal(pvf_proto_recv(sv[1], 1 << 20, 50, &p, &plen, &err), -1);
	assert_int_equal(err.code, PVF_E_TIMEOUT);
	/* a length over the limit is refused before allocating */
	{
		uint8_t hdr[4] = { 0xff, 0xff, 0xff, 0x7f };
		assert_int_equal(write(sv[0], hdr, 4), 4);
		assert_int_equal(pvf_proto_recv(sv[1], 1 << 20, 1000, &p, &plen, &err), -1);
		assert_non_null(strstr(err.msg, "bad frame"));
	}
	/* in two steps, into the caller's buffer */
	{
		uint8_t body[64];
		uint32_t blen;
		int64_t deadline;
		m.params_len = 3;
		assert_int_equal(pvf_proto_encode_execute(&m, &f, &len, &err), 0);
		assert_int_equal(pvf_proto_send(sv[0], f, len, &err), 0);
		assert_int_equal(pvf_proto_recv_len(sv[1], 1 << 20, 1000, &blen, &deadline, &err), 0);
		assert_int_equal(blen, len - 4);
		assert_int_equal(pvf_proto_recv_body(sv[1], body, blen, deadline, &err), 0);
		assert_memory_equal(body, f + 4, blen);
		free(f);
		/* a length over the caller's limit is refused */
		assert_int_equal(pvf_proto_encode_execute(&m, &f, &len, &err), 0);
		assert_int_equal(pvf_proto_send(sv[0], f, len, &err), 0);
		assert_int_equal(pvf_proto_recv_len(sv[1], 4, 1000, &blen, &deadline, &err), -1);
		assert_non_null(strstr(err.msg, "bad frame"));
		assert_int_equal(read(sv[1], body, len - 4), (ssize_t)(len - 4));
		free(f);
	}
	/* clean EOF */
	close(sv[0]);
	assert_int_equal(pvf_proto_recv(sv[1], 1 << 20, 1000, &p, &plen, &err), -1);
	assert_string_equal(err.msg, "closed");
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prepare_round_trip),
		cmocka_unit_test(test_strings_are_bounded),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_execute_done_in),
		cmocka_unit_test(test_frame_io),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
