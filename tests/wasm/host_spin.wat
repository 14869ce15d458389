;; host_spin.wat — a PVF that computes for a while, chosen by its input:
;; validate_block reads a u32 N from its input (0 if the input is shorter),
;; runs N x 2^20 steps of a linear congruential generator (no compiler can
;; fold that away), and returns a well-formed ValidationResult whose
;; hrmp_watermark is N, so every answer can be told apart. Used by the host
;; tests (tests/host/test_host.c) for long, overlapping and killable jobs.
(module
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 1024))
  (func (export "validate_block") (param $ptr i32) (param $len i32) (result i64)
    (local $n i32) (local $i i64) (local $steps i64) (local $x i32)
    (if (i32.ge_u (local.get $len) (i32.const 4))
      (then (local.set $n (i32.load (local.get $ptr)))))
    (local.set $steps (i64.shl (i64.extend_i32_u (local.get $n)) (i64.const 20)))
    (local.set $x (i32.const 1))
    (block $done
      (loop $l
        (br_if $done (i64.ge_u (local.get $i) (local.get $steps)))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $l)))
    ;; scratch word (not part of the result) keeps the loop's value alive
    (i32.store (i32.const 4) (local.get $x))
    ;; ValidationResult at 16: empty head, no code, no messages, processed 0, watermark N
    (i64.store (i32.const 16) (i64.const 0))
    (i32.store (i32.const 24) (local.get $n))
    (i64.const 0x0000000c00000010))
)
