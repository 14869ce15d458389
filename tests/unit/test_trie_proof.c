/* test_trie_proof.c — compact trie proofs of one key-value pair.
 *
 * Each proof is assembled here byte by byte from the node format of sp-trie
 * (node_header.rs, node_codec.rs) and the proof format of trie-db
 * (proof/generate.rs: the nodes on the key's path in pre-order, the proven
 * value left out, the reference to the next proof node an empty inline
 * child). The root a proof must reach comes from the trie root builder
 * (trie.c, checked against published roots in test_trie.c) over the whole
 * trie, so a proof is accepted only when the two independent paths agree.
 * Hashes of hashed values and of child nodes are taken with libsodium
 * directly.
 *
 * test_generated_proofs adds a reference builder and proof generator of its
 * own (recursive, written from the same formats) over 400 random tries: its
 * roots must equal trie.c's, and each of its proofs must pass, and fail for
 * another value or another key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "hostapi/trie_proof.h"

static void blake2(const uint8_t *d, size_t n, uint8_t out[32])
{
	crypto_generichash(out, 32, d, n, NULL, 0);
}

static void root_of(const pvf_trie_entry *e, size_t n, pvf_trie_version v, uint8_t out[32])
{
	pvf_error err;
	assert_int_equal(pvf_trie_root(e, n, v, blake2, out, &err), 0);
}

/* Runs the checker on proof nodes given as (pointer, length) pairs. */
static int check(const uint8_t root[32], const pvf_trie_slice *nodes, size_t n, const uint8_t *key,
		 size_t klen, const char *value, size_t vlen, pvf_trie_version v, const char **why)
{
	pvf_error err;
	int rc = pvf_trie_verify_proof(root, nodes, n, key, klen, (const uint8_t *)value, vlen, v, blake2,
				       why, &err);
	assert_int_not_equal(rc, -1);
	if (rc == 1)
		assert_null(*why);
	else
		assert_non_null(*why);
	return rc;
}

#define S(a) { (a), sizeof(a) }

/* One pair: the root node is a leaf. */
static void test_single_leaf(void **state)
{
	static const uint8_t key[] = { 0xAB }, other[] = { 0xAC }, longer[] = { 0xAB, 0x01 };
	const pvf_trie_entry e = { key, 1, (const uint8_t *)"hello", 5 };
	/* leaf, 2 nibbles (0x40 | 2), partial AB, value left out (Compact 0) */
	static const uint8_t leaf[] = { 0x42, 0xAB, 0x00 };
	static const uint8_t leaf_with_value[] = { 0x42, 0xAB, 0x14, 'h', 'e', 'l', 'l', 'o' };
	static const uint8_t empty[] = { 0x00 };
	uint8_t root[32];
	const char *why;

	(void)state;
	root_of(&e, 1, PVF_TRIE_V0, root);
	pvf_trie_slice p[] = { S(leaf) };
	assert_int_equal(check(root, p, 1, key, 1, "hello", 5, PVF_TRIE_V0, &why), 1);
	/* values under 33 bytes are inline in both layouts: the same root */
	assert_int_equal(check(root, p, 1, key, 1, "hello", 5, PVF_TRIE_V1, &why), 1);

	assert_int_equal(check(root, p, 1, key, 1, "hellp", 5, PVF_TRIE_V0, &why), 0);
	assert_string_equal(why, "the proof leads to another root");
	assert_int_equal(check(root, p, 1, other, 1, "hello", 5, PVF_TRIE_V0, &why), 0);
	assert_string_equal(why, "the key is not in the trie");
	assert_int_equal(check(root, p, 1, longer, 2, "hello", 5, PVF_TRIE_V0, &why), 0);
	assert_string_equal(why, "the key is not in the trie");

	pvf_trie_slice kept[] = { S(leaf_with_value) };
	assert_int_equal(check(root, kept, 1, key, 1, "hello", 5, PVF_TRIE_V0, &why), 0);
	assert_string_equal(why, "the proof holds the value it should leave out");

	pvf_trie_slice extra[] = { S(leaf), S(empty) };
	assert_int_equal(check(root, extra, 2, key, 1, "hello", 5, PVF_TRIE_V0, &why), 0);
	assert_string_equal(why, "the proof has nodes left over");
	assert_int_equal(check(root, p, 0, key, 1, "hello", 5, PVF_TRIE_V0, &why), 0);
	assert_string_equal(why, "the proof is incomplete");

	/* the empty trie holds no key */
	uint8_t empty_root[32];
	root_of(NULL, 0, PVF_TRIE_V0, empty_root);
	pvf_trie_slice none[] = { S(empty) };
	assert_int_equal(check(empty_root, none, 1, key, 1, "hello", 5, PVF_TRIE_V0, &why), 0);
	assert_string_equal(why, "the key is not in the trie");
}

