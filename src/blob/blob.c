/*
 * blob.c — raw wasm, Substrate maybe-compressed blobs and hex text -> wasm.
 *
 * Decision order in pvf_blob_decode (first match wins):
 *
 *   "\0asm" ...                 -> raw:        copy (<= bomb_limit bytes)
 *   52 bc 53 76 46 db 8e KK ... -> compressed: KK 05/07: inflate_zstd()
 *                                              KK other: refused by name
 *   "0x" hex digits ...         -> hex:        decode, then the two rules
 *                                              above once more (no nesting)
 *   anything else               -> PVF_E_MALFORMED
 *
 * inflate_zstd() invariants:
 *   - the output buffer never exceeds bomb_limit + 1 bytes; it starts small
 *     and doubles, so a tiny bomb costs little memory before it is caught;
 *   - the frame header's content size is ignored (it is attacker-chosen);
 *   - exactly one frame: the call that ends the frame must also have
 *     consumed the last input byte, otherwise the blob has trailing bytes;
 *     input that runs out before the frame ends is "truncated".
 *
 * Everything here is deterministic: the same bytes give the same verdict
 * and message on every machine (no dependence on allocation sizes or zstd's
 * internal buffering shows in the result).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "blob/blob.h"
#include "common/hex.h"

static const uint8_t wasm_magic[4] = { 0x00, 0x61, 0x73, 0x6d };
static const uint8_t blob_magic[7] = { 0x52, 0xbc, 0x53, 0x76, 0x46, 0xdb, 0x8e };

/* First output allocation for decompression; doubled as needed. */
#define INFLATE_INITIAL_CAP ((size_t)256 * 1024)
/* Largest zstd window (log2 bytes) a frame may declare; see inflate_zstd. */
#define PVF_BLOB_ZSTD_WINDOW_LOG_MAX 27

const char *pvf_blob_format_name(pvf_blob_format f)
{
	switch (f) {
	case PVF_BLOB_FORMAT_RAW:
		return "raw";
	case PVF_BLOB_FORMAT_COMPRESSED:
		return "compressed";
	case PVF_BLOB_FORMAT_HEX:
		return "hex";
	default:
		return "unknown";
	}
}

static bool has_wasm_magic(const uint8_t *p, size_t len)
{
	return len >= sizeof(wasm_magic) && memcmp(p, wasm_magic, sizeof(wasm_magic)) == 0;
}

static bool has_blob_magic(const uint8_t *p, size_t len)
{
	return len >= PVF_BLOB_PREFIX_LEN && memcmp(p, blob_magic, sizeof(blob_magic)) == 0;
}

static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case PVF_BLOB_KIND_LEGACY:
		return "legacy code";
	case PVF_BLOB_KIND_POV:
		return "PoV";
	case PVF_BLOB_KIND_CODE:
		return "code";
	case PVF_BLOB_KIND_PVM:
		return "PVM (PolkaVM) code";
	default:
		return "unknown";
	}
}

/* Decompresses the single zstd frame in src[0..len) into a new buffer of at
 * most `limit` bytes. */
