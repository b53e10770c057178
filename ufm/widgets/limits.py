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

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..experiments import controls
from ..experiments.discussion import (
    DECAY_VALUES,
    IMBALANCE_DECAY_VALUES,
    INIT_LR,
    INIT_SEEDS,
    INIT_STEPS,
    LOSS_NAMES,
    STEP_STEPS,
    VANISHED_ROW,
    InitSweep,
    StepSweep,
    decay_run,
    imbalance_run,
    init_run,
    init_size_sweep,
    narrow_run,
    step_run,
    step_size_sweep,
)
from ..extensions import LOSSES
from ..spectrum import sharpness
from ._base import ROUNDING, Explorer, bounded, log_slider, register, restore_axes, slider

#: Summary lines quote a risk or NC1 (squares of errors) below RISK_ROUNDING, and other
#: measures below ROUNDING, by that bound (see ``bounded``): their digits are rounding noise.
RISK_ROUNDING = 1e-20

# --- large initialisation --------------------------------------------------------------


@register(
    "limits.initialisation",
    corners={"eps": controls.INIT_EPS, "seed": (0, INIT_SEEDS - 1)},
    maxima={"eps": controls.INIT_EPS[1]},
)
def initialisation_explorer(sweep: InitSweep | None = None) -> Explorer:
    """How far from strong collapse descent ends when the random start is large.

    Controls: the start size ``ε`` (log scale, 10^-6 to 10) and the seed. Left: the three
    errors and the distance from S along the run. Right: their median final values over 5
    seeds against ``ε``, with the chosen ``ε`` marked.

    Parameters
    ----------
    sweep : InitSweep, optional
        A result of :func:`ufm.experiments.init_size_sweep` to draw on the right (computed
        if not given).
    """
    sweep = init_size_sweep() if sweep is None else sweep
    fig, (ax_run, ax_sweep) = plots.figure(11.0, 3.7, ncols=2)
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
    medians = [np.median(values, axis=1) for values in finals]
    for values, label in zip(medians, labels):
        ax_sweep.loglog(sweep.eps, values, marker="o", ms=3, label=label)
    # The static page draws the same sweep (it does not rerun it).
    data = {
        "sweep": {
            "eps": sweep.eps.tolist(),
            "seeds": int(sweep.errors.shape[1]),
            "median": {
                key: values.tolist()
                for key, values in zip(("gram", "features", "bias", "distance"), medians)
            },
        }
    }
    marker = ax_sweep.axvline(1.0, color="0.3", ls="--", lw=1)
    sweep_range = (sweep.eps.min(), sweep.eps.max())
    ax_sweep.set_xlabel("start size ε")
    ax_sweep.set_title(f"final values, median of {sweep.errors.shape[1]} seeds")
    plots.legend_under(ax_run)
    for ax in (ax_run, ax_sweep):
        ax.grid(alpha=0.3)
    ax_run.set_ylim(1e-9, 1e3)

    def draw(eps, seed):
        restore_axes(fig)
        run = init_run(eps, seed)
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
            f"ε = {eps:.2g}: final risk {bounded(run.risk[-1], '.1e', RISK_ROUNDING)}; "
            "relative error of the features "
            f"{errors[1]:.2g}; ‖WWᵀ − √N P‖ = {errors[0]:.2g}; distance from S "
            f"{run.distance_to_S[-1]:.2g}."
        )

    return _explorer(
        {
            "eps": log_slider(1.0, *np.log10(controls.INIT_EPS), "start size ε"),
            "seed": slider(widgets.IntSlider, 0, 0, INIT_SEEDS - 1, 1, "seed"),
        },
        fig,
        draw,
        "Two log-log panels. Left: the three strong-collapse errors and the distance from S "
        "along one run from a start of size ε = 1; they level off well above zero. Right: "
        "the final values against ε from 0.001 to 10: they grow with ε, in proportion for "
        "small ε and to order one for ε of order one and above.",
        data,
    )


# --- p < C - 1 -------------------------------------------------------------------------


