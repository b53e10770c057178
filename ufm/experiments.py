"""The experiments of the book's chapters on the model and its main results.

Each function runs or measures one experiment, so that a reader can repeat it outside the
book: the sweep over the size ``ε`` of the random start behind Figures 1 and 2 and the
fitted log–log slopes; gradient descent with snapshots of the state (to watch the simplex
form); the gradient flow integrated by an ODE solver, for the full state or for the class
means (to check the closed form on S); the eigenvalues of ``W W^T`` predicted by that
closed form; points of S of a chosen rank; perturbations of a point of strong collapse and
the NC1–NC4 measures there; the spectrum of the flow linearised at ``(0, 0, 1_C/C)``,
assembled from its blocks for models of any size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks
from .collapse import class_summary, nc_metrics
from .dynamics import Trajectory, gradient_descent
from .model import _residual, gradients, random_init, risk, stack, targets
from .reduced import ReducedState
from .subspace import _project_parts


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
        Relative distance from S, ``||Z - Π_S Z||_E / ||Z||_E``.
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
        (in the order of :data:`FINAL_QUANTITIES`)."""
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

    def advance(state, count):
        if isinstance(state, ReducedState):
            return gradient_descent(state, lr=lr, steps=count, record_every=record_every)
        return gradient_descent(*state, lr=lr, steps=count, record_every=record_every)

    kept = [summary(state)]
    recorded_steps, risks, errors, distances = [], [], [], []
    diverged_at = None
    for first, last in zip(marks[:-1], marks[1:]):
        part = advance(state, int(last - first))
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
    )
    Ws, means, within, bs = (np.array(x) for x in zip(*kept))
    return SnapshotRun(trajectory, marks[: len(kept)], Ws, means, within, bs)


def split_by_S(W, class_means, within, b, N):
    """Sizes of the part of a state in S (without the bias) and of the part off S.

    With ``Π_S Z = ((V ⊗ 1_N)^T/sqrt(N), V, β 1_C)`` (see :func:`ufm.project_S`), returns
    ``||((V ⊗ 1_N)^T/sqrt(N), V, 0)||_E = sqrt(2) ||V||_F``, the part that grows near the
    stationary point ``(0, 0, 1_C/C)``, and ``||Z - Π_S Z||_E``.

    Parameters
    ----------
    W : array_like, shape (..., C, p)
    class_means : array_like, shape (..., p, C)
    within : array_like, shape (...)
        ``||Δ||_F^2``.
    b : array_like, shape (..., C)
    N : int
        Samples per class.

    Returns
    -------
    in_S, off_S : ndarray, shape (...)
    """
    W = _checks.as_array(W, "W", (2, 3))
    Hbar = _checks.as_array(class_means, "class_means", W.ndim)
    b = _checks.as_array(b, "b", W.ndim - 1)
    within = np.asarray(within, dtype=float)
    N = _checks.positive_int(N, "N")
    lead, (C, p) = W.shape[:-2], W.shape[-2:]
    if Hbar.shape != (*lead, p, C) or b.shape != (*lead, C) or within.shape != lead:
        raise ValueError(
            f"class_means, b and within have shapes {Hbar.shape}, {b.shape}, {within.shape}; "
            f"expected {(*lead, p, C)}, {(*lead, C)} and {lead} for W of shape {W.shape}"
        )
    if not np.isfinite(within).all() or (within < 0).any():
        raise ValueError("within (the within-class sum of squares) must be finite and >= 0")
    V, beta = _project_parts(Hbar, W, b, N)
    dH = Hbar - np.swapaxes(V, -1, -2) / np.sqrt(N)
    off = (
        N * np.einsum("...ij,...ij->...", dH, dH)
        + within
        + np.einsum("...ij,...ij->...", W - V, W - V)
        + np.einsum("...i,...i->...", b - beta[..., None], b - beta[..., None])
    )
    return np.sqrt(2 * np.einsum("...ij,...ij->...", V, V)), np.sqrt(off)


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
    that the last ``W_1`` points straight up, so runs with different seeds look alike.

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
    return PlaneView(w_plane @ rotation, m_plane @ rotation, N**0.25 * np.sqrt((C - 1) / C))