static int inflate_zstd(const uint8_t *src, size_t len, size_t limit, uint8_t **ret,
			size_t *ret_len, pvf_error *err)
{
	ZSTD_DCtx *dctx;
	ZSTD_inBuffer in = { src, len, 0 };
	ZSTD_outBuffer out = { NULL, 0, 0 };
	uint8_t *buf = NULL;
	size_t cap, hard_cap;
	int r = -1;

	/* limit + 1 so that "one byte more than allowed" is observable. */
	if (limit == SIZE_MAX)
		return pvf_error_set(err, PVF_E_USAGE, "blob: bomb limit too large");
	hard_cap = limit + 1;
	cap = INFLATE_INITIAL_CAP < hard_cap ? INFLATE_INITIAL_CAP : hard_cap;

	if (len == 0)
		return pvf_error_set(err, PVF_E_BLOB_CORRUPT,
				     "compressed blob: no zstd frame after the prefix");

	dctx = ZSTD_createDCtx();
	if (!dctx)
		return pvf_error_set(err, PVF_E_NOMEM, "compressed blob: cannot create zstd context");
	/* The largest window a frame may ask for: 2^27 bytes, zstd's default
	 * limit, which is also what Substrate's decoder (the zstd crate with
	 * default parameters) accepts, so both reject the same frames. zstd's
	 * own window buffer is bounded by this; our output by limit + 1. */
	ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, PVF_BLOB_ZSTD_WINDOW_LOG_MAX);

	buf = malloc(cap);
	if (!buf) {
		pvf_error_set(err, PVF_E_NOMEM, "compressed blob: cannot allocate %zu bytes", cap);
		goto out;
	}
	out.dst = buf;
	out.size = cap;

	for (;;) {
		size_t z;

		if (out.pos == out.size) {
			size_t ncap;
			uint8_t *nbuf;

			if (out.size >= hard_cap) {
				pvf_error_set(err, PVF_E_BLOB_BOMB,
					      "possible decompression bomb: output exceeds %zu bytes",
					      limit);
				goto out;
			}
			if (__builtin_mul_overflow(out.size, (size_t)2, &ncap) || ncap > hard_cap)
				ncap = hard_cap;
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				pvf_error_set(err, PVF_E_NOMEM,
					      "compressed blob: cannot allocate %zu bytes", ncap);
				goto out;
			}
			buf = nbuf;
			out.dst = buf;
			out.size = ncap;
		}
		z = ZSTD_decompressStream(dctx, &out, &in);
		if (ZSTD_isError(z)) {
			if (ZSTD_getErrorCode(z) == ZSTD_error_frameParameter_windowTooLarge)
				pvf_error_set(err, PVF_E_BLOB_CORRUPT,
					      "compressed blob: zstd frame window exceeds 2^%d bytes",
					      PVF_BLOB_ZSTD_WINDOW_LOG_MAX);
			else
				pvf_error_set(err, PVF_E_BLOB_CORRUPT,
					      "compressed blob: corrupt zstd data at input offset %zu: %s",
					      in.pos, ZSTD_getErrorName(z));
			goto out;
		}
		if (out.pos > limit) {
			pvf_error_set(err, PVF_E_BLOB_BOMB,
				      "possible decompression bomb: output exceeds %zu bytes", limit);
			goto out;
		}
		if (z == 0) {
			/* The frame is complete and fully flushed. */
			if (in.pos != in.size) {
				pvf_error_set(err, PVF_E_BLOB_CORRUPT,
					      "compressed blob: %zu trailing bytes after the zstd frame "
					      "(at input offset %zu)",
					      in.size - in.pos, in.pos);
				goto out;
			}
			break;
		}
		if (in.pos == in.size && out.pos < out.size) {
			/* zstd had room to write and nothing left to read, yet the
			 * frame has not ended. */
			pvf_error_set(err, PVF_E_BLOB_CORRUPT,
				      "compressed blob: truncated zstd frame (%zu bytes, frame incomplete)",
				      len);
			goto out;
		}
	}

	if (out.pos == 0) {
		/* A zero-length result is not a module; keep a valid pointer. */
		free(buf);
		buf = malloc(1);
		if (!buf) {
			pvf_error_set(err, PVF_E_NOMEM, "compressed blob: cannot allocate");
			goto out;
		}
	} else if (out.pos < out.size) {
		uint8_t *shrunk = realloc(buf, out.pos);
		if (shrunk)
			buf = shrunk;
	}
	*ret = buf;
	*ret_len = out.pos;
	buf = NULL;
	r = 0;
out:
	free(buf);
	ZSTD_freeDCtx(dctx);
	return r;
}

/* Raw wasm or a compressed blob (no hex): the shared second stage. */
static int decode_binary(const uint8_t *in, size_t len, size_t limit, bool inside_hex,
			 uint8_t **ret, size_t *ret_len, pvf_blob_info *info, pvf_error *err)
{
	const char *where = inside_hex ? " (inside hex text)" : "";

	if (has_wasm_magic(in, len)) {
		uint8_t *copy;

		if (len > limit)
			return pvf_error_set(err, PVF_E_BLOB_TOO_LARGE,
					     "uncompressed wasm module%s of %zu bytes exceeds the limit of %zu bytes",
					     where, len, limit);
		copy = malloc(len);
		if (!copy)
			return pvf_error_set(err, PVF_E_NOMEM, "blob: cannot allocate %zu bytes", len);
		memcpy(copy, in, len);
		*ret = copy;
		*ret_len = len;
		info->compressed = false;
		info->kind = 0;
		info->compressed_size = 0;
		return 0;
	}
	if (has_blob_magic(in, len)) {
		uint8_t kind = in[sizeof(blob_magic)];

		if (kind != PVF_BLOB_KIND_LEGACY && kind != PVF_BLOB_KIND_CODE)
			return pvf_error_set(err, PVF_E_MALFORMED,
					     "maybe-compressed blob%s of kind 0x%02x (%s) is not validation code "
					     "(expected kind 0x05 or 0x07)",
					     where, kind, kind_name(kind));
		if (inflate_zstd(in + PVF_BLOB_PREFIX_LEN, len - PVF_BLOB_PREFIX_LEN, limit, ret,
				 ret_len, err) < 0)
			return -1;
		info->compressed = true;
		info->kind = kind;
		info->compressed_size = len;
		return 0;
	}
	if (len >= sizeof(blob_magic) && memcmp(in, blob_magic, sizeof(blob_magic)) == 0)
		return pvf_error_set(err, PVF_E_MALFORMED,
				     "maybe-compressed blob%s truncated inside its 8-byte prefix", where);
	if (inside_hex)
		return pvf_error_set(err, PVF_E_MALFORMED,
				     "hex text does not hold a wasm module or compressed blob");
	return pvf_error_set(err, PVF_E_MALFORMED, "not a wasm module, compressed blob or hex");
}

