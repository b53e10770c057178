"""The extended model: weight decay, cross-entropy loss and unequal class sizes."""

import numpy as np
import pytest
from conftest import random_state, seeds
from hypothesis import given
from hypothesis import strategies as st

import ufm
from ufm import extensions as ext

#: Unequal class sizes (2 to 4 classes, 1 to 4 samples each) and a feature dimension.
unequal_sizes = st.tuples(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.integers(1, 5))
losses = st.sampled_from(ext.LOSSES)
decays = st.tuples(*[st.sampled_from([0.0, 0.03, 0.5])] * 3)


def random_unequal_state(sizes, p, seed):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((p, sum(sizes))),
        rng.standard_normal((len(sizes), p)),
        rng.standard_normal(len(sizes)),
    )


def settings_of(sizes, loss, lambdas):
    return dict(
        class_sizes=sizes, loss=loss, lambda_W=lambdas[0], lambda_H=lambdas[1], lambda_b=lambdas[2]
    )


def test_targets_and_labels_follow_the_class_sizes():
    np.testing.assert_array_equal(ext.class_labels([2, 1, 3]), [0, 0, 1, 2, 2, 2])
    Y = ext.class_targets([2, 1, 3])
    assert Y.shape == (3, 6)
    np.testing.assert_array_equal(Y.argmax(axis=0), ext.class_labels([2, 1, 3]))
    np.testing.assert_array_equal(ext.class_targets([3, 3]), ufm.targets(2, 3))


@given(st.tuples(st.integers(2, 4), st.integers(1, 3), st.integers(1, 5)), seeds)
def test_without_extensions_the_objective_is_the_books_risk(size, seed):
    state = random_state(*size, seed)
    assert np.isclose(ext.extended_risk(*state), ufm.risk(*state), rtol=1e-13)
    for mine, books in zip(ext.extended_gradients(*state), ufm.gradients(*state)):
        np.testing.assert_allclose(mine, books, rtol=1e-13, atol=1e-15)


@given(unequal_sizes, losses, decays, seeds)
def test_objective_is_the_mean_loss_plus_the_weight_decay_terms(size, loss, lambdas, seed):
    sizes, p = size
    H, W, b = random_unequal_state(sizes, p, seed)
    y = ext.class_labels(sizes)
    per_sample = []
    for i, label in enumerate(y):
        z = W @ H[:, i] + b
        if loss == "squared":
            per_sample.append(0.5 * np.sum((z - np.eye(len(sizes))[label]) ** 2))
        else:
            per_sample.append(np.log(np.sum(np.exp(z))) - z[label])
    want = np.mean(per_sample) + 0.5 * (
        lambdas[0] * np.sum(W**2) + lambdas[1] * np.sum(H**2) + lambdas[2] * np.sum(b**2)
    )
    got = ext.extended_risk(H, W, b, **settings_of(sizes, loss, lambdas))
    assert np.isclose(got, want, rtol=1e-12)


@given(unequal_sizes, losses, decays, seeds)
def test_gradients_equal_central_finite_differences(size, loss, lambdas, seed):
    sizes, p = size
    state = random_unequal_state(sizes, p, seed)
    setting = settings_of(sizes, loss, lambdas)
    grads = ext.extended_gradients(*state, **setting)
    h = 1e-6
    for which, (x, g) in enumerate(zip(state, grads)):
        assert g.shape == x.shape
        numeric = np.empty_like(x)
        for idx in np.ndindex(x.shape):
            plus = [y.copy() for y in state]
            minus = [y.copy() for y in state]
            plus[which][idx] += h
            minus[which][idx] -= h
            numeric[idx] = (
                ext.extended_risk(*plus, **setting) - ext.extended_risk(*minus, **setting)
            ) / (2 * h)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)


def test_cross_entropy_is_stable_for_huge_logits():
    H, W, b = random_unequal_state([2, 3], 2, 0)
    value = ext.extended_risk(1e3 * H, 1e3 * W, b, class_sizes=[2, 3], loss="cross_entropy")
    grads = ext.extended_gradients(1e3 * H, 1e3 * W, b, class_sizes=[2, 3], loss="cross_entropy")
    assert np.isfinite(value) and value > 0
    assert all(np.isfinite(g).all() for g in grads)


