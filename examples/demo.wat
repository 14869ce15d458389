;; demo.wat — a small validation function in the shape of a PVF.
;;
;; validate_block(ptr, len) reads `len` input bytes at `ptr`, and returns
;; (as ptr | len << 32) an 8-byte output: the sum of the input bytes (u32 LE)
;; followed by their xor-fold (u32 LE). It traps on empty input.
;; fib(n) is a compute kernel for the demo's timing line.
(module
  (memory (export "memory") 2 16)
  (global (export "__heap_base") i32 (i32.const 4096))
  (func (export "validate_block") (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (local $sum i32) (local $x i32)
    (if (i32.eqz (local.get $len)) (then (unreachable)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $sum (i32.add (local.get $sum)
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))))
        (local.set $x (i32.xor (i32.rotl (local.get $x) (i32.const 5))
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.store (i32.const 1024) (local.get $sum))
    (i32.store (i32.const 1028) (local.get $x))
    (i64.or (i64.const 1024) (i64.shl (i64.const 8) (i64.const 32))))
  (func $fib (export "fib") (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else (i64.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
)
