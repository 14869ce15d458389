#!/usr/bin/env bash
# Code speed on real runtime code: the corpus runtimes prepared with each
# compiler configuration given (default gcc -Og, gcc -O1, tcc), then runtime
# calls that run a lot of the runtime's own code (metadata encoding) timed
# in process by bench/runtime_calls (fresh instance each): BENCH_CALLS
# calls (default 30) per configuration, in BENCH_ROUNDS rounds (default 5)
# in which the configurations take turns; the median of the rounds'
# medians. Checks that every configuration returns the same
# bytes, prints the medians and their ratio to the first configuration, and
# appends dated rows to docs/performance.md (rows:runtime).
set -euo pipefail
build=${1:-build}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=("gcc:-Og" "gcc:-O1" "tcc:-O0")
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${PVFHOST_CORPUS:-$root/../shared/corpus}
blobs=${BENCH_BLOBS:-"cumulus-shell polkadot-coretime"}
calls=${BENCH_CALLS:-30}
# Rounds in which the configurations take turns; each round makes
# calls / rounds calls per configuration (at least 3).
nrounds=${BENCH_ROUNDS:-5}
per_round=$(( calls / nrounds > 3 ? calls / nrounds : 3 ))
pvfhost="$build/src/cli/pvfhost"
runner="$build/bench/runtime_calls"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvfhost-bench-runtime-XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -d "$corpus/pvf" ] || { echo "bench/runtime.sh: no corpus at $corpus (set PVFHOST_CORPUS)" >&2; exit 1; }
# export and SCALE input (hex; "-" for none)
workloads=("Metadata_metadata -" "Metadata_metadata_at_version 0f000000")

date=$(date -u +%Y-%m-%d)
cores=$(nproc)
rows=""
printf '%-18s %-30s' runtime call
for cfg in "${configs[@]}"; do printf ' %16s' "$cfg"; done; echo
for blob in $blobs; do
  declare -A med=() digest=()
  for i in "${!configs[@]}"; do
    cfg=${configs[$i]}; cc=${cfg%%:*}; opt=${cfg#*:}
    "$pvfhost" prepare "$corpus/pvf/$blob.compressed.wasm" -o "$work/$blob.$i.art" --cc "$cc" "$opt" --jobs 2 > /dev/null
  done
  for w in "${workloads[@]}"; do
    read -r export input <<< "$w"
    declare -A rounds=()
    # The configurations take turns, round after round, so that a change
    # in the machine's speed weighs on all of them alike.
    for r in $(seq "$nrounds"); do
      for i in "${!configs[@]}"; do
        cfg=${configs[$i]}
        args=("$work/$blob.$i.art" "$export" "$per_round")
        [ "$input" = - ] || args+=("$input")
        if ! out=$("$runner" "${args[@]}" 2> "$work/err"); then
          # an older runtime without this call: skipped
          grep -q "no exported function" "$work/err" && continue 3
          cat "$work/err" >&2; exit 1
        fi
        read -r _ _ _ m len d <<< "$out"
        rounds[$cfg]+=" $m"
        if [ -n "${digest[$export]:-}" ] && [ "${digest[$export]}" != "$len:$d" ]; then
          echo "bench/runtime.sh: $blob $export: $cfg returned other bytes than ${configs[0]}" >&2; exit 1
        fi
        digest[$export]="$len:$d"
      done
    done
    for cfg in "${configs[@]}"; do
      [ -n "${rounds[$cfg]:-}" ] || continue
      med[$cfg:$export]=$(python3 -c "import statistics,sys; print('%.3f' % statistics.median(map(float, sys.argv[1:])))" ${rounds[$cfg]})
    done
    unset rounds
  done
  for w in "${workloads[@]}"; do
    read -r export _ <<< "$w"
    [ -n "${digest[$export]:-}" ] || continue
    printf '%-18s %-30s' "$blob" "$export (${digest[$export]%%:*} B)"
    base=${med[${configs[0]}:$export]}
    cells=""
    for cfg in "${configs[@]}"; do
      m=${med[$cfg:$export]}
      r=$(python3 -c "print('%.2f' % ($base / $m))")
      printf ' %9s ms %4sx' "$m" "$r"
      cells+=" $cfg ${m} ms (${r}×);"
    done
    echo
    rows+="| $date | $cores | $blob | $export | ${digest[$export]%%:*} B |${cells%;} |"$'\n'
  done
  unset med digest
done
echo "(median over $nrounds rounds of the median of $per_round calls, configurations taking turns; ratio: ${configs[0]} time / this configuration's time, > 1 is faster)"
if [ "${BENCH_NO_RECORD:-0}" != 1 ]; then
  printf '%s' "$rows" | python3 "$root/bench/record.py" runtime
fi