int pvf_blob_decode(const uint8_t *in, size_t len, const pvf_blob_opts *opts,
		    uint8_t **ret_code, size_t *ret_len, pvf_blob_info *ret_info, pvf_error *err)
{
	size_t limit = PVF_BLOB_DEFAULT_BOMB_LIMIT, max_input = PVF_BLOB_DEFAULT_MAX_INPUT;
	pvf_blob_info info = { 0 };
	uint8_t *code = NULL;
	size_t code_len = 0;

	if (!ret_code || !ret_len || (!in && len))
		return pvf_error_set(err, PVF_E_USAGE, "blob: NULL argument");
	if (opts && opts->bomb_limit)
		limit = opts->bomb_limit;
	if (opts && opts->max_input)
		max_input = opts->max_input;
	if (len > max_input)
		return pvf_error_set(err, PVF_E_BLOB_TOO_LARGE,
				     "blob input of %zu bytes exceeds the input limit of %zu bytes", len,
				     max_input);
	info.input_size = len;

	if (pvf_hex_sniff(in, len, true)) {
		uint8_t *bin = NULL;
		size_t bin_len = 0;
		int r;

		if (pvf_hex_decode_alloc((const char *)in, len, &bin, &bin_len, err) < 0) {
			pvf_error_prefix(err, "hex blob");
			return -1;
		}
		info.format = PVF_BLOB_FORMAT_HEX;
		info.hex = true;
		r = decode_binary(bin, bin_len, limit, true, &code, &code_len, &info, err);
		free(bin);
		if (r < 0)
			return -1;
	} else {
		if (decode_binary(in ? in : (const uint8_t *)"", len, limit, false, &code, &code_len,
				  &info, err) < 0)
			return -1;
		info.format = info.compressed ? PVF_BLOB_FORMAT_COMPRESSED : PVF_BLOB_FORMAT_RAW;
	}
	info.decompressed_size = code_len;
	*ret_code = code;
	*ret_len = code_len;
	if (ret_info)
		*ret_info = info;
	return 0;
}

/* Reads at most `max` bytes of `path`; more is PVF_E_BLOB_TOO_LARGE. */
static int read_capped(const char *path, size_t max, uint8_t **ret, size_t *ret_len,
		       pvf_error *err)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t cap, len = 0;
	int fd, r = -1;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return pvf_error_set(err, PVF_E_IO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		pvf_error_set(err, PVF_E_IO, "cannot stat '%s': %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		pvf_error_set(err, PVF_E_IO, "'%s' is a directory", path);
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size >= 0 && (uint64_t)st.st_size > (uint64_t)max) {
		pvf_error_set(err, PVF_E_BLOB_TOO_LARGE,
			      "'%s' is %lld bytes, over the input limit of %zu bytes", path,
			      (long long)st.st_size, max);
		goto out;
	}
	/* The stat size is a hint only (the file may change or be a pipe):
	 * the loop below enforces the cap on what is actually read. */
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 64 * 1024;
	if (cap > max + 1 || cap == 0)
		cap = max + 1;
	buf = malloc(cap);
	if (!buf) {
		pvf_error_set(err, PVF_E_NOMEM, "cannot allocate %zu bytes for '%s'", cap, path);
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t ncap;
			uint8_t *nbuf;

			if (cap > max) {
				pvf_error_set(err, PVF_E_BLOB_TOO_LARGE,
					      "'%s' exceeds the input limit of %zu bytes", path, max);
				goto out;
			}
			if (__builtin_mul_overflow(cap, (size_t)2, &ncap) || ncap > max + 1)
				ncap = max + 1;
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				pvf_error_set(err, PVF_E_NOMEM, "cannot allocate %zu bytes for '%s'",
					      ncap, path);
				goto out;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pvf_error_set(err, PVF_E_IO, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		pvf_error_set(err, PVF_E_BLOB_TOO_LARGE, "'%s' exceeds the input limit of %zu bytes",
			      path, max);
		goto out;
	}
	*ret = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

int pvf_blob_read_file(const char *path, const pvf_blob_opts *opts, uint8_t **ret_code,
		       size_t *ret_len, pvf_blob_info *ret_info, pvf_error *err)
{
	size_t max_input = PVF_BLOB_DEFAULT_MAX_INPUT;
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	if (!path || !ret_code || !ret_len)
		return pvf_error_set(err, PVF_E_USAGE, "blob: NULL argument");
	if (opts && opts->max_input)
		max_input = opts->max_input;
	if (max_input >= SIZE_MAX - 1)
		return pvf_error_set(err, PVF_E_USAGE, "blob: input limit too large");
	if (read_capped(path, max_input, &data, &len, err) < 0)
		return -1;
	r = pvf_blob_decode(data, len, opts, ret_code, ret_len, ret_info, err);
	if (r < 0)
		pvf_error_prefix(err, "%s", path);
	free(data);
	return r;
}
