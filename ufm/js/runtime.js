/*
 * Mounts the explorers of a static page (the contract is in ufm/js/README.md).
 *
 *   register(name, {run})   an explorer in JavaScript: run(values, data) returns a view
 *                           {message, alt, panels} (panels: see plot.js); it may also
 *                           return a Promise of one.
 *   mount(element)          builds the controls of one div[data-ufm-explorer] from its
 *                           script.ufm-spec, draws the view at the URL's (or the default)
 *                           settings, and returns the handle element.ufm; null when the
 *                           name has no JavaScript explorer or the spec is absent (the
 *                           element is then left as it is).
 *   mountAll(root)          mounts every [data-ufm-explorer] under root (default: the
 *                           document); returns the handles.
 *
 * element.ufm = {
 *   name, spec,
 *   values()                the current value of every control, by name;
 *   set(values)             sets some controls (clamped to their range, as ipywidgets
 *                           does) and resolves once the view is redrawn; rejects on an
 *                           unknown name or a value of the wrong kind;
 *   ready                   resolves after the first draw;
 *   last                    the last view; after an error {message, alt: "", panels: [],
 *                           error};
 *   timing                  {compute, render} of the last update, in milliseconds;
 * }
 *
 * An update whose last run took at most FAST_UPDATE_MS follows a slider while it is
 * dragged; a slower one waits for the release ('change') and shows "computing…" (the
 * class ufm-busy and aria-busy), painted before the computation starts. If run throws, or
 * returns a view with a non-finite value where a finite one is needed, the summary says
 * "Cannot show this setting: <message>" and the panels are hidden until a setting works.
 * Nothing is logged as an error (console.debug only).
 *
 * The URL fragment holds the settings that differ from the defaults:
 * #model.descent:eps=0.001,lr=1.5;results.riccati:rank=2. It is read on mount (values are
 * checked against the spec; invalid ones are ignored), written with history.replaceState
 * when a reader changes a setting, and followed on hashchange.
 */

import { Figure, validatePanels } from "./plot.js";
import { pyFormat, pyInt } from "./format.js";

/** Updates that took at most this long (ms, compute and render) follow a dragged slider. */
export const FAST_UPDATE_MS = 30;

const REGISTRY = new Map();
const MOUNTED = new Set();
let counter = 0;
let listening = false;

/** Registers the JavaScript twin of the explorer `name`: {run(values, data) -> view}. */
export function register(name, explorer) {
  if (typeof name !== "string" || !name) throw new TypeError("an explorer needs a name");
  if (!explorer || typeof explorer.run !== "function") {
    throw new TypeError(`explorer ${name}: register(name, {run}) needs a run function`);
  }
  REGISTRY.set(name, explorer);
}

/** Whether an explorer of that name is registered. */
export function registered(name) {
  return REGISTRY.has(name);
}

export const RUNTIME_CSS = `
.ufm-explorer.ufm-live { max-width: 100%; min-width: 0; }
/* In the dark theme pydata-sphinx-theme puts HTML outputs on a light panel (for tables and
   images drawn for white paper); a live explorer draws in the page's own colours. */
html[data-theme="dark"] .bd-content div.cell_output .text_html:has(.ufm-explorer.ufm-live) {
  background-color: transparent;
  color: var(--pst-color-text-base, inherit);
}
.ufm-explorer.ufm-live, .ufm-explorer.ufm-live label { color: var(--pst-color-text-base, inherit); }
.ufm-explorer.ufm-live .ufm-note { display: none; }
.ufm-controls {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 13rem), 1fr));
  gap: 0.25rem 1.25rem;
  margin: 0.5rem 0 0.75rem;
  min-width: 0;
}
.ufm-control { display: flex; flex-direction: column; min-width: 0; }
.ufm-control-head {
  display: flex;
  justify-content: space-between;
  align-items: baseline;
  gap: 0.5em;
  font-size: 0.9rem;
  line-height: 1.3;
}
.ufm-control-head label { margin: 0; overflow-wrap: anywhere; }
.ufm-readout { font-variant-numeric: tabular-nums; font-weight: 600; white-space: nowrap; }
.ufm-control input[type="range"] {
  width: 100%;
  min-width: 0;
  margin: 0.2rem 0 0.3rem;
  accent-color: var(--pst-color-primary, #1f77b4);
}
.ufm-control select { width: 100%; max-width: 100%; margin: 0.15rem 0 0.3rem; font: inherit; font-size: 0.9rem; }
.ufm-stage { position: relative; min-width: 0; max-width: 100%; }
.ufm-stage .ufm-figure { margin: 0; max-width: 100%; min-width: 0; }
.ufm-status {
  display: none;
  position: absolute;
  top: 0.25rem;
  right: 0.25rem;
  z-index: 1;
  padding: 0.1rem 0.6rem;
  border-radius: 0.25rem;
  font-size: 0.85rem;
  color: var(--pst-color-text-base, #222832);
  background: var(--pst-color-surface, #eef0f2);
}
.ufm-busy .ufm-status { display: block; }
.ufm-busy .ufm-plot { opacity: 0.55; }
.ufm-busy .ufm-stage { min-height: 2rem; }
.ufm-error .ufm-figure { display: none; }
.ufm-explorer.ufm-live .ufm-summary { min-height: 1.2em; overflow-wrap: anywhere; }
`;