def gram_eigenvalues(W) -> np.ndarray:
    """Eigenvalues of ``A = W W^T``, largest first.

    Parameters
    ----------
    W : array_like, shape (C, p) or (T, C, p)

    Returns
    -------
    ndarray, shape (C,) or (T, C)
    """
    W = _checks.as_array(W, "W", (2, 3))
    return np.linalg.eigvalsh(W @ np.swapaxes(W, -1, -2))[..., ::-1]


def riccati_eigenvalues(W0, t, N, rank_tol=None) -> np.ndarray:
    """The eigenvalues of ``A(t) = W(t) W(t)^T`` along the gradient flow on S, in closed form.

    Each eigenvalue ``a > 0`` of ``A_0 = W_0 W_0^T`` moves to
    ``a(t) = [1/sqrt(N) + e^{-κt} (1/a - 1/sqrt(N))]^{-1}`` with ``κ = 2/(C sqrt(N))``
    (the scalar form of the Riccati solution); eigenvalues 0 stay 0. So ``a(t) → sqrt(N)``
    for every ``a > 0``.

    Parameters
    ----------
    W0 : array_like, shape (C, p)
        Initial classifier of a point of S (``1^T W0 = 0``).
    t : array_like of float, shape (T,)
        Times ``>= 0``.
    N : int
        Samples per class.
    rank_tol : float, optional
        Singular values of ``W0`` at or below ``rank_tol * s_max`` count as zero, as in
        :func:`ufm.flow_on_S` (default ``max(C, p) * machine epsilon``).

    Returns
    -------
    ndarray, shape (T, C)
        Largest first.
    """
    W0 = _checks.as_array(W0, "W0", 2)
    t = _checks.as_array(t, "t", 1)
    C, p = W0.shape
    C, N, _ = _checks.sizes(C, N, 1)
    if (t < 0).any():
        raise ValueError(f"t must be >= 0; got minimum {t.min()}")
    if np.linalg.norm(W0.sum(axis=0)) > 1e-10 * max(np.linalg.norm(W0), 1.0) * np.sqrt(C):
        raise ValueError("W0 is not in S: its columns must sum to zero (1^T W0 = 0)")
    if rank_tol is None:
        rank_tol = max(C, p) * np.finfo(float).eps
    rank_tol = float(rank_tol)
    if not np.isfinite(rank_tol) or rank_tol < 0:
        raise ValueError(f"rank_tol must be a finite number >= 0; got {rank_tol}")
    s = np.zeros(C)
    singular = np.linalg.svd(W0, compute_uv=False)
    s[: singular.size] = np.where(singular > rank_tol * singular[0], singular, 0.0)
    a0 = s**2
    decay = np.exp(-2.0 / (C * np.sqrt(N)) * t)[:, None]
    out = np.zeros((t.size, C))
    positive = a0 > 0
    out[:, positive] = 1.0 / (1.0 / np.sqrt(N) + decay * (1.0 / a0[positive] - 1.0 / np.sqrt(N)))
    return out


