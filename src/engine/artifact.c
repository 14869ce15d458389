/*
 * artifact.c — artifact files: writing them atomically, verifying every
 * header field and both checksums, and loading the payload.
 *
 * Loading never maps a file on disk that it has not verified: the whole
 * file is read into memory, verified there, and the verified payload bytes
 * are copied into an anonymous memfd, which the artifact loader (elf_load.c)
 * maps. A file changed after verification therefore cannot change what
 * runs.
 */
#include "engine/artifact_format.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/artifact.h"
#include "engine/elf_load.h"
#include "engine/glue_abi.h"
#include "engine/rt.h"
#include "engine/rt_symbols.h"

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void blake2b_256(uint8_t out[32], const uint8_t *in, size_t len)
{
	crypto_generichash(out, 32, in, len, NULL, 0);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int pvf__artifact_write(const char *path, const pvf_artifact_info *info, const uint8_t *payload,
			size_t len, pvf_error *err)
{
	size_t tlen = info->toolchain_id ? strlen(info->toolchain_id) : 0;
	size_t hlen = PVF_ARTIFACT_FIXED_HEADER + tlen + 32;
	char tmp[PATH_MAX];
	uint8_t *h;
	int fd, e;

	if (tlen > PVF_ARTIFACT_MAX_TOOLCHAIN)
		return pvf_error_set(err, PVF_E_USAGE, "toolchain id too long");
	if (len > PVF_ARTIFACT_MAX_PAYLOAD)
		return pvf_error_set(err, PVF_E_COMPILE, "artifact payload too large (%zu bytes)", len);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= sizeof(tmp))
		return pvf_error_set(err, PVF_E_USAGE, "artifact path too long");
	h = calloc(1, hlen);
	if (!h)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	memcpy(h, PVF_ARTIFACT_MAGIC, 8);
	put32(h + 8, PVF_ARTIFACT_FORMAT_VERSION);
	put32(h + 12, (uint32_t)hlen);
	memcpy(h + 16, info->code_hash, 32);
	memcpy(h + 48, info->params_hash, 32);
	put32(h + 80, info->stack_limit);
	put32(h + 84, info->max_memory_pages);
	put32(h + 88, info->max_frame_bytes);
	put64(h + 96, info->native_stack_bytes);
	put64(h + 104, len);
	blake2b_256(h + 112, payload, len);
	put32(h + 144, (uint32_t)tlen);
	memcpy(h + 148, info->toolchain_id, tlen);
	blake2b_256(h + 148 + tlen, h, 148 + tlen);

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		free(h);
		return pvf_error_set(err, PVF_E_IO, "cannot create %s: %s", tmp, strerror(e));
	}
	e = write_all(fd, h, hlen);
	if (!e)
		e = write_all(fd, payload, len);
	if (!e && fchmod(fd, 0644) < 0)
		e = -errno;
	if (!e && fsync(fd) < 0)
		e = -errno;
	if (close(fd) < 0 && !e)
		e = -errno;
	free(h);
	if (!e && rename(tmp, path) < 0)
		e = -errno;
	if (e) {
		unlink(tmp);
		return pvf_error_set(err, PVF_E_IO, "cannot write artifact %s: %s", path, strerror(-e));
	}
	return 0;
}

int pvf__write_file(const char *path, const void *data, size_t len, pvf_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), e;

	if (fd < 0)
		return pvf_error_set(err, PVF_E_IO, "cannot create %s: %s", path, strerror(errno));
	e = write_all(fd, data, len);
	if (close(fd) < 0 && !e)
		e = -errno;
	if (e) {
		unlink(path);
		return pvf_error_set(err, PVF_E_IO, "cannot write %s: %s", path, strerror(-e));
	}
	return 0;
}

