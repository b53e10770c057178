/*
 * The explorer of the appendix on other papers' results (ufm/widgets/literature.py), live
 * on the static page:
 *
 *   literature.decay   values {setting, lam, ratio}; data {}
 *
 * It recomputes what decay_explorer's draw computes: the closed-form minimiser of the
 * regularised model (ufm.experiments.literature: decay_prediction, margin_closed_form) and
 * a run of gradient descent beside it (decay_check: extensions.js's extendedDescent from
 * extendedInit, recorded at snapshotSchedule(1500, 60), measured by the score margin
 * (C tr M - 1ᵀM1)/(C(C - 1)) of M = W H̄ and the mean squared norms of the classifier rows
 * and of the class means), and returns {message, alt, panels}. The message equals the
 * Python explorer's .message as text; each series with a `key` mirrors the matplotlib line
 * with that label. The closed-form values drawn dashed on the right are `hlines` (Python's
 * axhline, unlabelled), the line τ = 1 on the left a `vline`. decayCheck and
 * marginClosedForm below are ports of decay_check (with its defaults) and
 * margin_closed_form.
 */

import { register } from "../runtime.js";
import { bounded, pyFormat, pyInt } from "../format.js";
import { snapshotSchedule } from "../experiments.js";
import { extendedDescent, extendedInit } from "../extensions.js";
import { _classSummary } from "../collapse.js";
import { linspace } from "../linalg.js";

// ufm.experiments.literature
const SETTING_NAMES = {
  squared: "squared loss with bias",
  squared_no_bias: "squared loss without bias",
  cross_entropy: "cross-entropy",
};
const LIT_C = 4;
const LIT_N = 4;
const LIT_P = 8;
const LIT_EPS = 0.1;
const LIT_SEED = 0;
const LIT_LR = { squared: 1.5, squared_no_bias: 1.5, cross_entropy: 4.0 };
const LIT_STEPS = 1500;

// ufm.widgets.literature
const ROUNDING = 1e-12;
const CURVE_C = linspace(0.02, 1.2, 119);
const LABELS = {
  curve: "closed form",
  end: "descent, end point",
  margin: "margin $q$",
  row: "$\\|w_k\\|^2$",
  mean: "$\\|\\bar h_k\\|^2$",
};
const TEXT = { margin: "margin q", row: "‖w_k‖²", mean: "‖h̄_k‖²" };

const f = pyFormat;

/** margin_closed_form for an array of c > 0: max(1 - c, 0), or log((C - (C-1)c)/c) (CE). */
function marginClosedForm(setting, C, c) {
  return Float64Array.from(c, (v) =>
    setting === "cross_entropy" ? Math.log(Math.max(C - (C - 1) * v, v) / v) : Math.max(1.0 - v, 0.0),
  );
}

/** decay_prediction(setting, C, N, lambdaW, lambdaH). */
function decayPrediction(setting, C, N, lambdaW, lambdaH) {
  const c = C * Math.sqrt(N * lambdaW * lambdaH);
  const margin = marginClosedForm(setting, C, [c])[0];
  const frame = setting === "squared_no_bias" ? "orthogonal" : "simplex";
  const share = frame === "orthogonal" ? 1.0 : (C - 1) / C;
  return {
    c,
    margin,
    rowNormSq: Math.sqrt((N * lambdaH) / lambdaW) * margin * share,
    meanNormSq: Math.sqrt(lambdaW / (N * lambdaH)) * margin * share,
    frame,
  };
}

/** decay_check(setting, lambdaW, lambdaH) at its defaults (C = N = 4, p = 8, 1500 steps). */
function decayCheck(setting, lambdaW, lambdaH) {
  const [C, N, p] = [LIT_C, LIT_N, LIT_P];
  const prediction = decayPrediction(setting, C, N, lambdaW, lambdaH);
  const sizes = new Array(C).fill(N);
  const run = extendedDescent(...extendedInit(sizes, p, LIT_EPS, LIT_SEED), LIT_LR[setting], LIT_STEPS, {
    loss: setting === "cross_entropy" ? "cross_entropy" : "squared",
    lambdaW,
    lambdaH,
    bias: setting !== "squared_no_bias",
    recordSteps: snapshotSchedule(LIT_STEPS, 60),
    recordStates: true,
  });
  if (run.divergedAt !== null) {
    throw new Error(`descent diverged at step ${pyInt(run.divergedAt)}; take a smaller lr`);
  }
  const n = C * N;
  const T = run.steps.data.length;
  const [Hs, Ws] = run.states;
  const margin = new Float64Array(T);
  const rowNormSq = new Float64Array(T);
  const meanNormSq = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const H = Hs.data.subarray(t * p * n, (t + 1) * p * n);
    const W = Ws.data.subarray(t * C * p, (t + 1) * C * p);
    const [means] = _classSummary(H, p, C, N); // p x C, as collapse.class_summary
    let meanSq = 0.0;
    for (const value of means) meanSq += value * value;
    let rowSq = 0.0;
    let trace = 0.0;
    let total = 0.0;
    for (let i = 0; i < C; i++) {
      for (let k = 0; k < p; k++) rowSq += W[i * p + k] * W[i * p + k];
      for (let j = 0; j < C; j++) {
        let m = 0.0;
        for (let k = 0; k < p; k++) m += W[i * p + k] * means[k * C + j];
        total += m;
        if (i === j) trace += m;
      }
    }
    margin[t] = (C * trace - total) / (C * (C - 1));
    rowNormSq[t] = rowSq / C;
    meanNormSq[t] = meanSq / C;
  }
  return { prediction, steps: run.steps.data, margin, rowNormSq, meanNormSq };
}

