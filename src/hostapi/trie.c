/*
 * trie.c — trie root computation (format in trie.h).
 *
 * Steps:
 *   1. sort_entries(): copy the (key, value) views, sort by key bytes
 *      (a prefix sorts first, equal keys by input position) and keep the
 *      last of each run of equal keys — BTreeMap semantics;
 *   2. build(): the trie-root crate's `build_trie` (no-extension variant),
 *      done with an explicit stack of frames instead of recursion so that a
 *      deep trie (up to one level per entry) cannot exhaust the C stack.
 *      A frame covers the sorted entries [begin, begin + count) that share
 *      the first `cursor` nibbles and owns the encoding of its node:
 *
 *        start_frame()       writes the node's header, partial key, bitmap
 *                            and value; counts the entries of each child
 *        push child          for the next non-empty child slot
 *        pop + append_child  the finished child goes into the parent inline
 *                            (< 32 bytes) or as its hash
 *
 *   3. the root node's encoding is hashed (or returned unhashed).
 *
 * Invariants: entries are sorted and distinct; in a frame with count >= 2,
 * the longest common prefix of all keys is the common prefix of the first
 * and the last (sorted order), and only the first key can end at it.
 */
#include "hostapi/trie.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/scale.h"

#define NIBBLE_LENGTH 16
/* Child encodings shorter than this are stored inline (trie_stream.rs
 * `append_substream`: 0..=31). */
#define INLINE_CHILD_MAX 31u

typedef struct entry {
	const uint8_t *key;
	size_t key_len;
	const uint8_t *value;
	size_t value_len;
	size_t index; /* input position, for "last duplicate wins" */
} entry;

typedef struct ctx {
	const entry *ents;
	pvf_trie_version version;
	pvf_trie_hasher hasher;
	pvf_error *err;
} ctx;

typedef struct frame {
	size_t begin, count;
	size_t cursor;       /* nibbles consumed before this node */
	size_t child_cursor; /* nibble index that selects the child slot */
	size_t child_begin;  /* first entry of the next child */
	int next_slot;       /* next child slot to visit, 0..16 */
	size_t counts[NIBBLE_LENGTH];
	pvf_scale_writer out;
} frame;

static unsigned nibble_at(const entry *e, size_t i)
{
	uint8_t b = e->key[i / 2];
	return (i & 1) ? (b & 0x0f) : (b >> 4);
}

static size_t nibble_len(const entry *e)
{
	return e->key_len * 2; /* key_len < SIZE_MAX / 2: checked in sort_entries */
}

/* ---- 1. sorting --------------------------------------------------------- */

static int cmp_entry(const void *pa, const void *pb)
{
	const entry *a = pa, *b = pb;
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = n ? memcmp(a->key, b->key, n) : 0;

	if (c)
		return c;
	if (a->key_len != b->key_len)
		return a->key_len < b->key_len ? -1 : 1;
	return a->index < b->index ? -1 : (a->index > b->index);
}

static bool same_key(const entry *a, const entry *b)
{
	return a->key_len == b->key_len && (a->key_len == 0 || !memcmp(a->key, b->key, a->key_len));
}

static int sort_entries(const pvf_trie_entry *in, size_t n, entry **ret, size_t *ret_n,
			pvf_error *err)
{
	entry *e;
	size_t bytes;

	if (n > PVF_TRIE_MAX_ENTRIES)
		return pvf_error_set(err, PVF_E_USAGE, "trie root: %zu entries exceed the limit of %zu",
				     n, PVF_TRIE_MAX_ENTRIES);
	if (__builtin_mul_overflow(n ? n : 1, sizeof(*e), &bytes))
		return pvf_error_set(err, PVF_E_NOMEM, "trie root: too many entries");
	e = malloc(bytes);
	if (!e)
		return pvf_error_set(err, PVF_E_NOMEM, "trie root: out of memory for %zu entries", n);
	for (size_t i = 0; i < n; i++) {
		if (in[i].key_len > SIZE_MAX / 4 || (in[i].key_len && !in[i].key) ||
		    (in[i].value_len && !in[i].value)) {
			free(e);
			return pvf_error_set(err, PVF_E_USAGE, "trie root: bad entry %zu", i);
		}
		if (in[i].value_len > UINT32_MAX) {
			free(e);
			return pvf_error_set(err, PVF_E_USAGE,
					     "trie root: value %zu of %zu bytes does not fit u32", i,
					     in[i].value_len);
		}
		e[i] = (entry){ in[i].key, in[i].key_len, in[i].value, in[i].value_len, i };
	}
	if (n > 1)
		qsort(e, n, sizeof(*e), cmp_entry);
	/* Keep the last of each run of equal keys. */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && same_key(&e[i], &e[i + 1]))
			continue;
		e[m++] = e[i];
	}
	*ret = e;
	*ret_n = m;
	return 0;
}