def test_extended_init_matches_random_init_for_equal_classes():
    mine = ext.extended_init([3, 3, 3], 15, 0.1, seed=4)
    books = ufm.random_init(3, 3, 15, 0.1, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(mine, books))
    H, W, b = ext.extended_init([5, 1], 4, 0.3, seed=1)
    assert H.shape == (4, 6) and W.shape == (2, 4) and not b.any()
    assert np.isclose(np.linalg.norm(H), 0.3) and np.isclose(np.linalg.norm(W), 0.3)


def test_descent_on_the_plain_model_matches_ufm_gradient_descent():
    state = ufm.random_init(3, 3, 15, 0.1, seed=0)
    mine = ext.extended_descent(*state, lr=1.0, steps=300, record_every=50)
    books = ufm.gradient_descent(*state, lr=1.0, steps=300, record_every=50)
    np.testing.assert_array_equal(mine.steps, books.steps)
    np.testing.assert_allclose(mine.objective, books.risk, rtol=1e-10)
    for x, y in zip(mine.final, books.final):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-14)


def test_descent_decreases_the_objective_of_every_extension():
    state = ext.extended_init([4, 2, 1], 5, 0.5, seed=3)
    for loss in ext.LOSSES:
        run = ext.extended_descent(
            *state,
            0.5,
            400,
            class_sizes=[4, 2, 1],
            loss=loss,
            lambda_W=0.01,
            lambda_H=0.01,
            record_every=100,
        )
        assert run.diverged_at is None
        assert np.all(np.diff(run.objective) < 0), (loss, run.objective)


def test_a_batch_with_one_step_size_per_run_equals_separate_runs():
    states = [ext.extended_init([2, 3], 3, 0.2, seed=s) for s in range(3)]
    batch = tuple(np.stack(parts) for parts in zip(*states))
    rates = np.array([0.1, 0.5, 1.0])
    setting = dict(class_sizes=[2, 3], loss="cross_entropy", lambda_H=0.1)
    run = ext.extended_descent(*batch, rates, 50, record_every=10, record_states=True, **setting)
    assert run.objective.shape == (3, 6) and run.states[0].shape == (3, 6, 3, 5)
    for k, state in enumerate(states):
        alone = ext.extended_descent(*state, rates[k], 50, record_every=10, **setting)
        np.testing.assert_allclose(run.objective[k], alone.objective, rtol=1e-12)
        np.testing.assert_allclose(run.final[1][k], alone.final[1], rtol=1e-12)
        np.testing.assert_allclose(run.states[1][k, -1], alone.final[1], rtol=1e-12)


def test_recorded_steps_can_be_chosen_and_always_end_with_the_last():
    state = ext.extended_init([2, 2], 3, 0.2, seed=0)
    run = ext.extended_descent(*state, 0.5, 30, record_steps=[0, 1, 10, 3], record_states=True)
    np.testing.assert_array_equal(run.steps, [0, 1, 3, 10, 30])
    every = ext.extended_descent(*state, 0.5, 30, record_states=True)
    np.testing.assert_array_equal(run.objective, every.objective[run.steps])
    np.testing.assert_array_equal(run.states[0], every.states[0][run.steps])


def test_a_diverging_run_is_frozen_and_reports_its_step_without_warnings():
    state = ext.extended_init([3, 3, 3], 4, 3.0, seed=0)
    batch = tuple(np.stack(parts) for parts in zip(state, state))
    with np.errstate(all="raise"):
        run = ext.extended_descent(*batch, np.array([0.1, 50.0]), 200, record_every=20)
    assert run.diverged_at[0] == -1 and run.diverged_at[1] > 0
    assert np.isfinite(run.objective[0]).all()
    assert np.isnan(run.objective[1, -1])
    assert all(np.isfinite(x).all() for x in run.final)


def test_row_cosines_of_a_simplex_are_minus_one_over_C_minus_1():
    _, W, _ = ufm.strong_collapse(5, 2, 6, seed=1)
    cos = ext.row_cosines(W)
    np.testing.assert_allclose(np.diag(cos), 1.0)
    np.testing.assert_allclose(cos[~np.eye(5, dtype=bool)], -1 / 4, atol=1e-12)


GOOD = ext.extended_init([3, 1, 3], 4, 0.5, seed=0)


