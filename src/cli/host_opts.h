/*
 * host_opts.h — options shared by the commands that use a validation host
 * (cmd_host.c): embedded host or --connect to a daemon.
 */
#ifndef PVF_CLI_HOST_OPTS_H
#define PVF_CLI_HOST_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "pvfhost.h"

typedef struct cli_host_opts {
	const char *connect;          /* daemon socket; NULL: embedded host */
	const char *cache;            /* NULL: the default cache */
	const char *exec_params_hex;  /* SCALE ExecutorParams */
	const char *cc, *opt_level;
	pvfhost_priority priority;
	bool secure, no_sandbox;
} cli_host_opts;

/* Parses one host option at argv[*i]: 1 if it was one, 0 if not, -1 (after
 * a usage message) for a bad value. */
int cli_host_opt(int argc, char **argv, int *i, cli_host_opts *o);
/* An embedded host for one command. */
int cli_host_new(const cli_host_opts *o, pvfhost **ret, pvf_error *err);
/* Runs `export_name` (NULL: validate_block) of the code in FILE on `input`
 * through the host; *out is malloc'd. An error's class says whether it is a
 * verdict (deterministic) or a failure. */
int cli_host_call(const cli_host_opts *o, const char *code_path, const uint8_t *input, size_t input_len,
		  const char *export_name, uint8_t **out, size_t *out_len, pvf_error *err);

#endif
