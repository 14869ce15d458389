;; membomb.wat — grows memory one page at a time until growth fails;
;; returns the number of pages reached.
(module
  (memory (export "memory") 1)
  (func (export "bomb") (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        ;; touch the new page so it is really committed
        (i32.store (i32.mul (i32.sub (memory.size) (i32.const 1)) (i32.const 65536)) (i32.const 1))
        (br $l)))
    (memory.size))
)
