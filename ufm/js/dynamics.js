/*
 * Port of ufm/dynamics.py (gradient descent, the exact flow on S), of the reduced engine and
 * the driver of ufm/_descent.py, and of ufm/reduced.py's ReducedState (one module here: the
 * three hold one algorithm).
 *
 *   new ReducedState(Hbar, Sigma, W, b, N)
 *                           the state with N removed, checked as in Python (arrays [p, C],
 *                           [p, p] symmetric, [C, p], [C]); .C, .p
 *   ReducedState.random(C, N, p, eps, seed = null)
 *                           the reduced state of ufm.random_init, drawn as numpy draws it
 *                           (normals, then chi-squares of C(N-1) - i degrees of freedom)
 *   gradientDescent(state, {lr, steps, recordEvery = 1, method = "auto"})
 *                           a Trajectory {final (a ReducedState), steps ([T], integers),
 *                           risk ([T]), errors ([T, 3]), distanceToS ([T]), divergedAt
 *                           (null or the step), lr, method: "reduced", nc1: null}
 *   flowOnS(W0, beta0, t, N, rankTol = null)
 *                           [H, W, b] at time t (a Number), or with a leading [T] axis when
 *                           t is an array
 *   riccatiEigenvalues(W0, t, N, rankTol = null)
 *                           [T, C], largest first
 *
 * The pieces, exported as in Python: CHECK_EVERY, factor(Sigma, p) -> {L, r}, the engine
 * ReducedDescent, run(engine, steps, recordEvery) -> {divergedAt, frozen}, replay,
 * recordedSteps(steps, recordEvery), _flowStart, _flowedSingularValues.
 *
 * Long runs as jobs: descending(state, options) and descendingFrom(H, W, b, …) are
 * gradientDescent and gradientDescentFrom as generators that yield their progress every
 * CHECK_EVERY steps (runSteps); finish(job) runs one at once, settle(job, page) in slices
 * of SLICE_MS that leave the page responsive (the explorers' heavy runs).
 *
 * Only the reduced engine is ported: gradientDescent runs from a ReducedState
 * (ReducedState.random, or reduced_in_S), and gradientDescentFrom(H, W, b, lr, steps,
 * recordEvery) from a full state, through the same engine (the discussion chapter's runs).
 * Batches (a leading K axis) and the recording of NC1 are not ported.
 *
 * The engine (ReducedDescent) mirrors Python's: the state Z = [W | b] (C x (p+1)) and
 * F = [[u, L], [√N 1^T, 0]] ((p+1) x (C+r)), u = √N H̄, Σ = L L^T, one step
 *     E = Z F - [√N I | 0],  E *= η/(CN),  Z ← Z - E F^T,  [u, L] ← [u, L] - W^T E
 * and its re-association through F F^T and Z^T Z when C > p + 1. It works in two
 * preallocated buffers (read one, write the other): no allocation per step. The driver
 * (run) checks the risk every CHECK_EVERY steps, replays the last stretch one step at a
 * time when it is not finite to find the exact step, and freezes the run at its last
 * finite iterate; recorded values from that step on are NaN. Measures are computed when a
 * step is recorded, from (W, b, u, tr Σ), with the kernels of collapse.js and subspace.js.
 *
 * Agreement with ufm: products are summed in another order than numpy's BLAS, so iterates
 * differ from Python's in the last bits. Below the stability limit 2/λ_max that stays at
 * rounding level (6e-14 relative over whole runs). Above it, where descent oscillates
 * chaotically or grows from rounding noise, the two drift apart like any two roundings of
 * a chaotic map: the recorded values may differ and, rarely (1 in 300 random settings of
 * the sliders), the divergence step by one.
 */

import { _errors, repeatTransposed, simplexBasis } from "./collapse.js";
import { EPS, array, cholesky, eigh, matmul, matmulNT, matmulTN, pairwiseSum, qr, svd } from "./linalg.js";
import { asArray, positiveFloat, positiveInt, seedOrNone, sizes, triple } from "./model.js";
import { pyRepr } from "./format.js";
import { Generator } from "./random.js";
import { _distance } from "./subspace.js";