function injectRuntimeStyle(doc) {
  if (!doc || doc.getElementById("ufm-runtime-style")) return;
  const style = doc.createElement("style");
  style.id = "ufm-runtime-style";
  style.textContent = RUNTIME_CSS;
  (doc.head || doc.documentElement).appendChild(style);
}

// --- controls --------------------------------------------------------------------------

function decimalsOf(x) {
  const text = String(Math.abs(x));
  const e = text.indexOf("e");
  if (e >= 0) {
    const exp = Number(text.slice(e + 1));
    const mantissa = text.slice(0, e);
    const point = mantissa.indexOf(".");
    const digits = point < 0 ? 0 : mantissa.length - point - 1;
    return Math.max(0, digits - exp);
  }
  const point = text.indexOf(".");
  return point < 0 ? 0 : text.length - point - 1;
}

// A number on the grid min + k step, without floating-point noise.
function onGrid(min, step, k) {
  const places = Math.min(15, Math.max(decimalsOf(min), decimalsOf(step)));
  return Number((min + k * step).toFixed(places));
}

function sameValue(a, b) {
  if (typeof a === "number" && typeof b === "number") {
    return a === b || (Number.isNaN(a) && Number.isNaN(b));
  }
  return a === b;
}

function checkControlSpec(c) {
  if (!c || typeof c.name !== "string") throw new Error("a control without a name");
  const numeric = (v) => typeof v === "number" && Number.isFinite(v);
  switch (c.kind) {
    case "int":
    case "float":
      if (!numeric(c.min) || !numeric(c.max) || !numeric(c.step) || !(c.step > 0)) {
        throw new Error(`control ${c.name}: min, max and a positive step are needed`);
      }
      break;
    case "log":
      if (![c.min, c.max, c.step].every(numeric) || !(c.step > 0) || !(c.base > 0)) {
        throw new Error(`control ${c.name}: base, min, max and a positive step are needed`);
      }
      break;
    case "select":
    case "choice":
      if (!Array.isArray(c.options) || !c.options.length || !c.options.every(Array.isArray)) {
        throw new Error(`control ${c.name}: options must be [label, value] pairs`);
      }
      break;
    default:
      throw new Error(`control ${c.name}: unknown kind ${c.kind}`);
  }
}

class Control {
  constructor(spec, id) {
    this.spec = spec;
    this.name = spec.name;
    this.kind = spec.kind;
    this.id = id;
    this.value = spec.value;
    this.default = spec.value;
  }

