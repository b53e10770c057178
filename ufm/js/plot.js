/*
 * The figure toolkit of the static page: panels drawn as SVG from a declarative
 * description, at the real pixel width of their container, redrawn when it is resized.
 *
 * A figure is a list of panels. A panel is a plain object:
 *
 *   {
 *     title: "risk and distance from S",     // plain Unicode text (no TeX); wraps
 *     label: "…",                            // the panel's accessible name (default: title)
 *     weight: 1,                             // relative width beside other panels
 *     x: {label, scale, min, max, ticks, tickLabels, linthresh, linscale, minDecades},
 *     y: { …the same… },
 *       // scale: "linear" (default), "log" or "symlog" (linear within ±linthresh,
 *       //   default 1, logarithmic beyond; linscale as matplotlib's, default 1);
 *       // min, max: limits (either may be left out: fitted to the data with a 5% margin);
 *       // ticks: tick positions (default automatic; [] for none), tickLabels: their text;
 *       // minDecades: on a log axis, fitted limits span at least this many decades
 *       //   (as ufm.plots.rescale, which uses 2).
 *     aspect: "equal",                        // equal units on x and y (limits widen to fill)
 *     grid: true,                             // grid lines at the major ticks (default true)
 *     legend: "upper right",                  // or {loc, title}; false for none. loc: "best"
 *       // (the default: the place hiding the fewest data), "upper left", "upper center",
 *       // "lower left", "lower right", "lower center", "center left", "center right",
 *       // "center", or "outside" (always under the panel: for data that reach every corner
 *       // of the axes at some setting). Inside the axes when it takes at most 60% of their
 *       // width and 45% of their height, else under the panel.
 *     series: [{
 *       x: [...], y: [...],                  // arrays or typed arrays of equal length
 *                                            //   (x left out: 0, 1, 2, …)
 *       color: "C0",                         // "C0".."C9" (tab10), "k", grey levels "0.4",
 *                                            //   "#rrggbb", CSS colours; default: next Cn
 *       line: "-",                           // "-", "--", ":", "-.", "none" (default "-",
 *                                            //   or "none" when a marker is given)
 *       width: 1.5,                          // line width in px
 *       marker: "o",                         // "o", ".", "s", "^", "v", "D", "x", "+"
 *       size: 6,                             // marker diameter in px
 *       fill: true,                          // false: open markers
 *       colors: ["C0", "C1", …],             // per-point marker colours (a scatter)
 *       alpha: 1,
 *       label: "risk R_e",                   // shown in the legend when given
 *     }, …],
 *     hlines: [{y, color, line, width, alpha, label}],   // horizontal reference lines
 *     vlines: [{x, color, line, width, alpha, label}],   // vertical reference lines
 *     spans:  [{x0, x1, color, alpha, label}],           // shaded vertical spans
 *     texts:  [{x, y, text, coords: "data" | "axes", align: "start" | "middle" | "end",
 *               color, size}],
 *     note: "…",                              // a message instead of the axes
 *     heatmap: {values: [[…]], vmin, vmax, cmap: "RdBu_r", rows: [...], cols: [...],
 *               text: [["0.12", …]], textColors: [[…]], colorbar: true},
 *   }
 *
 * Data that cannot be drawn (NaN, ±Infinity, and values <= 0 on a log axis) break the line
 * there and are never drawn; an empty series draws nothing. Lines are one <path> per series
 * (markers too), so a redraw of a few 500-point panels takes a few milliseconds.
 *
 * Exports: Figure (draws into a container and follows its width), renderPanel (one panel as
 * an SVG string), layoutPanels, validatePanels (throws on values that must be finite),
 * resolveColor, colormap, linearTicks, logTicks, TAB10, CSS, injectStyle.
 *
 * Axes, ticks and text use currentColor and the custom properties --ufm-plot-fg and
 * --ufm-plot-bg, which follow the pydata-sphinx-theme (html[data-theme="dark"]); "k" and
 * grey levels are mixtures of the two, so they read in both themes.
 */

export const TAB10 = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** The style sheet of the figures (injected once per document by injectStyle). */
export const CSS = `
.ufm-plot {
  --ufm-plot-fg: var(--pst-color-text-base, #222832);
  --ufm-plot-bg: var(--pst-color-background, #ffffff);
  color: var(--ufm-plot-fg);
  display: flex;
  flex-wrap: wrap;
  align-items: flex-start;
  gap: 12px;
  width: 100%;
  max-width: 100%;
  min-width: 0;
  line-height: 1.2;
}
html[data-theme="dark"] .ufm-plot {
  --ufm-plot-fg: var(--pst-color-text-base, #ced6dd);
  --ufm-plot-bg: var(--pst-color-background, #14181e);
}
.ufm-plot svg.ufm-panel {
  display: block;
  flex: none;
  overflow: hidden;
  font-family: inherit;
}
.ufm-plot svg.ufm-panel text { fill: currentColor; }
.ufm-plot .ufm-frame { fill: none; stroke: currentColor; stroke-opacity: 0.65; }
.ufm-plot .ufm-tick { stroke: currentColor; stroke-opacity: 0.65; }
.ufm-plot .ufm-grid { stroke: currentColor; stroke-opacity: 0.13; fill: none; }
.ufm-plot .ufm-legend-box {
  fill: var(--ufm-plot-bg);
  fill-opacity: 0.85;
  stroke: currentColor;
  stroke-opacity: 0.2;
}
.ufm-plot .ufm-title { font-weight: 600; }
.ufm-plot svg.ufm-panel text.ufm-cell-text { fill: #000000; }
.ufm-plot svg.ufm-panel text.ufm-cell-text.ufm-cell-light { fill: #ffffff; }
`;

/** Adds the style sheet to the document once. */
export function injectStyle(doc = globalThis.document) {
  if (!doc || doc.getElementById("ufm-plot-style")) return;
  const style = doc.createElement("style");
  style.id = "ufm-plot-style";
  style.textContent = CSS;
  (doc.head || doc.documentElement).appendChild(style);
}

// --- colours ---------------------------------------------------------------------------

const NAMED = {
  b: "#0000ff",
  g: "#008000",
  r: "#ff0000",
  c: "#00bfbf",
  m: "#bf00bf",
  y: "#bfbf00",
};
const FG = "var(--ufm-plot-fg)";
const BG = "var(--ufm-plot-bg)";

/**
 * A CSS colour for a matplotlib colour: "C0".."C9" (tab10), "k"/"black" (the text colour),
 * "w"/"white" (the background), grey levels "0".."1" (mixtures of the two), "b", "r", …,
 * or any CSS colour.
 */
export function resolveColor(color, fallback = "C0") {
  if (color === undefined || color === null || color === "") color = fallback;
  const text = String(color).trim();
  const cycle = /^C(\d)$/.exec(text);
  if (cycle) return TAB10[Number(cycle[1])];
  if (text === "k" || text === "black") return FG;
  if (text === "w" || text === "white") return BG;
  if (/^(0(\.\d*)?|1(\.0*)?|\.\d+)$/.test(text)) {
    const grey = Number(text);
    const ink = Math.round((1 - grey) * 1000) / 10;
    if (ink >= 100) return FG;
    if (ink <= 0) return BG;
    return `color-mix(in srgb, ${FG} ${ink}%, ${BG})`;
  }
  return NAMED[text] || text;
}

