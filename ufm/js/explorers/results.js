/*
 * The explorers of the chapter on the main results (ufm/widgets/results.py), in the browser.
 *
 *   results.perturbation   NC1–NC4 and the risk near a point of strong collapse
 *   results.invariance     the risk split on S, and the gradient staying in S
 *   results.convergence    the flow on S against gradient descent, for any rank of W₀
 *   results.riccati        the eigenvalues of W Wᵀ, closed form against an ODE solver
 *   results.linearisation  the spectrum at (0, 0, 1/C) and the growth along S
 *
 * Each run(values, data) computes what the Python explorer's draw computes, with the ports
 * of ufm/js, and writes the same summary line. Where the Python computes on the full
 * features H of a point of S, whose columns are constant within each class, the same
 * quantities are computed here from the class means (a cost that does not depend on N):
 * the risk and the gradient along the flow on S (invariance). The spectrum at rest is always
 * assembled from its blocks (ufm.spectrum.rest_spectrum_by_blocks), whose eigenvalues are
 * the dense Jacobian's (the Python uses the dense matrix up to 600 coordinates). None of the
 * explorers needs the spec's `data`.
 *
 * Series standing for a labelled matplotlib line carry `key`: that line's label in Python.
 */

import { register } from "../runtime.js";
import { classSummary, strongCollapse } from "../collapse.js";
import { ReducedState, _flowStart, _flowedSingularValues, gradientDescent, riccatiEigenvalues, settle } from "../dynamics.js";
import { CollapseAlongLine, classMeanFlow, gramEigenvalues, inRowSpace, randomDirection, snapshotting, splitByS } from "../experiments.js";
import { array } from "../linalg.js";
import { largestStableStep, restSpectrumByBlocks } from "../spectrum.js";
import { _offSSq, pointInS, riskPartsOnS } from "../subspace.js";
import { bounded, pyFormat, pyInt } from "../format.js";
import { FLOOR, LABELS, column, floored, linspace, logLimits } from "./model.js";

/** Models with C N p above this get coarser curves (FINE_CURVE_SIZE). */
const FINE_CURVE_SIZE = 100000;

/**
 * Summary lines quote quantities that are zero but for rounding as "below ROUNDING", and the
 * gap between the ODE solver and the closed form as "below SOLVER_AGREEMENT"
 * (ufm.widgets.results; `bounded`).
 */
const ROUNDING = 1e-12;
const SOLVER_AGREEMENT = 1e-9;

const e1 = (x) => pyFormat(x, ".1e");

/** np.geomspace(start, stop, num) (numpy's: 10 ** linspace of the logs, ends exact). */
function geomspace(start, stop, num) {
  const logs = linspace(Math.log10(start), Math.log10(stop), num);
  const out = logs.map((x) => 10 ** x);
  out[0] = start;
  out[num - 1] = stop;
  return out;
}

/** y-axis of a log panel: the limits of ufm.plots.rescale, or fitted by the page. */
function logAxis(arrays) {
  const limits = logLimits(arrays);
  const axis = { scale: "log", minDecades: 2 };
  if (limits !== null) [axis.min, axis.max] = limits;
  return axis;
}

/** _horizon: the time by which the flow on S has converged from the eigenvalue aMin. */
function horizon(aMin, C, N) {
  const kappa = 2.0 / (C * Math.sqrt(N));
  return (Math.log(Math.max(Math.sqrt(N) / aMin, 1.0)) + 10.0) / kappa;
}

/** reduced_in_S: the reduced state of a point of S (class means, zero scatter). */
function reducedInS(H, W, b) {
  const [C, p] = W.shape;
  const N = H.shape[1] / C;
  return new ReducedState(classSummary(H, C)[0], array([p, p]), W, b, N);
}

/**
 * reduced_in_S in the coordinates of the row space of W (rank r, inRowSpace): descent from
 * a point of S never leaves that span, so the risk and the strong-collapse errors it
 * records are those of descent in dimension p, at a cost per step of C r (C + r) instead
 * of C p (C + p). (A rank-deficient saddle is left in floating point through rounding
 * outside the span; the explorer stops long before that, as its note says.)
 */
function reducedInRowSpace(H, W, b, r) {
  const [C, p] = W.shape;
  const [means, Wq] = inRowSpace(classSummary(H, C)[0], W, r);
  return new ReducedState(means, array([r, r]), Wq, b, H.shape[1] / C);
}

// ---------------------------------------------------------------------------------------
// results.perturbation

