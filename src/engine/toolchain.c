/*
 * toolchain.c — finds wasm2c and the C compiler, decides the flags, and
 * builds the toolchain id that artifacts record.
 *
 * The id names everything that can change the machine code of an artifact:
 * pvfhost's version, the artifact format and glue ABI versions, wasm2c's
 * version, the compiler's absolute path and --version line, and every flag.
 * Artifacts with another id are "foreign": never loaded, re-prepared.
 *
 * Flags the generated code needs to stay conformant (wasm2c's README):
 * -fno-optimize-sibling-calls (else gcc -O2 turns unbounded recursion into
 * a loop and the depth limit never triggers), -frounding-math, and
 * -fsignaling-nans for gcc.
 */
#include "engine/toolchain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/artifact_format.h"
#include "engine/glue_abi.h"
#include "engine/proc.h"
#include "engine/rt_config.h"

const char pvf__tcc_compat[] =
	"/* pvfhost: GCC builtins used by wasm2c's output, for tcc. Arguments are\n"
	" * never 0 (the generated code tests for it first). */\n"
	"static inline int pvf_tcc_clz64(unsigned long long x) {\n"
	"  int n = 0;\n"
	"  if (!(x >> 32)) { n += 32; x <<= 32; }\n"
	"  if (!(x >> 48)) { n += 16; x <<= 16; }\n"
	"  if (!(x >> 56)) { n += 8; x <<= 8; }\n"
	"  if (!(x >> 60)) { n += 4; x <<= 4; }\n"
	"  if (!(x >> 62)) { n += 2; x <<= 2; }\n"
	"  if (!(x >> 63)) n += 1;\n"
	"  return n;\n"
	"}\n"
	"static inline int pvf_tcc_ctz64(unsigned long long x) {\n"
	"  return 63 - pvf_tcc_clz64(x & -x);\n"
	"}\n"
	"static inline int pvf_tcc_popcount64(unsigned long long x) {\n"
	"  x = x - ((x >> 1) & 0x5555555555555555ull);\n"
	"  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);\n"
	"  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;\n"
	"  return (int)((x * 0x0101010101010101ull) >> 56);\n"
	"}\n"
	"#define __builtin_clz(x) (pvf_tcc_clz64((unsigned)(x)) - 32)\n"
	"#define __builtin_clzll(x) pvf_tcc_clz64((unsigned long long)(x))\n"
	"#define __builtin_ctz(x) pvf_tcc_ctz64((unsigned)(x))\n"
	"#define __builtin_ctzll(x) pvf_tcc_ctz64((unsigned long long)(x))\n"
	"#define __builtin_popcount(x) pvf_tcc_popcount64((unsigned)(x))\n"
	"#define __builtin_popcountll(x) pvf_tcc_popcount64((unsigned long long)(x))\n"
	"#define __builtin_isnan(x) ((x) != (x))\n"
	"/* wasm's neg flips the sign bit, NaN or not (prepare.c rewrites -(x)). */\n"
	"static inline float pvf_tcc_fneg_f32(float x) {\n"
	"  union { float f; unsigned u; } v;\n"
	"  v.f = x;\n"
	"  v.u ^= 0x80000000u;\n"
	"  return v.f;\n"
	"}\n"
	"static inline double pvf_tcc_fneg_f64(double x) {\n"
	"  union { double f; unsigned long long u; } v;\n"
	"  v.f = x;\n"
	"  v.u ^= 0x8000000000000000ull;\n"
	"  return v.f;\n"
	"}\n";