def gradient_flow(H, W, b, t, rtol=1e-12, atol=1e-14):
    """The gradient flow ``dZ/dt = -∇R_e(Z)`` integrated numerically (scipy, DOP853).

    Independent of every closed form: it uses only :func:`ufm.gradients`.

    Parameters
    ----------
    H, W, b : array_like
        Initial state, shapes ``(p, C*N)``, ``(C, p)``, ``(C,)``.
    t : array_like of float, shape (T,)
        Increasing times ``>= 0`` at which to return the state.
    rtol, atol : float
        Tolerances of the solver.

    Returns
    -------
    H, W, b : ndarray
        Shapes ``(T, p, C*N)``, ``(T, C, p)``, ``(T, C)``.

    Raises
    ------
    RuntimeError
        If the solver fails.
    """
    from scipy.integrate import solve_ivp

    H, W, b, C, N, p, _ = _checks.triple(H, W, b)
    t = _checks.as_array(t, "t", 1)
    if (t < 0).any() or (np.diff(t) < 0).any():
        raise ValueError("t must be non-negative and increasing")
    rtol = _checks.positive_float(rtol, "rtol")
    atol = _checks.positive_float(atol, "atol")
    cut = np.cumsum([H.size, W.size])

    def unpack(z):
        h, w, c = np.split(z, cut)
        return h.reshape(p, C * N), w.reshape(C, p), c

    def rhs(_, z):
        return -np.concatenate([g.ravel() for g in gradients(*unpack(z))])

    z0 = np.concatenate([H.ravel(), W.ravel(), b])
    solution = solve_ivp(rhs, (0.0, t[-1]), z0, t_eval=t, method="DOP853", rtol=rtol, atol=atol)
    if not solution.success:
        raise RuntimeError(f"the ODE solver failed: {solution.message}")
    states = [unpack(z) for z in solution.y.T]
    return tuple(np.array(x) for x in zip(*states))


def class_mean_flow(class_means, W, b, N, t, rtol=1e-12, atol=1e-14):
    """The gradient flow from a state whose features are constant within each class.

    Such a state is ``H = H̄ ⊗ 1_N^T`` (every point of S is one), and the flow keeps it so:
    the deviations obey ``dΔ/dt = -(1/(CN)) W^T W Δ``, so ``Δ = 0`` stays 0. There
    ``R_e(H, W, b)`` is the risk of the model with ``N = 1`` at ``(H̄, W, b)``, hence
    ``dH̄/dt = -(1/N) ∇_H̄ R`` and ``d(W, b)/dt = -∇_{W,b} R`` with the gradients of that
    ``N = 1`` model. Integrated numerically (scipy, DOP853) from the gradient formula of
    :func:`ufm.gradients` only, like :func:`gradient_flow` (no closed form is used), at a
    cost that does not depend on ``N``.

    Parameters
    ----------
    class_means : array_like, shape (p, C)
        ``H̄``, the feature of each class.
    W, b : array_like
        Shapes ``(C, p)``, ``(C,)``.
    N : int
        Samples per class.
    t : array_like of float, shape (T,)
        Increasing times ``>= 0`` at which to return the state.
    rtol, atol : float
        Tolerances of the solver.

    Returns
    -------
    class_means, W, b : ndarray
        Shapes ``(T, p, C)``, ``(T, C, p)``, ``(T, C)``.

    Raises
    ------
    RuntimeError
        If the solver fails.
    """
    from scipy.integrate import solve_ivp

    N = _checks.positive_int(N, "N")
    W = _checks.as_array(W, "W", 2)
    if np.shape(class_means) != W.shape[::-1]:
        raise ValueError(
            f"class_means has shape {np.shape(class_means)}; expected (p, C) = {W.shape[::-1]}"
        )
    Hbar, W, b, C, _, p, _ = _checks.triple(class_means, W, b)
    t = _checks.as_array(t, "t", 1)
    if (t < 0).any() or (np.diff(t) < 0).any():
        raise ValueError("t must be non-negative and increasing")
    rtol = _checks.positive_float(rtol, "rtol")
    atol = _checks.positive_float(atol, "atol")
    # The right-hand side runs thousands of times on small arrays, so it skips the input
    # checks of ufm.gradients but computes the same thing: with G = (W H̄ + b 1^T - I)/C,
    # ∇_H̄ = W^T G, ∇_W = G H̄^T, ∇_b = G 1 (the N = 1 model, whose targets are I).
    Y = targets(C, 1)
    a, c = Hbar.size, Hbar.size + W.size

    def rhs(_, z):
        h, w = z[:a].reshape(p, C), z[a:c].reshape(C, p)
        G = _residual(h, w, z[c:], Y)
        G *= -1.0 / C
        out = np.empty_like(z)
        np.matmul(w.T, G, out=out[:a].reshape(p, C))
        out[:a] *= 1.0 / N
        np.matmul(G, h.T, out=out[a:c].reshape(C, p))
        G.sum(axis=1, out=out[c:])
        return out

    z0 = np.concatenate([Hbar.ravel(), W.ravel(), b])
    solution = solve_ivp(rhs, (0.0, t[-1]), z0, t_eval=t, method="DOP853", rtol=rtol, atol=atol)
    if not solution.success:
        raise RuntimeError(f"the ODE solver failed: {solution.message}")
    z = solution.y.T
    return z[:, :a].reshape(-1, p, C), z[:, a:c].reshape(-1, C, p), z[:, c:].copy()


