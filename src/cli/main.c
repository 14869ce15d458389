/*
 * main.c — the pvfhost command-line tool: dispatch to subcommands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{ "inspect", cmd_inspect, "inspect FILE [--json] [--allow-bulk-memory] [--deny-missing-imports]\n"
				  "      summary of a PVF and its PVF-rule verdict (exit 1: a rule is broken)" },
	{ "prepare", cmd_prepare, "prepare FILE -o ARTIFACT [--cc CC] [-O LEVEL] [--jobs N] [--chunk-cache DIR] [--chunk-bytes N] [--stack-limit N] [--max-pages N] [--no-rules] [--nan-test-everywhere]\n"
				  "      compile a PVF (or, with --no-rules, any module) into an artifact; print per-stage costs" },
	{ "precheck", cmd_precheck, "precheck FILE [--connect SOCKET] [--cache DIR] [--executor-params-hex HEX] [--secure]\n"
				    "      pre-check a PVF: valid (exit 0), invalid: REASON (exit 1), failed: REASON (exit 2)" },
	{ "validate", cmd_validate, "validate --code FILE (--params FILE|- | --params-hex HEX) [--json] [--cache DIR]\n"
				    "         [--connect SOCKET] [--priority backing|backing-system|approval|dispute]\n"
				    "         [--executor-params-hex HEX] [--secure] [--in-process]\n"
				    "      run validate_block on SCALE ValidationParams in a sandboxed worker (exit 1: invalid candidate)" },
	{ "call", cmd_call, "call --code FILE --export NAME [--input-hex HEX] [--cache DIR] [--connect SOCKET] [--in-process]\n"
			    "      call any export with the Substrate calling convention (exit 1: trap)" },
	{ "cache", cmd_cache, "cache ls|verify|prune [--cache DIR] [--json] [--size-cap BYTES] [--stale SECONDS] [--chunk-cache DIR]\n"
			      "      list, verify or prune the artifact cache" },
	{ "security", cmd_security, "security [--secure] [--json]\n"
				    "      the worker sandbox on this machine: each feature available / applied (exit 1: --secure refused)" },
	{ "serve", cmd_serve, "serve --socket PATH [--cache DIR] [--workers-prepare N] [--workers-execute N] [--metrics ADDR]\n"
			      "      [--insecure] [--log-level LEVEL] [--ready-fd FD]\n"
			      "      run the validation host as a daemon (protocol: docs/protocol.md)" },
	{ "invoke", cmd_invoke, "invoke (FILE | --artifact ARTIFACT) EXPORT [ARG...]\n"
				"      call an export with typed arguments (exit 1: trap)" },
};

int cli_fail(const pvf_error *err, const char *context)
{
	fprintf(stderr, "pvfhost: %s%s%s [%s, %s]\n", context ? context : "", context ? ": " : "", err->msg,
		pvf_error_code_name(err->code), pvf_error_class_name(err->cls));
	return CLI_ERROR;
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("pvfhost: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see pvfhost --help)\n", stderr);
	return CLI_ERROR;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pvfhost COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].help);
	fprintf(f, "\nFILE may be raw wasm, a Substrate maybe-compressed blob or 0x-hex text.\n"
		   "exit codes: 0 ok, 1 verdict against the input, 2 usage or internal error\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("pvfhost %s\n", PVFHOST_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return cli_usage("unknown command \"%s\"", argv[1]);
}
