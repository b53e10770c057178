"""The risk, its gradients, targets and the random initialisation.

Book labels checked here: ``def-ufm`` and ``lem-gradients`` (book/model.ipynb).
"""

import numpy as np
from conftest import random_state, seeds, sizes
from hypothesis import given

import ufm


def test_targets_are_one_hot_columns_ordered_class_by_class():
    """Book: ``def-ufm`` (the targets Y)."""
    Y = ufm.targets(3, 2)
    assert Y.shape == (3, 6)
    np.testing.assert_array_equal(Y.argmax(axis=0), [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(Y.sum(axis=0), np.ones(6))


@given(sizes, seeds)
def test_risk_is_the_mean_of_per_sample_half_squared_errors(size, seed):
    """Book: ``def-ufm`` (the risk)."""
    C, N, p = size
    H, W, b = random_state(C, N, p, seed)
    Y = ufm.targets(C, N)
    per_sample = [0.5 * np.sum((W @ H[:, i] + b - Y[:, i]) ** 2) for i in range(C * N)]
    assert np.isclose(ufm.risk(H, W, b), np.mean(per_sample), rtol=1e-12)


@given(sizes, seeds)
def test_gradients_equal_central_finite_differences(size, seed):
    """Book: ``lem-gradients``."""
    C, N, p = size
    state = random_state(C, N, p, seed)
    grads = ufm.gradients(*state)
    h = 1e-6
    for which, (x, g) in enumerate(zip(state, grads)):
        assert g.shape == x.shape
        numeric = np.empty_like(x)
        for idx in np.ndindex(x.shape):
            plus = [y.copy() for y in state]
            minus = [y.copy() for y in state]
            plus[which][idx] += h
            minus[which][idx] -= h
            numeric[idx] = (ufm.risk(*plus) - ufm.risk(*minus)) / (2 * h)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)


@given(sizes, seeds.map(lambda s: 10.0 ** -(s % 7)), seeds)
def test_random_init_has_the_requested_size_and_zero_bias(size, eps, seed):
    H, W, b = ufm.random_init(*size, eps, seed)
    C, N, p = size
    assert H.shape == (p, C * N) and W.shape == (C, p) and b.shape == (C,)
    assert np.isclose(np.linalg.norm(H), eps) and np.isclose(np.linalg.norm(W), eps)
    assert not b.any()


def test_random_init_is_reproducible_from_its_seed():
    a = ufm.random_init(3, 3, 15, 0.1, seed=7)
    b = ufm.random_init(3, 3, 15, 0.1, seed=7)
    c = ufm.random_init(3, 3, 15, 0.1, seed=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_stack_puts_runs_on_a_leading_axis():
    runs = [ufm.random_init(3, 2, 4, eps, seed=0) for eps in (0.1, 0.2)]
    H, W, b = ufm.stack(runs)
    assert H.shape == (2, 4, 6) and W.shape == (2, 3, 4) and b.shape == (2, 3)
    np.testing.assert_array_equal(W[1], runs[1][1])
