/*
 * validate-example.c — using pvfhost as a library (include/pvfhost.h,
 * `pkg-config --cflags --libs pvfhost`): create a host, pre-check a PVF,
 * validate a candidate block with it, print the result, free the host.
 *
 *   validate-example CODE PARAMS_HEX_FILE [CACHE_DIR]
 *
 * CODE is the validation code (raw wasm, a compressed blob or 0x-hex);
 * PARAMS_HEX_FILE holds SCALE ValidationParams as hex text. `make` builds
 * this against the bundled mini adder (build/examples/mini-adder.wasm and
 * build/examples/adder-params.hex).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvfhost.h"

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			unsigned char *nb = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		k = fread(buf + n, 1, cap - n, f);
		n += k;
	} while (k > 0);
	fclose(f);
	*len = n;
	return buf;
}

static int nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex text (optional 0x, surrounding white space) in place. */
static int unhex(unsigned char *s, size_t len, size_t *out)
{
	size_t i = 0, o = 0;

	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	if ((len - i) % 2)
		return -1;
	for (; i < len; i += 2) {
		int hi = nibble(s[i]), lo = nibble(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		s[o++] = (unsigned char)(hi << 4 | lo);
	}
	*out = o;
	return 0;
}

int main(int argc, char **argv)
{
	pvfhost_config cfg;
	pvfhost *host;
	pvfhost_error err;
	unsigned char *code, *params;
	size_t code_len, params_len;
	int rc = 2;

	if (argc < 3) {
		fprintf(stderr, "usage: %s CODE PARAMS_HEX_FILE [CACHE_DIR]\n", argv[0]);
		return 2;
	}
	code = read_all(argv[1], &code_len);
	params = read_all(argv[2], &params_len);
	if (!code || !params || unhex(params, params_len, &params_len) < 0) {
		fprintf(stderr, "cannot read %s or %s (hex expected)\n", argv[1], argv[2]);
		return 2;
	}

	pvfhost_config_default(&cfg);
	if (argc > 3)
		cfg.cache_dir = argv[3];
	cfg.no_sandbox = getenv("PVFHOST_TEST_NO_SANDBOX") != NULL;
	if (pvfhost_new(&cfg, &host, &err) < 0) {
		fprintf(stderr, "pvfhost_new: %s\n", err.msg);
		return 2;
	}

	/* Pre-check: what validators vote on when the code is proposed. */
	switch (pvfhost_precheck(host, code, code_len, NULL, &err)) {
	case PVFHOST_PRECHECK_VALID:
		printf("precheck: valid\n");
		break;
	case PVFHOST_PRECHECK_INVALID:
		printf("precheck: invalid: %s\n", err.msg);
		rc = 1;
		goto out;
	default:
		printf("precheck: failed: %s\n", err.msg);
		goto out;
	}

	/* Validate a candidate as an approval checker would. */
	pvfhost_validate_req req = {
		.code = code,
		.code_len = code_len,
		.params = params,
		.params_len = params_len,
		.priority = PVFHOST_PRIO_APPROVAL,
	};
	unsigned char *out;
	size_t out_len;
	pvfhost_result info;
	if (pvfhost_validate(host, &req, &out, &out_len, &info, &err) < 0) {
		printf("validate: %s: %s (%s)\n", pvfhost_error_class_name(err.cls), err.msg,
		       pvfhost_error_code_name(err.code));
		rc = err.cls == PVFHOST_CLASS_DETERMINISTIC ? 1 : 2;
		goto out;
	}
	printf("validate: valid, %zu bytes of ValidationResult: ", out_len);
	for (size_t i = 0; i < out_len; i++)
		printf("%02x", out[i]);
	printf("\n          queued %llu us, executed in %llu us\n", (unsigned long long)info.queue_us,
	       (unsigned long long)info.execute_us);
	free(out);
	rc = 0;
out:
	pvfhost_free(host);
	free(code);
	free(params);
	return rc;
}
