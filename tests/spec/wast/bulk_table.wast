;; bulk_table.wast — the table half of the bulk-memory operations
;; (table.init, elem.drop, table.copy) and the segment rules that come with
;; them, which a PVF may use under Polkadot's WasmExtBulkMemory executor
;; parameter. Written for pvfhost from the WebAssembly 2.0 semantics; the
;; expectations are checked by wabt's reference interpreter
;; (spectest-interp) as well as by pvfhost's spec runner.
(module
  (type $t (func (result i32)))
  (table $tab 8 funcref)
  (func $f0 (type $t) (i32.const 10))
  (func $f1 (type $t) (i32.const 11))
  (func $f2 (type $t) (i32.const 12))
  (func $f3 (type $t) (i32.const 13))
  ;; active: slots 6 and 7 at instantiation, then dropped
  (elem $act (i32.const 6) $f2 $f3)
  ;; passive
  (elem $pas func $f0 $f1 $f2 $f3)
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
  (func (export "init") (param i32 i32 i32) (table.init $pas (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_active") (param i32 i32 i32) (table.init $act (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop")  (elem.drop $pas))
  (func (export "copy") (param i32 i32 i32) (table.copy (local.get 0) (local.get 1) (local.get 2)))
)

;; the active segment is in place; the rest is null
(assert_return (invoke "call" (i32.const 6)) (i32.const 12))
(assert_return (invoke "call" (i32.const 7)) (i32.const 13))
(assert_trap (invoke "call" (i32.const 0)) "uninitialized element")
(assert_trap (invoke "call" (i32.const 8)) "undefined element")

;; table.init from the passive segment, in bounds and at the edges
(assert_return (invoke "init" (i32.const 0) (i32.const 1) (i32.const 2)))
(assert_return (invoke "call" (i32.const 0)) (i32.const 11))
(assert_return (invoke "call" (i32.const 1)) (i32.const 12))
(assert_trap (invoke "call" (i32.const 2)) "uninitialized element")
(assert_return (invoke "init" (i32.const 8) (i32.const 4) (i32.const 0)))
(assert_trap (invoke "init" (i32.const 9) (i32.const 0) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "init" (i32.const 0) (i32.const 5) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "init" (i32.const 5) (i32.const 0) (i32.const 4)) "out of bounds table access")
(assert_trap (invoke "init" (i32.const 0) (i32.const 2) (i32.const 3)) "out of bounds table access")
(assert_trap (invoke "init" (i32.const 0) (i32.const 0) (i32.const 0xffffffff)) "out of bounds table access")
;; a failed init writes nothing
(assert_trap (invoke "call" (i32.const 5)) "uninitialized element")
(assert_return (invoke "call" (i32.const 0)) (i32.const 11))

;; the active segment was dropped at instantiation: only empty inits succeed
(assert_return (invoke "init_active" (i32.const 0) (i32.const 0) (i32.const 0)))
(assert_trap (invoke "init_active" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds table access")

;; table.copy, overlapping both ways (memmove semantics)
(assert_return (invoke "init" (i32.const 0) (i32.const 0) (i32.const 4)))
(assert_return (invoke "copy" (i32.const 1) (i32.const 0) (i32.const 3)))
(assert_return (invoke "call" (i32.const 0)) (i32.const 10))
(assert_return (invoke "call" (i32.const 1)) (i32.const 10))
(assert_return (invoke "call" (i32.const 2)) (i32.const 11))
(assert_return (invoke "call" (i32.const 3)) (i32.const 12))
(assert_return (invoke "copy" (i32.const 0) (i32.const 1) (i32.const 3)))
(assert_return (invoke "call" (i32.const 0)) (i32.const 10))
(assert_return (invoke "call" (i32.const 1)) (i32.const 11))
(assert_return (invoke "call" (i32.const 2)) (i32.const 12))
(assert_return (invoke "call" (i32.const 3)) (i32.const 12))
;; copying null entries makes the destination null
(assert_return (invoke "copy" (i32.const 0) (i32.const 4) (i32.const 2)))
(assert_trap (invoke "call" (i32.const 0)) "uninitialized element")
(assert_trap (invoke "call" (i32.const 1)) "uninitialized element")
(assert_return (invoke "copy" (i32.const 8) (i32.const 0) (i32.const 0)))
(assert_return (invoke "copy" (i32.const 0) (i32.const 8) (i32.const 0)))
(assert_trap (invoke "copy" (i32.const 9) (i32.const 0) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "copy" (i32.const 0) (i32.const 9) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke "copy" (i32.const 7) (i32.const 0) (i32.const 2)) "out of bounds table access")
(assert_trap (invoke "copy" (i32.const 0) (i32.const 7) (i32.const 2)) "out of bounds table access")
(assert_trap (invoke "copy" (i32.const 0) (i32.const 1) (i32.const 0xffffffff)) "out of bounds table access")
;; a failed copy writes nothing
(assert_return (invoke "call" (i32.const 2)) (i32.const 12))

;; elem.drop: the segment is then empty, dropping again is allowed
(assert_return (invoke "drop"))
(assert_return (invoke "drop"))
(assert_return (invoke "init" (i32.const 0) (i32.const 0) (i32.const 0)))
(assert_trap (invoke "init" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds table access")

;; Under bulk memory, active segments are written in order, and the first
;; that does not fit traps after the ones before it were written.
(module $partial
  (type $t (func (result i32)))
  (table (export "tab") 4 funcref)
  (func $g (type $t) (i32.const 20))
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
)
(register "partial" $partial)
(assert_trap
  (module
    (type $t (func (result i32)))
    (import "partial" "tab" (table 4 funcref))
    (func $h (type $t) (i32.const 21))
    (elem (i32.const 0) $h)
    (elem (i32.const 3) $h $h))
  "out of bounds table access")
(assert_return (invoke $partial "call" (i32.const 0)) (i32.const 21))
(assert_trap (invoke $partial "call" (i32.const 3)) "uninitialized element")
