"""Other papers' closed forms agree with gradient descent (``book/literature.ipynb``).

thm-decay-squared, thm-decay-no-bias, thm-decay-ce: the global minimiser of the model with
weight decay, in closed form (``ufm.experiments.literature``), is where gradient descent
ends, at sizes other than the chapter's (C = 5, N = 3, p = 7, unequal decays). The bias-free
option of ``ufm.extensions.extended_descent`` and its JavaScript port, and the explorer
``literature.decay`` beside its JavaScript twin (message equal as text, series to 1e-9),
are tested here too; so is minority collapse (Fang et al.), whose limit the chapter measures.
"""

import numpy as np
import pytest
from js_bridge import (
    EXPLORER_CHECK,
    UFM_CHECK,
    call,
    decode,
    difference,
    drawing_problems,
    message_problems,
    run_node,
    series_differences,
)
from scipy.optimize import minimize_scalar

import ufm.widgets as uw
from ufm import webview
from ufm.experiments import (
    collapsed_objective,
    decay_check,
    decay_prediction,
    decay_threshold,
    margin_closed_form,
    score_margin,
)
from ufm.experiments.discussion import imbalance_run
from ufm.experiments.literature import SETTING_NAMES
from ufm.extensions import extended_descent, extended_gradients, extended_init, extended_risk

#: Sizes other than the chapter's (C = N = 4, p = 8); p >= C, so the bias-free model fits.
C, N, P = 5, 3, 7
#: Agreement of descent with the closed form (relative, after STEPS steps).
TOL = 1e-10
STEPS = 4000
#: Unequal decays, with c = C sqrt(N λ_W λ_H) = 0.027, 0.17 and 0.55.
DECAYS = [(0.002, 0.005), (0.01, 0.04), (0.1, 0.04)]


def closed_and_descent(setting, lambda_W, lambda_H):
    return decay_check(setting, lambda_W, lambda_H, C=C, N=N, p=P, steps=STEPS, seed=3)


def assert_descent_ends_at_the_closed_form(setting, lambda_W, lambda_H):
    run = closed_and_descent(setting, lambda_W, lambda_H)
    want = run.prediction
    assert want.tau < 1
    for got, expected in (
        (run.margin[-1], want.margin),
        (run.row_norm_sq[-1], want.row_norm_sq),
        (run.mean_norm_sq[-1], want.mean_norm_sq),
    ):
        assert abs(got - expected) <= TOL * expected, (setting, got, expected)
    assert run.gram_error <= TOL * np.linalg.norm(want.gram())
    assert run.within <= TOL
    np.testing.assert_allclose(run.bias, want.bias, atol=TOL)
    return run


@pytest.mark.parametrize(("lambda_W", "lambda_H"), DECAYS)
def test_squared_loss_with_bias_ends_at_a_simplex_of_margin_one_minus_c(lambda_W, lambda_H):
    """thm-decay-squared: W W^T = γ P, γ/√N = (1 - c) √(λ_H/λ_W), b = 1/C."""
    run = assert_descent_ends_at_the_closed_form("squared", lambda_W, lambda_H)
    want = run.prediction
    gamma = want.row_norm_sq * C / (C - 1)
    expected = (1 - want.tau) * np.sqrt(lambda_H / lambda_W)
    assert gamma / np.sqrt(N) == pytest.approx(expected, rel=1e-12)
    assert want.frame == "simplex" and want.bias == 1 / C


@pytest.mark.parametrize(("lambda_W", "lambda_H"), DECAYS)
def test_squared_loss_without_bias_ends_at_an_orthogonal_frame(lambda_W, lambda_H):
    """thm-decay-no-bias: ||h̄_k||^2 = (1 - c) √(λ_W/(N λ_H)), class means orthogonal."""
    run = assert_descent_ends_at_the_closed_form("squared_no_bias", lambda_W, lambda_H)
    want = run.prediction
    assert want.frame == "orthogonal"
    assert want.mean_norm_sq == pytest.approx(
        (1 - want.tau) * np.sqrt(lambda_W / (N * lambda_H)), rel=1e-12
    )


def test_the_bias_free_closed_form_is_tirer_and_brunas_in_their_normalisation():
    """Their objective 1/(2Kn)||WH - Y||^2 + λ'_W/(2K)||W||^2 + λ'_H/(2Kn)||H||^2 is the
    book's with λ'_W = C λ_W and λ'_H = C N λ_H; they state ||h̄_k||^2 = (1 - c')√(λ'_W/λ'_H)
    with c' = √(λ'_W λ'_H)."""
    for lambda_W, lambda_H in DECAYS:
        want = decay_prediction("squared_no_bias", C, N, lambda_W, lambda_H)
        theirs_W, theirs_H = C * lambda_W, C * N * lambda_H
        c_theirs = np.sqrt(theirs_W * theirs_H)
        assert want.tau == pytest.approx(c_theirs, rel=1e-14)
        assert want.mean_norm_sq == pytest.approx(
            (1 - c_theirs) * np.sqrt(theirs_W / theirs_H), rel=1e-14
        )


