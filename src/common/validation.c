/*
 * validation.c — ValidationParams / ValidationResult SCALE codecs and the
 * JSON rendering of a result (layouts in validation.h).
 *
 * Decoding steps, each through the one bounds-checked reader (scale.c):
 *   1. copy the input once into storage_ (every pvf_bytes points into it);
 *   2. read field by field; before each field the reader's `what` names it,
 *      so an error says e.g. "ValidationResult: upward_messages[3]: ...";
 *   3. message counts are checked against their bound and against the bytes
 *      left (each item needs at least 1 resp. 5 bytes) before an array is
 *      allocated, so no allocation exceeds what the input can fill;
 *   4. the input must be consumed exactly (no trailing bytes), except in
 *      pvf_validation_result_decode_prefix, which reads a result at the
 *      start of its input as parity-scale-codec's Decode::decode does.
 * On failure nothing is returned and everything allocated is released.
 */
#include "common/validation.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/scale.h"

/* Smallest encodings of one list item: Vec<u8> = 1-byte compact length;
 * (u32, Vec<u8>) = 4 + 1 bytes. */
#define UPWARD_ITEM_MIN_BYTES 1u
#define HORIZONTAL_ITEM_MIN_BYTES 5u

/* Longest field name used in error messages, e.g. "horizontal_messages[16383].data". */
#define FIELD_NAME_MAX 64

/* ---- params ------------------------------------------------------------- */

int pvf_validation_params_encode(const pvf_validation_params *p, uint8_t **ret_buf,
				 size_t *ret_len, pvf_error *err)
{
	pvf_scale_writer w;

	pvf_scale_writer_init(&w);
	if (pvf_scale_write_vec_u8(&w, p->parent_head.data, p->parent_head.len, err) < 0 ||
	    pvf_scale_write_vec_u8(&w, p->block_data.data, p->block_data.len, err) < 0 ||
	    pvf_scale_write_u32(&w, p->relay_parent_number, err) < 0 ||
	    pvf_scale_write_raw(&w, p->relay_parent_storage_root, 32, err) < 0) {
		pvf_scale_writer_free(&w);
		pvf_error_prefix(err, "encoding ValidationParams");
		return -1;
	}
	*ret_buf = pvf_scale_writer_take(&w, ret_len);
	return 0;
}

static uint8_t *copy_input(const uint8_t *buf, size_t len, pvf_error *err)
{
	/* malloc(0) may return NULL; always allocate at least one byte. */
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy) {
		pvf_error_set(err, PVF_E_NOMEM, "out of memory copying %zu input bytes", len);
		return NULL;
	}
	if (len)
		memcpy(copy, buf, len);
	return copy;
}

static int read_bytes_field(pvf_scale_reader *r, const char *name, pvf_bytes *ret,
			    pvf_error *err)
{
	r->what = name;
	return pvf_scale_read_vec_u8(r, &ret->data, &ret->len, err);
}

int pvf_validation_params_decode(const uint8_t *buf, size_t len, pvf_validation_params *ret,
				 pvf_error *err)
{
	pvf_validation_params p;
	pvf_scale_reader r;
	const uint8_t *root;

	memset(&p, 0, sizeof(p));
	if (!buf && len)
		return pvf_error_set(err, PVF_E_USAGE, "ValidationParams: NULL input of %zu bytes", len);
	uint8_t *copy = copy_input(buf, len, err);
	if (!copy)
		return -1;
	p.storage_ = copy;
	pvf_scale_reader_init(&r, copy, len, PVF_E_USAGE, "parent_head");
	if (read_bytes_field(&r, "parent_head", &p.parent_head, err) < 0 ||
	    read_bytes_field(&r, "block_data", &p.block_data, err) < 0)
		goto fail;
	r.what = "relay_parent_number";
	if (pvf_scale_read_u32(&r, &p.relay_parent_number, err) < 0)
		goto fail;
	r.what = "relay_parent_storage_root";
	if (pvf_scale_read_bytes(&r, 32, &root, err) < 0)
		goto fail;
	memcpy(p.relay_parent_storage_root, root, 32);
	r.what = "end";
	if (pvf_scale_expect_end(&r, err) < 0)
		goto fail;
	*ret = p;
	return 0;
fail:
	pvf_error_prefix(err, "ValidationParams");
	free(copy);
	return -1;
}

void pvf_validation_params_free(pvf_validation_params *p)
{
	if (!p)
		return;
	free(p->storage_);
	memset(p, 0, sizeof(*p));
}

/* ---- result ------------------------------------------------------------- */

