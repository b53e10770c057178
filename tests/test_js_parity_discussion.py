"""The discussion chapter on the static page computes what ufm computes.

``ufm/js/extensions.js`` and ``ufm/js/discussion.js`` are run through one node process per
test (``tests/js/ufm_check.mjs``), the five explorers of ``ufm/js/explorers/limits.js``
through ``tests/js/explorer_check.mjs``, and compared with ``ufm.extensions``,
``ufm.experiments.discussion`` and the Python explorers of ``ufm.widgets.limits``.

How "equal" is measured (as in ``tests/test_js_parity.py``). A compared quantity is a
*series* (a recorded curve, a matrix, a state, or one number); its difference is

    max |js - ufm| / max |ufm|      over its finite entries,

relative to the largest magnitude of the series, and NaN must sit at the same places.
Every series agrees to TOL = 1e-9, with these stated exceptions, where rounding (not the
port) decides the value and a port can only agree at rounding level:

- values that are rounding noise in ufm itself: the final risk of a converged run (about
  1e-30), NC1 and the ETF error of collapsed features, a bias that is zero up to rounding,
  the NC measures of ``narrow_run`` (differences of nearly equal cosines);
- a run that rounding steers: gradient descent above the stability limit ``2/λ_max`` (edge
  of stability, divergence) amplifies rounding differences, so runs are compared where
  they are not yet amplified (a diverging run up to a risk of 1e6; an explorer series up
  to its ``exactUntil``), and a classifier row that has shrunk to ``1e-8`` of the longest
  has a direction set by rounding (its cosines are compared until then);
- the plane of ``narrow_run`` (the class means in their two leading principal
  directions) is defined up to the sign of each direction, up to a rotation when its two
  singular values coincide, and not at all (rounding picks two directions of an
  eigenspace) when the means span more than two directions: compared through its Gram
  matrix and absolute values where these are defined (see ``plane_is_determined``).

A message must equal the Python explorer's ``.message`` as text. (Both quote a quantity
that is zero but for rounding by its bound, "below 1e-20", never by its noisy digits:
``ufm.widgets._base.bounded``.)
"""

import json

import numpy as np
import pytest
from js_bridge import (
    EXPLORER_CHECK,
    UFM_CHECK,
    call,
    decode,
    difference,
    drawing_problems,
    run_node,
)

import ufm.widgets as uw
import ufm.widgets.limits  # noqa: F401  (registers the explorers)
from ufm import webview
from ufm.collapse import strong_collapse
from ufm.experiments import discussion
from ufm.extensions import (
    class_labels,
    class_targets,
    extended_descent,
    extended_gradients,
    extended_init,
    extended_risk,
    row_cosines,
)
from ufm.model import random_init
from ufm.spectrum import sharpness

TOL = 1e-9
#: A classifier row this much shorter than the longest has a direction set by rounding.
STEERED_ROW = 1e-8
NAMES = (
    "limits.initialisation",
    "limits.narrow",
    "limits.step_size",
    "limits.decay",
    "limits.imbalance",
)


# ---------------------------------------------------------------------------------------
# Running the ports.


def ported(node, calls):
    """The results of ufm_check.mjs calls, failing on any error."""
    out = run_node(node, UFM_CHECK, calls)
    for c, entry in zip(calls, out):
        assert "result" in entry, (c["fn"], entry)
    return [decode(entry["result"]) for entry in out]


def assert_close(name, got, expected, tol=TOL):
    value = difference(got, expected)
    assert value <= tol, f"{name}: difference {value:.2e} > {tol:.0e}"


def assert_trajectory_close(name, got, expected, until=None):
    assert np.array_equal(got["steps"], expected.steps), f"{name}: recorded steps differ"
    assert got["divergedAt"] == expected.diverged_at, f"{name}: diverged_at differs"
    assert_close(f"{name}.risk", got["risk"][:until], expected.risk[:until])
    for j in range(3):
        assert_close(f"{name}.errors[{j}]", got["errors"][:until, j], expected.errors[:until, j])
    assert_close(f"{name}.distance", got["distanceToS"][:until], expected.distance_to_S[:until])
    if until is None:
        for part, g, e in zip("HWb", got["final"], expected.final):
            assert_close(f"{name}.final.{part}", g, e)