/* ---- 2. node encoding --------------------------------------------------- */

/* sp-trie node_header.rs `size_and_prefix_iterator`. */
int pvf_trie_write_header(pvf_scale_writer *w, unsigned prefix, unsigned prefix_bits, size_t size,
			  pvf_error *err)
{
	unsigned max_value = 255u >> prefix_bits;
	size_t l1 = size < max_value - 1 ? size : max_value - 1;

	if (size == l1)
		return pvf_scale_write_u8(w, (uint8_t)(prefix + l1), err);
	if (pvf_scale_write_u8(w, (uint8_t)(prefix + max_value), err) < 0)
		return -1;
	size_t rem = size - l1;
	while (rem > 0) {
		uint8_t b;
		if (rem < 256) {
			b = (uint8_t)(rem - 1);
			rem = 0;
		} else {
			b = 255;
			rem -= 255;
		}
		if (pvf_scale_write_u8(w, b, err) < 0)
			return -1;
	}
	return 0;
}

/* Partial key: nibbles [from, to) of e's key. */
static int write_partial(pvf_scale_writer *w, const entry *e, size_t from, size_t to,
			 pvf_error *err)
{
	if ((to - from) % 2 == 1) {
		if (pvf_scale_write_u8(w, (uint8_t)nibble_at(e, from), err) < 0)
			return -1;
		from++;
	}
	for (size_t i = from; i < to; i += 2)
		if (pvf_scale_write_u8(w, (uint8_t)(nibble_at(e, i) << 4 | nibble_at(e, i + 1)), err) < 0)
			return -1;
	return 0;
}

static bool value_is_hashed(const ctx *c, const entry *e)
{
	return c->version == PVF_TRIE_V1 && e->value_len >= PVF_TRIE_VALUE_NODE_THRESHOLD;
}

static int write_value(const ctx *c, pvf_scale_writer *w, const entry *e)
{
	if (value_is_hashed(c, e)) {
		uint8_t h[PVF_TRIE_HASH_LEN];
		c->hasher(e->value, e->value_len, h);
		return pvf_scale_write_raw(w, h, sizeof(h), c->err);
	}
	if (pvf_scale_write_compact(w, e->value_len, c->err) < 0)
		return -1;
	return pvf_scale_write_raw(w, e->value, e->value_len, c->err);
}

/* Writes the node for f (all but its children); sets next_slot = 16 for a
 * node without children. */
