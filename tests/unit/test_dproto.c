/*
 * test_dproto.c — the daemon protocol codec: the byte-exact examples of
 * docs/protocol.md, round trips of every message, and strict rejection of
 * truncated, extended, out-of-range and inconsistent frames, bad strings
 * and bad length prefixes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dproto.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2;

	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* The frame equals the hex example of docs/protocol.md. */
static void assert_frame_hex(uint8_t *f, size_t len, const char *hex)
{
	uint8_t want[512];
	size_t n = unhex(hex, want, sizeof(want));

	assert_int_equal(len, n);
	assert_memory_equal(f, want, n);
	free(f);
}

/* Every proper prefix of the payload fails, and so does one extra byte. */
typedef int (*decode_fn)(const uint8_t *p, size_t len, void *m, pvf_error *err);

static void assert_strict(const uint8_t *frame, size_t len, decode_fn fn, void *m)
{
	pvf_error err;
	uint8_t *ext = malloc(len + 1);

	assert_non_null(ext);
	assert_int_equal(fn(frame + 4, len - 4, m, &err), 0);
	for (size_t n = 0; n < len - 4; n++) {
		assert_int_equal(fn(frame + 4, n, m, &err), -1);
		assert_int_equal(err.code, PVF_E_USAGE);
		assert_non_null(strstr(err.msg, "bad frame"));
	}
	memcpy(ext, frame, len);
	ext[len] = 0;
	assert_int_equal(fn(ext + 4, len - 3, m, &err), -1);
	assert_non_null(strstr(err.msg, "trailing"));
	free(ext);
}

static const uint8_t wasm8[] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };

