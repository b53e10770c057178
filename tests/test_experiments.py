"""The experiments behind the chapters on the model and the main results.

Book labels checked here: ``thm-collapse-is-nc``, ``lem-projection``, ``def-S``,
``thm-riccati``, ``thm-linearisation`` (book/results.ipynb).
"""

import numpy as np
import pytest

import ufm
from ufm import experiments as ex
from ufm.reduced import ReducedState


def test_fit_loglog_slope_recovers_a_power_law():
    x = np.geomspace(1e-3, 1, 7)
    fit = ex.fit_loglog_slope(x, 3.0 * x**1.5)
    assert np.isclose(fit.slope, 1.5) and np.isclose(fit.intercept, np.log10(3.0))
    np.testing.assert_allclose(fit(x), 3.0 * x**1.5)


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [([1, 2], [1, 2, 3], "shape"), ([1, 2], [0, 1], "positive"), ([2, 2], [1, 3], "distinct")],
)
def test_fit_loglog_slope_rejects_what_it_cannot_fit(x, y, match):
    with pytest.raises(ValueError, match=match):
        ex.fit_loglog_slope(x, y)


def test_eps_sweep_runs_are_those_of_random_init_and_gradient_descent():
    sweep = ex.eps_sweep(3, 2, 4, [0.1, 0.01], [0, 5], lr=1.0, steps=60, record_every=10)
    assert sweep.errors.shape == (2, 2, 7, 3) and sweep.risk.shape == (2, 2, 7)
    single = ufm.gradient_descent(*ufm.random_init(3, 2, 4, 0.01, seed=5), 1.0, 60, 10)
    np.testing.assert_allclose(sweep.errors[1, 1], single.errors, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(sweep.distance_to_S[1, 1], single.distance_to_S, rtol=1e-10)
    assert sweep.final.shape == (2, 2, 4)


def test_final_errors_scale_like_eps_squared_then_eps():
    sweep = ex.eps_sweep(3, 3, 15, np.geomspace(1e-4, 1e-1, 4), range(3), steps=1500)
    slopes = [fit.slope for fit in sweep.fits()]
    np.testing.assert_allclose(slopes, [2, 1, 1, 1], atol=0.1)


def test_fits_refuse_a_sweep_with_diverged_runs():
    sweep = ex.eps_sweep(3, 3, 4, [0.1, 0.01], [0], lr=3.0, steps=200)
    assert (sweep.diverged_at >= 0).all()
    with pytest.raises(ValueError, match="diverged"):
        sweep.fits()


def test_eps_sweep_validates_eps_and_seeds():
    with pytest.raises(ValueError, match="eps"):
        ex.eps_sweep(3, 3, 4, [0.1, -1.0], [0])
    with pytest.raises(TypeError, match="seed"):
        ex.eps_sweep(3, 3, 4, [0.1], [0.5])


def test_snapshot_schedule_is_increasing_from_0_to_steps():
    marks = ex.snapshot_schedule(4000, 30)
    assert marks[0] == 0 and marks[-1] == 4000 and (np.diff(marks) > 0).all()
    assert 20 <= marks.size <= 32


def test_descent_with_snapshots_is_the_same_run_as_one_call():
    start = ufm.random_init(3, 3, 6, 0.05, seed=2)
    run = ex.descent_with_snapshots(start, 0.8, 300, [7, 50, 120])
    single = ufm.gradient_descent(*start, 0.8, 300, method="full")
    np.testing.assert_array_equal(run.trajectory.steps, single.steps)
    np.testing.assert_allclose(run.trajectory.errors, single.errors, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(run.trajectory.risk, single.risk, rtol=1e-10, atol=1e-30)
    np.testing.assert_array_equal(run.snapshot_steps, [0, 7, 50, 120, 300])
    at_50 = ufm.gradient_descent(*start, 0.8, 50, method="full").final
    np.testing.assert_allclose(run.W[2], at_50[1], rtol=1e-12)
    np.testing.assert_allclose(run.class_means[2], ufm.class_summary(at_50[0], 3)[0], rtol=1e-12)


def test_descent_with_snapshots_from_a_reduced_state_agrees_with_the_full_run():
    start = ufm.random_init(3, 4, 5, 0.05, seed=3)
    full = ex.descent_with_snapshots(start, 1.0, 200, record_every=5)
    reduced = ex.descent_with_snapshots(ReducedState.from_full(*start), 1.0, 200, record_every=5)
    assert isinstance(reduced.trajectory.final, ReducedState)
    np.testing.assert_allclose(reduced.W, full.W, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(reduced.within, full.within, rtol=1e-10, atol=1e-20)
    np.testing.assert_allclose(reduced.trajectory.errors, full.trajectory.errors, rtol=1e-8)


def test_descent_with_snapshots_reports_the_method_that_ran():
    # A reduced start always runs reduced; before the fix the trajectory said "full".
    start = ufm.random_init(3, 4, 5, 0.05, seed=3)
    reduced = ex.descent_with_snapshots(ReducedState.from_full(*start), 1.0, 200)
    assert reduced.trajectory.method == "reduced"
    # A full start runs one method throughout, the one "auto" picks for its first part.
    full = ex.descent_with_snapshots(start, 1.0, 200, [10, 100])
    first = ufm.gradient_descent(*start, lr=1.0, steps=10)
    assert full.trajectory.method == first.method


def test_descent_with_snapshots_reports_divergence_like_one_call():
    start = ufm.random_init(3, 3, 4, 0.1, seed=0)
    run = ex.descent_with_snapshots(start, 2.6, 400, record_every=1)
    single = ufm.gradient_descent(*start, 2.6, 400)
    assert run.trajectory.diverged_at == single.diverged_at is not None
    np.testing.assert_array_equal(run.trajectory.steps, np.arange(401))
    assert np.isnan(run.trajectory.risk[single.diverged_at :]).all()
    assert np.isfinite(run.W).all() and run.snapshot_steps[-1] <= single.diverged_at


def test_descent_with_snapshots_validates_its_schedule():
    start = ufm.random_init(3, 2, 3, 0.1, seed=0)
    with pytest.raises(ValueError, match="increasing"):
        ex.descent_with_snapshots(start, 1.0, 10, [5, 3])
    with pytest.raises(ValueError, match="integers"):
        ex.descent_with_snapshots(start, 1.0, 10, [2.5])
    with pytest.raises(TypeError, match="triple"):
        ex.descent_with_snapshots(start[0], 1.0, 10)


def test_split_by_S_is_pythagoras_for_the_orthogonal_projection():
    """Book: ``lem-projection``."""
    H, W, b = ufm.random_init(4, 3, 5, 1.0, seed=1)
    b = np.arange(4.0)
    Hbar, within = ufm.class_summary(H, 4)
    inside, outside = ex.split_by_S(W, Hbar, within, b, 3)
    total = np.vdot(H, H) + np.vdot(W, W) + np.vdot(b, b)
    assert np.isclose(inside**2 + 4 * b.mean() ** 2 + outside**2, total)
    assert np.isclose(outside / np.sqrt(total), ufm.distance_to_S(H, W, b))


def test_split_by_S_puts_a_point_of_S_entirely_in_S():
    """Book: ``lem-projection``, ``def-S``."""
    H, W, b = ufm.random_point_in_S(3, 2, 4, scale=2.0, seed=0)
    inside, outside = ex.split_by_S(W, *ufm.class_summary(H, 3), b, 2)
    assert np.isclose(inside, 2.0 * np.sqrt(2)) and outside < 1e-14


def test_simplex_plane_of_strong_collapse_is_an_equilateral_triangle():
    N = 4
    H, W, _ = ufm.strong_collapse(3, N, 6, seed=1)
    view = ex.simplex_plane(W[None], ufm.class_summary(H, 3)[0][None], N)
    vertices = view.W[0]
    np.testing.assert_allclose(np.linalg.norm(vertices, axis=1), view.radius)
    np.testing.assert_allclose(view.means[0], vertices, atol=1e-12)
    cosines = (vertices @ vertices.T) / view.radius**2
    np.testing.assert_allclose(cosines[~np.eye(3, dtype=bool)], -0.5, atol=1e-12)
    assert abs(vertices[0, 0]) < 1e-12 and vertices[0, 1] > 0


def test_riccati_eigenvalues_are_those_of_the_flow_on_S():
    """Book: ``thm-riccati``."""
    t = np.array([0.0, 1.0, 10.0, 100.0])
    for rank in (1, 2, 3):
        _, W0, _ = ufm.subspace.point_in_S(4, 2, 5, rank, scale=0.3, seed=rank)
        _, W, _ = ufm.flow_on_S(W0, 0.0, t, 2)
        expected = ex.gram_eigenvalues(W)
        np.testing.assert_allclose(ufm.dynamics.riccati_eigenvalues(W0, t, 2), expected, atol=1e-12)
        limit = ufm.dynamics.riccati_eigenvalues(W0, [1e4], 2)[0]
        np.testing.assert_allclose(limit, [np.sqrt(2)] * rank + [0] * (4 - rank), atol=1e-12)


def test_riccati_eigenvalues_refuse_a_classifier_outside_S():
    with pytest.raises(ValueError, match="not in S"):
        ufm.dynamics.riccati_eigenvalues(np.ones((3, 2)), [0.0], 2)


def test_gradient_flow_agrees_with_the_closed_form_on_S():
    """Book: ``thm-riccati``."""
    start = ufm.subspace.point_in_S(3, 2, 4, 2, scale=0.2, beta=0.5, seed=4)
    t = np.array([0.0, 2.0, 15.0, 40.0])
    H, W, b = ex.gradient_flow(*start, t)
    Hc, Wc, bc = ufm.flow_on_S(start[1], 0.5, t, 2)
    for ours, exact in ((H, Hc), (W, Wc), (b, bc)):
        assert np.abs(ours - exact).max() <= 1e-9 * np.abs(exact).max()


def test_class_mean_flow_is_the_gradient_flow_from_class_constant_features():
    """Book: ``thm-riccati`` (its reference flow for any N)."""
    start = ufm.subspace.point_in_S(3, 4, 5, 2, scale=0.3, beta=0.5, seed=1)
    t = np.array([0.0, 2.0, 15.0, 40.0])
    H, W, b = ex.gradient_flow(*start, t)
    means = ufm.class_summary(start[0], 3)[0]
    Hbar, Wm, bm = ex.class_mean_flow(means, *start[1:], 4, t)
    np.testing.assert_allclose(np.repeat(Hbar, 4, axis=-1), H, atol=1e-10)
    np.testing.assert_allclose(Wm, W, atol=1e-10)
    np.testing.assert_allclose(bm, b, atol=1e-10)
    with pytest.raises(ValueError, match="class_means"):
        ex.class_mean_flow(means[:, :2], *start[1:], 4, t)


@pytest.mark.parametrize("rank", [1, 2, 4])
def test_the_flow_from_a_point_of_S_stays_in_the_span_of_the_rows_of_W(rank):
    """Book: ``thm-riccati`` at any p (the riccati explorer integrates in that span)."""
    C, N, p = 5, 4, 9
    H, W, b = ufm.subspace.point_in_S(C, N, p, rank, scale=0.5, beta=0.2, seed=rank)
    means = ufm.class_summary(H, C)[0]
    small_means, small_W = ex.in_row_space(means, W, rank)
    assert small_means.shape == (rank, C) and small_W.shape == (C, rank)
    t = np.array([0.0, 3.0, 30.0])
    _, W_full, b_full = ex.class_mean_flow(means, W, b, N, t)
    means_r, W_r, b_r = ex.class_mean_flow(small_means, small_W, b, N, t)
    # Rotations of the features leave W W^T, the class means' Gram matrix and W H̄ alone.
    np.testing.assert_allclose(
        W_r @ W_r.transpose(0, 2, 1), W_full @ W_full.transpose(0, 2, 1), atol=1e-9
    )
    np.testing.assert_allclose(b_r, b_full, atol=1e-9)
    with pytest.raises(ValueError, match="rank"):
        ex.in_row_space(means, W, 6)
    with pytest.raises(ValueError, match="class_means"):
        ex.in_row_space(means[:, :2], W, rank)


@pytest.mark.parametrize(("C", "N", "p"), [(2, 1, 1), (3, 3, 4), (4, 2, 3), (5, 3, 2)])
def test_rest_spectrum_by_blocks_is_the_dense_spectrum(C, N, p):
    """Book: ``thm-linearisation``."""
    from ufm.spectrum import linearization_at_rest

    dense = linearization_at_rest(C, N, p)[0]
    blocks = ufm.spectrum.rest_spectrum_by_blocks(C, N, p)
    np.testing.assert_allclose(blocks.values, dense, atol=1e-12)
    assert blocks.growing_distance < 1e-14


def test_random_direction_has_the_size_of_the_state_and_depends_on_the_seed_only():
    state = ufm.strong_collapse(3, 2, 4, seed=1)
    direction = ex.random_direction(*state, seed=3)
    size = lambda z: np.sqrt(sum(np.vdot(x, x) for x in z))  # noqa: E731
    assert np.isclose(size(direction), size(state))
    for x, y in zip(ex.random_direction(*state, seed=3), direction):
        np.testing.assert_array_equal(x, y)
    moved = ex.perturb(*state, 0.1, seed=3)
    for x, y, d in zip(moved, state, direction):
        np.testing.assert_allclose(x, y + 0.1 * d)
    with pytest.raises(ValueError, match="zero"):
        ex.random_direction(np.zeros((4, 6)), np.zeros((3, 4)), np.zeros(3))


def test_point_in_S_has_the_requested_rank_and_lies_in_S():
    """Book: ``def-S``."""
    H, W, b = ufm.subspace.point_in_S(5, 3, 6, 2, scale=1.5, beta=0.25, seed=0)
    assert np.linalg.matrix_rank(W) == 2 and np.isclose(np.linalg.norm(W), 1.5)
    assert ufm.distance_to_S(H, W, b) < 1e-15
    np.testing.assert_allclose(b, 0.25)
    with pytest.raises(ValueError, match="at most"):
        ufm.subspace.point_in_S(3, 3, 15, 3)


def test_perturb_moves_a_state_by_the_requested_relative_size():
    state = ufm.strong_collapse(3, 2, 4)
    norm = np.sqrt(sum(np.vdot(x, x) for x in state))
    moved = ex.perturb(*state, 1e-3, seed=0)
    gap = np.sqrt(sum(np.vdot(x - y, x - y) for x, y in zip(moved, state)))
    assert np.isclose(gap, 1e-3 * norm)
    for x, y in zip(ex.perturb(*state, 0.0), state):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match=">= 0"):
        ex.perturb(*state, -1.0)


def test_collapse_measures_vanish_at_strong_collapse():
    """Book: ``thm-collapse-is-nc``."""
    measures = ex.collapse_measures(*ufm.strong_collapse(4, 3, 5, seed=2))
    # NC1, NC3 and the risk are squares (rounding squared); the NC2 measures are not.
    for key, tolerance in [("nc1", 1e-28), ("nc3", 1e-28), ("risk", 1e-28)]:
        assert measures[key] < tolerance, key
    assert max(measures["nc2_equinorm"], measures["nc2_equiangular"]) < 1e-14
    assert measures["nc4"] == 0.0
