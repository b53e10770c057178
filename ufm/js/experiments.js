/*
 * Port of the experiments of ufm/experiments/model.py and ufm/experiments/results.py that
 * the explorers of the model and results chapters run.
 *
 * From ufm/experiments/model.py:
 *   snapshotSchedule(steps, count = 40)
 *                      [K] integers 0 = k_0 < … = steps, geometrically spaced (numpy's
 *                      geomspace and round-half-to-even, reproduced)
 *   descentWithSnapshots(start, lr, steps, snapshotSteps = null, recordEvery = 1)
 *                      {trajectory (as dynamics.gradientDescent's), snapshotSteps ([K]),
 *                      W ([K, C, p]), classMeans ([K, p, C]), within ([K]), b ([K, C])};
 *                      start is a ReducedState (the full state is not ported)
 *   simplexPlane(W, classMeans, N)
 *                      {W ([K, C, 2]), means ([K, C, 2]), radius}
 *
 * From ufm/experiments/results.py:
 *   splitByS(W, classMeans, within, b, N)
 *                      [inS, offS]: Numbers for one state, arrays [K] for K states
 *   gramEigenvalues(W) eigenvalues of W W^T, largest first: [C] or [T, C]
 *   inRowSpace(classMeans, W, rank)
 *                      [classMeans ([rank, C]), W ([C, rank])] in the basis of the span of
 *                      W's rows (the leading right singular vectors; their signs may differ
 *                      from numpy's, which flips coordinates and changes nothing measured)
 *   classMeanFlow(classMeans, W, b, N, t, rtol = 1e-12, atol = 1e-14)
 *                      [classMeans ([T, p, C]), W ([T, C, p]), b ([T, C])]
 *   randomDirection(H, W, b, seed = null)
 *                      [dH, dW, db] with ||D||_E = ||Z||_E, drawn as numpy draws it
 *   collapseMeasures(H, W, b)
 *                      ncMetrics of the state, and its risk (key "risk")
 *   new CollapseAlongLine(point, direction).at(delta)
 *                      collapseMeasures(point + delta * direction), for many delta at the
 *                      cost of one (see the class); collapseAlongLine(point, direction,
 *                      deltas) gives the list of them
 *
 * classMeanFlow integrates with a port of scipy's DOP853 as solve_ivp runs it with t_eval
 * (scipy/integrate/_ivp: rk.py, common.py, ivp.py, dop853_coefficients.py): the same
 * initial step, error estimate, step-size control and dense output, so that the steps
 * taken, and hence the solver's errors, are scipy's: W and the class means agree with
 * scipy's to 1e-9 or better (1e-15 for small models); the largest gap to the closed form
 * (~1e-10 √N, the solver's error) agrees to a few percent, and is rounding noise in both
 * for large N (~1e-15 √N at N = 1000). Products are summed in another
 * order than numpy's BLAS, which changes accept/reject decisions late in long runs: the
 * bias, whose error in scipy itself reaches 1e-7 relative for C = 10 (the error norm is
 * an RMS over C(2p+1) components), agrees only as well as that.
 *
 * simplexPlane: the plane is spanned by the two leading right singular vectors of the last
 * W, whose signs are arbitrary (numpy's are LAPACK's choice). The rotation that puts the
 * last W_1 straight up removes the sign of the first; the second leaves the picture defined
 * up to the mirror image x -> -x, so this port and Python may draw mirror images.
 */

import { _centredMeans, _nc1Directions, _nc2, _nc3, _ncMetrics, _squaredGaps, classSummary } from "./collapse.js";
import { ReducedState, descending, finish, recordedSteps, within } from "./dynamics.js";
import { EPS, array, eigvalsh, geomspace, matmul, matmulNT, pairwiseSum, svd } from "./linalg.js";
import { asArray, positiveFloat, positiveInt, seedOrNone, shapeText } from "./model.js";
import { triple } from "./model.js";
import { Generator } from "./random.js";
import { _offSSq, _projectParts, normE } from "./subspace.js";

// ---------------------------------------------------------------------------------------
// ufm/experiments/model.py

/** np.round of a float: half to even. */
function roundHalfEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** np.unique of integers: sorted, without repeats, as an array [n]. */
function unique(values) {
  const out = Int32Array.from(new Set(values)).sort();
  return array([out.length], out);
}

export function snapshotSchedule(steps, count = 40) {
  positiveInt(steps, "steps");
  positiveInt(count, "count", 2);
  const marks = [0, steps];
  for (const value of geomspace(1, steps + 1, count)) marks.push(roundHalfEven(value - 1));
  return unique(marks);
}

function summary(state) {
  const { p } = state;
  let trace = 0.0;
  for (let i = 0; i < p; i++) trace += state.Sigma.data[i * p + i];
  return [state.W.data, state.Hbar.data, trace, state.b.data];
}

