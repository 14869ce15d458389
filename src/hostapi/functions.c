/*
 * functions.c — the Substrate host functions (sp-io) that pvfhost provides
 * to PVFs, bound to wasm imports, with the exact ABI of
 * sp-runtime-interface:
 *
 *   i64 fat pointer   ptr = low 32 bits, len = high 32 bits; the range must
 *                     lie inside memory 0 (ptr + len <= size, even for len 0)
 *   thin pointer      i32 ptr to a fixed number of bytes N (same check)
 *   AllocateAndReturnPointer<N>   the host allocates N bytes with the
 *                     freeing-bump allocator, writes them, returns i32 ptr
 *   AllocateAndReturnByCodec<T>   SCALE(T) in an allocated buffer, returned
 *                     as a fat pointer
 *   PassPointerAndWrite<N>        after the call the host writes N bytes to
 *                     the pointer (the default value, zeros, on failure)
 *   PassAs<u8>        the i32 value truncated to u8, then converted
 *                     (an invalid enum value is an error)
 *   PassFatPointerAndDecode<T>    T decoded from the bytes; trailing bytes are
 *                     ignored (codec::Decode, not decode_all)
 * Every marshalling failure is a host error, which traps the wasm code
 * (PVF_TRAP_HOST_ERROR, message "NAME: what"). Allocator failures too, as
 * Substrate's `allocate_memory(..).expect(..)` panics.
 *
 * Divisions: context and logging; memory access helpers; allocator glue;
 * host functions by interface (allocator, hashing, crypto, trie, misc,
 * logging); the unsupported stub; storage (runtime calls only); the binder.
 *
 * Invariant: no host function keeps a pointer into wasm memory across an
 * allocation (which may grow memory); inputs are hashed/copied first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasm-rt.h>

#include "blob/blob.h"
#include "common/hex.h"
#include "common/scale.h"
#include "common/utf8.h"
#include "hostapi/ecdsa.h"
#include "hostapi/ed25519.h"
#include "hostapi/functions.h"
#include "hostapi/hashing.h"
#include "hostapi/registry.h"
#include "hostapi/sr25519.h"
#include "hostapi/state.h"
#include "hostapi/trie.h"
#include "hostapi/trie_proof.h"
#include "wasm/module.h"

/* Keccak-512: rate = 200 - 2 * 64 bytes. */
#define KECCAK_512_RATE 72u
/* sp_core::hexdisplay::HexDisplay prints at most this many bytes in full,
 * otherwise the first and last HEX_DISPLAY_EDGE bytes around "...". */
#define HEX_DISPLAY_FULL_MAX 1027u
#define HEX_DISPLAY_EDGE 512u
/* Trie inputs: at most this many entries per call (beyond the wasm memory
 * bound, which already limits them). */
#define TRIE_MAX_ENTRIES PVF_TRIE_MAX_ENTRIES
/* blake2_64(b"Core"): the Core runtime API id (sp-api). */
static const uint8_t CORE_API_ID[8] = { 0xdf, 0x6a, 0xcb, 0x68, 0x99, 0x07, 0x60, 0x9b };
/* One entry of the runtime_apis custom section: [u8; 8] id + u32 version. */
#define RUNTIME_API_INFO_SIZE 12u

typedef struct slot {
	pvf_hostapi_ctx *ctx;
	char name[PVF_HOSTFN_NAME_MAX + 1];
} slot;

struct pvf_hostapi_ctx {
	uint32_t max_pages;
	uint32_t max_log_level;
	pvf_log_sink sink;
	void *sink_user;

	const pvf_artifact *artifact;
	bool bound;
	void *memory;            /* created for an env.memory import */
	slot *slots;
	uint32_t nslots;

	pvf_instance *inst;
	bool alloc_ready;
	pvf_allocator alloc;
	pvf_error alloc_err;     /* why the allocator could not start (no __heap_base) */

	/* RFC-0145 entry point ((len: i32) -> i64): the input the runtime
	 * reads once with ext_input_read, and no host-side allocator. */
	bool input_entry;
	const uint8_t *input;
	size_t input_len;
	bool input_taken;

	bool batch_active;       /* VerificationExtDeprecated registered */
	bool batch_ok;

	pvf_state *state;        /* runtime calls only; NULL for validation */

	char last_error[PVF_HOSTAPI_LAST_LOG_MAX + 1];
};

/* ---- context and logging --------------------------------------------------------- */

const char *pvf_runtime_log_level_name(uint32_t level)
{
	switch (level) {
	case PVF_LOG_ERROR:
		return "ERROR";
	case PVF_LOG_WARN:
		return "WARN";
	case PVF_LOG_INFO:
		return "INFO";
	case PVF_LOG_DEBUG:
		return "DEBUG";
	case PVF_LOG_TRACE:
		return "TRACE";
	default:
		return "?";
	}
}

int pvf_hostapi_ctx_new(const pvf_hostapi_opts *opts, pvf_hostapi_ctx **ret, pvf_error *err)
{
	pvf_hostapi_ctx *c;

	if (!ret)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_hostapi_ctx_new: NULL ret");
	c = calloc(1, sizeof(*c));
	if (!c)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	c->max_pages = opts && opts->max_pages ? opts->max_pages : PVF_DEFAULT_MAX_PAGES;
	if (c->max_pages > PVF_WASM_MAX_PAGES)
		c->max_pages = PVF_WASM_MAX_PAGES;
	c->max_log_level = opts && opts->max_log_level_set ? opts->max_log_level : PVF_LOG_FILTER_DEFAULT;
	if (c->max_log_level > PVF_LOG_FILTER_TRACE)
		c->max_log_level = PVF_LOG_FILTER_TRACE;
	c->sink = opts ? opts->log_sink : NULL;
	c->sink_user = opts ? opts->log_user : NULL;
	if (opts && opts->runtime_state && pvf_state_new(&c->state, err) < 0) {
		free(c);
		return -1;
	}
	*ret = c;
	return 0;
}

void pvf_hostapi_ctx_free(pvf_hostapi_ctx *c)
{
	if (!c)
		return;
	pvf_state_free(c->state);
	pvf_memory_free(c->memory);
	free(c->slots);
	free(c);
}

const char *pvf_hostapi_last_error_log(const pvf_hostapi_ctx *c)
{
	return c ? c->last_error : "";
}

pvf_alloc_stats pvf_hostapi_alloc_stats(const pvf_hostapi_ctx *c)
{
	pvf_alloc_stats z = { 0 };

	return c && c->alloc_ready ? pvf_alloc_get_stats(&c->alloc) : z;
}

void *pvf_hostapi_memory(const pvf_hostapi_ctx *c)
{
	return c ? c->memory : NULL;
}

int pvf_hostapi_ctx_set_runtime_state(pvf_hostapi_ctx *c, bool on, pvf_error *err)
{
	if (!c)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_hostapi_ctx_set_runtime_state: NULL context");
	if (!on) {
		pvf_state_free(c->state);
		c->state = NULL;
		return 0;
	}
	return c->state ? 0 : pvf_state_new(&c->state, err);
}

pvf_state *pvf_hostapi_state(const pvf_hostapi_ctx *c)
{
	return c ? c->state : NULL;
}

/* Delivers a line to the sink if `level` passes the filter; error lines are
 * also remembered for trap messages. */
static void emit_log(pvf_hostapi_ctx *c, uint32_t level, const char *target, size_t tlen,
		     const char *msg, size_t mlen)
{
	if (level == PVF_LOG_ERROR)
		snprintf(c->last_error, sizeof(c->last_error), "%.*s: %.*s",
			 (int)(tlen > PVF_HOSTAPI_LAST_LOG_MAX ? PVF_HOSTAPI_LAST_LOG_MAX : tlen), target,
			 (int)(mlen > PVF_HOSTAPI_LAST_LOG_MAX ? PVF_HOSTAPI_LAST_LOG_MAX : mlen), msg);
	/* LogLevelFilter n admits RuntimeInterfaceLogLevel 0 .. n-1. */
	if (c->sink && level < c->max_log_level)
		c->sink(c->sink_user, level, target, tlen, msg, mlen);
}


/* ---- memory access ----------------------------------------------------------------- */

