/*
 * Port of ufm/subspace.py: the invariant subspace S, the norm ||·||_E, the distance from S,
 * the split of the risk on S and random points of S with a chosen rank.
 *
 *   normE(H, W, b)                  ||(H, W, b)||_E, a Number
 *   distanceToS(H, W, b)            ||Z - proj_S Z||_E / ||Z||_E, a Number
 *   riskPartsOnS(W, b, N)           [classifier part, bias part] (Numbers)
 *   pointInS(C, N, p, rank, scale = 1, beta = 0, seed = null)
 *                                   [H, W, b]: W = P G1 G2 scaled to ||W||_F = scale,
 *                                   drawn as numpy draws it
 *
 * Kernels on one state, raw row-major Float64Arrays (W C x p, b C, u = √N H̄ p x C,
 * within = tr Σ), shared with dynamics.js and experiments.js:
 *   _projectParts(Hbar, W, b, N, C, p)   {V (C x p), beta}: V = P (W + √N H̄^T)/2, mean(b)
 *   _offSSq(W, b, u, within, C, p)       ||Z - proj_S Z||_E^2
 *   _normESq(W, b, u, within, C, p)      ||Z||_E^2
 *   _distance(W, b, u, within, C, p)     their ratio's square root
 */

import { _classSummary, repeatTransposed } from "./collapse.js";
import { array, matmul, pairwiseSum } from "./linalg.js";
import { asArray, positiveFloat, positiveInt, seedOrNone, sizes, triple } from "./model.js";
import { Generator } from "./random.js";

export function _projectParts(Hbar, W, b, N, C, p) {
  const s = Math.sqrt(N);
  const V = new Float64Array(C * p);
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < p; k++) V[c * p + k] = (W[c * p + k] + s * Hbar[k * C + c]) / 2;
  }
  // V -= V.mean(axis=-2): the rows are added one after another (numpy's axis-0 reduction).
  for (let k = 0; k < p; k++) {
    let sum = 0.0;
    for (let c = 0; c < C; c++) sum += V[c * p + k];
    const mean = sum / C;
    for (let c = 0; c < C; c++) V[c * p + k] -= mean;
  }
  return { V, beta: pairwiseSum(b, 0, C, 1) / C };
}

export function _offSSq(W, b, u, within, C, p) {
  let meanRow = 0.0;
  let diff = 0.0;
  for (let k = 0; k < p; k++) {
    let sum = 0.0;
    for (let c = 0; c < C; c++) {
      const w = W[c * p + k];
      const x = u[k * C + c];
      sum += w + x;
      diff += (w - x) * (w - x);
    }
    meanRow += sum * sum;
  }
  const bMean = pairwiseSum(b, 0, C, 1) / C;
  let spread = 0.0;
  for (let c = 0; c < C; c++) spread += (b[c] - bMean) * (b[c] - bMean);
  return (meanRow / C + diff) / 2 + within + spread;
}

export function _normESq(W, b, u, within, C, p) {
  let uu = 0.0;
  let ww = 0.0;
  for (let i = 0; i < C * p; i++) {
    uu += u[i] * u[i];
    ww += W[i] * W[i];
  }
  let bb = 0.0;
  for (let c = 0; c < C; c++) bb += b[c] * b[c];
  return uu + within + ww + bb;
}

export function _distance(W, b, u, within, C, p) {
  return Math.sqrt(_offSSq(W, b, u, within, C, p) / _normESq(W, b, u, within, C, p));
}

function sq(x) {
  let s = 0.0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

export function normE(H, W, b) {
  triple(H, W, b);
  return Math.sqrt(sq(H.data) + sq(W.data) + sq(b.data));
}

export function distanceToS(H, W, b) {
  const { C, N, p } = triple(H, W, b);
  const nonzero = (a) => a.data.some((x) => x !== 0);
  if (!(nonzero(H) || nonzero(W) || nonzero(b))) {
    throw new Error("the state (H, W, b) is zero, so the relative distance from S is 0/0");
  }
  const [Hbar, within] = _classSummary(H.data, p, C, N);
  const s = Math.sqrt(N);
  const u = Hbar.map((x) => s * x);
  return _distance(W.data, b.data, u, within, C, p);
}

export function riskPartsOnS(W, b, N) {
  asArray(W, "W", 2);
  asArray(b, "b", 1);
  positiveInt(N, "N");
  const [C, p] = W.shape;
  if (C < 2 || b.shape[0] !== C) {
    throw new Error(
      `W has ${C} rows and b has ${b.shape[0]} entries; expected C >= 2 of each`,
    );
  }
  const w = W.data;
  const s = Math.sqrt(N);
  let gap = 0.0;
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) {
      let g = 0.0;
      for (let k = 0; k < p; k++) g += w[i * p + k] * w[j * p + k];
      const d = g / s - ((i === j ? 1.0 : 0.0) - 1.0 / C);
      gap += d * d;
    }
  }
  const beta = pairwiseSum(b.data, 0, C, 1) / C;
  const bias = C * beta - 1;
  return [gap / (2 * C), (bias * bias) / (2 * C)];
}

export function pointInS(C, N, p, rank, scale = 1.0, beta = 0.0, seed = null) {
  sizes(C, N, p);
  positiveInt(rank, "rank");
  if (rank > Math.min(C - 1, p)) {
    throw new Error(
      `rank = ${rank}, but W in S has rank at most min(C - 1, p) = ${Math.min(C - 1, p)}`,
    );
  }
  positiveFloat(scale, "scale");
  if (typeof beta !== "number" || !Number.isFinite(beta)) {
    throw new Error("beta has NaN or infinite entries; expected finite numbers");
  }
  const rng = new Generator(seedOrNone(seed));
  const G1 = rng.standardNormal([C, rank]);
  const G2 = rng.standardNormal([rank, p]);
  const W = matmul(G1, G2, C, rank, p);
  // Centred twice, as ufm.subspace._centred_columns does (one pass can leave column sums
  // large next to a column whose entries nearly agree).
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < p; k++) {
      let sum = 0.0;
      for (let c = 0; c < C; c++) sum += W[c * p + k];
      const mean = sum / C;
      for (let c = 0; c < C; c++) W[c * p + k] -= mean;
    }
  }
  const factor = scale / Math.sqrt(sq(W));
  for (let i = 0; i < W.length; i++) W[i] *= factor;
  return [
    array([p, C * N], repeatTransposed(W, C, p, N, Math.sqrt(N))),
    array([C, p], W),
    array([C], new Float64Array(C).fill(beta)),
  ];
}
