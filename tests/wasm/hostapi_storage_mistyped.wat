;; hostapi_storage_mistyped.wat — a storage host function imported with a
;; wrong type (exists returning i64 instead of i32): it links, to the stub
;; that traps, whether or not the host context has a runtime-call state.
(module
  (import "env" "ext_storage_exists_version_1" (func $exists (param i64) (result i64)))
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 4100))
  (func (export "ext_storage_exists_version_1") (param i64) (result i64) (call $exists (local.get 0)))
)