export const CHECK_EVERY = 50;

// ---------------------------------------------------------------------------------------
// ufm/reduced.py: the reduced state.

export class ReducedState {
  constructor(Hbar, Sigma, W, b, N) {
    asArray(W, "W", 2);
    asArray(Hbar, "Hbar", 2);
    asArray(Sigma, "Sigma", 2);
    asArray(b, "b", 1);
    positiveInt(N, "N");
    const [C, p] = W.shape;
    if (C < 2) throw new Error(`W has ${C} row; expected one row per class and C >= 2 classes`);
    if (Hbar.shape[0] !== p || Hbar.shape[1] !== C) {
      throw new Error(`Hbar has shape (${Hbar.shape.join(", ")}); expected (${p}, ${C}) (p x C)`);
    }
    if (Sigma.shape[0] !== p || Sigma.shape[1] !== p) {
      throw new Error(`Sigma has shape (${Sigma.shape.join(", ")}); expected (${p}, ${p}) (p x p)`);
    }
    if (b.shape[0] !== C) {
      throw new Error(`b has shape (${b.shape[0]},); expected (${C},) (one entry per class)`);
    }
    const S = Sigma.data;
    let asym = 0.0;
    let big = 0.0;
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        asym = Math.max(asym, Math.abs(S[i * p + j] - S[j * p + i]));
        big = Math.max(big, Math.abs(S[i * p + j]));
      }
    }
    if (asym > 1e-12 * Math.max(big, 1e-300)) {
      throw new Error("Sigma is not symmetric; expected Sigma = Delta Delta^T");
    }
    this.Hbar = Hbar;
    this.Sigma = Sigma;
    this.W = W;
    this.b = b;
    this.N = N;
  }

  get C() {
    return this.W.shape[0];
  }

  get p() {
    return this.W.shape[1];
  }

  static random(C, N, p, eps, seed = null) {
    sizes(C, N, p);
    positiveFloat(eps, "eps");
    const rng = new Generator(seedOrNone(seed));
    const Hbar = rng.standardNormal([p, C]);
    const sN = Math.sqrt(N);
    for (let i = 0; i < Hbar.length; i++) Hbar[i] /= sN;
    const df = C * (N - 1);
    let L;
    let cols;
    if (df < p) {
      cols = df;
      L = df > 0 ? rng.standardNormal([p, df]) : new Float64Array(0);
    } else {
      cols = p;
      L = rng.standardNormal([p, p]);
      for (let i = 0; i < p; i++) for (let j = i; j < p; j++) L[i * p + j] = 0.0;
      const dfs = Float64Array.from({ length: p }, (_, i) => df - i);
      const chi = rng.chisquare(dfs);
      for (let i = 0; i < p; i++) L[i * p + i] = Math.sqrt(chi[i]);
    }
    const Sigma = symmetricProduct(L, p, cols);
    const W = rng.standardNormal([C, p]);
    let hh = 0.0;
    for (let i = 0; i < Hbar.length; i++) hh += Hbar[i] * Hbar[i];
    let trace = 0.0;
    for (let i = 0; i < p; i++) trace += Sigma[i * p + i];
    const s2 = (eps * eps) / (N * hh + trace);
    const s = Math.sqrt(s2);
    let ww = 0.0;
    for (let i = 0; i < W.length; i++) ww += W[i] * W[i];
    const norm = Math.sqrt(ww);
    return new ReducedState(
      array([p, C], Hbar.map((x) => s * x)),
      array([p, p], Sigma.map((x) => s2 * x)),
      array([C, p], W.map((x) => (eps * x) / norm)),
      array([C], new Float64Array(C)),
      N,
    );
  }
}

/** L L^T (p x p, exactly symmetric) for L of p x cols. */
function symmetricProduct(L, p, cols) {
  const S = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0.0;
      for (let k = 0; k < cols; k++) s += L[i * cols + k] * L[j * cols + k];
      S[i * p + j] = s;
      S[j * p + i] = s;
    }
  }
  return S;
}

