/*
 * cmd_cache.c — `pvfhost cache ls|verify|prune`: look at, check and prune the
 * host's artifact cache (docs/cache.md) from the command line.
 *
 *   pvfhost cache ls|verify|prune [--cache DIR] [--json] [--size-cap BYTES]
 *                                 [--stale SECONDS] [--cc CC] [-O LEVEL]
 *                                 [--chunk-cache DIR]
 *
 * The cache is opened like the host opens it, with the toolchain id of the
 * given preparation options (default: the host's defaults), so opening it
 * also cleans up (partial files, other toolchains' artifacts, dead hosts'
 * worker directories). `ls` and `verify` never prune; `prune` uses
 * --size-cap (default 10 GiB) and --stale (default 24 h), for the artifact
 * cache and, with --chunk-cache, for that compiled-chunk cache too.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/prepare_file.h"
#include "engine/engine.h"
#include "host/store.h"

/* Also declared in cli/cli.h; repeated so this file stands on its own. */
int cmd_cache(int argc, char **argv);

typedef enum cache_op { OP_LS, OP_VERIFY, OP_PRUNE } cache_op;

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*ret = v;
	return 0;
}

static void iso_time(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, cap, "%" PRId64, t);
}

static void print_json(const pvfhost_cache_entry *e, size_t n)
{
	char when[64];

	fputs("[", stdout);
	for (size_t i = 0; i < n; i++) {
		iso_time(e[i].last_used, when, sizeof(when));
		printf("%s\n  {\"code_hash\": ", i ? "," : "");
		json_str(stdout, e[i].code_hash, strlen(e[i].code_hash));
		fputs(", \"params_hash\": ", stdout);
		json_str(stdout, e[i].params_hash, strlen(e[i].params_hash));
		fputs(", \"path\": ", stdout);
		json_str(stdout, e[i].path, strlen(e[i].path));
		printf(", \"size\": %" PRIu64 ", \"last_used\": \"%s\", \"last_used_unix\": %" PRId64
		       ", \"valid\": %s}",
		       e[i].size, when, e[i].last_used, e[i].valid ? "true" : "false");
	}
	fputs(n ? "\n]\n" : "]\n", stdout);
}

static void print_human(const pvfhost_cache_entry *e, size_t n, bool verify, const char *dir)
{
	char when[64];
	uint64_t total = 0;
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		iso_time(e[i].last_used, when, sizeof(when));
		printf("%s  %.16s  %12" PRIu64 "  %s%s\n", e[i].code_hash, e[i].params_hash, e[i].size, when,
		       verify ? (e[i].valid ? "  ok" : "  BAD (removed)") : "");
		if (e[i].valid)
			total += e[i].size;
		else
			bad++;
	}
	printf("%zu artifact%s, %" PRIu64 " bytes (%.1f MiB) in %s", n - bad, n - bad == 1 ? "" : "s", total,
	       (double)total / 1048576.0, dir);
	if (verify)
		printf("; %zu bad, removed", bad);
	fputc('\n', stdout);
}

