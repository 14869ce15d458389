#!/usr/bin/env bash
# bench/host.sh BUILD [N] — the execute path of the mini adder (the bundled
# PVF) three ways: in-process engine, the host API with a warm worker (back
# to back, and 2 ms apart), and
# the daemon from a client (the same two ways); then validations per second with 1 and 2
# execute workers. Prints a table and records a dated row in
# docs/performance.md (rows:host).
set -euo pipefail
build=${1:-build}
n=${2:-2000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pvfhost-bench-host-XXXXXX")
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill -TERM "$serve_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

code="$build/examples/mini-adder.wasm"
params="$build/examples/adder-params.hex"
"$build/src/cli/pvfhost" serve --socket "$work/sock" --cache "$work/daemon-cache" --workers-execute 1 \
  2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 200); do [ -S "$work/sock" ] && break; sleep 0.05; done

"$build/bench/host_bench" "$code" "$params" "$work" --connect "$work/sock" -n "$n" | tee "$work/out"

python3 - "$work/out" "$(nproc)" <<'PY' | tee "$work/row"
import sys, datetime
vals = {}
for line in open(sys.argv[1]):
    name, *kv = line.split()
    d = dict(x.split("=") for x in kv)
    key = name if name != "throughput" else f"tp{d['workers']}"
    vals[key] = d
ip, h, hp, dm, dp = vals["in-process"], vals["host"], vals["host-paced"], vals.get("daemon"), vals.get("daemon-paced")
f = lambda d, k: f"{float(d[k]):,.0f} µs"
over = lambda d: f"{float(d['p50_us']) - float(ip['p50_us']):,.0f} µs"
print(f"| {datetime.date.today()} | {sys.argv[2]} | mini adder | {f(ip,'p50_us')} / {f(ip,'p99_us')} "
      f"| {f(h,'p50_us')} / {f(h,'p99_us')} (+{over(h)}) "
      f"| {f(hp,'p50_us')} / {f(hp,'p99_us')} (+{over(hp)}) "
      f"| {(f(dm,'p50_us') + ' / ' + f(dm,'p99_us') + ' (+' + over(dm) + ')') if dm else '—'} "
      f"| {(f(dp,'p50_us') + ' / ' + f(dp,'p99_us') + ' (+' + over(dp) + ')') if dp else '—'} "
      f"| {float(vals['tp1']['per_s']):,.0f} | {float(vals['tp2']['per_s']):,.0f} |")
PY
python3 "$here/record.py" host < "$work/row"
