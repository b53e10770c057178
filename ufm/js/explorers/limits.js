/*
 * The explorers of the discussion chapter (ufm/widgets/limits.py), live on the static page:
 *
 *   limits.initialisation   values {eps, seed};        data {sweep: InitSweep medians}
 *   limits.narrow           values {C, p, seed};       data {}
 *   limits.step_size        values {lr};               data {sweep: StepSweep}
 *   limits.decay            values {loss, lam};        data {}
 *   limits.imbalance        values {ratio, loss, lam}; data {}
 *
 * Each run(values, data) recomputes what the Python explorer's draw computes (with
 * ufm/js/discussion.js) and returns {message, alt, panels}: the message is the Python
 * explorer's .message as text (Python's format specifications through format.js), the
 * panels mirror the Python figure's axes (titles, scales, explicit limits, series), with
 * plain Unicode for its TeX. The sweeps drawn behind the live runs are computed once in
 * Python and come in the spec's data:
 *
 *   limits.initialisation: data.sweep = {
 *       eps: [E],                      InitSweep.eps
 *       seeds: S,                      InitSweep.errors.shape[1]
 *       median: {gram: [E], features: [E], bias: [E], distance: [E]}
 *                                      np.median(…, axis=1) of errors[..., 0], errors[..., 1],
 *                                      errors[..., 2] and distance
 *   }
 *   limits.step_size: data.sweep = {
 *       lr: [L], diverged_at: [L] (-1: none),
 *       gram_error: [L], sharpness: [L] (null where the run diverged),
 *       lambda_max, limit              StepSweep.lambda_max, StepSweep.limit
 *   }
 *
 * Series keys. A series drawn from a labelled matplotlib line has `key` equal to that
 * line's get_label() (its TeX), so that a test can find the line. Lines created without a
 * label (matplotlib names them "_childN") get no `key` (tests/test_explorers_static.py looks
 * up every key among the labelled lines) but a `ref` naming what they show:
 *
 *   limits.narrow, panel 1:    ref "spoke c" (c = 0 … C-1)  ↔ ax_plane.lines[c]
 *                                (the scatter of the class means is a collection, not a line)
 *   limits.step_size, panel 1: ref "sweep"                   ↔ ax_gram.lines[0]
 *
 * The vertical and horizontal reference lines (axvline, axhline) are `vlines`/`hlines`.
 *
 * exactUntil. Where rounding steers a run, a series can agree with Python only up to a
 * point, and carries `exactUntil` (the number of leading points that do):
 *   - limits.step_size, above 2/λ_max: the run is repeated in all p coordinates (the same
 *     iteration, rounded differently, as Python's other engine would); exactUntil is the
 *     longest prefix on which the two agree to TWIN_TOL = 1e-10 of the prefix's largest
 *     magnitude; on that prefix Python agrees to 1e-9 (measured over the slider's 171
 *     values of η: at most 2.2e-10; tests/test_js_parity_discussion.py checks every 0.05
 *     and the worst settings);
 *   - limits.imbalance: the cosine between two rows is steered by rounding once one of them
 *     is shorter than STEERED_ROW times the longest row (its direction is then set by
 *     rounding errors of the others' size).
 */

import { register } from "../runtime.js";
import { bounded, numpyStr, pyFormat, pyInt, pyRepr } from "../format.js";
import { C0, INIT_LR, INIT_STEPS, LOSS_NAMES, N0, P0, STEP_STEPS, VANISHED_ROW, decayRun, imbalanceRun, initRun, narrowing, stepRun } from "../discussion.js";
import { settle } from "../dynamics.js";
import { sharpness } from "../spectrum.js";

/** A row shorter than this fraction of the longest has a direction set by rounding. */
export const STEERED_ROW = 1e-8;

/** Twin runs that agree to this fraction of their largest magnitude are exact (exactUntil). */
const TWIN_TOL = 1e-10;

