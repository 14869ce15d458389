/*
 * runtime_calls.c — code speed on real runtime code: calls one export of a
 * prepared artifact N times in process (a fresh instance and an empty
 * storage state per call, the Substrate calling convention) and prints
 * "EXPORT N best_ms median_ms output_len output_fnv64".
 *
 * The time is the call itself (pvf_exec_result.call_s), without opening
 * or instantiating. The output digest lets the caller check that every
 * configuration computed the same bytes.
 *
 *   runtime_calls ARTIFACT EXPORT [N [INPUT_HEX]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "engine/engine.h"
#include "worker/job_execute.h"

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static uint64_t fnv64(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

int main(int argc, char **argv)
{
	pvf_artifact *a = NULL;
	pvf_error err;
	int n = argc > 3 ? atoi(argv[3]) : 10;
	double *t;
	size_t out_len = 0, in_len = 0;
	uint64_t digest = 0;
	uint8_t *in = NULL;

	if (argc < 3 || n < 1) {
		fprintf(stderr, "usage: runtime_calls ARTIFACT EXPORT [N [INPUT_HEX]]\n");
		return 2;
	}
	if (argc > 4 && pvf_hex_decode_alloc(argv[4], strlen(argv[4]), &in, &in_len, &err) < 0) {
		fprintf(stderr, "runtime_calls: input: %s\n", err.msg);
		return 2;
	}
	if (pvf_artifact_open(argv[1], NULL, &a, &err) < 0) {
		fprintf(stderr, "runtime_calls: %s\n", err.msg);
		return 1;
	}
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	for (int i = 0; i < n; i++) {
		pvf_exec_request rq = { 0 };
		pvf_exec_result res = { 0 };

		rq.export_name = argv[2];
		rq.input = in;
		rq.input_len = in_len;
		if (pvf_exec_call(a, &rq, &res, &err) < 0) {
			fprintf(stderr, "runtime_calls: %s: %s\n", argv[2], err.msg);
			return 1;
		}
		uint64_t d = fnv64(res.output, res.output_len);
		if (i > 0 && (d != digest || res.output_len != out_len)) {
			fprintf(stderr, "runtime_calls: %s: call %d returned other bytes\n", argv[2], i);
			return 1;
		}
		digest = d;
		out_len = res.output_len;
		t[i] = res.call_s * 1e3;
		pvf_exec_result_free(&res);
	}
	qsort(t, (size_t)n, sizeof(*t), by_value);
	printf("%s %d %.3f %.3f %zu %016llx\n", argv[2], n, t[0], t[n / 2], out_len, (unsigned long long)digest);
	free(t);
	free(in);
	pvf_artifact_close(a);
	return 0;
}
