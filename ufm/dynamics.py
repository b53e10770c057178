"""Gradient descent on the risk, and the exact gradient flow on the subspace S.

:func:`ufm.gradient_descent` advances one run or a batch of runs (a leading axis) together. It
has two exact implementations of the same iteration: the *full* one updates ``(H, W, b)``;
the *reduced* one (:mod:`ufm.reduced`) updates class means, a factor of the within-class
scatter, ``W`` and ``b``, at a cost per step that does not depend on ``N``. Both update
their buffers in place with a handful of array operations per step, and the recorded
measures are computed afterwards, vectorised over many recorded steps at once.

Book: gradient descent is defined in the chapter on the model (``book/model.ipynb``);
:func:`ufm.flow_on_S` is ``thm-riccati`` and ``cor-convergence`` (results chapter,
``book/results.ipynb``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks
from ._descent import FullDescent, ReducedDescent, Results, deviation_factor, factor, run
from .collapse import _split
from .reduced import ReducedState

# The overhead of one numpy call, in multiply-adds (about 1 µs at 2e10 multiply-adds/s),
# for choosing between the full and the reduced implementation.
_CALL_COST = 20_000


@dataclass(frozen=True)
class Trajectory:
    """A run (or a batch of ``K`` runs) of gradient descent.

    Attributes
    ----------
    final : tuple of ndarray, or ReducedState
        The last iterate ``(H, W, b)``, or a :class:`ufm.ReducedState` when descent
        started from one; for a diverged run, its last finite iterate. Batched runs have a
        leading ``K`` axis.
    steps : ndarray of int, shape (T,)
        The recorded step indices (0 is the initial state; the last step is always included).
    risk : ndarray, shape (T,) or (K, T)
        Empirical risk ``R_e`` at each recorded step.
    errors : ndarray, shape (T, 3) or (K, T, 3)
        The three strong-collapse errors (see :func:`ufm.strong_collapse_errors`).
    distance_to_S : ndarray, shape (T,) or (K, T)
        Relative distance from S, ``||Z - proj_S Z||_E / ||Z||_E``.
    diverged_at : int or None, or ndarray of int, shape (K,)
        The first step whose iterate is not finite in float64 (its risk overflows), or
        ``None`` if the run did not diverge; for a batch, ``-1`` marks runs that did not
        diverge. Recorded values from that step on are NaN ("no value").
    lr : float or ndarray, shape (K,)
        The step size (one per run when the batch was given one per run).
    nc1 : ndarray, shape (T,) or (K, T), or None
        NC1 (``tr(Σ_W Σ_B^†)/C``, as :func:`ufm.nc_metrics`) at each recorded step, when
        requested with ``nc1=True``; otherwise ``None``.
    method : str
        ``"full"`` or ``"reduced"``: the implementation that ran.
    """

    final: object
    steps: np.ndarray
    risk: np.ndarray
    errors: np.ndarray
    distance_to_S: np.ndarray
    diverged_at: object
    lr: float
    nc1: np.ndarray | None = None
    method: str = "full"


def gradient_descent(
    H,
    W=None,
    b=None,
    lr: float | None = None,
    steps: int | None = None,
    record_every: int = 1,
    *,
    method: str = "auto",
    nc1: bool = False,
) -> Trajectory:
    """Plain gradient descent ``Z_{k+1} = Z_k - η ∇R_e(Z_k)`` on ``Z = (H, W, b)``.

    Parameters
    ----------
    H, W, b : array_like
        Initial state, shapes ``(p, C*N)``, ``(C, p)``, ``(C,)``; or a batch of ``K`` initial
        states stacked on a leading axis (see :func:`ufm.stack`), which advance together.
        Alternatively ``H`` is a :class:`ufm.ReducedState` (single or batched) and ``W``
        and ``b`` are omitted; then ``lr`` and ``steps`` must be given by keyword.
    lr : float or array_like of float, shape (K,)
        Step size ``η > 0``; for a batch, either one for all runs or one per run (each run
        then descends with its own step size, and diverged runs are frozen as usual).
    steps : int
        Number of steps, ``>= 1``.
    record_every : int
        Record the risk, errors and distance from S every this many steps (and at the last).
    method : {"auto", "full", "reduced"}
        ``"full"`` updates ``(H, W, b)``; ``"reduced"`` updates the reduced state
        (see :mod:`ufm.reduced`), exactly the same iteration at a cost per step
        independent of ``N``; ``"auto"`` takes whichever is estimated faster. A
        :class:`ufm.ReducedState` always runs reduced.
    nc1 : bool
        Also record NC1 (costs a ``p x p`` scatter per recorded step).

    Returns
    -------
    Trajectory

    Raises
    ------
    ValueError, TypeError
        On a malformed state or setting; ``method="full"`` with a ``ReducedState``.

    Notes
    -----
    A run diverges when an iterate stops being finite (a step size above ``2/λ_max`` makes
    the iterates grow geometrically). The run is then frozen at its last finite iterate and
    its later recorded values are NaN; no overflow warning is emitted. The reduced
    implementation reconstructs the final features exactly: the within-class deviations
    evolve as ``Δ_k = K_{k-1} ⋯ K_0 Δ_0`` and it carries ``L_k = K_{k-1} ⋯ K_0 L_0`` for a
    factor ``L_0`` of ``Δ_0`` (see :mod:`ufm.reduced`).
    """
    reduced_input = isinstance(H, ReducedState)
    if reduced_input:
        if W is not None or b is not None:
            raise TypeError(
                "with a ReducedState, pass lr and steps by keyword: "
                "gradient_descent(state, lr=..., steps=...)"
            )
        state = H
        C, N, p, batched = state.C, state.N, state.p, state.batched
    else:
        H, W, b, C, N, p, batched = _checks.triple(H, W, b, batch=True)
    steps = _checks.positive_int(steps, "steps")
    record_every = _checks.positive_int(record_every, "record_every")
    if method not in ("auto", "full", "reduced"):
        raise ValueError(f"method must be 'auto', 'full' or 'reduced'; got {method!r}")
    if not isinstance(nc1, bool):
        raise TypeError(f"nc1 must be True or False; got {nc1!r}")
    if reduced_input and method == "full":
        raise ValueError("method='full' needs the features H; a ReducedState runs reduced")

    K = (state.W if reduced_input else W).shape[0] if batched else 1
    lr = _step_size(lr, K if batched else None)
    records = steps // record_every + 2
    state_floats = 0 if reduced_input else K * C * N * (5 * (p + 1) + 2 * C)
    _checks.fits_in_memory(
        8 * (records * (7 * K + 2) + state_floats),
        f"gradient_descent with steps={steps}, record_every={record_every} "
        f"({records} records of {K} run(s)) on C={C}, N={N}, p={p}",
    )
    recorded = np.unique(np.r_[np.arange(0, steps + 1, record_every), steps])
    results = Results(recorded.size, K, C, N, nc1)
    if reduced_input:
        arrays = [state.Hbar, state.Sigma, state.W, state.b]
        Hbar, Sigma, W0, b0 = (x if batched else x[None] for x in arrays)
        engine = ReducedDescent(Hbar, factor(Sigma), W0, b0, N, lr, results, recorded.size)
        method = "reduced"
    else:
        if not batched:
            H, W, b = H[None], W[None], b[None]
        if method == "auto":
            method = _faster(C, N, p, K, steps, record_every)
        if method == "reduced":
            Hbar, Delta = _split(H, C)
            L0, rebuild = deviation_factor(Delta)
            engine = ReducedDescent(Hbar, L0, W, b, N, lr, results, recorded.size)
        else:
            engine = FullDescent(H, W, b, lr, results, recorded.size)

    diverged_at, frozen = run(engine, steps, record_every)
    risk, errors, distance, nc1_values = results.risk, results.errors, results.distance, results.nc1
    dead = (diverged_at[:, None] >= 0) & (recorded[None, :] >= diverged_at[:, None])
    for values in (risk, errors, distance, nc1_values):
        if values is not None:
            values[dead] = np.nan

    final = engine.current()
    for k, parts in frozen.items():
        for array, part in zip(final, parts):
            array[k] = part
    if method == "reduced":
        Hbar, L, W, b = final
        if reduced_input:
            final = ReducedState(Hbar, L @ np.swapaxes(L, 1, 2), W, b, N)
        else:
            final = (np.repeat(Hbar, N, axis=-1) + rebuild(L), W, b)
    if not batched:
        if isinstance(final, ReducedState):
            final = ReducedState(final.Hbar[0], final.Sigma[0], final.W[0], final.b[0], N)
        else:
            final = tuple(x[0] for x in final)
        return Trajectory(
            final=final,
            steps=recorded,
            risk=risk[0],
            errors=errors[0],
            distance_to_S=distance[0],
            diverged_at=None if diverged_at[0] < 0 else int(diverged_at[0]),
            lr=lr,
            nc1=None if nc1_values is None else nc1_values[0],
            method=method,
        )
    return Trajectory(final, recorded, risk, errors, distance, diverged_at, lr, nc1_values, method)


def _step_size(lr, K):
    """``lr`` checked: a float ``> 0``, or for a batch of ``K`` runs (``K`` not None) also an
    array of ``K`` of them."""
    if K is None or _checks.is_scalar(lr):
        return _checks.positive_float(lr, "lr")
    lrs = _checks.as_array(lr, "lr", 1)
    if lrs.shape != (K,):
        raise ValueError(f"lr has shape {lrs.shape}; expected a float or one per run, ({K},)")
    if (lrs <= 0).any():
        raise ValueError(f"lr must be > 0 for every run; got minimum {lrs.min()}")
    return lrs


def _faster(C, N, p, K, steps, record_every):
    """``"full"`` or ``"reduced"``: the implementation with the smaller estimated cost
    (multiply-adds plus a fixed overhead per numpy call)."""
    CN = C * N
    r = min(p, CN)
    records = steps // record_every + 2
    full = steps * (3 * K * C * (p + 1) * CN + 8 * _CALL_COST)
    full += records * (2 * K * p * CN + 8 * _CALL_COST)
    if C <= p + 1:
        step = 3 * K * C * (p + 1) * (C + r) + 8 * _CALL_COST
    else:
        step = 1.5 * K * p * p * (C + r + C) + 20 * _CALL_COST
    reduced = steps * step + records * (K * p * r + 5 * _CALL_COST)
    reduced += 4 * K * CN * p * r  # the factorisation Δ_0 = L_0 Q^T and the reconstruction
    return "reduced" if reduced < full else "full"


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

    Book: ``thm-riccati`` (the closed form) and ``cor-convergence`` (its limit), results
    chapter, ``book/results.ipynb``; on S the flow is that of ``thm-invariance``.

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
    N = _checks.positive_int(N, "N", maximum=_checks.MAX_N)
    beta0 = _checks.real(beta0, "beta0")
    U, s, Vt, times = _flow_start(W0, t, rank_tol, (0, 1))
    C, p = U.shape[0], Vt.shape[1]
    _checks.fits_in_memory(
        8 * times.size * p * C * N, f"flow_on_S with N={N} at {times.size} times"
    )
    sigma = _flowed_singular_values(s, times, C, N)
    W = (U * sigma[..., None, :]) @ Vt
    H = np.repeat(np.swapaxes(W, -1, -2), N, axis=-1) / np.sqrt(N)
    beta = 1.0 / C + (beta0 - 1.0 / C) * np.exp(-times)
    b = np.broadcast_to(beta[..., None], (*beta.shape, C)).copy()
    return H, W, b


def riccati_eigenvalues(W0, t, N, rank_tol=None) -> np.ndarray:
    """The eigenvalues of ``A(t) = W(t) W(t)^T`` along the gradient flow on S, in closed form.

    Each eigenvalue ``a > 0`` of ``A_0 = W_0 W_0^T`` moves to
    ``a(t) = [1/sqrt(N) + e^{-κt} (1/a - 1/sqrt(N))]^{-1}`` with ``κ = 2/(C sqrt(N))``
    (the scalar form of the Riccati solution); eigenvalues 0 stay 0. So ``a(t) → sqrt(N)``
    for every ``a > 0``.

    Book: ``thm-riccati`` (results chapter, ``book/results.ipynb``).

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
    N = _checks.positive_int(N, "N", maximum=_checks.MAX_N)
    _, s, _, t = _flow_start(W0, t, rank_tol, 1)
    out = np.zeros((t.size, np.shape(W0)[0]))
    out[:, : s.size] = _flowed_singular_values(s, t, out.shape[1], N) ** 2
    return out


