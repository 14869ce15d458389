// kernels.mjs — runs the kernels in node (V8) on the same .wasm file that
// pvfhost runs: prints "name n checksum best_ms" per kernel, best of 3.
import { readFileSync } from 'node:fs';

const [, , file, ...pairs] = process.argv;
const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
for (let i = 0; i + 1 < pairs.length; i += 2) {
  const name = pairs[i], n = Number(pairs[i + 1]);
  let best = Infinity, sum = 0n;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    sum = instance.exports[name](n);
    const t = performance.now() - t0;
    if (t < best) best = t;
  }
  console.log(`${name} ${n} ${BigInt.asUintN(64, sum)} ${best.toFixed(3)}`);
}
