;; worker_loop.wat — never returns (as loop.wat), but PVF-shaped: it exports
;; __heap_base, which the execute job needs to place its input.
(module
  (memory (export "memory") 1)
  (global (export "__heap_base") i32 (i32.const 1024))
  (func (export "validate_block") (param i32 i32) (result i64)
    (loop $l (br $l))
    (i64.const 0))
)
