#!/usr/bin/env bash
# `make bench`: every benchmark, one after the other.
set -euo pipefail
build=${1:-build}
here=$(dirname "$0")
"$here/kernels.sh" "$build"
"$here/runtime.sh" "$build"
"$here/prepare.sh" "$build"
"$here/precheck.sh" "$build"
"$here/reprepare.sh" "$build"
"$here/host.sh" "$build"
