#!/usr/bin/env python3
"""cli-test.py PVFHOST BUILD_DIR — the CLI contract (exit codes, output
formats) of `pvfhost inspect`, `validate`, `call` and `invoke`, on modules
built from the repository, and, when the shared corpus is present, the
bundled mini adder against Polkadot's adder vectors (the expected results
there come from the real adder parachain, so matching them byte for byte
checks the host API, the allocator, the calling convention and the codecs).

Prints one line per check and the closing line "N passed, N failed".
"""
import json
import os
import re
import subprocess
import sys
import tempfile

pvfhost, build = sys.argv[1], sys.argv[2]
root = os.environ.get("PVFHOST_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
corpus = os.environ.get("PVFHOST_CORPUS", os.path.join(root, "..", "shared", "corpus"))
cache = tempfile.mkdtemp(prefix="pvfhost-cli-test-")
mini = os.path.join(build, "examples", "mini-adder.wasm")
demo = os.path.join(build, "examples", "demo.wasm")
traps = os.path.join(build, "tests", "wasm", "traps.wasm")
passed = failed = 0


def run(*args, stdin=None):
    return subprocess.run([pvfhost, *args], capture_output=True, text=True, input=stdin)


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


r = run("inspect", mini)
check("inspect mini-adder exits 0", r.returncode == 0, r.stdout[-200:])
check("inspect names host functions", "ext_hashing_keccak_256_version_1" in r.stdout and "[implemented]" in r.stdout)
r = run("inspect", "--json", mini)
j = json.loads(r.stdout)
check("inspect --json is JSON with the verdict", r.returncode == 0 and j["rules"]["ok"] is True
      and any(e["name"] == "validate_block" for e in j["exports"]))
# The stack limiter's costs (worked out by hand in tests/unit/test_engine.c:
# recursion.wat's $fat, function 3, costs 15, the most), and a module the
# limiter refuses.
r = run("inspect", "--json", os.path.join(build, "tests", "wasm", "recursion.wasm"))
j = json.loads(r.stdout) if r.stdout.startswith("{") else {}
check("inspect --json gives the largest logical stack cost",
      j.get("stack") == {"max_cost": 15, "max_cost_function": 3}, r.stdout[-300:])
r = run("inspect", os.path.join(build, "tests", "wasm", "stack_refused.wasm"))
check("inspect: a module Polkadot's stack limiter refuses is named so",
      "stack:      refused by Polkadot's stack limiter: " in r.stdout and "stack underflow" in r.stdout, r.stdout)
r = run("precheck", os.path.join(build, "tests", "wasm", "stack_refused.wasm"), "--cache", cache)
check("precheck: a PVF Polkadot's stack limiter refuses is invalid (exit 1)",
      r.returncode == 1 and r.stdout.startswith("invalid: invalid: ") and "stack underflow" in r.stdout,
      r.stdout + r.stderr)
r = run("inspect", traps)
check("inspect: a module without validate_block exits 1 naming the rule",
      r.returncode == 1 and "rule-validate-block" in r.stdout, r.stdout[-200:])
r = run("inspect", "/nonexistent/file.wasm")
check("inspect: unreadable input exits 2", r.returncode == 2)
with tempfile.NamedTemporaryFile(suffix=".wasm", delete=False) as f:
    f.write(b"\0asm\1\0\0\0\x05\x03\x01")
r = run("inspect", f.name)
check("inspect: a malformed module exits 1", r.returncode == 1 and "malformed" in r.stdout, r.stdout)
os.unlink(f.name)

params = open(os.path.join(build, "examples", "adder-params.hex")).read().strip()
r = run("validate", "--code", mini, "--params-hex", params, "--cache", cache)
check("validate exits 0 with lowercase hex", r.returncode == 0 and r.stdout.strip() == r.stdout.strip().lower()
      and len(r.stdout.strip()) == 2 * 85, r.stdout + r.stderr)
out_hex = r.stdout.strip()
r = run("validate", "--code", mini, "--params", "-", "--cache", cache, stdin=params + "\n")
check("validate --params - reads stdin", r.returncode == 0 and r.stdout.strip() == out_hex)
with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as f:
    f.write(bytes.fromhex(params[2:] if params.startswith("0x") else params))
r = run("validate", "--code", mini, "--params", f.name, "--cache", cache)
check("validate --params FILE reads raw SCALE bytes", r.returncode == 0 and r.stdout.strip() == out_hex,
      r.stdout + r.stderr)
os.unlink(f.name)
r = run("validate", "--code", mini, "--params", "/nonexistent/params.bin", "--cache", cache)
check("validate: an unreadable --params file exits 2", r.returncode == 2 and "cannot open" in r.stderr, r.stderr)
r = run("validate", "--code", mini, "--params-hex", params, "--json", "--cache", cache)
j = json.loads(r.stdout)
check("validate --json decodes the result", r.returncode == 0 and j["hrmp_watermark"] == 1
      and j["head_data"].startswith("0x0100000000000000"))
r = run("validate", "--code", mini, "--params-hex", params[:40], "--cache", cache)
check("validate: truncated params is an invalid candidate (exit 1, 'invalid: ')",
      r.returncode == 1 and r.stdout.startswith("invalid: "), r.stdout + r.stderr)
check("validate: the PVF's panic log goes to stderr", "ERROR runtime:" in r.stderr, r.stderr)
r = run("validate", "--code", mini, "--params-hex", "zz", "--cache", cache)
check("validate: bad hex is a usage error (exit 2)", r.returncode == 2)
r = run("validate", "--code", mini, "--cache", cache)
check("validate: missing --params is a usage error (exit 2)", r.returncode == 2)
r = run("call", "--code", demo, "--export", "validate_block", "--input-hex", "0x010203", "--cache", cache)
check("call: Substrate convention on any export", r.returncode == 0 and len(r.stdout.strip()) == 16,
      r.stdout + r.stderr)
# sum = 1+2+3 = 6 (u32 LE); xor-fold x = rotl(x, 5) ^ byte: 1, 0x22, 0x443 (u32 LE)
check("call: output bytes are the export's", r.stdout.strip() == "0600000043040000", r.stdout)
r = run("call", "--code", demo, "--export", "validate_block", "--cache", cache)
check("call: a trap exits 1 with 'trap: '", r.returncode == 1 and r.stdout.startswith("trap: "), r.stdout)
r = run("invoke", demo, "fib", "20")
check("invoke: typed call", r.returncode == 0 and r.stdout.strip() == "i64:6765", r.stdout + r.stderr)
# A host function that validation links to a stub: the trap names it once.
stub = os.path.join(build, "tests", "wasm", "stub_call.wasm")
r = run("validate", "--code", stub, "--params-hex", params, "--cache", cache)
check("validate: a call to a stubbed host function is an invalid candidate naming it",
      r.returncode == 1 and "unsupported host function: ext_storage_get_version_1" in r.stdout + r.stderr
      and (r.stdout + r.stderr).count("unsupported host function") == 1, r.stdout + r.stderr)

# Bytes after the ValidationResult are ignored (Polkadot decodes with
# ValidationResult::decode): valid, and the answer is the result alone.
r = run("validate", "--code", os.path.join(build, "tests", "wasm", "result_trailing.wasm"),
        "--params-hex", params, "--cache", cache)
check("validate: bytes after the ValidationResult are ignored and cut",
      r.returncode == 0 and r.stdout.strip() == "000000000700000009000000", r.stdout + r.stderr)

# An RFC-0145 entry point, validate_block(len: i32) -> i64, reads its input
# with ext_input_read: it returns an empty result with hrmp_watermark = the
# input's length, through the sandboxed workers.
entry = os.path.join(build, "tests", "wasm", "input_entry.wasm")
n = len(bytes.fromhex(params[2:] if params.startswith("0x") else params))
r = run("validate", "--code", entry, "--params-hex", params, "--cache", cache)
check("validate: an RFC-0145 entry point reads its input with ext_input_read",
      r.returncode == 0 and r.stdout.strip() == "0000000003000000" + n.to_bytes(4, "little").hex(),
      r.stdout + r.stderr)
r = run("precheck", entry, "--cache", cache)
check("precheck: an RFC-0145 PVF is valid", r.returncode == 0 and r.stdout.strip() == "valid", r.stdout + r.stderr)

# precheck through the embedded host: a verdict per exit code.
r = run("precheck", mini, "--cache", cache)
check("precheck: the mini adder is valid (exit 0)", r.returncode == 0 and r.stdout.strip() == "valid",
      r.stdout + r.stderr)
r = run("precheck", os.path.join(build, "tests", "wasm", "recursion.wasm"), "--cache", cache)
check("precheck: no validate_block is invalid (exit 1, named rule)", r.returncode == 1 and
      r.stdout.startswith("invalid: rule-validate-block"), r.stdout + r.stderr)
r = run("precheck", os.path.join(build, "no-such-file.wasm"), "--cache", cache)
check("precheck: unreadable file fails (exit 2)", r.returncode == 2 and r.stdout.startswith("failed: "), r.stdout)
r = run("cache", "ls", "--cache", cache, "--json")
check("cache ls --json lists the prepared artifacts", r.returncode == 0 and len(json.loads(r.stdout)) >= 1,
      r.stdout + r.stderr)
n_json = len(json.loads(r.stdout)) if r.returncode == 0 else -1
r = run("cache", "ls", "--cache", cache)
rows = [l for l in r.stdout.splitlines() if re.match(r"^[0-9a-f]{64}  [0-9a-f]{16} +\d+  \d{4}-\d\d-\d\dT", l)]
check("cache ls: a line per artifact and a total", r.returncode == 0 and len(rows) == n_json and
      re.search(r"^%d artifacts?, \d+ bytes" % n_json, r.stdout, re.M), r.stdout + r.stderr)
r = run("cache", "verify", "--cache", cache)
check("cache verify: every artifact ok, none bad", r.returncode == 0 and
      len([l for l in r.stdout.splitlines() if l.endswith("  ok")]) == n_json and "; 0 bad, removed" in r.stdout,
      r.stdout + r.stderr)
# prepare with a compiled-chunk cache: tiny chunks (--chunk-bytes 1) so that
# the small module splits; the second run takes every chunk from the cache
# and writes the same artifact bytes; prune --chunk-cache empties it.
chunks = os.path.join(cache, "chunks")
arts = [os.path.join(cache, "t1.art"), os.path.join(cache, "t2.art")]
outs = [run("prepare", traps, "--no-rules", "-o", a, "--chunk-bytes", "1", "--chunk-cache", chunks) for a in arts]
check("prepare --chunk-cache: cold run compiles every unit",
      outs[0].returncode == 0 and "(0 from the chunk cache)" in outs[0].stdout, outs[0].stdout + outs[0].stderr)
stages = re.findall(r"^  (\w+) +wall +([\d.]+) s +cpu +([\d.]+) s +peak rss +([\d.]+) MiB$", outs[0].stdout, re.M)
check("prepare prints the cost of each stage, decoding first",
      [s[0] for s in stages] == ["decode", "translate", "compile", "link", "store"] and
      float(stages[0][3]) > 0 and float(stages[2][1]) > 0 and float(stages[2][3]) > 0, outs[0].stdout)
units = [l for l in outs[1].stdout.splitlines() if l.startswith("compilation units:")]
check("prepare --chunk-cache: warm run takes all chunks from the cache, same bytes",
      outs[1].returncode == 0 and units and units[0].split()[2] != "0" and
      int(units[0].split()[3].strip("(")) == int(units[0].split()[2]) - 1 and
      open(arts[0], "rb").read() == open(arts[1], "rb").read(), outs[1].stdout)
r = run("cache", "prune", "--cache", cache, "--chunk-cache", chunks, "--size-cap", "1", "--json")
j = json.loads(r.stdout) if r.returncode == 0 else {}
check("cache prune --chunk-cache empties the chunk cache over its cap",
      j.get("chunk_cache", {}).get("chunks") == 0 and j["chunk_cache"]["removed"] >= 2 and
      not [f for f in os.listdir(chunks) if f.endswith(".chunk")], r.stdout + r.stderr)
r = run("security", "--json")
j = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
check("security: a table of features, each available/applied", r.returncode in (0, 2) and
      any(f["name"] == "seccomp" for f in j.get("features", [])), r.stdout + r.stderr)

vectors = os.path.join(corpus, "vectors", "adder.json")
if os.path.exists(vectors):
    v = json.load(open(vectors))
    cases = v["cases"] if isinstance(v, dict) else v
    for c in cases:
        r = run("validate", "--code", mini, "--params-hex", c["params_hex"], "--cache", cache)
        if c.get("expected_result_hex"):
            check(f"mini adder vs adder vector {c.get('name')}", r.returncode == 0 and
                  r.stdout.strip() == c["expected_result_hex"].lower().removeprefix("0x"), r.stdout + r.stderr)
        else:
            check(f"mini adder vs adder vector {c.get('name')} (trap)", r.returncode == 1 and
                  r.stdout.startswith("invalid: ") and "StateMismatch" in r.stdout, r.stdout)
    # The real adder PVF (compressed blob) through the host's sandboxed workers.
    adder = os.path.join(corpus, "pvf", "adder.compressed.wasm")
    for c in cases:
        r = run("validate", "--code", adder, "--params-hex", c["params_hex"], "--cache", cache)
        if c.get("expected_result_hex"):
            check(f"adder PVF through the host, vector {c.get('name')}", r.returncode == 0 and
                  r.stdout.strip() == c["expected_result_hex"].lower().removeprefix("0x"), r.stdout + r.stderr)
        else:
            check(f"adder PVF through the host, vector {c.get('name')} (trap)", r.returncode == 1 and
                  r.stdout.startswith("invalid: "), r.stdout)
elif os.environ.get("CI") == "true":
    check("corpus present (CI=true)", False, vectors)
else:
    print(f"skip adder vectors: no corpus at {corpus}")

subprocess.run(["rm", "-rf", cache])
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
