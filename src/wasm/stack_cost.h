/*
 * stack_cost.h — the logical stack cost of each function, as Polkadot's
 * deterministic stack limit counts it.
 *
 * Polkadot's executor instruments every PVF with wasm-instrument 0.4.0's
 * stack limiter (sc-executor's inject_stack_depth_metering, the executor
 * parameter StackLogicalMax, default 65,536): each defined function has a
 * cost, a counter holds the sum of the costs of the calls in progress, and
 * a call whose cost would take the counter over the limit traps instead.
 * The cost of a function is its declared locals (parameters not counted)
 * plus the maximum height of its operand stack, computed by the limiter's
 * own rules, which start at height 2 (the activation frame) and differ
 * from validation in dead code (stack_cost.c). Those rules also refuse
 * some valid functions; Polkadot then fails the preparation, and so does
 * pvfhost.
 */
#ifndef PVF_WASM_STACK_COST_H
#define PVF_WASM_STACK_COST_H

#include <stdint.h>

#include "common/error.h"
#include "wasm/module.h"

/* What the limiter adds for the activation frame: the height it starts at. */
#define PVF_STACK_ACTIVATION_COST 2u

/* The cost of every defined function (m->nfunctions of them, in code
 * section order) into a new array *ret (free()). Each is at least
 * PVF_STACK_ACTIVATION_COST. Errors: PVF_E_INVALID when the limiter's
 * rules refuse a function (its index and the limiter's reason named),
 * PVF_E_NOMEM. The module must have been validated with its bodies. */
int pvf_stack_costs(const pvf_module *m, uint32_t **ret, pvf_error *err);

#endif
