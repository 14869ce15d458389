/*
 * trie_proof.c — compact trie proof of one key-value pair (see trie_proof.h).
 *
 * The walk follows trie-db's proof/verify.rs for a single item (key, value):
 *
 *   decode proof[0] as the root entry (prefix = no nibbles)
 *   loop on the top entry:
 *     item pending, key at the node:  leaf with an empty inline value, or a
 *                                     branch without value: put the value
 *                                     back, item done
 *     item pending, key below a child: copy the siblings before it, open the
 *                                     child (the next proof node for an
 *                                     empty inline reference, the inline
 *                                     node itself otherwise), push it
 *     anything else pending:          the proof fails
 *     nothing pending:                encode the entry with its children;
 *                                     pop it into its parent's slot as an
 *                                     inline reference (<= 32 bytes) or a
 *                                     hash; at the root, no proof node may
 *                                     be left and the hash must be `root`
 *
 * Node decoding is sp-trie's NodeCodec::decode_plan: header (empty 0x00,
 * leaf 01, branch 10/11, hashed-value leaf 001, hashed-value branch 0001,
 * anything else refused), nibble count with 255-byte continuation, partial
 * key whose padding nibble must be zero, for branches a non-zero u16 bitmap,
 * the value (Compact<u32> length + bytes, or a 32-byte hash), and for each
 * bitmap bit a Compact<u32>-prefixed child: a hash when it has 32 bytes, an
 * inline node otherwise. Bytes after the last field are not looked at.
 *
 * Invariant: entries [0, depth) are the path from the root; entry i+1 is the
 * child of entry i at slot entries[i].child_index.
 */
#include "hostapi/trie_proof.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/scale.h"

#define NIBBLES 16
#define HASH_LEN PVF_TRIE_HASH_LEN

typedef enum kind { K_EMPTY, K_LEAF, K_BRANCH } kind;

/* A child as the node holds it: `len` == 32 is a hash, else an inline node. */
typedef struct handle {
	const uint8_t *data;
	uint32_t len;
	bool present;
} handle;

/* trie-db ChildReference: a hash, or an inline node of up to 32 bytes. */
typedef struct child_ref {
	bool present;
	uint8_t len;
	uint8_t bytes[HASH_LEN];
} child_ref;

typedef struct node_value {
	bool present;
	bool hashed; /* `hash` holds it; else data/len inline */
	const uint8_t *data;
	size_t len;
	uint8_t hash[HASH_LEN];
} node_value;

typedef struct entry {
	kind kind;
	const uint8_t *partial; /* (nibbles + 1) / 2 bytes, first nibble padded */
	size_t nibbles;
	node_value value;
	handle child[NIBBLES];
	size_t prefix_len; /* nibbles of the key above this node */
	bool is_inline;
	int child_index;
	child_ref refs[NIBBLES];
} entry;

typedef struct walk {
	const uint8_t *key;
	size_t key_nibbles;
	pvf_trie_version version;
	pvf_trie_hasher hasher;
	const char *why;
} walk;

static int fail(walk *w, const char *why)
{
	if (!w->why)
		w->why = why;
	return 0;
}

static unsigned key_at(const walk *w, size_t i)
{
	uint8_t b = w->key[i / 2];
	return i % 2 ? b & 0x0Fu : b >> 4;
}

static unsigned partial_at(const entry *e, size_t i)
{
	size_t at = i + e->nibbles % 2; /* odd count: skip the padding nibble */
	uint8_t b = e->partial[at / 2];
	return at % 2 ? b & 0x0Fu : b >> 4;
}

/* LeftNibbleSlice::contains: the key has the partial key at `offset`. */
static bool key_contains(const walk *w, const entry *e, size_t offset)
{
	if (w->key_nibbles < offset + e->nibbles)
		return false;
	for (size_t i = 0; i < e->nibbles; i++)
		if (key_at(w, offset + i) != partial_at(e, i))
			return false;
	return true;
}

/* ---- decoding (NodeCodec::decode_plan) -------------------------------------------- */

static bool take(pvf_scale_reader *r, size_t n, const uint8_t **ret)
{
	pvf_error err;
	return pvf_scale_read_bytes(r, n, ret, &err) == 0;
}

