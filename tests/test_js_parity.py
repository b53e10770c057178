"""The JavaScript ports of ufm (ufm/js/*.js) compute what ufm computes.

Every test draws its inputs in Python, runs ufm, and runs the same calls through ONE node
process (tests/js/ufm_check.mjs), then compares.

How "equal" is measured. A compared quantity is a *series*: an array (a recorded curve, a
matrix, a state) or one number. Its difference is

    max |js - ufm| / max |ufm|      over its finite entries,

that is, relative to the largest magnitude of the series (for one number, plain relative
difference); NaN and infinite entries must sit at the same places. Every series must agree
to TOL = 1e-9. Integers (steps, divergence steps, schedules, NC4 counts) and pure random
draws must be equal. Quantities that are rounding noise in ufm itself (the distance from S
of states that lie in S, the largest distance from S of the growing eigenvectors) cannot
agree relatively; for them the claim is that both are at rounding level (stated where
they are compared).

Not claimed: descent with a step size above the stability limit 2/λ_max that oscillates
chaotically, or whose divergence grows out of rounding noise. Any two roundings of such a
map drift apart (numpy against itself, summing in another order, would too): in a sweep
of 300 random slider settings of model.descent, all 227 below the limit agreed to 6e-14,
59 of the 73 above it to 1e-9; 13 differed in values and one diverged a step later.

Without node these tests are skipped, unless UFM_REQUIRE_NODE=1, which makes them fail.
With UFM_PARITY_REPORT=1 the largest difference seen per function is printed at the end.
"""

import os

import numpy as np
import pytest
from js_bridge import UFM_CHECK, call, decode, difference, run_node

from ufm import collapse, dynamics, experiments, spectrum, subspace
from ufm.collapse import class_summary, strong_collapse
from ufm.dynamics import flow_on_S, gradient_descent
from ufm.model import gradients, risk
from ufm.reduced import ReducedState

TOL = 1e-9
#: The largest difference seen per function (printed with UFM_PARITY_REPORT=1).
PARITY: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def parity_report():
    """With UFM_PARITY_REPORT=1, print the largest difference per function at the end."""
    yield
    if os.environ.get("UFM_PARITY_REPORT") == "1":
        width = max(map(len, PARITY), default=0)
        print("\nlargest difference per function (relative to the series' largest magnitude):")
        for name, value in sorted(PARITY.items()):
            print(f"  {name:<{width}}  {value:.2e}")


# ---------------------------------------------------------------------------------------
# Calling the ports.


def run_js(node, calls):
    """The results of the calls, in order (an error comes back as {"error", "type"})."""
    out = run_node(node, UFM_CHECK, calls)
    return [decode(entry["result"]) if "result" in entry else entry for entry in out]


def results(node, calls):
    """Like run_js, failing on any error."""
    out = run_js(node, calls)
    for c, r in zip(calls, out):
        assert not (isinstance(r, dict) and "error" in r and "type" in r), (c["fn"], r)
    return out


def assert_close(name, got, expected, tol=TOL):
    value = difference(got, expected)
    PARITY[name] = max(PARITY.get(name, 0.0), value)
    assert value <= tol, f"{name}: difference {value:.3e} > {tol:.0e}"


def assert_state_close(name, got, expected):
    if isinstance(expected, ReducedState):
        for key in ("Hbar", "Sigma", "W", "b"):
            assert_close(f"{name}.{key}", getattr(got, key), getattr(expected, key))
        assert got.N == expected.N
    else:
        for part, g, e in zip("HWb", got, expected):
            assert_close(f"{name}.{part}", g, e)


def assert_trajectory_close(name, got, expected):
    assert np.array_equal(got["steps"], expected.steps), f"{name}: recorded steps differ"
    expected_diverged = expected.diverged_at
    assert got["divergedAt"] == expected_diverged, f"{name}: diverged_at differs"
    assert_close(f"{name}.risk", got["risk"], expected.risk)
    for j in range(3):
        assert_close(f"{name}.errors[{j}]", got["errors"][:, j], expected.errors[:, j])
    assert_close(f"{name}.distance_to_S", got["distanceToS"], expected.distance_to_S)
    assert_state_close(f"{name}.final", got["final"], expected.final)


# ---------------------------------------------------------------------------------------
# The model chapter: gradient descent from a random start (model.descent).

