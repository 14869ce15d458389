#!/usr/bin/env bash
# `make demo`: the main job on bundled inputs — inspect a small PVF-shaped
# module (examples/demo.wat, assembled at build time), check the PVF rules,
# compile it into an artifact, and run it: a compute kernel, then a trap;
# then validate a block on the bundled mini adder PVF (examples/mini-adder.c)
# through the Substrate host API, and an invalid block.
set -euo pipefail
build=${1:-build}
pvfhost="$build/src/cli/pvfhost"
wasm="$build/examples/demo.wasm"
work=$(mktemp -d "${TMPDIR:-/tmp}/pvfhost-demo-XXXXXX")
trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "inspect: module summary and PVF-rule verdict"
"$pvfhost" inspect "$wasm"

step "prepare: wasm -> C (wasm2c) -> shared object -> artifact"
"$pvfhost" prepare "$wasm" -o "$work/demo.artifact"

step "invoke: fib(27) from the artifact"
"$pvfhost" invoke --artifact "$work/demo.artifact" fib 27

step "invoke: validate_block on empty input traps (a deterministic verdict, exit 1)"
set +e
"$pvfhost" invoke --artifact "$work/demo.artifact" validate_block 0 0
rc=$?
set -e
echo "exit code $rc"
[ "$rc" -eq 1 ]

step "precheck: the bundled mini adder PVF (examples/mini-adder.c, built to wasm32), in a sandboxed prepare worker"
"$pvfhost" precheck "$build/examples/mini-adder.wasm" --cache "$work/cache"

step "precheck: a module without validate_block is rejected (exit 1)"
set +e
"$pvfhost" precheck "$build/tests/wasm/recursion.wasm" --cache "$work/cache"
rc=$?
set -e
echo "exit code $rc"
[ "$rc" -eq 1 ]

step "validate: the mini adder on a bundled block (a sandboxed execute worker; the artifact is cached)"
echo "params: $(cat "$build/examples/adder-params.hex")"
"$pvfhost" validate --code "$build/examples/mini-adder.wasm" --params "$build/examples/adder-params.hex" \
  --cache "$work/cache" --json

step "validate: the same block with a wrong parent state is an invalid candidate (exit 1)"
bad=$(sed 's/011b4d03/011b4d04/' "$build/examples/adder-params.hex")
set +e
"$pvfhost" validate --code "$build/examples/mini-adder.wasm" --params-hex "$bad" --cache "$work/cache"
rc=$?
set -e
echo "exit code $rc"
[ "$rc" -eq 1 ]
step "serve: the host as a daemon; validations from a client over its socket"
sock="$work/pvfhost.sock"
"$pvfhost" serve --socket "$sock" --cache "$work/cache" --log-level info 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
"$pvfhost" validate --connect "$sock" --code "$build/examples/mini-adder.wasm" \
  --params "$build/examples/adder-params.hex" --priority approval
kill -TERM "$serve_pid"
wait "$serve_pid"
echo "daemon stopped cleanly; its log:"
sed 's/^/  /' "$work/serve.log"

step "the same through the C library (examples/validate-example.c)"
"$build/examples/validate-example" "$build/examples/mini-adder.wasm" "$build/examples/adder-params.hex" "$work/cache"

echo
echo "demo finished"
