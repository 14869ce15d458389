/*
 * cmd_run.c — `pvfhost invoke (FILE | --artifact ART) EXPORT [ARG...]`:
 * call one export with typed arguments and print its results. Imported
 * memories get a fresh memory; imported functions trap as unsupported.
 * (Substrate host functions and the PVF calling convention: `validate`
 * and `call`.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/prepare_file.h"
#include "engine/engine.h"

static int unsupported(void *ctx, pvf_instance *in, const uint64_t *args, uint64_t *res, pvf_trap *trap)
{
	const pvf_extern_desc *d = ctx;

	trap->kind = PVF_TRAP_UNSUPPORTED_HOST;
	snprintf(trap->msg, sizeof(trap->msg), "%.*s", (int)d->name_len, d->name);
	return -1;
}

static int parse_arg(const char *s, char t, uint64_t *out)
{
	char *end;

	errno = 0;
	switch (t) {
	case 'i': {
		long long v = strtoll(s, &end, 0);
		if (v < INT32_MIN || v > UINT32_MAX)
			return -1;
		*out = (uint32_t)v;
		break;
	}
	case 'I':
		if (s[0] == '-')
			*out = (uint64_t)strtoll(s, &end, 0);
		else
			*out = strtoull(s, &end, 0);
		break;
	case 'f': {
		float f = strtof(s, &end);
		uint32_t b;
		memcpy(&b, &f, 4);
		*out = b;
		break;
	}
	case 'F': {
		double d = strtod(s, &end);
		memcpy(out, &d, 8);
		break;
	}
	default:
		return -1;
	}
	return errno || *end ? -1 : 0;
}

static void print_value(char t, uint64_t v)
{
	switch (t) {
	case 'i':
		printf("i32:%u\n", (uint32_t)v);
		break;
	case 'I':
		printf("i64:%llu\n", (unsigned long long)v);
		break;
	case 'f': {
		uint32_t b = (uint32_t)v;
		float f;
		memcpy(&f, &b, 4);
		printf("f32:%.9g\n", f);
		break;
	}
	case 'F': {
		double d;
		memcpy(&d, &v, 8);
		printf("f64:%.17g\n", d);
		break;
	}
	default:
		break;
	}
}

int cmd_invoke(int argc, char **argv)
{
	pvf_prepare_opts o = { 0 };
	const char *path = NULL, *art = NULL, *export = NULL;
	char tmp[] = "/tmp/pvfhost-invoke-XXXXXX";
	char **args = NULL;
	int nargs = 0, rc = CLI_ERROR;
	pvf_artifact *a = NULL;
	pvf_instance *in = NULL;
	pvf_binding *b = NULL;
	void **mems = NULL;
	uint32_t nimports = 0;
	pvf_error err;
	pvf_trap trap;
	bool made_tmp = false;

	args = calloc((size_t)argc, sizeof(*args));
	if (!args)
		return CLI_ERROR;
	for (int i = 1; i < argc; i++) {
		if (cli_parse_prepare_opt(argc, argv, &i, &o))
			continue;
		if (!strcmp(argv[i], "--artifact") && i + 1 < argc)
			art = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return free(args), cli_usage("invoke: unknown option %s", argv[i]);
		else if (!path && !art)
			path = argv[i];
		else if (!export)
			export = argv[i];
		else
			args[nargs++] = argv[i];
	}
	if ((!path && !art) || !export) {
		free(args);
		return cli_usage("invoke: FILE (or --artifact) and EXPORT are required");
	}
	if (!art) {
		int fd = mkstemp(tmp);
		if (fd < 0) {
			pvf_error_set(&err, PVF_E_IO, "cannot create a temporary file: %s", strerror(errno));
			rc = cli_fail(&err, NULL);
			goto out;
		}
		close(fd);
		made_tmp = true;
		if (cli_prepare_file(path, &o, false, tmp, NULL, NULL, &err) < 0) {
			rc = cli_fail(&err, path);
			goto out;
		}
		art = tmp;
	}
	if (pvf_artifact_open(art, NULL, &a, &err) < 0) {
		rc = cli_fail(&err, art);
		goto out;
	}
	nimports = pvf_artifact_nimports(a);
	b = calloc(nimports + 1, sizeof(*b));
	mems = calloc(nimports + 1, sizeof(*mems));
	if (!b || !mems)
		goto out;
	for (uint32_t i = 0; i < nimports; i++) {
		const pvf_extern_desc *d = pvf_artifact_import(a, i);
		b[i].kind = d->kind;
		if (d->kind == PVF_EXTERN_FUNC) {
			b[i].u.func.fn = unsupported;
			b[i].u.func.ctx = (void *)d;
		} else if (d->kind == PVF_EXTERN_MEMORY) {
			mems[i] = pvf_memory_new((uint32_t)d->min, d->has_max ? (uint32_t)d->max : 65536, &err);
			if (!mems[i]) {
				rc = cli_fail(&err, "imported memory");
				goto out;
			}
			b[i].u.memory = mems[i];
		} else {
			pvf_error_set(&err, PVF_E_LINK, "import %.*s.%.*s: only functions and memories can be provided",
				      (int)d->module_len, d->module, (int)d->name_len, d->name);
			rc = cli_fail(&err, NULL);
			goto out;
		}
	}
	if (pvf_instance_new(a, b, nimports, NULL, &in, &trap, &err) < 0) {
		if (err.cls == PVF_CLASS_DETERMINISTIC) {
			printf("trap: %s\n", err.msg);
			rc = CLI_VERDICT;
		} else {
			rc = cli_fail(&err, NULL);
		}
		goto out;
	}
	{
		int32_t idx = pvf_artifact_find_export(a, export, (uint32_t)strlen(export));
		const pvf_extern_desc *d = idx >= 0 ? pvf_artifact_export(a, (uint32_t)idx) : NULL;
		uint64_t vals[64] = { 0 }, res[1] = { 0 };
		double t0, t1;
		struct timespec ts;

		if (!d || d->kind != PVF_EXTERN_FUNC) {
			rc = cli_usage("invoke: no exported function \"%s\"", export);
			goto out;
		}
		if ((size_t)nargs != strlen(d->params) || nargs > 64) {
			rc = cli_usage("invoke: %s takes %zu arguments (%s), %d given", export, strlen(d->params),
				       d->params, nargs);
			goto out;
		}
		for (int i = 0; i < nargs; i++)
			if (parse_arg(args[i], d->params[i], &vals[i]) < 0) {
				rc = cli_usage("invoke: bad argument %d \"%s\" for type %c", i + 1, args[i], d->params[i]);
				goto out;
			}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		if (pvf_instance_call_index(in, (uint32_t)idx, vals, (uint32_t)nargs, res,
					    (uint32_t)strlen(d->results), &trap, &err) < 0) {
			if (err.code == PVF_E_TRAP) {
				printf("trap: %s: %s%s%s\n", pvf_trap_name(trap.kind), pvf_trap_describe(trap.kind),
				       trap.msg[0] ? ": " : "", trap.msg);
				rc = CLI_VERDICT;
			} else {
				rc = cli_fail(&err, NULL);
			}
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t1 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		if (d->results[0])
			print_value(d->results[0], res[0]);
		fprintf(stderr, "pvfhost: %s returned in %.3f ms\n", export, (t1 - t0) * 1e3);
		rc = CLI_OK;
	}
out:
	pvf_instance_free(in);
	for (uint32_t i = 0; mems && i < nimports; i++)
		pvf_memory_free(mems[i]);
	free(mems);
	free(b);
	if (a)
		pvf_artifact_close(a);
	if (made_tmp)
		unlink(tmp);
	free(args);
	return rc;
}
