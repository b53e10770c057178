"""Strong neural collapse and the neural-collapse measures NC1–NC4.

A state ``(H, W, b)`` is in *strong neural collapse* when

1. ``W W^T = sqrt(N) P`` with ``P = I_C - 11^T/C``,
2. ``H = (1/sqrt(N)) (W ⊗ 1_N)^T`` (every sample of class ``c`` has feature ``W_c^T/sqrt(N)``),
3. ``b = 1_C / C``.

Book: ``def-strong-collapse`` and ``lem-interpolation`` (model chapter, ``book/model.ipynb``);
``lem-existence`` and ``thm-collapse-is-nc`` (results chapter, ``book/results.ipynb``);
``def-nc-statistics`` and ``def-nc1`` to ``def-nc4`` (the measures, ``book/observed.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import _checks


def centering(C: int) -> np.ndarray:
    """The centring projector ``P = I_C - (1/C) 1 1^T`` (shape ``(C, C)``)."""
    C = _checks.positive_int(C, "C", 2)
    _checks.fits_in_memory(8 * C * C, f"centering(C={C})")
    return _centering(C)


def simplex_basis(C: int) -> np.ndarray:
    """Orthonormal basis of ``1^⊥`` in ``R^C`` (the Helmert basis), shape ``(C, C-1)``.

    Column ``j`` (``j = 1, …, C-1``) is ``(1, …, 1, -j, 0, …, 0)/sqrt(j(j+1))`` with ``j``
    ones. Its rows are the vertices of a regular simplex centred at the origin.
    """
    C = _checks.positive_int(C, "C", 2)
    _checks.fits_in_memory(8 * C * C, f"simplex_basis(C={C})")
    U = np.zeros((C, C - 1))
    for j in range(1, C):
        U[:j, j - 1] = 1.0
        U[j, j - 1] = -j
        U[:, j - 1] /= np.sqrt(j * (j + 1))
    return U


def strong_collapse(C: int, N: int, p: int, seed=None):
    """A point of strong neural collapse.

    Every such point has ``W = N^{1/4} U Q^T`` with ``U`` an orthonormal basis of ``1^⊥``
    and ``Q`` a ``p x (C-1)`` matrix with orthonormal columns (``lem-existence``).

    Book: ``def-strong-collapse`` and ``lem-interpolation`` (model chapter,
    ``book/model.ipynb``); ``lem-existence`` and ``thm-collapse-is-nc`` (results chapter,
    ``book/results.ipynb``).

    Parameters
    ----------
    C, N, p : int
        Classes (``>= 2``), samples per class, feature dimension (``>= C - 1``).
    seed : int, numpy.random.Generator or None
        ``None`` gives the canonical point: ``U`` is :func:`simplex_basis` and ``Q`` holds
        the first ``C - 1`` columns of ``I_p``, so the classifier rows are a regular
        simplex in the first ``C - 1`` coordinates. A seed gives a point with ``Q`` drawn
        uniformly at random (Haar measure), hence a random point of the family.

    Returns
    -------
    H, W, b : ndarray
        Shapes ``(p, C*N)``, ``(C, p)``, ``(C,)``.

    Raises
    ------
    ValueError
        If ``p < C - 1``: then no point of strong collapse exists.
    """
    C, N, p = _checks.sizes(C, N, p)
    if p < C - 1:
        raise ValueError(
            f"p = {p} < C - 1 = {C - 1}: strong neural collapse needs p >= C - 1, since "
            "W W^T = sqrt(N) P has rank C - 1"
        )
    _checks.fits_in_memory(8 * p * C * N, f"strong_collapse(C={C}, N={N}, p={p})")
    if seed is None:
        Q = np.eye(p, C - 1)
    else:
        rng = np.random.default_rng(_checks.seed_or_none(seed))
        Q, R = np.linalg.qr(rng.standard_normal((p, C - 1)))
        Q *= np.sign(np.diag(R))
    W = N**0.25 * simplex_basis(C) @ Q.T
    H = np.repeat(W.T, N, axis=1) / np.sqrt(N)
    return H, W, np.full(C, 1.0 / C)


def class_summary(H, C: int):
    """Class means and within-class sum of squares of features ordered class by class.

    ``H`` has shape ``(p, C*N)``, or ``(K, p, C*N)`` for a batch of ``K`` states.

    Returns
    -------
    Hbar : ndarray, shape (..., p, C)
        Class means ``H̄`` (column ``c`` is the mean feature of class ``c``).
    within : ndarray, shape (...)
        ``||Δ||_F^2 = tr Σ`` with ``Δ = H - H̄ ⊗ 1_N^T`` the within-class deviations.

    Raises
    ------
    ValueError
        If ``C`` is not a positive integer, ``H`` is not 2- or 3-dimensional, has NaN or
        infinite entries, or a number of columns that ``C`` does not divide.
    TypeError
        If ``H`` is not an array of real numbers or ``C`` not an integer.
    """
    C = _checks.positive_int(C, "C")
    H = _checks.as_array(H, "H", (2, 3))
    if H.shape[-1] % C:
        raise ValueError(
            f"H has {H.shape[-1]} columns, which C = {C} classes of equal size cannot share"
        )
    _checks.fits_in_memory(2 * H.nbytes, f"class_summary of H with shape {H.shape}")
    return _class_summary(H, C)


def _class_summary(H, C):
    """:func:`class_summary` without the checks, for callers that checked ``H`` and ``C``."""
    Hbar, Delta = _split(H, C)
    return Hbar, _sq(Delta)


def _split(H, C):
    """Class means ``H̄`` (``(..., p, C)``) and deviations ``Δ`` (``(..., p, CN)``)."""
    blocks = H.reshape(*H.shape[:-1], C, H.shape[-1] // C)
    Hbar = blocks.mean(axis=-1)
    return Hbar, (blocks - Hbar[..., None]).reshape(H.shape)


def _sq(X):
    """Squared Frobenius norm over the last two axes."""
    return np.einsum("...ij,...ij->...", X, X)


def _norm(X, axes=(-2, -1)):
    """Frobenius norm over ``axes`` (default the last two) that neither overflows nor
    underflows for any representable ``X``: the plain sum of squares (no temporary array),
    and where that overflowed or came near underflow, the norm of ``X`` rescaled by its
    largest entry."""
    X = np.asarray(X)
    axes = [a % X.ndim for a in axes]
    lead = [a for a in range(X.ndim) if a not in axes]
    flat = X.transpose(lead + axes).reshape([X.shape[a] for a in lead] + [-1])
    with np.errstate(over="ignore", under="ignore"):
        out = np.sqrt(np.einsum("...i,...i->...", flat, flat))
    redo = ~np.isfinite(out) | (out < 1e-140)
    if np.any(redo):
        top = np.abs(flat).max(axis=-1, initial=0.0)
        scaled = flat / np.where(top > 0, top, 1.0)[..., None]
        exact = top * np.sqrt(np.einsum("...i,...i->...", scaled, scaled))
        out = np.where(redo, exact, out)
    return out


def _exactly_rescaled(X, *more):
    """``X`` (and the arrays ``more``, by the same factor) times a power of two (an exact
    scaling) that brings the largest entry near 1, when that entry is so large or so small
    that squares would over- or underflow, or means and norms would round to the grid of
    denormal numbers; the arrays themselves otherwise (no copy). One array in, one out;
    several in, a tuple out."""
    parts = (X, *more)
    top = max(np.abs(x).max(initial=0.0) for x in parts)
    if not (top == 0 or 1e-100 < top < 1e100):
        parts = tuple(np.ldexp(x, -int(np.frexp(top)[1])) for x in parts)
    return parts if more else parts[0]


def _decisions(W, X, b):
    """The classifier's decisions ``argmax_c (W x + b)_c`` for the columns ``x`` of ``X``,
    also when ``W X + b 1^T`` overflows: then from ``W``, ``X`` and ``b`` exactly rescaled by
    powers of two (which leaves the argmax unchanged)."""
    with np.errstate(over="ignore", invalid="ignore"):
        Z = W @ X + b[:, None]
    if np.isfinite(Z).all():
        return np.argmax(Z, axis=0)
    eW, eX, eb = (int(np.frexp(np.abs(x).max(initial=0.0))[1]) for x in (W, X, b))
    e = max(eW + eX, eb)
    with np.errstate(under="ignore"):
        Z = np.ldexp(np.ldexp(W, -eW) @ np.ldexp(X, -eX), eW + eX - e) + np.ldexp(b, -e)[:, None]
    return np.argmax(Z, axis=0)


def _centering(C: int) -> np.ndarray:
    """``P = I_C - 11^T/C`` without checking ``C`` (the public :func:`centering` checks)."""
    return np.eye(C) - 1.0 / C


def _errors(W, b, u, spread, N):
    """The three strong-collapse errors (``(..., 3)``) from ``W``, ``b``,
    ``u = sqrt(N) H̄`` and ``spread = ||Δ||_F = sqrt(tr Σ)`` (any leading axes): the one
    implementation behind :func:`strong_collapse_errors`,
    :meth:`ufm.ReducedState.strong_collapse_errors`
    and the errors recorded by :func:`ufm.gradient_descent`.

    With ``||H||^2 = ||u||^2 + tr Σ`` and ``N ||H̄ - W^T/√N||^2 = ||u - W^T||^2``:

    - ``e1 = ||W W^T - √N P||_F`` from the ``C x C`` matrix when ``C <= p + 1`` (near
      collapse it is tiny beside ``N(C-1)``, and the expansion
      ``||W^T W||^2 - 2√N (||W||^2 - ||W^T 1||^2/C) + N(C-1)`` would lose it to
      cancellation); when ``C > p + 1``, ``W W^T`` has rank below ``C - 1``, so
      ``e1 >= sqrt(N(C-1-p))`` and the expansion (no ``C x C`` matrix) is accurate;
    - ``e2 = sqrt(||u - W^T||^2 + tr Σ) / sqrt(||u||^2 + tr Σ)``, ``e3 = ||b - 1/C||``.

    Norms are taken rescaled (:func:`_norm`, :func:`numpy.hypot`), so that ``e2`` is the same
    at any representable scale and ``e1`` does not overflow before its value does.
    """
    C, p = W.shape[-2:]
    # e1 scales like ||W||^2: a huge W (beyond 1e60) is first divided by a power of two 2^e
    # (exact), and e1 = 2^{2e} e1' with e1' the error of the scaled W against √N 2^{-2e} P,
    # so e1 is inf only when its value is beyond the float range.
    top = np.abs(W).max(axis=(-2, -1), initial=0.0)
    e = np.where(top > 1e60, np.frexp(top)[1], 0)
    Ws = np.ldexp(W, -e[..., None, None]) if np.any(e) else W
    s = np.ldexp(np.sqrt(N), -2 * e)
    if C <= p + 1:
        gram = Ws @ np.swapaxes(Ws, -1, -2)
        gram -= s[..., None, None] * _centering(C)
        e1 = _norm(gram)
    else:
        M = np.swapaxes(Ws, -1, -2) @ Ws
        colsum = Ws.sum(axis=-2)
        trace = np.trace(M, axis1=-2, axis2=-1)
        colsq = np.einsum("...i,...i->...", colsum, colsum)
        sq = _sq(M) - 2 * s * (trace - colsq / C) + np.ldexp(float(N), -4 * e) * (C - 1)
        e1 = np.sqrt(np.maximum(sq, 0.0))
    with np.errstate(over="ignore"):
        e1 = np.ldexp(e1, 2 * e)
    e2 = np.hypot(_norm(W - np.swapaxes(u, -1, -2)), spread) / np.hypot(_norm(u), spread)
    e3 = np.linalg.norm(b - 1.0 / C, axis=-1)
    return np.stack([e1, e2, e3], axis=-1)


def _nc1(means, n, Sigma=None, L=None):
    """NC1 ``tr(Σ_W Σ_B^†)/C = tr(Σ (M M^T)^†)/n`` (any leading axes): the one implementation
    behind :func:`nc_metrics`, :meth:`ufm.ReducedState.nc1` and the NC1 recorded by
    :func:`ufm.gradient_descent`.

    ``means`` are the class means (``(..., p, C)``), ``n`` the number of samples, and the
    within-class scatter ``Σ = Σ_i (h_i - μ_{y_i})(h_i - μ_{y_i})^T`` is given as ``Sigma``
    or by a factor ``L`` with ``Σ = L L^T`` (for example the deviations themselves).
    ``M`` are the centred means. ``M`` is computed from uncentred means, so its rounding
    error scales with their size: the pseudo-inverse keeps the singular values above
    ``max(p, C)`` machine epsilons times the larger of ``||M||_2`` and
    ``||[μ_1, …, μ_C]||_F``. NaN when all class means coincide.
    """
    p, C = means.shape[-2:]
    finite = np.isfinite(means).all(axis=(-2, -1))  # a diverged run of a batch: no value
    M = means - means.mean(axis=-1, keepdims=True)
    U, s, _ = np.linalg.svd(np.where(finite[..., None, None], M, 0.0), full_matrices=False)
    top = s[..., :1]
    level = np.maximum(top, np.sqrt(_sq(means))[..., None])
    keep = (s > max(p, C) * np.finfo(float).eps * level) & (top > 0)
    s_kept = np.where(keep, s, 1.0)
    if Sigma is None and means.ndim == 2:  # one state: project on the kept directions only
        scaled = (U[:, keep].T @ L) / s[keep, None]
        value = np.sum(scaled**2) / n
    elif Sigma is None:
        scaled = np.where(keep[..., None], (np.swapaxes(U, -1, -2) @ L) / s_kept[..., None], 0.0)
        value = np.sum(scaled**2, axis=(-2, -1)) / n
    else:
        terms = np.einsum("...ij,...ik,...kj->...j", U, Sigma, U) / s_kept**2
        value = np.where(keep, terms, 0.0).sum(axis=-1) / n
    return np.where(finite & (top[..., 0] > 0), value, np.nan)


def strong_collapse_errors(H, W, b) -> np.ndarray:
    """How far a state is from strong neural collapse: the three errors of Figure 1.

    Book: ``def-strong-collapse`` (model chapter, ``book/model.ipynb``); all three errors
    vanish exactly at its points.

    Returns
    -------
    ndarray, shape (3,)
        ``||W W^T - sqrt(N) P||_F``, ``||H - (1/sqrt(N))(W ⊗ 1_N)^T||_F / ||H||_F`` and
        ``||b - 1_C/C||_2``.

    Raises
    ------
    ValueError
        If ``H = 0`` (the relative second error is then 0/0), if ``W`` is so large that
        ``e1`` is beyond the float range (``||W||`` above about 1e154), or the input is
        malformed.
    """
    H, W, b, C, N, _, _ = _checks.triple(H, W, b)
    if not H.any():
        raise ValueError("H is zero, so the relative error ||H - (W ⊗ 1)^T/√N|| / ||H|| is 0/0")
    Hbar, Delta = _split(H, C)
    errors = _errors(W, b, np.sqrt(N) * Hbar, _norm(Delta), N)
    if np.isinf(errors[0]):
        raise ValueError(
            f"W is too large (largest entry {np.abs(W).max():.3g}): ||W W^T - sqrt(N) P||_F "
            "is beyond the largest floating-point number"
        )
    Hs, Ws = _exactly_rescaled(H, W)  # the relative error e2, at any scale
    if Hs is not H:
        Hbar, Delta = _split(Hs, C)
        errors[1] = _errors(Ws, b, np.sqrt(N) * Hbar, _norm(Delta), N)[1]
    return errors


def _nc2(M) -> dict[str, float]:
    """The NC2 keys of :func:`nc_metrics` from the centred class means ``M`` (``p x C``)."""
    C = M.shape[1]
    norms = np.linalg.norm(M, axis=0)
    if not norms.any():
        raise ValueError("the features' class means all coincide, so NC1–NC3 are 0/0")
    if (norms == 0).any():
        raise ValueError(
            "a class mean of the features equals the global mean, so its cosines are 0/0"
        )
    unit = M / norms
    off = ~np.eye(C, dtype=bool)
    gap = np.abs(unit.T @ unit + 1.0 / (C - 1))
    return {
        "nc2_equinorm": float(norms.std() / norms.mean()),
        "nc2_equiangular": float(gap[off].mean()),
        "nc2_maxangle": float(np.where(off, gap, -np.inf).max(axis=1).mean()),
    }


def _nc3(W, M) -> float:
    """NC3 of :func:`nc_metrics`: ``||W^T/||W||_F - M/||M||_F||_F^2``."""
    if not W.any():
        raise ValueError("W is zero, so W^T/||W||_F in NC3 is 0/0")
    W = _exactly_rescaled(W)
    diff = W.T / _norm(W) - M / _norm(M)
    return float(np.vdot(diff, diff))


def _unit_columns(V, what: str) -> np.ndarray:
    """The columns of ``V`` divided by their norms; a zero column is refused, naming
    ``what`` (for example ``"row {} of W"``) with its index."""
    norms = np.linalg.norm(V, axis=0)
    if (norms == 0).any():
        where = what.format(int(np.flatnonzero(norms == 0)[0]))
        raise ValueError(f"{where} is zero, so its cosines are 0/0")
    return V / norms


def _pair_cosines(unit) -> np.ndarray:
    """The cosines of the ``C(C-1)/2`` pairs ``c < c'`` of unit columns."""
    rows, cols = np.triu_indices(unit.shape[1], 1)
    return (unit.T @ unit)[rows, cols]