static bool read_compact(pvf_scale_reader *r, uint32_t *ret)
{
	pvf_error err;
	return pvf_scale_read_compact_u32(r, ret, &err) == 0;
}

static bool read_value(pvf_scale_reader *r, bool hashed, node_value *v)
{
	uint32_t n;

	v->present = true;
	v->hashed = hashed;
	if (hashed) {
		const uint8_t *h;
		if (!take(r, HASH_LEN, &h))
			return false;
		memcpy(v->hash, h, HASH_LEN);
		return true;
	}
	if (!read_compact(r, &n) || !take(r, n, &v->data))
		return false;
	v->len = n;
	return true;
}

static bool decode_node(const uint8_t *data, size_t len, entry *e)
{
	pvf_scale_reader r;
	uint8_t h, b;
	unsigned bits;
	bool hashed = false, has_value;

	memset(e, 0, sizeof(*e));
	pvf_scale_reader_init(&r, data, len, PVF_E_MALFORMED, "trie node");
	if (pvf_scale_read_u8(&r, &h, &(pvf_error){ 0 }) < 0)
		return false;
	if (h == PVF_TRIE_EMPTY) {
		e->kind = K_EMPTY;
		return true;
	}
	switch (h & 0xC0u) {
	case PVF_TRIE_LEAF:
		e->kind = K_LEAF;
		bits = 2;
		break;
	case PVF_TRIE_BRANCH_WITH:
	case PVF_TRIE_BRANCH_WITHOUT:
		e->kind = K_BRANCH;
		bits = 2;
		break;
	default:
		if ((h & 0xE0u) == PVF_TRIE_HASHED_LEAF) {
			e->kind = K_LEAF;
			bits = 3;
		} else if ((h & 0xF0u) == PVF_TRIE_HASHED_BRANCH) {
			e->kind = K_BRANCH;
			bits = 4;
		} else {
			return false; /* "Unallowed encoding" */
		}
		hashed = true;
	}
	has_value = e->kind == K_LEAF || hashed || (h & 0xC0u) == PVF_TRIE_BRANCH_WITH;

	/* node_header.rs decode_size */
	unsigned max = 255u >> bits;
	size_t nibbles = h & max;
	if (nibbles == max) {
		nibbles--;
		for (;;) {
			if (pvf_scale_read_u8(&r, &b, &(pvf_error){ 0 }) < 0)
				return false;
			if (b < 255) {
				nibbles += (size_t)b + 1;
				break;
			}
			nibbles += 255;
		}
	}
	if (pvf_scale_remaining(&r) < 1)
		return false;
	if (nibbles % 2 && (r.data[r.pos] & 0xF0u) != 0)
		return false; /* padding nibble not zero */
	e->nibbles = nibbles;
	if (!take(&r, nibbles / 2 + nibbles % 2, &e->partial))
		return false;

	if (e->kind == K_LEAF)
		return read_value(&r, hashed, &e->value);

	const uint8_t *bm;
	if (!take(&r, 2, &bm))
		return false;
	unsigned bitmap = bm[0] | (unsigned)bm[1] << 8;
	if (bitmap == 0)
		return false; /* "Bitmap without a child." */
	if (has_value && !read_value(&r, hashed, &e->value))
		return false;
	for (int i = 0; i < NIBBLES; i++) {
		uint32_t n;
		if (!(bitmap & 1u << i))
			continue;
		if (!read_compact(&r, &n) || !take(&r, n, &e->child[i].data))
			return false;
		e->child[i].len = n;
		e->child[i].present = true;
	}
	return true;
}

/* ---- rebuilding ------------------------------------------------------------------- */

/* NodeHandle -> ChildReference: an inline node over 32 bytes cannot be one. */
static bool to_ref(const handle *hd, child_ref *ref)
{
	if (hd->len > HASH_LEN)
		return false;
	ref->present = true;
	ref->len = (uint8_t)hd->len;
	memcpy(ref->bytes, hd->data, hd->len);
	return true;
}