function extent(lists) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const list of lists) {
    for (const v of list) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

// ---------------------------------------------------------------------------------------
// literature.decay

function decay(values) {
  const { setting, lam, ratio } = values;
  if (!(setting in SETTING_NAMES)) {
    throw new Error(`setting must be one of ('squared', 'squared_no_bias', 'cross_entropy'); got '${setting}'`);
  }
  const lambdaW = lam / Math.sqrt(ratio);
  const lambdaH = lam * Math.sqrt(ratio);
  const run = decayCheck(setting, lambdaW, lambdaH);
  const want = run.prediction;
  const curve = marginClosedForm(setting, LIT_C, CURVE_C);
  const top = Math.max(...curve);
  const end = run.margin[run.margin.length - 1];
  const k = Float64Array.from(run.steps, (s) => Math.max(s, 1));
  const series = { margin: run.margin, row: run.rowNormSq, mean: run.meanNormSq };
  const closed = { margin: want.margin, row: want.rowNormSq, mean: want.meanNormSq };
  const [low0, high] = extent([...Object.values(series), Object.values(closed)]);
  const low = Math.min(0.0, low0);
  const colors = { margin: "C0", row: "C1", mean: "C2" };
  const panels = [
    {
      title: "the minimiser: closed form and descent",
      x: { label: "τ = C√(N λ_W λ_H)", min: 0, max: CURVE_C[CURVE_C.length - 1] },
      y: { label: "score margin q", min: -0.05 * top, max: 1.1 * top },
      series: [
        { key: LABELS.curve, label: LABELS.curve, x: CURVE_C, y: curve, color: "k", width: 1.5 },
        { key: LABELS.end, label: LABELS.end, x: [want.c], y: [end], color: "C3", marker: "o", size: 7 },
      ],
      vlines: [{ x: 1.0, color: "0.5", line: ":", width: 1 }],
      legend: "outside",
    },
    {
      title: "descent; dashed: closed form",
      x: { label: "iteration k", scale: "log", min: 1, max: LIT_STEPS },
      y: { min: low - 0.05 * (high - low), max: high + 0.1 * (high - low) },
      series: Object.keys(series).map((key) => ({
        key: LABELS[key],
        label: TEXT[key],
        x: k,
        y: series[key],
        color: colors[key],
      })),
      hlines: Object.keys(closed).map((key) => ({ y: closed[key], color: colors[key], line: "--", width: 1 })),
      legend: "outside",
    },
  ];
  const name = SETTING_NAMES[setting];
  const decays = `${name}, λ_W = ${f(lambdaW, ".3g")}, λ_H = ${f(lambdaH, ".3g")}`;
  const rowEnd = run.rowNormSq[run.rowNormSq.length - 1];
  const meanEnd = run.meanNormSq[run.meanNormSq.length - 1];
  const ended =
    `descent ends with margin ${bounded(end, ".4f", ROUNDING)}, ` +
    `‖w_k‖² ${bounded(rowEnd, ".4f", ROUNDING)}, ` +
    `‖h̄_k‖² ${bounded(meanEnd, ".4f", ROUNDING)}`;
  const alt =
    `Left: the closed-form score margin of the ${name} against τ = C√(N λ_W λ_H), ` +
    `with the end point of gradient descent at τ = ${f(want.c, ".3f")}, margin ${f(end, ".3g")}. ` +
    `Right: the margin, the mean squared norm of a classifier row and of a class mean per ` +
    `iteration (${pyInt(LIT_STEPS)} steps), against their closed-form values ` +
    `${f(want.margin, ".3g")}, ${f(want.rowNormSq, ".3g")} and ${f(want.meanNormSq, ".3g")} (dashed).`;
  const message =
    want.c >= 1
      ? `${decays} (τ = ${f(want.c, ".3f")} ≥ 1): the minimiser is zero; ${ended}.`
      : `${decays} (τ = ${f(want.c, ".3f")}): the closed form gives margin ${f(want.margin, ".4f")}, ` +
        `‖w_k‖² ${f(want.rowNormSq, ".4f")}, ‖h̄_k‖² ${f(want.meanNormSq, ".4f")} ` +
        `(${want.frame} frame); ${ended}.`;
  return { message, alt, panels };
}

/** The explorers by name (also registered with runtime.js). */
export const explorers = { "literature.decay": decay };

for (const [name, run] of Object.entries(explorers)) register(name, { run });