const DELTAS = geomspace(1e-8, 1.0, 17);
const DELTAS_COARSE = geomspace(1e-8, 1.0, 9);
/** The measures of the logarithmic panel: Python's label (the key), the page's, colour. */
const MEASURES = [
  {
    name: "nc1",
    key: String.raw`NC1  $\mathrm{tr}(\Sigma_W\Sigma_B^\dagger)/C$`,
    text: "NC1  tr(Σ_W Σ_B⁺)/C",
    color: "C0",
  },
  { name: "nc2_equinorm", key: "NC2  equal norms", text: "NC2  equal norms", color: "C1" },
  { name: "nc2_equiangular", key: "NC2  equal angles", text: "NC2  equal angles", color: "C2" },
  { name: "nc3", key: "NC3  self-duality", text: "NC3  self-duality", color: "C3" },
  { name: "risk", key: LABELS.risk.key, text: LABELS.risk.text, color: "k", line: "--" },
];
/** The point, the direction and the measures along the δ grid of the last sizes and seed. */
const perturbationCache = { key: null, value: null };

function perturbationCurves(C, N, p, seed) {
  const key = `${C},${N},${p},${seed}`;
  if (perturbationCache.key !== key) {
    const point = strongCollapse(C, N, p, seed);
    const direction = randomDirection(...point, seed);
    const deltas = C * N * p <= FINE_CURVE_SIZE ? DELTAS : DELTAS_COARSE;
    // The features of strong collapse are constant within each class: one pass over the
    // samples serves every δ (CollapseAlongLine).
    const line = new CollapseAlongLine(point, direction);
    const rows = Array.from(deltas, (d) => line.at(d));
    perturbationCache.value = { line, deltas, rows };
    perturbationCache.key = key;
  }
  return perturbationCache.value;
}

function perturbation(values) {
  const { C, N, p, delta, seed } = values;
  const { line, deltas, rows } = perturbationCurves(C, N, p, seed);
  const here = line.at(delta);
  const curves = [];
  const marks = [];
  for (const m of MEASURES) {
    const y = floored(rows.map((row) => row[m.name]));
    const label = `${m.text} = ${e1(here[m.name])}`;
    const curve = { x: deltas, y, key: m.key, label, color: m.color, line: m.line ?? "-" };
    // With two classes the centred class means are opposite, so both NC2 measures are 0 in
    // exact arithmetic: what is drawn is the rounding noise of differences of numbers of
    // size 1 (the cosine and -1, the norms), which agrees with numpy's to 1e-9 of that size.
    if (C === 2 && m.name.startsWith("nc2")) curve.parityScale = 1;
    curves.push(curve);
    const v = here[m.name];
    marks.push({ x: [delta], y: [v >= FLOOR || v !== v ? v : FLOOR], marker: "o", color: m.color });
  }
  const xAxis = {
    label: "relative size of the perturbation δ",
    scale: "log",
    min: DELTAS[0],
    max: DELTAS[DELTAS.length - 1],
  };
  const cursor = { x: delta, color: "0.5", line: ":" };
  const panels = [
    {
      title: "NC1–NC3 and the risk near strong collapse",
      weight: 1.6,
      x: xAxis,
      y: logAxis([...curves, ...marks].map((s) => s.y)),
      series: [...curves, ...marks],
      vlines: [cursor],
      legend: "outside",
    },
    {
      title: "NC4: share of decisions ≠ nearest mean",
      weight: 1.0,
      x: xAxis,
      y: { min: -0.05, max: 1.05 },
      series: [
        { x: deltas, y: rows.map((row) => row.nc4), color: "C5" },
        { x: [delta], y: [here.nc4], marker: "o", color: "C5" },
      ],
      vlines: [cursor],
      legend: false,
    },
  ];
  const alt =
    `Left: NC1, the two NC2 measures, NC3 and the risk against the relative size δ of a ` +
    `random perturbation (seed ${pyInt(seed)}) of a point of strong collapse with C = ` +
    `${pyInt(C)}, N = ${pyInt(N)}, p = ${pyInt(p)}, on log-log axes; all vanish as the ` +
    `perturbation vanishes. At δ = ${e1(delta)} (the markers): NC1 ${e1(here.nc1)}, NC2 ` +
    `${e1(here.nc2_equinorm)} (norms) and ${e1(here.nc2_equiangular)} (angles), NC3 ` +
    `${e1(here.nc3)}, risk ${e1(here.risk)}. Right: the NC4 disagreement fraction against δ, ` +
    `${pyFormat(here.nc4, ".3g")} at δ = ${e1(delta)}.`;
  return { message: "", alt, panels };
}

// ---------------------------------------------------------------------------------------
// results.invariance

