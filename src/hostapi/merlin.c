/*
 * merlin.c — Merlin transcripts over STROBE-128 (see merlin.h for the exact
 * byte-level construction, which follows the `merlin` crate's transcript.rs).
 */
#include "hostapi/merlin.h"

static const uint8_t MERLIN_PROTOCOL_LABEL[] = "Merlin v1.0";
static const uint8_t DOM_SEP[] = "dom-sep";

/* The crate encodes every length as a little-endian u32. */
#define MERLIN_MAX_LEN UINT32_MAX

static void le32(uint8_t out[4], size_t v)
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

int pvf_merlin_init(pvf_merlin *t, const uint8_t *label, size_t label_len, pvf_error *err)
{
	if (label_len > MERLIN_MAX_LEN)
		return pvf_error_set(err, PVF_E_USAGE, "merlin label of %zu bytes", label_len);
	pvf__strobe128_init(&t->strobe, MERLIN_PROTOCOL_LABEL, sizeof MERLIN_PROTOCOL_LABEL - 1);
	return pvf_merlin_append_message(t, DOM_SEP, sizeof DOM_SEP - 1, label, label_len, err);
}

int pvf_merlin_append_message(pvf_merlin *t, const uint8_t *label, size_t label_len,
			      const uint8_t *msg, size_t msg_len, pvf_error *err)
{
	uint8_t len_le[4];

	if (msg_len > MERLIN_MAX_LEN)
		return pvf_error_set(err, PVF_E_USAGE, "merlin message of %zu bytes", msg_len);
	le32(len_le, msg_len);
	pvf__strobe128_meta_ad(&t->strobe, label, label_len, false);
	pvf__strobe128_meta_ad(&t->strobe, len_le, sizeof len_le, true);
	pvf__strobe128_ad(&t->strobe, msg, msg_len, false);
	return 0;
}

int pvf_merlin_append_u64(pvf_merlin *t, const uint8_t *label, size_t label_len, uint64_t x,
			  pvf_error *err)
{
	uint8_t buf[8];

	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(x >> (8 * i));
	return pvf_merlin_append_message(t, label, label_len, buf, sizeof buf, err);
}

int pvf_merlin_challenge_bytes(pvf_merlin *t, const uint8_t *label, size_t label_len,
			       uint8_t *out, size_t out_len, pvf_error *err)
{
	uint8_t len_le[4];

	if (out_len > MERLIN_MAX_LEN)
		return pvf_error_set(err, PVF_E_USAGE, "merlin challenge of %zu bytes", out_len);
	le32(len_le, out_len);
	pvf__strobe128_meta_ad(&t->strobe, label, label_len, false);
	pvf__strobe128_meta_ad(&t->strobe, len_le, sizeof len_le, true);
	pvf__strobe128_prf(&t->strobe, out, out_len, false);
	return 0;
}