@pytest.mark.parametrize(("lambda_W", "lambda_H"), DECAYS)
def test_cross_entropy_ends_at_a_simplex_of_margin_log_c_minus_c_minus_one_over_c(
    lambda_W, lambda_H
):
    """thm-decay-ce: q = log((C - (C - 1) c)/c), W W^T a simplex ETF, b = 0."""
    run = assert_descent_ends_at_the_closed_form("cross_entropy", lambda_W, lambda_H)
    want = run.prediction
    assert want.margin == pytest.approx(np.log((C - (C - 1) * want.tau) / want.tau), rel=1e-14)


@pytest.mark.parametrize("setting", list(SETTING_NAMES))
def test_above_the_threshold_descent_shrinks_to_zero(setting):
    lambda_W, lambda_H = 0.2, 0.1  # c = 5 √(3 · 0.02) ≈ 1.22
    assert decay_threshold(C, N, lambda_W, lambda_H) > 1
    run = closed_and_descent(setting, lambda_W, lambda_H)
    assert run.prediction.margin == 0 and run.prediction.row_norm_sq == 0
    assert abs(run.margin[-1]) < 1e-12 and run.row_norm_sq[-1] < 1e-12
    assert run.mean_norm_sq[-1] < 1e-12


@pytest.mark.parametrize("setting", list(SETTING_NAMES))
@pytest.mark.parametrize("tau", [0.03, 0.3, 0.8, 1.0, 1.5])
def test_the_closed_form_margin_minimises_the_one_variable_objective(setting, tau):
    best = minimize_scalar(
        lambda q: collapsed_objective(setting, q, C, tau),
        bounds=(0.0, 20.0),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert best.x == pytest.approx(margin_closed_form(setting, C, tau), abs=1e-6)


@pytest.mark.parametrize("setting", list(SETTING_NAMES))
def test_the_one_variable_objective_is_the_objective_at_the_closed_form_minimiser(setting):
    """Build the minimiser from the closed form and evaluate the model's own objective."""
    lambda_W, lambda_H = 0.01, 0.04
    want = decay_prediction(setting, C, N, lambda_W, lambda_H)
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((P, C)))
    frame = np.eye(C) if want.frame == "orthogonal" else np.eye(C) - 1 / C
    scale = np.sqrt(want.row_norm_sq / frame[0, 0])
    W = scale * frame @ Q.T
    means = np.sqrt(lambda_W / (N * lambda_H)) * W.T
    H = np.repeat(means, N, axis=1)
    b = np.full(C, want.bias)
    loss = "cross_entropy" if setting == "cross_entropy" else "squared"
    value = extended_risk(H, W, b, loss=loss, lambda_W=lambda_W, lambda_H=lambda_H)
    assert value == pytest.approx(collapsed_objective(setting, want.margin, C, want.tau), rel=1e-12)
    assert score_margin(H, W, C) == pytest.approx(want.margin, rel=1e-12)
    # A critical point: every gradient vanishes (the bias's too, where it is trained).
    grads = extended_gradients(H, W, b, loss=loss, lambda_W=lambda_W, lambda_H=lambda_H)
    parts = grads if setting != "squared_no_bias" else grads[:2]
    assert max(np.abs(g).max() for g in parts) < 1e-12


def test_score_margin_reads_q_from_a_simplex_and_from_an_orthogonal_frame():
    Q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((P, C)))
    for frame in (np.eye(C), np.eye(C) - 1 / C):
        W = frame @ Q.T
        H = np.repeat(1.3 * Q, N, axis=1)  # W H̄ = 1.3 · frame
        assert score_margin(H, W, C) == pytest.approx(1.3, rel=1e-12)


def test_the_closed_form_refuses_unknown_settings_and_bad_decays():
    with pytest.raises(ValueError, match="setting must be one of"):
        decay_prediction("hinge", C, N, 0.1, 0.1)
    with pytest.raises(ValueError, match="lambda_W"):
        decay_prediction("squared", C, N, 0.0, 0.1)
    with pytest.raises(ValueError, match="tau must be > 0"):
        margin_closed_form("squared", C, [0.5, -1.0])


# ---------------------------------------------------------------------------------------
# The bias-free option of extended_descent.


def test_without_bias_the_bias_is_never_updated():
    state = extended_init([N] * C, P, 0.1, seed=0)
    run = extended_descent(*state, 1.0, 50, lambda_W=0.01, lambda_H=0.01, bias=False)
    assert np.array_equal(run.final[2], np.zeros(C))
    trained = extended_descent(*state, 1.0, 50, lambda_W=0.01, lambda_H=0.01)
    assert np.abs(trained.final[2]).max() > 0.1