static int host_fail(pvf_trap *t, const slot *s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int host_fail(pvf_trap *t, const slot *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	t->kind = PVF_TRAP_HOST_ERROR;
	n = snprintf(t->msg, sizeof(t->msg), "%s: ", s->name);
	if (n < 0 || (size_t)n >= sizeof(t->msg))
		return -1;
	va_start(ap, fmt);
	vsnprintf(t->msg + n, sizeof(t->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static uint8_t *mem_base(pvf_instance *inst)
{
	wasm_rt_memory_t *m = pvf_instance_memory(inst);

	return m ? m->data : NULL;
}

/* Pointer to memory[ptr .. ptr+len) or NULL with a trap. */
static uint8_t *mem_range(const slot *s, pvf_instance *inst, uint32_t ptr, uint32_t len,
			  const char *what, pvf_trap *t)
{
	uint64_t size = pvf_instance_memory_size(inst);
	uint8_t *base = mem_base(inst);

	if (!base) {
		host_fail(t, s, "the instance has no memory");
		return NULL;
	}
	if ((uint64_t)ptr + len > size) {
		host_fail(t, s, "%s: memory range [%u, +%u) is out of bounds (memory is %llu bytes)", what,
			  ptr, len, (unsigned long long)size);
		return NULL;
	}
	return base + ptr;
}

static uint8_t *mem_fat(const slot *s, pvf_instance *inst, uint64_t fat, uint32_t *ret_len,
			const char *what, pvf_trap *t)
{
	uint32_t ptr = (uint32_t)fat, len = (uint32_t)(fat >> 32);

	*ret_len = len;
	return mem_range(s, inst, ptr, len, what, t);
}

static int mem_write(const slot *s, pvf_instance *inst, uint32_t ptr, const void *src, uint32_t len,
		     const char *what, pvf_trap *t)
{
	uint8_t *p = mem_range(s, inst, ptr, len, what, t);

	if (!p)
		return -1;
	if (len)
		memcpy(p, src, len);
	return 0;
}

static uint64_t fat_ptr(uint32_t ptr, uint32_t len)
{
	return (uint64_t)ptr | ((uint64_t)len << 32);
}

/* ---- allocator glue ---------------------------------------------------------------- */

static uint8_t *am_base(void *p)
{
	return mem_base(p);
}

static uint64_t am_size(void *p)
{
	return pvf_instance_memory_size(p);
}

static int am_grow(void *p, uint32_t pages)
{
	return pvf_instance_memory_grow(p, pages) < 0 ? -1 : 0;
}

static pvf_alloc_memory alloc_mem(pvf_instance *inst)
{
	pvf_alloc_memory m = { inst, am_base, am_size, am_grow };

	return m;
}

static int heap_base_of(const pvf_artifact *a, pvf_instance *inst, uint32_t *ret, pvf_error *err)
{
	static const char name[] = "__heap_base";
	int32_t idx = a ? pvf_artifact_find_export(a, name, (uint32_t)strlen(name)) : -1;
	const pvf_extern_desc *d = idx >= 0 ? pvf_artifact_export(a, (uint32_t)idx) : NULL;
	void *g;

	if (!d)
		return pvf_error_set(err, PVF_E_INSTANTIATE, "the module does not export __heap_base");
	if (d->kind != PVF_EXTERN_GLOBAL || !d->params || strcmp(d->params, "i") != 0)
		return pvf_error_set(err, PVF_E_INSTANTIATE, "__heap_base is not an i32 global");
	g = pvf_instance_export_index(inst, (uint32_t)idx);
	if (!g)
		return pvf_error_set(err, PVF_E_INSTANTIATE, "__heap_base cannot be read");
	memcpy(ret, g, sizeof(*ret));
	return 0;
}

/* What a host-allocating function says when called under an RFC-0145
 * entry point (Substrate's executor has no allocator there and panics). */
#define NO_HOST_ALLOCATOR "the host allocator is not available to a call through an RFC-0145 entry point"

static int alloc_init(pvf_hostapi_ctx *c, pvf_instance *inst, pvf_error *err)
{
	uint32_t hb = 0;

	if (c->alloc_ready)
		return 0;
	if (heap_base_of(c->artifact, inst, &hb, err) < 0)
		return -1;
	pvf_alloc_init(&c->alloc, hb, c->max_pages);
	c->alloc_ready = true;
	if (!c->inst)
		c->inst = inst;
	return 0;
}

int pvf_hostapi_ctx_attach(pvf_hostapi_ctx *c, pvf_instance *inst, pvf_error *err)
{
	if (!c || !inst)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_hostapi_ctx_attach: NULL argument");
	c->inst = inst;
	/* A module without a usable __heap_base can still be called through
	 * an RFC-0145 entry point, which has no host-side allocator: the
	 * reason is kept for the legacy calling convention, which needs one. */
	if (alloc_init(c, inst, &c->alloc_err) < 0 && c->alloc_err.code != PVF_E_INSTANTIATE)
		return pvf_error_set(err, c->alloc_err.code, "%s", c->alloc_err.msg);
	return 0;
}

int pvf_hostapi_ctx_set_input_entry(pvf_hostapi_ctx *c, const uint8_t *input, size_t len, pvf_error *err)
{
	if (!c || (len && !input))
		return pvf_error_set(err, PVF_E_USAGE, "pvf_hostapi_ctx_set_input_entry: NULL argument");
	c->input_entry = true;
	c->input = input;
	c->input_len = len;
	c->input_taken = false;
	return 0;
}

int pvf_hostapi_malloc(pvf_hostapi_ctx *c, uint32_t size, uint32_t *ret_ptr, pvf_error *err)
{
	pvf_alloc_memory m;

	if (c && c->inst && !c->alloc_ready && c->alloc_err.code != PVF_OK)
		return pvf_error_set(err, c->alloc_err.code, "%s", c->alloc_err.msg);
	if (!c || !c->inst || !c->alloc_ready)
		return pvf_error_set(err, PVF_E_USAGE, "no instance attached to the host context");
	m = alloc_mem(c->inst);
	return pvf_alloc_malloc(&c->alloc, &m, size, ret_ptr, err);
}

int pvf_hostapi_free(pvf_hostapi_ctx *c, uint32_t ptr, pvf_error *err)
{
	pvf_alloc_memory m;

	if (!c || !c->inst || !c->alloc_ready)
		return pvf_error_set(err, PVF_E_USAGE, "no instance attached to the host context");
	m = alloc_mem(c->inst);
	return pvf_alloc_free(&c->alloc, &m, ptr, err);
}

/* Allocates `len` bytes in the instance's memory; *ret_ptr. */
static int alloc_buf(const slot *s, pvf_instance *inst, uint32_t len, uint32_t *ret_ptr, pvf_trap *t)
{
	pvf_hostapi_ctx *c = s->ctx;
	pvf_alloc_memory m = alloc_mem(inst);
	pvf_error e;

	if (c->input_entry)
		return host_fail(t, s, "%s", NO_HOST_ALLOCATOR);
	if (alloc_init(c, inst, &e) < 0 || pvf_alloc_malloc(&c->alloc, &m, len, ret_ptr, &e) < 0)
		return host_fail(t, s, "failed to allocate memory: %s", e.msg);
	return 0;
}

/* Allocates `len` bytes, copies `data` (host memory) in; *ret_ptr. */
static int alloc_out(const slot *s, pvf_instance *inst, const void *data, uint32_t len,
		     uint32_t *ret_ptr, pvf_trap *t)
{
	uint32_t p;

	if (alloc_buf(s, inst, len, &p, t) < 0)
		return -1;
	if (mem_write(s, inst, p, data, len, "allocated buffer", t) < 0)
		return -1;
	*ret_ptr = p;
	return 0;
}

/* ---- allocator --------------------------------------------------------------------- */

/* input_read v1 (RFC-0145): (buffer_out: i64) -> (). The call's input,
 * once, into a buffer at least as long; the rest of the buffer is zeroed,
 * as Substrate writes the whole buffer back. Traps: called from a legacy
 * entry point (the input was passed in memory) or a second time, a buffer
 * shorter than the input, a buffer out of bounds. */
static int hf_input_read(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_hostapi_ctx *c = s->ctx;
	uint32_t len;
	uint8_t *out = mem_fat(s, inst, a[0], &len, "buffer_out", t);

	(void)r;
	if (!out)
		return -1;
	if (!c->input_entry || c->input_taken)
		return host_fail(t, s, "the input was already taken (it is read once, by a call through an "
				 "RFC-0145 entry point)");
	if (len < c->input_len)
		return host_fail(t, s, "buffer of %u bytes for an input of %zu bytes", len, c->input_len);
	if (c->input_len)
		memcpy(out, c->input, c->input_len);
	memset(out + c->input_len, 0, len - c->input_len);
	c->input_taken = true;
	return 0;
}

static int hf_malloc(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_hostapi_ctx *c = s->ctx;
	pvf_alloc_memory m = alloc_mem(inst);
	pvf_error e;
	uint32_t p;

	if (c->input_entry)
		return host_fail(t, s, "%s", NO_HOST_ALLOCATOR);
	if (alloc_init(c, inst, &e) < 0 || pvf_alloc_malloc(&c->alloc, &m, (uint32_t)a[0], &p, &e) < 0)
		return host_fail(t, s, "Failed to allocate memory: %s", e.msg);
	r[0] = p;
	return 0;
}

static int hf_free(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_hostapi_ctx *c = s->ctx;
	pvf_alloc_memory m = alloc_mem(inst);
	pvf_error e;

	if (c->input_entry)
		return host_fail(t, s, "%s", NO_HOST_ALLOCATOR);
	if (alloc_init(c, inst, &e) < 0 || pvf_alloc_free(&c->alloc, &m, (uint32_t)a[0], &e) < 0)
		return host_fail(t, s, "Failed to deallocate memory: %s", e.msg);
	return 0;
}

/* ---- hashing ----------------------------------------------------------------------- */

void pvf__keccak_512(const uint8_t *data, size_t len, uint8_t out[64])
{
	uint8_t st[PVF_KECCAK_STATE_LEN] = { 0 };

	while (len >= KECCAK_512_RATE) {
		for (size_t i = 0; i < KECCAK_512_RATE; i++)
			st[i] ^= data[i];
		pvf__keccak_f1600(st);
		data += KECCAK_512_RATE;
		len -= KECCAK_512_RATE;
	}
	for (size_t i = 0; i < len; i++)
		st[i] ^= data[i];
	st[len] ^= 0x01;
	st[KECCAK_512_RATE - 1] ^= 0x80;
	pvf__keccak_f1600(st);
	memcpy(out, st, 64);
}

typedef void (*hash_fn)(const uint8_t *data, size_t len, uint8_t *out);

static void h_blake2_128(const uint8_t *d, size_t n, uint8_t *o) { pvf_blake2_128(d, n, o); }
static void h_blake2_256(const uint8_t *d, size_t n, uint8_t *o) { pvf_blake2_256(d, n, o); }
static void h_keccak_256(const uint8_t *d, size_t n, uint8_t *o) { pvf_keccak_256(d, n, o); }
static void h_keccak_512(const uint8_t *d, size_t n, uint8_t *o) { pvf__keccak_512(d, n, o); }
static void h_sha2_256(const uint8_t *d, size_t n, uint8_t *o) { pvf_sha2_256(d, n, o); }
static void h_twox_64(const uint8_t *d, size_t n, uint8_t *o) { pvf_twox_64(d, n, o); }
static void h_twox_128(const uint8_t *d, size_t n, uint8_t *o) { pvf_twox_128(d, n, o); }
static void h_twox_256(const uint8_t *d, size_t n, uint8_t *o) { pvf_twox_256(d, n, o); }

/* version 1: (data: i64) -> i32 pointer to an allocated digest;
 * version 2: (data: i64, out: i32) -> (), digest written at out. */
static int hash_v1(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t, hash_fn h,
		   uint32_t outlen)
{
	slot *s = vs;
	uint8_t dig[64];
	uint32_t len, p;
	const uint8_t *d = mem_fat(s, inst, a[0], &len, "data", t);

	if (!d)
		return -1;
	h(d, len, dig);
	if (alloc_out(s, inst, dig, outlen, &p, t) < 0)
		return -1;
	r[0] = p;
	return 0;
}

static int hash_v2(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t, hash_fn h,
		   uint32_t outlen)
{
	slot *s = vs;
	uint8_t dig[64];
	uint32_t len;
	const uint8_t *d = mem_fat(s, inst, a[0], &len, "data", t);

	if (!d)
		return -1;
	h(d, len, dig);
	return mem_write(s, inst, (uint32_t)a[1], dig, outlen, "out", t);
}

#define HASH_FNS(name, fn, n)                                                                        \
	static int hf_##name##_v1(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r,       \
				  pvf_trap *t)                                                         \
	{                                                                                              \
		return hash_v1(vs, inst, a, r, t, fn, n);                                              \
	}                                                                                              \
	static int hf_##name##_v2(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r,       \
				  pvf_trap *t)                                                         \
	{                                                                                              \
		return hash_v2(vs, inst, a, r, t, fn, n);                                              \
	}

HASH_FNS(blake2_128, h_blake2_128, 16)
HASH_FNS(blake2_256, h_blake2_256, 32)
HASH_FNS(keccak_256, h_keccak_256, 32)
HASH_FNS(keccak_512, h_keccak_512, 64)
HASH_FNS(sha2_256, h_sha2_256, 32)
HASH_FNS(twox_64, h_twox_64, 8)
HASH_FNS(twox_128, h_twox_128, 16)
HASH_FNS(twox_256, h_twox_256, 32)

/* ---- crypto ------------------------------------------------------------------------ */

enum sig_kind { SIG_ED25519, SIG_SR25519_V1, SIG_SR25519_V2, SIG_ECDSA_V1, SIG_ECDSA_V2 };

/* (sig: i32, msg: i64, pub: i32) -> i32 bool. */
static int verify_common(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t,
			 enum sig_kind k, bool batch)
{
	slot *s = vs;
	pvf_hostapi_ctx *c = s->ctx;
	uint32_t siglen = k >= SIG_ECDSA_V1 ? PVF_ECDSA_SIGNATURE_LEN : 64;
	uint32_t publen = k >= SIG_ECDSA_V1 ? PVF_ECDSA_PUBLIC_COMPRESSED_LEN : 32;
	uint8_t sig[PVF_ECDSA_SIGNATURE_LEN], pub[PVF_ECDSA_PUBLIC_COMPRESSED_LEN];
	const uint8_t *p, *msg;
	uint32_t mlen;
	bool ok = false;

	if (!(p = mem_range(s, inst, (uint32_t)a[0], siglen, "signature", t)))
		return -1;
	memcpy(sig, p, siglen);
	if (!(msg = mem_fat(s, inst, a[1], &mlen, "message", t)))
		return -1;
	if (!(p = mem_range(s, inst, (uint32_t)a[2], publen, "public key", t)))
		return -1;
	memcpy(pub, p, publen);
	switch (k) {
	case SIG_ED25519:
		ok = pvf_ed25519_verify(sig, msg, mlen, pub);
		break;
	case SIG_SR25519_V1:
		ok = pvf_sr25519_verify_deprecated(sig, msg, mlen, pub);
		break;
	case SIG_SR25519_V2:
		ok = pvf_sr25519_verify(sig, msg, mlen, pub);
		break;
	case SIG_ECDSA_V1:
		ok = pvf_ecdsa_verify(1, sig, msg, mlen, pub);
		break;
	case SIG_ECDSA_V2:
		ok = pvf_ecdsa_verify(2, sig, msg, mlen, pub);
		break;
	default:
		break;
	}
	if (batch && c->batch_active)
		c->batch_ok = c->batch_ok && ok;
	r[0] = ok ? 1 : 0;
	return 0;
}

#define VERIFY_FN(fname, kind, batch)                                                                \
	static int fname(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)   \
	{                                                                                              \
		return verify_common(vs, inst, a, r, t, kind, batch);                                  \
	}

VERIFY_FN(hf_ed25519_verify, SIG_ED25519, false)
VERIFY_FN(hf_ed25519_batch_verify, SIG_ED25519, true)
VERIFY_FN(hf_sr25519_verify_v1, SIG_SR25519_V1, false)
VERIFY_FN(hf_sr25519_verify_v2, SIG_SR25519_V2, false)
/* sr25519_batch_verify calls the trait's sr25519_verify, i.e. version 2. */
VERIFY_FN(hf_sr25519_batch_verify, SIG_SR25519_V2, true)
VERIFY_FN(hf_ecdsa_verify_v1, SIG_ECDSA_V1, false)
VERIFY_FN(hf_ecdsa_verify_v2, SIG_ECDSA_V2, false)
VERIFY_FN(hf_ecdsa_batch_verify, SIG_ECDSA_V1, true)

/* (sig: i32 -> 65 bytes, msg: i32 -> 32 bytes, pub: i32 -> 33 bytes) -> i32 bool. */
static int hf_ecdsa_verify_prehashed(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r,
				     pvf_trap *t)
{
	slot *s = vs;
	uint8_t sig[PVF_ECDSA_SIGNATURE_LEN], msg[32], pub[PVF_ECDSA_PUBLIC_COMPRESSED_LEN];
	const uint8_t *p;

	if (!(p = mem_range(s, inst, (uint32_t)a[0], sizeof(sig), "signature", t)))
		return -1;
	memcpy(sig, p, sizeof(sig));
	if (!(p = mem_range(s, inst, (uint32_t)a[1], sizeof(msg), "message", t)))
		return -1;
	memcpy(msg, p, sizeof(msg));
	if (!(p = mem_range(s, inst, (uint32_t)a[2], sizeof(pub), "public key", t)))
		return -1;
	memcpy(pub, p, sizeof(pub));
	r[0] = pvf_ecdsa_verify_prehashed(sig, msg, pub) ? 1 : 0;
	return 0;
}

/* Runs the recovery; *ret_len is 64 or 33. Returns true on Ok. */
static bool do_recover(unsigned version, bool compressed, const uint8_t *sig, const uint8_t *msg,
		       uint8_t *out, pvf_ecdsa_error *e)
{
	return compressed ? pvf_secp256k1_recover_compressed(version, sig, msg, out, e)
			  : pvf_secp256k1_recover(version, sig, msg, out, e);
}

/* v1/v2: (sig: i32, msg: i32) -> i64 fat pointer to SCALE Result<[u8; N], EcdsaVerifyError>. */
static int recover_codec(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t,
			 unsigned version, bool compressed)
{
	slot *s = vs;
	uint8_t sig[PVF_ECDSA_SIGNATURE_LEN], msg[32], enc[1 + PVF_ECDSA_PUBLIC_RAW_LEN];
	uint32_t n = compressed ? PVF_ECDSA_PUBLIC_COMPRESSED_LEN : PVF_ECDSA_PUBLIC_RAW_LEN, len, p;
	const uint8_t *q;
	pvf_ecdsa_error e = PVF_ECDSA_BAD_SIGNATURE;

	if (!(q = mem_range(s, inst, (uint32_t)a[0], sizeof(sig), "signature", t)))
		return -1;
	memcpy(sig, q, sizeof(sig));
	if (!(q = mem_range(s, inst, (uint32_t)a[1], sizeof(msg), "message", t)))
		return -1;
	memcpy(msg, q, sizeof(msg));
	if (do_recover(version, compressed, sig, msg, enc + 1, &e)) {
		enc[0] = 0x00; /* Ok */
		len = 1 + n;
	} else {
		enc[0] = 0x01; /* Err */
		enc[1] = (uint8_t)e;
		len = 2;
	}
	if (alloc_out(s, inst, enc, len, &p, t) < 0)
		return -1;
	r[0] = fat_ptr(p, len);
	return 0;
}

/* v3: (sig: i32, msg: i32, out: i32) -> i32: 0 Ok, -1 BadRS, -2 BadV,
 * -3 BadSignature (RIIntResult<VoidResult, RIEcdsaVerifyError>). The output
 * (zeros on error) is always written back (PassPointerAndWrite). */
static int recover_v3(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t,
		      bool compressed)
{
	slot *s = vs;
	uint8_t sig[PVF_ECDSA_SIGNATURE_LEN], msg[32], out[PVF_ECDSA_PUBLIC_RAW_LEN] = { 0 };
	uint32_t n = compressed ? PVF_ECDSA_PUBLIC_COMPRESSED_LEN : PVF_ECDSA_PUBLIC_RAW_LEN;
	const uint8_t *q;
	pvf_ecdsa_error e = PVF_ECDSA_BAD_SIGNATURE;
	int32_t code = 0;

	if (!(q = mem_range(s, inst, (uint32_t)a[0], sizeof(sig), "signature", t)))
		return -1;
	memcpy(sig, q, sizeof(sig));
	if (!(q = mem_range(s, inst, (uint32_t)a[1], sizeof(msg), "message", t)))
		return -1;
	memcpy(msg, q, sizeof(msg));
	if (!do_recover(2, compressed, sig, msg, out, &e)) {
		memset(out, 0, sizeof(out));
		code = -1 - (int32_t)e;
	}
	if (mem_write(s, inst, (uint32_t)a[2], out, n, "out", t) < 0)
		return -1;
	r[0] = (uint32_t)code;
	return 0;
}

static int hf_recover_v1(void *vs, pvf_instance *i, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return recover_codec(vs, i, a, r, t, 1, false);
}
static int hf_recover_v2(void *vs, pvf_instance *i, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return recover_codec(vs, i, a, r, t, 2, false);
}
static int hf_recover_v3(void *vs, pvf_instance *i, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return recover_v3(vs, i, a, r, t, false);
}
static int hf_recover_c_v1(void *vs, pvf_instance *i, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return recover_codec(vs, i, a, r, t, 1, true);
}
static int hf_recover_c_v2(void *vs, pvf_instance *i, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return recover_codec(vs, i, a, r, t, 2, true);
}
static int hf_recover_c_v3(void *vs, pvf_instance *i, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return recover_v3(vs, i, a, r, t, true);
}

/* start_batch_verify: registering the extension twice fails (a panic in
 * Substrate, so a trap here). */
static int hf_start_batch(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;

	if (s->ctx->batch_active)
		return host_fail(t, s, "Failed to register required extension: `VerificationExt`");
	s->ctx->batch_active = true;
	s->ctx->batch_ok = true;
	return 0;
}

static int hf_finish_batch(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;

	if (!s->ctx->batch_active)
		return host_fail(t, s, "`finish_batch_verify` should only be called after `start_batch_verify`");
	s->ctx->batch_active = false;
	r[0] = s->ctx->batch_ok ? 1 : 0;
	return 0;
}

/* ---- trie -------------------------------------------------------------------------- */

static int state_version(const slot *s, uint64_t arg, pvf_trie_version *v, pvf_trap *t)
{
	uint8_t b = (uint8_t)arg;

	if (b > 1)
		return host_fail(t, s, "invalid state version %u", b);
	*v = b == 0 ? PVF_TRIE_V0 : PVF_TRIE_V1;
	return 0;
}

/* Decodes Vec<(Vec<u8>, Vec<u8>)> (pairs) or Vec<Vec<u8>> (!pairs) from the
 * argument and computes the root. */
static int trie_common(const slot *s, pvf_instance *inst, uint64_t fat, bool pairs, pvf_trie_version v,
		       pvf_trie_hasher h, uint8_t root[32], pvf_trap *t)
{
	pvf_scale_reader rd;
	pvf_trie_entry *e = NULL;
	pvf_error err;
	uint32_t len;
	size_t n;
	const uint8_t *d = mem_fat(s, inst, fat, &len, "input", t);
	int rc;

	if (!d)
		return -1;
	pvf_scale_reader_init(&rd, d, len, PVF_E_MALFORMED, pairs ? "Vec<(Vec<u8>, Vec<u8>)>" : "Vec<Vec<u8>>");
	if (pvf_scale_read_vec_len(&rd, pairs ? 2 : 1, TRIE_MAX_ENTRIES, &n, &err) < 0)
		return host_fail(t, s, "could not SCALE-decode the input: %s", err.msg);
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return host_fail(t, s, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if ((pairs && pvf_scale_read_vec_u8(&rd, &e[i].key, &e[i].key_len, &err) < 0) ||
		    pvf_scale_read_vec_u8(&rd, &e[i].value, &e[i].value_len, &err) < 0) {
			free(e);
			return host_fail(t, s, "could not SCALE-decode the input: %s", err.msg);
		}
	}
	rc = pairs ? pvf_trie_root(e, n, v, h, root, &err) : pvf_trie_ordered_root(e, n, v, h, root, &err);
	free(e);
	if (rc < 0)
		return host_fail(t, s, "trie root: %s", err.msg);
	return 0;
}

static void th_blake2(const uint8_t *d, size_t n, uint8_t out[PVF_TRIE_HASH_LEN]) { pvf_blake2_256(d, n, out); }
static void th_keccak(const uint8_t *d, size_t n, uint8_t out[PVF_TRIE_HASH_LEN]) { pvf_keccak_256(d, n, out); }

/* version 1: (input: i64) -> i32 ptr (V0); version 2: (input, state: i32) ->
 * i32 ptr; version 3: (input, state, out: i32) -> (). */
static int trie_fn(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t, bool pairs,
		   bool keccak, int version)
{
	slot *s = vs;
	pvf_trie_version v = PVF_TRIE_V0;
	uint8_t root[32];
	uint32_t p;

	if (version >= 2 && state_version(s, a[1], &v, t) < 0)
		return -1;
	if (trie_common(s, inst, a[0], pairs, v, keccak ? th_keccak : th_blake2, root, t) < 0)
		return -1;
	if (version == 3)
		return mem_write(s, inst, (uint32_t)a[2], root, 32, "out", t);
	if (alloc_out(s, inst, root, 32, &p, t) < 0)
		return -1;
	r[0] = p;
	return 0;
}

#define TRIE_FN(fname, pairs, keccak, ver)                                                           \
	static int fname(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)   \
	{                                                                                              \
		return trie_fn(vs, inst, a, r, t, pairs, keccak, ver);                                 \
	}

TRIE_FN(hf_trie_b_root_v1, true, false, 1)
TRIE_FN(hf_trie_b_root_v2, true, false, 2)
TRIE_FN(hf_trie_b_root_v3, true, false, 3)
TRIE_FN(hf_trie_b_ord_v1, false, false, 1)
TRIE_FN(hf_trie_b_ord_v2, false, false, 2)
TRIE_FN(hf_trie_b_ord_v3, false, false, 3)
TRIE_FN(hf_trie_k_root_v1, true, true, 1)
TRIE_FN(hf_trie_k_root_v2, true, true, 2)
TRIE_FN(hf_trie_k_root_v3, true, true, 3)
TRIE_FN(hf_trie_k_ord_v1, false, true, 1)
TRIE_FN(hf_trie_k_ord_v2, false, true, 2)
TRIE_FN(hf_trie_k_ord_v3, false, true, 3)

/* (root: i32 pointer to 32 bytes, proof: i64 SCALE Vec<Vec<u8>>, key: i64, value: i64
 * [, state_version: i32 in version 2]) -> i32 bool. Version 1 is LayoutV0. A
 * proof that does not prove the pair answers false; arguments that cannot be
 * read or decoded trap, as in Substrate. */
static int verify_proof_fn(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t,
			   bool keccak, int version)
{
	slot *s = vs;
	pvf_trie_version v = PVF_TRIE_V0;
	pvf_scale_reader rd;
	pvf_trie_slice *nodes = NULL;
	uint8_t root[32];
	uint32_t plen, klen, vlen;
	const uint8_t *p, *key, *val, *rp;
	pvf_error err;
	size_t n;
	int rc;

	if (version == 2 && state_version(s, a[4], &v, t) < 0)
		return -1;
	if (!(rp = mem_range(s, inst, (uint32_t)a[0], 32, "root", t)) ||
	    !(p = mem_fat(s, inst, a[1], &plen, "proof", t)) || !(key = mem_fat(s, inst, a[2], &klen, "key", t)) ||
	    !(val = mem_fat(s, inst, a[3], &vlen, "value", t)))
		return -1;
	memcpy(root, rp, sizeof(root));
	pvf_scale_reader_init(&rd, p, plen, PVF_E_MALFORMED, "Vec<Vec<u8>>");
	if (pvf_scale_read_vec_len(&rd, 1, TRIE_MAX_ENTRIES, &n, &err) < 0)
		return host_fail(t, s, "could not SCALE-decode the proof: %s", err.msg);
	nodes = calloc(n ? n : 1, sizeof(*nodes));
	if (!nodes)
		return host_fail(t, s, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (pvf_scale_read_vec_u8(&rd, &nodes[i].data, &nodes[i].len, &err) < 0) {
			free(nodes);
			return host_fail(t, s, "could not SCALE-decode the proof: %s", err.msg);
		}
	}
	rc = pvf_trie_verify_proof(root, nodes, n, key, klen, val, vlen, v, keccak ? th_keccak : th_blake2, NULL,
				   &err);
	free(nodes);
	if (rc < 0)
		return host_fail(t, s, "trie proof: %s", err.msg);
	r[0] = (uint64_t)rc;
	return 0;
}

#define VERIFY_PROOF_FN(fname, keccak, ver)                                                          \
	static int fname(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)   \
	{                                                                                              \
		return verify_proof_fn(vs, inst, a, r, t, keccak, ver);                                \
	}

VERIFY_PROOF_FN(hf_trie_b_proof_v1, false, 1)
VERIFY_PROOF_FN(hf_trie_b_proof_v2, false, 2)
VERIFY_PROOF_FN(hf_trie_k_proof_v1, true, 1)
VERIFY_PROOF_FN(hf_trie_k_proof_v2, true, 2)

/* ---- misc -------------------------------------------------------------------------- */

static const char RUNTIME_TARGET[] = "runtime";

static int hf_print_num(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)a[0]);

	emit_log(s->ctx, PVF_LOG_DEBUG, RUNTIME_TARGET, strlen(RUNTIME_TARGET), buf, (size_t)n);
	return 0;
}