/** W(t) and b(t) of the flow on S (flow_on_S without its features H). */
function flowState(start, beta0, time) {
  const { U, s, Vt, C, p } = start;
  const k = s.length;
  const sigma = _flowedSingularValues(s, time, C, start.N);
  const US = new Float64Array(C * k);
  for (let c = 0; c < C; c++) for (let j = 0; j < k; j++) US[c * k + j] = U[c * k + j] * sigma[j];
  const W = new Float64Array(C * p);
  for (let c = 0; c < C; c++) {
    for (let q = 0; q < p; q++) {
      let g = 0.0;
      for (let j = 0; j < k; j++) g += US[c * k + j] * Vt[j * p + q];
      W[c * p + q] = g;
    }
  }
  const beta = 1.0 / C + (beta0 - 1.0 / C) * Math.exp(-time);
  return { W, b: new Float64Array(C).fill(beta) };
}

/**
 * The risk, ‖g‖_E and ‖g − proj_S g‖_E at a state of S whose features are H = (W ⊗ 1_N)ᵀ/√N
 * (risk and _gradient_and_part_off_S), from the class means H̄ = Wᵀ/√N: the residual's
 * columns are constant within each class, R̄ = W H̄ + b 1ᵀ − I, so with Ḡ = R̄/(CN)
 * ∇_H = (Wᵀ Ḡ) ⊗ 1_Nᵀ, ∇_W = N Ḡ H̄ᵀ, ∇_b = N Ḡ 1.
 */
function riskAndGradient(W, b, C, N, p) {
  const s = Math.sqrt(N);
  const Hbar = new Float64Array(p * C);
  for (let k = 0; k < p; k++) for (let c = 0; c < C; c++) Hbar[k * C + c] = W[c * p + k] / s;
  const G = new Float64Array(C * C);
  let sq = 0.0;
  for (let i = 0; i < C; i++) {
    for (let c = 0; c < C; c++) {
      let r = 0.0;
      for (let k = 0; k < p; k++) r += W[i * p + k] * Hbar[k * C + c];
      r += b[i] - (i === c ? 1.0 : 0.0);
      sq += r * r;
      G[i * C + c] = r / (C * N);
    }
  }
  const risk = (N * sq) / (2 * C * N);
  const dHbar = new Float64Array(p * C); // a column of ∇_H per class
  const dW = new Float64Array(C * p);
  const db = new Float64Array(C);
  let size = 0.0;
  for (let k = 0; k < p; k++) {
    for (let c = 0; c < C; c++) {
      let g = 0.0;
      for (let i = 0; i < C; i++) g += W[i * p + k] * G[i * C + c];
      dHbar[k * C + c] = g;
      size += N * g * g;
    }
  }
  for (let i = 0; i < C; i++) {
    for (let k = 0; k < p; k++) {
      let g = 0.0;
      for (let c = 0; c < C; c++) g += G[i * C + c] * Hbar[k * C + c];
      dW[i * p + k] = N * g;
      size += dW[i * p + k] * dW[i * p + k];
    }
    let g = 0.0;
    for (let c = 0; c < C; c++) g += G[i * C + c];
    db[i] = N * g;
    size += db[i] * db[i];
  }
  const norm = Math.sqrt(size);
  let off = 0.0;
  if (norm > 0) {
    const u = dHbar.map((x) => s * x);
    off = Math.sqrt(_offSSq(dW, db, u, 0.0, C, p) / size) * norm;
  }
  return { risk, size: norm, off };
}

