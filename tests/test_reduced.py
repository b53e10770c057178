"""The reduced state (H̄, Σ, W, b): exact, N-free gradient descent.

Book labels checked here: ``def-nc1`` (the recorded NC1, book/observed.ipynb).
"""

import tracemalloc
import warnings

import numpy as np
import pytest
from conftest import labels_of
from scipy import stats

import ufm
from ufm.reduced import ReducedState


def relative_gap(ours, theirs):
    """Largest difference relative to the largest entry (0 when both are exactly 0)."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    finite = ~np.isnan(theirs)
    gap = np.abs(ours[finite] - theirs[finite]).max()
    return gap / np.abs(theirs[finite]).max() if gap else 0.0


def assert_same_trajectory(ours, theirs, tol=1e-10):
    for name in ("risk", "errors", "distance_to_S", "nc1"):
        if getattr(theirs, name) is not None:
            assert relative_gap(getattr(ours, name), getattr(theirs, name)) <= tol, name
    np.testing.assert_array_equal(ours.diverged_at, theirs.diverged_at)
    for a, b in zip(ours.final, theirs.final):
        assert relative_gap(a, b) <= tol


# (C, N, p): C <= p + 1 (products through C x C residuals), C > p + 1 (no C x C matrix),
# C(N-1) < p (rank-deficient scatter), N = 1 (no deviations).
SIZES = [(3, 3, 15), (10, 20, 64), (12, 5, 4), (4, 2, 9), (5, 1, 3)]


@pytest.mark.parametrize(("C", "N", "p"), SIZES)
def test_reduced_descent_is_full_descent_to_1e_10_after_thousands_of_steps(C, N, p):
    starts = [ufm.random_init(C, N, p, eps, seed=s) for s, eps in enumerate((1e-3, 0.1, 1.0))]
    batch = ufm.stack(starts)
    kwargs = {"lr": 1.0, "steps": 3000, "record_every": 11, "nc1": True}
    full = ufm.gradient_descent(*batch, method="full", **kwargs)
    reduced = ufm.gradient_descent(*batch, method="reduced", **kwargs)
    assert (full.method, reduced.method) == ("full", "reduced")
    assert_same_trajectory(reduced, full)


def test_reduced_descent_diverges_at_the_same_step_and_freezes_the_same_iterate():
    starts = [ufm.random_init(3, 2, 4, eps, seed=s) for s, eps in enumerate((0.1, 1.0, 3.0, 6.0))]
    kwargs = {"lr": 2.2, "steps": 300, "record_every": 7}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = ufm.gradient_descent(*ufm.stack(starts), method="full", **kwargs)
        reduced = ufm.gradient_descent(*ufm.stack(starts), method="reduced", **kwargs)
    assert len({d for d in full.diverged_at if d >= 0}) >= 2, full.diverged_at
    assert_same_trajectory(reduced, full)


def test_descent_from_a_reduced_state_ends_at_the_reduced_state_of_full_descent():
    start = ufm.random_init(4, 6, 5, 0.05, seed=3)
    full = ufm.gradient_descent(*start, lr=1.0, steps=2000, method="full", nc1=True)
    reduced = ufm.gradient_descent(ReducedState.from_full(*start), lr=1.0, steps=2000, nc1=True)
    assert reduced.method == "reduced" and isinstance(reduced.final, ReducedState)
    expected = ReducedState.from_full(*full.final)
    for name in ("Hbar", "Sigma", "W", "b"):
        assert relative_gap(getattr(reduced.final, name), getattr(expected, name)) <= 1e-10
    for name in ("risk", "errors", "distance_to_S", "nc1"):
        assert relative_gap(getattr(reduced, name), getattr(full, name)) <= 1e-10


def test_batched_reduced_states_give_a_batched_reduced_final_state():
    states = [ReducedState.random(3, 4, 5, 0.1, seed=s) for s in range(3)]
    tr = ufm.gradient_descent(ReducedState.stack(states), lr=1.0, steps=50, record_every=10)
    assert tr.final.batched and tr.final.Sigma.shape == (3, 5, 5)
    assert tr.errors.shape == (3, 6, 3)
    single = ufm.gradient_descent(states[1], lr=1.0, steps=50, record_every=10)
    np.testing.assert_allclose(tr.final.W[1], single.final.W, rtol=1e-12)


@pytest.mark.parametrize(("C", "N", "p"), [(3, 3, 15), (6, 4, 3), (4, 1, 2)])
def test_reduced_state_measures_equal_the_full_measures(C, N, p):
    rng = np.random.default_rng(C * N * p)
    H, W, b = rng.standard_normal((p, C * N)), rng.standard_normal((C, p)), rng.standard_normal(C)
    state = ReducedState.from_full(H, W, b)
    assert np.isclose(state.risk(), ufm.risk(H, W, b), rtol=1e-12)
    np.testing.assert_allclose(
        state.strong_collapse_errors(), ufm.strong_collapse_errors(H, W, b), rtol=1e-12
    )
    assert np.isclose(state.distance_to_S(), ufm.distance_to_S(H, W, b), rtol=1e-12)
    assert np.isclose(state.nc1(), ufm.nc_metrics(H, labels_of(C, N))["nc1"], rtol=1e-10)


def test_recorded_nc1_is_the_nc1_of_nc_metrics():
    """Book: ``def-nc1``."""
    start = ufm.random_init(3, 4, 6, 0.1, seed=2)
    tr = ufm.gradient_descent(*start, lr=1.0, steps=300, record_every=300, nc1=True)
    for k, state in ((0, start), (-1, tr.final)):
        assert np.isclose(tr.nc1[k], ufm.nc_metrics(state[0], labels_of(3, 4))["nc1"], rtol=1e-9)
    assert ufm.gradient_descent(*start, lr=1.0, steps=3).nc1 is None


def test_the_first_collapse_error_keeps_its_accuracy_next_to_strong_collapse():
    C, N, p = 10, 1000, 64
    H, W, b = ufm.strong_collapse(C, N, p, seed=0)
    W = W + 1e-9 * np.random.default_rng(0).standard_normal(W.shape)
    exact = np.linalg.norm(W @ W.T - np.sqrt(N) * ufm.centering(C))
    state = ReducedState.from_full(np.repeat(W.T, N, axis=1) / np.sqrt(N), W, b)
    assert np.isclose(state.strong_collapse_errors()[0], exact, rtol=1e-6)
    # The expansion without a C x C matrix loses this error to cancellation:
    M = W.T @ W
    sq = np.vdot(M, M) - 2 * np.sqrt(N) * (np.vdot(W, W) - W.sum(0) @ W.sum(0) / C) + N * (C - 1)
    assert abs(np.sqrt(max(sq, 0.0)) - exact) > 0.5 * exact


def test_with_fewer_features_than_classes_no_C_by_C_matrix_is_formed():
    C, N, p = 3000, 50, 4
    state = ReducedState.random(C, N, p, 0.1, seed=0)
    tracemalloc.start()
    tr = ufm.gradient_descent(state, lr=1.0, steps=20, record_every=5, nc1=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.1 * C * C * 8, peak  # a C x C float64 matrix is 72 MB
    assert np.isfinite(tr.errors).all() and np.isfinite(tr.nc1).all()


def test_auto_takes_the_reduced_path_when_samples_per_class_outnumber_features():
    big = ufm.random_init(10, 200, 16, 0.1, seed=0)
    assert ufm.gradient_descent(*big, lr=1.0, steps=10).method == "reduced"
    single_sample = ufm.random_init(10, 1, 16, 0.1, seed=0)
    assert ufm.gradient_descent(*single_sample, lr=1.0, steps=100, record_every=50).method == "full"


@pytest.mark.parametrize(("C", "N", "p"), [(3, 3, 15), (2, 20, 4)])
def test_random_reduced_state_has_the_distribution_of_random_init(C, N, p):
    """Low degrees of freedom C(N-1) < p (3, 3, 15) and the Bartlett case (2, 20, 4)."""
    eps, n = 0.7, 1500
    ours = [ReducedState.random(C, N, p, eps, seed=s) for s in range(n)]
    theirs = [
        ReducedState.from_full(*ufm.random_init(C, N, p, eps, seed=s)) for s in range(n, 2 * n)
    ]

    def statistics(states):
        between = np.array([N * np.vdot(s.Hbar, s.Hbar) for s in states]) / eps**2
        top = np.array([np.linalg.eigvalsh(s.Sigma)[-1] for s in states]) / eps**2
        corner = np.array([s.Sigma[0, 1] for s in states]) / eps**2
        return between, top, corner

    for a, b in zip(statistics(ours), statistics(theirs)):
        assert stats.ks_2samp(a, b).pvalue > 1e-3
    # The share of the between-class energy is Beta(pC/2, pC(N-1)/2).
    share = statistics(ours)[0]
    assert stats.kstest(share, stats.beta(p * C / 2, p * C * (N - 1) / 2).cdf).pvalue > 1e-3
    for s in ours[:5]:
        assert np.isclose(N * np.vdot(s.Hbar, s.Hbar) + np.trace(s.Sigma), eps**2)
        assert np.isclose(np.linalg.norm(s.W), eps) and not s.b.any()


def test_a_million_samples_per_class_cost_no_more_than_ten():
    small = ReducedState.random(3, 10, 15, 0.01, seed=0)
    huge = ReducedState.random(3, 10**6, 15, 0.01, seed=0)
    tr = ufm.gradient_descent(huge, lr=1.0, steps=200, record_every=50)
    assert tr.final.N == 10**6 and huge.Sigma.shape == small.Sigma.shape == (15, 15)
    assert np.isfinite(tr.errors).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"Hbar": np.zeros((4, 2))}, r"Hbar has shape \(4, 2\); expected \(4, 3\)"),
        ({"Sigma": np.zeros((3, 3))}, r"Sigma has shape \(3, 3\); expected \(4, 4\)"),
        ({"Sigma": np.triu(np.ones((4, 4)))}, r"Sigma is not symmetric"),
        ({"b": np.zeros(2)}, r"b has shape \(2,\); expected \(3,\)"),
        ({"N": 0}, r"N must be an integer >= 1; got 0"),
        ({"W": np.zeros((1, 4)), "b": np.zeros(1)}, r"W has 1 row"),
    ],
)
def test_malformed_reduced_states_are_refused_with_a_message(kwargs, message):
    parts = {
        "Hbar": np.zeros((4, 3)),
        "Sigma": np.eye(4),
        "W": np.zeros((3, 4)),
        "b": np.zeros(3),
        "N": 2,
    }
    with pytest.raises(ValueError, match=message):
        ReducedState(**{**parts, **kwargs})


def test_a_scatter_that_is_not_positive_semidefinite_is_refused():
    # Refused when the state is made, before any measure reads it (risk, NC1, distance).
    with pytest.raises(ValueError, match="Sigma has a negative eigenvalue"):
        ReducedState(np.zeros((2, 3)), -np.eye(2), np.ones((3, 2)), np.zeros(3), 4)


def test_gradient_descent_refuses_bad_methods_and_mixed_arguments():
    H, W, b = ufm.random_init(3, 3, 4, 0.5, seed=0)
    state = ReducedState.from_full(H, W, b)
    with pytest.raises(ValueError, match=r"method must be 'auto', 'full' or 'reduced'; got 'fast'"):
        ufm.gradient_descent(H, W, b, lr=0.1, steps=1, method="fast")
    with pytest.raises(ValueError, match=r"method='full' needs the features H"):
        ufm.gradient_descent(state, lr=0.1, steps=1, method="full")
    with pytest.raises(TypeError, match=r"pass lr and steps by keyword"):
        ufm.gradient_descent(state, 0.1, 1)
