"""The book's figures, as functions a reader can call outside the book.

Every function returns a :class:`matplotlib.figure.Figure` with an Agg canvas and an opaque
white background (readable in dark themes). Figures are not registered with pyplot, so they
do not accumulate; show one in a notebook with :func:`image` (as the book does) or
``IPython.display.Image(png(fig))``, or save it with ``fig.savefig(...)``.

The book's figures are ``WIDTH`` inches wide (or less), their panels stacked one above the
other, and no text on them is smaller than ``SMALLEST_TEXT`` points; legends stand outside
the data. Shown at 100 CSS px per inch (:func:`image`), they fit a desktop's column, and a
phone's column of 342 px shrinks them so that their smallest text is still 9 CSS px high
(:func:`png` records that size in the image, and the book's browser tests check it).

- :func:`figure1` – the three strong-collapse errors per iteration, one curve per ``ε``;
- :func:`figure2` – the relative distance from S per iteration, one curve per ``ε``;
- :func:`eps_scaling` – the final errors against ``ε`` on log–log axes, with fitted slopes;
- :func:`plane_view` – classifier rows and class means in the plane of the simplex
  (``C = 3``), drawn with :func:`plane_artists` and :func:`update_plane`;
- :func:`descent_panels` – the panels of gradient descent from a random start (errors,
  risk and distance from S, plane of the simplex), which the live experiment
  ``model.descent`` (:mod:`ufm.widgets.model`) and its animation
  (:func:`ufm.animation.animate_descent`) both draw.

The live experiments (:mod:`ufm.widgets`) and the precomputed views (:mod:`ufm.animation`)
make their figures here too: with :func:`figure`, the labels (``ERROR_LABELS``,
``DISTANCE_LABEL``, ``RISK_LABEL``), :func:`rescale` and :func:`legend_under`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from matplotlib import transforms
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import _checks, network
from .experiments import EpsSweep, ImbalanceSweep, PlaneView
from .experiments.discussion import LOSS_NAMES

#: Axis labels of the three strong-collapse errors (mathtext), in the order of
#: :func:`ufm.strong_collapse_errors`.
ERROR_LABELS = (
    r"$\|WW^\top - \sqrt{N}P\|_F$",
    r"$\|H - \frac{1}{\sqrt{N}}(W \otimes 1_N)^\top\|_F \,/\, \|H\|_F$",
    r"$\|b - \frac{1}{C}1_C\|_2$",
)
#: Label of the relative distance from S.
DISTANCE_LABEL = r"$\|Z - \mathrm{proj}_S Z\|_E \,/\, \|Z\|_E$"
#: Label of the empirical risk.
RISK_LABEL = r"risk $R_e$"
#: Title of the panel of the plane of the simplex.
PLANE_TITLE = "the plane of the simplex"
#: Width of the book's figures, in inches (shown 520 CSS px wide, or as wide as the column).
WIDTH = 5.2
#: The smallest font size on the book's figures, in points (matplotlib's ``"medium"``).
SMALLEST_TEXT = 10.0
#: Key of the PNG text chunk in which :func:`png` records the figure's smallest font size.
TEXT_SIZE_KEY = "ufm:smallest-text-pt"
#: Highest value shown on the logarithmic axes of :func:`descent_panels` (a diverging run
#: passes 1e300 before it overflows).
LOG_CEILING = 1e16


def figure(width=9.0, height=3.2, **subplots):
    """A figure with an Agg canvas and a white background, and its axes.

    Parameters
    ----------
    width, height : float
        Size in inches.
    **subplots
        Passed to :meth:`matplotlib.figure.Figure.subplots` (for example ``ncols=3``); none
        gives one axes.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Not registered with pyplot, so figures do not accumulate.
    axes : matplotlib.axes.Axes or ndarray of them
    """
    size = (_checks.positive_float(width, "width"), _checks.positive_float(height, "height"))
    fig = Figure(figsize=size, facecolor="white", layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(**subplots)


def png(fig, dpi: float | None = None, colors: int | None = None) -> bytes:
    """The figure as PNG bytes (for ``IPython.display.Image``).

    The PNG records the figure's smallest font size, in points, in a text chunk named
    ``TEXT_SIZE_KEY`` (the book's tests read it to check that every figure's text is
    legible as the page shows it), and its resolution in its ``pHYs`` chunk.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : float, optional
        Pixels per inch; default the figure's own (100 unless set otherwise).
    colors : int, optional
        If given (2 to 256), an opaque PNG with a palette of at most this many colours
        (:func:`palette_png`): a third of the size for line plots, which look the same.
    """
    _checks.instance(fig, Figure, "fig", "a matplotlib Figure")
    dpi = fig.dpi if dpi is None else _checks.positive_float(dpi, "dpi")
    smallest = smallest_text(fig)
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=dpi,
        metadata={TEXT_SIZE_KEY: f"{smallest:.2f}"},
    )
    if colors is None:
        return buffer.getvalue()
    from PIL import Image

    with Image.open(buffer) as image:
        rgba = np.asarray(image.convert("RGBA"))
    return palette_png(rgba, colors, dpi=dpi, text={TEXT_SIZE_KEY: f"{smallest:.2f}"})


def palette_png(rgba, colors: int, dpi: float | None = None, text=None) -> bytes:
    """An RGBA image (array ``(height, width, 4)`` of uint8) as an opaque PNG with a palette
    of at most ``colors`` colours (2 to 256): transparent parts are put on white.

    ``dpi`` is written to the ``pHYs`` chunk and ``text`` (a mapping of str to str) to text
    chunks, if given.
    """
    from PIL import Image, PngImagePlugin

    colors = _checks.positive_int(colors, "colors", 2, 256)
    image = Image.fromarray(np.ascontiguousarray(rgba), "RGBA")
    opaque = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("RGB")
    palette = opaque.quantize(colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    options = {} if dpi is None else {"dpi": (dpi, dpi)}
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True, pnginfo=info, **options)
    return out.getvalue()


def smallest_text(fig) -> float:
    """The smallest font size, in points, of the text that ``fig`` draws (titles, labels,
    tick labels, legends, annotations); ``inf`` for a figure without text.

    The figure is drawn first, so that tick labels are in place.
    """
    _checks.instance(fig, Figure, "fig", "a matplotlib Figure")
    from matplotlib.text import Text

    fig.canvas.draw()
    sizes = [
        text.get_fontsize()
        for text in fig.findobj(Text)
        if text.get_visible() and text.get_text().strip()
    ]
    return float(min(sizes, default=np.inf))


@dataclass(frozen=True)
class FigurePNG:
    """A figure as the book shows it: a PNG of twice the screen's resolution, shown at
    100 CSS px per inch of figure (or narrower, as wide as the column), so that it stays
    sharp on screens of high density. A notebook displays it (``_repr_png_`` gives the
    width with the image, which Jupyter and the book's pages both honour).

    Attributes
    ----------
    data : bytes
        The PNG, from :func:`png`.
    width : int
        Width to show it at, in CSS px.
    """

    data: bytes = field(repr=False)
    width: int

    def _repr_png_(self):
        return self.data, {"width": self.width}


def image(fig) -> FigurePNG:
    """The figure as the book shows it (see :class:`FigurePNG`): a palette PNG at 200 pixels
    per inch, shown at 100 CSS px per inch."""
    _checks.instance(fig, Figure, "fig", "a matplotlib Figure")
    return FigurePNG(png(fig, dpi=200, colors=256), round(fig.get_figwidth() * 100))


def _legend_above(ax, ncols: int = 1):
    """The legend of ``ax`` above it, outside the data, left-aligned and without a frame."""
    return ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=ncols,
        frameon=False,
        borderaxespad=0.2,
        handlelength=1.6,
        columnspacing=1.0,
    )


#: Points between the bottom of an axes and a legend under it: room for one line of tick
#: labels and one of x label.
UNDER_AXES_PT = 30


def legend_under(ax, **options):
    """The legend of ``ax``, centred under its tick labels and x label, outside the data.

    The live experiments put their legends there: their data can reach every corner of
    the axes at some setting, where a legend inside would cover them (the static pages'
    explorers do the same with ``legend: "outside"``, see ``ufm/js/plot.js``). With a
    constrained layout the axes make room for it. ``options`` go to ``ax.legend``
    (default ``fontsize="x-small"``).
    """
    anchor = transforms.offset_copy(ax.transAxes, fig=ax.figure, y=-UNDER_AXES_PT, units="points")
    options = {"fontsize": "x-small", **options}
    return ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=anchor, **options
    )


def _legend_below(fig, ax, ncols: int = 1):
    """The legend of ``ax`` below the figure's panels, outside the data."""
    return fig.legend(
        *ax.get_legend_handles_labels(),
        loc="outside lower center",
        ncols=ncols,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.2,
    )


def rescale(*axes) -> None:
    """Fit each axes to its data; a logarithmic y-axis spans at least two decades, so that
    its tick labels are powers of ten (and fit the frozen layout of a live experiment)."""
    for ax in axes:
        ax.relim()
        # the 5% margins of a logarithmic axis around data near 1e308 overflow; PanelSet.fit
        # then caps such an axis at LOG_CEILING
        with np.errstate(over="ignore"):
            ax.autoscale_view(scalex=ax.get_autoscalex_on())
        if ax.get_yscale() == "log":
            low, high = ax.get_ylim()
            if high < 100 * low:
                middle = np.sqrt(low * high)
                ax.set_ylim(middle / 10, middle * 10)


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
    """Figure 1: the three strong-collapse errors per iteration, one panel each, stacked,
    with one legend of the ``ε`` above them.

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
    fig, axes = figure(WIDTH, 7.4, nrows=3, sharex=True)
    for j, ax in enumerate(axes):
        for e, color, curve in zip(eps, _eps_colors(eps.size), errors[:, :, j]):
            ax.semilogy(steps, curve, color=color, label=eps_label(e))
        ax.set_title(ERROR_LABELS[j])
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("iteration $k$")
    fig.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside upper center",
        ncols=min(eps.size, 2),
        frameon=False,
    )
    return fig


def figure2(steps, distance, eps):
    """Figure 2: relative distance from S, ``||Z - proj_S Z||_E / ||Z||_E``, per iteration.

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
    fig, ax = figure(WIDTH, 4.4)
    for e, color, curve in zip(eps, _eps_colors(eps.size), distance):
        ax.semilogy(steps, curve, color=color, label=eps_label(e))
        ax.axhline(e, color=color, lw=0.8, ls=":")
    ax.set_xlabel("iteration $k$")
    ax.set_ylabel(DISTANCE_LABEL)
    ax.set_title(r"distance from $S$ (dotted: the level $\varepsilon$)")
    ax.grid(alpha=0.3)
    _legend_below(fig, ax, ncols=2)
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
    _checks.instance(sweep, EpsSweep, "sweep", "an EpsSweep (from ufm.experiments.eps_sweep)")
    fits = sweep.fits()
    final = sweep.final
    labels = (*ERROR_LABELS, r"distance from $S$")
    markers = ("o", "s", "^", "D")
    fig, ax = figure(WIDTH, 5.4)
    grid = np.geomspace(sweep.eps.min(), sweep.eps.max(), 50)
    for j, (fit, label, marker) in enumerate(zip(fits, labels, markers)):
        color = f"C{j}"
        x = np.repeat(sweep.eps, final.shape[1])
        ax.loglog(x, final[:, :, j].ravel(), marker, color=color, ms=4, alpha=0.6, ls="none")
        ax.loglog(grid, fit(grid), "--", color=color, label=f"{label}: slope {fit.slope:.2f}")
    ax.set_xlabel(r"size of the random start $\varepsilon$")
    ax.set_ylabel(f"value after {int(sweep.steps[-1])} iterations")
    ax.grid(alpha=0.3, which="both")
    _legend_below(fig, ax)
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
    ax.set_title(PLANE_TITLE)
    legend_under(ax)
    ax.grid(alpha=0.3)
    return artists


def update_plane(ax, artists: dict, view: PlaneView, upto: int | None = None) -> None:
    """Draw a :class:`~ufm.experiments.PlaneView` into artists made by :func:`plane_artists`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    artists : dict
        From :func:`plane_artists`, for as many classes as ``view`` has.
    view : PlaneView
    upto : int, optional
        Draw the snapshots ``0 .. upto`` only (the markers at snapshot ``upto``); the
        limits still fit the whole view, so the frames of an animation share their axes.
    """
    _checks.instance(view, PlaneView, "view", "a PlaneView (from ufm.experiments.simplex_plane)")
    C = view.W.shape[1]
    if len(artists["paths"]) != C:
        raise ValueError(f"the artists were made for {len(artists['paths'])} classes; view has {C}")
    snapshots = view.W.shape[0]
    if upto is not None and not 0 <= upto < snapshots:
        raise ValueError(f"upto must be a snapshot index below {snapshots}; got {upto}")
    shown = slice(None) if upto is None else slice(upto + 1)
    W, means = view.W[shown], view.means[shown]
    theta = np.linspace(0, 2 * np.pi, 200)
    artists["circle"].set_data(view.radius * np.cos(theta), view.radius * np.sin(theta))
    last = W[-1]
    closed = np.vstack([last, last[:1]])
    artists["triangle"].set_data(closed[:, 0], closed[:, 1])
    for c in range(C):
        artists["paths"][c].set_data(W[:, c, 0], W[:, c, 1])
        artists["means"][c].set_data(means[:, c, 0], means[:, c, 1])
    artists["rows"].set_offsets(last)
    artists["rows"].set_color([f"C{c}" for c in range(C)])
    artists["centres"].set_offsets(means[-1])
    points = np.vstack([view.W.reshape(-1, 2), view.means.reshape(-1, 2)])
    points = points[np.isfinite(points).all(axis=1)]
    reach = max(view.radius, np.abs(points).max() if points.size else 0.0) * 1.15
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)