// The TeX labels of the Python figure (the series keys) and their plain-text forms.
const TEX = {
  gram: "$\\|WW^\\top-\\sqrt{N}P\\|_F$",
  features: "$\\|H-(W\\otimes 1_N)^\\top/\\sqrt{N}\\|_F/\\|H\\|_F$",
  bias: "$\\|b-1_C/C\\|_2$",
  distance: "distance from $S$",
  risk: "risk $R_e$",
  floor: "floor $(C-1-p)/(2C)$",
  twoOverEta: "$2/\\eta$",
  lambdaMax: "$\\lambda_{\\max}$ at collapse",
  normW: "$\\|W\\|_F$",
  normH: "$\\|H\\|_F/\\sqrt{n}$",
  simplex: "simplex: $-1/(C-1)$",
};
const TEXT = {
  gram: "‖WWᵀ − √N P‖_F",
  features: "‖H − (W ⊗ 1_N)ᵀ/√N‖_F / ‖H‖_F",
  bias: "‖b − 1_C/C‖₂",
  distance: "distance from S",
  risk: "risk Rₑ",
  floor: "floor (C − 1 − p)/(2C)",
  twoOverEta: "2/η",
  lambdaMax: "λ_max at collapse",
  normW: "‖W‖_F",
  normH: "‖H‖_F/√n",
  simplex: "simplex: −1/(C − 1)",
};
const ITERATION = "iteration k";

// ---------------------------------------------------------------------------------------
// Helpers.

const f = pyFormat;
/** The bounds below which a summary line quotes a risk or NC1 (squares of errors), and any
 * other measure, as "below <bound>" (ufm.widgets.limits: RISK_ROUNDING, ROUNDING). */
const RISK_ROUNDING = 1e-20;
const ROUNDING = 1e-12;

function column(matrix, j) {
  const [T, n] = matrix.shape;
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) out[t] = matrix.data[t * n + j];
  return out;
}

function last(x) {
  const d = x.data ?? x;
  return d[d.length - 1];
}

/** Steps with 0 drawn at 1 on a log axis: np.maximum(steps, 1). */
function atLeastOne(steps) {
  return Float64Array.from(steps.data, (k) => Math.max(k, 1));
}

function numbers(list) {
  return Float64Array.from(list, (v) => (v === null || v === undefined ? NaN : v));
}

