/*
 * rules.h — the PVF-specific rules a decoded, valid module must also meet.
 *
 * WebAssembly validity (wasm/module.h) says a module *can* run; these rules
 * say it can run *as a PVF* in pvfhost, the way Polkadot's PVF host would
 * accept it. Each rule is a distinct deterministic verdict:
 *
 *   PVF_E_RULE_NO_VALIDATE_BLOCK  no function export `validate_block` of type
 *                                 (i32, i32) -> i64 or, the RFC-0145 entry
 *                                 point, (i32) -> i64
 *   PVF_E_RULE_NO_MEMORY          neither an imported env.memory nor an
 *                                 exported memory named `memory`
 *   PVF_E_RULE_FEATURE            a post-MVP feature outside sign-extension,
 *                                 mutable globals, saturating float-to-int
 *                                 (and bulk memory when allowed)
 *   PVF_E_RULE_START_FUNCTION     the module has a start function
 *   PVF_E_RULE_UNKNOWN_IMPORT     an import that is not env.memory and not a
 *                                 function from "env" in the host-function
 *                                 registry (unknown "env" functions are
 *                                 accepted with allow_missing_imports)
 *   PVF_E_RULE_IMPORT_SIGNATURE   a known host function imported with a
 *                                 different type; or (with alloc_side) host
 *                                 functions imported from both sides of
 *                                 RFC-0145's allocation divide, which
 *                                 Substrate's executor refuses to construct
 *   PVF_E_RULE_CODE_TOO_LARGE     function bodies over max_code_bytes
 *
 * The rules are checked in that order and the first violation is reported.
 *
 * The registry lives in hostapi/, which the wasm layer must not link
 * against; callers pass its look-up (normally pvf_hostfn_lookup) in the
 * options. Only the layout of `struct pvf_hostfn_desc` is shared.
 */
#ifndef PVF_WASM_RULES_H
#define PVF_WASM_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "wasm/module.h"

struct pvf_hostfn_desc;

/* Same type as pvf_hostfn_lookup (hostapi/registry.h). */
typedef const struct pvf_hostfn_desc *(*pvf_rules_lookup_fn)(const char *name, size_t len);
/* Same type as pvf_hostfn_alloc_side (hostapi/alloc_side.h), returning its
 * pvf_alloc_side values: 2 host side, 3 runtime side, others neither. */
typedef int (*pvf_rules_side_fn)(const char *name, size_t len);
#define PVF_RULES_SIDE_HOST 2
#define PVF_RULES_SIDE_RUNTIME 3

/* Post-MVP features a PVF may always use. */
#define PVF_RULES_ALLOWED_FEATURES \
	(PVF_FEAT_SIGN_EXT | PVF_FEAT_MUTABLE_GLOBALS | PVF_FEAT_SAT_FLOAT_TO_INT)

typedef struct pvf_rules_opts {
	pvf_rules_lookup_fn lookup;  /* required: the host-function registry */
	pvf_rules_side_fn alloc_side; /* RFC-0145 allocation sides; NULL: not checked */
	bool allow_bulk_memory;      /* the WasmExtBulkMemory executor parameter */
	bool allow_missing_imports;  /* unknown env functions link to trapping stubs */
	uint64_t max_code_bytes;     /* total function-body bytes; 0 = no limit */
} pvf_rules_opts;

/* Defaults: lookup NULL (the caller must set it), bulk memory off, unknown
 * env functions allowed (as Polkadot's PVF executor links them to stubs),
 * no code-size limit. */
pvf_rules_opts pvf_rules_opts_default(void);

typedef struct pvf_rule_verdict {
	bool ok;
	pvf_error_code code;          /* PVF_OK or a PVF_E_RULE_* code */
	char msg[PVF_ERROR_MSG_MAX];  /* names the offending item; "" when ok */
	/* Import statistics (filled when ok): */
	uint32_t n_implemented;       /* imports the executor implements */
	uint32_t n_stub;              /* known host functions linked to stubs */
	uint32_t n_missing;           /* unknown env functions linked to stubs */
} pvf_rule_verdict;

/* Checks the rules. Returns 0 with *ret filled (ok, or the first violated
 * rule); returns -1 with `err` set only when the check itself cannot be done
 * (NULL arguments, no lookup function, an internally inconsistent module:
 * PVF_E_USAGE). */
int pvf_rules_check(const pvf_module *m, const pvf_rules_opts *opts, pvf_rule_verdict *ret,
		    pvf_error *err);

/* Turns a failed verdict into an error (returns -1); returns 0 if ok. */
int pvf_rule_verdict_to_error(const pvf_rule_verdict *v, pvf_error *err);

#endif
