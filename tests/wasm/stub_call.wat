;; stub_call.wat — validate_block calls a host function that Polkadot's PVF
;; executor links to a trapping stub (main-trie storage), so validation must
;; fail with a trap that names the function once (tests/cli/cli-test.py).
(module
  (import "env" "ext_storage_get_version_1" (func $get (param i64) (result i64)))
  (memory (export "memory") 2)
  (global (export "__heap_base") i32 (i32.const 1024))
  (func (export "validate_block") (param i32 i32) (result i64)
    (call $get (i64.const 0))))
