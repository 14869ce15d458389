#!/usr/bin/env bash
# run-own.sh — pvfhost's own spec-format tests (tests/spec/wast/*.wast)
# through the same runner as the WebAssembly spec suite; they need no
# corpus.
#
#   run-own.sh PATH/TO/spec-runner [extra spec-runner options...]
#
# bulk_*.wast run with --features bulk (what Polkadot's WasmExtBulkMemory
# executor parameter allows), the others with --features pvf (what every
# PVF may use: sign extension, non-trapping float-to-int). Their
# expectations come from the WebAssembly 2.0 semantics; where wabt's
# reference interpreter (spectest-interp) is installed, it must agree with
# every one of them first.
#
# Environment: PVFHOST_SPEC_WORK (scratch directory, default spec-own-work
# beside the runner).
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 PATH/TO/spec-runner [options...]" >&2
	exit 2
fi
runner=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
work=${PVFHOST_SPEC_WORK:-$(cd "$(dirname "$runner")" && pwd)/spec-own-work}
rm -rf "$work"
mkdir -p "$work/json" "$work/run"

common=(--disable-reference-types --disable-multi-value)
args=()
shopt -s nullglob
for f in "$here"/wast/*.wast; do
	name=$(basename "$f" .wast)
	case "$name" in
	bulk_*) flags=("${common[@]}"); feat=bulk ;;
	*) flags=("${common[@]}" --disable-bulk-memory); feat=pvf ;;
	esac
	mkdir -p "$work/json/$name"
	if ! wast2json "${flags[@]}" "$f" -o "$work/json/$name/$name.json"; then
		echo "FAIL: wast2json could not convert $f" >&2
		exit 1
	fi
	if command -v spectest-interp >/dev/null; then
		if ! out=$(cd "$work/json/$name" && spectest-interp "${flags[@]}" "$name.json" 2>&1); then
			echo "$out" | grep -v ' passed' >&2
			echo "FAIL: wabt's reference interpreter disagrees with $f" >&2
			exit 1
		fi
		echo "spectest-interp $name: ${out##*$'\n'}"
	fi
	args+=(--features "$feat" "$work/json/$name/$name.json")
done
if [ ${#args[@]} -eq 0 ]; then
	echo "FAIL: no .wast files in $here/wast" >&2
	exit 1
fi
exec "$runner" "$@" --work "$work/run" "${args[@]}"
