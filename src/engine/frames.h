/*
 * frames.h — frame sizes of tcc-compiled objects (internal; frames.c).
 */
#ifndef PVF_ENGINE_FRAMES_H
#define PVF_ENGINE_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Raises *max_frame to the largest frame (bytes, the saved frame pointer
 * included, the return address not) of the functions in the object `obj`.
 * An object this cannot read is an error (PVF_E_TOOL) and leaves *max_frame
 * as it was. */
int pvf__frames_parse(const uint8_t *obj, size_t size, uint32_t *max_frame, pvf_error *err);

/* The same for the object file at `path`. */
int pvf__frames_max(const char *path, uint32_t *max_frame, pvf_error *err);

#endif
