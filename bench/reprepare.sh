#!/usr/bin/env bash
# Re-preparation after a runtime upgrade that changes one function, with the
# compiled-chunk cache (docs/cache.md). For each corpus runtime: a cold
# optimised preparation (empty chunk cache), then BENCH_POSITIONS variants
# that each change one function (bench/one_function_change.py, functions
# spread over the module) prepared with the cache the cold run filled.
# Reports each variant's wall time as a share of the cold one and appends
# one dated row per runtime to docs/performance.md.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${PVFHOST_CORPUS:-$root/../shared/corpus}
blobs=${BENCH_BLOBS:-"cumulus-shell polkadot-coretime"}
positions=${BENCH_POSITIONS:-5}
cc=${BENCH_CC:-gcc}
opt=${BENCH_OPT:--Og}
pvfhost="$build/src/cli/pvfhost"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvfhost-reprepare-XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -d "$corpus/pvf" ] || { echo "bench/reprepare.sh: no corpus at $corpus (set PVFHOST_CORPUS)" >&2; exit 1; }

now() { date +%s.%N; }
date=$(date -u +%Y-%m-%d)
cores=$(nproc)
rows=""
for blob in $blobs; do
  src="$corpus/pvf/$blob.compressed.wasm"
  cache="$work/chunks-$blob"
  python3 "$root/bench/one_function_change.py" "$src" "$work/base.wasm" "$work/v.wasm" >/dev/null
  t0=$(now)
  out=$("$pvfhost" prepare "$work/base.wasm" -o "$work/a.art" --cc "$cc" "$opt" --chunk-cache "$cache")
  t1=$(now)
  cold=$(python3 -c "print('%.2f' % ($t1 - $t0))")
  units=$(echo "$out" | sed -n 's/^compilation units: \([0-9]*\).*/\1/p')
  echo "$blob: cold $cold s, $units units"
  shares=""
  for p in $(seq 1 "$positions"); do
    at=$(python3 -c "print(($p - 0.5) / $positions)")
    what=$(python3 "$root/bench/one_function_change.py" "$src" "$work/b.wasm" "$work/v.wasm" "$at")
    t0=$(now)
    out=$("$pvfhost" prepare "$work/v.wasm" -o "$work/v.art" --cc "$cc" "$opt" --chunk-cache "$cache")
    t1=$(now)
    warm=$(python3 -c "print('%.2f' % ($t1 - $t0))")
    cached=$(echo "$out" | sed -n 's/^compilation units: [0-9]* (\([0-9]*\) from.*/\1/p')
    echo "  $what: $warm s, $cached of $units units cached"
    shares+="$warm "
  done
  row=$(python3 - "$cold" $shares <<'PY'
import sys
cold = float(sys.argv[1])
w = [float(x) for x in sys.argv[2:]]
pct = [100 * x / cold for x in w]
print(f"{cold:.1f} s | " + ", ".join(f"{x:.1f} s" for x in w) +
      f" | {sum(pct) / len(pct):.0f} % (max {max(pct):.0f} %)")
PY
)
  echo "  $row"
  rows+="| $date | $cores | $blob | $cc $opt | $units | $row |"$'\n'
  rm -rf "$cache"
done
if [ "${BENCH_NO_RECORD:-0}" != 1 ]; then
  printf '%s' "$rows" | python3 "$root/bench/record.py" reprepare
fi
