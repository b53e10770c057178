/*
 * Port of ufm/extensions.py: weight decay, cross-entropy and unequal class sizes.
 *
 * The extended objective, with n = N_1 + … + N_C samples grouped class by class,
 *
 *     R(H, W, b) = L(H, W, b) + (λ_W/2)||W||_F^2 + (λ_H/2)||H||_F^2 + (λ_b/2)||b||^2,
 *
 * L = ||W H + b 1^T - Y||_F^2/(2n) ("squared") or the mean of -log softmax(W h_i + b)_{y_i}
 * ("cross_entropy").
 *
 *   LOSSES                         ["squared", "cross_entropy"]
 *   classLabels(sizes)             [n] integers (Int32Array data): N_1 zeros, N_2 ones, …
 *   classTargets(sizes)            [C, n] block one-hot Y
 *   extendedInit(sizes, p, eps, seed = null)
 *                                  [H, W, b]: H ([p, n]) then W ([C, p]) drawn as numpy
 *                                  draws them, each rescaled to Frobenius norm eps; b = 0
 *   extendedRisk(H, W, b, {classSizes, loss, lambdaW, lambdaH, lambdaB})
 *                                  the objective, a Number
 *   extendedGradients(H, W, b, {…the same…})
 *                                  [dH, dW, db]
 *   extendedDescent(H, W, b, lr, steps, {classSizes, loss, lambdaW, lambdaH, lambdaB,
 *                   bias = true, recordEvery = 1, recordSteps = null, recordStates = false})
 *                                  {final: [H, W, b], steps ([T]), objective ([T]),
 *                                  states: [Hs ([T, p, n]), Ws ([T, C, p]), bs ([T, C])] or
 *                                  null, divergedAt (null or the step), lr}; with
 *                                  bias = false the bias keeps its initial value
 *   rowCosines(W)                  [C, C] cosines between the rows of W
 *
 * Options are as the Python keywords, in camelCase (lambda_W is lambdaW); classSizes
 * defaults to equal sizes n/C. Only single runs are ported (no batch axis). Arrays are
 * {shape, data} with row-major Float64Array data (see linalg.js).
 *
 * The order of operations is Python's: the objective from Z = W H + b (minus Y, or minus
 * its column maxima before the exponential), G = (Z or softmax - Y)/n, then
 * dH = W^T G + λ_H H, dW = G H^T + λ_W W, db = G 1 + λ_b b, and the update
 * Z - η ∇. Divergence is handled as in Python: at the first step k whose objective is not
 * finite the run is put back to its previous iterate (the last finite one), which is also
 * what a recorded state at step k holds; the run stops there, and its recorded objective
 * is NaN from step k on. The buffers are preallocated: no allocation per step.
 */

import { array, frobenius, matmul, matmulNT, matmulTN, pairwiseSum, sumSq } from "./linalg.js";
import { _stateShapes, asArray, positiveFloat, positiveInt, seedOrNone, shapeText } from "./model.js";
import { pyRepr } from "./format.js";
import { Generator } from "./random.js";

export const LOSSES = ["squared", "cross_entropy"];

function typeName(x) {
  if (x === null || x === undefined) return "NoneType";
  if (typeof x === "number") return Number.isInteger(x) ? "int" : "float";
  if (typeof x === "string") return "str";
  if (typeof x === "boolean") return "bool";
  return typeof x;
}

function describe(x) {
  if (typeof x === "number") return pyRepr(x);
  if (typeof x === "string") return `'${x}'`;
  if (x === null || x === undefined) return "None";
  return String(x);
}

/** The class sizes checked as extensions._class_sizes: a list of C >= 2 integers >= 1. */
export function _classSizes(classSizes) {
  const list = classSizes === null || classSizes === undefined ? null : classSizes.data ?? classSizes;
  if (list === null || typeof list === "string" || typeof list[Symbol.iterator] !== "function") {
    throw new TypeError(
      `class_sizes must be a sequence of integers N_1, …, N_C; got ${describe(classSizes)}`,
    );
  }
  const sizes = Array.from(list);
  sizes.forEach((size, c) => {
    if (typeof size !== "number" || !Number.isInteger(size)) {
      throw new TypeError(
        `class_sizes[${c}] must be an integer; got ${describe(size)} of type ${typeName(size)}`,
      );
    }
    if (size < 1) throw new Error(`class_sizes[${c}] must be an integer >= 1; got ${size}`);
  });
  if (sizes.length < 2) {
    throw new Error(`class_sizes has ${sizes.length} entry; expected C >= 2 classes`);
  }
  return sizes;
}