/* Nodes the codec refuses. */
static void test_malformed_nodes(void **state)
{
	static const uint8_t key[] = { 0x0A };
	/* 3 nibbles: the first byte holds one nibble after a zero padding nibble */
	static const uint8_t key3[] = { 0x0A, 0xBC };
	static const uint8_t bad_padding[] = { 0x43, 0x1A, 0xBC, 0x00 };
	static const uint8_t escape[] = { 0x01, 0x42, 0x0A, 0x00 };
	static const uint8_t truncated[] = { 0x42, 0x0A };
	static const uint8_t no_child[] = { 0x80, 0x00, 0x00 };
	static const uint8_t noncanonical_len[] = { 0x42, 0x0A, 0x01, 0x00 }; /* Compact 0 in two bytes */
	const pvf_trie_entry e = { key, 1, (const uint8_t *)"", 0 };
	uint8_t root[32];
	const char *why;

	(void)state;
	root_of(&e, 1, PVF_TRIE_V0, root);
	const uint8_t *bad[] = { bad_padding, escape, truncated, no_child, noncanonical_len };
	const size_t len[] = { sizeof(bad_padding), sizeof(escape), sizeof(truncated), sizeof(no_child),
			       sizeof(noncanonical_len) };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pvf_trie_slice p[] = { { bad[i], len[i] } };
		const uint8_t *k = i == 0 ? key3 : key;
		assert_int_equal(check(root, p, 1, k, i == 0 ? 2 : 1, "", 0, PVF_TRIE_V0, &why), 0);
		assert_string_equal(why, "a proof node does not decode");
	}
	/* the same well-formed leaf is accepted (an empty value proves itself) */
	static const uint8_t good[] = { 0x42, 0x0A, 0x00 };
	pvf_trie_slice p[] = { S(good) };
	assert_int_equal(check(root, p, 1, key, 1, "", 0, PVF_TRIE_V0, &why), 1);
}

/* {0x10: 40 x 'x', 0x20: "y"}: a branch at the root with a hashed child
 * (the long leaf) and an inline child (the short one). */
