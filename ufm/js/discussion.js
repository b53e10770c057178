/*
 * Port of the experiments of ufm/experiments/discussion.py that the explorers of the
 * discussion chapter run (ufm/js/explorers/limits.js), with what they need from ufm.
 *
 * Constants (as in Python): C0, N0, P0 (3, 3, 15), INIT_LR, INIT_STEPS, INIT_SEEDS,
 * STEP_EPS, STEP_STEPS, DECAY_VALUES, IMBALANCE_DECAY_VALUES, VANISHED, VANISHED_ROW,
 * LOSS_NAMES. The sweeps (INIT_EPS, STEP_LRS: init_size_sweep, step_size_sweep) are not
 * ported: the explorers get them from Python, in their spec's data.
 *
 *   initRun(eps, {seed = 0, recordEvery = 10, reduceSpan = true})    init_run
 *   stepRun(lr, {seed = 0, recordEvery = 10, reduceSpan = true})     step_run
 *   narrowRun(C, p, {N = 3, seed = 0, steps = 6000})    narrow_run: {C, N, p, steps, risk,
 *                      floor, gramEigenvalues, trainError, nc, plane ([C, 2])}
 *   decayRun(loss, lam, {C = 4, N = 4, p = 8, steps = 2000, seed = 0})
 *                      decay_run: {loss, lam, steps, nc: {nc1, nc2_equiangular, nc3},
 *                      normW, normH, scale, etfError, bias, vanished}
 *   imbalanceRun(ratio, loss = "cross_entropy", lam = 0.01, {p = 8, steps = 1500, seed = 0})
 *                      imbalance_run: {ratio, loss, lam, steps, cosMinor, cosMajor,
 *                      cosines ([4, 4], NaN for vanished rows), rowNorms}, and (not in
 *                      Python) classSizes and rowNormsPerStep ([T, 4], ||W_c|| at each
 *                      recorded step)
 *
 * The runs start from model.js's randomInit (ufm.random_init), descend with dynamics.js's
 * gradientDescentFrom (ufm.gradient_descent from (H, W, b)), and the step-size run is
 * measured with spectrum.js's sharpness.
 */

import { classSummary, ncMetrics } from "./collapse.js";
import { descendingFrom, finish, gradientDescentFrom } from "./dynamics.js";
import { snapshotSchedule } from "./experiments.js";
import { classLabels, extendedDescent, extendedInit, rowCosines } from "./extensions.js";
import { array, dot, eigvalsh, frobenius, pairwiseSum, svd } from "./linalg.js";
import { positiveInt, randomInit, sizes } from "./model.js";
import { sharpness } from "./spectrum.js";

/** The set-up of the paper's figures, used by the experiments on ε and η. */
export const C0 = 3;
export const N0 = 3;
export const P0 = 15;

/** The step size and length of the runs from a large start (the sweep's as well). */
export const INIT_LR = 0.2;
export const INIT_STEPS = 4000;
export const INIT_SEEDS = 5;

export const STEP_EPS = 0.01;
export const STEP_STEPS = 4000;

/** Weight-decay values offered by the explorers (λ_W = λ_H = λ, λ_b = 0). */
export const DECAY_VALUES = [0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3];
export const IMBALANCE_DECAY_VALUES = [1e-3, 3e-3, 1e-2, 2e-2, 5e-2];

/** Class-mean spread ||M||_F below which the features count as collapsed to zero. */
export const VANISHED = 1e-8;
/** A classifier row shorter than this fraction of the longest one counts as vanished. */
export const VANISHED_ROW = 1e-3;

export const LOSS_NAMES = { squared: "squared loss", cross_entropy: "cross-entropy" };

/** np.finfo(float).tiny */
const TINY = 2.2250738585072014e-308;

// ---------------------------------------------------------------------------------------
// ufm/experiments/discussion.py

export function initRun(eps, { seed = 0, recordEvery = 10, reduceSpan = true } = {}) {
  const start = randomInit(C0, N0, P0, eps, seed);
  return gradientDescentFrom(...start, INIT_LR, INIT_STEPS, recordEvery, { reduceSpan });
}

