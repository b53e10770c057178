// Runs ufm/js/format.js for tests/test_js_format.py. Reads one JSON object on stdin:
//
//   {"floats": [...], "specs": [...], "ints": [...], "int_specs": [...], "arrays": [[...], ...]}
//
// Floats are given as Python's repr ("0.1", "-0.0", "inf", "nan"), so they arrive exactly;
// ints as decimal strings (read as BigInt). A spec "repr" means pyRepr, "str" means pyStr.
// Prints {"floats": [[format(x, spec) for spec in specs] for x in floats],
// "ints": [[...] for n in ints], "arrays": [numpyStr(a) for a in arrays], "ms": time}.
// A spec that raises gives {"error": message} in its place.
import { readFileSync } from "node:fs";

import { numpyStr, pyFormat, pyRepr, pyStr } from "../../ufm/js/format.js";

function number(text) {
  if (text === "nan") return NaN;
  if (text === "inf") return Infinity;
  if (text === "-inf") return -Infinity;
  return Number(text);
}

function apply(x, spec) {
  try {
    if (spec === "repr") return pyRepr(x);
    if (spec === "str") return pyStr(x);
    return pyFormat(x, spec);
  } catch (error) {
    return { error: String(error.message) };
  }
}

const input = JSON.parse(readFileSync(0, "utf8"));
const start = performance.now();
const floats = (input.floats || []).map((text) => {
  const x = number(text);
  return (input.specs || []).map((spec) => apply(x, spec));
});
const ints = (input.ints || []).map((text) => {
  const n = BigInt(text);
  return (input.int_specs || []).map((spec) => apply(n, spec));
});
const arrays = (input.arrays || []).map((values) => numpyStr(values.map(number)));
const ms = performance.now() - start;
process.stdout.write(JSON.stringify({ floats, ints, arrays, ms }));