// matplotlib's RdBu (ColorBrewer), from red to blue; RdBu_r is the reverse.
const RDBU = [
  [103, 0, 31],
  [178, 24, 43],
  [214, 96, 77],
  [244, 165, 130],
  [253, 219, 199],
  [247, 247, 247],
  [209, 229, 240],
  [146, 197, 222],
  [67, 147, 195],
  [33, 102, 172],
  [5, 48, 97],
];
const LUTS = {};

function lut(name) {
  if (LUTS[name]) return LUTS[name];
  let anchors;
  if (name === "RdBu") anchors = RDBU;
  else if (name === "RdBu_r") anchors = RDBU.slice().reverse();
  else if (name === "Greys") anchors = [[255, 255, 255], [0, 0, 0]];
  else if (name === "viridis") {
    anchors = [
      [68, 1, 84],
      [72, 40, 120],
      [62, 74, 137],
      [49, 104, 142],
      [38, 130, 142],
      [31, 158, 137],
      [53, 183, 121],
      [109, 205, 89],
      [180, 222, 44],
      [253, 231, 37],
    ];
  } else throw new Error(`unknown colour map ${name}`);
  const table = [];
  const segments = anchors.length - 1;
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * segments;
    const k = Math.min(segments - 1, Math.floor(t));
    const f = t - k;
    table.push(anchors[k].map((c, j) => Math.round(c + (anchors[k + 1][j] - c) * f)));
  }
  LUTS[name] = table;
  return table;
}

/**
 * The colour of value t in [0, 1] in a colour map ("RdBu_r", "RdBu", "viridis", "Greys"),
 * as matplotlib's 256-entry lookup table gives it: [r, g, b] (0..255); null for NaN.
 */
export function colormap(name, t) {
  if (!Number.isFinite(t)) return null;
  const table = lut(name);
  const index = Math.max(0, Math.min(255, Math.floor(t * 256)));
  return table[index];
}

function rgb(c) {
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// --- numbers and text ------------------------------------------------------------------

const SUPERSCRIPT = {
  "-": "⁻",
  0: "⁰",
  1: "¹",
  2: "²",
  3: "³",
  4: "⁴",
  5: "⁵",
  6: "⁶",
  7: "⁷",
  8: "⁸",
  9: "⁹",
};

function superscript(n) {
  return String(n)
    .split("")
    .map((c) => SUPERSCRIPT[c] || c)
    .join("");
}

function minus(text) {
  return text.replace(/^-/, "−");
}

function escapeXml(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

// Pixel coordinates as text, rounded to 0.1 px and kept within a range an SVG renderer
// draws well. Written from integers: about twice as fast as printing the float.
function px(v) {
  if (v > 1e6) v = 1e6;
  else if (v < -1e6) v = -1e6;
  let q = Math.round(v * 10);
  let sign = "";
  if (q < 0) {
    sign = "-";
    q = -q;
  }
  const whole = (q / 10) | 0;
  const tenth = q - whole * 10;
  return tenth ? `${sign}${whole}.${tenth}` : q ? sign + whole : "0";
}

let measureContext = null;
const widthCache = new Map();

function textWidth(text, size, family, weight = 400) {
  const key = `${size}|${weight}|${family}|${text}`;
  let width = widthCache.get(key);
  if (width !== undefined) return width;
  if (measureContext === null && typeof document !== "undefined") {
    const canvas = document.createElement("canvas");
    measureContext = canvas.getContext ? canvas.getContext("2d") : false;
  }
  if (measureContext) {
    measureContext.font = `${weight} ${size}px ${family}`;
    width = measureContext.measureText(text).width;
  } else {
    width = (weight > 500 ? 0.63 : 0.58) * size * [...text].length;
  }
  if (widthCache.size > 5000) widthCache.clear();
  widthCache.set(key, width);
  return width;
}

// Lines of text no wider than maxWidth (a word wider than that stays whole).
function wrap(text, size, family, maxWidth, weight = 400) {
  if (!text) return [];
  const lines = [];
  for (const paragraph of String(text).split("\n")) {
    const words = paragraph.split(/ +/);
    let line = "";
    for (const word of words) {
      const candidate = line ? `${line} ${word}` : word;
      if (line && textWidth(candidate, size, family, weight) > maxWidth) {
        lines.push(line);
        line = word;
      } else {
        line = candidate;
      }
    }
    lines.push(line);
  }
  return lines;
}

// --- scales and ticks ------------------------------------------------------------------

function symlogForward(v, linthresh, linscale) {
  const adj = linscale / (1 - 1 / 10);
  const a = Math.abs(v);
  if (a <= linthresh) return v * (adj / linthresh) * linthresh;
  return Math.sign(v) * linthresh * (adj + Math.log10(a / linthresh));
}

function transformOf(axis) {
  const scale = axis.scale || "linear";
  if (scale === "log") return (v) => (v > 0 && v < Infinity ? Math.log10(v) : NaN);
  if (scale === "symlog") {
    const linthresh = axis.linthresh === undefined ? 1 : axis.linthresh;
    const linscale = axis.linscale === undefined ? 1 : axis.linscale;
    return (v) => (Number.isFinite(v) ? symlogForward(v, linthresh, linscale) : NaN);
  }
  return (v) => (Number.isFinite(v) ? v : NaN);
}

const NICE = [1, 2, 2.5, 5, 10];

/** Ticks at multiples of 1, 2, 2.5 or 5 times a power of ten, at most maxCount of them. */
export function linearTicks(lo, hi, maxCount = 6) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return [];
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const span = hi - lo;
  const count = Math.max(1, maxCount);
  const raw = span / count;
  let exp = Math.floor(Math.log10(raw));
  let mantissa = 10;
  for (const m of NICE) {
    if (m * 10 ** exp >= raw * (1 - 1e-9)) {
      mantissa = m;
      break;
    }
  }
  if (mantissa === 10) {
    mantissa = 1;
    exp += 1;
  }
  const step = mantissa * 10 ** exp;
  // k m / 10^-e rather than k (m 10^e): 0.6, not 0.6000000000000001
  const at = (k) => (exp < 0 ? (k * mantissa) / 10 ** -exp : k * mantissa * 10 ** exp);
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const ticks = [];
  for (let k = first; k <= last && ticks.length < 1000; k++) ticks.push(k === 0 ? 0 : at(k));
  return ticks;
}

function linearLabels(ticks) {
  if (ticks.length === 0) return [];
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(ticks[0]) || 1;
  const biggest = Math.max(...ticks.map(Math.abs));
  if (biggest >= 1e5 || (biggest > 0 && biggest < 1e-3)) {
    const exp = Math.floor(Math.log10(biggest));
    const unit = 10 ** exp;
    const digits = Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9));
    return ticks.map((v) => {
      if (v === 0) return "0";
      const m = v / unit;
      const text = minus(m.toFixed(Math.min(digits + (isQuarter(step / unit) ? 1 : 0), 6)));
      return `${text}×10${superscript(exp)}`;
    });
  }
  let digits = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  if (isQuarter(step)) digits += 1;
  return ticks.map((v) => minus(trimFixed(v.toFixed(Math.min(digits, 12)), digits)));
}

function isQuarter(step) {
  const m = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
  return Math.abs(m - 2.5) < 1e-6;
}

function trimFixed(text, digits) {
  if (digits === 0) return text === "-0" ? "0" : text;
  const value = Number(text);
  if (value === 0) return "0";
  return text;
}

function decadeLabel(exp) {
  return `10${superscript(exp)}`;
}

