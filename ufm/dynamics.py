"""Gradient descent on the risk, and the exact gradient flow on the subspace S."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks
from .collapse import _errors, class_summary
from .model import _residual, targets
from .subspace import _distance

# Recorded states are summarised in chunks of at most this many float64 numbers, so that
# metrics are computed vectorised over many steps at once without unbounded memory.
_CHUNK_FLOATS = 4_000_000


@dataclass(frozen=True)
class Trajectory:
    """A run (or a batch of ``K`` runs) of gradient descent.

    Attributes
    ----------
    final : tuple of ndarray
        The last iterate ``(H, W, b)``; for a diverged run, its last finite iterate.
        Batched runs have a leading ``K`` axis.
    steps : ndarray of int, shape (T,)
        The recorded step indices (0 is the initial state; the last step is always included).
    risk : ndarray, shape (T,) or (K, T)
        Empirical risk ``R_e`` at each recorded step.
    errors : ndarray, shape (T, 3) or (K, T, 3)
        The three strong-collapse errors (see :func:`ufm.strong_collapse_errors`).
    distance_to_S : ndarray, shape (T,) or (K, T)
        Relative distance from S, ``||Z - Π_S Z||_E / ||Z||_E``.
    diverged_at : int or None, or ndarray of int, shape (K,)
        The first step whose iterate is not finite in float64 (its risk overflows), or
        ``None`` if the run did not diverge; for a batch, ``-1`` marks runs that did not
        diverge. Recorded values from that step on are NaN ("no value").
    lr : float
        The step size.
    """

    final: tuple
    steps: np.ndarray
    risk: np.ndarray
    errors: np.ndarray
    distance_to_S: np.ndarray
    diverged_at: object
    lr: float


def gradient_descent(H, W, b, lr: float, steps: int, record_every: int = 1) -> Trajectory:
    """Plain gradient descent ``Z_{k+1} = Z_k - η ∇R_e(Z_k)`` on ``Z = (H, W, b)``.

    Parameters
    ----------
    H, W, b : array_like
        Initial state, shapes ``(p, C*N)``, ``(C, p)``, ``(C,)``; or a batch of ``K`` initial
        states stacked on a leading axis (see :func:`ufm.stack`), which advance together.
    lr : float
        Step size ``η > 0``.
    steps : int
        Number of steps, ``>= 1``.
    record_every : int
        Record the risk, errors and distance from S every this many steps (and at the last).

    Returns
    -------
    Trajectory

    Notes
    -----
    A run diverges when an iterate stops being finite (a step size above ``2/λ_max`` makes
    the iterates grow geometrically). The run is then frozen at its last finite iterate and
    its later recorded values are NaN; no overflow warning is emitted.
    """
    H, W, b, C, N, p, batched = _checks.triple(H, W, b, batch=True)
    lr = _checks.positive_float(lr, "lr")
    steps = _checks.positive_int(steps, "steps")
    record_every = _checks.positive_int(record_every, "record_every")
    if not batched:
        H, W, b = H[None], W[None], b[None]
    K = W.shape[0]
    Y = targets(C, N)
    CN = C * N

    recorded = np.unique(np.r_[np.arange(0, steps + 1, record_every), steps])
    is_recorded = np.zeros(steps + 1, dtype=bool)
    is_recorded[recorded] = True
    risk = np.full((K, recorded.size), np.nan)
    recorder = _Recorder(recorded.size, K, C, p, N)
    diverged_at = np.full(K, -1)
    alive = np.ones(K, dtype=bool)
    previous = (H, W, b)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps + 1):
            R = _residual(H, W, b, Y)
            r = np.einsum("kij,kij->k", R, R) / (2 * CN)
            finite = np.isfinite(r)
            if not finite[alive].all():
                newly = alive & ~finite
                diverged_at[newly] = k
                alive &= finite
                H, W, b = (_where(newly, old, x) for x, old in zip((H, W, b), previous))
            if is_recorded[k]:
                risk[:, recorder.count] = r
                recorder.add(*class_summary(H, C), W, b)
            if k == steps:
                break
            G = R / CN
            new = (
                H - lr * (np.swapaxes(W, 1, 2) @ G),
                W - lr * (G @ np.swapaxes(H, 1, 2)),
                b - lr * G.sum(axis=2),
            )
            if not alive.all():
                new = tuple(_where(alive, x, old) for x, old in zip(new, (H, W, b)))
            previous = (H, W, b)
            H, W, b = new

    errors, distance = recorder.result()
    dead = (diverged_at[:, None] >= 0) & (recorded[None, :] >= diverged_at[:, None])
    risk[dead] = np.nan
    errors[dead] = np.nan
    distance[dead] = np.nan
    if not batched:
        return Trajectory(
            final=(H[0], W[0], b[0]),
            steps=recorded,
            risk=risk[0],
            errors=errors[0],
            distance_to_S=distance[0],
            diverged_at=None if diverged_at[0] < 0 else int(diverged_at[0]),
            lr=lr,
        )
    return Trajectory((H, W, b), recorded, risk, errors, distance, diverged_at, lr)


def _where(mask, x, y):
    """Per run, ``x`` where ``mask`` (shape ``(K,)``) is true and ``y`` elsewhere."""
    return np.where(mask.reshape(-1, *([1] * (x.ndim - 1))), x, y)


class _Recorder:
    """Collects reduced states ``(H̄, ||Δ||^2, W, b)`` at recorded steps and turns them into
    strong-collapse errors and distances from S, vectorised over chunks of steps."""

    def __init__(self, T, K, C, p, N):
        self.N = N
        self.count = 0
        self.errors = np.empty((T, K, 3))
        self.distance = np.empty((T, K))
        chunk = max(1, min(T, _CHUNK_FLOATS // (K * (2 * C * p + C + 1))))
        self.buffers = (
            np.empty((chunk, K, p, C)),
            np.empty((chunk, K)),
            np.empty((chunk, K, C, p)),
            np.empty((chunk, K, C)),
        )
        self.filled = 0

    def add(self, *state):
        for buffer, value in zip(self.buffers, state):
            buffer[self.filled] = value
        self.filled += 1
        self.count += 1
        if self.filled == len(self.buffers[0]):
            self._flush()

    def _flush(self):
        part = slice(self.count - self.filled, self.count)
        args = (*(buffer[: self.filled] for buffer in self.buffers), self.N)
        with np.errstate(over="ignore", invalid="ignore"):
            self.errors[part] = _errors(*args)
            self.distance[part] = _distance(*args)
        self.filled = 0

    def result(self):
        """Errors ``(K, T, 3)`` and distances ``(K, T)``."""
        if self.filled:
            self._flush()
        return np.swapaxes(self.errors, 0, 1), self.distance.T


def flow_on_S(W0, beta0: float, t, N: int, rank_tol: float | None = None):
    """The exact gradient flow of the risk from a point of S, at time(s) ``t``.

    On S the flow reduces to ``dW/dt = -(1/(C sqrt(N))) (W W^T/sqrt(N) - P) W`` and
    ``dβ/dt = -(β - 1/C)``. With the SVD ``W_0 = U diag(s) V^T`` the solution keeps the
    singular vectors and moves each singular value ``s > 0`` to

        σ(t)^2 = s^2 / (e^{-κt} + (1 - e^{-κt}) s^2 / sqrt(N)),   κ = 2/(C sqrt(N)),

    which is the closed form ``A(t) = [Π/√N + e^{-κt}(A_0^† - Π/√N)]^†`` for
    ``A = W W^T`` written in the singular basis; singular values that are zero stay zero,
    so ``W W^T → sqrt(N) Π`` with ``Π`` the projector onto the range of ``W_0``. The bias is
    ``β(t) = 1/C + (β_0 - 1/C) e^{-t}``. Working from the SVD of ``W_0`` (not the
    pseudo-inverse of ``W_0 W_0^T``) avoids squaring its condition number.

    Parameters
    ----------
    W0 : array_like, shape (C, p)
        Initial classifier, with ``1^T W0 = 0`` (it is a point of S; use
        :func:`ufm.project_S` to get one).
    beta0 : float
        Initial bias ``b_0 = β_0 1_C``.
    t : float or array_like of float, shape (T,)
        Time(s) ``>= 0``.
    N : int
        Samples per class.
    rank_tol : float, optional
        Singular values of ``W0`` at or below ``rank_tol * s_max`` count as zero (the
        rank-deficient case). Default ``max(C, p) * machine epsilon``, as
        :func:`numpy.linalg.matrix_rank`.

    Returns
    -------
    H, W, b : ndarray
        The state at time ``t``: shapes ``(p, C*N)``, ``(C, p)``, ``(C,)``, or with a
        leading ``T`` axis when ``t`` is an array.
    """
    W0 = _checks.as_array(W0, "W0", 2)
    C, p = W0.shape
    if C < 2:
        raise ValueError(f"W0 has {C} row; expected C >= 2 rows (one per class)")
    N = _checks.positive_int(N, "N")
    if isinstance(beta0, bool) or not np.isscalar(beta0) or not np.isfinite(beta0):
        raise ValueError(f"beta0 must be a finite real number; got {beta0!r}")
    times = _checks.as_array(t, "t", (0, 1))
    if (times < 0).any():
        raise ValueError(f"t must be >= 0; got minimum {times.min()}")
    scale = np.linalg.norm(W0)
    if np.linalg.norm(W0.sum(axis=0)) > 1e-10 * max(scale, 1.0) * np.sqrt(C):
        raise ValueError(
            "W0 is not in S: its columns must sum to zero (1^T W0 = 0); "
            "use ufm.project_S to project a state onto S"
        )
    if rank_tol is None:
        rank_tol = max(C, p) * np.finfo(float).eps
    rank_tol = float(rank_tol)
    if not np.isfinite(rank_tol) or rank_tol < 0:
        raise ValueError(f"rank_tol must be a finite number >= 0; got {rank_tol}")

    U, s, Vt = np.linalg.svd(W0, full_matrices=False)
    s = np.where(s > rank_tol * (s[0] if s.size else 0.0), s, 0.0)
    kappa = 2.0 / (C * np.sqrt(N))
    decay = np.exp(-kappa * times)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.where(s > 0, s / np.sqrt(decay + (1 - decay) * s**2 / np.sqrt(N)), 0.0)
    W = (U * sigma[..., None, :]) @ Vt
    H = np.repeat(np.swapaxes(W, -1, -2), N, axis=-1) / np.sqrt(N)
    beta = 1.0 / C + (float(beta0) - 1.0 / C) * np.exp(-times)
    b = np.broadcast_to(beta[..., None], (*beta.shape, C)).copy()
    return H, W, b
