// Runs the JavaScript explorers of the model and results chapters (ufm/js/explorers/model.js
// and results.js) without a page, for tests/test_js_explorers.py.
//
//   node explorer_check_results.mjs < settings.json > views.json
//
// stdin is a JSON list of settings {"name": "model.descent", "values": {...}, "data": {...},
// "repeat": n (optional)}: run(values, data) of the explorer of that name (data {} if left
// out), and n more times, timed, when "repeat" is given. Each module exports `explorers`, an
// object mapping explorer names to their run functions; runtime.js is imported as the page
// imports it (it touches no DOM until an explorer is mounted).
//
// stdout is a JSON list with one entry per setting: the view {message, alt, panels} (typed
// arrays written as lists; NaN, Infinity and -Infinity written as Python's json reads them)
// and "ms": [...] when repeated, or {"error": message, "type": "Error" | ...} when run throws
// or plot.validatePanels rejects the panels (the page then shows "Cannot show this setting:
// <message>").
import { readFileSync } from "node:fs";

import { validatePanels } from "../../ufm/js/plot.js";

const MODULES = ["model", "results"];

const runs = {};
for (const name of MODULES) {
  const module = await import(`../../ufm/js/explorers/${name}.js`);
  Object.assign(runs, module.explorers);
}

function number(x) {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return JSON.stringify(x);
}

function encode(x) {
  if (x === null || x === undefined) return "null";
  if (typeof x === "number") return number(x);
  if (typeof x === "bigint") return x.toString();
  if (typeof x === "boolean" || typeof x === "string") return JSON.stringify(x);
  if (ArrayBuffer.isView(x)) return `[${Array.from(x, number).join(",")}]`;
  if (Array.isArray(x)) return `[${x.map(encode).join(",")}]`;
  const entries = Object.entries(x)
    .filter(([, v]) => v !== undefined && typeof v !== "function")
    .map(([k, v]) => `${JSON.stringify(k)}:${encode(v)}`);
  return `{${entries.join(",")}}`;
}

const settings = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const { name, values, data = {}, repeat = 0 } of settings) {
  const run = runs[name];
  if (run === undefined) {
    out.push(encode({ error: `no JavaScript explorer named ${name}`, type: "Error" }));
    continue;
  }
  try {
    const view = await run({ ...values }, data);
    validatePanels(view.panels); // what the page checks before drawing (its error is shown)
    const entry = { ...view };
    if (repeat > 0) {
      entry.ms = [];
      for (let i = 0; i < repeat; i++) {
        const start = performance.now();
        await run({ ...values }, data);
        entry.ms.push(performance.now() - start);
      }
    }
    out.push(encode(entry));
  } catch (error) {
    out.push(encode({ error: error.message, type: error.name }));
  }
}
process.stdout.write(`[${out.join(",")}]\n`);
