/*
 * proc.h — running the external tools of the pipeline (wasm2c, the C
 * compiler) as child processes, with their output captured and their
 * resource use measured.
 */
#ifndef PVF_ENGINE_PROC_H
#define PVF_ENGINE_PROC_H

#include <stddef.h>

#include "common/error.h"
#include "engine/engine.h"

#define PVF_PROC_OUTPUT_MAX (64u * 1024u)

typedef struct pvf_proc_result {
	int exit_code;       /* -1 if killed by a signal */
	int term_signal;     /* the signal, or 0 */
	char *output;        /* stdout+stderr, at most PVF_PROC_OUTPUT_MAX bytes, NUL-terminated */
	pvf_stage_stats stats;
} pvf_proc_result;

/* Runs argv (argv[0] looked up in PATH) in `cwd` (NULL: current) with
 * stdin from /dev/null. Returns 0 when the program ran (whatever its exit
 * status) and fills *res; -1 (PVF_E_TOOL) when it could not be started. */
int pvf__proc_run(char *const argv[], const char *cwd, pvf_proc_result *res, pvf_error *err);
/* pvf__proc_run as a stage of preparation: adds the costs to *stage and
 * fails with PVF_E_COMPILE naming `what` and quoting the output when the
 * program did not exit with status 0. */
int pvf__run_stage(char *const argv[], const char *dir, pvf_stage_stats *stage, const char *what,
		   pvf_error *err);
void pvf__proc_result_clear(pvf_proc_result *res);

/* Adds b into a (wall and cpu summed, rss maximum). */
void pvf__stage_add(pvf_stage_stats *a, const pvf_stage_stats *b);

/* Resolves `name` through PATH to an absolute path (caller frees), or NULL. */
char *pvf__which(const char *name);

#endif