export function stepRun(lr, { seed = 0, recordEvery = 10, reduceSpan = true } = {}) {
  const start = randomInit(C0, N0, P0, STEP_EPS, seed);
  return gradientDescentFrom(...start, lr, STEP_STEPS, recordEvery, { reduceSpan });
}

export function narrowRun(C, p, options = {}) {
  return finish(narrowing(C, p, options));
}

/** narrowRun as a job (dynamics.runSteps): yields its progress. */
export function* narrowing(C, p, { N = 3, seed = 0, steps = 6000 } = {}) {
  sizes(C, N, p);
  const trajectory = yield* descendingFrom(...randomInit(C, N, p, 0.01, seed), 1.0, steps, 20);
  const [H, W, b] = trajectory.final;
  const CN = C * N;
  const labels = classLabels(new Array(C).fill(N));
  const means = classSummary(H, C)[0].data;
  const centred = new Float64Array(p * C);
  for (let k = 0; k < p; k++) {
    const mean = pairwiseSum(means, k * C, C, 1) / C;
    for (let c = 0; c < C; c++) centred[k * C + c] = means[k * C + c] - mean;
  }
  const { U } = svd(centred, p, C);
  const cols = Math.min(p, C);
  const plane = new Float64Array(C * 2);
  for (let j = 0; j < Math.min(2, cols); j++) {
    for (let c = 0; c < C; c++) {
      let s = 0.0;
      for (let k = 0; k < p; k++) s += centred[k * C + c] * U[k * cols + j];
      plane[c * 2 + j] = s;
    }
  }
  const w = W.data;
  const gram = new Float64Array(C * C);
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) gram[i * C + j] = dot(w.subarray(i * p), w.subarray(j * p), p);
  }
  const sN = Math.sqrt(N);
  const gramEigenvalues = eigvalsh(gram, C).map((x) => x / sN);
  // Training error: argmax_c (W h + b)_c (the first on ties) against the labels.
  const h = H.data;
  let wrong = 0;
  for (let i = 0; i < CN; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = 0.0;
      for (let k = 0; k < p; k++) s += w[c * p + k] * h[k * CN + i];
      s += b.data[c];
      if (s > bestScore) {
        best = c;
        bestScore = s;
      }
    }
    if (best !== labels.data[i]) wrong++;
  }
  return {
    C,
    N,
    p,
    steps: trajectory.steps,
    risk: trajectory.risk,
    floor: (C - 1 - Math.min(p, C - 1)) / (2 * C),
    gramEigenvalues: array([C], gramEigenvalues),
    trainError: wrong / CN,
    nc: ncMetrics(H, labels, W, b),
    plane: array([C, 2], plane),
  };
}