def point_in_S(C, N, p, rank, scale=1.0, beta=0.0, seed=None):
    """A random point of S whose classifier has a chosen rank.

    ``W = P G_1 G_2`` scaled to ``||W||_F = scale``, with Gaussian ``G_1`` (``C x rank``) and
    ``G_2`` (``rank x p``), ``H = (1/sqrt(N)) (W ⊗ 1_N)^T`` and ``b = β 1_C``.

    Parameters
    ----------
    C, N, p : int
    rank : int
        ``1 <= rank <= min(C - 1, p)``; ``rank = C - 1`` is the generic case, in which the
        flow on S converges to strong collapse.
    scale : float
        ``||W||_F > 0``.
    beta : float
        Bias coordinate.
    seed : int, numpy.random.Generator or None

    Returns
    -------
    H, W, b : ndarray
    """
    C, N, p = _checks.sizes(C, N, p)
    rank = _checks.positive_int(rank, "rank")
    if rank > min(C - 1, p):
        raise ValueError(
            f"rank = {rank}, but W in S has rank at most min(C - 1, p) = {min(C - 1, p)}"
        )
    scale = _checks.positive_float(scale, "scale")
    beta = float(_checks.as_array([beta], "beta", 1)[0])
    rng = np.random.default_rng(_checks.seed_or_none(seed))
    W = rng.standard_normal((C, rank)) @ rng.standard_normal((rank, p))
    W -= W.mean(axis=0)
    W *= scale / np.linalg.norm(W)
    return np.repeat(W.T, N, axis=1) / np.sqrt(N), W, np.full(C, beta)


def random_direction(H, W, b, seed=None):
    """A random direction ``D`` (Gaussian, then rescaled) with ``||D||_E = ||Z||_E``.

    Parameters
    ----------
    H, W, b : array_like
        The state ``Z`` (not zero).
    seed : int, numpy.random.Generator or None

    Returns
    -------
    dH, dW, db : ndarray
        Same shapes as ``H``, ``W``, ``b``.

    Raises
    ------
    ValueError
        If the state is zero (a relative perturbation is then undefined).
    """
    H, W, b, _, _, _, _ = _checks.triple(H, W, b)
    norm = np.sqrt(np.vdot(H, H) + np.vdot(W, W) + np.vdot(b, b))
    if norm == 0:
        raise ValueError("the state is zero, so a relative perturbation is undefined")
    rng = np.random.default_rng(_checks.seed_or_none(seed))
    D = [rng.standard_normal(x.shape) for x in (H, W, b)]
    scale = norm / np.sqrt(sum(np.vdot(d, d) for d in D))
    return tuple(scale * d for d in D)


def perturb(H, W, b, size, seed=None):
    """``Z + size · D``, with ``D`` the :func:`random_direction` of ``Z`` (``||D||_E = ||Z||_E``).

    Parameters
    ----------
    H, W, b : array_like
        The state ``Z`` (not zero).
    size : float
        Relative size ``>= 0`` of the perturbation.
    seed : int, numpy.random.Generator or None
        The same seed gives the same direction for every ``size``.

    Returns
    -------
    H, W, b : ndarray
    """
    size = float(_checks.as_array([size], "size", 1)[0])
    if size < 0:
        raise ValueError(f"size must be >= 0; got {size}")
    D = random_direction(H, W, b, seed)
    return tuple(np.asarray(x, dtype=float) + size * d for x, d in zip((H, W, b), D))


