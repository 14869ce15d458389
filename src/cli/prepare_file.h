/*
 * prepare_file.h — preparing a code file from the CLI (cmd_compile.c).
 */
#ifndef PVF_CLI_PREPARE_FILE_H
#define PVF_CLI_PREPARE_FILE_H

#include <stdbool.h>

#include "engine/engine.h"

/* Reads a code file (any blob form), decodes it, optionally checks the PVF
 * rules, and prepares it into the artifact `out`. `decode` (may be NULL)
 * receives the cost of reading, decompressing, decoding and checking: wall
 * and CPU time of this process, and its peak RSS so far. */
int cli_prepare_file(const char *path, const pvf_prepare_opts *opts, bool check_rules, const char *out,
		     pvf_stage_stats *decode, pvf_prepare_stats *stats, pvf_error *err);

/* Parses one preparation option at argv[*i] (advancing *i over its value);
 * returns 1 if it was one. */
int cli_parse_prepare_opt(int argc, char **argv, int *i, pvf_prepare_opts *o);

#endif
