"""The invariant subspace ``S`` of the unconstrained features model.

    S = {(H, W, b) : 1_C^T W = 0,  H = (1/sqrt(N)) (W ⊗ 1_N)^T,  b ∈ span(1_C)},

a linear subspace of dimension ``(C-1) p + 1`` that contains the origin and every point of
strong neural collapse. The norm on states is
``||(H, W, b)||_E^2 = ||H||_F^2 + ||W||_F^2 + ||b||_2^2``.

Book: ``def-S``, ``lem-projection`` and ``thm-invariance`` (results chapter,
``book/results.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .collapse import _centering, _class_summary, _exactly_rescaled, _norm, _split, _sq


def _project_parts(Hbar, W, b, N):
    """``V = P (W + sqrt(N) H̄^T)/2`` and ``mean(b)``: the coordinates of ``proj_S Z``."""
    V = (W + np.sqrt(N) * np.swapaxes(Hbar, -1, -2)) / 2
    V -= V.mean(axis=-2, keepdims=True)
    return V, b.mean(axis=-1)


def _distance(W, b, u, spread):
    """Relative distance from S, ``||Z - proj_S Z||_E / ||Z||_E`` (``(...)``), from ``W``,
    ``b``, ``u = sqrt(N) H̄`` and ``spread = ||Δ||_F = sqrt(tr Σ)`` (any leading axes): the one
    implementation behind :func:`distance_to_S`, :meth:`ufm.ReducedState.distance_to_S`
    and the distance recorded by :func:`ufm.gradient_descent`.

    The within-class deviations are orthogonal to S, so they enter only through
    ``within``. With ``V = P (W + u^T)/2`` the projection onto S,
    ``||W - V||^2 + ||u^T - V||^2 = (||1^T (W + u^T)||^2 / C + ||W - u^T||^2)/2``, so the
    squared distance is ``[that + tr Σ + ||b - mean(b)||^2] / ||Z||_E^2`` with
    ``||Z||_E^2 = ||u||^2 + tr Σ + ||W||^2 + ||b||^2``. No ``C x C`` matrix is formed.
    The state is first divided by its largest entry, so the ratio is the same at any scale.
    """
    top = np.maximum.reduce(
        [np.abs(W).max(axis=(-2, -1)), np.abs(u).max(axis=(-2, -1)), np.abs(b).max(axis=-1), spread]
    )
    c = np.where(top > 0, top, 1.0)
    W, u, b = W / c[..., None, None], u / c[..., None, None], b / c[..., None]
    within = (spread / c) ** 2
    return np.sqrt(_off_S_sq(W, b, u, within) / _norm_E_sq(W, b, u, within))


def _off_S_sq(W, b, u, within):
    """``||Z - proj_S Z||_E^2`` from ``W``, ``b``, ``u = sqrt(N) H̄`` and ``within = tr Σ``."""
    C = W.shape[-2]
    ut = np.swapaxes(u, -1, -2)
    mean_row = (W + ut).sum(axis=-2)
    spread = b - b.mean(axis=-1, keepdims=True)
    off = (np.einsum("...i,...i->...", mean_row, mean_row) / C + _sq(W - ut)) / 2 + within
    return off + np.einsum("...i,...i->...", spread, spread)


def _norm_E_sq(W, b, u, within):
    """``||Z||_E^2 = ||H||_F^2 + ||W||_F^2 + ||b||^2`` with ``||H||_F^2 = ||u||^2 + tr Σ``."""
    return _sq(u) + within + _sq(W) + np.einsum("...i,...i->...", b, b)


def norm_E(H, W, b) -> float:
    """The norm of a state, ``||(H, W, b)||_E = sqrt(||H||_F^2 + ||W||_F^2 + ||b||_2^2)``.

    It is the norm for which :func:`project_S` is the orthogonal projection onto S and in
    which :func:`distance_to_S` measures. A batch (leading axis) gives one norm per state.

    Returns
    -------
    float, or ndarray of shape (K,) for a batch
    """
    H, W, b, *_, batched = _checks.triple(H, W, b, batch=True)
    value = np.sqrt(_sq(H) + _sq(W) + np.einsum("...i,...i->...", b, b))
    return value if batched else float(value)


def project_S(H, W, b):
    """Orthogonal projection ``proj_S`` onto S for the norm ``||·||_E``.

    Book: ``lem-projection`` (results chapter, ``book/results.ipynb``).

    With class means ``H̄`` (``p x C``) and ``V = P (W + sqrt(N) H̄^T)/2``,
    ``proj_S(H, W, b) = ((1/sqrt(N)) (V ⊗ 1_N)^T, V, mean(b) 1_C)``.

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
    V, beta = _project_parts(_class_summary(H, C)[0], W, b, N)
    return np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, beta)