# ---------------------------------------------------------------------------------------
# extensions.js


def random_state(rng, sizes, p, scale=1.0):
    n, C = sum(sizes), len(sizes)
    return (
        scale * rng.standard_normal((p, n)),
        scale * rng.standard_normal((C, p)),
        scale * rng.standard_normal(C),
    )


#: (class sizes, p, loss, λ_W, λ_H, λ_b): equal and unequal classes, both losses, no decay
#: and every coefficient.
SETTINGS = [
    ([3, 3, 3], 5, "squared", 0.0, 0.0, 0.0),
    ([4, 1, 2, 7], 3, "squared", 0.01, 0.02, 0.03),
    ([2, 5], 1, "cross_entropy", 0.0, 0.0, 0.0),
    ([20, 20, 1, 1], 8, "cross_entropy", 0.01, 0.01, 0.0),
    ([1, 1, 1, 1, 1], 12, "cross_entropy", 0.3, 0.0, 0.1),
]


def test_extensions_port_computes_the_objective_gradients_and_cosines_of_ufm_extensions(node):
    rng = np.random.default_rng(3)
    calls, expected = [], []
    for sizes, p, loss, lam_W, lam_H, lam_b in SETTINGS:
        state = random_state(rng, sizes, p)
        options = {
            "class_sizes": sizes,
            "loss": loss,
            "lambda_W": lam_W,
            "lambda_H": lam_H,
            "lambda_b": lam_b,
        }
        js_options = {
            "classSizes": sizes,
            "loss": loss,
            "lambdaW": lam_W,
            "lambdaH": lam_H,
            "lambdaB": lam_b,
        }
        calls += [
            call("extensions.classLabels", sizes),
            call("extensions.classTargets", sizes),
            call("extensions.extendedRisk", *state, js_options),
            call("extensions.extendedGradients", *state, js_options),
            call("extensions.rowCosines", state[1]),
        ]
        expected += [
            class_labels(sizes),
            class_targets(sizes),
            extended_risk(*state, **options),
            extended_gradients(*state, **options),
            row_cosines(state[1]),
        ]
    for c, got, want in zip(calls, ported(node, calls), expected):
        name = c["fn"]
        if name.endswith(("classLabels", "classTargets")):
            assert np.array_equal(got, want), name
        elif name.endswith("extendedGradients"):
            for part, g, e in zip("HWb", got, want):
                assert_close(f"{name}.d{part}", g, e)
        else:
            assert_close(name, got, want)


def test_extended_init_draws_what_numpy_draws(node):
    calls = [
        call("extensions.extendedInit", sizes, p, eps, seed)
        for sizes, p, eps, seed in [
            ([2, 2, 1, 1], 8, 0.1, 0),
            ([4] * 4, 8, 0.1, 0),
            ([3, 7], 2, 5.0, 9),
        ]
    ]
    expected = [extended_init(*c["args"][:3], seed=c["args"][3]) for c in calls]
    for got, want in zip(ported(node, calls), expected):
        for g, e in zip(got, want):
            assert_close("extendedInit", g, e, tol=4 * np.finfo(float).eps)
    # With equal class sizes it is ufm.random_init, draw for draw.
    (got,) = ported(node, [call("model.randomInit", 3, 3, 15, 0.01, 0)])
    for g, e in zip(got, random_init(3, 3, 15, 0.01, seed=0)):
        assert_close("randomInit", g, e, tol=4 * np.finfo(float).eps)


