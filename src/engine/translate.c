/*
 * translate.c — the translation stage: wasm2c 1.0.32 on the module, in
 * several processes at once when the module is big.
 *
 * wasm2c is single-threaded: 2.0–2.2 s of CPU for the Coretime runtime,
 * the larger part of a preparation with tcc. Its output for one function
 * depends on that function's body and the module's declarations only, so
 * K processes each translate a partial module (pvf__translate_partial_module:
 * every function body outside the process's share replaced by
 * `unreachable`), and the outputs are stitched: the text of the first
 * output, with each function's definition taken from the output that had
 * the real body. Function definitions come in function index order, which
 * is the order of the code section, so the share of output k is a
 * contiguous range of definitions.
 *
 * Before the stitched text is used it is checked, and when any check fails
 * the whole module is translated by one process instead:
 *   - every output's header (m.h) is the same, byte for byte;
 *   - every output has the same number of definitions (split.c reads them),
 *     as many as the module defines functions;
 *   - the text outside the definitions is the same in every output;
 *   - every definition outside an output's share is a stub: its body lines
 *     are FUNC_PROLOGUE, declarations, UNREACHABLE, FUNC_EPILOGUE and a
 *     return, nothing else.
 * tests/unit/test_translate.c checks on the spec suite's modules and the
 * real runtimes that the stitched text equals a single process's output.
 */
#include "engine/translate.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/artifact_format.h"
#include "engine/glue.h"
#include "engine/proc.h"
#include "engine/split.h"

uint64_t pvf__translate_min_code = PVF_TRANSLATE_PARALLEL_MIN_CODE;

/* Largest generated file read back (the Coretime runtime writes 45 MB). */
#define TRANSLATE_MAX_OUTPUT (1ull << 31)

/* ---- partial modules ---------------------------------------------------- */

