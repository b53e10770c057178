"""The experiments of the discussion chapter (``book/discussion.ipynb``).

What happens beyond the paper's assumptions: large random starts, features too narrow for
strong collapse (``p < C - 1``), step sizes near the stability limit, weight decay and the
cross-entropy loss, and unequal classes. Each function runs one experiment and returns its
numbers; the explorers of :mod:`ufm.widgets.limits` draw them, and the chapter's prose
quotes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks
from ..collapse import centering, class_summary, nc_metrics, strong_collapse
from ..dynamics import gradient_descent
from ..extensions import class_labels, extended_descent, extended_init, row_cosines
from ..model import random_init, stack
from ..spectrum import largest_stable_step, sharpness
from .model import snapshot_schedule

#: The set-up of the paper's figures, used by the experiments on ``ε`` and ``η``.
C0, N0, P0 = 3, 3, 15


#: Start sizes of the sweep over ``ε``, and its step size and length. The step 0.2 keeps
#: even the largest start (ε = 10) from diverging.
INIT_EPS = np.logspace(-3, 1, 17)


INIT_LR = 0.2


INIT_STEPS = 4000


INIT_SEEDS = 5


#: Step sizes of the sweep over ``η`` (from a start of size 0.01, 4000 steps).
STEP_LRS = np.round(np.arange(1.0, 2.2001, 0.025), 3)


STEP_EPS = 0.01


STEP_STEPS = 4000


#: Weight-decay values offered by the explorers (``λ_W = λ_H = λ``, ``λ_b = 0``).
DECAY_VALUES = (0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3)


IMBALANCE_DECAY_VALUES = (1e-3, 3e-3, 1e-2, 2e-2, 5e-2)


#: Class-mean spread ``||M||_F`` below which the features count as collapsed to zero.
VANISHED = 1e-8


#: A classifier row shorter than this fraction of the longest one counts as vanished
#: (it is then still shrinking geometrically towards zero).
VANISHED_ROW = 1e-3


#: How the chapter names each loss.
LOSS_NAMES = {"squared": "squared loss", "cross_entropy": "cross-entropy"}


@dataclass(frozen=True)
class InitSweep:
    """Where gradient descent ends, for random starts of several sizes ``ε``.

    Attributes
    ----------
    eps : ndarray, shape (E,)
    errors : ndarray, shape (E, S, 3)
        The three strong-collapse errors at the last step, for ``S`` seeds.
    distance : ndarray, shape (E, S)
        Relative distance from S at the last step.
    risk : ndarray, shape (E, S)
        Risk at the last step.
    nc : dict of str to ndarray, shape (E, S)
        :func:`ufm.nc_metrics` of the last state (keys ``nc1``, ``nc2_equinorm``,
        ``nc2_equiangular``, ``nc3``).
    lr : float
    steps : int
    """

    eps: np.ndarray
    errors: np.ndarray
    distance: np.ndarray
    risk: np.ndarray
    nc: dict
    lr: float
    steps: int


def init_size_sweep(eps=INIT_EPS, seeds=INIT_SEEDS, lr=INIT_LR, steps=INIT_STEPS) -> InitSweep:
    """Gradient descent from random starts of each size in ``eps`` (``C = N = 3``, ``p = 15``).

    Parameters
    ----------
    eps : array_like, shape (E,)
        Start sizes ``ε > 0``.
    seeds : int
        Number of seeds per size (seeds ``0, …, seeds - 1``).
    lr : float
        Step size.
    steps : int
        Number of steps.

    Returns
    -------
    InitSweep

    Raises
    ------
    ValueError
        If a size is not positive or a run diverges (then the step is too large for it).
    """
    eps = _checks.as_array(eps, "eps", 1)
    if not (eps > 0).all():
        raise ValueError(f"eps must be > 0; got minimum {eps.min()}")
    seeds = _checks.positive_int(seeds, "seeds")
    starts = [random_init(C0, N0, P0, float(e), seed=s) for e in eps for s in range(seeds)]
    run = gradient_descent(*stack(starts), lr=lr, steps=steps, record_every=steps)
    if (run.diverged_at >= 0).any():
        raise ValueError(f"a run diverged: the step size lr = {lr} is too large for these starts")
    shape = (eps.size, seeds)
    labels = class_labels([N0] * C0)
    keys = ("nc1", "nc2_equinorm", "nc2_equiangular", "nc3")
    metrics = [nc_metrics(H, labels, W, b) for H, W, b in zip(*run.final)]
    return InitSweep(
        eps=eps,
        errors=run.errors[:, -1].reshape(*shape, 3),
        distance=run.distance_to_S[:, -1].reshape(shape),
        risk=run.risk[:, -1].reshape(shape),
        nc={key: np.array([m[key] for m in metrics]).reshape(shape) for key in keys},
        lr=float(lr),
        steps=int(steps),
    )


@dataclass(frozen=True)
class NarrowRun:
    """Gradient descent when the features may be too narrow for strong collapse.

    Attributes
    ----------
    C : int
    N : int
    p : int
    steps : ndarray, shape (T,)
        Recorded steps.
    risk : ndarray, shape (T,)
        Risk at the recorded steps.
    floor : float
        ``(C - 1 - min(p, C - 1)) / (2C)``, the least risk of any state of S with
        ``rank W <= p``.
    gram_eigenvalues : ndarray, shape (C,)
        Eigenvalues of ``W W^T / sqrt(N)`` at the end, in increasing order.
    train_error : float
        Fraction of training samples the final classifier gets wrong.
    nc : dict
        :func:`ufm.nc_metrics` of the final state.
    plane : ndarray, shape (C, 2)
        Centred class means in their first two principal directions.
    """

    C: int
    N: int
    p: int
    steps: np.ndarray
    risk: np.ndarray
    floor: float
    gram_eigenvalues: np.ndarray
    train_error: float
    nc: dict
    plane: np.ndarray


def narrow_run(C: int, p: int, N: int = 3, seed: int = 0, steps: int = 6000) -> NarrowRun:
    """Gradient descent (``η = 1``, start size 0.01) with ``C`` classes and ``p`` features.

    Parameters
    ----------
    C, p, N : int
        Classes, feature dimension, samples per class.
    seed : int
    steps : int

    Returns
    -------
    NarrowRun
    """
    C, N, p = _checks.sizes(C, N, p)
    run = gradient_descent(*random_init(C, N, p, 0.01, seed=seed), 1.0, steps, record_every=20)
    H, W, b = run.final
    labels = class_labels([N] * C)
    means, _ = class_summary(H, C)
    centred = means - means.mean(axis=1, keepdims=True)
    U, s, _ = np.linalg.svd(centred, full_matrices=False)
    plane = np.zeros((C, 2))
    k = min(2, U.shape[1])
    plane[:, :k] = centred.T @ U[:, :k]
    return NarrowRun(
        C=C,
        N=N,
        p=p,
        steps=run.steps,
        risk=run.risk,
        floor=(C - 1 - min(p, C - 1)) / (2 * C),
        gram_eigenvalues=np.linalg.eigvalsh(W @ W.T) / np.sqrt(N),
        train_error=float(np.mean(np.argmax(W @ H + b[:, None], axis=0) != labels)),
        nc=nc_metrics(H, labels, W, b),
        plane=plane,
    )


@dataclass(frozen=True)
class StepSweep:
    """Where gradient descent ends, for step sizes around the stability limit.

    Attributes
    ----------
    lr : ndarray, shape (L,)
    diverged_at : ndarray of int, shape (L,)
        Step of divergence, ``-1`` if none.
    risk : ndarray, shape (L,)
        Final risk (NaN for diverged runs).
    gram_error : ndarray, shape (L,)
        Final ``||W W^T - sqrt(N) P||_F`` (NaN for diverged runs).
    sharpness : ndarray, shape (L,)
        Final largest Hessian eigenvalue (NaN for diverged runs).
    lambda_max : float
        Largest Hessian eigenvalue at a point of strong collapse, measured.
    limit : float
        ``2/λ_max`` from the formula ``λ_max = 1 + 1/(C sqrt(N))``.
    """

    lr: np.ndarray
    diverged_at: np.ndarray
    risk: np.ndarray
    gram_error: np.ndarray
    sharpness: np.ndarray
    lambda_max: float
    limit: float


def step_size_sweep(lrs=STEP_LRS, seed: int = 0) -> StepSweep:
    """Gradient descent from one start of size 0.01 (``C = N = 3``, ``p = 15``) with each
    step size in ``lrs``, 4000 steps, all runs advancing together.

    Returns
    -------
    StepSweep
    """
    lrs = _checks.as_array(lrs, "lrs", 1)
    start = random_init(C0, N0, P0, STEP_EPS, seed=seed)
    batch = tuple(np.repeat(x[None], lrs.size, axis=0) for x in start)
    run = gradient_descent(*batch, lr=lrs, steps=STEP_STEPS, record_every=STEP_STEPS)
    P = centering(C0)
    gram_error = np.full(lrs.size, np.nan)
    sharp = np.full(lrs.size, np.nan)
    for i in np.flatnonzero(run.diverged_at < 0):
        H, W, b = (x[i] for x in run.final)
        gram_error[i] = np.linalg.norm(W @ W.T - np.sqrt(N0) * P)
        sharp[i] = sharpness(H, W, b)
    return StepSweep(
        lr=lrs,
        diverged_at=run.diverged_at,
        risk=run.risk[:, -1],
        gram_error=gram_error,
        sharpness=sharp,
        lambda_max=sharpness(*strong_collapse(C0, N0, P0, seed=seed)),
        limit=largest_stable_step(C0, N0),
    )


@dataclass(frozen=True)
class DecayRun:
    """Gradient descent on the regularised squared or cross-entropy objective.

    Attributes
    ----------
    loss : str
    lam : float
        ``λ_W = λ_H = λ`` (``λ_b = 0``).
    steps : ndarray, shape (T,)
    nc : dict of str to ndarray, shape (T,)
        ``nc1``, ``nc2_equiangular``, ``nc3`` at each recorded step (NaN once the features
        have collapsed to zero).
    norm_W : ndarray, shape (T,)
        ``||W||_F``.
    norm_H : ndarray, shape (T,)
        ``||H||_F / sqrt(n)``, the root mean square feature norm.
    scale : float
        ``tr(W W^T)/((C - 1) sqrt(N))`` at the end: 1 for strong collapse.
    etf_error : float
        ``||W W^T - c P||_F / c`` at the end with ``c = tr(W W^T)/(C - 1)`` (0 for a simplex
        ETF of any size); NaN if ``W = 0``.
    bias : ndarray, shape (C,)
        Final bias.
    vanished : bool
        Whether the class means end within ``VANISHED`` of each other.
    """

    loss: str
    lam: float
    steps: np.ndarray
    nc: dict
    norm_W: np.ndarray
    norm_H: np.ndarray
    scale: float
    etf_error: float
    bias: np.ndarray
    vanished: bool


def decay_run(loss: str, lam: float, C=4, N=4, p=8, steps=2000, seed=0) -> DecayRun:
    """Gradient descent (``η = 1``, start size 0.1) on ``loss`` with weight decay ``λ``.

    Parameters
    ----------
    loss : {"squared", "cross_entropy"}
    lam : float
        ``λ_W = λ_H = lam >= 0``; the bias is not decayed.
    C, N, p, steps, seed : int

    Returns
    -------
    DecayRun
    """
    sizes = [N] * C
    run = extended_descent(
        *extended_init(sizes, p, 0.1, seed=seed),
        1.0,
        steps,
        loss=loss,
        lambda_W=lam,
        lambda_H=lam,
        record_steps=snapshot_schedule(steps, 50),
        record_states=True,
    )
    labels = class_labels(sizes)
    keys = ("nc1", "nc2_equiangular", "nc3")
    nc = {key: np.full(run.steps.size, np.nan) for key in keys}
    Hs, Ws, bs = run.states
    for t in range(run.steps.size):
        means, _ = class_summary(Hs[t], C)
        if np.linalg.norm(means - means.mean(axis=1, keepdims=True)) > VANISHED:
            metrics = nc_metrics(Hs[t], labels, Ws[t], bs[t])
            for key in keys:
                nc[key][t] = metrics[key]
    H, W, b = run.final
    gram = W @ W.T
    c = np.trace(gram) / (C - 1)
    return DecayRun(
        loss=loss,
        lam=float(lam),
        steps=run.steps,
        nc=nc,
        norm_W=np.linalg.norm(Ws, axis=(1, 2)),
        norm_H=np.linalg.norm(Hs, axis=(1, 2)) / np.sqrt(C * N),
        scale=float(c / np.sqrt(N)),
        etf_error=float(np.linalg.norm(gram - c * centering(C)) / c) if c > 0 else np.nan,
        bias=b,
        vanished=bool(np.isnan(nc["nc1"][-1])),
    )


@dataclass(frozen=True)
class ImbalanceRun:
    """Two large and two small classes: the classifier rows at the end of descent.

    Attributes
    ----------
    ratio : int
        ``N_major / N_minor`` (class sizes ``[ratio, ratio, 1, 1]``).
    loss : str
    lam : float
    steps : ndarray, shape (T,)
    cos_minor : ndarray, shape (T,)
        Cosine between the two minority rows of ``W``.
    cos_major : ndarray, shape (T,)
        Cosine between the two majority rows of ``W``.
    cosines : ndarray, shape (4, 4)
        Final cosines between all classifier rows (NaN for rows that vanished, see
        ``VANISHED_ROW``).
    row_norms : ndarray, shape (4,)
        Final ``||W_c||``.
    """

    ratio: int
    loss: str
    lam: float
    steps: np.ndarray
    cos_minor: np.ndarray
    cos_major: np.ndarray
    cosines: np.ndarray
    row_norms: np.ndarray


def imbalance_run(
    ratio: int, loss: str = "cross_entropy", lam: float = 1e-2, p=8, steps=1500, seed=0
):
    """Gradient descent (``η = 1``, start size 0.1) with class sizes ``[ratio, ratio, 1, 1]``
    and weight decay ``λ_W = λ_H = lam``.

    Returns
    -------
    ImbalanceRun
    """
    ratio = _checks.positive_int(ratio, "ratio")
    sizes = [ratio, ratio, 1, 1]
    run = extended_descent(
        *extended_init(sizes, p, 0.1, seed=seed),
        1.0,
        steps,
        class_sizes=sizes,
        loss=loss,
        lambda_W=lam,
        lambda_H=lam,
        record_steps=snapshot_schedule(steps, 60),
        record_states=True,
    )
    Ws = run.states[1]
    norms = np.linalg.norm(Ws, axis=2)
    unit = Ws / np.maximum(norms, np.finfo(float).tiny)[..., None]
    W = run.final[1]
    row_norms = np.linalg.norm(W, axis=1)
    alive = row_norms > VANISHED_ROW * row_norms.max()
    cosines = np.full((4, 4), np.nan)
    cosines[np.ix_(alive, alive)] = row_cosines(W[alive])
    return ImbalanceRun(
        ratio=ratio,
        loss=loss,
        lam=float(lam),
        steps=run.steps,
        cos_minor=np.einsum("ti,ti->t", unit[:, 2], unit[:, 3]),
        cos_major=np.einsum("ti,ti->t", unit[:, 0], unit[:, 1]),
        cosines=cosines,
        row_norms=row_norms,
    )


@dataclass(frozen=True)
class ImbalanceSweep:
    """Final classifier geometry against the imbalance ratio, for one loss and ``λ``.

    Attributes
    ----------
    ratios : ndarray of int, shape (R,)
    loss : str
    lam : float
    cos_minor : ndarray, shape (R,)
        Final cosine between the minority rows (NaN where they vanished, see
        ``VANISHED_ROW``).
    cos_major : ndarray, shape (R,)
        Final cosine between the majority rows.
    norm_ratio : ndarray, shape (R,)
        Mean minority row norm over mean majority row norm.
    """

    ratios: np.ndarray
    loss: str
    lam: float
    cos_minor: np.ndarray
    cos_major: np.ndarray
    norm_ratio: np.ndarray


def imbalance_sweep(ratios=(1, 2, 5, 10, 20, 50, 100), loss="cross_entropy", lam=1e-2, steps=3000):
    """:func:`imbalance_run` for each ratio in ``ratios``, with ``steps`` steps each.

    Returns
    -------
    ImbalanceSweep
    """
    runs = [imbalance_run(int(r), loss, lam, steps=steps) for r in ratios]
    return ImbalanceSweep(
        ratios=np.array([run.ratio for run in runs]),
        loss=loss,
        lam=float(lam),
        cos_minor=np.array([run.cosines[2, 3] for run in runs]),
        cos_major=np.array([run.cosines[0, 1] for run in runs]),
        norm_ratio=np.array([run.row_norms[2:].mean() / run.row_norms[:2].mean() for run in runs]),
    )


def init_run(eps: float, seed: int = 0, record_every: int = 10):
    """One run of :func:`init_size_sweep`: descent from a start of size ``eps`` (``C = N = 3``,
    ``p = 15``, ``η = INIT_LR``, ``INIT_STEPS`` steps).

    Returns
    -------
    ufm.Trajectory
    """
    start = random_init(C0, N0, P0, eps, seed=seed)
    return gradient_descent(*start, lr=INIT_LR, steps=INIT_STEPS, record_every=record_every)


def step_run(lr: float, seed: int = 0, record_every: int = 10):
    """One run of :func:`step_size_sweep`: descent with step size ``lr`` from its start.

    Returns
    -------
    ufm.Trajectory
    """
    start = random_init(C0, N0, P0, STEP_EPS, seed=seed)
    return gradient_descent(*start, lr=lr, steps=STEP_STEPS, record_every=record_every)