def test_extended_descent_records_and_diverges_as_ufm_extensions(node):
    rng = np.random.default_rng(5)
    cases = []
    for sizes, p, loss, lam_W, lam_H, lam_b in SETTINGS:
        state = random_state(rng, sizes, p, scale=0.3)
        options = {"class_sizes": sizes, "loss": loss}
        options.update(lambda_W=lam_W, lambda_H=lam_H, lambda_b=lam_b)
        cases.append((state, 0.5, 200, options, {"record_steps": [0, 3, 50, 120]}))
        cases.append((state, 1.0, 60, options, {"record_every": 7, "record_states": True}))
    # A run that diverges (squared loss, step far too large): frozen at its last finite
    # iterate, which a recorded state at the step of divergence holds.
    big = random_state(rng, [3, 3, 3], 4, scale=1.0)
    cases.append((big, 40.0, 300, {}, {"record_every": 1, "record_states": True}))
    cases.append((big, 40.0, 300, {"loss": "cross_entropy"}, {"record_every": 5}))
    calls, expected = [], []
    for state, lr, steps, options, record in cases:
        # ufm_check.mjs turns keywords into camelCase, but for lambda_W (an upper-case W).
        kwargs = {
            k.replace("lambda_", "lambda").replace("lambdab", "lambdaB"): v
            for k, v in options.items()
        }
        calls.append(call("extensions.extendedDescent", *state, lr, steps, **kwargs, **record))
        expected.append(extended_descent(*state, lr, steps, **options, **record))
    diverged = 0
    for i, (got, want) in enumerate(zip(ported(node, calls), expected)):
        name = f"extendedDescent[{i}]"
        assert np.array_equal(got["steps"], want.steps), name
        assert got["divergedAt"] == want.diverged_at, name
        diverged += want.diverged_at is not None
        assert_close(f"{name}.objective", got["objective"], want.objective)
        for part, g, e in zip("HWb", got["final"], want.final):
            assert_close(f"{name}.final.{part}", g, e)
        if want.states is None:
            assert got["states"] is None
        else:
            for part, g, e in zip("HWb", got["states"], want.states):
                assert_close(f"{name}.states.{part}", g, e)
    assert diverged >= 1


# ---------------------------------------------------------------------------------------
# discussion.js


def test_init_and_step_runs_equal_ufm_at_the_explorers_settings(node):
    init = [(1e-6, 0), (10**-2.5, 1), (1.0, 0), (1.0, 4), (10.0, 0), (10.0, 3)]
    # η at the slider's ends and middle, the default, and diverging runs.
    steps = [0.5, 1.0, 1.35, 1.8, 2.0, 2.2]
    calls = [call("discussion.initRun", eps, seed=seed) for eps, seed in init]
    calls += [call("discussion.stepRun", lr) for lr in steps]
    out = ported(node, calls)
    for (eps, seed), got in zip(init, out):
        assert_trajectory_close(f"initRun({eps:g}, {seed})", got, discussion.init_run(eps, seed))
    for lr, got in zip(steps, out[len(init) :]):
        want = discussion.step_run(lr)
        # A diverging run is compared until its risk passes 1e6: from there every step
        # roughly squares it, and the rounding differences with it.
        until = None if want.diverged_at is None else int(np.argmax(~(want.risk <= 1e6)))
        assert_trajectory_close(f"stepRun({lr})", got, want, until)
    assert out[-1]["divergedAt"] is not None


def test_sharpness_by_lanczos_equals_the_largest_eigenvalue_of_the_hessian(node):
    states = [strong_collapse(3, 3, 15, seed=0), random_init(3, 3, 15, 1.0, seed=3)]
    states += [random_init(4, 2, 5, 2.0, seed=1)]
    states += [discussion.step_run(lr).final for lr in (0.5, 1.35, 1.8, 1.9)]
    out = ported(node, [call("spectrum.sharpness", *state) for state in states])
    for state, got in zip(states, out):
        want = sharpness(*state)
        assert abs(got - want) <= TOL * abs(want), (got, want)


#: (C, p, seed): the corners of the narrow explorer, its default, p = C - 2, C - 1 and C.
NARROW = [(3, 1, 0), (3, 2, 9), (3, 64, 0), (5, 2, 0), (10, 1, 0), (10, 8, 0), (10, 9, 0)]
NARROW += [(10, 10, 3), (10, 64, 0), (7, 33, 5)]


def plane_is_determined(plane, C, p):
    """Whether the plane of narrow_run is defined up to the sign of each axis: the centred
    means span at most two directions (rank min(p, C - 1) <= 2, so the plane holds all of
    them) with distinct singular values. Otherwise it is defined up to a rotation (equal
    singular values) or, with more than two directions, it is the projection onto two
    directions of an eigenspace (at the ends of these runs the singular values are equal:
    a simplex, or the p equal eigenvalues of W W^T/√N), which rounding picks."""
    s = np.linalg.svd(plane, compute_uv=False)
    return min(p, C - 1) <= 2 and (s[1] <= 1e-12 * s[0] or s[0] - s[1] > 1e-6 * s[0])


