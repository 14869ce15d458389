/*
 * sr25519.c — schnorrkel signature verification (rules in sr25519.h).
 *
 * Ristretto255 arithmetic is libsodium's (crypto_core_ristretto255_*,
 * crypto_scalarmult_ristretto255*), whose encoding/decoding is the same
 * RFC 9496 Ristretto as curve25519-dalek's. Two libsodium conventions need
 * care: the scalar multiplications return -1 when the *result* is the
 * identity (writing the all-zero identity encoding, which we then use), and
 * crypto_scalarmult_ristretto255 clears bit 255 of the scalar, harmless here
 * because every scalar is reduced below l < 2^253 first.
 *
 *   parse(sig) -> (R bytes, s)           parse_sig (marker, s < l)
 *   transcript -> k = wide challenge mod l
 *   check: encode(s*B - k*A) == R bytes  equation_holds
 */
#include "hostapi/sr25519.h"

#include <string.h>

#include <sodium.h>

#include "hostapi/merlin.h"

/* The prime order l of the Ristretto group, little-endian. */
static const uint8_t ORDER_L[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* sp_core::sr25519 SIGNING_CTX */
static const uint8_t SIGNING_CTX[] = "substrate";

#define LBL(s) (const uint8_t *)(s), (sizeof(s) - 1)

static bool scalar_is_canonical(const uint8_t s[32])
{
	for (int i = 31; i >= 0; i--) {
		if (s[i] != ORDER_L[i])
			return s[i] < ORDER_L[i];
	}
	return false;
}

/* schnorrkel Signature::from_bytes: marker bit required, then cleared;
 * s must be canonical (check_scalar). */
static bool parse_sig(const uint8_t sig[64], uint8_t s_out[32])
{
	if ((sig[63] & 0x80) == 0)
		return false;
	memcpy(s_out, sig + 32, 32);
	s_out[31] &= 0x7f;
	return scalar_is_canonical(s_out);
}

/* compress(s*B - k*A) == R, with `pub` already known to be a valid point. */
static bool equation_holds(const uint8_t R[32], const uint8_t s[32], const uint8_t k[32],
			   const uint8_t pub[32])
{
	uint8_t sB[32], kA[32], Rp[32];

	if (crypto_scalarmult_ristretto255_base(sB, s) != 0)
		memset(sB, 0, sizeof sB); /* s = 0: the identity */
	if (crypto_scalarmult_ristretto255(kA, k, pub) != 0)
		memset(kA, 0, sizeof kA); /* result is the identity (k = 0 or A = 0) */
	if (crypto_core_ristretto255_sub(Rp, sB, kA) != 0)
		return false; /* cannot happen: both are valid encodings */
	return sodium_memcmp(Rp, R, 32) == 0;
}

/* k = challenge_scalar(label): 64 challenge bytes reduced mod l
 * (Scalar::from_bytes_mod_order_wide). */
static bool challenge_scalar(pvf_merlin *t, const uint8_t *label, size_t label_len,
			     uint8_t k[32])
{
	uint8_t wide[64];

	if (pvf_merlin_challenge_bytes(t, label, label_len, wide, sizeof wide, NULL) < 0)
		return false;
	crypto_core_ristretto255_scalar_reduce(k, wide);
	return true;
}

static const uint8_t *nonnull(const uint8_t *msg, size_t len)
{
	static const uint8_t empty[1];

	return (msg == NULL || len == 0) ? empty : msg;
}

/* PublicKey::verify on SigningContext("substrate").bytes(msg). */
static bool verify_v2(const uint8_t sig[64], const uint8_t *msg, size_t len,
		      const uint8_t pub[32], const uint8_t s[32])
{
	pvf_merlin t;
	uint8_t k[32];

	if (pvf_merlin_init(&t, LBL("SigningContext"), NULL) < 0 ||
	    pvf_merlin_append_message(&t, LBL(""), LBL(SIGNING_CTX), NULL) < 0 ||
	    pvf_merlin_append_message(&t, LBL("sign-bytes"), nonnull(msg, len), len, NULL) < 0 ||
	    pvf_merlin_append_message(&t, LBL("proto-name"), LBL("Schnorr-sig"), NULL) < 0 ||
	    pvf_merlin_append_message(&t, LBL("sign:pk"), pub, 32, NULL) < 0 ||
	    pvf_merlin_append_message(&t, LBL("sign:R"), sig, 32, NULL) < 0 ||
	    !challenge_scalar(&t, LBL("sign:c"), k))
		return false;
	return equation_holds(sig, s, k, pub);
}

/* The schnorrkel 0.1.1 transcript of verify_simple_preaudit_deprecated. */
static bool verify_legacy(const uint8_t sig[64], const uint8_t *msg, size_t len,
			  const uint8_t pub[32], const uint8_t s[32])
{
	pvf_merlin t;
	uint8_t k[32];

	if (pvf_merlin_init(&t, LBL(SIGNING_CTX), NULL) < 0 ||
	    pvf_merlin_append_message(&t, LBL("sign-bytes"), nonnull(msg, len), len, NULL) < 0 ||
	    pvf_merlin_append_message(&t, LBL("proto-name"), LBL("Schnorr-sig"), NULL) < 0 ||
	    pvf_merlin_append_message(&t, LBL("pk"), pub, 32, NULL) < 0 ||
	    pvf_merlin_append_message(&t, LBL("no"), sig, 32, NULL) < 0 ||
	    !challenge_scalar(&t, LBL(""), k))
		return false;
	return equation_holds(sig, s, k, pub);
}

bool pvf_sr25519_verify(const uint8_t sig[PVF_SR25519_SIGNATURE_LEN], const uint8_t *msg,
			size_t len, const uint8_t pub[PVF_SR25519_PUBLIC_LEN])
{
	uint8_t s[32];

	if (!parse_sig(sig, s))
		return false;
	if (!crypto_core_ristretto255_is_valid_point(pub))
		return false;
	return verify_v2(sig, msg, len, pub, s);
}

bool pvf_sr25519_verify_deprecated(const uint8_t sig[PVF_SR25519_SIGNATURE_LEN],
				   const uint8_t *msg, size_t len,
				   const uint8_t pub[PVF_SR25519_PUBLIC_LEN])
{
	uint8_t s[32], marked[64];

	if (!crypto_core_ristretto255_is_valid_point(pub))
		return false;
	if (parse_sig(sig, s))
		return verify_v2(sig, msg, len, pub, s);
	/* Signature::from_bytes_not_distinguished_from_ed25519 */
	memcpy(marked, sig, sizeof marked);
	marked[63] |= 0x80;
	if (!parse_sig(marked, s))
		return false;
	return verify_legacy(marked, msg, len, pub, s);
}
