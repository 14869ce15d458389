/*
 * kernels.c — compute kernels for code-speed comparisons, built three ways
 * from this one source: to wasm32 (clang --target=wasm32, no libc) for
 * pvfhost and node, and natively (gcc -O2) as the upper limit.
 *
 * Each kernel is exported as `uint64_t k_<name>(uint32_t n)` and returns a
 * checksum, so every runner can check it computed the same thing.
 */
#include <stdint.h>

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(name)))
#else
#define EXPORT(name)
#endif

#define BUF_WORDS (1u << 16)
static uint32_t buf[BUF_WORDS];
static double mat_a[64 * 64], mat_b[64 * 64], mat_c[64 * 64];

static uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* A 64-bit mixing hash over a buffer, n rounds (hashing). */
EXPORT("k_hash") uint64_t k_hash(uint32_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (uint32_t i = 0; i < BUF_WORDS; i++)
		buf[i] = i * 2654435761u;
	for (uint32_t r = 0; r < n; r++)
		for (uint32_t i = 0; i < BUF_WORDS; i++) {
			h ^= buf[i] * 0xff51afd7ed558ccdull;
			h = rotl64(h, 31) * 0xc4ceb9fe1a85ec53ull;
		}
	return h;
}

static void quicksort(uint32_t *a, int32_t lo, int32_t hi)
{
	while (lo < hi) {
		uint32_t p = a[(lo + hi) / 2];
		int32_t i = lo, j = hi;
		while (i <= j) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i <= j) {
				uint32_t t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		}
		if (j - lo < hi - i) {
			quicksort(a, lo, j);
			lo = i;
		} else {
			quicksort(a, i, hi);
			hi = j;
		}
	}
}

/* Sorts pseudo-random arrays n times (sorting). */
EXPORT("k_sort") uint64_t k_sort(uint32_t n)
{
	uint64_t sum = 0;
	uint32_t x = 12345;

	for (uint32_t r = 0; r < n; r++) {
		for (uint32_t i = 0; i < BUF_WORDS; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = x;
		}
		quicksort(buf, 0, BUF_WORDS - 1);
		sum += buf[r % BUF_WORDS] + buf[BUF_WORDS / 2];
	}
	return sum;
}

/* 64x64 double matrix products, n times (float matrix). */
EXPORT("k_matrix") uint64_t k_matrix(uint32_t n)
{
	double acc = 0;

	for (int i = 0; i < 64 * 64; i++) {
		mat_a[i] = (double)(i % 17) * 0.25;
		mat_b[i] = (double)(i % 13) * 0.5;
	}
	for (uint32_t r = 0; r < n; r++) {
		for (int i = 0; i < 64; i++)
			for (int j = 0; j < 64; j++) {
				double s = 0;
				for (int k = 0; k < 64; k++)
					s += mat_a[i * 64 + k] * mat_b[k * 64 + j];
				mat_c[i * 64 + j] = s;
			}
		acc += mat_c[r % (64 * 64)];
		mat_a[r % (64 * 64)] = mat_c[(r * 7) % (64 * 64)] * 1e-6;
	}
	return (uint64_t)(acc * 1000.0);
}

/* A small stack-machine interpreter running a loop program (interpreter). */
enum { OP_PUSH, OP_PUSHN, OP_ADD, OP_MUL, OP_DUP, OP_SWAP, OP_DEC, OP_JNZ, OP_POP, OP_XOR, OP_HALT };

EXPORT("k_interp") uint64_t k_interp(uint32_t n)
{
	/* acc = 1; i = n*1000; do { acc = acc * 3 + 1 ^ i; } while (--i) */
	static const int32_t prog[] = {
		OP_PUSH, 1,        /* acc */
		OP_PUSHN,          /* i = n * 1000 */
		/* loop (pc 3): stack [acc, i] */
		OP_SWAP,           /* i acc */
		OP_PUSH, 3, OP_MUL, OP_PUSH, 1, OP_ADD,
		OP_SWAP,           /* acc' i */
		OP_DUP,            /* acc' i i */
		OP_SWAP,           /* acc' i i -> same */
		OP_POP,            /* acc' i */
		OP_DEC,            /* acc' i-1 */
		OP_DUP, OP_JNZ, 3,
		OP_POP, OP_HALT,
	};
	int64_t stack[16];
	int sp = 0;
	uint32_t pc = 0;
	const int32_t *code = prog;

	for (;;) {
		switch (code[pc++]) {
		case OP_PUSH: stack[sp++] = code[pc++]; break;
		case OP_PUSHN: stack[sp++] = (int64_t)n * 1000; break;
		case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
		case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
		case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
		case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
		case OP_SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
		case OP_DEC: stack[sp - 1]--; break;
		case OP_POP: sp--; break;
		case OP_JNZ: { int32_t t = code[pc++]; if (stack[--sp]) pc = (uint32_t)t; break; }
		case OP_HALT: return (uint64_t)stack[sp - 1];
		default: return 0;
		}
	}
}
