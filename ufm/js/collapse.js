/*
 * Port of ufm/collapse.py: strong neural collapse, the three strong-collapse errors and the
 * neural-collapse measures NC1–NC4.
 *
 *   simplexBasis(C)                  the Helmert basis of 1^⊥, [C, C-1]
 *   strongCollapse(C, N, p, seed)    [H, W, b], a point of strong collapse (seed null: the
 *                                    canonical point; a seed: Q drawn as numpy draws it)
 *   classSummary(H, C)               [Hbar ([p, C]), within = ||Δ||_F^2 (a Number)]
 *   strongCollapseErrors(H, W, b)    Float64Array(3): ||W W^T - √N P||_F,
 *                                    ||H - (W ⊗ 1)^T/√N||_F / ||H||_F, ||b - 1/C||
 *   ncMetrics(features, labels, W, b)
 *                                    {nc1, nc2_equinorm, nc2_equiangular, nc2_maxangle,
 *                                    nc3, nc4} (nc3, nc4 only with W), as ufm.nc_metrics
 *
 * Kernels shared with the other ports (raw row-major Float64Arrays, one state):
 *   _errors(W, b, u, within, N, C, p, out, at)   the errors from W (C x p), b, u = √N H̄
 *                                                (p x C) and tr Σ, as collapse._errors
 *   _nc1(means, p, C, n, L, cols)                NC1 from the class means (p x C) and a
 *                                                factor L (p x cols) of the scatter
 *
 * Sums that numpy computes with its pairwise summation use linalg.pairwiseSum, and the
 * other sums keep numpy's order where it is sequential, so that the measures that are
 * tiny differences of large numbers (NC2 near collapse) round as numpy's do.
 */

import { EPS, array, matmul, matmulNT, matmulTN, pairwiseSum, qr, svd } from "./linalg.js";
import { asArray, positiveInt, seedOrNone, sizes, triple } from "./model.js";
import { Generator } from "./random.js";

export function simplexBasis(C) {
  positiveInt(C, "C", 2);
  const U = new Float64Array(C * (C - 1));
  for (let j = 1; j < C; j++) {
    const norm = Math.sqrt(j * (j + 1));
    for (let i = 0; i < j; i++) U[i * (C - 1) + j - 1] = 1.0;
    U[j * (C - 1) + j - 1] = -j;
    for (let i = 0; i < C; i++) U[i * (C - 1) + j - 1] /= norm;
  }
  return array([C, C - 1], U);
}

export function strongCollapse(C, N, p, seed = null) {
  sizes(C, N, p);
  if (p < C - 1) {
    throw new Error(
      `p = ${p} < C - 1 = ${C - 1}: strong neural collapse needs p >= C - 1, since ` +
        "W W^T = sqrt(N) P has rank C - 1",
    );
  }
  const k = C - 1;
  let Q;
  if (seed === null) {
    Q = new Float64Array(p * k);
    for (let i = 0; i < k; i++) Q[i * k + i] = 1.0;
  } else {
    const rng = new Generator(seedOrNone(seed));
    const f = qr(rng.standardNormal([p, k]), p, k);
    Q = f.Q;
    for (let j = 0; j < k; j++) {
      const sign = Math.sign(f.R[j * k + j]);
      for (let i = 0; i < p; i++) Q[i * k + j] *= sign;
    }
  }
  const U = simplexBasis(C).data;
  const scale = N ** 0.25;
  for (let i = 0; i < U.length; i++) U[i] *= scale;
  const W = matmulNT(U, Q, C, k, p); // (N^(1/4) U) Q^T
  const H = repeatTransposed(W, C, p, N, Math.sqrt(N));
  return [array([p, C * N], H), array([C, p], W), array([C], new Float64Array(C).fill(1.0 / C))];
}