function concat(parts, Type = Float64Array) {
  const out = new Type(parts.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of parts) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

export function descentWithSnapshots(start, lr, steps, snapshotSteps = null, recordEvery = 1) {
  return finish(snapshotting(start, lr, steps, snapshotSteps, recordEvery));
}

/** descentWithSnapshots as a job (dynamics.runSteps): yields its progress. */
export function* snapshotting(start, lr, steps, snapshotSteps = null, recordEvery = 1) {
  if (!(start instanceof ReducedState)) {
    throw new TypeError(
      "start must be a ufm.ReducedState: descent from a full state (H, W, b) is not ported " +
        "to JavaScript",
    );
  }
  const { C, p } = start;
  positiveFloat(lr, "lr");
  positiveInt(steps, "steps");
  positiveInt(recordEvery, "record_every");
  let marks;
  if (snapshotSteps === null || snapshotSteps === undefined) {
    marks = snapshotSchedule(steps).data;
  } else {
    const given = Float64Array.from(snapshotSteps.data ?? snapshotSteps);
    if (given.length === 0) {
      throw new Error("snapshot_steps is empty (shape (0,)); expected a non-empty array");
    }
    if (given.some((m) => m !== Math.round(m) || m < 0 || m > steps)) {
      throw new Error(`snapshot_steps must be integers in [0, steps = ${steps}]`);
    }
    for (let i = 1; i < given.length; i++) {
      if (given[i] <= given[i - 1]) throw new Error("snapshot_steps must be strictly increasing");
    }
    marks = unique([0, ...given, steps]).data;
  }
  const kept = [summary(start)];
  const stepsParts = [];
  const risks = [];
  const errors = [];
  const distances = [];
  let divergedAt = null;
  let method = "auto";
  let state = start;
  for (let i = 0; i + 1 < marks.length; i++) {
    const first = marks[i];
    const last = marks[i + 1];
    const job = descending(state, { lr, steps: last - first, recordEvery, method });
    const part = yield* within(job, first / steps, last / steps);
    method = part.method;
    const skip = stepsParts.length ? 1 : 0;
    stepsParts.push(part.steps.data.slice(skip).map((k) => first + k));
    risks.push(part.risk.data.slice(skip));
    errors.push(part.errors.data.slice(3 * skip));
    distances.push(part.distanceToS.data.slice(skip));
    state = part.final;
    if (part.divergedAt !== null) {
      divergedAt = first + part.divergedAt;
      const rest = recordedSteps(steps - last, recordEvery).map((k) => k + last).slice(1);
      stepsParts.push(rest);
      risks.push(new Float64Array(rest.length).fill(NaN));
      errors.push(new Float64Array(3 * rest.length).fill(NaN));
      distances.push(new Float64Array(rest.length).fill(NaN));
      break;
    }
    kept.push(summary(state));
  }
  const T = stepsParts.reduce((n, x) => n + x.length, 0);
  const trajectory = {
    final: state,
    steps: array([T], concat(stepsParts, Int32Array)),
    risk: array([T], concat(risks)),
    errors: array([T, 3], concat(errors)),
    distanceToS: array([T], concat(distances)),
    divergedAt,
    lr,
    nc1: null,
    method,
  };
  const K = kept.length;
  return {
    trajectory,
    snapshotSteps: array([K], Int32Array.from(marks.slice(0, K))),
    W: array([K, C, p], concat(kept.map((x) => x[0]))),
    classMeans: array([K, p, C], concat(kept.map((x) => x[1]))),
    within: array([K], Float64Array.from(kept, (x) => x[2])),
    b: array([K, C], concat(kept.map((x) => x[3]))),
  };
}

export function simplexPlane(W, classMeans, N) {
  asArray(W, "W", 3);
  asArray(classMeans, "class_means", 3);
  positiveInt(N, "N");
  const [K, C, p] = W.shape;
  const ms = classMeans.shape;
  if (ms[0] !== K || ms[1] !== p || ms[2] !== C) {
    throw new Error(
      `class_means has shape ${shapeText(ms)}; expected ${shapeText([K, p, C])} to match W`,
    );
  }
  const { Vt } = svd(W.data.subarray((K - 1) * C * p), C, p);
  const dims = Math.min(2, p);
  // basis (p x 2): the leading right singular vectors as columns (a zero column if p = 1).
  const basis = new Float64Array(p * 2);
  for (let j = 0; j < dims; j++) for (let k = 0; k < p; k++) basis[k * 2 + j] = Vt[j * p + k];
  const w = W.data;
  const h = classMeans.data;
  const sN = Math.sqrt(N);
  const wPlane = new Float64Array(K * C * 2);
  const mPlane = new Float64Array(K * C * 2);
  for (let t = 0; t < K; t++) {
    for (let c = 0; c < C; c++) {
      for (let j = 0; j < 2; j++) {
        let gw = 0.0;
        let gm = 0.0;
        for (let k = 0; k < p; k++) {
          gw += w[(t * C + c) * p + k] * basis[k * 2 + j];
          gm += sN * h[(t * p + k) * C + c] * basis[k * 2 + j];
        }
        wPlane[(t * C + c) * 2 + j] = gw;
        mPlane[(t * C + c) * 2 + j] = gm;
      }
    }
  }
  const x = wPlane[(K - 1) * C * 2];
  const y = wPlane[(K - 1) * C * 2 + 1];
  const angle = x || y ? Math.PI / 2 - Math.atan2(y, x) : 0.0;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const rotate = (plane) => {
    const out = new Float64Array(plane.length);
    for (let i = 0; i < plane.length; i += 2) {
      out[i] = plane[i] * cos + plane[i + 1] * -sin;
      out[i + 1] = plane[i] * sin + plane[i + 1] * cos;
    }
    return array([K, C, 2], out);
  };
  const Wr = rotate(wPlane);
  const Mr = rotate(mPlane);
  // The sign of a singular vector is arbitrary: keep the mirror image where the last W_2
  // lies on the left, as ufm does.
  if (C > 1 && Wr.data[(K - 1) * C * 2 + 2] > 0) {
    for (let i = 0; i < Wr.data.length; i += 2) {
      Wr.data[i] = -Wr.data[i];
      Mr.data[i] = -Mr.data[i];
    }
  }
  return { W: Wr, means: Mr, radius: N ** 0.25 * Math.sqrt((C - 1) / C) };
}

// ---------------------------------------------------------------------------------------
// ufm/experiments/results.py

export function splitByS(W, classMeans, within, b, N) {
  asArray(W, "W", [2, 3]);
  const nd = W.shape.length;
  asArray(classMeans, "class_means", nd);
  asArray(b, "b", nd - 1);
  positiveInt(N, "N");
  const [C, p] = W.shape.slice(-2);
  const K = nd === 3 ? W.shape[0] : 1;
  const w =
    typeof within === "number" ? Float64Array.of(within) : Float64Array.from(within.data ?? within);
  const lead = nd === 3 ? [K] : [];
  const hs = classMeans.shape;
  const okMeans = hs[nd - 2] === p && hs[nd - 1] === C && (nd === 2 || hs[0] === K);
  const okB = b.shape[nd - 2] === C && (nd === 2 || b.shape[0] === K);
  if (!okMeans || !okB || w.length !== K) {
    throw new Error(
      `class_means, b and within have shapes ${shapeText(hs)}, ${shapeText(b.shape)}, ` +
        `${shapeText(nd === 3 ? [w.length] : [])}; expected ${shapeText([...lead, p, C])}, ` +
        `${shapeText([...lead, C])} and ${shapeText(lead)} for W of shape ${shapeText(W.shape)}`,
    );
  }
  if (w.some((v) => !Number.isFinite(v) || v < 0)) {
    throw new Error("within (the within-class sum of squares) must be finite and >= 0");
  }
  const inS = new Float64Array(K);
  const offS = new Float64Array(K);
  const sN = Math.sqrt(N);
  for (let t = 0; t < K; t++) {
    const Wt = W.data.subarray(t * C * p, (t + 1) * C * p);
    const Ht = classMeans.data.subarray(t * p * C, (t + 1) * p * C);
    const bt = b.data.subarray(t * C, (t + 1) * C);
    const { V } = _projectParts(Ht, Wt, bt, N, C, p);
    let vv = 0.0;
    for (let i = 0; i < V.length; i++) vv += V[i] * V[i];
    inS[t] = Math.sqrt(2 * vv);
    const u = Ht.map((x) => sN * x);
    offS[t] = Math.sqrt(_offSSq(Wt, bt, u, w[t], C, p));
  }
  if (nd === 2) return [inS[0], offS[0]];
  return [array([K], inS), array([K], offS)];
}

export function gramEigenvalues(W) {
  asArray(W, "W", [2, 3]);
  const [C, p] = W.shape.slice(-2);
  const T = W.shape.length === 3 ? W.shape[0] : 1;
  const out = new Float64Array(T * C);
  const A = new Float64Array(C * C);
  for (let t = 0; t < T; t++) {
    const w = W.data.subarray(t * C * p, (t + 1) * C * p);
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < C; j++) {
        let g = 0.0;
        for (let k = 0; k < p; k++) g += w[i * p + k] * w[j * p + k];
        A[i * C + j] = g;
      }
    }
    const values = eigvalsh(A, C);
    for (let i = 0; i < C; i++) out[t * C + i] = values[C - 1 - i];
  }
  return array(W.shape.length === 3 ? [T, C] : [C], out);
}

