/*
 * fuzz_nanflow.c — libFuzzer harness for the NaN test placement analysis
 * (src/wasm/nanflow.c). It reads the function bodies of untrusted modules
 * (after validation), so it must hold up against any valid module. Each
 * input that decodes and validates (all features) is analysed twice;
 * checked: only running out of memory is an error, both runs agree, and a
 * function not analysed reports no placements.
 */
#include <stdint.h>
#include <stdlib.h>

#include "wasm/module.h"
#include "wasm/nanflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pvf_decode_opts o = { .features = PVF_FEATURES_ALL };
	pvf_module *m = NULL;
	pvf_nanflow a, b;
	pvf_error err;

	if (pvf_module_decode(data, size, &o, &m, &err) < 0)
		return 0;
	if (pvf_nanflow_analyse(m, &a, &err) < 0 || pvf_nanflow_analyse(m, &b, &err) < 0)
		abort();
	if (a.nfuncs != m->nfunctions || b.nfuncs != a.nfuncs)
		abort();
	for (uint32_t i = 0; i < a.nfuncs; i++) {
		const pvf_nanflow_func *x = &a.funcs[i], *y = &b.funcs[i];
		if (x->analysed != y->analysed || x->narith != y->narith || x->nget != y->nget)
			abort();
		if (!x->analysed && (x->narith || x->nget))
			abort();
		for (uint32_t k = 0; k < x->narith; k++)
			if (x->arith[k].op != y->arith[k].op || x->arith[k].need != y->arith[k].need)
				abort();
		for (uint32_t k = 0; k < x->nget; k++)
			if (x->get[k].local != y->get[k].local || x->get[k].f64 != y->get[k].f64 ||
			    x->get[k].canon != y->get[k].canon)
				abort();
	}
	pvf_nanflow_free(&a);
	pvf_nanflow_free(&b);
	pvf_module_free(m);
	return 0;
}
