"""Gradient descent (single and batched) and the exact gradient flow on S.

Book labels checked here: ``thm-riccati``, ``cor-convergence`` and, through the full flow
from a point of S, ``thm-invariance`` (book/results.ipynb).
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import ufm


def full_flow(state, times):
    """The gradient flow of the risk, integrated by a high-order ODE solver."""
    H0, W0, b0 = state
    shapes = [x.shape for x in state]
    sizes = np.cumsum([x.size for x in state])[:-1]

    def unpack(z):
        return [part.reshape(s) for part, s in zip(np.split(z, sizes), shapes)]

    def rhs(_, z):
        return -np.concatenate([g.ravel() for g in ufm.gradients(*unpack(z))])

    z0 = np.concatenate([x.ravel() for x in state])
    sol = solve_ivp(rhs, (0, times[-1]), z0, t_eval=times, method="DOP853", rtol=1e-13, atol=1e-15)
    assert sol.success
    return [unpack(z) for z in sol.y.T]


def rank_deficient_W0(C, p, rank, seed):
    rng = np.random.default_rng(seed)
    W = ufm.centering(C) @ rng.standard_normal((C, rank)) @ rng.standard_normal((rank, p))
    return W / np.linalg.norm(W)


@pytest.mark.parametrize(
    ("C", "N", "p", "rank"), [(3, 3, 15, 2), (4, 2, 5, 3), (4, 2, 5, 1), (5, 3, 6, 2)]
)
def test_flow_on_S_agrees_with_an_ODE_solver(C, N, p, rank):
    """Book: ``thm-riccati``; the full flow from S is the flow on S, ``thm-invariance``."""
    W0 = rank_deficient_W0(C, p, rank, seed=C * p + rank)
    beta0 = 0.3
    times = np.array([0.0, 0.5, 2.0, 7.0, 20.0])
    H, W, b = ufm.flow_on_S(W0, beta0, times, N)
    assert H.shape == (5, p, C * N) and W.shape == (5, C, p) and b.shape == (5, C)
    start = (np.repeat(W0.T, N, axis=1) / np.sqrt(N), W0, np.full(C, beta0))
    for k, (Hs, Ws, bs) in enumerate(full_flow(start, times)):
        for ours, theirs in ((H[k], Hs), (W[k], Ws), (b[k], bs)):
            assert np.linalg.norm(ours - theirs) <= 1e-8 * np.linalg.norm(theirs)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_flow_on_S_converges_to_sqrtN_times_the_projector_onto_the_range_of_W0(rank):
    """Book: ``cor-convergence``."""
    C, N, p = 4, 5, 6
    W0 = rank_deficient_W0(C, p, rank, seed=rank)
    _, W, b = ufm.flow_on_S(W0, -1.0, 1e6, N)
    U = np.linalg.svd(W0)[0][:, :rank]
    np.testing.assert_allclose(W @ W.T, np.sqrt(N) * U @ U.T, atol=1e-10)
    np.testing.assert_allclose(b, np.full(C, 1 / C))
    is_strong_collapse = np.allclose(W @ W.T, np.sqrt(N) * ufm.centering(C))
    assert is_strong_collapse == (rank == C - 1)


def test_small_step_descent_approaches_the_flow_with_error_proportional_to_the_step():
    C, N, p = 3, 2, 4
    W0 = rank_deficient_W0(C, p, 2, seed=3)
    start = (np.repeat(W0.T, N, axis=1) / np.sqrt(N), W0, np.full(C, 0.1))
    T = 4.0
    _, W_exact, _ = ufm.flow_on_S(W0, 0.1, T, N)
    gaps = []
    for lr in (0.02, 0.01, 0.005):
        _, W, _ = ufm.gradient_descent(*start, lr=lr, steps=round(T / lr)).final
        gaps.append(np.linalg.norm(W - W_exact))
    ratios = np.array(gaps[:-1]) / np.array(gaps[1:])
    assert np.all((ratios > 1.8) & (ratios < 2.2)), ratios


def test_flow_conserves_WtW_minus_HHt_so_descent_drift_shrinks_with_the_step():
    start = ufm.random_init(3, 2, 5, 1.0, seed=4)
    H0, W0, _ = start
    balance0 = W0.T @ W0 - H0 @ H0.T
    drifts = []
    for lr in (0.04, 0.02, 0.01):
        H, W, _ = ufm.gradient_descent(*start, lr=lr, steps=round(4.0 / lr)).final
        drifts.append(np.linalg.norm(W.T @ W - H @ H.T - balance0))
    assert drifts[1] < 0.6 * drifts[0] and drifts[2] < 0.6 * drifts[1], drifts


def test_descent_records_what_it_promises():
    start = ufm.random_init(3, 3, 15, 0.1, seed=0)
    tr = ufm.gradient_descent(*start, lr=1.0, steps=100, record_every=30)
    np.testing.assert_array_equal(tr.steps, [0, 30, 60, 90, 100])
    assert tr.risk.shape == (5,) and tr.errors.shape == (5, 3) and tr.distance_to_S.shape == (5,)
    assert tr.diverged_at is None
    assert np.isclose(tr.risk[0], ufm.risk(*start))
    np.testing.assert_allclose(tr.errors[0], ufm.strong_collapse_errors(*start), rtol=1e-12)
    assert np.isclose(tr.distance_to_S[0], ufm.distance_to_S(*start), rtol=1e-12)
    np.testing.assert_allclose(tr.errors[-1], ufm.strong_collapse_errors(*tr.final), rtol=1e-12)
    assert np.isclose(tr.risk[-1], ufm.risk(*tr.final), rtol=1e-12)


def test_descent_from_a_small_start_ends_near_strong_collapse():
    tr = ufm.gradient_descent(*ufm.random_init(3, 3, 15, 0.01, seed=1), lr=1.0, steps=4000)
    assert tr.risk[-1] < 1e-9
    assert np.all(tr.errors[-1] < 1e-2)
    assert tr.distance_to_S[-1] < 1e-2 < 0.5 < tr.distance_to_S[0]


def test_batched_descent_matches_runs_done_one_at_a_time_even_when_they_diverge():
    starts = [ufm.random_init(3, 2, 4, eps, seed=s) for s, eps in enumerate((0.1, 1.0, 3.0, 6.0))]
    lr, steps = 2.2, 300
    batch = ufm.gradient_descent(*ufm.stack(starts), lr=lr, steps=steps, record_every=7)
    singles = [ufm.gradient_descent(*s, lr=lr, steps=steps, record_every=7) for s in starts]
    assert len({d for d in batch.diverged_at if d >= 0}) >= 2, batch.diverged_at
    for k, single in enumerate(singles):
        assert batch.diverged_at[k] == (-1 if single.diverged_at is None else single.diverged_at)
        for ours, theirs in (
            (batch.risk[k], single.risk),
            (batch.errors[k], single.errors),
            (batch.distance_to_S[k], single.distance_to_S),
        ):
            np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)
        for ours, theirs in zip((x[k] for x in batch.final), single.final):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("method", ["full", "reduced"])
@pytest.mark.parametrize("size", [(3, 4, 5), (7, 2, 3)])  # C <= p + 1, and C > p + 1
def test_each_run_of_a_batch_can_have_its_own_step_size(method, size):
    starts = [ufm.random_init(*size, 0.5, seed=s) for s in range(3)]
    lrs = np.array([0.5, 1.0, 40.0])  # the last one diverges
    batch = ufm.gradient_descent(*ufm.stack(starts), lr=lrs, steps=200, method=method)
    np.testing.assert_array_equal(batch.lr, lrs)
    for k, (start, lr) in enumerate(zip(starts, lrs)):
        single = ufm.gradient_descent(*start, lr=lr, steps=200, method=method)
        assert batch.diverged_at[k] == (-1 if single.diverged_at is None else single.diverged_at)
        np.testing.assert_allclose(batch.risk[k], single.risk, rtol=1e-12, equal_nan=True)
        for ours, theirs in zip((x[k] for x in batch.final), single.final):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300)
    assert batch.diverged_at[-1] > 0 and (batch.diverged_at[:2] == -1).all()


def test_step_sizes_per_run_are_checked():
    batch = ufm.stack([ufm.random_init(3, 2, 4, 0.1, seed=s) for s in range(2)])
    with pytest.raises(ValueError, match=r"lr has shape \(3,\); expected .* \(2,\)"):
        ufm.gradient_descent(*batch, lr=[0.1, 0.2, 0.3], steps=5)
    with pytest.raises(ValueError, match="lr must be > 0 for every run"):
        ufm.gradient_descent(*batch, lr=[0.1, -0.2], steps=5)
    with pytest.raises((TypeError, ValueError), match="lr"):
        ufm.gradient_descent(*ufm.random_init(3, 2, 4, 0.1), lr=[0.1], steps=5)


def test_a_diverging_run_is_frozen_at_its_last_finite_iterate_without_warnings():
    import warnings

    start = ufm.random_init(3, 3, 15, 0.1, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = ufm.gradient_descent(*start, lr=2.5, steps=500)
    k = tr.diverged_at
    assert k is not None and 0 < k < 500
    assert all(np.isfinite(x).all() for x in tr.final)
    assert np.isnan(tr.risk[k:]).all() and np.isfinite(tr.risk[:k]).all()
    assert np.isnan(tr.errors[k:]).all() and np.isfinite(tr.errors[:k]).all()
    again = ufm.gradient_descent(*start, lr=2.5, steps=k - 1)
    for ours, theirs in zip(tr.final, again.final):
        np.testing.assert_array_equal(ours, theirs)
