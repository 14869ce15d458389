/*
 * error.c — the one table that gives every error code its class and name,
 * and the helpers that fill a pvf_error.
 */
#include "error.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	pvf_error_class cls;
} code_table[PVF_E__COUNT] = {
	[PVF_OK] = { "ok", PVF_CLASS_NONE },
	[PVF_E_NOMEM] = { "out-of-memory", PVF_CLASS_INTERNAL },
	[PVF_E_IO] = { "io", PVF_CLASS_INTERNAL },
	[PVF_E_USAGE] = { "usage", PVF_CLASS_INTERNAL },
	[PVF_E_TOOL] = { "tool", PVF_CLASS_INTERNAL },
	[PVF_E_BLOB_TOO_LARGE] = { "blob-too-large", PVF_CLASS_DETERMINISTIC },
	[PVF_E_BLOB_BOMB] = { "blob-bomb", PVF_CLASS_DETERMINISTIC },
	[PVF_E_BLOB_CORRUPT] = { "blob-corrupt", PVF_CLASS_DETERMINISTIC },
	[PVF_E_MALFORMED] = { "malformed", PVF_CLASS_DETERMINISTIC },
	[PVF_E_INVALID] = { "invalid", PVF_CLASS_DETERMINISTIC },
	[PVF_E_RULE_NO_VALIDATE_BLOCK] = { "rule-validate-block", PVF_CLASS_DETERMINISTIC },
	[PVF_E_RULE_NO_MEMORY] = { "rule-memory", PVF_CLASS_DETERMINISTIC },
	[PVF_E_RULE_FEATURE] = { "rule-feature", PVF_CLASS_DETERMINISTIC },
	[PVF_E_RULE_START_FUNCTION] = { "rule-start-function", PVF_CLASS_DETERMINISTIC },
	[PVF_E_RULE_UNKNOWN_IMPORT] = { "rule-unknown-import", PVF_CLASS_DETERMINISTIC },
	[PVF_E_RULE_CODE_TOO_LARGE] = { "rule-code-too-large", PVF_CLASS_DETERMINISTIC },
	[PVF_E_RULE_IMPORT_SIGNATURE] = { "rule-import-signature", PVF_CLASS_DETERMINISTIC },
	[PVF_E_COMPILE] = { "compile", PVF_CLASS_DETERMINISTIC },
	[PVF_E_STACK_BOUND] = { "stack-bound", PVF_CLASS_DETERMINISTIC },
	[PVF_E_ARTIFACT_CORRUPT] = { "artifact-corrupt", PVF_CLASS_POSSIBLY_INVALID },
	[PVF_E_ARTIFACT_FOREIGN] = { "artifact-foreign", PVF_CLASS_POSSIBLY_INVALID },
	[PVF_E_ARTIFACT_LOAD] = { "artifact-load", PVF_CLASS_POSSIBLY_INVALID },
	[PVF_E_LINK] = { "link", PVF_CLASS_DETERMINISTIC },
	[PVF_E_INSTANTIATE] = { "instantiate", PVF_CLASS_DETERMINISTIC },
	[PVF_E_RUNTIME_CONSTRUCTION] = { "runtime-construction", PVF_CLASS_POSSIBLY_INVALID },
	[PVF_E_TRAP] = { "trap", PVF_CLASS_DETERMINISTIC },
	[PVF_E_BAD_RESULT] = { "bad-result", PVF_CLASS_DETERMINISTIC },
	[PVF_E_TIMEOUT] = { "timeout", PVF_CLASS_DETERMINISTIC },
	[PVF_E_WORKER_DIED] = { "worker-died", PVF_CLASS_POSSIBLY_INVALID },
	[PVF_E_JOB_DIED] = { "job-died", PVF_CLASS_POSSIBLY_INVALID },
	[PVF_E_PREPARE_OOM] = { "prepare-out-of-memory", PVF_CLASS_DETERMINISTIC },
	[PVF_E_PREPARE_TIMEOUT_LENIENT] = { "prepare-timeout-lenient", PVF_CLASS_INTERNAL },
	[PVF_E_DEADLINE] = { "deadline", PVF_CLASS_INTERNAL },
	[PVF_E_CANCELLED] = { "cancelled", PVF_CLASS_INTERNAL },
};

pvf_error_class pvf_error_code_class(pvf_error_code code)
{
	if ((unsigned)code >= PVF_E__COUNT)
		return PVF_CLASS_INTERNAL;
	return code_table[code].cls;
}

const char *pvf_error_code_name(pvf_error_code code)
{
	if ((unsigned)code >= PVF_E__COUNT || !code_table[code].name)
		return "unknown";
	return code_table[code].name;
}

const char *pvf_error_class_name(pvf_error_class cls)
{
	switch (cls) {
	case PVF_CLASS_NONE:
		return "none";
	case PVF_CLASS_DETERMINISTIC:
		return "deterministic";
	case PVF_CLASS_POSSIBLY_INVALID:
		return "possibly-invalid";
	case PVF_CLASS_INTERNAL:
		return "internal";
	default:
		return "unknown";
	}
}

int pvf_error_setv(pvf_error *err, pvf_error_code code, const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	err->code = code;
	err->cls = pvf_error_code_class(code);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int pvf_error_set(pvf_error *err, pvf_error_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pvf_error_setv(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

void pvf_error_prefix(pvf_error *err, const char *fmt, ...)
{
	char old[PVF_ERROR_MSG_MAX];
	va_list ap;
	int n;

	if (!err)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(err->msg) - 2)
		return;
	memcpy(err->msg + n, ": ", 2);
	n += 2;
	/* Truncates the old message if needed; always terminated. */
	size_t room = sizeof(err->msg) - (size_t)n - 1;
	size_t len = strnlen(old, sizeof(old));
	if (len > room)
		len = room;
	memcpy(err->msg + n, old, len);
	err->msg[n + len] = '\0';
}

void pvf_error_clear(pvf_error *err)
{
	if (!err)
		return;
	err->code = PVF_OK;
	err->cls = PVF_CLASS_NONE;
	err->msg[0] = '\0';
}