/** np.repeat(W.T, N, axis=1) / divisor: p x CN, column c*N + n is row c of W / divisor. */
export function repeatTransposed(W, C, p, N, divisor) {
  const CN = C * N;
  const H = new Float64Array(p * CN);
  for (let k = 0; k < p; k++) {
    for (let c = 0; c < C; c++) {
      const v = W[c * p + k] / divisor;
      H.fill(v, k * CN + c * N, k * CN + (c + 1) * N);
    }
  }
  return H;
}

/** Class means (p x C) and within-class sum of squares of H (p x CN), as _split and _sq. */
export function _classSummary(H, p, C, N) {
  const Hbar = new Float64Array(p * C);
  let within = 0.0;
  for (let k = 0; k < p; k++) {
    for (let c = 0; c < C; c++) {
      const start = k * C * N + c * N;
      const mean = pairwiseSum(H, start, N, 1) / N;
      Hbar[k * C + c] = mean;
      for (let n = 0; n < N; n++) {
        const d = H[start + n] - mean;
        within += d * d;
      }
    }
  }
  return [Hbar, within];
}

export function classSummary(H, C) {
  asArray(H, "H", 2);
  positiveInt(C, "C", 2);
  const [p, CN] = H.shape;
  if (CN % C) throw new Error(`H has ${CN} columns; expected a multiple of C = ${C}`);
  const [Hbar, within] = _classSummary(H.data, p, C, CN / C);
  return [array([p, C], Hbar), within];
}

/*
 * collapse._errors for one state, written into out[at], out[at+1], out[at+2]. W is C x p, b
 * has C entries, u = sqrt(N) H̄ is p x C, within = tr Σ. The C x C branch when C <= p + 1,
 * the expansion without a C x C matrix otherwise (see the Python docstring).
 */
export function _errors(W, b, u, within, N, C, p, out = new Float64Array(3), at = 0) {
  const s = Math.sqrt(N);
  let e1;
  if (C <= p + 1) {
    let sq = 0.0;
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < C; j++) {
        let g = 0.0;
        for (let k = 0; k < p; k++) g += W[i * p + k] * W[j * p + k];
        g -= s * ((i === j ? 1.0 : 0.0) - 1.0 / C);
        sq += g * g;
      }
    }
    e1 = Math.sqrt(sq);
  } else {
    let sqM = 0.0;
    let trace = 0.0;
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        let m = 0.0;
        for (let c = 0; c < C; c++) m += W[c * p + i] * W[c * p + j];
        sqM += m * m;
        if (i === j) trace += m;
      }
    }
    let col = 0.0;
    for (let k = 0; k < p; k++) {
      let sum = W[k];
      for (let c = 1; c < C; c++) sum += W[c * p + k];
      col += sum * sum;
    }
    const sq = sqM - 2 * s * (trace - col / C) + N * (C - 1);
    e1 = Math.sqrt(Math.max(sq, 0.0));
  }
  let diff = 0.0;
  let uu = 0.0;
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < p; k++) {
      const x = u[k * C + c];
      const d = W[c * p + k] - x;
      diff += d * d;
      uu += x * x;
    }
  }
  let e3 = 0.0;
  for (let c = 0; c < C; c++) {
    const d = b[c] - 1.0 / C;
    e3 += d * d;
  }
  out[at] = e1;
  out[at + 1] = Math.sqrt((diff + within) / (uu + within));
  out[at + 2] = Math.sqrt(e3);
  return out;
}

export function strongCollapseErrors(H, W, b) {
  const { C, N, p } = triple(H, W, b);
  if (!H.data.some((x) => x !== 0)) {
    throw new Error("H is zero, so the relative error ||H - (W ⊗ 1)^T/√N|| / ||H|| is 0/0");
  }
  const [Hbar, within] = _classSummary(H.data, p, C, N);
  const s = Math.sqrt(N);
  const u = Hbar.map((x) => s * x);
  return _errors(W.data, b.data, u, within, N, C, p);
}

