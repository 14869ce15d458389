/*
 * progress.h — progress of a long host operation on a terminal (stderr).
 */
#ifndef PVF_CLI_PROGRESS_H
#define PVF_CLI_PROGRESS_H

#include "pvfhost.h"

typedef struct cli_progress cli_progress;

/* NULL (and nothing shown) when stderr is not a terminal. `h` may be NULL
 * (then the stage is not known and only the time is shown). */
cli_progress *cli_progress_start(const char *what, pvfhost *h);
void cli_progress_stop(cli_progress *p);

#endif
