;; imports.wat — a module that calls host functions and uses an imported
;; memory, as PVFs do.
(module
  (import "env" "memory" (memory 2))
  (import "env" "host_add" (func $host_add (param i32 i64) (result i64)))
  (import "env" "host_fail" (func $host_fail (param i32)))
  (import "env" "host_f" (func $host_f (param f32 f64) (result f32)))
  (func (export "call_add") (param i32 i64) (result i64) (call $host_add (local.get 0) (local.get 1)))
  (func (export "call_fail") (call $host_fail (i32.const 5)))
  (func (export "call_f") (param f32 f64) (result f32) (call $host_f (local.get 0) (local.get 1)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)
