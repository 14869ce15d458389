/*
 * trap.c — names and descriptions of trap kinds (one switch each).
 */
#include "engine/engine.h"

const char *pvf_trap_name(pvf_trap_kind k)
{
	switch (k) {
	case PVF_TRAP_NONE: return "none";
	case PVF_TRAP_UNREACHABLE: return "unreachable";
	case PVF_TRAP_MEMORY_OOB: return "memory-out-of-bounds";
	case PVF_TRAP_TABLE_OOB: return "table-out-of-bounds";
	case PVF_TRAP_INDIRECT_NULL: return "indirect-call-null";
	case PVF_TRAP_INDIRECT_MISMATCH: return "indirect-call-type-mismatch";
	case PVF_TRAP_DIV_BY_ZERO: return "integer-divide-by-zero";
	case PVF_TRAP_INT_OVERFLOW: return "integer-overflow";
	case PVF_TRAP_INVALID_CONVERSION: return "invalid-conversion";
	case PVF_TRAP_STACK_EXHAUSTED: return "call-stack-exhausted";
	case PVF_TRAP_HOST_ERROR: return "host-function-error";
	case PVF_TRAP_UNSUPPORTED_HOST: return "unsupported-host-function";
	case PVF_TRAP_RESOURCE: return "resource-exhausted";
	default: return "unknown";
	}
}

const char *pvf_trap_describe(pvf_trap_kind k)
{
	switch (k) {
	case PVF_TRAP_NONE: return "no trap";
	case PVF_TRAP_UNREACHABLE: return "unreachable instruction executed";
	case PVF_TRAP_MEMORY_OOB: return "out of bounds memory access";
	case PVF_TRAP_TABLE_OOB: return "out of bounds table access";
	case PVF_TRAP_INDIRECT_NULL: return "indirect call to an uninitialized table element";
	case PVF_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
	case PVF_TRAP_DIV_BY_ZERO: return "integer divide by zero";
	case PVF_TRAP_INT_OVERFLOW: return "integer overflow";
	case PVF_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
	case PVF_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
	case PVF_TRAP_HOST_ERROR: return "host function error";
	case PVF_TRAP_UNSUPPORTED_HOST: return "unsupported host function";
	case PVF_TRAP_RESOURCE: return "resource exhausted";
	default: return "unknown trap";
	}
}
