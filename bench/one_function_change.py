#!/usr/bin/env python3
"""one_function_change.py — makes the "runtime upgrade that changes one
function" case of the re-prepare benchmark.

usage: one_function_change.py IN.wasm BASE.wasm CHANGED.wasm [AT]

IN.wasm (raw wasm, or a Substrate blob: zstd after the 8-byte magic) is
written back through wabt's wasm2wat/wat2wasm as BASE.wasm, and again with
one change as CHANGED.wasm: in one defined function (among those with an
i32.const, the one at fraction AT of the way through the module, default
0.5) the first `i32.const N` becomes `i32.const N+1`. Both go through the same round trip, so they
differ in that one function body only. Prints the function changed.
"""
import os
import re
import subprocess
import sys
import tempfile

BLOB_MAGIC = bytes([0x52, 0xBC, 0x53, 0x76, 0x46, 0xDB, 0x8E, 0x05])


def raw_wasm(path):
    data = open(path, "rb").read()
    if data.startswith(BLOB_MAGIC):
        data = subprocess.run(["zstd", "-d", "-c"], input=data[8:], check=True, capture_output=True).stdout
    return data


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    src, base, changed = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp:
        w = os.path.join(tmp, "in.wasm")
        open(w, "wb").write(raw_wasm(src))
        wat = subprocess.run(["wasm2wat", "--enable-all", w], check=True, capture_output=True, text=True).stdout
        lines = wat.split("\n")
        # Start line of every function definition, and those with a constant.
        funcs = [i for i, l in enumerate(lines) if re.match(r"  \(func\b", l)]
        candidates = []
        for n, start in enumerate(funcs):
            end = funcs[n + 1] if n + 1 < len(funcs) else len(lines)
            for j in range(start + 1, end):
                if re.search(r"\bi32\.const -?\d+\s*$", lines[j]):
                    candidates.append((start, j))
                    break
        if not candidates:
            sys.exit("one_function_change.py: no function with an i32.const")
        at = float(sys.argv[4]) if len(sys.argv) == 5 else 0.5
        index = min(int(at * len(candidates)), len(candidates) - 1)
        start, j = candidates[index]
        m = re.search(r"i32\.const (-?\d+)\s*$", lines[j])
        value = int(m.group(1))
        new = value + 1 if value < 2**31 - 1 else value - 1
        for path, text in ((base, wat), (changed, None)):
            if text is None:
                lines[j] = lines[j][: m.start(1)] + str(new)
                text = "\n".join(lines)
            t = os.path.join(tmp, "m.wat")
            open(t, "w").write(text)
            subprocess.run(["wat2wasm", "--enable-all", t, "-o", path], check=True)
        print(f"function {index} of {len(candidates)} ({lines[start].strip()[:50]}): i32.const {value} -> {new}")


if __name__ == "__main__":
    main()