static int hf_print_utf8(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	uint32_t len;
	const uint8_t *d = mem_fat(s, inst, a[0], &len, "utf8", t);

	if (!d)
		return -1;
	if (pvf_utf8_valid(d, len))
		emit_log(s->ctx, PVF_LOG_DEBUG, RUNTIME_TARGET, strlen(RUNTIME_TARGET), (const char *)d, len);
	return 0;
}

static void hex_into(char *out, const uint8_t *d, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
}

static int hf_print_hex(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	uint32_t len;
	const uint8_t *d = mem_fat(s, inst, a[0], &len, "data", t);
	char *buf;
	size_t n;

	if (!d)
		return -1;
	if (!s->ctx->sink || PVF_LOG_DEBUG >= s->ctx->max_log_level)
		return 0; /* nobody would see it */
	if (len < HEX_DISPLAY_FULL_MAX) {
		buf = malloc(2 * (size_t)len + 1);
		if (!buf)
			return 0;
		hex_into(buf, d, len);
		n = 2 * (size_t)len;
	} else {
		buf = malloc(4 * HEX_DISPLAY_EDGE + 3);
		if (!buf)
			return 0;
		hex_into(buf, d, HEX_DISPLAY_EDGE);
		memcpy(buf + 2 * HEX_DISPLAY_EDGE, "...", 3);
		hex_into(buf + 2 * HEX_DISPLAY_EDGE + 3, d + len - HEX_DISPLAY_EDGE, HEX_DISPLAY_EDGE);
		n = 4 * HEX_DISPLAY_EDGE + 3;
	}
	emit_log(s->ctx, PVF_LOG_DEBUG, RUNTIME_TARGET, strlen(RUNTIME_TARGET), buf, n);
	free(buf);
	return 0;
}