def test_narrow_runs_equal_ufm_for_every_corner(node):
    out = ported(node, [call("discussion.narrowRun", C, p, seed=seed) for C, p, seed in NARROW])
    for (C, p, seed), got in zip(NARROW, out):
        want = discussion.narrow_run(C, p, seed=seed)
        name = f"narrowRun({C}, {p}, seed={seed})"
        assert np.array_equal(got["steps"], want.steps), name
        assert_close(f"{name}.risk", got["risk"], want.risk)
        assert_close(f"{name}.gram_eigenvalues", got["gramEigenvalues"], want.gram_eigenvalues)
        assert got["floor"] == want.floor and got["trainError"] == want.train_error, name
        # NC measures are dimensionless and of order one; near collapse they are
        # differences of nearly equal numbers, so they agree to 1e-9 absolutely.
        for key, value in want.nc.items():
            assert abs(got["nc"][key] - value) <= TOL, (name, key, got["nc"][key], value)
        # The plane: when the means span at most two directions its Gram matrix is
        # invariant (any rotation of the plane), and its entries are defined up to sign
        # when their singular values are distinct.
        if min(p, C - 1) <= 2:
            gram = got["plane"] @ got["plane"].T
            assert_close(f"{name}.plane (Gram matrix)", gram, want.plane @ want.plane.T)
        if plane_is_determined(want.plane, C, p):
            assert_close(f"{name}.|plane|", np.abs(got["plane"]), np.abs(want.plane))


def test_decay_runs_equal_ufm_for_every_weight_decay_and_both_losses(node):
    settings = [
        (loss, lam) for loss in ("squared", "cross_entropy") for lam in discussion.DECAY_VALUES
    ]
    out = ported(node, [call("discussion.decayRun", loss, lam) for loss, lam in settings])
    for (loss, lam), got in zip(settings, out):
        want = discussion.decay_run(loss, lam)
        name = f"decayRun({loss}, {lam})"
        assert np.array_equal(got["steps"], want.steps), name
        for key in want.nc:
            assert_close(f"{name}.nc.{key}", got["nc"][key], want.nc[key])
        assert_close(f"{name}.norm_W", got["normW"], want.norm_W)
        assert_close(f"{name}.norm_H", got["normH"], want.norm_H)
        assert_close(f"{name}.scale", got["scale"], want.scale)
        assert got["vanished"] == want.vanished, name
        # The ETF error (a distance relative to the scale of W W^T) and the bias are
        # differences of numbers of order one, rounding noise once collapsed: compared to
        # 1e-9 absolutely.
        assert np.isnan(got["etfError"]) == np.isnan(want.etf_error), name
        if not np.isnan(want.etf_error):
            assert abs(got["etfError"] - want.etf_error) <= TOL, (
                name,
                got["etfError"],
                want.etf_error,
            )
        assert np.abs(got["bias"] - want.bias).max() <= TOL, (name, got["bias"], want.bias)


def test_imbalance_runs_equal_ufm_at_every_ratio_loss_and_weight_decay(node):
    lams = discussion.IMBALANCE_DECAY_VALUES
    settings = [
        (r, loss, lam)
        for r in (1, 20, 100)
        for loss in ("squared", "cross_entropy")
        for lam in (lams[0], lams[-1])
    ]
    settings += [(2, "cross_entropy", 0.01), (50, "cross_entropy", 0.02)]
    out = ported(node, [call("discussion.imbalanceRun", *s) for s in settings])
    for setting, got in zip(settings, out):
        want = discussion.imbalance_run(*setting)
        name = f"imbalanceRun{setting}"
        assert np.array_equal(got["steps"], want.steps), name
        assert_close(f"{name}.row_norms", got["rowNorms"], want.row_norms)
        assert_close(f"{name}.cosines", got["cosines"], want.cosines)
        norms = got["rowNormsPerStep"]
        for series, (i, j), values in (
            ("cosMinor", (2, 3), want.cos_minor),
            ("cosMajor", (0, 1), want.cos_major),
        ):
            short = np.minimum(norms[:, i], norms[:, j]) < STEERED_ROW * norms.max(axis=1)
            until = int(np.argmax(short)) if short.any() else None
            assert_close(f"{name}.{series}", got[series][:until], values[:until])


