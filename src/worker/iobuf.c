/*
 * iobuf.c — worker I/O buffers kept out of its jobs (see iobuf.h).
 */
#include "worker/iobuf.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

/* The smallest mapping: a request and an answer of a small PVF fit. */
#define IOBUF_MIN (64u << 10)

uint8_t *pvf__iobuf_get(pvf__iobuf *b, size_t n)
{
	size_t cap = IOBUF_MIN;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (n <= b->cap)
		return b->p;
	while (cap < n) {
		if (cap > SIZE_MAX / 2) {
			errno = ENOMEM;
			return NULL;
		}
		cap *= 2;
	}
	cap = (cap + page - 1) & ~(page - 1);
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Where this fails (a kernel without it) the buffer still works; the
	 * jobs then inherit it, as they would a heap buffer. */
	(void)madvise(p, cap, MADV_DONTFORK);
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
