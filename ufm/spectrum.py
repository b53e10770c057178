"""Second-order structure of the risk: Hessian, stability of gradient descent, linearisation.

At a point of strong collapse the largest Hessian eigenvalue is ``1 + 1/(C sqrt(N))``, so
gradient descent with step ``η > 2/(1 + 1/(C sqrt(N)))`` cannot converge there. At the
stationary point ``(0, 0, 1_C/C)`` the Jacobian of the gradient flow (minus the Hessian) has
eigenvalues ``±1/(C sqrt(N))`` (each ``(C-1) p`` times), ``-1`` (``C`` times, the bias) and
``0`` for the remaining directions.

Book: ``thm-linearisation`` (results chapter, ``book/results.ipynb``); the stability limit
of the step size is used in the chapters on the model and the discussion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks
from .model import _residual, targets
from .subspace import distance_to_S


def hessian_vector_product(H, W, b, dH, dW, db):
    """The Hessian of ``R_e`` at ``(H, W, b)`` applied to the direction ``(dH, dW, db)``.

    With ``G = (W H + b 1^T - Y)/(CN)`` and ``dG = (dW H + W dH + db 1^T)/(CN)``, it is
    ``(dW^T G + W^T dG,  dG H^T + G dH^T,  dG 1)``.

    Returns
    -------
    tuple of ndarray
        Arrays with the shapes of ``H``, ``W`` and ``b``.
    """
    H, W, b, C, N, _, _ = _checks.triple(H, W, b)
    dH = _checks.as_array(dH, "dH", 2)
    dW = _checks.as_array(dW, "dW", 2)
    db = _checks.as_array(db, "db", 1)
    if dH.shape != H.shape or dW.shape != W.shape or db.shape != b.shape:
        raise ValueError(
            f"the direction has shapes {dH.shape}, {dW.shape}, {db.shape}; expected those of "
            f"(H, W, b): {H.shape}, {W.shape}, {b.shape}"
        )
    G = _residual(H, W, b, targets(C, N)) / (C * N)
    dG = (dW @ H + W @ dH + db[:, None]) / (C * N)
    return dW.T @ G + W.T @ dG, dG @ H.T + G @ dH.T, dG.sum(axis=1)


def hessian(H, W, b) -> np.ndarray:
    """The Hessian of ``R_e`` as a dense symmetric matrix.

    Coordinates are ``H``, ``W`` and ``b`` flattened (row-major) in that order, so the
    size is ``p*C*N + C*p + C``. Meant for small models.

    Returns
    -------
    ndarray, shape (d, d)
    """
    H, W, b, _, _, _, _ = _checks.triple(H, W, b)
    shapes = [H.shape, W.shape, b.shape]
    sizes = [H.size, W.size, b.size]
    d = sum(sizes)
    _checks.fits_in_memory(3 * 8 * d * d, f"hessian of a state with {d} coordinates")
    basis = np.eye(d)
    columns = []
    for e in basis:
        parts = np.split(e, np.cumsum(sizes)[:-1])
        direction = [part.reshape(shape) for part, shape in zip(parts, shapes)]
        columns.append(
            np.concatenate([x.ravel() for x in hessian_vector_product(H, W, b, *direction)])
        )
    M = np.array(columns).T
    return (M + M.T) / 2


def largest_stable_step(C: int, N: int) -> float:
    """``2/λ_max`` with ``λ_max = 1 + 1/(C sqrt(N))``, the largest Hessian eigenvalue at
    strong collapse: beyond this step size gradient descent cannot converge to it."""
    C, N, _ = _checks.sizes(C, N, 1)
    if C >= 2**1000 or N >= 2**1000:  # 1/(C sqrt(N)) is then negligible beside 1
        return 2.0
    return 2.0 / (1.0 + 1.0 / (C * np.sqrt(float(N))))


def linearization_at_rest(C: int, N: int, p: int):
    """Spectrum of the gradient flow linearised at the stationary point ``(0, 0, 1_C/C)``.

    Book: ``thm-linearisation`` (results chapter, ``book/results.ipynb``).

    Returns
    -------
    eigenvalues : ndarray, shape (d,)
        Eigenvalues of the Jacobian ``-∇²R_e`` at that point, in decreasing order.
    eigenvectors : ndarray, shape (d, d)
        Orthonormal eigenvectors as columns, coordinates as in :func:`hessian`.
    """
    C, N, p = _checks.sizes(C, N, p)
    d = p * C * N + C * p + C
    _checks.fits_in_memory(3 * 8 * d * d, f"linearization_at_rest(C={C}, N={N}, p={p})")
    values, vectors = np.linalg.eigh(
        -hessian(np.zeros((p, C * N)), np.zeros((C, p)), np.full(C, 1.0 / C))
    )
    order = np.argsort(values)[::-1]
    return values[order], vectors[:, order]


def unflatten(z, C: int, N: int, p: int):
    """Split a flat coordinate vector (as in :func:`hessian`) into ``(H, W, b)``."""
    C, N, p = _checks.sizes(C, N, p)
    z = _checks.as_array(z, "z", 1)
    d = p * C * N + C * p + C
    if z.size != d:
        raise ValueError(f"z has {z.size} entries; expected p*C*N + C*p + C = {d}")
    H, W, b = np.split(z, [p * C * N, p * C * N + C * p])
    return H.reshape(p, C * N), W.reshape(C, p), b


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

    Book: ``thm-linearisation`` (results chapter, ``book/results.ipynb``), including its
    last claim: the growing directions lie in S.

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
    C, N, p = _checks.sizes(C, N, p)
    d = p * C * N + C * p + C
    _checks.fits_in_memory(
        8 * (3 * d + 27 * C * C), f"rest_spectrum_by_blocks(C={C}, N={N}, p={p})"
    )
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


def sharpness(H, W, b) -> float:
    """Largest eigenvalue of the Hessian of ``R_e`` at ``(H, W, b)`` (small models only)."""
    return float(np.linalg.eigvalsh(hessian(H, W, b))[-1])
