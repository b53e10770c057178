"""The invariant subspace S: projection, invariance, and the split of the risk on S.

Book labels checked here: ``def-S``, ``lem-projection``, ``thm-invariance``
(book/results.ipynb).
"""

import numpy as np
import pytest
from conftest import random_state, seeds, sizes
from hypothesis import given

import ufm


def inner_E(x, y):
    """The inner product that induces ||.||_E on states."""
    return sum(np.vdot(a, b) for a, b in zip(x, y))


@given(sizes, seeds)
def test_a_random_point_of_S_is_in_S(size, seed):
    """Book: ``def-S``."""
    Z = ufm.random_point_in_S(*size, seed=seed)
    assert ufm.distance_to_S(*Z) < 1e-14
    assert abs(Z[1].sum(axis=0)).max() < 1e-14


@given(sizes, seeds)
def test_gradient_at_a_point_of_S_lies_in_S(size, seed):
    """Book: ``thm-invariance`` (the gradient lies in S)."""
    Z = ufm.random_point_in_S(*size, seed=seed)
    assert ufm.distance_to_S(*ufm.gradients(*Z)) <= 1e-12


@given(sizes, seeds)
def test_project_S_is_idempotent(size, seed):
    """Book: ``lem-projection``."""
    PZ = ufm.project_S(*random_state(*size, seed))
    for a, b in zip(ufm.project_S(*PZ), PZ):
        np.testing.assert_allclose(a, b, atol=1e-13)


@given(sizes, seeds)
def test_project_S_is_orthogonal_for_the_E_norm(size, seed):
    """Book: ``lem-projection``."""
    Z = random_state(*size, seed)
    PZ = ufm.project_S(*Z)
    residual = [a - b for a, b in zip(Z, PZ)]
    for k in range(3):
        S_point = ufm.random_point_in_S(*size, seed=seed + k + 1)
        scale = np.sqrt(inner_E(Z, Z) * inner_E(S_point, S_point))
        assert abs(inner_E(residual, S_point)) <= 1e-12 * scale


@given(sizes, seeds)
def test_distance_to_S_is_the_relative_norm_of_the_residual(size, seed):
    """Book: ``lem-projection``."""
    Z = random_state(*size, seed)
    PZ = ufm.project_S(*Z)
    residual = [a - b for a, b in zip(Z, PZ)]
    want = np.sqrt(inner_E(residual, residual) / inner_E(Z, Z))
    assert np.isclose(ufm.distance_to_S(*Z), want, rtol=1e-10)


@given(sizes, seeds)
def test_on_S_the_risk_splits_into_a_classifier_part_and_a_bias_part(size, seed):
    """Book: ``thm-invariance`` (the split of the risk on S)."""
    H, W, b = ufm.random_point_in_S(*size, scale=2.0, seed=seed)
    classifier, bias = ufm.risk_parts_on_S(W, b, size[1])
    assert np.isclose(ufm.risk(H, W, b), classifier + bias, rtol=1e-12)


def test_distance_of_the_zero_state_is_refused():
    H, W, b = ufm.random_init(3, 2, 4, 1.0, seed=0)
    with pytest.raises(ValueError, match="zero"):
        ufm.distance_to_S(0 * H, 0 * W, 0 * b)