def _etf_error(gram) -> float:
    """``||gram/||gram||_F - P/||P||_F||_F`` for a nonzero ``C x C`` matrix ``gram``, with
    ``P = I - 11^T/C`` and ``||P||_F = sqrt(C-1)``: the distance of the normalised ``gram``
    from the normalised Gram matrix of a simplex ETF."""
    C = gram.shape[0]
    return float(_norm(gram / _norm(gram) - _centering(C) / np.sqrt(C - 1)))


def _nc_variants(means, within, counts, W=None, b=None, scale=1.0) -> dict[str, float]:
    """The keys that ``variants=True`` adds to :func:`nc_metrics` and
    :meth:`ufm.NCAccumulator.metrics`, from the class means ``means`` (``p x C``), the
    within-class sums of squares ``within`` (``within[c] = Σ_{y_i = c} ||h_i - μ_c||^2``)
    and the class sizes ``counts``: the one implementation behind both. ``means`` and
    ``within`` may be those of the features times ``1/scale`` (``within`` times
    ``1/scale^2``); only ``bias_collapse`` is not scale-invariant, and it undoes the scale.
    ``W`` and ``b`` are checked by the caller; the keys that need them are absent without
    them.
    """
    p, C = means.shape
    M = means - means.mean(axis=1, keepdims=True)
    unit_M = _unit_columns(M, "the centred mean of class {}")
    rows, cols = np.triu_indices(C, 1)
    distances = np.sum((M[:, rows] - M[:, cols]) ** 2, axis=0)  # ||μ_c - μ_c'||^2, c < c'
    if (distances == 0).any():
        k = int(np.flatnonzero(distances == 0)[0])
        raise ValueError(
            f"classes {rows[k]} and {cols[k]} have the same mean, so their term of the "
            "CDNV divides by ||μ_c - μ_c'||^2 = 0"
        )
    variances = within / counts  # σ_c^2, the mean of ||h - μ_c||^2 over class c
    cosines = _pair_cosines(unit_M)
    out = {
        "nc1_trace_ratio": float((within.sum() / counts.sum()) / (_sq(M) / C)),
        "nc1_cdnv": float(np.mean((variances[rows] + variances[cols]) / (2 * distances))),
        "nc2_cos_std": float(cosines.std()),
        "nc2_etf": _etf_error(M.T @ M),
    }
    if W is None:
        return out
    Ws = _exactly_rescaled(W)  # every key but bias_collapse is invariant under W -> a W
    unit_W = _unit_columns(Ws.T, "row {} of W")
    norms_W = np.linalg.norm(Ws, axis=1)
    cosines_W = _pair_cosines(unit_W)
    WM = Ws @ M
    if _norm(WM) <= max(p, C) * np.finfo(float).eps * _norm(Ws) * _norm(M):
        raise ValueError(
            "W M is zero up to rounding (the rows of W are orthogonal to the centred class "
            "means), so W M/||W M||_F in nc3_etf is 0/0"
        )
    out |= {
        "nc2_equinorm_W": float(norms_W.std() / norms_W.mean()),
        "nc2_equiangular_W": float(np.mean(np.abs(cosines_W + 1.0 / (C - 1)))),
        "nc2_cos_std_W": float(cosines_W.std()),
        "nc2_etf_W": _etf_error(Ws @ Ws.T),
        "nc3_etf": _etf_error(WM),
        "nc3_cos_mean": float(np.mean(np.sum(unit_W * unit_M, axis=0))),
    }
    if b is not None:
        out["bias_collapse"] = float(_norm(scale * (W @ means.mean(axis=1)) + b, axes=(-1,)))
    return out


