/*
 * The explorer of the chapter on the model (ufm/widgets/model.py), in the browser.
 *
 *   model.descent   gradient descent from a random start of size ε: the three
 *                   strong-collapse errors, the risk and the distance from S per iteration,
 *                   and (C = 3) the classifier rows and class means in the plane of the
 *                   simplex. Computes what descent_explorer's draw computes (the reduced
 *                   descent of ufm/js/dynamics.js from ReducedState.random), and writes the
 *                   same summary line.
 *
 * Also exported, for ufm/js/explorers/results.js: the helpers the explorers of both chapters
 * share (FLOOR and floored, linspace as numpy's, logLimits as ufm.plots.rescale's
 * autoscaling, the plain-text forms of ufm.plots' labels next to their TeX keys).
 *
 * Each series that stands for a labelled matplotlib line carries `key`: that line's label in
 * Python (TeX included), so that the tests can pair the two.
 */

import { register } from "../runtime.js";
import { ReducedState, settle } from "../dynamics.js";
import { simplexPlane, snapshotSchedule, snapshotting } from "../experiments.js";
import { largestStableStep } from "../spectrum.js";
import { pyFormat, pyInt } from "../format.js";

// ---------------------------------------------------------------------------------------
// Shared with the results chapter.

/** Values below this are drawn at this level on logarithmic axes (ufm.widgets.results). */
export const FLOOR = 1e-20;

/** The labels of ufm.plots: `key` is Python's (mathtext), `text` the page's. */
export const LABELS = {
  errors: [
    { key: String.raw`$\|WW^\top - \sqrt{N}P\|_F$`, text: "‖WWᵀ − √N P‖_F" },
    {
      key: String.raw`$\|H - \frac{1}{\sqrt{N}}(W \otimes 1_N)^\top\|_F \,/\, \|H\|_F$`,
      text: "‖H − (W ⊗ 1_N)ᵀ/√N‖_F / ‖H‖_F",
    },
    { key: String.raw`$\|b - \frac{1}{C}1_C\|_2$`, text: "‖b − 1_C/C‖₂" },
  ],
  distance: { key: String.raw`$\|Z - \mathrm{proj}_S Z\|_E \,/\, \|Z\|_E$`, text: "‖Z − proj_S Z‖_E / ‖Z‖_E" },
  risk: { key: "risk $R_e$", text: "risk R_e" },
};

/** np.maximum(values, FLOOR) as a Float64Array (NaN stays NaN, as in numpy). */
export function floored(values, floor = FLOOR) {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v >= floor || v !== v ? v : floor;
  }
  return out;
}

/** np.linspace(start, stop, num): i * step + start, the last set to stop. */
export function linspace(start, stop, num) {
  const out = new Float64Array(num);
  const div = num - 1;
  const step = div > 0 ? (stop - start) / div : 0.0;
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** Column j of a row-major [T, width] array. */
export function column(data, width, j) {
  const T = data.length / width;
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) out[t] = data[t * width + j];
  return out;
}

/**
 * The y-limits that ufm.plots.rescale gives a logarithmic axis holding `arrays`:
 * matplotlib's autoscaling (the finite positive data, 5 % margins in log10), then at least
 * `minDecades` decades around the geometric middle. Returns [low, high], or null when
 * there is nothing to fit (the page then fits on its own).
 */
export function logLimits(arrays, minDecades = 2) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v > 0 && v < Infinity) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!(lo <= hi)) return null;
  let a = Math.log10(lo);
  let b = Math.log10(hi);
  if (a === b) {
    a -= 1;
    b += 1;
  } else {
    const margin = (b - a) * 0.05;
    a -= margin;
    b += margin;
  }
  let low = 10 ** a;
  let high = 10 ** b;
  if (high < 10 ** minDecades * low) {
    const middle = Math.sqrt(low * high);
    low = middle / 10 ** (minDecades / 2);
    high = middle * 10 ** (minDecades / 2);
  }
  return [low, high];
}

// ---------------------------------------------------------------------------------------
// model.descent (ufm/widgets/model.py, ufm/plots.py: descent_panels)

/** Recorded points per run, whatever the number of steps (RECORDED_POINTS). */
const RECORDED_POINTS = 500;
/** States kept along a run for the plane view (SNAPSHOTS). */
const SNAPSHOTS = 30;
/** Highest value shown on the logarithmic axes of the curve panels (plots.LOG_CEILING). */
const LOG_CEILING = 1e16;
const PLANE_TITLE = "the plane of the simplex";

/** DescentPanels.fit: the y-limits of one curve panel, capped at LOG_CEILING. */
function descentLimits(curves) {
  const limits = logLimits(curves);
  if (limits === null || limits[1] <= LOG_CEILING) return limits;
  let low = Infinity;
  for (const values of curves) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v > 0 && v <= LOG_CEILING && v < low) low = v;
    }
  }
  low = low < Infinity ? Math.min(low, LOG_CEILING / 100) : 1.0;
  return [low / (LOG_CEILING / low) ** 0.05, LOG_CEILING];
}