/* Reads a SCALE String (Vec<u8> that must be UTF-8). */
static int read_string(pvf_scale_reader *rd, const uint8_t **p, size_t *n, pvf_error *err)
{
	if (pvf_scale_read_vec_u8(rd, p, n, err) < 0)
		return -1;
	if (!pvf_utf8_valid(*p, *n))
		return pvf_error_set(err, PVF_E_MALFORMED, "a runtime version string is not valid UTF-8");
	return 0;
}

static bool core_version_from(const uint8_t *apis, size_t n, uint32_t *ret)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = apis + i * RUNTIME_API_INFO_SIZE;
		if (!memcmp(e, CORE_API_ID, sizeof(CORE_API_ID))) {
			*ret = (uint32_t)e[8] | (uint32_t)e[9] << 8 | (uint32_t)e[10] << 16 | (uint32_t)e[11] << 24;
			return true;
		}
	}
	return false;
}

int pvf__runtime_version_read(const uint8_t *blob, size_t len, uint8_t **ret_buf, size_t *ret_len,
			      pvf_error *err)
{
	pvf_decode_opts dopts = { .features = PVF_FEATURES_ALL, .skip_bodies = true };
	pvf_blob_info bi;
	uint8_t *wasm = NULL;
	size_t wlen = 0;
	pvf_module *m = NULL;
	const pvf_custom_section *vs, *as;
	pvf_scale_reader rd;
	pvf_scale_writer w;
	const uint8_t *spec, *impl, *apis = NULL, *sec_apis = NULL;
	size_t spec_n, impl_n, napis = 0, nsec_apis = 0;
	uint32_t auth, specv, implv, txv = 1, core = 0;
	uint8_t sysv = 0;
	bool have_core = false;
	int r = 0;

	pvf_scale_writer_init(&w);
	/* Substrate decompresses maybe-compressed blobs; it never reads hex. */
	if (pvf_hex_sniff(blob, len, true))
		return pvf_error_set(err, PVF_E_MALFORMED, "not a wasm blob"), 0;
	if (pvf_blob_decode(blob, len, NULL, &wasm, &wlen, &bi, err) < 0)
		return err && err->code == PVF_E_NOMEM ? -1 : 0;
	if (pvf_module_decode(wasm, wlen, &dopts, &m, err) < 0) {
		r = err && err->code == PVF_E_NOMEM ? -1 : 0;
		goto out;
	}
	vs = pvf_module_find_custom(m, "runtime_version");
	if (!vs) {
		pvf_error_set(err, PVF_E_MALFORMED, "runtime version section is not found");
		goto out;
	}
	as = pvf_module_find_custom(m, "runtime_apis");
	if (as) {
		if (as->size % RUNTIME_API_INFO_SIZE) {
			pvf_error_set(err, PVF_E_MALFORMED, "a clipped runtime api info declaration");
			goto out;
		}
		sec_apis = wasm + as->offset;
		nsec_apis = as->size / RUNTIME_API_INFO_SIZE;
		have_core = core_version_from(sec_apis, nsec_apis, &core);
	}
	pvf_scale_reader_init(&rd, wasm + vs->offset, vs->size, PVF_E_MALFORMED, "RuntimeVersion");
	if (read_string(&rd, &spec, &spec_n, err) < 0 || read_string(&rd, &impl, &impl_n, err) < 0 ||
	    pvf_scale_read_u32(&rd, &auth, err) < 0 || pvf_scale_read_u32(&rd, &specv, err) < 0 ||
	    pvf_scale_read_u32(&rd, &implv, err) < 0 ||
	    pvf_scale_read_vec_len(&rd, RUNTIME_API_INFO_SIZE, SIZE_MAX, &napis, err) < 0 ||
	    pvf_scale_read_bytes(&rd, napis * RUNTIME_API_INFO_SIZE, &apis, err) < 0)
		goto out;
	if (!as)
		have_core = core_version_from(apis, napis, &core);
	if (have_core && core >= 3 && pvf_scale_read_u32(&rd, &txv, err) < 0)
		goto out;
	if (have_core && core >= 4 && pvf_scale_read_u8(&rd, &sysv, err) < 0)
		goto out;
	if (as) {
		apis = sec_apis;
		napis = nsec_apis;
	}
	if (pvf_scale_write_vec_u8(&w, spec, spec_n, err) < 0 || pvf_scale_write_vec_u8(&w, impl, impl_n, err) < 0 ||
	    pvf_scale_write_u32(&w, auth, err) < 0 || pvf_scale_write_u32(&w, specv, err) < 0 ||
	    pvf_scale_write_u32(&w, implv, err) < 0 || pvf_scale_write_compact(&w, napis, err) < 0 ||
	    pvf_scale_write_raw(&w, apis, napis * RUNTIME_API_INFO_SIZE, err) < 0 ||
	    pvf_scale_write_u32(&w, txv, err) < 0 || pvf_scale_write_u8(&w, sysv, err) < 0) {
		r = -1;
		goto out;
	}
	*ret_buf = pvf_scale_writer_take(&w, ret_len);
	r = 1;
out:
	pvf_scale_writer_free(&w);
	pvf_module_free(m);
	free(wasm);
	return r;
}