/*
 * The directions NC1 keeps: the left singular vectors u_i of the centred class means M
 * (p x C, from the class means `means`) whose singular value s_i passes the cut of
 * collapse._nc1. Returns {U (p x r), s, r, keep (indices i)}, or null when M is zero.
 */
export function _nc1Directions(means, p, C) {
  const M = new Float64Array(p * C);
  let sqMeans = 0.0;
  for (let k = 0; k < p; k++) {
    const mean = pairwiseSum(means, k * C, C, 1) / C;
    for (let c = 0; c < C; c++) {
      M[k * C + c] = means[k * C + c] - mean;
      sqMeans += means[k * C + c] * means[k * C + c];
    }
  }
  const { U, s } = svd(M, p, C);
  const r = s.length;
  if (!(s[0] > 0)) return null;
  const cut = Math.max(p, C) * EPS * Math.max(s[0], Math.sqrt(sqMeans));
  const keep = [];
  for (let i = 0; i < r; i++) if (s[i] > cut) keep.push(i);
  return { U, s, r, keep };
}

/*
 * collapse._nc1 for one state given a factor L (p x cols) of the scatter: NC1 =
 * sum over the kept left singular vectors u_i of M of ||u_i^T L||^2 / s_i^2, over n.
 */
export function _nc1(means, p, C, n, L, cols) {
  const dirs = _nc1Directions(means, p, C);
  if (dirs === null) return NaN;
  const { U, s, r, keep } = dirs;
  let value = 0.0;
  const row = new Float64Array(cols);
  for (const i of keep) {
    row.fill(0.0);
    for (let k = 0; k < p; k++) {
      const uk = U[k * r + i];
      const Lk = k * cols;
      for (let j = 0; j < cols; j++) row[j] += uk * L[Lk + j];
    }
    for (let j = 0; j < cols; j++) {
      const x = row[j] / s[i];
      value += x * x;
    }
  }
  return value / n;
}

/*
 * The per-sample part of nc_metrics: with dev_i = x_i − μ_{y_i} and q_i = Uᵀ dev_i (U the
 * left singular vectors of the centred means, two products over all samples),
 * - NC1's sum over the kept directions of (q_i)_j² / s_j²;
 * - NC4's nearest mean: ‖x_i − μ_c‖² = ‖dev_i‖² + 2 q_iᵀ Uᵀ(μ_{y_i} − μ_c) + ‖μ_{y_i} − μ_c‖²
 *   (μ_y − μ_c lies in the span of U), against the classifier's argmax of W x_i + b;
 * - when `targets` is set, the squared residual Σ_i ‖W x_i + b − e_{y_i}‖² (the risk's).
 * That is 2 C p multiply-adds per sample, against 3 C p for numpy's version.
 */
function samplePass(x, p, n, y, C, means, dirs, w, bias, targets) {
  const { U, s, r, keep } = dirs;
  const dev = new Float64Array(p * n);
  for (let k = 0; k < p; k++) {
    const row = k * n;
    for (let i = 0; i < n; i++) dev[row + i] = x[row + i] - means[k * C + y[i]];
  }
  const q = matmulTN(U, dev, p, r, n);
  let nc1 = 0.0;
  for (const j of keep) {
    const inv = 1.0 / s[j];
    const row = j * n;
    for (let i = 0; i < n; i++) {
      const v = q[row + i] * inv;
      nc1 += v * v;
    }
  }
  const out = { nc1: nc1 / n, nc4: NaN, residual: NaN };
  if (w === null) return out;
  // v_i = (Uᵀ μ_c)ᵀ q_i (C x n), so that q_iᵀ Uᵀ(μ_{y_i} − μ_c) = v_{y_i, i} − v_{c, i},
  // and ‖μ_a − μ_c‖² (C x C).
  const v = matmulTN(matmulTN(U, means, p, r, C), q, r, C, n);
  const gap = _squaredGaps(means, means, p, C);
  const scores = matmul(w, x, C, p, n);
  let differ = 0;
  let residual = 0.0;
  for (let i = 0; i < n; i++) {
    const c0 = y[i];
    const own = v[c0 * n + i];
    let best = 0;
    let bestScore = -Infinity;
    let near = 0;
    let nearSq = Infinity;
    for (let c = 0; c < C; c++) {
      const score = scores[c * n + i] + bias[c];
      if (score > bestScore || c === 0) {
        best = c;
        bestScore = score;
      }
      if (targets) {
        const e = score - (c === c0 ? 1.0 : 0.0);
        residual += e * e;
      }
      const sq = 2 * (own - v[c * n + i]) + gap[c0 * C + c];
      if (sq < nearSq || c === 0) {
        near = c;
        nearSq = sq;
      }
    }
    if (best !== near) differ++;
  }
  out.nc4 = differ / n;
  out.residual = residual;
  return out;
}

