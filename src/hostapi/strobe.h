/*
 * strobe.h — the subset of STROBE-128 (strobe.sourceforge.io, v1.0.2) that
 * merlin transcripts use, bit-compatible with the `merlin` crate's strobe.rs.
 *
 * Keccak-f[1600] state of 200 bytes, security 128 => rate R = 166 bytes
 * (200 - 2*128/8 - 2). Only four operations exist, all in the
 * "transcript" direction (no T flag, so no I/O role bookkeeping):
 *
 *   meta_ad  flags M|A    absorb
 *   ad       flags A      absorb
 *   prf      flags I|A|C  squeeze (output bytes, state bytes zeroed)
 *   key      flags A|C    overwrite
 *
 * `more` continues the previous operation (same flags) without a new
 * operation header; callers must only pass more=true right after an
 * operation with the same flags (merlin does; this module does not check).
 *
 * Internal to the host API (pvf__ prefix): used by merlin.c.
 */
#ifndef PVF_HOSTAPI_STROBE_H
#define PVF_HOSTAPI_STROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostapi/hashing.h"

#define PVF__STROBE_R 166

typedef struct pvf__strobe128 {
	uint8_t state[PVF_KECCAK_STATE_LEN];
	uint8_t pos;
	uint8_t pos_begin;
	uint8_t cur_flags;
} pvf__strobe128;

/* Initialises with the STROBE v1.0.2 domain string, then meta-ADs `label`. */
void pvf__strobe128_init(pvf__strobe128 *s, const uint8_t *label, size_t len);
void pvf__strobe128_meta_ad(pvf__strobe128 *s, const uint8_t *data, size_t len, bool more);
void pvf__strobe128_ad(pvf__strobe128 *s, const uint8_t *data, size_t len, bool more);
void pvf__strobe128_prf(pvf__strobe128 *s, uint8_t *out, size_t len, bool more);
void pvf__strobe128_key(pvf__strobe128 *s, const uint8_t *data, size_t len, bool more);

#endif