#: (C, N, p, eps, seed): the defaults, the smallest model, p < C - 1, the C > p + 1 branch
#: of every kernel, a rank-deficient within-class scatter (C(N-1) < p) and the maxima.
STARTS = [
    (3, 3, 15, 1e-2, 0),
    (3, 3, 15, 1e-6, 7),
    (2, 1, 1, 0.5, 1),
    (4, 2, 2, 1e-2, 2),
    (10, 2, 3, 1e-2, 3),
    (2, 2, 15, 1.0, 4),
    (5, 1, 8, 1e-3, 5),
    (10, 1000, 64, 1e-2, 6),
]


def assert_same_draws_rescaled(got, expected):
    """got and expected are the same random draws times one scale factor each (a norm,
    which rounds differently): their ratio is one number to within two roundings. A single
    draw that differed would break it."""
    got, expected = np.ravel(got), np.ravel(expected)
    ratio = got[expected != 0] / expected[expected != 0]
    assert np.array_equal(got == 0, expected == 0)
    assert ratio.size == 0 or np.ptp(ratio) <= 4 * np.finfo(float).eps * np.abs(ratio).max()


def test_reduced_random_starts_equal_ufm_draw_for_draw(node):
    # H̄ and W are draws times a scale each, so their draws are compared exactly;
    # Σ = L L^T is a product of draws and the chi-square draws, compared to rounding.
    out = results(
        node,
        [call("dynamics.ReducedState.random", C, N, p, eps, seed) for C, N, p, eps, seed in STARTS],
    )
    for (C, N, p, eps, seed), got in zip(STARTS, out):
        expected = ReducedState.random(C, N, p, eps, seed=seed)
        assert_same_draws_rescaled(got.Hbar, expected.Hbar)
        assert_same_draws_rescaled(got.W, expected.W)
        assert_state_close("ReducedState.random", got, expected)


def test_snapshot_schedule_equals_ufm_for_every_setting_of_the_slider(node):
    settings = [(steps, count) for steps in range(100, 20001, 100) for count in (12, 30, 40)]
    settings += [(1, 2), (2, 40), (7, 3), (99, 40), (12345, 150)]
    out = results(node, [call("experiments.snapshotSchedule", s, c) for s, c in settings])
    for (steps, count), got in zip(settings, out):
        assert np.array_equal(got, experiments.snapshot_schedule(steps, count)), (steps, count)


def test_linspace_equals_numpys_to_the_bit_and_geomspace_to_an_ulp(node):
    # The explorers truncate np.linspace(0, steps, 150) to integers (snapshot steps), so it
    # must be numpy's to the bit; geomspace's powers are Math.pow's (1 ulp at most apart).
    lin = [(0.0, float(s), 150) for s in range(1, 20001, 13)] + [(0.0, 7080.5, 61), (0.0, 1.0, 2)]
    lin += [(0.0, float(T), n) for T in np.geomspace(1.0, 1e4, 30) for n in (25, 200, 300, 500)]
    geo = [(1e-8, 1.0, 17), (1e-8, 1.0, 9), (1.0, 4001.0, 30), (1.0, 20001.0, 12)]
    calls = [call("linalg.linspace", *a) for a in lin] + [call("linalg.geomspace", *a) for a in geo]
    out = results(node, calls)
    for args, got in zip(lin, out):
        assert np.array_equal(got, np.linspace(*args)), args
    for args, got in zip(geo, out[len(lin) :]):
        want = np.geomspace(*args)
        assert np.all(np.abs(got - want) <= np.spacing(want)), args


