#!/usr/bin/env bash
# Runs every test suite and prints one closing line "N passed, N failed".
#   normal build:     every suite (unit, nosandbox, spec, pvf, cli, ...)
#   sanitizer build:  suite unit (AddressSanitizer + UndefinedBehaviorSanitizer)
set -uo pipefail
build=${1:-build}
asan=${2:-build-asan}
status=0

meson test -C "$build" --print-errorlogs --num-processes 2 || status=1
meson test -C "$asan" --suite unit --print-errorlogs --num-processes 2 || status=1

summary() {
  python3 - "$@" <<'PY'
import json, sys
p = f = s = 0
for path in sys.argv[1:]:
    try:
        with open(path) as fh:
            for line in fh:
                r = json.loads(line).get("result")
                if r in ("OK", "EXPECTEDFAIL"): p += 1
                elif r == "SKIP": s += 1
                else: f += 1
    except FileNotFoundError:
        f += 1
print(f"{p} passed, {f} failed" + (f", {s} skipped" if s else ""))
PY
}
echo
echo "test executables (normal + sanitizer builds):"
summary "$build/meson-logs/testlog.json" "$asan/meson-logs/testlog.json"
exit $status