// 0.02, 5, 300 between 10⁻³ and 10⁴; 2×10⁻⁶ or 10⁸ beyond
function plainOrPower(value, exp) {
  if (exp >= -3 && exp <= 4) {
    return minus(String(Number(value.toPrecision(6))));
  }
  const m = Math.round(value / 10 ** exp);
  return m === 1 ? decadeLabel(exp) : `${m}×10${superscript(exp)}`;
}

/**
 * Ticks of a log axis from lo to hi (> 0): {major: [{value, label}], minor: [values]}.
 * Decades (labelled 10ⁿ), every k-th one when there are more than maxCount; 2 and 5 times
 * them, or every integer multiple, when the range holds fewer than two decades.
 */
export function logTicks(lo, hi, maxCount = 6) {
  if (!(lo > 0 && hi > 0 && Number.isFinite(lo) && Number.isFinite(hi))) {
    return { major: [], minor: [] };
  }
  if (lo > hi) [lo, hi] = [hi, lo];
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  const eps = 1e-9;
  const first = Math.ceil(a - eps);
  const last = Math.floor(b + eps);
  const decades = [];
  for (let e = first; e <= last; e++) decades.push(e);
  const major = [];
  const minor = [];
  if (decades.length >= 2) {
    const stride = Math.max(1, Math.ceil(decades.length / Math.max(1, maxCount)));
    for (const e of decades) {
      if (e % stride === 0) major.push({ value: 10 ** e, label: decadeLabel(e) });
      else minor.push(10 ** e);
    }
    if (stride === 1 && b - a <= 9) {
      for (let e = Math.floor(a); e <= Math.ceil(b); e++) {
        for (let m = 2; m <= 9; m++) {
          const v = m * 10 ** e;
          if (v >= lo * (1 - eps) && v <= hi * (1 + eps)) minor.push(v);
        }
      }
    }
    return { major, minor };
  }
  // less than two decades: 1, 2, 5 (or every integer) times the powers of ten
  for (const multiples of [
    [1, 2, 5],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  ]) {
    major.length = 0;
    for (let e = Math.floor(a) - 1; e <= Math.ceil(b); e++) {
      for (const m of multiples) {
        const v = m * 10 ** e;
        if (v >= lo * (1 - eps) && v <= hi * (1 + eps)) {
          major.push({ value: v, label: plainOrPower(v, e) });
        }
      }
    }
    if (major.length >= 2) break;
  }
  if (major.length > maxCount + 1) {
    const stride = Math.ceil(major.length / (maxCount + 1));
    const kept = major.filter((_, i) => i % stride === 0);
    for (const t of major) if (!kept.includes(t)) minor.push(t.value);
    return { major: kept, minor };
  }
  if (major.length < 2) {
    // a sliver of one decade: plain linear ticks
    return {
      major: linearTicks(lo, hi, maxCount).map((v, i, all) => ({
        value: v,
        label: linearLabels(all)[i],
      })),
      minor,
    };
  }
  return { major, minor };
}

function symlogTicks(lo, hi, linthresh, maxCount) {
  const values = [];
  if (lo <= 0 && hi >= 0) values.push(0);
  const top = Math.max(Math.abs(lo), Math.abs(hi));
  for (let e = Math.ceil(Math.log10(linthresh) - 1e-9); 10 ** e <= top * (1 + 1e-9); e++) {
    const v = 10 ** e;
    if (v <= hi * (1 + 1e-9) && v >= lo) values.push(v);
    if (-v >= lo * (1 + 1e-9) && -v <= hi) values.push(-v);
    if (e > 400) break;
  }
  values.sort((p, q) => p - q);
  let major = values;
  if (values.length > maxCount) {
    const stride = Math.ceil(values.length / maxCount);
    major = values.filter((v) => v === 0 || Math.round(Math.log10(Math.abs(v))) % stride === 0);
  }
  return {
    major: major.map((v) => ({
      value: v,
      label: v === 0 ? "0" : (v < 0 ? "−" : "") + decadeLabel(Math.round(Math.log10(Math.abs(v)))),
    })),
    minor: values.filter((v) => !major.includes(v)),
  };
}

// The limits of one axis: explicit ones, or the data's range with a 5% margin (in the
// transformed coordinate), as matplotlib's autoscaling.
function limitsOf(axis, values, forward) {
  const scale = axis.scale || "linear";
  let lo = Infinity;
  let hi = -Infinity;
  for (const list of values) {
    for (let i = 0; i < list.length; i++) {
      const t = forward(list[i]);
      if (t === t) {
        if (t < lo) lo = t;
        if (t > hi) hi = t;
      }
    }
  }
  const fixedLo = axis.min !== undefined && axis.min !== null;
  const fixedHi = axis.max !== undefined && axis.max !== null;
  if (lo > hi) {
    if (scale === "log") [lo, hi] = [0, 1];
    else if (scale === "symlog") [lo, hi] = [0, forward(10)];
    else [lo, hi] = [0, 1];
  } else if (lo === hi) {
    if (scale === "log") [lo, hi] = [lo - 1, hi + 1];
    else {
      const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
      [lo, hi] = [lo - d, hi + d];
    }
  } else {
    const margin = (hi - lo) * 0.05;
    lo -= margin;
    hi += margin;
  }
  if (fixedLo) lo = forward(axis.min);
  if (fixedHi) hi = forward(axis.max);
  if (scale === "log" && axis.minDecades && !(fixedLo && fixedHi)) {
    if (hi - lo < axis.minDecades) {
      const middle = (lo + hi) / 2;
      lo = middle - axis.minDecades / 2;
      hi = middle + axis.minDecades / 2;
    }
  }
  if (!(hi !== lo)) {
    hi = lo + 1;
  }
  return [lo, hi];
}

function inverseOf(axis) {
  const scale = axis.scale || "linear";
  if (scale === "log") return (t) => 10 ** t;
  if (scale === "symlog") {
    const linthresh = axis.linthresh === undefined ? 1 : axis.linthresh;
    const linscale = axis.linscale === undefined ? 1 : axis.linscale;
    const adj = linscale / (1 - 1 / 10);
    return (t) => {
      const a = Math.abs(t);
      if (a <= linthresh * adj) return t / adj;
      return Math.sign(t) * linthresh * 10 ** (a / linthresh - adj);
    };
  }
  return (t) => t;
}

function ticksOf(axis, tlo, thi, maxCount) {
  const scale = axis.scale || "linear";
  const inverse = inverseOf(axis);
  const lo = inverse(Math.min(tlo, thi));
  const hi = inverse(Math.max(tlo, thi));
  if (Array.isArray(axis.ticks) || ArrayBuffer.isView(axis.ticks)) {
    const values = Array.from(axis.ticks, Number);
    const labels = axis.tickLabels
      ? values.map((_, i) => String(axis.tickLabels[i] ?? ""))
      : scale === "log"
        ? values.map((v) => {
            const e = Math.round(Math.log10(v));
            return Math.abs(v - 10 ** e) < 1e-9 * v ? decadeLabel(e) : plainOrPower(v, e);
          })
        : linearLabels(values);
    return { major: values.map((v, i) => ({ value: v, label: labels[i] })), minor: [] };
  }
  if (scale === "log") return logTicks(lo, hi, maxCount);
  if (scale === "symlog") {
    const linthresh = axis.linthresh === undefined ? 1 : axis.linthresh;
    return symlogTicks(lo, hi, linthresh, maxCount);
  }
  const values = linearTicks(lo, hi, maxCount);
  const labels = linearLabels(values);
  return { major: values.map((v, i) => ({ value: v, label: labels[i] })), minor: [] };
}

