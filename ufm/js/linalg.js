/*
 * Dense float64 linear algebra for the ports of ufm's concept modules: what numpy.linalg
 * and numpy's reductions do for them, no more.
 *
 * Arrays. A matrix is a row-major Float64Array with its sizes passed alongside (the
 * kernels), or an array object {shape, data} (the public functions of the concept modules:
 * shape as numpy's, data row-major, as in tests/js/ufm_check.mjs). array(shape, data)
 * makes one.
 *
 *   array(shape, data?)            {shape, data}; data defaults to zeros
 *   linspace(start, stop, num)     np.linspace(start, stop, num), the same doubles
 *   geomspace(start, stop, num)    np.geomspace(start, stop, num) for 0 < start, stop (the
 *                                  powers are Math.pow's, which may differ from the C
 *                                  library's in the last bit)
 *   pairwiseSum(x, start, n, stride)
 *                                  numpy's add.reduce over one axis whose elements are
 *                                  x[start + i*stride]: the same pairwise summation, so
 *                                  sums and means are equal to numpy's bit for bit
 *   sumSq(x, start?, n?)           sum of squares (sequential)
 *   frobenius(x), dot(x, y, n?)    its square root; a dot product (sequential)
 *   matmul(A, B, m, k, n, out?)    A (m x k) times B (k x n)
 *   matmulTN(A, B, k, m, n, out?)  A^T B, A is k x m, B is k x n
 *   matmulNT(A, B, m, k, n, out?)  A B^T, A is m x k, B is n x k
 *   transpose(A, m, n)             A^T (n x m)
 *   cholesky(A, n)                 lower L with L L^T = A, or null when A is not positive
 *                                  definite (a pivot <= 0 or NaN, as LAPACK's dpotrf)
 *   eigh(A, n, vectors = true)     symmetric eigendecomposition, as numpy.linalg.eigh:
 *                                  {values (ascending), vectors (n x n, eigenvectors as
 *                                  columns)}; Householder tridiagonalisation and the
 *                                  implicit QL iteration (EISPACK tred2/tql2, as in JAMA,
 *                                  with a whole-matrix convergence test)
 *   svd(A, m, n)                   thin SVD, as numpy.linalg.svd(A, full_matrices=False):
 *                                  {U (m x k), s (k, descending), Vt (k x n)}, k = min(m, n);
 *                                  one-sided Jacobi (Hestenes), accurate singular vectors
 *                                  without forming A^T A
 *   qr(A, m, n)                    reduced QR, as numpy.linalg.qr: {Q (m x k), R (k x n)};
 *                                  Householder reflections with LAPACK's sign convention
 *
 * Signs of singular vectors and eigenvectors are those these algorithms produce; numpy's
 * (LAPACK's) are just as arbitrary, so callers use only sign-free quantities (as ufm does),
 * except where noted (ufm/js/experiments.js, simplexPlane).
 */

export const EPS = 2.220446049250313e-16;

export function array(shape, data) {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data === undefined) data = new Float64Array(size);
  if (data.length !== size) {
    throw new Error(`data has ${data.length} entries; expected ${size} for shape [${shape}]`);
  }
  return { shape: shape.slice(), data };
}

/** np.linspace(start, stop, num) (endpoint included): i * step + start, the last = stop. */
export function linspace(start, stop, num) {
  const out = new Float64Array(num);
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  for (let i = 0; i < num; i++) out[i] = (step === 0 ? (i / div) * delta : i * step) + start;
  if (num > 1) out[num - 1] = stop;
  if (num === 1) out[0] = start;
  return out;
}