function invariance(values) {
  const { C, N, p, scale, beta0, T, seed } = values;
  const start = pointInS(C, N, p, Math.min(C - 1, p), scale, beta0, seed);
  const W0 = start[1];
  const count = C * N * p <= FINE_CURVE_SIZE ? 61 : 21;
  const t = linspace(0.0, T, count);
  const flow = { ..._flowStart(W0, t, null), N };
  const classifierPart = new Float64Array(count);
  const biasPart = new Float64Array(count);
  const sum = new Float64Array(count);
  const risks = new Float64Array(count);
  const sizes = new Float64Array(count);
  const offS = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const { W, b } = flowState(flow, beta0, t[i]);
    const [a, c] = riskPartsOnS(array([C, p], W), array([C], b), N);
    classifierPart[i] = a;
    biasPart[i] = c;
    sum[i] = a + c;
    const g = riskAndGradient(W, b, C, N, p);
    risks[i] = g.risk;
    sizes[i] = g.size;
    offS[i] = g.off;
  }
  const gd = gradientDescent(reducedInS(...start), {
    lr: 1.0,
    steps: T,
    recordEvery: Math.max(1, Math.floor(T / 200)),
  });
  const gdSteps = Float64Array.from(gd.steps.data);
  const gdDistance = gd.distanceToS.data;
  const parts = [
    {
      x: t,
      y: floored(classifierPart),
      key: String.raw`classifier part $\|WW^\top/\sqrt{N}-P\|_F^2/(2C)$`,
      label: "classifier part ‖WWᵀ/√N − P‖_F²/(2C)",
      color: "C0",
    },
    {
      x: t,
      y: floored(biasPart),
      key: String.raw`bias part $(C\beta-1)^2/(2C)$`,
      label: "bias part (Cβ − 1)²/(2C)",
      color: "C1",
    },
    {
      x: t,
      y: floored(sum),
      key: "sum of the parts",
      label: "sum of the parts",
      color: "k",
      width: 2.5,
      alpha: 0.4,
    },
    {
      x: t,
      y: floored(risks),
      key: "risk $R_e$ computed directly",
      label: "risk R_e computed directly",
      color: "k",
      marker: ".",
      size: 4,
    },
  ];
  const gradient = [
    {
      x: t,
      y: floored(sizes),
      key: String.raw`gradient $\|g\|_E$, $g = \nabla R_e(Z_t)$`,
      label: "gradient ‖g‖_E, g = ∇R_e(Z_t)",
      color: "k",
    },
    {
      // Zero in exact arithmetic: the rounding noise of a difference of parts of the
      // gradient, which agrees with numpy's to 1e-9 of the gradient's size.
      x: t,
      y: floored(offS),
      key: String.raw`its part off $S$, $\|g - \mathrm{proj}_S g\|_E$`,
      label: "its part off S, ‖g − proj_S g‖_E",
      color: "C3",
      marker: "o",
      size: 3,
      parityScale: sizes.reduce((a, v) => Math.max(a, v), 0) || 1,
    },
    {
      // Rounding noise too (the iterates of a point of S stay in S), relative to ‖Z_k‖_E.
      x: gdSteps,
      y: floored(gdDistance),
      key: String.raw`descent ($\eta = 1$): $\|Z_k - \mathrm{proj}_S Z_k\|_E / \|Z_k\|_E$`,
      label: "descent (η = 1): ‖Z_k − proj_S Z_k‖_E / ‖Z_k‖_E",
      color: "C0",
      parityScale: 1,
    },
  ];
  const xLabel = "time t (= iteration k for gradient descent)";
  const panels = [
    {
      title: "the risk along the flow on S",
      x: { label: xLabel },
      y: logAxis(parts.map((s) => s.y)),
      series: parts,
      legend: "upper right",
    },
    {
      title: `the gradient stays in S (zeros drawn at ${pyFormat(FLOOR, ".0e")})`,
      x: { label: xLabel },
      y: { scale: "log", min: FLOOR / 3, max: 10.0 },
      series: gradient,
      legend: "upper right",
    },
  ];
  let offMax = -Infinity;
  for (const v of offS) offMax = v > offMax || v !== v ? v : offMax; // np.max: NaN wins
  let gdMax = NaN; // np.nanmax
  for (const v of gdDistance) if (v === v && !(v <= gdMax)) gdMax = v;
  const offText = bounded(offMax, ".1e", ROUNDING);
  const gdText = bounded(gdMax, ".1e", ROUNDING);
  const message =
    `The gradient shrinks from ${e1(sizes[0])} to ${bounded(sizes[count - 1], ".1e", ROUNDING)}; its largest ` +
    `part off S is ${offText}. The largest relative distance of gradient descent from S is ` +
    `${gdText}.`;
  const alt =
    `Along the gradient flow on S from a point with C = ${pyInt(C)}, N = ${pyInt(N)}, p = ` +
    `${pyInt(p)}, ‖W₀‖_F = ${pyFormat(scale, ".3g")} and β₀ = ${pyFormat(beta0, "g")} (seed ` +
    `${pyInt(seed)}), up to time ${pyInt(T)}. Left: the classifier part, the bias part, their ` +
    `sum and the risk computed directly, log scale; the sum and the risk coincide, falling ` +
    `from ${e1(sum[0])} to ${e1(sum[count - 1])}. Right: the size of the gradient, from ` +
    `${e1(sizes[0])} to ${e1(sizes[count - 1])}, while its part off S stays at rounding level ` +
    `(its largest value is ${offText}); the largest relative distance of gradient-descent ` +
    `iterates from S is ${gdText}.`;
  return { message, alt, panels };
}