def plane_view(view: PlaneView):
    """Paths of the classifier rows and scaled class means in the plane of the simplex, with
    the legend below the plane.

    Parameters
    ----------
    view : PlaneView
        From :func:`ufm.experiments.simplex_plane`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _checks.instance(view, PlaneView, "view", "a PlaneView (from ufm.experiments.simplex_plane)")
    fig, ax = figure(4.2, 4.8)
    update_plane(ax, plane_artists(ax, view.W.shape[1]), view)
    ax.get_legend().remove()
    _legend_below(fig, ax, ncols=2)
    return fig


@dataclass(frozen=True, eq=False)
class DescentPanels:
    """The panels of a run of gradient descent, made by :func:`descent_panels`.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    errors : matplotlib.axes.Axes
        The three strong-collapse errors per iteration (``ERROR_LABELS``).
    risk : matplotlib.axes.Axes
        The risk and the relative distance from S per iteration.
    plane : matplotlib.axes.Axes or None
        The classifier rows and scaled class means in the plane of the simplex (drawn for
        ``C = 3``), or None if the figure has no such panel.
    curves : tuple of matplotlib.lines.Line2D
        The three errors, the risk, the distance from S.
    cursors : tuple of matplotlib.lines.Line2D
        Vertical lines at the iteration shown, one per curve panel (empty without cursors).
    plane_artists : dict or None
        The artists of :func:`plane_artists` on ``plane``.
    plane_note : matplotlib.text.Text or None
        Says that the plane is drawn for ``C = 3`` only (shown by :meth:`hide_plane`).
    """

    figure: object
    errors: object
    risk: object
    plane: object
    curves: tuple
    cursors: tuple
    plane_artists: dict | None
    plane_note: object

    def fit(self, trajectory, steps: int) -> None:
        """Draw the whole trajectory and fit the axes to it: iterations ``0 .. steps``, and
        on each logarithmic axis at least two decades, at most up to ``LOG_CEILING``.

        Parameters
        ----------
        trajectory : ufm.Trajectory
            A run of :func:`ufm.gradient_descent` (or of a descent with snapshots).
        steps : int
            The run's number of steps (the last iteration drawn).
        """
        self.show(trajectory)
        axes = (self.errors, self.risk)
        for ax in axes:
            ax.set_xlim(0, steps)
        rescale(*axes)
        for ax, curves in ((self.errors, self.curves[:3]), (self.risk, self.curves[3:])):
            if ax.get_ylim()[1] > LOG_CEILING:
                values = np.concatenate([np.asarray(line.get_ydata()) for line in curves])
                values = values[np.isfinite(values) & (values > 0) & (values <= LOG_CEILING)]
                low = min(values.min(), LOG_CEILING / 100) if values.size else 1.0
                # the margin of matplotlib's autoscaling: 5% of the logarithmic range
                ax.set_ylim(low / (LOG_CEILING / low) ** 0.05, LOG_CEILING)

    def show(self, trajectory, upto: int | None = None) -> None:
        """Draw the curves of ``trajectory`` up to iteration ``upto`` (default: all of it),
        and move the cursors there; the axes limits are left as they are (see :meth:`fit`).
        """
        k = np.asarray(trajectory.steps)
        values = [*np.asarray(trajectory.errors).T, trajectory.risk, trajectory.distance_to_S]
        seen = slice(None) if upto is None else k <= upto
        for line, curve in zip(self.curves, values):
            line.set_data(k[seen], np.asarray(curve)[seen])
        at = k[-1] if upto is None else upto
        for cursor in self.cursors:
            cursor.set_xdata([at, at])

    def show_plane(self, view: PlaneView, upto: int | None = None, steps=None) -> None:
        """Draw ``view`` (for ``C = 3``) in the plane panel, up to snapshot ``upto``.

        Parameters
        ----------
        view : PlaneView
            From :func:`ufm.experiments.simplex_plane`.
        upto : int, optional
            See :func:`update_plane`.
        steps : sequence of int, optional
            The iterations of the snapshots; given, the title names the range shown.
        """
        if self.plane is None:
            raise ValueError("these panels have no plane; make them with plane=True")
        for artist in self._plane_members():
            artist.set_visible(True)
        self.plane_note.set_visible(False)
        self.plane.set_axis_on()
        update_plane(self.plane, self.plane_artists, view, upto)
        title = PLANE_TITLE
        if steps is not None:
            title += f", steps {steps[0]}–{steps[-1 if upto is None else upto]}"
        # set_text rather than set_title, which would undo a frozen layout (ufm.widgets).
        self.plane.title.set_text(title)

    def hide_plane(self) -> None:
        """Empty the plane panel but for a note that it is drawn for ``C = 3``."""
        if self.plane is None:
            return
        for artist in self._plane_members():
            artist.set_visible(False)
        self.plane_note.set_visible(True)
        self.plane.set_axis_off()
        self.plane.title.set_text(PLANE_TITLE)

    @property
    def animated(self) -> list:
        """The artists that :meth:`show` and :meth:`show_plane` change (for blitting)."""
        moving = [*self.curves, *self.cursors]
        if self.plane_artists is not None:
            a = self.plane_artists
            moving += [a["triangle"], *a["paths"], *a["means"], a["rows"], a["centres"]]
        return moving

    def _plane_members(self) -> list:
        members = [self.plane.get_legend()]
        for value in self.plane_artists.values():
            members.extend(value if isinstance(value, list) else [value])
        return members


def descent_panels(
    width: float,
    height: float,
    plane: bool = True,
    width_ratios=None,
    cursors: bool = False,
) -> DescentPanels:
    """The figure of gradient descent from a random start, with empty curves to fill in.

    Panels, left to right: the three strong-collapse errors per iteration; the risk and
    the relative distance from S, ``||Z - proj_S Z||_E / ||Z||_E``; with ``plane``, the
    classifier rows and scaled class means in the plane of the simplex (``C = 3``).
    Iterations are on a logarithmic axis beyond 10 (the geometry forms early). Fill them
    with :meth:`DescentPanels.fit`, :meth:`~DescentPanels.show` and
    :meth:`~DescentPanels.show_plane`.

    Parameters
    ----------
    width, height : float
        Size in inches.
    plane : bool
        Add the panel of the plane of the simplex.
    width_ratios : sequence of float, optional
        Relative widths of the panels (2, or 3 with ``plane``).
    cursors : bool
        Add a vertical line at the iteration shown to each curve panel (for animations).

    Returns
    -------
    DescentPanels
    """
    panels = 3 if plane else 2
    extra = {} if width_ratios is None else {"width_ratios": width_ratios}
    fig, axes = figure(width, height, ncols=panels, **extra)
    ax_err, ax_risk = axes[0], axes[1]
    error_lines = [ax_err.semilogy([], [], label=label)[0] for label in ERROR_LABELS]
    ax_err.set_title("distance from strong collapse")
    risk_line = ax_risk.semilogy([], [], color="k", label=RISK_LABEL)[0]
    distance_line = ax_risk.semilogy([], [], color="C3", label=DISTANCE_LABEL)[0]
    ax_risk.set_title("risk and distance from $S$")
    markers = []
    for ax in (ax_err, ax_risk):
        ax.set_xscale("symlog", linthresh=10, linscale=0.5)
        ax.set_xlabel("iteration $k$ (logarithmic beyond 10)")
        ax.grid(alpha=0.3)
        legend_under(ax)
        if cursors:
            markers.append(ax.axvline(0, color="0.4", lw=0.8))
    ax_plane = artists = note = None
    if plane:
        ax_plane = axes[2]
        artists = plane_artists(ax_plane, 3)
        note = ax_plane.text(
            0.5,
            0.5,
            "The plane view is drawn for C = 3.",
            ha="center",
            va="center",
            transform=ax_plane.transAxes,
            visible=False,
        )
    return DescentPanels(
        fig,
        ax_err,
        ax_risk,
        ax_plane,
        (*error_lines, risk_line, distance_line),
        tuple(markers),
        artists,
        note,
    )


def imbalance_figure(sweeps):
    """Minority and majority cosines (top), and the minority/majority norm ratio (bottom),
    against the imbalance ratio, one line style per sweep (a static figure).

    Parameters
    ----------
    sweeps : sequence of ImbalanceSweep

    Returns
    -------
    matplotlib.figure.Figure
    """
    what = "a sequence of ImbalanceSweep (from ufm.experiments.imbalance_sweep)"
    for sweep in _checks.instance(sweeps, (list, tuple), "sweeps", what):
        _checks.instance(sweep, ImbalanceSweep, "sweeps", what)
    fig, (ax_cos, ax_norm) = figure(WIDTH, 7.6, nrows=2, sharex=True)
    for sweep, style in zip(sweeps, ("-", "--", ":", "-.")):
        label = f"{LOSS_NAMES[sweep.loss]}, λ = {sweep.lam:g}"
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
    ax_norm.set_xlabel(r"imbalance $N_{\mathrm{major}} / N_{\mathrm{minor}}$")
    for ax in (ax_cos, ax_norm):
        ax.grid(alpha=0.3)
        _legend_above(ax)
    return fig


#: The curves of NC1–NC4 in :func:`nc_figure` and :func:`nc_history`: key of
#: :func:`ufm.nc_metrics` -> (legend, colour); NC2 has two.
NC_CURVES = {
    "nc1": (r"NC1: $\mathrm{tr}(\Sigma_W\Sigma_B^\dagger)/C$", "C0"),
    "nc2_equinorm": ("NC2: std/mean of class-mean norms", "C1"),
    "nc2_equiangular": (r"NC2: mean $|\cos + 1/(C-1)|$", "C2"),
    "nc3": (r"NC3: $\|W^\top/\|W\| - M/\|M\|\|_F^2$", "C4"),
    "nc4": ("NC4: disagreement with nearest class mean", "C5"),
}


def _nc_panels():
    """Four panels stacked on a shared x-axis (NC1, NC2, NC3, NC4), for :func:`nc_history`
    and :func:`nc_figure`."""
    fig, axes = figure(WIDTH, 9.0, nrows=4, sharex=True)
    return fig, axes


def nc_history(history: dict):
    """NC1–NC4 against the epoch, from :meth:`ufm.NCTracker.history` (or any dict with an
    ``"epoch"`` array and arrays of the keys of :func:`ufm.nc_metrics`): four panels stacked,
    NC1, NC2 and NC3 on logarithmic axes, each with its legend above it; a measure absent
    from the history leaves its panel with a note.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _checks.instance(history, dict, "history", "a dict from NCTracker.history()")
    if "epoch" not in history or len(history["epoch"]) == 0:
        raise ValueError("history has no records: call NCTracker.record first")
    epochs = np.asarray(history["epoch"])
    fig, axes = _nc_panels()
    panels = dict(zip(NC_CURVES, (axes[0], axes[1], axes[1], axes[2], axes[3])))
    for key, ax in panels.items():
        values = np.asarray(history.get(key, np.full(epochs.shape, np.nan)), dtype=float)
        shown = np.isfinite(values) & (values > 0 if key != "nc4" else True)
        if shown.any():
            label, color = NC_CURVES[key]
            ax.plot(epochs[shown], values[shown], color=color, marker=".", label=label)
            _legend_above(ax)
        elif not ax.lines:
            ax.text(0.5, 0.5, f"{key} not recorded", transform=ax.transAxes, ha="center")
        if key != "nc4" and ax.lines:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("epoch")
    return fig