// ---------------------------------------------------------------------------------------
// ufm/_descent.py: the factor of the scatter, the reduced engine, the driver.

/**
 * A factor L (p x r) with L L^T = Σ: Cholesky when Σ is positive definite, otherwise the
 * eigendecomposition keeping the eigenvalues above p·eps·λ_max (as _descent.factor).
 */
export function factor(Sigma, p) {
  const chol = cholesky(Sigma, p);
  if (chol !== null) return { L: chol, r: p };
  const { values: lam, vectors: U } = eigh(Sigma, p);
  const top = Math.max(lam[p - 1], 0.0);
  const tol = p * EPS * top;
  let r = 0;
  for (let i = 0; i < p; i++) {
    if (lam[i] < -100 * tol - 1e-300) {
      throw new Error("Sigma has a negative eigenvalue; expected a positive semidefinite Sigma");
    }
    if (lam[i] > tol) r++;
  }
  const L = new Float64Array(p * r);
  for (let j = 0; j < r; j++) {
    const col = p - r + j;
    const root = Math.sqrt(lam[col] > tol ? lam[col] : 0.0);
    for (let i = 0; i < p; i++) L[i * r + j] = U[i * p + col] * root;
  }
  return { L, r };
}

/** The recorded measures of one run, filled as steps are recorded. */
export class Results {
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

/**
 * Gradient descent on one reduced state, in two preallocated buffers (see the header).
 * Hbar (p x C), L (p x r), W (C x p), b (C): raw Float64Arrays.
 */
export class ReducedDescent {
  constructor(Hbar, L, r, W, b, N, lr, results) {
    const C = b.length;
    const p = W.length / C;
    const P1 = p + 1;
    const CR = C + r;
    this.C = C;
    this.p = p;
    this.r = r;
    this.N = N;
    this.s = Math.sqrt(N);
    this.a = lr / (C * N);
    this.results = results;
    this.largeC = C > p + 1;
    this.Z = [new Float64Array(C * P1), new Float64Array(C * P1)];
    this.F = [new Float64Array(P1 * CR), new Float64Array(P1 * CR)];
    for (const F of this.F) for (let j = 0; j < C; j++) F[p * CR + j] = this.s;
    const Z = this.Z[0];
    const F = this.F[0];
    for (let c = 0; c < C; c++) {
      for (let k = 0; k < p; k++) Z[c * P1 + k] = W[c * p + k];
      Z[c * P1 + p] = b[c];
    }
    for (let k = 0; k < p; k++) {
      for (let c = 0; c < C; c++) F[k * CR + c] = this.s * Hbar[k * C + c];
      for (let j = 0; j < r; j++) F[k * CR + C + j] = L[k * r + j];
    }
    this.cur = 0;
    // Scratch of the kernels and of the measures.
    this.E = new Float64Array(C * CR);
    this.gZ = new Float64Array(C * P1);
    if (this.largeC) {
      this.row = new Float64Array(CR);
      this.G = new Float64Array(P1 * P1);
      this.Y = new Float64Array(P1 * P1);
      this.T = new Float64Array(p * C);
    } else {
      this.gF = new Float64Array(P1 * CR);
    }
    this.Wbuf = new Float64Array(C * p);
    this.bbuf = new Float64Array(C);
    this.ubuf = new Float64Array(p * C);
    results.add(...this._summary());
  }

  step(record = false) {
    const src = this.cur;
    const dst = 1 - src;
    if (this.largeC) this._largeC(this.Z[src], this.F[src], this.Z[dst], this.F[dst]);
    else this._smallC(this.Z[src], this.F[src], this.Z[dst], this.F[dst]);
    this.cur = dst;
    if (record) this.results.add(...this._summary());
  }

