/*
 * host_hooks.h — settings of the host that are not part of the public API
 * (include/pvfhost.h), for the project's own callers: the daemon.
 */
#ifndef PVF_HOST_HOOKS_H
#define PVF_HOST_HOOKS_H

#include "pvfhost.h"

/* For a caller whose callbacks are quick, never block and are safe to run
 * concurrently with each other (the daemon): from now on the callback of a
 * validation that ran to an answer runs on the execute slot thread that
 * ran it, right after, instead of being handed to the completion thread
 * (one thread hand-over less). Other completions (errors, cancellations,
 * deadlines) still go through the completion thread. Call before the
 * first submission. */
void pvf__host_callbacks_inline(pvfhost *h);

#endif