int pvf_validation_result_encode(const pvf_validation_result *r, uint8_t **ret_buf,
				 size_t *ret_len, pvf_error *err)
{
	pvf_scale_writer w;

	if (r->n_upward_messages > PVF_MAX_UPWARD_MESSAGE_NUM ||
	    r->n_horizontal_messages > PVF_MAX_HORIZONTAL_MESSAGE_NUM)
		return pvf_error_set(err, PVF_E_USAGE,
				     "encoding ValidationResult: %zu upward / %zu horizontal messages "
				     "exceed the limit of %u",
				     r->n_upward_messages, r->n_horizontal_messages,
				     PVF_MAX_UPWARD_MESSAGE_NUM);
	pvf_scale_writer_init(&w);
	if (pvf_scale_write_vec_u8(&w, r->head_data.data, r->head_data.len, err) < 0 ||
	    pvf_scale_write_bool(&w, r->has_new_validation_code, err) < 0)
		goto fail;
	if (r->has_new_validation_code &&
	    pvf_scale_write_vec_u8(&w, r->new_validation_code.data, r->new_validation_code.len,
				   err) < 0)
		goto fail;
	if (pvf_scale_write_compact(&w, r->n_upward_messages, err) < 0)
		goto fail;
	for (size_t i = 0; i < r->n_upward_messages; i++)
		if (pvf_scale_write_vec_u8(&w, r->upward_messages[i].data,
					   r->upward_messages[i].len, err) < 0)
			goto fail;
	if (pvf_scale_write_compact(&w, r->n_horizontal_messages, err) < 0)
		goto fail;
	for (size_t i = 0; i < r->n_horizontal_messages; i++) {
		const pvf_hrmp_message *m = &r->horizontal_messages[i];
		if (pvf_scale_write_u32(&w, m->recipient, err) < 0 ||
		    pvf_scale_write_vec_u8(&w, m->data.data, m->data.len, err) < 0)
			goto fail;
	}
	if (pvf_scale_write_u32(&w, r->processed_downward_messages, err) < 0 ||
	    pvf_scale_write_u32(&w, r->hrmp_watermark, err) < 0)
		goto fail;
	*ret_buf = pvf_scale_writer_take(&w, ret_len);
	return 0;
fail:
	pvf_scale_writer_free(&w);
	pvf_error_prefix(err, "encoding ValidationResult");
	return -1;
}

static void *alloc_array(size_t n, size_t size, pvf_error *err)
{
	size_t bytes;
	void *p;

	if (n == 0)
		return NULL;
	if (__builtin_mul_overflow(n, size, &bytes)) {
		pvf_error_set(err, PVF_E_NOMEM, "array of %zu x %zu bytes overflows", n, size);
		return NULL;
	}
	p = calloc(1, bytes);
	if (!p)
		pvf_error_set(err, PVF_E_NOMEM, "out of memory allocating %zu bytes", bytes);
	return p;
}

static int result_decode(const uint8_t *buf, size_t len, pvf_validation_result *ret, size_t *consumed,
			 pvf_error *err)
{
	pvf_validation_result v;
	pvf_scale_reader r;
	char field[FIELD_NAME_MAX];
	size_t n = 0;

	memset(&v, 0, sizeof(v));
	if (!buf && len)
		return pvf_error_set(err, PVF_E_BAD_RESULT, "ValidationResult: NULL input of %zu bytes",
				     len);
	uint8_t *copy = copy_input(buf, len, err);
	if (!copy)
		return -1;
	v.storage_ = copy;
	pvf_scale_reader_init(&r, copy, len, PVF_E_BAD_RESULT, "head_data");

	if (read_bytes_field(&r, "head_data", &v.head_data, err) < 0)
		goto fail;
	r.what = "new_validation_code";
	if (pvf_scale_read_option(&r, &v.has_new_validation_code, err) < 0)
		goto fail;
	if (v.has_new_validation_code &&
	    read_bytes_field(&r, "new_validation_code", &v.new_validation_code, err) < 0)
		goto fail;

	r.what = "upward_messages";
	if (pvf_scale_read_vec_len(&r, UPWARD_ITEM_MIN_BYTES, PVF_MAX_UPWARD_MESSAGE_NUM, &n,
				   err) < 0)
		goto fail;
	if (n) {
		v.upward_messages = alloc_array(n, sizeof(*v.upward_messages), err);
		if (!v.upward_messages)
			goto fail_nomem;
	}
	v.n_upward_messages = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "upward_messages[%zu]", i);
		if (read_bytes_field(&r, field, &v.upward_messages[i], err) < 0)
			goto fail;
	}

	r.what = "horizontal_messages";
	if (pvf_scale_read_vec_len(&r, HORIZONTAL_ITEM_MIN_BYTES, PVF_MAX_HORIZONTAL_MESSAGE_NUM,
				   &n, err) < 0)
		goto fail;
	if (n) {
		v.horizontal_messages = alloc_array(n, sizeof(*v.horizontal_messages), err);
		if (!v.horizontal_messages)
			goto fail_nomem;
	}
	v.n_horizontal_messages = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "horizontal_messages[%zu].recipient", i);
		r.what = field;
		if (pvf_scale_read_u32(&r, &v.horizontal_messages[i].recipient, err) < 0)
			goto fail;
		snprintf(field, sizeof(field), "horizontal_messages[%zu].data", i);
		if (read_bytes_field(&r, field, &v.horizontal_messages[i].data, err) < 0)
			goto fail;
	}

	r.what = "processed_downward_messages";
	if (pvf_scale_read_u32(&r, &v.processed_downward_messages, err) < 0)
		goto fail;
	r.what = "hrmp_watermark";
	if (pvf_scale_read_u32(&r, &v.hrmp_watermark, err) < 0)
		goto fail;
	r.what = "end of ValidationResult";
	if (consumed)
		*consumed = r.pos;
	else if (pvf_scale_expect_end(&r, err) < 0)
		goto fail;
	*ret = v;
	return 0;
