/*
 * mini-adder.c — a small parachain validation function, written for
 * pvfhost's demo, with the semantics of Polkadot's "adder" test parachain:
 *
 *   head       = number u64 ‖ parent_hash [32] ‖ post_state [32]
 *   block data = state u64 ‖ add u64
 *   valid iff keccak256(state as u64 LE) == parent head's post_state;
 *   new head   = { number + 1, keccak256(parent head bytes), keccak256(state + add) }
 *   result     = ValidationResult { head, None, [], [], 0, relay_parent_number }
 *
 * Built with clang --target=wasm32; it imports the Substrate host functions
 * ext_hashing_keccak_256_version_1 and ext_logging_log_version_1, and is called
 * with Substrate's convention: validate_block(ptr, len) -> ptr | len << 32.
 */
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("ext_hashing_keccak_256_version_1") uint32_t ext_keccak_256(uint64_t data);
IMPORT("ext_logging_log_version_1") void ext_log(uint32_t level, uint64_t target, uint64_t message);

static uint8_t out[256];

static uint64_t span(const void *p, uint32_t len)
{
	return (uint64_t)(uintptr_t)p | (uint64_t)len << 32;
}

static void keccak(const uint8_t *p, uint32_t len, uint8_t h[32])
{
	const uint8_t *r = (const uint8_t *)(uintptr_t)ext_keccak_256(span(p, len));

	for (int i = 0; i < 32; i++)
		h[i] = r[i];
}

static void fail(const char *msg, uint32_t len)
{
	static const char target[] = "runtime";
	ext_log(0, span(target, sizeof(target) - 1), span(msg, len));
	__builtin_trap();
}

static uint64_t u64le(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* SCALE compact length prefix of a Vec<u8> (len < 2^14 is all we need). */
static uint32_t read_len(const uint8_t *p, uint32_t avail, uint32_t *len)
{
	if (avail < 1)
		return 0;
	if ((p[0] & 3) == 0) {
		*len = p[0] >> 2;
		return 1;
	}
	if ((p[0] & 3) == 1 && avail >= 2) {
		*len = (uint32_t)(p[0] | p[1] << 8) >> 2;
		return 2;
	}
	return 0;
}

EXPORT("validate_block") uint64_t validate_block(uint32_t ptr, uint32_t len)
{
	static const char bad_params[] = "bad validation params";
	static const char mismatch[] = "panicked at 'Executes block: StateMismatch'";
	const uint8_t *p = (const uint8_t *)(uintptr_t)ptr, *end = p + len;
	const uint8_t *head, *block;
	uint32_t head_len, block_len, n, relay_parent;
	uint8_t h[32];
	uint64_t state, add;

	if (!(n = read_len(p, (uint32_t)(end - p), &head_len)) || (uint32_t)(end - p) < n + head_len)
		fail(bad_params, sizeof(bad_params) - 1);
	head = p + n;
	p = head + head_len;
	if (!(n = read_len(p, (uint32_t)(end - p), &block_len)) || (uint32_t)(end - p) < n + block_len + 36)
		fail(bad_params, sizeof(bad_params) - 1);
	block = p + n;
	p = block + block_len;
	relay_parent = (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
	if (head_len != 72 || block_len != 16)
		fail(bad_params, sizeof(bad_params) - 1);

	state = u64le(block);
	add = u64le(block + 8);
	keccak(block, 8, h);
	for (int i = 0; i < 32; i++)
		if (h[i] != head[40 + i])
			fail(mismatch, sizeof(mismatch) - 1);

	/* ValidationResult */
	out[0] = (72 << 2 | 1) & 0xff;
	out[1] = (72 << 2 | 1) >> 8;
	put64(out + 2, u64le(head) + 1);
	keccak(head, 72, out + 10);
	{
		uint8_t s[8];
		put64(s, state + add);
		keccak(s, 8, out + 42);
	}
	out[74] = 0;      /* new_validation_code: None */
	out[75] = 0;      /* upward_messages: [] */
	out[76] = 0;      /* horizontal_messages: [] */
	for (int i = 0; i < 4; i++) {
		out[77 + i] = 0;                                  /* processed_downward_messages */
		out[81 + i] = (uint8_t)(relay_parent >> (8 * i)); /* hrmp_watermark */
	}
	return span(out, 85);
}