  // E = a (Z F - [√N I | 0]); Zd = Z - E F^T; Fd[:p] = F[:p] - W^T E.
  _smallC(Z, F, Zd, Fd) {
    const { C, p, a, E, gZ, gF } = this;
    const P1 = p + 1;
    const CR = C + this.r;
    this._product(Z, F, E);
    for (let i = 0; i < E.length; i++) E[i] *= a;
    matmulNT(E, F, C, CR, P1, gZ);
    matmulTN(Z, E, C, P1, CR, gF); // its last row (b^T E) is not used
    for (let i = 0; i < gZ.length; i++) Zd[i] = Z[i] - gZ[i];
    for (let i = 0; i < p * CR; i++) Fd[i] = F[i] - gF[i];
  }

  // E = Z F - [√N I | 0] (unscaled), into E.
  _product(Z, F, E) {
    const { C, p, s } = this;
    const CR = C + this.r;
    matmul(Z, F, C, p + 1, CR, E);
    for (let i = 0; i < C; i++) E[i * CR + i] -= s;
  }

  // The small-C step re-associated (no C x C matrix), as _large_C_kernel:
  // G = a F F^T, Y = a Z^T Z, Zd = Z - Z G, then Wd += a√N u^T, bd += a N;
  // Fd[:p] = F[:p] - Y[:p] F, then ud += a√N W^T (old W and u).
  _largeC(Z, F, Zd, Fd) {
    const { C, p, a, s, N, G, Y, T, row } = this;
    const P1 = p + 1;
    const CR = C + this.r;
    for (let k = 0; k < P1; k++) {
      for (let l = 0; l < P1; l++) {
        let g = 0.0;
        for (let j = 0; j < CR; j++) g += F[k * CR + j] * F[l * CR + j];
        G[k * P1 + l] = g;
      }
    }
    Y.fill(0.0);
    for (let i = 0; i < C; i++) {
      for (let k = 0; k < P1; k++) {
        const z = Z[i * P1 + k];
        for (let l = 0; l < P1; l++) Y[k * P1 + l] += z * Z[i * P1 + l];
      }
    }
    for (let i = 0; i < G.length; i++) {
      G[i] *= a;
      Y[i] *= a;
    }
    const as = a * s;
    for (let k = 0; k < p; k++) for (let c = 0; c < C; c++) T[k * C + c] = Z[c * P1 + k] * as;
    for (let i = 0; i < C; i++) {
      for (let l = 0; l < P1; l++) {
        let g = 0.0;
        for (let k = 0; k < P1; k++) g += Z[i * P1 + k] * G[k * P1 + l];
        Zd[i * P1 + l] = Z[i * P1 + l] - g;
      }
      for (let k = 0; k < p; k++) Zd[i * P1 + k] += F[k * CR + i] * as;
      Zd[i * P1 + p] += a * N;
    }
    for (let k = 0; k < p; k++) {
      row.fill(0.0, 0, CR);
      for (let l = 0; l < P1; l++) {
        const y = Y[k * P1 + l];
        for (let j = 0; j < CR; j++) row[j] += y * F[l * CR + j];
      }
      const fk = k * CR;
      for (let j = 0; j < CR; j++) Fd[fk + j] = F[fk + j] - row[j];
      for (let c = 0; c < C; c++) Fd[fk + c] += T[k * C + c];
    }
  }

  /** ||W H + b 1^T - Y||_F^2 of the current state (not finite: the run has diverged). */
  measure() {
    return this._residualSq(this.Z[this.cur], this.F[this.cur]);
  }

  _residualSq(Z, F) {
    const { C, p, s, N, E } = this;
    const P1 = p + 1;
    const CR = C + this.r;
    if (this.largeC) {
      let yg = 0.0;
      for (let k = 0; k < P1; k++) {
        for (let l = 0; l < P1; l++) {
          let g = 0.0;
          for (let j = 0; j < CR; j++) g += F[k * CR + j] * F[l * CR + j];
          let y = 0.0;
          for (let i = 0; i < C; i++) y += Z[i * P1 + k] * Z[i * P1 + l];
          yg += y * g;
        }
      }
      let trace = 0.0;
      for (let i = 0; i < C; i++) {
        for (let j = 0; j < P1; j++) trace += Z[i * P1 + j] * F[j * CR + i];
      }
      return yg - 2 * s * trace + N * C;
    }
    this._product(Z, F, E);
    let sq = 0.0;
    for (let i = 0; i < E.length; i++) sq += E[i] * E[i];
    return sq;
  }

