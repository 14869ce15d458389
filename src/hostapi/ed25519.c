/*
 * ed25519.c — ZIP-215 Ed25519 verification (see ed25519.h for the rules).
 *
 * libsodium's point API cannot be used for the curve arithmetic: its
 * decoders reject non-canonical encodings and its scalar multiplications
 * reject small-order points and identity results, all of which ZIP-215 must
 * accept. So this file carries a small, variable-time (verification only
 * handles public data) implementation:
 *
 *   field    GF(2^255 - 19), five 51-bit limbs, products in unsigned __int128.
 *            Limbs stay below 2^52 between operations (every add/sub/mul
 *            ends with a carry pass); fe_tobytes fully reduces.
 *   curve    twisted Edwards -x^2 + y^2 = 1 + d x^2 y^2, extended coordinates
 *            (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z. Addition uses the unified
 *            formula of Hisil-Wong-Carter-Dawson 2008 ("add-2008-hwcd-3"),
 *            which is complete for a = -1 and non-square d, so doubling is
 *            addition and small-order points need no special cases.
 *   scalars  32-byte little-endian; plain double-and-add.
 *
 * SHA-512 and the reduction of the 64-byte hash mod L come from libsodium
 * (crypto_hash_sha512, crypto_core_ed25519_scalar_reduce), which are plain
 * hash/scalar functions without point validation.
 */
#include "hostapi/ed25519.h"

#include <string.h>

#include <sodium.h>

typedef unsigned __int128 u128;

#define MASK51 ((UINT64_C(1) << 51) - 1)

typedef struct fe {
	uint64_t v[5];
} fe;

typedef struct ge {
	fe X, Y, Z, T;
} ge;

/* Curve constants derived at run time from their definitions (cheaper to
 * trust than hand-copied limbs): d = -121665/121666, 2d, sqrt(-1) = 2^((p-1)/4). */
typedef struct curve_consts {
	fe d, d2, sqrtm1;
	ge base;
} curve_consts;

/* Exponents, little-endian. */
static const uint8_t EXP_P_MINUS_2[32] = {
	0xeb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
};
/* (p - 5) / 8 = 2^252 - 3 */
static const uint8_t EXP_P_MINUS_5_DIV_8[32] = {
	0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f,
};
/* (p - 1) / 4 = 2^253 - 5 */
static const uint8_t EXP_P_MINUS_1_DIV_4[32] = {
	0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f,
};
/* The group order L = 2^252 + 27742317777372353535851937790883648493, LE. */
static const uint8_t ORDER_L[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};
/* The standard base point B, y = 4/5, x even (RFC 8032 section 5.1). */
static const uint8_t BASE_ENCODING[32] = {
	0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
};

/* ---- field ---------------------------------------------------------- */

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void store_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fe_set_small(fe *h, uint64_t x)
{
	memset(h, 0, sizeof *h);
	h->v[0] = x;
}

/* Bits 0..254 of s; bit 255 is ignored and no reduction happens (values in
 * [p, 2^255) are valid inputs to the arithmetic). */
static void fe_frombytes(fe *h, const uint8_t s[32])
{
	uint64_t w0 = load_le64(s), w1 = load_le64(s + 8), w2 = load_le64(s + 16),
		 w3 = load_le64(s + 24);

	h->v[0] = w0 & MASK51;
	h->v[1] = ((w0 >> 51) | (w1 << 13)) & MASK51;
	h->v[2] = ((w1 >> 38) | (w2 << 26)) & MASK51;
	h->v[3] = ((w2 >> 25) | (w3 << 39)) & MASK51;
	h->v[4] = (w3 >> 12) & MASK51;
}

static void fe_carry(fe *h)
{
	uint64_t c;

	for (int i = 0; i < 4; i++) {
		c = h->v[i] >> 51;
		h->v[i] &= MASK51;
		h->v[i + 1] += c;
	}
	c = h->v[4] >> 51;
	h->v[4] &= MASK51;
	h->v[0] += 19 * c;
	c = h->v[0] >> 51;
	h->v[0] &= MASK51;
	h->v[1] += c;
}

