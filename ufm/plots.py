"""The book's figures, as functions a reader can call outside the book.

Every function returns a :class:`matplotlib.figure.Figure` with an Agg canvas and an opaque
white background (readable in dark themes). Figures are not registered with pyplot, so they
do not accumulate; show one in a notebook with ``IPython.display.Image(png(fig))`` or save it
with ``fig.savefig(...)``.

- :func:`figure1` – the three strong-collapse errors per iteration, one curve per ``ε``;
- :func:`figure2` – the relative distance from S per iteration, one curve per ``ε``;
- :func:`eps_scaling` – the final errors against ``ε`` on log–log axes, with fitted slopes;
- :func:`plane_view` – classifier rows and class means in the plane of the simplex
  (``C = 3``), drawn with :func:`plane_artists` and :func:`update_plane`, which the live
  experiments reuse.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import _checks
from .experiments import EpsSweep, PlaneView

#: Axis labels of the three strong-collapse errors (mathtext), in the order of
#: :func:`ufm.strong_collapse_errors`.
ERROR_LABELS = (
    r"$\|WW^\top - \sqrt{N}P\|_F$",
    r"$\|H - \frac{1}{\sqrt{N}}(W \otimes 1_N)^\top\|_F \,/\, \|H\|_F$",
    r"$\|b - \frac{1}{C}1_C\|_2$",
)
#: Label of the relative distance from S.
DISTANCE_LABEL = r"$\|Z - \Pi_S Z\|_E \,/\, \|Z\|_E$"


def figure(width=9.0, height=3.2, **subplots):
    """A figure with an Agg canvas and a white background, and its axes.

    Parameters
    ----------
    width, height : float
        Size in inches.
    **subplots
        Passed to :meth:`matplotlib.figure.Figure.subplots` (for example ``ncols=3``).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : matplotlib.axes.Axes or ndarray of them
    """
    fig = Figure(figsize=(width, height), facecolor="white", layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(**subplots)


def png(fig) -> bytes:
    """The figure as PNG bytes (for ``IPython.display.Image``)."""
    buffer = io.BytesIO()
    fig.canvas.print_png(buffer)
    return buffer.getvalue()


def eps_label(eps: float) -> str:
    """``ε = 10^{-3}`` or ``ε = 3×10^{-2}`` (mathtext), for legends."""
    eps = _checks.positive_float(eps, "eps")
    exponent = int(np.floor(np.log10(eps) + 1e-9))
    mantissa = eps / 10.0**exponent
    if np.isclose(mantissa, 1.0):
        return rf"$\varepsilon = 10^{{{exponent}}}$"
    return rf"$\varepsilon = {mantissa:.2g}\times 10^{{{exponent}}}$"


def _eps_colors(n):
    from matplotlib import colormaps

    return colormaps["viridis"](np.linspace(0.0, 0.85, n))


def _curves(steps, values, eps, name):
    steps = _checks.as_array(steps, "steps", 1, finite=True)
    values = _checks.as_array(values, name, (2, 3), finite=False)
    eps = _checks.as_array(eps, "eps", 1)
    if values.shape[0] != eps.size or values.shape[1] != steps.size:
        raise ValueError(
            f"{name} has shape {values.shape}; expected (len(eps), len(steps), ...) = "
            f"({eps.size}, {steps.size}, ...)"
        )
    return steps, values, eps


def figure1(steps, errors, eps):
    """Figure 1: the three strong-collapse errors per iteration, one panel each.

    Parameters
    ----------
    steps : array_like, shape (T,)
        Recorded iterations.
    errors : array_like, shape (E, T, 3)
        The errors of :func:`ufm.strong_collapse_errors` of one run per ``ε``.
    eps : array_like, shape (E,)
        Size of each run's random start.

    Returns
    -------
    matplotlib.figure.Figure
    """
    steps, errors, eps = _curves(steps, errors, eps, "errors")
    if errors.ndim != 3 or errors.shape[2] != 3:
        raise ValueError(f"errors has shape {errors.shape}; expected (E, T, 3)")
    fig, axes = figure(12.0, 3.5, ncols=3, sharex=True)
    for j, ax in enumerate(axes):
        for e, color, curve in zip(eps, _eps_colors(eps.size), errors[:, :, j]):
            ax.semilogy(steps, curve, color=color, label=eps_label(e))
        ax.set_title(ERROR_LABELS[j])
        ax.set_xlabel("iteration $k$")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    return fig


def figure2(steps, distance, eps):
    """Figure 2: relative distance from S, ``||Z - Π_S Z||_E / ||Z||_E``, per iteration.

    Parameters
    ----------
    steps : array_like, shape (T,)
    distance : array_like, shape (E, T)
        One run per ``ε``.
    eps : array_like, shape (E,)

    Returns
    -------
    matplotlib.figure.Figure
    """
    steps, distance, eps = _curves(steps, distance, eps, "distance")
    if distance.ndim != 2:
        raise ValueError(f"distance has shape {distance.shape}; expected (E, T)")
    fig, ax = figure(6.5, 3.6)
    for e, color, curve in zip(eps, _eps_colors(eps.size), distance):
        ax.semilogy(steps, curve, color=color, label=eps_label(e))
        ax.axhline(e, color=color, lw=0.8, ls=":")
    ax.set_xlabel("iteration $k$")
    ax.set_ylabel(DISTANCE_LABEL)
    ax.set_title(r"distance from $S$ (dotted: the level $\varepsilon$)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", ncols=2)
    return fig


def eps_scaling(sweep: EpsSweep):
    """Final errors and distance from S against ``ε``, log–log, with fitted power laws.

    Every seed is a dot; the dashed line is the least-squares fit over all seeds, and the
    legend gives its slope (the exponent of ``ε``).

    Parameters
    ----------
    sweep : EpsSweep
        From :func:`ufm.experiments.eps_sweep`, with no diverged run.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(sweep, EpsSweep):
        raise TypeError(f"sweep must be an EpsSweep (ufm.experiments.eps_sweep); got {type(sweep)}")
    fits = sweep.fits()
    final = sweep.final
    labels = (*ERROR_LABELS, r"distance from $S$")
    markers = ("o", "s", "^", "D")
    fig, ax = figure(6.5, 4.2)
    grid = np.geomspace(sweep.eps.min(), sweep.eps.max(), 50)
    for j, (fit, label, marker) in enumerate(zip(fits, labels, markers)):
        color = f"C{j}"
        x = np.repeat(sweep.eps, final.shape[1])
        ax.loglog(x, final[:, :, j].ravel(), marker, color=color, ms=4, alpha=0.6, ls="none")
        ax.loglog(grid, fit(grid), "--", color=color, label=f"{label}: slope {fit.slope:.2f}")
    ax.set_xlabel(r"size of the random start $\varepsilon$")
    ax.set_ylabel(f"value after {int(sweep.steps[-1])} iterations")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    return fig