static void test_doc_examples(void **state)
{
	pvf_error err;
	uint8_t *f;
	size_t len;
	pvf_dmsg_hello h = { .id = 1, .protocol_version = 1 };
	pvf_dmsg_hello_ack a = { .id = 1, .accepted = 1, .protocol_version = 1, .max_frame = 64u << 20 };
	pvf_dmsg_code_req pc = { .id = 2, .code = wasm8, .code_len = 8 };
	pvf_dmsg_precheck_result pr = { .id = 2, .verdict = 1 };
	pvf_dmsg_validate v = { .id = 4, .priority = 0, .deadline_ms = 2000, .code = wasm8, .code_len = 8 };
	static const uint8_t params[] = { 1, 2, 3 }, out[] = { 0x2a, 0, 0, 0 }, ep[] = { 0x04, 0x07 };
	pvf_dmsg_validate_result vr = { .id = 4, .output = out, .output_len = 4, .attempts = 1, .prepared = 1,
					.queue_us = 1500, .execute_us = 320, .cpu_us = 250 };
	pvf_dmsg_error e = { .id = 0 };

	(void)state;
	strcpy(h.client_name, "node");
	assert_int_equal(pvf_dproto_encode_hello(&h, &f, &len, &err), 0);
	assert_frame_hex(f, len, "1500000001010000000000000001000000040000006e6f6465");
	strcpy(a.server_version, "0.1.0");
	assert_int_equal(pvf_dproto_encode_hello_ack(&a, &f, &len, &err), 0);
	assert_frame_hex(f, len, "1f000000810100000000000000010100000005000000302e312e300000000400000000");
	assert_int_equal(pvf_dproto_encode_precheck(&pc, &f, &len, &err), 0);
	assert_frame_hex(f, len, "1900000002020000000000000000000000080000000061736d01000000");
	pvf_dproto_err_from(&pr.err, PVF_E_RULE_NO_VALIDATE_BLOCK, PVF_CLASS_DETERMINISTIC, "no validate_block export");
	assert_int_equal(pvf_dproto_encode_precheck_result(&pr, &f, &len, &err), 0);
	assert_frame_hex(f, len,
			 "42000000820200000000000000010a0000001300000072756c652d76616c69646174652d626c6f636b0118000000"
			 "6e6f2076616c69646174655f626c6f636b206578706f7274");
	pc.id = 3;
	pc.exec_params = ep;
	pc.exec_params_len = 2;
	assert_int_equal(pvf_dproto_encode_heads_up(&pc, &f, &len, &err), 0);
	assert_frame_hex(f, len, "1b000000030300000000000000020000000407080000000061736d01000000");
	assert_int_equal(pvf_dproto_encode_ack(3, &f, &len, &err), 0);
	assert_frame_hex(f, len, "09000000830300000000000000");
	v.params = params;
	v.params_len = 3;
	assert_int_equal(pvf_dproto_encode_validate(&v, &f, &len, &err), 0);
	assert_frame_hex(f, len,
			 "2d00000004040000000000000000d0070000000000000000000000000000080000000061736d0100000003000000"
			 "010203");
	assert_int_equal(pvf_dproto_encode_validate_result(&vr, &f, &len, &err), 0);
	assert_frame_hex(f, len,
			 "3e0000008404000000000000000000000000020000006f6b0000000000040000002a0000000100000001dc05000000"
			 "0000004001000000000000fa00000000000000");
	memset(&vr, 0, sizeof(vr));
	vr.id = 5;
	vr.status = 1;
	vr.attempts = 1;
	pvf_dproto_err_from(&vr.err, PVF_E_CANCELLED, PVF_CLASS_INTERNAL, "cancelled");
	assert_int_equal(pvf_dproto_encode_validate_result(&vr, &f, &len, &err), 0);
	assert_frame_hex(f, len,
			 "4a00000084050000000000000001210000000900000063616e63656c6c6564030900000063616e63656c6c656400"
			 "0000000100000000000000000000000000000000000000000000000000000000");
	assert_int_equal(pvf_dproto_encode_cancel(&(pvf_dmsg_cancel){ .id = 6, .target = 5 }, &f, &len, &err), 0);
	assert_frame_hex(f, len, "110000000506000000000000000500000000000000");
	assert_int_equal(
		pvf_dproto_encode_cancel_result(&(pvf_dmsg_cancel_result){ .id = 6, .found = 1 }, &f, &len, &err), 0);
	assert_frame_hex(f, len, "0a00000085060000000000000001");
	assert_int_equal(pvf_dproto_encode_metrics(7, &f, &len, &err), 0);
	assert_frame_hex(f, len, "09000000060700000000000000");
	assert_int_equal(pvf_dproto_encode_metrics_result(
				 &(pvf_dmsg_metrics_result){ .id = 7, .text = "pvfhost_up 1\n", .text_len = 13 }, &f,
				 &len, &err),
			 0);
	assert_frame_hex(f, len, "1a0000008607000000000000000d000000707666686f73745f757020310a");
	pvf_dproto_err_from(&e.err, PVF_E_USAGE, PVF_CLASS_INTERNAL, "bad frame");
	assert_int_equal(pvf_dproto_encode_error(&e, &f, &len, &err), 0);
	assert_frame_hex(f, len, "24000000ff0000000000000000030000000500000075736167650309000000626164206672616d65");
}

