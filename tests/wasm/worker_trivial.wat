;; worker_trivial.wat — the smallest PVF that validates: validate_block
;; returns at once a fixed, well-formed SCALE ValidationResult (12 bytes:
;; empty head_data, no new code, no upward or horizontal messages,
;; processed_downward_messages 0, hrmp_watermark 0). Used to measure the
;; execute path's request -> result latency (tests/unit/test_workers.c).
(module
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 1024))
  (data (i32.const 16) "\00\00\00\00\00\00\00\00\00\00\00\00")
  (func (export "validate_block") (param i32 i32) (result i64)
    ;; ptr 16 | len 12 << 32
    (i64.const 0x0000000c00000010))
)
