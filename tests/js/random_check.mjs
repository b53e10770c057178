// Runs ufm/js/random.js for tests/test_js_random.py. Usage:
//
//   node random_check.mjs draws SEED OP...   the draws of OP... as little-endian float64 on stdout
//   node random_check.mjs state SEED OP...   {"state": ..., "inc": ...} (decimal) after OP...
//   node random_check.mjs log1p [plain]      log1p of the float64s on stdin, float64s on stdout
//   node random_check.mjs fma                fma(a, b, c) of the float64 triples on stdin
//   node random_check.mjs tables             ki_double, wi_double, fi_double as float64s
//   node random_check.mjs bench N [REPEATS]  {"n": N, "ms": best time for N normals}
//
// SEED is a decimal integer, read as a Number when it is a safe integer and as a BigInt
// otherwise or when it ends in "n" (e.g. 42n). OP is normal or random (one Number) or
// normal:SHAPE / random:SHAPE with SHAPE like 5 or 3x4 (a Float64Array).
import { readFileSync } from "node:fs";

import { Generator, _internals } from "../../ufm/js/random.js";

function parseSeed(text) {
  if (text.endsWith("n")) return BigInt(text.slice(0, -1));
  const value = BigInt(text);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function run(generator, op) {
  const [kind, shape] = op.split(":");
  const method = { normal: "standardNormal", random: "random" }[kind];
  if (method === undefined) throw new Error(`unknown op ${op}`);
  if (shape === undefined) return Float64Array.of(generator[method]());
  const dims = shape.split("x").map(Number);
  return generator[method](dims.length === 1 ? dims[0] : dims);
}

function readDoubles() {
  const input = readFileSync(0); // stdin
  return new Float64Array(input.buffer.slice(input.byteOffset, input.byteOffset + input.length));
}

function write(array) {
  process.stdout.write(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "draws" || mode === "state") {
  const generator = new Generator(parseSeed(args[0]));
  for (const op of args.slice(1)) {
    const draws = run(generator, op);
    if (mode === "draws") write(draws);
  }
  if (mode === "state") {
    const { state, inc } = generator.state;
    process.stdout.write(JSON.stringify({ state: String(state), inc: String(inc) }));
  }
} else if (mode === "log1p") {
  const mulAdd = args[0] === "plain" ? _internals.plainMulAdd : _internals.fma;
  write(readDoubles().map((x) => _internals.log1p(x, mulAdd)));
} else if (mode === "fma") {
  const abc = readDoubles();
  const out = new Float64Array(abc.length / 3);
  for (let i = 0; i < out.length; i++) {
    out[i] = _internals.fma(abc[3 * i], abc[3 * i + 1], abc[3 * i + 2]);
  }
  write(out);
} else if (mode === "tables") {
  for (const table of [_internals.KI, _internals.WI, _internals.FI]) write(table);
} else if (mode === "bench") {
  const n = Number(args[0]);
  const repeats = Number(args[1] ?? 5);
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const generator = new Generator(i);
    const start = performance.now();
    generator.standardNormal(n);
    best = Math.min(best, performance.now() - start);
  }
  process.stdout.write(JSON.stringify({ n, ms: best }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