/** np.geomspace(start, stop, num) for positive start and stop. */
export function geomspace(start, stop, num) {
  const out = linspace(Math.log10(start), Math.log10(stop), num);
  for (let i = 0; i < num; i++) out[i] = 10.0 ** out[i];
  if (num > 0) out[0] = start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/*
 * numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src, pairwise_sum), which
 * add.reduce, sum and mean use along an axis they reduce in one inner loop (the last axis
 * of a C-contiguous array); the reduction starts from the identity 0.
 */
export function pairwiseSum(x, start, n, stride) {
  return 0.0 + pairwise(x, start, n, stride);
}

function pairwise(x, start, n, stride) {
  if (n < 8) {
    let res = 0.0;
    for (let i = 0; i < n; i++) res += x[start + i * stride];
    return res;
  }
  if (n <= 128) {
    let r0 = x[start];
    let r1 = x[start + stride];
    let r2 = x[start + 2 * stride];
    let r3 = x[start + 3 * stride];
    let r4 = x[start + 4 * stride];
    let r5 = x[start + 5 * stride];
    let r6 = x[start + 6 * stride];
    let r7 = x[start + 7 * stride];
    const stop = n - (n % 8);
    let i = 8;
    for (; i < stop; i += 8) {
      const o = start + i * stride;
      r0 += x[o];
      r1 += x[o + stride];
      r2 += x[o + 2 * stride];
      r3 += x[o + 3 * stride];
      r4 += x[o + 4 * stride];
      r5 += x[o + 5 * stride];
      r6 += x[o + 6 * stride];
      r7 += x[o + 7 * stride];
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += x[start + i * stride];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(x, start, n2, stride) + pairwise(x, start + n2 * stride, n - n2, stride);
}

export function sumSq(x, start = 0, n = x.length - start) {
  let s = 0.0;
  for (let i = start; i < start + n; i++) s += x[i] * x[i];
  return s;
}

/** The Frobenius (Euclidean) norm of all of x, summed in order. */
export function frobenius(x) {
  return Math.sqrt(sumSq(x));
}

/** The dot product of the first n entries of x and y, summed in order. */
export function dot(x, y, n = x.length) {
  let s = 0.0;
  for (let i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}

// The three products are unrolled by four (four rows of B per pass, or four partial sums):
// plain loops over Float64Arrays run at about half the speed in V8.

export function matmul(A, B, m, k, n, out = new Float64Array(m * n)) {
  out.fill(0.0, 0, m * n);
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const oi = i * n;
    const ai = i * k;
    for (let l = 0; l < k4; l += 4) {
      const a0 = A[ai + l];
      const a1 = A[ai + l + 1];
      const a2 = A[ai + l + 2];
      const a3 = A[ai + l + 3];
      const b0 = l * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        out[oi + j] += a0 * B[b0 + j] + a1 * B[b1 + j] + a2 * B[b2 + j] + a3 * B[b3 + j];
      }
    }
    for (let l = k4; l < k; l++) {
      const a = A[ai + l];
      const bl = l * n;
      for (let j = 0; j < n; j++) out[oi + j] += a * B[bl + j];
    }
  }
  return out;
}

export function matmulTN(A, B, k, m, n, out = new Float64Array(m * n)) {
  out.fill(0.0, 0, m * n);
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const oi = i * n;
    for (let l = 0; l < k4; l += 4) {
      const a0 = A[l * m + i];
      const a1 = A[(l + 1) * m + i];
      const a2 = A[(l + 2) * m + i];
      const a3 = A[(l + 3) * m + i];
      const b0 = l * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        out[oi + j] += a0 * B[b0 + j] + a1 * B[b1 + j] + a2 * B[b2 + j] + a3 * B[b3 + j];
      }
    }
    for (let l = k4; l < k; l++) {
      const a = A[l * m + i];
      const bl = l * n;
      for (let j = 0; j < n; j++) out[oi + j] += a * B[bl + j];
    }
  }
  return out;
}

export function matmulNT(A, B, m, k, n, out = new Float64Array(m * n)) {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s0 = 0.0;
      let s1 = 0.0;
      let s2 = 0.0;
      let s3 = 0.0;
      for (let l = 0; l < k4; l += 4) {
        s0 += A[ai + l] * B[bj + l];
        s1 += A[ai + l + 1] * B[bj + l + 1];
        s2 += A[ai + l + 2] * B[bj + l + 2];
        s3 += A[ai + l + 3] * B[bj + l + 3];
      }
      for (let l = k4; l < k; l++) s0 += A[ai + l] * B[bj + l];
      out[i * n + j] = s0 + s1 + (s2 + s3);
    }
  }
  return out;
}

