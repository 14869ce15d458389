;; nan_bits.wat — NaN results whose exact bits a PVF can observe (reinterpret):
;; they must be the same whatever compiler and optimisation level prepared
;; the artifact, also when the operands are constants the compiler could fold,
;; and canonical (tests/unit/test_engine.c, test_nan_bits_deterministic).
(module
  (func (export "div00") (result i32) (i32.reinterpret_f32 (f32.div (f32.const 0) (f32.const 0))))
  (func (export "sqrtm1") (result i64) (i64.reinterpret_f64 (f64.sqrt (f64.const -1))))
  (func (export "infminf") (result i64) (i64.reinterpret_f64 (f64.sub (f64.const inf) (f64.const inf))))
  (func (export "snan_add") (result i32) (i32.reinterpret_f32 (f32.add (f32.const nan:0x200000) (f32.const 1))))
  (func (export "snan_add64") (result i64) (i64.reinterpret_f64 (f64.add (f64.const nan:0x4000000000000) (f64.const 1))))
  (func (export "negnan_mul") (result i32) (i32.reinterpret_f32 (f32.mul (f32.const -nan) (f32.const 2))))
  (func (export "zero_inf") (result i32) (i32.reinterpret_f32 (f32.mul (f32.const 0) (f32.const inf))))
  (func (export "demote") (result i32) (i32.reinterpret_f32 (f32.demote_f64 (f64.const nan:0x4000000000000))))
  (func (export "min_snan") (result i32) (i32.reinterpret_f32 (f32.min (f32.const nan:0x200000) (f32.const 1))))
  (func (export "max_snan64") (result i64) (i64.reinterpret_f64 (f64.max (f64.const 1) (f64.const nan:0x4000000000000))))
  (func (export "ceil_snan") (result i32) (i32.reinterpret_f32 (f32.ceil (f32.const nan:0x200000))))
  (func (export "nearest_snan64") (result i64) (i64.reinterpret_f64 (f64.nearest (f64.const nan:0x4000000000000))))
  (func (export "promote_snan") (result i64) (i64.reinterpret_f64 (f64.promote_f32 (f32.const nan:0x200000))))
  (func (export "sqrt_snan") (result i32) (i32.reinterpret_f32 (f32.sqrt (f32.const -nan:0x200000))))
  ;; A float value carried across a block and a loop (wasm2c names such stack
  ;; variables with a suffix, e.g. w2c_d0_0).
  (func (export "loop_nan") (result i64)
    (local $i i32) (local $acc f64)
    (local.set $acc (f64.const 1))
    (loop $l
      (local.set $acc (f64.mul (local.get $acc)
        (block (result f64) (f64.sub (f64.const inf) (f64.const inf)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3))))
    (i64.reinterpret_f64 (local.get $acc)))
  (func (export "block_nan32") (result i32)
    (i32.reinterpret_f32 (block (result f32) (f32.div (f32.const 0) (block (result f32) (f32.const 0))))))
)
