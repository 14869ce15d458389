/*
 * iobuf.h — a buffer an execute worker reuses for every request, in a
 * mapping its jobs do not inherit (MADV_DONTFORK).
 *
 * Every fork makes the worker's writable pages copy-on-write, so each page
 * the worker writes after a fork is copied (on its side) while the new job
 * still shares it. Frames read and written through malloc'd buffers touch
 * the heap and malloc's own state after every fork; the same bytes in a
 * mapping of their own, left out of the jobs, cost no copy. A job never
 * reads these buffers: it gets its request over its pipe.
 */
#ifndef PVF_WORKER_IOBUF_H
#define PVF_WORKER_IOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An anonymous read-write mapping of len bytes (a multiple of the page
 * size) that forked children do not inherit; *inherited (may be NULL) is
 * set when the advice failed (a kernel without it) and they do. NULL (errno
 * set) when no mapping could be made. */
void *pvf__map_unforked(size_t len, bool *inherited);

typedef struct pvf__iobuf {
	uint8_t *p;
	size_t cap;
} pvf__iobuf;

#define PVF__IOBUF_INIT { NULL, 0 }

/* At least n bytes (n > 0), or NULL (errno set) when no mapping could be
 * made. Growing does not keep the old contents. */
uint8_t *pvf__iobuf_get(pvf__iobuf *b, size_t n);
/* Unmaps a buffer grown past keep bytes (after a large frame), so that the
 * worker does not hold the largest frame it ever saw. */
void pvf__iobuf_shrink(pvf__iobuf *b, size_t keep);
void pvf__iobuf_free(pvf__iobuf *b);

#endif