/* v1: (wasm: i64) -> i64 fat pointer to SCALE Option<Vec<u8>>. */
static int hf_runtime_version_v1(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	uint32_t len, p;
	const uint8_t *d = mem_fat(s, inst, a[0], &len, "wasm", t);
	uint8_t *code, *v = NULL, *enc;
	size_t vlen = 0, elen;
	pvf_error err;
	int rc;

	if (!d)
		return -1;
	code = malloc(len ? len : 1);
	if (!code)
		return host_fail(t, s, "out of memory");
	memcpy(code, d, len);
	rc = pvf__runtime_version_read(code, len, &v, &vlen, &err);
	free(code);
	if (rc < 0)
		return host_fail(t, s, "%s", err.msg);
	if (rc == 0) {
		char msg[PVF_ERROR_MSG_MAX + 64];
		int n = snprintf(msg, sizeof(msg), "cannot read version from the given runtime: %s", err.msg);
		emit_log(s->ctx, PVF_LOG_DEBUG, "runtime::io", 11, msg, (size_t)(n < 0 ? 0 : n));
		uint8_t none = 0;
		if (alloc_out(s, inst, &none, 1, &p, t) < 0)
			return -1;
		r[0] = fat_ptr(p, 1);
		return 0;
	}
	elen = 1 + pvf_scale_compact_len(vlen) + vlen;
	enc = malloc(elen);
	if (!enc || elen > UINT32_MAX) {
		free(enc);
		free(v);
		return host_fail(t, s, "out of memory");
	}
	enc[0] = 1;
	{
		uint8_t c[PVF_SCALE_COMPACT_MAX_LEN];
		size_t cn = pvf_scale_compact_encode(vlen, c);
		memcpy(enc + 1, c, cn);
		memcpy(enc + 1 + cn, v, vlen);
	}
	free(v);
	rc = alloc_out(s, inst, enc, (uint32_t)elen, &p, t);
	free(enc);
	if (rc < 0)
		return -1;
	r[0] = fat_ptr(p, (uint32_t)elen);
	return 0;
}

/* v2: (wasm: i64, out: i64) -> i64: the full length of the encoded version,
 * or -1 for None; the out buffer receives the prefix that fits (and zeros
 * beyond it: PassFatPointerAndWrite writes the whole buffer back). */
static int hf_runtime_version_v2(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	uint32_t len, olen;
	const uint8_t *d = mem_fat(s, inst, a[0], &len, "wasm", t);
	uint8_t *code, *v = NULL, *o;
	size_t vlen = 0;
	pvf_error err;
	int rc;

	if (!d)
		return -1;
	if (!mem_fat(s, inst, a[1], &olen, "out", t))
		return -1;
	code = malloc(len ? len : 1);
	if (!code)
		return host_fail(t, s, "out of memory");
	memcpy(code, d, len);
	rc = pvf__runtime_version_read(code, len, &v, &vlen, &err);
	free(code);
	if (rc < 0)
		return host_fail(t, s, "%s", err.msg);
	if (!(o = mem_fat(s, inst, a[1], &olen, "out", t))) {
		free(v);
		return -1;
	}
	memset(o, 0, olen);
	if (rc == 0) {
		r[0] = UINT64_MAX; /* -1: None */
		return 0;
	}
	memcpy(o, v, vlen < olen ? vlen : olen);
	free(v);
	r[0] = (uint64_t)(uint32_t)vlen;
	return 0;
}

