/*
 * state.c — the runtime-call storage state (see state.h): a sorted array of
 * entries, an undo log and a stack of transaction marks.
 *
 * Undo log: a record holds a key, what the key held before a change (a value
 * or nothing) and the entry's `saved_in` before it. Transaction t owns the
 * records from its mark to the end of the log, those of committed inner
 * transactions included. An entry's `saved_in` is the id of the innermost
 * transaction whose records already hold the entry's earlier value, so a
 * key changed many times in one transaction is logged once (ids are never
 * reused, so a stale id never matches).
 *
 * Buffers move rather than copy where they can: a replaced value goes into
 * the log as it is, and a removed entry's key and value too.
 *
 * Accounting against the budget: an entry is sizeof(st_entry) + key + value
 * capacity, a record sizeof(st_undo) + key + value capacity, a transaction
 * sizeof(st_tx). A change charges first and allocates second, undoing the
 * charge if an allocation fails, and mutates only when nothing can fail.
 */
#include "hostapi/state.h"

#include <stdlib.h>
#include <string.h>

#include "common/scale.h"

/* First capacity of the arrays. */
#define INITIAL_CAP 16u

typedef struct st_entry {
	uint8_t *key;      /* never NULL */
	size_t klen;
	uint8_t *val;      /* NULL when vcap is 0 */
	size_t vlen, vcap;
	uint64_t saved_in; /* see above; 0: none */
} st_entry;

typedef struct st_undo {
	uint8_t *key;      /* never NULL */
	size_t klen;
	uint8_t *val;      /* the earlier value (NULL when vcap is 0) */
	size_t vlen, vcap;
	bool present;      /* false: the key was absent */
	uint64_t saved_in; /* the entry's saved_in before the change */
} st_undo;

typedef struct st_tx {
	size_t mark;       /* the transaction's first record */
	uint64_t id;
} st_tx;

struct pvf_state {
	st_entry *e;
	size_t n, cap;
	st_undo *log;
	size_t nlog, caplog;
	st_tx *tx;
	size_t ntx, captx;
	uint64_t last_id;
	size_t bytes, max_bytes;
};

/* ---- helpers ------------------------------------------------------------------------ */

static int key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return c;
	return al < bl ? -1 : al > bl ? 1 : 0;
}

/* The first index whose key is >= key; *found when it is equal. */
static size_t lower_bound(const pvf_state *s, const uint8_t *key, size_t klen, bool *found)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_cmp(s->e[mid].key, s->e[mid].klen, key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < s->n && key_cmp(s->e[lo].key, s->e[lo].klen, key, klen) == 0;
	return lo;
}

static bool has_prefix(const st_entry *e, const uint8_t *p, size_t plen)
{
	return e->klen >= plen && (plen == 0 || memcmp(e->key, p, plen) == 0);
}

static size_t entry_bytes(const st_entry *e)
{
	return sizeof(*e) + e->klen + e->vcap;
}

static size_t undo_bytes(const st_undo *u)
{
	return sizeof(*u) + u->klen + u->vcap;
}

/* Charges a + b bytes, or fails without charging. */
static int charge(pvf_state *s, size_t a, size_t b, pvf_error *err)
{
	size_t room = s->bytes < s->max_bytes ? s->max_bytes - s->bytes : 0;

	if (a > room || b > room - a)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory: the storage state would exceed %zu bytes",
				     s->max_bytes);
	s->bytes += a + b;
	return 0;
}

static void release(pvf_state *s, size_t n)
{
	s->bytes = n < s->bytes ? s->bytes - n : 0;
}