static int read_u32(const uint8_t *p, size_t n, size_t *at, uint32_t *v)
{
	uint32_t r = 0;

	for (int i = 0; i < 5; i++) {
		if (*at >= n)
			return -1;
		uint8_t b = p[(*at)++];
		r |= (uint32_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

static size_t put_u32(uint8_t *out, uint32_t v)
{
	size_t n = 0;

	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
	} while (v);
	return n;
}

int pvf__translate_partial_module(const uint8_t *wasm, size_t size, const pvf_module *m, uint32_t lo, uint32_t hi,
				  uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	/* A body: no locals, unreachable, end. */
	static const uint8_t stub[] = { 3, 0x00, 0x00, 0x0b };
	size_t at = 8, sec = 0, sec_end = 0, payload = 0;
	uint8_t *out, *w;

	*ret = NULL;
	*ret_len = 0;
	/* Find the code section (id 10) by walking the section headers. */
	while (at < size) {
		size_t start = at;
		uint8_t id = wasm[at++];
		uint32_t len;
		if (read_u32(wasm, size, &at, &len) < 0 || len > size - at)
			return pvf_error_set(err, PVF_E_INVALID, "partial module: malformed section header");
		if (id == 10) {
			sec = start;
			sec_end = at + len;
			break;
		}
		at += len;
	}
	if (!sec_end) {
		/* No code section: no bodies to replace, the module as it is. */
		if (m->nfunctions)
			return pvf_error_set(err, PVF_E_INVALID, "partial module: no code section");
		if (!(out = malloc(size ? size : 1)))
			return pvf_error_set(err, PVF_E_NOMEM, "out of memory writing a partial module");
		memcpy(out, wasm, size);
		*ret = out;
		*ret_len = size;
		return 0;
	}
	for (uint32_t i = 0; i < m->nfunctions; i++)
		if (lo <= i && i < hi)
			payload += 5 + m->functions[i].body_size;
		else
			payload += sizeof(stub);
	payload += 5;
	if (!(out = malloc(size + payload + 16)))
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory writing a partial module");
	memcpy(out, wasm, sec);
	w = out + sec;
	*w++ = 10;
	/* The payload's size is known only at the end: 5 bytes, padded. */
	uint8_t *size_at = w;
	w += 5;
	uint8_t *body_start = w;
	w += put_u32(w, m->nfunctions);
	for (uint32_t i = 0; i < m->nfunctions; i++) {
		const pvf_function *f = &m->functions[i];
		if (lo <= i && i < hi) {
			if (f->body_offset > size || f->body_size > size - f->body_offset) {
				free(out);
				return pvf_error_set(err, PVF_E_INVALID, "partial module: body %u out of range", i);
			}
			w += put_u32(w, f->body_size);
			memcpy(w, wasm + f->body_offset, f->body_size);
			w += f->body_size;
		} else {
			memcpy(w, stub, sizeof(stub));
			w += sizeof(stub);
		}
	}
	uint32_t plen = (uint32_t)(w - body_start);
	for (int i = 0; i < 5; i++)
		size_at[i] = (uint8_t)(((plen >> (7 * i)) & 0x7f) | (i < 4 ? 0x80 : 0));
	memcpy(w, wasm + sec_end, size - sec_end);
	w += size - sec_end;
	*ret = out;
	*ret_len = (size_t)(w - out);
	return 0;
}

/* ---- stitching ------------------------------------------------------------ */

typedef struct part {
	char *c;                /* m.c */
	size_t c_len;
	pvf_text_span *defs;
	uint32_t ndefs;
} part;

static bool line_is(const char *p, const char *e, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(e - p) == n && memcmp(p, lit, n) == 0;
}

/* A definition whose body wasm2c wrote for `unreachable`: after the header
 * (through ") {"), only FUNC_PROLOGUE, declarations ("  T w2c_x, ...;"
 * without '=' or '('), one UNREACHABLE, FUNC_EPILOGUE, a return of a name,
 * and the closing brace. */
static bool is_stub(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *nl;
	int unreachable = 0;

	/* the header, possibly over several lines, ends with ") {" */
	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return false;
		if (nl - s >= 3 && memcmp(nl - 3, ") {", 3) == 0)
			break;
		p = nl + 1;
	}
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return false;
		if (line_is(p, nl, "}"))
			return nl + 1 == end && unreachable == 1;
		if (line_is(p, nl, "  FUNC_PROLOGUE;") || line_is(p, nl, "  FUNC_EPILOGUE;"))
			continue;
		if (line_is(p, nl, "  UNREACHABLE;")) {
			unreachable++;
			continue;
		}
		if (nl - p < 4 || p[0] != ' ' || p[1] != ' ' || p[2] == ' ' || nl[-1] != ';' ||
		    memchr(p, '=', (size_t)(nl - p)) || memchr(p, '(', (size_t)(nl - p)))
			return false;   /* not a declaration or a plain return */
	}
	return false;
}

/* The stitched text of parts[0..k) for a module of n functions, or NULL
 * (with a reason in why) when they do not fit together. */