/* ---- logging ----------------------------------------------------------------------- */

/* (level: i32 as u8, target: i64 &str, message: i64 &[u8]) -> (). */
static int hf_log(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	uint8_t level = (uint8_t)a[0];
	uint32_t tlen, mlen;
	const uint8_t *target, *msg;

	if (level > PVF_LOG_TRACE)
		return host_fail(t, s, "invalid log level %u", level);
	if (!(target = mem_fat(s, inst, a[1], &tlen, "target", t)))
		return -1;
	if (!pvf_utf8_valid(target, tlen))
		return host_fail(t, s, "the target is not valid UTF-8");
	if (!(msg = mem_fat(s, inst, a[2], &mlen, "message", t)))
		return -1;
	if (pvf_utf8_valid(msg, mlen))
		emit_log(s->ctx, level, (const char *)target, tlen, (const char *)msg, mlen);
	return 0;
}

static int hf_max_level(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;

	r[0] = s->ctx->max_log_level;
	return 0;
}

/* ---- the unsupported stub ---------------------------------------------------------- */

static int unsupported(const slot *s, pvf_trap *t)
{
	t->kind = PVF_TRAP_UNSUPPORTED_HOST;
	snprintf(t->msg, sizeof(t->msg), "%s", s->name);
	return -1;
}

static int hf_unsupported(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return unsupported(vs, t);
}

/* ---- storage (runtime calls only) ---------------------------------------------------- */

/*
 * sp-io's Storage interface over sp-state-machine's Ext with an empty
 * backend: every key lives in the overlay, which is the pvf_state. What
 * follows from that:
 *   - clear_prefix removes every key under the prefix whatever the limit
 *     (the limit only bounds backend deletions) and version 2 returns
 *     KillStorageResult::AllRemoved(0) (it counts backend loops);
 *   - set and clear of a key starting with ":child_storage:" and
 *     clear_prefix of a prefix that starts with it or is a prefix of it
 *     (including the empty prefix) do nothing, as Ext refuses them; append
 *     has no such check;
 *   - root is the trie root of the pairs, returned as the raw 32 bytes
 *     (AllocateAndReturnFatPointer<Vec<u8>>, no length prefix).
 * Without a state (validation) each function traps as the stub.
 */

/* sp_core::storage::well_known_keys::CHILD_STORAGE_KEY_PREFIX */
static const char CHILD_STORAGE_KEY_PREFIX[] = ":child_storage:";
#define CHILD_PREFIX_LEN (sizeof(CHILD_STORAGE_KEY_PREFIX) - 1)

/* is_child_storage_key */
static bool is_child_key(const uint8_t *k, uint32_t n)
{
	return n >= CHILD_PREFIX_LEN && !memcmp(k, CHILD_STORAGE_KEY_PREFIX, CHILD_PREFIX_LEN);
}

/* starts_with_child_storage_key: starts with the prefix or is a prefix of it. */
static bool collides_child_prefix(const uint8_t *k, uint32_t n)
{
	if (n > CHILD_PREFIX_LEN)
		return !memcmp(k, CHILD_STORAGE_KEY_PREFIX, CHILD_PREFIX_LEN);
	return n == 0 || !memcmp(CHILD_STORAGE_KEY_PREFIX, k, n);
}

/* The context's state, or NULL after trapping as the stub would. */
static pvf_state *state_of(slot *s, pvf_trap *t)
{
	if (!s->ctx->state)
		unsupported(s, t);
	return s->ctx->state;
}

/* Allocates SCALE Option<Vec<u8>> (None when !some) and returns its fat
 * pointer in *ret. `d` is host memory (a view into the state). */
static int return_option_bytes(const slot *s, pvf_instance *inst, bool some, const uint8_t *d, size_t n,
			       uint64_t *ret, pvf_trap *t)
{
	uint8_t head[1 + PVF_SCALE_COMPACT_MAX_LEN];
	size_t hl = 1;
	uint64_t total;
	uint32_t p;

	head[0] = some ? 1 : 0;
	if (some) {
		if (n > UINT32_MAX)
			return host_fail(t, s, "a value of %zu bytes cannot be returned", n);
		hl += pvf_scale_compact_encode(n, head + 1);
	}
	total = hl + (some ? (uint64_t)n : 0);
	if (total > UINT32_MAX)
		return host_fail(t, s, "a value of %zu bytes cannot be returned", n);
	if (alloc_buf(s, inst, (uint32_t)total, &p, t) < 0 ||
	    mem_write(s, inst, p, head, (uint32_t)hl, "allocated buffer", t) < 0 ||
	    (some && mem_write(s, inst, p + (uint32_t)hl, d, (uint32_t)n, "allocated buffer", t) < 0))
		return -1;
	*ret = fat_ptr(p, (uint32_t)total);
	return 0;
}

/* get v1: (key: i64) -> i64 fat pointer to Option<Vec<u8>>. */
static int hf_storage_get(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *key, *v = NULL;
	uint32_t klen;
	size_t vlen = 0;
	bool some;

	if (!st || !(key = mem_fat(s, inst, a[0], &klen, "key", t)))
		return -1;
	some = pvf_state_get(st, key, klen, &v, &vlen);
	return return_option_bytes(s, inst, some, v, vlen, &r[0], t);
}

/* The part of the value at `offset` (clamped to its length). */
static void value_from(const uint8_t *v, size_t vlen, uint32_t offset, const uint8_t **ret, size_t *ret_len)
{
	size_t off = offset < vlen ? offset : vlen;

	*ret = v ? v + off : NULL;
	*ret_len = vlen - off;
}

/* read v1: (key: i64, value_out: i64, value_offset: i32) -> i64 fat pointer
 * to Option<u32>: the bytes past the offset, of which as many as fit are
 * written to value_out (the rest of value_out is left as it is). */
static int hf_storage_read_v1(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *key, *v = NULL, *data;
	uint8_t enc[5];
	uint32_t klen, olen, p, elen = 1;
	size_t vlen = 0, dlen;

	if (!st || !(key = mem_fat(s, inst, a[0], &klen, "key", t)) ||
	    !mem_fat(s, inst, a[1], &olen, "value_out", t))
		return -1;
	enc[0] = 0;
	if (pvf_state_get(st, key, klen, &v, &vlen)) {
		value_from(v, vlen, (uint32_t)a[2], &data, &dlen);
		if (mem_write(s, inst, (uint32_t)a[1], data, (uint32_t)(dlen < olen ? dlen : olen), "value_out", t) < 0)
			return -1;
		enc[0] = 1;
		enc[1] = (uint8_t)dlen;
		enc[2] = (uint8_t)(dlen >> 8);
		enc[3] = (uint8_t)(dlen >> 16);
		enc[4] = (uint8_t)(dlen >> 24);
		elen = 5;
	}
	if (alloc_out(s, inst, enc, elen, &p, t) < 0)
		return -1;
	r[0] = fat_ptr(p, elen);
	return 0;
}

/* read v2: (key: i64, value_out: i64, value_offset: i32, allow_partial: i32)
 * -> i64: the length past the offset, or -1 for None. value_out is written
 * whole (PassFatPointerAndWrite): the data if it fits or allow_partial is
 * set, zeros elsewhere. */
static int hf_storage_read_v2(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *key, *v = NULL, *data;
	uint8_t *out;
	uint32_t klen, olen;
	size_t vlen = 0, dlen;

	if (!st || !(key = mem_fat(s, inst, a[0], &klen, "key", t)) ||
	    !mem_fat(s, inst, a[1], &olen, "value_out", t))
		return -1;
	if (!pvf_state_get(st, key, klen, &v, &vlen)) {
		out = mem_fat(s, inst, a[1], &olen, "value_out", t);
		memset(out, 0, olen);
		r[0] = UINT64_MAX; /* -1: None */
		return 0;
	}
	value_from(v, vlen, (uint32_t)a[2], &data, &dlen);
	out = mem_fat(s, inst, a[1], &olen, "value_out", t);
	/* a key and value_out may overlap: the key is not read any more */
	if (olen >= dlen || (uint32_t)a[3] != 0) {
		size_t n = dlen < olen ? dlen : olen;
		if (n)
			memcpy(out, data, n);
		memset(out + n, 0, olen - n);
	} else {
		memset(out, 0, olen);
	}
	r[0] = (uint64_t)(uint32_t)dlen;
	return 0;
}

/* set v1: (key: i64, value: i64) -> (). */
static int hf_storage_set(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *key, *val;
	uint32_t klen, vlen;
	pvf_error err;

	if (!st || !(key = mem_fat(s, inst, a[0], &klen, "key", t)) ||
	    !(val = mem_fat(s, inst, a[1], &vlen, "value", t)))
		return -1;
	if (is_child_key(key, klen))
		return 0;
	if (pvf_state_set(st, key, klen, val, vlen, &err) < 0)
		return host_fail(t, s, "%s", err.msg);
	return 0;
}

/* clear v1: (key: i64) -> (). */
static int hf_storage_clear(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *key;
	uint32_t klen;
	pvf_error err;

	if (!st || !(key = mem_fat(s, inst, a[0], &klen, "key", t)))
		return -1;
	if (is_child_key(key, klen))
		return 0;
	if (pvf_state_clear(st, key, klen, &err) < 0)
		return host_fail(t, s, "%s", err.msg);
	return 0;
}

/* exists v1: (key: i64) -> i32 bool. */
static int hf_storage_exists(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *key;
	uint32_t klen;

	if (!st || !(key = mem_fat(s, inst, a[0], &klen, "key", t)))
		return -1;
	r[0] = pvf_state_exists(st, key, klen) ? 1 : 0;
	return 0;
}