def _flow_start(W0, t, rank_tol, t_ndim):
    """Check the start of the flow on S and the times; return the SVD ``U, s, V^T`` of
    ``W0`` (singular values at or below ``rank_tol * s_max`` set to zero) and the times."""
    W0 = _checks.as_array(W0, "W0", 2)
    C, p = W0.shape
    if C < 2:
        raise ValueError(f"W0 has {C} row; expected C >= 2 rows (one per class)")
    times = _checks.as_array(t, "t", t_ndim)
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
    rank_tol = _checks.nonnegative_float(rank_tol, "rank_tol")
    U, s, Vt = np.linalg.svd(W0, full_matrices=False)
    s = np.where(s > rank_tol * (s[0] if s.size else 0.0), s, 0.0)
    return U, s, Vt, times


def _flowed_singular_values(s, t, C, N):
    """The singular values ``σ(t)`` of ``W(t)`` along the flow on S from those ``s`` of
    ``W0`` (shape ``(..., r)`` for times of shape ``(...)``): zeros stay zero, and

        σ(t)^2 = s^2 / (e^{-κt} + (1 - e^{-κt}) s^2/√N),   κ = 2/(C√N).
    """
    decay = np.exp(-2.0 / (C * np.sqrt(N)) * t)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s > 0, s / np.sqrt(decay + (1 - decay) * s**2 / np.sqrt(N)), 0.0)
