"""Live experiments of the chapter on the main results, one per result.

- :func:`perturbation_explorer`: NC1–NC4 and the risk near a point of strong collapse;
- :func:`invariance_explorer`: the risk split on S, and the gradient staying in S;
- :func:`convergence_explorer`: the flow on S against gradient descent, for any rank of W₀;
- :func:`riccati_explorer`: the eigenvalues of W Wᵀ, closed form against an ODE solver;
- :func:`linearisation_explorer`: the spectrum at ``(0, 0, 1/C)`` and the growth along S.

Each explorer sits directly after its result in ``book/results.ipynb``; its docstring
names the label of that result.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import dynamics, experiments, plots, spectrum, subspace
from ..collapse import class_summary, strong_collapse
from ..dynamics import flow_on_S, gradient_descent
from ..experiments import controls
from ..model import gradients, risk
from ..reduced import ReducedState
from ..spectrum import largest_stable_step, linearization_at_rest, unflatten
from ..subspace import distance_to_S, risk_parts_on_S
from ._base import ROUNDING, Explorer, bounded, log_slider, register, restore_axes, slider

#: Values below this are drawn at this level on logarithmic axes (exact zeros included).
FLOOR = 1e-20
#: Summary lines quote quantities that are zero but for rounding as "below ROUNDING" (see
#: ``bounded``, ``_base.ROUNDING``), and the gap between the ODE solver and the closed form
#: (about 1e-10, its tolerances being 1e-10 and 1e-12) as "below SOLVER_AGREEMENT".
SOLVER_AGREEMENT = 1e-9


#: Largest ``C``, ``N`` and ``p`` every explorer with these controls offers.
C_MAX, N_MAX, P_MAX = (high for _, high in controls.SIZES.values())


def _sizes(C, N, p):
    return {
        "C": slider(widgets.IntSlider, C, *controls.SIZES["C"], 1, "classes C"),
        "N": slider(widgets.IntSlider, N, *controls.SIZES["N"], 1, "samples per class N"),
        "p": slider(widgets.IntSlider, p, *controls.SIZES["p"], 1, "feature dimension p"),
    }


def _moved(point, direction, delta):
    """The state ``point + δ · direction`` (as :func:`ufm.experiments.perturb`)."""
    return tuple(x + delta * d for x, d in zip(point, direction))


def _seed():
    return slider(widgets.IntSlider, 0, *controls.SEED, 1, "seed")


# ---------------------------------------------------------------------------------------
# Strong collapse satisfies NC1–NC4 and has zero risk.

#: Relative perturbation sizes drawn as curves by :func:`perturbation_explorer`: every
#: quarter decade, or every decade for large models (``C N p`` above
#: ``FINE_CURVE_SIZE``), where each point costs a pass over all ``C N`` features.
DELTAS = np.geomspace(1e-8, 1.0, 17)
DELTAS_COARSE = np.geomspace(1e-8, 1.0, 9)
FINE_CURVE_SIZE = 100_000
#: Measures drawn on the logarithmic panel, with their labels.
MEASURES = {
    "nc1": r"NC1  $\mathrm{tr}(\Sigma_W\Sigma_B^\dagger)/C$",
    "nc2_equinorm": "NC2  equal norms",
    "nc2_equiangular": "NC2  equal angles",
    "nc3": "NC3  self-duality",
    "risk": plots.RISK_LABEL,
}


@register(
    "results.perturbation",
    corners=controls.corners(controls.SIZES, delta=(1e-8, 1.0), seed=controls.SEED),
    maxima=controls.maxima(controls.SIZES),
)
def perturbation_explorer() -> Explorer:
    """NC1–NC4 and the risk at a point of strong collapse moved by a relative amount ``δ``.

    The curves show every measure against ``δ`` for one random direction; the markers sit
    at the slider's ``δ``, and the legend gives their values.

    Book: ``thm-collapse-is-nc`` (results chapter), with the measures ``def-nc1``,
    ``def-nc2``, ``def-nc3`` and ``def-nc4`` (``book/observed.ipynb``).
    """
    fig, (ax_log, ax_nc4) = plots.figure(11.0, 3.8, ncols=2, width_ratios=(1.6, 1.0))
    for ax in (ax_log, ax_nc4):
        ax.set_xscale("log")
        ax.set_xlim(DELTAS[0], DELTAS[-1])
    curves = {k: ax_log.loglog([], [], label=label)[0] for k, label in MEASURES.items()}
    curves["risk"].set(color="k", linestyle="--")
    marks = {k: ax_log.loglog([], [], "o", color=line.get_color())[0] for k, line in curves.items()}
    nc4_curve = ax_nc4.semilogx([], [], color="C5")[0]
    nc4_mark = ax_nc4.semilogx([], [], "o", color="C5")[0]
    cursors = [ax.axvline(1e-3, color="0.5", ls=":") for ax in (ax_log, ax_nc4)]
    ax_log.set_title(r"NC1–NC3 and the risk near strong collapse")
    ax_nc4.set_title("NC4: share of decisions ≠ nearest mean")
    for ax in (ax_log, ax_nc4):
        ax.set_xlabel(r"relative size of the perturbation $\delta$")
        ax.grid(alpha=0.3)
    ax_nc4.set_ylim(-0.05, 1.05)
    legend = plots.legend_under(ax_log)

    cache = {}

    def measures(C, N, p, seed):
        """The point, the direction and the measures along the δ grid (cached: they do not
        depend on δ)."""
        if (C, N, p, seed) not in cache:
            point = strong_collapse(C, N, p, seed=seed)
            direction = experiments.random_direction(*point, seed=seed)
            deltas = DELTAS if C * N * p <= FINE_CURVE_SIZE else DELTAS_COARSE
            rows = [experiments.collapse_measures(*_moved(point, direction, d)) for d in deltas]
            cache.clear()
            cache[(C, N, p, seed)] = (point, direction, deltas, rows)
        return cache[(C, N, p, seed)]

    def draw(C, N, p, delta, seed):
        restore_axes(fig)
        point, direction, deltas, rows = measures(C, N, p, seed)
        here = experiments.collapse_measures(*_moved(point, direction, delta))
        for (key, line), text in zip(curves.items(), legend.get_texts()):
            line.set_data(deltas, np.maximum([row[key] for row in rows], FLOOR))
            marks[key].set_data([delta], [max(here[key], FLOOR)])
            text.set_text(f"{MEASURES[key]} = {here[key]:.1e}")
        nc4_curve.set_data(deltas, [row["nc4"] for row in rows])
        nc4_mark.set_data([delta], [here["nc4"]])
        for cursor in cursors:
            cursor.set_xdata([delta, delta])
        plots.rescale(ax_log)
        return None

    return Explorer(
        controls={
            **_sizes(3, 3, 15),
            "delta": log_slider(1e-3, -8, 0, "perturbation δ"),
            "seed": _seed(),
        },
        figure=fig,
        draw=draw,
        alt=(
            "Left: NC1, the two NC2 measures, NC3 and the risk against the relative size of a "
            "random perturbation of a strong-collapse point, on log-log axes; all vanish as "
            "the perturbation vanishes. Right: the NC4 disagreement fraction, zero for small "
            "perturbations."
        ),
    )


# ---------------------------------------------------------------------------------------
# S is invariant; on S the risk splits into a classifier part and a bias part.


@register(
    "results.invariance",
    corners={
        **controls.SIZES,
        "scale": (1e-3, 10.0),
        "beta0": (-1.0, 1.0),
        "T": (10, 400),
        "seed": controls.SEED,
    },
    maxima={**controls.maxima(controls.SIZES), "T": 400},
)
def invariance_explorer() -> Explorer:
    """Along the flow from a random point of S: the two parts of the risk and their sum;
    the gradient and its part off S; the distance from S of gradient descent's iterates.

    Book: ``thm-invariance`` (results chapter).
    """
    fig, (ax_parts, ax_dist) = plots.figure(11.0, 3.8, ncols=2)
    classifier = ax_parts.semilogy(
        [], [], label=r"classifier part $\|WW^\top/\sqrt{N}-P\|_F^2/(2C)$"
    )[0]
    bias = ax_parts.semilogy([], [], label=r"bias part $(C\beta-1)^2/(2C)$")[0]
    total = ax_parts.semilogy([], [], color="k", lw=2.5, alpha=0.4, label="sum of the parts")[0]
    direct = ax_parts.semilogy([], [], "k.", ms=4, label=r"risk $R_e$ computed directly")[0]
    ax_parts.set_title("the risk along the flow on $S$")
    grad = ax_dist.semilogy([], [], "k-", label=r"gradient $\|g\|_E$, $g = \nabla R_e(Z_t)$")[0]
    grad_off = ax_dist.semilogy(
        [], [], "C3o", ms=3, label=r"its part off $S$, $\|g - \mathrm{proj}_S g\|_E$"
    )[0]
    descent = ax_dist.semilogy(
        [], [], "C0-", label=r"descent ($\eta = 1$): $\|Z_k - \mathrm{proj}_S Z_k\|_E / \|Z_k\|_E$"
    )[0]
    ax_dist.set_title(f"the gradient stays in $S$ (zeros drawn at {FLOOR:.0e})")
    for ax in (ax_parts, ax_dist):
        ax.set_xlabel("time $t$ (= iteration $k$ for gradient descent)")
        ax.grid(alpha=0.3)
        plots.legend_under(ax)

    def draw(C, N, p, scale, beta0, T, seed):
        restore_axes(fig)
        start = subspace.point_in_S(C, N, p, min(C - 1, p), scale, beta0, seed)
        # Each time checked costs a few passes over the C N features: 61 times, or 21 for
        # large models.
        t = np.linspace(0.0, T, 61 if C * N * p <= FINE_CURVE_SIZE else 21)
        parts, risks, sizes = [], [], []
        for time in t:
            state = flow_on_S(start[1], beta0, time, N)
            parts.append(risk_parts_on_S(*state[1:], N))
            risks.append(risk(*state))
            sizes.append(_gradient_and_part_off_S(*state))
        parts, risks, sizes = np.array(parts), np.array(risks), np.array(sizes)
        classifier.set_data(t, np.maximum(parts[:, 0], FLOOR))
        bias.set_data(t, np.maximum(parts[:, 1], FLOOR))
        total.set_data(t, np.maximum(parts.sum(axis=1), FLOOR))
        direct.set_data(t, np.maximum(risks, FLOOR))
        grad.set_data(t, np.maximum(sizes[:, 0], FLOOR))
        grad_off.set_data(t, np.maximum(sizes[:, 1], FLOOR))
        gd = gradient_descent(reduced_in_S(*start), lr=1.0, steps=T, record_every=max(1, T // 200))
        descent.set_data(gd.steps, np.maximum(gd.distance_to_S, FLOOR))
        plots.rescale(ax_parts, ax_dist)
        ax_dist.set_ylim(FLOOR / 3, 10.0)
        off_S = bounded(sizes[:, 1].max(), ".1e", ROUNDING)
        descent_off_S = bounded(np.nanmax(gd.distance_to_S), ".1e", ROUNDING)
        end = bounded(sizes[-1, 0], ".1e", ROUNDING)
        return (
            f"The gradient shrinks from {sizes[0, 0]:.1e} to {end}; its largest "
            f"part off S is {off_S}. The largest relative distance of gradient descent from S "
            f"is {descent_off_S}."
        )

    return Explorer(
        controls={
            **_sizes(3, 3, 15),
            "scale": log_slider(0.1, -3, 1, "‖W₀‖_F"),
            "beta0": slider(widgets.FloatSlider, 0.0, -1.0, 1.0, 0.05, "β₀"),
            "T": slider(widgets.IntSlider, 80, 10, 400, 10, "time T"),
            "seed": _seed(),
        },
        figure=fig,
        draw=draw,
        alt=(
            "Left: the classifier part, the bias part, their sum and the risk computed "
            "directly along the gradient flow on S, log scale; the sum and the risk coincide. "
            "Right: the size of the gradient along the flow, falling by many orders of "
            "magnitude, while its part off S stays at rounding level, about 1e-17; the "
            "relative distance of gradient-descent iterates from S stays near 1e-16."
        ),
    )


def reduced_in_S(H, W, b) -> ReducedState:
    """The reduced state of a point of S: its class means, and a within-class scatter that
    is exactly zero (the features of a point of S are constant within each class, and
    gradient descent keeps them so). Descent from it costs the same for every ``N``."""
    C, p = W.shape
    return ReducedState(class_summary(H, C)[0], np.zeros((p, p)), W, b, H.shape[1] // C)


def _gradient_and_part_off_S(H, W, b):
    """``||g||_E`` and ``||g - proj_S g||_E`` for the gradient ``g`` of the risk at a state."""
    g = gradients(H, W, b)
    size = subspace.norm_E(*g)
    return size, (distance_to_S(*g) * size if size > 0 else 0.0)


# ---------------------------------------------------------------------------------------
# The flow on S converges to strong collapse when rank W0 = C - 1.


def _horizon(a_min, C, N):
    """A time by which the flow on S has converged: the slowest eigenvalue of ``W W^T``
    has travelled from ``a_min`` to within ``e^{-10}`` of ``sqrt(N)``."""
    kappa = 2.0 / (C * np.sqrt(N))
    return (np.log(max(np.sqrt(N) / a_min, 1.0)) + 10.0) / kappa


#: Most gradient-descent steps a convergence run may take.
MAX_STEPS = 20000


@register(
    "results.convergence",
    corners={
        **controls.SIZES,
        "rank": (1, C_MAX - 1),
        "scale": (1e-3, 1.0),
        "lr": (0.05, 1.5),
        "seed": controls.SEED,
    },
    maxima={**controls.maxima(controls.SIZES), "rank": C_MAX - 1, "scale": 1e-3, "lr": 0.05},
)
def convergence_explorer() -> Explorer:
    """From a point of S with ``rank W_0 = r``: the closed-form flow and gradient descent.

    For ``r = C - 1`` both reach strong collapse; for ``r < C - 1`` they stop at
    ``W W^T = sqrt(N) Π``, at distance ``sqrt(N (C - 1 - r))`` from it, with risk
    ``(C - 1 - r)/(2C)``.

    Book: ``cor-convergence`` (results chapter).
    """
    fig, (ax_err, ax_risk) = plots.figure(11.0, 3.8, ncols=2)
    flow_err = ax_err.semilogy([], [], "k-", label="flow on $S$ (closed form)")[0]
    gd_err = ax_err.semilogy([], [], "C1--", label="gradient descent")[0]
    limit_err = ax_err.axhline(1.0, color="C3", ls=":", label=r"$\sqrt{N(C-1-r)}$")
    ax_err.set_title(plots.ERROR_LABELS[0])
    flow_risk = ax_risk.semilogy([], [], "k-", label="flow on $S$ (closed form)")[0]
    gd_risk = ax_risk.semilogy([], [], "C1--", label="gradient descent")[0]
    limit_risk = ax_risk.axhline(1.0, color="C3", ls=":", label=r"$(C-1-r)/(2C)$")
    ax_risk.set_title(plots.RISK_LABEL)
    for ax in (ax_err, ax_risk):
        ax.set_xlabel(r"time $t$ (gradient descent: $t = k\eta$)")
        ax.grid(alpha=0.3)
        plots.legend_under(ax)

    def draw(C, N, p, rank, scale, lr, seed):
        restore_axes(fig)
        r = min(rank, C - 1, p)
        start = subspace.point_in_S(C, N, p, r, scale, 0.0, seed)
        W0 = start[1]
        a0 = dynamics.riccati_eigenvalues(W0, [0.0], N)[0]
        T = _horizon(a0[r - 1], C, N)
        steps = int(np.ceil(T / lr))
        notes = []
        if steps > MAX_STEPS:
            steps, T = MAX_STEPS, MAX_STEPS * lr
            notes.append(f"Stopped at {MAX_STEPS} steps (t = {T:.0f}); a larger η reaches further.")
        t = np.linspace(0.0, T, 300)
        a = dynamics.riccati_eigenvalues(W0, t, N)[:, : C - 1]
        beta = 1.0 / C - np.exp(-t) / C
        err = np.sqrt(((a - np.sqrt(N)) ** 2).sum(axis=1))
        flow_err.set_data(t, np.maximum(err, FLOOR))
        flow_risk.set_data(t, (err**2 / N + (C * beta - 1) ** 2) / (2 * C))
        gd = gradient_descent(
            reduced_in_S(*start), lr=lr, steps=steps, record_every=max(1, steps // 400)
        )
        gd_err.set_data(gd.steps * lr, np.maximum(gd.errors[:, 0], FLOOR))
        gd_risk.set_data(gd.steps * lr, np.maximum(gd.risk, FLOOR))
        deficit = C - 1 - r
        limit_err.set_visible(deficit > 0)
        limit_risk.set_visible(deficit > 0)
        if deficit:
            limit_err.set_ydata([np.sqrt(N * deficit)] * 2)
            limit_risk.set_ydata([deficit / (2 * C)] * 2)
            notes.insert(
                0,
                f"rank W₀ = {r} < C − 1 = {C - 1}: the flow ends at WWᵀ = √N Π, which is not "
                f"strong collapse; the risk tends to (C − 1 − r)/(2C) = {deficit / (2 * C):.3g}. "
                "This limit is a saddle: in floating point, descent leaves it long after the "
                "time shown.",
            )
        if rank > r:
            notes.insert(0, f"rank lowered to min(C − 1, p) = {r}.")
        if gd.diverged_at is not None:
            notes.append(f"Gradient descent diverged at step {gd.diverged_at}.")
        elif lr > largest_stable_step(C, N):
            notes.append(
                f"η = {lr:g} is above the largest stable step {largest_stable_step(C, N):.3f}."
            )
        for ax in (ax_err, ax_risk):
            ax.set_xlim(0, T)
        plots.rescale(ax_err, ax_risk)
        return " ".join(notes) or None

    return Explorer(
        controls={
            **_sizes(3, 3, 15),
            "rank": slider(widgets.IntSlider, 2, 1, C_MAX - 1, 1, "rank of W₀"),
            "scale": log_slider(1e-2, -3, 0, "‖W₀‖_F"),
            "lr": slider(widgets.FloatSlider, 0.5, 0.05, 1.5, 0.05, "step size η"),
            "seed": _seed(),
        },
        figure=fig,
        draw=draw,
        alt=(
            "Left: the distance of W W-transpose from square-root-N times P against time, for "
            "the closed-form flow on S and for gradient descent from the same point; with a "
            "full-rank start both fall to zero. Right: the risk along both, falling to zero."
        ),
    )


# ---------------------------------------------------------------------------------------
# The closed form of the flow on S.


@register(
    "results.riccati",
    corners={
        **controls.SIZES,
        "rank": (1, C_MAX - 1),
        "scale": (1e-3, 10**0.5),
        "seed": controls.SEED,
    },
    maxima={**controls.maxima(controls.SIZES), "rank": C_MAX - 1, "scale": 1e-3},
)
def riccati_explorer() -> Explorer:
    """The eigenvalues of ``W W^T`` along the flow on S: closed form against an ODE solver.

    Book: ``thm-riccati`` (results chapter).
    """
    fig, (ax_eig, ax_gap) = plots.figure(11.0, 3.8, ncols=2, width_ratios=(1.4, 1.0))
    formula = [ax_eig.semilogy([], [], color=f"C{i}")[0] for i in range(C_MAX - 1)]
    solver = [ax_eig.semilogy([], [], "o", mfc="none", color=f"C{i}")[0] for i in range(C_MAX - 1)]
    target = ax_eig.axhline(1.0, color="0.4", ls=":")
    formula[0].set_label("closed form")
    solver[0].set_label("ODE solver (DOP853)")
    target.set_label(r"$\sqrt{N}$")
    ax_eig.set_title(r"nonzero eigenvalues of $WW^\top$ along the flow on $S$")
    plots.legend_under(ax_eig)
    gap = ax_gap.semilogy([], [], "k.-")[0]
    ax_gap.set_title(r"largest |solver − closed form| / $\sqrt{N}$")
    for ax in (ax_eig, ax_gap):
        ax.set_xlabel("time $t$")
        ax.grid(alpha=0.3)

    def draw(C, N, p, rank, scale, seed):
        restore_axes(fig)
        r = min(rank, C - 1, p)
        start = subspace.point_in_S(C, N, p, r, scale, 0.0, seed)
        a0 = dynamics.riccati_eigenvalues(start[1], [0.0], N)[0]
        T = _horizon(a0[r - 1], C, N)
        t = np.linspace(0.0, T, 200)
        t_ode = np.linspace(0.0, T, 25)
        closed = dynamics.riccati_eigenvalues(start[1], t, N)
        # The features of a point of S are constant within each class, so the solver
        # integrates the gradient flow of the class means (the same flow, at a cost that
        # does not depend on N), in the span of W₀'s rows, which the flow never leaves (a
        # cost that does not depend on p).
        means, W0 = experiments.in_row_space(class_summary(start[0], C)[0], start[1], r)
        numeric = experiments.gram_eigenvalues(
            experiments.class_mean_flow(means, W0, start[2], N, t_ode, rtol=1e-10, atol=1e-12)[1]
        )
        for i in range(C_MAX - 1):
            formula[i].set_visible(i < r)
            solver[i].set_visible(i < r)
            if i < r:
                formula[i].set_data(t, closed[:, i])
                solver[i].set_data(t_ode, numeric[:, i])
        target.set_ydata([np.sqrt(N)] * 2)
        deviation = np.abs(numeric - dynamics.riccati_eigenvalues(start[1], t_ode, N))
        deviation = deviation.max(axis=1) / np.sqrt(N)
        gap.set_data(t_ode, np.maximum(deviation, FLOOR))
        plots.rescale(ax_eig, ax_gap)
        largest = bounded(deviation.max(), ".1e", SOLVER_AGREEMENT)
        note = f"Largest gap between the ODE solver and the closed form: {largest} √N."
        if rank > r:
            note = f"rank lowered to min(C − 1, p) = {r}. " + note
        return note

    return Explorer(
        controls={
            **_sizes(3, 3, 15),
            "rank": slider(widgets.IntSlider, 2, 1, C_MAX - 1, 1, "rank of W₀"),
            "scale": log_slider(0.1, -3, 0.5, "‖W₀‖_F"),
            "seed": _seed(),
        },
        figure=fig,
        draw=draw,
        alt=(
            "Left: the nonzero eigenvalues of W W-transpose against time, rising from small "
            "values along S-shaped curves to square root of N; lines are the closed form, "
            "circles an ODE solver, and they coincide. Right: the largest gap between them, "
            "about 1e-10."
        ),
    )


# ---------------------------------------------------------------------------------------
# Why a small start lands near S: the linearisation at (0, 0, 1/C).

#: Step size of the descent drawn by :func:`linearisation_explorer` (small, to follow the
#: flow), raised for large ``C sqrt(N)`` so that a run takes at most
#: ``LINEARISATION_MAX_STEPS`` steps (the slow rate ``1/(C sqrt(N))`` is then still
#: followed closely: ``η / (C sqrt(N)) < 0.01``).
LINEARISATION_LR = 0.1
LINEARISATION_MAX_STEPS = 8000
#: Largest size ``p C N + C p + C`` of a Jacobian whose spectrum is computed as one dense
#: matrix; above it the spectrum is assembled from its blocks
#: (:func:`ufm.spectrum.rest_spectrum_by_blocks`).
DENSE_SPECTRUM_SIZE = 600
#: Most eigenvalues drawn as dots (the sorted spectrum is thinned evenly beyond this).
SPECTRUM_DOTS = 500


@register(
    "results.linearisation",
    corners={
        **controls.SIZES,
        "eps": (1e-8, 1e-2),
        "seed": controls.SEED,
    },
    maxima={**controls.maxima(controls.SIZES), "eps": 1e-8},
)
def linearisation_explorer() -> Explorer:
    """The spectrum of the flow linearised at ``(0, 0, 1_C/C)``, and a small random start:
    the part in S grows at the rate ``1/(C sqrt(N))``, the rest does not grow.

    Book: ``thm-linearisation`` (results chapter).
    """
    fig, (ax_spec, ax_growth) = plots.figure(11.0, 3.8, ncols=2)
    spectrum_dots = ax_spec.plot([], [], "k.", ms=3)[0]
    levels = [ax_spec.axhline(0.0, color=f"C{i}", ls=":", lw=1) for i in range(4)]
    ax_spec.set_title(r"eigenvalues of the Jacobian at $(0, 0, \frac{1}{C}1_C)$")
    ax_spec.set_xlabel("index (largest first)")
    in_S = ax_growth.semilogy([], [], "C0-", label="part in $S$ (without the bias)")[0]
    predicted = ax_growth.semilogy([], [], "C0:", lw=2, label=r"$\propto e^{t/(C\sqrt{N})}$")[0]
    off_label = r"part off $S$, $\|Z - \mathrm{proj}_S Z\|_E$"
    off_S = ax_growth.semilogy([], [], "C3-", label=off_label)[0]
    bias = ax_growth.semilogy([], [], "C2-", label=r"$\|b - \frac{1}{C}1_C\|_2$")[0]
    ax_growth.set_title(rf"gradient descent from size $\varepsilon$ ($\eta$ = {LINEARISATION_LR})")
    ax_growth.set_xlabel(r"time $t = k\eta$")
    for ax in (ax_spec, ax_growth):
        ax.grid(alpha=0.3)
    spec_legend = plots.legend_under(
        ax_spec,
        handles=levels,
        labels=["", "", "", ""],
        title="level: multiplicity",
        title_fontsize="x-small",
    )
    plots.legend_under(ax_growth)
    cache = {}

    def spectrum_of(C, N, p):
        """The sorted spectrum and the largest distance from S of a growing direction
        (cached: it depends on the sizes only)."""
        if (C, N, p) not in cache:
            m = (C - 1) * p
            if p * C * N + C * p + C <= DENSE_SPECTRUM_SIZE:
                values, vectors = linearization_at_rest(C, N, p)
                growing = max(distance_to_S(*unflatten(vectors[:, k], C, N, p)) for k in range(m))
            else:
                blocks = spectrum.rest_spectrum_by_blocks(C, N, p)
                values, growing = blocks.values, blocks.growing_distance
            cache.clear()
            cache[(C, N, p)] = (values, growing)
        return cache[(C, N, p)]

    def draw(C, N, p, eps, seed):
        restore_axes(fig)
        values, growing = spectrum_of(C, N, p)
        rate = 1.0 / (C * np.sqrt(N))
        m = (C - 1) * p
        shown = np.unique(np.linspace(0, values.size - 1, SPECTRUM_DOTS).astype(int))
        # Every eigenvalue of the last (bias) block is drawn, however thin the rest.
        shown = np.union1d(shown, np.arange(max(0, values.size - C), values.size))
        spectrum_dots.set_data(shown, values[shown])
        counts = {
            rf"$+1/(C\sqrt{{N}})$: {m}": rate,
            f"0: {values.size - 2 * m - C}": 0.0,
            rf"$-1/(C\sqrt{{N}})$: {m}": -rate,
            f"−1 (bias): {C}": -1.0,
        }
        for line, text, (label, level) in zip(levels, spec_legend.get_texts(), counts.items()):
            line.set_ydata([level, level])
            text.set_text(label)
        plots.rescale(ax_spec)

        T = C * np.sqrt(N) * (np.log(1.0 / eps) + 4.0)
        lr = max(LINEARISATION_LR, T / LINEARISATION_MAX_STEPS)
        steps = int(np.ceil(T / lr))
        marks = np.unique(np.linspace(0, steps, 150).astype(int))
        # The reduced state of ufm.random_init(C, N, p, eps, seed), sampled without forming H.
        start = ReducedState.random(C, N, p, eps, seed=seed)
        run = experiments.descent_with_snapshots(start, lr, steps, marks, steps)
        inside, outside = experiments.split_by_S(run.W, run.class_means, run.within, run.b, N)
        t = run.snapshot_steps * lr
        in_S.set_data(t, np.maximum(inside, FLOOR))
        off_S.set_data(t, np.maximum(outside, FLOOR))
        bias.set_data(t, np.maximum(np.linalg.norm(run.b - 1.0 / C, axis=1), FLOOR))
        prediction = inside[0] * (1 + lr * rate) ** run.snapshot_steps
        keep = prediction <= 3 * np.sqrt(2 * np.sqrt(N) * (C - 1))
        predicted.set_data(t[keep], prediction[keep])
        ax_growth.title.set_text(rf"gradient descent from size $\varepsilon$ ($\eta$ = {lr:.3g})")
        plots.rescale(ax_growth)
        notes = [
            f"The {m} growing directions lie in S (largest relative distance "
            f"{bounded(growing, '.0e', ROUNDING)}); "
            f"the predicted growth rate is 1/(C√N) = {rate:.3g}."
        ]
        if p * C * N + C * p + C > DENSE_SPECTRUM_SIZE:
            notes.append(
                f"The spectrum ({values.size} eigenvalues, {shown.size} drawn) is assembled "
                "from its blocks: one 2C × 2C block per feature, the bias block, and "
                "C(N − 1)p zeros on the within-class deviations."
            )
        if lr > LINEARISATION_LR:
            notes.append(f"η is raised to {lr:.3g} to reach t = {T:.0f} in {steps} steps.")
        return " ".join(notes)

    return Explorer(
        controls={
            **_sizes(3, 3, 4),
            "eps": log_slider(1e-6, -8, -2, "start size ε"),
            "seed": _seed(),
        },
        figure=fig,
        draw=draw,
        alt=(
            "Left: the eigenvalues of the linearised gradient flow at the stationary point, "
            "sorted: a block at plus one over C root N, a block at zero, a block at minus one "
            "over C root N, and C eigenvalues at minus one. Right: from a small random start, "
            "the part of the state in S grows exponentially along the predicted line while the "
            "part off S stays near its initial size and the bias error decays."
        ),
    )
