/*
 * sr25519.h — schnorrkel (sr25519) signature verification as Substrate does it.
 *
 * Signatures are Schnorr signatures over Ristretto255 with merlin transcripts
 * (w3f/schnorrkel), signing context "substrate" (sp_core::sr25519 SIGNING_CTX).
 * A 64-byte signature is R (32, compressed Ristretto) || s (32, scalar, with
 * bit 7 of byte 63 as the "schnorrkel" marker). The public key is a
 * compressed Ristretto point that must decompress (canonical, valid).
 *
 * pvf_sr25519_verify — ext_crypto_sr25519_verify_version_2
 *   (sp_core::sr25519::Pair::verify -> PublicKey::verify_simple):
 *   marker required (byte 63 & 0x80), then cleared; s must be < l;
 *   t = merlin("SigningContext"); t.append("", "substrate");
 *   t.append("sign-bytes", msg); t.append("proto-name", "Schnorr-sig");
 *   t.append("sign:pk", pub); t.append("sign:R", R);
 *   k = challenge("sign:c", 64 bytes) mod l;
 *   accept iff compress(k*(-A) + s*B) == R (byte comparison; R itself is
 *   never decompressed).
 *
 * pvf_sr25519_verify_deprecated — ext_crypto_sr25519_verify_version_1
 *   (sp_core::sr25519::Pair::verify_deprecated ->
 *   PublicKey::verify_simple_preaudit_deprecated, schnorrkel 0.1.1 compat):
 *   if the signature parses as above (marker set, s < l) the result is
 *   exactly version 2's. Otherwise the marker is forced on and the signature
 *   re-parsed (s must still be < l), and verified with the old transcript:
 *   t = merlin("substrate"); t.append("sign-bytes", msg);
 *   t.append("proto-name", "Schnorr-sig"); t.append("pk", pub);
 *   t.append("no", R); k = challenge("", 64 bytes) mod l; same equation.
 *
 * ext_crypto_sr25519_batch_verify_version_1 behaves as version 2.
 */
#ifndef PVF_HOSTAPI_SR25519_H
#define PVF_HOSTAPI_SR25519_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PVF_SR25519_SIGNATURE_LEN 64
#define PVF_SR25519_PUBLIC_LEN 32

/* `msg` may be NULL when len is 0. Messages longer than 2^32 - 1 bytes
 * (impossible from wasm32) are rejected, as the transcript cannot encode them. */
bool pvf_sr25519_verify(const uint8_t sig[PVF_SR25519_SIGNATURE_LEN], const uint8_t *msg,
			size_t len, const uint8_t pub[PVF_SR25519_PUBLIC_LEN]);
bool pvf_sr25519_verify_deprecated(const uint8_t sig[PVF_SR25519_SIGNATURE_LEN],
				   const uint8_t *msg, size_t len,
				   const uint8_t pub[PVF_SR25519_PUBLIC_LEN]);

#endif
