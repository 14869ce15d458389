/*
 * clock.h — the monotonic clock in the units pvfhost's layers count in:
 * deadlines and timeouts (ms, µs) and measured durations (s); and the CPU
 * time a struct rusage accounts for.
 */
#ifndef PVF_COMMON_CLOCK_H
#define PVF_COMMON_CLOCK_H

#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

static inline uint64_t pvf_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline uint64_t pvf_clock_ms(void)
{
	return pvf_clock_us() / 1000u;
}

static inline double pvf_clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User + system CPU time in `ru`, in µs. */
static inline uint64_t pvf_rusage_cpu_us(const struct rusage *ru)
{
	return (uint64_t)ru->ru_utime.tv_sec * 1000000u + (uint64_t)ru->ru_utime.tv_usec +
	       (uint64_t)ru->ru_stime.tv_sec * 1000000u + (uint64_t)ru->ru_stime.tv_usec;
}

#endif