/* Canonical 32-byte encoding (value reduced mod p, bit 255 clear). */
static void fe_tobytes(uint8_t s[32], const fe *f)
{
	fe h = *f;
	uint64_t q;

	fe_carry(&h);
	fe_carry(&h);
	/* q = floor((h + 19) / 2^255), 0 or 1 since h < 2p. */
	q = (h.v[0] + 19) >> 51;
	for (int i = 1; i < 5; i++)
		q = (h.v[i] + q) >> 51;
	/* h - q*p = h + 19q - q*2^255 */
	h.v[0] += 19 * q;
	for (int i = 0; i < 4; i++) {
		h.v[i + 1] += h.v[i] >> 51;
		h.v[i] &= MASK51;
	}
	h.v[4] &= MASK51;
	store_le64(s, h.v[0] | (h.v[1] << 51));
	store_le64(s + 8, (h.v[1] >> 13) | (h.v[2] << 38));
	store_le64(s + 16, (h.v[2] >> 26) | (h.v[3] << 25));
	store_le64(s + 24, (h.v[3] >> 39) | (h.v[4] << 12));
}

static void fe_add(fe *h, const fe *f, const fe *g)
{
	for (int i = 0; i < 5; i++)
		h->v[i] = f->v[i] + g->v[i];
	fe_carry(h);
}

/* f - g computed as f + 4p - g; with limbs below 2^52 nothing underflows. */
static void fe_sub(fe *h, const fe *f, const fe *g)
{
	h->v[0] = f->v[0] + 4 * (MASK51 - 18) - g->v[0];
	for (int i = 1; i < 5; i++)
		h->v[i] = f->v[i] + 4 * MASK51 - g->v[i];
	fe_carry(h);
}

static void fe_neg(fe *h, const fe *f)
{
	fe zero;

	fe_set_small(&zero, 0);
	fe_sub(h, &zero, f);
}

static void fe_mul(fe *h, const fe *f, const fe *g)
{
	const uint64_t *a = f->v, *b = g->v;
	uint64_t b1_19 = 19 * b[1], b2_19 = 19 * b[2], b3_19 = 19 * b[3], b4_19 = 19 * b[4];
	u128 r[5];

	r[0] = (u128)a[0] * b[0] + (u128)a[1] * b4_19 + (u128)a[2] * b3_19 +
	       (u128)a[3] * b2_19 + (u128)a[4] * b1_19;
	r[1] = (u128)a[0] * b[1] + (u128)a[1] * b[0] + (u128)a[2] * b4_19 +
	       (u128)a[3] * b3_19 + (u128)a[4] * b2_19;
	r[2] = (u128)a[0] * b[2] + (u128)a[1] * b[1] + (u128)a[2] * b[0] +
	       (u128)a[3] * b4_19 + (u128)a[4] * b3_19;
	r[3] = (u128)a[0] * b[3] + (u128)a[1] * b[2] + (u128)a[2] * b[1] +
	       (u128)a[3] * b[0] + (u128)a[4] * b4_19;
	r[4] = (u128)a[0] * b[4] + (u128)a[1] * b[3] + (u128)a[2] * b[2] +
	       (u128)a[3] * b[1] + (u128)a[4] * b[0];
	for (int i = 0; i < 4; i++) {
		r[i + 1] += r[i] >> 51;
		r[i] &= MASK51;
	}
	r[0] += (r[4] >> 51) * 19;
	r[4] &= MASK51;
	r[1] += r[0] >> 51;
	r[0] &= MASK51;
	for (int i = 0; i < 5; i++)
		h->v[i] = (uint64_t)r[i];
	fe_carry(h);
}

static void fe_sq(fe *h, const fe *f)
{
	fe_mul(h, f, f);
}