// --- validation ------------------------------------------------------------------------

function isList(v) {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

function requireFinite(value, what) {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`${what} is ${describe(value)}; a finite number is needed`);
  }
}

function describe(value) {
  if (typeof value === "number") return String(value);
  if (value === undefined) return "missing";
  return JSON.stringify(value) ?? String(value);
}

/**
 * Checks a list of panels; throws an Error naming the first value that must be finite but
 * is not (limits, reference lines, spans, text positions, colour-scale bounds) or a
 * malformed part. Data points may be non-finite (they are skipped).
 */
export function validatePanels(panels) {
  if (!Array.isArray(panels)) throw new Error("panels must be a list");
  panels.forEach((panel, i) => {
    const where = `panel ${i + 1}`;
    if (panel === null || typeof panel !== "object") throw new Error(`${where} is not an object`);
    for (const name of ["x", "y"]) {
      const axis = panel[name];
      if (axis === undefined || axis === null) continue;
      for (const end of ["min", "max"]) {
        if (axis[end] === undefined || axis[end] === null) continue;
        requireFinite(axis[end], `${where}: the ${name}-axis limit ${end}`);
        if (axis.scale === "log" && !(axis[end] > 0)) {
          throw new Error(`${where}: the ${name}-axis limit ${end} is ${axis[end]}; a log axis needs a positive one`);
        }
      }
      if (axis.ticks) Array.from(axis.ticks).forEach((v, k) => requireFinite(v, `${where}: ${name} tick ${k + 1}`));
    }
    (panel.series || []).forEach((s, j) => {
      if (s === null || typeof s !== "object") throw new Error(`${where}, series ${j + 1} is not an object`);
      if (!isList(s.y)) throw new Error(`${where}, series ${j + 1}: y must be a list of numbers`);
      if (s.x !== undefined && s.x !== null) {
        if (!isList(s.x)) throw new Error(`${where}, series ${j + 1}: x must be a list of numbers`);
        if (s.x.length !== s.y.length) {
          throw new Error(`${where}, series ${j + 1}: x has ${s.x.length} values and y ${s.y.length}`);
        }
      }
      if (s.width !== undefined) requireFinite(s.width, `${where}, series ${j + 1}: the line width`);
      if (s.size !== undefined) requireFinite(s.size, `${where}, series ${j + 1}: the marker size`);
    });
    (panel.hlines || []).forEach((h, j) => requireFinite(h && h.y, `${where}: horizontal line ${j + 1} (y)`));
    (panel.vlines || []).forEach((v, j) => requireFinite(v && v.x, `${where}: vertical line ${j + 1} (x)`));
    (panel.spans || []).forEach((s, j) => {
      requireFinite(s && s.x0, `${where}: span ${j + 1} (x0)`);
      requireFinite(s.x1, `${where}: span ${j + 1} (x1)`);
    });
    (panel.texts || []).forEach((t, j) => {
      requireFinite(t && t.x, `${where}: text ${j + 1} (x)`);
      requireFinite(t.y, `${where}: text ${j + 1} (y)`);
    });
    if (panel.heatmap) {
      const h = panel.heatmap;
      if (!Array.isArray(h.values) || !h.values.every(isList)) {
        throw new Error(`${where}: heatmap values must be a list of rows`);
      }
      requireFinite(h.vmin, `${where}: the heatmap's vmin`);
      requireFinite(h.vmax, `${where}: the heatmap's vmax`);
    }
  });
}

// --- drawing ---------------------------------------------------------------------------

const DASHES = {
  "-": null,
  solid: null,
  "--": [3.7, 1.6],
  dashed: [3.7, 1.6],
  ":": [1, 1.65],
  dotted: [1, 1.65],
  "-.": [6.4, 1.6, 1, 1.6],
  dashdot: [6.4, 1.6, 1, 1.6],
};

function strokeStyle(color, line, width, alpha) {
  let style = `fill:none;stroke:${color};stroke-width:${width}`;
  const dash = DASHES[line];
  if (dash) style += `;stroke-dasharray:${dash.map((d) => px(d * Math.max(width, 1))).join(" ")}`;
  if (line === ":" || line === "dotted") style += ";stroke-linecap:round";
  else style += ";stroke-linejoin:round";
  if (alpha !== undefined && alpha !== 1) style += `;stroke-opacity:${alpha}`;
  return style;
}

function markerPath(kind, x, y, r) {
  switch (kind) {
    case "s":
      return `M${px(x - r)},${px(y - r)}h${px(2 * r)}v${px(2 * r)}h${px(-2 * r)}z`;
    case "^":
      return `M${px(x)},${px(y - r * 1.15)}L${px(x + r)},${px(y + r * 0.6)}L${px(x - r)},${px(y + r * 0.6)}z`;
    case "v":
      return `M${px(x)},${px(y + r * 1.15)}L${px(x + r)},${px(y - r * 0.6)}L${px(x - r)},${px(y - r * 0.6)}z`;
    case "D":
      return `M${px(x)},${px(y - r * 1.2)}L${px(x + r)},${px(y)}L${px(x)},${px(y + r * 1.2)}L${px(x - r)},${px(y)}z`;
    case "x":
      return `M${px(x - r)},${px(y - r)}L${px(x + r)},${px(y + r)}M${px(x - r)},${px(y + r)}L${px(x + r)},${px(y - r)}`;
    case "+":
      return `M${px(x - r)},${px(y)}H${px(x + r)}M${px(x)},${px(y - r)}V${px(y + r)}`;
    default:
      return `M${px(x - r)},${px(y)}a${r},${r} 0 1,0 ${px(2 * r)},0a${r},${r} 0 1,0 ${px(-2 * r)},0`;
  }
}

const FONT = { tick: 11, label: 12, title: 13, legend: 11, note: 13, cell: 11 };

function seriesDefaults(series) {
  let cycle = 0;
  return series.map((s) => {
    const marker = s.marker && s.marker !== "none" ? s.marker : null;
    const line = s.line !== undefined && s.line !== null ? s.line : marker ? "none" : "-";
    let color = s.color;
    if (color === undefined || color === null) {
      color = `C${cycle % 10}`;
      cycle += 1;
    }
    return {
      ...s,
      marker,
      line: line === "" ? "none" : line,
      color,
      width: s.width === undefined ? 1.5 : s.width,
      size: s.size === undefined ? (marker === "." ? 4 : 6) : s.size,
      fill: s.fill === undefined ? true : s.fill,
      alpha: s.alpha === undefined ? 1 : s.alpha,
    };
  });
}

function legendItems(panel, series) {
  const items = [];
  for (const s of series) {
    if (s.label) items.push({ kind: "series", label: String(s.label), s });
  }
  for (const h of panel.hlines || []) {
    if (h.label) items.push({ kind: "line", label: String(h.label), s: refStyle(h) });
  }
  for (const v of panel.vlines || []) {
    if (v.label) items.push({ kind: "line", label: String(v.label), s: refStyle(v) });
  }
  for (const sp of panel.spans || []) {
    if (sp.label) items.push({ kind: "span", label: String(sp.label), s: sp });
  }
  return items;
}

function refStyle(r) {
  return {
    color: r.color === undefined ? "k" : r.color,
    line: r.line === undefined ? "-" : r.line,
    width: r.width === undefined ? 1 : r.width,
    alpha: r.alpha === undefined ? 1 : r.alpha,
    marker: null,
  };
}