static void test_hello_round_trip(void **state)
{
	pvf_dmsg_hello h = { .id = 0x0102030405060708ull, .protocol_version = 7 }, hd;
	pvf_dmsg_hello_ack a = { .id = 9, .accepted = 0, .protocol_version = 1, .max_frame = 1234 }, ad;
	pvf_error err;
	uint8_t *f;
	size_t len;
	uint8_t type;
	uint64_t id;

	(void)state;
	strcpy(h.client_name, "polkadot/1.2 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"); /* é € 😀 */
	assert_int_equal(pvf_dproto_encode_hello(&h, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_header(f + 4, len - 4, &type, &id, &err), 0);
	assert_int_equal(type, PVF_DMSG_HELLO);
	assert_true(id == 0x0102030405060708ull);
	assert_int_equal(pvf_dproto_decode_hello(f + 4, len - 4, &hd, &err), 0);
	assert_true(hd.id == h.id);
	assert_int_equal(hd.protocol_version, 7);
	assert_string_equal(hd.client_name, h.client_name);
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_hello, &hd);
	/* a HELLO is not a HELLO_ACK */
	assert_int_equal(pvf_dproto_decode_hello_ack(f + 4, len - 4, &ad, &err), -1);
	assert_non_null(strstr(err.msg, "expected 0x81"));
	free(f);

	strcpy(a.server_version, "0.1.0");
	strcpy(a.msg, "protocol version 2 is not supported");
	assert_int_equal(pvf_dproto_encode_hello_ack(&a, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_hello_ack(f + 4, len - 4, &ad, &err), 0);
	assert_int_equal(ad.accepted, 0);
	assert_int_equal(ad.max_frame, 1234);
	assert_string_equal(ad.server_version, "0.1.0");
	assert_string_equal(ad.msg, a.msg);
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_hello_ack, &ad);
	/* accepted = 2 */
	f[13] = 2;
	assert_int_equal(pvf_dproto_decode_hello_ack(f + 4, len - 4, &ad, &err), -1);
	assert_non_null(strstr(err.msg, "accepted 2 out of range"));
	free(f);
	a.accepted = 2;
	assert_int_equal(pvf_dproto_encode_hello_ack(&a, &f, &len, &err), -1);
}

static void test_validate_round_trip(void **state)
{
	static const uint8_t code[] = { 9, 8, 7, 6, 5 }, params[] = { 1, 2 }, ep[] = { 0x04, 0x02, 0x10, 0, 0, 0 };
	pvf_dmsg_validate v = { .id = 42, .priority = 3, .deadline_ms = 123456789012ull, .exec_params = ep,
				.exec_params_len = sizeof(ep), .code = code, .code_len = sizeof(code),
				.params = params, .params_len = sizeof(params) },
			  d;
	pvf_error err;
	uint8_t *f;
	size_t len;

	(void)state;
	strcpy(v.export_name, "validate_block");
	assert_int_equal(pvf_dproto_encode_validate(&v, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_validate(f + 4, len - 4, &d, &err), 0);
	assert_true(d.id == 42);
	assert_int_equal(d.priority, 3);
	assert_true(d.deadline_ms == 123456789012ull);
	assert_int_equal(d.exec_params_len, sizeof(ep));
	assert_memory_equal(d.exec_params, ep, sizeof(ep));
	assert_string_equal(d.export_name, "validate_block");
	assert_int_equal(d.code_len, sizeof(code));
	assert_memory_equal(d.code, code, sizeof(code));
	assert_int_equal(d.params_len, sizeof(params));
	assert_memory_equal(d.params, params, sizeof(params));
	/* views point into the payload */
	assert_true(d.code > f && d.code < f + len);
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_validate, &d);
	/* priority 4 (byte 13 of the frame) */
	f[13] = 4;
	assert_int_equal(pvf_dproto_decode_validate(f + 4, len - 4, &d, &err), -1);
	assert_non_null(strstr(err.msg, "priority 4 out of range"));
	f[13] = 3;
	/* request id 0 is reserved */
	memset(f + 5, 0, 8);
	assert_int_equal(pvf_dproto_decode_validate(f + 4, len - 4, &d, &err), -1);
	assert_non_null(strstr(err.msg, "id 0"));
	free(f);
	v.priority = 4;
	assert_int_equal(pvf_dproto_encode_validate(&v, &f, &len, &err), -1);
	v.priority = 0;
	v.id = 0;
	assert_int_equal(pvf_dproto_encode_validate(&v, &f, &len, &err), -1);
	/* an export name over 127 bytes */
	v.id = 1;
	memset(v.export_name, 'x', 127);
	v.export_name[127] = '\0';
	assert_int_equal(pvf_dproto_encode_validate(&v, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_validate(f + 4, len - 4, &d, &err), 0);
	assert_int_equal(strlen(d.export_name), 127);
	free(f);
}

/* A VALIDATE whose export name field claims 128 bytes (hand-built). */
static void test_string_bounds_and_utf8(void **state)
{
	uint8_t p[400];
	size_t n = 0;
	pvf_dmsg_validate d;
	pvf_dmsg_hello h;
	pvf_error err;
	static const struct {
		const char *bytes;
		size_t len;
		int ok;
	} names[] = {
		{ "abc", 3, 1 },
		{ "\xc3\xa9", 2, 1 },
		{ "\xf4\x8f\xbf\xbf", 4, 1 },         /* U+10FFFF */
		{ "a\0b", 3, 0 },                     /* NUL */
		{ "\xc0\xaf", 2, 0 },                 /* overlong '/' */
		{ "\xe0\x80\xaf", 3, 0 },             /* overlong */
		{ "\xed\xa0\x80", 3, 0 },             /* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", 4, 0 },         /* U+110000 */
		{ "\xe2\x82", 2, 0 },                 /* truncated sequence */
		{ "\x80", 1, 0 },                     /* lone continuation */
		{ "\xff", 1, 0 },
	};

	(void)state;
	/* header + priority + deadline + empty exec params */
	p[n++] = PVF_DMSG_VALIDATE;
	p[n++] = 1;
	memset(p + n, 0, 7 + 1 + 8 + 4);
	n += 7 + 1 + 8 + 4;
	/* export name of 128 bytes */
	p[n++] = 128;
	memset(p + n, 0, 3);
	n += 3;
	memset(p + n, 'a', 128);
	n += 128;
	memset(p + n, 0, 8); /* empty code, empty params */
	n += 8;
	assert_int_equal(pvf_dproto_decode_validate(p, n, &d, &err), -1);
	assert_non_null(strstr(err.msg, "export name of 128 bytes over its limit of 127"));
	/* a length prefix far beyond the payload */
	p[22] = 0xff;
	p[23] = 0xff;
	p[24] = 0xff;
	p[25] = 0xff;
	assert_int_equal(pvf_dproto_decode_validate(p, n, &d, &err), -1);
	assert_non_null(strstr(err.msg, "needs 4294967295 bytes"));

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = 0;
		p[n++] = PVF_DMSG_HELLO;
		p[n++] = 1;
		memset(p + n, 0, 7 + 4);
		n += 7 + 4;
		p[n++] = (uint8_t)names[i].len;
		memset(p + n, 0, 3);
		n += 3;
		memcpy(p + n, names[i].bytes, names[i].len);
		n += names[i].len;
		assert_int_equal(pvf_dproto_decode_hello(p, n, &h, &err), names[i].ok ? 0 : -1);
		if (!names[i].ok)
			assert_non_null(strstr(err.msg, "not UTF-8"));
	}
}

