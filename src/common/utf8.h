/*
 * utf8.h — strict UTF-8 validation (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. The rule of wasm names, Rust's
 * str::from_utf8 and the daemon protocol's strings alike.
 */
#ifndef PVF_COMMON_UTF8_H
#define PVF_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether s[0..n) is well-formed UTF-8 (NUL bytes included: they are). */
bool pvf_utf8_valid(const uint8_t *s, size_t n);

#endif
