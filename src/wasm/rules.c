/*
 * rules.c — the PVF rules over a decoded module (see rules.h).
 *
 * Each rule is one small function `check_<rule>(m, opts, v)` that returns
 *   0  rule met,
 *   1  rule violated (the verdict *v has been filled),
 *  -1  host failure (err set).
 * pvf_rules_check runs them in the documented order and stops at the first
 * non-zero result, so the verdict is the same on every machine.
 *
 * Names from the module are untrusted: they are compared by length + bytes
 * and quoted into messages with non-printable bytes escaped and a length
 * cap (quote_name), so a verdict message is always printable and bounded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hostapi/registry.h" /* struct layout only; no link dependency */
#include "wasm/rules.h"

/* Longest part of a module-supplied name quoted in a message. */
#define RULES_QUOTE_MAX 96u
/* Room for a rendered function type like "(i32, i64, ...) -> i64". */
#define RULES_TYPE_TEXT_MAX 160u

pvf_rules_opts pvf_rules_opts_default(void)
{
	pvf_rules_opts o;

	memset(&o, 0, sizeof(o));
	o.lookup = NULL;
	o.alloc_side = NULL;
	o.allow_bulk_memory = false;
	o.allow_missing_imports = true;
	o.max_code_bytes = 0;
	return o;
}

