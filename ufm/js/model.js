/*
 * Port of ufm/model.py (the unconstrained features model: risk and gradients) and of the
 * argument checks of ufm/_checks.py that the ported functions use.
 *
 * Arrays are {shape, data} objects (ufm/js/linalg.js, array): H has shape [p, C*N] (column
 * c*N + n is sample n of class c), W [C, p], b [C], data row-major Float64Arrays.
 *
 *   risk(H, W, b)          R_e = ||W H + b 1^T - Y||_F^2 / (2CN), a Number
 *   gradients(H, W, b)     [dH, dW, db] with G = (W H + b 1^T - Y)/(CN):
 *                          dH = W^T G, dW = G H^T, db = G 1 (arrays of the shapes of H, W, b)
 *   randomInit(C, N, p, eps, seed = null)
 *                          [H, W, b] as ufm.random_init (H then W drawn as numpy draws them)
 *
 * Checks (as ufm/_checks.py, with its messages): asArray(x, name, ndim), positiveInt(x,
 * name, minimum), positiveFloat(x, name), sizes(C, N, p), seedOrNone(seed), triple(H, W, b)
 * -> {C, N, p}. Each throws an Error whose message names the argument.
 */

import { pyRepr } from "./format.js";
import { array, frobenius, matmul, matmulNT, matmulTN, pairwiseSum } from "./linalg.js";
import { Generator } from "./random.js";

function describe(x) {
  if (x === null) return "None";
  if (x === undefined) return "undefined";
  if (typeof x === "number") return pyRepr(x);
  if (typeof x === "string") return JSON.stringify(x);
  return Object.prototype.toString.call(x).slice(8, -1);
}

function typeName(x) {
  if (x === null) return "NoneType";
  if (typeof x === "number") return Number.isInteger(x) ? "int" : "float";
  if (typeof x === "string") return "str";
  if (typeof x === "boolean") return "bool";
  return typeof x;
}

/** An array {shape, data} checked as _checks.as_array: ndim one of `ndim`, non-empty, finite. */
export function asArray(x, name, ndim, finite = true) {
  if (x === null || x === undefined || typeof x !== "object" || !Array.isArray(x.shape)) {
    throw new TypeError(`${name} must be an array of real numbers, not ${typeName(x)}`);
  }
  const allowed = Array.isArray(ndim) ? ndim : [ndim];
  if (!allowed.includes(x.shape.length)) {
    const want = allowed.join(" or ");
    throw new Error(`${name} must be a ${want}-dimensional array; got shape ${shapeText(x.shape)}`);
  }
  if (x.data.length === 0) {
    throw new Error(`${name} is empty (shape ${shapeText(x.shape)}); expected a non-empty array`);
  }
  if (finite) {
    const d = x.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) {
        throw new Error(`${name} has NaN or infinite entries; expected finite numbers`);
      }
    }
  }
  return x;
}

/** Python's text of a shape tuple: (3,), (2, 4). */
export function shapeText(shape) {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

export function positiveInt(x, name, minimum = 1) {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new TypeError(`${name} must be an integer; got ${describe(x)} of type ${typeName(x)}`);
  }
  if (x < minimum) throw new Error(`${name} must be an integer >= ${minimum}; got ${x}`);
  return x;
}

export function positiveFloat(x, name) {
  if (typeof x !== "number") {
    throw new TypeError(
      `${name} must be a positive number; got ${describe(x)} of type ${typeName(x)}`,
    );
  }
  if (!Number.isFinite(x) || x <= 0) {
    throw new Error(`${name} must be a finite number > 0; got ${pyRepr(x)}`);
  }
  return x;
}

export function sizes(C, N, p) {
  return [positiveInt(C, "C", 2), positiveInt(N, "N"), positiveInt(p, "p")];
}

/** A seed for random.js: a non-negative integer; null (numpy's None) draws one at random. */
export function seedOrNone(seed, name = "seed") {
  if (seed === null || seed === undefined) return Math.floor(Math.random() * 2 ** 53);
  return positiveInt(seed, name, 0);
}

/** The checks every state (H, W, b) shares: arrays of the right ranks, C >= 2, H with p
 * rows. Returns [C, p]. */
export function _stateShapes(H, W, b) {
  asArray(W, "W", 2);
  asArray(H, "H", 2);
  asArray(b, "b", 1);
  const [C, p] = W.shape;
  if (C < 2) throw new Error(`W has ${C} row; expected one row per class and C >= 2 classes`);
  if (H.shape[0] !== p) {
    throw new Error(`H has ${H.shape[0]} rows; expected p = ${p} (the number of columns of W)`);
  }
  return [C, p];
}

/** Check a single state (H, W, b) and read its sizes, as _checks.triple. */
export function triple(H, W, b) {
  const [C, p] = _stateShapes(H, W, b);
  if (H.shape[1] % C) {
    throw new Error(
      `H has ${H.shape[1]} columns; expected C*N columns for C=${C} classes ` +
        `(a multiple of ${C}, samples ordered class by class)`,
    );
  }
  if (b.shape[0] !== C) {
    throw new Error(`b has ${b.shape[0]} entries; expected C = ${C} (one per class)`);
  }
  return { C, N: H.shape[1] / C, p };
}

/** W H + b 1^T - Y (C x CN) as _residual: the product, plus b, minus the targets. */
export function _residual(H, W, b, C, N, p) {
  const CN = C * N;
  const R = matmul(W, H, C, p, CN);
  for (let c = 0; c < C; c++) {
    const row = c * CN;
    for (let j = 0; j < CN; j++) R[row + j] += b[c];
    for (let j = c * N; j < (c + 1) * N; j++) R[row + j] -= 1.0;
  }
  return R;
}

export function risk(H, W, b) {
  const { C, N, p } = triple(H, W, b);
  const R = _residual(H.data, W.data, b.data, C, N, p);
  let s = 0.0;
  for (let i = 0; i < R.length; i++) s += R[i] * R[i];
  return s / (2 * C * N);
}

export function gradients(H, W, b) {
  const { C, N, p } = triple(H, W, b);
  const CN = C * N;
  const G = _residual(H.data, W.data, b.data, C, N, p);
  for (let i = 0; i < G.length; i++) G[i] /= CN;
  const dH = matmulTN(W.data, G, C, p, CN);
  const dW = matmulNT(G, H.data, C, CN, p);
  const db = new Float64Array(C);
  for (let c = 0; c < C; c++) db[c] = pairwiseSum(G, c * CN, CN, 1);
  return [
    { shape: [p, CN], data: dH },
    { shape: [C, p], data: dW },
    { shape: [C], data: db },
  ];
}

/** ufm.model.random_init: (H, W, 0) with H and W Gaussian, each of Frobenius norm eps. */
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
