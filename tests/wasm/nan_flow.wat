;; nan_flow.wat — NaN bits where the canonicalisation tests are placed by the
;; analysis (src/wasm/nanflow.c): in a local that holds only arithmetic
;; results the test moves to the reads whose bits are seen. Every export
;; returns bits that Polkadot's executor defines: arithmetic NaNs canonical
;; (f64 0x7ff8000000000000, f32 0x7fc00000), other NaNs exactly as they came
;; (tests/unit/test_engine.c, test_nan_placement). The operands come from a
;; mutable global so that no compiler can fold them: at run time x86 gives
;; inf - inf = 0xfff8000000000000 and 0/0 = 0xffc00000, not canonical.
(module
  (memory 1)
  (global $inf (mut f64) (f64.const inf))
  (global $zero (mut f32) (f32.const 0))
  ;; a pure accumulator, read once after its loop
  (func (export "acc") (result i64)
    (local $i i32) (local $a f64)
    (loop $l
      (local.set $a (f64.add (local.get $a) (f64.sub (global.get $inf) (global.get $inf))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
    (i64.reinterpret_f64 (local.get $a)))
  ;; its read negated: the sign flips on the canonical NaN
  (func (export "acc_neg") (result i64)
    (local $a f64)
    (local.set $a (f64.sub (global.get $inf) (global.get $inf)))
    (i64.reinterpret_f64 (f64.neg (local.get $a))))
  ;; copied into a second pure local, then read
  (func (export "copy") (result i64)
    (local $a f64) (local $b f64)
    (local.set $a (f64.sub (global.get $inf) (global.get $inf)))
    (local.set $b (local.get $a))
    (i64.reinterpret_f64 (local.get $b)))
  ;; tee: the value is also seen directly
  (func (export "tee") (result i64)
    (local $a f64)
    (i64.reinterpret_f64 (local.tee $a (f64.sub (global.get $inf) (global.get $inf)))))
  ;; f32
  (func (export "acc32") (result i32)
    (local $a f32)
    (local.set $a (f32.div (global.get $zero) (global.get $zero)))
    (i32.reinterpret_f32 (local.get $a)))
  ;; a NaN that is not an arithmetic result keeps its bits, in a local too
  (func (export "payload") (result i64)
    (local $p f64)
    (local.set $p (f64.reinterpret_i64 (i64.const 0x7ff4000000000001)))
    (i64.reinterpret_f64 (local.get $p)))
  ;; a local holding both: the arithmetic one canonical, the other not
  ;; (0x7ff8000000000000 + 0x7ff4000000000001 mod 2^64)
  (func (export "mixed") (result i64)
    (local $m f64)
    (local.set $m (f64.sub (global.get $inf) (global.get $inf)))
    (i64.store (i32.const 0) (i64.reinterpret_f64 (local.get $m)))
    (local.set $m (f64.reinterpret_i64 (i64.const 0x7ff4000000000001)))
    (i64.add (i64.load (i32.const 0)) (i64.reinterpret_f64 (local.get $m))))
  ;; a value through a block result into a local
  (func (export "block") (result i64)
    (local $a f64)
    (local.set $a (block (result f64) (f64.sub (global.get $inf) (global.get $inf))))
    (i64.reinterpret_f64 (local.get $a)))
  ;; stored from a pure local through memory
  (func (export "stored") (result i64)
    (local $a f64)
    (local.set $a (f64.mul (f64.sub (global.get $inf) (global.get $inf)) (f64.const 2)))
    (f64.store (i32.const 8) (local.get $a))
    (i64.load (i32.const 8)))
)