static void test_branch_children(void **state)
{
	static const uint8_t k1[] = { 0x10 }, k2[] = { 0x20 };
	char big[40];
	memset(big, 'x', sizeof(big));
	const pvf_trie_entry e[] = { { k1, 1, (const uint8_t *)big, sizeof(big) },
				     { k2, 1, (const uint8_t *)"y", 1 } };
	uint8_t root0[32], root1[32];
	const char *why;

	(void)state;
	root_of(e, 2, PVF_TRIE_V0, root0);
	root_of(e, 2, PVF_TRIE_V1, root1);
	assert_memory_not_equal(root0, root1, 32); /* the 40-byte value is hashed in V1 */

	/* Proof of k1: branch without value, no partial (0x80), children 1 and
	 * 2 (bitmap 0x0006), child 1 is the next proof node (Compact 0), child
	 * 2 inline: leaf, 1 nibble (0x41), partial 0, value "y" (4 bytes, so
	 * Compact 4 = 0x10). Then the leaf of k1 with its value left out. */
	static const uint8_t branch[] = { 0x80, 0x06, 0x00, 0x00, 0x10, 0x41, 0x00, 0x04, 'y' };
	static const uint8_t leaf1[] = { 0x41, 0x00, 0x00 };
	pvf_trie_slice p1[] = { S(branch), S(leaf1) };
	assert_int_equal(check(root1, p1, 2, k1, 1, big, sizeof(big), PVF_TRIE_V1, &why), 1);
	assert_int_equal(check(root0, p1, 2, k1, 1, big, sizeof(big), PVF_TRIE_V0, &why), 1);
	assert_int_equal(check(root1, p1, 2, k1, 1, big, sizeof(big), PVF_TRIE_V0, &why), 0);
	assert_string_equal(why, "the proof leads to another root");
	assert_int_equal(check(root1, p1, 1, k1, 1, big, sizeof(big), PVF_TRIE_V1, &why), 0);
	assert_string_equal(why, "the proof is incomplete");

	/* Proof of k2 (V1): child 1 stays a hash reference (Compact 32 = 0x80)
	 * of leaf 1 with a hashed value (0x21 00 hash), child 2 is inline with
	 * its value left out (Compact 3 = 0x0C). */
	uint8_t leaf1_full[34], h1[32], branch2[3 + 1 + 32 + 4];
	leaf1_full[0] = 0x21;
	leaf1_full[1] = 0x00;
	blake2((const uint8_t *)big, sizeof(big), leaf1_full + 2);
	blake2(leaf1_full, sizeof(leaf1_full), h1);
	memcpy(branch2, (const uint8_t[]){ 0x80, 0x06, 0x00, 0x80 }, 4);
	memcpy(branch2 + 4, h1, 32);
	memcpy(branch2 + 36, (const uint8_t[]){ 0x0C, 0x41, 0x00, 0x00 }, 4);
	pvf_trie_slice p2[] = { S(branch2) };
	assert_int_equal(check(root1, p2, 1, k2, 1, "y", 1, PVF_TRIE_V1, &why), 1);
	assert_int_equal(check(root1, p2, 1, k2, 1, "z", 1, PVF_TRIE_V1, &why), 0);
	assert_string_equal(why, "the proof leads to another root");
	/* the same node cannot prove k1: its reference there is a hash */
	pvf_trie_slice p3[] = { S(branch2), S(leaf1) };
	assert_int_equal(check(root1, p3, 2, k1, 1, big, sizeof(big), PVF_TRIE_V1, &why), 0);
	assert_string_equal(why, "the proof has a hash where its path goes on");
	/* a sibling altered in the proof changes the root */
	branch2[4] ^= 1;
	assert_int_equal(check(root1, p2, 1, k2, 1, "y", 1, PVF_TRIE_V1, &why), 0);
	assert_string_equal(why, "the proof leads to another root");
	/* key 0x30: no child at nibble 3 */
	static const uint8_t k3[] = { 0x30 };
	assert_int_equal(check(root1, p1, 2, k3, 1, "y", 1, PVF_TRIE_V1, &why), 0);
	assert_string_equal(why, "the key is not in the trie");
}

/* {0x10: v, 0x1020: "b"}: the root is a branch with partial key 10 that
 * holds the value of 0x10; 0x1020 is an inline leaf below it. Proves v at
 * 0x10 with the branch's value left out, so "branch without value" (0x82:
 * 2 nibbles), partial 10, child at nibble 2 (bitmap 0x0004), inline leaf
 * 0x41 00 04 'b' (Compact 4); and checks that v minus its last byte is
 * refused. Leaves the trie's root in root. */
static const uint8_t bv_k1[] = { 0x10 }, bv_k2[] = { 0x10, 0x20 };

static void branch_value_proof(const char *v, size_t vlen, uint8_t root[32])
{
	const pvf_trie_entry e[] = { { bv_k1, 1, (const uint8_t *)v, vlen },
				     { bv_k2, 2, (const uint8_t *)"b", 1 } };
	static const uint8_t b1[] = { 0x82, 0x10, 0x04, 0x00, 0x10, 0x41, 0x00, 0x04, 'b' };
	pvf_trie_slice p1[] = { S(b1) };
	const char *why;

	root_of(e, 2, PVF_TRIE_V1, root);
	assert_int_equal(check(root, p1, 1, bv_k1, 1, v, vlen, PVF_TRIE_V1, &why), 1);
	assert_int_equal(check(root, p1, 1, bv_k1, 1, v, vlen - 1, PVF_TRIE_V1, &why), 0);
	assert_string_equal(why, "the proof leads to another root");
}

