/*
 * iobuf.c — worker I/O buffers kept out of its jobs (see iobuf.h).
 */
#include "worker/iobuf.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

/* The smallest mapping: a request and an answer of a small PVF fit. */
#define IOBUF_MIN (64u << 10)

void *pvf__map_unforked(size_t len, bool *inherited)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	bool failed = madvise(p, len, MADV_DONTFORK) < 0;
	if (inherited)
		*inherited = failed;
	return p;
}

uint8_t *pvf__iobuf_get(pvf__iobuf *b, size_t n)
{
	if (n <= b->cap)
		return b->p;

	size_t cap = IOBUF_MIN, page = (size_t)sysconf(_SC_PAGESIZE);
	while (cap < n) {
		if (cap > SIZE_MAX / 2) {
			errno = ENOMEM;
			return NULL;
		}
		cap *= 2;
	}
	cap = (cap + page - 1) & ~(page - 1);
	/* Where the advice fails the buffer still works; the jobs then
	 * inherit it, as they would a heap buffer. */
	void *p = pvf__map_unforked(cap, NULL);
	if (!p)
		return NULL;
	pvf__iobuf_free(b);
	b->p = p;
	b->cap = cap;
	return b->p;
}

void pvf__iobuf_shrink(pvf__iobuf *b, size_t keep)
{
	if (b->cap > keep)
		pvf__iobuf_free(b);
}

void pvf__iobuf_free(pvf__iobuf *b)
{
	if (b->p)
		munmap(b->p, b->cap);
	b->p = NULL;
	b->cap = 0;
}
