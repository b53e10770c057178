"""Self-checks (ufm.check): right answers pass, common slips get their specific hint, and no
hint shows the expected values."""

import numpy as np
import pytest
from conftest import sizes
from hypothesis import given

import ufm
from ufm import check


def targets(C, N):
    return np.repeat(np.eye(C), N, axis=1)


def sizes_of(H, W):
    C = W.shape[0]
    return C, H.shape[1] // C


def residual(H, W, b):
    C, N = sizes_of(H, W)
    return W @ H + b[:, None] - targets(C, N)


def my_risk(H, W, b):
    C, N = sizes_of(H, W)
    return float(np.sum(residual(H, W, b) ** 2) / (2 * C * N))


def my_gradients(H, W, b):
    C, N = sizes_of(H, W)
    G = residual(H, W, b) / (C * N)
    return W.T @ G, G @ H.T, G.sum(axis=1)


def my_projection(H, W, b):
    C, N = sizes_of(H, W)
    class_means = H.reshape(H.shape[0], C, N).mean(axis=2)
    V = (W + np.sqrt(N) * class_means.T) / 2
    V -= V.mean(axis=0)
    return np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, b.mean())


def my_bound(C, N):
    return 2 / (1 + 1 / (C * np.sqrt(N)))


def projection_without_centring(H, W, b):
    C, N = sizes_of(H, W)
    class_means = H.reshape(H.shape[0], C, N).mean(axis=2)
    V = (W + np.sqrt(N) * class_means.T) / 2
    return np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, b.mean())


def scaled(fn, factor):
    def wrong(H, W, b):
        out = fn(H, W, b)
        return factor(H, W) * out if np.isscalar(out) else tuple(factor(H, W) * x for x in out)

    return wrong


def gradients_with_residual(make_residual):
    def wrong(H, W, b):
        C, N = sizes_of(H, W)
        G = make_residual(H, W, b) / (C * N)
        return W.T @ G, G @ H.T, G.sum(axis=1)

    return wrong


def test_right_answers_pass():
    assert check.risk(my_risk)
    assert check.gradients(my_gradients)
    assert check.projection(my_projection)
    assert check.step_size_bound(my_bound)
    assert check.step_size_bound(my_bound(3, 3), C=3, N=3)


def test_ufm_itself_passes_its_own_checks():
    assert check.risk(ufm.risk)
    assert check.gradients(ufm.gradients)
    assert check.projection(ufm.project_S)
    assert check.step_size_bound(ufm.largest_stable_step)


@given(sizes)
def test_right_answers_pass_at_any_size(size):
    C, N, p = size
    for checker, fn in [
        (check.risk, my_risk),
        (check.gradients, my_gradients),
        (check.projection, my_projection),
    ]:
        result = checker(fn, C=C, N=N, p=p, seed=1)
        assert result, result.message


def test_feedback_is_true_only_when_passed_and_prints_its_message():
    good, bad = check.gradients(my_gradients), check.gradients(lambda H, W, b: None)
    assert good.passed and bool(good) and str(good).startswith("✓")
    assert not bad.passed and not bool(bad) and repr(bad) == bad.message
    assert bad.message.startswith("✗")


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (scaled(my_gradients, lambda H, W: H.shape[1]), "1/(CN) normalisation"),
        (scaled(my_gradients, lambda H, W: 2.0), "a factor 2"),
        (scaled(my_gradients, lambda H, W: -1.0), "sign is flipped"),
        (gradients_with_residual(lambda H, W, b: W @ H + b[:, None]), "subtract Y"),
        (gradients_with_residual(lambda H, W, b: residual(H, W, 0 * b)), "bias b is missing"),
        (
            gradients_with_residual(
                lambda H, W, b: W @ H + b[:, None] - np.tile(np.eye(W.shape[0]), H.shape[1] // 3)
            ),
            "class by class",
        ),
        (lambda H, W, b: (my_gradients(H, W, b)[0], my_gradients(H, W, b)[1].T, b), "transposed"),
        (lambda H, W, b: (*my_gradients(H, W, b)[:2], 1.0), "sum or average over an axis"),
        (lambda H, W, b: my_gradients(H, W, b)[:2], "tuple of three arrays"),
        (lambda H, W, b: (0 * H, *my_gradients(H, W, b)[1:]), "∇_H is zero"),
        (lambda H, W, b: (H / H.shape[1], *my_gradients(H, W, b)[1:]), "chain rule"),
        (lambda H, W, b: W @ W, "raised ValueError"),
        (lambda H, W, b: ..., "not filled in"),
    ],
)
def test_a_wrong_gradient_gets_a_specific_hint(wrong, hint):
    result = check.gradients(wrong)
    assert not result
    assert hint in result.message