static int start_frame(const ctx *c, frame *f)
{
	const entry *first = &c->ents[f->begin];

	if (f->count == 0) {
		f->next_slot = NIBBLE_LENGTH;
		return pvf_scale_write_u8(&f->out, PVF_TRIE_EMPTY, c->err);
	}
	if (f->count == 1) {
		bool hashed = value_is_hashed(c, first);
		f->next_slot = NIBBLE_LENGTH;
		if (pvf_trie_write_header(&f->out, hashed ? PVF_TRIE_HASHED_LEAF : PVF_TRIE_LEAF,
				 hashed ? 3 : 2, nibble_len(first) - f->cursor, c->err) < 0 ||
		    write_partial(&f->out, first, f->cursor, nibble_len(first), c->err) < 0)
			return -1;
		return write_value(c, &f->out, first);
	}

	/* Common prefix of first and last = common prefix of all (sorted). */
	const entry *last = &c->ents[f->begin + f->count - 1];
	size_t max = nibble_len(first) < nibble_len(last) ? nibble_len(first) : nibble_len(last);
	size_t shared = 0;
	while (shared < max && nibble_at(first, shared) == nibble_at(last, shared))
		shared++;
	size_t cur = shared > f->cursor ? shared : f->cursor;
	bool has_value = cur == nibble_len(first);

	/* Child slot sizes. */
	size_t i = f->begin + (has_value ? 1 : 0), end = f->begin + f->count;
	uint16_t bitmap = 0;
	memset(f->counts, 0, sizeof(f->counts));
	for (; i < end; i++) {
		unsigned nib = nibble_at(&c->ents[i], cur);
		f->counts[nib]++;
		bitmap |= (uint16_t)(1u << nib);
	}

	unsigned prefix = PVF_TRIE_BRANCH_WITHOUT, bits = 2;
	if (has_value && value_is_hashed(c, first)) {
		prefix = PVF_TRIE_HASHED_BRANCH;
		bits = 4;
	} else if (has_value) {
		prefix = PVF_TRIE_BRANCH_WITH;
	}
	if (pvf_trie_write_header(&f->out, prefix, bits, cur - f->cursor, c->err) < 0 ||
	    write_partial(&f->out, first, f->cursor, cur, c->err) < 0 ||
	    pvf_scale_write_u16(&f->out, bitmap, c->err) < 0)
		return -1;
	if (has_value && write_value(c, &f->out, first) < 0)
		return -1;
	f->child_cursor = cur;
	f->child_begin = f->begin + (has_value ? 1 : 0);
	f->next_slot = 0;
	return 0;
}

/* trie_stream.rs `append_substream`. */
static int append_child(const ctx *c, pvf_scale_writer *parent, const pvf_scale_writer *child)
{
	if (child->len <= INLINE_CHILD_MAX)
		return pvf_scale_write_vec_u8(parent, child->buf, child->len, c->err);
	uint8_t h[PVF_TRIE_HASH_LEN];
	c->hasher(child->buf, child->len, h);
	return pvf_scale_write_vec_u8(parent, h, sizeof(h), c->err);
}

static int push(frame **stack, size_t *sp, size_t *cap, size_t begin, size_t count,
		size_t cursor, pvf_error *err)
{
	if (*sp == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16, bytes;
		if (__builtin_mul_overflow(ncap, sizeof(frame), &bytes))
			return pvf_error_set(err, PVF_E_NOMEM, "trie root: stack overflow");
		frame *s = realloc(*stack, bytes);
		if (!s)
			return pvf_error_set(err, PVF_E_NOMEM, "trie root: out of memory");
		*stack = s;
		*cap = ncap;
	}
	frame *f = &(*stack)[(*sp)++];
	memset(f, 0, sizeof(*f));
	f->begin = begin;
	f->count = count;
	f->cursor = cursor;
	f->next_slot = -1; /* not started */
	pvf_scale_writer_init(&f->out);
	return 0;
}

/* Builds the encoded root node into *ret (a writer the caller frees). */
static int build(const ctx *c, size_t n, pvf_scale_writer *ret)
{
	frame *stack = NULL;
	size_t sp = 0, cap = 0;
	int rc = -1;

	if (push(&stack, &sp, &cap, 0, n, 0, c->err) < 0)
		return -1;
	while (sp > 0) {
		frame *f = &stack[sp - 1];
		if (f->next_slot < 0 && start_frame(c, f) < 0)
			goto out;
		while (f->next_slot < NIBBLE_LENGTH && f->counts[f->next_slot] == 0)
			f->next_slot++;
		if (f->next_slot < NIBBLE_LENGTH) {
			size_t cb = f->child_begin, cc = f->counts[f->next_slot];
			size_t cur = f->child_cursor + 1;
			f->child_begin += cc;
			f->next_slot++;
			if (push(&stack, &sp, &cap, cb, cc, cur, c->err) < 0)
				goto out;
			continue;
		}
		/* f is complete. */
		if (sp == 1) {
			*ret = f->out;
			sp = 0;
			rc = 0;
			break;
		}
		int arc = append_child(c, &stack[sp - 2].out, &f->out);
		pvf_scale_writer_free(&f->out);
		sp--;
		if (arc < 0)
			goto out;
	}
out:
	for (size_t i = 0; i < sp; i++)
		pvf_scale_writer_free(&stack[i].out);
	free(stack);
	return rc;
}