/* Capacity for `need` elements of `size` bytes. */
static int reserve(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t nc = *cap ? *cap : INITIAL_CAP;
	void *p;

	if (need <= *cap)
		return 0;
	while (nc < need) {
		if (nc > SIZE_MAX / 2 / size)
			return -1;
		nc *= 2;
	}
	p = realloc(*arr, nc * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = nc;
	return 0;
}

static int reserve_entries(pvf_state *s, size_t extra)
{
	return extra > SIZE_MAX - s->n ? -1 : reserve((void **)&s->e, &s->cap, s->n + extra, sizeof(*s->e));
}

static int reserve_log(pvf_state *s, size_t extra)
{
	return extra > SIZE_MAX - s->nlog ? -1
					  : reserve((void **)&s->log, &s->caplog, s->nlog + extra, sizeof(*s->log));
}

/* A copy of p[0..n) (never NULL when it succeeds; a 0-byte copy is a 1-byte
 * allocation). */
static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

static uint64_t current_tx(const pvf_state *s)
{
	return s->ntx ? s->tx[s->ntx - 1].id : 0;
}

/* Whether a change to the key (entry e, NULL when absent) must be logged. */
static bool must_log(const pvf_state *s, const st_entry *e)
{
	uint64_t t = current_tx(s);

	return t != 0 && (!e || e->saved_in != t);
}

/* Appends a record; the log has room and its bytes are charged. */
static void log_push(pvf_state *s, uint8_t *key, size_t klen, uint8_t *val, size_t vlen, size_t vcap,
		     bool present, uint64_t saved_in)
{
	st_undo *u = &s->log[s->nlog++];

	u->key = key;
	u->klen = klen;
	u->val = val;
	u->vlen = vlen;
	u->vcap = vcap;
	u->present = present;
	u->saved_in = saved_in;
}

static void insert_at(pvf_state *s, size_t i, const st_entry *e)
{
	memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof(*s->e));
	s->e[i] = *e;
	s->n++;
}

static void remove_range(pvf_state *s, size_t lo, size_t hi)
{
	if (lo == hi)
		return;   /* also: an empty state has no array to point into */
	memmove(&s->e[lo], &s->e[hi], (s->n - hi) * sizeof(*s->e));
	s->n -= hi - lo;
}

static void free_entry(pvf_state *s, st_entry *e)
{
	release(s, entry_bytes(e));
	free(e->key);
	free(e->val);
}

static void free_record(pvf_state *s, st_undo *u)
{
	release(s, undo_bytes(u));
	free(u->key);
	free(u->val);
}

static void drop_log(pvf_state *s)
{
	for (size_t i = 0; i < s->nlog; i++)
		free_record(s, &s->log[i]);
	s->nlog = 0;
}

/* ---- lifetime ----------------------------------------------------------------------- */

int pvf_state_new(pvf_state **ret, pvf_error *err)
{
	pvf_state *s;

	if (!ret)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_state_new: NULL ret");
	s = calloc(1, sizeof(*s));
	if (!s)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	s->max_bytes = PVF_STATE_MAX_BYTES;
	*ret = s;
	return 0;
}

void pvf_state_free(pvf_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].key);
		free(s->e[i].val);
	}
	for (size_t i = 0; i < s->nlog; i++) {
		free(s->log[i].key);
		free(s->log[i].val);
	}
	free(s->e);
	free(s->log);
	free(s->tx);
	free(s);
}

size_t pvf_state_bytes(const pvf_state *s)
{
	return s ? s->bytes : 0;
}

void pvf_state_set_max_bytes(pvf_state *s, size_t max_bytes)
{
	if (s)
		s->max_bytes = max_bytes ? max_bytes : PVF_STATE_MAX_BYTES;
}

/* ---- reads -------------------------------------------------------------------------- */

bool pvf_state_get(const pvf_state *s, const uint8_t *key, size_t key_len, const uint8_t **ret_val,
		   size_t *ret_len)
{
	bool found = false;
	size_t i;

	if (!s || (!key && key_len))
		return false;
	i = lower_bound(s, key, key_len, &found);
	if (!found)
		return false;
	if (ret_val)
		*ret_val = s->e[i].val;
	if (ret_len)
		*ret_len = s->e[i].vlen;
	return true;
}

bool pvf_state_exists(const pvf_state *s, const uint8_t *key, size_t key_len)
{
	return pvf_state_get(s, key, key_len, NULL, NULL);
}

bool pvf_state_next_key(const pvf_state *s, const uint8_t *key, size_t key_len, const uint8_t **ret_key,
			size_t *ret_len)
{
	bool found = false;
	size_t i;

	if (!s || (!key && key_len))
		return false;
	i = lower_bound(s, key, key_len, &found);
	if (found)
		i++;
	if (i >= s->n)
		return false;
	if (ret_key)
		*ret_key = s->e[i].key;
	if (ret_len)
		*ret_len = s->e[i].klen;
	return true;
}

size_t pvf_state_count(const pvf_state *s)
{
	return s ? s->n : 0;
}

