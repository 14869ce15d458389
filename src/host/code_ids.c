/*
 * code_ids.c — the code-hash memo (see code_ids.h): a few recent blobs
 * with their BLAKE2b-256, least recently used evicted first.
 */
#include "host/code_ids.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

typedef struct entry {
	uint8_t *code;            /* NULL: free */
	size_t len;
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
		free(c->e[i].code);
	free(c->e);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void drop(pvf_code_ids *c, entry *e)
{
	c->bytes -= e->len;
	free(e->code);
	e->code = NULL;
	e->len = 0;
}

/* Lock held: a free entry, after evicting the least recently used ones
 * until `len` more bytes fit. */
static entry *make_room(pvf_code_ids *c, size_t len)
{
	for (;;) {
		entry *free_e = NULL, *lru = NULL;
		for (uint32_t i = 0; i < c->n; i++) {
			entry *e = &c->e[i];
			if (!e->code)
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

int pvf_code_ids_hash(pvf_code_ids *c, const uint8_t *code, size_t len, uint8_t out[32])
{
	pthread_mutex_lock(&c->mu);
	for (uint32_t i = 0; i < c->n; i++) {
		entry *e = &c->e[i];
		if (e->code && e->len == len && memcmp(e->code, code, len) == 0) {
			memcpy(out, e->hash, 32);
			e->used = ++c->tick;
			pthread_mutex_unlock(&c->mu);
			return 1;
		}
	}
	pthread_mutex_unlock(&c->mu);

	crypto_generichash(out, 32, code, len, NULL, 0);
	if (len == 0 || len > c->max_bytes)
		return 0;
	uint8_t *copy = malloc(len);
	if (!copy)
		return 0;   /* not remembered: still a correct hash */
	memcpy(copy, code, len);

	pthread_mutex_lock(&c->mu);
	for (uint32_t i = 0; i < c->n; i++)
		if (c->e[i].code && c->e[i].len == len && memcmp(c->e[i].code, code, len) == 0) {
			/* Another thread remembered it meanwhile. */
			pthread_mutex_unlock(&c->mu);
			free(copy);
			return 0;
		}
	entry *e = make_room(c, len);
	if (!e) {
		pthread_mutex_unlock(&c->mu);
		free(copy);
		return 0;
	}
	e->code = copy;
	e->len = len;
	memcpy(e->hash, out, 32);
	e->used = ++c->tick;
	c->bytes += len;
	pthread_mutex_unlock(&c->mu);
	return 0;
}