/* append v1: (key: i64, value: i64) -> (): StorageAppend. */
static int hf_storage_append(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *key, *item;
	uint32_t klen, ilen;
	pvf_error err;

	if (!st || !(key = mem_fat(s, inst, a[0], &klen, "key", t)) ||
	    !(item = mem_fat(s, inst, a[1], &ilen, "value", t)))
		return -1;
	if (pvf_state_append(st, key, klen, item, ilen, &err) < 0)
		return host_fail(t, s, "%s", err.msg);
	return 0;
}

/* Removes every key under the prefix (no limit: see above). */
static int clear_prefix_common(slot *s, pvf_state *st, const uint8_t *prefix, uint32_t plen, pvf_trap *t)
{
	pvf_error err;

	if (collides_child_prefix(prefix, plen))
		return 0;
	if (pvf_state_clear_prefix(st, prefix, plen, NULL, NULL, NULL, &err) < 0)
		return host_fail(t, s, "%s", err.msg);
	return 0;
}

/* clear_prefix v1: (prefix: i64) -> (). */
static int hf_storage_clear_prefix_v1(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *prefix;
	uint32_t plen;

	if (!st || !(prefix = mem_fat(s, inst, a[0], &plen, "prefix", t)))
		return -1;
	return clear_prefix_common(s, st, prefix, plen, t);
}

/* clear_prefix v2: (prefix: i64, limit: i64 SCALE Option<u32>) -> i64 fat
 * pointer to KillStorageResult: AllRemoved(0) (0x00 ++ u32 0). */
static int hf_storage_clear_prefix_v2(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	static const uint8_t all_removed_0[5] = { 0 };
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *prefix, *lim;
	uint32_t plen, llen, limit, p;
	pvf_scale_reader rd;
	pvf_error err;
	bool some;

	if (!st || !(prefix = mem_fat(s, inst, a[0], &plen, "prefix", t)) ||
	    !(lim = mem_fat(s, inst, a[1], &llen, "limit", t)))
		return -1;
	pvf_scale_reader_init(&rd, lim, llen, PVF_E_MALFORMED, "Option<u32>");
	if (pvf_scale_read_option(&rd, &some, &err) < 0 || (some && pvf_scale_read_u32(&rd, &limit, &err) < 0))
		return host_fail(t, s, "could not SCALE-decode the limit: %s", err.msg);
	if (clear_prefix_common(s, st, prefix, plen, t) < 0 ||
	    alloc_out(s, inst, all_removed_0, sizeof(all_removed_0), &p, t) < 0)
		return -1;
	r[0] = fat_ptr(p, sizeof(all_removed_0));
	return 0;
}

/* next_key v1: (key: i64) -> i64 fat pointer to Option<Vec<u8>>. */
static int hf_storage_next_key_v1(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *key, *next = NULL;
	uint32_t klen;
	size_t nlen = 0;
	bool some;

	if (!st || !(key = mem_fat(s, inst, a[0], &klen, "key", t)))
		return -1;
	some = pvf_state_next_key(st, key, klen, &next, &nlen);
	return return_option_bytes(s, inst, some, next, nlen, &r[0], t);
}

/* next_key v2: (key_in: i64, key_out: i64) -> i32: the next key's length (0
 * for none); key_out is written whole, with the key when it fits. */
static int hf_storage_next_key_v2(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	const uint8_t *key, *next = NULL;
	uint8_t *out;
	uint32_t klen, olen;
	size_t nlen = 0;

	if (!st || !(key = mem_fat(s, inst, a[0], &klen, "key_in", t)) ||
	    !mem_fat(s, inst, a[1], &olen, "key_out", t))
		return -1;
	if (!pvf_state_next_key(st, key, klen, &next, &nlen))
		nlen = 0;
	out = mem_fat(s, inst, a[1], &olen, "key_out", t);
	if (nlen && olen >= nlen) {
		memcpy(out, next, nlen);
		memset(out + nlen, 0, olen - nlen);
	} else {
		memset(out, 0, olen);
	}
	r[0] = (uint32_t)nlen;
	return 0;
}

static int storage_root(slot *s, pvf_state *st, pvf_trie_version v, uint8_t root[32], pvf_trap *t)
{
	pvf_error err;

	if (pvf_state_root(st, v, root, &err) < 0)
		return host_fail(t, s, "storage root: %s", err.msg);
	return 0;
}

/* root v1: () -> i64 fat pointer to the 32-byte root (V0); v2: (version:
 * i32 as u8) -> the same for state version 0 or 1. */
static int storage_root_alloc(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t,
			      int version)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	pvf_trie_version v = PVF_TRIE_V0;
	uint8_t root[32];
	uint32_t p;

	if (!st || (version == 2 && state_version(s, a[0], &v, t) < 0) || storage_root(s, st, v, root, t) < 0 ||
	    alloc_out(s, inst, root, 32, &p, t) < 0)
		return -1;
	r[0] = fat_ptr(p, 32);
	return 0;
}

static int hf_storage_root_v1(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return storage_root_alloc(vs, inst, a, r, t, 1);
}

static int hf_storage_root_v2(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return storage_root_alloc(vs, inst, a, r, t, 2);
}

/* root v3: (out: i64) -> (): the V0 root into out, which must hold 32
 * bytes; the rest of out is zeroed (PassFatPointerAndWrite). */
static int hf_storage_root_v3(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	uint8_t root[32], *out;
	uint32_t olen;

	if (!st || !mem_fat(s, inst, a[0], &olen, "out", t) || storage_root(s, st, PVF_TRIE_V0, root, t) < 0)
		return -1;
	if (olen < 32)
		return host_fail(t, s, "Output buffer provided to store the storage root hash must be large enough");
	out = mem_fat(s, inst, a[0], &olen, "out", t);
	memcpy(out, root, 32);
	memset(out + 32, 0, olen - 32);
	return 0;
}

/* changes_root v1: (parent_hash: i64) -> i64 fat pointer to None. */
static int hf_storage_changes_root(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	uint32_t len;

	if (!st || !mem_fat(s, inst, a[0], &len, "parent_hash", t))
		return -1;
	return return_option_bytes(s, inst, false, NULL, 0, &r[0], t);
}

static int hf_storage_start_tx(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	pvf_error err;

	if (!st)
		return -1;
	if (pvf_state_start_transaction(st, &err) < 0)
		return host_fail(t, s, "%s", err.msg);
	return 0;
}

/* commit / rollback without an open transaction panic in sp-io (expect). */
static int end_tx(void *vs, bool commit, pvf_trap *t)
{
	slot *s = vs;
	pvf_state *st = state_of(s, t);
	pvf_error err;

	if (!st)
		return -1;
	if (!pvf_state_depth(st))
		return host_fail(t, s, "No open transaction that can be %s.", commit ? "committed" : "rolled back");
	if ((commit ? pvf_state_commit_transaction(st, &err) : pvf_state_rollback_transaction(st, &err)) < 0)
		return host_fail(t, s, "%s", err.msg);
	return 0;
}

static int hf_storage_commit_tx(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return end_tx(vs, true, t);
}

static int hf_storage_rollback_tx(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	return end_tx(vs, false, t);
}

/* Cumulus storage_proof_size v1: () -> i64; u64::MAX when no proof is
 * recorded, as here. */
static int hf_storage_proof_size(void *vs, pvf_instance *inst, const uint64_t *a, uint64_t *r, pvf_trap *t)
{
	slot *s = vs;

	if (!state_of(s, t))
		return -1;
	r[0] = UINT64_MAX;
	return 0;
}


/* ---- the binder -------------------------------------------------------------------- */

typedef struct impl_row {
	const char *name;
	pvf_host_fn fn;
} impl_row;