static void test_branch_value(void **state)
{
	uint8_t root[32];
	const char *why;

	(void)state;
	branch_value_proof("ab", 2, root);
	/* the full node keeps the value: not a proof of 0x10 */
	static const uint8_t full[] = { 0xC2, 0x10, 0x04, 0x00, 0x08, 'a', 'b', 0x10, 0x41, 0x00, 0x04, 'b' };
	pvf_trie_slice pf[] = { S(full) };
	assert_int_equal(check(root, pf, 1, bv_k1, 1, "ab", 2, PVF_TRIE_V1, &why), 0);
	assert_string_equal(why, "the proof holds the value it should leave out");
	/* 0x1020: the branch keeps its value, the inline leaf leaves its own out */
	static const uint8_t b2[] = { 0xC2, 0x10, 0x04, 0x00, 0x08, 'a', 'b', 0x0C, 0x41, 0x00, 0x00 };
	pvf_trie_slice p2[] = { S(b2) };
	assert_int_equal(check(root, p2, 1, bv_k2, 2, "b", 1, PVF_TRIE_V1, &why), 1);
	/* the inline leaf is followed as inline: a next proof node is extra */
	static const uint8_t stray[] = { 0x41, 0x00, 0x00 };
	pvf_trie_slice p3[] = { S(b2), S(stray) };
	assert_int_equal(check(root, p3, 2, bv_k2, 2, "b", 1, PVF_TRIE_V1, &why), 0);
	assert_string_equal(why, "the proof has nodes left over");
}

/* A value of 33 bytes or more, proven at a branch under V1: the rebuilt
 * branch stores it by hash (header 0001 xxxx). */
static void test_hashed_branch_value(void **state)
{
	char big[33];
	uint8_t root[32];
	const char *why;

	(void)state;
	memset(big, 'v', sizeof(big));
	branch_value_proof(big, sizeof(big), root);
	/* a proof that keeps the value by hash (0x12: hashed-value branch, 2
	 * nibbles) is refused: the value must be left out */
	uint8_t b2[3 + 1 + 32 + 5];
	memcpy(b2, (const uint8_t[]){ 0x12, 0x10, 0x04, 0x00 }, 4);
	blake2((const uint8_t *)big, sizeof(big), b2 + 4);
	memcpy(b2 + 36, (const uint8_t[]){ 0x10, 0x41, 0x00, 0x04, 'b' }, 5);
	pvf_trie_slice p2[] = { S(b2) };
	assert_int_equal(check(root, p2, 1, bv_k1, 1, big, sizeof(big), PVF_TRIE_V1, &why), 0);
	assert_string_equal(why, "the proof holds the value it should leave out");
}

/* ---- proofs of random tries ----------------------------------------------- */

/* A reference trie builder and compact proof generator for the test, written
 * from the formats alone (recursive, unlike trie.c's iterative builder):
 * each node is encoded in full for its parent, and the nodes on the target
 * key's path also in their proof form, listed in pre-order: the root's
 * place is taken first, and a hashed path child's node is put before the
 * nodes its own subtrie added. */
typedef struct kv {
	uint8_t k[4];
	size_t kl;
	uint8_t v[100];
	size_t vl;
} kv;

typedef struct buf {
	uint8_t p[4096];
	size_t n;
} buf;

typedef struct gen {
	pvf_trie_version ver;
	const kv *target;
	buf nodes[16];
	size_t nnodes;
} gen;

static unsigned nib(const kv *e, size_t i)
{
	return i % 2 ? e->k[i / 2] & 0x0F : e->k[i / 2] >> 4;
}

static void put_bytes(buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->p));
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void put_byte(buf *b, unsigned v)
{
	uint8_t c = (uint8_t)v;
	put_bytes(b, &c, 1);
}

static void put_compact(buf *b, size_t v)
{
	assert_true(v < 1u << 14);
	if (v < 64) {
		put_byte(b, (unsigned)v << 2);
	} else {
		put_byte(b, (unsigned)(v << 2 | 1) & 0xFF);
		put_byte(b, (unsigned)(v >> 6));
	}
}

/* Header, then nibbles [from, to) of e's key, first nibble alone if odd. */
static void put_head(buf *b, unsigned prefix, unsigned bits, const kv *e, size_t from, size_t to)
{
	size_t n = to - from, max = 255u >> bits;
	if (n < max) {
		put_byte(b, prefix | (unsigned)n);
	} else {
		put_byte(b, prefix | (unsigned)max);
		for (n -= max - 1; n >= 255; n -= 255)
			put_byte(b, 255);
		put_byte(b, (unsigned)n - 1 + (n == 0 ? 1 : 0));
	}
	size_t i = from;
	if ((to - from) % 2)
		put_byte(b, nib(e, i++));
	for (; i < to; i += 2)
		put_byte(b, nib(e, i) << 4 | nib(e, i + 1));
}

