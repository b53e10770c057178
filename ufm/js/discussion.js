/*
 * Port of the experiments of ufm/experiments/discussion.py that the explorers of the
 * discussion chapter run (ufm/js/explorers/limits.js), with what they need from ufm.
 *
 * Constants (as in Python): C0, N0, P0 (3, 3, 15), INIT_LR, INIT_STEPS, INIT_SEEDS,
 * STEP_EPS, STEP_STEPS, DECAY_VALUES, IMBALANCE_DECAY_VALUES, VANISHED, VANISHED_ROW,
 * LOSS_NAMES. The sweeps (INIT_EPS, STEP_LRS: init_size_sweep, step_size_sweep) are not
 * ported: the explorers get them from Python, in their spec's data.
 *
 *   randomInit(C, N, p, eps, seed = null)
 *                      [H, W, b] as ufm.random_init (H then W drawn as numpy draws them)
 *   descentFrom(H, W, b, lr, steps, recordEvery = 1, {reduceSpan = true})
 *                      ufm.gradient_descent from a full state (H, W, b): a Trajectory
 *                      {final: [H, W, b], steps, risk, errors ([T, 3]), distanceToS,
 *                      divergedAt (null or the step), lr}; reduceSpan: false runs in all
 *                      p coordinates (the same iteration, rounded differently)
 *   sharpness(H, W, b) the largest eigenvalue of the Hessian of R_e (ufm.spectrum.sharpness)
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
 * descentFrom. Python runs gradient descent from (H, W, b) with its full or its reduced
 * engine, whichever it estimates faster; both are the same iteration and agree to
 * rounding. Here it always runs dynamics.js's reduced engine (ReducedDescent and run),
 * started as Python's reduced path starts it from a full state: class means H̄ and a
 * factor L_0 of the within-class deviations Δ_0 with Δ_0 = L_0 Q^T, here Q the Helmert
 * basis of each class's deviations (C(N-1) columns), so that the final features are
 * rebuilt exactly as Δ_k = L_k Q^T. Two more exact savings: (1) every iterate stays in the
 * span of the columns of W_0^T, H̄_0 and L_0 (the updates W ← W - a E F^T and
 * [u, L] ← [u, L] - a W^T E only combine them), so when that span (at most 2C + C(N-1)
 * dimensions) is smaller than p the run works in an orthonormal basis B of it (p' < p
 * coordinates, mapped back at the end; the recorded measures are invariant under this
 * rotation of feature space); (2) nothing depends on N beyond the factor. With C = 10,
 * N = 3, p = 64 (the largest narrow setting) p' = 40 instead of 64. Python's full engine
 * would not save these; the results agree to rounding.
 *
 * sharpness. Python forms the Hessian (d = pCN + Cp + C) and diagonalises it; here
 * Lanczos with full reorthogonalisation on spectrum.js's hessianVectorProduct, from a
 * fixed random start, stopped when the residual bound β_j |s_j| of the largest Ritz value
 * is below 1e-13 times the largest Ritz magnitude (or the Krylov space is invariant).
 * It belongs with spectrum.js, and is here only because spectrum.js had another owner
 * when this was written: move it there (with its test) as it is.
 */

import { _errors, classSummary, ncMetrics, simplexBasis } from "./collapse.js";
import { ReducedDescent, run } from "./dynamics.js";
import { snapshotSchedule } from "./experiments.js";
import { classLabels, extendedDescent, extendedInit, rowCosines } from "./extensions.js";
import { array, eigh, eigvalsh, pairwiseSum, qr, svd } from "./linalg.js";
import { positiveFloat, positiveInt, seedOrNone, sizes, triple } from "./model.js";
import { Generator } from "./random.js";
import { hessianVectorProduct } from "./spectrum.js";
import { _distance } from "./subspace.js";

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
// ufm.model.random_init and ufm.gradient_descent from a full state.