function legendSample(item, x, y) {
  const s = item.s;
  if (item.kind === "span") {
    const color = resolveColor(s.color, "0.9");
    const alpha = s.alpha === undefined ? 1 : s.alpha;
    return `<rect x="${px(x)}" y="${px(y - 5)}" width="20" height="10" style="fill:${color};fill-opacity:${alpha}"/>`;
  }
  let out = "";
  const color = resolveColor(s.color);
  if (s.line !== "none") {
    out += `<path d="M${px(x)},${px(y)}h20" style="${strokeStyle(color, s.line, s.width, s.alpha)}"/>`;
  }
  if (s.marker) {
    out += markerElement(s.marker, [[x + 10, y]], color, Math.min(s.size, 8) / 2, s.fill, s.alpha);
  }
  return out;
}

function markerElement(kind, points, color, r, fill, alpha) {
  let d = "";
  for (const [x, y] of points) d += markerPath(kind, x, y, r);
  const stroked = kind === "x" || kind === "+";
  let style;
  if (stroked) style = `fill:none;stroke:${color};stroke-width:1.3`;
  else if (fill) style = `fill:${color};stroke:${color};stroke-width:0.6`;
  else style = `fill:none;stroke:${color};stroke-width:1.2`;
  if (alpha !== 1) style += `;opacity:${alpha}`;
  return `<path d="${d}" style="${style}"/>`;
}

let clipCounter = 0;

function textElement(x, y, text, size, extra = "") {
  return `<text x="${px(x)}" y="${px(y)}" font-size="${size}"${extra}>${escapeXml(text)}</text>`;
}

// A legend: {width, height, draw(x, y)} for entries laid out within maxWidth.
function legendBlock(items, title, family, maxWidth) {
  const size = FONT.legend;
  const lineHeight = size + 3;
  const textMax = Math.max(40, maxWidth - 20 - 32);
  const rows = items.map((item) => wrap(item.label, size, family, textMax));
  const titleLines = title ? wrap(String(title), size, family, maxWidth - 12) : [];
  let width = 0;
  rows.forEach((lines) => {
    for (const line of lines) width = Math.max(width, 32 + textWidth(line, size, family));
  });
  for (const line of titleLines) width = Math.max(width, textWidth(line, size, family));
  width = Math.ceil(width + 12);
  const count = rows.reduce((n, lines) => n + lines.length, 0) + titleLines.length;
  const height = Math.ceil(count * lineHeight + 8);
  return {
    width,
    height,
    draw(x, y) {
      let out = `<g class="ufm-legend"><rect class="ufm-legend-box" x="${px(x)}" y="${px(y)}" width="${width}" height="${height}" rx="3"/>`;
      let cy = y + 4 + size;
      for (const line of titleLines) {
        out += textElement(x + width / 2, cy, line, size, ' text-anchor="middle"');
        cy += lineHeight;
      }
      items.forEach((item, i) => {
        out += legendSample(item, x + 6, cy - size * 0.35);
        rows[i].forEach((line) => {
          out += textElement(x + 32, cy, line, size);
          cy += lineHeight;
        });
      });
      return `${out}</g>`;
    },
  };
}

// matplotlib's order of the locations tried by loc="best"
const BEST_ORDER = [
  "upper right",
  "upper left",
  "lower left",
  "lower right",
  "center right",
  "center left",
  "lower center",
  "upper center",
  "center",
];

/** Most coordinates sampled along the data of a panel (for its legend). */
const MAX_SAMPLES = 40000;

function legendPosition(loc, box, legend) {
  const pad = 6;
  const [v, h] = (() => {
    const text = loc === "best" || !loc ? "upper right" : String(loc);
    if (text === "center") return ["center", "center"];
    if (text === "right") return ["center", "right"];
    const parts = text.split(" ");
    return [parts[0], parts[1] || "center"];
  })();
  const x =
    h === "left"
      ? box.x + pad
      : h === "right"
        ? box.x + box.w - legend.width - pad
        : box.x + (box.w - legend.width) / 2;
  const y =
    v === "upper"
      ? box.y + pad
      : v === "lower"
        ? box.y + box.h - legend.height - pad
        : box.y + (box.h - legend.height) / 2;
  return [x, y];
}

function familyOf(options) {
  return (options && options.fontFamily) || "sans-serif";
}

function notePanel(panel, width, height, options) {
  const family = familyOf(options);
  let out = "";
  let y = 8;
  for (const line of wrap(panel.title || "", FONT.title, family, width - 8, 600)) {
    y += FONT.title + 2;
    out += textElement(width / 2, y, line, FONT.title, ' class="ufm-title" text-anchor="middle"');
  }
  const lines = wrap(String(panel.note), FONT.note, family, width - 24);
  let ny = height / 2 - ((lines.length - 1) * (FONT.note + 3)) / 2;
  for (const line of lines) {
    out += textElement(width / 2, ny, line, FONT.note, ' text-anchor="middle"');
    ny += FONT.note + 3;
  }
  return { body: out, height };
}

