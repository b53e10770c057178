"""Hessian, the stability limit of gradient descent, and the linearisation at rest.

Book labels checked here: ``thm-linearisation`` (book/results.ipynb).
"""

import numpy as np
from conftest import collapsible_sizes, random_state, seeds, sizes
from hypothesis import given

import ufm
from ufm import spectrum


@given(sizes.filter(lambda s: s[0] * s[1] * s[2] <= 30), seeds)
def test_hessian_equals_finite_differences_of_the_gradient(size, seed):
    state = random_state(*size, seed)
    Hess = spectrum.hessian(*state)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(Hess.shape[0])
    direction = spectrum.unflatten(v, *size)
    h = 1e-5
    plus = ufm.gradients(*(x + h * d for x, d in zip(state, direction)))
    minus = ufm.gradients(*(x - h * d for x, d in zip(state, direction)))
    numeric = np.concatenate([((a - m) / (2 * h)).ravel() for a, m in zip(plus, minus)])
    np.testing.assert_allclose(Hess @ v, numeric, rtol=1e-6, atol=1e-8)


@given(collapsible_sizes.filter(lambda s: s[0] * s[1] * s[2] <= 40), seeds)
def test_largest_hessian_eigenvalue_at_strong_collapse_is_1_plus_1_over_C_sqrtN(size, seed):
    C, N, _ = size
    lam = np.linalg.eigvalsh(spectrum.hessian(*ufm.strong_collapse(*size, seed=seed)))[-1]
    assert np.isclose(lam, 1 + 1 / (C * np.sqrt(N)), rtol=1e-10)
    assert np.isclose(spectrum.largest_stable_step(C, N), 2 / lam, rtol=1e-10)


@given(sizes.filter(lambda s: s[0] * s[1] * s[2] <= 40))
def test_linearisation_at_rest_has_the_predicted_spectrum(size):
    """Book: ``thm-linearisation``."""
    C, N, p = size
    values, vectors = spectrum.linearization_at_rest(C, N, p)
    rate = 1 / (C * np.sqrt(N))
    m = (C - 1) * p
    d = values.size
    np.testing.assert_allclose(values[:m], rate, atol=1e-12)
    np.testing.assert_allclose(values[m : d - m - C], 0, atol=1e-12)
    np.testing.assert_allclose(values[d - m - C : d - C], -rate, atol=1e-12)
    np.testing.assert_allclose(values[d - C :], -1, atol=1e-12)
    for k in range(m):
        growing = spectrum.unflatten(vectors[:, k], C, N, p)
        assert ufm.distance_to_S(*growing) < 1e-10