static int violate(pvf_rule_verdict *v, pvf_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int violate(pvf_rule_verdict *v, pvf_error_code code, const char *fmt, ...)
{
	va_list ap;

	v->ok = false;
	v->code = code;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
	return 1;
}

/* Writes a printable, bounded rendering of name[0..len) into out. */
static const char *quote_name(const pvf_name *n, char *out, size_t cap)
{
	size_t o = 0;
	uint32_t i;

	if (cap == 0)
		return out;
	for (i = 0; n->str && i < n->len && i < RULES_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)n->str[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= cap)
				break;
			snprintf(out + o, cap - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (i < n->len && o + 3 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static bool name_is(const pvf_name *n, const char *s)
{
	size_t l = strlen(s);

	return n->str && n->len == l && memcmp(n->str, s, l) == 0;
}

static const char *kind_name(pvf_extern_kind k)
{
	switch (k) {
	case PVF_EXTERN_FUNC:
		return "function";
	case PVF_EXTERN_TABLE:
		return "table";
	case PVF_EXTERN_MEMORY:
		return "memory";
	case PVF_EXTERN_GLOBAL:
		return "global";
	case PVF_EXTERN_TAG:
		return "tag";
	default:
		return "unknown";
	}
}

/* Renders "(i32, i64) -> i64" / "() -> nil" from type arrays. */
static void type_text(const uint8_t *params, uint32_t np, const uint8_t *results, uint32_t nr,
		      char *out, size_t cap)
{
	size_t o = 0;
	int w;

	w = snprintf(out, cap, "(");
	o = w > 0 ? (size_t)w : 0;
	for (uint32_t i = 0; i < np && o < cap; i++) {
		w = snprintf(out + o, cap - o, "%s%s", i ? ", " : "", pvf_valtype_name(params[i]));
		o += w > 0 ? (size_t)w : 0;
	}
	if (o < cap) {
		w = snprintf(out + o, cap - o, ") -> ");
		o += w > 0 ? (size_t)w : 0;
	}
	if (nr == 0 && o < cap) {
		snprintf(out + o, cap - o, "nil");
		return;
	}
	if (nr > 1 && o < cap) {
		w = snprintf(out + o, cap - o, "(");
		o += w > 0 ? (size_t)w : 0;
	}
	for (uint32_t i = 0; i < nr && o < cap; i++) {
		w = snprintf(out + o, cap - o, "%s%s", i ? ", " : "", pvf_valtype_name(results[i]));
		o += w > 0 ? (size_t)w : 0;
	}
	if (nr > 1 && o < cap)
		snprintf(out + o, cap - o, ")");
}

/* Parses a registry signature ("iI:i") into wasm value types. A static copy
 * of the registry's parser: the wasm layer must not link against hostapi. */
static int parse_sig(const char *sig, uint8_t *p, uint32_t *np, uint8_t *r, uint32_t *nr)
{
	uint8_t *dst = p;
	uint32_t *cnt = np, n = 0;

	*np = *nr = 0;
	if (!sig)
		return -1;
	for (; *sig; sig++) {
		uint8_t t;

		switch (*sig) {
		case ':':
			if (dst == r)
				return -1;
			*cnt = n;
			dst = r;
			cnt = nr;
			n = 0;
			continue;
		case 'i':
			t = PVF_I32;
			break;
		case 'I':
			t = PVF_I64;
			break;
		case 'f':
			t = PVF_F32;
			break;
		case 'F':
			t = PVF_F64;
			break;
		default:
			return -1;
		}
		if (n >= PVF_HOSTFN_SIG_MAX)
			return -1;
		dst[n++] = t;
	}
	if (dst != r)
		return -1;
	*cnt = n;
	return 0;
}

static const pvf_functype *type_at(const pvf_module *m, uint32_t idx)
{
	if (!m->types || idx >= m->ntypes)
		return NULL;
	return &m->types[idx];
}

static int check_validate_block(const pvf_module *m, pvf_rule_verdict *v, pvf_error *err)
{
	char tt[RULES_TYPE_TEXT_MAX];

	for (uint32_t i = 0; m->exports && i < m->nexports; i++) {
		const pvf_export *e = &m->exports[i];
		const pvf_functype *t;

		if (!name_is(&e->name, "validate_block"))
			continue;
		if (e->kind != PVF_EXTERN_FUNC)
			return violate(v, PVF_E_RULE_NO_VALIDATE_BLOCK,
				       "export 'validate_block' is a %s, not a function",
				       kind_name(e->kind));
		t = pvf_module_func_type(m, e->index);
		if (!t) {
			pvf_error_set(err, PVF_E_USAGE,
				      "rules: export 'validate_block' refers to function %u, which has no type",
				      e->index);
			return -1;
		}
		if (t->nparams == 2 && t->nresults == 1 && t->params && t->results &&
		    t->params[0] == PVF_I32 && t->params[1] == PVF_I32 && t->results[0] == PVF_I64)
			return 0;
		/* RFC-0145: (len: i32) -> i64, the input read with ext_input_read */
		if (t->nparams == 1 && t->nresults == 1 && t->params && t->results &&
		    t->params[0] == PVF_I32 && t->results[0] == PVF_I64)
			return 0;
		type_text(t->params, t->params ? t->nparams : 0, t->results,
			  t->results ? t->nresults : 0, tt, sizeof(tt));
		return violate(v, PVF_E_RULE_NO_VALIDATE_BLOCK,
			       "export 'validate_block' has type %s, expected (i32, i32) -> i64 "
			       "or (i32) -> i64", tt);
	}
	return violate(v, PVF_E_RULE_NO_VALIDATE_BLOCK,
		       "the module does not export a function named 'validate_block'");
}

static int check_memory(const pvf_module *m, pvf_rule_verdict *v)
{
	for (uint32_t i = 0; m->imports && i < m->nimports; i++) {
		const pvf_import *im = &m->imports[i];
		if (im->kind == PVF_EXTERN_MEMORY && name_is(&im->module, "env") &&
		    name_is(&im->field, "memory"))
			return 0;
	}
	for (uint32_t i = 0; m->exports && i < m->nexports; i++) {
		const pvf_export *e = &m->exports[i];
		if (e->kind == PVF_EXTERN_MEMORY && name_is(&e->name, "memory"))
			return 0;
	}
	return violate(v, PVF_E_RULE_NO_MEMORY,
		       "no usable memory: the module neither imports 'env.memory' nor exports a "
		       "memory named 'memory'");
}

static int check_features(const pvf_module *m, const pvf_rules_opts *o, pvf_rule_verdict *v)
{
	uint32_t allowed = PVF_RULES_ALLOWED_FEATURES;
	uint32_t bad;

	if (o->allow_bulk_memory)
		allowed |= PVF_FEAT_BULK_MEMORY;
	bad = m->features_used & ~allowed;
	if (!bad)
		return 0;
	/* Lowest bit first: a fixed order keeps the verdict deterministic. */
	bad &= ~bad + 1;
	if (bad == PVF_FEAT_BULK_MEMORY)
		return violate(v, PVF_E_RULE_FEATURE,
			       "post-MVP feature 'bulk-memory' is used but not enabled "
			       "(executor parameter WasmExtBulkMemory)");
	return violate(v, PVF_E_RULE_FEATURE, "post-MVP feature '%s' is not allowed in a PVF",
		       pvf_feature_name(bad));
}

static int check_start(const pvf_module *m, pvf_rule_verdict *v)
{
	if (!m->has_start)
		return 0;
	return violate(v, PVF_E_RULE_START_FUNCTION,
		       "the module has a start function (function %u); PVFs must not have one",
		       m->start);
}

static int check_imports(const pvf_module *m, const pvf_rules_opts *o, pvf_rule_verdict *v,
			 pvf_error *err)
{
	char qm[RULES_QUOTE_MAX * 4 + 8], qf[RULES_QUOTE_MAX * 4 + 8];
	uint32_t n_impl = 0, n_stub = 0, n_missing = 0;

	for (uint32_t i = 0; m->imports && i < m->nimports; i++) {
		const pvf_import *im = &m->imports[i];
		const struct pvf_hostfn_desc *d;
		const pvf_functype *t;
		uint8_t ep[PVF_HOSTFN_SIG_MAX], er[PVF_HOSTFN_SIG_MAX];
		uint32_t enp, enr;
		bool same;

		if (im->kind == PVF_EXTERN_MEMORY && name_is(&im->module, "env") &&
		    name_is(&im->field, "memory"))
			continue;
		quote_name(&im->module, qm, sizeof(qm));
		quote_name(&im->field, qf, sizeof(qf));
		if (im->kind != PVF_EXTERN_FUNC)
			return violate(v, PVF_E_RULE_UNKNOWN_IMPORT,
				       "import '%s.%s' is a %s; the only non-function import allowed "
				       "is 'env.memory'",
				       qm, qf, kind_name(im->kind));
		if (!name_is(&im->module, "env"))
			return violate(v, PVF_E_RULE_UNKNOWN_IMPORT,
				       "import '%s.%s': host functions are only provided in module 'env'",
				       qm, qf);
		d = im->field.str ? o->lookup(im->field.str, im->field.len) : NULL;
		if (!d) {
			if (o->allow_missing_imports) {
				n_missing++;
				continue;
			}
			return violate(v, PVF_E_RULE_UNKNOWN_IMPORT,
				       "import '%s.%s' is not a known host function", qm, qf);
		}
		t = type_at(m, im->u.func_type);
		if (!t) {
			pvf_error_set(err, PVF_E_USAGE, "rules: import '%s.%s' has type index %u out of range",
				      qm, qf, im->u.func_type);
			return -1;
		}
		if (parse_sig(d->sig, ep, &enp, er, &enr) < 0) {
			pvf_error_set(err, PVF_E_USAGE, "rules: registry signature '%s' of %s is malformed",
				      d->sig, d->name);
			return -1;
		}
		same = t->nparams == enp && t->nresults == enr &&
		       (enp == 0 || (t->params && memcmp(t->params, ep, enp) == 0)) &&
		       (enr == 0 || (t->results && memcmp(t->results, er, enr) == 0));
		if (!same) {
			char want[RULES_TYPE_TEXT_MAX], got[RULES_TYPE_TEXT_MAX];

			type_text(ep, enp, er, enr, want, sizeof(want));
			type_text(t->params, t->params ? t->nparams : 0, t->results,
				  t->results ? t->nresults : 0, got, sizeof(got));
			return violate(v, PVF_E_RULE_IMPORT_SIGNATURE,
				       "host function 'env.%s' imported with type %s, expected %s", qf,
				       got, want);
		}
		if (d->status == PVF_HOSTFN_IMPLEMENTED)
			n_impl++;
		else
			n_stub++;
	}
	v->n_implemented = n_impl;
	v->n_stub = n_stub;
	v->n_missing = n_missing;
	return 0;
}

/* RFC-0145: no imports from both sides of the allocation divide (the
 * first of each side is named). Function imports only, as Substrate checks
 * them while resolving imports. */
static int check_alloc_sides(const pvf_module *m, const pvf_rules_opts *o, pvf_rule_verdict *v)
{
	const pvf_import *host = NULL, *rt = NULL;
	char qh[RULES_QUOTE_MAX * 4 + 8], qr[RULES_QUOTE_MAX * 4 + 8];

	if (!o->alloc_side)
		return 0;
	for (uint32_t i = 0; m->imports && i < m->nimports; i++) {
		const pvf_import *im = &m->imports[i];
		int side;

		if (im->kind != PVF_EXTERN_FUNC || !im->field.str)
			continue;
		side = o->alloc_side(im->field.str, im->field.len);
		if (side == PVF_RULES_SIDE_HOST && !host)
			host = im;
		else if (side == PVF_RULES_SIDE_RUNTIME && !rt)
			rt = im;
	}
	if (!host || !rt)
		return 0;
	quote_name(&host->field, qh, sizeof(qh));
	quote_name(&rt->field, qr, sizeof(qr));
	return violate(v, PVF_E_RULE_IMPORT_SIGNATURE,
		       "imports host functions that allocate on both sides (RFC-0145): '%s' on the host "
		       "side, '%s' on the runtime side",
		       qh, qr);
}

static int check_code_size(const pvf_module *m, const pvf_rules_opts *o, pvf_rule_verdict *v)
{
	if (!o->max_code_bytes || m->code_size <= o->max_code_bytes)
		return 0;
	return violate(v, PVF_E_RULE_CODE_TOO_LARGE,
		       "function bodies total %llu bytes, over the limit of %llu bytes",
		       (unsigned long long)m->code_size, (unsigned long long)o->max_code_bytes);
}

int pvf_rules_check(const pvf_module *m, const pvf_rules_opts *opts, pvf_rule_verdict *ret,
		    pvf_error *err)
{
	pvf_rule_verdict v;
	int r;

	if (!m || !opts || !ret)
		return pvf_error_set(err, PVF_E_USAGE, "rules: NULL argument");
	if (!opts->lookup)
		return pvf_error_set(err, PVF_E_USAGE,
				     "rules: no host-function lookup given (set opts.lookup, "
				     "normally to pvf_hostfn_lookup)");
	memset(&v, 0, sizeof(v));
	v.ok = true;
	v.code = PVF_OK;

	r = check_validate_block(m, &v, err);
	if (r == 0)
		r = check_memory(m, &v);
	if (r == 0)
		r = check_features(m, opts, &v);
	if (r == 0)
		r = check_start(m, &v);
	if (r == 0)
		r = check_imports(m, opts, &v, err);
	if (r == 0)
		r = check_alloc_sides(m, opts, &v);
	if (r == 0)
		r = check_code_size(m, opts, &v);
	if (r < 0)
		return -1;
	*ret = v;
	return 0;
}

int pvf_rule_verdict_to_error(const pvf_rule_verdict *v, pvf_error *err)
{
	if (!v)
		return pvf_error_set(err, PVF_E_USAGE, "rules: NULL verdict");
	if (v->ok)
		return 0;
	return pvf_error_set(err, v->code, "%s", v->msg);
}
