"""The unconstrained features model: targets, empirical risk, gradients, initialisation.

Notation (``book/notation.md``): ``C`` classes, ``N`` samples per class, feature
dimension ``p``; features ``H`` (``p x CN``, column ``c*N + n`` is sample ``n`` of class
``c``), classifier ``W`` (``C x p``) and bias ``b`` (length ``C``). The risk is the mean of
the per-sample squared losses,

    R_e(H, W, b) = 1/(2CN) ||W H + b 1^T - Y||_F^2,   Y = I_C (x) 1_N^T.

Book: ``def-ufm`` (the model and its risk) and ``lem-gradients`` (its gradients), in the
chapter on the model, ``book/model.ipynb``.
"""

from __future__ import annotations

import numpy as np

from . import _checks


def targets(C: int, N: int) -> np.ndarray:
    """One-hot targets ``Y = I_C ⊗ 1_N^T``.

    Book: ``def-ufm`` (model chapter, ``book/model.ipynb``).

    Parameters
    ----------
    C, N : int
        Number of classes (``>= 2``) and samples per class (``>= 1``).

    Returns
    -------
    ndarray, shape (C, C*N)
        Column ``c*N + n`` is the indicator vector of class ``c``.
    """
    C, N, _ = _checks.sizes(C, N, 1)
    _checks.fits_in_memory(8 * C * C * N, f"targets(C={C}, N={N})")
    return np.repeat(np.eye(C), N, axis=1)


def _residual(H, W, b, Y):
    """``W H + b 1^T - Y`` for a single state or a stack of states."""
    R = W @ H
    R += b[..., None]
    R -= Y
    return R


def risk(H, W, b) -> float:
    """Empirical risk ``R_e(H, W, b) = 1/(2CN) ||W H + b 1^T - Y||_F^2``.

    Book: ``def-ufm`` (model chapter, ``book/model.ipynb``).

    Parameters
    ----------
    H : array_like, shape (p, C*N)
        Features, one column per sample, samples ordered class by class.
    W : array_like, shape (C, p)
        Classifier weights.
    b : array_like, shape (C,)
        Classifier bias.

    Returns
    -------
    float
        The risk (the mean over the ``CN`` samples of half the squared error).

    Raises
    ------
    ValueError
        If the shapes do not fit together, ``C < 2``, or an entry is not finite.
    """
    H, W, b, C, N, _, _ = _checks.triple(H, W, b)
    R = _residual(H, W, b, targets(C, N))
    return float(np.vdot(R, R) / (2 * C * N))


def gradients(H, W, b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the risk: with ``G = (W H + b 1^T - Y)/(CN)``,
    ``∇_H = W^T G``, ``∇_W = G H^T`` and ``∇_b = G 1``.

    Book: ``lem-gradients`` (model chapter, ``book/model.ipynb``).

    Parameters
    ----------
    H, W, b : array_like
        A state of the model, shapes ``(p, C*N)``, ``(C, p)``, ``(C,)``.

    Returns
    -------
    dH, dW, db : ndarray
        Arrays with the shapes of ``H``, ``W`` and ``b``.
    """
    H, W, b, C, N, _, _ = _checks.triple(H, W, b)
    G = _residual(H, W, b, targets(C, N)) / (C * N)
    return W.T @ G, G @ H.T, G.sum(axis=1)


def random_init(C: int, N: int, p: int, eps: float, seed=None):
    """Random initialisation of size ``eps`` (the set-up of the paper's figures).

    ``H`` (drawn first) and ``W`` get i.i.d. standard Gaussian entries and are then
    rescaled to Frobenius norm ``eps``; the bias starts at zero.

    Parameters
    ----------
    C, N, p : int
        Classes (``>= 2``), samples per class and feature dimension.
    eps : float
        Size of the initialisation, ``||H_0||_F = ||W_0||_F = eps > 0``.
    seed : int, numpy.random.Generator or None
        Source of randomness; the same integer gives the same state.

    Returns
    -------
    H, W, b : ndarray
        Shapes ``(p, C*N)``, ``(C, p)`` and ``(C,)``.
    """
    C, N, p = _checks.sizes(C, N, p)
    eps = _checks.positive_float(eps, "eps")
    _checks.fits_in_memory(16 * p * C * N, f"random_init(C={C}, N={N}, p={p})")
    rng = np.random.default_rng(_checks.seed_or_none(seed))
    H = rng.standard_normal((p, C * N))
    W = rng.standard_normal((C, p))
    if eps > 1e300:  # eps * H would overflow
        return H / np.linalg.norm(H) * eps, W / np.linalg.norm(W) * eps, np.zeros(C)
    return eps * H / np.linalg.norm(H), eps * W / np.linalg.norm(W), np.zeros(C)


def stack(states):
    """Stack single states ``(H, W, b)`` into a batch for :func:`ufm.gradient_descent`.

    Parameters
    ----------
    states : sequence of (H, W, b)
        States of equal sizes.

    Returns
    -------
    H, W, b : ndarray
        Shapes ``(K, p, C*N)``, ``(K, C, p)`` and ``(K, C)`` for ``K`` states.
    """
    states = list(states)
    if not states:
        raise ValueError("states is empty; expected at least one (H, W, b) triple")
    checked = [_checks.triple(*s)[:3] for s in states]
    shapes = {tuple(a.shape for a in s) for s in checked}
    if len(shapes) > 1:
        raise ValueError(f"states have different shapes {sorted(shapes)}; expected equal sizes")
    return tuple(np.stack(parts) for parts in zip(*checked))