// ---------------------------------------------------------------------------------------
// results.convergence

/** Most gradient-descent steps a convergence run may take (MAX_STEPS). */
const MAX_STEPS = 20000;

function convergence(values) {
  const { C, N, p, rank, scale, lr, seed } = values;
  const r = Math.min(rank, C - 1, p);
  const start = pointInS(C, N, p, r, scale, 0.0, seed);
  const W0 = start[1];
  const a0 = riccatiEigenvalues(W0, [0.0], N).data;
  let T = horizon(a0[r - 1], C, N);
  let steps = Math.ceil(T / lr);
  const notes = [];
  if (steps > MAX_STEPS) {
    steps = MAX_STEPS;
    T = MAX_STEPS * lr;
    notes.push(
      `Stopped at ${pyInt(MAX_STEPS)} steps (t = ${pyFormat(T, ".0f")}); a larger η reaches ` +
        "further.",
    );
  }
  const t = linspace(0.0, T, 300);
  const a = riccatiEigenvalues(W0, t, N).data;
  const sN = Math.sqrt(N);
  const err = new Float64Array(t.length);
  const flowRisk = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    let sq = 0.0;
    for (let j = 0; j < C - 1; j++) {
      const d = a[i * C + j] - sN;
      sq += d * d;
    }
    err[i] = Math.sqrt(sq);
    const beta = 1.0 / C - Math.exp(-t[i]) / C;
    const bias = C * beta - 1;
    flowRisk[i] = ((err[i] * err[i]) / N + bias * bias) / (2 * C);
  }
  const gd = gradientDescent(reducedInRowSpace(...start, r), {
    lr,
    steps,
    recordEvery: Math.max(1, Math.floor(steps / 400)),
  });
  const gdTime = Float64Array.from(gd.steps.data, (k) => k * lr);
  const deficit = C - 1 - r;
  if (deficit) {
    notes.unshift(
      `rank W₀ = ${pyInt(r)} < C − 1 = ${pyInt(C - 1)}: the flow ends at WWᵀ = √N Π, which is ` +
        `not strong collapse; the risk tends to (C − 1 − r)/(2C) = ` +
        `${pyFormat(deficit / (2 * C), ".3g")}. This limit is a saddle: in floating point, ` +
        "descent leaves it long after the time shown.",
    );
  }
  if (rank > r) notes.unshift(`rank lowered to min(C − 1, p) = ${pyInt(r)}.`);
  const limit = largestStableStep(C, N);
  if (gd.divergedAt !== null) {
    notes.push(`Gradient descent diverged at step ${pyInt(gd.divergedAt)}.`);
  } else if (lr > limit) {
    notes.push(
      `η = ${pyFormat(lr, "g")} is above the largest stable step ${pyFormat(limit, ".3f")}.`,
    );
  }
  const xAxis = { label: "time t (gradient descent: t = kη)", min: 0, max: T };
  // The distance is a difference of W Wᵀ and √N P, of size √(N(C − 1)): it has no more
  // precision than that (at a start already at strong collapse, C = 2, N = 1, ‖W₀‖_F = 1,
  // it is rounding noise throughout).
  const noise = { parityScale: Math.sqrt(N * (C - 1)) };
  const flowKey = "flow on $S$ (closed form)";
  const flowText = "flow on S (closed form)";
  const errSeries = [
    { x: t, y: floored(err), key: flowKey, label: flowText, color: "k", ...noise },
    {
      x: gdTime,
      y: floored(column(gd.errors.data, 3, 0)),
      key: "gradient descent",
      label: "gradient descent",
      color: "C1",
      line: "--",
      ...noise,
    },
  ];
  const riskSeries = [
    { x: t, y: flowRisk, key: flowKey, label: flowText, color: "k" },
    {
      x: gdTime,
      y: floored(gd.risk.data),
      key: "gradient descent",
      label: "gradient descent",
      color: "C1",
      line: "--",
    },
  ];
  const limitLine = (y, label) => (deficit ? [{ y, color: "C3", line: ":", label }] : []);
  const errLimit = limitLine(Math.sqrt(N * deficit), "√(N(C − 1 − r))");
  const riskLimit = limitLine(deficit / (2 * C), "(C − 1 − r)/(2C)");
  const panels = [
    {
      title: LABELS.errors[0].text,
      x: xAxis,
      y: logAxis([...errSeries.map((s) => s.y), errLimit.map((h) => h.y)]),
      series: errSeries,
      hlines: errLimit,
      legend: "lower left",
    },
    {
      title: LABELS.risk.text,
      x: xAxis,
      y: logAxis([...riskSeries.map((s) => s.y), riskLimit.map((h) => h.y)]),
      series: riskSeries,
      hlines: riskLimit,
      legend: "lower left",
    },
  ];
  const last = gd.risk.data.length - 1;
  const ending = deficit
    ? `both level off near the saddle WWᵀ = √N Π: the distance at √(N(C − 1 − r)) = ` +
      `${pyFormat(Math.sqrt(N * deficit), ".3g")}, the risk at ` +
      pyFormat(deficit / (2 * C), ".3g")
    : `both head for strong collapse: at t = ${pyFormat(T, ".0f")} the flow's distance is ` +
      `${e1(err[err.length - 1])} and its risk ${e1(flowRisk[flowRisk.length - 1])}`;
  const descentEnd =
    gd.divergedAt !== null
      ? `Gradient descent diverges at step ${pyInt(gd.divergedAt)}.`
      : `Gradient descent ends at distance ${e1(gd.errors.data[3 * last])} and risk ` +
        `${e1(gd.risk.data[last])}.`;
  const alt =
    `From a point of S with rank W₀ = ${pyInt(r)}, ‖W₀‖_F = ${pyFormat(scale, ".3g")} (C = ` +
    `${pyInt(C)}, N = ${pyInt(N)}, p = ${pyInt(p)}, seed ${pyInt(seed)}), against time: left, ` +
    `the distance of W Wᵀ from √N P for the closed-form flow on S and for gradient descent ` +
    `with step size η = ${pyFormat(lr, "g")} (${pyInt(steps)} steps); right, the risk along ` +
    `both. They ${ending}. ${descentEnd}`;
  return { message: notes.join(" "), alt, panels };
}

