"""The machinery every live experiment of the book shares.

An :class:`Explorer` is a set of ipywidgets controls and one matplotlib figure that is
built once. Moving a control calls a *draw* function that recomputes and updates the
figure's artists in place; the figure is then re-rendered into the same output, so the
page never accumulates figures. A draw function may return a short message (for example
"diverged at step 14"), and any error it raises becomes a message too: a reader never
sees a traceback or an empty plot.

On a static page (no kernel) the figure at the default settings is an ordinary image,
and a sentence says how to make the controls live.
"""

from __future__ import annotations

import html
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

#: Shown above every explorer, so a static page explains its controls.
LIVE_NOTE = (
    "<p><em>Live experiment.</em> The controls respond when this page runs as a notebook "
    "(JupyterLab, Binder or Colab: see <em>How to run the notebooks</em> on the first page). "
    "On the static page the figure shows the default settings.</p>"
)

#: Every explorer factory, by name, with the settings its tests and benchmarks visit.
REGISTRY: dict[str, ExplorerSpec] = {}


@dataclass(frozen=True)
class ExplorerSpec:
    """A registered explorer: its factory and the control values worth visiting.

    ``corners`` maps each control to its extreme values (the test suite drives every
    callback over them); ``maxima`` is the heaviest setting (timed by the benchmarks).
    """

    name: str
    factory: Callable[[], Explorer]
    corners: dict[str, tuple]
    maxima: dict[str, object]


def register(name: str, corners: dict[str, tuple], maxima: dict[str, object]):
    """Decorator recording an explorer factory in ``REGISTRY``."""

    def wrap(factory):
        REGISTRY[name] = ExplorerSpec(name, factory, corners, maxima)
        return factory

    return wrap


@dataclass
class Explorer:
    """Controls, a figure, and the function that redraws the figure from the controls.

    Parameters
    ----------
    controls : dict of str to ipywidgets widget
        Named controls; their ``value`` s are passed to ``draw`` as keyword arguments.
    figure : matplotlib.figure.Figure
        Built once; ``draw`` updates its artists.
    draw : callable
        ``draw(**values) -> str | None``: updates the figure, returns a message or None.
    alt : str
        Alternative text for the figure (what it shows).
    freeze : bool
        Make redraws cheap (default): minor ticks are turned off before the first render,
        and after it the layout, the titles and the axis labels stay where that render put
        them (see ``freeze_layout``). Draw functions then change titles with
        ``ax.title.set_text`` (``ax.set_title`` would re-enable their automatic placement).
    """

    controls: dict
    figure: Figure
    draw: Callable[..., str | None]
    alt: str = ""
    freeze: bool = True
    message: str = ""
    timing: dict = field(default_factory=dict)

    def __post_init__(self):
        import ipywidgets as widgets

        self._status = widgets.HTML()
        self._handle = None
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        if self.freeze:
            for ax in self.figure.axes:
                ax.minorticks_off()
        self.update()
        if self.freeze:
            freeze_layout(self.figure)

    def values(self) -> dict:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def set(self, **values) -> None:
        """Set several controls at once and redraw once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(
                f"unknown controls {sorted(unknown)}; expected some of {sorted(self.controls)}"
            )
        for name, value in values.items():
            control = self.controls[name]
            control.unobserve(self._on_change, names="value")
            try:
                control.value = value
            finally:
                control.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> str:
        """Recompute and redraw from the controls; return the message shown (may be empty).

        ``timing`` afterwards holds ``compute`` (the draw function) and ``render`` (drawing
        the Agg canvas) in seconds.
        """
        start = time.perf_counter()
        try:
            message = self.draw(**self.values()) or ""
        except Exception as exc:  # a reader must never see a traceback
            message = f"Cannot show this setting: {exc}"
            _show_message_only(self.figure, message)
        computed = time.perf_counter()
        self.figure.canvas.draw()
        self.timing = {"compute": computed - start, "render": time.perf_counter() - computed}
        self.message = message
        self._status.value = f"<p><strong>{html.escape(message)}</strong></p>" if message else ""
        if self._handle is not None:
            self._handle.update(self._image())
        return message

    def _image(self):
        """The figure as last drawn, as a PNG image (encoded from the Agg canvas buffer,
        so the figure is not rendered a second time)."""
        from IPython.display import Image
        from PIL import Image as PILImage

        pixels = np.asarray(self.figure.canvas.buffer_rgba())
        buffer = io.BytesIO()
        # The figure is opaque (white background), so the alpha channel carries nothing.
        PILImage.fromarray(pixels[..., :3]).save(buffer, format="png")
        return Image(data=buffer.getvalue(), format="png", alt=self.alt or None)

    def _ipython_display_(self) -> None:
        import ipywidgets as widgets
        from IPython.display import HTML, display

        display(HTML(LIVE_NOTE))
        display(widgets.VBox([*self.controls.values(), self._status]))
        if self.message:
            display(HTML(f"<p><strong>{html.escape(self.message)}</strong></p>"))
        self.figure.canvas.draw()  # in case the figure was changed since the last update
        self._handle = display(self._image(), display_id=True)


def _show_message_only(fig: Figure, message: str) -> None:
    """Replace the figure's content by a message (used when a setting cannot be drawn)."""
    for ax in fig.axes:
        ax.set_visible(False)
    for text in list(fig.texts):
        text.remove()
    fig.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=12)


def freeze_layout(fig: Figure) -> None:
    """Keep everything the last render placed where it is, so that later renders skip the
    work of placing it again (about as costly as drawing the figure).

    Call it after a render. The layout engine is switched off (axes keep their
    positions), titles stay at the top of their axes, and axis labels stay where they are
    (an empty label too: placing it measures every tick label again). A y-axis label with
    text is left free, because the width of its tick labels changes with the data.
    """
    fig.set_layout_engine("none")
    for ax in fig.axes:
        title = ax.title
        if title.get_text():
            # An explicit y turns off the automatic placement above the decorations.
            ax.set_title(
                title.get_text(),
                y=title.get_position()[1],
                fontsize=title.get_fontsize(),
                fontweight=title.get_fontweight(),
            )
        to_axes = ax.transAxes.inverted()
        x, y = ax.xaxis.label.get_position()
        ax.xaxis.set_label_coords(x, to_axes.transform((0.0, y))[1])
        if not ax.yaxis.label.get_text():
            x, y = ax.yaxis.label.get_position()
            ax.yaxis.set_label_coords(to_axes.transform((x, 0.0))[0], y)


def restore_axes(fig: Figure) -> None:
    """Show the axes again (after a message replaced them) before drawing a valid setting."""
    for ax in fig.axes:
        ax.set_visible(True)
    for text in list(fig.texts):
        text.remove()


def slider(kind, value, minimum, maximum, step, description, **extra):
    """An ipywidgets slider of class ``kind`` that reports only released values."""
    return kind(
        value=value,
        min=minimum,
        max=maximum,
        step=step,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
        **extra,
    )


def log_slider(value, low, high, description):
    """A slider on a log scale from ``10^low`` to ``10^high`` (quarter decades)."""
    import ipywidgets as widgets

    return slider(
        widgets.FloatLogSlider, value, low, high, 0.25, description, base=10, readout_format=".1e"
    )