  // (W, b, u, tr Σ, ||W H + b 1^T - Y||^2) of the current state, for Results.add.
  _summary() {
    const { C, p, Wbuf, bbuf, ubuf } = this;
    const P1 = p + 1;
    const CR = C + this.r;
    const Z = this.Z[this.cur];
    const F = this.F[this.cur];
    for (let c = 0; c < C; c++) {
      for (let k = 0; k < p; k++) Wbuf[c * p + k] = Z[c * P1 + k];
      bbuf[c] = Z[c * P1 + p];
    }
    let within = 0.0;
    for (let k = 0; k < p; k++) {
      for (let c = 0; c < C; c++) ubuf[k * C + c] = F[k * CR + c];
      for (let j = C; j < CR; j++) within += F[k * CR + j] * F[k * CR + j];
    }
    return [Wbuf, bbuf, ubuf, within, this._residualSq(Z, F)];
  }

  /** Copy the current state into saved = {Z, F} (allocated when omitted). */
  save(saved) {
    const out = saved ?? {
      Z: new Float64Array(this.Z[0].length),
      F: new Float64Array(this.F[0].length),
    };
    out.Z.set(this.Z[this.cur]);
    out.F.set(this.F[this.cur]);
    return out;
  }

  restore(saved) {
    this.Z[this.cur].set(saved.Z);
    this.F[this.cur].set(saved.F);
  }