export function classLabels(classSizes) {
  const sizes = _classSizes(classSizes);
  const n = sizes.reduce((a, v) => a + v, 0);
  const labels = new Int32Array(n);
  let at = 0;
  sizes.forEach((size, c) => {
    labels.fill(c, at, at + size);
    at += size;
  });
  return array([n], labels);
}

export function classTargets(classSizes) {
  const sizes = _classSizes(classSizes);
  const C = sizes.length;
  const n = sizes.reduce((a, v) => a + v, 0);
  const Y = new Float64Array(C * n);
  let at = 0;
  sizes.forEach((size, c) => {
    Y.fill(1.0, c * n + at, c * n + at + size);
    at += size;
  });
  return array([C, n], Y);
}

/** np.linalg.norm of a whole array: the square root of its sum of squares. */

export function extendedInit(classSizes, p, eps, seed = null) {
  const sizes = _classSizes(classSizes);
  positiveInt(p, "p");
  positiveFloat(eps, "eps");
  const rng = new Generator(seedOrNone(seed));
  const n = sizes.reduce((a, v) => a + v, 0);
  const C = sizes.length;
  const H = rng.standardNormal([p, n]);
  const W = rng.standardNormal([C, p]);
  const nH = frobenius(H);
  const nW = frobenius(W);
  for (let i = 0; i < H.length; i++) H[i] = (eps * H[i]) / nH;
  for (let i = 0; i < W.length; i++) W[i] = (eps * W[i]) / nW;
  return [array([p, n], H), array([C, p], W), array([C], new Float64Array(C))];
}

function coefficient(x, name) {
  if (typeof x !== "number") {
    throw new TypeError(`${name} must be a number >= 0; got ${describe(x)} of type ${typeName(x)}`);
  }
  if (!Number.isFinite(x) || x < 0) {
    throw new Error(`${name} must be a finite number >= 0; got ${pyRepr(x)}`);
  }
  return x;
}

/**
 * The checks of extensions._state_and_setting for one state; returns the setting
 * {C, p, n, sizes, loss, lambdaW, lambdaH, lambdaB, Y (C x n), labels (n)}.
 */
export function _setting(H, W, b, options = {}) {
  const { classSizes = null, loss = "squared", lambdaW = 0.0, lambdaH = 0.0, lambdaB = 0.0 } = options;
  const [C, p] = _stateShapes(H, W, b);
  if (b.shape[0] !== C) {
    throw new Error(`b has ${b.shape[0]} entries; expected C = ${C} (one per class)`);
  }
  const n = H.shape[1];
  let sizes;
  if (classSizes === null || classSizes === undefined) {
    if (n % C) {
      throw new Error(
        `H has ${n} columns, not a multiple of C = ${C}; pass class_sizes for unequal classes`,
      );
    }
    sizes = new Array(C).fill(n / C);
  } else {
    sizes = _classSizes(classSizes);
    if (sizes.length !== C) {
      throw new Error(`class_sizes has ${sizes.length} entries; expected C = ${C} (rows of W)`);
    }
    const total = sizes.reduce((a, v) => a + v, 0);
    if (total !== n) throw new Error(`H has ${n} columns; expected n = sum(class_sizes) = ${total}`);
  }
  if (!LOSSES.includes(loss)) {
    throw new Error(`loss must be one of ('squared', 'cross_entropy'); got ${describe(loss)}`);
  }
  const labels = new Int32Array(n);
  let at = 0;
  sizes.forEach((size, c) => {
    labels.fill(c, at, at + size);
    at += size;
  });
  return {
    C,
    p,
    n,
    sizes,
    loss,
    lambdaW: coefficient(lambdaW, "lambda_W"),
    lambdaH: coefficient(lambdaH, "lambda_H"),
    lambdaB: coefficient(lambdaB, "lambda_b"),
    labels,
  };
}

/**
 * The objective of (H, W, b) (raw arrays), and G ((C x n), written into G): the kernel of
 * extensions._objective_and_G for one run. Z is scratch (C x n), total scratch (n).
 */