/* Copies the node's own children in slots [child_index, upto). */
static int copy_children(walk *w, entry *e, int upto)
{
	for (; e->child_index < upto; e->child_index++) {
		const handle *hd = &e->child[e->child_index];
		if (hd->present && !to_ref(hd, &e->refs[e->child_index]))
			return fail(w, "a child reference exceeds the hash length");
	}
	return 1;
}

/* set_value: the proven value, by hash where the layout stores it so. */
static void put_value(const walk *w, entry *e, const uint8_t *v, size_t len)
{
	e->value.present = true;
	e->value.hashed = w->version == PVF_TRIE_V1 && len >= PVF_TRIE_VALUE_NODE_THRESHOLD;
	e->value.data = v;
	e->value.len = len;
	if (e->value.hashed)
		w->hasher(v, len, e->value.hash);
}

static int write_value(pvf_scale_writer *o, const node_value *v, pvf_error *err)
{
	if (v->hashed)
		return pvf_scale_write_raw(o, v->hash, HASH_LEN, err);
	if (pvf_scale_write_compact(o, v->len, err) < 0)
		return -1;
	return pvf_scale_write_raw(o, v->data, v->len, err);
}

/* NodeCodec leaf_node / branch_node_nibbled. The partial key is copied as
 * decoded: its padding nibble is zero, as the encoder writes it. */
static int encode(const entry *e, pvf_scale_writer *o, pvf_error *err)
{
	unsigned prefix, bits = 2;
	size_t pbytes = e->nibbles / 2 + e->nibbles % 2;

	if (e->kind == K_EMPTY)
		return pvf_scale_write_u8(o, PVF_TRIE_EMPTY, err);
	if (e->kind == K_LEAF) {
		prefix = e->value.hashed ? PVF_TRIE_HASHED_LEAF : PVF_TRIE_LEAF;
		bits = e->value.hashed ? 3 : 2;
	} else if (!e->value.present) {
		prefix = PVF_TRIE_BRANCH_WITHOUT;
	} else if (e->value.hashed) {
		prefix = PVF_TRIE_HASHED_BRANCH;
		bits = 4;
	} else {
		prefix = PVF_TRIE_BRANCH_WITH;
	}
	if (pvf_trie_write_header(o, prefix, bits, e->nibbles, err) < 0 ||
	    pvf_scale_write_raw(o, e->partial, pbytes, err) < 0)
		return -1;
	if (e->kind == K_LEAF)
		return write_value(o, &e->value, err);

	uint16_t bitmap = 0;
	for (int i = 0; i < NIBBLES; i++)
		if (e->refs[i].present)
			bitmap |= (uint16_t)(1u << i);
	if (pvf_scale_write_u16(o, bitmap, err) < 0)
		return -1;
	if (e->value.present && write_value(o, &e->value, err) < 0)
		return -1;
	for (int i = 0; i < NIBBLES; i++)
		if (e->refs[i].present && pvf_scale_write_vec_u8(o, e->refs[i].bytes, e->refs[i].len, err) < 0)
			return -1;
	return 0;
}

/* Encodes the finished entry into its reference (inline or hash). */
static int finish(walk *w, entry *e, child_ref *ref, pvf_error *err)
{
	pvf_scale_writer o;
	int rc;

	if (e->kind == K_BRANCH && copy_children(w, e, NIBBLES) == 0)
		return 0;
	pvf_scale_writer_init(&o);
	if (encode(e, &o, err) < 0) {
		pvf_scale_writer_free(&o);
		return -1;
	}
	rc = 1;
	memset(ref, 0, sizeof(*ref));
	if (!e->is_inline) {
		ref->present = true;
		ref->len = HASH_LEN;
		w->hasher(o.buf, o.len, ref->bytes);
	} else if (o.len > HASH_LEN) {
		rc = fail(w, "an inline node encodes to more than 32 bytes");
	} else {
		ref->present = true;
		ref->len = (uint8_t)o.len;
		memcpy(ref->bytes, o.buf, o.len);
	}
	pvf_scale_writer_free(&o);
	return rc;
}

/* match_key_to_node for the pending item, then the step it implies:
 * 1 = value put back, 2 = descend to *child_prefix, 0 = proof fails. */
