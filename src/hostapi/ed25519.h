/*
 * ed25519.h — Ed25519 signature verification with Substrate's rules.
 *
 * Backs ext_crypto_ed25519_verify_version_1 (and the deprecated
 * ext_crypto_ed25519_batch_verify_version_1, which verifies immediately).
 * Substrate's sp_core::ed25519::Pair::verify uses ed25519-zebra 4.x, which
 * implements the ZIP-215 validation rules (zips.z.cash/zip-0215):
 *
 *   - A (public key) and R (first half of the signature) are decoded as
 *     curve25519-dalek's CompressedEdwardsY::decompress does: the sign bit is
 *     bit 255, the y-coordinate is the low 255 bits *without* a canonicity
 *     check (y >= p is accepted and reduced), x = 0 with the sign bit set is
 *     accepted; an encoding that is not on the curve is rejected. Small-order
 *     points are accepted.
 *   - s (second half) must be canonical: s < L = 2^252 + 27742317777372353535851937790883648493,
 *     otherwise reject.
 *   - k = SHA-512(R_bytes || A_bytes || M) mod L over the *original* bytes.
 *   - accept iff [8]([s]B - [k]A - R) is the identity (cofactored equation).
 *
 * This differs from libsodium's crypto_sign_verify_detached, which rejects
 * non-canonical and small-order points and checks [s]B = R + [k]A exactly.
 * (A host that registers sp-io's UseDalekExt extension verifies with
 * ed25519-dalek instead; Polkadot's PVF execution does not.)
 */
#ifndef PVF_HOSTAPI_ED25519_H
#define PVF_HOSTAPI_ED25519_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PVF_ED25519_SIGNATURE_LEN 64
#define PVF_ED25519_PUBLIC_LEN 32

/* True iff `sig` is a valid ZIP-215 signature of msg[0..len) under `pub`.
 * `msg` may be NULL when len is 0. Never fails otherwise. */
bool pvf_ed25519_verify(const uint8_t sig[PVF_ED25519_SIGNATURE_LEN], const uint8_t *msg,
			size_t len, const uint8_t pub[PVF_ED25519_PUBLIC_LEN]);

#endif
