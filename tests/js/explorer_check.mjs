// Runs the JavaScript explorers (ufm/js/explorers/*.js) without a page, for
// tests/test_js_explorers.py and tests/test_js_parity_discussion.py.
//
//   node explorer_check.mjs < calls.json > views.json
//
// stdin is a JSON list of calls {"name": "limits.narrow", "values": {...}, "data": {...},
// "repeat": n (optional)}: run(values, data) of the explorer of that name (the spec's data;
// {} if left out), then n more times, timed, when "repeat" is given. stdout is a JSON list
// with one entry per call (codec.mjs): the view {message, alt, panels} and "ms": [...] when
// repeated, or {"error": message, "type": "Error" | ...} when run throws (the page would show
// "Cannot show this setting: <message>"). A view whose panels plot.validatePanels rejects
// (the page would show that as an error too) gets "invalid": the message.
//
// runtime.js is imported as the page imports it (it touches no DOM until an explorer is
// mounted); each chapter module exports `explorers`, its run functions by name.
import { encode, readCalls } from "./codec.mjs";
import { validatePanels } from "../../ufm/js/plot.js";

const runs = {};
for (const chapter of ["model", "results", "limits", "literature"]) {
  Object.assign(runs, (await import(`../../ufm/js/explorers/${chapter}.js`)).explorers);
}

const out = [];
for (const { name, values, data = {}, repeat = 0 } of readCalls()) {
  try {
    const run = runs[name];
    if (run === undefined) throw new Error(`no JavaScript explorer named ${name}`);
    const view = await run({ ...values }, data);
    const entry = { ...view };
    try {
      validatePanels(view.panels);
    } catch (error) {
      entry.invalid = error.message;
    }
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
process.stdout.write(`[${out.join(",\n")}]\n`);