function objectiveAndG(H, W, b, setting, G, total) {
  const { C, p, n, loss, labels, lambdaW, lambdaH, lambdaB } = setting;
  // Z = W H + b (into G).
  matmul(W, H, C, p, n, G);
  for (let c = 0; c < C; c++) {
    const bc = b[c];
    for (let i = c * n; i < (c + 1) * n; i++) G[i] += bc;
  }
  let value;
  if (loss === "squared") {
    for (let i = 0; i < n; i++) G[labels[i] * n + i] -= 1.0;
    let sq = 0.0;
    for (let j = 0; j < G.length; j++) sq += G[j] * G[j];
    value = sq / (2 * n);
    for (let j = 0; j < G.length; j++) G[j] /= n;
  } else {
    // Z -= max over the classes; E = exp(Z); value = (Σ log Σ_c E - Σ Z·Y)/n;
    // G = (E/total - Y)/n.
    let logs = 0.0;
    let picked = 0.0;
    for (let i = 0; i < n; i++) {
      let top = G[i];
      for (let c = 1; c < C; c++) {
        const z = G[c * n + i];
        if (z > top || Number.isNaN(z)) top = z;
      }
      let sum = 0.0;
      for (let c = 0; c < C; c++) {
        const z = G[c * n + i] - top;
        if (c === labels[i]) picked += z;
        const e = Math.exp(z);
        G[c * n + i] = e;
        sum += e;
      }
      total[i] = sum;
      logs += Math.log(sum);
    }
    value = (logs - picked) / n;
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < n; i++) {
        const j = c * n + i;
        G[j] = (G[j] / total[i] - (labels[i] === c ? 1.0 : 0.0)) / n;
      }
    }
  }
  if (lambdaW) value += (lambdaW / 2) * sumSq(W);
  if (lambdaH) value += (lambdaH / 2) * sumSq(H);
  if (lambdaB) value += (lambdaB / 2) * sumSq(b);
  return value;
}

/** dH = W^T G + λ_H H, dW = G H^T + λ_W W, db = G 1 + λ_b b, into the given buffers. */
function gradientsInto(H, W, b, G, setting, dH, dW, db) {
  const { C, p, n, lambdaW, lambdaH, lambdaB } = setting;
  matmulTN(W, G, C, p, n, dH); // W^T G (p x n)
  matmulNT(G, H, C, n, p, dW); // G H^T (C x p)
  for (let c = 0; c < C; c++) db[c] = pairwiseSum(G, c * n, n, 1);
  if (lambdaH) for (let i = 0; i < dH.length; i++) dH[i] += lambdaH * H[i];
  if (lambdaW) for (let i = 0; i < dW.length; i++) dW[i] += lambdaW * W[i];
  if (lambdaB) for (let i = 0; i < db.length; i++) db[i] += lambdaB * b[i];
}

export function extendedRisk(H, W, b, options = {}) {
  const setting = _setting(H, W, b, options);
  const G = new Float64Array(setting.C * setting.n);
  return objectiveAndG(H.data, W.data, b.data, setting, G, new Float64Array(setting.n));
}

export function extendedGradients(H, W, b, options = {}) {
  const setting = _setting(H, W, b, options);
  const { C, p, n } = setting;
  const G = new Float64Array(C * n);
  objectiveAndG(H.data, W.data, b.data, setting, G, new Float64Array(n));
  const dH = new Float64Array(p * n);
  const dW = new Float64Array(C * p);
  const db = new Float64Array(C);
  gradientsInto(H.data, W.data, b.data, G, setting, dH, dW, db);
  return [array([p, n], dH), array([C, p], dW), array([C], db)];
}

/** The recorded steps: np.unique of record_steps (checked) and steps, or 0, k, 2k, … and steps. */
function recordedSteps(steps, recordEvery, recordSteps) {
  const marks = [];
  if (recordSteps === null || recordSteps === undefined) {
    for (let j = 0; j <= steps; j += recordEvery) marks.push(j);
  } else {
    const wanted = Array.from(recordSteps.data ?? recordSteps);
    if (wanted.length === 0 || !wanted.every((v) => typeof v === "number" && Number.isInteger(v))) {
      throw new TypeError(
        "record_steps must be a non-empty 1-dimensional array of integers; " +
          `got ${JSON.stringify(wanted)}`,
      );
    }
    const lo = Math.min(...wanted);
    const hi = Math.max(...wanted);
    if (lo < 0 || hi > steps) {
      throw new Error(`record_steps must lie in 0, …, steps = ${steps}; got ${lo} … ${hi}`);
    }
    marks.push(...wanted);
  }
  marks.push(steps);
  return Int32Array.from(new Set(marks)).sort();
}