def distance_to_S(H, W, b) -> float:
    """Relative distance from S, ``||Z - proj_S Z||_E / ||Z||_E`` (Figure 2).

    Book: ``lem-projection`` (the projection it measures from), and ``thm-invariance``,
    which it checks: the gradient at a point of S, and every iterate of descent from one,
    is at distance 0 from S (results chapter, ``book/results.ipynb``).

    Raises
    ------
    ValueError
        If ``Z = (H, W, b)`` is zero (the ratio is then 0/0), or the input is malformed.
    """
    H, W, b, C, N, _, _ = _checks.triple(H, W, b)
    if not (H.any() or W.any() or b.any()):
        raise ValueError("the state (H, W, b) is zero, so the relative distance from S is 0/0")
    H, W, b = _exactly_rescaled(H, W, b)
    Hbar, Delta = _split(H, C)
    return float(_distance(W, b, np.sqrt(N) * Hbar, _norm(Delta)))


def risk_parts_on_S(W, b, N: int) -> tuple[float, float]:
    """The two parts of the risk at a point of S: classifier and bias.

    For ``Z ∈ S`` with ``b = β 1``,
    ``R_e(Z) = (1/(2C)) ||W W^T/sqrt(N) - P||_F^2 + (1/(2C)) (Cβ - 1)^2``.
    Off S the sum of the two parts is not the risk.

    Book: ``thm-invariance`` (the split of the risk on S; results chapter,
    ``book/results.ipynb``).

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
    N = _checks.positive_int(N, "N", maximum=_checks.MAX_N)
    C = W.shape[0]
    if C < 2 or b.shape != (C,):
        raise ValueError(f"W has {C} rows and b has {b.shape[0]} entries; expected C >= 2 of each")
    gap = W @ W.T / np.sqrt(N) - _centering(C)
    return float(np.vdot(gap, gap) / (2 * C)), float((C * b.mean() - 1) ** 2 / (2 * C))


def _centred_columns(V):
    """``V`` minus its column means, centred twice: when a column's entries nearly agree, one
    pass leaves sums of order eps times the entries, which are large next to what is left;
    the second pass brings them to eps times the centred column."""
    V = V - V.mean(axis=0)
    return V - V.mean(axis=0)


def random_point_in_S(C: int, N: int, p: int, scale: float = 1.0, seed=None):
    """A random point of S: ``V = P G`` with ``G`` Gaussian, rescaled so ``||V||_F = scale``,
    and ``β`` standard Gaussian.

    Book: ``def-S`` (results chapter, ``book/results.ipynb``).

    Returns
    -------
    H, W, b : ndarray
        Shapes ``(p, C*N)``, ``(C, p)``, ``(C,)``.
    """
    C, N, p = _checks.sizes(C, N, p)
    scale = _checks.positive_float(scale, "scale")
    _checks.fits_in_memory(8 * p * C * (N + 2), f"random_point_in_S(C={C}, N={N}, p={p})")
    rng = np.random.default_rng(_checks.seed_or_none(seed))
    V = _centred_columns(rng.standard_normal((C, p)))
    V /= np.linalg.norm(V)
    V *= scale
    return np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, rng.standard_normal())


def point_in_S(C, N, p, rank, scale=1.0, beta=0.0, seed=None):
    """A random point of S whose classifier has a chosen rank.

    ``W = P G_1 G_2`` scaled to ``||W||_F = scale``, with Gaussian ``G_1`` (``C x rank``) and
    ``G_2`` (``rank x p``), ``H = (1/sqrt(N)) (W ⊗ 1_N)^T`` and ``b = β 1_C``.

    Book: ``def-S``; the starts of ``thm-riccati`` and ``cor-convergence`` (results
    chapter, ``book/results.ipynb``).

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
    beta = _checks.real(beta, "beta")
    _checks.fits_in_memory(
        8 * (p * C * (N + 2) + rank * (C + p)), f"point_in_S(C={C}, N={N}, p={p}, rank={rank})"
    )
    rng = np.random.default_rng(_checks.seed_or_none(seed))
    W = _centred_columns(rng.standard_normal((C, rank)) @ rng.standard_normal((rank, p)))
    W /= np.linalg.norm(W)
    W *= scale
    return np.repeat(W.T, N, axis=1) / np.sqrt(N), W, np.full(C, beta)
