"""The invariant subspace ``S`` of the unconstrained features model.

    S = {(H, W, b) : 1_C^T W = 0,  H = (1/sqrt(N)) (W ⊗ 1_N)^T,  b ∈ span(1_C)},

a linear subspace of dimension ``(C-1) p + 1`` that contains the origin and every point of
strong neural collapse. The norm on states is
``||(H, W, b)||_E^2 = ||H||_F^2 + ||W||_F^2 + ||b||_2^2``.
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .collapse import class_summary


def _project_parts(Hbar, W, b, N):
    """``V = P (W + sqrt(N) H̄^T)/2`` and ``mean(b)``: the coordinates of ``Π_S Z``."""
    V = (W + np.sqrt(N) * np.swapaxes(Hbar, -1, -2)) / 2
    V -= V.mean(axis=-2, keepdims=True)
    return V, b.mean(axis=-1)


def _distance(Hbar, within, W, b, N):
    """Relative distance from S, ``||Z - Π_S Z||_E / ||Z||_E``, from a reduced state.

    ``Hbar`` are the class means, ``within = ||Δ||_F^2``; any leading dimensions are kept.
    The within-class deviations ``Δ`` are orthogonal to S, so they enter only through
    ``within``.
    """
    V, beta = _project_parts(Hbar, W, b, N)
    dH = Hbar - np.swapaxes(V, -1, -2) / np.sqrt(N)
    dW = W - V
    db = b - beta[..., None]
    sq = np.einsum("...ij,...ij->...", dH, dH)
    off = (
        N * sq
        + within
        + np.einsum("...ij,...ij->...", dW, dW)
        + np.einsum("...i,...i->...", db, db)
    )
    total = (
        N * np.einsum("...ij,...ij->...", Hbar, Hbar)
        + within
        + np.einsum("...ij,...ij->...", W, W)
        + np.einsum("...i,...i->...", b, b)
    )
    return np.sqrt(off / total)


def project_S(H, W, b):
    """Orthogonal projection ``Π_S`` onto S for the norm ``||·||_E``.

    With class means ``H̄`` (``p x C``) and ``V = P (W + sqrt(N) H̄^T)/2``,
    ``Π_S(H, W, b) = ((1/sqrt(N)) (V ⊗ 1_N)^T, V, mean(b) 1_C)``.

    Parameters
    ----------
    H, W, b : array_like
        A state, shapes ``(p, C*N)``, ``(C, p)``, ``(C,)``.

    Returns
    -------
    H, W, b : ndarray
        The projected state, same shapes.
    """
    H, W, b, C, N, _, _ = _checks.triple(H, W, b)
    V, beta = _project_parts(class_summary(H, C)[0], W, b, N)
    return np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, beta)


def distance_to_S(H, W, b) -> float:
    """Relative distance from S, ``||Z - Π_S Z||_E / ||Z||_E`` (Figure 2).

    Raises
    ------
    ValueError
        If ``Z = (H, W, b)`` is zero (the ratio is then 0/0), or the input is malformed.
    """
    H, W, b, C, N, _, _ = _checks.triple(H, W, b)
    if not (H.any() or W.any() or b.any()):
        raise ValueError("the state (H, W, b) is zero, so the relative distance from S is 0/0")
    Hbar, within = class_summary(H, C)
    return float(_distance(Hbar, within, W, b, N))


def risk_parts_on_S(W, b, N: int) -> tuple[float, float]:
    """The two parts of the risk at a point of S: classifier and bias.

    For ``Z ∈ S`` with ``b = β 1``,
    ``R_e(Z) = (1/(2C)) ||W W^T/sqrt(N) - P||_F^2 + (1/(2C)) (Cβ - 1)^2``.
    Off S the sum of the two parts is not the risk.

    Parameters
    ----------
    W : array_like, shape (C, p)
    b : array_like, shape (C,)
        ``β`` is taken as the mean of ``b``.
    N : int
        Samples per class.

    Returns
    -------
    classifier_part, bias_part : float
    """
    W = _checks.as_array(W, "W", 2)
    b = _checks.as_array(b, "b", 1)
    N = _checks.positive_int(N, "N")
    C = W.shape[0]
    if C < 2 or b.shape != (C,):
        raise ValueError(f"W has {C} rows and b has {b.shape[0]} entries; expected C >= 2 of each")
    gap = W @ W.T / np.sqrt(N) - (np.eye(C) - 1.0 / C)
    return float(np.vdot(gap, gap) / (2 * C)), float((C * b.mean() - 1) ** 2 / (2 * C))


def random_point_in_S(C: int, N: int, p: int, scale: float = 1.0, seed=None):
    """A random point of S: ``V = P G`` with ``G`` Gaussian, rescaled so ``||V||_F = scale``,
    and ``β`` standard Gaussian.

    Returns
    -------
    H, W, b : ndarray
        Shapes ``(p, C*N)``, ``(C, p)``, ``(C,)``.
    """
    C, N, p = _checks.sizes(C, N, p)
    scale = _checks.positive_float(scale, "scale")
    rng = np.random.default_rng(_checks.seed_or_none(seed))
    V = rng.standard_normal((C, p))
    V -= V.mean(axis=0)
    V *= scale / np.linalg.norm(V)
    return np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, rng.standard_normal())
