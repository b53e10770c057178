"""ufm/js/random.js draws what np.random.default_rng(seed) draws, bit for bit.

The JavaScript runs in node through tests/js/random_check.mjs. Without node these tests are
skipped, unless UFM_REQUIRE_NODE=1, which makes them fail instead.
"""

import ctypes
import ctypes.util
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

import numpy as np
import numpy.random._generator
import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "ufm" / "js" / "random.js"
RUNNER = ROOT / "tests" / "js" / "random_check.mjs"

SEEDS = [0, 1, 42, 2**32 + 5, 2**63 - 1, 12345678901234]
#: A stream of calls on one generator, in the runner's notation (see random_check.mjs).
OPS = [
    "normal:3x4",
    "normal:5",
    "random",
    "random:7",
    "normal",
    "normal:0",
    "normal:2x3x2",
    "random:1x3",
    "normal:1000",
]
#: ziggurat_nor_r: only the tail branch of the ziggurat returns values beyond it.
ZIGGURAT_R = 3.6541528853610087963519472518


@pytest.fixture(scope="module")
def node():
    path = shutil.which("node")
    if path is None:
        reason = "node is not installed (not on PATH), so ufm/js/random.js cannot be run"
        if os.environ.get("UFM_REQUIRE_NODE") == "1":
            pytest.fail(f"{reason}; UFM_REQUIRE_NODE=1 requires these tests to run")
        pytest.skip(reason)
    return path