export function randomDirection(H, W, b, seed = null) {
  triple(H, W, b);
  const norm = normE(H, W, b);
  if (norm === 0) throw new Error("the state is zero, so a relative perturbation is undefined");
  const rng = new Generator(seedOrNone(seed));
  const D = [H, W, b].map((x) => array(x.shape, rng.standardNormal(x.shape)));
  const scale = norm / normE(...D);
  for (const d of D) for (let i = 0; i < d.data.length; i++) d.data[i] = scale * d.data[i];
  return D;
}

export function collapseMeasures(H, W, b) {
  const { C, N } = triple(H, W, b);
  const labels = new Int32Array(C * N);
  for (let c = 0; c < C; c++) labels.fill(c, c * N, (c + 1) * N);
  // The risk's residual comes from the pass over the samples that NC4 makes anyway.
  const out = _ncMetrics(H, labels, W, b, true);
  out.risk = out.residual / (2 * C * N);
  delete out.residual;
  return out;
}

/**
 * collapseMeasures(H0 + δ D, W0 + δ D_W, b0 + δ D_b) for any δ, from a point whose features
 * are constant within each class (a point of S, such as strong collapse) and a direction:
 * what depends on all C N samples is computed once, and each δ then costs O(p C N) additions
 * instead of the products of a full evaluation.
 *
 * - The class means are summed from the perturbed features exactly as nc_metrics sums
 *   them (so NC2 and NC3, differences of numbers of size one, carry numpy's rounding).
 * - The deviations are δ (d_i − m_{y_i}) (m the class means of D), so the within-class
 *   scatter is δ² S_D, with S_D that of the direction: NC1 = δ² Σ_j u_jᵀ S_D u_j / s_j² / n.
 * - The scores W(δ) x_i(δ) + b(δ) and the distances to the class means are the
 *   polynomials in δ of products (W0, D_W, H0's class features, m)ᵀ D computed once.
 * These are identities of exact arithmetic; they agree with the direct evaluation to
 * rounding, and NC4 counts the same decisions.
 */