# ---------------------------------------------------------------------------------------
# The explorers: messages and series.


@pytest.fixture(scope="module")
def sweeps():
    return {
        "limits.initialisation": discussion.init_size_sweep(),
        "limits.step_size": discussion.step_size_sweep(),
    }


def nulls(values):
    return [None if not np.isfinite(v) else float(v) for v in values]


def spec_data(name, sweep):
    """The spec data each JavaScript explorer reads (what ``Explorer.data`` must hold)."""
    if name == "limits.initialisation":
        median = {
            key: np.median(values, axis=1).tolist()
            for key, values in (
                ("gram", sweep.errors[..., 0]),
                ("features", sweep.errors[..., 1]),
                ("bias", sweep.errors[..., 2]),
                ("distance", sweep.distance),
            )
        }
        return {
            "sweep": {
                "eps": sweep.eps.tolist(),
                "seeds": int(sweep.errors.shape[1]),
                "median": median,
            }
        }
    if name == "limits.step_size":
        return {
            "sweep": {
                "lr": sweep.lr.tolist(),
                "diverged_at": [int(d) for d in sweep.diverged_at],
                "gram_error": nulls(sweep.gram_error),
                "sharpness": nulls(sweep.sharpness),
                "lambda_max": float(sweep.lambda_max),
                "limit": float(sweep.limit),
            }
        }
    return {}


def test_step_explorer_runs_equal_ufm_up_to_where_rounding_steers_them_across_the_slider(
    node, sweeps
):
    # Above 2/λ_max the explorer marks where its run stops being reproducible (exactUntil,
    # from a twin run rounded differently); before that it must agree with Python to 1e-9.
    # Every 0.05 of the slider, and the settings where rounding steers the run most.
    lrs = sorted({*np.round(np.arange(0.5, 2.2001, 0.05), 2).tolist(), 1.91, 1.92, 1.93, 2.03})
    data = spec_data("limits.step_size", sweeps["limits.step_size"])
    calls = [{"name": "limits.step_size", "values": {"lr": lr}, "data": data} for lr in lrs]
    marked = 0
    for lr, view in zip(lrs, run_node(node, EXPLORER_CHECK, calls)):
        want = discussion.step_run(lr)
        risk, gram = view["panels"][0]["series"]
        until = risk.get("exactUntil")
        marked += until is not None
        assert until is None or lr > data["sweep"]["limit"], lr
        assert_close(f"risk at η = {lr}", risk["y"][:until], want.risk[:until])
        assert_close(f"‖WWᵀ − √N P‖ at η = {lr}", gram["y"][:until], want.errors[:until, 0])
    assert marked >= 4


