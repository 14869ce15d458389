;; loop.wat — never returns: for timeout tests.
(module
  (memory (export "memory") 1)
  (func (export "validate_block") (param i32 i32) (result i64)
    (loop $l (br $l))
    (i64.const 0))
)
