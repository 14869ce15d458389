/*
 * ctext.h — reading the C text wasm2c writes (internal): what the passes
 * that rewrite it (nancanon.c, membase.c) share.
 */
#ifndef PVF_ENGINE_CTEXT_H
#define PVF_ENGINE_CTEXT_H

#include <stdbool.h>

/* A character of a C identifier. */
static inline bool pvf__c_ident_char(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

#endif