static char *stitch(part *parts, uint32_t k, uint32_t n, size_t *ret_len, char *why, size_t why_len)
{
	size_t cap = 0, len = 0;
	char *out;

	for (uint32_t j = 0; j < k; j++) {
		if (parts[j].ndefs != n) {
			snprintf(why, why_len, "output %u has %u definitions for %u functions", j, parts[j].ndefs, n);
			return NULL;
		}
		cap += parts[j].c_len;
	}
	if (!(out = malloc(cap + 1))) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i <= n; i++) {
		/* the text before definition i (after the last one: the tail) */
		size_t gs = i ? parts[0].defs[i - 1].end : 0;
		size_t ge = i < n ? parts[0].defs[i].start : parts[0].c_len;
		for (uint32_t j = 1; j < k; j++) {
			size_t s = i ? parts[j].defs[i - 1].end : 0;
			size_t e = i < n ? parts[j].defs[i].start : parts[j].c_len;
			if (e - s != ge - gs || memcmp(parts[j].c + s, parts[0].c + gs, ge - gs) != 0) {
				snprintf(why, why_len, "output %u differs from output 0 before definition %u", j, i);
				free(out);
				return NULL;
			}
		}
		memcpy(out + len, parts[0].c + gs, ge - gs);
		len += ge - gs;
		if (i == n)
			break;
		/* output j has the bodies of [n*j/k, n*(j+1)/k) */
		uint32_t owner = 0;
		while ((uint64_t)i >= (uint64_t)n * (owner + 1) / k)
			owner++;
		for (uint32_t j = 0; j < k; j++) {
			const pvf_text_span *d = &parts[j].defs[i];
			if (j != owner && !is_stub(parts[j].c + d->start, d->end - d->start)) {
				snprintf(why, why_len, "definition %u of output %u is not a stub", i, j);
				free(out);
				return NULL;
			}
		}
		const pvf_text_span *d = &parts[owner].defs[i];
		if (len + (d->end - d->start) > cap) {
			snprintf(why, why_len, "stitched text longer than the outputs");
			free(out);
			return NULL;
		}
		memcpy(out + len, parts[owner].c + d->start, d->end - d->start);
		len += d->end - d->start;
	}
	out[len] = '\0';
	*ret_len = len;
	return out;
}

/* ---- the stage ------------------------------------------------------------ */

static int translate_whole(const pvf_toolchain *tc, const char *dir, pvf_stage_stats *stage, pvf_error *err)
{
	const char *argv[] = { tc->wasm2c, "--no-debug-names", "-n", PVF_GLUE_MODULE, "m.wasm", "-o", "m.c", NULL };

	return pvf__run_stage((char *const *)argv, dir, stage, "wasm2c", err);
}

/* Removes part j's files (its partial module and wasm2c's output), which
 * are as large as the module's whole translation. */
static void remove_part(const char *dir, uint32_t j)
{
	static const char *const files[] = { "m.c", "m.h" };
	char path[4200];

	snprintf(path, sizeof(path), "%s/p%u.wasm", dir, j);
	unlink(path);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/p%u/%s", dir, j, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/p%u", dir, j);
	rmdir(path);
}

/* Translates in k processes and writes the stitched m.c and m.h: 0; 1
 * when the outputs did not fit together (nothing written); -1 on an error
 * that a translation in one process would not avoid either (memory). */
