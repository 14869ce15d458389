/*
 * strobe.c — STROBE-128 as used by merlin (see strobe.h).
 *
 * State machine per byte position `pos` in [0, R): absorb XORs a byte in,
 * squeeze reads it out and zeroes it, overwrite replaces it; reaching pos = R
 * runs F:
 *
 *   run_f:  state[pos] ^= pos_begin; state[pos+1] ^= 0x04; state[R+1] ^= 0x80;
 *           Keccak-f[1600]; pos = pos_begin = 0
 *
 * An operation begins (begin_op) by absorbing [old pos_begin, flags],
 * setting pos_begin = pos + 1 first; operations with the C or K flag force F
 * first unless pos is already 0. pos never exceeds R - 1 between calls, so
 * state[pos + 1] and state[R + 1] are inside the 200-byte state.
 */
#include "hostapi/strobe.h"

#include <string.h>

#define FLAG_I (1u << 0)
#define FLAG_A (1u << 1)
#define FLAG_C (1u << 2)
#define FLAG_T (1u << 3)
#define FLAG_M (1u << 4)
#define FLAG_K (1u << 5)

static const char STROBE_VERSION[] = "STROBEv1.0.2";

static void run_f(pvf__strobe128 *s)
{
	s->state[s->pos] ^= s->pos_begin;
	s->state[s->pos + 1] ^= 0x04;
	s->state[PVF__STROBE_R + 1] ^= 0x80;
	pvf__keccak_f1600(s->state);
	s->pos = 0;
	s->pos_begin = 0;
}

static void advance(pvf__strobe128 *s)
{
	s->pos++;
	if (s->pos == PVF__STROBE_R)
		run_f(s);
}

static void absorb(pvf__strobe128 *s, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		s->state[s->pos] ^= data[i];
		advance(s);
	}
}

static void overwrite(pvf__strobe128 *s, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		s->state[s->pos] = data[i];
		advance(s);
	}
}

static void squeeze(pvf__strobe128 *s, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		out[i] = s->state[s->pos];
		s->state[s->pos] = 0;
		advance(s);
	}
}

static void begin_op(pvf__strobe128 *s, uint8_t flags, bool more)
{
	if (more)
		return; /* continuing the current operation (same flags) */

	uint8_t hdr[2] = { s->pos_begin, flags };

	s->pos_begin = (uint8_t)(s->pos + 1);
	s->cur_flags = flags;
	absorb(s, hdr, sizeof hdr);
	if ((flags & (FLAG_C | FLAG_K)) != 0 && s->pos != 0)
		run_f(s);
}

void pvf__strobe128_init(pvf__strobe128 *s, const uint8_t *label, size_t len)
{
	memset(s, 0, sizeof *s);
	/* Domain block: [1, R+2, 1, 0, 1, 12*8] || "STROBEv1.0.2", then F. */
	s->state[0] = 1;
	s->state[1] = PVF__STROBE_R + 2;
	s->state[2] = 1;
	s->state[3] = 0;
	s->state[4] = 1;
	s->state[5] = 96;
	memcpy(s->state + 6, STROBE_VERSION, sizeof STROBE_VERSION - 1);
	pvf__keccak_f1600(s->state);
	pvf__strobe128_meta_ad(s, label, len, false);
}

void pvf__strobe128_meta_ad(pvf__strobe128 *s, const uint8_t *data, size_t len, bool more)
{
	begin_op(s, FLAG_M | FLAG_A, more);
	absorb(s, data, len);
}

void pvf__strobe128_ad(pvf__strobe128 *s, const uint8_t *data, size_t len, bool more)
{
	begin_op(s, FLAG_A, more);
	absorb(s, data, len);
}

void pvf__strobe128_prf(pvf__strobe128 *s, uint8_t *out, size_t len, bool more)
{
	begin_op(s, FLAG_I | FLAG_A | FLAG_C, more);
	squeeze(s, out, len);
}

void pvf__strobe128_key(pvf__strobe128 *s, const uint8_t *data, size_t len, bool more)
{
	begin_op(s, FLAG_A | FLAG_C, more);
	overwrite(s, data, len);
}
