;; input_entry.wat — RFC-0145 entry points ((len: i32) -> i64): the runtime
;; reads its input with ext_input_read_version_1 into its own buffer; no
;; __heap_base (no host allocator is set up for such a call).
;; tests/unit/test_job_execute.c and tests/cli/cli-test.py.
(module
  (import "env" "ext_input_read_version_1" (func $read (param i64)))
  (memory (export "memory") 2)
  ;; an empty ValidationResult with processed_downward_messages 3 and
  ;; hrmp_watermark = the input's length, written at 64 by validate_block
  (data (i32.const 64) "\00\00\00\00\03\00\00\00\00\00\00\00")
  (func $ps (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.extend_i32_u (local.get $ptr))
            (i64.shl (i64.extend_i32_u (local.get $len)) (i64.const 32))))
  ;; the input, read into 4096.. and returned
  (func (export "echo") (param $len i32) (result i64)
    (call $read (call $ps (i32.const 4096) (local.get $len)))
    (call $ps (i32.const 4096) (local.get $len)))
  ;; 8 bytes more than the input, pre-filled with 0xff: the host zeroes them
  (func (export "echo_big") (param $len i32) (result i64)
    (i64.store (i32.add (i32.const 4096) (local.get $len)) (i64.const -1))
    (call $read (call $ps (i32.const 4096) (i32.add (local.get $len) (i32.const 8))))
    (call $ps (i32.const 4096) (i32.add (local.get $len) (i32.const 8))))
  ;; a buffer one byte short: traps
  (func (export "echo_small") (param $len i32) (result i64)
    (call $read (call $ps (i32.const 4096) (i32.sub (local.get $len) (i32.const 1))))
    (call $ps (i32.const 4096) (local.get $len)))
  ;; the input is read once: the second read traps
  (func (export "read_twice") (param $len i32) (result i64)
    (call $read (call $ps (i32.const 4096) (local.get $len)))
    (call $read (call $ps (i32.const 4096) (local.get $len)))
    (call $ps (i32.const 4096) (local.get $len)))
  ;; a buffer past the end of memory: traps
  (func (export "read_oob") (param $len i32) (result i64)
    (call $read (call $ps (i32.const 131070) (local.get $len)))
    (i64.const 0))
  ;; the legacy entry point gets its input in memory: there is none to read,
  ;; and without __heap_base it cannot even be called
  (func (export "legacy") (param i32 i32) (result i64)
    (call $read (call $ps (i32.const 4096) (local.get 1)))
    (i64.const 0))
  (func (export "validate_block") (param $len i32) (result i64)
    (call $read (call $ps (i32.const 4096) (local.get $len)))
    (i32.store (i32.const 72) (local.get $len))
    (call $ps (i32.const 64) (i32.const 12))))
