"""The engines behind :func:`ufm.gradient_descent`, and the loop that drives them.

Two engines run the same iteration ``Z_{k+1} = Z_k - η ∇R_e(Z_k)`` on a batch of ``K``
runs: :class:`FullDescent` on ``(H, W, b)``, and :class:`ReducedDescent` on the reduced state
(class means, a factor of the within-class scatter, ``W`` and ``b``; see
:mod:`ufm.reduced`), at a cost per step that does not depend on ``N``. Both write the state
as ``Z = [W | b]`` times a right factor ``X``, so that one step is the same seven array
operations (:func:`descent_kernel`); they differ only in ``X`` and the target.
Both satisfy the :class:`Engine` protocol, which :func:`run` drives: it steps, looks for
divergence every ``CHECK_EVERY`` steps, replays to find the exact diverging step, and
freezes each diverged run at its last finite iterate. The recorded states are summarised
by ``(W, b, u = sqrt(N) H̄, tr Σ)`` and measured by :class:`Results`, vectorised over
chunks of recorded steps, with the one implementation of each measure
(:func:`ufm.collapse._errors`, :func:`ufm.subspace._distance`, :func:`ufm.collapse._nc1`).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .collapse import _errors, _nc1, _norm, _sq
from .model import targets
from .subspace import _distance

#: Divergence is looked for every this many steps; when a run is found diverged, the steps
#: since the previous look are replayed one at a time to find the exact step.
CHECK_EVERY = 50
#: Recorded states are kept in chunks of about this many float64 numbers (small enough to
#: stay in cache) before their measures are computed, vectorised over the chunk.
CHUNK_FLOATS = 2**18


class Engine(Protocol):
    """What :func:`run` needs of a descent engine (a batch of ``K`` runs, advanced in place).

    The engine owns its buffers and hands recorded states to a :class:`Results`; the
    driver never sees the state's layout, only opaque *saved* copies.
    """

    K: int

    def step(self, into_history: bool = False) -> None:
        """Advance every run by one step; keep the new state for measuring when
        ``into_history``."""

    def measure(self, out: np.ndarray) -> None:
        """Write ``||W H + b 1^T - Y||_F^2`` of each run of the current state into ``out``
        (shape ``(K,)``); not finite means the run has diverged."""

    def save(self) -> object:
        """A copy of the current state (of every run)."""

    def restore(self, saved) -> None:
        """Make a saved state current, keeping the history not yet handed on."""

    def take(self, saved, k: int) -> tuple:
        """Run ``k`` of a saved state, in the form of :meth:`current` without the batch axis."""

    def reset(self, mask: np.ndarray) -> None:
        """Set the runs in ``mask`` to a finite harmless state (they are frozen elsewhere)."""

    def current(self) -> tuple:
        """Copies of the current state: ``(H, W, b)`` or ``(H̄, L, W, b)``, batch axis first."""

    def finish(self) -> None:
        """Hand the states still kept for measuring to the results."""


def descent_kernel(a, E, Eu, target, gZ, gX):
    """One step of gradient descent in the form both engines share, as a function
    ``kernel(src, dst)`` that works in preallocated buffers.

    The state is ``Z = [W | b]`` and a right factor ``X`` whose first ``p`` rows move
    (``X_p``) with ``Z X`` the model output in the engine's coordinates. With
    ``E = a (Z X - T)`` (``T`` the target, subtracted from the block ``Eu`` of ``E``):

        Z ← Z - E X^T,    X_p ← X_p - W^T E.

    ``src`` and ``dst`` are tuples ``(Z, X, X^T, W^T, X_p)`` of views (equal for an engine
    that works in place); only ``dst[0]`` and ``dst[4]`` are written. ``a`` is the step
    size over the number of samples, a scalar or one per run (shape ``(K, 1, 1)``).
    """
    matmul, subtract, multiply = np.matmul, np.subtract, np.multiply

    def kernel(src, dst):
        Z, X, Xt, Wt, Xp = src
        matmul(Z, X, out=E)
        subtract(Eu, target, out=Eu)
        multiply(E, a, out=E)
        matmul(E, Xt, out=gZ)
        matmul(Wt, E, out=gX)
        subtract(Z, gZ, out=dst[0])
        subtract(Xp, gX, out=dst[4])

    return kernel


def per_run(lr, K: int, n: int):
    """The step size ``lr`` (float, or one per run, shape ``(K,)``) over ``n`` samples, in
    the shape the kernels broadcast: a float for one run, else ``(K, 1, 1)``."""
    a = np.broadcast_to(np.asarray(lr, dtype=float) / n, (K,))
    return float(a[0]) if K == 1 else a[:, None, None].copy()


def factor(Sigma):
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


def deviation_factor(Delta):
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


class ReducedDescent:
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
        self.chunk = max(1, min(records, CHUNK_FLOATS // per_slot))
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
        nc1 = None if self.results.nc1 is None else _nc1(u / self.sqrtN, C * self.N, L=L)
        self.results.add(W, b, u, _norm(L), self._residual_sq(Z, F), nc1)
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
        # descent_kernel with X = F and target √N I on the first C columns of E.
        K, C, p, r = self.K, self.C, self.p, self.r
        lead = (K,) if K > 1 else ()
        E = np.empty((*lead, C, C + r))
        gZ = np.empty((*lead, C, p + 1))
        gF = np.empty((*lead, p, C + r))
        a = per_run(lr, K, C * self.N)
        return descent_kernel(a, E, E[..., :C], self.sqrtN * np.eye(C), gZ, gF)

    def _large_C_kernel(self, lr):
        # The small-C step re-associated: a E F^T = Z (a F F^T) - a √N [u^T | √N 1] and
        # a W^T E = (a Z^T Z)[:p] F - a √N [W^T | 0].
        K, C, p, r = self.K, self.C, self.p, self.r
        s, a = self.sqrtN, per_run(lr, K, C * self.N)
        a_b = a if K == 1 else a[..., 0]  # for the bias, (K, 1)
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
            add(bd, a_b * self.N, out=bd)
            subtract(Fp, gF, out=Fpd)
            add(ud, T, out=ud)

        return kernel


class Results:
    """The recorded measures, ``(K, T)`` (errors ``(K, T, 3)``), filled chunk by chunk
    from the reduced description of the recorded states."""

    def __init__(self, T, K, C, N, nc1):
        self.C, self.N = C, N
        self.count = 0
        self.risk = np.empty((K, T))
        self.errors = np.empty((K, T, 3))
        self.distance = np.empty((K, T))
        self.nc1 = np.empty((K, T)) if nc1 else None

    def add(self, W, b, u, spread, risk_sq, nc1):
        """Measures of ``n`` recorded states: ``W`` ``(n, K, C, p)``, ``b`` ``(n, K, C)``,
        ``u = sqrt(N) H̄`` ``(n, K, p, C)``, ``spread = ||Δ||_F`` and ``risk_sq =
        ||W H + b 1^T - Y||^2`` ``(n, K)``, NC1 ``(n, K)`` or None."""
        part = slice(self.count, self.count + len(W))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.risk[:, part] = (risk_sq / (2 * self.C * self.N)).T
            errors = _errors(W, b, u, spread, self.N)
            distance = _distance(W, b, u, spread)
        self.errors[:, part] = np.swapaxes(errors, 0, 1)
        self.distance[:, part] = distance.T
        if nc1 is not None:
            self.nc1[:, part] = nc1.T
        self.count = part.stop


class FullDescent:
    """Gradient descent on a batch of full states ``(H, W, b)``, in place.

    The state is ``Z = [W | b]`` (``K x C x (p+1)``) and ``X = [H; 1^T]``
    (``K x (p+1) x CN``), so that ``W H + b 1^T = Z X``. With ``G = η (Z X - Y)/(CN)`` a
    step is ``Z ← Z - G X^T`` and ``H ← H - W^T G``. Recorded states are summarised at
    once (class means, ``tr Σ``, the squared residual) and handed to ``results`` in chunks.
    """

    def __init__(self, H, W, b, lr, results, records):
        K, p, CN = H.shape
        C = W.shape[1]
        self.K, self.C, self.p, self.N = K, C, p, CN // C
        self.Z = np.concatenate([W, b[..., None]], axis=-1)
        self.X = np.empty((K, p + 1, CN))
        self.X[:, :p] = H
        self.X[:, p] = 1.0
        self.Y = targets(C, self.N)
        self.kernel = self._kernel(per_run(lr, K, CN))
        self.results = results
        nc1 = results.nc1 is not None
        per_record = K * (C * (p + 1) + p * C + 2 + (p * p if nc1 else 0))
        chunk = max(1, min(records, CHUNK_FLOATS // per_record))
        self.buffers = (
            np.empty((chunk, K, C, p + 1)),
            np.empty((chunk, K, p, C)),
            np.empty((chunk, K)),
            np.empty((chunk, K)),
            np.empty((chunk, K, p, p)) if nc1 else None,
        )
        self.filled = 0
        self._record()

    def _kernel(self, a):
        # descent_kernel with X = [H; 1^T] and target Y, in place (src = dst).
        K, C, p = self.K, self.C, self.p
        Z, X, Y = self.Z, self.X, self.Y
        CN = X.shape[-1]
        Xt = np.swapaxes(X, 1, 2)
        Wt = np.swapaxes(Z[..., :p], 1, 2)
        Xp = X[:, :p]
        if K == 1:  # 2-D views: numpy calls BLAS directly, much faster for large matrices
            Z, X, Xt, Wt, Xp = Z[0], X[0], Xt[0], Wt[0], Xp[0]
        lead = (K,) if K > 1 else ()
        R = np.empty((*lead, C, CN))
        gZ = np.empty((*lead, C, p + 1))
        gH = np.empty((*lead, p, CN))
        kernel = descent_kernel(a, R, R, Y, gZ, gH)
        views = (Z, X, Xt, Wt, Xp)
        return lambda: kernel(views, views)

    def step(self, into_history=False):
        """One step; its result is recorded when ``into_history``."""
        self.kernel()
        if into_history:
            self._record()

    def _record(self):
        if self.filled == len(self.buffers[0]):
            self._flush()
        K, C, p, N = self.K, self.C, self.p, self.N
        Zbuf, ubuf, within, risk_sq, Sigma = (
            x if x is None else x[self.filled] for x in self.buffers
        )
        np.copyto(Zbuf, self.Z)
        blocks = self.X[:, :p].reshape(K, p, C, N)
        np.mean(blocks, axis=-1, out=ubuf)
        dev = blocks - ubuf[..., None]
        within[...] = _norm(dev, (1, 2, 3))
        ubuf *= np.sqrt(N)
        if Sigma is not None:
            dev = dev.reshape(K, p, C * N)
            np.matmul(dev, np.swapaxes(dev, 1, 2), out=Sigma)
        self.measure(risk_sq)
        self.filled += 1

    def _flush(self):
        n, p = self.filled, self.p
        if not n:
            return
        Z, u, within, risk_sq, Sigma = (x if x is None else x[:n] for x in self.buffers)
        s = np.sqrt(self.N)
        nc1 = None if Sigma is None else _nc1(u / s, self.C * self.N, Sigma=Sigma)
        self.results.add(Z[..., :p], Z[..., p], u, within, risk_sq, nc1)
        self.filled = 0

    def finish(self):
        self._flush()

    def measure(self, out):
        """``||W H + b 1^T - Y||_F^2`` per run, into ``out``."""
        R = self.Z @ self.X
        R -= self.Y
        np.einsum("kij,kij->k", R, R, out=out)

    def save(self):
        return self.Z.copy(), self.X.copy()

    def restore(self, saved):
        np.copyto(self.Z, saved[0])
        np.copyto(self.X, saved[1])

    def take(self, saved, k):
        """Run ``k`` of a saved state, as ``(H, W, b)``."""
        Z, X = saved
        return X[k, : self.p].copy(), Z[k, :, : self.p].copy(), Z[k, :, self.p].copy()

    def reset(self, mask):
        self.Z[mask] = 0.0
        self.X[mask, : self.p] = 0.0

    def current(self):
        p = self.p
        return self.X[:, :p].copy(), self.Z[..., :p].copy(), self.Z[..., p].copy()


def run(engine, steps, record_every):
    """Advance ``engine`` by ``steps`` steps, recording every ``record_every`` steps and at
    the last; find the step at which each run diverges and freeze it there.

    Returns ``diverged_at`` (``(K,)``, ``-1`` for runs that did not diverge) and a dict
    mapping each diverged run to its last finite iterate (in the engine's ``take`` form).
    """
    K = engine.K
    alive = np.ones(K, dtype=bool)
    diverged_at = np.full(K, -1)
    frozen = {}
    risk_sq = np.empty(K)
    step = engine.step
    k = start = 0
    saved = engine.save()
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            engine.measure(risk_sq)
            if not np.isfinite(risk_sq[alive]).all():
                replay(engine, saved, start, k, alive, diverged_at, frozen)
            if k == steps:
                break
            if alive.any():
                saved = engine.save()
            start, stop = k, min(k + CHECK_EVERY, steps)
            for j in range(start + 1, stop + 1):
                step(j % record_every == 0 or j == steps)
            k = stop
        engine.finish()
    return diverged_at, frozen


def replay(engine, saved, start, stop, alive, diverged_at, frozen):
    """Redo steps ``start … stop`` one at a time from the saved state of step ``start``,
    measuring the risk at each, to find where runs diverge; freeze each diverged run at
    its last finite iterate and reset it to a harmless state. Nothing is recorded: the
    recorded values of runs still alive were right, those of diverged runs become NaN."""
    risk_sq = np.empty(engine.K)
    engine.restore(saved)
    previous = saved
    for j in range(start, stop + 1):
        engine.measure(risk_sq)
        newly = alive & ~np.isfinite(risk_sq)
        if newly.any():
            for k in np.flatnonzero(newly):
                frozen[int(k)] = engine.take(previous, k)
                diverged_at[k] = j
            alive &= ~newly
            engine.reset(newly)
        if j == stop:
            break
        previous = engine.save()
        engine.step()