// ---------------------------------------------------------------------------------------
// results.riccati

function riccati(values) {
  const { C, N, p, rank, scale, seed } = values;
  const r = Math.min(rank, C - 1, p);
  const start = pointInS(C, N, p, r, scale, 0.0, seed);
  const W0 = start[1];
  const a0 = riccatiEigenvalues(W0, [0.0], N).data;
  const T = horizon(a0[r - 1], C, N);
  const t = linspace(0.0, T, 200);
  const tOde = linspace(0.0, T, 25);
  const closed = riccatiEigenvalues(W0, t, N).data;
  // The features of a point of S are constant within each class, so the solver integrates
  // the gradient flow of the class means (the same flow, at a cost that does not depend on
  // N), in the span of W₀'s rows, which the flow never leaves (a cost that does not depend
  // on p).
  const [means, Wq] = inRowSpace(classSummary(start[0], C)[0], W0, r);
  const flowed = classMeanFlow(means, Wq, start[2], N, tOde, 1e-10, 1e-12);
  const numeric = gramEigenvalues(flowed[1]).data;
  const series = [];
  for (let i = 0; i < r; i++) {
    series.push({
      x: t,
      y: column(closed, C, i),
      color: `C${i}`,
      ...(i === 0 ? { key: "closed form", label: "closed form" } : {}),
    });
  }
  for (let i = 0; i < r; i++) {
    series.push({
      x: tOde,
      y: column(numeric, C, i),
      color: `C${i}`,
      marker: "o",
      fill: false,
      ...(i === 0 ? { key: "ODE solver (DOP853)", label: "ODE solver (DOP853)" } : {}),
    });
  }
  const sN = Math.sqrt(N);
  const target = [{ y: sN, color: "0.4", line: ":", label: "√N" }];
  const exact = riccatiEigenvalues(W0, tOde, N).data;
  const deviation = new Float64Array(tOde.length);
  for (let i = 0; i < tOde.length; i++) {
    let big = -Infinity;
    for (let j = 0; j < C; j++) {
      const d = Math.abs(numeric[i * C + j] - exact[i * C + j]);
      if (d > big || d !== d) big = d;
    }
    deviation[i] = big / sN;
  }
  let gapMax = -Infinity;
  for (const v of deviation) gapMax = v > gapMax || v !== v ? v : gapMax;
  const gap = floored(deviation);
  const panels = [
    {
      title: "nonzero eigenvalues of WWᵀ along the flow on S",
      weight: 1.4,
      x: { label: "time t" },
      y: logAxis([...series.map((s) => s.y), [sN]]),
      series,
      hlines: target,
      legend: "lower right",
    },
    {
      title: "largest |solver − closed form| / √N",
      weight: 1.0,
      x: { label: "time t" },
      y: logAxis([gap]),
      series: [{ x: tOde, y: gap, color: "k", marker: ".", line: "-" }],
      legend: false,
    },
  ];
  const largest = bounded(gapMax, ".1e", SOLVER_AGREEMENT);
  let message = `Largest gap between the ODE solver and the closed form: ${largest} √N.`;
  if (rank > r) message = `rank lowered to min(C − 1, p) = ${pyInt(r)}. ` + message;
  const rise = r === 1 ? "it rises along an S-shaped curve" : "they rise along S-shaped curves";
  const alt =
    `Left: the ${pyInt(r)} nonzero eigenvalue${r === 1 ? "" : "s"} of W Wᵀ along the flow on ` +
    `S from a point with ‖W₀‖_F = ${pyFormat(scale, ".3g")} (C = ${pyInt(C)}, N = ` +
    `${pyInt(N)}, p = ${pyInt(p)}, seed ${pyInt(seed)}), against time up to ` +
    `${pyFormat(T, ".3g")}: ${rise} to √N = ${pyFormat(sN, ".3g")}; lines are the closed ` +
    `form, circles an ODE solver (DOP853), and they coincide. Right: the largest gap between ` +
    `them over time; at most it is ${largest} √N.`;
  return { message, alt, panels };
}

