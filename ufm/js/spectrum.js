/*
 * Port of ufm/spectrum.py: the stability limit of the step size and the spectrum of the
 * gradient flow linearised at the stationary point (0, 0, 1_C/C).
 *
 *   largestStableStep(C, N)         2 / (1 + 1/(C√N)), a Number
 *   hessianVectorProduct(H, W, b, dH, dW, db)
 *                                   [hH, hW, hb], the Hessian of R_e applied to a direction
 *   hessian(H, W, b)                [d, d], d = pCN + Cp + C, coordinates H, W, b flattened
 *   linearizationAtRest(C, N, p)    [values ([d], decreasing), vectors ([d, d], columns)]
 *   unflatten(z, C, N, p)           [H, W, b] from a flat vector of the hessian's coordinates
 *   restSpectrumByBlocks(C, N, p)   {values ([d], decreasing), growingDistance}
 *   sharpness(H, W, b)              the largest eigenvalue of the Hessian (by Lanczos)
 *
 * The eigenvectors of a repeated eigenvalue are any orthonormal basis of its eigenspace,
 * here and in numpy; what is computed from them (growingDistance, 0 up to rounding) agrees
 * only at rounding level.
 */

import { EPS, array, dot, eigh, eigvalsh } from "./linalg.js";
import { Generator } from "./random.js";
import { _residual, asArray, sizes, triple } from "./model.js";
import { distanceToS } from "./subspace.js";

export function largestStableStep(C, N) {
  sizes(C, N, 1);
  return 2.0 / (1.0 + 1.0 / (C * Math.sqrt(N)));
}

// The Hessian-vector product on raw arrays, with G = (W H + b 1^T - Y)/(CN) given.
function hvp(H, W, G, dH, dW, db, C, N, p, out) {
  const CN = C * N;
  const dG = new Float64Array(C * CN);
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < p; k++) {
      const dw = dW[c * p + k];
      const w = W[c * p + k];
      for (let j = 0; j < CN; j++) dG[c * CN + j] += dw * H[k * CN + j] + w * dH[k * CN + j];
    }
    for (let j = 0; j < CN; j++) dG[c * CN + j] = (dG[c * CN + j] + db[c]) / CN;
  }
  const hH = out.subarray(0, p * CN);
  const hW = out.subarray(p * CN, p * CN + C * p);
  const hb = out.subarray(p * CN + C * p);
  hH.fill(0.0);
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < p; k++) {
      const dw = dW[c * p + k];
      const w = W[c * p + k];
      for (let j = 0; j < CN; j++) hH[k * CN + j] += dw * G[c * CN + j] + w * dG[c * CN + j];
    }
  }
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < p; k++) {
      let s = 0.0;
      for (let j = 0; j < CN; j++) {
        s += dG[c * CN + j] * H[k * CN + j] + G[c * CN + j] * dH[k * CN + j];
      }
      hW[c * p + k] = s;
    }
    let s = 0.0;
    for (let j = 0; j < CN; j++) s += dG[c * CN + j];
    hb[c] = s;
  }
  return out;
}

function scaledResidual(H, W, b, C, N, p) {
  const G = _residual(H, W, b, C, N, p);
  for (let i = 0; i < G.length; i++) G[i] /= C * N;
  return G;
}

export function hessianVectorProduct(H, W, b, dH, dW, db) {
  const { C, N, p } = triple(H, W, b);
  asArray(dH, "dH", 2);
  asArray(dW, "dW", 2);
  asArray(db, "db", 1);
  const same = (x, y) =>
    x.shape.length === y.shape.length && x.shape.every((v, i) => v === y.shape[i]);
  if (!same(dH, H) || !same(dW, W) || !same(db, b)) {
    throw new Error("the direction has other shapes than (H, W, b)");
  }
  const G = scaledResidual(H.data, W.data, b.data, C, N, p);
  const out = new Float64Array(p * C * N + C * p + C);
  hvp(H.data, W.data, G, dH.data, dW.data, db.data, C, N, p, out);
  return unflatten(array([out.length], out), C, N, p);
}

export function hessian(H, W, b) {
  const { C, N, p } = triple(H, W, b);
  return array(...hessianOf(H.data, W.data, b.data, C, N, p));
}

