;; stack_refused.wat — valid WebAssembly that the stack limiter refuses: in
;; dead code its first add takes the height from 2 to 0 and back to 1, and
;; the second add cannot pop 2 from 1 ("stack underflow"). Polkadot's
;; preparation fails on it, so pvfhost's must (tests/unit/test_stack_cost.c).
(module
  (func unreachable i32.add i32.add drop))
