"""Live experiments of the discussion chapter: where the model's explanation stops.

Each limit has a computation (a function returning a small frozen dataclass, which the
chapter also calls for the numbers in its prose) and an explorer that draws it:

- :func:`initialisation_explorer`: a large random start (``ε`` of order 1 and above);
- :func:`narrow_explorer`: feature dimension ``p < C - 1``, where no strong collapse exists;
- :func:`step_size_explorer`: step sizes around the stability limit ``2/λ_max``;
- :func:`decay_explorer`: weight decay, and cross-entropy instead of squared loss;
- :func:`imbalance_explorer`: unequal class sizes (minority collapse).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import _checks
from ..collapse import centering, class_summary, nc_metrics, strong_collapse
from ..dynamics import gradient_descent
from ..extensions import LOSSES, class_labels, extended_descent, extended_init, row_cosines
from ..model import random_init, stack
from ..spectrum import hessian, largest_stable_step
from ._base import Explorer, log_slider, new_figure, register, restore_axes, slider

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

_LOSS_NAMES = {"squared": "squared loss", "cross_entropy": "cross-entropy"}


# --- large initialisation --------------------------------------------------------------


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


@register(
    "limits.initialisation",
    corners={"eps": (1e-6, 10.0), "seed": (0, INIT_SEEDS - 1)},
    maxima={"eps": 10.0},
)
def initialisation_explorer(sweep: InitSweep | None = None) -> Explorer:
    """How far from strong collapse descent ends when the random start is large.

    Controls: the start size ``ε`` (log scale, 10^-6 to 10) and the seed. Left: the three
    errors and the distance from S along the run. Right: their median final values over 5
    seeds against ``ε``, with the chosen ``ε`` marked.

    Parameters
    ----------
    sweep : InitSweep, optional
        A result of :func:`init_size_sweep` to draw on the right (computed if not given).
    """
    sweep = init_size_sweep() if sweep is None else sweep
    fig, (ax_run, ax_sweep) = new_figure(11.0, 3.7, ncols=2)
    labels = (
        r"$\|WW^\top-\sqrt{N}P\|_F$",
        r"$\|H-(W\otimes 1_N)^\top/\sqrt{N}\|_F/\|H\|_F$",
        r"$\|b-1_C/C\|_2$",
        "distance from $S$",
    )
    run_lines = [ax_run.loglog([], [], label=label)[0] for label in labels]
    ax_run.set_xlabel("iteration $k$")
    ax_run.set_title(f"one run (η = {INIT_LR}, {INIT_STEPS} steps)")
    finals = [*np.moveaxis(sweep.errors, -1, 0), sweep.distance]
    for values, label in zip(finals, labels):
        ax_sweep.loglog(sweep.eps, np.median(values, axis=1), marker="o", ms=3, label=label)
    marker = ax_sweep.axvline(1.0, color="0.3", ls="--", lw=1)
    sweep_range = (sweep.eps.min(), sweep.eps.max())
    ax_sweep.set_xlabel("start size ε")
    ax_sweep.set_title(f"final values, median of {sweep.errors.shape[1]} seeds")
    ax_run.legend(fontsize="x-small", loc="lower left")
    for ax in (ax_run, ax_sweep):
        ax.grid(alpha=0.3)
    ax_run.set_ylim(1e-9, 1e3)

    def draw(eps, seed):
        restore_axes(fig)
        run = gradient_descent(
            *random_init(C0, N0, P0, eps, seed=seed), lr=INIT_LR, steps=INIT_STEPS, record_every=10
        )
        k = np.maximum(run.steps, 1)
        for line, values in zip(run_lines, [*run.errors.T, run.distance_to_S]):
            line.set_data(k, values)
        ax_run.set_xlim(1, INIT_STEPS)
        # The final errors scale like ε: below ε = 10^-3 the run ends below 10^-9.
        ax_run.set_ylim(min(1e-9, 1e-6 * eps), 1e3)
        marker.set_xdata([eps, eps])
        ax_sweep.set_xlim(min(sweep_range[0], eps) / 1.5, max(sweep_range[1], eps) * 1.5)
        if run.diverged_at is not None:
            return f"Diverged at step {run.diverged_at}: the step η = {INIT_LR} is too large here."
        errors = run.errors[-1]
        return (
            f"ε = {eps:.2g}: final risk {run.risk[-1]:.1e}; relative error of the features "
            f"{errors[1]:.2g}; ‖WWᵀ − √N P‖ = {errors[0]:.2g}; distance from S "
            f"{run.distance_to_S[-1]:.2g}."
        )

    return _explorer(
        {
            "eps": log_slider(1.0, -6, 1, "start size ε"),
            "seed": slider(widgets.IntSlider, 0, 0, INIT_SEEDS - 1, 1, "seed"),
        },
        fig,
        draw,
        "Two log-log panels. Left: the three strong-collapse errors and the distance from S "
        "along one run from a start of size ε = 1; they level off well above zero. Right: "
        "the final values against ε from 0.001 to 10: they grow with ε, in proportion for "
        "small ε and to order one for ε of order one and above.",
    )


# --- p < C - 1 -------------------------------------------------------------------------


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


#: Largest ``C`` and ``p`` of :func:`narrow_explorer`.
NARROW_C_MAX, NARROW_P_MAX = 10, 64


@register(
    "limits.narrow",
    corners={"C": (3, NARROW_C_MAX), "p": (1, NARROW_P_MAX), "seed": (0, 9)},
    maxima={"C": NARROW_C_MAX, "p": NARROW_P_MAX},
)
def narrow_explorer() -> Explorer:
    """What descent finds when ``p < C - 1``: a risk floor and class means that are no simplex.

    Controls: ``C`` (3 to 10), ``p`` (1 to 64) and the seed (``N = 3``, start size 0.01,
    ``η = 1``). Left: the risk per iteration and the floor ``(C - 1 - p)/(2C)``. Right: the
    final centred class means in their first two principal directions.
    """
    fig, (ax_risk, ax_plane) = new_figure(10.0, 3.7, ncols=2, width_ratios=(1.3, 1.0))
    (risk_line,) = ax_risk.loglog([], [], color="k", label=r"risk $R_e$")
    (floor_line,) = ax_risk.loglog([], [], color="C3", ls="--", label=r"floor $(C-1-p)/(2C)$")
    ax_risk.set_xlabel("iteration $k$")
    ax_risk.set_title("risk")
    ax_risk.grid(alpha=0.3)
    ax_risk.legend(fontsize="x-small", loc="lower left")
    ax_risk.set_ylim(1e-16, 2)
    colors = [f"C{i}" for i in range(NARROW_C_MAX)]
    points = ax_plane.scatter(np.zeros(NARROW_C_MAX), np.zeros(NARROW_C_MAX), s=40, c=colors)
    spokes = [ax_plane.plot([], [], color=color, lw=1)[0] for color in colors]
    ax_plane.axhline(0, color="0.85", lw=0.8)
    ax_plane.axvline(0, color="0.85", lw=0.8)
    ax_plane.set_aspect("equal", adjustable="box")
    ax_plane.set_title("final class means (2 principal directions)")

    def draw(C, p, seed):
        restore_axes(fig)
        run = narrow_run(C, p, seed=seed)
        k = np.maximum(run.steps, 1)
        risk_line.set_data(k, np.maximum(run.risk, 1e-30))
        floor_line.set_data([1, k[-1]], [run.floor, run.floor])
        floor_line.set_visible(run.floor > 0)
        ax_risk.set_xlim(1, k[-1])
        ax_risk.set_ylim(1e-3 if run.floor > 0 else 1e-16, 2)
        points.set_offsets(np.vstack([run.plane, np.full((NARROW_C_MAX - C, 2), np.nan)]))
        for i, spoke in enumerate(spokes):
            spoke.set_data(*(([0, run.plane[i, 0]], [0, run.plane[i, 1]]) if i < C else ([], [])))
        reach = 1.15 * max(np.abs(run.plane).max(), 1e-12)
        ax_plane.set_xlim(-reach, reach)
        ax_plane.set_ylim(-reach, reach)
        if p >= C - 1:
            return (
                f"p = {p} ≥ C − 1 = {C - 1}: strong collapse exists and descent reaches it "
                f"(final risk {run.risk[-1]:.1e})."
            )
        kept = int(np.sum(run.gram_eigenvalues > 0.5))
        return (
            f"p = {p} < C − 1 = {C - 1}: the risk stops at {run.risk[-1]:.4f} (floor "
            f"{run.floor:.4f}); WWᵀ/√N has {kept} eigenvalues near 1 and the rest near 0; "
            f"{100 * run.train_error:.0f}% of the training samples are misclassified."
        )

    return _explorer(
        {
            "C": slider(widgets.IntSlider, 5, 3, NARROW_C_MAX, 1, "classes C"),
            "p": slider(widgets.IntSlider, 2, 1, NARROW_P_MAX, 1, "feature dimension p"),
            "seed": slider(widgets.IntSlider, 0, 0, 9, 1, "seed"),
        },
        fig,
        draw,
        "Left: the risk per iteration on log-log axes for C = 5 classes and p = 2 features; "
        "it levels off exactly at the dashed floor 0.2 instead of going to zero. Right: the "
        "five final class means in a plane, unequal in length and angle, so not a simplex.",
    )


# --- step size -------------------------------------------------------------------------


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


def sharpness(H, W, b) -> float:
    """Largest eigenvalue of the Hessian of ``R_e`` at ``(H, W, b)`` (small models only)."""
    return float(np.linalg.eigvalsh(hessian(H, W, b))[-1])


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
    run = extended_descent(*batch, lrs, STEP_STEPS, record_every=STEP_STEPS)
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
        risk=run.objective[:, -1],
        gram_error=gram_error,
        sharpness=sharp,
        lambda_max=sharpness(*strong_collapse(C0, N0, P0, seed=seed)),
        limit=largest_stable_step(C0, N0),
    )


@register("limits.step_size", corners={"lr": (0.5, 2.2)}, maxima={"lr": 1.0})
def step_size_explorer(sweep: StepSweep | None = None) -> Explorer:
    """Step sizes around ``2/λ_max``: strong collapse below, a flatter minimiser just above,
    divergence further up.

    Control: the step size ``η`` (start of size 0.01, ``C = N = 3``, ``p = 15``). Left: the
    risk and ``||W W^T - sqrt(N) P||_F`` along the run. Middle and right: the final
    ``||W W^T - sqrt(N) P||_F`` and the final sharpness (largest Hessian eigenvalue)
    against ``η``, with ``2/λ_max`` and the curve ``2/η``.

    Parameters
    ----------
    sweep : StepSweep, optional
        A result of :func:`step_size_sweep` to draw (computed if not given).
    """
    sweep = step_size_sweep() if sweep is None else sweep
    fig, (ax_run, ax_gram, ax_sharp) = new_figure(12.5, 3.6, ncols=3)
    (risk_line,) = ax_run.semilogy([], [], color="k", label=r"risk $R_e$")
    (gram_line,) = ax_run.semilogy([], [], color="C0", label=r"$\|WW^\top-\sqrt{N}P\|_F$")
    ax_run.set_xlabel("iteration $k$")
    ax_run.set_ylim(1e-14, 1e3)
    ax_run.set_xlim(0, STEP_STEPS)
    ax_run.legend(fontsize="x-small", loc="lower left")
    ok = sweep.diverged_at < 0
    ax_gram.plot(sweep.lr[ok], sweep.gram_error[ok], "o", ms=3, color="C0")
    ax_gram.set_ylabel(r"final $\|WW^\top-\sqrt{N}P\|_F$")
    ax_sharp.plot(sweep.lr[ok], sweep.sharpness[ok], "o", ms=3, color="C2", label="final sharpness")
    grid = np.linspace(sweep.lr[0], sweep.lr[-1], 200)
    ax_sharp.plot(grid, 2 / grid, color="0.4", lw=1, label=r"$2/\eta$")
    ax_sharp.axhline(
        sweep.lambda_max, color="C3", lw=1, ls=":", label=r"$\lambda_{\max}$ at collapse"
    )
    ax_sharp.set_ylabel("largest Hessian eigenvalue")
    ax_sharp.legend(fontsize="x-small", loc="lower left")
    markers = []
    for ax in (ax_gram, ax_sharp):
        ax.axvline(sweep.limit, color="C3", ls="--", lw=1)
        if (~ok).any():
            ax.axvspan(sweep.lr[~ok].min(), sweep.lr[-1], color="0.9", zorder=0)
        markers.append(ax.axvline(1.8, color="k", lw=1))
        ax.set_xlabel("step size η")
        ax.grid(alpha=0.3)
    ax_run.grid(alpha=0.3)
    ax_gram.set_title("dashed: $2/\\lambda_{\\max}$; grey: diverged")

    def draw(lr):
        restore_axes(fig)
        run = gradient_descent(*random_init(C0, N0, P0, STEP_EPS, seed=0), lr, STEP_STEPS, 10)
        risk_line.set_data(run.steps, run.risk)
        gram_line.set_data(run.steps, run.errors[:, 0])
        for marker in markers:
            marker.set_xdata([lr, lr])
        ax_run.title.set_text(f"one run, η = {lr:.3g}")
        if run.diverged_at is not None:
            return (
                f"Diverged at step {run.diverged_at}: η = {lr:.3g} is far above the stability "
                f"limit 2/λ_max ≈ {sweep.limit:.3f}."
            )
        final = (*run.final,)
        side = "below" if lr <= sweep.limit else "above"
        return (
            f"η = {lr:.3g} is {side} 2/λ_max ≈ {sweep.limit:.3f}: final risk {run.risk[-1]:.1e}, "
            f"‖WWᵀ − √N P‖ = {run.errors[-1, 0]:.2g}, sharpness {sharpness(*final):.3f} "
            f"(2/η = {2 / lr:.3f})."
        )

    return _explorer(
        {"lr": slider(widgets.FloatSlider, 1.8, 0.5, 2.2, 0.01, "step size η")},
        fig,
        draw,
        "Three panels. Left: risk and distance of WWᵀ from √N P along a run with step 1.8; "
        "the risk falls to about 1e-12 while the distance stays near 1.4. Middle: the final "
        "distance against the step size: zero up to the dashed line 2/λ_max ≈ 1.68, then "
        "growing, and no value beyond about 1.9 where runs diverge. Right: the final sharpness "
        "equals λ_max ≈ 1.19 below the limit and follows the curve 2/η above it.",
    )


# --- weight decay and cross-entropy ----------------------------------------------------


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
        Whether the class means end within :data:`VANISHED` of each other.
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
        record_steps=_log_steps(steps, 50),
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


@register(
    "limits.decay",
    corners={"loss": LOSSES, "lam": (DECAY_VALUES[0], DECAY_VALUES[-1])},
    maxima={"loss": "cross_entropy", "lam": 0.0},
)
def decay_explorer() -> Explorer:
    """Weight decay and cross-entropy: which collapse measures survive, and at what scale.

    Controls: the loss and ``λ = λ_W = λ_H`` (``C = N = 4``, ``p = 8``, start size 0.1,
    ``η = 1``, 2000 steps). Left: NC1, NC2 (equiangularity) and NC3 per iteration. Right:
    ``||W||_F`` and the root mean square feature norm.
    """
    fig, (ax_nc, ax_norm) = new_figure(11.0, 3.6, ncols=2)
    nc_lines = {
        key: ax_nc.loglog([], [], label=label)[0]
        for key, label in (("nc1", "NC1"), ("nc2_equiangular", "NC2 (angles)"), ("nc3", "NC3"))
    }
    ax_nc.set_ylim(1e-16, 1e2)
    ax_nc.set_title("collapse measures")
    (w_line,) = ax_norm.semilogx([], [], color="C0", label=r"$\|W\|_F$")
    (h_line,) = ax_norm.semilogx([], [], color="C1", label=r"$\|H\|_F/\sqrt{n}$")
    ax_norm.set_title("norms")
    for ax in (ax_nc, ax_norm):
        ax.set_xlabel("iteration $k$")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small", loc="lower left")

    def draw(loss, lam):
        restore_axes(fig)
        run = decay_run(loss, lam)
        k = np.maximum(run.steps, 1)
        for key, line in nc_lines.items():
            line.set_data(k, np.where(run.nc[key] > 0, run.nc[key], 1e-16))
        w_line.set_data(k, run.norm_W)
        h_line.set_data(k, run.norm_H)
        for ax in (ax_nc, ax_norm):
            ax.set_xlim(1, k[-1])
        ax_norm.set_ylim(0, 1.1 * max(run.norm_W.max(), run.norm_H.max(), 1e-3))
        name = _LOSS_NAMES[loss]
        if run.vanished:
            return (
                f"{name}, λ = {lam:g}: the weight decay wins; features and classifier shrink "
                "to zero, where the collapse measures are undefined."
            )
        nc = {key: values[-1] for key, values in run.nc.items()}
        return (
            f"{name}, λ = {lam:g}: NC1 {nc['nc1']:.1e}, NC2 {nc['nc2_equiangular']:.1e}, "
            f"NC3 {nc['nc3']:.1e}; WWᵀ is a simplex ETF up to {run.etf_error:.0e}, of size "
            f"{run.scale:.3g} × √N (strong collapse: 1); bias {np.round(run.bias, 3)}."
        )

    return _explorer(
        {
            "loss": widgets.Dropdown(
                options=[(name, key) for key, name in _LOSS_NAMES.items()],
                value="squared",
                description="loss",
            ),
            "lam": widgets.SelectionSlider(
                options=list(DECAY_VALUES),
                value=1e-2,
                description="weight decay λ",
                continuous_update=False,
                style={"description_width": "initial"},
            ),
        },
        fig,
        draw,
        "Left: NC1, NC2 and NC3 per iteration on log-log axes for squared loss with weight "
        "decay 0.01; all three fall to the level of rounding errors. Right: the norms of the "
        "classifier and of the features, which settle at a common value below that of strong "
        "collapse.",
    )


# --- unequal class sizes ---------------------------------------------------------------


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
        :data:`VANISHED_ROW`).
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
        record_steps=_log_steps(steps, 60),
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
        :data:`VANISHED_ROW`).
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


def imbalance_figure(sweeps):
    """Minority and majority cosines, and the minority/majority norm ratio, against the
    imbalance ratio, one line style per sweep (a static figure).

    Parameters
    ----------
    sweeps : sequence of ImbalanceSweep

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax_cos, ax_norm) = new_figure(10.0, 3.5, ncols=2)
    for sweep, style in zip(sweeps, ("-", "--", ":", "-.")):
        label = f"{_LOSS_NAMES[sweep.loss]}, λ = {sweep.lam:g}"
        ax_cos.semilogx(
            sweep.ratios,
            sweep.cos_minor,
            style,
            color="C3",
            marker="o",
            ms=3,
            label=f"minority rows, {label}",
        )
        ax_cos.semilogx(
            sweep.ratios,
            sweep.cos_major,
            style,
            color="C0",
            marker="o",
            ms=3,
            label=f"majority rows, {label}",
        )
        ax_norm.semilogx(
            sweep.ratios, sweep.norm_ratio, style, color="k", marker="o", ms=3, label=label
        )
    ax_cos.axhline(-1 / 3, color="0.4", lw=1, label=r"simplex: $-1/(C-1)$")
    ax_cos.set_ylabel("final cosine between the two rows")
    ax_norm.set_ylabel("minority / majority row norm")
    ax_norm.set_ylim(bottom=0)
    for ax in (ax_cos, ax_norm):
        ax.set_xlabel(r"imbalance $N_{\mathrm{major}} / N_{\mathrm{minor}}$")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="xx-small")
    return fig