  build(doc) {
    const s = this.spec;
    const wrapper = doc.createElement("div");
    wrapper.className = "ufm-control";
    wrapper.dataset.kind = s.kind;
    const head = doc.createElement("div");
    head.className = "ufm-control-head";
    const label = doc.createElement("label");
    label.htmlFor = this.id;
    label.textContent = s.label || s.name;
    head.appendChild(label);
    wrapper.appendChild(head);
    let input;
    if (s.kind === "select") {
      input = doc.createElement("select");
      s.options.forEach(([text], i) => {
        const option = doc.createElement("option");
        option.value = String(i);
        option.textContent = String(text);
        input.appendChild(option);
      });
    } else {
      input = doc.createElement("input");
      input.type = "range";
      if (s.kind === "choice") {
        input.min = "0";
        input.max = String(s.options.length - 1);
        input.step = "1";
      } else {
        input.min = String(s.min);
        input.max = String(s.max);
        input.step = String(s.step);
      }
      const readout = doc.createElement("output");
      readout.className = "ufm-readout";
      readout.htmlFor = this.id;
      readout.setAttribute("aria-hidden", "true");
      head.appendChild(readout);
      this.readout = readout;
    }
    input.id = this.id;
    input.dataset.ufmControl = s.name;
    input.name = s.name;
    wrapper.appendChild(input);
    this.input = input;
    this.element = wrapper;
    this.show();
    return wrapper;
  }

  optionIndex(value) {
    return this.spec.options.findIndex(([, v]) => sameValue(v, value));
  }

  // the slider position (or select index) showing this.value
  position() {
    const s = this.spec;
    switch (s.kind) {
      case "int":
      case "float":
        return String(this.value);
      case "log": {
        let e = Math.log(this.value) / Math.log(s.base);
        e = Math.min(s.max, Math.max(s.min, e));
        return String(e);
      }
      default:
        return String(Math.max(0, this.optionIndex(this.value)));
    }
  }

  readoutText() {
    const s = this.spec;
    const v = this.value;
    if (s.kind === "select" || s.kind === "choice") {
      const i = this.optionIndex(v);
      return i >= 0 ? String(s.options[i][0]) : String(v);
    }
    if (s.format) return pyFormat(v, s.format);
    if (s.kind === "int") return Number.isInteger(v) ? pyInt(v) : String(v);
    if (s.kind === "log") return pyFormat(v, ".3g");
    return pyFormat(v, `.${Math.min(6, decimalsOf(s.step))}f`);
  }

  show() {
    this.input.value = this.position();
    const text = this.readoutText();
    if (this.readout) {
      this.readout.textContent = text;
      this.input.setAttribute("aria-valuetext", text);
    }
    this.input.dataset.ufmValue = JSON.stringify(this.value);
  }

  // the value at the input's current position
  fromInput() {
    const s = this.spec;
    const raw = this.input.value;
    switch (s.kind) {
      case "int":
        return Math.min(s.max, Math.max(s.min, Math.round(Number(raw))));
      case "float": {
        const k = Math.round((Number(raw) - s.min) / s.step);
        return Math.min(s.max, Math.max(s.min, onGrid(s.min, s.step, k)));
      }
      case "log": {
        const k = Math.round((Number(raw) - s.min) / s.step);
        const exponent = Math.min(s.max, Math.max(s.min, onGrid(s.min, s.step, k)));
        // the default again, exactly, when the slider is back at its position
        const home = Math.log(this.default) / Math.log(s.base);
        if (Math.abs(exponent - home) < 1e-9 * Math.max(1, Math.abs(home))) return this.default;
        return Math.pow(s.base, exponent);
      }
      default: {
        const option = s.options[Number(raw)];
        return option ? option[1] : this.value;
      }
    }
  }