bool pvf_state_at(const pvf_state *s, size_t i, const uint8_t **ret_key, size_t *ret_key_len,
		  const uint8_t **ret_val, size_t *ret_val_len)
{
	if (!s || i >= s->n)
		return false;
	if (ret_key)
		*ret_key = s->e[i].key;
	if (ret_key_len)
		*ret_key_len = s->e[i].klen;
	if (ret_val)
		*ret_val = s->e[i].val;
	if (ret_val_len)
		*ret_val_len = s->e[i].vlen;
	return true;
}

size_t pvf_state_depth(const pvf_state *s)
{
	return s ? s->ntx : 0;
}

int pvf_state_root(const pvf_state *s, pvf_trie_version version, uint8_t out[PVF_TRIE_HASH_LEN], pvf_error *err)
{
	pvf_trie_entry *te;
	int r;

	if (!s || !out)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_state_root: NULL argument");
	te = calloc(s->n ? s->n : 1, sizeof(*te));
	if (!te)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		te[i].key = s->e[i].key;
		te[i].key_len = s->e[i].klen;
		te[i].value = s->e[i].val;
		te[i].value_len = s->e[i].vlen;
	}
	r = pvf_trie_blake2_256_root(te, s->n, version, out, err);
	free(te);
	return r;
}

/* ---- changes ------------------------------------------------------------------------ */

/* One piece of a new value. */
typedef struct part {
	const uint8_t *p;
	size_t n;
} part;

/* Makes the concatenation of parts[0..nparts) the value of `key`, whose
 * position is i (found: the entry there, else where it is inserted). The
 * old value goes to the undo log when a transaction needs it, else it is
 * freed; the parts are copied before that, so one may point into it. On
 * failure the state is unchanged. */
