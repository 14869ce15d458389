#!/usr/bin/env bash
# Time to the first usable artifact: `pvfhost precheck FILE` (embedded host,
# sandboxed prepare worker, the pre-check tier's compiler) with a cold cache,
# BENCH_RUNS times per runtime. Validations run on that artifact until the
# optimised one is ready (docs/host.md). Appends dated rows to
# docs/performance.md.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${PVFHOST_CORPUS:-$root/../shared/corpus}
blobs=${BENCH_BLOBS:-"cumulus-shell polkadot-coretime"}
runs=${BENCH_RUNS:-3}
pvfhost="$build/src/cli/pvfhost"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvfhost-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -d "$corpus/pvf" ] || { echo "bench/precheck.sh: no corpus at $corpus (set PVFHOST_CORPUS)" >&2; exit 1; }
# The host's default pre-check compiler (pvf_engine_fast_cc).
if command -v tcc >/dev/null; then tier=tcc; else tier="clang -O0"; fi

date=$(date -u +%Y-%m-%d)
cores=$(nproc)
rows=""
for blob in $blobs; do
  times=()
  for ((i = 0; i < runs; i++)); do
    rm -rf "$work/cache"
    start=$(date +%s.%N)
    verdict=$("$pvfhost" precheck "$corpus/pvf/$blob.compressed.wasm" --cache "$work/cache" || true)
    end=$(date +%s.%N)
    t=$(python3 -c "print('%.2f' % ($end - $start))")
    echo "$blob: $verdict in $t s"
    times+=("$t")
  done
  summary=$(python3 -c "import statistics,sys; v=sorted(map(float,sys.argv[1:])); print('%.2f s | %.2f s | %.2f s' % (v[0], statistics.median(v), v[-1]))" "${times[@]}")
  rows+="| $date | $cores | $blob | $tier | ${verdict%%:*} | $runs | $summary |"$'\n'
done
printf '%s' "$rows"
if [ "${BENCH_NO_RECORD:-0}" != 1 ]; then
  printf '%s' "$rows" | python3 "$root/bench/record.py" precheck
fi
