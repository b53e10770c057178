"""Exact gradient descent whose cost does not depend on N: the reduced state.

Split the features into class means and within-class deviations,
``H = H̄ ⊗ 1_N^T + Δ`` (each class of ``Δ`` sums to zero), and let ``Σ = Δ Δ^T``. Then
(book, notation page, Section 6), with ``R̄ = W H̄ + b 1_C^T - I_C``:

- ``∇_W = (1/C) R̄ H̄^T + (1/(CN)) W Σ`` and ``∇_b = (1/C) R̄ 1_C``;
- the class means move by ``H̄ ↦ H̄ - (η/(CN)) W^T R̄``;
- the deviations move by ``Δ ↦ K Δ`` with ``K = I_p - (η/(CN)) W^T W`` (``W`` before the
  step), so ``Σ ↦ K Σ K^T``;
- the risk is ``(1/(2C)) ||R̄||_F^2 + (1/(2CN)) <W^T W, Σ>``.

So ``(H̄, Σ, W, b)`` and ``N`` evolve exactly as full gradient descent does, at a cost per
step that does not depend on ``N``. This module holds that state (:class:`ReducedState`) and
the step. The step works on a factor ``L`` with ``Σ = L L^T`` (``L ↦ K L``), which keeps
``Σ`` positive semidefinite, needs no ``p × p`` product when ``C`` is small, and gives the
full features back at the end: if ``Δ_0 = L_0 Q^T`` then ``Δ_k = L_k Q^T``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _checks


@dataclass(frozen=True)
class ReducedState:
    """The state of gradient descent with ``N`` removed: ``(H̄, Σ, W, b)`` and ``N``.

    It determines the risk, the three strong-collapse errors, the distance from S and NC1
    exactly, and it evolves under gradient descent exactly as the full state does
    (:func:`ufm.gradient_descent` accepts it in place of ``(H, W, b)``). A leading ``K``
    axis on every array makes a batch of ``K`` states (see :meth:`stack`).

    Attributes
    ----------
    Hbar : ndarray, shape (p, C) or (K, p, C)
        Class means ``H̄`` (column ``c`` is the mean feature of class ``c``).
    Sigma : ndarray, shape (p, p) or (K, p, p)
        ``Σ = Δ Δ^T``, the within-class scatter (symmetric positive semidefinite); the
        within-class covariance of NC1 is ``Σ_W = Σ/(CN)``.
    W : ndarray, shape (C, p) or (K, C, p)
        Classifier.
    b : ndarray, shape (C,) or (K, C)
        Bias.
    N : int
        Samples per class.

    Raises
    ------
    ValueError
        If the shapes do not fit together, an entry is not finite, ``Sigma`` is not
        symmetric or ``N < 1``.
    """

    Hbar: np.ndarray
    Sigma: np.ndarray
    W: np.ndarray
    b: np.ndarray
    N: int

    def __post_init__(self):
        W = _checks.as_array(self.W, "W", (2, 3))
        ndim = W.ndim
        Hbar = _checks.as_array(self.Hbar, "Hbar", ndim)
        Sigma = _checks.as_array(self.Sigma, "Sigma", ndim)
        b = _checks.as_array(self.b, "b", ndim - 1)
        N = _checks.positive_int(self.N, "N")
        C, p = W.shape[-2:]
        if C < 2:
            raise ValueError(f"W has {C} row; expected one row per class and C >= 2 classes")
        lead = W.shape[:-2]
        if Hbar.shape != (*lead, p, C):
            raise ValueError(f"Hbar has shape {Hbar.shape}; expected {(*lead, p, C)} (p x C)")
        if Sigma.shape != (*lead, p, p):
            raise ValueError(f"Sigma has shape {Sigma.shape}; expected {(*lead, p, p)} (p x p)")
        if b.shape != (*lead, C):
            raise ValueError(f"b has shape {b.shape}; expected {(*lead, C)} (one entry per class)")
        asym = np.abs(Sigma - np.swapaxes(Sigma, -1, -2)).max()
        if asym > 1e-12 * max(np.abs(Sigma).max(), 1e-300):
            raise ValueError("Sigma is not symmetric; expected Sigma = Delta Delta^T")
        for name, value in (("Hbar", Hbar), ("Sigma", Sigma), ("W", W), ("b", b), ("N", N)):
            object.__setattr__(self, name, value)

    @property
    def C(self) -> int:
        """Number of classes."""
        return self.W.shape[-2]

    @property
    def p(self) -> int:
        """Feature dimension."""
        return self.W.shape[-1]

    @property
    def batched(self) -> bool:
        """Whether the arrays carry a leading batch axis."""
        return self.W.ndim == 3

    @classmethod
    def from_full(cls, H, W, b) -> ReducedState:
        """The reduced state of a full state ``(H, W, b)`` (or of a batch of them).

        Parameters
        ----------
        H, W, b : array_like
            Shapes ``(p, C*N)``, ``(C, p)``, ``(C,)``, or with a leading batch axis.

        Returns
        -------
        ReducedState
            ``H̄`` the class means and ``Σ = Δ Δ^T`` the scatter of the deviations.
        """
        H, W, b, C, N, _, _ = _checks.triple(H, W, b, batch=True)
        Hbar, Delta = _split(H, C)
        return cls(Hbar, Delta @ np.swapaxes(Delta, -1, -2), W, b, N)

    @classmethod
    def random(cls, C: int, N: int, p: int, eps: float, seed=None) -> ReducedState:
        """The reduced state of :func:`ufm.random_init`, sampled without forming ``H``.

        With ``H`` i.i.d. standard Gaussian before rescaling, ``H̄`` has i.i.d.
        ``N(0, 1/N)`` entries and, independently, ``Σ`` is Wishart with ``C(N-1)``
        degrees of freedom and identity scale. It is drawn as ``L L^T`` with ``L`` a
        Gaussian ``p x C(N-1)`` matrix when ``C(N-1) < p``, and otherwise from the
        Bartlett decomposition (cost ``O(p^3)``, whatever ``N``). Both are then rescaled
        by ``s`` (``Σ`` by ``s^2``) with ``s^2 (N ||H̄||_F^2 + tr Σ) = eps^2``; ``W`` is
        Gaussian rescaled to Frobenius norm ``eps`` and ``b = 0``. The result has exactly
        the distribution of ``ReducedState.from_full(*random_init(C, N, p, eps))``.

        Parameters
        ----------
        C, N, p : int
            Classes (``>= 2``), samples per class and feature dimension.
        eps : float
            Size of the initialisation, ``> 0``.
        seed : int, numpy.random.Generator or None
            Source of randomness.

        Returns
        -------
        ReducedState
        """
        C, N, p = _checks.sizes(C, N, p)
        eps = _checks.positive_float(eps, "eps")
        rng = np.random.default_rng(_checks.seed_or_none(seed))
        Hbar = rng.standard_normal((p, C)) / np.sqrt(N)
        df = C * (N - 1)
        if df < p:
            L = rng.standard_normal((p, df))
        else:
            L = np.tril(rng.standard_normal((p, p)), -1)
            L[np.diag_indices(p)] = np.sqrt(rng.chisquare(df - np.arange(p)))
        Sigma = L @ L.T
        W = rng.standard_normal((C, p))
        s2 = eps**2 / (N * np.vdot(Hbar, Hbar) + np.trace(Sigma))
        return cls(np.sqrt(s2) * Hbar, s2 * Sigma, eps * W / np.linalg.norm(W), np.zeros(C), N)

    @classmethod
    def stack(cls, states) -> ReducedState:
        """Stack single reduced states of equal sizes into a batch.

        Parameters
        ----------
        states : sequence of ReducedState
            Unbatched states with equal ``C``, ``N`` and ``p``.

        Returns
        -------
        ReducedState
            Arrays with a leading axis of length ``len(states)``.
        """
        states = list(states)
        if not states:
            raise ValueError("states is empty; expected at least one ReducedState")
        if not all(isinstance(s, ReducedState) and not s.batched for s in states):
            raise TypeError("states must be unbatched ReducedState objects")
        sizes = {(s.C, s.N, s.p) for s in states}
        if len(sizes) > 1:
            raise ValueError(f"states have different sizes (C, N, p) {sorted(sizes)}")
        return cls(
            *(np.stack([getattr(s, name) for s in states]) for name in ("Hbar", "Sigma", "W", "b")),
            states[0].N,
        )

    def risk(self):
        """Empirical risk ``(1/(2C)) ||R̄||_F^2 + (1/(2CN)) <W^T W, Σ>``.

        Returns
        -------
        float, or ndarray of shape (K,) for a batch
        """
        value = _residual_sq(self.Hbar, self.Sigma, self.W, self.b, self.N) / (2 * self.C * self.N)
        return value if self.batched else float(value)

    def strong_collapse_errors(self) -> np.ndarray:
        """The three strong-collapse errors, as :func:`ufm.strong_collapse_errors`.

        Returns
        -------
        ndarray, shape (3,) or (K, 3)
        """
        return self._metrics()[0]

    def distance_to_S(self):
        """Relative distance from S, as :func:`ufm.distance_to_S`.

        Returns
        -------
        float, or ndarray of shape (K,) for a batch
        """
        value = self._metrics()[1]
        return value if self.batched else float(value)

    def _metrics(self):
        u = np.sqrt(self.N) * self.Hbar
        return _metrics(self.W, self.b, u, np.trace(self.Sigma, axis1=-2, axis2=-1), self.N)

    def nc1(self):
        """NC1, ``tr(Σ_W Σ_B^†)/C`` with ``Σ_W = Σ/(CN)`` and ``Σ_B = M M^T/C``, as the
        ``nc1`` of :func:`ufm.nc_metrics` (NaN when all class means coincide).

        Returns
        -------
        float, or ndarray of shape (K,) for a batch
        """
        value = _nc1(self.Hbar, self.Sigma, self.N)
        return value if self.batched else float(value)


def _split(H, C):
    """Class means ``H̄`` (``(..., p, C)``) and deviations ``Δ`` (``(..., p, CN)``)."""
    blocks = H.reshape(*H.shape[:-1], C, H.shape[-1] // C)
    Hbar = blocks.mean(axis=-1)
    return Hbar, (blocks - Hbar[..., None]).reshape(H.shape)


def _residual_sq(Hbar, Sigma, W, b, N):
    """``||W H + b 1^T - Y||_F^2 = N ||R̄||_F^2 + <W^T W, Σ>`` (any leading axes).

    ``R̄`` is formed when ``C <= p + 1``; otherwise, without a ``C x C`` matrix,
    ``N ||R̄||^2 = N <W^T W, H̄ H̄^T> + 2N (b^T W H̄ 1 - tr(W H̄)) + N (C ||b||^2 - 2 1^T b + C)``,
    which cannot cancel: ``R̄`` has rank at least ``C - p - 1 >= 1`` then.
    """
    C, p = W.shape[-2:]
    WS = np.einsum("...ij,...ij->...", W @ Sigma, W)
    if C <= p + 1:
        Rbar = W @ Hbar + b[..., None] - np.eye(C)
        return N * np.einsum("...ij,...ij->...", Rbar, Rbar) + WS
    M = np.swapaxes(W, -1, -2) @ W
    Q = Hbar @ np.swapaxes(Hbar, -1, -2)
    cross = np.einsum("...i,...ij,...j->...", b, W, Hbar.sum(axis=-1)) - np.einsum(
        "...ij,...ji->...", W, Hbar
    )
    constant = C * np.einsum("...i,...i->...", b, b) - 2 * b.sum(axis=-1) + C
    return N * (np.einsum("...ij,...ij->...", M, Q) + 2 * cross + constant) + WS


def _sq(X):
    """Squared Frobenius norm over the last two axes."""
    return np.einsum("...ij,...ij->...", X, X)


def _metrics(W, b, u, within, N):
    """Strong-collapse errors (``(..., 3)``) and relative distance from S (``(...)``) from
    ``W``, ``b``, ``u = sqrt(N) H̄`` and ``within = tr Σ`` (any leading axes).

    With ``||H||^2 = ||u||^2 + tr Σ`` and ``N ||H̄ - W^T/√N||^2 = ||u - W^T||^2``:

    - ``e1 = ||W W^T - √N P||_F`` from the ``C x C`` matrix when ``C <= p + 1`` (near
      collapse it is tiny beside ``N(C-1)``, and the expansion
      ``||W^T W||^2 - 2√N (||W||^2 - ||W^T 1||^2/C) + N(C-1)`` would lose it to
      cancellation); when ``C > p + 1``, ``W W^T`` has rank below ``C - 1``, so
      ``e1 >= sqrt(N(C-1-p))`` and the expansion (no ``C x C`` matrix) is accurate;
    - ``e2 = sqrt(||u - W^T||^2 + tr Σ) / sqrt(||u||^2 + tr Σ)``, ``e3 = ||b - 1/C||``;
    - with ``V = P (W + u^T)/2`` the projection onto S, ``||W - V||^2 + ||u^T - V||^2 =
      (||1^T (W + u^T)||^2 / C + ||W - u^T||^2)/2``, so the squared distance is
      ``[that + tr Σ + ||b - mean(b)||^2] / [||u||^2 + tr Σ + ||W||^2 + ||b||^2]``.
    """
    C, p = W.shape[-2:]
    s = np.sqrt(N)
    ut = np.swapaxes(u, -1, -2)
    if C <= p + 1:
        gram = W @ np.swapaxes(W, -1, -2)
        gram -= s * (np.eye(C) - 1.0 / C)
        e1 = np.sqrt(_sq(gram))
    else:
        M = np.swapaxes(W, -1, -2) @ W
        colsum = W.sum(axis=-2)
        trace = np.trace(M, axis1=-2, axis2=-1)
        sq = (
            _sq(M) - 2 * s * (trace - np.einsum("...i,...i->...", colsum, colsum) / C) + N * (C - 1)
        )
        e1 = np.sqrt(np.maximum(sq, 0.0))
    gap = _sq(W - ut)
    size_H = _sq(u) + within
    e2 = np.sqrt((gap + within) / size_H)
    e3 = np.linalg.norm(b - 1.0 / C, axis=-1)
    mean_row = (W + ut).sum(axis=-2)
    spread = b - b.mean(axis=-1, keepdims=True)
    off = (np.einsum("...i,...i->...", mean_row, mean_row) / C + gap) / 2 + within
    off += np.einsum("...i,...i->...", spread, spread)
    total = size_H + _sq(W) + np.einsum("...i,...i->...", b, b)
    return np.stack([e1, e2, e3], axis=-1), np.sqrt(off / total)


def _nc1(Hbar, Sigma, N, L=None):
    """NC1 ``tr(Σ (M M^T)^†)/(CN)`` from class means and scatter (any leading axes); the
    scatter is given as ``Sigma`` or, when ``Sigma`` is None, by a factor ``L`` (``Σ = L L^T``).

    ``M`` are the centred class means; the pseudo-inverse keeps singular values above
    ``max(p, C)`` machine epsilons times the largest, as :func:`ufm.nc_metrics`.
    """
    p, C = Hbar.shape[-2:]
    M = Hbar - Hbar.mean(axis=-1, keepdims=True)
    U, s, _ = np.linalg.svd(M, full_matrices=False)
    top = s[..., :1]
    keep = (s > max(p, C) * np.finfo(float).eps * top) & (top > 0)
    if Sigma is None:
        UL = np.swapaxes(U, -1, -2) @ L
        quad = np.einsum("...ij,...ij->...i", UL, UL)
    else:
        quad = np.einsum("...ij,...ik,...kj->...j", U, Sigma, U)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(keep, quad / np.where(keep, s, 1.0) ** 2, 0.0)
    value = terms.sum(axis=-1) / (C * N)
    return np.where(top[..., 0] > 0, value, np.nan)


def _factor(Sigma):
    """A factor ``L`` (``(K, p, r)``) with ``L L^T = Σ`` for a stack of scatters.

    Cholesky when every ``Σ`` is positive definite; otherwise the eigendecomposition,
    keeping the eigenvalues above rounding level (``r`` is the largest such rank).

    Raises
    ------
    ValueError
        If some ``Σ`` has a clearly negative eigenvalue.
    """
    try:
        return np.linalg.cholesky(Sigma)
    except np.linalg.LinAlgError:
        pass
    lam, U = np.linalg.eigh(Sigma)
    p = Sigma.shape[-1]
    top = np.maximum(lam[..., -1:], 0.0)
    tol = p * np.finfo(float).eps * top
    if (lam < -100 * tol - 1e-300).any():
        raise ValueError("Sigma has a negative eigenvalue; expected a positive semidefinite Sigma")
    r = int((lam > tol).sum(axis=-1).max())
    lam = np.where(lam > tol, lam, 0.0)[..., p - r :]
    return U[..., p - r :] * np.sqrt(lam)[..., None, :]


def _deviation_factor(Delta):
    """A factor ``L_0`` of the deviations ``Δ_0`` (``(K, p, CN)``) and a function that
    rebuilds ``Δ_k`` from ``L_k = K_{k-1} ⋯ K_0 L_0``.

    When ``Σ_0 = Δ_0 Δ_0^T`` is well conditioned (its Cholesky factor ``L_0`` has condition
    number at most ``10^4``, so ``L_0^{-1}`` costs at most four digits of the sixteen),
    ``Δ_k = (L_k L_0^{-1}) Δ_0``: the accumulated product ``K_{k-1} ⋯ K_0`` applied to
    ``Δ_0``. Otherwise (rank-deficient or badly conditioned ``Σ_0``) ``Δ_0^T = Q R`` and
    ``Δ_k = L_k Q^T`` with ``L_0 = R^T``, which needs no inverse.
    """
    Sigma = Delta @ np.swapaxes(Delta, 1, 2)
    try:
        L0 = np.linalg.cholesky(Sigma)
        well_conditioned = bool((np.linalg.cond(L0) <= 1e4).all())
    except np.linalg.LinAlgError:
        well_conditioned = False
    if well_conditioned:

        def rebuild(L):
            # (L_k L_0^{-1})^T = L_0^{-T} L_k^T
            product = np.swapaxes(
                np.linalg.solve(np.swapaxes(L0, 1, 2), np.swapaxes(L, 1, 2)), 1, 2
            )
            return product @ Delta

        return L0, rebuild
    Q, R = np.linalg.qr(np.swapaxes(Delta, 1, 2))

    def rebuild(L):
        return L @ np.swapaxes(Q, 1, 2)

    return np.swapaxes(R, 1, 2), rebuild


#: Recorded states are kept in chunks of about this many float64 numbers (small enough to
#: stay in cache) before their measures are computed, vectorised over the chunk.
_CHUNK_FLOATS = 2**18


class _ReducedDescent:
    """Gradient descent on a batch of reduced states, with preallocated buffers.

    The state is ``Z = [W | b]`` (``K x C x (p+1)``) and
    ``F = [[u, L], [sqrt(N) 1^T, 0]]`` (``K x (p+1) x (C+r)``) with ``u = sqrt(N) H̄`` and
    ``Σ = L L^T``. In these variables the step is symmetric: with ``E = Z F`` minus
    ``sqrt(N) I`` on its first ``C`` columns, ``E = [sqrt(N) R̄ | W L]``, and

        Z ← Z - a E F^T,   [u, L] ← [u, L] - a W^T E,   a = η/(CN),

    three products per step of cost ``O(C p (C + r))``. When ``C > p + 1`` the products
    are re-associated so that no ``C x C`` matrix is formed, through the Gram matrices
    ``F F^T`` and ``Z^T Z`` (``(p+1) x (p+1)``): the step then costs
    ``O(p^2 (C + r) + C p^2)``.

    States live in slots of two arrays: a chunk of *history* slots, which hold the
    recorded states until their measures are computed all at once, and two scratch
    slots. Each step reads one slot and writes another, so recording a state costs
    nothing during the run. ``results.add(W, b, u, tr Σ, ||W H + b 1^T - Y||^2, nc1)``
    receives the recorded states chunk by chunk.
    """

    def __init__(self, Hbar, L, W, b, N, lr, results, records):
        K, p, C = Hbar.shape
        r = L.shape[-1]
        self.K, self.C, self.p, self.r, self.N = K, C, p, r, N
        self.sqrtN = s = np.sqrt(N)
        self.results = results
        per_slot = K * (C * (p + 1) + (p + 1) * (C + r))
        self.chunk = max(1, min(records, _CHUNK_FLOATS // per_slot))
        slots = self.chunk + 2
        self.Zs = np.empty((slots, K, C, p + 1))
        self.Fs = np.zeros((slots, K, p + 1, C + r))
        self.Fs[:, :, p, :C] = s
        self.Zs[0, ..., :p] = W
        self.Zs[0, ..., p] = b
        self.Fs[0, :, :p, :C] = s * Hbar
        self.Fs[0, :, :p, C:] = L
        self.cur = 0
        self.filled = 1
        self.large_C = C > p + 1
        Zt, Ft = np.swapaxes(self.Zs, 2, 3), np.swapaxes(self.Fs, 2, 3)
        if self.large_C:
            parts = (self.Zs, self.Fs, Ft, Zt, self.Zs[..., :p], self.Zs[..., p], Zt[:, :, :p])
            parts += (self.Fs[:, :, :p], self.Fs[:, :, :p, :C], Ft[:, :, :C, :p])
            self.kernel = self._large_C_kernel(lr)
        else:
            parts = (self.Zs, self.Fs, Ft, Zt[:, :, :p], self.Fs[:, :, :p])
            self.kernel = self._small_C_kernel(lr)
        # A single run works on 2-D views: numpy then calls BLAS directly (threaded), which
        # is much faster than its loop over a stack for large matrices.
        single = K == 1
        self.views = [
            tuple(part[i, 0] if single else part[i] for part in parts) for i in range(slots)
        ]

    def step(self, into_history=False):
        """One step; its result is recorded when ``into_history``."""
        cur = self.cur
        if into_history:
            if self.filled == self.chunk:
                self._flush()
            dst = self.filled
            self.filled += 1
        else:
            dst = self.chunk if cur != self.chunk else self.chunk + 1
        self.kernel(self.views[cur], self.views[dst])
        self.cur = dst

    def finish(self):
        """Hand the remaining recorded states to ``results``."""
        self._flush()

    def _flush(self):
        n, p, C = self.filled, self.p, self.C
        if not n:
            return
        Z, F = self.Zs[:n], self.Fs[:n]
        W, b, u, L = Z[..., :p], Z[..., p], F[..., :p, :C], F[..., :p, C:]
        nc1 = _nc1(u / self.sqrtN, None, self.N, L=L) if self.results.nc1 is not None else None
        self.results.add(W, b, u, _sq(L), self._residual_sq(Z, F), nc1)
        self.filled = 0

    def _residual_sq(self, Z, F):
        """``||W H + b 1^T - Y||_F^2 = ||Z F - [√N I | 0]||_F^2`` (the risk times ``2CN``)."""
        C, s = self.C, self.sqrtN
        if self.large_C:
            G = F @ np.swapaxes(F, -1, -2)
            Y = np.swapaxes(Z, -1, -2) @ Z
            trace = np.einsum("...ij,...ji->...", Z, F[..., :C])
            return np.einsum("...ij,...ij->...", Y, G) - 2 * s * trace + self.N * C
        E = Z @ F
        E[..., :C] -= s * np.eye(C)
        return _sq(E)

    def measure(self, out):
        """``||W H + b 1^T - Y||_F^2`` per run of the current state, into ``out``."""
        out[...] = self._residual_sq(self.Zs[self.cur], self.Fs[self.cur])

    def save(self):
        """A copy of the current state."""
        return self.Zs[self.cur].copy(), self.Fs[self.cur].copy()

    def restore(self, saved):
        """Make a saved state current (in a scratch slot: history slots are kept)."""
        self.cur = self.chunk
        np.copyto(self.Zs[self.cur], saved[0])
        np.copyto(self.Fs[self.cur], saved[1])

    def take(self, saved, k):
        """Run ``k`` of a saved state, as ``(H̄, L, W, b)``."""
        Z, F = saved
        p, C = self.p, self.C
        return F[k, :p, :C] / self.sqrtN, F[k, :p, C:].copy(), Z[k, :, :p].copy(), Z[k, :, p].copy()

    def reset(self, mask):
        """Set the runs in ``mask`` to the zero state (finite, so they stay harmless)."""
        self.Zs[self.cur][mask] = 0.0
        self.Fs[self.cur][mask, : self.p] = 0.0

    def current(self):
        """The current state as ``(H̄, L, W, b)`` copies."""
        Z, F, p, C = self.Zs[self.cur], self.Fs[self.cur], self.p, self.C
        return F[:, :p, :C] / self.sqrtN, F[:, :p, C:].copy(), Z[..., :p].copy(), Z[..., p].copy()

    def _small_C_kernel(self, lr):
        K, C, p, r = self.K, self.C, self.p, self.r
        a = lr / (C * self.N)
        lead = (K,) if K > 1 else ()
        E = np.empty((*lead, C, C + r))
        Eu = E[..., :C]
        shift = self.sqrtN * np.eye(C)
        gZ = np.empty((*lead, C, p + 1))
        gF = np.empty((*lead, p, C + r))
        matmul, subtract, multiply = np.matmul, np.subtract, np.multiply

        def kernel(src, dst):
            Z, F, Ft, Wt, Fp = src
            matmul(Z, F, out=E)
            subtract(Eu, shift, out=Eu)
            multiply(E, a, out=E)
            matmul(E, Ft, out=gZ)
            matmul(Wt, E, out=gF)
            subtract(Z, gZ, out=dst[0])
            subtract(Fp, gF, out=dst[4])

        return kernel

    def _large_C_kernel(self, lr):
        # The small-C step re-associated: a E F^T = Z (a F F^T) - a √N [u^T | √N 1] and
        # a W^T E = (a Z^T Z)[:p] F - a √N [W^T | 0].
        K, C, p, r = self.K, self.C, self.p, self.r
        s, a = self.sqrtN, lr / (C * self.N)
        lead = (K,) if K > 1 else ()
        G = np.empty((*lead, p + 1, p + 1))
        Y = np.empty((*lead, p + 1, p + 1))
        Yp = Y[..., :p, :]
        gZ = np.empty((*lead, C, p + 1))
        gW = gZ[..., :p]
        gF = np.empty((*lead, p, C + r))
        T = np.empty((*lead, p, C))
        matmul, subtract, multiply, add = np.matmul, np.subtract, np.multiply, np.add

        def kernel(src, dst):
            Z, F, Ft, Zt, W, b, Wt, Fp, u, ut = src
            Zd, Wd, bd, Fpd, ud = dst[0], dst[4], dst[5], dst[7], dst[8]
            matmul(F, Ft, out=G)
            matmul(Zt, Z, out=Y)
            multiply(G, a, out=G)
            multiply(Y, a, out=Y)
            matmul(Z, G, out=gZ)
            matmul(Yp, F, out=gF)
            multiply(Wt, a * s, out=T)  # from the old W
            subtract(Z, gZ, out=Zd)
            multiply(ut, a * s, out=gW)  # from the old u (F is written last)
            add(Wd, gW, out=Wd)
            add(bd, a * self.N, out=bd)
            subtract(Fp, gF, out=Fpd)
            add(ud, T, out=ud)

        return kernel
