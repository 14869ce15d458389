;; result_trailing.wat — validate_block returns a well-formed ValidationResult
;; followed by four more bytes. Polkadot's execute worker decodes the output
;; with ValidationResult::decode, which ignores what follows, so the
;; candidate is valid and the answer is the 12-byte result alone
;; (tests/cli/cli-test.py).
(module
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 1024))
  ;; head_data [] | new_validation_code None | upward [] | horizontal []
  ;; | processed_downward_messages 7 | hrmp_watermark 9 | de ad be ef
  (data (i32.const 16) "\00\00\00\00\07\00\00\00\09\00\00\00\de\ad\be\ef")
  (func (export "validate_block") (param i32 i32) (result i64)
    ;; ptr 16 | len 16 << 32
    (i64.const 0x0000001000000010)))
