"""ufm/js/format.js prints numbers exactly as Python 3.11's format() and repr() do.

The JavaScript runs in node through tests/js/format_check.mjs, once for the whole module,
on about 20,000 random and adversarial floats (exact decimal ties, powers of ten and their
neighbours, values that round up to the next power of ten, subnormals, the largest
doubles, integers given as floats, random bit patterns, zeros of both signs, inf, nan)
and every format specification the explorers' messages use: "g", ".Ng", ".Nf", ".Ne"
(N = 0..17) and repr, plus a few others (sign, width, grouping, %, no type). Results must
be equal as strings. Without node these tests are skipped, unless UFM_REQUIRE_NODE=1,
which makes them fail instead.
"""

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "tests" / "js" / "format_check.mjs"

DIGITS = range(18)
SPECS = [
    "repr",
    "g",
    *[f".{n}g" for n in DIGITS],
    *[f".{n}f" for n in DIGITS],
    *[f".{n}e" for n in DIGITS],
]
#: Other specifications pyFormat understands (a smaller share of the values).
EXTRA_SPECS = ["", ".1", ".3", ".12", "G", "E", "+.2f", " .3g", "10.3f", "<9.2e", "^12g"]
EXTRA_SPECS += ["010.2f", "+08.1e", ",.2f", "_.1f", ".1%", ".0%", "#.3g", "#.0f", "#.0e"]
if sys.version_info >= (3, 11):  # the "z" option (negative zero to zero) is new in 3.11
    EXTRA_SPECS += ["z.2f", "z.1e", "z.3g"]
INT_SPECS = ["str", "", "d", ",d", "+d", "8d", "g", ".3g", ".2f", ".1e"]


def _pairs():
    """Exact binary values that are decimal ties at some number of digits."""
    values = []
    for denominator_power in range(1, 12):
        denominator = 2**denominator_power
        for numerator in range(1, 2 * denominator, 2):
            if numerator % 7 in (1, 3) or denominator_power < 5:
                values.append(numerator / denominator)
    return values


def float_values():
    rng = np.random.default_rng(20240601)
    values = [0.0, -0.0, float("inf"), float("-inf"), float("nan")]
    values += [5e-324, -5e-324, 1e-323, 2.2250738585072014e-308, 2.225073858507201e-308]
    values += [1.7976931348623157e308, -1.7976931348623157e308, 1e308, 9.999999999999999e307]
    values += [0.1, 0.2, 0.3, 1 / 3, 2 / 3, 0.5, 1.5, 2.5, 0.125, 0.375, 1e-5, 1e16, 1e15]
    values += [0.0001, 0.00001, 9.9999995, 99.95, 0.995, 0.9995, 9.5, 0.05, 0.15, 0.25, 0.35]
    # powers of ten and their neighbours, and values just below a power of ten
    for k in range(-323, 309):
        ten = float(f"1e{k}")
        values += [ten, np.nextafter(ten, 0.0), np.nextafter(ten, np.inf)]
        if -300 < k < 300:
            values += [ten * (1 - 10.0**-j) for j in (1, 3, 6, 12)]
    # exact binary fractions: decimal ties in the 'f' and 'e' formats
    ties = _pairs()
    values += ties
    values += [t * 2.0**e for t in ties[::25] for e in range(-60, 61, 7)]
    # integers ending in 5 (ties at every number of significant digits), as floats
    values += [float(10 * int(m) + 5) for m in rng.integers(0, 10**14, 400)]
    values += [float(5 * 10**k) for k in range(0, 22)]
    values += [float(int(x)) for x in rng.integers(-(2**53), 2**53, 400)]
    values += [float(2**k) for k in range(0, 1024, 3)]
    values += [float(-(2**k)) for k in range(0, 200, 5)]
    # decimal numbers with few digits (0.05, 1.45, 2.675 …): near ties that are not exact
    for places in range(1, 7):
        values += list(np.round(rng.uniform(-100, 100, 150), places))
    # exact ties of decimal-looking binaries: k / 2**j scaled by powers of ten
    for j in range(1, 20):
        values += [Fraction(2 * int(i) + 1, 2**j) * 10**k for i, k in zip(range(4), (0, 1, 2, 3))]
    # random magnitudes over the whole range, both signs
    magnitudes = 10.0 ** rng.uniform(-30, 30, 5000)
    values += list(magnitudes * rng.choice([-1.0, 1.0], magnitudes.size))
    values += list(10.0 ** rng.uniform(-320, 308, 1500))
    values += list(rng.random(1500))
    values += list(rng.uniform(0, 1000, 1500))
    values += list(rng.standard_normal(1500))
    # subnormals and random bit patterns
    subnormal_bits = rng.integers(1, 2**52, 500, dtype=np.uint64)
    values += list(subnormal_bits.view(np.float64))
    bits = rng.integers(0, 2**63, 3000, dtype=np.uint64)
    bits |= rng.integers(0, 2, bits.size, dtype=np.uint64) << np.uint64(63)
    values += [x for x in bits.view(np.float64)]
    floats = [float(v) for v in values]
    return floats