def collapse_measures(H, W, b) -> dict[str, float]:
    """NC1–NC4 (see :func:`ufm.nc_metrics`) of a state of the model, and its risk.

    Returns
    -------
    dict
        The keys of :func:`ufm.nc_metrics` and ``"risk"`` (``R_e``).
    """
    H, W, b, C, N, _, _ = _checks.triple(H, W, b)
    out = nc_metrics(H, np.repeat(np.arange(C), N), W, b)
    out["risk"] = risk(H, W, b)
    return out


@dataclass(frozen=True)
class RestSpectrum:
    """Spectrum of the gradient flow linearised at the stationary point ``(0, 0, 1_C/C)``.

    Attributes
    ----------
    values : ndarray, shape (p*C*N + C*p + C,)
        All eigenvalues of the Jacobian ``-∇²R_e`` there, in decreasing order.
    growing_distance : float
        The largest relative distance from S of an eigenvector with a positive eigenvalue
        (0 up to rounding: the growing directions lie in S).
    """

    values: np.ndarray
    growing_distance: float


def rest_spectrum_by_blocks(C, N, p) -> RestSpectrum:
    """The spectrum at ``(0, 0, 1_C/C)`` assembled from small blocks, for models of any size.

    At that point ``H = 0`` and ``W = 0``, so the Hessian has no ``H``–``H``, ``W``–``W``,
    bias–``H`` or bias–``W`` terms, and a feature index ``k`` couples only row ``k`` of
    ``H`` with column ``k`` of ``W``. Moreover the within-class deviations of ``H`` (each
    class summing to zero, ``C(N-1)`` directions per feature) are in the kernel. What is
    left is, for each of the ``p`` features, the class-constant row ``u ⊗ 1_N^T/sqrt(N)``
    (``u`` in ``R^C``, unit-norm coordinates) with column ``w`` of ``W``, plus the bias. On
    these coordinates the risk is that of the model with ``N = 1`` and ``p = 1`` at
    ``(u^T/sqrt(N), w, b)``, whose Hessian (``ufm.spectrum.hessian``) gives the
    ``2C x 2C`` block (``p`` copies) and the ``C x C`` bias block.

    Parameters
    ----------
    C, N, p : int

    Returns
    -------
    RestSpectrum

    Raises
    ------
    ValueError
        If the computed Hessian couples the bias to ``(u, w)`` (it cannot at this point).
    """
    from .spectrum import hessian
    from .subspace import distance_to_S

    C, N, p = _checks.sizes(C, N, p)
    full = hessian(np.zeros((1, C)), np.zeros((C, 1)), np.full(C, 1.0 / C))
    scale = np.r_[np.full(C, 1.0 / np.sqrt(N)), np.ones(2 * C)]
    jacobian = -scale[:, None] * full * scale[None, :]
    if np.abs(jacobian[: 2 * C, 2 * C :]).max() > 0:
        raise ValueError("the Hessian at (0, 0, 1/C) couples the bias to (H, W)")
    block, vectors = np.linalg.eigh(jacobian[: 2 * C, : 2 * C])
    bias = np.linalg.eigvalsh(jacobian[2 * C :, 2 * C :])
    values = np.sort(np.r_[np.tile(block, p), bias, np.zeros(C * (N - 1) * p)])[::-1]
    # Eigenvalues 0 come out at rounding level, of either sign: they do not grow.
    growing = vectors[:, block > 2 * C * np.finfo(float).eps * np.abs(block).max()]
    distances = [
        distance_to_S(np.repeat(u[None, :], N, axis=1) / np.sqrt(N), w[:, None], np.zeros(C))
        for u, w in zip(growing[:C].T, growing[C:].T)
    ]
    return RestSpectrum(values, max(distances, default=0.0))
