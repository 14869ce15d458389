;; input_entry_host_alloc.wat — an RFC-0145 entry point that calls the host
;; allocator, which such a call does not have: the call traps
;; (tests/unit/test_job_execute.c).
(module
  (import "env" "ext_allocator_malloc_version_1" (func $malloc (param i32) (result i32)))
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 1024))
  (func (export "validate_block") (param $len i32) (result i64)
    (drop (call $malloc (i32.const 16)))
    (i64.const 0)))