static int put_value(pvf_state *s, size_t i, bool found, const uint8_t *key, size_t key_len, const part *parts,
		     size_t nparts, pvf_error *err)
{
	st_entry *e = found ? &s->e[i] : NULL;
	bool log = must_log(s, e);
	size_t len = 0, off = 0, add_entry = found ? 0 : sizeof(st_entry) + key_len;
	size_t add_log = log ? sizeof(st_undo) + key_len : 0;
	uint8_t *nv = NULL, *kcopy = NULL, *lkey = NULL;

	for (size_t k = 0; k < nparts; k++) {
		if (parts[k].n > SIZE_MAX - len)
			return pvf_error_set(err, PVF_E_NOMEM, "out of memory: value too large");
		len += parts[k].n;
	}
	if (charge(s, len, add_entry, err) < 0)
		return -1;
	if (charge(s, add_log, 0, err) < 0) {
		release(s, len + add_entry);
		return -1;
	}
	if ((len && !(nv = malloc(len))) || (!found && !(kcopy = dup_bytes(key, key_len))) ||
	    (log && !(lkey = dup_bytes(key, key_len))) || (log && reserve_log(s, 1) < 0) ||
	    (!found && reserve_entries(s, 1) < 0)) {
		free(nv);
		free(kcopy);
		free(lkey);
		release(s, len + add_entry + add_log);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	for (size_t k = 0; k < nparts; k++) {
		if (parts[k].n)
			memcpy(nv + off, parts[k].p, parts[k].n);
		off += parts[k].n;
	}
	if (found) {
		e = &s->e[i];   /* reserve_* may have moved the arrays */
		if (log) {
			log_push(s, lkey, key_len, e->val, e->vlen, e->vcap, true, e->saved_in);
			e->saved_in = current_tx(s);
		} else {
			release(s, e->vcap);
			free(e->val);
		}
		e->val = nv;
		e->vlen = e->vcap = len;
	} else {
		st_entry ne = { kcopy, key_len, nv, len, len, 0 };

		if (log) {
			log_push(s, lkey, key_len, NULL, 0, 0, false, 0);
			ne.saved_in = current_tx(s);
		}
		insert_at(s, i, &ne);
	}
	return 0;
}

int pvf_state_set(pvf_state *s, const uint8_t *key, size_t key_len, const uint8_t *value, size_t len,
		  pvf_error *err)
{
	part v = { value, len };
	bool found;
	size_t i;

	if (!s || (!key && key_len) || (!value && len))
		return pvf_error_set(err, PVF_E_USAGE, "pvf_state_set: NULL argument");
	i = lower_bound(s, key, key_len, &found);
	return put_value(s, i, found, key, key_len, &v, 1, err);
}

int pvf_state_clear(pvf_state *s, const uint8_t *key, size_t key_len, pvf_error *err)
{
	bool found;
	size_t i;
	st_entry *e;

	if (!s || (!key && key_len))
		return pvf_error_set(err, PVF_E_USAGE, "pvf_state_clear: NULL argument");
	i = lower_bound(s, key, key_len, &found);
	if (!found)
		return 0;
	e = &s->e[i];
	if (must_log(s, e)) {
		if (charge(s, sizeof(st_undo), 0, err) < 0)
			return -1;
		if (reserve_log(s, 1) < 0) {
			release(s, sizeof(st_undo));
			return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
		}
		/* The key and value move into the record. */
		release(s, sizeof(st_entry));
		log_push(s, e->key, e->klen, e->val, e->vlen, e->vcap, true, e->saved_in);
	} else {
		free_entry(s, e);
	}
	remove_range(s, i, i + 1);
	return 0;
}

int pvf_state_clear_prefix(pvf_state *s, const uint8_t *prefix, size_t len, const uint32_t *limit,
			   size_t *ret_removed, bool *ret_more, pvf_error *err)
{
	bool found;
	size_t lo, hi, end, nlog = 0;

	if (ret_removed)
		*ret_removed = 0;
	if (ret_more)
		*ret_more = false;
	if (!s || (!prefix && len))
		return pvf_error_set(err, PVF_E_USAGE, "pvf_state_clear_prefix: NULL argument");
	lo = lower_bound(s, prefix, len, &found);
	for (hi = lo; hi < s->n && has_prefix(&s->e[hi], prefix, len); hi++)
		;
	end = limit && *limit < hi - lo ? lo + *limit : hi;
	for (size_t i = lo; i < end; i++)
		nlog += must_log(s, &s->e[i]);
	if (nlog) {
		/* nlog <= n entries that are in memory: no overflow. */
		if (charge(s, nlog * sizeof(st_undo), 0, err) < 0)
			return -1;
		if (reserve_log(s, nlog) < 0) {
			release(s, nlog * sizeof(st_undo));
			return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
		}
	}
	for (size_t i = lo; i < end; i++) {
		st_entry *e = &s->e[i];

		if (must_log(s, e)) {
			release(s, sizeof(st_entry));
			log_push(s, e->key, e->klen, e->val, e->vlen, e->vcap, true, e->saved_in);
		} else {
			free_entry(s, e);
		}
	}
	remove_range(s, lo, end);
	if (ret_removed)
		*ret_removed = end - lo;
	if (ret_more)
		*ret_more = end < hi;
	return 0;
}

/* The item count at the start of a stored value: true with the count and
 * the length of its encoding when it is a canonical Compact<u32> below
 * u32::MAX (so that one more item can be counted). */
static bool append_count(const st_entry *e, uint32_t *ret_count, size_t *ret_len)
{
	pvf_scale_reader rd;
	uint32_t c;

	if (!e || e->vlen == 0)
		return false;
	pvf_scale_reader_init(&rd, e->val, e->vlen, PVF_E_MALFORMED, "Compact<u32>");
	if (pvf_scale_read_compact_u32(&rd, &c, NULL) < 0 || c == UINT32_MAX)
		return false;
	*ret_count = c;
	*ret_len = rd.pos;
	return true;
}

int pvf_state_append(pvf_state *s, const uint8_t *key, size_t key_len, const uint8_t *item, size_t len,
		     pvf_error *err)
{
	uint8_t cbuf[PVF_SCALE_COMPACT_MAX_LEN];
	bool found, log, ok;
	size_t i, old_cl = 0, body = 0, new_cl, total;
	uint32_t count = 0;
	st_entry *e;

	if (!s || (!key && key_len) || (!item && len))
		return pvf_error_set(err, PVF_E_USAGE, "pvf_state_append: NULL argument");
	i = lower_bound(s, key, key_len, &found);
	e = found ? &s->e[i] : NULL;
	ok = append_count(e, &count, &old_cl);
	if (ok)
		body = e->vlen - old_cl;
	new_cl = pvf_scale_compact_encode(ok ? (uint64_t)count + 1 : 1, cbuf);
	if (len > SIZE_MAX - new_cl - body)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory: value too large");
	total = new_cl + body + len;
	log = must_log(s, e);

	if (found && ok && !log) {
		/* In place: no earlier value to keep. */
		if (total > e->vcap || new_cl != old_cl) {
			size_t cap = total, grow = total / 2;
			uint8_t *p;

			if (total > e->vcap) {
				if (grow <= SIZE_MAX - total && charge(s, total + grow - e->vcap, 0, NULL) == 0)
					cap = total + grow;
				else if (charge(s, total - e->vcap, 0, err) < 0)
					return -1;
				p = realloc(e->val, cap);
				if (!p) {
					release(s, cap - e->vcap);
					return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
				}
				e->val = p;
				e->vcap = cap;
			}
			memmove(e->val + new_cl, e->val + old_cl, body);
		}
		memcpy(e->val, cbuf, new_cl);
		if (len)
			memcpy(e->val + new_cl + body, item, len);
		e->vlen = total;
		return 0;
	}

	/* A new buffer: the old one (if any) goes to the log or is freed. */
	{
		part parts[3] = { { cbuf, new_cl }, { ok ? e->val + old_cl : NULL, body }, { item, len } };
		return put_value(s, i, found, key, key_len, parts, 3, err);
	}
}

/* ---- transactions ------------------------------------------------------------------- */

int pvf_state_start_transaction(pvf_state *s, pvf_error *err)
{
	if (!s)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_state_start_transaction: NULL state");
	if (charge(s, sizeof(st_tx), 0, err) < 0)
		return -1;
	if (reserve((void **)&s->tx, &s->captx, s->ntx + 1, sizeof(*s->tx)) < 0) {
		release(s, sizeof(st_tx));
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	}
	s->tx[s->ntx].mark = s->nlog;
	s->tx[s->ntx].id = ++s->last_id;
	s->ntx++;
	return 0;
}

int pvf_state_commit_transaction(pvf_state *s, pvf_error *err)
{
	if (!s)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_state_commit_transaction: NULL state");
	if (!s->ntx)
		return pvf_error_set(err, PVF_E_USAGE, "no open transaction that can be committed");
	s->ntx--;
	release(s, sizeof(st_tx));
	/* The records now belong to the enclosing transaction; with none left,
	 * nothing can be rolled back any more. */
	if (!s->ntx)
		drop_log(s);
	return 0;
}

/* Undoes one record. The entry array has room for an insertion. */
static void restore(pvf_state *s, st_undo *u)
{
	bool found;
	size_t i = lower_bound(s, u->key, u->klen, &found);

	if (u->present && found) {
		st_entry *e = &s->e[i];

		release(s, e->vcap + sizeof(st_undo) + u->klen);
		free(e->val);
		free(u->key);
		e->val = u->val;
		e->vlen = u->vlen;
		e->vcap = u->vcap;
		e->saved_in = u->saved_in;
	} else if (u->present) {
		st_entry ne = { u->key, u->klen, u->val, u->vlen, u->vcap, u->saved_in };

		/* The record's bytes become the entry's. */
		release(s, sizeof(st_undo));
		s->bytes += sizeof(st_entry);
		insert_at(s, i, &ne);
	} else {
		if (found) {
			free_entry(s, &s->e[i]);
			remove_range(s, i, i + 1);
		}
		free_record(s, u);
	}
}

int pvf_state_rollback_transaction(pvf_state *s, pvf_error *err)
{
	const st_tx *t;
	size_t present = 0;

	if (!s)
		return pvf_error_set(err, PVF_E_USAGE, "pvf_state_rollback_transaction: NULL state");
	if (!s->ntx)
		return pvf_error_set(err, PVF_E_USAGE, "no open transaction that can be rolled back");
	t = &s->tx[s->ntx - 1];
	/* Room for every insertion up front, so that the undo cannot fail half
	 * way. */
	for (size_t r = t->mark; r < s->nlog; r++)
		present += s->log[r].present;
	if (reserve_entries(s, present) < 0)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	for (size_t r = s->nlog; r > t->mark; r--)
		restore(s, &s->log[r - 1]);
	s->nlog = t->mark;
	s->ntx--;
	release(s, sizeof(st_tx));
	return 0;
}