export class CollapseAlongLine {
  constructor(point, direction) {
    const [H, W, b] = point;
    const { C, N, p } = triple(H, W, b);
    const n = C * N;
    // h: the feature of each class (p x C); every sample of the class must equal it.
    const h = new Float64Array(p * C);
    for (let k = 0; k < p; k++) {
      for (let c = 0; c < C; c++) {
        const row = k * n + c * N;
        h[k * C + c] = H.data[row];
        for (let i = 1; i < N; i++) {
          if (H.data[row + i] !== H.data[row]) {
            throw new Error("the point's features are not constant within each class");
          }
        }
      }
    }
    const [D, DW, Db] = direction;
    const d = D.data;
    Object.assign(this, { C, N, p, n, h, W0: W.data, b0: b.data, D: d, DW: DW.data, Db: Db.data });
    // m: class means of D; F = D − m_y, S_D = F Fᵀ.
    const m = classSummary(D, C)[0].data;
    const F = new Float64Array(p * n);
    for (let k = 0; k < p; k++) {
      for (let i = 0; i < n; i++) F[k * n + i] = d[k * n + i] - m[k * C + Math.floor(i / N)];
    }
    this.S = matmulNT(F, F, p, n, p);
    // [W0; D_W; H̄ᵀ; mᵀ] D: the rows A = W0 D, B = D_W D, G = H̄ᵀ D, K = mᵀ D (each C x n).
    const stack = new Float64Array(4 * C * p);
    stack.set(W.data, 0);
    stack.set(DW.data, C * p);
    for (let c = 0; c < C; c++) {
      for (let k = 0; k < p; k++) {
        stack[2 * C * p + c * p + k] = this.h[k * C + c];
        stack[3 * C * p + c * p + k] = m[k * C + c];
      }
    }
    this.products = matmul(stack, d, 4 * C, p, n);
    // W0 H̄ and D_W H̄ (C x C): the scores of the class features.
    this.P0 = matmul(W.data, this.h, C, p, C);
    this.P1 = matmul(DW.data, this.h, C, p, C);
  }

  at(delta) {
    const { C, N, p, n, h, D, products } = this;
    // The class means of the features h_y + δ d_i, summed as nc_metrics sums them.
    const means = new Float64Array(p * C);
    for (let k = 0; k < p; k++) {
      for (let c = 0; c < C; c++) {
        const base = h[k * C + c];
        const row = k * n + c * N;
        let sum = 0.0;
        for (let i = 0; i < N; i++) sum += base + delta * D[row + i];
        means[k * C + c] = sum / N;
      }
    }
    const W = this.W0.map((x, i) => x + delta * this.DW[i]);
    const b = this.b0.map((x, i) => x + delta * this.Db[i]);
    const { M, norms } = _centredMeans(means, p, C);
    const dirs = _nc1Directions(means, p, C);
    let nc1 = 0.0;
    const { U, s, r, keep } = dirs;
    const Su = new Float64Array(p);
    for (const j of keep) {
      let q = 0.0;
      for (let k = 0; k < p; k++) {
        let g = 0.0;
        for (let l = 0; l < p; l++) g += this.S[k * p + l] * U[l * r + j];
        Su[k] = g;
      }
      for (let k = 0; k < p; k++) q += U[k * r + j] * Su[k];
      nc1 += q / (s[j] * s[j]);
    }
    const out = { nc1: (delta * delta * nc1) / n, ..._nc2(M, norms, p, C), nc3: _nc3(W, M, p, C) };
    // ‖h_y − μ_c‖² (C x C), the rest of the distance being 2δ (h_y − μ_c)ᵀ d_i + const.
    const gap = _squaredGaps(h, means, p, C);
    const A = 0;
    const B = C * n;
    const G = 2 * C * n;
    const K = 3 * C * n;
    let differ = 0;
    let residual = 0.0;
    const d2 = delta * delta;
    for (let i = 0; i < n; i++) {
      const y = Math.floor(i / N);
      let best = 0;
      let bestScore = -Infinity;
      let near = 0;
      let nearSq = Infinity;
      const own = products[G + y * n + i];
      for (let c = 0; c < C; c++) {
        const ci = c * n + i;
        const score =
          this.P0[c * C + y] + delta * (products[A + ci] + this.P1[c * C + y]) + d2 * products[B + ci] + b[c];
        if (score > bestScore || c === 0) {
          best = c;
          bestScore = score;
        }
        const e = score - (c === y ? 1.0 : 0.0);
        residual += e * e;
        // μ_c = h_c + δ m_c in exact arithmetic: (h_y − μ_c)ᵀ d_i = G_y − G_c − δ K_c.
        const sq = gap[y * C + c] + 2 * delta * (own - products[G + ci] - delta * products[K + ci]);
        if (sq < nearSq || c === 0) {
          near = c;
          nearSq = sq;
        }
      }
      if (best !== near) differ++;
    }
    out.nc4 = differ / n;
    out.risk = residual / (2 * n);
    return out;
  }
}

/** [collapseMeasures(point + δ direction) for δ of deltas], through CollapseAlongLine. */
export function collapseAlongLine(point, direction, deltas) {
  const line = new CollapseAlongLine(point, direction);
  return Array.from(deltas.data ?? deltas, (d) => line.at(d));
}