static void test_validate_result_rules(void **state)
{
	static const uint8_t out[] = { 0xde, 0xad };
	pvf_dmsg_validate_result r = { .id = 5, .output = out, .output_len = 2, .attempts = 2, .prepared = 1,
				       .queue_us = 1, .execute_us = 2, .cpu_us = 3 },
				 d;
	pvf_error err;
	uint8_t *f;
	size_t len;

	(void)state;
	assert_int_equal(pvf_dproto_encode_validate_result(&r, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_validate_result(f + 4, len - 4, &d, &err), 0);
	assert_int_equal(d.status, 0);
	assert_int_equal(d.err.code, 0);
	assert_int_equal(d.output_len, 2);
	assert_memory_equal(d.output, out, 2);
	assert_int_equal(d.attempts, 2);
	assert_int_equal(d.prepared, 1);
	assert_true(d.queue_us == 1 && d.execute_us == 2 && d.cpu_us == 3);
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_validate_result, &d);
	/* status 1 without an error (byte 13 is the status) */
	f[13] = 1;
	assert_int_equal(pvf_dproto_decode_validate_result(f + 4, len - 4, &d, &err), -1);
	f[13] = 2;
	assert_int_equal(pvf_dproto_decode_validate_result(f + 4, len - 4, &d, &err), -1);
	assert_non_null(strstr(err.msg, "status 2 out of range"));
	free(f);

	/* an error result round trips, with its class and message */
	r.status = 1;
	r.output_len = 0;
	pvf_dproto_err_from(&r.err, PVF_E_TRAP, PVF_CLASS_DETERMINISTIC, "trap: unreachable executed");
	assert_int_equal(pvf_dproto_encode_validate_result(&r, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_validate_result(f + 4, len - 4, &d, &err), 0);
	assert_int_equal(d.status, 1);
	assert_int_equal(d.err.code, PVF_E_TRAP);
	assert_int_equal(d.err.cls, PVF_CLASS_DETERMINISTIC);
	assert_string_equal(d.err.msg, "trap: unreachable executed");
	{
		pvf_error e;
		pvf_dproto_err_to_error(&d.err, &e);
		assert_int_equal(e.code, PVF_E_TRAP);
		assert_int_equal(e.cls, PVF_CLASS_DETERMINISTIC);
		assert_string_equal(e.msg, "trap: unreachable executed");
	}
	/* the code name must match the code: "trap" -> "tra" + 'q' */
	{
		uint8_t *q = memmem(f, len, "trap", 4);
		assert_non_null(q);
		q[3] = 'q';
		assert_int_equal(pvf_dproto_decode_validate_result(f + 4, len - 4, &d, &err), -1);
		assert_non_null(strstr(err.msg, "frame names it \"traq\""));
		q[3] = 'p';
		/* the class byte follows the name */
		q[4] = 4;
		assert_int_equal(pvf_dproto_decode_validate_result(f + 4, len - 4, &d, &err), -1);
		assert_non_null(strstr(err.msg, "error class 4 out of range"));
		q[4] = 0;
		assert_int_equal(pvf_dproto_decode_validate_result(f + 4, len - 4, &d, &err), -1);
		q[4] = 1;
		/* error code out of range (the code is at byte 14) */
		f[14] = 0xff;
		assert_int_equal(pvf_dproto_decode_validate_result(f + 4, len - 4, &d, &err), -1);
		assert_non_null(strstr(err.msg, "error code 255 out of range"));
	}
	free(f);
	/* encoders refuse what decoders would reject */
	r.output_len = 2;
	assert_int_equal(pvf_dproto_encode_validate_result(&r, &f, &len, &err), -1);
	r.output_len = 0;
	r.status = 0;
	assert_int_equal(pvf_dproto_encode_validate_result(&r, &f, &len, &err), -1);
	r.status = 1;
	r.err.cls = 0;
	assert_int_equal(pvf_dproto_encode_validate_result(&r, &f, &len, &err), -1);
	r.err.cls = 1;
	r.err.code = PVF_E__COUNT;
	assert_int_equal(pvf_dproto_encode_validate_result(&r, &f, &len, &err), -1);
}

static void test_precheck_heads_up_cancel_metrics(void **state)
{
	pvf_dmsg_code_req c = { .id = 11, .code = wasm8, .code_len = 8 }, cd;
	pvf_dmsg_precheck_result pr = { .id = 11, .verdict = 0 }, prd;
	pvf_dmsg_cancel k = { .id = 12, .target = 11 }, kd;
	pvf_dmsg_cancel_result kr = { .id = 12, .found = 0 }, krd;
	pvf_dmsg_metrics_result mr = { .id = 13, .text = "a 1\nb 2\n", .text_len = 8 }, mrd;
	pvf_dmsg_error e = { .id = 14 }, ed;
	pvf_error err;
	uint8_t *f;
	size_t len;
	uint64_t id;

	(void)state;
	assert_int_equal(pvf_dproto_encode_precheck(&c, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_precheck(f + 4, len - 4, &cd, &err), 0);
	assert_int_equal(cd.exec_params_len, 0);
	assert_int_equal(cd.code_len, 8);
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_precheck, &cd);
	/* a PRECHECK is not a HEADS_UP */
	assert_int_equal(pvf_dproto_decode_heads_up(f + 4, len - 4, &cd, &err), -1);
	free(f);
	assert_int_equal(pvf_dproto_encode_heads_up(&c, &f, &len, &err), 0);
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_heads_up, &cd);
	free(f);

	assert_int_equal(pvf_dproto_encode_precheck_result(&pr, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_precheck_result(f + 4, len - 4, &prd, &err), 0);
	assert_int_equal(prd.verdict, 0);
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_precheck_result, &prd);
	f[13] = 3;
	assert_int_equal(pvf_dproto_decode_precheck_result(f + 4, len - 4, &prd, &err), -1);
	f[13] = 2; /* failed, but without an error */
	assert_int_equal(pvf_dproto_decode_precheck_result(f + 4, len - 4, &prd, &err), -1);
	free(f);
	pr.verdict = 2;
	assert_int_equal(pvf_dproto_encode_precheck_result(&pr, &f, &len, &err), -1);
	pvf_dproto_err_from(&pr.err, PVF_E_WORKER_DIED, PVF_CLASS_POSSIBLY_INVALID, "worker died");
	assert_int_equal(pvf_dproto_encode_precheck_result(&pr, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_precheck_result(f + 4, len - 4, &prd, &err), 0);
	assert_int_equal(prd.verdict, 2);
	assert_int_equal(prd.err.code, PVF_E_WORKER_DIED);
	free(f);

	assert_int_equal(pvf_dproto_encode_cancel(&k, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_cancel(f + 4, len - 4, &kd, &err), 0);
	assert_true(kd.target == 11);
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_cancel, &kd);
	memset(f + 13, 0, 8);
	assert_int_equal(pvf_dproto_decode_cancel(f + 4, len - 4, &kd, &err), -1);
	free(f);
	assert_int_equal(pvf_dproto_encode_cancel_result(&kr, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_cancel_result(f + 4, len - 4, &krd, &err), 0);
	assert_int_equal(krd.found, 0);
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_cancel_result, &krd);
	free(f);

	assert_int_equal(pvf_dproto_encode_metrics(13, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_metrics(f + 4, len - 4, &id, &err), 0);
	assert_true(id == 13);
	assert_int_equal(pvf_dproto_decode_ack(f + 4, len - 4, &id, &err), -1);
	free(f);
	assert_int_equal(pvf_dproto_encode_ack(13, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_ack(f + 4, len - 4, &id, &err), 0);
	free(f);
	assert_int_equal(pvf_dproto_encode_ack(0, &f, &len, &err), -1);

	assert_int_equal(pvf_dproto_encode_metrics_result(&mr, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_metrics_result(f + 4, len - 4, &mrd, &err), 0);
	assert_int_equal(mrd.text_len, 8);
	assert_memory_equal(mrd.text, "a 1\nb 2\n", 8);
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_metrics_result, &mrd);
	free(f);

	/* ERROR: id 0 allowed, code 0 not */
	assert_int_equal(pvf_dproto_encode_error(&e, &f, &len, &err), -1);
	pvf_dproto_err_from(&e.err, PVF_E_USAGE, PVF_CLASS_INTERNAL, "unknown message type 0x42");
	assert_int_equal(pvf_dproto_encode_error(&e, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_error(f + 4, len - 4, &ed, &err), 0);
	assert_true(ed.id == 14);
	assert_int_equal(ed.err.code, PVF_E_USAGE);
	assert_string_equal(ed.err.msg, "unknown message type 0x42");
	assert_strict(f, len, (decode_fn)pvf_dproto_decode_error, &ed);
	free(f);
	e.id = 0;
	assert_int_equal(pvf_dproto_encode_error(&e, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_error(f + 4, len - 4, &ed, &err), 0);
	assert_true(ed.id == 0);
	free(f);
}

static void test_framing(void **state)
{
	uint8_t b[16] = { 0 };
	size_t n = 0;
	pvf_error err;

	(void)state;
	assert_int_equal(pvf_dproto_frame(b, 3, &n, &err), 0);          /* need the prefix */
	assert_int_equal(pvf_dproto_frame(b, 4, &n, &err), -1);         /* length 0 */
	assert_non_null(strstr(err.msg, "length 0"));
	b[0] = 9;
	assert_int_equal(pvf_dproto_frame(b, 12, &n, &err), 0);         /* 8 of 9 bytes */
	assert_int_equal(n, 9);
	assert_int_equal(pvf_dproto_frame(b, 13, &n, &err), 1);
	assert_int_equal(pvf_dproto_frame(b, 16, &n, &err), 1);         /* the next frame follows */
	/* exactly the cap is fine, one more is not */
	b[0] = 0;
	b[1] = 0;
	b[2] = 0;
	b[3] = 0x04;
	assert_int_equal(pvf_dproto_frame(b, 16, &n, &err), 0);
	assert_int_equal(n, PVF_DPROTO_MAX_FRAME);
	b[0] = 1;
	assert_int_equal(pvf_dproto_frame(b, 16, &n, &err), -1);
	assert_non_null(strstr(err.msg, "over the limit"));
	b[3] = 0xff;
	assert_int_equal(pvf_dproto_frame(b, 16, &n, &err), -1);
	/* the header needs 9 bytes */
	{
		uint8_t t;
		uint64_t id;
		assert_int_equal(pvf_dproto_header(b, 8, &t, &id, &err), -1);
		assert_int_equal(pvf_dproto_header(b, 9, &t, &id, &err), 0);
	}
	assert_true(pvf_dproto_is_request(PVF_DMSG_VALIDATE));
	assert_false(pvf_dproto_is_request(PVF_DMSG_VALIDATE_RESULT));
	assert_false(pvf_dproto_is_request(0));
	assert_string_equal(pvf_dmsg_type_name(0x84), "validate-result");
	assert_string_equal(pvf_dmsg_type_name(0x42), "unknown");
}

static void test_err_from_truncates_to_utf8(void **state)
{
	char msg[600];
	pvf_dproto_err d;
	pvf_dmsg_error e = { .id = 1 }, ed;
	pvf_error err;
	uint8_t *f;
	size_t len;

	(void)state;
	/* 510 ASCII bytes then a 3-byte character: cut before the character */
	memset(msg, 'a', 510);
	strcpy(msg + 510, "\xe2\x82\xac tail");
	pvf_dproto_err_from(&d, PVF_E_IO, PVF_CLASS_INTERNAL, msg);
	assert_int_equal(strlen(d.msg), 510);
	/* bytes that are not UTF-8 are replaced */
	pvf_dproto_err_from(&e.err, PVF_E_IO, PVF_CLASS_INTERNAL, "bad \xff byte");
	assert_string_equal(e.err.msg, "bad ? byte");
	assert_int_equal(pvf_dproto_encode_error(&e, &f, &len, &err), 0);
	assert_int_equal(pvf_dproto_decode_error(f + 4, len - 4, &ed, &err), 0);
	free(f);
	/* a code from the public API (negative: none) becomes io */
	pvf_dproto_err_from(&d, -1, PVF_CLASS_INTERNAL, NULL);
	assert_int_equal(d.code, PVF_E_IO);
	assert_string_equal(d.msg, "");
}

static void test_encode_over_cap(void **state)
{
	pvf_dmsg_validate v = { .id = 1 };
	pvf_error err;
	uint8_t *f = NULL;
	size_t len;

	(void)state;
	/* the length alone decides; the bytes are never read */
	v.code = wasm8;
	v.code_len = (size_t)PVF_DPROTO_MAX_FRAME + 1;
	assert_int_equal(pvf_dproto_encode_validate(&v, &f, &len, &err), -1);
	assert_non_null(strstr(err.msg, "frame limit"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doc_examples),
		cmocka_unit_test(test_hello_round_trip),
		cmocka_unit_test(test_validate_round_trip),
		cmocka_unit_test(test_string_bounds_and_utf8),
		cmocka_unit_test(test_validate_result_rules),
		cmocka_unit_test(test_precheck_heads_up_cancel_metrics),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_err_from_truncates_to_utf8),
		cmocka_unit_test(test_encode_over_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
