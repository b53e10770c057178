/*
 * numpy's default random generator in JavaScript, bit for bit.
 *
 * new Generator(seed) (or defaultRng(seed)) draws exactly the numbers that numpy draws from
 * np.random.default_rng(seed) (numpy >= 1.21; checked against numpy 2.4):
 *
 *   g.random()                   == rng.random()               (a Number)
 *   g.random(n)                  == rng.random(n)              (a Float64Array)
 *   g.standardNormal()           == rng.standard_normal()
 *   g.standardNormal(n)          == rng.standard_normal(n)
 *   g.standardNormal([a,b])      == rng.standard_normal((a, b)).ravel()  (C order, any rank)
 *   g.standardExponential()      == rng.standard_exponential()
 *   g.standardExponential(size)  == rng.standard_exponential(size)
 *   g.standardGamma(k)           == rng.standard_gamma(k)      (k >= 0, a Number)
 *   g.standardGamma(k, size)     == rng.standard_gamma(k, size)
 *   g.chisquare(df)              == rng.chisquare(df)          (df > 0, a Number)
 *   g.chisquare(df, size)        == rng.chisquare(df, size)
 *   g.chisquare(dfs)             == rng.chisquare(np.array(dfs))  (an array or typed array
 *                                   of dfs: a Float64Array, one draw per df, in order)
 *   g.state                      == rng.bit_generator.state["state"]  ({state, inc} as BigInts)
 *
 * and successive calls continue one stream just as numpy's do (size is n or [d0, d1, ...],
 * as above). seed is a non-negative integer: a Number up to 2**53 - 1 or a BigInt of any
 * size. numpy's other seeds (None for OS entropy, sequences, SeedSequence objects) are not
 * supported: anything but a non-negative integer throws an Error naming `seed`; a bad size,
 * shape or df throws one naming it, before anything is drawn. No dependencies; runs in node
 * and in browsers (BigInt is needed, but only while seeding).
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
 *   6. random_standard_exponential -- distributions.c, the exponential's 256-layer ziggurat
 *      (bits 3..10 of next_uint64 pick the layer, bits 11..63 are the magnitude) with the
 *      tables ke_double, we_double, fe_double (embedded and checked like the normal's); its
 *      tail beyond r = 7.697... (about 1 draw in 2200) is r - log1p(-next_double()).
 *   7. random_standard_gamma and random_chisquare (2 * standard_gamma(df / 2)) --
 *      distributions.c: shape 1 is the exponential and shape 0 gives 0 without drawing;
 *      shape < 1 draws a uniform u and an exponential v and returns pow(u, 1 / shape) or,
 *      when u > 1 - shape, pow(1 - shape + shape * y, 1 / shape) with y = -log((1 - u) /
 *      shape), if it is at most v (or v + y); shape > 1 is Marsaglia and Tsang's method:
 *      standard normals, next_double, and a log test for about 1 draw in 12. An array of
 *      dfs is drawn element after element, as numpy's broadcasting loop draws it.
 *   8. log and pow -- numpy calls the C library's, and for shape < 1 the draw is the value
 *      of pow itself: V8's Math.log and Math.pow differ from glibc's in the last bit of
 *      about 7% of logs and up to 10% of pows, and used here they changed 10.3% of the
 *      draws of standard_gamma(0.3) and 1.6% of those of standard_gamma(0.5) (the shape of
 *      chisquare(1)). So glibc's sysdeps/ieee754/dbl-64/e_log.c and e_pow.c (from Arm's
 *      optimized-routines) are ported too, with their tables (checked against the bytes of
 *      the C library), as x86-64 CPUs with FMA run them (e_log-fma.c, e_pow-fma.c): every
 *      multiply-add that GCC fused in that machine code (glibc 2.36 of Debian 12, GCC 12) is
 *      an fma() here.
 *
 * Measured against numpy 2.4 on glibc 2.36 (x86-64, FMA), without a single difference:
 * 20 million exponentials (9127 of them in the tail), 3 million gamma draws for each of 17
 * shapes from 1e-20 to 1e4 (0.001, 0.3, 0.5, 0.7, 0.999, 1, 1.5, 2, 2.5, 10, 100, ...),
 * 174,600 chi-square draws of Bartlett factors chisquare(df - arange(p)) (300 seeds, p from
 * 2 to 100), and the ported log and pow on 10 and 16 million arguments against glibc's.
 *
 * Where bit for bit can fail, rarely and only in the last bit of a draw:
 *   - Other C libraries: glibc's SSE2 build of log1p (CPUs without FMA, or glibc <= 2.38
 *     without the backport) differs from the FMA build in about 1 argument in 2000, so about
 *     1 normal in 10 million would differ (log1p(x, plainMulAdd) below is that build), and
 *     about 1 exponential in 4 million. glibc's build of log and pow without FMA differs
 *     from the FMA build in about 1 in 10,000 logs and 7 in 10,000 pows of the arguments
 *     standard_gamma gives them, so about 1 gamma draw of shape < 1 in 1000 would differ;
 *     a glibc compiled by another GCC may fuse other multiply-adds. macOS and Windows have
 *     log1p, log and pow functions of their own. numpy < 1.21 used log(1 - u).
 *   - exp() only decides the wedge tests `f1 + (f0 - f1) * u < exp(-x*x/2)` (normal) and
 *     `< exp(-x)` (exponential), and Math.exp is used for it. It differs from glibc's exp
 *     in the last bit of about 10% of these arguments, which flips a test only if the left
 *     side is exactly the smaller of the two candidates: odds near 1e-15 per test, and in
 *     592,606 normal and 441,043 exponential wedge tests the two sides never came within
 *     one ulp of each other. (For shapes > 1 the log test would be as safe with Math.log:
 *     in 1.67 million of them the sides never came within 4 ulps.)
 *   - numpy's PCG64 also keeps a buffered 32-bit half (has_uint32 / uinteger) for
 *     next_uint32, which 32-bit integer and float32 draws use. The float64 draws here only
 *     call next_uint64 / next_double, which neither read nor reset that buffer, so it never
 *     affects the streams reproduced here; this module offers no 32-bit draws and keeps no
 *     buffer.
 *
 * Speed: the 128-bit multiply works on 32-bit words and 16-bit limbs held in Numbers, where
 * every partial sum stays below 2**52 and so is exact; BigInt was 4 to 5 times slower. In
 * node 20 (x86-64), 100,000 normals or exponentials take about 4-7 ms once the JIT has
 * compiled this code and about 25-30 ms on a first call; 1,000,000 take about 40-100 ms.
 * Gamma draws of shape > 1 take about 0.13 us each, of shape < 1 about 0.8 us (the
 * emulated fma() makes the ported log about 0.2 us and pow about 0.45 us); a Bartlett
 * factor chisquare(64 - arange(64)) takes about 16 us.
 *
 * References:
 *   M. E. O'Neill, "PCG: A Family of Simple Fast Space-Efficient Statistically Good
 *     Algorithms for Random Number Generation", Harvey Mudd College, HMC-CS-2014-0905 (2014).
 *   M. E. O'Neill, "Developing a seed_seq Alternative" (pcg-random.org blog, 2015): the
 *     hash behind numpy's SeedSequence.
 *   G. Marsaglia and W. W. Tsang, "The Ziggurat Method for Generating Random Variables",
 *     Journal of Statistical Software 5(8) (2000).
 *   G. Marsaglia and W. W. Tsang, "A Simple Method for Generating Gamma Variables", ACM
 *     Transactions on Mathematical Software 26(3) (2000).
 *   numpy: numpy/random/bit_generator.pyx, _pcg64.pyx, _common.pxd, src/pcg64/pcg64.h,
 *     src/distributions/distributions.c, src/distributions/ziggurat_constants.h.
 *   glibc: sysdeps/ieee754/dbl-64/s_log1p.c, e_log.c, e_log_data.c, e_pow.c,
 *     e_pow_log_data.c, e_exp_data.c; sysdeps/x86_64/fpu/multiarch/s_log1p-fma.c,
 *     e_log-fma.c, e_pow-fma.c.
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
const EXP_R = 7.6971174701310497140446280481; // ziggurat_exp_r

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

  /**
   * Standard exponential draws, like rng.standard_exponential(size) (its default method,
   * "zig"): a Number if size is omitted, otherwise a Float64Array of prod(size) values.
   */
  standardExponential(size) {
    if (size === undefined) return this._exponential();
    const out = new Float64Array(sizeToLength(size));
    for (let i = 0; i < out.length; i++) out[i] = this._exponential();
    return out;
  }

  /**
   * Standard gamma draws of shape k >= 0 (a Number), like rng.standard_gamma(k, size): a
   * Number if size is omitted, otherwise a Float64Array of prod(size) values.
   */
  standardGamma(shape, size) {
    checkShape(shape);
    if (size === undefined) return this._gamma(shape);
    const out = new Float64Array(sizeToLength(size));
    for (let i = 0; i < out.length; i++) out[i] = this._gamma(shape);
    return out;
  }

  /**
   * Chi-square draws, like rng.chisquare(df, size): 2 * standardGamma(df / 2) for df > 0.
   * df is a Number (then a Number, or a Float64Array of prod(size) values if size is
   * given) or an array or typed array of dfs (then a Float64Array with one draw per df,
   * drawn in order, as rng.chisquare(np.array(dfs)) draws them; size must be omitted).
   */
  chisquare(df, size) {
    if (typeof df === "number") {
      checkDf(df);
      if (size === undefined) return 2.0 * this._gamma(df / 2.0);
      const out = new Float64Array(sizeToLength(size));
      for (let i = 0; i < out.length; i++) out[i] = 2.0 * this._gamma(df / 2.0);
      return out;
    }
    if (!Array.isArray(df) && !(ArrayBuffer.isView(df) && !(df instanceof DataView))) {
      throw new TypeError(`df must be a Number or an array of Numbers, got ${describe(df)}`);
    }
    if (size !== undefined) {
      throw new TypeError(
        `size must be omitted when df is an array (one draw per df), got ${describe(size)}`,
      );
    }
    const dfs = Float64Array.from(df, (value) => {
      if (typeof value !== "number" && typeof value !== "bigint") {
        throw new TypeError(`df must hold Numbers only, got ${describe(value)}`);
      }
      return checkDf(Number(value));
    });
    // numpy validates every df before it draws, so a bad df draws nothing.
    const out = new Float64Array(dfs.length);
    for (let i = 0; i < out.length; i++) out[i] = 2.0 * this._gamma(dfs[i] / 2.0);
    return out;
  }

  // random_standard_exponential (distributions.c): a 256-layer ziggurat like the normal's.
  _exponential() {
    for (;;) {
      this._next();
      const hi = this._hi, lo = this._lo;
      // The 64 bits are: 53 bits of magnitude (the bits of next_double), 8 bits of layer
      // index, 3 unused.
      const idx = (lo >>> 3) & 0xff;
      const ri = (hi >>> 0) * 2097152 + (lo >>> 11); // bits 11..63, exact
      if (ri < KE[idx]) return ri * WE[idx]; // inside the layer's rectangle: 98.9% of draws
      const x = this._exponentialOutside(idx, ri * WE[idx]);
      if (x === x) return x; // NaN: rejected, draw again
    }
  }

  // standard_exponential_unlikely: the tail beyond r, which is r plus an exponential by
  // inversion, or the wedge test. Returns NaN when the draw is rejected.
  _exponentialOutside(idx, x) {
    if (idx === 0) return EXP_R - log1p(-this._double());
    if ((FE[idx - 1] - FE[idx]) * this._double() + FE[idx] < Math.exp(-x)) return x;
    return NaN;
  }

  // random_standard_gamma (distributions.c) for a valid shape.
  _gamma(shape) {
    if (shape === 1.0) return this._exponential();
    if (shape === 0.0) return 0.0;
    if (shape < 1.0) {
      // Johnk's and Ahrens-Dieter's GS idea: a power of a uniform, accepted against an
      // exponential.
      for (;;) {
        const u = this._double();
        const v = this._exponential();
        if (u <= 1.0 - shape) {
          const x = pow(u, 1.0 / shape);
          if (x <= v) return x;
        } else {
          const y = -log((1 - u) / shape);
          const x = pow(1.0 - shape + shape * y, 1.0 / shape);
          if (x <= v + y) return x;
        }
      }
    }
    // Marsaglia and Tsang: b * (1 + c * X)**3 for a standard normal X, squeezed, then
    // accepted on a log test.
    const b = shape - 1.0 / 3.0;
    const c = 1.0 / Math.sqrt(9 * b);
    for (;;) {
      let x, v;
      do {
        x = this._normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const u = this._double();
      if (u < 1.0 - 0.0331 * (x * x) * (x * x)) return b * v;
      if (log(u) < 0.5 * x * x + b * (1.0 - v + log(v))) return b * v;
    }
  }
}