def test_a_gradient_hint_names_the_wrong_part():
    def wrong_bias(H, W, b):
        dH, dW, db = my_gradients(H, W, b)
        return dH, dW, db * H.shape[1]

    assert "Your ∇_b is off by a constant factor" in check.gradients(wrong_bias).message


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (scaled(my_risk, lambda H, W: 2.0), "1/2 in front"),
        (scaled(my_risk, lambda H, W: H.shape[1]), "1/(CN) normalisation"),
        (scaled(my_risk, lambda H, W: 2.0 * H.shape[1]), "plain sum of squares"),
        (lambda H, W, b: np.mean(residual(H, W, b) ** 2) / 2, "np.mean over every entry"),
        (lambda H, W, b: np.linalg.norm(residual(H, W, b)), "should be squared"),
        (lambda H, W, b: np.sum((W @ H + b[:, None]) ** 2) / (2 * H.shape[1]), "subtract Y"),
        (lambda H, W, b: my_risk(H, W, b) + 1.0, "not by a constant factor"),
        (lambda H, W, b: residual(H, W, b), "expected one number"),
        (lambda H, W, b: np.nan, "expected a finite number"),
    ],
)
def test_a_wrong_risk_gets_a_specific_hint(wrong, hint):
    result = check.risk(wrong)
    assert not result
    assert hint in result.message


def bias_not_averaged(H, W, b):
    return (*my_projection(H, W, b)[:2], b)


def features_without_root_N(H, W, b):
    _, V, beta = my_projection(H, W, b)
    return np.repeat(V.T, H.shape[1] // W.shape[0], axis=1), V, beta


def oblique_projection(H, W, b):
    """Lands in S and fixes S, but weighs W twice as much as the class means."""
    C, N = sizes_of(H, W)
    class_means = H.reshape(H.shape[0], C, N).mean(axis=2)
    V = (2 * W + np.sqrt(N) * class_means.T) / 3
    V -= V.mean(axis=0)
    return np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, b.mean())


def onto_zero(H, W, b):
    return np.zeros_like(H), np.zeros_like(W), np.zeros_like(b)


def only_W(H, W, b):
    C, N = sizes_of(H, W)
    V = W - W.mean(axis=0)
    return np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, b.mean())


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (projection_without_centring, "forget to centre"),
        (only_W, "uses only W"),
        (bias_not_averaged, "b' is not a multiple of 1"),
        (features_without_root_N, "features are not H'"),
        (onto_zero, "moves points that are already in S"),
        (oblique_projection, "not the orthogonal projection"),
        (lambda H, W, b: (H, W), "tuple of three arrays"),
    ],
)
def test_a_wrong_projection_gets_a_specific_hint(wrong, hint):
    result = check.projection(wrong)
    assert not result
    assert hint in result.message


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (2.0, "not 1"),
        (my_bound(3, 3) / 2, "factor 2 is missing"),
        (1 + 1 / (3 * np.sqrt(3)), "largest eigenvalue λ_max itself"),
        (2 / (1 + 1 / 9), "N appears where √N belongs"),
        (1.9, "too large"),
        (1.0, "too small"),
        (None, "not filled in"),
    ],
)
def test_a_wrong_step_size_bound_gets_a_hint_without_the_value(answer, hint):
    result = check.step_size_bound(answer, C=3, N=3)
    assert not result
    assert hint in result.message
    right = ufm.largest_stable_step(3, 3)
    for digits in (2, 3, 4):
        assert f"{right:.{digits}f}" not in result.message


def test_a_wrong_step_size_formula_is_caught_at_some_size():
    result = check.step_size_bound(lambda C, N: 2 / (1 + 1 / (C * N)))
    assert not result and "√N" in result.message


def test_no_hint_prints_an_array():
    wrongs = [
        scaled(my_gradients, lambda H, W: 3.7),
        lambda H, W, b: (H / H.shape[1], *my_gradients(H, W, b)[1:]),
        gradients_with_residual(lambda H, W, b: W @ H + b[:, None]),
    ]
    for wrong in wrongs:
        message = check.gradients(wrong).message
        assert "[" not in message and "array" not in message


