"""Live experiment of the appendix on other papers' results (``book/literature.ipynb``).

- :func:`decay_explorer`: the closed-form minimiser with weight decay (squared loss with
  and without bias, cross-entropy) beside gradient descent.

Its computation is :func:`ufm.experiments.decay_check`, which the chapter also calls for
the numbers in its prose; this module only draws.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..experiments import controls
from ..experiments.literature import (
    LIT_C,
    LIT_N,
    LIT_STEPS,
    SETTING_NAMES,
    decay_check,
    decay_prediction,
    margin_closed_form,
)
from ._base import ROUNDING, Explorer, bounded, register, restore_axes

#: The values of ``c`` at which the closed-form curve is drawn.
CURVE_C = np.linspace(0.02, 1.2, 119)
#: The labels of the plotted lines (the keys of the static page's series).
LABELS = {
    "curve": "closed form",
    "end": "descent, end point",
    "margin": "margin $q$",
    "row": r"$\|w_k\|^2$",
    "mean": r"$\|\bar h_k\|^2$",
}


def _decays(lam: float, ratio: float) -> tuple[float, float]:
    """``(λ_W, λ_H)`` with ``sqrt(λ_W λ_H) = lam`` and ``λ_H/λ_W = ratio``."""
    return lam / np.sqrt(ratio), lam * np.sqrt(ratio)


@register(
    "literature.decay",
    corners={
        "setting": tuple(SETTING_NAMES),
        "lam": (controls.LIT_LAMBDAS[0], controls.LIT_LAMBDAS[-1]),
        "ratio": (controls.LIT_RATIOS[0], controls.LIT_RATIOS[-1]),
    },
    maxima={"setting": "cross_entropy", "lam": controls.LIT_LAMBDAS[0]},
)
def decay_explorer() -> Explorer:
    """The closed-form minimiser with weight decay, and where gradient descent ends
    (thm-decay-squared, thm-decay-no-bias, thm-decay-ce).

    Controls: the setting (squared loss with or without bias, cross-entropy), the weight
    decay ``λ = sqrt(λ_W λ_H)`` and the ratio ``λ_H/λ_W`` (``C = N = 4``, ``p = 8``, start
    size 0.1, 1500 steps). Left: the closed-form score margin ``q`` against
    ``τ = C sqrt(N λ_W λ_H)``, with the end point of descent. Right: the margin and the
    mean ``||w_k||^2`` and ``||h̄_k||^2`` per iteration, with their closed-form values
    (dashed).
    """
    fig, (ax_curve, ax_run) = plots.figure(11.0, 3.6, ncols=2)
    (curve_line,) = ax_curve.plot([], [], color="k", lw=1.5, label=LABELS["curve"])
    (end_line,) = ax_curve.plot([], [], "o", color="C3", ms=7, label=LABELS["end"])
    ax_curve.axvline(1.0, color="0.5", ls=":", lw=1)
    ax_curve.set_xlim(0, CURVE_C[-1])
    ax_curve.set_xlabel(r"$\tau = C\sqrt{N\lambda_W\lambda_H}$")
    ax_curve.set_ylabel("score margin $q$")
    ax_curve.set_title("the minimiser: closed form and descent")
    plots.legend_under(ax_curve)
    run_lines = {
        key: ax_run.semilogx([], [], color=color, label=LABELS[key])[0]
        for key, color in (("margin", "C0"), ("row", "C1"), ("mean", "C2"))
    }
    targets = {
        key: ax_run.axhline(0.0, color=line.get_color(), ls="--", lw=1)
        for key, line in run_lines.items()
    }
    ax_run.set_xlim(1, LIT_STEPS)
    ax_run.set_xlabel("iteration $k$")
    ax_run.set_title("descent; dashed: closed form")
    plots.legend_under(ax_run)
    for ax in (ax_curve, ax_run):
        ax.grid(alpha=0.3)

    def draw(setting, lam, ratio):
        restore_axes(fig)
        lambda_W, lambda_H = _decays(lam, ratio)
        run = decay_check(setting, lambda_W, lambda_H)
        want = run.prediction
        curve = margin_closed_form(setting, LIT_C, CURVE_C)
        curve_line.set_data(CURVE_C, curve)
        end = run.margin[-1]
        end_line.set_data([want.tau], [end])
        ax_curve.set_ylim(-0.05 * curve.max(), 1.1 * curve.max())
        k = np.maximum(run.steps, 1)
        series = {"margin": run.margin, "row": run.row_norm_sq, "mean": run.mean_norm_sq}
        closed = {"margin": want.margin, "row": want.row_norm_sq, "mean": want.mean_norm_sq}
        for key, line in run_lines.items():
            line.set_data(k, series[key])
            targets[key].set_ydata([closed[key], closed[key]])
        values = [*series.values(), list(closed.values())]
        low = min(0.0, min(float(np.min(v)) for v in values))
        high = max(float(np.max(v)) for v in values)
        ax_run.set_ylim(low - 0.05 * (high - low), high + 0.1 * (high - low))
        name = SETTING_NAMES[setting]
        decays = f"{name}, λ_W = {lambda_W:.3g}, λ_H = {lambda_H:.3g}"
        ended = (
            f"descent ends with margin {bounded(end, '.4f', ROUNDING)}, "
            f"‖w_k‖² {bounded(run.row_norm_sq[-1], '.4f', ROUNDING)}, "
            f"‖h̄_k‖² {bounded(run.mean_norm_sq[-1], '.4f', ROUNDING)}"
        )
        if want.tau >= 1:
            return f"{decays} (τ = {want.tau:.3f} ≥ 1): the minimiser is zero; {ended}."
        return (
            f"{decays} (τ = {want.tau:.3f}): the closed form gives margin {want.margin:.4f}, "
            f"‖w_k‖² {want.row_norm_sq:.4f}, ‖h̄_k‖² {want.mean_norm_sq:.4f} "
            f"({want.frame} frame); {ended}."
        )

    choice = {"continuous_update": False, "style": {"description_width": "initial"}}
    default = decay_prediction("squared", LIT_C, LIT_N, *_decays(0.01, 1.0))  # for the alt text
    return Explorer(
        controls={
            "setting": widgets.Dropdown(
                options=[(name, key) for key, name in SETTING_NAMES.items()],
                value="squared",
                description="setting",
            ),
            "lam": widgets.SelectionSlider(
                options=list(controls.LIT_LAMBDAS),
                value=0.01,
                description="weight decay √(λ_W λ_H)",
                **choice,
            ),
            "ratio": widgets.SelectionSlider(
                options=list(controls.LIT_RATIOS),
                value=1.0,
                description="ratio λ_H/λ_W",
                **choice,
            ),
        },
        figure=fig,
        draw=draw,
        alt=(
            "Left: the closed-form score margin 1 − τ of the squared loss with bias against "
            "τ, falling from 1 to zero at τ = 1, with the end point of gradient descent on "
            f"the line at τ = {default.tau:.2g}. Right: the margin and the squared norms of a "
            "classifier row and of a class mean per iteration, settling on their dashed "
            f"closed-form values {default.margin:.2f}, {default.row_norm_sq:.2f} and "
            f"{default.mean_norm_sq:.3g}."
        ),
    )