/** Like np.random.default_rng(seed), for a non-negative integer seed. */
export function defaultRng(seed) {
  return new Generator(seed);
}

// numpy's checks (_common.pyx, check_constraint): CONS_NON_NEGATIVE for a gamma shape
// (numpy lets NaN through, this module does not) and CONS_POSITIVE for df.
function checkShape(shape) {
  if (typeof shape !== "number" || !(shape >= 0) || Object.is(shape, -0)) {
    throw new RangeError(`shape must be a Number >= 0, got ${describe(shape)}`);
  }
  return shape;
}

function checkDf(df) {
  if (!(df > 0)) throw new RangeError(`df must be a Number > 0, got ${describe(df)}`);
  return df;
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
// cannot happen in log1p, log and pow (a nonzero |a * b| stays within 2**-940 and 2**800).
function fma(a, b, c) {
  // Dekker's product: a * b = p + e exactly (split a and b in halves of 26 bits).
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  const e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  const th = c + p;
  if (e === 0) return th; // the product is exact: one rounding already
  const bb = th - c; // TwoSum: c + p = th + tl
  const tl = (c - (th - bb)) + (p - bb);
  if (tl === 0) return th + e; // c + p is exact: one rounding of th + e
  return th + roundToOdd(tl, e);
}

const SPLIT = 134217729; // 2**27 + 1, Veltkamp's splitter

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
// glibc's log and pow (sysdeps/ieee754/dbl-64/e_log.c and e_pow.c, from Arm's
// optimized-routines), which numpy's standard_gamma calls. Math.log and Math.pow (V8's
// fdlibm ports) differ from them in the last bit of about 7% of logs and up to 10% of pows,
// and for shapes below 1 the gamma draw is the value of pow itself.
//
// As with log1p, this is the build that x86-64 CPUs with FMA run (e_log-fma.c and
// e_pow-fma.c, compiled with -mfma -mavx2): there GCC fuses most multiply-adds, including
// ones the source writes as separate operations. Every fma(...) below is a fused
// multiply-add of that machine code (read off glibc 2.36 of Debian 12); every other
// operation is rounded on its own. The tables are at the end of this file.

const OFF_LOG = 0x3fe60000; // the high word of e_log.c's OFF
const OFF_POW = 0x3fe69555; // the high word of e_pow.c's OFF

// The double with high word `high` and low word `low` (as int32 or uint32).
function fromWords(high, low) {
  word.setInt32(0, high);
  word.setInt32(4, low);
  return word.getFloat64(0);
}

// e_log.c's path for x near 1 (1 - 2**-4 <= x < 1 + 0x1.09p-4), log(1) = +0.
function logNear1(x) {
  if (x === 1) return 0;
  const r = x - 1.0;
  const r2 = r * r, r3 = r * r2;
  const B = LOG_POLY1;
  const p1 = fma(r2, B[3], fma(r, B[2], B[1]));
  const p2 = fma(r2, B[6], fma(r, B[5], B[4]));
  const p3 = fma(r3, B[10], fma(r2, B[9], fma(r, B[8], B[7])));
  const p = fma(fma(p3, r3, p2), r3, p1);
  // r = rhi + rlo with rhi * rhi exact; hi + lo = r - r * r / 2.
  const t = r * 134217728 + r; // w = r * 2**27 (exact, so fusing changes nothing here)
  const rhi = t - r * 134217728;
  const rlo = r - rhi;
  const hi = rhi * rhi * B[0] + r; // B[0] = -0.5, a product that is exact
  const lo = fma(B[0] * rlo, rhi + r, r - hi + rhi * rhi * B[0]);
  return hi + fma(p, r3, lo);
}

// log(x), as glibc computes it.
function log(x) {
  if (x >= 0.9375 && x < 1.064697265625) return logNear1(x); // 1 - 2**-4 <= x < 1 + 0x1.09p-4
  word.setFloat64(0, x);
  let high = word.getInt32(0);
  let low = word.getInt32(4);
  if (((high >>> 16) - 0x0010) >>> 0 >= 0x7ff0 - 0x0010) {
    // x < 2**-1022, or x is infinite or NaN.
    if (x === 0) return -Infinity;
    if (x === Infinity) return x;
    if (!(x > 0)) return NaN; // negative or NaN
    word.setFloat64(0, x * 2 ** 52); // subnormal: normalize it, the exponent goes below 0
    high = (word.getInt32(0) - (52 << 20)) | 0;
    low = word.getInt32(4);
  }
  // x = 2**k z with z in [OFF, 2 OFF) and the i-th of 128 subintervals.
  const tmp = (high - OFF_LOG) | 0;
  const i = (tmp >>> 13) & 0x7f;
  const kd = tmp >> 20;
  const z = fromWords(high - (tmp & 0xfff00000), low);
  const invc = LOG_TAB[2 * i], logc = LOG_TAB[2 * i + 1];
  const A = LOG_POLY;
  // log(x) = log1p(z / c - 1) + log(c) + k ln2, with hi + lo = r + log(c) + k ln2.
  const w = fma(kd, LN2HI, logc);
  const r = fma(z, invc, -1.0);
  const hi = r + w;
  const r2 = r * r;
  const lo = fma(r2, A[0], fma(kd, LN2LO, w - hi + r));
  const q = fma(fma(r, A[4], A[3]), r2, fma(r, A[2], A[1]));
  return fma(r * r2, q, lo) + hi;
}

// pow(x, y), as glibc computes it.
function pow(x, y) {
  word.setFloat64(0, y);
  const yHigh = word.getInt32(0);
  const topy = (yHigh >>> 20) & 0x7ff; // without the sign
  word.setFloat64(0, x);
  let high = word.getInt32(0);
  let low = word.getInt32(4);
  let signBias = false; // the result is negative
  const topx = (high >>> 20) & 0xfff; // with the sign
  if (((topx - 0x001) >>> 0) >= 0x7ff - 0x001 || ((topy - 0x3be) >>> 0) >= 0x43e - 0x3be) {
    // x < 2**-1022 (negative x included), x or y is 0, infinite or NaN, or |y| < 2**-65
    // or |y| >= 2**63.
    if (y === 0) return 1.0;
    if (!Number.isFinite(y)) {
      if (x === 1) return 1.0;
      if (x !== x || y !== y) return x + y;
      if (Math.abs(x) === 1) return 1.0;
      return (Math.abs(x) < 1) === (y > 0) ? 0.0 : y * y;
    }
    if (x === 0 || !Number.isFinite(x)) { // 0, Infinity or NaN
      let x2 = x * x;
      if (high < 0 && checkInt(y) === 1) x2 = -x2;
      return y < 0 ? 1 / x2 : x2;
    }
    if (x < 0) {
      const yInt = checkInt(y);
      if (yInt === 0) return NaN;
      signBias = yInt === 1;
      x = -x;
      high &= 0x7fffffff;
    }
    if (topy - 0x3be >>> 0 >= 0x43e - 0x3be) {
      if (x === 1) return 1.0;
      if (topy < 0x3be) return x > 1 ? 1.0 + y : 1.0 - y; // |y| < 2**-65
      return (x > 1) === (y > 0) ? Infinity : 0.0; // |y| >= 2**63
    }
    if (x < 2 ** -1022) { // subnormal: normalize it, the exponent goes below 0
      word.setFloat64(0, x * 2 ** 52);
      high = (word.getInt32(0) - (52 << 20)) | 0;
      low = word.getInt32(4);
    }
  }

  // log_inline: hi + lo = log(x) with about 15 bits more than a double.
  const tmp = (high - OFF_POW) | 0;
  const i = (tmp >>> 13) & 0x7f;
  const kd = tmp >> 20;
  const z = fromWords(high - (tmp & 0xfff00000), low);
  const invc = POW_TAB[3 * i], logc = POW_TAB[3 * i + 1], logctail = POW_TAB[3 * i + 2];
  const A = POW_POLY;
  const t1 = fma(kd, LN2HI, logc);
  const lo1 = fma(kd, LN2LO, logctail);
  const r = fma(z, invc, -1.0); // exact: 1/c has few bits
  const ar = r * A[0];
  const t2 = r + t1;
  const ar2 = r * ar;
  const lo2 = t1 - t2 + r;
  const ar3 = r * ar2;
  const lo3 = fma(ar, r, -ar2);
  const hi = t2 + ar2;
  const lo4 = t2 - hi + ar2;
  const q = fma(ar2, fma(fma(r, A[6], A[5]), ar2, fma(r, A[4], A[3])), fma(r, A[2], A[1]));
  const lo = fma(ar3, q, lo1 + lo2 + lo3 + lo4);
  const logHi = hi + lo;
  const logLo = hi - logHi + lo;

  // y log(x) = ehi + elo, then exp_inline.
  const ehi = y * logHi;
  const elo = fma(y, logLo, fma(logHi, y, -ehi));
  return expInline(ehi, elo, signBias);
}

// e_pow.c's checkint for a finite non-zero y: 0 if not an integer, 1 if odd, 2 if even.
function checkInt(y) {
  if (!Number.isInteger(y)) return 0;
  return Math.abs(y) < 2 ** 53 && y % 2 !== 0 ? 1 : 2;
}

// 2**e for an integer e in [-1022, 1023], exactly.
function twoTo(e) {
  return fromWords((e + 1023) << 20, 0);
}

// e_pow.c's exp_inline: (-1 if negative) * exp(x + xtail), |xtail| tiny.
function expInline(x, xtail, negative) {
  word.setFloat64(0, x);
  let abstop = (word.getInt32(0) >>> 20) & 0x7ff;
  if ((abstop - 0x3c9) >>> 0 >= 0x408 - 0x3c9) { // |x| < 2**-54 or |x| >= 512
    if (abstop < 0x3c9) return negative ? -(1.0 + x) : 1.0 + x;
    if (abstop >= 0x409) { // |x| >= 1024
      if (x < 0) return negative ? -0.0 : 0.0;
      return negative ? -Infinity : Infinity;
    }
    abstop = 0; // large |x|: specialCase below
  }
  // exp(x) = 2**(k/128) exp(r), x = k ln2/128 + r, |r| <= ln2/256.
  const kd = fma(x, EXP_INVLN2N, EXP_SHIFT) - EXP_SHIFT; // an integer
  let r = fma(kd, EXP_NEGLN2LON, fma(kd, EXP_NEGLN2HIN, x));
  r = xtail + r;
  const j = kd & 127, m = (kd - j) / 128;
  const C = EXP_POLY;
  const r2 = r * r;
  const a = fma(fma(r, C[1], C[0]), r2, r + EXP_TAB[2 * j]);
  const tmp = fma(fma(r, C[3], C[2]), r2 * r2, a);
  // 2**(k/128) = scale (1 + tail) with scale = H[j] 2**m.
  const h = negative ? -EXP_TAB[2 * j + 1] : EXP_TAB[2 * j + 1];
  if (abstop === 0) return expSpecialCase(tmp, h, m, kd >= 0);
  const scale = h * twoTo(m);
  return fma(tmp, scale, scale);
}

// e_pow.c's specialcase: scale (1 + tmp) where scale = h 2**m may over- or underflow.
function expSpecialCase(tmp, h, m, up) {
  if (up) {
    const scale = h * twoTo(m - 1009);
    return fma(tmp, scale, scale) * 2 ** 1009;
  }
  const scale = h * twoTo(m + 1022);
  const st = scale * tmp;
  let y = scale + st;
  if (Math.abs(y) < 1.0) {
    // Round y to double precision before scaling it into the subnormal range.
    const one = y < 0.0 ? -1.0 : 1.0;
    let lo = scale - y + st;
    const hi = one + y;
    lo = one - hi + y + lo;
    y = lo + hi - one;
    if (y === 0) y = h < 0 ? -0.0 : 0.0;
  }
  return y * 2 ** -1022;
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

// The exponential ziggurat's tables: ke_double (integer thresholds below 2**53, exact as
// Numbers), we_double (layer widths / 2**53) and fe_double (exp(-x_i) at the layer edges).

const KE = new Float64Array([
  0x1c5214272497c6, 0x00000000000000, 0x137d5bd79c317e, 0x186ef58e3f3c10, 0x1a9bb7320eb0ae,
  0x1bd127f719447c, 0x1c951d0f88651a, 0x1d1bfe2d5c3972, 0x1d7e5bd56b18b2, 0x1dc934dd172c70,
  0x1e0409dfac9dc8, 0x1e337b71d47836, 0x1e5a8b177cb7a2, 0x1e7b42096f046c, 0x1e970daf08ae3e,
  0x1eaef5b14ef09e, 0x1ec3bd07b46556, 0x1ed5f6f08799ce, 0x1ee614ae6e5688, 0x1ef46eca361cd0,
  0x1f014b76ddd4a4, 0x1f0ce313a796b6, 0x1f176369f1f77a, 0x1f20f20c452570, 0x1f29ae1951a874,
  0x1f31b18fb95532, 0x1f39125157c106, 0x1f3fe2eb6e694c, 0x1f463332d788fa, 0x1f4c10bf1d3a0e,
  0x1f51874c5c3322, 0x1f56a109c3ecc0, 0x1f5b66d9099996, 0x1f5fe08210d08c, 0x1f6414dd445772,
  0x1f6809f6859678, 0x1f6bc52a2b02e6, 0x1f6f4b3d32e4f4, 0x1f72a07190f13a, 0x1f75c8974d09d6,
  0x1f78c71b045cc0, 0x1f7b9f12413ff4, 0x1f7e5346079f8a, 0x1f80e63be21138, 0x1f835a3dad9162,
  0x1f85b16056b912, 0x1f87ed89b24262, 0x1f8a10759374fa, 0x1f8c1bba3d39ac, 0x1f8e10cc45d04a,
  0x1f8ff102013e16, 0x1f91bd968358e0, 0x1f9377ac47afd8, 0x1f95204f8b64da, 0x1f96b878633892,
  0x1f98410c968892, 0x1f99bae146ba80, 0x1f9b26bc697f00, 0x1f9c85561b717a, 0x1f9dd759cfd802,
  0x1f9f1d6761a1ce, 0x1fa058140936c0, 0x1fa187eb3a3338, 0x1fa2ad6f6bc4fc, 0x1fa3c91ace0682,
  0x1fa4db5fee6aa2, 0x1fa5e4aa4d097c, 0x1fa6e55ee46782, 0x1fa7dddca51ec4, 0x1fa8ce7ce6a874,
  0x1fa9b793ce5fee, 0x1faa9970adb858, 0x1fab745e588232, 0x1fac48a3740584, 0x1fad1682bf9fe8,
  0x1fadde3b5782c0, 0x1faea008f21d6c, 0x1faf5c2418b07e, 0x1fb012c25b7a12, 0x1fb0c41681dff4,
  0x1fb17050b6f1fa, 0x1fb2179eb2963a, 0x1fb2ba2bdfa84a, 0x1fb358217f4e18, 0x1fb3f1a6c9be0c,
  0x1fb486e10cacd6, 0x1fb517f3c793fc, 0x1fb5a500c5fdaa, 0x1fb62e2837fe58, 0x1fb6b388c9010a,
  0x1fb7353fb50798, 0x1fb7b368dc7da8, 0x1fb82e1ed6ba08, 0x1fb8a57b0347f6, 0x1fb919959a0f74,
  0x1fb98a85ba7204, 0x1fb9f861796f26, 0x1fba633deee286, 0x1fbacb2f41ec16, 0x1fbb3048b49144,
  0x1fbb929caea4e2, 0x1fbbf23cc8029e, 0x1fbc4f39d22994, 0x1fbca9a3e140d4, 0x1fbd018a548f9e,
  0x1fbd56fbde729c, 0x1fbdaa068bd66a, 0x1fbdfab7cb3f40, 0x1fbe491c7364de, 0x1fbe9540c9695e,
  0x1fbedf3086b128, 0x1fbf26f6de6174, 0x1fbf6c9e828ae2, 0x1fbfb031a904c4, 0x1fbff1ba0ffdb0,
  0x1fc03141024588, 0x1fc06ecf5b54b2, 0x1fc0aa6d8b1426, 0x1fc0e42399698a, 0x1fc11bf9298a64,
  0x1fc151f57d1942, 0x1fc1861f770f4a, 0x1fc1b87d9e74b4, 0x1fc1e91620ea42, 0x1fc217eed505de,
  0x1fc2450d3c83fe, 0x1fc27076864fc2, 0x1fc29a2f90630e, 0x1fc2c23ce98046, 0x1fc2e8a2d2c6b4,
  0x1fc30d654122ec, 0x1fc33087de9c0e, 0x1fc3520e0b7ec6, 0x1fc371fadf66f8, 0x1fc390512a2886,
  0x1fc3ad137497fa, 0x1fc3c844013348, 0x1fc3e1e4ccab40, 0x1fc3f9f78e4da8, 0x1fc4107db85060,
  0x1fc4257877fd68, 0x1fc438e8b5bfc6, 0x1fc44acf15112a, 0x1fc45b2bf447e8, 0x1fc469ff6c4504,
  0x1fc477495001b2, 0x1fc483092bfbb8, 0x1fc48d3e457ff6, 0x1fc495e799d21a, 0x1fc49d03dd30b0,
  0x1fc4a29179b432, 0x1fc4a68e8e07fc, 0x1fc4a8f8ebfb8c, 0x1fc4a9ce16ea9e, 0x1fc4a90b41fa34,
  0x1fc4a6ad4e28a0, 0x1fc4a2b0c82e74, 0x1fc49d11e62de2, 0x1fc495cc852df4, 0x1fc48cdc265ec0,
  0x1fc4823bec237a, 0x1fc475e696dee6, 0x1fc467d6817e82, 0x1fc458059dc036, 0x1fc4466d702e20,
  0x1fc433070bcb98, 0x1fc41dcb0d6e0e, 0x1fc406b196bbf6, 0x1fc3edb248cb62, 0x1fc3d2c43e593c,
  0x1fc3b5de0591b4, 0x1fc396f599614c, 0x1fc376005a4592, 0x1fc352f3069370, 0x1fc32dc1b22818,
  0x1fc3065fbd7888, 0x1fc2dcbfcbf262, 0x1fc2b0d3b99f9e, 0x1fc2828c8ffcf0, 0x1fc251da79f164,
  0x1fc21eacb6d39e, 0x1fc1e8f18c6756, 0x1fc1b09637bb3c, 0x1fc17586dccd10, 0x1fc137ae74d6b6,
  0x1fc0f6f6bb2414, 0x1fc0b348184da4, 0x1fc06c898baff0, 0x1fc022a092f364, 0x1fbfd5710f72b8,
  0x1fbf84dd29488e, 0x1fbf30c52fc60a, 0x1fbed907770cc6, 0x1fbe7d80327dda, 0x1fbe1e094ba614,
  0x1fbdba7a354408, 0x1fbd52a7b9f826, 0x1fbce663c6201a, 0x1fbc757d2c4de4, 0x1fbbffbf63b7aa,
  0x1fbb84f23fe6a2, 0x1fbb04d9a0d18c, 0x1fba7f351a70ac, 0x1fb9f3bf92b618, 0x1fb9622ed4abfc,
  0x1fb8ca33174a16, 0x1fb82b76765b54, 0x1fb7859c5b895c, 0x1fb6d840d55594, 0x1fb622f7d96942,
  0x1fb5654c6f37e0, 0x1fb49ebfbf69d2, 0x1fb3cec803e746, 0x1fb2f4cf539c3e, 0x1fb21032442852,
  0x1fb1203e5a9604, 0x1fb0243042e1c2, 0x1faf1b31c479a6, 0x1fae045767e104, 0x1facde9dbf2d72,
  0x1faba8e640060a, 0x1faa61f399ff28, 0x1fa908656f66a2, 0x1fa79ab3508d3c, 0x1fa61726d1f214,
  0x1fa47bd48bea00, 0x1fa2c693c5c094, 0x1fa0f4f47df314, 0x1f9f04336bbe0a, 0x1f9cf12b79f9bc,
  0x1f9ab84415abc4, 0x1f98555b782fb8, 0x1f95c3abd03f78, 0x1f92fda9cef1f2, 0x1f8ffcda9ae41c,
  0x1f8cb99e7385f8, 0x1f892aec479606, 0x1f8545f904db8e, 0x1f80fdc336039a, 0x1f7c427839e926,
  0x1f7700a3582acc, 0x1f71200f1a241c, 0x1f6a8234b7352a, 0x1f630000a8e266, 0x1f5a66904fe3c4,
  0x1f50724ece1172, 0x1f44c7665c6fda, 0x1f36e5a38a59a2, 0x1f26143450340a, 0x1f113e047b0414,
  0x1ef6aefa57cbe6, 0x1ed38ca188151e, 0x1ea2a61e122db0, 0x1e5961c78b267c, 0x1dddf62bac0bb0,
  0x1cdb4dd9e4e8c0,
]);

const WE = new Float64Array([
  9.655740063209183e-16, 7.089014243955414e-18, 1.1639412496691224e-17, 1.524391512353216e-17,
  1.833284885723744e-17, 2.1089651094644866e-17, 2.3611280778431382e-17, 2.595595772310894e-17,
  2.8161735541977523e-17, 3.0255041303213823e-17, 3.225508254836375e-17, 3.417632340185027e-17,
  3.6029969787344525e-17, 3.782490776869649e-17, 3.956832198097553e-17, 4.1266117781759464e-17,
  4.2923218084425256e-17, 4.4543777432823714e-17, 4.613133981483186e-17, 4.768895725264636e-17,
  4.921928043727963e-17, 5.072462904503147e-17, 5.220704702792672e-17, 5.366834661718192e-17,
  5.511014372835095e-17, 5.653388673239667e-17, 5.794088004852767e-17, 5.933230365208943e-17,
  6.07092293284718e-17, 6.207263431163193e-17, 6.342341280303077e-17, 6.476238575956142e-17,
  6.609030925769405e-17, 6.740788167872722e-17, 6.871574991183812e-17, 7.00145147340393e-17,
  7.130473549660643e-17, 7.258693422414648e-17, 7.386159921381792e-17, 7.512918820723728e-17,
  7.639013119550826e-17, 7.764483290797848e-17, 7.88936750272979e-17, 8.013701816675454e-17,
  8.137520364041762e-17, 8.260855505210038e-17, 8.383737972539139e-17, 8.506196999385323e-17,
  8.628260436784113e-17, 8.749954859216183e-17, 8.871305660690252e-17, 8.992337142215357e-17,
  9.113072591597909e-17, 9.233534356381788e-17, 9.353743910649129e-17, 9.47372191631295e-17,
  9.593488279457997e-17, 9.713062202221521e-17, 9.832462230649511e-17, 9.951706298915072e-17,
  1.0070811770242949e-16, 1.0189795474846941e-16, 1.030867374515422e-16, 1.0427462448561886e-16,
  1.0546177017945764e-16, 1.0664832480119147e-16, 1.0783443482419485e-16,
  1.0902024317583505e-16, 1.1020588947055781e-16, 1.1139151022861975e-16,
  1.1257723908165675e-16, 1.1376320696616847e-16, 1.1494954230590093e-16,
  1.1613637118402183e-16, 1.1732381750590458e-16, 1.1851200315326694e-16,
  1.1970104813034652e-16, 1.2089107070273855e-16, 1.2208218752947062e-16,
  1.2327451378884152e-16, 1.2446816329851125e-16, 1.2566324863028985e-16,
  1.2685988122003975e-16, 1.2805817147307494e-16, 1.2925822886541196e-16,
  1.3046016204120288e-16, 1.3166407890665726e-16, 1.328700867207381e-16, 1.3407829218289994e-16,
  1.3528880151811755e-16, 1.3650172055943978e-16, 1.377171548282881e-16, 1.389352096127064e-16,
  1.4015599004375715e-16, 1.4137960117024852e-16, 1.4260614803196654e-16,
  1.4383573573157902e-16, 1.4506846950536877e-16, 1.4630445479294757e-16,
  1.4754379730609516e-16, 1.487866030968626e-16, 1.500329786250737e-16, 1.5128303082535394e-16,
  1.5253686717381255e-16, 1.537945957544997e-16, 1.5505632532575771e-16, 1.5632216538658375e-16,
  1.5759222624311761e-16, 1.5886661907536842e-16, 1.6014545600429167e-16,
  1.6142885015932787e-16, 1.6271691574651305e-16, 1.640097681172718e-16, 1.653075238380037e-16,
  1.666103007605742e-16, 1.6791821809382289e-16, 1.6923139647620223e-16, 1.7054995804966298e-16,
  1.7187402653490317e-16, 1.7320372730810084e-16, 1.745391874792534e-16, 1.7588053597224914e-16,
  1.7722790360680065e-16, 1.7858142318237326e-16, 1.7994122956424637e-16,
  1.8130745977185016e-16, 1.8268025306952523e-16, 1.8405975105985878e-16,
  1.8544609777975695e-16, 1.8683943979941927e-16, 1.882399263243892e-16, 1.8964770930086167e-16,
  1.9106294352443765e-16, 1.9248578675252438e-16, 1.9391639982058994e-16,
  1.9535494676249091e-16, 1.9680159493510374e-16, 1.982565151475019e-16, 1.997198817949342e-16,
  2.0119187299787347e-16, 2.0267267074641983e-16, 2.0416246105035888e-16,
  2.0566143409519179e-16, 2.071697844044737e-16, 2.0868771100881597e-16, 2.1021541762192928e-16,
  2.117531128241076e-16, 2.133010102535779e-16, 2.1485932880616633e-16, 2.1642829284376047e-16,
  2.180081324120784e-16, 2.1959908346828707e-16, 2.212013881190496e-16, 2.2281529486961805e-16,
  2.2444105888463086e-16, 2.2607894226131737e-16, 2.277292143158621e-16, 2.2939215188373114e-16,
  2.3106803963482133e-16, 2.3275717040435346e-16, 2.344598455404958e-16, 2.361763752697774e-16,
  2.3790707908142767e-16, 2.3965228613186235e-16, 2.4141233567062933e-16, 2.431875774892256e-16,
  2.44978372394307e-16, 2.4678509270692887e-16, 2.4860812278958517e-16, 2.504478596029557e-16,
  2.523047132944217e-16, 2.541791078205812e-16, 2.560714816061771e-16, 2.579822882420531e-16,
  2.599119972249747e-16, 2.618610947423924e-16, 2.638300845054943e-16, 2.658194886341845e-16,
  2.678298485979525e-16, 2.698617262169489e-16, 2.7191570472798185e-16, 2.739923899205815e-16,
  2.760924113487617e-16, 2.782164236246436e-16, 2.8036510780069835e-16, 2.825391728480253e-16,
  2.847393572388174e-16, 2.8696643064198177e-16, 2.8922119574179956e-16, 2.915044901905293e-16,
  2.9381718870700286e-16, 2.9616020533454657e-16, 2.9853449587300453e-16, 3.009410605012618e-16,
  3.0338094660850034e-16, 3.058552518544861e-16, 3.08365127481531e-16, 3.1091178190342663e-16,
  3.134964845996663e-16, 3.1612057034671057e-16, 3.187854438219713e-16, 3.2149258462067974e-16,
  3.2424355273094516e-16, 3.2703999451822404e-16, 3.298836492772283e-16, 3.3277635641716714e-16,
  3.357200633553244e-16, 3.387168342045505e-16, 3.417688593525637e-16, 3.448784660453424e-16,
  3.4804813010374423e-16, 3.5128048892229794e-16, 3.545783559224792e-16, 3.5794473666042765e-16,
  3.6138284682190606e-16, 3.6489613237645425e-16, 3.6848829220956213e-16,
  3.7216330360802073e-16, 3.7592545104162565e-16, 3.7977935876688744e-16,
  3.8373002787892137e-16, 3.8778287856078953e-16, 3.919437984311429e-16, 3.962191980786775e-16,
  4.0061607510565417e-16, 4.051420882956573e-16, 4.0980564389030625e-16, 4.1461599642909046e-16,
  4.195833672073399e-16, 4.247190841824385e-16, 4.3003574816674707e-16, 4.355474314693952e-16,
  4.41269916903607e-16, 4.472209874259932e-16, 4.534207798565834e-16, 4.598922204905932e-16,
  4.666615664711476e-16, 4.737590853262492e-16, 4.812199172829238e-16, 4.89085182739221e-16,
  4.97403423619194e-16, 5.06232507214416e-16, 5.156421828878083e-16, 5.257175802022275e-16,
  5.365640977112022e-16, 5.483144034258704e-16, 5.61138745467516e-16, 5.752606481503332e-16,
  5.909817641652103e-16, 6.087231416180908e-16, 6.290979034877557e-16, 6.530492053564041e-16,
  6.821393079028929e-16, 7.192444966089362e-16, 7.706095350032097e-16, 8.545517038584027e-16,
]);

const FE = new Float64Array([
  1, 0.9381436808621747, 0.9004699299257465, 0.8717043323812036, 0.8477855006239896,
  0.8269932966430503, 0.8084216515230084, 0.7915276369724956, 0.7759568520401156,
  0.7614633888498963, 0.7478686219851951, 0.7350380924314235, 0.722867659593572,
  0.711274760805076, 0.7001926550827882, 0.689566496117078, 0.6793505722647654,
  0.6695063167319247, 0.6600008410789997, 0.6508058334145711, 0.6418967164272661,
  0.6332519942143661, 0.624852738703666, 0.6166821809152077, 0.608725382079622,
  0.6009689663652322, 0.5934009016917334, 0.586010318477268, 0.578787358602845,
  0.5717230486648258, 0.5648091929124002, 0.5580382822625874, 0.5514034165406413,
  0.5448982376724396, 0.5385168720028619, 0.5322538802630433, 0.5261042139836197,
  0.5200631773682336, 0.5141263938147486, 0.5082897764106429, 0.5025495018413477,
  0.49690198724154955, 0.49134386959403253, 0.4858719873418849, 0.4804833639304542,
  0.4751751930373774, 0.46994482528396, 0.4647897562504262, 0.4597076156421377,
  0.4546961574746155, 0.449753251162755, 0.4448768734145485, 0.4400651008423539,
  0.4353161032156366, 0.43062813728845883, 0.42599954114303434, 0.4214287289976166,
  0.4169141864330029, 0.4124544659971612, 0.4080481831520324, 0.4036940125305303,
  0.3993906844752311, 0.39513698183329016, 0.3909317369847971, 0.38677382908413765,
  0.38266218149600983, 0.3785957594095808, 0.37457356761590216, 0.370594648435146,
  0.36665807978151416, 0.3627629733548178, 0.3589084729487498, 0.35509375286678746,
  0.35131801643748334, 0.347580494621637, 0.3438804447045024, 0.34021714906678,
  0.3365899140286776, 0.332998068761809, 0.3294409642641363, 0.3259179723935562,
  0.32242848495608917, 0.31897191284495724, 0.31554768522712895, 0.31215524877417955,
  0.3087940669345602, 0.30546361924459026, 0.3021634006756935, 0.2988929210155818,
  0.2956517042812612, 0.2924392881618926, 0.28925522348967775, 0.2860990737370768,
  0.28297041453878075, 0.2798688332369729, 0.27679392844851736, 0.27374530965280297,
  0.27072259679906, 0.2677254199320448, 0.2647534188350622, 0.261806242689363,
  0.25888354974901623, 0.2559850070304154, 0.25311029001562946, 0.2502590823688623,
  0.24743107566532763, 0.2446259691318921, 0.24184346939887721, 0.23908329026244918,
  0.23634515245705964, 0.23362878343743335, 0.2309339171696274, 0.2282602939307167,
  0.22560766011668407, 0.2229757680581202, 0.2203643758433595, 0.21777324714870053,
  0.21520215107537868, 0.21265086199297828, 0.21011915938898826, 0.20760682772422204,
  0.2051136562938377, 0.20263943909370902, 0.20018397469191127, 0.19774706610509887,
  0.19532852067956322, 0.19292814997677135, 0.1905457696631954, 0.18818119940425432,
  0.1858342627621971, 0.18350478709776746, 0.1811926034754963, 0.1788975465724783,
  0.17661945459049488, 0.1743581691713535, 0.17211353531532006, 0.16988540130252766,
  0.1676736186172502, 0.165478041874936, 0.16329852875190182, 0.16113493991759203,
  0.1589871389693142, 0.15685499236936523, 0.15473836938446808, 0.15263714202744286,
  0.1505511850010399, 0.1484803756438668, 0.14642459387834494, 0.14438372216063478,
  0.1423576454324722, 0.14034625107486245, 0.1383494288635802, 0.13636707092642886,
  0.13439907170221363, 0.13244532790138752, 0.13050573846833077, 0.12858020454522817,
  0.12666862943751067, 0.12477091858083096, 0.12288697950954514, 0.12101672182667483,
  0.11916005717532768, 0.11731689921155557, 0.11548716357863353, 0.11367076788274431,
  0.1118676316700563, 0.11007767640518538, 0.1083008254510338, 0.10653700405000166,
  0.10478613930657017, 0.10304816017125772, 0.10132299742595363, 0.09961058367063713,
  0.0979108533114922, 0.0962237425504328, 0.09454918937605586, 0.09288713355604354,
  0.09123751663104016, 0.08960028191003286, 0.08797537446727022, 0.08636274114075691,
  0.08476233053236812, 0.08317409300963238, 0.08159798070923742, 0.0800339475423199,
  0.07848194920160642, 0.0769419431704805, 0.07541388873405841, 0.07389774699236475,
  0.07239348087570874, 0.07090105516237183, 0.06942043649872875, 0.0679515934219366,
  0.06649449638533977, 0.06504911778675375, 0.06361543199980733, 0.062193415408540995,
  0.06078304644547963, 0.059384305633420266, 0.05799717563120066, 0.05662164128374288,
  0.05525768967669704, 0.05390531019604609, 0.05256449459307169, 0.05123523705512628,
  0.04991753428270637, 0.0486113855733795, 0.04731679291318155, 0.04603376107617517,
  0.04476229773294328, 0.04350241356888818, 0.042254122413316234, 0.04101744138041482,
  0.039792391023374125, 0.03857899550307486, 0.03737728277295936, 0.03618728478193142,
  0.03500903769739741, 0.03384258215087433, 0.032687963508959535, 0.03154523217289361,
  0.030414443910466604, 0.029295660224637393, 0.028188948763978636, 0.0270943837809558,
  0.026012046645134217, 0.024942026419731783, 0.02388442051155817, 0.02283933540638524,
  0.02180688750428358, 0.020787204072578117, 0.019780424338009743, 0.01878670074469603,
  0.01780620041091136, 0.016839106826039948, 0.015885621839973163, 0.014945968011691148,
  0.014020391403181938, 0.013109164931254991, 0.012212592426255381, 0.011331013597834597,
  0.010464810181029979, 0.00961441364250221, 0.008780314985808975, 0.00796307743801704,
  0.007163353183634984, 0.006381905937319179, 0.005619642207205483, 0.004877655983542392,
  0.004157295120833795, 0.003460264777836904, 0.002788798793574076, 0.0021459677437189063,
  0.0015362997803015724, 0.0009672692823271745, 0.00045413435384149677,
]);

// ---------------------------------------------------------------------------------------
// The tables of glibc's log, pow and exp (sysdeps/ieee754/dbl-64/e_log_data.c,
// e_pow_log_data.c, e_exp_data.c; glibc 2.36), the same doubles. tests/test_js_random.py
// finds them byte for byte in the C library's binary.

const LN2HI = 0.6931471805598903; // 0x1.62e42fefa3800p-1, log's and pow's ln2hi
const LN2LO = 5.497923018708371e-14; // 0x1.ef35793c76730p-45, log's and pow's ln2lo
const EXP_INVLN2N = 184.6649652337873; // 0x1.71547652b82fep+7 = 128 / ln2
const EXP_NEGLN2HIN = -0.005415212348111709; // -0x1.62e42fefa0000p-8
const EXP_NEGLN2LON = -1.2864023111638346e-14; // -0x1.cf79abc9e3b3ap-47
const EXP_SHIFT = 6755399441055744.0; // 0x1.8p52

// log: poly (A[0..4]) for log1p(r) - r near the table's c.
const LOG_POLY = new Float64Array([
  -0.5000000000000001, 0.33333333331825593, -0.2499999999622955, 0.20000304511814496,
  -0.16667054827627667,
]);

// log: poly1 (B[0..10]) for log(x) with x near 1.
const LOG_POLY1 = new Float64Array([
  -0.5, 0.3333333333333352, -0.24999999999998432, 0.19999999999320328, -0.16666666669929706,
  0.14285715076560868, -0.12499997863982555, 0.11110712032936046, -0.10000486757818193,
  0.09181994006195467, -0.08328363062289341,
]);

// log: tab, {invc, logc} for each of 128 subintervals.
const LOG_TAB = new Float64Array([
  1.4504249240398293, -0.3718565645633589, 1.442253508327276, -0.36620682668944937,
  1.4341736174350004, -0.3605888069791945, 1.426183816329995, -0.3550022171419869,
  1.4182825527052965, -0.34944666968829097, 1.4104682921759335, -0.3439217713603284,
  1.4027396147468003, -0.3384271921261188, 1.3950954438932313, -0.332962831494342,
  1.3875338232485754, -0.32752794345742586, 1.3800539211058593, -0.32212257167088865,
  1.3726542695419708, -0.3167462884799761, 1.3653332798446802, -0.3113985598928366,
  1.358090204587874, -0.3060794515165526, 1.3509234892132138, -0.300788424667644,
  1.3438320840699889, -0.2955252968476998, 1.3368146974742003, -0.29028969275850613,
  1.329870114677736, -0.2850812793277555, 1.322997339161106, -0.27989987391470095,
  1.316195352741367, -0.27474526621870154, 1.3094628125672239, -0.2696169863701243,
  1.3027990455471041, -0.26451506180308115, 1.2962024229438942, -0.2594387762767383,
  1.2896726275815547, -0.2543884090981692, 1.2832080305745537, -0.24936321635129843,
  1.276807885983376, -0.24436312405975968, 1.2704714060687552, -0.23938801747897287,
  1.2641976054949482, -0.23443761696705678, 1.257985357514882, -0.22951151871518505,
  1.2518337750655457, -0.2246094963439873, 1.2457421919097305, -0.21973149037705753,
  1.2397094966625508, -0.2148770752847895, 1.2337348463589233, -0.210046029103637,
  1.2278176973028803, -0.20523836373934046, 1.2219570190618474, -0.20045368751368642,
  1.2161519732977757, -0.1956917537758045, 1.2104018095009725, -0.19095237845203883,
  1.204705805718973, -0.18623539250290833, 1.1990631185441964, -0.18154051731551135,
  1.1934733004462308, -0.1768677957431919, 1.1879350812847385, -0.17221657406412305,
  1.1824481322833125, -0.16758697765942543, 1.1770114976921955, -0.16297859687290384,
  1.1716248121809465, -0.15839151377804228, 1.1662869231674715, -0.15382513241456763,
  1.1609977486762766, -0.14927976358922024, 1.1557563220795803, -0.14475495398119165,
  1.1505619105480347, -0.14025044090817573, 1.1454138888505974, -0.1357660466685502,
  1.140311877374656, -0.1313018016355727, 1.1352550225747513, -0.12685731518763532,
  1.1302429094831266, -0.1224325737671279, 1.1252747693068048, -0.11802724521862729,
  1.1203501571039876, -0.11364127671663482, 1.1154683327680124, -0.10927434611278386,
  1.1106291463292157, -0.10492665324943573, 1.1058315813301596, -0.10059761422644442,
  1.1010752177696026, -0.09628717309055901, 1.0963597137952512, -0.09199534069557558,
  1.0916844827550398, -0.08772190036688698, 1.0870487291277784, -0.08346643613867855,
  1.082452357388312, -0.07922916827544668, 1.0778948225025884, -0.0750099004750382,
  1.0733751731601076, -0.07080805133352897, 1.068893585073351, -0.06662408085151128,
  1.0644491706655506, -0.06245745471915143, 1.0600414846328305, -0.0583080438042316,
  1.0556701316181605, -0.05417576112313327, 1.051334750556926, -0.050060547896805474,
  1.0470347288442157, -0.045962101199052086, 1.0427699229652954, -0.04188056008865715,
  1.0385395013738175, -0.03781540056183985, 1.034343418940345, -0.03376684757915882,
  1.0301811073173315, -0.029734619131772888, 1.026052043621297, -0.025718470239212365,
  1.0219561082336197, -0.021718543925430822, 1.0178926505784922, -0.01773446126981071,
  1.0138614436244586, -0.013766252464051831, 1.0098620186501341, -0.009813706322574944,
  1.0058938559734134, -0.005876555150052809, 1.00195696235014, -0.0019550499938532084,
  0.9961089923088509, 0.0038985973556009412, 0.9884170338185201, 0.011650571286395461,
  0.9808429191005297, 0.019342955478919066, 0.9733840169987446, 0.0269766014846482,
  0.9660377568876556, 0.034552359728422744, 0.9588014945307369, 0.04207121767183253,
  0.9516728569073111, 0.049533940950141186, 0.9446494635965822, 0.056941358295944156,
  0.9377288993026223, 0.06429439168346107, 0.9309091073790681, 0.0715936354946507,
  0.924187681612722, 0.07884010933776153, 0.9175626765599192, 0.08603438905970506,
  0.9110320403624034, 0.09317721180013905, 0.9045935839762024, 0.10026951462748457,
  0.8982456375922825, 0.10731170956330516, 0.8919860966782501, 0.11430473320717738,
  0.8858131121185129, 0.12124928503033061, 0.879725075760676, 0.12814583422959913,
  0.8737201372634685, 0.1349951636851756, 0.8677966405782273, 0.1417978768189414,
  0.8619528050060739, 0.14855476039031146, 0.8561872354420692, 0.1552661937658968,
  0.8504983927816893, 0.16193275688146969, 0.8448844572790304, 0.16855539792220497,
  0.8393442741575965, 0.1751343179947753, 0.8338762249349438, 0.1816702989864325,
  0.8284789320557778, 0.18816387146023317, 0.8231510800065832, 0.1946155228479256,
  0.8178913903778707, 0.20102572579389744, 0.8126984007245374, 0.2073952090795501,
  0.8075710029460227, 0.21372429840596396, 0.8025078881160415, 0.2200135945981856,
  0.7975077379364331, 0.22626374162859975, 0.792569604966373, 0.23247494747693054,
  0.7876923641254114, 0.23864766620658884, 0.7828746724940998, 0.24478265647405806,
  0.7781155388790811, 0.25088025827324145, 0.7734139557869777, 0.2569408552510595,
  0.7687687179914933, 0.26296511155101143, 0.7641790698041854, 0.2689531327189343,
  0.7596438763692399, 0.27490553924610595, 0.7551621951078668, 0.2808227248478943,
  0.7507331780216866, 0.286704979267256, 0.7463557196361751, 0.29255295645509705,
  0.7420289364869653, 0.2983670386142876, 0.7377521537065876, 0.30414734587282055,
  0.7335242966002608, 0.30989455774829366, 0.729344777457841, 0.31560871301871884,
]);

// pow: poly (A[0..6]), already scaled as pow's log_inline uses it.
const POW_POLY = new Float64Array([
  -0.5, -0.6666666666666679, 0.5000000000000007, 0.7999999995323976, -0.6666666663487739,
  -1.142909628459501, 1.0000415263675542,
]);

// pow: tab, {invc, logc, logctail} (C's unused pad left out).
const POW_TAB = new Float64Array([
  1.4140625, -0.3464667673462145, 5.929407345889625e-15, 1.40625, -0.34092658697056777,
  -2.544157440035963e-14, 1.3984375, -0.3353555419211034, -3.443525940775045e-14, 1.390625,
  -0.3297532863724655, -2.500123826022799e-15, 1.3828125, -0.32411946865420305,
  -8.929337133850617e-15, 1.375, -0.31845373111855224, 1.7625431312172662e-14, 1.3671875,
  -0.31275571000389846, 1.5688303180062087e-15, 1.359375, -0.3070250352949415,
  2.9655274673691784e-14, 1.3515625, -0.3012613305781997, 3.7923164802093147e-14, 1.34375,
  -0.2954642128938758, 3.993416384387844e-14, 1.3359375, -0.28963329258306203,
  1.9352855826489123e-14, 1.3359375, -0.28963329258306203, 1.9352855826489123e-14, 1.328125,
  -0.28376817313062475, -1.9852665484979036e-14, 1.3203125, -0.27786845100342816,
  -2.814323765595281e-14, 1.3125, -0.2719337154836694, 2.7643769993528702e-14, 1.3046875,
  -0.2659635484970977, -4.025092402293806e-14, 1.296875, -0.25995752443691345,
  -1.2621729398885316e-14, 1.2890625, -0.25391520998095984, -3.600176732637335e-15, 1.2890625,
  -0.25391520998095984, -3.600176732637335e-15, 1.28125, -0.2478361639045943,
  1.3029797173308663e-14, 1.2734375, -0.2417199368871934, 4.8230289429940886e-14, 1.265625,
  -0.23556607131274632, -2.0592242769647135e-14, 1.2578125, -0.22937410106487732,
  3.149265065191484e-14, 1.25, -0.22314355131425145, 4.169796584527195e-14, 1.25,
  -0.22314355131425145, 4.169796584527195e-14, 1.2421875, -0.21687393830063684,
  2.2477465222466186e-14, 1.234375, -0.21056476910735, 3.6507188831790577e-16, 1.2265625,
  -0.2042155414286526, -3.827767260205414e-14, 1.2265625, -0.2042155414286526,
  -3.827767260205414e-14, 1.21875, -0.19782574332987224, -4.7641388950792196e-14, 1.2109375,
  -0.19139485299967873, 4.9278276214647115e-14, 1.203125, -0.18492233849406148,
  4.9485167661250996e-14, 1.203125, -0.18492233849406148, 4.9485167661250996e-14, 1.1953125,
  -0.1784076574728033, -1.5003333854266542e-14, 1.1875, -0.17185025692663203,
  -2.7194441649495324e-14, 1.1875, -0.17185025692663203, -2.7194441649495324e-14, 1.1796875,
  -0.1652495728952772, -2.99659267292569e-14, 1.171875, -0.15860503017665906,
  2.0472357800461955e-14, 1.171875, -0.15860503017665906, 2.0472357800461955e-14, 1.1640625,
  -0.15191604202584585, 3.879296723063646e-15, 1.15625, -0.1451820098444614,
  -3.6506824353335045e-14, 1.1484375, -0.13840232285906495, -5.4183331379008994e-14, 1.1484375,
  -0.13840232285906495, -5.4183331379008994e-14, 1.140625, -0.131576357788731,
  1.1729485484531301e-14, 1.140625, -0.131576357788731, 1.1729485484531301e-14, 1.1328125,
  -0.12470347850091912, -3.811763084710266e-14, 1.125, -0.11778303565643, 4.654729747598445e-14,
  1.125, -0.11778303565643, 4.654729747598445e-14, 1.1171875, -0.11081436634026431,
  -2.5799991283069902e-14, 1.109375, -0.10379679368168127, 3.7700471749674615e-14, 1.109375,
  -0.10379679368168127, 3.7700471749674615e-14, 1.1015625, -0.09672962645856842,
  1.7306161136093256e-14, 1.1015625, -0.09672962645856842, 1.7306161136093256e-14, 1.09375,
  -0.089612158689647, -4.012913552726574e-14, 1.0859375, -0.08244366921110213,
  2.7541708360737882e-14, 1.0859375, -0.08244366921110213, 2.7541708360737882e-14, 1.078125,
  -0.07522342123763792, 5.0396178134370583e-14, 1.078125, -0.07522342123763792,
  5.0396178134370583e-14, 1.0703125, -0.06795066190852594, 1.8195060030168815e-14, 1.0625,
  -0.06062462181648698, 5.213620639136504e-14, 1.0625, -0.06062462181648698,
  5.213620639136504e-14, 1.0546875, -0.053244514518837605, 2.532168943117445e-14, 1.0546875,
  -0.053244514518837605, 2.532168943117445e-14, 1.046875, -0.045809536031242715,
  -5.148849572685811e-14, 1.046875, -0.045809536031242715, -5.148849572685811e-14, 1.0390625,
  -0.038318864302141264, 4.6652946995830086e-15, 1.0390625, -0.038318864302141264,
  4.6652946995830086e-15, 1.03125, -0.03077165866670839, -4.529814257790929e-14, 1.03125,
  -0.03077165866670839, -4.529814257790929e-14, 1.0234375, -0.023167059281490765,
  -4.361324067851568e-14, 1.015625, -0.015504186535963527, -1.7274567499706107e-15, 1.015625,
  -0.015504186535963527, -1.7274567499706107e-15, 1.0078125, -0.0077821404420319595,
  -2.298941004620351e-14, 1.0078125, -0.0077821404420319595, -2.298941004620351e-14, 1.0, 0.0,
  0.0, 1.0, 0.0, 0.0, 0.9921875, 0.007843177461040796, -1.4902732911301337e-14, 0.984375,
  0.01574835696817445, -3.527980389655325e-14, 0.9765625, 0.023716526617363343,
  -4.730054772033249e-14, 0.96875, 0.03174869831457272, 7.580310369375161e-15, 0.9609375,
  0.039845908547249564, -4.9893776716773285e-14, 0.953125, 0.048009219186383234,
  -2.262629393030674e-14, 0.9453125, 0.056239718322899535, -2.345674491018699e-14, 0.94140625,
  0.06038051098892083, -1.3352588834854848e-14, 0.93359375, 0.06871389254808946,
  -3.765296820388875e-14, 0.92578125, 0.07711730334438016, 5.1128335719851986e-14, 0.91796875,
  0.08559193033545398, -5.046674438470119e-14, 0.9140625, 0.08985632912185793,
  3.1218748807418837e-15, 0.90625, 0.09844007281321865, 3.3871241029241416e-14, 0.8984375,
  0.10709813555638448, -1.7376727386423858e-14, 0.89453125, 0.11145544092528326,
  3.957125899799804e-14, 0.88671875, 0.12022742699821265, -5.2849453521890294e-14, 0.8828125,
  0.12464244520731427, -3.767012502308738e-14, 0.875, 0.13353139262449076,
  3.1859736349078334e-14, 0.87109375, 0.13800567301939282, 5.0900642926060466e-14, 0.86328125,
  0.14701474296180095, 8.710783796122478e-15, 0.859375, 0.15154989812720032,
  6.157896229122976e-16, 0.8515625, 0.16068238169043525, 3.821577743916796e-14, 0.84765625,
  0.16528009093906348, 3.9440046718453496e-14, 0.83984375, 0.17453941635187675,
  2.2924522154618074e-14, 0.8359375, 0.17920142945774842, -3.742530094732263e-14, 0.83203125,
  0.18388527877016259, -2.5223102140407338e-14, 0.82421875, 0.1933193110035063,
  -1.0320443688698849e-14, 0.8203125, 0.19806991376208316, 1.0634128304268335e-14, 0.8125,
  0.20763936477828793, -4.3425422595242564e-14, 0.80859375, 0.21245865121420593,
  -1.2527395755711364e-14, 0.8046875, 0.21730127569003344, -5.204008743405884e-14, 0.80078125,
  0.22216746534115828, -3.979844515951702e-15, 0.79296875, 0.2319714654378231,
  -4.7955860343296286e-14, 0.7890625, 0.2369097470783572, 5.015686013791602e-16, 0.78515625,
  0.24187253642048745, -7.252318953240293e-16, 0.78125, 0.2468600779315011,
  2.4688324156011588e-14, 0.7734375, 0.2569104137850218, 5.465121253624792e-15, 0.76953125,
  0.26197371574153294, 4.102651071698446e-14, 0.765625, 0.2670627852490952,
  -4.996736502345936e-14, 0.76171875, 0.27217788591576664, 4.903580708156347e-14, 0.7578125,
  0.27731928541618345, 5.089628039500759e-14, 0.75390625, 0.28248725557466514,
  1.1782016386565151e-14, 0.74609375, 0.29290401643288533, 4.727452940514406e-14, 0.7421875,
  0.29815337231912054, -4.4204083338755686e-14, 0.73828125, 0.3034304294199046,
  1.548345993498083e-14, 0.734375, 0.30873548164959175, 2.1522127491642888e-14, 0.73046875,
  0.3140688276249648, 1.1054030169005386e-14, 0.7265625, 0.31943077076641657,
  -5.534326352070679e-14, 0.72265625, 0.3248216194012912, -5.351646604259541e-14, 0.71875,
  0.33024168687052224, 5.4612144489920215e-14, 0.71484375, 0.3356912916381134,
  2.8136969901227338e-14, 0.7109375, 0.3411707574027787, -1.156568624616423e-14,
]);

// exp: poly (C2..C5).
const EXP_POLY = new Float64Array([
  0.49999999999996786, 0.16666666666665886, 0.0416666808410674, 0.008333335853059549,
]);

// exp: tab as {T[k], H[k]}, 2**(k/128) ~= H[k] * (1 + T[k]); C keeps H[k]'s bits minus k << 45.
const EXP_TAB = new Float64Array([
  0.0, 1.0, 9.447885451727066e-17, 1.0054299011128027, -1.507066976926039e-17,
  1.0108892860517005, -5.679155082825012e-17, 1.016378314910953, 4.9997448722726326e-17,
  1.0218971486541166, -4.823683599994895e-17, 1.0274459491187637, 7.357846871247418e-18,
  1.0330248790212284, 5.773230223741951e-17, 1.0386341019613787, 8.189317638195515e-17,
  1.0442737824274138, 5.326891139980878e-17, 1.0499440858006872, 1.6665881442326747e-18,
  1.0556451783605572, -1.128113245461828e-17, 1.061377227289262, -7.402825309426177e-17,
  1.0671404006768237, -3.578659767309563e-18, 1.0729348675259756, -6.170654745608695e-17,
  1.0787607977571199, 2.919139999949279e-17, 1.0846183622133092, -2.7939114859515733e-17,
  1.0905077326652577, -5.399285355184285e-17, 1.0964290818163769, 4.776959425256223e-17,
  1.102382583307841, -7.927701432338473e-17, 1.1083684117236787, 9.341710609905046e-17,
  1.1143867425958924, -5.534520675707472e-17, 1.1204377524096067, 4.585670326662351e-17,
  1.1265216186082418, 2.8582430411116143e-17, 1.1326385195987192, 7.826573258636076e-17,
  1.1387886347566916, 4.053626906769216e-17, 1.1449721444318042, 2.823784425951061e-17,
  1.1511892299529827, -7.882802262487991e-17, 1.1574400736337511, 3.2904726646008416e-17,
  1.1637248587775775, -1.5792094703347882e-18, 1.1700437696832502, 4.721368121170128e-17,
  1.1763969916502812, 1.3045277096919659e-17, 1.182784710984341, 3.3484623336251524e-17,
  1.189207115002721, 3.8611199774925664e-17, 1.1956643920398273, 5.527550048505249e-17,
  1.202156731452703, -3.927184172445234e-17, 1.2086843236265816, -6.346552106729483e-17,
  1.215247359980469, -8.684417614865944e-17, 1.2218460329727576, -1.5456342819397733e-17,
  1.22848053610687, -8.70763476495455e-17, 1.2351510639369334, 3.750854201303127e-17,
  1.241857812073484, -6.616854503526488e-17, 1.2486009771892048, -5.346099009198751e-18,
  1.255380757024691, -2.443726321015018e-17, 1.2621973503942507, 2.1023049675215714e-18,
  1.2690509571917332, 7.771067937501065e-17, 1.275941778396392, 1.3357510088834541e-17,
  1.2828700160787783, 6.938291696959204e-17, 1.2898358734066657, 1.9572585293112036e-17,
  1.2968395546510096, 6.632256961675804e-17, 1.3038812651919358, -5.478069123926778e-17,
  1.3109612115247644, -4.140839310392624e-17, 1.318079601266064, -2.1571477251208752e-17,
  1.3252366431597413, -3.8287766552120535e-17, 1.3324325470831615, 6.663804589232195e-17,
  1.339667524053303, 2.3936187400285282e-17, 1.3469417862329458, 5.68648095791174e-17,
  1.3542555469368927, 1.1264523354521684e-18, 1.3616090206382248, 7.007875046906994e-17,
  1.3690024229745905, -5.0119214278381254e-17, 1.3764359707545302, -4.8923067513522756e-17,
  1.383909881963832, -3.5260089953269434e-17, 1.3914243757719262, -6.872303720902018e-17,
  1.3989796725383112, 5.001446664133532e-18, 1.4065759938190154, -6.835808657661922e-17,
  1.4142135623730951, -1.1307344092910212e-17, 1.4218926021691656, -8.416011634717156e-18,
  1.42961333839197, -2.9247977035436566e-17, 1.4373759974489824, -2.092304381843353e-17,
  1.4451808069770467, -3.9778645875427124e-17, 1.4530279958490526, -3.833464968654295e-17,
  1.460917794180647, 5.763611164480894e-17, 1.4688504333369818, -2.3591094770850053e-17,
  1.4768261459394993, 7.260074661098575e-17, 1.4848451658727524, 9.50689710108796e-18,
  1.4929077282912648, -4.272956133839906e-17, 1.5010140696264256, -6.735219232374683e-17,
  1.5091644275934228, -2.8396044410430936e-17, 1.5173590411982147, -7.226635472101257e-17,
  1.5255981507445384, 5.786121003395918e-17, 1.533881997840956, 5.1548301170786783e-17,
  1.5422108254079407, -9.416257568878152e-18, 1.550584877685, 2.4253985766689806e-17,
  1.559004400237837, -6.604314051707707e-17, 1.567469639965553, -6.432131775424189e-18,
  1.5759808451078865, -1.2204007601863921e-17, 1.5845382652524937, -6.336161863401293e-17,
  1.593142151342267, -3.7800879246373815e-17, 1.6017927556826934, 1.5341410053603723e-17,
  1.6104903319492543, 1.2932855580427452e-17, 1.6192351351948637, -4.123367330661149e-17,
  1.6280274218573478, 4.703083974463456e-17, 1.6368674497669644, -6.152602891550265e-17,
  1.645755478153965, 5.827849326195279e-17, 1.6546917676561943, 3.540948262646183e-17,
  1.6636765803267364, -3.2741571320938764e-17, 1.6727101796415966, 4.875160526227062e-17,
  1.681792830507429, -5.718569790077838e-17, 1.6909247992693053, -4.719539664590972e-18,
  1.7001063537185235, -5.773451958805706e-17, 1.709337763100463, -1.0772487078934056e-17,
  1.718619298122478, -6.221808618533911e-17, 1.7279512309618377, 1.821405440362259e-17,
  1.7373338352737062, -6.155536546227639e-17, 1.746767386199169, 1.685487290628973e-17,
  1.7562521603732995, 5.3581249177694816e-17, 1.7657884359332727, 3.621615935336894e-17,
  1.7753764925265212, 8.588379527574144e-18, 1.785016611318935, 1.01562190116415e-17,
  1.7947090750031072, -2.869134889187244e-17, 1.804454167806624, -5.495118966122005e-17,
  1.8142521755003989, -5.56965572431627e-17, 1.8241033854070534, 1.790126907604513e-17,
  1.8340080864093424, -3.2211766346200164e-17, 1.843966568958626, 5.265370768556274e-17,
  1.8539791250833855, 3.5089866402403033e-17, 1.864046048397789, -3.266924100901318e-17,
  1.8741676341103, -4.3657593008079375e-17, 1.8843441790323345, 1.7963932659833022e-17,
  1.8945759815869656, 3.4300925275214166e-17, 1.9048633418176741, -5.545065618639427e-17,
  1.9152065613971474, -5.149009745457733e-17, 1.925605943636125, 5.336805878514151e-17,
  1.9360617934922943, 3.498978661192973e-17, 1.9465744175792332, 4.5784915277060095e-17,
  1.9571441241754002, -5.241934575393899e-17, 1.9677712232331759, 2.0414278897578303e-17,
  1.978456026387951, 4.124842848606488e-18, 1.9891988469672663,
]);

/** For tests/test_js_random.py only; not part of the API. */
export const _internals = {
  KI, WI, FI, KE, WE, FE, log1p, fma, plainMulAdd, log, pow,
  LN2HI, LN2LO, LOG_POLY, LOG_POLY1, LOG_TAB, POW_POLY, POW_TAB,
  EXP_INVLN2N, EXP_NEGLN2HIN, EXP_NEGLN2LON, EXP_SHIFT, EXP_POLY, EXP_TAB,
};