def descent_cases():
    """(start, lr, steps, marks, record_every) as the model.descent explorer builds them."""
    cases = []
    for (C, N, p, eps, seed), lr, steps in zip(
        STARTS,
        [1.0, 1.5, 1.0, 0.5, 1.2, 1.0, 0.8, 1.0],
        [4000, 2000, 700, 3000, 2500, 1500, 3000, 2000],
    ):
        start = ReducedState.random(C, N, p, eps, seed=seed)
        every = max(1, steps // 500)
        marks = experiments.snapshot_schedule(steps, 30 if C == 3 else 12)
        cases.append((start, lr, steps, marks, every))
    return cases


def test_reduced_descent_records_equal_ufm_for_random_starts(node):
    cases = descent_cases()
    out = results(node, [call("experiments.descentWithSnapshots", *case) for case in cases])
    for case, got in zip(cases, out):
        expected = experiments.descent_with_snapshots(*case[:4], record_every=case[4])
        assert expected.trajectory.diverged_at is None
        assert_trajectory_close("descent_with_snapshots", got["trajectory"], expected.trajectory)
        assert np.array_equal(got["snapshotSteps"], expected.snapshot_steps)
        for key, attr in (
            ("W", "W"),
            ("classMeans", "class_means"),
            ("within", "within"),
            ("b", "b"),
        ):
            assert_close(f"descent_with_snapshots.{attr}", got[key], getattr(expected, attr))
    assert spectrum.largest_stable_step(3, 3) > 1.0  # the step sizes above are stable


def test_diverging_descent_stops_at_the_same_step_as_ufm(node):
    cases = []
    for (C, N, p, eps, seed), lr, steps in [
        ((3, 3, 15, 1e-2, 0), 2.5, 4000),
        ((3, 3, 15, 1.0, 3), 2.2, 4000),
        ((10, 1000, 64, 1e-2, 1), 2.5, 2000),
        ((2, 1, 1, 0.5, 2), 2.5, 500),
        ((10, 2, 3, 0.1, 4), 2.5, 3000),
        ((5, 3, 4, 1e-4, 5), 2.3, 5000),
    ]:
        start = ReducedState.random(C, N, p, eps, seed=seed)
        cases.append(
            (
                start,
                lr,
                steps,
                experiments.snapshot_schedule(steps, 30 if C == 3 else 12),
                max(1, steps // 500),
            )
        )
    out = results(node, [call("experiments.descentWithSnapshots", *case) for case in cases])
    for case, got in zip(cases, out):
        expected = experiments.descent_with_snapshots(*case[:4], record_every=case[4])
        assert expected.trajectory.diverged_at is not None
        assert got["trajectory"]["divergedAt"] == expected.trajectory.diverged_at
        assert_trajectory_close(
            "descent_with_snapshots (diverged)", got["trajectory"], expected.trajectory
        )
        assert np.array_equal(got["snapshotSteps"], expected.snapshot_steps)
        assert_close("descent_with_snapshots.W (diverged)", got["W"], expected.W)


def test_simplex_plane_equals_ufm_with_the_same_mirror_image(node):
    # The plane's axes are singular vectors, whose signs numpy leaves to LAPACK; both sides
    # rotate W_1 up and put W_2 on the left, so the pictures are equal, not mirror images.
    runs = []
    for seed, (N, p, steps) in enumerate(
        [(3, 15, 4000), (1, 2, 2000), (50, 64, 3000), (3, 3, 300)]
    ):
        start = ReducedState.random(3, N, p, 1e-2, seed=seed)
        runs.append(
            experiments.descent_with_snapshots(
                start, 1.0, steps, experiments.snapshot_schedule(steps, 30)
            )
        )
    out = results(
        node,
        [
            call("experiments.simplexPlane", r.W, r.class_means, n)
            for r, n in zip(runs, [3, 1, 50, 3])
        ],
    )
    for run, n, got in zip(runs, [3, 1, 50, 3], out):
        expected = experiments.simplex_plane(run.W, run.class_means, n)
        assert expected.W[-1, 1, 0] <= 0
        assert_close("simplex_plane.W", got["W"], expected.W)
        assert_close("simplex_plane.means", got["means"], expected.means)
        assert_close("simplex_plane.radius", got["radius"], expected.radius)


# ---------------------------------------------------------------------------------------
# The results chapter: perturbation, invariance, convergence, riccati, linearisation.

#: (C, N, p, seed) for the results explorers: the defaults, the smallest model, p = C - 1,
#: a wide model and the maxima.
SIZES = [(3, 3, 15, 0), (2, 1, 1, 1), (4, 2, 3, 2), (10, 4, 9, 3), (10, 1000, 64, 4)]
#: The perturbation explorer's grid of relative sizes.
DELTAS = np.geomspace(1e-8, 1.0, 17)


def random_state(C, N, p, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return tuple(scale * rng.standard_normal(shape) for shape in ((p, C * N), (C, p), (C,)))


def test_strong_collapse_and_random_directions_equal_ufm(node):
    calls = []
    for C, N, p, seed in SIZES:
        calls += [
            call("collapse.strongCollapse", C, N, p, seed),
            call("collapse.strongCollapse", C, N, p, None),
        ]
        calls.append(
            call("experiments.randomDirection", *strong_collapse(C, N, p, seed=seed), seed)
        )
    out = iter(results(node, calls))
    for C, N, p, seed in SIZES:
        assert_state_close("strong_collapse", next(out), strong_collapse(C, N, p, seed=seed))
        assert_state_close("strong_collapse", next(out), strong_collapse(C, N, p))
        point = strong_collapse(C, N, p, seed=seed)
        got, expected = next(out), experiments.random_direction(*point, seed=seed)
        assert_same_draws_rescaled(
            np.concatenate([x.ravel() for x in got]), np.concatenate([x.ravel() for x in expected])
        )
        assert_state_close("random_direction", got, expected)


def moved(point, direction, delta):
    return tuple(x + delta * d for x, d in zip(point, direction))


def assert_measures_close(name, got, rows):
    """Rows of collapse measures (one dict per state) equal, NC4 exactly (a fraction of
    samples), the others to the tolerance."""
    for key in rows[0]:
        series = [row[key] for row in rows]
        if key == "nc4":
            assert [g[key] for g in got] == series
        else:
            assert_close(f"{name}.{key}", [g[key] for g in got], series)


def test_collapse_measures_equal_ufm_along_the_perturbation_curves(node):
    calls, expected = [], []
    for C, N, p, seed in SIZES:
        point = strong_collapse(C, N, p, seed=seed)
        direction = experiments.random_direction(*point, seed=seed)
        deltas = DELTAS if C * N * p <= 100_000 else DELTAS[[0, 8, 16]]
        states = [moved(point, direction, d) for d in deltas]
        calls += [call("experiments.collapseMeasures", *s) for s in states]
        expected.append([experiments.collapse_measures(*s) for s in states])
    out = iter(results(node, calls))
    for rows in expected:
        assert_measures_close("collapse_measures", [next(out) for _ in rows], rows)


def test_collapse_along_a_line_equals_ufm_measured_at_each_point(node):
    # CollapseAlongLine computes once what depends on every sample and then each δ cheaply
    # (the identities of exact arithmetic for a point constant within each class); ufm
    # measures each perturbed state directly.
    calls, expected = [], []
    for C, N, p, seed in SIZES:
        point = strong_collapse(C, N, p, seed=seed)
        direction = experiments.random_direction(*point, seed=seed)
        calls.append(call("experiments.collapseAlongLine", point, direction, DELTAS))
        states = [moved(point, direction, d) for d in DELTAS]
        expected.append([experiments.collapse_measures(*state) for state in states])
    for got, rows in zip(results(node, calls), expected):
        assert_measures_close("collapse_along_line", got, rows)


def test_state_functions_equal_ufm_on_generic_states(node):
    # The risk, its gradients, ||·||_E, the distance from S and the strong-collapse errors
    # (both branches of collapse._errors: C <= p + 1 and C > p + 1).
    states = [
        random_state(C, N, p, seed) for C, N, p, seed in SIZES + [(10, 3, 2, 5), (7, 2, 1, 6)]
    ]
    names = [
        "model.risk",
        "model.gradients",
        "subspace.normE",
        "subspace.distanceToS",
        "collapse.strongCollapseErrors",
    ]
    out = iter(results(node, [call(name, *s) for s in states for name in names]))
    for s in states:
        assert_close("risk", next(out), risk(*s))
        for part, got, want in zip("HWb", next(out), gradients(*s)):
            assert_close(f"gradients.d{part}", got, want)
        assert_close("norm_E", next(out), subspace.norm_E(*s))
        assert_close("distance_to_S", next(out), subspace.distance_to_S(*s))
        assert_close("strong_collapse_errors", next(out), collapse.strong_collapse_errors(*s))


def reduced_in_S(H, W, b):
    """As ufm.widgets.results.reduced_in_S."""
    C, p = W.shape
    return ReducedState(class_summary(H, C)[0], np.zeros((p, p)), W, b, H.shape[1] // C)


#: Rounding level of the distance from S of a state in S (ufm's own values are below it).
ROUNDING = 1e-13


def test_invariance_explorer_quantities_equal_ufm_along_the_flow_on_S(node):
    # The explorer's curves over t: the two parts of the risk, the risk, the size of the
    # gradient ||g||_E and its part off S; then descent from the same point. Each curve is
    # one series (late in the flow these values are tiny differences of O(1) terms, known
    # to rounding only, as in ufm). The part off S is rounding noise in both.
    cases, calls = [], []
    for (C, N, p, seed), scale, beta0 in zip(
        SIZES, [0.1, 1e-3, 10.0, 0.5, 0.1], [0.0, -1.0, 1.0, 0.3, 0.0]
    ):
        start = subspace.point_in_S(C, N, p, min(C - 1, p), scale, beta0, seed)
        times = np.linspace(0.0, 80.0, 1 if C * N * p > 100_000 else 21)
        states = [flow_on_S(start[1], beta0, time, N) for time in times]
        T = 120
        cases.append((N, start, times, states, T))
        calls.append(call("subspace.pointInS", C, N, p, min(C - 1, p), scale, beta0, seed))
        for time, state in zip(times, states):
            calls += [
                call("dynamics.flowOnS", start[1], beta0, time, N),
                call("subspace.riskPartsOnS", state[1], state[2], N),
                call("model.risk", *state),
                call("model.gradients", *state),
            ]
        calls.append(
            call(
                "dynamics.gradientDescent",
                reduced_in_S(*start),
                lr=1.0,
                steps=T,
                record_every=max(1, T // 200),
            )
        )
    out = iter(results(node, calls))
    for N, start, times, states, T in cases:
        assert_state_close("point_in_S", next(out), start)
        got = [[next(out) for _ in range(4)] for _ in times]
        for (flow, _, _, _), state in zip(got, states):
            assert_state_close("flow_on_S", flow, state)
        parts = np.array([subspace.risk_parts_on_S(*s[1:], N) for s in states])
        assert_close("risk_parts_on_S.classifier", [g[1][0] for g in got], parts[:, 0])
        assert_close("risk_parts_on_S.bias", [g[1][1] for g in got], parts[:, 1])
        assert_close("risk (along the flow)", [g[2] for g in got], [risk(*s) for s in states])
        sizes_py = [subspace.norm_E(*gradients(*s)) for s in states]
        sizes_js = [subspace.norm_E(*g[3]) for g in got]
        assert_close("gradients (size ||g||_E along the flow)", sizes_js, sizes_py)
        for g, want in zip(got, states):
            for part, a, b in zip("HWb", g[3], gradients(*want)):
                PARITY[f"gradients.d{part} (along the flow)"] = max(
                    PARITY.get(f"gradients.d{part} (along the flow)", 0.0), difference(a, b)
                )
        off_js = [subspace.distance_to_S(*g[3]) * n for g, n in zip(got, sizes_js) if n > 0]
        off_py = [
            subspace.distance_to_S(*gradients(*s)) * n for s, n in zip(states, sizes_py) if n > 0
        ]
        assert max(off_js + off_py, default=0.0) <= ROUNDING * max(sizes_py)
        gd_js = next(out)
        gd = gradient_descent(reduced_in_S(*start), lr=1.0, steps=T, record_every=max(1, T // 200))
        assert np.array_equal(gd_js["steps"], gd.steps) and gd_js["divergedAt"] == gd.diverged_at
        assert_close("gradient_descent (from S).risk", gd_js["risk"], gd.risk)
        assert_close("gradient_descent (from S).errors[0]", gd_js["errors"][:, 0], gd.errors[:, 0])
        if gd.diverged_at is None:
            # (With η = 1 the bias reaches 1/C in one step; from there its error is seeded by
            # rounding, which a diverging run amplifies: then only the curves driven by W,
            # the risk and the first error, are claimed equal.)
            assert_close(
                "gradient_descent (from S).errors[2]", gd_js["errors"][:, 2], gd.errors[:, 2]
            )
        # Descent from S stays in S: its distance from S, and the relative error of H
        # against W^T/sqrt(N), are rounding noise in both.
        for got_noise, want_noise in (
            (gd_js["distanceToS"], gd.distance_to_S),
            (gd_js["errors"][:, 1], gd.errors[:, 1]),
        ):
            assert np.nanmax(got_noise) <= ROUNDING and np.nanmax(want_noise) <= ROUNDING


def horizon(a_min, C, N):
    """As ufm.widgets.results._horizon."""
    return (np.log(max(np.sqrt(N) / a_min, 1.0)) + 10.0) / (2.0 / (C * np.sqrt(N)))


def rank_cases():
    """(C, N, p, r, scale, seed): every rank from 1 to min(C - 1, p)."""
    cases = []
    for C, N, p, seed in SIZES:
        for r in sorted({1, min(C - 1, p), max(1, min(C - 1, p) // 2)}):
            cases.append((C, N, p, r, [1e-2, 1e-3, 1.0][r % 3], seed))
    return cases


def test_convergence_explorer_descent_and_closed_form_equal_ufm(node):
    calls, expected = [], []
    for C, N, p, r, scale, seed in rank_cases():
        lr = 0.5 if r % 2 else 1.3
        W0 = subspace.point_in_S(C, N, p, r, scale, 0.0, seed)[1]
        a0 = dynamics.riccati_eigenvalues(W0, [0.0], N)[0]
        T = horizon(a0[r - 1], C, N)
        steps = min(int(np.ceil(T / lr)), 4000)
        t = np.linspace(0.0, steps * lr, 300)
        start = reduced_in_S(*subspace.point_in_S(C, N, p, r, scale, 0.0, seed))
        calls += [
            call("dynamics.riccatiEigenvalues", W0, [0.0], N),
            call("dynamics.riccatiEigenvalues", W0, t, N),
            call(
                "dynamics.gradientDescent",
                start,
                lr=lr,
                steps=steps,
                record_every=max(1, steps // 400),
            ),
            call("spectrum.largestStableStep", C, N),
        ]
        expected += [
            ("riccati_eigenvalues", a0[None]),
            ("riccati_eigenvalues", dynamics.riccati_eigenvalues(W0, t, N)),
            (
                "descent from S",
                gradient_descent(start, lr=lr, steps=steps, record_every=max(1, steps // 400)),
            ),
            ("largest_stable_step", spectrum.largest_stable_step(C, N)),
        ]
    for (name, want), got in zip(expected, results(node, calls)):
        if name == "descent from S":
            assert (
                np.array_equal(got["steps"], want.steps) and got["divergedAt"] == want.diverged_at
            )
            assert_close("gradient_descent (from S).risk", got["risk"], want.risk)
            assert_close(
                "gradient_descent (from S).errors[0]", got["errors"][:, 0], want.errors[:, 0]
            )
            assert_state_close("gradient_descent (from S).final", got["final"], want.final)
        else:
            assert_close(name, got, want)


def test_flow_on_S_equals_ufm_at_many_times(node):
    calls, expected = [], []
    for C, N, p, r, scale, seed in rank_cases():
        if C * N * p > 100_000:
            continue
        W0 = subspace.point_in_S(C, N, p, r, scale, 0.0, seed)[1]
        times = np.array([0.0, 0.5, 3.0, 40.0, 1e3])
        calls.append(call("dynamics.flowOnS", W0, 0.25, times, N))
        expected.append(flow_on_S(W0, 0.25, times, N))
    for want, got in zip(expected, results(node, calls)):
        assert_state_close("flow_on_S (times)", got, want)


def test_in_row_space_equals_ufm_up_to_the_signs_of_the_basis(node):
    # The basis is the leading right singular vectors, whose signs are the SVD's choice:
    # what is compared is what a change of sign leaves alone (the Gram matrices and W H̄).
    calls, expected = [], []
    for C, N, p, r, scale, seed in rank_cases():
        start = subspace.point_in_S(C, N, p, r, scale, 0.0, seed)
        means = class_summary(start[0], C)[0]
        calls.append(call("experiments.inRowSpace", means, start[1], r))
        expected.append(experiments.in_row_space(means, start[1], r))
    for (means, W), (got_means, got_W) in zip(expected, results(node, calls)):
        assert np.shape(got_means) == means.shape and np.shape(got_W) == W.shape
        assert_close("in_row_space.W W^T", got_W @ got_W.T, W @ W.T)
        assert_close("in_row_space.W means", got_W @ got_means, W @ means)
        assert_close("in_row_space.means^T means", got_means.T @ got_means, means.T @ means)


def test_riccati_explorer_ode_solution_equals_scipys_dop853(node):
    calls, expected = [], []
    for C, N, p, r, scale, seed in rank_cases():
        start = subspace.point_in_S(C, N, p, r, scale, 0.0, seed)
        a0 = dynamics.riccati_eigenvalues(start[1], [0.0], N)[0]
        t_ode = np.linspace(0.0, horizon(a0[r - 1], C, N), 25)
        # As the explorer does: in the span of W₀'s rows.
        means, W0 = experiments.in_row_space(class_summary(start[0], C)[0], start[1], r)
        flow = experiments.class_mean_flow(means, W0, start[2], N, t_ode, rtol=1e-10, atol=1e-12)
        calls += [
            call("experiments.classMeanFlow", means, W0, start[2], N, t_ode, 1e-10, 1e-12),
            call("experiments.gramEigenvalues", flow[1]),
        ]
        expected += [(flow, t_ode, start, N), experiments.gram_eigenvalues(flow[1])]
    out = results(node, calls)
    for (flow, t_ode, start, N), got, eig_want, eig_got in zip(
        expected[::2], out[::2], expected[1::2], out[1::2]
    ):
        assert_close("class_mean_flow.class_means", got[0], flow[0])
        assert_close("class_mean_flow.W", got[1], flow[1])
        assert_close("gram_eigenvalues", eig_got, eig_want)
        # The bias: scipy's own error on it reaches 1e-7 (relative) for C = 10 (the error
        # norm is an RMS over C(2p + 1) components, so one component may err sqrt(C(2p+1))
        # times the tolerance, and long runs add up), and the port, which rounds
        # differently, errs as much but not alike. The claim is that it is as accurate:
        # against the closed form b(t) = 1/C + (b_0 - 1/C) e^{-t}, no worse than twice scipy.
        C = start[1].shape[0]
        exact = 1.0 / C + (start[2][None, :] - 1.0 / C) * np.exp(-t_ode)[:, None]
        error_js, error_py = np.abs(got[2] - exact).max(), np.abs(flow[2] - exact).max()
        PARITY["class_mean_flow.b"] = max(
            PARITY.get("class_mean_flow.b", 0.0), difference(got[2], flow[2])
        )
        assert error_js <= 2 * error_py + 1e-13, (error_js, error_py)
        # The explorer's summary: the largest gap between the solver and the closed form.
        closed = dynamics.riccati_eigenvalues(start[1], t_ode, N)
        gap_js = np.abs(eig_got - closed).max() / np.sqrt(N)
        gap_py = np.abs(eig_want - closed).max() / np.sqrt(N)
        PARITY["riccati gap (relative)"] = max(
            PARITY.get("riccati gap (relative)", 0.0), abs(gap_js - gap_py) / gap_py
        )


#: (C, N, p) with a dense Jacobian of at most 600 rows (the linearisation explorer's
#: DENSE_SPECTRUM_SIZE), the defaults first.
DENSE = [(3, 3, 4), (2, 1, 1), (2, 3, 45), (3, 10, 16), (10, 1, 5)]


def test_spectrum_at_rest_equals_ufm_dense_and_by_blocks(node):
    calls = [call("spectrum.linearizationAtRest", C, N, p) for C, N, p in DENSE]
    blocks = DENSE + [(10, 1000, 64), (7, 13, 2)]
    calls += [call("spectrum.restSpectrumByBlocks", C, N, p) for C, N, p in blocks]
    out = results(node, calls)
    for (C, N, p), (values, vectors) in zip(DENSE, out):
        want_values, want_vectors = spectrum.linearization_at_rest(C, N, p)
        assert_close("linearization_at_rest.values", values, want_values)
        # Eigenvectors of a repeated eigenvalue are any basis of its eigenspace: compare the
        # projector onto the growing one, and check the basis.
        m = (C - 1) * p
        project = vectors[:, :m] @ vectors[:, :m].T
        assert_close(
            "linearization_at_rest (growing eigenspace)",
            project,
            want_vectors[:, :m] @ want_vectors[:, :m].T,
        )
        jacobian = want_vectors @ np.diag(want_values) @ want_vectors.T
        assert np.abs(jacobian @ vectors - vectors * values).max() <= 1e-12
        assert np.abs(vectors.T @ vectors - np.eye(len(values))).max() <= 1e-12
        growing = max(
            subspace.distance_to_S(*spectrum.unflatten(vectors[:, k], C, N, p)) for k in range(m)
        )
        assert growing <= ROUNDING
    for (C, N, p), got in zip(blocks, out[len(DENSE) :]):
        want = spectrum.rest_spectrum_by_blocks(C, N, p)
        assert_close("rest_spectrum_by_blocks.values", got["values"], want.values)
        assert got["growingDistance"] <= ROUNDING and want.growing_distance <= ROUNDING


def test_linearisation_explorer_descent_and_split_by_S_equal_ufm(node):
    calls, expected = [], []
    for C, N, p, eps, seed in [
        (3, 3, 4, 1e-6, 0),
        (2, 1, 1, 1e-2, 1),
        (10, 4, 9, 1e-8, 2),
        (10, 1000, 64, 1e-8, 3),
    ]:
        T = C * np.sqrt(N) * (np.log(1.0 / eps) + 4.0)
        lr = max(0.1, T / 8000)
        steps = int(np.ceil(T / lr))
        marks = np.unique(np.linspace(0, steps, 150).astype(int))
        start = ReducedState.random(C, N, p, eps, seed=seed)
        run = experiments.descent_with_snapshots(start, lr, steps, marks, steps)
        calls += [
            call("experiments.descentWithSnapshots", start, lr, steps, marks, steps),
            call("experiments.splitByS", run.W, run.class_means, run.within, run.b, N),
            call(
                "experiments.splitByS",
                run.W[-1],
                run.class_means[-1],
                float(run.within[-1]),
                run.b[-1],
                N,
            ),
        ]
        expected += [
            run,
            experiments.split_by_S(run.W, run.class_means, run.within, run.b, N),
            experiments.split_by_S(run.W[-1], run.class_means[-1], run.within[-1], run.b[-1], N),
        ]
    out = results(node, calls)
    for k in range(0, len(out), 3):
        run, got = expected[k], out[k]
        assert_trajectory_close(
            "descent_with_snapshots (linearisation)", got["trajectory"], run.trajectory
        )
        for key, attr in (
            ("W", "W"),
            ("classMeans", "class_means"),
            ("within", "within"),
            ("b", "b"),
        ):
            assert_close(f"descent_with_snapshots.{attr}", got[key], getattr(run, attr))
        for name, g, w in zip(("in_S", "off_S"), out[k + 1], expected[k + 1]):
            assert_close(f"split_by_S.{name}", g, w)
        for name, g, w in zip(("in_S", "off_S"), out[k + 2], expected[k + 2]):
            assert_close(f"split_by_S.{name}", g, w)


def test_invalid_arguments_throw_errors_naming_them(node):
    cases = [
        (call("collapse.strongCollapse", 4, 3, 2, 0), lambda: strong_collapse(4, 3, 2, seed=0)),
        (
            call("subspace.pointInS", 3, 3, 15, 3, 0.1, 0.0, 0),
            lambda: subspace.point_in_S(3, 3, 15, 3, 0.1, 0.0, 0),
        ),
        (
            call("dynamics.ReducedState.random", 3, 3, 15, 0.0, 0),
            lambda: ReducedState.random(3, 3, 15, 0.0, seed=0),
        ),
        (
            call("dynamics.ReducedState.random", 1, 3, 15, 0.1, 0),
            lambda: ReducedState.random(1, 3, 15, 0.1, seed=0),
        ),
        (call("experiments.snapshotSchedule", 0, 30), lambda: experiments.snapshot_schedule(0, 30)),
        (
            call("dynamics.flowOnS", np.ones((3, 2)), 0.0, 1.0, 3),
            lambda: flow_on_S(np.ones((3, 2)), 0.0, 1.0, 3),
        ),
        (call("spectrum.largestStableStep", 3, 0), lambda: spectrum.largest_stable_step(3, 0)),
    ]
    start = ReducedState.random(3, 3, 15, 0.01, seed=0)
    cases += [
        (
            call("dynamics.gradientDescent", start, lr=1.0, steps=0),
            lambda: gradient_descent(start, lr=1.0, steps=0),
        ),
        (
            call("dynamics.gradientDescent", start, lr=-1.0, steps=5),
            lambda: gradient_descent(start, lr=-1.0, steps=5),
        ),
        (
            call("experiments.descentWithSnapshots", start, 1.0, 100, [0, 200]),
            lambda: experiments.descent_with_snapshots(start, 1.0, 100, [0, 200]),
        ),
    ]
    for (c, python), got in zip(cases, run_js(node, [c for c, _ in cases])):
        with pytest.raises((ValueError, TypeError)) as raised:
            python()
        assert got.get("error") == str(raised.value), (c["fn"], got)
    # Descent from a full state is not ported: it says so.
    got = run_js(
        node, [call("experiments.descentWithSnapshots", list(random_state(3, 3, 4, 0)), 1.0, 10)]
    )[0]
    assert got["type"] == "TypeError" and "ReducedState" in got["error"]
