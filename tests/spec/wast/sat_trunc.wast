;; sat_trunc.wast — the non-trapping float-to-int conversions (opcode 0xFC
;; 0..7), which every PVF may use: NaN gives 0, values beyond the range give
;; the nearest bound, everything else truncates toward zero. Written for
;; pvfhost from the WebAssembly 2.0 semantics (trunc_sat_u / trunc_sat_s);
;; the expectations are checked by wabt's reference interpreter
;; (spectest-interp) as well as by pvfhost's spec runner.
(module
  (func (export "i32.trunc_sat_f32_s") (param f32) (result i32) (i32.trunc_sat_f32_s (local.get 0)))
  (func (export "i32.trunc_sat_f32_u") (param f32) (result i32) (i32.trunc_sat_f32_u (local.get 0)))
  (func (export "i32.trunc_sat_f64_s") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
  (func (export "i32.trunc_sat_f64_u") (param f64) (result i32) (i32.trunc_sat_f64_u (local.get 0)))
  (func (export "i64.trunc_sat_f32_s") (param f32) (result i64) (i64.trunc_sat_f32_s (local.get 0)))
  (func (export "i64.trunc_sat_f32_u") (param f32) (result i64) (i64.trunc_sat_f32_u (local.get 0)))
  (func (export "i64.trunc_sat_f64_s") (param f64) (result i64) (i64.trunc_sat_f64_s (local.get 0)))
  (func (export "i64.trunc_sat_f64_u") (param f64) (result i64) (i64.trunc_sat_f64_u (local.get 0)))
)

;; i32 from f32, signed
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const 0.0)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const -0.0)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const 0x1p-149)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const -0x1p-149)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const 1.9)) (i32.const 1))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const -1.9)) (i32.const -1))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const 2147483520.0)) (i32.const 2147483520))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const -2147483648.0)) (i32.const -2147483648))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const 2147483648.0)) (i32.const 0x7fffffff))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const -2147483904.0)) (i32.const 0x80000000))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const inf)) (i32.const 0x7fffffff))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const -inf)) (i32.const 0x80000000))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const nan)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const -nan)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const nan:0x200000)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_s" (f32.const -nan:0x200000)) (i32.const 0))

;; i32 from f32, unsigned
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const 0.0)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const -0.0)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const 1.9)) (i32.const 1))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const -0.9)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const -1.0)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const 2147483648.0)) (i32.const -2147483648))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const 4294967040.0)) (i32.const -256))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const 4294967296.0)) (i32.const 0xffffffff))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const inf)) (i32.const 0xffffffff))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const -inf)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const nan)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f32_u" (f32.const -nan:0x200000)) (i32.const 0))

;; i32 from f64, signed
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const 0.0)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const -0x1p-1074)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const 2147483647.9)) (i32.const 2147483647))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const 2147483648.0)) (i32.const 2147483647))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const -2147483648.9)) (i32.const -2147483648))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const -2147483649.0)) (i32.const -2147483648))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const 1e300)) (i32.const 0x7fffffff))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const -1e300)) (i32.const 0x80000000))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const inf)) (i32.const 0x7fffffff))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const -inf)) (i32.const 0x80000000))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const nan)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f64_s" (f64.const -nan:0x4000000000000)) (i32.const 0))