/**
 * The centred class means M (p x C) of the class means, and the norms of its columns
 * (numpy reduces axis 0 row after row). Throws when all class means coincide.
 */
export function _centredMeans(means, p, C) {
  const M = new Float64Array(p * C);
  for (let k = 0; k < p; k++) {
    const m = pairwiseSum(means, k * C, C, 1) / C;
    for (let c = 0; c < C; c++) M[k * C + c] = means[k * C + c] - m;
  }
  const norms = new Float64Array(C);
  for (let k = 0; k < p; k++) for (let c = 0; c < C; c++) norms[c] += M[k * C + c] * M[k * C + c];
  for (let c = 0; c < C; c++) norms[c] = Math.sqrt(norms[c]);
  if (!norms.some((v) => v !== 0)) {
    throw new Error("the features' class means all coincide, so NC1–NC3 are 0/0");
  }
  return { M, norms };
}

/** NC2 of nc_metrics from the centred means and their norms: equinorm and the angles. */
export function _nc2(M, norms, p, C) {
  if (norms.some((v) => v === 0)) {
    throw new Error("a class mean of the features equals the global mean, so its cosines are 0/0");
  }
  const unit = new Float64Array(p * C);
  for (let k = 0; k < p; k++) for (let c = 0; c < C; c++) unit[k * C + c] = M[k * C + c] / norms[c];
  const cos = matmulTN(unit, unit, p, C, C);
  const gaps = new Float64Array(C * (C - 1));
  const rowMax = new Float64Array(C);
  let g = 0;
  for (let i = 0; i < C; i++) {
    rowMax[i] = -Infinity;
    for (let j = 0; j < C; j++) {
      if (i === j) continue;
      const gap = Math.abs(cos[i * C + j] + 1.0 / (C - 1));
      gaps[g++] = gap;
      if (gap > rowMax[i] || Number.isNaN(gap)) rowMax[i] = gap;
    }
  }
  const normMean = mean(norms);
  const centred = norms.map((v) => (v - normMean) * (v - normMean));
  return {
    nc2_equinorm: Math.sqrt(mean(centred)) / mean(norms),
    nc2_equiangular: mean(gaps),
    nc2_maxangle: mean(rowMax),
  };
}

/** NC3 of nc_metrics: ‖Wᵀ/‖W‖_F − M/‖M‖_F‖_F², W (C x p) not zero. */
export function _nc3(w, M, p, C) {
  if (!w.some((v) => v !== 0)) throw new Error("W is zero, so W^T/||W||_F in NC3 is 0/0");
  let ww = 0.0;
  for (let i = 0; i < w.length; i++) ww += w[i] * w[i];
  let mm = 0.0;
  for (let i = 0; i < M.length; i++) mm += M[i] * M[i];
  const nw = Math.sqrt(ww);
  const nm = Math.sqrt(mm);
  let nc3 = 0.0;
  for (let k = 0; k < p; k++) {
    for (let c = 0; c < C; c++) {
      const d = w[c * p + k] / nw - M[k * C + c] / nm;
      nc3 += d * d;
    }
  }
  return nc3;
}