def nc_figure(
    run: network.DigitsRun,
    live: network.DigitsRun | None = None,
    other: network.DigitsRun | None = None,
):
    """NC1–NC4 against training steps, as in Papyan, Han and Donoho's figures.

    Four panels stacked on a logarithmic step axis (linear below 1), each with its legend
    above it: NC1; the two NC2 measures; NC3; NC4 with the training and test errors. A
    dashed line marks the first step from which the training error stays zero. With
    ``live``, that run's checkpoints are drawn as crosses on top; with ``other`` (for
    example the run without weight decay), its NC1, NC2 and NC3 are drawn as thin grey
    lines.

    Returns
    -------
    matplotlib.figure.Figure
    """

    network._check_run(run)
    for name, value in (("live", live), ("other", other)):
        if value is not None:
            network._check_run(value, name)
    fig, axes = _nc_panels()
    ax1, ax2, ax3, ax4 = axes
    k = run.steps
    for ax, key in zip((ax1, ax2, ax2, ax3, ax4), NC_CURVES):
        ax.plot(k, run.nc[key], color=NC_CURVES[key][1], label=NC_CURVES[key][0])
    ax4.plot(k, run.train_error, color="k", lw=1, label="training error")
    ax4.plot(k, run.test_error, color="0.5", lw=1, ls=":", label="test error")
    if other is not None:
        style = dict(color="0.55", lw=1, ls="-.")
        decay = f"weight decay {other.setup.weight_decay:g}"
        ax1.plot(other.steps, other.nc["nc1"], **style, label=f"same run, {decay}")
        ax2.plot(other.steps, other.nc["nc2_equinorm"], **style, label=f"same run, {decay}")
        ax2.plot(other.steps, other.nc["nc2_equiangular"], **style)
        ax3.plot(other.steps, other.nc["nc3"], **style, label=f"same run, {decay}")
    if live is not None:
        style = dict(ls="none", marker="x", ms=5, color="k")
        ax1.plot(live.steps, live.nc["nc1"], **style, label="live run")
        for key in ("nc2_equinorm", "nc2_equiangular"):
            ax2.plot(live.steps, live.nc[key], **style)
        ax3.plot(live.steps, live.nc["nc3"], **style)
        ax4.plot(live.steps, live.nc["nc4"], **style)
    for ax in (ax1, ax2, ax3):
        ax.set_yscale("log")
    ax4.set_yscale("symlog", linthresh=1e-3, linscale=0.5)
    ax4.set_ylim(0, 1)
    for ax in axes:
        ax.set_xscale("symlog", linthresh=1, linscale=0.3)
        ax.set_xlim(0, k[-1])
        if run.zero_error_from is not None:
            ax.axvline(run.zero_error_from, color="0.3", ls="--", lw=1)
        ax.grid(alpha=0.3)
        _legend_above(ax)
    ax4.set_xlabel("training step (full batch)")
    return fig