static int translate_parts(const pvf_toolchain *tc, const uint8_t *wasm, size_t size, const pvf_module *m,
			   const char *dir, uint32_t k, pvf_stage_stats *stage, char *why, size_t why_len,
			   pvf_error *err)
{
	char path[4200], names[PVF_TRANSLATE_MAX_PARTS][2][32];
	char *const *argvs[PVF_TRANSLATE_MAX_PARTS];
	const char *argv[PVF_TRANSLATE_MAX_PARTS][8];
	part parts[PVF_TRANSLATE_MAX_PARTS];
	uint8_t *header = NULL, *h = NULL, *pw = NULL;
	size_t header_len = 0, h_len, pw_len, out_len = 0;
	char *out = NULL;
	int rc = 1;

	memset(parts, 0, sizeof(parts));
	for (uint32_t j = 0; j < k; j++) {
		uint32_t lo = (uint32_t)(((uint64_t)m->nfunctions * j) / k);
		uint32_t hi = (uint32_t)(((uint64_t)m->nfunctions * (j + 1)) / k);
		snprintf(names[j][0], sizeof(names[j][0]), "p%u.wasm", j);
		snprintf(names[j][1], sizeof(names[j][1]), "p%u/m.c", j);
		snprintf(path, sizeof(path), "%s/p%u", dir, j);
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			snprintf(why, why_len, "mkdir %s: %s", path, strerror(errno));
			goto out;
		}
		if (pvf__translate_partial_module(wasm, size, m, lo, hi, &pw, &pw_len, err) < 0) {
			if (err && err->code == PVF_E_NOMEM)
				rc = -1;
			snprintf(why, why_len, "%s", err ? err->msg : "partial module");
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[j][0]);
		int wr = pvf__write_file(path, pw, pw_len, err);
		free(pw);
		pw = NULL;
		if (wr < 0) {
			snprintf(why, why_len, "%s", err ? err->msg : "write");
			goto out;
		}
		const char *a[] = { tc->wasm2c, "--no-debug-names", "-n", PVF_GLUE_MODULE, names[j][0], "-o",
				    names[j][1], NULL };
		memcpy(argv[j], a, sizeof(a));
		argvs[j] = (char *const *)argv[j];
	}
	if (pvf__run_parallel(argvs, k, dir, k, "wasm2c", stage, err) < 0) {
		snprintf(why, why_len, "%s", err ? err->msg : "wasm2c failed");
		goto out;
	}
	for (uint32_t j = 0; j < k; j++) {
		snprintf(path, sizeof(path), "%s/p%u/m.h", dir, j);
		if (pvf__read_file(path, TRANSLATE_MAX_OUTPUT, &h, &h_len, err) < 0) {
			snprintf(why, why_len, "%s", err ? err->msg : "read");
			goto out;
		}
		if (j == 0) {
			header = h;
			header_len = h_len;
			h = NULL;
		} else {
			bool same = h_len == header_len && memcmp(h, header, h_len) == 0;
			free(h);
			h = NULL;
			if (!same) {
				snprintf(why, why_len, "output %u has another header", j);
				goto out;
			}
		}
		snprintf(path, sizeof(path), "%s/p%u/m.c", dir, j);
		if (pvf__read_file(path, TRANSLATE_MAX_OUTPUT, (uint8_t **)&parts[j].c, &parts[j].c_len, err) < 0 ||
		    pvf__split_defs(parts[j].c, parts[j].c_len, &parts[j].defs, &parts[j].ndefs, err) < 0) {
			snprintf(why, why_len, "%s", err ? err->msg : "read");
			goto out;
		}
	}
	out = stitch(parts, k, m->nfunctions, &out_len, why, why_len);
	if (!out)
		goto out;
	snprintf(path, sizeof(path), "%s/m.c", dir);
	if (pvf__write_file(path, out, out_len, err) < 0) {
		rc = -1;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/m.h", dir);
	if (pvf__write_file(path, header, header_len, err) < 0) {
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	if (rc == 1 && err)
		pvf_error_clear(err);   /* not an error: the caller translates in one process */
	free(out);
	free(header);
	for (uint32_t j = 0; j < k; j++) {
		free(parts[j].c);
		free(parts[j].defs);
		remove_part(dir, j);
	}
	return rc;
}

int pvf__translate(const pvf_toolchain *tc, const uint8_t *wasm, size_t size, const pvf_module *m, const char *dir,
		   uint32_t parts, pvf_stage_stats *stage, uint32_t *parts_used, char *why, size_t why_len,
		   pvf_error *err)
{
	char path[4200], scratch[200];

	if (parts_used)
		*parts_used = 1;
	snprintf(path, sizeof(path), "%s/m.wasm", dir);
	if (pvf__write_file(path, wasm, size, err) < 0)
		return -1;
	if (parts > PVF_TRANSLATE_MAX_PARTS)
		parts = PVF_TRANSLATE_MAX_PARTS;
	if (parts > 1 && m && m->code_size >= pvf__translate_min_code && m->nfunctions >= 2 * parts) {
		if (!why || !why_len) {
			why = scratch;
			why_len = sizeof(scratch);
		}
		why[0] = '\0';
		int r = translate_parts(tc, wasm, size, m, dir, parts, stage, why, why_len, err);
		if (r < 0)
			return -1;
		if (r == 0) {
			if (parts_used)
				*parts_used = parts;
			return 0;
		}
	}
	return translate_whole(tc, dir, stage, err);
}