function curvePanel(title, curves, steps) {
  const limits = descentLimits(curves.map((c) => c.y));
  return {
    title,
    x: {
      label: "iteration k (logarithmic beyond 10)",
      scale: "symlog",
      linthresh: 10,
      linscale: 0.5,
      min: 0,
      max: steps,
    },
    y: limits === null
      ? { scale: "log", minDecades: 2 }
      : { scale: "log", min: limits[0], max: limits[1] },
    series: curves,
    legend: "upper right",
  };
}

/** update_plane: the paths of W_c and √N μ_c in the plane of the final classifier. */
function planePanel(view, snapshotSteps) {
  const C = view.W.shape[1];
  const K = view.W.shape[0];
  const W = view.W.data;
  const means = view.means.data;
  const radius = view.radius;
  const series = [];
  const circle = { x: new Float64Array(200), y: new Float64Array(200) };
  const theta = linspace(0, 2 * Math.PI, 200);
  for (let i = 0; i < 200; i++) {
    circle.x[i] = radius * Math.cos(theta[i]);
    circle.y[i] = radius * Math.sin(theta[i]);
  }
  series.push({
    ...circle,
    key: "radius at collapse",
    label: "radius at collapse",
    color: "0.6",
    line: ":",
    width: 0.8,
  });
  const last = (K - 1) * C * 2;
  const triangle = { x: new Float64Array(C + 1), y: new Float64Array(C + 1) };
  for (let c = 0; c <= C; c++) {
    triangle.x[c] = W[last + (c % C) * 2];
    triangle.y[c] = W[last + (c % C) * 2 + 1];
  }
  series.push({ ...triangle, color: "0.3", width: 1.0 });
  const path = (data, c) => {
    const x = new Float64Array(K);
    const y = new Float64Array(K);
    for (let t = 0; t < K; t++) {
      x[t] = data[(t * C + c) * 2];
      y[t] = data[(t * C + c) * 2 + 1];
    }
    return { x, y };
  };
  for (let c = 0; c < C; c++) series.push({ ...path(W, c), color: `C${c}`, width: 1.2 });
  for (let c = 0; c < C; c++) {
    series.push({ ...path(means, c), color: `C${c}`, width: 0.8, line: "--" });
  }
  const colors = Array.from({ length: C }, (_, c) => `C${c}`);
  const rows = { x: new Float64Array(C), y: new Float64Array(C) };
  const centres = { x: new Float64Array(C), y: new Float64Array(C) };
  for (let c = 0; c < C; c++) {
    rows.x[c] = W[last + c * 2];
    rows.y[c] = W[last + c * 2 + 1];
    centres.x[c] = means[last + c * 2];
    centres.y[c] = means[last + c * 2 + 1];
  }
  series.push({ ...rows, marker: "o", size: 9, colors, color: "C0", label: "rows W_c" });
  series.push({ ...centres, marker: "s", size: 11, fill: false, color: "k", label: "√N μ_c" });
  let reach = 0.0;
  for (const data of [W, means]) {
    for (let i = 0; i < data.length; i += 2) {
      if (Number.isFinite(data[i]) && Number.isFinite(data[i + 1])) {
        reach = Math.max(reach, Math.abs(data[i]), Math.abs(data[i + 1]));
      }
    }
  }
  reach = Math.max(radius, reach) * 1.15;
  const first = snapshotSteps[0];
  const final = snapshotSteps[snapshotSteps.length - 1];
  return {
    title: `${PLANE_TITLE}, steps ${pyInt(first)}–${pyInt(final)}`,
    x: { min: -reach, max: reach },
    y: { min: -reach, max: reach },
    aspect: "equal",
    series,
    legend: "outside",
  };
}

/** STEERED of ufm/widgets/model.py: said of a run that diverges. */
export const STEERED =
  "(Rounding errors steer such a run: the step can differ from machine to machine.)";

/** _message of ufm/widgets/model.py. */
function descentMessage(C, N, p, lr, steps, trajectory) {
  const limit = largestStableStep(C, N);
  const notes = [];
  const divergedAt = trajectory.divergedAt;
  if (divergedAt !== null) {
    notes.push(
      `Diverged at step ${pyInt(divergedAt)}: the step size η = ${pyFormat(lr, "g")} is far ` +
        `above the largest stable step 2/λ_max ≈ ${pyFormat(limit, ".3f")}. ${STEERED}`,
    );
  } else if (lr > limit) {
    notes.push(
      `The step size η = ${pyFormat(lr, "g")} is above the largest stable step 2/λ_max ≈ ` +
        `${pyFormat(limit, ".3f")}: descent cannot settle at strong collapse.`,
    );
  }
  if (p < C - 1) {
    notes.push(
      `p = ${pyInt(p)} < C − 1 = ${pyInt(C - 1)}: no point of strong collapse exists, so ` +
        "‖WWᵀ − √N P‖ cannot reach 0.",
    );
  }
  const risks = trajectory.risk.data;
  const finalRisk = risks[risks.length - 1];
  const converging = divergedAt === null && p >= C - 1;
  if (converging && Number.isFinite(finalRisk) && finalRisk > 1e-3) {
    notes.push(
      `After ${pyInt(steps)} steps the risk is still ${pyFormat(finalRisk, ".2g")}: add steps.`,
    );
  }
  return notes.join(" ");
}

