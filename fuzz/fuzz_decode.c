/*
 * fuzz_decode.c — libFuzzer harness for the wasm decoder and validator.
 *
 * Each input is decoded twice, with every feature enabled and with MVP only,
 * then freed. The decoder must never crash, hang or leak on any input, and
 * a module accepted under MVP must also be accepted with all features and
 * report no post-MVP feature other than mutable globals (part of 1.0).
 * Every module valid with all features also goes through the stack
 * limiter's cost computation (wasm/stack_cost.c).
 * See docs/fuzzing.md for building and running it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "wasm/module.h"
#include "wasm/stack_cost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pvf_decode_opts all = { .features = PVF_FEATURES_ALL };
	pvf_decode_opts mvp = { .features = PVF_FEATURES_MVP };
	pvf_module *m = NULL;
	pvf_error err;
	int rc_all, rc_mvp;
	uint32_t used_mvp = 0;

	rc_all = pvf_module_decode(data, size, &all, &m, &err);
	if (rc_all == 0) {
		/* The stack limiter's costs, over any valid module: a cost or a
		 * refusal, never a crash; every cost covers the activation frame. */
		uint32_t *costs = NULL;
		if (pvf_stack_costs(m, &costs, &err) == 0) {
			for (uint32_t i = 0; i < m->nfunctions; i++)
				if (costs[i] < PVF_STACK_ACTIVATION_COST)
					abort();
			free(costs);
		} else if (err.code != PVF_E_INVALID && err.code != PVF_E_NOMEM) {
			abort();
		}
		pvf_module_free(m);
	}
	m = NULL;
	rc_mvp = pvf_module_decode(data, size, &mvp, &m, &err);
	if (rc_mvp == 0) {
		used_mvp = m->features_used;
		(void)pvf_module_find_export(m, "validate_block");
		(void)pvf_module_func_type(m, 0);
		(void)pvf_module_global_type(m, 0);
		pvf_module_free(m);
	}
	/* Invariants: MVP-valid implies ALL-valid; MVP decoding records no
	 * gated feature. */
	if (rc_mvp == 0 && rc_all != 0)
		abort();
	if (used_mvp & ~(uint32_t)PVF_FEAT_MUTABLE_GLOBALS)
		abort();
	return 0;
}