/* f^e for a 256-bit little-endian exponent (variable time). */
static void fe_pow(fe *h, const fe *f, const uint8_t e[32])
{
	fe acc, base = *f;

	fe_set_small(&acc, 1);
	for (int i = 255; i >= 0; i--) {
		fe_sq(&acc, &acc);
		if ((e[i >> 3] >> (i & 7)) & 1)
			fe_mul(&acc, &acc, &base);
	}
	*h = acc;
}

static bool fe_iszero(const fe *f)
{
	uint8_t s[32];
	static const uint8_t zero[32];

	fe_tobytes(s, f);
	return memcmp(s, zero, 32) == 0;
}

static bool fe_eq(const fe *f, const fe *g)
{
	fe t;

	fe_sub(&t, f, g);
	return fe_iszero(&t);
}

/* "Negative" = odd canonical representative (RFC 8032). */
static bool fe_isneg(const fe *f)
{
	uint8_t s[32];

	fe_tobytes(s, f);
	return s[0] & 1;
}

/* ---- points --------------------------------------------------------- */

static void ge_identity(ge *p)
{
	fe_set_small(&p->X, 0);
	fe_set_small(&p->Y, 1);
	fe_set_small(&p->Z, 1);
	fe_set_small(&p->T, 0);
}

static void ge_add(ge *r, const ge *p, const ge *q, const curve_consts *k)
{
	fe a, b, c, d, e, f, g, h, t1, t2;

	fe_sub(&t1, &p->Y, &p->X);
	fe_sub(&t2, &q->Y, &q->X);
	fe_mul(&a, &t1, &t2);
	fe_add(&t1, &p->Y, &p->X);
	fe_add(&t2, &q->Y, &q->X);
	fe_mul(&b, &t1, &t2);
	fe_mul(&c, &p->T, &q->T);
	fe_mul(&c, &c, &k->d2);
	fe_mul(&d, &p->Z, &q->Z);
	fe_add(&d, &d, &d);
	fe_sub(&e, &b, &a);
	fe_sub(&f, &d, &c);
	fe_add(&g, &d, &c);
	fe_add(&h, &b, &a);
	fe_mul(&r->X, &e, &f);
	fe_mul(&r->Y, &g, &h);
	fe_mul(&r->T, &e, &h);
	fe_mul(&r->Z, &f, &g);
}

static void ge_neg(ge *r, const ge *p)
{
	fe_neg(&r->X, &p->X);
	r->Y = p->Y;
	r->Z = p->Z;
	fe_neg(&r->T, &p->T);
}

/* [n]P, n a 32-byte little-endian integer (any value, variable time). */
static void ge_scalarmult(ge *r, const uint8_t n[32], const ge *p, const curve_consts *k)
{
	ge acc;

	ge_identity(&acc);
	for (int i = 255; i >= 0; i--) {
		ge_add(&acc, &acc, &acc, k);
		if ((n[i >> 3] >> (i & 7)) & 1)
			ge_add(&acc, &acc, p, k);
	}
	*r = acc;
}

static bool ge_is_identity(const ge *p)
{
	return fe_iszero(&p->X) && fe_eq(&p->Y, &p->Z);
}

/* Decoding with curve25519-dalek's CompressedEdwardsY::decompress semantics
 * (see ed25519.h): y from the low 255 bits unreduced, x = sqrt((y^2-1)/(dy^2+1))
 * chosen even, then negated if bit 255 is set (so x = 0 with the sign bit
 * decodes to x = 0). Returns false if (y^2-1)/(dy^2+1) is not a square. */
