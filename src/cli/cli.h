/*
 * cli.h — shared pieces of the pvfhost command-line tool.
 *
 * Exit codes, for every command: 0 success; 1 a verdict against the input
 * (rule broken, invalid, trap); 2 usage, unreadable input or internal error.
 */
#ifndef PVF_CLI_CLI_H
#define PVF_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "wasm/module.h"

#define CLI_OK 0
#define CLI_VERDICT 1
#define CLI_ERROR 2

int cmd_inspect(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_invoke(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_precheck(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_security(int argc, char **argv);

/* Prints "pvfhost: <context>: <message>" on stderr; returns CLI_ERROR. */
int cli_fail(const pvf_error *err, const char *context);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Minimal JSON output. */
void json_str(FILE *f, const char *s, size_t len);
void json_hex(FILE *f, const uint8_t *p, size_t len);

#endif