@pytest.mark.parametrize(
    ("state", "kwargs", "error", "message"),
    [
        (GOOD, {"class_sizes": [3, 1]}, ValueError, r"class_sizes has 2 entries; expected C = 3"),
        (
            GOOD,
            {"class_sizes": [3, 1, 1]},
            ValueError,
            r"H has 7 columns; expected n = sum\(class_sizes\) = 5",
        ),
        (
            GOOD,
            {"class_sizes": [3, 0, 4]},
            ValueError,
            r"class_sizes\[1\] must be an integer >= 1; got 0",
        ),
        (GOOD, {"class_sizes": [3, 1.5, 3]}, TypeError, r"class_sizes\[1\] must be an integer"),
        (GOOD, {"class_sizes": 7}, TypeError, r"class_sizes must be a sequence of integers"),
        (GOOD, {"class_sizes": [7]}, ValueError, r"class_sizes has 1 entry; expected C >= 2"),
        (GOOD, {"class_sizes": [3, 1, 3], "loss": "hinge"}, ValueError, r"loss must be one of"),
        (
            GOOD,
            {"class_sizes": [3, 1, 3], "lambda_W": -1.0},
            ValueError,
            r"lambda_W must be a finite number >= 0; got -1.0",
        ),
        (
            GOOD,
            {"class_sizes": [3, 1, 3], "lambda_H": np.nan},
            ValueError,
            r"lambda_H must be a finite number >= 0",
        ),
        (
            GOOD,
            {"class_sizes": [3, 1, 3], "lambda_b": "big"},
            TypeError,
            r"lambda_b must be a number >= 0",
        ),
        (GOOD, {}, ValueError, r"H has 7 columns, not a multiple of C = 3; pass class_sizes"),
        (
            (GOOD[0][:-1], GOOD[1], GOOD[2]),
            {"class_sizes": [3, 1, 3]},
            ValueError,
            r"H has 3 rows; expected p = 4",
        ),
        (
            (GOOD[0], GOOD[1], GOOD[2][:2]),
            {"class_sizes": [3, 1, 3]},
            ValueError,
            r"b has 2 entries; expected C = 3",
        ),
        (
            (GOOD[0], GOOD[1][:1], GOOD[2][:1]),
            {},
            ValueError,
            r"W has 1 row; expected one row per class",
        ),
        (
            (GOOD[0], np.full((3, 4), np.inf), GOOD[2]),
            {},
            ValueError,
            r"W has NaN or infinite entries",
        ),
    ],
)
def test_malformed_input_is_refused_with_a_message(state, kwargs, error, message):
    for f in (ext.extended_risk, ext.extended_gradients):
        with pytest.raises(error, match=message):
            f(*state, **kwargs)
    with pytest.raises(error, match=message):
        ext.extended_descent(*state, 0.1, 2, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lr": 0.0}, ValueError, r"lr must be a finite number > 0; got 0.0"),
        (
            {"lr": np.array([0.1, 0.2])},
            ValueError,
            r"lr has shape \(2,\); expected a number, or one step size per run",
        ),
        ({"steps": 0}, ValueError, r"steps must be an integer >= 1; got 0"),
        ({"record_every": 0}, ValueError, r"record_every must be an integer >= 1"),
        ({"record_states": 1}, TypeError, r"record_states must be True or False"),
        ({"record_steps": [0, 3]}, ValueError, r"record_steps must lie in 0, …, steps = 2"),
        ({"record_steps": [0.5]}, TypeError, r"record_steps must be a non-empty 1-dimensional"),
        ({"record_steps": []}, TypeError, r"record_steps must be a non-empty 1-dimensional"),
    ],
)
def test_descent_refuses_bad_settings(kwargs, error, message):
    args = {"lr": 0.1, "steps": 2, **kwargs}
    with pytest.raises(error, match=message):
        ext.extended_descent(*GOOD, class_sizes=[3, 1, 3], **args)


def test_a_batch_refuses_step_sizes_that_are_not_positive():
    batch = tuple(np.stack(parts) for parts in zip(GOOD, GOOD))
    with pytest.raises(ValueError, match=r"lr must be > 0 for every run; got minimum -0.1"):
        ext.extended_descent(*batch, np.array([0.1, -0.1]), 2, class_sizes=[3, 1, 3])


def test_row_cosines_refuse_a_zero_row():
    with pytest.raises(ValueError, match="W has a zero row"):
        ext.row_cosines(np.array([[1.0, 0.0], [0.0, 0.0]]))


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (([2, 2], 0, 0.1), ValueError, r"p must be an integer >= 1; got 0"),
        (([2, 2], 3, -0.1), ValueError, r"eps must be a finite number > 0"),
        (([2, -1], 3, 0.1), ValueError, r"class_sizes\[1\] must be an integer >= 1; got -1"),
    ],
)
def test_extended_init_refuses_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        ext.extended_init(*args, seed=0)