export function inRowSpace(classMeans, W, rank) {
  asArray(W, "W", 2);
  const [C, p] = W.shape;
  asArray(classMeans, "class_means", 2);
  if (classMeans.shape[0] !== p || classMeans.shape[1] !== C) {
    throw new Error(
      `class_means has shape ${shapeText(classMeans.shape)}; expected (p, C) = ${shapeText([p, C])}`,
    );
  }
  positiveInt(rank, "rank");
  if (rank > Math.min(C, p)) {
    throw new Error(`rank = ${rank}; expected at most min(C, p) = ${Math.min(C, p)}`);
  }
  const Q = svd(W.data, C, p).Vt; // rows: right singular vectors, largest first
  const means = new Float64Array(rank * C);
  const Wq = new Float64Array(C * rank);
  for (let j = 0; j < rank; j++) {
    for (let c = 0; c < C; c++) {
      let w = 0.0;
      let h = 0.0;
      for (let k = 0; k < p; k++) {
        w += W.data[c * p + k] * Q[j * p + k];
        h += Q[j * p + k] * classMeans.data[k * C + c];
      }
      Wq[c * rank + j] = w;
      means[j * C + c] = h;
    }
  }
  return [array([rank, C], means), array([C, rank], Wq)];
}

export function classMeanFlow(classMeans, W, b, N, t, rtol = 1e-12, atol = 1e-14) {
  positiveInt(N, "N");
  asArray(W, "W", 2);
  const [C, p] = W.shape;
  const ms = classMeans?.shape ?? [];
  if (ms.length !== 2 || ms[0] !== p || ms[1] !== C) {
    throw new Error(
      `class_means has shape ${shapeText(ms)}; expected (p, C) = ${shapeText([p, C])}`,
    );
  }
  triple(classMeans, W, b);
  const ts = Float64Array.from(t.data ?? t);
  if (ts.length === 0) throw new Error("t is empty (shape (0,)); expected a non-empty array");
  if (ts.some((x) => !Number.isFinite(x))) {
    throw new Error("t has NaN or infinite entries; expected finite numbers");
  }
  for (let i = 0; i < ts.length; i++) {
    if (ts[i] < 0 || (i > 0 && ts[i] < ts[i - 1])) {
      throw new Error("t must be non-negative and increasing");
    }
  }
  positiveFloat(rtol, "rtol");
  positiveFloat(atol, "atol");
  // The gradient flow of the N = 1 model at (H̄, W, b), with dH̄/dt divided by N:
  // G = -(W H̄ + b 1^T - I)/C, dH̄/dt = W^T G / N, dW/dt = G H̄^T, db/dt = G 1.
  const a = p * C;
  const c0 = a + C * p;
  const n = c0 + C;
  const G = new Float64Array(C * C);
  const minusInvC = -1.0 / C;
  const invN = 1.0 / N;
  const rhs = (_, z) => {
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < C; j++) {
        let g = 0.0;
        for (let k = 0; k < p; k++) g += z[a + i * p + k] * z[k * C + j];
        g += z[c0 + i];
        if (i === j) g -= 1.0;
        G[i * C + j] = g * minusInvC;
      }
    }
    const out = new Float64Array(n);
    for (let k = 0; k < p; k++) {
      for (let j = 0; j < C; j++) {
        let g = 0.0;
        for (let i = 0; i < C; i++) g += z[a + i * p + k] * G[i * C + j];
        out[k * C + j] = g * invN;
      }
    }
    for (let i = 0; i < C; i++) {
      for (let k = 0; k < p; k++) {
        let g = 0.0;
        for (let j = 0; j < C; j++) g += G[i * C + j] * z[k * C + j];
        out[a + i * p + k] = g;
      }
      out[c0 + i] = pairwiseSum(G, i * C, C, 1);
    }
    return out;
  };
  const z0 = new Float64Array(n);
  z0.set(classMeans.data, 0);
  z0.set(W.data, a);
  z0.set(b.data, c0);
  const z = solveIvpDop853(rhs, z0, ts, rtol, atol);
  const T = ts.length;
  const means = new Float64Array(T * a);
  const Ws = new Float64Array(T * C * p);
  const bs = new Float64Array(T * C);
  for (let i = 0; i < T; i++) {
    means.set(z.subarray(i * n, i * n + a), i * a);
    Ws.set(z.subarray(i * n + a, i * n + c0), i * C * p);
    bs.set(z.subarray(i * n + c0, (i + 1) * n), i * C);
  }
  return [array([T, p, C], means), array([T, C, p], Ws), array([T, C], bs)];
}

// ---------------------------------------------------------------------------------------
// scipy.integrate.solve_ivp(fun, (0, t[-1]), y0, method="DOP853", t_eval=t, rtol, atol),
// ported from scipy 1.17 (rk.py: RungeKutta, DOP853, Dop853DenseOutput; common.py:
// select_initial_step, norm; ivp.py: the loop over steps and t_eval; base.py: OdeSolver.step).