function heatmapPanel(panel, width, height, options) {
  const family = familyOf(options);
  const h = panel.heatmap;
  const rows = h.values.length;
  const cols = rows ? h.values[0].length : 0;
  const rowLabels = (h.rows || []).map(String);
  const colLabels = (h.cols || []).map(String);
  const cmap = h.cmap || "RdBu_r";
  let out = "";
  let top = 6;
  for (const line of wrap(panel.title || "", FONT.title, family, width - 8, 600)) {
    top += FONT.title + 2;
    out += textElement(width / 2, top, line, FONT.title, ' class="ufm-title" text-anchor="middle"');
  }
  top += 8;
  const labelWidth = Math.max(0, ...rowLabels.map((t) => textWidth(t, FONT.tick, family)));
  const colorbar = h.colorbar !== false;
  const barTicks = linearTicks(h.vmin, h.vmax, 4);
  const barLabels = linearLabels(barTicks);
  const barWidth = colorbar
    ? 14 + 12 + 4 + Math.max(0, ...barLabels.map((t) => textWidth(t, FONT.tick, family)))
    : 0;
  const left = labelWidth + 10;
  const colWidest = Math.max(0, ...colLabels.map((t) => textWidth(t, FONT.tick, family)));
  const availableW = width - left - barWidth - 8;
  let cell = Math.max(8, Math.min(availableW / Math.max(cols, 1), 64));
  const rotate = colWidest > cell - 4;
  const bottomSpace = rotate ? colWidest * 0.5 + FONT.tick + 10 : FONT.tick + 10;
  const availableH = height - top - bottomSpace - 4;
  cell = Math.max(8, Math.min(cell, availableH / Math.max(rows, 1)));
  const gridW = cell * cols;
  const gridH = cell * rows;
  const x0 = left + Math.max(0, (availableW - gridW) / 2);
  const y0 = top;
  const span = h.vmax - h.vmin || 1;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = Number(h.values[i][j]);
      const c = colormap(cmap, (v - h.vmin) / span);
      const x = x0 + j * cell;
      const y = y0 + i * cell;
      if (c) {
        out += `<rect x="${px(x)}" y="${px(y)}" width="${px(cell + 0.3)}" height="${px(cell + 0.3)}" style="fill:${rgb(c)}"/>`;
      }
      const text = h.text ? h.text[i] && h.text[i][j] : Number.isFinite(v) ? v.toFixed(2) : "–";
      const fits = text ? textWidth(String(text), FONT.cell, family) <= cell - 3 : false;
      if (fits) {
        let light;
        if (h.textColors && h.textColors[i]) light = h.textColors[i][j] === "white" || h.textColors[i][j] === "w";
        else light = c ? 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] < 128 : false;
        const klass = c ? (light ? "ufm-cell-text ufm-cell-light" : "ufm-cell-text") : "";
        const size = FONT.cell;
        out += textElement(x + cell / 2, y + cell / 2 + size * 0.35, String(text), size, ` text-anchor="middle"${klass ? ` class="${klass}"` : ""}`);
      }
    }
  }
  out += `<rect class="ufm-frame" x="${px(x0)}" y="${px(y0)}" width="${px(gridW)}" height="${px(gridH)}"/>`;
  rowLabels.forEach((t, i) => {
    out += textElement(x0 - 6, y0 + (i + 0.5) * cell + FONT.tick * 0.35, t, FONT.tick, ' text-anchor="end"');
  });
  colLabels.forEach((t, j) => {
    const cx = x0 + (j + 0.5) * cell;
    const cy = y0 + gridH + FONT.tick + 4;
    if (rotate) {
      out += textElement(cx, cy, t, FONT.tick, ` text-anchor="end" transform="rotate(-30 ${px(cx)} ${px(cy - FONT.tick * 0.35)})"`);
    } else {
      out += textElement(cx, cy, t, FONT.tick, ' text-anchor="middle"');
    }
  });
  if (colorbar && gridH > 0) {
    const bx = x0 + gridW + 14;
    const bh = gridH * 0.85;
    const by = y0 + (gridH - bh) / 2;
    const id = `ufm-cbar-${++clipCounter}`;
    let stops = "";
    for (let k = 0; k <= 16; k++) {
      stops += `<stop offset="${k / 16}" stop-color="${rgb(colormap(cmap, 1 - k / 16 - (k === 0 ? 1e-9 : 0)))}"/>`;
    }
    out += `<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${stops}</linearGradient></defs>`;
    out += `<rect x="${px(bx)}" y="${px(by)}" width="12" height="${px(bh)}" style="fill:url(#${id})"/>`;
    out += `<rect class="ufm-frame" x="${px(bx)}" y="${px(by)}" width="12" height="${px(bh)}"/>`;
    barTicks.forEach((v, k) => {
      const ty = by + bh * (1 - (v - h.vmin) / span);
      out += `<path class="ufm-tick" d="M${px(bx + 12)},${px(ty)}h4"/>`;
      out += textElement(bx + 19, ty + FONT.tick * 0.35, barLabels[k], FONT.tick);
    });
  }
  const used = y0 + gridH + bottomSpace + 4;
  return { body: out, height: Math.ceil(used) };
}

/**
 * One panel as the inner markup of an <svg> of the given size:
 * {body, height, hidden} (height grows when the legend goes under the axes; hidden: with
 * options.countHidden, how many sampled points of the data a legend inside the axes
 * covers, else 0). options: {fontFamily, countHidden}.
 */