static const impl_row impls[] = {
	{ "ext_allocator_free_version_1", hf_free },
	{ "ext_allocator_malloc_version_1", hf_malloc },
	{ "ext_crypto_ecdsa_batch_verify_version_1", hf_ecdsa_batch_verify },
	{ "ext_crypto_ecdsa_verify_prehashed_version_1", hf_ecdsa_verify_prehashed },
	{ "ext_crypto_ecdsa_verify_version_1", hf_ecdsa_verify_v1 },
	{ "ext_crypto_ecdsa_verify_version_2", hf_ecdsa_verify_v2 },
	{ "ext_crypto_ed25519_batch_verify_version_1", hf_ed25519_batch_verify },
	{ "ext_crypto_ed25519_verify_version_1", hf_ed25519_verify },
	{ "ext_crypto_finish_batch_verify_version_1", hf_finish_batch },
	{ "ext_crypto_secp256k1_ecdsa_recover_compressed_version_1", hf_recover_c_v1 },
	{ "ext_crypto_secp256k1_ecdsa_recover_compressed_version_2", hf_recover_c_v2 },
	{ "ext_crypto_secp256k1_ecdsa_recover_compressed_version_3", hf_recover_c_v3 },
	{ "ext_crypto_secp256k1_ecdsa_recover_version_1", hf_recover_v1 },
	{ "ext_crypto_secp256k1_ecdsa_recover_version_2", hf_recover_v2 },
	{ "ext_crypto_secp256k1_ecdsa_recover_version_3", hf_recover_v3 },
	{ "ext_crypto_sr25519_batch_verify_version_1", hf_sr25519_batch_verify },
	{ "ext_crypto_sr25519_verify_version_1", hf_sr25519_verify_v1 },
	{ "ext_crypto_sr25519_verify_version_2", hf_sr25519_verify_v2 },
	{ "ext_crypto_start_batch_verify_version_1", hf_start_batch },
	{ "ext_hashing_blake2_128_version_1", hf_blake2_128_v1 },
	{ "ext_hashing_blake2_128_version_2", hf_blake2_128_v2 },
	{ "ext_hashing_blake2_256_version_1", hf_blake2_256_v1 },
	{ "ext_hashing_blake2_256_version_2", hf_blake2_256_v2 },
	{ "ext_hashing_keccak_256_version_1", hf_keccak_256_v1 },
	{ "ext_hashing_keccak_256_version_2", hf_keccak_256_v2 },
	{ "ext_hashing_keccak_512_version_1", hf_keccak_512_v1 },
	{ "ext_hashing_keccak_512_version_2", hf_keccak_512_v2 },
	{ "ext_hashing_sha2_256_version_1", hf_sha2_256_v1 },
	{ "ext_hashing_sha2_256_version_2", hf_sha2_256_v2 },
	{ "ext_hashing_twox_128_version_1", hf_twox_128_v1 },
	{ "ext_hashing_twox_128_version_2", hf_twox_128_v2 },
	{ "ext_hashing_twox_256_version_1", hf_twox_256_v1 },
	{ "ext_hashing_twox_256_version_2", hf_twox_256_v2 },
	{ "ext_hashing_twox_64_version_1", hf_twox_64_v1 },
	{ "ext_hashing_twox_64_version_2", hf_twox_64_v2 },
	{ "ext_input_read_version_1", hf_input_read },
	{ "ext_logging_log_version_1", hf_log },
	{ "ext_logging_max_level_version_1", hf_max_level },
	{ "ext_misc_print_hex_version_1", hf_print_hex },
	{ "ext_misc_print_num_version_1", hf_print_num },
	{ "ext_misc_print_utf8_version_1", hf_print_utf8 },
	{ "ext_misc_runtime_version_version_1", hf_runtime_version_v1 },
	{ "ext_misc_runtime_version_version_2", hf_runtime_version_v2 },
	{ "ext_storage_append_version_1", hf_storage_append },
	{ "ext_storage_changes_root_version_1", hf_storage_changes_root },
	{ "ext_storage_clear_prefix_version_1", hf_storage_clear_prefix_v1 },
	{ "ext_storage_clear_prefix_version_2", hf_storage_clear_prefix_v2 },
	{ "ext_storage_clear_version_1", hf_storage_clear },
	{ "ext_storage_commit_transaction_version_1", hf_storage_commit_tx },
	{ "ext_storage_exists_version_1", hf_storage_exists },
	{ "ext_storage_get_version_1", hf_storage_get },
	{ "ext_storage_next_key_version_1", hf_storage_next_key_v1 },
	{ "ext_storage_next_key_version_2", hf_storage_next_key_v2 },
	{ "ext_storage_proof_size_storage_proof_size_version_1", hf_storage_proof_size },
	{ "ext_storage_read_version_1", hf_storage_read_v1 },
	{ "ext_storage_read_version_2", hf_storage_read_v2 },
	{ "ext_storage_rollback_transaction_version_1", hf_storage_rollback_tx },
	{ "ext_storage_root_version_1", hf_storage_root_v1 },
	{ "ext_storage_root_version_2", hf_storage_root_v2 },
	{ "ext_storage_root_version_3", hf_storage_root_v3 },
	{ "ext_storage_set_version_1", hf_storage_set },
	{ "ext_storage_start_transaction_version_1", hf_storage_start_tx },
	{ "ext_trie_blake2_256_ordered_root_version_1", hf_trie_b_ord_v1 },
	{ "ext_trie_blake2_256_ordered_root_version_2", hf_trie_b_ord_v2 },
	{ "ext_trie_blake2_256_ordered_root_version_3", hf_trie_b_ord_v3 },
	{ "ext_trie_blake2_256_root_version_1", hf_trie_b_root_v1 },
	{ "ext_trie_blake2_256_root_version_2", hf_trie_b_root_v2 },
	{ "ext_trie_blake2_256_root_version_3", hf_trie_b_root_v3 },
	{ "ext_trie_blake2_256_verify_proof_version_1", hf_trie_b_proof_v1 },
	{ "ext_trie_blake2_256_verify_proof_version_2", hf_trie_b_proof_v2 },
	{ "ext_trie_keccak_256_ordered_root_version_1", hf_trie_k_ord_v1 },
	{ "ext_trie_keccak_256_ordered_root_version_2", hf_trie_k_ord_v2 },
	{ "ext_trie_keccak_256_ordered_root_version_3", hf_trie_k_ord_v3 },
	{ "ext_trie_keccak_256_root_version_1", hf_trie_k_root_v1 },
	{ "ext_trie_keccak_256_root_version_2", hf_trie_k_root_v2 },
	{ "ext_trie_keccak_256_root_version_3", hf_trie_k_root_v3 },
	{ "ext_trie_keccak_256_verify_proof_version_1", hf_trie_k_proof_v1 },
	{ "ext_trie_keccak_256_verify_proof_version_2", hf_trie_k_proof_v2 },
};

/* The table is in strcmp order (test_every_row_bound, in
 * test_hostapi_functions, checks that every implemented row is found): a
 * binary search, since every instantiation, one per job, binds each import. */
static pvf_host_fn impl_of(const char *name)
{
	size_t lo = 0, hi = sizeof(impls) / sizeof(impls[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, impls[mid].name);

		if (c == 0)
			return impls[mid].fn;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

bool pvf__hostapi_implements(const char *name)
{
	return impl_of(name) != NULL;
}

static bool name_is(const char *s, uint32_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(s, lit, n);
}

/* "params:results" of the import, e.g. "iIi:i" (for messages). */
static void import_sig(const pvf_extern_desc *d, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s:%s", d->params ? d->params : "", d->results ? d->results : "");
}

/* Whether the import's types are `sig`, compared without formatting. */
static bool import_sig_is(const pvf_extern_desc *d, const char *sig)
{
	const char *p = d->params ? d->params : "", *r = d->results ? d->results : "";
	size_t np = strlen(p);

	return !strncmp(sig, p, np) && sig[np] == ':' && !strcmp(sig + np + 1, r);
}

int pvf_hostapi_bind(const pvf_artifact *a, pvf_hostapi_ctx *c, pvf_binding **ret_bindings, pvf_error *err)
{
	uint32_t n;
	pvf_binding *b;

	if (!a || !c || !ret_bindings)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_hostapi_bind: NULL argument");
	if (c->bound)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_hostapi_bind: the context is already bound");
	n = pvf_artifact_nimports(a);
	b = calloc((size_t)n + 1, sizeof(*b));
	c->slots = calloc((size_t)n + 1, sizeof(*c->slots));
	if (!b || !c->slots) {
		free(b);
		free(c->slots);
		c->slots = NULL;
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	c->nslots = n;
	c->artifact = a;
	for (uint32_t i = 0; i < n; i++) {
		const pvf_extern_desc *d = pvf_artifact_import(a, i);
		slot *s = &c->slots[i];

		s->ctx = c;
		if (!d || !name_is(d->module, d->module_len, "env")) {
			pvf_error_set(err, PVF_E_LINK, "import %u (%.*s.%.*s): the host provides imports from \"env\" only",
				      i, d ? (int)d->module_len : 0, d ? d->module : "", d ? (int)d->name_len : 0,
				      d ? d->name : "");
			goto fail;
		}
		b[i].kind = d->kind;
		if (d->kind == PVF_EXTERN_MEMORY && name_is(d->name, d->name_len, "memory") && !c->memory) {
			if (d->min > c->max_pages) {
				pvf_error_set(err, PVF_E_LINK,
					      "env.memory: minimum of %llu pages exceeds the heap maximum of %u pages",
					      (unsigned long long)d->min, c->max_pages);
				goto fail;
			}
			c->memory = pvf_memory_new((uint32_t)d->min, c->max_pages, err);
			if (!c->memory)
				goto fail;
			b[i].u.memory = c->memory;
			continue;
		}
		if (d->kind != PVF_EXTERN_FUNC) {
			pvf_error_set(err, PVF_E_LINK, "import %u (env.%.*s): only functions and env.memory can be provided",
				      i, (int)d->name_len, d->name);
			goto fail;
		}
		/* A name that is not a plain C string cannot be a host function. */
		if (d->name_len <= PVF_HOSTFN_NAME_MAX && !memchr(d->name, 0, d->name_len))
			memcpy(s->name, d->name, d->name_len);
		else
			snprintf(s->name, sizeof(s->name), "#%u", i);
		{
			const pvf_hostfn_desc *h = pvf_hostfn_lookup(d->name, d->name_len);
			bool real = h && (h->status == PVF_HOSTFN_IMPLEMENTED || h->status == PVF_HOSTFN_STATE);
			pvf_host_fn fn = real ? impl_of(h->name) : NULL;
			char sig[2 * PVF_WASM_MAX_PARAMS + 4];

			b[i].u.func.ctx = s;
			if (!fn) {
				b[i].u.func.fn = hf_unsupported;
				continue;
			}
			/* A state function is a stub for validation, where any
			 * signature links; it stays one when mistyped. */
			if (!import_sig_is(d, h->sig) && h->status == PVF_HOSTFN_STATE) {
				b[i].u.func.fn = hf_unsupported;
				continue;
			}
			if (!import_sig_is(d, h->sig)) {
				import_sig(d, sig, sizeof(sig));
				pvf_error_set(err, PVF_E_LINK, "import %u (env.%s): signature mismatch: %s, expected %s",
					      i, h->name, sig, h->sig);
				goto fail;
			}
			b[i].u.func.fn = fn;
		}
	}
	c->bound = true;
	*ret_bindings = b;
	return 0;
fail:
	free(b);
	pvf_memory_free(c->memory);
	c->memory = NULL;
	free(c->slots);
	c->slots = NULL;
	c->nslots = 0;
	c->artifact = NULL;
	return -1;
}