// dop853_coefficients.py (the literals as they are written there).
const DOP_C = [
  0.0, 0.526001519587677318785587544488e-01, 0.789002279381515978178381316732e-01,
  0.118350341907227396726757197510, 0.281649658092772603273242802490,
  0.333333333333333333333333333333, 0.25, 0.307692307692307692307692307692,
  0.651282051282051282051282051282, 0.6, 0.857142857142857142857142857142, 1.0, 1.0, 0.1, 0.2,
  0.777777777777777777777777777778,
];
const DOP_A = [
  [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ],
  [
    5.26001519587677318785587544488e-2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ],
  [
    1.97250569845378994544595329183e-2, 5.91751709536136983633785987549e-2, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
  ],
  [
    2.95875854768068491816892993775e-2, 0, 8.87627564304205475450678981324e-2, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
  ],
  [
    2.41365134159266685502369798665e-1, 0, -8.84549479328286085344864962717e-1,
    9.24834003261792003115737966543e-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ],
  [
    3.7037037037037037037037037037e-2, 0, 0, 1.70828608729473871279604482173e-1,
    1.25467687566822425016691814123e-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ],
  [
    3.7109375e-2, 0, 0, 1.70252211019544039314978060272e-1, 6.02165389804559606850219397283e-2,
    -1.7578125e-2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ],
  [
    3.70920001185047927108779319836e-2, 0, 0, 1.70383925712239993810214054705e-1,
    1.07262030446373284651809199168e-1, -1.53194377486244017527936158236e-2,
    8.27378916381402288758473766002e-3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ],
  [
    6.24110958716075717114429577812e-1, 0, 0, -3.36089262944694129406857109825,
    -8.68219346841726006818189891453e-1, 2.75920996994467083049415600797e1,
    2.01540675504778934086186788979e1, -4.34898841810699588477366255144e1, 0, 0, 0, 0, 0, 0, 0,
    0,
  ],
  [
    4.77662536438264365890433908527e-1, 0, 0, -2.48811461997166764192642586468,
    -5.90290826836842996371446475743e-1, 2.12300514481811942347288949897e1,
    1.52792336328824235832596922938e1, -3.32882109689848629194453265587e1,
    -2.03312017085086261358222928593e-2, 0, 0, 0, 0, 0, 0, 0,
  ],
  [
    -9.3714243008598732571704021658e-1, 0, 0, 5.18637242884406370830023853209,
    1.09143734899672957818500254654, -8.14978701074692612513997267357,
    -1.85200656599969598641566180701e1, 2.27394870993505042818970056734e1,
    2.49360555267965238987089396762, -3.0467644718982195003823669022, 0, 0, 0, 0, 0, 0,
  ],
  [
    2.27331014751653820792359768449, 0, 0, -1.05344954667372501984066689879e1,
    -2.00087205822486249909675718444, -1.79589318631187989172765950534e1,
    2.79488845294199600508499808837e1, -2.85899827713502369474065508674,
    -8.87285693353062954433549289258, 1.23605671757943030647266201528e1,
    6.43392746015763530355970484046e-1, 0, 0, 0, 0, 0,
  ],
  [
    5.42937341165687622380535766363e-2, 0, 0, 0, 0, 4.45031289275240888144113950566,
    1.89151789931450038304281599044, -5.8012039600105847814672114227,
    3.1116436695781989440891606237e-1, -1.52160949662516078556178806805e-1,
    2.01365400804030348374776537501e-1, 4.47106157277725905176885569043e-2, 0, 0, 0, 0,
  ],
  [
    5.61675022830479523392909219681e-2, 0, 0, 0, 0, 0, 2.53500210216624811088794765333e-1,
    -2.46239037470802489917441475441e-1, -1.24191423263816360469010140626e-1,
    1.5329179827876569731206322685e-1, 8.20105229563468988491666602057e-3,
    7.56789766054569976138603589584e-3, -8.298e-3, 0, 0, 0,
  ],
  [
    3.18346481635021405060768473261e-2, 0, 0, 0, 0, 2.83009096723667755288322961402e-2,
    5.35419883074385676223797384372e-2, -5.49237485713909884646569340306e-2, 0, 0,
    -1.08347328697249322858509316994e-4, 3.82571090835658412954920192323e-4,
    -3.40465008687404560802977114492e-4, 1.41312443674632500278074618366e-1, 0, 0,
  ],
  [
    -4.28896301583791923408573538692e-1, 0, 0, 0, 0, -4.69762141536116384314449447206,
    7.68342119606259904184240953878, 4.06898981839711007970213554331,
    3.56727187455281109270669543021e-1, 0, 0, 0, -1.39902416515901462129418009734e-3,
    2.9475147891527723389556272149, -9.15095847217987001081870187138, 0,
  ],
];
const DOP_E5 = [
  0.1312004499419488073250102996e-1, 0, 0, 0, 0, -0.1225156446376204440720569753e+1,
  -0.4957589496572501915214079952, 0.1664377182454986536961530415e+1,
  -0.3503288487499736816886487290, 0.3341791187130174790297318841,
  0.8192320648511571246570742613e-1, -0.2235530786388629525884427845e-1, 0,
];
const DOP_D = [
  [
    -0.84289382761090128651353491142e+1, 0, 0, 0, 0, 0.56671495351937776962531783590,
    -0.30689499459498916912797304727e+1, 0.23846676565120698287728149680e+1,
    0.21170345824450282767155149946e+1, -0.87139158377797299206789907490,
    0.22404374302607882758541771650e+1, 0.63157877876946881815570249290,
    -0.88990336451333310820698117400e-1, 0.18148505520854727256656404962e+2,
    -0.91946323924783554000451984436e+1, -0.44360363875948939664310572000e+1,
  ],
  [
    0.10427508642579134603413151009e+2, 0, 0, 0, 0, 0.24228349177525818288430175319e+3,
    0.16520045171727028198505394887e+3, -0.37454675472269020279518312152e+3,
    -0.22113666853125306036270938578e+2, 0.77334326684722638389603898808e+1,
    -0.30674084731089398182061213626e+2, -0.93321305264302278729567221706e+1,
    0.15697238121770843886131091075e+2, -0.31139403219565177677282850411e+2,
    -0.93529243588444783865713862664e+1, 0.35816841486394083752465898540e+2,
  ],
  [
    0.19985053242002433820987653617e+2, 0, 0, 0, 0, -0.38703730874935176555105901742e+3,
    -0.18917813819516756882830838328e+3, 0.52780815920542364900561016686e+3,
    -0.11573902539959630126141871134e+2, 0.68812326946963000169666922661e+1,
    -0.10006050966910838403183860980e+1, 0.77771377980534432092869265740,
    -0.27782057523535084065932004339e+1, -0.60196695231264120758267380846e+2,
    0.84320405506677161018159903784e+2, 0.11992291136182789328035130030e+2,
  ],
  [
    -0.25693933462703749003312586129e+2, 0, 0, 0, 0, -0.15418974869023643374053993627e+3,
    -0.23152937917604549567536039109e+3, 0.35763911791061412378285349910e+3,
    0.93405324183624310003907691704e+2, -0.37458323136451633156875139351e+2,
    0.10409964950896230045147246184e+3, 0.29840293426660503123344363579e+2,
    -0.43533456590011143754432175058e+2, 0.96324553959188282948394950600e+2,
    -0.39177261675615439165231486172e+2, -0.14972683625798562581422125276e+3,
  ],
];
// B = A[12, :12]; E3 = [B, 0] with three corrections.
const DOP_B = DOP_A[12].slice(0, 12);
const DOP_E3 = [...DOP_B, 0];
DOP_E3[0] -= 0.244094488188976377952755905512;
DOP_E3[8] -= 0.733846688281611857341361741547;
DOP_E3[11] -= 0.220588235294117647058823529412e-1;