static int root_common(const pvf_trie_entry *entries, size_t n, pvf_trie_version version,
		       pvf_trie_hasher hasher, pvf_scale_writer *ret, pvf_error *err)
{
	entry *ents = NULL;
	size_t m = 0;

	if (!hasher || (version != PVF_TRIE_V0 && version != PVF_TRIE_V1) || (n && !entries))
		return pvf_error_set(err, PVF_E_USAGE, "trie root: bad arguments");
	if (sort_entries(entries, n, &ents, &m, err) < 0)
		return -1;
	ctx c = { ents, version, hasher, err };
	int rc = build(&c, m, ret);
	free(ents);
	return rc;
}

int pvf_trie_root_unhashed(const pvf_trie_entry *entries, size_t n, pvf_trie_version version,
			   pvf_trie_hasher hasher, uint8_t **ret_buf, size_t *ret_len,
			   pvf_error *err)
{
	pvf_scale_writer w;

	if (root_common(entries, n, version, hasher, &w, err) < 0)
		return -1;
	*ret_buf = pvf_scale_writer_take(&w, ret_len);
	return 0;
}

int pvf_trie_root(const pvf_trie_entry *entries, size_t n, pvf_trie_version version,
		  pvf_trie_hasher hasher, uint8_t out[PVF_TRIE_HASH_LEN], pvf_error *err)
{
	pvf_scale_writer w;

	if (root_common(entries, n, version, hasher, &w, err) < 0)
		return -1;
	hasher(w.buf, w.len, out);
	pvf_scale_writer_free(&w);
	return 0;
}

int pvf_trie_ordered_root(const pvf_trie_entry *values, size_t n, pvf_trie_version version,
			  pvf_trie_hasher hasher, uint8_t out[PVF_TRIE_HASH_LEN], pvf_error *err)
{
	pvf_trie_entry *e;
	uint8_t *keys;
	size_t ebytes, kbytes;

	if (n > PVF_TRIE_MAX_ENTRIES || (n && !values))
		return pvf_error_set(err, PVF_E_USAGE, "ordered trie root: bad arguments (%zu values)",
				     n);
	if (__builtin_mul_overflow(n ? n : 1, sizeof(*e), &ebytes) ||
	    __builtin_mul_overflow(n ? n : 1, (size_t)PVF_SCALE_COMPACT_MAX_LEN, &kbytes))
		return pvf_error_set(err, PVF_E_NOMEM, "ordered trie root: too many values");
	e = malloc(ebytes);
	keys = malloc(kbytes);
	if (!e || !keys) {
		free(e);
		free(keys);
		return pvf_error_set(err, PVF_E_NOMEM, "ordered trie root: out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *k = keys + i * PVF_SCALE_COMPACT_MAX_LEN;
		e[i].key = k;
		e[i].key_len = pvf_scale_compact_encode(i, k); /* Compact(i as u32) */
		e[i].value = values[i].value;
		e[i].value_len = values[i].value_len;
	}
	int rc = pvf_trie_root(e, n, version, hasher, out, err);
	free(e);
	free(keys);
	return rc;
}

void pvf_trie_blake2_256(const uint8_t *data, size_t len, uint8_t out[PVF_TRIE_HASH_LEN])
{
	static const uint8_t empty[1];

	crypto_generichash(out, PVF_TRIE_HASH_LEN, data ? data : empty, len, NULL, 0);
}

int pvf_trie_blake2_256_root(const pvf_trie_entry *entries, size_t n, pvf_trie_version version,
			     uint8_t out[PVF_TRIE_HASH_LEN], pvf_error *err)
{
	return pvf_trie_root(entries, n, version, pvf_trie_blake2_256, out, err);
}

int pvf_trie_blake2_256_ordered_root(const pvf_trie_entry *values, size_t n,
				     pvf_trie_version version, uint8_t out[PVF_TRIE_HASH_LEN],
				     pvf_error *err)
{
	return pvf_trie_ordered_root(values, n, version, pvf_trie_blake2_256, out, err);
}