int cmd_cache(int argc, char **argv)
{
	pvf_prepare_opts po = { 0 };
	const char *dir = NULL, *opname = NULL;
	char dir_buf[4096];
	bool json = false;
	uint64_t cap = 0, stale = 0;
	cache_op op;
	pvf_error err;
	char *tc = NULL;
	pvf_store *s = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (cli_parse_prepare_opt(argc, argv, &i, &po))
			continue;
		if (!strcmp(argv[i], "--cache") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--size-cap") && i + 1 < argc) {
			if (parse_u64(argv[++i], &cap) < 0 || cap == 0)
				return cli_usage("cache: --size-cap takes a positive number of bytes, not \"%s\"", argv[i]);
		} else if (!strcmp(argv[i], "--stale") && i + 1 < argc) {
			if (parse_u64(argv[++i], &stale) < 0)
				return cli_usage("cache: --stale takes a number of seconds, not \"%s\"", argv[i]);
			if (stale == 0)
				stale = 1;   /* the store reads 0 as "default"; 0 s means "not within the last second" */
		} else if (argv[i][0] == '-')
			return cli_usage("cache: unknown option %s", argv[i]);
		else if (!opname)
			opname = argv[i];
		else
			return cli_usage("cache: more than one action (%s, %s)", opname, argv[i]);
	}
	if (!opname)
		return cli_usage("cache: an action is required: ls, verify or prune");
	if (!strcmp(opname, "ls") || !strcmp(opname, "list"))
		op = OP_LS;
	else if (!strcmp(opname, "verify"))
		op = OP_VERIFY;
	else if (!strcmp(opname, "prune"))
		op = OP_PRUNE;
	else
		return cli_usage("cache: unknown action \"%s\" (ls, verify or prune)", opname);
	if (!dir) {
		if (pvf_store_default_dir(dir_buf, sizeof(dir_buf)) < 0)
			return cli_usage("cache: neither XDG_CACHE_HOME nor HOME is set: use --cache DIR");
		dir = dir_buf;
	}

	if (pvf_engine_toolchain_id(&po, &tc, &err) < 0)
		return cli_fail(&err, "cache: the toolchain id");
	/* Open without pruning: only `prune` removes artifacts for size. */
	/* Looking at the cache never deletes another configuration's artifacts. */
	pvf_store_opts so = { .dir = dir, .toolchain_id = tc, .size_cap = UINT64_MAX, .stale_s = 0,
			      .keep_foreign = true };
	if (pvf_store_open(&so, &s, &err) < 0) {
		free(tc);
		return cli_fail(&err, dir);
	}
	free(tc);

	if (op == OP_PRUNE) {
		size_t removed = 0;
		uint64_t removed_bytes = 0;
		pvf_store_set_limits(s, cap, stale);
		if (pvf_store_prune(s, &removed, &removed_bytes, &err) < 0) {
			pvf_store_close(s);
			return cli_fail(&err, dir);
		}
		uint64_t left = pvf_store_bytes(s);
		size_t count = pvf_store_count(s);
		uint64_t ecap = cap ? cap : PVF_STORE_DEFAULT_CAP, estale = stale ? stale : PVF_STORE_DEFAULT_STALE_S;
		pvf_chunk_cache_stats cs = { 0 };
		pvf_store_close(s);
		if (po.chunk_cache_dir && pvf_chunk_cache_prune(po.chunk_cache_dir, ecap, estale, &cs, &err) < 0)
			return cli_fail(&err, po.chunk_cache_dir);
		if (json) {
			printf("{\"removed\": %zu, \"removed_bytes\": %" PRIu64 ", \"artifacts\": %zu, \"bytes\": %" PRIu64
			       ", \"size_cap\": %" PRIu64 ", \"stale_s\": %" PRIu64, removed, removed_bytes, count, left,
			       ecap, estale);
			if (po.chunk_cache_dir) {
				printf(", \"chunk_cache\": {\"dir\": ");
				json_str(stdout, po.chunk_cache_dir, strlen(po.chunk_cache_dir));
				printf(", \"removed\": %" PRIu64 ", \"removed_bytes\": %" PRIu64 ", \"chunks\": %" PRIu64
				       ", \"bytes\": %" PRIu64 "}", cs.removed, cs.removed_bytes, cs.entries, cs.bytes);
			}
			printf("}\n");
		} else {
			printf("removed %zu artifact%s (%" PRIu64 " bytes); %zu left, %" PRIu64
			       " bytes (cap %" PRIu64 " bytes, artifacts used within %" PRIu64 " s kept)\n",
			       removed, removed == 1 ? "" : "s", removed_bytes, count, left, ecap, estale);
			if (po.chunk_cache_dir)
				printf("chunk cache %s: removed %" PRIu64 " chunk%s (%" PRIu64 " bytes); %" PRIu64
				       " left, %" PRIu64 " bytes\n",
				       po.chunk_cache_dir, cs.removed, cs.removed == 1 ? "" : "s", cs.removed_bytes,
				       cs.entries, cs.bytes);
		}
		return CLI_OK;
	}

	pvfhost_cache_entry *list = NULL;
	size_t n = 0;
	if (pvf_store_list(s, op == OP_VERIFY, &list, &n, &err) < 0) {
		pvf_store_close(s);
		return cli_fail(&err, dir);
	}
	if (json)
		print_json(list, n);
	else
		print_human(list, n, op == OP_VERIFY, pvf_store_dir(s));
	rc = CLI_OK;
	for (size_t i = 0; i < n; i++)
		if (!list[i].valid)
			rc = CLI_VERDICT;
	free(list);
	pvf_store_close(s);
	return rc;
}