const N_STAGES = 12;
const SAFETY = 0.9;
const MIN_FACTOR = 0.2;
const MAX_FACTOR = 10;
const ERROR_EXPONENT = -1 / (7 + 1); // error_estimator_order = 7
const TOO_SMALL_STEP = "Required step size is less than spacing between numbers.";

const VIEW = new DataView(new ArrayBuffer(8));

/** np.nextafter(x, +inf) for a finite x >= 0. */
function nextUp(x) {
  if (x === 0) return Number.MIN_VALUE;
  VIEW.setFloat64(0, x);
  VIEW.setBigUint64(0, VIEW.getBigUint64(0) + 1n);
  return VIEW.getFloat64(0);
}

/** common.norm: the RMS norm, np.linalg.norm(x) / x.size ** 0.5. */
function rmsNorm(x) {
  let s = 0.0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s) / x.length ** 0.5;
}

function selectInitialStep(fun, t0, y0, tBound, f0, direction, order, rtol, atol) {
  const n = y0.length;
  const interval = Math.abs(tBound - t0);
  if (interval === 0.0) return 0.0;
  const scale = y0.map((y) => atol + Math.abs(y) * rtol);
  const d0 = rmsNorm(y0.map((y, i) => y / scale[i]));
  const d1 = rmsNorm(f0.map((f, i) => f / scale[i]));
  let h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
  h0 = Math.min(h0, interval);
  const y1 = new Float64Array(n);
  for (let i = 0; i < n; i++) y1[i] = y0[i] + h0 * direction * f0[i];
  const f1 = fun(t0 + h0 * direction, y1);
  const d2 = rmsNorm(f1.map((f, i) => (f - f0[i]) / scale[i])) / h0;
  const h1 =
    d1 <= 1e-15 && d2 <= 1e-15
      ? Math.max(1e-6, h0 * 1e-3)
      : (0.01 / Math.max(d1, d2)) ** (1 / (order + 1));
  return Math.min(100 * h0, h1, interval);
}

/** K^T a (sum over the first s rows of K, n columns each) times h, plus y. */
function combine(K, a, s, n, h, y, out) {
  for (let i = 0; i < n; i++) {
    let g = 0.0;
    for (let j = 0; j < s; j++) g += K[j * n + i] * a[j];
    out[i] = y[i] + g * h;
  }
  return out;
}

/** rk_step: the 12 stages into K[0..11], y_new, and f_new into K[12]. */
function rkStep(fun, t, y, f, h, K, n, ytmp) {
  K.set(f, 0);
  for (let s = 1; s < N_STAGES; s++) {
    combine(K, DOP_A[s], s, n, h, y, ytmp);
    K.set(fun(t + DOP_C[s] * h, ytmp), s * n);
  }
  const yNew = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let g = 0.0;
    for (let j = 0; j < N_STAGES; j++) g += K[j * n + i] * DOP_B[j];
    yNew[i] = y[i] + h * g;
  }
  const fNew = fun(t + h, yNew);
  K.set(fNew, N_STAGES * n);
  return [yNew, fNew];
}

/** DOP853._estimate_error_norm. */
function errorNorm(K, h, scale, n) {
  let e5 = 0.0;
  let e3 = 0.0;
  for (let i = 0; i < n; i++) {
    let g5 = 0.0;
    let g3 = 0.0;
    for (let j = 0; j <= N_STAGES; j++) {
      g5 += K[j * n + i] * DOP_E5[j];
      g3 += K[j * n + i] * DOP_E3[j];
    }
    g5 /= scale[i];
    g3 /= scale[i];
    e5 += g5 * g5;
    e3 += g3 * g3;
  }
  const e5sq = Math.sqrt(e5) ** 2;
  const e3sq = Math.sqrt(e3) ** 2;
  if (e5sq === 0 && e3sq === 0) return 0.0;
  const denom = e5sq + 0.01 * e3sq;
  return (Math.abs(h) * e5sq) / Math.sqrt(denom * n);
}