def nc_metrics(features, labels, W=None, b=None, *, variants: bool = False) -> dict[str, float]:
    """The neural-collapse measures NC1–NC4 of Papyan, Han and Donoho, on any features.

    Book: ``def-nc-statistics`` and ``def-nc1``, ``def-nc2``, ``def-nc3``, ``def-nc4``
    (chapter *Neural collapse, observed*, ``book/observed.ipynb``); at strong collapse all
    of them vanish, ``thm-collapse-is-nc`` (results chapter, ``book/results.ipynb``).

    Conventions (:mod:`ufm.conventions` and its table in the appendix ``book/measure.ipynb``
    relate them to other codebases):

    - class means ``μ_c``; the global mean ``μ_G`` is the *mean of the class means*
      (not the sample mean, which differs when classes are imbalanced);
      ``M = [μ_1 - μ_G, …, μ_C - μ_G]``;
    - ``Σ_W`` is averaged over all ``n`` samples: ``(1/n) Σ_i (h_i - μ_{y_i})(h_i - μ_{y_i})^T``;
    - ``Σ_B = (1/C) M M^T`` is averaged over classes.

    Keys of the result:

    - ``nc1``: ``tr(Σ_W Σ_B^†)/C`` (variability collapse); the pseudo-inverse drops
      singular values of ``M`` below ``max(p, C) * machine epsilon`` times the larger of
      ``||M||_2`` and ``||[μ_1, …, μ_C]||_F`` (the rounding level of ``M``);
    - ``nc2_equinorm``: std/mean of ``||μ_c - μ_G||`` (population std);
    - ``nc2_equiangular``: mean over ``c ≠ c'`` of ``|cos(μ_c - μ_G, μ_c' - μ_G) + 1/(C-1)|``;
    - ``nc2_maxangle``: mean over ``c`` of ``max_{c' ≠ c} |cos + 1/(C-1)|``;
    - ``nc3`` (needs ``W``): ``||W^T/||W||_F - M/||M||_F||_F^2`` (self-duality);
    - ``nc4`` (needs ``W``; ``b = 0`` if not given): the *fraction of samples* on which the
      classifier's decision ``argmax_c (W h + b)_c`` disagrees with the nearest class mean
      ``argmin_c ||h - μ_c||`` (0 means full agreement).

    All of these are 0 under exact collapse. With ``variants=True`` the result also has the
    variants that other public code reports (names below: the notebook that accompanies
    Papyan, Han and Donoho; ``rhubarbwu/neural-collapse``; ``tding1/Neural-Collapse``, the
    code of Zhu et al. 2021). They use this function's ``μ_G`` (mean of the class means)
    where some codebases use the mean of all samples: the same numbers on balanced
    classes. ``P = I_C - 11^T/C``, ``||P||_F = sqrt(C - 1)``; ``w_c`` is row ``c`` of ``W``.
    Each is 0 under exact collapse unless said otherwise.

    - ``nc1_trace_ratio``: ``tr Σ_W / tr Σ_B`` (rhubarbwu's ``covariance_ratio`` with
      ``metric="quotient"``, after Tirer et al. 2023);
    - ``nc1_cdnv``: mean over pairs ``c < c'`` of ``(σ_c^2 + σ_c'^2) / (2 ||μ_c - μ_c'||^2)``,
      ``σ_c^2`` the mean of ``||h - μ_c||^2`` over the samples of class ``c``: the
      class-distance normalised variance of Galanti et al. 2022 (rhubarbwu's
      ``variability_cdnv``);
    - ``nc2_cos_std``: population standard deviation, over pairs ``c < c'``, of
      ``cos(μ_c - μ_G, μ_c' - μ_G)`` (the *equiangularity* curve of Papyan, Han and
      Donoho's Figure 3, which their notebook does not compute; a sample standard
      deviation is larger by ``sqrt(K/(K-1))``, ``K = C(C-1)/2``);
    - ``nc2_etf``: ``||M^T M/||M^T M||_F - P/||P||_F||_F`` (rhubarbwu's
      ``simplex_etf_error``);
    - ``nc2_equinorm_W`` (needs ``W``): std/mean of ``||w_c||`` (the notebook's
      ``norm_W_CoV``, which uses the sample std);
    - ``nc2_equiangular_W`` (needs ``W``): mean over ``c ≠ c'`` of
      ``|cos(w_c, w_c') + 1/(C-1)|`` (the notebook's ``cos_W``); ``W`` is not centred;
    - ``nc2_cos_std_W`` (needs ``W``): as ``nc2_cos_std`` for the rows of ``W``;
    - ``nc2_etf_W`` (needs ``W``): ``||W W^T/||W W^T||_F - P/||P||_F||_F``
      (tding1's ``compute_ETF``, NC2 in Zhu et al. 2021);
    - ``nc3_etf`` (needs ``W``): ``||W M/||W M||_F - P/||P||_F||_F`` (tding1's
      ``compute_W_H_relation``; rhubarbwu's ``self_duality_error``);
    - ``nc3_cos_mean`` (needs ``W``): mean over ``c`` of ``cos(w_c, μ_c - μ_G)`` (the
      per-class cosines are rhubarbwu's ``similarities(..., cos=True)``); **1**, not 0,
      under exact collapse;
    - ``bias_collapse`` (needs ``W`` and ``b``): ``||W μ_G + b||_2`` (tding1's
      ``compute_Wh_b_relation``). Not scale-invariant, and **not 0** at this book's strong
      collapse: there ``W μ_G + b = 1_C/C`` (the mean target), so it is ``1/sqrt(C)``; it is
      0 where ``W μ_G + b = 0``, as at the collapse of cross-entropy with weight decay that
      Zhu et al. 2021 study;
    - ``nc4_agreement`` (needs ``W``): ``1 - nc4``, the fraction of samples where the two
      decisions agree (rhubarbwu's ``clf_ncc_agreement``); **1** under exact collapse.
      For held-out samples and the training means, see :func:`ufm.ncc_mismatch`.

    Parameters
    ----------
    features : array_like, shape (p, n)
        One column per sample (like ``H``), in any order.
    labels : array_like of int, shape (n,)
        Class of each sample, in ``0, …, C-1``; every class must have a sample.
        ``C`` is ``W.shape[0]`` when ``W`` is given, else ``max(labels) + 1``.
    W : array_like, shape (C, p), optional
    b : array_like, shape (C,), optional
    variants : bool, default False
        Whether to add the variant keys.

    Returns
    -------
    dict of float
        The keys above; those that need ``W`` (or ``W`` and ``b``) are absent without it.

    Raises
    ------
    ValueError
        On malformed input, fewer than 2 classes, an empty class, or class means that all
        coincide (then every measure is 0/0). With ``variants``, also when two class means
        coincide (a CDNV term is then infinite or 0/0), a row of ``W`` is zero, or
        ``W M`` is zero up to rounding.
    """
    X = _checks.as_array(features, "features", 2)
    p, n = X.shape
    y = _checks.labels(labels, "labels", n, "the columns of features")
    if W is not None:
        W = _checks.as_array(W, "W", 2)
        if W.shape[1] != p:
            raise ValueError(f"W has {W.shape[1]} columns; expected p = {p} (rows of features)")
        C, source = W.shape[0], "the rows of W"
    else:
        C, source = int(y.max()) + 1, "max(labels) + 1"
        if b is not None:
            _checks.as_array(b, "b", 1)  # checked; unused without W
    if C < 2:
        raise ValueError(f"there are C = {C} classes; expected at least 2 (C is {source})")
    _checks.labels_below(y, "labels", C, source)
    _checks.fits_in_memory(8 * (p + 2) * C, f"labels up to {C - 1} (C = {C} classes)")
    counts = np.bincount(y, minlength=C)
    if (counts == 0).any():
        empty = np.flatnonzero(counts == 0).tolist()
        raise ValueError(
            f"classes {empty} have no sample in labels; every class 0, …, {C - 1} needs one"
        )

    raw = X
    X = _exactly_rescaled(X)  # every measure below is scale-invariant but NC4's argmax
    means = np.zeros((p, C))
    np.add.at(means.T, y, X.T)
    means /= counts
    M = means - means.mean(axis=1, keepdims=True)
    dev = X - means[:, y]

    nc2 = _nc2(M)  # refuses means that coincide, before NC1 divides by them
    out = {"nc1": float(_nc1(means, n, L=dev)), **nc2}
    if W is not None:
        out["nc3"] = _nc3(W, M)
        bias = np.zeros(C) if b is None else _checks.as_array(b, "b", 1)
        if bias.shape != (C,):
            raise ValueError(f"b has {bias.shape[0]} entries; expected C = {C}")
        decision = _decisions(W, raw, bias)
        sq = (X * X).sum(axis=0)[None, :] - 2 * means.T @ X + (means * means).sum(axis=0)[:, None]
        nearest = np.argmin(sq, axis=0)
        out["nc4"] = float(np.mean(decision != nearest))
    if variants:
        within = np.bincount(y, weights=np.einsum("ij,ij->j", dev, dev), minlength=C)
        top = np.argmax(np.abs(X))  # X = raw / scale with scale a power of two (or 1)
        scale = 1.0 if X is raw else raw.flat[top] / X.flat[top]
        given = None if W is None or b is None else bias  # bias_collapse needs b itself
        out |= _nc_variants(means, within, counts, W, given, scale)
        if W is not None:
            out["nc4_agreement"] = 1.0 - out["nc4"]
    return out