function frobenius(x) {
  let s = 0.0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

export function randomInit(C, N, p, eps, seed = null) {
  sizes(C, N, p);
  positiveFloat(eps, "eps");
  const rng = new Generator(seedOrNone(seed));
  const H = rng.standardNormal([p, C * N]);
  const W = rng.standardNormal([C, p]);
  const nH = frobenius(H);
  const nW = frobenius(W);
  for (let i = 0; i < H.length; i++) H[i] = (eps * H[i]) / nH;
  for (let i = 0; i < W.length; i++) W[i] = (eps * W[i]) / nW;
  return [array([p, C * N], H), array([C, p], W), array([C], new Float64Array(C))];
}

/** The recorded measures of one run (as dynamics.js's Results, which is not exported). */
class Recorder {
  constructor(T, C, p, N) {
    this.C = C;
    this.p = p;
    this.N = N;
    this.count = 0;
    this.risk = new Float64Array(T);
    this.errors = new Float64Array(3 * T);
    this.distance = new Float64Array(T);
  }

  add(W, b, u, within, riskSq) {
    const { C, p, N } = this;
    const t = this.count++;
    this.risk[t] = riskSq / (2 * C * N);
    _errors(W, b, u, within, N, C, p, this.errors, 3 * t);
    this.distance[t] = _distance(W, b, u, within, C, p);
  }
}

/** A (m x k) times B (k x n), plain loops (small matrices, done once per run). */
function product(A, B, m, k, n, transA = false, transB = false) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0.0;
      for (let l = 0; l < k; l++) {
        s += (transA ? A[l * m + i] : A[i * k + l]) * (transB ? B[j * k + l] : B[l * n + j]);
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

export function descentFrom(H, W, b, lr, steps, recordEvery = 1, { reduceSpan = true } = {}) {
  const { C, N, p } = triple(H, W, b);
  positiveInt(steps, "steps");
  positiveInt(recordEvery, "record_every");
  positiveFloat(lr, "lr");
  const CN = C * N;
  const h = H.data;
  // Class means (blocks.mean(axis=-1)) and deviations.
  const Hbar = new Float64Array(p * C);
  for (let k = 0; k < p; k++) {
    for (let c = 0; c < C; c++) Hbar[k * C + c] = pairwiseSum(h, k * CN + c * N, N, 1) / N;
  }
  // L_0 = Δ_0 Q with Q the Helmert basis of each class's deviations: p x C(N-1).
  const r = C * (N - 1);
  const Nm = N - 1;
  const U = N > 1 ? simplexBasis(N).data : new Float64Array(0);
  const L0 = new Float64Array(p * r);
  for (let k = 0; k < p; k++) {
    for (let c = 0; c < C; c++) {
      const mean = Hbar[k * C + c];
      for (let j = 0; j < Nm; j++) {
        let s = 0.0;
        for (let i = 0; i < N; i++) s += (h[k * CN + c * N + i] - mean) * U[i * Nm + j];
        L0[k * r + c * Nm + j] = s;
      }
    }
  }
  // The invariant span of W_0^T, H̄_0 and L_0, when it is smaller than p.
  const m = 2 * C + r;
  let B = null;
  let pp = p;
  let Wr = W.data;
  let Hr = Hbar;
  let Lr = L0;
  if (reduceSpan && m < p) {
    const A = new Float64Array(p * m);
    for (let k = 0; k < p; k++) {
      for (let c = 0; c < C; c++) {
        A[k * m + c] = W.data[c * p + k];
        A[k * m + C + c] = Hbar[k * C + c];
      }
      for (let j = 0; j < r; j++) A[k * m + 2 * C + j] = L0[k * r + j];
    }
    B = qr(A, p, m).Q; // p x m, orthonormal columns spanning (at least) the columns of A
    pp = m;
    Wr = product(W.data, B, C, p, m); // W B
    Hr = product(B, Hbar, m, p, C, true); // B^T H̄
    Lr = product(B, L0, m, p, r, true); // B^T L_0
  }
  const recorded = [];
  for (let j = 0; j <= steps; j += recordEvery) recorded.push(j);
  if (recorded[recorded.length - 1] !== steps) recorded.push(steps);
  const T = recorded.length;
  const results = new Recorder(T, C, pp, N);
  const engine = new ReducedDescent(Hr, Lr, r, Wr, b.data, N, lr, results);
  const { divergedAt, frozen } = run(engine, steps, recordEvery);
  if (divergedAt >= 0) {
    for (let t = 0; t < T; t++) {
      if (recorded[t] >= divergedAt) {
        results.risk[t] = NaN;
        results.distance[t] = NaN;
        results.errors.fill(NaN, 3 * t, 3 * t + 3);
      }
    }
  }
  const last = frozen ?? engine.take();
  let Wf = last.W;
  let Hbf = last.Hbar;
  let Lf = last.L;
  if (B !== null) {
    Wf = product(last.W, B, C, m, p, false, true); // W' B^T
    Hbf = product(B, last.Hbar, p, m, C); // B H̄'
    Lf = product(B, last.L, p, m, r); // B L'
  }
  // H = H̄ ⊗ 1_N^T + L Q^T.
  const Hf = new Float64Array(p * CN);
  for (let k = 0; k < p; k++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < N; i++) {
        let s = 0.0;
        for (let j = 0; j < Nm; j++) s += Lf[k * r + c * Nm + j] * U[i * Nm + j];
        Hf[k * CN + c * N + i] = Hbf[k * C + c] + s;
      }
    }
  }
  return {
    final: [array([p, CN], Hf), array([C, p], Wf), array([C], Float64Array.from(last.b))],
    steps: array([T], Int32Array.from(recorded)),
    risk: array([T], results.risk),
    errors: array([T, 3], results.errors),
    distanceToS: array([T], results.distance),
    divergedAt: divergedAt >= 0 ? divergedAt : null,
    lr,
  };
}