#: Largest ``C`` of :func:`narrow_explorer`.
NARROW_C_MAX = controls.NARROW["C"][1]


@register(
    "limits.narrow",
    corners=controls.corners(controls.NARROW, seed=controls.NARROW_SEED),
    maxima=controls.maxima(controls.NARROW),
)
def narrow_explorer() -> Explorer:
    """What descent finds when ``p < C - 1``: a risk floor and class means that are no simplex.

    Controls: ``C`` (3 to 10), ``p`` (1 to 64) and the seed (``N = 3``, start size 0.01,
    ``η = 1``). Left: the risk per iteration and the floor ``(C - 1 - p)/(2C)``. Right: the
    final centred class means in their first two principal directions.
    """
    fig, (ax_risk, ax_plane) = plots.figure(10.0, 3.7, ncols=2, width_ratios=(1.3, 1.0))
    (risk_line,) = ax_risk.loglog([], [], color="k", label=r"risk $R_e$")
    (floor_line,) = ax_risk.loglog([], [], color="C3", ls="--", label=r"floor $(C-1-p)/(2C)$")
    ax_risk.set_xlabel("iteration $k$")
    ax_risk.set_title("risk")
    ax_risk.grid(alpha=0.3)
    plots.legend_under(ax_risk)
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
                f"(final risk {bounded(run.risk[-1], '.1e', RISK_ROUNDING)})."
            )
        kept = int(np.sum(run.gram_eigenvalues > 0.5))
        return (
            f"p = {p} < C − 1 = {C - 1}: the risk stops at {run.risk[-1]:.4f} (floor "
            f"{run.floor:.4f}); WWᵀ/√N has {kept} eigenvalues near 1 and the rest near 0; "
            f"{100 * run.train_error:.0f}% of the training samples are misclassified."
        )

    return _explorer(
        {
            "C": slider(widgets.IntSlider, 5, *controls.NARROW["C"], 1, "classes C"),
            "p": slider(widgets.IntSlider, 2, *controls.NARROW["p"], 1, "feature dimension p"),
            "seed": slider(widgets.IntSlider, 0, *controls.NARROW_SEED, 1, "seed"),
        },
        fig,
        draw,
        "Left: the risk per iteration on log-log axes for C = 5 classes and p = 2 features; "
        "it levels off exactly at the dashed floor 0.2 instead of going to zero. Right: the "
        "five final class means in a plane, unequal in length and angle, so not a simplex.",
    )


# --- step size -------------------------------------------------------------------------


