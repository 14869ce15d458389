#!/usr/bin/env python3
"""nan-diff.py PVFHOST [MODULES] — differential test of the NaN test placement.

Generates random modules full of float arithmetic, locals, loops, blocks,
branches, dead code, stores, globals and calls, fed with NaNs of every kind
(canonical, negative, signalling payloads, infinities, zeros). Each module is
prepared three times: the reference tests every arithmetic result (gcc -O1
--nan-test-everywhere), the others place the tests by the analysis
(src/wasm/nanflow.c) with gcc -Og (the default level) and with tcc. The bits every run leaves in
its result, its memory and its global must be identical. Seeds are fixed, so
a failure names a module that can be regenerated (--keep DIR keeps them).
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

BITS = [0x7ff8000000000000, 0xfff8000000000000, 0x7ff4000000000001, 0xfff0000000000001,
        0x7ff0000000000000, 0xfff0000000000000, 0, 0x8000000000000000, 0x3ff8000000000000,
        0xc000000000000000, 0x7fffffffffffffff, 0x0000000000000001]
CONSTS = ["0", "-0", "1.5", "-2", "inf", "-inf", "nan", "-nan", "nan:0x4000000000001", "-nan:0x1"]
CONSTS32 = ["0", "-0", "1.5", "inf", "nan", "-nan", "nan:0x200001"]


class Gen:
    def __init__(self, rnd):
        self.r = rnd

    def pick(self, xs):
        return self.r.choice(xs)

    def cond(self, d):
        c = self.r.randrange(4)
        if c == 0 or d <= 0:
            return "(i32.const %d)" % self.r.randrange(2)
        if c == 1:
            return "(i32.lt_u (local.get $i) (i32.const 2))"
        op = self.pick(["lt", "eq", "ge", "ne"])
        return "(f64.%s %s %s)" % (op, self.f64(d - 1), self.f64(d - 1))

    def f32(self, d):
        c = self.r.randrange(8 if d > 0 else 3)
        if c == 0:
            return "(local.get $s)"
        if c == 1:
            return "(f32.const %s)" % self.pick(CONSTS32)
        if c == 2:
            return "(f32.reinterpret_i32 (i32.wrap_i64 (local.get $a)))"
        if c == 3:
            return "(f32.demote_f64 %s)" % self.f64(d - 1)
        if c == 4:
            return "(f32.%s %s)" % (self.pick(["neg", "abs", "sqrt", "ceil", "nearest"]), self.f32(d - 1))
        if c == 5:
            return "(local.tee $s %s)" % self.f32(d - 1)
        return "(f32.%s %s %s)" % (self.pick(["add", "sub", "mul", "div", "min", "max", "copysign"]),
                                   self.f32(d - 1), self.f32(d - 1))

    def f64(self, d):
        c = self.r.randrange(16 if d > 0 else 7)
        if c == 0:
            return "(f64.reinterpret_i64 (local.get $%s))" % self.pick(["a", "b"])
        if c == 1:
            return "(local.get $%s)" % self.pick(["x", "y", "z"])
        if c == 2:
            return "(f64.const %s)" % self.pick(CONSTS)
        if c == 3:
            return "(f64.load offset=%d (i32.const 0))" % (8 * self.r.randrange(8))
        if c == 4:
            return "(global.get $g)"
        if c == 5:
            return "(f64.convert_i32_s (local.get $i))"
        if c == 6:
            return "(local.get $%s)" % self.pick(["x", "y", "z"])
        if c in (7, 8, 9):
            return "(f64.%s %s %s)" % (self.pick(["add", "sub", "mul", "div", "min", "max", "add", "copysign"]),
                                       self.f64(d - 1), self.f64(d - 1))
        if c == 10:
            return "(f64.%s %s)" % (self.pick(["neg", "abs", "neg", "abs", "sqrt", "ceil", "floor", "trunc", "nearest"]),
                                    self.f64(d - 1))
        if c == 11:
            return "(local.tee $%s %s)" % (self.pick(["x", "y", "z"]), self.f64(d - 1))
        if c == 12:
            return "(select %s %s %s)" % (self.f64(d - 1), self.f64(d - 1), self.cond(d - 1))
        if c == 13:
            return "(block (result f64) %s)" % self.f64(d - 1)
        if c == 14:
            return "(if (result f64) %s (then %s) (else %s))" % (self.cond(d - 1), self.f64(d - 1), self.f64(d - 1))
        return "(f64.promote_f32 %s)" % self.f32(d - 1)

    def stmt(self, d):
        c = self.r.randrange(12 if d > 0 else 6)
        if c in (0, 1):
            return "(local.set $%s %s)" % (self.pick(["x", "y", "z"]), self.f64(3))
        if c == 2:
            return "(local.set $s %s)" % self.f32(2)
        if c == 3:
            return "(f64.store offset=%d (i32.const 0) %s)" % (8 * self.r.randrange(2, 8), self.f64(3))
        if c == 4:
            return "(global.set $g %s)" % self.f64(2)
        if c == 5:
            return "(drop %s)" % self.f64(2)
        if c == 6:
            return "(if %s (then %s) (else %s))" % (self.cond(1), self.stmts(d - 1), self.stmts(d - 1))
        if c == 7:
            return ("(local.set $i (i32.const 0)) (loop $l %s (local.set $i (i32.add (local.get $i) (i32.const 1)))"
                    " (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))" % self.stmts(d - 1))
        if c == 8:
            return "(block $b %s (br_if $b %s) %s)" % (self.stmts(d - 1), self.cond(1), self.stmts(d - 1))
        if c == 9:
            # dead code after an unconditional branch
            return "(block $b %s (br $b) %s)" % (self.stmts(d - 1), self.stmts(d - 1))
        if c == 10:
            return "(if %s (then (return %s)))" % (self.cond(1), self.f64(2))
        return "(i64.store offset=%d (i32.const 0) (i64.reinterpret_f64 %s))" % (8 * self.r.randrange(2, 8),
                                                                                 self.f64(3))

    def stmts(self, d):
        return " ".join(self.stmt(d) for _ in range(self.r.randrange(1, 4)))

    def module(self, nfuncs):
        out = ["(module", "  (memory 1)", "  (global $g (mut f64) (f64.const 0))"]
        for k in range(nfuncs):
            out.append("  (func $h%d (param $a i64) (param $b i64) (result f64)" % k)
            out.append("    (local $x f64) (local $y f64) (local $z f64) (local $s f32) (local $i i32)")
            out.append("    " + " ".join(self.stmt(2) for _ in range(self.r.randrange(3, 8))))
            out.append("    %s)" % self.f64(3))
        out.append("  (func (export \"main\") (param $a i64) (param $b i64) (result i64) (local $h i64)")
        out.append("    (i64.store (i32.const 0) (local.get $a)) (i64.store (i32.const 8) (local.get $b))")
        for k in range(nfuncs):
            out.append("    (local.set $h (i64.xor (i64.rotl (local.get $h) (i64.const 17))"
                       " (i64.reinterpret_f64 (call $h%d (local.get $a) (local.get $b)))))" % k)
        for off in range(0, 64, 8):
            out.append("    (local.set $h (i64.xor (i64.rotl (local.get $h) (i64.const 17))"
                       " (i64.load offset=%d (i32.const 0))))" % off)
        out.append("    (i64.xor (local.get $h) (i64.reinterpret_f64 (global.get $g))))")
        out.append(")")
        return "\n".join(out) + "\n"


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def main():
    args = sys.argv[1:]
    keep = None
    if "--keep" in args:
        i = args.index("--keep")
        keep = args[i + 1]
        del args[i:i + 2]
    pvfhost = args[0]
    count = int(args[1]) if len(args) > 1 else 80
    for tool in ("wat2wasm", "gcc", "tcc"):
        if not shutil.which(tool):
            print("nan-diff: %s not found" % tool, file=sys.stderr)
            return 1
    work = keep or tempfile.mkdtemp(prefix="pvfhost-nan-diff-")
    os.makedirs(work, exist_ok=True)
    configs = [("ref", ["--cc", "gcc", "-O1", "--nan-test-everywhere"]), ("gcc", ["--cc", "gcc", "-Og"]),
               ("tcc", ["--cc", "tcc"])]
    placed = total = reads = compared = 0
    failures = 0
    for seed in range(1, count + 1):
        rnd = random.Random(seed)
        wat = os.path.join(work, "m%d.wat" % seed)
        wasm = os.path.join(work, "m%d.wasm" % seed)
        with open(wat, "w") as f:
            f.write(Gen(rnd).module(rnd.randrange(2, 6)))
        r = run(["wat2wasm", wat, "-o", wasm])
        if r.returncode != 0:
            print("FAIL seed %d: wat2wasm: %s" % (seed, r.stderr.strip()[:300]))
            failures += 1
            continue
        arts = {}
        for name, opts in configs:
            art = os.path.join(work, "m%d-%s.art" % (seed, name))
            r = run([pvfhost, "prepare", "--no-rules", wasm, "-o", art] + opts)
            if r.returncode != 0:
                print("FAIL seed %d: prepare %s: %s" % (seed, name, (r.stderr or r.stdout).strip()[:300]))
                failures += 1
                break
            arts[name] = art
            m = re.search(r"(\d+) at reads of locals; placed by the analysis in (\d+) of (\d+)", r.stdout)
            if name != "ref" and m:
                reads += int(m.group(1))
                placed += int(m.group(2))
                total += int(m.group(3))
        if len(arts) != len(configs):
            continue
        for k in range(4):
            a, b = rnd.choice(BITS), rnd.choice(BITS)
            outs = {}
            for name, art in arts.items():
                r = run([pvfhost, "invoke", "--artifact", art, "main", hex(a), hex(b)])
                outs[name] = (r.returncode, r.stdout.strip())
            compared += 1
            if len(set(outs.values())) != 1:
                print("FAIL seed %d input (%s, %s): %s" % (seed, hex(a), hex(b), outs))
                failures += 1
    print("nan-diff: %d modules, %d runs compared; analysis placed the tests in %d of %d functions, "
          "%d tests at reads of locals" % (count, compared, placed, total, reads))
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    if total and placed < total * 0.9:
        print("FAIL: the analysis placed too few functions (%d of %d): the test would not exercise it"
              % (placed, total))
        failures += 1
    if reads == 0:
        print("FAIL: no test was placed at a read of a local: that path is not exercised")
        failures += 1
    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
