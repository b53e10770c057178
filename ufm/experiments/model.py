"""The experiments of the chapter on the model (``book/model.ipynb``).

The sweep over the size ``ε`` of the random start behind Figures 1 and 2 and the fitted
log–log slopes of the final errors (the scaling with ``ε`` is measured with them);
gradient descent with snapshots of the state, to watch the simplex form; and the plane of
the simplex in which the snapshots are drawn.

Book: the errors of Figure 1 measure the distance from ``def-strong-collapse`` (model
chapter, ``book/model.ipynb``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks
from ..collapse import class_summary
from ..dynamics import Trajectory, gradient_descent
from ..model import random_init, stack
from ..reduced import ReducedState


@dataclass(frozen=True)
class LoglogFit:
    """A straight line through points on log–log axes: ``log10 y ≈ intercept + slope log10 x``.

    Attributes
    ----------
    slope : float
        The exponent ``a`` in ``y ≈ 10^intercept · x^a``.
    intercept : float
        ``log10`` of the prefactor.
    """

    slope: float
    intercept: float

    def __call__(self, x):
        """The fitted ``y`` at ``x`` (``10^intercept · x^slope``)."""
        return 10.0**self.intercept * np.asarray(x, dtype=float) ** self.slope


def fit_loglog_slope(x, y) -> LoglogFit:
    """Least-squares line through ``(log10 x, log10 y)``: the exponent of a power law.

    Parameters
    ----------
    x, y : array_like
        Positive finite numbers of the same shape (any shape; all points are pooled, so
        several seeds per ``x`` may be passed as columns of a 2-D array).

    Returns
    -------
    LoglogFit

    Raises
    ------
    ValueError
        If the shapes differ, a value is not positive, or ``x`` has fewer than 2 distinct
        values.
    """
    x = _checks.as_array(x, "x", (1, 2, 3))
    y = _checks.as_array(y, "y", (1, 2, 3))
    if x.shape != y.shape:
        raise ValueError(f"x has shape {x.shape} and y has shape {y.shape}; expected equal shapes")
    for name, arr in (("x", x), ("y", y)):
        if (arr <= 0).any():
            raise ValueError(f"{name} has entries <= 0; a log–log fit needs positive numbers")
    if np.unique(x).size < 2:
        raise ValueError("x has fewer than 2 distinct values; a slope needs at least 2")
    slope, intercept = np.polyfit(np.log10(x.ravel()), np.log10(y.ravel()), 1)
    return LoglogFit(float(slope), float(intercept))


#: Names of the four quantities whose final values :class:`EpsSweep` reports, in order.
FINAL_QUANTITIES = (
    "||W W^T - sqrt(N) P||_F",
    "||H - (W ⊗ 1)^T/sqrt(N)||_F / ||H||_F",
    "||b - 1/C||_2",
    "distance from S",
)


@dataclass(frozen=True)
class EpsSweep:
    """Gradient descent from random starts of several sizes ``ε`` and several seeds.

    Attributes
    ----------
    eps : ndarray, shape (E,)
        Sizes of the random start, ``||H_0||_F = ||W_0||_F = ε``, ``b_0 = 0``.
    seeds : ndarray of int, shape (S,)
        Seeds of :func:`ufm.random_init`; a seed gives the same directions for every ``ε``.
    steps : ndarray of int, shape (T,)
        Recorded iterations.
    risk : ndarray, shape (E, S, T)
        Empirical risk ``R_e``.
    errors : ndarray, shape (E, S, T, 3)
        The three strong-collapse errors (see :func:`ufm.strong_collapse_errors`).
    distance_to_S : ndarray, shape (E, S, T)
        Relative distance from S, ``||Z - proj_S Z||_E / ||Z||_E``.
    diverged_at : ndarray of int, shape (E, S)
        First non-finite step, ``-1`` if the run did not diverge.
    """

    eps: np.ndarray
    seeds: np.ndarray
    steps: np.ndarray
    risk: np.ndarray
    errors: np.ndarray
    distance_to_S: np.ndarray
    diverged_at: np.ndarray

    @property
    def final(self) -> np.ndarray:
        """Final values, shape ``(E, S, 4)``: the three errors and the distance from S
        (in the order of ``FINAL_QUANTITIES``)."""
        return np.concatenate([self.errors[:, :, -1], self.distance_to_S[:, :, -1, None]], axis=-1)

    def fits(self) -> tuple[LoglogFit, ...]:
        """Power laws ``final ≈ const · ε^slope`` of the four final quantities, all seeds pooled.

        Raises
        ------
        ValueError
            If a run diverged or a final value is 0 (no log–log fit is then possible).
        """
        if (self.diverged_at >= 0).any():
            raise ValueError("some runs diverged; lower the step size lr to fit the scaling in ε")
        eps = np.broadcast_to(self.eps[:, None], self.final.shape[:2])
        return tuple(fit_loglog_slope(eps, self.final[:, :, j]) for j in range(4))


def _seed_list(seeds) -> list[int]:
    """Check a one-dimensional sequence of non-negative integer seeds."""
    arr = np.asarray(seeds)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"seeds must be a non-empty 1-D sequence of integers; got {arr.shape}")
    return [_checks.positive_int(s.item(), "seed", 0) for s in arr]


def eps_sweep(C, N, p, eps, seeds, lr=1.0, steps=4000, record_every=1) -> EpsSweep:
    """Run gradient descent from :func:`ufm.random_init` for every ``ε`` and seed, as one batch.

    Parameters
    ----------
    C, N, p : int
        Classes (``>= 2``), samples per class and feature dimension.
    eps : array_like of float, shape (E,)
        Sizes ``ε > 0`` of the random start.
    seeds : array_like of int, shape (S,)
        Non-negative seeds.
    lr : float
        Step size ``η``.
    steps : int
        Number of steps.
    record_every : int
        Record every this many steps (and at the last).

    Returns
    -------
    EpsSweep
    """
    C, N, p = _checks.sizes(C, N, p)
    eps = _checks.as_array(eps, "eps", 1)
    if (eps <= 0).any():
        raise ValueError(f"eps must be positive; got minimum {eps.min()}")
    seeds = _seed_list(seeds)
    runs = [random_init(C, N, p, float(e), seed=s) for e in eps for s in seeds]
    trajectory = gradient_descent(*stack(runs), lr=lr, steps=steps, record_every=record_every)
    E, S = eps.size, len(seeds)
    T = trajectory.steps.size
    return EpsSweep(
        eps=eps,
        seeds=np.array(seeds),
        steps=trajectory.steps,
        risk=trajectory.risk.reshape(E, S, T),
        errors=trajectory.errors.reshape(E, S, T, 3),
        distance_to_S=trajectory.distance_to_S.reshape(E, S, T),
        diverged_at=np.asarray(trajectory.diverged_at).reshape(E, S),
    )


@dataclass(frozen=True)
class SnapshotRun:
    """Gradient descent with the state kept at a few chosen steps.

    Attributes
    ----------
    trajectory : Trajectory
        The recorded risk, errors and distance from S, as :func:`ufm.gradient_descent`
        returns them (recorded every ``record_every`` steps, at every snapshot and at the
        last step).
    snapshot_steps : ndarray of int, shape (K,)
        Steps at which the state was kept (for a diverged run, those reached before it
        diverged).
    W : ndarray, shape (K, C, p)
        Classifier at each snapshot.
    class_means : ndarray, shape (K, p, C)
        Class means ``H̄`` of the features at each snapshot.
    within : ndarray, shape (K,)
        Within-class sum of squares ``||Δ||_F^2`` at each snapshot.
    b : ndarray, shape (K, C)
        Bias at each snapshot.
    """

    trajectory: Trajectory
    snapshot_steps: np.ndarray
    W: np.ndarray
    class_means: np.ndarray
    within: np.ndarray
    b: np.ndarray


def snapshot_schedule(steps, count=40) -> np.ndarray:
    """Steps ``0 = k_0 < k_1 < … = steps``, about ``count`` of them, geometrically spaced.

    Early steps are dense (the geometry forms there) and late ones sparse.
    """
    steps = _checks.positive_int(steps, "steps")
    count = _checks.positive_int(count, "count", 2)
    grid = np.unique(np.round(np.geomspace(1, steps + 1, count) - 1).astype(int))
    return np.unique(np.r_[0, grid, steps])


def descent_with_snapshots(start, lr, steps, snapshot_steps=None, record_every=1) -> SnapshotRun:
    """Gradient descent from one state, keeping ``W``, ``H̄``, ``||Δ||^2`` and ``b`` at chosen steps.

    The run is made of consecutive calls of :func:`ufm.gradient_descent`, one between
    neighbouring snapshots, so it is the same sequence of iterates as a single call.

    Parameters
    ----------
    start : tuple (H, W, b) or ufm.ReducedState
        Initial state (a single state, not a batch). A :class:`ufm.ReducedState` runs the
        reduced iteration, whose cost per step does not depend on ``N``; the final state is
        then a ``ReducedState`` too.
    lr : float
        Step size ``η``.
    steps : int
        Number of steps.
    snapshot_steps : array_like of int, optional
        Increasing steps in ``[0, steps]`` at which to keep the state; default
        :func:`snapshot_schedule` ``(steps)``. Step 0 and ``steps`` are always added.
    record_every : int
        Record the risk, errors and distance from S every this many steps.

    Returns
    -------
    SnapshotRun
        A diverged run stops at its first non-finite iterate; the recorded values from
        there on are NaN and ``trajectory.diverged_at`` is that step.
    """
    if isinstance(start, ReducedState):
        if start.batched:
            raise ValueError("start is a batch of reduced states; expected a single state")
        C = start.C
        state = start
    else:
        if not isinstance(start, (tuple, list)) or len(start) != 3:
            raise TypeError("start must be a triple (H, W, b) or a ufm.ReducedState")
        H, W, b, C, _, _, _ = _checks.triple(*start)
        state = (H, W, b)
    lr = _checks.positive_float(lr, "lr")
    steps = _checks.positive_int(steps, "steps")
    record_every = _checks.positive_int(record_every, "record_every")
    if snapshot_steps is None:
        marks = snapshot_schedule(steps)
    else:
        marks = _checks.as_array(snapshot_steps, "snapshot_steps", 1)
        if (marks != np.round(marks)).any() or (marks < 0).any() or (marks > steps).any():
            raise ValueError(f"snapshot_steps must be integers in [0, steps = {steps}]")
        if (np.diff(marks) <= 0).any():
            raise ValueError("snapshot_steps must be strictly increasing")
        marks = np.unique(np.r_[0, marks.astype(int), steps])

    def summary(state):
        if isinstance(state, ReducedState):
            return state.W, state.Hbar, float(np.trace(state.Sigma)), state.b
        Hbar, within = class_summary(state[0], C)
        return state[1], Hbar, within, state[2]

    def advance(state, count, method):
        # The first part picks the implementation ("auto"); the later parts keep it, so the
        # whole run has one method.
        args = (state,) if isinstance(state, ReducedState) else state
        return gradient_descent(*args, lr=lr, steps=count, record_every=record_every, method=method)

    kept = [summary(state)]
    recorded_steps, risks, errors, distances = [], [], [], []
    diverged_at = None
    method = "auto"
    for first, last in zip(marks[:-1], marks[1:]):
        part = advance(state, int(last - first), method)
        method = part.method
        skip = 1 if recorded_steps else 0
        recorded_steps.append(first + part.steps[skip:])
        risks.append(part.risk[skip:])
        errors.append(part.errors[skip:])
        distances.append(part.distance_to_S[skip:])
        state = part.final
        if part.diverged_at is not None:
            diverged_at = int(first + part.diverged_at)
            rest = np.unique(np.r_[np.arange(last, steps + 1, record_every), steps])
            rest = rest[rest > last]
            recorded_steps.append(rest)
            risks.append(np.full(rest.size, np.nan))
            errors.append(np.full((rest.size, 3), np.nan))
            distances.append(np.full(rest.size, np.nan))
            break
        kept.append(summary(state))

    trajectory = Trajectory(
        final=state,
        steps=np.concatenate(recorded_steps),
        risk=np.concatenate(risks),
        errors=np.concatenate(errors),
        distance_to_S=np.concatenate(distances),
        diverged_at=diverged_at,
        lr=lr,
        method=method,
    )
    Ws, means, within, bs = (np.array(x) for x in zip(*kept))
    return SnapshotRun(trajectory, marks[: len(kept)], Ws, means, within, bs)


@dataclass(frozen=True)
class PlaneView:
    """Classifier rows and scaled class means in a plane of ``R^p``, for drawing.

    Attributes
    ----------
    W : ndarray, shape (K, C, 2)
        Coordinates of the rows ``W_c`` at each snapshot.
    means : ndarray, shape (K, C, 2)
        Coordinates of ``sqrt(N) μ_c`` (at strong collapse they coincide with ``W_c``).
    radius : float
        ``N^{1/4} sqrt((C-1)/C)``, the length of every ``W_c`` at strong collapse.
    """

    W: np.ndarray
    means: np.ndarray
    radius: float


def simplex_plane(W, class_means, N) -> PlaneView:
    """Project classifier rows and class means on the plane of the final classifier.

    The plane is spanned by the two leading right singular vectors of the last ``W``;
    for ``C = 3`` at strong collapse it holds the whole simplex. Coordinates are rotated so
    that the last ``W_1`` points straight up and the last ``W_2`` lies on the left, so runs
    with different seeds (and different LAPACK builds, which choose the signs of singular
    vectors differently) look alike.

    Parameters
    ----------
    W : array_like, shape (K, C, p)
        Classifiers at ``K`` snapshots (the last one fixes the plane).
    class_means : array_like, shape (K, p, C)
        Class means ``H̄`` at the same snapshots.
    N : int
        Samples per class.

    Returns
    -------
    PlaneView
    """
    W = _checks.as_array(W, "W", 3)
    Hbar = _checks.as_array(class_means, "class_means", 3)
    N = _checks.positive_int(N, "N")
    K, C, p = W.shape
    if Hbar.shape != (K, p, C):
        raise ValueError(f"class_means has shape {Hbar.shape}; expected {(K, p, C)} to match W")
    _, _, Vt = np.linalg.svd(W[-1])
    basis = np.zeros((p, 2))
    basis[:, : min(2, p)] = Vt[: min(2, p)].T
    w_plane = W @ basis
    m_plane = np.sqrt(N) * np.swapaxes(Hbar, 1, 2) @ basis
    x, y = w_plane[-1, 0]
    angle = np.pi / 2 - np.arctan2(y, x) if x or y else 0.0
    rotation = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    w_plane, m_plane = w_plane @ rotation, m_plane @ rotation
    if C > 1 and w_plane[-1, 1, 0] > 0:
        w_plane[..., 0] *= -1
        m_plane[..., 0] *= -1
    return PlaneView(w_plane, m_plane, N**0.25 * np.sqrt((C - 1) / C))
