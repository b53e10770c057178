// Runs the JavaScript explorers of the discussion chapter (ufm/js/explorers/limits.js) for
// tests/test_js_parity_discussion.py, without a page.
//
//   node explorer_check.mjs < calls.json > views.json
//
// stdin is a JSON list of calls {"name": "limits.narrow", "values": {...}, "data": {...},
// "repeat": n (optional)}: run(values, data) of the explorer of that name (the spec's data;
// {} if left out), n times when "repeat" is given. stdout is a JSON list with one entry per
// call: the view {message, alt, panels} (typed arrays as lists; NaN, Infinity and -Infinity
// written as Python's json reads them) and "ms": [...] (the time of each run) when repeated,
// or {"error": message, "type": "Error" | ...} when run throws (the runtime would show
// "Cannot show this setting: <message>"). A view whose panels plot.validatePanels rejects
// (the runtime would show that as an error) gets "invalid": the message.
//
// runtime.js is imported as the page imports it (it touches no DOM until an explorer is
// mounted), so the explorers register themselves as on the page; they are called through
// the module's `explorers` export.
import { readFileSync } from "node:fs";

const { explorers } = await import("../../ufm/js/explorers/limits.js");
const { validatePanels } = await import("../../ufm/js/plot.js");

function number(x) {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return JSON.stringify(x);
}

function encode(x) {
  if (x === null || x === undefined) return "null";
  if (typeof x === "number") return number(x);
  if (typeof x === "boolean" || typeof x === "string") return JSON.stringify(x);
  if (ArrayBuffer.isView(x)) return `[${Array.from(x, number).join(",")}]`;
  if (Array.isArray(x)) return `[${x.map(encode).join(",")}]`;
  const entries = Object.entries(x)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}:${encode(v)}`);
  return `{${entries.join(",")}}`;
}

const calls = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const call of calls) {
  const explorer = explorers[call.name];
  let entry;
  try {
    if (explorer === undefined) throw new Error(`no JavaScript explorer ${call.name}`);
    const ms = [];
    let view;
    for (let i = 0; i < (call.repeat ?? 1); i++) {
      const start = performance.now();
      view = explorer.run({ ...call.values }, call.data ?? {});
      ms.push(performance.now() - start);
    }
    let invalid;
    try {
      validatePanels(view.panels);
    } catch (error) {
      invalid = error.message;
    }
    entry = encode({ ...view, invalid, ...(call.repeat ? { ms } : {}) });
  } catch (error) {
    entry = encode({ error: error.message, type: error.name });
  }
  out.push(entry);
}
process.stdout.write(`[${out.join(",\n")}]\n`);
