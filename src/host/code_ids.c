/*
 * code_ids.c — the code-hash memo (see code_ids.h): a few recent blobs
 * with their BLAKE2b-256, least recently used evicted first; each blob a
 * reference-counted copy that jobs may share.
 */
#include "host/code_ids.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct pvf_code_ref {
	atomic_uint refs;
	size_t len;
	uint8_t bytes[];
};

typedef struct entry {
	pvf_code_ref *ref;        /* the memo's reference; NULL: free */
	uint8_t hash[32];
	uint64_t used;            /* tick of the last hit or insertion */
} entry;

struct pvf_code_ids {
	pthread_mutex_t mu;
	entry *e;
	uint32_t n;
	size_t max_bytes, bytes;
	uint64_t tick;
};

static pvf_code_ref *ref_new(const uint8_t *code, size_t len)
{
	pvf_code_ref *r = malloc(sizeof(*r) + (len ? len : 1));

	if (!r)
		return NULL;
	atomic_init(&r->refs, 1);
	r->len = len;
	if (len)
		memcpy(r->bytes, code, len);
	return r;
}

static pvf_code_ref *ref_take(pvf_code_ref *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	return r;
}

const uint8_t *pvf_code_ref_bytes(const pvf_code_ref *r)
{
	return r->bytes;
}

size_t pvf_code_ref_len(const pvf_code_ref *r)
{
	return r->len;
}

void pvf_code_ref_drop(pvf_code_ref *r)
{
	if (r && atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
		free(r);
}

pvf_code_ids *pvf_code_ids_new(uint32_t max_entries, size_t max_bytes)
{
	pvf_code_ids *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->e = calloc(max_entries ? max_entries : 1, sizeof(*c->e));
	if (!c->e) {
		free(c);
		return NULL;
	}
	c->n = max_entries;
	c->max_bytes = max_bytes;
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void pvf_code_ids_free(pvf_code_ids *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->n; i++)
		pvf_code_ref_drop(c->e[i].ref);
	free(c->e);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void drop(pvf_code_ids *c, entry *e)
{
	c->bytes -= e->ref->len;
	pvf_code_ref_drop(e->ref);
	e->ref = NULL;
}

/* Lock held: a free entry, after evicting the least recently used ones
 * until `len` more bytes fit. */
static entry *make_room(pvf_code_ids *c, size_t len)
{
	for (;;) {
		entry *free_e = NULL, *lru = NULL;
		for (uint32_t i = 0; i < c->n; i++) {
			entry *e = &c->e[i];
			if (!e->ref)
				free_e = free_e ? free_e : e;
			else if (!lru || e->used < lru->used)
				lru = e;
		}
		if (free_e && c->bytes + len <= c->max_bytes)
			return free_e;
		if (!lru)
			return NULL;
		drop(c, lru);
	}
}

/* Lock held: the entry holding exactly these bytes, or NULL. */
static entry *find(pvf_code_ids *c, const uint8_t *code, size_t len)
{
	for (uint32_t i = 0; i < c->n; i++) {
		entry *e = &c->e[i];
		if (e->ref && e->ref->len == len && memcmp(e->ref->bytes, code, len) == 0)
			return e;
	}
	return NULL;
}

int pvf_code_ids_share(pvf_code_ids *c, const uint8_t *code, size_t len, uint8_t out[32], pvf_code_ref **ref)
{
	pthread_mutex_lock(&c->mu);
	entry *e = find(c, code, len);
	if (e) {
		memcpy(out, e->hash, 32);
		e->used = ++c->tick;
		if (ref)
			*ref = ref_take(e->ref);
		pthread_mutex_unlock(&c->mu);
		return 1;
	}
	pthread_mutex_unlock(&c->mu);

	crypto_generichash(out, 32, code, len, NULL, 0);
	bool fits = len > 0 && len <= c->max_bytes;
	pvf_code_ref *copy = (fits || ref) ? ref_new(code, len) : NULL;
	if (ref)
		*ref = copy;
	if (!copy)
		return ref ? -1 : 0;   /* the hash is right; nothing remembered */
	if (!fits)
		return 0;              /* the caller's alone */

	pthread_mutex_lock(&c->mu);
	if (find(c, code, len)) {
		/* Another thread remembered it meanwhile. */
		pthread_mutex_unlock(&c->mu);
		if (!ref)
			pvf_code_ref_drop(copy);
		return 0;
	}
	e = make_room(c, len);
	if (!e) {
		pthread_mutex_unlock(&c->mu);
		if (!ref)
			pvf_code_ref_drop(copy);
		return 0;
	}
	e->ref = ref ? ref_take(copy) : copy;
	memcpy(e->hash, out, 32);
	e->used = ++c->tick;
	c->bytes += len;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

int pvf_code_ids_hash(pvf_code_ids *c, const uint8_t *code, size_t len, uint8_t out[32])
{
	return pvf_code_ids_share(c, code, len, out, NULL);
}