export function transpose(A, m, n) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = A[i * n + j];
  return out;
}

export function cholesky(A, n) {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let ajj = A[j * n + j];
    for (let k = 0; k < j; k++) ajj -= L[j * n + k] * L[j * n + k];
    if (!(ajj > 0)) return null;
    const ljj = Math.sqrt(ajj);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = s / ljj;
    }
  }
  return L;
}

/*
 * eigh: EISPACK tred2 (Householder reduction to tridiagonal form, accumulating the
 * transformations) and tql2 (QL with implicit shifts), as JAMA's EigenvalueDecomposition
 * (public domain). The rotations of tql2 are applied to the rows of V^T (contiguous).
 */
export function eigh(A, n, wantVectors = true) {
  const V = Float64Array.from(A.subarray(0, n * n));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 1) {
    d[0] = V[0];
    return { values: d, vectors: wantVectors ? Float64Array.of(1.0) : null };
  }
  tred2(V, d, e, n);
  const Vt = transpose(V, n, n);
  tql2(Vt, d, e, n, wantVectors);
  // Ascending, as LAPACK returns them (equal eigenvalues keep their order).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[a] - d[b] || a - b);
  const values = Float64Array.from(order, (i) => d[i]);
  if (!wantVectors) return { values, vectors: null };
  const vectors = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const row = order[j] * n;
    for (let i = 0; i < n; i++) vectors[i * n + j] = Vt[row + i];
  }
  return { values, vectors };
}

export function eigvalsh(A, n) {
  return eigh(A, n, false).values;
}

function tred2(V, d, e, n) {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0.0;
    let h = 0.0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0.0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0.0;
        V[j * n + i] = 0.0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0.0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0.0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0.0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1.0;
    const h = d[i + 1];
    if (h !== 0.0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0.0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0.0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0.0;
  }
  V[(n - 1) * n + n - 1] = 1.0;
  e[0] = 0.0;
}

function tql2(Vt, d, e, n, wantVectors) {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0.0;
  let f = 0.0;
  // An off-diagonal entry is negligible below eps times the largest |d| + |e| of the whole
  // matrix (JAMA takes the largest so far, which is 0 or subnormal after rows of zeros,
  // where the iteration then never converges).
  let tst1 = 0.0;
  for (let l = 0; l < n; l++) tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) throw new Error("eigh: the QL iteration did not converge");
        let g = d[l];
        let p = (d[l + 1] - g) / (2.0 * e[l]);
        let r = Math.hypot(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1.0;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0.0;
        let s2 = 0.0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          if (wantVectors) {
            const a = i * n;
            const b = (i + 1) * n;
            for (let k = 0; k < n; k++) {
              const vb = Vt[b + k];
              const va = Vt[a + k];
              Vt[b + k] = s * va + c * vb;
              Vt[a + k] = c * va - s * vb;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0.0;
  }
}

/*
 * svd: one-sided Jacobi on the columns of A (A^T when m < n): rotate pairs of columns until
 * every pair is orthogonal to rounding; the column norms are the singular values, the
 * normalised columns the left singular vectors, the accumulated rotations the right ones.
 * Singular vectors of zero singular values are completed to an orthonormal set.
 */
export function svd(A, m, n) {
  if (m < n) {
    const { U, s, Vt } = svd(transpose(A, m, n), n, m);
    // A^T = U s Vt, so A = Vt^T s U^T: U_A = Vt^T (m x m), Vt_A = U^T (m x n).
    return { U: transpose(Vt, m, m), s, Vt: transpose(U, n, m) };
  }
  // Columns of A as rows of X (n x m), rotations accumulated in the rows of Y (n x n).
  const X = transpose(A, m, n);
  const Y = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Y[i * n + i] = 1.0;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) norms[i] = sumSq(X, i * m, m);
  const tol = Math.sqrt(m) * EPS; // as LAPACK's dgesvj
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let i = 0; i < n - 1; i++) {
      for (let j = i + 1; j < n; j++) {
        const a = norms[i];
        const b = norms[j];
        if (a === 0 || b === 0) continue;
        let g = 0.0;
        const xi = i * m;
        const xj = j * m;
        for (let k = 0; k < m; k++) g += X[xi + k] * X[xj + k];
        if (Math.abs(g) <= tol * Math.sqrt(a * b)) continue;
        rotated = true;
        const zeta = (b - a) / (2 * g);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let k = 0; k < m; k++) {
          const u = X[xi + k];
          const v = X[xj + k];
          X[xi + k] = c * u - s * v;
          X[xj + k] = s * u + c * v;
        }
        const yi = i * n;
        const yj = j * n;
        for (let k = 0; k < n; k++) {
          const u = Y[yi + k];
          const v = Y[yj + k];
          Y[yi + k] = c * u - s * v;
          Y[yj + k] = s * u + c * v;
        }
        norms[i] = sumSq(X, xi, m);
        norms[j] = sumSq(X, xj, m);
      }
    }
    if (!rotated) break;
  }
  const sv = Float64Array.from(norms, Math.sqrt);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => sv[b] - sv[a] || a - b);
  const s = Float64Array.from(order, (i) => sv[i]);
  const Ut = new Float64Array(n * m); // left singular vectors as rows
  const Vt = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const i = order[r];
    for (let k = 0; k < n; k++) Vt[r * n + k] = Y[i * n + k];
    if (s[r] > 0) for (let k = 0; k < m; k++) Ut[r * m + k] = X[i * m + k] / s[r];
  }
  completeRows(Ut, s, n, m);
  return { U: transpose(Ut, n, m), s, Vt };
}

