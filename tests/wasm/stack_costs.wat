;; stack_costs.wat — functions whose logical stack cost (declared locals +
;; the stack limiter's maximum height, which starts at 2) is worked out by
;; hand in tests/unit/test_stack_cost.c, one per rule of the limiter.
(module
  ;; 0: only the final end, at height 2                                -> 2
  (func)
  ;; 1: three declared locals, empty body                            -> 3 + 2 = 5
  (func (local i32 i32 i32))
  ;; 2: parameters are not counted; const 2->3, drop at 3             -> 3
  (func (param i32 i32 i32) i32.const 0 drop)
  ;; 3: const, const, add seen at 4                                   -> 4
  (func (result i32) i32.const 1 i32.const 2 i32.add)
  ;; 4: dead code: a block opened after unreachable is not dead for the
  ;;    limiter; its drop is seen at 4                                -> 4
  (func (result i32) unreachable (block (result i32) i32.const 1 i32.const 2 drop))
  ;; 5: if/else: the else arm starts at the then arm's height, 3, and
  ;;    its const makes 4                                             -> 4
  (func (param i32) (result i32) local.get 0 (if (result i32) (then i32.const 1) (else i32.const 2)))
  ;; 6: br_if seen at 3                                               -> 3
  (func (param i32) (block local.get 0 br_if 0))
  ;; 7: select seen at 5                                              -> 5
  (func (result i32) i32.const 1 i32.const 2 i32.const 0 select)
  ;; 8: two locals read, add seen at 4                                -> 4
  (func $two (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  ;; 9: call seen at 4                                                -> 4
  (func (result i32) i32.const 1 i32.const 2 call $two)
  ;; 10: a local group of 70 and one of 1, loop body seen at 3       -> 71 + 3 = 74
  (func (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
               i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
               i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
               i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (local f32)
    (loop i32.const 0 br_if 0))
)