  /** A saved (or the current) state as {Hbar, L, W, b} (raw arrays, copies). */
  take(saved = { Z: this.Z[this.cur], F: this.F[this.cur] }) {
    const { C, p, r, s } = this;
    const P1 = p + 1;
    const CR = C + r;
    const Hbar = new Float64Array(p * C);
    const L = new Float64Array(p * r);
    const W = new Float64Array(C * p);
    const b = new Float64Array(C);
    for (let k = 0; k < p; k++) {
      for (let c = 0; c < C; c++) Hbar[k * C + c] = saved.F[k * CR + c] / s;
      for (let j = 0; j < r; j++) L[k * r + j] = saved.F[k * CR + C + j];
    }
    for (let c = 0; c < C; c++) {
      for (let k = 0; k < p; k++) W[c * p + k] = saved.Z[c * P1 + k];
      b[c] = saved.Z[c * P1 + p];
    }
    return { Hbar, L, W, b };
  }
}

/**
 * Advance `engine` by `steps` steps, recording every `recordEvery` steps and at the last;
 * find the step at which the run diverges and freeze it there (as _descent.run, for one
 * run). Returns {divergedAt (-1 if it did not), frozen (the last finite iterate, or null)}.
 */
export function run(engine, steps, recordEvery) {
  return finish(runSteps(engine, steps, recordEvery));
}

/** run as a job: a generator that yields the share of the steps done (0 … 1) after each
 * block of CHECK_EVERY steps, and returns run's result (see finish and settle). */
export function* runSteps(engine, steps, recordEvery) {
  const recorded = new Uint8Array(steps + 1);
  for (let j = 0; j <= steps; j += recordEvery) recorded[j] = 1;
  recorded[steps] = 1;
  let k = 0;
  let start = 0;
  const saved = engine.save();
  for (;;) {
    if (!Number.isFinite(engine.measure())) {
      return replay(engine, saved, start, k);
    }
    if (k === steps) break;
    engine.save(saved);
    start = k;
    const stop = Math.min(k + CHECK_EVERY, steps);
    for (let j = start + 1; j <= stop; j++) engine.step(recorded[j] === 1);
    k = stop;
    yield k / steps;
  }
  return { divergedAt: -1, frozen: null };
}

/** runSteps, then the recorded values of a diverged run set to NaN from the step it
 * diverged on (`recorded`: the recorded steps, recordedSteps). */
function* runRecorded(engine, steps, recordEvery, recorded, results) {
  const out = yield* runSteps(engine, steps, recordEvery);
  if (out.divergedAt >= 0) {
    for (let t = 0; t < recorded.length; t++) {
      if (recorded[t] >= out.divergedAt) {
        results.risk[t] = NaN;
        results.distance[t] = NaN;
        results.errors.fill(NaN, 3 * t, 3 * t + 3);
      }
    }
  }
  return out;
}

/** Run a job (a generator yielding its progress) to its end, at once; its result. */
export function finish(job) {
  for (;;) {
    const next = job.next();
    if (next.done) return next.value;
  }
}

/** A job as part of a longer one: its progress mapped to from … to; its result. */
export function* within(job, from, to) {
  for (;;) {
    const next = job.next();
    if (next.done) return next.value;
    yield from + next.value * (to - from);
  }
}

/** Milliseconds a job runs before it gives the page a turn (settle). */
export const SLICE_MS = 40;

/**
 * Run a job to its end, giving the page a turn every SLICE_MS: `await page.turn(progress)`
 * (runtime.js: it lets the page scroll and redraw, shows the progress, and throws when the
 * reader has asked for another setting meanwhile, which abandons the job). Without a page
 * (node, the tests) the job runs at once. A Promise of the job's result.
 */
export async function settle(job, page = null) {
  if (!page) return finish(job);
  let last = performance.now();
  for (;;) {
    const next = job.next();
    if (next.done) return next.value;
    if (performance.now() - last >= SLICE_MS) {
      await page.turn(next.value);
      last = performance.now();
    }
  }
}

/** Redo steps start … stop one at a time from the saved state of step start to find the
 * first whose risk is not finite; the run is frozen at the iterate before it. */
export function replay(engine, saved, start, stop) {
  engine.restore(saved);
  let previous = engine.save();
  for (let j = start; j <= stop; j++) {
    if (!Number.isFinite(engine.measure())) {
      return { divergedAt: j, frozen: engine.take(previous) };
    }
    if (j === stop) break;
    previous = engine.save(previous);
    engine.step(false);
  }
  return { divergedAt: -1, frozen: null }; // not reached: the replay redoes the same steps
}

/** Integers 0, k, 2k, … and `steps` (np.unique(np.r_[np.arange(0, steps + 1, k), steps])). */
export function recordedSteps(steps, recordEvery) {
  const out = [];
  for (let j = 0; j <= steps; j += recordEvery) out.push(j);
  if (out[out.length - 1] !== steps) out.push(steps);
  return Int32Array.from(out);
}

export function gradientDescent(state, options = {}) {
  return finish(descending(state, options));
}

/** gradientDescent as a job (see runSteps): yields its progress, returns the trajectory. */
export function* descending(state, { lr, steps, recordEvery = 1, method = "auto" } = {}) {
  if (!(state instanceof ReducedState)) {
    throw new TypeError(
      "state must be a ReducedState: only the reduced implementation of gradient descent " +
        "is ported to JavaScript",
    );
  }
  const { C, p, N } = state;
  positiveInt(steps, "steps");
  positiveInt(recordEvery, "record_every");
  if (!["auto", "full", "reduced"].includes(method)) {
    throw new Error(`method must be 'auto', 'full' or 'reduced'; got '${method}'`);
  }
  if (method === "full") {
    throw new Error("method='full' needs the features H; a ReducedState runs reduced");
  }
  positiveFloat(lr, "lr");
  const recorded = recordedSteps(steps, recordEvery);
  const T = recorded.length;
  const results = new Results(T, C, p, N);
  const { L, r } = factor(state.Sigma.data, p);
  const engine = new ReducedDescent(
    state.Hbar.data, L, r, state.W.data, state.b.data, N, lr, results,
  );
  const { divergedAt, frozen } = yield* runRecorded(engine, steps, recordEvery, recorded, results);
  const last = frozen ?? engine.take();
  const final = new ReducedState(
    array([p, C], last.Hbar),
    array([p, p], symmetricProduct(last.L, p, r)),
    array([C, p], last.W),
    array([C], last.b),
    N,
  );
  return {
    final,
    steps: array([T], recorded),
    risk: array([T], results.risk),
    errors: array([T, 3], results.errors),
    distanceToS: array([T], results.distance),
    divergedAt: divergedAt >= 0 ? divergedAt : null,
    lr,
    nc1: null,
    method: "reduced",
  };
}

// ---------------------------------------------------------------------------------------
// The exact gradient flow on S.

/** A Number, a JS array, a typed array or an array {shape, data} of times, as a vector. */
function times(t, name = "t") {
  if (typeof t === "number") return { values: Float64Array.of(t), scalar: true };
  const data = t.data ?? t;
  const values = Float64Array.from(data);
  if (values.length === 0) {
    throw new Error(`${name} is empty (shape (0,)); expected a non-empty array`);
  }
  return { values, scalar: false };
}

/** _flow_start: the checks, and the SVD of W0 with the singular values at or below
 * rankTol · s_max set to 0. */
export function _flowStart(W0, t, rankTol) {
  asArray(W0, "W0", 2);
  const [C, p] = W0.shape;
  if (C < 2) throw new Error(`W0 has ${C} row; expected C >= 2 rows (one per class)`);
  const { values, scalar } = times(t);
  for (const x of values) {
    if (!Number.isFinite(x)) {
      throw new Error("t has NaN or infinite entries; expected finite numbers");
    }
  }
  const tmin = values.reduce((m, x) => Math.min(m, x), Infinity);
  if (tmin < 0) throw new Error(`t must be >= 0; got minimum ${pyRepr(tmin)}`);
  const w = W0.data;
  let scale = 0.0;
  for (let i = 0; i < w.length; i++) scale += w[i] * w[i];
  scale = Math.sqrt(scale);
  let colsum = 0.0;
  for (let k = 0; k < p; k++) {
    let sum = 0.0;
    for (let c = 0; c < C; c++) sum += w[c * p + k];
    colsum += sum * sum;
  }
  if (Math.sqrt(colsum) > 1e-10 * Math.max(scale, 1.0) * Math.sqrt(C)) {
    throw new Error(
      "W0 is not in S: its columns must sum to zero (1^T W0 = 0); " +
        "use ufm.project_S to project a state onto S",
    );
  }
  if (rankTol === null || rankTol === undefined) rankTol = Math.max(C, p) * EPS;
  if (typeof rankTol !== "number") {
    throw new TypeError(`rank_tol must be a number or None; got ${String(rankTol)}`);
  }
  if (!Number.isFinite(rankTol) || rankTol < 0) {
    throw new Error(`rank_tol must be a finite number >= 0; got ${pyRepr(rankTol)}`);
  }
  const { U, s, Vt } = svd(w, C, p);
  const cut = rankTol * (s.length ? s[0] : 0.0);
  for (let i = 0; i < s.length; i++) if (!(s[i] > cut)) s[i] = 0.0;
  return { U, s, Vt, times: values, scalar, C, p };
}

/** σ(t) = s / sqrt(e^{-κt} + (1 - e^{-κt}) s^2/√N), κ = 2/(C√N); zeros stay zero. */
export function _flowedSingularValues(s, t, C, N, out = new Float64Array(s.length)) {
  const decay = Math.exp((-2.0 / (C * Math.sqrt(N))) * t);
  const root = Math.sqrt(N);
  for (let i = 0; i < s.length; i++) {
    out[i] = s[i] > 0 ? s[i] / Math.sqrt(decay + ((1 - decay) * (s[i] * s[i])) / root) : 0.0;
  }
  return out;
}

export function flowOnS(W0, beta0, t, N, rankTol = null) {
  positiveInt(N, "N");
  if (typeof beta0 !== "number" || !Number.isFinite(beta0)) {
    const text = typeof beta0 === "number" ? pyRepr(beta0) : String(beta0);
    throw new Error(`beta0 must be a finite real number; got ${text}`);
  }
  const { U, s, Vt, times: ts, scalar, C, p } = _flowStart(W0, t, rankTol);
  const k = s.length;
  const T = ts.length;
  const CN = C * N;
  const Hs = new Float64Array(T * p * CN);
  const Ws = new Float64Array(T * C * p);
  const bs = new Float64Array(T * C);
  const sigma = new Float64Array(k);
  const US = new Float64Array(C * k);
  const sN = Math.sqrt(N);
  for (let i = 0; i < T; i++) {
    _flowedSingularValues(s, ts[i], C, N, sigma);
    for (let c = 0; c < C; c++) for (let j = 0; j < k; j++) US[c * k + j] = U[c * k + j] * sigma[j];
    const W = Ws.subarray(i * C * p, (i + 1) * C * p);
    for (let c = 0; c < C; c++) {
      for (let q = 0; q < p; q++) {
        let g = 0.0;
        for (let j = 0; j < k; j++) g += US[c * k + j] * Vt[j * p + q];
        W[c * p + q] = g;
      }
    }
    Hs.set(repeatTransposed(W, C, p, N, sN), i * p * CN);
    const beta = 1.0 / C + (beta0 - 1.0 / C) * Math.exp(-ts[i]);
    bs.fill(beta, i * C, (i + 1) * C);
  }
  if (scalar) return [array([p, CN], Hs), array([C, p], Ws), array([C], bs)];
  return [array([T, p, CN], Hs), array([T, C, p], Ws), array([T, C], bs)];
}

export function riccatiEigenvalues(W0, t, N, rankTol = null) {
  positiveInt(N, "N");
  if (typeof t === "number") throw new Error("t must be a 1-dimensional array; got shape ()");
  const { s, times: ts, C } = _flowStart(W0, t, rankTol);
  const T = ts.length;
  const out = new Float64Array(T * C);
  const sigma = new Float64Array(s.length);
  for (let i = 0; i < T; i++) {
    _flowedSingularValues(s, ts[i], C, N, sigma);
    for (let j = 0; j < s.length; j++) out[i * C + j] = sigma[j] * sigma[j];
  }
  return array([T, C], out);
}

// ---------------------------------------------------------------------------------------
// gradient descent from a full state (H, W, b)

/**
 * ufm.gradient_descent from a full state (H, W, b), returning the Trajectory of
 * gradientDescent with final = [H, W, b]. Python runs gradient descent from (H, W, b) with its full or its reduced
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
 */
export function gradientDescentFrom(H, W, b, lr, steps, recordEvery = 1, options = {}) {
  return finish(descendingFrom(H, W, b, lr, steps, recordEvery, options));
}

/** gradientDescentFrom as a job (see runSteps). */
export function* descendingFrom(H, W, b, lr, steps, recordEvery = 1, { reduceSpan = true } = {}) {
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
    Wr = matmul(W.data, B, C, p, m); // W B
    Hr = matmulTN(B, Hbar, p, m, C); // B^T H̄
    Lr = matmulTN(B, L0, p, m, r); // B^T L_0
  }
  const recorded = recordedSteps(steps, recordEvery);
  const T = recorded.length;
  const results = new Results(T, C, pp, N);
  const engine = new ReducedDescent(Hr, Lr, r, Wr, b.data, N, lr, results);
  const { divergedAt, frozen } = yield* runRecorded(engine, steps, recordEvery, recorded, results);
  const last = frozen ?? engine.take();
  let Wf = last.W;
  let Hbf = last.Hbar;
  let Lf = last.L;
  if (B !== null) {
    Wf = matmulNT(last.W, B, C, m, p); // W' B^T
    Hbf = matmul(B, last.Hbar, p, m, C); // B H̄'
    Lf = matmul(B, last.L, p, m, r); // B L'
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
    steps: array([T], recorded),
    risk: array([T], results.risk),
    errors: array([T, 3], results.errors),
    distanceToS: array([T], results.distance),
    divergedAt: divergedAt >= 0 ? divergedAt : null,
    lr,
  };
}
