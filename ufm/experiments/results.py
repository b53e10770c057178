"""The experiments of the chapter on the main results (``book/results.ipynb``).

Perturbations of a point of strong collapse and the NC1–NC4 measures there; the sizes of
the parts of a state in S and off S; the gradient flow integrated by an ODE solver, for the
full state or for the class means, to check the closed form on S
(:func:`ufm.flow_on_S`, :func:`ufm.dynamics.riccati_eigenvalues`); the eigenvalues of
``W W^T``.

Book (``book/results.ipynb``): :func:`ufm.experiments.collapse_measures` and
:func:`ufm.experiments.perturb` illustrate ``thm-collapse-is-nc``;
:func:`ufm.experiments.split_by_S` measures with ``lem-projection``;
:func:`ufm.experiments.gradient_flow`, :func:`ufm.experiments.class_mean_flow` and
:func:`ufm.experiments.gram_eigenvalues` check ``thm-riccati``.
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from ..collapse import nc_metrics
from ..model import _residual, gradients, risk, targets
from ..subspace import _off_S_sq, _project_parts, norm_E


def split_by_S(W, class_means, within, b, N):
    """Sizes of the part of a state in S (without the bias) and of the part off S.

    With ``proj_S Z = ((V ⊗ 1_N)^T/sqrt(N), V, β 1_C)`` (see :func:`ufm.project_S`), returns
    ``||((V ⊗ 1_N)^T/sqrt(N), V, 0)||_E = sqrt(2) ||V||_F``, the part that grows near the
    stationary point ``(0, 0, 1_C/C)``, and ``||Z - proj_S Z||_E``.

    Book: ``lem-projection`` and ``thm-linearisation`` (results chapter).

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
    V, _ = _project_parts(Hbar, W, b, N)
    off = _off_S_sq(W, b, np.sqrt(N) * Hbar, within)
    return np.sqrt(2 * np.einsum("...ij,...ij->...", V, V)), np.sqrt(off)


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


def gradient_flow(H, W, b, t, rtol=1e-12, atol=1e-14):
    """The gradient flow ``dZ/dt = -∇R_e(Z)`` integrated numerically (scipy, DOP853).

    Independent of every closed form: it uses only :func:`ufm.gradients`.

    Book: the reference against which ``thm-riccati`` is checked (results chapter).

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

    Book: checks ``thm-riccati`` for any ``N`` (results chapter).

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


def in_row_space(class_means, W, rank):
    """Class means and classifier in the coordinates of the span of ``W``'s rows.

    With ``Q`` (``rank x p``) the leading right singular vectors of ``W``, the pair
    ``(Q H̄, W Q^T)``. When the columns of ``H̄`` lie in that span (a point of S: ``H̄ =
    W^T/sqrt(N)``) and the within-class scatter is zero, the gradient flow and gradient
    descent never leave it: ``∇_W``'s rows combine the class means and the class means move
    along the columns of ``W^T``. So the flow in dimension ``rank`` is the flow in dimension
    ``p`` written in the basis ``Q``, and everything that rotations of the features leave
    unchanged (``W W^T``, the risk, the strong-collapse errors, the distance from S) is the
    same, at the cost of a model with ``p = rank``.

    Book: the closed form of ``thm-riccati`` checked by an ODE solver at any ``p``
    (results chapter).

    Parameters
    ----------
    class_means : array_like, shape (p, C)
    W : array_like, shape (C, p)
    rank : int
        The rank of ``W`` (``1 <= rank <= min(C, p)``).

    Returns
    -------
    class_means, W : ndarray
        Shapes ``(rank, C)`` and ``(C, rank)``.
    """
    W = _checks.as_array(W, "W", 2)
    class_means = _checks.as_array(class_means, "class_means", 2)
    if class_means.shape != W.shape[::-1]:
        raise ValueError(
            f"class_means has shape {class_means.shape}; expected (p, C) = {W.shape[::-1]}"
        )
    rank = _checks.positive_int(rank, "rank")
    if rank > min(W.shape):
        raise ValueError(f"rank = {rank}; expected at most min(C, p) = {min(W.shape)}")
    Q = np.linalg.svd(W, full_matrices=False)[2][:rank]
    return Q @ class_means, W @ Q.T


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
    norm = norm_E(H, W, b)
    if norm == 0:
        raise ValueError("the state is zero, so a relative perturbation is undefined")
    rng = np.random.default_rng(_checks.seed_or_none(seed))
    D = [rng.standard_normal(x.shape) for x in (H, W, b)]
    scale = norm / norm_E(*D)
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

    Book: ``thm-collapse-is-nc`` (results chapter, ``book/results.ipynb``): all of them
    vanish at strong collapse.

    Returns
    -------
    dict
        The keys of :func:`ufm.nc_metrics` and ``"risk"`` (``R_e``).
    """
    H, W, b, C, N, _, _ = _checks.triple(H, W, b)
    out = nc_metrics(H, np.repeat(np.arange(C), N), W, b)
    out["risk"] = risk(H, W, b)
    return out