export function renderPanel(panel, width, height, options = {}) {
  if (panel.note !== undefined && panel.note !== null && panel.note !== false) {
    return notePanel(panel, width, height, options);
  }
  if (panel.heatmap) return heatmapPanel(panel, width, height, options);
  const family = familyOf(options);
  const xAxis = panel.x || {};
  const yAxis = panel.y || {};
  const series = seriesDefaults(panel.series || []);
  const fx = transformOf(xAxis);
  const fy = transformOf(yAxis);

  // title and x label (wrapped to the width) fix the vertical margins
  const titleLines = wrap(panel.title || "", FONT.title, family, width - 8, 600);
  const xLabelLines = wrap(xAxis.label || "", FONT.label, family, width - 16);
  const top = titleLines.length ? titleLines.length * (FONT.title + 3) + 8 : 10;
  const xTicksShown = !(Array.isArray(xAxis.ticks) && xAxis.ticks.length === 0);
  const yTicksShown = !(Array.isArray(yAxis.ticks) && yAxis.ticks.length === 0);
  const bottom =
    (xTicksShown ? FONT.tick + 9 : 4) + (xLabelLines.length ? xLabelLines.length * (FONT.label + 3) + 2 : 0) + 4;
  const plotH = Math.max(40, height - top - bottom);

  // the data ranges
  const xs = [];
  const ys = [];
  for (const s of series) {
    const n = s.y.length;
    const x = s.x === undefined || s.x === null ? Float64Array.from({ length: n }, (_, i) => i) : s.x;
    s._x = x;
    xs.push(x);
    ys.push(s.y);
  }
  const refX = [];
  const refY = [];
  for (const h of panel.hlines || []) if (h.autoscale !== false) refY.push(h.y);
  for (const v of panel.vlines || []) if (v.autoscale !== false) refX.push(v.x);
  for (const sp of panel.spans || []) refX.push(sp.x0, sp.x1);
  for (const t of panel.texts || []) {
    if (t.coords !== "axes") {
      refX.push(t.x);
      refY.push(t.y);
    }
  }
  xs.push(refX);
  ys.push(refY);
  let [xlo, xhi] = limitsOf(xAxis, xs, fx);
  let [ylo, yhi] = limitsOf(yAxis, ys, fy);

  // y ticks (their labels' width fixes the left margin), then x ticks
  const yTicks = yTicksShown ? ticksOf(yAxis, ylo, yhi, Math.max(3, Math.floor(plotH / 38))) : { major: [], minor: [] };
  const yLabelLines = yAxis.label ? wrap(yAxis.label, FONT.label, family, plotH) : [];
  const yLabelSpace = yLabelLines.length ? yLabelLines.length * (FONT.label + 2) + 4 : 0;
  const tickWidth = Math.max(0, ...yTicks.major.map((t) => textWidth(t.label, FONT.tick, family)));
  const left = Math.ceil(6 + yLabelSpace + tickWidth + (yTicksShown ? 7 : 0));
  let right = 10;
  let plotW = Math.max(40, width - left - right);
  let box = { x: left, y: top, w: plotW, h: plotH };

  if (panel.aspect === "equal" && (xAxis.scale || "linear") === "linear" && (yAxis.scale || "linear") === "linear") {
    const ux = (xhi - xlo) / plotW;
    const uy = (yhi - ylo) / plotH;
    if (ux > uy) {
      const mid = (ylo + yhi) / 2;
      ylo = mid - (ux * plotH) / 2;
      yhi = mid + (ux * plotH) / 2;
    } else {
      const mid = (xlo + xhi) / 2;
      xlo = mid - (uy * plotW) / 2;
      xhi = mid + (uy * plotW) / 2;
    }
  }

  let xTicks = { major: [], minor: [] };
  if (xTicksShown) {
    // as many ticks as fit (labels at least 8 px apart), at most one per 36 px (about
    // matplotlib's density)
    const spacing = 36;
    for (let count = Math.max(3, Math.floor(plotW / spacing)); count >= 1; count--) {
      xTicks = ticksOf(xAxis, xlo, xhi, count);
      const widths = xTicks.major.map((t) => textWidth(t.label, FONT.tick, family));
      const positions = xTicks.major.map((t) => left + ((fx(t.value) - xlo) / (xhi - xlo)) * plotW);
      let fits = true;
      for (let i = 1; i < positions.length; i++) {
        if (positions[i] - positions[i - 1] < (widths[i] + widths[i - 1]) / 2 + 8) fits = false;
      }
      if (fits || Array.isArray(xAxis.ticks)) break;
    }
    // a last label that overhangs the right edge widens the right margin
    const lastTick = xTicks.major[xTicks.major.length - 1];
    if (lastTick) {
      const overhang = textWidth(lastTick.label, FONT.tick, family) / 2 - right + 2;
      if (overhang > 0 && Math.abs(fx(lastTick.value) - xhi) < 0.02 * Math.abs(xhi - xlo)) {
        right += overhang;
        plotW = Math.max(40, width - left - right);
        box = { x: left, y: top, w: plotW, h: plotH };
      }
    }
  }

  const sx = plotW / (xhi - xlo);
  const sy = plotH / (yhi - ylo);
  const X = (v) => left + (fx(v) - xlo) * sx;
  const Y = (v) => top + plotH - (fy(v) - ylo) * sy;

  let out = "";
  const clip = `ufm-clip-${++clipCounter}`;
  out += `<defs><clipPath id="${clip}"><rect x="${px(box.x)}" y="${px(box.y)}" width="${px(box.w)}" height="${px(box.h)}"/></clipPath></defs>`;

  // grid and ticks
  const grid = panel.grid !== false;
  let gridPath = "";
  let tickPath = "";
  let tickText = "";
  const bottomY = top + plotH;
  for (const t of xTicks.major) {
    const x = X(t.value);
    if (!(x >= left - 0.5 && x <= left + plotW + 0.5)) continue;
    if (grid) gridPath += `M${px(x)},${px(top)}V${px(bottomY)}`;
    tickPath += `M${px(x)},${px(bottomY)}v4`;
    tickText += textElement(x, bottomY + 6 + FONT.tick * 0.8, t.label, FONT.tick, ' text-anchor="middle"');
  }
  for (const v of xTicks.minor) {
    const x = X(v);
    if (x >= left && x <= left + plotW) tickPath += `M${px(x)},${px(bottomY)}v2`;
  }
  for (const t of yTicks.major) {
    const y = Y(t.value);
    if (!(y >= top - 0.5 && y <= bottomY + 0.5)) continue;
    if (grid) gridPath += `M${px(left)},${px(y)}H${px(left + plotW)}`;
    tickPath += `M${px(left)},${px(y)}h-4`;
    tickText += textElement(left - 7, y + FONT.tick * 0.35, t.label, FONT.tick, ' text-anchor="end"');
  }
  for (const v of yTicks.minor) {
    const y = Y(v);
    if (y >= top && y <= bottomY) tickPath += `M${px(left)},${px(y)}h-2`;
  }
  if (gridPath) out += `<path class="ufm-grid" d="${gridPath}"/>`;

  // spans, reference lines, series: clipped to the axes
  let data = "";
  for (const sp of panel.spans || []) {
    let a = X(sp.x0);
    let b = X(sp.x1);
    if (!(a === a && b === b)) continue;
    if (a > b) [a, b] = [b, a];
    a = Math.max(a, left - 1);
    b = Math.min(b, left + plotW + 1);
    if (b <= a) continue;
    const alpha = sp.alpha === undefined ? 1 : sp.alpha;
    data += `<rect x="${px(a)}" y="${px(top)}" width="${px(b - a)}" height="${px(plotH)}" style="fill:${resolveColor(sp.color, "0.9")};fill-opacity:${alpha}"/>`;
  }
  // where the data lie, for a legend placed "best" (the corner that hides the least)
  const legendSpec = typeof panel.legend === "object" && panel.legend ? panel.legend : { loc: panel.legend };
  const best = !legendSpec.loc || legendSpec.loc === "best";
  // points along the data drawn (at most MAX_SAMPLES coordinates), to place a "best" legend
  // or, with options.countHidden, to count the data a legend inside the axes hides
  const sampled = best || Boolean(options.countHidden);
  const samples = [];
  const sample = (a, b, c, d) => {
    if (!sampled || samples.length > MAX_SAMPLES) return;
    const steps = Math.min(50, Math.ceil(Math.hypot(c - a, d - b) / 8));
    for (let k = 1; k <= steps; k++) samples.push(a + ((c - a) * k) / steps, b + ((d - b) * k) / steps);
  };
  for (const h of panel.hlines || []) {
    const y = Y(h.y);
    if (y !== y) continue;
    sample(left, y, left + plotW, y);
    const s = refStyle(h);
    data += `<path d="M${px(left)},${px(y)}H${px(left + plotW)}" style="${strokeStyle(resolveColor(s.color), s.line, s.width, s.alpha)}"/>`;
  }
  for (const v of panel.vlines || []) {
    const x = X(v.x);
    if (x !== x) continue;
    sample(x, top, x, bottomY);
    const s = refStyle(v);
    data += `<path d="M${px(x)},${px(top)}V${px(bottomY)}" style="${strokeStyle(resolveColor(s.color), s.line, s.width, s.alpha)}"/>`;
  }
  for (const s of series) {
    const color = resolveColor(s.color);
    const n = s.y.length;
    const x = s._x;
    if (s.line !== "none" && n > 0) {
      let d = "";
      let pen = false;
      let pa = 0;
      let pb = 0;
      for (let i = 0; i < n; i++) {
        const a = X(x[i]);
        const b = Y(s.y[i]);
        if (a === a && b === b) {
          d += `${pen ? "L" : "M"}${px(a)},${px(b)}`;
          if (pen) sample(pa, pb, a, b);
          pen = true;
          pa = a;
          pb = b;
        } else pen = false;
      }
      if (d) data += `<path d="${d}" style="${strokeStyle(color, s.line, s.width, s.alpha)}"/>`;
    }
    if (s.marker && n > 0) {
      const r = s.size / 2;
      const groups = new Map();
      for (let i = 0; i < n; i++) {
        const a = X(x[i]);
        const b = Y(s.y[i]);
        if (!(a === a && b === b)) continue;
        if (a < left - r - 2 || a > left + plotW + r + 2 || b < top - r - 2 || b > bottomY + r + 2) continue;
        if (sampled && samples.length <= MAX_SAMPLES) samples.push(a, b);
        const c = s.colors ? resolveColor(s.colors[i % s.colors.length]) : color;
        if (!groups.has(c)) groups.set(c, []);
        groups.get(c).push([a, b]);
      }
      for (const [c, points] of groups) data += markerElement(s.marker, points, c, r, s.fill, s.alpha);
    }
  }
  for (const t of panel.texts || []) {
    const tx = t.coords === "axes" ? left + t.x * plotW : X(t.x);
    const ty = t.coords === "axes" ? top + (1 - t.y) * plotH : Y(t.y);
    if (!(tx === tx && ty === ty)) continue;
    const size = Math.max(11, t.size || FONT.tick);
    const anchor = t.align || "middle";
    const color = t.color ? ` style="fill:${resolveColor(t.color)}"` : "";
    data += textElement(tx, ty + size * 0.35, String(t.text), size, ` text-anchor="${anchor}"${color}`);
  }
  out += `<g clip-path="url(#${clip})">${data}</g>`;
  out += `<rect class="ufm-frame" x="${px(left)}" y="${px(top)}" width="${px(plotW)}" height="${px(plotH)}"/>`;
  if (tickPath) out += `<path class="ufm-tick" d="${tickPath}"/>`;
  out += tickText;

  // title, axis labels
  let ty = 4;
  for (const line of titleLines) {
    ty += FONT.title + 3;
    out += textElement(width / 2, ty, line, FONT.title, ' class="ufm-title" text-anchor="middle"');
  }
  let ly = bottomY + (xTicksShown ? FONT.tick + 9 : 4);
  for (const line of xLabelLines) {
    ly += FONT.label + 3;
    out += textElement(left + plotW / 2, ly - 2, line, FONT.label, ' text-anchor="middle"');
  }
  yLabelLines.forEach((line, i) => {
    const lx = 4 + FONT.label * 0.85 + i * (FONT.label + 2);
    const lyy = top + plotH / 2;
    out += textElement(lx, lyy, line, FONT.label, ` text-anchor="middle" transform="rotate(-90 ${px(lx)} ${px(lyy)})"`);
  });

  // the legend: inside the axes if it fits, else under the panel
  let total = height;
  let hidden = 0;
  const items = legendItems(panel, series);
  if (panel.legend !== false && panel.legend !== null && items.length) {
    const spec = legendSpec;
    // inside the axes when it takes at most 60% of their width and 45% of their height
    // (a rule that does not depend on the data, so the page does not jump while a slider
    // moves), else under the panel
    const inside = legendBlock(items, spec.title, family, plotW * 0.6);
    const allLines = items.every((item) => wrap(item.label, FONT.legend, family, Math.max(40, plotW * 0.6 - 52)).length === 1);
    const fits = allLines && inside.width <= plotW * 0.6 && inside.height <= plotH * 0.45;
    if (fits && spec.loc !== "outside") {
      const hides = (at) => {
        const [cx, cy] = legendPosition(at, box, inside);
        let count = 0;
        for (let i = 0; i < samples.length; i += 2) {
          const sx0 = samples[i];
          const sy0 = samples[i + 1];
          if (sx0 >= cx - 2 && sx0 <= cx + inside.width + 2 && sy0 >= cy - 2 && sy0 <= cy + inside.height + 2) count += 1;
        }
        return count;
      };
      let loc = spec.loc;
      let fewest = Infinity;
      if (best) {
        for (const candidate of BEST_ORDER) {
          const count = hides(candidate);
          if (count < fewest) {
            fewest = count;
            loc = candidate;
          }
        }
      }
      if (options.countHidden) hidden = best ? fewest : hides(loc);
      const [lx, lyy] = legendPosition(loc, box, inside);
      out += inside.draw(lx, lyy);
    } else {
      const under = legendBlock(items, spec.title, family, width - 8);
      const lx = Math.max(2, Math.min(left, width - under.width - 2));
      out += under.draw(lx, height + 2);
      total = height + under.height + 6;
    }
  }
  return { body: out, height: Math.ceil(total), hidden };
}

