"""Bad input gets a clear error that names the argument and what was expected."""

import numpy as np
import pytest

import ufm

GOOD = ufm.random_init(3, 3, 4, 0.5, seed=0)
H, W, b = GOOD

STATE_FUNCTIONS = [
    ufm.risk,
    ufm.gradients,
    ufm.strong_collapse_errors,
    ufm.project_S,
    ufm.distance_to_S,
    lambda H, W, b: ufm.gradient_descent(H, W, b, lr=0.5, steps=2),
]


@pytest.mark.parametrize("f", STATE_FUNCTIONS)
@pytest.mark.parametrize(
    ("state", "message"),
    [
        ((H[:, :-1], W, b), r"H has 8 columns; expected C\*N columns for C=3"),
        ((H[:-1], W, b), r"H has 3 rows; expected p = 4"),
        ((H, W, b[:2]), r"b has 2 entries; expected C = 3"),
        ((H, W[:1], b[:1]), r"W has 1 row; expected one row per class and C >= 2"),
        ((H.ravel(), W, b), r"H must be a 2-dimensional array"),
        ((H, W, np.array([0.0, np.nan, 0.0])), r"b has NaN or infinite entries"),
        ((H, np.full_like(W, np.inf), b), r"W has NaN or infinite entries"),
        ((H, W, "bias"), r"b must be an array of real numbers"),
        ((H, np.zeros((3, 0)), b), r"W is empty"),
    ],
)
def test_malformed_states_are_refused_with_a_message(f, state, message):
    with pytest.raises((ValueError, TypeError), match=message):
        f(*state)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((1, 3, 4, 0.1), ValueError, r"C must be an integer >= 2; got 1"),
        ((3, 0, 4, 0.1), ValueError, r"N must be an integer >= 1; got 0"),
        ((3, 3, 0, 0.1), ValueError, r"p must be an integer >= 1; got 0"),
        ((3, 3.5, 4, 0.1), TypeError, r"N must be an integer; got 3.5"),
        ((3, 3, 4, 0.0), ValueError, r"eps must be a finite number > 0; got 0.0"),
        ((3, 3, 4, -1.0), ValueError, r"eps must be a finite number > 0"),
        ((3, 3, 4, np.inf), ValueError, r"eps must be a finite number > 0"),
    ],
)
def test_random_init_refuses_bad_sizes(args, error, message):
    with pytest.raises(error, match=message):
        ufm.random_init(*args, seed=0)


def test_random_init_refuses_a_bad_seed():
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0; got -1"):
        ufm.random_init(3, 3, 4, 0.1, seed=-1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lr": 0.0, "steps": 5}, ValueError, r"lr must be a finite number > 0; got 0.0"),
        ({"lr": -0.1, "steps": 5}, ValueError, r"lr must be a finite number > 0"),
        ({"lr": "big", "steps": 5}, TypeError, r"lr must be a positive number"),
        ({"lr": 0.1, "steps": 0}, ValueError, r"steps must be an integer >= 1; got 0"),
        ({"lr": 0.1, "steps": 2.0}, TypeError, r"steps must be an integer"),
        (
            {"lr": 0.1, "steps": 5, "record_every": 0},
            ValueError,
            r"record_every must be an integer >= 1",
        ),
    ],
)
def test_gradient_descent_refuses_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        ufm.gradient_descent(H, W, b, **kwargs)


def test_gradient_descent_refuses_batches_of_different_sizes():
    Hs, Ws, bs = ufm.stack([GOOD, GOOD])
    with pytest.raises(ValueError, match=r"batch sizes differ: H has 1 runs, W has 2, b has 2"):
        ufm.gradient_descent(Hs[:1], Ws, bs, lr=0.1, steps=1)


def test_stack_refuses_states_of_different_sizes():
    with pytest.raises(ValueError, match="different shapes"):
        ufm.stack([GOOD, ufm.random_init(3, 2, 4, 0.5, seed=0)])


def test_flow_on_S_points_to_project_S_when_W0_is_not_in_S():
    with pytest.raises(ValueError, match=r"1\^T W0 = 0.*ufm.project_S"):
        ufm.flow_on_S(W, 0.0, 1.0, 3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((ufm.centering(3) @ W, 0.0, -1.0, 3), r"t must be >= 0"),
        ((ufm.centering(3) @ W, np.nan, 1.0, 3), r"beta0 must be a finite real number"),
        ((ufm.centering(3) @ W, 0.0, 1.0, 0), r"N must be an integer >= 1; got 0"),
        ((ufm.centering(3) @ W, 0.0, np.ones((2, 2)), 3), r"t must be a 0 or 1-dimensional"),
    ],
)
def test_flow_on_S_refuses_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        ufm.flow_on_S(*args)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((H, np.zeros(5)), {}, ValueError, r"labels has shape \(5,\); expected \(9,\)"),
        ((H, np.zeros(9)), {}, ValueError, r"there are C = 1 classes"),
        (
            (H, np.repeat([0, 1, 2], 3)),
            {"W": W[:, :2]},
            ValueError,
            r"W has 2 columns; expected p = 4",
        ),
        ((H, np.repeat([0, 1, 5], 3)), {"W": W}, ValueError, r"labels must lie in 0, …, 2"),
        ((H, np.repeat(["a", "b", "c"], 3)), {}, TypeError, r"labels must be integers"),
        ((H, np.repeat([0, 1, 2], 3)), {"W": W, "b": np.ones(2)}, ValueError, r"b has 2 entries"),
        ((np.ones((4, 9)), np.repeat([0, 1, 2], 3)), {}, ValueError, r"class means all coincide"),
    ],
)
def test_nc_metrics_refuse_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        ufm.nc_metrics(*args, **kwargs)
