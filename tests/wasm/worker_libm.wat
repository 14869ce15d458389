;; worker_libm.wat — validate_block reads an f64 X (little endian) from its
;; input and returns a ValidationResult whose head_data is the 16 bytes of
;; f64.floor(X) then f64.nearest(X). Compiled for x86-64 without SSE4.1, as
;; the artifacts are, f64.nearest is a call to the C math library's
;; nearbyint (gcc inlines floor), which the artifact loader resolves from
;; pvfhost's own table.
(module
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 1024))
  ;; compact(16) = 0x40, 16 head bytes, then new_validation_code None,
  ;; no upward or horizontal messages, two u32 zeros
  (data (i32.const 64) "\40")
  (data (i32.const 81) "\00\00\00\00\00\00\00\00\00\00\00")
  (func (export "validate_block") (param $p i32) (param $len i32) (result i64)
    (f64.store (i32.const 65) (f64.floor (f64.load (local.get $p))))
    (f64.store (i32.const 73) (f64.nearest (f64.load (local.get $p))))
    (i64.const 0x0000001c00000040))
)
