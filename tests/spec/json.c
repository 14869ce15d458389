/*
 * json.c — a small strict JSON (RFC 8259) parser (see json.h for what it
 * accepts).
 *
 * Structure:
 *   1. arena        all nodes and decoded strings of one document
 *   2. reader       the only code that looks at input bytes: peek/advance
 *                   against `end`, with the position for error messages
 *   3. values       recursive descent (depth capped by PVF_JSON_MAX_DEPTH):
 *                   literals, numbers (grammar of RFC 8259 section 6),
 *                   strings (escapes, surrogate pairs, UTF-8 validation),
 *                   arrays, objects (duplicate keys rejected)
 *   4. look-ups and integer conversion
 *
 * Invariant: the reader never reads at or past `end`; every loop consumes
 * at least one byte or stops.
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

/* ---- 1. arena --------------------------------------------------------------- */

#define ARENA_CHUNK (64u << 10)

typedef struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
} chunk;

typedef struct doc {
	chunk *chunks;
	pvf_json root;       /* must be reachable from the root pointer: see doc_of */
} doc;

static doc *doc_of(pvf_json *root)
{
	return (doc *)((char *)root - offsetof(doc, root));
}

static void *arena_alloc(doc *d, size_t n)
{
	chunk *c = d->chunks;
	size_t align = sizeof(max_align_t);

	if (n > SIZE_MAX - align)
		return NULL;
	n = (n + align - 1) / align * align;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		/* Large one-off blocks go behind the current chunk so the
		 * current chunk's free space stays usable. */
		if (d->chunks && n > ARENA_CHUNK) {
			c->next = d->chunks->next;
			d->chunks->next = c;
		} else {
			c->next = d->chunks;
			d->chunks = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

/* ---- 2. reader --------------------------------------------------------------- */

typedef struct reader {
	const unsigned char *start, *p, *end;
	doc *d;
	pvf_error *err;
} reader;

static bool at_end(const reader *r)
{
	return r->p >= r->end;
}

/* The next byte, or -1 at the end. */
static int peek(const reader *r)
{
	return at_end(r) ? -1 : *r->p;
}

static void advance(reader *r, size_t n)
{
	size_t left = (size_t)(r->end - r->p);

	r->p += n < left ? n : left;
}

static int fail(reader *r, const char *what)
{
	size_t off = (size_t)(r->p - r->start);
	size_t line = 1, col = 1;

	for (const unsigned char *q = r->start; q < r->p; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return pvf_error_set(r->err, PVF_E_MALFORMED, "JSON: %s at byte %zu (line %zu, column %zu)", what,
			     off, line, col);
}

static int nomem(reader *r)
{
	return pvf_error_set(r->err, PVF_E_NOMEM, "JSON: out of memory");
}

static void skip_ws(reader *r)
{
	for (int c = peek(r); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = peek(r))
		advance(r, 1);
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* ---- 3. values ----------------------------------------------------------------- */

static int parse_value(reader *r, unsigned depth, pvf_json *out);

static int parse_literal(reader *r, const char *word, pvf_json_kind kind, pvf_json *out)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return fail(r, "invalid literal");
	advance(r, n);
	out->kind = kind;
	return 0;
}

static int parse_number(reader *r, pvf_json *out)
{
	const unsigned char *s = r->p;
	char *text;
	size_t n;

	if (peek(r) == '-')
		advance(r, 1);
	if (peek(r) == '0') {
		advance(r, 1);
	} else if (is_digit(peek(r))) {
		while (is_digit(peek(r)))
			advance(r, 1);
	} else {
		return fail(r, "invalid number");
	}
	if (peek(r) == '.') {
		advance(r, 1);
		if (!is_digit(peek(r)))
			return fail(r, "digit expected after the decimal point");
		while (is_digit(peek(r)))
			advance(r, 1);
	}
	if (peek(r) == 'e' || peek(r) == 'E') {
		advance(r, 1);
		if (peek(r) == '+' || peek(r) == '-')
			advance(r, 1);
		if (!is_digit(peek(r)))
			return fail(r, "digit expected in the exponent");
		while (is_digit(peek(r)))
			advance(r, 1);
	}
	n = (size_t)(r->p - s);
	text = arena_alloc(r->d, n + 1);
	if (!text)
		return nomem(r);
	memcpy(text, s, n);
	text[n] = '\0';
	out->kind = PVF_JSON_NUMBER;
	out->str = text;
	out->len = n;
	return 0;
}

static int hex4(reader *r, uint32_t *ret)
{
	uint32_t v = 0;

	if (r->end - r->p < 4)
		return fail(r, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		int c = r->p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return fail(r, "invalid \\u escape");
		v = v << 4 | (uint32_t)d;
	}
	advance(r, 4);
	*ret = v;
	return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Length of the well-formed UTF-8 sequence at r->p (Unicode 15, table 3-7),
 * or 0 if it is not one. */
static size_t utf8_len(const reader *r)
{
	const unsigned char *p = r->p;
	size_t left = (size_t)(r->end - p);
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (left < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static int parse_string(reader *r, const char **ret, size_t *ret_len)
{
	const unsigned char *s;
	char *buf, *o;
	size_t max;

	advance(r, 1); /* the opening quote */
	s = r->p;
	/* The decoded string is never longer than its source text up to the
	 * closing quote (found here; the loop below validates). */
	max = 0;
	while (s + max < r->end && s[max] != '"')
		max += s[max] == '\\' && s + max + 1 < r->end ? 2 : 1;
	buf = arena_alloc(r->d, max + 1);
	if (!buf)
		return nomem(r);
	o = buf;
	for (;;) {
		int c = peek(r);
		if (c < 0)
			return fail(r, "unterminated string");
		if (c == '"') {
			advance(r, 1);
			break;
		}
		if (c < 0x20)
			return fail(r, "control character in a string");
		if (c != '\\') {
			size_t n = utf8_len(r);
			if (n == 0)
				return fail(r, "invalid UTF-8 in a string");
			memcpy(o, r->p, n);
			o += n;
			advance(r, n);
			continue;
		}
		advance(r, 1);
		c = peek(r);
		advance(r, 1);
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if (hex4(r, &cp) < 0)
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(r, "unpaired low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
					return fail(r, "unpaired high surrogate");
				advance(r, 2);
				if (hex4(r, &lo) < 0)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(r, "unpaired high surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			/* Six source bytes give at most 3 output bytes, twelve
			 * give 4: the output stays within `max`. */
			o += put_utf8(o, cp);
			break;
		}
		default:
			return fail(r, "invalid escape");
		}
	}
	*o = '\0';
	*ret = buf;
	*ret_len = (size_t)(o - buf);
	return 0;
}

/* A growable list of items while an array or object is read. */
typedef struct vec {
	void *v;
	size_t n, cap, elem;
} vec;

static void *vec_push(vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8, bytes;
		void *nv;
		if (__builtin_mul_overflow(cap, v->elem, &bytes))
			return NULL;
		nv = realloc(v->v, bytes);
		if (!nv)
			return NULL;
		v->v = nv;
		v->cap = cap;
	}
	return (char *)v->v + v->n++ * v->elem;
}

/* Copies the items into the arena (v->n * v->elem cannot overflow: it was
 * allocated). */
static void *vec_finish(reader *r, vec *v)
{
	void *p;

	if (v->n == 0)
		return NULL;
	p = arena_alloc(r->d, v->n * v->elem);
	if (p)
		memcpy(p, v->v, v->n * v->elem);
	return p;
}

static int parse_array(reader *r, unsigned depth, pvf_json *out)
{
	vec v = { NULL, 0, 0, sizeof(pvf_json *) };
	int ret = -1;

	advance(r, 1);
	skip_ws(r);
	if (peek(r) == ']') {
		advance(r, 1);
	} else {
		for (;;) {
			pvf_json *item = arena_alloc(r->d, sizeof(*item));
			pvf_json **slot = vec_push(&v);
			if (!item || !slot) {
				nomem(r);
				goto out;
			}
			memset(item, 0, sizeof(*item));
			*slot = item;
			if (parse_value(r, depth + 1, item) < 0)
				goto out;
			skip_ws(r);
			if (peek(r) == ',') {
				advance(r, 1);
				continue;
			}
			if (peek(r) == ']') {
				advance(r, 1);
				break;
			}
			fail(r, "',' or ']' expected");
			goto out;
		}
	}
	out->kind = PVF_JSON_ARRAY;
	out->len = v.n;
	out->items = vec_finish(r, &v);
	if (v.n && !out->items) {
		nomem(r);
		goto out;
	}
	ret = 0;
out:
	free(v.v);
	return ret;
}

static int cmp_member(const void *a, const void *b)
{
	const pvf_json_member *x = a, *y = b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* Duplicate keys: pairwise for small objects, sorted copy otherwise. Returns
 * 1 if there is a duplicate, 0 if not, -1 when out of memory. */
static int has_duplicate(const pvf_json_member *m, size_t n)
{
	pvf_json_member *s;
	int dup = 0;

	if (n <= 16) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (cmp_member(&m[i], &m[j]) == 0)
					return 1;
		return 0;
	}
	s = malloc(n * sizeof(*s)); /* n * size was allocated before: no overflow */
	if (!s)
		return -1;
	memcpy(s, m, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_member);
	for (size_t i = 1; i < n && !dup; i++)
		dup = cmp_member(&s[i - 1], &s[i]) == 0;
	free(s);
	return dup;
}

static int parse_object(reader *r, unsigned depth, pvf_json *out)
{
	vec v = { NULL, 0, 0, sizeof(pvf_json_member) };
	int ret = -1, dup;

	advance(r, 1);
	skip_ws(r);
	if (peek(r) == '}') {
		advance(r, 1);
	} else {
		for (;;) {
			pvf_json_member *m;
			skip_ws(r);
			if (peek(r) != '"') {
				fail(r, "string key expected");
				goto out;
			}
			m = vec_push(&v);
			if (!m) {
				nomem(r);
				goto out;
			}
			if (parse_string(r, &m->key, &m->key_len) < 0)
				goto out;
			skip_ws(r);
			if (peek(r) != ':') {
				fail(r, "':' expected");
				goto out;
			}
			advance(r, 1);
			m->value = arena_alloc(r->d, sizeof(*m->value));
			if (!m->value) {
				nomem(r);
				goto out;
			}
			memset(m->value, 0, sizeof(*m->value));
			if (parse_value(r, depth + 1, m->value) < 0)
				goto out;
			skip_ws(r);
			if (peek(r) == ',') {
				advance(r, 1);
				continue;
			}
			if (peek(r) == '}') {
				advance(r, 1);
				break;
			}
			fail(r, "',' or '}' expected");
			goto out;
		}
	}
	dup = has_duplicate(v.v, v.n);
	if (dup < 0) {
		nomem(r);
		goto out;
	}
	if (dup) {
		fail(r, "duplicate key in the object ending here");
		goto out;
	}
	out->kind = PVF_JSON_OBJECT;
	out->len = v.n;
	out->members = vec_finish(r, &v);
	if (v.n && !out->members) {
		nomem(r);
		goto out;
	}
	ret = 0;
out:
	free(v.v);
	return ret;
}

static int parse_value(reader *r, unsigned depth, pvf_json *out)
{
	if (depth > PVF_JSON_MAX_DEPTH)
		return fail(r, "nesting too deep");
	skip_ws(r);
	switch (peek(r)) {
	case -1:
		return fail(r, "value expected");
	case 'n':
		return parse_literal(r, "null", PVF_JSON_NULL, out);
	case 't':
		return parse_literal(r, "true", PVF_JSON_TRUE, out);
	case 'f':
		return parse_literal(r, "false", PVF_JSON_FALSE, out);
	case '"':
		out->kind = PVF_JSON_STRING;
		return parse_string(r, &out->str, &out->len);
	case '[':
		return parse_array(r, depth, out);
	case '{':
		return parse_object(r, depth, out);
	default:
		if (peek(r) == '-' || is_digit(peek(r)))
			return parse_number(r, out);
		return fail(r, "value expected");
	}
}

static void doc_free(doc *d)
{
	chunk *c = d->chunks;

	while (c) {
		chunk *next = c->next;
		free(c);
		c = next;
	}
	free(d);
}

int pvf__json_parse(const char *text, size_t size, pvf_json **ret, pvf_error *err)
{
	reader r;
	doc *d;

	if (size > PVF_JSON_MAX_INPUT)
		return pvf_error_set(err, PVF_E_MALFORMED, "JSON: text of %zu bytes exceeds the limit of %u",
				     size, PVF_JSON_MAX_INPUT);
	d = calloc(1, sizeof(*d));
	if (!d)
		return pvf_error_set(err, PVF_E_NOMEM, "JSON: out of memory");
	r.start = r.p = (const unsigned char *)text;
	r.end = r.start + size;
	r.d = d;
	r.err = err;
	if (parse_value(&r, 0, &d->root) < 0) {
		doc_free(d);
		return -1;
	}
	skip_ws(&r);
	if (!at_end(&r)) {
		fail(&r, "unexpected text after the value");
		doc_free(d);
		return -1;
	}
	*ret = &d->root;
	return 0;
}

void pvf__json_free(pvf_json *root)
{
	if (root)
		doc_free(doc_of(root));
}

/* ---- 4. look-ups -------------------------------------------------------------------- */

const pvf_json *pvf__json_get(const pvf_json *obj, const char *key)
{
	size_t n = strlen(key);

	if (!obj || obj->kind != PVF_JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->len; i++)
		if (obj->members[i].key_len == n && memcmp(obj->members[i].key, key, n) == 0)
			return obj->members[i].value;
	return NULL;
}

const char *pvf__json_get_str(const pvf_json *obj, const char *key, size_t *len)
{
	const pvf_json *v = pvf__json_get(obj, key);

	if (!v || v->kind != PVF_JSON_STRING)
		return NULL;
	if (len)
		*len = v->len;
	return v->str;
}

const pvf_json *pvf__json_get_array(const pvf_json *obj, const char *key)
{
	const pvf_json *v = pvf__json_get(obj, key);

	return v && v->kind == PVF_JSON_ARRAY ? v : NULL;
}

int pvf__json_parse_u64(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return -1;
	}
	*ret = v;
	return 0;
}

int pvf__json_u64(const pvf_json *num, uint64_t *ret)
{
	if (!num || num->kind != PVF_JSON_NUMBER)
		return -1;
	return pvf__json_parse_u64(num->str, num->len, ret);
}
