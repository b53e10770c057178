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
 * collapse._nc1 for one state given a factor L (p x cols) of the scatter: NC1 =
 * sum over the kept left singular vectors u_i of M of ||u_i^T L||^2 / s_i^2, over n.
 */
export function _nc1(means, p, C, n, L, cols) {
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
  const top = s[0];
  if (!(top > 0)) return NaN;
  const level = Math.max(top, Math.sqrt(sqMeans));
  const cut = Math.max(p, C) * EPS * level;
  let value = 0.0;
  const row = new Float64Array(cols);
  for (let i = 0; i < r; i++) {
    if (!(s[i] > cut)) continue;
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

function mean(x) {
  return pairwiseSum(x, 0, x.length, 1) / x.length;
}

export function ncMetrics(features, labels, W = null, b = null) {
  const X = asArray(features, "features", 2);
  const [p, n] = X.shape;
  const x = X.data;
  const y = Array.from(labels.data ?? labels);
  if (y.length !== n) {
    throw new Error(
      `labels has shape (${y.length},); expected (${n},), one per column of features`,
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

  // Class means (np.add.at: samples added in order), centred means M, deviations.
  const means = new Float64Array(p * C);
  for (let i = 0; i < n; i++) {
    const c = y[i];
    for (let k = 0; k < p; k++) means[k * C + c] += x[k * n + i];
  }
  for (let k = 0; k < p; k++) for (let c = 0; c < C; c++) means[k * C + c] /= counts[c];
  const M = new Float64Array(p * C);
  for (let k = 0; k < p; k++) {
    const m = pairwiseSum(means, k * C, C, 1) / C;
    for (let c = 0; c < C; c++) M[k * C + c] = means[k * C + c] - m;
  }
  const dev = new Float64Array(p * n);
  for (let k = 0; k < p; k++) {
    for (let i = 0; i < n; i++) dev[k * n + i] = x[k * n + i] - means[k * C + y[i]];
  }
  // Column norms of M (numpy reduces axis 0 row after row).
  const norms = new Float64Array(C);
  for (let k = 0; k < p; k++) for (let c = 0; c < C; c++) norms[c] += M[k * C + c] * M[k * C + c];
  for (let c = 0; c < C; c++) norms[c] = Math.sqrt(norms[c]);
  if (!norms.some((v) => v !== 0)) {
    throw new Error("all class means coincide, so NC1–NC3 are 0/0");
  }
  const nc1 = _nc1(means, p, C, n, dev, n);
  if (norms.some((v) => v === 0)) {
    throw new Error("a class mean equals the global mean, so its cosines are 0/0");
  }

  // NC2: cosines between the centred means.
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
  const out = {
    nc1,
    nc2_equinorm: Math.sqrt(mean(centred)) / mean(norms),
    nc2_equiangular: mean(gaps),
    nc2_maxangle: mean(rowMax),
  };
  if (W !== null) {
    const w = W.data;
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
    out.nc3 = nc3;
    let bias = new Float64Array(C);
    if (b !== null) {
      asArray(b, "b", 1);
      if (b.shape[0] !== C) throw new Error(`b has ${b.shape[0]} entries; expected C = ${C}`);
      bias = b.data;
    }
    // NC4: the classifier's decision against the nearest class mean, per sample.
    const scores = matmul(w, x, C, p, n);
    const twice = new Float64Array(C * p);
    for (let k = 0; k < p; k++) for (let c = 0; c < C; c++) twice[c * p + k] = 2 * means[k * C + c];
    const cross = matmul(twice, x, C, p, n);
    const xx = new Float64Array(n);
    for (let k = 0; k < p; k++) for (let i = 0; i < n; i++) xx[i] += x[k * n + i] * x[k * n + i];
    const mm2 = new Float64Array(C);
    for (let k = 0; k < p; k++) {
      for (let c = 0; c < C; c++) mm2[c] += means[k * C + c] * means[k * C + c];
    }
    let differ = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestScore = scores[i] + bias[0];
      let near = 0;
      let nearSq = xx[i] - cross[i] + mm2[0];
      for (let c = 1; c < C; c++) {
        const score = scores[c * n + i] + bias[c];
        if (score > bestScore) {
          best = c;
          bestScore = score;
        }
        const sq = xx[i] - cross[c * n + i] + mm2[c];
        if (sq < nearSq) {
          near = c;
          nearSq = sq;
        }
      }
      if (best !== near) differ++;
    }
    out.nc4 = differ / n;
  }
  return out;
}