function descentAlt(values, trajectory, plane) {
  const { C, N, p, eps, lr, steps, seed } = values;
  const risks = trajectory.risk.data;
  const errors = trajectory.errors.data;
  const T = risks.length;
  const e1 = (x) => pyFormat(x, ".1e");
  const last = 3 * (T - 1);
  let outcome;
  if (trajectory.divergedAt !== null) {
    outcome = `The run diverges at step ${pyInt(trajectory.divergedAt)}: the curves stop there.`;
  } else {
    outcome =
      `After ${pyInt(steps)} steps the errors are ${e1(errors[last])}, ` +
      `${e1(errors[last + 1])} and ${e1(errors[last + 2])}, the risk ${e1(risks[T - 1])} and ` +
      `the distance from S ${e1(trajectory.distanceToS.data[T - 1])}.`;
  }
  const right = plane
    ? "Right: the paths of the classifier rows and of the scaled class means in the plane of " +
      "the final classifier, with the circle of the radius at strong collapse" +
      (trajectory.divergedAt === null ? "." : ", up to the last snapshot before the divergence.")
    : `Right: the plane view is drawn for three classes only; here C = ${pyInt(C)}.`;
  return (
    `Gradient descent with C = ${pyInt(C)} classes, N = ${pyInt(N)} per class, feature ` +
    `dimension p = ${pyInt(p)}, a random start of size ε = ${pyFormat(eps, ".3g")} (seed ` +
    `${pyInt(seed)}) and step size η = ${pyFormat(lr, "g")}, over ${pyInt(steps)} steps. ` +
    "Left: the three strong-collapse errors per iteration on a log scale. Middle: the risk " +
    `and the relative distance from S per iteration. ${right} ${outcome}`
  );
}

/**
 * Above the stability limit, descent near strong collapse amplifies every deviation along
 * the top eigenvector of the Hessian by g = 2η/limit − 1 > 1 per step, rounding errors
 * included, and a run that blows up amplifies them faster still: rounding steers such a run
 * (when and how it diverges or oscillates), in numpy as here. When η > limit, returns
 * {exactUntil: n}, n the number of leading recorded steps k with (g^k − 1)/(g − 1) <= 1e6
 * (rounding errors of 1e-16 per step, amplified, stay below 1e-10) and a risk at most 100
 * times max(1, its start); else {}.
 */
function exactPart(lr, limit, steps, risk) {
  if (!(lr > limit)) return {};
  const g = (2 * lr) / limit - 1;
  const last = Math.log1p(1e6 * (g - 1)) / Math.log(g);
  const ceiling = 100 * Math.max(1, risk[0]);
  let count = 0;
  while (count < steps.length && steps[count] <= last && risk[count] <= ceiling) count++;
  return { exactUntil: count };
}

async function descent(values, data, page = null) {
  const { C, N, p, eps, lr, steps, seed } = values;
  // The reduced state of ufm.random_init(C, N, p, eps, seed), sampled without forming H.
  const start = ReducedState.random(C, N, p, eps, seed);
  const every = Math.max(1, Math.floor(steps / RECORDED_POINTS));
  const marks = snapshotSchedule(steps, C === 3 ? SNAPSHOTS : 12);
  // Up to 20,000 steps: run in slices that leave the page responsive (settle).
  const run = await settle(snapshotting(start, lr, steps, marks, every), page);
  const trajectory = run.trajectory;
  const k = Float64Array.from(trajectory.steps.data);
  const errors = trajectory.errors.data;
  const exact = exactPart(lr, largestStableStep(C, N), k, trajectory.risk.data);
  const errorCurves = LABELS.errors.map((label, j) => ({
    x: k,
    y: column(errors, 3, j),
    key: label.key,
    label: label.text,
    color: `C${j}`,
    ...exact,
  }));
  const riskCurves = [
    {
      x: k,
      y: trajectory.risk.data,
      key: LABELS.risk.key,
      label: LABELS.risk.text,
      color: "k",
      ...exact,
    },
    {
      x: k,
      y: trajectory.distanceToS.data,
      key: LABELS.distance.key,
      label: LABELS.distance.text,
      color: "C3",
      ...exact,
    },
  ];
  const panels = [
    { ...curvePanel("distance from strong collapse", errorCurves, steps), weight: 1.15 },
    { ...curvePanel("risk and distance from S", riskCurves, steps), weight: 1.15 },
  ];
  if (C === 3) {
    const view = simplexPlane(run.W, run.classMeans, N);
    panels.push({ ...planePanel(view, run.snapshotSteps.data), weight: 1.0 });
  } else {
    panels.push({ title: PLANE_TITLE, note: "The plane view is drawn for C = 3.", weight: 1.0 });
  }
  return {
    message: descentMessage(C, N, p, lr, steps, trajectory),
    alt: descentAlt(values, trajectory, C === 3),
    panels,
  };
}

/** The run function of each explorer of this chapter, by name. */
export const explorers = { "model.descent": descent };

for (const [name, run] of Object.entries(explorers)) register(name, { run });
