;; worker_state_start.wat — worker_state.wat with a start function, which
;; sets the global and the i32 at 64 to 10 when the module is instantiated:
;; every job returns 11 and 11. A PVF may not have a start function (the
;; PVF rules refuse it), so the test prepares it without the rules
;; (tests/unit/test_workers.c).
(module
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 1024))
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 16) "\00\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 64) "\05\00\00\00")
  (func $start
    (global.set $g (i32.const 10))
    (i32.store (i32.const 64) (i32.const 10)))
  (start $start)
  (func (export "validate_block") (param i32 i32) (result i64)
    (i64.const 0x0000000c00000010))
  (func (export "bump") (param i32 i32) (result i64)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1)))
    (i32.store (i32.const 128) (global.get $g))
    (i32.store (i32.const 132) (i32.load (i32.const 64)))
    (i64.const 0x0000000800000080))
)