@register(
    "limits.imbalance",
    corners={
        "ratio": (1, 100),
        "loss": LOSSES,
        "lam": (IMBALANCE_DECAY_VALUES[0], IMBALANCE_DECAY_VALUES[-1]),
    },
    maxima={"ratio": 100, "lam": IMBALANCE_DECAY_VALUES[0]},
)
def imbalance_explorer() -> Explorer:
    """Minority collapse: with two large and two small classes, the small classes'
    classifier rows turn towards each other as the imbalance grows.

    Controls: the ratio ``N_major/N_minor``, the loss and the weight decay ``λ``
    (``p = 8``, start size 0.1, ``η = 1``, 1500 steps). Left: final cosines between the
    classifier rows. Right: the minority and majority cosines per iteration.
    """
    fig, (ax_map, ax_cos) = new_figure(10.5, 3.7, ncols=2, width_ratios=(1.0, 1.4))
    image = ax_map.imshow(np.zeros((4, 4)), vmin=-1, vmax=1, cmap="RdBu_r")
    names = ["major 1", "major 2", "minor 1", "minor 2"]
    ax_map.set_xticks(range(4), names, fontsize="small", rotation=30)
    ax_map.set_yticks(range(4), names, fontsize="small")
    values = [
        [ax_map.text(j, i, "", ha="center", va="center", fontsize="small") for j in range(4)]
        for i in range(4)
    ]
    ax_map.set_title("cosines between classifier rows")
    fig.colorbar(image, ax=ax_map, shrink=0.8)
    (minor_line,) = ax_cos.semilogx([], [], color="C3", label="minority rows")
    (major_line,) = ax_cos.semilogx([], [], color="C0", label="majority rows")
    ax_cos.axhline(-1 / 3, color="0.4", ls="--", lw=1, label=r"simplex: $-1/(C-1)$")
    ax_cos.set_ylim(-1.05, 1.05)
    ax_cos.set_xlabel("iteration $k$")
    ax_cos.set_title("cosine between the two rows of each pair")
    ax_cos.grid(alpha=0.3)
    ax_cos.legend(fontsize="x-small", loc="lower right")

    def draw(ratio, loss, lam):
        restore_axes(fig)
        run = imbalance_run(ratio, loss, lam)
        image.set_data(np.nan_to_num(run.cosines, nan=0.0))
        for i in range(4):
            for j in range(4):
                value = run.cosines[i, j]
                values[i][j].set_text("–" if np.isnan(value) else f"{value:.2f}")
                values[i][j].set_color("white" if abs(value) > 0.6 else "black")
        k = np.maximum(run.steps, 1)
        minor_line.set_data(k, run.cos_minor)
        major_line.set_data(k, run.cos_major)
        ax_cos.set_xlim(1, k[-1])
        name = _LOSS_NAMES[loss]
        small = run.row_norms[2:] < VANISHED_ROW * run.row_norms.max()
        if small.all():
            return (
                f"{name}, λ = {lam:g}, ratio {ratio}: the minority rows of W have shrunk to "
                "zero, so the small classes are never predicted (their cosines are undefined)."
            )
        return (
            f"{name}, λ = {lam:g}, ratio {ratio}: cosine between the minority rows "
            f"{run.cosines[2, 3]:.2f}, between the majority rows {run.cosines[0, 1]:.2f} "
            f"(simplex: {-1 / 3:.2f}); row norms {np.round(run.row_norms, 2)}."
        )

    return _explorer(
        {
            "ratio": slider(widgets.IntSlider, 20, 1, 100, 1, "imbalance N_major/N_minor"),
            "loss": widgets.Dropdown(
                options=[(name, key) for key, name in _LOSS_NAMES.items()],
                value="cross_entropy",
                description="loss",
            ),
            "lam": widgets.SelectionSlider(
                options=list(IMBALANCE_DECAY_VALUES),
                value=1e-2,
                description="weight decay λ",
                continuous_update=False,
                style={"description_width": "initial"},
            ),
        },
        fig,
        draw,
        "Left: a four by four map of cosines between classifier rows for two classes of 20 "
        "samples and two of 1, with cross-entropy and weight decay 0.01; the two minority "
        "rows have a cosine near zero instead of the simplex value −1/3. Right: that cosine "
        "and the majority one per iteration.",
    )


# --- shared helpers --------------------------------------------------------------------


def _log_steps(steps: int, count: int) -> np.ndarray:
    """Step 0 and about ``count`` logarithmically spaced steps from 1 to ``steps``."""
    return np.unique(np.r_[0, np.round(np.geomspace(1, steps, count)).astype(np.int64)])


def _explorer(controls, fig, draw, alt) -> Explorer:
    """Build the explorer (its first render fixes the layout, see :class:`Explorer`)."""
    return Explorer(controls=controls, figure=fig, draw=draw, alt=alt)