export function extendedDescent(H0, W0, b0, lr, steps, options = {}) {
  const setting = _setting(H0, W0, b0, options);
  const { bias = true, recordEvery = 1, recordSteps = null, recordStates = false } = options;
  positiveInt(steps, "steps");
  positiveInt(recordEvery, "record_every");
  if (typeof recordStates !== "boolean") {
    throw new TypeError(`record_states must be True or False; got ${describe(recordStates)}`);
  }
  if (typeof bias !== "boolean") {
    throw new TypeError(`bias must be True or False; got ${describe(bias)}`);
  }
  if (typeof lr !== "number") {
    throw new Error(`lr has shape ${shapeText(lr?.shape ?? [])}; expected a number`);
  }
  positiveFloat(lr, "lr");
  const { C, p, n } = setting;
  const recorded = recordedSteps(steps, recordEvery, recordSteps);
  const T = recorded.length;
  const isRecorded = new Uint8Array(steps + 1);
  for (const k of recorded) isRecorded[k] = 1;
  const values = new Float64Array(T).fill(NaN);
  const sizes = [p * n, C * p, C];
  const kept = recordStates ? sizes.map((size) => new Float64Array(T * size).fill(NaN)) : null;

  // Three buffers per array (previous, current, next), rotated after each step.
  const buffers = sizes.map((size) => [0, 1, 2].map(() => new Float64Array(size)));
  buffers[0][1].set(H0.data);
  buffers[1][1].set(W0.data);
  buffers[2][1].set(b0.data);
  buffers[0][0].set(H0.data);
  buffers[1][0].set(W0.data);
  buffers[2][0].set(b0.data);
  let prev = 0;
  let cur = 1;
  let next = 2;
  const G = new Float64Array(C * n);
  const total = new Float64Array(n);
  const dH = new Float64Array(p * n);
  const dW = new Float64Array(C * p);
  const db = new Float64Array(C);
  const [Hb, Wb, bb] = buffers;
  let divergedAt = -1;
  let t = 0;
  for (let k = 0; k <= steps; k++) {
    const H = Hb[cur];
    const W = Wb[cur];
    const b = bb[cur];
    const value = objectiveAndG(H, W, b, setting, G, total);
    if (!Number.isFinite(value)) {
      divergedAt = k;
      const back = prev; // back to the previous (last finite) iterate
      prev = cur;
      cur = back;
    }
    if (isRecorded[k]) {
      values[t] = value;
      if (kept !== null) {
        kept[0].set(Hb[cur], t * sizes[0]);
        kept[1].set(Wb[cur], t * sizes[1]);
        kept[2].set(bb[cur], t * sizes[2]);
      }
      t++;
    }
    if (k === steps || divergedAt >= 0) break;
    gradientsInto(H, W, b, G, setting, dH, dW, db);
    const Hn = Hb[next];
    const Wn = Wb[next];
    const bn = bb[next];
    for (let i = 0; i < Hn.length; i++) Hn[i] = H[i] - lr * dH[i];
    for (let i = 0; i < Wn.length; i++) Wn[i] = W[i] - lr * dW[i];
    for (let i = 0; i < bn.length; i++) bn[i] = bias ? b[i] - lr * db[i] : b[i];
    const old = prev;
    prev = cur;
    cur = next;
    next = old;
  }
  if (divergedAt >= 0) {
    for (let j = 0; j < T; j++) if (recorded[j] >= divergedAt) values[j] = NaN;
  }
  const final = buffers.map((x) => Float64Array.from(x[cur]));
  return {
    final: [array([p, n], final[0]), array([C, p], final[1]), array([C], final[2])],
    steps: array([T], recorded),
    objective: array([T], values),
    states:
      kept === null ? null : [array([T, p, n], kept[0]), array([T, C, p], kept[1]), array([T, C], kept[2])],
    divergedAt: divergedAt >= 0 ? divergedAt : null,
    lr,
  };
}

export function rowCosines(W) {
  asArray(W, "W", 2);
  const [C, p] = W.shape;
  const w = W.data;
  const norms = new Float64Array(C);
  const squares = new Float64Array(p);
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < p; k++) squares[k] = w[c * p + k] * w[c * p + k];
    norms[c] = Math.sqrt(pairwiseSum(squares, 0, p, 1));
  }
  if (!norms.every((v) => v > 0)) {
    throw new Error("W has a zero row, so its cosines with the other rows are 0/0");
  }
  const unit = new Float64Array(C * p);
  for (let c = 0; c < C; c++) for (let k = 0; k < p; k++) unit[c * p + k] = w[c * p + k] / norms[c];
  const out = new Float64Array(C * C);
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) {
      let s = 0.0;
      for (let k = 0; k < p; k++) s += unit[i * p + k] * unit[j * p + k];
      out[i * C + j] = s;
    }
  }
  return array([C, C], out);
}
