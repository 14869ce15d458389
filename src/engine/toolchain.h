/*
 * toolchain.h — the external tools of the pipeline and the flags they get
 * (internal).
 */
#ifndef PVF_ENGINE_TOOLCHAIN_H
#define PVF_ENGINE_TOOLCHAIN_H

#include <stdbool.h>

#include "engine/engine.h"

#define PVF_DEFAULT_CC "gcc"
#define PVF_DEFAULT_OPT "-Og"
#define PVF_MAX_CFLAGS 64

/* Which compiler family: they take different flags, and only gcc and clang
 * write -fstack-usage files (tcc's frames are read from its objects,
 * frames.c). */
typedef enum pvf_cc_kind {
	PVF_CC_GCC,
	PVF_CC_CLANG,
	PVF_CC_TCC,
} pvf_cc_kind;

/* Prepended to every unit compiled by tcc (-include): the GCC builtins the
 * generated code uses and tcc 0.9.27 lacks. */
#define PVF_TCC_COMPAT_HEADER "pvf_tcc.h"
extern const char pvf__tcc_compat[];

typedef struct pvf_toolchain {
	char *wasm2c;          /* absolute path */
	char *cc;              /* absolute path */
	pvf_cc_kind cc_kind;
	char *wasm2c_version;  /* first line of --version */
	char *cc_version;
	/* Flags for compiling generated C (NULL-terminated list of borrowed or
	 * owned strings, see toolchain.c). */
	const char *cflags[PVF_MAX_CFLAGS];
	int ncflags;
	char *extra;           /* owned copy of the extra flags, split in place */
	char *id;              /* the toolchain id */
} pvf_toolchain;

int pvf__toolchain_init(pvf_toolchain *tc, const pvf_prepare_opts *opts, pvf_error *err);
void pvf__toolchain_clear(pvf_toolchain *tc);

#endif
