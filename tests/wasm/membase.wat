;; Loads and stores of every kind, and memory grown by a callee between two
;; accesses of one function: the generated code reads the memory's base
;; pointer once per function (src/engine/membase.c). tests/unit/test_membase.c
;; checks the results against the WebAssembly specification (little-endian
;; bytes, sign and zero extension).
(module
  (memory (export "memory") 1 3)

  ;; No load or store: left as wasm2c wrote it.
  (func $grow (param i32) (result i32)
    (memory.grow (local.get 0)))

  ;; Bytes 87 86 85 84 83 82 81 80 at 16.
  (func (export "fill")
    (i64.store (i32.const 16) (i64.const 0x8081828384858687)))

  (func (export "i32_load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "i32_load8_u") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "i32_load16_s") (param i32) (result i32) (i32.load16_s (local.get 0)))
  (func (export "i32_load16_u") (param i32) (result i32) (i32.load16_u (local.get 0)))
  (func (export "i32_load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "i64_load8_s") (param i32) (result i64) (i64.load8_s (local.get 0)))
  (func (export "i64_load8_u") (param i32) (result i64) (i64.load8_u (local.get 0)))
  (func (export "i64_load16_s") (param i32) (result i64) (i64.load16_s (local.get 0)))
  (func (export "i64_load16_u") (param i32) (result i64) (i64.load16_u (local.get 0)))
  (func (export "i64_load32_s") (param i32) (result i64) (i64.load32_s (local.get 0)))
  (func (export "i64_load32_u") (param i32) (result i64) (i64.load32_u (local.get 0)))
  (func (export "i64_load") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "f32_load") (param i32) (result f32) (f32.load (local.get 0)))
  (func (export "f64_load") (param i32) (result f64) (f64.load (local.get 0)))

  ;; Every store kind, at 100..135, with an offset immediate on some.
  (func (export "stores")
    (i32.store8 (i32.const 100) (i32.const 0x12345678))
    (i32.store16 (i32.const 102) (i32.const 0x12345678))
    (i64.store8 offset=4 (i32.const 100) (i64.const 0x1122334455667788))
    (i64.store16 (i32.const 106) (i64.const 0x1122334455667788))
    (i64.store32 (i32.const 108) (i64.const 0x1122334455667788))
    (i32.store offset=12 (i32.const 100) (i32.const 0x12345678))
    (i64.store (i32.const 116) (i64.const 0x1122334455667788))
    (f32.store (i32.const 124) (f32.const 1.5))
    (f64.store (i32.const 128) (f64.const -2.0)))

  ;; Writes 7 at 0, grows the memory by a page in a callee, then writes
  ;; and reads the new page's first bytes and reads 0 again:
  ;; 0x0102030405060708 + 7.
  (func (export "grow_then_access") (result i64)
    (local $a i32)
    (i32.store (i32.const 0) (i32.const 7))
    (local.set $a (i32.mul (call $grow (i32.const 1)) (i32.const 65536)))
    (i64.store (local.get $a) (i64.const 0x0102030405060708))
    (i64.add (i64.load (local.get $a)) (i64.extend_i32_u (i32.load (i32.const 0)))))

  ;; Nine parameters: wasm2c writes the signature on two lines.
  (func (export "store9")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (i32.store (local.get 0) (local.get 8)))

  ;; The first byte past the memory's current size.
  (func (export "beyond") (result i32)
    (i32.load8_u (i32.mul (memory.size) (i32.const 65536)))))
