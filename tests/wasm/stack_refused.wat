;; stack_refused.wat — valid WebAssembly that the stack limiter refuses: in
;; dead code, function 0's first add takes the height from 2 to 0 and back
;; to 1, and the second add cannot pop 2 from 1 ("stack underflow").
;; Polkadot's preparation fails on it, so pvfhost's must: the module is a
;; PVF in every other way (tests/unit/test_stack_cost.c,
;; tests/cli/cli-test.py).
(module
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 1024))
  (func unreachable i32.add i32.add drop)
  (func (export "validate_block") (param i32 i32) (result i64) (i64.const 0)))