def run(node, *args, stdin=None):
    """The stdout (bytes) of random_check.mjs with the given arguments."""
    result = subprocess.run(
        [node, str(RUNNER), *map(str, args)], input=stdin, capture_output=True, timeout=300
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def js_draws(node, seed, *ops):
    return np.frombuffer(run(node, "draws", seed, *ops), dtype="<f8")


def js_state(node, seed, *ops):
    state = json.loads(run(node, "state", seed, *ops))
    return {"state": int(state["state"]), "inc": int(state["inc"])}


def numpy_draws(seed, *ops):
    """The generator after the ops, and their draws flattened in order."""
    rng = np.random.default_rng(seed)
    draws = []
    for op in ops:
        kind, _, shape = op.partition(":")
        method = {"normal": rng.standard_normal, "random": rng.random}[kind]
        size = tuple(int(d) for d in shape.split("x")) if shape else None
        draws.append(np.ravel(method(size)))
    return rng, np.concatenate(draws)


def assert_identical(got, expected):
    assert got.shape == expected.shape
    differ = np.flatnonzero(got != expected)
    assert differ.size == 0, f"{differ.size} of {got.size} draws differ, first at {differ[:5]}"
    assert got.tobytes() == expected.astype("<f8").tobytes()  # the sign of zero too


@pytest.mark.parametrize("seed", [*SEEDS, 2**128 + 7, 3**200])
def test_seeding_gives_numpys_pcg64_state(node, seed):
    # Seeds of more than 4 words also take mix_entropy's last loop.
    assert js_state(node, seed) == np.random.default_rng(seed).bit_generator.state["state"]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_stream_of_calls_matches_numpy(node, seed):
    rng, expected = numpy_draws(seed, *OPS)
    assert_identical(js_draws(node, seed, *OPS), expected)
    assert js_state(node, seed, *OPS) == rng.bit_generator.state["state"]


def test_a_million_normals_match_numpy(node):
    # Enough draws for every rare branch of the ziggurat: about 1 in 150 draws goes to the
    # wedge test and about 1 in 4000 to the tail.
    seed, ops = 12345678901234, ["normal:1000000", "random:100000"]
    rng, expected = numpy_draws(seed, *ops)
    assert np.count_nonzero(np.abs(expected[:1000000]) > ZIGGURAT_R) > 150
    assert_identical(js_draws(node, seed, *ops), expected)
    assert js_state(node, seed, *ops) == rng.bit_generator.state["state"]


def test_number_and_bigint_seeds_agree(node):
    for seed in [0, 42, 2**53 - 1]:
        assert run(node, "draws", seed, "normal:50") == run(node, "draws", f"{seed}n", "normal:50")


def test_the_ziggurat_tables_are_numpys(node):
    # The compiled module holds ki_double, wi_double and fi_double as 256 little-endian
    # 8-byte values each; the JavaScript tables must appear there byte for byte.
    tables = np.frombuffer(run(node, "tables"), dtype="<f8").reshape(3, 256)
    ki = tables[0].astype("<u8")
    assert np.array_equal(ki, tables[0])  # integers, exact as doubles
    binary = Path(numpy.random._generator.__file__).read_bytes()
    for name, table in [("ki_double", ki), ("wi_double", tables[1]), ("fi_double", tables[2])]:
        assert binary.count(table.tobytes()) == 1, f"{name} is not the table of numpy's binary"


def libm_function(name, nargs):
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("random.js ports glibc's log1p; this C library is not glibc")
    function = getattr(ctypes.CDLL(ctypes.util.find_library("m")), name)
    function.restype = ctypes.c_double
    function.argtypes = [ctypes.c_double] * nargs
    return function


def test_log1p_is_the_c_librarys_on_the_arguments_numpy_gives_it(node):
    # numpy's tail branch computes log1p(-u) for u = next_double(), a multiple of 2**-53 in
    # [0, 1). Sample u uniformly and also in every binade down to 2**-53.
    rng = np.random.default_rng(0)
    k = [rng.integers(0, 2**53, 200_000, dtype=np.uint64), np.array([0, 1], dtype=np.uint64)]
    for e in range(1, 53):
        k.append(rng.integers(2**e, 2 ** (e + 1), 2000, dtype=np.uint64))
    x = -np.concatenate(k).astype(np.float64) * 2.0**-53
    log1p = libm_function("log1p", 1)
    expected = np.array([log1p(v) for v in x.tolist()])
    got = np.frombuffer(run(node, "log1p", stdin=x.astype("<f8").tobytes()), dtype="<f8")
    if got.tobytes() != expected.tobytes():
        plain = np.frombuffer(run(node, "log1p", "plain", stdin=x.tobytes()), dtype="<f8")
        if plain.tobytes() == expected.tobytes():
            pytest.xfail(
                "this machine's glibc runs its SSE2 log1p, not the FMA build that random.js "
                "follows, so about 1 normal in 10 million will differ in its last bit"
            )
    assert_identical(got, expected)


def test_fma_is_rounded_once(node):
    rng = np.random.default_rng(1)
    n = 100_000

    def scattered(low, high):
        magnitude = np.exp2(rng.uniform(low, high, n)) * (1 + rng.random(n))
        return rng.choice([-1.0, 1.0], n) * magnitude

    a, b = scattered(-60, 10), scattered(-60, 10)
    c = np.concatenate(
        [
            scattered(-120, 20),
            -a * b,  # the exact product then decides everything
            -a * b * (1 + rng.integers(-3, 4, n) * 2.0**-52),
            -a * b + np.abs(a * b) * 2.0**-53 * rng.integers(-4, 5, n),
        ]
    )
    a, b = np.tile(a, 4), np.tile(b, 4)
    fma = libm_function("fma", 3)
    expected = np.array([fma(*abc) for abc in zip(a.tolist(), b.tolist(), c.tolist())])
    assert np.mean(a * b + c != expected) > 0.2  # the cases are hard enough to tell
    stdin = np.stack([a, b, c], axis=1).astype("<f8").tobytes()
    assert_identical(np.frombuffer(run(node, "fma", stdin=stdin), dtype="<f8"), expected)


def test_bad_seeds_and_sizes_throw_errors_naming_them(node):
    script = f"""
    import {{ Generator, defaultRng }} from {json.dumps(MODULE.as_uri())};
    const attempts = {{
      seed: [() => new Generator(-1), () => new Generator(-1n), () => new Generator(1.5),
             () => new Generator("42"), () => new Generator(NaN), () => new Generator(Infinity),
             () => new Generator(2 ** 64), () => new Generator(null), () => new Generator(),
             () => new Generator(true), () => new Generator([1, 2]), () => defaultRng({{}})],
      size: [() => defaultRng(0).standardNormal(-1), () => defaultRng(0).standardNormal(1.5),
             () => defaultRng(0).standardNormal([2, -1]), () => defaultRng(0).random("3")],
    }};
    const messages = {{}};
    for (const [name, calls] of Object.entries(attempts)) {{
      messages[name] = calls.map((call) => {{
        try {{ call(); return null; }}
        catch (error) {{ return `${{error.name}}: ${{error.message}}`; }}
      }});
    }}
    console.log(JSON.stringify(messages));
    """
    result = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    for name, messages in json.loads(result.stdout).items():
        for message in messages:
            assert message is not None, f"a bad {name} was accepted"
            assert name in message and "Error" in message, message


def test_a_hundred_thousand_normals_take_well_under_50_ms(node):
    # The best of three runs in one process, that is, once the JIT has compiled the code
    # (about 7 ms); the very first call takes about 30 ms.
    timing = json.loads(run(node, "bench", 100_000, 3))
    assert timing["ms"] < 50, timing
