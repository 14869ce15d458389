;; hostapi_bad_sig.wat — imports an implemented host function with the wrong
;; type (blake2_256 takes an i64 fat pointer, not an i32): binding must fail.
(module
  (import "env" "ext_hashing_blake2_256_version_1" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (global (export "__heap_base") i32 (i32.const 1024))
)
