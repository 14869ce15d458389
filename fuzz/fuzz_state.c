/*
 * fuzz_state.c — libFuzzer harness for the runtime-call storage state
 * (hostapi/state.c), which a runtime call's untrusted code drives through
 * the ext_storage_* host functions.
 *
 * The input is a program of operations (set, clear, append, clear_prefix
 * with or without a limit, transactions, next_key walks, root) over keys
 * from a small alphabet, so that prefixes and collisions are frequent. After
 * every operation the state is checked against its contract in state.h:
 *   - keys are strictly increasing in key order (pvf_state_at), and
 *     next_key from the empty key visits exactly them;
 *   - a set is visible to get with the same bytes; a clear makes the key
 *     absent; clear_prefix leaves no key with the prefix unless a limit
 *     stopped it, and then reports that more remain;
 *   - a rollback restores exactly the pairs that existed when its
 *     transaction started (compared with a snapshot taken then);
 *   - a failing call (commit or rollback with no open transaction) is an
 *     error value, never a crash.
 * See docs/fuzzing.md for building and running it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostapi/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DEPTH 8
#define MAX_KEY 6
#define MAX_VAL 40

typedef struct snapshot {
	size_t n;
	uint8_t **k, **v;
	size_t *kl, *vl;
} snapshot;

static void check(bool ok)
{
	if (!ok)
		abort();   /* a contract violation: the fuzzer reports it */
}

static int key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al < bl ? -1 : al > bl);
}

static void take(const pvf_state *s, snapshot *sn)
{
	sn->n = pvf_state_count(s);
	sn->k = calloc(sn->n + 1, sizeof(*sn->k));
	sn->v = calloc(sn->n + 1, sizeof(*sn->v));
	sn->kl = calloc(sn->n + 1, sizeof(*sn->kl));
	sn->vl = calloc(sn->n + 1, sizeof(*sn->vl));
	check(sn->k && sn->v && sn->kl && sn->vl);
	for (size_t i = 0; i < sn->n; i++) {
		const uint8_t *k, *v;
		check(pvf_state_at(s, i, &k, &sn->kl[i], &v, &sn->vl[i]));
		sn->k[i] = malloc(sn->kl[i] + 1);
		sn->v[i] = malloc(sn->vl[i] + 1);
		check(sn->k[i] && sn->v[i]);
		memcpy(sn->k[i], k, sn->kl[i]);
		if (sn->vl[i])
			memcpy(sn->v[i], v, sn->vl[i]);
	}
}

static void drop(snapshot *sn)
{
	for (size_t i = 0; i < sn->n; i++) {
		free(sn->k[i]);
		free(sn->v[i]);
	}
	free(sn->k);
	free(sn->v);
	free(sn->kl);
	free(sn->vl);
	memset(sn, 0, sizeof(*sn));
}

static void same_as(const pvf_state *s, const snapshot *sn)
{
	check(pvf_state_count(s) == sn->n);
	for (size_t i = 0; i < sn->n; i++) {
		const uint8_t *k, *v;
		size_t kl, vl;
		check(pvf_state_at(s, i, &k, &kl, &v, &vl));
		check(kl == sn->kl[i] && !memcmp(k, sn->k[i], kl));
		check(vl == sn->vl[i] && (!vl || !memcmp(v, sn->v[i], vl)));
	}
}