;; i32 from f64, unsigned
(assert_return (invoke "i32.trunc_sat_f64_u" (f64.const -0.9)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f64_u" (f64.const 4294967295.9)) (i32.const -1))
(assert_return (invoke "i32.trunc_sat_f64_u" (f64.const 4294967296.0)) (i32.const 0xffffffff))
(assert_return (invoke "i32.trunc_sat_f64_u" (f64.const 100000000.5)) (i32.const 100000000))
(assert_return (invoke "i32.trunc_sat_f64_u" (f64.const 1e16)) (i32.const 0xffffffff))
(assert_return (invoke "i32.trunc_sat_f64_u" (f64.const -1e16)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f64_u" (f64.const inf)) (i32.const 0xffffffff))
(assert_return (invoke "i32.trunc_sat_f64_u" (f64.const -inf)) (i32.const 0))
(assert_return (invoke "i32.trunc_sat_f64_u" (f64.const nan)) (i32.const 0))

;; i64 from f32, signed
(assert_return (invoke "i64.trunc_sat_f32_s" (f32.const -1.9)) (i64.const -1))
(assert_return (invoke "i64.trunc_sat_f32_s" (f32.const 4294967296.0)) (i64.const 4294967296))
(assert_return (invoke "i64.trunc_sat_f32_s" (f32.const 9223371487098961920.0)) (i64.const 9223371487098961920))
(assert_return (invoke "i64.trunc_sat_f32_s" (f32.const -9223372036854775808.0)) (i64.const -9223372036854775808))
(assert_return (invoke "i64.trunc_sat_f32_s" (f32.const 9223372036854775808.0)) (i64.const 0x7fffffffffffffff))
(assert_return (invoke "i64.trunc_sat_f32_s" (f32.const -9223373136366403584.0)) (i64.const 0x8000000000000000))
(assert_return (invoke "i64.trunc_sat_f32_s" (f32.const inf)) (i64.const 0x7fffffffffffffff))
(assert_return (invoke "i64.trunc_sat_f32_s" (f32.const -inf)) (i64.const 0x8000000000000000))
(assert_return (invoke "i64.trunc_sat_f32_s" (f32.const nan)) (i64.const 0))

;; i64 from f32, unsigned
(assert_return (invoke "i64.trunc_sat_f32_u" (f32.const -0.9)) (i64.const 0))
(assert_return (invoke "i64.trunc_sat_f32_u" (f32.const 18446742974197923840.0)) (i64.const -1099511627776))
(assert_return (invoke "i64.trunc_sat_f32_u" (f32.const 18446744073709551616.0)) (i64.const 0xffffffffffffffff))
(assert_return (invoke "i64.trunc_sat_f32_u" (f32.const inf)) (i64.const 0xffffffffffffffff))
(assert_return (invoke "i64.trunc_sat_f32_u" (f32.const -inf)) (i64.const 0))
(assert_return (invoke "i64.trunc_sat_f32_u" (f32.const nan)) (i64.const 0))

;; i64 from f64, signed
(assert_return (invoke "i64.trunc_sat_f64_s" (f64.const 0x1p-1074)) (i64.const 0))
(assert_return (invoke "i64.trunc_sat_f64_s" (f64.const -4294967296.5)) (i64.const -4294967296))
(assert_return (invoke "i64.trunc_sat_f64_s" (f64.const 9223372036854774784.0)) (i64.const 9223372036854774784))
(assert_return (invoke "i64.trunc_sat_f64_s" (f64.const -9223372036854775808.0)) (i64.const -9223372036854775808))
(assert_return (invoke "i64.trunc_sat_f64_s" (f64.const 9223372036854775808.0)) (i64.const 0x7fffffffffffffff))
(assert_return (invoke "i64.trunc_sat_f64_s" (f64.const -9223372036854777856.0)) (i64.const 0x8000000000000000))
(assert_return (invoke "i64.trunc_sat_f64_s" (f64.const inf)) (i64.const 0x7fffffffffffffff))
(assert_return (invoke "i64.trunc_sat_f64_s" (f64.const -inf)) (i64.const 0x8000000000000000))
(assert_return (invoke "i64.trunc_sat_f64_s" (f64.const nan)) (i64.const 0))
(assert_return (invoke "i64.trunc_sat_f64_s" (f64.const -nan)) (i64.const 0))

;; i64 from f64, unsigned
(assert_return (invoke "i64.trunc_sat_f64_u" (f64.const -0.9)) (i64.const 0))
(assert_return (invoke "i64.trunc_sat_f64_u" (f64.const 9223372036854775808.0)) (i64.const 0x8000000000000000))
(assert_return (invoke "i64.trunc_sat_f64_u" (f64.const 18446744073709549568.0)) (i64.const -2048))
(assert_return (invoke "i64.trunc_sat_f64_u" (f64.const 18446744073709551616.0)) (i64.const 0xffffffffffffffff))
(assert_return (invoke "i64.trunc_sat_f64_u" (f64.const 1e30)) (i64.const 0xffffffffffffffff))
(assert_return (invoke "i64.trunc_sat_f64_u" (f64.const -1e30)) (i64.const 0))
(assert_return (invoke "i64.trunc_sat_f64_u" (f64.const inf)) (i64.const 0xffffffffffffffff))
(assert_return (invoke "i64.trunc_sat_f64_u" (f64.const -inf)) (i64.const 0))
(assert_return (invoke "i64.trunc_sat_f64_u" (f64.const nan)) (i64.const 0))
