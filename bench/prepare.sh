#!/usr/bin/env bash
# Preparation cost per stage on the corpus runtimes, for each compiler
# configuration given (default: gcc at -Og, gcc and clang at -O0/-O1/-O2,
# tcc). Runs one
# preparation at a time, its compiler processes (one per chunk of a big
# module) one at a time unless BENCH_JOBS=N. Appends dated rows to
# docs/performance.md.
set -euo pipefail
build=${1:-build}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=("gcc:-Og" "gcc:-O0" "gcc:-O1" "gcc:-O2" "clang:-O0" "clang:-O1" "clang:-O2" "tcc:-O0")
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${PVFHOST_CORPUS:-$root/../shared/corpus}
blobs=${BENCH_BLOBS:-"adder cumulus-shell polkadot-coretime"}
# Parallel compiler processes per preparation (1: one at a time).
jobs=${BENCH_JOBS:-1}
pvfhost="$build/src/cli/pvfhost"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvfhost-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -d "$corpus/pvf" ] || { echo "bench/prepare.sh: no corpus at $corpus (set PVFHOST_CORPUS)" >&2; exit 1; }

date=$(date -u +%Y-%m-%d)
cores=$(nproc)
rows=""
for blob in $blobs; do
  for cfg in "${configs[@]}"; do
    cc=${cfg%%:*}; opt=${cfg#*:}
    start=$(date +%s.%N)
    out=$("$pvfhost" prepare "$corpus/pvf/$blob.compressed.wasm" -o "$work/a.art" --cc "$cc" "$opt" --jobs "$jobs")
    end=$(date +%s.%N)
    total=$(python3 -c "print('%.2f' % ($end - $start))")
    echo "$blob $cfg (total ${total} s):"; echo "$out"
    row=$(python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
def st(name):
    m = re.search(name + r"\s+wall\s+([\d.]+) s\s+cpu\s+([\d.]+) s\s+peak rss\s+([\d.]+) MiB", out)
    return m.groups() if m else ("?", "?", "?")
t, c = st("translate"), st("compile")
l, d, s = st("link"), st("decode"), st("store")
m = re.search(r"largest frame (\d+) bytes, native stack ([\d.]+) MiB", out)
print(f"{float(t[0]):.2f} s / {float(t[1]):.2f} s / {float(t[2]):.0f} MiB | {float(c[0]):.2f} s / {float(c[1]):.2f} s / {float(c[2]):.0f} MiB | {float(l[0]):.2f} s | FRAME {m.group(1)} B | {m.group(2)} MiB | {float(d[0]):.3f} s / {float(d[1]):.3f} s / {float(d[2]):.0f} MiB | {float(s[0]):.3f} s")
PY
)
    row=${row/FRAME/${total} s |}
    label=$cfg; [ "$jobs" = 1 ] || label="$cfg, $jobs jobs"
    rows+="| $date | $cores | $blob | $label | $row |"$'\n'
    rm -f "$work/a.art"
  done
done
if [ "${BENCH_NO_RECORD:-0}" != 1 ]; then
  printf '%s' "$rows" | python3 "$root/bench/record.py" prepare
fi