static int match_item(walk *w, entry *e, const uint8_t *v, size_t vlen, size_t *child_prefix)
{
	size_t at = e->prefix_len;

	if (e->kind == K_EMPTY)
		return fail(w, "the key is not in the trie");
	if (!key_contains(w, e, at))
		return fail(w, "the key is not in the trie");
	at += e->nibbles;
	if (e->kind == K_LEAF) {
		if (w->key_nibbles != at)
			return fail(w, "the key is not in the trie");
		if (e->value.hashed || e->value.len != 0)
			return fail(w, "the proof holds the value it should leave out");
		put_value(w, e, v, vlen);
		return 1;
	}
	if (w->key_nibbles == at) {
		if (e->value.present)
			return fail(w, "the proof holds the value it should leave out");
		put_value(w, e, v, vlen);
		return 1;
	}
	if (!e->child[key_at(w, at)].present)
		return fail(w, "the key is not in the trie");
	*child_prefix = at + 1;
	return 2;
}

int pvf_trie_verify_proof(const uint8_t root[PVF_TRIE_HASH_LEN], const pvf_trie_slice *proof,
			  size_t nproof, const uint8_t *key, size_t key_len, const uint8_t *value,
			  size_t value_len, pvf_trie_version version, pvf_trie_hasher hasher,
			  const char **why, pvf_error *err)
{
	walk w = { .key = key, .key_nibbles = key_len * 2, .version = version, .hasher = hasher };
	entry *st = NULL;
	size_t depth = 0, cap = 0, next = 0;
	bool pending = true;
	int rc = 0;

	if (why)
		*why = NULL;
	if (nproof == 0) {
		rc = fail(&w, "the proof is incomplete");
		goto out;
	}
	for (;;) {
		/* room for the top entry's child */
		if (depth == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			entry *s = realloc(st, ncap * sizeof(*s));
			if (!s) {
				rc = pvf_error_set(err, PVF_E_NOMEM, "trie proof: out of memory");
				goto out;
			}
			st = s;
			cap = ncap;
		}
		if (next == 0) { /* the root: the first proof node */
			if (!decode_node(proof[0].data, proof[0].len, &st[0])) {
				rc = fail(&w, "a proof node does not decode");
				goto out;
			}
			next = depth = 1;
			continue;
		}

		entry *e = &st[depth - 1];
		size_t child_prefix = 0;
		if (pending) {
			rc = match_item(&w, e, value, value_len, &child_prefix);
			if (rc == 0)
				goto out;
			if (rc == 1) {
				pending = false;
				continue;
			}
			/* Descend: siblings before the child keep their references. */
			int slot = (int)key_at(&w, child_prefix - 1);
			if (copy_children(&w, e, slot) == 0) {
				rc = 0;
				goto out;
			}
			const handle *hd = &e->child[slot];
			entry *c = &st[depth];
			if (hd->len == HASH_LEN) {
				rc = fail(&w, "the proof has a hash where its path goes on");
				goto out;
			}
			bool ok;
			if (hd->len == 0) {
				if (next == nproof) {
					rc = fail(&w, "the proof is incomplete");
					goto out;
				}
				ok = decode_node(proof[next].data, proof[next].len, c);
				next++;
			} else {
				ok = decode_node(hd->data, hd->len, c);
				c->is_inline = true;
			}
			if (!ok) {
				rc = fail(&w, "a proof node does not decode");
				goto out;
			}
			c->prefix_len = child_prefix;
			depth++;
			continue;
		}

		/* Unwind. */
		child_ref ref;
		rc = finish(&w, e, &ref, err);
		if (rc <= 0)
			goto out;
		depth--;
		if (depth > 0) {
			entry *p = &st[depth - 1];
			p->refs[p->child_index++] = ref;
			continue;
		}
		if (next != nproof)
			rc = fail(&w, "the proof has nodes left over");
		else if (memcmp(ref.bytes, root, HASH_LEN) != 0)
			rc = fail(&w, "the proof leads to another root");
		else
			rc = 1;
		goto out;
	}
out:
	free(st);
	if (why)
		*why = rc == 0 ? w.why : NULL;
	return rc;
}
