// Runs the JavaScript ports of ufm (ufm/js/*.js) for tests/test_js_parity.py.
//
//   node ufm_check.mjs < calls.json > results.json
//
// stdin is a JSON list of calls {"fn": "module.name", "args": [...], "kwargs": {...}}:
//   - fn names an export of one of the MODULES below, or a static method of an exported
//     class ("dynamics.ReducedState.random");
//   - args are passed in order; kwargs, if any, are passed after them as one options object
//     whose keys are turned into camelCase (record_every -> recordEvery);
//   - an array is {"shape": [...], "data": [...]} (row-major), decoded into
//     {shape, data: Float64Array}; a reduced state is {"type": "ReducedState", "Hbar": ...,
//     "Sigma": ..., "W": ..., "b": ..., "N": ...}; other JSON values are passed as they are;
//   - "repeat": n (optional) runs the call n times and reports the time of each.
//
// stdout is a JSON list with one entry per call: {"result": ...} or {"error": message,
// "type": "Error" | "TypeError" | ...}, and "ms": [...] when repeated. Results are encoded as
// the arguments are: typed arrays inside {shape, data} as numbers (NaN, Infinity and
// -Infinity written as Python's json reads them), a ReducedState as above, objects as JSON
// objects (their keys as in JavaScript), arrays as lists.
//
// To make a module callable, add its name to MODULES.
import { encode as encodeJSON, readCalls } from "./codec.mjs";

const MODULES = ["linalg", "model", "collapse", "subspace", "dynamics", "spectrum", "experiments", "extensions", "discussion"];

// Only the modules the calls name are loaded (a module being written elsewhere cannot break
// the calls of the others).
const calls = readCalls();
const modules = {};
const wanted = new Set(["dynamics", ...calls.map((c) => String(c.fn).split(".")[0])]);
for (const name of MODULES) {
  if (wanted.has(name)) modules[name] = await import(`../../ufm/js/${name}.js`);
}
const { ReducedState } = modules.dynamics;

function decode(x) {
  if (Array.isArray(x)) return x.map(decode);
  if (x === null || typeof x !== "object") return x;
  if (x.type === "ReducedState") {
    return new ReducedState(decode(x.Hbar), decode(x.Sigma), decode(x.W), decode(x.b), x.N);
  }
  if (Array.isArray(x.shape) && Array.isArray(x.data)) {
    return { shape: x.shape, data: Float64Array.from(x.data) };
  }
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, decode(v)]));
}

/** codec.mjs's encode, with a reduced state written as ufm_check's callers read it. */
function encode(x) {
  return encodeJSON(x, (v) => {
    if (!(v instanceof ReducedState)) return undefined;
    const { Hbar, Sigma, W, b, N } = v;
    return encode({ type: "ReducedState", Hbar, Sigma, W, b, N });
  });
}

function resolve(fn) {
  const [moduleName, ...path] = fn.split(".");
  let target = modules[moduleName];
  if (target === undefined) throw new Error(`unknown module ${moduleName} (add it to MODULES)`);
  let self;
  for (const key of path) {
    self = target;
    target = target[key];
    if (target === undefined) throw new Error(`${fn} is not exported`);
  }
  return target.bind(self);
}

const camel = (key) => key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

const out = [];
for (const call of calls) {
  let entry;
  try {
    const fn = resolve(call.fn);
    const args = decode(call.args ?? []);
    const kwargs = call.kwargs ?? {};
    if (Object.keys(kwargs).length) {
      args.push(Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [camel(k), decode(v)])));
    }
    const ms = [];
    let result;
    for (let i = 0; i < (call.repeat ?? 1); i++) {
      const start = performance.now();
      result = fn(...args);
      ms.push(performance.now() - start);
    }
    entry = `{"result":${encode(result)}${call.repeat ? `,"ms":${encode(ms)}` : ""}}`;
  } catch (error) {
    entry = encode({ error: error.message, type: error.name });
  }
  out.push(entry);
}
process.stdout.write(`[${out.join(",\n")}]\n`);