// ---------------------------------------------------------------------------------------
// results.linearisation

const LINEARISATION_LR = 0.1;
const LINEARISATION_MAX_STEPS = 8000;
const DENSE_SPECTRUM_SIZE = 600;
const SPECTRUM_DOTS = 500;
/** The spectrum at rest of the last sizes (it depends on C, N, p only). */
const spectrumCache = { key: null, value: null };

function spectrumOf(C, N, p) {
  const key = `${C},${N},${p}`;
  if (spectrumCache.key !== key) {
    const blocks = restSpectrumByBlocks(C, N, p);
    spectrumCache.value = { values: blocks.values.data, growing: blocks.growingDistance };
    spectrumCache.key = key;
  }
  return spectrumCache.value;
}

async function linearisation(values, data, page = null) {
  const { C, N, p, eps, seed } = values;
  const { values: spectrum, growing } = spectrumOf(C, N, p);
  const size = spectrum.length;
  const rate = 1.0 / (C * Math.sqrt(N));
  const m = (C - 1) * p;
  // np.unique(np.linspace(0, size - 1, SPECTRUM_DOTS).astype(int)), and the bias block.
  const chosen = new Set();
  for (const x of linspace(0, size - 1, SPECTRUM_DOTS)) chosen.add(Math.trunc(x));
  for (let i = Math.max(0, size - C); i < size; i++) chosen.add(i);
  const shown = Float64Array.from(chosen).sort();
  const dots = Float64Array.from(shown, (i) => spectrum[i]);
  const levels = [
    [`+1/(C√N): ${pyInt(m)}`, rate],
    [`0: ${pyInt(size - 2 * m - C)}`, 0.0],
    [`−1/(C√N): ${pyInt(m)}`, -rate],
    [`−1 (bias): ${pyInt(C)}`, -1.0],
  ].map(([label, y], i) => ({ y, color: `C${i}`, line: ":", width: 1, label }));

  const T = C * Math.sqrt(N) * (Math.log(1.0 / eps) + 4.0);
  const lr = Math.max(LINEARISATION_LR, T / LINEARISATION_MAX_STEPS);
  const steps = Math.ceil(T / lr);
  const marks = new Set();
  for (const x of linspace(0, steps, 150)) marks.add(Math.trunc(x));
  // The reduced state of ufm.random_init(C, N, p, eps, seed), sampled without forming H.
  const start = ReducedState.random(C, N, p, eps, seed);
  // Up to 8,000 steps: run in slices that leave the page responsive (settle).
  const job = snapshotting(start, lr, steps, Int32Array.from(marks).sort(), steps);
  const run = await settle(job, page);
  const parts = splitByS(run.W, run.classMeans, run.within, run.b, N);
  const [inside, outside] = parts.map((x) => x.data);
  const k = run.snapshotSteps.data;
  const K = k.length;
  const t = Float64Array.from(k, (j) => j * lr);
  const bias = new Float64Array(K);
  for (let j = 0; j < K; j++) {
    let sq = 0.0;
    for (let c = 0; c < C; c++) {
      const d = run.b.data[j * C + c] - 1.0 / C;
      sq += d * d;
    }
    bias[j] = Math.sqrt(sq);
  }
  let stateSize = 0.0;
  for (let j = 0; j < K; j++) {
    let bb = 0.0;
    for (let c = 0; c < C; c++) bb += run.b.data[j * C + c] ** 2;
    stateSize = Math.max(stateSize, Math.sqrt(inside[j] ** 2 + outside[j] ** 2 + bb));
  }
  const ceiling = 3 * Math.sqrt(2 * Math.sqrt(N) * (C - 1));
  const predictedT = [];
  const predictedY = [];
  for (let j = 0; j < K; j++) {
    const value = inside[0] * (1 + lr * rate) ** k[j];
    if (value <= ceiling) {
      predictedT.push(t[j]);
      predictedY.push(value);
    }
  }
  const growth = [
    {
      x: t,
      y: floored(inside),
      key: "part in $S$ (without the bias)",
      label: "part in S (without the bias)",
      color: "C0",
    },
    {
      x: predictedT,
      y: predictedY,
      key: String.raw`$\propto e^{t/(C\sqrt{N})}$`,
      label: "∝ exp(t/(C√N))",
      color: "C0",
      line: ":",
      width: 2,
    },
    {
      x: t,
      y: floored(outside),
      key: String.raw`part off $S$, $\|Z - \mathrm{proj}_S Z\|_E$`,
      label: "part off S, ‖Z − proj_S Z‖_E",
      color: "C3",
      // A difference of parts of the state (‖W‖ grows to order one while this part stays
      // of size ε): it has no more precision than the state's size.
      parityScale: stateSize,
    },
    {
      x: t,
      y: floored(bias),
      key: LABELS.errors[2].key,
      label: LABELS.errors[2].text,
      color: "C2",
    },
  ];
  const panels = [
    {
      title: "eigenvalues of the Jacobian at (0, 0, 1_C/C)",
      x: { label: "index (largest first)" },
      series: [{ x: shown, y: dots, color: "k", marker: ".", size: 3 }],
      hlines: levels,
      legend: { loc: "outside", title: "level: multiplicity" },
    },
    {
      title: `gradient descent from size ε (η = ${pyFormat(lr, ".3g")})`,
      x: { label: "time t = kη" },
      y: logAxis(growth.map((s) => s.y)),
      series: growth,
      legend: "lower right",
    },
  ];
  const notes = [
    `The ${pyInt(m)} growing directions lie in S (largest relative distance ` +
      `${bounded(growing, ".0e", ROUNDING)}); the predicted growth rate is ` +
      `1/(C√N) = ${pyFormat(rate, ".3g")}.`,
  ];
  if (p * C * N + C * p + C > DENSE_SPECTRUM_SIZE) {
    notes.push(
      `The spectrum (${pyInt(size)} eigenvalues, ${pyInt(shown.length)} drawn) is assembled ` +
        "from its blocks: one 2C × 2C block per feature, the bias block, and C(N − 1)p zeros " +
        "on the within-class deviations.",
    );
  }
  if (lr > LINEARISATION_LR) {
    notes.push(
      `η is raised to ${pyFormat(lr, ".3g")} to reach t = ${pyFormat(T, ".0f")} in ` +
        `${pyInt(steps)} steps.`,
    );
  }
  const alt =
    `Left: the ${pyInt(size)} eigenvalues of the gradient flow linearised at the stationary ` +
    `point for C = ${pyInt(C)}, N = ${pyInt(N)}, p = ${pyInt(p)}, sorted (${pyInt(shown.length)} ` +
    `drawn): ${pyInt(m)} at +1/(C√N) = ${pyFormat(rate, ".3g")}, ${pyInt(size - 2 * m - C)} at ` +
    `zero, ${pyInt(m)} at −1/(C√N) and ${pyInt(C)} at ${pyFormat(spectrum[size - 1], ".3g")}. ` +
    "Right: gradient descent from a " +
    `random start of size ε = ${pyFormat(eps, ".3g")} (seed ${pyInt(seed)}) with step size ` +
    `η = ${pyFormat(lr, ".3g")} up to t = ${pyFormat(T, ".0f")}: the part of the state in S ` +
    `grows from ${e1(inside[0])} to ${e1(inside[K - 1])} along the predicted exponential, ` +
    `the part off S goes from ${e1(outside[0])} to ${e1(outside[K - 1])}, and the bias error ` +
    `from ${e1(bias[0])} to ${e1(bias[K - 1])}.`;
  return { message: notes.join(" "), alt, panels };
}

/** The run function of each explorer of this chapter, by name. */
export const explorers = {
  "results.perturbation": perturbation,
  "results.invariance": invariance,
  "results.convergence": convergence,
  "results.riccati": riccati,
  "results.linearisation": linearisation,
};

for (const [name, run] of Object.entries(explorers)) register(name, { run });