static void invariants(const pvf_state *s)
{
	size_t n = pvf_state_count(s), kl = 0, pl = 0, vl, nkl;
	const uint8_t *k = NULL, *p = NULL, *v, *nk;

	for (size_t i = 0; i < n; i++) {
		check(pvf_state_at(s, i, &k, &kl, &v, &vl));
		if (i > 0) {
			check(key_cmp(p, pl, k, kl) < 0);
			check(pvf_state_next_key(s, p, pl, &nk, &nkl) && nkl == kl && !memcmp(nk, k, kl));
		} else if (kl > 0) {
			check(pvf_state_next_key(s, (const uint8_t *)"", 0, &nk, &nkl) && nkl == kl &&
			      !memcmp(nk, k, kl));
		}
		p = k;
		pl = kl;
	}
	if (n)
		check(!pvf_state_next_key(s, p, pl, &nk, &nkl));
	else
		check(!pvf_state_next_key(s, (const uint8_t *)"", 0, &nk, &nkl));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pvf_state *s = NULL;
	pvf_error err;
	snapshot snaps[MAX_DEPTH];
	size_t depth = 0, at = 0;

	if (pvf_state_new(&s, &err) < 0)
		return 0;
	/* A small budget, so that running out of it is reached too. */
	pvf_state_set_max_bytes(s, 1u << 16);
	while (at + 2 <= size) {
		uint8_t op = data[at++] % 9, kl = data[at++] % (MAX_KEY + 1);
		uint8_t key[MAX_KEY], val[MAX_VAL];
		size_t vl = 0;

		for (size_t i = 0; i < kl; i++)
			key[i] = at < size ? (uint8_t)('a' + data[at++] % 3) : 'a';
		if (op <= 2 && at < size) {
			vl = data[at++] % (MAX_VAL + 1);
			for (size_t i = 0; i < vl; i++)
				val[i] = at < size ? data[at++] : 0;
		}
		switch (op) {
		case 0: /* set */
			if (pvf_state_set(s, key, kl, val, vl, &err) == 0) {
				const uint8_t *g;
				size_t gl;
				check(pvf_state_get(s, key, kl, &g, &gl) && gl == vl && (!vl || !memcmp(g, val, vl)));
			} else {
				check(err.code == PVF_E_NOMEM);
			}
			break;
		case 1: /* append */
			if (pvf_state_append(s, key, kl, val, vl, &err) == 0)
				check(pvf_state_exists(s, key, kl));
			else
				check(err.code == PVF_E_NOMEM);
			break;
		case 2: { /* clear_prefix, a limit when vl is odd */
			uint32_t limit = (uint32_t)(vl / 2);
			size_t removed = 0;
			bool more = false;
			if (pvf_state_clear_prefix(s, key, kl, (vl & 1) ? &limit : NULL, &removed, &more, &err) == 0) {
				bool left = false;
				for (size_t i = 0; i < pvf_state_count(s); i++) {
					const uint8_t *k, *v;
					size_t l, vvl;
					pvf_state_at(s, i, &k, &l, &v, &vvl);
					left |= l >= kl && !memcmp(k, key, kl);
				}
				check(left == more);
				if (!(vl & 1))
					check(!left);
				else
					check(removed <= limit);
			} else {
				check(err.code == PVF_E_NOMEM);
			}
			break;
		}
		case 3: /* clear */
			if (pvf_state_clear(s, key, kl, &err) == 0)
				check(!pvf_state_exists(s, key, kl));
			else
				check(err.code == PVF_E_NOMEM);
			break;
		case 4: /* start */
			if (depth < MAX_DEPTH && pvf_state_start_transaction(s, &err) == 0) {
				take(s, &snaps[depth]);
				depth++;
			}
			break;
		case 5: /* commit */
			if (pvf_state_commit_transaction(s, &err) == 0) {
				check(depth > 0);
				drop(&snaps[--depth]);
			} else {
				check(depth == 0 ? err.code == PVF_E_USAGE : err.code == PVF_E_NOMEM);
			}
			break;
		case 6: /* rollback */
			if (pvf_state_rollback_transaction(s, &err) == 0) {
				check(depth > 0);
				same_as(s, &snaps[depth - 1]);
				drop(&snaps[--depth]);
			} else {
				check(depth == 0 ? err.code == PVF_E_USAGE : err.code == PVF_E_NOMEM);
			}
			break;
		case 7: { /* root: the same twice */
			uint8_t r1[PVF_TRIE_HASH_LEN], r2[PVF_TRIE_HASH_LEN];
			if (pvf_state_root(s, PVF_TRIE_V1, r1, &err) == 0 && pvf_state_root(s, PVF_TRIE_V1, r2, &err) == 0)
				check(!memcmp(r1, r2, sizeof(r1)));
			break;
		}
		default:
			break;
		}
		check(pvf_state_depth(s) == depth);
		invariants(s);
	}
	while (depth)
		drop(&snaps[--depth]);
	pvf_state_free(s);
	return 0;
}
