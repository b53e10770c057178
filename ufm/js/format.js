/*
 * Python's number formatting, so that a summary line written here is equal, as text, to
 * the one the Python explorer prints.
 *
 *   pyFormat(x, spec)  format(x, spec) for a float (a JS number) or an int (a BigInt, or
 *                      a number with the "d" type), as Python 3.11 prints it. Specs:
 *                      [[fill]align][sign][z][#][0][width][,|_][.precision][type] with
 *                      type e E f F g G % d or none ("" is str(x); ".3" is Python's
 *                      format(x, ".3")). The explorers use "g", ".Ng", ".Nf", ".Ne".
 *   pyRepr(x)          repr(float) = str(float): the shortest string that reads back as x
 *                      ('0.1', '1e-05', '1e+16', '-0.0', 'inf', 'nan').
 *   pyInt(n)           str(int) of an integer number or a BigInt ('3', '100000000000000000000').
 *   pyStr(x)           str(x): BigInt -> pyInt, number -> pyRepr, string -> itself.
 *   numpyStr(values)   str(np.array(values)) of a 1-D float array, with numpy's default
 *                      print options (e.g. '[0.25 0.5 ]', '[1.e-05 5.e-01]').
 *
 * Rounding is Python's: half to even on the exact binary value (format(0.125, ".2f") is
 * '0.12', format(0.375, ".2f") is '0.38'). JavaScript's toFixed, toPrecision and
 * toExponential round exact ties away from zero, so the digits are computed here from the
 * exact decimal expansion of the double (a BigInt), never with those methods.
 */

const POW5 = [1n];

function pow5(k) {
  while (POW5.length <= k) POW5.push(POW5[POW5.length - 1] * 5n);
  return POW5[k];
}

const VIEW = new DataView(new ArrayBuffer(8));

// The exact decimal value of a finite, positive double: {digits, exp} with
// x = digits[0].digits[1..] * 10**exp (digits has no leading zero; may end in zeros).
function exactDecimal(x) {
  VIEW.setFloat64(0, x);
  const hi = VIEW.getUint32(0);
  const lo = VIEW.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let shift;
  if (biased === 0) {
    shift = -1074;
  } else {
    mantissa |= 1n << 52n;
    shift = biased - 1075;
  }
  let digits;
  let places = 0; // digits after the decimal point
  if (shift >= 0) {
    digits = (mantissa << BigInt(shift)).toString();
  } else {
    // drop factors of two first: m / 2^k with m even shortens the expansion
    let k = -shift;
    while (k > 0 && (mantissa & 1n) === 0n) {
      mantissa >>= 1n;
      k -= 1;
    }
    digits = (mantissa * pow5(k)).toString();
    places = k;
  }
  return { digits, exp: digits.length - 1 - places };
}

// Round the decimal digit string at `keep` digits (keep >= 0), half to even on the exact
// value. Returns {digits, carry}: digits has length keep (keep + 1 digits "1000…" if the
// rounding carried into a new leading digit, then carry is true).
function roundDigits(digits, keep) {
  if (digits.length <= keep) return { digits: digits.padEnd(keep, "0"), carry: false };
  const head = digits.slice(0, keep);
  const next = digits.charCodeAt(keep) - 48;
  let up;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else {
    let beyond = false;
    for (let i = keep + 1; i < digits.length; i++) {
      if (digits.charCodeAt(i) !== 48) {
        beyond = true;
        break;
      }
    }
    const last = keep > 0 ? head.charCodeAt(keep - 1) - 48 : 0;
    up = beyond || last % 2 === 1;
  }
  if (!up) return { digits: head, carry: false };
  if (keep === 0) return { digits: "1", carry: true };
  // increment the decimal string
  const chars = head.split("");
  let i = keep - 1;
  while (i >= 0 && chars[i] === "9") {
    chars[i] = "0";
    i -= 1;
  }
  if (i < 0) return { digits: "1" + chars.join(""), carry: true };
  chars[i] = String.fromCharCode(chars[i].charCodeAt(0) + 1);
  return { digits: chars.join(""), carry: false };
}

// x (finite, >= 0) rounded to `sig` significant digits: {digits (length sig), exp}.
function significant(x, sig) {
  if (x === 0) return { digits: "0".repeat(sig), exp: 0 };
  const { digits, exp } = exactDecimal(x);
  const rounded = roundDigits(digits, sig);
  if (rounded.carry) return { digits: rounded.digits.slice(0, sig), exp: exp + 1 };
  return { digits: rounded.digits, exp };
}

