/*
 * merlin.h — Merlin transcripts (merlin.cool, the `merlin` crate 3.x),
 * bit-compatible, on top of STROBE-128 (strobe.h).
 *
 *   new(label):               strobe = STROBE-128("Merlin v1.0");
 *                             append_message("dom-sep", label)
 *   append_message(l, m):     meta_ad(l); meta_ad(LE32(len m), more); ad(m)
 *   append_u64(l, x):         append_message(l, LE64(x))
 *   challenge_bytes(l, out):  meta_ad(l); meta_ad(LE32(len out), more); prf(out)
 *
 * Lengths are encoded as u32; the crate panics above 2^32 - 1, these
 * functions return -1 (PVF_E_USAGE) instead and leave the transcript
 * unchanged. Used by sr25519 verification (schnorrkel signing transcripts).
 */
#ifndef PVF_HOSTAPI_MERLIN_H
#define PVF_HOSTAPI_MERLIN_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "hostapi/strobe.h"

typedef struct pvf_merlin {
	pvf__strobe128 strobe;
} pvf_merlin;

/* Labels are arbitrary bytes (the crate uses &'static [u8]). */
int pvf_merlin_init(pvf_merlin *t, const uint8_t *label, size_t label_len, pvf_error *err);
int pvf_merlin_append_message(pvf_merlin *t, const uint8_t *label, size_t label_len,
			      const uint8_t *msg, size_t msg_len, pvf_error *err);
int pvf_merlin_append_u64(pvf_merlin *t, const uint8_t *label, size_t label_len, uint64_t x,
			  pvf_error *err);
int pvf_merlin_challenge_bytes(pvf_merlin *t, const uint8_t *label, size_t label_len,
			       uint8_t *out, size_t out_len, pvf_error *err);

#endif
