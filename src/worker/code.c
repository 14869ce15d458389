/*
 * code.c — loading validation code and preparing it (see code.h).
 *
 * The input is untrusted: the file is read with a size bound, hex is decoded
 * by common/hex.c, decompression is bounded by blob/blob.c, and the decoder
 * caps every count. This file only sequences those steps and owns the
 * buffers in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/hex.h"
#include "hostapi/alloc_side.h"
#include "hostapi/registry.h"
#include "worker/code.h"

void pvf_code_free(pvf_code *c)
{
	if (!c)
		return;
	pvf_module_free(c->module);
	free(c->wasm);
	free(c);
}

int pvf_code_load(const uint8_t *bytes, size_t len, const pvf_code_opts *opts, pvf_code **ret,
		  pvf_error *err)
{
	pvf_code_opts o = { 0 };
	pvf_decode_opts d = { .features = PVF_FEATURES_ALL };
	uint8_t *unhexed = NULL;
	const uint8_t *blob = bytes;
	size_t blob_len = len;
	pvf_code *c;
	int r = -1;

	if (opts)
		o = *opts;
	if (!ret || (!bytes && len))
		return pvf_error_set(err, PVF_E_USAGE, "pvf_code_load: bad arguments");
	c = calloc(1, sizeof(*c));
	if (!c)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	/* The code hash is over the blob itself, so hex text is decoded first. */
	if (pvf_hex_sniff(bytes, len, true)) {
		if (pvf_hex_decode_alloc((const char *)bytes, len, &unhexed, &blob_len, err) < 0)
			goto out;
		blob = unhexed;
	}
	crypto_generichash(c->code_hash, sizeof(c->code_hash), blob, blob_len, NULL, 0);
	if (pvf_blob_decode(blob, blob_len, &o.blob, &c->wasm, &c->wasm_len, &c->blob, err) < 0)
		goto out;
	if (unhexed) {
		c->blob.format = PVF_BLOB_FORMAT_HEX;
		c->blob.hex = true;
		c->blob.input_size = len;
	}
	if (pvf_module_decode(c->wasm, c->wasm_len, &d, &c->module, err) < 0)
		goto out;
	if (!o.skip_rules) {
		pvf_rules_opts ro = pvf_rules_opts_default();
		ro.lookup = pvf_hostfn_lookup;
		ro.alloc_side = pvf_hostfn_alloc_side;
		ro.allow_missing_imports = true;
		ro.allow_bulk_memory = o.allow_bulk_memory;
		ro.max_code_bytes = o.max_code_bytes;
		if (pvf_rules_check(c->module, &ro, &c->verdict, err) < 0 ||
		    pvf_rule_verdict_to_error(&c->verdict, err) < 0)
			goto out;
	}
	*ret = c;
	c = NULL;
	r = 0;
out:
	free(unhexed);
	pvf_code_free(c);
	return r;
}

/* Reads at most `max` bytes; more is PVF_E_BLOB_TOO_LARGE. */
static int read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return pvf_error_set(err, PVF_E_IO, "%s: %s", path, strerror(errno));
	for (;;) {
		ssize_t n;
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 1 << 16;
			uint8_t *nb;
			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= cap) {
				free(buf);
				close(fd);
				return pvf_error_set(err, PVF_E_BLOB_TOO_LARGE, "%s: larger than %zu bytes", path, max);
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				close(fd);
				return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return pvf_error_set(err, PVF_E_IO, "%s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			close(fd);
			return pvf_error_set(err, PVF_E_BLOB_TOO_LARGE, "%s: larger than %zu bytes", path, max);
		}
	}
	close(fd);
	*ret = buf;
	*ret_len = len;
	return 0;
}

int pvf_code_load_file(const char *path, const pvf_code_opts *opts, pvf_code **ret, pvf_error *err)
{
	size_t max = opts && opts->blob.max_input ? opts->blob.max_input : PVF_BLOB_DEFAULT_MAX_INPUT;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if (!path)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_code_load_file: NULL path");
	if (read_file(path, max, &buf, &len, err) < 0)
		return -1;
	r = pvf_code_load(buf, len, opts, ret, err);
	free(buf);
	if (r < 0)
		pvf_error_prefix(err, "%s", path);
	return r;
}

int pvf_code_prepare(const pvf_code *c, const pvf_prepare_opts *opts, const char *artifact_path,
		     pvf_prepare_stats *stats, pvf_error *err)
{
	pvf_prepare_opts o = { 0 };

	if (!c || !artifact_path)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_code_prepare: NULL argument");
	if (opts)
		o = *opts;
	if (!o.has_code_hash) {
		o.has_code_hash = true;
		memcpy(o.code_hash, c->code_hash, sizeof(o.code_hash));
	}
	if (!o.features)
		o.features = c->module->features_used;
	return pvf_engine_prepare(c->wasm, c->wasm_len, c->module, &o, artifact_path, stats, err);
}