// x (finite, >= 0) with `places` digits after the point: "123.45" (no point if places 0).
function fixed(x, places) {
  let intPart;
  let fracPart;
  if (x === 0) {
    intPart = "0";
    fracPart = "0".repeat(places);
  } else {
    const { digits, exp } = exactDecimal(x);
    const keep = exp + 1 + places; // digits of the result, counted from the leading one
    let all;
    let lead = exp; // exponent of all[0]
    if (keep < 0) {
      all = "";
    } else {
      const rounded = roundDigits(digits, keep);
      all = rounded.digits;
      if (rounded.carry) lead += 1;
    }
    // all[i] has weight 10**(lead - i); we want the weights from max(lead, 0) down to -places
    const top = Math.max(lead, 0);
    let text = "";
    for (let w = top; w >= -places; w--) {
      const i = lead - w;
      text += i >= 0 && i < all.length ? all[i] : "0";
    }
    intPart = text.slice(0, top + 1);
    fracPart = text.slice(top + 1);
  }
  return places > 0 ? `${intPart}.${fracPart}` : intPart;
}

function exponentText(exp) {
  const sign = exp < 0 ? "-" : "+";
  return sign + String(Math.abs(exp)).padStart(2, "0");
}

// Scientific notation with `places` digits after the point: "1.25e-05".
function scientific(x, places, alternate) {
  const { digits, exp } = significant(x, places + 1);
  const mantissa = places > 0 || alternate ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${mantissa}e${exponentText(exp)}`;
}

function stripZeros(text) {
  // trailing zeros of the fraction, and the point if nothing is left after it
  if (!text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

// 'g' with precision p (>= 1) of x (finite, >= 0).
function general(x, p, alternate) {
  const { exp } = x === 0 ? { exp: 0 } : significant(x, p);
  let text;
  if (exp >= -4 && exp < p) text = fixed(x, p - 1 - exp);
  else text = scientific(x, p - 1, true);
  if (alternate) {
    if (!text.includes(".")) {
      const e = text.indexOf("e");
      text = e < 0 ? text + "." : `${text.slice(0, e)}.${text.slice(e)}`;
    }
    return text;
  }
  const e = text.indexOf("e");
  if (e < 0) return stripZeros(text);
  return stripZeros(text.slice(0, e)) + text.slice(e);
}

// The shortest digits that read back as x (finite, > 0): {digits, exp}, from
// Number.prototype.toString (shortest, and the closest of the shortest, as Python's repr).
function shortest(x) {
  const text = String(x);
  let mantissa = text;
  let exp = 0;
  const e = text.indexOf("e");
  if (e >= 0) {
    mantissa = text.slice(0, e);
    exp = Number(text.slice(e + 1));
  }
  const point = mantissa.indexOf(".");
  const intPart = point < 0 ? mantissa : mantissa.slice(0, point);
  const fracPart = point < 0 ? "" : mantissa.slice(point + 1);
  let all = intPart + fracPart;
  // value = all * 10**(exp - fracPart.length)
  const lead = all.search(/[1-9]/);
  const weight = exp + intPart.length - 1; // exponent of all[0]
  all = all.slice(lead).replace(/0+$/, "");
  return { digits: all, exp: weight - lead };
}

// repr-style text of |x| from its shortest digits, fixed between 1e-4 and 1e16.
function reprAbs(x) {
  if (x === 0) return "0.0";
  const { digits, exp } = shortest(x);
  if (exp < -4 || exp >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${mantissa}e${exponentText(exp)}`;
  }
  if (exp < 0) return `0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${digits.padEnd(exp + 1, "0")}.0`;
  return `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

// format(x, ".P") (no type, with a precision): 'g' with P digits, but scientific from
// exponent P - 1 on, and at least one digit after the point in fixed notation (Python's
// Py_DTSF_ADD_DOT_0).
function noTypePrecision(x, p, alternate) {
  const { digits, exp } = significant(x, p);
  const trimmed = digits.replace(/0+$/, "") || "0";
  if (exp < -4 || exp >= p - 1) {
    const mantissa =
      trimmed.length > 1 || alternate ? `${trimmed[0]}.${trimmed.slice(1)}` : trimmed;
    return `${mantissa}e${exponentText(exp)}`;
  }
  if (exp < 0) return `0.${"0".repeat(-exp - 1)}${trimmed}`;
  if (trimmed.length <= exp + 1) return `${trimmed.padEnd(exp + 1, "0")}.0`;
  return `${trimmed.slice(0, exp + 1)}.${trimmed.slice(exp + 1)}`;
}

/** repr(float) (= str(float)) of a JS number. */
export function pyRepr(x) {
  if (typeof x === "bigint") return x.toString();
  x = Number(x);
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const negative = x < 0 || Object.is(x, -0);
  return (negative ? "-" : "") + reprAbs(Math.abs(x));
}

/** str(int) of an integer (a number with an integer value, or a BigInt). */
export function pyInt(n) {
  if (typeof n === "bigint") return n.toString();
  if (!Number.isInteger(n)) throw new TypeError(`pyInt needs an integer; got ${n}`);
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

/** str(x): a BigInt as an int, a number as a float, a string as itself. */
export function pyStr(x) {
  if (typeof x === "string") return x;
  if (typeof x === "bigint") return x.toString();
  if (typeof x === "boolean") return x ? "True" : "False";
  if (x === null || x === undefined) return "None";
  return pyRepr(x);
}

const SPEC = /^(?:(.)?([<>=^]))?([+\- ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([eEfFgGd%n]?)$/su;

function group(intText, separator) {
  let out = "";
  for (let i = 0; i < intText.length; i++) {
    if (i > 0 && (intText.length - i) % 3 === 0) out += separator;
    out += intText[i];
  }
  return out;
}

/**
 * format(x, spec) as Python 3.11 prints it: x a number (a float; an int with type "d"), or
 * a BigInt (an int).
 */
export function pyFormat(x, spec = "") {
  const match = SPEC.exec(spec);
  if (!match) throw new Error(`Invalid format specifier '${spec}'`);
  let [, fill, align, sign, z, alternate, zero, width, grouping, precision, type] = match;
  sign = sign || "-";
  alternate = Boolean(alternate);
  width = width === undefined ? 0 : Number(width);
  precision = precision === undefined ? null : Number(precision);
  if (zero && !align) {
    fill = "0";
    align = "=";
  }
  fill = fill || " ";
  align = align || ">";

  let negative;
  let body;
  if (type === "n" && typeof x !== "bigint") type = "g"; // without a locale, 'n' is 'g'
  if (typeof x === "bigint" || type === "d" || type === "n") {
    if (typeof x === "number" && !Number.isInteger(x)) {
      throw new Error(`Unknown format code '${type}' for object of type 'float'`);
    }
    if (typeof x === "bigint" && (type === "" || type === "d" || type === "n")) {
      if (precision !== null) throw new Error("Precision not allowed in integer format specifier");
      negative = x < 0n;
      body = (negative ? -x : x).toString();
    } else if (typeof x === "number" && type === "d") {
      if (precision !== null) throw new Error("Precision not allowed in integer format specifier");
      negative = x < 0;
      body = pyInt(Math.abs(x));
    } else {
      x = Number(x); // an int with a float presentation type
    }
  }
  if (body === undefined) {
    x = Number(x);
    negative = x < 0 || Object.is(x, -0);
    // '%' formats 100 x (a float product, as Python computes it) with 'f'
    const a = type === "%" ? Math.abs(x) * 100 : Math.abs(x);
    const upper = type === "E" || type === "F" || type === "G";
    if (!Number.isFinite(a)) {
      body = Number.isNaN(a) ? "nan" : "inf";
      if (type === "%") body += "%";
      if (upper) body = body.toUpperCase();
    } else {
      switch (type) {
        case "f":
        case "F":
          body = fixed(a, precision === null ? 6 : precision);
          if (alternate && !body.includes(".")) body += ".";
          break;
        case "e":
        case "E":
          body = scientific(a, precision === null ? 6 : precision, alternate);
          break;
        case "g":
        case "G":
          body = general(a, precision === null ? 6 : Math.max(precision, 1), alternate);
          break;
        case "%":
          body = `${fixed(a, precision === null ? 6 : precision)}%`;
          if (alternate && !body.slice(0, -1).includes(".")) body = `${body.slice(0, -1)}.%`;
          break;
        default:
          body =
            precision === null
              ? reprAbs(a)
              : noTypePrecision(a, Math.max(precision, 1), alternate);
      }
      if (upper) body = body.toUpperCase();
      if (z && negative && !/[1-9]/.test(body.replace(/e.*$/i, ""))) negative = false;
    }
  }
  if (grouping) {
    const m = /^(\d+)(.*)$/s.exec(body);
    if (m) body = group(m[1], grouping) + m[2];
  }
  let prefix = negative ? "-" : sign === "+" ? "+" : sign === " " ? " " : "";
  const length = prefix.length + [...body].length;
  if (length >= width) return prefix + body;
  const padding = width - length;
  if (align === "<") return prefix + body + fill.repeat(padding);
  if (align === "^") {
    const left = Math.floor(padding / 2);
    return fill.repeat(left) + prefix + body + fill.repeat(padding - left);
  }
  if (align === "=") return prefix + fill.repeat(padding) + body;
  prefix = fill.repeat(padding) + prefix;
  return prefix + body;
}

// ---------------------------------------------------------------------------------------
// numpy: str(np.array([...])) of a 1-D float array with the default print options
// (precision 8, floatmode 'maxprec', suppress False, linewidth 75).

// Dragon4 in unique mode with a cutoff of `precision` digits after the point: the shortest
// digits, or the exact value rounded at the cutoff if the shortest are longer.
function npPositional(x, precision) {
  const a = Math.abs(x);
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  if (a === 0) return [`${sign}0`, ""];
  const { digits, exp } = shortest(a);
  if (digits.length > exp + 1 + precision) {
    const [i, f] = fixed(a, precision).split(".");
    return [sign + i, (f || "").replace(/0+$/, "")];
  }
  if (exp < 0) return [`${sign}0`, "0".repeat(-exp - 1) + digits];
  if (digits.length <= exp + 1) return [sign + digits.padEnd(exp + 1, "0"), ""];
  return [sign + digits.slice(0, exp + 1), digits.slice(exp + 1)];
}

// The same in scientific notation, `precision` digits after the first:
// [sign and first digit, the others, exponent].
function npScientific(x, precision) {
  const a = Math.abs(x);
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  if (a === 0) return [`${sign}0`, "", 0];
  let { digits, exp } = shortest(a);
  if (digits.length > precision + 1) {
    ({ digits, exp } = significant(a, precision + 1));
    digits = digits.replace(/0+$/, "");
  }
  return [sign + digits[0], digits.slice(1), exp];
}

// numpy widens the integer part so that 'nan', 'inf' and '-inf' fit the common width.
function specialPad(xs, padLeft, padRight) {
  if (xs.every(Number.isFinite)) return padLeft;
  const negativeInf = xs.some((x) => x === -Infinity) ? 1 : 0;
  const offset = padRight + 1;
  return Math.max(padLeft, 3 - offset, 3 + negativeInf - offset);
}

/** str(np.array(values)) for a 1-D float64 array, with numpy's default print options. */
export function numpyStr(values) {
  const xs = Array.from(values, Number);
  if (xs.length === 0) return "[]";
  const finite = xs.filter(Number.isFinite);
  const nonzero = finite.map(Math.abs).filter((v) => v !== 0);
  let expFormat = false;
  if (nonzero.length) {
    const max = Math.max(...nonzero);
    const min = Math.min(...nonzero);
    expFormat = max >= 1e8 || min < 0.0001 || max / min > 1000;
  }
  let words;
  if (expFormat) {
    const parts = finite.map((x) => npScientific(x, 8));
    const precision = Math.max(0, ...parts.map((p) => p[1].length));
    const expSize = Math.max(2, ...parts.map((p) => String(Math.abs(p[2])).length));
    const padRight = expSize + 2 + precision;
    const padLeft = specialPad(xs, Math.max(0, ...parts.map((p) => p[0].length)), padRight);
    words = xs.map((x) => {
      if (!Number.isFinite(x)) {
        const text = Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
        return text.padStart(padLeft + padRight + 1);
      }
      const [i, f, e] = npScientific(x, 8);
      const exp = (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(expSize, "0");
      return `${i.padStart(padLeft)}.${f.padEnd(precision, "0")}e${exp}`;
    });
  } else {
    const parts = finite.map((x) => npPositional(x, 8));
    const padRight = Math.max(0, ...parts.map((p) => p[1].length));
    const padLeft = specialPad(xs, Math.max(0, ...parts.map((p) => p[0].length)), padRight);
    words = xs.map((x) => {
      if (!Number.isFinite(x)) {
        const text = Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
        return text.padStart(padLeft + padRight + 1);
      }
      const [i, f] = npPositional(x, 8);
      return `${i.padStart(padLeft)}.${f.padEnd(padRight)}`;
    });
  }
  // numpy's _formatArray for one dimension: words joined by " ", wrapped at 75 columns
  const lineWidth = 75;
  const prefix = " ";
  let text = "";
  let line = "[";
  words.forEach((word, index) => {
    const last = index === words.length - 1;
    const item = last ? word : `${word} `;
    const width = last ? lineWidth - 1 : lineWidth;
    if (line.length + item.length > width && line.length > prefix.length) {
      text += `${line.replace(/\s+$/, "")}\n`;
      line = prefix;
    }
    line += item;
  });
  return `${text + line}]`;
}

/**
 * ufm.widgets._base.bounded: `value` formatted with `spec`, or "below <level>" when it is
 * below `level` (a quantity that is zero but for rounding, whose digits are noise).
 */
export function bounded(value, spec, level) {
  return value >= level ? pyFormat(value, spec) : `below ${pyFormat(level, ".0e")}`;
}
