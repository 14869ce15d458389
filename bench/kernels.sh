#!/usr/bin/env bash
# Code speed: the kernel suite (bench/kernels.c) run by pvfhost (each
# compiler configuration given), by node (V8) on the same .wasm, and
# natively (gcc -O2), taking turns over BENCH_ROUNDS rounds (default 3).
# Prints a table of milliseconds (the best time of each, 3 runs per round:
# in one process for node and the native program, a process per run for
# pvfhost) and ratios to V8,
# checks the checksums agree, and appends a dated row per configuration to
# docs/performance.md.
set -euo pipefail
build=${1:-build}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=("gcc:-Og" "gcc:-O1" "gcc:-O2" "clang:-O1" "clang:-O2" "gcc:-O0" "tcc:-O0")
root=$(cd "$(dirname "$0")/.." && pwd)
pvfhost="$build/src/cli/pvfhost"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvfhost-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
kernels=(k_hash 300 k_sort 40 k_matrix 300 k_interp 20000)

clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-dynamic -o "$work/kernels.wasm" "$root/bench/kernels.c"
gcc -O2 -o "$work/native" "$root/bench/kernels.c" "$root/bench/kernels_main.c"

declare -A ms
# lower: keeps the smaller of a time already recorded under key $1 and $2.
lower() { ms[$1]=$(python3 -c "print(min(float('$2'), float('${ms[$1]:-1e30}')))"); }
for i in "${!configs[@]}"; do
  cfg=${configs[$i]}; cc=${cfg%%:*}; opt=${cfg#*:}
  "$pvfhost" prepare --no-rules "$work/kernels.wasm" -o "$work/k.$i.art" --cc "$cc" "$opt" > /dev/null
done
# Native, V8 and every configuration take turns, round after round, so that a
# change in the machine's speed weighs on all of them alike; each keeps its
# best time.
for round in $(seq "${BENCH_ROUNDS:-3}"); do
  "$work/native" "${kernels[@]}" > "$work/native.txt"
  node "$root/bench/kernels.mjs" "$work/kernels.wasm" "${kernels[@]}" > "$work/v8.txt"
  while read -r name n sum t; do lower "native:$name" "$t"; ms[sum:$name]=$sum; done < "$work/native.txt"
  while read -r name n sum t; do
    lower "v8:$name" "$t"
    [ "$sum" = "${ms[sum:$name]}" ] || { echo "checksum mismatch for $name in node: $sum" >&2; exit 1; }
  done < "$work/v8.txt"
  for i in "${!configs[@]}"; do
    cfg=${configs[$i]}
    for ((k = 0; k < ${#kernels[@]}; k += 2)); do
      name=${kernels[k]}; n=${kernels[k+1]}
      for rep in 1 2 3; do
        out=$("$pvfhost" invoke --artifact "$work/k.$i.art" "$name" "$n" 2> "$work/err")
        sum=${out#i64:}
        [ "$sum" = "${ms[sum:$name]}" ] || { echo "checksum mismatch for $name ($cfg): $sum" >&2; exit 1; }
        lower "$cfg:$name" "$(sed -n 's/.*returned in \([0-9.]*\) ms/\1/p' "$work/err")"
      done
    done
  done
done

date=$(date -u +%Y-%m-%d)
cores=$(nproc)
printf '%-10s %10s %10s' kernel native v8
for cfg in "${configs[@]}"; do printf ' %12s' "$cfg"; done; echo
for ((i = 0; i < ${#kernels[@]}; i += 2)); do
  name=${kernels[i]}
  printf '%-10s %10s %10s' "$name" "${ms[native:$name]}" "${ms[v8:$name]}"
  for cfg in "${configs[@]}"; do printf ' %12s' "${ms[$cfg:$name]}"; done; echo
done
echo
echo "speed relative to V8 (V8 time / pvfhost time; > 1 is faster), geometric mean over kernels:"
rows=""
for cfg in "${configs[@]}"; do
  g=$(python3 - "$cfg" <<PY
import math, sys
v8 = [${ms[v8:k_hash]}, ${ms[v8:k_sort]}, ${ms[v8:k_matrix]}, ${ms[v8:k_interp]}]
names = ["k_hash", "k_sort", "k_matrix", "k_interp"]
vals = {"k_hash": ${ms[$cfg:k_hash]}, "k_sort": ${ms[$cfg:k_sort]}, "k_matrix": ${ms[$cfg:k_matrix]}, "k_interp": ${ms[$cfg:k_interp]}}
r = [v8[i] / vals[n] for i, n in enumerate(names)]
print("%.2f | %s" % (math.exp(sum(map(math.log, r)) / len(r)), " / ".join("%.2f" % x for x in r)))
PY
)
  nat=$(python3 -c "import math; r=[${ms[native:k_hash]}/${ms[$cfg:k_hash]}, ${ms[native:k_sort]}/${ms[$cfg:k_sort]}, ${ms[native:k_matrix]}/${ms[$cfg:k_matrix]}, ${ms[native:k_interp]}/${ms[$cfg:k_interp]}]; print('%.2f' % math.exp(sum(map(math.log, r))/len(r)))")
  echo "  $cfg: ${g%% |*}x V8 (per kernel hash/sort/matrix/interp: ${g#*| }), ${nat}x native"
  rows+="| $date | $cores | kernels | $cfg | ${g%% |*}x | ${g#*| } | ${nat}x |"$'\n'
done
if [ "${BENCH_NO_RECORD:-0}" != 1 ]; then
  printf '%s' "$rows" | python3 "$root/bench/record.py" kernels
fi