/** DOP853._dense_output_impl: the three extra stages and the 7 rows of F. */
function denseOutput(fun, K, n, tOld, h, yOld, y, f, ytmp) {
  for (let s = N_STAGES + 1; s < 16; s++) {
    combine(K, DOP_A[s], s, n, h, yOld, ytmp);
    K.set(fun(tOld + DOP_C[s] * h, ytmp), s * n);
  }
  const F = new Float64Array(7 * n);
  for (let i = 0; i < n; i++) {
    const fOld = K[i];
    const dy = y[i] - yOld[i];
    F[i] = dy;
    F[n + i] = h * fOld - dy;
    F[2 * n + i] = 2 * dy - h * (f[i] + fOld);
    for (let r = 0; r < 4; r++) {
      let g = 0.0;
      for (let j = 0; j < 16; j++) g += DOP_D[r][j] * K[j * n + i];
      F[(3 + r) * n + i] = h * g;
    }
  }
  return F;
}

/** Dop853DenseOutput._call_impl at one time, into out. */
function evaluateDense(F, n, tOld, t, yOld, time, out) {
  const x = (time - tOld) / (t - tOld);
  out.fill(0.0);
  for (let r = 0; r < 7; r++) {
    const row = (6 - r) * n;
    const factor = r % 2 === 0 ? x : 1 - x;
    for (let i = 0; i < n; i++) out[i] = (out[i] + F[row + i]) * factor;
  }
  for (let i = 0; i < n; i++) out[i] += yOld[i];
  return out;
}

/**
 * The states at the times tEval (increasing, tEval[0] >= 0), from y0 at t = 0, as rows of
 * a Float64Array (tEval.length x n). Throws as class_mean_flow does when the solver fails.
 */
export function solveIvpDop853(fun, y0, tEval, rtol, atol) {
  const n = y0.length;
  const t0 = 0.0;
  const tBound = tEval[tEval.length - 1];
  for (let i = 0; i < tEval.length; i++) {
    if (tEval[i] < Math.min(t0, tBound) || tEval[i] > Math.max(t0, tBound)) {
      throw new Error("Values in `t_eval` are not within `t_span`.");
    }
    if (tBound > t0 && i > 0 && tEval[i] <= tEval[i - 1]) {
      throw new Error("Values in `t_eval` are not properly sorted.");
    }
  }
  if (rtol < 100 * EPS) rtol = 100 * EPS; // validate_tol (scipy warns)
  const direction = tBound !== t0 ? Math.sign(tBound - t0) : 1;
  const out = new Float64Array(tEval.length * n);
  let y = Float64Array.from(y0);
  let f = fun(t0, y);
  let t = t0;
  let iEval = 0;
  const upTo = (time) => {
    let i = iEval;
    while (i < tEval.length && tEval[i] <= time) i++;
    return i;
  };
  if (n === 0 || t === tBound) {
    // The solver finishes at once; ConstantDenseOutput gives y0.
    for (let i = 0; i < upTo(t); i++) out.set(y, i * n);
    return out;
  }
  let hAbs = selectInitialStep(fun, t0, y, tBound, f, direction, 7, rtol, atol);
  const K = new Float64Array(16 * n);
  const ytmp = new Float64Array(n);
  const scale = new Float64Array(n);
  const yEval = new Float64Array(n);
  for (;;) {
    // RungeKutta._step_impl (max_step is infinite).
    const minStep = 10 * Math.abs(nextUp(t) - t);
    let h = 0;
    let tNew = 0;
    let yNew;
    let fNew;
    let stepAbs = hAbs < minStep ? minStep : hAbs;
    let rejected = false;
    for (;;) {
      if (stepAbs < minStep) throw new Error(`the ODE solver failed: ${TOO_SMALL_STEP}`);
      h = stepAbs * direction;
      tNew = t + h;
      if (direction * (tNew - tBound) > 0) tNew = tBound;
      h = tNew - t;
      stepAbs = Math.abs(h);
      [yNew, fNew] = rkStep(fun, t, y, f, h, K, n, ytmp);
      for (let i = 0; i < n; i++) {
        scale[i] = atol + Math.max(Math.abs(y[i]), Math.abs(yNew[i])) * rtol;
      }
      const err = errorNorm(K, h, scale, n);
      if (err < 1) {
        let factor = err === 0 ? MAX_FACTOR : Math.min(MAX_FACTOR, SAFETY * err ** ERROR_EXPONENT);
        if (rejected) factor = Math.min(1, factor);
        stepAbs *= factor;
        break;
      }
      stepAbs *= Math.max(MIN_FACTOR, SAFETY * err ** ERROR_EXPONENT);
      rejected = true;
    }
    const tOld = t;
    const yOld = y;
    t = tNew;
    y = yNew;
    f = fNew;
    hAbs = stepAbs;
    const finished = direction * (t - tBound) >= 0;
    // solve_ivp: the t_eval values up to t, from this step's dense output.
    const iNew = upTo(t);
    if (iNew > iEval) {
      const F = denseOutput(fun, K, n, tOld, h, yOld, y, f, ytmp);
      for (let i = iEval; i < iNew; i++) {
        out.set(evaluateDense(F, n, tOld, t, yOld, tEval[i], yEval), i * n);
      }
      iEval = iNew;
    }
    if (finished) break;
  }
  return out;
}