def plane_artists(ax, C: int) -> dict:
    """Set up, on ``ax``, the lines that :func:`update_plane` fills in.

    Returns
    -------
    dict
        ``"paths"`` (one line per class: the path of ``W_c``), ``"means"`` (one line per
        class: the path of ``sqrt(N) μ_c``), ``"rows"`` and ``"centres"`` (markers at the
        last snapshot), ``"triangle"`` (the last ``W_c`` joined up) and ``"circle"`` (radius
        of strong collapse).
    """
    C = _checks.positive_int(C, "C", 2)
    colors = [f"C{c}" for c in range(C)]
    artists = {
        "circle": ax.plot([], [], color="0.6", lw=0.8, ls=":", label="radius at collapse")[0],
        "triangle": ax.plot([], [], color="0.3", lw=1.0)[0],
        "paths": [ax.plot([], [], color=colors[c], lw=1.2)[0] for c in range(C)],
        "means": [ax.plot([], [], color=colors[c], lw=0.8, ls="--")[0] for c in range(C)],
        "rows": ax.scatter([], [], s=45, c=[], marker="o", zorder=3, label=r"rows $W_c$"),
        "centres": ax.scatter(
            [],
            [],
            s=70,
            facecolors="none",
            edgecolors="k",
            marker="s",
            zorder=3,
            label=r"$\sqrt{N}\,\mu_c$",
        ),
    }
    ax.set_aspect("equal", adjustable="box")
    ax.set_title("the plane of the simplex")
    ax.legend(fontsize="x-small", loc="lower right")
    ax.grid(alpha=0.3)
    return artists


def update_plane(ax, artists: dict, view: PlaneView) -> None:
    """Draw a :class:`~ufm.experiments.PlaneView` into artists made by :func:`plane_artists`."""
    if not isinstance(view, PlaneView):
        raise TypeError(
            f"view must be a PlaneView (ufm.experiments.simplex_plane); got {type(view)}"
        )
    C = view.W.shape[1]
    if len(artists["paths"]) != C:
        raise ValueError(f"the artists were made for {len(artists['paths'])} classes; view has {C}")
    theta = np.linspace(0, 2 * np.pi, 200)
    artists["circle"].set_data(view.radius * np.cos(theta), view.radius * np.sin(theta))
    last = view.W[-1]
    closed = np.vstack([last, last[:1]])
    artists["triangle"].set_data(closed[:, 0], closed[:, 1])
    for c in range(C):
        artists["paths"][c].set_data(view.W[:, c, 0], view.W[:, c, 1])
        artists["means"][c].set_data(view.means[:, c, 0], view.means[:, c, 1])
    artists["rows"].set_offsets(last)
    artists["rows"].set_color([f"C{c}" for c in range(C)])
    artists["centres"].set_offsets(view.means[-1])
    points = np.vstack([view.W.reshape(-1, 2), view.means.reshape(-1, 2)])
    points = points[np.isfinite(points).all(axis=1)]
    reach = max(view.radius, np.abs(points).max() if points.size else 0.0) * 1.15
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)


def plane_view(view: PlaneView):
    """Paths of the classifier rows and scaled class means in the plane of the simplex.

    Parameters
    ----------
    view : PlaneView
        From :func:`ufm.experiments.simplex_plane`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = figure(4.2, 4.2)
    update_plane(ax, plane_artists(ax, view.W.shape[1]), view)
    return fig