/** matplotlib's autoscaled limits of data on an axis: a 5% margin in the axis' coordinate. */
function autoscale(lists, scale = "linear") {
  const forward = scale === "log" ? Math.log10 : (v) => v;
  let lo = Infinity;
  let hi = -Infinity;
  for (const list of lists) {
    for (const v of list) {
      if (!Number.isFinite(v) || (scale === "log" && !(v > 0))) continue;
      const t = forward(v);
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
  }
  const margin = (hi - lo) * 0.05;
  const inverse = scale === "log" ? (t) => 10 ** t : (t) => t;
  return [inverse(lo - margin), inverse(hi + margin)];
}

/** np.round(x, decimals) of each entry: x·10^d rounded half to even, then / 10^d. */
function npRound(values, decimals) {
  const scale = 10 ** decimals;
  return Array.from(values, (v) => {
    const y = v * scale;
    let r = Math.round(y);
    if (r - y === 0.5 && r % 2 !== 0) r -= 1;
    return r / scale;
  });
}

function extent(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * The longest prefix (a number of leading points) on which a and b are finite at the same
 * places and agree to tol of the prefix's largest magnitude of a: the measure the parity
 * tests apply to a series and its Python twin.
 */
function agreeUntil(a, b, tol = TWIN_TOL) {
  let best = 0;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const fa = Number.isFinite(a[i]);
    if (fa !== Number.isFinite(b[i])) break;
    if (fa) {
      scale = Math.max(scale, Math.abs(a[i]));
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    if (worst <= tol * scale) best = i + 1;
  }
  return best;
}

// ---------------------------------------------------------------------------------------
// limits.initialisation

function initialisation(values, data) {
  const { eps, seed } = values;
  const sweep = data.sweep;
  const sweepEps = numbers(sweep.eps);
  const medians = ["gram", "features", "bias", "distance"].map((key) => numbers(sweep.median[key]));
  const run = initRun(eps, { seed });
  const k = atLeastOne(run.steps);
  const curves = [column(run.errors, 0), column(run.errors, 1), column(run.errors, 2), run.distanceToS.data];
  const keys = ["gram", "features", "bias", "distance"];
  const colors = ["C0", "C1", "C2", "C3"];
  const [eps0, eps1] = extent(sweepEps);
  const [ylo, yhi] = autoscale(medians, "log");
  const panels = [
    {
      title: `one run (η = ${pyRepr(INIT_LR)}, ${pyInt(INIT_STEPS)} steps)`,
      x: { label: ITERATION, scale: "log", min: 1, max: INIT_STEPS },
      y: { scale: "log", min: Math.min(1e-9, 1e-6 * eps), max: 1e3 },
      series: keys.map((key, i) => ({
        key: TEX[key],
        label: TEXT[key],
        x: k,
        y: curves[i],
        color: colors[i],
      })),
      legend: "lower left",
    },
    {
      title: `final values, median of ${pyInt(sweep.seeds)} seeds`,
      x: { label: "start size ε", scale: "log", min: Math.min(eps0, eps) / 1.5, max: Math.max(eps1, eps) * 1.5 },
      y: { scale: "log", min: ylo, max: yhi },
      series: keys.map((key, i) => ({
        key: TEX[key],
        label: TEXT[key],
        x: sweepEps,
        y: medians[i],
        color: colors[i],
        line: "-",
        marker: "o",
        size: 4,
      })),
      vlines: [{ x: eps, color: "0.3", line: "--", width: 1 }],
      legend: false,
    },
  ];
  const where = `ε = ${f(eps, ".2g")} (seed ${pyInt(seed)})`;
  const right =
    `Right: the final values, median of ${pyInt(sweep.seeds)} seeds, against ε from ` +
    `${f(eps0, "g")} to ${f(eps1, "g")}, with ε = ${f(eps, ".2g")} marked.`;
  if (run.divergedAt !== null) {
    return {
      message: `Diverged at step ${pyInt(run.divergedAt)}: the step η = ${pyRepr(INIT_LR)} is too large here.`,
      alt:
        `Two log-log panels. Left: the three strong-collapse errors and the distance from S along ` +
        `one run from a start of size ${where}, which diverges at step ${pyInt(run.divergedAt)}. ${right}`,
      panels,
    };
  }
  const errors = [last(curves[0]), last(curves[1]), last(curves[2])];
  const distance = last(curves[3]);
  return {
    message:
      `ε = ${f(eps, ".2g")}: final risk ${bounded(last(run.risk), ".1e", RISK_ROUNDING)}; relative error of the features ` +
      `${f(errors[1], ".2g")}; ‖WWᵀ − √N P‖ = ${f(errors[0], ".2g")}; distance from S ` +
      `${f(distance, ".2g")}.`,
    alt:
      `Two log-log panels. Left: the three strong-collapse errors and the distance from S along ` +
      `one run of ${pyInt(INIT_STEPS)} steps (η = ${pyRepr(INIT_LR)}) from a start of size ${where}; ` +
      `they end at ‖WWᵀ − √N P‖ = ${f(errors[0], ".2g")}, relative feature error ` +
      `${f(errors[1], ".2g")}, ‖b − 1/C‖ = ${f(errors[2], ".2g")} and distance from S ` +
      `${f(distance, ".2g")}. ${right}`,
    panels,
  };
}

// ---------------------------------------------------------------------------------------
// limits.narrow

async function narrow(values, data, page = null) {
  const { C, p, seed } = values;
  const run = await settle(narrowing(C, p, { seed }), page); // 6,000 steps, in slices
  const k = atLeastOne(run.steps);
  const kEnd = last(k);
  const risk = Float64Array.from(run.risk.data, (r) => Math.max(r, 1e-30));
  const plane = run.plane.data;
  let reach = 0;
  for (const v of plane) reach = Math.max(reach, Math.abs(v));
  reach = 1.15 * Math.max(reach, 1e-12);
  const colors = Array.from({ length: C }, (_, i) => `C${i}`);
  const series = [{ key: TEX.risk, label: TEXT.risk, x: k, y: risk, color: "k" }];
  if (run.floor > 0) {
    series.push({
      key: TEX.floor,
      label: TEXT.floor,
      x: [1, kEnd],
      y: [run.floor, run.floor],
      color: "C3",
      line: "--",
    });
  }
  const spokes = colors.map((color, c) => ({
    ref: `spoke ${c}`,
    x: [0, plane[2 * c]],
    y: [0, plane[2 * c + 1]],
    color,
    width: 1,
  }));
  const points = {
    x: Array.from({ length: C }, (_, c) => plane[2 * c]),
    y: Array.from({ length: C }, (_, c) => plane[2 * c + 1]),
    marker: "o",
    size: 8,
    colors,
  };
  const panels = [
    {
      title: "risk",
      weight: 1.3,
      x: { label: ITERATION, scale: "log", min: 1, max: kEnd },
      y: { scale: "log", min: run.floor > 0 ? 1e-3 : 1e-16, max: 2 },
      series,
      legend: "lower left",
    },
    {
      title: "final class means (2 principal directions)",
      weight: 1.0,
      x: { min: -reach, max: reach },
      y: { min: -reach, max: reach },
      aspect: "equal",
      series: [...spokes, points],
      hlines: [{ y: 0, color: "0.85", width: 0.8 }],
      vlines: [{ x: 0, color: "0.85", width: 0.8 }],
    },
  ];
  const lengths = colors.map((_, c) => Math.hypot(plane[2 * c], plane[2 * c + 1]));
  const [shortest, longest] = extent(lengths);
  const setting = `C = ${pyInt(C)} classes and p = ${pyInt(p)} features (N = ${pyInt(run.N)}, seed ${pyInt(seed)})`;
  const means =
    `Right: the ${pyInt(C)} final class means in their first two principal directions, at ` +
    `distances ${f(shortest, ".3g")} to ${f(longest, ".3g")} from their centre.`;
  const riskEnd = last(run.risk);
  if (p >= C - 1) {
    return {
      message:
        `p = ${pyInt(p)} ≥ C − 1 = ${pyInt(C - 1)}: strong collapse exists and descent reaches it ` +
        `(final risk ${bounded(riskEnd, ".1e", RISK_ROUNDING)}).`,
      alt:
        `Left: the risk per iteration on log-log axes for ${setting}; it falls to ` +
        `${f(riskEnd, ".1e")} after ${pyInt(kEnd)} steps. ${means}`,
      panels,
    };
  }
  let kept = 0;
  for (const v of run.gramEigenvalues.data) if (v > 0.5) kept++;
  return {
    message:
      `p = ${pyInt(p)} < C − 1 = ${pyInt(C - 1)}: the risk stops at ${f(riskEnd, ".4f")} (floor ` +
      `${f(run.floor, ".4f")}); WWᵀ/√N has ${pyInt(kept)} eigenvalues near 1 and the rest near 0; ` +
      `${f(100 * run.trainError, ".0f")}% of the training samples are misclassified.`,
    alt:
      `Left: the risk per iteration on log-log axes for ${setting}; it levels off at ` +
      `${f(riskEnd, ".4f")}, the dashed floor (C − 1 − p)/(2C) = ${f(run.floor, ".4f")}, instead of ` +
      `going to zero. ${means}`,
    panels,
  };
}

// ---------------------------------------------------------------------------------------
// limits.step_size

function stepSize(values, data) {
  const { lr } = values;
  const sweep = data.sweep;
  const lrs = numbers(sweep.lr);
  const diverged = Array.from(sweep.diverged_at, (d) => d >= 0);
  const okLr = lrs.filter((_, i) => !diverged[i]);
  const okGram = numbers(sweep.gram_error).filter((_, i) => !diverged[i]);
  const okSharp = numbers(sweep.sharpness).filter((_, i) => !diverged[i]);
  const { limit } = sweep;
  const lambdaMax = sweep.lambda_max;
  const lrEnd = lrs[lrs.length - 1];
  // np.linspace(lr[0], lr[-1], 200) and the curve 2/η.
  const grid = new Float64Array(200);
  const step = (lrEnd - lrs[0]) / 199;
  for (let i = 0; i < 200; i++) grid[i] = i * step + lrs[0];
  grid[199] = lrEnd;
  const twoOverGrid = grid.map((x) => 2 / x);
  const divergedLrs = lrs.filter((_, i) => diverged[i]);
  const spans = divergedLrs.length ? [{ x0: Math.min(...divergedLrs), x1: lrEnd, color: "0.9" }] : [];
  // The limits matplotlib fixed when the figure was built (the data, 2/λ_max and the span;
  // the marker then stood at the default η, inside the sweep's range).
  const xLimits = autoscale([okLr, [limit], ...spans.map((s) => [s.x0, s.x1])]);
  const gramLimits = autoscale([okGram]);
  const sharpLimits = autoscale([okSharp, twoOverGrid, [lambdaMax]]);

  const run = stepRun(lr);
  const risk = run.risk.data;
  const gram = column(run.errors, 0);
  let exactUntil;
  if (lr > limit) {
    const twin = stepRun(lr, { reduceSpan: false });
    const until = Math.min(agreeUntil(risk, twin.risk.data), agreeUntil(gram, column(twin.errors, 0)));
    if (until < risk.length) exactUntil = until;
  }
  const steps = Float64Array.from(run.steps.data);
  const runSeries = [
    { key: TEX.risk, label: TEXT.risk, x: steps, y: risk, color: "k" },
    { key: TEX.gram, label: TEXT.gram, x: steps, y: gram, color: "C0" },
  ];
  if (exactUntil !== undefined) for (const s of runSeries) s.exactUntil = exactUntil;
  const marks = (extra) => ({
    vlines: [{ x: limit, color: "C3", line: "--", width: 1 }, { x: lr, color: "k", width: 1 }, ...extra],
    spans,
  });
  const panels = [
    {
      title: `one run, η = ${f(lr, ".3g")}`,
      x: { label: ITERATION, min: 0, max: STEP_STEPS },
      y: { scale: "log", min: 1e-14, max: 1e3 },
      series: runSeries,
      legend: "outside",
    },
    {
      title: "dashed: 2/λ_max; grey: diverged",
      x: { label: "step size η", min: xLimits[0], max: xLimits[1] },
      y: { label: `final ${TEXT.gram}`, min: gramLimits[0], max: gramLimits[1] },
      series: [{ ref: "sweep", x: okLr, y: okGram, marker: "o", size: 4, color: "C0", line: "none" }],
      ...marks([]),
      legend: false,
    },
    {
      x: { label: "step size η", min: xLimits[0], max: xLimits[1] },
      y: { label: "largest Hessian eigenvalue", min: sharpLimits[0], max: sharpLimits[1] },
      series: [
        { key: "final sharpness", label: "final sharpness", x: okLr, y: okSharp, marker: "o", size: 4, color: "C2", line: "none" },
        { key: TEX.twoOverEta, label: TEXT.twoOverEta, x: grid, y: twoOverGrid, color: "0.4", width: 1 },
      ],
      hlines: [{ y: lambdaMax, color: "C3", width: 1, line: ":", label: TEXT.lambdaMax }],
      ...marks([]),
      legend: "outside",
    },
  ];
  const sweepText =
    `Middle: the final ‖WWᵀ − √N P‖_F of the sweep against the step size from ${f(lrs[0], "g")} ` +
    `to ${f(lrEnd, "g")}, with 2/λ_max ≈ ${f(limit, ".3f")} dashed` +
    (divergedLrs.length ? ` and the runs from η = ${f(Math.min(...divergedLrs), "g")} on, which diverge, in grey` : "") +
    `; right: the final sharpness against η, with the curve 2/η and λ_max ≈ ${f(lambdaMax, ".3f")} ` +
    `at collapse; η = ${f(lr, ".3g")} is marked in both.`;
  if (run.divergedAt !== null) {
    return {
      message:
        `Diverged at step ${pyInt(run.divergedAt)}: η = ${f(lr, ".3g")} is far above the stability ` +
        `limit 2/λ_max ≈ ${f(limit, ".3f")}.`,
      alt:
        `Three panels. Left: the risk and ‖WWᵀ − √N P‖_F along a run with step η = ${f(lr, ".3g")}, ` +
        `which diverges at step ${pyInt(run.divergedAt)}. ${sweepText}`,
      panels,
    };
  }
  const side = lr <= limit ? "below" : "above";
  const sharp = sharpness(...run.final);
  const riskEnd = last(risk);
  const gramEnd = last(gram);
  return {
    message:
      `η = ${f(lr, ".3g")} is ${side} 2/λ_max ≈ ${f(limit, ".3f")}: final risk ${bounded(riskEnd, ".1e", RISK_ROUNDING)}, ` +
      `‖WWᵀ − √N P‖ = ${f(gramEnd, ".2g")}, sharpness ${f(sharp, ".3f")} ` +
      `(2/η = ${f(2 / lr, ".3f")}).`,
    alt:
      `Three panels. Left: the risk and ‖WWᵀ − √N P‖_F along a run with step η = ${f(lr, ".3g")} ` +
      `(${pyInt(STEP_STEPS)} steps, C = ${pyInt(C0)}, N = ${pyInt(N0)}, p = ${pyInt(P0)}); the risk ends at ` +
      `${f(riskEnd, ".1e")} and the distance at ${f(gramEnd, ".2g")}, with final sharpness ` +
      `${f(sharp, ".3f")}. ${sweepText}`,
    panels,
  };
}

// ---------------------------------------------------------------------------------------
// limits.decay

function decay(values) {
  const { loss, lam } = values;
  const run = decayRun(loss, lam);
  const k = atLeastOne(run.steps);
  const kEnd = last(k);
  const ncKeys = [
    ["nc1", "NC1"],
    ["nc2_equiangular", "NC2 (angles)"],
    ["nc3", "NC3"],
  ];
  const ncSeries = ncKeys.map(([key, label], i) => ({
    key: label,
    label,
    x: k,
    // np.where(nc > 0, nc, 1e-16): NaN (collapsed to zero) and 0 are drawn at 1e-16.
    y: Float64Array.from(run.nc[key].data, (v) => (v > 0 ? v : 1e-16)),
    color: `C${i}`,
  }));
  const normW = run.normW.data;
  const normH = run.normH.data;
  const top = 1.1 * Math.max(Math.max(...normW), Math.max(...normH), 1e-3);
  const panels = [
    {
      title: "collapse measures",
      x: { label: ITERATION, scale: "log", min: 1, max: kEnd },
      y: { scale: "log", min: 1e-16, max: 1e2 },
      series: ncSeries,
      legend: "lower left",
    },
    {
      title: "norms",
      x: { label: ITERATION, scale: "log", min: 1, max: kEnd },
      y: { min: 0, max: top },
      series: [
        { key: TEX.normW, label: TEXT.normW, x: k, y: normW, color: "C0" },
        { key: TEX.normH, label: TEXT.normH, x: k, y: normH, color: "C1" },
      ],
      legend: "outside",
    },
  ];
  const name = LOSS_NAMES[loss];
  const setting = `${name} with weight decay λ = ${f(lam, "g")} (λ_W = λ_H, ${pyInt(kEnd)} steps)`;
  const norms =
    `Right: ‖W‖_F and the root mean square feature norm ‖H‖_F/√n per iteration, ending at ` +
    `${f(last(normW), ".3g")} and ${f(last(normH), ".3g")}.`;
  if (run.vanished) {
    return {
      message:
        `${name}, λ = ${f(lam, "g")}: the weight decay wins; features and classifier shrink ` +
        "to zero, where the collapse measures are undefined.",
      alt:
        `Left: NC1, NC2 (angles) and NC3 per iteration on log-log axes for ${setting}; the ` +
        `features shrink to zero and the measures become undefined. ${norms}`,
      panels,
    };
  }
  const nc = Object.fromEntries(ncKeys.map(([key]) => [key, last(run.nc[key])]));
  return {
    message:
      `${name}, λ = ${f(lam, "g")}: NC1 ${bounded(nc.nc1, ".1e", RISK_ROUNDING)}, ` +
      `NC2 ${bounded(nc.nc2_equiangular, ".1e", ROUNDING)}, ` +
      `NC3 ${bounded(nc.nc3, ".1e", ROUNDING)}; the distance of WWᵀ from a simplex ETF is ` +
      `${bounded(run.etfError, ".0e", ROUNDING)}, its size ` +
      `${f(run.scale, ".3g")} × √N (strong collapse: 1); bias ${numpyStr(npRound(run.bias.data, 3).map((v) => v + 0))}.`,
    alt:
      `Left: NC1, NC2 (angles) and NC3 per iteration on log-log axes for ${setting}; they end at ` +
      `${f(nc.nc1, ".1e")}, ${f(nc.nc2_equiangular, ".1e")} and ${f(nc.nc3, ".1e")}. ${norms}`,
    panels,
  };
}

// ---------------------------------------------------------------------------------------
// limits.imbalance

function imbalance(values) {
  const { ratio, loss, lam } = values;
  const run = imbalanceRun(ratio, loss, lam);
  const C = run.rowNorms.data.length;
  const cos = run.cosines.data;
  const names = ["major 1", "major 2", "minor 1", "minor 2"];
  const rows = [];
  const text = [];
  const textColors = [];
  for (let i = 0; i < C; i++) {
    rows.push([]);
    text.push([]);
    textColors.push([]);
    for (let j = 0; j < C; j++) {
      const v = cos[i * C + j];
      rows[i].push(Number.isNaN(v) ? 0.0 : v);
      text[i].push(Number.isNaN(v) ? "–" : f(v, ".2f"));
      textColors[i].push(Math.abs(v) > 0.6 ? "white" : "black");
    }
  }
  const k = atLeastOne(run.steps);
  const kEnd = last(k);
  // The cosine of rows i and j is steered by rounding once one of them is tiny.
  const norms = run.rowNormsPerStep.data;
  const steeredAt = (i, j) => {
    for (let t = 0; t < k.length; t++) {
      const row = norms.subarray(t * C, (t + 1) * C);
      if (Math.min(row[i], row[j]) < STEERED_ROW * Math.max(...row)) return t;
    }
    return undefined;
  };
  const minor = { key: "minority rows", label: "minority rows", x: k, y: run.cosMinor.data, color: "C3" };
  const major = { key: "majority rows", label: "majority rows", x: k, y: run.cosMajor.data, color: "C0" };
  const untilMinor = steeredAt(2, 3);
  const untilMajor = steeredAt(0, 1);
  if (untilMinor !== undefined) minor.exactUntil = untilMinor;
  if (untilMajor !== undefined) major.exactUntil = untilMajor;
  const simplex = -1 / (C - 1);
  const panels = [
    {
      title: "cosines between classifier rows",
      weight: 1.0,
      heatmap: { values: rows, vmin: -1, vmax: 1, cmap: "RdBu_r", rows: names, cols: names, text, textColors },
    },
    {
      title: "cosine between the two rows of each pair",
      weight: 1.4,
      x: { label: ITERATION, scale: "log", min: 1, max: kEnd },
      y: { min: -1.05, max: 1.05 },
      series: [minor, major],
      hlines: [{ y: simplex, color: "0.4", line: "--", width: 1, label: TEXT.simplex }],
      legend: "outside",
    },
  ];
  const name = LOSS_NAMES[loss];
  const [big, , small] = run.classSizes;
  const setting =
    `two classes of ${pyInt(big)} samples and two of ${pyInt(small)} (${name}, weight decay ` +
    `λ = ${f(lam, "g")}, ${pyInt(kEnd)} steps)`;
  const rowNorms = run.rowNorms.data;
  const top = Math.max(...rowNorms);
  const small2 = Array.from(rowNorms.subarray(2), (v) => v < VANISHED_ROW * top);
  const right =
    `Right: the cosine between the two minority rows and between the two majority rows per ` +
    `iteration, against the simplex value ${f(simplex, ".2f")} (dashed).`;
  if (small2.every(Boolean)) {
    return {
      message:
        `${name}, λ = ${f(lam, "g")}, ratio ${pyInt(ratio)}: the minority rows of W have shrunk to ` +
        "zero, so the small classes are never predicted (their cosines are undefined).",
      alt:
        `Left: a ${pyInt(C)} by ${pyInt(C)} map of cosines between the classifier rows for ${setting}; ` +
        `the minority rows have shrunk to zero (norms ${f(rowNorms[2], ".1e")} and ` +
        `${f(rowNorms[3], ".1e")} against ${f(top, ".3g")}), so their cosines are undefined. ${right}`,
      panels,
    };
  }
  return {
    message:
      `${name}, λ = ${f(lam, "g")}, ratio ${pyInt(ratio)}: cosine between the minority rows ` +
      `${f(cos[2 * C + 3], ".2f")}, between the majority rows ${f(cos[1], ".2f")} ` +
      `(simplex: ${f(simplex, ".2f")}); row norms ${numpyStr(npRound(rowNorms, 2))}.`,
    alt:
      `Left: a ${pyInt(C)} by ${pyInt(C)} map of cosines between the classifier rows for ${setting}; ` +
      `the two minority rows have cosine ${f(cos[2 * C + 3], ".2f")} and the two majority rows ` +
      `${f(cos[1], ".2f")}, against the simplex value ${f(simplex, ".2f")}. ${right}`,
    panels,
  };
}

// ---------------------------------------------------------------------------------------

/** The five explorers by name (also registered with runtime.js). */
export const explorers = {
  "limits.initialisation": initialisation,
  "limits.narrow": narrow,
  "limits.step_size": stepSize,
  "limits.decay": decay,
  "limits.imbalance": imbalance,
};

for (const [name, run] of Object.entries(explorers)) register(name, { run });
