;; worker_recursion.wat — validate_block reads a u32 N (little endian) from
;; its input and recurses N calls deep (not a tail call: the addition after
;; the call keeps every frame live), then returns the same 12-byte
;; ValidationResult as worker_trivial.wat. With N above what the
;; artifact's logical stack limit allows it traps (stack exhausted): tests
;; find the largest N that returns and check it is the same in every run.
(module
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 1024))
  (data (i32.const 16) "\00\00\00\00\00\00\00\00\00\00\00\00")
  (func $rec (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $rec (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func (export "validate_block") (param $p i32) (param $len i32) (result i64)
    (drop (call $rec (i32.load (local.get $p))))
    (i64.const 0x0000000c00000010))
)
