/*
 * stacklimit.c — Polkadot's deterministic stack limit in the generated C.
 *
 * Polkadot instruments a PVF with wasm-instrument's stack limiter: before
 * each call of a defined function (at call sites, and in thunks for
 * exports, table elements and the start function) a global counter grows
 * by the callee's cost (wasm/stack_cost.h) as an i32 add, the call traps
 * if the counter is then above the limit (unsigned compare), and the cost
 * is taken off again after the call. Every way into a defined function
 * goes through one of those, and nothing observable happens between the
 * check and the callee's first instruction, so charging the cost at the
 * callee's entry and taking it off at its exit is the same: pvfhost
 * rewrites the one `FUNC_PROLOGUE;` and the one `FUNC_EPILOGUE;` that
 * wasm2c 1.0.32 writes in each function (a wasm `return` jumps to the
 * epilogue) into
 *
 *     PVF_STACK_ENTER(cost);   ...   PVF_STACK_LEAVE(cost);
 *
 * with the k-th prologue of the file belonging to the k-th defined
 * function, as wasm2c writes the definitions in code section order. The
 * counter is wasm2c's call-depth counter (wasm_rt_call_stack_depth, a u32
 * the runtime restores after a trap) and the limit its
 * WASM_RT_MAX_CALL_STACK_DEPTH, which preparation sets to StackLogicalMax.
 * A trap is "call stack exhausted"; in Polkadot it is an `unreachable`:
 * both make the candidate invalid.
 */
#include "engine/stacklimit.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char anchor[] = "\n#define FUNC_EPILOGUE\n#endif\n";
/* Without their line's newline: an empty function's prologue and epilogue
 * share one. */
static const char prologue[] = "\n  FUNC_PROLOGUE;";
static const char epilogue[] = "\n  FUNC_EPILOGUE;";
static const char macros[] =
	"/* pvfhost: Polkadot's deterministic stack limit (stacklimit.c): a\n"
	" * function's logical stack cost is charged on entry and given back on\n"
	" * exit; going over the limit traps. */\n"
	"#define PVF_STACK_ENTER(c)                                                      \\\n"
	"  if ((wasm_rt_call_stack_depth += (u32)(c)) > (u32)WASM_RT_MAX_CALL_STACK_DEPTH) \\\n"
	"    TRAP(EXHAUSTION);\n"
	"#define PVF_STACK_LEAVE(c) wasm_rt_call_stack_depth -= (u32)(c)\n";

/* Appends s[0, n) at *w. */
static void put(char **w, const char *s, size_t n)
{
	memcpy(*w, s, n);
	*w += n;
}

void pvf__stacklimit_names_free(char **names, uint32_t n)
{
	if (!names)
		return;
	for (uint32_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The C name of the function whose prologue is at `pro`: the identifier
 * before the first '(' of its header, the last line before `pro` that
 * starts with "static ". */
static char *name_before(const char *src, const char *pro)
{
	const char *h = pro, *paren, *e;

	while (h > src && !(h[-1] == '\n' && strncmp(h, "static ", 7) == 0))
		h--;
	if (h == src)
		return NULL;
	paren = memchr(h, '(', (size_t)(pro - h));
	if (!paren)
		return NULL;
	e = paren;
	while (e > h && ident_char(e[-1]))
		e--;
	return e < paren ? strndup(e, (size_t)(paren - e)) : NULL;
}

int pvf__stacklimit_rewrite(char **buf, size_t *len, const uint32_t *costs, uint32_t n, char ***ret_names,
			    pvf_error *err)
{
	const char *src = *buf, *end = *buf + *len, *at = strstr(src, anchor), *p;
	size_t cap;
	uint32_t k = 0;
	char *out, *w, **names = NULL;

	if (!at || strstr(at + 1, anchor))
		return pvf_error_set(err, PVF_E_TOOL, "unexpected wasm2c output: FUNC_EPILOGUE definition not found");
	at += sizeof(anchor) - 1;
	/* each cost adds at most 10 digits to each of two lines */
	cap = *len + sizeof(macros) + (size_t)n * 2 * 24 + 1;
	out = malloc(cap);
	if (ret_names)
		names = calloc(n ? n : 1, sizeof(*names));
	if (!out || (ret_names && !names)) {
		free(out);
		free(names);
		return pvf_error_set(err, PVF_E_NOMEM, "out of memory rewriting the stack limit");
	}
	w = out;
	put(&w, src, (size_t)(at - src));
	put(&w, macros, sizeof(macros) - 1);
	/* One pass: each function's text runs from its prologue to the next
	 * one (or the end), and holds exactly one epilogue. */
	p = at;
	for (const char *pro = strstr(p, prologue), *next; pro; pro = next) {
		const char *lim, *epi, *again;
		if (k == n || pro[sizeof(prologue) - 1] != '\n')
			goto bad;
		next = strstr(pro + 1, prologue);
		lim = next ? next : end;
		epi = memmem(pro + sizeof(prologue) - 1, (size_t)(lim - pro) - (sizeof(prologue) - 1), epilogue,
			     sizeof(epilogue) - 1);
		if (!epi || epi[sizeof(epilogue) - 1] != '\n')
			goto bad;
		again = memmem(epi + 1, (size_t)(lim - epi - 1), epilogue, sizeof(epilogue) - 1);
		if (again)
			goto bad;
		if (names && !(names[k] = name_before(src, pro)))
			goto bad;
		put(&w, p, (size_t)(pro - p));
		w += sprintf(w, "\n  PVF_STACK_ENTER(%" PRIu32 ");", costs[k]);
		p = pro + sizeof(prologue) - 1;
		put(&w, p, (size_t)(epi - p));
		w += sprintf(w, "\n  PVF_STACK_LEAVE(%" PRIu32 ");", costs[k]);
		p = epi + sizeof(epilogue) - 1;
		k++;
	}
	if (k != n || (k == 0 && strstr(p, epilogue)))
		goto bad;
	put(&w, p, (size_t)(end - p));
	*w = '\0';
	free(*buf);
	*buf = out;
	*len = (size_t)(w - out);
	if (ret_names)
		*ret_names = names;
	return 0;
bad:
	free(out);
	pvf__stacklimit_names_free(names, n);
	return pvf_error_set(err, PVF_E_TOOL,
			     "unexpected wasm2c output: %u defined functions, but not one FUNC_PROLOGUE and one "
			     "FUNC_EPILOGUE each (%u read)", n, k);
}
