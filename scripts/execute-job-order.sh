#!/usr/bin/env bash
# scripts/execute-job-order.sh BUILD [ROUNDS] — regenerates
# src/worker/execute-job.order, the list of functions an execute job runs,
# which the static execute worker's link places together (lld's
# --symbol-ordering-file): a job then maps the worker's code it needs with
# fewer page faults (docs/performance.md, execute path, step 31).
#
# Each round validates the bundled mini adder through the host API with
# host_bench, records the jobs' page faults and a CPU profile with perf,
# adds every function of the worker binary that a job ran or faulted in to
# the list, and relinks. Names already in the list stay, in their order;
# names that no longer exist are ignored by the linker. Needs root (perf
# over the jobs, which are not dumpable) and Linux perf.
set -euo pipefail
build=${1:-build}
rounds=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
order="$here/src/worker/execute-job.order"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvfhost-job-order-XXXXXX")
trap 'rm -rf "$work"' EXIT

for r in $(seq "$rounds"); do
  ninja -C "$build" src/worker/pvfhost-execute-worker bench/host_bench >/dev/null
  mkdir -p "$work/cache"
  "$build/bench/host_bench" "$build/examples/mini-adder.wasm" "$build/examples/adder-params.hex" \
    "$work/cache" -n 4000 >"$work/bench.out" 2>&1 &
  bench=$!
  until grep -q 'workers=1' "$work/bench.out" 2>/dev/null; do
    kill -0 "$bench" 2>/dev/null || { cat "$work/bench.out" >&2; exit 1; }
    sleep 0.1
  done
  perf record -q -c 1 -e page-faults -d -a -o "$work/faults.data" -- sleep 0.5 >/dev/null 2>&1
  perf record -q -F 20000 -a -o "$work/cpu.data" -- sleep 0.5 >/dev/null 2>&1
  wait "$bench"
  {
    perf script -i "$work/faults.data" -F comm,ip,sym,dso 2>/dev/null
    perf script -i "$work/cpu.data" -F comm,ip,sym,dso 2>/dev/null
  } >"$work/samples"
  before=$(grep -cv '^#' "$order" || true)
  python3 - "$work/samples" "$order" <<'PY'
import re, sys
samples, order = sys.argv[1], sys.argv[2]
lines = open(order).read().splitlines()
have = {l.split('#')[0].strip() for l in lines} - {''}
new = []
for line in open(samples):
    # comm ip sym+off (dso): jobs and workers share the name; both run the
    # binary's job code, and the worker's own loop is small.
    m = re.match(r'\s*pvfhost-execute\S*\s+[0-9a-f]+\s+(\S+)\s+\((.*)\)\s*$', line)
    if not m or not m.group(2).endswith('pvfhost-execute-worker'):
        continue
    sym = m.group(1).split('+')[0]
    if sym in ('[unknown]', '@plt') or sym in have:
        continue
    have.add(sym)
    new.append(sym)
with open(order, 'a') as f:
    for s in new:
        f.write(s + '\n')
PY
  after=$(grep -cv '^#' "$order" || true)
  echo "round $r: $before -> $after functions; $(grep 'workers=2' "$work/bench.out")"
  rm -rf "$work/cache"
done