function hessianOf(H, W, b, C, N, p) {
  const nH = p * C * N;
  const nW = C * p;
  const d = nH + nW + C;
  const G = scaledResidual(H, W, b, C, N, p);
  const M = new Float64Array(d * d);
  const e = new Float64Array(d);
  const col = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    e.fill(0.0);
    e[i] = 1.0;
    hvp(H, W, G, e.subarray(0, nH), e.subarray(nH, nH + nW), e.subarray(nH + nW), C, N, p, col);
    for (let r = 0; r < d; r++) M[r * d + i] = col[r];
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const v = (M[i * d + j] + M[j * d + i]) / 2;
      M[i * d + j] = v;
      M[j * d + i] = v;
    }
  }
  return [[d, d], M];
}

export function linearizationAtRest(C, N, p) {
  sizes(C, N, p);
  const [[d], M] = hessianOf(
    new Float64Array(p * C * N),
    new Float64Array(C * p),
    new Float64Array(C).fill(1.0 / C),
    C,
    N,
    p,
  );
  for (let i = 0; i < M.length; i++) M[i] = -M[i];
  const { values, vectors } = eigh(M, d);
  // Decreasing (np.argsort(values)[::-1]; the order within a repeated eigenvalue is free).
  const order = Array.from({ length: d }, (_, i) => d - 1 - i);
  const sortedValues = Float64Array.from(order, (i) => values[i]);
  const sortedVectors = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    for (let j = 0; j < d; j++) sortedVectors[r * d + j] = vectors[r * d + order[j]];
  }
  return [array([d], sortedValues), array([d, d], sortedVectors)];
}

export function unflatten(z, C, N, p) {
  sizes(C, N, p);
  asArray(z, "z", 1);
  const d = p * C * N + C * p + C;
  if (z.data.length !== d) {
    throw new Error(`z has ${z.data.length} entries; expected p*C*N + C*p + C = ${d}`);
  }
  const nH = p * C * N;
  return [
    array([p, C * N], z.data.slice(0, nH)),
    array([C, p], z.data.slice(nH, nH + C * p)),
    array([C], z.data.slice(nH + C * p)),
  ];
}

export function restSpectrumByBlocks(C, N, p) {
  sizes(C, N, p);
  const [[d], full] = hessianOf(
    new Float64Array(C), new Float64Array(C), new Float64Array(C).fill(1.0 / C), C, 1, 1,
  );
  const scale = new Float64Array(d).fill(1.0);
  for (let i = 0; i < C; i++) scale[i] = 1.0 / Math.sqrt(N);
  const J = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) J[i * d + j] = -scale[i] * full[i * d + j] * scale[j];
  }
  const m = 2 * C;
  for (let i = 0; i < m; i++) {
    for (let j = m; j < d; j++) {
      if (Math.abs(J[i * d + j]) > 0) {
        throw new Error("the Hessian at (0, 0, 1/C) couples the bias to (H, W)");
      }
    }
  }
  const blockMatrix = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) blockMatrix[i * m + j] = J[i * d + j];
  const biasMatrix = new Float64Array(C * C);
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) biasMatrix[i * C + j] = J[(m + i) * d + m + j];
  }
  const { values: block, vectors } = eigh(blockMatrix, m);
  const bias = eigvalsh(biasMatrix, C);
  const total = p * C * N + C * p + C;
  const values = new Float64Array(total); // the C (N - 1) p zeros stay
  let at = 0;
  for (let rep = 0; rep < p; rep++) for (let i = 0; i < m; i++) values[at++] = block[i];
  for (let i = 0; i < C; i++) values[at++] = bias[i];
  values.sort();
  values.reverse();
  let big = 0.0;
  for (let i = 0; i < m; i++) big = Math.max(big, Math.abs(block[i]));
  const cut = 2 * C * EPS * big;
  let growing = 0.0;
  const sN = Math.sqrt(N);
  for (let j = 0; j < m; j++) {
    if (!(block[j] > cut)) continue;
    const H = new Float64Array(C * N);
    for (let c = 0; c < C; c++) H.fill(vectors[c * m + j] / sN, c * N, (c + 1) * N);
    const W = new Float64Array(C);
    for (let c = 0; c < C; c++) W[c] = vectors[(C + c) * m + j];
    const distance = distanceToS(array([1, C * N], H), array([C, 1], W), array([C]));
    growing = Math.max(growing, distance);
  }
  return { values: array([total], values), growingDistance: growing };
}

// ---------------------------------------------------------------------------------------
// ufm.spectrum.sharpness

/**
 * The largest eigenvalue of the Hessian of R_e at (H, W, b), by Lanczos on
 * hessianVectorProduct (ufm.spectrum.sharpness diagonalises the whole Hessian instead;
 * both agree to rounding): the Lanczos vectors are reorthogonalised in full, and it stops
 * when the residual of the largest Ritz value is below tol times the spectrum's size.
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