def test_the_reader_function_gets_copies_and_cannot_corrupt_the_check():
    def destructive(H, W, b):
        out = my_gradients(H, W, b)
        H[:] = 0
        W[:] = 0
        return out

    assert check.gradients(destructive)


@pytest.mark.parametrize("checker", [check.risk, check.gradients, check.projection])
def test_a_non_function_is_refused(checker):
    with pytest.raises(TypeError, match="fn must be a function"):
        checker(np.zeros(3))


def test_step_size_bound_validates_its_arguments():
    with pytest.raises(TypeError, match="give the sizes too"):
        check.step_size_bound(1.5)
    with pytest.raises(TypeError, match="only with a number"):
        check.step_size_bound(my_bound, C=3, N=3)
    with pytest.raises(TypeError, match="a number or a function"):
        check.step_size_bound("1.67", C=3, N=3)
    with pytest.raises(ValueError, match="C must be an integer >= 2"):
        check.step_size_bound(1.5, C=1, N=3)


def test_sizes_are_validated():
    with pytest.raises(ValueError, match="C must be an integer >= 2"):
        check.gradients(my_gradients, C=1)


def as_float32(fn):
    def single(H, W, b):
        out = fn(*(np.float32(1) * x.astype(np.float32) for x in (H, W, b)))
        return np.float32(out) if np.isscalar(out) else tuple(x.astype(np.float32) for x in out)

    return single


@pytest.mark.parametrize(
    ("checker", "fn"),
    [(check.risk, my_risk), (check.gradients, my_gradients), (check.projection, my_projection)],
)
def test_a_right_answer_computed_in_float32_passes(checker, fn):
    result = checker(as_float32(fn))
    assert result, result.message


def test_a_right_risk_rounded_to_float32_gets_a_precision_hint_not_a_wrong_one():
    result = check.risk(lambda H, W, b: float(as_float32(my_risk)(H, W, b)))
    assert not result and "low precision" in result.message and "factor" not in result.message


def test_float16_gradients_are_refused_with_a_reason():
    result = check.gradients(
        lambda H, W, b: tuple(x.astype(np.float16) for x in my_gradients(H, W, b))
    )
    assert not result and "float16" in result.message


@pytest.mark.parametrize(
    "answer",
    [np.array(my_bound(3, 3)), np.array([my_bound(3, 3)]), np.float32(my_bound(3, 3))],
)
def test_a_step_size_bound_as_a_zero_d_or_one_entry_array_or_float32_is_read(answer):
    assert check.step_size_bound(answer, C=3, N=3)


def test_a_step_size_bound_array_gets_feedback_not_an_error():
    assert "too large" in check.step_size_bound(np.array(1.7), C=3, N=3).message
    result = check.step_size_bound(np.array([1.7, 2.0]), C=3, N=3)
    assert not result and "one number" in result.message


def test_a_float32_step_size_formula_passes_at_N_equal_1():
    assert check.step_size_bound(lambda C, N: np.float32(my_bound(C, N)))


def my_distance(H, W, b):
    off = [x - y for x, y in zip((H, W, b), my_projection(H, W, b))]
    return float(np.sqrt(sum(np.sum(x**2) for x in off) / sum(np.sum(x**2) for x in (H, W, b))))


def test_a_right_distance_passes():
    assert check.distance(my_distance)
    assert check.distance(ufm.distance_to_S)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda H, W, b: my_distance(H, W, b) * ufm.norm_E(H, W, b), "divides it by ‖Z‖_E"),
        (lambda H, W, b: my_distance(H, W, b) ** 2, "square root"),
        (lambda H, W, b: my_distance(H, W, b) + 0.1, "differs"),
        (lambda H, W, b: None, "not filled in"),
    ],
)
def test_a_wrong_distance_gets_a_specific_hint(wrong, hint):
    result = check.distance(wrong)
    assert not result and hint in result.message
    assert "never increases" not in result.message


def test_parameters_are_deterministic_per_student_and_differ_between_students():
    for name in ("gradients", "invariance", "eps_scaling"):
        a, b = check.parameters(name, "alice"), check.parameters(name, "bob")
        assert a == check.parameters(name, "alice") and a != b


def test_parameters_refuse_an_empty_student_and_an_unknown_assignment():
    for empty in ("", "  ", ..., None):
        with pytest.raises(ValueError, match="STUDENT is not set"):
            check.parameters("gradients", empty)
    with pytest.raises(ValueError, match="the assignments are"):
        check.parameters("nope", "alice")