def triangle_figure(run: network.DigitsRun, classes=(0, 1, 2), steps=None):
    """Three class means in their own plane at a few checkpoints, and the equilateral
    triangle (regular 2-simplex) that NC2 predicts, drawn dashed.

    Parameters
    ----------
    run : DigitsRun
    classes : sequence of 3 int
    steps : sequence of int, optional
        Checkpointed steps to draw; default the first, the first with zero training error,
        one in between later, and the last.

    Returns
    -------
    matplotlib.figure.Figure
    """
    network._check_run(run)
    coords = network.triangle(run.mean_gram, classes)
    if steps is None:
        zero = run.zero_error_from if run.zero_error_from is not None else run.steps[-1]
        later = run.steps[
            np.argmin(np.abs(np.log1p(run.steps) - np.log1p(np.sqrt(zero * run.steps[-1]))))
        ]
        steps = [0, zero, later, run.steps[-1]]
    steps = list(steps)
    if not steps:
        raise ValueError("steps is empty; expected at least one checkpointed step")
    missing = [s for s in steps if not np.any(run.steps == s)]
    if missing:
        raise ValueError(
            f"steps {missing} are not checkpointed; expected steps among run.steps "
            f"({run.steps[0]} … {run.steps[-1]}, {run.steps.size} checkpoints)"
        )
    index = [int(np.flatnonzero(run.steps == s)[0]) for s in steps]

    fig, ax = figure(WIDTH, 5.8)
    ideal = np.array([[0, 1], [-np.sqrt(3) / 2, -0.5], [np.sqrt(3) / 2, -0.5], [0, 1]])
    ax.plot(ideal[:, 0], ideal[:, 1], color="0.4", ls="--", lw=1.5, label="regular simplex")
    shades = np.linspace(0.25, 1.0, len(index))
    for i, shade, step in zip(index, shades, steps):
        closed = np.vstack([coords[i], coords[i][:1]])
        ax.plot(
            closed[:, 0],
            closed[:, 1],
            color="C0",
            alpha=shade,
            marker="o",
            ms=4,
            label=f"step {step}",
        )
    for c, (x, y) in zip(classes, coords[index[-1]]):
        ax.annotate(f"digit {c}", (x, y), textcoords="offset points", xytext=(6, 6))
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    _legend_below(fig, ax, ncols=3)
    ax.set_title("three class means in their plane")
    return fig