export function decayRun(loss, lam, { C = 4, N = 4, p = 8, steps = 2000, seed = 0 } = {}) {
  const classSizes = new Array(C).fill(N);
  const result = extendedDescent(...extendedInit(classSizes, p, 0.1, seed), 1.0, steps, {
    loss,
    lambdaW: lam,
    lambdaH: lam,
    recordSteps: snapshotSchedule(steps, 50),
    recordStates: true,
  });
  const labels = classLabels(classSizes);
  const T = result.steps.data.length;
  const keys = ["nc1", "nc2_equiangular", "nc3"];
  const nc = Object.fromEntries(keys.map((key) => [key, new Float64Array(T).fill(NaN)]));
  const [Hs, Ws, bs] = result.states;
  const n = C * N;
  const normW = new Float64Array(T);
  const normH = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const H = array([p, n], Hs.data.slice(t * p * n, (t + 1) * p * n));
    const W = array([C, p], Ws.data.slice(t * C * p, (t + 1) * C * p));
    const b = array([C], bs.data.slice(t * C, (t + 1) * C));
    normW[t] = frobenius(W.data);
    normH[t] = frobenius(H.data) / Math.sqrt(C * N);
    // ||M||_F of the class means (NaN for the NaN states after a divergence, which are
    // then skipped as in Python; classSummary would reject them).
    const means = new Float64Array(p * C);
    for (let k = 0; k < p; k++) {
      for (let c = 0; c < C; c++) means[k * C + c] = pairwiseSum(H.data, k * n + c * N, N, 1) / N;
    }
    let spread = 0.0;
    for (let k = 0; k < p; k++) {
      const mean = pairwiseSum(means, k * C, C, 1) / C;
      for (let c = 0; c < C; c++) spread += (means[k * C + c] - mean) ** 2;
    }
    if (Math.sqrt(spread) > VANISHED) {
      const metrics = ncMetrics(H, labels, W, b);
      for (const key of keys) nc[key][t] = metrics[key];
    }
  }
  const [, W, b] = result.final;
  const w = W.data;
  const gram = new Float64Array(C * C);
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) gram[i * C + j] = dot(w.subarray(i * p), w.subarray(j * p), p);
  }
  let trace = 0.0;
  for (let i = 0; i < C; i++) trace += gram[i * C + i];
  const c = trace / (C - 1);
  // ||W W^T - c P||_F with P = I - 11^T/C (collapse._centering).
  let etf = 0.0;
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) etf += (gram[i * C + j] - c * ((i === j ? 1.0 : 0.0) - 1.0 / C)) ** 2;
  }
  return {
    loss,
    lam,
    steps: result.steps,
    nc: Object.fromEntries(keys.map((key) => [key, array([T], nc[key])])),
    normW: array([T], normW),
    normH: array([T], normH),
    scale: c / Math.sqrt(N),
    etfError: c > 0 ? Math.sqrt(etf) / c : NaN,
    bias: b,
    vanished: Number.isNaN(nc.nc1[T - 1]),
  };
}

export function imbalanceRun(ratio, loss = "cross_entropy", lam = 1e-2, { p = 8, steps = 1500, seed = 0 } = {}) {
  positiveInt(ratio, "ratio");
  const classSizes = [ratio, ratio, 1, 1];
  const result = extendedDescent(...extendedInit(classSizes, p, 0.1, seed), 1.0, steps, {
    classSizes,
    loss,
    lambdaW: lam,
    lambdaH: lam,
    recordSteps: snapshotSchedule(steps, 60),
    recordStates: true,
  });
  const C = 4;
  const Ws = result.states[1].data;
  const T = result.steps.data.length;
  const cosMinor = new Float64Array(T);
  const cosMajor = new Float64Array(T);
  const unit = new Float64Array(C * p);
  const normsPerStep = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    const Wt = Ws.subarray(t * C * p, (t + 1) * C * p);
    for (let c = 0; c < C; c++) {
      normsPerStep[t * C + c] = frobenius(Wt.subarray(c * p, (c + 1) * p));
      const norm = Math.max(normsPerStep[t * C + c], TINY);
      for (let k = 0; k < p; k++) unit[c * p + k] = Wt[c * p + k] / norm;
    }
    cosMinor[t] = dot(unit.subarray(2 * p), unit.subarray(3 * p), p);
    cosMajor[t] = dot(unit, unit.subarray(p), p);
  }
  const W = result.final[1].data;
  const rowNorms = new Float64Array(C);
  for (let c = 0; c < C; c++) rowNorms[c] = frobenius(W.subarray(c * p, (c + 1) * p));
  const top = Math.max(...rowNorms);
  const alive = [];
  for (let c = 0; c < C; c++) if (rowNorms[c] > VANISHED_ROW * top) alive.push(c);
  const cosines = new Float64Array(C * C).fill(NaN);
  if (alive.length) {
    const rows = new Float64Array(alive.length * p);
    alive.forEach((c, i) => rows.set(W.subarray(c * p, (c + 1) * p), i * p));
    const cos = rowCosines(array([alive.length, p], rows)).data;
    alive.forEach((ci, i) => {
      alive.forEach((cj, j) => {
        cosines[ci * C + cj] = cos[i * alive.length + j];
      });
    });
  }
  return {
    ratio,
    loss,
    lam,
    steps: result.steps,
    cosMinor: array([T], cosMinor),
    cosMajor: array([T], cosMajor),
    cosines: array([C, C], cosines),
    rowNorms: array([C], rowNorms),
    classSizes,
    rowNormsPerStep: array([T, C], normsPerStep),
  };
}