static bool hashed(const gen *g, const kv *e)
{
	return g->ver == PVF_TRIE_V1 && e->vl >= 33;
}

static void put_value(buf *b, const gen *g, const kv *e)
{
	if (hashed(g, e)) {
		uint8_t h[32];
		blake2(e->v, e->vl, h);
		put_bytes(b, h, 32);
	} else {
		put_compact(b, e->vl);
		put_bytes(b, e->v, e->vl);
	}
}

static void put_child(buf *b, const buf *child)
{
	if (child->n < 32) {
		put_compact(b, child->n);
		put_bytes(b, child->p, child->n);
	} else {
		uint8_t h[32];
		blake2(child->p, child->n, h);
		put_compact(b, 32);
		put_bytes(b, h, 32);
	}
}

/* Encodes the subtrie of e[0..n) (sorted, distinct keys sharing `depth`
 * nibbles) into *full; when it holds g->target, its proof form into *proof. */
static void build(gen *g, const kv *e, size_t n, size_t depth, buf *full, buf *proof)
{
	bool path = false;
	for (size_t i = 0; i < n; i++)
		path |= &e[i] == g->target;
	if (path && proof == NULL) /* the root: the first proof node */
		proof = &g->nodes[g->nnodes++];
	full->n = 0;
	if (proof)
		proof->n = 0;
	if (n == 0) {
		put_byte(full, 0x00);
		return;
	}
	if (n == 1) {
		put_head(full, hashed(g, e) ? 0x20 : 0x40, hashed(g, e) ? 3 : 2, e, depth, e->kl * 2);
		put_value(full, g, e);
		if (path) { /* the value left out: an empty inline value */
			put_head(proof, 0x40, 2, e, depth, e->kl * 2);
			put_compact(proof, 0);
		}
		return;
	}
	size_t cp = depth, max = e[0].kl < e[n - 1].kl ? e[0].kl * 2 : e[n - 1].kl * 2;
	while (cp < max && nib(&e[0], cp) == nib(&e[n - 1], cp))
		cp++;
	bool has_value = e[0].kl * 2 == cp;
	size_t first = has_value ? 1 : 0;
	buf kids[16], kid_proof[16];
	size_t begin[16] = { 0 }, count[16] = { 0 };
	unsigned bitmap = 0;
	int path_slot = -1;
	for (size_t i = first; i < n; i++) {
		unsigned x = nib(&e[i], cp);
		if (!(bitmap & 1u << x))
			begin[x] = i;
		bitmap |= 1u << x;
		count[x]++;
		if (&e[i] == g->target)
			path_slot = (int)x;
	}
	for (unsigned x = 0; x < 16; x++) {
		if (!(bitmap & 1u << x))
			continue;
		bool on_path = (int)x == path_slot;
		if (on_path) {
			/* a hashed child gets its own proof node; an inline one stays inline */
			size_t at = g->nnodes;
			build(g, e + begin[x], count[x], cp + 1, &kids[x], &kid_proof[x]);
			if (kids[x].n >= 32) {
				assert_true(g->nnodes < 16);
				memmove(&g->nodes[at + 1], &g->nodes[at], (g->nnodes - at) * sizeof(buf));
				g->nodes[at] = kid_proof[x];
				g->nnodes++;
			}
		} else {
			build(g, e + begin[x], count[x], cp + 1, &kids[x], NULL);
		}
	}
	bool vh = has_value && hashed(g, e);
	put_head(full, !has_value ? 0x80 : vh ? 0x10 : 0xC0, vh ? 4 : 2, e, depth, cp);
	put_byte(full, bitmap & 0xFF);
	put_byte(full, bitmap >> 8);
	if (has_value)
		put_value(full, g, e);
	for (unsigned x = 0; x < 16; x++)
		if (bitmap & 1u << x)
			put_child(full, &kids[x]);
	if (!path)
		return;
	bool holds = has_value && &e[0] == g->target;
	put_head(proof, holds || !has_value ? 0x80 : vh ? 0x10 : 0xC0, vh && !holds ? 4 : 2, e, depth, cp);
	put_byte(proof, bitmap & 0xFF);
	put_byte(proof, bitmap >> 8);
	if (has_value && !holds)
		put_value(proof, g, e);
	for (unsigned x = 0; x < 16; x++) {
		if (!(bitmap & 1u << x))
			continue;
		if ((int)x != path_slot)
			put_child(proof, &kids[x]);
		else if (kids[x].n >= 32)
			put_compact(proof, 0);
		else
			put_child(proof, &kid_proof[x]);
	}
}