def test_without_bias_descent_is_descent_on_the_bias_free_objective():
    H, W, b = extended_init([N] * C, P, 0.1, seed=2)
    run = extended_descent(H, W, b, 0.5, 3, lambda_W=0.02, lambda_H=0.03, bias=False)
    for _ in range(3):
        dH, dW, _ = extended_gradients(H, W, b, lambda_W=0.02, lambda_H=0.03)
        H, W = H - 0.5 * dH, W - 0.5 * dW
    np.testing.assert_allclose(run.final[0], H, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(run.final[1], W, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("bad", [0, 1, "no", None])
def test_the_bias_option_must_be_a_bool(bad):
    state = extended_init([N] * C, P, 0.1, seed=0)
    with pytest.raises(TypeError, match="bias must be True or False"):
        extended_descent(*state, 1.0, 2, bias=bad)


def test_the_javascript_port_descends_without_bias_as_ufm(node):
    state = extended_init([N] * C, P, 0.1, seed=4)
    calls, expected = [], []
    for loss in ("squared", "cross_entropy"):
        options = {"loss": loss, "lambda_W": 0.01, "lambda_H": 0.03}
        calls.append(
            call(
                "extensions.extendedDescent",
                *state,
                1.0,
                200,
                loss=loss,
                lambdaW=0.01,
                lambdaH=0.03,
                bias=False,
                record_every=40,
            )
        )
        expected.append(extended_descent(*state, 1.0, 200, bias=False, record_every=40, **options))
    calls.append(call("extensions.extendedDescent", *state, 1.0, 2, bias=1))
    out = run_node(node, UFM_CHECK, calls)
    for entry, want in zip(out, expected):
        got = decode(entry["result"])
        assert difference(got["objective"], want.objective) <= 1e-9
        for part, g, e in zip("HWb", got["final"], want.final):
            assert difference(g, e) <= 1e-9, part
    assert "bias must be True or False" in out[-1]["error"]


# ---------------------------------------------------------------------------------------
# The explorer and its JavaScript twin.


def settings_to_compare():
    spec = webview.spec(uw.REGISTRY["literature.decay"].factory())
    controls = {c["name"]: [value for _, value in c["options"]] for c in spec["controls"]}
    defaults = {c["name"]: c["value"] for c in spec["controls"]}
    out = [defaults]
    for setting in controls["setting"]:
        for lam in (controls["lam"][0], controls["lam"][len(controls["lam"]) // 2]):
            for ratio in (controls["ratio"][0], controls["ratio"][-1]):
                out.append({"setting": setting, "lam": lam, "ratio": ratio})
        out.append({**defaults, "setting": setting, "lam": controls["lam"][-1]})
    return out


def test_the_javascript_explorer_says_and_draws_what_the_python_explorer_does(node):
    settings = settings_to_compare()
    calls = [{"name": "literature.decay", "values": values, "data": {}} for values in settings]
    views = run_node(node, EXPLORER_CHECK, calls)
    explorer = uw.REGISTRY["literature.decay"].factory()
    explorer.figure.canvas.draw = lambda: None  # the artists' data suffice
    problems = []
    for values, view in zip(settings, views):
        explorer.set(**values)
        where = ", ".join(f"{k}={v!r}" for k, v in values.items())
        assert "error" not in view, (where, view)
        assert not drawing_problems(view, where), drawing_problems(view, where)
        assert view["message"] == explorer.message, where
        problems += message_problems(view["message"], explorer.message, where)
        _, found = series_differences(view, explorer, where, 1e-9)
        problems += found
        keys = {s.get("key") for panel in view["panels"] for s in panel.get("series", [])}
        assert len(keys - {None}) == 5, keys
        for panel, ax in zip(view["panels"], explorer.figure.axes):
            for axis, limits in (("x", ax.get_xlim()), ("y", ax.get_ylim())):
                np.testing.assert_allclose(
                    [panel[axis]["min"], panel[axis]["max"]], limits, rtol=1e-9
                )
            assert panel["title"] == ax.get_title()
    assert not problems, "\n".join(problems)


def test_the_explorer_shows_the_default_closed_form_and_descent():
    explorer = uw.REGISTRY["literature.decay"].factory()
    assert "thm-decay-squared" in uw.literature.decay_explorer.__doc__
    assert explorer.message.startswith("squared loss with bias, λ_W = 0.01, λ_H = 0.01")
    assert "margin 0.9200" in explorer.message and "ends with margin 0.9200" in explorer.message
    assert explorer.timing["compute"] < 1.0


# ---------------------------------------------------------------------------------------
# Minority collapse (Fang et al. 2021): the minority rows merge as the imbalance grows.


def test_minority_rows_start_at_the_simplex_angle_and_merge_at_large_imbalance():
    balanced = imbalance_run(1, p=7, seed=1, steps=3000)
    assert balanced.cosines[2, 3] == pytest.approx(-1 / 3, abs=1e-6)
    skewed = imbalance_run(50, p=7, seed=1, steps=3000)
    assert skewed.cosines[2, 3] > 0.99
    assert skewed.row_norms[2:].max() < skewed.row_norms[:2].min()