/** ‖a_i − b_c‖² for the columns of A and B (both p x C), as a C x C matrix. */
export function _squaredGaps(A, B, p, C) {
  const gap = new Float64Array(C * C);
  for (let i = 0; i < C; i++) {
    for (let c = 0; c < C; c++) {
      let g = 0.0;
      for (let k = 0; k < p; k++) {
        const d = A[k * C + i] - B[k * C + c];
        g += d * d;
      }
      gap[i * C + c] = g;
    }
  }
  return gap;
}

function mean(x) {
  return pairwiseSum(x, 0, x.length, 1) / x.length;
}

export function ncMetrics(features, labels, W = null, b = null) {
  return _ncMetrics(features, labels, W, b, false);
}

/**
 * ncMetrics, and with `withResidual` (and W) also `residual`: Σ_i ‖W x_i + b − e_{y_i}‖²,
 * the risk's squared residual, from the same pass over the samples (collapseMeasures).
 */
export function _ncMetrics(features, labels, W, b, withResidual) {
  const X = asArray(features, "features", 2);
  const [p, n] = X.shape;
  const x = X.data;
  const y = Array.from(labels.data ?? labels);
  if (y.length !== n) {
    throw new Error(
      `labels has shape (${y.length},); expected (${n},), one per sample`,
    );
  }
  if (!y.every((v) => Number.isInteger(v))) {
    throw new TypeError("labels must be integers 0, …, C-1");
  }
  let C;
  if (W !== null) {
    asArray(W, "W", 2);
    if (W.shape[1] !== p) {
      throw new Error(`W has ${W.shape[1]} columns; expected p = ${p} (rows of features)`);
    }
    C = W.shape[0];
  } else {
    C = y.reduce((a, v) => Math.max(a, v), -Infinity) + 1;
  }
  if (C < 2) throw new Error(`there are C = ${C} classes; expected at least 2`);
  const lo = y.reduce((a, v) => Math.min(a, v), Infinity);
  const hi = y.reduce((a, v) => Math.max(a, v), -Infinity);
  if (lo < 0 || hi >= C) {
    throw new Error(`labels must lie in 0, …, ${C - 1}; got values ${lo} … ${hi}`);
  }
  const counts = new Float64Array(C);
  for (const v of y) counts[v] += 1;
  const empty = [];
  for (let c = 0; c < C; c++) if (counts[c] === 0) empty.push(c);
  if (empty.length) {
    throw new Error(
      `classes [${empty.join(", ")}] have no sample; every class 0, …, ${C - 1} needs one`,
    );
  }

  // Class means (np.add.at: the samples of a class added in order).
  const means = new Float64Array(p * C);
  for (let k = 0; k < p; k++) {
    const row = k * n;
    for (let i = 0; i < n; i++) means[k * C + y[i]] += x[row + i];
  }
  for (let k = 0; k < p; k++) for (let c = 0; c < C; c++) means[k * C + c] /= counts[c];
  const { M, norms } = _centredMeans(means, p, C);
  let bias = new Float64Array(C);
  if (W !== null && b !== null) {
    asArray(b, "b", 1);
    if (b.shape[0] !== C) throw new Error(`b has ${b.shape[0]} entries; expected C = ${C}`);
    bias = b.data;
  }
  const dirs = _nc1Directions(means, p, C);
  const pass = samplePass(x, p, n, y, C, means, dirs, W === null ? null : W.data, bias, withResidual);
  const out = { nc1: pass.nc1, ..._nc2(M, norms, p, C) };
  if (W !== null) {
    out.nc3 = _nc3(W.data, M, p, C);
    out.nc4 = pass.nc4;
  }
  if (withResidual) out.residual = pass.residual;
  return out;
}

