/*
 * numpy's default random generator in JavaScript, bit for bit.
 *
 * new Generator(seed) (or defaultRng(seed)) draws exactly the numbers that numpy draws from
 * np.random.default_rng(seed) (numpy >= 1.21; checked against numpy 2.4):
 *
 *   g.random()              == rng.random()               (a Number)
 *   g.random(n)             == rng.random(n)              (a Float64Array)
 *   g.standardNormal()      == rng.standard_normal()
 *   g.standardNormal(n)     == rng.standard_normal(n)
 *   g.standardNormal([a,b]) == rng.standard_normal((a, b)).ravel()  (C order, any rank)
 *   g.state                 == rng.bit_generator.state["state"]  ({state, inc} as BigInts)
 *
 * and successive calls continue one stream just as numpy's do. seed is a non-negative
 * integer: a Number up to 2**53 - 1 or a BigInt of any size. numpy's other seeds (None for
 * OS entropy, sequences, SeedSequence objects) are not supported: anything but a
 * non-negative integer throws an Error naming `seed`. No dependencies; runs in node and in
 * browsers (BigInt is needed, but only while seeding).
 *
 * What it mirrors (file names are in the numpy source tree, numpy/random/):
 *   1. SeedSequence(seed) -- bit_generator.pyx: _int_to_uint32_array (the seed as 32-bit
 *      words, least significant first), hashmix, mix, mix_entropy into a pool of 4 words,
 *      then generate_state(4, np.uint64), i.e. 8 words read as 4 little-endian uint64.
 *   2. PCG64 -- _pcg64.pyx and src/pcg64/pcg64.{h,c}: pcg64_set_seed with the 128-bit
 *      initstate = words[0] * 2**64 + words[1] and initseq = words[2] * 2**64 + words[3],
 *      pcg_setseq_128_srandom_r, and pcg_setseq_128_xsl_rr_64_random_r (step the 128-bit
 *      LCG, then output XSL-RR: rotate (high ^ low) right by the top 6 bits of the state).
 *   3. next_double -- _common.pxd uint64_to_double: (u64 >> 11) * 2**-53.
 *   4. random_standard_normal -- src/distributions/distributions.c, the 256-layer ziggurat
 *      with the tables ki_double, wi_double, fi_double of ziggurat_constants.h, embedded
 *      below: they were made offline at high precision and cannot be recomputed
 *      bit-identically in doubles. tests/test_js_random.py checks them against the bytes of
 *      numpy's compiled _generator module.
 *   5. log1p, used in the tail beyond r = 3.654... (about 1 draw in 4000). numpy calls the
 *      C library's log1p, on Linux glibc's sysdeps/ieee754/dbl-64/s_log1p.c: fdlibm with a
 *      reordered polynomial, so V8's Math.log1p (plain fdlibm) differs from it in about 1
 *      argument in 2000. It is ported here line by line, as glibc runs it on x86-64 CPUs
 *      with FMA (glibc >= 2.39, or backported as in Debian 12; s_log1p-fma.c): that build
 *      fuses several of its multiply-adds, which fma() below reproduces exactly.
 *
 * Where bit for bit can fail, rarely and only in the last bit of a tail draw:
 *   - Other C libraries: glibc's SSE2 build of log1p (CPUs without FMA, or glibc <= 2.38
 *     without the backport) differs from the FMA build in about 1 argument in 2000, so about
 *     1 normal in 10 million would differ (log1p(x, plainMulAdd) below is that build);
 *     macOS and Windows have log1p functions of their own. numpy < 1.21 used log(1 - u).
 *   - exp() only decides the wedge test `f1 + (f0 - f1) * u < exp(-x*x/2)`. Math.exp and
 *     the C library may differ in the last bit, which flips the test only if the left side
 *     is exactly the smaller of the two (odds far below 2**-40 per test).
 *   - numpy's PCG64 also keeps a buffered 32-bit half (has_uint32 / uinteger) for
 *     next_uint32, which 32-bit integer and float32 draws use. random() and float64
 *     standard_normal() only call next_uint64 / next_double, which neither read nor reset
 *     that buffer, so it never affects the streams reproduced here; this module offers no
 *     32-bit draws and keeps no buffer.
 *
 * Speed: the 128-bit multiply works on 32-bit words and 16-bit limbs held in Numbers, where
 * every partial sum stays below 2**52 and so is exact; BigInt was 4 to 5 times slower. In
 * node 20 (x86-64), 100,000 normals take about 7 ms once the JIT has compiled this code and
 * about 25-30 ms on a first call; 1,000,000 take about 70-100 ms.
 *
 * References:
 *   M. E. O'Neill, "PCG: A Family of Simple Fast Space-Efficient Statistically Good
 *     Algorithms for Random Number Generation", Harvey Mudd College, HMC-CS-2014-0905 (2014).
 *   M. E. O'Neill, "Developing a seed_seq Alternative" (pcg-random.org blog, 2015): the
 *     hash behind numpy's SeedSequence.
 *   G. Marsaglia and W. W. Tsang, "The Ziggurat Method for Generating Random Variables",
 *     Journal of Statistical Software 5(8) (2000).
 *   numpy: numpy/random/bit_generator.pyx, _pcg64.pyx, _common.pxd, src/pcg64/pcg64.h,
 *     src/distributions/distributions.c, src/distributions/ziggurat_constants.h.
 *   glibc: sysdeps/ieee754/dbl-64/s_log1p.c, sysdeps/x86_64/fpu/multiarch/s_log1p-fma.c.
 *   S. Boldo and G. Melquiond, "Emulation of FMA and Correctly Rounded Sums: Proved
 *     Algorithms Using Rounding to Odd", IEEE Transactions on Computers 57(4) (2008).
 */

// ---------------------------------------------------------------------------------------
// SeedSequence (bit_generator.pyx). All arithmetic is on uint32: Math.imul, then >>> 0.