// Rows of Q (k x m) whose s is 0: replace by unit vectors orthogonal to the other rows.
function completeRows(Q, s, k, m) {
  for (let r = 0; r < k; r++) {
    if (s[r] > 0) continue;
    for (let e = 0; e < m; e++) {
      const v = new Float64Array(m);
      v[e] = 1.0;
      for (let pass = 0; pass < 2; pass++) {
        for (let q = 0; q < k; q++) {
          if (q === r || (s[q] === 0 && q > r)) continue;
          let g = 0.0;
          for (let t = 0; t < m; t++) g += Q[q * m + t] * v[t];
          for (let t = 0; t < m; t++) v[t] -= g * Q[q * m + t];
        }
      }
      const norm = Math.sqrt(sumSq(v));
      if (norm > 0.5) {
        for (let t = 0; t < m; t++) Q[r * m + t] = v[t] / norm;
        break;
      }
    }
  }
}

export function qr(A, m, n) {
  const k = Math.min(m, n);
  const R = Float64Array.from(A.subarray(0, m * n));
  const V = new Float64Array(k * m); // Householder vectors (v[j] = 1), as rows
  const tau = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    // dlarfg: H = I - tau v v^T with H x = beta e1, beta = -sign(alpha) ||x||.
    const alpha = R[j * n + j];
    let xnorm = 0.0;
    for (let i = j + 1; i < m; i++) xnorm = Math.hypot(xnorm, R[i * n + j]);
    V[j * m + j] = 1.0;
    if (xnorm === 0) {
      tau[j] = 0.0;
      continue;
    }
    const beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
    tau[j] = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let i = j + 1; i < m; i++) V[j * m + i] = R[i * n + j] * scale;
    // Apply H to the columns j..n-1 of R.
    for (let c = j; c < n; c++) {
      let w = 0.0;
      for (let i = j; i < m; i++) w += V[j * m + i] * R[i * n + c];
      w *= tau[j];
      for (let i = j; i < m; i++) R[i * n + c] -= w * V[j * m + i];
    }
    for (let i = j + 1; i < m; i++) R[i * n + j] = 0.0;
  }
  // Q = H_0 H_1 ... H_{k-1} applied to the first k columns of the identity.
  const Q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) Q[i * k + i] = 1.0;
  for (let j = k - 1; j >= 0; j--) {
    for (let c = 0; c < k; c++) {
      let w = 0.0;
      for (let i = j; i < m; i++) w += V[j * m + i] * Q[i * k + c];
      w *= tau[j];
      for (let i = j; i < m; i++) Q[i * k + c] -= w * V[j * m + i];
    }
  }
  const Rk = R.slice(0, k * n);
  return { Q, R: Rk };
}
