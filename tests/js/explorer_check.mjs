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
// (the page would show that as an error too) gets "invalid": the message. A view whose
// legend, drawn inside the axes, covers some of its data in the book's column at 1280 px
// or at 390 px (COLUMNS) gets "covered": ["panel i at w px: n points", ...].
//
// runtime.js is imported as the page imports it (it touches no DOM until an explorer is
// mounted); each chapter module exports `explorers`, its run functions by name.
import { encode, readCalls } from "./codec.mjs";
import { layoutPanels, renderPanel, validatePanels } from "../../ufm/js/plot.js";

// The width of the book's column (px) at 1280 px and at 390 px.
const COLUMNS = [750, 358];

function covered(panels) {
  const out = [];
  for (const width of COLUMNS) {
    const sizes = layoutPanels(panels, width);
    panels.forEach((panel, i) => {
      const { hidden } = renderPanel(panel, sizes[i].width, sizes[i].height, {
        countHidden: true,
      });
      if (hidden) out.push(`panel ${i} at ${width} px: ${hidden} points`);
    });
  }
  return out;
}

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
      const hidden = covered(view.panels);
      if (hidden.length) entry.covered = hidden;
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