@register("limits.step_size", corners={"lr": controls.STEP_LR}, maxima={"lr": 1.0})
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
        A result of :func:`ufm.experiments.step_size_sweep` to draw (computed if not given).
    """
    sweep = step_size_sweep() if sweep is None else sweep
    fig, (ax_run, ax_gram, ax_sharp) = plots.figure(12.5, 3.6, ncols=3)
    (risk_line,) = ax_run.semilogy([], [], color="k", label=r"risk $R_e$")
    (gram_line,) = ax_run.semilogy([], [], color="C0", label=r"$\|WW^\top-\sqrt{N}P\|_F$")
    ax_run.set_xlabel("iteration $k$")
    ax_run.set_ylim(1e-14, 1e3)
    ax_run.set_xlim(0, STEP_STEPS)
    plots.legend_under(ax_run)
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
    plots.legend_under(ax_sharp)
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
        run = step_run(lr)
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
            f"η = {lr:.3g} is {side} 2/λ_max ≈ {sweep.limit:.3f}: final risk "
            f"{bounded(run.risk[-1], '.1e', RISK_ROUNDING)}, "
            f"‖WWᵀ − √N P‖ = {run.errors[-1, 0]:.2g}, sharpness {sharpness(*final):.3f} "
            f"(2/η = {2 / lr:.3f})."
        )

    return _explorer(
        {"lr": slider(widgets.FloatSlider, 1.8, *controls.STEP_LR, 0.01, "step size η")},
        fig,
        draw,
        "Three panels. Left: risk and distance of WWᵀ from √N P along a run with step 1.8; "
        "the risk falls to about 1e-12 while the distance stays near 1.4. Middle: the final "
        "distance against the step size: zero up to the dashed line 2/λ_max ≈ 1.68, then "
        "growing, and no value beyond about 1.9 where runs diverge. Right: the final sharpness "
        "equals λ_max ≈ 1.19 below the limit and follows the curve 2/η above it.",
        {
            "sweep": {
                "lr": sweep.lr.tolist(),
                "diverged_at": [int(d) for d in sweep.diverged_at],
                "gram_error": _finite_or_none(sweep.gram_error),
                "sharpness": _finite_or_none(sweep.sharpness),
                "lambda_max": float(sweep.lambda_max),
                "limit": float(sweep.limit),
            }
        },
    )


# --- weight decay and cross-entropy ----------------------------------------------------


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
    fig, (ax_nc, ax_norm) = plots.figure(11.0, 3.6, ncols=2)
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
        plots.legend_under(ax)

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
        name = LOSS_NAMES[loss]
        if run.vanished:
            return (
                f"{name}, λ = {lam:g}: the weight decay wins; features and classifier shrink "
                "to zero, where the collapse measures are undefined."
            )
        nc = {key: values[-1] for key, values in run.nc.items()}
        nc1, nc2, nc3 = (
            bounded(nc[key], ".1e", level)
            for key, level in (
                ("nc1", RISK_ROUNDING),
                ("nc2_equiangular", ROUNDING),
                ("nc3", ROUNDING),
            )
        )
        # + 0.0 turns the rounding noise -0.0 into 0.0.
        bias = np.round(run.bias, 3) + 0.0
        return (
            f"{name}, λ = {lam:g}: NC1 {nc1}, NC2 {nc2}, NC3 {nc3}; the distance of WWᵀ from a "
            f"simplex ETF is {bounded(run.etf_error, '.0e', ROUNDING)}, its size "
            f"{run.scale:.3g} × √N (strong collapse: 1); bias {bias}."
        )

    return _explorer(
        {
            "loss": widgets.Dropdown(
                options=[(name, key) for key, name in LOSS_NAMES.items()],
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


@register(
    "limits.imbalance",
    corners={
        "ratio": controls.IMBALANCE_RATIO,
        "loss": LOSSES,
        "lam": (IMBALANCE_DECAY_VALUES[0], IMBALANCE_DECAY_VALUES[-1]),
    },
    maxima={"ratio": controls.IMBALANCE_RATIO[1], "lam": IMBALANCE_DECAY_VALUES[0]},
)
def imbalance_explorer() -> Explorer:
    """Minority collapse: with two large and two small classes, the small classes'
    classifier rows turn towards each other as the imbalance grows.

    Controls: the ratio ``N_major/N_minor``, the loss and the weight decay ``λ``
    (``p = 8``, start size 0.1, ``η = 1``, 1500 steps). Left: final cosines between the
    classifier rows. Right: the minority and majority cosines per iteration.
    """
    fig, (ax_map, ax_cos) = plots.figure(10.5, 3.7, ncols=2, width_ratios=(1.0, 1.4))
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
    plots.legend_under(ax_cos)

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
        name = LOSS_NAMES[loss]
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
            "ratio": slider(
                widgets.IntSlider, 20, *controls.IMBALANCE_RATIO, 1, "imbalance N_major/N_minor"
            ),
            "loss": widgets.Dropdown(
                options=[(name, key) for key, name in LOSS_NAMES.items()],
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


def _explorer(controls, fig, draw, alt, data=None) -> Explorer:
    """Build the explorer (its first render fixes the layout, see :class:`Explorer`);
    ``data`` is what its static page draws without recomputing it."""
    return Explorer(controls=controls, figure=fig, draw=draw, alt=alt, data=data or {})


def _finite_or_none(values) -> list:
    """The values as JSON has them: None where a run diverged (not a number)."""
    return [float(v) if np.isfinite(v) else None for v in values]