static int cmp_kv(const void *a, const void *b)
{
	const kv *x = a, *y = b;
	size_t n = x->kl < y->kl ? x->kl : y->kl;
	int c = memcmp(x->k, y->k, n);
	return c ? c : (x->kl > y->kl) - (x->kl < y->kl);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random tries over keys from a small alphabet (so that prefixes are
 * shared, branches hold values and children are inline or hashed): the
 * generator's root must equal trie.c's, every pair's generated proof must
 * pass, and fail for another value or another key of the trie. */
static void test_generated_proofs(void **state)
{
	static const uint8_t alphabet[] = { 0x00, 0x01, 0x10, 0xAB };
	static const size_t lens[] = { 0, 1, 2, 5, 31, 32, 33, 40, 100 };
	uint64_t seed = 0x9E3779B97F4A7C15u;
	size_t proofs = 0, max_nodes = 0;

	(void)state;
	for (int round = 0; round < 400; round++) {
		kv e[12];
		size_t n = 1 + rnd(&seed) % 12, m = 0;
		for (size_t i = 0; i < n; i++) {
			kv x = { .kl = rnd(&seed) % 4 };
			for (size_t j = 0; j < x.kl; j++)
				x.k[j] = alphabet[rnd(&seed) % sizeof(alphabet)];
			x.vl = lens[rnd(&seed) % (sizeof(lens) / sizeof(lens[0]))];
			for (size_t j = 0; j < x.vl; j++)
				x.v[j] = (uint8_t)rnd(&seed);
			bool dup = false;
			for (size_t j = 0; j < m; j++)
				dup |= e[j].kl == x.kl && memcmp(e[j].k, x.k, x.kl) == 0;
			if (!dup)
				e[m++] = x;
		}
		qsort(e, m, sizeof(e[0]), cmp_kv);
		pvf_trie_version ver = round % 2 ? PVF_TRIE_V1 : PVF_TRIE_V0;
		pvf_trie_entry te[12];
		for (size_t i = 0; i < m; i++)
			te[i] = (pvf_trie_entry){ e[i].k, e[i].kl, e[i].v, e[i].vl };
		uint8_t root[32], groot[32];
		root_of(te, m, ver, root);

		for (size_t t = 0; t < m; t++) {
			static gen g;
			static buf full;
			memset(&g, 0, sizeof(g));
			g.ver = ver;
			g.target = &e[t];
			build(&g, e, m, 0, &full, NULL);
			blake2(full.p, full.n, groot);
			assert_memory_equal(groot, root, 32);

			pvf_trie_slice p[16];
			for (size_t i = 0; i < g.nnodes; i++)
				p[i] = (pvf_trie_slice){ g.nodes[i].p, g.nodes[i].n };
			const char *why;
			assert_int_equal(check(root, p, g.nnodes, e[t].k, e[t].kl, (const char *)e[t].v, e[t].vl,
					       ver, &why), 1);
			uint8_t other[101];
			memcpy(other, e[t].v, e[t].vl);
			other[e[t].vl] = 0x5A;
			assert_int_equal(check(root, p, g.nnodes, e[t].k, e[t].kl, (const char *)other, e[t].vl + 1,
					       ver, &why), 0);
			/* another key of the trie: refused, unless its value is empty and
			 * its leaf lies inline on this path (an empty inline value is
			 * what a left-out value looks like, so trie-db accepts it too) */
			size_t o = (t + 1) % m;
			if (o != t && e[o].vl != 0)
				assert_int_equal(check(root, p, g.nnodes, e[o].k, e[o].kl, (const char *)e[o].v,
						       e[o].vl, ver, &why), 0);
			proofs++;
			if (g.nnodes > max_nodes)
				max_nodes = g.nnodes;
		}
	}
	print_message("[ proofs   ] %zu generated proofs checked, up to %zu nodes each\n", proofs, max_nodes);
	assert_true(max_nodes >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_leaf),
		cmocka_unit_test(test_malformed_nodes),
		cmocka_unit_test(test_branch_children),
		cmocka_unit_test(test_branch_value),
		cmocka_unit_test(test_hashed_branch_value),
		cmocka_unit_test(test_generated_proofs),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
