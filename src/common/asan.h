/*
 * asan.h — PVF_UNDER_ASAN is defined when this translation unit is built
 * with AddressSanitizer (gcc or clang), whose allocator, shadow memory and
 * run-time libraries change what some code and tests can rely on.
 */
#ifndef PVF_COMMON_ASAN_H
#define PVF_COMMON_ASAN_H

#if defined(__SANITIZE_ADDRESS__)
#define PVF_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PVF_UNDER_ASAN 1
#endif
#endif

#endif