static char *first_line(const char *s)
{
	size_t n = strcspn(s, "\n");
	char *r = malloc(n + 1);

	if (r) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

static int tool_version(const char *path, char **ret, pvf_error *err)
{
	char *argv[] = { (char *)path, (char *)"--version", NULL };
	pvf_proc_result res;

	if (pvf__proc_run(argv, NULL, &res, err) < 0)
		return -1;
	if (res.exit_code != 0) {
		pvf_error_set(err, PVF_E_TOOL, "%s --version failed: %.200s", path, res.output);
		pvf__proc_result_clear(&res);
		return -1;
	}
	*ret = first_line(res.output);
	pvf__proc_result_clear(&res);
	if (!*ret)
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory");
	return 0;
}

static int add_flag(pvf_toolchain *tc, const char *f, pvf_error *err)
{
	if (tc->ncflags >= PVF_MAX_CFLAGS - 1)
		return pvf_error_set(err, PVF_E_USAGE, "too many compiler flags");
	tc->cflags[tc->ncflags++] = f;
	tc->cflags[tc->ncflags] = NULL;
	return 0;
}

int pvf__toolchain_init(pvf_toolchain *tc, const pvf_prepare_opts *opts, pvf_error *err)
{
	const char *cc = opts && opts->cc ? opts->cc : PVF_DEFAULT_CC;
	const char *opt = opts && opts->opt_level ? opts->opt_level : PVF_DEFAULT_OPT;
	static const char *const rt_flags[] = { PVF_RT_CONFIG_CFLAGS };
	size_t idlen;
	char *p;

	memset(tc, 0, sizeof(*tc));
	tc->wasm2c = pvf__which("wasm2c");
	if (!tc->wasm2c)
		return pvf_error_set(err, PVF_E_TOOL, "wasm2c not found in PATH (install Debian's wabt)");
	tc->cc = pvf__which(cc);
	if (!tc->cc) {
		pvf_error_set(err, PVF_E_TOOL, "C compiler \"%s\" not found", cc);
		goto fail;
	}
	if (tool_version(tc->wasm2c, &tc->wasm2c_version, err) < 0 ||
	    tool_version(tc->cc, &tc->cc_version, err) < 0)
		goto fail;
	tc->cc_kind = strstr(tc->cc_version, "clang") ? PVF_CC_CLANG
		      : !strncmp(tc->cc_version, "tcc ", 4) ? PVF_CC_TCC
							 : PVF_CC_GCC;

	if (add_flag(tc, opt, err) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(rt_flags) / sizeof(rt_flags[0]); i++)
		if (add_flag(tc, rt_flags[i], err) < 0)
			goto fail;
	if (tc->cc_kind == PVF_CC_TCC) {
		/* tcc has no optimiser, so nothing to turn off: no sibling calls,
		 * no contraction, no constant folding of run-time float
		 * arithmetic. */
		if (add_flag(tc, "-fPIC", err) < 0 || add_flag(tc, "-DNDEBUG", err) < 0 ||
		    add_flag(tc, "-w", err) < 0 || add_flag(tc, "-include", err) < 0 ||
		    add_flag(tc, PVF_TCC_COMPAT_HEADER, err) < 0)
			goto fail;
	} else if (add_flag(tc, "-fno-optimize-sibling-calls", err) < 0 || add_flag(tc, "-frounding-math", err) < 0 ||
		   add_flag(tc, "-ffp-contract=off", err) < 0 ||
		   (tc->cc_kind == PVF_CC_GCC && add_flag(tc, "-fsignaling-nans", err) < 0) ||
		   /* Else clang folds arithmetic on a constant signalling NaN
		    * without quieting it (0x7fa00000 + 1 -> 0x7fa00000; the
		    * hardware, gcc and wasm give 0x7fe00000). */
		   (tc->cc_kind == PVF_CC_CLANG && add_flag(tc, "-ffp-exception-behavior=strict", err) < 0) ||
		   add_flag(tc, "-fPIC", err) < 0 || add_flag(tc, "-fvisibility=hidden", err) < 0 ||
		   add_flag(tc, "-fno-strict-aliasing", err) < 0 || add_flag(tc, "-DNDEBUG", err) < 0 ||
		   add_flag(tc, "-w", err) < 0)
		goto fail;
	if (opts && opts->extra_cflags && *opts->extra_cflags) {
		tc->extra = strdup(opts->extra_cflags);
		if (!tc->extra) {
			pvf_error_set(err, PVF_E_NOMEM, "out of memory");
			goto fail;
		}
		for (char *save = NULL, *t = strtok_r(tc->extra, " \t", &save); t;
		     t = strtok_r(NULL, " \t", &save))
			if (add_flag(tc, t, err) < 0)
				goto fail;
	}

	idlen = 256 + strlen(tc->wasm2c_version) + strlen(tc->cc) + strlen(tc->cc_version);
	for (int i = 0; i < tc->ncflags; i++)
		idlen += strlen(tc->cflags[i]) + 1;
	tc->id = malloc(idlen);
	if (!tc->id) {
		pvf_error_set(err, PVF_E_NOMEM, "out of memory");
		goto fail;
	}
	p = tc->id;
	/* codegen 2: NaN canonicalisation of float arithmetic (prepare.c);
	 * 3: its test as a predicted branch instead of a blend; 4: float loads
	 * keep their value in an SSE register; 5: the tests placed by the
	 * module's analysis (nancanon.c); 6: linked for pvfhost's own loader
	 * (elf_load.c: no start files, libgcc static); 7: memory accesses
	 * through a base pointer (membase.c); 8: Polkadot's logical stack
	 * limit instead of a call-depth count (stacklimit.c). "tcc compat N"
	 * names the version of pvf__tcc_compat. */
	p += sprintf(p, "pvfhost %s; format %u; glue %u; codegen 8%s%s; wasm2c %s; cc %s (%s); flags", PVFHOST_VERSION,
		     PVF_ARTIFACT_FORMAT_VERSION, PVF_GLUE_ABI_VERSION,
		     opts && opts->nan_test_every_result ? "; nan tests everywhere" : "",
		     tc->cc_kind == PVF_CC_TCC ? "; tcc compat 1" : "", tc->wasm2c_version, tc->cc, tc->cc_version);
	for (int i = 0; i < tc->ncflags; i++)
		p += sprintf(p, " %s", tc->cflags[i]);
	return 0;
fail:
	pvf__toolchain_clear(tc);
	return -1;
}

void pvf__toolchain_clear(pvf_toolchain *tc)
{
	free(tc->wasm2c);
	free(tc->cc);
	free(tc->wasm2c_version);
	free(tc->cc_version);
	free(tc->extra);
	free(tc->id);
	memset(tc, 0, sizeof(*tc));
}

int pvf_engine_toolchain_id(const pvf_prepare_opts *opts, char **ret, pvf_error *err)
{
	pvf_toolchain tc;

	if (pvf__toolchain_init(&tc, opts, err) < 0)
		return -1;
	*ret = tc.id;
	tc.id = NULL;
	pvf__toolchain_clear(&tc);
	return 0;
}

const char *pvf_engine_fast_cc(void)
{
	char *tcc = pvf__which("tcc");
	bool found = tcc != NULL;

	free(tcc);
	return found ? "tcc" : "clang";
}
