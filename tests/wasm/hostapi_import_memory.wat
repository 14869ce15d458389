;; hostapi_import_memory.wat — a PVF-shaped module that imports env.memory
;; (as Cumulus runtimes do, with a declared maximum the host overrides),
;; calls the allocator, and implements the calling convention: echo returns
;; its input, grow_echo allocates more than the initial memory first, bad_ptr
;; returns a range outside memory, panic logs an error line and traps.
(module
  (import "env" "memory" (memory 2 4))
  (import "env" "ext_allocator_malloc_version_1" (func $malloc (param i32) (result i32)))
  (import "env" "ext_allocator_free_version_1" (func $free (param i32)))
  (import "env" "ext_storage_get_version_1" (func $storage_get (param i64) (result i64)))
  (import "env" "ext_logging_log_version_1" (func $log (param i32 i64 i64)))
  (global (export "__heap_base") i32 (i32.const 1024))
  (data (i32.const 16) "runtime")
  (data (i32.const 32) "panicked at 'boom'")
  ;; validate_block(ptr, len) -> ptr | len << 32 of a copy of the input
  (func $copy (param $p i32) (param $n i32) (result i64)
    (local $q i32) (local $i i32)
    (local.set $q (call $malloc (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $q) (local.get $i))
          (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $free (local.get $p))
    (i64.or (i64.extend_i32_u (local.get $q))
            (i64.shl (i64.extend_i32_u (local.get $n)) (i64.const 32))))
  (func (export "validate_block") (param i32 i32) (result i64)
    (call $copy (local.get 0) (local.get 1)))
  (func (export "echo") (param i32 i32) (result i64)
    (call $copy (local.get 0) (local.get 1)))
  ;; allocates 1 MiB first (memory starts at 128 KiB), then echoes
  (func (export "grow_echo") (param i32 i32) (result i64)
    (drop (call $malloc (i32.const 1048576)))
    (call $copy (local.get 0) (local.get 1)))
  (func (export "bad_ptr") (param i32 i32) (result i64)
    (i64.const 0x00000010fffffff0))
  ;; logs "panicked at 'boom'" at level 0 (error), target "runtime", then traps
  (func (export "panic") (param i32 i32) (result i64)
    (call $log (i32.const 0) (i64.const 0x0000000700000010) (i64.const 0x0000001200000020))
    (unreachable))
  (func (export "pages") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "call_storage_get") (param i32 i32) (result i64)
    (call $storage_get (i64.const 0)))
)
