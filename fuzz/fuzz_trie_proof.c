/*
 * fuzz_trie_proof.c — libFuzzer harness for the compact trie proof checker
 * (hostapi/trie_proof.c), whose proof nodes, key and value come from a
 * PVF's memory through ext_trie_*_verify_proof.
 *
 * Input: a small trie, a claimed pair and the proof nodes:
 *   byte 0         bit 0: state version (V0 / V1); bits 1-2: number of pairs
 *   each pair      key length (1 byte, mod 4), key, value length (1 byte,
 *                  mod 41, so hashed values occur), value
 *   claim          key length, key, value length, value (the same way)
 *   the rest       proof nodes, each a length byte and that many bytes
 * The root is that of the trie's pairs (trie.c). Checked: the checker never
 * fails for memory, and accepts a proof only for a pair the trie holds (a
 * hash collision aside): a proof it accepts for anything else is a forgery.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hostapi/trie_proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAIRS 3
#define MAX_NODES 64

typedef struct cursor {
	const uint8_t *p;
	size_t n;
} cursor;

static bool take(cursor *c, size_t n, const uint8_t **ret)
{
	if (c->n < n)
		return false;
	*ret = c->p;
	c->p += n;
	c->n -= n;
	return true;
}

static bool read_bytes(cursor *c, unsigned mod, const uint8_t **ret, size_t *len)
{
	const uint8_t *l;
	if (!take(c, 1, &l))
		return false;
	*len = l[0] % mod;
	return take(c, *len, ret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cursor c = { data, size };
	pvf_trie_entry pairs[MAX_PAIRS];
	pvf_trie_slice nodes[MAX_NODES];
	const uint8_t *b, *key, *value;
	size_t klen, vlen, n = 0, np;
	uint8_t root[32];
	pvf_error err;
	const char *why;

	if (sodium_init() < 0 || !take(&c, 1, &b))
		return 0;
	pvf_trie_version v = b[0] & 1 ? PVF_TRIE_V1 : PVF_TRIE_V0;
	np = (size_t)(b[0] >> 1 & 3) % (MAX_PAIRS + 1);
	for (size_t i = 0; i < np; i++) {
		if (!read_bytes(&c, 4, &pairs[i].key, &pairs[i].key_len) ||
		    !read_bytes(&c, 41, &pairs[i].value, &pairs[i].value_len))
			return 0;
	}
	if (!read_bytes(&c, 4, &key, &klen) || !read_bytes(&c, 41, &value, &vlen))
		return 0;
	while (c.n > 0 && n < MAX_NODES) {
		if (!read_bytes(&c, 256, &nodes[n].data, &nodes[n].len))
			break;
		n++;
	}
	if (pvf_trie_root(pairs, np, v, pvf_trie_blake2_256, root, &err) < 0)
		abort();

	int rc = pvf_trie_verify_proof(root, nodes, n, key, klen, value, vlen, v, pvf_trie_blake2_256, &why, &err);
	if (rc < 0)
		abort();
	if (rc == 1) {
		/* the last pair with the key wins, as in the root */
		bool held = false;
		for (size_t i = 0; i < np; i++)
			if (pairs[i].key_len == klen && memcmp(pairs[i].key, key, klen) == 0)
				held = pairs[i].value_len == vlen && memcmp(pairs[i].value, value, vlen) == 0;
		if (!held)
			abort();
	}
	return 0;
}
