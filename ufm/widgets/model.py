"""Live experiment of the chapter on the unconstrained features model.

:func:`descent_explorer` runs gradient descent from a random start of size ``ε`` and draws
the three strong-collapse errors, the risk and the distance from S per iteration, and, for
``C = 3``, the classifier rows and class means in the plane of the simplex.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import experiments, plots
from ..experiments.controls import DESCENT, SEED, SIZES, corners, maxima
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
        "C": slider(widgets.IntSlider, 3, *SIZES["C"], 1, "classes C"),
        "N": slider(widgets.IntSlider, 3, *SIZES["N"], 1, "samples per class N"),
        "p": slider(widgets.IntSlider, 15, *SIZES["p"], 1, "feature dimension p"),
        "eps": log_slider(1e-2, *np.log10(DESCENT["eps"]), "start size ε"),
        "lr": slider(widgets.FloatSlider, 1.0, *DESCENT["lr"], 0.05, "step size η"),
        "steps": slider(widgets.IntSlider, 4000, *DESCENT["steps"], 100, "steps"),
        "seed": slider(widgets.IntSlider, 0, *SEED, 1, "seed"),
    }


@register(
    "model.descent",
    corners=corners(SIZES, DESCENT, seed=SEED),
    maxima=maxima(SIZES, steps=DESCENT["steps"][1]),
)
def descent_explorer() -> Explorer:
    """Gradient descent from a random start: errors, risk and (for ``C = 3``) the simplex.

    Controls: ``C``, ``N``, ``p``, the size ``ε`` of the random start (log scale), the step
    size ``η``, the number of steps and the seed.

    Book: the chapter on the model (``book/model.ipynb``), after ``def-strong-collapse``
    and ``lem-interpolation``: the three errors measure the distance from strong collapse,
    and the risk falls towards the value 0 that strong collapse attains.
    """
    panels = plots.descent_panels(12.5, 3.9, width_ratios=(1.15, 1.15, 1.0))
    fig = panels.figure

    def draw(C, N, p, eps, lr, steps, seed):
        restore_axes(fig)
        # The reduced state of ufm.random_init(C, N, p, eps, seed), sampled without forming H.
        start = ReducedState.random(C, N, p, eps, seed=seed)
        every = max(1, steps // RECORDED_POINTS)
        marks = experiments.snapshot_schedule(steps, SNAPSHOTS if C == 3 else 12)
        run = experiments.descent_with_snapshots(start, lr, steps, marks, record_every=every)
        trajectory = run.trajectory
        panels.fit(trajectory, steps)
        if C == 3:
            view = experiments.simplex_plane(run.W, run.class_means, N)
            panels.show_plane(view, steps=run.snapshot_steps)
        else:
            panels.hide_plane()
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


#: The note on a run that diverges. Past the stability limit rounding errors grow with the
#: iterates, so the step of divergence is not the same on every machine (nor in the
#: JavaScript twin), and tests compare such messages up to that step.
STEERED = "(Rounding errors steer such a run: the step can differ from machine to machine.)"


def _message(C, N, p, lr, steps, trajectory) -> str | None:
    """What a reader should know about this run, or None."""
    limit = largest_stable_step(C, N)
    notes = []
    if trajectory.diverged_at is not None:
        notes.append(
            f"Diverged at step {trajectory.diverged_at}: the step size η = {lr:g} is far above "
            f"the largest stable step 2/λ_max ≈ {limit:.3f}. {STEERED}"
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