  // a value given to set(): clamped to the range, as ipywidgets does; throws if unusable
  coerce(value) {
    const s = this.spec;
    const name = s.name;
    switch (s.kind) {
      case "int":
        if (typeof value !== "number" || !Number.isInteger(value)) {
          throw new TypeError(`${name} must be an integer; got ${JSON.stringify(value)}`);
        }
        return Math.min(s.max, Math.max(s.min, value));
      case "float":
        if (typeof value !== "number" || !Number.isFinite(value)) {
          throw new TypeError(`${name} must be a finite number; got ${JSON.stringify(value)}`);
        }
        return Math.min(s.max, Math.max(s.min, value));
      case "log": {
        if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
          throw new TypeError(`${name} must be a positive number; got ${JSON.stringify(value)}`);
        }
        const low = Math.pow(s.base, s.min);
        const high = Math.pow(s.base, s.max);
        return Math.min(high, Math.max(low, value));
      }
      default: {
        const i = this.optionIndex(value);
        if (i < 0) {
          const allowed = s.options.map(([, v]) => JSON.stringify(v)).join(", ");
          throw new TypeError(`${name} must be one of ${allowed}; got ${JSON.stringify(value)}`);
        }
        return s.options[i][1];
      }
    }
  }

  // the fragment's text of a value, and back (null when the text is not a valid value)
  encode(value) {
    if (typeof value === "number") return String(value);
    return encodeURIComponent(String(value));
  }

  parse(text) {
    const s = this.spec;
    let decoded;
    try {
      decoded = decodeURIComponent(text);
    } catch {
      return null;
    }
    const number = decoded.trim() === "" ? NaN : Number(decoded);
    const tolerance = (low, high) => 1e-12 * Math.max(Math.abs(low), Math.abs(high));
    switch (s.kind) {
      case "int":
        if (!/^[+-]?\d+$/.test(decoded.trim()) || number < s.min || number > s.max) return null;
        return number;
      case "float": {
        const t = tolerance(s.min, s.max);
        if (!Number.isFinite(number) || number < s.min - t || number > s.max + t) return null;
        return Math.min(s.max, Math.max(s.min, number));
      }
      case "log": {
        const low = Math.pow(s.base, s.min);
        const high = Math.pow(s.base, s.max);
        if (!(number > 0) || !Number.isFinite(number)) return null;
        if (number < low * (1 - 1e-12) || number > high * (1 + 1e-12)) return null;
        return Math.min(high, Math.max(low, number));
      }
      default: {
        for (const [, v] of s.options) {
          if (this.encode(v) === text || String(v) === decoded) return v;
          if (typeof v === "number" && Number.isFinite(number) && v === number) return v;
        }
        return null;
      }
    }
  }
}

// --- the URL fragment ------------------------------------------------------------------

/** The explorer settings in a URL fragment: Map(name -> [[key, text], …]); null if the
 * fragment is not of that form (for example a section anchor). */
export function parseFragment(hash) {
  let text = String(hash || "");
  if (text.startsWith("#")) text = text.slice(1);
  if (!text) return new Map();
  const result = new Map();
  for (const part of text.split(";")) {
    if (!part) continue;
    const colon = part.indexOf(":");
    if (colon <= 0) return null;
    const name = part.slice(0, colon);
    if (!/^[\w.-]+$/.test(name)) return null;
    const pairs = [];
    for (const item of part.slice(colon + 1).split(",")) {
      if (!item) continue;
      const eq = item.indexOf("=");
      if (eq <= 0) return null;
      pairs.push([item.slice(0, eq), item.slice(eq + 1)]);
    }
    result.set(name, pairs);
  }
  return result;
}

function formatFragment(map) {
  return [...map]
    .filter(([, pairs]) => pairs.length)
    .map(([name, pairs]) => `${name}:${pairs.map(([k, v]) => `${k}=${v}`).join(",")}`)
    .join(";");
}

function currentHash() {
  return typeof location === "undefined" ? "" : location.hash;
}

function writeFragment() {
  if (typeof location === "undefined" || typeof history === "undefined") return;
  const current = parseFragment(currentHash());
  const parts = current || new Map();
  let any = false;
  for (const handle of MOUNTED) {
    const pairs = handle._changed();
    if (pairs.length) {
      parts.set(handle.name, pairs);
      any = true;
    } else parts.delete(handle.name);
  }
  if (!current && !any) return; // a section anchor, and nothing to record: leave it
  const text = formatFragment(parts);
  const url = location.pathname + location.search + (text ? `#${text}` : "");
  if (url === location.pathname + location.search + location.hash) return;
  try {
    history.replaceState(history.state, "", url);
  } catch (error) {
    console.debug("ufm: the URL cannot record the settings", error);
  }
}

function followFragment() {
  const parts = parseFragment(currentHash());
  if (!parts) return;
  for (const handle of MOUNTED) {
    if (!parts.has(handle.name)) continue;
    handle._apply(parts.get(handle.name), true);
  }
}

