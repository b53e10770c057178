// Runs ufm/js/random.js for tests/test_js_random.py. Usage:
//
//   node random_check.mjs draws SEED OP...   the draws of OP... as little-endian float64 on stdout
//   node random_check.mjs state SEED OP...   {"state": ..., "inc": ...} (decimal) after OP...
//   node random_check.mjs log1p [plain]      log1p of the float64s on stdin, float64s on stdout
//   node random_check.mjs log                log of the float64s on stdin (glibc's, ported)
//   node random_check.mjs pow                pow(x, y) of the float64 pairs on stdin
//   node random_check.mjs fma                fma(a, b, c) of the float64 triples on stdin
//   node random_check.mjs tables             ki_double, wi_double, fi_double, ke_double,
//                                            we_double, fe_double as float64s
//   node random_check.mjs glibc-tables       {"log": HEX, "pow": HEX, "exp": HEX, "exp_tab": HEX}:
//                                            log's, pow's and exp's tables laid out as glibc's
//                                            structs lay them out (little-endian bytes)
//   node random_check.mjs bench N [REPEATS]  {"n": N, "ms": best time for N normals}
//
// SEED is a decimal integer, read as a Number when it is a safe integer and as a BigInt
// otherwise or when it ends in "n" (e.g. 42n); for draws, FIRST..LAST (e.g. 0..20) runs the
// ops on a new generator for each of those seeds, one after another. OP is one call on the
// generator:
//
//   normal, random, exponential               one Number
//   normal:SHAPE, random:SHAPE, exponential:SHAPE
//                                             a Float64Array; SHAPE like 5 or 3x4
//   gamma:K, gamma:K:SHAPE                    standardGamma(K) or standardGamma(K, SHAPE)
//   chisquare:DF, chisquare:DF:SHAPE          chisquare(DF) or chisquare(DF, SHAPE)
//   chisquare:DF1,DF2,...                     chisquare([DF1, DF2, ...]) (an array of dfs;
//                                             a single df in an array is written "DF1,")
import { readFileSync } from "node:fs";

import { Generator, _internals } from "../../ufm/js/random.js";

function parseSeed(text) {
  if (text.endsWith("n")) return BigInt(text.slice(0, -1));
  const value = BigInt(text);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function parseShape(shape) {
  if (shape === undefined) return undefined;
  const dims = shape.split("x").map(Number);
  return dims.length === 1 ? dims[0] : dims;
}

function run(generator, op) {
  const [kind, ...params] = op.split(":");
  const method = {
    normal: "standardNormal",
    random: "random",
    exponential: "standardExponential",
    gamma: "standardGamma",
    chisquare: "chisquare",
  }[kind];
  if (method === undefined) throw new Error(`unknown op ${op}`);
  let args;
  if (kind === "chisquare" && params[0].includes(",")) {
    args = [params[0].split(",").filter((df) => df !== "").map(Number)];
  } else if (kind === "gamma" || kind === "chisquare") {
    args = [Number(params[0]), parseShape(params[1])];
  } else {
    args = [parseShape(params[0])];
  }
  const draws = generator[method](...args);
  return typeof draws === "number" ? Float64Array.of(draws) : draws;
}

function readDoubles() {
  const input = readFileSync(0); // stdin
  return new Float64Array(input.buffer.slice(input.byteOffset, input.byteOffset + input.length));
}

function write(array) {
  process.stdout.write(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
}

function hex(values) {
  const bytes = new Uint8Array(Float64Array.from(values).buffer);
  return Buffer.from(bytes).toString("hex");
}

// The tables of random.js's log and pow as the C structs of e_log_data.c, e_pow_log_data.c and
// e_exp_data.c hold them: __log_data {ln2hi, ln2lo, poly, poly1, tab {invc, logc}}, __pow_log_data
// {ln2hi, ln2lo, poly, tab {invc, pad = 0, logc, logctail}}, from __exp_data the run
// {negln2hiN, negln2loN, poly} and tab, whose odd entries are H[k]'s bits minus k << 45.
function glibcTables() {
  const t = _internals;
  const powTab = [];
  for (let i = 0; i < 128; i++) {
    powTab.push(t.POW_TAB[3 * i], 0, t.POW_TAB[3 * i + 1], t.POW_TAB[3 * i + 2]);
  }
  const expTab = new BigUint64Array(256);
  const view = new DataView(new ArrayBuffer(8));
  for (let k = 0; k < 128; k++) {
    view.setFloat64(0, t.EXP_TAB[2 * k]);
    expTab[2 * k] = view.getBigUint64(0);
    view.setFloat64(0, t.EXP_TAB[2 * k + 1]);
    expTab[2 * k + 1] = view.getBigUint64(0) - (BigInt(k) << 45n);
  }
  return {
    log: hex([t.LN2HI, t.LN2LO, ...t.LOG_POLY, ...t.LOG_POLY1, ...t.LOG_TAB]),
    pow: hex([t.LN2HI, t.LN2LO, ...t.POW_POLY, ...powTab]),
    exp: hex([t.EXP_NEGLN2HIN, t.EXP_NEGLN2LON, ...t.EXP_POLY]),
    exp_tab: Buffer.from(new Uint8Array(expTab.buffer)).toString("hex"),
  };
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "draws" && args[0].includes("..")) {
  const [first, last] = args[0].split("..").map(Number);
  for (let seed = first; seed <= last; seed++) {
    const generator = new Generator(seed);
    for (const op of args.slice(1)) write(run(generator, op));
  }
} else if (mode === "draws" || mode === "state") {
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
} else if (mode === "log") {
  write(readDoubles().map((x) => _internals.log(x)));
} else if (mode === "pow") {
  const xy = readDoubles();
  const out = new Float64Array(xy.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = _internals.pow(xy[2 * i], xy[2 * i + 1]);
  write(out);
} else if (mode === "glibc-tables") {
  process.stdout.write(JSON.stringify(glibcTables()));
} else if (mode === "fma") {
  const abc = readDoubles();
  const out = new Float64Array(abc.length / 3);
  for (let i = 0; i < out.length; i++) {
    out[i] = _internals.fma(abc[3 * i], abc[3 * i + 1], abc[3 * i + 2]);
  }
  write(out);
} else if (mode === "tables") {
  const { KI, WI, FI, KE, WE, FE } = _internals;
  for (const table of [KI, WI, FI, KE, WE, FE]) write(table);
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
