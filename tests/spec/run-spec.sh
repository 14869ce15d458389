#!/usr/bin/env bash
# run-spec.sh — the WebAssembly spec test suite through pvfhost's own pipeline.
#
#   run-spec.sh PATH/TO/spec-runner [extra spec-runner options...]
#
# Converts every $CORPUS/spec-testsuite/*.wast (WebAssembly 1.0) with wabt's
# wast2json, MVP features only, spec-postmvp/signext/*.wast with
# sign-extension enabled and spec-postmvp/bulk/*.wast with bulk memory as
# well (Polkadot's WasmExtBulkMemory executor parameter), then runs spec-runner on all of them in one run (one
# table, one closing line "N passed, N failed"). The corpus is read in place.
#
# Environment:
#   PVFHOST_CORPUS       the corpus (default $PVFHOST_SOURCE_ROOT/../shared/corpus)
#   PVFHOST_SPEC_WORK    scratch + JSON directory (default: spec-work beside the runner)
#   PVFHOST_SPEC_CACHE   compiled-module cache directory (default $WORK/cache;
#                        "none" disables it)
#   PVFHOST_SPEC_JOBS    files run in parallel (default 2)
#   CI=true              a missing corpus is a failure instead of a skip
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 PATH/TO/spec-runner [options...]" >&2
	exit 2
fi
runner=$1
shift

here=$(cd "$(dirname "$0")" && pwd)
root=${PVFHOST_SOURCE_ROOT:-$here/../..}
corpus=${PVFHOST_CORPUS:-$root/../shared/corpus}
if [ ! -d "$corpus/spec-testsuite" ]; then
	if [ "${CI:-}" = true ]; then
		echo "FAIL: spec corpus not found at $corpus/spec-testsuite (CI=true)" >&2
		exit 1
	fi
	echo "SKIP: spec corpus not found at $corpus/spec-testsuite (set PVFHOST_CORPUS)"
	exit 77
fi

work=${PVFHOST_SPEC_WORK:-$(cd "$(dirname "$runner")" && pwd)/spec-work}
cache=${PVFHOST_SPEC_CACHE:-$work/cache}
jobs=${PVFHOST_SPEC_JOBS:-2}
mkdir -p "$work"
rm -rf "$work/json" "$work/run"
mkdir -p "$work/json/mvp" "$work/json/signext" "$work/json/bulk" "$work/run"

mvp_flags=(--disable-bulk-memory --disable-reference-types --disable-multi-value
	--disable-sign-extension --disable-saturating-float-to-int)
# spec-postmvp/SOURCE.txt: the signext files are the MVP i32/i64 tests plus
# the sign-extension operators; everything else stays MVP.
signext_flags=(--disable-bulk-memory --disable-reference-types --disable-multi-value
	--disable-saturating-float-to-int)
# spec-postmvp/bulk: memory.copy, memory.fill, memory.init and data.drop,
# run with sign extension on as well, as Polkadot's executor always has it.
bulk_flags=(--disable-reference-types --disable-multi-value
	--disable-saturating-float-to-int)

convert() { # features dir wast...
	local dir=$1
	shift
	local -n flags=$1
	shift
	local f
	for f in "$@"; do
		if ! wast2json "${flags[@]}" "$f" -o "$dir/$(basename "$f" .wast).json"; then
			echo "FAIL: wast2json could not convert $f" >&2
			return 1
		fi
	done
}

shopt -s nullglob
mvp=("$corpus"/spec-testsuite/*.wast)
signext=("$corpus"/spec-postmvp/signext/*.wast)
bulk=("$corpus"/spec-postmvp/bulk/*.wast)
if [ ${#mvp[@]} -eq 0 ]; then
	echo "FAIL: no .wast files in $corpus/spec-testsuite" >&2
	exit 1
fi
convert "$work/json/mvp" mvp_flags "${mvp[@]}"
args=(-j "$jobs" --work "$work/run" --features mvp "$work"/json/mvp/*.json)
if [ ${#signext[@]} -gt 0 ]; then
	convert "$work/json/signext" signext_flags "${signext[@]}"
	args+=(--features signext "$work"/json/signext/*.json)
fi
if [ ${#bulk[@]} -gt 0 ]; then
	convert "$work/json/bulk" bulk_flags "${bulk[@]}"
	args+=(--features bulk "$work"/json/bulk/*.json)
fi
if [ "$cache" != none ]; then
	# The runner refreshes an entry's mtime on every use; drop entries
	# unused for a day (other toolchains, older builds of the engine).
	if [ -d "$cache" ]; then
		find "$cache" -maxdepth 1 -name '*.pvfa' -mmin +1440 -delete 2>/dev/null || true
	fi
	args=(--cache "$cache" "${args[@]}")
fi

start=$(date +%s)
status=0
"$runner" "$@" "${args[@]}" || status=$?
echo "run-spec.sh: total wall time $(($(date +%s) - start)) s (runner exit status $status)" >&2
exit $status
