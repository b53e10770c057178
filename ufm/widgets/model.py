"""Live experiment of the chapter on the unconstrained features model.

:func:`descent_explorer` runs gradient descent from a random start of size ``ε`` and draws
the three strong-collapse errors, the risk and the distance from S per iteration, and, for
``C = 3``, the classifier rows and class means in the plane of the simplex.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import experiments, plots
from ..reduced import ReducedState
from ..spectrum import largest_stable_step
from ._base import Explorer, log_slider, register, restore_axes, slider

#: Recorded points per run, whatever the number of steps (enough for smooth curves, few
#: enough for a fast redraw).
RECORDED_POINTS = 500
#: States kept along a run for the plane view (geometrically spaced steps).
SNAPSHOTS = 30


def descent_controls() -> dict:
    """The controls of :func:`descent_explorer`, at the set-up of Figure 1."""
    return {
        "C": slider(widgets.IntSlider, 3, 2, 10, 1, "classes C"),
        "N": slider(widgets.IntSlider, 3, 1, 1000, 1, "samples per class N"),
        "p": slider(widgets.IntSlider, 15, 1, 64, 1, "feature dimension p"),
        "eps": log_slider(1e-2, -6, 0, "start size ε"),
        "lr": slider(widgets.FloatSlider, 1.0, 0.05, 2.5, 0.05, "step size η"),
        "steps": slider(widgets.IntSlider, 4000, 100, 20000, 100, "steps"),
        "seed": slider(widgets.IntSlider, 0, 0, 99, 1, "seed"),
    }


@register(
    "model.descent",
    corners={
        "C": (2, 10),
        "N": (1, 1000),
        "p": (1, 64),
        "eps": (1e-6, 1.0),
        "lr": (0.05, 2.5),
        "steps": (100, 20000),
        "seed": (0, 99),
    },
    maxima={"C": 10, "N": 1000, "p": 64, "steps": 20000},
)
def descent_explorer() -> Explorer:
    """Gradient descent from a random start: errors, risk and (for ``C = 3``) the simplex.

    Controls: ``C``, ``N``, ``p``, the size ``ε`` of the random start (log scale), the step
    size ``η``, the number of steps and the seed.
    """
    fig, axes = plots.figure(12.5, 3.9, ncols=3, width_ratios=(1.15, 1.15, 1.0))
    ax_err, ax_risk, ax_plane = axes
    error_lines = [ax_err.semilogy([], [], label=label)[0] for label in plots.ERROR_LABELS]
    ax_err.set_title("distance from strong collapse")
    risk_line = ax_risk.semilogy([], [], color="k", label=r"risk $R_e$")[0]
    distance_line = ax_risk.semilogy([], [], color="C3", label=plots.DISTANCE_LABEL)[0]
    ax_risk.set_title("risk and distance from $S$")
    for ax in (ax_err, ax_risk):
        ax.set_xscale("symlog", linthresh=10, linscale=0.5)
        ax.set_xlabel("iteration $k$ (logarithmic beyond 10)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small", loc="upper right")
    plane = plots.plane_artists(ax_plane, 3)
    plane_note = ax_plane.text(
        0.5,
        0.5,
        "The plane view is drawn for C = 3.",
        ha="center",
        va="center",
        transform=ax_plane.transAxes,
        visible=False,
    )

    def draw(C, N, p, eps, lr, steps, seed):
        restore_axes(fig)
        # The reduced state of ufm.random_init(C, N, p, eps, seed), sampled without forming H.
        start = ReducedState.random(C, N, p, eps, seed=seed)
        every = max(1, steps // RECORDED_POINTS)
        marks = experiments.snapshot_schedule(steps, SNAPSHOTS if C == 3 else 12)
        run = experiments.descent_with_snapshots(start, lr, steps, marks, record_every=every)
        trajectory = run.trajectory
        k = trajectory.steps
        for line, values in zip(error_lines, trajectory.errors.T):
            line.set_data(k, values)
        risk_line.set_data(k, trajectory.risk)
        distance_line.set_data(k, trajectory.distance_to_S)
        for ax in (ax_err, ax_risk):
            ax.set_xlim(0, steps)
        rescale(ax_err, ax_risk)

        show_plane = C == 3
        for artist in [*_plane_members(plane), ax_plane.get_legend()]:
            artist.set_visible(show_plane)
        plane_note.set_visible(not show_plane)
        if show_plane:
            ax_plane.set_axis_on()
            view = experiments.simplex_plane(run.W, run.class_means, N)
            plots.update_plane(ax_plane, plane, view)
            ax_plane.title.set_text(f"the plane of the simplex, steps 0–{run.snapshot_steps[-1]}")
        else:
            ax_plane.set_axis_off()
            ax_plane.title.set_text("the plane of the simplex")
        return _message(C, N, p, lr, steps, trajectory)

    return Explorer(
        controls=descent_controls(),
        figure=fig,
        draw=draw,
        alt=(
            "Three panels. Left: the three strong-collapse errors per iteration on a log "
            "scale. Middle: the risk and the relative distance from S per iteration. Right: "
            "for three classes, the paths of the classifier rows and of the scaled class means "
            "in the plane of the final classifier, ending at an equilateral triangle."
        ),
    )


def rescale(*axes) -> None:
    """Fit each axes to its data; a logarithmic y-axis spans at least two decades, so that
    its tick labels are powers of ten (and fit the frozen layout)."""
    for ax in axes:
        ax.relim()
        ax.autoscale_view(scalex=ax.get_autoscalex_on())
        if ax.get_yscale() == "log":
            low, high = ax.get_ylim()
            if high < 100 * low:
                middle = np.sqrt(low * high)
                ax.set_ylim(middle / 10, middle * 10)


def _plane_members(plane: dict) -> list:
    """Every artist of a plane view, flattened."""
    members = []
    for value in plane.values():
        members.extend(value if isinstance(value, list) else [value])
    return members


def _message(C, N, p, lr, steps, trajectory) -> str | None:
    """What a reader should know about this run, or None."""
    limit = largest_stable_step(C, N)
    notes = []
    if trajectory.diverged_at is not None:
        notes.append(
            f"Diverged at step {trajectory.diverged_at}: the step size η = {lr:g} is far above "
            f"the largest stable step 2/λ_max ≈ {limit:.3f}."
        )
    elif lr > limit:
        notes.append(
            f"The step size η = {lr:g} is above the largest stable step 2/λ_max ≈ {limit:.3f}: "
            "descent cannot settle at strong collapse."
        )
    if p < C - 1:
        notes.append(
            f"p = {p} < C − 1 = {C - 1}: no point of strong collapse exists, so "
            "‖WWᵀ − √N P‖ cannot reach 0."
        )
    final_risk = trajectory.risk[-1]
    converging = trajectory.diverged_at is None and p >= C - 1
    if converging and np.isfinite(final_risk) and final_risk > 1e-3:
        notes.append(f"After {steps} steps the risk is still {final_risk:.2g}: add steps.")
    return " ".join(notes) or None