const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const POOL_SIZE = 4;

// A short description of a bad argument for an error message.
function describe(value) {
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return `an array [${value.map(describe).join(", ")}]`;
  if (typeof value === "object" && value !== null) return "an object";
  return String(value);
}

// The seed as uint32 words, least significant first; 0 gives [0] (_int_to_uint32_array).
function seedWords(seed) {
  if (typeof seed === "number") {
    if (!Number.isInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be a non-negative integer, got ${describe(seed)}`);
    }
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(
        `seed ${describe(seed)} is beyond 2**53 - 1, where Numbers lose digits; ` +
          "pass it as a BigInt (for example 2n ** 63n - 1n)",
      );
    }
    seed = BigInt(seed);
  } else if (typeof seed !== "bigint") {
    throw new TypeError(
      `seed must be a non-negative integer (a Number or a BigInt), got ${describe(seed)}`,
    );
  } else if (seed < 0n) {
    throw new RangeError(`seed must be a non-negative integer, got ${describe(seed)}`);
  }
  const words = [Number(seed & 0xffffffffn)];
  for (seed >>= 32n; seed > 0n; seed >>= 32n) words.push(Number(seed & 0xffffffffn));
  return words;
}

// SeedSequence(entropy).generate_state(nWords, np.uint32) for entropy given as uint32 words.
function seedSequenceState(entropy, nWords) {
  let hashConst = INIT_A;
  const hashmix = (value) => {
    value = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_A) >>> 0;
    value = Math.imul(value, hashConst) >>> 0;
    return (value ^ (value >>> 16)) >>> 0;
  };
  const mix = (x, y) => {
    const result = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
    return (result ^ (result >>> 16)) >>> 0;
  };

  // mix_entropy: fill the pool, mix every word into every other, then fold in the rest.
  const pool = [];
  for (let i = 0; i < POOL_SIZE; i++) pool.push(hashmix(i < entropy.length ? entropy[i] : 0));
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) {
      if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
    }
  }
  for (let src = POOL_SIZE; src < entropy.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
  }

  // generate_state: cycle through the pool with a second hash.
  const state = [];
  let h = INIT_B;
  for (let i = 0; i < nWords; i++) {
    let value = (pool[i % POOL_SIZE] ^ h) >>> 0;
    h = Math.imul(h, MULT_B) >>> 0;
    value = Math.imul(value, h) >>> 0;
    state.push((value ^ (value >>> 16)) >>> 0);
  }
  return state;
}

// ---------------------------------------------------------------------------------------
// PCG64 seeding (pcg64.h), done once with BigInt.

const MASK128 = (1n << 128n) - 1n;
// PCG_DEFAULT_MULTIPLIER_128 = 2549297995355413924 * 2**64 + 4865540595714422341.
const MULT128 = 0x2360ed051fc65da44385df649fccf645n;

// The 128-bit (state, inc) that np.random.PCG64(seed) starts from.
function pcg64Seed(seed) {
  const w = seedSequenceState(seedWords(seed), 8); // generate_state(4, np.uint64)
  const u64 = (k) => BigInt(w[2 * k]) | (BigInt(w[2 * k + 1]) << 32n); // little-endian
  const initState = (u64(0) << 64n) | u64(1);
  const initSeq = (u64(2) << 64n) | u64(3);
  // pcg_setseq_128_srandom_r: state = 0, step, state += initstate, step.
  const inc = ((initSeq << 1n) | 1n) & MASK128;
  let state = inc; // 0 * MULT + inc
  state = (state + initState) & MASK128;
  state = (state * MULT128 + inc) & MASK128;
  return { state, inc };
}

// value as `count` pieces of `bits` bits, least significant first, and back.
function splitBits(value, bits, count) {
  const pieces = [];
  const mask = (1n << BigInt(bits)) - 1n;
  for (let i = 0; i < count; i++) pieces.push(Number((value >> BigInt(bits * i)) & mask));
  return pieces;
}

function joinBits(pieces, bits) {
  let value = 0n;
  for (let i = pieces.length - 1; i >= 0; i--) {
    value = (value << BigInt(bits)) | BigInt(pieces[i] >>> 0);
  }
  return value;
}

// The multiplier's 16-bit limbs, least significant first.
const M0 = 0xf645, M1 = 0x9fcc, M2 = 0xdf64, M3 = 0x4385;
const M4 = 0x5da4, M5 = 0x1fc6, M6 = 0xed05, M7 = 0x2360;

// ---------------------------------------------------------------------------------------
// The ziggurat's constants (ziggurat_constants.h).

const NOR_R = 3.6541528853610087963519472518; // ziggurat_nor_r
const NOR_INV_R = 0.27366123732975827203338247596; // ziggurat_nor_inv_r = 1 / r

// Powers of two, for exact scaling.
const TWO_M53 = 2 ** -53;
const TWO_32 = 2 ** 32;
const TWO_M32 = 2 ** -32;
const TWO_M16 = 2 ** -16;

// ---------------------------------------------------------------------------------------
// The generator: PCG64 (pcg64.h), next_double and random_standard_normal.

export class Generator {
  /** Like np.random.default_rng(seed): PCG64 seeded through SeedSequence(seed). */
  constructor(seed) {
    const { state, inc } = pcg64Seed(seed);
    // 32-bit words, least significant first.
    this._state = Float64Array.from(splitBits(state, 32, 4));
    this._inc = Float64Array.from(splitBits(inc, 32, 4));
    this._hi = 0; // the last 64-bit output as two int32 halves (read them with >>> 0)
    this._lo = 0;
  }

  /** The PCG64 state as BigInts, as rng.bit_generator.state["state"] gives it. */
  get state() {
    return { state: joinBits(this._state, 32), inc: joinBits(this._inc, 32) };
  }

  // next_uint64: state = state * MULT + inc (mod 2**128), then the XSL-RR output of the new
  // state, left in this._hi and this._lo.
  _next() {
    const st = this._state, inc = this._inc;
    const s0 = st[0], s1 = st[1], s2 = st[2], s3 = st[3];
    // Schoolbook multiply of the 32-bit state words by the 16-bit limbs of MULT: each
    // product is below 2**48 and every sum below 2**51, so all of it is exact in doubles.
    // A product at an odd 16-bit position (c1, c3, c5, c7) straddles two 32-bit words: its
    // low 16 bits go to one and the rest to the next.
    const c1 = s0 * M1;
    const c3 = s0 * M3 + s1 * M1;
    const c5 = s0 * M5 + s1 * M3 + s2 * M1;
    const c7 = s0 * M7 + s1 * M5 + s2 * M3 + s3 * M1;
    const l1 = c1 & 0xffff, l3 = c3 & 0xffff, l5 = c5 & 0xffff, l7 = c7 & 0xffff;
    let w = s0 * M0 + l1 * 65536 + inc[0];
    let carry = Math.floor(w * TWO_M32);
    const w0 = w - carry * TWO_32;
    w = s0 * M2 + s1 * M0 + (c1 - l1) * TWO_M16 + l3 * 65536 + inc[1] + carry;
    carry = Math.floor(w * TWO_M32);
    const w1 = w - carry * TWO_32;
    w = s0 * M4 + s1 * M2 + s2 * M0 + (c3 - l3) * TWO_M16 + l5 * 65536 + inc[2] + carry;
    carry = Math.floor(w * TWO_M32);
    const w2 = w - carry * TWO_32;
    // The top word keeps its low 32 bits only: mod 2**128.
    w = s0 * M6 + s1 * M4 + s2 * M2 + s3 * M0 + (c5 - l5) * TWO_M16 + l7 * 65536 + inc[3];
    const w3 = (w + carry) >>> 0;
    st[0] = w0; st[1] = w1; st[2] = w2; st[3] = w3;

    // XSL-RR: (high 64 bits ^ low 64 bits) rotated right by the top 6 bits of the state.
    let lo = w0 ^ w2;
    let hi = w1 ^ w3;
    const rot = w3 >>> 26;
    if (rot & 32) { const swap = lo; lo = hi; hi = swap; } // rotating by 32 swaps halves
    const r = rot & 31;
    if (r !== 0) {
      const newLo = (lo >>> r) | (hi << (32 - r));
      hi = (hi >>> r) | (lo << (32 - r));
      lo = newLo;
    }
    this._hi = hi;
    this._lo = lo;
  }

  // next_double: the top 53 bits of next_uint64, times 2**-53 (exact).
  _double() {
    this._next();
    return ((this._hi >>> 0) * 2097152 + (this._lo >>> 11)) * TWO_M53;
  }

  // random_standard_normal (distributions.c).
  _normal() {
    for (;;) {
      this._next();
      const hi = this._hi, lo = this._lo;
      // The 64 bits are: 8 bits of layer index, a sign bit, 52 bits of magnitude, 3 unused.
      const idx = lo & 0xff;
      const rabs = (hi & 0x1fffffff) * 8388608 + (lo >>> 9); // bits 9..60, exact
      const x = lo & 0x100 ? -(rabs * WI[idx]) : rabs * WI[idx];
      if (rabs < KI[idx]) return x; // inside the layer's rectangle: 99.3% of draws
      const y = this._normalOutside(idx, x, lo);
      if (y === y) return y; // NaN: rejected, draw again
    }
  }

  // The rare rest of random_standard_normal, kept apart so that the JIT compiles the common
  // path above without it. Returns NaN when the draw is rejected.
  _normalOutside(idx, x, lo) {
    if (idx === 0) {
      // The tail beyond r (Marsaglia's method); its sign is bit 8 of rabs (bit 17 of lo).
      for (;;) {
        const xx = -NOR_INV_R * log1p(-this._double());
        const yy = -log1p(-this._double());
        if (yy + yy > xx * xx) return lo & 0x20000 ? -(NOR_R + xx) : NOR_R + xx;
      }
    }
    // The wedge between the layer's rectangle and the curve.
    if ((FI[idx - 1] - FI[idx]) * this._double() + FI[idx] < Math.exp(-0.5 * x * x)) return x;
    return NaN;
  }

  /**
   * Uniform doubles in [0, 1), like rng.random(size): a Number if size is omitted,
   * otherwise a Float64Array of prod(size) values in C order.
   */
  random(size) {
    if (size === undefined) return this._double();
    const out = new Float64Array(sizeToLength(size));
    for (let i = 0; i < out.length; i++) out[i] = this._double();
    return out;
  }

  /**
   * Standard normal draws, like rng.standard_normal(size): a Number if size is omitted,
   * otherwise a Float64Array of prod(size) values in C order (size: n or [d0, d1, ...]).
   */
  standardNormal(size) {
    if (size === undefined) return this._normal();
    const out = new Float64Array(sizeToLength(size));
    for (let i = 0; i < out.length; i++) out[i] = this._normal();
    return out;
  }
}

/** Like np.random.default_rng(seed), for a non-negative integer seed. */
export function defaultRng(seed) {
  return new Generator(seed);
}

// The number of values of an array of shape `size` (a count or an array of counts).
function sizeToLength(size) {
  const dims = Array.isArray(size) ? size : [size];
  let length = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new TypeError(
        `size must be a non-negative integer or an array of them, got ${describe(size)}`,
      );
    }
    length *= d;
  }
  return length;
}

// ---------------------------------------------------------------------------------------
// glibc's log1p (sysdeps/ieee754/dbl-64/s_log1p.c), which numpy's tail branch calls.
//
// On x86-64 CPUs with FMA, glibc (2.39 and later, and distributions that backported it,
// e.g. Debian 12) runs a build of that file with fused multiply-adds; mulAdd(a, b, c) marks
// each a * b + c that this build fuses (read off its machine code). The default, fma, is
// that build; pass plainMulAdd for the SSE2 build. Only x in (-1, 0] occurs here, but the
// whole function is ported.

const LN2_HI = 6.93147180369123816490e-01; // 3fe62e42 fee00000
const LN2_LO = 1.90821492927058770002e-10; // 3dea39ef 35793c76
const LP1 = 6.666666666666735130e-01; // 3FE55555 55555593
const LP2 = 3.999999999940941908e-01; // 3FD99999 9997FA04
const LP3 = 2.857142874366239149e-01; // 3FD24924 94229359
const LP4 = 2.222219843214978396e-01; // 3FCC71C5 1D8E78AF
const LP5 = 1.818357216161805012e-01; // 3FC74664 96CB03DE
const LP6 = 1.531383769920937332e-01; // 3FC39A09 D078C69F
const LP7 = 1.479819860511658591e-01; // 3FC2F112 DF3E5244

const word = new DataView(new ArrayBuffer(8)); // big-endian: the high word is at offset 0

function highWord(x) {
  word.setFloat64(0, x);
  return word.getInt32(0);
}

function setHighWord(x, high) {
  word.setFloat64(0, x);
  word.setInt32(0, high);
  return word.getFloat64(0);
}

function plainMulAdd(a, b, c) {
  return a * b + c;
}

function log1p(x, mulAdd = fma) {
  const hx = highWord(x);
  const ax = hx & 0x7fffffff;
  let k = 1, f = 0, c = 0, hu = 0;
  if (hx < 0x3fda827a) { // x < 0.41422
    if (ax >= 0x3ff00000) return x === -1 ? -Infinity : NaN; // x <= -1
    if (ax < 0x3e200000) return ax < 0x3c900000 ? x : x - x * x * 0.5; // |x| < 2**-29
    if (hx > 0 || hx <= (0xbfd2bec3 | 0)) { k = 0; f = x; hu = 1; } // -0.2929 < x < 0.41422
  } else if (hx >= 0x7ff00000) {
    return x + x; // +Infinity or NaN
  }
  if (k !== 0) {
    // 1 + x = 2**k * u with sqrt(2)/2 < u < sqrt(2); c corrects the rounding of 1 + x.
    let u;
    if (hx < 0x43400000) {
      u = 1.0 + x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0);
      c /= u;
    } else {
      u = x;
      hu = highWord(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu < 0x6a09e) {
      u = setHighWord(u, hu | 0x3ff00000); // normalize u
    } else {
      k += 1;
      u = setHighWord(u, hu | 0x3fe00000); // normalize u / 2
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1.0;
  }
  const hfsq = 0.5 * f * f;
  if (hu === 0) { // |f| < 2**-20
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + mulAdd(k, LN2_LO, c);
    const R = hfsq * mulAdd(-f, 0.66666666666666666, 1.0);
    return k === 0 ? f - R : k * LN2_HI - ((R - mulAdd(k, LN2_LO, c)) - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  // glibc's R1 + z2 * R2 + z4 * R3 + z6 * R4 (not fdlibm's Horner form; V8's Math.log1p
  // is fdlibm and differs in about 1 in 2000 arguments).
  const z2 = z * z, z4 = z2 * z2, z6 = z4 * z2;
  const R2 = mulAdd(z, LP3, LP2);
  const R3 = mulAdd(z, LP5, LP4);
  const R4 = mulAdd(z, LP7, LP6);
  const R = mulAdd(z6, R4, mulAdd(z4, R3, mulAdd(z, LP1, z2 * R2)));
  if (k === 0) return f - (hfsq - s * (hfsq + R));
  return k * LN2_HI - ((hfsq - (s * (hfsq + R) + mulAdd(k, LN2_LO, c))) - f);
}

// fma(a, b, c) = a * b + c rounded once, like C's fma(), emulated in doubles: Boldo and
// Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using rounding
// to odd", IEEE Trans. Computers 57(4), 2008. Exact unless a * b over- or underflows, which
// cannot happen in log1p.
function fma(a, b, c) {
  const [uh, ul] = twoProduct(a, b); // a * b = uh + ul
  const th = c + uh; // TwoSum: c + uh = th + tl
  const bb = th - c;
  const tl = (c - (th - bb)) + (uh - bb);
  return th + roundToOdd(tl, ul);
}

const SPLIT = 134217729; // 2**27 + 1, Veltkamp's splitter

function twoProduct(a, b) { // Dekker: a * b = p + e exactly
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}

// a + b rounded to the neighbouring double whose last bit is 1, unless it is exact.
function roundToOdd(a, b) {
  const s = a + b;
  const bb = s - a;
  const e = (a - (s - bb)) + (b - bb); // a + b = s + e exactly
  if (e === 0) return s;
  word.setFloat64(0, s);
  const low = word.getUint32(4);
  if (low & 1) return s;
  // Step the bit pattern by one toward s + e (|s| grows if e has the sign of s).
  if ((e > 0) === (s > 0)) {
    word.setUint32(4, low + 1);
  } else if (low !== 0) {
    word.setUint32(4, low - 1);
  } else {
    word.setUint32(4, 0xffffffff);
    word.setUint32(0, word.getUint32(0) - 1);
  }
  return word.getFloat64(0);
}

// ---------------------------------------------------------------------------------------
// The ziggurat tables of numpy's ziggurat_constants.h, digit for digit the same doubles
// (written in JavaScript's shortest round-trip form).

// ki_double: integer thresholds (< 2**52, exact as Numbers).
const KI = new Float64Array([
  0xef33d8025ef6a, 0x0000000000000, 0xc08be98fbc6a8, 0xda354fabd8142, 0xe51f67ec1eeea,
  0xeb255e9d3f77e, 0xeef4b817ecab9, 0xf19470afa44aa, 0xf37ed61ffcb18, 0xf4f469561255c,
  0xf61a5e41ba396, 0xf707a755396a4, 0xf7cb2ec28449a, 0xf86f10c6357d3, 0xf8fa6578325de,
  0xf9724c74dd0da, 0xf9da907dbf509, 0xfa360f581fa74, 0xfa86fde5b4bf8, 0xfacf160d354dc,
  0xfb0fb6718b90f, 0xfb49f8d5374c6, 0xfb7ec2366fe77, 0xfbaece9a1e50e, 0xfbdab9d040bed,
  0xfc03060ff6c57, 0xfc2821037a248, 0xfc4a67ae25bd1, 0xfc6a2977aee31, 0xfc87aa92896a4,
  0xfca325e4bde85, 0xfcbcce902231a, 0xfcd4d12f839c4, 0xfceb54d8fec99, 0xfd007bf1dc930,
  0xfd1464dd6c4e6, 0xfd272a8e2f450, 0xfd38e4ff0c91e, 0xfd49a9990b478, 0xfd598b8920f53,
  0xfd689c08e99ec, 0xfd76ea9c8e832, 0xfd848547b08e8, 0xfd9178bad2c8c, 0xfd9dd07a7add2,
  0xfda9970105e8c, 0xfdb4d5dc02e20, 0xfdbf95c5bfcd0, 0xfdc9debb99a7d, 0xfdd3b8118729d,
  0xfddd288342f90, 0xfde6364369f64, 0xfdeee708d514e, 0xfdf7401a6b42e, 0xfdff46599ed40,
  0xfe06fe4bc24f2, 0xfe0e6c225a258, 0xfe1593c28b84c, 0xfe1c78cbc3f99, 0xfe231e9db1caa,
  0xfe29885da1b91, 0xfe2fb8fb54186, 0xfe35b33558d4a, 0xfe3b799d0002a, 0xfe410e99ead7f,
  0xfe46746d47734, 0xfe4bad34c095c, 0xfe50baed29524, 0xfe559f74ebc78, 0xfe5a5c8e41212,
  0xfe5ef3e138689, 0xfe6366fd91078, 0xfe67b75c6d578, 0xfe6be661e11aa, 0xfe6ff55e5f4f2,
  0xfe73e5900a702, 0xfe77b823e9e39, 0xfe7b6e37070a2, 0xfe7f08d774243, 0xfe8289053f08c,
  0xfe85efb35173a, 0xfe893dc840864, 0xfe8c741f0cebc, 0xfe8f9387d4ef6, 0xfe929cc879b1d,
  0xfe95909d388ea, 0xfe986fb939aa2, 0xfe9b3ac714866, 0xfe9df2694b6d5, 0xfea0973abe67c,
  0xfea329cf166a4, 0xfea5aab32952c, 0xfea81a6d5741a, 0xfeaa797de1cf0, 0xfeacc85f3d920,
  0xfeaf07865e63c, 0xfeb13762fec13, 0xfeb3585fe2a4a, 0xfeb56ae3162b4, 0xfeb76f4e284fa,
  0xfeb965fe62014, 0xfebb4f4cf9d7c, 0xfebd2b8f449d0, 0xfebefb16e2e3e, 0xfec0be31ebde8,
  0xfec2752b15a15, 0xfec42049dafd3, 0xfec5bfd29f196, 0xfec75406ceef4, 0xfec8dd2500cb4,
  0xfeca5b6911f12, 0xfecbcf0c427fe, 0xfecd38454fb15, 0xfece97488c8b3, 0xfecfec47f91b7,
  0xfed1377358528, 0xfed278f844903, 0xfed3b10242f4c, 0xfed4dfbad586e, 0xfed605498c3dd,
  0xfed721d414fe8, 0xfed8357e4a982, 0xfed9406a42cc8, 0xfeda42b85b704, 0xfedb3c8746ab4,
  0xfedc2df416652, 0xfedd171a46e52, 0xfeddf813c8ad3, 0xfeded0f909980, 0xfedfa1e0fd414,
  0xfee06ae124bc4, 0xfee12c0d95a06, 0xfee1e579006e0, 0xfee29734b6524, 0xfee34150ae4bc,
  0xfee3e3db89b3c, 0xfee47ee2982f4, 0xfee51271db086, 0xfee59e9407f41, 0xfee623528b42e,
  0xfee6a0b5897f1, 0xfee716c3e077a, 0xfee7858327b82, 0xfee7ecf7b06ba, 0xfee84d2484ab2,
  0xfee8a60b66343, 0xfee8f7accc851, 0xfee94207e25da, 0xfee9851a829ea, 0xfee9c0e13485c,
  0xfee9f557273f4, 0xfeea22762ccae, 0xfeea4836b42ac, 0xfeea668fc2d71, 0xfeea7d76ed6fa,
  0xfeea8ce04fa0a, 0xfeea94be8333b, 0xfeea950296410, 0xfeea8d9c0075e, 0xfeea7e7897654,
  0xfeea678481d24, 0xfeea48aa29e83, 0xfeea21d22e4da, 0xfee9f2e352024, 0xfee9bbc26af2e,
  0xfee97c524f2e4, 0xfee93473c0a3a, 0xfee8e40557516, 0xfee88ae369c7a, 0xfee828e7f3dfd,
  0xfee7bdea7b888, 0xfee749bff37ff, 0xfee6cc3a9bd5e, 0xfee64529e007e, 0xfee5b45a32888,
  0xfee51994e57b6, 0xfee474a0006cf, 0xfee3c53e12c50, 0xfee30b2e02ad8, 0xfee2462ad8205,
  0xfee175eb83c5a, 0xfee09a22a1447, 0xfedfb27e349cc, 0xfedebea76216c, 0xfeddbe422047e,
  0xfedcb0ece39d3, 0xfedb964042cf4, 0xfeda6dce938c9, 0xfed937237e98d, 0xfed7f1c38a836,
  0xfed69d2b9c02b, 0xfed538d06ae00, 0xfed3c41dea422, 0xfed23e76a2fd8, 0xfed0a732fe644,
  0xfecefda07fe34, 0xfecd4100eb7b8, 0xfecb708956eb4, 0xfec98b61230c1, 0xfec790a0da978,
  0xfec57f50f31fe, 0xfec356686c962, 0xfec114cb4b335, 0xfebeb948e6fd0, 0xfebc429a0b692,
  0xfeb9af5ee0cdc, 0xfeb6fe1c98542, 0xfeb42d3ad1f9e, 0xfeb13b00b2d4b, 0xfeae2591a02e9,
  0xfeaaeae992257, 0xfea788d8ee326, 0xfea3fcffd73e5, 0xfea044c8dd9f6, 0xfe9c5d62f563b,
  0xfe9843ba947a4, 0xfe93f471d4728, 0xfe8f6bd76c5d6, 0xfe8aa5dc4e8e6, 0xfe859e07ab1ea,
  0xfe804f690a940, 0xfe7ab488233c0, 0xfe74c751f6aa5, 0xfe6e8102aa202, 0xfe67da0b6abd8,
  0xfe60c9f38307e, 0xfe5947338f742, 0xfe51470977280, 0xfe48bd436f458, 0xfe3f9bffd1e37,
  0xfe35d35eeb19c, 0xfe2b5122fe4fe, 0xfe20003995557, 0xfe13c82788314, 0xfe068c4ee67b0,
  0xfdf82b02b71aa, 0xfde87c57efeaa, 0xfdd7509c63bfd, 0xfdc46e529bf13, 0xfdaf8f82e0282,
  0xfd985e1b2ba75, 0xfd7e6ef48cf04, 0xfd613adbd650b, 0xfd40149e2f012, 0xfd1a1a7b4c7ac,
  0xfcee204761f9e, 0xfcba8d85e11b2, 0xfc7d26ecd2d22, 0xfc32b2f1e22ed, 0xfbd6581c0b83a,
  0xfb606c4005434, 0xfac40582a2874, 0xf9e971e014598, 0xf89fa48a41dfc, 0xf66c5f7f0302c,
  0xf1a5a4b331c4a,
]);

// wi_double: layer widths / 2**52.
const WI = new Float64Array([
  8.683627060801306e-16, 4.779330175727737e-17, 6.354352417405262e-17, 7.454870481247696e-17,
  8.3293668157931e-17, 9.068060405059482e-17, 9.714860076567762e-17, 1.0294750314241019e-16,
  1.0823430288447684e-16, 1.131147019610903e-16, 1.176635945702292e-16, 1.2193617278714363e-16,
  1.2597439914637093e-16, 1.2981099886264032e-16, 1.3347203736824123e-16, 1.3697864842571203e-16,
  1.4034823001242382e-16, 1.4359529452056943e-16, 1.4673208742364422e-16, 1.4976904668391037e-16,
  1.5271515003596198e-16, 1.5557818169460764e-16, 1.5836494009290885e-16, 1.6108140175274928e-16,
  1.6373285203969853e-16, 1.6632399058420835e-16, 1.6885901708676596e-16, 1.713417017655966e-16,
  1.737754436586486e-16, 1.7616331923000996e-16, 1.7850812316976727e-16, 1.8081240285799152e-16,
  1.830784876482675e-16, 1.853085138861802e-16, 1.8750444639373882e-16, 1.896680970077476e-16,
  1.918011406483862e-16, 1.9390512930625104e-16, 1.9598150426628824e-16, 1.9803160683128174e-16,
  2.000566877627333e-16, 2.0205791562071654e-16, 2.0403638415480212e-16, 2.0599311887403706e-16,
  2.079290829041402e-16, 2.0984518222370352e-16, 2.1174227035760342e-16, 2.1362115259449868e-16,
  2.1548258978581458e-16, 2.1732730177564367e-16, 2.191559705042727e-16, 2.2096924282235318e-16,
  2.2276773304789553e-16, 2.2455202529414355e-16, 2.263226755928568e-16, 2.280802138345017e-16,
  2.2982514554424684e-16, 2.3155795351040804e-16, 2.3327909928004356e-16, 2.3498902453470955e-16,
  2.3668815235791604e-16, 2.3837688840454243e-16, 2.4005562198135063e-16, 2.4172472704675025e-16,
  2.433845631371103e-16, 2.4503547622614954e-16, 2.466777995232705e-16, 2.4831185421610877e-16,
  2.4993795016204524e-16, 2.515563865329658e-16, 2.5316745241713583e-16, 2.547714273816944e-16,
  2.563685819989397e-16, 2.579591783392867e-16, 2.5954347043351707e-16, 2.6112170470670194e-16,
  2.6269412038597256e-16, 2.6426094988411895e-16, 2.658224191608307e-16, 2.6737874806323633e-16,
  2.689301506472616e-16, 2.704768354811995e-16, 2.720190059327732e-16, 2.735568604408679e-16,
  2.7509059277301666e-16, 2.7662039226963903e-16, 2.781464440759544e-16, 2.79668929362423e-16,
  2.8118802553450207e-16, 2.827039064324479e-16, 2.842167425218406e-16, 2.8572670107546015e-16,
  2.87233946347098e-16, 2.887386397378482e-16, 2.9024093995538423e-16, 2.9174100316669455e-16,
  2.9323898314471816e-16, 2.947350314092935e-16, 2.9622929736280665e-16, 2.977219284209029e-16,
  2.992130701386013e-16, 3.007028663321331e-16, 3.0219145919680615e-16, 3.036789894211802e-16,
  3.051655962978219e-16, 3.0665141783089545e-16, 3.081365908408297e-16, 3.0962125106629225e-16,
  3.111055332636893e-16, 3.125895713043999e-16, 3.140734982699446e-16, 3.1555744654528006e-16,
  3.1704154791040285e-16, 3.1852593363044065e-16, 3.2001073454440114e-16, 3.214960811527447e-16,
  3.2298210370394156e-16, 3.244689322801698e-16, 3.2595669688230784e-16, 3.2744552751437067e-16,
  3.2893555426753697e-16, 3.3042690740391284e-16, 3.3191971744017523e-16, 3.3341411523123725e-16,
  3.3491023205407785e-16, 3.364081996918765e-16, 3.37908150518595e-16, 3.394102175841489e-16,
  3.409145347003126e-16, 3.424212365275018e-16, 3.4393045866258313e-16, 3.454423377278584e-16,
  3.4695701146137835e-16, 3.4847461880874137e-16, 3.499953000165381e-16, 3.5151919672760744e-16,
  3.53046452078274e-16, 3.5457721079774357e-16, 3.5611161930983884e-16, 3.5764982583726505e-16,
  3.59191980508603e-16, 3.6073823546823514e-16, 3.6228874498941915e-16, 3.6384366559073444e-16,
  3.65403156156137e-16, 3.669673780588701e-16, 3.685364952894914e-16, 3.7011067458828983e-16,
  3.716900855823823e-16, 3.7327490092779435e-16, 3.7486529645684887e-16, 3.7646145133120287e-16,
  3.7806354820089604e-16, 3.7967177336979443e-16, 3.8128631696783774e-16, 3.829073731305243e-16,
  3.8453514018609596e-16, 3.8616982085091493e-16, 3.878116224335587e-16, 3.894607570481926e-16,
  3.9111744183782054e-16, 3.9278189920805415e-16, 3.944543570720877e-16, 3.9613504910761354e-16,
  3.9782421502646826e-16, 3.995221008578565e-16, 4.012289592460629e-16, 4.029450497636328e-16,
  4.04670639241075e-16, 4.0640600211422504e-16, 4.0815142079049387e-16, 4.0990718603532664e-16,
  4.1167359738030257e-16, 4.134509635544236e-16, 4.1523960294026883e-16, 4.170398440568316e-16,
  4.1885202607101123e-16, 4.206764993399015e-16, 4.2251362598620494e-16, 4.243637805093078e-16,
  4.262273504347798e-16, 4.2810473700531167e-16, 4.2999635591638323e-16, 4.3190263810026294e-16,
  4.338240305622791e-16, 4.357609972736849e-16, 4.3771402012585875e-16, 4.3968359995105214e-16,
  4.4167025761542035e-16, 4.4367453519065673e-16, 4.456969972112043e-16, 4.477382320247534e-16,
  4.49798853244555e-16, 4.518795013130059e-16, 4.539808451870034e-16, 4.561035841567422e-16,
  4.582484498109567e-16, 4.604162081631153e-16, 4.626076619547846e-16, 4.648236531543207e-16,
  4.670650656712631e-16, 4.693328283093329e-16, 4.716279179838351e-16, 4.739513632325867e-16,
  4.763042480533137e-16, 4.786877161048723e-16, 4.811029753147417e-16, 4.835513029411525e-16,
  4.860340511450812e-16, 4.885526531353603e-16, 4.91108629959527e-16, 4.937035980240335e-16,
  4.963392774403987e-16, 4.990175013091822e-16, 5.017402260718089e-16, 5.045095430818727e-16,
  5.073276915733542e-16, 5.101970732341562e-16, 5.131202686306784e-16, 5.161000557743228e-16,
  5.191394311757699e-16, 5.222416338000234e-16, 5.254101724177597e-16, 5.286488569504945e-16,
  5.3196183453384e-16, 5.353536311816497e-16, 5.388292001334053e-16, 5.423939782201712e-16,
  5.46053951907478e-16, 5.498157350892814e-16, 5.536866612467876e-16, 5.576748932926576e-16,
  5.617895553555417e-16, 5.660408920082422e-16, 5.704404621291389e-16, 5.750013768919895e-16,
  5.797385945724594e-16, 5.846692893455479e-16, 5.898133176477899e-16, 5.951938149641444e-16,
  6.008379696271908e-16, 6.067780409333449e-16, 6.130527208725282e-16, 6.197089894581626e-16,
  6.268046963301284e-16, 6.344122407127506e-16, 6.426239659548055e-16, 6.515603317344994e-16,
  6.613827885097664e-16, 6.723150462505587e-16, 6.846803417564259e-16, 6.98971833638762e-16,
  7.159994934830664e-16, 7.372424301798799e-16, 7.658936370805573e-16, 8.113849337656484e-16,
]);

// fi_double: exp(-x_i**2 / 2) at the layer edges.
const FI = new Float64Array([
  1.0, 0.9771017012676716, 0.9598790918001067, 0.9451989534422996,
  0.9320600759592305, 0.919991505039347, 0.9087264400521309, 0.8980959218983434,
  0.8879846607558334, 0.8783096558089174, 0.869008688036857, 0.8600336211963315,
  0.851346258458678, 0.8429156531122042, 0.8347162929868834, 0.8267268339462214,
  0.8189291916037024, 0.8113078743126563, 0.8038494831709643, 0.796542330422959,
  0.7893761435660246, 0.7823418326548025, 0.7754313049811872, 0.7686373157984863,
  0.7619533468367954, 0.7553735065070961, 0.7488924472191568, 0.742505296340151,
  0.7362075981268627, 0.7299952645614762, 0.7238645334686302, 0.717811932630722,
  0.7118342488782484, 0.7059285013327543, 0.7000919181365116, 0.6943219161261167,
  0.6886160830046718, 0.6829721616449949, 0.6773880362187735, 0.6718617198970821,
  0.6663913439087501, 0.6609751477766631, 0.6556114705796973, 0.6502987431108167,
  0.6450354808208223, 0.6398202774530566, 0.6346517992876236, 0.6295287799248367,
  0.6244500155470265, 0.6194143606058343, 0.6144207238889139, 0.6094680649257734,
  0.6045553906974678, 0.5996817526191253, 0.5948462437679874, 0.590047996332826,
  0.5852861792633715, 0.5805599961007909, 0.5758686829723537, 0.5712115067352532,
  0.5665877632561644, 0.5619967758145243, 0.557437893618766, 0.5529104904258323,
  0.5484139632552658, 0.5439477311900263, 0.5395112342569521, 0.5351039323804576,
  0.5307253044036621, 0.5263748471716845, 0.5220520746723218, 0.5177565172297564,
  0.513487720747327, 0.5092452459957479, 0.5050286679434681, 0.5008375751261487,
  0.4966715690524897, 0.49253026364386854, 0.48841328470545803, 0.4843202694266833,
  0.48025086590904675, 0.47620473271950586, 0.4721815384677302, 0.4681809614056936,
  0.46420268904817436, 0.46024641781284287, 0.45631185267871643, 0.4523987068618485,
  0.44850670150720306, 0.4446355653957394, 0.440785034665804, 0.43695485254798555,
  0.43314476911265226, 0.4293545410294414, 0.42558393133802197, 0.4218327092294959,
  0.4181006498378482, 0.4143875340408911, 0.41069314827018816, 0.40701728432947337,
  0.4033597392211145, 0.3997203149801972, 0.39609881851583245, 0.3924950614593156,
  0.3889088600187887, 0.3853400348400773, 0.38178841087339366, 0.3782538172456192,
  0.37473608713789114, 0.3712350576682395, 0.3677505697790326, 0.36428246812900406,
  0.36083060098964803, 0.3573948201457805, 0.3539749808000768, 0.3505709414814061,
  0.34718256395679364, 0.3438097131468507, 0.34045225704452187, 0.33711006663700605,
  0.33378301583071845, 0.3304709813791636, 0.3271738428136014, 0.3238914823763911,
  0.32062378495690536, 0.3173706380299136, 0.3141319315963372, 0.3109075581262865,
  0.30769741250429206, 0.30450139197665, 0.30131939610080305, 0.2981513266966855,
  0.2949970877999618, 0.2918565856170952, 0.2887297284821829, 0.28561642681550176,
  0.2825165930837076, 0.27943014176163794, 0.2763569892956683, 0.27329705406857707,
  0.27025025636587546, 0.26721651834356147, 0.2641957639972612, 0.2611879191327212,
  0.25819291133761924, 0.25521066995466196, 0.2522411260559422, 0.24928421241852852,
  0.24633986350126383, 0.2434080154227503, 0.2404886059405006, 0.2375815744312381,
  0.23468686187233, 0.23180441082433872, 0.22893416541468034, 0.22607607132238028,
  0.22323007576391748, 0.220396127480152, 0.21757417672433113, 0.21476417525117358,
  0.21196607630703018, 0.20917983462112508, 0.2064054063978808, 0.2036427493103349,
  0.2008918224946566, 0.19815258654577514, 0.1954250035141343, 0.19270903690358918,
  0.19000465167046499, 0.1873118142238003, 0.18463049242679927, 0.18196065559952251,
  0.17930227452284758, 0.17665532144373486, 0.17401977008183855, 0.17139559563750575,
  0.1687827748012113, 0.1661812857644819, 0.16359110823236558, 0.161012223437511,
  0.15844461415592428, 0.1558882647244792, 0.15334316106026286, 0.15080929068184568,
  0.14828664273257455, 0.14577520800599403, 0.14327497897351346, 0.1407859498144447,
  0.13830811644855073, 0.13584147657125376, 0.13338602969166916, 0.13094177717364436,
  0.12850872227999957, 0.1260868702201859, 0.12367622820159657, 0.1212768054847903,
  0.11888861344291006, 0.11651166562561087, 0.11414597782783849, 0.11179156816383809,
  0.1094484571468118, 0.1071166677746838, 0.10479622562248707, 0.10248715894193525,
  0.10018949876881002, 0.09790327903886246, 0.095628536713009, 0.09336531191269101,
  0.09111364806637376, 0.08887359206827589, 0.08664519445055807, 0.08442850957035347,
  0.0822235958132029, 0.08003051581466307, 0.07784933670209612, 0.07568013035892718,
  0.07352297371398132, 0.0713779490588904, 0.06924514439700676, 0.0671246538277885,
  0.0650165779712429, 0.06292102443775814, 0.06083810834953988, 0.05876795292093374,
  0.0567106901062029, 0.05466646132488892, 0.05263541827679219, 0.05061772386094778,
  0.04861355321586854, 0.04662309490193038, 0.044646552251294463, 0.04268414491647446,
  0.04073611065594094, 0.03880270740452615, 0.036884215688567305, 0.034980941461716125,
  0.03309321945857858, 0.0312214171919203, 0.02936593975813336, 0.027527235669603113,
  0.02570580400854891, 0.02390220330579588, 0.02211706270730885, 0.02035109623004451,
  0.018605121275724622, 0.016880083152543142, 0.01517708830793531, 0.013497450601739867,
  0.011842757857907879, 0.010214971439701459, 0.008616582769398726, 0.007050875471373222,
  0.0055224032992509916, 0.0040379725933630236, 0.0026090727461021593, 0.001260285930498598,
]);

/** For tests/test_js_random.py only; not part of the API. */
export const _internals = { KI, WI, FI, log1p, fma, plainMulAdd };