static bool ge_decompress(ge *p, const uint8_t s[32], const curve_consts *k)
{
	fe y, u, v, v3, x, t, check, one;

	fe_set_small(&one, 1);
	fe_frombytes(&y, s);
	fe_sq(&u, &y);
	fe_mul(&v, &u, &k->d);
	fe_sub(&u, &u, &one); /* u = y^2 - 1 */
	fe_add(&v, &v, &one); /* v = d y^2 + 1, never 0 since -1/d is not a square */

	/* x = u v^3 (u v^7)^((p-5)/8) */
	fe_sq(&v3, &v);
	fe_mul(&v3, &v3, &v); /* v^3 */
	fe_sq(&t, &v3);
	fe_mul(&t, &t, &v); /* v^7 */
	fe_mul(&t, &t, &u); /* u v^7 */
	fe_pow(&t, &t, EXP_P_MINUS_5_DIV_8);
	fe_mul(&x, &u, &v3);
	fe_mul(&x, &x, &t);

	fe_sq(&check, &x);
	fe_mul(&check, &check, &v); /* v x^2 */
	if (!fe_eq(&check, &u)) {
		fe nu;

		fe_neg(&nu, &u);
		if (!fe_eq(&check, &nu))
			return false;
		fe_mul(&x, &x, &k->sqrtm1);
	}
	/* Pick the even root, then apply the sign bit. */
	if (fe_isneg(&x))
		fe_neg(&x, &x);
	if (s[31] >> 7)
		fe_neg(&x, &x);

	p->X = x;
	p->Y = y;
	fe_set_small(&p->Z, 1);
	fe_mul(&p->T, &x, &y);
	return true;
}

static bool consts_init(curve_consts *k)
{
	fe num, den;

	fe_set_small(&num, 121665);
	fe_neg(&num, &num);
	fe_set_small(&den, 121666);
	fe_pow(&den, &den, EXP_P_MINUS_2);
	fe_mul(&k->d, &num, &den);
	fe_add(&k->d2, &k->d, &k->d);
	fe_set_small(&num, 2);
	fe_pow(&k->sqrtm1, &num, EXP_P_MINUS_1_DIV_4);
	return ge_decompress(&k->base, BASE_ENCODING, k);
}

/* ---- scalars -------------------------------------------------------- */

/* s < L, comparing little-endian integers from the top byte down. */
static bool scalar_is_canonical(const uint8_t s[32])
{
	for (int i = 31; i >= 0; i--) {
		if (s[i] < ORDER_L[i])
			return true;
		if (s[i] > ORDER_L[i])
			return false;
	}
	return false; /* s == L */
}

bool pvf_ed25519_verify(const uint8_t sig[PVF_ED25519_SIGNATURE_LEN], const uint8_t *msg,
			size_t len, const uint8_t pub[PVF_ED25519_PUBLIC_LEN])
{
	static const uint8_t empty[1];
	curve_consts k;
	ge A, R, sB, kA, P;
	uint8_t h[crypto_hash_sha512_BYTES], kred[32];
	crypto_hash_sha512_state hs;

	if (!consts_init(&k))
		return false; /* cannot happen: B is on the curve */
	if (!ge_decompress(&A, pub, &k))
		return false;
	if (!ge_decompress(&R, sig, &k))
		return false;
	if (!scalar_is_canonical(sig + 32))
		return false;

	crypto_hash_sha512_init(&hs);
	crypto_hash_sha512_update(&hs, sig, 32);
	crypto_hash_sha512_update(&hs, pub, 32);
	crypto_hash_sha512_update(&hs, (msg != NULL && len > 0) ? msg : empty,
				  (unsigned long long)len);
	crypto_hash_sha512_final(&hs, h);
	crypto_core_ed25519_scalar_reduce(kred, h);

	/* P = [s]B - [k]A - R; accept iff [8]P = 0. */
	ge_scalarmult(&sB, sig + 32, &k.base, &k);
	ge_scalarmult(&kA, kred, &A, &k);
	ge_neg(&kA, &kA);
	ge_neg(&R, &R);
	ge_add(&P, &sB, &kA, &k);
	ge_add(&P, &P, &R, &k);
	for (int i = 0; i < 3; i++)
		ge_add(&P, &P, &P, &k);
	return ge_is_identity(&P);
}
