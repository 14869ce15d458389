/*
 * kernels_main.c — runs the kernels natively (the upper limit of code
 * speed): prints "name n checksum best_ms" per kernel, best of 3.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t k_hash(uint32_t n);
uint64_t k_sort(uint32_t n);
uint64_t k_matrix(uint32_t n);
uint64_t k_interp(uint32_t n);

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		uint64_t (*fn)(uint32_t);
	} ks[] = { { "k_hash", k_hash }, { "k_sort", k_sort }, { "k_matrix", k_matrix }, { "k_interp", k_interp } };

	for (int i = 1; i + 1 < argc; i += 2) {
		for (size_t k = 0; k < sizeof(ks) / sizeof(ks[0]); k++) {
			uint32_t n = (uint32_t)strtoul(argv[i + 1], NULL, 10);
			double best = 1e30;
			uint64_t sum = 0;
			if (ks[k].name[2] != argv[i][2] || strcmp(ks[k].name, argv[i]) != 0)
				continue;
			for (int rep = 0; rep < 3; rep++) {
				double t0 = now_ms();
				sum = ks[k].fn(n);
				double t = now_ms() - t0;
				if (t < best)
					best = t;
			}
			printf("%s %u %llu %.3f\n", ks[k].name, n, (unsigned long long)sum, best);
		}
	}
	return 0;
}