def grid(control):
    """Minimum, middle and maximum of a control of the spec (as the static-page test)."""
    if control["kind"] in ("select", "choice"):
        options = [value for _, value in control["options"]]
        return [options[0], options[len(options) // 2], options[-1]]
    low, high, step = control["min"], control["max"], control["step"]
    points = [low, low + round((high - low) / 2 / step) * step, high]
    if control["kind"] == "int":
        return [int(x) for x in points]
    points = [round(x, 10) for x in points]
    return [control["base"] ** x for x in points] if control["kind"] == "log" else points


#: Settings beyond the grid: where rounding steers a run (edge of stability, divergence,
#: vanishing classifier rows), the bias printed by numpy with its sign, and p = C - 1.
EXTRA = {
    "limits.step_size": [{"lr": 1.92}, {"lr": 2.03}],
    "limits.decay": [{"loss": "cross_entropy", "lam": 0.0}, {"loss": "cross_entropy", "lam": 0.03}],
    "limits.imbalance": [
        {"ratio": 50, "lam": 0.05},
        {"ratio": 100, "loss": "squared", "lam": 0.02},
    ],
    "limits.narrow": [{"C": 10, "p": 9}, {"C": 4, "p": 1}],
}


def python_lines(explorer):
    """{(axes index, label): Line2D} and {(axes index, position): Line2D} of the figure."""
    labelled, placed = {}, {}
    for i, ax in enumerate(explorer.figure.axes):
        for j, line in enumerate(ax.lines):
            labelled[(i, line.get_label())] = line
            placed[(i, j)] = line
    return labelled, placed


def series_difference(ours, line, until):
    worst = 0.0
    for axis, theirs in zip("xy", line.get_data()):
        got = np.asarray([np.nan if v is None else v for v in ours[axis]], float)[:until]
        worst = max(worst, difference(got, np.asarray(theirs, float)[:until]))
    return worst


def view_problems(view, explorer, values):
    """Every way the JavaScript view differs from the Python figure at these values."""
    problems = []
    labelled, placed = python_lines(explorer)
    for i, panel in enumerate(view["panels"]):
        ax = explorer.figure.axes[i]
        for series in panel.get("series", []):
            if "key" in series:
                line = labelled.get((i, series["key"]))
                if line is None:
                    problems.append(f"panel {i}: no Python line labelled {series['key']!r}")
                    continue
                value = series_difference(series, line, series.get("exactUntil"))
                if value > TOL:
                    problems.append(f"panel {i} {series['key']!r} differs by {value:.1e}")
        # The unlabelled lines (see the header of ufm/js/explorers/limits.js).
        refs = {s["ref"]: s for s in panel.get("series", []) if "ref" in s}
        if "sweep" in refs:
            value = series_difference(refs["sweep"], placed[(i, 0)], None)
            if value > TOL:
                problems.append(f"panel {i} sweep differs by {value:.1e}")
        spokes = [refs[f"spoke {c}"] for c in range(len(refs)) if f"spoke {c}" in refs]
        if spokes:
            C, p = values["C"], values["p"]
            ours = np.array([[s["x"][1], s["y"][1]] for s in spokes])
            theirs = np.array([placed[(i, c)].get_data() for c in range(C)])[:, :, 1]
            if min(p, C - 1) <= 2:
                value = difference(ours @ ours.T, theirs @ theirs.T)
                if value > TOL:
                    problems.append(f"panel {i} spokes differ by {value:.1e} (Gram matrix)")
            if not plane_is_determined(theirs, C, p):
                continue  # the limits follow the rotation of the plane that rounding picks
        for name, limits in (("x", ax.get_xlim()), ("y", ax.get_ylim())):
            axis = panel.get(name, {})
            if "min" in axis and not np.allclose(
                [axis["min"], axis["max"]], limits, rtol=TOL, atol=0
            ):
                problems.append(
                    f"panel {i}: {name} limits {axis['min']}, {axis['max']} != {limits}"
                )
        title = ax.get_title()
        if "$" not in title and panel.get("title", "") != title:
            problems.append(f"panel {i}: title {panel.get('title')!r} != {title!r}")
    return problems


def test_every_explorer_says_and_draws_what_the_python_explorer_does_on_a_grid_of_controls(
    node, sweeps
):
    calls, cases = [], []
    for name in NAMES:
        args = (sweeps[name],) if name in sweeps else ()
        explorer = uw.REGISTRY[name].factory(*args)
        data = spec_data(name, sweeps.get(name))
        if explorer.data:
            assert json.loads(json.dumps(explorer.data)) == data, f"{name}: Explorer.data"
        controls = webview.spec(explorer)["controls"]
        defaults = {c["name"]: c["value"] for c in controls}
        settings = [defaults, {**defaults, **uw.REGISTRY[name].maxima}]
        settings += [{**defaults, **extra} for extra in EXTRA.get(name, [])]
        for control in controls:
            for value in grid(control):
                settings.append({**defaults, control["name"]: value})
        settings = [v for i, v in enumerate(settings) if v not in settings[:i]]
        for values in settings:
            calls.append({"name": name, "values": values, "data": data})
            cases.append((name, explorer, values))
    problems = []
    for (name, explorer, values), view in zip(cases, run_node(node, EXPLORER_CHECK, calls)):
        explorer.set(**values)
        where = f"{name} {values}"
        if "error" in view:
            message = f"Cannot show this setting: {view['error']}"
            if message != explorer.message:
                problems.append(f"{where}: JavaScript {message!r}, Python {explorer.message!r}")
            continue
        if view["message"] != explorer.message:
            problems.append(f"{where}: JavaScript {view['message']!r}, Python {explorer.message!r}")
        problems += drawing_problems(view, where)
        problems += [f"{where}: {p}" for p in view_problems(view, explorer, values)]
    assert not problems, "\n".join(problems)