fail:
	pvf_error_prefix(err, "ValidationResult");
fail_nomem:
	pvf_validation_result_free(&v);
	return -1;
}

int pvf_validation_result_decode(const uint8_t *buf, size_t len, pvf_validation_result *ret,
				 pvf_error *err)
{
	return result_decode(buf, len, ret, NULL, err);
}

int pvf_validation_result_decode_prefix(const uint8_t *buf, size_t len, pvf_validation_result *ret,
					size_t *consumed, pvf_error *err)
{
	size_t n = 0;
	int r = result_decode(buf, len, ret, &n, err);

	if (r == 0 && consumed)
		*consumed = n;
	return r;
}

void pvf_validation_result_free(pvf_validation_result *r)
{
	if (!r)
		return;
	if (r->storage_) {
		free(r->upward_messages);
		free(r->horizontal_messages);
		free(r->storage_);
	}
	memset(r, 0, sizeof(*r));
}

/* ---- JSON --------------------------------------------------------------- */

typedef struct json_buf {
	char *s;
	size_t len;
	size_t cap;
	bool failed;
} json_buf;

static void jb_reserve(json_buf *b, size_t n)
{
	size_t need;

	if (b->failed)
		return;
	if (__builtin_add_overflow(b->len, n, &need) ||
	    __builtin_add_overflow(need, (size_t)1, &need)) {
		b->failed = true;
		return;
	}
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	char *s = realloc(b->s, cap);
	if (!s) {
		b->failed = true;
		return;
	}
	b->s = s;
	b->cap = cap;
}

static void jb_puts(json_buf *b, const char *str)
{
	size_t n = strlen(str);

	jb_reserve(b, n);
	if (b->failed)
		return;
	memcpy(b->s + b->len, str, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void jb_u32(json_buf *b, uint32_t v)
{
	char tmp[16];

	snprintf(tmp, sizeof(tmp), "%" PRIu32, v);
	jb_puts(b, tmp);
}

static void jb_hex(json_buf *b, pvf_bytes bytes)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 0;

	if (__builtin_mul_overflow(bytes.len, (size_t)2, &n) ||
	    __builtin_add_overflow(n, (size_t)4, &n)) {
		b->failed = true;
		return;
	}
	jb_reserve(b, n);
	if (b->failed)
		return;
	char *o = b->s + b->len;
	*o++ = '"';
	*o++ = '0';
	*o++ = 'x';
	for (size_t i = 0; i < bytes.len; i++) {
		*o++ = digits[bytes.data[i] >> 4];
		*o++ = digits[bytes.data[i] & 15];
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->s);
}

char *pvf_validation_result_to_json(const pvf_validation_result *r)
{
	json_buf b = { 0 };

	jb_puts(&b, "{\"head_data\":");
	jb_hex(&b, r->head_data);
	jb_puts(&b, ",\"new_validation_code\":");
	if (r->has_new_validation_code)
		jb_hex(&b, r->new_validation_code);
	else
		jb_puts(&b, "null");
	jb_puts(&b, ",\"upward_messages\":[");
	for (size_t i = 0; i < r->n_upward_messages; i++) {
		if (i)
			jb_puts(&b, ",");
		jb_hex(&b, r->upward_messages[i]);
	}
	jb_puts(&b, "],\"horizontal_messages\":[");
	for (size_t i = 0; i < r->n_horizontal_messages; i++) {
		jb_puts(&b, i ? ",{\"recipient\":" : "{\"recipient\":");
		jb_u32(&b, r->horizontal_messages[i].recipient);
		jb_puts(&b, ",\"data\":");
		jb_hex(&b, r->horizontal_messages[i].data);
		jb_puts(&b, "}");
	}
	jb_puts(&b, "],\"processed_downward_messages\":");
	jb_u32(&b, r->processed_downward_messages);
	jb_puts(&b, ",\"hrmp_watermark\":");
	jb_u32(&b, r->hrmp_watermark);
	jb_puts(&b, "}");
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