const GAP = 12;
/** Narrowest panel drawn beside another (px); a heatmap needs HEATMAP_MIN. */
export const MIN_PANEL = 200;
const HEATMAP_MIN = 240;
/** Widest square panel (equal aspect, heatmap) alone on its row. */
const SQUARE_MAX = 460;

function rowsOf(panels, columns) {
  const rows = [];
  for (let start = 0; start < panels.length; start += columns) {
    rows.push(panels.slice(start, start + columns));
  }
  return rows;
}

function rowWidths(row, width) {
  const weights = row.map((p) => (p.weight > 0 ? p.weight : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const free = width - GAP * (row.length - 1);
  return weights.map((w) => Math.floor((free * w) / total));
}

/**
 * Panel sizes for a container `width` px wide: as many panels side by side as fit (each
 * at least MIN_PANEL px wide, widths in proportion to their weights), one per row on a
 * narrow screen. Returns [{width, height}] (heights before any legend under a panel).
 */
export function layoutPanels(panels, width) {
  const n = panels.length;
  if (n === 0) return [];
  width = Math.max(120, Math.floor(width));
  let columns = 1;
  for (let k = n; k >= 2; k--) {
    const fits = rowsOf(panels, k).every((row) => {
      if (row.length < 2) return true;
      const widths = rowWidths(row, width);
      return row.every((p, i) => widths[i] >= (p.heatmap ? HEATMAP_MIN : MIN_PANEL));
    });
    if (fits) {
      columns = k;
      break;
    }
  }
  const sizes = [];
  for (const row of rowsOf(panels, columns)) {
    const widths = rowWidths(row, width);
    let height;
    if (row.length > 1) height = Math.round(Math.min(340, Math.max(230, width * 0.36)));
    else {
      const square = row[0].aspect === "equal" || Boolean(row[0].heatmap);
      if (square) widths[0] = Math.min(widths[0], SQUARE_MAX);
      height = Math.round(Math.min(square ? 380 : 340, Math.max(230, widths[0] * (square ? 0.85 : 0.7))));
    }
    row.forEach((_, i) => sizes.push({ width: widths[i], height }));
  }
  return sizes;
}

function panelName(panel, i) {
  if (panel.label) return String(panel.label);
  if (panel.title) return String(panel.title);
  return `panel ${i + 1}`;
}

/**
 * A figure drawn into `container` (a block element, which gets the class ufm-plot, the
 * role group and the figure's alternative text as aria-label). draw(panels, {alt})
 * validates and draws the panels and returns the time it took (ms); the figure is drawn
 * again at the new width when the container is resized.
 */
export class Figure {
  constructor(container) {
    this.container = container;
    this.panels = null;
    this.width = 0;
    this.frame = 0;
    injectStyle(container.ownerDocument);
    container.classList.add("ufm-plot");
    if (container.tagName !== "FIGURE") container.setAttribute("role", "group");
    if (typeof ResizeObserver !== "undefined") {
      this.observer = new ResizeObserver(() => {
        const width = this.measure();
        if (this.panels && width > 0 && Math.abs(width - this.width) >= 1 && !this.frame) {
          this.frame = requestAnimationFrame(() => {
            this.frame = 0;
            if (Math.abs(this.measure() - this.width) >= 1) this.render();
          });
        }
      });
      this.observer.observe(container);
    }
  }

  measure() {
    return Math.floor(this.container.clientWidth || this.container.getBoundingClientRect().width || 0);
  }

  draw(panels, { alt } = {}) {
    validatePanels(panels);
    this.panels = panels;
    if (alt !== undefined) this.container.setAttribute("aria-label", String(alt));
    return this.render();
  }

  render() {
    const start = performance.now();
    const panels = this.panels || [];
    let width = this.measure();
    if (!(width > 0)) width = 640; // not laid out yet: drawn again once it is (ResizeObserver)
    this.width = width;
    const style = getComputedStyle(this.container);
    const options = { fontFamily: style.fontFamily || "sans-serif" };
    const sizes = layoutPanels(panels, width);
    let html = "";
    panels.forEach((panel, i) => {
      const { width: w, height: h } = sizes[i];
      const { body, height } = renderPanel(panel, w, h, options);
      html +=
        `<svg class="ufm-panel" xmlns="http://www.w3.org/2000/svg" role="img" ` +
        `aria-label="${escapeXml(panelName(panel, i))}" width="${w}" height="${height}" ` +
        `viewBox="0 0 ${w} ${height}" data-panel="${i}">${body}</svg>`;
    });
    this.container.innerHTML = html;
    return performance.now() - start;
  }

  destroy() {
    if (this.observer) this.observer.disconnect();
    if (this.frame) cancelAnimationFrame(this.frame);
  }
}
