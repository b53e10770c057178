"""Exact gradient descent whose cost does not depend on N: the reduced state.

Split the features into class means and within-class deviations,
``H = H̄ ⊗ 1_N^T + Δ`` (each class of ``Δ`` sums to zero), and let ``Σ = Δ Δ^T``. Then
(the symbols are those of ``book/notation.md``), with ``R̄ = W H̄ + b 1_C^T - I_C``:

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
from .collapse import _errors, _nc1, _split, _sq
from .subspace import _distance

#: The largest ``N`` a reduced state takes (numpy computes with it as a 64-bit integer).
_MAX_N = _checks.MAX_N
#: The largest ``eps`` of :meth:`ReducedState.random`: ``Sigma`` has size ``eps^2``.
_MAX_EPS = 1e150


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
        N = _checks.positive_int(self.N, "N", maximum=_MAX_N)
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
        lam = np.linalg.eigvalsh(Sigma)  # ascending; negatives down to rounding are allowed
        tol = 100 * p * np.finfo(float).eps * np.abs(lam).max(axis=-1)
        if (lam[..., 0] < -tol).any():
            raise ValueError(
                f"Sigma has a negative eigenvalue ({lam[..., 0].min():.3g}); Sigma must be "
                "positive semidefinite (Sigma = Delta Delta^T)"
            )
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
        N = _checks.positive_int(N, "N", maximum=_MAX_N)
        eps = _checks.positive_float(eps, "eps")
        if eps > _MAX_EPS:
            raise ValueError(
                f"eps must be at most {_MAX_EPS:.3g}; got {eps:g}: Sigma = Delta Delta^T, of "
                "size eps^2, would overflow float64"
            )
        _checks.fits_in_memory(8 * (3 * p * p + 2 * C * p), f"ReducedState.random(C={C}, p={p})")
        rng = np.random.default_rng(_checks.seed_or_none(seed))
        Hbar = rng.standard_normal((p, C)) / np.sqrt(N)
        df = float(C) * (N - 1)
        if df < p:
            L = rng.standard_normal((p, int(df)))
        else:
            L = np.tril(rng.standard_normal((p, p)), -1)
            L[np.diag_indices(p)] = np.sqrt(rng.chisquare(df - np.arange(p)))
        Sigma = L @ L.T
        W = rng.standard_normal((C, p))
        s = eps / np.sqrt(N * np.vdot(Hbar, Hbar) + np.trace(Sigma))
        return cls(s * Hbar, s * (s * Sigma), eps * W / np.linalg.norm(W), np.zeros(C), N)

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

        Raises
        ------
        ValueError
            If ``H = 0`` (``Hbar`` and ``Sigma`` zero; for a batch, in any state), where the
            relative second error is 0/0, as :func:`ufm.strong_collapse_errors` does.
        """
        zero = ~self.Hbar.any(axis=(-2, -1)) & ~self.Sigma.any(axis=(-2, -1))
        if np.any(zero):
            raise ValueError(
                "H is zero (Hbar and Sigma are zero), so the relative error "
                "||H - (W ⊗ 1)^T/√N|| / ||H|| is 0/0"
            )
        return _errors(self.W, self.b, np.sqrt(self.N) * self.Hbar, self._spread(), self.N)

    def distance_to_S(self):
        """Relative distance from S, as :func:`ufm.distance_to_S`.

        Returns
        -------
        float, or ndarray of shape (K,) for a batch
        """
        value = _distance(self.W, self.b, np.sqrt(self.N) * self.Hbar, self._spread())
        return value if self.batched else float(value)

    def _spread(self):
        """``||Δ||_F = sqrt(tr Σ)``, the root of the within-class sum of squares."""
        return np.sqrt(np.trace(self.Sigma, axis1=-2, axis2=-1))

    def nc1(self):
        """NC1, ``tr(Σ_W Σ_B^†)/C`` with ``Σ_W = Σ/(CN)`` and ``Σ_B = M M^T/C``, as the
        ``nc1`` of :func:`ufm.nc_metrics` (NaN when all class means coincide).

        Book: ``def-nc1`` (``book/observed.ipynb``).

        Returns
        -------
        float, or ndarray of shape (K,) for a batch
        """
        value = _nc1(self.Hbar, self.C * self.N, Sigma=self.Sigma)
        return value if self.batched else float(value)


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
        return N * _sq(Rbar) + WS
    M = np.swapaxes(W, -1, -2) @ W
    Q = Hbar @ np.swapaxes(Hbar, -1, -2)
    cross = np.einsum("...i,...ij,...j->...", b, W, Hbar.sum(axis=-1)) - np.einsum(
        "...ij,...ji->...", W, Hbar
    )
    constant = C * np.einsum("...i,...i->...", b, b) - 2 * b.sum(axis=-1) + C
    return N * (np.einsum("...ij,...ij->...", M, Q) + 2 * cross + constant) + WS