// ---------------------------------------------------------------------------------------
// ufm.spectrum.sharpness (belongs in spectrum.js, see the header).

function dot(x, y, n) {
  let s = 0.0;
  for (let i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}

/**
 * The largest eigenvalue of the Hessian of R_e at (H, W, b), by Lanczos on
 * hessianVectorProduct (see the header). It belongs in spectrum.js (ufm.spectrum.sharpness):
 * it is here because spectrum.js had another owner when it was written.
 */
export function sharpness(H, W, b, tol = 1e-13) {
  const { C, N, p } = triple(H, W, b);
  const nH = p * C * N;
  const nW = C * p;
  const d = nH + nW + C;
  const apply = (v, out) => {
    const parts = hessianVectorProduct(
      H,
      W,
      b,
      array(H.shape, v.subarray(0, nH)),
      array(W.shape, v.subarray(nH, nH + nW)),
      array(b.shape, v.subarray(nH + nW)),
    );
    out.set(parts[0].data, 0);
    out.set(parts[1].data, nH);
    out.set(parts[2].data, nH + nW);
  };
  const Q = new Float64Array(d * d); // the Lanczos vectors, as rows
  const start = new Generator(0).standardNormal(d);
  const norm0 = Math.sqrt(dot(start, start, d));
  for (let i = 0; i < d; i++) Q[i] = start[i] / norm0;
  const alpha = [];
  const beta = [];
  const w = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const q = Q.subarray(j * d, (j + 1) * d);
    apply(q, w);
    const a = dot(q, w, d);
    alpha.push(a);
    // Full reorthogonalisation (twice is enough) against every Lanczos vector so far.
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i <= j; i++) {
        const qi = Q.subarray(i * d, (i + 1) * d);
        const c = dot(qi, w, d);
        for (let l = 0; l < d; l++) w[l] -= c * qi[l];
      }
    }
    const bj = Math.sqrt(dot(w, w, d));
    const n = j + 1;
    const T = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      T[i * n + i] = alpha[i];
      if (i + 1 < n) {
        T[i * n + i + 1] = beta[i];
        T[(i + 1) * n + i] = beta[i];
      }
    }
    const { values, vectors } = eigh(T, n);
    const theta = values[n - 1];
    const scale = Math.max(Math.abs(values[0]), Math.abs(theta));
    const residual = bj * Math.abs(vectors[(n - 1) * n + n - 1]);
    if (residual <= tol * scale || j === d - 1 || !(bj > 0)) return theta;
    beta.push(bj);
    const next = Q.subarray((j + 1) * d, (j + 2) * d);
    for (let l = 0; l < d; l++) next[l] = w[l] / bj;
  }
  throw new Error("sharpness: Lanczos did not stop"); // not reached (j = d - 1 returns)
}

// ---------------------------------------------------------------------------------------
// ufm/experiments/discussion.py

export function initRun(eps, { seed = 0, recordEvery = 10, reduceSpan = true } = {}) {
  const start = randomInit(C0, N0, P0, eps, seed);
  return descentFrom(...start, INIT_LR, INIT_STEPS, recordEvery, { reduceSpan });
}

export function stepRun(lr, { seed = 0, recordEvery = 10, reduceSpan = true } = {}) {
  const start = randomInit(C0, N0, P0, STEP_EPS, seed);
  return descentFrom(...start, lr, STEP_STEPS, recordEvery, { reduceSpan });
}

export function narrowRun(C, p, { N = 3, seed = 0, steps = 6000 } = {}) {
  sizes(C, N, p);
  const trajectory = descentFrom(...randomInit(C, N, p, 0.01, seed), 1.0, steps, 20);
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