def int_values():
    rng = np.random.default_rng(7)
    values = [0, 1, -1, 5, 10, 99, 100, 12345, -12345, 2**53, 2**53 + 1, 2**63, 10**20, -(10**25)]
    values += [int(x) for x in rng.integers(-(10**12), 10**12, 200)]
    values += [10**k + 5 for k in range(1, 40, 3)]
    return values


def array_values():
    rng = np.random.default_rng(11)
    arrays = [[0.25, 0.5], [1.0, 0.5], [1e-5, 0.5], [-0.0, 1.25], [float("nan"), 1.0], [1e9, 1.0]]
    arrays += [[0.0, 0.0], [-1.5, float("inf")], [123456.789, 0.001], [1e-5, float("nan")]]
    arrays += [[0.333, 0.333, 0.333, 0.001], [1.0, 2.0, 3.0], [-0.12, 0.0, 0.12, 1e-8]]
    for _ in range(300):
        n = int(rng.integers(1, 7))
        scale = 10.0 ** rng.integers(-9, 10)
        raw = rng.standard_normal(n) * scale
        arrays.append(list(np.round(raw, int(rng.integers(0, 5)))))
        arrays.append(list(raw))
        if n > 1:
            special = np.round(raw, 2)
            special[int(rng.integers(0, n))] = rng.choice([np.nan, np.inf, -np.inf])
            arrays.append(list(special))
    arrays.append(list(np.round(rng.random(30), 3)))  # wraps over two lines
    return [[float(x) for x in a] for a in arrays]


def python_format(x, spec):
    try:
        if spec == "repr":
            return repr(x)
        if spec == "str":
            return str(x)
        return format(x, spec)
    except (ValueError, OverflowError) as error:
        return {"error": str(error)}


@pytest.fixture(scope="module")
def results(node):
    floats = float_values()
    extra = floats[::4]
    ints = int_values()
    arrays = array_values()
    request = {
        "floats": [repr(x) for x in floats],
        "specs": SPECS,
        "ints": [str(n) for n in ints],
        "int_specs": INT_SPECS,
        "arrays": [[repr(x) for x in a] for a in arrays],
    }
    extra_request = {"floats": [repr(x) for x in extra], "specs": EXTRA_SPECS}
    answers = {}
    for name, payload in (("main", request), ("extra", extra_request)):
        done = subprocess.run(
            [node, str(RUNNER)],
            input=json.dumps(payload).encode(),
            capture_output=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr.decode()
        answers[name] = json.loads(done.stdout)
    return {
        "floats": floats,
        "extra": extra,
        "ints": ints,
        "arrays": arrays,
        "js": answers["main"],
        "js_extra": answers["extra"],
    }


def mismatches(values, specs, column, got, limit=8):
    wrong = []
    for x, row in zip(values, got):
        want = python_format(x, specs[column])
        if isinstance(want, dict):
            if not isinstance(row[column], dict):
                wrong.append((x, specs[column], want, row[column]))
        elif row[column] != want:
            wrong.append((x, specs[column], want, row[column]))
        if len(wrong) >= limit:
            break
    return wrong


def test_enough_adversarial_values(results):
    floats = results["floats"]
    assert len(floats) >= 20_000
    assert sum(1 for x in floats if x != 0 and abs(x) < 2.2250738585072014e-308) >= 400
    assert any(np.isnan(x) for x in floats)
    assert any(x == 0 and np.copysign(1, x) < 0 for x in floats)


@pytest.mark.parametrize("spec", SPECS)
def test_format_of_floats_equals_python(results, spec):
    column = SPECS.index(spec)
    wrong = mismatches(results["floats"], SPECS, column, results["js"]["floats"])
    assert not wrong, "(x, spec, python, javascript):\n" + "\n".join(map(repr, wrong))


def test_other_format_specs_equal_python(results):
    wrong = []
    for column in range(len(EXTRA_SPECS)):
        wrong += mismatches(results["extra"], EXTRA_SPECS, column, results["js_extra"]["floats"], 3)
    assert not wrong, "(x, spec, python, javascript):\n" + "\n".join(map(repr, wrong))


def test_ints_format_as_python(results):
    wrong = []
    for n, row in zip(results["ints"], results["js"]["ints"]):
        for spec, got in zip(INT_SPECS, row):
            want = python_format(n, spec)
            if got != want:
                wrong.append((n, spec, want, got))
    assert not wrong[:10], "(n, spec, python, javascript):\n" + "\n".join(map(repr, wrong[:10]))


def test_numpy_array_str_equals_numpy(results):
    wrong = []
    for values, got in zip(results["arrays"], results["js"]["arrays"]):
        want = str(np.array(values))
        if got != want:
            wrong.append((values, want, got))
    assert not wrong, "(values, numpy, javascript):\n" + "\n".join(map(repr, wrong[:8]))


def test_python_is_the_reference():
    # the cases the module header of format.js promises
    assert format(0.125, ".2f") == "0.12"
    assert repr(1e-5) == "1e-05" and repr(1e16) == "1e+16" and repr(-0.0) == "-0.0"
