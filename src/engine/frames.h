/*
 * frames.h — frame sizes of tcc-compiled objects (internal; frames.c).
 */
#ifndef PVF_ENGINE_FRAMES_H
#define PVF_ENGINE_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Called for each function of an object with its symbol name and frame. */
typedef void (*pvf_frames_fn)(void *user, const char *name, uint32_t frame);

/* Raises *max_frame to the largest frame (bytes, the saved frame pointer
 * included, the return address not) of the functions in the object `obj`,
 * and calls `each` (if not NULL) for every function. An object this cannot
 * read is an error (PVF_E_TOOL) and leaves *max_frame as it was. */
int pvf__frames_parse(const uint8_t *obj, size_t size, uint32_t *max_frame, pvf_frames_fn each, void *user,
		      pvf_error *err);

/* The same for the object file at `path`. */
int pvf__frames_max(const char *path, uint32_t *max_frame, pvf_frames_fn each, void *user, pvf_error *err);

#endif