// --- the explorer ----------------------------------------------------------------------

function paint() {
  // let the browser draw the "computing…" state before a long computation starts
  return new Promise((resolve) => {
    let done = false;
    const go = () => {
      if (done) return;
      done = true;
      setTimeout(resolve, 0);
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(go);
    setTimeout(go, 100); // rAF does not run in a hidden tab
  });
}

/** Thrown by a page's turn when a newer setting is waiting (Explorer.page). */
class Superseded extends Error {}

/** A Promise resolved after the page has handled what is waiting (a macrotask that
 * MessageChannel schedules at once, where setTimeout may wait a second in a hidden tab). */
function nextTask() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function checkView(view) {
  if (view === null || typeof view !== "object") {
    throw new Error(`the explorer returned ${view === null ? "null" : typeof view}, not a view`);
  }
  if (view.message !== undefined && view.message !== null && typeof view.message !== "string") {
    throw new Error("the view's message must be text");
  }
  if (view.alt !== undefined && view.alt !== null && typeof view.alt !== "string") {
    throw new Error("the view's alt must be text");
  }
  validatePanels(view.panels || []);
}

function errorText(error) {
  if (error && typeof error === "object" && "message" in error) return String(error.message);
  return String(error);
}

class Explorer {
  constructor(element, spec, explorer) {
    this.element = element;
    this.name = element.getAttribute("data-ufm-explorer");
    this.spec = spec;
    this.explorer = explorer;
    this.data = spec.data === undefined ? {} : spec.data;
    this.timing = { compute: NaN, render: NaN };
    this.last = null;
    this.dirty = false;
    this.running = false;
    this.waiters = [];
    this.updates = 0;
    this.quiet = false;
    this.requested = null; // the values of the last update asked for (as JSON)
    const doc = element.ownerDocument;
    counter += 1;
    this.controls = spec.controls.map(
      (c) => new Control(c, `ufm-${counter}-${String(c.name).replace(/[^\w-]/g, "_")}`),
    );
    this.byName = new Map(this.controls.map((c) => [c.name, c]));

    // the layout: controls, the figure (with its status), the summary
    const panel = doc.createElement("div");
    panel.className = "ufm-controls";
    for (const control of this.controls) panel.appendChild(control.build(doc));
    this.figure = element.querySelector("figure.ufm-figure");
    if (!this.figure) {
      this.figure = doc.createElement("figure");
      this.figure.className = "ufm-figure";
      element.appendChild(this.figure);
    }
    const stage = doc.createElement("div");
    stage.className = "ufm-stage";
    this.figure.parentNode.insertBefore(stage, this.figure);
    const status = doc.createElement("div");
    status.className = "ufm-status";
    status.setAttribute("aria-hidden", "true");
    status.textContent = "computing…";
    this.status = status;
    stage.appendChild(status);
    stage.appendChild(this.figure);
    stage.parentNode.insertBefore(panel, stage);
    this.summary = element.querySelector("[data-ufm-summary]");
    if (!this.summary) {
      this.summary = doc.createElement("p");
      this.summary.className = "ufm-summary";
      this.summary.setAttribute("data-ufm-summary", "");
      element.appendChild(this.summary);
    }
    this.summary.setAttribute("aria-live", "polite");
    this.plot = null; // created on the first successful draw (it replaces the image)
    element.classList.add("ufm-live");

    for (const control of this.controls) {
      control.input.addEventListener("input", () => this._moved(control, false));
      control.input.addEventListener("change", () => this._moved(control, true));
    }
    const initial = parseFragment(currentHash());
    if (initial && initial.has(this.name)) this._apply(initial.get(this.name), false);
  }

  values() {
    const out = {};
    for (const c of this.controls) out[c.name] = c.value;
    return out;
  }

  fast() {
    const total = this.timing.compute + this.timing.render;
    return Number.isFinite(total) && total <= FAST_UPDATE_MS;
  }

  _moved(control, released) {
    const value = control.fromInput();
    const changed = !sameValue(value, control.value);
    control.value = value;
    control.show();
    if (!released) {
      if (changed && this.fast()) this.schedule(true);
      return;
    }
    if (JSON.stringify(this.values()) !== this.requested) this.schedule(true);
  }

  // settings that differ from the defaults, as fragment pairs
  _changed() {
    return this.controls
      .filter((c) => !sameValue(c.value, c.default))
      .map((c) => [encodeURIComponent(c.name), c.encode(c.value)]);
  }

  // apply fragment pairs (invalid ones are ignored); with reset, unnamed controls go back
  // to their defaults and the view is redrawn
  _apply(pairs, reset) {
    const given = new Map();
    for (const [key, text] of pairs) {
      let name;
      try {
        name = decodeURIComponent(key);
      } catch {
        continue;
      }
      const control = this.byName.get(name);
      const value = control ? control.parse(text) : null;
      if (value === null) {
        console.debug(`ufm: ${this.name}: ignored ${key}=${text} from the URL`);
        continue;
      }
      given.set(name, value);
    }
    let changed = false;
    for (const control of this.controls) {
      let value = control.value;
      if (given.has(control.name)) value = given.get(control.name);
      else if (reset) value = control.default;
      if (!sameValue(value, control.value)) {
        control.value = value;
        changed = true;
      }
      control.show();
    }
    if (reset && changed) this.schedule(false);
  }

  set(values) {
    try {
      if (values === null || typeof values !== "object") throw new TypeError("set needs {name: value}");
      const unknown = Object.keys(values).filter((k) => !this.byName.has(k));
      if (unknown.length) {
        throw new Error(`unknown controls ${JSON.stringify(unknown)}; expected some of ${JSON.stringify([...this.byName.keys()])}`);
      }
      const coerced = Object.entries(values).map(([k, v]) => [this.byName.get(k), this.byName.get(k).coerce(v)]);
      for (const [control, value] of coerced) {
        control.value = value;
        control.show();
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.schedule(true);
  }

  // ask for an update with the current values; resolves after it is drawn
  schedule(byReader, quiet = false) {
    if (byReader) this.byReader = true;
    this.quiet = quiet && !this.dirty && !this.running;
    this.requested = JSON.stringify(this.values());
    this.dirty = true;
    const promise = new Promise((resolve) => this.waiters.push(resolve));
    if (!this.running) this.loop();
    return promise;
  }

  async loop() {
    this.running = true;
    try {
      while (this.dirty) {
        this.dirty = false;
        const quiet = this.quiet;
        this.quiet = false;
        const waiters = this.waiters.splice(0);
        await this.update(quiet);
        waiters.forEach((resolve) => resolve());
        this.updates += 1;
      }
    } finally {
      this.running = false;
    }
    if (this.updates === 1) this.warmUp();
  }

  // The first update runs cold (code not yet optimized, fonts measured for the first
  // time) and can take several times as long as the next ones. If it looked slow but not
  // very slow, it is run again, unseen, when the page is idle, so that the time that
  // decides between following a drag and waiting for the release is a warm one.
  warmUp() {
    const total = this.timing.compute + this.timing.render;
    if (!(total > FAST_UPDATE_MS && total <= 10 * FAST_UPDATE_MS) || this.last.error) return;
    const again = () => {
      if (!this.running && !this.dirty) this.schedule(false, true);
    };
    if (typeof requestIdleCallback === "function") requestIdleCallback(again, { timeout: 500 });
    else setTimeout(again, 100);
  }

  setBusy(busy) {
    this.element.classList.toggle("ufm-busy", busy);
    if (busy) this.element.setAttribute("aria-busy", "true");
    else this.element.removeAttribute("aria-busy");
  }

  async update(quiet = false) {
    const slow = !quiet && !this.fast();
    if (slow) {
      this.setBusy(true);
      await paint();
    }
    const values = this.values();
    const start = performance.now();
    let view;
    let failure = null;
    try {
      view = this.explorer.run({ ...values }, this.data, this.page());
      if (view && typeof view.then === "function") view = await view;
      checkView(view);
    } catch (error) {
      if (error instanceof Superseded) {
        // the reader asked for another setting while this one was computing: the loop
        // computes that one next, and nothing of this one is drawn
        this.status.textContent = "computing…";
        if (slow) this.setBusy(false);
        return;
      }
      failure = error;
    }
    this.status.textContent = "computing…";
    const computed = performance.now();
    if (!failure) {
      try {
        this.draw(view);
      } catch (error) {
        failure = error;
      }
    }
    if (failure) this.fail(failure);
    const end = performance.now();
    this.timing = { compute: computed - start, render: end - computed };
    if (slow) this.setBusy(false);
    if (this.byReader) {
      this.byReader = false;
      writeFragment();
    }
  }

  // What a long computation gets as run's third argument (dynamics.settle): turn(progress)
  // shows the progress, lets the page respond for a moment, and throws Superseded when
  // a newer setting waits, so that the computation is abandoned.
  page() {
    return {
      turn: async (progress) => {
        this.status.textContent = `computing… ${Math.round(100 * progress)} %`;
        await nextTask();
        if (this.dirty) throw new Superseded();
      },
    };
  }

  draw(view) {
    if (!this.plot) {
      const host = this.element.ownerDocument.createElement("div");
      this.plot = new Figure(host);
      this.figure.appendChild(host);
    }
    this.element.classList.remove("ufm-error");
    this.figure.hidden = false;
    // the image shows the defaults: replaced by the panels on the first draw
    for (const image of this.figure.querySelectorAll("img")) image.remove();
    this.plot.draw(view.panels || [], { alt: view.alt || "" });
    this.summary.textContent = view.message || "";
    this.last = view;
  }

  fail(error) {
    const message = `Cannot show this setting: ${errorText(error)}`;
    console.debug(`ufm: ${this.name}:`, error);
    this.element.classList.add("ufm-error");
    this.figure.hidden = true;
    this.summary.textContent = message;
    this.last = { message, alt: "", panels: [], error: errorText(error) };
  }

  handle() {
    const explorer = this;
    return {
      name: this.name,
      spec: this.spec,
      element: this.element,
      values: () => this.values(),
      set: (values) => this.set(values),
      update: () => this.schedule(false),
      get last() {
        return explorer.last;
      },
      get timing() {
        return { ...explorer.timing };
      },
      _changed: () => this._changed(),
      _apply: (pairs, reset) => this._apply(pairs, reset),
    };
  }
}

function readSpec(element) {
  let script = null;
  for (const child of element.querySelectorAll("script.ufm-spec")) {
    if (child.closest("[data-ufm-explorer]") === element) {
      script = child;
      break;
    }
  }
  if (!script) return null;
  try {
    const spec = JSON.parse(script.textContent);
    if (!spec || !Array.isArray(spec.controls)) throw new Error("no list of controls");
    spec.controls.forEach(checkControlSpec);
    return spec;
  } catch (error) {
    console.debug("ufm: an unreadable explorer spec is ignored", error);
    return null;
  }
}

/** Mounts one explorer element; returns its handle, or null if it is left as it is. */
export function mount(element) {
  if (!element || element.nodeType !== 1) return null;
  if (element.ufm) return element.ufm;
  const name = element.getAttribute("data-ufm-explorer");
  const explorer = REGISTRY.get(name);
  if (!explorer) return null;
  const spec = readSpec(element);
  if (!spec) return null;
  injectRuntimeStyle(element.ownerDocument);
  const live = new Explorer(element, spec, explorer);
  const handle = live.handle();
  handle.ready = live.schedule(false);
  element.ufm = handle;
  MOUNTED.add(handle);
  return handle;
}

/** Mounts every explorer under root; returns the handles of those mounted. */
export function mountAll(root = globalThis.document) {
  if (!root) return [];
  const elements = [];
  if (root.matches && root.matches("[data-ufm-explorer]")) elements.push(root);
  elements.push(...root.querySelectorAll("[data-ufm-explorer]"));
  const handles = elements.map(mount).filter(Boolean);
  if (!listening && typeof window !== "undefined") {
    listening = true;
    window.addEventListener("hashchange", followFragment);
  }
  return handles;
}