int pvf__read_file(const char *path, size_t max, uint8_t **ret, size_t *ret_len, pvf_error *err)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return pvf_error_set(err, PVF_E_IO, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pvf_error_set(err, PVF_E_IO, "%s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return pvf_error_set(err, PVF_E_IO, "%s is too large (%lld bytes, limit %zu)", path,
				     (long long)st.st_size, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory reading %s", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';   /* text files can be read as strings */
	*ret = buf;
	*ret_len = got;
	return 0;
}

int pvf__artifact_parse(const uint8_t *buf, size_t len, const pvf_artifact_expect *expect,
			pvf_artifact_info *info, size_t *ret_payload_off, pvf_error *err)
{
	uint8_t sum[32];
	uint32_t version, hlen, tlen;
	uint64_t plen;

	memset(info, 0, sizeof(*info));
	if (len < PVF_ARTIFACT_FIXED_HEADER || memcmp(buf, PVF_ARTIFACT_MAGIC, 8) != 0)
		return pvf_error_set(err, PVF_E_ARTIFACT_CORRUPT, "not a pvfhost artifact (bad magic or truncated header)");
	version = get32(buf + 8);
	if (version != PVF_ARTIFACT_FORMAT_VERSION)
		return pvf_error_set(err, PVF_E_ARTIFACT_FOREIGN,
				     "artifact format version %u, this pvfhost reads version %u", version,
				     PVF_ARTIFACT_FORMAT_VERSION);
	hlen = get32(buf + 12);
	tlen = get32(buf + 144);
	if (tlen > PVF_ARTIFACT_MAX_TOOLCHAIN || hlen != PVF_ARTIFACT_FIXED_HEADER + tlen + 32 || hlen > len)
		return pvf_error_set(err, PVF_E_ARTIFACT_CORRUPT, "artifact header sizes are inconsistent");
	blake2b_256(sum, buf, PVF_ARTIFACT_FIXED_HEADER + tlen);
	if (sodium_memcmp(sum, buf + PVF_ARTIFACT_FIXED_HEADER + tlen, 32) != 0)
		return pvf_error_set(err, PVF_E_ARTIFACT_CORRUPT, "artifact header checksum mismatch");
	plen = get64(buf + 104);
	if (plen != len - hlen)
		return pvf_error_set(err, PVF_E_ARTIFACT_CORRUPT,
				     "artifact payload is %zu bytes, header says %llu (truncated or extended)",
				     len - hlen, (unsigned long long)plen);
	blake2b_256(sum, buf + hlen, (size_t)plen);
	if (sodium_memcmp(sum, buf + 112, 32) != 0)
		return pvf_error_set(err, PVF_E_ARTIFACT_CORRUPT, "artifact payload checksum mismatch");

	info->toolchain_id = malloc(tlen + 1);
	if (!info->toolchain_id)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	memcpy(info->toolchain_id, buf + 148, tlen);
	info->toolchain_id[tlen] = '\0';
	info->format_version = version;
	memcpy(info->code_hash, buf + 16, 32);
	memcpy(info->params_hash, buf + 48, 32);
	info->stack_limit = get32(buf + 80);
	info->max_memory_pages = get32(buf + 84);
	info->max_frame_bytes = get32(buf + 88);
	info->native_stack_bytes = get64(buf + 96);
	info->payload_size = plen;

	if (expect && expect->toolchain_id && strcmp(expect->toolchain_id, info->toolchain_id) != 0) {
		pvf_error_set(err, PVF_E_ARTIFACT_FOREIGN,
			      "artifact was built by another toolchain (%.200s); this host is %.200s",
			      info->toolchain_id, expect->toolchain_id);
		goto fail;
	}
	if (expect && expect->code_hash && memcmp(expect->code_hash, info->code_hash, 32) != 0) {
		pvf_error_set(err, PVF_E_ARTIFACT_CORRUPT, "artifact is for different code (code hash mismatch)");
		goto fail;
	}
	if (expect && expect->params_hash && memcmp(expect->params_hash, info->params_hash, 32) != 0) {
		pvf_error_set(err, PVF_E_ARTIFACT_CORRUPT,
			      "artifact is for different preparation parameters (hash mismatch)");
		goto fail;
	}
	*ret_payload_off = hlen;
	return 0;
fail:
	pvf_artifact_info_clear(info);
	return -1;
}

void pvf_artifact_info_clear(pvf_artifact_info *info)
{
	if (!info)
		return;
	free(info->toolchain_id);
	info->toolchain_id = NULL;
}

int pvf_artifact_verify(const char *path, const pvf_artifact_expect *expect,
			pvf_artifact_info *ret_info, pvf_error *err)
{
	pvf_artifact_info info;
	uint8_t *buf;
	size_t len, off;
	int r;

	if (pvf__read_file(path, PVF_ARTIFACT_MAX_PAYLOAD + 65536, &buf, &len, err) < 0)
		return -1;
	r = pvf__artifact_parse(buf, len, expect, &info, &off, err);
	free(buf);
	if (r < 0)
		return -1;
	if (ret_info)
		*ret_info = info;
	else
		pvf_artifact_info_clear(&info);
	return 0;
}

/* ---- loading ---------------------------------------------------------------- */

static void init_module_tramp(void *p)
{
	((void (*)(void))p)();
}

static int check_abi(const pvf_glue_abi *abi, const pvf_artifact_info *info, pvf_error *err)
{
	if (abi->abi_version != PVF_GLUE_ABI_VERSION)
		return pvf_error_set(err, PVF_E_ARTIFACT_FOREIGN, "artifact glue ABI %u, expected %u",
				     abi->abi_version, PVF_GLUE_ABI_VERSION);
	if (abi->stack_limit != info->stack_limit)
		return pvf_error_set(err, PVF_E_ARTIFACT_CORRUPT,
				     "artifact code has stack limit %u, header says %u",
				     abi->stack_limit, info->stack_limit);
	if (!abi->init_module || !abi->instantiate || !abi->free_instance || !abi->instance_size ||
	    (abi->nimports && !abi->imports) || (abi->nexports && !abi->exports))
		return pvf_error_set(err, PVF_E_ARTIFACT_CORRUPT, "artifact ABI table is incomplete");
	return 0;
}

static void fill_desc(pvf_extern_desc *d, const pvf_glue_extern *g)
{
	d->module = g->module;
	d->module_len = g->module_len;
	d->name = g->name;
	d->name_len = g->name_len;
	d->kind = (pvf_extern_kind)g->kind;
	d->params = g->params ? g->params : "";
	d->results = g->results ? g->results : "";
	d->mut = g->mut != 0;
	d->min = g->min;
	d->max = g->max;
	d->has_max = g->has_max != 0;
}

int pvf_artifact_open(const char *path, const pvf_artifact_expect *expect, pvf_artifact **ret,
		      pvf_error *err)
{
	pvf_artifact *a = NULL;
	uint8_t *buf = NULL;
	size_t len, off;
	int fd = -1, e;
	pvf_trap trap;

	if (pvf__read_file(path, PVF_ARTIFACT_MAX_PAYLOAD + 65536, &buf, &len, err) < 0)
		return -1;
	a = calloc(1, sizeof(*a));
	if (!a) {
		free(buf);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	if (pvf__artifact_parse(buf, len, expect, &a->info, &off, err) < 0)
		goto fail;

	/* The code is mapped from a memfd copy of the verified bytes, so what
	 * runs is what was checked, and its pages are shared by every process
	 * forked afterwards. The mappings keep the memfd's pages alive. */
	fd = memfd_create("pvfhost-artifact", MFD_CLOEXEC);
	if (fd < 0) {
		pvf_error_set(err, PVF_E_ARTIFACT_LOAD, "memfd_create: %s", strerror(errno));
		goto fail;
	}
	e = write_all(fd, buf + off, len - off);
	if (e < 0) {
		pvf_error_set(err, PVF_E_ARTIFACT_LOAD, "writing the artifact code: %s", strerror(-e));
		goto fail;
	}
	if (pvf__elf_load(buf + off, len - off, fd, &pvf__rt_symbols, PVF_GLUE_ABI_SYMBOL, &a->code, err) < 0)
		goto fail;
	close(fd);
	fd = -1;
	free(buf);
	buf = NULL;
	if (a->code.export_size < sizeof(pvf_glue_abi)) {
		pvf_error_set(err, PVF_E_ARTIFACT_CORRUPT, "artifact ABI table is too small");
		goto fail;
	}
	a->abi = a->code.export_addr;
	if (check_abi(a->abi, &a->info, err) < 0)
		goto fail;
	a->imports = calloc(a->abi->nimports + 1, sizeof(*a->imports));
	a->exports = calloc(a->abi->nexports + 1, sizeof(*a->exports));
	if (!a->imports || !a->exports) {
		pvf_error_set(err, PVF_E_NOMEM, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < a->abi->nimports; i++)
		fill_desc(&a->imports[i], &a->abi->imports[i]);
	for (uint32_t i = 0; i < a->abi->nexports; i++)
		fill_desc(&a->exports[i], &a->abi->exports[i]);

	e = pvf__rt_run(1u << 20, init_module_tramp, (void *)a->abi->init_module, &trap);
	if (e == -1) {
		pvf_error_set(err, PVF_E_RUNTIME_CONSTRUCTION, "initialising the module: %s%s%s",
			      pvf_trap_describe(trap.kind), trap.msg[0] ? ": " : "", trap.msg);
		goto fail;
	} else if (e < 0) {
		pvf_error_set(err, PVF_E_RUNTIME_CONSTRUCTION, "cannot start an execution thread: %s",
			      strerror(-e));
		goto fail;
	}
	*ret = a;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	pvf_artifact_close(a);
	return -1;
}

const pvf_artifact_info *pvf_artifact_get_info(const pvf_artifact *a)
{
	return &a->info;
}

void pvf_artifact_close(pvf_artifact *a)
{
	if (!a)
		return;
	for (uint32_t i = 0; i < a->nzombies; i++)
		pvf__instance_free_zombie(a->zombies[i]);
	free(a->zombies);
	pvf__elf_unload(&a->code);
	free(a->imports);
	free(a->exports);
	pvf_artifact_info_clear(&a->info);
	free(a);
}

uint32_t pvf_artifact_nimports(const pvf_artifact *a)
{
	return a->abi->nimports;
}

const pvf_extern_desc *pvf_artifact_import(const pvf_artifact *a, uint32_t i)
{
	return i < a->abi->nimports ? &a->imports[i] : NULL;
}

uint32_t pvf_artifact_nexports(const pvf_artifact *a)
{
	return a->abi->nexports;
}

const pvf_extern_desc *pvf_artifact_export(const pvf_artifact *a, uint32_t i)
{
	return i < a->abi->nexports ? &a->exports[i] : NULL;
}

int32_t pvf_artifact_find_export(const pvf_artifact *a, const char *name, uint32_t name_len)
{
	for (uint32_t i = 0; i < a->abi->nexports; i++)
		if (a->exports[i].name_len == name_len && memcmp(a->exports[i].name, name, name_len) == 0)
			return (int32_t)i;
	return -1;
}
