;; worker_state.wat — what a job leaves behind must not reach the next job.
;; "bump" adds 1 to a global (0 at instantiation) and to the i32 at 64 (5
;; from the data segment), and returns both as 8 bytes at 128: every job,
;; starting from a fresh instance, returns 1 and 6
;; (tests/unit/test_workers.c). validate_block is the trivial PVF's.
(module
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 1024))
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 16) "\00\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 64) "\05\00\00\00")
  (func (export "validate_block") (param i32 i32) (result i64)
    (i64.const 0x0000000c00000010))
  (func (export "bump") (param i32 i32) (result i64)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1)))
    (i32.store (i32.const 128) (global.get $g))
    (i32.store (i32.const 132) (i32.load (i32.const 64)))
    ;; ptr 128 | len 8 << 32
    (i64.const 0x0000000800000080))
)
